/*
 * geo_shapes.c — geometry helpers on GEOS for the boundary maker and the
 * loader: GCJ-02 to WGS84 on whole shapes, keeping only the areal part of
 * an overlay's result, shapes snapped to the 1e-7 degree grid and checked
 * valid, a point inside a shape, and shapes written as GeoJSON (RFC 7946
 * winding, coordinates on the grid: 1e-7 degrees, about a centimetre).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

int geo_geos_fail(geo_loader *L, const char *what)
{
	return yj_fail(L->e, YJ_EINTERNAL, NULL, "%s: %s", what, L->geos_error[0] ? L->geos_error : "GEOS error");
}

int geo_gcj02_to_wgs84_cb(double *x, double *y, void *userdata)
{
	geo_gcj02_to_wgs84(*x, *y, x, y);
	return 1;
}

/* Collects clones of the polygons in g (recursing into collections). */
static int collect_polygons(geo_loader *L, const GEOSGeometry *g, GEOSGeometry ***parts, size_t *n, size_t *cap)
{
	int type = GEOSGeomTypeId_r(L->ctx, g);
	if (type == GEOS_POLYGON) {
		if (GEOSisEmpty_r(L->ctx, g))
			return 0;
		*parts = yj_grow(*parts, cap, *n + 1, sizeof **parts);
		GEOSGeometry *copy = GEOSGeom_clone_r(L->ctx, g);
		if (!copy)
			return -1;
		(*parts)[(*n)++] = copy;
		return 0;
	}
	if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
		int count = GEOSGetNumGeometries_r(L->ctx, g);
		for (int i = 0; i < count; i++)
			if (collect_polygons(L, GEOSGetGeometryN_r(L->ctx, g, i), parts, n, cap) != 0)
				return -1;
	}
	return 0; /* points and lines are dropped */
}

/*
 * Only the areal part of g: overlay results may carry stray lines and points
 * where shapes touch. Takes ownership of g. Returns a Polygon/MultiPolygon,
 * or NULL when nothing areal is left (*failed set on a GEOS error).
 */
GEOSGeometry *geo_polygonal_only(geo_loader *L, GEOSGeometry *g, bool *failed)
{
	*failed = false;
	if (!g) {
		*failed = true;
		return NULL;
	}
	int type = GEOSGeomTypeId_r(L->ctx, g);
	if ((type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) && !GEOSisEmpty_r(L->ctx, g))
		return g;
	GEOSGeometry **parts = NULL;
	size_t n = 0, cap = 0;
	GEOSGeometry *result = NULL;
	if (collect_polygons(L, g, &parts, &n, &cap) != 0) {
		*failed = true;
	} else if (n == 1) {
		result = parts[0];
	} else if (n > 1) {
		result = GEOSGeom_createCollection_r(L->ctx, GEOS_MULTIPOLYGON, parts, (unsigned)n);
		if (!result)
			*failed = true;
	}
	if (!result)
		for (size_t i = 0; i < n && *failed; i++)
			GEOSGeom_destroy_r(L->ctx, parts[i]);
	free(parts);
	GEOSGeom_destroy_r(L->ctx, g);
	return result;
}

GEOSGeometry *geo_on_grid(geo_loader *L, GEOSGeometry *g, bool *failed)
{
	if (!g) {
		*failed = true;
		return NULL;
	}
	/* flags 0: GEOS keeps the result valid, collapsed slivers drop out */
	GEOSGeometry *snapped = GEOSGeom_setPrecision_r(L->ctx, g, GEO_GRID, 0);
	GEOSGeom_destroy_r(L->ctx, g);
	return geo_polygonal_only(L, snapped, failed);
}

int geo_check_valid(geo_loader *L, const GEOSGeometry *g, const char *what, const char *code)
{
	char v = GEOSisValid_r(L->ctx, g);
	if (v == 1)
		return 1;
	char *why = v == 0 ? GEOSisValidReason_r(L->ctx, g) : NULL;
	yj_fail(L->e, YJ_EINTERNAL, NULL, "%s %s is not a valid shape: %s", what, code,
	        why ? why : L->geos_error);
	GEOSFree_r(L->ctx, why);
	return 0;
}

double geo_round_coord(double v)
{
	return round(v * 1e7) / 1e7; /* 1e-7 deg ~ 1 cm */
}

static void put_coord(strbuf *b, double v)
{
	char tmp[48];
	int n = snprintf(tmp, sizeof tmp, "%.7f", v); /* 1e-7 deg ~ 1 cm */
	while (n > 1 && tmp[n - 1] == '0')
		n--;
	if (n > 1 && tmp[n - 1] == '.')
		n--;
	strbuf_append(b, tmp, (size_t)n);
}

/* A ring as a GeoJSON position array, turned to the RFC 7946 winding. */
static int put_ring(geo_loader *L, strbuf *b, const GEOSGeometry *ring, bool want_ccw)
{
	const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(L->ctx, ring);
	unsigned int n;
	char is_ccw;
	if (!seq || !GEOSCoordSeq_getSize_r(L->ctx, seq, &n) || !GEOSCoordSeq_isCCW_r(L->ctx, seq, &is_ccw))
		return geo_geos_fail(L, "reading a ring");
	bool reverse = (is_ccw != 0) != want_ccw;
	strbuf_puts(b, "[");
	for (unsigned int i = 0; i < n; i++) {
		double x, y;
		if (!GEOSCoordSeq_getXY_r(L->ctx, seq, reverse ? n - 1 - i : i, &x, &y))
			return geo_geos_fail(L, "reading a ring");
		strbuf_puts(b, i ? ",[" : "[");
		put_coord(b, x);
		strbuf_puts(b, ",");
		put_coord(b, y);
		strbuf_puts(b, "]");
	}
	strbuf_puts(b, "]");
	return 0;
}

/* A polygon's rings: exterior counter-clockwise, holes clockwise (RFC 7946 3.1.6). */
static int put_polygon(geo_loader *L, strbuf *b, const GEOSGeometry *poly)
{
	strbuf_puts(b, "[");
	if (put_ring(L, b, GEOSGetExteriorRing_r(L->ctx, poly), true) != 0)
		return -1;
	int holes = GEOSGetNumInteriorRings_r(L->ctx, poly);
	for (int i = 0; i < holes; i++) {
		strbuf_puts(b, ",");
		if (put_ring(L, b, GEOSGetInteriorRingN_r(L->ctx, poly, i), false) != 0)
			return -1;
	}
	strbuf_puts(b, "]");
	return 0;
}

/* GeoJSON text of a Polygon or MultiPolygon into L->geojson. */
int geo_write_geojson(geo_loader *L, const GEOSGeometry *g)
{
	strbuf *b = &L->geojson;
	b->len = 0;
	if (GEOSGeomTypeId_r(L->ctx, g) == GEOS_POLYGON) {
		strbuf_puts(b, "{\"type\":\"Polygon\",\"coordinates\":");
		if (put_polygon(L, b, g) != 0)
			return -1;
	} else {
		strbuf_puts(b, "{\"type\":\"MultiPolygon\",\"coordinates\":[");
		int n = GEOSGetNumGeometries_r(L->ctx, g);
		for (int i = 0; i < n; i++) {
			if (i)
				strbuf_puts(b, ",");
			if (put_polygon(L, b, GEOSGetGeometryN_r(L->ctx, g, i)) != 0)
				return -1;
		}
		strbuf_puts(b, "]");
	}
	strbuf_puts(b, "}");
	return 0;
}

/* A point inside g (GEOS PointOnSurface). */
int geo_point_inside(geo_loader *L, const GEOSGeometry *g, double *lon, double *lat)
{
	GEOSGeometry *pt = GEOSPointOnSurface_r(L->ctx, g);
	int ok = pt && GEOSGeomGetX_r(L->ctx, pt, lon) && GEOSGeomGetY_r(L->ctx, pt, lat);
	if (pt)
		GEOSGeom_destroy_r(L->ctx, pt);
	return ok ? 0 : geo_geos_fail(L, "finding a point inside an area");
}

