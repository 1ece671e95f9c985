/*
 * test_csv.c — unit tests for the CSV reader in src/base/csv.c: quoting,
 * line ends, BOM, GB18030 detection and conversion, bad bytes, limits, and
 * the cell writer's quoting (read back by the reader).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* Parse a NUL-terminated string that must be good CSV. */
static void parse_ok(const char *text, yj_csv *t)
{
	yj_err e = {0};
	if (yj_csv_parse(text, strlen(text), t, &e) != 0)
		fail_msg("parse failed: %s", e.message);
}

/* GB18030 bytes of a UTF-8 string, made with iconv (malloc'ed). */
static char *to_gb18030(const char *utf8, size_t *len)
{
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t n = strlen(utf8), cap = n * 2 + 8, left = cap;
	char *out = malloc(cap), *dst = out, *src = (char *)utf8;
	assert_true(iconv(cd, &src, &n, &dst, &left) != (size_t)-1);
	iconv_close(cd);
	*len = cap - left;
	return out;
}

static void test_simple_and_shape(void **state)
{
	yj_csv t;
	parse_ok("a,b,c\n1,2,3\n4,5\n", &t);
	assert_int_equal(t.rows, 3);
	assert_int_equal(t.cols, 3);
	assert_int_equal(t.encoding, YJ_CSV_UTF8);
	assert_string_equal(yj_csv_cell(&t, 0, 2), "c");
	assert_string_equal(yj_csv_cell(&t, 1, 1), "2");
	assert_int_equal(yj_csv_row_cols(&t, 2), 2);
	assert_string_equal(yj_csv_cell(&t, 2, 2), ""); /* beyond the record */
	assert_string_equal(yj_csv_cell(&t, 9, 0), ""); /* beyond the table */
	yj_csv_free(&t);

	/* no final line break; empty cells; a trailing comma is an empty cell */
	parse_ok("x,,\n,y,", &t);
	assert_int_equal(t.rows, 2);
	assert_int_equal(yj_csv_row_cols(&t, 0), 3);
	assert_int_equal(yj_csv_row_cols(&t, 1), 3);
	assert_string_equal(yj_csv_cell(&t, 1, 1), "y");
	assert_string_equal(yj_csv_cell(&t, 1, 2), "");
	yj_csv_free(&t);

	/* empty input: no rows, no error */
	parse_ok("", &t);
	assert_int_equal(t.rows, 0);
	yj_csv_free(&t);
}

static void test_quotes(void **state)
{
	yj_csv t;
	parse_ok("\"a,b\",\"say \"\"hi\"\"\",\"\",plain\"quote\n", &t);
	assert_int_equal(t.rows, 1);
	assert_int_equal(t.cols, 4);
	assert_string_equal(yj_csv_cell(&t, 0, 0), "a,b");
	assert_string_equal(yj_csv_cell(&t, 0, 1), "say \"hi\"");
	assert_string_equal(yj_csv_cell(&t, 0, 2), "");
	assert_string_equal(yj_csv_cell(&t, 0, 3), "plain\"quote"); /* a quote inside an unquoted cell is text */
	yj_csv_free(&t);

	/* spaces after a closing quote are dropped */
	parse_ok("\"a\"  ,b\n", &t);
	assert_string_equal(yj_csv_cell(&t, 0, 0), "a");
	yj_csv_free(&t);
}

static void test_embedded_newline_and_lines(void **state)
{
	yj_csv t;
	parse_ok("name,note\n\"仓库\",\"第一行\n第二行\r\n第三行\"\nnext,x\n", &t);
	assert_int_equal(t.rows, 3);
	assert_string_equal(yj_csv_cell(&t, 1, 1), "第一行\n第二行\r\n第三行");
	assert_int_equal(yj_csv_row_line(&t, 0), 1);
	assert_int_equal(yj_csv_row_line(&t, 1), 2);
	assert_int_equal(yj_csv_row_line(&t, 2), 5); /* the cell spans lines 2..4 */
	assert_string_equal(yj_csv_cell(&t, 2, 0), "next");
	yj_csv_free(&t);
}

static void test_line_ends_and_blank_lines(void **state)
{
	yj_csv t;
	parse_ok("a,b\r\n1,2\r\n\r\n3,4\r\n", &t);
	assert_int_equal(t.rows, 4);
	assert_string_equal(yj_csv_cell(&t, 1, 1), "2"); /* no stray CR */
	assert_true(yj_csv_row_blank(&t, 2));
	assert_false(yj_csv_row_blank(&t, 3));
	assert_string_equal(yj_csv_cell(&t, 3, 0), "3");
	assert_int_equal(yj_csv_row_line(&t, 3), 4);
	yj_csv_free(&t);

	/* old Mac CR-only line ends */
	parse_ok("a,b\r1,2\r", &t);
	assert_int_equal(t.rows, 2);
	assert_string_equal(yj_csv_cell(&t, 1, 0), "1");
	yj_csv_free(&t);

	parse_ok(",,\n", &t);
	assert_true(yj_csv_row_blank(&t, 0));
	yj_csv_free(&t);
}

static void test_bom(void **state)
{
	yj_csv t;
	parse_ok("\xEF\xBB\xBF名称,经度\n应急仓库,115.3\n", &t);
	assert_int_equal(t.encoding, YJ_CSV_UTF8_BOM);
	assert_string_equal(yj_csv_cell(&t, 0, 0), "名称");
	assert_string_equal(yj_csv_cell(&t, 1, 1), "115.3");
	assert_string_equal(yj_csv_encoding_name(t.encoding), "UTF-8 (BOM)");
	yj_csv_free(&t);
}

static void test_gb18030(void **state)
{
	const char *utf8 = "名称,备注\n汕尾市应急管理局,\"城区，香洲街道\"\n鮜门镇仓库,㐀 and €\n";
	size_t len;
	char *gb = to_gb18030(utf8, &len);
	assert_false(yj_utf8_valid(gb, len));
	yj_csv t;
	yj_err e = {0};
	assert_int_equal(yj_csv_parse(gb, len, &t, &e), 0);
	assert_int_equal(t.encoding, YJ_CSV_GB18030);
	assert_string_equal(yj_csv_encoding_name(t.encoding), "GB18030");
	assert_int_equal(t.rows, 3);
	assert_string_equal(yj_csv_cell(&t, 0, 0), "名称");
	assert_string_equal(yj_csv_cell(&t, 1, 0), "汕尾市应急管理局");
	assert_string_equal(yj_csv_cell(&t, 1, 1), "城区，香洲街道");
	assert_string_equal(yj_csv_cell(&t, 2, 0), "鮜门镇仓库");
	assert_string_equal(yj_csv_cell(&t, 2, 1), "㐀 and €");
	yj_csv_free(&t);
	free(gb);
}

static void test_bad_bytes(void **state)
{
	yj_csv t;
	yj_err e = {0};
	/* 0xFF is neither UTF-8 nor GB18030; it sits on line 2 */
	const char bad[] = "a,b\n1,\xFF\xFF\n";
	assert_int_equal(yj_csv_parse(bad, sizeof bad - 1, &t, &e), -1);
	assert_int_equal(e.code, YJ_EINVAL);
	assert_non_null(strstr(e.message, "line 2"));
	assert_non_null(strstr(e.message, "neither UTF-8 nor GB18030"));
	assert_int_equal(t.rows, 0);

	/* a GB18030 lead byte cut off at the end */
	const char cut[] = "a,b\n1,\x81";
	assert_int_equal(yj_csv_parse(cut, sizeof cut - 1, &t, &e), -1);
	assert_int_equal(e.code, YJ_EINVAL);

	/* with a UTF-8 BOM, bad bytes are damage, not GB18030 */
	const char bom_bad[] = "\xEF\xBB\xBF" "a,b\n1,2\n\xB0\xA1,x\n";
	assert_int_equal(yj_csv_parse(bom_bad, sizeof bom_bad - 1, &t, &e), -1);
	assert_int_equal(e.code, YJ_EINVAL);
	assert_non_null(strstr(e.message, "line 3"));
	assert_non_null(strstr(e.message, "BOM"));

	const char nul[] = "a,b\n1,\0\n";
	assert_int_equal(yj_csv_parse(nul, sizeof nul - 1, &t, &e), -1);
	assert_non_null(strstr(e.message, "NUL"));

	const char utf16[] = "\xFF\xFE" "a\0,\0b\0";
	assert_int_equal(yj_csv_parse(utf16, sizeof utf16 - 1, &t, &e), -1);
	assert_non_null(strstr(e.message, "UTF-16"));

	const char zip[] = "PK\x03\x04\x14\0\0\0";
	assert_int_equal(yj_csv_parse(zip, sizeof zip - 1, &t, &e), -1);
	assert_non_null(strstr(e.message, "xlsx"));
}

static void test_bad_quotes(void **state)
{
	yj_csv t;
	yj_err e = {0};
	const char open[] = "a,b\n1,\"never\nclosed\n";
	assert_int_equal(yj_csv_parse(open, sizeof open - 1, &t, &e), -1);
	assert_int_equal(e.code, YJ_EINVAL);
	assert_non_null(strstr(e.message, "line 2"));
	assert_non_null(strstr(e.message, "never closed"));

	const char after[] = "a,b\n\"x\"y,2\n";
	assert_int_equal(yj_csv_parse(after, sizeof after - 1, &t, &e), -1);
	assert_non_null(strstr(e.message, "line 2"));
	assert_non_null(strstr(e.message, "after the closing quote"));
}

static void test_limits(void **state)
{
	strbuf b;
	strbuf_init(&b);
	strbuf_puts(&b, "n\n");
	for (int i = 0; i < YJ_CSV_MAX_ROWS; i++)
		strbuf_puts(&b, "1\n");
	yj_csv t;
	yj_err e = {0};
	/* header + exactly the limit of data rows is fine */
	assert_int_equal(yj_csv_parse(b.data, b.len, &t, &e), 0);
	assert_int_equal(t.rows, YJ_CSV_MAX_ROWS + 1);
	yj_csv_free(&t);
	/* one more is not, and the message names the line */
	strbuf_puts(&b, "1\n");
	assert_int_equal(yj_csv_parse(b.data, b.len, &t, &e), -1);
	assert_int_equal(e.code, YJ_EUNPROCESSABLE);
	char want[32];
	snprintf(want, sizeof want, "line %d", YJ_CSV_MAX_ROWS + 2);
	assert_non_null(strstr(e.message, want));
	strbuf_free(&b);

	strbuf_init(&b);
	strbuf_puts(&b, "a\n");
	for (int i = 0; i < YJ_CSV_MAX_COLS; i++)
		strbuf_puts(&b, "x,");
	strbuf_puts(&b, "x\n");
	assert_int_equal(yj_csv_parse(b.data, b.len, &t, &e), -1);
	assert_int_equal(e.code, YJ_EUNPROCESSABLE);
	assert_non_null(strstr(e.message, "line 2"));
	assert_non_null(strstr(e.message, "columns"));
	strbuf_free(&b);
}

static void test_append_cell_round_trip(void **state)
{
	const char *cells[] = {"plain", "a,b", "say \"hi\"", "two\nlines", "cr\rhere", "", "\"", "汉字"};
	strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < YJ_ARRAY_LEN(cells); i++) {
		if (i)
			strbuf_puts(&b, ",");
		yj_csv_append_cell(&b, cells[i]);
	}
	strbuf_puts(&b, "\r\n");
	assert_non_null(strstr(b.data, "plain,\"a,b\",\"say \"\"hi\"\"\""));
	yj_csv t;
	parse_ok(b.data, &t);
	assert_int_equal(t.rows, 1);
	assert_int_equal(t.cols, YJ_ARRAY_LEN(cells));
	for (size_t i = 0; i < YJ_ARRAY_LEN(cells); i++)
		assert_string_equal(yj_csv_cell(&t, 0, i), cells[i]);
	yj_csv_free(&t);
	strbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_and_shape),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_embedded_newline_and_lines),
		cmocka_unit_test(test_line_ends_and_blank_lines),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_gb18030),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_bad_quotes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_append_cell_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
