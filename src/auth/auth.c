/*
 * auth.c — roles, jurisdiction, passwords, users, sessions and login
 * throttling.
 *
 * Sessions: a token is 32 random bytes shown once to the client; the store
 * keeps only its BLAKE2b digest, so a copy of the database opens no session.
 * Throttling: failures are counted per username and per client address in
 * memory; past the limit a login is refused before any password hashing
 * (argon2id is slow on purpose, and must not become a free CPU burner).
 */
#include "auth/auth.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

static const char *const role_names[ROLE_COUNT] = {
	"admin",           "commander",        "duty_officer", "inspector",  "legal_reviewer",
	"licensing_clerk", "warehouse_keeper", "grid_worker",  "enterprise", "public",
};

const char *auth_role_name(auth_role r)
{
	return (unsigned)r < ROLE_COUNT ? role_names[r] : "unknown";
}

int auth_role_parse(const char *name)
{
	for (int i = 0; name && i < ROLE_COUNT; i++)
		if (strcmp(name, role_names[i]) == 0)
			return i;
	return -1;
}

static void cache_drop_user(void *ctx); /* the session cache, below */

/* ---- passwords ------------------------------------------------------------ */

int auth_password_check(const char *password, const char *field, yj_err *e)
{
	if (!password)
		return yj_fail(e, YJ_EINVAL, field, "field '%s' is required", field);
	size_t n = strlen(password);
	if (n < 8)
		return yj_fail(e, YJ_EINVAL, field, "field '%s': at least 8 characters", field);
	if (n > 128)
		return yj_fail(e, YJ_EINVAL, field, "field '%s': at most 128 characters", field);
	return 0;
}

int auth_password_hash(const char *password, char out[128], yj_err *e)
{
	_Static_assert(crypto_pwhash_STRBYTES <= 128, "argon2 string fits");
	if (crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                          crypto_pwhash_MEMLIMIT_INTERACTIVE,
	                          crypto_pwhash_ALG_ARGON2ID13) != 0)
		return yj_fail(e, YJ_EINTERNAL, "", "out of memory while hashing a password");
	return 0;
}

bool auth_password_verify(const char *hash, const char *password)
{
	return hash && password && crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/* ---- users ------------------------------------------------------------------ */

static int validate_username(const char *u, yj_err *e)
{
	if (!u)
		return yj_fail(e, YJ_EINVAL, "username", "field 'username' is required");
	size_t n = strlen(u);
	if (n < 3 || n > 64)
		return yj_fail(e, YJ_EINVAL, "username", "field 'username': 3 to 64 characters");
	for (const char *p = u; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return yj_fail(e, YJ_EINVAL, "username",
			               "field 'username': only letters, digits, '_', '.' and '-'");
	return 0;
}

static json_t *user_state(store *s, const char *object_id)
{
	sqlite3_stmt *st = store_stmt(
		s,
		"SELECT id, username, display_name, role, area_code, phone, password_hash, disabled "
		"FROM user WHERE id = ?",
		NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, strtoll(object_id, NULL, 10));
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "id",
		              (json_int_t)sqlite3_column_int64(st, 0), "username",
		              (const char *)sqlite3_column_text(st, 1), "display_name",
		              (const char *)sqlite3_column_text(st, 2), "role",
		              (const char *)sqlite3_column_text(st, 3), "area_code",
		              (const char *)sqlite3_column_text(st, 4), "phone",
		              (const char *)sqlite3_column_text(st, 5), "password_hash",
		              (const char *)sqlite3_column_text(st, 6), "disabled",
		              sqlite3_column_int(st, 7));
	sqlite3_reset(st);
	return j;
}

int auth_user_create(store *s, const auth_user *actor, const auth_user_input *in, int64_t *id_out,
                     yj_err *e)
{
	if (validate_username(in->username, e))
		return -1;
	if (auth_role_parse(in->role) < 0)
		return yj_fail(e, YJ_EINVAL, "role",
		               "field 'role': '%.32s' is not one of admin, commander, duty_officer, "
		               "inspector, legal_reviewer, licensing_clerk, warehouse_keeper, "
		               "grid_worker, enterprise, public",
		               in->role ? in->role : "");
	if (!in->area_code)
		return yj_fail(e, YJ_EINVAL, "area_code", "field 'area_code' is required");
	if (actor && auth_require_area(actor, in->area_code, "area_code", e))
		return -1;
	if (in->display_name && strlen(in->display_name) > 120)
		return yj_fail(e, YJ_EINVAL, "display_name", "field 'display_name': at most 120 bytes");
	if (in->phone && strlen(in->phone) > 32)
		return yj_fail(e, YJ_EINVAL, "phone", "field 'phone': at most 32 characters");
	char hash[128];
	const char *h = in->password_hash;
	if (!h) {
		if (auth_password_check(in->password, "password", e) || auth_password_hash(in->password, hash, e))
			return -1;
		h = hash;
	}
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM area WHERE code = ?", e);
	if (!st)
		return -1;
	store_bind_text(st, 1, in->area_code);
	int found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!found)
		return yj_fail(e, YJ_EINVAL, "area_code", "field 'area_code': no area %.16s", in->area_code);

	int64_t now = yj_now_ms();
	st = store_stmt(s,
	                "INSERT INTO user(username, display_name, role, area_code, phone, password_hash, "
	                "created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?)",
	                e);
	if (!st)
		return -1;
	store_bind_text(st, 1, in->username);
	store_bind_text(st, 2, in->display_name ? in->display_name : "");
	store_bind_text(st, 3, in->role);
	store_bind_text(st, 4, in->area_code);
	store_bind_text(st, 5, in->phone ? in->phone : "");
	store_bind_text(st, 6, h);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, now);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		if ((sqlite3_extended_errcode(store_db(s)) & 0xff) == SQLITE_CONSTRAINT)
			return yj_fail(e, YJ_ECONFLICT, "username", "username '%s' is taken", in->username);
		return store_fail(s, e, "insert user");
	}
	int64_t id = sqlite3_last_insert_rowid(store_db(s));
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	json_t *state = user_state(s, idbuf);
	int arc = audit_append(s, actor, "user.create", "user", idbuf, state, e);
	json_decref(state);
	if (arc)
		return -1;
	if (id_out)
		*id_out = id;
	return 0;
}

int auth_user_update(store *s, const auth_user *actor, int64_t id, const auth_user_patch *p,
                     yj_err *e)
{
	auth_user cur;
	if (auth_user_load(s, id, &cur, e))
		return -1;
	if (actor && auth_require_area(actor, cur.area_code, "id", e))
		return -1;
	if (p->role && auth_role_parse(p->role) < 0)
		return yj_fail(e, YJ_EINVAL, "role", "field 'role': '%.32s' is not a role", p->role);
	if (p->area_code) {
		if (actor && auth_require_area(actor, p->area_code, "area_code", e))
			return -1;
		sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM area WHERE code = ?", e);
		if (!st)
			return -1;
		store_bind_text(st, 1, p->area_code);
		int found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!found)
			return yj_fail(e, YJ_EINVAL, "area_code", "field 'area_code': no area %.16s",
			               p->area_code);
	}
	if (p->display_name && strlen(p->display_name) > 120)
		return yj_fail(e, YJ_EINVAL, "display_name", "field 'display_name': at most 120 bytes");
	if (p->phone && strlen(p->phone) > 32)
		return yj_fail(e, YJ_EINVAL, "phone", "field 'phone': at most 32 characters");
	char hash[128];
	if (p->password && (auth_password_check(p->password, "password", e) ||
	                    auth_password_hash(p->password, hash, e)))
		return -1;
	if (actor && actor->id == id && p->disabled == 1)
		return yj_fail(e, YJ_ECONFLICT, "disabled", "you cannot disable yourself");

	sqlite3_stmt *st = store_stmt(
		s,
		"UPDATE user SET display_name = coalesce(?1, display_name), role = coalesce(?2, role), "
		"area_code = coalesce(?3, area_code), phone = coalesce(?4, phone), "
		"password_hash = coalesce(?5, password_hash), "
		"disabled = CASE WHEN ?6 < 0 THEN disabled ELSE ?6 END, updated_ms = ?7 WHERE id = ?8",
		e);
	if (!st)
		return -1;
	store_bind_text(st, 1, p->display_name);
	store_bind_text(st, 2, p->role);
	store_bind_text(st, 3, p->area_code);
	store_bind_text(st, 4, p->phone);
	store_bind_text(st, 5, p->password ? hash : NULL);
	sqlite3_bind_int(st, 6, p->disabled);
	sqlite3_bind_int64(st, 7, yj_now_ms());
	sqlite3_bind_int64(st, 8, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "update user");
	/* the cached sessions carry the user's name, role and area: drop them once this commits */
	store_after_commit(s, cache_drop_user, NULL, (void *)(intptr_t)id);
	if (p->password || p->disabled == 1 || p->role || p->area_code) {
		/* changed credentials or powers: existing sessions end */
		st = store_stmt(s, "DELETE FROM session WHERE user_id = ?", e);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	json_t *state = user_state(s, idbuf);
	int arc = audit_append(s, actor, p->password ? "user.password" : "user.update", "user", idbuf,
	                       state, e);
	json_decref(state);
	return arc;
}

json_t *auth_user_json(store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT id, username, display_name, role, area_code, phone, "
	                              "disabled, created_ms, updated_ms FROM user WHERE id = ?",
	                              NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		char created[40], updated[40];
		yj_time_format(sqlite3_column_int64(st, 7), created);
		yj_time_format(sqlite3_column_int64(st, 8), updated);
		j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "id",
		              (json_int_t)sqlite3_column_int64(st, 0), "username",
		              (const char *)sqlite3_column_text(st, 1), "display_name",
		              (const char *)sqlite3_column_text(st, 2), "role",
		              (const char *)sqlite3_column_text(st, 3), "area_code",
		              (const char *)sqlite3_column_text(st, 4), "phone",
		              (const char *)sqlite3_column_text(st, 5), "disabled",
		              sqlite3_column_int(st, 6), "created", created, "updated", updated);
	}
	sqlite3_reset(st);
	return j;
}

static void fill_user(sqlite3_stmt *st, int col, auth_user *out)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, col);
	snprintf(out->username, sizeof out->username, "%s", (const char *)sqlite3_column_text(st, col + 1));
	snprintf(out->display_name, sizeof out->display_name, "%s",
	         (const char *)sqlite3_column_text(st, col + 2));
	int r = auth_role_parse((const char *)sqlite3_column_text(st, col + 3));
	out->role = r < 0 ? ROLE_PUBLIC : (auth_role)r;
	snprintf(out->area_code, sizeof out->area_code, "%s",
	         (const char *)sqlite3_column_text(st, col + 4));
	auth_area_prefix(out->area_code, out->area_prefix);
}

int auth_user_load(store *s, int64_t id, auth_user *out, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(
		s, "SELECT id, username, display_name, role, area_code FROM user WHERE id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fill_user(st, 0, out);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no user %lld", (long long)id);
	return 0;
}

bool auth_user_password_matches(store *s, int64_t id, const char *password)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT password_hash FROM user WHERE id = ?", NULL);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, id);
	char hash[128] = "";
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(hash, sizeof hash, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return hash[0] && auth_password_verify(hash, password);
}

/* ---- throttling ------------------------------------------------------------- */

#define THROTTLE_SLOTS 4096
#define THROTTLE_WINDOW_MS (15 * 60 * 1000)
#define THROTTLE_USER_FREE 5   /* failures allowed per username per window */
#define THROTTLE_ADDR_FREE 30  /* failures allowed per client address per window */

typedef struct throttle_slot {
	char key[80];
	int failures;
	int64_t first_ms, locked_until_ms;
} throttle_slot;

static throttle_slot throttle[THROTTLE_SLOTS];
static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;

static throttle_slot *throttle_find(const char *key, bool create, int64_t now)
{
	unsigned char h[8];
	crypto_generichash(h, sizeof h, (const unsigned char *)key, strlen(key), NULL, 0);
	unsigned idx = ((unsigned)h[0] | (unsigned)h[1] << 8) % THROTTLE_SLOTS;
	throttle_slot *oldest = NULL;
	for (int probe = 0; probe < 8; probe++) {
		throttle_slot *t = &throttle[(idx + probe) % THROTTLE_SLOTS];
		if (strcmp(t->key, key) == 0)
			return t;
		bool stale = t->key[0] == 0 ||
		             (now - t->first_ms > THROTTLE_WINDOW_MS && now > t->locked_until_ms);
		if (stale && !oldest)
			oldest = t;
	}
	if (!create)
		return NULL;
	if (!oldest) /* all eight busy: reuse the home slot (bounded memory beats perfect memory) */
		oldest = &throttle[idx];
	memset(oldest, 0, sizeof *oldest);
	snprintf(oldest->key, sizeof oldest->key, "%s", key);
	oldest->first_ms = now;
	return oldest;
}

/* seconds until key may try again, 0 when free */
static int throttle_wait(const char *key, int64_t now)
{
	throttle_slot *t = throttle_find(key, false, now);
	if (!t || now >= t->locked_until_ms)
		return 0;
	return (int)((t->locked_until_ms - now + 999) / 1000);
}

static void throttle_fail(const char *key, int free_failures, int64_t now)
{
	throttle_slot *t = throttle_find(key, true, now);
	if (now - t->first_ms > THROTTLE_WINDOW_MS && now >= t->locked_until_ms) {
		t->failures = 0;
		t->first_ms = now;
	}
	t->failures++;
	if (t->failures >= free_failures) {
		/* 30 s, doubling with every further failure, at most 15 min */
		int over = t->failures - free_failures;
		int64_t lock = 30000LL << (over > 5 ? 5 : over);
		if (lock > THROTTLE_WINDOW_MS)
			lock = THROTTLE_WINDOW_MS;
		t->locked_until_ms = now + lock;
	}
}

static void throttle_clear(const char *key)
{
	throttle_slot *t = throttle_find(key, false, yj_real_now_ms());
	if (t)
		memset(t, 0, sizeof *t);
}

void auth_throttle_reset(void)
{
	pthread_mutex_lock(&throttle_lock);
	memset(throttle, 0, sizeof throttle);
	pthread_mutex_unlock(&throttle_lock);
}

/* ---- sessions --------------------------------------------------------------- */

static _Atomic int64_t session_ttl_ms = 12LL * 3600 * 1000;

void auth_set_session_ttl(int64_t ms)
{
	session_ttl_ms = ms;
}

int64_t auth_session_ttl(void)
{
	return session_ttl_ms;
}

static void token_digest(const char *token, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

/* a hash to verify against when the user does not exist, so both answers take as long */
static char dummy_hash[128];

/* ---- the session cache ------------------------------------------------------------------
 * Every request resolves its token. Reading the session table for it starts a read
 * transaction on the HTTP thread, and SQLite drops a connection's page cache and memory
 * map whenever another connection has committed since; under a stream of small commits
 * (acknowledgements) that was a quarter of the server's time. So the live sessions are
 * also kept here: loaded at start, added at login and on a miss (a session some other
 * process wrote), dropped at logout and after a commit that ends a user's sessions.
 * auth.c is the only code that writes sessions. A fill that raced with a drop (it read
 * before the dropping commit) is refused by the generation check.
 */
#define SESSION_CACHE_MAX 2000000

typedef struct cached_session {
	unsigned char digest[32]; /* the key */
	int64_t expires_ms;
	auth_user user;
} cached_session;

static pthread_rwlock_t cache_lock = PTHREAD_RWLOCK_INITIALIZER;
static GHashTable *cache;     /* digest -> cached_session */
static uint64_t cache_gen;    /* bumped by every drop, under the write lock */
static unsigned cache_puts;   /* every 4096th put sweeps out expired sessions */

static guint digest_hash(gconstpointer k)
{
	guint h;
	memcpy(&h, k, sizeof h); /* a BLAKE2b digest: any four bytes are uniform */
	return h;
}

static gboolean digest_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, 32) == 0;
}

static uint64_t cache_generation(void)
{
	pthread_rwlock_rdlock(&cache_lock);
	uint64_t g = cache_gen;
	pthread_rwlock_unlock(&cache_lock);
	return g;
}

static gboolean session_expired(gpointer key, gpointer value, gpointer now)
{
	return ((cached_session *)value)->expires_ms <= *(int64_t *)now;
}

/* remember a session read (or written) when the generation was gen */
static void cache_put(const unsigned char digest[32], int64_t expires_ms, const auth_user *u, uint64_t gen)
{
	pthread_rwlock_wrlock(&cache_lock);
	if (!cache)
		cache = g_hash_table_new_full(digest_hash, digest_equal, NULL, free);
	if (++cache_puts % 4096 == 0) {
		int64_t now = yj_real_now_ms();
		g_hash_table_foreach_remove(cache, session_expired, &now);
	}
	cached_session *c;
	if (gen == cache_gen && g_hash_table_size(cache) < SESSION_CACHE_MAX && (c = malloc(sizeof *c))) {
		memcpy(c->digest, digest, 32);
		c->expires_ms = expires_ms;
		c->user = *u;
		g_hash_table_replace(cache, c->digest, c);
	}
	pthread_rwlock_unlock(&cache_lock);
}

static bool cache_get(const unsigned char digest[32], int64_t now, auth_user *out)
{
	bool hit = false;
	pthread_rwlock_rdlock(&cache_lock);
	cached_session *c = cache ? g_hash_table_lookup(cache, digest) : NULL;
	if (c && c->expires_ms > now) {
		*out = c->user;
		hit = true;
	}
	pthread_rwlock_unlock(&cache_lock);
	return hit;
}

static gboolean session_of_user(gpointer key, gpointer value, gpointer user_id)
{
	return ((cached_session *)value)->user.id == *(int64_t *)user_id;
}


/* after a commit that ended or changed a user's sessions (store_after_commit) */
static void cache_drop_user(void *ctx)
{
	int64_t user_id = (int64_t)(intptr_t)ctx;
	pthread_rwlock_wrlock(&cache_lock);
	cache_gen++;
	if (cache)
		g_hash_table_foreach_remove(cache, session_of_user, &user_id);
	pthread_rwlock_unlock(&cache_lock);
}

static void cache_drop(const unsigned char digest[32])
{
	pthread_rwlock_wrlock(&cache_lock);
	cache_gen++;
	if (cache)
		g_hash_table_remove(cache, digest);
	pthread_rwlock_unlock(&cache_lock);
}

int auth_sessions_load(store *s, yj_err *e)
{
	uint64_t gen = cache_generation();
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT s.token_hash, s.expires_ms, u.id, u.username, u.display_name, u.role, u.area_code "
	                              "FROM session s JOIN user u ON u.id = s.user_id WHERE s.expires_ms > ? AND u.disabled = 0",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, yj_real_now_ms());
	long n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != 32)
			continue;
		auth_user u;
		fill_user(st, 2, &u);
		cache_put(sqlite3_column_blob(st, 0), sqlite3_column_int64(st, 1), &u, gen);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "load sessions");
	yj_log(YJ_LOG_INFO, "sessions_loaded", "sessions=%ld", n);
	return 0;
}

void auth_sessions_forget(void)
{
	pthread_rwlock_wrlock(&cache_lock);
	cache_gen++;
	if (cache)
		g_hash_table_destroy(cache);
	cache = NULL;
	pthread_rwlock_unlock(&cache_lock);
}

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy_hash(void)
{
	auth_password_hash("yingji-no-such-user", dummy_hash, NULL);
}

int auth_login(store *s, const char *username, const char *password, const char *client_ip,
               char token_out[AUTH_TOKEN_LEN + 1], auth_user *user_out, yj_err *e)
{
	if (!username || !*username)
		return yj_fail(e, YJ_EINVAL, "username", "field 'username' is required");
	if (!password)
		return yj_fail(e, YJ_EINVAL, "password", "field 'password' is required");
	if (strlen(username) > 64 || strlen(password) > 128)
		return yj_fail(e, YJ_EUNAUTH, "", "wrong username or password");

	char ukey[80], akey[80];
	snprintf(ukey, sizeof ukey, "u:%s", username);
	snprintf(akey, sizeof akey, "a:%s", client_ip ? client_ip : "-");
	int64_t now = yj_real_now_ms();
	pthread_mutex_lock(&throttle_lock);
	int wait_u = throttle_wait(ukey, now), wait_a = throttle_wait(akey, now);
	pthread_mutex_unlock(&throttle_lock);
	int wait = wait_u > wait_a ? wait_u : wait_a;
	if (wait > 0) {
		e->retry_after = wait;
		return yj_fail(e, YJ_ETHROTTLED, "", "too many failed logins; try again in %d s", wait);
	}

	/* before the user is read: a change to the user during the (slow) password check then
	 * keeps this session out of the cache (cache_put refuses a stale generation) */
	uint64_t gen = cache_generation();
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT id, username, display_name, role, area_code, "
	                              "password_hash, disabled FROM user WHERE username = ?",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, username);
	auth_user u;
	char hash[128] = "";
	int disabled = 1;
	bool found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		fill_user(st, 0, &u);
		snprintf(hash, sizeof hash, "%s", (const char *)sqlite3_column_text(st, 5));
		disabled = sqlite3_column_int(st, 6);
	}
	sqlite3_reset(st);
	if (!found) {
		pthread_once(&dummy_once, make_dummy_hash);
		auth_password_verify(dummy_hash, password);
	}
	if (!found || !auth_password_verify(hash, password) || disabled) {
		pthread_mutex_lock(&throttle_lock);
		throttle_fail(ukey, THROTTLE_USER_FREE, now);
		throttle_fail(akey, THROTTLE_ADDR_FREE, now);
		pthread_mutex_unlock(&throttle_lock);
		yj_log(YJ_LOG_WARN, "login_failed", "username=%.64s client=%s", username,
		       client_ip ? client_ip : "-");
		return yj_fail(e, YJ_EUNAUTH, "", "wrong username or password");
	}
	pthread_mutex_lock(&throttle_lock);
	throttle_clear(ukey);
	pthread_mutex_unlock(&throttle_lock);

	unsigned char raw[32], digest[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token_out, AUTH_TOKEN_LEN + 1, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	token_digest(token_out, digest);
	if (store_begin(s, e))
		return -1;
	st = store_stmt(s,
	                "INSERT INTO session(token_hash, user_id, created_ms, expires_ms) "
	                "VALUES (?,?,?,?)",
	                e);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, digest, sizeof digest, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, u.id);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, now + session_ttl_ms);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_fail(s, e, "insert session");
		store_rollback(s);
		return -1;
	}
	/* expired sessions are swept by the logins that make new ones */
	st = store_stmt(s, "DELETE FROM session WHERE expires_ms < ?", NULL);
	if (st) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)u.id);
	json_t *ev = json_pack("{s:s, s:s}", "event", "login", "client", client_ip ? client_ip : "-");
	int arc = audit_append(s, &u, "auth.login", "session", idbuf, ev, e);
	json_decref(ev);
	if (arc || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	cache_put(digest, now + session_ttl_ms, &u, gen);
	*user_out = u;
	return 0;
}

int auth_session_resolve(store *s, const char *token, auth_user *out, yj_err *e)
{
	if (!token || strlen(token) != AUTH_TOKEN_LEN)
		return yj_fail(e, YJ_EUNAUTH, "", "not signed in, or the session has ended");
	unsigned char digest[32];
	token_digest(token, digest);
	int64_t now = yj_real_now_ms();
	if (cache_get(digest, now, out))
		return 0;
	uint64_t gen = cache_generation();
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT u.id, u.username, u.display_name, u.role, u.area_code, s.expires_ms "
	                              "FROM session s JOIN user u ON u.id = s.user_id "
	                              "WHERE s.token_hash = ? AND s.expires_ms > ? AND u.disabled = 0",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, digest, sizeof digest, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		fill_user(st, 0, out);
		cache_put(digest, sqlite3_column_int64(st, 5), out, gen);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return yj_fail(e, YJ_EUNAUTH, "", "not signed in, or the session has ended");
	return 0;
}

int auth_logout(store *s, const auth_user *u, const char *token, yj_err *e)
{
	if (!token || !u)
		return 0;
	unsigned char digest[32];
	token_digest(token, digest);
	if (store_begin(s, e))
		return -1;
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM session WHERE token_hash = ?", e);
	if (!st) {
		store_rollback(s);
		return -1;
	}
	sqlite3_bind_blob(st, 1, digest, sizeof digest, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_fail(s, e, "delete session");
		store_rollback(s);
		return -1;
	}
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)u->id);
	json_t *ev = json_pack("{s:s}", "event", "logout");
	int arc = audit_append(s, u, "auth.logout", "session", idbuf, ev, e);
	json_decref(ev);
	if (arc || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	cache_drop(digest);
	return 0;
}

void auth_init(void)
{
	audit_register_state("user", user_state);
}
