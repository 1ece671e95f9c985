/*
 * test_geo.c — unit tests for src/geo: GCJ-02 -> WGS84, the embedded data
 * files, the served boundaries (the committed file is what the repair
 * makes from the sources; every stored boundary is valid and follows the
 * right-hand rule; counties tile the city, towns their county), the
 * built-in area tree loaded through the store (counts, codes, parents,
 * geometry: raw checks of the stored rows), the area directory and the
 * area API's details, and point lookup, including several threads on a
 * freshly built index.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <geos_c.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "geo/geo.h"

typedef struct fixture {
	char path[64];
	store *s;
	geo_index *ix;
} fixture;

/* The single integer a query returns (raw checks of the stored rows). */
static long long query_int(store *s, const char *sql)
{
	int64_t v = 0;
	yj_err e = {0};
	if (store_get_int(s, &v, &e, sql) != 1)
		fail_msg("%s: %s", sql, e.message);
	return v;
}

static int group_setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->path, sizeof f->path, "/tmp/yj-geo-XXXXXX");
	int fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	yj_err e = {0};
	if (store_open(f->path, &e) != 0)
		fail_msg("store_open: %s", e.message);
	f->s = store_thread();
	assert_int_equal(store_begin(f->s, &e), 0);
	double t0 = (double)clock() / CLOCKS_PER_SEC;
	if (geo_areas_load(f->s, &e) != 0)
		fail_msg("geo_areas_load: %s", e.message);
	double t1 = (double)clock() / CLOCKS_PER_SEC;
	assert_int_equal(store_commit(f->s, &e), 0);
	f->ix = geo_index_build(f->s, &e);
	if (!f->ix)
		fail_msg("geo_index_build: %s", e.message);
	double t2 = (double)clock() / CLOCKS_PER_SEC;
	printf("# geo: load %.0f ms, index %.0f ms (CPU, sanitizer build)\n", (t1 - t0) * 1e3, (t2 - t1) * 1e3);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	fixture *f = *state;
	geo_index_free(f->ix);
	geo_area_dir_invalidate();
	store_close_all();
	char p[80];
	unlink(f->path);
	snprintf(p, sizeof p, "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", f->path);
	unlink(p);
	free(f);
	return 0;
}

/* ---- GCJ-02 ---------------------------------------------------------------- */

static void test_gcj02_matches_derived_file(void **state)
{
	/* vertices of shared/data/geo/shanwei_counties_gcj02.geojson and the same
	 * vertices in shanwei_counties_wgs84_derived.geojson (6 decimals) */
	static const double pairs[][4] = {
		{115.580169, 22.804807, 115.575618, 22.807777}, /* 城区, first vertex */
		{115.49591, 22.681953, 115.491137, 22.68476},   /* 城区 */
		{115.625246, 22.706815, 115.620712, 22.709816}, /* 城区, an island */
		{115.163364, 23.01255, 115.158482, 23.015145},  /* 海丰县 */
		{115.111409, 22.78466, 115.106481, 22.787283},  /* 海丰县, 2nd polygon */
		{115.426529, 23.23506, 115.421552, 23.237507},  /* 陆河县 */
		{115.609125, 23.468706, 115.604549, 23.471463}, /* 陆河县 */
		{116.016028, 22.933887, 116.011399, 22.936595}, /* 陆丰市 */
		{115.969571, 22.792384, 115.965076, 22.795282}, /* 陆丰市, an island */
	};
	for (size_t i = 0; i < YJ_ARRAY_LEN(pairs); i++) {
		double lon, lat;
		geo_gcj02_to_wgs84(pairs[i][0], pairs[i][1], &lon, &lat);
		if (fabs(lon - pairs[i][2]) > 1e-5 || fabs(lat - pairs[i][3]) > 1e-5)
			fail_msg("vertex %zu: got %.7f,%.7f want %.6f,%.6f", i, lon, lat, pairs[i][2], pairs[i][3]);
		/* and the forward formula takes it back */
		double glon, glat;
		geo_wgs84_to_gcj02(lon, lat, &glon, &glat);
		assert_true(fabs(glon - pairs[i][0]) < 1e-9 && fabs(glat - pairs[i][1]) < 1e-9);
	}
}

static void test_gcj02_outside_china_unchanged(void **state)
{
	double lon, lat;
	geo_gcj02_to_wgs84(2.3522, 48.8566, &lon, &lat); /* Paris */
	assert_true(lon == 2.3522 && lat == 48.8566);
	geo_gcj02_to_wgs84(-74.006, 40.7128, &lon, &lat);
	assert_true(lon == -74.006 && lat == 40.7128);
	geo_gcj02_to_wgs84(NAN, 22.0, &lon, &lat);
	assert_true(isnan(lon));
}

/* ---- embedded data ------------------------------------------------------------ */

static void test_data_files(void **state)
{
	size_t len = 0;
	const char *towns = geo_data_file("shanwei_towns.csv", &len);
	assert_non_null(towns);
	assert_true(len > 1000);
	assert_int_equal(strlen(towns), len);
	assert_memory_equal(towns, "code,name,", 10);
	const char *geo = geo_data_file("shanwei_counties_gcj02.geojson", &len);
	assert_non_null(geo);
	assert_int_equal(strlen(geo), len);
	assert_int_equal(geo[len - 1] == '}' || geo[len - 1] == '\n', 1);
	assert_null(geo_data_file("nope.csv", &len));
	assert_null(geo_data_file(NULL, NULL));
}

/* ---- the area tree ---------------------------------------------------------------- */

static void test_area_counts(void **state)
{
	store *db = ((fixture *)*state)->s;
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 1"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 2"), 4);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 3"), 63);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 4"), 891);
	/* 63 townships - 8 类似乡级单位 (陆丰 farms, forest farms, zone) - 4 深汕 towns = the
	 * report's 51 镇街; 华侨管理区 (441581400) has its own town-level administration */
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 3 AND special = 0"), 51);
	assert_int_equal(query_int(db, "SELECT special FROM area WHERE code = '441581400'"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 3 AND special = 1"), 12);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 3 AND special = 1 "
				       "AND kind = '类似乡级单位' AND note LIKE '%类似乡级单位%'"), 8);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE special = 1 AND note LIKE '%深汕%' "
				       "AND code IN ('441521102','441521103','441521104','441521105')"), 4);
	assert_int_equal(query_int(db, "SELECT special FROM area WHERE code = '441521101'"), 0); /* 梅陇镇 */
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 3 AND kind = '街道'"), 10);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 4 AND kind IN ('村','社区')"), 891);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 2 AND kind IN "
				       "('市辖区','县','县级市')"), 4);
}

static void test_area_codes_and_parents(void **state)
{
	store *db = ((fixture *)*state)->s;
	/* every parent exists, every code starts with its parent's code */
	assert_int_equal(query_int(db, "SELECT count(*) FROM area a LEFT JOIN area p ON p.code = a.parent "
				       "WHERE a.parent IS NOT NULL AND p.code IS NULL"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE parent IS NULL"), 1);
	/* the city 441500 shares "4415" with its counties; below it the whole parent code */
	assert_int_equal(geo_code_prefix_len(GEO_LEVEL_CITY), 4);
	assert_int_equal(geo_code_prefix_len(GEO_LEVEL_TOWN), 9);
	assert_int_equal(geo_code_prefix_len(7), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area a JOIN area p ON p.code = a.parent "
				       "WHERE substr(a.code, 1, CASE p.level WHEN 1 THEN 4 ELSE length(p.code) END) "
				       "<> substr(p.code, 1, CASE p.level WHEN 1 THEN 4 ELSE length(p.code) END)"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level >= 3 "
				       "AND substr(code, 1, length(parent)) <> parent"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area a JOIN area p ON p.code = a.parent "
				       "WHERE a.level = 4 AND p.level = 3 AND substr(a.code, 1, 9) <> p.code"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE length(code) <> "
				       "CASE WHEN level <= 2 THEN 6 WHEN level = 3 THEN 9 ELSE 12 END"), 0);
	/* villages sit under a town, except the 4 of 2016's 梅陇农场 (441521450), gone from the 2022 list */
	assert_int_equal(query_int(db, "SELECT count(*) FROM area v JOIN area p ON p.code = v.parent "
				       "WHERE v.level = 4 AND p.level <> 3"), 4);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 4 AND parent = '441521' "
				       "AND code LIKE '441521450%' AND note LIKE '%441521450%'"), 4);
	/* 鹅埠 441521116 -> 441521103, 赤石 441521117 -> 441521104 */
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE code LIKE '441521116%' "
				       "OR code LIKE '441521117%'"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE parent = '441521103' "
				       "AND note LIKE '2016 code 441521116%'"), 11);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE parent = '441521104' "
				       "AND note LIKE '2016 code 441521117%'"), 13);
}

static void test_area_points_and_geometry(void **state)
{
	store *db = ((fixture *)*state)->s;
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 3 AND point_source = 'seat'"), 52);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 3 AND point_source = 'proxy'"), 4);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 3 AND lon IS NULL "
				       "AND geom IS NULL AND point_source = ''"), 7);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 3 AND geom IS NOT NULL "
				       "AND geom_approx = 1 AND note LIKE '%approximate: Voronoi cell%'"), 56);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 4 AND point_source = "
				       "'village_point' AND lon IS NOT NULL"), 90);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level = 4 AND geom IS NOT NULL"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE level <= 2 AND geom IS NOT NULL "
				       "AND geom_approx = 0 AND point_source = 'centroid' AND lon IS NOT NULL"), 5);
	/* bbox for every row with a geometry or a point, and the point inside it */
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE (geom IS NOT NULL OR lon IS NOT NULL) "
				       "AND (min_lon IS NULL OR max_lat IS NULL OR lon < min_lon OR lon > max_lon "
				       "OR lat < min_lat OR lat > max_lat)"), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE geom IS NULL AND lon IS NULL "
				       "AND min_lon IS NOT NULL"), 0);
	/* 城区 keeps the far islands (东沙群岛 ~116.7E 20.6N) */
	assert_int_equal(query_int(db, "SELECT count(*) FROM area WHERE code IN ('441500', '441502') "
				       "AND max_lon > 116.7 AND min_lat < 20.7"), 2);
	/* WGS84, not GCJ-02: the converted 城区 vertex of test_gcj02_matches_derived_file */
	assert_int_equal(query_int(db, "SELECT instr(geom, '[115.5756') > 0 FROM area WHERE code = '441502'"), 1);
}

/* One area's boundary read back with GEOS (through the directory's geo_area_geometry). */
static GEOSGeometry *read_geom(GEOSContextHandle_t ctx, store *s, const char *code)
{
	yj_err e = {0};
	char *text = geo_area_geometry(s, code, &e);
	assert_non_null(text);
	GEOSGeoJSONReader *r = GEOSGeoJSONReader_create_r(ctx);
	GEOSGeometry *g = GEOSGeoJSONReader_readGeometry_r(ctx, r, text);
	GEOSGeoJSONReader_destroy_r(ctx, r);
	free(text);
	assert_non_null(g);
	return g;
}

static void test_town_cells_cover_their_county(void **state)
{
	store *db = ((fixture *)*state)->s;
	GEOSContextHandle_t ctx = GEOS_init_r();
	static const char *counties[] = {"441502", "441521", "441523", "441581"};
	double city_sum = 0;
	for (size_t c = 0; c < YJ_ARRAY_LEN(counties); c++) {
		GEOSGeometry *county = read_geom(ctx, db, counties[c]);
		double county_area, towns_area = 0;
		assert_true(GEOSArea_r(ctx, county, &county_area));
		city_sum += county_area;
		yj_err e = {0};
		store_q *st = store_query(db, &e, "SELECT code FROM area WHERE parent = ? AND geom IS NOT NULL", counties[c]);
		assert_non_null(st);
		GEOSGeometry *parts[64];
		unsigned n = 0;
		while (store_step(st, &e) > 0 && n < 64) {
			parts[n] = read_geom(ctx, db, store_col_text(st, 0));
			double a;
			assert_true(GEOSArea_r(ctx, parts[n], &a));
			towns_area += a;
			n++;
		}
		store_done(st);
		assert_true(n > 1);
		/* no overlaps (areas add up) and no gaps (nothing of the county left over) */
		if (fabs(towns_area - county_area) / county_area > 1e-6)
			fail_msg("county %s: towns %.9f vs county %.9f", counties[c], towns_area, county_area);
		GEOSGeometry *all = GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, parts, n);
		GEOSGeometry *u = GEOSUnaryUnion_r(ctx, all);
		GEOSGeometry *left = GEOSDifference_r(ctx, county, u);
		double left_area;
		assert_true(GEOSArea_r(ctx, left, &left_area));
		if (left_area / county_area > 1e-6)
			fail_msg("county %s: %.3g of it is in no town cell", counties[c], left_area / county_area);
		GEOSGeom_destroy_r(ctx, left);
		GEOSGeom_destroy_r(ctx, u);
		GEOSGeom_destroy_r(ctx, all);
		GEOSGeom_destroy_r(ctx, county);
	}
	GEOSGeometry *city = read_geom(ctx, db, "441500");
	double city_area;
	assert_true(GEOSArea_r(ctx, city, &city_area));
	/* the counties tile the city: their areas add up to it (no overlap, no gap) */
	if (fabs(city_area - city_sum) / city_sum > 1e-6)
		fail_msg("city %.9f vs its counties %.9f", city_area, city_sum);
	GEOSGeom_destroy_r(ctx, city);
	GEOS_finish_r(ctx);
}

/* ---- the served boundaries ----------------------------------------------------------------------- */

/* Twice the signed area of a GeoJSON ring (> 0: counter-clockwise), from the text's own numbers. */
static double ring_area2(json_t *ring)
{
	double a = 0;
	for (size_t i = 0; i + 1 < json_array_size(ring); i++) {
		json_t *p = json_array_get(ring, i), *q = json_array_get(ring, i + 1);
		a += json_number_value(json_array_get(p, 0)) * json_number_value(json_array_get(q, 1)) -
		     json_number_value(json_array_get(q, 0)) * json_number_value(json_array_get(p, 1));
	}
	return a;
}

/* RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise; "" or what is wrong. */
static void winding_problem(const char *geojson, char *why, size_t cap)
{
	why[0] = 0;
	json_t *g = json_loads(geojson, 0, NULL);
	if (!g) {
		snprintf(why, cap, "not JSON");
		return;
	}
	bool multi = strcmp(json_string_value(json_object_get(g, "type")), "MultiPolygon") == 0;
	json_t *coords = json_object_get(g, "coordinates");
	size_t np = multi ? json_array_size(coords) : 1;
	for (size_t i = 0; i < np && !why[0]; i++) {
		json_t *poly = multi ? json_array_get(coords, i) : coords;
		for (size_t k = 0; k < json_array_size(poly) && !why[0]; k++) {
			double a = ring_area2(json_array_get(poly, k));
			if (k == 0 ? a <= 0 : a >= 0)
				snprintf(why, cap, "polygon %zu ring %zu: %s (twice the area %.3g)", i, k,
				         k == 0 ? "exterior ring not counter-clockwise" : "hole not clockwise", a);
		}
	}
	json_decref(g);
}

/*
 * Every boundary the server stores (and so serves): the city, the 4
 * counties and the 56 towns that have a point (7 towns have none, so no
 * cell): valid for GEOS and wound by the right-hand rule. The city was
 * invalid (a self-intersection at 115.5537379 22.8440689) with a hole wound
 * counter-clockwise (polygon 12, ring 8) when it was rounded after its union.
 */
static void test_every_boundary_valid_and_right_handed(void **state)
{
	store *db = ((fixture *)*state)->s;
	GEOSContextHandle_t ctx = GEOS_init_r();
	GEOSGeoJSONReader *reader = GEOSGeoJSONReader_create_r(ctx);
	yj_err e = {0};
	store_q *q = store_query(db, &e, "SELECT code, level, geom FROM area WHERE geom IS NOT NULL ORDER BY code");
	assert_non_null(q);
	int n = 0, by_level[5] = {0};
	while (store_step(q, &e) > 0) {
		const char *code = store_col_text(q, 0), *text = store_col_text(q, 2);
		GEOSGeometry *g = GEOSGeoJSONReader_readGeometry_r(ctx, reader, text);
		if (!g)
			fail_msg("%s: GEOS cannot read its boundary", code);
		if (GEOSisValid_r(ctx, g) != 1) {
			char *why = GEOSisValidReason_r(ctx, g);
			fail_msg("%s: invalid boundary: %s", code, why);
		}
		char why[160];
		winding_problem(text, why, sizeof why);
		if (why[0])
			fail_msg("%s: %s", code, why);
		GEOSGeom_destroy_r(ctx, g);
		by_level[store_col_int(q, 1)]++;
		n++;
	}
	assert_int_equal(by_level[GEO_LEVEL_CITY], 1);
	assert_int_equal(by_level[GEO_LEVEL_COUNTY], 4);
	assert_int_equal(by_level[GEO_LEVEL_TOWN], 56);
	assert_int_equal(n, 61);
	/* the city has no sliver holes left where the counties' borders did not meet */
	GEOSGeometry *city = read_geom(ctx, db, "441500");
	for (int i = 0; i < GEOSGetNumGeometries_r(ctx, city); i++)
		assert_int_equal(GEOSGetNumInteriorRings_r(ctx, GEOSGetGeometryN_r(ctx, city, i)), 0);
	GEOSGeom_destroy_r(ctx, city);
	GEOSGeoJSONReader_destroy_r(ctx, reader);
	GEOS_finish_r(ctx);
}

/* a's and b's geometry members cover the same ground (to 1e-9 of the area) */
static bool same_ground(GEOSContextHandle_t ctx, json_t *a, json_t *b)
{
	if (json_is_null(a) || json_is_null(b))
		return json_is_null(a) && json_is_null(b);
	char *ta = json_dumps(a, 0), *tb = json_dumps(b, 0);
	GEOSGeoJSONReader *r = GEOSGeoJSONReader_create_r(ctx);
	GEOSGeometry *ga = GEOSGeoJSONReader_readGeometry_r(ctx, r, ta), *gb = GEOSGeoJSONReader_readGeometry_r(ctx, r, tb);
	GEOSGeometry *d = ga && gb ? GEOSSymDifference_r(ctx, ga, gb) : NULL;
	double da = 1, area = 0;
	bool same = d && GEOSArea_r(ctx, d, &da) && GEOSArea_r(ctx, ga, &area) && da <= 1e-9 * area;
	GEOSGeom_destroy_r(ctx, d);
	GEOSGeom_destroy_r(ctx, ga);
	GEOSGeom_destroy_r(ctx, gb);
	GEOSGeoJSONReader_destroy_r(ctx, r);
	free(ta);
	free(tb);
	return same;
}

/*
 * The committed data/geo/shanwei_boundaries_wgs84.geojson is what the
 * repair (geo_boundaries_make) makes from the source files: to the byte
 * with this GEOS, else feature by feature to 1e-9 of each area (another
 * GEOS may place a vertex differently).
 */
static void test_boundaries_file_is_the_repair(void **state)
{
	strbuf made;
	strbuf_init(&made);
	yj_err e = {0};
	if (geo_boundaries_make(&made, &e) != 0)
		fail_msg("geo_boundaries_make: %s", e.message);
	size_t len;
	const char *committed = geo_data_file("shanwei_boundaries_wgs84.geojson", &len);
	assert_non_null(committed);
	if (len == made.len && memcmp(committed, made.data, len) == 0) {
		strbuf_free(&made);
		return;
	}
	json_t *a = json_loads(made.data, 0, NULL), *b = json_loadb(committed, len, 0, NULL);
	assert_non_null(a);
	assert_non_null(b);
	json_t *fa = json_object_get(a, "features"), *fb = json_object_get(b, "features");
	if (json_array_size(fa) != json_array_size(fb))
		fail_msg("%zu features made, %zu committed: run `make boundaries` and commit the file",
		         json_array_size(fa), json_array_size(fb));
	GEOSContextHandle_t ctx = GEOS_init_r();
	for (size_t i = 0; i < json_array_size(fa); i++) {
		json_t *x = json_array_get(fa, i), *y = json_array_get(fb, i);
		json_t *px = json_deep_copy(json_object_get(x, "properties")), *py = json_deep_copy(json_object_get(y, "properties"));
		json_t *ptx = json_object_get(px, "point"), *pty = json_object_get(py, "point");
		bool near = json_array_size(ptx) == json_array_size(pty);
		for (size_t k = 0; k < json_array_size(ptx); k++)
			near &= fabs(json_number_value(json_array_get(ptx, k)) - json_number_value(json_array_get(pty, k))) < 1e-6;
		json_object_del(px, "point");
		json_object_del(py, "point");
		if (!near || !json_equal(px, py) ||
		    !same_ground(ctx, json_object_get(x, "geometry"), json_object_get(y, "geometry")))
			fail_msg("feature %zu (%s) differs from what the sources make: run `make boundaries` and commit the file",
			         i, json_string_value(json_object_get(x, "id")));
		json_decref(px);
		json_decref(py);
	}
	GEOS_finish_r(ctx);
	json_decref(a);
	json_decref(b);
	strbuf_free(&made);
}

/* ---- the directory and the area API's details ------------------------------------------------- */

static bool count_child(const geo_area *a, void *ctx)
{
	(*(int *)ctx)++;
	return true;
}

static void test_area_directory_and_info(void **state)
{
	store *s = ((fixture *)*state)->s;
	int64_t n = 0;
	yj_err e = {0};
	assert_int_equal(geo_area_count(s, &n, &e), 1);
	assert_int_equal(n, 1 + 4 + 63 + 891);
	/* the directory reloaded after the load committed */
	const geo_area *a = geo_area_find("441502");
	assert_non_null(a);
	assert_string_equal(a->name, "城区");
	assert_string_equal(a->parent, "441500");
	assert_int_equal(a->level, GEO_LEVEL_COUNTY);
	assert_null(geo_area_find("4415020"));
	int towns = 0, counties = 0;
	geo_areas_each("441502", 0, count_child, &towns);
	geo_areas_each(NULL, GEO_LEVEL_COUNTY, count_child, &counties);
	assert_int_equal(towns, 10);
	assert_int_equal(counties, 4);

	geo_area_info info;
	assert_int_equal(geo_area_info_get(s, "441523", true, &info, &e), 1);
	assert_string_equal(info.name, "陆河县");
	assert_string_equal(info.parent, "441500");
	assert_true(info.has_geometry && info.has_bbox && info.has_point && !info.geometry_approximate);
	assert_int_equal(info.children, 8);
	assert_non_null(info.geometry);
	assert_non_null(strstr(info.geometry, "Polygon"));
	assert_true(info.bbox[0] <= info.lon && info.lon <= info.bbox[2]);
	geo_area_info_clear(&info);
	assert_int_equal(geo_area_info_get(s, "441523", false, &info, &e), 1);
	assert_null(info.geometry);
	assert_true(info.has_geometry);
	geo_area_info_clear(&info);
	assert_int_equal(geo_area_info_get(s, "441502001", false, &info, &e), 1);
	assert_true(info.geometry_approximate);
	assert_non_null(strstr(info.note, "Voronoi"));
	geo_area_info_clear(&info);
	assert_int_equal(geo_area_info_get(s, "441599", false, &info, &e), 0);
	geo_area_info_clear(&info);
}

/* ---- locate ---------------------------------------------------------------------- */

static void test_locate_known_points(void **state)
{
	const geo_index *ix = ((fixture *)*state)->ix;
	assert_int_equal(geo_index_count(ix), 1 + 4 + 56);
	char code[16];
	double lon, lat;

	/* the seat of 新港街道 in the city centre (GCJ-02 from the seats file) */
	geo_gcj02_to_wgs84(115.35972, 22.768086, &lon, &lat);
	assert_true(geo_locate(ix, lon, lat, code));
	assert_string_equal(code, "441502001");

	/* 陆河县's seat (DataV center), somewhere in one of its towns */
	geo_gcj02_to_wgs84(115.657565, 23.302682, &lon, &lat);
	assert_true(geo_locate(ix, lon, lat, code));
	assert_int_equal(strlen(code), 9);
	assert_memory_equal(code, "441523", 6);

	/* open sea */
	assert_false(geo_locate(ix, 114.0, 21.0, code));
	assert_string_equal(code, "");
	assert_false(geo_locate(ix, NAN, 22.0, code));
	assert_false(geo_locate(ix, 200.0, 22.0, code));
}

static void test_locate_town_points(void **state)
{
	fixture *f = *state;
	/* every seat lies in its own Voronoi cell, so it locates to its own town */
	yj_err e = {0};
	store_q *st = store_query(f->s, &e, "SELECT code, lon, lat FROM area WHERE level = 3 AND point_source = 'seat'");
	assert_non_null(st);
	int n = 0, rc;
	while ((rc = store_step(st, &e)) > 0) {
		const char *want = store_col_text(st, 0);
		char got[16];
		assert_true(geo_locate(f->ix, store_col_double(st, 1), store_col_double(st, 2), got));
		if (strcmp(got, want) != 0)
			fail_msg("seat of %s locates to %s", want, got);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 52);

	/* a point inside 城区's far island polygons goes to a 城区 town (the nearest seat's cell) */
	GEOSContextHandle_t ctx = GEOS_init_r();
	GEOSGeometry *chengqu = read_geom(ctx, f->s, "441502");
	int parts = GEOSGetNumGeometries_r(ctx, chengqu), islands = 0;
	for (int i = 0; i < parts; i++) {
		const GEOSGeometry *part = GEOSGetGeometryN_r(ctx, chengqu, i);
		double x0, y0, x1, y1;
		assert_true(GEOSGeom_getExtent_r(ctx, part, &x0, &y0, &x1, &y1));
		if (y1 > 21.2)
			continue;
		GEOSGeometry *inside = GEOSPointOnSurface_r(ctx, part);
		double x, y;
		assert_true(GEOSGeomGetX_r(ctx, inside, &x) && GEOSGeomGetY_r(ctx, inside, &y));
		GEOSGeom_destroy_r(ctx, inside);
		char got[16];
		assert_true(geo_locate(f->ix, x, y, got));
		assert_int_equal(strlen(got), 9);
		assert_memory_equal(got, "441502", 6);
		islands++;
	}
	assert_true(islands >= 2);
	GEOSGeom_destroy_r(ctx, chengqu);
	GEOS_finish_r(ctx);
}

/* ---- locate from several threads ---------------------------------------------------- */

enum { THREAD_POINTS = 10000, THREADS = 2 };

typedef struct thread_job {
	const geo_index *ix;
	const double (*points)[2];
	char (*codes)[16];
	pthread_barrier_t *start;
} thread_job;

static void *locate_worker(void *arg)
{
	thread_job *job = arg;
	pthread_barrier_wait(job->start);
	for (int i = 0; i < THREAD_POINTS; i++)
		geo_locate(job->ix, job->points[i][0], job->points[i][1], job->codes[i]);
	return NULL;
}

static void test_locate_threads(void **state)
{
	fixture *f = *state;
	static double points[THREAD_POINTS][2];
	static char expected[THREAD_POINTS][16];
	static char got[THREADS][THREAD_POINTS][16];
	uint64_t seed = 0x5eed2022;
	for (int i = 0; i < THREAD_POINTS; i++) {
		/* the city's mainland box and some sea around it */
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		points[i][0] = 114.85 + 1.3 * (double)(seed >> 11) / 9007199254740992.0;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		points[i][1] = 22.5 + 1.2 * (double)(seed >> 11) / 9007199254740992.0;
	}
	int found = 0;
	double t0 = (double)clock() / CLOCKS_PER_SEC;
	for (int i = 0; i < THREAD_POINTS; i++)
		found += geo_locate(f->ix, points[i][0], points[i][1], expected[i]);
	double t1 = (double)clock() / CLOCKS_PER_SEC;
	printf("# geo: %d/%d random points located, %.1f us per lookup (sanitizer build)\n", found, THREAD_POINTS,
	       (t1 - t0) * 1e6 / THREAD_POINTS);
	assert_true(found > THREAD_POINTS / 5 && found < THREAD_POINTS);

	/* a fresh index that no thread has used yet: the threads race for any lazy state */
	yj_err e = {0};
	geo_index *fresh = geo_index_build(f->s, &e);
	assert_non_null(fresh);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, THREADS);
	pthread_t tid[THREADS];
	thread_job jobs[THREADS];
	for (int t = 0; t < THREADS; t++) {
		jobs[t] = (thread_job){.ix = fresh, .points = (const double (*)[2])points, .codes = got[t], .start = &start};
		assert_int_equal(pthread_create(&tid[t], NULL, locate_worker, &jobs[t]), 0);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(tid[t], NULL);
	pthread_barrier_destroy(&start);
	geo_index_free(fresh);
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < THREAD_POINTS; i++)
			if (strcmp(got[t][i], expected[i]) != 0)
				fail_msg("thread %d point %d: %s vs %s", t, i, got[t][i], expected[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcj02_matches_derived_file),
		cmocka_unit_test(test_gcj02_outside_china_unchanged),
		cmocka_unit_test(test_data_files),
		cmocka_unit_test(test_area_counts),
		cmocka_unit_test(test_area_codes_and_parents),
		cmocka_unit_test(test_area_points_and_geometry),
		cmocka_unit_test(test_town_cells_cover_their_county),
		cmocka_unit_test(test_every_boundary_valid_and_right_handed),
		cmocka_unit_test(test_boundaries_file_is_the_repair),
		cmocka_unit_test(test_area_directory_and_info),
		cmocka_unit_test(test_locate_known_points),
		cmocka_unit_test(test_locate_town_points),
		cmocka_unit_test(test_locate_threads),
	};
	return cmocka_run_group_tests_name("geo", tests, group_setup, group_teardown);
}
