/*
 * io_export.c — lists of entity objects become CSV, GeoJSON or XLSX
 * downloads, with the column table of io_columns.c as the header (so what
 * is exported imports back unchanged): sets "a;b", substances
 * "液氨:12.5;氯气:3", booleans 是/否, choice values by their Chinese label
 * (危险化学品, 蓝色), a reference's id with the name beside it, times in
 * the bureau's time (+08:00: date cells in XLSX, "2026-12-06 08:01:54" in
 * CSV). GeoJSON keeps the codes and RFC 3339 times (data for programs).
 * Runs no SQL.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <xlsxwriter.h>

#include "registry/io_int.h"

/*
 * Spreadsheet formula injection: a CSV cell that starts with = + - @ would be
 * run by Excel. Exports prefix such text (and text that starts with ' before
 * one of those or another ') with ', the spreadsheet's "this is text" mark;
 * imports drop that one mark, so every string reads back as it was.
 */
static bool needs_text_mark(const char *s)
{
	if (s[0] && strchr("=+-@", s[0]))
		return true;
	return s[0] == '\'' && s[1] && strchr("=+-@'", s[1]);
}

/* ---- export ------------------------------------------------------------------------------- */

/* A value as cell text: sets "a;b", substances "name:qty;...", booleans 是/否. */
static void value_text(strbuf *b, const json_t *v)
{
	char num[40];
	switch (json_typeof(v)) {
	case JSON_STRING:
		strbuf_append(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		strbuf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		reg_io_format_real(json_real_value(v), num);
		strbuf_puts(b, num);
		break;
	case JSON_TRUE:
		strbuf_puts(b, "是");
		break;
	case JSON_FALSE:
		strbuf_puts(b, "否");
		break;
	case JSON_ARRAY: {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) {
			if (i)
				strbuf_puts(b, ";");
			json_t *name = json_object_get(item, "name");
			if (json_is_object(item) && json_is_string(name)) {
				value_text(b, name);
				strbuf_puts(b, ":");
				json_t *q = json_object_get(item, "quantity_t");
				if (q)
					value_text(b, q);
			} else {
				value_text(b, item);
			}
		}
		break;
	}
	case JSON_OBJECT: {
		char *s = json_dumps(v, JSON_COMPACT);
		if (s)
			strbuf_puts(b, s);
		free(s);
		break;
	}
	case JSON_NULL:
		break;
	}
}

/* The bureau's local time of an RFC 3339 text (+08:00, as yj_time_format writes it): false when
 * the text is no time. */
static bool local_time(const json_t *v, struct tm *tm)
{
	int64_t ms;
	if (!json_is_string(v) || yj_time_parse(json_string_value(v), &ms, "time", NULL) != 0)
		return false;
	time_t t = (time_t)(ms / 1000 - (ms % 1000 < 0)) + 8 * 3600;
	return gmtime_r(&t, tm) != NULL;
}

/* A cell as a clerk reads it: choice values by their Chinese label, times as local
 * "YYYY-MM-DD HH:MM:SS", the rest as value_text writes it. */
static void cell_text(strbuf *b, const io_col *c, const json_t *v)
{
	const reg_field *f = c->field;
	struct tm tm;
	if (c->date && local_time(v, &tm)) {
		strbuf_printf(b, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		              tm.tm_min, tm.tm_sec);
	} else if (f && f->labels && f->kind == F_ENUM && json_is_string(v)) {
		strbuf_puts(b, reg_choice_label(f, json_string_value(v)));
	} else if (f && f->labels && f->kind == F_ENUM_SET && json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) {
			if (i)
				strbuf_puts(b, ";");
			if (json_is_string(item))
				strbuf_puts(b, reg_choice_label(f, json_string_value(item)));
		}
	} else {
		value_text(b, v);
	}
}

static int export_csv(const io_col *cols, size_t ncols, json_t *rows, strbuf *out)
{
	strbuf_puts(out, "\xEF\xBB\xBF");
	for (size_t c = 0; c < ncols; c++) {
		if (c)
			strbuf_puts(out, ",");
		yj_csv_append_cell(out, reg_io_col_header(&cols[c]));
	}
	strbuf_puts(out, "\r\n");
	strbuf cell;
	strbuf_init(&cell);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		for (size_t c = 0; c < ncols; c++) {
			if (c)
				strbuf_puts(out, ",");
			json_t *v = json_object_get(row, cols[c].name);
			if (!v)
				continue;
			cell.len = 0;
			strbuf_puts(&cell, "'"); /* the text mark, used when needed */
			cell_text(&cell, &cols[c], v);
			bool mark = json_is_string(v) || json_is_array(v) || json_is_object(v);
			yj_csv_append_cell(out, mark && needs_text_mark(cell.data + 1) ? cell.data : cell.data + 1);
		}
		strbuf_puts(out, "\r\n");
	}
	strbuf_free(&cell);
	return 0;
}

static int dump_to_strbuf(const char *buffer, size_t size, void *data)
{
	strbuf_append(data, buffer, size);
	return 0;
}

/* The rows as a FeatureCollection through the registry's one writer (geojson.c): id as the
 * feature's id, lon/lat as its point, every other member a property (choice values as codes:
 * GIS data, not a sheet for people). */
static int export_geojson(json_t *rows, strbuf *out)
{
	reg_gj_open(out, NULL);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		json_t *lon = json_object_get(row, "lon"), *lat = json_object_get(row, "lat");
		bool point = json_is_number(lon) && json_is_number(lat);
		reg_gj_feature_open(out, i == 0, json_integer_value(json_object_get(row, "id")), point,
		                    point ? json_number_value(lon) : 0, point ? json_number_value(lat) : 0);
		const char *key;
		json_t *v;
		json_object_foreach(row, key, v) {
			if (!strcmp(key, "lon") || !strcmp(key, "lat") || !strcmp(key, "id"))
				continue;
			strbuf_puts(out, ",");
			yj_json_escape(out, key);
			strbuf_puts(out, ":");
			if (json_dump_callback(v, dump_to_strbuf, out, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)))
				return -1;
		}
		reg_gj_feature_close(out);
	}
	reg_gj_close(out, -1, -1);
	return 0;
}

/* Column width in characters for the sheet. */
static double xlsx_width(const io_col *c)
{
	if (strcmp(c->name, "name") == 0)
		return 30;
	if (strcmp(c->name, "note") == 0)
		return 40;
	if (c->date)
		return 20;
	if (c->kind == F_CREDIT_CODE || c->kind == F_URL || c->kind == F_SUBSTANCES || c->kind == F_ENUM_SET)
		return 24;
	return 14;
}

/* Characters one Excel cell holds. */
#define EXCEL_CELL_MAX 32767

static int export_xlsx(const reg_entity *ent, const io_col *cols, size_t ncols, json_t *rows, char **body,
		       size_t *len, yj_err *e)
{
	if (json_array_size(rows) >= LXW_ROW_MAX)
		return yj_fail(e, YJ_EUNPROCESSABLE, NULL,
			       "%zu rows do not fit one Excel sheet; export CSV or narrow the list",
			       json_array_size(rows));
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/yingji-export-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		return yj_fail(e, YJ_EINTERNAL, NULL, "cannot create a temporary file in %s: %s", dir,
			       strerror(errno));
	close(fd);

	lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = (char *)dir};
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	if (!wb) {
		unlink(path);
		return yj_fail(e, YJ_EINTERNAL, NULL, "cannot start an Excel workbook");
	}
	const char *sheet = ent->label && *ent->label ? ent->label : ent->name;
	if (workbook_validate_sheet_name(wb, sheet) != LXW_NO_ERROR)
		sheet = "Sheet1";
	lxw_worksheet *ws = workbook_add_worksheet(wb, sheet);
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);
	lxw_format *when = workbook_add_format(wb); /* a date cell in the bureau's time (+08:00) */
	format_set_num_format(when, "yyyy-mm-dd hh:mm:ss");
	for (size_t c = 0; c < ncols; c++)
		worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, xlsx_width(&cols[c]), NULL);
	worksheet_freeze_panes(ws, 1, 0);
	for (size_t c = 0; c < ncols; c++)
		worksheet_write_string(ws, 0, (lxw_col_t)c, reg_io_col_header(&cols[c]), bold);

	strbuf cell;
	strbuf_init(&cell);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		lxw_row_t r = (lxw_row_t)i + 1;
		for (size_t c = 0; c < ncols; c++) {
			json_t *v = json_object_get(row, cols[c].name);
			if (!v || json_is_null(v))
				continue;
			if (json_is_number(v)) {
				worksheet_write_number(ws, r, (lxw_col_t)c, json_number_value(v), NULL);
				continue;
			}
			struct tm tm;
			if (cols[c].date && local_time(v, &tm)) {
				lxw_datetime dt = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
				worksheet_write_datetime(ws, r, (lxw_col_t)c, &dt, when);
				continue;
			}
			cell.len = 0;
			strbuf_puts(&cell, "");
			cell_text(&cell, &cols[c], v);
			if (cell.len > EXCEL_CELL_MAX) { /* bytes >= characters; cut at a character */
				size_t cut = EXCEL_CELL_MAX;
				while (cut && (cell.data[cut] & 0xC0) == 0x80)
					cut--;
				cell.data[cut] = 0;
			}
			worksheet_write_string(ws, r, (lxw_col_t)c, cell.data, NULL);
		}
	}
	strbuf_free(&cell);
	lxw_error err = workbook_close(wb);
	if (err != LXW_NO_ERROR) {
		unlink(path);
		return yj_fail(e, YJ_EINTERNAL, NULL, "writing the Excel workbook failed: %s", lxw_strerror(err));
	}
	*body = yj_read_file(path, len, e);
	unlink(path);
	return *body ? 0 : -1;
}

/*
 * See registry.h. Columns: id, name, area_code, lon, lat, note, the entity's
 * fields, created, updated; members not among them are left out of CSV and
 * XLSX (GeoJSON keeps every member in properties, lon/lat as the geometry).
 * *body is malloc'ed (free it); *content_type is a constant.
 */
int reg_export_render(const reg_entity *ent, reg_export_format fmt, json_t *rows, char **body, size_t *len,
		      const char **content_type, yj_err *e)
{
	*body = NULL;
	*len = 0;
	if (!json_is_array(rows))
		return yj_fail(e, YJ_EINTERNAL, NULL, "export rows are not a JSON array");
	size_t ncols;
	io_col *cols = reg_io_columns(ent, &ncols);
	int rc = 0;
	strbuf out;
	strbuf_init(&out);
	switch (fmt) {
	case REG_EXPORT_CSV:
		export_csv(cols, ncols, rows, &out);
		*content_type = "text/csv; charset=utf-8";
		*body = strbuf_take(&out, len);
		break;
	case REG_EXPORT_GEOJSON:
		if (export_geojson(rows, &out) != 0) {
			rc = yj_fail(e, YJ_EINTERNAL, NULL, "writing GeoJSON failed");
			break;
		}
		*content_type = REG_GEOJSON_TYPE;
		*body = strbuf_take(&out, len);
		break;
	case REG_EXPORT_XLSX:
		rc = export_xlsx(ent, cols, ncols, rows, body, len, e);
		if (rc == 0)
			*content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
		break;
	default:
		rc = yj_fail(e, YJ_EINVAL, "format", "unknown export format");
	}
	strbuf_free(&out);
	free(cols);
	return rc;
}
