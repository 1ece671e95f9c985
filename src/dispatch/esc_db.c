/*
 * esc_db.c — the SQL of table `escalation`, which dispatch owns: one row
 * each time an unanswered recipient went up a level, naming the area it
 * went to and the supervisors told there, open until the recipient
 * answers or the warning ends. Read with its recipient (also dispatch's).
 */
#include <string.h>

#include "dispatch/disp_int.h"

int disp_db_esc_add(store *s, const disp_due *d, int step, const char *to_area, json_t *supervisors, int64_t now,
                    yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO escalation(warning_id, recipient_id, step, from_area, to_area, supervisors, created_ms) "
	                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
	                 d->warning_id, d->id, step, d->area_code, to_area, supervisors, now) < 0
	               ? -1
	               : 0;
}

int disp_db_esc_resolve_warning(store *s, int64_t warning_id, int64_t now, yj_err *e)
{
	return store_run(s, e, "UPDATE escalation SET resolved_ms = ? WHERE warning_id = ? AND resolved_ms IS NULL", now,
	                 warning_id) < 0
	               ? -1
	               : 0;
}

int disp_db_esc_resolve_recipient(store *s, int64_t recipient_id, int64_t now, yj_err *e)
{
	return store_run(s, e, "UPDATE escalation SET resolved_ms = ? WHERE recipient_id = ? AND resolved_ms IS NULL", now,
	                 recipient_id) < 0
	               ? -1
	               : 0;
}

static int esc_row(store_q *q, void *ctx, yj_err *e)
{
	const disp_visit *v = ctx;
	disp_esc x;
	memset(&x, 0, sizeof x);
	x.id = store_col_int(q, 0);
	x.warning_id = store_col_int(q, 1);
	x.recipient_id = store_col_int(q, 2);
	x.step = (int)store_col_int(q, 3);
	store_col_copy(q, 4, x.from_area, sizeof x.from_area);
	store_col_copy(q, 5, x.to_area, sizeof x.to_area);
	x.created_ms = store_col_int(q, 6);
	x.supervisors = store_col_json(q, 7);
	x.user_id = store_col_int(q, 8);
	store_col_copy(q, 9, x.recipient_state, sizeof x.recipient_state);
	int rc = v->fn.esc(v->s, &x, v->ctx, e);
	json_decref(x.supervisors);
	return rc;
}

int disp_db_esc_open_to(store *s, const char *area, disp_esc_fn fn, void *ctx, yj_err *e)
{
	/* the supervisors are a JSON array: the caller picks its own out of it (in C, not JSON SQL) */
	return store_each(store_query(s, e,
	                              "SELECT x.id, x.warning_id, x.recipient_id, x.step, x.from_area, x.to_area, "
	                              "x.created_ms, x.supervisors, coalesce(r.user_id, 0), r.state FROM escalation x "
	                              "JOIN recipient r ON r.id = x.recipient_id WHERE x.resolved_ms IS NULL "
	                              "AND x.to_area = ? ORDER BY x.id DESC",
	                              area),
	                  esc_row, &(disp_visit){.s = s, .ctx = ctx, .fn.esc = fn}, e);
}

int disp_db_esc_counts(store *s, int64_t warning_id, const auth_scope *scope, disp_count_fn fn, void *ctx, yj_err *e)
{
	return disp_db_counts_each(store_query(s, e,
	                                       "SELECT r.area_code, count(*) FROM escalation x JOIN recipient r "
	                                       "ON r.id = x.recipient_id WHERE x.warning_id = ? AND x.resolved_ms IS NULL "
	                                       "AND " AUTH_SCOPE_SQL("r.area_code") " GROUP BY r.area_code",
	                                       warning_id, scope->lo, scope->hi),
	                           false, fn, ctx, e);
}
