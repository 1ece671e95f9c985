/*
 * hazard.c — hazards (隐患) found by inspections and their rectification
 * (整改).
 *
 * A hazard moves open -> rectification_submitted -> verified_closed, or
 * back to open when the inspector rejects the rectification. The
 * enterprise's own account submits rectifications; inspectors verify them.
 * A scheduled job flags hazards past their deadline as overdue, each in
 * the job's transaction, and tells the world with a bus event that is
 * delivered only once that transaction commits.
 */
#include <stdio.h>
#include <string.h>

#include "bus/bus.h"
#include "enforce/enf_int.h"
#include "registry/registry.h"

int64_t enf_user_enterprise(store *s, const auth_user *u)
{
	auth_user_row row;
	return u && auth_user_get(s, u->id, &row, NULL) > 0 ? row.enterprise_id : 0;
}

int enf_hazard_create(store *s, const auth_user *u, int64_t inspection, json_t *body, int64_t *id_out, yj_err *e)
{
	static const char *const keys[] = {"level", "description", "legal_basis", "deadline", NULL};
	static const char *const levels[] = {"general", "major", NULL};
	if (yj_only_keys(body, keys, e))
		return -1;
	enf_inspection in;
	int rc = enf_inspection_db_get(s, inspection, &in, e);
	if (rc <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "no inspection %lld", (long long)inspection);
	enf_hazard_new h = {.enterprise_id = in.enterprise_id, .inspection_id = inspection, .created_by = u->id,
	                    .now = yj_now_ms()};
	char area[16];
	snprintf(area, sizeof area, "%s", in.area_code);
	h.area_code = area;
	h.source = !strcmp(in.kind, "expert") ? "expert" : !strcmp(in.kind, "duty_check") ? "duty_check" : "inspection";
	enf_inspection_clear(&in);
	/* the caller's jurisdiction covers the inspection (reads as not found otherwise) */
	auth_scope mine;
	if (enf_own_scope(u, &mine, e))
		return -1;
	if (!auth_scope_contains(&mine, area))
		return yj_fail(e, YJ_ENOTFOUND, "id", "no inspection %lld", (long long)inspection);
	if ((rc = enf_member_db_is(s, inspection, u->id, e)) <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_EFORBIDDEN, "", "hazards are recorded by the inspection's own inspectors");
	int level;
	if (yj_json_enum(body, "level", YJ_REQUIRED, levels, &level, e) < 0)
		return -1;
	h.level = levels[level];
	if (yj_json_text(body, "description", YJ_REQUIRED | YJ_NONEMPTY, 4000, &h.description, e) < 0 ||
	    yj_json_text(body, "legal_basis", 0, 2000, &h.legal_basis, e) < 0 ||
	    yj_json_time(body, "deadline", YJ_REQUIRED, &h.deadline_ms, e) < 0)
		return -1;
	if (h.deadline_ms <= h.now)
		return yj_fail(e, YJ_EINVAL, "deadline", "field 'deadline' must be in the future");
	if (enf_hazard_db_insert(s, &h, id_out, e))
		return -1;
	return audit_record_id(s, u, "hazard.create", "hazard", *id_out, e);
}

/* ---- reading ------------------------------------------------------------------------------------------ */

int enf_hazard_visible(store *s, const auth_user *u, int64_t id, enf_hazard *out, yj_err *e)
{
	int rc = enf_hazard_db_get(s, id, out, e);
	if (rc <= 0)
		return rc;
	if (u->role == ROLE_ENTERPRISE) { /* an enterprise account: its own hazards */
		int64_t mine = enf_user_enterprise(s, u);
		rc = mine && mine == out->enterprise_id;
	} else {
		rc = enf_in_own_area(u, out->area_code, e);
	}
	if (rc != 1)
		enf_hazard_clear(out);
	return rc;
}

static int rect_item(store *s, const enf_rectification *r, void *ctx, yj_err *e)
{
	json_array_append_new(ctx, json_pack("{s:I, s:I, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)r->id, "submitted_by",
	                                     (json_int_t)r->submitted_by, "note", r->note, "submitted",
	                                     enf_time(r->submitted_ms), "verdict", enf_text_or_null(r->verdict),
	                                     "verdict_reason", enf_text_or_null(r->verdict_reason), "verdict_at",
	                                     enf_time(r->verdict_ms)));
	return 0;
}

json_t *enf_hazard_json(store *s, int64_t id)
{
	enf_hazard h;
	if (enf_hazard_db_get(s, id, &h, NULL) <= 0)
		return NULL;
	char ename[200];
	reg_enterprise_name(s, h.enterprise_id, ename, sizeof ename);
	json_t *j = enf_hazard_fields(&h, enf_time, "");
	json_object_set_new(j, "enterprise", json_string(ename));
	json_t *rect = json_array();
	enf_hazard_db_rectifications(s, id, rect_item, rect, NULL);
	json_object_set_new(j, "rectifications", rect);
	enf_hazard_clear(&h);
	return j;
}

/* ---- rectification and verification --------------------------------------------------------------------- */

int enf_hazard_rectify(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e)
{
	static const char *const keys[] = {"note", NULL};
	if (yj_only_keys(body, keys, e))
		return -1;
	enf_hazard h;
	int rc = enf_hazard_db_get(s, id, &h, e);
	if (rc <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "no hazard %lld", (long long)id);
	char state[32], area[16];
	int64_t enterprise = h.enterprise_id;
	snprintf(state, sizeof state, "%s", h.state);
	snprintf(area, sizeof area, "%s", h.area_code);
	enf_hazard_clear(&h);
	if (u->role == ROLE_ENTERPRISE) {
		if (enf_user_enterprise(s, u) != enterprise)
			return yj_fail(e, YJ_ENOTFOUND, "id", "no hazard %lld for your enterprise", (long long)id);
	} else {
		auth_scope mine;
		if (enf_own_scope(u, &mine, e))
			return -1;
		if (!auth_scope_contains(&mine, area))
			return yj_fail(e, YJ_ENOTFOUND, "id", "no hazard %lld", (long long)id);
	}
	if (strcmp(state, "open") != 0)
		return yj_fail(e, YJ_ECONFLICT, "state", "hazard %lld is %s; a rectification can be submitted while it is open",
		               (long long)id, state);
	const char *note;
	if (yj_json_text(body, "note", YJ_REQUIRED | YJ_NONEMPTY, 4000, &note, e) < 0)
		return -1;
	if (enf_hazard_db_rectify(s, id, u->id, note, yj_now_ms(), e))
		return -1;
	return audit_record_id(s, u, "hazard.rectify", "hazard", id, e);
}

int enf_hazard_verify(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e)
{
	static const char *const keys[] = {"accept", "reason", NULL};
	bool accept;
	const char *reason = NULL;
	if (yj_only_keys(body, keys, e) || yj_json_bool(body, "accept", YJ_REQUIRED, &accept, e) < 0 ||
	    yj_json_text(body, "reason", accept ? 0 : YJ_REQUIRED | YJ_NONEMPTY, 2000, &reason, e) < 0)
		return -1;
	enf_hazard h;
	int rc = enf_hazard_db_get(s, id, &h, e);
	if (rc < 0)
		return -1;
	auth_scope mine;
	if (enf_own_scope(u, &mine, e)) {
		enf_hazard_clear(&h);
		return -1;
	}
	bool visible = rc > 0 && auth_scope_contains(&mine, h.area_code);
	bool submitted = visible && !strcmp(h.state, "rectification_submitted");
	enf_hazard_clear(&h);
	if (!visible)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no hazard %lld", (long long)id);
	if (!submitted)
		return yj_fail(e, YJ_ECONFLICT, "state", "hazard %lld has no rectification waiting for verification", (long long)id);
	if (enf_hazard_db_verdict(s, id, accept, u->id, reason, yj_now_ms(), e))
		return -1;
	return audit_record_id(s, u, accept ? "hazard.verify" : "hazard.reject", "hazard", id, e);
}

/* ---- overdue hazards ------------------------------------------------------------------------------------- */

enum { OVERDUE_BATCH = 500 };

int enf_overdue_job(store *s, int64_t now, void *ctx, yj_err *e)
{
	int64_t ids[OVERDUE_BATCH];
	size_t n;
	if (enf_hazard_db_due(s, now, ids, OVERDUE_BATCH, &n, e))
		return -1;
	for (size_t i = 0; i < n; i++) {
		int rc = enf_hazard_db_flag_overdue(s, ids[i], now, e);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		enf_hazard h;
		if (enf_hazard_db_get(s, ids[i], &h, e) <= 0 || audit_record_id(s, NULL, "hazard.overdue", "hazard", ids[i], e)) {
			enf_hazard_clear(&h);
			return -1;
		}
		/* tell the enterprise's users and the inspectors watching, once this pass has committed */
		char data[96];
		snprintf(data, sizeof data, "{\"hazard_id\":%lld,\"enterprise_id\":%lld}", (long long)h.id,
		         (long long)h.enterprise_id);
		bus_event ev = {.topic = ENF_EV_HAZARD_OVERDUE, .id = h.id, .area_code = h.area_code, .stream = "hazards",
		                .name = "overdue", .data = data};
		rc = bus_emit(s, &ev, e);
		yj_log(YJ_LOG_INFO, "hazard_overdue", "hazard=%lld enterprise=%lld", (long long)h.id, (long long)h.enterprise_id);
		enf_hazard_clear(&h);
		if (rc)
			return -1;
	}
	return n == OVERDUE_BATCH ? 1 : 0;
}
