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
 *   city, counties  the served boundaries file (GEO_BOUNDARIES_FILE, made
 *             and repaired once by geo_boundaries.c from the DataV county
 *             boundaries): boundary, label point, kind and notes;
 *   towns     NBS 2022 list; point = seat, else a proxy (mean of village
 *             points); boundary = APPROXIMATE, from the same file: the
 *             Voronoi cell around the town point, clipped to the county (no
 *             town boundaries are public);
 *   villages  NBS 2016 list (points for a few), re-coded where the town's
 *             code changed since 2016; no village boundaries.
 * Each boundary is checked valid as it is stored; nothing is repaired here.
 *
 * "special" marks towns that are not among the bureau's regular towns and
 * streets: the 类似乡级单位 (华侨管理区, farms, forest farms, development
 * zone) and the four 海丰 towns run by the 深汕特别合作区.
 *
 * This file holds the loader's entry, the towns (which the boundary maker
 * reads too) and the villages. It does not index anything (geo_index.c
 * does) and runs no SQL: rows go to area_db.c, inside the caller's
 * transaction.
 */
#include <geos_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

/* ---- facts about the demo data that are not in the files ------------------ */

const char GEO_DEMO_CITY_CODE[] = "441500";
const char GEO_DEMO_CITY_NAME[] = "汕尾市";
const char GEO_BOUNDARIES_FILE[] = "shanwei_boundaries_wgs84.geojson";

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


/* ---- the loader ------------------------------------------------------------- */

static void geos_error_handler(const char *message, void *userdata)
{
	geo_loader *L = userdata;
	snprintf(L->geos_error, sizeof L->geos_error, "%s", message);
}

int geo_loader_start(geo_loader *L, store *s, yj_err *e)
{
	memset(L, 0, sizeof *L);
	L->s = s;
	L->e = e;
	strbuf_init(&L->geojson);
	L->ctx = GEOS_init_r();
	if (!L->ctx)
		return yj_fail(e, YJ_EINTERNAL, NULL, "could not start GEOS");
	GEOSContext_setErrorMessageHandler_r(L->ctx, geos_error_handler, L);
	return 0;
}

void geo_loader_end(geo_loader *L)
{
	for (size_t i = 0; i < L->town_count; i++) {
		strbuf_free(&L->towns[i].note);
		strbuf_free(&L->towns[i].cell_note);
		if (L->towns[i].cell)
			GEOSGeom_destroy_r(L->ctx, L->towns[i].cell);
	}
	free(L->towns);
	for (size_t i = 0; i < L->county_count; i++)
		if (L->counties[i].geom)
			GEOSGeom_destroy_r(L->ctx, L->counties[i].geom);
	free(L->counties);
	if (L->city)
		GEOSGeom_destroy_r(L->ctx, L->city);
	json_decref(L->boundaries);
	strbuf_free(&L->geojson);
	if (L->ctx)
		GEOS_finish_r(L->ctx);
	memset(L, 0, sizeof *L);
}

geo_county *geo_county_add(geo_loader *L, const char *code, const char *name)
{
	L->counties = yj_realloc(L->counties, (L->county_count + 1) * sizeof *L->counties);
	geo_county *c = &L->counties[L->county_count++];
	memset(c, 0, sizeof *c);
	snprintf(c->code, sizeof c->code, "%s", code);
	snprintf(c->name, sizeof c->name, "%s", name);
	return c;
}

geo_county *geo_county_find(geo_loader *L, const char *code)
{
	for (size_t i = 0; i < L->county_count; i++)
		if (strcmp(L->counties[i].code, code) == 0)
			return &L->counties[i];
	return NULL;
}

geo_town *geo_town_find(geo_loader *L, const char *code)
{
	for (size_t i = 0; i < L->town_count; i++)
		if (strcmp(L->towns[i].code, code) == 0)
			return &L->towns[i];
	return NULL;
}

/* ---- writing rows ------------------------------------------------------------ */

int geo_insert_area(geo_loader *L, const geo_area_row *r)
{
	/* points and boxes rounded like the GeoJSON coordinates (1e-7 deg, ~1 cm) */
	geo_area_record rec = {
		.code = r->code,
		.parent = r->parent,
		.level = r->level,
		.name = r->name,
		.kind = r->kind,
		.note = r->note ? r->note : "",
		.point_source = r->point_source ? r->point_source : "",
		.special = r->special,
		.has_point = r->has_point,
		.lon = geo_round_coord(r->lon),
		.lat = geo_round_coord(r->lat),
		.geom_approx = r->geom && r->geom_approx,
	};
	if (r->geom) {
		if (geo_write_geojson(L, r->geom) != 0)
			return -1;
		rec.geojson = L->geojson.data;
		rec.geojson_len = L->geojson.len;
		double xmin, ymin, xmax, ymax;
		if (!GEOSGeom_getExtent_r(L->ctx, r->geom, &xmin, &ymin, &xmax, &ymax))
			return geo_geos_fail(L, "bounding box");
		rec.has_bbox = true;
		rec.bbox[0] = geo_round_coord(xmin);
		rec.bbox[1] = geo_round_coord(ymin);
		rec.bbox[2] = geo_round_coord(xmax);
		rec.bbox[3] = geo_round_coord(ymax);
	} else if (r->has_point) {
		rec.has_bbox = true;
		rec.bbox[0] = rec.bbox[2] = rec.lon;
		rec.bbox[1] = rec.bbox[3] = rec.lat;
	}
	yj_err se = {0};
	if (geo_db_area_insert(L->s, &rec, &se))
		return yj_fail(L->e, se.code ? se.code : YJ_EINTERNAL, NULL, "could not store area %s %s: %s", r->code,
		               r->name, se.message);
	return 0;
}

/* ---- towns ------------------------------------------------------------------- */

int geo_load_towns(geo_loader *L)
{
	geo_csv t;
	if (geo_csv_load(&t, "shanwei_towns.csv", L->e) != 0)
		return -1;
	int rc = -1;
	int c_code = geo_csv_col(&t, "code", L->e), c_name = geo_csv_col(&t, "name", L->e),
	    c_county = geo_csv_col(&t, "county_code", L->e), c_city = geo_csv_col(&t, "city_code", L->e),
	    c_kind = geo_csv_col(&t, "kind", L->e);
	if (c_code < 0 || c_name < 0 || c_county < 0 || c_city < 0 || c_kind < 0)
		goto out;
	L->towns = yj_calloc(t.rows ? t.rows : 1, sizeof *L->towns);
	for (size_t r = 0; r < t.rows; r++) {
		const char *code = geo_csv_get(&t, r, c_code), *county_code = geo_csv_get(&t, r, c_county);
		geo_county *c = geo_county_find(L, county_code);
		if (!geo_all_digits(code, 9) || strncmp(code, county_code, 6) != 0 ||
		    strncmp(geo_csv_get(&t, r, c_city), GEO_DEMO_CITY_CODE, 4) != 0 || geo_town_find(L, code)) {
			yj_fail(L->e, YJ_EINTERNAL, NULL, "shanwei_towns.csv row %zu: bad or repeated code %s", r + 2,
				code);
			goto out;
		}
		if (!c) {
			yj_fail(L->e, YJ_EINTERNAL, NULL, "town %s: county %s has no boundary", code, county_code);
			goto out;
		}
		geo_town *w = &L->towns[L->town_count++];
		snprintf(w->code, sizeof w->code, "%s", code);
		snprintf(w->name, sizeof w->name, "%s", geo_csv_get(&t, r, c_name));
		snprintf(w->kind, sizeof w->kind, "%s", geo_csv_get(&t, r, c_kind));
		w->county = c;
		w->point_source = "";
		strbuf_init(&w->note);
		strbuf_init(&w->cell_note);
		if (strcmp(code + 6, "400") == 0) {
			/* 华侨管理区 has a town-level government of its own; counting it makes the
			 * report's "全市51个镇街" (63 - 8 类似乡级单位 - 4 深汕 towns = 51) */
			geo_note_add(&w->note, "类似乡级单位 with its own town-level administration (华侨管理区): "
					   "counted among the report's 51 towns/streets");
		} else if (strcmp(w->kind, KIND_SIMILAR_TOWN) == 0) {
			w->special = 1;
			geo_note_add(&w->note, "类似乡级单位 (华侨管理区, farm, forest farm or development zone): not one "
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
			geo_note_add(&w->note, "administered by the 深汕特别合作区 (Shenzhen-Shanwei Special Cooperation "
					   "Zone), not by the county: not one of the bureau's regular towns/streets");
		}
		for (size_t i = 0; i < YJ_ARRAY_LEN(town_recodes); i++)
			if (strcmp(code, town_recodes[i].new_code) == 0)
				geo_note_add(&w->note, "2016 code %s", town_recodes[i].old_code);
	}
	rc = 0;
out:
	geo_csv_free(&t);
	return rc;
}

/* Town points: the seat where known, else a proxy. */
int geo_load_town_points(geo_loader *L)
{
	static const struct {
		const char *file, *source;
	} sources[] = {
		{"shanwei_town_seats_gcj02.csv", "seat"},
		{"shanwei_town_proxies_gcj02.csv", "proxy"},
	};
	for (size_t s = 0; s < YJ_ARRAY_LEN(sources); s++) {
		geo_csv t;
		if (geo_csv_load(&t, sources[s].file, L->e) != 0)
			return -1;
		int c_code = geo_csv_col(&t, "code", L->e), c_lon = geo_csv_col(&t, "lon", L->e),
		    c_lat = geo_csv_col(&t, "lat", L->e), c_crs = geo_csv_col(&t, "crs", L->e);
		int c_n = strcmp(sources[s].source, "proxy") == 0 ? geo_csv_col(&t, "n_points", L->e) : 0;
		if (c_code < 0 || c_lon < 0 || c_lat < 0 || c_crs < 0 || c_n < 0) {
			geo_csv_free(&t);
			return -1;
		}
		for (size_t r = 0; r < t.rows; r++) {
			geo_town *w = geo_town_find(L, geo_csv_get(&t, r, c_code));
			if (!w) {
				yj_fail(L->e, YJ_EINTERNAL, NULL, "%s row %zu: unknown town %s", t.file, r + 2,
					geo_csv_get(&t, r, c_code));
				geo_csv_free(&t);
				return -1;
			}
			if (w->has_point)
				continue; /* a seat beats a proxy */
			if (geo_csv_point(&t, r, c_lon, c_lat, c_crs, &w->lon, &w->lat, L->e) != 0) {
				geo_csv_free(&t);
				return -1;
			}
			w->has_point = true;
			w->point_source = sources[s].source;
			if (strcmp(sources[s].source, "proxy") == 0)
				geo_note_add(&w->note,
					 "point: a proxy, the mean of %s village point(s) (the seat is not known)",
					 geo_csv_get(&t, r, c_n));
		}
		geo_csv_free(&t);
	}
	return 0;
}

/* ---- the served boundaries --------------------------------------------------------------------- */

/* The boundaries file, parsed; the counties it lists become known (the towns hang under them). */
static int read_boundaries(geo_loader *L)
{
	size_t len;
	const char *text = geo_data_file(GEO_BOUNDARIES_FILE, &len);
	json_error_t jerr;
	L->boundaries = text ? json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (!L->boundaries)
		return yj_fail(L->e, YJ_EINTERNAL, NULL, "%s: %s", GEO_BOUNDARIES_FILE, text ? jerr.text : "missing");
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(L->boundaries, "features"), i, f) {
		json_t *p = json_object_get(f, "properties");
		const char *code = json_string_value(json_object_get(p, "code"));
		const char *name = json_string_value(json_object_get(p, "name"));
		if (!code || !name)
			return yj_fail(L->e, YJ_EINTERNAL, NULL, "%s feature %zu: no code or name", GEO_BOUNDARIES_FILE, i);
		if (json_integer_value(json_object_get(p, "level")) == GEO_LEVEL_COUNTY)
			geo_county_add(L, code, name);
	}
	return L->county_count ? 0 : yj_fail(L->e, YJ_EINTERNAL, NULL, "%s: no counties", GEO_BOUNDARIES_FILE);
}

/* The feature of an area, or NULL. */
static json_t *boundary_of(geo_loader *L, const char *code)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(L->boundaries, "features"), i, f)
		if (strcmp(code, json_string_value(json_object_get(json_object_get(f, "properties"), "code"))) == 0)
			return f;
	return NULL;
}

/* A feature's geometry as GEOS, checked valid: 1 with *out (NULL for a null geometry), -1 with L->e. */
static int boundary_geometry(geo_loader *L, json_t *f, const char *code, GEOSGeometry **out)
{
	*out = NULL;
	json_t *g = json_object_get(f, "geometry");
	if (json_is_null(g))
		return 1;
	char *text = json_dumps(g, JSON_COMPACT); /* 17 digits: the same doubles */
	GEOSGeoJSONReader *reader = GEOSGeoJSONReader_create_r(L->ctx);
	*out = text && reader ? GEOSGeoJSONReader_readGeometry_r(L->ctx, reader, text) : NULL;
	if (reader)
		GEOSGeoJSONReader_destroy_r(L->ctx, reader);
	free(text);
	if (!*out)
		return geo_geos_fail(L, "reading a served boundary");
	if (!geo_check_valid(L, *out, GEO_BOUNDARIES_FILE, code)) {
		GEOSGeom_destroy_r(L->ctx, *out);
		*out = NULL;
		return -1;
	}
	return 1;
}

/* Store row with the boundary of feature f (NULL: none). 0, or -1 with L->e. */
static int insert_with_boundary(geo_loader *L, geo_area_row *row, json_t *f)
{
	GEOSGeometry *g = NULL;
	if (f && boundary_geometry(L, f, row->code, &g) < 0)
		return -1;
	row->geom = g;
	int rc = geo_insert_area(L, row);
	if (g)
		GEOSGeom_destroy_r(L->ctx, g);
	return rc;
}

/* The city and the counties: every field from the file. */
static int store_city_and_counties(geo_loader *L)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(L->boundaries, "features"), i, f) {
		json_t *p = json_object_get(f, "properties"), *point = json_object_get(p, "point");
		int level = (int)json_integer_value(json_object_get(p, "level"));
		if (level != GEO_LEVEL_CITY && level != GEO_LEVEL_COUNTY)
			continue;
		geo_area_row row = {
			.code = json_string_value(json_object_get(p, "code")),
			.parent = json_string_value(json_object_get(p, "parent")),
			.level = level,
			.name = json_string_value(json_object_get(p, "name")),
			.kind = json_string_value(json_object_get(p, "kind")),
			.note = json_string_value(json_object_get(p, "note")),
			.has_point = json_array_size(point) == 2,
			.lon = json_number_value(json_array_get(point, 0)),
			.lat = json_number_value(json_array_get(point, 1)),
			.point_source = json_string_value(json_object_get(p, "point_source")),
		};
		if (insert_with_boundary(L, &row, f) != 0)
			return -1;
	}
	return 0;
}

static int store_towns(geo_loader *L)
{
	for (size_t i = 0; i < L->town_count; i++) {
		geo_town *w = &L->towns[i];
		json_t *f = w->has_point ? boundary_of(L, w->code) : NULL;
		json_t *p = json_object_get(f, "properties");
		const char *cell_note = json_string_value(json_object_get(p, "note"));
		if (!w->has_point)
			geo_note_add(&w->note, "no seat or other point known, so no approximate boundary");
		else if (!f)
			geo_note_add(&w->note, "no boundary in %s", GEO_BOUNDARIES_FILE);
		else if (cell_note && *cell_note)
			geo_note_add(&w->note, "%s", cell_note);
		geo_area_row row = {
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
			.geom_approx = json_is_true(json_object_get(p, "approximate")),
		};
		if (insert_with_boundary(L, &row, f) != 0)
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

static int store_villages(geo_loader *L)
{
	geo_csv v, p;
	if (geo_csv_load(&v, "shanwei_villages_2016.csv", L->e) != 0)
		return -1;
	if (geo_csv_load(&p, "shanwei_village_points_gcj02.csv", L->e) != 0) {
		geo_csv_free(&v);
		return -1;
	}
	int rc = -1;
	strbuf note;
	strbuf_init(&note);
	int c_code = geo_csv_col(&v, "code", L->e), c_name = geo_csv_col(&v, "name", L->e),
	    c_town = geo_csv_col(&v, "town_code", L->e);
	int p_code = geo_csv_col(&p, "code", L->e), p_lon = geo_csv_col(&p, "lon", L->e), p_lat = geo_csv_col(&p, "lat", L->e),
	    p_crs = geo_csv_col(&p, "crs", L->e);
	if (c_code < 0 || c_name < 0 || c_town < 0 || p_code < 0 || p_lon < 0 || p_lat < 0 || p_crs < 0)
		goto out;
	for (size_t r = 0; r < v.rows; r++) {
		const char *code2016 = geo_csv_get(&v, r, c_code), *town2016 = geo_csv_get(&v, r, c_town);
		const char *name = geo_csv_get(&v, r, c_name);
		if (!geo_all_digits(code2016, 12) || strncmp(code2016, town2016, 9) != 0) {
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
				geo_note_add(&note, "2016 code %s (town re-coded %s -> %s)", code2016,
					 town_recodes[i].old_code, town_recodes[i].new_code);
			}
		}
		const char *parent = town_code;
		if (!geo_town_find(L, town_code)) {
			/* The 2016 town is gone from the current list: hang the village
			 * under its county, whose code is still its prefix. */
			char county_code[7];
			snprintf(county_code, sizeof county_code, "%.6s", town_code);
			geo_county *c = geo_county_find(L, county_code);
			if (!c) {
				yj_fail(L->e, YJ_EINTERNAL, NULL, "village %s: neither town %s nor its county exists",
					code, town_code);
				goto out;
			}
			parent = c->code;
			geo_note_add(&note, "its 2016 town %s is not in the current town list: placed directly under "
					"the county", town2016);
		}
		if (code[9] == '4' || code[9] == '5')
			geo_note_add(&note, "%s (NBS: a living area of a farm or forest farm, not a village proper)",
				 code[9] == '4' ? "类似居委会" : "类似村委会");
		geo_area_row row = {
			.code = code,
			.parent = parent,
			.level = GEO_LEVEL_VILLAGE,
			.name = name,
			.kind = village_kind(name, code),
			.note = note.data ? note.data : "",
			.point_source = "",
		};
		long pr = geo_csv_find(&p, p_code, code2016);
		if (pr >= 0) {
			if (geo_csv_point(&p, (size_t)pr, p_lon, p_lat, p_crs, &row.lon, &row.lat, L->e) != 0)
				goto out;
			row.has_point = true;
			row.point_source = "village_point";
		}
		if (geo_insert_area(L, &row) != 0)
			goto out;
	}
	rc = 0;
out:
	strbuf_free(&note);
	geo_csv_free(&v);
	geo_csv_free(&p);
	return rc;
}

/* ---- entry ----------------------------------------------------------------- */

static void dir_invalidate(void *unused)
{
	geo_area_dir_invalidate();
}

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

int geo_areas_load(store *s, yj_err *e)
{
	geo_loader L;
	if (geo_loader_start(&L, s, e) != 0)
		return -1;
	int rc = -1;
	if (read_boundaries(&L) == 0 && geo_load_towns(&L) == 0 && geo_load_town_points(&L) == 0 &&
	    store_city_and_counties(&L) == 0 && store_towns(&L) == 0 && store_villages(&L) == 0) {
		/* the directory reads the new tree once it is committed */
		store_after_commit(s, dir_invalidate, NULL, NULL);
		rc = 0;
	}
	geo_loader_end(&L);
	return rc;
}
