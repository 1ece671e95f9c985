/* Unit tests for the router: literal segments beat parameters, parameters
 * are decoded, wrong methods are told apart from missing paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/http_int.h"

static int h_list(http_req *r, http_res *s, yj_err *e) { return 0; }
static int h_get(http_req *r, http_res *s, yj_err *e) { return 0; }
static int h_locate(http_req *r, http_res *s, yj_err *e) { return 0; }
static int h_action(http_req *r, http_res *s, yj_err *e) { return 0; }

static int setup(void **state)
{
	http_route("GET", "/api/v1/areas", h_list, ROLES_ANY, NULL);
	http_route("GET", "/api/v1/areas/{code}", h_get, ROLES_ANY, "code");
	http_route("GET", "/api/v1/areas/locate", h_locate, ROLES_ANY, NULL);
	http_route("POST", "/api/v1/warnings/{id}/{action}", h_action, ROLES_ANY, NULL);
	return 0;
}

static route_result match(const char *method, const char *path, const http_route_def **r,
                          http_req *req, char *allowed)
{
	memset(req, 0, sizeof *req);
	req->a = arena_new(1024);
	req->method = method;
	req->path = path;
	return http_router_match(req, r, allowed, 64);
}

static void test_literal_wins(void **state)
{
	const http_route_def *r;
	http_req req;
	char allowed[64];
	assert_int_equal(match("GET", "/api/v1/areas/locate", &r, &req, allowed), ROUTE_FOUND);
	assert_ptr_equal(r->handler, h_locate);
	arena_free(req.a);
	assert_int_equal(match("GET", "/api/v1/areas/441502", &r, &req, allowed), ROUTE_FOUND);
	assert_ptr_equal(r->handler, h_get);
	assert_string_equal(http_param(&req, "code"), "441502");
	assert_null(http_param(&req, "nope"));
	arena_free(req.a);
}

static void test_params_decoded(void **state)
{
	const http_route_def *r;
	http_req req;
	char allowed[64];
	assert_int_equal(match("POST", "/api/v1/warnings/W%2D1/issue", &r, &req, allowed), ROUTE_FOUND);
	assert_string_equal(http_param(&req, "id"), "W-1");
	assert_string_equal(http_param(&req, "action"), "issue");
	arena_free(req.a);
	/* %2F would smuggle a slash; %00 a NUL: both are not found */
	assert_int_equal(match("POST", "/api/v1/warnings/a%2Fb/issue", &r, &req, allowed), ROUTE_NO_PATH);
	arena_free(req.a);
	assert_int_equal(match("POST", "/api/v1/warnings/a%00/issue", &r, &req, allowed), ROUTE_NO_PATH);
	arena_free(req.a);
	assert_int_equal(match("POST", "/api/v1/warnings/a%4/issue", &r, &req, allowed), ROUTE_NO_PATH);
	arena_free(req.a);
}

static void test_method_vs_path(void **state)
{
	const http_route_def *r;
	http_req req;
	char allowed[64];
	assert_int_equal(match("DELETE", "/api/v1/areas", &r, &req, allowed), ROUTE_NO_METHOD);
	assert_string_equal(allowed, "GET, HEAD"); /* a path that answers GET answers HEAD */
	arena_free(req.a);
	assert_int_equal(match("GET", "/api/v1/nothing", &r, &req, allowed), ROUTE_NO_PATH);
	arena_free(req.a);
	assert_int_equal(match("HEAD", "/api/v1/areas", &r, &req, allowed), ROUTE_FOUND);
	arena_free(req.a);
	assert_int_equal(match("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n", &r, &req, allowed), ROUTE_NO_PATH);
	arena_free(req.a);
	assert_int_equal(match("GET", "/api/v1/areas/", &r, &req, allowed), ROUTE_FOUND);
	arena_free(req.a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_wins),
		cmocka_unit_test(test_params_decoded),
		cmocka_unit_test(test_method_vs_path),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
