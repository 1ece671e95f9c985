/*
 * geo_areas.c — the built-in area tree of the demo city (汕尾 Shanwei), from
 * the embedded data files (geo_data.c) to rows of table `area`.
 *
 * The tree has four levels: city (市) > county (县/市/区) > town (镇/街道,
 * township level) > village (村/社区). Codes are the statistical codes
 * (GB/T 2260 + NBS): 6 digits for city and county, 9 for towns, 12 for
 * villages. Every code starts with its parent's prefix (geo_code_prefix_len:
 * the city's is "4415", the others their whole code), because jurisdiction
 * in yingji is "this code prefix".
 *
 * Where each piece comes from (see data/README.md for provenance):
 *   counties  real boundaries (DataV GeoAtlas, GCJ-02 -> WGS84 here), plus
 *             the far-off islands only the simplified city file has;
 *   city      the GEOS union of the four counties;
 *   towns     NBS 2022 list; point = seat, else a proxy (mean of village
 *             points); boundary = APPROXIMATE: the Voronoi cell around the
 *             town point, clipped to the county (no town boundaries are
 *             public). The cells of a county cover the whole county, so far
 *             islands fall to the nearest town point;
 *   villages  NBS 2016 list (points for a few), re-coded where the town's
 *             code changed since 2016; no village boundaries.
 *
 * "special" marks towns that are not among the bureau's regular towns and
 * streets: the 类似乡级单位 (华侨管理区, farms, forest farms, development
 * zone) and the four 海丰 towns run by the 深汕特别合作区.
 *
 * This file does not index anything (geo_index.c does) and runs no SQL but
 * one INSERT; the caller owns the transaction.
 */
#include <errno.h>
#include <geos_c.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"

/* ---- facts about the demo data that are not in the files ------------------ */

static const char DEMO_CITY_CODE[] = "441500";
static const char DEMO_CITY_NAME[] = "汕尾市";

/* The four 海丰县 towns administered by the 深汕特别合作区 (Shenzhen). */
static const struct {
	const char *code, *name;
} shenshan_towns[] = {
	{"441521102", "小漠镇"},
	{"441521103", "鹅埠镇"},
	{"441521104", "赤石镇"},
	{"441521105", "鮜门镇"},
};

/* Town codes that changed between the 2016 village list and the 2022 town list. */
static const struct {
	const char *old_code, *new_code;
} town_recodes[] = {
	{"441521116", "441521103"}, /* 鹅埠镇 */
	{"441521117", "441521104"}, /* 赤石镇 */
};

static const char KIND_SIMILAR_TOWN[] = "类似乡级单位";

/* ---- CSV ------------------------------------------------------------------ */

/*
 * An embedded CSV file read with yj_csv (base/csv.c). Row 0 of csv is the
 * header; every record must have the header's number of cells.
 */
typedef struct csv_table {
	const char *file;
	yj_csv csv;
	size_t rows;   /* data rows, header excluded */
	size_t ncols;
} csv_table;

static void csv_free(csv_table *t)
{
	yj_csv_free(&t->csv);
	memset(t, 0, sizeof *t);
}

static int csv_load(csv_table *t, const char *file, yj_err *e)
{
	memset(t, 0, sizeof *t);
	t->file = file;
	size_t len;
	const char *src = geo_data_file(file, &len);
	if (!src)
		return yj_fail(e, YJ_EINTERNAL, NULL, "embedded data file %s is missing", file);
	yj_err ce = {0};
	if (yj_csv_parse(src, len, &t->csv, &ce) != 0)
		return yj_fail(e, YJ_EINTERNAL, NULL, "%s: %s", file, ce.message);
	if (t->csv.rows == 0) {
		csv_free(t);
		return yj_fail(e, YJ_EINTERNAL, NULL, "%s is empty", file);
	}
	t->ncols = yj_csv_row_cols(&t->csv, 0);
	for (size_t r = 1; r < t->csv.rows; r++) {
		size_t fields = yj_csv_row_cols(&t->csv, r);
		if (fields != t->ncols) {
			long line = yj_csv_row_line(&t->csv, r);
			csv_free(t);
			return yj_fail(e, YJ_EINTERNAL, NULL, "%s line %ld: %zu fields, the header has %zu", file,
				       line, fields, t->ncols);
		}
	}
	t->rows = t->csv.rows - 1;
	return 0;
}

/* Column index of a header name, or -1 with *e filled. */
static int csv_col(const csv_table *t, const char *name, yj_err *e)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(yj_csv_cell(&t->csv, 0, i), name) == 0)
			return (int)i;
	return yj_fail(e, YJ_EINTERNAL, NULL, "%s has no column '%s'", t->file, name);
}

static const char *csv_get(const csv_table *t, size_t row, int col)
{
	return yj_csv_cell(&t->csv, row + 1, (size_t)col);
}

/* Finds the data row whose column col equals value; -1 when none. */
static long csv_find(const csv_table *t, int col, const char *value)
{
	for (size_t r = 0; r < t->rows; r++)
		if (strcmp(csv_get(t, r, col), value) == 0)
			return (long)r;
	return -1;
}

static bool all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * A lon/lat pair from two cells, converted to WGS84 when crs says GCJ02.
 * Returns 0, or -1 with *e naming file and row.
 */
static int csv_point(const csv_table *t, size_t row, int c_lon, int c_lat, int c_crs, double *lon,
		     double *lat, yj_err *e)
{
	const char *s_lon = csv_get(t, row, c_lon), *s_lat = csv_get(t, row, c_lat);
	char *end_lon, *end_lat;
	errno = 0;
	double x = strtod(s_lon, &end_lon);
	double y = strtod(s_lat, &end_lat);
	if (errno || *end_lon || *end_lat || !*s_lon || !*s_lat || !isfinite(x) || !isfinite(y) || x < -180 ||
	    x > 180 || y < -90 || y > 90)
		return yj_fail(e, YJ_EINTERNAL, NULL, "%s row %zu: '%s,%s' is not a lon/lat", t->file, row + 2,
			       s_lon, s_lat);
	const char *crs = c_crs >= 0 ? csv_get(t, row, c_crs) : "GCJ02";
	if (strcmp(crs, "GCJ02") == 0)
		geo_gcj02_to_wgs84(x, y, lon, lat);
	else if (strcmp(crs, "WGS84") == 0)
		*lon = x, *lat = y;
	else
		return yj_fail(e, YJ_EINTERNAL, NULL, "%s row %zu: unknown crs '%s'", t->file, row + 2, crs);
	return 0;
}

/* ---- notes ------------------------------------------------------------------ */

/* Appends a sentence to a note, separated by "; ". */
static void note_add(strbuf *note, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_add(strbuf *note, const char *fmt, ...)
{
	if (note->len)
		strbuf_puts(note, "; ");
	va_list ap;
	va_start(ap, fmt);
	char tmp[512];
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	strbuf_puts(note, tmp);
}

/* ---- the loader ------------------------------------------------------------- */

typedef struct county {
	char code[7];
	char name[64];
	GEOSGeometry *geom;   /* WGS84, valid, polygonal */
	bool has_center;
	double center_lon, center_lat; /* DataV "center" (the seat), WGS84 */
	int far_islands;               /* island polygons added from the simplified file */
} county;

typedef struct town {
	char code[10];
	char name[64];
	char kind[32];
	county *county;
	int special;
	strbuf note;
	bool has_point;
	double lon, lat;
	const char *point_source; /* "seat" | "proxy" | "" */
	GEOSGeometry *cell;       /* approximate boundary, or NULL */
} town;

typedef struct loader {
	GEOSContextHandle_t ctx;
	char geos_error[256];
	sqlite3 *db;
	sqlite3_stmt *insert;
	strbuf geojson; /* scratch for one row's geometry */
	county *counties;
	size_t county_count;
	town *towns;
	size_t town_count;
	GEOSGeometry *city;
	yj_err *e;
} loader;

static void geos_error_handler(const char *message, void *userdata)
{
	loader *L = userdata;
	snprintf(L->geos_error, sizeof L->geos_error, "%s", message);
}

static int geos_fail(loader *L, const char *what)
{
	return yj_fail(L->e, YJ_EINTERNAL, NULL, "%s: %s", what, L->geos_error[0] ? L->geos_error : "GEOS error");
}

static county *county_find(loader *L, const char *code)
{
	for (size_t i = 0; i < L->county_count; i++)
		if (strcmp(L->counties[i].code, code) == 0)
			return &L->counties[i];
	return NULL;
}

static town *town_find(loader *L, const char *code)
{
	for (size_t i = 0; i < L->town_count; i++)
		if (strcmp(L->towns[i].code, code) == 0)
			return &L->towns[i];
	return NULL;
}

/* ---- geometry helpers ------------------------------------------------------- */

static int gcj02_to_wgs84_cb(double *x, double *y, void *userdata)
{
	geo_gcj02_to_wgs84(*x, *y, x, y);
	return 1;
}

/* Collects clones of the polygons in g (recursing into collections). */
static int collect_polygons(loader *L, const GEOSGeometry *g, GEOSGeometry ***parts, size_t *n, size_t *cap)
{
	int type = GEOSGeomTypeId_r(L->ctx, g);
	if (type == GEOS_POLYGON) {
		if (GEOSisEmpty_r(L->ctx, g))
			return 0;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			GEOSGeometry **grown = realloc(*parts, *cap * sizeof *grown);
			if (!grown)
				return -1;
			*parts = grown;
		}
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
static GEOSGeometry *polygonal_only(loader *L, GEOSGeometry *g, bool *failed)
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

static double round_coord(double v)
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
static int put_ring(loader *L, strbuf *b, const GEOSGeometry *ring, bool want_ccw)
{
	const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(L->ctx, ring);
	unsigned int n;
	char is_ccw;
	if (!seq || !GEOSCoordSeq_getSize_r(L->ctx, seq, &n) || !GEOSCoordSeq_isCCW_r(L->ctx, seq, &is_ccw))
		return geos_fail(L, "reading a ring");
	bool reverse = (is_ccw != 0) != want_ccw;
	strbuf_puts(b, "[");
	for (unsigned int i = 0; i < n; i++) {
		double x, y;
		if (!GEOSCoordSeq_getXY_r(L->ctx, seq, reverse ? n - 1 - i : i, &x, &y))
			return geos_fail(L, "reading a ring");
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
static int put_polygon(loader *L, strbuf *b, const GEOSGeometry *poly)
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
static int write_geojson(loader *L, const GEOSGeometry *g)
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
static int point_inside(loader *L, const GEOSGeometry *g, double *lon, double *lat)
{
	GEOSGeometry *pt = GEOSPointOnSurface_r(L->ctx, g);
	int ok = pt && GEOSGeomGetX_r(L->ctx, pt, lon) && GEOSGeomGetY_r(L->ctx, pt, lat);
	if (pt)
		GEOSGeom_destroy_r(L->ctx, pt);
	return ok ? 0 : geos_fail(L, "finding a point inside an area");
}

/* ---- writing rows ------------------------------------------------------------ */

typedef struct area_row {
	const char *code;
	const char *parent; /* NULL for the city */
	int level;
	const char *name;
	const char *kind;
	int special;
	const char *note;
	bool has_point;
	double lon, lat;
	const char *point_source;
	const GEOSGeometry *geom; /* NULL when unknown */
	int geom_approx;
} area_row;

static int insert_area(loader *L, const area_row *r)
{
	sqlite3_stmt *st = L->insert;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_text(st, 1, r->code, -1, SQLITE_STATIC);
	if (r->parent)
		sqlite3_bind_text(st, 2, r->parent, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, r->level);
	sqlite3_bind_text(st, 4, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, r->special);
	sqlite3_bind_text(st, 7, r->note ? r->note : "", -1, SQLITE_STATIC);
	/* points and boxes rounded like the GeoJSON coordinates (1e-7 deg, ~1 cm) */
	double lon = round_coord(r->lon), lat = round_coord(r->lat);
	if (r->has_point) {
		sqlite3_bind_double(st, 8, lon);
		sqlite3_bind_double(st, 9, lat);
	}
	sqlite3_bind_text(st, 10, r->point_source ? r->point_source : "", -1, SQLITE_STATIC);
	if (r->geom) {
		if (write_geojson(L, r->geom) != 0)
			return -1;
		sqlite3_bind_text(st, 11, L->geojson.data, (int)L->geojson.len, SQLITE_STATIC);
		double xmin, ymin, xmax, ymax;
		if (!GEOSGeom_getExtent_r(L->ctx, r->geom, &xmin, &ymin, &xmax, &ymax))
			return geos_fail(L, "bounding box");
		sqlite3_bind_double(st, 13, round_coord(xmin));
		sqlite3_bind_double(st, 14, round_coord(ymin));
		sqlite3_bind_double(st, 15, round_coord(xmax));
		sqlite3_bind_double(st, 16, round_coord(ymax));
	} else if (r->has_point) {
		sqlite3_bind_double(st, 13, lon);
		sqlite3_bind_double(st, 14, lat);
		sqlite3_bind_double(st, 15, lon);
		sqlite3_bind_double(st, 16, lat);
	}
	sqlite3_bind_int(st, 12, r->geom_approx);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return yj_fail(L->e, YJ_EINTERNAL, NULL, "could not store area %s %s: %s", r->code, r->name,
			       sqlite3_errmsg(L->db));
	return 0;
}

/* ---- counties and city ------------------------------------------------------- */

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
typedef int (*feature_fn)(loader *L, const char *file, const char *code, const char *name, json_t *props,
			  GEOSGeometry *geom);

static int read_features(loader *L, const char *file, feature_fn fn)
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
		if (!all_digits(code, 6)) {
			yj_fail(L->e, YJ_EINTERNAL, NULL, "%s feature %zu: bad adcode %s", file, i, code);
			goto out;
		}
		char *geom_text = json_dumps(geometry, JSON_COMPACT);
		GEOSGeometry *gcj = geom_text ? GEOSGeoJSONReader_readGeometry_r(L->ctx, reader, geom_text) : NULL;
		free(geom_text);
		if (!gcj) {
			geos_fail(L, "reading a boundary");
			goto out;
		}
		GEOSGeometry *wgs = GEOSGeom_transformXY_r(L->ctx, gcj, gcj02_to_wgs84_cb, NULL);
		GEOSGeom_destroy_r(L->ctx, gcj);
		if (wgs && GEOSisValid_r(L->ctx, wgs) != 1) {
			GEOSGeometry *fixed = GEOSMakeValid_r(L->ctx, wgs);
			GEOSGeom_destroy_r(L->ctx, wgs);
			wgs = fixed;
		}
		bool failed;
		GEOSGeometry *geom = polygonal_only(L, wgs, &failed);
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
static int county_from_feature(loader *L, const char *file, const char *code, const char *name, json_t *props,
			       GEOSGeometry *geom)
{
	if (strncmp(code, DEMO_CITY_CODE, 4) != 0 || county_find(L, code)) {
		GEOSGeom_destroy_r(L->ctx, geom);
		return yj_fail(L->e, YJ_EINTERNAL, NULL, "%s: county %s is repeated or not in the city", file, code);
	}
	county *grown = realloc(L->counties, (L->county_count + 1) * sizeof *grown);
	if (!grown) {
		GEOSGeom_destroy_r(L->ctx, geom);
		return yj_fail(L->e, YJ_EINTERNAL, NULL, "out of memory");
	}
	L->counties = grown;
	county *c = &L->counties[L->county_count++];
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

static int far_islands_from_feature(loader *L, const char *file, const char *code, const char *name,
				    json_t *props, GEOSGeometry *geom)
{
	county *c = county_find(L, code);
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
	GEOSGeometry *merged = polygonal_only(L, both, &failed);
	if (!merged)
		return geos_fail(L, "adding far-off islands to a county");
	GEOSGeom_destroy_r(L->ctx, c->geom);
	c->geom = merged;
	c->far_islands = (int)n;
	return 0;
}

static int load_counties(loader *L)
{
	if (read_features(L, "shanwei_counties_gcj02.geojson", county_from_feature) != 0)
		return -1;
	if (L->county_count == 0)
		return yj_fail(L->e, YJ_EINTERNAL, NULL, "no county boundaries");
	return read_features(L, "441500_full_datav_gcj02.json", far_islands_from_feature);
}

static int store_city_and_counties(loader *L)
{
	/* the city: the union of its counties */
	GEOSGeometry **parts = calloc(L->county_count, sizeof *parts);
	if (!parts)
		return yj_fail(L->e, YJ_EINTERNAL, NULL, "out of memory");
	for (size_t i = 0; i < L->county_count; i++)
		parts[i] = GEOSGeom_clone_r(L->ctx, L->counties[i].geom);
	GEOSGeometry *all = GEOSGeom_createCollection_r(L->ctx, GEOS_GEOMETRYCOLLECTION, parts,
							(unsigned)L->county_count);
	free(parts);
	if (!all)
		return geos_fail(L, "collecting the counties");
	bool failed;
	L->city = polygonal_only(L, GEOSUnaryUnion_r(L->ctx, all), &failed);
	GEOSGeom_destroy_r(L->ctx, all);
	if (!L->city)
		return geos_fail(L, "union of the counties");

	area_row city = {
		.code = DEMO_CITY_CODE,
		.level = GEO_LEVEL_CITY,
		.name = DEMO_CITY_NAME,
		.kind = "地级市",
		.note = "boundary: union of the county boundaries (DataV GeoAtlas, GCJ-02 converted to WGS84); "
			"includes the far-off islands of 城区 (东沙群岛), so the bbox is much larger than the "
			"mainland; point: a point inside the boundary",
		.has_point = true,
		.point_source = "centroid",
		.geom = L->city,
	};
	if (point_inside(L, L->city, &city.lon, &city.lat) != 0 || insert_area(L, &city) != 0)
		return -1;

	for (size_t i = 0; i < L->county_count; i++) {
		county *c = &L->counties[i];
		strbuf note;
		strbuf_init(&note);
		note_add(&note, "boundary: DataV GeoAtlas (GCJ-02, converted to WGS84)");
		area_row row = {
			.code = c->code,
			.parent = DEMO_CITY_CODE,
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
			note_add(&note, "point: the county seat (DataV center)");
		} else if (point_inside(L, c->geom, &row.lon, &row.lat) != 0) {
			strbuf_free(&note);
			return -1;
		} else {
			note_add(&note, "point: a point inside the boundary");
		}
		if (c->far_islands)
			note_add(&note, "plus %d far-off island polygons (东沙群岛 and others) from DataV's simplified "
					"city file, which the detailed file leaves out: the bbox spans them, fit map "
					"views to the mainland", c->far_islands);
		row.note = note.data;
		int rc = insert_area(L, &row);
		strbuf_free(&note);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* ---- towns ------------------------------------------------------------------- */

static int load_towns(loader *L)
{
	csv_table t;
	if (csv_load(&t, "shanwei_towns.csv", L->e) != 0)
		return -1;
	int rc = -1;
	int c_code = csv_col(&t, "code", L->e), c_name = csv_col(&t, "name", L->e),
	    c_county = csv_col(&t, "county_code", L->e), c_city = csv_col(&t, "city_code", L->e),
	    c_kind = csv_col(&t, "kind", L->e);
	if (c_code < 0 || c_name < 0 || c_county < 0 || c_city < 0 || c_kind < 0)
		goto out;
	L->towns = calloc(t.rows ? t.rows : 1, sizeof *L->towns);
	if (!L->towns) {
		yj_fail(L->e, YJ_EINTERNAL, NULL, "out of memory");
		goto out;
	}
	for (size_t r = 0; r < t.rows; r++) {
		const char *code = csv_get(&t, r, c_code), *county_code = csv_get(&t, r, c_county);
		county *c = county_find(L, county_code);
		if (!all_digits(code, 9) || strncmp(code, county_code, 6) != 0 ||
		    strncmp(csv_get(&t, r, c_city), DEMO_CITY_CODE, 4) != 0 || town_find(L, code)) {
			yj_fail(L->e, YJ_EINTERNAL, NULL, "shanwei_towns.csv row %zu: bad or repeated code %s", r + 2,
				code);
			goto out;
		}
		if (!c) {
			yj_fail(L->e, YJ_EINTERNAL, NULL, "town %s: county %s has no boundary", code, county_code);
			goto out;
		}
		town *w = &L->towns[L->town_count++];
		snprintf(w->code, sizeof w->code, "%s", code);
		snprintf(w->name, sizeof w->name, "%s", csv_get(&t, r, c_name));
		snprintf(w->kind, sizeof w->kind, "%s", csv_get(&t, r, c_kind));
		w->county = c;
		w->point_source = "";
		strbuf_init(&w->note);
		if (strcmp(code + 6, "400") == 0) {
			/* 华侨管理区 has a town-level government of its own; counting it makes the
			 * report's "全市51个镇街" (63 - 8 类似乡级单位 - 4 深汕 towns = 51) */
			note_add(&w->note, "类似乡级单位 with its own town-level administration (华侨管理区): "
					   "counted among the report's 51 towns/streets");
		} else if (strcmp(w->kind, KIND_SIMILAR_TOWN) == 0) {
			w->special = 1;
			note_add(&w->note, "类似乡级单位 (华侨管理区, farm, forest farm or development zone): not one "
					   "of the bureau's regular towns/streets");
		}
		for (size_t i = 0; i < YJ_ARRAY_LEN(shenshan_towns); i++) {
			if (strcmp(code, shenshan_towns[i].code) != 0)
				continue;
			if (strcmp(w->name, shenshan_towns[i].name) != 0) {
				yj_fail(L->e, YJ_EINTERNAL, NULL, "town %s is %s, expected %s", code, w->name,
					shenshan_towns[i].name);
				goto out;
			}
			w->special = 1;
			note_add(&w->note, "administered by the 深汕特别合作区 (Shenzhen-Shanwei Special Cooperation "
					   "Zone), not by the county: not one of the bureau's regular towns/streets");
		}
		for (size_t i = 0; i < YJ_ARRAY_LEN(town_recodes); i++)
			if (strcmp(code, town_recodes[i].new_code) == 0)
				note_add(&w->note, "2016 code %s", town_recodes[i].old_code);
	}
	rc = 0;
out:
	csv_free(&t);
	return rc;
}

/* Town points: the seat where known, else a proxy. */
static int load_town_points(loader *L)
{
	static const struct {
		const char *file, *source;
	} sources[] = {
		{"shanwei_town_seats_gcj02.csv", "seat"},
		{"shanwei_town_proxies_gcj02.csv", "proxy"},
	};
	for (size_t s = 0; s < YJ_ARRAY_LEN(sources); s++) {
		csv_table t;
		if (csv_load(&t, sources[s].file, L->e) != 0)
			return -1;
		int c_code = csv_col(&t, "code", L->e), c_lon = csv_col(&t, "lon", L->e),
		    c_lat = csv_col(&t, "lat", L->e), c_crs = csv_col(&t, "crs", L->e);
		int c_n = strcmp(sources[s].source, "proxy") == 0 ? csv_col(&t, "n_points", L->e) : 0;
		if (c_code < 0 || c_lon < 0 || c_lat < 0 || c_crs < 0 || c_n < 0) {
			csv_free(&t);
			return -1;
		}
		for (size_t r = 0; r < t.rows; r++) {
			town *w = town_find(L, csv_get(&t, r, c_code));
			if (!w) {
				yj_fail(L->e, YJ_EINTERNAL, NULL, "%s row %zu: unknown town %s", t.file, r + 2,
					csv_get(&t, r, c_code));
				csv_free(&t);
				return -1;
			}
			if (w->has_point)
				continue; /* a seat beats a proxy */
			if (csv_point(&t, r, c_lon, c_lat, c_crs, &w->lon, &w->lat, L->e) != 0) {
				csv_free(&t);
				return -1;
			}
			w->has_point = true;
			w->point_source = sources[s].source;
			if (strcmp(sources[s].source, "proxy") == 0)
				note_add(&w->note,
					 "point: a proxy, the mean of %s village point(s) (the seat is not known)",
					 csv_get(&t, r, c_n));
		}
		csv_free(&t);
	}
	return 0;
}

/*
 * Approximate town boundaries for one county: the Voronoi diagram of its town
 * points, each cell clipped to the county. The diagram is built over (at
 * least) the county's envelope, so the clipped cells cover the county.
 */
static int town_cells_for_county(loader *L, county *c)
{
	town *sites[128];
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
		return sites[0]->cell ? 0 : geos_fail(L, "town boundary");
	}
	GEOSGeometry *points[128];
	for (size_t i = 0; i < n; i++) {
		points[i] = GEOSGeom_createPointFromXY_r(L->ctx, sites[i]->lon, sites[i]->lat);
		if (!points[i]) {
			while (i > 0)
				GEOSGeom_destroy_r(L->ctx, points[--i]);
			return geos_fail(L, "town point");
		}
	}
	GEOSGeometry *multi = GEOSGeom_createCollection_r(L->ctx, GEOS_MULTIPOINT, points, (unsigned)n);
	if (!multi) {
		for (size_t i = 0; i < n; i++)
			GEOSGeom_destroy_r(L->ctx, points[i]);
		return geos_fail(L, "town points");
	}
	GEOSGeometry *diagram = GEOSVoronoiDiagram_r(L->ctx, multi, c->geom, 0.0, 0);
	int rc = 0;
	if (!diagram) {
		rc = geos_fail(L, "Voronoi diagram of the town points");
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
			sites[i]->cell = polygonal_only(L, GEOSIntersection_r(L->ctx, cell, c->geom), &failed);
			if (failed)
				rc = geos_fail(L, "clipping a town cell to its county");
			else if (!sites[i]->cell)
				note_add(&sites[i]->note, "its Voronoi cell lies outside the county: no boundary");
			break;
		}
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		if (!matched[i])
			note_add(&sites[i]->note, "shares its point with another town: no boundary");
out:
	if (diagram)
		GEOSGeom_destroy_r(L->ctx, diagram);
	GEOSGeom_destroy_r(L->ctx, multi);
	return rc;
}

static int store_towns(loader *L)
{
	for (size_t i = 0; i < L->county_count; i++)
		if (town_cells_for_county(L, &L->counties[i]) != 0)
			return -1;
	for (size_t i = 0; i < L->town_count; i++) {
		town *w = &L->towns[i];
		if (w->cell)
			note_add(&w->note, strcmp(w->point_source, "seat") == 0
						   ? "approximate: Voronoi cell around the town seat, clipped to the county"
						   : "approximate: Voronoi cell around the town's proxy point, clipped to "
						     "the county");
		else if (!w->has_point)
			note_add(&w->note, "no seat or other point known, so no approximate boundary");
		area_row row = {
			.code = w->code,
			.parent = w->county->code,
			.level = GEO_LEVEL_TOWN,
			.name = w->name,
			.kind = w->kind,
			.special = w->special,
			.note = w->note.data,
			.has_point = w->has_point,
			.lon = w->lon,
			.lat = w->lat,
			.point_source = w->point_source,
			.geom = w->cell,
			.geom_approx = w->cell != NULL,
		};
		if (insert_area(L, &row) != 0)
			return -1;
	}
	return 0;
}

/* ---- villages ---------------------------------------------------------------- */

/* 村 or 社区: from the name (村委会/村民委员会, 居委会/居民委员会), else the NBS code class. */
static const char *village_kind(const char *name, const char *code)
{
	if (strstr(name, "居委") || strstr(name, "居民委员会"))
		return "社区";
	if (strstr(name, "村委") || strstr(name, "村民委员会"))
		return "村";
	/* NBS: 001-199 居委会, 200-399 村委会, 400-499 类似居委会, 500-599 类似村委会 */
	char c = code[9];
	return (c == '0' || c == '1' || c == '4') ? "社区" : "村";
}

static int store_villages(loader *L)
{
	csv_table v, p;
	if (csv_load(&v, "shanwei_villages_2016.csv", L->e) != 0)
		return -1;
	if (csv_load(&p, "shanwei_village_points_gcj02.csv", L->e) != 0) {
		csv_free(&v);
		return -1;
	}
	int rc = -1;
	strbuf note;
	strbuf_init(&note);
	int c_code = csv_col(&v, "code", L->e), c_name = csv_col(&v, "name", L->e),
	    c_town = csv_col(&v, "town_code", L->e);
	int p_code = csv_col(&p, "code", L->e), p_lon = csv_col(&p, "lon", L->e), p_lat = csv_col(&p, "lat", L->e),
	    p_crs = csv_col(&p, "crs", L->e);
	if (c_code < 0 || c_name < 0 || c_town < 0 || p_code < 0 || p_lon < 0 || p_lat < 0 || p_crs < 0)
		goto out;
	for (size_t r = 0; r < v.rows; r++) {
		const char *code2016 = csv_get(&v, r, c_code), *town2016 = csv_get(&v, r, c_town);
		const char *name = csv_get(&v, r, c_name);
		if (!all_digits(code2016, 12) || strncmp(code2016, town2016, 9) != 0) {
			yj_fail(L->e, YJ_EINTERNAL, NULL, "%s row %zu: code %s does not start with its town %s",
				v.file, r + 2, code2016, town2016);
			goto out;
		}
		note.len = 0;
		if (note.data)
			note.data[0] = 0;
		char code[13], town_code[10];
		snprintf(code, sizeof code, "%s", code2016);
		snprintf(town_code, sizeof town_code, "%s", town2016);
		for (size_t i = 0; i < YJ_ARRAY_LEN(town_recodes); i++) {
			if (strcmp(town2016, town_recodes[i].old_code) == 0) {
				memcpy(town_code, town_recodes[i].new_code, 9);
				memcpy(code, town_code, 9); /* keep code prefix = parent code */
				note_add(&note, "2016 code %s (town re-coded %s -> %s)", code2016,
					 town_recodes[i].old_code, town_recodes[i].new_code);
			}
		}
		const char *parent = town_code;
		if (!town_find(L, town_code)) {
			/* The 2016 town is gone from the current list: hang the village
			 * under its county, whose code is still its prefix. */
			char county_code[7];
			snprintf(county_code, sizeof county_code, "%.6s", town_code);
			county *c = county_find(L, county_code);
			if (!c) {
				yj_fail(L->e, YJ_EINTERNAL, NULL, "village %s: neither town %s nor its county exists",
					code, town_code);
				goto out;
			}
			parent = c->code;
			note_add(&note, "its 2016 town %s is not in the current town list: placed directly under "
					"the county", town2016);
		}
		if (code[9] == '4' || code[9] == '5')
			note_add(&note, "%s (NBS: a living area of a farm or forest farm, not a village proper)",
				 code[9] == '4' ? "类似居委会" : "类似村委会");
		area_row row = {
			.code = code,
			.parent = parent,
			.level = GEO_LEVEL_VILLAGE,
			.name = name,
			.kind = village_kind(name, code),
			.note = note.data ? note.data : "",
			.point_source = "",
		};
		long pr = csv_find(&p, p_code, code2016);
		if (pr >= 0) {
			if (csv_point(&p, (size_t)pr, p_lon, p_lat, p_crs, &row.lon, &row.lat, L->e) != 0)
				goto out;
			row.has_point = true;
			row.point_source = "village_point";
		}
		if (insert_area(L, &row) != 0)
			goto out;
	}
	rc = 0;
out:
	strbuf_free(&note);
	csv_free(&v);
	csv_free(&p);
	return rc;
}

/* ---- entry ----------------------------------------------------------------- */

size_t geo_code_prefix_len(int level)
{
	switch (level) {
	case GEO_LEVEL_CITY: return 4;    /* 441500 -> "4415" */
	case GEO_LEVEL_COUNTY: return 6;
	case GEO_LEVEL_TOWN: return 9;
	case GEO_LEVEL_VILLAGE: return 12;
	}
	return 0;
}

int geo_areas_load(sqlite3 *db, yj_err *e)
{
	loader L = {.db = db, .e = e};
	strbuf_init(&L.geojson);
	int rc = -1;
	L.ctx = GEOS_init_r();
	if (!L.ctx)
		return yj_fail(e, YJ_EINTERNAL, NULL, "could not start GEOS");
	GEOSContext_setErrorMessageHandler_r(L.ctx, geos_error_handler, &L);
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO area(code, parent, level, name, kind, special, note, lon, lat, "
			       "point_source, geom, geom_approx, min_lon, min_lat, max_lon, max_lat) "
			       "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
			       -1, &L.insert, NULL) != SQLITE_OK) {
		yj_fail(e, YJ_EINTERNAL, NULL, "could not prepare the area insert: %s", sqlite3_errmsg(db));
		goto out;
	}
	if (load_counties(&L) != 0 || load_towns(&L) != 0 || load_town_points(&L) != 0 ||
	    store_city_and_counties(&L) != 0 || store_towns(&L) != 0 || store_villages(&L) != 0)
		goto out;
	rc = 0;
out:
	sqlite3_finalize(L.insert);
	for (size_t i = 0; i < L.town_count; i++) {
		strbuf_free(&L.towns[i].note);
		if (L.towns[i].cell)
			GEOSGeom_destroy_r(L.ctx, L.towns[i].cell);
	}
	free(L.towns);
	for (size_t i = 0; i < L.county_count; i++)
		GEOSGeom_destroy_r(L.ctx, L.counties[i].geom);
	free(L.counties);
	if (L.city)
		GEOSGeom_destroy_r(L.ctx, L.city);
	strbuf_free(&L.geojson);
	GEOS_finish_r(L.ctx);
	return rc;
}
