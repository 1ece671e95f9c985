/*
 * inbox_api.c — a person's inbox (应急一键通 on the grid worker's phone):
 * the warnings told to them, newest first, with their own record's state;
 * opening one marks it read; acknowledging confirms the version read; the
 * escalations addressed to them as a supervisor; and the inbox's event
 * stream. Reading and acknowledging run on the group writer: the
 * acknowledgement's connection is parked until its shared commit.
 */
#include <stdlib.h>
#include <string.h>

#include "dispatch/disp_api.h"
#include "geo/geo.h"

#define INBOX_MAX 200
#define INBOX_ESCALATIONS_MAX 500

/* names of the area codes in a JSON array, for people to read */
static json_t *area_names(json_t *codes)
{
	json_t *names = json_array();
	size_t i;
	json_t *c;
	json_array_foreach(codes, i, c) json_array_append_new(names, json_string(geo_area_name(json_string_value(c))));
	return names;
}

/* {"warning": ..., "recipient": ...}; NULL when the warning is gone */
static json_t *inbox_item(store *s, const disp_rcpt *r, int64_t *issued_ms, bool *open, yj_err *e)
{
	warn_info w;
	char *description = NULL, *instruction = NULL;
	int rc = warn_get(s, r->warning_id, &w, e);
	if (rc > 0 && warn_texts_get(s, r->warning_id, &description, &instruction, e) < 0)
		rc = -1;
	json_t *it = NULL;
	if (rc > 0) {
		json_t *wj = json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:O, s:o, s:s, s:b, s:o}", "id",
		                       (json_int_t)w.id, "identifier", w.identifier, "version", w.version, "type", w.type, "level",
		                       w.level, "headline", w.headline, "description", description ? description : "",
		                       "instruction", instruction ? instruction : "", "areas", w.areas, "expires",
		                       disp_time_json(w.expires_ms), "state", w.state, "evacuation", w.evacuation, "issued",
		                       disp_time_json(w.issued_ms));
		json_object_set_new(wj, "area_names", area_names(w.areas));
		json_t *rj = json_pack("{s:I, s:s, s:i, s:o, s:o, s:o}", "id", (json_int_t)r->id, "state", r->state, "version",
		                       r->version, "delivered", disp_time_json(r->delivered_ms), "read", disp_time_json(r->read_ms),
		                       "acknowledged", disp_time_json(r->acked_ms));
		it = json_pack("{s:o, s:o}", "warning", wj, "recipient", rj);
		if (issued_ms)
			*issued_ms = w.issued_ms;
		if (open)
			*open = strcmp(r->state, "acknowledged") != 0 && strcmp(w.state, "issued") == 0;
	}
	free(description);
	free(instruction);
	if (rc > 0)
		warn_info_clear(&w);
	return it;
}

/* ---- the list ------------------------------------------------------------------------------------------------- */

typedef struct listed {
	int64_t issued_ms;
	size_t order;
	json_t *item;
} listed;

static int newest_first(const void *a, const void *b)
{
	const listed *x = a, *y = b;
	if (x->issued_ms != y->issued_ms)
		return x->issued_ms > y->issued_ms ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* escalations addressed to me (I am a supervisor one level up) */
typedef struct escalations {
	const auth_user *me;
	json_t *items;
	json_t *headlines; /* warning id -> headline, read once each */
} escalations;

static bool addressed_to(json_t *supervisors, int64_t user_id)
{
	size_t i;
	json_t *v;
	json_array_foreach(supervisors, i, v) if (json_is_integer(v) && json_integer_value(v) == user_id) return true;
	return false;
}

static const char *headline_of(store *s, escalations *x, int64_t warning_id, yj_err *e)
{
	char key[24];
	snprintf(key, sizeof key, "%lld", (long long)warning_id);
	json_t *h = json_object_get(x->headlines, key);
	if (!h) {
		warn_info w;
		int rc = warn_get(s, warning_id, &w, e);
		if (rc < 0)
			return NULL;
		h = json_string(rc > 0 ? w.headline : "");
		if (rc > 0)
			warn_info_clear(&w);
		json_object_set_new(x->headlines, key, h);
	}
	return json_string_value(h);
}

static int take_escalation(store *s, const disp_esc *esc, void *ctx, yj_err *e)
{
	escalations *x = ctx;
	if (!addressed_to(esc->supervisors, x->me->id))
		return 0;
	auth_user_row u;
	int rc = auth_user_get(s, esc->user_id, &u, e);
	if (rc <= 0)
		return rc;
	const char *headline = headline_of(s, x, esc->warning_id, e);
	if (!headline)
		return -1;
	json_array_append_new(x->items,
	                      json_pack("{s:I, s:I, s:i, s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "id", (json_int_t)esc->id,
	                                "warning_id", (json_int_t)esc->warning_id, "step", esc->step, "from_area",
	                                esc->from_area, "to_area", esc->to_area, "created", disp_time_json(esc->created_ms),
	                                "recipient", u.username, "recipient_name", u.display_name, "recipient_state",
	                                esc->recipient_state, "headline", headline));
	return json_array_size(x->items) >= INBOX_ESCALATIONS_MAX ? 1 : 0;
}

static int handle_inbox(http_req *req, http_res *res, yj_err *e)
{
	store *s = store_thread();
	disp_rcpts rs = {0};
	listed *list = NULL;
	escalations x = {.me = req->user, .items = json_array(), .headlines = json_object()};
	int rc = -1;
	long unacked = 0;
	if (disp_db_inbox_each(s, req->user->id, INBOX_MAX, disp_rcpts_add, &rs, e))
		goto out;
	list = yj_calloc(rs.n ? rs.n : 1, sizeof *list);
	size_t n = 0;
	for (size_t i = 0; i < rs.n; i++) {
		bool open = false;
		json_t *it = inbox_item(s, &rs.v[i], &list[n].issued_ms, &open, e);
		if (!it && e->code != YJ_OK)
			goto out;
		if (!it)
			continue;
		list[n].order = n;
		list[n++].item = it;
		unacked += open;
	}
	qsort(list, n, sizeof *list, newest_first);
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(items, list[i].item);
		list[i].item = NULL;
	}
	if (disp_db_esc_open_to(s, req->user->area_code, take_escalation, &x, e)) {
		json_decref(items);
		goto out;
	}
	http_json(res, 200, json_pack("{s:o, s:I, s:O}", "items", items, "unacknowledged", (json_int_t)unacked, "escalations",
	                              x.items));
	rc = 0;
out:
	for (size_t i = 0; list && i < rs.n; i++)
		json_decref(list[i].item);
	free(list);
	free(rs.v);
	json_decref(x.items);
	json_decref(x.headlines);
	return rc;
}

/* ---- one item: opening reads it ------------------------------------------------------------------------------------- */

static int handle_inbox_open(http_req *req, http_res *res, yj_err *e)
{
	disp_ack *j = arena_alloc(req->a, sizeof *j);
	j->user = req->user;
	if (http_path_id(req, "warning", &j->warning, e))
		return -1;
	store *s = store_thread();
	int rc = disp_db_mine(s, j->warning, req->user->id, &j->r, e);
	if (rc <= 0)
		return rc < 0 ? -1
		              : yj_fail(e, YJ_ENOTFOUND, "warning", "warning %lld is not in your inbox", (long long)j->warning);
	if (!strcmp(j->r.state, "delivered") && store_group_run(disp_read_run, j, e))
		return -1;
	if ((rc = disp_db_mine(s, j->warning, req->user->id, &j->r, e)) < 0)
		return -1;
	json_t *it = rc > 0 ? inbox_item(s, &j->r, NULL, NULL, e) : NULL;
	if (!it)
		return e->code != YJ_OK ? -1
		                        : yj_fail(e, YJ_ENOTFOUND, "warning", "warning %lld is not in your inbox",
		                                  (long long)j->warning);
	http_json(res, 200, it);
	return 0;
}

/* ---- acknowledging --------------------------------------------------------------------------------------------------- */

/* the answer is the recipient record and the warning's version and state, not the whole warning again */
static int ack_answer(http_req *req, http_res *res, void *ctx, int rc, yj_err *e)
{
	disp_ack *j = ctx;
	if (rc)
		return -1;
	http_json(res, 200,
	          json_pack("{s:{s:I, s:i, s:s}, s:{s:I, s:s, s:i, s:o, s:o, s:o}}", "warning", "id", (json_int_t)j->warning,
	                    "version", j->wversion, "state", j->wstate, "recipient", "id", (json_int_t)j->r.id, "state",
	                    j->r.state, "version", j->r.version, "delivered", disp_time_json(j->r.delivered_ms), "read",
	                    disp_time_json(j->r.read_ms), "acknowledged", disp_time_json(j->r.acked_ms)));
	return 0;
}

static int handle_inbox_ack(http_req *req, http_res *res, yj_err *e)
{
	disp_ack *j = arena_alloc(req->a, sizeof *j);
	j->user = req->user;
	if (http_path_id(req, "warning", &j->warning, e))
		return -1;
	if (req->body_len) {
		json_t *body = http_json_body(req, e);
		if (!body)
			return -1;
		static const char *const keys[] = {"version", NULL};
		int64_t v = 0;
		int rc = yj_only_keys(body, keys, e) ? -1 : yj_json_int(body, "version", 0, 1, 1000000, &v, e);
		json_decref(body);
		if (rc < 0)
			return -1;
		j->asked = (int)v;
	}
	return http_defer_group(req, res, disp_ack_run, j, ack_answer);
}

static int handle_inbox_stream(http_req *req, http_res *res, yj_err *e)
{
	char hello[64];
	snprintf(hello, sizeof hello, "{\"stream\":\"inbox\",\"user\":%lld}", (long long)req->user->id);
	return http_sse_open(req, res, "inbox", NULL, NULL, hello, e);
}

void disp_inbox_routes(void)
{
	unsigned everyone = ROLES_ANY;
	http_route("GET", "/api/v1/me/inbox", handle_inbox, everyone, NULL);
	http_route("GET", "/api/v1/me/inbox/stream", handle_inbox_stream, everyone, NULL);
	http_route("GET", "/api/v1/me/inbox/{warning}", handle_inbox_open, everyone, NULL);
	http_route("POST", "/api/v1/me/inbox/{warning}/ack", handle_inbox_ack, everyone, NULL);
}
