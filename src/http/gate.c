/*
 * gate.c — what is decided on a request's headers, before a byte of its
 * body is read or any handler runs.
 *
 * In order: the server is not stopping; the request line and headers are
 * within our limits (414, 431: checked here, well inside the connection's
 * memory, so that any request we accept leaves room for its answer — a
 * request whose answer cannot be sent must not run; one that does not fit
 * the connection's memory at all is answered by the library, or closed,
 * never run); the client address
 * has not too many connections open (503); the route exists and takes
 * the method (404, 405); the user is signed in, has a role the route
 * allows and, for a route with an area in its path, that area is known
 * and in the user's jurisdiction (401, 403, 404); the body has a declared
 * length (411: chunked bodies are refused, so the HTTP library never
 * meets a chunk line it cannot hold) within the route's limit (413) and
 * within the memory the server lets all bodies in flight take together
 * (503); a heavy route (imports, telemetry, evidence) has a free slot
 * (503), so that such work can never occupy every worker and /healthz
 * and /metrics always find one.
 *
 * A refusal with a large body pending is written at once and the sending
 * side closed (nothing of the body is kept: an unauthenticated 50 MB
 * upload costs nothing); what the client still sends is read and dropped
 * for a little while so that it sees the answer, not a reset (a lingering
 * close, as nginx does), then the connection is closed. A small body, or
 * an authenticated one moderately over its route's limit, is read to its
 * end and dropped, and the answer goes out the usual way.
 */
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "http/http_int.h"

/* With these, a request the gate lets through uses at most about 26 KiB of the connection's 32 KiB
 * (the library keeps each header and parameter in a record of its own): its answer always fits.
 * The library clears that memory for every request, so it is no bigger than it must be. */
#define MAX_URL 8192          /* path and query string */
#define MAX_PARAMS 128        /* query parameters */
#define MAX_HEADER_BYTES 8192 /* all request headers */
#define DRAIN_REFUSED 65536   /* a refused body up to this is read and dropped first */
#define DRAIN_TOO_BIG (64u << 20) /* an oversized body up to this is read and dropped first */

static size_t body_memory = 512u << 20;
static unsigned client_conns = 4096;
static int max_heavy = 6;
static size_t default_body_limit = 1u << 20;
static _Atomic size_t bodies_in_flight;
static _Atomic int heavy_running;
static _Atomic bool gate_stopping;

void http_gate_configure(const http_config *cfg)
{
	body_memory = cfg->body_memory ? cfg->body_memory : 512u << 20;
	client_conns = cfg->client_conns ? cfg->client_conns : 4096;
	default_body_limit = cfg->body_limit ? cfg->body_limit : 1u << 20;
	max_heavy = cfg->threads > 3 ? (int)cfg->threads - 2 : 1;
}

void http_gate_stopping(bool stopping)
{
	gate_stopping = stopping;
}

/* ---- connections per client address -------------------------------------------------------- */

static pthread_mutex_t clients_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *clients; /* address text -> open connections */

static void address_text(struct MHD_Connection *conn, char out[INET6_ADDRSTRLEN])
{
	snprintf(out, INET6_ADDRSTRLEN, "-");
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, INET6_ADDRSTRLEN);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, INET6_ADDRSTRLEN);
}

void http_gate_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	pthread_mutex_lock(&clients_lock);
	if (!clients)
		clients = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		char addr[INET6_ADDRSTRLEN];
		address_text(connection, addr);
		gpointer key, val;
		if (g_hash_table_lookup_extended(clients, addr, &key, &val)) {
			g_hash_table_insert(clients, yj_strdup(addr), GUINT_TO_POINTER(GPOINTER_TO_UINT(val) + 1));
			*socket_context = g_hash_table_lookup_extended(clients, addr, &key, &val) ? key : NULL;
		} else {
			char *k = yj_strdup(addr);
			g_hash_table_insert(clients, k, GUINT_TO_POINTER(1));
			*socket_context = k;
		}
	} else if (*socket_context) {
		const char *addr = *socket_context;
		unsigned n = GPOINTER_TO_UINT(g_hash_table_lookup(clients, addr));
		if (n <= 1)
			g_hash_table_remove(clients, addr); /* frees the key *socket_context pointed at */
		else
			g_hash_table_insert(clients, yj_strdup(addr), GUINT_TO_POINTER(n - 1));
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&clients_lock);
}

static unsigned client_connections(const char *addr)
{
	pthread_mutex_lock(&clients_lock);
	unsigned n = clients ? GPOINTER_TO_UINT(g_hash_table_lookup(clients, addr)) : 0;
	pthread_mutex_unlock(&clients_lock);
	return n;
}

/* ---- sizes ------------------------------------------------------------------------------------------ */

typedef struct sizes {
	size_t bytes;
	int count;
} sizes;

static enum MHD_Result add_size(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	sizes *z = cls;
	z->bytes += (key ? strlen(key) : 0) + (value ? strlen(value) : 0) + 4;
	z->count++;
	return MHD_YES;
}

/* ---- the gate ---------------------------------------------------------------------------------------- */

static const char *find_token(struct MHD_Connection *conn)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
		return auth + 7;
	return MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "yj_session");
}

static int refuse(conn_ctx *c, http_res *res, const yj_err *e)
{
	http_error_json(&c->req, res, e);
	return 1;
}

/* the declared body: 0 none; -1 when it has no length we accept (chunked) */
static int64_t declared_length(struct MHD_Connection *conn)
{
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
	if (te && *te)
		return -1;
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	return cl ? (int64_t)strtoull(cl, NULL, 10) : 0;
}

static int check_access(conn_ctx *c, yj_err *e)
{
	http_req *req = &c->req;
	const http_route_def *route = c->route;
	if (route->roles == HTTP_PUBLIC)
		return 0;
	if (!req->user)
		return yj_fail(e, YJ_EUNAUTH, "", "sign in first (POST /api/v1/auth/login)");
	if (!(route->roles & ROLE_BIT(req->user->role)))
		return yj_fail(e, YJ_EFORBIDDEN, "", "role %s may not do this", auth_role_name(req->user->role));
	if (route->area_param) {
		const char *code = http_param(req, route->area_param);
		char prefix[16];
		auth_area_prefix(code, prefix);
		if (prefix[0] && !geo_area_find(code))
			return yj_fail(e, YJ_ENOTFOUND, route->area_param, "there is no area %s", code);
		if (auth_require_area(req->user, code, route->area_param, e))
			return -1;
	}
	return 0;
}

int http_gate(conn_ctx *c, http_res *res, bool *drain)
{
	http_req *req = &c->req;
	struct MHD_Connection *conn = req->conn;
	yj_err e = {0};
	int64_t length = declared_length(conn);
	/* a refused small body is read and dropped first; a large one is not read at all */
	*drain = length > 0 && length <= DRAIN_REFUSED;

	if (gate_stopping) {
		yj_fail(&e, YJ_EUNAVAILABLE, "", "the server is stopping; try again shortly");
		refuse(c, res, &e);
		http_add_header(req, res, "Connection", "close");
		http_add_header(req, res, "Retry-After", "2");
		return 1;
	}
	sizes q = {0}, h = {0};
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_size, &q);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_size, &h);
	if (strlen(req->path) + q.bytes > MAX_URL || q.count > MAX_PARAMS) {
		yj_fail(&e, YJ_EURITOOLONG, "",
		        "the request line is too long: at most %d bytes of path and query and %d query parameters",
		        MAX_URL, MAX_PARAMS);
		return refuse(c, res, &e);
	}
	if (h.bytes > MAX_HEADER_BYTES) {
		yj_fail(&e, YJ_EHEADERS, "", "the request headers are too large: at most %d bytes", MAX_HEADER_BYTES);
		return refuse(c, res, &e);
	}
	if (client_connections(c->client_ip) > client_conns) {
		yj_fail(&e, YJ_EUNAVAILABLE, "", "too many connections from %s; close some and try again", c->client_ip);
		refuse(c, res, &e);
		http_add_header(req, res, "Connection", "close");
		http_add_header(req, res, "Retry-After", "5");
		return 1;
	}

	store *s = store_thread();
	const char *token = find_token(conn);
	if (token && s && auth_session_resolve(s, token, &c->user, NULL) == 0) {
		req->user = &c->user;
		req->token = token;
	}

	if (!http_is_api_path(req->path)) {
		if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
			yj_fail(&e, YJ_EMETHOD, "", "only GET and HEAD are allowed here");
			refuse(c, res, &e);
			http_add_header(req, res, "Allow", "GET, HEAD");
			return 1;
		}
		return 0;
	}
	char allowed[128];
	route_result rr = http_router_match(req, &c->route, allowed, sizeof allowed);
	if (rr == ROUTE_NO_PATH) {
		yj_fail(&e, YJ_ENOTFOUND, "", "no such endpoint: %s %.200s", req->method, req->path);
		return refuse(c, res, &e);
	}
	if (rr == ROUTE_NO_METHOD) {
		yj_fail(&e, YJ_EMETHOD, "", "%s is not allowed here; allowed: %s", req->method, allowed);
		refuse(c, res, &e);
		http_add_header(req, res, "Allow", allowed);
		return 1;
	}
	c->route_index = http_route_index(c->route);
	if (check_access(c, &e))
		return refuse(c, res, &e);

	c->body_limit = c->route->body_limit ? c->route->body_limit : default_body_limit;
	if (length < 0) {
		yj_fail(&e, YJ_ELENGTH, "body", "send the body with a Content-Length (chunked bodies are not accepted)");
		refuse(c, res, &e);
		*drain = false;
		return 1;
	}
	if ((uint64_t)length > c->body_limit) {
		yj_fail(&e, YJ_ETOOBIG, "body", "the request body is larger than the limit of %zu bytes", c->body_limit);
		/* a client waiting for "100 Continue" sends nothing more; others are read to the end */
		*drain = !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect") && (uint64_t)length <= DRAIN_TOO_BIG;
		return refuse(c, res, &e);
	}
	if (length > 0) {
		size_t before = atomic_fetch_add(&bodies_in_flight, (size_t)length);
		c->body_reserved = (size_t)length;
		if (before + (size_t)length > body_memory) {
			yj_fail(&e, YJ_EUNAVAILABLE, "body", "the server holds too many request bodies just now; try again");
			refuse(c, res, &e);
			http_add_header(req, res, "Retry-After", "2");
			*drain = false;
			return 1;
		}
	}
	if (c->route->body_limit) {
		c->heavy = true;
		if (atomic_fetch_add(&heavy_running, 1) >= max_heavy) {
			yj_fail(&e, YJ_EUNAVAILABLE, "", "the server is busy with other large requests; try again");
			refuse(c, res, &e);
			http_add_header(req, res, "Retry-After", "1");
			*drain = false;
			return 1;
		}
	}
	return 0;
}

void http_gate_release(conn_ctx *c)
{
	if (c->body_reserved) {
		atomic_fetch_sub(&bodies_in_flight, c->body_reserved);
		c->body_reserved = 0;
	}
	if (c->heavy) {
		atomic_fetch_sub(&heavy_running, 1);
		c->heavy = false;
	}
}

int64_t http_gate_bodies(void)
{
	return (int64_t)atomic_load(&bodies_in_flight);
}

int64_t http_gate_heavy(void)
{
	return atomic_load(&heavy_running);
}
