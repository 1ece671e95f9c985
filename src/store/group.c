/*
 * group.c — group commit for small writes from many requests.
 *
 * A request that writes a little (an acknowledgement, a transfer report)
 * hands a job to store_group_run() and waits. One writer thread takes every
 * job waiting, runs them in one transaction, each inside its own SAVEPOINT
 * so one job's failure rolls back only that job, commits once (one fsync
 * for the lot) and wakes each caller with its own result. Under load a
 * commit carries hundreds of jobs; alone, a job costs one commit as before.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

typedef struct group_job {
	store_job_fn fn;
	void *ctx;
	yj_err err;
	int rc;
	bool done;
	struct group_job *next;
} group_job;

static pthread_mutex_t glock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gwork = PTHREAD_COND_INITIALIZER;
static pthread_cond_t gdone = PTHREAD_COND_INITIALIZER;
static group_job *queue_head, *queue_tail;
static bool grunning, gstopping;
static pthread_t gthread;
static _Atomic long batches, jobs_total;

static void run_batch(store *s, group_job *jobs)
{
	yj_err e = {0};
	if (store_begin(s, &e)) {
		for (group_job *j = jobs; j; j = j->next) {
			j->rc = -1;
			j->err = e;
		}
		return;
	}
	for (group_job *j = jobs; j; j = j->next) {
		store_exec(s, "SAVEPOINT job", NULL);
		yj_err_clear(&j->err);
		j->rc = j->fn(s, j->ctx, &j->err);
		if (j->rc) {
			store_exec(s, "ROLLBACK TO job", NULL);
			if (j->err.code == YJ_OK)
				yj_fail(&j->err, YJ_EINTERNAL, "", "internal error");
		}
		store_exec(s, "RELEASE job", NULL);
	}
	if (store_commit(s, &e)) {
		for (group_job *j = jobs; j; j = j->next)
			if (j->rc == 0) {
				j->rc = -1;
				j->err = e;
			}
	}
	batches++;
}

static void *group_main(void *arg)
{
	store *s = store_thread();
	for (;;) {
		pthread_mutex_lock(&glock);
		while (!queue_head && !gstopping)
			pthread_cond_wait(&gwork, &glock);
		if (!queue_head && gstopping) {
			pthread_mutex_unlock(&glock);
			break;
		}
		group_job *jobs = queue_head;
		queue_head = queue_tail = NULL;
		pthread_mutex_unlock(&glock);
		if (s) {
			run_batch(s, jobs);
		} else {
			for (group_job *j = jobs; j; j = j->next) {
				j->rc = -1;
				yj_fail(&j->err, YJ_EUNAVAILABLE, "", "database unavailable");
			}
		}
		pthread_mutex_lock(&glock);
		for (group_job *j = jobs; j; j = j->next) {
			j->done = true;
			jobs_total++;
		}
		pthread_cond_broadcast(&gdone);
		pthread_mutex_unlock(&glock);
	}
	return NULL;
}

int store_group_start(yj_err *e)
{
	pthread_mutex_lock(&glock);
	if (grunning) {
		pthread_mutex_unlock(&glock);
		return 0;
	}
	gstopping = false;
	grunning = pthread_create(&gthread, NULL, group_main, NULL) == 0;
	pthread_mutex_unlock(&glock);
	return grunning ? 0 : yj_fail(e, YJ_EINTERNAL, "", "cannot start the group-commit writer");
}

void store_group_stop(void)
{
	pthread_mutex_lock(&glock);
	if (!grunning) {
		pthread_mutex_unlock(&glock);
		return;
	}
	gstopping = true;
	pthread_cond_signal(&gwork);
	pthread_mutex_unlock(&glock);
	pthread_join(gthread, NULL);
	grunning = false;
}

int store_group_run(store_job_fn fn, void *ctx, yj_err *e)
{
	group_job job = {.fn = fn, .ctx = ctx};
	pthread_mutex_lock(&glock);
	if (!grunning || gstopping) {
		pthread_mutex_unlock(&glock);
		/* no writer (commands, tests): run it in a transaction of its own */
		store *s = store_thread();
		if (!s)
			return yj_fail(e, YJ_EUNAVAILABLE, "", "database unavailable");
		if (store_begin(s, e))
			return -1;
		if (fn(s, ctx, e) || store_commit(s, e)) {
			store_rollback(s);
			return -1;
		}
		return 0;
	}
	if (queue_tail)
		queue_tail->next = &job;
	else
		queue_head = &job;
	queue_tail = &job;
	pthread_cond_signal(&gwork);
	while (!job.done)
		pthread_cond_wait(&gdone, &glock);
	pthread_mutex_unlock(&glock);
	if (job.rc && e)
		*e = job.err;
	return job.rc;
}
