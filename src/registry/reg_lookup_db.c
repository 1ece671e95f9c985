/*
 * reg_lookup.c — how other modules read the registry's tables: an
 * enterprise for a case file, the enterprises of a draw's pool, the risk
 * points a warning covers, a shelter's name. The registry owns these
 * tables; nobody else runs SQL on them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "registry/registry.h"

static double col_coord(store_q *q, int i)
{
	return store_col_null(q, i) ? NAN : store_col_double(q, i);
}

/* ---- enterprises ------------------------------------------------------------------------------ */

#define ENT_COLS "id, name, area_code, credit_code, coalesce(risk_grade, ''), coalesce(principal, ''), " \
                 "coalesce(address, ''), sectors, lon, lat"

static void fill_enterprise(store_q *q, reg_enterprise *en)
{
	en->id = store_col_int(q, 0);
	store_col_copy(q, 1, en->name, sizeof en->name);
	store_col_copy(q, 2, en->area_code, sizeof en->area_code);
	store_col_copy(q, 3, en->credit_code, sizeof en->credit_code);
	store_col_copy(q, 4, en->risk_grade, sizeof en->risk_grade);
	store_col_copy(q, 5, en->principal, sizeof en->principal);
	store_col_copy(q, 6, en->address, sizeof en->address);
	en->sectors = store_col_json(q, 7);
	if (!json_is_array(en->sectors)) {
		json_decref(en->sectors);
		en->sectors = json_array();
	}
	en->lon = col_coord(q, 8);
	en->lat = col_coord(q, 9);
}

void reg_enterprise_clear(reg_enterprise *en)
{
	json_decref(en->sectors);
	en->sectors = NULL;
}

int reg_enterprise_get(store *s, int64_t id, reg_enterprise *out, yj_err *e)
{
	store_q *q;
	memset(out, 0, sizeof *out);
	int rc = store_row(s, &q, e, "SELECT " ENT_COLS " FROM enterprise WHERE id = ?", id);
	if (rc > 0) {
		fill_enterprise(q, out);
		store_done(q);
	}
	return rc;
}

void reg_enterprise_name(store *s, int64_t id, char *out, size_t cap)
{
	if (cap)
		out[0] = 0;
	if (id > 0)
		store_get_text(s, out, cap, NULL, "SELECT name FROM enterprise WHERE id = ?", id);
}

static bool meets_sectors(const json_t *have, const json_t *want)
{
	if (!want || json_array_size(want) == 0)
		return true;
	size_t i, j;
	json_t *a, *b;
	json_array_foreach(have, i, a)
		json_array_foreach(want, j, b)
			if (json_is_string(a) && json_is_string(b) && strcmp(json_string_value(a), json_string_value(b)) == 0)
				return true;
	return false;
}

int reg_enterprises_each(store *s, const auth_scope *scope, const json_t *sectors, reg_enterprise_fn fn, void *ctx,
                         yj_err *e)
{
	store_q *q = store_query(s, e, "SELECT " ENT_COLS " FROM enterprise WHERE " AUTH_SCOPE_SQL("area_code") " ORDER BY id",
	                         scope->lo, scope->hi);
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		reg_enterprise en;
		fill_enterprise(q, &en);
		int r = meets_sectors(en.sectors, sectors) ? fn(s, &en, ctx, e) : 0;
		reg_enterprise_clear(&en);
		if (r) {
			store_done(q);
			return r < 0 ? -1 : 0;
		}
	}
	return rc < 0 ? -1 : 0;
}

/* ---- risk points ------------------------------------------------------------------------------- */

#define RP_COLS "id, name, area_code, lon, lat, coalesce(grid_worker_id, 0), coalesce(population, 0), shelter_ids, " \
                "coalesce(type, '')"

static void fill_risk_point(store_q *q, reg_risk_point *rp)
{
	rp->id = store_col_int(q, 0);
	store_col_copy(q, 1, rp->name, sizeof rp->name);
	store_col_copy(q, 2, rp->area_code, sizeof rp->area_code);
	rp->lon = col_coord(q, 3);
	rp->lat = col_coord(q, 4);
	rp->grid_worker_id = store_col_int(q, 5);
	rp->population = store_col_int(q, 6);
	rp->shelter_ids = store_col_json(q, 7);
	if (!json_is_array(rp->shelter_ids)) {
		json_decref(rp->shelter_ids);
		rp->shelter_ids = json_array();
	}
	store_col_copy(q, 8, rp->type, sizeof rp->type);
}

void reg_risk_point_clear(reg_risk_point *rp)
{
	json_decref(rp->shelter_ids);
	rp->shelter_ids = NULL;
}

int reg_risk_point_get(store *s, int64_t id, reg_risk_point *out, yj_err *e)
{
	store_q *q;
	memset(out, 0, sizeof *out);
	int rc = store_row(s, &q, e, "SELECT " RP_COLS " FROM risk_point WHERE id = ?", id);
	if (rc > 0) {
		fill_risk_point(q, out);
		store_done(q);
	}
	return rc;
}

static int each_risk_point(store *s, store_q *q, reg_risk_point_fn fn, void *ctx, yj_err *e)
{
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		reg_risk_point rp;
		fill_risk_point(q, &rp);
		int r = fn(s, &rp, ctx, e);
		reg_risk_point_clear(&rp);
		if (r) {
			store_done(q);
			return r < 0 ? -1 : 0;
		}
	}
	return rc < 0 ? -1 : 0;
}

int reg_risk_points_each(store *s, const auth_scope *scope, reg_risk_point_fn fn, void *ctx, yj_err *e)
{
	return each_risk_point(s,
	                       store_query(s, e,
	                                   "SELECT " RP_COLS " FROM risk_point WHERE " AUTH_SCOPE_SQL("area_code") " ORDER BY id",
	                                   scope->lo, scope->hi),
	                       fn, ctx, e);
}

int reg_risk_points_in_bbox(store *s, const double bbox[4], reg_risk_point_fn fn, void *ctx, yj_err *e)
{
	/* dialect point: SQLite's R*Tree (risk_point_rtree, kept by triggers) */
	return each_risk_point(s,
	                       store_query(s, e,
	                                   "SELECT e.id, e.name, e.area_code, e.lon, e.lat, coalesce(e.grid_worker_id, 0), "
	                                   "coalesce(e.population, 0), e.shelter_ids, coalesce(e.type, '') FROM risk_point_rtree r "
	                                   "CROSS JOIN risk_point e ON e.id = r.id "
	                                   "WHERE r.min_lon <= ? AND r.max_lon >= ? AND r.min_lat <= ? AND r.max_lat >= ? "
	                                   "ORDER BY e.id",
	                                   bbox[2], bbox[0], bbox[3], bbox[1]),
	                       fn, ctx, e);
}

/* ---- shelters ------------------------------------------------------------------------------------ */

int reg_shelter_get(store *s, int64_t id, reg_shelter *out, yj_err *e)
{
	store_q *q;
	memset(out, 0, sizeof *out);
	int rc = store_row(s, &q, e, "SELECT id, name, area_code, coalesce(capacity, 0), lon, lat FROM shelter WHERE id = ?",
	                   id);
	if (rc > 0) {
		out->id = store_col_int(q, 0);
		store_col_copy(q, 1, out->name, sizeof out->name);
		store_col_copy(q, 2, out->area_code, sizeof out->area_code);
		out->capacity = store_col_int(q, 3);
		out->lon = col_coord(q, 4);
		out->lat = col_coord(q, 5);
		store_done(q);
	}
	return rc;
}

/* ---- member units ----------------------------------------------------------------------------------- */

static void fill_member_unit(store_q *q, reg_member_unit *mu)
{
	mu->id = store_col_int(q, 0);
	store_col_copy(q, 1, mu->name, sizeof mu->name);
	store_col_copy(q, 2, mu->area_code, sizeof mu->area_code);
	store_col_copy(q, 3, mu->webhook_url, sizeof mu->webhook_url);
	mu->enabled = store_col_int(q, 4) != 0;
}

int reg_member_unit_get(store *s, int64_t id, reg_member_unit *out, yj_err *e)
{
	store_q *q;
	memset(out, 0, sizeof *out);
	int rc = store_row(s, &q, e, "SELECT id, name, area_code, webhook_url, enabled FROM member_unit WHERE id = ?", id);
	if (rc > 0) {
		fill_member_unit(q, out);
		store_done(q);
	}
	return rc;
}

int reg_member_units_each(store *s, const auth_scope *scope, bool include_disabled, reg_member_unit_fn fn, void *ctx,
                          yj_err *e)
{
	store_q *q = store_query(s, e,
	                         "SELECT id, name, area_code, webhook_url, enabled FROM member_unit WHERE (? = 1 OR enabled = 1) "
	                         "AND " AUTH_SCOPE_SQL("area_code") " ORDER BY id",
	                         include_disabled, scope->lo, scope->hi);
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		reg_member_unit mu;
		fill_member_unit(q, &mu);
		int r = fn(s, &mu, ctx, e);
		if (r) {
			store_done(q);
			return r < 0 ? -1 : 0;
		}
	}
	return rc < 0 ? -1 : 0;
}
