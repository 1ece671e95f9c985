/*
 * http_int.h — what the files of src/http/ share with each other and with
 * nobody else: the route table, metrics recording and static files.
 */
#ifndef YJ_HTTP_INT_H
#define YJ_HTTP_INT_H

#include "http/http.h"

#define HTTP_MAX_ROUTES 256
#define HTTP_MAX_SEGMENTS 12

typedef struct http_route_def {
	const char *method;
	const char *pattern;
	http_handler handler;
	unsigned roles;
	const char *area_param;
	int nseg;
	const char *seg[HTTP_MAX_SEGMENTS]; /* "{name}" for parameters */
	int literals;                       /* literal segment count: more is more specific */
	size_t body_limit;                  /* 0 = the server's default */
} http_route_def;

typedef enum { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_NO_METHOD } route_result;

/* Match method+path; fills params into req (arena). *allowed gets the
 * methods of the path when ROUTE_NO_METHOD ("GET, POST"). */
route_result http_router_match(http_req *req, const http_route_def **out, char *allowed,
                               size_t allowed_cap);
int http_route_index(const http_route_def *r); /* -1 for none */
int http_route_count(void);
const http_route_def *http_route_at(int i);

/* metrics */
void http_metrics_record(int route_index, int status, double ms);

/* sse.c */
struct MHD_Response;
struct MHD_Response *http_sse_response(http_sse *c);
void http_sse_start_ticker(void);
void http_sse_stop(void);
/* sse_bus.c: stream the bus's events (once, at start) */
void http_sse_bus_attach(void);

/* static files: fills res (body) or returns -1 with *e (404) */
int http_static_serve(const char *web_dir, const char *path, http_res *res, yj_err *e);

#endif
