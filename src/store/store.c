/*
 * store.c — SQLite connections, the statement cache, typed statements.
 *
 * Each thread gets its own connection (SQLite connections must not be used
 * by two threads at once) from a pthread key, opened lazily on the path given
 * to store_open. WAL lets readers run beside the one writer; synchronous=FULL
 * means a COMMIT that returned is on disk, so nothing acknowledged is lost on
 * kill -9 or power loss (the group writer's connection commits at NORMAL and
 * has its own syncer flush the WAL before anyone is told: group.c). Writers
 * use BEGIN IMMEDIATE so two read-modify-write transactions never both read
 * the old value; busy_timeout makes them queue.
 *
 * The statement cache is an open-addressing table of prepared statements
 * keyed by their text. It holds at most half its slots; when full, every
 * statement not being stepped is finalized and the table starts again
 * (texts built at run time, like the registry's filtered lists, come and
 * go; the constant ones come back at once). A statement is the caller's
 * from store_sql until it is finished (stepped to its end, or
 * store_done); a text asked for meanwhile gets a private statement, so a
 * query nested in another's loop is safe.
 *
 * Transactions, savepoints and commit hooks are in store_tx.c.
 */
#include "store/store_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *db_path;
static pthread_key_t store_key;
static pthread_once_t store_key_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static store *open_list;
static int64_t mmap_size = 1073741824;

/* ---- connections ----------------------------------------------------------------------------- */

static void q_free(store_q *q)
{
	if (q->st)
		sqlite3_finalize(q->st);
	free(q);
}

static void store_free(store *s)
{
	if (!s)
		return;
	for (int i = 0; i < STORE_CACHE_SLOTS; i++)
		if (s->cache[i])
			q_free(s->cache[i]);
	free(s->cache);
	for (store_q *q = s->temps, *n; q; q = n) {
		n = q->next_temp;
		q_free(q);
	}
	free(s->hooks);
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
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
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
	store *s = yj_calloc(1, sizeof *s);
	s->db = db;
	s->cache = yj_calloc(STORE_CACHE_SLOTS, sizeof *s->cache);
	pthread_mutex_lock(&open_lock);
	s->next_open = open_list;
	open_list = s;
	pthread_mutex_unlock(&open_lock);
	return s;
}

static int migrate(sqlite3 *db, yj_err *e)
{
	sqlite3_stmt *st;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (version > store_migration_count)
		return yj_fail(e, YJ_EINTERNAL, "db", "database schema version %d is newer than this yingji (%d); upgrade yingji",
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
			yj_fail(e, YJ_EINTERNAL, "db", "migration %d failed: %s", v + 1, msg ? msg : sqlite3_errstr(rc));
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
	db_path = yj_strdup(path);
	store *s = store_connect(path, e);
	if (!s)
		return -1;
	if (migrate(s->db, e) != 0) {
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

void store_leave_checkpoints(store *s)
{
	if (s)
		sqlite3_wal_autocheckpoint(s->db, 0);
}

void store_checkpoint_past(store *s, int pages)
{
	if (s)
		sqlite3_wal_autocheckpoint(s->db, pages);
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

int store_exec_script(store *s, const char *sql, yj_err *e)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		sqlite3_free(msg);
		return store_fail_rc(s, e, rc, "exec");
	}
	return 0;
}

/* ---- errors -------------------------------------------------------------------------------------- */

int store_fail_rc(store *s, yj_err *e, int rc, const char *what)
{
	int ext = sqlite3_extended_errcode(s->db);
	if ((ext & 0xff) != (rc & 0xff))
		ext = rc;
	char q[400];
	yj_log(YJ_LOG_ERROR, "sql", "rc=%d message=\"%s\" sql=%s", ext, sqlite3_errmsg(s->db),
	       yj_log_quote(q, sizeof q, what));
	switch (ext & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return yj_fail(e, YJ_EUNAVAILABLE, "", "the database is busy; try again");
	case SQLITE_CONSTRAINT:
		/* the engine's words name tables and columns: they stay in the log */
		switch (ext) {
		case SQLITE_CONSTRAINT_UNIQUE:
		case SQLITE_CONSTRAINT_PRIMARYKEY:
			return yj_fail(e, YJ_ECONFLICT, "", "a record with the same key exists already");
		case SQLITE_CONSTRAINT_FOREIGNKEY:
			return yj_fail(e, YJ_ECONFLICT, "", "a linked record does not exist or is still in use");
		default:
			return yj_fail(e, YJ_ECONFLICT, "", "the change conflicts with the stored data");
		}
	case SQLITE_FULL:
		return yj_fail(e, YJ_EUNAVAILABLE, "", "the database disk is full");
	default:
		return yj_fail(e, YJ_EINTERNAL, "", "database error");
	}
}

/* ---- the statement cache ----------------------------------------------------------------------- */

static uint64_t hash_sql(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void cache_put(store *s, store_q *q)
{
	unsigned i = (unsigned)q->hash & (STORE_CACHE_SLOTS - 1);
	while (s->cache[i])
		i = (i + 1) & (STORE_CACHE_SLOTS - 1);
	s->cache[i] = q;
	s->cached++;
}

/* full: keep the statements being stepped, finalize the rest */
static void cache_flush(store *s)
{
	store_q *keep[STORE_CACHE_SLOTS / 2];
	int nkeep = 0;
	for (int i = 0; i < STORE_CACHE_SLOTS; i++) {
		store_q *q = s->cache[i];
		if (!q)
			continue;
		s->cache[i] = NULL;
		if (q->busy && nkeep < (int)YJ_ARRAY_LEN(keep))
			keep[nkeep++] = q;
		else
			q_free(q);
	}
	s->cached = 0;
	memset(s->by_ptr, 0, sizeof s->by_ptr);
	for (int i = 0; i < nkeep; i++)
		cache_put(s, keep[i]);
	yj_log(YJ_LOG_INFO, "sql_cache_flush", "kept=%d", nkeep);
}

static store_q *prepare(store *s, const char *sql, bool persistent, yj_err *e)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v3(s->db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL);
	if (rc != SQLITE_OK) {
		store_fail_rc(s, e, rc, sql);
		return NULL;
	}
	if (!st) {
		yj_fail(e, YJ_EINTERNAL, "", "database error");
		yj_log(YJ_LOG_ERROR, "sql", "message=\"empty statement\"");
		return NULL;
	}
	store_q *q = yj_calloc(1, sizeof *q);
	q->s = s;
	q->st = st;
	q->sql = sqlite3_sql(st);
	q->hash = hash_sql(q->sql);
	return q;
}

static store_q *lookup(store *s, const char *sql, yj_err *e);

/* from the moment it is handed out until it is finished, a statement is the caller's alone */
static store_q *hold(store_q *q)
{
	q->busy = true;
	q->s->nbusy++;
	return q;
}

static unsigned ptr_slot(const char *sql)
{
	uintptr_t p = (uintptr_t)sql;
	return (unsigned)((p >> 4) ^ (p >> 12)) & 255;
}

store_q *store_sql(store *s, const char *sql, yj_err *e)
{
	/* most SQL is a constant string: the same pointer every call; the text is compared as well
	 * (a buffer on the stack may hold other text at the same address next time) */
	store_q *hit = s->by_ptr[ptr_slot(sql)];
	if (hit && hit->key == sql && !hit->busy && strcmp(hit->sql, sql) == 0)
		return hold(hit);
	store_q *found = lookup(s, sql, e);
	if (found && !found->temp) {
		found->key = sql;
		s->by_ptr[ptr_slot(sql)] = found;
	}
	return found;
}

static store_q *lookup(store *s, const char *sql, yj_err *e)
{
	uint64_t h = hash_sql(sql);
	unsigned i = (unsigned)h & (STORE_CACHE_SLOTS - 1);
	store_q *busy = NULL;
	for (; s->cache[i]; i = (i + 1) & (STORE_CACHE_SLOTS - 1)) {
		store_q *q = s->cache[i];
		if (q->hash == h && strcmp(q->sql, sql) == 0) {
			if (!q->busy)
				return hold(q);
			busy = q;
			break;
		}
	}
	if (busy) {
		/* nested use of a text being stepped: a private statement (finished ones are reused) */
		store_q *t = s->temps;
		while (t && t->busy)
			t = t->next_temp;
		store_q *fresh = prepare(s, sql, false, e);
		if (!fresh)
			return NULL;
		if (t) {
			sqlite3_finalize(t->st);
			t->st = fresh->st;
			t->sql = fresh->sql;
			t->hash = fresh->hash;
			t->bind_rc = 0;
			free(fresh);
		} else {
			t = fresh;
			t->temp = true;
			t->next_temp = s->temps;
			s->temps = t;
		}
		return hold(t);
	}
	if (s->cached >= STORE_CACHE_SLOTS / 2)
		cache_flush(s);
	store_q *q = prepare(s, sql, true, e);
	if (!q)
		return NULL;
	cache_put(s, q);
	return hold(q);
}

/* ---- statements -------------------------------------------------------------------------------------- */

static void finish(store_q *q)
{
	sqlite3_reset(q->st);
	sqlite3_clear_bindings(q->st);
	q->bind_rc = 0;
	if (q->busy) {
		q->busy = false;
		q->s->nbusy--;
	}
}

store_val store_v_nullptr(const void *must_be_null)
{
	if (must_be_null) {
		yj_log(YJ_LOG_ERROR, "sql_bind", "message=\"a bare pointer was bound\"");
		abort();
	}
	return store_null();
}

static void bind_check(store_q *q, int i, int rc)
{
	if (rc != SQLITE_OK && !q->bind_rc) {
		q->bind_rc = rc;
		q->bind_idx = i;
	}
}

void store_bind(store_q *q, int i, store_val v)
{
	int rc;
	switch (v.type) {
	case STORE_INT: rc = sqlite3_bind_int64(q->st, i, v.u.i); break;
	case STORE_DOUBLE: rc = sqlite3_bind_double(q->st, i, v.u.d); break;
	case STORE_TEXT:
		rc = sqlite3_bind_text64(q->st, i, v.u.s.p, v.u.s.n == (size_t)-1 ? strlen(v.u.s.p) : v.u.s.n,
		                         SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case STORE_BLOB: rc = sqlite3_bind_blob64(q->st, i, v.u.s.p ? v.u.s.p : "", v.u.s.n, SQLITE_TRANSIENT); break;
	case STORE_JSON: {
		char *txt = json_dumps(v.u.j, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!txt) {
			rc = SQLITE_NOMEM;
			break;
		}
		rc = sqlite3_bind_text64(q->st, i, txt, strlen(txt), free, SQLITE_UTF8);
		break;
	}
	default: rc = sqlite3_bind_null(q->st, i); break;
	}
	bind_check(q, i, rc);
}

void store_bind_int(store_q *q, int i, int64_t v)
{
	bind_check(q, i, sqlite3_bind_int64(q->st, i, v));
}

void store_bind_double(store_q *q, int i, double v)
{
	bind_check(q, i, sqlite3_bind_double(q->st, i, v));
}

void(store_bind_text)(store_q *q, int i, const char *v)
{
	store_bind(q, i, store_v_text(v));
}

void store_bind_all(store_q *q, const store_val *vals, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_bind(q, (int)i + 1, vals[i]);
}

int store_step(store_q *q, yj_err *e)
{
	if (q->bind_rc) {
		char what[300];
		snprintf(what, sizeof what, "bind %d of: %s", q->bind_idx, q->sql);
		store_fail_rc(q->s, e, q->bind_rc, what);
		finish(q);
		return -1;
	}
	int rc = sqlite3_step(q->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		finish(q);
		return 0;
	}
	store_fail_rc(q->s, e, rc, q->sql);
	finish(q);
	return -1;
}

void store_done(store_q *q)
{
	if (q)
		finish(q);
}

int store_ncols(const store_q *q)
{
	return sqlite3_column_count(q->st);
}

bool store_col_null(const store_q *q, int i)
{
	return sqlite3_column_type(q->st, i) == SQLITE_NULL;
}

int64_t store_col_int(const store_q *q, int i)
{
	return sqlite3_column_int64(q->st, i);
}

double store_col_double(const store_q *q, int i)
{
	return sqlite3_column_double(q->st, i);
}

const char *store_col_text(const store_q *q, int i)
{
	return (const char *)sqlite3_column_text(q->st, i);
}

const char *store_col_str(const store_q *q, int i)
{
	const char *t = (const char *)sqlite3_column_text(q->st, i);
	return t ? t : "";
}

const void *store_col_blob(const store_q *q, int i, size_t *n)
{
	const void *p = sqlite3_column_blob(q->st, i);
	if (n)
		*n = (size_t)sqlite3_column_bytes(q->st, i);
	return p;
}

size_t store_col_copy(const store_q *q, int i, char *buf, size_t cap)
{
	if (cap == 0)
		return 0;
	const char *t = (const char *)sqlite3_column_text(q->st, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(q->st, i) : 0;
	if (n > cap - 1)
		n = cap - 1;
	if (n)
		memcpy(buf, t, n);
	buf[n] = 0;
	yj_utf8_trim(buf);
	return strlen(buf);
}

json_t *store_col_json(const store_q *q, int i)
{
	const char *t = (const char *)sqlite3_column_text(q->st, i);
	if (!t)
		return NULL;
	return json_loadb(t, (size_t)sqlite3_column_bytes(q->st, i), JSON_DECODE_ANY, NULL);
}

const char *store_col_name(const store_q *q, int i)
{
	const char *n = sqlite3_column_name(q->st, i);
	return n ? n : "";
}

int store_each(store_q *q, store_row_fn fn, void *ctx, yj_err *e)
{
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		int r = fn(q, ctx, e);
		if (r) {
			store_done(q);
			return r < 0 ? -1 : 0;
		}
	}
	return rc < 0 ? -1 : 0;
}

int64_t store_changes(store *s)
{
	return sqlite3_changes64(s->db);
}

/* ---- one call -------------------------------------------------------------------------------------------- */

store_q *store_query_a(store *s, yj_err *e, const char *sql, const store_val *vals, size_t n)
{
	store_q *q = store_sql(s, sql, e);
	if (q)
		store_bind_all(q, vals, n);
	return q;
}

int64_t store_run_a(store *s, yj_err *e, const char *sql, const store_val *vals, size_t n)
{
	store_q *q = store_query_a(s, e, sql, vals, n);
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0)
		; /* RETURNING rows nobody asked for */
	return rc < 0 ? -1 : store_changes(s);
}

int store_row_a(store *s, store_q **row, yj_err *e, const char *sql, const store_val *vals, size_t n)
{
	*row = NULL;
	store_q *q = store_query_a(s, e, sql, vals, n);
	if (!q)
		return -1;
	int rc = store_step(q, e);
	if (rc > 0)
		*row = q;
	return rc;
}

int store_get_int_a(store *s, int64_t *out, yj_err *e, const char *sql, const store_val *vals, size_t n)
{
	store_q *q;
	int rc = store_row_a(s, &q, e, sql, vals, n);
	if (rc > 0) {
		*out = store_col_int(q, 0);
		store_done(q);
	}
	return rc;
}

int store_get_text_a(store *s, char *buf, size_t cap, yj_err *e, const char *sql, const store_val *vals, size_t n)
{
	store_q *q;
	if (cap)
		buf[0] = 0;
	int rc = store_row_a(s, &q, e, sql, vals, n);
	if (rc > 0) {
		store_col_copy(q, 0, buf, cap);
		store_done(q);
	}
	return rc;
}

/* ---- finishing what was left open ---------------------------------------------------------------------- */

static void finish_left(store *s, store_q *q, const char *why, bool defect)
{
	if (defect) {
		char qs[300];
		yj_log(YJ_LOG_ERROR, "sql_unfinished", "when=%s sql=%s", why, yj_log_quote(qs, sizeof qs, q->sql));
	}
	finish(q);
}

void store_finish_all(store *s, const char *why, bool defect)
{
	if (s->nbusy <= 0)
		return;
	for (int i = 0; i < STORE_CACHE_SLOTS && s->nbusy > 0; i++)
		if (s->cache[i] && s->cache[i]->busy)
			finish_left(s, s->cache[i], why, defect);
	for (store_q *q = s->temps; q && s->nbusy > 0; q = q->next_temp)
		if (q->busy)
			finish_left(s, q, why, defect);
#ifdef YJ_TEST_BUILD
	if (defect)
		abort(); /* a statement left unfinished is a defect: find it in tests */
#endif
}

void store_idle_check(store *s)
{
	if (s)
		store_finish_all(s, "idle", true);
}
