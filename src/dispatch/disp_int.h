/*
 * disp_int.h — shared between the files of src/dispatch/ only: the rows of
 * dispatch's tables as structs, the data functions (*_db.c: the only SQL
 * of the module) and the services the handlers call. No HTTP here
 * (disp_api.h is the handlers' own header).
 */
#ifndef YJ_DISP_INT_H
#define YJ_DISP_INT_H

#include "dispatch/dispatch.h"
#include "warning/warning.h"

/* ---- configuration (dispatch.c) ---------------------------------------------------------------- */

const disp_config *disp_cfg(void);
/* ms to acknowledge a warning of level before escalation (an unknown level: blue's) */
int64_t disp_ack_limit_ms(const char *level);

/* ---- rows ---------------------------------------------------------------------------------------------- */

/* A recipient record (times are UTC ms, 0 when not set). */
typedef struct disp_rcpt {
	int64_t id, warning_id;
	int64_t user_id, unit_id; /* one of them, the other 0 */
	char area_code[16];
	char channel[16];         /* in_app, webhook, log */
	char state[16];           /* queued, sent, delivered, read, acknowledged, failed */
	int version, attempts, escalations;
	int64_t queued_ms, sent_ms, delivered_ms, read_ms, acked_ms, failed_ms;
	int64_t next_attempt_ms, next_escalation_ms;
	char fail_reason[200];
} disp_rcpt;

/* What one version of a warning tells its new in-app recipients. */
typedef struct disp_told {
	int64_t warning_id;
	int version;
	int64_t now, next_escalation;
} disp_told;

/* A transfer task (转移任务). */
typedef struct disp_task {
	int64_t id, warning_id, risk_point_id, grid_worker_id; /* 0 when none */
	char area_code[16];
	int64_t planned, moved;
	char state[8]; /* open, closed */
	char closed_reason[24]; /* why it closed, a code: DISP_CLOSED_* ("" while open) */
	int64_t closed_ms, created_ms, updated_ms;
} disp_task;

/* Why a transfer task closed (transfer_task.closed_reason; the UI says them in words). */
#define DISP_CLOSED_ALL_MOVED "all_moved"                 /* every planned person moved */
#define DISP_CLOSED_NOBODY "nobody_at_risk"               /* a grid worker reported nobody there (the reason in the report) */
#define DISP_CLOSED_WARNING_CANCELLED "warning_cancelled" /* the warning was cancelled */

/* A report of moved persons on a task. */
typedef struct disp_report {
	int64_t id, task_id, user_id, moved, shelter_id, created_ms;
	bool nobody_at_risk;
	char reason[1024], note[1024];
} disp_report;

/* An open escalation as a supervisor's inbox lists it. */
typedef struct disp_esc {
	int64_t id, warning_id, recipient_id, created_ms;
	int step;
	char from_area[16], to_area[16];
	json_t *supervisors; /* borrowed for the callback's duration */
	int64_t user_id;     /* the recipient's */
	char recipient_state[16];
} disp_esc;

/* ---- recipient table (rcpt_db.c) ------------------------------------------------------------------------ */

/* Insert an in-app recipient told by t (delivered at once: the record is the inbox); 1 new, 0 had one, -1. */
int64_t disp_db_add_person(store *s, const disp_told *t, int64_t user_id, const char *area, yj_err *e);
/* The same for n (1..DISP_ADD_BATCH) people in one statement: rows inserted, -1. */
#define DISP_ADD_BATCH 100
typedef struct disp_person {
	int64_t user_id;
	char area_code[16];
} disp_person;
int64_t disp_db_add_people(store *s, const disp_told *t, const disp_person *people, size_t n, yj_err *e);
/* Insert a member unit's recipient (queued for the webhook job); 1 new, 0 had one, -1. */
int64_t disp_db_add_unit(store *s, const disp_told *t, int64_t unit_id, const char *area, const char *channel,
                         yj_err *e);
/* A new version: everyone already told is told again and must confirm it. */
int disp_db_retell(store *s, const disp_told *t, yj_err *e);
/* A cancellation: told like an update, nobody needs to confirm it, nothing escalates. */
int disp_db_cancel(store *s, int64_t warning_id, int version, int64_t now, yj_err *e);
/* Nobody of warning_id escalates any more (expired, or not issued). */
int disp_db_stop_escalating(store *s, int64_t warning_id, yj_err *e);
/* In-app recipients of a warning and how many acknowledged. 0, -1. */
int disp_db_counts(store *s, int64_t warning_id, int64_t *total, int64_t *acked, yj_err *e);
/* Every recipient record of a warning, any channel (the dispatch projection). -1 on error. */
int64_t disp_db_records(store *s, int64_t warning_id, yj_err *e);
/* The in-app recipients' user ids, ascending (*ids malloc'ed, NULL when none). 0, -1. */
int disp_db_user_ids(store *s, int64_t warning_id, int64_t **ids, size_t *n, yj_err *e);
/* only id, warning_id, user_id, unit_id and channel (the audit projection, read at every acknowledgement) */
int disp_db_identity(store *s, int64_t id, disp_rcpt *r, yj_err *e);
/* A person's in-app record of a warning: id, area, state, version, escalations and the delivered, read and
 * acknowledged times (the rest zero). 1, 0 none, -1. */
int disp_db_mine(store *s, int64_t warning_id, int64_t user_id, disp_rcpt *r, yj_err *e);
/* Rows changed (0: not in a state that may change so), -1. */
int64_t disp_db_ack(store *s, int64_t id, int64_t now, yj_err *e);
int64_t disp_db_mark_read(store *s, int64_t id, int version, int64_t now, yj_err *e);

typedef int (*disp_rcpt_fn)(store *s, const disp_rcpt *r, void *ctx, yj_err *e);
/* Records collected into a growing array: disp_rcpts_add is a disp_rcpt_fn appending to ctx, a
 * disp_rcpts (free v when done). */
typedef struct disp_rcpts {
	disp_rcpt *v;
	size_t n, cap;
} disp_rcpts;
int disp_rcpts_add(store *s, const disp_rcpt *r, void *ctx, yj_err *e);
/* A user's in-app records, latest first (at most limit). fn: 0 go on, 1 stop, -1 fail. */
int disp_db_inbox_each(store *s, int64_t user_id, long limit, disp_rcpt_fn fn, void *ctx, yj_err *e);

/* A page of a warning's recipients in a scope, by id after cursor. */
typedef struct disp_rcpt_query {
	int64_t warning_id;
	const auth_scope *scope;
	const char *state;   /* a state, "unacknowledged" (in-app, not yet), or NULL */
	const char *channel; /* or NULL */
	int64_t cursor;
	long limit;
} disp_rcpt_query;
int disp_db_recipients_each(store *s, const disp_rcpt_query *q, disp_rcpt_fn fn, void *ctx, yj_err *e);

/* In-app records of a warning in scope, counted by (area_code, state). */
typedef int (*disp_count_fn)(const char *area, const char *state, int64_t n, void *ctx);
/* Rows (area, [state,] count) of q into fn (state NULL without with_state): 0, or -1 with *e. */
int disp_db_counts_each(store_q *q, bool with_state, disp_count_fn fn, void *ctx, yj_err *e);
/* The first column of every row of q as ids (*ids malloc'ed, NULL when none): 0, or -1 with *e. */
int disp_db_ids(store_q *q, int64_t **ids, size_t *n, yj_err *e);
int disp_db_state_counts(store *s, int64_t warning_id, const auth_scope *scope, disp_count_fn fn, void *ctx, yj_err *e);

/* Escalation: answered ones leave the deadline index (a bounded pass); rows changed or -1. */
int64_t disp_db_clear_answered(store *s, int64_t now, yj_err *e);
/* Unanswered recipients past their deadline, at most cap, into out: how many, or -1. */
typedef struct disp_due {
	int64_t id, warning_id;
	int escalations;
	char area_code[16];
} disp_due;
long disp_db_due(store *s, int64_t now, disp_due *out, long cap, yj_err *e);
/* Counted an escalation: next deadline at next_ms (0: never again). */
int disp_db_escalated(store *s, int64_t id, int step, int64_t next_ms, yj_err *e);

/* Webhooks: records due for an attempt, at most cap; how many, or -1. */
long disp_db_hooks_due(store *s, int64_t now, disp_rcpt *out, long cap, yj_err *e);
/* The result of attempt number attempts at t: delivered, failed for good, or again at t + backoff_ms. */
int disp_db_hook_delivered(store *s, const disp_rcpt *r, int attempts, int64_t t, yj_err *e);
int disp_db_hook_failed(store *s, const disp_rcpt *r, int attempts, int64_t t, const char *reason, yj_err *e);
int disp_db_hook_retry(store *s, const disp_rcpt *r, int attempts, int64_t t, int64_t backoff_ms, const char *reason,
                       yj_err *e);

/* ---- escalation table (esc_db.c) --------------------------------------------------------------------------- */

int disp_db_esc_add(store *s, const disp_due *d, int step, const char *to_area, json_t *supervisors, int64_t now,
                    yj_err *e);
int disp_db_esc_resolve_warning(store *s, int64_t warning_id, int64_t now, yj_err *e);
int disp_db_esc_resolve_recipient(store *s, int64_t recipient_id, int64_t now, yj_err *e);
/* Open escalations addressed to area, latest first. fn: 0 go on, 1 stop, -1 fail. */
typedef int (*disp_esc_fn)(store *s, const disp_esc *x, void *ctx, yj_err *e);
int disp_db_esc_open_to(store *s, const char *area, disp_esc_fn fn, void *ctx, yj_err *e);
/* Open escalations of a warning whose recipient lies in scope, counted by the recipient's area. */
int disp_db_esc_counts(store *s, int64_t warning_id, const auth_scope *scope, disp_count_fn fn, void *ctx, yj_err *e);

/* ---- transfer tasks (task_db.c) --------------------------------------------------------------------------------- */

/* A task for a risk point of a warning unless it has one: 1 new, 0 had one, -1. worker 0: none. */
int64_t disp_db_task_add(store *s, int64_t warning_id, int64_t risk_point_id, const char *area, int64_t worker,
                         int64_t planned, int64_t now, yj_err *e);
/* The grid workers of a warning's tasks (distinct, ascending; *ids malloc'ed). 0, -1. */
int disp_db_task_workers(store *s, int64_t warning_id, int64_t **ids, size_t *n, yj_err *e);
/* The open tasks of a warning (ids malloc'ed), then closing them with reason. */
int disp_db_tasks_open(store *s, int64_t warning_id, int64_t **ids, size_t *n, yj_err *e);
int disp_db_tasks_close(store *s, int64_t warning_id, const char *reason, int64_t now, yj_err *e);
int disp_db_task_get(store *s, int64_t id, disp_task *t, yj_err *e);
typedef int (*disp_task_fn)(store *s, const disp_task *t, void *ctx, yj_err *e);
/* A warning's tasks in scope (state NULL: any), open first. */
int disp_db_tasks_of_warning(store *s, int64_t warning_id, const char *state, const auth_scope *scope, disp_task_fn fn,
                             void *ctx, yj_err *e);
/* A grid worker's tasks, open first, latest first. */
int disp_db_tasks_of_worker(store *s, int64_t worker, disp_task_fn fn, void *ctx, yj_err *e);
/* Tasks of a warning in scope by area: planned, moved, tasks, open ones. */
typedef int (*disp_task_count_fn)(const char *area, int64_t planned, int64_t moved, int64_t tasks, int64_t open,
                                  void *ctx);
int disp_db_task_counts(store *s, int64_t warning_id, const auth_scope *scope, disp_task_count_fn fn, void *ctx,
                        yj_err *e);
/* Moved persons counted on an open task, closing it with reason when reason is not NULL: rows changed, -1. */
int64_t disp_db_task_moved(store *s, int64_t id, int64_t moved, const char *close_reason, int64_t now, yj_err *e);
/* A report with this idempotency key by this user: 1 (its task in *task_id), 0, -1. */
int disp_db_report_find(store *s, int64_t user_id, const char *key, int64_t *task_id, yj_err *e);
int disp_db_report_add(store *s, const disp_report *r, const char *key, yj_err *e);
typedef int (*disp_report_fn)(store *s, const disp_report *r, void *ctx, yj_err *e);
int disp_db_reports_each(store *s, int64_t task_id, disp_report_fn fn, void *ctx, yj_err *e);

/* What store_each carries to the typed visitors of the *_db.c files: the caller's function and context. */
typedef struct disp_visit {
	store *s;
	void *ctx;
	union {
		disp_rcpt_fn rcpt;
		disp_task_fn task;
		disp_report_fn report;
		disp_esc_fn esc;
		disp_count_fn count;
		disp_task_count_fn task_count;
	} fn;
	bool with_state; /* count: rows (area, state, n), else (area, n) */
} disp_visit;

/* ---- services ---------------------------------------------------------------------------------------------------- */

/* fanout.c: in the warning's transaction, when version becomes current (WARN_EV_VERSION). */
int disp_on_version(store *s, int64_t warning_id, int version, bool evacuation, yj_err *e);

/* transfer.c: transfer tasks of an evacuation for the risk points the fan-out found. */
typedef struct disp_point {
	int64_t id, worker, population;
	char area_code[16];
} disp_point;
int disp_tasks_make(store *s, const warn_info *w, const auth_scope *issuer, const disp_point *points, size_t n,
                    int64_t now, yj_err *e);
/* A warning was cancelled: its open tasks close, audited. */
int disp_tasks_cancel(store *s, int64_t warning_id, int64_t now, yj_err *e);
/* The refusal of a report or chase on a closed task (409, reason task_closed). Returns -1. */
int disp_task_closed(yj_err *e, int64_t id);

/* recipients.c: opening an inbox item (read) and acknowledging, jobs of the group writer. */
typedef struct disp_ack {
	int64_t warning;
	int asked;             /* the version the client confirms (0: the current one) */
	const auth_user *user;
	disp_rcpt r;           /* the record after the job */
	int wversion;          /* the warning's version and state */
	char wstate[16];
	bool changed;
} disp_ack;
int disp_ack_run(store *s, void *ctx, yj_err *e);
int disp_read_run(store *s, void *ctx, yj_err *e);
/* Emit a loop event for warning_id (area: where it moved, or NULL) inside the caller's transaction. */
int disp_emit_loop(store *s, int64_t warning_id, const char *area, yj_err *e);
/* Subscribe to the warning topics, add the renderer (disp_init). */
void disp_recipients_init(void);

/* escalation.c: the wave job (SCHED: answers 1 while a full batch was taken). */
#define DISP_ESCALATE_BATCH 2000
int disp_escalate_due(store *s, int64_t now, void *ctx, yj_err *e);

/* webhooks.c: the delivery job (SCHED_NO_TX: talks to the network outside transactions). */
int disp_webhooks_due(store *s, int64_t now, void *ctx, yj_err *e);
void disp_webhooks_start(void);
void disp_webhooks_stop(void);

/* transfer.c: a report of moved persons (group writer job), a chase. */
typedef struct disp_report_job {
	int64_t task;
	const auth_user *user;
	const char *key, *reason, *note;
	int64_t moved, shelter;
	bool nobody;
	bool duplicate, closed_now;
	int64_t warning;
	char area[16];
} disp_report_job;
int disp_report_run(store *s, void *ctx, yj_err *e);
/* 0 when shelter may be named on task (a shelter of the warning's jurisdiction), else -1 (field shelter_id). */
int disp_check_shelter(store *s, const disp_task *task, int64_t shelter, yj_err *e);
/* Chase a task's grid worker (audited; the worker's inbox told after the commit). In a transaction of its own. */
int disp_task_chase(store *s, const auth_user *u, const disp_task *t, yj_err *e);
/* audit projections of recipient, transfer_task and dispatch (audit.c reads them at record and verify) */
json_t *disp_project_recipient(store *s, const char *id);
json_t *disp_project_task(store *s, const char *id);
json_t *disp_project_dispatch(store *s, const char *id);

#endif
