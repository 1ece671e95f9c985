/*
 * bench_util.h — small helpers shared by the C load clients in bench/:
 * a monotonic clock, the bbox list reader, latency statistics printed as
 * one "key=value ..." line that the bench scripts parse.
 *
 * Header-only on purpose: each client is one .c file compiled by its bench
 * script with `cc -O2 bench/X.c -o build/bench/X $(pkg-config ...)`.
 */
#ifndef YINGJI_BENCH_UTIL_H
#define YINGJI_BENCH_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct bench_bbox {
	double min_lon, min_lat, max_lon, max_lat;
} bench_bbox;

static double bench_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *bench_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	return p;
}

/* one bbox a line: "min_lon min_lat max_lon max_lat"; returns the count, exits on error */
static size_t bench_read_bboxes(const char *path, bench_bbox **out)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	size_t n = 0, cap = 1024;
	bench_bbox *b = bench_xmalloc(cap * sizeof *b);
	bench_bbox x;
	while (fscanf(f, "%lf %lf %lf %lf", &x.min_lon, &x.min_lat, &x.max_lon, &x.max_lat) == 4) {
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap * sizeof *b);
			if (!b) {
				fprintf(stderr, "bench: out of memory\n");
				exit(1);
			}
		}
		b[n++] = x;
	}
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "bench: %s: no bboxes\n", path);
		exit(1);
	}
	*out = b;
	return n;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* nearest-rank percentile of sorted v[0..n) */
static double bench_pct(const double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)(p * (double)n + 0.999999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* prints "n=.. p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. mean_ms=.. mean_features=.." (sorts lat) */
static void bench_print_stats(FILE *f, double *lat, size_t n, double features_sum)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += lat[i];
	qsort(lat, n, sizeof *lat, bench_cmp_double);
	fprintf(f, "n=%zu p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f mean_features=%.1f", n,
	        bench_pct(lat, n, 0.50), bench_pct(lat, n, 0.90), bench_pct(lat, n, 0.99),
	        n ? lat[n - 1] : 0.0, n ? sum / (double)n : 0.0, n ? features_sum / (double)n : 0.0);
}

/* keeps bboxes [from, from + count) of the list (count 0: to the end); exits if out of range */
static size_t bench_slice(bench_bbox **b, size_t n, long from, long count)
{
	if (from < 0 || (size_t)from >= n || count < 0 || (size_t)(from + count) > n) {
		fprintf(stderr, "bench: slice %ld+%ld outside the %zu bboxes\n", from, count, n);
		exit(2);
	}
	*b += from;
	return count ? (size_t)count : n - (size_t)from;
}

/* appends one value a line to path (NULL: nothing) */
static void bench_append_doubles(const char *path, const double *v, size_t n)
{
	if (!path)
		return;
	FILE *f = fopen(path, "a");
	if (!f) {
		fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%.4f\n", v[i]);
	fclose(f);
}

static void bench_append_longs(const char *path, const long *v, size_t n)
{
	if (!path)
		return;
	FILE *f = fopen(path, "a");
	if (!f) {
		fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%ld\n", v[i]);
	fclose(f);
}

#endif
