/*
 * store.h — the SQLite store: one database file in WAL mode, numbered
 * migrations, one connection per thread with a prepared-statement cache,
 * and a transaction helper. Only src/store/ and a module's own *_db.c run SQL.
 */
#ifndef YJ_STORE_H
#define YJ_STORE_H

#include <sqlite3.h>

#include "base/base.h"

typedef struct store store;

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

/* The calling thread's connection (opened on first use). NULL + log on failure. */
store *store_thread(void);
sqlite3 *store_db(store *s);

/*
 * A cached prepared statement for sql, reset and with bindings cleared.
 * The statement stays owned by the cache; do not finalize it. sql must be a
 * constant string. NULL + *e on error.
 */
sqlite3_stmt *store_stmt(store *s, const char *sql, yj_err *e);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. store_commit rolls back on failure. */
int store_begin(store *s, yj_err *e);
int store_commit(store *s, yj_err *e);
void store_rollback(store *s);

/*
 * Call fn(arg) once the open transaction has committed (store_commit), not
 * at all if it rolls back; at once when no transaction is open. For caches
 * of rows: drop the copy after the change is visible to every reader.
 */
void store_after_commit(store *s, void (*fn)(int64_t), int64_t arg);

/* Run SQL with no results (may hold several statements). */
int store_exec(store *s, const char *sql, yj_err *e);

/* Fill *e from the connection's last error, with words for the log; returns -1. */
int store_fail(store *s, yj_err *e, const char *what);
/*
 * Step a bound statement whose first column is an id to its end (then reset it) and answer
 * [row(s, id), ...] for the first limit ids (limit < 0: all), leaving out rows that answer NULL.
 * With next not NULL, *next is the id the following page starts after (a JSON string) when
 * the statement gave more than limit ids, else JSON null: ask for limit + 1 rows.
 */
json_t *store_rows_json(store *s, sqlite3_stmt *st, json_t *(*row)(store *, int64_t), long limit, json_t **next);

/* Bind helpers: text may be NULL (binds NULL). */
void store_bind_text(sqlite3_stmt *st, int idx, const char *text);

/* Migrations: current schema version of the open database. */
int store_schema_version(store *s);

/*
 * Group commit: run fn(s, ctx, e) inside a transaction shared with other
 * callers' jobs (each in its own savepoint), on the group writer thread;
 * return once it is committed. fn's return and *e are the caller's. Without
 * a started writer, runs it in a transaction of its own on this thread.
 */
typedef int (*store_job_fn)(store *s, void *ctx, yj_err *e);
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
 * connections turn SQLite's automatic checkpoint off (the group writer, the
 * telemetry writer) never stop to do it. Started and stopped with those
 * writers (counted: the last stop ends it).
 */
void store_checkpointer_start(void);
void store_checkpointer_stop(void);
bool store_checkpointer_running(void);

/* Apply the migrations to a connection opened elsewhere (unit tests on :memory:). */
int store_migrate_db(sqlite3 *db, yj_err *e);

#endif
