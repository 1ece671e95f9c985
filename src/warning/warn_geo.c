/*
 * warn_geo.c — the geometry of warnings (GEOS, reentrant API, a context
 * per call).
 *
 * A warning drawn as polygons must stay inside its jurisdiction: each
 * polygon must lie within the boundary of the warning's area (the area
 * directory's geometry, src/geo) grown by WARN_GEO_TOLERANCE_M, because a
 * hand-drawn polygon follows a county line only roughly. A polygon that
 * reaches further is refused with the name of the area it reaches into,
 * found by walking the area tree down from the top to the deepest area with
 * a boundary that holds most of the part outside.
 *
 * CAP alerts from outside describe their areas as rings and circles in
 * any place; warn_geo_clip keeps the part inside a jurisdiction.
 *
 * Not here: target areas by code (warn_check.c), recipients (dispatch).
 */
#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "warning/warn_int.h"

#define WARN_GEO_TOLERANCE_M 100.0
#define METRES_PER_DEGREE 111320.0
#define CIRCLE_POINTS 32
#define SLIVER_DEG2 1e-8 /* parts of a clip smaller than about 100 m2 are boundary noise */

typedef struct geo {
	GEOSContextHandle_t g;
	GEOSGeoJSONReader *rd;
	store *s;
} geo;

static void geo_open(geo *x, store *s)
{
	x->g = GEOS_init_r();
	x->rd = GEOSGeoJSONReader_create_r(x->g);
	x->s = s;
}

static void geo_close(geo *x)
{
	GEOSGeoJSONReader_destroy_r(x->g, x->rd);
	GEOS_finish_r(x->g);
}

static void destroy(geo *x, GEOSGeometry *g)
{
	if (g)
		GEOSGeom_destroy_r(x->g, g);
}

static GEOSGeometry *read_json(geo *x, json_t *j)
{
	char *txt = json_dumps(j, JSON_COMPACT);
	GEOSGeometry *g = txt ? GEOSGeoJSONReader_readGeometry_r(x->g, x->rd, txt) : NULL;
	free(txt);
	return g;
}

/* The boundary of area code: 1 with *out, 0 when it has none, -1 on a store error. */
static int area_geometry(geo *x, const char *code, GEOSGeometry **out, yj_err *e)
{
	*out = NULL;
	yj_err le = {0};
	char *txt = geo_area_geometry(x->s, code, &le);
	if (!txt) {
		if (le.code != YJ_OK) {
			if (e)
				*e = le;
			return -1;
		}
		return 0;
	}
	*out = GEOSGeoJSONReader_readGeometry_r(x->g, x->rd, txt);
	free(txt);
	return *out ? 1 : 0;
}

static double tolerance_deg(geo *x, const GEOSGeometry *area)
{
	double x0, y0, x1, y1;
	double lat = 0;
	if (GEOSGeom_getExtent_r(x->g, area, &x0, &y0, &x1, &y1))
		lat = (y0 + y1) / 2;
	/* a degree of longitude is the shorter one: so the band is at least the tolerance both ways */
	return WARN_GEO_TOLERANCE_M / (METRES_PER_DEGREE * cos(lat * M_PI / 180));
}

/* ---- which area a geometry reaches into ------------------------------------------------------- */

typedef struct codes {
	char (*code)[16];
	size_t n, cap;
} codes;

static bool collect(const geo_area *a, void *ctx)
{
	codes *c = ctx;
	c->code = yj_grow(c->code, &c->cap, c->n + 1, sizeof *c->code);
	snprintf(c->code[c->n++], sizeof *c->code, "%s", a->code);
	return true;
}

/*
 * "城区 (441502), 香洲街道 (441502001)": from the top of the tree down, the area with a boundary
 * that holds most of outside, then the same among its children, as deep as boundaries go.
 * The top area and the jurisdiction itself are not named. "" when outside lies in no area.
 */
static int name_reach(geo *x, const GEOSGeometry *outside, char *out, size_t cap, yj_err *e)
{
	out[0] = 0;
	char parent[16] = "";
	size_t len = 0;
	for (int depth = 0; depth < 4; depth++) {
		codes c = {0};
		geo_areas_each(parent[0] ? parent : NULL, 0, collect, &c);
		double best = 0;
		char best_code[16] = "";
		for (size_t i = 0; i < c.n; i++) {
			GEOSGeometry *g;
			int rc = area_geometry(x, c.code[i], &g, e);
			if (rc < 0) {
				free(c.code);
				return -1;
			}
			if (rc == 0)
				continue;
			double a = 0;
			if (GEOSIntersects_r(x->g, g, outside) == 1) {
				GEOSGeometry *in = GEOSIntersection_r(x->g, g, outside);
				if (in)
					GEOSArea_r(x->g, in, &a);
				destroy(x, in);
			}
			destroy(x, g);
			if (a > best) {
				best = a;
				snprintf(best_code, sizeof best_code, "%s", c.code[i]);
			}
		}
		free(c.code);
		if (!best_code[0])
			break;
		const geo_area *ga = geo_area_find(best_code);
		if (depth > 0 && ga && len < cap)
			len += (size_t)snprintf(out + len, cap - len, "%s%s (%s)", len ? ", " : "", ga->name, best_code);
		snprintf(parent, sizeof parent, "%s", best_code);
	}
	return 0;
}

/* ---- the jurisdiction check --------------------------------------------------------------------- */

/* polygons[i] as a valid Polygon or MultiPolygon, or NULL with *e (400, field polygons) */
static GEOSGeometry *read_polygon(geo *x, json_t *p, size_t i, yj_err *e)
{
	GEOSGeometry *g = json_is_object(p) ? read_json(x, p) : NULL;
	int t = g ? GEOSGeomTypeId_r(x->g, g) : -1;
	if (!g || (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON)) {
		destroy(x, g);
		yj_fail(e, YJ_EINVAL, "polygons", "polygons[%zu] must be a GeoJSON Polygon or MultiPolygon", i);
		return NULL;
	}
	if (GEOSisValid_r(x->g, g) != 1) {
		destroy(x, g);
		yj_fail(e, YJ_EINVAL, "polygons", "polygons[%zu] is not a valid polygon (self-intersecting?)", i);
		return NULL;
	}
	return g;
}

int warn_geo_check(store *s, const char *area_code, json_t *polygons, yj_err *e)
{
	if (!json_is_array(polygons) || json_array_size(polygons) == 0)
		return 0;
	geo x;
	geo_open(&x, s);
	GEOSGeometry *area = NULL, *band = NULL;
	const GEOSPreparedGeometry *pband = NULL;
	int rc = 0;
	size_t i;
	json_t *p;
	/* the shape of every polygon first: a malformed one is the client's 400 wherever it is */
	json_array_foreach(polygons, i, p) {
		GEOSGeometry *g = read_polygon(&x, p, i, e);
		if (!g) {
			rc = -1;
			goto done;
		}
		destroy(&x, g);
	}
	int found = area_geometry(&x, area_code, &area, e);
	if (found < 0) {
		rc = -1;
		goto done;
	}
	if (found == 0) {
		rc = yj_fail(e, YJ_EFORBIDDEN, "polygons",
		             "%s (%s) has no boundary on file, so a polygon cannot be checked against it: name the "
		             "target areas by code instead",
		             geo_area_name(area_code), area_code);
		goto done;
	}
	band = GEOSBuffer_r(x.g, area, tolerance_deg(&x, area), 8);
	pband = band ? GEOSPrepare_r(x.g, band) : NULL;
	if (!pband) {
		rc = yj_fail(e, YJ_EINTERNAL, "polygons", "the boundary of %s could not be prepared", area_code);
		goto done;
	}
	json_array_foreach(polygons, i, p) {
		GEOSGeometry *g = read_polygon(&x, p, i, e);
		if (!g) {
			rc = -1;
			break;
		}
		if (GEOSPreparedCovers_r(x.g, pband, g) != 1) {
			GEOSGeometry *outside = GEOSDifference_r(x.g, g, band);
			char where[240] = "";
			if (outside && name_reach(&x, outside, where, sizeof where, e)) {
				destroy(&x, outside);
				destroy(&x, g);
				rc = -1;
				break;
			}
			destroy(&x, outside);
			rc = yj_fail(e, YJ_EFORBIDDEN, "polygons",
			             "polygons[%zu] reaches outside the warning's jurisdiction %s (%s) into %s", i,
			             geo_area_name(area_code), area_code, where[0] ? where : "places outside every area on file");
		}
		destroy(&x, g);
		if (rc)
			break;
	}
done:
	if (pband)
		GEOSPreparedGeom_destroy_r(x.g, pband);
	destroy(&x, band);
	destroy(&x, area);
	geo_close(&x);
	return rc;
}

/* ---- clipping CAP areas to a jurisdiction --------------------------------------------------------- */

/* a ring [[lon,lat],...] as a valid polygonal geometry, or NULL */
static GEOSGeometry *ring_polygon(geo *x, json_t *ring)
{
	json_t *j = json_pack("{s:s, s:[O]}", "type", "Polygon", "coordinates", ring);
	GEOSGeometry *g = j ? read_json(x, j) : NULL;
	json_decref(j);
	if (g && GEOSisValid_r(x->g, g) != 1) {
		GEOSGeometry *v = GEOSMakeValid_r(x->g, g);
		destroy(x, g);
		g = v;
	}
	return g;
}

/* a circle as a ring of CIRCLE_POINTS (degrees of longitude shrink with latitude) */
static json_t *circle_ring(double lon, double lat, double radius_km)
{
	double dlat = radius_km * 1000 / METRES_PER_DEGREE;
	double c = cos(lat * M_PI / 180);
	double dlon = c > 1e-6 ? dlat / c : 180;
	json_t *ring = json_array();
	for (int k = 0; k <= CIRCLE_POINTS; k++) {
		double t = 2 * M_PI * (k % CIRCLE_POINTS) / CIRCLE_POINTS;
		double px = fmax(-180, fmin(180, lon + dlon * cos(t))), py = fmax(-90, fmin(90, lat + dlat * sin(t)));
		json_array_append_new(ring, json_pack("[f,f]", px, py));
	}
	return ring;
}

/* append the polygons of g (Polygon, MultiPolygon or a collection holding them) to out as GeoJSON */
static int append_polygons(geo *x, GEOSGeoJSONWriter *wr, const GEOSGeometry *g, json_t *out)
{
	int t = GEOSGeomTypeId_r(x->g, g), n = 0;
	if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
		int parts = GEOSGetNumGeometries_r(x->g, g);
		for (int i = 0; i < parts; i++)
			n += append_polygons(x, wr, GEOSGetGeometryN_r(x->g, g, i), out);
		return n;
	}
	double a = 0;
	if (t != GEOS_POLYGON || GEOSArea_r(x->g, g, &a) != 1 || a < SLIVER_DEG2 || json_array_size(out) >= 100)
		return 0;
	char *txt = GEOSGeoJSONWriter_writeGeometry_r(x->g, wr, g, -1);
	json_t *j = txt ? json_loads(txt, 0, NULL) : NULL;
	GEOSFree_r(x->g, txt);
	if (!j)
		return 0;
	json_array_append_new(out, j);
	return 1;
}

int warn_geo_clip(store *s, const char *area_code, json_t *rings, json_t *circles, json_t *out, yj_err *e)
{
	geo x;
	geo_open(&x, s);
	GEOSGeometry *area = NULL;
	int found = area_geometry(&x, area_code, &area, e);
	if (found <= 0) {
		geo_close(&x);
		return found;
	}
	GEOSGeoJSONWriter *wr = GEOSGeoJSONWriter_create_r(x.g);
	json_t *all = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(rings, i, v) json_array_append(all, v);
	json_array_foreach(circles, i, v) {
		json_t *lon = json_object_get(v, "lon"), *lat = json_object_get(v, "lat"), *r = json_object_get(v, "radius_km");
		if (json_is_number(lon) && json_is_number(lat) && json_is_number(r))
			json_array_append_new(all, circle_ring(json_number_value(lon), json_number_value(lat),
			                                       json_number_value(r)));
	}
	int n = 0;
	json_array_foreach(all, i, v) {
		GEOSGeometry *g = ring_polygon(&x, v);
		if (!g)
			continue;
		if (GEOSIntersects_r(x.g, area, g) == 1) {
			GEOSGeometry *in = GEOSIntersection_r(x.g, area, g);
			if (in)
				n += append_polygons(&x, wr, in, out);
			destroy(&x, in);
		}
		destroy(&x, g);
	}
	json_decref(all);
	GEOSGeoJSONWriter_destroy_r(x.g, wr);
	destroy(&x, area);
	geo_close(&x);
	return n;
}
