/*
 * tel_int.h — shared between the files of src/telemetry/ only.
 *
 *   device.c   the in-memory device table, keys, device records (service)
 *   ingest.c   parsing and checking reports (NDJSON / JSON), bounded
 *   writer.c   the writer thread: group commit, duplicates, latest state, events
 *   tel_db.c   the SQL of tables device, device_state, position and reading
 *   track.c    a device's track: pages of positions, simplified for display
 *   tel_lookup.c  what other modules read (recent readings, device labels)
 *   tel_api.c  HTTP
 *   mqtt.c     MQTT
 */
#ifndef YJ_TEL_INT_H
#define YJ_TEL_INT_H

#include <math.h>
#include <pthread.h>

#include "telemetry/telemetry.h"

/* A row of table device_state: a device's latest state (the writer keeps it in each batch's transaction). */
typedef struct tel_state {
	bool has_position;
	int64_t pos_ts_ms;
	double lon, lat, speed_kmh, heading; /* speed/heading NaN when absent */
	int64_t reading_ts_ms;               /* 0: no reading */
	int64_t last_seen_ms;
} tel_state;

/* ---- the device table in memory (device.c) ------------------------------------------------- */

/* the device table's lock: read side for lookups, write side for changes */
extern pthread_rwlock_t tel_devices_lock;
/* with the lock held (either side): device i, or NULL */
tel_device *tel_device_slot_locked(int32_t i);
/* with the lock held: the index of device id, or -1 */
int32_t tel_device_find_locked(const char *id);
int32_t tel_device_count_locked(void);

int tel_devices_load(store *s, yj_err *e);
/* a device's latest state, and setting it (caller holds the lock: read side, write side) */
tel_state tel_device_state(const tel_device *d);
void tel_device_set_state(tel_device *d, const tel_state *st);
void tel_devices_clear(void);

/* ---- device records (device.c) --------------------------------------------------------------- */

void tel_device_audit_register(void);
/* The API's JSON of a device (no key), with its latest position and last seen; NULL when unknown. */
json_t *tel_device_json(store *s, const char *id);

typedef struct tel_device_input {
	const char *id, *kind, *area, *name, *owner; /* NULL: absent */
	int disabled;                                /* update: -1 leaves it */
	bool rotate_key;                             /* update: a new key */
} tel_device_input;

/* Create a device inside the caller's transaction (audited); key_out gets its key (shown once). */
int tel_device_create(store *s, const auth_user *actor, const tel_device_input *in, char key_out[160], yj_err *e);
/* Change one (NULL strings and disabled < 0 leave a value as it is); audited. 404 outside actor's scope. */
int tel_device_update(store *s, const auth_user *actor, const char *id, const tel_device_input *in,
                      char key_out[160], yj_err *e);

/* ---- tracks (track.c) ------------------------------------------------------------------------------ */

typedef struct tel_track_point {
	int64_t ts_ms;
	double lon, lat;
} tel_track_point;

typedef struct tel_track {
	tel_track_point *pts;  /* oldest first (after simplification, the kept ones) */
	size_t n, cap;
	size_t read;           /* positions read for this page (before simplification) */
	bool truncated;        /* more positions follow in the range */
	int64_t next_cursor;   /* when truncated: the time of the page's last position */
} tel_track;

/* A page of device id's positions in [from, to] (at most limit), simplified at tolerance_m
 * metres when > 0. 0 with *out (tel_track_free it), or -1 with *e. */
int tel_track_read(store *s, const char *id, int64_t from, int64_t to, long limit, double tolerance_m, tel_track *out,
                   yj_err *e);
void tel_track_free(tel_track *t);

/* ---- the writer (writer.c) ------------------------------------------------------------------------- */

/* one request's reports in the queue: filled by the writer before the request is woken */
typedef struct tel_ticket {
	uint64_t last_seq;  /* the sequence number of its last report (0: not queued) */
	long duplicates;    /* its reports that were stored already */
} tel_ticket;

/* Queue n reports; 0 with *t set, or -1 when the writer is stopping. *t must live until
 * tel_wait_durable returns. */
int tel_queue(const tel_report *r, size_t n, tel_ticket *t);
/* wait until t's reports are durable; 0 (t->duplicates told), or -1 with *e when its batch failed */
int tel_wait_durable(tel_ticket *t, yj_err *e);

/* ---- SQL (tel_db.c) -------------------------------------------------------------------------------- */

/* A row of table device. */
typedef struct tel_device_row {
	char id[64];
	char kind[24];
	char name[208];
	char owner[208];
	char area_code[16];
	bool disabled;
	unsigned char key_hash[32];
	int64_t created_ms, updated_ms;
} tel_device_row;

/* device.c: the API's JSON of a row (with the latest state in memory) */
json_t *tel_device_row_json(const tel_device_row *r);

/* visitors: 0 go on, 1 stop, -1 fail (with *e) */
typedef int (*tel_device_row_fn)(const tel_device_row *d, void *ctx, yj_err *e);
typedef int (*tel_position_fn)(int64_t ts_ms, double lon, double lat, double speed_kmh, double heading, void *ctx,
                               yj_err *e);
typedef int (*tel_state_fn)(const char *device_id, const tel_state *st, void *ctx, yj_err *e);

/* every device, oldest first */
int tel_db_devices_each(store *s, tel_device_row_fn fn, void *ctx, yj_err *e);
/* the latest state of every device that reported */
int tel_db_states_each(store *s, tel_state_fn fn, void *ctx, yj_err *e);
/* write the latest state of ids[0..n) (an upsert each) */
int tel_db_states_put(store *s, const tel_state *states, const char *const *ids, size_t n, yj_err *e);

/* Where rows of position and reading stand: row numbers (the newest, or a mark). */
typedef struct tel_mark {
	int64_t position, reading;
} tel_mark;
/* the rows device_state holds everything up to (0, 0 when never written) */
int tel_db_mark_get(store *s, tel_mark *out, yj_err *e);
int tel_db_mark_put(store *s, const tel_mark *m, yj_err *e);
/* the numbers of the newest rows */
int tel_db_high_water(store *s, tel_mark *out, yj_err *e);
/* every report stored after `after`, in the order stored: a position (lon, lat, speed,
 * heading) or a reading (its time only), with its receipt */
typedef int (*tel_tail_fn)(const char *device_id, const tel_report *r, int64_t received_ms, void *ctx, yj_err *e);
int tel_db_tail_each(store *s, const tel_mark *after, tel_tail_fn fn, void *ctx, yj_err *e);
/* 1 with *out, 0 none, -1 error */
int tel_db_device_get(store *s, const char *id, tel_device_row *out, yj_err *e);
/* 0, or -1 (YJ_ECONFLICT when the id exists) */
int tel_db_device_insert(store *s, const tel_device_row *d, yj_err *e);
/* rows changed (0: no such device), -1 error. NULL strings, disabled < 0 and key_hash NULL leave a value. */
int64_t tel_db_device_update(store *s, const char *id, const char *name, const char *owner, const char *area,
                             int disabled, const unsigned char *key_hash, int64_t now, yj_err *e);
/* Devices in scope (kind NULL: any), ids after `after`, in id order, until fn says stop. */
int tel_db_devices_list(store *s, const auth_scope *sc, const char *kind, const char *after, tel_device_row_fn fn,
                        void *ctx, yj_err *e);
/* How the writer stores one report. */
typedef struct tel_row {
	const char *id;  /* the device's id (NULL: skip the report) */
	bool careful;    /* false: known newer than anything stored for its device, so it must be stored */
	bool dup;        /* out: it was stored already */
} tel_row;
/*
 * Insert reports[i] as rows[i] says, received at now. A plain report that is there already
 * fails the call with YJ_ECONFLICT (the caller's knowledge was wrong: roll back and send
 * everything careful); a careful one is stored unless there already. rows[i].dup tells,
 * for every report not skipped, whether it was there already. 0 or -1.
 */
int tel_db_insert_reports(store *s, const tel_report *reports, tel_row *rows, size_t n, int64_t now, yj_err *e);
/* a device's readings of metric since since_ms, oldest first */
int tel_db_device_readings(store *s, const char *id, const char *metric, int64_t since_ms, tel_reading_fn fn,
                           void *ctx, yj_err *e);
/* a device's positions in [from, to], oldest first, at most max */
int tel_db_track(store *s, const char *id, int64_t from, int64_t to, long max, tel_position_fn fn, void *ctx,
                 yj_err *e);
/* a device's readings of metric in [from, to) in buckets of step_ms from `from` */
typedef int (*tel_bucket_fn)(int64_t bucket, int64_t count, double sum, double min, double max, double avg,
                             void *ctx, yj_err *e);
int tel_db_reading_buckets(store *s, const char *id, const char *metric, int64_t from, int64_t to, int64_t step_ms,
                           tel_bucket_fn fn, void *ctx, yj_err *e);

/* ---- the latest state in table device_state (state.c): the writer thread's ------------------------- */

/* At start, after the devices: their rows of device_state, then the reports stored after its
 * mark (those devices are dirty: written later). */
int tel_state_load(store *s, yj_err *e);
void tel_state_clear(void);
/* the state of device after the open transaction, or NULL when it did not change (the table's) */
typedef const tel_state *(*tel_latest_fn)(int32_t device, void *ctx);
/*
 * Inside the writer's open transaction, with the device table read-locked, after its reports
 * were stored: touched[0..n) (distinct devices whose state changed) become dirty; the dirty
 * devices that are due (everything: all, touched ones included) are written, with the mark.
 * Then tel_state_commit once committed, or tel_state_abort after a rollback. 0 or -1.
 */
int tel_state_write(store *s, const int32_t *touched, size_t n, tel_latest_fn latest, void *ctx, bool everything,
                    yj_err *e);
void tel_state_commit(void);
void tel_state_abort(void);
/* true when r is newer than everything st holds of its kind (so it cannot be stored already) */
bool tel_state_newer(const tel_state *st, const tel_report *r);
/* fold a stored report into a state: the newest position and reading time win */
void tel_state_fold(tel_state *st, const tel_report *r);
/* when the oldest dirty device is due (yj_mono_ms clock); 0 when none is dirty */
int64_t tel_state_due_ms(void);

#endif
