/*
 * rules_api.c — HTTP endpoints for monitoring rules and alarms:
 *   POST/GET /api/v1/rules?kind=&area=&limit=&cursor=, GET/PATCH/DELETE /api/v1/rules/{id}
 *   GET /api/v1/alarms?state=&level=&rule=&device=&area=&limit=&cursor=
 *   GET /api/v1/alarms/{id}, POST /api/v1/alarms/{id}/ack, POST /api/v1/alarms/{id}/close
 *   GET /api/v1/layers/alarms?bbox=&state=&area=&limit=   GET /api/v1/stream/alarms?area=&bbox= (SSE)
 *
 * Handlers parse with the request kit, call the services of rules.c inside
 * a transaction, and render. Lists, layers and streams are scoped by
 * http_scope; a rule or alarm outside the caller's scope is 404.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "warning/rules_int.h"

#define RULE_WRITERS (ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_DUTY_OFFICER))
#define ALARM_HANDLERS (RULE_WRITERS | ROLE_BIT(ROLE_INSPECTOR))

static const char *const levels[] = {"blue", "yellow", "orange", "red", NULL};
static const char *const alarm_states[] = {"open", "acknowledged", "closed", "active", NULL};
static const alarm_state_filter state_filters[] = {ALARM_OPEN, ALARM_ACKED, ALARM_CLOSED, ALARM_ACTIVE};

/* ---- rules --------------------------------------------------------------------------------------- */

/* the members of a rule body; create takes every key, patch the changeable ones */
static int rule_fields(json_t *body, bool create, rule_input *in, yj_err *e)
{
	static const char *const create_keys[] = {"name", "kind", "level", "area_code", "enabled", "spec", NULL};
	static const char *const patch_keys[] = {"name", "level", "enabled", "spec", NULL};
	memset(in, 0, sizeof *in);
	in->enabled = -1;
	if (yj_only_keys(body, create ? create_keys : patch_keys, e))
		return -1;
	bool enabled;
	int has_enabled = yj_json_bool(body, "enabled", 0, &enabled, e);
	if (has_enabled < 0 || yj_json_text(body, "name", 0, 120, &in->name, e) < 0 ||
	    yj_json_text(body, "level", 0, 16, &in->level, e) < 0 ||
	    (create && (yj_json_text(body, "kind", 0, 16, &in->kind, e) < 0 ||
	                yj_json_text(body, "area_code", 0, 16, &in->area_code, e) < 0)))
		return -1;
	if (has_enabled)
		in->enabled = enabled;
	json_t *spec = json_object_get(body, "spec");
	if (spec && !json_is_null(spec)) {
		if (!json_is_object(spec))
			return yj_fail(e, YJ_EINVAL, "spec", "field 'spec' must be an object");
		in->spec = spec;
	}
	if (!create && json_object_get(body, "name") && !in->name)
		return yj_fail(e, YJ_EINVAL, "name", "field 'name' must be 1 to 120 bytes");
	return 0;
}

/* the rule's JSON as stored now */
static int answer_rule(store *s, http_res *res, int status, int64_t id, yj_err *e)
{
	rule_row r;
	int found = rules_db_get(s, id, &r, e);
	if (found <= 0)
		return found < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "no rule %lld", (long long)id);
	http_json(res, status, rules_json(s, &r));
	rule_row_clear(&r);
	return 0;
}

/* Create a rule (id 0) or change rule id from the body, in one transaction; then the rule as stored. */
static int rule_write(http_req *req, http_res *res, int64_t id, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	store *s = store_thread();
	rule_input in;
	bool create = !id;
	int rc = rule_fields(body, create, &in, e) || store_begin(s, e) ? -1 : 0;
	if (rc == 0 && ((create ? rules_create(s, req->user, &in, &id, e) : rules_update(s, req->user, id, &in, e)) ||
	                store_commit(s, e))) {
		store_rollback(s);
		rc = -1;
	}
	if (rc == 0)
		rc = answer_rule(s, res, create ? 201 : 200, id, e);
	json_decref(body);
	return rc;
}

static int handle_rule_create(http_req *req, http_res *res, yj_err *e)
{
	return rule_write(req, res, 0, e);
}

/* a page of rules or alarms being filled */
typedef struct page {
	store *s;
	long limit;
	json_t *items;
	int64_t next;
} page;

/* 1 when the page is full: one more row means more follow, from after its last item */
static int page_full(page *p)
{
	if ((long)json_array_size(p->items) < p->limit)
		return 0;
	p->next = json_integer_value(json_object_get(json_array_get(p->items, json_array_size(p->items) - 1), "id"));
	return 1;
}

/* the page as the answer, once filled (rc 0), or nothing (rc -1: *e says why) */
static int answer_page(http_res *res, page *p, int rc)
{
	if (rc) {
		json_decref(p->items);
		return -1;
	}
	http_json(res, 200, http_page_json(p->items, p->next));
	return 0;
}

static int page_rule(const rule_row *r, void *ctx, yj_err *e)
{
	page *p = ctx;
	if (page_full(p))
		return 1;
	json_array_append_new(p->items, rules_json(p->s, r));
	return 0;
}

static int handle_rule_list(http_req *req, http_res *res, yj_err *e)
{
	static const char *const kinds[] = {"threshold", "geofence", "offline", NULL};
	auth_scope sc;
	http_page pg;
	int kind = -1;
	if (http_scope(req, &sc, e) || http_paging(req, 1000, 5000, &pg, e) ||
	    http_query_enum(req, "kind", kinds, &kind, e) < 0)
		return -1;
	page p = {.s = store_thread(), .limit = pg.limit, .items = json_array()};
	return answer_page(res, &p, rules_db_list(p.s, &sc, kind >= 0 ? kinds[kind] : NULL, pg.cursor, page_rule, &p, e));
}

static int handle_rule_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	rule_row r;
	store *s = store_thread();
	if (http_path_id(req, "id", &id, e) || rules_get_visible(s, req->user, id, &r, e))
		return -1;
	http_json(res, 200, rules_json(s, &r));
	rule_row_clear(&r);
	return 0;
}

static int handle_rule_patch(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	return http_path_id(req, "id", &id, e) ? -1 : rule_write(req, res, id, e);
}

static int handle_rule_delete(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	store *s = store_thread();
	if (http_path_id(req, "id", &id, e) || store_begin(s, e))
		return -1;
	if (rules_delete(s, req->user, id, e) || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	res->status = 204;
	return 0;
}

/* ---- alarms ----------------------------------------------------------------------------------- */

static int page_alarm(const warn_alarm *a, void *ctx, yj_err *e)
{
	page *p = ctx;
	if (page_full(p))
		return 1;
	json_t *j = warn_alarm_to_json(a);
	if (j)
		json_array_append_new(p->items, j);
	return 0;
}

static int handle_alarm_list(http_req *req, http_res *res, yj_err *e)
{
	auth_scope sc;
	http_page pg;
	int state = -1, level = -1;
	long rule = 0;
	const char *device = NULL;
	if (http_scope(req, &sc, e) || http_paging(req, 100, 1000, &pg, e) ||
	    http_query_enum(req, "state", alarm_states, &state, e) < 0 ||
	    http_query_enum(req, "level", levels, &level, e) < 0 ||
	    http_query_long(req, "rule", 1, 0x7fffffffffffffL, &rule, e) < 0 ||
	    http_query_text(req, "device", 63, &device, e) < 0)
		return -1;
	alarm_filter f = {.scope = &sc, .state = state >= 0 ? state_filters[state] : ALARM_ANY,
	                  .level = level >= 0 ? levels[level] : NULL, .rule_id = rule, .device_id = device,
	                  .before_id = pg.cursor};
	page p = {.limit = pg.limit, .items = json_array()};
	return answer_page(res, &p, alarms_db_list(store_thread(), &f, page_alarm, &p, e));
}

static int handle_alarm_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	warn_alarm a;
	if (http_path_id(req, "id", &id, e) || alarms_get_visible(store_thread(), req->user, id, &a, e))
		return -1;
	http_json(res, 200, warn_alarm_to_json(&a));
	return 0;
}

/* open -> acknowledged, or (open|acknowledged) -> closed by a person */
static int alarm_transition(http_req *req, http_res *res, bool close, yj_err *e)
{
	int64_t id;
	store *s = store_thread();
	if (http_path_id(req, "id", &id, e) || store_begin(s, e))
		return -1;
	if (alarms_transition(s, req->user, id, close, e) || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	json_t *now = warn_alarm_json(s, id);
	if (!now)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no alarm %lld", (long long)id);
	http_json(res, 200, now);
	return 0;
}

static int handle_alarm_ack(http_req *req, http_res *res, yj_err *e)
{
	return alarm_transition(req, res, false, e);
}

static int handle_alarm_close(http_req *req, http_res *res, yj_err *e)
{
	return alarm_transition(req, res, true, e);
}

/* ---- the map: layer and stream --------------------------------------------------------------------- */

typedef struct alarm_layer {
	strbuf out;
	long n, limit;
	bool truncated;
} alarm_layer;

static int layer_feature(const warn_alarm *a, void *ctx, yj_err *e)
{
	alarm_layer *l = ctx;
	if (l->n == l->limit) {
		l->truncated = true;
		return 1;
	}
	json_t *props = warn_alarm_to_json(a);
	if (!props)
		return 0;
	json_object_set_new(props, "layer", json_string("alarms"));
	char *p = json_dumps(props, JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(props);
	if (!p)
		return 0;
	/* RFC 7946: a feature's id is a string or a number — the alarm's id */
	strbuf_printf(&l->out, "%s{\"type\":\"Feature\",\"id\":%lld,\"geometry\":{\"type\":\"Point\",\"coordinates\":"
	                       "[%.7f,%.7f]},\"properties\":%s}",
	              l->n ? "," : "", (long long)a->id, a->lon, a->lat, p);
	free(p);
	l->n++;
	return 0;
}

static int handle_alarm_layer(http_req *req, http_res *res, yj_err *e)
{
	auth_scope sc;
	double bb[4] = {-180, -90, 180, 90};
	int state = 3; /* active: not closed */
	long limit = 5000;
	if (http_scope(req, &sc, e) || http_query_bbox(req, "bbox", bb, e) < 0 ||
	    http_query_enum(req, "state", alarm_states, &state, e) < 0 ||
	    http_query_long(req, "limit", 1, 20000, &limit, e) < 0)
		return -1;
	/* the bbox also keeps out alarms without a place: a feature needs a point */
	alarm_filter f = {.scope = &sc, .state = state_filters[state], .bbox = bb};
	alarm_layer l = {.limit = limit};
	strbuf_init(&l.out);
	strbuf_puts(&l.out, "{\"type\":\"FeatureCollection\",\"layer\":\"alarms\",\"features\":[");
	if (alarms_db_list(store_thread(), &f, layer_feature, &l, e)) {
		strbuf_free(&l.out);
		return -1;
	}
	strbuf_printf(&l.out, "],\"count\":%ld,\"truncated\":%s}", l.n, l.truncated ? "true" : "false");
	res->status = 200;
	res->body = strbuf_take(&l.out, &res->body_len);
	res->content_type = "application/geo+json";
	return 0;
}

static int handle_alarm_stream(http_req *req, http_res *res, yj_err *e)
{
	auth_scope sc;
	double bb[4];
	int has_bbox = http_query_bbox(req, "bbox", bb, e);
	if (has_bbox < 0 || http_scope(req, &sc, e))
		return -1;
	/* the stream's area filter is the scope's prefix: every code in the subtree starts with it */
	return http_sse_open(req, res, "alarms", &sc, has_bbox ? bb : NULL, "{\"stream\":\"alarms\"}", e);
}

void warn_init(void)
{
	rules_audit_register();
	warn_lifecycle_init();
}

void warn_api_register(void)
{
	warn_init();
	http_route("POST", "/api/v1/rules", handle_rule_create, RULE_WRITERS, NULL);
	http_route_doc("create a monitoring rule (threshold, geofence, offline)", NULL, "json");
	http_route("GET", "/api/v1/rules", handle_rule_list, ROLES_STAFF, NULL);
	http_route_doc("monitoring rules in scope", "kind:string, area:area, limit:integer, cursor:id", NULL);
	http_route("GET", "/api/v1/rules/{id}", handle_rule_get, ROLES_STAFF, NULL);
	http_route_doc("a rule with its open alarms counted", NULL, NULL);
	http_route("PATCH", "/api/v1/rules/{id}", handle_rule_patch, RULE_WRITERS, NULL);
	http_route_doc("change a rule's name, level, enabled or spec", NULL, "json");
	http_route("DELETE", "/api/v1/rules/{id}", handle_rule_delete, RULE_WRITERS, NULL);
	http_route_doc("delete a rule that has no alarms on record", NULL, NULL);
	http_route("GET", "/api/v1/alarms", handle_alarm_list, ROLES_STAFF, NULL);
	http_route_doc("alarms, newest first, with what they measured and how it was judged",
	               "state:string, level:string, rule:id, device:string, area:area, limit:integer, cursor:id", NULL);
	http_route("GET", "/api/v1/alarms/{id}", handle_alarm_get, ROLES_STAFF, NULL);
	http_route_doc("an alarm", NULL, NULL);
	http_route("POST", "/api/v1/alarms/{id}/ack", handle_alarm_ack, ALARM_HANDLERS, NULL);
	http_route_doc("acknowledge an open alarm", NULL, NULL);
	http_route("POST", "/api/v1/alarms/{id}/close", handle_alarm_close, ALARM_HANDLERS, NULL);
	http_route_doc("close an alarm", NULL, NULL);
	http_route("GET", "/api/v1/layers/alarms", handle_alarm_layer, ROLES_STAFF, NULL);
	http_route_doc("active alarms with a place (GeoJSON)", "bbox:bbox, state:string, area:area, limit:integer", NULL);
	http_route("GET", "/api/v1/stream/alarms", handle_alarm_stream, ROLES_STAFF, NULL);
	http_route_doc("alarms as they change (Server-Sent Events)", "bbox:bbox, area:area", NULL);
	warn_lifecycle_api_register();
}
