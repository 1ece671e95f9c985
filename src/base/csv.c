/*
 * csv.c — a general CSV reader (RFC 4180) for uploads and embedded data, and
 * the one rule for quoting a cell when writing CSV.
 *
 * The whole file is read at once: the bytes are made UTF-8 first (a UTF-8
 * BOM is skipped; bytes that are not valid UTF-8 are tried as GB18030, the
 * encoding Chinese Excel saves "CSV" in, and converted with iconv), then split
 * in place: every cell is a NUL-terminated string inside one owned buffer, so
 * a table is three allocations however many cells it has.
 *
 * Every record is kept, blank lines too (as one empty cell), so row r is the
 * (r+1)-th record of the file and callers can number rows the way a
 * spreadsheet does. Records may have different numbers of cells; a missing
 * cell reads as "". The reader knows nothing of headers or types.
 *
 * It does not stream: uploads are bounded by the HTTP layer, and the row and
 * column limits bound the cell index.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

const char *yj_csv_encoding_name(yj_csv_encoding enc)
{
	switch (enc) {
	case YJ_CSV_UTF8: return "UTF-8";
	case YJ_CSV_UTF8_BOM: return "UTF-8 (BOM)";
	case YJ_CSV_GB18030: return "GB18030";
	}
	return "?";
}

void yj_csv_free(yj_csv *t)
{
	if (!t)
		return;
	free(t->text);
	free(t->cells);
	free(t->row_start);
	free(t->row_line);
	memset(t, 0, sizeof *t);
}

/* The line (1-based) that byte offset off of text falls on. */
static long line_of(const char *text, size_t off)
{
	long line = 1;
	for (size_t i = 0; i < off; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/*
 * GB18030 bytes to a malloc'ed, NUL-terminated UTF-8 copy. NULL when the
 * bytes are not GB18030; *bad gets the offset of the first bad byte (or
 * (size_t)-1 when iconv itself is unavailable).
 */
static char *gb18030_to_utf8(const char *in, size_t n, size_t *out_len, size_t *bad)
{
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	if (cd == (iconv_t)-1) {
		*bad = (size_t)-1;
		return NULL;
	}
	/* two GB18030 bytes become at most three UTF-8 bytes, four at most four */
	size_t cap = n + n / 2 + 16;
	char *out = yj_malloc(cap);
	char *src = (char *)in, *dst = out;
	size_t src_left = n, dst_left = cap - 1;
	for (;;) {
		size_t r = src_left ? iconv(cd, &src, &src_left, &dst, &dst_left)
				    : iconv(cd, NULL, NULL, &dst, &dst_left);
		if (r != (size_t)-1) {
			if (src_left == 0)
				break;
			continue;
		}
		if (errno == E2BIG) {
			size_t used = (size_t)(dst - out);
			cap *= 2;
			char *grown = yj_realloc(out, cap);
			out = grown;
			dst = out + used;
			dst_left = cap - 1 - used;
			continue;
		}
		/* EILSEQ: not GB18030; EINVAL: a sequence cut off at the end */
		*bad = (size_t)(src - in);
		free(out);
		iconv_close(cd);
		return NULL;
	}
	iconv_close(cd);
	*dst = 0;
	*out_len = (size_t)(dst - out);
	return out;
}

/* Grow a pointer-sized array so that index `need` fits. */
static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	if (need < *cap)
		return arr;
	size_t c = *cap ? *cap : 64;
	while (c <= need)
		c *= 2;
	void *p = yj_realloc(arr, c * elem);
	*cap = c;
	return p;
}

/* The length a UTF-8 sequence with lead byte c claims (1 for a stray byte). */
static size_t utf8_char_len(char c)
{
	unsigned char u = (unsigned char)c;
	return u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : u >= 0xC0 ? 2 : 1;
}

/* Make t->text the UTF-8 text of data; fills t->encoding. */
static int csv_decode(const char *data, size_t len, yj_csv *t, size_t *text_len, yj_err *e)
{
	const unsigned char *u = (const unsigned char *)data;
	if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
		return yj_fail(e, YJ_EINVAL, "file",
			       "the file is UTF-16 text; save it as \"CSV UTF-8\" (or GB18030) instead");
	if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
		return yj_fail(e, YJ_EINVAL, "file",
			       "the file is a zip archive (an .xlsx workbook?), not CSV; save the sheet as \"CSV UTF-8\"");
	const char *nul = memchr(data, 0, len);
	if (nul)
		return yj_fail(e, YJ_EINVAL, "file", "line %ld: a NUL byte; this is not a text file",
			       line_of(data, (size_t)(nul - data)));

	t->encoding = YJ_CSV_UTF8;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		data += 3, len -= 3;
		t->encoding = YJ_CSV_UTF8_BOM;
	}
	if (yj_utf8_valid(data, len)) {
		t->text = yj_malloc(len + 1);
		memcpy(t->text, data, len);
		t->text[len] = 0;
		*text_len = len;
		return 0;
	}
	if (t->encoding == YJ_CSV_UTF8_BOM) {
		/* a BOM promises UTF-8: a bad byte is damage, not another encoding */
		size_t good = 0, step;
		while (good < len && (step = utf8_char_len(data[good])) <= len - good &&
		       yj_utf8_valid(data + good, step))
			good += step;
		return yj_fail(e, YJ_EINVAL, "file",
			       "line %ld: bytes that are not UTF-8, although the file starts with a UTF-8 BOM",
			       line_of(data, good));
	}
	size_t bad = 0;
	t->text = gb18030_to_utf8(data, len, text_len, &bad);
	if (!t->text) {
		if (bad == (size_t)-1)
			return yj_fail(e, YJ_EINTERNAL, "file", "iconv cannot convert GB18030 on this system");
		return yj_fail(e, YJ_EINVAL, "file",
			       "line %ld: the file is neither UTF-8 nor GB18030 text; save it as \"CSV UTF-8\"",
			       line_of(data, bad));
	}
	t->encoding = YJ_CSV_GB18030;
	/* a GB18030 BOM (84 31 95 33) converts to a UTF-8 one */
	if (*text_len >= 3 && memcmp(t->text, "\xEF\xBB\xBF", 3) == 0) {
		memmove(t->text, t->text + 3, *text_len - 3 + 1);
		*text_len -= 3;
	}
	return 0;
}

int yj_csv_parse(const char *data, size_t len, yj_csv *t, yj_err *e)
{
	memset(t, 0, sizeof *t);
	size_t n = 0;
	if (csv_decode(data, len, t, &n, e) != 0) {
		yj_csv_free(t);
		return -1;
	}

	size_t ncells = 0, cells_cap = 0, rows_cap = 0, lines_cap = 0;
	char *p = t->text, *end = t->text + n;
	long line = 1;
	while (p < end) {
		if (t->rows >= (size_t)YJ_CSV_MAX_ROWS + 1) {
			yj_fail(e, YJ_EUNPROCESSABLE, "file",
				"line %ld: more than %d rows after the header; split the file", line, YJ_CSV_MAX_ROWS);
			goto fail;
		}
		t->row_start = grow(t->row_start, &rows_cap, t->rows + 1, sizeof *t->row_start);
		t->row_line = grow(t->row_line, &lines_cap, t->rows, sizeof *t->row_line);
		t->row_start[t->rows] = ncells;
		t->row_line[t->rows] = line;
		long record_line = line;
		size_t row_cells = 0;
		for (;;) {
			if (row_cells == YJ_CSV_MAX_COLS) {
				yj_fail(e, YJ_EUNPROCESSABLE, "file", "line %ld: more than %d columns", record_line,
					YJ_CSV_MAX_COLS);
				goto fail;
			}
			char *cell = p, *out = p;
			if (p < end && *p == '"') {
				long quote_line = line;
				p++;
				for (;;) {
					if (p >= end) {
						yj_fail(e, YJ_EINVAL, "file",
							"line %ld: a quoted cell is never closed (a '\"' is missing)",
							quote_line);
						goto fail;
					}
					if (*p == '"') {
						if (p + 1 < end && p[1] == '"') {
							*out++ = '"';
							p += 2;
							continue;
						}
						p++;
						break;
					}
					if (*p == '\n' || (*p == '\r' && (p + 1 >= end || p[1] != '\n')))
						line++;
					*out++ = *p++;
				}
				while (p < end && (*p == ' ' || *p == '\t'))
					p++;
			} else {
				while (p < end && *p != ',' && *p != '\n' && *p != '\r')
					p++;
				out = p;
			}
			char sep = p < end ? *p : '\n';
			if (sep != ',' && sep != '\n' && sep != '\r') {
				yj_fail(e, YJ_EINVAL, "file",
					"line %ld: text after the closing quote of a cell (write a quote inside a "
					"quoted cell as \"\")",
					line);
				goto fail;
			}
			*out = 0; /* may overwrite the separator, which sep keeps; text has room for end */
			t->cells = grow(t->cells, &cells_cap, ncells, sizeof *t->cells);
			t->cells[ncells++] = cell;
			row_cells++;
			if (p < end)
				p++;
			if (sep == ',')
				continue;
			if (sep == '\r' && p < end && *p == '\n')
				p++;
			line++;
			break;
		}
		if (row_cells > t->cols)
			t->cols = row_cells;
		t->rows++;
	}
	t->row_start = grow(t->row_start, &rows_cap, t->rows, sizeof *t->row_start);
	t->row_start[t->rows] = ncells;
	return 0;
fail:
	yj_csv_free(t);
	return -1;
}

size_t yj_csv_row_cols(const yj_csv *t, size_t row)
{
	if (row >= t->rows)
		return 0;
	return t->row_start[row + 1] - t->row_start[row];
}

const char *yj_csv_cell(const yj_csv *t, size_t row, size_t col)
{
	if (col >= yj_csv_row_cols(t, row))
		return "";
	return t->cells[t->row_start[row] + col];
}

bool yj_csv_row_blank(const yj_csv *t, size_t row)
{
	size_t n = yj_csv_row_cols(t, row);
	for (size_t c = 0; c < n; c++)
		if (t->cells[t->row_start[row] + c][0])
			return false;
	return true;
}

long yj_csv_row_line(const yj_csv *t, size_t row)
{
	return row < t->rows ? t->row_line[row] : 0;
}

void yj_csv_append_cell(strbuf *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		strbuf_puts(b, s);
		return;
	}
	strbuf_append(b, "\"", 1);
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		strbuf_append(b, s, (size_t)(q - s + 1));
		strbuf_append(b, "\"", 1);
	}
	strbuf_puts(b, s);
	strbuf_append(b, "\"", 1);
}
