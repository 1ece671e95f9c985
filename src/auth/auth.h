/*
 * auth.h — users, roles, passwords, sessions, jurisdiction and the audit
 * chain (全过程记录). One header is the module's whole surface.
 *
 * Jurisdiction: a user belongs to an area and sees only that area's subtree
 * (city > county > town > village). Area codes are hierarchical by prefix,
 * so "in the subtree" is a prefix test; auth_area_visible() is the one place
 * that decides it, and the HTTP layer calls it for every route that names an
 * area.
 */
#ifndef YJ_AUTH_H
#define YJ_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "store/store.h"

typedef enum {
	ROLE_ADMIN,
	ROLE_COMMANDER,
	ROLE_DUTY_OFFICER,
	ROLE_INSPECTOR,
	ROLE_LEGAL_REVIEWER,
	ROLE_LICENSING_CLERK,
	ROLE_WAREHOUSE_KEEPER,
	ROLE_GRID_WORKER,
	ROLE_ENTERPRISE,
	ROLE_PUBLIC,
	ROLE_COUNT
} auth_role;

#define ROLE_BIT(r) (1u << (r))
#define ROLES_ANY ((1u << ROLE_COUNT) - 1)
/* the bureau's own staff: everyone but grid workers, enterprises and the public */
#define ROLES_STAFF                                                                               \
	(ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_DUTY_OFFICER) |           \
	 ROLE_BIT(ROLE_INSPECTOR) | ROLE_BIT(ROLE_LEGAL_REVIEWER) | ROLE_BIT(ROLE_LICENSING_CLERK) | \
	 ROLE_BIT(ROLE_WAREHOUSE_KEEPER))

const char *auth_role_name(auth_role r);
/* -1 when name is not a role */
int auth_role_parse(const char *name);

/* The signed-in user, as the HTTP layer hands it to handlers (read-only). */
typedef struct auth_user {
	int64_t id;
	char username[64];
	char display_name[128];
	auth_role role;
	char area_code[16];
	char area_prefix[16]; /* codes in the subtree start with this ("-", matching none, when the
	                         area code is malformed) */
} auth_user;

/* ---- jurisdiction (scope.c) -------------------------------------------------- */

/*
 * A scope: the subtree of one area, as the range of codes in it. Codes are
 * hierarchical by prefix (city 441500 → "4415", county 441502, town
 * 441502001, village 441502001001), so "in the subtree" is
 * area_code >= lo AND area_code < hi, which an index on area_code answers
 * (AUTH_SCOPE_SQL). A scope is never empty and never "everything": it is
 * made only from a known area.
 */
typedef struct auth_scope {
	char code[16]; /* the area the scope is rooted at */
	char lo[16];   /* its prefix: the smallest code inside */
	char hi[16];   /* the prefix with its last digit raised: the first code after */
} auth_scope;

/* "(col >= ? AND col < ?)": bind scope.lo, scope.hi */
#define AUTH_SCOPE_SQL(col) "(" col " >= ? AND " col " < ?)"

/*
 * The one jurisdiction rule. The scope of a request by user u for area
 * (a client's ?area= or body field; NULL or "" means the user's own area):
 * area must be a known area code (YJ_EINVAL naming field when it is
 * malformed or unknown) inside the user's subtree (YJ_EFORBIDDEN naming
 * field otherwise). A user whose own area is not known gets YJ_EFORBIDDEN.
 */
int auth_scope_for(const auth_user *u, const char *area, const char *field, auth_scope *out, yj_err *e);
/* The scope of a known area, with no user (system jobs). YJ_EINVAL naming field when unknown. */
int auth_scope_of_area(const char *code, const char *field, auth_scope *out, yj_err *e);
/* true when area_code lies in the scope. */
bool auth_scope_contains(const auth_scope *sc, const char *area_code);

/* The prefix shared by every code in code's subtree: 441500 -> "4415",
 * 441502 -> "441502", 441502001 -> "441502001". Writes "" for a malformed code. */
void auth_area_prefix(const char *code, char out[16]);
/* true when area_code is a known area in the user's subtree. */
bool auth_area_visible(const auth_user *u, const char *area_code);
/* 0, or -1: YJ_EINVAL naming field for an unknown or malformed code, YJ_EFORBIDDEN outside. */
int auth_require_area(const auth_user *u, const char *area_code, const char *field, yj_err *e);

/* ---- passwords ------------------------------------------------------------ */

/* argon2id (libsodium crypto_pwhash_str). out must hold crypto_pwhash_STRBYTES. */
int auth_password_hash(const char *password, char out[128], yj_err *e);
bool auth_password_verify(const char *hash, const char *password);
/* Minimum rules for a new password: 8..128 bytes. */
int auth_password_check(const char *password, const char *field, yj_err *e);

/* ---- users ------------------------------------------------------------------ */

typedef struct auth_user_input {
	const char *username;     /* 3..64 of [A-Za-z0-9_.-] */
	const char *display_name; /* may be NULL */
	const char *role;
	const char *area_code;
	const char *phone;        /* may be NULL */
	const char *password;     /* plain; or NULL when password_hash is given */
	const char *password_hash;/* precomputed argon2id string (demo: one hash for many) */
} auth_user_input;

/* Validate and insert a user inside the caller's transaction, with an audit
 * record by actor (NULL = system). *id_out gets the new id. */
int auth_user_create(store *s, const auth_user *actor, const auth_user_input *in, int64_t *id_out,
                     yj_err *e);
/* Change a user: each non-NULL field is set (disabled: -1 = leave). A new
 * password or disabling ends the user's sessions. Inside the caller's
 * transaction, with an audit record. */
typedef struct auth_user_patch {
	const char *display_name, *role, *area_code, *phone, *password;
	int disabled;
} auth_user_patch;
int auth_user_update(store *s, const auth_user *actor, int64_t id, const auth_user_patch *p,
                     yj_err *e);
/* JSON of a user (no password hash). NULL when not found. */
json_t *auth_user_json(store *s, int64_t id);
/* true when password is the user's current one. */
bool auth_user_password_matches(store *s, int64_t id, const char *password);
/* Load a user as auth_user. 0, or -1 (YJ_ENOTFOUND). */
int auth_user_load(store *s, int64_t id, auth_user *out, yj_err *e);

/* ---- the user directory (user_dir.c): how other modules read users --------------------- */

/* One user as other modules see it (no password hash). */
typedef struct auth_user_row {
	int64_t id;
	char username[64];
	char display_name[128];
	auth_role role;
	char area_code[16];
	char phone[32];
	bool disabled;
	int64_t enterprise_id; /* an enterprise's account: its enterprise; else 0 */
} auth_user_row;

/* 1 with *out filled, 0 when there is no such user, -1 on error. */
int auth_user_get(store *s, int64_t id, auth_user_row *out, yj_err *e);
int auth_user_find(store *s, const char *username, auth_user_row *out, yj_err *e);
/* The name to show for a user: the display name, else the username; "" when unknown. */
void auth_user_label(store *s, int64_t id, char *out, size_t cap);

/* Which users auth_users_each visits (ascending id). */
typedef struct auth_user_query {
	unsigned roles;          /* ROLE_BIT() mask; 0 = every role */
	const auth_scope *scope; /* users whose area lies in it; NULL = everywhere */
	const char *exact_area;  /* users of exactly this area; NULL = no such condition */
	bool include_disabled;   /* false: enabled users only */
} auth_user_query;
/* fn answers 0 to go on, 1 to stop, -1 (with *e) to fail. fn may run statements of its own. */
typedef int (*auth_user_fn)(store *s, const auth_user_row *u, void *ctx, yj_err *e);
/* Visit the users q selects: 0 when all were visited or fn stopped, -1 on error. */
int auth_users_each(store *s, const auth_user_query *q, auth_user_fn fn, void *ctx, yj_err *e);
/* Link a user to the enterprise it acts for (0: none), audited, inside the caller's transaction. */
int auth_user_set_enterprise(store *s, const auth_user *actor, int64_t user_id, int64_t enterprise_id, yj_err *e);

/* ---- sessions --------------------------------------------------------------- */

#define AUTH_TOKEN_LEN 43 /* 32 random bytes, base64url without padding */

/*
 * Check the password and open a session. Throttles repeated failures per
 * (username, client address) and per client address before any hashing
 * (YJ_ETHROTTLED with e->retry_after), so failures elsewhere cannot lock a
 * user out. On success token_out gets the bearer token, *user_out the
 * user. Wrong user or password: YJ_EUNAUTH with the same words either way.
 */
int auth_login(store *s, const char *username, const char *password, const char *client_ip,
               char token_out[AUTH_TOKEN_LEN + 1], auth_user *user_out, yj_err *e);
/* The user of a live token; 0, or -1 (YJ_EUNAUTH). */
int auth_session_resolve(store *s, const char *token, auth_user *out, yj_err *e);
int auth_logout(store *s, const auth_user *u, const char *token, yj_err *e);
/*
 * Live sessions are also held in memory (resolving a token then reads no
 * table). Load them at start and forget them at stop (serve). Sessions and
 * users must only be changed through this module while a server runs on
 * the database.
 */
int auth_sessions_load(store *s, yj_err *e);
void auth_sessions_forget(void);
/* Session lifetime in ms (default 12 h). */
void auth_set_session_ttl(int64_t ms);
int64_t auth_session_ttl(void);
/* Forget all throttling state (tests and admin unlock). */
void auth_throttle_reset(void);
/* Since start: failed logins, and locks they caused (each logged as event login_throttled). */
void auth_throttle_stats(int64_t *failures, int64_t *lockouts);
/* the same, one each (for /metrics) */
int64_t auth_login_failures(void);
int64_t auth_login_lockouts(void);

/* ---- audit chain (全过程记录, audit.c) ----------------------------------------------- */

/*
 * An audit projection: what the chain vouches for of one object type. It
 * is an explicit record of the fields that matter, built from the stored
 * row (never the API's JSON, so an answer may grow without making old
 * records look tampered), and versioned: a record keeps the version of
 * the projection it was made with, and a type that changes its projection
 * registers the new one under the next version and keeps the old ones, so
 * verify reproduces what each record saw. project answers the object's
 * state as stored now, or NULL when it no longer exists.
 */
typedef json_t *(*audit_project_fn)(store *s, const char *object_id);
/* Register version (1, 2, ...) of object_type's projection (at start, before threads). */
void audit_register_type(const char *object_type, int version, audit_project_fn fn);

/*
 * Append a record of action on an object inside the caller's write
 * transaction (BEGIN IMMEDIATE, so appends are serialised): (time, user,
 * action, object, digest of its state, digest of the previous record).
 * The state is the type's current projection, read now: call this after
 * the write. A type with no projection records the state null. actor NULL
 * is the system.
 */
int audit_record(store *s, const auth_user *actor, const char *action, const char *object_type,
                 const char *object_id, yj_err *e);
/* the same with an integer id */
int audit_record_id(store *s, const auth_user *actor, const char *action, const char *object_type, int64_t id,
                    yj_err *e);

/* Before projections: the caller's JSON as the state (legacy: being replaced by audit_record). */
int audit_append(store *s, const auth_user *actor, const char *action, const char *object_type,
                 const char *object_id, json_t *state, yj_err *e);
typedef json_t *(*audit_state_fn)(store *s, const char *object_id);
void audit_register_state(const char *object_type, audit_state_fn fn);

typedef struct audit_report {
	int64_t records;
	int64_t objects;          /* objects whose current state was compared */
	int64_t not_comparable;   /* last recorded before projections (version 0): chain checked only */
	int64_t first_broken_id;  /* 0 when the chain is whole */
	char reason[256];
	char head_digest[65];     /* digest of the last record: anchor it elsewhere */
} audit_report;

/*
 * Walk the chain: every record's digest and link, then the current state of
 * every object with a projection against its last record. 0 when whole, 1
 * when broken (report says where), -1 on error.
 */
int audit_verify(store *s, audit_report *r, yj_err *e);

/* Register the audit projection of users and other auth internals (call at start). */
void auth_init(void);
/* Register the HTTP routes of this module (auth_api.c). */
void auth_api_register(void);

#endif
