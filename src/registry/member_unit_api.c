/*
 * member_unit_api.c — HTTP endpoints of the member units (成员单位):
 *   GET   /api/v1/member-units          staff: the units in ?area= or the caller's area
 *   POST  /api/v1/member-units          admin: {name, area_code?, webhook_url, enabled?}
 *   PATCH /api/v1/member-units/{id}     admin: any of those members
 * A unit is {id, name, area_code, webhook_url, enabled}; the list is {"items": [...]}.
 */
#include "http/http.h"
#include "registry/registry_int.h"

static const char *const unit_keys[] = {"name", "area_code", "webhook_url", "enabled", NULL};

/* the members of body into *in; area_code (when given) must lie in the caller's jurisdiction */
static int read_unit(http_req *req, json_t *body, bool partial, reg_mu_input *in, yj_err *e)
{
	*in = (reg_mu_input){.enabled = -1};
	bool enabled;
	const char *area = NULL;
	int rc;
	if (yj_only_keys(body, unit_keys, e) ||
	    yj_json_text(body, "name", partial ? 0 : YJ_REQUIRED | YJ_NONEMPTY, 200, &in->name, e) < 0 ||
	    yj_json_text(body, "webhook_url", partial ? 0 : YJ_REQUIRED, 500, &in->webhook_url, e) < 0 ||
	    yj_json_text(body, "area_code", 0, 16, &area, e) < 0 || (rc = yj_json_bool(body, "enabled", 0, &enabled, e)) < 0)
		return -1;
	if (rc > 0)
		in->enabled = enabled;
	if (partial && in->name && !*in->name)
		return yj_fail(e, YJ_EINVAL, "name", "field 'name' is required (at most 200 bytes)");
	auth_scope sc;
	if (area && http_scope_of(req, area, "area_code", &sc, e))
		return -1;
	in->area_code = area;
	return 0;
}

static int answer_unit(http_res *res, int status, int64_t id, yj_err *e)
{
	json_t *j;
	int rc = reg_mu_get(store_thread(), NULL, id, &j, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no member unit %lld", (long long)id);
	http_json(res, status, j);
	return 0;
}

static int handle_list(http_req *req, http_res *res, yj_err *e)
{
	auth_scope sc;
	if (http_scope(req, &sc, e))
		return -1;
	json_t *items;
	if (reg_mu_list(store_thread(), &sc, &items, e))
		return -1;
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int handle_create(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	reg_mu_input in;
	auth_scope own;
	store *s = store_thread();
	int64_t id = 0;
	int rc = -1;
	if (read_unit(req, body, false, &in, e) == 0 && http_scope_of(req, NULL, "area_code", &own, e) == 0) {
		if (!in.area_code)
			in.area_code = own.code; /* the caller's own area */
		if (store_begin(s, e) == 0) {
			if (reg_mu_create(s, req->user, &in, &id, e) || store_commit(s, e))
				store_rollback(s);
			else
				rc = 0;
		}
	}
	json_decref(body);
	return rc ? -1 : answer_unit(res, 201, id, e);
}

static int handle_patch(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	auth_scope own;
	if (http_path_id(req, "id", &id, e) || http_scope_of(req, NULL, "area", &own, e))
		return -1;
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	reg_mu_input in;
	store *s = store_thread();
	int rc = -1;
	if (read_unit(req, body, true, &in, e) == 0 && store_begin(s, e) == 0) {
		if (reg_mu_update(s, req->user, &own, id, &in, e) || store_commit(s, e))
			store_rollback(s);
		else
			rc = 0;
	}
	json_decref(body);
	return rc ? -1 : answer_unit(res, 200, id, e);
}

void reg_mu_api_register(void)
{
	http_route("GET", "/api/v1/member-units", handle_list, ROLES_STAFF, NULL);
	http_route("POST", "/api/v1/member-units", handle_create, ROLE_BIT(ROLE_ADMIN), NULL);
	http_route("PATCH", "/api/v1/member-units/{id}", handle_patch, ROLE_BIT(ROLE_ADMIN), NULL);
}
