/*
 * case_steps.c — the steps of a penalty case in the legal order, as a
 * table: each action names the states it may be taken in, the roles that
 * take it, the state it leads to, and a small function doing what is
 * particular to it.
 *
 *   draft -file-> filed (立案, commander) -investigate-> investigating
 *   -notify-> notified (告知: facts, basis, intended penalty; rights to state
 *   a case and, for large fines, to a hearing) [record_statement, waive]
 *   [-request_hearing-> hearing -schedule_hearing, record_hearing-]
 *   -submit_review-> legal_review (法制审核, legal reviewer: approve | reject
 *   back to investigating) -> collective_discussion (major cases, 集体讨论)
 *   -discuss-> reviewed -decide-> decided (numbered by the deciding
 *   authority, 陆河应急罚〔2026〕3号, in sequence per authority and year)
 *   -serve-> served (送达) -record_payment|enforce-> executed -close-> closed
 *   (结案).
 *
 * A case is major (重大) when the fine reaches the configured threshold or
 * the penalty revokes a licence or suspends production; a major case cannot
 * be decided without legal review and collective discussion, while one that
 * is not may be decided after notification. Either waits for the periods the
 * law gives the party after notice, and for a hearing's record where one was
 * requested (case_proc.c). A hearing is requested only where the intended
 * penalty gives the right to one. The decision is due
 * within 90 days of filing unless a commander extends it (once, with a
 * reason). Every step is role-gated, moves the state only from the state it
 * was taken in, is time-stamped on the case's timeline and recorded in the
 * audit chain; an illegal step is refused (409) naming the allowed ones.
 */
#include <stdio.h>
#include <string.h>

#include "enforce/case_int.h"
#include "registry/registry.h"

typedef enf_step step;
typedef int (*step_fn)(step *x, yj_err *e);

typedef struct case_action {
	const char *name;
	unsigned roles;
	const char *from[8]; /* the states it may be taken in */
	const char *to;      /* NULL: the case stays in its state */
	enf_step_guard may;  /* NULL: no condition but the state */
	step_fn fn;          /* NULL: nothing but the move */
} case_action;

/* ---- conditions beyond the state ------------------------------------------------------------------------- */

/* a major case is decided only after legal review and collective discussion; every case only after
 * the party's periods (case_proc.c) */
static bool may_decide(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e)
{
	if (v->c->major && strcmp(v->c->state, "notified") == 0) {
		yj_fail(e, YJ_ECONFLICT, "state", "重大案件须经法制审核和集体讨论后方可作出决定；现在允许：%s", allowed);
		return false;
	}
	return enf_may_decide_after_notice(v, allowed, from, e);
}

/* ---- the steps' own work -------------------------------------------------------------------------------- */

static int do_file(step *x, yj_err *e)
{
	return enf_case_db_filed(x->s, x->c->id, x->now, x->now + (int64_t)enf_cfg.decision_days * 86400000, e);
}

static int do_notify(step *x, yj_err *e)
{
	static const char *const keys[] = {"facts", "legal_basis", "fine_yuan", "revocation", "suspension", NULL};
	const char *facts, *basis;
	double fine = 0;
	bool revoke = false, suspend = false;
	if (yj_only_keys(x->body, keys, e) ||
	    yj_json_text(x->body, "facts", YJ_REQUIRED | YJ_NONEMPTY, 20000, &facts, e) < 0 ||
	    yj_json_text(x->body, "legal_basis", YJ_REQUIRED | YJ_NONEMPTY, 4000, &basis, e) < 0 ||
	    yj_json_double(x->body, "fine_yuan", 0, 0, 1e9, &fine, e) < 0 ||
	    yj_json_bool(x->body, "revocation", 0, &revoke, e) < 0 || yj_json_bool(x->body, "suspension", 0, &suspend, e) < 0)
		return -1;
	if (fine <= 0 && !revoke && !suspend)
		return yj_fail(e, YJ_EINVAL, "fine_yuan", "缺少拟作出的处罚：罚款、吊销许可证或责令停产停业");
	bool major = fine >= enf_cfg.major_fine_yuan || revoke || suspend;
	bool hearing = fine >= enf_cfg.hearing_fine_yuan || revoke || suspend;
	if (enf_case_db_notified(x->s, x->c->id, facts, basis, fine, revoke, suspend, major, hearing, e))
		return -1;
	json_object_set_new(x->data, "rights", json_pack("{s:b, s:b}", "statement", 1, "hearing", hearing));
	json_object_set_new(x->data, "major", json_boolean(major));
	return 0;
}

static int read_review(step *x, yj_err *e)
{
	static const char *const keys[] = {"opinion", "adviser_opinion", NULL};
	const char *op, *adv = NULL;
	if (yj_only_keys(x->body, keys, e) || yj_json_text(x->body, "opinion", YJ_REQUIRED | YJ_NONEMPTY, 8000, &op, e) < 0 ||
	    yj_json_text(x->body, "adviser_opinion", 0, 8000, &adv, e) < 0)
		return -1;
	json_object_set_new(x->data, "opinion", json_string(op));
	if (adv)
		json_object_set_new(x->data, "adviser_opinion", json_string(adv));
	x->note = op;
	return 0;
}

static int do_approve_review(step *x, yj_err *e)
{
	if (read_review(x, e))
		return -1;
	if (x->c->major)
		x->to = "collective_discussion";
	return 0;
}

static int do_reject_review(step *x, yj_err *e)
{
	return read_review(x, e);
}

static int do_discuss(step *x, yj_err *e)
{
	const char *concl;
	json_t *who = NULL;
	if (yj_json_text(x->body, "conclusion", YJ_REQUIRED | YJ_NONEMPTY, 8000, &concl, e) < 0 ||
	    yj_json_array(x->body, "participants", 0, 50, &who, e) < 0)
		return -1;
	size_t n = json_is_array(json_object_get(x->body, "participants")) ? json_array_size(who) : 0, i;
	json_t *p;
	if (n < 3)
		return yj_fail(e, YJ_EINVAL, "participants", "集体讨论须有至少三名参加人（participants）");
	json_array_foreach(who, i, p) if (!json_is_string(p) || json_string_length(p) == 0 || json_string_length(p) > 100) return yj_fail(
		e, YJ_EINVAL, "participants", "participants[%zu] must be a name", i);
	json_object_set_new(x->data, "conclusion", json_string(concl));
	json_object_set(x->data, "participants", who);
	x->note = concl;
	return 0;
}

static int do_decide(step *x, yj_err *e)
{
	if (x->now > x->c->deadline_ms)
		return yj_fail(e, YJ_ECONFLICT, "deadline", "处罚决定应在立案后%d日内作出%s：须先由指挥长延期（extend）",
		               enf_cfg.decision_days, x->c->extended ? "，延长的期限也已届满" : "");
	/* the deciding authority: the one the case was opened under, else the case's area's */
	reg_authority a;
	const char *code = x->c->authority_code[0] ? x->c->authority_code : x->c->area_code;
	int rc = reg_authority_for(x->s, code, &a, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_ECONFLICT, "authority", "辖区 %s 没有登记作出处罚决定的机关（行政机关名录 authority）", code);
	int year = enf_year_of(x->now), n;
	if (enf_case_db_next_number(x->s, a.area_code, a.decision_prefix, year, &n, e))
		return -1;
	char no[96];
	snprintf(no, sizeof no, "%s〔%d〕%d号", a.decision_prefix, year, n);
	if (enf_case_db_decided(x->s, x->c->id, no, a.area_code, x->now, e))
		return -1;
	json_object_set_new(x->data, "decision_no", json_string(no));
	json_object_set_new(x->data, "authority", json_string(a.name));
	return 0;
}

static int do_extend(step *x, yj_err *e)
{
	const char *why;
	int64_t days = 30;
	if (yj_json_text(x->body, "reason", YJ_REQUIRED | YJ_NONEMPTY, 2000, &why, e) < 0)
		return -1;
	if (x->c->extended)
		return yj_fail(e, YJ_ECONFLICT, "extended", "办案期限已延长过一次");
	if (yj_json_int(x->body, "days", 0, 1, 60, &days, e) < 0)
		return -1;
	if (enf_case_db_extended(x->s, x->c->id, days * 86400000, e))
		return -1;
	json_object_set_new(x->data, "days", json_integer(days));
	x->note = why;
	return 0;
}

static int do_serve(step *x, yj_err *e)
{
	const char *how;
	if (yj_json_text(x->body, "method", YJ_REQUIRED | YJ_NONEMPTY, 200, &how, e) < 0 ||
	    enf_case_db_served(x->s, x->c->id, x->now, e))
		return -1;
	json_object_set_new(x->data, "method", json_string(how));
	return 0;
}

static int do_record_payment(step *x, yj_err *e)
{
	double paid;
	if (yj_json_double(x->body, "amount_yuan", YJ_REQUIRED, 0, 1e12, &paid, e) < 0)
		return -1;
	if (paid + 0.005 < x->c->fine_yuan)
		return yj_fail(e, YJ_EUNPROCESSABLE, "amount_yuan", "罚款%.2f元只缴纳了%.2f元：全额缴纳后方为执行完毕",
		               x->c->fine_yuan, paid);
	if (enf_case_db_paid(x->s, x->c->id, paid, x->now, e))
		return -1;
	json_object_set(x->data, "amount_yuan", json_object_get(x->body, "amount_yuan"));
	return 0;
}

static int do_enforce(step *x, yj_err *e)
{
	const char *how;
	if (yj_json_text(x->body, "note", YJ_REQUIRED | YJ_NONEMPTY, 2000, &how, e) < 0 ||
	    enf_case_db_executed(x->s, x->c->id, x->now, e))
		return -1;
	x->note = how;
	return 0;
}

static int do_close(step *x, yj_err *e)
{
	return enf_case_db_closed(x->s, x->c->id, x->now, e);
}

/* ---- the table ---------------------------------------------------------------------------------------------- */

#define BEFORE_DECISION \
	{"filed", "investigating", "notified", "hearing", "legal_review", "collective_discussion", "reviewed"}
#define AFTER_NOTICE {"notified", "hearing", "legal_review", "collective_discussion", "reviewed"}
#define WAIVABLE {"notified", "legal_review", "collective_discussion", "reviewed"}

static const case_action actions[] = {
	{"file", ENF_COMMANDER, {"draft"}, "filed", NULL, do_file},
	{"investigate", ENF_INSPECTOR, {"filed"}, "investigating", NULL, NULL},
	{"notify", ENF_INSPECTOR, {"investigating"}, "notified", NULL, do_notify},
	{"record_statement", ENF_INSPECTOR, AFTER_NOTICE, NULL, NULL, enf_step_statement},
	{"waive", ENF_INSPECTOR, WAIVABLE, NULL, enf_may_waive, enf_step_waive},
	{"request_hearing", ENF_INSPECTOR, {"notified"}, "hearing", enf_may_request_hearing, NULL},
	{"schedule_hearing", ENF_INSPECTOR | ENF_COMMANDER, {"hearing"}, NULL, enf_may_schedule_hearing,
	 enf_step_schedule_hearing},
	{"record_hearing", ENF_INSPECTOR | ENF_COMMANDER, {"hearing"}, NULL, enf_may_record_hearing, enf_step_record_hearing},
	{"submit_review", ENF_INSPECTOR, {"notified", "hearing"}, "legal_review", enf_may_leave_hearing, NULL},
	{"approve_review", ENF_REVIEWER, {"legal_review"}, "reviewed", NULL, do_approve_review}, /* major: discussion */
	{"reject_review", ENF_REVIEWER, {"legal_review"}, "investigating", NULL, do_reject_review},
	{"discuss", ENF_COMMANDER, {"collective_discussion"}, "reviewed", NULL, do_discuss},
	{"decide", ENF_COMMANDER, {"reviewed", "notified"}, "decided", may_decide, do_decide},
	{"extend", ENF_COMMANDER, BEFORE_DECISION, NULL, NULL, do_extend},
	{"serve", ENF_INSPECTOR, {"decided"}, "served", NULL, do_serve},
	{"record_payment", ENF_INSPECTOR, {"served"}, "executed", NULL, do_record_payment},
	{"enforce", ENF_COMMANDER, {"served"}, "executed", NULL, do_enforce},
	{"close", ENF_COMMANDER, {"executed"}, "closed", NULL, do_close},
};

static const case_action *find(const char *name)
{
	for (size_t i = 0; name && i < YJ_ARRAY_LEN(actions); i++)
		if (!strcmp(actions[i].name, name))
			return &actions[i];
	return NULL;
}

static bool in_state(const case_action *a, const char *state)
{
	for (size_t i = 0; i < YJ_ARRAY_LEN(a->from) && a->from[i]; i++)
		if (!strcmp(a->from[i], state))
			return true;
	return false;
}

bool enf_case_action_allowed(const char *name, const enf_case *c, const enf_case_proc *p, int64_t now)
{
	const case_action *a = find(name);
	enf_case_view v = {.c = c, .p = p, .now = now};
	return a && in_state(a, c->state) && (!a->may || a->may(&v, "", NULL, NULL));
}

size_t enf_case_action_count(void)
{
	return YJ_ARRAY_LEN(actions);
}

const char *enf_case_action_name(size_t i)
{
	return i < YJ_ARRAY_LEN(actions) ? actions[i].name : NULL;
}

static const char *role_words(unsigned roles)
{
	if (roles == ENF_REVIEWER)
		return "法制审核人员";
	if (roles == ENF_COMMANDER)
		return "指挥长（机关负责人）";
	return roles & ENF_COMMANDER ? "执法检查人员或指挥长" : "执法检查人员";
}

/* 409 naming the actions allowed now (and, for a step that waits for a day, that day) */
static int refuse(const case_action *a, const enf_case_view *v, int64_t *from, yj_err *e)
{
	strbuf allow;
	strbuf_init(&allow);
	enf_case_allowed(v->c, v->p, v->now, &allow, NULL);
	const char *allowed = allow.len ? allow.data : "无";
	if (!in_state(a, v->c->state))
		yj_fail(e, YJ_ECONFLICT, "state", "案件处于 %s 状态，不能执行 %s；现在允许：%s", v->c->state, a->name, allowed);
	else if (a->may)
		a->may(v, allowed, from, e);
	strbuf_free(&allow);
	return -1;
}

int enf_case_action(store *s, const auth_user *u, int64_t id, const char *action, json_t *body, int64_t *allowed_from,
                    yj_err *e)
{
	const case_action *a = find(action);
	if (allowed_from)
		*allowed_from = 0;
	if (!a)
		return yj_fail(e, YJ_ENOTFOUND, "action", "没有案件操作 '%.32s'", action ? action : "");
	enf_case c;
	enf_case_proc p;
	int rc = enf_case_visible(s, u, id, &c, e);
	if (rc <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "没有案件 %lld", (long long)id);
	rc = -1;
	step x = {.s = s, .u = u, .c = &c, .p = &p, .body = body, .now = yj_now_ms(), .to = a->to ? a->to : c.state,
	          .note = "", .data = json_object()};
	enf_case_view v = {.c = &c, .p = &p, .now = x.now};
	const char *body_note = NULL;
	if (enf_case_proc_read(s, &c, &p, e))
		goto out;
	if (!enf_case_action_allowed(a->name, &c, &p, x.now)) {
		refuse(a, &v, allowed_from, e);
		goto out;
	}
	if (!(a->roles & ROLE_BIT(u->role))) {
		yj_fail(e, YJ_EFORBIDDEN, "", "%s 由%s办理，%s不能办理", a->name, role_words(a->roles),
		        auth_role_name(u->role));
		goto out;
	}
	if (enf_check_matter(s, u, c.matter_code, e))
		goto out;
	if (a->fn && a->fn(&x, e)) {
		if (allowed_from)
			*allowed_from = x.allowed_from;
		goto out;
	}
	if (!x.note[0] && yj_json_text(body, "note", 0, 8000, &body_note, e) < 0)
		goto out;
	char act[48];
	snprintf(act, sizeof act, "case.%s", a->name);
	if (enf_case_db_move(s, id, c.state, x.to, x.now, e) ||
	    enf_case_db_event_add(s, id, a->name, c.state, x.to, u->id, x.note[0] ? x.note : body_note, x.data, x.now, e) ||
	    audit_record_id(s, u, act, "penalty_case", id, e))
		goto out;
	rc = 0;
out:
	json_decref(x.data);
	enf_case_clear(&c);
	return rc;
}
