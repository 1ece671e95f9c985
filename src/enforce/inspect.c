/*
 * inspect.c — inspections (检查) and the inspectors who make them.
 *
 * An inspection has at least two inspectors (expert visits and duty checks
 * excepted), each with a valid enforcement certificate (执法证; experts: an
 * expert registration) and a jurisdiction that covers the enterprise; it
 * becomes a record only when every one of them confirms it, and after that
 * it cannot change. Hazards found are in hazard.c, evidence in evidence.c,
 * the double-random draw that makes inspections in draw.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"
#include "geo/geo.h"
#include "registry/registry.h"

/* ---- making inspections ------------------------------------------------------------------------------ */

/* member i has no valid certificate of the kind (what, in English and Chinese) */
static int no_valid(yj_err *e, size_t i, const char *what, const char *what_zh)
{
	yj_fail(e, YJ_EINVAL, "inspectors", "inspectors[%zu] has no valid %s", i, what);
	yj_err_set_zh(e, "inspectors[%zu] has no valid %s", i, what_zh);
	return -1;
}

/* Every member of an inspection chosen by the client: a user with a valid certificate of the kind
 * (experts: the expert flag), listed once, whose jurisdiction covers the enterprise. */
static int check_members(store *s, json_t *members, bool expert, const char *ent_area, yj_err *e)
{
	const char *what = expert ? "expert registration" : "enforcement certificate (执法证)";
	const char *what_zh = yj_piece_zh(expert ? "expert registration" : "enforcement certificate (执法证)");
	int64_t now = yj_now_ms();
	size_t i, k;
	json_t *m, *o;
	json_array_foreach(members, i, m) {
		if (!json_is_integer(m) || json_integer_value(m) < 1)
			return no_valid(e, i, what, what_zh);
		json_array_foreach(members, k, o) if (k < i && json_integer_value(o) == json_integer_value(m)) return yj_fail(
			e, YJ_EINVAL, "inspectors", "inspectors[%zu] is listed twice", i);
		auth_user_row u;
		enf_cert c;
		int rc = auth_user_get(s, json_integer_value(m), &u, e);
		if (rc < 0)
			return -1;
		int rc2 = rc > 0 && !u.disabled ? enf_cert_db_get(s, u.id, &c, e) : 0;
		if (rc2 < 0)
			return -1;
		if (rc2 == 0 || c.valid_from_ms > now || c.valid_to_ms < now || c.expert != expert)
			return no_valid(e, i, what, what_zh);
		/* an inspector acts within his own area's subtree (a town's within its town) */
		auth_scope theirs;
		if (auth_scope_of_area(u.area_code, "inspectors", &theirs, NULL) || !auth_scope_contains(&theirs, ent_area))
			return yj_fail(e, YJ_EFORBIDDEN, "inspectors", "inspectors[%zu] (%s) has no jurisdiction over area %s", i,
			               u.display_name[0] ? u.display_name : u.username, ent_area);
	}
	return 0;
}

int enf_inspection_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e)
{
	static const char *const keys[] = {"enterprise_id", "kind", "reason", "matter_code", "inspectors", NULL};
	static const char *const kinds[] = {"adhoc", "expert", NULL};
	static const char *const reasons[] = {"complaint", "accident", "campaign", NULL};
	int kind = 0, why = 0;
	int64_t ent;
	const char *reason = NULL, *matter = NULL;
	json_t *members;
	if (yj_only_keys(body, keys, e) || yj_json_enum(body, "kind", 0, kinds, &kind, e) < 0)
		return -1;
	bool expert = kind == 1;
	if (!expert) {
		if (yj_json_enum(body, "reason", 0, reasons, &why, e) < 0)
			return -1;
		if (!json_is_string(json_object_get(body, "reason")))
			return yj_fail(e, YJ_EINVAL, "reason",
			               "field 'reason' must be complaint, accident or campaign for an ad-hoc inspection");
		reason = reasons[why];
	} else if (yj_json_text(body, "reason", 0, 200, &reason, e) < 0) {
		return -1;
	}
	if (yj_json_id(body, "enterprise_id", YJ_REQUIRED, &ent, e) < 0 ||
	    yj_json_text(body, "matter_code", 0, 32, &matter, e) < 0)
		return -1;
	size_t need = expert ? 1 : 2;
	int rc = yj_json_array(body, "inspectors", 0, 10, &members, e);
	if (rc < 0)
		return -1;
	if (rc == 0 || json_array_size(members) < need)
		return yj_fail(e, YJ_EINVAL, "inspectors",
		               need == 2 ? "field 'inspectors' must list at least two inspectors: the law requires two"
		                         : "field 'inspectors' must list the experts of the visit");
	if (matter) {
		bool delegated;
		if (!expert && enf_check_matter(s, u, matter, e))
			return -1;
		if (expert && (rc = enf_matter_db_get(s, matter, &delegated, e)) <= 0)
			return rc < 0 ? -1
			              : yj_fail(e, YJ_EINVAL, "matter_code", "field 'matter_code': no enforcement matter %.32s", matter);
	}
	auth_scope mine;
	char area[16];
	if (enf_own_scope(u, &mine, e) || (rc = enf_enterprise_in_scope(s, &mine, ent, area, e)) < 0)
		return -1;
	if (rc == 0) {
		reg_enterprise en;
		int found = reg_enterprise_get(s, ent, &en, e);
		reg_enterprise_clear(&en);
		return found < 0   ? -1
		       : found > 0 ? yj_fail(e, YJ_EFORBIDDEN, "enterprise_id", "enterprise %lld is outside your jurisdiction",
		                             (long long)ent)
		                   : yj_fail(e, YJ_EINVAL, "enterprise_id", "no enterprise %lld", (long long)ent);
	}
	if (check_members(s, members, expert, area, e))
		return -1;
	return enf_inspection_insert(s, u, expert ? "expert" : "adhoc", 0, ent, reason, matter, members, id_out, e);
}

int enf_inspection_insert(store *s, const auth_user *u, const char *kind, int64_t draw_id, int64_t enterprise,
                          const char *reason, const char *matter, json_t *members, int64_t *id_out, yj_err *e)
{
	reg_enterprise en;
	int rc = reg_enterprise_get(s, enterprise, &en, e);
	reg_enterprise_clear(&en);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_EINVAL, "enterprise_id", "no enterprise %lld", (long long)enterprise);
	if (u && strcmp(kind, "draw") != 0) {
		auth_scope mine;
		if (enf_own_scope(u, &mine, e))
			return -1;
		if (!auth_scope_contains(&mine, en.area_code))
			return yj_fail(e, YJ_EFORBIDDEN, "enterprise_id", "enterprise %lld is outside your jurisdiction",
			               (long long)enterprise);
	}
	int64_t id;
	if (enf_inspection_db_insert(s, kind, draw_id, enterprise, en.area_code, reason, matter, u ? u->id : 0, yj_now_ms(),
	                             &id, e))
		return -1;
	size_t i;
	json_t *m;
	json_array_foreach(members, i, m) if (enf_member_db_add(s, id, json_integer_value(m), e)) return -1;
	*id_out = id;
	return audit_record_id(s, u, "inspection.create", "inspection", id, e);
}

/* ---- reading ------------------------------------------------------------------------------------------- */

int enf_inspection_visible(store *s, const auth_user *u, int64_t id, enf_inspection *out, yj_err *e)
{
	int rc = enf_inspection_db_get(s, id, out, e);
	if (rc > 0 && (rc = enf_in_own_area(u, out->area_code, e)) != 1)
		enf_inspection_clear(out);
	return rc;
}

json_t *enf_inspection_json(store *s, int64_t id)
{
	enf_inspection in;
	if (enf_inspection_db_get(s, id, &in, NULL) <= 0)
		return NULL;
	char ename[200];
	reg_enterprise_name(s, in.enterprise_id, ename, sizeof ename);
	json_t *check = json_loads(in.checklist, 0, NULL);
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(in.id));
	json_object_set_new(j, "kind", json_string(in.kind));
	json_object_set_new(j, "draw_id", in.draw_id ? json_integer(in.draw_id) : json_null());
	json_object_set_new(j, "enterprise_id", json_integer(in.enterprise_id));
	json_object_set_new(j, "enterprise", json_string(ename));
	json_object_set_new(j, "area_code", json_string(in.area_code));
	json_object_set_new(j, "reason", enf_text_or_null(in.reason));
	json_object_set_new(j, "matter_code", in.matter_code[0] ? json_string(in.matter_code) : json_null());
	json_object_set_new(j, "state", json_string(in.state));
	json_object_set_new(j, "place", enf_text_or_null(in.place));
	json_object_set_new(j, "checklist", check ? check : json_array());
	json_object_set_new(j, "findings", json_string(in.findings));
	json_object_set_new(j, "answered", in.answered < 0 ? json_null() : json_boolean(in.answered));
	json_object_set_new(j, "inspected", enf_time(in.inspected_ms));
	json_object_set_new(j, "created", enf_time(in.created_ms));
	json_object_set_new(j, "updated", enf_time(in.updated_ms));
	json_t *members = json_array();
	enf_member *m;
	size_t n;
	if (enf_member_db_list(s, id, &m, &n, NULL) == 0) {
		for (size_t i = 0; i < n; i++) {
			auth_user_row u;
			enf_cert c;
			if (auth_user_get(s, m[i].user_id, &u, NULL) <= 0)
				continue;
			bool cert = enf_cert_db_get(s, u.id, &c, NULL) > 0;
			json_array_append_new(members, json_pack("{s:I, s:s, s:s, s:o, s:o}", "id", (json_int_t)u.id, "name",
			                                         u.display_name, "username", u.username, "confirmed",
			                                         enf_time(m[i].confirmed_ms), "cert_no",
			                                         cert ? json_string(c.cert_no) : json_null()));
		}
		free(m);
	}
	json_object_set_new(j, "inspectors", members);
	json_object_set_new(j, "evidence", enf_evidence_json(s, "inspection", id));
	enf_inspection_clear(&in);
	return j;
}

/* ---- recording and confirming ------------------------------------------------------------------------------ */

static int check_checklist(json_t *check, yj_err *e)
{
	size_t i;
	json_t *it;
	json_array_foreach(check, i, it) {
		const char *res = json_string_value(json_object_get(it, "result"));
		json_t *note = json_object_get(it, "note");
		if (!json_is_string(json_object_get(it, "item")) || !res ||
		    (strcmp(res, "ok") && strcmp(res, "problem") && strcmp(res, "na")) ||
		    (note && !json_is_null(note) && !json_is_string(note)))
			return yj_fail(e, YJ_EINVAL, "checklist",
			               "checklist[%zu] must be {\"item\": text, \"result\": ok|problem|na, \"note\"?}", i);
	}
	return 0;
}

/* the inspection, when u is one of its inspectors: 0, or -1 (404 gone, 403 not a member) */
static int load_as_member(store *s, const auth_user *u, int64_t id, enf_inspection *in, bool confirming, yj_err *e)
{
	int rc = enf_inspection_db_get(s, id, in, e);
	if (rc <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "no inspection %lld", (long long)id);
	rc = enf_member_db_is(s, id, u->id, e);
	if (rc <= 0) {
		enf_inspection_clear(in);
		if (rc < 0)
			return -1;
		return confirming ? yj_fail(e, YJ_EFORBIDDEN, "", "only the inspectors of this inspection confirm it")
		                  : yj_fail(e, YJ_EFORBIDDEN, "", "only the inspectors of this inspection record it");
	}
	return 0;
}

int enf_inspection_record(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e)
{
	static const char *const keys[] = {"place", "inspected", "checklist", "findings", "answered", NULL};
	if (yj_only_keys(body, keys, e))
		return -1;
	enf_inspection in;
	if (load_as_member(s, u, id, &in, false, e))
		return -1;
	bool locked = strcmp(in.state, "confirmed") == 0;
	enf_inspection_clear(&in);
	if (locked)
		return yj_fail(e, YJ_ECONFLICT, "state", "inspection %lld is confirmed: its record no longer changes", (long long)id);
	enf_record r = {.answered = -1, .now = yj_now_ms()};
	bool answered;
	int has;
	r.inspected_ms = r.now;
	if (yj_json_text(body, "place", 0, 300, &r.place, e) < 0 || yj_json_text(body, "findings", 0, 20000, &r.findings, e) < 0 ||
	    (has = yj_json_bool(body, "answered", 0, &answered, e)) < 0 ||
	    yj_json_time(body, "inspected", 0, &r.inspected_ms, e) < 0 ||
	    yj_json_array(body, "checklist", 0, 500, &r.checklist, e) < 0)
		return -1;
	if (has)
		r.answered = answered;
	if (r.inspected_ms > r.now + 60000)
		return yj_fail(e, YJ_EINVAL, "inspected", "field 'inspected' is in the future");
	if (r.checklist && check_checklist(r.checklist, e))
		return -1;
	/* a record that changes must be confirmed again by everyone */
	if (enf_inspection_db_record(s, id, &r, e) || enf_member_db_unconfirm_all(s, id, e))
		return -1;
	return audit_record_id(s, u, "inspection.record", "inspection", id, e);
}

int enf_inspection_confirm(store *s, const auth_user *u, int64_t id, yj_err *e)
{
	enf_inspection in;
	if (load_as_member(s, u, id, &in, true, e))
		return -1;
	char state[16], kind[16];
	snprintf(state, sizeof state, "%s", in.state);
	snprintf(kind, sizeof kind, "%s", in.kind);
	bool answered_no = in.answered == 0;
	enf_inspection_clear(&in);
	if (!strcmp(state, "assigned"))
		return yj_fail(e, YJ_ECONFLICT, "state", "record the inspection before confirming it");
	if (!strcmp(state, "confirmed"))
		return 0;
	int64_t now = yj_now_ms(), total, done;
	if (enf_member_db_confirm(s, id, u->id, now, e) || enf_member_db_counts(s, id, &total, &done, e))
		return -1;
	int needed = !strcmp(kind, "duty_check") || !strcmp(kind, "expert") ? 1 : 2;
	if (done == total && total >= needed) {
		if (enf_inspection_db_confirmed(s, id, now, e))
			return -1;
		/* a duty check nobody answered is a finding of its own */
		if (!strcmp(kind, "duty_check") && answered_no) {
			char deadline[40];
			yj_time_format(now + 7LL * 86400000, deadline);
			json_t *h = json_pack("{s:s, s:s, s:s, s:s}", "level", "general", "description",
			                      "值班值守抽查: 值班人员未应答 (the person on duty did not answer the spot check)", "legal_basis",
			                      "《生产安全事故应急条例》第十四条", "deadline", deadline);
			int64_t hid;
			int rc = enf_hazard_create(s, u, id, h, &hid, e);
			json_decref(h);
			if (rc)
				return -1;
		}
	}
	return audit_record_id(s, u, "inspection.confirm", "inspection", id, e);
}

/* ---- the inspectors one may go out with ------------------------------------------------------------------- */

typedef struct inspector {
	int64_t id;
	bool expert;
	char area_code[16];
	json_t *item;
} inspector;

typedef struct inspectors {
	inspector *v;
	size_t n, cap;
} inspectors;

enum { INSPECTORS_MAX = 1000 };

static int add_inspector(store *s, const auth_user_row *u, void *ctx, yj_err *e)
{
	inspectors *l = ctx;
	enf_cert c;
	int rc = enf_cert_db_get(s, u->id, &c, e);
	if (rc <= 0)
		return rc;
	l->v = yj_grow(l->v, &l->cap, l->n + 1, sizeof *l->v);
	inspector *x = &l->v[l->n++];
	x->id = u->id;
	x->expert = c.expert;
	snprintf(x->area_code, sizeof x->area_code, "%s", u->area_code);
	x->item = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:o}", "id", (json_int_t)u->id, "username", u->username,
	                    "display_name", u->display_name, "area_code", u->area_code, "cert_no", c.cert_no, "expert",
	                    c.expert, "valid_to", enf_time(c.valid_to_ms));
	return 0;
}

static int cmp_inspector(const void *a, const void *b)
{
	const inspector *x = a, *y = b;
	if (x->expert != y->expert)
		return x->expert ? 1 : -1;
	int c = strcmp(x->area_code, y->area_code);
	if (c)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

int enf_inspectors_json(store *s, const auth_scope *sc, json_t **out, yj_err *e)
{
	inspectors l = {0};
	int rc = 0;
	/* inside the area */
	auth_user_query q = {.roles = ENF_INSPECTOR, .scope = sc};
	rc = auth_users_each(s, &q, add_inspector, &l, e);
	/* and above it: the county's, the city's */
	char up[16];
	geo_area_parent(sc->code, up);
	while (rc == 0 && up[0]) {
		auth_user_query above = {.roles = ENF_INSPECTOR, .exact_area = up};
		rc = auth_users_each(s, &above, add_inspector, &l, e);
		char next[16];
		geo_area_parent(up, next);
		memcpy(up, next, sizeof up);
	}
	if (rc == 0) {
		qsort(l.v, l.n, sizeof *l.v, cmp_inspector);
		*out = json_array();
		for (size_t i = 0; i < l.n; i++)
			if (i < INSPECTORS_MAX)
				json_array_append(*out, l.v[i].item);
	}
	for (size_t i = 0; i < l.n; i++)
		json_decref(l.v[i].item);
	free(l.v);
	return rc ? -1 : 0;
}
