/*
 * sched.h — the scheduler: one thread that moves time-driven things along
 * (escalations, warning expiry, overdue hazards, webhook retries, offline
 * devices). Any module registers its jobs at start; nothing else runs
 * timers.
 *
 * The thread wakes every tick (500 ms) or when woken (sched_wake), reads
 * the one clock (yj_now_ms, which tests move), and runs each job whose
 * period has passed, in the order registered. A job runs in a transaction
 * of its own, so its events (src/bus) are told after it commits and
 * dropped if it fails; a job that answers 1 ("more to do", a wave of
 * escalations) runs again at once in a new transaction, so that other
 * writers get the lock between its batches, for at most 300 ms a tick. A
 * job registered with SCHED_NO_TX manages its own transactions (one that
 * talks to the network must not hold the write lock meanwhile).
 */
#ifndef YJ_SCHED_H
#define YJ_SCHED_H

#include <stdint.h>

#include "base/base.h"
#include "store/store.h"

/* 0 done, 1 more to do now, -1 failed (*e: logged, the transaction rolled back) */
typedef int (*sched_fn)(store *s, int64_t now_ms, void *ctx, yj_err *e);

enum { SCHED_NO_TX = 1 };

/* Register a job run about every period_ms (0: every tick); at start, or later. */
void sched_every(const char *name, int64_t period_ms, sched_fn fn, void *ctx, unsigned flags);
int sched_start(yj_err *e);
/* Finish the running job and stop. */
void sched_stop(void);
/* Run the due jobs soon, not at the next tick (after a change that may make work due). */
void sched_wake(void);
/* Run every job once now on this thread, ignoring periods (tests and the CLI). */
int sched_run_all(store *s, yj_err *e);

#endif
