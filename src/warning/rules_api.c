/*
 * rules_api.c — HTTP endpoints for monitoring rules and alarms:
 *   POST/GET /api/v1/rules, GET/PATCH/DELETE /api/v1/rules/{id}
 *   GET /api/v1/alarms?state=&level=&rule=&device=&area=&limit=&cursor=
 *   GET /api/v1/alarms/{id}, POST /api/v1/alarms/{id}/ack, POST /api/v1/alarms/{id}/close
 *   GET /api/v1/layers/alarms?bbox=&state=   GET /api/v1/stream/alarms (SSE)
 *
 * A rule's spec is checked member by member here, then compiled once to be
 * sure its geometry is usable, before anything is written.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "telemetry/telemetry.h"
#include "warning/warn_int.h"

#define RULE_WRITERS (ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_DUTY_OFFICER))
#define ALARM_HANDLERS (RULE_WRITERS | ROLE_BIT(ROLE_INSPECTOR))

static const char *const levels[] = {"blue", "yellow", "orange", "red", NULL};
static const char *const warning_types[] = {"typhoon", "rainstorm", "flood", "geological", "forest_fire",
                                            "high_temperature", "hazmat", "other", NULL};

static bool one_of(const char *const *set, const char *v)
{
	for (int i = 0; v && set[i]; i++)
		if (strcmp(set[i], v) == 0)
			return true;
	return false;
}

static int check_kinds(json_t *spec, bool required, yj_err *e)
{
	json_t *kinds = json_object_get(spec, "device_kinds");
	if (!kinds) {
		if (required)
			return yj_fail(e, YJ_EINVAL, "spec.device_kinds", "field 'spec.device_kinds' is required (e.g. [\"fishing_vessel\"])");
		return 0;
	}
	if (!json_is_array(kinds) || json_array_size(kinds) > 16 || (required && json_array_size(kinds) == 0))
		return yj_fail(e, YJ_EINVAL, "spec.device_kinds", "field 'spec.device_kinds' must be an array of device kinds");
	size_t i;
	json_t *k;
	json_array_foreach(kinds, i, k) {
		if (tel_kind_parse(json_string_value(k)) < 0)
			return yj_fail(e, YJ_EINVAL, "spec.device_kinds", "spec.device_kinds[%zu] is not a device kind", i);
	}
	return 0;
}

static int check_spec(store *s, const auth_user *user, const char *kind, json_t *spec, yj_err *e)
{
	if (!json_is_object(spec))
		return yj_fail(e, YJ_EINVAL, "spec", "field 'spec' must be an object");
	if (strcmp(kind, "threshold") == 0) {
		static const char *const keys[] = {"metric", "window_s", "agg", "op", "value", "clear_value", "device_kinds", NULL};
		if (yj_only_keys(spec, keys, e) || check_kinds(spec, false, e))
			return -1;
		const char *m = json_string_value(json_object_get(spec, "metric"));
		if (!m || !*m || strlen(m) > 23)
			return yj_fail(e, YJ_EINVAL, "spec.metric", "field 'spec.metric' is required (e.g. rain_mm)");
		json_t *w = json_object_get(spec, "window_s");
		if (!w)
			json_object_set_new(spec, "window_s", json_integer(3600));
		else if (!json_is_integer(w) || json_integer_value(w) < 1 || json_integer_value(w) > 7 * 86400)
			return yj_fail(e, YJ_EINVAL, "spec.window_s", "field 'spec.window_s' must be whole seconds in 1..604800");
		static const char *const aggs[] = {"sum", "max", "min", "avg", "last", "count", NULL};
		json_t *a = json_object_get(spec, "agg");
		if (!a)
			json_object_set_new(spec, "agg", json_string("last"));
		else if (!one_of(aggs, json_string_value(a)))
			return yj_fail(e, YJ_EINVAL, "spec.agg", "field 'spec.agg' must be sum, max, min, avg, last or count");
		static const char *const ops[] = {">=", ">", "<=", "<", NULL};
		if (!one_of(ops, json_string_value(json_object_get(spec, "op"))))
			return yj_fail(e, YJ_EINVAL, "spec.op", "field 'spec.op' must be >=, >, <= or <");
		if (!json_is_number(json_object_get(spec, "value")))
			return yj_fail(e, YJ_EINVAL, "spec.value", "field 'spec.value' must be a number");
		json_t *cv = json_object_get(spec, "clear_value");
		if (cv && !json_is_number(cv))
			return yj_fail(e, YJ_EINVAL, "spec.clear_value", "field 'spec.clear_value' must be a number");
		if (cv) {
			const char *op = json_string_value(json_object_get(spec, "op"));
			double v = json_number_value(json_object_get(spec, "value")), c = json_number_value(cv);
			if ((op[0] == '>' && c > v) || (op[0] == '<' && c < v))
				return yj_fail(e, YJ_EINVAL, "spec.clear_value",
				               "spec.clear_value must lie on the safe side of spec.value (below it for >, above for <)");
		}
		return 0;
	}
	if (strcmp(kind, "geofence") == 0) {
		static const char *const keys[] = {"device_kinds", "polygon", "area", "trigger", "during_warning", "margin_m", NULL};
		if (yj_only_keys(spec, keys, e) || check_kinds(spec, true, e))
			return -1;
		json_t *poly = json_object_get(spec, "polygon"), *area = json_object_get(spec, "area");
		if (!!poly == !!area)
			return yj_fail(e, YJ_EINVAL, "spec.polygon", "give exactly one of spec.polygon (GeoJSON) and spec.area (area code)");
		if (area) {
			if (!json_is_string(area))
				return yj_fail(e, YJ_EINVAL, "spec.area", "field 'spec.area' must be an area code");
			if (auth_require_area(user, json_string_value(area), "spec.area", e))
				return -1;
		}
		if (poly) {
			char *txt = json_dumps(poly, JSON_COMPACT);
			size_t n = txt ? strlen(txt) : 0;
			free(txt);
			if (!json_is_object(poly) || n > 200000)
				return yj_fail(e, YJ_EINVAL, "spec.polygon", "field 'spec.polygon' must be a GeoJSON Polygon or MultiPolygon (at most 200 KB)");
		}
		json_t *t = json_object_get(spec, "trigger");
		if (t && !one_of((const char *const[]){"enter", "exit", NULL}, json_string_value(t)))
			return yj_fail(e, YJ_EINVAL, "spec.trigger", "field 'spec.trigger' must be enter or exit");
		json_t *dw = json_object_get(spec, "during_warning");
		if (dw && !one_of(warning_types, json_string_value(dw)))
			return yj_fail(e, YJ_EINVAL, "spec.during_warning", "field 'spec.during_warning' must be a warning type (typhoon, rainstorm, ...)");
		json_t *m = json_object_get(spec, "margin_m");
		if (m && (!json_is_number(m) || json_number_value(m) < 0 || json_number_value(m) > 5000))
			return yj_fail(e, YJ_EINVAL, "spec.margin_m", "field 'spec.margin_m' must be a number in 0..5000");
		/* compile it once: the geometry must be usable */
		wrule r;
		if (warn_rule_compile(s, &r, kind, "red", "441500", spec, e))
			return -1;
		warn_rule_release(&r);
		return 0;
	}
	if (strcmp(kind, "offline") == 0) {
		static const char *const keys[] = {"minutes", "device_kinds", NULL};
		if (yj_only_keys(spec, keys, e) || check_kinds(spec, false, e))
			return -1;
		json_t *m = json_object_get(spec, "minutes");
		if (!json_is_integer(m) || json_integer_value(m) < 1 || json_integer_value(m) > 10080)
			return yj_fail(e, YJ_EINVAL, "spec.minutes", "field 'spec.minutes' must be whole minutes in 1..10080");
		return 0;
	}
	return yj_fail(e, YJ_EINVAL, "kind", "field 'kind' must be threshold, geofence or offline");
}

static json_t *rule_json(store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT id, name, kind, level, area_code, enabled, spec, created_ms, updated_ms, "
	                              "(SELECT count(*) FROM alarm WHERE rule_id = rule.id AND state != 'closed') "
	                              "FROM rule WHERE id = ?",
	                              NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		char c[40], u[40];
		yj_time_format(sqlite3_column_int64(st, 7), c);
		yj_time_format(sqlite3_column_int64(st, 8), u);
		j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:o, s:s, s:s, s:I}", "id",
		              (json_int_t)sqlite3_column_int64(st, 0), "name", (const char *)sqlite3_column_text(st, 1),
		              "kind", (const char *)sqlite3_column_text(st, 2), "level",
		              (const char *)sqlite3_column_text(st, 3), "area_code",
		              (const char *)sqlite3_column_text(st, 4), "enabled", sqlite3_column_int(st, 5), "spec",
		              json_loads((const char *)sqlite3_column_text(st, 6), 0, NULL), "created", c, "updated", u,
		              "open_alarms", (json_int_t)sqlite3_column_int64(st, 9));
	}
	sqlite3_reset(st);
	return j;
}

static json_t *rule_state(store *s, const char *id)
{
	json_t *j = rule_json(s, strtoll(id, NULL, 10));
	if (j) {
		json_object_del(j, "open_alarms");
		json_object_del(j, "updated");
	}
	return j;
}

static int audit_rule(store *s, const auth_user *u, const char *action, int64_t id, yj_err *e)
{
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	json_t *st = rule_state(s, idbuf);
	int rc = audit_append(s, u, action, "rule", idbuf, st, e);
	json_decref(st);
	return rc;
}

static int load_rule(http_req *req, int64_t *id, char area[16], yj_err *e)
{
	long v;
	if (yj_parse_long(http_param(req, "id"), 1, 0x7fffffffL, &v, "id", e))
		return -1;
	sqlite3_stmt *st = store_stmt(store_thread(), "SELECT area_code FROM rule WHERE id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, v);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		snprintf(area, 16, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (!found || !auth_area_visible(req->user, area))
		return yj_fail(e, YJ_ENOTFOUND, "id", "no rule %ld", v);
	*id = v;
	return 0;
}

static int handle_rule_create(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	static const char *const keys[] = {"name", "kind", "level", "area_code", "enabled", "spec", NULL};
	store *s = store_thread();
	int rc = -1;
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *kind = json_string_value(json_object_get(body, "kind"));
	const char *level = json_string_value(json_object_get(body, "level"));
	const char *area = json_string_value(json_object_get(body, "area_code"));
	json_t *spec = json_object_get(body, "spec"), *enabled = json_object_get(body, "enabled");
	if (yj_only_keys(body, keys, e))
		goto out;
	if (!name || !*name || strlen(name) > 120) {
		yj_fail(e, YJ_EINVAL, "name", "field 'name' is required (at most 120 bytes)");
		goto out;
	}
	if (!kind) {
		yj_fail(e, YJ_EINVAL, "kind", "field 'kind' is required: threshold, geofence or offline");
		goto out;
	}
	if (!one_of(levels, level)) {
		yj_fail(e, YJ_EINVAL, "level", "field 'level' must be blue, yellow, orange or red");
		goto out;
	}
	if (!area)
		area = req->user->area_code;
	if (http_require_area(req, area, "area_code", e))
		goto out;
	if (enabled && !json_is_boolean(enabled)) {
		yj_fail(e, YJ_EINVAL, "enabled", "field 'enabled' must be true or false");
		goto out;
	}
	if (check_spec(s, req->user, kind, spec, e))
		goto out;
	char *spec_txt = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	int64_t now = yj_now_ms(), id = 0;
	if (store_begin(s, e)) {
		free(spec_txt);
		goto out;
	}
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO rule(name, kind, level, area_code, enabled, spec, created_ms, updated_ms) "
	                              "VALUES (?,?,?,?,?,?,?,?)",
	                              e);
	int step = SQLITE_ERROR;
	if (st) {
		store_bind_text(st, 1, name);
		store_bind_text(st, 2, kind);
		store_bind_text(st, 3, level);
		store_bind_text(st, 4, area);
		sqlite3_bind_int(st, 5, enabled ? json_is_true(enabled) : 1);
		store_bind_text(st, 6, spec_txt);
		sqlite3_bind_int64(st, 7, now);
		sqlite3_bind_int64(st, 8, now);
		step = sqlite3_step(st);
		sqlite3_reset(st);
	}
	free(spec_txt);
	if (step != SQLITE_DONE) {
		if (st)
			store_fail(s, e, "insert rule");
		store_rollback(s);
		goto out;
	}
	id = sqlite3_last_insert_rowid(store_db(s));
	if (audit_rule(s, req->user, "rule.create", id, e) || store_commit(s, e)) {
		store_rollback(s);
		goto out;
	}
	warn_rules_add(s, id, NULL);
	http_json(res, 201, rule_json(s, id));
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static int handle_rule_list(http_req *req, http_res *res, yj_err *e)
{
	const char *kind = http_query(req, "kind");
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT id FROM rule WHERE substr(area_code, 1, length(?1)) = ?1 "
	                              "AND (?2 IS NULL OR kind = ?2) ORDER BY id LIMIT 5000",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, req->user->area_prefix);
	store_bind_text(st, 2, kind);
	json_t *items = store_rows_json(s, st, rule_json, -1, NULL);
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int handle_rule_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	char area[16];
	if (load_rule(req, &id, area, e))
		return -1;
	http_json(res, 200, rule_json(store_thread(), id));
	return 0;
}

static int handle_rule_patch(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	char area[16];
	if (load_rule(req, &id, area, e))
		return -1;
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	static const char *const keys[] = {"name", "level", "enabled", "spec", NULL};
	store *s = store_thread();
	int rc = -1;
	json_t *cur = rule_json(s, id);
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *level = json_string_value(json_object_get(body, "level"));
	json_t *enabled = json_object_get(body, "enabled"), *spec = json_object_get(body, "spec");
	if (yj_only_keys(body, keys, e))
		goto out;
	if (json_object_get(body, "name") && (!name || !*name || strlen(name) > 120)) {
		yj_fail(e, YJ_EINVAL, "name", "field 'name' must be 1 to 120 bytes");
		goto out;
	}
	if (json_object_get(body, "level") && !one_of(levels, level)) {
		yj_fail(e, YJ_EINVAL, "level", "field 'level' must be blue, yellow, orange or red");
		goto out;
	}
	if (enabled && !json_is_boolean(enabled)) {
		yj_fail(e, YJ_EINVAL, "enabled", "field 'enabled' must be true or false");
		goto out;
	}
	if (spec && check_spec(s, req->user, json_string_value(json_object_get(cur, "kind")), spec, e))
		goto out;
	char *spec_txt = spec ? json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (store_begin(s, e)) {
		free(spec_txt);
		goto out;
	}
	sqlite3_stmt *st = store_stmt(s,
	                              "UPDATE rule SET name = coalesce(?1, name), level = coalesce(?2, level), "
	                              "enabled = coalesce(?3, enabled), spec = coalesce(?4, spec), updated_ms = ?5 "
	                              "WHERE id = ?6",
	                              e);
	int step = SQLITE_ERROR;
	if (st) {
		store_bind_text(st, 1, name);
		store_bind_text(st, 2, level);
		if (enabled)
			sqlite3_bind_int(st, 3, json_is_true(enabled));
		else
			sqlite3_bind_null(st, 3);
		store_bind_text(st, 4, spec_txt);
		sqlite3_bind_int64(st, 5, yj_now_ms());
		sqlite3_bind_int64(st, 6, id);
		step = sqlite3_step(st);
		sqlite3_reset(st);
	}
	free(spec_txt);
	/* a disabled or redefined rule ends its open episodes */
	bool ends = (enabled && !json_is_true(enabled)) || spec;
	if (step != SQLITE_DONE || (ends && warn_rule_forget(s, id, e)) ||
	    audit_rule(s, req->user, "rule.update", id, e) || store_commit(s, e)) {
		if (step != SQLITE_DONE && st)
			store_fail(s, e, "update rule");
		store_rollback(s);
		goto out;
	}
	warn_rules_publish();
	warn_rules_reload(s, NULL);
	http_json(res, 200, rule_json(s, id));
	rc = 0;
out:
	json_decref(cur);
	json_decref(body);
	return rc;
}

static int handle_rule_delete(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	char area[16];
	if (load_rule(req, &id, area, e))
		return -1;
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(s, "SELECT count(*) FROM alarm WHERE rule_id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (n)
		return yj_fail(e, YJ_ECONFLICT, "id", "rule %lld has %ld alarms on record: disable it instead", (long long)id, n);
	if (store_begin(s, e))
		return -1;
	st = store_stmt(s, "DELETE FROM rule WHERE id = ?", e);
	int step = SQLITE_ERROR;
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		step = sqlite3_step(st);
		sqlite3_reset(st);
	}
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	if (step != SQLITE_DONE || audit_append(s, req->user, "rule.delete", "rule", idbuf, NULL, e) ||
	    store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	warn_rules_reload(s, NULL);
	res->status = 204;
	return 0;
}

/* ---- alarms ----------------------------------------------------------------------------------- */

json_t *warn_alarm_json(store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(
		s,
		"SELECT a.id, a.rule_id, r.name, r.kind, a.device_id, a.level, a.state, a.area_code, a.message, a.value, "
		"a.lon, a.lat, a.first_ms, a.last_ms, a.raised_ms, a.cleared_ms, a.acked_ms, a.acked_by, a.closed_ms, "
		"a.closed_by FROM alarm a JOIN rule r ON r.id = a.rule_id WHERE a.id = ?",
		NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		char t[40];
		j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		              "rule_id", (json_int_t)sqlite3_column_int64(st, 1), "rule_name",
		              (const char *)sqlite3_column_text(st, 2), "rule_kind", (const char *)sqlite3_column_text(st, 3),
		              "device", (const char *)sqlite3_column_text(st, 4), "level",
		              (const char *)sqlite3_column_text(st, 5), "state", (const char *)sqlite3_column_text(st, 6),
		              "area_code", (const char *)sqlite3_column_text(st, 7), "message",
		              (const char *)sqlite3_column_text(st, 8));
		json_object_set_new(j, "value", sqlite3_column_type(st, 9) == SQLITE_NULL ? json_null()
		                                                                          : json_real(sqlite3_column_double(st, 9)));
		json_object_set_new(j, "lon", sqlite3_column_type(st, 10) == SQLITE_NULL ? json_null()
		                                                                         : json_real(sqlite3_column_double(st, 10)));
		json_object_set_new(j, "lat", sqlite3_column_type(st, 11) == SQLITE_NULL ? json_null()
		                                                                         : json_real(sqlite3_column_double(st, 11)));
		static const char *const times[] = {"first_seen", "last_seen", "raised", "cleared", "acknowledged"};
		for (int k = 0; k < 5; k++) {
			if (sqlite3_column_type(st, 12 + k) == SQLITE_NULL) {
				json_object_set_new(j, times[k], json_null());
			} else {
				yj_time_format(sqlite3_column_int64(st, 12 + k), t);
				json_object_set_new(j, times[k], json_string(t));
			}
		}
		json_object_set_new(j, "acknowledged_by", sqlite3_column_type(st, 17) == SQLITE_NULL
		                                              ? json_null() : json_integer(sqlite3_column_int64(st, 17)));
		if (sqlite3_column_type(st, 18) == SQLITE_NULL) {
			json_object_set_new(j, "closed", json_null());
		} else {
			yj_time_format(sqlite3_column_int64(st, 18), t);
			json_object_set_new(j, "closed", json_string(t));
		}
		json_object_set_new(j, "closed_by", sqlite3_column_type(st, 19) == SQLITE_NULL
		                                        ? json_null() : json_integer(sqlite3_column_int64(st, 19)));
	}
	sqlite3_reset(st);
	return j;
}

json_t *warn_alarm_state(store *s, const char *id)
{
	json_t *a = warn_alarm_json(s, strtoll(id, NULL, 10));
	/* last_seen and value move with every report: the audited state is the rest */
	if (a) {
		json_object_del(a, "last_seen");
		json_object_del(a, "value");
		json_object_del(a, "rule_name");
		json_object_del(a, "rule_kind");
	}
	return a;
}

static int handle_alarm_list(http_req *req, http_res *res, yj_err *e)
{
	const char *state = http_query(req, "state"), *level = http_query(req, "level");
	const char *device = http_query(req, "device"), *area = http_query(req, "area");
	long rule = 0, limit = 100, cursor = 0;
	if (state && !one_of((const char *const[]){"open", "acknowledged", "closed", "active", NULL}, state))
		return yj_fail(e, YJ_EINVAL, "state", "field 'state' must be open, acknowledged, closed or active");
	if (level && !one_of(levels, level))
		return yj_fail(e, YJ_EINVAL, "level", "field 'level' must be blue, yellow, orange or red");
	if ((http_query(req, "rule") && yj_parse_long(http_query(req, "rule"), 1, 0x7fffffffL, &rule, "rule", e)) ||
	    (http_query(req, "limit") && yj_parse_long(http_query(req, "limit"), 1, 1000, &limit, "limit", e)) ||
	    (http_query(req, "cursor") && yj_parse_long(http_query(req, "cursor"), 1, 0x7fffffffL, &cursor, "cursor", e)))
		return -1;
	char prefix[16];
	if (area) {
		if (http_require_area(req, area, "area", e))
			return -1;
		auth_area_prefix(area, prefix);
	} else {
		snprintf(prefix, sizeof prefix, "%s", req->user->area_prefix);
	}
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT id FROM alarm WHERE substr(area_code, 1, length(?1)) = ?1 "
	                              "AND (?2 IS NULL OR state = ?2 OR (?2 = 'active' AND state != 'closed')) "
	                              "AND (?3 IS NULL OR level = ?3) AND (?4 = 0 OR rule_id = ?4) "
	                              "AND (?5 IS NULL OR device_id = ?5) AND (?6 = 0 OR id < ?6) "
	                              "ORDER BY id DESC LIMIT ?7",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, prefix);
	store_bind_text(st, 2, state);
	store_bind_text(st, 3, level);
	sqlite3_bind_int64(st, 4, rule);
	store_bind_text(st, 5, device);
	sqlite3_bind_int64(st, 6, cursor);
	sqlite3_bind_int64(st, 7, limit + 1);
	json_t *next;
	json_t *items = store_rows_json(s, st, warn_alarm_json, limit, &next);
	http_json(res, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
	return 0;
}

static int load_alarm(http_req *req, int64_t *id, json_t **out, yj_err *e)
{
	long v;
	if (yj_parse_long(http_param(req, "id"), 1, 0x7fffffffL, &v, "id", e))
		return -1;
	json_t *a = warn_alarm_json(store_thread(), v);
	if (!a || !auth_area_visible(req->user, json_string_value(json_object_get(a, "area_code")))) {
		json_decref(a);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no alarm %ld", v);
	}
	*id = v;
	*out = a;
	return 0;
}

static int handle_alarm_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	json_t *a;
	if (load_alarm(req, &id, &a, e))
		return -1;
	http_json(res, 200, a);
	return 0;
}

/* open -> acknowledged, or (open|acknowledged) -> closed by a person */
static int alarm_transition(http_req *req, http_res *res, bool close, yj_err *e)
{
	int64_t id;
	json_t *a;
	if (load_alarm(req, &id, &a, e))
		return -1;
	const char *state = json_string_value(json_object_get(a, "state"));
	bool ok = close ? strcmp(state, "closed") != 0 : strcmp(state, "open") == 0;
	if (!ok) {
		yj_fail(e, YJ_ECONFLICT, "state", "alarm %lld is %s; allowed: %s", (long long)id, state,
		        strcmp(state, "closed") == 0 ? "none" : strcmp(state, "open") == 0 ? "ack, close" : "close");
		json_decref(a);
		return -1;
	}
	json_decref(a);
	store *s = store_thread();
	if (store_begin(s, e))
		return -1;
	sqlite3_stmt *st = store_stmt(s,
	                              close ? "UPDATE alarm SET state = 'closed', closed_ms = ?1, closed_by = ?2 WHERE id = ?3 AND state != 'closed'"
	                                    : "UPDATE alarm SET state = 'acknowledged', acked_ms = ?1, acked_by = ?2 WHERE id = ?3 AND state = 'open'",
	                              e);
	int step = SQLITE_ERROR;
	if (st) {
		sqlite3_bind_int64(st, 1, yj_now_ms());
		sqlite3_bind_int64(st, 2, req->user->id);
		sqlite3_bind_int64(st, 3, id);
		step = sqlite3_step(st);
		sqlite3_reset(st);
	}
	if (step != SQLITE_DONE || sqlite3_changes(store_db(s)) != 1) {
		store_rollback(s);
		return yj_fail(e, YJ_ECONFLICT, "state", "alarm %lld changed meanwhile; read it again", (long long)id);
	}
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	json_t *state_now = warn_alarm_state(s, idbuf);
	int arc = audit_append(s, req->user, close ? "alarm.close" : "alarm.ack", "alarm", idbuf, state_now, e);
	json_decref(state_now);
	if (arc || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	json_t *now = warn_alarm_json(s, id);
	char *txt = json_dumps(now, JSON_COMPACT);
	http_sse_publish("alarms", "alarm", json_string_value(json_object_get(now, "area_code")), NULL, txt);
	free(txt);
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

static int handle_alarm_layer(http_req *req, http_res *res, yj_err *e)
{
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT id FROM alarm WHERE state != 'closed' AND lon IS NOT NULL "
	                              "AND substr(area_code, 1, length(?1)) = ?1 ORDER BY id DESC LIMIT 5000",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, req->user->area_prefix);
	json_t *ids = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(ids, json_integer(sqlite3_column_int64(st, 0)));
	sqlite3_reset(st);
	json_t *features = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		json_t *a = warn_alarm_json(s, json_integer_value(v));
		double lon = json_number_value(json_object_get(a, "lon")), lat = json_number_value(json_object_get(a, "lat"));
		json_object_set_new(a, "layer", json_string("alarms"));
		json_array_append_new(features, json_pack("{s:s, s:s?, s:{s:s, s:[f,f]}, s:o}", "type", "Feature", "id", NULL,
		                                          "geometry", "type", "Point", "coordinates", lon, lat, "properties", a));
	}
	json_decref(ids);
	http_json(res, 200, json_pack("{s:s, s:s, s:o}", "type", "FeatureCollection", "layer", "alarms", "features", features));
	return 0;
}

static int handle_alarm_stream(http_req *req, http_res *res, yj_err *e)
{
	return http_sse_open(req, res, "alarms", req->user->area_prefix, NULL, "{\"stream\":\"alarms\"}", e);
}

void warn_init(void)
{
	audit_register_state("rule", rule_state);
	audit_register_state("alarm", warn_alarm_state);
	warn_lifecycle_init();
}

void warn_api_register(void)
{
	warn_init();
	http_route("POST", "/api/v1/rules", handle_rule_create, RULE_WRITERS, NULL);
	http_route("GET", "/api/v1/rules", handle_rule_list, ROLES_STAFF, NULL);
	http_route("GET", "/api/v1/rules/{id}", handle_rule_get, ROLES_STAFF, NULL);
	http_route("PATCH", "/api/v1/rules/{id}", handle_rule_patch, RULE_WRITERS, NULL);
	http_route("DELETE", "/api/v1/rules/{id}", handle_rule_delete, RULE_WRITERS, NULL);
	http_route("GET", "/api/v1/alarms", handle_alarm_list, ROLES_STAFF, NULL);
	http_route("GET", "/api/v1/alarms/{id}", handle_alarm_get, ROLES_STAFF, NULL);
	http_route("POST", "/api/v1/alarms/{id}/ack", handle_alarm_ack, ALARM_HANDLERS, NULL);
	http_route("POST", "/api/v1/alarms/{id}/close", handle_alarm_close, ALARM_HANDLERS, NULL);
	http_route("GET", "/api/v1/layers/alarms", handle_alarm_layer, ROLES_STAFF, NULL);
	http_route("GET", "/api/v1/stream/alarms", handle_alarm_stream, ROLES_STAFF, NULL);
	warn_lifecycle_api_register();
}
