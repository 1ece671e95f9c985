/*
 * reply.c — answers: the error body that cannot fail, and turning an
 * http_res into a libmicrohttpd response with the headers every answer
 * carries.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "http/http_int.h"

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
	case YJ_ELENGTH: return 411;
	case YJ_ETOOBIG: return 413;
	case YJ_EURITOOLONG: return 414;
	case YJ_EUNPROCESSABLE: return 422;
	case YJ_ETHROTTLED: return 429;
	case YJ_EHEADERS: return 431;
	case YJ_EUNAVAILABLE: return 503;
	case YJ_EINTERNAL: return 500;
	}
	return 500;
}

bool http_is_api_path(const char *p)
{
	return strncmp(p, "/api/", 5) == 0 || strcmp(p, "/healthz") == 0 || strcmp(p, "/metrics") == 0;
}

/*
 * The error body of e, built by hand so that it cannot fail whatever the
 * message echoes: {"error":{"code":…,"message":…,"field":…,"reason":…}}
 * (field and reason only when set); the message in Chinese when zh and
 * e has Chinese words, in English otherwise. The message
 * and field are repaired to valid UTF-8 first (cut on a character
 * boundary, invalid bytes as U+FFFD). Never NULL, never empty.
 */
static char *error_body(const yj_err *e, bool zh, size_t *len)
{
	char message[sizeof e->message_zh], field[sizeof e->field];
	snprintf(message, sizeof message, "%s", e->message[0] ? yj_err_text(e, zh) : yj_code_name(e->code));
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
	if (e->reason[0]) {
		char reason[sizeof e->reason];
		snprintf(reason, sizeof reason, "%s", e->reason);
		yj_utf8_repair(reason, sizeof reason);
		strbuf_puts(&b, ",\"reason\":");
		yj_json_escape(&b, reason);
	}
	strbuf_puts(&b, "}}");
	return strbuf_take(&b, len);
}

void http_res_free(http_res *res)
{
	json_decref(res->json);
	res->json = NULL;
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
}

void http_error_json(http_req *req, http_res *res, const yj_err *e)
{
	http_res_free(res);
	res->status = http_status_for(e->code);
	bool zh = req && req->zh && e->message[0] && e->message_zh[0];
	res->body = error_body(e, zh, &res->body_len);
	res->content_type = "application/json";
	if (zh)
		http_add_header(req, res, "Content-Language", "zh-CN");
	if (e->code == YJ_EUNAUTH)
		http_add_header(req, res, "WWW-Authenticate", "Bearer realm=\"yingji\"");
	if (e->code == YJ_ETHROTTLED && e->retry_after > 0) {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", e->retry_after);
		http_add_header(req, res, "Retry-After", ra);
	}
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

/* the body of a non-stream answer, rendered (malloc'ed); *ctype its type */
static char *render_body(conn_ctx *c, http_res *res, size_t *len, const char **ctype)
{
	char *body = res->body;
	*len = res->body_len;
	*ctype = res->content_type;
	res->body = NULL;
	if (res->json) {
		free(body);
		body = json_dumps(res->json, JSON_COMPACT | JSON_REAL_PRECISION(12));
		*len = body ? strlen(body) : 0;
		*ctype = "application/json";
		json_decref(res->json);
		res->json = NULL;
		if (!body) {
			/* an answer that cannot be rendered is our fault: say so in JSON, never with nothing */
			yj_err e;
			yj_fail(&e, YJ_EINTERNAL, "", "the answer could not be rendered");
			yj_log(YJ_LOG_ERROR, "render_failed", "path=%.200s", c->req.path);
			res->status = 500;
			body = error_body(&e, c->req.zh, len);
		}
	}
	if (!body) {
		body = yj_strdup("");
		*len = 0;
	}
	return body;
}

bool http_peer_half_closed(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	char b;
	return recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

void http_send_direct(conn_ctx *c, struct MHD_Connection *conn, http_res *res)
{
	size_t len;
	const char *ctype;
	char *body = render_body(c, res, &len, &ctype);
	c->status = res->status ? res->status : 200;
	strbuf b;
	strbuf_init(&b);
	strbuf_printf(&b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nX-Request-Id: %s\r\n"
	              "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n",
	              c->status, MHD_get_reason_phrase_for((unsigned)c->status), ctype ? ctype : "application/json", len,
	              c->req.request_id);
	for (int i = 0; i < res->nheaders; i++)
		strbuf_printf(&b, "%s: %s\r\n", res->header_name[i], res->header_value[i]);
	strbuf_puts(&b, "\r\n");
	strbuf_append(&b, body, len);
	free(body);
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	size_t off = 0;
	/* bounded: a peer that stopped reading gets what fits within a second */
	for (int rounds = 0; ci && off < b.len && rounds < 100; rounds++) {
		ssize_t n = send(ci->connect_fd, b.data + off, b.len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			struct pollfd p = {.fd = ci->connect_fd, .events = POLLOUT};
			poll(&p, 1, 10);
		} else {
			break;
		}
	}
	strbuf_free(&b);
	c->responded = true;
}

enum MHD_Result http_queue(conn_ctx *c, struct MHD_Connection *conn, http_res *res)
{
	if (res->sse && !res->json)
		return queue_stream(c, conn, res);
	size_t len;
	const char *ctype;
	char *body = render_body(c, res, &len, &ctype);
	bool vary = false;
	if (!res->encoded && http_compressible(ctype, len)) {
		vary = true;
		size_t zlen;
		char *z = http_accepts_gzip(&c->req) ? http_gzip(body, len, 1, &zlen) : NULL;
		if (z && zlen < len) {
			free(body);
			body = z;
			len = zlen;
			http_add_header(&c->req, res, "Content-Encoding", "gzip");
		} else {
			free(z);
		}
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
	if (vary || res->encoded)
		MHD_add_response_header(r, "Vary", "Accept-Encoding");
	bool cache_set = false;
	for (int i = 0; i < res->nheaders; i++)
		cache_set |= strcasecmp(res->header_name[i], "Cache-Control") == 0;
	if (!cache_set)
		MHD_add_response_header(r, "Cache-Control", http_is_api_path(c->req.path) ? "no-store" : "no-cache");
	for (int i = 0; i < res->nheaders; i++)
		MHD_add_response_header(r, res->header_name[i], res->header_value[i]);
	c->status = res->status ? res->status : 200;
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)c->status, r);
	MHD_destroy_response(r);
	c->responded = true;
	return ret;
}
