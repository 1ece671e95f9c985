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

typedef struct http_config {
	const char *listen;     /* HOST:PORT; port 0 picks a free one */
	const char *web_dir;    /* static files, or NULL */
	unsigned threads;       /* worker threads (0 = default) */
	size_t body_limit;      /* bytes (0 = 1 MiB) */
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

/* ---- Server-Sent Events ------------------------------------------------------ */

/*
 * Turn this response into an event stream of topic for the caller. Events
 * are delivered only when their area code starts with area_prefix ("" = all)
 * and, if bbox (minLon,minLat,maxLon,maxLat) is given, their point lies in
 * it. hello is the data of the first event ("hello"). Idle streams are
 * parked (no thread, no polling).
 */
int http_sse_open(http_req *req, http_res *res, const char *topic, const char *area_prefix,
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

#endif
