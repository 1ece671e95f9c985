/*
 * base.c — errors, arenas, string buffers, the clock, logging, parsing.
 *
 * The arena is a chain of blocks; an allocation that does not fit gets a new
 * block at least as large as itself. Nothing is freed until arena_free.
 * The clock adds an offset (tests set it) to the real time, so deadlines and
 * escalations are testable without sleeping.
 */
#include "base/base.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------ */

static int fail_v(yj_err *e, yj_code code, const char *reason, const char *field, const char *fmt, va_list ap)
{
	if (!e)
		return -1;
	e->code = code;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	snprintf(e->reason, sizeof e->reason, "%s", reason ? reason : "");
	va_list zh_ap;
	va_copy(zh_ap, ap);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	/* a message may echo what a client sent: it must stay valid UTF-8, whatever was cut */
	yj_utf8_repair(e->message, sizeof e->message);
	const char *zh = yj_msg_zh(fmt); /* the error path only: a bsearch */
	e->message_zh[0] = '\0';
	if (zh) {
		vsnprintf(e->message_zh, sizeof e->message_zh, zh, zh_ap);
		yj_utf8_repair(e->message_zh, sizeof e->message_zh);
	}
	va_end(zh_ap);
	yj_utf8_repair(e->field, sizeof e->field);
	return -1;
}

int yj_fail(yj_err *e, yj_code code, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_v(e, code, NULL, field, fmt, ap);
	va_end(ap);
	return -1;
}

int yj_refuse(yj_err *e, yj_code code, const char *reason, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_v(e, code, reason, field, fmt, ap);
	va_end(ap);
	return -1;
}

void yj_err_clear(yj_err *e)
{
	if (e)
		memset(e, 0, sizeof *e);
}

const char *yj_code_name(yj_code code)
{
	switch (code) {
	case YJ_OK: return "ok";
	case YJ_EINVAL: return "invalid_argument";
	case YJ_EUNAUTH: return "unauthenticated";
	case YJ_EFORBIDDEN: return "permission_denied";
	case YJ_ENOTFOUND: return "not_found";
	case YJ_EMETHOD: return "method_not_allowed";
	case YJ_ECONFLICT: return "conflict";
	case YJ_ETOOBIG: return "payload_too_large";
	case YJ_EUNPROCESSABLE: return "unprocessable";
	case YJ_ETHROTTLED: return "too_many_requests";
	case YJ_EUNAVAILABLE: return "unavailable";
	case YJ_EINTERNAL: return "internal";
	case YJ_ELENGTH: return "length_required";
	case YJ_EURITOOLONG: return "uri_too_long";
	case YJ_EHEADERS: return "headers_too_large";
	}
	return "internal";
}

/* ---- memory ------------------------------------------------------------- */

static void out_of_memory(size_t n)
{
	/* no allocation here: the log line is formatted on the stack */
	yj_log(YJ_LOG_ERROR, "out_of_memory", "bytes=%zu message=\"allocation failed; stopping\"", n);
	abort();
}

void *yj_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

void *yj_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory(n * size);
	return p;
}

void *yj_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		out_of_memory(n);
	return q;
}

char *yj_strdup(const char *s)
{
	return s ? yj_strndup(s, strlen(s)) : NULL;
}

char *yj_strndup(const char *s, size_t n)
{
	n = strnlen(s, n); /* at most n bytes, and never past the end of s */
	char *p = yj_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void *yj_grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap : 16;
	while (c < need) {
		if (c > SIZE_MAX / 2 / size)
			out_of_memory(SIZE_MAX);
		c *= 2;
	}
	p = yj_realloc(p, c * size);
	*cap = c;
	return p;
}

/* ---- arena -------------------------------------------------------------- */

typedef struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
} arena_block;

struct arena {
	arena_block *head;
	size_t next_size;
};

static arena_block *arena_block_new(size_t cap)
{
	arena_block *b = yj_malloc(sizeof *b + cap);
	b->next = NULL;
	b->used = 0;
	b->cap = cap;
	return b;
}

arena *arena_new(size_t first_block)
{
	arena *a = yj_malloc(sizeof *a);
	if (first_block < 256)
		first_block = 256;
	a->head = arena_block_new(first_block);
	a->next_size = first_block * 2;
	return a;
}

void arena_free(arena *a)
{
	if (!a)
		return;
	arena_block *b = a->head;
	while (b) {
		arena_block *n = b->next;
		free(b);
		b = n;
	}
	free(a);
}

void *arena_alloc(arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	arena_block *b = a->head;
	if (b->cap - b->used < n) {
		size_t cap = a->next_size > n ? a->next_size : n;
		if (a->next_size < ((size_t)1 << 24))
			a->next_size *= 2;
		arena_block *nb = arena_block_new(cap);
		nb->next = a->head;
		a->head = nb;
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

/* ---- strbuf ------------------------------------------------------------- */

void strbuf_init(strbuf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void strbuf_free(strbuf *b)
{
	free(b->data);
	strbuf_init(b);
}

static void strbuf_reserve(strbuf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = yj_realloc(b->data, cap);
	b->cap = cap;
}

void strbuf_append(strbuf *b, const void *p, size_t n)
{
	strbuf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
}

void strbuf_puts(strbuf *b, const char *s)
{
	strbuf_append(b, s, strlen(s));
}

void strbuf_printf(strbuf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	strbuf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->len += (size_t)n;
}

char *strbuf_take(strbuf *b, size_t *len)
{
	if (!b->data)
		strbuf_reserve(b, 0), b->data[0] = 0;
	char *p = b->data;
	if (len)
		*len = b->len;
	strbuf_init(b);
	return p;
}

/* ---- clock -------------------------------------------------------------- */

static _Atomic int64_t clock_offset_ms;
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;

static void clock_init_from_env(void)
{
	const char *fake = getenv("YJ_FAKE_NOW");
	if (!fake || !*fake)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t real = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	int64_t want;
	char *end;
	long long v = strtoll(fake, &end, 10);
	if (*end == 0)
		want = v;
	else if (yj_time_parse(fake, &want, "YJ_FAKE_NOW", NULL) != 0)
		return;
	atomic_store(&clock_offset_ms, want - real);
}

int64_t yj_now_ms(void)
{
	pthread_once(&clock_once, clock_init_from_env);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + atomic_load(&clock_offset_ms);
}

int64_t yj_real_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void yj_clock_set_offset(int64_t offset_ms)
{
	pthread_once(&clock_once, clock_init_from_env);
	atomic_store(&clock_offset_ms, offset_ms);
}

int64_t yj_clock_offset(void)
{
	pthread_once(&clock_once, clock_init_from_env);
	return atomic_load(&clock_offset_ms);
}

double yj_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void yj_deadline_in(long ms, struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int parse_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* days from civil, Howard Hinnant's algorithm: exact for the proleptic Gregorian calendar */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int yj_time_parse(const char *s, int64_t *ms, const char *field, yj_err *e)
{
	int Y, M, D, h, mi, sec, frac_ms = 0, sign = 0, oh = 0, om = 0;
	const char *p = s;
	if (!s)
		return yj_fail(e, YJ_EINVAL, field, "field '%s': missing time", field);
	if (parse_digits(&p, 4, &Y) || *p++ != '-' || parse_digits(&p, 2, &M) || *p++ != '-' ||
	    parse_digits(&p, 2, &D) || (*p != 'T' && *p != 't' && *p != ' '))
		goto bad;
	p++;
	if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi) || *p++ != ':' ||
	    parse_digits(&p, 2, &sec))
		goto bad;
	if (*p == '.') {
		p++;
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			if (digits < 3)
				frac_ms = frac_ms * 10 + (*p - '0');
			digits++;
			p++;
		}
		if (digits == 0)
			goto bad;
		for (int i = digits; i < 3; i++)
			frac_ms *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (parse_digits(&p, 2, &oh) || *p++ != ':' || parse_digits(&p, 2, &om))
			goto bad;
	} else {
		goto bad;
	}
	if (*p)
		goto bad;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || mi > 59 || sec > 60 || oh > 23 ||
	    om > 59)
		goto bad;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		goto bad;
	int64_t days = days_from_civil(Y, M, D);
	int64_t t = ((days * 24 + h) * 60 + mi) * 60 + (sec == 60 ? 59 : sec);
	t -= sign * (oh * 3600 + om * 60);
	*ms = t * 1000 + frac_ms;
	return 0;
bad:
	return yj_fail(e, YJ_EINVAL, field,
	               "field '%s': '%.40s' is not an RFC 3339 time such as 2022-08-18T09:30:00+08:00",
	               field, s);
}

void yj_time_format(int64_t ms, char out[40])
{
	time_t t = (time_t)(ms / 1000) + 8 * 3600;
	int frac = (int)(ms % 1000);
	if (frac < 0) {
		frac += 1000;
		t -= 1;
	}
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac)
		snprintf(out + n, 40 - n, ".%03d+08:00", frac);
	else
		snprintf(out + n, 40 - n, "+08:00");
}

/* ---- logging ------------------------------------------------------------ */

static _Atomic int log_level = YJ_LOG_INFO;

void yj_log_set_level(yj_log_level lvl)
{
	atomic_store(&log_level, (int)lvl);
}

void yj_log(yj_log_level lvl, const char *event, const char *fmt, ...)
{
	if ((int)lvl < atomic_load(&log_level))
		return;
	static const char *names[] = {"debug", "info", "warn", "error"};
	char ts[40];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	yj_time_format((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, ts);
	char line[2048];
	int n = snprintf(line, sizeof line, "ts=%s level=%s event=%s", ts, names[lvl], event);
	if (fmt && *fmt && n > 0 && (size_t)n < sizeof line - 2) {
		line[n++] = ' ';
		va_list ap;
		va_start(ap, fmt);
		int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
	}
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	/* one write per line, so lines from threads never interleave */
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}

const char *yj_log_quote(char *buf, size_t cap, const char *v)
{
	if (!v || !*v)
		return "-";
	bool plain = true;
	for (const char *p = v; *p; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\n' || *p == '\\')
			plain = false;
	if (plain)
		return v;
	size_t j = 0;
	buf[j++] = '"';
	for (const char *p = v; *p && j + 3 < cap; p++) {
		if (*p == '"' || *p == '\\')
			buf[j++] = '\\';
		buf[j++] = *p == '\n' ? ' ' : *p;
	}
	buf[j++] = '"';
	buf[j] = 0;
	return buf;
}

/* ---- helpers ------------------------------------------------------------ */

void yj_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = 0;
}

/* length of the valid UTF-8 sequence at p (at most n bytes), 0 when it is not one */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t cp;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return len;
}

void yj_utf8_repair(char *s, size_t cap)
{
	if (!s || cap == 0)
		return;
	size_t n = strnlen(s, cap - 1);
	if (yj_utf8_valid(s, n)) {
		s[n] = 0;
		return;
	}
	char tmp[1024];
	char *out = cap <= sizeof tmp ? tmp : yj_malloc(cap);
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq(p + i, n - i);
		const char *src = len ? s + i : "\xEF\xBF\xBD";
		size_t w = len ? len : 3;
		if (o + w > cap - 1)
			break;
		memcpy(out + o, src, w);
		o += w;
		i += len ? len : 1;
	}
	memcpy(s, out, o);
	s[o] = 0;
	if (out != tmp)
		free(out);
}

void yj_utf8_trim(char *s)
{
	size_t n = strlen(s);
	/* walk back over continuation bytes to the lead byte of the last sequence */
	size_t i = n, back = 0;
	while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0)
		return;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (lead >= 0x80 && back + 1 < need)
		s[i - 1] = 0;
}

bool yj_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		unsigned c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		int len;
		unsigned cp;
		if ((c & 0xE0) == 0xC0)
			len = 2, cp = c & 0x1F;
		else if ((c & 0xF0) == 0xE0)
			len = 3, cp = c & 0x0F;
		else if ((c & 0xF8) == 0xF0)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (end - p < len)
			return false;
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += len;
	}
	return true;
}

char *yj_read_file(const char *path, size_t *len, yj_err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		yj_fail(e, YJ_ENOTFOUND, "path", "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	strbuf b;
	strbuf_init(&b);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		strbuf_append(&b, chunk, n);
	int failed = ferror(f);
	fclose(f);
	if (failed) {
		strbuf_free(&b);
		yj_fail(e, YJ_EINTERNAL, "path", "cannot read %s", path);
		return NULL;
	}
	return strbuf_take(&b, len);
}

int yj_parse_long(const char *s, long lo, long hi, long *out, const char *field, yj_err *e)
{
	if (!s || !*s)
		return yj_fail(e, YJ_EINVAL, field, "field '%s': missing number", field);
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || errno)
		return yj_fail(e, YJ_EINVAL, field, "field '%s': '%.32s' is not a whole number", field, s);
	if (v < lo || v > hi)
		return yj_fail(e, YJ_EINVAL, field, "field '%s': %ld is outside %ld..%ld", field, v, lo, hi);
	*out = v;
	return 0;
}

int yj_parse_double(const char *s, double lo, double hi, double *out, const char *field, yj_err *e)
{
	if (!s || !*s)
		return yj_fail(e, YJ_EINVAL, field, "field '%s': missing number", field);
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (*end || errno || !isfinite(v))
		return yj_fail(e, YJ_EINVAL, field, "field '%s': '%.32s' is not a number", field, s);
	if (v < lo || v > hi)
		return yj_fail(e, YJ_EINVAL, field, "field '%s': %g is outside %g..%g", field, v, lo, hi);
	*out = v;
	return 0;
}

int yj_only_keys(json_t *obj, const char *const *keys, yj_err *e)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		bool known = false;
		for (int i = 0; keys[i] && !known; i++)
			known = strcmp(k, keys[i]) == 0;
		if (!known)
			return yj_fail(e, YJ_EINVAL, k, "field '%.60s' is not known here", k);
	}
	return 0;
}

uint64_t yj_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double yj_rand_unit(uint64_t *state)
{
	return (double)(yj_rand_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t yj_rand_below(uint64_t *state, uint64_t n)
{
	return n ? yj_rand_next(state) % n : 0;
}

void yj_json_escape(strbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	strbuf_reserve(b, strlen(s) + 2);
	b->data[b->len++] = '"';
	const char *run = s;
	for (const char *p = s;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c && c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_append(b, run, (size_t)(p - run));
		if (!c)
			break;
		char esc[7] = {'\\', (char)c, 0};
		if (c == '\n')
			esc[1] = 'n';
		else if (c == '\r')
			esc[1] = 'r';
		else if (c == '\t')
			esc[1] = 't';
		else if (c < 0x20)
			snprintf(esc, sizeof esc, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		strbuf_puts(b, esc);
		run = p + 1;
	}
	strbuf_append(b, "\"", 1);
}

static int progress_shown;

void yj_progress(const char *what, long done, long total)
{
	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r%s %ld/%ld", what, done, total);
	progress_shown = 1;
}

void yj_progress_done(void)
{
	if (progress_shown && isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
	progress_shown = 0;
}
