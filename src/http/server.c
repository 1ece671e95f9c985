/*
 * server.c — libmicrohttpd glue: one request context per request, the
 * gate on its headers (gate.c: sizes, route, user, role, jurisdiction,
 * body length, budgets — the one place every route passes), body
 * accumulation with the limit enforced while reading, the handler call,
 * the answer (reply.c), and a log line per request.
 *
 * The daemon runs a pool of poll threads; each worker thread uses its own
 * SQLite connection (store_thread). MHD_ALLOW_SUSPEND_RESUME is on: event
 * streams park idle connections, and acknowledgements park theirs until
 * their group commit is on disk (http_defer_group).
 *
 * poll, not epoll: with libmicrohttpd 0.9.75's edge-triggered epoll loop and
 * connections suspended and resumed from another thread at ~20,000/s, a
 * worker now and then stopped reading its connections (requests sat in the
 * socket buffers, every worker in epoll_wait, seen about once in ten 100,000-
 * ack bench runs). Level-triggered poll cannot lose a wake-up; it was also
 * faster here (no epoll_ctl for every suspend and resume). Idle connections
 * cost a poll entry each; parked ones none.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geo/geo.h"
#include "http/http_int.h"
#include "store/store.h"

static struct MHD_Daemon *daemon_handle;
/* parked answers not yet resumed; once stopping is set nothing new is parked (MHD cannot stop
 * with parked connections): a request counts itself first, then looks at stopping */
static _Atomic long deferred_pending;
static _Atomic long deferred_answering; /* parked once, answer not yet sent (completed) */
static _Atomic bool stopping;
static http_config config;
static char *web_root;

/* ---- helpers for handlers -------------------------------------------------- */

const char *http_query(const http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(const http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

json_t *http_json_body(http_req *req, yj_err *e)
{
	if (!req->body || req->body_len == 0) {
		yj_fail(e, YJ_EINVAL, "body", "a JSON object is required in the request body");
		return NULL;
	}
	json_error_t jerr;
	json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		yj_fail(e, YJ_EINVAL, "body", "invalid JSON at line %d column %d: %s", jerr.line,
		        jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		yj_fail(e, YJ_EINVAL, "body", "the request body must be a JSON object");
		return NULL;
	}
	return j;
}

void http_json(http_res *res, int status, json_t *j)
{
	json_decref(res->json);
	res->status = status;
	res->json = j;
}

void http_add_header(http_req *req, http_res *res, const char *name, const char *value)
{
	if (res->nheaders == HTTP_MAX_HEADERS)
		return;
	res->header_name[res->nheaders] = arena_strdup(req->a, name);
	res->header_value[res->nheaders++] = arena_strdup(req->a, value);
}

int http_defer_group(http_req *req, http_res *res, store_job_fn job, void *ctx, http_after_fn after)
{
	struct http_deferred *d = arena_alloc(req->a, sizeof *d);
	d->job = job;
	d->ctx = ctx;
	d->after = after;
	res->deferred = d;
	return 0;
}

int http_require_area(const http_req *req, const char *area_code, const char *field, yj_err *e)
{
	return auth_require_area(req->user, area_code, field, e);
}

/* ---- built-in routes ------------------------------------------------------- */

static int handle_healthz(http_req *req, http_res *res, yj_err *e)
{
	store *s = store_thread();
	if (!s || store_schema_version(s) < 1)
		return yj_fail(e, YJ_EUNAVAILABLE, "", "database unavailable");
	http_json(res, 200, json_pack("{s:s}", "status", "ok"));
	return 0;
}

static int handle_openapi(http_req *req, http_res *res, yj_err *e)
{
	http_json(res, 200, http_openapi());
	return 0;
}

static int handle_metrics(http_req *req, http_res *res, yj_err *e)
{
	res->status = 200;
	res->body = http_metrics_text(&res->body_len);
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return 0;
}

/* ---- the request path ---------------------------------------------------------- */

/* after a handler (or a deferred answer's after-function) returned rc */
static void handled(http_req *req, http_res *res, int rc, yj_err *e, bool on_handler_thread)
{
	if (rc != 0) {
		/* a handler that failed mid-transaction must not leave it open */
		store *s = on_handler_thread ? store_thread() : NULL;
		if (s)
			store_rollback_all(s);
		res->deferred = NULL;
		if (e->code == YJ_OK)
			yj_fail(e, YJ_EINTERNAL, "", "internal error");
		http_error_json(req, res, e);
	} else if (!res->status && !res->deferred) {
		res->status = 200;
	}
}

/* a deferred answer's job, on the group writer */
static int deferred_job(store *s, void *ctx, yj_err *e)
{
	conn_ctx *c = ctx;
	return c->defer.job(s, c->defer.ctx, e);
}

/* committed (or failed): keep the result and let the connection go on */
/*
 * Committed (or failed): answer, then let the connection go on. The answer
 * is queued here, on the store's thread, while the connection is still
 * parked (libmicrohttpd allows that from any thread). A client that
 * half-closed its socket after sending would be read as gone once the
 * connection resumes, its committed acknowledgement never answered: such
 * a client gets the answer written to its socket here. (A half-close that
 * arrives between this look and the resume is still read as gone.)
 */
static void deferred_done(void *ctx, int rc, const yj_err *e)
{
	conn_ctx *c = ctx;
	struct MHD_Connection *conn = c->req.conn;
	c->job_rc = rc;
	c->job_err = *e;
	c->deferred = false;
	http_res res = c->res;
	yj_err err = c->job_err;
	handled(&c->req, &res, c->defer.after(&c->req, &res, c->defer.ctx, c->job_rc, &err), &err, false);
	res.deferred = NULL;
	if (http_peer_half_closed(conn))
		http_send_direct(c, conn, &res);
	else
		http_queue(c, conn, &res);
	/* resumed first, then uncounted: http_stop may stop the daemon once the count is 0, and
	 * MHD finishes resumed connections when it stops (c may be gone after the resume) */
	MHD_resume_connection(conn);
	deferred_pending--;
}

/* run the handler (the gate has checked everything the headers tell); fills res */
static void dispatch(conn_ctx *c, http_res *res)
{
	http_req *req = &c->req;
	yj_err e = {0};
	if (!http_is_api_path(req->path)) {
		if (http_static_serve(web_root, req, res, &e) != 0)
			http_error_json(req, res, &e);
		return;
	}
	store *s = store_thread();
	if (!s) {
		yj_fail(&e, YJ_EUNAVAILABLE, "", "database unavailable");
		http_error_json(req, res, &e);
		return;
	}
	int irc = http_idem_begin(c, res, &e);
	if (irc) {
		if (irc < 0)
			http_error_json(req, res, &e);
		return; /* refused, or the first answer again */
	}
	int rc = c->route->handler(req, res, &e);
	handled(req, res, http_idem_end(c, res, rc, &e), &e, true);
	store_idle_check(s); /* a statement left open by the handler is a defect: finished and logged */
}

/* request ids: a random prefix drawn once per process and a counter (ids correlate log lines
 * with answers; they need to be unique, not secret, and a system call a request is not free) */
static uint32_t rid_prefix;
static atomic_uint_fast32_t rid_next;

static void request_id(char out[17])
{
	uint32_t n = (uint32_t)atomic_fetch_add_explicit(&rid_next, 1, memory_order_relaxed);
	snprintf(out, 17, "%08" PRIx32 "%08" PRIx32, rid_prefix, n);
}

static conn_ctx *ctx_new(struct MHD_Connection *conn, const char *url, const char *method)
{
	conn_ctx *c = yj_calloc(1, sizeof *c);
	c->req.a = arena_new(4096);
	c->req.conn = conn;
	c->req.method = arena_strdup(c->req.a, method);
	c->req.path = arena_strdup(c->req.a, url);
	c->req.zh = http_accepts_zh(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"));
	c->start_ms = yj_mono_ms();
	c->route_index = -1;
	strbuf_init(&c->body);
	request_id(c->req.request_id);
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(c->client_ip, sizeof c->client_ip, "-");
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, c->client_ip,
			          sizeof c->client_ip);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, c->client_ip,
			          sizeof c->client_ip);
	}
	c->req.client_ip = c->client_ip;
	return c;
}

/* the job of a deferred answer is committed (or failed): the after-function answers */
static enum MHD_Result deferred_answer(conn_ctx *c, struct MHD_Connection *conn)
{
	c->deferred = false;
	http_res res = c->res;
	yj_err e = c->job_err;
	handled(&c->req, &res, c->defer.after(&c->req, &res, c->defer.ctx, c->job_rc, &e), &e, false);
	res.deferred = NULL;
	return http_queue(c, conn, &res);
}

/* what a refused client may still send after its answer, read and dropped, before we close: a
 * client that writes before it reads sees the answer, not a reset; nobody gets to send forever */
#define LINGER_MAX (64u << 20)
#define LINGER_MS 5000

static void shutdown_write(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci)
		shutdown(ci->connect_fd, SHUT_WR);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
	conn_ctx *c = *con_cls;
	if (!c) {
		/* the headers are in: decide everything they tell before reading a byte of the body */
		c = ctx_new(conn, url, method);
		*con_cls = c;
		c->body_limit = config.body_limit;
		bool drain;
		if (http_gate(c, &c->early, &drain)) {
			c->refused = true;
			if (!drain && !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect") &&
			    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length") &&
			    strcmp(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length"), "0") != 0) {
				/* a large body is coming: answer now, close our side, drop what still arrives */
				http_send_direct(c, conn, &c->early);
				shutdown_write(conn);
				c->lingering = true;
			} else if (!drain) {
				return http_queue(c, conn, &c->early);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (c->lingering) {
			c->lingered += *upload_data_size;
			*upload_data_size = 0;
			return c->lingered > LINGER_MAX || yj_mono_ms() - c->start_ms > LINGER_MS ? MHD_NO : MHD_YES;
		}
		if (!c->refused) {
			if (c->body.len + *upload_data_size > c->body_limit) {
				/* more than declared, or more than the route takes: drop the rest, then answer */
				yj_err e;
				yj_fail(&e, YJ_ETOOBIG, "body", "the request body is larger than the limit of %zu bytes",
				        c->body_limit);
				http_error_json(&c->req, &c->early, &e);
				c->refused = true;
				strbuf_free(&c->body);
			} else {
				strbuf_append(&c->body, upload_data, *upload_data_size);
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (c->lingering)
		return MHD_NO; /* answered already; the connection closes */
	if (c->responded)
		return MHD_YES;
	if (c->deferred)
		return MHD_YES; /* resumed: its answer was queued when the job was committed */
	if (c->refused)
		return http_queue(c, conn, &c->early);
	c->req.body = c->body.data;
	c->req.body_len = c->body.len;
	http_res res = {0};
	dispatch(c, &res);
	if (res.deferred) {
		/* park the connection (suspend before submitting: the writer may resume it at once);
		 * counted until its answer is sent, so that a stop lets it go out */
		c->deferred = true;
		c->defer = *res.deferred;
		c->res = res;
		c->res.deferred = NULL;
		c->answering = true;
		deferred_answering++;
		deferred_pending++;
		if (stopping) {
			/* the stop began meanwhile: wait here for the commit instead of parking */
			deferred_pending--;
			yj_err e = {0};
			c->job_rc = store_group_run(deferred_job, c, &e);
			c->job_err = e;
			return deferred_answer(c, conn);
		}
		MHD_suspend_connection(conn);
		store_group_submit(deferred_job, c, deferred_done);
		return MHD_YES;
	}
	return http_queue(c, conn, &res);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	conn_ctx *c = *con_cls;
	if (!c)
		return;
	if (c->answering)
		deferred_answering--;
	double ms = yj_mono_ms() - c->start_ms;
	http_metrics_record(c->route_index, c->status, ms);
	const http_route_def *r = http_route_at(c->route_index);
	char qpath[300], quser[80];
	yj_log(YJ_LOG_INFO, "request",
	       "req_id=%s method=%s path=%s route=%s status=%d user=%s client=%s bytes_in=%zu "
	       "dur_ms=%.2f%s",
	       c->req.request_id, c->req.method, yj_log_quote(qpath, sizeof qpath, c->req.path),
	       r ? r->pattern : "-", c->status,
	       yj_log_quote(quser, sizeof quser, c->req.user ? c->req.user->username : NULL),
	       c->client_ip, c->body.len, ms,
	       toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? " aborted=client" : toe == MHD_REQUEST_TERMINATED_READ_ERROR ? " aborted=read" : toe == MHD_REQUEST_TERMINATED_WITH_ERROR ? " aborted=error" : " aborted=1");
	http_gate_release(c);
	if (!c->responded)
		http_res_free(&c->early);
	strbuf_free(&c->body);
	arena_free(c->req.a);
	free(c);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	char q[600];
	yj_log(YJ_LOG_WARN, "httpd", "message=%s", yj_log_quote(q, sizeof q, msg));
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
                        yj_err *e)
{
	char host[256];
	const char *colon = strrchr(listen ? listen : "", ':');
	if (!listen || !colon || colon == listen)
		return yj_fail(e, YJ_EINVAL, "listen", "--listen: expected HOST:PORT, got '%s'",
		               listen ? listen : "");
	size_t hl = (size_t)(colon - listen);
	if (hl >= sizeof host)
		return yj_fail(e, YJ_EINVAL, "listen", "--listen: host too long");
	memcpy(host, listen, hl);
	host[hl] = 0;
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	long port;
	if (yj_parse_long(colon + 1, 0, 65535, &port, "listen", e))
		return -1;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE}, *ai;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
		return yj_fail(e, YJ_EINVAL, "listen", "--listen: cannot resolve host '%s'", host);
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	return 0;
}

int http_start(const http_config *cfg, unsigned *port_out, yj_err *e)
{
	config = *cfg;
	randombytes_buf(&rid_prefix, sizeof rid_prefix);
	if (!config.body_limit)
		config.body_limit = 1 << 20;
	if (!config.threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		/* handlers wait on commits (acknowledgements, telemetry): more threads, more in each group commit */
		config.threads = n > 2 ? (unsigned)n * 4 : 8;
	}
	free(web_root);
	web_root = yj_strdup(cfg->web_dir);
	http_gate_configure(&config);
	http_gate_stopping(false);
	http_idem_start();

	struct sockaddr_storage ss;
	socklen_t sslen;
	if (parse_listen(cfg->listen, &ss, &sslen, e))
		return -1;

	http_route("GET", "/healthz", handle_healthz, HTTP_PUBLIC, NULL);
	http_route_doc("liveness and the database", NULL, NULL);
	http_route("GET", "/metrics", handle_metrics, HTTP_PUBLIC, NULL);
	http_route_doc("Prometheus text: requests by route and status, latencies, queues", NULL, NULL);
	http_route("GET", "/api/v1/openapi.json", handle_openapi, ROLES_ANY, NULL);
	http_route_doc("this document: every route of the server, from its route table", NULL, NULL);

	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	stopping = false;
	daemon_handle = MHD_start_daemon(
		/* the logger first, so that MHD's messages about the other options reach it too */
		flags, 0, NULL, NULL, answer, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, config.threads, MHD_OPTION_CONNECTION_LIMIT, 20000u,
		MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, http_gate_connection, NULL,
		/* each connection's memory for the request line, headers and the answer's headers: the gate
		 * refuses requests whose line or headers exceed its limits (8 KiB, 16 KiB), so every request
		 * that runs leaves room for its answer; MHD answers by itself only beyond this */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY, MHD_OPTION_END);
	/* no MHD_OPTION_LISTENING_ADDRESS_REUSE: that is SO_REUSEPORT on Linux, which lets a second
	 * server bind the same port and silently take half the requests */
	if (!daemon_handle)
		return yj_fail(e, YJ_EUNAVAILABLE, "listen", "cannot listen on %s (in use?)", cfg->listen);
	http_sse_bus_attach();
	http_sse_start_ticker();
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_BIND_PORT);
	if (port_out)
		*port_out = di ? di->port : 0;
	return 0;
}

void http_stop(void)
{
	if (!daemon_handle)
		return;
	MHD_socket lfd = MHD_quiesce_daemon(daemon_handle);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd); /* no new connections wait in the backlog while the rest finishes */
	/* parked answers resume when their commit is done: wait for those, then for their answers
	 * to go out; a request that arrives on an open connection meanwhile gets 503 and a close */
	stopping = true;
	http_gate_stopping(true);
	while (deferred_pending > 0)
		usleep(1000);
	/* and for their answers to go out (bounded: a peer that stopped reading must not hold us) */
	for (int i = 0; deferred_answering > 0 && i < 5000; i++)
		usleep(1000);
	http_sse_stop();
	MHD_stop_daemon(daemon_handle);
	daemon_handle = NULL;
	free(web_root);
	web_root = NULL;
}
