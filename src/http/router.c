/*
 * router.c — the route table and path matching.
 *
 * Routes are few (hundreds) and registered once at start, so the table is a
 * plain array scanned in order; among matching routes the one with more
 * literal segments wins ("/areas/locate" beats "/areas/{code}"). Parameters
 * are copied into the request's arena, percent-decoded.
 */
#include <string.h>

#include "http/http_int.h"

static http_route_def routes[HTTP_MAX_ROUTES];
static int route_count;

static int split_path(char *p, const char **seg, int max)
{
	int n = 0;
	while (*p == '/')
		p++;
	while (*p) {
		if (n == max)
			return -1;
		seg[n++] = p;
		char *slash = strchr(p, '/');
		if (!slash)
			break;
		*slash = 0;
		p = slash + 1;
	}
	return n;
}

void http_route(const char *method, const char *pattern, http_handler h, unsigned roles,
                const char *area_param)
{
	if (route_count == HTTP_MAX_ROUTES) {
		yj_log(YJ_LOG_ERROR, "route_table_full", "pattern=%s", pattern);
		return;
	}
	http_route_def *r = &routes[route_count++];
	r->method = method;
	r->pattern = pattern;
	r->handler = h;
	r->roles = roles;
	r->area_param = area_param;
	char *copy = yj_strdup(pattern); /* lives as long as the process: the route table */
	r->nseg = split_path(copy, r->seg, HTTP_MAX_SEGMENTS);
	for (int i = 0; i < r->nseg; i++)
		if (r->seg[i][0] != '{')
			r->literals++;
}

void http_route_body_limit(size_t bytes)
{
	if (route_count > 0)
		routes[route_count - 1].body_limit = bytes;
}

void http_route_doc(const char *summary, const char *query, const char *body)
{
	if (route_count == 0)
		return;
	routes[route_count - 1].summary = summary;
	routes[route_count - 1].query = query;
	routes[route_count - 1].body = body;
}

void http_route_flags(unsigned flags)
{
	if (route_count > 0)
		routes[route_count - 1].flags |= flags;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* percent-decode into the arena; NULL when malformed or decoding to NUL or '/' */
static char *decode_segment(arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out = arena_alloc(a, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n)
				return NULL;
			int hi = hexval(s[i + 1]), lo = hi < 0 ? -1 : hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			char c = (char)(hi * 16 + lo);
			if (c == 0 || c == '/')
				return NULL;
			*o++ = c;
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = 0;
	return out;
}

route_result http_router_match(http_req *req, const http_route_def **out, char *allowed,
                               size_t allowed_cap)
{
	char *copy = arena_strdup(req->a, req->path);
	const char *seg[HTTP_MAX_SEGMENTS];
	int nseg = split_path(copy, seg, HTTP_MAX_SEGMENTS);
	*out = NULL;
	if (allowed_cap)
		allowed[0] = 0;
	if (nseg < 0)
		return ROUTE_NO_PATH;
	const http_route_def *best = NULL;
	bool path_matched = false;
	for (int i = 0; i < route_count; i++) {
		const http_route_def *r = &routes[i];
		if (r->nseg != nseg)
			continue;
		bool ok = true;
		for (int k = 0; k < nseg && ok; k++)
			ok = r->seg[k][0] == '{' || strcmp(r->seg[k], seg[k]) == 0;
		if (!ok)
			continue;
		if (strcmp(r->method, req->method) != 0 &&
		    !(strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
			path_matched = true;
			size_t used = strlen(allowed);
			if (!strstr(allowed, r->method) && used + strlen(r->method) + 3 < allowed_cap)
				snprintf(allowed + used, allowed_cap - used, "%s%s", used ? ", " : "",
				         r->method);
			continue;
		}
		if (!best || r->literals > best->literals)
			best = r;
	}
	if (!best) {
		/* a path that answers GET answers HEAD as well (the same, without the body) */
		size_t used = strlen(allowed);
		if (path_matched && strstr(allowed, "GET") && used + 7 < allowed_cap)
			snprintf(allowed + used, allowed_cap - used, ", HEAD");
		return path_matched ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
	}
	req->nparams = 0;
	for (int k = 0; k < nseg; k++) {
		if (best->seg[k][0] != '{' || req->nparams == HTTP_MAX_PARAMS)
			continue;
		const char *name = best->seg[k] + 1;
		size_t nl = strlen(name);
		char *value = decode_segment(req->a, seg[k]);
		if (!value)
			return ROUTE_NO_PATH;
		req->param_name[req->nparams] = arena_strndup(req->a, name, nl ? nl - 1 : 0);
		req->param_value[req->nparams++] = value;
	}
	*out = best;
	return ROUTE_FOUND;
}

int http_route_index(const http_route_def *r)
{
	return r ? (int)(r - routes) : -1;
}

int http_route_count(void)
{
	return route_count;
}

const http_route_def *http_route_at(int i)
{
	return i >= 0 && i < route_count ? &routes[i] : NULL;
}

const char *http_param(const http_req *req, const char *name)
{
	for (int i = 0; i < req->nparams; i++)
		if (strcmp(req->param_name[i], name) == 0)
			return req->param_value[i];
	return NULL;
}
