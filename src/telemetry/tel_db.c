/*
 * tel_db.c — the SQL of telemetry's tables: device, position, reading.
 * Nothing else in yingji runs SQL on them (others read through
 * tel_lookup.c and the in-memory device table).
 *
 * The hot path is tel_db_insert_reports, run by the writer for every batch:
 * reports go in as multi-row INSERTs of up to TEL_ROWS rows, so that a
 * batch of 20,000 reports is ~600 statements, not 20,000 (one statement
 * look-up, one step and one reset per chunk instead of per report).
 */
#include <stdlib.h>
#include <string.h>

#include "telemetry/tel_int.h"

#define DEVICE_COLS "id, kind, name, owner, area_code, disabled, key_hash, created_ms, updated_ms"

static void fill_device(store_q *q, tel_device_row *d)
{
	memset(d, 0, sizeof *d);
	store_col_copy(q, 0, d->id, sizeof d->id);
	store_col_copy(q, 1, d->kind, sizeof d->kind);
	store_col_copy(q, 2, d->name, sizeof d->name);
	store_col_copy(q, 3, d->owner, sizeof d->owner);
	store_col_copy(q, 4, d->area_code, sizeof d->area_code);
	d->disabled = store_col_int(q, 5) != 0;
	size_t n = 0;
	const void *h = store_col_blob(q, 6, &n);
	if (h && n == sizeof d->key_hash)
		memcpy(d->key_hash, h, n);
	d->created_ms = store_col_int(q, 7);
	d->updated_ms = store_col_int(q, 8);
}

/* step q, calling fn on each row: 0 when done or stopped, -1 on error */
static int each_device(store_q *q, tel_device_row_fn fn, void *ctx, yj_err *e)
{
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		tel_device_row d;
		fill_device(q, &d);
		int r = fn(&d, ctx, e);
		if (r) {
			store_done(q);
			return r < 0 ? -1 : 0;
		}
	}
	return rc < 0 ? -1 : 0;
}

int tel_db_devices_each(store *s, tel_device_row_fn fn, void *ctx, yj_err *e)
{
	return each_device(store_query(s, e, "SELECT " DEVICE_COLS " FROM device ORDER BY created_ms, id"), fn, ctx, e);
}

int tel_db_devices_list(store *s, const auth_scope *sc, const char *kind, const char *after, tel_device_row_fn fn,
                        void *ctx, yj_err *e)
{
	store_q *q = kind ? store_query(s, e,
	                                "SELECT " DEVICE_COLS " FROM device WHERE " AUTH_SCOPE_SQL("area_code")
	                                " AND kind = ? AND id > ? ORDER BY id",
	                                sc->lo, sc->hi, kind, after ? after : "")
	                  : store_query(s, e,
	                                "SELECT " DEVICE_COLS " FROM device WHERE " AUTH_SCOPE_SQL("area_code")
	                                " AND id > ? ORDER BY id",
	                                sc->lo, sc->hi, after ? after : "");
	return each_device(q, fn, ctx, e);
}

int tel_db_device_get(store *s, const char *id, tel_device_row *out, yj_err *e)
{
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT " DEVICE_COLS " FROM device WHERE id = ?", id);
	if (rc > 0) {
		fill_device(q, out);
		store_done(q);
	}
	return rc;
}

int tel_db_device_insert(store *s, const tel_device_row *d, yj_err *e)
{
	int64_t n = store_run(s, e,
	                      "INSERT INTO device(id, kind, name, owner, area_code, key_hash, disabled, created_ms, "
	                      "updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                      d->id, d->kind, d->name, d->owner, d->area_code, store_blob(d->key_hash, sizeof d->key_hash),
	                      d->disabled ? 1 : 0, d->created_ms, d->updated_ms);
	return n == 1 ? 0 : n < 0 ? -1 : yj_fail(e, YJ_EINTERNAL, "", "the device was not stored");
}

int64_t tel_db_device_update(store *s, const char *id, const char *name, const char *owner, const char *area,
                             int disabled, const unsigned char *key_hash, int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE device SET name = coalesce(?1, name), owner = coalesce(?2, owner), "
	                 "area_code = coalesce(?3, area_code), disabled = CASE WHEN ?4 < 0 THEN disabled ELSE ?4 END, "
	                 "key_hash = coalesce(?5, key_hash), updated_ms = ?6 WHERE id = ?7",
	                 name, owner, area, disabled, key_hash ? store_blob(key_hash, 32) : store_null(), now, id);
}

static double col_or_nan(store_q *q, int i)
{
	return store_col_null(q, i) ? NAN : store_col_double(q, i);
}

static int each_position(store_q *q, tel_position_fn fn, void *ctx, yj_err *e)
{
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		int r = fn(store_col_str(q, 0), store_col_int(q, 1), store_col_double(q, 2), store_col_double(q, 3),
		           col_or_nan(q, 4), col_or_nan(q, 5), ctx, e);
		if (r) {
			store_done(q);
			return r < 0 ? -1 : 0;
		}
	}
	return rc < 0 ? -1 : 0;
}

int tel_db_latest_positions(store *s, tel_position_fn fn, void *ctx, yj_err *e)
{
	/* two reports of one device at the same instant both come: the caller keeps one */
	return each_position(store_query(s, e,
	                                 "SELECT p.device_id, p.ts_ms, p.lon, p.lat, p.speed_kmh, p.heading FROM position p "
	                                 "JOIN (SELECT device_id, max(ts_ms) AS ts FROM position GROUP BY device_id) m "
	                                 "ON m.device_id = p.device_id AND m.ts = p.ts_ms"),
	                     fn, ctx, e);
}

int tel_db_last_seen(store *s, tel_seen_fn fn, void *ctx, yj_err *e)
{
	store_q *q = store_query(s, e,
	                         "SELECT device_id, max(r) FROM (SELECT device_id, max(received_ms) AS r FROM position "
	                         "GROUP BY device_id UNION ALL SELECT device_id, max(received_ms) AS r FROM reading "
	                         "GROUP BY device_id) AS seen GROUP BY device_id");
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		int r = fn(store_col_str(q, 0), store_col_int(q, 1), ctx, e);
		if (r) {
			store_done(q);
			return r < 0 ? -1 : 0;
		}
	}
	return rc < 0 ? -1 : 0;
}

int tel_db_track(store *s, const char *id, int64_t from, int64_t to, long max, tel_position_fn fn, void *ctx,
                 yj_err *e)
{
	return each_position(store_query(s, e,
	                                 "SELECT device_id, ts_ms, lon, lat, speed_kmh, heading FROM position "
	                                 "WHERE device_id = ? AND ts_ms >= ? AND ts_ms <= ? ORDER BY ts_ms LIMIT ?",
	                                 id, from, to, (int64_t)max),
	                     fn, ctx, e);
}

int tel_db_reading_buckets(store *s, const char *id, const char *metric, int64_t from, int64_t to, int64_t step_ms,
                           tel_bucket_fn fn, void *ctx, yj_err *e)
{
	store_q *q = store_query(s, e,
	                         "SELECT (ts_ms - ?1) / ?2 AS bucket, count(*), sum(value), min(value), max(value), "
	                         "avg(value) FROM reading WHERE device_id = ?3 AND metric = ?4 AND ts_ms >= ?1 "
	                         "AND ts_ms < ?5 GROUP BY bucket ORDER BY bucket",
	                         from, step_ms, id, metric, to);
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		int r = fn(store_col_int(q, 0), store_col_int(q, 1), store_col_double(q, 2), store_col_double(q, 3),
		           store_col_double(q, 4), store_col_double(q, 5), ctx, e);
		if (r) {
			store_done(q);
			return r < 0 ? -1 : 0;
		}
	}
	return rc < 0 ? -1 : 0;
}

/* ---- the writer's inserts ------------------------------------------------------------------------ */

#define TEL_ROWS 32   /* rows a statement: 7 x 32 = 224 values */
#define POS_COLS 7
#define RD_COLS 5

/* "INSERT ... VALUES (?,...),(?,...)" for 1..TEL_ROWS rows, built once */
static char *insert_sql[2][TEL_ROWS + 1];
static pthread_once_t insert_once = PTHREAD_ONCE_INIT;

static void build_insert_sql(void)
{
	static const char *const head[2] = {
		"INSERT INTO position(device_id, ts_ms, lon, lat, speed_kmh, heading, received_ms) VALUES ",
		"INSERT INTO reading(device_id, ts_ms, metric, value, received_ms) VALUES ",
	};
	static const char *const row[2] = {"(?,?,?,?,?,?,?)", "(?,?,?,?,?)"};
	for (int k = 0; k < 2; k++)
		for (int n = 1; n <= TEL_ROWS; n++) {
			strbuf b;
			strbuf_init(&b);
			strbuf_puts(&b, head[k]);
			for (int i = 0; i < n; i++) {
				if (i)
					strbuf_puts(&b, ",");
				strbuf_puts(&b, row[k]);
			}
			insert_sql[k][n] = strbuf_take(&b, NULL);
		}
}

static store_val num_or_null(double v)
{
	return isnan(v) ? store_null() : store_v_double(v);
}

/* one statement for the reports at idx[0..n) (all positions, or all readings) */
static int insert_rows(store *s, bool positions, const tel_report *r, const char *const *ids, const size_t *idx,
                       size_t n, int64_t now, yj_err *e)
{
	store_val v[TEL_ROWS * POS_COLS];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const tel_report *p = &r[idx[i]];
		v[k++] = store_v_text(ids[idx[i]]);
		v[k++] = store_v_int(p->ts_ms);
		if (positions) {
			v[k++] = store_v_double(p->lon);
			v[k++] = store_v_double(p->lat);
			v[k++] = num_or_null(p->speed_kmh);
			v[k++] = num_or_null(p->heading);
		} else {
			v[k++] = store_v_text(p->metric);
			v[k++] = store_v_double(p->value);
		}
		v[k++] = store_v_int(now);
	}
	int64_t changed = store_run_a(s, e, insert_sql[positions ? 0 : 1][n], v, k);
	if (changed < 0)
		return -1;
	if (changed != (int64_t)n)
		return yj_fail(e, YJ_EINTERNAL, "", "telemetry: %lld of %zu reports stored", (long long)changed, n);
	return 0;
}

int tel_db_insert_reports(store *s, const tel_report *reports, const char *const *ids, size_t n, int64_t now,
                          yj_err *e)
{
	pthread_once(&insert_once, build_insert_sql);
	size_t idx[TEL_ROWS];
	for (int pass = 0; pass < 2; pass++) {
		bool positions = pass == 0;
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			if (!ids[i] || reports[i].is_position != positions)
				continue;
			idx[k++] = i;
			if (k == TEL_ROWS) {
				if (insert_rows(s, positions, reports, ids, idx, k, now, e))
					return -1;
				k = 0;
			}
		}
		if (k && insert_rows(s, positions, reports, ids, idx, k, now, e))
			return -1;
	}
	return 0;
}
