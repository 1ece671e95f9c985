/*
 * tel_db.c — the SQL of telemetry's tables: device, device_state,
 * position, reading. Nothing else in yingji runs SQL on them (others read
 * through tel_lookup.c and the in-memory device table).
 *
 * The hot path is tel_db_insert_reports, run by the writer for every batch:
 * reports go in as multi-row INSERTs of up to TEL_ROWS rows, so that a
 * batch of 20,000 reports is ~600 statements, not 20,000 (one statement
 * look-up, one step and one reset per chunk instead of per report). A
 * position is stored once per (device, time) and a reading once per
 * (device, metric, time) (unique indexes): a report the writer knows to be
 * newer than anything stored for its device goes in plainly, and the
 * chunk must store every row; any other goes in with ON CONFLICT DO
 * NOTHING RETURNING the rows stored, which tells the duplicates apart.
 * tel_db_states_put writes rows of table device_state (the latest state
 * of each device, one row a device, read at start) by multi-row upserts of
 * the same size; table device_state_mark says up to which row of position
 * and reading they hold everything (state.c says when they are written).
 */
#include <stdlib.h>
#include <string.h>

#include "telemetry/tel_int.h"

/* a caller's visitor, for store_each: the function of the rows' kind and its context */
typedef struct visit {
	union {
		tel_device_row_fn device;
		tel_state_fn state;
		tel_tail_fn tail;
		tel_position_fn position;
		tel_bucket_fn bucket;
		tel_reading_fn reading;
	} fn;
	void *ctx;
	const char *device_id; /* readings: whose */
} visit;

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

static int device_row(store_q *q, void *ctx, yj_err *e)
{
	const visit *v = ctx;
	tel_device_row d;
	fill_device(q, &d);
	return v->fn.device(&d, v->ctx, e);
}

/* step q, calling fn on each row: 0 when done or stopped, -1 on error */
static int each_device(store_q *q, tel_device_row_fn fn, void *ctx, yj_err *e)
{
	return store_each(q, device_row, &(visit){.fn.device = fn, .ctx = ctx}, e);
}

int tel_db_devices_each(store *s, tel_device_row_fn fn, void *ctx, yj_err *e)
{
	return each_device(store_query(s, e, "SELECT " DEVICE_COLS " FROM device ORDER BY created_ms, id"), fn, ctx, e);
}

int tel_db_devices_list(store *s, const auth_scope *sc, const char *kind, const char *after, tel_device_row_fn fn,
                        void *ctx, yj_err *e)
{
	return each_device(store_query(s, e,
	                               "SELECT " DEVICE_COLS " FROM device WHERE " AUTH_SCOPE_SQL("area_code")
	                               " AND (?3 IS NULL OR kind = ?3) AND id > ?4 ORDER BY id",
	                               sc->lo, sc->hi, kind, after ? after : ""),
	                   fn, ctx, e);
}

static int copy_device(const tel_device_row *d, void *ctx, yj_err *e)
{
	*(tel_device_row *)ctx = *d;
	return 1;
}

int tel_db_device_get(store *s, const char *id, tel_device_row *out, yj_err *e)
{
	out->id[0] = 0;
	if (each_device(store_query(s, e, "SELECT " DEVICE_COLS " FROM device WHERE id = ?", id), copy_device, out, e))
		return -1;
	return out->id[0] != 0;
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

static store_val num_or_null(double v)
{
	return isnan(v) ? store_null() : store_v_double(v);
}

/* ---- latest state: table device_state ------------------------------------------------------------ */

#define STATE_COLS "device_id, pos_ts_ms, lon, lat, speed_kmh, heading, reading_ts_ms, last_seen_ms"

static int state_row(store_q *q, void *ctx, yj_err *e)
{
	const visit *v = ctx;
	tel_state st = {.has_position = !store_col_null(q, 1), .pos_ts_ms = store_col_int(q, 1),
	                .lon = store_col_double(q, 2), .lat = store_col_double(q, 3), .speed_kmh = col_or_nan(q, 4),
	                .heading = col_or_nan(q, 5), .reading_ts_ms = store_col_int(q, 6),
	                .last_seen_ms = store_col_int(q, 7)};
	return v->fn.state(store_col_str(q, 0), &st, v->ctx, e);
}

int tel_db_states_each(store *s, tel_state_fn fn, void *ctx, yj_err *e)
{
	return store_each(store_query(s, e, "SELECT " STATE_COLS " FROM device_state"), state_row,
	                  &(visit){.fn.state = fn, .ctx = ctx}, e);
}

/* device_state holds every row of position and reading up to these (their rows' numbers) */
int tel_db_mark_get(store *s, tel_mark *out, yj_err *e)
{
	*out = (tel_mark){0};
	int rc = store_get_int(s, &out->position, e, "SELECT through FROM device_state_mark WHERE source = 'position'");
	if (rc >= 0)
		rc = store_get_int(s, &out->reading, e, "SELECT through FROM device_state_mark WHERE source = 'reading'");
	return rc < 0 ? -1 : 0;
}

int tel_db_mark_put(store *s, const tel_mark *m, yj_err *e)
{
	const char *sql = "INSERT INTO device_state_mark(source, through) VALUES (?, ?) "
	                  "ON CONFLICT (source) DO UPDATE SET through = excluded.through";
	return store_run(s, e, sql, "position", m->position) < 0 || store_run(s, e, sql, "reading", m->reading) < 0
	               ? -1
	               : 0;
}

/* dialect point: the number of the newest row of position and of reading — SQLite's rowid,
 * which grows with every insert (a PostgreSQL store would give them a bigserial column) */
int tel_db_high_water(store *s, tel_mark *out, yj_err *e)
{
	int rc = store_get_int(s, &out->position, e, "SELECT coalesce(max(rowid), 0) FROM position");
	if (rc >= 0)
		rc = store_get_int(s, &out->reading, e, "SELECT coalesce(max(rowid), 0) FROM reading");
	return rc < 0 ? -1 : 0;
}

static int tail_position(store_q *q, void *ctx, yj_err *e)
{
	const visit *v = ctx;
	tel_report r = {.is_position = true, .ts_ms = store_col_int(q, 1), .lon = store_col_double(q, 2),
	                .lat = store_col_double(q, 3), .speed_kmh = col_or_nan(q, 4), .heading = col_or_nan(q, 5)};
	return v->fn.tail(store_col_str(q, 0), &r, store_col_int(q, 6), v->ctx, e);
}

static int tail_reading(store_q *q, void *ctx, yj_err *e)
{
	const visit *v = ctx;
	tel_report r = {.ts_ms = store_col_int(q, 1), .speed_kmh = NAN, .heading = NAN};
	return v->fn.tail(store_col_str(q, 0), &r, store_col_int(q, 2), v->ctx, e);
}

/* dialect point: the rows stored after a mark, in the order they were stored (rowid, as above) */
int tel_db_tail_each(store *s, const tel_mark *after, tel_tail_fn fn, void *ctx, yj_err *e)
{
	visit v = {.fn.tail = fn, .ctx = ctx};
	if (store_each(store_query(s, e,
	                           "SELECT device_id, ts_ms, lon, lat, speed_kmh, heading, received_ms FROM position "
	                           "WHERE rowid > ? ORDER BY rowid",
	                           after->position),
	               tail_position, &v, e))
		return -1;
	return store_each(store_query(s, e,
	                              "SELECT device_id, ts_ms, received_ms FROM reading WHERE rowid > ? ORDER BY rowid",
	                              after->reading),
	                  tail_reading, &v, e);
}

/* ---- tracks and readings ----------------------------------------------------------------------------- */

static int position_row(store_q *q, void *ctx, yj_err *e)
{
	const visit *v = ctx;
	return v->fn.position(store_col_int(q, 0), store_col_double(q, 1), store_col_double(q, 2), col_or_nan(q, 3),
	             col_or_nan(q, 4), v->ctx, e);
}

int tel_db_track(store *s, const char *id, int64_t from, int64_t to, long max, tel_position_fn fn, void *ctx,
                 yj_err *e)
{
	return store_each(store_query(s, e,
	                              "SELECT ts_ms, lon, lat, speed_kmh, heading FROM position "
	                              "WHERE device_id = ? AND ts_ms >= ? AND ts_ms <= ? ORDER BY ts_ms LIMIT ?",
	                              id, from, to, (int64_t)max),
	                  position_row, &(visit){.fn.position = fn, .ctx = ctx}, e);
}

static int bucket_row(store_q *q, void *ctx, yj_err *e)
{
	const visit *v = ctx;
	return v->fn.bucket(store_col_int(q, 0), store_col_int(q, 1), store_col_double(q, 2), store_col_double(q, 3),
	             store_col_double(q, 4), store_col_double(q, 5), v->ctx, e);
}

int tel_db_reading_buckets(store *s, const char *id, const char *metric, int64_t from, int64_t to, int64_t step_ms,
                           tel_bucket_fn fn, void *ctx, yj_err *e)
{
	return store_each(store_query(s, e,
	                              "SELECT (ts_ms - ?1) / ?2 AS bucket, count(*), sum(value), min(value), max(value), "
	                              "avg(value) FROM reading WHERE device_id = ?3 AND metric = ?4 AND ts_ms >= ?1 "
	                              "AND ts_ms < ?5 GROUP BY bucket ORDER BY bucket",
	                              from, step_ms, id, metric, to),
	                  bucket_row, &(visit){.fn.bucket = fn, .ctx = ctx}, e);
}

static int reading_row(store_q *q, void *ctx, yj_err *e)
{
	const visit *v = ctx;
	return v->fn.reading(v->device_id, store_col_int(q, 0), store_col_double(q, 1), v->ctx, e);
}

int tel_db_device_readings(store *s, const char *id, const char *metric, int64_t since_ms, tel_reading_fn fn,
                           void *ctx, yj_err *e)
{
	return store_each(store_query(s, e,
	                              "SELECT ts_ms, value FROM reading WHERE device_id = ? AND metric = ? AND ts_ms >= ? "
	                              "ORDER BY ts_ms",
	                              id, metric, since_ms),
	                  reading_row, &(visit){.fn.reading = fn, .ctx = ctx, .device_id = id}, e);
}

/* ---- the writer's statements --------------------------------------------------------------------------- */

#define TEL_ROWS 32   /* rows a statement: 8 x 32 = 256 values */
#define POS_COLS 7
#define RD_COLS 5
#define STATE_NCOLS 8

enum { SQL_POSITION, SQL_READING, SQL_POSITION_CAREFUL, SQL_READING_CAREFUL, SQL_STATE, SQL_KINDS };

/* "INSERT ... VALUES (?,...),(?,...) ..." for 1..TEL_ROWS rows, built once */
static char *writer_sql[SQL_KINDS][TEL_ROWS + 1];
static pthread_once_t writer_sql_once = PTHREAD_ONCE_INIT;

static void build_writer_sql(void)
{
	static const char *const head[SQL_KINDS] = {
		[SQL_POSITION] = "INSERT INTO position(device_id, ts_ms, lon, lat, speed_kmh, heading, received_ms) VALUES ",
		[SQL_READING] = "INSERT INTO reading(device_id, ts_ms, metric, value, received_ms) VALUES ",
		[SQL_POSITION_CAREFUL] =
			"INSERT INTO position(device_id, ts_ms, lon, lat, speed_kmh, heading, received_ms) VALUES ",
		[SQL_READING_CAREFUL] = "INSERT INTO reading(device_id, ts_ms, metric, value, received_ms) VALUES ",
		[SQL_STATE] = "INSERT INTO device_state(" STATE_COLS ") VALUES ",
	};
	static const char *const row[SQL_KINDS] = {"(?,?,?,?,?,?,?)", "(?,?,?,?,?)", "(?,?,?,?,?,?,?)", "(?,?,?,?,?)",
	                                           "(?,?,?,?,?,?,?,?)"};
	static const char *const tail[SQL_KINDS] = {
		/* the writer knows these rows are new: a conflict is an error that sends it the careful way */
		[SQL_POSITION] = "",
		[SQL_READING] = "",
		[SQL_POSITION_CAREFUL] = " ON CONFLICT DO NOTHING RETURNING device_id, ts_ms",
		[SQL_READING_CAREFUL] = " ON CONFLICT DO NOTHING RETURNING device_id, ts_ms, metric",
		[SQL_STATE] = " ON CONFLICT (device_id) DO UPDATE SET pos_ts_ms = excluded.pos_ts_ms, lon = excluded.lon, "
		              "lat = excluded.lat, speed_kmh = excluded.speed_kmh, heading = excluded.heading, "
		              "reading_ts_ms = excluded.reading_ts_ms, last_seen_ms = excluded.last_seen_ms",
	};
	for (int k = 0; k < SQL_KINDS; k++)
		for (int n = 1; n <= TEL_ROWS; n++) {
			strbuf b;
			strbuf_init(&b);
			strbuf_puts(&b, head[k]);
			for (int i = 0; i < n; i++) {
				if (i)
					strbuf_puts(&b, ",");
				strbuf_puts(&b, row[k]);
			}
			strbuf_puts(&b, tail[k]);
			writer_sql[k][n] = strbuf_take(&b, NULL);
		}
}

/* the values of report p (device id) as a row of position or reading */
static size_t report_values(store_val *v, const tel_report *p, const char *id, int64_t now)
{
	size_t k = 0;
	v[k++] = store_v_text(id);
	v[k++] = store_v_int(p->ts_ms);
	if (p->is_position) {
		v[k++] = store_v_double(p->lon);
		v[k++] = store_v_double(p->lat);
		v[k++] = num_or_null(p->speed_kmh);
		v[k++] = num_or_null(p->heading);
	} else {
		v[k++] = store_v_text(p->metric);
		v[k++] = store_v_double(p->value);
	}
	v[k++] = store_v_int(now);
	return k;
}

/* a careful chunk's stored rows, as RETURNING tells them: mark the reports that are not duplicates */
typedef struct returned {
	const tel_report *r;
	tel_row *rows;
	const size_t *idx;
	size_t n;
} returned;

static int returned_row(store_q *q, void *ctx, yj_err *e)
{
	returned *t = ctx;
	const char *id = store_col_str(q, 0), *metric = store_col_text(q, 2);
	int64_t ts = store_col_int(q, 1);
	/* the first report of the chunk with this key that is not yet matched: the one stored */
	for (size_t i = 0; i < t->n; i++) {
		const tel_report *p = &t->r[t->idx[i]];
		tel_row *row = &t->rows[t->idx[i]];
		if (row->dup && p->ts_ms == ts && strcmp(row->id, id) == 0 &&
		    (p->is_position || (metric && strcmp(p->metric, metric) == 0))) {
			row->dup = false;
			return 0;
		}
	}
	return yj_fail(e, YJ_EINTERNAL, "", "telemetry: a stored row matches no report of its statement");
}

/* one statement for the reports at idx[0..n) (all positions or all readings; all careful or all plain) */
static int insert_rows(store *s, bool positions, bool careful, const tel_report *r, tel_row *rows,
                       const size_t *idx, size_t n, int64_t now, yj_err *e)
{
	store_val v[TEL_ROWS * POS_COLS];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		k += report_values(v + k, &r[idx[i]], rows[idx[i]].id, now);
		rows[idx[i]].dup = careful; /* careful: until its row comes back */
	}
	const char *sql = writer_sql[careful ? (positions ? SQL_POSITION_CAREFUL : SQL_READING_CAREFUL)
	                                     : (positions ? SQL_POSITION : SQL_READING)][n];
	if (careful)
		return store_each(store_query_a(s, e, sql, v, k), returned_row, &(returned){r, rows, idx, n}, e);
	int64_t changed = store_run_a(s, e, sql, v, k);
	if (changed < 0)
		return -1;
	if (changed != (int64_t)n)
		return yj_fail(e, YJ_EINTERNAL, "", "telemetry: %lld of %zu reports stored", (long long)changed, n);
	return 0;
}

int tel_db_insert_reports(store *s, const tel_report *reports, tel_row *rows, size_t n, int64_t now, yj_err *e)
{
	pthread_once(&writer_sql_once, build_writer_sql);
	size_t idx[TEL_ROWS];
	/* positions then readings, the plain ones then the careful ones, in chunks of TEL_ROWS */
	for (int pass = 0; pass < 4; pass++) {
		bool positions = pass % 2 == 0, careful = pass >= 2;
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			if (!rows[i].id || reports[i].is_position != positions || rows[i].careful != careful)
				continue;
			idx[k++] = i;
			if (k == TEL_ROWS) {
				if (insert_rows(s, positions, careful, reports, rows, idx, k, now, e))
					return -1;
				k = 0;
			}
		}
		if (k && insert_rows(s, positions, careful, reports, rows, idx, k, now, e))
			return -1;
	}
	return 0;
}

int tel_db_states_put(store *s, const tel_state *states, const char *const *ids, size_t n, yj_err *e)
{
	pthread_once(&writer_sql_once, build_writer_sql);
	store_val v[TEL_ROWS * STATE_NCOLS];
	for (size_t i = 0; i < n;) {
		size_t rows = n - i < TEL_ROWS ? n - i : TEL_ROWS, k = 0;
		for (size_t j = 0; j < rows; j++, i++) {
			const tel_state *st = &states[i];
			v[k++] = store_v_text(ids[i]);
			v[k++] = st->has_position ? store_v_int(st->pos_ts_ms) : store_null();
			v[k++] = st->has_position ? store_v_double(st->lon) : store_null();
			v[k++] = st->has_position ? store_v_double(st->lat) : store_null();
			v[k++] = st->has_position ? num_or_null(st->speed_kmh) : store_null();
			v[k++] = st->has_position ? num_or_null(st->heading) : store_null();
			v[k++] = st->reading_ts_ms ? store_v_int(st->reading_ts_ms) : store_null();
			v[k++] = store_v_int(st->last_seen_ms);
		}
		if (store_run_a(s, e, writer_sql[SQL_STATE][rows], v, k) < 0)
			return -1;
	}
	return 0;
}
