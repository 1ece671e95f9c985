/*
 * reg_lookup_db.c — how other modules read the registry's tables: an
 * enterprise for a case file, the enterprises of a draw's pool, the risk
 * points a warning covers, a shelter's name. The registry owns these
 * tables; nobody else runs SQL on them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "registry/registry_int.h"

static double col_coord(store_q *q, int i)
{
	return store_col_null(q, i) ? NAN : store_col_double(q, i);
}

void reg_db_copy_texts(store_q *q, int first, void *obj, const reg_text_col *cols, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_col_copy(q, first + (int)i, (char *)obj + cols[i].offset, cols[i].cap);
}

/* a JSON array column, [] when it holds anything else */
static json_t *col_array(store_q *q, int i)
{
	json_t *v = store_col_json(q, i);
	if (!json_is_array(v)) {
		json_decref(v);
		v = json_array();
	}
	return v;
}

int reg_db_get_one(store *s, const char *sql, store_val key, reg_fill_fn fill, void *out, size_t size, yj_err *e)
{
	store_q *q;
	memset(out, 0, size);
	int rc = store_row_a(s, &q, e, sql, &key, 1);
	if (rc > 0) {
		fill(q, out);
		store_done(q);
	}
	return rc;
}

/* ---- enterprises ------------------------------------------------------------------------------ */

#define ENT_COLS "id, name, area_code, credit_code, coalesce(risk_grade, ''), coalesce(principal, ''), " \
                 "coalesce(address, ''), sectors, lon, lat"

static void fill_enterprise(store_q *q, void *out)
{
	static const reg_text_col texts[] = {
		REG_TEXT_COL(reg_enterprise, name),       REG_TEXT_COL(reg_enterprise, area_code),
		REG_TEXT_COL(reg_enterprise, credit_code), REG_TEXT_COL(reg_enterprise, risk_grade),
		REG_TEXT_COL(reg_enterprise, principal),  REG_TEXT_COL(reg_enterprise, address),
	};
	reg_enterprise *en = out;
	en->id = store_col_int(q, 0);
	reg_db_copy_texts(q, 1, en, texts, YJ_ARRAY_LEN(texts));
	en->sectors = col_array(q, 7);
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
	return reg_db_get_one(s, "SELECT " ENT_COLS " FROM enterprise WHERE id = ?", store_v_int(id), fill_enterprise, out, sizeof *out, e);
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

/* what the visits of the lookups carry to store_each */
typedef struct visit_ctx {
	store *s;
	const json_t *sectors;
	reg_enterprise_fn enterprise_fn; /* the caller's function: one of these */
	reg_risk_point_fn risk_point_fn;
	reg_member_unit_fn member_unit_fn;
	void *ctx;
} visit_ctx;

static int visit_enterprise(store_q *q, void *ctx, yj_err *e)
{
	visit_ctx *v = ctx;
	reg_enterprise en;
	fill_enterprise(q, &en);
	int r = meets_sectors(en.sectors, v->sectors) ? v->enterprise_fn(v->s, &en, v->ctx, e) : 0;
	reg_enterprise_clear(&en);
	return r;
}

int reg_enterprises_each(store *s, const auth_scope *scope, const json_t *sectors, reg_enterprise_fn fn, void *ctx,
                         yj_err *e)
{
	visit_ctx v = {.s = s, .sectors = sectors, .enterprise_fn = fn, .ctx = ctx};
	return store_each(store_query(s, e, "SELECT " ENT_COLS " FROM enterprise WHERE " AUTH_SCOPE_SQL("area_code")
	                                    " ORDER BY id",
	                              scope->lo, scope->hi),
	                  visit_enterprise, &v, e);
}

/* ---- risk points ------------------------------------------------------------------------------- */

#define RP_COLS "id, name, area_code, lon, lat, coalesce(grid_worker_id, 0), coalesce(population, 0), shelter_ids, " \
                "coalesce(type, '')"

static void fill_risk_point(store_q *q, void *out)
{
	static const reg_text_col texts[] = {REG_TEXT_COL(reg_risk_point, name), REG_TEXT_COL(reg_risk_point, area_code)};
	reg_risk_point *rp = out;
	rp->id = store_col_int(q, 0);
	reg_db_copy_texts(q, 1, rp, texts, YJ_ARRAY_LEN(texts));
	rp->lon = col_coord(q, 3);
	rp->lat = col_coord(q, 4);
	rp->grid_worker_id = store_col_int(q, 5);
	rp->population = store_col_int(q, 6);
	rp->shelter_ids = col_array(q, 7);
	store_col_copy(q, 8, rp->type, sizeof rp->type);
}

void reg_risk_point_clear(reg_risk_point *rp)
{
	json_decref(rp->shelter_ids);
	rp->shelter_ids = NULL;
}

int reg_risk_point_get(store *s, int64_t id, reg_risk_point *out, yj_err *e)
{
	return reg_db_get_one(s, "SELECT " RP_COLS " FROM risk_point WHERE id = ?", store_v_int(id), fill_risk_point, out, sizeof *out, e);
}

static int visit_risk_point(store_q *q, void *ctx, yj_err *e)
{
	visit_ctx *v = ctx;
	reg_risk_point rp;
	fill_risk_point(q, &rp);
	int r = v->risk_point_fn(v->s, &rp, v->ctx, e);
	reg_risk_point_clear(&rp);
	return r;
}

static int each_risk_point(store *s, store_q *q, reg_risk_point_fn fn, void *ctx, yj_err *e)
{
	visit_ctx v = {.s = s, .risk_point_fn = fn, .ctx = ctx};
	return store_each(q, visit_risk_point, &v, e);
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

static void fill_shelter(store_q *q, void *out)
{
	static const reg_text_col texts[] = {REG_TEXT_COL(reg_shelter, name), REG_TEXT_COL(reg_shelter, area_code)};
	reg_shelter *sh = out;
	sh->id = store_col_int(q, 0);
	reg_db_copy_texts(q, 1, sh, texts, YJ_ARRAY_LEN(texts));
	sh->capacity = store_col_int(q, 3);
	sh->lon = col_coord(q, 4);
	sh->lat = col_coord(q, 5);
}

int reg_shelter_get(store *s, int64_t id, reg_shelter *out, yj_err *e)
{
	return reg_db_get_one(s, "SELECT id, name, area_code, coalesce(capacity, 0), lon, lat FROM shelter WHERE id = ?",
	                      store_v_int(id), fill_shelter, out, sizeof *out, e);
}

/* ---- member units ----------------------------------------------------------------------------------- */

static void fill_member_unit(store_q *q, void *out)
{
	static const reg_text_col texts[] = {REG_TEXT_COL(reg_member_unit, name), REG_TEXT_COL(reg_member_unit, area_code),
	                                     REG_TEXT_COL(reg_member_unit, webhook_url)};
	reg_member_unit *mu = out;
	mu->id = store_col_int(q, 0);
	reg_db_copy_texts(q, 1, mu, texts, YJ_ARRAY_LEN(texts));
	mu->enabled = store_col_int(q, 4) != 0;
}

int reg_member_unit_get(store *s, int64_t id, reg_member_unit *out, yj_err *e)
{
	return reg_db_get_one(s, "SELECT id, name, area_code, webhook_url, enabled FROM member_unit WHERE id = ?",
	                      store_v_int(id), fill_member_unit, out, sizeof *out, e);
}

static int visit_member_unit(store_q *q, void *ctx, yj_err *e)
{
	visit_ctx *v = ctx;
	reg_member_unit mu;
	fill_member_unit(q, &mu);
	return v->member_unit_fn(v->s, &mu, v->ctx, e);
}

int reg_member_units_each(store *s, const auth_scope *scope, bool include_disabled, reg_member_unit_fn fn, void *ctx,
                          yj_err *e)
{
	store_q *q = store_query(s, e,
	                         "SELECT id, name, area_code, webhook_url, enabled FROM member_unit WHERE (? = 1 OR enabled = 1) "
	                         "AND " AUTH_SCOPE_SQL("area_code") " ORDER BY id",
	                         include_disabled, scope->lo, scope->hi);
	visit_ctx v = {.s = s, .member_unit_fn = fn, .ctx = ctx};
	return store_each(q, visit_member_unit, &v, e);
}
