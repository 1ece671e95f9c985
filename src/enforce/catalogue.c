/*
 * catalogue.c — what enforcement keeps besides its cases: declared
 * conflicts of interest (回避), checklist templates per sector, and the
 * public list of decided penalties (行政处罚公示, 双公示).
 *
 * The public list shows only what the law lets anyone see: for
 * individuals the name as surname + 某, never an ID number or a phone;
 * enterprises by name and credit code. A decision is public from the moment
 * it is made, so the legal limit of 7 working days is always met; the
 * publication deadline (counted with the holiday calendar) is shown beside
 * it, and each decision names its own deciding authority.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/workdays.h"
#include "enforce/enf_int.h"
#include "geo/geo.h"
#include "registry/registry.h"

/* ---- conflicts of interest ---------------------------------------------------------------------------- */

int enf_conflict_declare(store *s, const auth_user *u, json_t *body, yj_err *e)
{
	static const char *const keys[] = {"enterprise_id", "reason", NULL};
	int64_t ent = 0;
	const char *reason;
	char area[16];
	auth_scope mine;
	int rc;
	if (yj_only_keys(body, keys, e) || yj_json_id(body, "enterprise_id", 0, &ent, e) < 0 || enf_own_scope(u, &mine, e))
		return -1;
	if (ent && (rc = enf_enterprise_in_scope(s, &mine, ent, area, e)) < 0)
		return -1;
	if (!ent || rc == 0)
		return yj_fail(e, YJ_EINVAL, "enterprise_id", "field 'enterprise_id' must name an enterprise in your jurisdiction");
	if (yj_json_text(body, "reason", YJ_REQUIRED | YJ_NONEMPTY, 1000, &reason, e) < 0)
		return yj_fail(e, YJ_EINVAL, "reason", "field 'reason' is required (e.g. a relative works there)");
	if (enf_conflict_db_put(s, u->id, ent, reason, yj_now_ms(), e))
		return -1;
	char oid[48];
	snprintf(oid, sizeof oid, "%lld:%lld", (long long)u->id, (long long)ent);
	return audit_record(s, u, "conflict.declare", "conflict_of_interest", oid, e);
}

/* ---- checklist templates --------------------------------------------------------------------------------- */

static const char *const sectors[] = {"hazardous_chemicals", "fireworks", "non_coal_mine", "ammonia_refrigeration",
                                      "dust_explosion", "confined_space", "metallurgy", "other", NULL};

int enf_checklist_put(store *s, const auth_user *u, const char *sector, json_t *body, yj_err *e)
{
	bool known = false;
	for (int i = 0; sector && sectors[i]; i++)
		known |= !strcmp(sectors[i], sector);
	if (!known)
		return yj_fail(e, YJ_EINVAL, "sector", "no sector %.40s", sector ? sector : "");
	json_t *items = json_object_get(body, "items");
	if (json_object_size(body) != 1 || !json_is_array(items) || json_array_size(items) == 0 || json_array_size(items) > 300)
		return yj_fail(e, YJ_EINVAL, "items", "the body must be {\"items\": [ {\"item\": text, \"basis\"?: text}, ... ]}");
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) if (!json_is_string(json_object_get(it, "item"))) return yj_fail(
		e, YJ_EINVAL, "items", "items[%zu].item must be text", i);
	if (enf_checklist_db_put(s, sector, items, yj_now_ms(), e))
		return -1;
	return audit_record(s, u, "checklist.update", "checklist_template", sector, e);
}

json_t *enf_checklist_json(store *s, const char *sector, yj_err *e)
{
	json_t *items;
	int64_t updated = 0;
	int rc = enf_checklist_db_get(s, sector, &items, &updated, e);
	if (rc < 0)
		return NULL;
	if (rc == 0) {
		yj_fail(e, YJ_ENOTFOUND, "sector", "no checklist for sector %.40s", sector);
		return NULL;
	}
	return json_pack("{s:s, s:o, s:o}", "sector", sector, "items", items, "updated", enf_time(updated));
}

/* ---- publicity of decided penalties (行政处罚公示) ----------------------------------------------------------- */

/* 张三丰 -> 张某: the first character (UTF-8) and 某 */
static void mask_name(const char *name, char *out, size_t cap)
{
	size_t n = 1;
	unsigned char c = (unsigned char)name[0];
	if (c >= 0xF0)
		n = 4;
	else if (c >= 0xE0)
		n = 3;
	else if (c >= 0xC0)
		n = 2;
	if (strlen(name) < n)
		n = strlen(name);
	snprintf(out, cap, "%.*s某", (int)n, name);
}

/* the end of the 7th working day after the decision (the holiday calendar's working days) */
static int64_t publish_by(int64_t decided_ms)
{
	return yj_day_start(yj_workdays_after(yj_day_of(decided_ms), 7) + 1) - 1000;
}

static json_t *public_item(store *s, const enf_case *c)
{
	bool person = !strcmp(c->party_type, "individual");
	char name[128];
	if (person)
		mask_name(c->party_name, name, sizeof name);
	else
		snprintf(name, sizeof name, "%s", c->party_name);
	strbuf pen;
	strbuf_init(&pen);
	if (c->fine_yuan > 0)
		strbuf_printf(&pen, "罚款%.2f元", c->fine_yuan);
	if (c->revocation)
		strbuf_printf(&pen, "%s吊销许可证", pen.len ? "；" : "");
	if (c->suspension)
		strbuf_printf(&pen, "%s责令停产停业整顿", pen.len ? "；" : "");
	char decided[40], due[40];
	yj_time_format(c->decided_ms, decided);
	yj_time_format(publish_by(c->decided_ms), due);
	reg_authority a;
	const char *code = c->authority_code[0] ? c->authority_code : c->area_code;
	bool known = reg_authority_for(s, code, &a, NULL) > 0;
	json_t *it = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:s, s:s}", "decision_no", c->decision_no,
	                       "party", name, "party_type", person ? "individual" : "enterprise", "violation", c->title,
	                       "legal_basis", c->legal_basis, "penalty", pen.data ? pen.data : "", "fine_yuan", c->fine_yuan,
	                       "decided", decided, "published", decided, "publish_by", due, "authority",
	                       known ? a.name : enf_cfg.authority,
	                       "area", geo_area_name(c->area_code));
	strbuf_free(&pen);
	if (!person && c->enterprise_id) {
		reg_enterprise en;
		if (reg_enterprise_get(s, c->enterprise_id, &en, NULL) > 0 && en.credit_code[0])
			json_object_set_new(it, "credit_code", json_string(en.credit_code));
		reg_enterprise_clear(&en);
	}
	return it;
}

enum { PUBLIC_MAX = 1000 };

int enf_public_penalties_json(store *s, int year, json_t **out, yj_err *e)
{
	int64_t from = 0, to = INT64_MAX;
	if (year)
		enf_year_bounds(year, &from, &to);
	enf_ids ids = {.id = yj_malloc(PUBLIC_MAX * sizeof(int64_t)), .cap = PUBLIC_MAX};
	if (enf_case_db_public(s, from, to, PUBLIC_MAX, &ids, e)) {
		free(ids.id);
		return -1;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < ids.n; i++) {
		enf_case c;
		if (enf_case_db_get(s, ids.id[i], &c, NULL) > 0 && c.decision_no)
			json_array_append_new(items, public_item(s, &c));
		enf_case_clear(&c);
	}
	free(ids.id);
	*out = items;
	return 0;
}
