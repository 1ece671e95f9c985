/* Unit tests of the working-day arithmetic (src/base/workdays.c) on real
 * dates of the holiday calendar: a Friday notice before the 2024 National
 * Day week (with its make-up Sunday before and Saturday after), the 2025
 * Spring Festival, a make-up Saturday counting, the provisional 2027 rows,
 * a year the calendar does not hold, and the day conversions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/base.h"
#include "base/workdays.h"

static int64_t day(const char *s)
{
	int64_t d = 0;
	assert_int_equal(yj_day_parse(s, &d), 0);
	return d;
}

/* the n-th working day after date s, as text */
static const char *after(const char *s, int n)
{
	static char out[11];
	yj_day_format(yj_workdays_after(day(s), n), out);
	return out;
}

static void test_days(void **state)
{
	char out[32];
	assert_int_equal(day("1970-01-01"), 0);
	assert_int_equal(yj_day_weekday(day("2024-09-27")), 5); /* a Friday */
	assert_int_equal(yj_day_weekday(day("1969-12-31")), 3);
	yj_day_format(day("2024-02-29"), out);
	assert_string_equal(out, "2024-02-29");
	yj_day_chinese(day("2024-10-08"), out);
	assert_string_equal(out, "2024年10月8日");
	int64_t d;
	assert_int_equal(yj_day_parse("2023-02-29", &d), -1);
	assert_int_equal(yj_day_parse("2024-9-27", &d), -1);
	assert_int_equal(yj_day_parse(NULL, &d), -1);
	/* local midnight: 2024-09-27 00:00 +08:00 is 09-26 16:00 UTC */
	int64_t ms;
	assert_int_equal(yj_time_parse("2024-09-26T16:00:00Z", &ms, "t", NULL), 0);
	assert_int_equal(yj_day_start(day("2024-09-27")), ms);
	assert_int_equal(yj_day_of(ms), day("2024-09-27"));
	assert_int_equal(yj_day_of(ms - 1), day("2024-09-26"));
}

/* 国办发明电〔2023〕7号: 国庆节 10月1日至7日放假调休，9月29日（星期日）、10月12日（星期六）上班 */
static void test_national_day_2024(void **state)
{
	assert_true(yj_workday(day("2024-09-29")));  /* a Sunday made a working day */
	assert_false(yj_workday(day("2024-09-28"))); /* an ordinary Saturday */
	assert_false(yj_workday(day("2024-10-01")));
	assert_false(yj_workday(day("2024-10-07"))); /* a Monday of the holiday */
	assert_true(yj_workday(day("2024-10-12")));  /* a Saturday made a working day */
	/* a notice served on Friday 27 September: 29 Sep, 30 Sep, 8 Oct, 9 Oct, 10 Oct */
	assert_string_equal(after("2024-09-27", 1), "2024-09-29");
	assert_string_equal(after("2024-09-27", 2), "2024-09-30");
	assert_string_equal(after("2024-09-27", 3), "2024-10-08"); /* the statement period */
	assert_string_equal(after("2024-09-27", 5), "2024-10-10"); /* the hearing-request period */
	assert_string_equal(after("2024-09-27", 7), "2024-10-12"); /* seven days' notice of a hearing */
	assert_string_equal(after("2024-09-27", 0), "2024-09-27");
}

static void test_other_years(void **state)
{
	/* 2025 (国办发明电〔2024〕12号): 春节 1月28日至2月4日, 1月26日（周日）、2月8日（周六）上班 */
	assert_string_equal(after("2025-01-24", 1), "2025-01-26");
	assert_string_equal(after("2025-01-24", 3), "2025-02-05");
	assert_string_equal(after("2025-01-24", 5), "2025-02-07");
	assert_string_equal(after("2025-01-24", 6), "2025-02-08");
	/* 2023: 元旦 2022年12月31日至2023年1月2日 */
	assert_string_equal(after("2022-12-30", 1), "2023-01-03");
	/* 2026 (国办发明电〔2025〕7号): 元旦 1月1日至3日, 1月4日（周日）上班 */
	assert_string_equal(after("2025-12-31", 1), "2026-01-04");
	/* an ordinary week: Monday plus five is the next Monday */
	assert_string_equal(after("2024-11-04", 5), "2024-11-11");
	assert_int_equal(yj_workdays_source(2022), 2);
	assert_int_equal(yj_workdays_source(2026), 2);
}

static void test_provisional_and_unknown(void **state)
{
	/* 2027 holds the statutory days only: 春节 from 除夕 2月5日 to 2月8日 */
	assert_int_equal(yj_workdays_source(2027), 1);
	assert_false(yj_workday(day("2027-02-05")));
	assert_false(yj_workday(day("2027-02-08")));
	assert_true(yj_workday(day("2027-02-09")));
	assert_string_equal(after("2027-02-04", 1), "2027-02-09");
	/* a year the calendar does not hold: Monday to Friday less the fixed-date days */
	assert_int_equal(yj_workdays_source(2031), 0);
	assert_false(yj_workday(day("2031-10-01"))); /* a Wednesday, 国庆节 */
	assert_true(yj_workday(day("2031-10-06")));
	assert_string_equal(after("2031-09-30", 1), "2031-10-06");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_national_day_2024),
		cmocka_unit_test(test_other_years),
		cmocka_unit_test(test_provisional_and_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
