/*
 * coercive.c — coercive measures (行政强制: sealing up 查封, seizing 扣押)
 * and the case-file review (案卷评查) of closed cases, with its yearly
 * summary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"
#include "registry/registry.h"

/* ---- coercive measures --------------------------------------------------------------------------------- */

int enf_coercive_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e)
{
	static const char *const keys[] = {"enterprise_id", "case_id", "kind", "reason", "start", "end", NULL};
	static const char *const kinds[] = {"seal_up", "seize", NULL};
	enf_coercive m = {.created_by = u->id, .start_ms = yj_now_ms()};
	int kind, rc;
	auth_scope mine;
	if (yj_only_keys(body, keys, e) || yj_json_id(body, "enterprise_id", YJ_REQUIRED, &m.enterprise_id, e) < 0 ||
	    enf_own_scope(u, &mine, e) || (rc = enf_enterprise_in_scope(s, &mine, m.enterprise_id, m.area_code, e)) < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_EINVAL, "enterprise_id", "no enterprise %lld in your jurisdiction", (long long)m.enterprise_id);
	if (yj_json_enum(body, "kind", YJ_REQUIRED, kinds, &kind, e) < 0)
		return yj_fail(e, YJ_EINVAL, "kind", "field 'kind' must be seal_up (查封) or seize (扣押)");
	snprintf(m.kind, sizeof m.kind, "%s", kinds[kind]);
	int has_end;
	if (yj_json_text(body, "reason", YJ_REQUIRED | YJ_NONEMPTY, 2000, &m.reason, e) < 0 ||
	    yj_json_time(body, "start", 0, &m.start_ms, e) < 0 || (has_end = yj_json_time(body, "end", 0, &m.end_ms, e)) < 0 ||
	    yj_json_id(body, "case_id", 0, &m.case_id, e) < 0)
		return -1;
	if (has_end && m.end_ms <= m.start_ms)
		return yj_fail(e, YJ_EINVAL, "end", "field 'end' must be after 'start'");
	/* the case it serves: one the caller may see, against the same enterprise */
	if (m.case_id) {
		enf_case c;
		if ((rc = enf_case_visible(s, u, m.case_id, &c, e)) < 0)
			return -1;
		bool same = rc > 0 && c.enterprise_id == m.enterprise_id;
		enf_case_clear(&c);
		if (rc == 0)
			return yj_fail(e, YJ_EINVAL, "case_id", "no case %lld in your jurisdiction", (long long)m.case_id);
		if (!same)
			return yj_fail(e, YJ_EINVAL, "case_id", "case %lld is against another party", (long long)m.case_id);
	}
	if (enf_coercive_db_insert(s, &m, id_out, e))
		return -1;
	return audit_record_id(s, u, "coercive.create", "coercive_measure", *id_out, e);
}

static int coercive_item(store *s, const enf_coercive *m, void *ctx, yj_err *e)
{
	char name[200];
	reg_enterprise_name(s, m->enterprise_id, name, sizeof name);
	json_array_append_new(ctx, json_pack("{s:I, s:o, s:I, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)m->id, "case_id",
	                                     m->case_id ? json_integer(m->case_id) : json_null(), "enterprise_id",
	                                     (json_int_t)m->enterprise_id, "enterprise", name, "kind", m->kind, "reason",
	                                     m->reason, "start", enf_time(m->start_ms), "end", enf_time(m->end_ms)));
	return 0;
}

int enf_coercive_list_json(store *s, const auth_scope *sc, json_t **out, yj_err *e)
{
	json_t *items = json_array();
	if (enf_coercive_db_each(s, sc, 500, coercive_item, items, e)) {
		json_decref(items);
		return -1;
	}
	*out = items;
	return 0;
}

/* ---- case-file review (案卷评查) ----------------------------------------------------------------------------- */

int enf_review_create(store *s, const auth_user *u, int64_t case_id, json_t *body, int64_t *id_out, yj_err *e)
{
	static const char *const keys[] = {"items", "problems", NULL};
	if (yj_only_keys(body, keys, e))
		return -1;
	enf_case c;
	int rc = enf_case_visible(s, u, case_id, &c, e);
	if (rc <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "no case %lld", (long long)case_id);
	bool closed = !strcmp(c.state, "closed");
	enf_case_clear(&c);
	if (!closed)
		return yj_fail(e, YJ_ECONFLICT, "state", "case files are reviewed (案卷评查) once the case is closed");
	json_t *items;
	const char *problems = NULL;
	rc = yj_json_array(body, "items", 0, 200, &items, e);
	if (rc < 0)
		return -1;
	if (rc == 0 || json_array_size(items) == 0)
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
	if (yj_json_text(body, "problems", 0, 8000, &problems, e) < 0)
		return -1;
	int64_t now = yj_now_ms();
	/* scores are kept out of 100 whatever the checklist's total */
	if (enf_review_db_insert(s, case_id, u->id, items, max > 0 ? 100.0 * score / max : 0, problems, enf_year_of(now), now,
	                         id_out, e))
		return -1;
	return audit_record_id(s, u, "case.review", "case_review", *id_out, e);
}

typedef struct summary {
	json_t *items, *year_cases;
	int year;
	int64_t reviewed;
	double sum, lowest, highest;
} summary;

static void summary_close(summary *m)
{
	if (!m->year_cases)
		return;
	json_array_append_new(m->items, json_pack("{s:i, s:I, s:f, s:f, s:f, s:o}", "year", m->year, "reviewed",
	                                          (json_int_t)m->reviewed, "average_score", m->sum / (double)m->reviewed,
	                                          "lowest", m->lowest, "highest", m->highest, "cases", m->year_cases));
	m->year_cases = NULL;
}

static int summary_add(store *s, const enf_review_row *r, void *ctx, yj_err *e)
{
	summary *m = ctx;
	if (m->year_cases && r->year != m->year)
		summary_close(m);
	if (!m->year_cases) {
		m->year_cases = json_array();
		m->year = r->year;
		m->reviewed = 0;
		m->sum = 0;
		m->lowest = m->highest = r->score;
	}
	m->reviewed++;
	m->sum += r->score;
	if (r->score < m->lowest)
		m->lowest = r->score;
	if (r->score > m->highest)
		m->highest = r->score;
	json_array_append_new(m->year_cases, json_pack("{s:I, s:f, s:s}", "case_id", (json_int_t)r->case_id, "score",
	                                               r->score, "problems", r->problems));
	return 0;
}

int enf_review_summary_json(store *s, const auth_scope *sc, int year, json_t **out, yj_err *e)
{
	summary m = {.items = json_array()};
	if (enf_review_db_each(s, sc, year, summary_add, &m, e)) {
		json_decref(m.year_cases);
		json_decref(m.items);
		return -1;
	}
	summary_close(&m);
	*out = m.items;
	return 0;
}
