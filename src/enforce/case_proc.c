/*
 * case_proc.c — the party's procedure between notice (告知) and decision,
 * as the Administrative Penalty Law counts it.
 *
 * After the notice the party may state and defend its case (陈述、申辩,
 * 第四十四、四十五条) for a period the bureau grants (3 working days unless
 * configured) and, where the intended penalty gives the right (第六十三条),
 * request a hearing within 5 days (第六十四条(一)); a hearing is held with
 * at least 7 days' notice (第六十四条(二)) and its record (听证笔录, (八))
 * goes into the file, on which the decision then rests (第六十五条). The
 * law's "五日、七日" are working days (第八十五条), counted with the holiday
 * calendar (src/base/workdays.h) from the day after the notice.
 *
 * So a case is not decided before those periods have run, unless the
 * party waived the rights in writing and the waiver is in the file with its
 * evidence (a signed statement, scanned as evidence of the case); and a
 * case whose party asked for a hearing is decided only once the hearing's
 * record is in. Everything is read from the case's timeline since its
 * latest notice (a notice given again after legal review sent the case
 * back starts the periods again).
 */
#include <stdio.h>
#include <string.h>

#include "base/workdays.h"
#include "enforce/case_int.h"

/* ---- the timeline since the latest notice --------------------------------------------------------------- */

static bool has_right(json_t *rights, const char *name)
{
	size_t i;
	json_t *r;
	json_array_foreach(rights, i, r) if (json_is_string(r) && !strcmp(json_string_value(r), name)) return true;
	return false;
}

static int proc_event(store *s, const enf_case_event *ev, void *ctx, yj_err *e)
{
	enf_case_proc *p = ctx;
	const char *a = ev->action;
	if (!strcmp(a, "notify")) {
		memset(p, 0, sizeof *p);
		p->notified_ms = ev->created_ms;
		return 0;
	}
	json_t *d = json_loads(ev->data, 0, NULL);
	if (!strcmp(a, "waive")) {
		p->statement_waived |= has_right(json_object_get(d, "rights"), "statement");
		p->hearing_waived |= has_right(json_object_get(d, "rights"), "hearing");
	} else if (!strcmp(a, "record_statement")) {
		p->statement_recorded = true;
	} else if (!strcmp(a, "request_hearing")) {
		p->hearing_requested = true;
	} else if (!strcmp(a, "schedule_hearing")) {
		p->hearing_at_ms = json_integer_value(json_object_get(d, "at_ms"));
		p->hearing_scheduled_ms = ev->created_ms;
	} else if (!strcmp(a, "record_hearing")) {
		p->hearing_recorded = true;
	}
	json_decref(d);
	return 0;
}

int enf_case_proc_read(store *s, const enf_case *c, enf_case_proc *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	return enf_case_db_events(s, c->id, proc_event, out, e);
}

void enf_case_periods(const enf_case *c, const enf_case_proc *p, enf_periods *o)
{
	memset(o, 0, sizeof *o);
	if (!p->notified_ms)
		return;
	o->notice_day = yj_day_of(p->notified_ms);
	o->statement_end = yj_workdays_after(o->notice_day, enf_cfg.statement_days);
	if (c->hearing_right)
		o->hearing_end = yj_workdays_after(o->notice_day, enf_cfg.hearing_request_days);
	if (!p->statement_waived)
		o->decide_from = o->statement_end + 1;
	if (c->hearing_right && !p->hearing_waived && !p->hearing_requested && o->hearing_end + 1 > o->decide_from)
		o->decide_from = o->hearing_end + 1;
}

static json_t *day_json(int64_t day)
{
	char d[11];
	if (!day)
		return json_null();
	yj_day_format(day, d);
	return json_string(d);
}

json_t *enf_case_proc_json(const enf_case *c, const enf_case_proc *p)
{
	enf_periods per;
	enf_case_periods(c, p, &per);
	json_t *j = json_object();
	json_object_set_new(j, "notified", enf_time(p->notified_ms));
	json_object_set_new(j, "statement_days", json_integer(enf_cfg.statement_days));
	json_object_set_new(j, "statement_ends", day_json(per.statement_end));
	json_object_set_new(j, "hearing_request_ends", day_json(per.hearing_end));
	json_object_set_new(j, "decide_from", day_json(per.decide_from));
	json_object_set_new(j, "statement_waived", json_boolean(p->statement_waived));
	json_object_set_new(j, "hearing_waived", json_boolean(p->hearing_waived));
	json_object_set_new(j, "statement_recorded", json_boolean(p->statement_recorded));
	json_object_set_new(j, "hearing_requested", json_boolean(p->hearing_requested));
	json_object_set_new(j, "hearing_at", enf_time(p->hearing_at_ms));
	json_object_set_new(j, "hearing_recorded", json_boolean(p->hearing_recorded));
	return j;
}

/* ---- conditions ------------------------------------------------------------------------------------------- */

static bool wait_for(int64_t day, int64_t *from)
{
	if (from)
		*from = day;
	return false;
}

bool enf_may_decide_after_notice(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e)
{
	const enf_case_proc *p = v->p;
	if (p->hearing_requested && !p->hearing_recorded) {
		yj_fail(e, YJ_ECONFLICT, "hearing", "当事人已要求听证：听证笔录记入案卷后方可作出处罚决定（第六十五条）");
		return p->hearing_at_ms ? wait_for(yj_day_of(p->hearing_at_ms), from) : false;
	}
	enf_periods per;
	enf_case_periods(v->c, p, &per);
	if (!per.decide_from || yj_day_of(v->now) >= per.decide_from)
		return true;
	char end[32], start[32];
	yj_day_chinese(per.decide_from - 1, end);
	yj_day_chinese(per.decide_from, start);
	if (per.decide_from == per.hearing_end + 1)
		yj_fail(e, YJ_ECONFLICT, "allowed_from",
		        "要求听证的期限（告知后%d个工作日）至%s届满，%s起方可决定；当事人书面放弃的，先记录放弃及证据",
		        enf_cfg.hearing_request_days, end, start);
	else
		yj_fail(e, YJ_ECONFLICT, "allowed_from",
		        "陈述、申辩的期限（告知后%d个工作日）至%s届满，%s起方可决定；当事人书面放弃的，先记录放弃及证据",
		        enf_cfg.statement_days, end, start);
	return wait_for(per.decide_from, from);
}

bool enf_may_request_hearing(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e)
{
	if (!v->c->hearing_right) {
		yj_fail(e, YJ_ECONFLICT, "state", "拟作出的处罚不属于听证范围（罚款低于%.0f元，且不吊销许可证、不责令停产停业）",
		        enf_cfg.hearing_fine_yuan);
		return false;
	}
	if (v->p->hearing_waived) {
		yj_fail(e, YJ_ECONFLICT, "state", "当事人已书面放弃听证权利");
		return false;
	}
	enf_periods per;
	enf_case_periods(v->c, v->p, &per);
	if (per.hearing_end && yj_day_of(v->now) > per.hearing_end) {
		char end[32];
		yj_day_chinese(per.hearing_end, end);
		yj_fail(e, YJ_ECONFLICT, "state", "要求听证的期限（告知后%d个工作日）已于%s届满（第六十四条）",
		        enf_cfg.hearing_request_days, end);
		return false;
	}
	return true;
}

bool enf_may_waive(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e)
{
	const enf_case_proc *p = v->p;
	bool hearing_open = v->c->hearing_right && !p->hearing_waived && !p->hearing_requested;
	if (p->notified_ms && (!p->statement_waived || hearing_open))
		return true;
	yj_fail(e, YJ_ECONFLICT, "state", "当事人没有尚可放弃的权利；现在允许：%s", allowed);
	return false;
}

/* out of the hearing state (to legal review) only with the hearing's record in the file */
bool enf_may_leave_hearing(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e)
{
	if (strcmp(v->c->state, "hearing") != 0 || v->p->hearing_recorded)
		return true;
	yj_fail(e, YJ_ECONFLICT, "hearing", "听证笔录尚未记入案卷：先安排并举行听证，再记录听证（record_hearing）");
	return v->p->hearing_at_ms ? wait_for(yj_day_of(v->p->hearing_at_ms), from) : false;
}

bool enf_may_schedule_hearing(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e)
{
	if (!v->p->hearing_recorded)
		return true;
	yj_fail(e, YJ_ECONFLICT, "hearing", "听证已经举行，笔录已记入案卷");
	return false;
}

bool enf_may_record_hearing(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e)
{
	const enf_case_proc *p = v->p;
	if (p->hearing_recorded) {
		yj_fail(e, YJ_ECONFLICT, "hearing", "听证笔录已记入案卷");
		return false;
	}
	if (!p->hearing_at_ms) {
		yj_fail(e, YJ_ECONFLICT, "hearing", "尚未安排听证：先安排听证（schedule_hearing）");
		return false;
	}
	if (v->now >= p->hearing_at_ms)
		return true;
	char at[40];
	yj_time_format(p->hearing_at_ms, at);
	yj_fail(e, YJ_ECONFLICT, "hearing", "听证定于%.16s举行，举行后方可记录听证笔录", at);
	return wait_for(yj_day_of(p->hearing_at_ms), from);
}

/* ---- the steps' own work ---------------------------------------------------------------------------------- */

/* a file of the case's own evidence (uploaded to POST /cases/{id}/evidence), named by its SHA-256 */
static int case_file(enf_step *x, const char *sha, const char *field, yj_err *e)
{
	int rc = sha && strlen(sha) == 64 ? enf_evidence_db_has(x->s, "penalty_case", x->c->id, sha, e) : 0;
	if (rc < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_EINVAL, field, "字段 '%s' 须为本案证据文件的 SHA-256（先上传到 /cases/%lld/evidence）", field,
		               (long long)x->c->id);
	return 0;
}

int enf_step_waive(enf_step *x, yj_err *e)
{
	static const char *const keys[] = {"rights", "statement", "evidence_sha256", NULL};
	const char *statement, *sha;
	json_t *rights = NULL;
	if (yj_only_keys(x->body, keys, e) ||
	    yj_json_text(x->body, "statement", YJ_REQUIRED | YJ_NONEMPTY, 4000, &statement, e) < 0 ||
	    yj_json_text(x->body, "evidence_sha256", YJ_REQUIRED, 64, &sha, e) < 0 ||
	    yj_json_array(x->body, "rights", 0, 2, &rights, e) < 0 || case_file(x, sha, "evidence_sha256", e))
		return -1;
	bool hearing_open = x->c->hearing_right && !x->p->hearing_waived && !x->p->hearing_requested;
	json_t *waived = json_array();
	if (!rights) { /* every right the party still has */
		if (!x->p->statement_waived)
			json_array_append_new(waived, json_string("statement"));
		if (hearing_open)
			json_array_append_new(waived, json_string("hearing"));
	} else {
		size_t i;
		json_t *r;
		json_array_foreach(rights, i, r) {
			const char *name = json_string_value(r);
			bool ok = name && ((!strcmp(name, "statement") && !x->p->statement_waived) ||
			                   (!strcmp(name, "hearing") && hearing_open));
			if (!ok) {
				json_decref(waived);
				return yj_fail(e, YJ_EINVAL, "rights",
				               "rights[%zu] 须为当事人尚享有的权利：statement（陈述、申辩）或 hearing（听证）", i);
			}
			json_array_append_new(waived, json_string(name));
		}
	}
	json_object_set_new(x->data, "rights", waived);
	json_object_set_new(x->data, "statement", json_string(statement));
	json_object_set_new(x->data, "evidence_sha256", json_string(sha));
	x->note = statement;
	return 0;
}

int enf_step_statement(enf_step *x, yj_err *e)
{
	static const char *const keys[] = {"statement", "evidence_sha256", NULL};
	const char *statement, *sha = NULL;
	if (yj_only_keys(x->body, keys, e) ||
	    yj_json_text(x->body, "statement", YJ_REQUIRED | YJ_NONEMPTY, 20000, &statement, e) < 0 ||
	    yj_json_text(x->body, "evidence_sha256", 0, 64, &sha, e) < 0 || (sha && case_file(x, sha, "evidence_sha256", e)))
		return -1;
	json_object_set_new(x->data, "statement", json_string(statement));
	if (sha)
		json_object_set_new(x->data, "evidence_sha256", json_string(sha));
	x->note = statement;
	return 0;
}

int enf_step_schedule_hearing(enf_step *x, yj_err *e)
{
	static const char *const keys[] = {"at", "place", "host", NULL};
	const char *place, *host;
	int64_t at;
	if (yj_only_keys(x->body, keys, e) || yj_json_time(x->body, "at", YJ_REQUIRED, &at, e) < 0 ||
	    yj_json_text(x->body, "place", YJ_REQUIRED | YJ_NONEMPTY, 200, &place, e) < 0 ||
	    yj_json_text(x->body, "host", YJ_REQUIRED | YJ_NONEMPTY, 100, &host, e) < 0)
		return -1;
	/* 第六十四条(二): the party is told at least seven (working) days before */
	int64_t earliest = yj_workdays_after(yj_day_of(x->now), enf_cfg.hearing_notice_days);
	if (yj_day_of(at) < earliest) {
		char day[32];
		yj_day_chinese(earliest, day);
		x->allowed_from = earliest;
		return yj_fail(e, YJ_EUNPROCESSABLE, "at", "听证应在举行的%d个工作日前通知当事人：最早可定于%s",
		               enf_cfg.hearing_notice_days, day);
	}
	char when[40];
	yj_time_format(at, when);
	json_object_set_new(x->data, "at", json_string(when));
	json_object_set_new(x->data, "at_ms", json_integer(at));
	json_object_set_new(x->data, "place", json_string(place));
	json_object_set_new(x->data, "host", json_string(host));
	return 0;
}

int enf_step_record_hearing(enf_step *x, yj_err *e)
{
	static const char *const keys[] = {"summary", "transcript_sha256", "evidence", NULL};
	const char *summary, *sha;
	json_t *evidence = NULL;
	if (yj_only_keys(x->body, keys, e) ||
	    yj_json_text(x->body, "summary", YJ_REQUIRED | YJ_NONEMPTY, 20000, &summary, e) < 0 ||
	    yj_json_text(x->body, "transcript_sha256", YJ_REQUIRED, 64, &sha, e) < 0 ||
	    case_file(x, sha, "transcript_sha256", e) || yj_json_array(x->body, "evidence", 0, 50, &evidence, e) < 0)
		return -1;
	size_t i;
	json_t *it;
	json_array_foreach(evidence, i, it) if (case_file(x, json_string_value(it), "evidence", e)) return -1;
	json_object_set_new(x->data, "summary", json_string(summary));
	json_object_set_new(x->data, "transcript_sha256", json_string(sha));
	json_object_set_new(x->data, "evidence", evidence ? json_incref(evidence) : json_array());
	x->note = summary;
	return 0;
}
