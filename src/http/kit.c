/*
 * kit.c — the request kit: jurisdiction, ids, paging and query parameters,
 * parsed the same way for every route, with errors that name the parameter.
 * Handlers use these instead of parsing by hand.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

/* q of one Accept-Language entry's parameters (";q=0.5"): 1 when absent, -1 when unreadable */
static double lang_q(const char *p, const char *end)
{
	while (p < end) {
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			char num[8];
			size_t n = (size_t)(end - p - 2) < sizeof num - 1 ? (size_t)(end - p - 2) : sizeof num - 1;
			memcpy(num, p + 2, n);
			num[n] = '\0';
			char *stop;
			double q = strtod(num, &stop);
			return stop == num || q < 0 || q > 1 ? -1 : q;
		}
		while (p < end && *p != ';')
			p++;
	}
	return 1;
}

bool http_accepts_zh(const char *al)
{
	if (!al)
		return false;
	bool zh = false;
	double best = 0;
	for (const char *p = al; *p;) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *tag_end = p;
		while (tag_end < end && *tag_end != ';' && *tag_end != ' ' && *tag_end != '\t')
			tag_end++;
		double q = lang_q(tag_end, end);
		if (tag_end > p && q > best) { /* strictly greater: the first of equal preference wins */
			best = q;
			size_t n = (size_t)(tag_end - p);
			zh = n >= 2 && (p[0] == 'z' || p[0] == 'Z') && (p[1] == 'h' || p[1] == 'H') && (n == 2 || p[2] == '-');
		}
		p = *end ? end + 1 : end;
	}
	return zh;
}

const char *http_err_text(const http_req *req, const yj_err *e)
{
	return yj_err_text(e, req && req->zh);
}

int http_scope(const http_req *req, auth_scope *out, yj_err *e)
{
	return auth_scope_for(req->user, http_query(req, "area"), "area", out, e);
}

int http_scope_of(const http_req *req, const char *area, const char *field, auth_scope *out, yj_err *e)
{
	return auth_scope_for(req->user, area, field, out, e);
}

#define MAX_ID 9007199254740991LL /* 2^53 - 1: what a JSON number holds exactly */

int http_path_id(const http_req *req, const char *name, int64_t *out, yj_err *e)
{
	const char *s = http_param(req, name);
	char *end;
	if (!s || !*s || *s == '+' || *s == '-' || *s == ' ')
		return yj_fail(e, YJ_EINVAL, name, "'%s' must be a positive whole number", name);
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || errno || v < 1 || v > MAX_ID)
		return yj_fail(e, YJ_EINVAL, name, "'%s' must be a positive whole number, not '%.24s'", name, s);
	*out = v;
	return 0;
}

int http_query_long(const http_req *req, const char *name, long lo, long hi, long *out, yj_err *e)
{
	const char *s = http_query(req, name);
	if (!s)
		return 0;
	return yj_parse_long(s, lo, hi, out, name, e) ? -1 : 1;
}

int http_paging(const http_req *req, long def, long max, http_page *out, yj_err *e)
{
	out->limit = def;
	out->cursor = 0;
	if (http_query_long(req, "limit", 1, max, &out->limit, e) < 0)
		return -1;
	const char *c = http_query(req, "cursor");
	if (c && *c) {
		char *end;
		errno = 0;
		long long v = strtoll(c, &end, 10);
		if (*end || errno || v < 0 || v > MAX_ID)
			return yj_fail(e, YJ_EINVAL, "cursor", "'cursor' must be the next_cursor of the previous page, not '%.24s'",
			               c);
		out->cursor = v;
	}
	return 0;
}

json_t *http_page_json(json_t *items, int64_t next)
{
	return json_pack("{s:o, s:o}", "items", items, "next_cursor",
	                 next > 0 ? json_sprintf("%lld", (long long)next) : json_null());
}

int http_query_double(const http_req *req, const char *name, double lo, double hi, double *out, yj_err *e)
{
	const char *s = http_query(req, name);
	if (!s)
		return 0;
	return yj_parse_double(s, lo, hi, out, name, e) ? -1 : 1;
}

int http_query_bool(const http_req *req, const char *name, bool *out, yj_err *e)
{
	const char *s = http_query(req, name);
	if (!s)
		return 0;
	if (!strcmp(s, "1") || !strcmp(s, "true")) {
		*out = true;
		return 1;
	}
	if (!strcmp(s, "0") || !strcmp(s, "false")) {
		*out = false;
		return 1;
	}
	return yj_fail(e, YJ_EINVAL, name, "'%s' must be true or false (1 or 0)", name);
}

int http_query_time(const http_req *req, const char *name, int64_t *ms, yj_err *e)
{
	const char *s = http_query(req, name);
	if (!s)
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*s && !*end && !errno && v >= 0) {
		*ms = v;
		return 1;
	}
	return yj_time_parse(s, ms, name, e) ? -1 : 1;
}

int http_query_enum(const http_req *req, const char *name, const char *const *values, int *out, yj_err *e)
{
	const char *s = http_query(req, name);
	if (!s)
		return 0;
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], s) == 0) {
			*out = i;
			return 1;
		}
	char list[200] = "";
	for (int i = 0; values[i]; i++) {
		size_t n = strlen(list);
		snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", values[i]);
	}
	return yj_fail(e, YJ_EINVAL, name, "'%s' must be one of %s, not '%.32s'", name, list, s);
}

int http_query_bbox(const http_req *req, const char *name, double out[4], yj_err *e)
{
	const char *s = http_query(req, name);
	if (!s)
		return 0;
	double v[4];
	const char *p = s;
	for (int i = 0; i < 4; i++) {
		char *end;
		errno = 0;
		v[i] = strtod(p, &end);
		if (end == p || errno || !isfinite(v[i]) || (i < 3 && *end != ',') || (i == 3 && *end))
			return yj_fail(e, YJ_EINVAL, name, "'%s' must be minLon,minLat,maxLon,maxLat", name);
		p = end + 1;
	}
	if (v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 || v[0] > v[2] || v[1] > v[3])
		return yj_fail(e, YJ_EINVAL, name,
		               "'%s': longitudes in -180..180, latitudes in -90..90, each minimum below its maximum", name);
	memcpy(out, v, sizeof v);
	return 1;
}

int http_query_text(const http_req *req, const char *name, size_t max, const char **out, yj_err *e)
{
	const char *s = http_query(req, name);
	if (!s)
		return 0;
	size_t n = strlen(s);
	if (n > max)
		return yj_fail(e, YJ_EINVAL, name, "'%s': at most %zu bytes", name, max);
	if (!yj_utf8_valid(s, n))
		return yj_fail(e, YJ_EINVAL, name, "'%s' is not valid UTF-8 text", name);
	*out = s;
	return 1;
}
