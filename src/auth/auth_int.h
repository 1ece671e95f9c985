/*
 * auth_int.h — what the files of src/auth/ share with each other and
 * nobody else: the SQL of tables `user` and `session` (auth_db.c, and the
 * directory's columns of user_dir.c), and login throttling (throttle.c).
 */
#ifndef YJ_AUTH_INT_H
#define YJ_AUTH_INT_H

#include "auth/auth.h"

/* ---- users (auth_db.c, user_dir.c) ------------------------------------------------------------- */

/* the columns auth_user_row_fill reads, in its order */
#define AUTH_USER_COLS "id, username, display_name, role, area_code, phone, disabled, coalesce(enterprise_id, 0)"
void auth_user_row_fill(store_q *q, auth_user_row *u);

/* A user as the user API shows it: the directory's row and its times. */
typedef struct user_rec {
	auth_user_row row;
	int64_t created_ms, updated_ms;
} user_rec;

/* 1 with *out, 0 when there is no such user, -1 on error (the same for the others below). */
int user_db_get(store *s, int64_t id, user_rec *out, yj_err *e);
/* The signed-in form of user id (area_prefix filled by auth_user_finish). */
int user_db_load(store *s, int64_t id, auth_user *out, yj_err *e);
/* What a login needs: the user, its password hash and whether it is disabled. */
int user_db_for_login(store *s, const char *username, auth_user *out, char hash[128], bool *disabled, yj_err *e);
int user_db_password_hash(store *s, int64_t id, char hash[128], yj_err *e);
/* Insert a validated user with its password hash: 1 with *id, 0 when the username is taken, -1. */
int user_db_insert(store *s, const auth_user_input *in, const char *hash, int64_t now, int64_t *id, yj_err *e);
/* Apply a validated patch (hash: the new password's, or NULL): rows changed (0: no such user), -1. */
int64_t user_db_update(store *s, int64_t id, const auth_user_patch *p, const char *hash, int64_t now, yj_err *e);

/* One page of users for the user API: ascending id after cursor, at most limit + 1 rows (the
 * extra one says more follow). fn answers 0 to go on, -1 (with *e) to fail. */
typedef struct user_page_query {
	const auth_scope *scope; /* required: area_code in it */
	const char *role;        /* a role name, or NULL */
	const char *text;        /* part of username or display name, or NULL */
	int64_t cursor;
	long limit;
} user_page_query;
typedef int (*user_rec_fn)(const user_rec *u, void *ctx, yj_err *e);
int user_db_page(store *s, const user_page_query *q, user_rec_fn fn, void *ctx, yj_err *e);

/* The audit projection of a user (version 1): its row's fields, no password hash. NULL when gone. */
json_t *user_db_project(store *s, const char *object_id);

/* The user API's JSON of a user (auth.c). */
json_t *auth_user_rec_json(const user_rec *u);

/* A page of the users in scope for the user API (auth.c): *items (new reference) and *next, the
 * cursor of the next page (0: none). A role that is not one is YJ_EINVAL naming field role. */
typedef struct auth_user_list_query {
	const auth_scope *scope;
	const char *role, *text;
	int64_t cursor;
	long limit;
} auth_user_list_query;
int auth_user_list(store *s, const auth_user_list_query *q, json_t **items, int64_t *next, yj_err *e);

/* The signed-in user's own password again (changing it): throttled like a login, before any
 * hashing (YJ_ETHROTTLED), and counted as a failed login when wrong (YJ_EFORBIDDEN naming field). */
int auth_password_confirm(store *s, const auth_user *u, const char *password, const char *client_ip,
                          const char *field, yj_err *e);

/* Fill u->area_prefix from u->area_code so that a malformed code matches no area (never all). */
void auth_user_finish(auth_user *u);

/* ---- sessions (auth_db.c) ----------------------------------------------------------------------- */

int session_db_insert(store *s, const unsigned char digest[32], int64_t user_id, int64_t now, int64_t expires_ms,
                      yj_err *e);
/* Delete the sessions that expired before now: rows deleted, or -1. */
int64_t session_db_sweep(store *s, int64_t now, yj_err *e);
int64_t session_db_delete(store *s, const unsigned char digest[32], yj_err *e);
int64_t session_db_end_user(store *s, int64_t user_id, yj_err *e);
/* The enabled user of a live session: 1 with *out and *expires_ms, 0 none, -1. */
int session_db_resolve(store *s, const unsigned char digest[32], int64_t now, auth_user *out, int64_t *expires_ms,
                       yj_err *e);
/* Visit every live session of an enabled user: the count, or -1. */
typedef void (*session_fn)(const unsigned char digest[32], int64_t expires_ms, const auth_user *u, void *ctx);
long session_db_each_live(store *s, int64_t now, session_fn fn, void *ctx, yj_err *e);

/* ---- login throttling (throttle.c) --------------------------------------------------------------- */

/* Seconds the login of username from client must wait, 0 when it may try now. No hashing. */
int throttle_wait(const char *username, const char *client, int64_t now);
/* A failed login: counted for (username, client) and for client; a lock when over budget. */
void throttle_failed(const char *username, const char *client, int64_t now);
/* A good login: the failures of (username, client) are forgotten (not client's). */
void throttle_succeeded(const char *username, const char *client, int64_t now);

#endif
