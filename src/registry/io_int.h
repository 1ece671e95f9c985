/*
 * io_int.h — what the import and export files of the registry share: the
 * column table of an entity (io_columns.c) and a few text helpers.
 */
#ifndef YJ_REGISTRY_IO_INT_H
#define YJ_REGISTRY_IO_INT_H

#include "registry/registry_int.h"

/* One column of an exchange file: a common field or one of the entity's. */
typedef struct io_col {
	const char *name;     /* JSON member */
	const char *label;    /* header in exports (Chinese); NULL = name */
	reg_field_kind kind;
	bool assigned;        /* id, created, updated: exported, ignored on import */
} io_col;

/* The entity's columns in export order (malloc'ed; *n gets the count). */
io_col *reg_io_columns(const reg_entity *ent, size_t *n);
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
