/*
 * inspect_api.c — HTTP endpoints of inspections and evidence:
 *   POST/GET /api/v1/inspections (?mine=&state=&kind=&draw_id=&area=&limit=&cursor=),
 *   GET/PATCH /api/v1/inspections/{id},
 *   POST /api/v1/inspections/{id}/confirm | /hazards | /evidence,
 *   GET /api/v1/evidence/{sha256}, POST /api/v1/duty-checks
 */
#include <stdio.h>
#include <string.h>

#include "enforce/enf_api_int.h"

static int handle_inspection_create(http_req *req, http_res *res, yj_err *e)
{
	return enf_api_create(req, res, enf_inspection_create, enf_inspection_json, e);
}

static int handle_inspection_list(http_req *req, http_res *res, yj_err *e)
{
	static const char *const states[] = {"assigned", "recorded", "confirmed", NULL};
	static const char *const kinds[] = {"draw", "adhoc", "expert", "duty_check", NULL};
	auth_scope sc;
	http_page pg;
	enf_ids ids;
	bool mine = false;
	int state = -1, kind = -1;
	long draw = 0;
	if (http_scope(req, &sc, e) || enf_api_paging(req, &pg, &ids, e) || http_query_bool(req, "mine", &mine, e) < 0 ||
	    http_query_enum(req, "state", states, &state, e) < 0 || http_query_enum(req, "kind", kinds, &kind, e) < 0 ||
	    http_query_long(req, "draw_id", 1, 9007199254740991L, &draw, e) < 0)
		return -1;
	enf_inspection_filter f = {.member = mine ? req->user->id : 0, .draw_id = draw,
	                           .state = state >= 0 ? states[state] : NULL, .kind = kind >= 0 ? kinds[kind] : NULL};
	if (enf_inspection_db_list(store_thread(), &sc, &f, pg.cursor, pg.limit, &ids, e))
		return -1;
	enf_api_page(res, &pg, &ids, enf_inspection_json);
	return 0;
}

/* the path's inspection, if the caller may see it (404 otherwise); *confirmed tells its state */
static int visible_inspection(http_req *req, int64_t *id, bool *confirmed, yj_err *e)
{
	enf_inspection in;
	if (http_path_id(req, "id", id, e))
		return -1;
	int rc = enf_inspection_visible(store_thread(), req->user, *id, &in, e);
	if (rc <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "no inspection %lld", (long long)*id);
	if (confirmed)
		*confirmed = !strcmp(in.state, "confirmed");
	enf_inspection_clear(&in);
	return 0;
}

static int handle_inspection_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (visible_inspection(req, &id, NULL, e))
		return -1;
	http_json(res, 200, enf_inspection_json(store_thread(), id));
	return 0;
}

static int handle_inspection_record(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (visible_inspection(req, &id, NULL, e))
		return -1;
	return enf_api_change(req, res, id, enf_inspection_record, enf_inspection_json, e);
}

static int run_confirm(store *s, const auth_user *u, void *ctx, yj_err *e)
{
	return enf_inspection_confirm(s, u, *(int64_t *)ctx, e);
}

static int handle_inspection_confirm(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (visible_inspection(req, &id, NULL, e) || enf_api_tx(req, run_confirm, &id, e))
		return -1;
	http_json(res, 200, enf_inspection_json(store_thread(), id));
	return 0;
}

typedef struct hazard_job {
	int64_t inspection, hazard;
	json_t *body;
} hazard_job;

static int run_hazard(store *s, const auth_user *u, void *ctx, yj_err *e)
{
	hazard_job *h = ctx;
	return enf_hazard_create(s, u, h->inspection, h->body, &h->hazard, e);
}

static int handle_hazard_create(http_req *req, http_res *res, yj_err *e)
{
	hazard_job h = {0};
	if (visible_inspection(req, &h.inspection, NULL, e) || !(h.body = http_json_body(req, e)))
		return -1;
	int rc = enf_api_tx(req, run_hazard, &h, e);
	json_decref(h.body);
	if (rc)
		return -1;
	http_json(res, 201, enf_hazard_json(store_thread(), h.hazard));
	return 0;
}

/* ---- evidence ---------------------------------------------------------------------------------------------- */

typedef struct evidence_job {
	const char *owner;
	int64_t id;
	http_req *req;
	char name[620];
	char sha[65];
} evidence_job;

static int run_evidence(store *s, const auth_user *u, void *ctx, yj_err *e)
{
	evidence_job *c = ctx;
	return enf_evidence_add(s, u, c->owner, c->id, c->name, c->req->body, c->req->body_len, c->sha, e);
}

/* browsers can only send ASCII header values: names arrive percent-encoded (UTF-8) */
static int file_name(http_req *req, char *name, size_t cap, yj_err *e)
{
	const char *raw = http_header(req, "X-Filename");
	name[0] = 0;
	if (raw && strlen(raw) > 600)
		return yj_fail(e, YJ_EINVAL, "X-Filename", "header 'X-Filename': at most 600 bytes");
	for (size_t i = 0, o = 0; raw && raw[i] && o + 1 < cap; i++) {
		int hi, lo;
		if (raw[i] == '%' && raw[i + 1] && raw[i + 2] && sscanf(raw + i + 1, "%1x%1x", &hi, &lo) == 2) {
			name[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			name[o++] = raw[i];
		}
		name[o] = 0;
	}
	if (!yj_utf8_valid(name, strlen(name)) || strpbrk(name, "/\\"))
		return yj_fail(e, YJ_EINVAL, "X-Filename", "header 'X-Filename' must be a file name (UTF-8, percent-encoded)");
	return 0;
}

int enf_api_evidence(http_req *req, http_res *res, const char *owner, int64_t id, yj_err *e)
{
	evidence_job c = {.owner = owner, .id = id, .req = req};
	if (file_name(req, c.name, sizeof c.name, e) || enf_api_tx(req, run_evidence, &c, e))
		return -1;
	char url[128];
	snprintf(url, sizeof url, "/api/v1/evidence/%s", c.sha);
	http_json(res, 201, json_pack("{s:s, s:s}", "sha256", c.sha, "url", url));
	return 0;
}

static int handle_inspection_evidence(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	bool confirmed;
	if (visible_inspection(req, &id, &confirmed, e))
		return -1;
	if (confirmed)
		return yj_fail(e, YJ_ECONFLICT, "state", "inspection %lld is confirmed: evidence is added before confirming",
		               (long long)id);
	return enf_api_evidence(req, res, "inspection", id, e);
}

static int handle_evidence_get(http_req *req, http_res *res, yj_err *e)
{
	const char *sha = http_param(req, "sha256");
	char mime[64];
	if (enf_evidence_read(store_thread(), req->user, sha, &res->body, &res->body_len, mime, e))
		return -1;
	res->status = 200;
	res->content_type = arena_strdup(req->a, mime);
	http_add_header(req, res, "Content-Disposition", "inline");
	char etag[80];
	snprintf(etag, sizeof etag, "\"%s\"", sha);
	http_add_header(req, res, "ETag", etag);
	return 0;
}

/* ---- duty spot checks ------------------------------------------------------------------------------------------ */

typedef struct duty_job {
	json_t *body, *out;
} duty_job;

static int run_duty(store *s, const auth_user *u, void *ctx, yj_err *e)
{
	duty_job *d = ctx;
	return enf_duty_check_create(s, u, d->body, &d->out, e);
}

static int handle_duty_check(http_req *req, http_res *res, yj_err *e)
{
	duty_job d = {.body = http_json_body(req, e)};
	if (!d.body)
		return -1;
	int rc = enf_api_tx(req, run_duty, &d, e);
	json_decref(d.body);
	if (rc) {
		json_decref(d.out);
		return -1;
	}
	http_json(res, 201, d.out);
	return 0;
}

void enf_inspect_routes(void)
{
	unsigned staff = ROLES_STAFF, recorders = ENF_INSPECTORS | ROLE_BIT(ROLE_DUTY_OFFICER);
	http_route("POST", "/api/v1/inspections", handle_inspection_create, ENF_INSPECTORS, NULL);
	http_route("GET", "/api/v1/inspections", handle_inspection_list, staff, NULL);
	http_route("GET", "/api/v1/inspections/{id}", handle_inspection_get, staff, NULL);
	http_route("PATCH", "/api/v1/inspections/{id}", handle_inspection_record, recorders, NULL);
	http_route("POST", "/api/v1/inspections/{id}/confirm", handle_inspection_confirm, recorders, NULL);
	http_route("POST", "/api/v1/inspections/{id}/hazards", handle_hazard_create, recorders, NULL);
	http_route("POST", "/api/v1/inspections/{id}/evidence", handle_inspection_evidence, ENF_INSPECTORS, NULL);
	http_route_body_limit(ENF_EVIDENCE_LIMIT);
	http_route("GET", "/api/v1/evidence/{sha256}", handle_evidence_get, staff | ROLE_BIT(ROLE_ENTERPRISE), NULL);
	http_route("POST", "/api/v1/duty-checks", handle_duty_check, ROLE_BIT(ROLE_DUTY_OFFICER) | ROLE_BIT(ROLE_COMMANDER),
	           NULL);
}
