/*
 * enf_api.c — HTTP endpoints of enforcement:
 *   plans and draws:   POST/GET /api/v1/inspection-plans, POST /api/v1/inspection-plans/{id}/draw,
 *                      GET /api/v1/draws, GET /api/v1/draws/{id}, GET /api/v1/draws/{id}/verify
 *   inspections:       POST/GET /api/v1/inspections, GET/PATCH /api/v1/inspections/{id},
 *                      POST /api/v1/inspections/{id}/confirm | /hazards | /evidence
 *   hazards:           GET /api/v1/hazards, GET /api/v1/hazards/{id}, GET /api/v1/me/hazards,
 *                      POST /api/v1/hazards/{id}/rectification | /evidence | /verify
 *   evidence:          GET /api/v1/evidence/{sha256}
 *   duty checks:       POST /api/v1/duty-checks
 *   cases:             POST/GET /api/v1/cases, GET /api/v1/cases/{id}, POST /api/v1/cases/{id}/{action},
 *                      GET /api/v1/cases/{id}/decision.pdf, GET /api/v1/legal-review/queue,
 *                      POST /api/v1/cases/{id}/reviews, GET /api/v1/case-reviews/summary
 *   coercive measures: POST/GET /api/v1/coercive-measures
 *   catalogue:         GET /api/v1/enforcement-matters, GET/PUT /api/v1/checklists/{sector},
 *                      POST /api/v1/conflicts
 *   figures:           GET /api/v1/stats/enforcement?year=&area=
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"
#include "http/http.h"

#define INSPECTORS (ROLE_BIT(ROLE_INSPECTOR) | ROLE_BIT(ROLE_COMMANDER))
#define CASE_ROLES (ROLE_BIT(ROLE_INSPECTOR) | ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_LEGAL_REVIEWER))
#define EVIDENCE_LIMIT (64u << 20)

static int id_param(http_req *req, const char *name, int64_t *out, yj_err *e)
{
	long v;
	if (yj_parse_long(http_param(req, name), 1, 0x7fffffffL, &v, name, e))
		return -1;
	*out = v;
	return 0;
}

/* run fn in a transaction of its own; the usual pattern of every write here */
typedef int (*tx_fn)(store *s, http_req *req, void *ctx, yj_err *e);
static int in_tx(http_req *req, tx_fn fn, void *ctx, yj_err *e)
{
	store *s = store_thread();
	if (store_begin(s, e))
		return -1;
	if (fn(s, req, ctx, e) || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

typedef int (*create_fn)(store *, const auth_user *, json_t *, int64_t *, yj_err *);

typedef struct create_ctx {
	create_fn fn;
	json_t *body;
	int64_t id;
} create_ctx;

static int tx_create(store *s, http_req *req, void *ctx, yj_err *e)
{
	create_ctx *c = ctx;
	return c->fn(s, req->user, c->body, &c->id, e);
}

/* POST of a new object: the JSON body to fn in one transaction, then 201 with show(new id) */
static int create_from_body(http_req *req, http_res *res, create_fn fn, json_t *(*show)(store *, int64_t), yj_err *e)
{
	create_ctx c = {.fn = fn, .body = http_json_body(req, e)};
	if (!c.body)
		return -1;
	int rc = in_tx(req, tx_create, &c, e);
	json_decref(c.body);
	if (rc)
		return -1;
	http_json(res, 201, show(store_thread(), c.id));
	return 0;
}

static int list_ids(http_req *req, const char *sql, int nbind, const char *const *binds, json_t *(*row)(store *, int64_t),
                    http_res *res, yj_err *e)
{
	store *s = store_thread();
	long limit = 100, cursor = 0;
	if ((http_query(req, "limit") && yj_parse_long(http_query(req, "limit"), 1, 1000, &limit, "limit", e)) ||
	    (http_query(req, "cursor") && yj_parse_long(http_query(req, "cursor"), 1, 0x7fffffffL, &cursor, "cursor", e)))
		return -1;
	sqlite3_stmt *st = store_stmt(s, sql, e);
	if (!st)
		return -1;
	store_bind_text(st, 1, req->user->area_prefix);
	sqlite3_bind_int64(st, 2, cursor);
	sqlite3_bind_int64(st, 3, limit + 1);
	for (int i = 0; i < nbind; i++)
		store_bind_text(st, 4 + i, binds[i]);
	json_t *next;
	json_t *items = store_rows_json(s, st, row, limit, &next);
	http_json(res, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
	return 0;
}

/* ---- plans and draws ----------------------------------------------------------------------------- */

static int handle_plan_create(http_req *req, http_res *res, yj_err *e)
{
	return create_from_body(req, res, enf_plan_create, enf_plan_json, e);
}

static json_t *plan_row(store *s, int64_t id)
{
	return enf_plan_json(s, id);
}

static int handle_plan_list(http_req *req, http_res *res, yj_err *e)
{
	return list_ids(req,
	                "SELECT id FROM inspection_plan WHERE substr(area_code, 1, length(?1)) = ?1 AND (?2 = 0 OR id < ?2) "
	                "ORDER BY id DESC LIMIT ?3",
	                0, NULL, plan_row, res, e);
}

static int handle_plan_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (id_param(req, "id", &id, e))
		return -1;
	json_t *p = enf_plan_json(store_thread(), id);
	if (!p || !auth_area_visible(req->user, json_string_value(json_object_get(p, "area_code")))) {
		json_decref(p);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no inspection plan %lld", (long long)id);
	}
	http_json(res, 200, p);
	return 0;
}

static int tx_draw(store *s, http_req *req, void *ctx, yj_err *e)
{
	int64_t *ids = ctx;
	return enf_draw_create(s, req->user, ids[0], &ids[1], e);
}

static int handle_draw(http_req *req, http_res *res, yj_err *e)
{
	int64_t ids[2];
	if (id_param(req, "id", &ids[0], e) || in_tx(req, tx_draw, ids, e))
		return -1;
	http_json(res, 201, enf_draw_json(store_thread(), ids[1], false));
	return 0;
}

static json_t *draw_row(store *s, int64_t id)
{
	return enf_draw_json(s, id, false);
}

static int handle_draw_list(http_req *req, http_res *res, yj_err *e)
{
	return list_ids(req,
	                "SELECT id FROM draw WHERE substr(area_code, 1, length(?1)) = ?1 AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3",
	                0, NULL, draw_row, res, e);
}

static int handle_draw_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (id_param(req, "id", &id, e))
		return -1;
	json_t *d = enf_draw_json(store_thread(), id, true);
	if (!d || !auth_area_visible(req->user, json_string_value(json_object_get(d, "area_code")))) {
		json_decref(d);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no draw %lld", (long long)id);
	}
	http_json(res, 200, d);
	return 0;
}

static int handle_draw_verify(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (id_param(req, "id", &id, e))
		return -1;
	json_t *v = enf_draw_verify(store_thread(), id, e);
	if (!v)
		return -1;
	http_json(res, 200, v);
	return 0;
}

/* ---- inspections ----------------------------------------------------------------------------------- */

static int inspection_create(store *s, const auth_user *u, json_t *body, int64_t *id, yj_err *e)
{
	static const char *const keys[] = {"enterprise_id", "kind", "reason", "matter_code", "inspectors", NULL};
	if (enf_only_keys(body, keys, e))
		return -1;
	const char *kind = json_string_value(json_object_get(body, "kind"));
	const char *reason = json_string_value(json_object_get(body, "reason"));
	const char *matter = json_string_value(json_object_get(body, "matter_code"));
	json_t *ent = json_object_get(body, "enterprise_id"), *members = json_object_get(body, "inspectors");
	if (!kind)
		kind = "adhoc";
	if (strcmp(kind, "adhoc") && strcmp(kind, "expert"))
		return yj_fail(e, YJ_EINVAL, "kind", "field 'kind' must be adhoc (complaint, accident, campaign) or expert (专家指导服务)");
	if (!strcmp(kind, "adhoc") && (!reason || (strcmp(reason, "complaint") && strcmp(reason, "accident") && strcmp(reason, "campaign"))))
		return yj_fail(e, YJ_EINVAL, "reason", "field 'reason' must be complaint, accident or campaign for an ad-hoc inspection");
	if (!json_is_integer(ent))
		return yj_fail(e, YJ_EINVAL, "enterprise_id", "field 'enterprise_id' is required");
	size_t need = !strcmp(kind, "expert") ? 1 : 2;
	if (!json_is_array(members) || json_array_size(members) < need || json_array_size(members) > 10)
		return yj_fail(e, YJ_EINVAL, "inspectors",
		               need == 2 ? "field 'inspectors' must list at least two inspectors: the law requires two"
		                         : "field 'inspectors' must list the experts of the visit");
	if (!strcmp(kind, "adhoc") && enf_check_matter(s, u, matter, e))
		return -1;
	/* everyone listed: an inspector with a valid certificate (experts: the expert flag) */
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT 1 FROM user u JOIN inspector_cert c ON c.user_id = u.id WHERE u.id = ? AND u.disabled = 0 "
	                              "AND c.valid_from_ms <= ?2 AND c.valid_to_ms >= ?2 AND c.expert = ?3",
	                              e);
	if (!st)
		return -1;
	size_t i;
	json_t *m;
	json_array_foreach(members, i, m) {
		sqlite3_bind_int64(st, 1, json_integer_value(m));
		sqlite3_bind_int64(st, 2, yj_now_ms());
		sqlite3_bind_int(st, 3, !strcmp(kind, "expert"));
		bool ok = json_is_integer(m) && sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!ok)
			return yj_fail(e, YJ_EINVAL, "inspectors", "inspectors[%zu] has no valid %s", i,
			               !strcmp(kind, "expert") ? "expert registration" : "enforcement certificate (执法证)");
	}
	return enf_inspection_insert(s, u, kind, 0, json_integer_value(ent), reason, matter, members, id, e);
}

static int handle_inspection_create(http_req *req, http_res *res, yj_err *e)
{
	return create_from_body(req, res, inspection_create, enf_inspection_json, e);
}

static json_t *inspection_row(store *s, int64_t id)
{
	return enf_inspection_json(s, id);
}

static int handle_inspection_list(http_req *req, http_res *res, yj_err *e)
{
	const char *mine = http_query(req, "mine"), *state = http_query(req, "state"), *kind = http_query(req, "kind");
	char me[24] = "";
	if (mine && !strcmp(mine, "1"))
		snprintf(me, sizeof me, "%lld", (long long)req->user->id);
	const char *binds[] = {me[0] ? me : NULL, state, kind};
	return list_ids(req,
	                "SELECT i.id FROM inspection i WHERE substr(i.area_code, 1, length(?1)) = ?1 AND (?2 = 0 OR i.id < ?2) "
	                "AND (?4 IS NULL OR EXISTS (SELECT 1 FROM inspection_member m WHERE m.inspection_id = i.id AND m.user_id = ?4)) "
	                "AND (?5 IS NULL OR i.state = ?5) AND (?6 IS NULL OR i.kind = ?6) ORDER BY i.id DESC LIMIT ?3",
	                3, binds, inspection_row, res, e);
}

static int visible_inspection(http_req *req, int64_t *id, json_t **out, yj_err *e)
{
	if (id_param(req, "id", id, e))
		return -1;
	json_t *i = enf_inspection_json(store_thread(), *id);
	if (!i || !auth_area_visible(req->user, json_string_value(json_object_get(i, "area_code")))) {
		json_decref(i);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no inspection %lld", (long long)*id);
	}
	*out = i;
	return 0;
}

static int handle_inspection_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	json_t *i;
	if (visible_inspection(req, &id, &i, e))
		return -1;
	http_json(res, 200, i);
	return 0;
}

typedef struct body_ctx {
	int64_t id, out;
	json_t *body;
	int (*fn)(store *, const auth_user *, int64_t, json_t *, yj_err *);
} body_ctx;

static int tx_body(store *s, http_req *req, void *ctx, yj_err *e)
{
	body_ctx *c = ctx;
	return c->fn(s, req->user, c->id, c->body, e);
}

/* the JSON body to c->fn in one transaction, then 200 with show(c->id) */
static int apply_body(http_req *req, http_res *res, body_ctx *c, json_t *(*show)(store *, int64_t), yj_err *e)
{
	if (!(c->body = http_json_body(req, e)))
		return -1;
	int rc = in_tx(req, tx_body, c, e);
	json_decref(c->body);
	if (rc)
		return -1;
	http_json(res, 200, show(store_thread(), c->id));
	return 0;
}

static int handle_inspection_record(http_req *req, http_res *res, yj_err *e)
{
	body_ctx c = {.fn = enf_inspection_record};
	json_t *i;
	if (visible_inspection(req, &c.id, &i, e))
		return -1;
	json_decref(i);
	return apply_body(req, res, &c, enf_inspection_json, e);
}

static int tx_confirm(store *s, http_req *req, void *ctx, yj_err *e)
{
	return enf_inspection_confirm(s, req->user, *(int64_t *)ctx, e);
}

static int handle_inspection_confirm(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	json_t *i;
	if (visible_inspection(req, &id, &i, e))
		return -1;
	json_decref(i);
	if (in_tx(req, tx_confirm, &id, e))
		return -1;
	http_json(res, 200, enf_inspection_json(store_thread(), id));
	return 0;
}

static int hazard_create_fn(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e)
{
	int64_t hid;
	if (enf_hazard_create(s, u, id, body, &hid, e))
		return -1;
	json_object_set_new(body, "_hazard_id", json_integer(hid));
	return 0;
}

static int handle_hazard_create(http_req *req, http_res *res, yj_err *e)
{
	body_ctx c = {.fn = hazard_create_fn};
	json_t *i;
	if (visible_inspection(req, &c.id, &i, e))
		return -1;
	json_decref(i);
	if (!(c.body = http_json_body(req, e)))
		return -1;
	int rc = in_tx(req, tx_body, &c, e);
	int64_t hid = json_integer_value(json_object_get(c.body, "_hazard_id"));
	json_decref(c.body);
	if (rc)
		return -1;
	http_json(res, 201, enf_hazard_json(store_thread(), hid));
	return 0;
}

typedef struct ev_ctx {
	const char *owner;
	int64_t id;
	char sha[65];
} ev_ctx;

static int tx_evidence(store *s, http_req *req, void *ctx, yj_err *e)
{
	ev_ctx *c = ctx;
	const char *raw = http_header(req, "X-Filename");
	if (raw && strlen(raw) > 600)
		return yj_fail(e, YJ_EINVAL, "X-Filename", "header 'X-Filename': at most 600 bytes");
	/* browsers can only send ASCII header values: names arrive percent-encoded (UTF-8) */
	char name[620] = "";
	for (size_t i = 0, o = 0; raw && raw[i] && o + 1 < sizeof name; i++) {
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
	return enf_evidence_add(s, req->user, c->owner, c->id, name, req->body, req->body_len, c->sha, e);
}

static int handle_inspection_evidence(http_req *req, http_res *res, yj_err *e)
{
	ev_ctx c = {.owner = "inspection"};
	json_t *i;
	if (visible_inspection(req, &c.id, &i, e))
		return -1;
	bool locked = !strcmp(json_string_value(json_object_get(i, "state")), "confirmed");
	json_decref(i);
	if (locked)
		return yj_fail(e, YJ_ECONFLICT, "state", "inspection %lld is confirmed: evidence is added before confirming", (long long)c.id);
	if (in_tx(req, tx_evidence, &c, e))
		return -1;
	http_json(res, 201, json_pack("{s:s, s:s}", "sha256", c.sha, "url", ""));
	char url[128];
	snprintf(url, sizeof url, "/api/v1/evidence/%s", c.sha);
	json_object_set_new(res->json, "url", json_string(url));
	return 0;
}

static int handle_evidence_get(http_req *req, http_res *res, yj_err *e)
{
	const char *sha = http_param(req, "sha256");
	store *s = store_thread();
	/* visible when one of its owners is: an inspection or hazard in my area, or my enterprise's hazard */
	int64_t mine = 0;
	if (req->user->role == ROLE_ENTERPRISE) {
		sqlite3_stmt *q = store_stmt(s, "SELECT coalesce(enterprise_id, 0) FROM user WHERE id = ?", e);
		if (!q)
			return -1;
		sqlite3_bind_int64(q, 1, req->user->id);
		if (sqlite3_step(q) == SQLITE_ROW)
			mine = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
	}
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT 1 FROM evidence v LEFT JOIN inspection i ON v.owner_type = 'inspection' AND i.id = v.owner_id "
	                              "LEFT JOIN hazard h ON v.owner_type = 'hazard' AND h.id = v.owner_id WHERE v.sha256 = ?1 AND "
	                              "(substr(coalesce(i.area_code, h.area_code, ''), 1, length(?2)) = ?2 AND ?3 = 0 OR h.enterprise_id = ?3)",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, sha);
	store_bind_text(st, 2, req->user->role == ROLE_ENTERPRISE ? "-" : req->user->area_prefix);
	sqlite3_bind_int64(st, 3, mine);
	bool ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!ok)
		return yj_fail(e, YJ_ENOTFOUND, "sha256", "no such evidence");
	char mime[64];
	if (enf_attachment_read(s, sha, &res->body, &res->body_len, mime, e))
		return -1;
	res->status = 200;
	res->content_type = arena_strdup(req->a, mime);
	http_add_header(req, res, "Content-Disposition", "inline");
	char etag[80];
	snprintf(etag, sizeof etag, "\"%s\"", sha);
	http_add_header(req, res, "ETag", etag);
	return 0;
}

/* ---- hazards ---------------------------------------------------------------------------------------- */

static json_t *hazard_row(store *s, int64_t id)
{
	return enf_hazard_json(s, id);
}

static int handle_hazard_list(http_req *req, http_res *res, yj_err *e)
{
	const char *state = http_query(req, "state"), *ent = http_query(req, "enterprise"), *over = http_query(req, "overdue");
	const char *binds[] = {state, ent, over && !strcmp(over, "1") ? "1" : NULL};
	return list_ids(req,
	                "SELECT id FROM hazard WHERE substr(area_code, 1, length(?1)) = ?1 AND (?2 = 0 OR id < ?2) "
	                "AND (?4 IS NULL OR state = ?4) AND (?5 IS NULL OR enterprise_id = ?5) AND (?6 IS NULL OR overdue = 1) "
	                "ORDER BY id DESC LIMIT ?3",
	                3, binds, hazard_row, res, e);
}

static int enterprise_of(http_req *req, int64_t *ent)
{
	*ent = 0;
	sqlite3_stmt *q = store_stmt(store_thread(), "SELECT coalesce(enterprise_id, 0) FROM user WHERE id = ?", NULL);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, req->user->id);
	if (sqlite3_step(q) == SQLITE_ROW)
		*ent = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return 0;
}

static int visible_hazard(http_req *req, int64_t *id, json_t **out, yj_err *e)
{
	if (id_param(req, "id", id, e))
		return -1;
	json_t *h = enf_hazard_json(store_thread(), *id);
	bool ok = false;
	if (h && req->user->role == ROLE_ENTERPRISE) {
		int64_t ent;
		enterprise_of(req, &ent);
		ok = ent && ent == json_integer_value(json_object_get(h, "enterprise_id"));
	} else if (h) {
		ok = auth_area_visible(req->user, json_string_value(json_object_get(h, "area_code")));
	}
	if (!ok) {
		json_decref(h);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no hazard %lld", (long long)*id);
	}
	*out = h;
	return 0;
}

static int handle_hazard_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	json_t *h;
	if (visible_hazard(req, &id, &h, e))
		return -1;
	sqlite3_stmt *st = store_stmt(store_thread(),
	                              "SELECT v.sha256, a.mime, a.name FROM evidence v JOIN attachment a ON a.sha256 = v.sha256 "
	                              "WHERE v.owner_type = 'hazard' AND v.owner_id = ? ORDER BY v.added_ms",
	                              NULL);
	json_t *ev = json_array();
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(ev, json_pack("{s:s, s:s, s:s}", "sha256", (const char *)sqlite3_column_text(st, 0), "mime",
			                                    (const char *)sqlite3_column_text(st, 1), "name",
			                                    (const char *)sqlite3_column_text(st, 2)));
		sqlite3_reset(st);
	}
	json_object_set_new(h, "evidence", ev);
	http_json(res, 200, h);
	return 0;
}

static int handle_my_hazards(http_req *req, http_res *res, yj_err *e)
{
	int64_t ent;
	enterprise_of(req, &ent);
	if (!ent)
		return yj_fail(e, YJ_EFORBIDDEN, "", "your account is not linked to an enterprise");
	sqlite3_stmt *st = store_stmt(store_thread(), "SELECT id FROM hazard WHERE enterprise_id = ? ORDER BY state = 'verified_closed', deadline_ms LIMIT 500", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, ent);
	json_t *items = store_rows_json(store_thread(), st, enf_hazard_json, -1, NULL);
	http_json(res, 200, json_pack("{s:I, s:o}", "enterprise_id", (json_int_t)ent, "items", items));
	return 0;
}

static int handle_hazard_rectify(http_req *req, http_res *res, yj_err *e)
{
	body_ctx c = {.fn = enf_hazard_rectify};
	json_t *h;
	if (visible_hazard(req, &c.id, &h, e))
		return -1;
	json_decref(h);
	return apply_body(req, res, &c, enf_hazard_json, e);
}

static int handle_hazard_evidence(http_req *req, http_res *res, yj_err *e)
{
	ev_ctx c = {.owner = "hazard"};
	json_t *h;
	if (visible_hazard(req, &c.id, &h, e))
		return -1;
	bool closed = !strcmp(json_string_value(json_object_get(h, "state")), "verified_closed");
	json_decref(h);
	if (closed)
		return yj_fail(e, YJ_ECONFLICT, "state", "hazard %lld is closed", (long long)c.id);
	if (in_tx(req, tx_evidence, &c, e))
		return -1;
	char url[128];
	snprintf(url, sizeof url, "/api/v1/evidence/%s", c.sha);
	http_json(res, 201, json_pack("{s:s, s:s}", "sha256", c.sha, "url", url));
	return 0;
}

static int handle_hazard_verify(http_req *req, http_res *res, yj_err *e)
{
	body_ctx c = {.fn = enf_hazard_verify};
	json_t *h;
	if (visible_hazard(req, &c.id, &h, e))
		return -1;
	json_decref(h);
	return apply_body(req, res, &c, enf_hazard_json, e);
}

/* ---- duty checks ------------------------------------------------------------------------------------- */

static int tx_duty(store *s, http_req *req, void *ctx, yj_err *e)
{
	json_t **io = ctx;
	return enf_duty_check_create(s, req->user, io[0], &io[1], e);
}

static int handle_duty_check(http_req *req, http_res *res, yj_err *e)
{
	json_t *io[2] = {http_json_body(req, e), NULL};
	if (!io[0])
		return -1;
	int rc = in_tx(req, tx_duty, io, e);
	json_decref(io[0]);
	if (rc)
		return -1;
	http_json(res, 201, io[1]);
	return 0;
}

/* ---- cases ------------------------------------------------------------------------------------------- */

static json_t *case_with_timeline(store *s, int64_t id)
{
	return enf_case_json(s, id, true);
}

static int handle_case_create(http_req *req, http_res *res, yj_err *e)
{
	return create_from_body(req, res, enf_case_create, case_with_timeline, e);
}

static json_t *case_row(store *s, int64_t id)
{
	return enf_case_json(s, id, false);
}

static int handle_case_list(http_req *req, http_res *res, yj_err *e)
{
	const char *state = http_query(req, "state");
	const char *binds[] = {state};
	return list_ids(req,
	                "SELECT id FROM penalty_case WHERE substr(area_code, 1, length(?1)) = ?1 AND (?2 = 0 OR id < ?2) "
	                "AND (?4 IS NULL OR state = ?4) ORDER BY id DESC LIMIT ?3",
	                1, binds, case_row, res, e);
}

static int handle_review_queue(http_req *req, http_res *res, yj_err *e)
{
	const char *binds[] = {"legal_review"};
	return list_ids(req,
	                "SELECT id FROM penalty_case WHERE substr(area_code, 1, length(?1)) = ?1 AND (?2 = 0 OR id < ?2) "
	                "AND state = ?4 ORDER BY id LIMIT ?3",
	                1, binds, case_row, res, e);
}

static int visible_case(http_req *req, int64_t *id, yj_err *e)
{
	if (id_param(req, "id", id, e))
		return -1;
	json_t *c = enf_case_json(store_thread(), *id, false);
	bool ok = c && auth_area_visible(req->user, json_string_value(json_object_get(c, "area_code")));
	json_decref(c);
	return ok ? 0 : yj_fail(e, YJ_ENOTFOUND, "id", "no case %lld", (long long)*id);
}

static int handle_case_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (visible_case(req, &id, e))
		return -1;
	http_json(res, 200, enf_case_json(store_thread(), id, true));
	return 0;
}

typedef struct action_ctx {
	int64_t id;
	const char *action;
	json_t *body;
} action_ctx;

static int tx_action(store *s, http_req *req, void *ctx, yj_err *e)
{
	action_ctx *c = ctx;
	return enf_case_action(s, req->user, c->id, c->action, c->body, e);
}

static int handle_case_action(http_req *req, http_res *res, yj_err *e)
{
	action_ctx c = {.action = http_param(req, "action")};
	if (visible_case(req, &c.id, e))
		return -1;
	c.body = req->body_len ? http_json_body(req, e) : json_object();
	if (!c.body)
		return -1;
	int rc = in_tx(req, tx_action, &c, e);
	json_decref(c.body);
	if (rc)
		return -1;
	http_json(res, 200, enf_case_json(store_thread(), c.id, true));
	return 0;
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

static int tx_review(store *s, http_req *req, void *ctx, yj_err *e)
{
	action_ctx *c = ctx;
	int64_t rid;
	return enf_review_create(s, req->user, c->id, c->body, &rid, e);
}

static int handle_case_review(http_req *req, http_res *res, yj_err *e)
{
	action_ctx c = {0};
	if (visible_case(req, &c.id, e))
		return -1;
	if (!(c.body = http_json_body(req, e)))
		return -1;
	int rc = in_tx(req, tx_review, &c, e);
	json_decref(c.body);
	if (rc)
		return -1;
	http_json(res, 201, enf_case_json(store_thread(), c.id, true));
	return 0;
}

static int handle_review_summary(http_req *req, http_res *res, yj_err *e)
{
	long year = 0;
	if (http_query(req, "year") && yj_parse_long(http_query(req, "year"), 2000, 2100, &year, "year", e))
		return -1;
	sqlite3_stmt *st = store_stmt(store_thread(),
	                              "SELECT r.year, count(*), avg(r.score), min(r.score), max(r.score), "
	                              "json_group_array(json_object('case_id', r.case_id, 'score', r.score, 'problems', r.problems)) "
	                              "FROM case_review r JOIN penalty_case c ON c.id = r.case_id "
	                              "WHERE substr(c.area_code, 1, length(?1)) = ?1 AND (?2 = 0 OR r.year = ?2) GROUP BY r.year ORDER BY r.year",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, req->user->area_prefix);
	sqlite3_bind_int64(st, 2, year);
	json_t *items = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(items, json_pack("{s:i, s:I, s:f, s:f, s:f, s:o}", "year", sqlite3_column_int(st, 0), "reviewed",
		                                       (json_int_t)sqlite3_column_int64(st, 1), "average_score",
		                                       sqlite3_column_double(st, 2), "lowest", sqlite3_column_double(st, 3), "highest",
		                                       sqlite3_column_double(st, 4), "cases",
		                                       json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL)));
	sqlite3_reset(st);
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

/* ---- coercive measures -------------------------------------------------------------------------------- */

static json_t *id_only(store *s, int64_t id)
{
	(void)s;
	return json_pack("{s:I}", "id", (json_int_t)id);
}

static int handle_coercive_create(http_req *req, http_res *res, yj_err *e)
{
	return create_from_body(req, res, enf_coercive_create, id_only, e);
}

static int handle_coercive_list(http_req *req, http_res *res, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(store_thread(),
	                              "SELECT m.id, m.case_id, m.enterprise_id, e.name, m.kind, m.reason, m.start_ms, m.end_ms FROM coercive_measure m "
	                              "JOIN enterprise e ON e.id = m.enterprise_id WHERE substr(m.area_code, 1, length(?1)) = ?1 ORDER BY m.id DESC LIMIT 500",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, req->user->area_prefix);
	json_t *items = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(items, json_pack("{s:I, s:o, s:I, s:s, s:s, s:s, s:o, s:o}", "id",
		                                       (json_int_t)sqlite3_column_int64(st, 0), "case_id",
		                                       sqlite3_column_type(st, 1) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, 1)),
		                                       "enterprise_id", (json_int_t)sqlite3_column_int64(st, 2), "enterprise",
		                                       (const char *)sqlite3_column_text(st, 3), "kind",
		                                       (const char *)sqlite3_column_text(st, 4), "reason",
		                                       (const char *)sqlite3_column_text(st, 5), "start", enf_time(st, 6), "end",
		                                       enf_time(st, 7)));
	sqlite3_reset(st);
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

/* ---- catalogue, checklists, conflicts ------------------------------------------------------------------ */

static int handle_matters(http_req *req, http_res *res, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(store_thread(), "SELECT code, name, legal_basis, town_delegated FROM enforcement_matter ORDER BY code", e);
	if (!st)
		return -1;
	json_t *items = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:b}", "code", (const char *)sqlite3_column_text(st, 0), "name",
		                                       (const char *)sqlite3_column_text(st, 1), "legal_basis",
		                                       (const char *)sqlite3_column_text(st, 2), "town_delegated",
		                                       sqlite3_column_int(st, 3)));
	sqlite3_reset(st);
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int handle_checklist_get(http_req *req, http_res *res, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(store_thread(), "SELECT items, updated_ms FROM checklist_template WHERE sector = ?", e);
	if (!st)
		return -1;
	store_bind_text(st, 1, http_param(req, "sector"));
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_pack("{s:s, s:o, s:o}", "sector", http_param(req, "sector"), "items",
		              json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL), "updated", enf_time(st, 1));
	sqlite3_reset(st);
	if (!j)
		return yj_fail(e, YJ_ENOTFOUND, "sector", "no checklist for sector %.40s", http_param(req, "sector"));
	http_json(res, 200, j);
	return 0;
}

static int tx_checklist(store *s, http_req *req, void *ctx, yj_err *e)
{
	json_t *body = ctx;
	json_t *items = json_object_get(body, "items");
	if (json_object_size(body) != 1 || !json_is_array(items) || json_array_size(items) == 0 || json_array_size(items) > 300)
		return yj_fail(e, YJ_EINVAL, "items", "the body must be {\"items\": [ {\"item\": text, \"basis\"?: text}, ... ]}");
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) if (!json_is_string(json_object_get(it, "item"))) return yj_fail(e, YJ_EINVAL, "items", "items[%zu].item must be text", i);
	char *txt = json_dumps(items, JSON_COMPACT);
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO checklist_template(sector, items, updated_ms) VALUES (?,?,?) "
	                                 "ON CONFLICT(sector) DO UPDATE SET items = excluded.items, updated_ms = excluded.updated_ms",
	                              e);
	if (!st) {
		free(txt);
		return -1;
	}
	store_bind_text(st, 1, http_param(req, "sector"));
	sqlite3_bind_text(st, 2, txt, -1, free);
	sqlite3_bind_int64(st, 3, yj_now_ms());
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "checklist");
	return audit_append(s, req->user, "checklist.update", "checklist_template", http_param(req, "sector"), body, e);
}

static int handle_checklist_put(http_req *req, http_res *res, yj_err *e)
{
	static const char *const sectors[] = {"hazardous_chemicals", "fireworks", "non_coal_mine", "ammonia_refrigeration",
	                                      "dust_explosion", "confined_space", "metallurgy", "other", NULL};
	bool ok = false;
	for (int i = 0; sectors[i]; i++)
		ok |= !strcmp(sectors[i], http_param(req, "sector"));
	if (!ok)
		return yj_fail(e, YJ_EINVAL, "sector", "no sector %.40s", http_param(req, "sector"));
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	int rc = in_tx(req, tx_checklist, body, e);
	json_decref(body);
	return rc ? -1 : handle_checklist_get(req, res, e);
}

static int tx_conflict(store *s, http_req *req, void *ctx, yj_err *e)
{
	json_t *body = ctx;
	static const char *const keys[] = {"enterprise_id", "reason", NULL};
	if (enf_only_keys(body, keys, e))
		return -1;
	json_t *ent = json_object_get(body, "enterprise_id");
	const char *reason = json_string_value(json_object_get(body, "reason"));
	char area[16] = "";
	if (json_is_integer(ent))
		enf_enterprise_area(s, json_integer_value(ent), area);
	if (!area[0])
		return yj_fail(e, YJ_EINVAL, "enterprise_id", "field 'enterprise_id' must name an enterprise");
	if (!reason || !*reason || strlen(reason) > 1000)
		return yj_fail(e, YJ_EINVAL, "reason", "field 'reason' is required (e.g. a relative works there)");
	sqlite3_stmt *st = store_stmt(s, "INSERT OR REPLACE INTO conflict_of_interest(user_id, enterprise_id, reason, declared_ms) VALUES (?,?,?,?)", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, req->user->id);
	sqlite3_bind_int64(st, 2, json_integer_value(ent));
	store_bind_text(st, 3, reason);
	sqlite3_bind_int64(st, 4, yj_now_ms());
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "conflict");
	return enf_audit(s, req->user, "conflict.declare", "conflict_of_interest", json_integer_value(ent), body, e);
}

static int handle_conflict(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	int rc = in_tx(req, tx_conflict, body, e);
	json_decref(body);
	if (rc)
		return -1;
	res->status = 204;
	return 0;
}

/* ---- the year's figures ---------------------------------------------------------------------------------- */

static int handle_stats(http_req *req, http_res *res, yj_err *e)
{
	long year;
	char now[40];
	yj_time_format(yj_now_ms(), now);
	year = atol(now);
	if (http_query(req, "year") && yj_parse_long(http_query(req, "year"), 2000, 2100, &year, "year", e))
		return -1;
	const char *area = http_query(req, "area");
	char prefix[16];
	if (area) {
		if (http_require_area(req, area, "area", e))
			return -1;
		auth_area_prefix(area, prefix);
	} else {
		snprintf(prefix, sizeof prefix, "%s", req->user->area_prefix);
	}
	/* the year in the bureau's local time (UTC+8) */
	int64_t from = 0, to = 0;
	char t[40];
	snprintf(t, sizeof t, "%04ld-01-01T00:00:00+08:00", year);
	yj_time_parse(t, &from, "year", NULL);
	snprintf(t, sizeof t, "%04ld-01-01T00:00:00+08:00", year + 1);
	yj_time_parse(t, &to, "year", NULL);
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(
		s,
		"SELECT "
		"(SELECT count(DISTINCT enterprise_id) FROM inspection WHERE state = 'confirmed' AND kind IN ('draw', 'adhoc') "
		"  AND inspected_ms >= ?2 AND inspected_ms < ?3 AND substr(area_code, 1, length(?1)) = ?1), "
		"(SELECT count(*) FROM inspection WHERE state = 'confirmed' AND kind IN ('draw', 'adhoc') "
		"  AND inspected_ms >= ?2 AND inspected_ms < ?3 AND substr(area_code, 1, length(?1)) = ?1), "
		"(SELECT count(*) FROM hazard WHERE found_ms >= ?2 AND found_ms < ?3 AND substr(area_code, 1, length(?1)) = ?1), "
		"(SELECT count(*) FROM hazard WHERE found_ms >= ?2 AND found_ms < ?3 AND state = 'verified_closed' "
		"  AND substr(area_code, 1, length(?1)) = ?1), "
		"(SELECT count(*) FROM hazard WHERE found_ms >= ?2 AND found_ms < ?3 AND level = 'major' AND substr(area_code, 1, length(?1)) = ?1), "
		"(SELECT count(*) FROM coercive_measure WHERE start_ms >= ?2 AND start_ms < ?3 AND substr(area_code, 1, length(?1)) = ?1), "
		"(SELECT count(*) FROM penalty_case WHERE decided_ms >= ?2 AND decided_ms < ?3 AND substr(area_code, 1, length(?1)) = ?1), "
		"(SELECT coalesce(sum(fine_yuan), 0) FROM penalty_case WHERE decided_ms >= ?2 AND decided_ms < ?3 AND substr(area_code, 1, length(?1)) = ?1), "
		"(SELECT count(*) FROM penalty_case WHERE decided_ms >= ?2 AND decided_ms < ?3 AND bureau_own = 1 AND substr(area_code, 1, length(?1)) = ?1), "
		"(SELECT coalesce(sum(fine_yuan), 0) FROM penalty_case WHERE decided_ms >= ?2 AND decided_ms < ?3 AND bureau_own = 1 AND substr(area_code, 1, length(?1)) = ?1), "
		"(SELECT count(*) FROM inspection WHERE state = 'confirmed' AND kind = 'expert' AND inspected_ms >= ?2 AND inspected_ms < ?3 "
		"  AND substr(area_code, 1, length(?1)) = ?1), "
		"(SELECT count(*) FROM penalty_case WHERE decided_ms >= ?2 AND decided_ms < ?3 AND major = 1 AND substr(area_code, 1, length(?1)) = ?1)",
		e);
	if (!st)
		return -1;
	store_bind_text(st, 1, prefix);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_fail(s, e, "stats");
	}
	long long found = sqlite3_column_int64(st, 2), closed = sqlite3_column_int64(st, 3);
	double fines = sqlite3_column_double(st, 7), own_fines = sqlite3_column_double(st, 9);
	/* 整改率 = hazards rectified (verified closed) / hazards found, in percent with two decimals */
	double rate = found ? floor(10000.0 * (double)closed / (double)found + 0.5) / 100.0 : 0;
	json_t *j = json_pack("{s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:f, s:I, s:I, s:f}", "year", (int)year,
	                      "area", area ? area : req->user->area_code, "units_inspected",
	                      (json_int_t)sqlite3_column_int64(st, 0), "inspection_visits", (json_int_t)sqlite3_column_int64(st, 1),
	                      "hazards_found", (json_int_t)found, "hazards_rectified", (json_int_t)closed, "major_hazards",
	                      (json_int_t)sqlite3_column_int64(st, 4), "rectification_rate_pct", rate, "coercive_measures",
	                      (json_int_t)sqlite3_column_int64(st, 5), "expert_visits", (json_int_t)sqlite3_column_int64(st, 10),
	                      "penalty_cases", (json_int_t)sqlite3_column_int64(st, 6), "fines_wan_yuan",
	                      floor(fines / 100.0 + 0.5) / 100.0, "major_cases", (json_int_t)sqlite3_column_int64(st, 11),
	                      "bureau_own_cases", (json_int_t)sqlite3_column_int64(st, 8), "bureau_own_fines_wan_yuan",
	                      floor(own_fines / 100.0 + 0.5) / 100.0);
	sqlite3_reset(st);
	http_json(res, 200, j);
	return 0;
}

/* the inspectors one may go out with: certified, inside or above the caller's area */
static int handle_inspectors(http_req *req, http_res *res, yj_err *e)
{
	const char *area = http_query(req, "area");
	if (area && http_require_area(req, area, "area", e))
		return -1;
	sqlite3_stmt *st = store_stmt(store_thread(),
	                              "SELECT u.id, u.username, u.display_name, u.area_code, c.cert_no, c.expert, c.valid_to_ms "
	                              "FROM user u JOIN inspector_cert c ON c.user_id = u.id WHERE u.disabled = 0 AND "
	                              "(substr(u.area_code, 1, length(?1)) = ?1 OR substr(?2, 1, length(u.area_code)) = u.area_code "
	                              "OR (length(u.area_code) = 6 AND substr(u.area_code, 5, 2) = '00' AND substr(?2, 1, 4) = substr(u.area_code, 1, 4))) "
	                              "ORDER BY c.expert, u.area_code, u.id LIMIT 1000",
	                              e);
	if (!st)
		return -1;
	char prefix[16];
	auth_area_prefix(area ? area : req->user->area_code, prefix);
	store_bind_text(st, 1, prefix);
	store_bind_text(st, 2, area ? area : req->user->area_code);
	json_t *items = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		                                       "username", (const char *)sqlite3_column_text(st, 1), "display_name",
		                                       (const char *)sqlite3_column_text(st, 2), "area_code",
		                                       (const char *)sqlite3_column_text(st, 3), "cert_no",
		                                       (const char *)sqlite3_column_text(st, 4), "expert", sqlite3_column_int(st, 5),
		                                       "valid_to", enf_time(st, 6)));
	sqlite3_reset(st);
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

void enf_api_register(void)
{
	http_route("GET", "/api/v1/inspectors", handle_inspectors, ROLES_STAFF, NULL);
	unsigned staff = ROLES_STAFF;
	http_route("GET", "/api/v1/enforcement-matters", handle_matters, staff, NULL);
	http_route("GET", "/api/v1/checklists/{sector}", handle_checklist_get, staff, NULL);
	http_route("PUT", "/api/v1/checklists/{sector}", handle_checklist_put, ROLE_BIT(ROLE_ADMIN), NULL);
	http_route("POST", "/api/v1/conflicts", handle_conflict, ROLE_BIT(ROLE_INSPECTOR), NULL);
	http_route("POST", "/api/v1/inspection-plans", handle_plan_create, INSPECTORS, NULL);
	http_route("GET", "/api/v1/inspection-plans", handle_plan_list, staff, NULL);
	http_route("GET", "/api/v1/inspection-plans/{id}", handle_plan_get, staff, NULL);
	http_route("POST", "/api/v1/inspection-plans/{id}/draw", handle_draw, ROLE_BIT(ROLE_COMMANDER), NULL);
	http_route("GET", "/api/v1/draws", handle_draw_list, staff, NULL);
	http_route("GET", "/api/v1/draws/{id}", handle_draw_get, staff, NULL);
	http_route("GET", "/api/v1/draws/{id}/verify", handle_draw_verify, HTTP_PUBLIC, NULL);
	http_route("POST", "/api/v1/inspections", handle_inspection_create, INSPECTORS, NULL);
	http_route("GET", "/api/v1/inspections", handle_inspection_list, staff, NULL);
	http_route("GET", "/api/v1/inspections/{id}", handle_inspection_get, staff, NULL);
	http_route("PATCH", "/api/v1/inspections/{id}", handle_inspection_record, INSPECTORS | ROLE_BIT(ROLE_DUTY_OFFICER), NULL);
	http_route("POST", "/api/v1/inspections/{id}/confirm", handle_inspection_confirm, INSPECTORS | ROLE_BIT(ROLE_DUTY_OFFICER), NULL);
	http_route("POST", "/api/v1/inspections/{id}/hazards", handle_hazard_create, INSPECTORS | ROLE_BIT(ROLE_DUTY_OFFICER), NULL);
	http_route("POST", "/api/v1/inspections/{id}/evidence", handle_inspection_evidence, INSPECTORS, NULL);
	http_route_body_limit(EVIDENCE_LIMIT);
	http_route("GET", "/api/v1/evidence/{sha256}", handle_evidence_get, staff | ROLE_BIT(ROLE_ENTERPRISE), NULL);
	http_route("GET", "/api/v1/hazards", handle_hazard_list, staff, NULL);
	http_route("GET", "/api/v1/me/hazards", handle_my_hazards, ROLE_BIT(ROLE_ENTERPRISE), NULL);
	http_route("GET", "/api/v1/hazards/{id}", handle_hazard_get, staff | ROLE_BIT(ROLE_ENTERPRISE), NULL);
	http_route("POST", "/api/v1/hazards/{id}/rectification", handle_hazard_rectify, ROLE_BIT(ROLE_ENTERPRISE) | INSPECTORS, NULL);
	http_route("POST", "/api/v1/hazards/{id}/evidence", handle_hazard_evidence, ROLE_BIT(ROLE_ENTERPRISE) | INSPECTORS, NULL);
	http_route_body_limit(EVIDENCE_LIMIT);
	http_route("POST", "/api/v1/hazards/{id}/verify", handle_hazard_verify, INSPECTORS, NULL);
	http_route("POST", "/api/v1/duty-checks", handle_duty_check, ROLE_BIT(ROLE_DUTY_OFFICER) | ROLE_BIT(ROLE_COMMANDER), NULL);
	http_route("POST", "/api/v1/cases", handle_case_create, INSPECTORS, NULL);
	http_route("GET", "/api/v1/cases", handle_case_list, CASE_ROLES, NULL);
	http_route("GET", "/api/v1/legal-review/queue", handle_review_queue, ROLE_BIT(ROLE_LEGAL_REVIEWER) | ROLE_BIT(ROLE_COMMANDER), NULL);
	http_route("GET", "/api/v1/cases/{id}", handle_case_get, CASE_ROLES, NULL);
	http_route("POST", "/api/v1/cases/{id}/{action}", handle_case_action, CASE_ROLES, NULL);
	http_route("GET", "/api/v1/cases/{id}/decision.pdf", handle_case_pdf, CASE_ROLES, NULL);
	http_route("POST", "/api/v1/cases/{id}/reviews", handle_case_review, ROLE_BIT(ROLE_LEGAL_REVIEWER) | ROLE_BIT(ROLE_COMMANDER), NULL);
	http_route("GET", "/api/v1/case-reviews/summary", handle_review_summary, CASE_ROLES, NULL);
	http_route("POST", "/api/v1/coercive-measures", handle_coercive_create, INSPECTORS, NULL);
	http_route("GET", "/api/v1/coercive-measures", handle_coercive_list, CASE_ROLES, NULL);
	http_route("GET", "/api/v1/stats/enforcement", handle_stats, staff, NULL);
	enf_public_register();
}
