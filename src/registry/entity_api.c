/*
 * entity_api.c — HTTP endpoints of every registry entity, from its
 * description:
 *   GET    /api/v1/{entity}?area=&q=&bbox=&<field>=&limit=&cursor=[&format=csv|geojson|xlsx]
 *   POST   /api/v1/{entity}
 *   GET    /api/v1/{entity}/{id}
 *   PATCH  /api/v1/{entity}/{id}
 *   DELETE /api/v1/{entity}/{id}
 *   POST   /api/v1/import/{entity}     CSV or GeoJSON, all or nothing: a row with 编号 updates
 *                                      that object, one without creates; ?dry_run=1 tells per row
 * Readers and writers are declared per entity and checked by the HTTP
 * layer; every list and export is scoped by http_scope (?area= or the
 * caller's own area), every read and write by the caller's own area.
 */
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "registry/registry_int.h"

#define IMPORT_BODY_LIMIT (64u << 20)
#define EXPORT_MAX_ROWS 200000

/* the entity named by the path: /api/v1/<name>[/...] or /api/v1/import/<name> */
static const reg_entity *path_entity(const http_req *req)
{
	const char *p = req->path + strlen("/api/v1/");
	if (strncmp(p, "import/", 7) == 0)
		p += 7;
	char name[64];
	size_t n = strcspn(p, "/");
	if (n >= sizeof name)
		return NULL;
	memcpy(name, p, n);
	name[n] = 0;
	return reg_entity_find(name);
}

static int unprocessable(http_req *req, http_res *res, reg_problems *p, const char *message)
{
	if (p->zh)
		http_add_header(req, res, "Content-Language", "zh-CN");
	http_json(res, 422, reg_problems_json(p, message));
	reg_problems_free(p);
	return 0;
}

static int collect_row(void *ctx, json_t *row)
{
	json_array_append(ctx, row);
	return 0;
}

/* the list parameters: scope, q, bbox, one field filter, paging */
static int list_query(const http_req *req, const reg_entity *ent, bool export, reg_query *q, yj_err *e)
{
	memset(q, 0, sizeof *q);
	if (http_scope(req, &q->scope, e) || http_query_text(req, "q", 100, &q->q, e) < 0)
		return -1;
	int has = http_query_bbox(req, "bbox", q->bbox, e);
	if (has < 0)
		return -1;
	q->has_bbox = has > 0;
	http_page pg;
	if (http_paging(req, export ? EXPORT_MAX_ROWS : 50, export ? EXPORT_MAX_ROWS : 1000, &pg, e))
		return -1;
	q->limit = pg.limit;
	q->cursor = pg.cursor;
	for (const reg_field *f = ent->fields; f->name; f++) {
		if (!f->filter || !http_query(req, f->name))
			continue;
		if (q->filter)
			return yj_fail(e, YJ_EINVAL, f->name, "filter by one field at a time (%s and %s given)", q->filter->name,
			               f->name);
		q->filter = f;
		int rc;
		if (f->kind == F_ENUM || f->kind == F_ENUM_SET) {
			int i = 0;
			rc = http_query_enum(req, f->name, f->values, &i, e);
			q->filter_text = f->values[i];
		} else if (f->kind == F_INT || f->kind == F_REF || f->kind == F_REF_SET) {
			long v = 0;
			rc = http_query_long(req, f->name, -0x7fffffffL, 0x7fffffffL, &v, e);
			q->filter_int = v;
		} else {
			rc = http_query_text(req, f->name, 200, &q->filter_text, e);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int handle_list(http_req *req, http_res *res, yj_err *e)
{
	static const char *const formats[] = {"csv", "geojson", "xlsx", NULL};
	static const reg_export_format format_of[] = {REG_EXPORT_CSV, REG_EXPORT_GEOJSON, REG_EXPORT_XLSX};
	const reg_entity *ent = path_entity(req);
	int fmt = 0;
	int export = http_query_enum(req, "format", formats, &fmt, e);
	reg_query q;
	if (export < 0 || list_query(req, ent, export, &q, e))
		return -1;
	store *s = store_thread();
	json_t *items = json_array();
	int64_t next = 0, total = 0;
	if (reg_list(s, ent, &q, collect_row, items, &next, e) < 0 || (!export && reg_count(s, ent, &q, &total, e))) {
		json_decref(items);
		return -1;
	}
	if (export) {
		if (next) {
			json_decref(items);
			return yj_fail(e, YJ_EINVAL, "limit", "more than %ld rows: narrow the export with area or filters", q.limit);
		}
		const char *ctype;
		/* the name beside every id a row refers to (所属企业名称) */
		if (reg_add_ref_names(s, ent, items, e)) {
			json_decref(items);
			return -1;
		}
		int rc = reg_export_render(ent, format_of[fmt], items, &res->body, &res->body_len, &ctype, e);
		json_decref(items);
		if (rc)
			return -1;
		res->status = 200;
		res->content_type = ctype;
		char disp[128];
		snprintf(disp, sizeof disp, "attachment; filename=\"%s.%s\"", ent->name, formats[fmt]);
		http_add_header(req, res, "Content-Disposition", disp);
		return 0;
	}
	char count[24];
	snprintf(count, sizeof count, "%lld", (long long)total);
	http_add_header(req, res, "X-Total-Count", count);
	http_json(res, 200, http_page_json(items, next));
	return 0;
}

/* the one object the path names, in the caller's own jurisdiction; 404 otherwise */
static int path_object(http_req *req, const reg_entity *ent, auth_scope *sc, int64_t *id, json_t **out, yj_err *e)
{
	if (http_path_id(req, "id", id, e) || http_scope_of(req, NULL, "area", sc, e))
		return -1;
	int rc = reg_get(store_thread(), ent, sc, *id, out, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return reg_not_found(ent, *id, e);
	return 0;
}

/* the stored object after a write: read again (the answer shows what was stored) */
static int answer_object(http_res *res, int status, const reg_entity *ent, int64_t id, yj_err *e)
{
	json_t *j;
	int rc = reg_get(store_thread(), ent, NULL, id, &j, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return reg_not_found(ent, id, e);
	http_json(res, status, j);
	return 0;
}

/*
 * A create (id 0) or a change of object id from the request's JSON body: validated (problems:
 * a 422 answer, nothing written), then written and committed. *id gets the object's id.
 * 0 written, 1 answered with the problems, -1 with *e.
 */
static int write_body(http_req *req, http_res *res, const reg_entity *ent, const auth_scope *sc, int64_t *id,
                      yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	store *s = store_thread();
	reg_problems p = {.zh = req->zh};
	bool change = *id != 0;
	long bad = reg_validate(s, ent, sc, body, change, 0, &p, e);
	if (bad != 0) {
		json_decref(body);
		if (bad < 0) {
			reg_problems_free(&p);
			return -1;
		}
		unprocessable(req, res, &p, change ? "修改有问题, 没有写入" : "对象有问题, 没有写入");
		return 1;
	}
	int rc = -1;
	if (store_begin(s, e) == 0) {
		if ((change ? reg_update(s, ent, req->user, sc, *id, body, e) : reg_insert(s, ent, req->user, body, id, e)) ||
		    store_commit(s, e))
			store_rollback(s);
		else
			rc = 0;
	}
	json_decref(body);
	return rc;
}

static int handle_create(http_req *req, http_res *res, yj_err *e)
{
	const reg_entity *ent = path_entity(req);
	auth_scope sc;
	if (http_scope_of(req, NULL, "area", &sc, e))
		return -1;
	int64_t id = 0;
	int rc = write_body(req, res, ent, &sc, &id, e);
	if (rc)
		return rc < 0 ? -1 : 0;
	char loc[96];
	snprintf(loc, sizeof loc, "/api/v1/%s/%lld", ent->name, (long long)id);
	http_add_header(req, res, "Location", loc);
	return answer_object(res, 201, ent, id, e);
}

static int handle_get(http_req *req, http_res *res, yj_err *e)
{
	const reg_entity *ent = path_entity(req);
	auth_scope sc;
	int64_t id;
	json_t *j;
	if (path_object(req, ent, &sc, &id, &j, e))
		return -1;
	/* people referred to (a risk point's grid worker): name and phone beside the id */
	if (reg_add_people(store_thread(), ent, j, e)) {
		json_decref(j);
		return -1;
	}
	http_json(res, 200, j);
	return 0;
}

static int handle_patch(http_req *req, http_res *res, yj_err *e)
{
	const reg_entity *ent = path_entity(req);
	auth_scope sc;
	int64_t id;
	json_t *cur;
	if (path_object(req, ent, &sc, &id, &cur, e))
		return -1;
	json_decref(cur);
	int rc = write_body(req, res, ent, &sc, &id, e);
	if (rc)
		return rc < 0 ? -1 : 0;
	return answer_object(res, 200, ent, id, e);
}

static int handle_delete(http_req *req, http_res *res, yj_err *e)
{
	const reg_entity *ent = path_entity(req);
	auth_scope sc;
	int64_t id;
	if (http_path_id(req, "id", &id, e) || http_scope_of(req, NULL, "area", &sc, e))
		return -1;
	store *s = store_thread();
	if (store_begin(s, e))
		return -1;
	if (reg_delete(s, ent, req->user, &sc, id, e) || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	res->status = 204;
	return 0;
}

/* POST /api/v1/import/{entity}[?dry_run=1]: 编号 decides, a row with one updates, one without
 * creates; all or nothing; a dry run says per row what would happen and writes nothing */
static int handle_import(http_req *req, http_res *res, yj_err *e)
{
	const reg_entity *ent = path_entity(req);
	auth_scope sc;
	bool dry_run = false;
	if (http_scope_of(req, NULL, "area", &sc, e) || http_query_bool(req, "dry_run", &dry_run, e) < 0)
		return -1;
	reg_problems p = {.zh = req->zh};
	json_t *rows = reg_import_parse(ent, http_header(req, "Content-Type"), req->body, req->body_len, &p, e);
	if (!rows) {
		reg_problems_free(&p);
		return -1;
	}
	store *s = store_thread();
	json_t *out = NULL;
	if (dry_run) {
		out = reg_import_apply(s, ent, req->user, &sc, rows, true, &p, e);
	} else if (store_begin(s, e) == 0) {
		out = reg_import_apply(s, ent, req->user, &sc, rows, false, &p, e);
		if (!json_is_object(out) || store_commit(s, e)) {
			store_rollback(s);
			if (json_is_object(out)) {
				json_decref(out);
				out = NULL;
			}
		}
	}
	json_decref(rows);
	if (!out) {
		reg_problems_free(&p);
		return -1;
	}
	if (json_is_null(out)) {
		json_decref(out);
		return unprocessable(req, res, &p, "文件有问题, 没有导入任何数据");
	}
	reg_problems_free(&p);
	json_int_t created = json_integer_value(json_object_get(out, "created"));
	http_json(res, !dry_run && created > 0 ? 201 : 200, out);
	return 0;
}

/* "/api/v1/<name><suffix>", kept by the route table for the life of the process */
static char *route_path(const char *prefix, const char *name, const char *suffix)
{
	size_t n = strlen(prefix) + strlen(name) + strlen(suffix) + 1;
	char *p = yj_malloc(n);
	snprintf(p, n, "%s%s%s", prefix, name, suffix);
	return p;
}

void reg_api_register(void)
{
	reg_init();
	reg_authority_routes();
	for (int i = 0; reg_entities[i]; i++) {
		const reg_entity *ent = reg_entities[i];
		char *coll = route_path("/api/v1/", ent->name, ""), *one = route_path("/api/v1/", ent->name, "/{id}"),
		     *imp = route_path("/api/v1/import/", ent->name, "");
		http_route("GET", coll, handle_list, ent->read_roles, NULL);
		http_route("POST", coll, handle_create, ent->write_roles, NULL);
		http_route("GET", one, handle_get, ent->read_roles, NULL);
		http_route("PATCH", one, handle_patch, ent->write_roles, NULL);
		http_route("DELETE", one, handle_delete, ent->write_roles, NULL);
		http_route("POST", imp, handle_import, ent->write_roles, NULL);
		http_route_body_limit(IMPORT_BODY_LIMIT);
	}
	reg_layer_api_register();
	reg_area_api_register();
	reg_mu_api_register();
}
