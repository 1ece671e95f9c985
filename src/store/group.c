/*
 * group.c — group commit for small writes from many requests.
 *
 * A request that writes a little (an acknowledgement, a transfer report)
 * hands a job to store_group_run() and waits. One writer thread takes every
 * job waiting, runs them in one transaction, each inside its own SAVEPOINT
 * so one job's failure rolls back only that job, commits once (one fsync
 * for the lot) and wakes each caller with its own result. Under load a
 * commit carries hundreds of jobs; alone, a job costs one commit as before.
 *
 * A caller that must not block (an HTTP thread serving many connections)
 * submits instead: it is called back once its commit is on disk, and the
 * number of jobs in one commit then grows with the number of clients
 * waiting, not with the number of threads.
 *
 * The flush is not the writer's: its connection commits with
 * synchronous=NORMAL (in WAL mode: frames written, no fsync at commit; the
 * WAL header is still synced when the log restarts) and hands the batch
 * to the syncer thread, which fdatasyncs the WAL file (one call for every
 * batch committed meanwhile) and only then tells the callers; the writer
 * goes on with the next batch while the disk works. An answer still means
 * "on disk". This is safe because the writer never checkpoints (the
 * checkpointer's connection keeps synchronous=FULL, so it syncs the WAL
 * before copying it back and the database before the WAL may be reused):
 * it is WAL mode with synchronous=NORMAL plus an explicit flush before
 * anyone is told. The price: another connection may read a batch a few
 * milliseconds before it is on disk. A failed flush stops the process
 * (fail-stop; see sync_main). Without the checkpointer or the WAL file the
 * writer commits with synchronous=FULL as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

typedef struct group_job {
	store_job_fn fn;
	void *ctx;
	store_hook *hooks;     /* the batch's after-commit hooks (on its first job): run once it is on disk */
	size_t nhooks;
	store_job_done notify; /* submitted: called after the commit, then the job is freed */
	yj_err err;
	int rc;
	bool done;
	struct group_job *next;
} group_job;

/* append the list first..last to a queue given by its head and tail (under its lock) */
static void append_jobs(group_job **head, group_job **tail, group_job *first, group_job *last)
{
	if (*tail)
		(*tail)->next = first;
	else
		*head = first;
	*tail = last;
}

static pthread_mutex_t glock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gwork = PTHREAD_COND_INITIALIZER;
static pthread_cond_t gdone = PTHREAD_COND_INITIALIZER;
static group_job *queue_head, *queue_tail;
static bool grunning, gstopping;
static pthread_t gthread;

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
		yj_err_clear(&j->err);
		j->rc = store_savepoint(s, &j->err);
		if (j->rc == 0)
			j->rc = j->fn(s, j->ctx, &j->err);
		if (j->rc) {
			if (!store_in_tx(s)) {
				/* an error that ended the whole transaction (disk full, I/O): the jobs before
				 * this one are undone too, and nothing after it may run outside a transaction */
				yj_err lost = j->err;
				if (lost.code == YJ_OK)
					yj_fail(&lost, YJ_EUNAVAILABLE, "", "the change could not be stored");
				for (group_job *k = jobs; k; k = k->next) {
					k->rc = -1;
					k->err = lost;
				}
				store_rollback_all(s);
				return;
			}
			store_savepoint_rollback(s);
			if (j->err.code == YJ_OK)
				yj_fail(&j->err, YJ_EINTERNAL, "", "internal error");
		} else {
			store_savepoint_release(s);
		}
	}
	if (store_commit_keep_hooks(s, &jobs->hooks, &jobs->nhooks, &e)) {
		for (group_job *j = jobs; j; j = j->next)
			if (j->rc == 0) {
				j->rc = -1;
				j->err = e;
			}
	}
}

/* ---- the checkpointer: copies the WAL back into the database off the writers' path ---- */

static pthread_mutex_t ckpt_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ckpt_cond = PTHREAD_COND_INITIALIZER;
static pthread_t ckpt_thread;
static int ckpt_users; /* starts minus stops */
static bool ckpt_stopping;
static int ckpt_state; /* 0 starting, 1 has its connection, -1 has none (then not running) */

static void *ckpt_main(void *arg)
{
	store *s = store_thread();
	pthread_mutex_lock(&ckpt_lock);
	ckpt_state = s ? 1 : -1;
	pthread_cond_broadcast(&ckpt_cond);
	while (s && !ckpt_stopping) {
		struct timespec ts;
		yj_deadline_in(250, &ts);
		pthread_cond_timedwait(&ckpt_cond, &ckpt_lock, &ts);
		pthread_mutex_unlock(&ckpt_lock);
		int nlog = 0, nckpt = 0;
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
		pthread_mutex_lock(&ckpt_lock);
	}
	pthread_mutex_unlock(&ckpt_lock);
	return NULL;
}

void store_checkpointer_start(void)
{
	pthread_mutex_lock(&ckpt_lock);
	if (ckpt_users++ == 0) {
		ckpt_stopping = false;
		ckpt_state = 0;
		if (pthread_create(&ckpt_thread, NULL, ckpt_main, NULL) != 0) {
			ckpt_users = 0; /* the writers' connections then checkpoint as SQLite does by default */
			ckpt_state = -1;
		}
		while (ckpt_state == 0)
			pthread_cond_wait(&ckpt_cond, &ckpt_lock);
	}
	pthread_mutex_unlock(&ckpt_lock);
}

void store_checkpointer_stop(void)
{
	pthread_mutex_lock(&ckpt_lock);
	bool last = ckpt_users > 0 && --ckpt_users == 0;
	if (last) {
		ckpt_stopping = true;
		pthread_cond_signal(&ckpt_cond);
	}
	pthread_mutex_unlock(&ckpt_lock);
	if (last)
		pthread_join(ckpt_thread, NULL);
}

bool store_checkpointer_running(void)
{
	pthread_mutex_lock(&ckpt_lock);
	bool r = ckpt_users > 0 && ckpt_state == 1;
	pthread_mutex_unlock(&ckpt_lock);
	return r;
}

/* ---- telling callers: a submitted job is called back and freed, a waiting one woken ---- */

static void notify_jobs(group_job *jobs)
{
	group_job *waiting = NULL, *next;
	for (group_job *j = jobs; j; j = next) {
		next = j->next;
		if (j->nhooks) /* the batch's events: it is on disk now */
			store_hooks_call(j->hooks, j->nhooks);
		j->hooks = NULL;
		j->nhooks = 0;
		if (j->notify) {
			j->notify(j->ctx, j->rc, &j->err);
			free(j);
		} else {
			j->next = waiting;
			waiting = j;
		}
	}
	if (waiting) {
		pthread_mutex_lock(&glock);
		for (group_job *j = waiting; j; j = j->next)
			j->done = true;
		pthread_cond_broadcast(&gdone);
		pthread_mutex_unlock(&glock);
	}
}

/* ---- the syncer: flushes the WAL for committed batches, then tells their callers ---- */

static pthread_mutex_t slock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t swork = PTHREAD_COND_INITIALIZER;
static pthread_t sthread;
static bool srunning, sstopping;
static group_job *sync_head, *sync_tail; /* committed, waiting for the flush */
static int wal_fd = -1;
static dev_t wal_dev;
static ino_t wal_ino;

/* the WAL file of the database, opened (again, if it was replaced) for fdatasync */
static int wal_open(void)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s-wal", store_path() ? store_path() : "") >= (int)sizeof path)
		return -1;
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	if (wal_fd >= 0 && st.st_dev == wal_dev && st.st_ino == wal_ino)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	if (wal_fd >= 0)
		close(wal_fd);
	wal_fd = fd;
	wal_dev = st.st_dev;
	wal_ino = st.st_ino;
	return 0;
}

static void *sync_main(void *arg)
{
	pthread_mutex_lock(&slock);
	for (;;) {
		while (!sync_head && !sstopping)
			pthread_cond_wait(&swork, &slock);
		if (!sync_head && sstopping)
			break;
		group_job *jobs = sync_head;
		sync_head = sync_tail = NULL;
		pthread_mutex_unlock(&slock);
		/* one flush for every batch committed since the last: each was written before it */
		const char *why = wal_open() != 0 ? "cannot open the WAL file" : fdatasync(wal_fd) != 0 ? strerror(errno) : NULL;
		if (why) {
			/* Fail-stop, as databases do: after a failed flush the kernel may have dropped the
			 * dirty pages and a later flush would report success without them, while other
			 * connections already read the batch. Only recovery from what is on disk (SQLite
			 * replays the WAL at the next start) gives a state that is both durable and seen. */
			yj_log(YJ_LOG_ERROR, "wal_flush_failed", "message=\"cannot flush the WAL: %s; stopping\"", why);
			abort();
		}
		notify_jobs(jobs);
		pthread_mutex_lock(&slock);
	}
	pthread_mutex_unlock(&slock);
	return NULL;
}

/* hand a committed batch to the syncer (kept in commit order) */
static void sync_later(group_job *jobs)
{
	group_job *last = jobs;
	while (last->next)
		last = last->next;
	pthread_mutex_lock(&slock);
	append_jobs(&sync_head, &sync_tail, jobs, last);
	pthread_cond_signal(&swork);
	pthread_mutex_unlock(&slock);
}

/* the writer's connection commits without fsync when the syncer can flush for it */
static bool sync_start(store *s)
{
	if (!s || !store_checkpointer_running() || wal_open() != 0)
		return false;
	sstopping = false;
	if (pthread_create(&sthread, NULL, sync_main, NULL) != 0)
		return false;
	srunning = true;
	/* NORMAL, not OFF: in WAL mode NORMAL does no fsync at commit, but still syncs the WAL
	 * header when the log starts over after a checkpoint, before frames overwrite old ones
	 * (at OFF an out-of-order write after a restart could corrupt the database) */
	if (store_exec_script(s, "PRAGMA synchronous=NORMAL", NULL) == 0)
		return true;
	pthread_mutex_lock(&slock);
	sstopping = true;
	pthread_cond_signal(&swork);
	pthread_mutex_unlock(&slock);
	pthread_join(sthread, NULL);
	srunning = false;
	return false;
}

/* after the writer's last batch: flush what is left, and leave the connection as it was */
static void sync_stop(store *s)
{
	if (!srunning)
		return;
	pthread_mutex_lock(&slock);
	sstopping = true;
	pthread_cond_signal(&swork);
	pthread_mutex_unlock(&slock);
	pthread_join(sthread, NULL);
	srunning = false;
	store_exec_script(s, "PRAGMA synchronous=FULL", NULL);
	if (wal_fd >= 0)
		close(wal_fd);
	wal_fd = -1;
}

static void *group_main(void *arg)
{
	store *s = store_thread();
	/* its commits are many and small: the checkpointer copies pages back, not this thread */
	if (s && store_checkpointer_running())
		store_leave_checkpoints(s);
	bool async_flush = sync_start(s);
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
		if (async_flush)
			sync_later(jobs);
		else
			notify_jobs(jobs);
	}
	sync_stop(s);
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
	store_checkpointer_start();
	grunning = pthread_create(&gthread, NULL, group_main, NULL) == 0;
	if (!grunning)
		store_checkpointer_stop();
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
	store_checkpointer_stop();
}

/* no writer (commands, tests): run it in a transaction of its own on this thread */
static int run_alone(store_job_fn fn, void *ctx, yj_err *e)
{
	store *s = store_thread();
	if (!s)
		return yj_fail(e, YJ_EUNAVAILABLE, "", "database unavailable");
	return store_tx(s, fn, ctx, e);
}

void store_group_submit(store_job_fn fn, void *ctx, store_job_done done)
{
	group_job *job = yj_calloc(1, sizeof *job);
	pthread_mutex_lock(&glock);
	if (!grunning || gstopping) {
		pthread_mutex_unlock(&glock);
		free(job);
		yj_err e = {0};
		int rc = run_alone(fn, ctx, &e);
		done(ctx, rc, &e);
		return;
	}
	job->fn = fn;
	job->ctx = ctx;
	job->notify = done;
	append_jobs(&queue_head, &queue_tail, job, job);
	pthread_cond_signal(&gwork);
	pthread_mutex_unlock(&glock);
}

int store_group_run(store_job_fn fn, void *ctx, yj_err *e)
{
	group_job job = {.fn = fn, .ctx = ctx};
	pthread_mutex_lock(&glock);
	if (!grunning || gstopping) {
		pthread_mutex_unlock(&glock);
		return run_alone(fn, ctx, e);
	}
	append_jobs(&queue_head, &queue_tail, &job, &job);
	pthread_cond_signal(&gwork);
	while (!job.done)
		pthread_cond_wait(&gdone, &glock);
	pthread_mutex_unlock(&glock);
	if (job.rc && e)
		*e = job.err;
	return job.rc;
}
