/*
 * throttle.c — login throttling: failed logins are counted in memory per
 * (username, client address) and per client address, and past a budget
 * each further failure locks that key for 2^n seconds (32 s, 64 s, ...
 * at most 15 minutes). A login is refused (429 with Retry-After) while
 * either of its keys is locked, before any password hashing: argon2id is
 * slow on purpose and must not become a free CPU burner.
 *
 * Why these keys: a count per username alone would let anyone anywhere
 * keep a user out (twelve wrong passwords every half minute would lock
 * `commander` out of the office). A (username, address) pair locks only
 * the guesser; the address budget (wider: an office shares one address)
 * stops one address trying many usernames. IPv6 clients count by their
 * /64, which one subscriber usually holds whole.
 *
 * Memory is bounded: a fixed table of slots, keyed by a keyed hash
 * (SipHash with a random key, so nobody can aim collisions at a slot);
 * a full neighbourhood gives up its least useful slot.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth_int.h"

#define SLOTS 8192
#define PROBES 8
#define PAIR_FREE 5         /* failures of one username from one address before the first lock */
#define ADDR_FREE 20        /* failures from one address, whatever the usernames */
#define FIRST_LOCK_EXP 5    /* the first lock is 2^5 = 32 s, then 64 s, 128 s, ... */
#define MAX_LOCK_S 900      /* 15 minutes */
#define FORGET_MS (15 * 60 * 1000) /* failures are forgotten this long after the last one, once unlocked */

typedef struct slot {
	char key[128]; /* "p:<address>|<username>" or "a:<address>"; "" when free */
	int failures;
	int64_t last_ms, locked_until_ms;
} slot;

static slot table[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;
static _Atomic int64_t failures_total, lockouts_total;

static void make_hash_key(void)
{
	randombytes_buf(hash_key, sizeof hash_key);
}

static bool stale(const slot *t, int64_t now)
{
	return t->key[0] == 0 || (now >= t->locked_until_ms && now - t->last_ms > FORGET_MS);
}

/* which of two slots to give up for a new key: a forgotten one, else the one unlocked soonest */
static bool better_spare(const slot *t, const slot *spare, int64_t now)
{
	bool ts = stale(t, now), ss = stale(spare, now);
	if (ts != ss)
		return ts;
	return !ts && t->locked_until_ms < spare->locked_until_ms;
}

/* the slot of key (NULL when it has none and create is false); called under the lock */
static slot *find(const char *key, bool create, int64_t now)
{
	pthread_once(&hash_key_once, make_hash_key);
	unsigned char h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const unsigned char *)key, strlen(key), hash_key);
	unsigned home = ((unsigned)h[0] | (unsigned)h[1] << 8 | (unsigned)h[2] << 16) % SLOTS;
	slot *spare = NULL;
	for (int probe = 0; probe < PROBES; probe++) {
		slot *t = &table[(home + probe) % SLOTS];
		if (strcmp(t->key, key) == 0) {
			if (!stale(t, now))
				return t;
			spare = t; /* its failures are forgotten: it starts again from nothing */
			break;
		}
		if (!spare || better_spare(t, spare, now))
			spare = t;
	}
	if (!create)
		return NULL;
	memset(spare, 0, sizeof *spare);
	snprintf(spare->key, sizeof spare->key, "%s", key);
	return spare;
}

/* seconds until the slot of key is unlocked, 0 when it is not locked */
static int wait_of(const char *key, int64_t now)
{
	slot *t = find(key, false, now);
	if (!t || now >= t->locked_until_ms)
		return 0;
	return (int)((t->locked_until_ms - now + 999) / 1000);
}

/* one more failure of key; the lock's length in seconds when it is now locked, else 0 */
static int fail_key(const char *key, int free_failures, int64_t now)
{
	slot *t = find(key, true, now);
	t->failures++;
	t->last_ms = now;
	if (t->failures < free_failures)
		return 0;
	int exp = FIRST_LOCK_EXP + (t->failures - free_failures);
	int seconds = exp >= 10 ? MAX_LOCK_S : 1 << exp;
	if (seconds > MAX_LOCK_S)
		seconds = MAX_LOCK_S;
	t->locked_until_ms = now + (int64_t)seconds * 1000;
	return seconds;
}

/* The address a client is counted by: IPv4 as it is, IPv6 by its /64 ("2001:db8:1:2::/64"). */
static void client_key(const char *client, char out[64])
{
	struct in6_addr a6;
	struct in_addr a4;
	if (!client || !*client) {
		snprintf(out, 64, "-");
		return;
	}
	if (inet_pton(AF_INET6, client, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4, a6.s6_addr + 12, 4);
			inet_ntop(AF_INET, &a4, out, 64);
			return;
		}
		memset(a6.s6_addr + 8, 0, 8);
		char text[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &a6, text, sizeof text);
		snprintf(out, 64, "%s/64", text);
		return;
	}
	snprintf(out, 64, "%.63s", client);
}

static void keys(const char *username, const char *client, char pair[128], char addr[128])
{
	char c[64];
	client_key(client, c);
	snprintf(pair, 128, "p:%s|%.64s", c, username);
	snprintf(addr, 128, "a:%s", c);
}

int throttle_wait(const char *username, const char *client, int64_t now)
{
	char pair[128], addr[128];
	keys(username, client, pair, addr);
	pthread_mutex_lock(&lock);
	int wp = wait_of(pair, now), wa = wait_of(addr, now);
	pthread_mutex_unlock(&lock);
	return wp > wa ? wp : wa;
}

void throttle_failed(const char *username, const char *client, int64_t now)
{
	char pair[128], addr[128];
	keys(username, client, pair, addr);
	pthread_mutex_lock(&lock);
	int lp = fail_key(pair, PAIR_FREE, now);
	int la = fail_key(addr, ADDR_FREE, now);
	pthread_mutex_unlock(&lock);
	atomic_fetch_add(&failures_total, 1);
	char qu[160];
	if (lp) {
		atomic_fetch_add(&lockouts_total, 1);
		yj_log(YJ_LOG_WARN, "login_throttled", "username=%s client=%s by=user_and_client seconds=%d",
		       yj_log_quote(qu, sizeof qu, username), client ? client : "-", lp);
	}
	if (la) {
		atomic_fetch_add(&lockouts_total, 1);
		yj_log(YJ_LOG_WARN, "login_throttled", "username=%s client=%s by=client seconds=%d",
		       yj_log_quote(qu, sizeof qu, username), client ? client : "-", la);
	}
}

void throttle_succeeded(const char *username, const char *client, int64_t now)
{
	char pair[128], addr[128];
	keys(username, client, pair, addr);
	pthread_mutex_lock(&lock);
	slot *t = find(pair, false, now);
	if (t)
		memset(t, 0, sizeof *t);
	pthread_mutex_unlock(&lock);
}

void auth_throttle_reset(void)
{
	pthread_mutex_lock(&lock);
	memset(table, 0, sizeof table);
	pthread_mutex_unlock(&lock);
}

void auth_throttle_stats(int64_t *failures, int64_t *lockouts)
{
	if (failures)
		*failures = atomic_load(&failures_total);
	if (lockouts)
		*lockouts = atomic_load(&lockouts_total);
}

int64_t auth_login_failures(void)
{
	return atomic_load(&failures_total);
}

int64_t auth_login_lockouts(void)
{
	return atomic_load(&lockouts_total);
}
