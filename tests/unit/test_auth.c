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
#include "geo/geo.h"
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

/* a temporary database with the built-in area tree, for the jurisdiction tests */
static char area_db[64];

static int areas_setup(void **state)
{
	snprintf(area_db, sizeof area_db, "/tmp/yj-auth-areas-XXXXXX");
	int fd = mkstemp(area_db);
	if (fd < 0)
		return -1;
	close(fd);
	yj_err e = {0};
	if (store_open(area_db, &e))
		return -1;
	store *s = store_thread();
	if (store_begin(s, &e) || geo_areas_load(s, &e) || store_commit(s, &e))
		return -1;
	geo_area_dir_invalidate();
	return 0;
}

static int areas_teardown(void **state)
{
	geo_area_dir_invalidate();
	store_close_all();
	char p[64];
	unlink(area_db);
	snprintf(p, sizeof p, "%s-wal", area_db);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", area_db);
	unlink(p);
	return 0;
}

static void test_visibility(void **state)
{
	auth_user county = {.id = 1, .role = ROLE_DUTY_OFFICER};
	snprintf(county.area_code, sizeof county.area_code, "441523");
	auth_area_prefix(county.area_code, county.area_prefix);
	assert_true(auth_area_visible(&county, "441523"));
	assert_true(auth_area_visible(&county, "441523100"));
	assert_false(auth_area_visible(&county, "441500"));
	assert_false(auth_area_visible(&county, "441502"));
	assert_false(auth_area_visible(&county, NULL));
	assert_false(auth_area_visible(NULL, "441523"));
	yj_err e = {0};
	assert_int_equal(auth_require_area(&county, "441581", "area", &e), -1);
	assert_int_equal(e.code, YJ_EFORBIDDEN);
	assert_string_equal(e.field, "area");
	auth_user broken = {0}; /* no area: sees nothing, never everything */
	assert_false(auth_area_visible(&broken, "441523"));
}

/* the jurisdiction bypass: a malformed or unknown code is an error, never an empty prefix */
static void test_scope(void **state)
{
	auth_user county = {.id = 1, .role = ROLE_DUTY_OFFICER};
	snprintf(county.area_code, sizeof county.area_code, "441523");
	auth_scope sc;
	yj_err e = {0};
	assert_int_equal(auth_scope_for(&county, NULL, "area", &sc, &e), 0);
	assert_string_equal(sc.code, "441523");
	assert_string_equal(sc.lo, "441523");
	assert_string_equal(sc.hi, "441524");
	assert_true(auth_scope_contains(&sc, "441523100"));
	assert_false(auth_scope_contains(&sc, "441502001"));
	const char *bad[] = {"4415230", "441523x", "441523999999", "44", "", "441523100999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		yj_err_clear(&e);
		if (!bad[i][0]) /* "" is the user's own area */
			continue;
		assert_int_equal(auth_scope_for(&county, bad[i], "area", &sc, &e), -1);
		assert_int_equal(e.code, YJ_EINVAL);
		assert_string_equal(e.field, "area");
	}
	yj_err_clear(&e);
	assert_int_equal(auth_scope_for(&county, "441502", "area", &sc, &e), -1);
	assert_int_equal(e.code, YJ_EFORBIDDEN);
	auth_user city = {.id = 2, .role = ROLE_COMMANDER};
	snprintf(city.area_code, sizeof city.area_code, "441500");
	assert_int_equal(auth_scope_for(&city, NULL, "area", &sc, &e), 0);
	assert_string_equal(sc.lo, "4415");
	assert_string_equal(sc.hi, "4416");
	assert_true(auth_scope_contains(&sc, "441581105203"));
	assert_false(auth_scope_contains(&sc, "441600"));
	auth_user stale = {.id = 3, .role = ROLE_COMMANDER}; /* an area that is not (or no longer) known */
	snprintf(stale.area_code, sizeof stale.area_code, "4415230");
	assert_int_equal(auth_scope_for(&stale, NULL, "area", &sc, &e), -1);
	assert_int_equal(e.code, YJ_EFORBIDDEN);
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
	store_q *q;
	json_t *j = NULL;
	if (store_row(s, &q, NULL, "SELECT v FROM thing WHERE id = ?", id) > 0) {
		j = json_pack("{s:s, s:I}", "id", id, "v", (json_int_t)store_col_int(q, 0));
		store_done(q);
	}
	return j;
}

/* version 2 of the projection: v as text (a projection that changed after records were made) */
static json_t *thing_state_v2(store *s, const char *id)
{
	json_t *j = thing_state(s, id);
	if (j)
		json_object_set_new(j, "v", json_sprintf("%lld", (long long)json_integer_value(json_object_get(j, "v"))));
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
	audit_register_type("thing", 1, thing_state);
	auth_user actor = {.id = 7};
	snprintf(actor.username, sizeof actor.username, "tester");
	for (int i = 0; i < 10; i++) {
		char id[8];
		snprintf(id, sizeof id, "t%d", i);
		assert_int_equal(store_begin(s, &e), 0);
		assert_int_equal(store_run(s, &e, "INSERT INTO thing VALUES (?, ?)", id, i), 1);
		assert_int_equal(audit_record(s, &actor, "thing.create", "thing", id, &e), 0);
		assert_int_equal(store_commit(s, &e), 0);
		/* a create verified at once agrees with itself: the record read the same projection */
		audit_report r;
		assert_int_equal(audit_verify(s, &r, &e), 0);
	}
	audit_report r;
	assert_int_equal(audit_verify(s, &r, &e), 0);
	assert_int_equal(r.records, 10);
	assert_int_equal(r.objects, 10);
	assert_int_equal(strlen(r.head_digest), 64);

	/* an object changed behind yingji's back */
	assert_int_equal(store_exec(s, "UPDATE thing SET v = 99 WHERE id = 't4'", &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 1);
	assert_int_equal(r.first_broken_id, 5);
	assert_non_null(strstr(r.reason, "outside"));
	assert_int_equal(store_exec(s, "UPDATE thing SET v = 4 WHERE id = 't4'", &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 0);

	/* a new projection version: old records are still verified with the version they were made with */
	audit_register_type("thing", 2, thing_state_v2);
	assert_int_equal(audit_verify(s, &r, &e), 0);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_run(s, &e, "UPDATE thing SET v = 5 WHERE id = 't5'"), 1);
	assert_int_equal(audit_record(s, &actor, "thing.update", "thing", "t5", &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 0);
	assert_int_equal(store_exec(s, "UPDATE thing SET v = 6 WHERE id = 't5'", &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 1);
	assert_int_equal(r.first_broken_id, 11);
	assert_int_equal(store_exec(s, "UPDATE thing SET v = 5 WHERE id = 't5'", &e), 0);

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
		cmocka_unit_test(test_area_prefix),
		cmocka_unit_test_setup_teardown(test_visibility, areas_setup, areas_teardown),
		cmocka_unit_test_setup_teardown(test_scope, areas_setup, areas_teardown),
		cmocka_unit_test(test_roles),       cmocka_unit_test(test_password),
		cmocka_unit_test(test_audit_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
