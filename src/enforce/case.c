/*
 * case.c — penalty cases (行政处罚案件): opening one, showing it, and its
 * decision document (行政处罚决定书). The steps of a case in the legal order
 * are in case_steps.c.
 *
 * A case has one party: an enterprise of the registry, or an individual
 * (name, ID number, phone; the area where it happened). It may follow an
 * inspection of the same enterprise. Experts of guidance visits hold no
 * enforcement power and open no cases; town inspectors act only on the
 * matters delegated to towns. Cases opened at city level are the bureau's
 * own (the yearly report counts them apart). A case is opened under the
 * authority of its opener's jurisdiction (the nearest bureau up the area
 * tree: a town inspector's case is its county's), which decides it. The
 * decision document is made in case_decision.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"
#include "registry/registry.h"

/* ---- opening a case -------------------------------------------------------------------------------- */

/* the individual party of a case: fills c's party and area */
static int read_person(const auth_user *u, json_t *body, json_t *party, enf_case_new *c, auth_scope *sc, yj_err *e)
{
	static const char *const pkeys[] = {"type", "name", "id_number", "phone", NULL};
	static const char *const types[] = {"individual", NULL};
	int type;
	const char *area = NULL;
	if (!json_is_object(party))
		return yj_fail(e, YJ_EINVAL, "party", "field 'party' must be an object");
	if (yj_only_keys(party, pkeys, e))
		return -1;
	if (yj_json_enum(party, "type", YJ_REQUIRED, types, &type, e) < 0)
		return yj_fail(e, YJ_EINVAL, "party.type", "field 'party.type' must be individual (enterprises: enterprise_id)");
	if (yj_json_text(party, "name", YJ_REQUIRED | YJ_NONEMPTY, 100, &c->party_name, e) < 0)
		return yj_fail(e, YJ_EINVAL, "party.name", "field 'party.name' is required (at most 100 bytes)");
	if (yj_json_text(party, "id_number", 0, 18, &c->party_id_number, e) < 0 ||
	    (c->party_id_number && (strlen(c->party_id_number) != 18 || strspn(c->party_id_number, "0123456789") < 17)))
		return yj_fail(e, YJ_EINVAL, "party.id_number", "field 'party.id_number' must be an 18-character ID number");
	if (yj_json_text(party, "phone", 0, 32, &c->party_phone, e) < 0)
		return yj_fail(e, YJ_EINVAL, "party.phone", "field 'party.phone': a phone number of at most 32 bytes");
	if (yj_json_text(body, "area_code", 0, 15, &area, e) < 0)
		return -1;
	if (!area)
		return yj_fail(e, YJ_EINVAL, "area_code", "field 'area_code' is required for an individual party");
	if (auth_scope_for(u, area, "area_code", sc, e))
		return -1;
	c->party_type = "individual";
	return 0;
}

int enf_case_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e)
{
	static const char *const keys[] = {"enterprise_id", "party", "matter_code", "title", "inspection_id", "area_code", NULL};
	if (yj_only_keys(body, keys, e))
		return -1;
	/* experts of guidance visits (专家指导服务) advise; they hold no enforcement power */
	enf_cert cert;
	int rc = enf_cert_db_get(s, u->id, &cert, e);
	if (rc < 0)
		return -1;
	if (rc > 0 && cert.expert)
		return yj_fail(e, YJ_EFORBIDDEN, "", "experts give guidance; they cannot open penalty cases");
	json_t *party = json_object_get(body, "party");
	int64_t ent = 0, insp = 0;
	enf_case_new c = {.party_type = "enterprise", .created_by = u->id, .now = yj_now_ms()};
	if ((rc = yj_json_id(body, "enterprise_id", 0, &ent, e)) < 0)
		return -1;
	bool has_party = party && !json_is_null(party);
	if ((rc == 1) == has_party)
		return yj_fail(e, YJ_EINVAL, "enterprise_id",
		               "give exactly one party: enterprise_id, or party {type: individual, name, id_number}");
	if (yj_json_text(body, "matter_code", YJ_REQUIRED | YJ_NONEMPTY, 32, &c.matter_code, e) < 0)
		return yj_fail(e, YJ_EINVAL, "matter_code",
		               "field 'matter_code' is required (an enforcement matter of the catalogue)");
	if (enf_check_matter(s, u, c.matter_code, e))
		return -1;
	if (yj_json_text(body, "title", YJ_REQUIRED | YJ_NONEMPTY, 300, &c.title, e) < 0)
		return yj_fail(e, YJ_EINVAL, "title", "field 'title' is required: the violation in brief (at most 300 bytes)");
	if (yj_json_id(body, "inspection_id", 0, &insp, e) < 0)
		return -1;
	auth_scope sc;
	char area[16] = "";
	reg_enterprise en = {0};
	if (ent) {
		if (enf_own_scope(u, &sc, e) || (rc = enf_enterprise_in_scope(s, &sc, ent, area, e)) < 0)
			return -1;
		if (rc == 0)
			return yj_fail(e, YJ_EINVAL, "enterprise_id", "no enterprise %lld in your jurisdiction", (long long)ent);
		if (reg_enterprise_get(s, ent, &en, e) < 0)
			return -1;
		c.party_name = en.name;
		c.enterprise_id = ent;
	} else {
		if (read_person(u, body, party, &c, &sc, e))
			return -1;
		snprintf(area, sizeof area, "%s", sc.code);
	}
	c.area_code = area;
	rc = -1;
	/* the inspection the case follows: one the caller may see, of the same enterprise */
	if (insp) {
		enf_inspection in;
		auth_scope mine;
		int found = enf_own_scope(u, &mine, e) ? -1 : enf_inspection_db_get(s, insp, &in, e);
		if (found < 0)
			goto out;
		bool ok = found > 0 && auth_scope_contains(&mine, in.area_code);
		bool same = ok && (!ent || in.enterprise_id == ent);
		enf_inspection_clear(&in);
		if (!ok) {
			yj_fail(e, YJ_EINVAL, "inspection_id", "no inspection %lld in your jurisdiction", (long long)insp);
			goto out;
		}
		if (!same) {
			yj_fail(e, YJ_EINVAL, "inspection_id", "inspection %lld is of another enterprise", (long long)insp);
			goto out;
		}
		c.inspection_id = insp;
	}
	/* the bureau's own cases: made at city level (the report counts them apart from the towns') */
	char prefix[16];
	auth_area_prefix(u->area_code, prefix);
	c.bureau_own = strlen(prefix) <= 4;
	reg_authority auth;
	int found = reg_authority_for(s, u->area_code, &auth, e);
	if (found < 0)
		goto out;
	c.authority_code = found ? auth.area_code : NULL;
	if (enf_case_db_insert(s, &c, id_out, e) == 0)
		rc = audit_record_id(s, u, "case.create", "penalty_case", *id_out, e);
out:
	reg_enterprise_clear(&en);
	return rc;
}

/* ---- reading ----------------------------------------------------------------------------------------- */

int enf_case_visible(store *s, const auth_user *u, int64_t id, enf_case *out, yj_err *e)
{
	int rc = enf_case_db_get(s, id, out, e);
	if (rc > 0 && (rc = enf_in_own_area(u, out->area_code, e)) != 1)
		enf_case_clear(out);
	return rc;
}

void enf_case_allowed(const enf_case *c, const enf_case_proc *p, int64_t now, strbuf *text, json_t *arr)
{
	for (size_t i = 0; i < enf_case_action_count(); i++) {
		const char *name = enf_case_action_name(i);
		if (!enf_case_action_allowed(name, c, p, now))
			continue;
		if (text)
			strbuf_printf(text, "%s%s", text->len ? ", " : "", name);
		if (arr)
			json_array_append_new(arr, json_string(name));
	}
}

static int timeline_item(store *s, const enf_case_event *ev, void *ctx, yj_err *e)
{
	auth_user_row u;
	bool known = auth_user_get(s, ev->user_id, &u, NULL) > 0;
	json_t *data = json_loads(ev->data, 0, NULL);
	json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "action", ev->action, "from",
	                                     ev->from_state, "to", ev->to_state, "by", known ? u.display_name : "", "role",
	                                     known ? auth_role_name(u.role) : "", "note", ev->note, "data",
	                                     data ? data : json_object(), "at", enf_time(ev->created_ms)));
	return 0;
}

json_t *enf_case_json(store *s, int64_t id, bool with_timeline)
{
	enf_case c;
	if (enf_case_db_get(s, id, &c, NULL) <= 0)
		return NULL;
	json_t *j = enf_case_fields(&c, enf_time, "");
	json_object_set_new(j, "party", json_pack("{s:s, s:s, s:o, s:o}", "type", c.party_type, "name", c.party_name,
	                                          "id_number", enf_text_or_null(c.party_id_number), "phone",
	                                          enf_text_or_null(c.party_phone)));
	reg_authority a;
	const char *code = c.authority_code[0] ? c.authority_code : c.area_code;
	json_object_set_new(j, "authority", reg_authority_for(s, code, &a, NULL) > 0
	                                            ? json_pack("{s:s, s:s}", "area_code", a.area_code, "name", a.name)
	                                            : json_null());
	enf_case_proc p;
	json_t *acts = json_array();
	if (enf_case_proc_read(s, &c, &p, NULL) == 0) {
		enf_case_allowed(&c, &p, yj_now_ms(), NULL, acts);
		json_object_set_new(j, "procedure", enf_case_proc_json(&c, &p));
	}
	json_object_set_new(j, "allowed_actions", acts);
	if (with_timeline) {
		json_object_set_new(j, "evidence", enf_evidence_json(s, "penalty_case", id));
		json_t *tl = json_array();
		enf_case_db_events(s, id, timeline_item, tl, NULL);
		json_object_set_new(j, "timeline", tl);
	}
	enf_case_clear(&c);
	return j;
}
