/*
 * auth_api.c — HTTP endpoints of the auth module: login, logout, me, own
 * password, and user management for admins (scoped to the admin's area).
 * Handlers parse with the request kit and the JSON field validators, call
 * auth.c, and render; the SQL is auth_db.c's.
 */
#include <string.h>

#include "auth/auth_int.h"
#include "http/http.h"
#include "registry/registry.h"

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
	const char *username = NULL, *password = NULL;
	static const char *const keys[] = {"username", "password", NULL};
	int rc = -1;
	/* lengths are auth_login's to judge: a long one is a wrong login, not a form error */
	if (yj_only_keys(body, keys, e) || yj_json_text(body, "username", 0, 4096, &username, e) < 0 ||
	    yj_json_text(body, "password", 0, 4096, &password, e) < 0)
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
		store *s = store_thread();
		auth_user_row row;
		if (auth_user_get(s, req->user->id, &row, e) < 0) {
			json_decref(me);
			return -1;
		}
		char name[200] = "";
		if (row.enterprise_id > 0)
			reg_enterprise_name(s, row.enterprise_id, name, sizeof name);
		if (name[0])
			json_object_set_new(me, "enterprise",
			                    json_pack("{s:I, s:s}", "id", (json_int_t)row.enterprise_id, "name", name));
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
	const char *old_pw = NULL, *new_pw = NULL;
	store *s = store_thread();
	int rc = -1;
	if (yj_only_keys(body, keys, e) || yj_json_text(body, "old_password", YJ_REQUIRED, 4096, &old_pw, e) < 0 ||
	    yj_json_text(body, "new_password", 0, 4096, &new_pw, e) < 0 ||
	    auth_password_check(new_pw, "new_password", e))
		goto out;
	if (auth_password_confirm(s, req->user, old_pw, req->client_ip, "old_password", e))
		goto out;
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

/* users in the request's jurisdiction (?area=, else the caller's own); role_fixed limits to one role */
static int list_users(http_req *req, http_res *res, const char *role_fixed, yj_err *e)
{
	auth_scope sc;
	http_page pg;
	auth_user_list_query q = {.scope = &sc, .role = role_fixed};
	if (http_scope(req, &sc, e) || http_paging(req, 50, 500, &pg, e) ||
	    (!role_fixed && http_query_text(req, "role", 32, &q.role, e) < 0) ||
	    http_query_text(req, "q", 64, &q.text, e) < 0)
		return -1;
	q.cursor = pg.cursor;
	q.limit = pg.limit;
	json_t *items;
	int64_t next;
	if (auth_user_list(store_thread(), &q, &items, &next, e))
		return -1;
	http_json(res, 200, http_page_json(items, next));
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

/* the text members of a user's body (each absent or a string of at most its bytes) */
static int user_fields(json_t *body, const char *const *names, const size_t *max, const char **out[], yj_err *e)
{
	for (int i = 0; names[i]; i++)
		if (yj_json_text(body, names[i], 0, max[i], out[i], e) < 0)
			return -1;
	return 0;
}

static int handle_users_create(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	static const char *const keys[] = {"username", "display_name", "role", "area_code", "phone", "password", NULL};
	static const size_t max[] = {64, 120, 32, 16, 32, 4096};
	auth_user_input in = {0};
	const char **out[] = {&in.username, &in.display_name, &in.role, &in.area_code, &in.phone, &in.password};
	store *s = store_thread();
	int rc = -1;
	int64_t id;
	if (yj_only_keys(body, keys, e) || user_fields(body, keys, max, out, e) || store_begin(s, e))
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
	if (http_path_id(req, "id", id, e) || auth_user_load(store_thread(), *id, u, e))
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
	static const char *const keys[] = {"display_name", "role", "area_code", "phone", "disabled", NULL};
	static const char *const texts[] = {"display_name", "role", "area_code", "phone", NULL};
	static const size_t max[] = {120, 32, 16, 32};
	auth_user_patch p = {.disabled = -1};
	const char **out[] = {&p.display_name, &p.role, &p.area_code, &p.phone};
	bool disabled = false;
	int has_disabled = 0;
	store *s = store_thread();
	int rc = -1;
	if (yj_only_keys(body, keys, e) || user_fields(body, texts, max, out, e) ||
	    (has_disabled = yj_json_bool(body, "disabled", 0, &disabled, e)) < 0)
		goto out;
	if (has_disabled)
		p.disabled = disabled;
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
	if (yj_only_keys(body, keys, e) || yj_json_text(body, "password", 0, 4096, &p.password, e) < 0 ||
	    auth_password_check(p.password, "password", e) || store_begin(s, e))
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
	int64_t off;
	int rc = yj_json_int(body, "offset_ms", YJ_REQUIRED, -(INT64_C(1) << 50), INT64_C(1) << 50, &off, e);
	json_decref(body);
	if (rc < 0)
		return -1;
	yj_clock_set_offset(off);
	char now[40];
	yj_time_format(yj_now_ms(), now);
	http_json(res, 200, json_pack("{s:s, s:I}", "now", now, "offset_ms", (json_int_t)yj_clock_offset()));
	return 0;
}
#endif

void auth_api_register(void)
{
	http_metric("yingji_login_failures_total", "Failed sign-ins (wrong user or password).", "counter", auth_login_failures);
	http_metric("yingji_login_lockouts_total", "Sign-in locks of a (user, address) pair or an address.", "counter",
	            auth_login_lockouts);
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
