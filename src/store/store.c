/*
 * store.c — SQLite connections, statement cache, transactions, migrations.
 *
 * Each thread gets its own connection (SQLite connections must not be used
 * by two threads at once) from a pthread key, opened lazily on the path given
 * to store_open. WAL lets readers run beside the one writer; synchronous=FULL
 * means a COMMIT that returned is on disk, so nothing acknowledged is lost on
 * kill -9 or power loss (the group writer's connection commits at NORMAL and
 * has its own syncer flush the WAL before anyone is told: group.c). Writers use BEGIN IMMEDIATE so two read-modify-write
 * transactions never both read the old value; busy_timeout makes them queue.
 *
 * The statement cache is a small open-addressing table keyed by the SQL text.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STMT_CACHE_SIZE 512 /* power of two */

typedef struct stmt_slot {
	const char *sql; /* the caller's constant string */
	uint64_t hash;
	sqlite3_stmt *st;
} stmt_slot;

#define AFTER_COMMIT_MAX 16

struct store {
	sqlite3 *db;
	stmt_slot cache[STMT_CACHE_SIZE];
	int cached;
	int nafter; /* store_after_commit: run after the next COMMIT, dropped on ROLLBACK */
	void (*after_fn[AFTER_COMMIT_MAX])(int64_t);
	int64_t after_arg[AFTER_COMMIT_MAX];
	struct store *next_open; /* list of all open connections, for close_all */
};

static char *db_path;
static pthread_key_t store_key;
static pthread_once_t store_key_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static store *open_list;

extern const char *const store_migrations[];
extern const int store_migration_count;

static void store_free(store *s)
{
	if (!s)
		return;
	for (int i = 0; i < STMT_CACHE_SIZE; i++)
		if (s->cache[i].st)
			sqlite3_finalize(s->cache[i].st);
	sqlite3_close_v2(s->db);
	free(s);
}

static void store_thread_exit(void *p)
{
	store *s = p;
	pthread_mutex_lock(&open_lock);
	for (store **pp = &open_list; *pp; pp = &(*pp)->next_open)
		if (*pp == s) {
			*pp = s->next_open;
			break;
		}
	pthread_mutex_unlock(&open_lock);
	store_free(s);
}

static void store_key_init(void)
{
	pthread_key_create(&store_key, store_thread_exit);
}

static int64_t mmap_size = 1073741824;

void store_set_mmap_size(int64_t bytes)
{
	mmap_size = bytes < 0 ? 0 : bytes;
}

static int configure(sqlite3 *db, yj_err *e)
{
	sqlite3_busy_timeout(db, 10000);
	char *msg = NULL;
	int rc = sqlite3_exec(db,
	                      "PRAGMA journal_mode=WAL;"
	                      "PRAGMA synchronous=FULL;"
	                      "PRAGMA foreign_keys=ON;"
	                      "PRAGMA temp_store=MEMORY;"
	                      "PRAGMA cache_size=-32768;",
	                      NULL, NULL, &msg);
	if (rc == SQLITE_OK) {
		/* reads as memory loads from the shared page cache, not pread calls: the map
		 * layers read hundreds of random rows per request (a number, not client text) */
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA mmap_size=%lld;", (long long)mmap_size);
		rc = sqlite3_exec(db, pragma, NULL, NULL, &msg);
	}
	if (rc != SQLITE_OK) {
		yj_fail(e, YJ_EINTERNAL, "", "configure database: %s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static store *store_connect(const char *path, yj_err *e)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		yj_fail(e, YJ_EINTERNAL, "db", "cannot open database %s: %s", path,
		        db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return NULL;
	}
	if (configure(db, e) != 0) {
		sqlite3_close_v2(db);
		return NULL;
	}
	store *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->db = db;
	pthread_mutex_lock(&open_lock);
	s->next_open = open_list;
	open_list = s;
	pthread_mutex_unlock(&open_lock);
	return s;
}

int store_migrate_db(sqlite3 *db, yj_err *e)
{
	sqlite3_stmt *st;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (version > store_migration_count)
		return yj_fail(e, YJ_EINTERNAL, "db",
		               "database schema version %d is newer than this yingji (%d); upgrade yingji",
		               version, store_migration_count);
	for (int v = version; v < store_migration_count; v++) {
		char *msg = NULL;
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d;", v + 1);
		int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, store_migrations[v], NULL, NULL, &msg);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, pragma, NULL, NULL, &msg);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
		if (rc != SQLITE_OK) {
			yj_fail(e, YJ_EINTERNAL, "db", "migration %d failed: %s", v + 1,
			        msg ? msg : sqlite3_errstr(rc));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		yj_log(YJ_LOG_INFO, "migration", "version=%d", v + 1);
	}
	return 0;
}

int store_open(const char *path, yj_err *e)
{
	pthread_once(&store_key_once, store_key_init);
	free(db_path);
	db_path = strdup(path);
	store *s = store_connect(path, e);
	if (!s)
		return -1;
	if (store_migrate_db(s->db, e) != 0) {
		store_thread_exit(s);
		return -1;
	}
	store *old = pthread_getspecific(store_key);
	if (old)
		store_thread_exit(old);
	pthread_setspecific(store_key, s);
	return 0;
}

const char *store_path(void)
{
	return db_path;
}

void store_close_all(void)
{
	pthread_mutex_lock(&open_lock);
	store *s = open_list;
	open_list = NULL;
	pthread_mutex_unlock(&open_lock);
	while (s) {
		store *n = s->next_open;
		store_free(s);
		s = n;
	}
	if (db_path)
		pthread_setspecific(store_key, NULL);
	free(db_path);
	db_path = NULL;
}

store *store_thread(void)
{
	pthread_once(&store_key_once, store_key_init);
	store *s = pthread_getspecific(store_key);
	if (s)
		return s;
	if (!db_path)
		return NULL;
	yj_err e = {0};
	s = store_connect(db_path, &e);
	if (!s) {
		yj_log(YJ_LOG_ERROR, "store_open", "message=\"%s\"", e.message);
		return NULL;
	}
	pthread_setspecific(store_key, s);
	return s;
}

sqlite3 *store_db(store *s)
{
	return s->db;
}

static uint64_t hash_sql(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

sqlite3_stmt *store_stmt(store *s, const char *sql, yj_err *e)
{
	uint64_t h = hash_sql(sql);
	unsigned i = (unsigned)h & (STMT_CACHE_SIZE - 1);
	for (int probe = 0; probe < STMT_CACHE_SIZE; probe++, i = (i + 1) & (STMT_CACHE_SIZE - 1)) {
		stmt_slot *slot = &s->cache[i];
		if (!slot->st)
			break;
		if (slot->hash == h && (slot->sql == sql || strcmp(slot->sql, sql) == 0)) {
			sqlite3_reset(slot->st);
			sqlite3_clear_bindings(slot->st);
			return slot->st;
		}
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		store_fail(s, e, "prepare");
		return NULL;
	}
	if (s->cached >= STMT_CACHE_SIZE / 2) {
		/* only constant SQL is cached; this many distinct texts means dynamic SQL slipped in */
		sqlite3_finalize(st);
		yj_log(YJ_LOG_ERROR, "sql", "what=stmt_cache_full");
		yj_fail(e, YJ_EINTERNAL, "", "statement cache full");
		return NULL;
	}
	s->cache[i] = (stmt_slot){.sql = sqlite3_sql(st), .hash = h, .st = st};
	s->cached++;
	return st;
}

int store_fail(store *s, yj_err *e, const char *what)
{
	int rc = sqlite3_extended_errcode(s->db);
	yj_log(YJ_LOG_ERROR, "sql", "what=%s rc=%d message=\"%s\"", what, rc, sqlite3_errmsg(s->db));
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return yj_fail(e, YJ_EUNAVAILABLE, "", "the database is busy; try again");
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return yj_fail(e, YJ_ECONFLICT, "", "conflicts with existing data: %s",
		               sqlite3_errmsg(s->db));
	return yj_fail(e, YJ_EINTERNAL, "", "database error during %s", what);
}

json_t *store_rows_json(store *s, sqlite3_stmt *st, json_t *(*row)(store *, int64_t), long limit, json_t **next)
{
	/* all ids first: row() runs statements of its own on the same connection */
	json_t *ids = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(ids, json_integer(sqlite3_column_int64(st, 0)));
	sqlite3_reset(st);
	size_t n = json_array_size(ids), take = limit < 0 || (size_t)limit > n ? n : (size_t)limit;
	json_t *items = json_array();
	for (size_t i = 0; i < take; i++) {
		json_t *r = row(s, json_integer_value(json_array_get(ids, i)));
		if (r)
			json_array_append_new(items, r);
	}
	if (next)
		*next = take < n && take > 0 ? json_sprintf("%lld", (long long)json_integer_value(json_array_get(ids, take - 1)))
		                             : json_null();
	json_decref(ids);
	return items;
}

int store_exec(store *s, const char *sql, yj_err *e)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sqlite3_free(msg);
		return store_fail(s, e, "exec");
	}
	return 0;
}

int store_begin(store *s, yj_err *e)
{
	return store_exec(s, "BEGIN IMMEDIATE", e);
}

int store_commit(store *s, yj_err *e)
{
	if (store_exec(s, "COMMIT", e) != 0) {
		store_rollback(s);
		return -1;
	}
	int n = s->nafter;
	s->nafter = 0;
	for (int i = 0; i < n; i++)
		s->after_fn[i](s->after_arg[i]);
	return 0;
}

void store_rollback(store *s)
{
	s->nafter = 0;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

void store_after_commit(store *s, void (*fn)(int64_t), int64_t arg)
{
	if (sqlite3_get_autocommit(s->db)) {
		fn(arg); /* no transaction open: what was written is committed already */
		return;
	}
	if (s->nafter == AFTER_COMMIT_MAX) {
		/* more than any transaction here registers: run the oldest now and keep this one */
		s->after_fn[0](s->after_arg[0]);
		memmove(s->after_fn, s->after_fn + 1, (AFTER_COMMIT_MAX - 1) * sizeof s->after_fn[0]);
		memmove(s->after_arg, s->after_arg + 1, (AFTER_COMMIT_MAX - 1) * sizeof s->after_arg[0]);
		s->nafter--;
	}
	s->after_fn[s->nafter] = fn;
	s->after_arg[s->nafter++] = arg;
}

void store_bind_text(sqlite3_stmt *st, int idx, const char *text)
{
	if (text)
		sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, idx);
}

int store_schema_version(store *s)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}
