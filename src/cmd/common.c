/*
 * common.c — what the commands share: one-line errors, start-up of the
 * libraries and modules, and creating a new database.
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

int cmd_startup(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "yingji: libsodium failed to start\n");
		return -1;
	}
	auth_init();
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
	sqlite3_stmt *st = store_stmt(s, "SELECT count(*) FROM area", &e);
	if (!st)
		return cmd_fail(cmd, &e);
	int areas = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	if (areas > 0) {
		fprintf(stderr, "yingji %s: %s already holds data; use another --db or remove it\n", cmd,
		        path);
		return 1;
	}
	if (store_begin(s, &e))
		return cmd_fail(cmd, &e);
	if (geo_areas_load(store_db(s), &e))
		goto fail;
	st = store_stmt(s, "SELECT count(*) FROM area", &e);
	if (!st)
		goto fail;
	sqlite3_step(st);
	json_t *state = json_pack("{s:s, s:i}", "source", "built-in", "areas", sqlite3_column_int(st, 0));
	sqlite3_reset(st);
	int rc = audit_append(s, NULL, "areas.load", "area_tree", "built-in", state, &e);
	json_decref(state);
	if (rc || store_commit(s, &e))
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return cmd_fail(cmd, &e);
}
