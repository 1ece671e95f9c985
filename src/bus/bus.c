/*
 * bus.c — subscribers in two small tables, and one queued copy of each
 * event riding on the store's after-commit hooks (store_after_commit): the
 * store runs the hook after COMMIT (in order) and drops it after ROLLBACK,
 * so the bus needs no bookkeeping of its own for transactions.
 *
 * Subscriptions are made at start, before any thread emits, and never
 * removed: the tables are read without a lock.
 */
#include "bus/bus.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define BUS_MAX_SUBS 64

typedef struct tx_sub {
	const char *topic;
	bus_tx_fn fn;
	void *ctx;
} tx_sub;

typedef struct commit_sub {
	const char *topic;
	bus_commit_fn fn;
	bus_want_fn want;
	void *ctx;
} commit_sub;

static tx_sub tx_subs[BUS_MAX_SUBS];
static int ntx;
static commit_sub commit_subs[BUS_MAX_SUBS];
static int ncommit;
static atomic_llong emitted, delivered;

/* "warning.issued" matches "warning.issued", "warning." and "*" */
static bool matches(const char *pattern, const char *topic)
{
	size_t n = strlen(pattern);
	if (n == 1 && pattern[0] == '*')
		return true;
	if (n > 0 && (pattern[n - 1] == '.' || pattern[n - 1] == '*'))
		return strncmp(pattern, topic, pattern[n - 1] == '*' ? n - 1 : n) == 0;
	return strcmp(pattern, topic) == 0;
}

void bus_on_tx(const char *topic, bus_tx_fn fn, void *ctx)
{
	if (ntx == BUS_MAX_SUBS) {
		yj_log(YJ_LOG_ERROR, "bus_full", "topic=%s", topic);
		abort(); /* a start-up mistake, not a run-time condition */
	}
	tx_subs[ntx++] = (tx_sub){topic, fn, ctx};
}

void bus_on_commit(const char *topic, bus_commit_fn fn, bus_want_fn want, void *ctx)
{
	if (ncommit == BUS_MAX_SUBS) {
		yj_log(YJ_LOG_ERROR, "bus_full", "topic=%s", topic);
		abort();
	}
	commit_subs[ncommit++] = (commit_sub){topic, fn, want, ctx};
}

bool bus_wanted(const char *topic, const char *stream)
{
	for (int i = 0; i < ncommit; i++)
		if (matches(commit_subs[i].topic, topic) &&
		    (!commit_subs[i].want || commit_subs[i].want(topic, stream, commit_subs[i].ctx)))
			return true;
	return false;
}

/* ---- the queued copy ---------------------------------------------------------------------- */

typedef struct queued {
	bus_event ev;
	/* the copies ev points into */
	char *strings;
	int64_t *users;
	void *payload;
} queued;

static char *put(char **at, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = memcpy(*at, s, n);
	*at += n;
	return p;
}

static queued *copy_event(const bus_event *ev)
{
	queued *q = yj_calloc(1, sizeof *q);
	q->ev = *ev;
	const char *strs[] = {ev->topic, ev->area_code, ev->stream, ev->name, ev->data};
	size_t total = 0;
	for (size_t i = 0; i < YJ_ARRAY_LEN(strs); i++)
		total += strs[i] ? strlen(strs[i]) + 1 : 0;
	char *at = q->strings = yj_malloc(total ? total : 1);
	q->ev.topic = put(&at, ev->topic);
	q->ev.area_code = put(&at, ev->area_code);
	q->ev.stream = put(&at, ev->stream);
	q->ev.name = put(&at, ev->name);
	q->ev.data = put(&at, ev->data);
	if (ev->users) {
		/* an empty list is nobody, not everybody: it stays a (non-NULL) list */
		q->users = yj_malloc(ev->nusers ? ev->nusers * sizeof *q->users : sizeof *q->users);
		memcpy(q->users, ev->users, ev->nusers * sizeof *q->users);
		q->ev.users = q->users;
	} else {
		q->ev.users = NULL;
		q->ev.nusers = 0;
	}
	if (ev->payload && ev->payload_len) {
		q->payload = yj_malloc(ev->payload_len);
		memcpy(q->payload, ev->payload, ev->payload_len);
		q->ev.payload = q->payload;
	} else {
		q->ev.payload = NULL;
		q->ev.payload_len = 0;
	}
	return q;
}

static void drop_queued(void *ctx)
{
	queued *q = ctx;
	free(q->strings);
	free(q->users);
	free(q->payload);
	free(q);
}

static void deliver(void *ctx)
{
	queued *q = ctx;
	for (int i = 0; i < ncommit; i++) {
		commit_sub *c = &commit_subs[i];
		if (matches(c->topic, q->ev.topic) && (!c->want || c->want(q->ev.topic, q->ev.stream, c->ctx)))
			c->fn(&q->ev, c->ctx);
	}
	delivered++;
	drop_queued(q);
}

int bus_emit(store *s, const bus_event *ev, yj_err *e)
{
	for (int i = 0; i < ntx; i++)
		if (matches(tx_subs[i].topic, ev->topic) && tx_subs[i].fn(s, ev, tx_subs[i].ctx, e))
			return -1;
	emitted++;
	if (!bus_wanted(ev->topic, ev->stream))
		return 0; /* nobody after the commit: no copy */
	store_after_commit(s, deliver, drop_queued, copy_event(ev));
	return 0;
}

int64_t bus_emitted_total(void)
{
	return emitted;
}

int64_t bus_delivered_total(void)
{
	return delivered;
}
