/*
 * state.c — the devices' latest state (newest position, time of the newest
 * reading, newest receipt) kept where a start can read it in one step:
 * table device_state, one row a device, plus a mark saying up to which row
 * of position and reading those rows hold everything. A start reads the
 * rows, then only the reports stored after the mark (the tail), never the
 * history: its cost follows the devices and the tail, not the years.
 *
 * Why not write every device's row in every batch: an upsert costs about
 * 2 µs, as much as storing the report itself, and under load a batch
 * touches thousands of devices. So a device whose state changed is dirty
 * and waits in a queue (oldest first) until it is due: FLUSH_AFTER_MS after
 * it became dirty, or at once when the tail grew beyond TAIL_MAX rows. A
 * device reporting again meanwhile costs nothing more, and the tail a start
 * replays is at most about TAIL_MAX rows (a few tenths of a second). The
 * writer does it inside a batch's transaction (FLUSH_MAX rows at most, so
 * no batch waits long), or in a transaction of its own when it is idle,
 * and everything when it stops.
 *
 * The queue and the mark change in memory only once the transaction has
 * committed (tel_state_commit); a rollback forgets the plan. Only the
 * writer thread calls these, except tel_state_load (at start, before it).
 */
#include <stdlib.h>
#include <string.h>

#include "telemetry/tel_int.h"

#define TAIL_MAX 500000      /* rows a start may have to replay, about */
#define FLUSH_AFTER_MS 10000 /* a dirty device is written this long after it became dirty */
#define FLUSH_MAX 20000      /* rows written in one transaction, unless everything is */

typedef struct dirty_entry {
	int32_t device;
	tel_mark since;  /* its unwritten reports are after these rows */
	int64_t due_ms;  /* monotonic */
} dirty_entry;

static dirty_entry *queue; /* a ring, oldest first */
static size_t queue_cap, queue_head, queue_len;
static bool *is_dirty;     /* by device index */
static size_t cap_dirty;
static tel_mark committed; /* device_state holds everything up to it */
static tel_mark high;      /* the newest rows after the last committed transaction */

/* the plan of the open transaction */
static bool planned;
static size_t plan_pops;   /* queue entries written */
static int32_t *plan_push; /* devices that became dirty */
static size_t nplan_push, cap_plan_push;
static tel_mark plan_mark, plan_high;
/* the rows being written */
static tel_state *put;
static const char **put_ids;
static size_t cap_put;

static dirty_entry *entry(size_t k)
{
	return &queue[(queue_head + k) % queue_cap];
}

static void mark_dirty(int32_t device, bool dirty)
{
	if ((size_t)device >= cap_dirty) {
		size_t old = cap_dirty;
		is_dirty = yj_grow(is_dirty, &cap_dirty, (size_t)device + 1, sizeof *is_dirty);
		memset(is_dirty + old, 0, (cap_dirty - old) * sizeof *is_dirty);
	}
	is_dirty[device] = dirty;
}

static bool dirty(int32_t device)
{
	return (size_t)device < cap_dirty && is_dirty[device];
}

static void push(int32_t device, tel_mark since, int64_t due)
{
	if (queue_len == queue_cap) {
		size_t cap = queue_cap ? queue_cap * 2 : 4096;
		dirty_entry *q = yj_malloc(cap * sizeof *q);
		for (size_t k = 0; k < queue_len; k++)
			q[k] = *entry(k);
		free(queue);
		queue = q;
		queue_cap = cap;
		queue_head = 0;
	}
	queue[(queue_head + queue_len++) % queue_cap] = (dirty_entry){device, since, due};
	mark_dirty(device, true);
}

static int64_t rows(const tel_mark *m)
{
	return m->position + m->reading;
}

bool tel_state_newer(const tel_state *st, const tel_report *r)
{
	return r->is_position ? !st->has_position || r->ts_ms > st->pos_ts_ms : r->ts_ms > st->reading_ts_ms;
}

void tel_state_fold(tel_state *st, const tel_report *r)
{
	if (!tel_state_newer(st, r))
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

static void add_put(size_t k, int32_t device, tel_latest_fn latest, void *ctx)
{
	if (k >= cap_put) {
		size_t cap = cap_put;
		put = yj_grow(put, &cap, k + 1, sizeof *put);
		put_ids = yj_realloc(put_ids, cap * sizeof *put_ids);
		cap_put = cap;
	}
	const tel_device *d = tel_device_slot_locked(device);
	const tel_state *now = latest ? latest(device, ctx) : NULL;
	put[k] = now ? *now : tel_device_state(d);
	put_ids[k] = d->id;
}

int tel_state_write(store *s, const int32_t *touched, size_t ntouched, tel_latest_fn latest, void *ctx,
                    bool everything, yj_err *e)
{
	planned = false;
	plan_high = high;
	if (ntouched && tel_db_high_water(s, &plan_high, e))
		return -1;
	nplan_push = 0;
	for (size_t i = 0; i < ntouched; i++)
		if (!dirty(touched[i])) {
			plan_push = yj_grow(plan_push, &cap_plan_push, nplan_push + 1, sizeof *plan_push);
			plan_push[nplan_push++] = touched[i];
		}
	/* the queue's oldest entries that are due: by age, or to keep the tail short */
	int64_t now = (int64_t)yj_mono_ms();
	bool over = rows(&plan_high) - rows(&committed) > TAIL_MAX;
	plan_pops = 0;
	while (plan_pops < queue_len && (everything || plan_pops < FLUSH_MAX)) {
		const dirty_entry *d = entry(plan_pops);
		if (!everything && d->due_ms > now && !(over && rows(&plan_high) - rows(&d->since) > TAIL_MAX / 2))
			break;
		plan_pops++;
	}
	size_t n = 0;
	for (size_t k = 0; k < plan_pops; k++)
		add_put(n++, entry(k)->device, latest, ctx);
	if (everything) {
		for (size_t k = 0; k < nplan_push; k++)
			add_put(n++, plan_push[k], latest, ctx);
		nplan_push = 0;
	}
	if (n && tel_db_states_put(s, put, put_ids, n, e))
		return -1;
	/* the mark: where the oldest unwritten report of a device still dirty is */
	plan_mark = plan_pops < queue_len ? entry(plan_pops)->since : nplan_push ? high : plan_high;
	if ((plan_mark.position != committed.position || plan_mark.reading != committed.reading) &&
	    tel_db_mark_put(s, &plan_mark, e))
		return -1;
	planned = true;
	return 0;
}

void tel_state_commit(void)
{
	if (!planned)
		return;
	for (size_t k = 0; k < plan_pops; k++)
		mark_dirty(entry(k)->device, false);
	queue_head = queue_len ? (queue_head + plan_pops) % queue_cap : 0;
	queue_len -= plan_pops;
	int64_t due = (int64_t)yj_mono_ms() + FLUSH_AFTER_MS;
	for (size_t k = 0; k < nplan_push; k++)
		push(plan_push[k], high, due);
	committed = plan_mark;
	high = plan_high;
	planned = false;
}

void tel_state_abort(void)
{
	planned = false;
}

int64_t tel_state_due_ms(void)
{
	return queue_len ? entry(0)->due_ms : 0;
}

/* ---- at start ------------------------------------------------------------------------------------- */

/* caller holds the write lock */
static int load_row(const char *id, const tel_state *st, void *ctx, yj_err *e)
{
	int32_t i = tel_device_find_locked(id);
	if (i < 0)
		return 0;
	tel_device_set_state(tel_device_slot_locked(i), st);
	return 0;
}

/* a report stored after the mark: folded into its device's state, which becomes dirty */
static int replay(const char *id, const tel_report *r, int64_t received_ms, void *ctx, yj_err *e)
{
	int32_t i = tel_device_find_locked(id);
	if (i < 0)
		return 0;
	tel_device *d = tel_device_slot_locked(i);
	tel_state st = tel_device_state(d);
	tel_state_fold(&st, r);
	if (received_ms > st.last_seen_ms)
		st.last_seen_ms = received_ms;
	tel_device_set_state(d, &st);
	if (!dirty(i))
		push(i, committed, (int64_t)yj_mono_ms() + FLUSH_AFTER_MS);
	(*(long *)ctx)++;
	return 0;
}

int tel_state_load(store *s, yj_err *e)
{
	queue_head = queue_len = 0;
	if (is_dirty)
		memset(is_dirty, 0, cap_dirty * sizeof *is_dirty);
	planned = false;
	long tail = 0;
	pthread_rwlock_wrlock(&tel_devices_lock);
	int rc = tel_db_mark_get(s, &committed, e);
	if (rc == 0)
		rc = tel_db_states_each(s, load_row, NULL, e);
	if (rc == 0)
		rc = tel_db_tail_each(s, &committed, replay, &tail, e);
	if (rc == 0)
		rc = tel_db_high_water(s, &high, e);
	pthread_rwlock_unlock(&tel_devices_lock);
	if (rc == 0)
		yj_log(YJ_LOG_INFO, "telemetry_state", "tail=%ld dirty=%zu", tail, queue_len);
	return rc;
}

void tel_state_clear(void)
{
	free(queue);
	free(is_dirty);
	free(plan_push);
	free(put);
	free(put_ids);
	queue = NULL;
	is_dirty = NULL;
	plan_push = NULL;
	put = NULL;
	put_ids = NULL;
	queue_cap = queue_head = queue_len = cap_dirty = cap_plan_push = nplan_push = cap_put = 0;
	planned = false;
}
