/*
 * writer.c — one writer thread writes every queued report with group commit.
 *
 * Every connection (HTTP or MQTT) parses its own body (ingest.c), queues
 * the good reports with a ticket and waits. The writer takes everything
 * queued and writes it in one transaction: the inserts, each device's new
 * latest state (table device_state), then the event TEL_EV_BATCH, whose
 * in-transaction subscribers (the monitoring rules) judge the batch there,
 * so alarms are durable with the reports that raised them. Then it commits
 * (synchronous=FULL: on disk) and wakes the waiters whose reports are in.
 * While it writes, the next batch gathers, so under load a commit carries
 * many requests' reports: one fsync for thousands of reports. After the
 * commit it folds the new latest state into memory and, when a map is
 * listening, tells it (TEL_EV_POSITION).
 *
 * Stored once. A report newer than everything stored for its device (the
 * latest state in memory says so: newest position time, newest reading
 * time) cannot be stored already, and goes in plainly: devices report
 * forward in time, so that is nearly every report and costs nothing. Any
 * other (a retry whose answer was lost, an MQTT redelivery, a late report,
 * two metrics of one instant) goes the careful way: stored unless there
 * already (tel_db.c). A duplicate is counted on its request's ticket and
 * is neither stored, nor judged, nor told: a report sent twice changes
 * nothing the second time.
 *
 * The writer knows nothing of its listeners: it emits events on the bus.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "telemetry/tel_int.h"

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER; /* work for the writer */
static pthread_cond_t dcond = PTHREAD_COND_INITIALIZER; /* a batch finished */
/* the queued reports and their requests' tickets, in order */
typedef struct queued {
	tel_report *r;
	size_t n, cap;
	tel_ticket **tickets;
	size_t ntickets, cap_tickets;
} queued;
static queued pending;
static uint64_t next_seq, done_seq, failed_lo, failed_hi;
static bool running, stopping;
static pthread_t writer;
static tel_config config;

int tel_queue(const tel_report *r, size_t n, tel_ticket *t)
{
	pthread_mutex_lock(&qlock);
	if (!running || stopping) {
		pthread_mutex_unlock(&qlock);
		return -1;
	}
	pending.r = yj_grow(pending.r, &pending.cap, pending.n + n < 4096 ? 4096 : pending.n + n, sizeof *pending.r);
	memcpy(pending.r + pending.n, r, n * sizeof *r);
	pending.n += n;
	pending.tickets = yj_grow(pending.tickets, &pending.cap_tickets, pending.ntickets + 1, sizeof *pending.tickets);
	pending.tickets[pending.ntickets++] = t;
	next_seq += n;
	t->last_seq = next_seq;
	t->duplicates = 0;
	pthread_cond_signal(&qcond);
	pthread_mutex_unlock(&qlock);
	return 0;
}

int tel_wait_durable(tel_ticket *t, yj_err *e)
{
	uint64_t seq = t->last_seq;
	pthread_mutex_lock(&qlock);
	while (done_seq < seq && running)
		pthread_cond_wait(&dcond, &qlock);
	bool ok = done_seq >= seq && !(seq >= failed_lo && seq <= failed_hi);
	pthread_mutex_unlock(&qlock);
	if (!ok)
		return yj_fail(e, YJ_EUNAVAILABLE, "", "the reports could not be stored; send them again");
	return 0;
}

/* ---- the batch -------------------------------------------------------------------------------- */

/* A batch and the writer's room to work on it (reused from batch to batch). */
typedef struct batch {
	queued q;                 /* the reports, in queue order, and their requests */
	uint64_t first_seq;       /* sequence number of q.r[0] */
	tel_row *rows;            /* per report: its device id, careful or plain, duplicate */
	size_t cap_rows;
	/* per device the batch touches: its latest state, as stored plus this batch */
	struct touched {
		tel_state st;
		int32_t device;
		bool changed;         /* a report of it was stored */
	} *dev;
	size_t ndev, cap_dev;
	int32_t *state_of;        /* device index -> states index, valid when stamp_of matches */
	uint32_t *stamp_of;
	size_t cap_devices;
	uint32_t stamp;
	/* what the batch stored, for the rules and the map */
	tel_report *stored;
	size_t nstored, cap_stored;
	/* the devices whose state changed */
	int32_t *changed;
	size_t cap_changed;
} batch;

/* the state entry of device i (slot d), made from d's latest state on first use */
static tel_state *state_for(batch *b, int32_t i, const tel_device *d)
{
	if ((size_t)i >= b->cap_devices) {
		size_t old = b->cap_devices, cap = old;
		b->state_of = yj_grow(b->state_of, &cap, (size_t)i + 1, sizeof *b->state_of);
		b->stamp_of = yj_realloc(b->stamp_of, cap * sizeof *b->stamp_of);
		memset(b->stamp_of + old, 0, (cap - old) * sizeof *b->stamp_of);
		b->cap_devices = cap;
	}
	if (b->stamp_of[i] == b->stamp)
		return &b->dev[b->state_of[i]].st;
	size_t k = b->ndev++;
	b->dev = yj_grow(b->dev, &b->cap_dev, k + 1, sizeof *b->dev);
	b->stamp_of[i] = b->stamp;
	b->state_of[i] = (int32_t)k;
	b->dev[k] = (struct touched){.st = tel_device_state(d), .device = i};
	return &b->dev[k].st;
}

/* the state of device after this batch, or NULL when the batch did not change it */
static const tel_state *batch_latest(int32_t device, void *ctx)
{
	const batch *b = ctx;
	if ((size_t)device >= b->cap_devices || b->stamp_of[device] != b->stamp || !b->dev[b->state_of[device]].changed)
		return NULL;
	return &b->dev[b->state_of[device]].st;
}

/*
 * The batch's writes, inside its transaction, with the device table read-locked (the ids
 * point into it): the reports, plainly when known new (all_careful false), and the latest
 * state of the devices whose reports were stored. Fills b->stored.
 */
static int write_reports(store *s, batch *b, bool all_careful, int64_t now, yj_err *e)
{
	if (++b->stamp == 0) {
		memset(b->stamp_of, 0, b->cap_devices * sizeof *b->stamp_of);
		b->stamp = 1;
	}
	b->ndev = 0;
	for (size_t i = 0; i < b->q.n; i++) {
		const tel_report *r = &b->q.r[i];
		const tel_device *d = tel_device_slot_locked(r->device);
		b->rows[i].id = d ? d->id : NULL;
		if (!d)
			continue;
		tel_state *st = state_for(b, r->device, d);
		b->rows[i].careful = all_careful || !tel_state_newer(st, r);
		if (!b->rows[i].careful)
			tel_state_fold(st, r);
	}
	if (tel_db_insert_reports(s, b->q.r, b->rows, b->q.n, now, e))
		return -1;
	b->nstored = 0;
	for (size_t i = 0; i < b->q.n; i++) {
		if (!b->rows[i].id || b->rows[i].dup)
			continue;
		struct touched *t = &b->dev[b->state_of[b->q.r[i].device]];
		if (b->rows[i].careful)
			tel_state_fold(&t->st, &b->q.r[i]);
		t->changed = true;
		b->stored = yj_grow(b->stored, &b->cap_stored, b->nstored + 1, sizeof *b->stored);
		b->stored[b->nstored++] = b->q.r[i];
	}
	size_t nchanged = 0;
	for (size_t k = 0; k < b->ndev; k++) {
		if (!b->dev[k].changed)
			continue;
		b->dev[k].st.last_seen_ms = now;
		b->changed = yj_grow(b->changed, &b->cap_changed, nchanged + 1, sizeof *b->changed);
		b->changed[nchanged++] = b->dev[k].device;
	}
	return tel_state_write(s, b->changed, nchanged, batch_latest, b, false, e);
}

/* one try at the batch's transaction */
static int write_batch_once(store *s, batch *b, bool all_careful, yj_err *e)
{
	if (store_begin(s, e))
		return -1;
	int64_t now = yj_now_ms();
	pthread_rwlock_rdlock(&tel_devices_lock);
	int rc = write_reports(s, b, all_careful, now, e);
	pthread_rwlock_unlock(&tel_devices_lock);
	if (rc == 0 && b->nstored) {
		bus_event ev = {.topic = TEL_EV_BATCH, .payload = b->stored, .payload_len = b->nstored * sizeof *b->stored};
		rc = bus_emit(s, &ev, e);
	}
	if (rc) {
		store_rollback(s);
		tel_state_abort();
		return -1;
	}
	if (store_commit(s, e)) {
		tel_state_abort();
		return -1;
	}
	tel_state_commit();
	return 0;
}

/* write the dirty devices' state that is due (everything: all of it), in a transaction of its own */
static int write_state(store *s, bool everything, yj_err *e)
{
	if (store_begin(s, e))
		return -1;
	pthread_rwlock_rdlock(&tel_devices_lock);
	int rc = tel_state_write(s, NULL, 0, NULL, NULL, everything, e);
	pthread_rwlock_unlock(&tel_devices_lock);
	if (rc || store_commit(s, e)) {
		if (rc)
			store_rollback(s);
		tel_state_abort();
		return -1;
	}
	tel_state_commit();
	return 0;
}

static int write_batch(store *s, batch *b, yj_err *e)
{
	b->rows = yj_grow(b->rows, &b->cap_rows, b->q.n, sizeof *b->rows);
	if (write_batch_once(s, b, false, e) == 0)
		return 0;
	if (e->code != YJ_ECONFLICT)
		return -1;
	/* a report thought new was there already (the latest state in memory was behind the
	 * store): the whole batch again, every report the careful way */
	yj_log(YJ_LOG_WARN, "telemetry_batch", "reports=%zu message=\"%s\" (written again, carefully)", b->q.n,
	       e->message);
	*e = (yj_err){0};
	return write_batch_once(s, b, true, e);
}

/* tell each request how many of its reports were stored already */
static void count_duplicates(batch *b)
{
	size_t t = 0;
	for (size_t i = 0; i < b->q.n; i++) {
		if (!b->rows[i].id || !b->rows[i].dup)
			continue;
		uint64_t seq = b->first_seq + i;
		while (t < b->q.ntickets && b->q.tickets[t]->last_seq < seq)
			t++;
		if (t < b->q.ntickets)
			b->q.tickets[t]->duplicates++;
	}
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

/* fold the committed batch into the latest state in memory, then tell the map streams */
static void after_commit(store *s, batch *b)
{
	pthread_rwlock_wrlock(&tel_devices_lock);
	for (size_t k = 0; k < b->ndev; k++) {
		tel_device *d = tel_device_slot_locked(b->dev[k].device);
		if (d && b->dev[k].changed)
			tel_device_set_state(d, &b->dev[k].st);
	}
	pthread_rwlock_unlock(&tel_devices_lock);
	tell_positions(s, b->stored, b->nstored);
}

static void batch_free(batch *b)
{
	free(b->q.r);
	free(b->q.tickets);
	free(b->rows);
	free(b->dev);
	free(b->state_of);
	free(b->stamp_of);
	free(b->stored);
	free(b->changed);
}

/* wait for reports; when none come and a dirty device's state is due, write it. Called and
 * returns with qlock held. */
static void wait_for_work(store *s)
{
	while (pending.n == 0 && !stopping) {
		int64_t due = s ? tel_state_due_ms() : 0;
		if (!due) {
			pthread_cond_wait(&qcond, &qlock);
			continue;
		}
		int64_t wait_ms = due - (int64_t)yj_mono_ms();
		if (wait_ms > 0) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += wait_ms / 1000;
			until.tv_nsec += (wait_ms % 1000) * 1000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&qcond, &qlock, &until);
			continue;
		}
		pthread_mutex_unlock(&qlock);
		yj_err e = {0};
		if (write_state(s, false, &e))
			yj_log(YJ_LOG_ERROR, "telemetry_state", "message=\"%s\"", e.message);
		store_idle_check(s);
		pthread_mutex_lock(&qlock);
	}
}

static void *writer_main(void *arg)
{
	store *s = store_thread();
	/* the store's checkpointer does them, but past 64 MB of log (a load that never pauses)
	 * this thread does one between two batches, so a start after a crash has little to read */
	store_checkpoint_past(s, 16384);
	batch b = {0};
	for (;;) {
		pthread_mutex_lock(&qlock);
		wait_for_work(s);
		if (pending.n == 0 && stopping) {
			pthread_mutex_unlock(&qlock);
			break;
		}
		/* take everything queued: a request's reports are never split across batches */
		queued taken = pending;
		pending = b.q;
		pending.n = pending.ntickets = 0;
		b.q = taken;
		uint64_t hi = next_seq, lo = next_seq - b.q.n + 1;
		b.first_seq = lo;
		pthread_mutex_unlock(&qlock);

		yj_err e = {0};
		int rc = s ? write_batch(s, &b, &e) : yj_fail(&e, YJ_EUNAVAILABLE, "", "no database connection");
		if (rc) {
			yj_log(YJ_LOG_ERROR, "telemetry_batch", "reports=%zu message=\"%s\"", b.q.n, e.message);
		} else {
			count_duplicates(&b);
			after_commit(s, &b);
		}
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
	/* a clean stop leaves every device's state written: the next start replays nothing */
	yj_err e = {0};
	if (s && write_state(s, true, &e))
		yj_log(YJ_LOG_ERROR, "telemetry_state", "message=\"%s\"", e.message);
	store_idle_check(s);
	batch_free(&b);
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
	free(pending.r);
	free(pending.tickets);
	pending = (queued){0};
	pthread_mutex_unlock(&qlock);
	tel_devices_clear();
}
