/*
 * draw_db.c — the SQL of inspection plans (inspection_plan) and draws
 * (draw), and their audit projections. A draw's pools are stored as the
 * canonical JSON text they were published with (sorted keys, compact), so
 * their digests can be recomputed from what is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"

/* ---- plans ------------------------------------------------------------------------------------------- */

#define PLAN_COLS                                                                                      \
	"id, name, year, sectors, area_code, coalesce(count, 0), ratio, weights, inspectors_per, state, " \
	"created_by, created_ms"

void enf_plan_clear(enf_plan *p)
{
	free(p->name);
	json_decref(p->sectors);
	json_decref(p->weights);
	memset(p, 0, sizeof *p);
}

int enf_plan_db_insert(store *s, const enf_plan_new *p, int64_t *id_out, yj_err *e)
{
	int rc = store_get_int(s, id_out, e,
	                       "INSERT INTO inspection_plan(name, year, sectors, area_code, count, ratio, weights, "
	                       "inspectors_per, state, created_by, created_ms) VALUES (?,?,?,?,?,?,?,?,'ready',?,?) RETURNING id",
	                       p->name, p->year, p->sectors, p->area_code, store_id_or_null(p->count),
	                       isnan(p->ratio) ? store_null() : store_v_double(p->ratio), p->weights, p->inspectors_per,
	                       p->created_by, p->now);
	return enf_new_id(rc, "plan", e);
}

int enf_plan_db_get(store *s, int64_t id, enf_plan *out, yj_err *e)
{
	store_q *q;
	memset(out, 0, sizeof *out);
	int rc = store_row(s, &q, e, "SELECT " PLAN_COLS " FROM inspection_plan WHERE id = ?", id);
	if (rc <= 0)
		return rc;
	out->id = store_col_int(q, 0);
	out->name = yj_strdup(store_col_str(q, 1));
	out->year = (int)store_col_int(q, 2);
	out->sectors = store_col_json(q, 3);
	if (!json_is_array(out->sectors)) {
		json_decref(out->sectors);
		out->sectors = json_array();
	}
	store_col_copy(q, 4, out->area_code, sizeof out->area_code);
	out->count = store_col_int(q, 5);
	out->ratio = store_col_null(q, 6) ? NAN : store_col_double(q, 6);
	out->weights = store_col_json(q, 7);
	if (!json_is_object(out->weights)) {
		json_decref(out->weights);
		out->weights = json_object();
	}
	out->inspectors_per = (int)store_col_int(q, 8);
	store_col_copy(q, 9, out->state, sizeof out->state);
	out->created_by = store_col_int(q, 10);
	out->created_ms = store_col_int(q, 11);
	store_done(q);
	return 1;
}

int enf_plan_db_drawn(store *s, int64_t id, yj_err *e)
{
	int64_t n = store_run(s, e, "UPDATE inspection_plan SET state = 'drawn' WHERE id = ? AND state = 'ready'", id);
	if (n < 0)
		return -1;
	if (n == 0)
		return yj_fail(e, YJ_ECONFLICT, "state", "plan %lld was drawn already; make a new plan to draw again", (long long)id);
	return 0;
}

int enf_plan_db_list(store *s, const auth_scope *sc, int64_t cursor, long limit, enf_ids *out, yj_err *e)
{
	return enf_ids_collect(store_query(s, e,
	                                   "SELECT id FROM inspection_plan WHERE " AUTH_SCOPE_SQL("area_code")
	                                   " AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?",
	                                   sc->lo, sc->hi, cursor, cursor, limit + 1),
	                       out, e);
}

/* ---- draws ------------------------------------------------------------------------------------------- */

void enf_draw_clear(enf_draw *d)
{
	json_decref(d->result);
	free(d->enterprise_pool);
	free(d->inspector_pool);
	memset(d, 0, sizeof *d);
}

int enf_draw_db_insert(store *s, const enf_draw_new *d, int64_t *id_out, yj_err *e)
{
	/* the pools as published: canonical text, the same the digests were made from */
	char *ep = json_dumps(d->enterprise_pool, JSON_COMPACT | JSON_SORT_KEYS);
	char *ip = json_dumps(d->inspector_pool, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = -1;
	if (!ep || !ip)
		yj_fail(e, YJ_EINTERNAL, "", "cannot write the draw's pools");
	else
		rc = store_get_int(s, id_out, e,
		                   "INSERT INTO draw(plan_id, algorithm, seed, enterprise_pool, inspector_pool, "
		                   "enterprise_pool_digest, inspector_pool_digest, result, area_code, drawn_by, drawn_ms) "
		                   "VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
		                   d->plan_id, d->algorithm, d->seed, ep, ip, d->enterprise_pool_digest, d->inspector_pool_digest,
		                   d->result, d->area_code, d->drawn_by, d->now);
	free(ep);
	free(ip);
	return enf_new_id(rc, "draw", e);
}

int enf_draw_db_get(store *s, int64_t id, bool with_pools, enf_draw *out, yj_err *e)
{
	store_q *q;
	memset(out, 0, sizeof *out);
	int rc = store_row(s, &q, e,
	                   "SELECT id, plan_id, algorithm, seed, enterprise_pool_digest, inspector_pool_digest, result, area_code, "
	                   "drawn_by, drawn_ms, enterprise_pool, inspector_pool FROM draw WHERE id = ?",
	                   id);
	if (rc <= 0)
		return rc;
	out->id = store_col_int(q, 0);
	out->plan_id = store_col_int(q, 1);
	store_col_copy(q, 2, out->algorithm, sizeof out->algorithm);
	store_col_copy(q, 3, out->seed, sizeof out->seed);
	store_col_copy(q, 4, out->enterprise_pool_digest, sizeof out->enterprise_pool_digest);
	store_col_copy(q, 5, out->inspector_pool_digest, sizeof out->inspector_pool_digest);
	out->result = store_col_json(q, 6);
	store_col_copy(q, 7, out->area_code, sizeof out->area_code);
	out->drawn_by = store_col_int(q, 8);
	out->drawn_ms = store_col_int(q, 9);
	if (with_pools) {
		out->enterprise_pool = yj_strdup(store_col_str(q, 10));
		out->inspector_pool = yj_strdup(store_col_str(q, 11));
	}
	store_done(q);
	return 1;
}

int enf_draw_db_list(store *s, const auth_scope *sc, int64_t cursor, long limit, enf_ids *out, yj_err *e)
{
	if (!sc)
		return enf_ids_collect(store_query(s, e, "SELECT id FROM draw WHERE (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?",
		                                   cursor, cursor, limit + 1),
		                       out, e);
	return enf_ids_collect(store_query(s, e,
	                                   "SELECT id FROM draw WHERE " AUTH_SCOPE_SQL("area_code")
	                                   " AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?",
	                                   sc->lo, sc->hi, cursor, cursor, limit + 1),
	                       out, e);
}

/* ---- audit projections (version 1) ------------------------------------------------------------------------ */

json_t *enf_plan_project(store *s, const char *id)
{
	store_q *q;
	if (store_row(s, &q, NULL, "SELECT " PLAN_COLS " FROM inspection_plan WHERE id = ?", strtoll(id, NULL, 10)) <= 0)
		return NULL;
	json_t *j = json_pack("{s:I, s:s, s:I, s:s, s:s, s:o, s:o, s:s, s:I, s:s, s:I, s:I}", "id",
	                      (json_int_t)store_col_int(q, 0), "name", store_col_str(q, 1), "year",
	                      (json_int_t)store_col_int(q, 2), "sectors", store_col_str(q, 3), "area_code", store_col_str(q, 4),
	                      "count", store_col_int(q, 5) ? json_integer(store_col_int(q, 5)) : json_null(), "ratio",
	                      store_col_null(q, 6) ? json_null() : json_real(store_col_double(q, 6)), "weights",
	                      store_col_str(q, 7), "inspectors_per", (json_int_t)store_col_int(q, 8), "state",
	                      store_col_str(q, 9), "created_by", (json_int_t)store_col_int(q, 10), "created_ms",
	                      (json_int_t)store_col_int(q, 11));
	store_done(q);
	return j;
}

json_t *enf_draw_project(store *s, const char *id)
{
	store_q *q;
	if (store_row(s, &q, NULL,
	              "SELECT id, plan_id, algorithm, seed, enterprise_pool, inspector_pool, enterprise_pool_digest, "
	              "inspector_pool_digest, result, area_code, drawn_by, drawn_ms FROM draw WHERE id = ?",
	              strtoll(id, NULL, 10)) <= 0)
		return NULL;
	json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id",
	                      (json_int_t)store_col_int(q, 0), "plan_id", (json_int_t)store_col_int(q, 1), "algorithm",
	                      store_col_str(q, 2), "seed", store_col_str(q, 3), "enterprise_pool", store_col_str(q, 4),
	                      "inspector_pool", store_col_str(q, 5), "enterprise_pool_digest", store_col_str(q, 6),
	                      "inspector_pool_digest", store_col_str(q, 7), "result", store_col_str(q, 8), "area_code",
	                      store_col_str(q, 9), "drawn_by", (json_int_t)store_col_int(q, 10), "drawn_ms",
	                      (json_int_t)store_col_int(q, 11));
	store_done(q);
	return j;
}
