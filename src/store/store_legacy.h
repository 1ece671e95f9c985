/*
 * store_legacy.h — the raw SQLite handles the modules used before the
 * store had typed statements. Code moved to store.h must not use these;
 * this file goes when the last user is gone.
 */
#ifndef YJ_STORE_LEGACY_H
#define YJ_STORE_LEGACY_H

#include <sqlite3.h>

sqlite3 *store_db(store *s);
/* A cached prepared statement, reset and with bindings cleared (owned by the cache). */
sqlite3_stmt *store_stmt(store *s, const char *sql, yj_err *e);
/* Fill *e from the connection's last error, with words for the log; returns -1. */
int store_fail(store *s, yj_err *e, const char *what);
json_t *store_rows_json(store *s, sqlite3_stmt *st, json_t *(*row)(store *, int64_t), long limit, json_t **next);
void store_legacy_bind_text(sqlite3_stmt *st, int idx, const char *text);
#define store_bind_text(q, i, v)                                                                    \
	_Generic((q), sqlite3_stmt *: store_legacy_bind_text, default: (store_bind_text))((q), (i), (v))
#define store_exec(s, sql, e) store_exec_script((s), (sql), (e))
int store_migrate_db(sqlite3 *db, yj_err *e);

#endif
