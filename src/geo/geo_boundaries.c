/*
 * geo_boundaries.c — the boundaries yingji serves, made once from the
 * source files and committed as data/geo/shanwei_boundaries_wgs84.geojson
 * (`make boundaries` runs tools/geo_boundaries.c, which calls this). The
 * loader (geo_areas.c) stores that file as it is; tests/unit/test_geo.c
 * checks that it is what this code makes from the sources, and that every
 * shape in it is valid and follows the right-hand rule.
 *
 * The repair, in order, in WGS84 on the 1e-7 degree grid the file is
 * written on:
 *   1. each county: GCJ-02 -> WGS84, made valid (GEOSMakeValid) where the
 *      source is not, far-off islands added, snapped to the grid
 *      (geo_counties.c);
 *   2. the counties made to tile the city: an overlap of two counties stays
 *      with the lower code, the city is their union without the sliver
 *      holes where the sources' borders do not meet, and each such gap goes
 *      to the county it shares the longest border with (geo_counties.c);
 *   3. towns: the Voronoi cell of each town point, clipped to its county;
 *   4. each shape checked valid (GEOSisValid), normalised (GEOSNormalize),
 *      and written with exterior rings counter-clockwise and holes
 *      clockwise (RFC 7946 §3.1.6).
 * Every overlay runs at the grid's precision (GEOS's *Prec functions), so
 * the coordinates written are the ones that were checked: rounding a shape
 * after an overlay can fold a thin sliver into a self-intersection or turn
 * a tiny hole's winding.
 *
 * The file is a FeatureCollection, one feature a line (so that a change
 * reads as a diff), each with the properties the loader stores: code,
 * parent, level, name, note (and for the city and counties kind, point,
 * point_source; for towns approximate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

/*
 * Approximate town boundaries for one county: the Voronoi diagram of its town
 * points, each cell clipped to the county. The diagram is built over (at
 * least) the county's envelope, so the clipped cells cover the county.
 */
static int town_cells_for_county(geo_loader *L, geo_county *c)
{
	geo_town *sites[128];
	bool matched[128] = {false};
	size_t n = 0;
	for (size_t i = 0; i < L->town_count; i++) {
		if (L->towns[i].county != c || !L->towns[i].has_point)
			continue;
		if (n == YJ_ARRAY_LEN(sites))
			return yj_fail(L->e, YJ_EINTERNAL, NULL, "county %s has more than %zu town points", c->code,
				       YJ_ARRAY_LEN(sites));
		sites[n++] = &L->towns[i];
	}
	if (n == 0)
		return 0;
	bool failed;
	if (n == 1) {
		sites[0]->cell = GEOSGeom_clone_r(L->ctx, c->geom);
		return sites[0]->cell ? 0 : geo_geos_fail(L, "town boundary");
	}
	GEOSGeometry *points[128];
	for (size_t i = 0; i < n; i++) {
		points[i] = GEOSGeom_createPointFromXY_r(L->ctx, sites[i]->lon, sites[i]->lat);
		if (!points[i]) {
			while (i > 0)
				GEOSGeom_destroy_r(L->ctx, points[--i]);
			return geo_geos_fail(L, "town point");
		}
	}
	GEOSGeometry *multi = GEOSGeom_createCollection_r(L->ctx, GEOS_MULTIPOINT, points, (unsigned)n);
	if (!multi) {
		for (size_t i = 0; i < n; i++)
			GEOSGeom_destroy_r(L->ctx, points[i]);
		return geo_geos_fail(L, "town points");
	}
	GEOSGeometry *diagram = GEOSVoronoiDiagram_r(L->ctx, multi, c->geom, 0.0, 0);
	int rc = 0;
	if (!diagram) {
		rc = geo_geos_fail(L, "Voronoi diagram of the town points");
		goto out;
	}
	/* GEOS 3.11 does not keep the input order: match each cell to the site inside it. */
	int cells = GEOSGetNumGeometries_r(L->ctx, diagram);
	for (int k = 0; k < cells && rc == 0; k++) {
		const GEOSGeometry *cell = GEOSGetGeometryN_r(L->ctx, diagram, k);
		for (size_t i = 0; i < n; i++) {
			if (matched[i] || GEOSIntersects_r(L->ctx, cell, GEOSGetGeometryN_r(L->ctx, multi, (int)i)) != 1)
				continue;
			matched[i] = true;
			sites[i]->cell = geo_polygonal_only(L, GEOSIntersectionPrec_r(L->ctx, cell, c->geom, GEO_GRID),
			                                    &failed);
			if (failed)
				rc = geo_geos_fail(L, "clipping a town cell to its county");
			else if (!sites[i]->cell)
				geo_note_add(&sites[i]->cell_note, "its Voronoi cell lies outside the county: no boundary");
			break;
		}
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		if (!matched[i])
			geo_note_add(&sites[i]->cell_note, "shares its point with another town: no boundary");
out:
	if (diagram)
		GEOSGeom_destroy_r(L->ctx, diagram);
	GEOSGeom_destroy_r(L->ctx, multi);
	return rc;
}

/* One feature, a line of its own: g (NULL: none) checked valid, normalised, RFC 7946 winding. Steals props. */
static int put_feature(geo_loader *L, strbuf *out, json_t *props, const GEOSGeometry *g)
{
	const char *code = json_string_value(json_object_get(props, "code"));
	int rc = -1;
	char *text = NULL;
	GEOSGeometry *norm = NULL;
	if (g) {
		if (!geo_check_valid(L, g, "the boundary of", code))
			goto out;
		if (!(norm = GEOSGeom_clone_r(L->ctx, g)) || GEOSNormalize_r(L->ctx, norm) != 0) {
			geo_geos_fail(L, "normalising a boundary");
			goto out;
		}
		if (geo_write_geojson(L, norm) != 0)
			goto out;
	}
	text = json_dumps(props, JSON_COMPACT | JSON_REAL_PRECISION(10));
	if (!text) {
		yj_fail(L->e, YJ_EINTERNAL, NULL, "area %s: properties are not JSON", code);
		goto out;
	}
	strbuf_printf(out, "%s{\"type\":\"Feature\",\"id\":\"%s\",\"properties\":%s,\"geometry\":",
	              out->data[out->len - 1] == '\n' ? "" : ",\n", code, text);
	if (g)
		strbuf_append(out, L->geojson.data, L->geojson.len);
	else
		strbuf_puts(out, "null");
	strbuf_puts(out, "}");
	rc = 0;
out:
	free(text);
	if (norm)
		GEOSGeom_destroy_r(L->ctx, norm);
	json_decref(props);
	return rc;
}

/* The city and its counties, with their label points and notes. */
static int put_city_and_counties(geo_loader *L, strbuf *out)
{
	double lon, lat;
	if (geo_point_inside(L, L->city, &lon, &lat) != 0)
		return -1;
	json_t *city = json_pack(
		"{s:s, s:n, s:i, s:s, s:s, s:s, s:[f,f], s:s}", "code", GEO_DEMO_CITY_CODE, "parent", "level",
		GEO_LEVEL_CITY, "name", GEO_DEMO_CITY_NAME, "kind", "地级市", "note",
		"boundary: union of the county boundaries (DataV GeoAtlas, GCJ-02 converted to WGS84), without the "
		"gaps where their borders do not meet; includes the far-off islands of 城区 (东沙群岛), so the bbox is "
		"much larger than the mainland; point: a point inside the boundary",
		"point", geo_round_coord(lon), geo_round_coord(lat), "point_source", "centroid");
	if (put_feature(L, out, city, L->city) != 0)
		return -1;
	for (size_t i = 0; i < L->county_count; i++) {
		geo_county *c = &L->counties[i];
		strbuf note;
		strbuf_init(&note);
		geo_note_add(&note, "boundary: DataV GeoAtlas (GCJ-02, converted to WGS84)");
		if (c->overlap_km2 >= 0.001)
			geo_note_add(&note, "repaired: %.3f km² where it overlapped a neighbouring county of a lower code "
			                    "left to that county", c->overlap_km2);
		if (c->gap_km2 >= 0.001)
			geo_note_add(&note, "repaired: %.3f km² of gaps between its border and its neighbours' taken in",
			             c->gap_km2);
		int rc = geo_county_point(L, c, &lon, &lat, &note);
		if (rc == 0 && c->far_islands)
			geo_note_add(&note, "plus %d far-off island polygons (东沙群岛 and others) from DataV's simplified "
			                    "city file, which the detailed file leaves out: the bbox spans them, fit map "
			                    "views to the mainland", c->far_islands);
		if (rc == 0)
			rc = put_feature(L, out,
			                 json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:[f,f], s:s}", "code", c->code, "parent",
			                           GEO_DEMO_CITY_CODE, "level", GEO_LEVEL_COUNTY, "name", c->name, "kind",
			                           geo_county_kind(c->name), "note", note.data, "point",
			                           geo_round_coord(lon), geo_round_coord(lat), "point_source", "centroid"),
			                 c->geom);
		strbuf_free(&note);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int put_towns(geo_loader *L, strbuf *out)
{
	for (size_t i = 0; i < L->county_count; i++)
		if (town_cells_for_county(L, &L->counties[i]) != 0)
			return -1;
	for (size_t i = 0; i < L->town_count; i++) {
		geo_town *w = &L->towns[i];
		if (!w->has_point)
			continue; /* no cell: the loader says why */
		if (w->cell)
			geo_note_add(&w->cell_note, strcmp(w->point_source, "seat") == 0
			                                    ? "approximate: Voronoi cell around the town seat, clipped to "
			                                      "the county"
			                                    : "approximate: Voronoi cell around the town's proxy point, "
			                                      "clipped to the county");
		json_t *props = json_pack("{s:s, s:s, s:i, s:s, s:s, s:b}", "code", w->code, "parent", w->county->code,
		                          "level", GEO_LEVEL_TOWN, "name", w->name, "note",
		                          w->cell_note.data ? w->cell_note.data : "", "approximate", w->cell != NULL);
		if (put_feature(L, out, props, w->cell) != 0)
			return -1;
	}
	return 0;
}

int geo_boundaries_make(strbuf *out, yj_err *e)
{
	geo_loader L;
	if (geo_loader_start(&L, NULL, e) != 0)
		return -1;
	out->len = 0;
	strbuf_puts(out, "{\"type\":\"FeatureCollection\",\"features\":[\n");
	int rc = -1;
	if (geo_load_counties(&L) == 0 && geo_tile_counties(&L) == 0 && geo_load_towns(&L) == 0 &&
	    geo_load_town_points(&L) == 0 && put_city_and_counties(&L, out) == 0 && put_towns(&L, out) == 0) {
		strbuf_puts(out, "\n]}\n");
		rc = 0;
	}
	geo_loader_end(&L);
	return rc;
}
