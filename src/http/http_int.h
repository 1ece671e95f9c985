/*
 * http_int.h — what the files of src/http/ share with each other and with
 * nobody else: the route table, metrics recording and static files.
 */
#ifndef YJ_HTTP_INT_H
#define YJ_HTTP_INT_H

#include <arpa/inet.h>
#include <microhttpd.h>

#include "http/http.h"

#define HTTP_MAX_ROUTES 256
/* each connection's memory pool in libmicrohttpd (request line, headers, answer headers) */
#define HTTP_CONNECTION_MEMORY 32768
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
	unsigned flags;                     /* HTTP_ROUTE_* */
	const char *summary, *query, *body; /* http_route_doc */
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

/* ---- one request, from its headers to its answer (server.c, gate.c, reply.c) ---------------- */

struct http_deferred {
	store_job_fn job;
	void *ctx;
	http_after_fn after;
};

typedef struct conn_ctx {
	http_req req;
	strbuf body;
	bool responded;
	double start_ms;
	int status;
	int route_index;
	const http_route_def *route;
	size_t body_limit;
	size_t body_reserved; /* bytes of the in-flight body budget this request holds */
	bool heavy;           /* holds one of the heavy routes' slots */
	bool refused;         /* answered at the gate; the body is read and dropped, then early goes out */
	bool lingering;       /* early was written at once: drop what arrives, then close */
	size_t lingered;
	http_res early;
	auth_user user;
	char client_ip[INET6_ADDRSTRLEN];
	/* Idempotency-Key: the request's own transaction is open (idem.c) */
	const char *idem_key;
	unsigned char idem_hash[32];
	/* http_defer_group: the parked answer, and the job's result once committed */
	bool deferred;
	bool answering; /* counted in deferred_answering until completed */
	struct http_deferred defer;
	http_res res;
	int job_rc;
	yj_err job_err;
} conn_ctx;

/* gate.c: everything decided on the headers, before a byte of the body is read */
void http_gate_configure(const http_config *cfg);
/*
 * Sizes, route, user, role, jurisdiction of a path area, body length and
 * the server's budgets. 0: go on (read the body, run the handler). 1:
 * refused, res holds the answer; *drain says whether the (small) body is
 * read and dropped before it goes out (so a client still sending gets the
 * answer, not a reset), or it goes out at once.
 */
int http_gate(conn_ctx *c, http_res *res, bool *drain);
/* the request ended: give back its body budget and heavy slot */
void http_gate_release(conn_ctx *c);
/* MHD_OPTION_NOTIFY_CONNECTION: count open connections per client address */
void http_gate_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe);
/* for /metrics: body bytes held, heavy requests running */
int64_t http_gate_bodies(void);
int64_t http_gate_heavy(void);
/* stopping: the gate answers 503 with Retry-After and Connection: close */
void http_gate_stopping(bool stopping);

/* idem.c: Idempotency-Key. begin: 0 go on (maybe in the request's transaction), 1 res holds the
 * stored answer, -1 *e; end: record a successful answer with the handler's writes (rc as given, or
 * -1 when recording failed); abandon: the request's transaction goes */
int http_idem_begin(conn_ctx *c, http_res *res, yj_err *e);
int http_idem_end(conn_ctx *c, http_res *res, int rc, yj_err *e);
void http_idem_abandon(conn_ctx *c);
void http_idem_start(void);
/* idem_db.c: table `idempotency` (the HTTP layer's) */
typedef struct http_idem_record {
	unsigned char hash[32];
	size_t hash_len;
	int status;
	char content_type[96];
	char *body; /* malloc'ed by get */
	size_t body_len;
} http_idem_record;
int http_idem_db_get(store *s, int64_t user_id, const char *key, http_idem_record *out, yj_err *e);
int http_idem_db_put(store *s, int64_t user_id, const char *key, const http_idem_record *r, int64_t now_ms, yj_err *e);
int http_idem_db_expire(store *s, int64_t before_ms, yj_err *e);

/* reply.c: answers */
bool http_is_api_path(const char *p);
/* res becomes the error answer of e (whatever it held before); never fails */
void http_error_json(http_req *req, http_res *res, const yj_err *e);
enum MHD_Result http_queue(conn_ctx *c, struct MHD_Connection *conn, http_res *res);
/* whether the client has shut its sending side (a half-closed socket: it still reads) */
bool http_peer_half_closed(struct MHD_Connection *conn);
/* write the answer to the socket ourselves and mark the request answered (for a parked
 * connection whose client half-closed: libmicrohttpd would read its end as an abort) */
void http_send_direct(conn_ctx *c, struct MHD_Connection *conn, http_res *res);
/* free what an answer that never went out holds */
void http_res_free(http_res *res);

/* gzip.c: compressed answers */
#define HTTP_GZIP_MIN 1400 /* smaller answers fit one packet: compressing them gains nothing */
bool http_accepts_gzip(const http_req *req);
bool http_compressible(const char *content_type, size_t len);
/* gzip of in at level (1 fast .. 9 small), malloc'ed; NULL on failure */
char *http_gzip(const char *in, size_t len, int level, size_t *out_len);

/* static files: fills res (body) or returns -1 with *e (404) */
int http_static_serve(const char *web_dir, http_req *req, http_res *res, yj_err *e);

#endif
