/*
 * io_int.h — what the import and export files of the registry share: the
 * column table of an entity (io_columns.c) and a few text helpers.
 */
#ifndef YJ_REGISTRY_IO_INT_H
#define YJ_REGISTRY_IO_INT_H

#include "registry/registry_int.h"

/* One column of an exchange file: a common field, one of the entity's, or the name beside a reference. */
typedef struct io_col {
	const char *name;     /* JSON member */
	const char *label;    /* header in exports (Chinese); NULL = name */
	reg_field_kind kind;
	bool assigned;        /* created, updated, names beside references: exported, ignored on import */
	bool date;            /* a time: a date cell in XLSX, local "YYYY-MM-DD HH:MM:SS" in CSV */
	const reg_field *field; /* the entity's field (its value labels), or NULL */
	const char *alias;    /* another header that names the column (a reference's plain label), or NULL */
	char text[2][64];     /* room for a made label and name */
} io_col;

/* The entity's columns in export order (malloc'ed; *n gets the count). A reference (所属企业)
 * is two columns: its id (所属企业编号, JSON enterprise_id) and, ignored on import, the
 * name of what it leads to (所属企业名称, JSON enterprise_name: see reg_ref_name_member). */
io_col *reg_io_columns(const reg_entity *ent, size_t *n);
/* The code of a choice value given as its code or its Chinese label (f's values/labels), or NULL. */
const char *reg_choice_code(const reg_field *f, const char *text);
/* The Chinese label of code (the code itself when it has none). */
const char *reg_choice_label(const reg_field *f, const char *code);
/* The header of a column: its label, else its name. */
const char *reg_io_col_header(const io_col *c);
/* Kinds whose cells are text as they are (no conversion). */
bool reg_io_kind_is_text(reg_field_kind k);
/*
 * The column a header names, first match wins: JSON name (any case), label,
 * label without its "(unit)" ("面积" for "面积(平方米)"), alias. NULL if none.
 */
const io_col *reg_io_col_match(const io_col *cols, size_t n, const char *header);
/* Trim white space (ASCII, NBSP, ideographic space, ZWNBSP) at both ends of [*s, *s + *n). */
void reg_io_trim(const char **s, size_t *n);
/* Copy at most cap - 1 bytes of [s, s + n) to out without splitting a UTF-8 character; "…" marks a cut. */
void reg_io_copy_utf8(char *out, size_t cap, const char *s, size_t n);
/* The shortest %g that reads back as v. */
void reg_io_format_real(double v, char out[40]);

#endif
