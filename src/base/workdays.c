/*
 * workdays.c — working days (工作日) from the holiday calendar kept as data.
 *
 * data/holidays_cn.csv is pulled into .rodata with .incbin (as
 * src/geo/geo_data.c does for the city's files) and parsed once into two
 * sorted arrays of local days: those made days off (放假) and those made
 * working days (调休上班). A day is a working day when it is listed as
 * one, or is not listed as off and falls from Monday to Friday. Years the
 * file does not hold fall back to the fixed-date statutory holidays.
 *
 * Not here: what a period means for a case (src/enforce/case_steps.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "base/workdays.h"

#ifndef YJ_DATA_DIR
#error "YJ_DATA_DIR must name the data folder (the Makefile passes it)"
#endif

__asm__(".pushsection .rodata\n"
	".balign 16\n"
	".type yj_holidays_csv, @object\n"
	"yj_holidays_csv:\n"
	".incbin \"" YJ_DATA_DIR "/holidays_cn.csv\"\n"
	"yj_holidays_csv_end:\n"
	".byte 0\n"
	".popsection\n");
extern const char yj_holidays_csv[], yj_holidays_csv_end[];

enum { LOCAL_OFFSET_MS = 8 * 3600 * 1000, DAY_MS = 86400 * 1000, MAX_YEARS = 64 };

static struct {
	int64_t *off, *work;
	size_t noff, nwork;
	int first_year;
	unsigned char source[MAX_YEARS]; /* yj_workdays_source of first_year + i */
} cal;
static pthread_once_t cal_once = PTHREAD_ONCE_INIT;

/* ---- days ----------------------------------------------------------------------------------------- */

/* floor division, so that days before 1970 round down too */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int64_t yj_day_of(int64_t ms)
{
	return floor_div(ms + LOCAL_OFFSET_MS, DAY_MS);
}

int64_t yj_day_start(int64_t day)
{
	return day * DAY_MS - LOCAL_OFFSET_MS;
}

void yj_day_format(int64_t day, char out[11])
{
	char t[40];
	yj_time_format(yj_day_start(day), t); /* local time: the date comes first */
	memcpy(out, t, 10);
	out[10] = 0;
}

void yj_day_chinese(int64_t day, char out[32])
{
	char d[11];
	yj_day_format(day, d);
	snprintf(out, 32, "%d年%d月%d日", atoi(d), atoi(d + 5), atoi(d + 8));
}

int yj_day_parse(const char *s, int64_t *day)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	char t[40];
	int64_t ms;
	snprintf(t, sizeof t, "%.10sT00:00:00+08:00", s);
	if (yj_time_parse(t, &ms, "date", NULL))
		return -1;
	*day = yj_day_of(ms);
	return 0;
}

int yj_day_weekday(int64_t day)
{
	return (int)(((day + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
}

/* ---- the calendar ----------------------------------------------------------------------------------- */

static int cmp_day(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void cal_load(void)
{
	yj_csv t;
	yj_err e = {0};
	size_t len = (size_t)(yj_holidays_csv_end - yj_holidays_csv);
	if (yj_csv_parse(yj_holidays_csv, len, &t, &e)) {
		yj_log(YJ_LOG_ERROR, "holidays_unreadable", "message=\"%s\"", e.message);
		return;
	}
	size_t cap = t.rows, bad = 0;
	cal.off = yj_calloc(cap + 1, sizeof *cal.off);
	cal.work = yj_calloc(cap + 1, sizeof *cal.work);
	cal.first_year = 2022;
	for (size_t r = 1; r < t.rows; r++) {
		if (yj_csv_row_blank(&t, r))
			continue;
		int64_t day;
		const char *kind = yj_csv_cell(&t, r, 1), *source = yj_csv_cell(&t, r, 4);
		int year = atoi(yj_csv_cell(&t, r, 3));
		if (yj_day_parse(yj_csv_cell(&t, r, 0), &day) || (strcmp(kind, "off") && strcmp(kind, "work"))) {
			bad++;
			continue;
		}
		if (!strcmp(kind, "off"))
			cal.off[cal.noff++] = day;
		else
			cal.work[cal.nwork++] = day;
		int i = year - cal.first_year;
		if (i >= 0 && i < MAX_YEARS) {
			int src = strstr(source, "国办发") ? 2 : 1;
			if (src > cal.source[i])
				cal.source[i] = (unsigned char)src;
		}
	}
	yj_csv_free(&t);
	if (bad)
		yj_log(YJ_LOG_ERROR, "holidays_rows_skipped", "rows=%zu", bad);
	qsort(cal.off, cal.noff, sizeof *cal.off, cmp_day);
	qsort(cal.work, cal.nwork, sizeof *cal.work, cmp_day);
}

static bool listed(const int64_t *days, size_t n, int64_t day)
{
	return n && bsearch(&day, days, n, sizeof *days, cmp_day) != NULL;
}

int yj_workdays_source(int year)
{
	pthread_once(&cal_once, cal_load);
	int i = year - cal.first_year;
	return i >= 0 && i < MAX_YEARS ? cal.source[i] : 0;
}

/* the fixed-date statutory holidays, for years the calendar does not hold */
static bool fixed_holiday(int64_t day)
{
	static const char *const fixed[] = {"01-01", "05-01", "05-02", "10-01", "10-02", "10-03"};
	char d[11];
	yj_day_format(day, d);
	for (size_t i = 0; i < YJ_ARRAY_LEN(fixed); i++)
		if (!strcmp(d + 5, fixed[i]))
			return true;
	return false;
}

bool yj_workday(int64_t day)
{
	pthread_once(&cal_once, cal_load);
	if (listed(cal.work, cal.nwork, day))
		return true;
	if (listed(cal.off, cal.noff, day))
		return false;
	int wd = yj_day_weekday(day);
	if (wd == 0 || wd == 6)
		return false;
	char d[11];
	yj_day_format(day, d);
	if (yj_workdays_source(atoi(d)) > 0)
		return true;
	static int told;
	if (!__atomic_exchange_n(&told, 1, __ATOMIC_RELAXED))
		yj_log(YJ_LOG_WARN, "holidays_unknown_year", "year=%d note=\"data/holidays_cn.csv holds no notice for it\"",
		       atoi(d));
	return !fixed_holiday(day);
}

int64_t yj_workdays_after(int64_t day, int n)
{
	while (n > 0) {
		day++;
		if (yj_workday(day))
			n--;
	}
	return day;
}
