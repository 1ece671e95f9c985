/*
 * area_api.c — HTTP endpoints for the area tree:
 *   GET /api/v1/areas?parent=CODE      children of CODE (default: your own area)
 *   GET /api/v1/areas/{code}           one area (?geometry=1 adds its boundary)
 *   GET /api/v1/areas/locate?lon=&lat= the deepest area containing the point
 * Every answer is limited to the caller's jurisdiction.
 */
#include <string.h>

#include "http/http.h"
#include "registry/registry_int.h"

static bool flag(const char *v)
{
	return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

static int handle_areas_list(http_req *req, http_res *res, yj_err *e)
{
	store *s = store_thread();
	const char *parent = http_query(req, "parent");
	json_t *items = json_array();
	if (!parent) {
		/* no parent: the root of the caller's jurisdiction */
		json_t *own = reg_area_json(s, req->user->area_code, false);
		if (own)
			json_array_append_new(items, own);
		http_json(res, 200, json_pack("{s:o}", "items", items));
		return 0;
	}
	if (http_require_area(req, parent, "parent", e)) {
		json_decref(items);
		return -1;
	}
	sqlite3_stmt *st = store_stmt(s, "SELECT code FROM area WHERE parent = ? ORDER BY code", e);
	if (!st) {
		json_decref(items);
		return -1;
	}
	store_bind_text(st, 1, parent);
	/* collect codes first: reg_area_json reuses cached statements */
	json_t *codes = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(codes, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	if (json_array_size(codes) == 0) {
		json_t *p = reg_area_json(s, parent, false);
		if (!p) {
			json_decref(codes);
			json_decref(items);
			return yj_fail(e, YJ_ENOTFOUND, "parent", "no area %.16s", parent);
		}
		json_decref(p);
	}
	size_t i;
	json_t *c;
	json_array_foreach(codes, i, c) {
		json_t *a = reg_area_json(s, json_string_value(c), false);
		if (a)
			json_array_append_new(items, a);
	}
	json_decref(codes);
	char total[24];
	snprintf(total, sizeof total, "%zu", json_array_size(items));
	http_add_header(req, res, "X-Total-Count", total);
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int handle_area_get(http_req *req, http_res *res, yj_err *e)
{
	const char *code = http_param(req, "code");
	json_t *a = reg_area_json(store_thread(), code, flag(http_query(req, "geometry")));
	if (!a)
		return yj_fail(e, YJ_ENOTFOUND, "code", "no area %.16s", code);
	http_json(res, 200, a);
	return 0;
}

static int handle_area_locate(http_req *req, http_res *res, yj_err *e)
{
	double lon, lat;
	if (yj_parse_double(http_query(req, "lon"), -180, 180, &lon, "lon", e) ||
	    yj_parse_double(http_query(req, "lat"), -90, 90, &lat, "lat", e))
		return -1;
	char code[16];
	if (!reg_area_locate(lon, lat, code))
		return yj_fail(e, YJ_ENOTFOUND, "lon", "no area contains %.6f,%.6f", lon, lat);
	if (http_require_area(req, code, "lon", e))
		return -1;
	json_t *a = reg_area_json(store_thread(), code, false);
	if (!a)
		return yj_fail(e, YJ_ENOTFOUND, "lon", "no area contains %.6f,%.6f", lon, lat);
	http_json(res, 200, a);
	return 0;
}

void reg_area_api_register(void)
{
	http_route("GET", "/api/v1/areas", handle_areas_list, ROLES_ANY, NULL);
	http_route("GET", "/api/v1/areas/locate", handle_area_locate, ROLES_ANY, NULL);
	http_route("GET", "/api/v1/areas/{code}", handle_area_get, ROLES_ANY, "code");
}
