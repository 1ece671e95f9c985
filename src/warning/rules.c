/*
 * rules.c — monitoring rules → alarms, evaluated by the telemetry writer.
 *
 * Three kinds:
 *  - threshold: a metric aggregated over a sliding window (sum, max, min,
 *    avg, last, count) compared with a value; e.g. rain_mm sum over 1 h
 *    >= 50 → orange. Hysteresis: the episode ends only when the aggregate
 *    passes clear_value (default: the value) the other way.
 *  - geofence: devices of some kinds inside (trigger "enter") or outside
 *    ("exit") a polygon or an area's boundary, optionally only while a
 *    warning of some type is in effect. Hysteresis: a band of margin_m
 *    around the line; "enter" ends only beyond the band, "exit" begins only
 *    beyond it.
 *  - offline: no data from a device for N minutes; ends with the next report.
 *
 * State per (rule, device) lives in memory: the open alarm's id, the
 * threshold window. It is rebuilt at start from the open alarms and the
 * recent readings. Geofences are found through a grid over their bboxes, so
 * a report costs a few cell lookups, not a pass over every fence.
 *
 * Everything here runs on the writer thread, except reloads (rule changes
 * through the API), which take the rules lock for writing.
 */
#include <geos_c.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "telemetry/telemetry.h"
#include "warning/warn_int.h"

#define GRID_CELL 0.05 /* degrees */

typedef struct sample {
	int64_t ts;
	double v;
} sample;

typedef struct rstate {
	int64_t rule_id;
	int32_t device;
	int64_t alarm_id;      /* open alarm of this episode, 0 = none */
	int64_t last_ms;
	double last_value;
	bool dirty;            /* last_ms/value to be written */
	sample *w;             /* threshold window, oldest first (ring) */
	size_t wn, whead, wcap;
	struct rstate *hash_next, *dev_next, *dirty_next;
} rstate;

static pthread_rwlock_t rules_lock = PTHREAD_RWLOCK_INITIALIZER;
static GEOSContextHandle_t gctx;
static wrule *rules;
static int nrules;
/* grid of geofences: cell -> rule indices */
static double grid_x0, grid_y0;
static int grid_w, grid_h;
static int **grid_cells; /* each: [count, idx...] */
static int *outside_rules, n_outside; /* "exit" fences: checked for every position */

static rstate **state_buckets;
static size_t state_cap = 65536;
static rstate **dev_heads;
static int32_t dev_heads_cap;
static rstate *dirty_list;
static bool batch_uncommitted;

/* events to publish once the transaction that made them is committed */
static strbuf pending_events;
static int pending_count;
typedef struct pending_ev {
	char area[16];
	double pt[2];
	bool has_pt;
	size_t off, len;
} pending_ev;
static pending_ev *pending_meta;
static int pending_cap;

static char active_types[16][32];
static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- warning types in effect ------------------------------------------------------ */

void warn_set_active_type(const char *type, bool active)
{
	pthread_mutex_lock(&active_lock);
	int free_slot = -1;
	for (int i = 0; i < 16; i++) {
		if (strcmp(active_types[i], type) == 0) {
			if (!active)
				active_types[i][0] = 0;
			pthread_mutex_unlock(&active_lock);
			return;
		}
		if (!active_types[i][0] && free_slot < 0)
			free_slot = i;
	}
	if (active && free_slot >= 0)
		snprintf(active_types[free_slot], sizeof active_types[0], "%s", type);
	pthread_mutex_unlock(&active_lock);
}

bool warn_type_active(const char *type)
{
	pthread_mutex_lock(&active_lock);
	bool on = false;
	for (int i = 0; i < 16 && !on; i++)
		on = active_types[i][0] && strcmp(active_types[i], type) == 0;
	pthread_mutex_unlock(&active_lock);
	return on;
}

/* ---- state map ------------------------------------------------------------------------ */

static size_t state_hash(int64_t rule_id, int32_t device)
{
	uint64_t h = (uint64_t)rule_id * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uint32_t)device * 0xc2b2ae3d27d4eb4full;
	return (size_t)(h ^ (h >> 29)) & (state_cap - 1);
}

static rstate *state_get(int64_t rule_id, int32_t device, bool create)
{
	if (!state_buckets)
		state_buckets = calloc(state_cap, sizeof *state_buckets);
	size_t h = state_hash(rule_id, device);
	for (rstate *s = state_buckets[h]; s; s = s->hash_next)
		if (s->rule_id == rule_id && s->device == device)
			return s;
	if (!create)
		return NULL;
	rstate *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->rule_id = rule_id;
	s->device = device;
	s->hash_next = state_buckets[h];
	state_buckets[h] = s;
	if (device >= dev_heads_cap) {
		int32_t cap = dev_heads_cap ? dev_heads_cap : 1024;
		while (cap <= device)
			cap *= 2;
		dev_heads = realloc(dev_heads, (size_t)cap * sizeof *dev_heads);
		memset(dev_heads + dev_heads_cap, 0, (size_t)(cap - dev_heads_cap) * sizeof *dev_heads);
		dev_heads_cap = cap;
	}
	s->dev_next = dev_heads[device];
	dev_heads[device] = s;
	return s;
}

static void states_free(void)
{
	if (!state_buckets)
		return;
	for (size_t i = 0; i < state_cap; i++) {
		rstate *s = state_buckets[i];
		while (s) {
			rstate *n = s->hash_next;
			free(s->w);
			free(s);
			s = n;
		}
	}
	free(state_buckets);
	state_buckets = NULL;
	free(dev_heads);
	dev_heads = NULL;
	dev_heads_cap = 0;
	dirty_list = NULL;
}

/* ---- rules from the store --------------------------------------------------------------- */

static void rule_free_geom(wrule *r)
{
	if (r->pfence)
		GEOSPreparedGeom_destroy_r(gctx, r->pfence);
	if (r->pouter)
		GEOSPreparedGeom_destroy_r(gctx, r->pouter);
	if (r->fence)
		GEOSGeom_destroy_r(gctx, r->fence);
	if (r->outer)
		GEOSGeom_destroy_r(gctx, r->outer);
	r->pfence = r->pouter = NULL;
	r->fence = r->outer = NULL;
}

static void grid_free(void)
{
	for (int i = 0; grid_cells && i < grid_w * grid_h; i++)
		free(grid_cells[i]);
	free(grid_cells);
	grid_cells = NULL;
	grid_w = grid_h = 0;
	free(outside_rules);
	outside_rules = NULL;
	n_outside = 0;
}

static void rules_free(void)
{
	for (int i = 0; i < nrules; i++)
		rule_free_geom(&rules[i]);
	free(rules);
	rules = NULL;
	nrules = 0;
	grid_free();
}

static void grid_build(void)
{
	grid_free();
	double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
	for (int i = 0; i < nrules; i++) {
		wrule *r = &rules[i];
		if (r->kind != RK_GEOFENCE || !r->enabled || !r->pouter)
			continue;
		if (!r->alarm_inside) {
			outside_rules = realloc(outside_rules, (size_t)(n_outside + 1) * sizeof *outside_rules);
			outside_rules[n_outside++] = i;
			continue;
		}
		x0 = fmin(x0, r->bb[0]);
		y0 = fmin(y0, r->bb[1]);
		x1 = fmax(x1, r->bb[2]);
		y1 = fmax(y1, r->bb[3]);
	}
	if (x0 > x1)
		return;
	grid_x0 = x0;
	grid_y0 = y0;
	grid_w = (int)((x1 - x0) / GRID_CELL) + 1;
	grid_h = (int)((y1 - y0) / GRID_CELL) + 1;
	if ((long)grid_w * grid_h > 4000000) { /* absurdly wide fences: one coarse cell row */
		grid_w = grid_h = 1;
	}
	grid_cells = calloc((size_t)grid_w * (size_t)grid_h, sizeof *grid_cells);
	double cw = grid_w == 1 && grid_h == 1 ? 1e9 : GRID_CELL;
	for (int i = 0; i < nrules; i++) {
		wrule *r = &rules[i];
		if (r->kind != RK_GEOFENCE || !r->enabled || !r->pouter || !r->alarm_inside)
			continue;
		int cx0 = (int)((r->bb[0] - x0) / cw), cx1 = (int)((r->bb[2] - x0) / cw);
		int cy0 = (int)((r->bb[1] - y0) / cw), cy1 = (int)((r->bb[3] - y0) / cw);
		if (cx1 >= grid_w) cx1 = grid_w - 1;
		if (cy1 >= grid_h) cy1 = grid_h - 1;
		for (int cy = cy0; cy <= cy1; cy++)
			for (int cx = cx0; cx <= cx1; cx++) {
				int **cell = &grid_cells[cy * grid_w + cx];
				int n = *cell ? (*cell)[0] : 0;
				*cell = realloc(*cell, (size_t)(n + 2) * sizeof **cell);
				(*cell)[0] = n + 1;
				(*cell)[n + 1] = i;
			}
	}
}

static const int *grid_lookup(double lon, double lat)
{
	if (!grid_cells)
		return NULL;
	double cw = grid_w == 1 && grid_h == 1 ? 1e9 : GRID_CELL;
	int cx = (int)floor((lon - grid_x0) / cw), cy = (int)floor((lat - grid_y0) / cw);
	if (cx < 0 || cy < 0 || cx >= grid_w || cy >= grid_h)
		return NULL;
	return grid_cells[cy * grid_w + cx];
}

/* compile one rule's geometry in the rules' GEOS context */
static int compile_fence(store *s, wrule *r, json_t *spec, yj_err *e)
{
	char *geojson = NULL;
	json_t *poly = json_object_get(spec, "polygon");
	const char *area = json_string_value(json_object_get(spec, "area"));
	if (poly) {
		geojson = json_dumps(poly, JSON_COMPACT);
	} else if (area) {
		sqlite3_stmt *st = store_stmt(s, "SELECT geom FROM area WHERE code = ?", e);
		if (!st)
			return -1;
		store_bind_text(st, 1, area);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			geojson = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		if (!geojson)
			return yj_fail(e, YJ_EINVAL, "spec.area", "area %.16s has no boundary to fence with", area);
	} else {
		return yj_fail(e, YJ_EINVAL, "spec", "a geofence needs spec.polygon or spec.area");
	}
	GEOSGeoJSONReader *rd = GEOSGeoJSONReader_create_r(gctx);
	r->fence = GEOSGeoJSONReader_readGeometry_r(gctx, rd, geojson);
	GEOSGeoJSONReader_destroy_r(gctx, rd);
	free(geojson);
	if (!r->fence)
		return yj_fail(e, YJ_EINVAL, "spec.polygon", "spec.polygon is not a GeoJSON geometry");
	int t = GEOSGeomTypeId_r(gctx, r->fence);
	if (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON)
		return yj_fail(e, YJ_EINVAL, "spec.polygon", "spec.polygon must be a Polygon or MultiPolygon");
	if (GEOSisValid_r(gctx, r->fence) != 1)
		return yj_fail(e, YJ_EINVAL, "spec.polygon", "spec.polygon is not a valid polygon (self-intersecting?)");
	double margin_deg = r->margin_m / 111320.0;
	r->outer = margin_deg > 0 ? GEOSBuffer_r(gctx, r->fence, margin_deg, 8) : GEOSGeom_clone_r(gctx, r->fence);
	if (!r->outer)
		return yj_fail(e, YJ_EINTERNAL, "spec", "cannot buffer the fence");
	r->pfence = GEOSPrepare_r(gctx, r->fence);
	r->pouter = GEOSPrepare_r(gctx, r->outer);
	GEOSGeom_getXMin_r(gctx, r->outer, &r->bb[0]);
	GEOSGeom_getYMin_r(gctx, r->outer, &r->bb[1]);
	GEOSGeom_getXMax_r(gctx, r->outer, &r->bb[2]);
	GEOSGeom_getYMax_r(gctx, r->outer, &r->bb[3]);
	return 0;
}

int warn_rule_compile(store *s, wrule *r, const char *kind, const char *level, const char *area_code,
                      json_t *spec, yj_err *e)
{
	memset(r, 0, sizeof *r);
	r->kind = strcmp(kind, "threshold") == 0 ? RK_THRESHOLD : strcmp(kind, "geofence") == 0 ? RK_GEOFENCE
	                                                                                         : RK_OFFLINE;
	snprintf(r->level, sizeof r->level, "%s", level);
	snprintf(r->area_code, sizeof r->area_code, "%s", area_code);
	auth_area_prefix(area_code, r->area_prefix);
	json_t *kinds = json_object_get(spec, "device_kinds");
	r->any_kind = !kinds || json_array_size(kinds) == 0;
	size_t i;
	json_t *k;
	json_array_foreach(kinds, i, k) {
		int v = tel_kind_parse(json_string_value(k));
		if (v >= 0)
			r->kinds[v] = true;
	}
	if (r->kind == RK_THRESHOLD) {
		snprintf(r->metric, sizeof r->metric, "%s", json_string_value(json_object_get(spec, "metric")));
		r->window_ms = (int64_t)json_integer_value(json_object_get(spec, "window_s")) * 1000;
		const char *agg = json_string_value(json_object_get(spec, "agg"));
		r->agg = !agg || !strcmp(agg, "last") ? AGG_LAST : !strcmp(agg, "sum") ? AGG_SUM : !strcmp(agg, "max") ? AGG_MAX
		       : !strcmp(agg, "min") ? AGG_MIN : !strcmp(agg, "avg") ? AGG_AVG : AGG_COUNT;
		const char *op = json_string_value(json_object_get(spec, "op"));
		r->op = !strcmp(op, ">=") ? OP_GE : !strcmp(op, ">") ? OP_GT : !strcmp(op, "<=") ? OP_LE : OP_LT;
		r->value = json_number_value(json_object_get(spec, "value"));
		json_t *cv = json_object_get(spec, "clear_value");
		r->clear_value = cv ? json_number_value(cv) : r->value;
	} else if (r->kind == RK_GEOFENCE) {
		const char *trig = json_string_value(json_object_get(spec, "trigger"));
		r->alarm_inside = !trig || strcmp(trig, "exit") != 0;
		json_t *m = json_object_get(spec, "margin_m");
		r->margin_m = m ? json_number_value(m) : 50;
		const char *dw = json_string_value(json_object_get(spec, "during_warning"));
		snprintf(r->during_warning, sizeof r->during_warning, "%s", dw ? dw : "");
		if (!gctx)
			gctx = GEOS_init_r();
		if (compile_fence(s, r, spec, e)) {
			rule_free_geom(r);
			return -1;
		}
	} else {
		r->offline_ms = (int64_t)json_integer_value(json_object_get(spec, "minutes")) * 60000;
	}
	return 0;
}

void warn_rule_release(wrule *r)
{
	rule_free_geom(r);
}

/* load every rule; caller holds the write lock */
static int load_rules(store *s, yj_err *e)
{
	rules_free();
	sqlite3_stmt *st = store_stmt(s, "SELECT id, name, kind, level, area_code, enabled, spec FROM rule ORDER BY id", e);
	if (!st)
		return -1;
	int cap = 0;
	int rc = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (nrules == cap) {
			cap = cap ? cap * 2 : 64;
			rules = realloc(rules, (size_t)cap * sizeof *rules);
		}
		json_t *spec = json_loads((const char *)sqlite3_column_text(st, 6), 0, NULL);
		wrule r;
		yj_err ce = {0};
		if (!spec || warn_rule_compile(s, &r, (const char *)sqlite3_column_text(st, 2),
		                               (const char *)sqlite3_column_text(st, 3),
		                               (const char *)sqlite3_column_text(st, 4), spec, &ce)) {
			yj_log(YJ_LOG_ERROR, "rule_load", "id=%lld message=\"%s\"", (long long)sqlite3_column_int64(st, 0),
			       ce.message);
			json_decref(spec);
			continue;
		}
		json_decref(spec);
		r.id = sqlite3_column_int64(st, 0);
		snprintf(r.name, sizeof r.name, "%s", (const char *)sqlite3_column_text(st, 1));
		r.enabled = sqlite3_column_int(st, 5);
		rules[nrules++] = r;
	}
	sqlite3_reset(st);
	grid_build();
	return rc;
}

static const wrule *rule_by_id(int64_t id)
{
	for (int i = 0; i < nrules; i++)
		if (rules[i].id == id)
			return &rules[i];
	return NULL;
}

/* rebuild the in-memory state from the open alarms and the recent readings */
static int load_state(store *s, yj_err *e)
{
	states_free();
	sqlite3_stmt *st = store_stmt(s, "SELECT id, rule_id, device_id, last_ms, value FROM alarm WHERE state != 'closed'", e);
	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int32_t dev = tel_device_find((const char *)sqlite3_column_text(st, 2));
		if (dev < 0)
			continue;
		rstate *rs = state_get(sqlite3_column_int64(st, 1), dev, true);
		rs->alarm_id = sqlite3_column_int64(st, 0);
		rs->last_ms = sqlite3_column_int64(st, 3);
		rs->last_value = sqlite3_column_double(st, 4);
	}
	sqlite3_reset(st);
	int64_t now = yj_now_ms();
	for (int i = 0; i < nrules; i++) {
		wrule *r = &rules[i];
		if (r->kind != RK_THRESHOLD || !r->enabled)
			continue;
		st = store_stmt(s,
		                "SELECT device_id, ts_ms, value FROM reading WHERE metric = ? AND ts_ms >= ? "
		                "ORDER BY ts_ms",
		                e);
		if (!st)
			return -1;
		store_bind_text(st, 1, r->metric);
		sqlite3_bind_int64(st, 2, now - r->window_ms - 3600000);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int32_t dev = tel_device_find((const char *)sqlite3_column_text(st, 0));
			if (dev < 0)
				continue;
			rstate *rs = state_get(r->id, dev, true);
			if (rs->wn == rs->wcap) {
				size_t cap = rs->wcap ? rs->wcap * 2 : 16;
				sample *w = malloc(cap * sizeof *w);
				for (size_t k = 0; k < rs->wn; k++)
					w[k] = rs->w[(rs->whead + k) % rs->wcap];
				free(rs->w);
				rs->w = w;
				rs->whead = 0;
				rs->wcap = cap;
			}
			rs->w[(rs->whead + rs->wn++) % rs->wcap] = (sample){sqlite3_column_int64(st, 1), sqlite3_column_double(st, 2)};
		}
		sqlite3_reset(st);
	}
	return 0;
}

/* ---- alarms --------------------------------------------------------------------------- */

static void queue_event(const char *area, const double *pt, const char *data)
{
	if (pending_count == pending_cap) {
		pending_cap = pending_cap ? pending_cap * 2 : 64;
		pending_meta = realloc(pending_meta, (size_t)pending_cap * sizeof *pending_meta);
	}
	pending_ev *ev = &pending_meta[pending_count++];
	snprintf(ev->area, sizeof ev->area, "%s", area);
	ev->has_pt = pt != NULL;
	if (pt) {
		ev->pt[0] = pt[0];
		ev->pt[1] = pt[1];
	}
	ev->off = pending_events.len;
	strbuf_puts(&pending_events, data);
	ev->len = pending_events.len - ev->off;
}

static void publish_pending(void)
{
	for (int i = 0; i < pending_count; i++) {
		pending_ev *ev = &pending_meta[i];
		char *data = strndup(pending_events.data + ev->off, ev->len);
		http_sse_publish("alarms", "alarm", ev->area, ev->has_pt ? ev->pt : NULL, data);
		free(data);
	}
	pending_count = 0;
	pending_events.len = 0;
}

static int event_for(store *s, int64_t alarm_id, yj_err *e)
{
	json_t *a = warn_alarm_json(s, alarm_id);
	if (!a)
		return 0;
	char *txt = json_dumps(a, JSON_COMPACT);
	json_t *lon = json_object_get(a, "lon"), *lat = json_object_get(a, "lat");
	double pt[2] = {json_number_value(lon), json_number_value(lat)};
	queue_event(json_string_value(json_object_get(a, "area_code")), json_is_number(lon) ? pt : NULL, txt);
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)alarm_id);
	json_t *audited = warn_alarm_state(s, idbuf);
	int rc = audit_append(s, NULL, strcmp(json_string_value(json_object_get(a, "state")), "closed") == 0
	                                   ? "alarm.clear" : "alarm.raise",
	                      "alarm", idbuf, audited, e);
	json_decref(audited);
	free(txt);
	json_decref(a);
	return rc;
}

static int raise_alarm(store *s, const wrule *r, const tel_device *d, rstate *rs, int64_t ts, double value,
                       bool has_value, double lon, double lat, bool has_pt, const char *message, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO alarm(rule_id, device_id, level, state, area_code, message, "
	                              "value, lon, lat, first_ms, last_ms, raised_ms) "
	                              "VALUES (?,?,?,'open',?,?,?,?,?,?,?,?)",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, r->id);
	store_bind_text(st, 2, d->id);
	store_bind_text(st, 3, r->level);
	store_bind_text(st, 4, d->area_code);
	store_bind_text(st, 5, message);
	if (has_value)
		sqlite3_bind_double(st, 6, value);
	else
		sqlite3_bind_null(st, 6);
	if (has_pt) {
		sqlite3_bind_double(st, 7, lon);
		sqlite3_bind_double(st, 8, lat);
	} else {
		sqlite3_bind_null(st, 7);
		sqlite3_bind_null(st, 8);
	}
	sqlite3_bind_int64(st, 9, ts);
	sqlite3_bind_int64(st, 10, ts);
	sqlite3_bind_int64(st, 11, yj_now_ms());
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "raise alarm");
	rs->alarm_id = sqlite3_last_insert_rowid(store_db(s));
	rs->last_ms = ts;
	rs->last_value = value;
	return event_for(s, rs->alarm_id, e);
}

static int clear_alarm(store *s, rstate *rs, int64_t ts, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "UPDATE alarm SET state = 'closed', cleared_ms = ?1, closed_ms = ?1, "
	                              "last_ms = max(last_ms, ?2), value = coalesce(?3, value) "
	                              "WHERE id = ?4 AND state != 'closed'",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, yj_now_ms());
	sqlite3_bind_int64(st, 2, rs->last_ms > ts ? rs->last_ms : ts);
	if (rs->dirty)
		sqlite3_bind_double(st, 3, rs->last_value);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, rs->alarm_id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "clear alarm");
	int64_t id = rs->alarm_id;
	rs->alarm_id = 0;
	rs->dirty = false;
	return sqlite3_changes(store_db(s)) ? event_for(s, id, e) : 0;
}

static void touch(rstate *rs, int64_t ts, double value)
{
	if (ts > rs->last_ms)
		rs->last_ms = ts;
	rs->last_value = value;
	if (!rs->dirty) {
		rs->dirty = true;
		rs->dirty_next = dirty_list;
		dirty_list = rs;
	}
}

static bool applies(const wrule *r, const tel_device *d)
{
	return r->enabled && (r->any_kind || r->kinds[d->kind]) &&
	       strncmp(d->area_code, r->area_prefix, strlen(r->area_prefix)) == 0;
}

static bool compare(op_kind op, double a, double b)
{
	switch (op) {
	case OP_GE: return a >= b;
	case OP_GT: return a > b;
	case OP_LE: return a <= b;
	case OP_LT: return a < b;
	}
	return false;
}

static const char *op_text(op_kind op)
{
	static const char *const t[] = {">=", ">", "<=", "<"};
	return t[op];
}

static int eval_threshold(store *s, const wrule *r, const tel_device *d, int32_t dev, const tel_report *rep,
                          yj_err *e)
{
	rstate *rs = state_get(r->id, dev, true);
	if (rs->wn == rs->wcap) {
		size_t cap = rs->wcap ? rs->wcap * 2 : 16;
		sample *w = malloc(cap * sizeof *w);
		if (!w)
			abort();
		for (size_t k = 0; k < rs->wn; k++)
			w[k] = rs->w[(rs->whead + k) % rs->wcap];
		free(rs->w);
		rs->w = w;
		rs->whead = 0;
		rs->wcap = cap;
	}
	rs->w[(rs->whead + rs->wn++) % rs->wcap] = (sample){rep->ts_ms, rep->value};
	/* drop what fell out of the window (relative to the newest report) */
	int64_t newest = rep->ts_ms;
	for (size_t k = 0; k < rs->wn; k++)
		if (rs->w[(rs->whead + k) % rs->wcap].ts > newest)
			newest = rs->w[(rs->whead + k) % rs->wcap].ts;
	while (rs->wn && rs->w[rs->whead].ts <= newest - r->window_ms) {
		rs->whead = (rs->whead + 1) % rs->wcap;
		rs->wn--;
	}
	double agg = 0, mx = -INFINITY, mn = INFINITY;
	for (size_t k = 0; k < rs->wn; k++) {
		double v = rs->w[(rs->whead + k) % rs->wcap].v;
		agg += v;
		mx = fmax(mx, v);
		mn = fmin(mn, v);
	}
	double value;
	switch (r->agg) {
	case AGG_SUM: value = agg; break;
	case AGG_MAX: value = mx; break;
	case AGG_MIN: value = mn; break;
	case AGG_AVG: value = rs->wn ? agg / (double)rs->wn : 0; break;
	case AGG_COUNT: value = (double)rs->wn; break;
	default: value = rep->value; break;
	}
	if (!rs->alarm_id) {
		if (compare(r->op, value, r->value)) {
			static const char *const aggs[] = {"sum", "max", "min", "avg", "last", "count"};
			char msg[256];
			snprintf(msg, sizeof msg, "%s %s over %lld s = %.2f %s %.2f (rule %s)", r->metric, aggs[r->agg],
			         (long long)(r->window_ms / 1000), value, op_text(r->op), r->value, r->name);
			return raise_alarm(s, r, d, rs, rep->ts_ms, value, true, d->lon, d->lat, d->has_position, msg, e);
		}
		return 0;
	}
	/* the episode lasts while the aggregate is still past clear_value (hysteresis:
	 * e.g. raise at >= 50, clear below 40 with clear_value 40) */
	bool still = compare(r->op, value, r->clear_value);
	if (!still)
		return clear_alarm(s, rs, rep->ts_ms, e);
	touch(rs, rep->ts_ms, value);
	return 0;
}

static int eval_fence(store *s, const wrule *r, const tel_device *d, int32_t dev, const tel_report *rep,
                      GEOSGeometry *pt, yj_err *e)
{
	rstate *rs = state_get(r->id, dev, false);
	bool open = rs && rs->alarm_id;
	if (r->during_warning[0] && !warn_type_active(r->during_warning)) {
		/* the warning ended: so does the episode */
		return open ? clear_alarm(s, rs, rep->ts_ms, e) : 0;
	}
	bool out_of_bbox = rep->lon < r->bb[0] || rep->lon > r->bb[2] || rep->lat < r->bb[1] || rep->lat > r->bb[3];
	bool in_outer = !out_of_bbox && GEOSPreparedIntersects_r(gctx, r->pouter, pt) == 1;
	bool inside = in_outer && GEOSPreparedIntersects_r(gctx, r->pfence, pt) == 1;
	bool raise = r->alarm_inside ? inside : !in_outer;
	bool clear = r->alarm_inside ? !in_outer : inside;
	if (!open && raise) {
		if (!rs)
			rs = state_get(r->id, dev, true);
		char msg[256];
		snprintf(msg, sizeof msg, "%s %s %s %s (rule %s)", tel_kind_name(d->kind), d->id,
		         r->alarm_inside ? "entered" : "left", r->alarm_inside ? "a watched zone" : "its zone", r->name);
		return raise_alarm(s, r, d, rs, rep->ts_ms, 0, false, rep->lon, rep->lat, true, msg, e);
	}
	if (open && clear)
		return clear_alarm(s, rs, rep->ts_ms, e);
	if (open)
		touch(rs, rep->ts_ms, 0);
	return 0;
}

static int batch_hook(store *s, const tel_report *reports, size_t n, yj_err *e)
{
	int rc = 0;
	pthread_rwlock_rdlock(&rules_lock);
	if (batch_uncommitted) {
		/* the last batch was rolled back: our memory ran ahead of the store */
		pending_count = 0;
		pending_events.len = 0;
		load_state(s, e);
	}
	batch_uncommitted = true;
	static uint32_t *stamps;
	static int stamps_cap;
	if (stamps_cap < nrules) {
		stamps = realloc(stamps, (size_t)nrules * sizeof *stamps);
		memset(stamps, 0, (size_t)nrules * sizeof *stamps);
		stamps_cap = nrules;
	}
	static uint32_t stamp;
	GEOSGeometry *pt = NULL;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const tel_report *rep = &reports[i];
		tel_device d;
		if (!tel_device_get(rep->device, &d))
			continue;
		/* any report ends an offline episode */
		for (rstate *rs = rep->device < dev_heads_cap ? dev_heads[rep->device] : NULL; rs && rc == 0; rs = rs->dev_next) {
			const wrule *r = rs->alarm_id ? rule_by_id(rs->rule_id) : NULL;
			if (r && r->kind == RK_OFFLINE)
				rc = clear_alarm(s, rs, rep->ts_ms, e);
		}
		if (!rep->is_position) {
			for (int k = 0; k < nrules && rc == 0; k++)
				if (rules[k].kind == RK_THRESHOLD && applies(&rules[k], &d) &&
				    strcmp(rules[k].metric, rep->metric) == 0)
					rc = eval_threshold(s, &rules[k], &d, rep->device, rep, e);
			continue;
		}
		if (!gctx || (!grid_cells && !n_outside && !(rep->device < dev_heads_cap && dev_heads[rep->device])))
			continue;
		if (++stamp == 0) {
			memset(stamps, 0, (size_t)stamps_cap * sizeof *stamps);
			stamp = 1;
		}
		if (pt)
			GEOSGeom_destroy_r(gctx, pt);
		pt = GEOSGeom_createPointFromXY_r(gctx, rep->lon, rep->lat);
		/* candidates: fences whose cell holds the point, "exit" fences, and fences with an open episode */
		const int *cell = grid_lookup(rep->lon, rep->lat);
		for (int k = 1; cell && k <= cell[0] && rc == 0; k++) {
			int ri = cell[k];
			if (stamps[ri] == stamp || !applies(&rules[ri], &d))
				continue;
			stamps[ri] = stamp;
			rc = eval_fence(s, &rules[ri], &d, rep->device, rep, pt, e);
		}
		for (int k = 0; k < n_outside && rc == 0; k++) {
			int ri = outside_rules[k];
			if (stamps[ri] == stamp || !applies(&rules[ri], &d))
				continue;
			stamps[ri] = stamp;
			rc = eval_fence(s, &rules[ri], &d, rep->device, rep, pt, e);
		}
		for (rstate *rs = rep->device < dev_heads_cap ? dev_heads[rep->device] : NULL; rs && rc == 0; rs = rs->dev_next) {
			if (!rs->alarm_id)
				continue;
			const wrule *r = rule_by_id(rs->rule_id);
			if (!r || r->kind != RK_GEOFENCE)
				continue;
			int ri = (int)(r - rules);
			if (stamps[ri] == stamp)
				continue;
			stamps[ri] = stamp;
			rc = eval_fence(s, r, &d, rep->device, rep, pt, e);
		}
	}
	if (pt)
		GEOSGeom_destroy_r(gctx, pt);
	pthread_rwlock_unlock(&rules_lock);
	return rc;
}

static int flush_dirty(store *s, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s, "UPDATE alarm SET last_ms = ?, value = ? WHERE id = ? AND state != 'closed'", e);
	if (!st)
		return -1;
	for (rstate *rs = dirty_list; rs; rs = rs->dirty_next) {
		if (rs->dirty && rs->alarm_id) {
			sqlite3_bind_int64(st, 1, rs->last_ms);
			sqlite3_bind_double(st, 2, rs->last_value);
			sqlite3_bind_int64(st, 3, rs->alarm_id);
			sqlite3_step(st);
			sqlite3_reset(st);
		}
		rs->dirty = false;
	}
	dirty_list = NULL;
	return 0;
}

static int tick_hook(store *s, int64_t now, yj_err *e)
{
	int rc = 0;
	pthread_rwlock_rdlock(&rules_lock);
	batch_uncommitted = true;
	for (int k = 0; k < nrules && rc == 0; k++) {
		const wrule *r = &rules[k];
		if (r->kind != RK_OFFLINE || !r->enabled)
			continue;
		int32_t count = tel_device_count();
		for (int32_t i = 0; i < count && rc == 0; i++) {
			tel_device d;
			if (!tel_device_get(i, &d) || !applies(r, &d) || !d.last_seen_ms || d.disabled)
				continue;
			if (now - d.last_seen_ms < r->offline_ms)
				continue;
			rstate *rs = state_get(r->id, i, true);
			if (rs->alarm_id)
				continue;
			char msg[256], seen[40];
			yj_time_format(d.last_seen_ms, seen);
			snprintf(msg, sizeof msg, "%s %s: no data for %lld min, last at %s (rule %s)", tel_kind_name(d.kind), d.id,
			         (long long)((now - d.last_seen_ms) / 60000), seen, r->name);
			rc = raise_alarm(s, r, &d, rs, now, 0, false, d.lon, d.lat, d.has_position, msg, e);
		}
	}
	if (rc == 0)
		rc = flush_dirty(s, e);
	pthread_rwlock_unlock(&rules_lock);
	return rc;
}

static void committed_hook(void)
{
	pthread_rwlock_rdlock(&rules_lock);
	batch_uncommitted = false;
	publish_pending();
	pthread_rwlock_unlock(&rules_lock);
}

/* a new rule: compile it alone and add it (reloading all of them made adding N rules O(N^2)) */
int warn_rules_add(store *s, int64_t id, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT name, kind, level, area_code, enabled, spec FROM rule WHERE id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no rule %lld", (long long)id);
	}
	char name[128], kind[16], level[8], area[16];
	snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(kind, sizeof kind, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(level, sizeof level, "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(area, sizeof area, "%s", (const char *)sqlite3_column_text(st, 3));
	int enabled = sqlite3_column_int(st, 4);
	json_t *spec = json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL);
	sqlite3_reset(st);
	pthread_rwlock_wrlock(&rules_lock);
	wrule r;
	int rc = spec ? warn_rule_compile(s, &r, kind, level, area, spec, e) : yj_fail(e, YJ_EINTERNAL, "spec", "unreadable spec");
	if (rc == 0) {
		r.id = id;
		snprintf(r.name, sizeof r.name, "%s", name);
		r.enabled = enabled;
		wrule *grown = realloc(rules, (size_t)(nrules + 1) * sizeof *rules);
		if (!grown)
			abort();
		rules = grown;
		rules[nrules++] = r;
		grid_build();
	}
	pthread_rwlock_unlock(&rules_lock);
	json_decref(spec);
	return rc;
}

int warn_rules_reload(store *s, yj_err *e)
{
	pthread_rwlock_wrlock(&rules_lock);
	int rc = load_rules(s, e);
	pthread_rwlock_unlock(&rules_lock);
	return rc;
}

/* a rule was disabled or changed: its open episodes end (in the caller's transaction) */
int warn_rule_forget(store *s, int64_t rule_id, yj_err *e)
{
	pthread_rwlock_wrlock(&rules_lock);
	int rc = 0;
	for (size_t i = 0; state_buckets && i < state_cap && rc == 0; i++)
		for (rstate *rs = state_buckets[i]; rs && rc == 0; rs = rs->hash_next)
			if (rs->rule_id == rule_id) {
				if (rs->alarm_id)
					rc = clear_alarm(s, rs, yj_now_ms(), e);
				rs->wn = 0;
			}
	pthread_rwlock_unlock(&rules_lock);
	/* the events are published at the API's commit */
	return rc;
}

void warn_rules_publish(void)
{
	committed_hook();
}

int warn_rules_start(store *s, yj_err *e)
{
	if (!gctx)
		gctx = GEOS_init_r();
	pthread_rwlock_wrlock(&rules_lock);
	int rc = load_rules(s, e);
	if (rc == 0)
		rc = load_state(s, e);
	pthread_rwlock_unlock(&rules_lock);
	if (rc)
		return -1;
	tel_set_batch_hook(batch_hook);
	tel_set_tick_hook(tick_hook);
	tel_set_committed_hook(committed_hook);
	yj_log(YJ_LOG_INFO, "rules", "rules=%d", nrules);
	return 0;
}

void warn_rules_stop(void)
{
	tel_set_batch_hook(NULL);
	tel_set_tick_hook(NULL);
	tel_set_committed_hook(NULL);
	pthread_rwlock_wrlock(&rules_lock);
	rules_free();
	states_free();
	strbuf_free(&pending_events);
	free(pending_meta);
	pending_meta = NULL;
	pending_cap = pending_count = 0;
	if (gctx) {
		GEOS_finish_r(gctx);
		gctx = NULL;
	}
	pthread_rwlock_unlock(&rules_lock);
}
