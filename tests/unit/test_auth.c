/* Unit tests for src/auth: jurisdiction prefixes, passwords, the audit
 * chain on an in-memory database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

#include "auth/auth.h"
#include "store/store.h"

static void test_area_prefix(void **state)
{
	char p[16];
	auth_area_prefix("441500", p);
	assert_string_equal(p, "4415");
	auth_area_prefix("440000", p);
	assert_string_equal(p, "44");
	auth_area_prefix("441502", p);
	assert_string_equal(p, "441502");
	auth_area_prefix("441502001", p);
	assert_string_equal(p, "441502001");
	auth_area_prefix("441502001001", p);
	assert_string_equal(p, "441502001001");
	auth_area_prefix("4415", p);
	assert_string_equal(p, "");
	auth_area_prefix("44150a", p);
	assert_string_equal(p, "");
	auth_area_prefix(NULL, p);
	assert_string_equal(p, "");
}

static void test_visibility(void **state)
{
	auth_user county = {.id = 1, .role = ROLE_DUTY_OFFICER};
	snprintf(county.area_code, sizeof county.area_code, "441523");
	auth_area_prefix(county.area_code, county.area_prefix);
	assert_true(auth_area_visible(&county, "441523"));
	assert_true(auth_area_visible(&county, "441523100"));
	assert_true(auth_area_visible(&county, "441523100201"));
	assert_false(auth_area_visible(&county, "441500"));
	assert_false(auth_area_visible(&county, "441502"));
	assert_false(auth_area_visible(&county, NULL));
	assert_false(auth_area_visible(NULL, "441523"));
	yj_err e = {0};
	assert_int_equal(auth_require_area(&county, "441581", "area", &e), -1);
	assert_int_equal(e.code, YJ_EFORBIDDEN);
	assert_string_equal(e.field, "area");
	auth_user broken = {0}; /* no prefix: sees nothing, never everything */
	assert_false(auth_area_visible(&broken, "441523"));
}

static void test_roles(void **state)
{
	for (int r = 0; r < ROLE_COUNT; r++)
		assert_int_equal(auth_role_parse(auth_role_name((auth_role)r)), r);
	assert_int_equal(auth_role_parse("root"), -1);
	assert_int_equal(auth_role_parse(NULL), -1);
}

static void test_password(void **state)
{
	char hash[128];
	yj_err e = {0};
	assert_int_equal(auth_password_hash("correct horse battery", hash, &e), 0);
	assert_non_null(strstr(hash, "$argon2id$"));
	assert_true(auth_password_verify(hash, "correct horse battery"));
	assert_false(auth_password_verify(hash, "correct horse batterz"));
	assert_false(auth_password_verify(NULL, "x"));
	assert_int_equal(auth_password_check("short", "password", &e), -1);
	assert_string_equal(e.field, "password");
}

static json_t *thing_state(store *s, const char *id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT v FROM thing WHERE id = ?", NULL);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_pack("{s:s, s:i}", "id", id, "v", sqlite3_column_int(st, 0));
	sqlite3_reset(st);
	return j;
}

static void test_audit_chain(void **state)
{
	char path[] = "/tmp/yj-audit-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	yj_err e = {0};
	assert_int_equal(store_open(path, &e), 0);
	store *s = store_thread();
	assert_int_equal(store_exec(s, "CREATE TABLE thing(id TEXT PRIMARY KEY, v INTEGER)", &e), 0);
	audit_register_state("thing", thing_state);
	auth_user actor = {.id = 7};
	snprintf(actor.username, sizeof actor.username, "tester");
	for (int i = 0; i < 10; i++) {
		char id[8];
		snprintf(id, sizeof id, "t%d", i);
		assert_int_equal(store_begin(s, &e), 0);
		sqlite3_stmt *st = store_stmt(s, "INSERT INTO thing VALUES (?, ?)", &e);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 2, i);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		json_t *j = thing_state(s, id);
		assert_int_equal(audit_append(s, &actor, "thing.create", "thing", id, j, &e), 0);
		json_decref(j);
		assert_int_equal(store_commit(s, &e), 0);
	}
	audit_report r;
	assert_int_equal(audit_verify(s, &r, &e), 0);
	assert_int_equal(r.records, 10);
	assert_int_equal(strlen(r.head_digest), 64);

	/* an object changed behind yingji's back */
	assert_int_equal(store_exec(s, "UPDATE thing SET v = 99 WHERE id = 't4'", &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 1);
	assert_int_equal(r.first_broken_id, 5);
	assert_non_null(strstr(r.reason, "outside"));
	assert_int_equal(store_exec(s, "UPDATE thing SET v = 4 WHERE id = 't4'", &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 0);

	/* a record edited */
	assert_int_equal(store_exec(s, "UPDATE audit SET action = 'thing.delete' WHERE id = 3", &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 1);
	assert_int_equal(r.first_broken_id, 3);
	store_close_all();
	unlink(path);
	char wal[64];
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", path);
	unlink(wal);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_area_prefix), cmocka_unit_test(test_visibility),
		cmocka_unit_test(test_roles),       cmocka_unit_test(test_password),
		cmocka_unit_test(test_audit_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
