/*
 * dispatch.c — recipients, their states, escalation, webhooks, transfers,
 * and the scheduler that moves time-driven things along.
 *
 * Recipients are resolved with set-based SQL (INSERT ... SELECT from the
 * user table by area prefix), so issuing to 100,000 people is one
 * statement per target area inside the issuing transaction, not 100,000
 * round trips. In-app delivery is immediate: the record is the inbox.
 *
 * The scheduler thread wakes twice a second: webhooks due (signed POSTs,
 * retried with exponential backoff), escalations due (no acknowledgement
 * within the level's limit → the duty officers one area level up, again
 * and again up to the city), and registered jobs (warning expiry). It reads
 * yj_now_ms(), so tests move time instead of waiting.
 */
#include <curl/curl.h>
#include <geos_c.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatch/disp_int.h"
#include "http/http.h"

static disp_config config = {.ack_limit_min = {60, 30, 20, 10}};
static char *webhook_secret;
static pthread_t sched;
static volatile bool sched_stop;
static bool sched_running;
static disp_job_fn jobs[8];
static int njobs;
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

void disp_set_job(disp_job_fn fn)
{
	for (int i = 0; i < njobs; i++)
		if (jobs[i] == fn)
			return;
	if (njobs < (int)YJ_ARRAY_LEN(jobs))
		jobs[njobs++] = fn;
}

int disp_level_index(const char *level)
{
	static const char *const levels[] = {"blue", "yellow", "orange", "red"};
	for (int i = 0; level && i < 4; i++)
		if (strcmp(levels[i], level) == 0)
			return i;
	return -1;
}

int64_t disp_ack_limit_ms(const char *level)
{
	int i = disp_level_index(level);
	return (int64_t)config.ack_limit_min[i < 0 ? 0 : i] * 60000;
}

/* ---- recipients ----------------------------------------------------------------------------- */

typedef struct warn_target {
	char level[8];
	json_t *areas, *polygons;
	int64_t issued_ms;
	char owner_area[16];
} warn_target;

static int load_target(store *s, int64_t id, warn_target *t, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT level, areas, polygons, issued_ms, area_code FROM warning WHERE id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(t->level, sizeof t->level, "%s", (const char *)sqlite3_column_text(st, 0));
		t->areas = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
		t->polygons = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
		t->issued_ms = sqlite3_column_int64(st, 3);
		snprintf(t->owner_area, sizeof t->owner_area, "%s", (const char *)sqlite3_column_text(st, 4));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no warning %lld", (long long)id);
	return 0;
}

static void free_target(warn_target *t)
{
	json_decref(t->areas);
	json_decref(t->polygons);
}

/* risk points inside the warning's polygons: (id, grid worker) pairs */
static int risk_points_in_polygons(store *s, json_t *polygons, int (*fn)(store *, void *, int64_t, int64_t, const char *, int64_t),
                                   void *ctx, yj_err *e)
{
	if (json_array_size(polygons) == 0)
		return 0;
	GEOSContextHandle_t g = GEOS_init_r();
	GEOSGeoJSONReader *rd = GEOSGeoJSONReader_create_r(g);
	int rc = 0;
	size_t i;
	json_t *p;
	json_array_foreach(polygons, i, p) {
		char *txt = json_dumps(p, JSON_COMPACT);
		GEOSGeometry *geom = GEOSGeoJSONReader_readGeometry_r(g, rd, txt);
		free(txt);
		if (!geom)
			continue;
		const GEOSPreparedGeometry *prep = GEOSPrepare_r(g, geom);
		double x0, y0, x1, y1;
		GEOSGeom_getXMin_r(g, geom, &x0);
		GEOSGeom_getYMin_r(g, geom, &y0);
		GEOSGeom_getXMax_r(g, geom, &x1);
		GEOSGeom_getYMax_r(g, geom, &y1);
		sqlite3_stmt *st = store_stmt(s,
		                              "SELECT e.id, e.lon, e.lat, e.grid_worker_id, e.area_code, coalesce(e.population, 0) "
		                              "FROM risk_point_rtree r CROSS JOIN risk_point e ON e.id = r.id "
		                              "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 AND r.max_lat >= ?2",
		                              e);
		if (!st) {
			rc = -1;
		} else {
			sqlite3_bind_double(st, 1, x0);
			sqlite3_bind_double(st, 2, y0);
			sqlite3_bind_double(st, 3, x1);
			sqlite3_bind_double(st, 4, y1);
			/* collect first: fn runs statements of its own */
			size_t n = 0, cap = 64;
			struct hit { int64_t id, worker, pop; char area[16]; } *hits = malloc(cap * sizeof *hits);
			while (sqlite3_step(st) == SQLITE_ROW) {
				GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(g, sqlite3_column_double(st, 1), sqlite3_column_double(st, 2));
				bool in = GEOSPreparedIntersects_r(g, prep, pt) == 1;
				GEOSGeom_destroy_r(g, pt);
				if (!in)
					continue;
				if (n == cap)
					hits = realloc(hits, (cap *= 2) * sizeof *hits);
				hits[n].id = sqlite3_column_int64(st, 0);
				hits[n].worker = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3);
				snprintf(hits[n].area, sizeof hits[n].area, "%s", (const char *)sqlite3_column_text(st, 4));
				hits[n].pop = sqlite3_column_int64(st, 5);
				n++;
			}
			sqlite3_reset(st);
			for (size_t k = 0; k < n && rc == 0; k++)
				rc = fn(s, ctx, hits[k].id, hits[k].worker, hits[k].area, hits[k].pop);
			free(hits);
		}
		GEOSPreparedGeom_destroy_r(g, prep);
		GEOSGeom_destroy_r(g, geom);
		if (rc)
			break;
	}
	GEOSGeoJSONReader_destroy_r(g, rd);
	GEOS_finish_r(g);
	return rc;
}

typedef struct add_ctx {
	int64_t warning_id;
	int version;
	int64_t now, next_escalation;
	bool evacuation;
} add_ctx;

static int add_worker_of_point(store *s, void *ctx, int64_t rp, int64_t worker, const char *area, int64_t pop)
{
	add_ctx *c = ctx;
	if (!worker)
		return 0;
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT OR IGNORE INTO recipient(warning_id, user_id, area_code, channel, state, version, "
	                              "queued_ms, sent_ms, delivered_ms, next_escalation_ms) SELECT ?1, id, area_code, 'in_app', "
	                              "'delivered', ?2, ?3, ?3, ?3, ?4 FROM user WHERE id = ?5 AND disabled = 0",
	                              NULL);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, c->warning_id);
	sqlite3_bind_int(st, 2, c->version);
	sqlite3_bind_int64(st, 3, c->now);
	sqlite3_bind_int64(st, 4, c->next_escalation);
	sqlite3_bind_int64(st, 5, worker);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int add_task(store *s, void *ctx, int64_t rp, int64_t worker, const char *area, int64_t pop)
{
	add_ctx *c = ctx;
	if (pop <= 0)
		return 0;
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO transfer_task(warning_id, risk_point_id, area_code, grid_worker_id, planned, "
	                              "state, created_ms, updated_ms) SELECT ?1, ?2, ?3, coalesce(?4, (SELECT id FROM user WHERE "
	                              "role = 'grid_worker' AND disabled = 0 AND substr(area_code, 1, 9) = substr(?3, 1, 9) "
	                              "ORDER BY id LIMIT 1)), ?5, 'open', ?6, ?6 WHERE NOT EXISTS (SELECT 1 FROM transfer_task "
	                              "WHERE warning_id = ?1 AND risk_point_id = ?2)",
	                              NULL);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, c->warning_id);
	sqlite3_bind_int64(st, 2, rp);
	store_bind_text(st, 3, area);
	if (worker)
		sqlite3_bind_int64(st, 4, worker);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, pop);
	sqlite3_bind_int64(st, 6, c->now);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

long disp_warning_version(store *s, int64_t warning_id, int version, bool evacuation, yj_err *e)
{
	warn_target t = {0};
	if (load_target(s, warning_id, &t, e))
		return -1;
	add_ctx c = {.warning_id = warning_id, .version = version, .now = yj_now_ms(), .evacuation = evacuation};
	c.next_escalation = c.now + disp_ack_limit_ms(t.level);
	long rc = 0;
	sqlite3_stmt *st;
	if (version > 1) {
		/* an update: everyone already told is told again and must confirm the new version */
		st = store_stmt(s,
		                "UPDATE recipient SET version = ?1, state = CASE WHEN channel = 'in_app' THEN 'delivered' ELSE 'queued' END, "
		                "delivered_ms = CASE WHEN channel = 'in_app' THEN ?2 ELSE NULL END, read_ms = NULL, acked_ms = NULL, "
		                "sent_ms = CASE WHEN channel = 'in_app' THEN ?2 ELSE NULL END, failed_ms = NULL, fail_reason = NULL, "
		                "attempts = 0, next_attempt_ms = CASE WHEN channel = 'in_app' THEN NULL ELSE ?2 END, escalations = 0, "
		                "next_escalation_ms = CASE WHEN channel = 'in_app' THEN ?3 ELSE NULL END WHERE warning_id = ?4",
		                e);
		if (!st)
			goto fail;
		sqlite3_bind_int(st, 1, version);
		sqlite3_bind_int64(st, 2, c.now);
		sqlite3_bind_int64(st, 3, c.next_escalation);
		sqlite3_bind_int64(st, 4, warning_id);
		int step = sqlite3_step(st);
		sqlite3_reset(st);
		if (step != SQLITE_DONE)
			goto sqlfail;
		st = store_stmt(s, "UPDATE escalation SET resolved_ms = ? WHERE warning_id = ? AND resolved_ms IS NULL", e);
		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, c.now);
		sqlite3_bind_int64(st, 2, warning_id);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	/* grid workers and duty officers of every target area's subtree */
	st = store_stmt(s,
	                "INSERT OR IGNORE INTO recipient(warning_id, user_id, area_code, channel, state, version, queued_ms, "
	                "sent_ms, delivered_ms, next_escalation_ms) SELECT ?1, id, area_code, 'in_app', 'delivered', ?2, ?3, ?3, "
	                "?3, ?4 FROM user WHERE disabled = 0 AND role IN ('grid_worker', 'duty_officer') "
	                "AND area_code >= ?5 AND area_code < ?5 || ':'",
	                e);
	if (!st)
		goto fail;
	size_t i;
	json_t *a;
	json_array_foreach(t.areas, i, a) {
		char prefix[16];
		auth_area_prefix(json_string_value(a), prefix);
		sqlite3_bind_int64(st, 1, warning_id);
		sqlite3_bind_int(st, 2, version);
		sqlite3_bind_int64(st, 3, c.now);
		sqlite3_bind_int64(st, 4, c.next_escalation);
		store_bind_text(st, 5, prefix);
		int step = sqlite3_step(st);
		sqlite3_reset(st);
		if (step != SQLITE_DONE)
			goto sqlfail;
	}
	/* grid workers bound to risk points inside the polygons */
	if (risk_points_in_polygons(s, t.polygons, add_worker_of_point, &c, e))
		goto sqlfail;
	/* member units (成员单位) inside the issuing jurisdiction or above it (a city-wide SMS
	 * gateway serves the counties too): a webhook each, or a log line in drills */
	st = store_stmt(s,
	                "INSERT OR IGNORE INTO recipient(warning_id, unit_id, area_code, channel, state, version, queued_ms, "
	                "next_attempt_ms) SELECT ?1, id, area_code, ?2, 'queued', ?3, ?4, ?4 FROM member_unit "
	                "WHERE enabled = 1 AND (substr(area_code, 1, length(?5)) = ?5 OR substr(?6, 1, length(CASE WHEN "
	                "length(area_code) = 6 AND substr(area_code, 5, 2) = '00' THEN substr(area_code, 1, 4) ELSE area_code END)) "
	                "= CASE WHEN length(area_code) = 6 AND substr(area_code, 5, 2) = '00' THEN substr(area_code, 1, 4) "
	                "ELSE area_code END)",
	                e);
	if (!st)
		goto fail;
	char owner_prefix[16];
	auth_area_prefix(t.owner_area, owner_prefix);
	sqlite3_bind_int64(st, 1, warning_id);
	store_bind_text(st, 2, config.drill ? "log" : "webhook");
	sqlite3_bind_int(st, 3, version);
	sqlite3_bind_int64(st, 4, c.now);
	store_bind_text(st, 5, owner_prefix);
	store_bind_text(st, 6, t.owner_area);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		goto sqlfail;
	}
	sqlite3_reset(st);
	/* evacuations (临灾转移): a transfer task per risk point at risk */
	if (evacuation) {
		st = store_stmt(s,
		                "SELECT id, coalesce(grid_worker_id, 0), area_code, coalesce(population, 0) FROM risk_point "
		                "WHERE area_code >= ?1 AND area_code < ?1 || ':'",
		                e);
		if (!st)
			goto fail;
		json_array_foreach(t.areas, i, a) {
			char prefix[16];
			auth_area_prefix(json_string_value(a), prefix);
			store_bind_text(st, 1, prefix);
			size_t n = 0, cap = 64;
			struct hit { int64_t id, worker, pop; char area[16]; } *hits = malloc(cap * sizeof *hits);
			while (sqlite3_step(st) == SQLITE_ROW) {
				if (n == cap)
					hits = realloc(hits, (cap *= 2) * sizeof *hits);
				hits[n].id = sqlite3_column_int64(st, 0);
				hits[n].worker = sqlite3_column_int64(st, 1);
				snprintf(hits[n].area, sizeof hits[n].area, "%s", (const char *)sqlite3_column_text(st, 2));
				hits[n].pop = sqlite3_column_int64(st, 3);
				n++;
			}
			sqlite3_reset(st);
			int trc = 0;
			for (size_t k = 0; k < n && trc == 0; k++)
				trc = add_task(s, &c, hits[k].id, hits[k].worker, hits[k].area, hits[k].pop);
			free(hits);
			if (trc)
				goto sqlfail;
			st = store_stmt(s,
			                "SELECT id, coalesce(grid_worker_id, 0), area_code, coalesce(population, 0) FROM risk_point "
			                "WHERE area_code >= ?1 AND area_code < ?1 || ':'",
			                e);
		}
		if (risk_points_in_polygons(s, t.polygons, add_task, &c, e))
			goto sqlfail;
		/* the grid workers of the tasks must hear of the warning too */
		st = store_stmt(s,
		                "INSERT OR IGNORE INTO recipient(warning_id, user_id, area_code, channel, state, version, queued_ms, "
		                "sent_ms, delivered_ms, next_escalation_ms) SELECT ?1, u.id, u.area_code, 'in_app', 'delivered', ?2, "
		                "?3, ?3, ?3, ?4 FROM transfer_task t JOIN user u ON u.id = t.grid_worker_id WHERE t.warning_id = ?1",
		                e);
		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, warning_id);
		sqlite3_bind_int(st, 2, version);
		sqlite3_bind_int64(st, 3, c.now);
		sqlite3_bind_int64(st, 4, c.next_escalation);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	st = store_stmt(s, "SELECT count(*) FROM recipient WHERE warning_id = ? AND channel = 'in_app'", e);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, warning_id);
	rc = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)warning_id);
	json_t *summary = json_pack("{s:i, s:I}", "version", version, "recipients", (json_int_t)rc);
	int arc = audit_append(s, NULL, "warning.dispatch", "dispatch", idbuf, summary, e);
	json_decref(summary);
	free_target(&t);
	return arc ? -1 : rc;
sqlfail:
	store_fail(s, e, "dispatch");
fail:
	free_target(&t);
	return -1;
}

int disp_warning_cancelled(store *s, int64_t warning_id, int version, yj_err *e)
{
	int64_t now = yj_now_ms();
	/* the cancellation is told like an update, nobody needs to confirm it, nothing escalates */
	sqlite3_stmt *st = store_stmt(s,
	                              "UPDATE recipient SET version = ?1, next_escalation_ms = NULL, "
	                              "state = CASE WHEN channel = 'in_app' THEN state ELSE 'queued' END, "
	                              "next_attempt_ms = CASE WHEN channel = 'in_app' THEN NULL ELSE ?2 END, attempts = 0 "
	                              "WHERE warning_id = ?3",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, version);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, warning_id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cancel dispatch");
	st = store_stmt(s, "UPDATE escalation SET resolved_ms = ? WHERE warning_id = ? AND resolved_ms IS NULL", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, warning_id);
	sqlite3_step(st);
	sqlite3_reset(st);
	st = store_stmt(s, "UPDATE transfer_task SET state = 'closed', closed_reason = 'warning cancelled', closed_ms = ?1, "
	                   "updated_ms = ?1 WHERE warning_id = ?2 AND state = 'open'",
	                e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, warning_id);
	sqlite3_step(st);
	sqlite3_reset(st);
	return 0;
}

void disp_announce(int64_t warning_id)
{
	/* inbox streams: every in-app recipient of the warning whose stream is open */
	char data[96];
	snprintf(data, sizeof data, "{\"warning_id\":%lld}", (long long)warning_id);
	disp_publish_warning(warning_id, "warning", data);
	char topic[48];
	snprintf(topic, sizeof topic, "loop:%lld", (long long)warning_id);
	http_sse_publish(topic, "loop", NULL, NULL, data);
	pthread_mutex_lock(&wake_lock);
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&wake_lock);
}

/* ---- escalation ----------------------------------------------------------------------------- */

/* the area one level up: village -> town -> county -> city; "" above the city */
void disp_parent_area(store *s, const char *code, char out[16])
{
	out[0] = 0;
	sqlite3_stmt *st = store_stmt(s, "SELECT parent FROM area WHERE code = ?", NULL);
	if (!st)
		return;
	store_bind_text(st, 1, code);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		snprintf(out, 16, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
}

#define ESCALATE_BATCH 2000 /* escalations in one transaction */

/* the events of one pass, told only once its transaction has committed */
typedef struct esc_event {
	int64_t user_id;  /* a supervisor's inbox, or 0: the warning's loop stream */
	int64_t warning;
	char data[160];
} esc_event;
typedef struct esc_events {
	esc_event *v;
	size_t n, cap;
} esc_events;

static void esc_event_add(esc_events *ev, int64_t user_id, int64_t warning, const char *data)
{
	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 256;
		esc_event *v = realloc(ev->v, cap * sizeof *v);
		if (!v)
			return; /* an event less; the loop view still shows the escalation */
		ev->v = v;
		ev->cap = cap;
	}
	esc_event *x = &ev->v[ev->n++];
	x->user_id = user_id;
	x->warning = warning;
	snprintf(x->data, sizeof x->data, "%s", data);
}

/* after the commit: supervisors' inboxes and the loop streams */
static void esc_events_publish(esc_events *ev)
{
	for (size_t i = 0; i < ev->n; i++) {
		if (ev->v[i].user_id) {
			disp_publish_user(ev->v[i].user_id, "escalation", ev->v[i].data);
		} else {
			char topic[48];
			snprintf(topic, sizeof topic, "loop:%lld", (long long)ev->v[i].warning);
			http_sse_publish(topic, "escalation", NULL, NULL, ev->v[i].data);
		}
	}
	ev->n = 0;
}

/* escalate up to ESCALATE_BATCH recipients whose deadline passed; *count gets how many, ev the
 * events to tell once the caller's transaction has committed */
static int escalate_due(store *s, int64_t now, long *count, esc_events *ev, yj_err *e)
{
	*count = 0;
	/* acknowledging leaves next_escalation_ms alone (one random index page less to write per
	 * ack, the hottest write): those who answered in time leave the index here, in bulk, once
	 * their deadline passes; what stays due has not answered */
	sqlite3_stmt *st = store_stmt(s,
	                              /* a bounded pass (a city-wide deadline clears 100,000 rows over a few ticks
	                               * instead of holding the write lock for all of them at once) */
	                              "UPDATE recipient SET next_escalation_ms = NULL WHERE id IN (SELECT id FROM recipient "
	                              "WHERE next_escalation_ms <= ? AND state IN ('acknowledged', 'failed') LIMIT 20000)",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	int urc = sqlite3_step(st);
	sqlite3_reset(st);
	if (urc != SQLITE_DONE)
		return store_fail(s, e, "clear answered deadlines");
	st = store_stmt(s,
	                              /* CROSS JOIN keeps the recipient_escalation index in front: a scan of every
	                               * recipient of every issued warning twice a second held the write lock */
	                              "SELECT r.id, r.warning_id, r.area_code, r.escalations, w.level FROM recipient r "
	                              "CROSS JOIN warning w ON w.id = r.warning_id WHERE r.next_escalation_ms <= ? "
	                              "AND r.state NOT IN ('acknowledged', 'failed') AND w.state = 'issued' LIMIT ?2",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, ESCALATE_BATCH);
	typedef struct due { int64_t id, warning; int step; char area[16], level[8]; } due;
	size_t n = 0, cap = 256;
	due *d = malloc(cap * sizeof *d);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			d = realloc(d, (cap *= 2) * sizeof *d);
		d[n].id = sqlite3_column_int64(st, 0);
		d[n].warning = sqlite3_column_int64(st, 1);
		snprintf(d[n].area, sizeof d[n].area, "%s", (const char *)sqlite3_column_text(st, 2));
		d[n].step = sqlite3_column_int(st, 3) + 1;
		snprintf(d[n].level, sizeof d[n].level, "%s", (const char *)sqlite3_column_text(st, 4));
		n++;
	}
	sqlite3_reset(st);
	*count = (long)n;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		/* step k goes k levels up from the recipient's area, skipping levels with no one on duty */
		char from[16], to[16];
		snprintf(from, sizeof from, "%s", d[i].area);
		for (int k = 1; k < d[i].step; k++) {
			char up[16];
			disp_parent_area(s, from, up);
			if (!up[0])
				break;
			snprintf(from, sizeof from, "%s", up);
		}
		json_t *sup = json_array();
		to[0] = 0;
		char cur[16];
		snprintf(cur, sizeof cur, "%s", from);
		for (;;) {
			disp_parent_area(s, cur, to);
			if (!to[0])
				break;
			sqlite3_stmt *q = store_stmt(s,
			                             "SELECT id FROM user WHERE area_code = ? AND role IN ('duty_officer', 'commander') "
			                             "AND disabled = 0 ORDER BY role = 'commander', id",
			                             e);
			if (!q) {
				rc = -1;
				break;
			}
			store_bind_text(q, 1, to);
			while (sqlite3_step(q) == SQLITE_ROW)
				json_array_append_new(sup, json_integer(sqlite3_column_int64(q, 0)));
			sqlite3_reset(q);
			if (json_array_size(sup))
				break;
			snprintf(cur, sizeof cur, "%s", to);
		}
		bool at_top = false;
		if (to[0]) {
			char above[16];
			disp_parent_area(s, to, above);
			at_top = !above[0];
			char *sup_txt = json_dumps(sup, JSON_COMPACT);
			sqlite3_stmt *ins = store_stmt(s,
			                               "INSERT INTO escalation(warning_id, recipient_id, step, from_area, to_area, supervisors, "
			                               "created_ms) VALUES (?,?,?,?,?,?,?)",
			                               e);
			if (ins) {
				sqlite3_bind_int64(ins, 1, d[i].warning);
				sqlite3_bind_int64(ins, 2, d[i].id);
				sqlite3_bind_int(ins, 3, d[i].step);
				store_bind_text(ins, 4, d[i].area);
				store_bind_text(ins, 5, to);
				sqlite3_bind_text(ins, 6, sup_txt ? sup_txt : "[]", -1, free);
				sqlite3_bind_int64(ins, 7, now);
				if (sqlite3_step(ins) != SQLITE_DONE)
					rc = store_fail(s, e, "escalate");
				sqlite3_reset(ins);
			} else {
				free(sup_txt);
				rc = -1;
			}
			if (rc == 0) {
				char data[160];
				snprintf(data, sizeof data, "{\"warning_id\":%lld,\"recipient_id\":%lld,\"step\":%d,\"to_area\":\"%s\"}",
				         (long long)d[i].warning, (long long)d[i].id, d[i].step, to);
				size_t k;
				json_t *u;
				json_array_foreach(sup, k, u) esc_event_add(ev, json_integer_value(u), d[i].warning, data);
				esc_event_add(ev, 0, d[i].warning, data);
			}
		}
		json_decref(sup);
		if (rc)
			break;
		/* again after another limit, until the city has been told */
		sqlite3_stmt *up = store_stmt(s, "UPDATE recipient SET escalations = ?, next_escalation_ms = ? WHERE id = ?", e);
		if (!up) {
			rc = -1;
			break;
		}
		sqlite3_bind_int(up, 1, d[i].step);
		if (!to[0] || at_top)
			sqlite3_bind_null(up, 2);
		else
			sqlite3_bind_int64(up, 2, now + disp_ack_limit_ms(d[i].level));
		sqlite3_bind_int64(up, 3, d[i].id);
		if (sqlite3_step(up) != SQLITE_DONE)
			rc = store_fail(s, e, "count the escalation");
		sqlite3_reset(up);
	}
	free(d);
	return rc;
}

/* ---- webhooks --------------------------------------------------------------------------------- */

typedef struct hook_job {
	int64_t recipient, warning;
	int version, attempts;
	char channel[16];
	char url[512];
	char *body;
} hook_job;

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	return size * n;
}

/* POST body to url, signed; 0 on 2xx, else -1 and reason */
static int post_signed(const char *url, const char *body, char reason[200])
{
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(reason, 200, "cannot start an HTTP client");
		return -1;
	}
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Type: application/json");
	char ts[64], sig[128];
	int64_t now = yj_now_ms();
	snprintf(ts, sizeof ts, "X-Yingji-Timestamp: %lld", (long long)(now / 1000));
	h = curl_slist_append(h, ts);
	if (webhook_secret) {
		/* HMAC-SHA256 over "<timestamp>.<body>", so a captured body cannot be replayed later */
		unsigned char mac[crypto_auth_hmacsha256_BYTES];
		crypto_auth_hmacsha256_state st;
		crypto_auth_hmacsha256_init(&st, (const unsigned char *)webhook_secret, strlen(webhook_secret));
		char tsv[32];
		int tn = snprintf(tsv, sizeof tsv, "%lld.", (long long)(now / 1000));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)tsv, (unsigned long long)tn);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
		crypto_auth_hmacsha256_final(&st, mac);
		char hex[2 * sizeof mac + 1];
		yj_hex(mac, sizeof mac, hex);
		snprintf(sig, sizeof sig, "X-Yingji-Signature: sha256=%s", hex);
		h = curl_slist_append(h, sig);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(reason, 200, "%s", curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status > 299) {
		snprintf(reason, 200, "HTTP %ld", status);
		return -1;
	}
	return 0;
}

#define WEBHOOK_MAX_ATTEMPTS 8

static void webhooks_due(store *s, int64_t now)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT r.id, r.warning_id, r.version, r.attempts, r.channel, u.webhook_url, w.snapshot, "
	                              "w.msg_type FROM recipient r JOIN member_unit u ON u.id = r.unit_id "
	                              "JOIN warning_version w ON w.warning_id = r.warning_id AND w.version = r.version "
	                              "WHERE r.next_attempt_ms <= ? AND r.state IN ('queued', 'sent') LIMIT 20",
	                              NULL);
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, now);
	hook_job hooks[20];
	int n = 0;
	while (n < 20 && sqlite3_step(st) == SQLITE_ROW) {
		hook_job *j = &hooks[n++];
		j->recipient = sqlite3_column_int64(st, 0);
		j->warning = sqlite3_column_int64(st, 1);
		j->version = sqlite3_column_int(st, 2);
		j->attempts = sqlite3_column_int(st, 3);
		snprintf(j->channel, sizeof j->channel, "%s", (const char *)sqlite3_column_text(st, 4));
		snprintf(j->url, sizeof j->url, "%s", (const char *)sqlite3_column_text(st, 5));
		json_t *snap = json_loads((const char *)sqlite3_column_text(st, 6), 0, NULL);
		json_t *msg = json_pack("{s:I, s:I, s:i, s:s, s:O}", "recipient_id", (json_int_t)j->recipient, "warning_id",
		                        (json_int_t)j->warning, "version", j->version, "msg_type",
		                        (const char *)sqlite3_column_text(st, 7), "warning", snap);
		j->body = json_dumps(msg, JSON_COMPACT);
		json_decref(msg);
		json_decref(snap);
	}
	sqlite3_reset(st);
	for (int i = 0; i < n; i++) {
		hook_job *j = &hooks[i];
		char reason[200] = "";
		int ok;
		if (strcmp(j->channel, "log") == 0) {
			/* drills: the message is recorded, not sent */
			yj_log(YJ_LOG_INFO, "dispatch_log", "recipient=%lld warning=%lld version=%d bytes=%zu",
			       (long long)j->recipient, (long long)j->warning, j->version, strlen(j->body));
			ok = 0;
		} else {
			ok = post_signed(j->url, j->body, reason);
		}
		int attempts = j->attempts + 1;
		int64_t t = yj_now_ms();
		sqlite3_stmt *up;
		if (ok == 0) {
			up = store_stmt(s,
			                "UPDATE recipient SET state = 'delivered', attempts = ?1, sent_ms = ?2, delivered_ms = ?2, "
			                "next_attempt_ms = NULL, fail_reason = NULL WHERE id = ?3 AND version = ?4",
			                NULL);
		} else if (attempts >= WEBHOOK_MAX_ATTEMPTS) {
			up = store_stmt(s,
			                "UPDATE recipient SET state = 'failed', attempts = ?1, failed_ms = ?2, next_attempt_ms = NULL, "
			                "fail_reason = ?5 WHERE id = ?3 AND version = ?4",
			                NULL);
		} else {
			/* 2, 4, 8 ... seconds, at most ten minutes */
			up = store_stmt(s,
			                "UPDATE recipient SET state = 'sent', attempts = ?1, sent_ms = coalesce(sent_ms, ?2), "
			                "next_attempt_ms = ?2 + ?6, fail_reason = ?5 WHERE id = ?3 AND version = ?4",
			                NULL);
		}
		if (up) {
			sqlite3_bind_int(up, 1, attempts);
			sqlite3_bind_int64(up, 2, t);
			sqlite3_bind_int64(up, 3, j->recipient);
			sqlite3_bind_int(up, 4, j->version);
			if (ok != 0)
				store_bind_text(up, 5, reason);
			if (ok != 0 && attempts < WEBHOOK_MAX_ATTEMPTS) {
				int64_t backoff = 1000LL << (attempts > 9 ? 9 : attempts);
				sqlite3_bind_int64(up, 6, backoff > 600000 ? 600000 : backoff);
			}
			sqlite3_step(up);
			sqlite3_reset(up);
		}
		yj_log(ok == 0 ? YJ_LOG_INFO : YJ_LOG_WARN, "webhook", "recipient=%lld attempt=%d result=%s", (long long)j->recipient,
		       attempts, ok == 0 ? "delivered" : reason);
		free(j->body);
		char topic[48], data[96];
		snprintf(topic, sizeof topic, "loop:%lld", (long long)j->warning);
		snprintf(data, sizeof data, "{\"warning_id\":%lld}", (long long)j->warning);
		http_sse_publish(topic, "loop", NULL, NULL, data);
	}
}

/* ---- the scheduler ------------------------------------------------------------------------------ */

static void *sched_main(void *arg)
{
	store *s = store_thread();
	esc_events events = {0};
	while (!sched_stop) {
		pthread_mutex_lock(&wake_lock);
		struct timespec ts;
		yj_deadline_in(500, &ts);
		pthread_cond_timedwait(&wake, &wake_lock, &ts);
		pthread_mutex_unlock(&wake_lock);
		if (sched_stop || !s)
			break;
		int64_t now = yj_now_ms();
		yj_err e = {0};
		long escalated = 0;
		double t0 = yj_mono_ms();
		if (store_begin(s, &e) == 0) {
			int rc = escalate_due(s, now, &escalated, &events, &e);
			for (int i = 0; i < njobs && rc == 0; i++)
				rc = jobs[i](s, now, &e);
			if (rc || store_commit(s, &e)) {
				store_rollback(s);
				escalated = 0;
				events.n = 0;
				yj_log(YJ_LOG_ERROR, "scheduler", "message=\"%s\"", e.message);
			}
			esc_events_publish(&events);
		}
		/* a wave (a city-wide deadline): more batches in this tick, each its own transaction so
		 * that acknowledgements get the write lock between them, for at most ~300 ms */
		while (escalated == ESCALATE_BATCH && yj_mono_ms() - t0 < 300 && !sched_stop) {
			if (store_begin(s, &e) != 0)
				break;
			if (escalate_due(s, now, &escalated, &events, &e) || store_commit(s, &e)) {
				store_rollback(s);
				events.n = 0;
				yj_log(YJ_LOG_ERROR, "scheduler", "message=\"%s\"", e.message);
				break;
			}
			esc_events_publish(&events);
		}
		/* webhook calls happen outside any transaction; each result is its own small write */
		webhooks_due(s, now);
	}
	free(events.v);
	return NULL;
}

int disp_start(const disp_config *cfg, yj_err *e)
{
	if (cfg)
		config = *cfg;
	free(webhook_secret);
	webhook_secret = cfg && cfg->webhook_secret ? strdup(cfg->webhook_secret) : NULL;
	for (int i = 0; i < 4; i++)
		if (config.ack_limit_min[i] <= 0)
			config.ack_limit_min[i] = (int[]){60, 30, 20, 10}[i];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sched_stop = false;
	if (pthread_create(&sched, NULL, sched_main, NULL) != 0)
		return yj_fail(e, YJ_EINTERNAL, "", "cannot start the dispatch scheduler");
	sched_running = true;
	return 0;
}

void disp_stop(void)
{
	if (!sched_running)
		return;
	sched_stop = true;
	pthread_mutex_lock(&wake_lock);
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&wake_lock);
	pthread_join(sched, NULL);
	sched_running = false;
	curl_global_cleanup();
	if (webhook_secret) {
		sodium_memzero(webhook_secret, strlen(webhook_secret));
		free(webhook_secret);
		webhook_secret = NULL;
	}
}
