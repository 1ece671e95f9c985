/*
 * authority_api.c — GET /api/v1/authorities: the issuing authorities a
 * user's documents are made in the name of (their jurisdiction's and the
 * ones above it: a county officer sees the city's too, whose alerts reach
 * them), and GET /api/v1/authorities/for/{code}: the one that issues for
 * an area.
 */
#include <string.h>

#include "geo/geo.h"
#include "http/http.h"
#include "registry/registry_int.h"

static int add_one(const reg_authority *a, void *ctx, yj_err *e)
{
	json_array_append_new(ctx, reg_authority_json(a));
	return 0;
}

static int handle_list(http_req *req, http_res *res, yj_err *e)
{
	auth_scope sc;
	if (http_scope(req, &sc, e))
		return -1;
	store *s = store_thread();
	json_t *items = json_array();
	/* the authorities above the scope first (the city's for a county), then those inside it */
	reg_authority up;
	char parent[16];
	geo_area_parent(sc.code, parent);
	if (parent[0] && reg_authority_for(s, parent, &up, NULL) > 0)
		json_array_append_new(items, reg_authority_json(&up));
	if (reg_db_authorities_each(s, &sc, add_one, items, e)) {
		json_decref(items);
		return -1;
	}
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int handle_for(http_req *req, http_res *res, yj_err *e)
{
	reg_authority a;
	int rc = reg_authority_for(store_thread(), http_param(req, "code"), &a, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_ENOTFOUND, "code", "no authority issues for area %s", http_param(req, "code"));
	http_json(res, 200, reg_authority_json(&a));
	return 0;
}

void reg_authority_routes(void)
{
	http_route("GET", "/api/v1/authorities", handle_list, ROLES_STAFF, NULL);
	http_route_doc("the issuing authorities of the caller's jurisdiction and the one above it", "area:area", NULL);
	http_route("GET", "/api/v1/authorities/for/{code}", handle_for, ROLES_STAFF, "code");
	http_route_doc("the authority that issues for an area (its own, or the nearest above it)", NULL, NULL);
}
