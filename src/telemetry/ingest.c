/*
 * ingest.c — reading reports: a JSON array or NDJSON body, line by line,
 * each checked (known, enabled device in the sender's reach; time; ranges)
 * before the good ones go to the writer (writer.c) in one piece.
 *
 * The common NDJSON line is read by a small scanner without building a
 * jansson tree (fast_report); anything it does not take goes through
 * json_loadb and check_report, which word the rejection. Bad lines never
 * block good ones, but a body that is mostly bad is not read to its end:
 * after TEL_MAX_BAD_LINES bad lines, or when more than half of the first
 * TEL_BAD_PROBE lines are bad, the request is refused whole (400, nothing
 * stored), so a megabyte of garbage costs a hundred lines of work, not
 * seconds of a thread. Rejection messages are valid UTF-8 whatever the line
 * held (they are echoed back in JSON).
 */
#include <stdlib.h>
#include <string.h>

#include "telemetry/tel_int.h"

/* who may report: the key's own device, or devices in the signed-in user's scope */
typedef struct sender {
	const char *only_device;
	const auth_scope *scope;
} sender;

static void reject(tel_result *out, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* count a bad line; keep its words (as valid UTF-8: they may quote the line) while there is room */
static void reject(tel_result *out, long line, const char *fmt, ...)
{
	out->nrejected++;
	if (out->nkept >= TEL_REJECTED_KEPT)
		return;
	if (out->nkept % 64 == 0)
		out->rejected = yj_realloc(out->rejected, (size_t)(out->nkept + 64) * sizeof *out->rejected);
	tel_rejected *r = &out->rejected[out->nkept++];
	r->line = line;
	va_list ap, zh_ap;
	va_start(ap, fmt);
	va_copy(zh_ap, ap);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	yj_utf8_repair(r->error, sizeof r->error);
	if (!yj_vformat_zh(r->error_zh, sizeof r->error_zh, fmt, zh_ap))
		r->error_zh[0] = '\0';
	va_end(zh_ap);
	va_end(ap);
}

/* a line refused with an error's words, in both languages */
static void reject_err(tel_result *out, long line, const yj_err *e)
{
	reject(out, line, "%s", e->message);
	if (out->nkept && out->rejected[out->nkept - 1].line == line && e->message_zh[0])
		snprintf(out->rejected[out->nkept - 1].error_zh, sizeof out->rejected[0].error_zh, "%s", e->message_zh);
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
static bool check_report(json_t *o, long line, const sender *who, int64_t now, tel_report *r, tel_result *out)
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
	if (who->only_device && strcmp(id, who->only_device) != 0) {
		reject(out, line, "field 'device': this key belongs to device %s, not %.64s", who->only_device, id);
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
	if (who->scope && !auth_scope_contains(who->scope, d.area_code)) {
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
		reject_err(out, line, &e);
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
static bool fast_report(const char *p, const char *end, const sender *who, int64_t now, tel_report *r)
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
	if (who->only_device && strcmp(id, who->only_device) != 0)
		return false;
	r->device = tel_device_find(id);
	tel_device d;
	if (r->device < 0 || !tel_device_get(r->device, &d) || d.disabled ||
	    (who->scope && !auth_scope_contains(who->scope, d.area_code)))
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
	r->nkept = r->nrejected = 0;
}

/* read enough: too many bad lines, or mostly bad from the start */
static bool too_bad(const tel_result *out)
{
	return out->nrejected >= TEL_MAX_BAD_LINES || (out->lines == TEL_BAD_PROBE && out->nrejected * 2 > out->lines);
}

static int refuse(const tel_result *out, yj_err *e)
{
	return yj_fail(e, YJ_EINVAL, "body",
	               "%ld of the first %ld lines are bad: nothing of this request was stored; fix the lines and send "
	               "it again",
	               out->nrejected, out->lines);
}

/* the reports of a JSON array: element K is line K */
static int read_array(const char *body, size_t len, const sender *who, int64_t now, tel_report **reports, size_t *n,
                      size_t *cap, tel_result *out, yj_err *e)
{
	json_error_t jerr;
	json_t *arr = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!arr) {
		yj_utf8_repair(jerr.text, sizeof jerr.text);
		return yj_fail(e, YJ_EINVAL, "body", "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
		               jerr.text);
	}
	size_t k;
	json_t *o;
	int rc = 0;
	json_array_foreach(arr, k, o) {
		*reports = yj_grow(*reports, cap, *n + 1, sizeof **reports);
		out->lines++;
		if (check_report(o, (long)k + 1, who, now, &(*reports)[*n], out))
			(*n)++;
		if (too_bad(out)) {
			rc = refuse(out, e);
			break;
		}
	}
	json_decref(arr);
	return rc;
}

/* NDJSON: one object a line; blank lines are skipped (but counted as lines of the body) */
static int read_lines(const char *body, size_t len, const sender *who, int64_t now, tel_report **reports, size_t *n,
                      size_t *cap, tel_result *out, yj_err *e)
{
	long line = 0;
	size_t start = 0;
	while (start < len) {
		const char *nl = memchr(body + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - body) : len;
		line++;
		size_t a = start, b = end;
		start = end + 1;
		while (a < b && (body[a] == ' ' || body[a] == '\t' || body[a] == '\r'))
			a++;
		while (b > a && (body[b - 1] == ' ' || body[b - 1] == '\t' || body[b - 1] == '\r'))
			b--;
		if (b == a)
			continue;
		*reports = yj_grow(*reports, cap, *n + 1, sizeof **reports);
		out->lines++;
		if (fast_report(body + a, body + b, who, now, &(*reports)[*n])) {
			(*n)++;
		} else {
			json_error_t jerr;
			json_t *o = json_loadb(body + a, b - a, JSON_REJECT_DUPLICATES, &jerr);
			if (!o) {
				reject(out, line, "invalid JSON at column %d: %s", jerr.column, jerr.text);
			} else {
				if (check_report(o, line, who, now, &(*reports)[*n], out))
					(*n)++;
				json_decref(o);
			}
		}
		if (too_bad(out))
			return refuse(out, e);
	}
	return 0;
}

int tel_ingest(const char *body, size_t len, const char *only_device, const auth_user *user,
               tel_result *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	auth_scope own;
	sender who = {.only_device = only_device};
	if (user) {
		if (auth_scope_for(user, NULL, "area", &own, e))
			return -1;
		who.scope = &own;
	}
	size_t cap = 0, n = 0;
	tel_report *reports = NULL;
	int64_t now = yj_now_ms();
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	int rc = i < len && body[i] == '[' ? read_array(body, len, &who, now, &reports, &n, &cap, out, e)
	                                   : read_lines(body, len, &who, now, &reports, &n, &cap, out, e);
	tel_ticket ticket = {0};
	if (rc == 0 && n) {
		rc = tel_queue(reports, n, &ticket) == 0
		         ? tel_wait_durable(&ticket, e)
		         : yj_fail(e, YJ_EUNAVAILABLE, "", "telemetry is not being taken now (stopping)");
	}
	free(reports);
	if (rc)
		return -1;
	out->accepted = (long)n;
	out->duplicates = ticket.duplicates;
	return 0;
}
