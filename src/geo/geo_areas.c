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
 *             the far-off islands only the simplified city file has
 *             (geo_counties.c);
 *   city      the GEOS union of the four counties (geo_counties.c);
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
 * This file holds the loader's entry, the towns and the villages. It does
 * not index anything (geo_index.c does) and runs no SQL: rows go to
 * area_db.c, inside the caller's transaction.
 */
#include <geos_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

/* ---- facts about the demo data that are not in the files ------------------ */

const char GEO_DEMO_CITY_CODE[] = "441500";
const char GEO_DEMO_CITY_NAME[] = "汕尾市";

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

geo_county *geo_county_find(geo_loader *L, const char *code)
{
	for (size_t i = 0; i < L->county_count; i++)
		if (strcmp(L->counties[i].code, code) == 0)
			return &L->counties[i];
	return NULL;
}

static geo_town *town_find(geo_loader *L, const char *code)
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
		.geom_approx = r->geom_approx,
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

static int load_towns(geo_loader *L)
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
		    strncmp(geo_csv_get(&t, r, c_city), GEO_DEMO_CITY_CODE, 4) != 0 || town_find(L, code)) {
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
static int load_town_points(geo_loader *L)
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
			geo_town *w = town_find(L, geo_csv_get(&t, r, c_code));
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
			sites[i]->cell = geo_polygonal_only(L, GEOSIntersection_r(L->ctx, cell, c->geom), &failed);
			if (failed)
				rc = geo_geos_fail(L, "clipping a town cell to its county");
			else if (!sites[i]->cell)
				geo_note_add(&sites[i]->note, "its Voronoi cell lies outside the county: no boundary");
			break;
		}
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		if (!matched[i])
			geo_note_add(&sites[i]->note, "shares its point with another town: no boundary");
out:
	if (diagram)
		GEOSGeom_destroy_r(L->ctx, diagram);
	GEOSGeom_destroy_r(L->ctx, multi);
	return rc;
}

static int store_towns(geo_loader *L)
{
	for (size_t i = 0; i < L->county_count; i++)
		if (town_cells_for_county(L, &L->counties[i]) != 0)
			return -1;
	for (size_t i = 0; i < L->town_count; i++) {
		geo_town *w = &L->towns[i];
		if (w->cell)
			geo_note_add(&w->note, strcmp(w->point_source, "seat") == 0
						   ? "approximate: Voronoi cell around the town seat, clipped to the county"
						   : "approximate: Voronoi cell around the town's proxy point, clipped to "
						     "the county");
		else if (!w->has_point)
			geo_note_add(&w->note, "no seat or other point known, so no approximate boundary");
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
			.geom = w->cell,
			.geom_approx = w->cell != NULL,
		};
		if (geo_insert_area(L, &row) != 0)
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
		if (!town_find(L, town_code)) {
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
	geo_loader L = {.s = s, .e = e};
	strbuf_init(&L.geojson);
	int rc = -1;
	L.ctx = GEOS_init_r();
	if (!L.ctx)
		return yj_fail(e, YJ_EINTERNAL, NULL, "could not start GEOS");
	GEOSContext_setErrorMessageHandler_r(L.ctx, geos_error_handler, &L);
	if (geo_load_counties(&L) != 0 || load_towns(&L) != 0 || load_town_points(&L) != 0 ||
	    geo_store_city_and_counties(&L) != 0 || store_towns(&L) != 0 || store_villages(&L) != 0)
		goto out;
	/* the directory reads the new tree once it is committed */
	store_after_commit(s, dir_invalidate, NULL, NULL);
	rc = 0;
out:
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
