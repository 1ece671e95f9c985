/*
 * io_import.c — uploaded CSV, XLSX or GeoJSON files become JSON objects for
 * the validator, one per data row, in the entity's field types: sets are
 * "a;b", substances "液氨:12.5;氯气:3", booleans 是/否 (as exports write
 * them, so an export reads back unchanged).
 *
 * Row numbers: every object carries "_row", the number its problems use (the
 * caller removes it before validating). For CSV it is the line of the file
 * where the record starts: header = line 1, first data row = line 2; blank
 * lines are skipped but counted, and a quoted cell with line breaks moves
 * the records after it down by as many lines (so a spreadsheet's row number
 * can be smaller). For XLSX it is the sheet's row number as Excel shows it.
 * For GeoJSON it is the feature's position, first = 1.
 *
 * CSV and XLSX are both read into a table of cells (io_grid, XLSX by
 * io_xlsx.c) and one function, import_grid, makes the objects, so the two
 * cannot drift apart.
 *
 * An empty cell is a null member: nothing for a new object, and for an
 * update (a row with 编号) the field is cleared, as the sheet shows it.
 *
 * This file converts and reports; it does not validate ranges, enums,
 * references or credit codes (reg_validate does) and runs no SQL.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "registry/io_int.h"

/* ---- text helpers ------------------------------------------------------------- */

/* Next item of a list separated by ';' or '；', trimmed, empty items skipped. */
static bool list_next(const char **cur, const char **item, size_t *n)
{
	const char *s = *cur;
	while (*s) {
		const char *stop = s;
		size_t sep = 0;
		for (; *stop; stop++) {
			if (*stop == ';') {
				sep = 1;
				break;
			}
			if (strncmp(stop, "\xEF\xBC\x9B", 3) == 0) {
				sep = 3;
				break;
			}
		}
		const char *start = s;
		size_t len = (size_t)(stop - s);
		s = stop + sep;
		reg_io_trim(&start, &len);
		if (len) {
			*cur = s;
			*item = start;
			*n = len;
			return true;
		}
	}
	*cur = s;
	return false;
}

/* A short quote of a value for a message. */
static const char *excerpt(const char *s, char out[64])
{
	reg_io_copy_utf8(out, 64, s, strlen(s));
	return out;
}

/* A decimal number (no hex, inf or nan) filling all of s. */
static bool parse_number(const char *s, double *out)
{
	if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* A whole number (also written 12.0 or 1e3) within ±2^53. */
static bool parse_whole(const char *s, json_int_t *out)
{
	double v;
	if (!parse_number(s, &v) || v != floor(v) || fabs(v) > 9007199254740992.0)
		return false;
	*out = (json_int_t)v;
	return true;
}

/* ---- cell conversion -------------------------------------------------------------- */

/* Where a value came from, for problem messages. */
typedef struct cell_ctx {
	reg_problems *p;
	long row;
	const char *where;    /* "column E (经度)" or "property '经度'" */
	const char *where_zh; /* the same in Chinese: "E 列（经度）", "属性 经度" */
} cell_ctx;

/* A problem with a cell: where it is, then what is wrong (fmt, in the catalog), in both languages */
static void cell_problem(const cell_ctx *x, const io_col *c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cell_problem(const cell_ctx *x, const io_col *c, const char *fmt, ...)
{
	char en[320], zh[480], what[256], what_zh[384];
	va_list ap, zh_ap;
	va_start(ap, fmt);
	va_copy(zh_ap, ap);
	vsnprintf(what, sizeof what, fmt, ap);
	yj_vformat_zh(what_zh, sizeof what_zh, fmt, zh_ap);
	va_end(zh_ap);
	va_end(ap);
	snprintf(en, sizeof en, "%s: %s", x->where, what);
	snprintf(zh, sizeof zh, "%s：%s", x->where_zh, what_zh);
	reg_problems_add_text(x->p, x->row, c->name, en, zh);
}

/*
 * The JSON value of a trimmed, non-empty text s for column c; NULL with a
 * problem when s does not read as the column's kind.
 */
static json_t *cell_value(const io_col *c, const char *s, const cell_ctx *x)
{
	json_int_t i;
	double d;
	char q1[64], q2[64];
	switch (c->kind) {
	case F_ENUM: {
		/* a label (危险化学品) or a code; anything else goes on to the validator's words */
		const char *code = reg_choice_code(c->field, s);
		return json_string(code ? code : s);
	}
	case F_TEXT:
	case F_URL:
	case F_PHONE:
	case F_CREDIT_CODE:
		return json_string(s);
	case F_INT:
	case F_REF:
		if (parse_whole(s, &i))
			return json_integer(i);
		if (c->kind == F_REF)
			cell_problem(x, c, "'%s' is not an id", excerpt(s, q1));
		else
			cell_problem(x, c, "'%s' is not a whole number", excerpt(s, q1));
		return NULL;
	case F_REAL:
		if (parse_number(s, &d))
			return json_real(d);
		cell_problem(x, c, "'%s' is not a number", excerpt(s, q1));
		return NULL;
	case F_BOOL: {
		static const struct {
			const char *text;
			bool value;
		} words[] = {{"true", true}, {"false", false}, {"1", true},  {"0", false},
			     {"是", true},   {"否", false},    {"yes", true}, {"no", false}};
		for (size_t k = 0; k < YJ_ARRAY_LEN(words); k++)
			if (strcasecmp(s, words[k].text) == 0)
				return json_boolean(words[k].value);
		cell_problem(x, c, "'%s' is not 是/否 (true/false)", excerpt(s, q1));
		return NULL;
	}
	case F_ENUM_SET:
	case F_REF_SET:
	case F_SUBSTANCES: {
		json_t *arr = json_array();
		const char *cur = s, *item;
		size_t n;
		while (list_next(&cur, &item, &n)) {
			char *one = yj_strndup(item, n);
			json_t *v = NULL;
			if (c->kind == F_ENUM_SET) {
				const char *code = reg_choice_code(c->field, one);
				v = json_string(code ? code : one);
			} else if (c->kind == F_REF_SET) {
				if (parse_whole(one, &i))
					v = json_integer(i);
				else
					cell_problem(x, c, "'%s' in '%s' is not an id", excerpt(one, q1), excerpt(s, q2));
			} else {
				/* name:quantity, the last ':' or '：' splits; "t" or "吨" may follow */
				char *colon = NULL;
				size_t clen = 0;
				for (char *q = one; *q; q++) {
					if (*q == ':')
						colon = q, clen = 1;
					else if (strncmp(q, "\xEF\xBC\x9A", 3) == 0)
						colon = q, clen = 3;
				}
				const char *name = one, *qty = colon ? colon + clen : "";
				size_t name_len = colon ? (size_t)(colon - one) : 0, qty_len = strlen(qty);
				reg_io_trim(&name, &name_len);
				reg_io_trim(&qty, &qty_len);
				if (qty_len >= 3 && memcmp(qty + qty_len - 3, "吨", 3) == 0)
					qty_len -= 3;
				else if (qty_len >= 1 && (qty[qty_len - 1] == 't' || qty[qty_len - 1] == 'T'))
					qty_len -= 1;
				reg_io_trim(&qty, &qty_len);
				char qbuf[64] = "";
				if (qty_len < sizeof qbuf)
					memcpy(qbuf, qty, qty_len), qbuf[qty_len] = 0;
				if (colon && name_len && parse_number(qbuf, &d)) {
					v = json_object();
					json_object_set_new(v, "name", json_stringn(name, name_len));
					json_object_set_new(v, "quantity_t", json_real(d));
				} else {
					cell_problem(x, c, "'%s' is not name:tonnes (write 液氨:12.5;氯气:3)", excerpt(one, q1));
				}
			}
			free(one);
			if (v)
				json_array_append_new(arr, v);
		}
		return arr;
	}
	}
	return NULL;
}

/* ---- a table of cells (CSV, XLSX) ------------------------------------------------------ */

/*
 * The objects of a grid: the first non-blank row is the header, each later
 * non-blank row one object. CSV and XLSX both come here, so they match
 * headers, read labels and codes, and word their problems the same way.
 */
static json_t *import_grid(const reg_entity *ent, const io_col *cols, size_t ncols, const io_grid *t,
			   reg_problems *p, yj_err *e)
{
	size_t hrow = 0; /* the header is the first non-blank record */
	while (hrow < t->rows && reg_grid_blank(t, hrow))
		hrow++;
	if (hrow == t->rows) {
		yj_fail(e, YJ_EINVAL, "file", "the file has no header: its first line must name the columns");
		return NULL;
	}
	long hline = t->row_no[hrow];

	/* the header: which column each cell names */
	size_t hcols = reg_grid_cols(t, hrow);
	const io_col **map = yj_calloc(hcols ? hcols : 1, sizeof *map);
	char (*where)[160] = yj_calloc(hcols ? hcols : 1, sizeof *where);
	char (*where_zh)[160] = yj_calloc(hcols ? hcols : 1, sizeof *where_zh);
	for (size_t c = 0; c < hcols; c++) {
		char letters[8];
		reg_io_col_letters(c, letters);
		const char *h = reg_grid_at(t, hrow, c);
		size_t hn = strlen(h);
		reg_io_trim(&h, &hn);
		while (hn && h[hn - 1] == '*') /* "名称*": a template's required mark */
			hn--;
		char header[64];
		reg_io_copy_utf8(header, sizeof header, h, hn);
		snprintf(where[c], sizeof where[c], "column %s (%s)", letters, header);
		yj_format_zh(where_zh[c], sizeof where_zh[c], "column %s (%s)", letters, header);
		if (!*header) {
			for (size_t r = hrow + 1; r < t->rows; r++)
				if (*reg_grid_at(t, r, c)) {
					reg_problems_add(p, hline, "", "column %s has data but no header", letters);
					break;
				}
			continue;
		}
		const io_col *m = reg_io_col_match(cols, ncols, header);
		if (!m) {
			reg_problems_add(p, hline, header, "column %s: '%s' is not a column of %s", letters, header,
					 ent->label ? ent->label : ent->name);
			continue;
		}
		bool repeated = false;
		for (size_t k = 0; k < c && !m->assigned && !repeated; k++)
			if (map[k] == m) {
				char first[8];
				reg_io_col_letters(k, first);
				reg_problems_add(p, hline, m->name, "columns %s and %s both give %s", first, letters,
						 reg_io_col_header(m));
				repeated = true;
			}
		map[c] = repeated ? NULL : m;
	}

	json_t *arr = json_array();
	strbuf cell;
	strbuf_init(&cell);
	for (size_t r = hrow + 1; r < t->rows; r++) {
		if (reg_grid_blank(t, r))
			continue;
		long row = t->row_no[r];
		json_t *obj = json_object();
		json_object_set_new(obj, "_row", json_integer(row));
		size_t have = reg_grid_cols(t, r);
		for (size_t c = hcols; c < have; c++)
			if (*reg_grid_at(t, r, c)) {
				reg_problems_add(p, row, "", "%zu cells, but the header names %zu columns", have, hcols);
				break;
			}
		for (size_t c = 0; c < hcols; c++) {
			const io_col *m = map[c];
			if (!m || m->assigned)
				continue;
			const char *s = reg_grid_at(t, r, c);
			size_t n = strlen(s);
			reg_io_trim(&s, &n);
			if (!n) { /* an empty cell: no value (an update clears the field) */
				json_object_set_new(obj, m->name, json_null());
				continue;
			}
			if (t->text_marks && n >= 2 && s[0] == '\'' && strchr("=+-@'", s[1]))
				s++, n--;
			cell.len = 0;
			strbuf_append(&cell, s, n);
			cell_ctx x = {p, row, where[c], where_zh[c]};
			json_t *v = cell_value(m, cell.data, &x);
			if (v)
				json_object_set_new(obj, m->name, v);
		}
		json_array_append_new(arr, obj);
	}
	strbuf_free(&cell);
	free(map);
	free(where);
	free(where_zh);
	return arr;
}

/* CSV text as a grid: the cells stay in the parsed file, the row numbers are its lines. */
static json_t *import_csv(const reg_entity *ent, const io_col *cols, size_t ncols, const char *body,
			  size_t len, reg_problems *p, yj_err *e)
{
	yj_csv t;
	if (yj_csv_parse(body, len, &t, e) != 0)
		return NULL;
	io_grid g;
	reg_grid_init(&g);
	g.text_marks = true;
	for (size_t r = 0; r < t.rows; r++) {
		reg_grid_row(&g, yj_csv_row_line(&t, r));
		size_t n = yj_csv_row_cols(&t, r);
		for (size_t c = 0; c < n; c++)
			reg_grid_cell(&g, yj_csv_cell(&t, r, c));
	}
	json_t *arr = import_grid(ent, cols, ncols, &g, p, e);
	reg_grid_free(&g);
	yj_csv_free(&t);
	return arr;
}

/* The first sheet of an Excel workbook as a grid (io_xlsx.c): Excel's row numbers. */
static json_t *import_xlsx(const reg_entity *ent, const io_col *cols, size_t ncols, const char *body,
			   size_t len, reg_problems *p, yj_err *e)
{
	io_grid g;
	if (reg_xlsx_read(body, len, &g, e) != 0)
		return NULL;
	json_t *arr = import_grid(ent, cols, ncols, &g, p, e);
	reg_grid_free(&g);
	return arr;
}

/* ---- GeoJSON import ------------------------------------------------------------------- */

/* The feature's id (a number, or a string of digits as some tools write it) as obj's "id"; it
 * must agree with an "id" (编号) among the properties. */
static void import_feature_id(json_t *obj, json_t *fid, long row, reg_problems *p)
{
	if (!fid || json_is_null(fid))
		return;
	json_int_t id;
	char num[64];
	if (json_is_integer(fid))
		id = json_integer_value(fid);
	else if (!json_is_string(fid) || !parse_whole(json_string_value(fid), &id)) {
		reg_problems_add(p, row, "id", "要素编号 (id) %s 不是本系统的编号: 删除它即新建",
		                 json_is_string(fid) ? excerpt(json_string_value(fid), num) : "");
		return;
	}
	json_t *prop = json_object_get(obj, "id");
	if (json_is_integer(prop) && json_integer_value(prop) != id)
		reg_problems_add(p, row, "id", "要素编号 %" JSON_INTEGER_FORMAT " 与属性中的编号 %" JSON_INTEGER_FORMAT " 不一致",
		                 id, json_integer_value(prop));
	else
		json_object_set_new(obj, "id", json_integer(id));
}

/* Fill lon/lat of obj from a Point geometry (null: no place); a problem for anything else. */
static void import_geometry(json_t *obj, json_t *geom, long row, reg_problems *p)
{
	if (json_is_null(geom)) {
		json_object_set_new(obj, "lon", json_null());
		json_object_set_new(obj, "lat", json_null());
		return;
	}
	const char *type = json_string_value(json_object_get(geom, "type"));
	if (!type) {
		reg_problems_add(p, row, "geometry", "geometry has no type");
		return;
	}
	if (strcmp(type, "Point") != 0) {
		reg_problems_add(p, row, "geometry", "a %s geometry cannot be imported; only Point (or null)", type);
		return;
	}
	json_t *xy = json_object_get(geom, "coordinates");
	if (!json_is_array(xy) || json_array_size(xy) < 2 || !json_is_number(json_array_get(xy, 0)) ||
	    !json_is_number(json_array_get(xy, 1))) {
		reg_problems_add(p, row, "geometry", "Point coordinates must be [lon, lat] numbers");
		return;
	}
	json_object_set_new(obj, "lon", json_real(json_number_value(json_array_get(xy, 0))));
	json_object_set_new(obj, "lat", json_real(json_number_value(json_array_get(xy, 1))));
}

static json_t *import_geojson(const reg_entity *ent, const io_col *cols, size_t ncols, const char *body,
			      size_t len, reg_problems *p, yj_err *e)
{
	if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0)
		body += 3, len -= 3;
	json_error_t je;
	json_t *root = json_loadb(body, len, 0, &je);
	if (!root) {
		yj_fail(e, YJ_EINVAL, "file", "not valid JSON (line %d, column %d): %s", je.line, je.column, je.text);
		return NULL;
	}
	const char *type = json_string_value(json_object_get(root, "type"));
	json_t *features = NULL;
	if (type && strcmp(type, "FeatureCollection") == 0) {
		features = json_incref(json_object_get(root, "features"));
		if (!json_is_array(features)) {
			json_decref(features);
			json_decref(root);
			yj_fail(e, YJ_EINVAL, "file", "the FeatureCollection has no \"features\" array");
			return NULL;
		}
	} else if (type && strcmp(type, "Feature") == 0) {
		features = json_array();
		json_array_append(features, root);
	} else {
		json_decref(root);
		yj_fail(e, YJ_EINVAL, "file",
			"not GeoJSON: send a FeatureCollection of Point features (or a CSV file)");
		return NULL;
	}
	json_decref(root);
	if (json_array_size(features) > YJ_CSV_MAX_ROWS) {
		yj_fail(e, YJ_EUNPROCESSABLE, "file", "more than %d features; split the file", YJ_CSV_MAX_ROWS);
		json_decref(features);
		return NULL;
	}

	json_t *arr = json_array();
	json_t *unknown_seen = json_object();
	size_t i;
	json_t *f;
	json_array_foreach(features, i, f) {
		long row = (long)i + 1;
		json_t *obj = json_object();
		json_object_set_new(obj, "_row", json_integer(row));
		json_array_append_new(arr, obj);
		const char *ftype = json_string_value(json_object_get(f, "type"));
		if (!ftype || strcmp(ftype, "Feature") != 0) {
			reg_problems_add(p, row, "type", "feature %ld is not a GeoJSON Feature", row);
			continue;
		}
		json_t *props = json_object_get(f, "properties");
		if (props && !json_is_null(props) && !json_is_object(props))
			reg_problems_add(p, row, "properties", "properties must be an object");
		const char *key;
		json_t *val;
		json_object_foreach(json_is_object(props) ? props : NULL, key, val) {
			const char *k = key;
			size_t kn = strlen(k);
			reg_io_trim(&k, &kn);
			char name[64];
			reg_io_copy_utf8(name, sizeof name, k, kn);
			const io_col *m = reg_io_col_match(cols, ncols, name);
			if (!m) {
				if (!json_object_get(unknown_seen, key)) {
					json_object_set_new(unknown_seen, key, json_true());
					reg_problems_add(p, row, name, "property '%s' is not a field of %s", name,
							 ent->label ? ent->label : ent->name);
				}
				continue;
			}
			if (m->assigned)
				continue;
			if (json_object_get(obj, m->name)) {
				reg_problems_add(p, row, m->name, "two properties give %s", reg_io_col_header(m));
				continue;
			}
			json_t *v;
			if (json_is_null(val) || (json_is_string(val) && !*json_string_value(val))) {
				json_object_set_new(obj, m->name, json_null()); /* no value, as an empty CSV cell */
				continue;
			}
			if (json_is_string(val) && !reg_io_kind_is_text(m->kind)) {
				/* a number or set written as text (QGIS, hand-made files) */
				const char *s = json_string_value(val);
				size_t n = strlen(s);
				reg_io_trim(&s, &n);
				if (!n)
					continue;
				char *text = yj_strndup(s, n);
				char where[160], where_zh[160];
				snprintf(where, sizeof where, "property '%s'", name);
				yj_format_zh(where_zh, sizeof where_zh, "property '%s'", name);
				cell_ctx x = {p, row, where, where_zh};
				v = cell_value(m, text, &x);
				free(text);
			} else if (json_is_number(val) && reg_io_kind_is_text(m->kind)) {
				/* a code or phone number typed as a number (QGIS does) */
				char num[40];
				if (json_is_integer(val))
					snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(val));
				else
					reg_io_format_real(json_real_value(val), num);
				v = json_string(num);
			} else if (m->kind == F_ENUM && json_is_string(val)) {
				const char *code = reg_choice_code(m->field, json_string_value(val));
				v = code ? json_string(code) : json_incref(val);
			} else if (m->kind == F_ENUM_SET && json_is_array(val)) {
				v = json_array();
				size_t j;
				json_t *item;
				json_array_foreach(val, j, item) {
					const char *code = json_is_string(item) ? reg_choice_code(m->field, json_string_value(item)) : NULL;
					json_array_append_new(v, code ? json_string(code) : json_incref(item));
				}
			} else {
				v = json_incref(val);
			}
			if (v)
				json_object_set_new(obj, m->name, v);
		}
		import_feature_id(obj, json_object_get(f, "id"), row, p);
		if (json_object_get(f, "geometry"))
			import_geometry(obj, json_object_get(f, "geometry"), row, p);
	}
	json_decref(unknown_seen);
	json_decref(features);
	return arr;
}

/* ---- import: which format ----------------------------------------------------------------- */

/* true when the media type of content_type (parameters ignored) is want. */
static bool media_is(const char *ct, const char *want)
{
	size_t n = strlen(want);
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == 0 || *ct == ';';
}

/*
 * See registry.h. In detail: the format is XLSX for its media type or a body
 * starting with a zip's "PK\3\4" (unless sent as JSON), GeoJSON for
 * application/geo+json and application/json, CSV for text/csv (and the other
 * CSV types browsers send), else sniffed ('{' first = GeoJSON). Header cells and property names
 * match a JSON name (any case), a label (white space and the width of
 * parentheses ignored; the "(unit)" may be left out) or an alias (所属区域,
 * 所属企业 ...). 编号 (or a feature's id) becomes "id": the caller updates
 * that object. Choice values may be codes or Chinese labels (as exports
 * write them); created, updated, the names beside references and 序号 are
 * ignored; unknown names are one problem each. Empty cells, "" and null are
 * null members (a GeoJSON null geometry: lon/lat null). Each object has
 * "_row" (see the top of this file). NULL + *e (YJ_EINVAL: not readable,
 * YJ_EUNPROCESSABLE: over YJ_CSV_MAX_ROWS, YJ_ETOOBIG: a workbook over the
 * bounds of reg_xlsx_read) only for the file as a whole.
 */
json_t *reg_import_parse(const reg_entity *ent, const char *content_type, const char *body, size_t len,
			 reg_problems *p, yj_err *e)
{
	const char *ct = content_type ? content_type : "";
	if (!body || len == 0) {
		yj_fail(e, YJ_EINVAL, "file", "the file is empty");
		return NULL;
	}
	bool json_type = media_is(ct, "application/geo+json") || media_is(ct, "application/json");
	bool xlsx = media_is(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") ||
		    (!json_type && len >= 4 && memcmp(body, "PK\x03\x04", 4) == 0);
	bool geojson;
	if (xlsx) {
		geojson = false;
	} else if (json_type) {
		geojson = true;
	} else if (media_is(ct, "text/csv") || media_is(ct, "application/csv") ||
		   media_is(ct, "text/comma-separated-values") || media_is(ct, "application/vnd.ms-excel")) {
		geojson = false;
	} else {
		/* text/plain, application/octet-stream, none: look at the first character */
		size_t k = len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
		while (k < len && body[k] && strchr(" \t\r\n", body[k]))
			k++;
		geojson = k < len && body[k] == '{';
	}

	size_t ncols;
	io_col *cols = reg_io_columns(ent, &ncols);
	json_t *arr = xlsx      ? import_xlsx(ent, cols, ncols, body, len, p, e)
		      : geojson ? import_geojson(ent, cols, ncols, body, len, p, e)
				: import_csv(ent, cols, ncols, body, len, p, e);
	free(cols);
	return arr;
}
