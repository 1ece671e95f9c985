/*
 * io_columns.c — the column table of an entity's exchange files (CSV,
 * GeoJSON, XLSX): the common fields, then the entity's own, then the
 * assigned timestamps, each with its JSON name, Chinese label and kind; a
 * reference is its id and, beside it, the name of what it leads to.
 * Exports write that table as the header; imports match header cells
 * against it (by name, label, label without its unit, or alias), so what
 * we export reads back unchanged. And the text helpers both sides use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/io_int.h"

/* 编号 decides on import: a row with an id updates that object, a row without one creates */
static const io_col common_head[] = {
	{.name = "id", .label = "编号", .kind = F_INT},
	{.name = "name", .label = "名称", .kind = F_TEXT},
	{.name = "area_code", .label = "区划代码", .kind = F_TEXT},
	{.name = "lon", .label = "经度", .kind = F_REAL},
	{.name = "lat", .label = "纬度", .kind = F_REAL},
	{.name = "note", .label = "备注", .kind = F_TEXT},
};

static const io_col common_tail[] = {
	{.name = "created", .label = "创建时间", .kind = F_TEXT, .assigned = true, .date = true},
	{.name = "updated", .label = "更新时间", .kind = F_TEXT, .assigned = true, .date = true},
};

/* 序号, the running number many sheets start with: read and ignored (it is no id) */
static const io_col running_number = {.name = "序号", .label = "序号", .kind = F_TEXT, .assigned = true};

/* Other headers people write for the common columns. */
static const struct {
	const char *header, *name;
} header_aliases[] = {
	{"所属区域", "area_code"}, {"区域代码", "area_code"}, {"行政区划代码", "area_code"},
	{"所属区划", "area_code"}, {"区划", "area_code"},       {"东经", "lon"},
	{"北纬", "lat"},           {"longitude", "lon"},        {"latitude", "lat"},
	{"lng", "lon"},            {"ID", "id"},
};

io_col *reg_io_columns(const reg_entity *ent, size_t *n)
{
	size_t nf = 0;
	while (ent->fields && ent->fields[nf].name)
		nf++;
	size_t total = YJ_ARRAY_LEN(common_head) + 2 * nf + YJ_ARRAY_LEN(common_tail);
	io_col *cols = yj_calloc(total, sizeof *cols);
	size_t k = 0;
	for (size_t i = 0; i < YJ_ARRAY_LEN(common_head); i++)
		cols[k++] = common_head[i];
	for (size_t i = 0; i < nf; i++) {
		const reg_field *f = &ent->fields[i];
		io_col *c = &cols[k++];
		*c = (io_col){.name = f->name, .label = f->label, .kind = f->kind, .field = f};
		if (f->kind != F_REF && f->kind != F_REF_SET)
			continue;
		/* 所属企业 -> 所属企业编号 (所属企业 still names it), then 所属企业名称 beside it */
		bool person = f->ref && strcmp(f->ref, "users") == 0;
		snprintf(c->text[0], sizeof c->text[0], "%s编号", f->label);
		c->alias = f->label;
		c->label = c->text[0];
		io_col *nc = &cols[k++];
		*nc = (io_col){.kind = F_TEXT, .assigned = true};
		snprintf(nc->text[0], sizeof nc->text[0], "%s%s", f->label, person ? "姓名" : "名称");
		reg_ref_name_member(f, nc->text[1]);
		nc->label = nc->text[0];
		nc->name = nc->text[1];
	}
	for (size_t i = 0; i < YJ_ARRAY_LEN(common_tail); i++)
		cols[k++] = common_tail[i];
	*n = k;
	return cols;
}

const char *reg_choice_code(const reg_field *f, const char *text)
{
	for (int i = 0; f && f->values && f->values[i]; i++)
		if (strcmp(f->values[i], text) == 0 || (f->labels && strcmp(f->labels[i], text) == 0))
			return f->values[i];
	return NULL;
}

const char *reg_choice_label(const reg_field *f, const char *code)
{
	for (int i = 0; f && f->labels && f->values && f->values[i]; i++)
		if (strcmp(f->values[i], code) == 0)
			return f->labels[i];
	return code;
}

const char *reg_io_col_header(const io_col *c)
{
	return c->label && *c->label ? c->label : c->name;
}

bool reg_io_kind_is_text(reg_field_kind k)
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
void reg_io_trim(const char **s, size_t *n)
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

const io_col *reg_io_col_match(const io_col *cols, size_t n, const char *header)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(cols[i].name, header) == 0)
			return &cols[i];
	for (size_t i = 0; i < n; i++)
		if (cols[i].label && label_eq(header, cols[i].label, strlen(cols[i].label)))
			return &cols[i];
	for (size_t i = 0; i < n; i++)
		if (cols[i].alias && label_eq(header, cols[i].alias, strlen(cols[i].alias)))
			return &cols[i];
	if (label_eq(header, running_number.label, strlen(running_number.label)))
		return &running_number;
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

/*
 * Copy at most cap - 1 bytes of [s, s + n) to out without splitting a UTF-8
 * character; "…" marks a cut when room allows. For names and values quoted
 * in problem messages.
 */
void reg_io_copy_utf8(char *out, size_t cap, const char *s, size_t n)
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

/* The shortest %g that reads back as v. */
void reg_io_format_real(double v, char out[40])
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

void reg_io_col_letters(size_t c, char out[8])
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
