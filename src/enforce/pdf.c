/*
 * pdf.c — the penalty decision (行政处罚决定书) as a PDF document.
 *
 * The main idea: lay out first, draw second. Every paragraph becomes one
 * PangoLayout (Pango does the line breaking of Chinese text, including the
 * rules that keep closing punctuation off the start of a line); its lines
 * become items on a 28.9 pt grid, 22 to a page as GB/T 9704 (党政机关公文格式)
 * has it. A paginator cuts the items into pages, honouring "keep with next"
 * (a heading with the first lines of its paragraph, no single line of a
 * paragraph alone at the top or bottom of a page, the signature with the
 * end of the text). Only then is the page count known, so only then is
 * anything drawn: each line at its place on a cairo PDF surface that writes
 * into memory, and "第 N 页 共 M 页" under every page.
 *
 * Fonts: Noto Serif CJK SC for the text (the 宋体 of the standard), Noto Sans
 * CJK SC for headings (黑体), found through fontconfig. cairo embeds the
 * subsets of the glyphs used. When no font with CJK glyphs is found the
 * call fails rather than print empty boxes.
 *
 * Threads: each call makes its own Pango font map and context, so nothing
 * Pango-side is shared between threads; fontconfig and cairo lock their
 * own global caches. Measured (-O2, 2 cores): a two- or three-page decision
 * takes 40-55 ms and ~240 kB, the first in a process ~120 ms (fontconfig
 * loads). A fresh font map per call costs nothing measurable next to the
 * rest: most of the time is cairo copying the CFF table of each Noto CJK
 * face (three faces: serif, serif bold, sans) to subset it.
 *
 * Not here: storing decisions, numbering them, publicity (公示, where an
 * individual's ID number must not appear), signatures or seals.
 */
#include "enforce/enf_pdf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

/* ---- amounts in capital numerals (大写) ---------------------------------- */

static const char *const CAP_DIGIT[10] = {"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"};
static const char *const CAP_POS[4] = {"", "拾", "佰", "仟"};
static const char *const CAP_GROUP[3] = {"", "万", "亿"};

void enf_amount_chinese(double yuan, char *out, size_t cap)
{
	if (!out || cap == 0)
		return;
	out[0] = 0;
	if (!isfinite(yuan) || yuan < 0 || yuan >= 1e12)
		return;
	long long fen_total = llround(yuan * 100);
	if (fen_total >= 100000000000000LL) /* rounded up to 10^12 */
		return;
	long long whole = fen_total / 100;
	int jiao = (int)(fen_total / 10 % 10), fen = (int)(fen_total % 10);

	strbuf b;
	strbuf_init(&b);
	if (whole > 0) {
		int digit[12], ndigits = 0;
		for (long long w = whole; w > 0; w /= 10)
			digit[ndigits++] = (int)(w % 10);
		/* A run of zeros reads as one 零 before the next non-zero digit,
		 * except zeros at the end of a 万/亿 group, which the group's unit
		 * absorbs (壹拾万柒仟, not 壹拾万零柒仟; both are allowed). */
		bool zero_pending = false;
		for (int i = ndigits - 1; i >= 0; i--) {
			int pos = i % 4, group = i / 4;
			if (digit[i] == 0) {
				zero_pending = true;
			} else {
				if (zero_pending)
					strbuf_puts(&b, "零");
				zero_pending = false;
				strbuf_puts(&b, CAP_DIGIT[digit[i]]);
				strbuf_puts(&b, CAP_POS[pos]);
			}
			if (pos == 0 && group > 0) {
				bool group_nonzero = false;
				for (int k = i; k < i + 4 && k < ndigits; k++)
					group_nonzero |= digit[k] != 0;
				if (group_nonzero) {
					strbuf_puts(&b, CAP_GROUP[group]);
					zero_pending = false;
				}
			}
		}
		strbuf_puts(&b, "元");
	}
	if (jiao == 0 && fen == 0) {
		strbuf_puts(&b, whole == 0 ? "零元整" : "整");
	} else {
		if (jiao) {
			strbuf_puts(&b, CAP_DIGIT[jiao]);
			strbuf_puts(&b, "角");
		} else if (whole > 0) {
			strbuf_puts(&b, "零"); /* 壹拾元零伍分 */
		}
		if (fen) {
			strbuf_puts(&b, CAP_DIGIT[fen]);
			strbuf_puts(&b, "分");
		}
	}
	snprintf(out, cap, "%s", b.data);
	yj_utf8_trim(out);
	strbuf_free(&b);
}

/* Small counts in ordinary Chinese numerals (十五日, 六十日, 六个月), 1..999. */
static void chinese_count(int n, char *out, size_t cap)
{
	static const char *const d[10] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
	int h = n / 100, t = n / 10 % 10, u = n % 10;
	if (n < 1 || n > 999) {
		snprintf(out, cap, "%d", n);
		return;
	}
	if (n < 10)
		snprintf(out, cap, "%s", d[u]);
	else if (n < 20)
		snprintf(out, cap, "十%s", u ? d[u] : "");
	else if (n < 100)
		snprintf(out, cap, "%s十%s", d[t], u ? d[u] : "");
	else if (t == 0)
		snprintf(out, cap, "%s百%s%s", d[h], u ? "零" : "", u ? d[u] : "");
	else
		snprintf(out, cap, "%s百%s十%s", d[h], d[t], u ? d[u] : "");
}

/* 25000 -> "25,000"; 1234.5 -> "1,234.50". */
static void amount_digits(double yuan, char *out, size_t cap)
{
	long long fen_total = llround(yuan * 100), whole = fen_total / 100;
	char digits[32], grouped[48];
	int n = snprintf(digits, sizeof digits, "%lld", whole), k = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			grouped[k++] = ',';
		grouped[k++] = digits[i];
	}
	grouped[k] = 0;
	if (fen_total % 100)
		snprintf(out, cap, "%s.%02lld", grouped, fen_total % 100);
	else
		snprintf(out, cap, "%s", grouped);
}

/* ---- page geometry (points; GB/T 9704) ----------------------------------- */

#define MM            (72.0 / 25.4)
#define PAGE_W        (210 * MM)
#define PAGE_H        (297 * MM)
#define MARGIN_TOP    (37 * MM)
#define MARGIN_LEFT   (28 * MM)
#define TEXT_W        (156 * MM)
#define TEXT_H        (225 * MM)
#define BODY_PT       15.75            /* 三号, so 28 characters fill a line */
#define GRID          (TEXT_H / 22)    /* 22 lines a page */
#define FOOTER_PT     12.0
#define FOOTER_GAP    (7 * MM)         /* page number below the text block */

#define SERIF "Noto Serif CJK SC, Noto Serif CJK, Source Han Serif SC, serif"
#define SANS  "Noto Sans CJK SC, Noto Sans CJK, Source Han Sans SC, sans-serif"

#define FACTS_MAX 60000
#define TEXT_MAX  4000
#define EVIDENCE_MAX 200

typedef enum { AL_JUSTIFY, AL_LEFT, AL_CENTER, AL_RIGHT } align;

typedef struct style {
	const char *family;
	double size;       /* points */
	PangoWeight weight;
	double pitch;      /* height of one line box */
	double indent;     /* first-line indent, points */
	double letter_spacing;
	align al;
} style;

static const style ST_TITLE = {SERIF, 22, PANGO_WEIGHT_BOLD, 1.5 * GRID, 0, 0, AL_CENTER};
static const style ST_TITLE_SPACED = {SERIF, 22, PANGO_WEIGHT_BOLD, 1.5 * GRID, 0, 4, AL_CENTER};
static const style ST_NUMBER = {SERIF, BODY_PT, PANGO_WEIGHT_NORMAL, GRID, 0, 0, AL_RIGHT};
static const style ST_PARTY = {SERIF, BODY_PT, PANGO_WEIGHT_NORMAL, GRID, 0, 0, AL_JUSTIFY};
static const style ST_HEADING = {SANS, BODY_PT, PANGO_WEIGHT_NORMAL, GRID, 2 * BODY_PT, 0, AL_LEFT};
static const style ST_BODY = {SERIF, BODY_PT, PANGO_WEIGHT_NORMAL, GRID, 2 * BODY_PT, 0, AL_JUSTIFY};
static const style ST_SIGN = {SERIF, BODY_PT, PANGO_WEIGHT_NORMAL, GRID, 0, 0, AL_LEFT};

/* One line of a laid-out paragraph, placed on the grid. */
typedef struct line_item {
	PangoLayoutLine *line; /* of a layout the doc owns */
	double x;              /* left edge of the line (alignment and indent applied) */
	double pitch;
	double baseline;       /* from the top of the line box */
	double space_before;   /* dropped at the top of a page */
	bool keep_with_next;
	int page;
	double top;            /* from the top of the text block */
} line_item;

typedef struct doc {
	PangoFontMap *fontmap;
	PangoContext *pango;
	PangoLayout **layouts;
	size_t nlayouts, caplayouts;
	line_item *items;
	size_t nitems, capitems;
	int pages;
	double pending_space; /* space before the next paragraph */
} doc;

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap * 2 : 32;
	while (n < need)
		n *= 2;
	void *q = realloc(p, n * size);
	if (!q)
		abort();
	*cap = n;
	return q;
}

/* Pango keeps a run of letters and digits on one line (a word); a long one
 * (an account or ID number) then jumps to the next line and leaves the
 * justified line before it spaced out. A zero-width space after each of its
 * characters lets it break anywhere, as Chinese text does. It draws nothing. */
static char *breakable_text(const char *text)
{
	enum { LONG_RUN = 10 };
	strbuf b;
	strbuf_init(&b);
	for (const char *p = text; *p;) {
		size_t run = 0;
		while (p[run] && ((p[run] >= '0' && p[run] <= '9') || ((p[run] | 0x20) >= 'a' && (p[run] | 0x20) <= 'z')))
			run++;
		if (run >= LONG_RUN) {
			for (size_t i = 0; i < run; i++) {
				strbuf_append(&b, p + i, 1);
				if (i + 1 < run)
					strbuf_puts(&b, "\u200B");
			}
			p += run;
		} else if (run > 0) {
			strbuf_append(&b, p, run);
			p += run;
		} else {
			strbuf_append(&b, p++, 1);
		}
	}
	size_t len;
	return strbuf_take(&b, &len);
}

static PangoLayout *layout_new(doc *d, const char *text, const style *st, double width)
{
	PangoLayout *l = pango_layout_new(d->pango);
	PangoFontDescription *fd = pango_font_description_from_string(st->family);
	pango_font_description_set_absolute_size(fd, st->size * PANGO_SCALE);
	pango_font_description_set_weight(fd, st->weight);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_indent(l, (int)(st->indent * PANGO_SCALE));
	pango_layout_set_alignment(l, st->al == AL_CENTER  ? PANGO_ALIGN_CENTER
				       : st->al == AL_RIGHT ? PANGO_ALIGN_RIGHT
							    : PANGO_ALIGN_LEFT);
	pango_layout_set_justify(l, st->al == AL_JUSTIFY);
	if (st->letter_spacing > 0) {
		PangoAttrList *attrs = pango_attr_list_new();
		pango_attr_list_insert(attrs, pango_attr_letter_spacing_new((int)(st->letter_spacing * PANGO_SCALE)));
		pango_layout_set_attributes(l, attrs);
		pango_attr_list_unref(attrs);
	}
	char *breakable = breakable_text(text);
	pango_layout_set_text(l, breakable, -1);
	free(breakable);
	d->layouts = grow(d->layouts, &d->caplayouts, d->nlayouts + 1, sizeof *d->layouts);
	d->layouts[d->nlayouts++] = l;
	return l;
}

/* Put the lines of l, whose text block starts at x, on the grid. keep_all
 * keeps every line with the next item (titles, the signature); otherwise a
 * paragraph keeps its first two and last two lines together. */
static void add_lines(doc *d, PangoLayout *l, double x, const style *st, bool keep_all)
{
	int n = pango_layout_get_line_count(l);
	PangoLayoutIter *iter = pango_layout_get_iter(l);
	for (int i = 0; i < n; i++, pango_layout_iter_next_line(iter)) {
		PangoLayoutLine *line = pango_layout_iter_get_line_readonly(iter);
		PangoRectangle in_layout, own;
		pango_layout_iter_get_line_extents(iter, NULL, &in_layout); /* where, in the layout */
		pango_layout_line_get_extents(line, NULL, &own);             /* height, around the baseline */
		d->items = grow(d->items, &d->capitems, d->nitems + 1, sizeof *d->items);
		line_item *it = &d->items[d->nitems++];
		*it = (line_item){
			.line = line,
			.x = x + (double)in_layout.x / PANGO_SCALE,
			.pitch = st->pitch,
			/* centre the font's line box in the grid line */
			.baseline = (st->pitch - (double)own.height / PANGO_SCALE) / 2 - (double)own.y / PANGO_SCALE,
			.space_before = i == 0 ? d->pending_space : 0,
			.keep_with_next = keep_all || (n > 1 && (i == 0 || i == n - 2)),
		};
	}
	pango_layout_iter_free(iter);
	d->pending_space = 0;
}

static void par(doc *d, const char *text, const style *st)
{
	add_lines(d, layout_new(d, text, st, TEXT_W), MARGIN_LEFT, st, false);
}

static void heading(doc *d, const char *text)
{
	add_lines(d, layout_new(d, text, &ST_HEADING, TEXT_W), MARGIN_LEFT, &ST_HEADING, true);
}

/* Cut the items into pages. A run of items chained by keep_with_next moves
 * to a new page whole when it does not fit, unless it fills a page anyway. */
static void paginate(doc *d)
{
	const double eps = 0.01;
	int page = 0;
	double y = 0;
	bool empty = true;
	for (size_t i = 0; i < d->nitems;) {
		size_t j = i;
		double h = (empty ? 0 : d->items[i].space_before) + d->items[i].pitch;
		while (d->items[j].keep_with_next && j + 1 < d->nitems) {
			j++;
			h += d->items[j].space_before + d->items[j].pitch;
		}
		if (!empty && y + h > TEXT_H + eps && h - d->items[i].space_before <= TEXT_H) {
			page++;
			y = 0;
			empty = true;
		}
		for (size_t k = i; k <= j; k++) {
			line_item *it = &d->items[k];
			if (!empty)
				y += it->space_before;
			if (!empty && y + it->pitch > TEXT_H + eps) {
				page++;
				y = 0;
			}
			it->page = page;
			it->top = y;
			y += it->pitch;
			empty = false;
		}
		i = j + 1;
	}
	d->pages = page + 1;
}

static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int length)
{
	strbuf_append(closure, data, length);
	return CAIRO_STATUS_SUCCESS;
}

static void draw_footer(doc *d, cairo_t *cr, int page)
{
	static const style st = {SERIF, FOOTER_PT, PANGO_WEIGHT_NORMAL, FOOTER_PT * 1.5, 0, 0, AL_CENTER};
	char text[64];
	snprintf(text, sizeof text, "第 %d 页 共 %d 页", page + 1, d->pages);
	PangoLayout *l = layout_new(d, text, &st, TEXT_W);
	PangoLayoutIter *iter = pango_layout_get_iter(l);
	double baseline = (double)pango_layout_iter_get_baseline(iter) / PANGO_SCALE;
	pango_layout_iter_free(iter);
	/* the top of the figures FOOTER_GAP below the text block */
	cairo_move_to(cr, MARGIN_LEFT, MARGIN_TOP + TEXT_H + FOOTER_GAP + 0.9 * FOOTER_PT - baseline);
	pango_cairo_show_layout(cr, l);
}

/* Draw every page into a PDF in *out. */
static int render(doc *d, const char *title, const char *author, const char *created, strbuf *out,
		  yj_err *e)
{
	cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(pdf_write, out, PAGE_W, PAGE_H);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, author);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "yingji");
	/* a fixed creation date makes the same decision the same bytes */
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, created);
	cairo_t *cr = cairo_create(surface);
	cairo_set_source_rgb(cr, 0, 0, 0);
	size_t i = 0;
	for (int page = 0; page < d->pages; page++) {
		for (; i < d->nitems && d->items[i].page == page; i++) {
			const line_item *it = &d->items[i];
			cairo_move_to(cr, it->x, MARGIN_TOP + it->top + it->baseline);
			pango_cairo_show_layout_line(cr, it->line);
		}
		draw_footer(d, cr, page);
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	cairo_surface_finish(surface);
	cairo_status_t st = cairo_surface_status(surface);
	cairo_surface_destroy(surface);
	if (st != CAIRO_STATUS_SUCCESS)
		return yj_fail(e, YJ_EINTERNAL, "", "PDF rendering failed: %s", cairo_status_to_string(st));
	return 0;
}

static void doc_free(doc *d)
{
	for (size_t i = 0; i < d->nlayouts; i++)
		g_object_unref(d->layouts[i]);
	free(d->layouts);
	free(d->items);
	if (d->pango)
		g_object_unref(d->pango);
	if (d->fontmap)
		g_object_unref(d->fontmap);
}

/* A font map and context of our own, for PDF: 1 unit = 1 point, no hinting,
 * unrounded glyph positions. Fails when the serif face lacks Chinese glyphs. */
static int doc_init(doc *d, yj_err *e)
{
	memset(d, 0, sizeof *d);
	d->fontmap = pango_cairo_font_map_new();
	d->pango = pango_font_map_create_context(d->fontmap);
	pango_cairo_context_set_resolution(d->pango, 72);
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	pango_cairo_context_set_font_options(d->pango, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_round_glyph_positions(d->pango, FALSE);
	pango_context_set_language(d->pango, pango_language_from_string("zh-cn"));

	PangoFontDescription *fd = pango_font_description_from_string(SERIF);
	pango_font_description_set_absolute_size(fd, BODY_PT * PANGO_SCALE);
	PangoFont *font = pango_context_load_font(d->pango, fd);
	pango_font_description_free(fd);
	bool cjk = false;
	if (font) {
		PangoCoverage *cov = pango_font_get_coverage(font, pango_language_from_string("zh-cn"));
		cjk = pango_coverage_get(cov, 0x7F5A /* 罚 */) == PANGO_COVERAGE_EXACT;
		g_object_unref(cov);
		g_object_unref(font);
	}
	if (!cjk)
		return yj_fail(e, YJ_EUNAVAILABLE, "", "no font with Chinese characters is installed (fonts-noto-cjk)");
	return 0;
}

/* ---- reading the decision ------------------------------------------------ */

/* The string v into *out (NULL when absent or blank and not required).
 * path names it in errors ("party.name"). */
static int check_str(json_t *v, const char *path, bool required, size_t max, const char **out, yj_err *e)
{
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return yj_fail(e, YJ_EINVAL, path, "field '%s' is required", path);
		return 0;
	}
	if (!json_is_string(v))
		return yj_fail(e, YJ_EINVAL, path, "field '%s' must be a string", path);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n > max)
		return yj_fail(e, YJ_EINVAL, path, "field '%s' is longer than %zu bytes", path, max);
	if (strlen(s) != n || !yj_utf8_valid(s, n))
		return yj_fail(e, YJ_EINVAL, path, "field '%s' is not UTF-8 text", path);
	size_t blank = strspn(s, " \t\r\n");
	if (blank == n) {
		if (required)
			return yj_fail(e, YJ_EINVAL, path, "field '%s' is required", path);
		return 0;
	}
	*out = s;
	return 0;
}

static int get_str(json_t *o, const char *key, const char *path, bool required, size_t max,
		   const char **out, yj_err *e)
{
	return check_str(json_object_get(o, key), path, required, max, out, e);
}

static int get_bool(json_t *o, const char *key, const char *path, int *out, yj_err *e)
{
	json_t *v = json_object_get(o, key);
	*out = -1; /* absent */
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return yj_fail(e, YJ_EINVAL, path, "field '%s' must be true or false", path);
	*out = json_is_true(v);
	return 0;
}

static int get_amount(json_t *o, const char *key, const char *path, double *out, yj_err *e)
{
	json_t *v = json_object_get(o, key);
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return yj_fail(e, YJ_EINVAL, path, "field '%s' must be a number of yuan", path);
	double x = json_number_value(v);
	if (!isfinite(x) || x < 0.005 || x >= 1e12)
		return yj_fail(e, YJ_EINVAL, path, "field '%s': %.2f is outside 0.01..999999999999.99", path, x);
	*out = x;
	return 0;
}

static int get_count(json_t *o, const char *key, const char *path, int lo, int hi, int dflt, int *out,
		     yj_err *e)
{
	json_t *v = json_object_get(o, key);
	*out = dflt;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return yj_fail(e, YJ_EINVAL, path, "field '%s' must be a whole number in %d..%d", path, lo, hi);
	*out = (int)json_integer_value(v);
	return 0;
}

static int get_object(json_t *o, const char *key, bool required, json_t **out, yj_err *e)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return yj_fail(e, YJ_EINVAL, key, "field '%s' is required", key);
		return 0;
	}
	if (!json_is_object(v))
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must be an object", key);
	*out = v;
	return 0;
}

/* Everything the document says, checked. Strings point into the JSON. */
typedef struct decision {
	const char *authority, *decision_no;
	const char *party_name, *credit_code, *address, *legal_rep, *id_number;
	bool enterprise;
	const char *facts, *legal_basis, *penalty_basis;
	json_t *evidence;
	double fine, confiscation;
	int warning, revocation; /* -1 absent, 0, 1 */
	const char *suspension;
	bool has_payment;
	const char *bank, *account;
	int deadline_days;
	int statement_heard, hearing_held;
	const char *reconsideration_body, *court;
	int reconsideration_days, litigation_months;
	int64_t decided_ms;
	const char *decided;
} decision;

static int decision_read(json_t *c, decision *dc, yj_err *e)
{
	memset(dc, 0, sizeof *dc);
	if (!json_is_object(c))
		return yj_fail(e, YJ_EINVAL, "", "the decision must be a JSON object");
	json_t *party, *penalty, *payment, *appeal;
	const char *type;
	if (get_str(c, "authority", "authority", true, TEXT_MAX, &dc->authority, e) ||
	    get_str(c, "decision_no", "decision_no", true, TEXT_MAX, &dc->decision_no, e) ||
	    get_object(c, "party", true, &party, e) ||
	    get_str(party, "name", "party.name", true, TEXT_MAX, &dc->party_name, e) ||
	    get_str(party, "type", "party.type", true, TEXT_MAX, &type, e))
		return -1;
	if (strcmp(type, "enterprise") == 0)
		dc->enterprise = true;
	else if (strcmp(type, "individual") != 0)
		return yj_fail(e, YJ_EINVAL, "party.type", "field 'party.type' must be \"enterprise\" or \"individual\"");
	if (get_str(party, "credit_code", "party.credit_code", false, TEXT_MAX, &dc->credit_code, e) ||
	    get_str(party, "address", "party.address", false, TEXT_MAX, &dc->address, e) ||
	    get_str(party, "legal_representative", "party.legal_representative", false, TEXT_MAX,
		    &dc->legal_rep, e) ||
	    get_str(party, "id_number", "party.id_number", false, TEXT_MAX, &dc->id_number, e) ||
	    get_str(c, "facts", "facts", true, FACTS_MAX, &dc->facts, e))
		return -1;

	json_t *ev = json_object_get(c, "evidence");
	if (ev && !json_is_null(ev)) {
		if (!json_is_array(ev))
			return yj_fail(e, YJ_EINVAL, "evidence", "field 'evidence' must be an array of strings");
		if (json_array_size(ev) > EVIDENCE_MAX)
			return yj_fail(e, YJ_EINVAL, "evidence", "field 'evidence' has more than %d items",
				       EVIDENCE_MAX);
		for (size_t i = 0; i < json_array_size(ev); i++) {
			json_t *item = json_array_get(ev, i);
			char path[32];
			snprintf(path, sizeof path, "evidence[%zu]", i);
			const char *s;
			if (check_str(item, path, true, TEXT_MAX, &s, e))
				return -1;
		}
		dc->evidence = ev;
	}

	if (get_str(c, "legal_basis", "legal_basis", true, TEXT_MAX, &dc->legal_basis, e) ||
	    get_str(c, "penalty_basis", "penalty_basis", false, TEXT_MAX, &dc->penalty_basis, e) ||
	    get_object(c, "penalty", true, &penalty, e) ||
	    get_amount(penalty, "fine_yuan", "penalty.fine_yuan", &dc->fine, e) ||
	    get_amount(penalty, "confiscation_yuan", "penalty.confiscation_yuan", &dc->confiscation, e) ||
	    get_bool(penalty, "warning", "penalty.warning", &dc->warning, e) ||
	    get_bool(penalty, "revocation", "penalty.revocation", &dc->revocation, e) ||
	    get_str(penalty, "suspension", "penalty.suspension", false, TEXT_MAX, &dc->suspension, e))
		return -1;
	if (dc->fine == 0 && dc->confiscation == 0 && dc->warning != 1 && dc->revocation != 1 && !dc->suspension)
		return yj_fail(e, YJ_EINVAL, "penalty",
			       "field 'penalty' names no penalty (fine_yuan, confiscation_yuan, warning, "
			       "revocation or suspension)");

	if (get_object(c, "payment", false, &payment, e))
		return -1;
	dc->deadline_days = 15;
	if (payment) {
		dc->has_payment = true;
		if (get_str(payment, "bank", "payment.bank", true, TEXT_MAX, &dc->bank, e) ||
		    get_str(payment, "account", "payment.account", false, TEXT_MAX, &dc->account, e) ||
		    get_count(payment, "deadline_days", "payment.deadline_days", 1, 365, 15, &dc->deadline_days, e))
			return -1;
	}
	if (get_bool(c, "statement_heard", "statement_heard", &dc->statement_heard, e) ||
	    get_bool(c, "hearing_held", "hearing_held", &dc->hearing_held, e) ||
	    get_object(c, "appeal", true, &appeal, e) ||
	    get_str(appeal, "reconsideration_body", "appeal.reconsideration_body", true, TEXT_MAX,
		    &dc->reconsideration_body, e) ||
	    get_str(appeal, "court", "appeal.court", true, TEXT_MAX, &dc->court, e) ||
	    get_count(appeal, "reconsideration_days", "appeal.reconsideration_days", 1, 365, 60,
		      &dc->reconsideration_days, e) ||
	    get_count(appeal, "litigation_months", "appeal.litigation_months", 1, 120, 6, &dc->litigation_months,
		      e) ||
	    get_str(c, "decided", "decided", true, 64, &dc->decided, e) ||
	    yj_time_parse(dc->decided, &dc->decided_ms, "decided", e))
		return -1;
	return 0;
}

/* ---- the document -------------------------------------------------------- */

/* s without trailing sentence punctuation, then end, into b. */
static void put_clause(strbuf *b, const char *s, const char *end)
{
	size_t n = strlen(s);
	static const char *const trail[] = {"。", "；", "，", ";", ",", ".", " ", "\n", "\r", "\t"};
	for (bool cut = true; cut && n > 0;) {
		cut = false;
		for (size_t i = 0; i < YJ_ARRAY_LEN(trail); i++) {
			size_t t = strlen(trail[i]);
			if (n >= t && memcmp(s + n - t, trail[i], t) == 0) {
				n -= t;
				cut = true;
			}
		}
	}
	strbuf_append(b, s, n);
	strbuf_puts(b, end);
}

/* Text as printed: tabs and other control characters become spaces. */
static char *clean_text(const char *s)
{
	char *t = strdup(s);
	if (!t)
		abort();
	for (char *p = t; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			*p = ' ';
	return t;
}

/* Past the spaces that start a paragraph typed elsewhere, "　　" (U+3000)
 * included: the layout indents by itself. */
static char *skip_indent(char *p)
{
	for (;;) {
		if (*p == ' ')
			p++;
		else if (strncmp(p, "\u3000", 3) == 0)
			p += 3;
		else
			return p;
	}
}

/* A text of several paragraphs ("\n" between them), each its own body paragraph. */
static void paragraphs(doc *d, const char *text)
{
	char *t = clean_text(text);
	for (char *p = t, *next; p; p = next) {
		next = strchr(p, '\n');
		if (next)
			*next++ = 0;
		p = skip_indent(p);
		if (*p)
			par(d, p, &ST_BODY);
	}
	free(t);
}

static void label_line(doc *d, const char *label, const char *value)
{
	if (!value)
		return;
	char *v = clean_text(value);
	for (char *p = v; *p; p++)
		if (*p == '\n')
			*p = ' ';
	char *text = g_strdup_printf("%s：%s", label, v);
	par(d, text, &ST_PARTY);
	g_free(text);
	free(v);
}

static void money_clause(strbuf *b, const char *what, double yuan)
{
	char digits[48], capital[128];
	amount_digits(yuan, digits, sizeof digits);
	enf_amount_chinese(yuan, capital, sizeof capital);
	strbuf_printf(b, "%s人民币%s元（大写：%s）", what, digits, capital);
}

static void build(doc *d, const decision *dc)
{
	strbuf b;
	strbuf_init(&b);
	char n1[32], n2[32];

	/* title: the authority, the kind of document, the number */
	add_lines(d, layout_new(d, dc->authority, &ST_TITLE, TEXT_W), MARGIN_LEFT, &ST_TITLE, true);
	add_lines(d, layout_new(d, "行政处罚决定书", &ST_TITLE_SPACED, TEXT_W), MARGIN_LEFT, &ST_TITLE_SPACED, true);
	d->pending_space = GRID / 2;
	add_lines(d, layout_new(d, dc->decision_no, &ST_NUMBER, TEXT_W), MARGIN_LEFT, &ST_NUMBER, false);
	d->pending_space = GRID / 2;

	/* 当事人 the party */
	label_line(d, "当事人", dc->party_name);
	if (dc->enterprise) {
		label_line(d, "统一社会信用代码", dc->credit_code);
		label_line(d, "法定代表人", dc->legal_rep);
	} else {
		label_line(d, "身份证号码", dc->id_number);
		label_line(d, "统一社会信用代码", dc->credit_code);
	}
	label_line(d, "地址", dc->address);

	/* 一、违法事实和证据 */
	heading(d, dc->evidence ? "一、违法事实和证据" : "一、违法事实");
	paragraphs(d, dc->facts);
	size_t nev = dc->evidence ? json_array_size(dc->evidence) : 0;
	if (nev > 0) {
		par(d, "上述事实有以下证据证明：", &ST_BODY);
		for (size_t i = 0; i < nev; i++) {
			char *item = clean_text(json_string_value(json_array_get(dc->evidence, i)));
			for (char *p = item; *p; p++)
				if (*p == '\n')
					*p = ' ';
			strbuf_printf(&b, "%zu．", i + 1);
			put_clause(&b, skip_indent(item), i + 1 < nev ? "；" : "。");
			par(d, b.data, &ST_BODY);
			b.len = 0;
			free(item);
		}
	}

	/* 二、处罚依据 */
	heading(d, "二、处罚依据");
	paragraphs(d, dc->legal_basis);
	if (dc->penalty_basis)
		paragraphs(d, dc->penalty_basis);

	/* 三、处罚决定 */
	heading(d, "三、处罚决定");
	if (dc->statement_heard >= 0 || dc->hearing_held == 1) {
		strbuf_puts(&b, "本机关已依法告知当事人拟作出行政处罚的事实、理由、依据及其依法享有的陈述、申辩权利");
		if (dc->hearing_held == 1)
			strbuf_puts(&b, "和要求听证的权利");
		strbuf_puts(&b, "。");
		if (dc->statement_heard == 1)
			strbuf_puts(&b, "当事人提出了陈述、申辩，本机关对其提出的事实、理由和证据进行了复核。");
		else if (dc->statement_heard == 0)
			strbuf_puts(&b, "当事人在法定期限内未提出陈述、申辩。");
		if (dc->hearing_held == 1)
			strbuf_puts(&b, "应当事人要求，本机关依法举行了听证。");
		par(d, b.data, &ST_BODY);
		b.len = 0;
	}
	/* the penalties, in the order of 《行政处罚法》第九条 */
	char *item[5];
	int nitem = 0;
	if (dc->warning == 1)
		item[nitem++] = g_strdup("警告");
	if (dc->fine > 0) {
		money_clause(&b, "罚款", dc->fine);
		item[nitem++] = g_strdup(b.data);
		b.len = 0;
	}
	if (dc->confiscation > 0) {
		money_clause(&b, "没收违法所得", dc->confiscation);
		item[nitem++] = g_strdup(b.data);
		b.len = 0;
	}
	if (dc->suspension) {
		char *s = clean_text(dc->suspension);
		put_clause(&b, s, "");
		item[nitem++] = g_strdup(b.data);
		b.len = 0;
		free(s);
	}
	if (dc->revocation == 1)
		item[nitem++] = g_strdup("吊销有关许可证件");
	if (nitem == 1) {
		strbuf_printf(&b, "根据上述事实和依据，本机关决定对当事人作出如下行政处罚：%s。", item[0]);
		par(d, b.data, &ST_BODY);
		b.len = 0;
	} else {
		par(d, "本机关依法决定对当事人作出以下行政处罚：", &ST_BODY);
		for (int i = 0; i < nitem; i++) {
			strbuf_printf(&b, "%d．%s%s", i + 1, item[i], i + 1 < nitem ? "；" : "。");
			par(d, b.data, &ST_BODY);
			b.len = 0;
		}
	}
	for (int i = 0; i < nitem; i++)
		g_free(item[i]);

	/* 四、履行方式和期限 */
	heading(d, "四、履行方式和期限");
	if (dc->fine > 0 || dc->confiscation > 0) {
		chinese_count(dc->deadline_days, n1, sizeof n1);
		const char *what = dc->fine > 0 && dc->confiscation > 0 ? "罚没款"
				   : dc->fine > 0                     ? "罚款"
								      : "没收的违法所得";
		if (dc->has_payment) {
			strbuf_printf(&b, "当事人应当自收到本决定书之日起%s日内，将%s缴至%s", n1, what, dc->bank);
			if (dc->account)
				strbuf_printf(&b, "（账号：%s）", dc->account);
			strbuf_puts(&b, "。");
		} else {
			strbuf_printf(&b, "当事人应当自收到本决定书之日起%s日内，到指定的银行或者通过电子支付系统缴纳%s。",
				      n1, what);
		}
		if (dc->fine > 0)
			strbuf_puts(&b, "到期不缴纳罚款的，本机关可以每日按罚款数额的百分之三加处罚款，"
					"加处罚款的数额不超出罚款的数额。");
	} else {
		strbuf_puts(&b, "本决定自送达当事人之日起生效，当事人应当自觉履行。");
	}
	par(d, b.data, &ST_BODY);
	b.len = 0;

	/* 五、救济途径和期限 */
	heading(d, "五、救济途径和期限");
	chinese_count(dc->reconsideration_days, n1, sizeof n1);
	chinese_count(dc->litigation_months, n2, sizeof n2);
	strbuf_printf(&b,
		      "当事人如不服本处罚决定，可以自收到本决定书之日起%s日内向%s申请行政复议，"
		      "或者自收到本决定书之日起%s个月内依法向%s提起行政诉讼。"
		      "申请行政复议或者提起行政诉讼期间，本处罚决定不停止执行，法律另有规定的除外。"
		      "当事人逾期不申请行政复议、不提起行政诉讼，又不履行本处罚决定的，本机关将依法申请人民法院强制执行。",
		      n1, dc->reconsideration_body, n2, dc->court);
	par(d, b.data, &ST_BODY);
	b.len = 0;

	/* the signature: the date four characters from the right margin, the
	 * authority centred over it; both stay with the last lines of text */
	if (d->nitems >= 2) {
		d->items[d->nitems - 1].keep_with_next = true;
		d->items[d->nitems - 2].keep_with_next = true;
	}
	char local[40];
	yj_time_format(dc->decided_ms, local);
	int year = 0, month = 0, day = 0;
	sscanf(local, "%d-%d-%d", &year, &month, &day);
	char date[64];
	snprintf(date, sizeof date, "%d年%d月%d日", year, month, day);
	PangoLayout *ld = layout_new(d, date, &ST_SIGN, TEXT_W);
	PangoLayout *la = layout_new(d, dc->authority, &ST_SIGN, TEXT_W);
	PangoRectangle rd, ra;
	pango_layout_get_extents(ld, NULL, &rd);
	pango_layout_get_extents(la, NULL, &ra);
	double wd = (double)rd.width / PANGO_SCALE, wa = (double)ra.width / PANGO_SCALE;
	double right = MARGIN_LEFT + TEXT_W, centre = right - 4 * BODY_PT - wd / 2;
	double xa = centre - wa / 2;
	if (xa + wa > right)
		xa = right - wa;
	if (xa < MARGIN_LEFT) { /* a very long name: wrap it right-aligned */
		xa = MARGIN_LEFT;
		pango_layout_set_alignment(la, PANGO_ALIGN_RIGHT);
	}
	d->pending_space = 2 * GRID;
	add_lines(d, la, xa, &ST_SIGN, true);
	add_lines(d, ld, centre - wd / 2, &ST_SIGN, false);
	strbuf_free(&b);
}

int enf_decision_pdf(json_t *c, char **pdf, size_t *len, yj_err *e)
{
	*pdf = NULL;
	*len = 0;
	decision dc;
	if (decision_read(c, &dc, e))
		return -1;
	doc d;
	if (doc_init(&d, e)) {
		doc_free(&d);
		return -1;
	}
	build(&d, &dc);
	paginate(&d);

	/* PDF metadata wants "YYYY-MM-DDThh:mm:ss+08:00", no fraction */
	char local[40], created[40];
	yj_time_format(dc.decided_ms, local);
	snprintf(created, sizeof created, "%.19s+08:00", local);
	char *title = g_strdup_printf("行政处罚决定书 %s", dc.decision_no);
	strbuf out;
	strbuf_init(&out);
	int rc = render(&d, title, dc.authority, created, &out, e);
	g_free(title);
	doc_free(&d);
	if (rc) {
		strbuf_free(&out);
		return -1;
	}
	*pdf = strbuf_take(&out, len);
	return 0;
}
