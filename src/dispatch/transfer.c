/*
 * transfer.c — transfer tasks (临灾避险转移): a warning that orders an
 * evacuation gets one task per risk point at risk (planned = the point's
 * population), for the point's grid worker; grid workers report persons
 * moved (once per idempotency key: a phone retrying counts nothing twice)
 * until the task closes at planned, or when a grid worker reports nobody at
 * risk (with the reason in the report). Commanders chase open tasks.
 * Cancelling the warning closes them. A closed task says why as a code
 * (DISP_CLOSED_*: all_moved, nobody_at_risk, warning_cancelled).
 *
 * Every change of a task is audited (projection transfer_task, built from
 * the stored row) and tells the warning's loop stream after the commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "dispatch/disp_int.h"
#include "geo/geo.h"
#include "registry/registry.h"

/* ---- making tasks (inside the warning's transaction) --------------------------------------------------------- */

typedef struct fallback {
	char key[16];     /* the town (or exact area) last looked up */
	int64_t worker;   /* its first grid worker, 0 none */
	bool have;
} fallback;

static int first_worker(store *s, const auth_user_row *u, void *ctx, yj_err *e)
{
	*(int64_t *)ctx = u->id;
	return 1;
}

/*
 * A risk point without a grid worker of its own goes to the first grid
 * worker of its town, inside the issuer's area (a point above town level:
 * of its exact area).
 */
static int fallback_worker(store *s, fallback *fb, const auth_scope *issuer, const char *area, int64_t *out, yj_err *e)
{
	const geo_area *a = geo_area_find(area);
	char town[16];
	snprintf(town, sizeof town, "%s", area);
	bool exact = !a || a->level < GEO_LEVEL_TOWN;
	for (int guard = 0; !exact && guard < 4; guard++) {
		const geo_area *t = geo_area_find(town);
		if (!t || t->level <= GEO_LEVEL_TOWN)
			break;
		geo_area_parent(town, town);
	}
	if (fb->have && strcmp(fb->key, town) == 0) {
		*out = fb->worker;
		return 0;
	}
	auth_user_query q = {.roles = ROLE_BIT(ROLE_GRID_WORKER)};
	auth_scope sc;
	if (exact) {
		q.exact_area = town;
	} else {
		if (auth_scope_of_area(town, "area_code", &sc, e))
			return -1;
		q.scope = auth_scope_contains(issuer, town) ? &sc : issuer;
	}
	int64_t worker = 0;
	if (auth_users_each(s, &q, first_worker, &worker, e))
		return -1;
	snprintf(fb->key, sizeof fb->key, "%s", town);
	fb->worker = exact && !auth_scope_contains(issuer, town) ? 0 : worker;
	fb->have = true;
	*out = fb->worker;
	return 0;
}

int disp_tasks_make(store *s, const warn_info *w, const auth_scope *issuer, const disp_point *points, size_t n,
                    int64_t now, yj_err *e)
{
	fallback fb = {0};
	for (size_t i = 0; i < n; i++) {
		const disp_point *p = &points[i];
		if (p->population <= 0)
			continue;
		int64_t worker = 0;
		if (p->worker) {
			auth_user_row u;
			int rc = auth_user_get(s, p->worker, &u, e);
			if (rc < 0)
				return -1;
			if (rc > 0 && !u.disabled && auth_scope_contains(issuer, u.area_code))
				worker = u.id;
		}
		if (!worker && fallback_worker(s, &fb, issuer, p->area_code, &worker, e))
			return -1;
		if (disp_db_task_add(s, w->id, p->id, p->area_code, worker, p->population, now, e) < 0)
			return -1;
	}
	return 0;
}

int disp_tasks_cancel(store *s, int64_t warning_id, int64_t now, yj_err *e)
{
	int64_t *ids;
	size_t n;
	if (disp_db_tasks_open(s, warning_id, &ids, &n, e))
		return -1;
	int rc = n ? disp_db_tasks_close(s, warning_id, DISP_CLOSED_WARNING_CANCELLED, now, e) : 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = audit_record_id(s, NULL, "transfer.close", "transfer_task", ids[i], e);
	free(ids);
	return rc;
}

/* ---- reports (a job of the group writer) ------------------------------------------------------------------------- */

int disp_task_closed(yj_err *e, int64_t id)
{
	return yj_refuse(e, YJ_ECONFLICT, "task_closed", "state", "转移任务 %lld 已结束，不再接收上报或催办", (long long)id);
}

int disp_report_run(store *s, void *ctx, yj_err *e)
{
	disp_report_job *j = ctx;
	if (j->key) {
		int64_t task;
		int rc = disp_db_report_find(s, j->user->id, j->key, &task, e);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			j->duplicate = true; /* the first attempt counted; a retry counts nothing */
			return 0;
		}
	}
	disp_task t;
	int rc = disp_db_task_get(s, j->task, &t, e);
	if (rc <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "no transfer task %lld", (long long)j->task);
	j->warning = t.warning_id;
	snprintf(j->area, sizeof j->area, "%s", t.area_code);
	if (strcmp(t.state, "open") != 0)
		return disp_task_closed(e, j->task);
	int64_t now = yj_now_ms();
	disp_report r = {.task_id = j->task, .user_id = j->user->id, .moved = j->moved, .shelter_id = j->shelter,
	                 .nobody_at_risk = j->nobody, .created_ms = now};
	snprintf(r.reason, sizeof r.reason, "%s", j->reason ? j->reason : "");
	snprintf(r.note, sizeof r.note, "%s", j->note ? j->note : "");
	if (disp_db_report_add(s, &r, j->key, e))
		return -1;
	int64_t moved = t.moved + j->moved;
	j->closed_now = moved >= t.planned || j->nobody;
	const char *reason = !j->closed_now ? NULL : j->nobody ? DISP_CLOSED_NOBODY : DISP_CLOSED_ALL_MOVED;
	int64_t n = disp_db_task_moved(s, j->task, moved, reason, now, e);
	if (n < 0)
		return -1;
	if (n == 0)
		return disp_task_closed(e, j->task);
	if (audit_record_id(s, j->user, "transfer.report", "transfer_task", j->task, e))
		return -1;
	return disp_emit_loop(s, j->warning, j->area, e);
}

int disp_check_shelter(store *s, const disp_task *task, int64_t shelter, yj_err *e)
{
	/* a shelter of the evacuating warning's jurisdiction (the people of a town may go to the town's shelter) */
	reg_shelter sh;
	int rc = reg_shelter_get(s, shelter, &sh, e);
	if (rc < 0)
		return -1;
	warn_info w;
	int wrc = rc > 0 ? warn_get(s, task->warning_id, &w, e) : 0;
	if (wrc < 0)
		return -1;
	auth_scope issuer;
	bool ok = wrc > 0 && auth_scope_of_area(w.area_code, "area_code", &issuer, NULL) == 0 &&
	          auth_scope_contains(&issuer, sh.area_code);
	if (wrc > 0)
		warn_info_clear(&w);
	return ok ? 0 : yj_fail(e, YJ_EINVAL, "shelter_id", "field 'shelter_id': no such shelter");
}

/* ---- chase --------------------------------------------------------------------------------------------------------- */

int disp_task_chase(store *s, const auth_user *u, const disp_task *t, yj_err *e)
{
	if (store_begin(s, e))
		return -1;
	int rc = audit_record_id(s, u, "transfer.chase", "transfer_task", t->id, e);
	if (rc == 0 && t->grid_worker_id) {
		json_t *d = json_pack("{s:I, s:I, s:s}", "task_id", (json_int_t)t->id, "warning_id", (json_int_t)t->warning_id,
		                      "by", u->username);
		char *data = d ? json_dumps(d, JSON_COMPACT) : NULL;
		json_decref(d);
		int64_t who = t->grid_worker_id;
		bus_event ev = {.topic = DISP_EV_CHASE, .id = t->id, .users = &who, .nusers = 1, .stream = "inbox",
		                .name = "chase", .data = data};
		rc = data ? bus_emit(s, &ev, e) : yj_fail(e, YJ_EINTERNAL, "", "internal error");
		free(data);
	}
	if (rc || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

/* ---- audit projection ------------------------------------------------------------------------------------------------ */

/* transfer_task, version 1: the task's counts and state as stored (reports, closing and chases are audited) */
json_t *disp_project_task(store *s, const char *id)
{
	disp_task t;
	if (disp_db_task_get(s, strtoll(id, NULL, 10), &t, NULL) <= 0)
		return NULL;
	return json_pack("{s:I, s:I, s:s, s:I, s:I, s:I, s:s, s:s}", "warning_id", (json_int_t)t.warning_id, "risk_point_id",
	                 (json_int_t)t.risk_point_id, "area_code", t.area_code, "grid_worker_id", (json_int_t)t.grid_worker_id,
	                 "planned", (json_int_t)t.planned, "moved", (json_int_t)t.moved, "state", t.state, "closed_reason",
	                 t.closed_reason);
}
