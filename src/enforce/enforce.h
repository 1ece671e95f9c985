/*
 * enforce.h — lawful enforcement (依法行政): the double-random draw
 * (双随机、一公开), inspections with two confirming inspectors, evidence,
 * hazards (隐患) and their rectification (整改), penalty cases (行政处罚)
 * with legal review (法制审核) of major decisions, coercive measures,
 * case-file review (案卷评查), publicity (双公示) and the year's figures.
 *
 * Every step is done by the role the law gives it, in the legal order, and
 * leaves an audit record; illegal steps are refused with the allowed ones.
 */
#ifndef YJ_ENFORCE_H
#define YJ_ENFORCE_H

#include <jansson.h>

#include "auth/auth.h"
#include "base/base.h"
#include "store/store.h"

typedef struct enf_config {
	double major_fine_yuan;    /* a fine from this amount makes a case major (default 50,000) */
	double hearing_fine_yuan;  /* a fine from this amount gives the party a right to a hearing (default 10,000) */
	int decision_days;         /* decide within this many days of filing (default 90) */
	int statement_days;        /* working days the party has to state and defend after notice (default 3) */
	int hearing_request_days;  /* working days to request a hearing after notice (第六十四条: 5) */
	int hearing_notice_days;   /* working days' notice of a hearing (第六十四条: 7) */
	const char *attachments_dir; /* where evidence files live (default <db>.evidence) */
	size_t attachment_max;     /* largest evidence file (default 64 MiB) */
	const char *authority;     /* the publisher named on the public list (default 汕尾市应急管理局); each
	                            * decision names its own deciding authority (registry: reg_authority_for) */
} enf_config;

/* Start (serve): the evidence folder, the overdue job with the scheduler. Call enf_init first. */
int enf_start(store *s, const enf_config *cfg, yj_err *e);
/* Register the HTTP routes of enforcement (and, until serve's table lists it, of src/stats). */
void enf_api_register(void);
/* The statement period (陈述、申辩期限) in working days, 1..30 (serve --statement-days): before enf_start. */
int enf_set_statement_days(int days);
/* Register the audit projections of enforcement's objects (every command, before threads). */
void enf_init(void);

/* Bus topics enforcement emits (src/bus). */
#define ENF_EV_HAZARD_OVERDUE "hazard.overdue" /* a hazard passed its deadline unrectified; stream "hazards" */

/* ---- the year's figures, for src/stats ------------------------------------------------------------ */

/* What enforcement did in one calendar year (local time, +08:00) in one jurisdiction. */
typedef struct enf_figures {
	int64_t units_inspected;   /* enterprises with a confirmed draw or ad-hoc inspection */
	int64_t inspection_visits; /* confirmed draw and ad-hoc inspections */
	int64_t expert_visits;     /* confirmed expert guidance visits (专家指导服务) */
	int64_t hazards_found, hazards_rectified, major_hazards; /* hazards found in the year; rectified: verified closed */
	int64_t coercive_measures; /* started in the year */
	int64_t penalty_cases, major_cases, bureau_own_cases; /* decided in the year */
	double fines_yuan, bureau_own_fines_yuan;
} enf_figures;
/* The figures of year in scope: 0, or -1 with *e. */
int enf_stats_year(store *s, const auth_scope *scope, int year, enf_figures *out, yj_err *e);

/* The draw algorithm, exposed for tests and for anyone re-running a published draw:
 * pools and seed in, assignments out (see draw.c for the algorithm "yingji-draw-1"). */
json_t *enf_draw_run(const char *seed_hex, json_t *enterprise_pool, json_t *inspector_pool, long count,
                     int inspectors_per, yj_err *e);
/* SHA-256 of the canonical JSON of a pool (sorted keys, compact), hex. */
void enf_pool_digest(json_t *pool, char out[65]);

/* Demo: matters catalogue (8 delegated to towns), certificates for the demo
 * inspectors, checklist templates (inside the caller's transaction). */
int enf_demo_generate(store *s, const char *password_hash, uint64_t seed, yj_err *e);

#endif
