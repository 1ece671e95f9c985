/*
 * store.h — the one seam between yingji and its database.
 *
 * Modules hand the store SQL text and typed values; they never see the
 * engine. The embedded engine is SQLite (one file in WAL mode, one
 * connection per thread, numbered migrations); a second backend
 * (PostgreSQL) is meant to be one more folder behind this header. So:
 *
 *   - SQL given to the store is in the subset both SQLite 3.40 and
 *     PostgreSQL 15 accept: `?` or `?N` placeholders (renumbered to $N by
 *     a PostgreSQL backend), RETURNING, ON CONFLICT, standard joins and
 *     aggregates. What must differ (R*Tree look-ups, date arithmetic, JSON
 *     aggregation) sits in a named function of the store or of the owning
 *     module's *_db.c, marked "dialect point".
 *   - Only the module that owns a table runs SQL on it, from its *_db.c
 *     files (the ownership table is in the README).
 *   - Every step is checked: a failed write fails the call, with words in
 *     *e; the engine's own message goes to the log, never to a client.
 *
 * Reading rows:
 *
 *     store_q *q = store_query(s, e, "SELECT id, name FROM shelter WHERE area_code >= ? AND area_code < ?",
 *                              sc->lo, sc->hi);
 *     int rc;
 *     while ((rc = store_step(q, e)) > 0)
 *         use(store_col_int(q, 0), store_col_text(q, 1));
 *     if (rc < 0) return -1;      // the statement is finished either way
 *
 * Writing:
 *
 *     if (store_run(s, e, "UPDATE shelter SET name = ? WHERE id = ?", name, id) < 0)
 *         return -1;
 *
 * Values are bound by their C type (_Generic): integers and bool as
 * integers, double, `const char *` as text (NULL binds SQL NULL), `json_t *`
 * as its compact text (NULL binds NULL), and store_blob(), store_null(),
 * store_id_or_null(), store_textn() for the rest.
 *
 * Statements are cached per connection by their text. A statement you
 * get (store_sql, store_query) is yours until it is finished: stepped
 * until store_step answers 0 or -1, or given back with store_done().
 * Finish it before you return (a reader left open holds back the WAL
 * checkpoint; test builds abort when one is found at COMMIT or at the end
 * of a request; a rollback finishes them quietly). Asking for a text
 * that is still in use (a nested query) gives a second, private
 * statement, so nesting is safe.
 */
#ifndef YJ_STORE_H
#define YJ_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

typedef struct store store;     /* a connection (one per thread) */
typedef struct store_q store_q; /* a statement: bound, stepped, read */

/* ---- opening ------------------------------------------------------------------------------- */

/*
 * Open (creating if needed) the database at path, apply pending migrations,
 * and remember the path so every thread can open its own connection.
 * Returns 0, or -1 with *e filled. Call once at start, before threads.
 */
int store_open(const char *path, yj_err *e);
/*
 * Bytes of the database file each connection reads through mmap (default
 * 1 GiB; 0 reads with pread into the page cache). Set before store_open.
 * SQLite drops a connection's whole mapping whenever another connection has
 * committed since its last read, so under a steady stream of small writes
 * (acknowledgements) 0 costs less; on a read-mostly database mmap is faster.
 */
void store_set_mmap_size(int64_t bytes);
/* Close this process's connections (the calling thread's and the cached ones). */
void store_close_all(void);
const char *store_path(void);
/* Current schema version of the open database (-1 on error). */
int store_schema_version(store *s);

/* The calling thread's connection (opened on first use). NULL + log on failure. */
store *store_thread(void);
/*
 * This connection commits often and small, next to a checkpointer thread
 * (the group and telemetry writers): it leaves checkpoints to that thread.
 */
void store_leave_checkpoints(store *s);
/*
 * The same for a writer whose commits never stop (the telemetry writer under load): the
 * checkpointer's passive checkpoints then never catch up, the log never starts over and only
 * grows (a gigabyte a minute of random index pages), and a start after a crash reads all of
 * it (about 4 ms a MB). Past `pages` pages of log, this connection checkpoints right after a
 * commit, the one moment no write of its own is in flight: the checkpointer copied most pages
 * back already, it copies the rest, and its next transaction starts the log over. Only for a
 * connection that syncs at commit (synchronous=FULL).
 */
void store_checkpoint_past(store *s, int pages);

/* ---- values ----------------------------------------------------------------------------------- */

typedef enum { STORE_NULL, STORE_INT, STORE_DOUBLE, STORE_TEXT, STORE_BLOB, STORE_JSON } store_type;

typedef struct store_val {
	store_type type;
	union {
		int64_t i;
		double d;
		struct {
			const char *p;
			size_t n; /* SIZE_MAX: up to the NUL */
		} s;
		const json_t *j;
	} u;
} store_val;

static inline store_val store_v_int(int64_t v)
{
	return (store_val){.type = STORE_INT, .u.i = v};
}
static inline store_val store_v_double(double v)
{
	return (store_val){.type = STORE_DOUBLE, .u.d = v};
}
static inline store_val store_v_text(const char *v)
{
	return v ? (store_val){.type = STORE_TEXT, .u.s = {v, (size_t)-1}} : (store_val){.type = STORE_NULL};
}
static inline store_val store_v_json(const json_t *v)
{
	return v ? (store_val){.type = STORE_JSON, .u.j = v} : (store_val){.type = STORE_NULL};
}
static inline store_val store_v_same(store_val v)
{
	return v;
}
/* only NULL may be passed as a bare pointer: it binds SQL NULL */
store_val store_v_nullptr(const void *must_be_null);

/* bytes p..p+n as a blob */
static inline store_val store_blob(const void *p, size_t n)
{
	return (store_val){.type = STORE_BLOB, .u.s = {p, n}};
}
/* the first n bytes of s as text */
static inline store_val store_textn(const char *s, size_t n)
{
	return s ? (store_val){.type = STORE_TEXT, .u.s = {s, n}} : (store_val){.type = STORE_NULL};
}
static inline store_val store_null(void)
{
	return (store_val){.type = STORE_NULL};
}
/* an id, or SQL NULL when it is 0 or less (an optional link) */
static inline store_val store_id_or_null(int64_t id)
{
	return id > 0 ? store_v_int(id) : store_null();
}

#define STORE_V(x)                                                                                  \
	_Generic((x), char *: store_v_text, const char *: store_v_text, double: store_v_double,      \
	         float: store_v_double, json_t *: store_v_json, const json_t *: store_v_json,         \
	         store_val: store_v_same, void *: store_v_nullptr, default: store_v_int)(x)

/* ---- statements ------------------------------------------------------------------------------- */

/* A cached prepared statement for sql, with no bindings, yours until finished. NULL + *e. */
store_q *store_sql(store *s, const char *sql, yj_err *e);
/* Bind parameter i (1-based). A failure is remembered and reported by the next store_step. */
void store_bind(store_q *q, int i, store_val v);
void store_bind_int(store_q *q, int i, int64_t v);
void store_bind_double(store_q *q, int i, double v);
void store_bind_text(store_q *q, int i, const char *v); /* NULL binds NULL */
/* bind vals[0..n) to parameters 1..n */
void store_bind_all(store_q *q, const store_val *vals, size_t n);
/*
 * The next row: 1 when there is one (read it with store_col_*), 0 when the
 * statement is done, -1 on error (*e filled, logged). After 0 or -1 the
 * statement is finished and may not be used again (store_done on it is
 * harmless right after, before any other store call).
 */
int store_step(store_q *q, yj_err *e);
/* Finish a statement early (before store_step said 0). NULL is allowed. */
void store_done(store_q *q);

/* Columns of the current row, 0-based. Text stays valid until the next step or done. */
int store_ncols(const store_q *q);
bool store_col_null(const store_q *q, int i);
int64_t store_col_int(const store_q *q, int i);
double store_col_double(const store_q *q, int i);
const char *store_col_text(const store_q *q, int i); /* NULL for SQL NULL */
const char *store_col_str(const store_q *q, int i);  /* "" for SQL NULL */
const void *store_col_blob(const store_q *q, int i, size_t *n);
/* Copy the text into buf (cut to cap - 1 bytes on a character boundary, "" for NULL); its length. */
size_t store_col_copy(const store_q *q, int i, char *buf, size_t cap);
/* The column's text parsed as JSON (new reference); NULL for SQL NULL or invalid JSON. */
json_t *store_col_json(const store_q *q, int i);
/* The name of column i ("" when out of range). */
const char *store_col_name(const store_q *q, int i);

/*
 * Step q to its end, calling fn(q, ctx, e) on every row: fn answers 0 to go
 * on, 1 to stop early (store_each then answers 0), -1 to fail (with *e).
 * q is finished in every case; a NULL q (a store_query that failed)
 * answers -1. fn may run statements of its own.
 */
typedef int (*store_row_fn)(store_q *q, void *ctx, yj_err *e);
int store_each(store_q *q, store_row_fn fn, void *ctx, yj_err *e);

/* Rows changed by the last INSERT, UPDATE or DELETE on this connection. */
int64_t store_changes(store *s);

/* ---- one call: bind by type and run --------------------------------------------------------- */

/* Run a statement that returns no rows: the number of rows changed, or -1 with *e. */
int64_t store_run_a(store *s, yj_err *e, const char *sql, const store_val *vals, size_t n);
/* A statement bound and ready to step; NULL + *e. */
store_q *store_query_a(store *s, yj_err *e, const char *sql, const store_val *vals, size_t n);
/* The first row: 1 with *row positioned on it (finish it with store_done), 0 none, -1 error. */
int store_row_a(store *s, store_q **row, yj_err *e, const char *sql, const store_val *vals, size_t n);
/* First column of the first row as an integer: 1 found (NULL reads 0), 0 no row, -1 error. */
int store_get_int_a(store *s, int64_t *out, yj_err *e, const char *sql, const store_val *vals, size_t n);
/* First column of the first row as text into buf (cap bytes): 1 found, 0 no row, -1 error. */
int store_get_text_a(store *s, char *buf, size_t cap, yj_err *e, const char *sql, const store_val *vals,
                     size_t n);

/* the variadic forms: store_run(s, e, sql, values...) etc. (up to 24 values) */
#define store_run(s, e, ...) store_run_a((s), (e), STORE_SQL_ARGS(__VA_ARGS__))
#define store_query(s, e, ...) store_query_a((s), (e), STORE_SQL_ARGS(__VA_ARGS__))
#define store_row(s, row, e, ...) store_row_a((s), (row), (e), STORE_SQL_ARGS(__VA_ARGS__))
#define store_get_int(s, out, e, ...) store_get_int_a((s), (out), (e), STORE_SQL_ARGS(__VA_ARGS__))
#define store_get_text(s, buf, cap, e, ...) store_get_text_a((s), (buf), (cap), (e), STORE_SQL_ARGS(__VA_ARGS__))

/* ---- transactions ------------------------------------------------------------------------------ */

/*
 * BEGIN IMMEDIATE (a writer: read-modify-write never reads a stale value) /
 * COMMIT / ROLLBACK. Inside an open transaction they nest: begin sets a
 * savepoint, commit releases it (its writes and events commit with the
 * transaction around it), rollback undoes only what was done since.
 * store_commit rolls
 * back on failure. store_rollback does nothing outside a transaction;
 * store_rollback_all ends the whole transaction, however deep.
 */
int store_begin(store *s, yj_err *e);
int store_commit(store *s, yj_err *e);
void store_rollback(store *s);
void store_rollback_all(store *s);
bool store_in_tx(store *s);

/*
 * Hold the next outermost COMMIT on this connection: store_commit answers 0
 * but the transaction stays open (what follows nests in it) until the
 * holder calls store_commit_held, or is undone by store_rollback_all. The
 * HTTP layer holds it to record a request's answer (Idempotency-Key) in
 * the same transaction as the request's writes, without taking the write
 * lock before the handler does. store_release_hold disarms it.
 */
void store_hold_commit(store *s);
bool store_commit_is_held(store *s);
int store_commit_held(store *s, yj_err *e);
void store_release_hold(store *s);

/* Run fn(s, ctx, e) in a transaction of its own: committed when it answers 0, else rolled back. */
typedef int (*store_job_fn)(store *s, void *ctx, yj_err *e);
int store_tx(store *s, store_job_fn fn, void *ctx, yj_err *e);

/*
 * Call fn(ctx) once the open transaction has committed (in the order of
 * registration, on the committing thread), or drop(ctx) instead when it
 * rolls back (or a savepoint that was set before this call is rolled
 * back). With no transaction open, fn runs at once. drop may be NULL. The
 * event bus is built on this; for caches of rows it is the place to drop a
 * copy once the change is visible to every reader.
 */
typedef void (*store_hook_fn)(void *ctx);
void store_after_commit(store *s, store_hook_fn fn, store_hook_fn drop, void *ctx);

/* ---- group commit ------------------------------------------------------------------------------ */

/*
 * Group commit: run fn(s, ctx, e) inside a transaction shared with other
 * callers' jobs (each in its own savepoint), on the group writer thread;
 * return once it is committed. fn's return and *e are the caller's. Without
 * a started writer, runs it in a transaction of its own on this thread.
 */
int store_group_start(yj_err *e);
void store_group_stop(void);
int store_group_run(store_job_fn fn, void *ctx, yj_err *e);
/*
 * The same without waiting: queue fn(s, ctx, e) and return at once;
 * done(ctx, rc, e) is called on a store thread once the commit is on disk
 * (rc and *e: the job's result, or the commit's or flush's failure). done
 * must be quick (hand the result to someone) and must not submit or run
 * group jobs. Without a started writer the job runs now and done is called
 * before this returns.
 */
typedef void (*store_job_done)(void *ctx, int rc, const yj_err *e);
void store_group_submit(store_job_fn fn, void *ctx, store_job_done done);

/*
 * The checkpointer: a thread that copies the WAL back into the database
 * every 250 ms (PASSIVE: it never blocks a writer), so that writers whose
 * connections leave checkpoints to it (the group writer, the telemetry
 * writer) never stop to do it. Started and stopped with those writers
 * (counted: the last stop ends it).
 */
void store_checkpointer_start(void);
void store_checkpointer_stop(void);
bool store_checkpointer_running(void);

/* ---- for tests and tools --------------------------------------------------------------------------- */

/* Run SQL text that may hold several statements and no parameters (schema set-up in tests). */
int store_exec_script(store *s, const char *sql, yj_err *e);
/*
 * Finish every statement of this connection still being stepped, logging
 * each as a defect (a reader left open holds back checkpoints). The HTTP
 * server calls it after every request, the writers after every batch.
 * Test builds abort instead, so the defect is found.
 */
void store_idle_check(store *s);

/* ---- the argument machinery of the variadic forms -------------------------------------------------- */

#define STORE_SQL_ARGS(sql, ...)                                                                    \
	(sql), (const store_val[]){__VA_OPT__(STORE_MAP_(STORE_NARG_(__VA_ARGS__), __VA_ARGS__), ) { \
		       STORE_NULL                                                                       \
	       }},                                                                                      \
		(size_t)(0 __VA_OPT__(+STORE_NARG_(__VA_ARGS__)))
#define STORE_NARG_(...) STORE_NARG__(__VA_ARGS__, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, \
                                      8, 7, 6, 5, 4, 3, 2, 1, 0)
#define STORE_NARG__(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, \
                     _21, _22, _23, _24, N, ...)                                                    \
	N
#define STORE_CAT_(a, b) a##b
#define STORE_MAP_(n, ...) STORE_CAT_(STORE_M, n)(__VA_ARGS__)
#define STORE_M1(x) STORE_V(x)
#define STORE_M2(x, ...) STORE_V(x), STORE_M1(__VA_ARGS__)
#define STORE_M3(x, ...) STORE_V(x), STORE_M2(__VA_ARGS__)
#define STORE_M4(x, ...) STORE_V(x), STORE_M3(__VA_ARGS__)
#define STORE_M5(x, ...) STORE_V(x), STORE_M4(__VA_ARGS__)
#define STORE_M6(x, ...) STORE_V(x), STORE_M5(__VA_ARGS__)
#define STORE_M7(x, ...) STORE_V(x), STORE_M6(__VA_ARGS__)
#define STORE_M8(x, ...) STORE_V(x), STORE_M7(__VA_ARGS__)
#define STORE_M9(x, ...) STORE_V(x), STORE_M8(__VA_ARGS__)
#define STORE_M10(x, ...) STORE_V(x), STORE_M9(__VA_ARGS__)
#define STORE_M11(x, ...) STORE_V(x), STORE_M10(__VA_ARGS__)
#define STORE_M12(x, ...) STORE_V(x), STORE_M11(__VA_ARGS__)
#define STORE_M13(x, ...) STORE_V(x), STORE_M12(__VA_ARGS__)
#define STORE_M14(x, ...) STORE_V(x), STORE_M13(__VA_ARGS__)
#define STORE_M15(x, ...) STORE_V(x), STORE_M14(__VA_ARGS__)
#define STORE_M16(x, ...) STORE_V(x), STORE_M15(__VA_ARGS__)
#define STORE_M17(x, ...) STORE_V(x), STORE_M16(__VA_ARGS__)
#define STORE_M18(x, ...) STORE_V(x), STORE_M17(__VA_ARGS__)
#define STORE_M19(x, ...) STORE_V(x), STORE_M18(__VA_ARGS__)
#define STORE_M20(x, ...) STORE_V(x), STORE_M19(__VA_ARGS__)
#define STORE_M21(x, ...) STORE_V(x), STORE_M20(__VA_ARGS__)
#define STORE_M22(x, ...) STORE_V(x), STORE_M21(__VA_ARGS__)
#define STORE_M23(x, ...) STORE_V(x), STORE_M22(__VA_ARGS__)
#define STORE_M24(x, ...) STORE_V(x), STORE_M23(__VA_ARGS__)

#endif
