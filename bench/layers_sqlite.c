/*
 * layers_sqlite.c — breakdown helper of the layers bench: yingji's own layer
 * SQL (src/registry/layer.c, cameras, no theme) run in-process through the
 * SQLite C API on the bench database, with yingji's connection settings
 * (WAL, cache_size=-32768). What yingji's HTTP time adds on top of this is
 * HTTP, session lookup, GeoJSON writing and logging.
 *
 *   layers_sqlite --db FILE --bboxes FILE [--warmup FILE] [--prefix 4415] [--limit 1000]
 *                 [--counts FILE] [--lat FILE] [--from I] [--count N] [--pragma "PRAGMA mmap_size=…"]
 *
 * --from/--count/--lat/--counts as in layers_http.c;
 * --pragma runs extra SQL after yingji's settings, to try a setting (cache,
 * mmap) before proposing it for src/store/.
 */
#include <sqlite3.h>

#include "bench_util.h"

static const char SQL[] =
	"SELECT e.id, e.lon, e.lat, e.name, e.area_code, e.network, e.stream_url, e.status"
	" FROM camera_rtree r CROSS JOIN camera e ON e.id = r.id"
	" WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 AND r.max_lat >= ?2"
	" AND substr(e.area_code, 1, length(?5)) = ?5 LIMIT ?6";

static long opt_limit = 1000;
static const char *opt_prefix = "4415";

static long one(sqlite3 *db, sqlite3_stmt *st, const bench_bbox *b, size_t *bytes)
{
	sqlite3_bind_double(st, 1, b->min_lon);
	sqlite3_bind_double(st, 2, b->min_lat);
	sqlite3_bind_double(st, 3, b->max_lon);
	sqlite3_bind_double(st, 4, b->max_lat);
	sqlite3_bind_text(st, 5, opt_prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, opt_limit + 1);
	long n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == opt_limit)
			break;
		*bytes += (size_t)sqlite3_column_int64(st, 0) + (size_t)(sqlite3_column_double(st, 1) > 0) +
		          (size_t)(sqlite3_column_double(st, 2) > 0);
		for (int j = 3; j < 8; j++)
			*bytes += (size_t)sqlite3_column_bytes(st, j) + (sqlite3_column_text(st, j) != NULL);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fprintf(stderr, "layers_sqlite: %s\n", sqlite3_errmsg(db));
		return -1;
	}
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: layers_sqlite --db FILE --bboxes FILE [--warmup FILE] [--prefix P] "
	                "[--limit N] [--counts FILE] [--lat FILE] [--from I] [--count N] [--pragma SQL]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *db_path = NULL, *bbox_file = NULL, *warm_file = NULL, *counts_file = NULL, *lat_file = NULL, *pragma = NULL;
	long from = 0, count = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(a, "--db") == 0)
			db_path = v;
		else if (strcmp(a, "--bboxes") == 0)
			bbox_file = v;
		else if (strcmp(a, "--warmup") == 0)
			warm_file = v;
		else if (strcmp(a, "--prefix") == 0)
			opt_prefix = v;
		else if (strcmp(a, "--limit") == 0)
			opt_limit = strtol(v, NULL, 10);
		else if (strcmp(a, "--counts") == 0)
			counts_file = v;
		else if (strcmp(a, "--lat") == 0)
			lat_file = v;
		else if (strcmp(a, "--from") == 0)
			from = strtol(v, NULL, 10);
		else if (strcmp(a, "--count") == 0)
			count = strtol(v, NULL, 10);
		else if (strcmp(a, "--pragma") == 0)
			pragma = v;
		else
			usage();
		i++;
	}
	if (!db_path || !bbox_file || opt_limit < 1)
		usage();
	sqlite3 *db;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "layers_sqlite: open %s: %s\n", db_path, sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_busy_timeout(db, 10000);
	sqlite3_stmt *st;
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA cache_size=-32768;", NULL, NULL, NULL) != SQLITE_OK ||
	    (pragma && sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK) ||
	    sqlite3_prepare_v3(db, SQL, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "layers_sqlite: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	bench_bbox *boxes;
	size_t n = bench_read_bboxes(bbox_file, &boxes), bytes = 0;
	n = bench_slice(&boxes, n, from, count);
	if (warm_file) {
		bench_bbox *wb;
		size_t wn = bench_read_bboxes(warm_file, &wb);
		for (size_t i = 0; i < wn; i++)
			if (one(db, st, &wb[i], &bytes) < 0)
				return 1;
		free(wb);
	}
	double *lat = bench_xmalloc(n * sizeof *lat), features = 0;
	long *counts = bench_xmalloc(n * sizeof *counts), errors = 0;
	for (size_t i = 0; i < n; i++) {
		double t0 = bench_now_ms();
		long k = one(db, st, &boxes[i], &bytes);
		lat[i] = bench_now_ms() - t0;
		if (k < 0) {
			errors++;
			k = 0;
		}
		counts[i] = k;
		features += (double)k;
	}
	bench_append_longs(counts_file, counts, n);
	bench_append_doubles(lat_file, lat, n);
	bench_print_stats(stdout, lat, n, features);
	printf(" errors=%ld\n", errors);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return errors ? 1 : 0;
}
