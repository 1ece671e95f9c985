/*
 * warn_api.c — HTTP endpoints of warnings:
 *   POST /api/v1/warnings                    a draft
 *   GET  /api/v1/warnings?area=&state=&type=&limit=&cursor=
 *   GET  /api/v1/warnings/{id}               with the actions open to the reader and other modules' members
 *   PATCH /api/v1/warnings/{id}              edit a draft
 *   POST /api/v1/warnings/{id}/{action}      submit | approve | reject | issue | update | cancel
 *   GET  /api/v1/warnings/{id}/cap[?version=N]   the CAP 1.2 message of a version
 *   POST /api/v1/alarms/{id}/warning         a draft warning from an alarm
 *   POST /api/v1/cap                         import an upstream CAP 1.1/1.2 alert
 *   GET  /api/v1/cap/feed                    current alerts (no login: public), JSON or Atom by Accept
 *   GET  /api/v1/cap/feed.atom               the same as an Atom feed
 *   GET  /api/v1/public/cap/{id}             the CAP message of a current warning (public)
 *
 * Handlers parse (the request kit, the JSON field validators), call the
 * services (warn.c, cap_import.c, warn_cap.c, warn_feed.c) inside one transaction, and
 * render. No SQL here.
 */
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "http/http.h"
#include "warning/warn_int.h"

#define WARN_AUTHORS (ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_DUTY_OFFICER))
#define CAP_BODY_LIMIT (1u << 20)

/* ---- the members of a warning in a request body ------------------------------------------------ */

static const char *const field_keys[] = {"type", "level", "headline", "description", "instruction", "areas",
                                         "polygons", "onset", "expires", "evacuation", "alarm_ids", NULL};

/* body's members into f (borrowed from body); partial: none is required (edits and updates) */
static int parse_fields(json_t *body, bool partial, warn_fields *f, yj_err *e)
{
	memset(f, 0, sizeof *f);
	unsigned req = partial ? 0 : YJ_REQUIRED;
	int i, rc;
	if (yj_only_keys(body, field_keys, e))
		return -1;
	if ((rc = yj_json_enum(body, "type", req, warn_types, &i, e)) < 0)
		return -1;
	f->type = rc ? warn_types[i] : NULL;
	if ((rc = yj_json_enum(body, "level", req, warn_levels, &i, e)) < 0)
		return -1;
	f->level = rc ? warn_levels[i] : NULL;
	if (yj_json_text(body, "headline", req | YJ_NONEMPTY, 300, &f->headline, e) < 0 ||
	    yj_json_text(body, "description", 0, 8000, &f->description, e) < 0 ||
	    yj_json_text(body, "instruction", 0, 4000, &f->instruction, e) < 0 ||
	    yj_json_array(body, "areas", 0, 1000, &f->areas, e) < 0 ||
	    yj_json_array(body, "polygons", 0, 100, &f->polygons, e) < 0 ||
	    yj_json_array(body, "alarm_ids", 0, 1000, &f->alarm_ids, e) < 0)
		return -1;
	/* onset: null clears it */
	if (json_object_get(body, "onset")) {
		if ((rc = yj_json_time(body, "onset", 0, &f->onset_ms, e)) < 0)
			return -1;
		f->set_onset = true;
		f->onset_null = rc == 0;
	}
	if ((rc = yj_json_time(body, "expires", req, &f->expires_ms, e)) < 0)
		return -1;
	f->set_expires = rc == 1;
	if ((rc = yj_json_bool(body, "evacuation", 0, &f->evacuation, e)) < 0)
		return -1;
	f->set_evacuation = rc == 1;
	return 0;
}

/* the warning's answer for this reader */
static int answer_warning(http_req *req, http_res *res, int status, int64_t id, yj_err *e)
{
	json_t *w = warn_json_for(store_thread(), id, req->user);
	if (!w)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no warning %lld", (long long)id);
	http_json(res, status, w);
	return 0;
}

/* ---- drafts, reads, edits, actions ---------------------------------------------------------------- */

typedef struct create_ctx {
	const auth_user *u;
	warn_fields f;
	const char *source;
	int64_t id;
} create_ctx;

static int create_job(store *s, void *ctx, yj_err *e)
{
	create_ctx *c = ctx;
	return warn_create(s, c->u, &c->f, c->source, 0, &c->id, e);
}

static int handle_create(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	create_ctx c = {.u = req->user, .source = "own"};
	int rc = parse_fields(body, false, &c.f, e) || store_tx(store_thread(), create_job, &c, e) ? -1 : 0;
	json_decref(body);
	return rc ? -1 : answer_warning(req, res, 201, c.id, e);
}

static const char *const list_states[] = {"draft", "submitted", "approved", "issued", "cancelled", "expired",
                                          "rejected", "current", NULL};

static int handle_list(http_req *req, http_res *res, yj_err *e)
{
	auth_scope sc;
	http_page pg;
	int state = -1, type = -1;
	if (http_scope(req, &sc, e) || http_paging(req, 50, 500, &pg, e) ||
	    http_query_enum(req, "state", list_states, &state, e) < 0 ||
	    http_query_enum(req, "type", warn_types, &type, e) < 0)
		return -1;
	int64_t next;
	json_t *items = warn_list_json(store_thread(), req->user, &sc, state >= 0 ? list_states[state] : NULL,
	                               type >= 0 ? warn_types[type] : NULL, pg.cursor, pg.limit, &next, e);
	if (!items)
		return -1;
	http_json(res, 200, http_page_json(items, next));
	return 0;
}

/* the id of the path, of a warning the user may read */
static int visible_id(http_req *req, int64_t *id, yj_err *e)
{
	warn_row w;
	if (http_path_id(req, "id", id, e) || warn_load(store_thread(), req->user, *id, &w, e))
		return -1;
	warn_row_clear(&w);
	return 0;
}

static int handle_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (visible_id(req, &id, e))
		return -1;
	return answer_warning(req, res, 200, id, e);
}

typedef struct change_ctx {
	const auth_user *u;
	int64_t id;
	const char *action; /* NULL: an edit */
	warn_fields f;
} change_ctx;

static int change_job(store *s, void *ctx, yj_err *e)
{
	change_ctx *c = ctx;
	if (!c->action)
		return warn_edit(s, c->u, c->id, &c->f, e);
	return warn_action(s, c->u, c->id, c->action, &c->f, e);
}

static int handle_edit(http_req *req, http_res *res, yj_err *e)
{
	change_ctx c = {.u = req->user};
	if (visible_id(req, &c.id, e))
		return -1;
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	int rc = parse_fields(body, true, &c.f, e) || store_tx(store_thread(), change_job, &c, e) ? -1 : 0;
	json_decref(body);
	return rc ? -1 : answer_warning(req, res, 200, c.id, e);
}

static int handle_action(http_req *req, http_res *res, yj_err *e)
{
	change_ctx c = {.u = req->user, .action = http_param(req, "action")};
	if (visible_id(req, &c.id, e))
		return -1;
	json_t *body = NULL;
	if (req->body_len > 0 && !(body = http_json_body(req, e)))
		return -1;
	bool update = strcmp(c.action, "update") == 0;
	double t0 = yj_mono_ms();
	int rc = (update && body && parse_fields(body, true, &c.f, e)) || store_tx(store_thread(), change_job, &c, e) ? -1 : 0;
	json_decref(body);
	if (rc)
		return -1;
	double ms = yj_mono_ms() - t0;
	json_t *w = warn_json_for(store_thread(), c.id, req->user);
	if (!w)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no warning %lld", (long long)c.id);
	if (update || !strcmp(c.action, "issue")) {
		/* how many were told: the recipients' count other modules render (dispatch) */
		json_int_t told = json_integer_value(json_object_get(json_object_get(w, "recipients"), "total"));
		json_object_set_new(w, "dispatched", json_integer(told));
		yj_log(YJ_LOG_INFO, "warning_dispatch", "warning=%lld action=%s recipients=%lld dur_ms=%.1f", (long long)c.id,
		       c.action, (long long)told, ms);
	}
	http_json(res, 200, w);
	return 0;
}

/* ---- CAP out ---------------------------------------------------------------------------------------- */

/* alert (consumed) rendered as the answer */
static int answer_cap(http_res *res, json_t *alert, yj_err *e)
{
	char *xml = alert ? cap_render(alert, e) : NULL;
	json_decref(alert);
	if (!xml)
		return -1;
	res->status = 200;
	res->body = xml;
	res->body_len = strlen(xml);
	res->content_type = "application/cap+xml; charset=utf-8";
	return 0;
}

static int handle_cap(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	long version = 0;
	if (visible_id(req, &id, e) || http_query_long(req, "version", 1, 100000, &version, e) < 0)
		return -1;
	return answer_cap(res, warn_cap_alert(store_thread(), id, (int)version, e), e);
}

/* the absolute URL prefix of this server as the client reached it: scheme and host (the Host header,
 * if it is a plain host[:port]; X-Forwarded-Proto: https from a proxy in front) */
static void base_url(http_req *req, char *out, size_t cap)
{
	const char *host = http_header(req, "Host"), *proto = http_header(req, "X-Forwarded-Proto");
	bool plain = host && *host && strlen(host) < 200;
	for (const char *p = host; plain && *p; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr(".-:[]", *p);
	snprintf(out, cap, "%s://%s", proto && !strcmp(proto, "https") ? "https" : "http", plain ? host : "localhost");
}

static int answer_atom(http_req *req, http_res *res, yj_err *e)
{
	char base[256];
	base_url(req, base, sizeof base);
	size_t len;
	char *xml = warn_feed_atom(store_thread(), base, &len, e);
	if (!xml)
		return -1;
	res->status = 200;
	res->body = xml;
	res->body_len = len;
	res->content_type = "application/atom+xml; charset=utf-8";
	return 0;
}

/* the weight (q, 0..1000) an Accept header gives a media type named exactly; -1 when it names it not */
static int accept_weight(const char *accept, const char *type)
{
	size_t n = strlen(type);
	for (const char *p = accept; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		while (*p == ' ')
			p++;
		if (strncmp(p, type, n) != 0 || (p[n] && p[n] != ';' && p[n] != ',' && p[n] != ' '))
			continue;
		const char *q = strstr(p + n, "q="), *end = strchr(p, ',');
		return q && (!end || q < end) ? (int)(strtod(q + 2, NULL) * 1000) : 1000;
	}
	return -1;
}

/* the feed: JSON, or Atom for a client that prefers it (Accept: application/atom+xml above application/json) */
static int handle_cap_feed(http_req *req, http_res *res, yj_err *e)
{
	const char *accept = http_header(req, "Accept");
	int atom = accept ? accept_weight(accept, "application/atom+xml") : -1;
	int json = accept ? accept_weight(accept, "application/json") : -1;
	http_add_header(req, res, "Vary", "Accept");
	if (atom > 0 && atom > json)
		return answer_atom(req, res, e);
	json_t *feed = warn_feed_json(store_thread(), e);
	if (!feed)
		return -1;
	http_json(res, 200, feed);
	return 0;
}

static int handle_cap_feed_atom(http_req *req, http_res *res, yj_err *e)
{
	return answer_atom(req, res, e);
}

static int handle_public_cap(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (http_path_id(req, "id", &id, e))
		return -1;
	return answer_cap(res, warn_cap_public(store_thread(), id, e), e);
}

/* ---- alarms -> draft warnings ------------------------------------------------------------------------ */

/* the county an area lies in (itself at county level or above) */
static void county_of(const char *code, char out[16])
{
	snprintf(out, 16, "%s", code);
	for (const geo_area *a = geo_area_find(out); a && a->level > GEO_LEVEL_COUNTY; a = geo_area_find(out))
		geo_area_parent(a->code, out);
	if (!out[0])
		snprintf(out, 16, "%s", code);
}

static void set_default(json_t *body, const char *key, json_t *v)
{
	if (!json_object_get(body, key))
		json_object_set(body, key, v);
	json_decref(v);
}

static int handle_alarm_to_warning(http_req *req, http_res *res, yj_err *e)
{
	int64_t aid;
	auth_scope sc;
	if (http_path_id(req, "id", &aid, e) || http_scope_of(req, NULL, "area", &sc, e))
		return -1;
	store *s = store_thread();
	json_t *a = warn_alarm_json(s, aid);
	const char *area = json_string_value(json_object_get(a, "area_code"));
	if (!a || !auth_scope_contains(&sc, area)) {
		json_decref(a);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no alarm %lld", (long long)aid);
	}
	json_t *body = req->body_len ? http_json_body(req, e) : json_object();
	if (!body) {
		json_decref(a);
		return -1;
	}
	/* defaults from the alarm; anything in the body wins */
	const char *msg = json_string_value(json_object_get(a, "message"));
	const char *rule = json_string_value(json_object_get(a, "rule_name"));
	char county[16], exp[40];
	county_of(area, county);
	yj_time_format(yj_now_ms() + 6 * 3600 * 1000, exp);
	set_default(body, "type", json_string(strstr(msg ? msg : "", "rain") ? "rainstorm" : "other"));
	set_default(body, "level", json_incref(json_object_get(a, "level")));
	set_default(body, "headline", json_string(rule && *rule ? rule : "监测告警"));
	set_default(body, "description", json_string(msg ? msg : ""));
	set_default(body, "areas", json_pack("[s]", auth_scope_contains(&sc, county) ? county : area));
	set_default(body, "expires", json_string(exp));
	json_object_set_new(body, "alarm_ids", json_pack("[I]", (json_int_t)aid));
	json_decref(a);
	create_ctx c = {.u = req->user, .source = "alarm"};
	int rc = parse_fields(body, false, &c.f, e) || store_tx(s, create_job, &c, e) ? -1 : 0;
	json_decref(body);
	return rc ? -1 : answer_warning(req, res, 201, c.id, e);
}

/* ---- CAP in ------------------------------------------------------------------------------------------ */

typedef struct import_ctx {
	const auth_user *u;
	json_t *alert;
	const char *xml;
	size_t len;
	cap_import_result r;
} import_ctx;

static int import_job(store *s, void *ctx, yj_err *e)
{
	import_ctx *c = ctx;
	return cap_import(s, c->u, c->alert, c->xml, c->len, &c->r, e);
}

static int handle_cap_import(http_req *req, http_res *res, yj_err *e)
{
	import_ctx c = {.u = req->user, .xml = req->body ? req->body : "", .len = req->body_len};
	c.alert = cap_parse(c.xml, c.len, e);
	if (!c.alert)
		return -1;
	int rc = store_tx(store_thread(), import_job, &c, e);
	if (rc == 0) {
		json_t *out = json_pack("{s:I, s:O, s:O, s:O, s:s, s:O}", "cap_alert_id", (json_int_t)c.r.cap_alert_id,
		                        "identifier", json_object_get(c.alert, "identifier"), "sender",
		                        json_object_get(c.alert, "sender"), "msgType", json_object_get(c.alert, "msgType"),
		                        "result", c.r.result, "references", json_object_get(c.alert, "references"));
		json_t *w = c.r.warning_id ? warn_json_for(store_thread(), c.r.warning_id, req->user) : NULL;
		json_object_set_new(out, "warning", w ? w : json_null());
		http_json(res, 201, out);
	}
	json_decref(c.alert); /* after the answer and any error: both may quote it */
	return rc;
}

void warn_lifecycle_api_register(void)
{
	unsigned readers = ROLES_STAFF | ROLE_BIT(ROLE_GRID_WORKER);
	http_route("POST", "/api/v1/warnings", handle_create, WARN_AUTHORS, NULL);
	http_route_doc("A draft warning: target areas or polygons inside the author's jurisdiction", NULL, "json");
	http_route("GET", "/api/v1/warnings", handle_list, readers, NULL);
	http_route_doc("Warnings of the jurisdiction or aimed at it, newest first",
	               "area:area, state:string, type:string, limit:integer, cursor:id", NULL);
	http_route("GET", "/api/v1/warnings/{id}", handle_get, readers, NULL);
	http_route_doc("A warning, with the actions open to the reader", NULL, NULL);
	http_route("PATCH", "/api/v1/warnings/{id}", handle_edit, WARN_AUTHORS, NULL);
	http_route_doc("Edit a draft", NULL, "json");
	http_route("POST", "/api/v1/warnings/{id}/{action}", handle_action, WARN_AUTHORS, NULL);
	http_route_doc("submit, approve (a commander, not the author), reject, issue, update (the members that change), "
	               "cancel", NULL, "json");
	http_route("GET", "/api/v1/warnings/{id}/cap", handle_cap, readers, NULL);
	http_route_doc("The CAP 1.2 message of a version (default: the latest)", "version:integer", NULL);
	http_route("POST", "/api/v1/alarms/{id}/warning", handle_alarm_to_warning, WARN_AUTHORS, NULL);
	http_route_doc("A draft warning from an alarm (the body's members win over the alarm's)", NULL, "json");
	http_route("POST", "/api/v1/cap", handle_cap_import, WARN_AUTHORS, NULL);
	http_route_body_limit(CAP_BODY_LIMIT);
	http_route_doc("Import a CAP 1.2 or 1.1 alert: a draft, or the referenced warning linked or cancelled", NULL,
	               "cap+xml");
	http_route("GET", "/api/v1/cap/feed", handle_cap_feed, HTTP_PUBLIC, NULL);
	http_route_doc("The current warnings (public): JSON, or Atom with Accept: application/atom+xml", NULL, NULL);
	http_route("GET", "/api/v1/cap/feed.atom", handle_cap_feed_atom, HTTP_PUBLIC, NULL);
	http_route_doc("The current warnings as an Atom feed (public), one entry per alert linking its CAP message", NULL,
	               NULL);
	http_route("GET", "/api/v1/public/cap/{id}", handle_public_cap, HTTP_PUBLIC, NULL);
	http_route_doc("The CAP 1.2 message of a current warning (public)", NULL, NULL);
}
