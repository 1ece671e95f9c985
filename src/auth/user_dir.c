/*
 * user_dir.c — the user directory: the functions through which other
 * modules read users (names beside ids, recipients of a warning, the
 * inspectors of an area). Table `user` is auth's; nobody else runs SQL
 * on it (the rest of auth's SQL is in auth_db.c).
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth_int.h"

void auth_user_row_fill(store_q *q, auth_user_row *u)
{
	u->id = store_col_int(q, 0);
	store_col_copy(q, 1, u->username, sizeof u->username);
	store_col_copy(q, 2, u->display_name, sizeof u->display_name);
	int r = auth_role_parse(store_col_str(q, 3));
	u->role = r < 0 ? ROLE_PUBLIC : (auth_role)r;
	store_col_copy(q, 4, u->area_code, sizeof u->area_code);
	store_col_copy(q, 5, u->phone, sizeof u->phone);
	u->disabled = store_col_int(q, 6) != 0;
	u->enterprise_id = store_col_int(q, 7);
}

int auth_user_get(store *s, int64_t id, auth_user_row *out, yj_err *e)
{
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT " AUTH_USER_COLS " FROM user WHERE id = ?", id);
	if (rc > 0) {
		auth_user_row_fill(q, out);
		store_done(q);
	}
	return rc;
}

int auth_user_find(store *s, const char *username, auth_user_row *out, yj_err *e)
{
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT " AUTH_USER_COLS " FROM user WHERE username = ?", username);
	if (rc > 0) {
		auth_user_row_fill(q, out);
		store_done(q);
	}
	return rc;
}

void auth_user_label(store *s, int64_t id, char *out, size_t cap)
{
	auth_user_row u;
	if (cap)
		out[0] = 0;
	if (id > 0 && auth_user_get(s, id, &u, NULL) > 0)
		snprintf(out, cap, "%s", u.display_name[0] ? u.display_name : u.username);
}

int auth_users_each(store *s, const auth_user_query *q, auth_user_fn fn, void *ctx, yj_err *e)
{
	/* the text is built from the query's shape only (role names are ours, values are bound), so
	 * each shape is one cached statement, and each can use the index on (role, area_code) or
	 * on area_code */
	char sql[512];
	int n = snprintf(sql, sizeof sql, "SELECT " AUTH_USER_COLS " FROM user WHERE %s",
	                 q->include_disabled ? "1 = 1" : "disabled = 0");
	if (q->roles) {
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND role IN (");
		bool first = true;
		for (int r = 0; r < ROLE_COUNT; r++)
			if (q->roles & ROLE_BIT(r)) {
				n += snprintf(sql + n, sizeof sql - (size_t)n, "%s'%s'", first ? "" : ", ", auth_role_name((auth_role)r));
				first = false;
			}
		n += snprintf(sql + n, sizeof sql - (size_t)n, ")");
	}
	store_val vals[3];
	size_t nv = 0;
	if (q->scope) {
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND " AUTH_SCOPE_SQL("area_code"));
		vals[nv++] = store_v_text(q->scope->lo);
		vals[nv++] = store_v_text(q->scope->hi);
	}
	if (q->exact_area) {
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND area_code = ?");
		vals[nv++] = store_v_text(q->exact_area);
	}
	snprintf(sql + n, sizeof sql - (size_t)n, " ORDER BY id");
	store_q *st = store_query_a(s, e, sql, vals, nv);
	if (!st)
		return -1;
	int rc;
	while ((rc = store_step(st, e)) > 0) {
		auth_user_row u;
		auth_user_row_fill(st, &u);
		int r = fn(s, &u, ctx, e);
		if (r) {
			store_done(st);
			return r < 0 ? -1 : 0;
		}
	}
	return rc < 0 ? -1 : 0;
}

int auth_user_set_enterprise(store *s, const auth_user *actor, int64_t user_id, int64_t enterprise_id, yj_err *e)
{
	int64_t n = store_run(s, e, "UPDATE user SET enterprise_id = ?, updated_ms = ? WHERE id = ?",
	                      store_id_or_null(enterprise_id), yj_now_ms(), user_id);
	if (n < 0)
		return -1;
	if (n == 0)
		return yj_fail(e, YJ_ENOTFOUND, "user_id", "no user %lld", (long long)user_id);
	return audit_record_id(s, actor, "user.enterprise", "user", user_id, e);
}
