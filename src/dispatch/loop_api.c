/*
 * loop_api.c — the closed loop as the command centre watches it: a
 * warning's recipients one by one (paged, filtered by state, channel and
 * area), the loop view counted by town or village (states, planned and
 * moved persons, open tasks and escalations, closure), and its event
 * stream. Everything is scoped by the caller's jurisdiction (?area= or
 * their own area); the warning itself must be one they may watch.
 */
#include <string.h>

#include "dispatch/disp_api.h"
#include "geo/geo.h"
#include "registry/registry.h"

/* ---- recipients --------------------------------------------------------------------------------------------- */

static json_t *recipient_json(store *s, const disp_rcpt *r, yj_err *e)
{
	json_t *it = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i}", "id", (json_int_t)r->id, "area_code", r->area_code,
	                       "area_name", geo_area_name(r->area_code), "channel", r->channel, "state", r->state, "version",
	                       r->version);
	auth_user_row u;
	reg_member_unit mu;
	int user = r->user_id ? auth_user_get(s, r->user_id, &u, e) : 0;
	int unit = user >= 0 && r->unit_id ? reg_member_unit_get(s, r->unit_id, &mu, e) : 0;
	if (user < 0 || unit < 0) {
		json_decref(it);
		return NULL;
	}
	if (user > 0)
		json_object_set_new(it, "user", json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)u.id, "username", u.username,
		                                          "display_name", u.display_name, "phone", u.phone));
	if (r->unit_id)
		json_object_set_new(it, "unit",
		                    json_pack("{s:I, s:s}", "id", (json_int_t)r->unit_id, "name", unit > 0 ? mu.name : ""));
	json_object_set_new(it, "times",
	                    json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "queued", disp_time_json(r->queued_ms), "sent",
	                              disp_time_json(r->sent_ms), "delivered", disp_time_json(r->delivered_ms), "read",
	                              disp_time_json(r->read_ms), "acknowledged", disp_time_json(r->acked_ms), "failed",
	                              disp_time_json(r->failed_ms)));
	if (r->fail_reason[0])
		json_object_set_new(it, "fail_reason", json_string(r->fail_reason));
	json_object_set_new(it, "attempts", json_integer(r->attempts));
	json_object_set_new(it, "escalations", json_integer(r->escalations));
	return it;
}

static int handle_recipients(http_req *req, http_res *res, yj_err *e)
{
	static const char *const states[] = {"queued", "sent", "delivered", "read", "acknowledged", "failed", "unacknowledged",
	                                     NULL};
	static const char *const channels[] = {"in_app", "webhook", "log", NULL};
	int64_t warning_id;
	if (disp_api_warning(req, "id", &warning_id, e))
		return -1;
	int state = -1, channel = -1;
	auth_scope sc;
	http_page pg;
	if (http_query_enum(req, "state", states, &state, e) < 0 || http_query_enum(req, "channel", channels, &channel, e) < 0 ||
	    http_scope(req, &sc, e) || http_paging(req, 200, 5000, &pg, e))
		return -1;
	disp_rcpt_query q = {.warning_id = warning_id, .scope = &sc, .state = state < 0 ? NULL : states[state],
	                     .channel = channel < 0 ? NULL : channels[channel], .cursor = pg.cursor, .limit = pg.limit + 1};
	store *s = store_thread();
	disp_rcpts p = {0};
	if (disp_db_recipients_each(s, &q, disp_rcpts_add, &p, e)) {
		free(p.v);
		return -1;
	}
	json_t *items = json_array();
	size_t shown = p.n > (size_t)pg.limit ? (size_t)pg.limit : p.n;
	for (size_t i = 0; i < shown; i++) {
		json_t *it = recipient_json(s, &p.v[i], e);
		if (!it) {
			json_decref(items);
			free(p.v);
			return -1;
		}
		json_array_append_new(items, it);
	}
	int64_t next = p.n > shown ? p.v[shown - 1].id : 0;
	free(p.v);
	http_json(res, 200, http_page_json(items, next));
	return 0;
}

/* ---- the loop view ------------------------------------------------------------------------------------------ */

typedef struct loop {
	json_t *groups; /* group code -> its counts */
	int level;      /* GEO_LEVEL_TOWN or GEO_LEVEL_VILLAGE */
} loop;

/* the group of an area: its ancestor at the level asked; areas above that level keep their own */
static void group_key(const loop *l, const char *area, char key[16])
{
	snprintf(key, 16, "%s", area);
	for (int guard = 0; guard < 8; guard++) {
		const geo_area *a = geo_area_find(key);
		if (!a || a->level <= l->level || !a->parent[0])
			return;
		snprintf(key, 16, "%s", a->parent);
	}
}

static json_t *group_for(json_t *groups, const char *code)
{
	json_t *g = json_object_get(groups, code);
	if (!g) {
		g = json_pack("{s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I}", "code", code, "recipients",
		              (json_int_t)0, "states", "queued", (json_int_t)0, "sent", (json_int_t)0, "delivered", (json_int_t)0,
		              "read", (json_int_t)0, "acknowledged", (json_int_t)0, "failed", (json_int_t)0, "planned",
		              (json_int_t)0, "moved", (json_int_t)0, "tasks", (json_int_t)0, "open_tasks", (json_int_t)0,
		              "open_escalations", (json_int_t)0);
		json_object_set_new(groups, code, g);
	}
	return g;
}

static void add_int(json_t *o, const char *key, json_int_t v)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + v));
}

static int count_states(const char *area, const char *state, int64_t n, void *ctx)
{
	loop *l = ctx;
	char key[16];
	group_key(l, area, key);
	json_t *g = group_for(l->groups, key);
	add_int(g, "recipients", n);
	add_int(json_object_get(g, "states"), state, n);
	return 0;
}

static int count_tasks(const char *area, int64_t planned, int64_t moved, int64_t tasks, int64_t open, void *ctx)
{
	loop *l = ctx;
	char key[16];
	group_key(l, area, key);
	json_t *g = group_for(l->groups, key);
	add_int(g, "planned", planned);
	add_int(g, "moved", moved);
	add_int(g, "tasks", tasks);
	add_int(g, "open_tasks", open);
	return 0;
}

static int count_escalations(const char *area, const char *unused, int64_t n, void *ctx)
{
	loop *l = ctx;
	char key[16];
	group_key(l, area, key);
	add_int(group_for(l->groups, key), "open_escalations", n);
	return 0;
}

/* share acknowledged and closure (every recipient answered, no task open) */
static void close_counts(json_t *g)
{
	json_int_t rcpt = json_integer_value(json_object_get(g, "recipients"));
	json_int_t acked = json_integer_value(json_object_get(json_object_get(g, "states"), "acknowledged"));
	json_object_set_new(g, "acknowledged_pct", json_real(rcpt ? 100.0 * (double)acked / (double)rcpt : 100.0));
	json_object_set_new(g, "closed", json_boolean(acked == rcpt && json_integer_value(json_object_get(g, "open_tasks")) == 0));
}

static int handle_loop(http_req *req, http_res *res, yj_err *e)
{
	static const char *const levels[] = {"town", "village", NULL};
	int64_t warning_id;
	if (disp_api_warning(req, "id", &warning_id, e))
		return -1;
	int by = 0;
	auth_scope sc;
	if (http_query_enum(req, "group_by", levels, &by, e) < 0 || http_scope(req, &sc, e))
		return -1;
	store *s = store_thread();
	loop l = {.groups = json_object(), .level = by == 1 ? GEO_LEVEL_VILLAGE : GEO_LEVEL_TOWN};
	if (disp_db_state_counts(s, warning_id, &sc, count_states, &l, e) ||
	    disp_db_task_counts(s, warning_id, &sc, count_tasks, &l, e) ||
	    disp_db_esc_counts(s, warning_id, &sc, count_escalations, &l, e)) {
		json_decref(l.groups);
		return -1;
	}
	/* names, points, percentages, closure; totals */
	json_t *list = json_array();
	json_t *holder = json_object();
	json_t *tot = json_incref(group_for(holder, "total"));
	json_decref(holder);
	const char *code;
	json_t *g;
	json_object_foreach(l.groups, code, g) {
		const geo_area *a = geo_area_find(code);
		if (a) {
			json_object_set_new(g, "name", json_string(a->name));
			disp_set_point(g, a->lon, a->lat);
		}
		close_counts(g);
		static const char *const keys[] = {"recipients", "planned", "moved", "tasks", "open_tasks", "open_escalations"};
		for (size_t k = 0; k < YJ_ARRAY_LEN(keys); k++)
			add_int(tot, keys[k], json_integer_value(json_object_get(g, keys[k])));
		const char *sk;
		json_t *sv;
		json_object_foreach(json_object_get(g, "states"), sk, sv) add_int(json_object_get(tot, "states"), sk,
		                                                                    json_integer_value(sv));
		json_array_append(list, g);
	}
	close_counts(tot);
	json_object_del(tot, "code");
	json_decref(l.groups);
	http_json(res, 200, json_pack("{s:I, s:s, s:o, s:o}", "warning_id", (json_int_t)warning_id, "group_by", levels[by],
	                              "totals", tot, "groups", list));
	return 0;
}

static int handle_loop_stream(http_req *req, http_res *res, yj_err *e)
{
	int64_t warning_id;
	if (disp_api_warning(req, "id", &warning_id, e))
		return -1;
	char topic[48];
	snprintf(topic, sizeof topic, "loop:%lld", (long long)warning_id);
	auth_scope sc;
	if (http_scope(req, &sc, e))
		return -1;
	return http_sse_open(req, res, topic, &sc, NULL, "{\"stream\":\"loop\"}", e);
}

void disp_loop_routes(void)
{
	http_route("GET", "/api/v1/warnings/{id}/recipients", handle_recipients, LOOP_VIEWERS, NULL);
	http_route("GET", "/api/v1/warnings/{id}/loop", handle_loop, LOOP_VIEWERS, NULL);
	http_route("GET", "/api/v1/warnings/{id}/loop/stream", handle_loop_stream, LOOP_VIEWERS, NULL);
}
