/*
 * area_api.c — HTTP endpoints for the area tree:
 *   GET /api/v1/areas?parent=CODE      children of CODE (default: your own area)
 *   GET /api/v1/areas/{code}           one area (?geometry=1 adds its boundary)
 *   GET /api/v1/areas/locate?lon=&lat= the deepest area containing the point
 * Every answer is limited to the caller's jurisdiction: ?parent= by the
 * one scope rule (malformed or unknown 400, outside 403), {code} by the
 * router's area check, a located point by the scope of the area found.
 */
#include <stdio.h>
#include <string.h>

#include "geo/geo.h"
#include "http/http.h"
#include "registry/registry_int.h"

typedef struct children_ctx {
	store *s;
	json_t *items;
} children_ctx;

static bool add_child(const geo_area *a, void *ctx)
{
	children_ctx *c = ctx;
	json_t *j = reg_area_json(c->s, a->code, false);
	if (j)
		json_array_append_new(c->items, j);
	return true;
}

static int handle_areas_list(http_req *req, http_res *res, yj_err *e)
{
	store *s = store_thread();
	const char *parent = http_query(req, "parent");
	children_ctx c = {.s = s};
	if (!parent) {
		/* no parent: the root of the caller's jurisdiction */
		c.items = json_array();
		json_t *own = reg_area_json(s, req->user->area_code, false);
		if (own)
			json_array_append_new(c.items, own);
		http_json(res, 200, json_pack("{s:o}", "items", c.items));
		return 0;
	}
	auth_scope sc;
	if (http_scope_of(req, parent, "parent", &sc, e))
		return -1;
	c.items = json_array();
	geo_areas_each(sc.code, 0, add_child, &c);
	char total[24];
	snprintf(total, sizeof total, "%zu", json_array_size(c.items));
	http_add_header(req, res, "X-Total-Count", total);
	http_json(res, 200, json_pack("{s:o}", "items", c.items));
	return 0;
}

static int handle_area_get(http_req *req, http_res *res, yj_err *e)
{
	const char *code = http_param(req, "code");
	bool geometry = false;
	if (http_query_bool(req, "geometry", &geometry, e) < 0)
		return -1;
	json_t *a = reg_area_json(store_thread(), code, geometry);
	if (!a)
		return yj_fail(e, YJ_ENOTFOUND, "code", "no area %.16s", code);
	http_json(res, 200, a);
	return 0;
}

static int handle_area_locate(http_req *req, http_res *res, yj_err *e)
{
	double lon, lat;
	if (reg_query_required_double(req, "lon", -180, 180, &lon, e) || reg_query_required_double(req, "lat", -90, 90, &lat, e))
		return -1;
	char code[16];
	if (!reg_area_locate(lon, lat, code))
		return yj_fail(e, YJ_ENOTFOUND, "lon", "no area contains %.6f,%.6f", lon, lat);
	auth_scope sc;
	if (http_scope_of(req, code, "lon", &sc, e))
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
	http_route_doc("The areas one level below parent (X-Total-Count), or without parent the caller's own area",
	               "parent:area", NULL);
	http_route("GET", "/api/v1/areas/locate", handle_area_locate, ROLES_ANY, NULL);
	http_route_doc("The deepest area whose boundary holds a WGS84 point (404 when none; 403 outside the jurisdiction)",
	               "!lon:number, !lat:number", NULL);
	http_route("GET", "/api/v1/areas/{code}", handle_area_get, ROLES_ANY, "code");
	http_route_doc("One area: name, kind, level, point, bbox, the path from the city; with geometry=1 its boundary "
	               "(GeoJSON Polygon or MultiPolygon, RFC 7946 winding; town boundaries are approximate)",
	               "geometry:boolean", NULL);
}
