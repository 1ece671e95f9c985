/*
 * rules_eval.c — the rules engine: the compiled rules and the state of every
 * (rule, device) pair in memory, judging what telemetry reports.
 *
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
 * The engine subscribes to the telemetry writer's batch event inside its
 * transaction (bus_on_tx), so an alarm is written, audited and announced
 * (WARN_EV_ALARM) atomically with the reports that raised it. The running
 * episodes' last report and value are written about once a second, by a
 * batch (or by the scheduler's job when no batch comes). Offline devices
 * are found by that job once a second, in a transaction of its own.
 *
 * State per (rule, device): the open alarm's id, the threshold window. It
 * is rebuilt at start from the open alarms and the recent readings, and
 * (with the rules) again after a transaction that changed it rolled back
 * (memory would have run ahead of the store). Geofences are found through a grid over their
 * bboxes, so a report costs a few cell lookups, not a pass over every fence.
 *
 * One mutex covers it all: the writer's batches, the scheduler's job and
 * rule changes through the API. Each takes it after its transaction began
 * (the database's write lock first, then this one), so they never wait on
 * each other the other way round.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "sched/sched.h"
#include "warning/rules_int.h"

#define STATE_BUCKETS 65536 /* power of two */

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
	bool listed;           /* on the dirty list */
	sample *w;             /* threshold window, oldest first (ring) */
	size_t wn, whead, wcap;
	struct rstate *hash_next, *dev_next, *dirty_next;
} rstate;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool running;
static atomic_bool stale; /* a transaction that changed the state rolled back */
static GEOSContextHandle_t gctx;
static wrule *rules;
static int nrules;
static size_t cap_rules;
static fence_grid grid;
static uint32_t *stamps; /* per rule: judged for this report already */
static size_t cap_stamps;
static uint32_t stamp;

static rstate **buckets;
static rstate **dev_heads;
static size_t cap_heads;
static rstate *dirty_list;
static double last_flush; /* monotonic ms of the last flush_dirty */

#define FLUSH_EVERY_MS 1000

/* ---- state ------------------------------------------------------------------------------------- */

static size_t state_hash(int64_t rule_id, int32_t device)
{
	uint64_t h = (uint64_t)rule_id * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uint32_t)device * 0xc2b2ae3d27d4eb4full;
	return (size_t)(h ^ (h >> 29)) & (STATE_BUCKETS - 1);
}

static rstate *state_get(int64_t rule_id, int32_t device, bool create)
{
	if (!buckets)
		buckets = yj_calloc(STATE_BUCKETS, sizeof *buckets);
	size_t h = state_hash(rule_id, device);
	for (rstate *rs = buckets[h]; rs; rs = rs->hash_next)
		if (rs->rule_id == rule_id && rs->device == device)
			return rs;
	if (!create)
		return NULL;
	rstate *rs = yj_calloc(1, sizeof *rs);
	rs->rule_id = rule_id;
	rs->device = device;
	rs->hash_next = buckets[h];
	buckets[h] = rs;
	if ((size_t)device >= cap_heads) {
		size_t old = cap_heads;
		dev_heads = yj_grow(dev_heads, &cap_heads, (size_t)device + 1, sizeof *dev_heads);
		memset(dev_heads + old, 0, (cap_heads - old) * sizeof *dev_heads);
	}
	rs->dev_next = dev_heads[device];
	dev_heads[device] = rs;
	return rs;
}

static rstate *device_states(int32_t device)
{
	return device >= 0 && (size_t)device < cap_heads ? dev_heads[device] : NULL;
}

static void states_free(void)
{
	for (size_t i = 0; buckets && i < STATE_BUCKETS; i++) {
		rstate *rs = buckets[i];
		while (rs) {
			rstate *next = rs->hash_next;
			free(rs->w);
			free(rs);
			rs = next;
		}
	}
	free(buckets);
	buckets = NULL;
	free(dev_heads);
	dev_heads = NULL;
	cap_heads = 0;
	dirty_list = NULL;
}

static void window_push(rstate *rs, int64_t ts, double v)
{
	if (rs->wn == rs->wcap) {
		size_t cap = rs->wcap ? rs->wcap * 2 : 16;
		sample *w = yj_malloc(cap * sizeof *w);
		for (size_t k = 0; k < rs->wn; k++)
			w[k] = rs->w[(rs->whead + k) % rs->wcap];
		free(rs->w);
		rs->w = w;
		rs->whead = 0;
		rs->wcap = cap;
	}
	rs->w[(rs->whead + rs->wn++) % rs->wcap] = (sample){ts, v};
}

static void touch(rstate *rs, int64_t ts, double value)
{
	if (ts > rs->last_ms)
		rs->last_ms = ts;
	rs->last_value = value;
	rs->dirty = true;
	if (!rs->listed) {
		rs->listed = true;
		rs->dirty_next = dirty_list;
		dirty_list = rs;
	}
}

static const wrule *rule_by_id(int64_t id)
{
	for (int i = 0; i < nrules; i++)
		if (rules[i].id == id)
			return &rules[i];
	return NULL;
}

static bool applies(const wrule *r, const tel_device *d)
{
	return r->enabled && (r->any_kind || r->kinds[d->kind]) && auth_scope_contains(&r->scope, d->area_code);
}

static int load_open_alarm(int64_t id, int64_t rule_id, const char *device_id, int64_t last_ms, double value,
                           void *ctx, yj_err *e)
{
	int32_t dev = tel_device_find(device_id);
	if (dev < 0)
		return 0;
	rstate *rs = state_get(rule_id, dev, true);
	rs->alarm_id = id;
	rs->last_ms = last_ms;
	rs->last_value = isnan(value) ? 0 : value;
	return 0;
}

static int warm_window(const char *device_id, int64_t ts_ms, double value, void *ctx, yj_err *e)
{
	const wrule *r = ctx;
	int32_t dev = tel_device_find(device_id);
	tel_device d;
	if (dev < 0 || !tel_device_get(dev, &d) || !applies(r, &d))
		return 0;
	window_push(state_get(r->id, dev, true), ts_ms, value);
	return 0;
}

/* rebuild the state from the open alarms and the recent readings; caller holds the lock */
static int load_state(store *s, yj_err *e)
{
	states_free();
	if (alarms_db_open_each(s, load_open_alarm, NULL, e))
		return -1;
	int64_t now = yj_now_ms();
	for (int i = 0; i < nrules; i++) {
		wrule *r = &rules[i];
		if (r->kind == RK_THRESHOLD && r->enabled &&
		    tel_readings_each(s, r->metric, now - r->window_ms - 3600000, warm_window, r, e))
			return -1;
	}
	return 0;
}

static int load_rules(store *s, yj_err *e);

static void noop(void *ctx)
{
}

static void mark_stale(void *ctx)
{
	atomic_store(&stale, true);
}

/*
 * The engine is about to change inside s's transaction: should it roll
 * back, rebuild rules and state from the store before the next use (memory
 * would have run ahead of it). Then make sure the engine is not stale now.
 * Caller holds the lock.
 */
static int begin_change(store *s, yj_err *e)
{
	store_after_commit(s, noop, mark_stale, NULL);
	if (atomic_exchange(&stale, false) && (load_rules(s, e) || load_state(s, e))) {
		atomic_store(&stale, true);
		return -1;
	}
	return 0;
}

/* ---- alarms ----------------------------------------------------------------------------------------- */

static int raise_alarm(store *s, const wrule *r, const tel_device *d, rstate *rs, int64_t ts, double value,
                       bool has_value, double lon, double lat, bool has_pt, const char *message, yj_err *e)
{
	alarm_new a = {.rule_id = r->id, .device_id = d->id, .level = r->level, .area_code = d->area_code,
	               .message = message, .has_value = has_value, .value = value, .has_point = has_pt,
	               .lon = lon, .lat = lat, .ts_ms = ts, .now_ms = yj_now_ms()};
	rules_facts(r, &a.facts);
	int64_t id;
	if (alarms_db_raise(s, &a, &id, e))
		return -1;
	rs->alarm_id = id;
	rs->last_ms = ts;
	rs->last_value = value;
	return rules_alarm_changed(s, NULL, id, "alarm.raise", e);
}

static int clear_alarm(store *s, rstate *rs, int64_t ts, yj_err *e)
{
	int64_t n = alarms_db_clear(s, rs->alarm_id, rs->last_ms > ts ? rs->last_ms : ts,
	                            rs->dirty ? rs->last_value : NAN, yj_now_ms(), e);
	if (n < 0)
		return -1;
	int64_t id = rs->alarm_id;
	rs->alarm_id = 0;
	rs->dirty = false;
	return n ? rules_alarm_changed(s, NULL, id, "alarm.clear", e) : 0;
}

static int flush_dirty(store *s, yj_err *e)
{
	last_flush = yj_mono_ms();
	rstate *rs = dirty_list;
	dirty_list = NULL;
	int rc = 0;
	while (rs) {
		rstate *next = rs->dirty_next;
		if (rc == 0 && rs->dirty && rs->alarm_id && alarms_db_touch(s, rs->alarm_id, rs->last_ms, rs->last_value, e) < 0)
			rc = -1;
		rs->dirty = rs->listed = false;
		rs->dirty_next = NULL;
		rs = next;
	}
	return rc;
}

/* ---- judging ------------------------------------------------------------------------------------------- */

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

static int eval_threshold(store *s, const wrule *r, const tel_device *d, int32_t dev, const tel_report *rep,
                          yj_err *e)
{
	rstate *rs = state_get(r->id, dev, true);
	window_push(rs, rep->ts_ms, rep->value);
	/* drop what fell out of the window (relative to the newest report) */
	int64_t newest = rep->ts_ms;
	for (size_t k = 0; k < rs->wn; k++)
		if (rs->w[(rs->whead + k) % rs->wcap].ts > newest)
			newest = rs->w[(rs->whead + k) % rs->wcap].ts;
	while (rs->wn && rs->w[rs->whead].ts <= newest - r->window_ms) {
		rs->whead = (rs->whead + 1) % rs->wcap;
		rs->wn--;
	}
	double sum = 0, mx = -INFINITY, mn = INFINITY;
	for (size_t k = 0; k < rs->wn; k++) {
		double v = rs->w[(rs->whead + k) % rs->wcap].v;
		sum += v;
		mx = fmax(mx, v);
		mn = fmin(mn, v);
	}
	double value;
	switch (r->agg) {
	case AGG_SUM: value = sum; break;
	case AGG_MAX: value = mx; break;
	case AGG_MIN: value = mn; break;
	case AGG_AVG: value = rs->wn ? sum / (double)rs->wn : 0; break;
	case AGG_COUNT: value = (double)rs->wn; break;
	default: value = rep->value; break;
	}
	if (!rs->alarm_id) {
		if (!compare(r->op, value, r->value))
			return 0;
		char label[320], msg[512];
		tel_device_label(s, d->id, label, sizeof label);
		rules_text_threshold(msg, sizeof msg, label, r, value);
		return raise_alarm(s, r, d, rs, rep->ts_ms, value, true, d->lon, d->lat, d->has_position, msg, e);
	}
	/* the episode lasts while the aggregate is still past clear_value (hysteresis:
	 * e.g. raise at >= 50, clear below 40 with clear_value 40) */
	if (!compare(r->op, value, r->clear_value))
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
		char label[320], msg[512];
		tel_device_label(s, d->id, label, sizeof label);
		rules_text_fence(msg, sizeof msg, label, d->kind, r);
		return raise_alarm(s, r, d, rs, rep->ts_ms, 0, false, rep->lon, rep->lat, true, msg, e);
	}
	if (open && clear)
		return clear_alarm(s, rs, rep->ts_ms, e);
	if (open)
		touch(rs, rep->ts_ms, 0);
	return 0;
}

/* judge a fence once per report (stamps[ri] says it was judged already); a fence with an open
 * episode of this device is judged even if it no longer applies, so that the episode can end */
static int judge_fence(store *s, int ri, bool open, const tel_device *d, const tel_report *rep, GEOSGeometry *pt,
                       yj_err *e)
{
	if (stamps[ri] == stamp || (!open && !applies(&rules[ri], d)))
		return 0;
	stamps[ri] = stamp;
	return eval_fence(s, &rules[ri], d, rep->device, rep, pt, e);
}

static int judge_position(store *s, const tel_device *d, const tel_report *rep, yj_err *e)
{
	rstate *mine = device_states(rep->device);
	if (!grid.cells && !grid.n_outside && !mine)
		return 0;
	if (++stamp == 0) {
		memset(stamps, 0, cap_stamps * sizeof *stamps);
		stamp = 1;
	}
	GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(gctx, rep->lon, rep->lat);
	if (!pt)
		return yj_fail(e, YJ_EINTERNAL, "", "cannot make a point");
	int rc = 0;
	/* candidates: fences whose cell holds the point, "exit" fences, and fences with an open episode */
	const int *cell = fence_grid_lookup(&grid, rep->lon, rep->lat);
	for (int k = 1; cell && k <= cell[0] && rc == 0; k++)
		rc = judge_fence(s, cell[k], false, d, rep, pt, e);
	for (int k = 0; k < grid.n_outside && rc == 0; k++)
		rc = judge_fence(s, grid.outside[k], false, d, rep, pt, e);
	for (rstate *rs = mine; rs && rc == 0; rs = rs->dev_next) {
		const wrule *r = rs->alarm_id ? rule_by_id(rs->rule_id) : NULL;
		if (r && r->kind == RK_GEOFENCE)
			rc = judge_fence(s, (int)(r - rules), true, d, rep, pt, e);
	}
	GEOSGeom_destroy_r(gctx, pt);
	return rc;
}

static int judge_batch(store *s, const tel_report *reports, size_t n, yj_err *e)
{
	if ((size_t)nrules > cap_stamps) {
		size_t old = cap_stamps;
		stamps = yj_grow(stamps, &cap_stamps, (size_t)nrules, sizeof *stamps);
		memset(stamps + old, 0, (cap_stamps - old) * sizeof *stamps);
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const tel_report *rep = &reports[i];
		tel_device d;
		if (!tel_device_get(rep->device, &d))
			continue;
		/* any report ends an offline episode */
		for (rstate *rs = device_states(rep->device); rs && rc == 0; rs = rs->dev_next) {
			const wrule *r = rs->alarm_id ? rule_by_id(rs->rule_id) : NULL;
			if (r && r->kind == RK_OFFLINE)
				rc = clear_alarm(s, rs, rep->ts_ms, e);
		}
		if (rc)
			break;
		if (rep->is_position) {
			rc = judge_position(s, &d, rep, e);
			continue;
		}
		for (int k = 0; k < nrules && rc == 0; k++)
			if (rules[k].kind == RK_THRESHOLD && applies(&rules[k], &d) && strcmp(rules[k].metric, rep->metric) == 0)
				rc = eval_threshold(s, &rules[k], &d, rep->device, rep, e);
	}
	return rc;
}

/* TEL_EV_BATCH, inside the writer's transaction: judge every report of the batch */
static int on_batch(store *s, const bus_event *ev, void *ctx, yj_err *e)
{
	const tel_report *reports = ev->payload;
	size_t n = ev->payload_len / sizeof *reports;
	pthread_mutex_lock(&lock);
	int rc = 0;
	if (running && nrules > 0) {
		rc = begin_change(s, e);
		if (rc == 0)
			rc = judge_batch(s, reports, n, e);
		/* under load the running episodes are written here, in the writer's own transaction */
		if (rc == 0 && dirty_list && yj_mono_ms() - last_flush >= FLUSH_EVERY_MS)
			rc = flush_dirty(s, e);
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

/* ---- offline devices: a scheduler job ------------------------------------------------------------------- */

static int raise_offline(store *s, const wrule *r, int64_t now, yj_err *e)
{
	int32_t count = tel_device_count();
	for (int32_t i = 0; i < count; i++) {
		tel_device d;
		if (!tel_device_get(i, &d) || d.disabled || !d.last_seen_ms || !applies(r, &d) ||
		    now - d.last_seen_ms < r->offline_ms)
			continue;
		rstate *rs = state_get(r->id, i, true);
		if (rs->alarm_id)
			continue;
		char label[320], msg[512];
		tel_device_label(s, d.id, label, sizeof label);
		rules_text_offline(msg, sizeof msg, label, r, now, d.last_seen_ms);
		if (raise_alarm(s, r, &d, rs, now, 0, false, d.lon, d.lat, d.has_position, msg, e))
			return -1;
	}
	return 0;
}

static int offline_tx(store *s, void *ctx, yj_err *e)
{
	int64_t now = *(const int64_t *)ctx;
	pthread_mutex_lock(&lock);
	int rc = running ? begin_change(s, e) : 0;
	for (int k = 0; running && k < nrules && rc == 0; k++)
		if (rules[k].kind == RK_OFFLINE && rules[k].enabled)
			rc = raise_offline(s, &rules[k], now, e);
	if (running && rc == 0)
		rc = flush_dirty(s, e);
	pthread_mutex_unlock(&lock);
	return rc;
}

/*
 * Once a second: raise offline alarms, and write the running episodes' last
 * report and value when no batch did it lately (the writer is idle). It
 * opens a transaction only when there is something to do, so that it does
 * not take the write lock from the telemetry writer every second for nothing.
 */
static int offline_job(store *s, int64_t now, void *ctx, yj_err *e)
{
	pthread_mutex_lock(&lock);
	bool work = running && dirty_list && yj_mono_ms() - last_flush >= 2 * FLUSH_EVERY_MS;
	for (int k = 0; running && !work && k < nrules; k++)
		work = rules[k].kind == RK_OFFLINE && rules[k].enabled;
	pthread_mutex_unlock(&lock);
	return work ? store_tx(s, offline_tx, &now, e) : 0;
}

/* ---- the table of rules --------------------------------------------------------------------------------- */

static void rules_free(void)
{
	for (int i = 0; i < nrules; i++)
		rule_release(gctx, &rules[i]);
	free(rules);
	rules = NULL;
	nrules = 0;
	cap_rules = 0;
	fence_grid_free(&grid);
}

static int load_rule(const rule_row *row, void *ctx, yj_err *e)
{
	store *s = ctx;
	wrule r;
	yj_err ce = {0};
	if (rule_compile(gctx, s, row, &r, &ce)) {
		yj_log(YJ_LOG_ERROR, "rule_load", "id=%lld message=\"%s\"", (long long)row->id, ce.message);
		return 0;
	}
	rules = yj_grow(rules, &cap_rules, (size_t)nrules + 1, sizeof *rules);
	rules[nrules++] = r;
	return 0;
}

/* caller holds the lock */
static int load_rules(store *s, yj_err *e)
{
	rules_free();
	int rc = rules_db_each(s, load_rule, s, e);
	fence_grid_build(&grid, rules, nrules);
	return rc;
}

int rules_engine_refresh(store *s, int64_t id, yj_err *e)
{
	rule_row row;
	int found = rules_db_get(s, id, &row, e);
	if (found < 0)
		return -1;
	int rc = 0;
	pthread_mutex_lock(&lock);
	if (gctx) {
		for (int i = 0; i < nrules; i++)
			if (rules[i].id == id) {
				rule_release(gctx, &rules[i]);
				memmove(&rules[i], &rules[i + 1], (size_t)(nrules - i - 1) * sizeof *rules);
				nrules--;
				break;
			}
		/* a new rule is compiled alone (reloading all of them made adding N rules O(N^2)) */
		wrule r;
		if (found && (rc = rule_compile(gctx, s, &row, &r, e)) == 0) {
			rules = yj_grow(rules, &cap_rules, (size_t)nrules + 1, sizeof *rules);
			rules[nrules++] = r;
		}
		fence_grid_build(&grid, rules, nrules);
	}
	pthread_mutex_unlock(&lock);
	if (found)
		rule_row_clear(&row);
	return rc;
}

int rules_engine_forget(store *s, int64_t rule_id, yj_err *e)
{
	pthread_mutex_lock(&lock);
	int rc = running ? begin_change(s, e) : 0;
	for (size_t i = 0; running && buckets && i < STATE_BUCKETS && rc == 0; i++)
		for (rstate *rs = buckets[i]; rs && rc == 0; rs = rs->hash_next)
			if (rs->rule_id == rule_id) {
				if (rs->alarm_id)
					rc = clear_alarm(s, rs, yj_now_ms(), e);
				rs->wn = 0;
			}
	/* and it judges nothing more until its new version (if any) is compiled after the commit */
	for (int i = 0; running && rc == 0 && i < nrules; i++)
		if (rules[i].id == rule_id && rules[i].enabled) {
			rules[i].enabled = false;
			fence_grid_build(&grid, rules, nrules);
		}
	pthread_mutex_unlock(&lock);
	return rc;
}

int warn_rules_start(store *s, yj_err *e)
{
	pthread_mutex_lock(&lock);
	if (!gctx)
		gctx = GEOS_init_r();
	int rc = load_rules(s, e);
	if (rc == 0)
		rc = load_state(s, e);
	atomic_store(&stale, false);
	running = rc == 0;
	int n = nrules;
	pthread_mutex_unlock(&lock);
	if (rc)
		return -1;
	static bool subscribed;
	if (!subscribed) {
		subscribed = true;
		bus_on_tx(TEL_EV_BATCH, on_batch, NULL);
		sched_every("rules.offline", 1000, offline_job, NULL, SCHED_NO_TX);
	}
	yj_log(YJ_LOG_INFO, "rules", "rules=%d", n);
	return 0;
}

void warn_rules_stop(void)
{
	pthread_mutex_lock(&lock);
	running = false;
	rules_free();
	states_free();
	free(stamps);
	stamps = NULL;
	cap_stamps = 0;
	if (gctx) {
		GEOS_finish_r(gctx);
		gctx = NULL;
	}
	pthread_mutex_unlock(&lock);
}
