/*
 * figures_db.c — the year's enforcement figures (执法数据) as src/stats
 * asks for them: counts over inspections, hazards, coercive measures and
 * decided penalty cases of one jurisdiction in one local calendar year.
 * The year's bounds are worked out in C (UTC ms); the SQL only counts.
 */
#include <string.h>

#include "enforce/enf_int.h"

/* where a counting query's columns go, in order: an integer or a sum of yuan; ends with {0} */
typedef struct figure {
	int64_t *count;
	double *yuan;
} figure;

static int fill(store_q *q, void *ctx, yj_err *e)
{
	const figure *f = ctx;
	for (int k = 0; f[k].count || f[k].yuan; k++)
		if (f[k].count)
			*f[k].count = store_col_int(q, k);
		else
			*f[k].yuan = store_col_double(q, k);
	return 1;
}

int enf_stats_year(store *s, const auth_scope *sc, int year, enf_figures *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	int64_t from, to;
	enf_year_bounds(year, &from, &to);
	const figure inspections[] = {{.count = &out->units_inspected}, {.count = &out->inspection_visits},
	                              {.count = &out->expert_visits}, {.count = NULL}};
	const figure hazards[] = {{.count = &out->hazards_found}, {.count = &out->hazards_rectified},
	                          {.count = &out->major_hazards}, {.count = NULL}};
	const figure coercive[] = {{.count = &out->coercive_measures}, {.count = NULL}};
	const figure cases[] = {{.count = &out->penalty_cases}, {.yuan = &out->fines_yuan}, {.count = &out->major_cases},
	                        {.count = &out->bureau_own_cases}, {.yuan = &out->bureau_own_fines_yuan}, {.count = NULL}};
	if (store_each(store_query(s, e,
	                           "SELECT count(DISTINCT CASE WHEN kind IN ('draw', 'adhoc') THEN enterprise_id END), "
	                           "coalesce(sum(CASE WHEN kind IN ('draw', 'adhoc') THEN 1 ELSE 0 END), 0), "
	                           "coalesce(sum(CASE WHEN kind = 'expert' THEN 1 ELSE 0 END), 0) "
	                           "FROM inspection WHERE state = 'confirmed' AND inspected_ms >= ? AND inspected_ms < ? AND "
	                           AUTH_SCOPE_SQL("area_code"),
	                           from, to, sc->lo, sc->hi),
	               fill, (void *)inspections, e) ||
	    store_each(store_query(s, e,
	                           "SELECT count(*), coalesce(sum(CASE WHEN state = 'verified_closed' THEN 1 ELSE 0 END), 0), "
	                           "coalesce(sum(CASE WHEN level = 'major' THEN 1 ELSE 0 END), 0) "
	                           "FROM hazard WHERE found_ms >= ? AND found_ms < ? AND " AUTH_SCOPE_SQL("area_code"),
	                           from, to, sc->lo, sc->hi),
	               fill, (void *)hazards, e) ||
	    store_each(store_query(s, e,
	                           "SELECT count(*) FROM coercive_measure WHERE start_ms >= ? AND start_ms < ? AND "
	                           AUTH_SCOPE_SQL("area_code"),
	                           from, to, sc->lo, sc->hi),
	               fill, (void *)coercive, e) ||
	    store_each(store_query(s, e,
	                           "SELECT count(*), coalesce(sum(fine_yuan), 0), "
	                           "coalesce(sum(CASE WHEN major = 1 THEN 1 ELSE 0 END), 0), "
	                           "coalesce(sum(CASE WHEN bureau_own = 1 THEN 1 ELSE 0 END), 0), "
	                           "coalesce(sum(CASE WHEN bureau_own = 1 THEN fine_yuan ELSE 0 END), 0) "
	                           "FROM penalty_case WHERE decided_ms >= ? AND decided_ms < ? AND " AUTH_SCOPE_SQL("area_code"),
	                           from, to, sc->lo, sc->hi),
	               fill, (void *)cases, e))
		return -1;
	return 0;
}
