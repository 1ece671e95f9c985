/* Unit tests for src/base: time parsing and formatting, arenas, buffers,
 * UTF-8 validation, number parsing, the fake clock, JSON field validators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"

static void test_time_roundtrip(void **state)
{
	int64_t ms;
	yj_err e = {0};
	assert_int_equal(yj_time_parse("2022-08-18T09:30:00+08:00", &ms, "ts", &e), 0);
	assert_int_equal(ms, 1660786200000LL);
	char out[40];
	yj_time_format(ms, out);
	assert_string_equal(out, "2022-08-18T09:30:00+08:00");
	assert_int_equal(yj_time_parse("2022-08-18T01:30:00.250Z", &ms, "ts", &e), 0);
	assert_int_equal(ms, 1660786200250LL);
	yj_time_format(ms, out);
	assert_string_equal(out, "2022-08-18T09:30:00.250+08:00");
	assert_int_equal(yj_time_parse("1970-01-01T00:00:00Z", &ms, "ts", &e), 0);
	assert_int_equal(ms, 0);
}

static void test_time_rejects(void **state)
{
	const char *bad[] = {"", "2022-08-18", "2022-13-01T00:00:00Z", "2022-02-30T00:00:00Z",
	                     "2023-02-29T00:00:00Z", "2022-08-18T25:00:00Z", "2022-08-18T09:30:00",
	                     "2022-08-18T09:30:00+8:00", "2022-08-18T09:30:00Zjunk", "abcd"};
	for (size_t i = 0; i < YJ_ARRAY_LEN(bad); i++) {
		int64_t ms;
		yj_err e = {0};
		assert_int_equal(yj_time_parse(bad[i], &ms, "onset", &e), -1);
		assert_int_equal(e.code, YJ_EINVAL);
		assert_string_equal(e.field, "onset");
		assert_non_null(strstr(e.message, "onset"));
	}
	int64_t ms;
	assert_int_equal(yj_time_parse("2024-02-29T00:00:00Z", &ms, "t", NULL), 0);
}

static void test_arena(void **state)
{
	arena *a = arena_new(64);
	char *s = arena_strdup(a, "汕尾");
	assert_string_equal(s, "汕尾");
	for (int i = 0; i < 1000; i++) {
		char *p = arena_alloc(a, 100);
		assert_true(((uintptr_t)p & 15) == 0);
		memset(p, 1, 100);
	}
	char *big = arena_alloc(a, 1 << 20);
	assert_int_equal(big[12345], 0);
	assert_string_equal(arena_printf(a, "%s-%d", "x", 42), "x-42");
	arena_free(a);
}

static void test_strbuf(void **state)
{
	strbuf b;
	strbuf_init(&b);
	for (int i = 0; i < 1000; i++)
		strbuf_printf(&b, "%d,", i);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	size_t len;
	char *p = strbuf_take(&b, &len);
	assert_int_equal(strlen(p), len);
	free(p);
	assert_null(b.data);
}

static void test_utf8(void **state)
{
	assert_true(yj_utf8_valid("汕尾市 ok", strlen("汕尾市 ok")));
	assert_false(yj_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	assert_false(yj_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(yj_utf8_valid("\xe6\xb1", 2));         /* truncated */
	assert_false(yj_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
}

static void test_utf8_trim(void **state)
{
	char s[16];
	snprintf(s, sizeof s, "ab汕尾");   /* 2 + 3 + 3 bytes */
	s[6] = 0;                            /* cut inside 尾 */
	yj_utf8_trim(s);
	assert_string_equal(s, "ab汕");
	snprintf(s, sizeof s, "ab汕");
	yj_utf8_trim(s);                     /* whole: untouched */
	assert_string_equal(s, "ab汕");
	yj_err e;
	char big[400];
	memset(big, 'x', sizeof big);
	snprintf(big + 254, sizeof big - 254, "汕尾汕尾");
	yj_fail(&e, YJ_EINVAL, "f", "%s", big); /* truncated at 255 bytes, inside a character */
	assert_true(yj_utf8_valid(e.message, strlen(e.message)));
}

static void test_parse_numbers(void **state)
{
	long v;
	double d;
	yj_err e = {0};
	assert_int_equal(yj_parse_long("42", 1, 100, &v, "limit", &e), 0);
	assert_int_equal(v, 42);
	assert_int_equal(yj_parse_long("420", 1, 100, &v, "limit", &e), -1);
	assert_string_equal(e.field, "limit");
	assert_int_equal(yj_parse_long("4x", 1, 100, &v, "limit", &e), -1);
	assert_int_equal(yj_parse_long(NULL, 1, 100, &v, "limit", &e), -1);
	assert_int_equal(yj_parse_double("115.37", -180, 180, &d, "lon", &e), 0);
	assert_int_equal(yj_parse_double("181.2", -180, 180, &d, "lon", &e), -1);
	assert_non_null(strstr(e.message, "181.2"));
	assert_int_equal(yj_parse_double("nan", -180, 180, &d, "lon", &e), -1);
	assert_int_equal(yj_parse_double("1e999", -180, 180, &d, "lon", &e), -1);
}

static void test_fake_clock(void **state)
{
	int64_t real = yj_now_ms();
	yj_clock_set_offset(3600 * 1000);
	int64_t moved = yj_now_ms();
	assert_true(moved - real >= 3600 * 1000 - 5 && moved - real < 3600 * 1000 + 1000);
	yj_clock_set_offset(0);
}

/* the JSON field validators the handlers parse bodies with: present, absent or null, wrong */
static void test_json_fields(void **state)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:b, s:n, s:s}", "name", "汕尾", "blank", "  ", "n", 42, "flag", 1,
	                      "gone", "long", "abcdefghij");
	yj_err e = {0};
	const char *t = NULL;
	assert_int_equal(yj_json_text(o, "name", YJ_REQUIRED, 64, &t, &e), 1);
	assert_string_equal(t, "汕尾");
	t = NULL;
	assert_int_equal(yj_json_text(o, "missing", 0, 64, &t, &e), 0);
	assert_null(t);
	assert_int_equal(yj_json_text(o, "gone", 0, 64, &t, &e), 0); /* null reads as absent */
	assert_int_equal(yj_json_text(o, "missing", YJ_REQUIRED, 64, &t, &e), -1);
	assert_string_equal(e.field, "missing");
	assert_int_equal(yj_json_text(o, "blank", YJ_NONEMPTY, 64, &t, &e), -1);
	assert_string_equal(e.field, "blank");
	assert_int_equal(yj_json_text(o, "long", 0, 5, &t, &e), -1);
	assert_string_equal(e.field, "long");
	assert_int_equal(yj_json_text(o, "n", 0, 64, &t, &e), -1); /* a number is not text */
	assert_string_equal(e.field, "n");
	int64_t n = 0;
	assert_int_equal(yj_json_int(o, "n", 0, 0, 100, &n, &e), 1);
	assert_int_equal(n, 42);
	assert_int_equal(yj_json_int(o, "n", 0, 0, 10, &n, &e), -1);
	assert_string_equal(e.field, "n");
	bool b = false;
	assert_int_equal(yj_json_bool(o, "flag", 0, &b, &e), 1);
	assert_true(b);
	assert_int_equal(yj_json_bool(o, "name", 0, &b, &e), -1);
	static const char *const keys[] = {"name", "blank", "n", "flag", "gone", NULL};
	assert_int_equal(yj_only_keys(o, keys, &e), -1); /* "long" is not one of them */
	assert_string_equal(e.field, "long");
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_roundtrip), cmocka_unit_test(test_time_rejects),
		cmocka_unit_test(test_arena),          cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_utf8),           cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_utf8_trim),
		cmocka_unit_test(test_fake_clock),
		cmocka_unit_test(test_json_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
