/*
 * base.h — the ground floor every module stands on: errors with words,
 * arenas, growable strings, the one clock, logging and small helpers.
 *
 * Nothing here knows about HTTP, SQL or the domain. Everything returns an
 * error code and fills a yj_err with a message fit for a user.
 */
#ifndef YJ_BASE_H
#define YJ_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* ---- errors ------------------------------------------------------------ */

/* Error classes. The HTTP layer maps them to statuses in one table. */
typedef enum {
	YJ_OK = 0,
	YJ_EINVAL,        /* 400 invalid_argument */
	YJ_EUNAUTH,       /* 401 unauthenticated */
	YJ_EFORBIDDEN,    /* 403 permission_denied */
	YJ_ENOTFOUND,     /* 404 not_found */
	YJ_EMETHOD,       /* 405 method_not_allowed */
	YJ_ECONFLICT,     /* 409 conflict */
	YJ_ETOOBIG,       /* 413 payload_too_large */
	YJ_EUNPROCESSABLE,/* 422 unprocessable */
	YJ_ETHROTTLED,    /* 429 too_many_requests */
	YJ_EUNAVAILABLE,  /* 503 unavailable */
	YJ_EINTERNAL,     /* 500 internal */
	YJ_ELENGTH,       /* 411 length_required */
	YJ_EURITOOLONG,   /* 414 uri_too_long */
	YJ_EHEADERS,      /* 431 headers_too_large */
} yj_code;

typedef struct yj_err {
	yj_code code;
	char field[64];    /* offending field, "" when none */
	char message[256]; /* words for a user, English */
	char message_zh[512]; /* the same in Chinese (data/i18n/errors.zh.tsv), "" when the catalog has no words for it */
	int retry_after;   /* seconds, for YJ_ETHROTTLED */
	char reason[32];   /* a refusal's own machine-readable cause ("two_person_rule"), "" when none */
} yj_err;

/* Fill *e (if not NULL; reason cleared) and return -1, so callers can `return yj_fail(...)`. */
int yj_fail(yj_err *e, yj_code code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* yj_fail with a reason a client can act on without reading the words (the error body's
 * "reason": a short snake_case code, stable across languages). */
int yj_refuse(yj_err *e, yj_code code, const char *reason, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
const char *yj_code_name(yj_code code);
void yj_err_clear(yj_err *e);

/*
 * The Chinese of the messages (src/base/msg_zh.c). yj_fail and yj_refuse fill
 * message_zh from the catalog data/i18n/errors.zh.tsv, keyed by the English
 * format: a new message needs its line there (tests/catalog checks every call).
 * A message composed from pieces translates each piece where it is made.
 */
/* Parse the catalog (once; later calls only count): the number of messages it holds. */
size_t yj_msg_load(void);
/* The Chinese format for English format fmt, or NULL. Same conversions in the same order. */
const char *yj_msg_zh(const char *fmt);
/* Format fmt's Chinese into out (fmt itself when the catalog has none: returns false). Valid UTF-8. */
bool yj_vformat_zh(char *out, size_t n, const char *fmt, va_list ap);
/* For a message composed from pieces: set e's Chinese words to the catalog's Chinese of English
 * format fmt, formatted with arguments that are the pieces' Chinese. Unchanged when it has none. */
void yj_err_set_zh(yj_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A piece of a message (a noun, a reason made before the message) in Chinese: the catalog's
 * line for en, or en itself. tests/catalog checks the literals given to it as it does formats. */
const char *yj_piece_zh(const char *en);
/* Format the Chinese of fmt (fmt itself when the catalog has none) into out; valid UTF-8. */
void yj_format_zh(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Fail with inner's words in both languages (inner may be e), under code and field. Returns -1. */
int yj_fail_from(yj_err *e, yj_code code, const char *field, const yj_err *inner);
/* e's words in Chinese when zh and it has them, in English otherwise. */
const char *yj_err_text(const yj_err *e, bool zh);
/* The conversion specifications of a printf format ("%.64s", "%lld"; not "%%"), at most max kept;
 * returns how many there are. And whether two formats have the same ones in the same order. */
size_t yj_msg_specifiers(const char *fmt, char out[][16], size_t max);
bool yj_msg_specifiers_match(const char *a, const char *b);

/* ---- memory: one out-of-memory policy ----------------------------------- */

/*
 * yingji does not try to go on without memory: every allocation goes
 * through these (or an arena), and one that fails logs a line and aborts,
 * as Redis's zmalloc and git's xmalloc do. A server that half-handles
 * out-of-memory corrupts state; one that stops is restarted by its
 * supervisor and SQLite recovers what was committed. Never NULL.
 */
void *yj_malloc(size_t n);
void *yj_calloc(size_t n, size_t size);
void *yj_realloc(void *p, size_t n);
char *yj_strdup(const char *s);   /* NULL for NULL */
char *yj_strndup(const char *s, size_t n); /* at most n bytes of s, stopping at its end */
/* Grow array p of elements of size so that it holds at least need: *cap doubles. */
void *yj_grow(void *p, size_t *cap, size_t need, size_t size);

/* ---- arena: memory by lifetime ----------------------------------------- */

typedef struct arena arena;

arena *arena_new(size_t first_block);
void arena_free(arena *a);
/* Zeroed memory that lives until arena_free. Never returns NULL (aborts on OOM). */
void *arena_alloc(arena *a, size_t n);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- growable byte buffer ---------------------------------------------- */

typedef struct strbuf {
	char *data;   /* NUL-terminated, owned; free with strbuf_free */
	size_t len;
	size_t cap;
} strbuf;

void strbuf_init(strbuf *b);
void strbuf_free(strbuf *b);
void strbuf_append(strbuf *b, const void *p, size_t n);
void strbuf_puts(strbuf *b, const char *s);
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Take ownership of the data; the buffer is reset. */
char *strbuf_take(strbuf *b, size_t *len);

/* ---- the clock ---------------------------------------------------------- */

/*
 * Every deadline, expiry and timestamp reads yj_now_ms(). Tests move it with
 * YJ_FAKE_NOW (RFC 3339 or ms) in the environment, or yj_clock_set_offset().
 */
int64_t yj_now_ms(void);
void yj_clock_set_offset(int64_t offset_ms);
int64_t yj_clock_offset(void);
/* Wall-clock UTC milliseconds, never faked: for sessions and throttling, which
 * belong to the machine, not to the domain's deadlines. */
int64_t yj_real_now_ms(void);
/* Monotonic milliseconds for measuring durations (never faked). */
double yj_mono_ms(void);
/* The CLOCK_REALTIME instant ms from now, for pthread_cond_timedwait. */
struct timespec;
void yj_deadline_in(long ms, struct timespec *ts);

/* RFC 3339 <-> UTC ms. Parsing accepts Z or +hh:mm; fills *e on failure. */
int yj_time_parse(const char *s, int64_t *ms, const char *field, yj_err *e);
/* Formats ms as RFC 3339 with +08:00 offset (the bureau's local time). */
void yj_time_format(int64_t ms, char out[40]);

/* ---- logging: one line per event, key=value ---------------------------- */

typedef enum { YJ_LOG_DEBUG, YJ_LOG_INFO, YJ_LOG_WARN, YJ_LOG_ERROR } yj_log_level;
void yj_log_set_level(yj_log_level lvl);
/* yj_log(YJ_LOG_INFO, "request", "status=%d route=%s", ...) prints
 * `ts=... level=info event=request status=200 route=...` to stderr. */
void yj_log(yj_log_level lvl, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Quote a value for key=value logs when it has spaces or quotes. */
const char *yj_log_quote(char *buf, size_t cap, const char *v);

/* ---- helpers ------------------------------------------------------------ */

/* Hex of n bytes into out (2n+1). */
void yj_hex(const unsigned char *in, size_t n, char *out);
/* Cut an incomplete UTF-8 sequence off the end of s (after snprintf truncation). */
void yj_utf8_trim(char *s);
/*
 * Make s valid UTF-8 that fits in cap bytes with its NUL: every byte that
 * is not part of a valid sequence becomes U+FFFD, and the text is cut on a
 * character boundary. For text echoed back to a client (error messages).
 */
void yj_utf8_repair(char *s, size_t cap);
/* true when s is valid UTF-8 (no overlongs, no surrogates). */
bool yj_utf8_valid(const char *s, size_t n);
/* Read a whole file; *len gets its size. NULL and *e filled on failure. */
char *yj_read_file(const char *path, size_t *len, yj_err *e);
/* strtol with range checks; returns -1 and fills *e when s is not a number in [lo, hi]. */
int yj_parse_long(const char *s, long lo, long hi, long *out, const char *field, yj_err *e);
int yj_parse_double(const char *s, double lo, double hi, double *out, const char *field, yj_err *e);

/* A small, fast, reproducible PRNG (splitmix64): the demo data and the
 * benchmarks use it so a fixed seed gives the same city every time. */
uint64_t yj_rand_next(uint64_t *state);
/* uniform in [0, 1) */
double yj_rand_unit(uint64_t *state);
/* uniform in [0, n) */
uint64_t yj_rand_below(uint64_t *state, uint64_t n);

/* Refuse members of a JSON object that are not in keys (NULL-terminated), so a
 * typo is an error naming the field, not a silently ignored value. */
int yj_only_keys(json_t *obj, const char *const *keys, yj_err *e);

/* ---- JSON fields (json_fields.c): members of a request object, checked, naming the field ---- */

/*
 * Each answers 1 when the member is present and valid (*out set), 0 when it
 * is absent or JSON null (*out untouched; an error instead with
 * YJ_REQUIRED), -1 with *e naming the field. Text is valid UTF-8 by then
 * (jansson checks), and counted in bytes.
 */
enum {
	YJ_REQUIRED = 1, /* absent or null is an error */
	YJ_NONEMPTY = 2, /* text: "" (or only spaces) is an error */
};
int yj_json_text(json_t *obj, const char *key, unsigned flags, size_t max_bytes, const char **out, yj_err *e);
int yj_json_int(json_t *obj, const char *key, unsigned flags, int64_t lo, int64_t hi, int64_t *out, yj_err *e);
int yj_json_double(json_t *obj, const char *key, unsigned flags, double lo, double hi, double *out, yj_err *e);
int yj_json_bool(json_t *obj, const char *key, unsigned flags, bool *out, yj_err *e);
/* RFC 3339 text with offset, into UTC ms */
int yj_json_time(json_t *obj, const char *key, unsigned flags, int64_t *ms, yj_err *e);
/* one of values (NULL-terminated): *out its index */
int yj_json_enum(json_t *obj, const char *key, unsigned flags, const char *const *values, int *out, yj_err *e);
/* an array of at most max items (borrowed reference) */
int yj_json_array(json_t *obj, const char *key, unsigned flags, size_t max, json_t **out, yj_err *e);
/* an id: a positive whole number (or its decimal text) up to 2^53 - 1 */
int yj_json_id(json_t *obj, const char *key, unsigned flags, int64_t *out, yj_err *e);

/* Append s to b as a JSON string literal (quotes, escapes, valid UTF-8 assumed). */
void yj_json_escape(strbuf *b, const char *s);

/* Progress on a terminal only ("demo: users 40/100"); silent otherwise. */
void yj_progress(const char *what, long done, long total);
void yj_progress_done(void);

#define YJ_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- CSV (csv.c) ---------------------------------------------------------- */

/*
 * A whole CSV file in memory: RFC 4180 quoting (quoted cells, "" for a quote,
 * line breaks inside quotes), LF, CRLF or CR line ends. The bytes are UTF-8
 * (a BOM is skipped) or else GB18030, converted to UTF-8. Every record is
 * kept, blank lines too (one empty cell), so row r is the file's (r+1)-th
 * record: with a header, row 0 is the header and row r is spreadsheet row r+1.
 * Records may differ in length; a cell beyond a record's end reads as "".
 */
#define YJ_CSV_MAX_ROWS 100000 /* data rows; one more record for a header */
#define YJ_CSV_MAX_COLS 200

typedef enum { YJ_CSV_UTF8, YJ_CSV_UTF8_BOM, YJ_CSV_GB18030 } yj_csv_encoding;

typedef struct yj_csv {
	size_t rows;              /* records, header included */
	size_t cols;              /* cells of the widest record */
	yj_csv_encoding encoding; /* what the bytes were */
	/* private to csv.c */
	char *text;
	char **cells;
	size_t *row_start;
	long *row_line;
} yj_csv;

/*
 * Parse len bytes into *out (owned; release with yj_csv_free). Errors, with
 * the line number in the message: YJ_EINVAL when the bytes are not CSV text
 * (neither UTF-8 nor GB18030, UTF-16, a zip/.xlsx, NUL bytes, an unclosed or
 * misplaced quote); YJ_EUNPROCESSABLE when over YJ_CSV_MAX_ROWS + 1 records
 * or YJ_CSV_MAX_COLS cells in a record. Empty input is 0 rows, not an error.
 */
int yj_csv_parse(const char *data, size_t len, yj_csv *out, yj_err *e);
/* The cell (UTF-8, NUL-terminated, owned by t); "" outside the table. */
const char *yj_csv_cell(const yj_csv *t, size_t row, size_t col);
size_t yj_csv_row_cols(const yj_csv *t, size_t row);
/* true when every cell of the row is empty (a blank line, or ",,,"). */
bool yj_csv_row_blank(const yj_csv *t, size_t row);
/* The line of the file where the record starts (differs from row + 1 after
 * a cell with a line break). */
long yj_csv_row_line(const yj_csv *t, size_t row);
void yj_csv_free(yj_csv *t);
const char *yj_csv_encoding_name(yj_csv_encoding enc);
/* Append s as one CSV cell, quoted when it holds , " CR or LF. */
void yj_csv_append_cell(strbuf *b, const char *s);

#endif
