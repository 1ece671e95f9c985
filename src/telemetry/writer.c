/*
 * writer.c — ingest: parse and check reports, then one writer thread writes
 * them with group commit.
 *
 * Every connection (HTTP or MQTT) parses its own body, queues the good
 * reports and waits. The writer takes everything queued, writes it in one
 * transaction (inserts, then the rules hook, so alarms are durable with the
 * reports that raised them), commits (synchronous=FULL: on disk), and wakes
 * the waiters whose reports are in. While it writes, the next batch
 * gathers, so under load a commit carries many requests' reports: one
 * fsync for thousands of reports. After the commit it folds the newest
 * positions into the in-memory latest state and tells the map streams.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http.h"
#include "telemetry/tel_int.h"

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER; /* work for the writer */
static pthread_cond_t dcond = PTHREAD_COND_INITIALIZER; /* a batch finished */
static tel_report *pending;
static size_t npending, cap_pending;
static uint64_t next_seq, done_seq, failed_lo, failed_hi;
static bool running, stopping;
static pthread_t writer;
static tel_batch_fn batch_hook;
static tel_tick_fn tick_hook;
static tel_committed_fn committed_hook;
static tel_config config;

void tel_set_batch_hook(tel_batch_fn fn)
{
	batch_hook = fn;
}

void tel_set_tick_hook(tel_tick_fn fn)
{
	tick_hook = fn;
}

void tel_set_committed_hook(tel_committed_fn fn)
{
	committed_hook = fn;
}

uint64_t tel_queue(const tel_report *r, size_t n)
{
	pthread_mutex_lock(&qlock);
	if (!running || stopping) {
		pthread_mutex_unlock(&qlock);
		return 0;
	}
	if (npending + n > cap_pending) {
		size_t cap = cap_pending ? cap_pending : 4096;
		while (cap < npending + n)
			cap *= 2;
		pending = realloc(pending, cap * sizeof *pending);
		if (!pending)
			abort();
		cap_pending = cap;
	}
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

static int write_batch(store *s, const tel_report *r, size_t n, yj_err *e)
{
	if (store_begin(s, e))
		return -1;
	sqlite3_stmt *pos = store_stmt(s,
	                               "INSERT INTO position(device_id, ts_ms, lon, lat, speed_kmh, heading, "
	                               "received_ms) VALUES (?,?,?,?,?,?,?)",
	                               e);
	sqlite3_stmt *rd = store_stmt(s,
	                              "INSERT INTO reading(device_id, ts_ms, metric, value, received_ms) "
	                              "VALUES (?,?,?,?,?)",
	                              e);
	if (!pos || !rd) {
		store_rollback(s);
		return -1;
	}
	int64_t now = yj_now_ms();
	int rc = SQLITE_DONE;
	pthread_rwlock_rdlock(&tel_devices_lock);
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		const tel_device *d = tel_device_slot_locked(r[i].device);
		if (!d)
			continue;
		sqlite3_stmt *st = r[i].is_position ? pos : rd;
		sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, r[i].ts_ms);
		if (r[i].is_position) {
			sqlite3_bind_double(st, 3, r[i].lon);
			sqlite3_bind_double(st, 4, r[i].lat);
			if (isnan(r[i].speed_kmh))
				sqlite3_bind_null(st, 5);
			else
				sqlite3_bind_double(st, 5, r[i].speed_kmh);
			if (isnan(r[i].heading))
				sqlite3_bind_null(st, 6);
			else
				sqlite3_bind_double(st, 6, r[i].heading);
			sqlite3_bind_int64(st, 7, now);
		} else {
			sqlite3_bind_text(st, 3, r[i].metric, -1, SQLITE_STATIC);
			sqlite3_bind_double(st, 4, r[i].value);
			sqlite3_bind_int64(st, 5, now);
		}
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	pthread_rwlock_unlock(&tel_devices_lock);
	if (rc != SQLITE_DONE) {
		store_fail(s, e, "insert telemetry");
		store_rollback(s);
		return -1;
	}
	if (batch_hook && batch_hook(s, r, n, e)) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, e);
}

/* fold the batch into the latest state, then tell the map streams */
static void after_commit(const tel_report *r, size_t n)
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
	if (http_sse_topic_clients("positions") == 0)
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
		double pt[2] = {r[i].lon, r[i].lat};
		http_sse_publish("positions", "position", d.area_code, pt, b.data);
	}
	strbuf_free(&b);
}

static void tick(store *s, int64_t *last_tick)
{
	double now = yj_mono_ms();
	if (!tick_hook || now - (double)*last_tick < 1000)
		return;
	*last_tick = (int64_t)now;
	yj_err e = {0};
	if (store_begin(s, &e) == 0) {
		if (tick_hook(s, yj_now_ms(), &e) || store_commit(s, &e)) {
			store_rollback(s);
			yj_log(YJ_LOG_ERROR, "telemetry_tick", "message=\"%s\"", e.message);
		} else if (committed_hook) {
			committed_hook();
		}
	}
}

static void *writer_main(void *arg)
{
	store *s = store_thread();
	if (s)
		sqlite3_wal_autocheckpoint(store_db(s), 0); /* the store's checkpointer does it */
	tel_report *batch = NULL;
	size_t cap_batch = 0;
	int64_t last_tick = 0;
	for (;;) {
		pthread_mutex_lock(&qlock);
		while (npending == 0 && !stopping) {
			struct timespec ts;
			yj_deadline_in(250, &ts);
			pthread_cond_timedwait(&qcond, &qlock, &ts);
			if (npending == 0) {
				pthread_mutex_unlock(&qlock);
				if (s)
					tick(s, &last_tick);
				pthread_mutex_lock(&qlock);
			}
		}
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

		yj_err e = {0};
		int rc = s ? write_batch(s, batch, n, &e) : -1;
		if (rc)
			yj_log(YJ_LOG_ERROR, "telemetry_batch", "reports=%zu message=\"%s\"", n, e.message);
		else
			after_commit(batch, n);
		if (rc == 0 && committed_hook)
			committed_hook();

		pthread_mutex_lock(&qlock);
		done_seq = hi;
		if (rc) {
			failed_lo = lo;
			failed_hi = hi;
		}
		pthread_cond_broadcast(&dcond);
		pthread_mutex_unlock(&qlock);
		if (s)
			tick(s, &last_tick);
	}
	free(batch);
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

/* ---- parsing and checking ---------------------------------------------------------- */

static void reject(tel_result *out, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reject(tel_result *out, long line, const char *fmt, ...)
{
	if (out->nrejected % 64 == 0) {
		out->rejected = realloc(out->rejected, (size_t)(out->nrejected + 64) * sizeof *out->rejected);
		if (!out->rejected)
			abort();
	}
	tel_rejected *r = &out->rejected[out->nrejected++];
	r->line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	yj_utf8_trim(r->error);
}

static bool metric_ok(const char *m)
{
	size_t n = strlen(m);
	if (n < 1 || n > 23)
		return false;
	for (const char *p = m; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

static double opt_number(json_t *o, const char *key, bool *bad)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NAN;
	if (!json_is_number(v)) {
		*bad = true;
		return NAN;
	}
	return json_number_value(v);
}

/* one report object -> r; false (and a rejection) when it is not acceptable */
static bool check_report(json_t *o, long line, const char *only_device, const auth_user *user,
                         int64_t now, tel_report *r, tel_result *out)
{
	memset(r, 0, sizeof *r);
	if (!json_is_object(o)) {
		reject(out, line, "a report must be a JSON object");
		return false;
	}
	json_t *dev = json_object_get(o, "device");
	if (!json_is_string(dev)) {
		reject(out, line, "field 'device' is required (a device id)");
		return false;
	}
	const char *id = json_string_value(dev);
	if (only_device && strcmp(id, only_device) != 0) {
		reject(out, line, "field 'device': this key belongs to device %s, not %.64s", only_device, id);
		return false;
	}
	r->device = tel_device_find(id);
	tel_device d;
	if (r->device < 0 || !tel_device_get(r->device, &d)) {
		reject(out, line, "field 'device': unknown device %.64s", id);
		return false;
	}
	if (d.disabled) {
		reject(out, line, "field 'device': device %.64s is disabled", id);
		return false;
	}
	if (user && !auth_area_visible(user, d.area_code)) {
		reject(out, line, "field 'device': device %.64s is outside your jurisdiction", id);
		return false;
	}
	json_t *ts = json_object_get(o, "ts");
	yj_err e = {0};
	if (!json_is_string(ts)) {
		reject(out, line, "field 'ts' is required (RFC 3339, e.g. 2022-08-18T09:30:00+08:00)");
		return false;
	}
	if (yj_time_parse(json_string_value(ts), &r->ts_ms, "ts", &e)) {
		reject(out, line, "%s", e.message);
		return false;
	}
	if (r->ts_ms > now + 5 * 60 * 1000) {
		reject(out, line, "field 'ts': %.40s is more than 5 minutes in the future", json_string_value(ts));
		return false;
	}
	if (r->ts_ms < 946684800000LL) {
		reject(out, line, "field 'ts': %.40s is before 2000", json_string_value(ts));
		return false;
	}
	json_t *lon = json_object_get(o, "lon"), *lat = json_object_get(o, "lat");
	json_t *metric = json_object_get(o, "metric");
	if ((lon || lat) && metric) {
		reject(out, line, "a report is a position (lon, lat) or a reading (metric, value), not both");
		return false;
	}
	if (lon || lat) {
		if (!json_is_number(lon) || !json_is_number(lat)) {
			reject(out, line, "fields 'lon' and 'lat' must both be numbers");
			return false;
		}
		r->is_position = true;
		r->lon = json_number_value(lon);
		r->lat = json_number_value(lat);
		if (r->lon < -180 || r->lon > 180) {
			reject(out, line, "field 'lon': %g is outside -180..180", r->lon);
			return false;
		}
		if (r->lat < -90 || r->lat > 90) {
			reject(out, line, "field 'lat': %g is outside -90..90", r->lat);
			return false;
		}
		bool bad = false;
		r->speed_kmh = opt_number(o, "speed_kmh", &bad);
		r->heading = opt_number(o, "heading", &bad);
		if (bad) {
			reject(out, line, "fields 'speed_kmh' and 'heading' must be numbers");
			return false;
		}
		if (!isnan(r->speed_kmh) && (r->speed_kmh < 0 || r->speed_kmh > 1000)) {
			reject(out, line, "field 'speed_kmh': %g is outside 0..1000", r->speed_kmh);
			return false;
		}
		if (!isnan(r->heading) && (r->heading < 0 || r->heading > 360)) {
			reject(out, line, "field 'heading': %g is outside 0..360", r->heading);
			return false;
		}
		return true;
	}
	if (!metric) {
		reject(out, line, "a report needs lon and lat (a position) or metric and value (a reading)");
		return false;
	}
	if (!json_is_string(metric) || !metric_ok(json_string_value(metric))) {
		reject(out, line, "field 'metric': 1 to 23 of a-z, 0-9 and '_' (e.g. rain_mm)");
		return false;
	}
	json_t *value = json_object_get(o, "value");
	if (!json_is_number(value) || !isfinite(json_number_value(value))) {
		reject(out, line, "field 'value' must be a number");
		return false;
	}
	snprintf(r->metric, sizeof r->metric, "%s", json_string_value(metric));
	r->value = json_number_value(value);
	r->speed_kmh = r->heading = NAN;
	return true;
}

/* ---- fast path for NDJSON lines ------------------------------------------------------ */

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* a plain string: printable ASCII, no escapes; p at the opening quote */
static const char *fast_string(const char *p, const char *end, const char **s, size_t *len)
{
	if (p >= end || *p != '"')
		return NULL;
	const char *q = ++p;
	while (q < end && *q != '"') {
		if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x80 || *q == '\\')
			return NULL;
		q++;
	}
	if (q >= end)
		return NULL;
	*s = p;
	*len = (size_t)(q - p);
	return q + 1;
}

/* a JSON number (strict grammar), finite, not an integer jansson would call too big */
static const char *fast_number(const char *p, const char *end, double *v)
{
	const char *q = p;
	bool real = false;
	if (q < end && *q == '-')
		q++;
	if (q >= end || *q < '0' || *q > '9')
		return NULL;
	if (*q == '0')
		q++;
	else
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	if (q < end && *q == '.') {
		real = true;
		q++;
		if (q >= end || *q < '0' || *q > '9')
			return NULL;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		real = true;
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q >= end || *q < '0' || *q > '9')
			return NULL;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	char tmp[64];
	if ((size_t)(q - p) >= sizeof tmp || (!real && q - p > 15))
		return NULL;
	memcpy(tmp, p, (size_t)(q - p));
	tmp[q - p] = 0;
	*v = strtod(tmp, NULL);
	return isfinite(*v) ? q : NULL;
}

/*
 * The common line, {"device":"…","ts":"…","lon":…,"lat":…} and the like, read
 * without building a jansson tree. True with *r filled only for a flat object
 * of known keys, plain strings and numbers, that passes every check; anything
 * else (escapes, other keys, duplicates, a bad value) returns false and the
 * line goes through json_loadb and check_report, which word the rejection.
 */
static bool fast_report(const char *p, const char *end, const char *only_device, const auth_user *user,
                        int64_t now, tel_report *r)
{
	enum { K_DEVICE = 1, K_TS = 2, K_LON = 4, K_LAT = 8, K_SPEED = 16, K_HEADING = 32, K_METRIC = 64, K_VALUE = 128 };
	unsigned seen = 0;
	const char *dev = NULL, *ts = NULL, *metric = NULL;
	size_t devlen = 0, tslen = 0, metlen = 0;
	double lon = 0, lat = 0, speed = NAN, heading = NAN, value = 0;
	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return false;
	for (;;) {
		const char *k;
		size_t kl;
		p = fast_string(skip_ws(p, end), end, &k, &kl);
		if (!p)
			return false;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			return false;
		p = skip_ws(p, end);
		unsigned bit;
		if (kl == 6 && memcmp(k, "device", 6) == 0)
			bit = K_DEVICE, p = fast_string(p, end, &dev, &devlen);
		else if (kl == 2 && memcmp(k, "ts", 2) == 0)
			bit = K_TS, p = fast_string(p, end, &ts, &tslen);
		else if (kl == 3 && memcmp(k, "lon", 3) == 0)
			bit = K_LON, p = fast_number(p, end, &lon);
		else if (kl == 3 && memcmp(k, "lat", 3) == 0)
			bit = K_LAT, p = fast_number(p, end, &lat);
		else if (kl == 9 && memcmp(k, "speed_kmh", 9) == 0)
			bit = K_SPEED, p = fast_number(p, end, &speed);
		else if (kl == 7 && memcmp(k, "heading", 7) == 0)
			bit = K_HEADING, p = fast_number(p, end, &heading);
		else if (kl == 6 && memcmp(k, "metric", 6) == 0)
			bit = K_METRIC, p = fast_string(p, end, &metric, &metlen);
		else if (kl == 5 && memcmp(k, "value", 5) == 0)
			bit = K_VALUE, p = fast_number(p, end, &value);
		else
			return false;
		if (!p || (seen & bit))
			return false;
		seen |= bit;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}') {
			p++;
			break;
		}
		return false;
	}
	if (skip_ws(p, end) != end || !(seen & K_DEVICE) || !(seen & K_TS))
		return false;
	memset(r, 0, sizeof *r);
	char id[64], tsb[64];
	if (devlen == 0 || devlen >= sizeof id || tslen >= sizeof tsb)
		return false;
	memcpy(id, dev, devlen);
	id[devlen] = 0;
	memcpy(tsb, ts, tslen);
	tsb[tslen] = 0;
	if (only_device && strcmp(id, only_device) != 0)
		return false;
	r->device = tel_device_find(id);
	tel_device d;
	if (r->device < 0 || !tel_device_get(r->device, &d) || d.disabled ||
	    (user && !auth_area_visible(user, d.area_code)))
		return false;
	yj_err e = {0};
	if (yj_time_parse(tsb, &r->ts_ms, "ts", &e) || r->ts_ms > now + 5 * 60 * 1000 || r->ts_ms < 946684800000LL)
		return false;
	if (seen & (K_LON | K_LAT)) {
		if ((seen & (K_METRIC | K_VALUE)) || (seen & (K_LON | K_LAT)) != (K_LON | K_LAT))
			return false;
		if (lon < -180 || lon > 180 || lat < -90 || lat > 90)
			return false;
		if ((!isnan(speed) && (speed < 0 || speed > 1000)) || (!isnan(heading) && (heading < 0 || heading > 360)))
			return false;
		r->is_position = true;
		r->lon = lon;
		r->lat = lat;
		r->speed_kmh = speed;
		r->heading = heading;
		return true;
	}
	if ((seen & (K_SPEED | K_HEADING)) || (seen & (K_METRIC | K_VALUE)) != (K_METRIC | K_VALUE) ||
	    metlen >= sizeof r->metric)
		return false;
	memcpy(r->metric, metric, metlen);
	r->metric[metlen] = 0;
	if (!metric_ok(r->metric))
		return false;
	r->value = value;
	r->speed_kmh = r->heading = NAN;
	return true;
}

void tel_result_free(tel_result *r)
{
	free(r->rejected);
	r->rejected = NULL;
	r->nrejected = 0;
}

int tel_ingest(const char *body, size_t len, const char *only_device, const auth_user *user,
               tel_result *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	size_t cap = 256, n = 0;
	tel_report *reports = malloc(cap * sizeof *reports);
	if (!reports)
		abort();
	int64_t now = yj_now_ms();
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i < len && body[i] == '[') {
		/* a JSON array: line K is the K-th element */
		json_error_t jerr;
		json_t *arr = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!arr) {
			free(reports);
			return yj_fail(e, YJ_EINVAL, "body", "invalid JSON at line %d column %d: %s", jerr.line,
			               jerr.column, jerr.text);
		}
		size_t k;
		json_t *o;
		json_array_foreach(arr, k, o) {
			if (n == cap) {
				cap *= 2;
				reports = realloc(reports, cap * sizeof *reports);
			}
			if (check_report(o, (long)k + 1, only_device, user, now, &reports[n], out))
				n++;
		}
		json_decref(arr);
	} else {
		/* NDJSON: one object per line; blank lines are skipped */
		long line = 0;
		size_t start = 0;
		while (start < len) {
			const char *nl = memchr(body + start, '\n', len - start);
			size_t end = nl ? (size_t)(nl - body) : len;
			line++;
			size_t a = start, b = end;
			while (a < b && (body[a] == ' ' || body[a] == '\t' || body[a] == '\r'))
				a++;
			while (b > a && (body[b - 1] == ' ' || body[b - 1] == '\t' || body[b - 1] == '\r'))
				b--;
			if (b > a && n == cap) {
				cap *= 2;
				reports = realloc(reports, cap * sizeof *reports);
			}
			if (b > a && fast_report(body + a, body + b, only_device, user, now, &reports[n])) {
				n++;
			} else if (b > a) {
				json_error_t jerr;
				json_t *o = json_loadb(body + a, b - a, JSON_REJECT_DUPLICATES, &jerr);
				if (!o) {
					reject(out, line, "invalid JSON at column %d: %s", jerr.column, jerr.text);
				} else {
					if (n == cap) {
						cap *= 2;
						reports = realloc(reports, cap * sizeof *reports);
					}
					if (check_report(o, line, only_device, user, now, &reports[n], out))
						n++;
					json_decref(o);
				}
			}
			start = end + 1;
		}
	}
	int rc = 0;
	if (n) {
		uint64_t seq = tel_queue(reports, n);
		if (!seq)
			rc = yj_fail(e, YJ_EUNAVAILABLE, "", "telemetry is not being taken now (stopping)");
		else
			rc = tel_wait_durable(seq, e);
	}
	free(reports);
	if (rc) {
		tel_result_free(out);
		return -1;
	}
	out->accepted = (long)n;
	return 0;
}
