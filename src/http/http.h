/*
 * http.h — the HTTP server (libmicrohttpd), router, request context,
 * access checks, error JSON, static files and metrics.
 *
 * A module registers routes at start with http_route(); each route names
 * who may call it (roles) and, optionally, the path parameter that is an
 * area code. The server resolves the user, checks role and jurisdiction in
 * one place, then calls the handler. Handlers parse and validate, call the
 * module's service functions, and fill an http_res; on failure they return
 * -1 with a yj_err and the server renders the error JSON:
 *   {"error":{"code":"invalid_argument","message":"...","field":"..."}}
 */
#ifndef YJ_HTTP_H
#define YJ_HTTP_H

#include <jansson.h>
#include <stdbool.h>

#include "auth/auth.h"
#include "base/base.h"
#include "store/store.h"

#define HTTP_MAX_PARAMS 6
#define HTTP_MAX_HEADERS 8

typedef struct http_req {
	arena *a;             /* freed when the request ends */
	const char *method;
	const char *path;
	const char *client_ip;
	char request_id[17];
	const char *body;     /* NUL-terminated, may contain NULs; body_len is exact */
	size_t body_len;
	const auth_user *user;/* NULL when not signed in */
	const char *token;    /* the session token used, if any */
	int nparams;
	const char *param_name[HTTP_MAX_PARAMS];
	const char *param_value[HTTP_MAX_PARAMS];
	void *conn;           /* struct MHD_Connection *, for the server only */
	bool zh;              /* the client prefers Chinese (Accept-Language): errors answer in Chinese */
} http_req;

typedef struct http_sse http_sse;

typedef struct http_res {
	int status;
	http_sse *sse;        /* an event stream (http_sse_open), instead of a body */
	json_t *json;         /* owned: rendered, then released */
	char *body;           /* or a raw body, malloc'ed, freed by the server */
	size_t body_len;
	const char *content_type;
	int nheaders;
	const char *header_name[HTTP_MAX_HEADERS];
	const char *header_value[HTTP_MAX_HEADERS];
	struct http_deferred *deferred; /* http_defer_group: answer after the commit */
	bool encoded;         /* body is gzip already (Content-Encoding set): not compressed again */
} http_res;

typedef int (*http_handler)(http_req *req, http_res *res, yj_err *e);

/*
 * Answer after a group commit without holding an HTTP thread: the handler
 * calls http_defer_group(req, res, job, ctx, after) as its last step and
 * returns what it returns. The connection is parked, job runs on the group
 * writer (store_group_submit) together with other clients' jobs, and once
 * it is committed after(req, res, ctx, rc, e) runs on an HTTP thread with
 * the job's rc and *e to fill the answer like a handler (return -1 with *e
 * for an error answer). ctx must live as long as the request (req->a).
 */
typedef int (*http_after_fn)(http_req *req, http_res *res, void *ctx, int rc, yj_err *e);
int http_defer_group(http_req *req, http_res *res, store_job_fn job, void *ctx, http_after_fn after);

/* Who may call a route: 0 = anyone (no login), else a mask of ROLE_BIT()s. */
#define HTTP_PUBLIC 0u

/*
 * Register a route. pattern has literal segments and {name} parameters,
 * e.g. "/api/v1/areas/{code}". Literal segments win over parameters.
 * area_param, when not NULL, names the path parameter holding an area code
 * that must be in the user's jurisdiction (403 otherwise).
 */
void http_route(const char *method, const char *pattern, http_handler h, unsigned roles,
                const char *area_param);

/* Let the route registered last accept bodies up to bytes (imports). */
void http_route_body_limit(size_t bytes);
/*
 * HTTP_ROUTE_OWN_RETRIES: the route registered last answers after another
 * thread's commit (http_defer_group, telemetry's writer) and keeps its own
 * retry semantics; an Idempotency-Key does not run it in a transaction of
 * the request's own (which would hold this thread's write lock meanwhile).
 */
#define HTTP_ROUTE_OWN_RETRIES 1u
void http_route_flags(unsigned flags);
/*
 * Describe the route registered last for the API description (OpenAPI
 * 3.1, GET /api/v1/openapi.json): a one-line summary, its query parameters
 * as "name:type, ..." (type: string, integer, number, boolean, area, time,
 * bbox, id; a leading '!' marks a required one), and what its body is (a
 * word like "json", "csv or geojson", or NULL for none). Routes without a
 * description are listed all the same, from the route table alone.
 */
void http_route_doc(const char *summary, const char *query, const char *body);
/* The OpenAPI 3.1 document of every registered route (new reference). */
json_t *http_openapi(void);

typedef struct http_config {
	const char *listen;     /* HOST:PORT; port 0 picks a free one */
	const char *web_dir;    /* static files, or NULL */
	unsigned threads;       /* worker threads (0 = default) */
	size_t body_limit;      /* bytes (0 = 1 MiB) */
	size_t body_memory;     /* request bodies held in memory at once, all clients (0 = 512 MiB) */
	unsigned client_conns;  /* open connections one client address may have (0 = 4096) */
} http_config;

/* Start serving; *port_out gets the bound port. 0, or -1 with *e. */
int http_start(const http_config *cfg, unsigned *port_out, yj_err *e);
/* Stop accepting, finish in-flight requests, stop. */
void http_stop(void);

/* ---- helpers for handlers ------------------------------------------------ */

const char *http_param(const http_req *req, const char *name);
const char *http_query(const http_req *req, const char *name);
const char *http_header(const http_req *req, const char *name);
/* The body as a JSON object (duplicate keys rejected). NULL + *e (400, field "body"). */
json_t *http_json_body(http_req *req, yj_err *e);
/* Respond with JSON (steals j). */
void http_json(http_res *res, int status, json_t *j);
void http_add_header(http_req *req, http_res *res, const char *name, const char *value);
/* The yj_code -> HTTP status table. */
int http_status_for(yj_code code);
/* Require a visible area (jurisdiction); same words everywhere. */
int http_require_area(const http_req *req, const char *area_code, const char *field, yj_err *e);

/* ---- the request kit (kit.c): what every handler parses, written once ---------------------- */

/*
 * The jurisdiction of this request: the ?area= parameter when given (a
 * known area inside the user's subtree: 400 for a malformed or unknown
 * code, 403 outside), else the user's own area. Every list, export, layer
 * and count a handler answers is scoped by this (bind out->lo, out->hi to
 * AUTH_SCOPE_SQL). The one place the rule lives: auth_scope_for.
 */
int http_scope(const http_req *req, auth_scope *out, yj_err *e);
/* The same for an area named elsewhere (a body field): field names it in errors. */
int http_scope_of(const http_req *req, const char *area, const char *field, auth_scope *out, yj_err *e);
/*
 * The language of the answer's words: true when the most preferred tag of an
 * Accept-Language value (q-values honoured, the first of equals) is zh or a
 * zh-… tag. NULL, "", "*" and anything unreadable: false (English). The
 * server sets req->zh with it once per request; http_error_json and the
 * handlers that build their own error objects read it through http_err_text.
 */
bool http_accepts_zh(const char *accept_language);
/* e's words in the request's language (Chinese when wanted and the catalog has them). */
const char *http_err_text(const http_req *req, const yj_err *e);
/* Path parameter name as an id (1 .. 2^53 - 1): 400 naming it otherwise (404 would hide a typo). */
int http_path_id(const http_req *req, const char *name, int64_t *out, yj_err *e);

/* ?limit= (1..max, default def) and ?cursor= (an id the page starts after; 0 = from the start). */
typedef struct http_page {
	long limit;
	int64_t cursor;
} http_page;
int http_paging(const http_req *req, long def, long max, http_page *out, yj_err *e);
/* {"items": items, "next_cursor": "<id>" or null}: next is the last id of this page when more follow (0: none). */
json_t *http_page_json(json_t *items, int64_t next);

/* Query parameters: 0 when absent (out untouched), 1 when present and valid, -1 with *e naming it. */
int http_query_long(const http_req *req, const char *name, long lo, long hi, long *out, yj_err *e);
int http_query_double(const http_req *req, const char *name, double lo, double hi, double *out, yj_err *e);
int http_query_bool(const http_req *req, const char *name, bool *out, yj_err *e);       /* 1/0/true/false */
int http_query_time(const http_req *req, const char *name, int64_t *ms, yj_err *e);     /* RFC 3339 or ms */
/* one of values (NULL-terminated): *out its index */
int http_query_enum(const http_req *req, const char *name, const char *const *values, int *out, yj_err *e);
/* ?bbox=minLon,minLat,maxLon,maxLat in range and ordered */
int http_query_bbox(const http_req *req, const char *name, double out[4], yj_err *e);
/* text of at most max bytes (valid UTF-8) */
int http_query_text(const http_req *req, const char *name, size_t max, const char **out, yj_err *e);

/* ---- Server-Sent Events ------------------------------------------------------ */

/*
 * Turn this response into an event stream of topic for the caller. Events
 * are delivered only when their area code lies in scope (auth_scope_contains,
 * the one jurisdiction rule; NULL: every area, for streams filtered per user
 * by http_sse_publish_users) and, if bbox (minLon,minLat,maxLon,maxLat) is given, their point lies in
 * it. hello is the data of the first event ("hello"). Idle streams are
 * parked (no thread, no polling).
 */
int http_sse_open(http_req *req, http_res *res, const char *topic, const auth_scope *scope,
                  const double *bbox, const char *hello, yj_err *e);
/* Send event (name) with data (one line of JSON) to the streams of topic
 * that want area_code / point (point may be NULL). Never blocks on a peer. */
void http_sse_publish(const char *topic, const char *event, const char *area_code,
                      const double *point, const char *data);
long http_sse_clients(void);
long http_sse_topic_clients(const char *topic);
/* Send to the streams of topic whose user want(ctx, user_id) accepts (inboxes). */
typedef bool (*http_sse_user_filter)(void *ctx, int64_t user_id);
void http_sse_publish_users(const char *topic, const char *event, http_sse_user_filter want, void *ctx,
                            const char *data);

/* ---- metrics --------------------------------------------------------------- */

/* Prometheus text exposition of requests by route and status and latency. */
char *http_metrics_text(size_t *len);
/* Report a value in /metrics: name, help text, type ("counter" or "gauge"), and how to read it
 * (called on the answering thread: make it a load of an atomic). Register from *_api.c. */
void http_metric(const char *name, const char *help, const char *type, int64_t (*read)(void));

#endif
