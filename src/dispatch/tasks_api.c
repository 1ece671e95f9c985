/*
 * tasks_api.c — transfer tasks (临灾转移) over HTTP: a grid worker's own
 * tasks, a warning's tasks for the command centre, one task with its
 * reports and the shelters of its risk point, reports of moved persons
 * (Idempotency-Key: a phone's retry counts nothing twice) and chases.
 * A task is visible to its grid worker and to staff whose jurisdiction
 * holds it; anyone else gets 404.
 */
#include <stdlib.h>
#include <string.h>

#include "dispatch/disp_api.h"
#include "geo/geo.h"
#include "registry/registry.h"

/* warnings read once per answer (a list's tasks share a few) */
typedef struct warnings {
	json_t *seen; /* id -> {headline, level} */
} warnings;

static json_t *warning_brief(store *s, warnings *ws, int64_t id, yj_err *e)
{
	char key[24];
	snprintf(key, sizeof key, "%lld", (long long)id);
	json_t *b = json_object_get(ws->seen, key);
	if (b)
		return b;
	warn_info w;
	int rc = warn_get(s, id, &w, e);
	if (rc < 0)
		return NULL;
	b = json_pack("{s:s, s:s}", "headline", rc > 0 ? w.headline : "", "level", rc > 0 ? w.level : "");
	if (rc > 0)
		warn_info_clear(&w);
	json_object_set_new(ws->seen, key, b);
	return b;
}

/* the shelters linked to a risk point, with what a grid worker needs to choose */
static int add_shelters(store *s, json_t *task, const reg_risk_point *rp, yj_err *e)
{
	json_t *list = json_array();
	json_object_set_new(task, "shelters", list);
	size_t i;
	json_t *v;
	json_array_foreach(rp ? rp->shelter_ids : NULL, i, v) {
		reg_shelter sh;
		int rc = json_is_integer(v) ? reg_shelter_get(s, json_integer_value(v), &sh, e) : 0;
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		json_t *j = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)sh.id, "name", sh.name, "capacity", (json_int_t)sh.capacity);
		disp_set_point(j, sh.lon, sh.lat);
		json_array_append_new(list, j);
	}
	return 0;
}

/* a task as the API shows it; with the shelters of its risk point when shelters is set. NULL + *e on error. */
static json_t *task_json(store *s, warnings *ws, const disp_task *t, bool shelters, yj_err *e)
{
	json_t *brief = warning_brief(s, ws, t->warning_id, e);
	if (!brief)
		return NULL;
	json_t *j = json_pack("{s:I, s:I, s:O, s:O, s:s, s:s, s:I, s:I, s:s}", "id", (json_int_t)t->id, "warning_id",
	                      (json_int_t)t->warning_id, "headline", json_object_get(brief, "headline"), "level",
	                      json_object_get(brief, "level"), "area_code", t->area_code, "area_name",
	                      geo_area_name(t->area_code), "planned", (json_int_t)t->planned, "moved", (json_int_t)t->moved,
	                      "state", t->state);
	reg_risk_point rp;
	int rc = t->risk_point_id ? reg_risk_point_get(s, t->risk_point_id, &rp, e) : 0;
	if (rc < 0)
		goto fail;
	if (rc > 0) {
		json_t *rpj = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)rp.id, "name", rp.name, "type", rp.type);
		disp_set_point(rpj, rp.lon, rp.lat);
		json_object_set_new(j, "risk_point", rpj);
	} else {
		json_object_set_new(j, "risk_point", json_null());
	}
	if (shelters && add_shelters(s, j, rc > 0 ? &rp : NULL, e)) {
		if (rc > 0)
			reg_risk_point_clear(&rp);
		goto fail;
	}
	if (rc > 0)
		reg_risk_point_clear(&rp);
	auth_user_row u;
	rc = t->grid_worker_id ? auth_user_get(s, t->grid_worker_id, &u, e) : 0;
	if (rc < 0)
		goto fail;
	json_object_set_new(j, "grid_worker", rc > 0 ? json_pack("{s:I, s:s, s:s}", "id", (json_int_t)u.id, "display_name",
	                                                         u.display_name, "phone", u.phone)
	                                             : json_null());
	json_object_set_new(j, "closed_reason", t->closed_reason[0] ? json_string(t->closed_reason) : json_null());
	json_object_set_new(j, "closed", disp_time_json(t->closed_ms));
	json_object_set_new(j, "created", disp_time_json(t->created_ms));
	json_object_set_new(j, "updated", disp_time_json(t->updated_ms));
	return j;
fail:
	json_decref(j);
	return NULL;
}

/* ---- lists -------------------------------------------------------------------------------------------------- */

typedef struct listing {
	warnings ws;
	json_t *items;
	bool shelters;
} listing;

static int list_task(store *s, const disp_task *t, void *ctx, yj_err *e)
{
	listing *l = ctx;
	json_t *j = task_json(s, &l->ws, t, l->shelters, e);
	if (!j)
		return -1;
	json_array_append_new(l->items, j);
	return 0;
}

static int answer_list(http_res *res, listing *l, int rc)
{
	json_decref(l->ws.seen);
	if (rc) {
		json_decref(l->items);
		return -1;
	}
	http_json(res, 200, json_pack("{s:o}", "items", l->items));
	return 0;
}

static int handle_my_tasks(http_req *req, http_res *res, yj_err *e)
{
	listing l = {.ws.seen = json_object(), .items = json_array(), .shelters = true};
	return answer_list(res, &l, disp_db_tasks_of_worker(store_thread(), req->user->id, list_task, &l, e));
}

static int handle_warning_tasks(http_req *req, http_res *res, yj_err *e)
{
	static const char *const states[] = {"open", "closed", NULL};
	int64_t warning_id;
	if (disp_api_warning(req, "id", &warning_id, e))
		return -1;
	int state = -1;
	auth_scope sc;
	if (http_query_enum(req, "state", states, &state, e) < 0 || http_scope(req, &sc, e))
		return -1;
	listing l = {.ws.seen = json_object(), .items = json_array()};
	return answer_list(res, &l,
	                   disp_db_tasks_of_warning(store_thread(), warning_id, state < 0 ? NULL : states[state], &sc,
	                                            list_task, &l, e));
}

/* ---- one task -------------------------------------------------------------------------------------------------- */

/* the task of path parameter id, if the caller is its grid worker or staff over its area */
static int task_for_caller(http_req *req, disp_task *t, yj_err *e)
{
	int64_t id;
	if (http_path_id(req, "id", &id, e))
		return -1;
	int rc = disp_db_task_get(store_thread(), id, t, e);
	if (rc < 0)
		return -1;
	bool mine = rc > 0 && t->grid_worker_id == req->user->id;
	bool staff = rc > 0 && (ROLE_BIT(req->user->role) & (TASK_STAFF | ROLE_BIT(ROLE_ADMIN))) &&
	             auth_area_visible(req->user, t->area_code);
	if (!mine && !staff)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no transfer task %lld for you", (long long)id);
	return 0;
}

/* the task as stored now, with its shelters (after a report or a chase) */
static json_t *task_now(store *s, int64_t id, yj_err *e)
{
	disp_task t;
	int rc = disp_db_task_get(s, id, &t, e);
	if (rc <= 0)
		return rc < 0 ? NULL : (yj_fail(e, YJ_ENOTFOUND, "id", "no transfer task %lld", (long long)id), NULL);
	warnings ws = {.seen = json_object()};
	json_t *j = task_json(s, &ws, &t, true, e);
	json_decref(ws.seen);
	return j;
}

static int add_report(store *s, const disp_report *r, void *ctx, yj_err *e)
{
	char by[128];
	auth_user_label(s, r->user_id, by, sizeof by);
	json_t *j = json_pack("{s:I, s:I, s:b, s:o, s:s}", "id", (json_int_t)r->id, "moved", (json_int_t)r->moved,
	                      "nobody_at_risk", r->nobody_at_risk, "created", disp_time_json(r->created_ms), "by", by);
	if (r->shelter_id) {
		reg_shelter sh;
		int rc = reg_shelter_get(s, r->shelter_id, &sh, e);
		if (rc < 0) {
			json_decref(j);
			return -1;
		}
		json_object_set_new(j, "shelter", json_pack("{s:I, s:s}", "id", (json_int_t)r->shelter_id, "name", rc > 0 ? sh.name : ""));
	}
	if (r->reason[0])
		json_object_set_new(j, "reason", json_string(r->reason));
	if (r->note[0])
		json_object_set_new(j, "note", json_string(r->note));
	json_array_append_new(ctx, j);
	return 0;
}

static int handle_task_get(http_req *req, http_res *res, yj_err *e)
{
	disp_task t;
	if (task_for_caller(req, &t, e))
		return -1;
	store *s = store_thread();
	warnings ws = {.seen = json_object()};
	json_t *j = task_json(s, &ws, &t, true, e);
	json_decref(ws.seen);
	if (!j)
		return -1;
	json_t *reports = json_array();
	json_object_set_new(j, "reports", reports);
	if (disp_db_reports_each(s, t.id, add_report, reports, e)) {
		json_decref(j);
		return -1;
	}
	http_json(res, 200, j);
	return 0;
}

static int handle_task_report(http_req *req, http_res *res, yj_err *e)
{
	disp_task t;
	if (task_for_caller(req, &t, e))
		return -1;
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	static const char *const keys[] = {"moved", "shelter_id", "nobody_at_risk", "reason", "note", NULL};
	disp_report_job j = {.task = t.id, .user = req->user, .key = http_header(req, "Idempotency-Key")};
	int rc = -1, has_moved = 0;
	if (yj_only_keys(body, keys, e))
		goto out;
	if (j.key && (strlen(j.key) < 8 || strlen(j.key) > 128)) {
		yj_fail(e, YJ_EINVAL, "Idempotency-Key", "header 'Idempotency-Key': 8 to 128 characters (e.g. a UUID)");
		goto out;
	}
	if (yj_json_bool(body, "nobody_at_risk", 0, &j.nobody, e) < 0 ||
	    (has_moved = yj_json_int(body, "moved", 0, 0, 100000, &j.moved, e)) < 0 ||
	    yj_json_text(body, "reason", 0, 1000, &j.reason, e) < 0 || yj_json_text(body, "note", 0, 1000, &j.note, e) < 0 ||
	    yj_json_id(body, "shelter_id", 0, &j.shelter, e) < 0)
		goto out;
	if (!has_moved && !j.nobody) {
		yj_fail(e, YJ_EINVAL, "moved", "field 'moved' is required (persons moved), or nobody_at_risk with a reason");
		goto out;
	}
	if (j.nobody && (!j.reason || !*j.reason)) {
		yj_fail(e, YJ_EINVAL, "reason", "field 'reason' is required with nobody_at_risk");
		goto out;
	}
	store *s = store_thread();
	if ((j.shelter && disp_check_shelter(s, &t, j.shelter, e)) || store_group_run(disp_report_run, &j, e))
		goto out;
	json_t *now = task_now(s, t.id, e);
	if (!now)
		goto out;
	json_object_set_new(now, "duplicate", json_boolean(j.duplicate));
	http_json(res, j.duplicate ? 200 : 201, now);
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static int handle_task_chase(http_req *req, http_res *res, yj_err *e)
{
	disp_task t;
	if (task_for_caller(req, &t, e))
		return -1;
	if (strcmp(t.state, "open") != 0)
		return disp_task_closed(e, t.id);
	store *s = store_thread();
	if (disp_task_chase(s, req->user, &t, e))
		return -1;
	json_t *j = task_now(s, t.id, e);
	if (!j)
		return -1;
	json_object_set_new(j, "chased", json_true());
	http_json(res, 200, j);
	return 0;
}

void disp_task_routes(void)
{
	http_route("GET", "/api/v1/me/tasks", handle_my_tasks, ROLES_ANY, NULL);
	http_route("GET", "/api/v1/warnings/{id}/tasks", handle_warning_tasks, LOOP_VIEWERS, NULL);
	http_route("GET", "/api/v1/transfer-tasks/{id}", handle_task_get, ROLES_ANY, NULL);
	http_route("POST", "/api/v1/transfer-tasks/{id}/reports", handle_task_report, ROLE_BIT(ROLE_GRID_WORKER) | TASK_STAFF,
	           NULL);
	http_route_flags(HTTP_ROUTE_OWN_RETRIES); /* reports carry their own Idempotency-Key semantics */
	http_route("POST", "/api/v1/transfer-tasks/{id}/chase", handle_task_chase, TASK_STAFF, NULL);
}
