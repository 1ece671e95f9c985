/*
 * auth_api.c — HTTP endpoints of the auth module: login, logout, me, own
 * password, and user management for admins (scoped to the admin's area).
 */
#include <string.h>

#include "auth/auth.h"
#include "http/http.h"

/* Optional string member: NULL when absent, error when present but not a string. */
static int opt_string(json_t *body, const char *key, const char **out, yj_err *e)
{
	json_t *v = json_object_get(body, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must be a string", key);
	*out = json_string_value(v);
	return 0;
}

static json_t *me_json(const auth_user *u)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)u->id, "username",
	                 u->username, "display_name", u->display_name, "role",
	                 auth_role_name(u->role), "area_code", u->area_code);
}

static int handle_login(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	const char *username, *password;
	static const char *const keys[] = {"username", "password", NULL};
	int rc = -1;
	if (yj_only_keys(body, keys, e) || opt_string(body, "username", &username, e) ||
	    opt_string(body, "password", &password, e))
		goto out;
	char token[AUTH_TOKEN_LEN + 1];
	auth_user u;
	if (auth_login(store_thread(), username, password, req->client_ip, token, &u, e))
		goto out;
	char cookie[160];
	snprintf(cookie, sizeof cookie, "yj_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld",
	         token, (long long)(auth_session_ttl() / 1000));
	http_add_header(req, res, "Set-Cookie", cookie);
	char expires[40];
	yj_time_format(yj_real_now_ms() + auth_session_ttl(), expires);
	http_json(res, 200,
	          json_pack("{s:s, s:s, s:o}", "token", token, "expires", expires, "user", me_json(&u)));
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static int handle_logout(http_req *req, http_res *res, yj_err *e)
{
	if (auth_logout(store_thread(), req->user, req->token, e))
		return -1;
	http_add_header(req, res, "Set-Cookie",
	                "yj_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	res->status = 204;
	return 0;
}

static int handle_me(http_req *req, http_res *res, yj_err *e)
{
	json_t *me = me_json(req->user);
	if (req->user->role == ROLE_ENTERPRISE) {
		/* an enterprise account says which enterprise it speaks for */
		sqlite3_stmt *st = store_stmt(store_thread(),
		                              "SELECT e.id, e.name FROM user u JOIN enterprise e ON e.id = u.enterprise_id WHERE u.id = ?",
		                              NULL);
		if (st) {
			sqlite3_bind_int64(st, 1, req->user->id);
			if (sqlite3_step(st) == SQLITE_ROW)
				json_object_set_new(me, "enterprise", json_pack("{s:I, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
				                                                "name", (const char *)sqlite3_column_text(st, 1)));
			sqlite3_reset(st);
		}
	}
	http_json(res, 200, me);
	return 0;
}

static int handle_me_password(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	static const char *const keys[] = {"old_password", "new_password", NULL};
	const char *old_pw, *new_pw;
	store *s = store_thread();
	int rc = -1;
	if (yj_only_keys(body, keys, e) || opt_string(body, "old_password", &old_pw, e) ||
	    opt_string(body, "new_password", &new_pw, e))
		goto out;
	if (!old_pw) {
		yj_fail(e, YJ_EINVAL, "old_password", "field 'old_password' is required");
		goto out;
	}
	if (auth_password_check(new_pw, "new_password", e))
		goto out;
	if (!auth_user_password_matches(s, req->user->id, old_pw)) {
		yj_fail(e, YJ_EFORBIDDEN, "old_password", "the old password is wrong");
		goto out;
	}
	auth_user_patch p = {.password = new_pw, .disabled = -1};
	if (store_begin(s, e))
		goto out;
	if (auth_user_update(s, req->user, req->user->id, &p, e) || store_commit(s, e)) {
		store_rollback(s);
		goto out;
	}
	res->status = 204;
	rc = 0;
out:
	json_decref(body);
	return rc;
}

/* ---- user management (admin) ------------------------------------------------- */

static int parse_id(http_req *req, int64_t *id, yj_err *e)
{
	long v;
	if (yj_parse_long(http_param(req, "id"), 1, 0x7fffffffL, &v, "id", e))
		return -1;
	*id = v;
	return 0;
}

/* users in the caller's jurisdiction; role_fixed limits to one role (grid workers) */
static int list_users(http_req *req, http_res *res, const char *role_fixed, yj_err *e)
{
	const char *area = http_query(req, "area");
	const char *role = role_fixed ? role_fixed : http_query(req, "role");
	const char *q = http_query(req, "q");
	long limit = 50, cursor = 0;
	if (http_query(req, "limit") &&
	    yj_parse_long(http_query(req, "limit"), 1, 500, &limit, "limit", e))
		return -1;
	if (http_query(req, "cursor") &&
	    yj_parse_long(http_query(req, "cursor"), 0, 0x7fffffffL, &cursor, "cursor", e))
		return -1;
	if (role && auth_role_parse(role) < 0)
		return yj_fail(e, YJ_EINVAL, "role", "field 'role': '%.32s' is not a role", role);
	char prefix[16];
	if (area) {
		if (http_require_area(req, area, "area", e))
			return -1;
		auth_area_prefix(area, prefix);
	} else {
		snprintf(prefix, sizeof prefix, "%s", req->user->area_prefix);
	}
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(
		s,
		"SELECT id FROM user WHERE substr(area_code, 1, length(?1)) = ?1 "
		"AND (?2 IS NULL OR role = ?2) "
		"AND (?3 IS NULL OR instr(username, ?3) > 0 OR instr(display_name, ?3) > 0) "
		"AND id > ?4 ORDER BY id LIMIT ?5",
		e);
	if (!st)
		return -1;
	store_bind_text(st, 1, prefix);
	store_bind_text(st, 2, role);
	store_bind_text(st, 3, q);
	sqlite3_bind_int64(st, 4, cursor);
	sqlite3_bind_int64(st, 5, limit + 1);
	int64_t ids[501];
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW && n < limit + 1)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	json_t *items = json_array();
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, auth_user_json(s, ids[i]));
	json_t *next = n > limit ? json_sprintf("%lld", (long long)ids[limit - 1]) : json_null();
	http_json(res, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
	return 0;
}

static int handle_users_list(http_req *req, http_res *res, yj_err *e)
{
	return list_users(req, res, NULL, e);
}

/* 网格员: the grid workers of an area, for staff assigning risk points and warnings */
static int handle_grid_workers(http_req *req, http_res *res, yj_err *e)
{
	return list_users(req, res, "grid_worker", e);
}

static int handle_users_create(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	static const char *const keys[] = {"username", "display_name", "role", "area_code",
	                                   "phone",    "password",     NULL};
	auth_user_input in = {0};
	store *s = store_thread();
	int rc = -1;
	int64_t id;
	if (yj_only_keys(body, keys, e) || opt_string(body, "username", &in.username, e) ||
	    opt_string(body, "display_name", &in.display_name, e) ||
	    opt_string(body, "role", &in.role, e) || opt_string(body, "area_code", &in.area_code, e) ||
	    opt_string(body, "phone", &in.phone, e) || opt_string(body, "password", &in.password, e))
		goto out;
	if (store_begin(s, e))
		goto out;
	if (auth_user_create(s, req->user, &in, &id, e) || store_commit(s, e)) {
		store_rollback(s);
		goto out;
	}
	http_json(res, 201, auth_user_json(s, id));
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static int load_visible_user(http_req *req, int64_t *id, auth_user *u, yj_err *e)
{
	if (parse_id(req, id, e) || auth_user_load(store_thread(), *id, u, e))
		return -1;
	/* another jurisdiction's user is reported as missing, not as forbidden */
	if (!auth_area_visible(req->user, u->area_code))
		return yj_fail(e, YJ_ENOTFOUND, "id", "no user %lld", (long long)*id);
	return 0;
}

static int handle_user_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	auth_user u;
	if (load_visible_user(req, &id, &u, e))
		return -1;
	http_json(res, 200, auth_user_json(store_thread(), id));
	return 0;
}

static int handle_user_patch(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	auth_user u;
	if (load_visible_user(req, &id, &u, e))
		return -1;
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	static const char *const keys[] = {"display_name", "role", "area_code", "phone", "disabled",
	                                   NULL};
	auth_user_patch p = {.disabled = -1};
	store *s = store_thread();
	int rc = -1;
	if (yj_only_keys(body, keys, e) || opt_string(body, "display_name", &p.display_name, e) ||
	    opt_string(body, "role", &p.role, e) || opt_string(body, "area_code", &p.area_code, e) ||
	    opt_string(body, "phone", &p.phone, e))
		goto out;
	json_t *dis = json_object_get(body, "disabled");
	if (dis) {
		if (!json_is_boolean(dis)) {
			yj_fail(e, YJ_EINVAL, "disabled", "field 'disabled' must be true or false");
			goto out;
		}
		p.disabled = json_is_true(dis);
	}
	if (store_begin(s, e))
		goto out;
	if (auth_user_update(s, req->user, id, &p, e) || store_commit(s, e)) {
		store_rollback(s);
		goto out;
	}
	http_json(res, 200, auth_user_json(s, id));
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static int handle_user_password(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	auth_user u;
	if (load_visible_user(req, &id, &u, e))
		return -1;
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	static const char *const keys[] = {"password", NULL};
	auth_user_patch p = {.disabled = -1};
	store *s = store_thread();
	int rc = -1;
	if (yj_only_keys(body, keys, e) || opt_string(body, "password", &p.password, e))
		goto out;
	if (auth_password_check(p.password, "password", e) || store_begin(s, e))
		goto out;
	if (auth_user_update(s, req->user, id, &p, e) || store_commit(s, e)) {
		store_rollback(s);
		goto out;
	}
	res->status = 204;
	rc = 0;
out:
	json_decref(body);
	return rc;
}

#ifdef YJ_TEST_BUILD
/* Test builds only: move the clock every deadline reads (offline, escalation, expiry). */
static int handle_test_clock(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	json_t *off = json_object_get(body, "offset_ms");
	if (!json_is_integer(off)) {
		json_decref(body);
		return yj_fail(e, YJ_EINVAL, "offset_ms", "field 'offset_ms' must be a whole number");
	}
	yj_clock_set_offset(json_integer_value(off));
	json_decref(body);
	char now[40];
	yj_time_format(yj_now_ms(), now);
	http_json(res, 200, json_pack("{s:s, s:I}", "now", now, "offset_ms", (json_int_t)yj_clock_offset()));
	return 0;
}
#endif

void auth_api_register(void)
{
#ifdef YJ_TEST_BUILD
	http_route("POST", "/api/v1/test/clock", handle_test_clock, ROLE_BIT(ROLE_ADMIN), NULL);
#endif
	unsigned admin = ROLE_BIT(ROLE_ADMIN);
	http_route("POST", "/api/v1/auth/login", handle_login, HTTP_PUBLIC, NULL);
	http_route("POST", "/api/v1/auth/logout", handle_logout, ROLES_ANY, NULL);
	http_route("GET", "/api/v1/me", handle_me, ROLES_ANY, NULL);
	http_route("POST", "/api/v1/me/password", handle_me_password, ROLES_ANY, NULL);
	http_route("GET", "/api/v1/users", handle_users_list, admin, NULL);
	http_route("GET", "/api/v1/grid-workers", handle_grid_workers, ROLES_STAFF, NULL);
	http_route("POST", "/api/v1/users", handle_users_create, admin, NULL);
	http_route("GET", "/api/v1/users/{id}", handle_user_get, admin, NULL);
	http_route("PATCH", "/api/v1/users/{id}", handle_user_patch, admin, NULL);
	http_route("POST", "/api/v1/users/{id}/password", handle_user_password, admin, NULL);
}
