/*
 * workdays.h — local calendar days and working days (工作日), for every
 * period the law counts in working days: the Administrative Penalty Law's
 * "二日、三日、五日、七日" (第八十五条: 工作日，不含法定节假日) in penalty
 * cases, and licensing's time limits.
 *
 * A day is a local (+08:00, the bureau's) calendar date, held as the
 * number of days since 1970-01-01. Working days come from the holiday
 * calendar data/holidays_cn.csv (embedded; data/README.md names each
 * year's State Council notice): a listed `off` day is not a working day,
 * a listed `work` day (调休上班, a weekend day made a working day) is;
 * every other day is one from Monday to Friday. Years the calendar does
 * not hold count Monday–Friday less the fixed-date statutory holidays
 * (元旦, 5月1–2日, 10月1–3日).
 *
 * Counting follows the rule of Chinese procedure law that the day an
 * event happens is not counted (期间开始的日，不计算在期间内): a period of
 * n working days after a notice served on day d ends at the end of
 * yj_workdays_after(d, n), and what waits for it may happen from the next
 * day on.
 *
 * Thread-safe: the calendar is parsed once, on first use.
 */
#ifndef YJ_WORKDAYS_H
#define YJ_WORKDAYS_H

#include <stdbool.h>
#include <stdint.h>

/* the local day of instant ms (UTC milliseconds) */
int64_t yj_day_of(int64_t ms);
/* the instant (UTC ms) at which local day starts (00:00 +08:00) */
int64_t yj_day_start(int64_t day);
/* "2024-10-08" */
void yj_day_format(int64_t day, char out[11]);
/* "2024年10月8日" */
void yj_day_chinese(int64_t day, char out[32]);
/* "YYYY-MM-DD" into *day: 0, or -1 when it is not a date */
int yj_day_parse(const char *s, int64_t *day);
/* 0 Sunday .. 6 Saturday */
int yj_day_weekday(int64_t day);

/* true when day is a working day */
bool yj_workday(int64_t day);
/* The n-th working day after day (day itself not counted); n <= 0: day. */
int64_t yj_workdays_after(int64_t day, int n);
/* What the calendar knows of year: 2 the State Council's notice (holidays and make-up days),
 * 1 the statutory holidays only (the notice not yet in the data), 0 nothing (fixed-date days only). */
int yj_workdays_source(int year);

#endif
