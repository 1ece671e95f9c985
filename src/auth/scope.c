/*
 * scope.c — jurisdiction: which areas a user may see and act in.
 *
 * Every list, read and write is scoped by auth_scope_for, here and only
 * here. A scope is made only from an area the directory knows (src/geo),
 * so a malformed or unknown code is an error, never an empty prefix that
 * matches every row.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "geo/geo.h"

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return s[n] == 0;
}

void auth_area_prefix(const char *code, char out[16])
{
	out[0] = 0;
	if (!code)
		return;
	size_t n = strlen(code);
	if ((n != 6 && n != 9 && n != 12) || !all_digits(code, n))
		return;
	size_t keep = n;
	if (n == 6) {
		if (strcmp(code + 2, "0000") == 0)
			keep = 2; /* province */
		else if (strcmp(code + 4, "00") == 0)
			keep = 4; /* prefecture-level city */
	}
	memcpy(out, code, keep);
	out[keep] = 0;
}

/* the scope of a code known to be well formed and known */
static void make_scope(const char *code, auth_scope *out)
{
	snprintf(out->code, sizeof out->code, "%s", code);
	auth_area_prefix(code, out->lo);
	size_t n = strlen(out->lo);
	memcpy(out->hi, out->lo, n + 1);
	out->hi[n - 1]++; /* "4415" -> "4416"; '9' + 1 is ':', which sorts after every digit */
}

static int check_known(const char *code, const char *field, yj_err *e)
{
	char prefix[16];
	if (!code || !*code)
		return yj_fail(e, YJ_EINVAL, field, "field '%s': an area code is required", field);
	auth_area_prefix(code, prefix);
	if (!prefix[0])
		return yj_fail(e, YJ_EINVAL, field, "field '%s': '%.20s' is not an area code (6, 9 or 12 digits)", field,
		               code);
	if (!geo_area_find(code))
		return yj_fail(e, YJ_EINVAL, field, "field '%s': there is no area %s", field, code);
	return 0;
}

int auth_scope_of_area(const char *code, const char *field, auth_scope *out, yj_err *e)
{
	if (check_known(code, field, e))
		return -1;
	make_scope(code, out);
	return 0;
}

bool auth_scope_contains(const auth_scope *sc, const char *area_code)
{
	return sc && area_code && sc->lo[0] && strcmp(area_code, sc->lo) >= 0 && strcmp(area_code, sc->hi) < 0;
}

int auth_scope_for(const auth_user *u, const char *area, const char *field, auth_scope *out, yj_err *e)
{
	if (!u)
		return yj_fail(e, YJ_EUNAUTH, "", "sign in first");
	auth_scope own;
	yj_err ignore;
	if (auth_scope_of_area(u->area_code, "area", &own, &ignore))
		return yj_fail(e, YJ_EFORBIDDEN, field, "your account's area %.16s is not a known area; ask an administrator",
		               u->area_code);
	if (!area || !*area) {
		*out = own;
		return 0;
	}
	if (check_known(area, field, e))
		return -1;
	if (!auth_scope_contains(&own, area))
		return yj_fail(e, YJ_EFORBIDDEN, field, "area %s is outside your jurisdiction (%s)", area, u->area_code);
	make_scope(area, out);
	return 0;
}

bool auth_area_visible(const auth_user *u, const char *area_code)
{
	auth_scope sc;
	return u && auth_scope_for(u, area_code, "area", &sc, NULL) == 0 && area_code && *area_code;
}

int auth_require_area(const auth_user *u, const char *area_code, const char *field, yj_err *e)
{
	auth_scope sc;
	if (!area_code || !*area_code)
		return yj_fail(e, YJ_EINVAL, field, "field '%s': an area code is required", field);
	return auth_scope_for(u, area_code, field, &sc, e);
}
