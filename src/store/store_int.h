/*
 * store_int.h — what the files of src/store/ share and nobody else sees:
 * the connection, its statement cache, its commit hooks, savepoints.
 * This is where the engine (SQLite) shows; the PostgreSQL backend will
 * have a file like this of its own.
 */
#ifndef YJ_STORE_INT_H
#define YJ_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

struct store_q {
	store *s;
	sqlite3_stmt *st;
	const char *sql;   /* the statement's own copy of its text */
	const char *key;   /* the caller's pointer it was last asked for with (a fast first look) */
	uint64_t hash;
	bool busy;         /* stepped and not yet finished */
	bool temp;         /* not in the cache: a nested use of a busy text */
	int bind_rc;       /* the first failed bind, reported by the next step */
	int bind_idx;
	struct store_q *next_temp;
};

typedef struct store_hook {
	store_hook_fn fn, drop;
	void *ctx;
} store_hook;

#define STORE_CACHE_SLOTS 2048 /* power of two; at most half are used */
#define STORE_MAX_SAVEPOINTS 8

struct store {
	sqlite3 *db;
	store_q **cache;       /* open addressing by text hash */
	store_q *by_ptr[256];  /* by the caller's pointer to the text: constant SQL is found without hashing it */
	int cached;
	store_q *temps;        /* private statements of nested uses (finished ones are reused) */
	int nbusy;             /* statements being stepped */
	store_hook *hooks;     /* run after the next COMMIT, dropped on ROLLBACK */
	size_t nhooks, cap_hooks;
	size_t savepoint_mark[STORE_MAX_SAVEPOINTS]; /* nhooks when each open savepoint was set */
	int nsavepoints;
	bool hold_armed;   /* the next outermost COMMIT is held (store_hold_commit) */
	bool held;         /* a COMMIT was held: the transaction stays open until store_commit_held */
	struct store *next_open; /* list of all open connections, for close_all */
};

/* Fill *e from the engine's error rc (message to the log only); returns -1. */
int store_fail_rc(store *s, yj_err *e, int rc, const char *what);

/* Savepoints (the group writer: one per job). Hooks added after the savepoint go with it. */
int store_savepoint(store *s, yj_err *e);
void store_savepoint_rollback(store *s);
void store_savepoint_release(store *s);

/* Finish every statement still being stepped (before BEGIN, COMMIT, ROLLBACK). defect: one
 * left open where none may be is logged (and aborts a test build); a rollback cleans up quietly
 * after an error path that left a loop early. */
void store_finish_all(store *s, const char *why, bool defect);

/* COMMIT, handing the hooks to the caller to run later (the group writer: once the WAL is
 * flushed) with store_hooks_call, which frees the list. */
int store_commit_keep_hooks(store *s, store_hook **hooks, size_t *n, yj_err *e);
void store_hooks_call(store_hook *hooks, size_t n);
/* transactions: hooks run or dropped */
void store_hooks_run(store *s);
void store_hooks_drop(store *s, size_t from);

/* migrations.c */
extern const char *const store_migrations[];
extern const int store_migration_count;

#endif
