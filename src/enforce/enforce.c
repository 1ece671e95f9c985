/*
 * enforce.c — the enforcement module's life (init, start), its
 * configuration, and the small rules every service here shares: how times
 * read in JSON, whether a town may act on a matter, whether an enterprise
 * lies in a caller's jurisdiction, the bounds of a local calendar year.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enforce/enf_int.h"
#include "registry/registry.h"
#include "sched/sched.h"

enf_config enf_cfg = {.major_fine_yuan = 50000, .hearing_fine_yuan = 10000, .decision_days = 90, .statement_days = 3,
                      .hearing_request_days = 5, .hearing_notice_days = 7, .attachment_max = 64u << 20,
                      .authority = "汕尾市应急管理局"};

int enf_set_statement_days(int days)
{
	if (days < 1 || days > 30)
		return -1;
	enf_cfg.statement_days = days;
	return 0;
}

/* ---- shared helpers --------------------------------------------------------------------------------- */

json_t *enf_time(int64_t ms)
{
	if (!ms)
		return json_null();
	char t[40];
	yj_time_format(ms, t);
	return json_string(t);
}

json_t *enf_ms_or_null(int64_t ms)
{
	return ms ? json_integer(ms) : json_null();
}

void enf_put_time(json_t *j, const char *name, const char *suffix, json_t *(*when)(int64_t ms), int64_t ms)
{
	char key[32];
	snprintf(key, sizeof key, "%s%s", name, suffix);
	json_object_set_new(j, key, when(ms));
}

json_t *enf_text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int enf_check_matter(store *s, const auth_user *u, const char *matter, yj_err *e)
{
	if (!matter)
		return 0;
	bool delegated;
	int rc = enf_matter_db_get(s, matter, &delegated, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_EINVAL, "matter_code", "field 'matter_code': no enforcement matter %.32s", matter);
	/* 镇街综合行政执法: towns (and villages) act only on the matters delegated to them */
	if (strlen(u->area_code) >= 9 && !delegated)
		return yj_fail(e, YJ_EFORBIDDEN, "matter_code",
		               "matter %.32s is not delegated to towns: the county or city enforces it", matter);
	return 0;
}

int enf_enterprise_in_scope(store *s, const auth_scope *sc, int64_t id, char area_out[16], yj_err *e)
{
	reg_enterprise en;
	area_out[0] = 0;
	int rc = reg_enterprise_get(s, id, &en, e);
	if (rc <= 0)
		return rc;
	bool inside = auth_scope_contains(sc, en.area_code);
	if (inside)
		snprintf(area_out, 16, "%s", en.area_code);
	reg_enterprise_clear(&en);
	return inside;
}

int enf_own_scope(const auth_user *u, auth_scope *out, yj_err *e)
{
	return auth_scope_for(u, NULL, "area", out, e);
}

int enf_in_own_area(const auth_user *u, const char *area_code, yj_err *e)
{
	auth_scope mine;
	if (enf_own_scope(u, &mine, e))
		return -1;
	return auth_scope_contains(&mine, area_code) ? 1 : 0;
}

void enf_year_bounds(int year, int64_t *from, int64_t *to)
{
	char t[40];
	*from = *to = 0;
	snprintf(t, sizeof t, "%04d-01-01T00:00:00+08:00", year);
	yj_time_parse(t, from, "year", NULL);
	snprintf(t, sizeof t, "%04d-01-01T00:00:00+08:00", year + 1);
	yj_time_parse(t, to, "year", NULL);
}

int enf_year_of(int64_t ms)
{
	char t[40];
	yj_time_format(ms, t);
	return atoi(t);
}

static int collect_id(store_q *q, void *ctx, yj_err *e)
{
	enf_ids *out = ctx;
	if (out->n < out->cap)
		out->id[out->n++] = store_col_int(q, 0);
	return 0;
}

int enf_ids_collect(store_q *q, enf_ids *out, yj_err *e)
{
	out->n = 0;
	return store_each(q, collect_id, out, e);
}

int enf_new_id(int rc, const char *what, yj_err *e)
{
	if (rc < 0)
		return -1;
	return rc ? 0 : yj_fail(e, YJ_EINTERNAL, "", "the new %s has no id", what);
}

int enf_changed(int64_t n, const char *what, int64_t id, yj_err *e)
{
	if (n < 0)
		return -1;
	if (n == 0)
		return yj_fail(e, YJ_ENOTFOUND, "id", "没有%s %lld", what, (long long)id);
	return 0;
}

/* ---- life ---------------------------------------------------------------------------------------------- */

void enf_init(void)
{
	audit_register_type("penalty_case", 1, enf_case_project);
	audit_register_type("penalty_case", 2, enf_case_project_v2);
	audit_register_type("coercive_measure", 1, enf_coercive_project);
	audit_register_type("case_review", 1, enf_review_project);
	audit_register_type("inspection", 1, enf_inspection_project);
	audit_register_type("hazard", 1, enf_hazard_project);
	audit_register_type("conflict_of_interest", 1, enf_conflict_project);
	audit_register_type("checklist_template", 1, enf_checklist_project);
	audit_register_type("inspection_plan", 1, enf_plan_project);
	audit_register_type("draw", 1, enf_draw_project);
}

int enf_start(store *s, const enf_config *cfg, yj_err *e)
{
	if (cfg) {
		int statement = enf_cfg.statement_days;
		enf_cfg = *cfg;
		/* the law's periods stay what they are unless set */
		enf_cfg.statement_days = cfg->statement_days > 0 ? cfg->statement_days : statement;
		enf_cfg.hearing_request_days = cfg->hearing_request_days > 0 ? cfg->hearing_request_days : 5;
		enf_cfg.hearing_notice_days = cfg->hearing_notice_days > 0 ? cfg->hearing_notice_days : 7;
	}
	char dir[512];
	if (enf_cfg.attachments_dir && *enf_cfg.attachments_dir)
		snprintf(dir, sizeof dir, "%s", enf_cfg.attachments_dir);
	else
		snprintf(dir, sizeof dir, "%s.evidence", store_path() ? store_path() : "yingji.db");
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return yj_fail(e, YJ_EINTERNAL, "", "cannot create the evidence folder %s: %s", dir, strerror(errno));
	enf_evidence_set_dir(dir);
	/* hazards past their deadline: flagged about every second (the clock tests move is read each run) */
	sched_every("hazard_overdue", 1000, enf_overdue_job, NULL, 0);
	return 0;
}
