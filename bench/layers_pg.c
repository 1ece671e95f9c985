/*
 * layers_pg.c — the PostGIS peer of the layers bench: the same bboxes as a
 * prepared statement over one persistent libpq connection (loopback TCP),
 * every row and column read, each query timed from send to last row.
 *
 *   layers_pg --conninfo "host=127.0.0.1 port=P user=postgres dbname=bench"
 *             --bboxes FILE [--warmup FILE] [--limit 1000] [--counts FILE] [--lat FILE] [--from I] [--count N]
 *
 * The statement asks for limit+1 rows (as yingji does, to tell "truncated");
 * features are counted up to limit. Prints the bench_util stats line;
 * --from/--count/--lat/--counts as in layers_http.c.
 */
#include <libpq-fe.h>

#include "bench_util.h"

/* limit + 1 rows, as yingji asks for (to tell "truncated"); a literal, so every plan knows it */
static const char SQL_FMT[] =
	"SELECT id, ST_X(geom), ST_Y(geom), name, area_code, network, stream_url, status FROM cam"
	" WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) LIMIT %ld";

static long opt_limit = 1000;

/* runs one bbox, returns the features (<= limit), or -1 */
static long one(PGconn *c, const bench_bbox *b, size_t *bytes)
{
	char p[4][32];
	snprintf(p[0], sizeof p[0], "%.6f", b->min_lon);
	snprintf(p[1], sizeof p[1], "%.6f", b->min_lat);
	snprintf(p[2], sizeof p[2], "%.6f", b->max_lon);
	snprintf(p[3], sizeof p[3], "%.6f", b->max_lat);
	const char *vals[4] = {p[0], p[1], p[2], p[3]};
	PGresult *r = PQexecPrepared(c, "layer", 4, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "layers_pg: %s", PQerrorMessage(c));
		PQclear(r);
		return -1;
	}
	int rows = PQntuples(r), cols = PQnfields(r);
	for (int i = 0; i < rows; i++) /* read every value, as a client building features would */
		for (int j = 0; j < cols; j++)
			*bytes += strlen(PQgetvalue(r, i, j));
	PQclear(r);
	return rows > opt_limit ? opt_limit : rows;
}

static void usage(void)
{
	fprintf(stderr, "usage: layers_pg --conninfo STR --bboxes FILE [--warmup FILE] [--limit N] "
	                "[--counts FILE] [--lat FILE] [--from I] [--count N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *conninfo = NULL, *bbox_file = NULL, *warm_file = NULL, *counts_file = NULL, *lat_file = NULL;
	long from = 0, count = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(a, "--conninfo") == 0)
			conninfo = v;
		else if (strcmp(a, "--bboxes") == 0)
			bbox_file = v;
		else if (strcmp(a, "--warmup") == 0)
			warm_file = v;
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
		else
			usage();
		i++;
	}
	if (!conninfo || !bbox_file || opt_limit < 1)
		usage();
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "layers_pg: connect: %s", PQerrorMessage(c));
		return 1;
	}
	char sql[sizeof SQL_FMT + 32];
	snprintf(sql, sizeof sql, SQL_FMT, opt_limit + 1);
	Oid types[4] = {701, 701, 701, 701}; /* float8 */
	PGresult *r = PQprepare(c, "layer", sql, 4, types);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "layers_pg: prepare: %s", PQerrorMessage(c));
		return 1;
	}
	PQclear(r);

	bench_bbox *boxes;
	size_t n = bench_read_bboxes(bbox_file, &boxes), bytes = 0;
	n = bench_slice(&boxes, n, from, count);
	if (warm_file) {
		bench_bbox *wb;
		size_t wn = bench_read_bboxes(warm_file, &wb);
		for (size_t i = 0; i < wn; i++)
			if (one(c, &wb[i], &bytes) < 0)
				return 1;
		free(wb);
	}
	double *lat = bench_xmalloc(n * sizeof *lat), features = 0;
	long *counts = bench_xmalloc(n * sizeof *counts), errors = 0;
	for (size_t i = 0; i < n; i++) {
		double t0 = bench_now_ms();
		long k = one(c, &boxes[i], &bytes);
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
	PQfinish(c);
	return errors ? 1 : 0;
}
