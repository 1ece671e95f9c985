/*
 * metrics.c — request counters and latency histograms, Prometheus text.
 *
 * Fixed arrays of atomics indexed by route (plus one slot for requests that
 * matched no route) and by a small table of status codes: recording is a few
 * relaxed atomic adds on the request path, with no lock and no allocation.
 */
#include <stdatomic.h>
#include <string.h>

#include "bus/bus.h"
#include "http/http_int.h"

static const int status_codes[] = {200, 201, 202, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405, 409,
                                   411, 413, 414, 415, 422, 429, 431, 500, 503, 505, 0 /* other */};
#define NSTATUS ((int)YJ_ARRAY_LEN(status_codes))

/* upper bounds in seconds, Prometheus style; the last bucket is +Inf */
static const double bucket_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                   0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define NBUCKETS ((int)YJ_ARRAY_LEN(bucket_le))

#define NROUTES (HTTP_MAX_ROUTES + 1) /* last slot: unmatched */

static _Atomic unsigned long long by_status[NROUTES][NSTATUS];
static _Atomic unsigned long long buckets[NROUTES][NBUCKETS + 1];
static _Atomic unsigned long long sum_us[NROUTES];

void http_metrics_record(int route_index, int status, double ms)
{
	int r = route_index < 0 || route_index >= HTTP_MAX_ROUTES ? HTTP_MAX_ROUTES : route_index;
	int s = NSTATUS - 1;
	for (int i = 0; i < NSTATUS - 1; i++)
		if (status_codes[i] == status) {
			s = i;
			break;
		}
	atomic_fetch_add_explicit(&by_status[r][s], 1, memory_order_relaxed);
	double sec = ms / 1000.0;
	int b = NBUCKETS;
	for (int i = 0; i < NBUCKETS; i++)
		if (sec <= bucket_le[i]) {
			b = i;
			break;
		}
	atomic_fetch_add_explicit(&buckets[r][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sum_us[r], (unsigned long long)(ms * 1000.0), memory_order_relaxed);
}

/* ---- values other modules report (registered at start) ---------------------------------------- */

#define MAX_EXTRA 32
typedef struct extra_metric {
	const char *name, *help, *type;
	int64_t (*read)(void);
} extra_metric;
static extra_metric extra[MAX_EXTRA];
static int nextra;

void http_metric(const char *name, const char *help, const char *type, int64_t (*read)(void))
{
	for (int i = 0; i < nextra; i++)
		if (strcmp(extra[i].name, name) == 0)
			return;
	if (nextra < MAX_EXTRA)
		extra[nextra++] = (extra_metric){name, help, type, read};
}

static const char *route_label(int r, char *buf, size_t cap)
{
	const http_route_def *d = http_route_at(r);
	if (!d)
		return "unmatched";
	snprintf(buf, cap, "%s %s", d->method, d->pattern);
	return buf;
}

char *http_metrics_text(size_t *len)
{
	strbuf b;
	strbuf_init(&b);
	strbuf_puts(&b, "# HELP yingji_http_requests_total HTTP requests by route and status.\n"
	                "# TYPE yingji_http_requests_total counter\n");
	int nroutes = http_route_count();
	char label[300];
	for (int r = 0; r < NROUTES; r++) {
		if (r >= nroutes && r != HTTP_MAX_ROUTES)
			continue;
		for (int s = 0; s < NSTATUS; s++) {
			unsigned long long v = atomic_load_explicit(&by_status[r][s], memory_order_relaxed);
			if (!v)
				continue;
			char code[8];
			if (status_codes[s])
				snprintf(code, sizeof code, "%d", status_codes[s]);
			else
				snprintf(code, sizeof code, "other");
			strbuf_printf(&b, "yingji_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
			              route_label(r, label, sizeof label), code, v);
		}
	}
	strbuf_puts(&b, "# HELP yingji_http_request_duration_seconds Time to answer, by route.\n"
	                "# TYPE yingji_http_request_duration_seconds histogram\n");
	for (int r = 0; r < NROUTES; r++) {
		if (r >= nroutes && r != HTTP_MAX_ROUTES)
			continue;
		unsigned long long total = 0, counts[NBUCKETS + 1];
		for (int i = 0; i <= NBUCKETS; i++) {
			counts[i] = atomic_load_explicit(&buckets[r][i], memory_order_relaxed);
			total += counts[i];
		}
		if (!total)
			continue;
		const char *rl = route_label(r, label, sizeof label);
		unsigned long long cum = 0;
		for (int i = 0; i < NBUCKETS; i++) {
			cum += counts[i];
			strbuf_printf(&b,
			              "yingji_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
			              rl, bucket_le[i], cum);
		}
		strbuf_printf(&b,
		              "yingji_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
		              rl, total);
		strbuf_printf(&b, "yingji_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", rl,
		              (double)atomic_load(&sum_us[r]) / 1e6);
		strbuf_printf(&b, "yingji_http_request_duration_seconds_count{route=\"%s\"} %llu\n", rl,
		              total);
	}
	http_metric("yingji_bus_events_emitted_total", "Events emitted on the in-process bus.", "counter", bus_emitted_total);
	http_metric("yingji_bus_events_delivered_total", "Events delivered after their commit.", "counter", bus_delivered_total);
	http_metric("yingji_http_bodies_in_flight_bytes", "Request bodies held in memory now.", "gauge", http_gate_bodies);
	http_metric("yingji_http_heavy_requests", "Heavy requests (imports, telemetry) running now.", "gauge",
	            http_gate_heavy);
	for (int i = 0; i < nextra; i++)
		strbuf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", extra[i].name, extra[i].help, extra[i].name,
		              extra[i].type, extra[i].name, (long long)extra[i].read());
	return strbuf_take(&b, len);
}
