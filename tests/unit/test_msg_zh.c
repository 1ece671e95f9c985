/* Unit tests for the Chinese of the error messages (src/base/msg_zh.c) and
 * the language a request asks for (http_accepts_zh): the catalog as the
 * server loaded it agrees line by line with data/i18n/errors.zh.tsv, every
 * line keeps its conversions, no English twice; yj_fail fills both words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "http/http.h"

/* \t \n \\ as the loader decodes them */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && (r[1] == 't' || r[1] == 'n' || r[1] == '\\')) {
			*w++ = r[1] == 't' ? '\t' : r[1] == 'n' ? '\n' : '\\';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static void test_catalog_lines(void **state)
{
	FILE *f = fopen(YJ_DATA_DIR "/i18n/errors.zh.tsv", "r");
	assert_non_null(f);
	char line[4096], seen_keys[1024][256];
	size_t entries = 0, nkeys = 0;
	long lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		if (!tab)
			fail_msg("line %ld has no TAB", lineno);
		*tab = '\0';
		char *zh = tab + 1;
		unescape(line);
		unescape(zh);
		if (!yj_msg_specifiers_match(line, zh))
			fail_msg("line %ld: the conversions of \"%s\" and \"%s\" differ", lineno, line, zh);
		const char *loaded = yj_msg_zh(line);
		if (!loaded || strcmp(loaded, zh) != 0)
			fail_msg("line %ld: the server holds %s for \"%s\"", lineno, loaded ? loaded : "nothing", line);
		for (size_t i = 0; i < nkeys; i++)
			if (strncmp(seen_keys[i], line, sizeof seen_keys[i] - 1) == 0 && strlen(line) < sizeof seen_keys[i])
				fail_msg("line %ld: \"%s\" is in the catalog twice", lineno, line);
		if (nkeys < 1024)
			snprintf(seen_keys[nkeys++], sizeof seen_keys[0], "%s", line);
		entries++;
	}
	fclose(f);
	assert_true(entries > 400);
	assert_int_equal(yj_msg_load(), entries); /* nothing dropped, nothing merged */
}

static void test_specifiers(void **state)
{
	char s[8][16];
	assert_int_equal(yj_msg_specifiers("a %s b %.64s c %lld %% d %zu %ld %.*s %04X", s, 8), 7);
	assert_string_equal(s[0], "%s");
	assert_string_equal(s[1], "%.64s");
	assert_string_equal(s[2], "%lld");
	assert_string_equal(s[3], "%zu");
	assert_string_equal(s[5], "%.*s");
	assert_string_equal(s[6], "%04X");
	assert_true(yj_msg_specifiers_match("no device %.64s", "没有编号为 %.64s 的设备"));
	assert_false(yj_msg_specifiers_match("no device %.64s", "没有编号为 %s 的设备"));
	assert_false(yj_msg_specifiers_match("%s %lld", "%lld %s"));
	assert_false(yj_msg_specifiers_match("%s", "没有"));
}

static void test_fail_fills_both(void **state)
{
	yj_err e = {0};
	yj_fail(&e, YJ_EINVAL, "name", "field '%s': at most %zu bytes (got %zu)", "name", (size_t)200, (size_t)300);
	assert_string_equal(e.message, "field 'name': at most 200 bytes (got 300)");
	assert_string_equal(e.message_zh, "字段 name：最多 200 字节（实际 300 字节）");
	assert_string_equal(yj_err_text(&e, true), e.message_zh);
	assert_string_equal(yj_err_text(&e, false), e.message);
	/* a format the catalog does not hold: English in both */
	yj_fail(&e, YJ_EINVAL, NULL, "not in any catalog %d", 7);
	assert_string_equal(e.message_zh, "");
	assert_string_equal(yj_err_text(&e, true), "not in any catalog 7");
	/* passed on whole, both languages go along */
	yj_err inner = {0}, outer = {0};
	yj_fail(&inner, YJ_ENOTFOUND, "x", "no area %.16s", "441599");
	yj_fail_from(&outer, YJ_EINVAL, "spec.area", &inner);
	assert_int_equal(outer.code, YJ_EINVAL);
	assert_string_equal(outer.field, "spec.area");
	assert_string_equal(outer.message, "no area 441599");
	assert_string_equal(outer.message_zh, "没有编码为 441599 的区域");
	/* a Chinese cut short stays valid UTF-8 */
	char big[600];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	yj_fail(&e, YJ_ENOTFOUND, NULL, "no such page: %.100s", big);
	assert_true(yj_utf8_valid(e.message_zh, strlen(e.message_zh)));
}

static void test_accept_language(void **state)
{
	assert_true(http_accepts_zh("zh"));
	assert_true(http_accepts_zh("zh-CN"));
	assert_true(http_accepts_zh("ZH-hans"));
	assert_true(http_accepts_zh("zh-CN,zh;q=0.9,en;q=0.8"));
	assert_true(http_accepts_zh("en;q=0.5, zh-CN"));
	assert_true(http_accepts_zh("en;q=0.5 , zh ; q=0.8"));
	assert_false(http_accepts_zh(NULL));
	assert_false(http_accepts_zh(""));
	assert_false(http_accepts_zh("*"));
	assert_false(http_accepts_zh("en"));
	assert_false(http_accepts_zh("en-US,en;q=0.9"));
	assert_false(http_accepts_zh("en;q=1, zh;q=0.5"));
	assert_true(http_accepts_zh("zh;q=0.5, en;q=0.5")); /* equals: the first wins */
	assert_false(http_accepts_zh("en;q=0.5, zh;q=0.5"));
	assert_false(http_accepts_zh("zh;q=0, en;q=0.1"));
	assert_false(http_accepts_zh("zhx, en"));
	assert_false(http_accepts_zh("ja, zh"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_lines),
		cmocka_unit_test(test_specifiers),
		cmocka_unit_test(test_fail_fills_both),
		cmocka_unit_test(test_accept_language),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
