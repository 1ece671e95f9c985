/*
 * telemetry_redis.c — the peer of the telemetry bench: the same position
 * reports as GEOADD commands to a redis-server on loopback, pipelined.
 *
 *   telemetry_redis --port P --points FILE [--devices 100000] [--batch 2000] [--threads 4]
 *
 * The points file holds "lon lat" a line; report i is points[i] for device
 * B<i % devices + 1, six digits> (as telemetry_http sends them), and becomes
 * GEOADD yj:<kind> lon lat B…, one key per device kind (kind = the device's
 * index mod 7, the fixture's rule). Every command's arguments are formatted
 * before the clock starts. Each thread has its own connection and takes the
 * next batch of --batch reports from a shared counter: it appends them all
 * (one pipeline), then reads every reply. Only integer replies count.
 * Prints one line:
 *   added=… errors=… requests=… wall_s=… rps=… batch_p50_ms=… batch_p99_ms=… threads=… batch=…
 */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>

#include <stdbool.h>

/* this client uses only part of the shared helpers */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "bench_util.h"

static const char *const kinds[7] = {"fishing_vessel", "cargo_vessel", "bus", "coach",
                                     "hazmat_vehicle", "heavy_truck", "ranger"};

typedef struct cmd {
	char key[24], lon[24], lat[24], member[16];
} cmd;

static cmd *cmds;
static size_t ncmds, batch_size, nbatches;
static atomic_size_t next_batch;
static long opt_port;

typedef struct worker {
	pthread_t tid;
	double *lat;
	size_t nlat;
	long added, errors;
} worker;

static void *run(void *arg)
{
	worker *w = arg;
	struct timeval tv = {30, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", (int)opt_port, tv);
	if (!c || c->err) {
		fprintf(stderr, "telemetry_redis: connect: %s\n", c ? c->errstr : "out of memory");
		w->errors++;
		return NULL;
	}
	for (;;) {
		size_t bi = atomic_fetch_add(&next_batch, 1);
		if (bi >= nbatches)
			break;
		size_t from = bi * batch_size, to = from + batch_size < ncmds ? from + batch_size : ncmds;
		double t0 = bench_now_ms();
		for (size_t i = from; i < to; i++) {
			const char *argv[5] = {"GEOADD", cmds[i].key, cmds[i].lon, cmds[i].lat, cmds[i].member};
			redisAppendCommandArgv(c, 5, argv, NULL);
		}
		for (size_t i = from; i < to; i++) {
			redisReply *r = NULL;
			if (redisGetReply(c, (void **)&r) != REDIS_OK) {
				fprintf(stderr, "telemetry_redis: %s\n", c->errstr);
				w->errors += (long)(to - i);
				redisFree(c);
				return NULL;
			}
			if (r->type == REDIS_REPLY_INTEGER) {
				w->added++;
			} else if (w->errors++ == 0) {
				fprintf(stderr, "telemetry_redis: GEOADD answered type %d: %.200s\n", r->type,
				        r->str ? r->str : "");
			}
			freeReplyObject(r);
		}
		w->lat[w->nlat++] = bench_now_ms() - t0;
	}
	redisFree(c);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: telemetry_redis --port P --points FILE [--devices N] [--batch N] [--threads N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *points_file = NULL;
	long devices = 100000, batch = 2000, threads = 4;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(a, "--port") == 0)
			opt_port = strtol(v, NULL, 10);
		else if (strcmp(a, "--points") == 0)
			points_file = v;
		else if (strcmp(a, "--devices") == 0)
			devices = strtol(v, NULL, 10);
		else if (strcmp(a, "--batch") == 0)
			batch = strtol(v, NULL, 10);
		else if (strcmp(a, "--threads") == 0)
			threads = strtol(v, NULL, 10);
		else
			usage();
		i++;
	}
	if (opt_port <= 0 || opt_port > 65535 || !points_file || devices < 1 || devices > 999999 || batch < 1 ||
	    threads < 1 || threads > 64)
		usage();
	FILE *f = fopen(points_file, "r");
	if (!f) {
		fprintf(stderr, "telemetry_redis: %s: %s\n", points_file, strerror(errno));
		return 1;
	}
	size_t cap = 1 << 20;
	cmds = bench_xmalloc(cap * sizeof *cmds);
	char slon[24], slat[24];
	while (fscanf(f, "%23s %23s", slon, slat) == 2) {
		if (ncmds == cap) {
			cap *= 2;
			cmds = realloc(cmds, cap * sizeof *cmds);
			if (!cmds) {
				fprintf(stderr, "telemetry_redis: out of memory\n");
				return 1;
			}
		}
		long d = (long)(ncmds % (size_t)devices);
		cmd *c = &cmds[ncmds++];
		snprintf(c->key, sizeof c->key, "yj:%s", kinds[(d + 1) % 7]);
		snprintf(c->lon, sizeof c->lon, "%s", slon);
		snprintf(c->lat, sizeof c->lat, "%s", slat);
		snprintf(c->member, sizeof c->member, "B%06ld", d + 1);
	}
	fclose(f);
	if (ncmds == 0) {
		fprintf(stderr, "telemetry_redis: %s: no points\n", points_file);
		return 1;
	}
	batch_size = (size_t)batch;
	nbatches = (ncmds + batch_size - 1) / batch_size;
	worker *ws = calloc((size_t)threads, sizeof *ws);
	double t0 = bench_now_ms();
	for (long t = 0; t < threads; t++) {
		ws[t].lat = bench_xmalloc(nbatches * sizeof(double));
		if (pthread_create(&ws[t].tid, NULL, run, &ws[t])) {
			fprintf(stderr, "telemetry_redis: pthread_create failed\n");
			return 1;
		}
	}
	long added = 0, errors = 0;
	size_t n = 0;
	double *lat = bench_xmalloc(nbatches * sizeof *lat);
	for (long t = 0; t < threads; t++) {
		pthread_join(ws[t].tid, NULL);
		added += ws[t].added;
		errors += ws[t].errors;
		memcpy(lat + n, ws[t].lat, ws[t].nlat * sizeof *lat);
		n += ws[t].nlat;
	}
	double wall = bench_now_ms() - t0;
	qsort(lat, n, sizeof *lat, bench_cmp_double);
	printf("added=%ld errors=%ld requests=%zu wall_s=%.3f rps=%.0f batch_p50_ms=%.2f batch_p99_ms=%.2f threads=%ld "
	       "batch=%ld\n",
	       added, errors, n, wall / 1e3, (double)added / (wall / 1e3), bench_pct(lat, n, 0.50),
	       bench_pct(lat, n, 0.99), threads, batch);
	return errors ? 1 : 0;
}
