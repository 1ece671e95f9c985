/*
 * stats_api.c — HTTP endpoints of the figures:
 *   GET /api/v1/stats/enforcement?year=&area=
 * The year is a local calendar year (default: this one); the area is the
 * caller's jurisdiction or a part of it (http_scope). The counts come from
 * enforcement (enf_stats_year); this file turns them into the report's
 * measures: the rectification rate (整改率) in percent, fines in 万元.
 */
#include <math.h>
#include <stdlib.h>

#include "enforce/enforce.h"
#include "http/http.h"
#include "stats/stats.h"

/* yuan as 万元 with two decimals */
static double wan(double yuan)
{
	return floor(yuan / 100.0 + 0.5) / 100.0;
}

static int handle_enforcement(http_req *req, http_res *res, yj_err *e)
{
	char now[40];
	yj_time_format(yj_now_ms(), now);
	long year = atol(now);
	auth_scope sc;
	enf_figures f;
	if (http_query_long(req, "year", 2000, 2100, &year, e) < 0 || http_scope(req, &sc, e) ||
	    enf_stats_year(store_thread(), &sc, (int)year, &f, e))
		return -1;
	/* 整改率 = hazards rectified (verified closed) / hazards found, in percent with two decimals */
	double rate = f.hazards_found ? floor(10000.0 * (double)f.hazards_rectified / (double)f.hazards_found + 0.5) / 100.0 : 0;
	json_t *j = json_pack("{s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:f, s:I, s:I, s:f}", "year", (int)year,
	                      "area", sc.code, "units_inspected", (json_int_t)f.units_inspected, "inspection_visits",
	                      (json_int_t)f.inspection_visits, "hazards_found", (json_int_t)f.hazards_found,
	                      "hazards_rectified", (json_int_t)f.hazards_rectified, "major_hazards",
	                      (json_int_t)f.major_hazards, "rectification_rate_pct", rate, "coercive_measures",
	                      (json_int_t)f.coercive_measures, "expert_visits", (json_int_t)f.expert_visits, "penalty_cases",
	                      (json_int_t)f.penalty_cases, "fines_wan_yuan", wan(f.fines_yuan), "major_cases",
	                      (json_int_t)f.major_cases, "bureau_own_cases", (json_int_t)f.bureau_own_cases,
	                      "bureau_own_fines_wan_yuan", wan(f.bureau_own_fines_yuan));
	http_json(res, 200, j);
	return 0;
}

void stats_api_register(void)
{
	http_route("GET", "/api/v1/stats/enforcement", handle_enforcement, ROLES_STAFF, NULL);
}
