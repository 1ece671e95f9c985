/*
 * geo_csv.c — the embedded CSV files of the area tree (towns, seats,
 * villages, village points) as tables with named columns, checked as they
 * are read: every record has the header's cells, every point is a lon/lat
 * (converted from GCJ-02 where the file says so). And the loader's notes.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "geo/geo_int.h"

void geo_csv_free(geo_csv *t)
{
	yj_csv_free(&t->csv);
	memset(t, 0, sizeof *t);
}

int geo_csv_load(geo_csv *t, const char *file, yj_err *e)
{
	memset(t, 0, sizeof *t);
	t->file = file;
	size_t len;
	const char *src = geo_data_file(file, &len);
	if (!src)
		return yj_fail(e, YJ_EINTERNAL, NULL, "embedded data file %s is missing", file);
	yj_err ce = {0};
	if (yj_csv_parse(src, len, &t->csv, &ce) != 0)
		return yj_fail(e, YJ_EINTERNAL, NULL, "%s: %s", file, ce.message);
	if (t->csv.rows == 0) {
		geo_csv_free(t);
		return yj_fail(e, YJ_EINTERNAL, NULL, "%s is empty", file);
	}
	t->ncols = yj_csv_row_cols(&t->csv, 0);
	for (size_t r = 1; r < t->csv.rows; r++) {
		size_t fields = yj_csv_row_cols(&t->csv, r);
		if (fields != t->ncols) {
			long line = yj_csv_row_line(&t->csv, r);
			geo_csv_free(t);
			return yj_fail(e, YJ_EINTERNAL, NULL, "%s line %ld: %zu fields, the header has %zu", file,
				       line, fields, t->ncols);
		}
	}
	t->rows = t->csv.rows - 1;
	return 0;
}

/* Column index of a header name, or -1 with *e filled. */
int geo_csv_col(const geo_csv *t, const char *name, yj_err *e)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(yj_csv_cell(&t->csv, 0, i), name) == 0)
			return (int)i;
	return yj_fail(e, YJ_EINTERNAL, NULL, "%s has no column '%s'", t->file, name);
}

const char *geo_csv_get(const geo_csv *t, size_t row, int col)
{
	return yj_csv_cell(&t->csv, row + 1, (size_t)col);
}

/* Finds the data row whose column col equals value; -1 when none. */
long geo_csv_find(const geo_csv *t, int col, const char *value)
{
	for (size_t r = 0; r < t->rows; r++)
		if (strcmp(geo_csv_get(t, r, col), value) == 0)
			return (long)r;
	return -1;
}

bool geo_all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * A lon/lat pair from two cells, converted to WGS84 when crs says GCJ02.
 * Returns 0, or -1 with *e naming file and row.
 */
int geo_csv_point(const geo_csv *t, size_t row, int c_lon, int c_lat, int c_crs, double *lon,
		     double *lat, yj_err *e)
{
	const char *s_lon = geo_csv_get(t, row, c_lon), *s_lat = geo_csv_get(t, row, c_lat);
	char *end_lon, *end_lat;
	errno = 0;
	double x = strtod(s_lon, &end_lon);
	double y = strtod(s_lat, &end_lat);
	if (errno || *end_lon || *end_lat || !*s_lon || !*s_lat || !isfinite(x) || !isfinite(y) || x < -180 ||
	    x > 180 || y < -90 || y > 90)
		return yj_fail(e, YJ_EINTERNAL, NULL, "%s row %zu: '%s,%s' is not a lon/lat", t->file, row + 2,
			       s_lon, s_lat);
	const char *crs = c_crs >= 0 ? geo_csv_get(t, row, c_crs) : "GCJ02";
	if (strcmp(crs, "GCJ02") == 0)
		geo_gcj02_to_wgs84(x, y, lon, lat);
	else if (strcmp(crs, "WGS84") == 0)
		*lon = x, *lat = y;
	else
		return yj_fail(e, YJ_EINTERNAL, NULL, "%s row %zu: unknown crs '%s'", t->file, row + 2, crs);
	return 0;
}

/* ---- notes ------------------------------------------------------------------ */

/* Appends a sentence to a note, separated by "; ". */
void geo_note_add(strbuf *note, const char *fmt, ...)
{
	if (note->len)
		strbuf_puts(note, "; ");
	va_list ap;
	va_start(ap, fmt);
	char tmp[512];
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	strbuf_puts(note, tmp);
}
