/*
 * hazard_api.c — HTTP endpoints of hazards (隐患) and their rectification:
 *   GET /api/v1/hazards (?state=&enterprise=&overdue=&area=&limit=&cursor=),
 *   GET /api/v1/hazards/{id}, GET /api/v1/me/hazards (an enterprise's own),
 *   POST /api/v1/hazards/{id}/rectification | /evidence | /verify
 * An enterprise account sees and rectifies its own enterprise's hazards only.
 */
#include <string.h>

#include "enforce/enf_api_int.h"

static int handle_hazard_list(http_req *req, http_res *res, yj_err *e)
{
	static const char *const states[] = {"open", "rectification_submitted", "verified_closed", NULL};
	auth_scope sc;
	http_page pg;
	enf_ids ids;
	int state = -1;
	long ent = 0;
	bool overdue = false;
	if (http_scope(req, &sc, e) || enf_api_paging(req, &pg, &ids, e) ||
	    http_query_enum(req, "state", states, &state, e) < 0 ||
	    http_query_long(req, "enterprise", 1, 9007199254740991L, &ent, e) < 0 ||
	    http_query_bool(req, "overdue", &overdue, e) < 0)
		return -1;
	enf_hazard_filter f = {.state = state >= 0 ? states[state] : NULL, .enterprise_id = ent, .overdue_only = overdue};
	if (enf_hazard_db_list(store_thread(), &sc, &f, pg.cursor, pg.limit, &ids, e))
		return -1;
	enf_api_page(res, &pg, &ids, enf_hazard_json);
	return 0;
}

/* the path's hazard, if the caller may see it (404 otherwise); *state gets its state */
static int visible_hazard(http_req *req, int64_t *id, char state[32], yj_err *e)
{
	enf_hazard h;
	if (http_path_id(req, "id", id, e))
		return -1;
	int rc = enf_hazard_visible(store_thread(), req->user, *id, &h, e);
	if (rc <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "no hazard %lld", (long long)*id);
	if (state)
		memcpy(state, h.state, 32);
	enf_hazard_clear(&h);
	return 0;
}

static int handle_hazard_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (visible_hazard(req, &id, NULL, e))
		return -1;
	store *s = store_thread();
	json_t *h = enf_hazard_json(s, id);
	if (!h)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no hazard %lld", (long long)id);
	json_object_set_new(h, "evidence", enf_evidence_json(s, "hazard", id));
	http_json(res, 200, h);
	return 0;
}

static int handle_my_hazards(http_req *req, http_res *res, yj_err *e)
{
	store *s = store_thread();
	int64_t ent = enf_user_enterprise(s, req->user);
	if (!ent)
		return yj_fail(e, YJ_EFORBIDDEN, "", "your account is not linked to an enterprise");
	enf_ids ids = {.id = arena_alloc(req->a, 500 * sizeof(int64_t)), .cap = 500};
	if (enf_hazard_db_of_enterprise(s, ent, 500, &ids, e))
		return -1;
	json_t *items = json_array();
	for (size_t i = 0; i < ids.n; i++) {
		json_t *h = enf_hazard_json(s, ids.id[i]);
		if (h)
			json_array_append_new(items, h);
	}
	http_json(res, 200, json_pack("{s:I, s:o}", "enterprise_id", (json_int_t)ent, "items", items));
	return 0;
}

static int handle_hazard_rectify(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (visible_hazard(req, &id, NULL, e))
		return -1;
	return enf_api_change(req, res, id, enf_hazard_rectify, enf_hazard_json, e);
}

static int handle_hazard_evidence(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	char state[32];
	if (visible_hazard(req, &id, state, e))
		return -1;
	if (!strcmp(state, "verified_closed"))
		return yj_fail(e, YJ_ECONFLICT, "state", "hazard %lld is closed", (long long)id);
	return enf_api_evidence(req, res, "hazard", id, e);
}

static int handle_hazard_verify(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (visible_hazard(req, &id, NULL, e))
		return -1;
	return enf_api_change(req, res, id, enf_hazard_verify, enf_hazard_json, e);
}

void enf_hazard_routes(void)
{
	unsigned staff = ROLES_STAFF, company = ROLE_BIT(ROLE_ENTERPRISE);
	http_route("GET", "/api/v1/hazards", handle_hazard_list, staff, NULL);
	http_route("GET", "/api/v1/me/hazards", handle_my_hazards, company, NULL);
	http_route("GET", "/api/v1/hazards/{id}", handle_hazard_get, staff | company, NULL);
	http_route("POST", "/api/v1/hazards/{id}/rectification", handle_hazard_rectify, company | ENF_INSPECTORS, NULL);
	http_route("POST", "/api/v1/hazards/{id}/evidence", handle_hazard_evidence, company | ENF_INSPECTORS, NULL);
	http_route_body_limit(ENF_EVIDENCE_LIMIT);
	http_route("POST", "/api/v1/hazards/{id}/verify", handle_hazard_verify, ENF_INSPECTORS, NULL);
}
