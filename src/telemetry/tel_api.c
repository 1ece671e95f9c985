/*
 * tel_api.c — HTTP endpoints of telemetry:
 *   POST  /api/v1/devices                 create (answers the API key, shown once)
 *   GET   /api/v1/devices?kind=&area=&q=&limit=&cursor=
 *   GET   /api/v1/devices/{id}            with latest position and last seen
 *   PATCH /api/v1/devices/{id}            name, owner, area, disabled
 *   POST  /api/v1/devices/{id}/key        a new key (the old one stops working)
 *   POST  /api/v1/telemetry               JSON array or NDJSON; device key or user token
 *   GET   /api/v1/layers/positions?bbox=&kind=&since=&limit=&area=
 *   GET   /api/v1/devices/{id}/track?from=&to=&limit=&cursor=&simplify=
 *   GET   /api/v1/devices/{id}/readings?metric=&from=&to=&step=
 *   GET   /api/v1/stream/positions?bbox=&area=  (Server-Sent Events)
 *
 * Lists, layers and streams are scoped by http_scope (?area= or the
 * user's own area); a device named in a path outside the caller's scope
 * is 404. Handlers parse with the request kit and call the services in
 * device.c and ingest.c; SQL is in tel_db.c.
 *
 * POST /api/v1/telemetry is the one route that takes a credential other
 * than a user session: a device key ("Authorization: Device <id>.<secret>"
 * or "X-Device-Key"), which may only report for its own device. It answers
 * 202 {"accepted", "duplicates", "rejected", "rejected_count"}: accepted
 * counts the good lines, all durable now; duplicates, those of them that
 * were stored already (a retry, a line sent twice), which were not stored
 * again. Sending a batch again is always safe.
 *
 * A track is a GeoJSON Feature (LineString; MultiPoint for one position,
 * null geometry for none) with the positions' times, a page at a time:
 * "truncated" says more follow and "next_cursor" continues after the last
 * one. ?simplify=<metres> keeps what a map needs at that tolerance (GEOS),
 * and says how many positions the page had before.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "telemetry/tel_int.h"

#define DEVICE_WRITERS (ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_DUTY_OFFICER))
#define TELEMETRY_BODY_LIMIT (32u << 20)

/* the device members of a body (create: every key; patch: the changeable ones) */
static int device_fields(json_t *body, bool create, tel_device_input *in, yj_err *e)
{
	static const char *const create_keys[] = {"id", "kind", "area", "name", "owner", NULL};
	static const char *const patch_keys[] = {"name", "owner", "area", "disabled", NULL};
	memset(in, 0, sizeof *in);
	in->disabled = -1;
	if (yj_only_keys(body, create ? create_keys : patch_keys, e))
		return -1;
	if (create && (yj_json_text(body, "id", 0, 63, &in->id, e) < 0 || yj_json_text(body, "kind", 0, 32, &in->kind, e) < 0))
		return -1;
	bool disabled;
	int has_disabled = create ? 0 : yj_json_bool(body, "disabled", 0, &disabled, e);
	if (yj_json_text(body, "area", 0, 16, &in->area, e) < 0 || yj_json_text(body, "name", 0, 200, &in->name, e) < 0 ||
	    yj_json_text(body, "owner", 0, 200, &in->owner, e) < 0 || has_disabled < 0)
		return -1;
	if (has_disabled)
		in->disabled = disabled;
	return 0;
}

/* Create a device (id NULL), change one (the body's members) or give it a new key (rotate), in
 * one transaction; then the answer: the device (with its key, shown once, when created), or
 * its id and new key. */
static int device_write(http_req *req, http_res *res, const char *id, bool rotate, yj_err *e)
{
	json_t *body = NULL;
	tel_device_input in = {.disabled = -1, .rotate_key = rotate};
	if (!rotate && (!(body = http_json_body(req, e)) || device_fields(body, !id, &in, e))) {
		json_decref(body);
		return -1;
	}
	store *s = store_thread();
	char key[160];
	int rc = store_begin(s, e);
	if (rc == 0) {
		rc = id ? tel_device_update(s, req->user, id, &in, key, e) : tel_device_create(s, req->user, &in, key, e);
		if (rc || store_commit(s, e)) {
			store_rollback(s);
			rc = -1;
		}
	}
	json_t *j = NULL;
	if (rc == 0 && !(j = rotate ? json_pack("{s:s, s:s}", "id", id, "key", key) : tel_device_json(s, id ? id : in.id)))
		rc = yj_fail(e, YJ_EINTERNAL, "", "the device was stored but cannot be read back");
	if (j) {
		if (!id)
			json_object_set_new(j, "key", json_string(key));
		http_json(res, id ? 200 : 201, j);
	}
	json_decref(body);
	return rc;
}

static int handle_device_create(http_req *req, http_res *res, yj_err *e)
{
	return device_write(req, res, NULL, false, e);
}

typedef struct device_page {
	const char *q;       /* ids or names containing it, or NULL */
	long limit;
	json_t *items;
	char next[64];       /* the last id of a full page with more after it */
} device_page;

static int page_device(const tel_device_row *d, void *ctx, yj_err *e)
{
	device_page *p = ctx;
	if (p->q && !strstr(d->id, p->q) && !strstr(d->name, p->q))
		return 0;
	if ((long)json_array_size(p->items) == p->limit) {
		json_t *last = json_array_get(p->items, json_array_size(p->items) - 1);
		snprintf(p->next, sizeof p->next, "%s", json_string_value(json_object_get(last, "id")));
		return 1;
	}
	json_array_append_new(p->items, tel_device_row_json(d));
	return 0;
}

static int handle_device_list(http_req *req, http_res *res, yj_err *e)
{
	auth_scope sc;
	const char *kind = NULL, *cursor = NULL;
	device_page p = {.limit = 100};
	if (http_scope(req, &sc, e) || http_query_long(req, "limit", 1, 1000, &p.limit, e) < 0 ||
	    http_query_text(req, "kind", 32, &kind, e) < 0 || http_query_text(req, "q", 200, &p.q, e) < 0 ||
	    http_query_text(req, "cursor", 63, &cursor, e) < 0)
		return -1;
	if (kind && tel_kind_parse(kind) < 0)
		return yj_fail(e, YJ_EINVAL, "kind", "field 'kind': '%.32s' is not a device kind", kind);
	if (p.q && !*p.q)
		p.q = NULL;
	p.items = json_array();
	if (tel_db_devices_list(store_thread(), &sc, kind, cursor, page_device, &p, e)) {
		json_decref(p.items);
		return -1;
	}
	http_json(res, 200, json_pack("{s:o, s:o}", "items", p.items, "next_cursor", p.next[0] ? json_string(p.next) : json_null()));
	return 0;
}

/* the device of the path, if it lies in the caller's jurisdiction (else 404) */
static int visible_device(http_req *req, tel_device *d, yj_err *e)
{
	const char *id = http_param(req, "id");
	auth_scope own;
	if (http_scope_of(req, NULL, "area", &own, e))
		return -1;
	int32_t i = tel_device_find(id);
	if (i < 0 || !tel_device_get(i, d) || !auth_scope_contains(&own, d->area_code))
		return yj_fail(e, YJ_ENOTFOUND, "id", "no device %.64s", id ? id : "");
	return 0;
}

static int handle_device_get(http_req *req, http_res *res, yj_err *e)
{
	tel_device d;
	if (visible_device(req, &d, e))
		return -1;
	json_t *j = tel_device_json(store_thread(), d.id);
	if (!j)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no device %.64s", d.id);
	http_json(res, 200, j);
	return 0;
}

static int handle_device_patch(http_req *req, http_res *res, yj_err *e)
{
	tel_device d;
	return visible_device(req, &d, e) ? -1 : device_write(req, res, d.id, false, e);
}

static int handle_device_key(http_req *req, http_res *res, yj_err *e)
{
	tel_device d;
	return visible_device(req, &d, e) ? -1 : device_write(req, res, d.id, true, e);
}

/* ---- ingest ------------------------------------------------------------------------------- */

static json_t *rejections_json(const tel_result *r, bool zh)
{
	json_t *rej = json_array();
	for (long i = 0; i < r->nkept; i++) {
		/* the words are valid UTF-8 (ingest repairs them), so the member is never dropped */
		json_t *item = json_pack("{s:I, s:s}", "line", (json_int_t)r->rejected[i].line, "error",
		                         zh && r->rejected[i].error_zh[0] ? r->rejected[i].error_zh : r->rejected[i].error);
		json_array_append_new(rej, item ? item : json_pack("{s:I, s:s}", "line", (json_int_t)r->rejected[i].line,
		                                                   "error", "(unreadable)"));
	}
	return rej;
}

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
	if (tel_ingest(req->body ? req->body : "", req->body_len, only, user, &r, e)) {
		if (e->code == YJ_EINVAL && r.nrejected) {
			/* refused whole: the error, and the first lines' reasons */
			json_t *err = json_pack("{s:s, s:s, s:s}", "code", yj_code_name(e->code), "message",
			                        http_err_text(req, e), "field", e->field);
			if (req->zh && e->message_zh[0])
				http_add_header(req, res, "Content-Language", "zh-CN");
			http_json(res, 400, json_pack("{s:o, s:I, s:o, s:I, s:I}", "error", err, "accepted", (json_int_t)0,
			                              "rejected", rejections_json(&r, req->zh), "rejected_count", (json_int_t)r.nrejected,
			                              "lines_read", (json_int_t)r.lines));
			tel_result_free(&r);
			return 0;
		}
		tel_result_free(&r);
		return -1;
	}
	if (req->zh && r.nkept)
		http_add_header(req, res, "Content-Language", "zh-CN");
	http_json(res, 202, json_pack("{s:I, s:I, s:o, s:I}", "accepted", (json_int_t)r.accepted, "duplicates",
	                              (json_int_t)r.duplicates, "rejected", rejections_json(&r, req->zh), "rejected_count",
	                              (json_int_t)r.nrejected));
	tel_result_free(&r);
	return 0;
}

/* ---- queries ---------------------------------------------------------------------------- */

static int handle_positions(http_req *req, http_res *res, yj_err *e)
{
	double bb[4] = {-180, -90, 180, 90};
	const char *kind = NULL;
	long limit = 5000;
	int64_t since_ms = 0;
	auth_scope sc;
	if (http_scope(req, &sc, e) || http_query_bbox(req, "bbox", bb, e) < 0 ||
	    http_query_long(req, "limit", 1, 100000, &limit, e) < 0 || http_query_time(req, "since", &since_ms, e) < 0 ||
	    http_query_text(req, "kind", 255, &kind, e) < 0)
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
	pthread_rwlock_rdlock(&tel_devices_lock);
	int32_t count = tel_device_count_locked();
	for (int32_t i = 0; i < count; i++) {
		const tel_device *d = tel_device_slot_locked(i);
		if (!d->has_position || d->disabled || (!any_kind && !kinds[d->kind]) ||
		    !auth_scope_contains(&sc, d->area_code) || d->pos_ts_ms < since_ms || d->lon < bb[0] || d->lon > bb[2] ||
		    d->lat < bb[1] || d->lat > bb[3])
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

/* ?from=&to= (RFC 3339 or ms): to defaults to now, from to default_span before it */
static int time_range(http_req *req, int64_t *from, int64_t *to, int64_t default_span, yj_err *e)
{
	*to = yj_now_ms();
	if (http_query_time(req, "to", to, e) < 0)
		return -1;
	*from = *to - default_span;
	if (http_query_time(req, "from", from, e) < 0)
		return -1;
	if (*from > *to)
		return yj_fail(e, YJ_EINVAL, "from", "field 'from' is after 'to'");
	return 0;
}

#define TRACK_PAGE 50000        /* positions a page, at most and by default */
#define TRACK_PAGE_SIMPLE 500000 /* the same when simplified: what is sent is much less */

static int handle_track(http_req *req, http_res *res, yj_err *e)
{
	tel_device d;
	int64_t from, to, cursor = 0;
	double tolerance = 0;
	if (visible_device(req, &d, e) || time_range(req, &from, &to, 24LL * 3600 * 1000, e))
		return -1;
	int has_simplify = http_query_double(req, "simplify", 0, 100000, &tolerance, e);
	long limit = has_simplify > 0 ? TRACK_PAGE_SIMPLE : TRACK_PAGE;
	int has_cursor = http_query_time(req, "cursor", &cursor, e);
	if (has_simplify < 0 || has_cursor < 0 ||
	    http_query_long(req, "limit", 1, has_simplify > 0 ? TRACK_PAGE_SIMPLE : TRACK_PAGE, &limit, e) < 0)
		return -1;
	if (has_cursor && cursor + 1 > from)
		from = cursor + 1; /* the page after the one that ended at cursor */
	tel_track t;
	if (from > to) {
		memset(&t, 0, sizeof t);
	} else if (tel_track_read(store_thread(), d.id, from, to, limit, tolerance, &t, e)) {
		return -1;
	}
	strbuf b;
	strbuf_init(&b);
	strbuf_puts(&b, "{\"type\":\"Feature\",\"id\":");
	yj_json_escape(&b, d.id);
	/* RFC 7946: a LineString has two positions or more */
	strbuf_printf(&b, ",\"geometry\":%s", t.n >= 2 ? "{\"type\":\"LineString\",\"coordinates\":["
	                                     : t.n == 1 ? "{\"type\":\"MultiPoint\",\"coordinates\":["
	                                                : "null");
	for (size_t i = 0; i < t.n; i++)
		strbuf_printf(&b, "%s[%.7f,%.7f]", i ? "," : "", t.pts[i].lon, t.pts[i].lat);
	strbuf_puts(&b, t.n ? "]}" : "");
	strbuf_puts(&b, ",\"properties\":{\"device\":");
	yj_json_escape(&b, d.id);
	strbuf_printf(&b, ",\"kind\":\"%s\",\"points\":%zu,\"times\":[", tel_kind_name(d.kind), t.n);
	for (size_t i = 0; i < t.n; i++) {
		char tb[40];
		yj_time_format(t.pts[i].ts_ms, tb);
		strbuf_printf(&b, "%s\"%s\"", i ? "," : "", tb);
	}
	strbuf_printf(&b, "],\"truncated\":%s,\"next_cursor\":", t.truncated ? "true" : "false");
	if (t.truncated)
		strbuf_printf(&b, "\"%lld\"", (long long)t.next_cursor);
	else
		strbuf_puts(&b, "null");
	if (has_simplify > 0)
		strbuf_printf(&b, ",\"simplified\":{\"tolerance_m\":%g,\"points_before\":%zu,\"points_after\":%zu}",
		              tolerance, t.read, t.n);
	strbuf_puts(&b, "}}");
	tel_track_free(&t);
	res->status = 200;
	res->body = strbuf_take(&b, &res->body_len);
	res->content_type = "application/geo+json";
	return 0;
}

typedef struct buckets {
	json_t *points;
	int64_t from, step_ms;
} buckets;

static int add_bucket(int64_t bucket, int64_t count, double sum, double min, double max, double avg, void *ctx,
                      yj_err *e)
{
	buckets *b = ctx;
	char t[40];
	yj_time_format(b->from + bucket * b->step_ms, t);
	json_array_append_new(b->points, json_pack("{s:s, s:I, s:f, s:f, s:f, s:f}", "t", t, "count", (json_int_t)count,
	                                           "sum", sum, "min", min, "max", max, "avg", avg));
	return 0;
}

static int handle_readings(http_req *req, http_res *res, yj_err *e)
{
	tel_device d;
	int64_t from, to;
	long step = 3600;
	const char *metric = NULL;
	if (visible_device(req, &d, e) || time_range(req, &from, &to, 24LL * 3600 * 1000, e) ||
	    http_query_text(req, "metric", 23, &metric, e) < 0 || http_query_long(req, "step", 1, 31L * 86400, &step, e) < 0)
		return -1;
	if (!metric || !*metric)
		return yj_fail(e, YJ_EINVAL, "metric", "field 'metric' is required (e.g. rain_mm)");
	if ((to - from) / (step * 1000) > 10000)
		return yj_fail(e, YJ_EINVAL, "step", "more than 10000 steps: widen 'step' or narrow from/to");
	buckets b = {.points = json_array(), .from = from, .step_ms = step * 1000};
	if (tel_db_reading_buckets(store_thread(), d.id, metric, from, to, b.step_ms, add_bucket, &b, e)) {
		json_decref(b.points);
		return -1;
	}
	http_json(res, 200, json_pack("{s:s, s:s, s:I, s:o}", "device", d.id, "metric", metric, "step_s",
	                              (json_int_t)step, "points", b.points));
	return 0;
}

static int handle_stream_positions(http_req *req, http_res *res, yj_err *e)
{
	double bb[4];
	auth_scope sc;
	int has_bbox = http_query_bbox(req, "bbox", bb, e);
	if (has_bbox < 0 || http_scope(req, &sc, e))
		return -1;
	/* the stream's area filter is the scope's prefix: every code in the subtree starts with it */
	return http_sse_open(req, res, "positions", &sc, has_bbox ? bb : NULL, "{\"stream\":\"positions\"}", e);
}

void tel_api_register(void)
{
	unsigned staff = ROLES_STAFF;
	http_route("POST", "/api/v1/devices", handle_device_create, DEVICE_WRITERS, NULL);
	http_route_doc("create a device; answers its API key, shown once", NULL, "json");
	http_route("GET", "/api/v1/devices", handle_device_list, staff, NULL);
	http_route_doc("devices in scope", "kind:string, area:area, q:string, limit:integer, cursor:string", NULL);
	http_route("GET", "/api/v1/devices/{id}", handle_device_get, staff, NULL);
	http_route_doc("a device with its latest position and last report", NULL, NULL);
	http_route("PATCH", "/api/v1/devices/{id}", handle_device_patch, DEVICE_WRITERS, NULL);
	http_route_doc("change a device's name, owner, area or disabled", NULL, "json");
	http_route("POST", "/api/v1/devices/{id}/key", handle_device_key, DEVICE_WRITERS, NULL);
	http_route_doc("a new API key for the device (the old one stops working)", NULL, NULL);
	http_route("GET", "/api/v1/devices/{id}/track", handle_track, staff, NULL);
	http_route_doc("the device's positions as a GeoJSON Feature, a page at a time, simplified when asked",
	               "from:time, to:time, limit:integer, cursor:string, simplify:number", NULL);
	http_route("GET", "/api/v1/devices/{id}/readings", handle_readings, staff, NULL);
	http_route_doc("a metric of the device aggregated in steps", "!metric:string, from:time, to:time, step:integer",
	               NULL);
	/* device keys are checked by the handler: the one route without a user session */
	http_route("POST", "/api/v1/telemetry", handle_telemetry, HTTP_PUBLIC, NULL);
	http_route_body_limit(TELEMETRY_BODY_LIMIT);
	http_route_doc("positions and readings (JSON array or NDJSON), stored once per device, time (and metric): "
	               "a repeat is counted in duplicates",
	               NULL, "json or ndjson");
	http_route("GET", "/api/v1/layers/positions", handle_positions, staff, NULL);
	http_route_doc("the latest position of each device (GeoJSON)",
	               "bbox:bbox, kind:string, since:time, limit:integer, area:area", NULL);
	http_route("GET", "/api/v1/stream/positions", handle_stream_positions, staff, NULL);
	http_route_doc("positions as they arrive (Server-Sent Events)", "bbox:bbox, area:area", NULL);
}
