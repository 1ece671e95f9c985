/*
 * telemetry_mqtt.c — MQTT publisher for the telemetry bench: one position
 * report a message, QoS 1, to yingji/telemetry/<device> on a mosquitto
 * broker on loopback (yingji subscribes with --mqtt).
 *
 *   telemetry_mqtt --port P --points FILE [--count 100000] [--devices 100000] [--t0-ms MS]
 *                  [--topic-prefix yingji/telemetry/] [--inflight 1000] [--timeout-s 300]
 *
 * Report i is points[i] for device B<i % devices + 1, six digits> at time
 * t0 + i ms (the same shape as telemetry_http). Payloads are formatted
 * before the clock starts. The publisher runs libmosquitto's network thread
 * and keeps up to --inflight messages unacknowledged; it stops the clock when
 * the broker has acknowledged (PUBACK) every message. Prints one line:
 *   published=… acked=… wall_s=… mps=…
 * Acknowledged by the broker is not stored by yingji: the bench script waits
 * for the rows in the database for that.
 */
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include <stdbool.h>

/* this client uses only part of the shared helpers */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "bench_util.h"

static atomic_long acked;
static atomic_bool connected;

static void on_connect(struct mosquitto *m, void *ud, int rc)
{
	(void)m, (void)ud;
	if (rc == 0)
		atomic_store(&connected, true);
	else
		fprintf(stderr, "telemetry_mqtt: connect refused: %s\n", mosquitto_connack_string(rc));
}

static void on_publish(struct mosquitto *m, void *ud, int mid)
{
	(void)m, (void)ud, (void)mid;
	atomic_fetch_add(&acked, 1);
}

static int format_ts(char *out, size_t n, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	return snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static void usage(void)
{
	fprintf(stderr, "usage: telemetry_mqtt --port P --points FILE [--count N] [--devices N] [--t0-ms MS] "
	                "[--topic-prefix T] [--inflight N] [--timeout-s S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *points_file = NULL, *prefix = "yingji/telemetry/";
	long port = 0, count = 100000, devices = 100000, inflight = 1000, timeout_s = 300;
	int64_t t0_ms = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(a, "--port") == 0)
			port = strtol(v, NULL, 10);
		else if (strcmp(a, "--points") == 0)
			points_file = v;
		else if (strcmp(a, "--count") == 0)
			count = strtol(v, NULL, 10);
		else if (strcmp(a, "--devices") == 0)
			devices = strtol(v, NULL, 10);
		else if (strcmp(a, "--t0-ms") == 0)
			t0_ms = strtoll(v, NULL, 10);
		else if (strcmp(a, "--topic-prefix") == 0)
			prefix = v;
		else if (strcmp(a, "--inflight") == 0)
			inflight = strtol(v, NULL, 10);
		else if (strcmp(a, "--timeout-s") == 0)
			timeout_s = strtol(v, NULL, 10);
		else
			usage();
		i++;
	}
	if (port <= 0 || port > 65535 || !points_file || count < 1 || devices < 1 || devices > 999999 || inflight < 0 ||
	    timeout_s < 1)
		usage();
	if (t0_ms == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		t0_ms = (int64_t)ts.tv_sec * 1000 - 3600 * 1000;
	}

	FILE *f = fopen(points_file, "r");
	if (!f) {
		fprintf(stderr, "telemetry_mqtt: %s: %s\n", points_file, strerror(errno));
		return 1;
	}
	char **topics = bench_xmalloc((size_t)count * sizeof *topics);
	char **payloads = bench_xmalloc((size_t)count * sizeof *payloads);
	long n = 0;
	double lon, lat;
	while (n < count && fscanf(f, "%lf %lf", &lon, &lat) == 2) {
		char dev[16], ts[80], buf[256];
		snprintf(dev, sizeof dev, "B%06ld", n % devices + 1);
		format_ts(ts, sizeof ts, t0_ms + n);
		snprintf(buf, sizeof buf, "%s%s", prefix, dev);
		topics[n] = strdup(buf);
		snprintf(buf, sizeof buf, "{\"device\":\"%s\",\"ts\":\"%s\",\"lon\":%.7f,\"lat\":%.7f}", dev, ts, lon, lat);
		payloads[n] = strdup(buf);
		if (!topics[n] || !payloads[n]) {
			fprintf(stderr, "telemetry_mqtt: out of memory\n");
			return 1;
		}
		n++;
	}
	fclose(f);
	if (n < count) {
		fprintf(stderr, "telemetry_mqtt: %s: only %ld points, %ld wanted\n", points_file, n, count);
		return 1;
	}

	mosquitto_lib_init();
	char id[64];
	snprintf(id, sizeof id, "yj-bench-pub-%d", (int)getpid());
	struct mosquitto *m = mosquitto_new(id, true, NULL);
	if (!m) {
		fprintf(stderr, "telemetry_mqtt: mosquitto_new failed\n");
		return 1;
	}
	mosquitto_connect_callback_set(m, on_connect);
	mosquitto_publish_callback_set(m, on_publish);
	mosquitto_max_inflight_messages_set(m, (unsigned)inflight);
	int rc = mosquitto_connect(m, "127.0.0.1", (int)port, 60);
	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "telemetry_mqtt: connect to 127.0.0.1:%ld: %s\n", port, mosquitto_strerror(rc));
		return 1;
	}
	if (mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "telemetry_mqtt: cannot start the network thread\n");
		return 1;
	}
	for (int i = 0; i < 1000 && !atomic_load(&connected); i++)
		usleep(10000);
	if (!atomic_load(&connected)) {
		fprintf(stderr, "telemetry_mqtt: no CONNACK in 10 s\n");
		return 1;
	}
	double t0 = bench_now_ms(), deadline = t0 + (double)timeout_s * 1000;
	long published = 0, errors = 0;
	for (long i = 0; i < count; i++) {
		rc = mosquitto_publish(m, NULL, topics[i], (int)strlen(payloads[i]), payloads[i], 1, false);
		if (rc != MOSQ_ERR_SUCCESS) {
			if (errors++ == 0)
				fprintf(stderr, "telemetry_mqtt: publish: %s\n", mosquitto_strerror(rc));
			continue;
		}
		published++;
	}
	while (atomic_load(&acked) < published && bench_now_ms() < deadline)
		usleep(1000);
	double wall = bench_now_ms() - t0;
	long a = atomic_load(&acked);
	printf("published=%ld acked=%ld errors=%ld wall_s=%.3f mps=%.0f\n", published, a, errors, wall / 1e3,
	       (double)a / (wall / 1e3));
	mosquitto_disconnect(m);
	mosquitto_loop_stop(m, false);
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	return errors || a < count ? 1 : 0;
}
