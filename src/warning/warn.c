/*
 * warn.c — the warning (预警) lifecycle:
 *
 *   draft -> submitted -> approved -> issued -> (updated: issued, version+1)
 *     \          \            \          \-> cancelled | expired
 *      \-> cancelled  \-> draft (reject)
 *
 * Approval is a two-person rule: a commander who is not the author. Only
 * users whose jurisdiction holds the warning's act on it. Every transition
 * runs inside the caller's transaction: the new state, the version snapshot
 * (for CAP), the audit record, and an event on the bus (warning.h): dispatch
 * hears WARN_EV_VERSION in the same transaction and resolves the recipients,
 * so an issued warning always has them. Illegal transitions are refused with
 * the allowed ones named. Expiry is a job of the scheduler.
 *
 * Not here: SQL (warn_db.c), what members must be (warn_check.c), JSON
 * (warn_json.c), CAP (warn_cap.c, cap_import.c), HTTP (warn_api.c).
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "geo/geo.h"
#include "sched/sched.h"
#include "warning/warn_int.h"

const char *const warn_types[] = {"typhoon", "rainstorm", "flood", "geological", "forest_fire",
                                  "high_temperature", "hazmat", "other", NULL};
const char *const warn_levels[] = {"blue", "yellow", "orange", "red", NULL};

#define EXPIRY_BATCH 100
#define EXPIRY_PERIOD_MS 1000

/* ---- actions allowed in each state ------------------------------------------------------- */

typedef struct action_rule {
	const char *action;
	const char *from;
	const char *to;
} action_rule;

static const action_rule transitions[] = {
	{"submit", "draft", "submitted"},   {"approve", "submitted", "approved"},
	{"reject", "submitted", "draft"},   {"issue", "approved", "issued"},
	{"update", "issued", "issued"},     {"cancel", "draft", "cancelled"},
	{"cancel", "submitted", "cancelled"}, {"cancel", "approved", "cancelled"},
	{"cancel", "issued", "cancelled"},
};

static const action_rule *transition_of(const char *action, const char *state)
{
	for (size_t i = 0; i < YJ_ARRAY_LEN(transitions); i++)
		if (strcmp(transitions[i].action, action) == 0 && strcmp(transitions[i].from, state) == 0)
			return &transitions[i];
	return NULL;
}

/* the words a duty officer reads for states and actions */
static const char *const state_words[][2] = {
	{"draft", "草稿"},     {"submitted", "待审批"}, {"approved", "已批准"}, {"issued", "已发布"},
	{"cancelled", "已撤销"}, {"expired", "已过期"}, {"rejected", "已退回"},
};
static const char *const action_words[][2] = {
	{"submit", "提交审批"}, {"approve", "批准"}, {"reject", "退回修改"},
	{"issue", "发布"},      {"update", "更新"},  {"cancel", "撤销"},
};

static const char *word(const char *const (*table)[2], size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i][0], key) == 0)
			return table[i][1];
	return key;
}
#define STATE_WORD(s) word(state_words, YJ_ARRAY_LEN(state_words), (s))
#define ACTION_WORD(a) word(action_words, YJ_ARRAY_LEN(action_words), (a))

/* the actions state allows, in words: "提交审批 (submit)、撤销 (cancel)" */
static void allowed_text(const char *state, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	for (size_t i = 0; i < YJ_ARRAY_LEN(transitions); i++)
		if (strcmp(transitions[i].from, state) == 0 && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s (%s)", n ? "、" : "", ACTION_WORD(transitions[i].action),
			                      transitions[i].action);
	if (!n)
		snprintf(out, cap, "无");
}

/*
 * Refusals carry a reason a client can act on (error.reason): unknown_action, role_not_allowed,
 * outside_jurisdiction, wrong_state, commander_only, two_person_rule.
 */
int warn_may(const warn_row *w, const auth_user *u, const char *action, yj_err *e)
{
	bool known = false;
	for (size_t i = 0; i < YJ_ARRAY_LEN(transitions); i++)
		known |= strcmp(transitions[i].action, action) == 0;
	if (!known)
		return yj_refuse(e, YJ_ENOTFOUND, "unknown_action", "action",
		                 "没有操作“%.32s”（可用：submit 提交审批、approve 批准、reject 退回修改、issue 发布、"
		                 "update 更新、cancel 撤销）",
		                 action);
	if (u->role != ROLE_COMMANDER && u->role != ROLE_DUTY_OFFICER)
		return yj_refuse(e, YJ_EFORBIDDEN, "role_not_allowed", "", "只有值班员和指挥长可以处理预警");
	if (!warn_row_writable(w, u))
		return yj_refuse(e, YJ_EFORBIDDEN, "outside_jurisdiction", "id",
		                 "预警 %lld 属于%s（%s）：您可以查看，不能处理", (long long)w->id,
		                 geo_area_name(w->area_code), w->area_code);
	if (!transition_of(action, w->state)) {
		char allowed[160];
		allowed_text(w->state, allowed, sizeof allowed);
		return yj_refuse(e, YJ_ECONFLICT, "wrong_state", "state", "预警当前为“%s”，不能%s；现在可以：%s",
		                 STATE_WORD(w->state), ACTION_WORD(action), allowed);
	}
	bool commander = u->role == ROLE_COMMANDER;
	if (strcmp(action, "approve") == 0 || strcmp(action, "reject") == 0) {
		if (!commander)
			return yj_refuse(e, YJ_EFORBIDDEN, "commander_only", "", "只有指挥长可以%s预警", ACTION_WORD(action));
		if (u->id == w->author_id)
			return yj_refuse(e, YJ_EFORBIDDEN, "two_person_rule", "",
			                 "双人审核：起草人不能%s自己起草的预警，请另一位指挥长审批", ACTION_WORD(action));
	} else if ((strcmp(action, "update") == 0 || (strcmp(action, "cancel") == 0 && strcmp(w->state, "draft") != 0)) &&
	           !commander) {
		return yj_refuse(e, YJ_EFORBIDDEN, "commander_only", "", "预警当前为“%s”，只有指挥长可以%s", STATE_WORD(w->state),
		                 ACTION_WORD(action));
	}
	return 0;
}

void warn_actions_json(const warn_row *w, const auth_user *u, json_t *arr)
{
	for (size_t i = 0; i < YJ_ARRAY_LEN(transitions); i++)
		if (strcmp(transitions[i].from, w->state) == 0 && (!u || warn_may(w, u, transitions[i].action, NULL) == 0))
			json_array_append_new(arr, json_string(transitions[i].action));
}

/* ---- events and the types in effect ------------------------------------------------------------ */

static int emit(store *s, const char *topic, const warn_row *w, const char *msg_type, yj_err *e)
{
	warn_event p = {.warning_id = w->id, .version = w->version, .evacuation = w->evacuation};
	snprintf(p.msg_type, sizeof p.msg_type, "%s", msg_type);
	char data[192];
	snprintf(data, sizeof data, "{\"warning_id\":%lld,\"version\":%d,\"msg_type\":\"%s\",\"state\":\"%s\"}",
	         (long long)w->id, w->version, p.msg_type, w->state);
	bus_event ev = {.topic = topic, .id = w->id, .area_code = w->area_code, .data = data, .payload = &p,
	                .payload_len = sizeof p};
	return bus_emit(s, &ev, e);
}

static void set_active_types(void *ctx)
{
	unsigned mask = (unsigned)(uintptr_t)ctx;
	for (int i = 0; warn_types[i]; i++)
		warn_set_active_type(warn_types[i], (mask >> i) & 1);
}

/* the types in effect as this transaction leaves them, told to the rules once it commits */
static int refresh_active_types(store *s, yj_err *e)
{
	unsigned mask;
	if (warn_db_issued_types(s, &mask, e))
		return -1;
	store_after_commit(s, set_active_types, NULL, (void *)(uintptr_t)mask);
	return 0;
}

/* ---- writes ---------------------------------------------------------------------------------- */

static int audit(store *s, const auth_user *u, const char *action, int64_t id, yj_err *e)
{
	char act[48];
	snprintf(act, sizeof act, "warning.%s", action);
	return audit_record_id(s, u, act, "warning", id, e);
}

int warn_create(store *s, const auth_user *u, const warn_fields *f, const char *source, int64_t cap_alert_id,
                int64_t *id_out, yj_err *e)
{
	if (warn_check_fields(s, u->area_code, f, false, e))
		return -1;
	int64_t now = yj_now_ms();
	if (f->expires_ms <= now)
		return yj_fail(e, YJ_EINVAL, "expires", "field 'expires' must be in the future");
	if (f->set_onset && !f->onset_null && f->onset_ms >= f->expires_ms)
		return yj_fail(e, YJ_EINVAL, "onset", "field 'onset' must be before 'expires'");
	warn_row w = {0};
	unsigned char rnd[4];
	char hex[9], day[40];
	randombytes_buf(rnd, sizeof rnd);
	yj_hex(rnd, sizeof rnd, hex);
	yj_time_format(now, day);
	snprintf(w.identifier, sizeof w.identifier, "%s-%.4s%.2s%.2s-%s", u->area_code, day, day + 5, day + 8, hex);
	snprintf(w.type, sizeof w.type, "%s", f->type);
	snprintf(w.level, sizeof w.level, "%s", f->level);
	snprintf(w.headline, sizeof w.headline, "%s", f->headline);
	snprintf(w.state, sizeof w.state, "draft");
	snprintf(w.source, sizeof w.source, "%s", source);
	snprintf(w.area_code, sizeof w.area_code, "%s", u->area_code);
	w.description = (char *)(f->description ? f->description : "");
	w.instruction = (char *)(f->instruction ? f->instruction : "");
	w.areas = f->areas;
	w.polygons = f->polygons;
	w.alarm_ids = f->alarm_ids;
	w.has_onset = f->set_onset && !f->onset_null;
	w.onset_ms = f->onset_ms;
	w.expires_ms = f->expires_ms;
	w.evacuation = f->set_evacuation && f->evacuation;
	w.cap_alert_id = cap_alert_id;
	w.author_id = u->id;
	w.created_ms = w.updated_ms = now;
	if (warn_db_insert(s, &w, id_out, e))
		return -1;
	return audit(s, u, "create", *id_out, e);
}

int warn_load(store *s, const auth_user *u, int64_t id, warn_row *w, yj_err *e)
{
	int rc = warn_db_get(s, id, w, e);
	if (rc < 0)
		return -1;
	if (rc == 0 || !warn_row_visible(w, u)) {
		warn_row_clear(w);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no warning %lld", (long long)id);
	}
	return 0;
}

int warn_edit(store *s, const auth_user *u, int64_t id, const warn_fields *f, yj_err *e)
{
	warn_row w;
	if (warn_load(s, u, id, &w, e))
		return -1;
	int rc = -1;
	if (!warn_row_writable(&w, u))
		yj_refuse(e, YJ_EFORBIDDEN, "outside_jurisdiction", "id", "预警 %lld 属于%s（%s）：您可以查看，不能修改",
		          (long long)id, geo_area_name(w.area_code), w.area_code);
	else if (strcmp(w.state, "draft") != 0)
		yj_refuse(e, YJ_ECONFLICT, "wrong_state", "state",
		          "只有草稿可以修改（此预警为“%s”）；已发布的预警用“更新” (POST .../update) 发新版本", STATE_WORD(w.state));
	else if (warn_check_fields(s, w.area_code, f, true, e) == 0 && warn_db_apply(s, id, f, yj_now_ms(), e) == 0)
		rc = audit(s, u, "edit", id, e);
	warn_row_clear(&w);
	return rc;
}

/* the snapshot a version carries (for CAP and for what recipients were told) */
static int save_version(store *s, const warn_row *w, const char *msg_type, int64_t now, yj_err *e)
{
	json_t *snap = warn_row_json(s, w);
	int64_t sent = now - now % 1000;
	char t[40];
	yj_time_format(sent, t);
	json_object_set_new(snap, "sent", json_string(t));
	json_object_set_new(snap, "msg_type", json_string(msg_type));
	int rc = warn_db_version_add(s, w->id, w->version, msg_type, sent, snap, e);
	json_decref(snap);
	return rc;
}

static bool fields_empty(const warn_fields *f)
{
	return !f || (!f->type && !f->level && !f->headline && !f->description && !f->instruction && !f->areas &&
	              !f->polygons && !f->alarm_ids && !f->set_onset && !f->set_expires && !f->set_evacuation);
}

/* the areas of an issued warning can grow, not shrink: those already told stay told */
static int check_growth(const warn_row *w, const warn_fields *f, yj_err *e)
{
	size_t i, k;
	json_t *a, *b;
	json_array_foreach(w->areas, i, a) {
		bool kept = false;
		json_array_foreach(f->areas, k, b) kept |= json_equal(a, b);
		if (f->areas && !kept)
			return yj_fail(e, YJ_EINVAL, "areas", "an update may add areas, not remove %s (cancel and issue anew)",
			               json_string_value(a));
	}
	return 0;
}

int warn_action(store *s, const auth_user *u, int64_t id, const char *action, const warn_fields *f, yj_err *e)
{
	warn_row w;
	if (warn_load(s, u, id, &w, e))
		return -1;
	int rc = -1;
	bool evacuation = w.evacuation;
	if (warn_may(&w, u, action, e))
		goto done;
	const action_rule *t = transition_of(action, w.state);
	bool update = strcmp(action, "update") == 0, cancel = strcmp(action, "cancel") == 0;
	if (update) {
		if (fields_empty(f)) {
			yj_fail(e, YJ_EINVAL, "body", "an update needs the fields that change");
			goto done;
		}
		if (check_growth(&w, f, e) || warn_check_fields(s, w.area_code, f, true, e))
			goto done;
		if (f->set_expires && f->expires_ms <= yj_now_ms()) {
			yj_fail(e, YJ_EINVAL, "expires", "field 'expires' must be in the future");
			goto done;
		}
		if (warn_db_apply(s, id, f, yj_now_ms(), e))
			goto done;
	}
	const char *msg_type = NULL;
	int version = w.version;
	if (strcmp(action, "issue") == 0) {
		version = 1;
		msg_type = "Alert";
	} else if (update) {
		version = w.version + 1;
		msg_type = "Update";
	} else if (cancel && strcmp(w.state, "issued") == 0) {
		version = w.version + 1;
		msg_type = "Cancel";
	}
	int64_t now = yj_now_ms();
	int64_t n = warn_db_transition(s, id, w.state, t->to, version, strcmp(action, "approve") == 0 ? u->id : 0,
	                               strcmp(action, "issue") == 0 ? now : 0, cancel ? now : 0, now, e);
	if (n < 0)
		goto done;
	if (n == 0) {
		yj_refuse(e, YJ_ECONFLICT, "changed_meanwhile", "state", "预警 %lld 刚被他人改动，请刷新后再试", (long long)id);
		goto done;
	}
	/* the warning as it is now, for its snapshot and its events */
	warn_row_clear(&w);
	if (warn_db_get(s, id, &w, e) <= 0) {
		if (e && e->code == YJ_OK)
			yj_fail(e, YJ_EINTERNAL, "id", "warning %lld vanished", (long long)id);
		goto done;
	}
	w.evacuation = w.evacuation || evacuation; /* those moving people keep moving them */
	if (msg_type && save_version(s, &w, msg_type, now, e))
		goto done;
	if (audit(s, u, action, id, e))
		goto done;
	if (msg_type && !cancel && emit(s, WARN_EV_VERSION, &w, msg_type, e))
		goto done;
	if (cancel && emit(s, WARN_EV_CANCELLED, &w, msg_type ? msg_type : "", e))
		goto done;
	rc = refresh_active_types(s, e);
done:
	warn_row_clear(&w);
	return rc;
}

/* ---- expiry (a job of the scheduler) ------------------------------------------------------------ */

static int expire_due(store *s, int64_t now, void *ctx, yj_err *e)
{
	int64_t ids[EXPIRY_BATCH];
	int n = warn_db_expiry_due(s, now, ids, EXPIRY_BATCH, e);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		warn_row w;
		int rc = warn_db_get(s, ids[i], &w, e);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		int64_t changed = warn_db_transition(s, w.id, "issued", "expired", w.version, 0, 0, 0, now, e);
		snprintf(w.state, sizeof w.state, "expired");
		rc = changed < 0 ? -1 : changed == 0 ? 0 : audit(s, NULL, "expire", w.id, e) || emit(s, WARN_EV_EXPIRED, &w, "", e);
		warn_row_clear(&w);
		if (rc)
			return -1;
	}
	if (n && refresh_active_types(s, e))
		return -1;
	return n == EXPIRY_BATCH ? 1 : 0;
}

void warn_lifecycle_init(void)
{
	audit_register_type("warning", 1, warn_project);
	audit_register_type("cap_alert", 1, cap_project);
}

void warn_start(store *s)
{
	warn_lifecycle_start(s);
}

void warn_lifecycle_start(store *s)
{
	unsigned mask;
	yj_err e = {0};
	if (warn_db_issued_types(s, &mask, &e) == 0)
		set_active_types((void *)(uintptr_t)mask);
	else
		yj_log(YJ_LOG_ERROR, "warning_types", "message=\"%s\"", e.message);
	sched_every("warning expiry", EXPIRY_PERIOD_MS, expire_due, NULL, 0);
}
