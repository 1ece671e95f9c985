/*
 * stats.h — the figures (统计): what the bureau reports per year and per
 * jurisdiction, gathered from the modules that hold the facts through
 * their figure functions (enforcement: enf_stats_year). The annual report
 * is meant to grow here. One header is the module's whole surface.
 */
#ifndef YJ_STATS_H
#define YJ_STATS_H

/* Register the HTTP routes of the figures (stats_api.c):
 *   GET /api/v1/stats/enforcement?year=&area=   the year's enforcement figures (执法数据) */
void stats_api_register(void);

#endif
