/*
 * disp_compat.c — what the warning and enforce modules still call until
 * their branches of the architecture step are merged; delete this file and
 * the "transitional" part of dispatch.h then.
 *
 * Dispatch no longer takes calls from the warning module: it subscribes to
 * WARN_EV_VERSION, WARN_EV_CANCELLED and WARN_EV_EXPIRED (recipients.c).
 * So the three warning calls do nothing here: until the warning module
 * emits those events, issuing a warning dispatches to nobody. Jobs given
 * to disp_set_job go to the scheduler (src/sched), as sched_every would.
 */
#include "dispatch/disp_int.h"
#include "sched/sched.h"

long disp_warning_version(store *s, int64_t warning_id, int version, bool evacuation, yj_err *e)
{
	return 0;
}

int disp_warning_cancelled(store *s, int64_t warning_id, int version, yj_err *e)
{
	return 0;
}

void disp_announce(int64_t warning_id)
{
}

static disp_job_fn legacy_jobs[8];
static int nlegacy;

static int run_legacy(store *s, int64_t now, void *ctx, yj_err *e)
{
	disp_job_fn *fn = ctx;
	return (*fn)(s, now, e) ? -1 : 0;
}

void disp_set_job(disp_job_fn fn)
{
	for (int i = 0; i < nlegacy; i++)
		if (legacy_jobs[i] == fn)
			return;
	if (nlegacy == (int)YJ_ARRAY_LEN(legacy_jobs))
		return;
	legacy_jobs[nlegacy] = fn;
	sched_every("legacy job", 0, run_legacy, &legacy_jobs[nlegacy], 0);
	nlegacy++;
}
