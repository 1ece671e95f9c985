/* Unit tests for the store's typed statements and transactions and the
 * event bus on a real database file: values bound by type, nested queries
 * on the same text, nested transactions, events told after the commit and
 * never after a rollback (whole, nested or a group job's savepoint),
 * in-transaction subscribers that write with their cause or fail it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/bus.h"
#include "store/store.h"

static char dir[64], path[128];

static int setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/yj-test-bus-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	yj_err e = {0};
	if (store_open(path, &e))
		return -1;
	return store_exec_script(store_thread(),
	                         "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT, d REAL, j TEXT, b BLOB);"
	                         "CREATE TABLE consequence(k INTEGER PRIMARY KEY);",
	                         &e);
}

static int teardown(void **state)
{
	store_close_all();
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_values_and_nesting(void **state)
{
	store *s = store_thread();
	yj_err e = {0};
	json_t *j = json_pack("{s:i}", "a", 1);
	const char *none = NULL;
	assert_int_equal(store_run(s, &e, "INSERT INTO t(k, v, d, j, b) VALUES (?, ?, ?, ?, ?)", 1, "一", 2.5, j,
	                           store_blob("\0x", 2)),
	                 1);
	assert_int_equal(store_run(s, &e, "INSERT INTO t(k, v, d, j) VALUES (?, ?, ?, ?)", (int64_t)2, none, 0.0,
	                           store_id_or_null(0)),
	                 1);
	json_decref(j);
	store_q *q;
	assert_int_equal(store_row(s, &q, &e, "SELECT v, d, j, b FROM t WHERE k = ?", 1), 1);
	assert_string_equal(store_col_text(q, 0), "一");
	assert_true(fabs(store_col_double(q, 1) - 2.5) < 1e-9);
	json_t *back = store_col_json(q, 2);
	assert_int_equal(json_integer_value(json_object_get(back, "a")), 1);
	json_decref(back);
	size_t n;
	assert_memory_equal(store_col_blob(q, 3, &n), "\0x", 2);
	assert_int_equal(n, 2);
	store_done(q);
	assert_int_equal(store_row(s, &q, &e, "SELECT v, j FROM t WHERE k = ?", 2), 1);
	assert_null(store_col_text(q, 0));
	assert_true(store_col_null(q, 1));
	assert_string_equal(store_col_str(q, 0), "");
	store_done(q);
	/* the same text nested inside its own loop */
	int outer = 0, inner = 0, rc;
	store_q *a = store_query(s, &e, "SELECT k FROM t ORDER BY k");
	while ((rc = store_step(a, &e)) > 0) {
		outer++;
		store_q *b = store_query(s, &e, "SELECT k FROM t ORDER BY k");
		while (store_step(b, &e) > 0)
			inner++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(outer, 2);
	assert_int_equal(inner, 4);
	int64_t count;
	assert_int_equal(store_get_int(s, &count, &e, "SELECT count(*) FROM t"), 1);
	assert_int_equal(count, 2);
	assert_int_equal(store_get_int(s, &count, &e, "SELECT k FROM t WHERE k = 99"), 0);
	/* a failed write fails the call, with words and no engine text */
	assert_int_equal(store_run(s, &e, "INSERT INTO t(k) VALUES (1)"), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
	assert_null(strstr(e.message, "UNIQUE"));
	int64_t id;
	assert_int_equal(store_get_int(s, &id, &e, "INSERT INTO t(k, v) VALUES (?, 'r') RETURNING k", 7), 1);
	assert_int_equal(id, 7);
}

/* ---- the bus ---------------------------------------------------------------------------------- */

static int heard[64], nheard;

static void on_commit(const bus_event *ev, void *ctx)
{
	heard[nheard++] = (int)ev->id;
}

static int on_tx(store *s, const bus_event *ev, void *ctx, yj_err *e)
{
	if (ev->id == 666)
		return yj_fail(e, YJ_ECONFLICT, "", "the subscriber refuses");
	return store_run(s, e, "INSERT INTO consequence(k) VALUES (?)", ev->id) < 0 ? -1 : 0;
}

static int emit(store *s, int id)
{
	yj_err e = {0};
	return bus_emit(s, &(bus_event){.topic = "test.thing", .id = id, .data = "{}"}, &e);
}

static int64_t consequences(void)
{
	int64_t n = -1;
	store_get_int(store_thread(), &n, NULL, "SELECT count(*) FROM consequence");
	return n;
}

static void test_bus_after_commit(void **state)
{
	static bool subscribed;
	if (!subscribed) {
		bus_on_commit("test.", on_commit, NULL, NULL);
		bus_on_tx("test.thing", on_tx, NULL);
		subscribed = true;
	}
	store *s = store_thread();
	yj_err e = {0};
	nheard = 0;
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(emit(s, 1), 0);
	assert_int_equal(emit(s, 2), 0);
	assert_int_equal(nheard, 0); /* not before the commit */
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(nheard, 2);
	assert_int_equal(heard[0], 1);
	assert_int_equal(heard[1], 2);
	assert_int_equal(consequences(), 2); /* the tx subscriber wrote with its cause */

	/* rolled back: nothing told, nothing the subscriber wrote stays */
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(emit(s, 3), 0);
	store_rollback(s);
	assert_int_equal(nheard, 2);
	assert_int_equal(consequences(), 2);

	/* nested: the inner rollback drops its own events only */
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(emit(s, 4), 0);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(emit(s, 5), 0);
	store_rollback(s);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(emit(s, 6), 0);
	assert_int_equal(store_commit(s, &e), 0); /* nested commit: nothing told yet */
	assert_int_equal(nheard, 2);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(nheard, 4);
	assert_int_equal(heard[2], 4);
	assert_int_equal(heard[3], 6);
	assert_int_equal(consequences(), 4);

	/* a subscriber that fails fails the emit */
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(emit(s, 666), -1);
	store_rollback(s);
	assert_int_equal(nheard, 4);

	/* no transaction open: told at once */
	assert_int_equal(emit(s, 7), 0);
	assert_int_equal(nheard, 5);
}

static int job_emit(store *s, void *ctx, yj_err *e)
{
	int id = (int)(intptr_t)ctx;
	if (bus_emit(s, &(bus_event){.topic = "test.thing", .id = id}, e))
		return -1;
	return id == 13 ? yj_fail(e, YJ_ECONFLICT, "", "job 13 fails after emitting") : 0;
}

static void test_bus_group_writer(void **state)
{
	yj_err e = {0};
	nheard = 0;
	assert_int_equal(store_group_start(&e), 0);
	assert_int_equal(store_group_run(job_emit, (void *)(intptr_t)12, &e), 0);
	assert_int_equal(store_group_run(job_emit, (void *)(intptr_t)13, &e), -1);
	assert_int_equal(store_group_run(job_emit, (void *)(intptr_t)14, &e), 0);
	store_group_stop();
	assert_int_equal(nheard, 2);
	assert_int_equal(heard[0], 12);
	assert_int_equal(heard[1], 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_and_nesting),
		cmocka_unit_test(test_bus_after_commit),
		cmocka_unit_test(test_bus_group_writer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
