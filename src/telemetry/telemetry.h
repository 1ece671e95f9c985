/*
 * telemetry.h — what moves and what is measured: devices (rangers 护林员,
 * buses/coaches/hazmat/heavy trucks 两客一危一重货, fishing and cargo
 * vessels, rain gauges, water-level, wind and enterprise sensors), their
 * position reports and readings, over HTTP and MQTT.
 *
 * Ingest goes through one writer thread with group commit: reports from
 * every connection are queued, written together in one transaction, and a
 * sender is answered only when its reports are durable. The latest state of
 * every device is kept in memory (rebuilt from the store at start). After
 * each commit the monitoring rules see the batch (src/warning) and the map
 * streams are told.
 */
#ifndef YJ_TELEMETRY_H
#define YJ_TELEMETRY_H

#include <jansson.h>

#include "auth/auth.h"
#include "base/base.h"
#include "store/store.h"

typedef enum {
	DEV_RANGER, DEV_BUS, DEV_COACH, DEV_HAZMAT_VEHICLE, DEV_HEAVY_TRUCK, DEV_FISHING_VESSEL,
	DEV_CARGO_VESSEL, DEV_RAIN_GAUGE, DEV_WATER_LEVEL, DEV_WIND, DEV_GAS, DEV_TANK_LEVEL,
	DEV_TEMPERATURE, DEV_PRESSURE, DEV_OTHER, DEV_KIND_COUNT
} tel_kind;

const char *tel_kind_name(tel_kind k);
int tel_kind_parse(const char *name); /* -1 when unknown */

/* One report: a position or a reading of one device. */
typedef struct tel_report {
	int32_t device;       /* index into the device table (tel_device_at) */
	bool is_position;
	int64_t ts_ms;
	double lon, lat;      /* position */
	double speed_kmh, heading; /* NaN when absent */
	char metric[24];      /* reading */
	double value;
} tel_report;

/* A device as the in-memory table knows it (read-only for callers). */
typedef struct tel_device {
	char id[64];
	tel_kind kind;
	char area_code[16];
	bool disabled;
	/* latest state */
	bool has_position;
	int64_t pos_ts_ms;
	double lon, lat, speed_kmh, heading;
	int64_t last_seen_ms; /* receipt of the newest report, 0 = never */
} tel_device;

/* ---- lifecycle ---------------------------------------------------------------- */

typedef struct tel_config {
	int batch_max;          /* reports per transaction (default 20000) */
	int batch_wait_us;      /* how long the writer gathers a batch (default 2000) */
} tel_config;

/* Register the audit state functions (CLI verify). */
void tel_init(void);
/* Load devices and latest state from the store; start the writer thread. */
int tel_start(store *s, const tel_config *cfg, yj_err *e);
/* Drain the queue, stop the writer. */
void tel_stop(void);
void tel_api_register(void);

/* MQTT: subscribe to topic at QoS 1 on url (mqtt://host:port); reconnects by itself. */
int tel_mqtt_start(const char *url, const char *topic, yj_err *e);
void tel_mqtt_stop(void);

/* ---- ingest ---------------------------------------------------------------------- */

typedef struct tel_rejected {
	long line;
	char error[200];
} tel_rejected;

typedef struct tel_result {
	long accepted;
	tel_rejected *rejected;  /* malloc'ed, count in nrejected */
	long nrejected;
} tel_result;

/*
 * Parse a JSON array or NDJSON body of positions and readings, validate each
 * (known, enabled device; only_device when not NULL: the key's own device;
 * user when not NULL: devices in the user's jurisdiction; coordinates in
 * range; time not more than 5 minutes in the future), queue the good ones,
 * and wait until they are durable. Bad lines never block good ones.
 * Returns 0 (result filled; free with tel_result_free) or -1 with *e when
 * the writer cannot take them (stopping, or not started).
 */
int tel_ingest(const char *body, size_t len, const char *only_device, const auth_user *user,
               tel_result *out, yj_err *e);
void tel_result_free(tel_result *r);

/* ---- devices ------------------------------------------------------------------------ */

/* The device table is append-only in memory (disabled, never removed), so an
 * index stays valid. Lookups are lock-free reads of a published snapshot. */
int32_t tel_device_find(const char *id);
/* a copy of device i's current record; false when out of range */
bool tel_device_get(int32_t i, tel_device *out);
int32_t tel_device_count(void);

/* Verify a device API key ("<device id>.<secret>"); the device id on success. */
bool tel_device_key_check(const char *key, char id_out[64]);

/* ---- what other modules read of telemetry (tel_lookup.c) ------------------------------------- */

/* The readings of metric since since_ms, oldest first (rules warm their windows at start).
 * fn: 0 go on, 1 stop, -1 fail. */
typedef int (*tel_reading_fn)(const char *device_id, int64_t ts_ms, double value, void *ctx, yj_err *e);
int tel_readings_each(store *s, const char *metric, int64_t since_ms, tel_reading_fn fn, void *ctx, yj_err *e);

/*
 * Events (src/bus) the telemetry writer emits.
 *   TEL_EV_BATCH  inside the batch's transaction, after its reports are inserted; payload:
 *                 the batch's tel_report array (payload_len / sizeof(tel_report) reports).
 *                 The rules (src/warning) judge it there, so an alarm is durable with the
 *                 reports that raised it.
 *   TEL_EV_POSITION after commit, one a position, for the map streams (stream "positions").
 */
#define TEL_EV_BATCH "telemetry.batch"
#define TEL_EV_POSITION "telemetry.position"

/* ---- hooks for the rules engine (src/warning) --------------------------------------- */

/* Called by the writer inside the batch transaction, after the reports are
 * inserted and before COMMIT, so alarms are durable with their reports. */
typedef int (*tel_batch_fn)(store *s, const tel_report *reports, size_t n, yj_err *e);
void tel_set_batch_hook(tel_batch_fn fn);
/* Called by the writer about once a second, in a transaction of its own
 * (offline detection). now_ms from yj_now_ms(). */
typedef int (*tel_tick_fn)(store *s, int64_t now_ms, yj_err *e);
void tel_set_tick_hook(tel_tick_fn fn);
/* Called by the writer after every successful commit (batch or tick), outside
 * any transaction: the place to tell others about what is now durable. */
typedef void (*tel_committed_fn)(void);
void tel_set_committed_hook(tel_committed_fn fn);

#endif
