/*
 * case_int.h — shared by the two files of the penalty case's steps only:
 * case_steps.c (the table of actions and the generic step) and
 * case_proc.c (the party's procedure after notice: periods in working
 * days, waivers, statements, hearings).
 */
#ifndef YJ_ENF_CASE_INT_H
#define YJ_ENF_CASE_INT_H

#include "enforce/enf_int.h"

/* what a step's function sees and may change */
typedef struct enf_step {
	store *s;
	const auth_user *u;
	const enf_case *c;
	const enf_case_proc *p;
	json_t *body;
	int64_t now;
	const char *to;       /* the state after the step */
	const char *note;     /* the timeline's note ("": the body's note, if any) */
	json_t *data;         /* the timeline's data */
	int64_t allowed_from; /* a step refused for its time: the local day it is allowed from */
} enf_step;

/* what a condition on a step sees */
typedef struct enf_case_view {
	const enf_case *c;
	const enf_case_proc *p;
	int64_t now;
} enf_case_view;

/* A condition beyond the state: true when the step may be taken; else *e says why (allowed: the
 * actions allowed now, for the words) and *from (when not NULL) the day it will be allowed, if time
 * is what it waits for. e and from may be NULL (allowed-actions lists). */
typedef bool (*enf_step_guard)(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e);

/* The periods after the latest notice, as local days (0: none): the last day of the statement
 * period, of the hearing-request period (cases with a hearing right), and the first day on which
 * the periods let the case be decided (0: nothing to wait for). */
typedef struct enf_periods {
	int64_t notice_day, statement_end, hearing_end, decide_from;
} enf_periods;
void enf_case_periods(const enf_case *c, const enf_case_proc *p, enf_periods *out);

/* case_proc.c: the conditions */
bool enf_may_decide_after_notice(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e);
bool enf_may_request_hearing(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e);
bool enf_may_waive(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e);
bool enf_may_leave_hearing(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e);
bool enf_may_schedule_hearing(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e);
bool enf_may_record_hearing(const enf_case_view *v, const char *allowed, int64_t *from, yj_err *e);

/* case_proc.c: the steps' own work */
int enf_step_waive(enf_step *x, yj_err *e);
int enf_step_statement(enf_step *x, yj_err *e);
int enf_step_schedule_hearing(enf_step *x, yj_err *e);
int enf_step_record_hearing(enf_step *x, yj_err *e);

#endif
