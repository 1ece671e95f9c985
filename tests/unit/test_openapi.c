/* Unit test of the API description: every route the server registers is in
 * the OpenAPI document exactly once, and the document holds nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "auth/auth.h"
#include "dispatch/dispatch.h"
#include "enforce/enforce.h"
#include "http/http_int.h"
#include "registry/registry.h"
#include "stats/stats.h"
#include "telemetry/telemetry.h"
#include "warning/warning.h"

static void test_every_route_once(void **state)
{
	auth_api_register();
	reg_api_register();
	tel_api_register();
	warn_api_register();
	disp_api_register();
	enf_api_register();
	stats_api_register();
	int n = http_route_count();
	assert_true(n > 100);
	json_t *doc = http_openapi();
	assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
	json_t *paths = json_object_get(doc, "paths");
	int ops = 0;
	const char *path;
	json_t *item;
	json_object_foreach(paths, path, item) {
		ops += (int)json_object_size(item);
		/* a path's parameters are declared for each of its operations */
		const char *m;
		json_t *op;
		json_object_foreach(item, m, op) {
			int want = 0;
			for (const char *p = path; (p = strchr(p, '{')); p++)
				want++;
			int have = 0;
			size_t i;
			json_t *prm;
			json_array_foreach(json_object_get(op, "parameters"), i, prm)
				have += strcmp(json_string_value(json_object_get(prm, "in")), "path") == 0;
			assert_int_equal(have, want);
			assert_non_null(json_object_get(json_object_get(op, "responses"), "400"));
		}
	}
	assert_int_equal(ops, n);
	for (int i = 0; i < n; i++) {
		const http_route_def *r = http_route_at(i);
		char method[16];
		size_t k;
		for (k = 0; r->method[k] && k < sizeof method - 1; k++)
			method[k] = (char)(r->method[k] | 0x20);
		method[k] = 0;
		json_t *op = json_object_get(json_object_get(paths, r->pattern), method);
		if (!op)
			fail_msg("route %s %s is missing from the document", r->method, r->pattern);
		if (r->roles != HTTP_PUBLIC)
			assert_true(json_array_size(json_object_get(op, "x-roles")) > 0);
	}
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_route_once)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
