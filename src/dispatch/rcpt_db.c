/*
 * rcpt_db.c — the SQL of table `recipient`, which dispatch owns: one
 * record per person (or member unit) and channel for each warning, with
 * its state, its version, the webhook attempts and the escalation
 * deadline. Nothing else runs SQL on it; the services of src/dispatch call
 * these functions. Portable SQL only (SQLite 3.40 and PostgreSQL 15).
 *
 * The escalation deadline (next_escalation_ms) is a partial index: an
 * acknowledgement leaves it alone (one random index page less to write per
 * ack, the hottest write), and the escalation pass drops answered records
 * from it in bulk once their deadline passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/disp_int.h"

#define RCPT_COLS                                                                                                   \
	"id, warning_id, coalesce(user_id, 0), coalesce(unit_id, 0), area_code, channel, state, version, attempts, "     \
	"escalations, queued_ms, coalesce(sent_ms, 0), coalesce(delivered_ms, 0), coalesce(read_ms, 0), "              \
	"coalesce(acked_ms, 0), coalesce(failed_ms, 0), coalesce(next_attempt_ms, 0), coalesce(next_escalation_ms, 0), " \
	"coalesce(fail_reason, '')"

static void fill(store_q *q, disp_rcpt *r)
{
	r->id = store_col_int(q, 0);
	r->warning_id = store_col_int(q, 1);
	r->user_id = store_col_int(q, 2);
	r->unit_id = store_col_int(q, 3);
	store_col_copy(q, 4, r->area_code, sizeof r->area_code);
	store_col_copy(q, 5, r->channel, sizeof r->channel);
	store_col_copy(q, 6, r->state, sizeof r->state);
	r->version = (int)store_col_int(q, 7);
	r->attempts = (int)store_col_int(q, 8);
	r->escalations = (int)store_col_int(q, 9);
	r->queued_ms = store_col_int(q, 10);
	r->sent_ms = store_col_int(q, 11);
	r->delivered_ms = store_col_int(q, 12);
	r->read_ms = store_col_int(q, 13);
	r->acked_ms = store_col_int(q, 14);
	r->failed_ms = store_col_int(q, 15);
	r->next_attempt_ms = store_col_int(q, 16);
	r->next_escalation_ms = store_col_int(q, 17);
	store_col_copy(q, 18, r->fail_reason, sizeof r->fail_reason);
}

static int rcpt_row(store_q *q, void *ctx, yj_err *e)
{
	const disp_visit *v = ctx;
	disp_rcpt r;
	fill(q, &r);
	return v->fn.rcpt(v->s, &r, v->ctx, e);
}

/* step q to the end, fn on each row: 0, or -1 */
static int each(store *s, store_q *q, disp_rcpt_fn fn, void *ctx, yj_err *e)
{
	return store_each(q, rcpt_row, &(disp_visit){.s = s, .ctx = ctx, .fn.rcpt = fn}, e);
}

/* ---- rows of ids and of counts (every table of dispatch reads them) ------------------------------------------ */

typedef struct id_list {
	int64_t *v;
	size_t n, cap;
} id_list;

static int id_row(store_q *q, void *ctx, yj_err *e)
{
	id_list *l = ctx;
	l->v = yj_grow(l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n++] = store_col_int(q, 0);
	return 0;
}

int disp_db_ids(store_q *q, int64_t **ids, size_t *n, yj_err *e)
{
	id_list l = {0};
	int rc = store_each(q, id_row, &l, e);
	if (rc) {
		free(l.v);
		l.v = NULL;
		l.n = 0;
	}
	*ids = l.v;
	*n = l.n;
	return rc;
}

static int count_row(store_q *q, void *ctx, yj_err *e)
{
	const disp_visit *v = ctx;
	v->fn.count(store_col_str(q, 0), v->with_state ? store_col_str(q, 1) : NULL,
	            store_col_int(q, v->with_state ? 2 : 1), v->ctx);
	return 0;
}

int disp_db_counts_each(store_q *q, bool with_state, disp_count_fn fn, void *ctx, yj_err *e)
{
	return store_each(q, count_row, &(disp_visit){.ctx = ctx, .fn.count = fn, .with_state = with_state}, e);
}


/* ---- made and changed by the warning's versions -------------------------------------------------------- */

int64_t disp_db_add_person(store *s, const disp_told *t, int64_t user_id, const char *area, yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO recipient(warning_id, user_id, area_code, channel, state, version, queued_ms, sent_ms, "
	                 "delivered_ms, next_escalation_ms) VALUES (?1, ?2, ?3, 'in_app', 'delivered', ?4, ?5, ?5, ?5, ?6) "
	                 "ON CONFLICT DO NOTHING",
	                 t->warning_id, user_id, area, t->version, t->now, t->next_escalation);
}

int64_t disp_db_add_people(store *s, const disp_told *t, const disp_person *people, size_t n, yj_err *e)
{
	/* one multi-row INSERT: a statement's fixed cost (bind, reset, cursors) is paid once for n people,
	 * which is most of the cost of telling 100,000 one by one. The text depends on n only. */
	char sql[160 + DISP_ADD_BATCH * 64];
	store_val v[4 + 2 * DISP_ADD_BATCH];
	if (n == 0 || n > DISP_ADD_BATCH)
		return yj_fail(e, YJ_EINTERNAL, "", "internal error");
	int len = snprintf(sql, sizeof sql,
	                   "INSERT INTO recipient(warning_id, user_id, area_code, channel, state, version, queued_ms, sent_ms, "
	                   "delivered_ms, next_escalation_ms) VALUES ");
	size_t nv = 0;
	v[nv++] = store_v_int(t->warning_id);
	v[nv++] = store_v_int(t->version);
	v[nv++] = store_v_int(t->now);
	v[nv++] = store_v_int(t->next_escalation);
	for (size_t i = 0; i < n; i++) {
		len += snprintf(sql + len, sizeof sql - (size_t)len, "%s(?1, ?%zu, ?%zu, 'in_app', 'delivered', ?2, ?3, ?3, ?3, ?4)",
		                i ? ", " : "", nv + 1, nv + 2);
		v[nv++] = store_v_int(people[i].user_id);
		v[nv++] = store_v_text(people[i].area_code);
	}
	snprintf(sql + len, sizeof sql - (size_t)len, " ON CONFLICT DO NOTHING");
	return store_run_a(s, e, sql, v, nv);
}

int64_t disp_db_add_unit(store *s, const disp_told *t, int64_t unit_id, const char *area, const char *channel,
                         yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO recipient(warning_id, unit_id, area_code, channel, state, version, queued_ms, "
	                 "next_attempt_ms) VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?6) ON CONFLICT DO NOTHING",
	                 t->warning_id, unit_id, area, channel, t->version, t->now);
}

int disp_db_retell(store *s, const disp_told *t, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE recipient SET version = ?1, "
	                 "state = CASE WHEN channel = 'in_app' THEN 'delivered' ELSE 'queued' END, "
	                 "delivered_ms = CASE WHEN channel = 'in_app' THEN ?2 ELSE NULL END, read_ms = NULL, acked_ms = NULL, "
	                 "sent_ms = CASE WHEN channel = 'in_app' THEN ?2 ELSE NULL END, failed_ms = NULL, fail_reason = NULL, "
	                 "attempts = 0, next_attempt_ms = CASE WHEN channel = 'in_app' THEN NULL ELSE ?2 END, escalations = 0, "
	                 "next_escalation_ms = CASE WHEN channel = 'in_app' THEN ?3 ELSE NULL END WHERE warning_id = ?4",
	                 t->version, t->now, t->next_escalation, t->warning_id) < 0
	               ? -1
	               : 0;
}

int disp_db_cancel(store *s, int64_t warning_id, int version, int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE recipient SET version = ?1, next_escalation_ms = NULL, "
	                 "state = CASE WHEN channel = 'in_app' THEN state ELSE 'queued' END, "
	                 "next_attempt_ms = CASE WHEN channel = 'in_app' THEN NULL ELSE ?2 END, attempts = 0 "
	                 "WHERE warning_id = ?3",
	                 version, now, warning_id) < 0
	               ? -1
	               : 0;
}

int disp_db_stop_escalating(store *s, int64_t warning_id, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE recipient SET next_escalation_ms = NULL WHERE warning_id = ? AND next_escalation_ms IS NOT NULL",
	                 warning_id) < 0
	               ? -1
	               : 0;
}

/* ---- reads of a warning's records ------------------------------------------------------------------------ */

int disp_db_counts(store *s, int64_t warning_id, int64_t *total, int64_t *acked, yj_err *e)
{
	*total = *acked = 0;
	store_q *q;
	int rc = store_row(s, &q, e,
	                   "SELECT count(*), coalesce(sum(CASE WHEN state = 'acknowledged' THEN 1 ELSE 0 END), 0) "
	                   "FROM recipient WHERE warning_id = ? AND channel = 'in_app'",
	                   warning_id);
	if (rc > 0) {
		*total = store_col_int(q, 0);
		*acked = store_col_int(q, 1);
		store_done(q);
	}
	return rc < 0 ? -1 : 0;
}

int64_t disp_db_records(store *s, int64_t warning_id, yj_err *e)
{
	int64_t n = 0;
	return store_get_int(s, &n, e, "SELECT count(*) FROM recipient WHERE warning_id = ?", warning_id) < 0 ? -1 : n;
}

int disp_db_user_ids(store *s, int64_t warning_id, int64_t **ids, size_t *n, yj_err *e)
{
	/* the unique key (warning_id, channel, user_id) answers in order, without a sort */
	return disp_db_ids(store_query(s, e,
	                               "SELECT user_id FROM recipient WHERE warning_id = ? AND channel = 'in_app' "
	                               "AND user_id IS NOT NULL ORDER BY user_id",
	                               warning_id),
	                   ids, n, e);
}

int disp_db_identity(store *s, int64_t id, disp_rcpt *r, yj_err *e)
{
	/* only what the audit projection reads: it runs with every acknowledgement */
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT warning_id, coalesce(user_id, 0), coalesce(unit_id, 0), channel FROM recipient WHERE id = ?",
	                   id);
	if (rc > 0) {
		r->id = id;
		r->warning_id = store_col_int(q, 0);
		r->user_id = store_col_int(q, 1);
		r->unit_id = store_col_int(q, 2);
		store_col_copy(q, 3, r->channel, sizeof r->channel);
		store_done(q);
	}
	return rc;
}

int disp_db_mine(store *s, int64_t warning_id, int64_t user_id, disp_rcpt *r, yj_err *e)
{
	/* what the person's own view and answers need, no more: an acknowledgement reads it */
	memset(r, 0, sizeof *r);
	store_q *q;
	int rc = store_row(s, &q, e,
	                   "SELECT id, area_code, state, version, escalations, coalesce(delivered_ms, 0), coalesce(read_ms, 0), "
	                   "coalesce(acked_ms, 0) FROM recipient WHERE warning_id = ? AND user_id = ? AND channel = 'in_app'",
	                   warning_id, user_id);
	if (rc > 0) {
		r->id = store_col_int(q, 0);
		r->warning_id = warning_id;
		r->user_id = user_id;
		snprintf(r->channel, sizeof r->channel, "in_app");
		store_col_copy(q, 1, r->area_code, sizeof r->area_code);
		store_col_copy(q, 2, r->state, sizeof r->state);
		r->version = (int)store_col_int(q, 3);
		r->escalations = (int)store_col_int(q, 4);
		r->delivered_ms = store_col_int(q, 5);
		r->read_ms = store_col_int(q, 6);
		r->acked_ms = store_col_int(q, 7);
		store_done(q);
	}
	return rc;
}

/* ---- a person's answers -------------------------------------------------------------------------------------- */

int64_t disp_db_ack(store *s, int64_t id, int64_t now, yj_err *e)
{
	/* next_escalation_ms stays: the escalation pass drops answered records in bulk */
	return store_run(s, e,
	                 "UPDATE recipient SET state = 'acknowledged', acked_ms = ?1, read_ms = coalesce(read_ms, ?1) "
	                 "WHERE id = ?2 AND state IN ('delivered', 'read')",
	                 now, id);
}

int64_t disp_db_mark_read(store *s, int64_t id, int version, int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE recipient SET state = 'read', read_ms = ?1 WHERE id = ?2 AND version = ?3 AND state = 'delivered'",
	                 now, id, version);
}

int disp_db_inbox_each(store *s, int64_t user_id, long limit, disp_rcpt_fn fn, void *ctx, yj_err *e)
{
	return each(s,
	            store_query(s, e,
	                        "SELECT " RCPT_COLS " FROM recipient WHERE user_id = ? AND channel = 'in_app' "
	                        "ORDER BY queued_ms DESC, id DESC LIMIT ?",
	                        user_id, limit),
	            fn, ctx, e);
}

int disp_db_recipients_each(store *s, const disp_rcpt_query *q, disp_rcpt_fn fn, void *ctx, yj_err *e)
{
	/* the text is made of fixed pieces by the query's shape; every value is bound */
	char sql[768];
	store_val v[8];
	size_t nv = 0;
	int n = snprintf(sql, sizeof sql, "SELECT " RCPT_COLS " FROM recipient WHERE warning_id = ? AND " AUTH_SCOPE_SQL("area_code"));
	v[nv++] = store_v_int(q->warning_id);
	v[nv++] = store_v_text(q->scope->lo);
	v[nv++] = store_v_text(q->scope->hi);
	if (q->state && strcmp(q->state, "unacknowledged") == 0) {
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND state <> 'acknowledged' AND channel = 'in_app'");
	} else if (q->state) {
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND state = ?");
		v[nv++] = store_v_text(q->state);
	}
	if (q->channel) {
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND channel = ?");
		v[nv++] = store_v_text(q->channel);
	}
	snprintf(sql + n, sizeof sql - (size_t)n, " AND id > ? ORDER BY id LIMIT ?");
	v[nv++] = store_v_int(q->cursor);
	v[nv++] = store_v_int(q->limit);
	return each(s, store_query_a(s, e, sql, v, nv), fn, ctx, e);
}

int disp_db_state_counts(store *s, int64_t warning_id, const auth_scope *scope, disp_count_fn fn, void *ctx, yj_err *e)
{
	return disp_db_counts_each(store_query(s, e,
	                                       "SELECT area_code, state, count(*) FROM recipient WHERE warning_id = ? "
	                                       "AND channel = 'in_app' AND " AUTH_SCOPE_SQL("area_code")
	                                       " GROUP BY area_code, state",
	                                       warning_id, scope->lo, scope->hi),
	                           true, fn, ctx, e);
}

/* ---- escalation ----------------------------------------------------------------------------------------------- */

int64_t disp_db_clear_answered(store *s, int64_t now, yj_err *e)
{
	/* bounded: a city-wide deadline clears 100,000 records over a few passes instead of holding
	 * the write lock for all of them at once */
	return store_run(s, e,
	                 "UPDATE recipient SET next_escalation_ms = NULL WHERE id IN (SELECT id FROM recipient "
	                 "WHERE next_escalation_ms <= ? AND state IN ('acknowledged', 'failed') LIMIT 20000)",
	                 now);
}

/* rows into an array of at most cap items, each filled by read */
typedef struct filled {
	void *out;
	size_t size;
	long n, cap;
	void (*read)(store_q *q, void *item);
} filled;

static int fill_next(store_q *q, void *ctx, yj_err *e)
{
	filled *f = ctx;
	if (f->n == f->cap)
		return 1;
	f->read(q, (char *)f->out + (size_t)f->n++ * f->size);
	return 0;
}

static long fill_all(store_q *q, filled *f, yj_err *e)
{
	return store_each(q, fill_next, f, e) ? -1 : f->n;
}

static void read_due(store_q *q, void *item)
{
	disp_due *d = item;
	d->id = store_col_int(q, 0);
	d->warning_id = store_col_int(q, 1);
	store_col_copy(q, 2, d->area_code, sizeof d->area_code);
	d->escalations = (int)store_col_int(q, 3);
}

long disp_db_due(store *s, int64_t now, disp_due *out, long cap, yj_err *e)
{
	return fill_all(store_query(s, e,
	                            "SELECT id, warning_id, area_code, escalations FROM recipient WHERE next_escalation_ms <= ? "
	                            "AND state NOT IN ('acknowledged', 'failed') LIMIT ?",
	                            now, cap),
	                &(filled){out, sizeof *out, 0, cap, read_due}, e);
}

int disp_db_escalated(store *s, int64_t id, int step, int64_t next_ms, yj_err *e)
{
	int64_t n = store_run(s, e, "UPDATE recipient SET escalations = ?, next_escalation_ms = ? WHERE id = ?", step,
	                      next_ms > 0 ? store_v_int(next_ms) : store_null(), id);
	return n < 0 ? -1 : 0;
}

/* ---- webhooks ----------------------------------------------------------------------------------------------------- */

static void read_rcpt(store_q *q, void *item)
{
	fill(q, item);
}

long disp_db_hooks_due(store *s, int64_t now, disp_rcpt *out, long cap, yj_err *e)
{
	return fill_all(store_query(s, e,
	                            "SELECT " RCPT_COLS " FROM recipient WHERE next_attempt_ms <= ? "
	                            "AND state IN ('queued', 'sent') ORDER BY next_attempt_ms LIMIT ?",
	                            now, cap),
	                &(filled){out, sizeof *out, 0, cap, read_rcpt}, e);
}

int disp_db_hook_delivered(store *s, const disp_rcpt *r, int attempts, int64_t t, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE recipient SET state = 'delivered', attempts = ?1, sent_ms = ?2, delivered_ms = ?2, "
	                 "next_attempt_ms = NULL, fail_reason = NULL WHERE id = ?3 AND version = ?4",
	                 attempts, t, r->id, r->version) < 0
	               ? -1
	               : 0;
}

int disp_db_hook_failed(store *s, const disp_rcpt *r, int attempts, int64_t t, const char *reason, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE recipient SET state = 'failed', attempts = ?1, failed_ms = ?2, next_attempt_ms = NULL, "
	                 "fail_reason = ?3 WHERE id = ?4 AND version = ?5",
	                 attempts, t, reason, r->id, r->version) < 0
	               ? -1
	               : 0;
}

int disp_db_hook_retry(store *s, const disp_rcpt *r, int attempts, int64_t t, int64_t backoff_ms, const char *reason,
                       yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE recipient SET state = 'sent', attempts = ?1, sent_ms = coalesce(sent_ms, ?2), "
	                 "next_attempt_ms = ?3, fail_reason = ?4 WHERE id = ?5 AND version = ?6",
	                 attempts, t, t + backoff_ms, reason, r->id, r->version) < 0
	               ? -1
	               : 0;
}
