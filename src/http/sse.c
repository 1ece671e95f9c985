/*
 * sse.c — Server-Sent Events: streams that cost memory, not CPU, while idle.
 *
 * A stream is a client record with a topic, the user's jurisdiction scope,
 * an optional bbox, and a queue of bytes not yet sent. MHD pulls bytes with
 * the content-reader callback; when the queue is empty the reader suspends
 * the connection and returns 0 (the pattern microhttpd.h prescribes), so an
 * idle stream is parked, not polled. http_sse_publish() appends to every
 * matching queue and resumes parked connections. A ticker writes a comment
 * line every 20 s so dead peers are found and proxies keep the line open.
 *
 * A client that does not read (its queue passes SSE_QUEUE_MAX) is told so
 * with an "overflow" event and closed: the publisher never waits on a peer.
 */
#include <glib.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http_int.h"

#define SSE_QUEUE_MAX (4u << 20)
#define SSE_PING_SECONDS 20

struct http_sse {
	struct MHD_Connection *conn;
	char topic[64];
	bool scoped;
	auth_scope scope;
	int64_t user_id;
	bool has_bbox;
	double bbox[4];
	pthread_mutex_t lock;
	strbuf queue;
	size_t sent; /* bytes of queue already handed to MHD */
	bool parked, closing, gone;
	struct http_sse *next;
};

static pthread_mutex_t clients_lock = PTHREAD_MUTEX_INITIALIZER;
static http_sse *clients;
static pthread_t ticker;
static bool ticker_running;
static volatile bool ticker_stop;
static _Atomic long client_count;
/* open streams by topic (under clients_lock): "does anyone listen to this topic" is asked for every
 * event on a hot path (each acknowledgement's loop event), so it is a look-up, not a walk */
static GHashTable *topic_counts;

static void topic_count_add(const char *topic, int d)
{
	if (!topic_counts)
		topic_counts = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	long n = GPOINTER_TO_SIZE(g_hash_table_lookup(topic_counts, topic)) + d;
	if (n <= 0)
		g_hash_table_remove(topic_counts, topic);
	else
		g_hash_table_insert(topic_counts, yj_strdup(topic), GSIZE_TO_POINTER((gsize)n));
}

long http_sse_clients(void)
{
	return client_count;
}

long http_sse_topic_clients(const char *topic)
{
	if (!client_count)
		return 0;
	pthread_mutex_lock(&clients_lock);
	long n = topic_counts ? (long)GPOINTER_TO_SIZE(g_hash_table_lookup(topic_counts, topic)) : 0;
	pthread_mutex_unlock(&clients_lock);
	return n;
}

/* append and wake; caller holds c->lock */
static void push(http_sse *c, const char *text, size_t len)
{
	if (c->closing)
		return;
	if (c->queue.len - c->sent + len > SSE_QUEUE_MAX) {
		strbuf_puts(&c->queue, "event: overflow\ndata: {\"reason\":\"client too slow\"}\n\n");
		c->closing = true;
	} else {
		strbuf_append(&c->queue, text, len);
	}
	if (c->parked) {
		c->parked = false;
		MHD_resume_connection(c->conn);
	}
}

static bool wants(const http_sse *c, const char *topic, const char *area_code, const double *point)
{
	if (c->gone || strcmp(c->topic, topic) != 0)
		return false;
	/* events without an area carry nothing a jurisdiction must hide ("the loop changed") */
	if (c->scoped && area_code && !auth_scope_contains(&c->scope, area_code))
		return false;
	if (c->has_bbox && point &&
	    (point[0] < c->bbox[0] || point[0] > c->bbox[2] || point[1] < c->bbox[1] || point[1] > c->bbox[3]))
		return false;
	return true;
}

/* send event to every stream that match(c, ctx) accepts */
static void publish(const char *event, const char *data, bool (*match)(const http_sse *c, const void *ctx),
                    const void *ctx)
{
	if (!client_count)
		return;
	strbuf msg;
	strbuf_init(&msg);
	strbuf_printf(&msg, "event: %s\ndata: %s\n\n", event, data);
	pthread_mutex_lock(&clients_lock);
	for (http_sse *c = clients; c; c = c->next) {
		if (!match(c, ctx))
			continue;
		pthread_mutex_lock(&c->lock);
		push(c, msg.data, msg.len);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&clients_lock);
	strbuf_free(&msg);
}

typedef struct place_match {
	const char *topic, *area_code;
	const double *point;
} place_match;

static bool match_place(const http_sse *c, const void *ctx)
{
	const place_match *m = ctx;
	return wants(c, m->topic, m->area_code, m->point);
}

void http_sse_publish(const char *topic, const char *event, const char *area_code, const double *point,
                      const char *data)
{
	publish(event, data, match_place, &(place_match){topic, area_code, point});
}

typedef struct user_match {
	const char *topic;
	http_sse_user_filter want;
	void *ctx;
} user_match;

static bool match_user(const http_sse *c, const void *ctx)
{
	const user_match *m = ctx;
	return strcmp(c->topic, m->topic) == 0 && m->want(m->ctx, c->user_id);
}

void http_sse_publish_users(const char *topic, const char *event, http_sse_user_filter want, void *ctx,
                            const char *data)
{
	publish(event, data, match_user, &(user_match){topic, want, ctx});
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	http_sse *c = cls;
	pthread_mutex_lock(&c->lock);
	size_t avail = c->queue.len - c->sent;
	if (avail == 0) {
		if (c->closing) {
			pthread_mutex_unlock(&c->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		/* nothing to say: park the connection until a publish or ping resumes it */
		c->parked = true;
		MHD_suspend_connection(c->conn);
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	size_t n = avail < max ? avail : max;
	memcpy(buf, c->queue.data + c->sent, n);
	c->sent += n;
	if (c->sent == c->queue.len) {
		c->queue.len = 0;
		c->sent = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return (ssize_t)n;
}

static void client_free(void *cls)
{
	http_sse *c = cls;
	pthread_mutex_lock(&clients_lock);
	for (http_sse **pp = &clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			topic_count_add(c->topic, -1);
			break;
		}
	pthread_mutex_unlock(&clients_lock);
	client_count--;
	strbuf_free(&c->queue);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void *ticker_main(void *arg)
{
	while (!ticker_stop) {
		for (int i = 0; i < SSE_PING_SECONDS * 10 && !ticker_stop; i++)
			usleep(100000);
		if (ticker_stop)
			break;
		pthread_mutex_lock(&clients_lock);
		for (http_sse *c = clients; c; c = c->next) {
			pthread_mutex_lock(&c->lock);
			push(c, ": ping\n\n", 8);
			pthread_mutex_unlock(&c->lock);
		}
		pthread_mutex_unlock(&clients_lock);
	}
	return NULL;
}

void http_sse_start_ticker(void)
{
	if (ticker_running)
		return;
	ticker_stop = false;
	ticker_running = pthread_create(&ticker, NULL, ticker_main, NULL) == 0;
}

void http_sse_stop(void)
{
	/* end every stream so the daemon can stop: resume parked ones to let them finish */
	pthread_mutex_lock(&clients_lock);
	for (http_sse *c = clients; c; c = c->next) {
		pthread_mutex_lock(&c->lock);
		c->closing = true;
		if (c->parked) {
			c->parked = false;
			MHD_resume_connection(c->conn);
		}
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&clients_lock);
	if (ticker_running) {
		ticker_stop = true;
		pthread_join(ticker, NULL);
		ticker_running = false;
	}
}

int http_sse_open(http_req *req, http_res *res, const char *topic, const auth_scope *scope,
                  const double *bbox, const char *hello, yj_err *e)
{
	http_sse *c = yj_calloc(1, sizeof *c);
	c->conn = req->conn;
	c->user_id = req->user ? req->user->id : 0;
	snprintf(c->topic, sizeof c->topic, "%s", topic);
	if (scope) {
		c->scoped = true;
		c->scope = *scope;
	}
	if (bbox) {
		c->has_bbox = true;
		memcpy(c->bbox, bbox, sizeof c->bbox);
	}
	pthread_mutex_init(&c->lock, NULL);
	strbuf_init(&c->queue);
	/* a retry hint, then the first event so the client knows it is connected */
	strbuf_printf(&c->queue, "retry: 3000\nevent: hello\ndata: %s\n\n", hello ? hello : "{}");
	pthread_mutex_lock(&clients_lock);
	c->next = clients;
	clients = c;
	topic_count_add(c->topic, 1);
	pthread_mutex_unlock(&clients_lock);
	client_count++;
	res->status = 200;
	res->sse = c;
	res->content_type = "text/event-stream; charset=utf-8";
	return 0;
}

struct MHD_Response *http_sse_response(http_sse *c)
{
	struct MHD_Response *r =
		MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, c, client_free);
	if (!r)
		client_free(c);
	return r;
}
