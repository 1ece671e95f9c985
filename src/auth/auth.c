/*
 * auth.c — the rules of users and sessions: roles, passwords, creating and
 * changing users (validated, scoped to the actor's jurisdiction, audited),
 * login and logout, and the in-memory cache of live sessions.
 *
 * Sessions: a token is 32 random bytes shown once to the client; the store
 * keeps only its BLAKE2b digest, so a copy of the database opens no session.
 * A login asks the throttle (throttle.c) before it reads or hashes anything.
 * The SQL is in auth_db.c; jurisdiction is scope.c's; the audit chain is
 * audit.c's.
 */
#include "auth/auth_int.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "geo/geo.h"

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

/* the signed-in form keeps the prefix of its subtree; a malformed code gets one no code has */
void auth_user_finish(auth_user *u)
{
	auth_area_prefix(u->area_code, u->area_prefix);
	if (!u->area_prefix[0])
		snprintf(u->area_prefix, sizeof u->area_prefix, "-");
}

static int check_area(const char *code, yj_err *e)
{
	if (!geo_area_find(code))
		return yj_fail(e, YJ_EINVAL, "area_code", "field 'area_code': no area %.16s", code);
	return 0;
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
	if (check_area(in->area_code, e))
		return -1;
	char hash[128];
	const char *h = in->password_hash;
	if (!h) {
		if (auth_password_check(in->password, "password", e) || auth_password_hash(in->password, hash, e))
			return -1;
		h = hash;
	}
	int64_t id;
	int rc = user_db_insert(s, in, h, yj_now_ms(), &id, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_ECONFLICT, "username", "username '%s' is taken", in->username);
	if (audit_record_id(s, actor, "user.create", "user", id, e))
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
	if (p->area_code && ((actor && auth_require_area(actor, p->area_code, "area_code", e)) ||
	                     check_area(p->area_code, e)))
		return -1;
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

	int64_t n = user_db_update(s, id, p, p->password ? hash : NULL, yj_now_ms(), e);
	if (n < 0)
		return -1;
	if (n == 0)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no user %lld", (long long)id);
	/* the cached sessions carry the user's name, role and area: drop them once this commits */
	store_after_commit(s, cache_drop_user, NULL, (void *)(intptr_t)id);
	/* changed credentials or powers: existing sessions end */
	if ((p->password || p->disabled == 1 || p->role || p->area_code) && session_db_end_user(s, id, e) < 0)
		return -1;
	return audit_record_id(s, actor, p->password ? "user.password" : "user.update", "user", id, e);
}

json_t *auth_user_rec_json(const user_rec *u)
{
	char created[40], updated[40];
	yj_time_format(u->created_ms, created);
	yj_time_format(u->updated_ms, updated);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "id", (json_int_t)u->row.id, "username",
	                 u->row.username, "display_name", u->row.display_name, "role", auth_role_name(u->row.role),
	                 "area_code", u->row.area_code, "phone", u->row.phone, "disabled", u->row.disabled, "created",
	                 created, "updated", updated);
}

json_t *auth_user_json(store *s, int64_t id)
{
	user_rec u;
	return user_db_get(s, id, &u, NULL) > 0 ? auth_user_rec_json(&u) : NULL;
}

int auth_user_load(store *s, int64_t id, auth_user *out, yj_err *e)
{
	int rc = user_db_load(s, id, out, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no user %lld", (long long)id);
	return 0;
}

bool auth_user_password_matches(store *s, int64_t id, const char *password)
{
	char hash[128];
	return user_db_password_hash(s, id, hash, NULL) > 0 && hash[0] && auth_password_verify(hash, password);
}

int auth_password_confirm(store *s, const auth_user *u, const char *password, const char *client_ip,
                          const char *field, yj_err *e)
{
	/* a guess at a signed-in user's password is a guess like a login's: the same throttle, first */
	int64_t now = yj_real_now_ms();
	int wait = throttle_wait(u->username, client_ip, now);
	if (wait > 0) {
		e->retry_after = wait;
		return yj_fail(e, YJ_ETHROTTLED, field, "too many wrong passwords; try again in %d s", wait);
	}
	if (!password || !auth_user_password_matches(s, u->id, password)) {
		throttle_failed(u->username, client_ip, now);
		return yj_fail(e, YJ_EFORBIDDEN, field, "the old password is wrong");
	}
	return 0;
}

/* a page of users for the user API: items and the cursor of the next page (0: none) */
typedef struct page_ctx {
	json_t *items;
	long limit;
	int64_t last, next;
} page_ctx;

static int page_add(const user_rec *u, void *ctx, yj_err *e)
{
	page_ctx *pc = ctx;
	if ((long)json_array_size(pc->items) == pc->limit) {
		pc->next = pc->last; /* one more row than the page: more follow */
		return 0;
	}
	json_array_append_new(pc->items, auth_user_rec_json(u));
	pc->last = u->row.id;
	return 0;
}

int auth_user_list(store *s, const auth_user_list_query *q, json_t **items, int64_t *next, yj_err *e)
{
	if (q->role && auth_role_parse(q->role) < 0)
		return yj_fail(e, YJ_EINVAL, "role", "field 'role': '%.32s' is not a role", q->role);
	page_ctx pc = {.items = json_array(), .limit = q->limit};
	user_page_query pq = {.scope = q->scope, .role = q->role, .text = q->text, .cursor = q->cursor, .limit = q->limit};
	if (user_db_page(s, &pq, page_add, &pc, e)) {
		json_decref(pc.items);
		return -1;
	}
	*items = pc.items;
	*next = pc.next;
	return 0;
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
	if (gen == cache_gen && g_hash_table_size(cache) < SESSION_CACHE_MAX) {
		cached_session *c = yj_malloc(sizeof *c);
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

static void load_one(const unsigned char digest[32], int64_t expires_ms, const auth_user *u, void *ctx)
{
	cache_put(digest, expires_ms, u, *(uint64_t *)ctx);
}

int auth_sessions_load(store *s, yj_err *e)
{
	uint64_t gen = cache_generation();
	long n = session_db_each_live(s, yj_real_now_ms(), load_one, &gen, e);
	if (n < 0)
		return -1;
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

/* the session of a good login, its audit record, in one transaction */
static int open_session(store *s, const auth_user *u, const unsigned char digest[32], int64_t now, yj_err *e)
{
	if (store_begin(s, e))
		return -1;
	/* expired sessions are swept by the logins that make new ones */
	if (session_db_insert(s, digest, u->id, now, now + session_ttl_ms, e) || session_db_sweep(s, now, e) < 0 ||
	    audit_record_id(s, u, "auth.login", "session", u->id, e) || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	return 0;
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

	/* the throttle first: nothing is hashed for a client that must wait */
	int64_t now = yj_real_now_ms();
	int wait = throttle_wait(username, client_ip, now);
	if (wait > 0) {
		e->retry_after = wait;
		return yj_fail(e, YJ_ETHROTTLED, "", "too many failed logins; try again in %d s", wait);
	}

	/* before the user is read: a change to the user during the (slow) password check then
	 * keeps this session out of the cache (cache_put refuses a stale generation) */
	uint64_t gen = cache_generation();
	auth_user u;
	char hash[128] = "";
	bool disabled = true;
	int found = user_db_for_login(s, username, &u, hash, &disabled, e);
	if (found < 0)
		return -1;
	if (!found) {
		pthread_once(&dummy_once, make_dummy_hash);
		auth_password_verify(dummy_hash, password);
	}
	if (!found || !auth_password_verify(hash, password) || disabled) {
		throttle_failed(username, client_ip, now);
		char qu[160];
		yj_log(YJ_LOG_WARN, "login_failed", "username=%s client=%s", yj_log_quote(qu, sizeof qu, username),
		       client_ip ? client_ip : "-");
		return yj_fail(e, YJ_EUNAUTH, "", "wrong username or password");
	}
	throttle_succeeded(username, client_ip, now);

	unsigned char raw[32], digest[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token_out, AUTH_TOKEN_LEN + 1, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	token_digest(token_out, digest);
	if (open_session(s, &u, digest, now, e))
		return -1;
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
	int64_t expires_ms;
	int rc = session_db_resolve(s, digest, now, out, &expires_ms, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_EUNAUTH, "", "not signed in, or the session has ended");
	cache_put(digest, expires_ms, out, gen);
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
	if (session_db_delete(s, digest, e) < 0 || audit_record_id(s, u, "auth.logout", "session", u->id, e) ||
	    store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	cache_drop(digest);
	return 0;
}

void auth_init(void)
{
	audit_register_type("user", 1, user_db_project);
}
