/*
 * sse_bus.c — the event bus's door to the event streams: an after-commit
 * subscriber that sends every event naming a stream to the SSE clients of
 * that stream (scoped by area and point, or to a set of users for inbox
 * streams). Services emit events; only this file turns them into SSE.
 */
#include <stdlib.h>

#include "bus/bus.h"
#include "http/http_int.h"

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static bool user_in_event(void *ctx, int64_t uid)
{
	const bus_event *ev = ctx;
	return bsearch(&uid, ev->users, ev->nusers, sizeof *ev->users, cmp_id) != NULL;
}

static bool want(const char *topic, const char *stream, void *ctx)
{
	return stream && http_sse_topic_clients(stream) > 0;
}

static void forward(const bus_event *ev, void *ctx)
{
	if (!ev->stream || !ev->data)
		return;
	const char *name = ev->name ? ev->name : ev->topic;
	if (ev->users)
		http_sse_publish_users(ev->stream, name, user_in_event, (void *)ev, ev->data);
	else
		http_sse_publish(ev->stream, name, ev->area_code, ev->has_point ? ev->point : NULL, ev->data);
}

void http_sse_bus_attach(void)
{
	static bool attached;
	if (attached)
		return;
	attached = true;
	bus_on_commit("*", forward, want, NULL);
}
