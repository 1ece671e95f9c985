/*
 * geo_area_dir.c — the area directory: code → (parent, level, name), for
 * the whole tree (a city has about a thousand areas), in a sorted array
 * searched by bisection. Built once from table `area` and replaced whole
 * when invalidated; readers take a reference under a read lock, so a
 * lookup costs no SQL and no allocation.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

typedef struct area_dir {
	geo_area *areas; /* sorted by code */
	size_t n;
} area_dir;

static pthread_rwlock_t dir_lock = PTHREAD_RWLOCK_INITIALIZER;
static area_dir *dir;
/* directories replaced while someone may still read them: freed at exit (areas change rarely) */
static area_dir *retired[64];
static int nretired;

static int cmp_area(const void *a, const void *b)
{
	return strcmp(((const geo_area *)a)->code, ((const geo_area *)b)->code);
}

typedef struct dir_fill {
	area_dir *d;
	size_t *cap;
} dir_fill;

static int add_area(const char *code, const char *parent, int level, const char *name, double lon, double lat,
                    void *ctx)
{
	dir_fill *f = ctx;
	f->d->areas = yj_grow(f->d->areas, f->cap, f->d->n + 1, sizeof *f->d->areas);
	geo_area *a = &f->d->areas[f->d->n++];
	snprintf(a->code, sizeof a->code, "%s", code);
	snprintf(a->parent, sizeof a->parent, "%s", parent);
	a->level = level;
	snprintf(a->name, sizeof a->name, "%s", name);
	yj_utf8_trim(a->name);
	a->lon = lon;
	a->lat = lat;
	return 0;
}

static area_dir *dir_read(store *s, yj_err *e)
{
	area_dir *d = yj_calloc(1, sizeof *d);
	size_t cap = 0;
	dir_fill fill = {d, &cap};
	if (geo_db_directory_each(s, add_area, &fill, e)) {
		free(d->areas);
		free(d);
		return NULL;
	}
	qsort(d->areas, d->n, sizeof *d->areas, cmp_area);
	return d;
}

int geo_area_dir_load(store *s, yj_err *e)
{
	area_dir *d = dir_read(s, e);
	if (!d)
		return -1;
	pthread_rwlock_wrlock(&dir_lock);
	if (dir && nretired < (int)YJ_ARRAY_LEN(retired))
		retired[nretired++] = dir;
	else if (dir) {
		free(dir->areas);
		free(dir);
	}
	dir = d;
	pthread_rwlock_unlock(&dir_lock);
	return 0;
}

void geo_area_dir_invalidate(void)
{
	pthread_rwlock_wrlock(&dir_lock);
	if (dir && nretired < (int)YJ_ARRAY_LEN(retired))
		retired[nretired++] = dir;
	dir = NULL;
	pthread_rwlock_unlock(&dir_lock);
}

static area_dir *current(void)
{
	pthread_rwlock_rdlock(&dir_lock);
	area_dir *d = dir;
	pthread_rwlock_unlock(&dir_lock);
	if (d)
		return d;
	store *s = store_thread();
	yj_err e = {0};
	if (!s || geo_area_dir_load(s, &e) != 0) {
		yj_log(YJ_LOG_ERROR, "area_directory", "message=\"%s\"", e.message);
		return NULL;
	}
	pthread_rwlock_rdlock(&dir_lock);
	d = dir;
	pthread_rwlock_unlock(&dir_lock);
	return d;
}

const geo_area *geo_area_find(const char *code)
{
	if (!code || !*code || strlen(code) >= sizeof(((geo_area *)0)->code))
		return NULL;
	area_dir *d = current();
	if (!d)
		return NULL;
	geo_area key;
	memset(&key, 0, sizeof key);
	strcpy(key.code, code);
	return bsearch(&key, d->areas, d->n, sizeof *d->areas, cmp_area);
}

const char *geo_area_name(const char *code)
{
	const geo_area *a = geo_area_find(code);
	return a ? a->name : "";
}

void geo_area_parent(const char *code, char out[16])
{
	const geo_area *a = geo_area_find(code);
	snprintf(out, 16, "%s", a ? a->parent : "");
}

void geo_areas_each(const char *parent, int level, geo_area_fn fn, void *ctx)
{
	area_dir *d = current();
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		const geo_area *a = &d->areas[i];
		bool take = level > 0 ? a->level == level : strcmp(a->parent, parent ? parent : "") == 0;
		if (take && !fn(a, ctx))
			return;
	}
}

