/*
 * rules_compile.c — a monitoring rule's spec: checked member by member,
 * compiled into what the engine evaluates (a wrule, with prepared GEOS
 * geometries for fences), and the grid that finds the fences near a point.
 *
 * Three kinds of spec:
 *  - threshold: {metric, window_s, agg, op, value, clear_value?, device_kinds?}
 *  - geofence:  {device_kinds, polygon | area, trigger enter|exit, during_warning?, margin_m?}
 *  - offline:   {minutes, device_kinds?}
 *
 * Nothing here keeps state: the engine (rules_eval.c) owns the compiled
 * rules and their GEOS context; a check compiles in a context of its own.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "warning/rules_int.h"

#define GRID_CELL 0.05 /* degrees */

static const char *const warning_types[] = {"typhoon", "rainstorm", "flood", "geological", "forest_fire",
                                            "high_temperature", "hazmat", "other", NULL};

static bool one_of(const char *const *set, const char *v)
{
	for (int i = 0; v && set[i]; i++)
		if (strcmp(set[i], v) == 0)
			return true;
	return false;
}

/* ---- checking ------------------------------------------------------------------------------------ */

static int check_kinds(json_t *spec, bool required, yj_err *e)
{
	json_t *kinds = json_object_get(spec, "device_kinds");
	if (!kinds) {
		if (required)
			return yj_fail(e, YJ_EINVAL, "spec.device_kinds",
			               "field 'spec.device_kinds' is required (e.g. [\"fishing_vessel\"])");
		return 0;
	}
	if (!json_is_array(kinds) || json_array_size(kinds) > DEV_KIND_COUNT || (required && json_array_size(kinds) == 0))
		return yj_fail(e, YJ_EINVAL, "spec.device_kinds", "field 'spec.device_kinds' must be an array of device kinds");
	size_t i;
	json_t *k;
	json_array_foreach(kinds, i, k) {
		if (tel_kind_parse(json_string_value(k)) < 0)
			return yj_fail(e, YJ_EINVAL, "spec.device_kinds", "spec.device_kinds[%zu] is not a device kind", i);
	}
	return 0;
}

static int check_threshold(json_t *spec, yj_err *e)
{
	static const char *const keys[] = {"metric", "window_s", "agg", "op", "value", "clear_value", "device_kinds", NULL};
	if (yj_only_keys(spec, keys, e) || check_kinds(spec, false, e))
		return -1;
	const char *m = json_string_value(json_object_get(spec, "metric"));
	if (!m || !*m || strlen(m) > 23)
		return yj_fail(e, YJ_EINVAL, "spec.metric", "field 'spec.metric' is required (e.g. rain_mm)");
	json_t *w = json_object_get(spec, "window_s");
	if (!w)
		json_object_set_new(spec, "window_s", json_integer(3600));
	else if (!json_is_integer(w) || json_integer_value(w) < 1 || json_integer_value(w) > 7 * 86400)
		return yj_fail(e, YJ_EINVAL, "spec.window_s", "field 'spec.window_s' must be whole seconds in 1..604800");
	static const char *const aggs[] = {"sum", "max", "min", "avg", "last", "count", NULL};
	json_t *a = json_object_get(spec, "agg");
	if (!a)
		json_object_set_new(spec, "agg", json_string("last"));
	else if (!one_of(aggs, json_string_value(a)))
		return yj_fail(e, YJ_EINVAL, "spec.agg", "field 'spec.agg' must be sum, max, min, avg, last or count");
	static const char *const ops[] = {">=", ">", "<=", "<", NULL};
	const char *op = json_string_value(json_object_get(spec, "op"));
	if (!one_of(ops, op))
		return yj_fail(e, YJ_EINVAL, "spec.op", "field 'spec.op' must be >=, >, <= or <");
	json_t *v = json_object_get(spec, "value"), *cv = json_object_get(spec, "clear_value");
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return yj_fail(e, YJ_EINVAL, "spec.value", "field 'spec.value' must be a number");
	if (cv && (!json_is_number(cv) || !isfinite(json_number_value(cv))))
		return yj_fail(e, YJ_EINVAL, "spec.clear_value", "field 'spec.clear_value' must be a number");
	if (cv) {
		double value = json_number_value(v), c = json_number_value(cv);
		if ((op[0] == '>' && c > value) || (op[0] == '<' && c < value))
			return yj_fail(e, YJ_EINVAL, "spec.clear_value",
			               "spec.clear_value must lie on the safe side of spec.value (below it for >, above for <)");
	}
	return 0;
}

static int check_geofence(store *s, const auth_user *u, const char *area_code, json_t *spec, yj_err *e)
{
	static const char *const keys[] = {"device_kinds", "polygon", "area", "trigger", "during_warning", "margin_m", NULL};
	if (yj_only_keys(spec, keys, e) || check_kinds(spec, true, e))
		return -1;
	json_t *poly = json_object_get(spec, "polygon"), *area = json_object_get(spec, "area");
	if (!!poly == !!area)
		return yj_fail(e, YJ_EINVAL, "spec.polygon",
		               "give exactly one of spec.polygon (GeoJSON) and spec.area (area code)");
	if (area) {
		auth_scope sc;
		if (!json_is_string(area))
			return yj_fail(e, YJ_EINVAL, "spec.area", "field 'spec.area' must be an area code");
		/* an area chosen by the client leads to its boundary: it must be one the caller may see */
		if (u ? auth_scope_for(u, json_string_value(area), "spec.area", &sc, e)
		      : auth_scope_of_area(json_string_value(area), "spec.area", &sc, e))
			return -1;
	}
	if (poly) {
		char *txt = json_dumps(poly, JSON_COMPACT);
		size_t n = txt ? strlen(txt) : 0;
		free(txt);
		if (!json_is_object(poly) || n > 200000)
			return yj_fail(e, YJ_EINVAL, "spec.polygon",
			               "field 'spec.polygon' must be a GeoJSON Polygon or MultiPolygon (at most 200 KB)");
	}
	json_t *t = json_object_get(spec, "trigger");
	if (t && !one_of((const char *const[]){"enter", "exit", NULL}, json_string_value(t)))
		return yj_fail(e, YJ_EINVAL, "spec.trigger", "field 'spec.trigger' must be enter or exit");
	json_t *dw = json_object_get(spec, "during_warning");
	if (dw && !one_of(warning_types, json_string_value(dw)))
		return yj_fail(e, YJ_EINVAL, "spec.during_warning",
		               "field 'spec.during_warning' must be a warning type (typhoon, rainstorm, ...)");
	json_t *m = json_object_get(spec, "margin_m");
	if (m && (!json_is_number(m) || json_number_value(m) < 0 || json_number_value(m) > 5000))
		return yj_fail(e, YJ_EINVAL, "spec.margin_m", "field 'spec.margin_m' must be a number in 0..5000");
	/* compile it once, in a context of its own: the geometry must be usable */
	rule_row row = {.enabled = true, .spec = spec};
	snprintf(row.kind, sizeof row.kind, "geofence");
	snprintf(row.level, sizeof row.level, "red");
	snprintf(row.area_code, sizeof row.area_code, "%s", area_code);
	GEOSContextHandle_t g = GEOS_init_r();
	wrule r;
	int rc = rule_compile(g, s, &row, &r, e);
	if (rc == 0)
		rule_release(g, &r);
	GEOS_finish_r(g);
	return rc;
}

static int check_offline(json_t *spec, yj_err *e)
{
	static const char *const keys[] = {"minutes", "device_kinds", NULL};
	if (yj_only_keys(spec, keys, e) || check_kinds(spec, false, e))
		return -1;
	json_t *m = json_object_get(spec, "minutes");
	if (!json_is_integer(m) || json_integer_value(m) < 1 || json_integer_value(m) > 10080)
		return yj_fail(e, YJ_EINVAL, "spec.minutes", "field 'spec.minutes' must be whole minutes in 1..10080");
	return 0;
}

int rule_spec_check(store *s, const auth_user *u, const char *kind, const char *area_code, json_t *spec, yj_err *e)
{
	if (!json_is_object(spec))
		return yj_fail(e, YJ_EINVAL, "spec", "field 'spec' must be an object");
	if (kind && strcmp(kind, "threshold") == 0)
		return check_threshold(spec, e);
	if (kind && strcmp(kind, "geofence") == 0)
		return check_geofence(s, u, area_code, spec, e);
	if (kind && strcmp(kind, "offline") == 0)
		return check_offline(spec, e);
	return yj_fail(e, YJ_EINVAL, "kind", "field 'kind' must be threshold, geofence or offline");
}

/* ---- compiling --------------------------------------------------------------------------------- */

void rule_release(GEOSContextHandle_t g, wrule *r)
{
	if (r->pfence)
		GEOSPreparedGeom_destroy_r(g, r->pfence);
	if (r->pouter)
		GEOSPreparedGeom_destroy_r(g, r->pouter);
	if (r->fence)
		GEOSGeom_destroy_r(g, r->fence);
	if (r->outer)
		GEOSGeom_destroy_r(g, r->outer);
	r->pfence = r->pouter = NULL;
	r->fence = r->outer = NULL;
}

/* a fence's geometry: the spec's polygon, or an area's boundary (the area directory's) */
static int compile_fence(GEOSContextHandle_t g, store *s, wrule *r, json_t *spec, yj_err *e)
{
	char *geojson = NULL;
	json_t *poly = json_object_get(spec, "polygon");
	const char *area = json_string_value(json_object_get(spec, "area"));
	if (poly) {
		geojson = json_dumps(poly, JSON_COMPACT);
	} else if (area) {
		yj_err ge = {0};
		geojson = geo_area_geometry(s, area, &ge);
		if (!geojson)
			return ge.code ? yj_fail_from(e, ge.code, "spec.area", &ge)
			               : yj_fail(e, YJ_EINVAL, "spec.area", "area %.16s has no boundary to fence with", area);
	} else {
		return yj_fail(e, YJ_EINVAL, "spec", "a geofence needs spec.polygon or spec.area");
	}
	if (!geojson)
		return yj_fail(e, YJ_EINVAL, "spec.polygon", "spec.polygon is not a GeoJSON geometry");
	GEOSGeoJSONReader *rd = GEOSGeoJSONReader_create_r(g);
	r->fence = GEOSGeoJSONReader_readGeometry_r(g, rd, geojson);
	GEOSGeoJSONReader_destroy_r(g, rd);
	free(geojson);
	if (!r->fence)
		return yj_fail(e, YJ_EINVAL, "spec.polygon", "spec.polygon is not a GeoJSON geometry");
	int t = GEOSGeomTypeId_r(g, r->fence);
	if (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON)
		return yj_fail(e, YJ_EINVAL, "spec.polygon", "spec.polygon must be a Polygon or MultiPolygon");
	if (GEOSisValid_r(g, r->fence) != 1)
		return yj_fail(e, YJ_EINVAL, "spec.polygon", "spec.polygon is not a valid polygon (self-intersecting?)");
	double margin_deg = r->margin_m / 111320.0;
	r->outer = margin_deg > 0 ? GEOSBuffer_r(g, r->fence, margin_deg, 8) : GEOSGeom_clone_r(g, r->fence);
	if (!r->outer)
		return yj_fail(e, YJ_EINTERNAL, "spec", "cannot buffer the fence");
	r->pfence = GEOSPrepare_r(g, r->fence);
	r->pouter = GEOSPrepare_r(g, r->outer);
	if (!r->pfence || !r->pouter)
		return yj_fail(e, YJ_EINTERNAL, "spec", "cannot prepare the fence");
	GEOSGeom_getXMin_r(g, r->outer, &r->bb[0]);
	GEOSGeom_getYMin_r(g, r->outer, &r->bb[1]);
	GEOSGeom_getXMax_r(g, r->outer, &r->bb[2]);
	GEOSGeom_getYMax_r(g, r->outer, &r->bb[3]);
	return 0;
}

static agg_kind agg_parse(const char *agg)
{
	static const char *const names[] = {"sum", "max", "min", "avg", "last", "count"};
	for (int i = 0; agg && i < 6; i++)
		if (strcmp(agg, names[i]) == 0)
			return (agg_kind)i;
	return AGG_LAST;
}

static op_kind op_parse(const char *op)
{
	static const char *const names[] = {">=", ">", "<=", "<"};
	for (int i = 0; op && i < 4; i++)
		if (strcmp(op, names[i]) == 0)
			return (op_kind)i;
	return OP_GE;
}

int rule_compile(GEOSContextHandle_t g, store *s, const rule_row *row, wrule *r, yj_err *e)
{
	memset(r, 0, sizeof *r);
	json_t *spec = row->spec;
	if (!json_is_object(spec))
		return yj_fail(e, YJ_EINVAL, "spec", "the rule's spec is not an object");
	r->id = row->id;
	snprintf(r->name, sizeof r->name, "%s", row->name);
	r->kind = strcmp(row->kind, "threshold") == 0  ? RK_THRESHOLD
	          : strcmp(row->kind, "geofence") == 0 ? RK_GEOFENCE
	                                               : RK_OFFLINE;
	snprintf(r->level, sizeof r->level, "%s", row->level);
	snprintf(r->area_code, sizeof r->area_code, "%s", row->area_code);
	if (auth_scope_of_area(row->area_code, "area_code", &r->scope, e))
		return -1;
	r->enabled = row->enabled;
	json_t *kinds = json_object_get(spec, "device_kinds");
	r->any_kind = !kinds || json_array_size(kinds) == 0;
	size_t i;
	json_t *k;
	json_array_foreach(kinds, i, k) {
		int v = tel_kind_parse(json_string_value(k));
		if (v >= 0)
			r->kinds[v] = true;
	}
	if (r->kind == RK_THRESHOLD) {
		const char *m = json_string_value(json_object_get(spec, "metric"));
		snprintf(r->metric, sizeof r->metric, "%s", m ? m : "");
		r->window_ms = (int64_t)json_integer_value(json_object_get(spec, "window_s")) * 1000;
		r->agg = agg_parse(json_string_value(json_object_get(spec, "agg")));
		r->op = op_parse(json_string_value(json_object_get(spec, "op")));
		r->value = json_number_value(json_object_get(spec, "value"));
		json_t *cv = json_object_get(spec, "clear_value");
		r->clear_value = cv ? json_number_value(cv) : r->value;
	} else if (r->kind == RK_GEOFENCE) {
		const char *trig = json_string_value(json_object_get(spec, "trigger"));
		r->alarm_inside = !trig || strcmp(trig, "exit") != 0;
		json_t *m = json_object_get(spec, "margin_m");
		r->margin_m = m ? json_number_value(m) : 50;
		const char *dw = json_string_value(json_object_get(spec, "during_warning"));
		snprintf(r->during_warning, sizeof r->during_warning, "%s", dw ? dw : "");
		const char *area = json_string_value(json_object_get(spec, "area"));
		const char *area_name = area ? geo_area_name(area) : "";
		snprintf(r->fence_name, sizeof r->fence_name, "%s", *area_name ? area_name : row->name);
		yj_utf8_trim(r->fence_name);
		if (compile_fence(g, s, r, spec, e)) {
			rule_release(g, r);
			return -1;
		}
	} else {
		r->offline_ms = (int64_t)json_integer_value(json_object_get(spec, "minutes")) * 60000;
	}
	return 0;
}

/* ---- the grid of fences ------------------------------------------------------------------------ */

void fence_grid_free(fence_grid *g)
{
	for (int i = 0; g->cells && i < g->w * g->h; i++)
		free(g->cells[i]);
	free(g->cells);
	free(g->outside);
	memset(g, 0, sizeof *g);
}

static bool gridded(const wrule *r)
{
	return r->kind == RK_GEOFENCE && r->enabled && r->pouter;
}

void fence_grid_build(fence_grid *g, const wrule *rules, int n)
{
	fence_grid_free(g);
	double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
	size_t cap_outside = 0;
	for (int i = 0; i < n; i++) {
		const wrule *r = &rules[i];
		if (!gridded(r))
			continue;
		if (!r->alarm_inside) {
			g->outside = yj_grow(g->outside, &cap_outside, (size_t)g->n_outside + 1, sizeof *g->outside);
			g->outside[g->n_outside++] = i;
			continue;
		}
		x0 = fmin(x0, r->bb[0]);
		y0 = fmin(y0, r->bb[1]);
		x1 = fmax(x1, r->bb[2]);
		y1 = fmax(y1, r->bb[3]);
	}
	if (x0 > x1)
		return;
	g->x0 = x0;
	g->y0 = y0;
	g->cell = GRID_CELL;
	g->w = (int)((x1 - x0) / GRID_CELL) + 1;
	g->h = (int)((y1 - y0) / GRID_CELL) + 1;
	if ((long)g->w * g->h > 4000000) { /* absurdly wide fences: one cell */
		g->w = g->h = 1;
		g->cell = 1e9;
	}
	g->cells = yj_calloc((size_t)g->w * (size_t)g->h, sizeof *g->cells);
	for (int i = 0; i < n; i++) {
		const wrule *r = &rules[i];
		if (!gridded(r) || !r->alarm_inside)
			continue;
		int cx0 = (int)((r->bb[0] - x0) / g->cell), cx1 = (int)((r->bb[2] - x0) / g->cell);
		int cy0 = (int)((r->bb[1] - y0) / g->cell), cy1 = (int)((r->bb[3] - y0) / g->cell);
		if (cx1 >= g->w)
			cx1 = g->w - 1;
		if (cy1 >= g->h)
			cy1 = g->h - 1;
		for (int cy = cy0; cy <= cy1; cy++)
			for (int cx = cx0; cx <= cx1; cx++) {
				int **cell = &g->cells[cy * g->w + cx];
				int have = *cell ? (*cell)[0] : 0;
				*cell = yj_realloc(*cell, (size_t)(have + 2) * sizeof **cell);
				(*cell)[0] = have + 1;
				(*cell)[have + 1] = i;
			}
	}
}

const int *fence_grid_lookup(const fence_grid *g, double lon, double lat)
{
	if (!g->cells)
		return NULL;
	int cx = (int)floor((lon - g->x0) / g->cell), cy = (int)floor((lat - g->y0) / g->cell);
	if (cx < 0 || cy < 0 || cx >= g->w || cy >= g->h)
		return NULL;
	return g->cells[cy * g->w + cx];
}
