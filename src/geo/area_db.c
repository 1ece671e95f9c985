/*
 * area_db.c — the SQL of table `area` (geo owns it): the loader's inserts,
 * the rows the point index is built from, one area's details for the area
 * API, the count, the directory's read of the whole tree, and an area's
 * boundary and flags for other modules. Nobody else runs SQL on `area`.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

int geo_db_area_insert(store *s, const geo_area_record *r, yj_err *e)
{
	store_val none = store_null();
	store_val vals[] = {
		store_v_text(r->code),
		store_v_text(r->parent),
		store_v_int(r->level),
		store_v_text(r->name),
		store_v_text(r->kind),
		store_v_int(r->special),
		store_v_text(r->note),
		r->has_point ? store_v_double(r->lon) : none,
		r->has_point ? store_v_double(r->lat) : none,
		store_v_text(r->point_source),
		r->geojson ? store_textn(r->geojson, r->geojson_len) : none,
		store_v_int(r->geom_approx),
		r->has_bbox ? store_v_double(r->bbox[0]) : none,
		r->has_bbox ? store_v_double(r->bbox[1]) : none,
		r->has_bbox ? store_v_double(r->bbox[2]) : none,
		r->has_bbox ? store_v_double(r->bbox[3]) : none,
	};
	int64_t n = store_run_a(s, e,
	                        "INSERT INTO area(code, parent, level, name, kind, special, note, lon, lat, point_source, "
	                        "geom, geom_approx, min_lon, min_lat, max_lon, max_lat) "
	                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                        vals, YJ_ARRAY_LEN(vals));
	if (n < 0)
		return -1;
	if (n != 1)
		return yj_fail(e, YJ_EINTERNAL, "", "area %s was not stored", r->code);
	return 0;
}

/* store_each's row functions for the two visits of the whole table: the typed callback and its context */
typedef struct area_visit {
	geo_db_area_fn area;
	geo_db_dir_fn dir;
	void *ctx;
} area_visit;

static int visit_area(store_q *q, void *ctx, yj_err *e)
{
	area_visit *v = ctx;
	return v->area(store_col_str(q, 0), store_col_str(q, 1), (int)store_col_int(q, 2), store_col_text(q, 3), v->ctx, e)
	               ? -1
	               : 0;
}

int geo_db_areas_each(store *s, geo_db_area_fn fn, void *ctx, yj_err *e)
{
	area_visit v = {.area = fn, .ctx = ctx};
	return store_each(store_query(s, e, "SELECT code, coalesce(parent, ''), level, geom FROM area ORDER BY code"),
	                  visit_area, &v, e);
}

int geo_area_count(store *s, int64_t *n, yj_err *e)
{
	*n = 0;
	return store_get_int(s, n, e, "SELECT count(*) FROM area") < 0 ? -1 : 1;
}

int geo_area_info_get(store *s, const char *code, bool with_geometry, geo_area_info *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	store_q *q;
	int rc = store_row(s, &q, e,
	                   "SELECT code, coalesce(parent, ''), level, name, kind, special, note, lon, lat, point_source, "
	                   "geom_approx, min_lon, min_lat, max_lon, max_lat, "
	                   "CASE WHEN geom IS NULL THEN 0 ELSE 1 END, "
	                   "(SELECT count(*) FROM area c WHERE c.parent = area.code), "
	                   "CASE WHEN ? = 1 THEN geom END "
	                   "FROM area WHERE code = ?",
	                   with_geometry ? 1 : 0, code);
	if (rc <= 0)
		return rc;
	store_col_copy(q, 0, out->code, sizeof out->code);
	store_col_copy(q, 1, out->parent, sizeof out->parent);
	out->level = (int)store_col_int(q, 2);
	store_col_copy(q, 3, out->name, sizeof out->name);
	store_col_copy(q, 4, out->kind, sizeof out->kind);
	out->special = store_col_int(q, 5) != 0;
	out->note = yj_strdup(store_col_str(q, 6));
	out->has_point = !store_col_null(q, 7) && !store_col_null(q, 8);
	out->lon = store_col_double(q, 7);
	out->lat = store_col_double(q, 8);
	store_col_copy(q, 9, out->point_source, sizeof out->point_source);
	out->geometry_approximate = store_col_int(q, 10) != 0;
	out->has_bbox = !store_col_null(q, 11);
	for (int i = 0; i < 4; i++)
		out->bbox[i] = store_col_double(q, 11 + i);
	out->has_geometry = store_col_int(q, 15) != 0;
	out->children = store_col_int(q, 16);
	out->geometry = yj_strdup(store_col_text(q, 17));
	store_done(q);
	return 1;
}

void geo_area_info_clear(geo_area_info *a)
{
	free(a->note);
	free(a->geometry);
	a->note = a->geometry = NULL;
}

static double col_or_nan(store_q *q, int col)
{
	return store_col_null(q, col) ? NAN : store_col_double(q, col);
}

static int visit_dir(store_q *q, void *ctx, yj_err *e)
{
	area_visit *v = ctx;
	if (v->dir(store_col_str(q, 0), store_col_str(q, 1), (int)store_col_int(q, 2), store_col_str(q, 3),
	           col_or_nan(q, 4), col_or_nan(q, 5), v->ctx) == 0)
		return 0;
	return yj_fail(e, YJ_EINTERNAL, NULL, "the area directory could not take area %s", store_col_str(q, 0));
}

int geo_db_directory_each(store *s, geo_db_dir_fn fn, void *ctx, yj_err *e)
{
	area_visit v = {.dir = fn, .ctx = ctx};
	return store_each(store_query(s, e, "SELECT code, coalesce(parent, ''), level, name, lon, lat FROM area"), visit_dir,
	                  &v, e);
}

int geo_area_special(store *s, const char *code, bool *out, yj_err *e)
{
	int64_t v = 0;
	int rc = store_get_int(s, &v, e, "SELECT special FROM area WHERE code = ?", code);
	if (rc > 0)
		*out = v != 0;
	return rc;
}

char *geo_area_geometry(store *s, const char *code, yj_err *e)
{
	store_q *q;
	char *geom = NULL;
	if (store_row(s, &q, e, "SELECT geom FROM area WHERE code = ?", code) > 0) {
		if (!store_col_null(q, 0))
			geom = yj_strdup(store_col_text(q, 0));
		store_done(q);
	}
	return geom;
}
