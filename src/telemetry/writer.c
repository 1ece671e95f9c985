/*
 * writer.c — one writer thread writes every queued report with group commit.
 *
 * Every connection (HTTP or MQTT) parses its own body (ingest.c), queues
 * the good reports and waits. The writer takes everything queued and
 * writes it in one transaction: the inserts, then the event TEL_EV_BATCH,
 * whose in-transaction subscribers (the monitoring rules) judge the batch
 * there, so alarms are durable with the reports that raised them. Then it
 * commits (synchronous=FULL: on disk) and wakes the waiters whose reports
 * are in. While it writes, the next batch gathers, so under load a commit
 * carries many requests' reports: one fsync for thousands of reports.
 * After the commit it folds the newest positions into the in-memory latest
 * state and, when a map is listening, tells it (TEL_EV_POSITION).
 *
 * The writer knows nothing of its listeners: it emits events on the bus.
 */
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "telemetry/tel_int.h"

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER; /* work for the writer */
static pthread_cond_t dcond = PTHREAD_COND_INITIALIZER; /* a batch finished */
static tel_report *pending;
static size_t npending, cap_pending;
static uint64_t next_seq, done_seq, failed_lo, failed_hi;
static bool running, stopping;
static pthread_t writer;
static tel_config config;

uint64_t tel_queue(const tel_report *r, size_t n)
{
	pthread_mutex_lock(&qlock);
	if (!running || stopping) {
		pthread_mutex_unlock(&qlock);
		return 0;
	}
	if (cap_pending < 4096)
		pending = yj_grow(pending, &cap_pending, 4096, sizeof *pending);
	pending = yj_grow(pending, &cap_pending, npending + n, sizeof *pending);
	memcpy(pending + npending, r, n * sizeof *r);
	npending += n;
	next_seq += n;
	uint64_t seq = next_seq;
	pthread_cond_signal(&qcond);
	pthread_mutex_unlock(&qlock);
	return seq;
}

int tel_wait_durable(uint64_t seq, yj_err *e)
{
	pthread_mutex_lock(&qlock);
	while (done_seq < seq && running)
		pthread_cond_wait(&dcond, &qlock);
	bool ok = done_seq >= seq && !(seq >= failed_lo && seq <= failed_hi);
	pthread_mutex_unlock(&qlock);
	if (!ok)
		return yj_fail(e, YJ_EUNAVAILABLE, "", "the reports could not be stored; send them again");
	return 0;
}

/* ---- the batch -------------------------------------------------------------------- */

/* ids: room for n pointers, filled with the reports' device ids while they are written */
static int write_batch(store *s, const tel_report *r, size_t n, const char **ids, yj_err *e)
{
	if (store_begin(s, e))
		return -1;
	int64_t now = yj_now_ms();
	/* the ids point into the device table: it stays locked (read side) while they are used */
	pthread_rwlock_rdlock(&tel_devices_lock);
	for (size_t i = 0; i < n; i++) {
		const tel_device *d = tel_device_slot_locked(r[i].device);
		ids[i] = d ? d->id : NULL;
	}
	int rc = tel_db_insert_reports(s, r, ids, n, now, e);
	pthread_rwlock_unlock(&tel_devices_lock);
	if (rc == 0) {
		bus_event ev = {.topic = TEL_EV_BATCH, .payload = r, .payload_len = n * sizeof *r};
		rc = bus_emit(s, &ev, e);
	}
	if (rc) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, e);
}

/* the map streams: one event a position, built only when a map listens */
static void tell_positions(store *s, const tel_report *r, size_t n)
{
	if (!bus_wanted(TEL_EV_POSITION, "positions"))
		return;
	strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < n; i++) {
		if (!r[i].is_position)
			continue;
		tel_device d;
		if (!tel_device_get(r[i].device, &d))
			continue;
		char ts[40];
		yj_time_format(r[i].ts_ms, ts);
		b.len = 0;
		strbuf_puts(&b, "{\"device\":");
		yj_json_escape(&b, d.id);
		strbuf_printf(&b, ",\"kind\":\"%s\",\"lon\":%.7f,\"lat\":%.7f,\"ts\":\"%s\"", tel_kind_name(d.kind),
		              r[i].lon, r[i].lat, ts);
		if (!isnan(r[i].speed_kmh))
			strbuf_printf(&b, ",\"speed_kmh\":%.2f", r[i].speed_kmh);
		if (!isnan(r[i].heading))
			strbuf_printf(&b, ",\"heading\":%.1f", r[i].heading);
		strbuf_puts(&b, "}");
		bus_event ev = {.topic = TEL_EV_POSITION, .area_code = d.area_code, .has_point = true,
		                .point = {r[i].lon, r[i].lat}, .stream = "positions", .name = "position", .data = b.data};
		bus_emit(s, &ev, NULL); /* no transaction is open: told at once */
	}
	strbuf_free(&b);
}

/* fold the committed batch into the latest state, then tell the map streams */
static void after_commit(store *s, const tel_report *r, size_t n)
{
	int64_t now = yj_now_ms();
	pthread_rwlock_wrlock(&tel_devices_lock);
	for (size_t i = 0; i < n; i++) {
		tel_device *d = tel_device_slot_locked(r[i].device);
		if (!d)
			continue;
		d->last_seen_ms = now;
		if (r[i].is_position && (!d->has_position || r[i].ts_ms >= d->pos_ts_ms)) {
			d->has_position = true;
			d->pos_ts_ms = r[i].ts_ms;
			d->lon = r[i].lon;
			d->lat = r[i].lat;
			d->speed_kmh = r[i].speed_kmh;
			d->heading = r[i].heading;
		}
	}
	pthread_rwlock_unlock(&tel_devices_lock);
	tell_positions(s, r, n);
}

static void *writer_main(void *arg)
{
	store *s = store_thread();
	store_leave_checkpoints(s); /* the store's checkpointer does them */
	tel_report *batch = NULL;
	size_t cap_batch = 0, cap_ids = 0;
	const char **ids = NULL;
	for (;;) {
		pthread_mutex_lock(&qlock);
		while (npending == 0 && !stopping)
			pthread_cond_wait(&qcond, &qlock);
		if (npending == 0 && stopping) {
			pthread_mutex_unlock(&qlock);
			break;
		}
		/* take everything queued: a request's reports are never split across batches */
		tel_report *tmp = batch;
		size_t tmpcap = cap_batch;
		batch = pending;
		cap_batch = cap_pending;
		size_t n = npending;
		pending = tmp;
		cap_pending = tmpcap;
		npending = 0;
		uint64_t hi = next_seq, lo = next_seq - n + 1;
		pthread_mutex_unlock(&qlock);

		ids = yj_grow(ids, &cap_ids, n, sizeof *ids);
		yj_err e = {0};
		int rc = s ? write_batch(s, batch, n, ids, &e) : yj_fail(&e, YJ_EUNAVAILABLE, "", "no database connection");
		if (rc)
			yj_log(YJ_LOG_ERROR, "telemetry_batch", "reports=%zu message=\"%s\"", n, e.message);
		else
			after_commit(s, batch, n);
		store_idle_check(s);

		pthread_mutex_lock(&qlock);
		done_seq = hi;
		if (rc) {
			failed_lo = lo;
			failed_hi = hi;
		}
		pthread_cond_broadcast(&dcond);
		pthread_mutex_unlock(&qlock);
	}
	free(batch);
	free(ids);
	return NULL;
}

void tel_init(void)
{
	tel_device_audit_register();
}

int tel_start(store *s, const tel_config *cfg, yj_err *e)
{
	if (cfg)
		config = *cfg;
	tel_init();
	if (tel_devices_load(s, e))
		return -1;
	pthread_mutex_lock(&qlock);
	running = true;
	stopping = false;
	pthread_mutex_unlock(&qlock);
	store_checkpointer_start();
	if (pthread_create(&writer, NULL, writer_main, NULL) != 0) {
		running = false;
		store_checkpointer_stop();
		return yj_fail(e, YJ_EINTERNAL, "", "cannot start the telemetry writer");
	}
	yj_log(YJ_LOG_INFO, "telemetry", "devices=%d", tel_device_count());
	return 0;
}

void tel_stop(void)
{
	pthread_mutex_lock(&qlock);
	if (!running) {
		pthread_mutex_unlock(&qlock);
		return;
	}
	stopping = true;
	pthread_cond_signal(&qcond);
	pthread_mutex_unlock(&qlock);
	pthread_join(writer, NULL);
	store_checkpointer_stop();
	pthread_mutex_lock(&qlock);
	running = false;
	pthread_cond_broadcast(&dcond);
	free(pending);
	pending = NULL;
	npending = cap_pending = 0;
	pthread_mutex_unlock(&qlock);
	tel_devices_clear();
}
