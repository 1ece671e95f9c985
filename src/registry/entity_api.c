/*
 * entity_api.c — HTTP endpoints of every registry entity, from its
 * description:
 *   GET    /api/v1/{entity}?area=&q=&bbox=&<field>=&limit=&cursor=[&format=csv|geojson|xlsx]
 *   POST   /api/v1/{entity}
 *   GET    /api/v1/{entity}/{id}
 *   PATCH  /api/v1/{entity}/{id}
 *   DELETE /api/v1/{entity}/{id}
 *   POST   /api/v1/import/{entity}     CSV or GeoJSON, all or nothing
 * Readers and writers are declared per entity and checked by the HTTP layer.
 */
#include <stdlib.h>
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

static const char *query_param(const void *ctx, const char *name)
{
	return http_query(ctx, name);
}

static int parse_id(const http_req *req, int64_t *id, yj_err *e)
{
	long v;
	if (yj_parse_long(http_param(req, "id"), 1, 0x7fffffffffffffffL, &v, "id", e))
		return -1;
	*id = v;
	return 0;
}

static int unprocessable(http_res *res, reg_problems *p, const char *message)
{
	http_json(res, 422, reg_problems_json(p, message));
	reg_problems_free(p);
	return 0;
}

static int collect_row(void *ctx, json_t *row)
{
	json_array_append(ctx, row);
	return 0;
}

static int handle_list(http_req *req, http_res *res, yj_err *e)
{
	const reg_entity *ent = path_entity(req);
	const char *format = http_query(req, "format");
	reg_export_format fmt = REG_EXPORT_CSV;
	bool export = format != NULL;
	if (export) {
		if (strcmp(format, "csv") == 0)
			fmt = REG_EXPORT_CSV;
		else if (strcmp(format, "geojson") == 0)
			fmt = REG_EXPORT_GEOJSON;
		else if (strcmp(format, "xlsx") == 0)
			fmt = REG_EXPORT_XLSX;
		else
			return yj_fail(e, YJ_EINVAL, "format", "field 'format': '%.20s' is not csv, geojson or xlsx",
			               format);
	}
	reg_query q;
	if (reg_query_parse(ent, query_param, req, req->user, export ? EXPORT_MAX_ROWS : 50,
	                    export ? EXPORT_MAX_ROWS : 1000, &q, e))
		return -1;
	json_t *items = json_array();
	int64_t next = 0;
	long n = reg_list(store_thread(), ent, req->user, &q, collect_row, items, &next, e);
	if (n < 0) {
		json_decref(items);
		return -1;
	}
	if (export) {
		if (next) {
			json_decref(items);
			return yj_fail(e, YJ_EINVAL, "limit", "more than %d rows: narrow the export with area or filters",
			               EXPORT_MAX_ROWS);
		}
		const char *ctype;
		int rc = reg_export_render(ent, fmt, items, &res->body, &res->body_len, &ctype, e);
		json_decref(items);
		if (rc)
			return -1;
		res->status = 200;
		res->content_type = ctype;
		char disp[128];
		snprintf(disp, sizeof disp, "attachment; filename=\"%s.%s\"", ent->name, format);
		http_add_header(req, res, "Content-Disposition", disp);
		return 0;
	}
	json_t *cursor = next ? json_sprintf("%lld", (long long)next) : json_null();
	http_json(res, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", cursor));
	return 0;
}

static int handle_create(http_req *req, http_res *res, yj_err *e)
{
	const reg_entity *ent = path_entity(req);
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	store *s = store_thread();
	reg_problems p = {0};
	if (reg_validate(s, ent, req->user, body, false, 0, &p)) {
		json_decref(body);
		return unprocessable(res, &p, "the object has problems; nothing was written");
	}
	int64_t id;
	int rc = -1;
	if (store_begin(s, e) == 0) {
		if (reg_insert(s, ent, req->user, body, &id, e) || store_commit(s, e))
			store_rollback(s);
		else
			rc = 0;
	}
	json_decref(body);
	if (rc)
		return -1;
	char loc[96];
	snprintf(loc, sizeof loc, "/api/v1/%s/%lld", ent->name, (long long)id);
	http_add_header(req, res, "Location", loc);
	http_json(res, 201, reg_get(s, ent, NULL, id));
	return 0;
}

static int handle_get(http_req *req, http_res *res, yj_err *e)
{
	const reg_entity *ent = path_entity(req);
	int64_t id;
	if (parse_id(req, &id, e))
		return -1;
	store *s = store_thread();
	json_t *j = reg_get(s, ent, req->user, id);
	if (!j)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no %s with id %lld", ent->name, (long long)id);
	/* people referred to (a risk point's grid worker): name and phone beside the id */
	for (const reg_field *f = ent->fields; f->name; f++) {
		json_t *v = json_object_get(j, f->name);
		if (f->kind != F_REF || strcmp(f->ref, "users") != 0 || !json_is_integer(v))
			continue;
		sqlite3_stmt *st = store_stmt(s, "SELECT display_name, phone, area_code FROM user WHERE id = ?", NULL);
		if (!st)
			continue;
		sqlite3_bind_int64(st, 1, json_integer_value(v));
		if (sqlite3_step(st) == SQLITE_ROW) {
			char key[64];
			size_t n = strlen(f->name);
			snprintf(key, sizeof key, "%.*s", (int)(n > 3 && !strcmp(f->name + n - 3, "_id") ? n - 3 : n), f->name);
			json_object_set_new(j, key, json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)json_integer_value(v),
			                                      "display_name", (const char *)sqlite3_column_text(st, 0), "phone",
			                                      (const char *)sqlite3_column_text(st, 1), "area_code",
			                                      (const char *)sqlite3_column_text(st, 2)));
		}
		sqlite3_reset(st);
	}
	http_json(res, 200, j);
	return 0;
}

static int handle_patch(http_req *req, http_res *res, yj_err *e)
{
	const reg_entity *ent = path_entity(req);
	int64_t id;
	if (parse_id(req, &id, e))
		return -1;
	store *s = store_thread();
	json_t *cur = reg_get(s, ent, req->user, id);
	if (!cur)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no %s with id %lld", ent->name, (long long)id);
	json_decref(cur);
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	reg_problems p = {0};
	if (reg_validate(s, ent, req->user, body, true, 0, &p)) {
		json_decref(body);
		return unprocessable(res, &p, "the change has problems; nothing was written");
	}
	int rc = -1;
	if (store_begin(s, e) == 0) {
		if (reg_update(s, ent, req->user, id, body, e) || store_commit(s, e))
			store_rollback(s);
		else
			rc = 0;
	}
	json_decref(body);
	if (rc)
		return -1;
	http_json(res, 200, reg_get(s, ent, NULL, id));
	return 0;
}

static int handle_delete(http_req *req, http_res *res, yj_err *e)
{
	const reg_entity *ent = path_entity(req);
	int64_t id;
	if (parse_id(req, &id, e))
		return -1;
	store *s = store_thread();
	if (store_begin(s, e))
		return -1;
	if (reg_delete(s, ent, req->user, id, e) || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	res->status = 204;
	return 0;
}

static int handle_import(http_req *req, http_res *res, yj_err *e)
{
	const reg_entity *ent = path_entity(req);
	reg_problems p = {0};
	json_t *rows = reg_import_parse(ent, http_header(req, "Content-Type"), req->body,
	                                req->body_len, &p, e);
	if (!rows) {
		reg_problems_free(&p);
		return -1;
	}
	store *s = store_thread();
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		json_t *line = json_object_get(row, "_row");
		long rownum = json_is_integer(line) ? (long)json_integer_value(line) : (long)i + 1;
		json_object_del(row, "_row");
		reg_validate(s, ent, req->user, row, false, rownum, &p);
		json_object_set_new(row, "_row", json_integer(rownum));
	}
	if (json_array_size(rows) == 0)
		reg_problems_add(&p, 0, "body", "the file has no data rows");
	if (p.count) {
		json_decref(rows);
		return unprocessable(res, &p, "the file has problems; nothing was imported");
	}
	if (store_begin(s, e)) {
		json_decref(rows);
		return -1;
	}
	json_array_foreach(rows, i, row) {
		long rownum = (long)json_integer_value(json_object_get(row, "_row"));
		json_object_del(row, "_row");
		yj_err ie = {0};
		if (reg_insert(s, ent, req->user, row, NULL, &ie))
			reg_problems_add(&p, rownum, ie.field, "%s", ie.message);
	}
	json_decref(rows);
	if (p.count) {
		store_rollback(s);
		return unprocessable(res, &p, "the file has problems; nothing was imported");
	}
	if (store_commit(s, e))
		return -1;
	http_json(res, 201, json_pack("{s:s, s:I}", "entity", ent->name, "imported", (json_int_t)i));
	return 0;
}

void reg_api_register(void)
{
	reg_init();
	for (int i = 0; reg_entities[i]; i++) {
		const reg_entity *ent = reg_entities[i];
		/* the route table keeps these patterns for the life of the process */
		char *coll = NULL, *one = NULL, *imp = NULL;
		if (asprintf(&coll, "/api/v1/%s", ent->name) < 0 ||
		    asprintf(&one, "/api/v1/%s/{id}", ent->name) < 0 ||
		    asprintf(&imp, "/api/v1/import/%s", ent->name) < 0)
			abort();
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
}
