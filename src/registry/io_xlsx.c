/*
 * io_xlsx.c — the first sheet of an Excel workbook (.xlsx) as a table of
 * cells (io_grid), so that the import reads it exactly as it reads CSV
 * (io_import.c, import_grid).
 *
 * An .xlsx file is a zip of XML parts. We read, with libzip from memory:
 * xl/workbook.xml (the first <sheet> and the 1904 flag), its relationships
 * xl/_rels/workbook.xml.rels (where that sheet's part is), xl/sharedStrings.xml
 * (the strings cells point to; rich text runs joined, phonetic runs left
 * out), xl/styles.xml (which cell styles show numbers as dates: the
 * built-in date formats and custom formats with y m d h s outside quotes and
 * brackets) and the sheet itself, streamed with libxml2's reader.
 *
 * Hostile files: every part is checked before libxml2 sees it — UTF-8 only
 * (no NUL byte, no other declared encoding), no "<!DOCTYPE" anywhere, as
 * src/warning/cap.c does for CAP — and parsed with XML_PARSE_NONET, without
 * NOENT/DTDLOAD (no DTD, no entity, no network); a DOCTYPE node met anyway
 * is refused. What the parts unpack to is bounded in all
 * (REG_XLSX_MAX_UNZIPPED: the sizes the zip declares are checked first and
 * the bytes counted while reading, so a zip bomb stops at the bound), and so
 * are the sheet's cells and rows. Nothing here writes anything.
 *
 * Not here: formulas are not computed (their cached value is read), other
 * sheets, merged cells, hidden rows and comments are ignored.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/xmlreader.h>
#include <zip.h>

#include "registry/io_int.h"

#define REL_NS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define REL_NS_STRICT "http://purl.oclc.org/ooxml/officeDocument/relationships"

/* ---- conversions (pure; unit-tested) ------------------------------------------------------ */

bool reg_xlsx_cell_ref(const char *ref, size_t *col, long *row)
{
	size_t c = 0, letters = 0;
	for (; ref[letters] >= 'A' && ref[letters] <= 'Z'; letters++)
		c = c * 26 + (size_t)(ref[letters] - 'A' + 1);
	if (letters == 0 || letters > 3 || c > 16384)
		return false;
	const char *d = ref + letters;
	long r = 0;
	size_t digits = 0;
	for (; d[digits] >= '0' && d[digits] <= '9'; digits++) {
		r = r * 10 + (d[digits] - '0');
		if (r > 1048576)
			return false;
	}
	if (digits == 0 || d[digits] || r < 1)
		return false;
	*col = c - 1;
	*row = r;
	return true;
}

reg_xlsx_numkind reg_xlsx_format_kind(const char *code)
{
	bool date = false, time = false, month = false;
	for (const char *s = code; *s; s++) {
		char ch = (char)(*s | 0x20); /* ASCII lower case; other bytes never match below */
		if (*s == '"') { /* literal text */
			const char *q = strchr(s + 1, '"');
			if (!q)
				break;
			s = q;
		} else if (*s == '[') { /* [Red], [$-804], [h] elapsed hours */
			const char *q = strchr(s + 1, ']');
			if (!q)
				break;
			size_t n = (size_t)(q - s - 1);
			if (n && strspn(s + 1, "hHmMsS") == n)
				time = true;
			s = q;
		} else if (*s == '\\' || *s == '_' || *s == '*') { /* an escaped, spaced or repeated char */
			if (!s[1])
				break;
			s++;
		} else if (ch == 'y' || ch == 'd') {
			date = true;
		} else if (ch == 'h' || ch == 's') {
			time = true;
		} else if (ch == 'm') {
			month = true;
		}
	}
	if (month && !time)
		date = true; /* m is a month unless the format shows a time */
	if (date)
		return time ? XLSX_DATETIME : XLSX_DATE;
	return time ? XLSX_TIME : XLSX_NUMBER;
}

bool reg_xlsx_serial_text(double serial, bool date1904, reg_xlsx_numkind kind, char out[32])
{
	if (!isfinite(serial) || serial < 0 || serial >= 2958466.0)
		return false;
	long long total = llround(serial * 86400.0);
	long long days = total / 86400, secs = total % 86400;
	if (kind == XLSX_TIME && days == 0) {
		snprintf(out, 32, "%02lld:%02lld:%02lld", secs / 3600, secs / 60 % 60, secs % 60);
		return true;
	}
	if (date1904)
		days += 1462; /* 1904-01-01 is day 1462 of the 1900 system */
	else if (days >= 1 && days < 61)
		days += 1; /* Excel counts a 1900-02-29 that never was: before March, one day less */
	time_t t = (time_t)((days - 25569) * 86400 + secs); /* day 25569 is 1970-01-01 */
	struct tm tm;
	if (!gmtime_r(&t, &tm)) /* the serial is wall-clock time already: no zone to apply */
		return false;
	if (kind == XLSX_DATE && secs == 0)
		snprintf(out, 32, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	else
		snprintf(out, 32, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	return true;
}

/* The kind of a built-in number format (ECMA-376 18.8.30; 27–36 and 50–58 as zh-CN Excel has them). */
static reg_xlsx_numkind builtin_kind(long id)
{
	if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) || id == 36 || (id >= 50 && id <= 54) || id == 57 ||
	    id == 58)
		return XLSX_DATE;
	if (id == 22)
		return XLSX_DATETIME;
	if ((id >= 18 && id <= 21) || (id >= 32 && id <= 35) || (id >= 45 && id <= 47) || id == 55 || id == 56)
		return XLSX_TIME;
	return XLSX_NUMBER;
}

/* ---- the package ------------------------------------------------------------------------- */

typedef struct numfmt {
	long id;
	reg_xlsx_numkind kind;
} numfmt;

typedef struct xlsx {
	zip_t *zip;
	size_t unzipped; /* bytes of the parts read so far */
	bool date1904;
	const char **sst; /* shared strings, texts in the grid's arena */
	size_t nsst, sst_cap;
	unsigned char *xf_kind; /* reg_xlsx_numkind of each cell style (cellXfs) */
	size_t nxf, xf_cap;
	io_grid *g;
	yj_err *e;
} xlsx;

static int too_big(xlsx *x)
{
	return yj_fail(x->e, YJ_ETOOBIG, "file", "the workbook unpacks to more than %u MiB; split the sheet",
		       REG_XLSX_MAX_UNZIPPED >> 20);
}

/*
 * Part name of the package, whole, NUL-terminated, in *out (malloc'ed). 0 with
 * *out NULL when it is missing and not required; -1 with x->e otherwise.
 */
static int read_part(xlsx *x, const char *name, bool required, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	zip_int64_t idx = zip_name_locate(x->zip, name, 0);
	if (idx < 0) {
		if (!required)
			return 0;
		return yj_fail(x->e, YJ_EINVAL, "file", "not a valid Excel (.xlsx) file: it has no %s", name);
	}
	size_t room = REG_XLSX_MAX_UNZIPPED - x->unzipped;
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat_index(x->zip, (zip_uint64_t)idx, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) && st.size > room)
		return too_big(x);
	zip_file_t *f = zip_fopen_index(x->zip, (zip_uint64_t)idx, 0);
	if (!f)
		return yj_fail(x->e, YJ_EINVAL, "file", "not a valid Excel (.xlsx) file: %s cannot be read (%s)", name,
			       zip_strerror(x->zip));
	/* the declared size is the first guess only: the bytes are counted as they come */
	size_t cap = (st.valid & ZIP_STAT_SIZE) ? (size_t)st.size + 1 : 64 * 1024, n = 0;
	char *buf = yj_malloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap = cap * 2 > room + 2 ? room + 2 : cap * 2;
			buf = yj_realloc(buf, cap);
		}
		zip_int64_t got = zip_fread(f, buf + n, cap - 1 - n);
		if (got < 0) {
			yj_fail(x->e, YJ_EINVAL, "file", "not a valid Excel (.xlsx) file: %s cannot be read (%s)", name,
				zip_file_strerror(f));
			zip_fclose(f);
			free(buf);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > room) {
			zip_fclose(f);
			free(buf);
			return too_big(x);
		}
	}
	zip_fclose(f);
	buf[n] = 0;
	x->unzipped += n;
	*out = buf;
	*len = n;
	return 0;
}

/* ---- XML, safely ------------------------------------------------------------------------- */

static void quiet_error(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_setup(void)
{
	xmlInitParser();
}

/* A reader over a part, after the checks on its bytes; NULL with x->e. */
static xmlTextReaderPtr xml_open(xlsx *x, const char *name, const char *buf, size_t len)
{
	if (memchr(buf, 0, len))
		goto not_utf8;
	if (len > 5 && memcmp(buf + (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0), "<?xml", 5) == 0) {
		const char *end = memmem(buf, len < 400 ? len : 400, "?>", 2);
		const char *enc = end ? memmem(buf, (size_t)(end - buf), "encoding", 8) : NULL;
		if (enc) {
			const char *v = enc + 8;
			while (v < end && strchr(" \t\r\n=\"'", *v))
				v++;
			if (!((size_t)(end - v) >= 5 && strncasecmp(v, "UTF-8", 5) == 0 && (v[5] == '"' || v[5] == '\'')))
				goto not_utf8;
		}
	}
	if (memmem(buf, len, "<!DOCTYPE", 9)) {
		yj_fail(x->e, YJ_EINVAL, "file",
			"%s has a DOCTYPE (DTD), which an Excel file never has; refused before parsing", name);
		return NULL;
	}
	pthread_once(&xml_once, xml_setup);
	/* no XML_PARSE_NOENT, DTDLOAD, DTDATTR, XINCLUDE or HUGE: on purpose */
	xmlTextReaderPtr r = xmlReaderForMemory(buf, (int)len, NULL, NULL,
						XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!r) {
		yj_fail(x->e, YJ_EINVAL, "file", "not a valid Excel (.xlsx) file: %s is not well-formed XML (line %d)",
			name, 1);
		return NULL;
	}
	xmlTextReaderSetStructuredErrorHandler(r, quiet_error, NULL);
	return r;
not_utf8:
	yj_fail(x->e, YJ_EINVAL, "file", "not a valid Excel (.xlsx) file: %s is not UTF-8 XML", name);
	return NULL;
}

/* The next node: 1, 0 at the end, -1 with x->e (not well-formed, or a DOCTYPE). */
static int xml_next(xlsx *x, xmlTextReaderPtr r, const char *name)
{
	int rc = xmlTextReaderRead(r);
	if (rc == 1 && xmlTextReaderNodeType(r) == XML_READER_TYPE_DOCUMENT_TYPE)
		return yj_fail(x->e, YJ_EINVAL, "file",
			       "%s has a DOCTYPE (DTD), which an Excel file never has; refused before parsing", name);
	if (rc < 0)
		return yj_fail(x->e, YJ_EINVAL, "file",
			       "not a valid Excel (.xlsx) file: %s is not well-formed XML (line %d)", name,
			       xmlTextReaderGetParserLineNumber(r));
	return rc;
}

static bool is_start(xmlTextReaderPtr r, const char *local)
{
	return xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT &&
	       strcmp((const char *)xmlTextReaderConstLocalName(r), local) == 0;
}

static bool is_end(xmlTextReaderPtr r, const char *local)
{
	return xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT &&
	       strcmp((const char *)xmlTextReaderConstLocalName(r), local) == 0;
}

/* An attribute as a malloc'ed string (xmlFree), NULL when absent. */
static char *attr(xmlTextReaderPtr r, const char *name)
{
	return (char *)xmlTextReaderGetAttribute(r, (const xmlChar *)name);
}

/* A node of text (the reader reports blanks apart); its words are xmlTextReaderConstValue. */
static bool is_text(xmlTextReaderPtr r)
{
	int t = xmlTextReaderNodeType(r);
	return t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA || t == XML_READER_TYPE_WHITESPACE ||
	       t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE;
}

static void append_value(xmlTextReaderPtr r, strbuf *b)
{
	const xmlChar *v = xmlTextReaderConstValue(r);
	if (v)
		strbuf_puts(b, (const char *)v);
}

/* ---- the parts --------------------------------------------------------------------------- */

/*
 * Run fn on every node of part name (optional parts may be missing). fn answers
 * 0 to go on, -1 with x->e to stop.
 */
typedef int (*node_fn)(xlsx *x, xmlTextReaderPtr r, void *ctx);
static int each_node(xlsx *x, const char *name, bool required, node_fn fn, void *ctx)
{
	char *buf;
	size_t len;
	if (read_part(x, name, required, &buf, &len) != 0)
		return -1;
	if (!buf)
		return 0;
	xmlTextReaderPtr r = xml_open(x, name, buf, len);
	int rc = r ? 0 : -1, step = 0;
	while (rc == 0 && (step = xml_next(x, r, name)) == 1)
		rc = fn(x, r, ctx);
	if (rc == 0 && step < 0)
		rc = -1;
	if (r)
		xmlFreeTextReader(r);
	free(buf);
	return rc;
}

typedef struct workbook_ctx {
	char *rid; /* the first sheet's relationship id */
} workbook_ctx;

static int workbook_node(xlsx *x, xmlTextReaderPtr r, void *ctx)
{
	workbook_ctx *w = ctx;
	if (is_start(r, "workbookPr")) {
		char *v = attr(r, "date1904");
		x->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
		xmlFree(v);
	} else if (is_start(r, "sheet") && !w->rid) {
		w->rid = (char *)xmlTextReaderGetAttributeNs(r, (const xmlChar *)"id", (const xmlChar *)REL_NS);
		if (!w->rid)
			w->rid = (char *)xmlTextReaderGetAttributeNs(r, (const xmlChar *)"id",
								     (const xmlChar *)REL_NS_STRICT);
	}
	return 0;
}

typedef struct rels_ctx {
	const char *rid;
	char path[512]; /* the part of the sheet, "" until found */
} rels_ctx;

static int rels_node(xlsx *x, xmlTextReaderPtr r, void *ctx)
{
	rels_ctx *rc = ctx;
	if (!is_start(r, "Relationship") || rc->path[0])
		return 0;
	char *id = attr(r, "Id"), *target = attr(r, "Target");
	if (id && target && strcmp(id, rc->rid) == 0) {
		/* relative to xl/, or absolute in the package */
		if (target[0] == '/')
			snprintf(rc->path, sizeof rc->path, "%s", target + 1);
		else
			snprintf(rc->path, sizeof rc->path, "xl/%s", target);
	}
	xmlFree(id);
	xmlFree(target);
	return 0;
}

typedef struct sst_ctx {
	strbuf text;
	bool in_si;
	int phonetic;   /* inside <rPh>: a reading aid, not the text */
	strbuf *into;   /* inside a <t> of the text: where its words go */
} sst_ctx;

static int sst_node(xlsx *x, xmlTextReaderPtr r, void *ctx)
{
	sst_ctx *s = ctx;
	if (s->into && is_text(r)) {
		append_value(r, s->into);
	} else if (is_start(r, "si")) {
		s->in_si = true;
		s->text.len = 0;
		strbuf_puts(&s->text, "");
		if (xmlTextReaderIsEmptyElement(r))
			goto done;
	} else if (is_start(r, "rPh") && !xmlTextReaderIsEmptyElement(r)) {
		s->phonetic++;
	} else if (is_end(r, "rPh")) {
		s->phonetic--;
	} else if (is_start(r, "t") && s->in_si && !s->phonetic && !xmlTextReaderIsEmptyElement(r)) {
		s->into = &s->text;
	} else if (is_end(r, "t")) {
		s->into = NULL;
	} else if (is_end(r, "si")) {
		goto done;
	}
	return 0;
done:
	s->in_si = false;
	x->sst = yj_grow(x->sst, &x->sst_cap, x->nsst + 1, sizeof *x->sst);
	x->sst[x->nsst++] = reg_grid_text(x->g, s->text.data, s->text.len);
	return 0;
}

typedef struct styles_ctx {
	numfmt *fmts;
	size_t nfmts, fmts_cap;
	bool in_cell_xfs;
} styles_ctx;

static int styles_node(xlsx *x, xmlTextReaderPtr r, void *ctx)
{
	styles_ctx *s = ctx;
	if (is_start(r, "numFmt")) {
		char *id = attr(r, "numFmtId"), *code = attr(r, "formatCode");
		if (id && code) {
			s->fmts = yj_grow(s->fmts, &s->fmts_cap, s->nfmts + 1, sizeof *s->fmts);
			s->fmts[s->nfmts++] = (numfmt){strtol(id, NULL, 10), reg_xlsx_format_kind(code)};
		}
		xmlFree(id);
		xmlFree(code);
	} else if (is_start(r, "cellXfs")) {
		s->in_cell_xfs = !xmlTextReaderIsEmptyElement(r);
	} else if (is_end(r, "cellXfs")) {
		s->in_cell_xfs = false;
	} else if (is_start(r, "xf") && s->in_cell_xfs) {
		char *v = attr(r, "numFmtId");
		long id = v ? strtol(v, NULL, 10) : 0;
		xmlFree(v);
		reg_xlsx_numkind kind = builtin_kind(id);
		for (size_t i = 0; i < s->nfmts; i++)
			if (s->fmts[i].id == id)
				kind = s->fmts[i].kind;
		x->xf_kind = yj_grow(x->xf_kind, &x->xf_cap, x->nxf + 1, sizeof *x->xf_kind);
		x->xf_kind[x->nxf++] = (unsigned char)kind;
	}
	return 0;
}

/* ---- the sheet ---------------------------------------------------------------------------- */

typedef struct sheet_ctx {
	long row_no, last_row; /* the row being read, the last one put in the grid */
	const char *cells[YJ_CSV_MAX_COLS];
	size_t ncells;  /* columns of this row so far */
	size_t total;   /* cells put in the grid */
	/* the cell being read */
	bool in_cell;
	size_t col;
	long prev_col;
	char type[16];
	long style;
	strbuf value, inline_text;
	int phonetic;
	bool in_is;
	strbuf *into; /* inside <v> or a <t> of an inline string: where its words go */
} sheet_ctx;

/* The text a finished cell shows, as a grid text; NULL with x->e. */
static const char *cell_text(xlsx *x, sheet_ctx *s)
{
	const char *v = s->value.data ? s->value.data : "";
	char buf[40];
	if (strcmp(s->type, "inlineStr") == 0)
		return reg_grid_text(x->g, s->inline_text.data ? s->inline_text.data : "", s->inline_text.len);
	if (strcmp(s->type, "s") == 0) {
		char *end;
		long i = strtol(v, &end, 10);
		if (end == v || *end || i < 0 || (size_t)i >= x->nsst) {
			char quoted[24];
			reg_io_copy_utf8(quoted, sizeof quoted, v, strlen(v));
			yj_fail(x->e, YJ_EINVAL, "file", "not a valid Excel (.xlsx) file: shared string '%s' does not exist",
				quoted);
			return NULL;
		}
		return x->sst[i];
	}
	if (strcmp(s->type, "b") == 0)
		return strcmp(v, "1") == 0 ? "TRUE" : strcmp(v, "0") == 0 ? "FALSE" : reg_grid_text(x->g, v, strlen(v));
	if (strcmp(s->type, "d") == 0) { /* ISO 8601 "2026-05-01T08:30:00": as the CSV export writes it */
		char *t = (char *)reg_grid_text(x->g, v, strlen(v)), *sep = strchr(t, 'T');
		if (sep)
			*sep = ' ';
		return t;
	}
	if (strcmp(s->type, "e") == 0) { /* #N/A, #DIV/0!, #REF!: a formula that failed is not a value */
		char letters[8], ref[24], quoted[24];
		reg_io_col_letters(s->col, letters);
		snprintf(ref, sizeof ref, "%s%ld", letters, s->row_no);
		reg_io_copy_utf8(quoted, sizeof quoted, v, strlen(v));
		yj_fail(x->e, YJ_EUNPROCESSABLE, "file", "cell %s holds Excel's error value %s: correct it or clear it",
			ref, quoted);
		return NULL;
	}
	if (strcmp(s->type, "n") != 0 && s->type[0]) /* str (a formula's text) */
		return reg_grid_text(x->g, v, strlen(v));
	if (!*v)
		return "";
	char *end;
	double d = strtod(v, &end);
	if (end == v || *end || !isfinite(d))
		return reg_grid_text(x->g, v, strlen(v));
	reg_xlsx_numkind kind = s->style >= 0 && (size_t)s->style < x->nxf ? x->xf_kind[s->style] : XLSX_NUMBER;
	char when[32];
	if (kind != XLSX_NUMBER && reg_xlsx_serial_text(d, x->date1904, kind, when))
		return reg_grid_text(x->g, when, strlen(when));
	if (d == floor(d) && fabs(d) < 1e15)
		snprintf(buf, sizeof buf, "%.0f", d);
	else
		reg_io_format_real(d, buf);
	return reg_grid_text(x->g, buf, strlen(buf));
}

/* The row read so far into the grid, unless all its cells are empty. */
static int end_row(xlsx *x, sheet_ctx *s)
{
	bool blank = true;
	for (size_t c = 0; c < s->ncells && blank; c++)
		blank = !s->cells[c] || !*s->cells[c];
	if (!blank) {
		if (x->g->rows >= YJ_CSV_MAX_ROWS + 1)
			return yj_fail(x->e, YJ_ETOOBIG, "file", "the sheet has more than %d rows; split the file",
				       YJ_CSV_MAX_ROWS);
		s->total += s->ncells;
		if (s->total > REG_XLSX_MAX_CELLS)
			return yj_fail(x->e, YJ_ETOOBIG, "file", "the sheet has more than %d cells; split the file",
				       REG_XLSX_MAX_CELLS);
		reg_grid_row(x->g, s->row_no);
		for (size_t c = 0; c < s->ncells; c++)
			reg_grid_cell(x->g, s->cells[c] ? s->cells[c] : "");
	}
	s->last_row = s->row_no;
	s->ncells = 0;
	return 0;
}

/* A finished cell into its column of the row. */
static int end_cell(xlsx *x, sheet_ctx *s)
{
	s->in_cell = false;
	const char *text = cell_text(x, s);
	if (!text)
		return -1;
	if (s->col >= YJ_CSV_MAX_COLS) {
		if (!*text)
			return 0;
		char letters[8], ref[24];
		reg_io_col_letters(s->col, letters);
		snprintf(ref, sizeof ref, "%s%ld", letters, s->row_no);
		return yj_fail(x->e, YJ_EUNPROCESSABLE, "file", "cell %s has data beyond the first %d columns",
			       ref, YJ_CSV_MAX_COLS);
	}
	for (size_t c = s->ncells; c < s->col; c++)
		s->cells[c] = NULL;
	if (s->col >= s->ncells)
		s->ncells = s->col + 1;
	s->cells[s->col] = text;
	return 0;
}

static int sheet_node(xlsx *x, xmlTextReaderPtr r, void *ctx)
{
	sheet_ctx *s = ctx;
	if (is_start(r, "row")) {
		char *v = attr(r, "r");
		char *end = NULL;
		long n = v ? strtol(v, &end, 10) : s->last_row + 1;
		bool ok = !v || (end != v && !*end);
		xmlFree(v);
		if (!ok || n < 1 || n > 1048576)
			return yj_fail(x->e, YJ_EINVAL, "file", "not a valid Excel (.xlsx) file: a row numbered '%ld'", n);
		if (n <= s->last_row)
			return yj_fail(x->e, YJ_EINVAL, "file",
				       "not a valid Excel (.xlsx) file: row %ld comes after row %ld", n, s->last_row);
		s->row_no = n;
		s->ncells = 0;
		s->prev_col = -1;
		if (xmlTextReaderIsEmptyElement(r))
			return end_row(x, s);
	} else if (is_end(r, "row")) {
		return end_row(x, s);
	} else if (is_start(r, "c")) {
		char *ref = attr(r, "r"), *type = attr(r, "t"), *style = attr(r, "s");
		long row;
		int rc = 0;
		if (ref && !reg_xlsx_cell_ref(ref, &s->col, &row)) {
			char quoted[24];
			reg_io_copy_utf8(quoted, sizeof quoted, ref, strlen(ref));
			rc = yj_fail(x->e, YJ_EINVAL, "file", "not a valid Excel (.xlsx) file: bad cell reference '%s'",
				     quoted);
		} else if (!ref) {
			s->col = (size_t)(s->prev_col + 1);
		}
		snprintf(s->type, sizeof s->type, "%s", type ? type : "n");
		s->style = style ? strtol(style, NULL, 10) : 0;
		xmlFree(ref);
		xmlFree(type);
		xmlFree(style);
		if (rc)
			return rc;
		s->prev_col = (long)s->col;
		s->in_cell = true;
		s->in_is = false;
		s->phonetic = 0;
		s->into = NULL;
		s->value.len = 0;
		s->inline_text.len = 0;
		strbuf_puts(&s->value, "");
		strbuf_puts(&s->inline_text, "");
		if (xmlTextReaderIsEmptyElement(r))
			return end_cell(x, s);
	} else if (!s->in_cell) {
		return 0;
	} else if (s->into && is_text(r)) {
		append_value(r, s->into);
	} else if (is_end(r, "c")) {
		return end_cell(x, s);
	} else if (is_start(r, "v") && !xmlTextReaderIsEmptyElement(r)) {
		s->into = &s->value;
	} else if (is_end(r, "v") || is_end(r, "t")) {
		s->into = NULL;
	} else if (is_start(r, "is")) {
		s->in_is = true;
	} else if (is_start(r, "rPh") && !xmlTextReaderIsEmptyElement(r)) {
		s->phonetic++;
	} else if (is_end(r, "rPh")) {
		s->phonetic--;
	} else if (is_start(r, "t") && s->in_is && !s->phonetic && !xmlTextReaderIsEmptyElement(r)) {
		s->into = &s->inline_text;
	}
	return 0;
}

/* ---- the workbook ------------------------------------------------------------------------- */

static int read_workbook(xlsx *x)
{
	workbook_ctx wb = {0};
	if (each_node(x, "xl/workbook.xml", true, workbook_node, &wb) != 0) {
		xmlFree(wb.rid);
		return -1;
	}
	if (!wb.rid)
		return yj_fail(x->e, YJ_EINVAL, "file", "not a valid Excel (.xlsx) file: the workbook has no sheet");
	rels_ctx rels = {.rid = wb.rid};
	int rc = each_node(x, "xl/_rels/workbook.xml.rels", true, rels_node, &rels);
	xmlFree(wb.rid);
	if (rc != 0)
		return -1;
	if (!rels.path[0])
		return yj_fail(x->e, YJ_EINVAL, "file",
			       "not a valid Excel (.xlsx) file: the workbook does not say where its first sheet is");

	sst_ctx sst = {0};
	strbuf_init(&sst.text);
	rc = each_node(x, "xl/sharedStrings.xml", false, sst_node, &sst);
	strbuf_free(&sst.text);
	if (rc != 0)
		return -1;
	styles_ctx st = {0};
	rc = each_node(x, "xl/styles.xml", false, styles_node, &st);
	free(st.fmts);
	if (rc != 0)
		return -1;

	sheet_ctx *sh = yj_calloc(1, sizeof *sh);
	strbuf_init(&sh->value);
	strbuf_init(&sh->inline_text);
	rc = each_node(x, rels.path, true, sheet_node, sh);
	strbuf_free(&sh->value);
	strbuf_free(&sh->inline_text);
	free(sh);
	return rc;
}

/* See io_int.h. */
int reg_xlsx_read(const char *body, size_t len, io_grid *g, yj_err *e)
{
	reg_grid_init(g);
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(body, len, 0, &ze);
	zip_t *zip = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
	if (!zip) {
		yj_fail(e, YJ_EINVAL, "file", "not a valid Excel (.xlsx) file: %s", zip_error_strerror(&ze));
		if (src)
			zip_source_free(src);
		zip_error_fini(&ze);
		return -1;
	}
	zip_error_fini(&ze);
	xlsx x = {.zip = zip, .g = g, .e = e};
	int rc = read_workbook(&x);
	zip_discard(zip); /* read-only: closes the archive and frees its source */
	free(x.sst);
	free(x.xf_kind);
	if (rc != 0)
		reg_grid_free(g);
	return rc;
}
