/* Unit tests for src/auth: jurisdiction prefixes and scopes, passwords,
 * login throttling, the audit chain and the audit projection of users. */
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
#include "auth/auth_int.h"
#include "geo/geo.h"
#include "store/store.h"
#include "unit_db.h"

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
	return unit_db_open(area_db, sizeof area_db, "auth-areas");
}

static int areas_teardown(void **state)
{
	unit_db_remove(area_db);
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
	/* the signed-in form of a user whose area code is malformed gets a prefix no code has */
	snprintf(broken.area_code, sizeof broken.area_code, "44152x");
	auth_user_finish(&broken);
	assert_string_equal(broken.area_prefix, "-");
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
	assert_int_equal(store_exec_script(s, "CREATE TABLE thing(id TEXT PRIMARY KEY, v INTEGER)", &e), 0);
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
	assert_int_equal(store_exec_script(s, "UPDATE thing SET v = 99 WHERE id = 't4'", &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 1);
	assert_int_equal(r.first_broken_id, 5);
	assert_non_null(strstr(r.reason, "outside"));
	assert_int_equal(store_exec_script(s, "UPDATE thing SET v = 4 WHERE id = 't4'", &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 0);

	/* a new projection version: old records are still verified with the version they were made with */
	audit_register_type("thing", 2, thing_state_v2);
	assert_int_equal(audit_verify(s, &r, &e), 0);
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(store_run(s, &e, "UPDATE thing SET v = 5 WHERE id = 't5'"), 1);
	assert_int_equal(audit_record(s, &actor, "thing.update", "thing", "t5", &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 0);
	assert_int_equal(store_exec_script(s, "UPDATE thing SET v = 6 WHERE id = 't5'", &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 1);
	assert_int_equal(r.first_broken_id, 11);
	assert_int_equal(store_exec_script(s, "UPDATE thing SET v = 5 WHERE id = 't5'", &e), 0);

	/* a record edited */
	assert_int_equal(store_exec_script(s, "UPDATE audit SET action = 'thing.delete' WHERE id = 3", &e), 0);
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

/* a lock for a (user, address) pair keeps the guesser out, not the user elsewhere */
static void test_throttle_pair_and_address(void **state)
{
	auth_throttle_reset();
	int64_t f0, l0, f1, l1;
	auth_throttle_stats(&f0, &l0);
	int64_t now = 1700000000000LL;
	for (int i = 0; i < 4; i++)
		throttle_failed("commander", "10.0.0.2", now);
	assert_int_equal(throttle_wait("commander", "10.0.0.2", now), 0); /* four are free */
	throttle_failed("commander", "10.0.0.2", now);
	assert_int_equal(throttle_wait("commander", "10.0.0.2", now), 32); /* the fifth locks: 2^5 s */
	assert_int_equal(throttle_wait("commander", "10.0.0.1", now), 0);  /* the office is not locked out */
	assert_int_equal(throttle_wait("inspector", "10.0.0.2", now), 0);  /* nor another user there */
	throttle_failed("commander", "10.0.0.2", now + 1000);
	assert_int_equal(throttle_wait("commander", "10.0.0.2", now + 1000), 64); /* then it doubles */
	for (int i = 0; i < 10; i++)
		throttle_failed("commander", "10.0.0.2", now + 2000);
	assert_int_equal(throttle_wait("commander", "10.0.0.2", now + 2000), 900); /* at most 15 minutes */
	auth_throttle_stats(&f1, &l1);
	assert_int_equal(f1 - f0, 16);
	assert_int_equal(l1 - l0, 12);
	/* a good login forgets the pair's failures */
	throttle_succeeded("commander", "10.0.0.2", now + 2000);
	assert_int_equal(throttle_wait("commander", "10.0.0.2", now + 2000), 0);

	/* one address trying many usernames meets the address budget (20) */
	for (int i = 0; i < 20; i++) {
		char u[16];
		snprintf(u, sizeof u, "user%d", i);
		assert_int_equal(throttle_wait(u, "10.0.0.3", now), 0);
		throttle_failed(u, "10.0.0.3", now);
	}
	assert_true(throttle_wait("somebody", "10.0.0.3", now) > 0);
	assert_int_equal(throttle_wait("somebody", "10.0.0.4", now), 0);
	/* an IPv6 client counts by its /64; IPv4-mapped addresses as IPv4 */
	for (int i = 0; i < 5; i++) {
		char a[48];
		snprintf(a, sizeof a, "2001:db8:1:2::%x", i + 1);
		throttle_failed("admin", a, now);
	}
	assert_true(throttle_wait("admin", "2001:db8:1:2:ffff::9", now) > 0);
	assert_int_equal(throttle_wait("admin", "2001:db8:1:3::1", now), 0);
	for (int i = 0; i < 5; i++)
		throttle_failed("admin", "::ffff:10.0.0.9", now);
	assert_true(throttle_wait("admin", "10.0.0.9", now) > 0);
	/* forgotten a while after the lock ends */
	assert_int_equal(throttle_wait("admin", "10.0.0.9", now + 16 * 60 * 1000), 0);
	auth_throttle_reset();
	assert_int_equal(throttle_wait("commander", "10.0.0.2", now), 0);
}

/* a throttled login is refused before it reads the user or hashes anything (no store needed) */
static void test_throttle_before_hashing(void **state)
{
	auth_throttle_reset();
	int64_t now = yj_real_now_ms();
	for (int i = 0; i < 5; i++)
		throttle_failed("commander", "10.0.0.5", now);
	char token[AUTH_TOKEN_LEN + 1];
	auth_user u;
	yj_err e = {0};
	assert_int_equal(auth_login(NULL, "commander", "whatever-it-is", "10.0.0.5", token, &u, &e), -1);
	assert_int_equal(e.code, YJ_ETHROTTLED);
	assert_true(e.retry_after > 0 && e.retry_after <= 32);
	auth_throttle_reset();
}

/* users are audited through their projection: a create verifies at once; a change behind the
 * server's back is caught; the password hash is not part of it */
static void test_user_projection(void **state)
{
	auth_init();
	store *s = store_thread();
	yj_err e = {0};
	auth_user admin = {.id = 0, .role = ROLE_ADMIN};
	snprintf(admin.username, sizeof admin.username, "system-test");
	snprintf(admin.area_code, sizeof admin.area_code, "441500");
	auth_user_input in = {.username = "proj_user", .display_name = "投影", .role = "inspector",
	                      .area_code = "441523", .phone = "0660-1234567", .password_hash = "$argon2id$test"};
	int64_t id;
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(auth_user_create(s, &admin, &in, &id, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	audit_report r;
	assert_int_equal(audit_verify(s, &r, &e), 0);
	assert_int_equal(r.objects, 1);

	char oid[24];
	snprintf(oid, sizeof oid, "%lld", (long long)id);
	json_t *p = user_db_project(s, oid);
	assert_non_null(p);
	assert_null(json_object_get(p, "password_hash"));
	assert_null(json_object_get(p, "id"));
	assert_string_equal(json_string_value(json_object_get(p, "role")), "inspector");
	assert_string_equal(json_string_value(json_object_get(p, "area_code")), "441523");
	assert_true(json_is_null(json_object_get(p, "enterprise_id")));
	json_decref(p);
	assert_null(user_db_project(s, "999999"));

	/* a duplicate username is a conflict naming the field, and writes nothing */
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(auth_user_create(s, &admin, &in, NULL, &e), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
	assert_string_equal(e.field, "username");
	store_rollback(s);

	/* an update through yingji verifies; a change behind its back does not */
	auth_user_patch patch = {.display_name = "新名字", .disabled = -1};
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(auth_user_update(s, &admin, id, &patch, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(audit_verify(s, &r, &e), 0);
	assert_int_equal(store_run(s, &e, "UPDATE user SET password_hash = 'x' WHERE id = ?", id), 1);
	assert_int_equal(audit_verify(s, &r, &e), 0);
	assert_int_equal(store_run(s, &e, "UPDATE user SET role = 'admin' WHERE id = ?", id), 1);
	assert_int_equal(audit_verify(s, &r, &e), 1);
	assert_non_null(strstr(r.reason, "outside"));
	/* a missing user is 404, not a silent success */
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(auth_user_update(s, NULL, 999999, &patch, &e), -1);
	assert_int_equal(e.code, YJ_ENOTFOUND);
	store_rollback(s);
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
		cmocka_unit_test(test_throttle_pair_and_address),
		cmocka_unit_test(test_throttle_before_hashing),
		cmocka_unit_test_setup_teardown(test_user_projection, areas_setup, areas_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
