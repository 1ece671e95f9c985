/*
 * inspect.c — inspections (检查), evidence (证据), hazards (隐患) and their
 * rectification (整改), and duty spot checks (值班值守抽查).
 *
 * An inspection has at least two inspectors (expert visits and duty checks
 * excepted) and becomes a record only when every one of them confirms it;
 * after that it cannot change. Evidence is stored by its SHA-256 in a
 * folder beside the database (same bytes, same file), typed by its content,
 * never by its name; the digest enters the audit chain with the link.
 * A hazard moves open -> rectification_submitted -> verified_closed (or
 * back to open when the inspector rejects the rectification); a scheduled
 * job flags hazards past their deadline as overdue and tells the enterprise.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enforce/enf_int.h"
#include "dispatch/dispatch.h"
#include "http/http.h"

enf_config enf_cfg = {.major_fine_yuan = 50000, .hearing_fine_yuan = 10000, .decision_days = 90,
                      .attachment_max = 64u << 20, .authority = "汕尾市应急管理局", .decision_prefix = "汕应急罚"};
static char evidence_dir[512];

/* ---- helpers ---------------------------------------------------------------------------------- */

int enf_only_keys(json_t *body, const char *const *keys, yj_err *e)
{
	return yj_only_keys(body, keys, e);
}

json_t *enf_time(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	char t[40];
	yj_time_format(sqlite3_column_int64(st, col), t);
	return json_string(t);
}

int enf_audit(store *s, const auth_user *u, const char *action, const char *type, int64_t id, json_t *state, yj_err *e)
{
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	return audit_append(s, u, action, type, idbuf, state, e);
}

void enf_enterprise_area(store *s, int64_t id, char out[16])
{
	out[0] = 0;
	sqlite3_stmt *st = store_stmt(s, "SELECT area_code FROM enterprise WHERE id = ?", NULL);
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, 16, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
}

int enf_check_matter(store *s, const auth_user *u, const char *matter, yj_err *e)
{
	if (!matter)
		return 0;
	sqlite3_stmt *st = store_stmt(s, "SELECT town_delegated FROM enforcement_matter WHERE code = ?", e);
	if (!st)
		return -1;
	store_bind_text(st, 1, matter);
	int rc = sqlite3_step(st);
	int delegated = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return yj_fail(e, YJ_EINVAL, "matter_code", "field 'matter_code': no enforcement matter %.32s", matter);
	/* 镇街综合行政执法: towns act only on the matters delegated to them */
	if (strlen(u->area_code) >= 9 && !delegated)
		return yj_fail(e, YJ_EFORBIDDEN, "matter_code",
		               "matter %.32s is not delegated to towns: the county or city enforces it", matter);
	return 0;
}

static int load_user_enterprise(store *s, int64_t user, int64_t *enterprise)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT enterprise_id FROM user WHERE id = ?", NULL);
	*enterprise = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, user);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*enterprise = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

/* ---- inspections -------------------------------------------------------------------------------- */

int enf_inspection_insert(store *s, const auth_user *u, const char *kind, int64_t draw_id, int64_t enterprise,
                          const char *reason, const char *matter, json_t *members, int64_t *id_out, yj_err *e)
{
	char area[16];
	enf_enterprise_area(s, enterprise, area);
	if (!area[0])
		return yj_fail(e, YJ_EINVAL, "enterprise_id", "no enterprise %lld", (long long)enterprise);
	if (u && !auth_area_visible(u, area) && strcmp(kind, "draw") != 0)
		return yj_fail(e, YJ_EFORBIDDEN, "enterprise_id", "enterprise %lld is outside your jurisdiction", (long long)enterprise);
	int64_t now = yj_now_ms();
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO inspection(kind, draw_id, enterprise_id, area_code, reason, matter_code, state, "
	                              "created_by, created_ms, updated_ms) VALUES (?,?,?,?,?,?,'assigned',?,?,?)",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, kind);
	if (draw_id)
		sqlite3_bind_int64(st, 2, draw_id);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, enterprise);
	store_bind_text(st, 4, area);
	store_bind_text(st, 5, reason);
	store_bind_text(st, 6, matter);
	sqlite3_bind_int64(st, 7, u ? u->id : 0);
	sqlite3_bind_int64(st, 8, now);
	sqlite3_bind_int64(st, 9, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return store_fail(s, e, "insert inspection");
	}
	sqlite3_reset(st);
	int64_t id = sqlite3_last_insert_rowid(store_db(s));
	st = store_stmt(s, "INSERT INTO inspection_member(inspection_id, user_id) VALUES (?,?)", e);
	if (!st)
		return -1;
	size_t i;
	json_t *m;
	json_array_foreach(members, i, m) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, json_integer_value(m));
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return yj_fail(e, YJ_EINVAL, "inspectors", "inspectors[%zu]: listed twice or not a user", i);
	}
	*id_out = id;
	json_t *state = json_pack("{s:s, s:I, s:O}", "kind", kind, "enterprise_id", (json_int_t)enterprise, "inspectors", members);
	int rc = enf_audit(s, u, "inspection.create", "inspection", id, state, e);
	json_decref(state);
	return rc;
}

json_t *enf_inspection_json(store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT i.id, i.kind, i.draw_id, i.enterprise_id, e.name, i.area_code, i.reason, i.matter_code, "
	                              "i.state, i.place, i.checklist, i.findings, i.answered, i.inspected_ms, i.created_ms, i.updated_ms "
	                              "FROM inspection i JOIN enterprise e ON e.id = i.enterprise_id WHERE i.id = ?",
	                              NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		j = json_pack("{s:I, s:s, s:o, s:I, s:s, s:s, s:s?, s:s?, s:s, s:s?, s:o, s:s, s:o, s:o, s:o, s:o}", "id",
		              (json_int_t)sqlite3_column_int64(st, 0), "kind", (const char *)sqlite3_column_text(st, 1), "draw_id",
		              sqlite3_column_type(st, 2) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, 2)),
		              "enterprise_id", (json_int_t)sqlite3_column_int64(st, 3), "enterprise",
		              (const char *)sqlite3_column_text(st, 4), "area_code", (const char *)sqlite3_column_text(st, 5),
		              "reason", (const char *)sqlite3_column_text(st, 6), "matter_code",
		              (const char *)sqlite3_column_text(st, 7), "state", (const char *)sqlite3_column_text(st, 8), "place",
		              (const char *)sqlite3_column_text(st, 9), "checklist",
		              json_loads((const char *)sqlite3_column_text(st, 10), 0, NULL), "findings",
		              (const char *)sqlite3_column_text(st, 11), "answered",
		              sqlite3_column_type(st, 12) == SQLITE_NULL ? json_null() : json_boolean(sqlite3_column_int(st, 12)),
		              "inspected", enf_time(st, 13), "created", enf_time(st, 14), "updated", enf_time(st, 15));
	}
	sqlite3_reset(st);
	if (!j)
		return NULL;
	json_t *members = json_array();
	st = store_stmt(s,
	                "SELECT m.user_id, u.display_name, u.username, m.confirmed_ms, c.cert_no FROM inspection_member m "
	                "JOIN user u ON u.id = m.user_id LEFT JOIN inspector_cert c ON c.user_id = m.user_id "
	                "WHERE m.inspection_id = ? ORDER BY m.user_id",
	                NULL);
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(members, json_pack("{s:I, s:s, s:s, s:o, s:s?}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		                                         "name", (const char *)sqlite3_column_text(st, 1), "username",
		                                         (const char *)sqlite3_column_text(st, 2), "confirmed", enf_time(st, 3),
		                                         "cert_no", (const char *)sqlite3_column_text(st, 4)));
	sqlite3_reset(st);
	json_object_set_new(j, "inspectors", members);
	json_t *ev = json_array();
	st = store_stmt(s,
	                "SELECT v.sha256, a.mime, a.size, a.name, v.note FROM evidence v JOIN attachment a ON a.sha256 = v.sha256 "
	                "WHERE v.owner_type = 'inspection' AND v.owner_id = ? ORDER BY v.added_ms",
	                NULL);
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(ev, json_pack("{s:s, s:s, s:I, s:s, s:s}", "sha256", (const char *)sqlite3_column_text(st, 0),
		                                    "mime", (const char *)sqlite3_column_text(st, 1), "size",
		                                    (json_int_t)sqlite3_column_int64(st, 2), "name",
		                                    (const char *)sqlite3_column_text(st, 3), "note",
		                                    (const char *)sqlite3_column_text(st, 4)));
	sqlite3_reset(st);
	json_object_set_new(j, "evidence", ev);
	return j;
}

static bool is_member(store *s, int64_t inspection, int64_t user)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM inspection_member WHERE inspection_id = ? AND user_id = ?", NULL);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, inspection);
	sqlite3_bind_int64(st, 2, user);
	bool ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return ok;
}

int enf_inspection_record(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e)
{
	static const char *const keys[] = {"place", "inspected", "checklist", "findings", "answered", NULL};
	if (enf_only_keys(body, keys, e))
		return -1;
	json_t *cur = enf_inspection_json(s, id);
	if (!cur)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no inspection %lld", (long long)id);
	const char *state = json_string_value(json_object_get(cur, "state"));
	bool locked = !strcmp(state, "confirmed");
	json_decref(cur);
	if (!is_member(s, id, u->id))
		return yj_fail(e, YJ_EFORBIDDEN, "", "only the inspectors of this inspection record it");
	if (locked)
		return yj_fail(e, YJ_ECONFLICT, "state", "inspection %lld is confirmed: its record no longer changes", (long long)id);
	json_t *place = json_object_get(body, "place"), *findings = json_object_get(body, "findings");
	json_t *check = json_object_get(body, "checklist"), *when = json_object_get(body, "inspected");
	json_t *answered = json_object_get(body, "answered");
	if (place && (!json_is_string(place) || json_string_length(place) > 300))
		return yj_fail(e, YJ_EINVAL, "place", "field 'place' must be text of at most 300 bytes");
	if (findings && (!json_is_string(findings) || json_string_length(findings) > 20000))
		return yj_fail(e, YJ_EINVAL, "findings", "field 'findings' must be text of at most 20000 bytes");
	if (answered && !json_is_boolean(answered))
		return yj_fail(e, YJ_EINVAL, "answered", "field 'answered' must be true or false");
	int64_t when_ms = yj_now_ms();
	if (when && (!json_is_string(when) || yj_time_parse(json_string_value(when), &when_ms, "inspected", e)))
		return json_is_string(when) ? -1 : yj_fail(e, YJ_EINVAL, "inspected", "field 'inspected' must be an RFC 3339 time");
	if (when_ms > yj_now_ms() + 60000)
		return yj_fail(e, YJ_EINVAL, "inspected", "field 'inspected' is in the future");
	if (check) {
		if (!json_is_array(check) || json_array_size(check) > 500)
			return yj_fail(e, YJ_EINVAL, "checklist", "field 'checklist' must be an array of {item, result, note}");
		size_t i;
		json_t *it;
		json_array_foreach(check, i, it) {
			const char *res = json_string_value(json_object_get(it, "result"));
			if (!json_is_string(json_object_get(it, "item")) || !res ||
			    (strcmp(res, "ok") && strcmp(res, "problem") && strcmp(res, "na")))
				return yj_fail(e, YJ_EINVAL, "checklist", "checklist[%zu] must be {\"item\": text, \"result\": ok|problem|na, \"note\"?}", i);
		}
	}
	char *ctxt = check ? json_dumps(check, JSON_COMPACT) : NULL;
	sqlite3_stmt *st = store_stmt(s,
	                              "UPDATE inspection SET place = coalesce(?1, place), checklist = coalesce(?2, checklist), "
	                              "findings = coalesce(?3, findings), answered = coalesce(?4, answered), inspected_ms = ?5, "
	                              "state = 'recorded', updated_ms = ?6 WHERE id = ?7",
	                              e);
	if (!st) {
		free(ctxt);
		return -1;
	}
	store_bind_text(st, 1, json_string_value(place));
	if (ctxt)
		sqlite3_bind_text(st, 2, ctxt, -1, free);
	else
		sqlite3_bind_null(st, 2);
	store_bind_text(st, 3, json_string_value(findings));
	if (answered)
		sqlite3_bind_int(st, 4, json_is_true(answered));
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, when_ms);
	sqlite3_bind_int64(st, 6, yj_now_ms());
	sqlite3_bind_int64(st, 7, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "record inspection");
	/* a record that changes must be confirmed again by everyone */
	st = store_stmt(s, "UPDATE inspection_member SET confirmed_ms = NULL WHERE inspection_id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_step(st);
	sqlite3_reset(st);
	return enf_audit(s, u, "inspection.record", "inspection", id, body, e);
}

int enf_inspection_confirm(store *s, const auth_user *u, int64_t id, yj_err *e)
{
	json_t *cur = enf_inspection_json(s, id);
	if (!cur)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no inspection %lld", (long long)id);
	char state[24], kind[24];
	snprintf(state, sizeof state, "%s", json_string_value(json_object_get(cur, "state")));
	snprintf(kind, sizeof kind, "%s", json_string_value(json_object_get(cur, "kind")));
	bool answered_no = json_is_false(json_object_get(cur, "answered"));
	int64_t enterprise = json_integer_value(json_object_get(cur, "enterprise_id"));
	json_decref(cur);
	if (!is_member(s, id, u->id))
		return yj_fail(e, YJ_EFORBIDDEN, "", "only the inspectors of this inspection confirm it");
	if (!strcmp(state, "assigned"))
		return yj_fail(e, YJ_ECONFLICT, "state", "record the inspection before confirming it");
	if (!strcmp(state, "confirmed"))
		return 0;
	sqlite3_stmt *st = store_stmt(s, "UPDATE inspection_member SET confirmed_ms = coalesce(confirmed_ms, ?) WHERE inspection_id = ? AND user_id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, yj_now_ms());
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, u->id);
	sqlite3_step(st);
	sqlite3_reset(st);
	st = store_stmt(s, "SELECT count(*), sum(confirmed_ms IS NOT NULL) FROM inspection_member WHERE inspection_id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_step(st);
	int total = sqlite3_column_int(st, 0), done = sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	int needed = !strcmp(kind, "duty_check") || !strcmp(kind, "expert") ? 1 : 2;
	if (done == total && total >= needed) {
		st = store_stmt(s, "UPDATE inspection SET state = 'confirmed', updated_ms = ? WHERE id = ?", e);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, yj_now_ms());
		sqlite3_bind_int64(st, 2, id);
		sqlite3_step(st);
		sqlite3_reset(st);
		/* a duty check nobody answered is a finding of its own */
		if (!strcmp(kind, "duty_check") && answered_no) {
			char deadline[40];
			yj_time_format(yj_now_ms() + 7LL * 86400000, deadline);
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
	json_t *stj = json_pack("{s:I, s:i, s:i}", "enterprise_id", (json_int_t)enterprise, "confirmed", done, "inspectors", total);
	int rc = enf_audit(s, u, "inspection.confirm", "inspection_confirm", id, stj, e);
	json_decref(stj);
	return rc;
}

/* ---- hazards ------------------------------------------------------------------------------------- */

static json_t *hazard_state(store *s, const char *id);

int enf_hazard_create(store *s, const auth_user *u, int64_t inspection, json_t *body, int64_t *id_out, yj_err *e)
{
	static const char *const keys[] = {"level", "description", "legal_basis", "deadline", NULL};
	if (enf_only_keys(body, keys, e))
		return -1;
	json_t *cur = enf_inspection_json(s, inspection);
	if (!cur)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no inspection %lld", (long long)inspection);
	int64_t enterprise = json_integer_value(json_object_get(cur, "enterprise_id"));
	char area[16], kind[24];
	snprintf(area, sizeof area, "%s", json_string_value(json_object_get(cur, "area_code")));
	snprintf(kind, sizeof kind, "%s", json_string_value(json_object_get(cur, "kind")));
	json_decref(cur);
	if (!is_member(s, inspection, u->id))
		return yj_fail(e, YJ_EFORBIDDEN, "", "hazards are recorded by the inspection's own inspectors");
	const char *level = json_string_value(json_object_get(body, "level"));
	const char *desc = json_string_value(json_object_get(body, "description"));
	const char *basis = json_string_value(json_object_get(body, "legal_basis"));
	const char *deadline = json_string_value(json_object_get(body, "deadline"));
	if (!level || (strcmp(level, "general") && strcmp(level, "major")))
		return yj_fail(e, YJ_EINVAL, "level", "field 'level' must be general (一般) or major (重大)");
	if (!desc || !*desc || strlen(desc) > 4000)
		return yj_fail(e, YJ_EINVAL, "description", "field 'description' is required (at most 4000 bytes)");
	if (basis && strlen(basis) > 2000)
		return yj_fail(e, YJ_EINVAL, "legal_basis", "field 'legal_basis': at most 2000 bytes");
	int64_t dl;
	if (!deadline)
		return yj_fail(e, YJ_EINVAL, "deadline", "field 'deadline' is required (the rectification deadline)");
	if (yj_time_parse(deadline, &dl, "deadline", e))
		return -1;
	int64_t now = yj_now_ms();
	if (dl <= now)
		return yj_fail(e, YJ_EINVAL, "deadline", "field 'deadline' must be in the future");
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO hazard(enterprise_id, inspection_id, source, level, description, legal_basis, "
	                              "deadline_ms, state, area_code, found_ms, created_by, updated_ms) "
	                              "VALUES (?,?,?,?,?,?,?,'open',?,?,?,?)",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, enterprise);
	sqlite3_bind_int64(st, 2, inspection);
	store_bind_text(st, 3, !strcmp(kind, "expert") ? "expert" : !strcmp(kind, "duty_check") ? "duty_check" : "inspection");
	store_bind_text(st, 4, level);
	store_bind_text(st, 5, desc);
	store_bind_text(st, 6, basis ? basis : "");
	sqlite3_bind_int64(st, 7, dl);
	store_bind_text(st, 8, area);
	sqlite3_bind_int64(st, 9, now);
	sqlite3_bind_int64(st, 10, u->id);
	sqlite3_bind_int64(st, 11, now);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "insert hazard");
	*id_out = sqlite3_last_insert_rowid(store_db(s));
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)*id_out);
	json_t *h = hazard_state(s, idbuf);
	rc = enf_audit(s, u, "hazard.create", "hazard", *id_out, h, e);
	json_decref(h);
	return rc;
}

json_t *enf_hazard_json(store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT h.id, h.enterprise_id, e.name, h.inspection_id, h.source, h.level, h.description, "
	                              "h.legal_basis, h.deadline_ms, h.state, h.overdue, h.area_code, h.found_ms, h.closed_ms "
	                              "FROM hazard h JOIN enterprise e ON e.id = h.enterprise_id WHERE h.id = ?",
	                              NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_pack("{s:I, s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:s, s:b, s:s, s:o, s:o}", "id",
		              (json_int_t)sqlite3_column_int64(st, 0), "enterprise_id", (json_int_t)sqlite3_column_int64(st, 1),
		              "enterprise", (const char *)sqlite3_column_text(st, 2), "inspection_id",
		              sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, 3)),
		              "source", (const char *)sqlite3_column_text(st, 4), "level", (const char *)sqlite3_column_text(st, 5),
		              "description", (const char *)sqlite3_column_text(st, 6), "legal_basis",
		              (const char *)sqlite3_column_text(st, 7), "deadline", enf_time(st, 8), "state",
		              (const char *)sqlite3_column_text(st, 9), "overdue", sqlite3_column_int(st, 10), "area_code",
		              (const char *)sqlite3_column_text(st, 11), "found", enf_time(st, 12), "closed", enf_time(st, 13));
	sqlite3_reset(st);
	if (!j)
		return NULL;
	json_t *rect = json_array();
	st = store_stmt(s,
	                "SELECT id, submitted_by, note, submitted_ms, verdict, verdict_by, verdict_reason, verdict_ms "
	                "FROM rectification WHERE hazard_id = ? ORDER BY id",
	                NULL);
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rect, json_pack("{s:I, s:I, s:s, s:o, s:s?, s:s?, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		                                      "submitted_by", (json_int_t)sqlite3_column_int64(st, 1), "note",
		                                      (const char *)sqlite3_column_text(st, 2), "submitted", enf_time(st, 3),
		                                      "verdict", (const char *)sqlite3_column_text(st, 4), "verdict_reason",
		                                      (const char *)sqlite3_column_text(st, 6), "verdict_at", enf_time(st, 7)));
	sqlite3_reset(st);
	json_object_set_new(j, "rectifications", rect);
	return j;
}

static json_t *hazard_state(store *s, const char *id)
{
	json_t *h = enf_hazard_json(s, strtoll(id, NULL, 10));
	/* the audited state is the hazard's own: names joined in from elsewhere may change */
	if (h) {
		json_object_del(h, "rectifications");
		json_object_del(h, "enterprise");
	}
	return h;
}

int enf_hazard_rectify(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e)
{
	static const char *const keys[] = {"note", NULL};
	if (enf_only_keys(body, keys, e))
		return -1;
	json_t *h = enf_hazard_json(s, id);
	if (!h)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no hazard %lld", (long long)id);
	int64_t enterprise = json_integer_value(json_object_get(h, "enterprise_id"));
	char state[32];
	snprintf(state, sizeof state, "%s", json_string_value(json_object_get(h, "state")));
	json_decref(h);
	if (u->role == ROLE_ENTERPRISE) {
		int64_t mine;
		load_user_enterprise(s, u->id, &mine);
		if (mine != enterprise)
			return yj_fail(e, YJ_ENOTFOUND, "id", "no hazard %lld for your enterprise", (long long)id);
	}
	if (strcmp(state, "open") != 0)
		return yj_fail(e, YJ_ECONFLICT, "state", "hazard %lld is %s; a rectification can be submitted while it is open",
		               (long long)id, state);
	const char *note = json_string_value(json_object_get(body, "note"));
	if (!note || !*note || strlen(note) > 4000)
		return yj_fail(e, YJ_EINVAL, "note", "field 'note' is required: what was done (at most 4000 bytes)");
	int64_t now = yj_now_ms();
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO rectification(hazard_id, submitted_by, note, submitted_ms) VALUES (?,?,?,?)", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, u->id);
	store_bind_text(st, 3, note);
	sqlite3_bind_int64(st, 4, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return store_fail(s, e, "rectification");
	}
	sqlite3_reset(st);
	st = store_stmt(s, "UPDATE hazard SET state = 'rectification_submitted', updated_ms = ? WHERE id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_step(st);
	sqlite3_reset(st);
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	json_t *stj = hazard_state(s, idbuf);
	int rc = enf_audit(s, u, "hazard.rectify", "hazard", id, stj, e);
	json_decref(stj);
	return rc;
}

int enf_hazard_verify(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e)
{
	static const char *const keys[] = {"accept", "reason", NULL};
	if (enf_only_keys(body, keys, e))
		return -1;
	json_t *accept = json_object_get(body, "accept");
	const char *reason = json_string_value(json_object_get(body, "reason"));
	if (!json_is_boolean(accept))
		return yj_fail(e, YJ_EINVAL, "accept", "field 'accept' must be true (verified, closed) or false (rejected)");
	if (!json_is_true(accept) && (!reason || !*reason))
		return yj_fail(e, YJ_EINVAL, "reason", "field 'reason' is required when rejecting a rectification");
	if (reason && strlen(reason) > 2000)
		return yj_fail(e, YJ_EINVAL, "reason", "field 'reason': at most 2000 bytes");
	json_t *h = enf_hazard_json(s, id);
	if (!h || !auth_area_visible(u, json_string_value(json_object_get(h, "area_code")))) {
		json_decref(h);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no hazard %lld", (long long)id);
	}
	bool submitted = !strcmp(json_string_value(json_object_get(h, "state")), "rectification_submitted");
	json_decref(h);
	if (!submitted)
		return yj_fail(e, YJ_ECONFLICT, "state", "hazard %lld has no rectification waiting for verification", (long long)id);
	int64_t now = yj_now_ms();
	bool ok = json_is_true(accept);
	sqlite3_stmt *st = store_stmt(s,
	                              "UPDATE rectification SET verdict = ?1, verdict_by = ?2, verdict_reason = ?3, verdict_ms = ?4 "
	                              "WHERE id = (SELECT max(id) FROM rectification WHERE hazard_id = ?5)",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, ok ? "accepted" : "rejected");
	sqlite3_bind_int64(st, 2, u->id);
	store_bind_text(st, 3, reason);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, id);
	sqlite3_step(st);
	sqlite3_reset(st);
	st = store_stmt(s,
	                "UPDATE hazard SET state = ?1, closed_ms = CASE WHEN ?1 = 'verified_closed' THEN ?2 ELSE NULL END, "
	                "updated_ms = ?2 WHERE id = ?3",
	                e);
	if (!st)
		return -1;
	store_bind_text(st, 1, ok ? "verified_closed" : "open");
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	sqlite3_step(st);
	sqlite3_reset(st);
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	json_t *stj = hazard_state(s, idbuf);
	int rc = enf_audit(s, u, ok ? "hazard.verify" : "hazard.reject", "hazard", id, stj, e);
	json_decref(stj);
	return rc;
}

int enf_overdue_job(store *s, int64_t now, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, enterprise_id, area_code FROM hazard WHERE state = 'open' AND overdue = 0 "
	                                 "AND deadline_ms < ? LIMIT 500",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	int64_t ids[500], ents[500];
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW && n < 500) {
		ids[n] = sqlite3_column_int64(st, 0);
		ents[n++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	for (int i = 0; i < n; i++) {
		st = store_stmt(s, "UPDATE hazard SET overdue = 1, updated_ms = ? WHERE id = ?", e);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, ids[i]);
		sqlite3_step(st);
		sqlite3_reset(st);
		char idbuf[24];
		snprintf(idbuf, sizeof idbuf, "%lld", (long long)ids[i]);
		json_t *stj = hazard_state(s, idbuf);
		int rc = enf_audit(s, NULL, "hazard.overdue", "hazard", ids[i], stj, e);
		json_decref(stj);
		if (rc)
			return -1;
		/* tell the enterprise's users and the inspectors watching (inbox streams) */
		char data[96];
		snprintf(data, sizeof data, "{\"hazard_id\":%lld,\"enterprise_id\":%lld}", (long long)ids[i], (long long)ents[i]);
		http_sse_publish("hazards", "overdue", NULL, NULL, data);
		yj_log(YJ_LOG_INFO, "hazard_overdue", "hazard=%lld enterprise=%lld", (long long)ids[i], (long long)ents[i]);
	}
	return 0;
}

/* ---- evidence ------------------------------------------------------------------------------------- */

const char *enf_sniff_mime(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		return "image/jpeg";
	if (len >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (len >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
		return "image/webp";
	if (len >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WAVE", 4))
		return "audio/wav";
	if (len >= 5 && !memcmp(p, "%PDF-", 5))
		return "application/pdf";
	if (len >= 12 && !memcmp(p + 4, "ftyp", 4))
		return !memcmp(p + 8, "M4A", 3) ? "audio/mp4" : "video/mp4";
	if (len >= 4 && !memcmp(p, "\x1a\x45\xdf\xa3", 4))
		return "video/webm";
	if (len >= 3 && (!memcmp(p, "ID3", 3) || (p[0] == 0xFF && (p[1] & 0xE0) == 0xE0)))
		return "audio/mpeg";
	return NULL;
}

static void evidence_path(const char *sha, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%.2s/%s", evidence_dir, sha, sha);
}

int enf_evidence_add(store *s, const auth_user *u, const char *owner_type, int64_t owner_id, const char *name,
                     const char *data, size_t len, char sha_out[65], yj_err *e)
{
	if (len == 0)
		return yj_fail(e, YJ_EINVAL, "body", "the evidence file is empty");
	if (len > enf_cfg.attachment_max)
		return yj_fail(e, YJ_ETOOBIG, "body", "evidence files are at most %zu bytes", enf_cfg.attachment_max);
	const char *mime = enf_sniff_mime(data, len);
	if (!mime)
		return yj_fail(e, YJ_EUNPROCESSABLE, "body",
		               "the file is not a photo (JPEG, PNG, WebP), document (PDF), audio (MP3, M4A, WAV) or video "
		               "(MP4, WebM) judging by its content");
	unsigned char h[32];
	crypto_hash_sha256(h, (const unsigned char *)data, len);
	yj_hex(h, 32, sha_out);
	char path[700], tmp[720], dir[640];
	evidence_path(sha_out, path, sizeof path);
	snprintf(dir, sizeof dir, "%s/%.2s", evidence_dir, sha_out);
	mkdir(evidence_dir, 0750);
	mkdir(dir, 0750);
	struct stat sb;
	if (stat(path, &sb) != 0) {
		/* write, fsync, rename: the file is whole or absent */
		snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
		if (fd < 0)
			return yj_fail(e, YJ_EINTERNAL, "", "cannot store evidence: %s", strerror(errno));
		size_t off = 0;
		while (off < len) {
			ssize_t w = write(fd, data + off, len - off);
			if (w <= 0) {
				close(fd);
				unlink(tmp);
				return yj_fail(e, YJ_EINTERNAL, "", "cannot store evidence: %s", strerror(errno));
			}
			off += (size_t)w;
		}
		if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
			unlink(tmp);
			return yj_fail(e, YJ_EINTERNAL, "", "cannot store evidence: %s", strerror(errno));
		}
	}
	int64_t now = yj_now_ms();
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT OR IGNORE INTO attachment(sha256, size, mime, name, created_by, created_ms) VALUES (?,?,?,?,?,?)",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, sha_out);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)len);
	store_bind_text(st, 3, mime);
	store_bind_text(st, 4, name && *name ? name : "evidence");
	sqlite3_bind_int64(st, 5, u->id);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_step(st);
	sqlite3_reset(st);
	st = store_stmt(s,
	                "INSERT OR IGNORE INTO evidence(owner_type, owner_id, sha256, added_by, added_ms) VALUES (?,?,?,?,?)", e);
	if (!st)
		return -1;
	store_bind_text(st, 1, owner_type);
	sqlite3_bind_int64(st, 2, owner_id);
	store_bind_text(st, 3, sha_out);
	sqlite3_bind_int64(st, 4, u->id);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_step(st);
	sqlite3_reset(st);
	json_t *stj = json_pack("{s:s, s:I, s:s, s:I, s:s}", "owner_type", owner_type, "owner_id", (json_int_t)owner_id,
	                        "sha256", sha_out, "size", (json_int_t)len, "mime", mime);
	int rc = enf_audit(s, u, "evidence.add", "evidence", owner_id, stj, e);
	json_decref(stj);
	return rc;
}

int enf_attachment_read(store *s, const char *sha, char **data, size_t *len, char mime[64], yj_err *e)
{
	if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		return yj_fail(e, YJ_ENOTFOUND, "sha256", "no such evidence");
	sqlite3_stmt *st = store_stmt(s, "SELECT mime FROM attachment WHERE sha256 = ?", e);
	if (!st)
		return -1;
	store_bind_text(st, 1, sha);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		snprintf(mime, 64, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (!found)
		return yj_fail(e, YJ_ENOTFOUND, "sha256", "no such evidence");
	char path[700];
	evidence_path(sha, path, sizeof path);
	*data = yj_read_file(path, len, NULL);
	if (!*data)
		return yj_fail(e, YJ_EINTERNAL, "sha256", "the evidence file is missing from the store");
	/* integrity: what is served is what was recorded */
	unsigned char h[32];
	char hex[65];
	crypto_hash_sha256(h, (const unsigned char *)*data, *len);
	yj_hex(h, 32, hex);
	if (strcmp(hex, sha) != 0) {
		free(*data);
		*data = NULL;
		yj_log(YJ_LOG_ERROR, "evidence_corrupt", "sha256=%s", sha);
		return yj_fail(e, YJ_EINTERNAL, "sha256", "the evidence file no longer matches its digest");
	}
	return 0;
}

/* ---- duty spot checks (值班值守抽查) ----------------------------------------------------------------- */

int enf_duty_check_create(store *s, const auth_user *u, json_t *body, json_t **out, yj_err *e)
{
	static const char *const keys[] = {"count", "area_code", NULL};
	if (enf_only_keys(body, keys, e))
		return -1;
	json_t *count = json_object_get(body, "count");
	const char *area = json_string_value(json_object_get(body, "area_code"));
	if (!json_is_integer(count) || json_integer_value(count) < 1 || json_integer_value(count) > 200)
		return yj_fail(e, YJ_EINVAL, "count", "field 'count' must be a whole number in 1..200");
	if (!area)
		area = u->area_code;
	if (auth_require_area(u, area, "area_code", e))
		return -1;
	char prefix[16];
	auth_area_prefix(area, prefix);
	unsigned char seed[32];
	randombytes_buf(seed, sizeof seed);
	char seed_hex[65];
	yj_hex(seed, sizeof seed, seed_hex);
	/* at random among the enterprises of the area: order by a keyed hash of (seed, id) */
	sqlite3_stmt *st = store_stmt(s, "SELECT id FROM enterprise WHERE area_code >= ?1 AND area_code < ?1 || ':' ORDER BY id", e);
	if (!st)
		return -1;
	store_bind_text(st, 1, prefix);
	json_t *pool = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(pool, json_pack("{s:I, s:f, s:[]}", "id", (json_int_t)sqlite3_column_int64(st, 0), "weight", 1.0,
		                                      "recent_inspectors"));
	sqlite3_reset(st);
	json_t *me = json_pack("[{s:I, s:[]}]", "id", (json_int_t)u->id, "conflicts");
	json_t *picked = enf_draw_run(seed_hex, pool, me, (long)json_integer_value(count), 1, e);
	json_decref(pool);
	json_decref(me);
	if (!picked)
		return -1;
	json_t *items = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(picked, i, x) {
		int64_t iid;
		json_t *members = json_pack("[I]", (json_int_t)u->id);
		int rc = enf_inspection_insert(s, u, "duty_check", 0, json_integer_value(json_object_get(x, "enterprise_id")),
		                               "duty spot check", NULL, members, &iid, e);
		json_decref(members);
		if (rc) {
			json_decref(items);
			json_decref(picked);
			return -1;
		}
		json_array_append_new(items, enf_inspection_json(s, iid));
	}
	json_decref(picked);
	*out = json_pack("{s:s, s:o}", "seed", seed_hex, "items", items);
	return 0;
}

void enf_case_init(void);

void enf_init(void)
{
	audit_register_state("hazard", hazard_state);
	enf_case_init();
}

int enf_start(store *s, const enf_config *cfg, yj_err *e)
{
	if (cfg)
		enf_cfg = *cfg;
	snprintf(evidence_dir, sizeof evidence_dir, "%s", enf_cfg.attachments_dir ? enf_cfg.attachments_dir : "");
	if (!evidence_dir[0])
		snprintf(evidence_dir, sizeof evidence_dir, "%s.evidence", store_path() ? store_path() : "yingji.db");
	if (mkdir(evidence_dir, 0750) != 0 && errno != EEXIST)
		return yj_fail(e, YJ_EINTERNAL, "", "cannot create the evidence folder %s: %s", evidence_dir, strerror(errno));
	enf_init();
	disp_set_job(enf_overdue_job);
	return 0;
}
