/*
 * figures_db.c — the year's enforcement figures (执法数据) as src/stats
 * asks for them: counts over inspections, hazards, coercive measures and
 * decided penalty cases of one jurisdiction in one local calendar year.
 * The year's bounds are worked out in C (UTC ms); the SQL only counts.
 */
#include <string.h>

#include "enforce/enf_int.h"

int enf_stats_year(store *s, const auth_scope *sc, int year, enf_figures *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	int64_t from, to;
	enf_year_bounds(year, &from, &to);
	store_q *q;
	int rc = store_row(s, &q, e,
	                   "SELECT count(DISTINCT CASE WHEN kind IN ('draw', 'adhoc') THEN enterprise_id END), "
	                   "coalesce(sum(CASE WHEN kind IN ('draw', 'adhoc') THEN 1 ELSE 0 END), 0), "
	                   "coalesce(sum(CASE WHEN kind = 'expert' THEN 1 ELSE 0 END), 0) "
	                   "FROM inspection WHERE state = 'confirmed' AND inspected_ms >= ? AND inspected_ms < ? AND "
	                   AUTH_SCOPE_SQL("area_code"),
	                   from, to, sc->lo, sc->hi);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		out->units_inspected = store_col_int(q, 0);
		out->inspection_visits = store_col_int(q, 1);
		out->expert_visits = store_col_int(q, 2);
		store_done(q);
	}
	rc = store_row(s, &q, e,
	               "SELECT count(*), coalesce(sum(CASE WHEN state = 'verified_closed' THEN 1 ELSE 0 END), 0), "
	               "coalesce(sum(CASE WHEN level = 'major' THEN 1 ELSE 0 END), 0) "
	               "FROM hazard WHERE found_ms >= ? AND found_ms < ? AND " AUTH_SCOPE_SQL("area_code"),
	               from, to, sc->lo, sc->hi);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		out->hazards_found = store_col_int(q, 0);
		out->hazards_rectified = store_col_int(q, 1);
		out->major_hazards = store_col_int(q, 2);
		store_done(q);
	}
	if (store_get_int(s, &out->coercive_measures, e,
	                  "SELECT count(*) FROM coercive_measure WHERE start_ms >= ? AND start_ms < ? AND "
	                  AUTH_SCOPE_SQL("area_code"),
	                  from, to, sc->lo, sc->hi) < 0)
		return -1;
	rc = store_row(s, &q, e,
	               "SELECT count(*), coalesce(sum(fine_yuan), 0), coalesce(sum(CASE WHEN major = 1 THEN 1 ELSE 0 END), 0), "
	               "coalesce(sum(CASE WHEN bureau_own = 1 THEN 1 ELSE 0 END), 0), "
	               "coalesce(sum(CASE WHEN bureau_own = 1 THEN fine_yuan ELSE 0 END), 0) "
	               "FROM penalty_case WHERE decided_ms >= ? AND decided_ms < ? AND " AUTH_SCOPE_SQL("area_code"),
	               from, to, sc->lo, sc->hi);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		out->penalty_cases = store_col_int(q, 0);
		out->fines_yuan = store_col_double(q, 1);
		out->major_cases = store_col_int(q, 2);
		out->bureau_own_cases = store_col_int(q, 3);
		out->bureau_own_fines_yuan = store_col_double(q, 4);
		store_done(q);
	}
	return 0;
}
