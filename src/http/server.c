/*
 * server.c — libmicrohttpd glue: one request context per request, body
 * accumulation with the limit enforced while reading, user resolution,
 * role and jurisdiction checks (the one place every route passes), the
 * handler call, error JSON, headers, and a log line per request.
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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geo/geo.h"
#include "http/http_int.h"
#include "store/store.h"

struct http_deferred {
	store_job_fn job;
	void *ctx;
	http_after_fn after;
};

typedef struct conn_ctx {
	http_req req;
	strbuf body;
	bool too_big;
	bool responded;
	double start_ms;
	int status;
	int route_index;
	route_result match;           /* matched on the first call: the route sets the body limit */
	const http_route_def *route;
	char allowed[128];
	size_t body_limit;
	auth_user user;
	char client_ip[INET6_ADDRSTRLEN];
	/* http_defer_group: the parked answer, and the job's result once committed */
	bool deferred;
	bool answering; /* counted in deferred_answering until completed */
	struct http_deferred defer;
	http_res res;
	int job_rc;
	yj_err job_err;
} conn_ctx;

static struct MHD_Daemon *daemon_handle;
/* parked answers not yet resumed; once stopping is set nothing new is parked (MHD cannot stop
 * with parked connections): a request counts itself first, then looks at stopping */
static _Atomic long deferred_pending;
static _Atomic long deferred_answering; /* parked once, answer not yet sent (completed) */
static _Atomic bool stopping;
static http_config config;
static char *web_root;

/* ---- status table -------------------------------------------------------- */

int http_status_for(yj_code code)
{
	switch (code) {
	case YJ_OK: return 200;
	case YJ_EINVAL: return 400;
	case YJ_EUNAUTH: return 401;
	case YJ_EFORBIDDEN: return 403;
	case YJ_ENOTFOUND: return 404;
	case YJ_EMETHOD: return 405;
	case YJ_ECONFLICT: return 409;
	case YJ_ETOOBIG: return 413;
	case YJ_EUNPROCESSABLE: return 422;
	case YJ_ETHROTTLED: return 429;
	case YJ_EUNAVAILABLE: return 503;
	case YJ_EINTERNAL: return 500;
	}
	return 500;
}

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

static int handle_metrics(http_req *req, http_res *res, yj_err *e)
{
	res->status = 200;
	res->body = http_metrics_text(&res->body_len);
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return 0;
}

/* ---- the request path ---------------------------------------------------------- */

/*
 * The error body of e, built by hand so that it cannot fail whatever the
 * message echoes: {"error":{"code":…,"message":…,"field":…}}. The message
 * and field are repaired to valid UTF-8 first (cut on a character
 * boundary, invalid bytes as U+FFFD). Never NULL, never empty.
 */
static char *error_body(const yj_err *e, size_t *len)
{
	char message[sizeof e->message], field[sizeof e->field];
	snprintf(message, sizeof message, "%s", e->message[0] ? e->message : yj_code_name(e->code));
	snprintf(field, sizeof field, "%s", e->field);
	yj_utf8_repair(message, sizeof message);
	yj_utf8_repair(field, sizeof field);
	strbuf b;
	strbuf_init(&b);
	strbuf_puts(&b, "{\"error\":{\"code\":");
	yj_json_escape(&b, yj_code_name(e->code));
	strbuf_puts(&b, ",\"message\":");
	yj_json_escape(&b, message);
	if (field[0]) {
		strbuf_puts(&b, ",\"field\":");
		yj_json_escape(&b, field);
	}
	strbuf_puts(&b, "}}");
	return strbuf_take(&b, len);
}

/* make res the error answer of e (whatever the handler had put in it before) */
static void error_json(http_req *req, http_res *res, const yj_err *e)
{
	json_decref(res->json);
	res->json = NULL;
	free(res->body);
	res->status = http_status_for(e->code);
	res->body = error_body(e, &res->body_len);
	res->content_type = "application/json";
	if (e->code == YJ_EUNAUTH)
		http_add_header(req, res, "WWW-Authenticate", "Bearer realm=\"yingji\"");
}

static const char *find_token(conn_ctx *c)
{
	const char *auth = MHD_lookup_connection_value(c->req.conn, MHD_HEADER_KIND, "Authorization");
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
		return auth + 7;
	return MHD_lookup_connection_value(c->req.conn, MHD_COOKIE_KIND, "yj_session");
}

static bool is_api_path(const char *p)
{
	return strncmp(p, "/api/", 5) == 0 || strcmp(p, "/healthz") == 0 || strcmp(p, "/metrics") == 0;
}

/* after a handler (or a deferred answer's after-function) returned rc */
static void handled(http_req *req, http_res *res, int rc, yj_err *e)
{
	if (rc != 0) {
		/* a handler that failed mid-transaction must not leave it open */
		store *s = store_thread();
		if (s)
			store_rollback(s);
		res->deferred = NULL;
		if (e->code == YJ_OK)
			yj_fail(e, YJ_EINTERNAL, "", "internal error");
		if (e->code == YJ_ETHROTTLED && e->retry_after > 0) {
			char ra[16];
			snprintf(ra, sizeof ra, "%d", e->retry_after);
			http_add_header(req, res, "Retry-After", ra);
		}
		error_json(req, res, e);
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
static void deferred_done(void *ctx, int rc, const yj_err *e)
{
	conn_ctx *c = ctx;
	c->job_rc = rc;
	c->job_err = *e;
	/* resumed first, then uncounted: http_stop may stop the daemon once the count is 0, and
	 * MHD finishes resumed connections when it stops (c may be gone after the resume) */
	MHD_resume_connection(c->req.conn);
	deferred_pending--;
}

/* route, check access, run the handler; fills res, returns nothing: errors become JSON */
static void dispatch(conn_ctx *c, http_res *res)
{
	http_req *req = &c->req;
	yj_err e = {0};
	store *s = store_thread();
	const char *token = find_token(c);
	if (token && s && auth_session_resolve(s, token, &c->user, NULL) == 0) {
		req->user = &c->user;
		req->token = token;
	}

	if (!is_api_path(req->path)) {
		if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
			yj_fail(&e, YJ_EMETHOD, "", "only GET and HEAD are allowed here");
			http_add_header(req, res, "Allow", "GET, HEAD");
		} else if (http_static_serve(web_root, req->path, res, &e) == 0) {
			return;
		}
		error_json(req, res, &e);
		return;
	}

	const http_route_def *route = c->route;
	const char *allowed = c->allowed;
	route_result rr = c->match;
	if (rr == ROUTE_NO_PATH) {
		yj_fail(&e, YJ_ENOTFOUND, "", "no such endpoint: %s %.200s", req->method, req->path);
		error_json(req, res, &e);
		return;
	}
	if (rr == ROUTE_NO_METHOD) {
		yj_fail(&e, YJ_EMETHOD, "", "%s is not allowed here; allowed: %s", req->method, allowed);
		http_add_header(req, res, "Allow", allowed);
		error_json(req, res, &e);
		return;
	}
	c->route_index = http_route_index(route);

	/* access: the one place every route passes */
	if (route->roles != HTTP_PUBLIC) {
		if (!req->user) {
			yj_fail(&e, YJ_EUNAUTH, "", "sign in first (POST /api/v1/auth/login)");
			error_json(req, res, &e);
			return;
		}
		if (!(route->roles & ROLE_BIT(req->user->role))) {
			yj_fail(&e, YJ_EFORBIDDEN, "", "role %s may not do this",
			        auth_role_name(req->user->role));
			error_json(req, res, &e);
			return;
		}
		if (route->area_param) {
			const char *code = http_param(req, route->area_param);
			char prefix[16];
			auth_area_prefix(code, prefix);
			if (prefix[0] && !geo_area_find(code)) {
				yj_fail(&e, YJ_ENOTFOUND, route->area_param, "there is no area %s", code);
				error_json(req, res, &e);
				return;
			}
			if (auth_require_area(req->user, code, route->area_param, &e)) {
				error_json(req, res, &e);
				return;
			}
		}
	}
	if (!s) {
		yj_fail(&e, YJ_EUNAVAILABLE, "", "database unavailable");
		error_json(req, res, &e);
		return;
	}
	handled(req, res, route->handler(req, res, &e), &e);
	store_idle_check(s); /* a statement left open by the handler is a defect: finished and logged */
}

static enum MHD_Result queue_stream(conn_ctx *c, struct MHD_Connection *conn, http_res *res)
{
	struct MHD_Response *r = http_sse_response(res->sse);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", res->content_type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	MHD_add_response_header(r, "X-Request-Id", c->req.request_id);
	c->status = 200;
	enum MHD_Result ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	c->responded = true;
	return ret;
}

static enum MHD_Result queue(conn_ctx *c, struct MHD_Connection *conn, http_res *res)
{
	if (res->sse && !res->json)
		return queue_stream(c, conn, res);
	char *body = res->body;
	size_t len = res->body_len;
	const char *ctype = res->content_type;
	if (res->json) {
		body = json_dumps(res->json, JSON_COMPACT | JSON_REAL_PRECISION(12));
		len = body ? strlen(body) : 0;
		ctype = "application/json";
		json_decref(res->json);
		res->json = NULL;
		free(res->body);
		if (!body) {
			/* an answer that cannot be rendered is our fault: say so in JSON, never with nothing */
			yj_err e;
			yj_fail(&e, YJ_EINTERNAL, "", "the answer could not be rendered");
			yj_log(YJ_LOG_ERROR, "render_failed", "path=%.200s", c->req.path);
			res->status = 500;
			body = error_body(&e, &len);
		}
	}
	if (!body) {
		body = yj_strdup("");
		len = 0;
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	if (ctype)
		MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "X-Request-Id", c->req.request_id);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	if (is_api_path(c->req.path))
		MHD_add_response_header(r, "Cache-Control", "no-store");
	else
		MHD_add_response_header(r, "Cache-Control", "no-cache");
	for (int i = 0; i < res->nheaders; i++)
		MHD_add_response_header(r, res->header_name[i], res->header_value[i]);
	c->status = res->status ? res->status : 200;
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)c->status, r);
	MHD_destroy_response(r);
	c->responded = true;
	return ret;
}

static conn_ctx *ctx_new(struct MHD_Connection *conn, const char *url, const char *method)
{
	conn_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->req.a = arena_new(4096);
	c->req.conn = conn;
	c->req.method = arena_strdup(c->req.a, method);
	c->req.path = arena_strdup(c->req.a, url);
	c->start_ms = yj_mono_ms();
	c->route_index = -1;
	strbuf_init(&c->body);
	unsigned char rid[8];
	randombytes_buf(rid, sizeof rid);
	yj_hex(rid, sizeof rid, c->req.request_id);
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

/* the largest oversize body read (and dropped) before answering 413 */
#define DISCARD_MAX (64u << 20)

static enum MHD_Result too_big(conn_ctx *c, struct MHD_Connection *conn)
{
	http_res res = {0};
	yj_err e;
	yj_fail(&e, YJ_ETOOBIG, "body", "the request body is larger than the limit of %zu bytes",
	        c->body_limit);
	error_json(&c->req, &res, &e);
	return queue(c, conn, &res);
}

/* the job of a deferred answer is committed (or failed): the after-function answers */
static enum MHD_Result deferred_answer(conn_ctx *c, struct MHD_Connection *conn)
{
	c->deferred = false;
	http_res res = c->res;
	yj_err e = c->job_err;
	handled(&c->req, &res, c->defer.after(&c->req, &res, c->defer.ctx, c->job_rc, &e), &e);
	res.deferred = NULL;
	return queue(c, conn, &res);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
	conn_ctx *c = *con_cls;
	if (!c) {
		c = ctx_new(conn, url, method);
		if (!c)
			return MHD_NO;
		*con_cls = c;
		c->body_limit = config.body_limit;
		c->match = ROUTE_NO_PATH;
		if (is_api_path(c->req.path)) {
			c->match = http_router_match(&c->req, &c->route, c->allowed, sizeof c->allowed);
			if (c->match == ROUTE_FOUND && c->route->body_limit)
				c->body_limit = c->route->body_limit;
		}
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > c->body_limit) {
			c->too_big = true;
			/* Answering before the body is read closes the connection on a client that is
			 * still sending, and the reset can reach it before the 413 does. So a body of
			 * moderate size is read and dropped first; only a client that waits for
			 * "100 Continue", or a huge body, gets the answer at once. */
			const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
			if (expect || strtoull(cl, NULL, 10) > DISCARD_MAX)
				return too_big(c, conn);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!c->too_big) {
			if (c->body.len + *upload_data_size > c->body_limit) {
				c->too_big = true;
				strbuf_free(&c->body);
			} else {
				strbuf_append(&c->body, upload_data, *upload_data_size);
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (c->responded)
		return MHD_YES;
	if (c->deferred)
		return deferred_answer(c, conn); /* resumed: the job is committed */
	if (c->too_big)
		return too_big(c, conn);
	c->req.body = c->body.data;
	c->req.body_len = c->body.len;
	http_res res = {0};
	if (stopping) {
		/* a request that comes while stopping is not started: say so and close the connection */
		yj_err e;
		yj_fail(&e, YJ_EUNAVAILABLE, "", "the server is stopping; try again shortly");
		error_json(&c->req, &res, &e);
		http_add_header(&c->req, &res, "Connection", "close");
		http_add_header(&c->req, &res, "Retry-After", "2");
		return queue(c, conn, &res);
	}
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
	return queue(c, conn, &res);
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
	       toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
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
	if (!config.body_limit)
		config.body_limit = 1 << 20;
	if (!config.threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		/* handlers wait on commits (acknowledgements, telemetry): more threads, more in each group commit */
		config.threads = n > 2 ? (unsigned)n * 4 : 8;
	}
	free(web_root);
	web_root = cfg->web_dir ? strdup(cfg->web_dir) : NULL;

	struct sockaddr_storage ss;
	socklen_t sslen;
	if (parse_listen(cfg->listen, &ss, &sslen, e))
		return -1;

	http_route("GET", "/healthz", handle_healthz, HTTP_PUBLIC, NULL);
	http_route("GET", "/metrics", handle_metrics, HTTP_PUBLIC, NULL);

	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	stopping = false;
	daemon_handle = MHD_start_daemon(
		/* the logger first, so that MHD's messages about the other options reach it too */
		flags, 0, NULL, NULL, answer, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, config.threads, MHD_OPTION_CONNECTION_LIMIT, 20000u,
		MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		/* each connection's buffer for headers and reads; MHD clears it for every request on a
		 * kept-alive connection, so 16 KiB (not the default 32) halves that; bodies are ours */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_END);
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
