/*
 * warn_api.c — HTTP endpoints of warnings:
 *   POST /api/v1/warnings                    a draft
 *   GET  /api/v1/warnings?state=&type=&limit=&cursor=
 *   GET  /api/v1/warnings/{id}               with allowed actions and the loop in brief
 *   PATCH /api/v1/warnings/{id}              edit a draft
 *   POST /api/v1/warnings/{id}/{action}      submit | approve | reject | issue | update | cancel
 *   GET  /api/v1/warnings/{id}/cap[?version=N]   the CAP 1.2 message of a version
 *   POST /api/v1/alarms/{id}/warning         a draft warning from an alarm
 *   POST /api/v1/cap                         import an upstream CAP 1.1/1.2 alert
 *   GET  /api/v1/cap/feed                    current alerts (no login: public)
 */
#include <stdlib.h>
#include <string.h>

#include "dispatch/dispatch.h"
#include "http/http.h"
#include "warning/warn_int.h"

#define WARN_AUTHORS (ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_DUTY_OFFICER))
#define CAP_BODY_LIMIT (1u << 20)

static const char *cap_sender = "yingji@emergency-bureau.example";

void warn_set_cap_sender(const char *sender)
{
	if (sender && *sender)
		cap_sender = sender;
}

static json_t *for_user(http_req *req, json_t *w);

static int load_visible(http_req *req, int64_t *id, yj_err *e)
{
	long v;
	if (yj_parse_long(http_param(req, "id"), 1, 0x7fffffffL, &v, "id", e))
		return -1;
	sqlite3_stmt *st = store_stmt(store_thread(), "SELECT area_code, areas FROM warning WHERE id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, v);
	bool ok = false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		/* visible to its own jurisdiction and to the users of any target area */
		ok = auth_area_visible(req->user, (const char *)sqlite3_column_text(st, 0));
		json_t *areas = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
		size_t i;
		json_t *a;
		json_array_foreach(areas, i, a) {
			const char *code = json_string_value(a);
			/* a target inside my subtree, or my area inside a target */
			ok |= auth_area_visible(req->user, code);
			char p[16];
			auth_area_prefix(code, p);
			ok |= strncmp(req->user->area_code, p, strlen(p)) == 0;
		}
		json_decref(areas);
	}
	sqlite3_reset(st);
	if (!ok)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no warning %ld", v);
	*id = v;
	return 0;
}

static int handle_create(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	store *s = store_thread();
	int64_t id;
	int rc = -1;
	if (store_begin(s, e) == 0) {
		if (warn_create(s, req->user, body, "own", 0, &id, e) || store_commit(s, e))
			store_rollback(s);
		else
			rc = 0;
	}
	json_decref(body);
	if (rc)
		return -1;
	http_json(res, 201, for_user(req, warn_json(s, id)));
	return 0;
}

static int handle_list(http_req *req, http_res *res, yj_err *e)
{
	const char *state = http_query(req, "state"), *type = http_query(req, "type");
	long limit = 50, cursor = 0;
	if ((http_query(req, "limit") && yj_parse_long(http_query(req, "limit"), 1, 500, &limit, "limit", e)) ||
	    (http_query(req, "cursor") && yj_parse_long(http_query(req, "cursor"), 1, 0x7fffffffL, &cursor, "cursor", e)))
		return -1;
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT id FROM warning w WHERE (substr(area_code, 1, length(?1)) = ?1 OR EXISTS "
	                              "(SELECT 1 FROM json_each(w.areas) WHERE substr(value, 1, length(?1)) = ?1)) "
	                              "AND (?2 IS NULL OR state = ?2 OR (?2 = 'current' AND state = 'issued')) "
	                              "AND (?3 IS NULL OR type = ?3) AND (?4 = 0 OR id < ?4) ORDER BY id DESC LIMIT ?5",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, req->user->area_prefix);
	store_bind_text(st, 2, state);
	store_bind_text(st, 3, type);
	sqlite3_bind_int64(st, 4, cursor);
	sqlite3_bind_int64(st, 5, limit + 1);
	json_t *next;
	json_t *items = store_rows_json(s, st, warn_json, limit, &next);
	http_json(res, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
	return 0;
}

/* the actions this user may take now: the state allows them and so do role and authorship */
static json_t *for_user(http_req *req, json_t *w)
{
	json_t *acts = json_object_get(w, "allowed_actions"), *mine = json_array();
	bool commander = req->user->role == ROLE_COMMANDER;
	bool author = json_integer_value(json_object_get(json_object_get(w, "author"), "id")) == req->user->id;
	bool draft = !strcmp(json_string_value(json_object_get(w, "state")), "draft");
	size_t i;
	json_t *a;
	json_array_foreach(acts, i, a) {
		const char *act = json_string_value(a);
		if ((!strcmp(act, "approve") || !strcmp(act, "reject")) && (!commander || author))
			continue;
		if ((!strcmp(act, "update") || (!strcmp(act, "cancel") && !draft)) && !commander)
			continue;
		json_array_append(mine, a);
	}
	json_object_set_new(w, "allowed_actions", mine);
	return w;
}

static int handle_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (load_visible(req, &id, e))
		return -1;
	http_json(res, 200, for_user(req, warn_json(store_thread(), id)));
	return 0;
}

static int handle_edit(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (load_visible(req, &id, e))
		return -1;
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	store *s = store_thread();
	int rc = -1;
	if (store_begin(s, e) == 0) {
		if (warn_edit(s, req->user, id, body, e) || store_commit(s, e))
			store_rollback(s);
		else
			rc = 0;
	}
	json_decref(body);
	if (rc)
		return -1;
	http_json(res, 200, warn_json(s, id));
	return 0;
}

static int handle_action(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (load_visible(req, &id, e))
		return -1;
	const char *action = http_param(req, "action");
	json_t *body = NULL;
	if (req->body_len > 0) {
		body = http_json_body(req, e);
		if (!body)
			return -1;
	}
	store *s = store_thread();
	long recipients = 0;
	double t0 = yj_mono_ms();
	int rc = -1;
	if (store_begin(s, e) == 0) {
		if (warn_action(s, req->user, id, action, body, &recipients, e) || store_commit(s, e))
			store_rollback(s);
		else
			rc = 0;
	}
	json_decref(body);
	if (rc)
		return -1;
	double ms = yj_mono_ms() - t0;
	disp_announce(id);
	json_t *w = for_user(req, warn_json(s, id));
	if (!strcmp(action, "issue") || !strcmp(action, "update")) {
		json_object_set_new(w, "dispatched", json_integer(recipients));
		yj_log(YJ_LOG_INFO, "warning_dispatch", "warning=%lld action=%s recipients=%ld dur_ms=%.1f", (long long)id,
		       action, recipients, ms);
	}
	http_json(res, 200, w);
	return 0;
}

/* ---- CAP ---------------------------------------------------------------------------------- */

static const char *category_of(const char *type)
{
	if (!strcmp(type, "geological"))
		return "Geo";
	if (!strcmp(type, "forest_fire"))
		return "Fire";
	if (!strcmp(type, "hazmat"))
		return "CBRNE";
	if (!strcmp(type, "other"))
		return "Other";
	return "Met"; /* typhoon, rainstorm, flood, high_temperature */
}

static const char *severity_of(const char *level)
{
	if (!strcmp(level, "red"))
		return "Extreme";
	if (!strcmp(level, "orange"))
		return "Severe";
	if (!strcmp(level, "yellow"))
		return "Moderate";
	return "Minor";
}

static const char *event_name(const char *type)
{
	static const char *const map[][2] = {{"typhoon", "台风"},         {"rainstorm", "暴雨"},
	                                     {"flood", "洪水"},           {"geological", "地质灾害"},
	                                     {"forest_fire", "森林火险"}, {"high_temperature", "高温"},
	                                     {"hazmat", "危险化学品事故"}, {"other", "突发事件"}};
	for (size_t i = 0; i < YJ_ARRAY_LEN(map); i++)
		if (!strcmp(map[i][0], type))
			return map[i][1];
	return type;
}

/* CAP identifiers of a warning's messages: the base for version 1, base-vN after */
static void message_id(const char *base, int version, char *out, size_t cap)
{
	if (version <= 1)
		snprintf(out, cap, "%s", base);
	else
		snprintf(out, cap, "%s-v%d", base, version);
}

/* the CAP description of a version, from its snapshot */
json_t *warn_cap_alert(store *s, int64_t id, int version, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT version, msg_type, sent_ms, snapshot FROM warning_version WHERE warning_id = ? "
	                              "AND version <= ? ORDER BY version",
	                              e);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, version > 0 ? version : 1 << 30);
	json_t *refs = json_array(), *snap = NULL;
	char msg_type[16] = "", base[80] = "", sent[40] = "";
	int ver = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (snap) {
			/* every earlier message is referenced by the later ones */
			char prev[96];
			message_id(base, ver, prev, sizeof prev);
			json_array_append_new(refs, json_pack("{s:s, s:s, s:s}", "sender", cap_sender, "identifier", prev, "sent", sent));
			json_decref(snap);
		}
		ver = sqlite3_column_int(st, 0);
		snprintf(msg_type, sizeof msg_type, "%s", (const char *)sqlite3_column_text(st, 1));
		yj_time_format(sqlite3_column_int64(st, 2), sent);
		snap = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
		snprintf(base, sizeof base, "%s", json_string_value(json_object_get(snap, "identifier")));
	}
	sqlite3_reset(st);
	if (!snap) {
		json_decref(refs);
		yj_fail(e, YJ_ENOTFOUND, "version", "the warning has no issued version%s", version > 0 ? " of that number" : " yet");
		return NULL;
	}
	char ident[96];
	message_id(base, ver, ident, sizeof ident);
	const char *type = json_string_value(json_object_get(snap, "type"));
	const char *level = json_string_value(json_object_get(snap, "level"));
	/* the target areas: names, codes as geocodes; drawn polygons as CAP polygons */
	json_t *area = json_object();
	strbuf desc;
	strbuf_init(&desc);
	json_t *geocodes = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(snap, "areas"), i, a) {
		const char *name = json_string_value(json_array_get(json_object_get(snap, "area_names"), i));
		if (desc.len)
			strbuf_puts(&desc, "、");
		strbuf_puts(&desc, name && *name ? name : json_string_value(a));
		json_array_append_new(geocodes, json_pack("{s:s, s:s}", "valueName", "GB/T 2260", "value", json_string_value(a)));
	}
	json_t *polys = json_array();
	json_array_foreach(json_object_get(snap, "polygons"), i, a) {
		/* a CAP polygon is one ring: the outer rings of (Multi)Polygons */
		json_t *coords = json_object_get(a, "coordinates");
		if (!strcmp(json_string_value(json_object_get(a, "type")), "Polygon"))
			json_array_append(polys, json_array_get(coords, 0));
		else {
			size_t k;
			json_t *p;
			json_array_foreach(coords, k, p) json_array_append(polys, json_array_get(p, 0));
		}
	}
	if (!desc.len)
		strbuf_puts(&desc, "划定区域");
	json_object_set_new(area, "areaDesc", json_string(desc.data));
	json_object_set_new(area, "polygons", polys);
	json_object_set_new(area, "circles", json_array());
	json_object_set_new(area, "geocodes", geocodes);
	strbuf_free(&desc);
	json_t *info = json_pack("{s:s, s:[s], s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "language", "zh-CN", "category",
	                         category_of(type), "event", event_name(type), "urgency",
	                         !strcmp(level, "red") || !strcmp(level, "orange") ? "Immediate" : "Expected", "severity",
	                         severity_of(level), "certainty", "Likely", "senderName", "应急管理局", "headline",
	                         json_string_value(json_object_get(snap, "headline")), "description",
	                         json_string_value(json_object_get(snap, "description")));
	const char *instr = json_string_value(json_object_get(snap, "instruction"));
	if (instr && *instr)
		json_object_set_new(info, "instruction", json_string(instr));
	if (!json_string_length(json_object_get(info, "description")))
		json_object_del(info, "description");
	json_t *onset = json_object_get(snap, "onset"), *expires = json_object_get(snap, "expires");
	if (json_is_string(onset))
		json_object_set(info, "onset", onset);
	if (json_is_string(expires))
		json_object_set(info, "expires", expires);
	json_object_set_new(info, "parameters", json_pack("[{s:s, s:s}, {s:s, s:s}]", "valueName", "yingji:type", "value", type,
	                                                  "valueName", "yingji:level", "value", level));
	json_object_set_new(info, "eventCodes", json_array());
	json_object_set_new(info, "area", json_pack("[o]", area));
	json_t *alert = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:[o]}", "version", "1.2", "identifier", ident,
	                          "sender", cap_sender, "sent", sent, "status", "Actual", "msgType", msg_type, "scope",
	                          "Public", "references", refs, "info", info);
	json_decref(snap);
	return alert;
}

static int handle_cap(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	long version = 0;
	if (load_visible(req, &id, e) ||
	    (http_query(req, "version") && yj_parse_long(http_query(req, "version"), 1, 100000, &version, "version", e)))
		return -1;
	json_t *alert = warn_cap_alert(store_thread(), id, (int)version, e);
	if (!alert)
		return -1;
	char *xml = cap_render(alert, e);
	json_decref(alert);
	if (!xml)
		return -1;
	res->status = 200;
	res->body = xml;
	res->body_len = strlen(xml);
	res->content_type = "application/cap+xml; charset=utf-8";
	return 0;
}

static int handle_cap_feed(http_req *req, http_res *res, yj_err *e)
{
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT id, identifier, version, type, level, headline, areas, expires_ms, issued_ms "
	                              "FROM warning WHERE state = 'issued' ORDER BY issued_ms DESC LIMIT 500",
	                              e);
	if (!st)
		return -1;
	json_t *items = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		char exp[40], iss[40], ident[96], url[64];
		yj_time_format(sqlite3_column_int64(st, 7), exp);
		yj_time_format(sqlite3_column_int64(st, 8), iss);
		message_id((const char *)sqlite3_column_text(st, 1), sqlite3_column_int(st, 2), ident, sizeof ident);
		snprintf(url, sizeof url, "/api/v1/public/cap/%lld", (long long)sqlite3_column_int64(st, 0));
		json_array_append_new(items, json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "id",
		                                       (json_int_t)sqlite3_column_int64(st, 0), "identifier", ident,
		                                       "version", sqlite3_column_int(st, 2), "type",
		                                       (const char *)sqlite3_column_text(st, 3), "level",
		                                       (const char *)sqlite3_column_text(st, 4), "headline",
		                                       (const char *)sqlite3_column_text(st, 5), "areas",
		                                       json_loads((const char *)sqlite3_column_text(st, 6), 0, NULL), "issued",
		                                       iss, "expires", exp, "cap", url));
	}
	sqlite3_reset(st);
	http_json(res, 200, json_pack("{s:s, s:o}", "sender", cap_sender, "items", items));
	return 0;
}

/* the public CAP message of a current warning (what the feed links to) */
static int handle_public_cap(http_req *req, http_res *res, yj_err *e)
{
	long id;
	if (yj_parse_long(http_param(req, "id"), 1, 0x7fffffffL, &id, "id", e))
		return -1;
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(s, "SELECT state FROM warning WHERE id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bool shown = sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "issued") == 0;
	sqlite3_reset(st);
	if (!shown)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no current warning %ld", id);
	json_t *alert = warn_cap_alert(s, id, 0, e);
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

/* ---- alarms -> draft warnings --------------------------------------------------------------- */

static int handle_alarm_to_warning(http_req *req, http_res *res, yj_err *e)
{
	long aid;
	if (yj_parse_long(http_param(req, "id"), 1, 0x7fffffffL, &aid, "id", e))
		return -1;
	store *s = store_thread();
	json_t *a = warn_alarm_json(s, aid);
	if (!a || !auth_area_visible(req->user, json_string_value(json_object_get(a, "area_code")))) {
		json_decref(a);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no alarm %ld", aid);
	}
	json_t *body = req->body_len ? http_json_body(req, e) : json_object();
	if (!body) {
		json_decref(a);
		return -1;
	}
	/* defaults from the alarm; anything in the body wins */
	const char *msg = json_string_value(json_object_get(a, "message"));
	const char *rule = json_string_value(json_object_get(a, "rule_name"));
	char headline[300];
	snprintf(headline, sizeof headline, "%s", rule ? rule : "监测告警");
	if (!json_object_get(body, "type"))
		json_object_set_new(body, "type", json_string(strstr(msg ? msg : "", "rain") ? "rainstorm" : "other"));
	if (!json_object_get(body, "level"))
		json_object_set(body, "level", json_object_get(a, "level"));
	if (!json_object_get(body, "headline"))
		json_object_set_new(body, "headline", json_string(headline));
	if (!json_object_get(body, "description"))
		json_object_set_new(body, "description", json_string(msg ? msg : ""));
	if (!json_object_get(body, "areas")) {
		char county[8];
		snprintf(county, sizeof county, "%.6s", json_string_value(json_object_get(a, "area_code")));
		json_object_set_new(body, "areas", json_pack("[s]", auth_area_visible(req->user, county) ? county
		                                                    : json_string_value(json_object_get(a, "area_code"))));
	}
	if (!json_object_get(body, "expires")) {
		char exp[40];
		yj_time_format(yj_now_ms() + 6 * 3600 * 1000, exp);
		json_object_set_new(body, "expires", json_string(exp));
	}
	json_object_set_new(body, "alarm_ids", json_pack("[I]", (json_int_t)aid));
	json_decref(a);
	int64_t id;
	int rc = -1;
	if (store_begin(s, e) == 0) {
		if (warn_create(s, req->user, body, "alarm", 0, &id, e) || store_commit(s, e))
			store_rollback(s);
		else
			rc = 0;
	}
	json_decref(body);
	if (rc)
		return -1;
	http_json(res, 201, warn_json(s, id));
	return 0;
}

/* ---- CAP import ---------------------------------------------------------------------------- */

static const char *type_from_cap(json_t *info)
{
	const char *cat = json_string_value(json_array_get(json_object_get(info, "category"), 0));
	const char *ev = json_string_value(json_object_get(info, "event"));
	if (ev && (strstr(ev, "台风") || strstr(ev, "yphoon") || strstr(ev, "ropical") || strstr(ev, "urricane")))
		return "typhoon";
	if (ev && (strstr(ev, "暴雨") || strstr(ev, "ain") || strstr(ev, "hunderstorm")))
		return "rainstorm";
	if (ev && (strstr(ev, "洪") || strstr(ev, "lood") || strstr(ev, "水库")))
		return "flood";
	if (cat && !strcmp(cat, "Geo"))
		return "geological";
	if (cat && !strcmp(cat, "Fire"))
		return "forest_fire";
	if (cat && !strcmp(cat, "CBRNE"))
		return "hazmat";
	if (ev && (strstr(ev, "高温") || strstr(ev, "eat")))
		return "high_temperature";
	return "other";
}

static const char *level_from_severity(const char *sev)
{
	if (sev && !strcmp(sev, "Extreme"))
		return "red";
	if (sev && !strcmp(sev, "Severe"))
		return "orange";
	if (sev && !strcmp(sev, "Moderate"))
		return "yellow";
	return "blue";
}

static int handle_cap_import(http_req *req, http_res *res, yj_err *e)
{
	json_t *alert = cap_parse(req->body ? req->body : "", req->body_len, e);
	if (!alert)
		return -1;
	store *s = store_thread();
	const char *msg_type = json_string_value(json_object_get(alert, "msgType"));
	const char *sender = json_string_value(json_object_get(alert, "sender"));
	const char *ident = json_string_value(json_object_get(alert, "identifier"));
	int rc = -1;
	int64_t cap_id = 0, wid = 0;
	json_t *out = NULL;
	/* Update and Cancel must reference an alert we know */
	int64_t ref_warning = 0;
	json_t *refs = json_object_get(alert, "references");
	if (!strcmp(msg_type, "Update") || !strcmp(msg_type, "Cancel")) {
		sqlite3_stmt *st = store_stmt(s, "SELECT warning_id FROM cap_alert WHERE sender = ? AND identifier = ?", e);
		size_t i;
		json_t *r;
		bool found = false;
		json_array_foreach(refs, i, r) {
			store_bind_text(st, 1, json_string_value(json_object_get(r, "sender")));
			store_bind_text(st, 2, json_string_value(json_object_get(r, "identifier")));
			if (sqlite3_step(st) == SQLITE_ROW) {
				found = true;
				if (sqlite3_column_type(st, 0) != SQLITE_NULL)
					ref_warning = sqlite3_column_int64(st, 0);
			}
			sqlite3_reset(st);
		}
		if (!found) {
			json_decref(alert);
			return yj_fail(e, YJ_EUNPROCESSABLE, "/alert/references",
			               "/alert/references: %s refers to no alert received before", msg_type);
		}
	}
	if (store_begin(s, e)) {
		json_decref(alert);
		return -1;
	}
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO cap_alert(identifier, sender, sent_ms, status, msg_type, refs, version, xml, "
	                              "received_ms, received_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
	                              e);
	if (!st)
		goto fail;
	char *refs_txt = json_dumps(refs, JSON_COMPACT);
	store_bind_text(st, 1, ident);
	store_bind_text(st, 2, sender);
	sqlite3_bind_int64(st, 3, json_integer_value(json_object_get(alert, "sent_ms")));
	store_bind_text(st, 4, json_string_value(json_object_get(alert, "status")));
	store_bind_text(st, 5, msg_type);
	sqlite3_bind_text(st, 6, refs_txt ? refs_txt : "[]", -1, free);
	store_bind_text(st, 7, json_string_value(json_object_get(alert, "version")));
	sqlite3_bind_text(st, 8, req->body, (int)req->body_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, yj_now_ms());
	sqlite3_bind_int64(st, 10, req->user->id);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		if ((sqlite3_extended_errcode(store_db(s)) & 0xff) == SQLITE_CONSTRAINT)
			yj_fail(e, YJ_ECONFLICT, "/alert/identifier", "alert %s from %s was received already", ident, sender);
		else
			store_fail(s, e, "insert cap alert");
		goto fail;
	}
	cap_id = sqlite3_last_insert_rowid(store_db(s));
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)cap_id);
	json_t *audited = json_pack("{s:s, s:s, s:s}", "sender", sender, "identifier", ident, "msgType", msg_type);
	int arc = audit_append(s, req->user, "cap.import", "cap_alert", idbuf, audited, e);
	json_decref(audited);
	if (arc)
		goto fail;
	json_t *info = json_array_get(json_object_get(alert, "info"), 0);
	const char *action = "stored";
	if (!strcmp(msg_type, "Alert") && info) {
		/* a received alert becomes a draft for the duty officer: issuing is the bureau's decision */
		json_t *body = json_object();
		json_object_set_new(body, "type", json_string(type_from_cap(info)));
		json_object_set_new(body, "level", json_string(level_from_severity(json_string_value(json_object_get(info, "severity")))));
		const char *hl = json_string_value(json_object_get(info, "headline"));
		json_object_set_new(body, "headline", json_string(hl && *hl ? hl : json_string_value(json_object_get(info, "event"))));
		const char *d = json_string_value(json_object_get(info, "description"));
		if (d)
			json_object_set_new(body, "description", json_string(strlen(d) > 8000 ? "" : d));
		const char *in = json_string_value(json_object_get(info, "instruction"));
		if (in && strlen(in) <= 4000)
			json_object_set_new(body, "instruction", json_string(in));
		/* target: geocodes that are our areas, else the polygons, else our whole area */
		json_t *areas = json_array(), *polys = json_array();
		size_t i, k;
		json_t *ar, *g;
		sqlite3_stmt *q = store_stmt(s, "SELECT 1 FROM area WHERE code = ?", NULL);
		json_array_foreach(json_object_get(info, "area"), i, ar) {
			json_array_foreach(json_object_get(ar, "geocodes"), k, g) {
				const char *code = json_string_value(json_object_get(g, "value"));
				store_bind_text(q, 1, code);
				if (sqlite3_step(q) == SQLITE_ROW && auth_area_visible(req->user, code))
					json_array_append_new(areas, json_string(code));
				sqlite3_reset(q);
			}
			json_t *p;
			json_array_foreach(json_object_get(ar, "polygons"), k, p)
				json_array_append_new(polys, json_pack("{s:s, s:[O]}", "type", "Polygon", "coordinates", p));
		}
		if (json_array_size(areas) == 0 && json_array_size(polys) == 0)
			json_array_append_new(areas, json_string(req->user->area_code));
		json_object_set_new(body, "areas", areas);
		if (json_array_size(polys))
			json_object_set_new(body, "polygons", polys);
		else
			json_decref(polys);
		json_t *exp = json_object_get(info, "expires");
		int64_t exp_ms = 0;
		if (!json_is_string(exp) || yj_time_parse(json_string_value(exp), &exp_ms, "expires", NULL) || exp_ms <= yj_now_ms()) {
			char t[40];
			yj_time_format(yj_now_ms() + 24 * 3600 * 1000, t);
			json_object_set_new(body, "expires", json_string(t));
		} else {
			json_object_set(body, "expires", exp);
		}
		yj_err we = {0};
		int wrc = warn_create(s, req->user, body, "cap", cap_id, &wid, &we);
		json_decref(body);
		if (wrc) {
			/* the alert is kept; the draft could not be made (e.g. polygons outside our areas) */
			wid = 0;
			action = "stored (no draft: ";
			yj_log(YJ_LOG_WARN, "cap_draft", "identifier=%s message=\"%s\"", ident, we.message);
		} else {
			action = "draft warning created";
		}
	} else if (!strcmp(msg_type, "Cancel") && ref_warning) {
		/* a cancelled upstream alert cancels our draft of it; an issued one is the commander's call */
		json_t *w = warn_json(s, ref_warning);
		const char *state = json_string_value(json_object_get(w, "state"));
		if (state && (!strcmp(state, "draft") || !strcmp(state, "submitted") || !strcmp(state, "approved"))) {
			st = store_stmt(s, "UPDATE warning SET state = 'cancelled', cancelled_ms = ?, updated_ms = ? WHERE id = ?", e);
			if (st) {
				sqlite3_bind_int64(st, 1, yj_now_ms());
				sqlite3_bind_int64(st, 2, yj_now_ms());
				sqlite3_bind_int64(st, 3, ref_warning);
				sqlite3_step(st);
				sqlite3_reset(st);
			}
			action = "referenced draft cancelled";
		} else {
			action = "referenced warning is issued: a commander must cancel it";
		}
		wid = ref_warning;
		json_decref(w);
	} else if (ref_warning) {
		wid = ref_warning;
		action = "stored with the referenced warning";
	}
	if (wid) {
		st = store_stmt(s, "UPDATE cap_alert SET warning_id = ? WHERE id = ?", e);
		if (st) {
			sqlite3_bind_int64(st, 1, wid);
			sqlite3_bind_int64(st, 2, cap_id);
			sqlite3_step(st);
			sqlite3_reset(st);
		}
	}
	if (store_commit(s, e))
		goto fail;
	out = json_pack("{s:I, s:s, s:s, s:s, s:s}", "cap_alert_id", (json_int_t)cap_id, "identifier", ident, "sender",
	                sender, "msgType", msg_type, "result", action);
	json_object_set_new(out, "warning", wid ? warn_json(s, wid) : json_null());
	http_json(res, 201, out);
	rc = 0;
	json_decref(alert);
	return rc;
fail:
	store_rollback(s);
	json_decref(alert);
	return -1;
}

void warn_lifecycle_api_register(void)
{
	unsigned readers = ROLES_STAFF | ROLE_BIT(ROLE_GRID_WORKER);
	http_route("POST", "/api/v1/warnings", handle_create, WARN_AUTHORS, NULL);
	http_route("GET", "/api/v1/warnings", handle_list, readers, NULL);
	http_route("GET", "/api/v1/warnings/{id}", handle_get, readers, NULL);
	http_route("PATCH", "/api/v1/warnings/{id}", handle_edit, WARN_AUTHORS, NULL);
	http_route("POST", "/api/v1/warnings/{id}/{action}", handle_action, WARN_AUTHORS, NULL);
	http_route("GET", "/api/v1/warnings/{id}/cap", handle_cap, readers, NULL);
	http_route("POST", "/api/v1/alarms/{id}/warning", handle_alarm_to_warning, WARN_AUTHORS, NULL);
	http_route("POST", "/api/v1/cap", handle_cap_import, WARN_AUTHORS, NULL);
	http_route_body_limit(CAP_BODY_LIMIT);
	http_route("GET", "/api/v1/cap/feed", handle_cap_feed, HTTP_PUBLIC, NULL);
	http_route("GET", "/api/v1/public/cap/{id}", handle_public_cap, HTTP_PUBLIC, NULL);
}
