/*
 * tel_api.c — HTTP endpoints of telemetry:
 *   POST  /api/v1/devices                 create (answers the API key, shown once)
 *   GET   /api/v1/devices?kind=&area=&q=&limit=&cursor=
 *   GET   /api/v1/devices/{id}            with latest position and last seen
 *   PATCH /api/v1/devices/{id}            name, owner, area, disabled
 *   POST  /api/v1/devices/{id}/key        a new key (the old one stops working)
 *   POST  /api/v1/telemetry               JSON array or NDJSON; device key or user token
 *   GET   /api/v1/layers/positions?bbox=&kind=&since=&limit=
 *   GET   /api/v1/devices/{id}/track?from=&to=
 *   GET   /api/v1/devices/{id}/readings?metric=&from=&to=&step=
 *   GET   /api/v1/stream/positions?bbox=  (Server-Sent Events)
 *
 * POST /api/v1/telemetry is the one route that takes a credential other
 * than a user session: a device key ("Authorization: Device <id>.<secret>"
 * or "X-Device-Key"), which may only report for its own device.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "telemetry/tel_int.h"

#define DEVICE_WRITERS (ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_DUTY_OFFICER))
#define TELEMETRY_BODY_LIMIT (32u << 20)

static const char *opt_str(json_t *o, const char *key, yj_err *e, bool *bad)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = true;
		yj_fail(e, YJ_EINVAL, key, "field '%s' must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

static int handle_device_create(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	static const char *const keys[] = {"id", "kind", "area", "name", "owner", NULL};
	bool bad = false;
	int rc = -1;
	store *s = store_thread();
	const char *id = NULL, *kind = NULL, *area = NULL, *name = NULL, *owner = NULL;
	if (yj_only_keys(body, keys, e))
		goto out;
	id = opt_str(body, "id", e, &bad);
	kind = opt_str(body, "kind", e, &bad);
	area = opt_str(body, "area", e, &bad);
	name = opt_str(body, "name", e, &bad);
	owner = opt_str(body, "owner", e, &bad);
	if (bad)
		goto out;
	char key[160];
	if (store_begin(s, e))
		goto out;
	if (tel_device_create(s, req->user, id, kind, area, name, owner, key, e) || store_commit(s, e)) {
		store_rollback(s);
		goto out;
	}
	json_t *dev = tel_device_json(s, id);
	json_object_set_new(dev, "key", json_string(key));
	http_json(res, 201, dev);
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static int handle_device_list(http_req *req, http_res *res, yj_err *e)
{
	const char *kind = http_query(req, "kind"), *area = http_query(req, "area");
	const char *q = http_query(req, "q"), *cursor = http_query(req, "cursor");
	long limit = 100;
	if (http_query(req, "limit") && yj_parse_long(http_query(req, "limit"), 1, 1000, &limit, "limit", e))
		return -1;
	if (kind && tel_kind_parse(kind) < 0)
		return yj_fail(e, YJ_EINVAL, "kind", "field 'kind': '%.32s' is not a device kind", kind);
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
	                              "SELECT id FROM device WHERE substr(area_code, 1, length(?1)) = ?1 "
	                              "AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR instr(id, ?3) > 0 "
	                              "OR instr(name, ?3) > 0) AND id > coalesce(?4, '') ORDER BY id LIMIT ?5",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, prefix);
	store_bind_text(st, 2, kind);
	store_bind_text(st, 3, q);
	store_bind_text(st, 4, cursor);
	sqlite3_bind_int64(st, 5, limit + 1);
	json_t *ids = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	json_t *items = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		if ((long)i == limit)
			break;
		json_array_append_new(items, tel_device_json(s, json_string_value(v)));
	}
	json_t *next = json_array_size(ids) > (size_t)limit ? json_string(json_string_value(json_array_get(ids, (size_t)limit - 1)))
	                                                    : json_null();
	json_decref(ids);
	http_json(res, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
	return 0;
}

/* the device of the path, if the caller may see it */
static int visible_device(http_req *req, tel_device *d, yj_err *e)
{
	const char *id = http_param(req, "id");
	int32_t i = tel_device_find(id);
	if (i < 0 || !tel_device_get(i, d) || !auth_area_visible(req->user, d->area_code))
		return yj_fail(e, YJ_ENOTFOUND, "id", "no device %.64s", id ? id : "");
	return 0;
}

static int handle_device_get(http_req *req, http_res *res, yj_err *e)
{
	tel_device d;
	if (visible_device(req, &d, e))
		return -1;
	http_json(res, 200, tel_device_json(store_thread(), d.id));
	return 0;
}

static int handle_device_patch(http_req *req, http_res *res, yj_err *e)
{
	tel_device d;
	if (visible_device(req, &d, e))
		return -1;
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	static const char *const keys[] = {"name", "owner", "area", "disabled", NULL};
	bool bad = false;
	int rc = -1, disabled = -1;
	store *s = store_thread();
	if (yj_only_keys(body, keys, e))
		goto out;
	const char *name = opt_str(body, "name", e, &bad), *owner = opt_str(body, "owner", e, &bad);
	const char *area = opt_str(body, "area", e, &bad);
	if (bad)
		goto out;
	json_t *dis = json_object_get(body, "disabled");
	if (dis) {
		if (!json_is_boolean(dis)) {
			yj_fail(e, YJ_EINVAL, "disabled", "field 'disabled' must be true or false");
			goto out;
		}
		disabled = json_is_true(dis);
	}
	char key[160];
	if (store_begin(s, e))
		goto out;
	if (tel_device_update(s, req->user, d.id, name, owner, area, disabled, false, key, e) ||
	    store_commit(s, e)) {
		store_rollback(s);
		goto out;
	}
	http_json(res, 200, tel_device_json(s, d.id));
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static int handle_device_key(http_req *req, http_res *res, yj_err *e)
{
	tel_device d;
	if (visible_device(req, &d, e))
		return -1;
	store *s = store_thread();
	char key[160];
	if (store_begin(s, e))
		return -1;
	if (tel_device_update(s, req->user, d.id, NULL, NULL, NULL, -1, true, key, e) || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	http_json(res, 200, json_pack("{s:s, s:s}", "id", d.id, "key", key));
	return 0;
}

/* ---- ingest ------------------------------------------------------------------------------- */

static int handle_telemetry(http_req *req, http_res *res, yj_err *e)
{
	const char *key = http_header(req, "X-Device-Key");
	const char *authz = http_header(req, "Authorization");
	if (!key && authz && strncasecmp(authz, "Device ", 7) == 0)
		key = authz + 7;
	char device[64];
	const char *only = NULL;
	const auth_user *user = NULL;
	if (key) {
		if (!tel_device_key_check(key, device))
			return yj_fail(e, YJ_EUNAUTH, "", "unknown or disabled device key");
		only = device;
	} else if (req->user && (ROLE_BIT(req->user->role) & DEVICE_WRITERS)) {
		user = req->user;
	} else if (req->user) {
		return yj_fail(e, YJ_EFORBIDDEN, "", "role %s may not send telemetry", auth_role_name(req->user->role));
	} else {
		return yj_fail(e, YJ_EUNAUTH, "", "send a device key (Authorization: Device <id>.<secret>) or sign in");
	}
	tel_result r;
	if (tel_ingest(req->body ? req->body : "", req->body_len, only, user, &r, e))
		return -1;
	json_t *rej = json_array();
	for (long i = 0; i < r.nrejected && i < 1000; i++)
		json_array_append_new(rej, json_pack("{s:I, s:s}", "line", (json_int_t)r.rejected[i].line,
		                                     "error", r.rejected[i].error));
	http_json(res, 202, json_pack("{s:I, s:o, s:I}", "accepted", (json_int_t)r.accepted, "rejected",
	                              rej, "rejected_count", (json_int_t)r.nrejected));
	tel_result_free(&r);
	return 0;
}

/* ---- queries ---------------------------------------------------------------------------- */

static int parse_bbox(const char *s, double bb[4], yj_err *e)
{
	char extra;
	if (sscanf(s, "%lf,%lf,%lf,%lf%c", &bb[0], &bb[1], &bb[2], &bb[3], &extra) != 4 ||
	    !(bb[0] <= bb[2] && bb[1] <= bb[3]) || bb[0] < -180 || bb[2] > 180 || bb[1] < -90 || bb[3] > 90)
		return yj_fail(e, YJ_EINVAL, "bbox", "field 'bbox': expected minLon,minLat,maxLon,maxLat");
	return 0;
}

static int handle_positions(http_req *req, http_res *res, yj_err *e)
{
	double bb[4] = {-180, -90, 180, 90};
	const char *bbox = http_query(req, "bbox"), *kind = http_query(req, "kind");
	const char *since = http_query(req, "since");
	long limit = 5000;
	int64_t since_ms = 0;
	if (bbox && parse_bbox(bbox, bb, e))
		return -1;
	if (http_query(req, "limit") && yj_parse_long(http_query(req, "limit"), 1, 100000, &limit, "limit", e))
		return -1;
	if (since && yj_time_parse(since, &since_ms, "since", e))
		return -1;
	/* kind may list several: kind=fishing_vessel,cargo_vessel */
	bool kinds[DEV_KIND_COUNT] = {0};
	bool any_kind = !kind;
	if (kind) {
		char list[256];
		snprintf(list, sizeof list, "%s", kind);
		for (char *save = NULL, *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
			int v = tel_kind_parse(k);
			if (v < 0)
				return yj_fail(e, YJ_EINVAL, "kind", "field 'kind': '%.32s' is not a device kind", k);
			kinds[v] = true;
		}
	}
	strbuf b;
	strbuf_init(&b);
	strbuf_puts(&b, "{\"type\":\"FeatureCollection\",\"layer\":\"positions\",\"features\":[");
	long n = 0;
	bool truncated = false;
	size_t plen = strlen(req->user->area_prefix);
	pthread_rwlock_rdlock(&tel_devices_lock);
	int32_t count = tel_device_count_locked();
	for (int32_t i = 0; i < count; i++) {
		const tel_device *d = tel_device_slot_locked(i);
		if (!d->has_position || d->disabled || (!any_kind && !kinds[d->kind]) ||
		    strncmp(d->area_code, req->user->area_prefix, plen) != 0 || d->pos_ts_ms < since_ms ||
		    d->lon < bb[0] || d->lon > bb[2] || d->lat < bb[1] || d->lat > bb[3])
			continue;
		if (n == limit) {
			truncated = true;
			break;
		}
		char ts[40];
		yj_time_format(d->pos_ts_ms, ts);
		strbuf_printf(&b, "%s{\"type\":\"Feature\",\"id\":", n ? "," : "");
		yj_json_escape(&b, d->id);
		strbuf_printf(&b,
		              ",\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.7f,%.7f]},\"properties\":{"
		              "\"layer\":\"positions\",\"device\":",
		              d->lon, d->lat);
		yj_json_escape(&b, d->id);
		strbuf_printf(&b, ",\"kind\":\"%s\",\"area_code\":\"%s\",\"ts\":\"%s\"", tel_kind_name(d->kind),
		              d->area_code, ts);
		if (!isnan(d->speed_kmh))
			strbuf_printf(&b, ",\"speed_kmh\":%.2f", d->speed_kmh);
		if (!isnan(d->heading))
			strbuf_printf(&b, ",\"heading\":%.1f", d->heading);
		strbuf_puts(&b, "}}");
		n++;
	}
	pthread_rwlock_unlock(&tel_devices_lock);
	strbuf_printf(&b, "],\"count\":%ld,\"truncated\":%s}", n, truncated ? "true" : "false");
	res->status = 200;
	res->body = strbuf_take(&b, &res->body_len);
	res->content_type = "application/geo+json";
	return 0;
}

static int time_range(http_req *req, int64_t *from, int64_t *to, int64_t default_span, yj_err *e)
{
	const char *f = http_query(req, "from"), *t = http_query(req, "to");
	*to = yj_now_ms();
	if (t && yj_time_parse(t, to, "to", e))
		return -1;
	*from = *to - default_span;
	if (f && yj_time_parse(f, from, "from", e))
		return -1;
	if (*from > *to)
		return yj_fail(e, YJ_EINVAL, "from", "field 'from' is after 'to'");
	return 0;
}

static int handle_track(http_req *req, http_res *res, yj_err *e)
{
	tel_device d;
	int64_t from, to;
	if (visible_device(req, &d, e) || time_range(req, &from, &to, 24LL * 3600 * 1000, e))
		return -1;
	sqlite3_stmt *st = store_stmt(store_thread(),
	                              "SELECT ts_ms, lon, lat FROM position WHERE device_id = ? AND ts_ms "
	                              "BETWEEN ? AND ? ORDER BY ts_ms LIMIT 50001",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, d.id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	strbuf coords, times;
	strbuf_init(&coords);
	strbuf_init(&times);
	long n = 0;
	while (sqlite3_step(st) == SQLITE_ROW && n < 50000) {
		char ts[40];
		yj_time_format(sqlite3_column_int64(st, 0), ts);
		strbuf_printf(&coords, "%s[%.7f,%.7f]", n ? "," : "", sqlite3_column_double(st, 1),
		              sqlite3_column_double(st, 2));
		strbuf_printf(&times, "%s\"%s\"", n ? "," : "", ts);
		n++;
	}
	sqlite3_reset(st);
	strbuf b;
	strbuf_init(&b);
	strbuf_puts(&b, "{\"type\":\"Feature\",\"id\":");
	yj_json_escape(&b, d.id);
	strbuf_printf(&b, ",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[%s]},\"properties\":{"
	                  "\"device\":",
	              coords.data ? coords.data : "");
	yj_json_escape(&b, d.id);
	strbuf_printf(&b, ",\"kind\":\"%s\",\"points\":%ld,\"times\":[%s]}}", tel_kind_name(d.kind), n,
	              times.data ? times.data : "");
	strbuf_free(&coords);
	strbuf_free(&times);
	res->status = 200;
	res->body = strbuf_take(&b, &res->body_len);
	res->content_type = "application/geo+json";
	return 0;
}

static int handle_readings(http_req *req, http_res *res, yj_err *e)
{
	tel_device d;
	int64_t from, to;
	long step = 3600;
	const char *metric = http_query(req, "metric");
	if (visible_device(req, &d, e) || time_range(req, &from, &to, 24LL * 3600 * 1000, e))
		return -1;
	if (!metric)
		return yj_fail(e, YJ_EINVAL, "metric", "field 'metric' is required (e.g. rain_mm)");
	if (http_query(req, "step") && yj_parse_long(http_query(req, "step"), 1, 31L * 86400, &step, "step", e))
		return -1;
	if ((to - from) / (step * 1000) > 10000)
		return yj_fail(e, YJ_EINVAL, "step", "more than 10000 steps: widen 'step' or narrow from/to");
	sqlite3_stmt *st = store_stmt(store_thread(),
	                              "SELECT (ts_ms - ?4) / ?5 AS bucket, count(*), sum(value), min(value), "
	                              "max(value), avg(value) FROM reading WHERE device_id = ?1 AND metric = ?2 "
	                              "AND ts_ms >= ?4 AND ts_ms < ?3 GROUP BY bucket ORDER BY bucket",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, d.id);
	store_bind_text(st, 2, metric);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, from);
	sqlite3_bind_int64(st, 5, step * 1000);
	json_t *pts = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		char t[40];
		yj_time_format(from + sqlite3_column_int64(st, 0) * step * 1000, t);
		json_array_append_new(pts, json_pack("{s:s, s:I, s:f, s:f, s:f, s:f}", "t", t, "count",
		                                     (json_int_t)sqlite3_column_int64(st, 1), "sum",
		                                     sqlite3_column_double(st, 2), "min",
		                                     sqlite3_column_double(st, 3), "max",
		                                     sqlite3_column_double(st, 4), "avg",
		                                     sqlite3_column_double(st, 5)));
	}
	sqlite3_reset(st);
	http_json(res, 200, json_pack("{s:s, s:s, s:I, s:o}", "device", d.id, "metric", metric, "step_s",
	                              (json_int_t)step, "points", pts));
	return 0;
}

static int handle_stream_positions(http_req *req, http_res *res, yj_err *e)
{
	double bb[4];
	const char *bbox = http_query(req, "bbox");
	if (bbox && parse_bbox(bbox, bb, e))
		return -1;
	return http_sse_open(req, res, "positions", req->user->area_prefix, bbox ? bb : NULL,
	                     "{\"stream\":\"positions\"}", e);
}

void tel_api_register(void)
{
	unsigned staff = ROLES_STAFF;
	http_route("POST", "/api/v1/devices", handle_device_create, DEVICE_WRITERS, NULL);
	http_route("GET", "/api/v1/devices", handle_device_list, staff, NULL);
	http_route("GET", "/api/v1/devices/{id}", handle_device_get, staff, NULL);
	http_route("PATCH", "/api/v1/devices/{id}", handle_device_patch, DEVICE_WRITERS, NULL);
	http_route("POST", "/api/v1/devices/{id}/key", handle_device_key, DEVICE_WRITERS, NULL);
	http_route("GET", "/api/v1/devices/{id}/track", handle_track, staff, NULL);
	http_route("GET", "/api/v1/devices/{id}/readings", handle_readings, staff, NULL);
	/* device keys are checked by the handler: the one route without a user session */
	http_route("POST", "/api/v1/telemetry", handle_telemetry, HTTP_PUBLIC, NULL);
	http_route_body_limit(TELEMETRY_BODY_LIMIT);
	http_route("GET", "/api/v1/layers/positions", handle_positions, staff, NULL);
	http_route("GET", "/api/v1/stream/positions", handle_stream_positions, staff, NULL);
}
