/*
 * io.c — entity import and export: uploaded CSV or GeoJSON files become JSON
 * objects for the validator, lists of entity objects become CSV, GeoJSON or
 * XLSX downloads; and the GB 32100-2015 check of unified social credit codes
 * (统一社会信用代码).
 *
 * The main idea is one column table per entity (io_columns): the common
 * fields, then the entity's own, then the assigned timestamps, each with its
 * JSON name, Chinese label and kind. Exports write that table as the header;
 * imports match header cells against it (by name or label), so what we
 * export reads back unchanged. Sets are "a;b", substances "液氨:12.5;氯气:3",
 * booleans 是/否, in both directions.
 *
 * Row numbers: every object carries "_row", the number its problems use (the
 * caller removes it before validating). For CSV it is the line of the file
 * where the record starts: header = line 1, first data row = line 2; blank
 * lines are skipped but counted, and a quoted cell with line breaks moves
 * the records after it down by as many lines (so a spreadsheet's row number
 * can be smaller). For GeoJSON it is the feature's position, first = 1.
 *
 * This file converts and reports; it does not validate ranges, enums,
 * references or credit codes (reg_validate does) and runs no SQL.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <xlsxwriter.h>

#include "registry/registry.h"

/* ---- the column table -------------------------------------------------------- */

typedef struct io_col {
	const char *name;     /* JSON member */
	const char *label;    /* header in exports (Chinese); NULL = name */
	reg_field_kind kind;
	bool assigned;        /* id, created, updated: exported, ignored on import */
} io_col;

static const io_col common_head[] = {
	{"id", "编号", F_INT, true},
	{"name", "名称", F_TEXT, false},
	{"area_code", "区划代码", F_TEXT, false},
	{"lon", "经度", F_REAL, false},
	{"lat", "纬度", F_REAL, false},
	{"note", "备注", F_TEXT, false},
};

static const io_col common_tail[] = {
	{"created", "创建时间", F_TEXT, true},
	{"updated", "更新时间", F_TEXT, true},
};

/* Other headers people write for the common columns. 序号 (a running number
 * many sheets start with) reads as the ignored id column. */
static const struct {
	const char *header, *name;
} header_aliases[] = {
	{"所属区域", "area_code"}, {"区域代码", "area_code"}, {"行政区划代码", "area_code"},
	{"所属区划", "area_code"}, {"区划", "area_code"},       {"东经", "lon"},
	{"北纬", "lat"},           {"longitude", "lon"},        {"latitude", "lat"},
	{"lng", "lon"},            {"序号", "id"},
};

/* The entity's columns in export order (malloc'ed; *n gets the count). */
static io_col *io_columns(const reg_entity *ent, size_t *n)
{
	size_t nf = 0;
	while (ent->fields && ent->fields[nf].name)
		nf++;
	size_t total = YJ_ARRAY_LEN(common_head) + nf + YJ_ARRAY_LEN(common_tail);
	io_col *cols = calloc(total, sizeof *cols);
	if (!cols)
		abort();
	size_t k = 0;
	for (size_t i = 0; i < YJ_ARRAY_LEN(common_head); i++)
		cols[k++] = common_head[i];
	for (size_t i = 0; i < nf; i++)
		cols[k++] = (io_col){ent->fields[i].name, ent->fields[i].label, ent->fields[i].kind, false};
	for (size_t i = 0; i < YJ_ARRAY_LEN(common_tail); i++)
		cols[k++] = common_tail[i];
	*n = k;
	return cols;
}

static const char *col_header(const io_col *c)
{
	return c->label && *c->label ? c->label : c->name;
}

static bool kind_is_text(reg_field_kind k)
{
	return k == F_TEXT || k == F_ENUM || k == F_URL || k == F_PHONE || k == F_CREDIT_CODE;
}

/* ---- text helpers ------------------------------------------------------------- */

/* Length of the white space (ASCII, NBSP, ideographic space, ZWNBSP) at s; 0 if none. */
static size_t space_at(const char *s, size_t n)
{
	if (n >= 1 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\v' || *s == '\f'))
		return 1;
	if (n >= 2 && memcmp(s, "\xC2\xA0", 2) == 0)
		return 2;
	if (n >= 3 && (memcmp(s, "\xE3\x80\x80", 3) == 0 || memcmp(s, "\xEF\xBB\xBF", 3) == 0))
		return 3;
	return 0;
}

/* Trim white space at both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
	size_t k;
	while (*n && (k = space_at(*s, *n)))
		*s += k, *n -= k;
	for (;;) {
		size_t cut = 0;
		for (size_t back = 1; back <= 3 && back <= *n; back++)
			if (space_at(*s + *n - back, back) == back) {
				cut = back;
				break;
			}
		if (!cut)
			break;
		*n -= cut;
	}
}

/* The next character of a label for comparing: white space skipped,
 * full-width parentheses read as ASCII ones; 0 at the end. */
static int label_char(const char **s, const char *end)
{
	size_t k;
	while (*s < end && (k = space_at(*s, (size_t)(end - *s) < 3 ? (size_t)(end - *s) : 3)))
		*s += k;
	if (*s >= end)
		return 0;
	if (end - *s >= 3 && memcmp(*s, "（", 3) == 0)
		return *s += 3, '(';
	if (end - *s >= 3 && memcmp(*s, "）", 3) == 0)
		return *s += 3, ')';
	return (unsigned char)*(*s)++;
}

/* Header and the first n bytes of label are the same label:
 * "危险物质及数量（吨）" names "危险物质及数量(吨)". */
static bool label_eq(const char *header, const char *label, size_t n)
{
	const char *hend = header + strlen(header), *lend = label + n;
	for (;;) {
		int a = label_char(&header, hend), b = label_char(&label, lend);
		if (a != b)
			return false;
		if (!a)
			return true;
	}
}

/*
 * The column a header names, first match wins: JSON name (any case), label,
 * label without its "(unit)" ("面积" for "面积(平方米)"), alias. NULL if none.
 */
static const io_col *col_match(const io_col *cols, size_t n, const char *header)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(cols[i].name, header) == 0)
			return &cols[i];
	for (size_t i = 0; i < n; i++)
		if (cols[i].label && label_eq(header, cols[i].label, strlen(cols[i].label)))
			return &cols[i];
	for (size_t i = 0; i < n; i++) {
		const char *l = cols[i].label;
		size_t base = l ? strcspn(l, "(") : 0;
		const char *wide = l ? strstr(l, "（") : NULL;
		if (wide && (size_t)(wide - l) < base)
			base = (size_t)(wide - l);
		if (l && base > 0 && l[base] && label_eq(header, l, base))
			return &cols[i];
	}
	for (size_t a = 0; a < YJ_ARRAY_LEN(header_aliases); a++)
		if (strcasecmp(header_aliases[a].header, header) == 0)
			for (size_t i = 0; i < n; i++)
				if (strcmp(cols[i].name, header_aliases[a].name) == 0)
					return &cols[i];
	return NULL;
}

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
		trim(&start, &len);
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

/*
 * Copy at most cap - 1 bytes of [s, s + n) to out without splitting a UTF-8
 * character; "…" marks a cut when room allows. For names and values quoted
 * in problem messages.
 */
static void copy_utf8(char *out, size_t cap, const char *s, size_t n)
{
	size_t keep = n;
	bool cut = false;
	if (keep > cap - 1) {
		keep = cap > 4 ? cap - 4 : 0;
		while (keep && (s[keep] & 0xC0) == 0x80)
			keep--;
		cut = true;
	}
	memcpy(out, s, keep);
	if (cut && cap > 4)
		memcpy(out + keep, "…", 3), keep += 3;
	out[keep] = 0;
}

/* A short quote of a value for a message. */
static const char *excerpt(const char *s, char out[64])
{
	copy_utf8(out, 64, s, strlen(s));
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

/* The shortest %g that reads back as v. */
static void format_real(double v, char out[40])
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

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

/* "A".."Z", "AA".. for column index c. */
static void col_letters(size_t c, char out[8])
{
	char tmp[8];
	int k = 0;
	c++;
	while (c && k < 7) {
		c--;
		tmp[k++] = (char)('A' + c % 26);
		c /= 26;
	}
	for (int i = 0; i < k; i++)
		out[i] = tmp[k - 1 - i];
	out[k] = 0;
}

/* ---- cell conversion -------------------------------------------------------------- */

/* Where a value came from, for problem messages. */
typedef struct cell_ctx {
	reg_problems *p;
	long row;
	const char *where; /* "column E (经度)" or "property '经度'" */
} cell_ctx;

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
	case F_TEXT:
	case F_ENUM:
	case F_URL:
	case F_PHONE:
	case F_CREDIT_CODE:
		return json_string(s);
	case F_INT:
	case F_REF:
		if (parse_whole(s, &i))
			return json_integer(i);
		reg_problems_add(x->p, x->row, c->name, "%s: '%s' is not %s", x->where, excerpt(s, q1),
				 c->kind == F_REF ? "an id" : "a whole number");
		return NULL;
	case F_REAL:
		if (parse_number(s, &d))
			return json_real(d);
		reg_problems_add(x->p, x->row, c->name, "%s: '%s' is not a number", x->where, excerpt(s, q1));
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
		reg_problems_add(x->p, x->row, c->name, "%s: '%s' is not 是/否 (true/false)", x->where,
				 excerpt(s, q1));
		return NULL;
	}
	case F_ENUM_SET:
	case F_REF_SET:
	case F_SUBSTANCES: {
		json_t *arr = json_array();
		const char *cur = s, *item;
		size_t n;
		while (list_next(&cur, &item, &n)) {
			char *one = strndup(item, n);
			if (!one)
				abort();
			json_t *v = NULL;
			if (c->kind == F_ENUM_SET) {
				v = json_string(one);
			} else if (c->kind == F_REF_SET) {
				if (parse_whole(one, &i))
					v = json_integer(i);
				else
					reg_problems_add(x->p, x->row, c->name, "%s: '%s' in '%s' is not an id", x->where,
							 excerpt(one, q1), excerpt(s, q2));
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
				trim(&name, &name_len);
				trim(&qty, &qty_len);
				if (qty_len >= 3 && memcmp(qty + qty_len - 3, "吨", 3) == 0)
					qty_len -= 3;
				else if (qty_len >= 1 && (qty[qty_len - 1] == 't' || qty[qty_len - 1] == 'T'))
					qty_len -= 1;
				trim(&qty, &qty_len);
				char qbuf[64] = "";
				if (qty_len < sizeof qbuf)
					memcpy(qbuf, qty, qty_len), qbuf[qty_len] = 0;
				if (colon && name_len && parse_number(qbuf, &d)) {
					v = json_object();
					json_object_set_new(v, "name", json_stringn(name, name_len));
					json_object_set_new(v, "quantity_t", json_real(d));
				} else {
					reg_problems_add(x->p, x->row, c->name,
							 "%s: '%s' is not name:tonnes (write 液氨:12.5;氯气:3)", x->where,
							 excerpt(one, q1));
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

/* ---- CSV import ---------------------------------------------------------------------- */

static json_t *import_csv(const reg_entity *ent, const io_col *cols, size_t ncols, const char *body,
			  size_t len, reg_problems *p, yj_err *e)
{
	yj_csv t;
	if (yj_csv_parse(body, len, &t, e) != 0)
		return NULL;
	size_t hrow = 0; /* the header is the first non-blank record */
	while (hrow < t.rows && yj_csv_row_blank(&t, hrow))
		hrow++;
	if (hrow == t.rows) {
		yj_csv_free(&t);
		yj_fail(e, YJ_EINVAL, "file", "the file has no header: its first line must name the columns");
		return NULL;
	}
	long hline = yj_csv_row_line(&t, hrow);

	/* the header: which column each cell names */
	size_t hcols = yj_csv_row_cols(&t, hrow);
	const io_col **map = calloc(hcols, sizeof *map);
	char (*where)[160] = calloc(hcols, sizeof *where);
	if (!map || !where)
		abort();
	for (size_t c = 0; c < hcols; c++) {
		char letters[8];
		col_letters(c, letters);
		const char *h = yj_csv_cell(&t, hrow, c);
		size_t hn = strlen(h);
		trim(&h, &hn);
		while (hn && h[hn - 1] == '*') /* "名称*": a template's required mark */
			hn--;
		char header[64];
		copy_utf8(header, sizeof header, h, hn);
		snprintf(where[c], sizeof where[c], "column %s (%s)", letters, header);
		if (!*header) {
			for (size_t r = hrow + 1; r < t.rows; r++)
				if (*yj_csv_cell(&t, r, c)) {
					reg_problems_add(p, hline, "", "column %s has data but no header", letters);
					break;
				}
			continue;
		}
		const io_col *m = col_match(cols, ncols, header);
		if (!m) {
			reg_problems_add(p, hline, header, "column %s: '%s' is not a column of %s", letters, header,
					 ent->label ? ent->label : ent->name);
			continue;
		}
		bool repeated = false;
		for (size_t k = 0; k < c && !m->assigned && !repeated; k++)
			if (map[k] == m) {
				char first[8];
				col_letters(k, first);
				reg_problems_add(p, hline, m->name, "columns %s and %s both give %s", first, letters,
						 col_header(m));
				repeated = true;
			}
		map[c] = repeated ? NULL : m;
	}

	json_t *arr = json_array();
	strbuf cell;
	strbuf_init(&cell);
	for (size_t r = hrow + 1; r < t.rows; r++) {
		if (yj_csv_row_blank(&t, r))
			continue;
		long row = yj_csv_row_line(&t, r);
		json_t *obj = json_object();
		json_object_set_new(obj, "_row", json_integer(row));
		size_t have = yj_csv_row_cols(&t, r);
		for (size_t c = hcols; c < have; c++)
			if (*yj_csv_cell(&t, r, c)) {
				reg_problems_add(p, row, "", "%zu cells, but the header names %zu columns", have, hcols);
				break;
			}
		for (size_t c = 0; c < hcols; c++) {
			const io_col *m = map[c];
			if (!m || m->assigned)
				continue;
			const char *s = yj_csv_cell(&t, r, c);
			size_t n = strlen(s);
			trim(&s, &n);
			if (!n)
				continue;
			if (n >= 2 && s[0] == '\'' && strchr("=+-@'", s[1]))
				s++, n--;
			cell.len = 0;
			strbuf_append(&cell, s, n);
			cell_ctx x = {p, row, where[c]};
			json_t *v = cell_value(m, cell.data, &x);
			if (v)
				json_object_set_new(obj, m->name, v);
		}
		json_array_append_new(arr, obj);
	}
	strbuf_free(&cell);
	free(map);
	free(where);
	yj_csv_free(&t);
	return arr;
}

/* ---- GeoJSON import ------------------------------------------------------------------- */

/* Fill lon/lat of obj from a Point geometry; a problem for anything else. */
static void import_geometry(json_t *obj, json_t *geom, long row, reg_problems *p)
{
	if (!geom || json_is_null(geom))
		return;
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
			trim(&k, &kn);
			char name[64];
			copy_utf8(name, sizeof name, k, kn);
			const io_col *m = col_match(cols, ncols, name);
			if (!m) {
				if (!json_object_get(unknown_seen, key)) {
					json_object_set_new(unknown_seen, key, json_true());
					reg_problems_add(p, row, name, "property '%s' is not a field of %s", name,
							 ent->label ? ent->label : ent->name);
				}
				continue;
			}
			if (m->assigned || json_is_null(val))
				continue;
			if (json_object_get(obj, m->name)) {
				reg_problems_add(p, row, m->name, "two properties give %s", col_header(m));
				continue;
			}
			json_t *v;
			if (json_is_string(val) && !*json_string_value(val))
				continue; /* "" is absent, as an empty CSV cell */
			if (json_is_string(val) && !kind_is_text(m->kind)) {
				/* a number or set written as text (QGIS, hand-made files) */
				const char *s = json_string_value(val);
				size_t n = strlen(s);
				trim(&s, &n);
				if (!n)
					continue;
				char *text = strndup(s, n);
				if (!text)
					abort();
				char where[160];
				snprintf(where, sizeof where, "property '%s'", name);
				cell_ctx x = {p, row, where};
				v = cell_value(m, text, &x);
				free(text);
			} else if (json_is_number(val) && kind_is_text(m->kind)) {
				/* a code or phone number typed as a number (QGIS does) */
				char num[40];
				if (json_is_integer(val))
					snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(val));
				else
					format_real(json_real_value(val), num);
				v = json_string(num);
			} else {
				v = json_incref(val);
			}
			if (v)
				json_object_set_new(obj, m->name, v);
		}
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
 * See registry.h. In detail: the format is GeoJSON for application/geo+json
 * and application/json, CSV for text/csv (and the other CSV types browsers
 * send), else sniffed ('{' first = GeoJSON). Header cells and property names
 * match a JSON name (any case), a label (white space and the width of
 * parentheses ignored; the "(unit)" may be left out) or an alias (所属区域,
 * 序号 ...). id, created and updated are ignored; unknown names are one
 * problem each. Empty cells, "" and null are absent members. Each object has
 * "_row" (see the top of this file). NULL + *e (YJ_EINVAL: not readable,
 * YJ_EUNPROCESSABLE: over YJ_CSV_MAX_ROWS) only for the file as a whole.
 */
json_t *reg_import_parse(const reg_entity *ent, const char *content_type, const char *body, size_t len,
			 reg_problems *p, yj_err *e)
{
	const char *ct = content_type ? content_type : "";
	if (!body || len == 0) {
		yj_fail(e, YJ_EINVAL, "file", "the file is empty");
		return NULL;
	}
	if (media_is(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") ||
	    (len >= 4 && memcmp(body, "PK\x03\x04", 4) == 0)) {
		yj_fail(e, YJ_EINVAL, "file",
			"import reads CSV or GeoJSON, not Excel workbooks; save the sheet as \"CSV UTF-8\"");
		return NULL;
	}
	bool geojson;
	if (media_is(ct, "application/geo+json") || media_is(ct, "application/json")) {
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
	io_col *cols = io_columns(ent, &ncols);
	json_t *arr = geojson ? import_geojson(ent, cols, ncols, body, len, p, e)
			      : import_csv(ent, cols, ncols, body, len, p, e);
	free(cols);
	return arr;
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
		format_real(json_real_value(v), num);
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

static int export_csv(const io_col *cols, size_t ncols, json_t *rows, strbuf *out)
{
	strbuf_puts(out, "\xEF\xBB\xBF");
	for (size_t c = 0; c < ncols; c++) {
		if (c)
			strbuf_puts(out, ",");
		yj_csv_append_cell(out, col_header(&cols[c]));
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
			value_text(&cell, v);
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

static int export_geojson(json_t *rows, strbuf *out)
{
	json_t *fc = json_object(), *features = json_array();
	json_object_set_new(fc, "type", json_string("FeatureCollection"));
	json_object_set_new(fc, "features", features);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		json_t *f = json_object(), *props = json_object();
		json_object_set_new(f, "type", json_string("Feature"));
		json_t *id = json_object_get(row, "id");
		if (id)
			json_object_set(f, "id", id);
		json_t *lon = json_object_get(row, "lon"), *lat = json_object_get(row, "lat");
		if (json_is_number(lon) && json_is_number(lat))
			json_object_set_new(f, "geometry",
					    json_pack("{s:s, s:[O, O]}", "type", "Point", "coordinates", lon, lat));
		else
			json_object_set_new(f, "geometry", json_null());
		const char *key;
		json_t *v;
		json_object_foreach(row, key, v)
			if (strcmp(key, "lon") != 0 && strcmp(key, "lat") != 0)
				json_object_set(props, key, v);
		json_object_set_new(f, "properties", props);
		json_array_append_new(features, f);
	}
	int rc = json_dump_callback(fc, dump_to_strbuf, out, JSON_COMPACT);
	json_decref(fc);
	return rc;
}

/* Column width in characters for the sheet. */
static double xlsx_width(const io_col *c)
{
	if (strcmp(c->name, "name") == 0)
		return 30;
	if (strcmp(c->name, "note") == 0)
		return 40;
	if (strcmp(c->name, "created") == 0 || strcmp(c->name, "updated") == 0)
		return 26;
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
	for (size_t c = 0; c < ncols; c++)
		worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, xlsx_width(&cols[c]), NULL);
	worksheet_freeze_panes(ws, 1, 0);
	for (size_t c = 0; c < ncols; c++)
		worksheet_write_string(ws, 0, (lxw_col_t)c, col_header(&cols[c]), bold);

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
			cell.len = 0;
			strbuf_puts(&cell, "");
			value_text(&cell, v);
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
	io_col *cols = io_columns(ent, &ncols);
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
		*content_type = "application/geo+json";
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

/* ---- credit codes ----------------------------------------------------------------------------- */

/* GB 32100-2015 code characters: digits and capitals without I O Z S V. */
static const char CREDIT_CHARSET[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

bool reg_credit_code_valid(const char *code)
{
	static const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
	if (!code || strlen(code) != 18)
		return false;
	int sum = 0;
	for (int i = 0; i < 18; i++) {
		const char *at = strchr(CREDIT_CHARSET, code[i]);
		if (!at)
			return false;
		/* positions 3..8: the registering authority's administrative division code */
		if (i >= 2 && i <= 7 && !(code[i] >= '0' && code[i] <= '9'))
			return false;
		if (i < 17)
			sum += (int)(at - CREDIT_CHARSET) * weights[i];
	}
	return code[17] == CREDIT_CHARSET[(31 - sum % 31) % 31];
}
