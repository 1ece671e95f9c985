/*
 * case_api.c — HTTP endpoints of penalty cases:
 *   POST/GET /api/v1/cases (?state=&area=&limit=&cursor=), GET /api/v1/cases/{id},
 *   POST /api/v1/cases/{id}/{action}, GET /api/v1/cases/{id}/decision.pdf,
 *   POST /api/v1/cases/{id}/evidence (the case's own files: statements, waivers, the hearing's record),
 *   GET /api/v1/legal-review/queue, POST /api/v1/cases/{id}/reviews,
 *   GET /api/v1/case-reviews/summary?year=&area=,
 *   POST/GET /api/v1/coercive-measures (?area=)
 */
#include <stdio.h>

#include "base/workdays.h"
#include "enforce/enf_api_int.h"

static json_t *case_with_timeline(store *s, int64_t id)
{
	return enf_case_json(s, id, true);
}

static json_t *case_row(store *s, int64_t id)
{
	return enf_case_json(s, id, false);
}

static int handle_case_create(http_req *req, http_res *res, yj_err *e)
{
	return enf_api_create(req, res, enf_case_create, case_with_timeline, e);
}

static const char *const case_states[] = {"draft", "filed", "investigating", "notified", "hearing", "legal_review",
                                          "collective_discussion", "reviewed", "decided", "served", "executed",
                                          "closed", NULL};

static int case_list(http_req *req, http_res *res, const char *state, bool oldest_first, yj_err *e)
{
	auth_scope sc;
	http_page pg;
	enf_ids ids;
	if (http_scope(req, &sc, e) || enf_api_paging(req, &pg, &ids, e) ||
	    enf_case_db_list(store_thread(), &sc, state, oldest_first, pg.cursor, pg.limit, &ids, e))
		return -1;
	enf_api_page(res, &pg, &ids, case_row);
	return 0;
}

static int handle_case_list(http_req *req, http_res *res, yj_err *e)
{
	int state = -1;
	if (http_query_enum(req, "state", case_states, &state, e) < 0)
		return -1;
	return case_list(req, res, state >= 0 ? case_states[state] : NULL, false, e);
}

/* 法制审核: the cases waiting for legal review, oldest first */
static int handle_review_queue(http_req *req, http_res *res, yj_err *e)
{
	return case_list(req, res, "legal_review", true, e);
}

/* the path's case, if the caller may see it (404 otherwise) */
static int visible_case(http_req *req, int64_t *id, yj_err *e)
{
	enf_case c;
	if (http_path_id(req, "id", id, e))
		return -1;
	int rc = enf_case_visible(store_thread(), req->user, *id, &c, e);
	if (rc <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "no case %lld", (long long)*id);
	enf_case_clear(&c);
	return 0;
}

static int handle_case_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (visible_case(req, &id, e))
		return -1;
	http_json(res, 200, enf_case_json(store_thread(), id, true));
	return 0;
}

typedef struct action_job {
	int64_t id;
	const char *action;
	json_t *body;
	int64_t allowed_from; /* a step refused for its time: the day it is allowed from */
} action_job;

static int run_action(store *s, const auth_user *u, void *ctx, yj_err *e)
{
	action_job *c = ctx;
	return enf_case_action(s, u, c->id, c->action, c->body, &c->allowed_from, e);
}

/* a step that waits for a day: the error with that day as a date a client can read,
 * {"error": {code, message, field, "allowed_from": "2024-10-11"}} */
static void refused_until(http_req *req, http_res *res, const yj_err *e, int64_t day)
{
	char d[11];
	yj_day_format(day, d);
	if (req->zh && e->message_zh[0])
		http_add_header(req, res, "Content-Language", "zh-CN");
	http_json(res, http_status_for(e->code),
	          json_pack("{s:{s:s, s:s, s:s, s:s}}", "error", "code", yj_code_name(e->code), "message", http_err_text(req, e),
	                    "field", e->field[0] ? e->field : "allowed_from", "allowed_from", d));
}

static int handle_case_action(http_req *req, http_res *res, yj_err *e)
{
	action_job c = {.action = http_param(req, "action")};
	if (visible_case(req, &c.id, e))
		return -1;
	c.body = req->body_len ? http_json_body(req, e) : json_object();
	if (!c.body)
		return -1;
	int rc = enf_api_tx(req, run_action, &c, e);
	json_decref(c.body);
	if (rc && c.allowed_from) {
		refused_until(req, res, e, c.allowed_from);
		return 0;
	}
	if (rc)
		return -1;
	http_json(res, 200, enf_case_json(store_thread(), c.id, true));
	return 0;
}

static int handle_case_evidence(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (visible_case(req, &id, e))
		return -1;
	return enf_api_evidence(req, res, "penalty_case", id, e);
}

static int handle_case_pdf(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (visible_case(req, &id, e) || enf_case_pdf(store_thread(), id, &res->body, &res->body_len, e))
		return -1;
	res->status = 200;
	res->content_type = "application/pdf";
	char disp[96];
	snprintf(disp, sizeof disp, "inline; filename=\"decision-%lld.pdf\"", (long long)id);
	http_add_header(req, res, "Content-Disposition", disp);
	return 0;
}

/* ---- case-file review (案卷评查) ------------------------------------------------------------------------- */

static int run_review(store *s, const auth_user *u, void *ctx, yj_err *e)
{
	action_job *c = ctx;
	int64_t rid;
	return enf_review_create(s, u, c->id, c->body, &rid, e);
}

static int handle_case_review(http_req *req, http_res *res, yj_err *e)
{
	action_job c = {0};
	if (visible_case(req, &c.id, e) || !(c.body = http_json_body(req, e)))
		return -1;
	int rc = enf_api_tx(req, run_review, &c, e);
	json_decref(c.body);
	if (rc)
		return -1;
	http_json(res, 201, enf_case_json(store_thread(), c.id, true));
	return 0;
}

static int handle_review_summary(http_req *req, http_res *res, yj_err *e)
{
	auth_scope sc;
	long year = 0;
	json_t *items;
	if (http_scope(req, &sc, e) || http_query_long(req, "year", 2000, 2100, &year, e) < 0 ||
	    enf_review_summary_json(store_thread(), &sc, (int)year, &items, e))
		return -1;
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

/* ---- coercive measures (行政强制) ---------------------------------------------------------------------------- */

static json_t *id_only(store *s, int64_t id)
{
	return json_pack("{s:I}", "id", (json_int_t)id);
}

static int handle_coercive_create(http_req *req, http_res *res, yj_err *e)
{
	return enf_api_create(req, res, enf_coercive_create, id_only, e);
}

static int handle_coercive_list(http_req *req, http_res *res, yj_err *e)
{
	auth_scope sc;
	json_t *items;
	if (http_scope(req, &sc, e) || enf_coercive_list_json(store_thread(), &sc, &items, e))
		return -1;
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

void enf_case_routes(void)
{
	unsigned reviewers = ROLE_BIT(ROLE_LEGAL_REVIEWER) | ROLE_BIT(ROLE_COMMANDER);
	http_route("POST", "/api/v1/cases", handle_case_create, ENF_INSPECTORS, NULL);
	http_route("GET", "/api/v1/cases", handle_case_list, ENF_CASE_ROLES, NULL);
	http_route("GET", "/api/v1/legal-review/queue", handle_review_queue, reviewers, NULL);
	http_route("GET", "/api/v1/cases/{id}", handle_case_get, ENF_CASE_ROLES, NULL);
	http_route("POST", "/api/v1/cases/{id}/{action}", handle_case_action, ENF_CASE_ROLES, NULL);
	http_route_doc("a step of the case (file, investigate, notify, record_statement, waive, request_hearing, "
	               "schedule_hearing, record_hearing, submit_review, approve_review, reject_review, discuss, decide, "
	               "extend, serve, record_payment, enforce, close); a step that waits for a day answers 409 with "
	               "error.allowed_from (YYYY-MM-DD)",
	               NULL, "json");
	http_route("GET", "/api/v1/cases/{id}/decision.pdf", handle_case_pdf, ENF_CASE_ROLES, NULL);
	http_route("POST", "/api/v1/cases/{id}/evidence", handle_case_evidence, ENF_INSPECTORS, NULL);
	http_route_body_limit(ENF_EVIDENCE_LIMIT);
	http_route_doc("a file of the case (a statement, a waiver, a hearing's record): the raw bytes, X-Filename", NULL,
	               "photo, PDF, audio or video");
	http_route("POST", "/api/v1/cases/{id}/reviews", handle_case_review, reviewers, NULL);
	http_route("GET", "/api/v1/case-reviews/summary", handle_review_summary, ENF_CASE_ROLES, NULL);
	http_route("POST", "/api/v1/coercive-measures", handle_coercive_create, ENF_INSPECTORS, NULL);
	http_route("GET", "/api/v1/coercive-measures", handle_coercive_list, ENF_CASE_ROLES, NULL);
}
