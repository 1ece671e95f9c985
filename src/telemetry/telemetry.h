/*
 * telemetry.h — what moves and what is measured: devices (rangers 护林员,
 * buses/coaches/hazmat/heavy trucks 两客一危一重货, fishing and cargo
 * vessels, rain gauges, water-level, wind and enterprise sensors), their
 * position reports and readings, over HTTP and MQTT.
 *
 * Ingest goes through one writer thread with group commit: reports from
 * every connection are queued, written together in one transaction, and a
 * sender is answered only when its reports are durable. A report is stored
 * once: a position once per (device, time), a reading once per (device,
 * metric, time); sent again (a retry whose answer was lost, an MQTT
 * redelivery) it is counted as a duplicate and changes nothing. The latest
 * state of every device is kept in memory and, by the writer in each
 * batch's transaction, in one row a device (read at start: a start costs
 * one row a device, whatever the history). The
 * writer tells the rest of the server through the event bus (src/bus): the
 * monitoring rules (src/warning) judge each batch inside its transaction
 * (TEL_EV_BATCH), and the map streams hear of positions once they are
 * durable (TEL_EV_POSITION). Telemetry knows nothing of its listeners.
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
	int64_t reading_ts_ms; /* time of the newest reading (any metric), 0 = none */
	int64_t last_seen_ms;  /* receipt of the newest report, 0 = never */
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
	char error[200]; /* valid UTF-8, whatever the line held */
	char error_zh[300]; /* the same in Chinese (data/i18n/errors.zh.tsv), "" when the catalog has none */
} tel_rejected;

typedef struct tel_result {
	long accepted;           /* good lines, now durable: stored by this request or before it */
	long duplicates;         /* of those, already stored (by an earlier request or a line before): not stored again */
	tel_rejected *rejected;  /* the first TEL_REJECTED_KEPT rejections, malloc'ed; count in nkept */
	long nkept;
	long nrejected;          /* every bad line read */
	long lines;              /* lines (or array elements) read */
} tel_result;

/* A request stops being read at this many bad lines, or when more than half of the first
 * TEL_BAD_PROBE lines are bad: it is refused whole (nothing stored). */
#define TEL_MAX_BAD_LINES 1000
#define TEL_BAD_PROBE 100
#define TEL_REJECTED_KEPT 1000

/*
 * Parse a JSON array or NDJSON body of positions and readings, validate each
 * (known, enabled device; only_device when not NULL: the key's own device;
 * user when not NULL: devices in the user's jurisdiction; coordinates in
 * range; time not more than 5 minutes in the future), queue the good ones,
 * and wait until they are durable. Bad lines never block good ones. A
 * report already stored (same device and time, and metric for a reading)
 * is counted in out->duplicates, not stored again, not judged again.
 * Returns 0 with *out filled, or -1 with *e: YJ_EINVAL when the body is
 * not JSON or NDJSON, or has too many bad lines (TEL_MAX_BAD_LINES, or
 * mostly bad from the start): nothing of it is stored and *out holds the
 * rejections read so far; YJ_EUNAVAILABLE when the writer cannot take the
 * reports (stopping, or a failed commit). Either way release *out with
 * tel_result_free.
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

/* The readings of metric since since_ms, device by device, each device's oldest first (rules
 * warm their windows at start). Only devices whose newest reading is that recent are read,
 * through the index: the cost follows the recent readings, not the history. fn: 0 go on,
 * 1 stop, -1 fail. */
typedef int (*tel_reading_fn)(const char *device_id, int64_t ts_ms, double value, void *ctx, yj_err *e);
int tel_readings_each(store *s, const char *metric, int64_t since_ms, tel_reading_fn fn, void *ctx, yj_err *e);

/* A device's label for people: "<kind in Chinese> <name>（<id>）", or without the name when it
 * has none ("渔船 粤汕渔12345（V-G）", "雨量站 RG-1"); the id alone when the device is unknown. */
void tel_device_label(store *s, const char *id, char *out, size_t n);
/* The Chinese name of a device kind (渔船, 雨量站, ...). */
const char *tel_kind_label(tel_kind k);

/*
 * Events (src/bus) the telemetry writer emits.
 *   TEL_EV_BATCH    inside the batch's transaction, after its reports are inserted; payload:
 *                   the reports the batch stored (payload_len / sizeof(tel_report) reports;
 *                   duplicates of stored ones are left out),
 *                   valid during the call. The rules (src/warning) judge it there (bus_on_tx),
 *                   so an alarm is durable with the reports that raised it; a subscriber's
 *                   failure rolls the batch back.
 *   TEL_EV_POSITION after the commit, one a position, for the map streams: stream "positions",
 *                   name "position", area_code the device's, point the position, data
 *                   {"device","kind","lon","lat","ts","speed_kmh"?,"heading"?}. Built only
 *                   when bus_wanted says someone listens (a map is open).
 */
#define TEL_EV_BATCH "telemetry.batch"
#define TEL_EV_POSITION "telemetry.position"

#endif
