/*
 * entity.c — the registry engine's writes and reads: one set of rules for
 * every entity described in entity_spec.c.
 *
 * Writes happen in the caller's transaction and are followed by their
 * audit record (the type's projection, read from the stored row). Reads
 * are scoped: an object outside the caller's jurisdiction is reported as
 * missing. Validation is in entity_check.c, the SQL in entity_db.c.
 */
#include <stdio.h>
#include <string.h>

#include "registry/registry_int.h"

static int audit_row(store *s, const reg_entity *ent, const auth_user *actor, const char *verb, int64_t id, yj_err *e)
{
	char action[64];
	snprintf(action, sizeof action, "%s.%s", ent->object_type, verb);
	return audit_record_id(s, actor, action, ent->object_type, id, e);
}

int reg_get(store *s, const reg_entity *ent, const auth_scope *scope, int64_t id, json_t **out, yj_err *e)
{
	int rc = reg_db_get(s, ent, id, out, e);
	if (rc > 0 && scope && !auth_scope_contains(scope, json_string_value(json_object_get(*out, "area_code")))) {
		json_decref(*out);
		*out = NULL;
		return 0;
	}
	return rc;
}

int reg_add_people(store *s, const reg_entity *ent, json_t *row, yj_err *e)
{
	for (const reg_field *f = ent->fields; f->name; f++) {
		json_t *v = json_object_get(row, f->name);
		if (f->kind != F_REF || strcmp(f->ref, "users") != 0 || !json_is_integer(v))
			continue;
		auth_user_row u;
		int rc = auth_user_get(s, json_integer_value(v), &u, e);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		/* "grid_worker_id" -> "grid_worker" */
		char key[64];
		size_t n = strlen(f->name);
		snprintf(key, sizeof key, "%.*s", (int)(n > 3 && !strcmp(f->name + n - 3, "_id") ? n - 3 : n), f->name);
		json_t *person = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)u.id, "display_name", u.display_name,
		                           "phone", u.phone, "area_code", u.area_code);
		if (person)
			json_object_set_new(row, key, person);
	}
	return 0;
}

void reg_ref_name_member(const reg_field *f, char out[64])
{
	/* enterprise_id -> enterprise_name, shelter_ids -> shelter_names */
	size_t n = strlen(f->name);
	bool set = n > 4 && strcmp(f->name + n - 4, "_ids") == 0, one = n > 3 && strcmp(f->name + n - 3, "_id") == 0;
	size_t base = set ? n - 4 : one ? n - 3 : n;
	snprintf(out, 64, "%.*s_name%s", (int)base, f->name, set ? "s" : "");
}

/* the name of what reference field f's id leads to, looked up once per id (cache: "id" -> name) */
static int ref_name(store *s, const reg_field *f, json_t *cache, json_int_t id, strbuf *out, yj_err *e)
{
	char key[24], name[208] = "";
	snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, id);
	json_t *known = json_object_get(cache, key);
	if (!known) {
		const reg_entity *target = reg_entity_find(f->ref);
		if (strcmp(f->ref, "users") == 0)
			auth_user_label(s, id, name, sizeof name);
		else if (target && reg_db_name_of(s, target, id, name, sizeof name, e) < 0)
			return -1;
		known = json_string(name);
		json_object_set_new(cache, key, known ? known : json_string(""));
		known = json_object_get(cache, key);
	}
	strbuf_puts(out, json_string_value(known));
	return 0;
}

int reg_add_ref_names(store *s, const reg_entity *ent, json_t *rows, yj_err *e)
{
	for (const reg_field *f = ent->fields; f->name; f++) {
		if (f->kind != F_REF && f->kind != F_REF_SET)
			continue;
		char member[64];
		reg_ref_name_member(f, member);
		json_t *cache = json_object();
		strbuf text;
		strbuf_init(&text);
		size_t i;
		json_t *row;
		int rc = 0;
		json_array_foreach(rows, i, row) {
			json_t *v = json_object_get(row, f->name);
			text.len = 0;
			strbuf_puts(&text, "");
			if (json_is_integer(v)) {
				rc = ref_name(s, f, cache, json_integer_value(v), &text, e);
			} else if (json_is_array(v)) {
				size_t k;
				json_t *id;
				json_array_foreach(v, k, id) {
					if (k)
						strbuf_puts(&text, ";");
					if (json_is_integer(id) && (rc = ref_name(s, f, cache, json_integer_value(id), &text, e)))
						break;
				}
			}
			if (rc)
				break;
			json_object_set_new(row, member, text.len ? json_string(text.data) : json_null());
		}
		strbuf_free(&text);
		json_decref(cache);
		if (rc)
			return -1;
	}
	return 0;
}

int reg_insert(store *s, const reg_entity *ent, const auth_user *actor, json_t *obj, int64_t *id_out, yj_err *e)
{
	int64_t now = yj_now_ms(), id;
	if (reg_db_insert(s, ent, obj, now, now, &id, e))
		return -1;
	if (id_out)
		*id_out = id;
	return audit_row(s, ent, actor, "create", id, e);
}

/* the object id in scope into *cur (new reference); YJ_ENOTFOUND when there is none */
static int get_or_fail(store *s, const reg_entity *ent, const auth_scope *scope, int64_t id, json_t **cur, yj_err *e)
{
	int rc = reg_get(s, ent, scope, id, cur, e);
	if (rc == 0)
		return reg_not_found(ent, id, e);
	return rc < 0 ? -1 : 0;
}

int reg_update(store *s, const reg_entity *ent, const auth_user *actor, const auth_scope *scope, int64_t id,
               json_t *patch, yj_err *e)
{
	json_t *cur;
	if (get_or_fail(s, ent, scope, id, &cur, e))
		return -1;
	int64_t created = 0;
	yj_time_parse(json_string_value(json_object_get(cur, "created")), &created, "created", NULL);
	json_object_update(cur, patch);
	int64_t n = reg_db_update(s, ent, id, cur, created, yj_now_ms(), e);
	json_decref(cur);
	if (n < 0)
		return -1;
	if (n == 0)
		return reg_not_found(ent, id, e);
	return audit_row(s, ent, actor, "update", id, e);
}

int reg_delete(store *s, const reg_entity *ent, const auth_user *actor, const auth_scope *scope, int64_t id, yj_err *e)
{
	json_t *cur;
	if (get_or_fail(s, ent, scope, id, &cur, e))
		return -1;
	json_decref(cur);
	int64_t refs;
	const char *who;
	if (reg_db_references(s, ent, id, &refs, &who, e))
		return -1;
	if (refs > 0) {
		yj_fail(e, YJ_ECONFLICT, "id", "%s %lld is still referenced by %lld %s", ent->name, (long long)id,
		        (long long)refs, who);
		const reg_entity *by = reg_entity_find(who);
		yj_err_set_zh(e, "%s %lld is still referenced by %lld %s", ent->label, (long long)id, (long long)refs,
		              by ? by->label : who);
		return -1;
	}
	int64_t n = reg_db_delete(s, ent, id, e);
	if (n < 0)
		return -1;
	if (n == 0)
		return reg_not_found(ent, id, e);
	return audit_row(s, ent, actor, "delete", id, e);
}

void reg_init(void)
{
	reg_authority_init();
	static bool done;
	if (done)
		return;
	done = true;
	reg_audit_init();
	reg_layer_db_init();
}

int reg_not_found(const reg_entity *ent, int64_t id, yj_err *e)
{
	yj_fail(e, YJ_ENOTFOUND, "id", "no %s with id %lld", ent->name, (long long)id);
	yj_err_set_zh(e, "no %s with id %lld", ent->label, (long long)id); /* 企业, 避难场所 ... */
	return -1;
}
