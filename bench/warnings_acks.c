/*
 * warnings_acks.c — load client for the warning closed loop of a running
 * `yingji serve` on loopback: the recipients' inboxes and acknowledgements.
 *
 *   warnings_acks --port P --tokens FILE --warning ID --mode ack
 *                 [--connections N] [--count N] [--seed S] [--lat FILE] [--version V]
 *   warnings_acks --port P --tokens FILE --warning ID --mode inbox [--sample K]
 *   warnings_acks --tokens FILE --mode order [--count N] [--seed S]
 *
 * FILE holds "user_id token" a line (bench/warnings_tokens.c makes it).
 *
 * ack: POST /api/v1/me/inbox/{ID}/ack {"version":V} (default 1) once per
 * recipient, each with that recipient's bearer token, in a shuffled order
 * (people confirm in no particular order; the seed makes it repeatable;
 * --count N takes the first N of it). N connections, all on one thread: one
 * event loop (libcurl's multi interface on epoll) keeps N keep-alive
 * connections with one request in flight on each; when an answer is in, that
 * connection takes the next recipient of the order (closed loop: N requests
 * in flight; hundreds of connections cost no threads, so the server keeps
 * the cores). Each request is timed from send to the last byte of the answer.
 * Prints one line:
 *   n=… p50_ms=… p90_ms=… p99_ms=… max_ms=… mean_ms=… mean_features=0.0 rps=… wall_ms=… ok=… acked=…
 *   errors=… connections=… client_cpu_us_per_req=…
 * ok = 2xx answers, acked = answers whose recipient.state is acknowledged,
 * client_cpu_us_per_req = this process's CPU time (user + system, getrusage)
 * over the acks, divided by their number.
 *
 * order: prints the order that --mode ack would send (the first N of it), one "user_id token" a
 * line, for bench/warnings_acks.lua (the same acks sent by wrk).
 *
 * inbox: GET /api/v1/me/inbox for K recipients spread evenly over the file,
 * one connection; checks (jansson) that warning ID is among the items.
 * Prints n=… p50_ms=… … visible=… errors=…
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

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

/* the order in which the recipients acknowledge: indexes into toks, shuffled (Fisher-Yates) with
 * the seed; --mode ack sends in this order and --mode order prints it, so both clients send alike */
static size_t *shuffled(uint64_t seed)
{
	size_t *order = bench_xmalloc(ntoks * sizeof *order);
	for (size_t i = 0; i < ntoks; i++)
		order[i] = i;
	rng_state = seed;
	for (size_t i = ntoks - 1; i > 0; i--) {
		size_t j = (size_t)(rng_next() % (i + 1));
		size_t x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	return order;
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

/* ---- ack: all connections on one thread, one event loop ---------------------------------
 * libcurl's multi interface driven through its socket API (curl_multi_socket_action) from an
 * epoll loop: each call touches only the connections that have something to do, and no thread
 * a connection, so a thousand connections in flight take no more threads, stacks or context
 * switches than eight (the client's CPU a request is printed). One easy handle a connection, one
 * request in flight on each; when an answer is in, the handle takes the next token of the
 * shuffled order (a shared queue) and goes back into the multi handle, which hands it an idle
 * keep-alive connection from its cache (MAXCONNECTS, MAX_HOST_CONNECTIONS = the handles). */

/* room for "Authorization: Bearer " and a token (token.tok) */
#define AUTH_LINE (sizeof "Authorization: Bearer " + sizeof ((token *)0)->tok)

typedef struct conn {
	CURL *h;
	buf b;
	struct curl_slist *hdrs; /* its first line, the bearer token, is rewritten for each request */
	size_t idx;        /* the request in flight: its place in the shuffled order */
	double t0, t_last; /* request handed to curl (sent in the same loop turn); last body bytes read */
} conn;

static size_t on_ack_body(char *data, size_t size, size_t nmemb, void *ud)
{
	conn *c = ud;
	c->t_last = bench_now_ms();
	return on_body(data, size, nmemb, &c->b);
}

/* after the string that starts at p (its opening quote): the next character that is not white space */
static const char *json_after_string(const char *p, const char *end, const char **str_end)
{
	for (p++; p < end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	if (p >= end)
		return end;
	*str_end = p;
	for (p++; p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'); p++)
		;
	return p;
}

/* the answer is {"warning":{"id":…,"version":…,"state":"issued"},"recipient":{"id":…,"state":…,…}}:
 * acknowledged means recipient.state (not the warning's state). A walk over the JSON text that
 * follows strings (escapes included) and nesting, instead of a parse per answer: true when the
 * top-level key "recipient" holds an object whose own key "state" has the value "acknowledged",
 * and the text closes its top-level object (a cut answer is not an acknowledgement) */
static bool answer_acked(const buf *b)
{
	if (!b->p)
		return false;
	const char *p = b->p, *end = b->p + b->len, *se = NULL;
	int depth = 0, in_rcpt = 0; /* in_rcpt: the depth of the recipient object, 0 outside it */
	bool acked = false, closed = false;
	while (p < end) {
		switch (*p) {
		case '{':
		case '[':
			depth++;
			p++;
			break;
		case '}':
		case ']':
			if (depth == in_rcpt)
				in_rcpt = 0;
			closed = --depth == 0;
			p++;
			break;
		case '"': {
			const char *s = p;
			const char *q = json_after_string(p, end, &se);
			if (q >= end || *q != ':') { /* a value, not a key */
				p = q;
				break;
			}
			size_t klen = (size_t)(se - s - 1);
			for (q++; q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'); q++)
				;
			if (depth == 1 && klen == 9 && memcmp(s + 1, "recipient", 9) == 0 && q < end && *q == '{')
				in_rcpt = 2;
			else if (in_rcpt && depth == in_rcpt && klen == 5 && memcmp(s + 1, "state", 5) == 0)
				acked = end - q >= 14 && memcmp(q, "\"acknowledged\"", 14) == 0; /* a repeated key: the last counts */
			p = q;
			break;
		}
		default:
			p++;
		}
	}
	return acked && closed && depth == 0;
}

typedef struct ack_loop {
	CURLM *m;
	int ep;
	const size_t *order;
	size_t count, next, done;
	double *lat;
	long ok, acked, errors;
} ack_loop;

/* curl tells which socket to watch for what: mirrored into the epoll set */
static int on_socket(CURL *h, curl_socket_t s, int what, void *ud, void *sockp)
{
	ack_loop *L = ud;
	(void)h;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(L->ep, EPOLL_CTL_DEL, s, NULL); /* fails when curl closed it first: then it left the set anyway */
		return 0;
	}
	struct epoll_event ev = {.events = (what & CURL_POLL_IN ? (uint32_t)EPOLLIN : 0u) | (what & CURL_POLL_OUT ? (uint32_t)EPOLLOUT : 0u),
	                         .data.fd = s};
	int op = sockp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(L->ep, op, s, &ev) != 0) {
		/* a socket curl forgot (closed and its number reused) or one it closed unannounced */
		int again = op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
		if ((errno != EEXIST && errno != ENOENT) || epoll_ctl(L->ep, again, s, &ev) != 0) {
			fprintf(stderr, "warnings_acks: epoll_ctl: %s\n", strerror(errno));
			return -1;
		}
	}
	if (!sockp)
		curl_multi_assign(L->m, s, L); /* non-NULL: in the epoll set */
	return 0;
}

/* hands conn c the next token of the order */
static void ack_start(ack_loop *L, conn *c)
{
	size_t i = L->next++;
	const token *t = &toks[L->order[i]];
	/* the handle is out of the multi handle: curl reads the list only while a request is built */
	snprintf(c->hdrs->data, AUTH_LINE, "Authorization: Bearer %s", t->tok);
	c->idx = i;
	c->b.len = 0;
	if (c->b.p)
		c->b.p[0] = 0;
	c->t_last = 0;
	c->t0 = bench_now_ms();
	CURLMcode mc = curl_multi_add_handle(L->m, c->h); /* sets a timer of 0: sent on the next timeout action */
	if (mc != CURLM_OK) {
		fprintf(stderr, "warnings_acks: curl_multi_add_handle: %s\n", curl_multi_strerror(mc));
		exit(1);
	}
}

/* an answer is in (or the transfer failed): count it, and the latency up to its last byte */
static void ack_finish(ack_loop *L, conn *c, CURLcode rc)
{
	double end = c->t_last > 0 ? c->t_last : bench_now_ms();
	L->lat[c->idx] = end - c->t0;
	L->done++;
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status <= 299) {
		L->ok++;
		L->acked += answer_acked(&c->b);
	} else if (L->errors++ < 3) {
		const token *t = &toks[L->order[c->idx]];
		fprintf(stderr, "warnings_acks: ack of user %lld: HTTP %ld: %.300s\n", t->user_id, status,
		        rc != CURLE_OK ? curl_easy_strerror(rc) : c->b.p ? c->b.p : "");
	}
}

/* the transfers that ended: each counted, its handle given the next token (if any); returns how many */
static size_t ack_drain(ack_loop *L)
{
	size_t n = 0;
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(L->m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *h = msg->easy_handle;
		CURLcode res = msg->data.result; /* msg is gone once the handle is removed */
		char *priv = NULL;
		curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv);
		conn *c = (conn *)priv;
		curl_multi_remove_handle(L->m, h); /* its connection stays in the multi handle's cache */
		ack_finish(L, c, res);
		if (L->next < L->count)
			ack_start(L, c);
		n++;
	}
	return n;
}

static void raise_nofile(size_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rlim_t cur = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want) {
		fprintf(stderr, "warnings_acks: %zu connections need about %zu file descriptors, the limit is %llu (hard %llu)\n",
		        want - 64, want, (unsigned long long)(rl.rlim_cur > cur ? rl.rlim_cur : cur),
		        (unsigned long long)rl.rlim_max);
		exit(1);
	}
}

static double cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec * 1e6 +
	       (double)ru.ru_stime.tv_usec;
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
	size_t *order = shuffled(seed);
	size_t nconn = (size_t)connections < count ? (size_t)connections : count;
	raise_nofile(nconn + 64);

	char url[160], body[48];
	snprintf(url, sizeof url, "http://127.0.0.1:%ld/api/v1/me/inbox/%lld/ack", opt_port, opt_warning);
	/* what the app sends: the version read, so a superseded one is refused (409) */
	snprintf(body, sizeof body, "{\"version\":%ld}", opt_version);

	ack_loop L = {.order = order, .count = count, .lat = bench_xmalloc(count * sizeof(double))};
	L.ep = epoll_create1(EPOLL_CLOEXEC);
	L.m = curl_multi_init();
	if (L.ep < 0 || !L.m) {
		fprintf(stderr, "warnings_acks: epoll_create1 or curl_multi_init failed\n");
		return 1;
	}
	curl_multi_setopt(L.m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(L.m, CURLMOPT_SOCKETDATA, &L);
	curl_multi_setopt(L.m, CURLMOPT_MAXCONNECTS, (long)nconn);          /* the cache keeps every connection */
	curl_multi_setopt(L.m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)nconn); /* no more than one per handle */
	curl_multi_setopt(L.m, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);

	conn *cs = calloc(nconn, sizeof *cs);
	if (!cs) {
		fprintf(stderr, "warnings_acks: out of memory\n");
		return 1;
	}
	double cpu0 = cpu_us(), t0 = bench_now_ms();
	for (size_t k = 0; k < nconn; k++) {
		conn *c = &cs[k];
		c->h = new_handle(&c->b);
		curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_ack_body);
		curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
		curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
		curl_easy_setopt(c->h, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(c->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
		curl_easy_setopt(c->h, CURLOPT_URL, url);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		char room[AUTH_LINE];
		memset(room, 'x', sizeof room - 1);
		room[sizeof room - 1] = 0;
		c->hdrs = curl_slist_append(NULL, room); /* a copy of AUTH_LINE bytes, filled in by ack_start */
		c->hdrs = c->hdrs ? curl_slist_append(c->hdrs, "Expect:") : NULL;
		c->hdrs = c->hdrs ? curl_slist_append(c->hdrs, "Content-Type: application/json") : NULL;
		if (!c->hdrs) {
			fprintf(stderr, "warnings_acks: out of memory\n");
			return 1;
		}
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
		ack_start(&L, c);
	}
	enum { MAXEV = 1024 };
	struct epoll_event *evs = bench_xmalloc(MAXEV * sizeof *evs);
	int running = 0, rc = 0;
	while (L.done < count) {
		long tmo = -1;
		curl_multi_timeout(L.m, &tmo); /* curl's next timer (0: something to do now, -1: none) */
		int n = epoll_wait(L.ep, evs, MAXEV, tmo < 0 || tmo > 1000 ? 1000 : (int)tmo);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "warnings_acks: epoll_wait: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		CURLMcode mc = CURLM_OK;
		for (int k = 0; k < n && mc == CURLM_OK; k++) {
			uint32_t ev = evs[k].events;
			int what = (ev & EPOLLIN ? CURL_CSELECT_IN : 0) | (ev & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			           (ev & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
			mc = curl_multi_socket_action(L.m, evs[k].data.fd, what, &running);
		}
		/* the answers that came in: counted, their handles given the next tokens; then the timers
		 * that are due, which sends those at once (a handle just added is due) and runs curl's
		 * timeouts, which can end transfers too: again until nothing ends */
		if (mc == CURLM_OK) {
			ack_drain(&L);
			do
				mc = curl_multi_socket_action(L.m, CURL_SOCKET_TIMEOUT, 0, &running);
			while (mc == CURLM_OK && ack_drain(&L) > 0);
		}
		if (mc != CURLM_OK) {
			fprintf(stderr, "warnings_acks: curl_multi_socket_action: %s\n", curl_multi_strerror(mc));
			rc = 1;
			break;
		}
	}
	double wall = bench_now_ms() - t0, cpu = cpu_us() - cpu0;
	for (size_t k = 0; k < nconn; k++) {
		curl_multi_remove_handle(L.m, cs[k].h); /* only after a failure is one still in */
		curl_easy_cleanup(cs[k].h);
		curl_slist_free_all(cs[k].hdrs);
		free(cs[k].b.p);
	}
	curl_multi_cleanup(L.m); /* closes the connections */
	close(L.ep);
	if (rc == 0) {
		bench_append_doubles(lat_file, L.lat, count);
		bench_print_stats(stdout, L.lat, count, 0);
		printf(" rps=%.0f wall_ms=%.0f ok=%ld acked=%ld errors=%ld connections=%zu client_cpu_us_per_req=%.1f\n",
		       (double)count / (wall / 1e3), wall, L.ok, L.acked, L.errors, nconn, cpu / (double)count);
	}
	free(evs);
	free(cs);
	free(L.lat);
	free(order);
	return rc || L.errors ? 1 : 0;
}

/* order: the first count of the shuffled order, one "user_id token" a line (what --mode ack would
 * send, for another client: bench/warnings_acks.lua under wrk) */
static int mode_order(size_t count, uint64_t seed)
{
	if (count == 0 || count > ntoks)
		count = ntoks;
	size_t *order = shuffled(seed);
	for (size_t i = 0; i < count; i++)
		printf("%lld %s\n", toks[order[i]].user_id, toks[order[i]].tok);
	free(order);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: warnings_acks --port P --tokens FILE --warning ID --mode ack|inbox "
	                "[--connections N] [--count N] [--seed S] [--lat FILE] [--version V] [--sample K]\n"
	                "       warnings_acks --tokens FILE --mode order [--count N] [--seed S]\n");
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
	bool order_only = mode && strcmp(mode, "order") == 0; /* no server: needs neither port nor warning */
	if ((!order_only && (opt_port <= 0 || opt_port > 65535 || opt_warning <= 0)) || !tok_file || !mode ||
	    connections < 1 || connections > 100000 || count < 0 || sample < 1)
		usage();
	ntoks = read_tokens(tok_file);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc;
	if (strcmp(mode, "ack") == 0)
		rc = mode_ack(connections, (size_t)count, seed, lat_file);
	else if (strcmp(mode, "inbox") == 0)
		rc = mode_inbox((size_t)sample);
	else if (order_only)
		rc = mode_order((size_t)count, seed);
	else
		usage(), rc = 2;
	curl_global_cleanup();
	free(toks);
	return rc;
}
