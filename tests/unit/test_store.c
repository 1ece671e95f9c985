/* Unit tests for src/store/group.c: the group writer on a real database
 * file — submitted jobs are called back once, after their batch is flushed;
 * a failing job is rolled back alone; waiting and submitting callers mix;
 * nothing is lost across a stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/yj-test-store-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	yj_err e = {0};
	if (store_open(path, &e))
		return -1;
	return store_exec_script(store_thread(), "CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v TEXT NOT NULL)", &e);
}

static int teardown(void **state)
{
	store_close_all();
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

typedef struct job {
	int k;
	bool fail; /* insert, then fail: the insert must be rolled back */
	_Atomic int calls;
	int rc;
	yj_err err;
} job;

static int insert_job(store *s, void *ctx, yj_err *e)
{
	job *j = ctx;
	if (store_run(s, e, "INSERT INTO t(k, v) VALUES (?, 'x')", j->k) < 0)
		return -1;
	if (j->fail)
		return yj_fail(e, YJ_ECONFLICT, "k", "job %d refuses", j->k);
	return 0;
}

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static int done_count;

static void on_done(void *ctx, int rc, const yj_err *e)
{
	job *j = ctx;
	j->rc = rc;
	j->err = *e;
	j->calls++;
	pthread_mutex_lock(&done_lock);
	done_count++;
	pthread_mutex_unlock(&done_lock);
}

static long count_rows(const char *where)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE %s", where);
	int64_t n = -1;
	store_get_int(store_thread(), &n, NULL, sql);
	return (long)n;
}

static void test_submit_and_run(void **state)
{
	yj_err e = {0};
	assert_int_equal(store_group_start(&e), 0);
	enum { N = 2000 };
	job *jobs = calloc(N, sizeof *jobs);
	for (int i = 0; i < N; i++) {
		jobs[i].k = i + 1;
		jobs[i].fail = i % 97 == 0;
		store_group_submit(insert_job, &jobs[i], on_done);
	}
	/* a waiting caller among them */
	job w = {.k = N + 1};
	assert_int_equal(store_group_run(insert_job, &w, &e), 0);
	job wf = {.k = N + 2, .fail = true};
	assert_int_equal(store_group_run(insert_job, &wf, &e), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&done_lock);
		int d = done_count;
		pthread_mutex_unlock(&done_lock);
		if (d == N)
			break;
		usleep(10000);
	}
	assert_int_equal(done_count, N);
	int failed = 0;
	for (int i = 0; i < N; i++) {
		assert_int_equal(jobs[i].calls, 1); /* called back once */
		assert_int_equal(jobs[i].rc, jobs[i].fail ? -1 : 0);
		if (jobs[i].fail) {
			assert_int_equal(jobs[i].err.code, YJ_ECONFLICT);
			assert_string_equal(jobs[i].err.field, "k");
			failed++;
		}
	}
	/* every good insert is there, no failed one: each job had its own savepoint */
	assert_int_equal(count_rows("1"), N - failed + 1);
	assert_int_equal(count_rows("(k - 1) % 97 = 0 AND k <= 2000"), 0);
	assert_int_equal(count_rows("k = 2002"), 0);
	store_group_stop();
	/* after the stop: submitted jobs run alone, done is called before returning */
	job late = {.k = N + 3};
	done_count = 0;
	store_group_submit(insert_job, &late, on_done);
	assert_int_equal(late.calls, 1);
	assert_int_equal(late.rc, 0);
	assert_int_equal(count_rows("k = 2003"), 1);
	free(jobs);
}

static void test_durable_across_reopen(void **state)
{
	/* what the writer answered is in the file (WAL included) after every connection closed */
	yj_err e = {0};
	assert_int_equal(store_group_start(&e), 0);
	job j = {.k = 5000};
	assert_int_equal(store_group_run(insert_job, &j, &e), 0);
	store_group_stop();
	store_close_all();
	assert_int_equal(store_open(path, &e), 0);
	assert_int_equal(count_rows("k = 5000"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_submit_and_run),
		cmocka_unit_test(test_durable_across_reopen),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
