/*
 * enf_int.h — shared between the files of src/enforce/ only.
 *
 * Three layers: the data files (case_db.c, inspect_db.c, hazard_db.c,
 * draw_db.c, figures_db.c) hold every SQL statement on the tables
 * enforcement owns and fill the row structs below; the services (case.c,
 * case_steps.c, coercive.c, inspect.c, duty.c, hazard.c, evidence.c,
 * draw.c, catalogue.c, enforce.c) hold the rules and call the data files
 * and other modules' lookups (registry, auth, geo); the handlers (*_api.c,
 * with enf_api_int.h) parse requests, call services and answer. Nothing
 * here includes http/http.h.
 */
#ifndef YJ_ENF_INT_H
#define YJ_ENF_INT_H

#include <math.h>

#include "enforce/enforce.h"

extern enf_config enf_cfg;

#define ENF_INSPECTOR ROLE_BIT(ROLE_INSPECTOR)
#define ENF_COMMANDER ROLE_BIT(ROLE_COMMANDER)
#define ENF_REVIEWER ROLE_BIT(ROLE_LEGAL_REVIEWER)

/* ---- small helpers (enforce.c) ------------------------------------------------------------------ */

/* ms as RFC 3339 text, or JSON null for 0 (not yet) */
json_t *enf_time(int64_t ms);
/* ms as a JSON integer, or null for 0 (audit projections) */
json_t *enf_ms_or_null(int64_t ms);
/* j[name + suffix] = when(ms): a time as the API ("filed", enf_time) or a projection ("filed_ms") has it */
void enf_put_time(json_t *j, const char *name, const char *suffix, json_t *(*when)(int64_t ms), int64_t ms);
/* text or JSON null */
json_t *enf_text_or_null(const char *s);
/* a town-level user may act only on matters delegated to towns; NULL matter: nothing to check */
int enf_check_matter(store *s, const auth_user *u, const char *matter, yj_err *e);
/* The enterprise id, if it is one in scope: 1 with *out (its area) filled, 0 when there is no such
 * enterprise or it lies outside (the caller words the error), -1 on error. */
int enf_enterprise_in_scope(store *s, const auth_scope *sc, int64_t id, char area_out[16], yj_err *e);
/* the scope of the user's own area (YJ_EFORBIDDEN when it is not a known area) */
int enf_own_scope(const auth_user *u, auth_scope *out, yj_err *e);
/* 1 when area_code lies in the user's own area, 0 not, -1 error */
int enf_in_own_area(const auth_user *u, const char *area_code, yj_err *e);
/* [from, to) in UTC ms of a local (+08:00) calendar year; the local year of an instant */
void enf_year_bounds(int year, int64_t *from, int64_t *to);
int enf_year_of(int64_t ms);

/* ---- rows (filled by the data files) --------------------------------------------------------------- */

/* 行政处罚案件 a penalty case as stored. Owned texts: release with enf_case_clear. */
typedef struct enf_case {
	int64_t id, enterprise_id, inspection_id; /* 0: none */
	char party_type[16];                      /* enterprise | individual */
	char *party_name, *party_id_number, *party_phone; /* the last two may be NULL */
	char area_code[16], matter_code[40], state[32];
	char *title, *facts, *legal_basis;
	char *decision_no; /* NULL before the decision */
	double fine_yuan, paid_yuan; /* paid_yuan: NAN before payment */
	bool revocation, suspension, major, hearing_right, extended, bureau_own;
	char authority_code[16]; /* the deciding authority (table authority); "" until known */
	int64_t filed_ms, deadline_ms, decided_ms, served_ms, executed_ms, closed_ms; /* 0: not yet */
	int64_t created_by, created_ms, updated_ms;
} enf_case;
void enf_case_clear(enf_case *c);

/* one step on a case's timeline */
typedef struct enf_case_event {
	int64_t id, user_id, created_ms;
	const char *action, *from_state, *to_state, *note, *data; /* data: JSON text; valid during the callback */
} enf_case_event;
typedef int (*enf_case_event_fn)(store *s, const enf_case_event *ev, void *ctx, yj_err *e);

/* The party's procedure since the case's latest notice (告知), read from its timeline: the rights to
 * state and defend (陈述、申辩) and to a hearing (听证), waived, used or running (case_steps.c). */
typedef struct enf_case_proc {
	int64_t notified_ms;           /* the latest notify; 0: not notified */
	bool statement_waived, hearing_waived;
	bool statement_recorded;       /* the party stated its case (陈述申辩笔录) */
	bool hearing_requested;
	int64_t hearing_at_ms;         /* the hearing as last scheduled; 0: none */
	int64_t hearing_scheduled_ms;  /* when the party was told of it */
	bool hearing_recorded;         /* its record (听证笔录) is in the file */
} enf_case_proc;
/* what the case's timeline says (c: the case as read) */
int enf_case_proc_read(store *s, const enf_case *c, enf_case_proc *out, yj_err *e);

/* 检查 an inspection as stored. Owned texts: release with enf_inspection_clear. */
typedef struct enf_inspection {
	int64_t id, draw_id, enterprise_id; /* draw_id 0: none */
	char kind[16], area_code[16], state[16];
	char matter_code[40]; /* "" when none */
	char *reason, *place; /* may be NULL */
	char *checklist;      /* JSON text */
	char *findings;
	int answered;         /* -1 not recorded, 0 no, 1 yes */
	int64_t inspected_ms, created_by, created_ms, updated_ms;
} enf_inspection;
void enf_inspection_clear(enf_inspection *in);

typedef struct enf_member {
	int64_t user_id, confirmed_ms; /* 0: not confirmed */
} enf_member;

/* 隐患 a hazard as stored. Owned texts: release with enf_hazard_clear. */
typedef struct enf_hazard {
	int64_t id, enterprise_id, inspection_id; /* inspection_id 0: none */
	char source[16], level[16], state[32], area_code[16];
	char *description, *legal_basis;
	bool overdue;
	int64_t deadline_ms, found_ms, closed_ms, created_by, updated_ms;
} enf_hazard;
void enf_hazard_clear(enf_hazard *h);
/* the fields of a hazard both its JSON and its audit projection show (as enf_case_fields) */
json_t *enf_hazard_fields(const enf_hazard *h, json_t *(*when)(int64_t ms), const char *suffix);

/* 整改 one rectification of a hazard */
typedef struct enf_rectification {
	int64_t id, submitted_by, submitted_ms, verdict_by, verdict_ms;
	const char *note, *verdict, *verdict_reason; /* verdict, reason may be NULL; valid during the callback */
} enf_rectification;
typedef int (*enf_rectification_fn)(store *s, const enf_rectification *r, void *ctx, yj_err *e);

/* a piece of evidence with its file's facts */
typedef struct enf_evidence {
	const char *sha256, *mime, *name, *note;
	int64_t size, added_by, added_ms;
} enf_evidence;
typedef int (*enf_evidence_fn)(store *s, const enf_evidence *ev, void *ctx, yj_err *e);

/* 执法证 an inspector's certificate */
typedef struct enf_cert {
	int64_t user_id, valid_from_ms, valid_to_ms;
	char cert_no[40];
	bool expert;
} enf_cert;

/* a plan of the double-random draw. Owned: release with enf_plan_clear. */
typedef struct enf_plan {
	int64_t id, count, created_by, created_ms; /* count 0: by ratio */
	double ratio;                              /* NAN: by count */
	int year, inspectors_per;
	char *name;
	char area_code[16], state[16];
	json_t *sectors, *weights;
} enf_plan;
void enf_plan_clear(enf_plan *p);

/* a draw as stored. Owned: release with enf_draw_clear. Pools are NULL unless asked for. */
typedef struct enf_draw {
	int64_t id, plan_id, drawn_by, drawn_ms;
	char algorithm[32], seed[80], area_code[16];
	char enterprise_pool_digest[65], inspector_pool_digest[65];
	json_t *result;
	char *enterprise_pool, *inspector_pool; /* the stored texts */
} enf_draw;
void enf_draw_clear(enf_draw *d);

/* A data file's row function (store_each) hands each row to the caller's function with its context. */
struct enf_evidence;
struct enf_evidence_owner;
struct enf_coercive;
struct enf_review_row;
typedef struct enf_each {
	store *s;
	void *ctx;
	union {
		int (*event)(store *s, const enf_case_event *ev, void *ctx, yj_err *e);
		int (*rect)(store *s, const enf_rectification *r, void *ctx, yj_err *e);
		int (*evidence)(store *s, const struct enf_evidence *ev, void *ctx, yj_err *e);
		int (*owner)(store *s, const struct enf_evidence_owner *o, void *ctx, yj_err *e);
		int (*coercive)(store *s, const struct enf_coercive *m, void *ctx, yj_err *e);
		int (*review)(store *s, const struct enf_review_row *r, void *ctx, yj_err *e);
	} fn;
} enf_each;

/* an INSERT ... RETURNING id's store_get_int answer rc: 0 with the id read, -1 (error, or no id) */
int enf_new_id(int rc, const char *what, yj_err *e);
/* a write that must change the row id: -1 on error, YJ_ENOTFOUND ("no <what> <id>") when nothing changed */
int enf_changed(int64_t n, const char *what, int64_t id, yj_err *e);

/* a list's window: ids after cursor (0: from the start), at most limit + 1 (one more says "more") */
typedef struct enf_ids {
	int64_t *id; /* room for cap ids */
	size_t n, cap;
} enf_ids;
/* the first column of every row of q (an id query of the data files) into out */
int enf_ids_collect(store_q *q, enf_ids *out, yj_err *e);

/* ---- case_db.c: penalty_case, case_event, decision_seq, coercive_measure, case_review -------------- */

typedef struct enf_case_new {
	int64_t enterprise_id, inspection_id;
	const char *party_type, *party_name, *party_id_number, *party_phone;
	const char *area_code, *matter_code, *title;
	const char *authority_code; /* the authority it is opened under; NULL: resolved when decided */
	bool bureau_own;
	int64_t created_by, now;
} enf_case_new;
int enf_case_db_insert(store *s, const enf_case_new *c, int64_t *id_out, yj_err *e);
/* 1 found, 0 none, -1 error */
int enf_case_db_get(store *s, int64_t id, enf_case *out, yj_err *e);
/* the fields of a case both its JSON and its audit projection show; times as when(ms) renders them,
 * under their names plus suffix ("filed" + "_ms"); a new object */
json_t *enf_case_fields(const enf_case *c, json_t *(*when)(int64_t ms), const char *suffix);
int enf_case_db_events(store *s, int64_t case_id, enf_case_event_fn fn, void *ctx, yj_err *e);
/* true when the case's timeline has action */
int enf_case_db_had(store *s, int64_t case_id, const char *action, bool *out, yj_err *e);
/* the step's changes to the row: each a small UPDATE; 0, or -1 (YJ_ENOTFOUND when the row is gone) */
int enf_case_db_filed(store *s, int64_t id, int64_t now, int64_t deadline, yj_err *e);
int enf_case_db_notified(store *s, int64_t id, const char *facts, const char *basis, double fine, bool revoke,
                         bool suspend, bool major, bool hearing, yj_err *e);
int enf_case_db_decided(store *s, int64_t id, const char *decision_no, const char *authority_code, int64_t now,
                        yj_err *e);
int enf_case_db_extended(store *s, int64_t id, int64_t by_ms, yj_err *e);
int enf_case_db_served(store *s, int64_t id, int64_t now, yj_err *e);
int enf_case_db_paid(store *s, int64_t id, double amount, int64_t now, yj_err *e);
int enf_case_db_executed(store *s, int64_t id, int64_t now, yj_err *e);
int enf_case_db_closed(store *s, int64_t id, int64_t now, yj_err *e);
/* move from state `from` to `to`: 0, or YJ_ECONFLICT when the case is no longer in `from` */
int enf_case_db_move(store *s, int64_t id, const char *from, const char *to, int64_t now, yj_err *e);
int enf_case_db_event_add(store *s, int64_t case_id, const char *action, const char *from, const char *to,
                          int64_t user_id, const char *note, json_t *data, int64_t now, yj_err *e);
/* the next decision number of an authority in year (陆河应急罚〔2026〕25号 counts 1, 2, ... per authority and
 * year); a new counter starts after the numbers with prefix that year already has */
int enf_case_db_next_number(store *s, const char *authority_code, const char *prefix, int year, int *out, yj_err *e);
/* ids in scope, newest first (queue: state given, oldest first) */
int enf_case_db_list(store *s, const auth_scope *sc, const char *state, bool oldest_first, int64_t cursor, long limit,
                     enf_ids *out, yj_err *e);
int enf_case_db_public(store *s, int64_t from_ms, int64_t to_ms, long limit, enf_ids *out, yj_err *e);

typedef struct enf_coercive {
	int64_t id, case_id, enterprise_id, start_ms, end_ms, created_by; /* case_id, end_ms 0: none */
	char kind[16], area_code[16];
	const char *reason; /* valid during the callback */
} enf_coercive;
typedef int (*enf_coercive_fn)(store *s, const enf_coercive *m, void *ctx, yj_err *e);
int enf_coercive_db_insert(store *s, const enf_coercive *m, int64_t *id_out, yj_err *e);
int enf_coercive_db_each(store *s, const auth_scope *sc, long limit, enf_coercive_fn fn, void *ctx, yj_err *e);

int enf_review_db_insert(store *s, int64_t case_id, int64_t reviewer, json_t *items, double score,
                         const char *problems, int year, int64_t now, int64_t *id_out, yj_err *e);
typedef struct enf_review_row {
	int64_t case_id;
	int year;
	double score;
	const char *problems;
} enf_review_row;
typedef int (*enf_review_fn)(store *s, const enf_review_row *r, void *ctx, yj_err *e);
/* reviews of cases in scope (year 0: every year), by year then id */
int enf_review_db_each(store *s, const auth_scope *sc, int year, enf_review_fn fn, void *ctx, yj_err *e);

/* ---- inspect_db.c: inspection, inspection_member, inspector_cert, conflict_of_interest,
 *      enforcement_matter, checklist_template --------------------------------------------------------- */

int enf_inspection_db_insert(store *s, const char *kind, int64_t draw_id, int64_t enterprise, const char *area,
                             const char *reason, const char *matter, int64_t created_by, int64_t now, int64_t *id_out,
                             yj_err *e);
int enf_inspection_db_get(store *s, int64_t id, enf_inspection *out, yj_err *e);
typedef struct enf_record {
	const char *place, *findings; /* NULL: unchanged */
	json_t *checklist;            /* NULL: unchanged */
	int answered;                 /* -1: unchanged */
	int64_t inspected_ms, now;
} enf_record;
int enf_inspection_db_record(store *s, int64_t id, const enf_record *r, yj_err *e);
int enf_inspection_db_confirmed(store *s, int64_t id, int64_t now, yj_err *e);
int enf_member_db_add(store *s, int64_t inspection, int64_t user, yj_err *e);
/* 1 member, 0 not, -1 error */
int enf_member_db_is(store *s, int64_t inspection, int64_t user, yj_err *e);
int enf_member_db_confirm(store *s, int64_t inspection, int64_t user, int64_t now, yj_err *e);
int enf_member_db_unconfirm_all(store *s, int64_t inspection, yj_err *e);
int enf_member_db_counts(store *s, int64_t inspection, int64_t *total, int64_t *confirmed, yj_err *e);
/* the members in user id order into *out (yj_malloc'ed, the caller frees), *n of them */
int enf_member_db_list(store *s, int64_t inspection, enf_member **out, size_t *n, yj_err *e);
/* the members of the enterprise's latest confirmed inspection (duty checks aside), ascending, as a JSON array */
int enf_member_db_recent(store *s, int64_t enterprise, json_t **out, yj_err *e);
typedef struct enf_inspection_filter {
	int64_t member;  /* 0: anyone's */
	int64_t draw_id; /* 0: any */
	const char *state, *kind; /* NULL: any */
} enf_inspection_filter;
int enf_inspection_db_list(store *s, const auth_scope *sc, const enf_inspection_filter *f, int64_t cursor, long limit,
                           enf_ids *out, yj_err *e);

int enf_cert_db_get(store *s, int64_t user, enf_cert *out, yj_err *e);
int enf_cert_db_insert(store *s, const enf_cert *c, yj_err *e);
/* the enterprises user declared a conflict with, ascending, as a JSON array */
int enf_conflict_db_of(store *s, int64_t user, json_t **out, yj_err *e);
int enf_conflict_db_put(store *s, int64_t user, int64_t enterprise, const char *reason, int64_t now, yj_err *e);
/* 1 with *delegated, 0 no such matter, -1 error */
int enf_matter_db_get(store *s, const char *code, bool *delegated, yj_err *e);
int enf_matter_db_insert(store *s, const char *code, const char *name, const char *basis, bool town, yj_err *e);
/* [{code, name, legal_basis, town_delegated}] by code */
int enf_matter_db_all(store *s, json_t **out, yj_err *e);
/* 1 with *items (new reference) and *updated_ms, 0 none, -1 error */
int enf_checklist_db_get(store *s, const char *sector, json_t **items, int64_t *updated_ms, yj_err *e);
int enf_checklist_db_put(store *s, const char *sector, json_t *items, int64_t now, yj_err *e);

/* ---- hazard_db.c: hazard, rectification, evidence, attachment --------------------------------------- */

typedef struct enf_hazard_new {
	int64_t enterprise_id, inspection_id;
	const char *source, *level, *description, *legal_basis, *area_code;
	int64_t deadline_ms, created_by, now;
} enf_hazard_new;
int enf_hazard_db_insert(store *s, const enf_hazard_new *h, int64_t *id_out, yj_err *e);
int enf_hazard_db_get(store *s, int64_t id, enf_hazard *out, yj_err *e);
int enf_hazard_db_rectifications(store *s, int64_t hazard, enf_rectification_fn fn, void *ctx, yj_err *e);
int enf_hazard_db_rectify(store *s, int64_t id, int64_t user, const char *note, int64_t now, yj_err *e);
int enf_hazard_db_verdict(store *s, int64_t id, bool accepted, int64_t user, const char *reason, int64_t now,
                          yj_err *e);
/* up to max open hazards past their deadline and not yet flagged, oldest id first */
int enf_hazard_db_due(store *s, int64_t now, int64_t *ids, size_t max, size_t *n, yj_err *e);
/* 1 flagged now, 0 was already (or gone) */
int enf_hazard_db_flag_overdue(store *s, int64_t id, int64_t now, yj_err *e);
typedef struct enf_hazard_filter {
	const char *state;     /* NULL: any */
	int64_t enterprise_id; /* 0: any */
	bool overdue_only;
} enf_hazard_filter;
int enf_hazard_db_list(store *s, const auth_scope *sc, const enf_hazard_filter *f, int64_t cursor, long limit,
                       enf_ids *out, yj_err *e);
/* the enterprise's hazards, open ones first by deadline (at most limit) */
int enf_hazard_db_of_enterprise(store *s, int64_t enterprise, long limit, enf_ids *out, yj_err *e);
/* the hazards found by an inspection, by id (at most limit) */
int enf_hazard_db_of_inspection(store *s, int64_t inspection, long limit, enf_ids *out, yj_err *e);

int enf_attachment_db_put(store *s, const char *sha, int64_t size, const char *mime, const char *name, int64_t user,
                          int64_t now, yj_err *e);
/* 1 with mime, 0 none, -1 error */
int enf_attachment_db_mime(store *s, const char *sha, char mime[64], yj_err *e);
int enf_evidence_db_add(store *s, const char *owner_type, int64_t owner_id, const char *sha, int64_t user, int64_t now,
                        yj_err *e);
/* 1 when sha is evidence of the owner, 0 not, -1 error */
int enf_evidence_db_has(store *s, const char *owner_type, int64_t owner_id, const char *sha, yj_err *e);
int enf_evidence_db_of(store *s, const char *owner_type, int64_t owner_id, enf_evidence_fn fn, void *ctx, yj_err *e);
typedef struct enf_evidence_owner {
	const char *owner_type;
	int64_t owner_id;
} enf_evidence_owner;
typedef int (*enf_owner_fn)(store *s, const enf_evidence_owner *o, void *ctx, yj_err *e);
/* every object that holds the file sha as evidence */
int enf_evidence_db_owners(store *s, const char *sha, enf_owner_fn fn, void *ctx, yj_err *e);

/* ---- draw_db.c: inspection_plan, draw ------------------------------------------------------------- */

typedef struct enf_plan_new {
	const char *name, *area_code;
	int year, inspectors_per;
	json_t *sectors, *weights;
	int64_t count; /* 0: by ratio */
	double ratio;  /* NAN: by count */
	int64_t created_by, now;
} enf_plan_new;
int enf_plan_db_insert(store *s, const enf_plan_new *p, int64_t *id_out, yj_err *e);
int enf_plan_db_get(store *s, int64_t id, enf_plan *out, yj_err *e);
/* ready -> drawn: 0, or YJ_ECONFLICT when it was drawn meanwhile */
int enf_plan_db_drawn(store *s, int64_t id, yj_err *e);
int enf_plan_db_list(store *s, const auth_scope *sc, int64_t cursor, long limit, enf_ids *out, yj_err *e);

typedef struct enf_draw_new {
	int64_t plan_id, drawn_by, now;
	const char *algorithm, *seed, *area_code;
	json_t *enterprise_pool, *inspector_pool, *result;
	const char *enterprise_pool_digest, *inspector_pool_digest;
} enf_draw_new;
int enf_draw_db_insert(store *s, const enf_draw_new *d, int64_t *id_out, yj_err *e);
int enf_draw_db_get(store *s, int64_t id, bool with_pools, enf_draw *out, yj_err *e);
/* sc NULL: every draw (publicity) */
int enf_draw_db_list(store *s, const auth_scope *sc, int64_t cursor, long limit, enf_ids *out, yj_err *e);

/* ---- the audit projections (their *_db.c) and their registration ------------------------------------ */

json_t *enf_case_project(store *s, const char *id);
json_t *enf_case_project_v2(store *s, const char *id);
json_t *enf_coercive_project(store *s, const char *id);
json_t *enf_review_project(store *s, const char *id);
json_t *enf_inspection_project(store *s, const char *id);
json_t *enf_hazard_project(store *s, const char *id);
json_t *enf_conflict_project(store *s, const char *id);
json_t *enf_checklist_project(store *s, const char *id);
json_t *enf_plan_project(store *s, const char *id);
json_t *enf_draw_project(store *s, const char *id);

/* ---- services ------------------------------------------------------------------------------------ */

/* draw.c */
int enf_plan_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e);
/* the plan as shown; visible_in: NULL, or only when its area lies in it */
json_t *enf_plan_json(store *s, int64_t id, const auth_scope *visible_in);
int enf_draw_create(store *s, const auth_user *u, int64_t plan_id, int64_t *draw_out, yj_err *e);
/* the draw as shown (names beside ids); visible_in: NULL, or only when its area lies in it */
json_t *enf_draw_json(store *s, int64_t id, bool with_pools, const auth_scope *visible_in);
json_t *enf_draw_verify(store *s, int64_t id, yj_err *e);
int enf_duty_check_create(store *s, const auth_user *u, json_t *body, json_t **out, yj_err *e);

/* inspect.c */
int enf_inspection_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e);
int enf_inspection_insert(store *s, const auth_user *u, const char *kind, int64_t draw_id, int64_t enterprise,
                          const char *reason, const char *matter, json_t *members, int64_t *id_out, yj_err *e);
json_t *enf_inspection_json(store *s, int64_t id);
/* the inspection if it is one u may see: 1 with *out, 0 not found (or outside), -1 */
int enf_inspection_visible(store *s, const auth_user *u, int64_t id, enf_inspection *out, yj_err *e);
int enf_inspection_record(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e);
int enf_inspection_confirm(store *s, const auth_user *u, int64_t id, yj_err *e);
/* the inspectors one may go out with: certified, inside or above area (sorted: experts last) */
int enf_inspectors_json(store *s, const auth_scope *sc, json_t **out, yj_err *e);

/* hazard.c */
int enf_hazard_create(store *s, const auth_user *u, int64_t inspection, json_t *body, int64_t *id_out, yj_err *e);
json_t *enf_hazard_json(store *s, int64_t id);
/* the hazard if u may see it (staff: in their area; an enterprise account: its own): 1, 0, -1 */
int enf_hazard_visible(store *s, const auth_user *u, int64_t id, enf_hazard *out, yj_err *e);
int enf_hazard_rectify(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e);
int enf_hazard_verify(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e);
/* the scheduler's job: flag hazards past their deadline (0 done, 1 more to do, -1) */
int enf_overdue_job(store *s, int64_t now, void *ctx, yj_err *e);
/* the enterprise an enterprise account acts for (0: none) */
int64_t enf_user_enterprise(store *s, const auth_user *u);

/* evidence.c: store bytes content-addressed; sha_out gets the digest */
int enf_evidence_add(store *s, const auth_user *u, const char *owner_type, int64_t owner_id, const char *name,
                     const char *data, size_t len, char sha_out[65], yj_err *e);
/* the bytes (malloc'ed) and type of a file that u may see; YJ_ENOTFOUND otherwise */
int enf_evidence_read(store *s, const auth_user *u, const char *sha, char **data, size_t *len, char mime[64],
                      yj_err *e);
/* [{sha256, mime, size, name, note}] of an owner */
json_t *enf_evidence_json(store *s, const char *owner_type, int64_t owner_id);
const char *enf_sniff_mime(const char *data, size_t len);
/* the folder evidence files live in (enf_start sets it) */
void enf_evidence_set_dir(const char *dir);

/* case.c */
int enf_case_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e);
json_t *enf_case_json(store *s, int64_t id, bool with_timeline);
/* the case if it is one u may see: 1 with *out, 0 not found (or outside), -1 */
int enf_case_visible(store *s, const auth_user *u, int64_t id, enf_case *out, yj_err *e);
/* the allowed actions of a case in its state and procedure at now (comma-separated text into b, or a JSON array) */
void enf_case_allowed(const enf_case *c, const enf_case_proc *p, int64_t now, strbuf *text, json_t *arr);
/* the case file's evidence, one line each (its own files, its inspection's and that inspection's hazards'),
 * for the decision: a JSON array of strings (new reference) */
json_t *enf_case_evidence_lines(store *s, const enf_case *c);
int enf_case_pdf(store *s, int64_t id, char **pdf, size_t *len, yj_err *e);

/* case_steps.c. A step refused because its time has not come fills *allowed_from (when not NULL)
 * with the local day from which it is allowed (0 otherwise). */
int enf_case_action(store *s, const auth_user *u, int64_t id, const char *action, json_t *body, int64_t *allowed_from,
                    yj_err *e);
/* the table of actions (name, states it is allowed in, roles, conditions): for allowed-actions lists */
bool enf_case_action_allowed(const char *action, const enf_case *c, const enf_case_proc *p, int64_t now);
/* the procedure's dates as shown: {notified, statement_ends, hearing_request_ends, decide_from, ...} */
json_t *enf_case_proc_json(const enf_case *c, const enf_case_proc *p);
size_t enf_case_action_count(void);
const char *enf_case_action_name(size_t i);

/* coercive.c */
int enf_coercive_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e);
int enf_coercive_list_json(store *s, const auth_scope *sc, json_t **out, yj_err *e);
int enf_review_create(store *s, const auth_user *u, int64_t case_id, json_t *body, int64_t *id_out, yj_err *e);
int enf_review_summary_json(store *s, const auth_scope *sc, int year, json_t **out, yj_err *e);

/* catalogue.c */
int enf_conflict_declare(store *s, const auth_user *u, json_t *body, yj_err *e);
int enf_checklist_put(store *s, const auth_user *u, const char *sector, json_t *body, yj_err *e);
json_t *enf_checklist_json(store *s, const char *sector, yj_err *e);
/* the public list of decided penalties (双公示) of year (0: every year) */
int enf_public_penalties_json(store *s, int year, json_t **out, yj_err *e);

#endif
