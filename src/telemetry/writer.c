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
static tel_report *pending;
static size_t npending, cap_pending;
static tel_ticket **pending_tickets; /* the queued requests, in order */
static size_t npending_tickets, cap_pending_tickets;
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
	if (cap_pending < 4096)
		pending = yj_grow(pending, &cap_pending, 4096, sizeof *pending);
	pending = yj_grow(pending, &cap_pending, npending + n, sizeof *pending);
	memcpy(pending + npending, r, n * sizeof *r);
	npending += n;
	pending_tickets = yj_grow(pending_tickets, &cap_pending_tickets, npending_tickets + 1, sizeof *pending_tickets);
	pending_tickets[npending_tickets++] = t;
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
	tel_report *r;            /* the reports, in queue order */
	size_t n, cap;
	tel_ticket **tickets;     /* their requests, in order */
	size_t ntickets, cap_tickets;
	uint64_t first_seq;       /* sequence number of r[0] */
	/* per report */
	const char **ids;         /* device ids (pointing into the device table, read-locked) */
	bool *careful, *dup;
	size_t cap_flags;
	/* per device the batch touches: its latest state, as stored plus this batch */
	tel_state *states;
	int32_t *state_dev;
	bool *touched;            /* a report of it was stored */
	size_t nstates, cap_states;
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
		return &b->states[b->state_of[i]];
	size_t k = b->nstates++;
	if (k >= b->cap_states) {
		size_t cap = b->cap_states;
		b->states = yj_grow(b->states, &cap, k + 1, sizeof *b->states);
		b->state_dev = yj_realloc(b->state_dev, cap * sizeof *b->state_dev);
		b->touched = yj_realloc(b->touched, cap * sizeof *b->touched);
		b->cap_states = cap;
	}
	b->stamp_of[i] = b->stamp;
	b->state_of[i] = (int32_t)k;
	b->state_dev[k] = i;
	b->touched[k] = false;
	b->states[k] = (tel_state){.has_position = d->has_position, .pos_ts_ms = d->pos_ts_ms, .lon = d->lon,
	                           .lat = d->lat, .speed_kmh = d->speed_kmh, .heading = d->heading,
	                           .reading_ts_ms = d->reading_ts_ms, .last_seen_ms = d->last_seen_ms};
	return &b->states[k];
}

/* the state of device after this batch, or NULL when the batch did not change it */
static const tel_state *batch_latest(int32_t device, void *ctx)
{
	const batch *b = ctx;
	if ((size_t)device >= b->cap_devices || b->stamp_of[device] != b->stamp || !b->touched[b->state_of[device]])
		return NULL;
	return &b->states[b->state_of[device]];
}

/* true when r is newer than everything st holds of its kind (so it cannot be stored already) */
static bool is_newer(const tel_state *st, const tel_report *r)
{
	return r->is_position ? !st->has_position || r->ts_ms > st->pos_ts_ms : r->ts_ms > st->reading_ts_ms;
}

/* fold a stored report into its device's state: the newest position and reading time win */
static void fold(tel_state *st, const tel_report *r)
{
	if (!is_newer(st, r))
		return;
	if (r->is_position) {
		st->has_position = true;
		st->pos_ts_ms = r->ts_ms;
		st->lon = r->lon;
		st->lat = r->lat;
		st->speed_kmh = r->speed_kmh;
		st->heading = r->heading;
	} else {
		st->reading_ts_ms = r->ts_ms;
	}
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
	b->nstates = 0;
	for (size_t i = 0; i < b->n; i++) {
		const tel_report *r = &b->r[i];
		const tel_device *d = tel_device_slot_locked(r->device);
		b->ids[i] = d ? d->id : NULL;
		if (!d)
			continue;
		tel_state *st = state_for(b, r->device, d);
		b->careful[i] = all_careful || !is_newer(st, r);
		if (!b->careful[i])
			fold(st, r);
	}
	if (tel_db_insert_reports(s, b->r, b->ids, b->careful, b->n, now, b->dup, e))
		return -1;
	b->nstored = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (!b->ids[i] || b->dup[i])
			continue;
		tel_state *st = &b->states[b->state_of[b->r[i].device]];
		if (b->careful[i])
			fold(st, &b->r[i]);
		b->touched[b->state_of[b->r[i].device]] = true;
		b->stored = yj_grow(b->stored, &b->cap_stored, b->nstored + 1, sizeof *b->stored);
		b->stored[b->nstored++] = b->r[i];
	}
	size_t nchanged = 0;
	for (size_t k = 0; k < b->nstates; k++) {
		if (!b->touched[k])
			continue;
		b->states[k].last_seen_ms = now;
		b->changed = yj_grow(b->changed, &b->cap_changed, nchanged + 1, sizeof *b->changed);
		b->changed[nchanged++] = b->state_dev[k];
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
	b->ids = yj_grow(b->ids, &b->cap_flags, b->n, sizeof *b->ids);
	size_t cap = b->cap_flags;
	b->careful = yj_realloc(b->careful, cap * sizeof *b->careful);
	b->dup = yj_realloc(b->dup, cap * sizeof *b->dup);
	if (write_batch_once(s, b, false, e) == 0)
		return 0;
	if (e->code != YJ_ECONFLICT)
		return -1;
	/* a report thought new was there already (the latest state in memory was behind the
	 * store): the whole batch again, every report the careful way */
	yj_log(YJ_LOG_WARN, "telemetry_batch", "reports=%zu message=\"%s\" (written again, carefully)", b->n,
	       e->message);
	*e = (yj_err){0};
	return write_batch_once(s, b, true, e);
}

/* tell each request how many of its reports were stored already */
static void count_duplicates(batch *b)
{
	size_t t = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (!b->ids[i] || !b->dup[i])
			continue;
		uint64_t seq = b->first_seq + i;
		while (t < b->ntickets && b->tickets[t]->last_seq < seq)
			t++;
		if (t < b->ntickets)
			b->tickets[t]->duplicates++;
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
	for (size_t k = 0; k < b->nstates; k++) {
		tel_device *d = tel_device_slot_locked(b->state_dev[k]);
		if (!d || !b->touched[k])
			continue;
		const tel_state *st = &b->states[k];
		d->has_position = st->has_position;
		d->pos_ts_ms = st->pos_ts_ms;
		d->lon = st->lon;
		d->lat = st->lat;
		d->speed_kmh = st->speed_kmh;
		d->heading = st->heading;
		d->reading_ts_ms = st->reading_ts_ms;
		d->last_seen_ms = st->last_seen_ms;
	}
	pthread_rwlock_unlock(&tel_devices_lock);
	tell_positions(s, b->stored, b->nstored);
}

static void batch_free(batch *b)
{
	free(b->r);
	free(b->tickets);
	free(b->ids);
	free(b->careful);
	free(b->dup);
	free(b->states);
	free(b->state_dev);
	free(b->touched);
	free(b->state_of);
	free(b->stamp_of);
	free(b->stored);
	free(b->changed);
}

/* wait for reports; when none come and a dirty device's state is due, write it. Called and
 * returns with qlock held. */
static void wait_for_work(store *s)
{
	while (npending == 0 && !stopping) {
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
		if (npending == 0 && stopping) {
			pthread_mutex_unlock(&qlock);
			break;
		}
		/* take everything queued: a request's reports are never split across batches */
		tel_report *tmp = b.r;
		size_t tmpcap = b.cap;
		b.r = pending;
		b.cap = cap_pending;
		b.n = npending;
		pending = tmp;
		cap_pending = tmpcap;
		npending = 0;
		tel_ticket **ttmp = b.tickets;
		size_t ttmpcap = b.cap_tickets;
		b.tickets = pending_tickets;
		b.cap_tickets = cap_pending_tickets;
		b.ntickets = npending_tickets;
		pending_tickets = ttmp;
		cap_pending_tickets = ttmpcap;
		npending_tickets = 0;
		uint64_t hi = next_seq, lo = next_seq - b.n + 1;
		b.first_seq = lo;
		pthread_mutex_unlock(&qlock);

		yj_err e = {0};
		int rc = s ? write_batch(s, &b, &e) : yj_fail(&e, YJ_EUNAVAILABLE, "", "no database connection");
		if (rc) {
			yj_log(YJ_LOG_ERROR, "telemetry_batch", "reports=%zu message=\"%s\"", b.n, e.message);
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
	free(pending);
	pending = NULL;
	npending = cap_pending = 0;
	free(pending_tickets);
	pending_tickets = NULL;
	npending_tickets = cap_pending_tickets = 0;
	pthread_mutex_unlock(&qlock);
	tel_devices_clear();
}
