/*
 * test_xlsx.c — unit tests for the pure parts of src/registry/io_xlsx.c: cell
 * references, which number formats are dates, Excel serial days as the text
 * the CSV import reads, and what is refused before a workbook is opened.
 * Whole workbooks are read in test_io.c (the export read back) and in
 * tests/api/registry_xlsx.test.mjs (files made by openpyxl and by hand).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "registry/io_int.h"

static void test_cell_refs(void **state)
{
	size_t col;
	long row;
	assert_true(reg_xlsx_cell_ref("A1", &col, &row));
	assert_int_equal(col, 0);
	assert_int_equal(row, 1);
	assert_true(reg_xlsx_cell_ref("Z9", &col, &row));
	assert_int_equal(col, 25);
	assert_true(reg_xlsx_cell_ref("AA12", &col, &row));
	assert_int_equal(col, 26);
	assert_int_equal(row, 12);
	assert_true(reg_xlsx_cell_ref("GR3", &col, &row)); /* column 200 */
	assert_int_equal(col, 199);
	assert_true(reg_xlsx_cell_ref("XFD1048576", &col, &row)); /* the last cell of a sheet */
	assert_int_equal(col, 16383);
	assert_int_equal(row, 1048576);

	const char *bad[] = {"", "A", "1", "A0", "a1", "XFE1", "AAAA1", "A1048577", "A1 ", "$A$1", "A-1", "A1B"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_false(reg_xlsx_cell_ref(bad[i], &col, &row));
}

static void test_format_kinds(void **state)
{
	assert_int_equal(reg_xlsx_format_kind("General"), XLSX_NUMBER);
	assert_int_equal(reg_xlsx_format_kind("0.00"), XLSX_NUMBER);
	assert_int_equal(reg_xlsx_format_kind("#,##0.00_);[Red](#,##0.00)"), XLSX_NUMBER);
	assert_int_equal(reg_xlsx_format_kind("0.00E+00"), XLSX_NUMBER);
	assert_int_equal(reg_xlsx_format_kind("0\" days\""), XLSX_NUMBER); /* quoted letters are text */
	assert_int_equal(reg_xlsx_format_kind("0\\d"), XLSX_NUMBER);        /* an escaped letter too */
	assert_int_equal(reg_xlsx_format_kind("[$-804]0"), XLSX_NUMBER);
	assert_int_equal(reg_xlsx_format_kind("yyyy-mm-dd"), XLSX_DATE);
	assert_int_equal(reg_xlsx_format_kind("yyyy\"年\"m\"月\"d\"日\""), XLSX_DATE);
	assert_int_equal(reg_xlsx_format_kind("[$-F800]dddd, mmmm dd, yyyy"), XLSX_DATE);
	assert_int_equal(reg_xlsx_format_kind("mmm-yy"), XLSX_DATE);
	assert_int_equal(reg_xlsx_format_kind("yyyy-mm-dd hh:mm:ss"), XLSX_DATETIME);
	assert_int_equal(reg_xlsx_format_kind("h:mm AM/PM"), XLSX_TIME);
	assert_int_equal(reg_xlsx_format_kind("mm:ss"), XLSX_TIME);
	assert_int_equal(reg_xlsx_format_kind("[h]:mm:ss"), XLSX_TIME);
}

static void test_serial_dates(void **state)
{
	char out[32];
	assert_true(reg_xlsx_serial_text(46143, false, XLSX_DATE, out));
	assert_string_equal(out, "2026-05-01");
	assert_true(reg_xlsx_serial_text(46143.5, false, XLSX_DATETIME, out));
	assert_string_equal(out, "2026-05-01 12:00:00");
	/* a date format with a time of day still shows the time: nothing is lost */
	assert_true(reg_xlsx_serial_text(46143.25, false, XLSX_DATE, out));
	assert_string_equal(out, "2026-05-01 06:00:00");
	assert_true(reg_xlsx_serial_text(46143, false, XLSX_DATETIME, out));
	assert_string_equal(out, "2026-05-01 00:00:00");
	/* rounded to the second: Excel stores 08:01:54 as a binary fraction */
	assert_true(reg_xlsx_serial_text(46362.0 + (8 * 3600 + 1 * 60 + 54) / 86400.0 - 1e-9, false, XLSX_DATETIME, out));
	assert_string_equal(out, "2026-12-06 08:01:54");
	assert_true(reg_xlsx_serial_text(0.75, false, XLSX_TIME, out));
	assert_string_equal(out, "18:00:00");
	/* the 1900 system's phantom 1900-02-29: days before March count one less */
	assert_true(reg_xlsx_serial_text(1, false, XLSX_DATE, out));
	assert_string_equal(out, "1900-01-01");
	assert_true(reg_xlsx_serial_text(59, false, XLSX_DATE, out));
	assert_string_equal(out, "1900-02-28");
	assert_true(reg_xlsx_serial_text(61, false, XLSX_DATE, out));
	assert_string_equal(out, "1900-03-01");
	/* the 1904 system */
	assert_true(reg_xlsx_serial_text(0, true, XLSX_DATE, out));
	assert_string_equal(out, "1904-01-01");
	assert_true(reg_xlsx_serial_text(46143 - 1462, true, XLSX_DATE, out));
	assert_string_equal(out, "2026-05-01");
	assert_true(reg_xlsx_serial_text(2958465, false, XLSX_DATE, out));
	assert_string_equal(out, "9999-12-31");
	/* not a date */
	assert_false(reg_xlsx_serial_text(-1, false, XLSX_DATE, out));
	assert_false(reg_xlsx_serial_text(2958466, false, XLSX_DATE, out));
	assert_false(reg_xlsx_serial_text(1.0 / 0.0, false, XLSX_DATE, out));
}

static void test_not_a_workbook(void **state)
{
	io_grid g;
	yj_err e = {0};
	const char junk[] = "this is not a zip file at all";
	assert_int_equal(reg_xlsx_read(junk, sizeof junk - 1, &g, &e), -1);
	assert_int_equal(e.code, YJ_EINVAL);
	assert_string_equal(e.field, "file");
	assert_non_null(strstr(e.message, "not a valid Excel (.xlsx) file"));
	assert_int_equal(g.rows, 0);

	/* an empty zip (just the end of central directory record): no workbook in it */
	const char empty_zip[22] = "PK\x05\x06";
	assert_int_equal(reg_xlsx_read(empty_zip, sizeof empty_zip, &g, &e), -1);
	assert_int_equal(e.code, YJ_EINVAL);
	assert_non_null(strstr(e.message, "xl/workbook.xml"));
}

static void test_grid(void **state)
{
	io_grid g;
	reg_grid_init(&g);
	for (long r = 0; r < 1000; r++) {
		reg_grid_row(&g, r * 2 + 1);
		if (r % 3 == 0)
			continue; /* a row without cells */
		reg_grid_cell(&g, reg_grid_text(&g, "x", 1));
		reg_grid_cell(&g, "");
	}
	assert_int_equal(g.rows, 1000);
	assert_int_equal(g.row_no[999], 1999);
	assert_true(reg_grid_blank(&g, 0));
	assert_int_equal(reg_grid_cols(&g, 0), 0);
	assert_int_equal(reg_grid_cols(&g, 1), 2);
	assert_string_equal(reg_grid_at(&g, 1, 0), "x");
	assert_string_equal(reg_grid_at(&g, 1, 5), "");
	assert_string_equal(reg_grid_at(&g, 5000, 0), "");
	assert_false(reg_grid_blank(&g, 2));
	reg_grid_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cell_refs),
		cmocka_unit_test(test_format_kinds),
		cmocka_unit_test(test_serial_dates),
		cmocka_unit_test(test_not_a_workbook),
		cmocka_unit_test(test_grid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
