/*
 * bus.h — the in-process event bus: how modules tell each other what
 * happened without calling into each other.
 *
 * A service that changed something emits an event inside its open
 * transaction (bus_emit). Two kinds of subscribers hear it:
 *
 *   - in-transaction subscribers (bus_on_tx) run at once, on the emitting
 *     connection, inside the same transaction: what they write commits or
 *     rolls back with the change that caused it, and their failure fails
 *     the emit (the caller rolls back). For consequences that must be
 *     atomic with their cause: a warning issued → its recipients exist
 *     (dispatch), telemetry stored → the rules have judged it (alarms).
 *     Like a database trigger; keep them set-based and quick.
 *   - after-commit subscribers (bus_on_commit) hear the event once the
 *     transaction has committed (for the group writer: once it is on
 *     disk), in commit order, on the committing thread, and never when it
 *     rolls back. For telling the outside: event streams (SSE), webhooks,
 *     caches, and later the incident timeline. Like NOTIFY; they must be
 *     quick and must not block (hand work to a queue of their own).
 *
 * Emitting with no transaction open delivers to the after-commit
 * subscribers at once (the write it reports is committed already).
 *
 * Topics are constant dotted names, owned by the emitting module and
 * listed in its header ("warning.issued", "alarm.changed", ...). A
 * subscription names a topic, or a prefix ending in '.' or '*' ("warning."
 * or "*" for everything).
 */
#ifndef YJ_BUS_H
#define YJ_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "store/store.h"

typedef struct bus_event {
	const char *topic;      /* "warning.issued" */
	int64_t id;             /* the object the event is about (0: none) */
	const char *area_code;  /* its jurisdiction: scoped subscribers (SSE) filter on it; NULL: everyone */
	bool has_point;         /* a place: point[0] lon, point[1] lat */
	double point[2];
	const int64_t *users;   /* only for these users (sorted ascending; inbox streams; nusers 0: nobody), or NULL */
	size_t nusers;
	const char *stream;     /* for event streams: the SSE topic ("alarms", "loop:42"), or NULL: not streamed */
	const char *name;       /* the SSE event name ("alarm"); NULL: the topic */
	const char *data;       /* one line of JSON for streams and webhooks, or NULL */
	const void *payload;    /* a typed payload for in-process subscribers (copied), or NULL */
	size_t payload_len;
} bus_event;

/* An in-transaction subscriber: 0, or -1 with *e (the emit fails). */
typedef int (*bus_tx_fn)(store *s, const bus_event *ev, void *ctx, yj_err *e);
/* An after-commit subscriber. */
typedef void (*bus_commit_fn)(const bus_event *ev, void *ctx);
/* Whether an after-commit subscriber wants events of topic at all just now (NULL: always). */
typedef bool (*bus_want_fn)(const char *topic, const char *stream, void *ctx);

/* Subscribe (at start, before threads; there is no unsubscribe). */
void bus_on_tx(const char *topic, bus_tx_fn fn, void *ctx);
void bus_on_commit(const char *topic, bus_commit_fn fn, bus_want_fn want, void *ctx);

/*
 * Emit ev on s: run the in-transaction subscribers now, then queue a copy
 * of ev (strings, users and payload copied) for the after-commit ones.
 * 0, or -1 with *e from the subscriber that failed (nothing queued then).
 */
int bus_emit(store *s, const bus_event *ev, yj_err *e);

/*
 * Whether any after-commit subscriber wants topic/stream now: lets a hot
 * path skip building events nobody listens to (positions with no map open).
 */
bool bus_wanted(const char *topic, const char *stream);

/* Counters for /metrics: events emitted, and delivered after their commit, since start. */
int64_t bus_emitted_total(void);
int64_t bus_delivered_total(void);

#endif
