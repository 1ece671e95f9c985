/*
 * audit.c — the hash-chained audit log (全过程记录).
 *
 * Every write appends one record in the same transaction as the write:
 *   digest = SHA-256(prev_digest | id | ts | user_id | username | action |
 *                    object_type | object_id | state_digest)
 * where state_digest is SHA-256 of the object's state as its type's audit
 * projection gives it (canonical JSON: sorted keys, compact). Editing,
 * deleting or reordering a record breaks the chain at that record.
 * Editing an object row behind the server's back is caught too: verify
 * projects the current state of every object again, with the projection
 * version its last record was made with, and compares.
 *
 * Because the record's state is read through the same projection that
 * verify uses, a record made at create and verified at once always agree;
 * what an API answer shows plays no part.
 *
 * What it cannot catch alone: cutting records off the end. verify prints
 * the head digest so an operator can anchor it elsewhere (a daily print,
 * another system) and compare.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth_int.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define MAX_TYPES 48
#define MAX_VERSIONS 4

typedef struct audit_type {
	char type[32];
	audit_project_fn project[MAX_VERSIONS + 1]; /* by version; [0]: legacy state function */
	int version;                                /* the current (highest) version */
} audit_type;

static audit_type types[MAX_TYPES];
static int ntypes;

static audit_type *type_of(const char *name, bool add)
{
	for (int i = 0; i < ntypes; i++)
		if (strcmp(types[i].type, name) == 0)
			return &types[i];
	if (!add)
		return NULL;
	if (ntypes == MAX_TYPES || strlen(name) >= sizeof types[0].type) {
		yj_log(YJ_LOG_ERROR, "audit_types_full", "type=%s", name);
		abort();
	}
	audit_type *t = &types[ntypes++];
	snprintf(t->type, sizeof t->type, "%s", name);
	return t;
}

void audit_register_type(const char *object_type, int version, audit_project_fn fn)
{
	if (version < 1 || version > MAX_VERSIONS) {
		yj_log(YJ_LOG_ERROR, "audit_version", "type=%s version=%d", object_type, version);
		abort();
	}
	audit_type *t = type_of(object_type, true);
	t->project[version] = fn;
	if (version > t->version)
		t->version = version;
}

void audit_register_state(const char *object_type, audit_state_fn fn)
{
	type_of(object_type, true)->project[0] = fn;
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

static void record_digest(const char *prev, int64_t id, int64_t ts, int64_t user_id, const char *username,
                          const char *action, const char *type, const char *object_id, const char *sdigest,
                          char out[65])
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	char nums[96];
	int n = snprintf(nums, sizeof nums, "|%lld|%lld|%lld|", (long long)id, (long long)ts, (long long)user_id);
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

static int append(store *s, const auth_user *actor, const char *action, const char *object_type,
                  const char *object_id, const char *sdig, int version, yj_err *e)
{
	/* the caller's BEGIN IMMEDIATE holds the write lock, so "last" cannot move under us */
	char prev[65] = GENESIS;
	int64_t id = 1;
	int rc = audit_db_last(s, &id, prev, e);
	if (rc < 0)
		return -1;
	if (rc > 0)
		id++;
	char dig[65];
	audit_db_record r = {.id = id,
	                     .ts = yj_now_ms(),
	                     .user_id = actor ? actor->id : 0,
	                     .username = actor ? actor->username : "system",
	                     .action = action,
	                     .object_type = object_type,
	                     .object_id = object_id,
	                     .state_digest = sdig,
	                     .prev_digest = prev,
	                     .digest = dig,
	                     .state_version = version};
	record_digest(prev, id, r.ts, r.user_id, r.username, action, object_type, object_id, sdig, dig);
	return audit_db_insert(s, &r, e);
}

int audit_record(store *s, const auth_user *actor, const char *action, const char *object_type,
                 const char *object_id, yj_err *e)
{
	audit_type *t = type_of(object_type, false);
	int version = t ? t->version : 0;
	/* version 0: a type still on a legacy state function records that state, as verify reads it */
	audit_project_fn fn = t ? t->project[version] : NULL;
	json_t *state = fn ? fn(s, object_id) : NULL;
	char sdig[65];
	state_digest(state, sdig);
	json_decref(state);
	return append(s, actor, action, object_type, object_id, sdig, version, e);
}

int audit_record_id(store *s, const auth_user *actor, const char *action, const char *object_type, int64_t id,
                    yj_err *e)
{
	char oid[24];
	snprintf(oid, sizeof oid, "%lld", (long long)id);
	return audit_record(s, actor, action, object_type, oid, e);
}

int audit_append(store *s, const auth_user *actor, const char *action, const char *object_type,
                 const char *object_id, json_t *state, yj_err *e)
{
	char sdig[65];
	state_digest(state, sdig);
	return append(s, actor, action, object_type, object_id, sdig, 0, e);
}

typedef struct states_walk {
	audit_report *r;
	store *s;
	int result;
} states_walk;

/* the last record of one object against its state now: 1 stops the walk (broken) */
static int check_state(const audit_db_record *rec, void *ctx, yj_err *e)
{
	states_walk *w = ctx;
	audit_report *r = w->r;
	audit_type *t = type_of(rec->object_type, false);
	int version = rec->state_version;
	audit_project_fn fn = t && version >= 0 && version <= MAX_VERSIONS ? t->project[version] : NULL;
	if (!fn) {
		if (version == 0) {
			if (t)
				r->not_comparable++;
			return 0;
		}
		r->first_broken_id = rec->id;
		snprintf(r->reason, sizeof r->reason,
		         "record %lld of %s %s was made with projection version %d, which this yingji does not know",
		         (long long)rec->id, rec->object_type, rec->object_id, version);
		w->result = 1;
		return 1;
	}
	json_t *now = fn(w->s, rec->object_id);
	char dig[65];
	state_digest(now, dig);
	json_decref(now);
	r->objects++;
	if (strcmp(dig, rec->state_digest) != 0) {
		r->first_broken_id = rec->id;
		snprintf(r->reason, sizeof r->reason,
		         "%s %s was changed outside yingji: its current state does not match audit record %lld",
		         rec->object_type, rec->object_id, (long long)rec->id);
		w->result = 1;
		return 1;
	}
	return 0;
}

static int verify_states(store *s, audit_report *r, yj_err *e)
{
	states_walk w = {r, s, 0};
	if (audit_db_each_last(s, check_state, &w, e) < 0)
		return -1;
	return w.result;
}

typedef struct chain_walk {
	audit_report *r;
	char prev[65];
	int64_t expect_id;
	int result;
} chain_walk;

/* one record of the chain: its digest and its link; 1 stops the walk (broken) */
static int check_record(const audit_db_record *rec, void *ctx, yj_err *e)
{
	chain_walk *w = ctx;
	char dig[65];
	record_digest(w->prev, rec->id, rec->ts, rec->user_id, rec->username, rec->action, rec->object_type,
	              rec->object_id, rec->state_digest, dig);
	w->r->records++;
	const char *why = NULL;
	if (rec->id != w->expect_id)
		why = "a record is missing before this one";
	else if (strcmp(rec->prev_digest, w->prev) != 0)
		why = "its link to the previous record is wrong";
	else if (strcmp(rec->digest, dig) != 0)
		why = "its contents do not match its digest";
	if (why) {
		w->r->first_broken_id = rec->id;
		snprintf(w->r->reason, sizeof w->r->reason, "record %lld: %s", (long long)rec->id, why);
		w->result = 1;
		return 1;
	}
	snprintf(w->prev, sizeof w->prev, "%s", dig);
	w->expect_id = rec->id + 1;
	return 0;
}

int audit_verify(store *s, audit_report *r, yj_err *e)
{
	memset(r, 0, sizeof *r);
	chain_walk w = {.r = r, .prev = GENESIS, .expect_id = 1};
	if (audit_db_each(s, check_record, &w, e) < 0)
		return -1;
	snprintf(r->head_digest, sizeof r->head_digest, "%s", w.prev);
	return w.result ? w.result : verify_states(s, r, e);
}
