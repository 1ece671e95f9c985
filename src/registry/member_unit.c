/*
 * member_unit.c — member units (成员单位) of the emergency committee: the
 * bureaus and companies whose systems receive warnings by webhook (an SMS
 * gateway, a broadcaster). The registry keeps them; dispatch sends to
 * them. Writes are audited ("member_unit" projection, entity_audit.c).
 *
 * The caller (the handler) has checked that the area lies in the
 * actor's jurisdiction; this file checks the rest, reads (scoped) and
 * writes.
 */
#include <string.h>

#include "registry/registry_int.h"

/* name: 1..200 bytes; webhook_url: http:// or https://, at most 500 bytes */
static int check_input(const reg_mu_input *in, bool partial, yj_err *e)
{
	if ((!partial || in->name) && (!in->name || !*in->name || strlen(in->name) > 200))
		return yj_fail(e, YJ_EINVAL, "name", "field 'name' is required (at most 200 bytes)");
	const char *url = in->webhook_url;
	if ((!partial || url) &&
	    (!url || strlen(url) > 500 || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)))
		return yj_fail(e, YJ_EINVAL, "webhook_url", "field 'webhook_url' must be an http:// or https:// URL");
	if (!partial && !in->area_code)
		return yj_fail(e, YJ_EINVAL, "area_code", "field 'area_code' is required");
	return 0;
}

int reg_mu_get(store *s, const auth_scope *scope, int64_t id, json_t **out, yj_err *e)
{
	int rc = reg_mu_db_json(s, id, out, e);
	if (rc > 0 && scope && !auth_scope_contains(scope, json_string_value(json_object_get(*out, "area_code")))) {
		json_decref(*out);
		*out = NULL;
		return 0;
	}
	return rc;
}

int reg_mu_list(store *s, const auth_scope *scope, json_t **items, yj_err *e)
{
	*items = json_array();
	if (reg_mu_db_list(s, scope, *items, e) == 0)
		return 0;
	json_decref(*items);
	*items = NULL;
	return -1;
}

int reg_mu_create(store *s, const auth_user *actor, const reg_mu_input *in, int64_t *id, yj_err *e)
{
	if (check_input(in, false, e) || reg_mu_db_insert(s, in, yj_now_ms(), id, e))
		return -1;
	return audit_record_id(s, actor, "member_unit.create", "member_unit", *id, e);
}

int reg_mu_update(store *s, const auth_user *actor, const auth_scope *scope, int64_t id, const reg_mu_input *in,
                  yj_err *e)
{
	if (check_input(in, true, e))
		return -1;
	json_t *cur;
	int rc = reg_mu_get(s, scope, id, &cur, e); /* another jurisdiction's unit reads as missing */
	if (rc < 0)
		return -1;
	json_decref(cur);
	if (rc == 0)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no member unit %lld", (long long)id);
	int64_t n = reg_mu_db_update(s, id, in, e);
	if (n < 0)
		return -1;
	if (n == 0)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no member unit %lld", (long long)id);
	return audit_record_id(s, actor, "member_unit.update", "member_unit", id, e);
}
