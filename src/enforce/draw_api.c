/*
 * draw_api.c — HTTP endpoints of the double-random draw and the catalogue:
 *   POST/GET /api/v1/inspection-plans, GET /api/v1/inspection-plans/{id},
 *   POST /api/v1/inspection-plans/{id}/draw,
 *   GET /api/v1/draws, GET /api/v1/draws/{id}, GET /api/v1/draws/{id}/verify (public),
 *   GET /api/v1/inspectors?area=, GET /api/v1/enforcement-matters,
 *   GET/PUT /api/v1/checklists/{sector}, POST /api/v1/conflicts
 */
#include "enforce/enf_api_int.h"

/* ---- plans and draws ----------------------------------------------------------------------------------- */

static json_t *plan_row(store *s, int64_t id)
{
	return enf_plan_json(s, id, NULL);
}

static int handle_plan_create(http_req *req, http_res *res, yj_err *e)
{
	return enf_api_create(req, res, enf_plan_create, plan_row, e);
}

static int handle_plan_list(http_req *req, http_res *res, yj_err *e)
{
	return enf_api_list(req, res, enf_plan_db_list, plan_row, e);
}

static int handle_plan_get(http_req *req, http_res *res, yj_err *e)
{
	return enf_api_show(req, res, enf_plan_json, "检查计划", e);
}

typedef struct draw_job {
	int64_t plan, draw;
} draw_job;

static int run_draw(store *s, const auth_user *u, void *ctx, yj_err *e)
{
	draw_job *d = ctx;
	return enf_draw_create(s, u, d->plan, &d->draw, e);
}

static int handle_draw(http_req *req, http_res *res, yj_err *e)
{
	draw_job d = {0};
	if (http_path_id(req, "id", &d.plan, e) || enf_api_tx(req, run_draw, &d, e))
		return -1;
	http_json(res, 201, enf_draw_json(store_thread(), d.draw, false, NULL));
	return 0;
}

static json_t *draw_row(store *s, int64_t id)
{
	return enf_draw_json(s, id, false, NULL);
}

static int handle_draw_list(http_req *req, http_res *res, yj_err *e)
{
	return enf_api_list(req, res, enf_draw_db_list, draw_row, e);
}

/* one draw with its pools */
static json_t *draw_full(store *s, int64_t id, const auth_scope *visible_in)
{
	return enf_draw_json(s, id, true, visible_in);
}

static int handle_draw_get(http_req *req, http_res *res, yj_err *e)
{
	return enf_api_show(req, res, draw_full, "抽取记录", e);
}

/* anyone may check a published draw (一公开) */
static int handle_draw_verify(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (http_path_id(req, "id", &id, e))
		return -1;
	json_t *v = enf_draw_verify(store_thread(), id, e);
	if (!v)
		return -1;
	http_json(res, 200, v);
	return 0;
}

/* ---- inspectors and the catalogue ---------------------------------------------------------------------- */

/* the inspectors one may go out with: certified, inside or above the area (?area=, or the caller's) */
static int handle_inspectors(http_req *req, http_res *res, yj_err *e)
{
	auth_scope sc;
	json_t *items;
	if (http_scope(req, &sc, e) || enf_inspectors_json(store_thread(), &sc, &items, e))
		return -1;
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int handle_matters(http_req *req, http_res *res, yj_err *e)
{
	json_t *items;
	if (enf_matter_db_all(store_thread(), &items, e))
		return -1;
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int handle_checklist_get(http_req *req, http_res *res, yj_err *e)
{
	json_t *j = enf_checklist_json(store_thread(), http_param(req, "sector"), e);
	if (!j)
		return -1;
	http_json(res, 200, j);
	return 0;
}

typedef struct checklist_job {
	const char *sector;
	json_t *body;
} checklist_job;

static int run_checklist(store *s, const auth_user *u, void *ctx, yj_err *e)
{
	checklist_job *c = ctx;
	return enf_checklist_put(s, u, c->sector, c->body, e);
}

static int handle_checklist_put(http_req *req, http_res *res, yj_err *e)
{
	checklist_job c = {.sector = http_param(req, "sector"), .body = http_json_body(req, e)};
	if (!c.body)
		return -1;
	int rc = enf_api_tx(req, run_checklist, &c, e);
	json_decref(c.body);
	return rc ? -1 : handle_checklist_get(req, res, e);
}

static int run_conflict(store *s, const auth_user *u, void *ctx, yj_err *e)
{
	return enf_conflict_declare(s, u, ctx, e);
}

static int handle_conflict(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	int rc = enf_api_tx(req, run_conflict, body, e);
	json_decref(body);
	if (rc)
		return -1;
	res->status = 204;
	return 0;
}

void enf_draw_routes(void)
{
	unsigned staff = ROLES_STAFF;
	http_route("GET", "/api/v1/inspectors", handle_inspectors, staff, NULL);
	http_route("GET", "/api/v1/enforcement-matters", handle_matters, staff, NULL);
	http_route("GET", "/api/v1/checklists/{sector}", handle_checklist_get, staff, NULL);
	http_route("PUT", "/api/v1/checklists/{sector}", handle_checklist_put, ROLE_BIT(ROLE_ADMIN), NULL);
	http_route("POST", "/api/v1/conflicts", handle_conflict, ROLE_BIT(ROLE_INSPECTOR), NULL);
	http_route("POST", "/api/v1/inspection-plans", handle_plan_create, ENF_INSPECTORS, NULL);
	http_route("GET", "/api/v1/inspection-plans", handle_plan_list, staff, NULL);
	http_route("GET", "/api/v1/inspection-plans/{id}", handle_plan_get, staff, NULL);
	http_route("POST", "/api/v1/inspection-plans/{id}/draw", handle_draw, ROLE_BIT(ROLE_COMMANDER), NULL);
	http_route("GET", "/api/v1/draws", handle_draw_list, staff, NULL);
	http_route("GET", "/api/v1/draws/{id}", handle_draw_get, staff, NULL);
	http_route("GET", "/api/v1/draws/{id}/verify", handle_draw_verify, HTTP_PUBLIC, NULL);
}
