/*
 * layers_http.c — load client for `GET /api/v1/layers/{layer}?bbox=…&limit=…`
 * of a running `yingji serve` on loopback.
 *
 *   layers_http --port P --password-file F --bboxes FILE [--warmup FILE]
 *               [--user admin] [--layer cameras] [--limit 1000] [--threads N]
 *               [--counts FILE] [--lat FILE] [--bytes FILE] [--from I] [--count N] [--gzip]
 *
 * Logs in once (POST /api/v1/auth/login), then each thread reuses one
 * libcurl easy handle (one keep-alive connection) and sends the bbox list
 * sequentially, timing each request from send to the last byte of the body.
 * With --gzip each request says Accept-Encoding: gzip and libcurl inflates
 * the answer before it is counted (the time includes inflating it), as a
 * browser would.
 * With N threads, thread t starts at bbox t*n/N and wraps, so every thread
 * sends the whole list (N*n requests in all, bounded). Prints one line:
 *   n=… p50_ms=… p90_ms=… p99_ms=… max_ms=… mean_ms=… mean_features=… rps=… errors=…
 *   wire_bytes=… body_bytes=… gzipped=…
 * (wire_bytes: the mean bytes received per answer, headers and body as sent;
 * body_bytes: the mean body after inflating; gzipped: answers that came
 * with Content-Encoding: gzip). --from/--count take a slice of the list;
 * --lat appends each request's milliseconds to a file, --counts each bbox's
 * feature count (single-thread runs), --bytes each answer's "wire body"
 * byte counts, so a bench can measure in rounds and merge.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <strings.h>

#include "bench_util.h"

typedef struct buf {
	char *p;
	size_t len, cap;
} buf;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	buf *b = ud;
	size_t n = size * nmemb;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (b->len + n + 1 > cap)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q)
			return 0;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
	return n;
}

static const char *opt_user = "admin", *opt_layer = "cameras";
static long opt_port, opt_limit = 1000;
static int opt_gzip;
static char token[256], auth_header[300];
static bench_bbox *boxes;
static size_t nboxes;

/* the feature count at the end of a FeatureCollection: …],"count":N,"truncated":… } */
static long body_count(const buf *b)
{
	static const char key[] = "\"count\":";
	size_t k = sizeof key - 1;
	for (size_t i = b->len >= k ? b->len - k + 1 : 0; i-- > 0;)
		if (memcmp(b->p + i, key, k) == 0)
			return strtol(b->p + i + k, NULL, 10);
	return -1;
}

static CURL *new_handle(buf *b, struct curl_slist **hdrs)
{
	CURL *h = curl_easy_init();
	if (!h) {
		fprintf(stderr, "layers_http: curl_easy_init failed\n");
		exit(1);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_PROXY, ""); /* loopback only, never a proxy from the environment */
	if (opt_gzip) /* sends Accept-Encoding: gzip and inflates the body before on_body sees it */
		curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
	*hdrs = NULL;
	if (auth_header[0])
		*hdrs = curl_slist_append(*hdrs, auth_header);
	*hdrs = curl_slist_append(*hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	return h;
}

static void login(const char *password)
{
	buf b = {0};
	struct curl_slist *hdrs;
	CURL *h = new_handle(&b, &hdrs);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	char url[128], body[512];
	snprintf(url, sizeof url, "http://127.0.0.1:%ld/api/v1/auth/login", opt_port);
	snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", opt_user, password);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	long status = 0;
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	const char *t = b.p ? strstr(b.p, "\"token\":\"") : NULL;
	if (rc != CURLE_OK || status != 200 || !t) {
		fprintf(stderr, "layers_http: login as %s failed: %s, HTTP %ld: %.300s\n", opt_user,
		        curl_easy_strerror(rc), status, b.p ? b.p : "");
		exit(1);
	}
	t += 9;
	size_t n = strcspn(t, "\"");
	if (n == 0 || n >= sizeof token) {
		fprintf(stderr, "layers_http: odd token in login answer\n");
		exit(1);
	}
	memcpy(token, t, n);
	token[n] = 0;
	snprintf(auth_header, sizeof auth_header, "Authorization: Bearer %s", token);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(b.p);
}

typedef struct worker {
	pthread_t tid;
	size_t start, n; /* requests to send, from bbox index start, wrapping */
	const bench_bbox *list;
	size_t list_n;
	double *lat;
	long *counts; /* per request, may be NULL */
	long (*bytes)[2]; /* per request: on the wire (headers + body as sent), body inflated; may be NULL */
	double features, wire, body;
	long errors, gzipped;
} worker;

/* libcurl's header callback: note a Content-Encoding: gzip answer */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	size_t n = size * nmemb;
	static const char h[] = "content-encoding: gzip";
	if (n >= sizeof h - 1 && strncasecmp(data, h, sizeof h - 1) == 0)
		*(int *)ud = 1;
	return n;
}

static void *run(void *arg)
{
	worker *w = arg;
	buf b = {0};
	struct curl_slist *hdrs;
	CURL *h = new_handle(&b, &hdrs);
	int gz = 0;
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &gz);
	char url[256];
	for (size_t i = 0; i < w->n; i++) {
		const bench_bbox *x = &w->list[(w->start + i) % w->list_n];
		snprintf(url, sizeof url,
		         "http://127.0.0.1:%ld/api/v1/layers/%s?bbox=%.6f,%.6f,%.6f,%.6f&limit=%ld", opt_port,
		         opt_layer, x->min_lon, x->min_lat, x->max_lon, x->max_lat, opt_limit);
		curl_easy_setopt(h, CURLOPT_URL, url);
		b.len = 0;
		gz = 0;
		double t0 = bench_now_ms();
		CURLcode rc = curl_easy_perform(h);
		double t1 = bench_now_ms();
		long status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		long c = rc == CURLE_OK && status == 200 ? body_count(&b) : -1;
		if (c < 0) {
			if (w->errors++ == 0)
				fprintf(stderr, "layers_http: request failed: %s, HTTP %ld: %.300s\n",
				        curl_easy_strerror(rc), status, b.p ? b.p : "");
			c = 0;
		}
		/* SIZE_DOWNLOAD counts the body as it came (before inflating) */
		curl_off_t got = 0;
		long head = 0;
		curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &got);
		curl_easy_getinfo(h, CURLINFO_HEADER_SIZE, &head);
		w->lat[i] = t1 - t0;
		w->features += (double)c;
		w->wire += (double)(got + head);
		w->body += (double)b.len;
		w->gzipped += gz;
		if (w->counts)
			w->counts[i] = c;
		if (w->bytes) {
			w->bytes[i][0] = (long)(got + head);
			w->bytes[i][1] = (long)b.len;
		}
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(b.p);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: layers_http --port P --password-file F --bboxes FILE [--warmup FILE] "
	                "[--user U] [--layer L] [--limit N] [--threads N] [--counts FILE] [--lat FILE] [--bytes FILE] "
	                "[--from I] [--count N] [--gzip]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *pw_file = NULL, *bbox_file = NULL, *warm_file = NULL, *counts_file = NULL, *lat_file = NULL,
		   *bytes_file = NULL;
	long threads = 1;
	long from = 0, count = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--gzip") == 0) {
			opt_gzip = 1;
			continue;
		}
		if (!v)
			usage();
		if (strcmp(a, "--port") == 0)
			opt_port = strtol(v, NULL, 10);
		else if (strcmp(a, "--password-file") == 0)
			pw_file = v;
		else if (strcmp(a, "--bboxes") == 0)
			bbox_file = v;
		else if (strcmp(a, "--warmup") == 0)
			warm_file = v;
		else if (strcmp(a, "--user") == 0)
			opt_user = v;
		else if (strcmp(a, "--layer") == 0)
			opt_layer = v;
		else if (strcmp(a, "--limit") == 0)
			opt_limit = strtol(v, NULL, 10);
		else if (strcmp(a, "--threads") == 0)
			threads = strtol(v, NULL, 10);
		else if (strcmp(a, "--counts") == 0)
			counts_file = v;
		else if (strcmp(a, "--lat") == 0)
			lat_file = v;
		else if (strcmp(a, "--bytes") == 0)
			bytes_file = v;
		else if (strcmp(a, "--from") == 0)
			from = strtol(v, NULL, 10);
		else if (strcmp(a, "--count") == 0)
			count = strtol(v, NULL, 10);
		else
			usage();
		i++;
	}
	if (opt_port <= 0 || opt_port > 65535 || !pw_file || !bbox_file || threads < 1 || threads > 64)
		usage();
	char password[200] = "";
	FILE *f = fopen(pw_file, "r");
	if (!f || !fgets(password, sizeof password, f)) {
		fprintf(stderr, "layers_http: cannot read %s\n", pw_file);
		return 1;
	}
	fclose(f);
	password[strcspn(password, "\r\n")] = 0;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	login(password);
	nboxes = bench_read_bboxes(bbox_file, &boxes);
	nboxes = bench_slice(&boxes, nboxes, from, count);

	if (warm_file) { /* one untimed pass over a different list: page cache, statement cache, connection */
		bench_bbox *wb;
		size_t wn = bench_read_bboxes(warm_file, &wb);
		worker w = {.n = wn, .list = wb, .list_n = wn, .lat = bench_xmalloc(wn * sizeof(double))};
		run(&w);
		free(w.lat);
		free(wb);
	}

	worker *ws = calloc((size_t)threads, sizeof *ws);
	size_t total = nboxes * (size_t)threads;
	double *lat = bench_xmalloc(total * sizeof *lat);
	long *counts = counts_file && threads == 1 ? bench_xmalloc(nboxes * sizeof *counts) : NULL;
	long(*bytes)[2] = bytes_file && threads == 1 ? bench_xmalloc(nboxes * sizeof *bytes) : NULL;
	double t0 = bench_now_ms();
	for (long t = 0; t < threads; t++) {
		ws[t] = (worker){.start = nboxes * (size_t)t / (size_t)threads, .n = nboxes, .list = boxes,
		                 .list_n = nboxes, .lat = lat + nboxes * (size_t)t, .counts = counts, .bytes = bytes};
		if (pthread_create(&ws[t].tid, NULL, run, &ws[t])) {
			fprintf(stderr, "layers_http: pthread_create failed\n");
			return 1;
		}
	}
	double features = 0, wire = 0, body = 0;
	long errors = 0, gzipped = 0;
	for (long t = 0; t < threads; t++) {
		pthread_join(ws[t].tid, NULL);
		features += ws[t].features;
		wire += ws[t].wire;
		body += ws[t].body;
		errors += ws[t].errors;
		gzipped += ws[t].gzipped;
	}
	double wall = bench_now_ms() - t0;
	bench_append_longs(counts_file, counts, counts ? nboxes : 0);
	bench_append_doubles(lat_file, lat, total);
	if (bytes) {
		FILE *bf = fopen(bytes_file, "a");
		if (!bf) {
			fprintf(stderr, "layers_http: cannot write %s\n", bytes_file);
			return 1;
		}
		for (size_t i = 0; i < nboxes; i++)
			fprintf(bf, "%ld %ld\n", bytes[i][0], bytes[i][1]);
		fclose(bf);
	}
	bench_print_stats(stdout, lat, total, features);
	printf(" rps=%.0f errors=%ld threads=%ld wire_bytes=%.0f body_bytes=%.0f gzipped=%ld\n",
	       (double)total / (wall / 1e3), errors, threads, total ? wire / (double)total : 0,
	       total ? body / (double)total : 0, gzipped);
	curl_global_cleanup();
	return errors ? 1 : 0;
}
