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
/* A spreadsheet's column name of 0-based column c: "A".."Z", "AA".. */
void reg_io_col_letters(size_t c, char out[8]);
/* The shortest %g that reads back as v. */
void reg_io_format_real(double v, char out[40]);

/*
 * A table of cells as an import reads it, whatever the file was: rows of
 * UTF-8 strings, each row with the number its problems name (the CSV line
 * where the record starts, the spreadsheet's row number). CSV and XLSX both
 * become a grid, and one function turns a grid into objects, so the two
 * formats cannot read a sheet differently.
 */
typedef struct io_grid {
	size_t rows;
	long *row_no;         /* rows entries */
	size_t *row_start;    /* rows + 1 entries: row r is cell[row_start[r] .. row_start[r + 1]) */
	const char **cell;
	bool text_marks;      /* a leading ' before = + - @ ' is the "this is text" mark (CSV) */
	/* private to io_grid.c */
	size_t row_cap, start_cap, cell_cap, ncell;
	arena *text;          /* cell texts the grid owns (reg_grid_text), or NULL */
} io_grid;

void reg_grid_init(io_grid *g);
/* Start a row numbered row_no; the cells added next belong to it. */
void reg_grid_row(io_grid *g, long row_no);
/* Add a cell to the last row. s must outlive the grid (a copy from reg_grid_text does). */
void reg_grid_cell(io_grid *g, const char *s);
/* A copy of [s, s + n) that lives as long as the grid. */
const char *reg_grid_text(io_grid *g, const char *s, size_t n);
/* The cell (never NULL; "" outside the table), the cells of a row, whether all are empty. */
const char *reg_grid_at(const io_grid *g, size_t r, size_t c);
size_t reg_grid_cols(const io_grid *g, size_t r);
bool reg_grid_blank(const io_grid *g, size_t r);
void reg_grid_free(io_grid *g);

/* ---- XLSX reading (io_xlsx.c) ---- */

#define REG_XLSX_MAX_UNZIPPED (64u << 20) /* bytes of all the entries read, decompressed */
#define REG_XLSX_MAX_CELLS 1000000        /* cells of the sheet, the gaps in a row counted */

/*
 * The first sheet of an Excel workbook (.xlsx, len bytes in memory) as a
 * grid: row numbers as Excel shows them, a cell at its column (a missing
 * cell is ""), shared and inline strings (rich text runs joined), numbers
 * as their shortest text, booleans TRUE/FALSE, errors as shown (#N/A),
 * date-formatted numbers as local text (reg_xlsx_serial_text). Formulas
 * give their cached value. Returns 0 and fills *g (release with
 * reg_grid_free), or -1 with *e, field "body": YJ_EINVAL when the bytes are
 * not a readable workbook (not a zip, no workbook or sheet, bad XML, a
 * DOCTYPE), YJ_ETOOBIG over REG_XLSX_MAX_UNZIPPED, REG_XLSX_MAX_CELLS or
 * YJ_CSV_MAX_ROWS + 1 rows, YJ_EUNPROCESSABLE for a cell beyond column
 * YJ_CSV_MAX_COLS. Reads no network and no DTD, expands no entity.
 */
int reg_xlsx_read(const char *body, size_t len, io_grid *g, yj_err *e);
/* A cell reference ("B12", "AA3") as a 0-based column and a 1-based row; false unless one. */
bool reg_xlsx_cell_ref(const char *ref, size_t *col, long *row);
/* How a number format shows a number: not a time, a date, a date and time, a time of day. */
typedef enum { XLSX_NUMBER, XLSX_DATE, XLSX_DATETIME, XLSX_TIME } reg_xlsx_numkind;
/* The kind of a format code ("yyyy-mm-dd hh:mm:ss", "0.00", "[Red]0"): letters y m d h s
 * outside quotes and brackets. */
reg_xlsx_numkind reg_xlsx_format_kind(const char *code);
/*
 * An Excel serial day number (days since 1899-12-30 on the 1900 system, with
 * its phantom 1900-02-29; since 1904-01-01 when date1904) as the wall-clock
 * text it shows, which is the bureau's time (Asia/Shanghai): "2026-05-01"
 * for XLSX_DATE at midnight, "08:30:00" for XLSX_TIME under a day, else
 * "2026-05-01 08:30:00" — what the CSV import reads and the CSV export writes.
 * Rounded to the second. false for a serial out of 0..2958465 (9999-12-31).
 */
bool reg_xlsx_serial_text(double serial, bool date1904, reg_xlsx_numkind kind, char out[32]);

#endif
