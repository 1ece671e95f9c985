/*
 * store_tx.c — transactions, savepoints and what runs after a commit.
 *
 * A connection keeps the hooks registered during its open transaction
 * (store_after_commit) in order. COMMIT runs them; ROLLBACK drops them; a
 * savepoint remembers how many there were when it was set, so rolling
 * back to it drops only the hooks added since (a failed job of the group
 * writer takes its events with it). The event bus (src/bus) rides on
 * this: events are told after the commit, in commit order, never after a
 * rollback — PostgreSQL's NOTIFY, in process.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static int exec_cached(store *s, const char *sql, yj_err *e)
{
	store_q *q = store_sql(s, sql, e);
	if (!q)
		return -1;
	return store_step(q, e) < 0 ? -1 : 0;
}

bool store_in_tx(store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

int store_begin(store *s, yj_err *e)
{
	if (store_in_tx(s))
		return store_savepoint(s, e); /* nested: a savepoint of the open transaction */
	store_finish_all(s, "begin", true);
	s->nhooks = 0;
	s->nsavepoints = 0;
	return exec_cached(s, "BEGIN IMMEDIATE", e);
}

void store_hooks_run(store *s)
{
	/* a hook may open a transaction of its own and add hooks there: take the list first */
	size_t n = s->nhooks;
	if (n == 0)
		return;
	store_hook small[16], *list = n <= 16 ? small : yj_malloc(n * sizeof *list);
	memcpy(list, s->hooks, n * sizeof *list);
	s->nhooks = 0;
	for (size_t i = 0; i < n; i++)
		list[i].fn(list[i].ctx);
	if (list != small)
		free(list);
}

void store_hooks_drop(store *s, size_t from)
{
	size_t n = s->nhooks;
	s->nhooks = from;
	for (size_t i = from; i < n; i++)
		if (s->hooks[i].drop)
			s->hooks[i].drop(s->hooks[i].ctx);
}

static int commit_now(store *s, yj_err *e)
{
	if (exec_cached(s, "COMMIT", e) != 0) {
		store_rollback_all(s);
		return -1;
	}
	s->nsavepoints = 0;
	store_hooks_run(s);
	return 0;
}

int store_commit(store *s, yj_err *e)
{
	if (s->nsavepoints > 0) {
		store_savepoint_release(s); /* nested: it commits with the transaction around it */
		return 0;
	}
	store_finish_all(s, "commit", true);
	if (s->hold_armed) {
		s->held = true; /* committed in the caller's eyes; the holder commits it for real */
		return 0;
	}
	return commit_now(s, e);
}

void store_hold_commit(store *s)
{
	s->hold_armed = true;
	s->held = false;
}

bool store_commit_is_held(store *s)
{
	return s->held && store_in_tx(s);
}

int store_commit_held(store *s, yj_err *e)
{
	s->hold_armed = false;
	s->held = false;
	if (!store_in_tx(s))
		return 0;
	store_finish_all(s, "commit", true);
	return commit_now(s, e);
}

void store_release_hold(store *s)
{
	s->hold_armed = false;
	s->held = false;
}

int store_commit_keep_hooks(store *s, store_hook **hooks, size_t *n, yj_err *e)
{
	*hooks = NULL;
	*n = 0;
	store_finish_all(s, "commit", true);
	if (exec_cached(s, "COMMIT", e) != 0) {
		store_rollback(s);
		return -1;
	}
	s->nsavepoints = 0;
	if (s->nhooks) {
		*hooks = yj_malloc(s->nhooks * sizeof **hooks);
		memcpy(*hooks, s->hooks, s->nhooks * sizeof **hooks);
		*n = s->nhooks;
		s->nhooks = 0;
	}
	return 0;
}

void store_hooks_call(store_hook *hooks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hooks[i].fn(hooks[i].ctx);
	free(hooks);
}

void store_rollback(store *s)
{
	if (s->nsavepoints > 0) {
		store_savepoint_rollback(s); /* nested: only what was done since its begin */
		return;
	}
	store_rollback_all(s);
}

void store_rollback_all(store *s)
{
	s->held = false;
	store_finish_all(s, "rollback", false); /* an error path may leave a loop early */
	s->nsavepoints = 0;
	if (store_in_tx(s))
		exec_cached(s, "ROLLBACK", NULL);
	store_hooks_drop(s, 0);
}

int store_tx(store *s, store_job_fn fn, void *ctx, yj_err *e)
{
	if (store_begin(s, e))
		return -1;
	if (fn(s, ctx, e) || store_commit(s, e)) {
		store_rollback(s);
		if (e && e->code == YJ_OK)
			yj_fail(e, YJ_EINTERNAL, "", "internal error");
		return -1;
	}
	return 0;
}

void store_after_commit(store *s, store_hook_fn fn, store_hook_fn drop, void *ctx)
{
	if (!store_in_tx(s)) {
		fn(ctx); /* no transaction open: what was written is committed already */
		return;
	}
	s->hooks = yj_grow(s->hooks, &s->cap_hooks, s->nhooks + 1, sizeof *s->hooks);
	s->hooks[s->nhooks++] = (store_hook){.fn = fn, .drop = drop, .ctx = ctx};
}

/* ---- savepoints (group.c) ------------------------------------------------------------------------ */

int store_savepoint(store *s, yj_err *e)
{
	if (s->nsavepoints == STORE_MAX_SAVEPOINTS)
		return yj_fail(e, YJ_EINTERNAL, "", "savepoints nested too deep");
	if (exec_cached(s, "SAVEPOINT job", e))
		return -1;
	s->savepoint_mark[s->nsavepoints++] = s->nhooks;
	return 0;
}

void store_savepoint_rollback(store *s)
{
	if (s->nsavepoints == 0)
		return;
	store_finish_all(s, "rollback to savepoint", false);
	size_t mark = s->savepoint_mark[--s->nsavepoints];
	if (store_in_tx(s)) {
		exec_cached(s, "ROLLBACK TO job", NULL);
		exec_cached(s, "RELEASE job", NULL);
	}
	store_hooks_drop(s, mark);
}

void store_savepoint_release(store *s)
{
	if (s->nsavepoints == 0)
		return;
	s->nsavepoints--;
	exec_cached(s, "RELEASE job", NULL);
}
