/*
 * json_fields.c — the members of a request's JSON object, checked one by
 * one with errors that name the field: the one copy of what handlers and
 * services used to write for themselves.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* the member, or NULL when absent or null (an error when required) */
static json_t *member(json_t *obj, const char *key, unsigned flags, int *rc, yj_err *e)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (!v || json_is_null(v)) {
		*rc = (flags & YJ_REQUIRED) ? yj_fail(e, YJ_EINVAL, key, "field '%s' is required", key) : 0;
		return NULL;
	}
	return v;
}

int yj_json_text(json_t *obj, const char *key, unsigned flags, size_t max_bytes, const char **out, yj_err *e)
{
	int rc;
	json_t *v = member(obj, key, flags, &rc, e);
	if (!v)
		return rc;
	if (!json_is_string(v))
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must be text", key);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (strlen(s) != n)
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must not contain NUL characters", key);
	if (n > max_bytes)
		return yj_fail(e, YJ_EINVAL, key, "field '%s': at most %zu bytes (got %zu)", key, max_bytes, n);
	if (flags & YJ_NONEMPTY) {
		size_t i = 0;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i == n)
			return yj_fail(e, YJ_EINVAL, key, "field '%s' must not be empty", key);
	}
	*out = s;
	return 1;
}

int yj_json_int(json_t *obj, const char *key, unsigned flags, int64_t lo, int64_t hi, int64_t *out, yj_err *e)
{
	int rc;
	json_t *v = member(obj, key, flags, &rc, e);
	if (!v)
		return rc;
	if (!json_is_integer(v))
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must be a whole number", key);
	json_int_t x = json_integer_value(v);
	if (x < lo || x > hi)
		return yj_fail(e, YJ_EINVAL, key, "field '%s': %lld is outside %lld..%lld", key, (long long)x, (long long)lo,
		               (long long)hi);
	*out = x;
	return 1;
}

int yj_json_double(json_t *obj, const char *key, unsigned flags, double lo, double hi, double *out, yj_err *e)
{
	int rc;
	json_t *v = member(obj, key, flags, &rc, e);
	if (!v)
		return rc;
	if (!json_is_number(v))
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must be a number", key);
	double x = json_number_value(v);
	if (!isfinite(x) || x < lo || x > hi)
		return yj_fail(e, YJ_EINVAL, key, "field '%s': %g is outside %g..%g", key, x, lo, hi);
	*out = x;
	return 1;
}

int yj_json_bool(json_t *obj, const char *key, unsigned flags, bool *out, yj_err *e)
{
	int rc;
	json_t *v = member(obj, key, flags, &rc, e);
	if (!v)
		return rc;
	if (!json_is_boolean(v))
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must be true or false", key);
	*out = json_is_true(v);
	return 1;
}

int yj_json_time(json_t *obj, const char *key, unsigned flags, int64_t *ms, yj_err *e)
{
	int rc;
	json_t *v = member(obj, key, flags, &rc, e);
	if (!v)
		return rc;
	if (!json_is_string(v))
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must be a time like 2022-05-14T09:30:00+08:00", key);
	return yj_time_parse(json_string_value(v), ms, key, e) ? -1 : 1;
}

int yj_json_enum(json_t *obj, const char *key, unsigned flags, const char *const *values, int *out, yj_err *e)
{
	int rc;
	json_t *v = member(obj, key, flags, &rc, e);
	if (!v)
		return rc;
	const char *s = json_string_value(v);
	for (int i = 0; s && values[i]; i++)
		if (strcmp(values[i], s) == 0) {
			*out = i;
			return 1;
		}
	char list[240] = "";
	for (int i = 0; values[i]; i++) {
		size_t n = strlen(list);
		snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", values[i]);
	}
	return yj_fail(e, YJ_EINVAL, key, "field '%s' must be one of %s", key, list);
}

int yj_json_array(json_t *obj, const char *key, unsigned flags, size_t max, json_t **out, yj_err *e)
{
	int rc;
	json_t *v = member(obj, key, flags, &rc, e);
	if (!v)
		return rc;
	if (!json_is_array(v))
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must be a list", key);
	if (json_array_size(v) > max)
		return yj_fail(e, YJ_EINVAL, key, "field '%s': at most %zu items", key, max);
	*out = v;
	return 1;
}

int yj_json_id(json_t *obj, const char *key, unsigned flags, int64_t *out, yj_err *e)
{
	int rc;
	json_t *v = member(obj, key, flags, &rc, e);
	if (!v)
		return rc;
	long long x = 0;
	if (json_is_integer(v)) {
		x = json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		errno = 0;
		x = isdigit((unsigned char)*s) ? strtoll(s, &end, 10) : 0;
		if (!isdigit((unsigned char)*s) || *end || errno)
			x = 0;
	}
	if (x < 1 || x > 9007199254740991LL)
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must be an id (a positive whole number)", key);
	*out = x;
	return 1;
}
