/*
 * layer_api.c — HTTP endpoints of the command map:
 *   GET /api/v1/layers/{layer}?bbox=&area=&theme=&limit=   GeoJSON of an entity's points
 *   GET /api/v1/themes                                     themes and layers
 *   GET /api/v1/nearby?lon=&lat=&radius_m=&layers=&area=&limit=
 * Layers and nearby are scoped by http_scope: ?area= (a known area inside
 * the caller's jurisdiction) or the caller's own area.
 */
#include <string.h>

#include "http/http.h"
#include "registry/registry_int.h"

static int handle_layer(http_req *req, http_res *res, yj_err *e)
{
	long limit = 1000;
	double bbox[4] = {-180, -90, 180, 90};
	const char *theme = NULL;
	auth_scope sc;
	if (http_scope(req, &sc, e) || http_query_long(req, "limit", 1, 20000, &limit, e) < 0 ||
	    http_query_bbox(req, "bbox", bbox, e) < 0 || http_query_text(req, "theme", 40, &theme, e) < 0)
		return -1;
	strbuf b;
	strbuf_init(&b);
	if (reg_layer_geojson(store_thread(), req->user, http_param(req, "layer"), bbox, &sc, theme, limit, &b, e)) {
		strbuf_free(&b);
		return -1;
	}
	res->status = 200;
	res->body = strbuf_take(&b, &res->body_len);
	res->content_type = REG_GEOJSON_TYPE;
	return 0;
}

static int handle_themes(http_req *req, http_res *res, yj_err *e)
{
	json_t *items = json_array();
	for (int t = 0; t < reg_ntheme; t++) {
		json_t *layers = json_array();
		for (int i = 0; reg_themes[t].layers[i].layer; i++)
			json_array_append_new(layers, json_string(reg_themes[t].layers[i].layer));
		json_array_append_new(items, json_pack("{s:s, s:s, s:o}", "name", reg_themes[t].name, "label",
		                                       reg_themes[t].label, "layers", layers));
	}
	json_t *layers = json_array();
	for (int i = 0; reg_entities[i]; i++)
		json_array_append_new(layers,
		                      json_pack("{s:s, s:s}", "name", reg_entities[i]->name, "label", reg_entities[i]->label));
	http_json(res, 200, json_pack("{s:o, s:o}", "items", items, "layers", layers));
	return 0;
}

int reg_query_required_double(const http_req *req, const char *name, double lo, double hi, double *out, yj_err *e)
{
	int rc = http_query_double(req, name, lo, hi, out, e);
	if (rc == 0)
		return yj_fail(e, YJ_EINVAL, name, "'%s' is required", name);
	return rc < 0 ? -1 : 0;
}

static int handle_nearby(http_req *req, http_res *res, yj_err *e)
{
	double lon, lat, radius;
	long limit = 50;
	const char *layers = NULL;
	auth_scope sc;
	if (reg_query_required_double(req, "lon", -180, 180, &lon, e) || reg_query_required_double(req, "lat", -90, 90, &lat, e) ||
	    reg_query_required_double(req, "radius_m", 1, 200000, &radius, e) ||
	    http_query_long(req, "limit", 1, 500, &limit, e) < 0 || http_query_text(req, "layers", 300, &layers, e) < 0 ||
	    http_scope(req, &sc, e))
		return -1;
	if (!layers || !*layers)
		layers = "shelters,warehouses,teams";
	json_t *j = reg_nearby(store_thread(), req->user, &sc, lon, lat, radius, layers, limit, e);
	if (!j)
		return -1;
	http_json(res, 200, j);
	return 0;
}

void reg_layer_api_register(void)
{
	unsigned readers = ROLES_STAFF | ROLE_BIT(ROLE_GRID_WORKER);
	http_route("GET", "/api/v1/layers/{layer}", handle_layer, readers, NULL);
	http_route("GET", "/api/v1/themes", handle_themes, readers, NULL);
	http_route("GET", "/api/v1/nearby", handle_nearby, readers, NULL);
}
