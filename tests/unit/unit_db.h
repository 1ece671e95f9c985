/*
 * unit_db.h — a temporary database with the built-in area tree, for unit tests
 * that need the store (included by the test file; static, so each test binary
 * has its own).
 */
#ifndef YJ_UNIT_DB_H
#define YJ_UNIT_DB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "geo/geo.h"
#include "store/store.h"

/* a new file /tmp/yj-<tag>-XXXXXX in path, opened as the store, the area tree loaded: 0, or -1 */
static int unit_db_open(char *path, size_t n, const char *tag)
{
	snprintf(path, n, "/tmp/yj-%s-XXXXXX", tag);
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	yj_err e = {0};
	if (store_open(path, &e))
		return -1;
	store *s = store_thread();
	if (store_begin(s, &e) || geo_areas_load(s, &e) || store_commit(s, &e))
		return -1;
	geo_area_dir_invalidate();
	return 0;
}

/* close the store and remove the database with its WAL and shared-memory files */
static void unit_db_remove(const char *path)
{
	geo_area_dir_invalidate();
	store_close_all();
	char p[96];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

#endif
