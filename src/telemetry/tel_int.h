/*
 * tel_int.h — shared between the files of src/telemetry/ only.
 *
 *   device.c   the in-memory device table, keys, device records (service)
 *   ingest.c   parsing and checking reports (NDJSON / JSON), bounded
 *   writer.c   the writer thread: group commit, events
 *   tel_db.c   the SQL of tables device, position and reading
 *   tel_api.c  HTTP
 *   mqtt.c     MQTT
 */
#ifndef YJ_TEL_INT_H
#define YJ_TEL_INT_H

#include <math.h>
#include <pthread.h>

#include "telemetry/telemetry.h"

/* ---- the device table in memory (device.c) ------------------------------------------------- */

/* the device table's lock: read side for lookups, write side for changes */
extern pthread_rwlock_t tel_devices_lock;
/* with the lock held (either side): device i, or NULL */
tel_device *tel_device_slot_locked(int32_t i);
int32_t tel_device_count_locked(void);

int tel_devices_load(store *s, yj_err *e);
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

/* ---- the writer (writer.c) ------------------------------------------------------------------------- */

/* queue reports; returns the sequence number of the last one, or 0 when stopped */
uint64_t tel_queue(const tel_report *r, size_t n);
/* wait until seq is durable; 0, or -1 with *e when its batch failed */
int tel_wait_durable(uint64_t seq, yj_err *e);

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
typedef int (*tel_position_fn)(const char *device_id, int64_t ts_ms, double lon, double lat, double speed_kmh,
                               double heading, void *ctx, yj_err *e);
typedef int (*tel_seen_fn)(const char *device_id, int64_t received_ms, void *ctx, yj_err *e);

/* every device, oldest first */
int tel_db_devices_each(store *s, tel_device_row_fn fn, void *ctx, yj_err *e);
/* the newest position of every device that has one (speed/heading NaN when absent) */
int tel_db_latest_positions(store *s, tel_position_fn fn, void *ctx, yj_err *e);
/* the newest receipt of any report of every device */
int tel_db_last_seen(store *s, tel_seen_fn fn, void *ctx, yj_err *e);
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
/* Insert reports[i] for device ids[i] (NULL: skip) received at now; 0 or -1. */
int tel_db_insert_reports(store *s, const tel_report *reports, const char *const *ids, size_t n, int64_t now,
                          yj_err *e);
/* a device's positions in [from, to], oldest first, at most max */
int tel_db_track(store *s, const char *id, int64_t from, int64_t to, long max, tel_position_fn fn, void *ctx,
                 yj_err *e);
/* a device's readings of metric in [from, to) in buckets of step_ms from `from` */
typedef int (*tel_bucket_fn)(int64_t bucket, int64_t count, double sum, double min, double max, double avg,
                             void *ctx, yj_err *e);
int tel_db_reading_buckets(store *s, const char *id, const char *metric, int64_t from, int64_t to, int64_t step_ms,
                           tel_bucket_fn fn, void *ctx, yj_err *e);

#endif
