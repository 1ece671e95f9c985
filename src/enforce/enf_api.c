/*
 * enf_api.c — what enforcement's handlers share: a service call in its own
 * transaction, the create / change / list patterns, and the registration of
 * every route of the module. The routes themselves are in draw_api.c
 * (plans, draws, inspectors, catalogue), inspect_api.c (inspections,
 * evidence, duty checks), hazard_api.c, case_api.c (cases, reviews,
 * coercive measures) and public_api.c (publicity, no login).
 */
#include "enforce/enf_api_int.h"

typedef struct tx_job {
	enf_job_fn fn;
	const auth_user *u;
	void *ctx;
} tx_job;

static int run_job(store *s, void *ctx, yj_err *e)
{
	tx_job *j = ctx;
	return j->fn(s, j->u, j->ctx, e);
}

int enf_api_tx(http_req *req, enf_job_fn fn, void *ctx, yj_err *e)
{
	tx_job j = {.fn = fn, .u = req->user, .ctx = ctx};
	store *s = store_thread();
	if (!s)
		return yj_fail(e, YJ_EUNAVAILABLE, "", "the database is not available");
	return store_tx(s, run_job, &j, e);
}

typedef struct create_job {
	enf_create_fn fn;
	json_t *body;
	int64_t id;
} create_job;

static int run_create(store *s, const auth_user *u, void *ctx, yj_err *e)
{
	create_job *c = ctx;
	return c->fn(s, u, c->body, &c->id, e);
}

int enf_api_create(http_req *req, http_res *res, enf_create_fn fn, enf_show_fn show, yj_err *e)
{
	create_job c = {.fn = fn, .body = http_json_body(req, e)};
	if (!c.body)
		return -1;
	int rc = enf_api_tx(req, run_create, &c, e);
	json_decref(c.body);
	if (rc)
		return -1;
	http_json(res, 201, show(store_thread(), c.id));
	return 0;
}

typedef struct change_job {
	enf_change_fn fn;
	int64_t id;
	json_t *body;
} change_job;

static int run_change(store *s, const auth_user *u, void *ctx, yj_err *e)
{
	change_job *c = ctx;
	return c->fn(s, u, c->id, c->body, e);
}

int enf_api_change(http_req *req, http_res *res, int64_t id, enf_change_fn fn, enf_show_fn show, yj_err *e)
{
	change_job c = {.fn = fn, .id = id, .body = http_json_body(req, e)};
	if (!c.body)
		return -1;
	int rc = enf_api_tx(req, run_change, &c, e);
	json_decref(c.body);
	if (rc)
		return -1;
	http_json(res, 200, show(store_thread(), id));
	return 0;
}

int enf_api_paging(http_req *req, http_page *pg, enf_ids *ids, yj_err *e)
{
	if (http_paging(req, 100, 1000, pg, e))
		return -1;
	ids->n = 0;
	ids->cap = (size_t)pg->limit + 1;
	ids->id = arena_alloc(req->a, ids->cap * sizeof *ids->id);
	return 0;
}

void enf_api_page(http_res *res, const http_page *pg, const enf_ids *ids, enf_show_fn row)
{
	store *s = store_thread();
	json_t *items = json_array();
	size_t take = ids->n > (size_t)pg->limit ? (size_t)pg->limit : ids->n;
	for (size_t i = 0; i < take; i++) {
		json_t *r = row(s, ids->id[i]);
		if (r)
			json_array_append_new(items, r);
	}
	http_json(res, 200, http_page_json(items, ids->n > take && take > 0 ? ids->id[take - 1] : 0));
}

int enf_api_list(http_req *req, http_res *res, enf_list_fn list, enf_show_fn row, yj_err *e)
{
	auth_scope sc;
	http_page pg;
	enf_ids ids;
	if (http_scope(req, &sc, e) || enf_api_paging(req, &pg, &ids, e) ||
	    list(store_thread(), &sc, pg.cursor, pg.limit, &ids, e))
		return -1;
	enf_api_page(res, &pg, &ids, row);
	return 0;
}

int enf_api_show(http_req *req, http_res *res, enf_show_in_fn show, const char *what, yj_err *e)
{
	int64_t id;
	auth_scope mine;
	if (http_path_id(req, "id", &id, e) || enf_own_scope(req->user, &mine, e))
		return -1;
	json_t *j = show(store_thread(), id, &mine);
	if (!j)
		return yj_fail(e, YJ_ENOTFOUND, "id", "没有%s %lld", what, (long long)id);
	http_json(res, 200, j);
	return 0;
}

void enf_api_register(void)
{
	enf_draw_routes();
	enf_inspect_routes();
	enf_hazard_routes();
	enf_case_routes();
	enf_public_routes();
}
