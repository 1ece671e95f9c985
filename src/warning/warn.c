/*
 * warn.c — the warning (预警) lifecycle:
 *
 *   draft -> submitted -> approved -> issued -> (updated: issued, version+1)
 *     \          \            \          \-> cancelled | expired
 *      \-> cancelled  \-> draft (reject)
 *
 * Approval is a two-person rule: a commander who is not the author. Every
 * transition is one transaction: the new state, the version snapshot (for
 * CAP), the recipients (dispatch), the audit record. Illegal transitions
 * are refused with the allowed ones named. Expiry is a scheduled job.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/dispatch.h"
#include "http/http.h"
#include "warning/warn_int.h"

static const char *const types[] = {"typhoon", "rainstorm", "flood", "geological", "forest_fire",
                                    "high_temperature", "hazmat", "other", NULL};
static const char *const levels[] = {"blue", "yellow", "orange", "red", NULL};

static bool in_set(const char *const *set, const char *v)
{
	for (int i = 0; v && set[i]; i++)
		if (strcmp(set[i], v) == 0)
			return true;
	return false;
}

/* ---- actions allowed in each state ------------------------------------------------------- */

typedef struct action_rule {
	const char *action;
	const char *from;
	const char *to;
} action_rule;

static const action_rule transitions[] = {
	{"submit", "draft", "submitted"},   {"approve", "submitted", "approved"},
	{"reject", "submitted", "draft"},   {"issue", "approved", "issued"},
	{"update", "issued", "issued"},     {"cancel", "draft", "cancelled"},
	{"cancel", "submitted", "cancelled"}, {"cancel", "approved", "cancelled"},
	{"cancel", "issued", "cancelled"},
};

static void allowed_actions(const char *state, char *out, size_t cap, json_t *arr)
{
	out[0] = 0;
	size_t n = 0;
	for (size_t i = 0; i < YJ_ARRAY_LEN(transitions); i++) {
		if (strcmp(transitions[i].from, state) != 0)
			continue;
		n += (size_t)snprintf(out + n, cap > n ? cap - n : 0, "%s%s", n ? ", " : "", transitions[i].action);
		if (arr)
			json_array_append_new(arr, json_string(transitions[i].action));
	}
	if (!n)
		snprintf(out, cap, "none");
}

/* ---- input -------------------------------------------------------------------------------- */

static int check_areas(store *s, const auth_user *u, json_t *areas, yj_err *e)
{
	if (!json_is_array(areas) || json_array_size(areas) > 1000)
		return yj_fail(e, YJ_EINVAL, "areas", "field 'areas' must be an array of area codes");
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM area WHERE code = ?", e);
	if (!st)
		return -1;
	size_t i;
	json_t *a;
	json_array_foreach(areas, i, a) {
		if (!json_is_string(a))
			return yj_fail(e, YJ_EINVAL, "areas", "areas[%zu] must be an area code", i);
		store_bind_text(st, 1, json_string_value(a));
		bool ok = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!ok)
			return yj_fail(e, YJ_EINVAL, "areas", "areas[%zu]: no area %.16s", i, json_string_value(a));
		if (auth_require_area(u, json_string_value(a), "areas", e))
			return -1;
	}
	return 0;
}

static int check_polygons(json_t *polys, yj_err *e)
{
	if (!json_is_array(polys) || json_array_size(polys) > 100)
		return yj_fail(e, YJ_EINVAL, "polygons", "field 'polygons' must be an array of GeoJSON polygons");
	GEOSContextHandle_t g = GEOS_init_r();
	GEOSGeoJSONReader *rd = GEOSGeoJSONReader_create_r(g);
	int rc = 0;
	size_t i;
	json_t *p;
	json_array_foreach(polys, i, p) {
		char *txt = json_dumps(p, JSON_COMPACT);
		GEOSGeometry *geom = txt ? GEOSGeoJSONReader_readGeometry_r(g, rd, txt) : NULL;
		free(txt);
		int t = geom ? GEOSGeomTypeId_r(g, geom) : -1;
		if (!geom || (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON))
			rc = yj_fail(e, YJ_EINVAL, "polygons", "polygons[%zu] must be a GeoJSON Polygon or MultiPolygon", i);
		else if (GEOSisValid_r(g, geom) != 1)
			rc = yj_fail(e, YJ_EINVAL, "polygons", "polygons[%zu] is not a valid polygon (self-intersecting?)", i);
		if (geom)
			GEOSGeom_destroy_r(g, geom);
		if (rc)
			break;
	}
	GEOSGeoJSONReader_destroy_r(g, rd);
	GEOS_finish_r(g);
	return rc;
}

static int check_text(json_t *body, const char *key, size_t max, bool required, yj_err *e)
{
	json_t *v = json_object_get(body, key);
	if (!v || json_is_null(v)) {
		if (required)
			return yj_fail(e, YJ_EINVAL, key, "field '%s' is required", key);
		return 0;
	}
	if (!json_is_string(v) || (required && json_string_length(v) == 0))
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must be a non-empty string", key);
	if (json_string_length(v) > max)
		return yj_fail(e, YJ_EINVAL, key, "field '%s': at most %zu bytes", key, max);
	return 0;
}

/* check a draft's fields; partial: only the members present (edits and updates) */
static int check_input(store *s, const auth_user *u, json_t *body, bool partial, int64_t *onset, int64_t *expires,
                       yj_err *e)
{
	static const char *const keys[] = {"type", "level", "headline", "description", "instruction", "areas",
	                                   "polygons", "onset", "expires", "evacuation", "alarm_ids", NULL};
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		if (!in_set(keys, k))
			return yj_fail(e, YJ_EINVAL, k, "field '%.60s' is not a field of a warning", k);
	}
	json_t *type = json_object_get(body, "type"), *level = json_object_get(body, "level");
	if ((type || !partial) && !in_set(types, json_string_value(type)))
		return yj_fail(e, YJ_EINVAL, "type", "field 'type' must be one of typhoon, rainstorm, flood, geological, "
		                                     "forest_fire, high_temperature, hazmat, other");
	if ((level || !partial) && !in_set(levels, json_string_value(level)))
		return yj_fail(e, YJ_EINVAL, "level", "field 'level' must be blue, yellow, orange or red (IV..I)");
	if (check_text(body, "headline", 300, !partial, e) || check_text(body, "description", 8000, false, e) ||
	    check_text(body, "instruction", 4000, false, e))
		return -1;
	json_t *areas = json_object_get(body, "areas"), *polys = json_object_get(body, "polygons");
	if (areas && check_areas(s, u, areas, e))
		return -1;
	if (polys && check_polygons(polys, e))
		return -1;
	if (!partial && json_array_size(areas) == 0 && json_array_size(polys) == 0)
		return yj_fail(e, YJ_EINVAL, "areas", "a warning needs target areas (codes) or polygons");
	json_t *on = json_object_get(body, "onset"), *ex = json_object_get(body, "expires");
	if (on && !json_is_null(on) && (!json_is_string(on) || yj_time_parse(json_string_value(on), onset, "onset", e)))
		return json_is_string(on) ? -1 : yj_fail(e, YJ_EINVAL, "onset", "field 'onset' must be an RFC 3339 time");
	if (ex && (!json_is_string(ex) || yj_time_parse(json_string_value(ex), expires, "expires", e)))
		return json_is_string(ex) ? -1 : yj_fail(e, YJ_EINVAL, "expires", "field 'expires' must be an RFC 3339 time");
	if (!ex && !partial)
		return yj_fail(e, YJ_EINVAL, "expires", "field 'expires' is required");
	json_t *evac = json_object_get(body, "evacuation");
	if (evac && !json_is_boolean(evac))
		return yj_fail(e, YJ_EINVAL, "evacuation", "field 'evacuation' must be true or false");
	json_t *alarms = json_object_get(body, "alarm_ids");
	if (alarms) {
		if (!json_is_array(alarms) || json_array_size(alarms) > 1000)
			return yj_fail(e, YJ_EINVAL, "alarm_ids", "field 'alarm_ids' must be an array of alarm ids");
		sqlite3_stmt *st = store_stmt(s, "SELECT area_code FROM alarm WHERE id = ?", e);
		size_t i;
		json_t *a;
		json_array_foreach(alarms, i, a) {
			bool ok = false;
			if (st && json_is_integer(a)) {
				sqlite3_bind_int64(st, 1, json_integer_value(a));
				ok = sqlite3_step(st) == SQLITE_ROW && auth_area_visible(u, (const char *)sqlite3_column_text(st, 0));
				sqlite3_reset(st);
			}
			if (!ok)
				return yj_fail(e, YJ_EINVAL, "alarm_ids", "alarm_ids[%zu]: no such alarm", i);
		}
	}
	return 0;
}

/* ---- reading ------------------------------------------------------------------------------- */

#define WARN_COLS \
	"id, identifier, version, type, level, headline, description, instruction, areas, polygons, onset_ms, " \
	"expires_ms, evacuation, source, cap_alert_id, alarm_ids, state, area_code, author_id, approver_id, " \
	"issued_ms, cancelled_ms, created_ms, updated_ms"

static json_t *time_or_null(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	char t[40];
	yj_time_format(sqlite3_column_int64(st, col), t);
	return json_string(t);
}

static json_t *user_brief(store *s, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	int64_t id = sqlite3_column_int64(st, col);
	sqlite3_stmt *u = store_stmt(s, "SELECT username, display_name FROM user WHERE id = ?", NULL);
	json_t *j = json_pack("{s:I}", "id", (json_int_t)id);
	if (u) {
		sqlite3_bind_int64(u, 1, id);
		if (sqlite3_step(u) == SQLITE_ROW) {
			json_object_set_new(j, "username", json_string((const char *)sqlite3_column_text(u, 0)));
			json_object_set_new(j, "display_name", json_string((const char *)sqlite3_column_text(u, 1)));
		}
		sqlite3_reset(u);
	}
	return j;
}

/* the warning as stored (the audited state: no derived members) */
static json_t *warning_row(store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " WARN_COLS " FROM warning WHERE id = ?", NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		j = json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		              "identifier", (const char *)sqlite3_column_text(st, 1), "version", sqlite3_column_int(st, 2),
		              "type", (const char *)sqlite3_column_text(st, 3), "level",
		              (const char *)sqlite3_column_text(st, 4), "headline", (const char *)sqlite3_column_text(st, 5),
		              "description", (const char *)sqlite3_column_text(st, 6), "instruction",
		              (const char *)sqlite3_column_text(st, 7));
		json_object_set_new(j, "areas", json_loads((const char *)sqlite3_column_text(st, 8), 0, NULL));
		json_object_set_new(j, "polygons", json_loads((const char *)sqlite3_column_text(st, 9), 0, NULL));
		json_object_set_new(j, "onset", time_or_null(st, 10));
		json_object_set_new(j, "expires", time_or_null(st, 11));
		json_object_set_new(j, "evacuation", json_boolean(sqlite3_column_int(st, 12)));
		json_object_set_new(j, "source", json_string((const char *)sqlite3_column_text(st, 13)));
		json_object_set_new(j, "cap_alert_id", sqlite3_column_type(st, 14) == SQLITE_NULL
		                                           ? json_null() : json_integer(sqlite3_column_int64(st, 14)));
		json_object_set_new(j, "alarm_ids", json_loads((const char *)sqlite3_column_text(st, 15), 0, NULL));
		json_object_set_new(j, "state", json_string((const char *)sqlite3_column_text(st, 16)));
		json_object_set_new(j, "area_code", json_string((const char *)sqlite3_column_text(st, 17)));
		json_object_set_new(j, "author", user_brief(s, st, 18));
		json_object_set_new(j, "approver", user_brief(s, st, 19));
		json_object_set_new(j, "issued", time_or_null(st, 20));
		json_object_set_new(j, "cancelled", time_or_null(st, 21));
		json_object_set_new(j, "created", time_or_null(st, 22));
	}
	sqlite3_reset(st);
	return j;
}

json_t *warn_state_json(store *s, const char *id)
{
	json_t *j = warning_row(s, strtoll(id, NULL, 10));
	/* the audited state is the warning's own: people's names may change elsewhere */
	if (j) {
		json_t *a = json_object_get(j, "author"), *b = json_object_get(j, "approver");
		json_object_set(j, "author", json_is_object(a) ? json_object_get(a, "id") : json_null());
		json_object_set(j, "approver", json_is_object(b) ? json_object_get(b, "id") : json_null());
	}
	return j;
}

json_t *warn_json(store *s, int64_t id)
{
	json_t *j = warning_row(s, id);
	if (!j)
		return NULL;
	/* names of the target areas, the actions open now, the loop in brief */
	json_t *names = json_array();
	sqlite3_stmt *st = store_stmt(s, "SELECT name FROM area WHERE code = ?", NULL);
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(j, "areas"), i, a) {
		store_bind_text(st, 1, json_string_value(a));
		json_array_append_new(names, json_string(sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : ""));
		sqlite3_reset(st);
	}
	json_object_set_new(j, "area_names", names);
	json_t *acts = json_array();
	char buf[128];
	allowed_actions(json_string_value(json_object_get(j, "state")), buf, sizeof buf, acts);
	json_object_set_new(j, "allowed_actions", acts);
	st = store_stmt(s,
	                "SELECT count(*), sum(state = 'acknowledged') FROM recipient WHERE warning_id = ? AND channel = 'in_app'",
	                NULL);
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(j, "recipients", json_pack("{s:I, s:I}", "total", (json_int_t)sqlite3_column_int64(st, 0),
			                                               "acknowledged", (json_int_t)sqlite3_column_int64(st, 1)));
		sqlite3_reset(st);
	}
	return j;
}

/* ---- writes ---------------------------------------------------------------------------------- */

static int audit_warning(store *s, const auth_user *u, const char *action, int64_t id, yj_err *e)
{
	char idbuf[24], act[48];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	snprintf(act, sizeof act, "warning.%s", action);
	json_t *st = warn_state_json(s, idbuf);
	int rc = audit_append(s, u, act, "warning", idbuf, st, e);
	json_decref(st);
	return rc;
}

static void bind_json(sqlite3_stmt *st, int idx, json_t *v, const char *dflt)
{
	if (!v) {
		store_bind_text(st, idx, dflt);
		return;
	}
	char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	sqlite3_bind_text(st, idx, txt, -1, free);
}

int warn_create(store *s, const auth_user *u, json_t *body, const char *source, int64_t cap_alert_id,
                int64_t *id_out, yj_err *e)
{
	int64_t onset = 0, expires = 0;
	if (check_input(s, u, body, false, &onset, &expires, e))
		return -1;
	int64_t now = yj_now_ms();
	if (expires <= now)
		return yj_fail(e, YJ_EINVAL, "expires", "field 'expires' must be in the future");
	if (json_object_get(body, "onset") && onset >= expires)
		return yj_fail(e, YJ_EINVAL, "onset", "field 'onset' must be before 'expires'");
	char ident[64];
	unsigned char rnd[4];
	randombytes_buf(rnd, sizeof rnd);
	char hex[9];
	yj_hex(rnd, sizeof rnd, hex);
	char day[40];
	yj_time_format(now, day);
	snprintf(ident, sizeof ident, "%s-%.4s%.2s%.2s-%s", u->area_code, day, day + 5, day + 8, hex);
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO warning(identifier, type, level, headline, description, instruction, "
	                              "areas, polygons, onset_ms, expires_ms, evacuation, source, cap_alert_id, alarm_ids, "
	                              "state, area_code, author_id, created_ms, updated_ms) "
	                              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,'draft',?,?,?,?)",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, ident);
	store_bind_text(st, 2, json_string_value(json_object_get(body, "type")));
	store_bind_text(st, 3, json_string_value(json_object_get(body, "level")));
	store_bind_text(st, 4, json_string_value(json_object_get(body, "headline")));
	json_t *d = json_object_get(body, "description"), *in = json_object_get(body, "instruction");
	store_bind_text(st, 5, json_is_string(d) ? json_string_value(d) : "");
	store_bind_text(st, 6, json_is_string(in) ? json_string_value(in) : "");
	bind_json(st, 7, json_object_get(body, "areas"), "[]");
	bind_json(st, 8, json_object_get(body, "polygons"), "[]");
	if (json_object_get(body, "onset") && !json_is_null(json_object_get(body, "onset")))
		sqlite3_bind_int64(st, 9, onset);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_int64(st, 10, expires);
	sqlite3_bind_int(st, 11, json_is_true(json_object_get(body, "evacuation")));
	store_bind_text(st, 12, source);
	if (cap_alert_id)
		sqlite3_bind_int64(st, 13, cap_alert_id);
	else
		sqlite3_bind_null(st, 13);
	bind_json(st, 14, json_object_get(body, "alarm_ids"), "[]");
	store_bind_text(st, 15, u->area_code);
	sqlite3_bind_int64(st, 16, u->id);
	sqlite3_bind_int64(st, 17, now);
	sqlite3_bind_int64(st, 18, now);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "insert warning");
	*id_out = sqlite3_last_insert_rowid(store_db(s));
	return audit_warning(s, u, "create", *id_out, e);
}

/* apply the members present in body to the warning's columns */
static int apply_fields(store *s, int64_t id, json_t *body, int64_t onset, int64_t expires, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "UPDATE warning SET type = coalesce(?1, type), level = coalesce(?2, level), "
	                              "headline = coalesce(?3, headline), description = coalesce(?4, description), "
	                              "instruction = coalesce(?5, instruction), areas = coalesce(?6, areas), "
	                              "polygons = coalesce(?7, polygons), onset_ms = CASE WHEN ?8 THEN ?9 ELSE onset_ms END, "
	                              "expires_ms = coalesce(?10, expires_ms), evacuation = coalesce(?11, evacuation), "
	                              "alarm_ids = coalesce(?12, alarm_ids), updated_ms = ?13 WHERE id = ?14",
	                              e);
	if (!st)
		return -1;
	const char *keys[] = {"type", "level", "headline", "description", "instruction"};
	for (int i = 0; i < 5; i++)
		store_bind_text(st, i + 1, json_string_value(json_object_get(body, keys[i])));
	json_t *areas = json_object_get(body, "areas"), *polys = json_object_get(body, "polygons");
	if (areas)
		bind_json(st, 6, areas, "[]");
	else
		sqlite3_bind_null(st, 6);
	if (polys)
		bind_json(st, 7, polys, "[]");
	else
		sqlite3_bind_null(st, 7);
	json_t *on = json_object_get(body, "onset");
	sqlite3_bind_int(st, 8, on != NULL);
	if (on && !json_is_null(on))
		sqlite3_bind_int64(st, 9, onset);
	else
		sqlite3_bind_null(st, 9);
	if (json_object_get(body, "expires"))
		sqlite3_bind_int64(st, 10, expires);
	else
		sqlite3_bind_null(st, 10);
	json_t *ev = json_object_get(body, "evacuation");
	if (ev)
		sqlite3_bind_int(st, 11, json_is_true(ev));
	else
		sqlite3_bind_null(st, 11);
	json_t *al = json_object_get(body, "alarm_ids");
	if (al)
		bind_json(st, 12, al, "[]");
	else
		sqlite3_bind_null(st, 12);
	sqlite3_bind_int64(st, 13, yj_now_ms());
	sqlite3_bind_int64(st, 14, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, e, "update warning");
}

int warn_edit(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e)
{
	json_t *cur = warning_row(s, id);
	if (!cur)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no warning %lld", (long long)id);
	const char *state = json_string_value(json_object_get(cur, "state"));
	bool draft = strcmp(state, "draft") == 0;
	json_decref(cur);
	if (!draft)
		return yj_fail(e, YJ_ECONFLICT, "state", "only a draft can be edited (this one is %s); issued warnings "
		                                         "change with POST .../update", state);
	int64_t onset = 0, expires = 0;
	if (check_input(s, u, body, true, &onset, &expires, e) || apply_fields(s, id, body, onset, expires, e))
		return -1;
	return audit_warning(s, u, "edit", id, e);
}

/* the snapshot a version carries (for CAP and for what recipients were told) */
static int save_version(store *s, int64_t id, int version, const char *msg_type, yj_err *e)
{
	json_t *snap = warn_json(s, id);
	json_object_del(snap, "allowed_actions");
	json_object_del(snap, "recipients");
	int64_t now = yj_now_ms();
	char sent[40];
	yj_time_format(now - now % 1000, sent);
	json_object_set_new(snap, "sent", json_string(sent));
	json_object_set_new(snap, "msg_type", json_string(msg_type));
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO warning_version(warning_id, version, msg_type, sent_ms, snapshot) VALUES (?,?,?,?,?)",
	                              e);
	if (!st) {
		json_decref(snap);
		return -1;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, version);
	store_bind_text(st, 3, msg_type);
	sqlite3_bind_int64(st, 4, now - now % 1000);
	bind_json(st, 5, snap, "{}");
	json_decref(snap);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, e, "save version");
}

static void refresh_active_types(store *s)
{
	static const char *const all[] = {"typhoon", "rainstorm", "flood", "geological", "forest_fire",
	                                  "high_temperature", "hazmat", "other"};
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM warning WHERE state = 'issued' AND type = ? LIMIT 1", NULL);
	for (size_t i = 0; st && i < YJ_ARRAY_LEN(all); i++) {
		store_bind_text(st, 1, all[i]);
		warn_set_active_type(all[i], sqlite3_step(st) == SQLITE_ROW);
		sqlite3_reset(st);
	}
}

int warn_action(store *s, const auth_user *u, int64_t id, const char *action, json_t *body, long *recipients,
                yj_err *e)
{
	json_t *cur = warning_row(s, id);
	if (!cur)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no warning %lld", (long long)id);
	char state[24];
	snprintf(state, sizeof state, "%s", json_string_value(json_object_get(cur, "state")));
	int64_t author = json_integer_value(json_object_get(json_object_get(cur, "author"), "id"));
	int version = (int)json_integer_value(json_object_get(cur, "version"));
	bool evacuation = json_is_true(json_object_get(cur, "evacuation"));
	json_decref(cur);

	const action_rule *t = NULL;
	for (size_t i = 0; i < YJ_ARRAY_LEN(transitions); i++)
		if (strcmp(transitions[i].action, action) == 0 && strcmp(transitions[i].from, state) == 0)
			t = &transitions[i];
	bool known = false;
	for (size_t i = 0; i < YJ_ARRAY_LEN(transitions); i++)
		known |= strcmp(transitions[i].action, action) == 0;
	if (!known)
		return yj_fail(e, YJ_ENOTFOUND, "action", "no action '%.32s' (submit, approve, reject, issue, update, cancel)", action);
	if (!t) {
		char allowed[128];
		allowed_actions(state, allowed, sizeof allowed, NULL);
		return yj_fail(e, YJ_ECONFLICT, "state", "cannot %s a warning that is %s; allowed now: %s", action, state, allowed);
	}
	/* who may do what */
	bool commander = u->role == ROLE_COMMANDER;
	if (strcmp(action, "approve") == 0 || strcmp(action, "reject") == 0) {
		if (!commander)
			return yj_fail(e, YJ_EFORBIDDEN, "", "only a commander may %s a warning", action);
		if (u->id == author)
			return yj_fail(e, YJ_EFORBIDDEN, "", "two-person rule: the author may not %s their own warning", action);
	} else if ((strcmp(action, "update") == 0 || (strcmp(action, "cancel") == 0 && strcmp(state, "draft") != 0)) &&
	           !commander) {
		return yj_fail(e, YJ_EFORBIDDEN, "", "only a commander may %s a warning that is %s", action, state);
	}

	int64_t now = yj_now_ms();
	if (strcmp(action, "update") == 0) {
		int64_t onset = 0, expires = 0;
		if (!body || json_object_size(body) == 0)
			return yj_fail(e, YJ_EINVAL, "body", "an update needs the fields that change");
		json_t *cur2 = warning_row(s, id);
		json_t *areas_now = json_object_get(cur2, "areas");
		/* the areas of an issued warning can grow, not shrink: those already told stay told */
		json_t *areas = json_object_get(body, "areas");
		size_t i;
		json_t *a;
		int rc = 0;
		json_array_foreach(areas_now, i, a) {
			bool kept = false;
			size_t k;
			json_t *b;
			json_array_foreach(areas, k, b) kept |= json_equal(a, b);
			if (areas && !kept)
				rc = yj_fail(e, YJ_EINVAL, "areas", "an update may add areas, not remove %s (cancel and issue anew)",
				             json_string_value(a));
		}
		json_decref(cur2);
		if (rc || check_input(s, u, body, true, &onset, &expires, e) || apply_fields(s, id, body, onset, expires, e))
			return -1;
		evacuation = evacuation || json_is_true(json_object_get(body, "evacuation"));
	}
	int new_version = version;
	const char *msg_type = NULL;
	if (strcmp(action, "issue") == 0) {
		new_version = 1;
		msg_type = "Alert";
	} else if (strcmp(action, "update") == 0) {
		new_version = version + 1;
		msg_type = "Update";
	} else if (strcmp(action, "cancel") == 0 && strcmp(state, "issued") == 0) {
		new_version = version + 1;
		msg_type = "Cancel";
	}
	sqlite3_stmt *st = store_stmt(s,
	                              "UPDATE warning SET state = ?1, version = ?2, updated_ms = ?3, "
	                              "approver_id = CASE WHEN ?4 THEN ?5 ELSE approver_id END, "
	                              "issued_ms = CASE WHEN ?6 THEN ?3 ELSE issued_ms END, "
	                              "cancelled_ms = CASE WHEN ?7 THEN ?3 ELSE cancelled_ms END WHERE id = ?8",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, t->to);
	sqlite3_bind_int(st, 2, new_version);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int(st, 4, strcmp(action, "approve") == 0);
	sqlite3_bind_int64(st, 5, u->id);
	sqlite3_bind_int(st, 6, strcmp(action, "issue") == 0);
	sqlite3_bind_int(st, 7, strcmp(action, "cancel") == 0);
	sqlite3_bind_int64(st, 8, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "warning transition");
	if (msg_type && save_version(s, id, new_version, msg_type, e))
		return -1;
	long n = 0;
	if (strcmp(action, "issue") == 0 || strcmp(action, "update") == 0) {
		n = disp_warning_version(s, id, new_version, evacuation, e);
		if (n < 0)
			return -1;
	} else if (strcmp(action, "cancel") == 0 && msg_type) {
		if (disp_warning_cancelled(s, id, new_version, e))
			return -1;
	}
	if (recipients)
		*recipients = n;
	if (audit_warning(s, u, action, id, e))
		return -1;
	refresh_active_types(s);
	return 0;
}

/* scheduled: issued warnings past their expiry become expired */
static int expire_due(store *s, int64_t now, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id FROM warning WHERE state = 'issued' AND expires_ms <= ? LIMIT 100", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	int64_t ids[100];
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW && n < 100)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (int i = 0; i < n; i++) {
		st = store_stmt(s, "UPDATE warning SET state = 'expired', updated_ms = ? WHERE id = ?", e);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, ids[i]);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_fail(s, e, "expire warning");
		/* nobody escalates for an expired warning: out of the escalation index */
		st = store_stmt(s, "UPDATE recipient SET next_escalation_ms = NULL WHERE warning_id = ? AND next_escalation_ms IS NOT NULL",
		                e);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, ids[i]);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_fail(s, e, "expire escalations");
		if (audit_warning(s, NULL, "expire", ids[i], e))
			return -1;
	}
	if (n)
		refresh_active_types(s);
	return 0;
}

void warn_start(store *s)
{
	warn_lifecycle_start(s);
}

void warn_lifecycle_start(store *s)
{
	refresh_active_types(s);
	disp_set_job(expire_due);
}
