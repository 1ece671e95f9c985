/*
 * pdf_layout.c — the page machinery of the penalty decision (行政处罚决定书)
 * PDF: fonts, the line grid, pagination and drawing.
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
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>

#include "enforce/pdf_int.h"

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

PangoLayout *enf_pdf_layout_new(doc *d, const char *text, const style *st, double width)
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
	d->layouts = yj_grow(d->layouts, &d->caplayouts, d->nlayouts + 1, sizeof *d->layouts);
	d->layouts[d->nlayouts++] = l;
	return l;
}

/* Put the lines of l, whose text block starts at x, on the grid. keep_all
 * keeps every line with the next item (titles, the signature); otherwise a
 * paragraph keeps its first two and last two lines together. */
void enf_pdf_add_lines(doc *d, PangoLayout *l, double x, const style *st, bool keep_all)
{
	int n = pango_layout_get_line_count(l);
	PangoLayoutIter *iter = pango_layout_get_iter(l);
	for (int i = 0; i < n; i++, pango_layout_iter_next_line(iter)) {
		PangoLayoutLine *line = pango_layout_iter_get_line_readonly(iter);
		PangoRectangle in_layout, own;
		pango_layout_iter_get_line_extents(iter, NULL, &in_layout); /* where, in the layout */
		pango_layout_line_get_extents(line, NULL, &own);             /* height, around the baseline */
		d->items = yj_grow(d->items, &d->capitems, d->nitems + 1, sizeof *d->items);
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

void enf_pdf_par(doc *d, const char *text, const style *st)
{
	enf_pdf_add_lines(d, enf_pdf_layout_new(d, text, st, TEXT_W), MARGIN_LEFT, st, false);
}

void enf_pdf_heading(doc *d, const char *text)
{
	enf_pdf_add_lines(d, enf_pdf_layout_new(d, text, &ST_HEADING, TEXT_W), MARGIN_LEFT, &ST_HEADING, true);
}

/* Cut the items into pages. A run of items chained by keep_with_next moves
 * to a new page whole when it does not fit, unless it fills a page anyway. */
void enf_pdf_paginate(doc *d)
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
	PangoLayout *l = enf_pdf_layout_new(d, text, &st, TEXT_W);
	PangoLayoutIter *iter = pango_layout_get_iter(l);
	double baseline = (double)pango_layout_iter_get_baseline(iter) / PANGO_SCALE;
	pango_layout_iter_free(iter);
	/* the top of the figures FOOTER_GAP below the text block */
	cairo_move_to(cr, MARGIN_LEFT, MARGIN_TOP + TEXT_H + FOOTER_GAP + 0.9 * FOOTER_PT - baseline);
	pango_cairo_show_layout(cr, l);
}

/* The place of the seal: a dashed red circle centred on the top of the date line (so over the
 * authority's name and the date, as a stamped decision has it), "盖章处" inside at the top. */
static void draw_seal(doc *d, cairo_t *cr)
{
	static const style st = {SANS, 9, PANGO_WEIGHT_NORMAL, 12, 0, 0, AL_CENTER};
	const line_item *it = &d->items[d->seal_item];
	double cx = d->seal_x, cy = MARGIN_TOP + it->top;
	static const double dash[] = {4, 3};
	cairo_save(cr);
	cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
	cairo_set_line_width(cr, 0.8);
	cairo_set_dash(cr, dash, 2, 0);
	cairo_new_sub_path(cr);
	cairo_arc(cr, cx, cy, SEAL_R, 0, 2 * M_PI);
	cairo_stroke(cr);
	PangoLayout *l = enf_pdf_layout_new(d, "盖章处", &st, 2 * SEAL_R);
	cairo_move_to(cr, cx - SEAL_R, cy - SEAL_R + 4 * MM);
	pango_cairo_show_layout(cr, l);
	cairo_restore(cr);
}

/* Draw every page into a PDF in *out. */
int enf_pdf_render(doc *d, const char *title, const char *author, const char *created, strbuf *out,
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
		if (d->seal_item && d->seal_item < d->nitems && d->items[d->seal_item].page == page)
			draw_seal(d, cr);
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

void enf_pdf_doc_free(doc *d)
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
int enf_pdf_doc_init(doc *d, yj_err *e)
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
