/*
 * geo_counties.c — the counties and the city for the served boundaries
 * (geo_boundaries.c): county boundaries from DataV GeoAtlas (GCJ-02,
 * converted to WGS84, made valid, snapped to the grid), the far-off islands
 * that only DataV's simplified city file has added to their county, the
 * counties made to tile (the sources overlap and leave gaps along shared
 * borders), and the city as their union; each as a feature of the file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

const char *geo_county_kind(const char *name)
{
	size_t n = strlen(name);
	const char *last = n >= 3 ? name + n - 3 : ""; /* one CJK character in UTF-8 */
	if (strcmp(last, "区") == 0)
		return "市辖区";
	if (strcmp(last, "县") == 0)
		return "县";
	if (strcmp(last, "市") == 0)
		return "县级市";
	return "";
}

/*
 * One feature of a DataV-style FeatureCollection (properties adcode, name,
 * center; GCJ-02 geometry), its geometry converted to WGS84, made valid and
 * polygonal. The callback owns geom.
 */
typedef int (*feature_fn)(geo_loader *L, const char *file, const char *code, const char *name, json_t *props,
			  GEOSGeometry *geom);

static int read_features(geo_loader *L, const char *file, feature_fn fn)
{
	size_t len;
	const char *text = geo_data_file(file, &len);
	if (!text)
		return yj_fail(L->e, YJ_EINTERNAL, NULL, "embedded data file %s is missing", file);
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return yj_fail(L->e, YJ_EINTERNAL, NULL, "%s line %d: %s", file, jerr.line, jerr.text);
	int rc = -1;
	GEOSGeoJSONReader *reader = GEOSGeoJSONReader_create_r(L->ctx);
	json_t *features = json_object_get(root, "features");
	size_t n = json_array_size(features);
	if (!reader || n == 0) {
		yj_fail(L->e, YJ_EINTERNAL, NULL, "%s: no features", file);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(features, i);
		json_t *props = json_object_get(f, "properties");
		json_t *adcode = json_object_get(props, "adcode");
		const char *name = json_string_value(json_object_get(props, "name"));
		json_t *geometry = json_object_get(f, "geometry");
		if (!json_is_integer(adcode) || !name || !json_is_object(geometry)) {
			yj_fail(L->e, YJ_EINTERNAL, NULL, "%s feature %zu: missing adcode, name or geometry", file, i);
			goto out;
		}
		char code[16];
		snprintf(code, sizeof code, "%06lld", (long long)json_integer_value(adcode));
		if (!geo_all_digits(code, 6)) {
			yj_fail(L->e, YJ_EINTERNAL, NULL, "%s feature %zu: bad adcode %s", file, i, code);
			goto out;
		}
		char *geom_text = json_dumps(geometry, JSON_COMPACT);
		GEOSGeometry *gcj = geom_text ? GEOSGeoJSONReader_readGeometry_r(L->ctx, reader, geom_text) : NULL;
		free(geom_text);
		if (!gcj) {
			geo_geos_fail(L, "reading a boundary");
			goto out;
		}
		GEOSGeometry *wgs = GEOSGeom_transformXY_r(L->ctx, gcj, geo_gcj02_to_wgs84_cb, NULL);
		GEOSGeom_destroy_r(L->ctx, gcj);
		if (wgs && GEOSisValid_r(L->ctx, wgs) != 1) {
			GEOSGeometry *fixed = GEOSMakeValid_r(L->ctx, wgs);
			GEOSGeom_destroy_r(L->ctx, wgs);
			wgs = fixed;
		}
		bool failed;
		GEOSGeometry *geom = geo_on_grid(L, wgs, &failed);
		if (!geom) {
			yj_fail(L->e, YJ_EINTERNAL, NULL, "%s: area %s has no usable boundary (%s)", file, code,
				L->geos_error);
			goto out;
		}
		if (fn(L, file, code, name, props, geom) != 0)
			goto out;
	}
	rc = 0;
out:
	if (reader)
		GEOSGeoJSONReader_destroy_r(L->ctx, reader);
	json_decref(root);
	return rc;
}

/* A county from the detailed per-county DataV boundaries. */
static int county_from_feature(geo_loader *L, const char *file, const char *code, const char *name, json_t *props,
			       GEOSGeometry *geom)
{
	if (strncmp(code, GEO_DEMO_CITY_CODE, 4) != 0 || geo_county_find(L, code)) {
		GEOSGeom_destroy_r(L->ctx, geom);
		return yj_fail(L->e, YJ_EINTERNAL, NULL, "%s: county %s is repeated or not in the city", file, code);
	}
	geo_county *c = geo_county_add(L, code, name);
	c->geom = geom;
	json_t *center = json_object_get(props, "center");
	if (json_array_size(center) == 2 && json_is_number(json_array_get(center, 0)) &&
	    json_is_number(json_array_get(center, 1))) {
		c->has_center = true;
		geo_gcj02_to_wgs84(json_number_value(json_array_get(center, 0)),
				   json_number_value(json_array_get(center, 1)), &c->center_lon, &c->center_lat);
	}
	return 0;
}

/*
 * Far-off islands. The detailed county files leave out the remote islands
 * that DataV's simplified city file gives 城区 (东沙群岛 near 116.7E 20.6N
 * and two islands near 115.93E 20.9-21.0N). A polygon of the simplified file
 * whose box is more than FAR_DEG away from the detailed county's box is such
 * an island, and is added to the county.
 */
#define FAR_DEG 0.1

static int far_islands_from_feature(geo_loader *L, const char *file, const char *code, const char *name,
				    json_t *props, GEOSGeometry *geom)
{
	geo_county *c = geo_county_find(L, code);
	double cx0, cy0, cx1, cy1;
	if (!c || !GEOSGeom_getExtent_r(L->ctx, c->geom, &cx0, &cy0, &cx1, &cy1)) {
		GEOSGeom_destroy_r(L->ctx, geom);
		return 0;
	}
	GEOSGeometry *far[64];
	unsigned n = 0;
	int parts = GEOSGetNumGeometries_r(L->ctx, geom);
	for (int i = 0; i < parts && n < YJ_ARRAY_LEN(far); i++) {
		const GEOSGeometry *part = GEOSGetGeometryN_r(L->ctx, geom, i);
		double x0, y0, x1, y1;
		if (!GEOSGeom_getExtent_r(L->ctx, part, &x0, &y0, &x1, &y1))
			continue;
		if (x1 < cx0 - FAR_DEG || x0 > cx1 + FAR_DEG || y1 < cy0 - FAR_DEG || y0 > cy1 + FAR_DEG)
			far[n++] = GEOSGeom_clone_r(L->ctx, part);
	}
	GEOSGeom_destroy_r(L->ctx, geom);
	if (n == 0)
		return 0;
	GEOSGeometry *islands = GEOSGeom_createCollection_r(L->ctx, GEOS_MULTIPOLYGON, far, n);
	GEOSGeometry *both = islands ? GEOSUnionPrec_r(L->ctx, c->geom, islands, GEO_GRID) : NULL;
	if (islands)
		GEOSGeom_destroy_r(L->ctx, islands);
	bool failed;
	GEOSGeometry *merged = geo_polygonal_only(L, both, &failed);
	if (!merged)
		return geo_geos_fail(L, "adding far-off islands to a county");
	GEOSGeom_destroy_r(L->ctx, c->geom);
	c->geom = merged;
	c->far_islands = (int)n;
	return 0;
}

int geo_load_counties(geo_loader *L)
{
	if (read_features(L, "shanwei_counties_gcj02.geojson", county_from_feature) != 0)
		return -1;
	if (L->county_count == 0)
		return yj_fail(L->e, YJ_EINTERNAL, NULL, "no county boundaries");
	return read_features(L, "441500_full_datav_gcj02.json", far_islands_from_feature);
}


/* ---- the counties made to tile the city ------------------------------------------------------- */

/*
 * Holes of the counties' union smaller than this are gaps between county
 * borders that do not meet in the sources (the largest is about 0.6e-6
 * deg², ~7,000 m²), not places outside the city: 1e-5 deg² is ~0.1 km².
 */
#define GEO_GAP_MAX 1e-5

/* deg² -> km² near latitude lat */
static double km2(double deg2, double lat)
{
	double km = 111.32;
	return deg2 * km * km * cos(lat * M_PI / 180);
}

static double area_of(geo_loader *L, const GEOSGeometry *g)
{
	double a = 0;
	return g && GEOSArea_r(L->ctx, g, &a) ? a : 0;
}

/* g without its holes smaller than GEO_GAP_MAX (a new geometry, dissolved and on the grid). */
static GEOSGeometry *without_gaps(geo_loader *L, const GEOSGeometry *g)
{
	int np = GEOSGetNumGeometries_r(L->ctx, g);
	GEOSGeometry **polys = yj_calloc((size_t)np, sizeof *polys);
	int made = 0;
	for (int i = 0; i < np; i++) {
		const GEOSGeometry *p = GEOSGetGeometryN_r(L->ctx, g, i);
		int nh = GEOSGetNumInteriorRings_r(L->ctx, p);
		GEOSGeometry **holes = yj_calloc(nh > 0 ? (size_t)nh : 1, sizeof *holes);
		unsigned kept = 0;
		for (int k = 0; k < nh; k++) {
			GEOSGeometry *ring = GEOSGeom_clone_r(L->ctx, GEOSGetInteriorRingN_r(L->ctx, p, k));
			GEOSGeometry *hole = ring ? GEOSGeom_createPolygon_r(L->ctx, ring, NULL, 0) : NULL;
			if (!hole)
				continue;
			if (area_of(L, hole) >= GEO_GAP_MAX)
				holes[kept++] = GEOSGeom_clone_r(L->ctx, GEOSGetExteriorRing_r(L->ctx, hole));
			GEOSGeom_destroy_r(L->ctx, hole);
		}
		GEOSGeometry *shell = GEOSGeom_clone_r(L->ctx, GEOSGetExteriorRing_r(L->ctx, p));
		polys[made] = shell ? GEOSGeom_createPolygon_r(L->ctx, shell, holes, kept) : NULL;
		made += polys[made] != NULL;
		free(holes);
	}
	/* an island inside a filled gap now overlaps its shell: dissolve */
	GEOSGeometry *all = GEOSGeom_createCollection_r(L->ctx, GEOS_GEOMETRYCOLLECTION, polys, (unsigned)made);
	free(polys);
	GEOSGeometry *u = all ? GEOSUnaryUnionPrec_r(L->ctx, all, GEO_GRID) : NULL;
	if (all)
		GEOSGeom_destroy_r(L->ctx, all);
	bool failed;
	return geo_polygonal_only(L, u, &failed);
}

/* The county a gap belongs to: the one it shares the longest border with, else the nearest. */
static geo_county *gap_owner(geo_loader *L, const GEOSGeometry *gap)
{
	GEOSGeometry *edge = GEOSBoundary_r(L->ctx, gap);
	geo_county *best = NULL;
	double best_len = 0, best_dist = INFINITY;
	for (size_t i = 0; i < L->county_count && edge; i++) {
		geo_county *c = &L->counties[i];
		GEOSGeometry *shared = GEOSIntersectionPrec_r(L->ctx, edge, c->geom, GEO_GRID);
		double len = 0, dist = INFINITY;
		if (shared) {
			GEOSLength_r(L->ctx, shared, &len);
			GEOSGeom_destroy_r(L->ctx, shared);
		}
		if (len > best_len) {
			best = c;
			best_len = len;
		} else if (best_len == 0 && GEOSDistance_r(L->ctx, gap, c->geom, &dist) && dist < best_dist) {
			best = c;
			best_dist = dist;
		}
	}
	if (edge)
		GEOSGeom_destroy_r(L->ctx, edge);
	return best;
}

int geo_tile_counties(geo_loader *L)
{
	bool failed;
	/* overlaps stay with the county of the lower code (the sources' order) */
	GEOSGeometry *taken = NULL;
	for (size_t i = 0; i < L->county_count; i++) {
		geo_county *c = &L->counties[i];
		if (taken) {
			double before = area_of(L, c->geom);
			GEOSGeometry *rest = geo_polygonal_only(L, GEOSDifferencePrec_r(L->ctx, c->geom, taken, GEO_GRID),
			                                        &failed);
			if (!rest) {
				GEOSGeom_destroy_r(L->ctx, taken);
				return geo_geos_fail(L, "taking a county's overlap with its neighbours");
			}
			GEOSGeom_destroy_r(L->ctx, c->geom);
			c->geom = rest;
			c->overlap_km2 = km2(before - area_of(L, rest), c->center_lat);
		}
		GEOSGeometry *more = taken ? GEOSUnionPrec_r(L->ctx, taken, c->geom, GEO_GRID)
		                           : GEOSGeom_clone_r(L->ctx, c->geom);
		if (taken)
			GEOSGeom_destroy_r(L->ctx, taken);
		if (!(taken = geo_polygonal_only(L, more, &failed)))
			return geo_geos_fail(L, "union of the counties");
	}
	/* the city: the union without the gaps between counties, each gap to a county */
	L->city = without_gaps(L, taken);
	GEOSGeometry *gaps = L->city ? GEOSDifferencePrec_r(L->ctx, L->city, taken, GEO_GRID) : NULL;
	GEOSGeom_destroy_r(L->ctx, taken);
	if (!L->city || !gaps)
		return geo_geos_fail(L, "the city's boundary");
	int rc = 0;
	int n = GEOSGetNumGeometries_r(L->ctx, gaps);
	for (int i = 0; i < n && rc == 0; i++) {
		const GEOSGeometry *gap = GEOSGetGeometryN_r(L->ctx, gaps, i);
		if (GEOSGeomTypeId_r(L->ctx, gap) != GEOS_POLYGON || GEOSisEmpty_r(L->ctx, gap))
			continue;
		geo_county *c = gap_owner(L, gap);
		GEOSGeometry *grown = c ? geo_polygonal_only(L, GEOSUnionPrec_r(L->ctx, c->geom, gap, GEO_GRID), &failed)
		                        : NULL;
		if (!grown) {
			rc = geo_geos_fail(L, "giving a gap between counties to a county");
			break;
		}
		GEOSGeom_destroy_r(L->ctx, c->geom);
		c->geom = grown;
		c->gap_km2 += km2(area_of(L, gap), c->center_lat);
	}
	GEOSGeom_destroy_r(L->ctx, gaps);
	return rc;
}

/* ---- a county's label point ------------------------------------------------------------------ */

int geo_county_point(geo_loader *L, const geo_county *c, double *lon, double *lat, strbuf *note)
{
	/* The DataV "center" is the seat of government: a better label point
	 * than a geometric one, when it lies inside the boundary. */
	bool center_inside = false;
	if (c->has_center) {
		GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(L->ctx, c->center_lon, c->center_lat);
		center_inside = pt && GEOSIntersects_r(L->ctx, c->geom, pt) == 1;
		if (pt)
			GEOSGeom_destroy_r(L->ctx, pt);
	}
	if (center_inside) {
		*lon = c->center_lon;
		*lat = c->center_lat;
		geo_note_add(note, "point: the county seat (DataV center)");
		return 0;
	}
	if (geo_point_inside(L, c->geom, lon, lat) != 0)
		return -1;
	geo_note_add(note, "point: a point inside the boundary");
	return 0;
}
