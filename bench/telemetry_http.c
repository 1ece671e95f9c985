/*
 * telemetry_http.c — load client for `POST /api/v1/telemetry` (NDJSON) of a
 * running `yingji serve` on loopback, with an alarm-latency probe.
 *
 *   telemetry_http --port P --password-file F --rules FILE
 *       creates one geofence rule a line of FILE ("name min_lon min_lat max_lon max_lat kind,kind..."),
 *       trigger enter, margin 50 m, through POST /api/v1/rules; prints "rules=N errors=N wall_s=…"
 *
 *   telemetry_http --port P --password-file F --points FILE [--devices 100000] [--batch 2000]
 *       [--threads 4] [--t0-ms MS] [--marker ID --marker-in LON,LAT --marker-out LON,LAT]
 *       [--marker-every-ms 100] [--marker-lat FILE] [--req-lat FILE]
 *
 * Logs in once as admin (the bench sends with the admin token, not device
 * keys). The points file holds "lon lat" a line; report i is points[i] for
 * device B<i % devices + 1, six digits>, at time t0 + i ms (so every device's
 * reports go forward in time). All request bodies are built before the clock
 * starts, so the client's own formatting is not in the figure. Then each of
 * the threads reuses one libcurl handle (one keep-alive connection) and
 * takes the next batch from a shared counter until none is left; batches go
 * out roughly in time order. Only reports the server answered 202 for, and
 * counted in "accepted", count; reports/s = accepted / wall time.
 *
 * Alongside the load, the probe: a reader of GET /api/v1/stream/alarms
 * (Server-Sent Events), and, once the stream said hello, a marker thread
 * that every --marker-every-ms sends one report for the marker device,
 * alternately inside its fence (an alarm is raised) and well outside it
 * (the alarm is cleared). Each marker send k expects the k-th alarm event
 * of that device (open, closed, open, …); its latency is event received -
 * send start. The marker stops when the load is done; its last events are
 * waited for (bounded). Prints one line:
 *   accepted=… rejected=… errors=… requests=… wall_s=… rps=… req_p50_ms=… req_p99_ms=…
 *   markers=… marker_events=… marker_mismatch=… alarm_p50_ms=… alarm_p99_ms=… alarm_max_ms=…
 *   alarm_events=… alarm_open=… alarm_closed=…
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include <stdbool.h>

/* this client uses only part of the shared helpers */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "bench_util.h"

typedef struct buf {
	char *p;
	size_t len, cap;
} buf;

static void buf_add(buf *b, const char *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (b->len + n + 1 > cap)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q) {
			fprintf(stderr, "telemetry_http: out of memory\n");
			exit(1);
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	buf_add(ud, data, size * nmemb);
	return size * nmemb;
}

static long opt_port;
static char auth_header[300];

static CURL *new_handle(buf *b, struct curl_slist **hdrs, const char *content_type)
{
	CURL *h = curl_easy_init();
	if (!h) {
		fprintf(stderr, "telemetry_http: curl_easy_init failed\n");
		exit(1);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(h, CURLOPT_PROXY, ""); /* loopback only, never a proxy from the environment */
	*hdrs = NULL;
	if (auth_header[0])
		*hdrs = curl_slist_append(*hdrs, auth_header);
	*hdrs = curl_slist_append(*hdrs, "Expect:");
	if (content_type)
		*hdrs = curl_slist_append(*hdrs, content_type);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	return h;
}

static void url_for(char *out, size_t n, const char *path)
{
	snprintf(out, n, "http://127.0.0.1:%ld%s", opt_port, path);
}

static void login(const char *password)
{
	buf b = {0};
	struct curl_slist *hdrs;
	CURL *h = new_handle(&b, &hdrs, "Content-Type: application/json");
	char url[128], body[512];
	url_for(url, sizeof url, "/api/v1/auth/login");
	snprintf(body, sizeof body, "{\"username\":\"admin\",\"password\":\"%s\"}", password);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	long status = 0;
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	const char *t = b.p ? strstr(b.p, "\"token\":\"") : NULL;
	if (rc != CURLE_OK || status != 200 || !t) {
		fprintf(stderr, "telemetry_http: login as admin failed: %s, HTTP %ld: %.300s\n",
		        curl_easy_strerror(rc), status, b.p ? b.p : "");
		exit(1);
	}
	t += 9;
	size_t n = strcspn(t, "\"");
	if (n == 0 || n >= 256) {
		fprintf(stderr, "telemetry_http: odd token in login answer\n");
		exit(1);
	}
	snprintf(auth_header, sizeof auth_header, "Authorization: Bearer %.*s", (int)n, t);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(b.p);
}

/* RFC 3339 in UTC with milliseconds: 2024-05-14T02:30:00.123Z */
static int format_ts(char *out, size_t n, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	return snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "accepted":N in a 202 answer, -1 when absent */
static long json_long(const char *body, const char *key)
{
	const char *p = body ? strstr(body, key) : NULL;
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* ---- rules ----------------------------------------------------------------------------------- */

static int create_rules(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "telemetry_http: %s: %s\n", path, strerror(errno));
		return 1;
	}
	buf b = {0};
	struct curl_slist *hdrs;
	CURL *h = new_handle(&b, &hdrs, "Content-Type: application/json");
	char url[128], line[512], name[128], kinds[256], body[2048], kj[512];
	url_for(url, sizeof url, "/api/v1/rules");
	curl_easy_setopt(h, CURLOPT_URL, url);
	long n = 0, errors = 0;
	size_t nlat = 0, caplat = 1024;
	double *lat = bench_xmalloc(caplat * sizeof *lat);
	double t0 = bench_now_ms();
	while (fgets(line, sizeof line, f)) {
		double x0, y0, x1, y1;
		if (sscanf(line, "%127s %lf %lf %lf %lf %255s", name, &x0, &y0, &x1, &y1, kinds) != 6)
			continue;
		/* "a,b" -> "\"a\",\"b\"" */
		size_t k = 0;
		kj[k++] = '"';
		for (const char *p = kinds; *p && k < sizeof kj - 4; p++) {
			if (*p == ',') {
				kj[k++] = '"';
				kj[k++] = ',';
				kj[k++] = '"';
			} else {
				kj[k++] = *p;
			}
		}
		kj[k++] = '"';
		kj[k] = 0;
		snprintf(body, sizeof body,
		         "{\"name\":\"%s\",\"kind\":\"geofence\",\"level\":\"red\",\"spec\":{\"device_kinds\":[%s],"
		         "\"polygon\":{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],"
		         "[%.6f,%.6f],[%.6f,%.6f]]]},\"trigger\":\"enter\",\"margin_m\":50}}",
		         name, kj, x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		b.len = 0;
		long status = 0;
		double r0 = bench_now_ms();
		CURLcode rc = curl_easy_perform(h);
		if (nlat == caplat) {
			caplat *= 2;
			lat = realloc(lat, caplat * sizeof *lat);
			if (!lat) {
				fprintf(stderr, "telemetry_http: out of memory\n");
				exit(1);
			}
		}
		lat[nlat++] = bench_now_ms() - r0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (rc != CURLE_OK || status != 201) {
			if (errors++ == 0)
				fprintf(stderr, "telemetry_http: rule %s: %s, HTTP %ld: %.300s\n", name,
				        curl_easy_strerror(rc), status, b.p ? b.p : "");
		} else {
			n++;
		}
	}
	fclose(f);
	/* the mean request time of the first and the last tenth: does a rule cost more as rules grow? */
	size_t tenth = nlat / 10 ? nlat / 10 : 1;
	double first = 0, last = 0;
	for (size_t i = 0; i < tenth && i < nlat; i++) {
		first += lat[i];
		last += lat[nlat - 1 - i];
	}
	printf("rules=%ld errors=%ld wall_s=%.2f first_tenth_ms=%.2f last_tenth_ms=%.2f\n", n, errors,
	       (bench_now_ms() - t0) / 1e3, first / (double)tenth, last / (double)tenth);
	free(lat);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(b.p);
	return errors ? 1 : 0;
}

/* ---- load ------------------------------------------------------------------------------------- */

typedef struct batch {
	char *body;
	size_t len;
	long reports;
} batch;

static batch *batches;
static size_t nbatches;
static atomic_size_t next_batch;
static atomic_bool load_done;

typedef struct worker {
	pthread_t tid;
	double *lat; /* per request, ms; room for every batch */
	size_t nlat;
	long accepted, rejected, errors;
} worker;

static void *run_load(void *arg)
{
	worker *w = arg;
	buf b = {0};
	struct curl_slist *hdrs;
	CURL *h = new_handle(&b, &hdrs, "Content-Type: application/x-ndjson");
	char url[128];
	url_for(url, sizeof url, "/api/v1/telemetry");
	curl_easy_setopt(h, CURLOPT_URL, url);
	for (;;) {
		size_t i = atomic_fetch_add(&next_batch, 1);
		if (i >= nbatches)
			break;
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)batches[i].len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, batches[i].body);
		b.len = 0;
		double t0 = bench_now_ms();
		CURLcode rc = curl_easy_perform(h);
		double t1 = bench_now_ms();
		long status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		long acc = rc == CURLE_OK && status == 202 ? json_long(b.p, "\"accepted\":") : -1;
		long rej = rc == CURLE_OK && status == 202 ? json_long(b.p, "\"rejected_count\":") : 0;
		if (acc < 0) {
			if (w->errors++ == 0)
				fprintf(stderr, "telemetry_http: batch failed: %s, HTTP %ld: %.300s\n",
				        curl_easy_strerror(rc), status, b.p ? b.p : "");
			continue;
		}
		if (rej > 0 && w->rejected == 0)
			fprintf(stderr, "telemetry_http: %ld reports rejected in a batch: %.300s\n", rej, b.p);
		w->accepted += acc;
		w->rejected += rej > 0 ? rej : 0;
		w->lat[w->nlat++] = t1 - t0;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(b.p);
	return NULL;
}

/* ---- alarm probe: SSE reader and marker ------------------------------------------------------- */

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t probe_cond = PTHREAD_COND_INITIALIZER;
static const char *marker_id;
static char marker_needle[128];
static double marker_in[2], marker_out[2];
static long marker_every_ms = 100;
#define MAX_MARKS 100000
static double *send_ms, *event_ms;
static int *event_open;
static size_t nsent, nevents;
static long alarm_events, alarm_open, alarm_closed;
static bool stream_hello;
static atomic_bool stream_stop;
static buf sse_buf;
static size_t sse_scan;

/* one SSE block ("event: …\ndata: …"), called with probe_lock held */
static void on_event(const char *block, size_t n, double now)
{
	const char *ev = "message";
	size_t evlen = 7;
	const char *data = NULL;
	size_t datalen = 0;
	for (size_t i = 0; i < n;) {
		const char *line = block + i;
		const char *nl = memchr(line, '\n', n - i);
		size_t len = nl ? (size_t)(nl - line) : n - i;
		if (len >= 7 && memcmp(line, "event: ", 7) == 0) {
			ev = line + 7;
			evlen = len - 7;
		} else if (len >= 6 && memcmp(line, "data: ", 6) == 0) {
			data = line + 6;
			datalen = len - 6;
		}
		i += len + 1;
	}
	if (evlen == 5 && memcmp(ev, "hello", 5) == 0) {
		stream_hello = true;
		pthread_cond_broadcast(&probe_cond);
		return;
	}
	if (evlen != 5 || memcmp(ev, "alarm", 5) != 0 || !data)
		return;
	char tmp[8192];
	size_t k = datalen < sizeof tmp - 1 ? datalen : sizeof tmp - 1;
	memcpy(tmp, data, k);
	tmp[k] = 0;
	bool open = strstr(tmp, "\"state\":\"open\"") != NULL;
	alarm_events++;
	if (open)
		alarm_open++;
	else if (strstr(tmp, "\"state\":\"closed\""))
		alarm_closed++;
	if (marker_id && strstr(tmp, marker_needle) && nevents < MAX_MARKS) {
		event_ms[nevents] = now;
		event_open[nevents] = open;
		nevents++;
		pthread_cond_broadcast(&probe_cond);
	}
}

static size_t on_sse(char *data, size_t size, size_t nmemb, void *ud)
{
	(void)ud;
	double now = bench_now_ms();
	size_t n = size * nmemb;
	pthread_mutex_lock(&probe_lock);
	buf_add(&sse_buf, data, n);
	for (;;) {
		char *end = strstr(sse_buf.p + sse_scan, "\n\n");
		if (!end)
			break;
		on_event(sse_buf.p + sse_scan, (size_t)(end - (sse_buf.p + sse_scan)), now);
		sse_scan = (size_t)(end - sse_buf.p) + 2;
	}
	if (sse_scan > (1u << 20)) { /* drop what was parsed */
		memmove(sse_buf.p, sse_buf.p + sse_scan, sse_buf.len - sse_scan + 1);
		sse_buf.len -= sse_scan;
		sse_scan = 0;
	}
	pthread_mutex_unlock(&probe_lock);
	return n;
}

static int on_sse_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)ud, (void)a, (void)b, (void)c, (void)d;
	return atomic_load(&stream_stop) ? 1 : 0;
}

static void *run_stream(void *arg)
{
	(void)arg;
	buf unused = {0};
	struct curl_slist *hdrs;
	CURL *h = new_handle(&unused, &hdrs, "Accept: text/event-stream");
	char url[128];
	url_for(url, sizeof url, "/api/v1/stream/alarms");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_sse);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 0L);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_sse_progress);
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_ABORTED_BY_CALLBACK)
		fprintf(stderr, "telemetry_http: the alarm stream ended: %s\n", curl_easy_strerror(rc));
	pthread_mutex_lock(&probe_lock);
	stream_hello = true; /* unblock a marker still waiting */
	pthread_cond_broadcast(&probe_cond);
	pthread_mutex_unlock(&probe_lock);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(unused.p);
	return NULL;
}

static long marker_errors;

static void *run_marker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&probe_lock);
	while (!stream_hello)
		pthread_cond_wait(&probe_cond, &probe_lock);
	pthread_mutex_unlock(&probe_lock);
	buf b = {0};
	struct curl_slist *hdrs;
	CURL *h = new_handle(&b, &hdrs, "Content-Type: application/x-ndjson");
	char url[128], body[256], ts[80];
	url_for(url, sizeof url, "/api/v1/telemetry");
	curl_easy_setopt(h, CURLOPT_URL, url);
	double next = bench_now_ms();
	while (!atomic_load(&load_done) && nsent < MAX_MARKS) {
		const double *p = nsent % 2 == 0 ? marker_in : marker_out;
		format_ts(ts, sizeof ts, wall_ms());
		snprintf(body, sizeof body, "{\"device\":\"%s\",\"ts\":\"%s\",\"lon\":%.6f,\"lat\":%.6f}\n", marker_id,
		         ts, p[0], p[1]);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		b.len = 0;
		pthread_mutex_lock(&probe_lock);
		size_t k = nsent++;
		send_ms[k] = bench_now_ms();
		pthread_mutex_unlock(&probe_lock);
		CURLcode rc = curl_easy_perform(h);
		long status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (rc != CURLE_OK || status != 202 || json_long(b.p, "\"accepted\":") != 1) {
			if (marker_errors++ == 0)
				fprintf(stderr, "telemetry_http: marker report failed: %s, HTTP %ld: %.300s\n",
				        curl_easy_strerror(rc), status, b.p ? b.p : "");
			break; /* the pairing of sends and events is lost: stop probing */
		}
		next += (double)marker_every_ms;
		double now = bench_now_ms();
		if (next > now)
			usleep((useconds_t)((next - now) * 1000));
		else
			next = now;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(b.p);
	return NULL;
}

static bool parse_pair(const char *s, double out[2])
{
	return sscanf(s, "%lf,%lf", &out[0], &out[1]) == 2;
}

static void usage(void)
{
	fprintf(stderr, "usage: telemetry_http --port P --password-file F (--rules FILE | --points FILE [--devices N] "
	                "[--batch N] [--threads N] [--t0-ms MS] [--marker ID --marker-in LON,LAT --marker-out LON,LAT] "
	                "[--marker-every-ms MS] [--marker-lat FILE] [--req-lat FILE])\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *pw_file = NULL, *points_file = NULL, *rules_file = NULL, *marker_lat_file = NULL,
	           *req_lat_file = NULL;
	long devices = 100000, batch_size = 2000, threads = 4;
	int64_t t0_ms = 0;
	bool have_in = false, have_out = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(a, "--port") == 0)
			opt_port = strtol(v, NULL, 10);
		else if (strcmp(a, "--password-file") == 0)
			pw_file = v;
		else if (strcmp(a, "--rules") == 0)
			rules_file = v;
		else if (strcmp(a, "--points") == 0)
			points_file = v;
		else if (strcmp(a, "--devices") == 0)
			devices = strtol(v, NULL, 10);
		else if (strcmp(a, "--batch") == 0)
			batch_size = strtol(v, NULL, 10);
		else if (strcmp(a, "--threads") == 0)
			threads = strtol(v, NULL, 10);
		else if (strcmp(a, "--t0-ms") == 0)
			t0_ms = strtoll(v, NULL, 10);
		else if (strcmp(a, "--marker") == 0)
			marker_id = v;
		else if (strcmp(a, "--marker-in") == 0)
			have_in = parse_pair(v, marker_in);
		else if (strcmp(a, "--marker-out") == 0)
			have_out = parse_pair(v, marker_out);
		else if (strcmp(a, "--marker-every-ms") == 0)
			marker_every_ms = strtol(v, NULL, 10);
		else if (strcmp(a, "--marker-lat") == 0)
			marker_lat_file = v;
		else if (strcmp(a, "--req-lat") == 0)
			req_lat_file = v;
		else
			usage();
		i++;
	}
	if (opt_port <= 0 || opt_port > 65535 || !pw_file || !!rules_file == !!points_file || threads < 1 ||
	    threads > 64 || devices < 1 || devices > 999999 || batch_size < 1 || marker_every_ms < 1 ||
	    (marker_id && (!have_in || !have_out)))
		usage();
	char password[200] = "";
	FILE *f = fopen(pw_file, "r");
	if (!f || !fgets(password, sizeof password, f)) {
		fprintf(stderr, "telemetry_http: cannot read %s\n", pw_file);
		return 1;
	}
	fclose(f);
	password[strcspn(password, "\r\n")] = 0;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	login(password);
	if (rules_file) {
		int rc = create_rules(rules_file);
		curl_global_cleanup();
		return rc;
	}

	/* the points, then every request body, before the clock starts */
	f = fopen(points_file, "r");
	if (!f) {
		fprintf(stderr, "telemetry_http: %s: %s\n", points_file, strerror(errno));
		return 1;
	}
	size_t npoints = 0, cap = 1 << 20;
	double *pts = bench_xmalloc(cap * 2 * sizeof *pts);
	double plon, plat;
	while (fscanf(f, "%lf %lf", &plon, &plat) == 2) {
		if (npoints == cap) {
			cap *= 2;
			pts = realloc(pts, cap * 2 * sizeof *pts);
			if (!pts) {
				fprintf(stderr, "telemetry_http: out of memory\n");
				return 1;
			}
		}
		pts[2 * npoints] = plon;
		pts[2 * npoints + 1] = plat;
		npoints++;
	}
	fclose(f);
	if (npoints == 0) {
		fprintf(stderr, "telemetry_http: %s: no points\n", points_file);
		return 1;
	}
	if (t0_ms == 0)
		t0_ms = wall_ms() - 3600 * 1000;
	nbatches = (npoints + (size_t)batch_size - 1) / (size_t)batch_size;
	batches = bench_xmalloc(nbatches * sizeof *batches);
	for (size_t bi = 0; bi < nbatches; bi++) {
		size_t from = bi * (size_t)batch_size, to = from + (size_t)batch_size;
		if (to > npoints)
			to = npoints;
		buf body = {0};
		char line[256], ts[80];
		int64_t last_sec = -1;
		for (size_t i = from; i < to; i++) {
			int64_t ms = t0_ms + (int64_t)i;
			if (ms / 1000 != last_sec) {
				format_ts(ts, sizeof ts, ms);
				last_sec = ms / 1000;
			} else {
				snprintf(ts + 20, sizeof ts - 20, "%03dZ", (int)(ms % 1000));
			}
			int n = snprintf(line, sizeof line, "{\"device\":\"B%06ld\",\"ts\":\"%s\",\"lon\":%.7f,\"lat\":%.7f}\n",
			                 (long)(i % (size_t)devices) + 1, ts, pts[2 * i], pts[2 * i + 1]);
			buf_add(&body, line, (size_t)n);
		}
		batches[bi] = (batch){body.p, body.len, (long)(to - from)};
	}
	free(pts);

	pthread_t stream_tid, marker_tid;
	if (marker_id) {
		snprintf(marker_needle, sizeof marker_needle, "\"device\":\"%s\"", marker_id);
		send_ms = bench_xmalloc(MAX_MARKS * sizeof *send_ms);
		event_ms = bench_xmalloc(MAX_MARKS * sizeof *event_ms);
		event_open = bench_xmalloc(MAX_MARKS * sizeof *event_open);
		if (pthread_create(&stream_tid, NULL, run_stream, NULL) ||
		    pthread_create(&marker_tid, NULL, run_marker, NULL)) {
			fprintf(stderr, "telemetry_http: pthread_create failed\n");
			return 1;
		}
		/* the load starts once the stream is open (bounded) */
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 10;
		pthread_mutex_lock(&probe_lock);
		while (!stream_hello && pthread_cond_timedwait(&probe_cond, &probe_lock, &dl) == 0)
			;
		bool ok = stream_hello;
		pthread_mutex_unlock(&probe_lock);
		if (!ok) {
			fprintf(stderr, "telemetry_http: the alarm stream did not say hello in 10 s\n");
			return 1;
		}
	}

	worker *ws = calloc((size_t)threads, sizeof *ws);
	double t0 = bench_now_ms();
	for (long t = 0; t < threads; t++) {
		ws[t].lat = bench_xmalloc(nbatches * sizeof(double));
		if (pthread_create(&ws[t].tid, NULL, run_load, &ws[t])) {
			fprintf(stderr, "telemetry_http: pthread_create failed\n");
			return 1;
		}
	}
	long accepted = 0, rejected = 0, errors = 0;
	size_t nreq = 0;
	double *lat = bench_xmalloc(nbatches * sizeof *lat);
	for (long t = 0; t < threads; t++) {
		pthread_join(ws[t].tid, NULL);
		accepted += ws[t].accepted;
		rejected += ws[t].rejected;
		errors += ws[t].errors;
		memcpy(lat + nreq, ws[t].lat, ws[t].nlat * sizeof *lat);
		nreq += ws[t].nlat;
		free(ws[t].lat);
	}
	double wall = bench_now_ms() - t0;
	atomic_store(&load_done, true);

	double *alat = NULL;
	size_t nalat = 0;
	long mismatch = 0;
	if (marker_id) {
		pthread_join(marker_tid, NULL);
		/* the last markers' events: wait for them, bounded */
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 15;
		pthread_mutex_lock(&probe_lock);
		while (nevents < nsent && pthread_cond_timedwait(&probe_cond, &probe_lock, &dl) == 0)
			;
		pthread_mutex_unlock(&probe_lock);
		atomic_store(&stream_stop, true);
		pthread_join(stream_tid, NULL);
		alat = bench_xmalloc((nsent ? nsent : 1) * sizeof *alat);
		for (size_t k = 0; k < nsent && k < nevents; k++) {
			if (event_open[k] != (k % 2 == 0)) {
				mismatch++;
				continue;
			}
			alat[nalat++] = event_ms[k] - send_ms[k];
		}
		bench_append_doubles(marker_lat_file, alat, nalat);
	}
	bench_append_doubles(req_lat_file, lat, nreq);
	qsort(lat, nreq, sizeof *lat, bench_cmp_double);
	printf("accepted=%ld rejected=%ld errors=%ld requests=%zu wall_s=%.3f rps=%.0f req_p50_ms=%.1f req_p99_ms=%.1f "
	       "req_max_ms=%.1f",
	       accepted, rejected, errors, nreq, wall / 1e3, (double)accepted / (wall / 1e3), bench_pct(lat, nreq, 0.50),
	       bench_pct(lat, nreq, 0.99), nreq ? lat[nreq - 1] : 0.0);
	if (marker_id) {
		qsort(alat, nalat, sizeof *alat, bench_cmp_double);
		printf(" markers=%zu marker_events=%zu marker_errors=%ld marker_mismatch=%ld alarm_p50_ms=%.1f "
		       "alarm_p99_ms=%.1f alarm_max_ms=%.1f alarm_events=%ld alarm_open=%ld alarm_closed=%ld",
		       nsent, nevents, marker_errors, mismatch, bench_pct(alat, nalat, 0.50), bench_pct(alat, nalat, 0.99),
		       nalat ? alat[nalat - 1] : 0.0, alarm_events, alarm_open, alarm_closed);
	}
	printf(" threads=%ld batch=%ld\n", threads, batch_size);
	curl_global_cleanup();
	return errors || marker_errors || (marker_id && (nalat == 0 || nevents < nsent)) ? 1 : 0;
}
