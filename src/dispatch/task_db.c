/*
 * task_db.c — the SQL of tables `transfer_task` and `transfer_report`,
 * which dispatch owns: an evacuation's task per risk point (planned and
 * moved persons, open until closed) and the grid workers' reports that add
 * up to it (once per idempotency key).
 */
#include <stdlib.h>
#include <string.h>

#include "dispatch/disp_int.h"

#define TASK_COLS                                                                                             \
	"id, warning_id, coalesce(risk_point_id, 0), area_code, coalesce(grid_worker_id, 0), planned, moved, state, " \
	"coalesce(closed_reason, ''), coalesce(closed_ms, 0), created_ms, updated_ms"

static void fill_task(store_q *q, disp_task *t)
{
	t->id = store_col_int(q, 0);
	t->warning_id = store_col_int(q, 1);
	t->risk_point_id = store_col_int(q, 2);
	store_col_copy(q, 3, t->area_code, sizeof t->area_code);
	t->grid_worker_id = store_col_int(q, 4);
	t->planned = store_col_int(q, 5);
	t->moved = store_col_int(q, 6);
	store_col_copy(q, 7, t->state, sizeof t->state);
	store_col_copy(q, 8, t->closed_reason, sizeof t->closed_reason);
	t->closed_ms = store_col_int(q, 9);
	t->created_ms = store_col_int(q, 10);
	t->updated_ms = store_col_int(q, 11);
}

static int task_row(store_q *q, void *ctx, yj_err *e)
{
	const disp_visit *v = ctx;
	disp_task t;
	fill_task(q, &t);
	return v->fn.task(v->s, &t, v->ctx, e);
}

static int each_task(store *s, store_q *q, disp_task_fn fn, void *ctx, yj_err *e)
{
	return store_each(q, task_row, &(disp_visit){.s = s, .ctx = ctx, .fn.task = fn}, e);
}

/* ---- tasks ------------------------------------------------------------------------------------------------- */

int64_t disp_db_task_add(store *s, int64_t warning_id, int64_t risk_point_id, const char *area, int64_t worker,
                         int64_t planned, int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO transfer_task(warning_id, risk_point_id, area_code, grid_worker_id, planned, state, "
	                 "created_ms, updated_ms) SELECT ?1, ?2, ?3, ?4, ?5, 'open', ?6, ?6 WHERE NOT EXISTS "
	                 "(SELECT 1 FROM transfer_task WHERE warning_id = ?1 AND risk_point_id = ?2)",
	                 warning_id, risk_point_id, area, store_id_or_null(worker), planned, now);
}

int disp_db_task_workers(store *s, int64_t warning_id, int64_t **ids, size_t *n, yj_err *e)
{
	return disp_db_ids(store_query(s, e,
	                               "SELECT DISTINCT grid_worker_id FROM transfer_task WHERE warning_id = ? "
	                               "AND grid_worker_id IS NOT NULL ORDER BY grid_worker_id",
	                               warning_id),
	                   ids, n, e);
}

int disp_db_tasks_open(store *s, int64_t warning_id, int64_t **ids, size_t *n, yj_err *e)
{
	return disp_db_ids(store_query(s, e,
	                               "SELECT id FROM transfer_task WHERE warning_id = ? AND state = 'open' ORDER BY id",
	                               warning_id),
	                   ids, n, e);
}

int disp_db_tasks_close(store *s, int64_t warning_id, const char *reason, int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE transfer_task SET state = 'closed', closed_reason = ?1, closed_ms = ?2, updated_ms = ?2 "
	                 "WHERE warning_id = ?3 AND state = 'open'",
	                 reason, now, warning_id) < 0
	               ? -1
	               : 0;
}

int disp_db_task_get(store *s, int64_t id, disp_task *t, yj_err *e)
{
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT " TASK_COLS " FROM transfer_task WHERE id = ?", id);
	if (rc > 0) {
		fill_task(q, t);
		store_done(q);
	}
	return rc;
}

int disp_db_tasks_of_warning(store *s, int64_t warning_id, const char *state, const auth_scope *scope, disp_task_fn fn,
                             void *ctx, yj_err *e)
{
	store_q *q = state ? store_query(s, e,
	                                 "SELECT " TASK_COLS " FROM transfer_task WHERE warning_id = ? AND state = ? AND "
	                                 AUTH_SCOPE_SQL("area_code") " ORDER BY id LIMIT 5000",
	                                 warning_id, state, scope->lo, scope->hi)
	                   : store_query(s, e,
	                                 "SELECT " TASK_COLS " FROM transfer_task WHERE warning_id = ? AND "
	                                 AUTH_SCOPE_SQL("area_code") " ORDER BY CASE WHEN state = 'closed' THEN 1 ELSE 0 END, "
	                                 "id LIMIT 5000",
	                                 warning_id, scope->lo, scope->hi);
	return each_task(s, q, fn, ctx, e);
}

int disp_db_tasks_of_worker(store *s, int64_t worker, disp_task_fn fn, void *ctx, yj_err *e)
{
	return each_task(s,
	                 store_query(s, e,
	                             "SELECT " TASK_COLS " FROM transfer_task WHERE grid_worker_id = ? "
	                             "ORDER BY CASE WHEN state = 'closed' THEN 1 ELSE 0 END, id DESC LIMIT 500",
	                             worker),
	                 fn, ctx, e);
}

static int task_count_row(store_q *q, void *ctx, yj_err *e)
{
	const disp_visit *v = ctx;
	v->fn.task_count(store_col_str(q, 0), store_col_int(q, 1), store_col_int(q, 2), store_col_int(q, 3),
	                 store_col_int(q, 4), v->ctx);
	return 0;
}

int disp_db_task_counts(store *s, int64_t warning_id, const auth_scope *scope, disp_task_count_fn fn, void *ctx,
                        yj_err *e)
{
	return store_each(store_query(s, e,
	                              "SELECT area_code, sum(planned), sum(moved), count(*), "
	                              "sum(CASE WHEN state = 'open' THEN 1 ELSE 0 END) FROM transfer_task "
	                              "WHERE warning_id = ? AND " AUTH_SCOPE_SQL("area_code") " GROUP BY area_code",
	                              warning_id, scope->lo, scope->hi),
	                  task_count_row, &(disp_visit){.ctx = ctx, .fn.task_count = fn}, e);
}

int64_t disp_db_task_moved(store *s, int64_t id, int64_t moved, const char *close_reason, int64_t now, yj_err *e)
{
	if (close_reason)
		return store_run(s, e,
		                 "UPDATE transfer_task SET moved = ?1, updated_ms = ?2, state = 'closed', closed_ms = ?2, "
		                 "closed_reason = ?3 WHERE id = ?4 AND state = 'open'",
		                 moved, now, close_reason, id);
	return store_run(s, e, "UPDATE transfer_task SET moved = ?, updated_ms = ? WHERE id = ? AND state = 'open'", moved,
	                 now, id);
}

/* ---- reports ------------------------------------------------------------------------------------------------- */

int disp_db_report_find(store *s, int64_t user_id, const char *key, int64_t *task_id, yj_err *e)
{
	return store_get_int(s, task_id, e, "SELECT task_id FROM transfer_report WHERE user_id = ? AND idempotency_key = ?",
	                     user_id, key);
}

int disp_db_report_add(store *s, const disp_report *r, const char *key, yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO transfer_report(task_id, user_id, idempotency_key, moved, shelter_id, nobody_at_risk, "
	                 "reason, note, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                 r->task_id, r->user_id, key, r->moved, store_id_or_null(r->shelter_id), r->nobody_at_risk,
	                 r->reason[0] ? r->reason : NULL, r->note[0] ? r->note : NULL, r->created_ms) < 0
	               ? -1
	               : 0;
}

static int report_row(store_q *q, void *ctx, yj_err *e)
{
	const disp_visit *v = ctx;
	disp_report r;
	r.id = store_col_int(q, 0);
	r.task_id = store_col_int(q, 1);
	r.user_id = store_col_int(q, 2);
	r.moved = store_col_int(q, 3);
	r.shelter_id = store_col_int(q, 4);
	r.nobody_at_risk = store_col_int(q, 5) != 0;
	store_col_copy(q, 6, r.reason, sizeof r.reason);
	store_col_copy(q, 7, r.note, sizeof r.note);
	r.created_ms = store_col_int(q, 8);
	return v->fn.report(v->s, &r, v->ctx, e);
}

int disp_db_reports_each(store *s, int64_t task_id, disp_report_fn fn, void *ctx, yj_err *e)
{
	return store_each(store_query(s, e,
	                              "SELECT id, task_id, user_id, moved, coalesce(shelter_id, 0), nobody_at_risk, "
	                              "coalesce(reason, ''), coalesce(note, ''), created_ms FROM transfer_report "
	                              "WHERE task_id = ? ORDER BY id",
	                              task_id),
	                  report_row, &(disp_visit){.s = s, .ctx = ctx, .fn.report = fn}, e);
}
