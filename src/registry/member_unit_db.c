/*
 * member_unit_db.c — the SQL of table member_unit (成员单位: the emergency
 * committee's member units, webhook receivers of warnings). Dispatch reads
 * them through reg_member_unit_get / reg_member_units_each (reg_lookup.c).
 */
#include "registry/registry_int.h"

#define MU_COLS "id, name, area_code, webhook_url, enabled"

static json_t *unit_json(store_q *q)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(store_col_int(q, 0)));
	const char *texts[] = {"name", "area_code", "webhook_url"};
	for (int i = 0; i < 3; i++) {
		json_t *v = json_string(store_col_str(q, 1 + i));
		json_object_set_new(j, texts[i], v ? v : json_null());
	}
	json_object_set_new(j, "enabled", json_boolean(store_col_int(q, 4) != 0));
	return j;
}

int reg_mu_db_insert(store *s, const reg_mu_input *in, int64_t created, int64_t *id, yj_err *e)
{
	int rc = store_get_int(s, id, e,
	                       "INSERT INTO member_unit(name, area_code, webhook_url, enabled, created_ms) "
	                       "VALUES (?, ?, ?, ?, ?) RETURNING id",
	                       in->name, in->area_code, in->webhook_url, in->enabled < 0 ? 1 : in->enabled, created);
	if (rc == 0) /* an INSERT always returns its row */
		return yj_fail(e, YJ_EINTERNAL, NULL, "the new member unit was not stored");
	return rc < 0 ? -1 : 0;
}

int64_t reg_mu_db_update(store *s, int64_t id, const reg_mu_input *in, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE member_unit SET name = coalesce(?, name), area_code = coalesce(?, area_code), "
	                 "webhook_url = coalesce(?, webhook_url), enabled = coalesce(?, enabled) WHERE id = ?",
	                 in->name, in->area_code, in->webhook_url,
	                 in->enabled < 0 ? store_null() : store_v_int(in->enabled), id);
}

int reg_mu_db_json(store *s, int64_t id, json_t **out, yj_err *e)
{
	store_q *q;
	*out = NULL;
	int rc = store_row(s, &q, e, "SELECT " MU_COLS " FROM member_unit WHERE id = ?", id);
	if (rc > 0) {
		*out = unit_json(q);
		store_done(q);
	}
	return rc;
}

int reg_mu_db_list(store *s, const auth_scope *scope, json_t *items, yj_err *e)
{
	store_q *q = store_query(s, e, "SELECT " MU_COLS " FROM member_unit WHERE " AUTH_SCOPE_SQL("area_code") " ORDER BY id",
	                         scope->lo, scope->hi);
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0)
		json_array_append_new(items, unit_json(q));
	return rc < 0 ? -1 : 0;
}
