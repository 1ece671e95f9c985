/*
 * warn_check.c — what a warning's members must be, and who may see and act
 * on a warning.
 *
 * One rule for targets: everything a warning points at lies inside its
 * jurisdiction (the author's area, warning.area_code): the target areas by
 * code, the polygons by geometry (warn_geo.c) and the alarms it was made
 * from. A target outside is refused (403 naming it); an alarm outside
 * reads as no alarm at all, as it would for a reader.
 *
 * Reading is wider than acting: a warning is visible to its jurisdiction,
 * to the users of any target area, and to those inside a target area (a
 * city warning for the whole city reaches every county); only users whose
 * jurisdiction holds the warning's may act on it.
 *
 * Syntax (types of JSON members) is the handler's (request kit); this file
 * checks values, so the CAP import and the alarm path meet the same rules.
 */
#include <stdio.h>
#include <string.h>

#include "geo/geo.h"
#include "warning/warn_int.h"

static bool in_set(const char *const *set, const char *v)
{
	for (int i = 0; v && set[i]; i++)
		if (strcmp(set[i], v) == 0)
			return true;
	return false;
}

static int check_text(const char *key, const char *v, size_t max, bool nonempty, yj_err *e)
{
	if (!v)
		return 0;
	size_t n = strlen(v);
	if (n > max)
		return yj_fail(e, YJ_EINVAL, key, "field '%s': at most %zu bytes (got %zu)", key, max, n);
	if (nonempty && strspn(v, " \t\r\n") == n)
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must not be empty", key);
	return 0;
}

static int check_areas(const auth_scope *jsc, json_t *areas, yj_err *e)
{
	if (json_array_size(areas) > 1000)
		return yj_fail(e, YJ_EINVAL, "areas", "field 'areas': at most 1000 area codes");
	size_t i;
	json_t *a;
	json_array_foreach(areas, i, a) {
		const char *code = json_string_value(a);
		if (!code)
			return yj_fail(e, YJ_EINVAL, "areas", "areas[%zu] must be an area code", i);
		if (!geo_area_find(code))
			return yj_fail(e, YJ_EINVAL, "areas", "areas[%zu]: no area %.16s", i, code);
		if (!auth_scope_contains(jsc, code))
			return yj_fail(e, YJ_EFORBIDDEN, "areas", "areas[%zu]: %s (%s) is outside the warning's jurisdiction %s (%s)",
			               i, geo_area_name(code), code, geo_area_name(jsc->code), jsc->code);
	}
	return 0;
}

/* alarms (the rules' table, same module) the warning was made from: each in the jurisdiction */
static int check_alarms(store *s, const auth_scope *jsc, json_t *alarms, yj_err *e)
{
	if (json_array_size(alarms) > 1000)
		return yj_fail(e, YJ_EINVAL, "alarm_ids", "field 'alarm_ids': at most 1000 alarm ids");
	size_t i;
	json_t *a;
	json_array_foreach(alarms, i, a) {
		bool ok = false;
		if (json_is_integer(a) && json_integer_value(a) > 0) {
			json_t *alarm = warn_alarm_json(s, json_integer_value(a));
			ok = alarm && auth_scope_contains(jsc, json_string_value(json_object_get(alarm, "area_code")));
			json_decref(alarm);
		}
		if (!ok)
			return yj_fail(e, YJ_EINVAL, "alarm_ids", "alarm_ids[%zu]: no such alarm", i);
	}
	return 0;
}

int warn_check_fields(store *s, const char *area_code, const warn_fields *f, bool partial, yj_err *e)
{
	auth_scope jsc;
	if (auth_scope_of_area(area_code, "area_code", &jsc, e))
		return -1;
	if (!partial) {
		static const char *const need[] = {"type", "level", "headline", "expires"};
		const bool have[] = {f->type != NULL, f->level != NULL, f->headline != NULL, f->set_expires};
		for (size_t i = 0; i < YJ_ARRAY_LEN(need); i++)
			if (!have[i])
				return yj_fail(e, YJ_EINVAL, need[i], "field '%s' is required", need[i]);
		if (json_array_size(f->areas) == 0 && json_array_size(f->polygons) == 0)
			return yj_fail(e, YJ_EINVAL, "areas", "a warning needs target areas (codes) or polygons");
	}
	if (f->type && !in_set(warn_types, f->type))
		return yj_fail(e, YJ_EINVAL, "type", "field 'type' must be one of typhoon, rainstorm, flood, geological, "
		                                     "forest_fire, high_temperature, hazmat, other");
	if (f->level && !in_set(warn_levels, f->level))
		return yj_fail(e, YJ_EINVAL, "level", "field 'level' must be blue, yellow, orange or red (IV..I)");
	if (check_text("headline", f->headline, 300, true, e) || check_text("description", f->description, 8000, false, e) ||
	    check_text("instruction", f->instruction, 4000, false, e))
		return -1;
	if (f->areas && check_areas(&jsc, f->areas, e))
		return -1;
	if (f->polygons && json_array_size(f->polygons) > 100)
		return yj_fail(e, YJ_EINVAL, "polygons", "field 'polygons': at most 100 polygons");
	if (f->polygons && warn_geo_check(s, area_code, f->polygons, e))
		return -1;
	if (f->alarm_ids && check_alarms(s, &jsc, f->alarm_ids, e))
		return -1;
	return 0;
}

bool warn_visible(const char *area_code, json_t *areas, const auth_user *u)
{
	auth_scope sc;
	if (!u || auth_scope_for(u, NULL, "area", &sc, NULL))
		return false;
	if (auth_scope_contains(&sc, area_code))
		return true;
	size_t i;
	json_t *a;
	json_array_foreach(areas, i, a) {
		const char *code = json_string_value(a);
		auth_scope target;
		/* a target in my area, or my area in a target */
		if (auth_scope_contains(&sc, code) ||
		    (auth_scope_of_area(code, "areas", &target, NULL) == 0 && auth_scope_contains(&target, u->area_code)))
			return true;
	}
	return false;
}

bool warn_row_visible(const warn_row *w, const auth_user *u)
{
	return warn_visible(w->area_code, w->areas, u);
}

bool warn_row_writable(const warn_row *w, const auth_user *u)
{
	auth_scope sc;
	return u && auth_scope_for(u, NULL, "area", &sc, NULL) == 0 && auth_scope_contains(&sc, w->area_code);
}
