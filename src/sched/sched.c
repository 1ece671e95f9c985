/*
 * sched.c — the scheduler's thread and its table of jobs.
 */
#include "sched/sched.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define SCHED_MAX_JOBS 32
#define SCHED_TICK_MS 500
#define SCHED_BUDGET_MS 300 /* how long one job may keep going in a tick ("more to do") */

typedef struct sched_job {
	const char *name;
	int64_t period_ms;
	sched_fn fn;
	void *ctx;
	unsigned flags;
	double last_run; /* monotonic ms; 0 = never */
} sched_job;

static sched_job jobs[SCHED_MAX_JOBS];
static int njobs;
static pthread_t thread;
static bool running, stopping, woken;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

void sched_every(const char *name, int64_t period_ms, sched_fn fn, void *ctx, unsigned flags)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < njobs; i++)
		if (jobs[i].fn == fn && jobs[i].ctx == ctx) {
			pthread_mutex_unlock(&lock);
			return; /* registered twice (a module started twice in tests): once is enough */
		}
	if (njobs == SCHED_MAX_JOBS) {
		yj_log(YJ_LOG_ERROR, "sched_full", "job=%s", name);
		abort();
	}
	jobs[njobs] = (sched_job){.name = name, .period_ms = period_ms, .fn = fn, .ctx = ctx, .flags = flags};
	njobs++; /* published last: the thread reads njobs under the lock */
	pthread_mutex_unlock(&lock);
}

/* one run of a job: in a transaction unless it keeps its own; the job's answer */
static int run_once(store *s, sched_job *j, int64_t now, yj_err *e)
{
	if (j->flags & SCHED_NO_TX)
		return j->fn(s, now, j->ctx, e);
	if (store_begin(s, e))
		return -1;
	int rc = j->fn(s, now, j->ctx, e);
	if (rc < 0 || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	return rc;
}

static void run_job(store *s, sched_job *j, double mono)
{
	j->last_run = mono;
	double t0 = yj_mono_ms();
	int rc;
	do {
		yj_err e = {0};
		rc = run_once(s, j, yj_now_ms(), &e);
		if (rc < 0)
			yj_log(YJ_LOG_ERROR, "scheduler", "job=%s message=\"%s\"", j->name, e.message);
		store_idle_check(s);
	} while (rc > 0 && yj_mono_ms() - t0 < SCHED_BUDGET_MS && !stopping);
}

static void *sched_main(void *arg)
{
	store *s = store_thread();
	pthread_mutex_lock(&lock);
	while (!stopping && s) {
		if (!woken) {
			struct timespec ts;
			yj_deadline_in(SCHED_TICK_MS, &ts);
			pthread_cond_timedwait(&cond, &lock, &ts);
		}
		woken = false;
		if (stopping)
			break;
		int n = njobs;
		pthread_mutex_unlock(&lock);
		double mono = yj_mono_ms();
		for (int i = 0; i < n && !stopping; i++)
			if (!jobs[i].last_run || mono - jobs[i].last_run >= (double)jobs[i].period_ms)
				run_job(s, &jobs[i], mono);
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int sched_start(yj_err *e)
{
	pthread_mutex_lock(&lock);
	if (running) {
		pthread_mutex_unlock(&lock);
		return 0;
	}
	stopping = false;
	woken = false;
	for (int i = 0; i < njobs; i++)
		jobs[i].last_run = 0;
	running = pthread_create(&thread, NULL, sched_main, NULL) == 0;
	pthread_mutex_unlock(&lock);
	return running ? 0 : yj_fail(e, YJ_EINTERNAL, "", "cannot start the scheduler");
}

void sched_stop(void)
{
	pthread_mutex_lock(&lock);
	if (!running) {
		pthread_mutex_unlock(&lock);
		return;
	}
	stopping = true;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	running = false;
}

void sched_wake(void)
{
	pthread_mutex_lock(&lock);
	woken = true;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

int sched_run_all(store *s, yj_err *e)
{
	for (int i = 0; i < njobs; i++) {
		int rc;
		while ((rc = run_once(s, &jobs[i], yj_now_ms(), e)) > 0)
			;
		if (rc < 0)
			return -1;
	}
	return 0;
}
