/*
 * geo_counties.c — the counties and the city of the area tree: county
 * boundaries from DataV GeoAtlas (GCJ-02, converted to WGS84, made valid),
 * the far-off islands that only DataV's simplified city file has added to
 * their county, and the city as the union of its counties. Each becomes a
 * row of `area` through geo_insert_area.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

static const char *county_kind(const char *name)
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
		GEOSGeometry *geom = geo_polygonal_only(L, wgs, &failed);
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
	L->counties = yj_realloc(L->counties, (L->county_count + 1) * sizeof *L->counties);
	geo_county *c = &L->counties[L->county_count++];
	memset(c, 0, sizeof *c);
	snprintf(c->code, sizeof c->code, "%s", code);
	snprintf(c->name, sizeof c->name, "%s", name);
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
	GEOSGeometry *islands = GEOSGeom_createCollection_r(L->ctx, GEOS_GEOMETRYCOLLECTION, far, n);
	GEOSGeometry *both = islands ? GEOSUnion_r(L->ctx, c->geom, islands) : NULL;
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

int geo_store_city_and_counties(geo_loader *L)
{
	/* the city: the union of its counties */
	GEOSGeometry **parts = yj_calloc(L->county_count ? L->county_count : 1, sizeof *parts);
	for (size_t i = 0; i < L->county_count; i++)
		parts[i] = GEOSGeom_clone_r(L->ctx, L->counties[i].geom);
	GEOSGeometry *all = GEOSGeom_createCollection_r(L->ctx, GEOS_GEOMETRYCOLLECTION, parts,
							(unsigned)L->county_count);
	free(parts);
	if (!all)
		return geo_geos_fail(L, "collecting the counties");
	bool failed;
	L->city = geo_polygonal_only(L, GEOSUnaryUnion_r(L->ctx, all), &failed);
	GEOSGeom_destroy_r(L->ctx, all);
	if (!L->city)
		return geo_geos_fail(L, "union of the counties");

	geo_area_row city = {
		.code = GEO_DEMO_CITY_CODE,
		.level = GEO_LEVEL_CITY,
		.name = GEO_DEMO_CITY_NAME,
		.kind = "地级市",
		.note = "boundary: union of the county boundaries (DataV GeoAtlas, GCJ-02 converted to WGS84); "
			"includes the far-off islands of 城区 (东沙群岛), so the bbox is much larger than the "
			"mainland; point: a point inside the boundary",
		.has_point = true,
		.point_source = "centroid",
		.geom = L->city,
	};
	if (geo_point_inside(L, L->city, &city.lon, &city.lat) != 0 || geo_insert_area(L, &city) != 0)
		return -1;

	for (size_t i = 0; i < L->county_count; i++) {
		geo_county *c = &L->counties[i];
		strbuf note;
		strbuf_init(&note);
		geo_note_add(&note, "boundary: DataV GeoAtlas (GCJ-02, converted to WGS84)");
		geo_area_row row = {
			.code = c->code,
			.parent = GEO_DEMO_CITY_CODE,
			.level = GEO_LEVEL_COUNTY,
			.name = c->name,
			.kind = county_kind(c->name),
			.has_point = true,
			.point_source = "centroid",
			.geom = c->geom,
		};
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
			row.lon = c->center_lon;
			row.lat = c->center_lat;
			geo_note_add(&note, "point: the county seat (DataV center)");
		} else if (geo_point_inside(L, c->geom, &row.lon, &row.lat) != 0) {
			strbuf_free(&note);
			return -1;
		} else {
			geo_note_add(&note, "point: a point inside the boundary");
		}
		if (c->far_islands)
			geo_note_add(&note, "plus %d far-off island polygons (东沙群岛 and others) from DataV's simplified "
					"city file, which the detailed file leaves out: the bbox spans them, fit map "
					"views to the mainland", c->far_islands);
		row.note = note.data;
		int rc = geo_insert_area(L, &row);
		strbuf_free(&note);
		if (rc != 0)
			return -1;
	}
	return 0;
}

