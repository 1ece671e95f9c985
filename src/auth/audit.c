/*
 * audit.c — the hash-chained audit log (全过程记录).
 *
 * Every write appends one record in the same transaction as the write:
 *   digest = SHA-256(prev_digest | id | ts | user_id | username | action |
 *                    object_type | object_id | state_digest)
 * where state_digest is SHA-256 of the object's new state as canonical JSON
 * (sorted keys, compact). Editing, deleting or reordering a record breaks
 * the chain at that record. Editing an object row behind the server's back
 * is caught too: verify re-reads the current state of every object whose
 * type registered a state function and compares it with its last record.
 *
 * What it cannot catch alone: cutting records off the end. verify prints
 * the head digest so an operator can anchor it elsewhere (a daily print,
 * another system) and compare.
 */
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct state_reg {
	char type[32];
	audit_state_fn fn;
} state_reg;

static state_reg state_fns[32];
static int state_fn_count;

void audit_register_state(const char *object_type, audit_state_fn fn)
{
	for (int i = 0; i < state_fn_count; i++)
		if (strcmp(state_fns[i].type, object_type) == 0) {
			state_fns[i].fn = fn;
			return;
		}
	if (state_fn_count < (int)YJ_ARRAY_LEN(state_fns)) {
		snprintf(state_fns[state_fn_count].type, sizeof state_fns[0].type, "%s", object_type);
		state_fns[state_fn_count++].fn = fn;
	}
}

static void state_digest(json_t *state, char out[65])
{
	unsigned char h[32];
	if (!state) {
		crypto_hash_sha256(h, (const unsigned char *)"null", 4);
	} else {
		char *txt = json_dumps(state, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
		crypto_hash_sha256(h, (const unsigned char *)txt, txt ? strlen(txt) : 0);
		free(txt);
	}
	yj_hex(h, 32, out);
}

static void record_digest(const char *prev, int64_t id, int64_t ts, int64_t user_id,
                          const char *username, const char *action, const char *type,
                          const char *object_id, const char *sdigest, char out[65])
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	char nums[96];
	int n = snprintf(nums, sizeof nums, "|%lld|%lld|%lld|", (long long)id, (long long)ts,
	                 (long long)user_id);
	const char *parts[] = {username, action, type, object_id, sdigest};
	crypto_hash_sha256_update(&st, (const unsigned char *)prev, strlen(prev));
	crypto_hash_sha256_update(&st, (const unsigned char *)nums, (size_t)n);
	for (size_t i = 0; i < YJ_ARRAY_LEN(parts); i++) {
		/* length-prefixed, so no two different records hash the same text */
		char len[24];
		int ln = snprintf(len, sizeof len, "%zu:", strlen(parts[i]));
		crypto_hash_sha256_update(&st, (const unsigned char *)len, (size_t)ln);
		crypto_hash_sha256_update(&st, (const unsigned char *)parts[i], strlen(parts[i]));
	}
	unsigned char h[32];
	crypto_hash_sha256_final(&st, h);
	yj_hex(h, 32, out);
}

int audit_append(store *s, const auth_user *actor, const char *action, const char *object_type,
                 const char *object_id, json_t *state, yj_err *e)
{
	/* the caller's BEGIN IMMEDIATE holds the write lock, so "last" cannot move under us */
	sqlite3_stmt *st = store_stmt(s, "SELECT id, digest FROM audit ORDER BY id DESC LIMIT 1", e);
	if (!st)
		return -1;
	char prev[65] = GENESIS;
	int64_t id = 1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);

	char sdig[65], dig[65];
	state_digest(state, sdig);
	int64_t ts = yj_now_ms();
	int64_t user_id = actor ? actor->id : 0;
	const char *username = actor ? actor->username : "system";
	record_digest(prev, id, ts, user_id, username, action, object_type, object_id, sdig, dig);

	st = store_stmt(s,
	                "INSERT INTO audit(id, ts_ms, user_id, username, action, object_type, "
	                "object_id, state_digest, prev_digest, digest) VALUES (?,?,?,?,?,?,?,?,?,?)",
	                e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, ts);
	if (actor)
		sqlite3_bind_int64(st, 3, user_id);
	else
		sqlite3_bind_null(st, 3);
	store_bind_text(st, 4, username);
	store_bind_text(st, 5, action);
	store_bind_text(st, 6, object_type);
	store_bind_text(st, 7, object_id);
	store_bind_text(st, 8, sdig);
	store_bind_text(st, 9, prev);
	store_bind_text(st, 10, dig);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "append audit");
	return 0;
}

static int verify_states(store *s, audit_report *r, yj_err *e)
{
	/* the last record of each object whose type can report its state */
	sqlite3_stmt *st;
	const char *sql = "SELECT a.id, a.object_type, a.object_id, a.state_digest FROM audit a "
	                  "JOIN (SELECT object_type, object_id, MAX(id) AS id FROM audit "
	                  "      GROUP BY object_type, object_id) l ON l.id = a.id ORDER BY a.id";
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "audit states");
	int result = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 1);
		audit_state_fn fn = NULL;
		for (int i = 0; i < state_fn_count; i++)
			if (strcmp(state_fns[i].type, type) == 0)
				fn = state_fns[i].fn;
		if (!fn)
			continue;
		const char *oid = (const char *)sqlite3_column_text(st, 2);
		json_t *now = fn(s, oid);
		char dig[65];
		state_digest(now, dig);
		json_decref(now);
		if (strcmp(dig, (const char *)sqlite3_column_text(st, 3)) != 0) {
			r->first_broken_id = sqlite3_column_int64(st, 0);
			snprintf(r->reason, sizeof r->reason,
			         "%s %s was changed outside yingji: its current state does not match "
			         "audit record %lld",
			         type, oid, (long long)r->first_broken_id);
			result = 1;
			break;
		}
	}
	sqlite3_finalize(st);
	return result;
}

int audit_verify(store *s, audit_report *r, yj_err *e)
{
	memset(r, 0, sizeof *r);
	snprintf(r->head_digest, sizeof r->head_digest, GENESIS);
	sqlite3_stmt *st;
	const char *sql = "SELECT id, ts_ms, user_id, username, action, object_type, object_id, "
	                  "state_digest, prev_digest, digest FROM audit ORDER BY id";
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "audit verify");
	char prev[65] = GENESIS;
	int64_t expect_id = 1;
	int result = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *fields[7];
		for (int i = 0; i < 7; i++) {
			fields[i] = (const char *)sqlite3_column_text(st, 3 + i);
			if (!fields[i])
				fields[i] = "";
		}
		char dig[65];
		record_digest(prev, id, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
		              fields[0], fields[1], fields[2], fields[3], fields[4], dig);
		r->records++;
		const char *why = NULL;
		if (id != expect_id)
			why = "a record is missing before this one";
		else if (strcmp(fields[5], prev) != 0)
			why = "its link to the previous record is wrong";
		else if (strcmp(fields[6], dig) != 0)
			why = "its contents do not match its digest";
		if (why) {
			r->first_broken_id = id;
			snprintf(r->reason, sizeof r->reason, "record %lld: %s", (long long)id, why);
			result = 1;
			break;
		}
		snprintf(prev, sizeof prev, "%s", dig);
		expect_id = id + 1;
	}
	sqlite3_finalize(st);
	snprintf(r->head_digest, sizeof r->head_digest, "%s", prev);
	if (result == 0)
		result = verify_states(s, r, e);
	return result;
}
