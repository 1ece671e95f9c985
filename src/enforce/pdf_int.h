/*
 * pdf_int.h — shared by the files that make the penalty decision PDF
 * (pdf_layout.c: fonts, line grid, pages; pdf_amount.c: numerals;
 * pdf_decision.c: the document's text). Not for the rest of enforcement.
 */
#ifndef YJ_ENF_PDF_INT_H
#define YJ_ENF_PDF_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "base/base.h"

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

#define SEAL_R        (21 * MM)        /* 42 mm: the seal of a county-level organ */

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
	size_t seal_item;     /* the line the seal is marked over (its centre on that line's top); 0: none */
	double seal_x;        /* the seal's centre, from the page's left edge */
} doc;

/* A new layout of text in style st, width points wide, owned by d. */
PangoLayout *enf_pdf_layout_new(doc *d, const char *text, const style *st, double width);
/* Put the lines of l, whose text block starts at x, on the grid. keep_all keeps every line with
 * the next item (titles, the signature); otherwise a paragraph keeps its first two and last two
 * lines together. */
void enf_pdf_add_lines(doc *d, PangoLayout *l, double x, const style *st, bool keep_all);
/* a paragraph of the text block in style st; a heading (kept with what follows) */
void enf_pdf_par(doc *d, const char *text, const style *st);
void enf_pdf_heading(doc *d, const char *text);
/* Cut the items into pages (d->pages), keeping chains of keep_with_next together. */
void enf_pdf_paginate(doc *d);
/* Draw every page, with "第 N 页 共 M 页", into a PDF appended to out. */
int enf_pdf_render(doc *d, const char *title, const char *author, const char *created, strbuf *out, yj_err *e);
/* A font map and context of our own; YJ_EUNAVAILABLE when no font has Chinese glyphs. */
int enf_pdf_doc_init(doc *d, yj_err *e);
void enf_pdf_doc_free(doc *d);

/* Small counts in ordinary Chinese numerals (十五日, 六十日, 六个月), 1..999. */
void enf_pdf_chinese_count(int n, char *out, size_t cap);
/* 25000 -> "25,000"; 1234.5 -> "1,234.50". */
void enf_pdf_amount_digits(double yuan, char *out, size_t cap);

#endif
