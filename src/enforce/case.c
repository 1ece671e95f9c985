/*
 * case.c — penalty cases (行政处罚案件) in the legal order:
 *
 *   draft -file-> filed (立案, commander) -investigate-> investigating
 *   -notify-> notified (告知: facts, basis, intended penalty; rights to state
 *   a case and, for large fines, to a hearing) [-request_hearing-> hearing]
 *   -submit_review-> legal_review (法制审核, legal reviewer: approve | reject
 *   back to investigating) -> collective_discussion (major cases, 集体讨论)
 *   -> reviewed -decide-> decided (decision number 汕应急罚〔2022〕25号, in
 *   sequence per year) -serve-> served (送达) -record_payment|enforce->
 *   executed -close-> closed (结案).
 *
 * A case is major (重大) when the fine reaches the configured threshold or
 * the penalty revokes a licence or suspends production; a major case cannot
 * be decided without legal review and collective discussion. A non-major
 * case may be decided straight after notification. The decision is due
 * within 90 days of filing unless a commander extends it (once, with a
 * reason). Every step is role-gated, time-stamped on the case's timeline and
 * in the audit chain; an illegal step is refused with the allowed ones.
 */
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"
#include "enforce/enf_pdf.h"

#define INSPECTOR ROLE_BIT(ROLE_INSPECTOR)
#define COMMANDER ROLE_BIT(ROLE_COMMANDER)
#define REVIEWER ROLE_BIT(ROLE_LEGAL_REVIEWER)

typedef struct case_step {
	const char *action, *from, *to;
	unsigned roles;
} case_step;

static const case_step steps[] = {
	{"file", "draft", "filed", COMMANDER},
	{"investigate", "filed", "investigating", INSPECTOR},
	{"notify", "investigating", "notified", INSPECTOR},
	{"request_hearing", "notified", "hearing", INSPECTOR},
	{"submit_review", "notified", "legal_review", INSPECTOR},
	{"submit_review", "hearing", "legal_review", INSPECTOR},
	{"approve_review", "legal_review", "reviewed", REVIEWER}, /* -> collective_discussion when major */
	{"reject_review", "legal_review", "investigating", REVIEWER},
	{"discuss", "collective_discussion", "reviewed", COMMANDER},
	{"decide", "reviewed", "decided", COMMANDER},
	{"decide", "notified", "decided", COMMANDER}, /* not for major cases */
	{"extend", "filed", "filed", COMMANDER},
	{"extend", "investigating", "investigating", COMMANDER},
	{"extend", "notified", "notified", COMMANDER},
	{"extend", "hearing", "hearing", COMMANDER},
	{"extend", "legal_review", "legal_review", COMMANDER},
	{"extend", "collective_discussion", "collective_discussion", COMMANDER},
	{"extend", "reviewed", "reviewed", COMMANDER},
	{"serve", "decided", "served", INSPECTOR},
	{"record_payment", "served", "executed", INSPECTOR},
	{"enforce", "served", "executed", COMMANDER},
	{"close", "executed", "closed", COMMANDER},
};

static void allowed(const char *state, bool major, strbuf *out, json_t *arr)
{
	for (size_t i = 0; i < YJ_ARRAY_LEN(steps); i++) {
		if (strcmp(steps[i].from, state) != 0)
			continue;
		if (major && !strcmp(steps[i].action, "decide") && !strcmp(state, "notified"))
			continue;
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup |= !strcmp(steps[k].action, steps[i].action) && !strcmp(steps[k].from, state);
		if (dup)
			continue;
		if (out)
			strbuf_printf(out, "%s%s", out->len ? ", " : "", steps[i].action);
		if (arr)
			json_array_append_new(arr, json_string(steps[i].action));
	}
}

/* ---- create ------------------------------------------------------------------------------------ */

int enf_case_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e)
{
	static const char *const keys[] = {"enterprise_id", "party", "matter_code", "title", "inspection_id", "area_code", NULL};
	if (enf_only_keys(body, keys, e))
		return -1;
	json_t *ent = json_object_get(body, "enterprise_id"), *party = json_object_get(body, "party");
	const char *matter = json_string_value(json_object_get(body, "matter_code"));
	const char *title = json_string_value(json_object_get(body, "title"));
	json_t *insp = json_object_get(body, "inspection_id");
	/* experts of guidance visits (专家指导服务) advise; they hold no enforcement power */
	sqlite3_stmt *ex = store_stmt(s, "SELECT expert FROM inspector_cert WHERE user_id = ?", e);
	if (!ex)
		return -1;
	sqlite3_bind_int64(ex, 1, u->id);
	bool expert = sqlite3_step(ex) == SQLITE_ROW && sqlite3_column_int(ex, 0);
	sqlite3_reset(ex);
	if (expert)
		return yj_fail(e, YJ_EFORBIDDEN, "", "experts give guidance; they cannot open penalty cases");
	if (!!ent == !!party)
		return yj_fail(e, YJ_EINVAL, "enterprise_id", "give exactly one party: enterprise_id, or party {type: individual, name, id_number}");
	if (!matter)
		return yj_fail(e, YJ_EINVAL, "matter_code", "field 'matter_code' is required (an enforcement matter of the catalogue)");
	if (enf_check_matter(s, u, matter, e))
		return -1;
	if (!title || !*title || strlen(title) > 300)
		return yj_fail(e, YJ_EINVAL, "title", "field 'title' is required: the violation in brief (at most 300 bytes)");
	char area[16] = "", name[256] = "";
	const char *ptype = "enterprise", *idno = NULL, *phone = NULL;
	if (ent) {
		if (!json_is_integer(ent))
			return yj_fail(e, YJ_EINVAL, "enterprise_id", "field 'enterprise_id' must be an enterprise id");
		enf_enterprise_area(s, json_integer_value(ent), area);
		if (!area[0] || !auth_area_visible(u, area))
			return yj_fail(e, YJ_EINVAL, "enterprise_id", "no enterprise %lld in your jurisdiction", (long long)json_integer_value(ent));
		sqlite3_stmt *st = store_stmt(s, "SELECT name FROM enterprise WHERE id = ?", e);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, json_integer_value(ent));
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	} else {
		static const char *const pkeys[] = {"type", "name", "id_number", "phone", NULL};
		if (!json_is_object(party) || enf_only_keys(party, pkeys, e))
			return json_is_object(party) ? -1 : yj_fail(e, YJ_EINVAL, "party", "field 'party' must be an object");
		ptype = json_string_value(json_object_get(party, "type"));
		if (!ptype || strcmp(ptype, "individual"))
			return yj_fail(e, YJ_EINVAL, "party.type", "field 'party.type' must be individual (enterprises: enterprise_id)");
		const char *n = json_string_value(json_object_get(party, "name"));
		if (!n || !*n || strlen(n) > 100)
			return yj_fail(e, YJ_EINVAL, "party.name", "field 'party.name' is required");
		snprintf(name, sizeof name, "%s", n);
		idno = json_string_value(json_object_get(party, "id_number"));
		if (idno && (strlen(idno) != 18 || strspn(idno, "0123456789") < 17))
			return yj_fail(e, YJ_EINVAL, "party.id_number", "field 'party.id_number' must be an 18-character ID number");
		phone = json_string_value(json_object_get(party, "phone"));
		const char *a = json_string_value(json_object_get(body, "area_code"));
		if (!a)
			return yj_fail(e, YJ_EINVAL, "area_code", "field 'area_code' is required for an individual party");
		if (auth_require_area(u, a, "area_code", e))
			return -1;
		snprintf(area, sizeof area, "%s", a);
	}
	int64_t now = yj_now_ms();
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO penalty_case(enterprise_id, party_type, party_name, party_id_number, party_phone, "
	                              "area_code, matter_code, inspection_id, title, state, bureau_own, created_by, created_ms, updated_ms) "
	                              "VALUES (?,?,?,?,?,?,?,?,?,'draft',?,?,?,?)",
	                              e);
	if (!st)
		return -1;
	if (ent)
		sqlite3_bind_int64(st, 1, json_integer_value(ent));
	else
		sqlite3_bind_null(st, 1);
	store_bind_text(st, 2, ptype);
	store_bind_text(st, 3, name);
	store_bind_text(st, 4, idno);
	store_bind_text(st, 5, phone);
	store_bind_text(st, 6, area);
	store_bind_text(st, 7, matter);
	if (json_is_integer(insp))
		sqlite3_bind_int64(st, 8, json_integer_value(insp));
	else
		sqlite3_bind_null(st, 8);
	store_bind_text(st, 9, title);
	/* the bureau's own cases: made at city level (the report counts them apart from the towns') */
	char prefix[16];
	auth_area_prefix(u->area_code, prefix);
	sqlite3_bind_int(st, 10, strlen(prefix) <= 4);
	sqlite3_bind_int64(st, 11, u->id);
	sqlite3_bind_int64(st, 12, now);
	sqlite3_bind_int64(st, 13, now);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "insert case");
	*id_out = sqlite3_last_insert_rowid(store_db(s));
	json_t *stj = enf_case_json(s, *id_out, false);
	rc = enf_audit(s, u, "case.create", "penalty_case", *id_out, stj, e);
	json_decref(stj);
	return rc;
}

/* ---- read ---------------------------------------------------------------------------------------- */

#define CASE_COLS \
	"id, enterprise_id, party_type, party_name, party_id_number, party_phone, area_code, matter_code, inspection_id, " \
	"title, facts, legal_basis, fine_yuan, revocation, suspension, major, hearing_right, state, decision_no, filed_ms, " \
	"deadline_ms, extended, decided_ms, served_ms, executed_ms, closed_ms, paid_yuan, bureau_own, created_ms"

json_t *enf_case_json(store *s, int64_t id, bool with_timeline)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " CASE_COLS " FROM penalty_case WHERE id = ?", NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		j = json_pack("{s:I, s:o, s:{s:s, s:s, s:s?, s:s?}, s:s, s:s, s:o, s:s, s:s, s:s, s:f, s:b, s:b, s:b, s:b, s:s}", "id",
		              (json_int_t)sqlite3_column_int64(st, 0), "enterprise_id",
		              sqlite3_column_type(st, 1) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, 1)),
		              "party", "type", (const char *)sqlite3_column_text(st, 2), "name",
		              (const char *)sqlite3_column_text(st, 3), "id_number", (const char *)sqlite3_column_text(st, 4),
		              "phone", (const char *)sqlite3_column_text(st, 5), "area_code",
		              (const char *)sqlite3_column_text(st, 6), "matter_code", (const char *)sqlite3_column_text(st, 7),
		              "inspection_id",
		              sqlite3_column_type(st, 8) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, 8)),
		              "title", (const char *)sqlite3_column_text(st, 9), "facts", (const char *)sqlite3_column_text(st, 10),
		              "legal_basis", (const char *)sqlite3_column_text(st, 11), "fine_yuan", sqlite3_column_double(st, 12),
		              "revocation", sqlite3_column_int(st, 13), "suspension", sqlite3_column_int(st, 14), "major",
		              sqlite3_column_int(st, 15), "hearing_right", sqlite3_column_int(st, 16), "state",
		              (const char *)sqlite3_column_text(st, 17));
		json_object_set_new(j, "decision_no", sqlite3_column_type(st, 18) == SQLITE_NULL
		                                          ? json_null() : json_string((const char *)sqlite3_column_text(st, 18)));
		static const char *const times[] = {"filed", "deadline"};
		for (int k = 0; k < 2; k++)
			json_object_set_new(j, times[k], enf_time(st, 19 + k));
		json_object_set_new(j, "extended", json_boolean(sqlite3_column_int(st, 21)));
		static const char *const later[] = {"decided", "served", "executed", "closed"};
		for (int k = 0; k < 4; k++)
			json_object_set_new(j, later[k], enf_time(st, 22 + k));
		json_object_set_new(j, "paid_yuan", sqlite3_column_type(st, 26) == SQLITE_NULL ? json_null()
		                                                                               : json_real(sqlite3_column_double(st, 26)));
		json_object_set_new(j, "bureau_own", json_boolean(sqlite3_column_int(st, 27)));
		json_object_set_new(j, "created", enf_time(st, 28));
	}
	sqlite3_reset(st);
	if (!j)
		return NULL;
	json_t *acts = json_array();
	allowed(json_string_value(json_object_get(j, "state")), json_is_true(json_object_get(j, "major")), NULL, acts);
	json_object_set_new(j, "allowed_actions", acts);
	if (with_timeline) {
		json_t *tl = json_array();
		st = store_stmt(s,
		                "SELECT c.action, c.from_state, c.to_state, u.display_name, u.role, c.note, c.data, c.created_ms "
		                "FROM case_event c JOIN user u ON u.id = c.user_id WHERE c.case_id = ? ORDER BY c.id",
		                NULL);
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(tl, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "action",
			                                    (const char *)sqlite3_column_text(st, 0), "from",
			                                    (const char *)sqlite3_column_text(st, 1), "to",
			                                    (const char *)sqlite3_column_text(st, 2), "by",
			                                    (const char *)sqlite3_column_text(st, 3), "role",
			                                    (const char *)sqlite3_column_text(st, 4), "note",
			                                    (const char *)sqlite3_column_text(st, 5), "data",
			                                    json_loads((const char *)sqlite3_column_text(st, 6), 0, NULL), "at",
			                                    enf_time(st, 7)));
		sqlite3_reset(st);
		json_object_set_new(j, "timeline", tl);
	}
	return j;
}

static json_t *case_state(store *s, const char *id)
{
	json_t *c = enf_case_json(s, strtoll(id, NULL, 10), false);
	if (c)
		json_object_del(c, "allowed_actions");
	return c;
}

/* ---- actions ------------------------------------------------------------------------------------- */

static const char *text_member(json_t *body, const char *key, size_t max, bool required, yj_err *e)
{
	json_t *v = json_object_get(body, key);
	if (!v) {
		if (required)
			yj_fail(e, YJ_EINVAL, key, "field '%s' is required for this step", key);
		return NULL;
	}
	if (!json_is_string(v) || (required && json_string_length(v) == 0) || json_string_length(v) > max) {
		yj_fail(e, YJ_EINVAL, key, "field '%s' must be text of at most %zu bytes", key, max);
		return NULL;
	}
	return json_string_value(v);
}

static int next_decision_no(store *s, int year, char out[64], yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT OR IGNORE INTO decision_seq(year, next) VALUES (?, 1)", e);
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, year);
	sqlite3_step(st);
	sqlite3_reset(st);
	st = store_stmt(s, "UPDATE decision_seq SET next = next + 1 WHERE year = ? RETURNING next - 1", e);
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, year);
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	if (n <= 0)
		return store_fail(s, e, "decision number");
	snprintf(out, 64, "%s〔%d〕%d号", enf_cfg.decision_prefix, year, n);
	return 0;
}

int enf_case_action(store *s, const auth_user *u, int64_t id, const char *action, json_t *body, yj_err *e)
{
	json_t *c = enf_case_json(s, id, false);
	if (!c || !auth_area_visible(u, json_string_value(json_object_get(c, "area_code")))) {
		json_decref(c);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no case %lld", (long long)id);
	}
	char state[32];
	snprintf(state, sizeof state, "%s", json_string_value(json_object_get(c, "state")));
	bool major = json_is_true(json_object_get(c, "major"));
	double fine = json_number_value(json_object_get(c, "fine_yuan"));
	int64_t deadline = 0;
	json_t *dl = json_object_get(c, "deadline");
	if (json_is_string(dl))
		yj_time_parse(json_string_value(dl), &deadline, "deadline", NULL);
	bool extended = json_is_true(json_object_get(c, "extended"));
	char matter[40];
	snprintf(matter, sizeof matter, "%s", json_string_value(json_object_get(c, "matter_code")));
	json_decref(c);

	const case_step *step = NULL;
	bool known = false;
	for (size_t i = 0; i < YJ_ARRAY_LEN(steps); i++) {
		known |= !strcmp(steps[i].action, action);
		if (!strcmp(steps[i].action, action) && !strcmp(steps[i].from, state))
			step = &steps[i];
	}
	if (!known)
		return yj_fail(e, YJ_ENOTFOUND, "action", "no case action '%.32s'", action);
	strbuf allow;
	strbuf_init(&allow);
	allowed(state, major, &allow, NULL);
	if (!step || (major && !strcmp(action, "decide") && !strcmp(state, "notified"))) {
		int rc;
		if (step)
			rc = yj_fail(e, YJ_ECONFLICT, "state",
			             "a major case (重大案件) is decided only after legal review and collective discussion; allowed now: %s",
			             allow.len ? allow.data : "none");
		else
			rc = yj_fail(e, YJ_ECONFLICT, "state", "cannot %s a case that is %s; allowed now: %s", action, state,
			             allow.len ? allow.data : "none");
		strbuf_free(&allow);
		return rc;
	}
	strbuf_free(&allow);
	if (!(step->roles & ROLE_BIT(u->role)))
		return yj_fail(e, YJ_EFORBIDDEN, "", "%s is done by a %s, not a %s", action,
		               step->roles == REVIEWER ? "legal reviewer" : step->roles == COMMANDER ? "commander" : "inspector",
		               auth_role_name(u->role));
	if (enf_check_matter(s, u, matter, e))
		return -1;

	int64_t now = yj_now_ms();
	const char *to = step->to;
	const char *note = "";
	json_t *data = json_object();
	int rc = -1;
	sqlite3_stmt *st;
	if (!strcmp(action, "file")) {
		st = store_stmt(s, "UPDATE penalty_case SET filed_ms = ?1, deadline_ms = ?2 WHERE id = ?3", e);
		if (!st)
			goto out;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, now + (int64_t)enf_cfg.decision_days * 86400000);
		sqlite3_bind_int64(st, 3, id);
		sqlite3_step(st);
		sqlite3_reset(st);
	} else if (!strcmp(action, "notify")) {
		static const char *const keys[] = {"facts", "legal_basis", "fine_yuan", "revocation", "suspension", NULL};
		if (enf_only_keys(body, keys, e))
			goto out;
		const char *facts = text_member(body, "facts", 20000, true, e);
		const char *basis = facts ? text_member(body, "legal_basis", 4000, true, e) : NULL;
		if (!facts || !basis)
			goto out;
		json_t *f = json_object_get(body, "fine_yuan"), *rv = json_object_get(body, "revocation"), *sp = json_object_get(body, "suspension");
		if (f && (!json_is_number(f) || json_number_value(f) < 0 || json_number_value(f) > 1e9)) {
			yj_fail(e, YJ_EINVAL, "fine_yuan", "field 'fine_yuan' must be an amount in yuan");
			goto out;
		}
		if ((rv && !json_is_boolean(rv)) || (sp && !json_is_boolean(sp))) {
			yj_fail(e, YJ_EINVAL, rv && !json_is_boolean(rv) ? "revocation" : "suspension", "must be true or false");
			goto out;
		}
		fine = f ? json_number_value(f) : 0;
		bool revoke = json_is_true(rv), suspend = json_is_true(sp);
		if (fine <= 0 && !revoke && !suspend) {
			yj_fail(e, YJ_EINVAL, "fine_yuan", "the intended penalty is missing: a fine, revocation or suspension");
			goto out;
		}
		major = fine >= enf_cfg.major_fine_yuan || revoke || suspend;
		bool hearing = fine >= enf_cfg.hearing_fine_yuan || revoke || suspend;
		st = store_stmt(s,
		                "UPDATE penalty_case SET facts = ?1, legal_basis = ?2, fine_yuan = ?3, revocation = ?4, suspension = ?5, "
		                "major = ?6, hearing_right = ?7 WHERE id = ?8",
		                e);
		if (!st)
			goto out;
		store_bind_text(st, 1, facts);
		store_bind_text(st, 2, basis);
		sqlite3_bind_double(st, 3, fine);
		sqlite3_bind_int(st, 4, revoke);
		sqlite3_bind_int(st, 5, suspend);
		sqlite3_bind_int(st, 6, major);
		sqlite3_bind_int(st, 7, hearing);
		sqlite3_bind_int64(st, 8, id);
		sqlite3_step(st);
		sqlite3_reset(st);
		json_object_set_new(data, "rights", json_pack("{s:b, s:b}", "statement", 1, "hearing", hearing));
		json_object_set_new(data, "major", json_boolean(major));
	} else if (!strcmp(action, "request_hearing")) {
		sqlite3_stmt *q = store_stmt(s, "SELECT hearing_right FROM penalty_case WHERE id = ?", e);
		if (!q)
			goto out;
		sqlite3_bind_int64(q, 1, id);
		int right = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
		sqlite3_reset(q);
		if (!right) {
			yj_fail(e, YJ_ECONFLICT, "state", "this penalty gives no right to a hearing (fine below %.0f yuan)", enf_cfg.hearing_fine_yuan);
			goto out;
		}
	} else if (!strcmp(action, "approve_review") || !strcmp(action, "reject_review")) {
		static const char *const keys[] = {"opinion", "adviser_opinion", NULL};
		if (enf_only_keys(body, keys, e))
			goto out;
		const char *op = text_member(body, "opinion", 8000, true, e);
		if (!op)
			goto out;
		const char *adv = text_member(body, "adviser_opinion", 8000, false, e);
		if (!adv && json_object_get(body, "adviser_opinion"))
			goto out;
		json_object_set_new(data, "opinion", json_string(op));
		if (adv)
			json_object_set_new(data, "adviser_opinion", json_string(adv));
		note = op;
		if (!strcmp(action, "approve_review") && major)
			to = "collective_discussion";
	} else if (!strcmp(action, "discuss")) {
		const char *concl = text_member(body, "conclusion", 8000, true, e);
		if (!concl)
			goto out;
		json_t *who = json_object_get(body, "participants");
		if (!json_is_array(who) || json_array_size(who) < 3) {
			yj_fail(e, YJ_EINVAL, "participants", "field 'participants' must name at least three people (集体讨论)");
			goto out;
		}
		json_object_set_new(data, "conclusion", json_string(concl));
		json_object_set(data, "participants", who);
		note = concl;
	} else if (!strcmp(action, "decide")) {
		if (now > deadline) {
			yj_fail(e, YJ_ECONFLICT, "deadline", "the decision was due within %d days of filing%s; a commander must extend it first",
			        enf_cfg.decision_days, extended ? " and its extension has run out" : "");
			goto out;
		}
		char year_s[40];
		yj_time_format(now, year_s);
		char no[64];
		if (next_decision_no(s, atoi(year_s), no, e))
			goto out;
		st = store_stmt(s, "UPDATE penalty_case SET decision_no = ?1, decided_ms = ?2 WHERE id = ?3", e);
		if (!st)
			goto out;
		store_bind_text(st, 1, no);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, id);
		sqlite3_step(st);
		sqlite3_reset(st);
		json_object_set_new(data, "decision_no", json_string(no));
	} else if (!strcmp(action, "extend")) {
		const char *why = text_member(body, "reason", 2000, true, e);
		if (!why)
			goto out;
		if (extended) {
			yj_fail(e, YJ_ECONFLICT, "extended", "the deadline was extended once already");
			goto out;
		}
		json_t *days = json_object_get(body, "days");
		long d = json_is_integer(days) ? (long)json_integer_value(days) : 30;
		if (d < 1 || d > 60) {
			yj_fail(e, YJ_EINVAL, "days", "field 'days' must be 1..60");
			goto out;
		}
		st = store_stmt(s, "UPDATE penalty_case SET deadline_ms = deadline_ms + ?1, extended = 1 WHERE id = ?2", e);
		if (!st)
			goto out;
		sqlite3_bind_int64(st, 1, (int64_t)d * 86400000);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_step(st);
		sqlite3_reset(st);
		json_object_set_new(data, "days", json_integer(d));
		note = why;
	} else if (!strcmp(action, "serve")) {
		const char *how = text_member(body, "method", 200, true, e);
		if (!how)
			goto out;
		st = store_stmt(s, "UPDATE penalty_case SET served_ms = ? WHERE id = ?", e);
		if (!st)
			goto out;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_step(st);
		sqlite3_reset(st);
		json_object_set_new(data, "method", json_string(how));
	} else if (!strcmp(action, "record_payment")) {
		json_t *amt = json_object_get(body, "amount_yuan");
		if (!json_is_number(amt) || json_number_value(amt) < 0) {
			yj_fail(e, YJ_EINVAL, "amount_yuan", "field 'amount_yuan' must be the amount paid in yuan");
			goto out;
		}
		if (json_number_value(amt) + 0.005 < fine) {
			yj_fail(e, YJ_EUNPROCESSABLE, "amount_yuan", "%.2f yuan paid of a %.2f yuan fine: the case is executed when paid in full",
			        json_number_value(amt), fine);
			goto out;
		}
		st = store_stmt(s, "UPDATE penalty_case SET paid_yuan = ?1, executed_ms = ?2 WHERE id = ?3", e);
		if (!st)
			goto out;
		sqlite3_bind_double(st, 1, json_number_value(amt));
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, id);
		sqlite3_step(st);
		sqlite3_reset(st);
		json_object_set(data, "amount_yuan", amt);
	} else if (!strcmp(action, "enforce")) {
		const char *how = text_member(body, "note", 2000, true, e);
		if (!how)
			goto out;
		st = store_stmt(s, "UPDATE penalty_case SET executed_ms = ? WHERE id = ?", e);
		if (!st)
			goto out;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_step(st);
		sqlite3_reset(st);
		note = how;
	} else if (!strcmp(action, "close")) {
		st = store_stmt(s, "UPDATE penalty_case SET closed_ms = ? WHERE id = ?", e);
		if (!st)
			goto out;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	st = store_stmt(s, "UPDATE penalty_case SET state = ?1, updated_ms = ?2 WHERE id = ?3", e);
	if (!st)
		goto out;
	store_bind_text(st, 1, to);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	sqlite3_step(st);
	sqlite3_reset(st);
	const char *n = json_string_value(json_object_get(body, "note"));
	st = store_stmt(s,
	                "INSERT INTO case_event(case_id, action, from_state, to_state, user_id, note, data, created_ms) "
	                "VALUES (?,?,?,?,?,?,?,?)",
	                e);
	if (!st)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, action);
	store_bind_text(st, 3, state);
	store_bind_text(st, 4, to);
	sqlite3_bind_int64(st, 5, u->id);
	store_bind_text(st, 6, *note ? note : n ? n : "");
	char *dtxt = json_dumps(data, JSON_COMPACT);
	sqlite3_bind_text(st, 7, dtxt ? dtxt : "{}", -1, free);
	sqlite3_bind_int64(st, 8, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		store_fail(s, e, "case event");
		goto out;
	}
	sqlite3_reset(st);
	char idbuf[24], act[48];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	snprintf(act, sizeof act, "case.%s", action);
	json_t *stj = case_state(s, idbuf);
	rc = audit_append(s, u, act, "penalty_case", idbuf, stj, e);
	json_decref(stj);
out:
	json_decref(data);
	return rc;
}

/* ---- the decision document -------------------------------------------------------------------------- */

int enf_case_pdf(store *s, int64_t id, char **pdf, size_t *len, yj_err *e)
{
	json_t *c = enf_case_json(s, id, true);
	if (!c)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no case %lld", (long long)id);
	if (json_is_null(json_object_get(c, "decision_no"))) {
		json_decref(c);
		return yj_fail(e, YJ_ECONFLICT, "state", "the case has no decision yet");
	}
	json_t *party = json_object_get(c, "party");
	json_t *p = json_pack("{s:s, s:s}", "name", json_string_value(json_object_get(party, "name")), "type",
	                      json_string_value(json_object_get(party, "type")));
	if (json_is_integer(json_object_get(c, "enterprise_id"))) {
		sqlite3_stmt *st = store_stmt(s, "SELECT credit_code, address, principal FROM enterprise WHERE id = ?", NULL);
		sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(c, "enterprise_id")));
		if (sqlite3_step(st) == SQLITE_ROW) {
			json_object_set_new(p, "credit_code", json_string((const char *)sqlite3_column_text(st, 0)));
			if (sqlite3_column_type(st, 1) != SQLITE_NULL)
				json_object_set_new(p, "address", json_string((const char *)sqlite3_column_text(st, 1)));
			if (sqlite3_column_type(st, 2) != SQLITE_NULL)
				json_object_set_new(p, "legal_representative", json_string((const char *)sqlite3_column_text(st, 2)));
		}
		sqlite3_reset(st);
	} else if (json_is_string(json_object_get(party, "id_number"))) {
		json_object_set(p, "id_number", json_object_get(party, "id_number"));
	}
	json_t *pen = json_object();
	if (json_number_value(json_object_get(c, "fine_yuan")) > 0)
		json_object_set(pen, "fine_yuan", json_object_get(c, "fine_yuan"));
	if (json_is_true(json_object_get(c, "revocation")))
		json_object_set_new(pen, "revocation", json_true());
	if (json_is_true(json_object_get(c, "suspension")))
		json_object_set_new(pen, "suspension", json_string("责令停产停业整顿"));
	bool heard = false;
	size_t i;
	json_t *ev;
	json_array_foreach(json_object_get(c, "timeline"), i, ev) heard |= !strcmp(json_string_value(json_object_get(ev, "action")), "request_hearing");
	json_t *doc = json_pack("{s:s, s:O, s:o, s:O, s:O, s:o, s:b, s:{s:s, s:s, s:i, s:i}, s:O}", "authority",
	                        enf_cfg.authority, "decision_no", json_object_get(c, "decision_no"), "party", p, "facts",
	                        json_object_get(c, "facts"), "legal_basis", json_object_get(c, "legal_basis"), "penalty", pen,
	                        "hearing_held", heard, "appeal", "reconsideration_body", "汕尾市人民政府",
	                        "court", "汕尾市城区人民法院", "reconsideration_days", 60, "litigation_months", 6, "decided",
	                        json_object_get(c, "decided"));
	json_object_set_new(doc, "payment", json_pack("{s:s, s:s, s:i}", "bank", "指定代收银行", "account", "非税收入汇缴账户",
	                                              "deadline_days", 15));
	json_decref(c);
	int rc = enf_decision_pdf(doc, pdf, len, e);
	json_decref(doc);
	return rc;
}

/* ---- coercive measures and case-file review --------------------------------------------------------- */

int enf_coercive_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e)
{
	static const char *const keys[] = {"enterprise_id", "case_id", "kind", "reason", "start", "end", NULL};
	if (enf_only_keys(body, keys, e))
		return -1;
	json_t *ent = json_object_get(body, "enterprise_id"), *cs = json_object_get(body, "case_id");
	const char *kind = json_string_value(json_object_get(body, "kind"));
	const char *reason = json_string_value(json_object_get(body, "reason"));
	if (!json_is_integer(ent))
		return yj_fail(e, YJ_EINVAL, "enterprise_id", "field 'enterprise_id' is required");
	char area[16];
	enf_enterprise_area(s, json_integer_value(ent), area);
	if (!area[0] || !auth_area_visible(u, area))
		return yj_fail(e, YJ_EINVAL, "enterprise_id", "no enterprise %lld in your jurisdiction", (long long)json_integer_value(ent));
	if (!kind || (strcmp(kind, "seal_up") && strcmp(kind, "seize")))
		return yj_fail(e, YJ_EINVAL, "kind", "field 'kind' must be seal_up (查封) or seize (扣押)");
	if (!reason || !*reason || strlen(reason) > 2000)
		return yj_fail(e, YJ_EINVAL, "reason", "field 'reason' is required");
	int64_t start = yj_now_ms(), end = 0;
	json_t *sv = json_object_get(body, "start"), *ev = json_object_get(body, "end");
	if (sv && (!json_is_string(sv) || yj_time_parse(json_string_value(sv), &start, "start", e)))
		return json_is_string(sv) ? -1 : yj_fail(e, YJ_EINVAL, "start", "field 'start' must be an RFC 3339 time");
	if (ev && (!json_is_string(ev) || yj_time_parse(json_string_value(ev), &end, "end", e)))
		return json_is_string(ev) ? -1 : yj_fail(e, YJ_EINVAL, "end", "field 'end' must be an RFC 3339 time");
	if (ev && end <= start)
		return yj_fail(e, YJ_EINVAL, "end", "field 'end' must be after 'start'");
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO coercive_measure(case_id, enterprise_id, kind, reason, area_code, start_ms, end_ms, "
	                              "created_by) VALUES (?,?,?,?,?,?,?,?)",
	                              e);
	if (!st)
		return -1;
	if (json_is_integer(cs))
		sqlite3_bind_int64(st, 1, json_integer_value(cs));
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int64(st, 2, json_integer_value(ent));
	store_bind_text(st, 3, kind);
	store_bind_text(st, 4, reason);
	store_bind_text(st, 5, area);
	sqlite3_bind_int64(st, 6, start);
	if (ev)
		sqlite3_bind_int64(st, 7, end);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int64(st, 8, u->id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return rc == SQLITE_CONSTRAINT ? yj_fail(e, YJ_EINVAL, "case_id", "no such case") : store_fail(s, e, "coercive measure");
	*id_out = sqlite3_last_insert_rowid(store_db(s));
	return enf_audit(s, u, "coercive.create", "coercive_measure", *id_out, body, e);
}

int enf_review_create(store *s, const auth_user *u, int64_t case_id, json_t *body, int64_t *id_out, yj_err *e)
{
	static const char *const keys[] = {"items", "problems", NULL};
	if (enf_only_keys(body, keys, e))
		return -1;
	json_t *c = enf_case_json(s, case_id, false);
	if (!c || !auth_area_visible(u, json_string_value(json_object_get(c, "area_code")))) {
		json_decref(c);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no case %lld", (long long)case_id);
	}
	bool closed = !strcmp(json_string_value(json_object_get(c, "state")), "closed");
	json_decref(c);
	if (!closed)
		return yj_fail(e, YJ_ECONFLICT, "state", "case files are reviewed (案卷评查) once the case is closed");
	json_t *items = json_object_get(body, "items");
	if (!json_is_array(items) || json_array_size(items) == 0 || json_array_size(items) > 200)
		return yj_fail(e, YJ_EINVAL, "items", "field 'items' must list the checklist items: [{item, max, score, note?}]");
	double score = 0, max = 0;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		json_t *mx = json_object_get(it, "max"), *sc = json_object_get(it, "score");
		if (!json_is_string(json_object_get(it, "item")) || !json_is_number(mx) || !json_is_number(sc) ||
		    json_number_value(sc) < 0 || json_number_value(sc) > json_number_value(mx))
			return yj_fail(e, YJ_EINVAL, "items", "items[%zu] must be {item: text, max: number, score: 0..max}", i);
		score += json_number_value(sc);
		max += json_number_value(mx);
	}
	const char *problems = json_string_value(json_object_get(body, "problems"));
	if (problems && strlen(problems) > 8000)
		return yj_fail(e, YJ_EINVAL, "problems", "field 'problems': at most 8000 bytes");
	char year[40];
	yj_time_format(yj_now_ms(), year);
	char *itxt = json_dumps(items, JSON_COMPACT);
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO case_review(case_id, reviewer_id, items, score, problems, year, created_ms) "
	                              "VALUES (?,?,?,?,?,?,?)",
	                              e);
	if (!st) {
		free(itxt);
		return -1;
	}
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, u->id);
	sqlite3_bind_text(st, 3, itxt, -1, free);
	/* scores are kept out of 100 whatever the checklist's total */
	sqlite3_bind_double(st, 4, max > 0 ? 100.0 * score / max : 0);
	store_bind_text(st, 5, problems ? problems : "");
	sqlite3_bind_int(st, 6, atoi(year));
	sqlite3_bind_int64(st, 7, yj_now_ms());
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "case review");
	*id_out = sqlite3_last_insert_rowid(store_db(s));
	return enf_audit(s, u, "case.review", "case_review", *id_out, body, e);
}

void enf_case_init(void)
{
	audit_register_state("penalty_case", case_state);
}
