/*
 * common.c — what the commands share: one-line errors, start-up of the
 * libraries and modules (with their audit projections), and creating a
 * new database with the built-in area tree.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "cmd/cmd.h"
#include "geo/geo.h"
#include "registry/registry.h"
#include "telemetry/telemetry.h"
#include "warning/warning.h"
#include "dispatch/dispatch.h"
#include "enforce/enforce.h"
#include "store/store.h"

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "yingji %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (try yingji %s --help)\n", cmd);
	va_end(ap);
	return 2;
}

int cmd_fail(const char *cmd, const yj_err *e)
{
	fprintf(stderr, "yingji %s: %s\n", cmd, e->message[0] ? e->message : yj_code_name(e->code));
	return 1;
}

const char *cmd_bad_option(char **argv, int optind_now)
{
	return argv[optind_now - 1] ? argv[optind_now - 1] : "?";
}

/* The audit projection of the area tree (version 1): what table `area` holds, counted, so that
 * areas added or removed behind yingji's back break the chain's last areas.load record. */
static json_t *area_tree_project(store *s, const char *object_id)
{
	int64_t n;
	if (geo_area_count(s, &n, NULL) < 0)
		return NULL;
	return json_pack("{s:s, s:I}", "source", object_id, "areas", (json_int_t)n);
}

int cmd_startup(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "yingji: libsodium failed to start\n");
		return -1;
	}
	auth_init();
	audit_register_type("area_tree", 1, area_tree_project);
	reg_init();
	tel_init();
	warn_init();
	disp_init();
	enf_init();
	return 0;
}

int cmd_create_database(const char *cmd, const char *path)
{
	yj_err e = {0};
	if (store_open(path, &e))
		return cmd_fail(cmd, &e);
	store *s = store_thread();
	int64_t areas;
	if (geo_area_count(s, &areas, &e) < 0)
		return cmd_fail(cmd, &e);
	if (areas > 0) {
		fprintf(stderr, "yingji %s: %s already holds data; use another --db or remove it\n", cmd, path);
		return 1;
	}
	if (store_begin(s, &e))
		return cmd_fail(cmd, &e);
	if (geo_areas_load(s, &e) || audit_record(s, NULL, "areas.load", "area_tree", "built-in", &e) ||
	    store_commit(s, &e)) {
		store_rollback(s);
		return cmd_fail(cmd, &e);
	}
	/* the issuing authorities of those areas (the directory holds the areas once they committed) */
	if (store_begin(s, &e) || reg_authorities_load(s, &e) || store_commit(s, &e)) {
		store_rollback(s);
		return cmd_fail(cmd, &e);
	}
	return 0;
}
