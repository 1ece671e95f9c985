/*
 * warnings_acks.c — load client for the warning closed loop of a running
 * `yingji serve` on loopback: the recipients' inboxes and acknowledgements.
 *
 *   warnings_acks --port P --tokens FILE --warning ID --mode ack
 *                 [--connections N] [--count N] [--seed S] [--lat FILE] [--version V]
 *   warnings_acks --port P --tokens FILE --warning ID --mode inbox [--sample K]
 *
 * FILE holds "user_id token" a line (bench/warnings_tokens.c makes it).
 *
 * ack: POST /api/v1/me/inbox/{ID}/ack {"version":V} (default 1) once per
 * recipient, each with that recipient's bearer token, in a shuffled order
 * (people confirm in no particular order; the seed makes it repeatable;
 * --count N takes the first N of it). N threads, each with one libcurl easy
 * handle (one keep-alive connection), take equal slices of the shuffled list
 * and send them one after the other (closed loop: N requests in flight).
 * Each request is timed from send to the last byte of the answer. Prints
 * one line:
 *   n=… p50_ms=… p90_ms=… p99_ms=… max_ms=… mean_ms=… mean_features=0.0 rps=… ok=… acked=… errors=… connections=…
 * ok = 2xx answers, acked = answers whose recipient state is acknowledged.
 *
 * inbox: GET /api/v1/me/inbox for K recipients spread evenly over the file,
 * one connection; checks (jansson) that warning ID is among the items.
 * Prints n=… p50_ms=… … visible=… errors=…
 */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* bench_util.h is header-only: this client does not use its bbox helpers */
#pragma GCC diagnostic ignored "-Wunused-function"
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
		size_t cap = b->cap ? b->cap : 16384;
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

typedef struct token {
	long long user_id;
	char tok[48];
} token;

static long opt_port;
static long long opt_warning;
static long opt_version = 1;
static token *toks;
static size_t ntoks;

static size_t read_tokens(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "warnings_acks: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	size_t n = 0, cap = 1 << 17;
	token *t = bench_xmalloc(cap * sizeof *t);
	long long uid;
	char tk[64];
	while (fscanf(f, "%lld %63s", &uid, tk) == 2) {
		if (strlen(tk) >= sizeof t->tok) {
			fprintf(stderr, "warnings_acks: %s: odd token\n", path);
			exit(1);
		}
		if (n == cap) {
			cap *= 2;
			t = realloc(t, cap * sizeof *t);
			if (!t) {
				fprintf(stderr, "warnings_acks: out of memory\n");
				exit(1);
			}
		}
		t[n].user_id = uid;
		snprintf(t[n].tok, sizeof t[n].tok, "%s", tk);
		n++;
	}
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "warnings_acks: %s: no tokens\n", path);
		exit(1);
	}
	toks = t;
	return n;
}

/* splitmix64: a small repeatable generator for the shuffle */
static uint64_t rng_state;
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static CURL *new_handle(buf *b)
{
	CURL *h = curl_easy_init();
	if (!h) {
		fprintf(stderr, "warnings_acks: curl_easy_init failed\n");
		exit(1);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_PROXY, ""); /* loopback only, never a proxy from the environment */
	return h;
}

/* one request with token t: POST body (JSON) or GET (body NULL); returns the HTTP status, 0 on a transport error */
static long perform(CURL *h, buf *b, const char *url, const char *t, const char *body, double *ms)
{
	char auth[96];
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", t);
	struct curl_slist *hdrs = curl_slist_append(NULL, auth);
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (body)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
	double t0 = bench_now_ms();
	CURLcode rc = curl_easy_perform(h);
	*ms = bench_now_ms() - t0;
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	else { /* the transport error in place of a body, for the message */
		const char *msg = curl_easy_strerror(rc);
		b->len = 0;
		on_body((char *)msg, 1, strlen(msg), b);
	}
	curl_slist_free_all(hdrs);
	return status;
}

typedef struct worker {
	pthread_t tid;
	const size_t *order; /* indexes into toks */
	size_t n;
	double *lat;
	long ok, acked, errors;
} worker;

static void *run_acks(void *arg)
{
	worker *w = arg;
	buf b = {0};
	CURL *h = new_handle(&b);
	char url[160], body[48];
	snprintf(url, sizeof url, "http://127.0.0.1:%ld/api/v1/me/inbox/%lld/ack", opt_port, opt_warning);
	/* what the app sends: the version read, so a superseded one is refused (409) */
	snprintf(body, sizeof body, "{\"version\":%ld}", opt_version);
	for (size_t i = 0; i < w->n; i++) {
		const token *t = &toks[w->order[i]];
		long status = perform(h, &b, url, t->tok, body, &w->lat[i]);
		if (status >= 200 && status <= 299) {
			w->ok++;
			if (b.p && strstr(b.p, "\"state\":\"acknowledged\""))
				w->acked++;
		} else if (w->errors++ < 3) {
			fprintf(stderr, "warnings_acks: ack of user %lld: HTTP %ld: %.300s\n", t->user_id, status, b.p ? b.p : "");
		}
	}
	curl_easy_cleanup(h);
	free(b.p);
	return NULL;
}

static bool inbox_has(const char *body, long long warning)
{
	json_t *j = json_loads(body, 0, NULL);
	bool found = false;
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(j, "items"), i, it) {
		json_t *id = json_object_get(json_object_get(it, "warning"), "id");
		found |= json_is_integer(id) && json_integer_value(id) == warning;
	}
	json_decref(j);
	return found;
}

static int mode_inbox(size_t sample)
{
	if (sample > ntoks)
		sample = ntoks;
	buf b = {0};
	CURL *h = new_handle(&b);
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%ld/api/v1/me/inbox", opt_port);
	double *lat = bench_xmalloc(sample * sizeof *lat);
	long visible = 0, errors = 0;
	for (size_t k = 0; k < sample; k++) {
		const token *t = &toks[k * ntoks / sample];
		long status = perform(h, &b, url, t->tok, NULL, &lat[k]);
		if (status == 200 && b.p && inbox_has(b.p, opt_warning))
			visible++;
		else if (errors++ < 3)
			fprintf(stderr, "warnings_acks: inbox of user %lld: HTTP %ld, warning %lld %s: %.200s\n", t->user_id,
			        status, opt_warning, status == 200 ? "missing" : "not checked", b.p ? b.p : "");
	}
	bench_print_stats(stdout, lat, sample, 0);
	printf(" visible=%ld errors=%ld\n", visible, errors);
	curl_easy_cleanup(h);
	free(b.p);
	free(lat);
	return errors ? 1 : 0;
}

static int mode_ack(long connections, size_t count, uint64_t seed, const char *lat_file)
{
	if (count == 0 || count > ntoks)
		count = ntoks;
	size_t *order = bench_xmalloc(ntoks * sizeof *order);
	for (size_t i = 0; i < ntoks; i++)
		order[i] = i;
	rng_state = seed;
	for (size_t i = ntoks - 1; i > 0; i--) { /* Fisher-Yates */
		size_t j = (size_t)(rng_next() % (i + 1));
		size_t x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	worker *ws = calloc((size_t)connections, sizeof *ws);
	double *lat = bench_xmalloc(count * sizeof *lat);
	double t0 = bench_now_ms();
	for (long c = 0; c < connections; c++) {
		size_t from = count * (size_t)c / (size_t)connections, to = count * (size_t)(c + 1) / (size_t)connections;
		ws[c] = (worker){.order = order + from, .n = to - from, .lat = lat + from};
		if (pthread_create(&ws[c].tid, NULL, run_acks, &ws[c])) {
			fprintf(stderr, "warnings_acks: pthread_create failed\n");
			return 1;
		}
	}
	long ok = 0, acked = 0, errors = 0;
	for (long c = 0; c < connections; c++) {
		pthread_join(ws[c].tid, NULL);
		ok += ws[c].ok;
		acked += ws[c].acked;
		errors += ws[c].errors;
	}
	double wall = bench_now_ms() - t0;
	bench_append_doubles(lat_file, lat, count);
	bench_print_stats(stdout, lat, count, 0);
	printf(" rps=%.0f wall_ms=%.0f ok=%ld acked=%ld errors=%ld connections=%ld\n", (double)count / (wall / 1e3), wall, ok,
	       acked, errors, connections);
	free(lat);
	free(ws);
	free(order);
	return errors ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: warnings_acks --port P --tokens FILE --warning ID --mode ack|inbox "
	                "[--connections N] [--count N] [--seed S] [--lat FILE] [--version V] [--sample K]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *tok_file = NULL, *mode = NULL, *lat_file = NULL;
	long connections = 8, count = 0, sample = 1000;
	unsigned long long seed = 20220906;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(a, "--port") == 0)
			opt_port = strtol(v, NULL, 10);
		else if (strcmp(a, "--tokens") == 0)
			tok_file = v;
		else if (strcmp(a, "--warning") == 0)
			opt_warning = strtoll(v, NULL, 10);
		else if (strcmp(a, "--mode") == 0)
			mode = v;
		else if (strcmp(a, "--connections") == 0)
			connections = strtol(v, NULL, 10);
		else if (strcmp(a, "--count") == 0)
			count = strtol(v, NULL, 10);
		else if (strcmp(a, "--seed") == 0)
			seed = strtoull(v, NULL, 10);
		else if (strcmp(a, "--lat") == 0)
			lat_file = v;
		else if (strcmp(a, "--version") == 0)
			opt_version = strtol(v, NULL, 10);
		else if (strcmp(a, "--sample") == 0)
			sample = strtol(v, NULL, 10);
		else
			usage();
		i++;
	}
	if (opt_port <= 0 || opt_port > 65535 || !tok_file || opt_warning <= 0 || !mode || connections < 1 ||
	    connections > 256 || count < 0 || sample < 1)
		usage();
	ntoks = read_tokens(tok_file);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc;
	if (strcmp(mode, "ack") == 0)
		rc = mode_ack(connections, (size_t)count, seed, lat_file);
	else if (strcmp(mode, "inbox") == 0)
		rc = mode_inbox((size_t)sample);
	else
		usage(), rc = 2;
	curl_global_cleanup();
	free(toks);
	return rc;
}
