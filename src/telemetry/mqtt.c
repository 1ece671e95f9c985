/*
 * mqtt.c — telemetry over MQTT: a libmosquitto client subscribed at QoS 1.
 *
 * Payloads are the same as over HTTP (one report, a JSON array, or NDJSON).
 * The message callback hands the payload to tel_ingest and returns only when
 * the reports are durable; libmosquitto sends PUBACK after the callback
 * returns, so a message the broker saw acknowledged is on disk here. The
 * session is persistent (clean_session off, a fixed client id), so QoS 1
 * messages published while yingji is down are delivered when it is back.
 * libmosquitto's own thread reconnects with backoff.
 *
 * Devices on MQTT are authenticated by the broker (its ACLs); yingji still
 * refuses unknown or disabled devices, line by line.
 */
#include <mosquitto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "telemetry/tel_int.h"

#define MQTT_CLIENTS 8
static struct mosquitto *mosqs[MQTT_CLIENTS];
static int nmosq;
static char share_topic[300];
static char sub_topic[256];
static _Atomic long messages, rejected_lines;

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
	if (rc != 0) {
		yj_log(YJ_LOG_WARN, "mqtt_connect", "rc=%d message=\"%s\"", rc, mosquitto_connack_string(rc));
		return;
	}
	int s = mosquitto_subscribe(m, NULL, share_topic, 1);
	yj_log(s == MOSQ_ERR_SUCCESS ? YJ_LOG_INFO : YJ_LOG_ERROR, "mqtt_subscribe", "topic=%s rc=%d",
	       sub_topic, s);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
	if (rc != 0)
		yj_log(YJ_LOG_WARN, "mqtt_disconnect", "rc=%d (reconnecting)", rc);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	tel_result r;
	yj_err e = {0};
	messages++;
	if (!msg->payload || msg->payloadlen <= 0)
		return;
	/* retry a failed store until it works or we stop: the broker keeps the message unacked */
	for (int attempt = 0; attempt < 50; attempt++) {
		int rc = tel_ingest(msg->payload, (size_t)msg->payloadlen, NULL, NULL, &r, &e);
		bool final = rc == 0 || e.code != YJ_EUNAVAILABLE;
		if (final && r.nrejected) {
			rejected_lines += r.nrejected;
			yj_log(YJ_LOG_WARN, "mqtt_rejected", "topic=%s line=%ld error=\"%s\" rejected=%ld", msg->topic,
			       r.nkept ? r.rejected[0].line : 0L, r.nkept ? r.rejected[0].error : "", r.nrejected);
		}
		tel_result_free(&r);
		if (rc == 0)
			return;
		if (final) {
			/* the message itself is bad (not JSON, mostly bad lines): sending it again will not help */
			yj_log(YJ_LOG_WARN, "mqtt_refused", "topic=%s message=\"%s\"", msg->topic, e.message);
			return;
		}
		yj_log(YJ_LOG_WARN, "mqtt_store", "topic=%s message=\"%s\" attempt=%d", msg->topic, e.message,
		       attempt + 1);
		usleep(100000);
	}
}

int tel_mqtt_start(const char *url, const char *topic, yj_err *e)
{
	char host[256];
	int port = 1883;
	if (!url || strncmp(url, "mqtt://", 7) != 0)
		return yj_fail(e, YJ_EINVAL, "mqtt", "--mqtt: expected mqtt://HOST:PORT, got '%s'", url ? url : "");
	const char *h = url + 7, *colon = strrchr(h, ':');
	size_t hl = colon ? (size_t)(colon - h) : strlen(h);
	if (hl == 0 || hl >= sizeof host)
		return yj_fail(e, YJ_EINVAL, "mqtt", "--mqtt: no host in '%s'", url);
	memcpy(host, h, hl);
	host[hl] = 0;
	if (colon) {
		long p;
		if (yj_parse_long(colon + 1, 1, 65535, &p, "mqtt", e))
			return -1;
		port = (int)p;
	}
	snprintf(sub_topic, sizeof sub_topic, "%s", topic && *topic ? topic : "yingji/telemetry/#");
	mosquitto_lib_init();
	/* several sessions share the subscription: each callback blocks until its report is durable,
	 * so K clients put K messages into every group commit instead of one */
	snprintf(share_topic, sizeof share_topic, "$share/yingji/%s", sub_topic);
	char id[64];
	const char *env_id = getenv("YJ_MQTT_CLIENT_ID");
	for (nmosq = 0; nmosq < MQTT_CLIENTS; nmosq++) {
		snprintf(id, sizeof id, "%s-%d", env_id && *env_id ? env_id : "yingji-telemetry", nmosq);
		struct mosquitto *mosq = mosquitto_new(id, false, NULL);
		if (!mosq)
			return yj_fail(e, YJ_EINTERNAL, "mqtt", "cannot create the MQTT client");
		mosquitto_connect_callback_set(mosq, on_connect);
		mosquitto_disconnect_callback_set(mosq, on_disconnect);
		mosquitto_message_callback_set(mosq, on_message);
		mosquitto_reconnect_delay_set(mosq, 1, 30, true);
		int rc = mosquitto_connect_async(mosq, host, port, 30);
		if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO)
			yj_log(YJ_LOG_WARN, "mqtt_connect", "host=%s port=%d rc=%d (will retry)", host, port, rc);
		if (mosquitto_loop_start(mosq) != MOSQ_ERR_SUCCESS) {
			mosquitto_destroy(mosq);
			return yj_fail(e, YJ_EINTERNAL, "mqtt", "cannot start the MQTT thread");
		}
		mosqs[nmosq] = mosq;
	}
	yj_log(YJ_LOG_INFO, "mqtt", "host=%s port=%d topic=%s client_id=%s", host, port, sub_topic, id);
	return 0;
}

void tel_mqtt_stop(void)
{
	if (!nmosq)
		return;
	for (int i = 0; i < nmosq; i++) {
		mosquitto_disconnect(mosqs[i]);
		mosquitto_loop_stop(mosqs[i], false);
		mosquitto_destroy(mosqs[i]);
		mosqs[i] = NULL;
	}
	nmosq = 0;
	mosquitto_lib_cleanup();
	yj_log(YJ_LOG_INFO, "mqtt_stopped", "messages=%ld rejected_lines=%ld", (long)messages,
	       (long)rejected_lines);
}
