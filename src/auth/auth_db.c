/*
 * auth_db.c — the SQL of tables `user` and `session` (auth owns them; the
 * directory's reads for other modules are in user_dir.c). Rows in, structs
 * out: no validation and no rules here, those are auth.c's. Sessions are
 * stored by the BLAKE2b digest of their token, never the token itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_int.h"

/* ---- users ---------------------------------------------------------------------------------- */

/* id, username, display_name, role, area_code from column col on */
static void fill_user(store_q *q, int col, auth_user *out)
{
	memset(out, 0, sizeof *out);
	out->id = store_col_int(q, col);
	store_col_copy(q, col + 1, out->username, sizeof out->username);
	store_col_copy(q, col + 2, out->display_name, sizeof out->display_name);
	int r = auth_role_parse(store_col_str(q, col + 3));
	out->role = r < 0 ? ROLE_PUBLIC : (auth_role)r;
	store_col_copy(q, col + 4, out->area_code, sizeof out->area_code);
	auth_user_finish(out);
}

int user_db_get(store *s, int64_t id, user_rec *out, yj_err *e)
{
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT " AUTH_USER_COLS ", created_ms, updated_ms FROM user WHERE id = ?", id);
	if (rc > 0) {
		auth_user_row_fill(q, &out->row);
		out->created_ms = store_col_int(q, 8);
		out->updated_ms = store_col_int(q, 9);
		store_done(q);
	}
	return rc;
}

int user_db_load(store *s, int64_t id, auth_user *out, yj_err *e)
{
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT id, username, display_name, role, area_code FROM user WHERE id = ?", id);
	if (rc > 0) {
		fill_user(q, 0, out);
		store_done(q);
	}
	return rc;
}

int user_db_for_login(store *s, const char *username, auth_user *out, char hash[128], bool *disabled, yj_err *e)
{
	store_q *q;
	int rc = store_row(s, &q, e,
	                   "SELECT id, username, display_name, role, area_code, password_hash, disabled "
	                   "FROM user WHERE username = ?",
	                   username);
	if (rc > 0) {
		fill_user(q, 0, out);
		store_col_copy(q, 5, hash, 128);
		*disabled = store_col_int(q, 6) != 0;
		store_done(q);
	}
	return rc;
}

int user_db_password_hash(store *s, int64_t id, char hash[128], yj_err *e)
{
	hash[0] = 0;
	return store_get_text(s, hash, 128, e, "SELECT password_hash FROM user WHERE id = ?", id);
}

int user_db_insert(store *s, const auth_user_input *in, const char *hash, int64_t now, int64_t *id, yj_err *e)
{
	/* a taken username inserts nothing and returns no row: no error for the log */
	return store_get_int(s, id, e,
	                     "INSERT INTO user(username, display_name, role, area_code, phone, password_hash, "
	                     "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
	                     "ON CONFLICT (username) DO NOTHING RETURNING id",
	                     in->username, in->display_name ? in->display_name : "", in->role, in->area_code,
	                     in->phone ? in->phone : "", hash, now, now);
}

int64_t user_db_update(store *s, int64_t id, const auth_user_patch *p, const char *hash, int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE user SET display_name = coalesce(?1, display_name), role = coalesce(?2, role), "
	                 "area_code = coalesce(?3, area_code), phone = coalesce(?4, phone), "
	                 "password_hash = coalesce(?5, password_hash), "
	                 "disabled = CASE WHEN ?6 < 0 THEN disabled ELSE ?6 END, updated_ms = ?7 WHERE id = ?8",
	                 p->display_name, p->role, p->area_code, p->phone, hash, p->disabled, now, id);
}

/* "%text%" for LIKE, with the pattern characters of text escaped by '\' */
static void like_pattern(const char *text, char *out, size_t cap)
{
	size_t n = 0;
	out[n++] = '%';
	for (const char *c = text; *c && n + 3 < cap; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			out[n++] = '\\';
		out[n++] = *c;
	}
	out[n++] = '%';
	out[n] = 0;
}

int user_db_page(store *s, const user_page_query *q, user_rec_fn fn, void *ctx, yj_err *e)
{
	/* the text is built from the query's shape only, values are bound: one cached statement a shape */
	char sql[512], pattern[200];
	store_val vals[8];
	size_t nv = 0;
	int n = snprintf(sql, sizeof sql,
	                 "SELECT " AUTH_USER_COLS ", created_ms, updated_ms FROM user WHERE " AUTH_SCOPE_SQL("area_code")
	                 " AND id > ?");
	vals[nv++] = store_v_text(q->scope->lo);
	vals[nv++] = store_v_text(q->scope->hi);
	vals[nv++] = store_v_int(q->cursor);
	if (q->role) {
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND role = ?");
		vals[nv++] = store_v_text(q->role);
	}
	if (q->text) {
		like_pattern(q->text, pattern, sizeof pattern);
		n += snprintf(sql + n, sizeof sql - (size_t)n,
		              " AND (username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\')");
		vals[nv++] = store_v_text(pattern);
		vals[nv++] = store_v_text(pattern);
	}
	snprintf(sql + n, sizeof sql - (size_t)n, " ORDER BY id LIMIT ?");
	vals[nv++] = store_v_int(q->limit + 1);
	store_q *st = store_query_a(s, e, sql, vals, nv);
	if (!st)
		return -1;
	int rc;
	while ((rc = store_step(st, e)) > 0) {
		user_rec u;
		auth_user_row_fill(st, &u.row);
		u.created_ms = store_col_int(st, 8);
		u.updated_ms = store_col_int(st, 9);
		if (fn(&u, ctx, e)) {
			store_done(st);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

json_t *user_db_project(store *s, const char *object_id)
{
	char *end;
	long long id = strtoll(object_id, &end, 10);
	if (*end || id <= 0)
		return NULL;
	store_q *q;
	json_t *j = NULL;
	if (store_row(s, &q, NULL,
	              "SELECT username, display_name, role, area_code, phone, disabled, enterprise_id FROM user WHERE id = ?",
	              (int64_t)id) > 0) {
		j = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:o}", "username", store_col_text(q, 0), "display_name",
		              store_col_text(q, 1), "role", store_col_text(q, 2), "area_code", store_col_text(q, 3), "phone",
		              store_col_text(q, 4), "disabled", (json_int_t)store_col_int(q, 5), "enterprise_id",
		              store_col_null(q, 6) ? json_null() : json_integer(store_col_int(q, 6)));
		store_done(q);
	}
	return j;
}

/* ---- sessions ------------------------------------------------------------------------------------ */

int session_db_insert(store *s, const unsigned char digest[32], int64_t user_id, int64_t now, int64_t expires_ms,
                      yj_err *e)
{
	return store_run(s, e, "INSERT INTO session(token_hash, user_id, created_ms, expires_ms) VALUES (?, ?, ?, ?)",
	                 store_blob(digest, 32), user_id, now, expires_ms) < 0
	               ? -1
	               : 0;
}

int64_t session_db_sweep(store *s, int64_t now, yj_err *e)
{
	return store_run(s, e, "DELETE FROM session WHERE expires_ms < ?", now);
}

int64_t session_db_delete(store *s, const unsigned char digest[32], yj_err *e)
{
	return store_run(s, e, "DELETE FROM session WHERE token_hash = ?", store_blob(digest, 32));
}

int64_t session_db_end_user(store *s, int64_t user_id, yj_err *e)
{
	return store_run(s, e, "DELETE FROM session WHERE user_id = ?", user_id);
}

int session_db_resolve(store *s, const unsigned char digest[32], int64_t now, auth_user *out, int64_t *expires_ms,
                       yj_err *e)
{
	store_q *q;
	int rc = store_row(s, &q, e,
	                   "SELECT u.id, u.username, u.display_name, u.role, u.area_code, s.expires_ms "
	                   "FROM session s JOIN user u ON u.id = s.user_id "
	                   "WHERE s.token_hash = ? AND s.expires_ms > ? AND u.disabled = 0",
	                   store_blob(digest, 32), now);
	if (rc > 0) {
		fill_user(q, 0, out);
		*expires_ms = store_col_int(q, 5);
		store_done(q);
	}
	return rc;
}

long session_db_each_live(store *s, int64_t now, session_fn fn, void *ctx, yj_err *e)
{
	store_q *q = store_query(s, e,
	                         "SELECT s.token_hash, s.expires_ms, u.id, u.username, u.display_name, u.role, u.area_code "
	                         "FROM session s JOIN user u ON u.id = s.user_id WHERE s.expires_ms > ? AND u.disabled = 0",
	                         now);
	if (!q)
		return -1;
	long n = 0;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		size_t len;
		const void *digest = store_col_blob(q, 0, &len);
		if (len != 32)
			continue;
		auth_user u;
		fill_user(q, 2, &u);
		fn(digest, store_col_int(q, 1), &u, ctx);
		n++;
	}
	return rc < 0 ? -1 : n;
}
