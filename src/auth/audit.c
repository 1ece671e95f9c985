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

#include "auth/auth.h"

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
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT id, digest FROM audit ORDER BY id DESC LIMIT 1");
	if (rc < 0)
		return -1;
	if (rc > 0) {
		id = store_col_int(q, 0) + 1;
		store_col_copy(q, 1, prev, sizeof prev);
		store_done(q);
	}
	char dig[65];
	int64_t ts = yj_now_ms();
	int64_t user_id = actor ? actor->id : 0;
	const char *username = actor ? actor->username : "system";
	record_digest(prev, id, ts, user_id, username, action, object_type, object_id, sdig, dig);
	return store_run(s, e,
	                 "INSERT INTO audit(id, ts_ms, user_id, username, action, object_type, object_id, state_digest, "
	                 "prev_digest, digest, state_version) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	                 id, ts, store_id_or_null(user_id), username, action, object_type, object_id, sdig, prev, dig,
	                 version) < 0
	               ? -1
	               : 0;
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

/* the last record of each object against its state now */
static int verify_states(store *s, audit_report *r, yj_err *e)
{
	store_q *q = store_query(s, e,
	                         "SELECT a.id, a.object_type, a.object_id, a.state_digest, a.state_version FROM audit a "
	                         "JOIN (SELECT object_type, object_id, MAX(id) AS id FROM audit "
	                         "      GROUP BY object_type, object_id) l ON l.id = a.id ORDER BY a.id");
	if (!q)
		return -1;
	int result = 0, rc;
	while (result == 0 && (rc = store_step(q, e)) > 0) {
		const char *type = store_col_str(q, 1), *oid = store_col_str(q, 2);
		int version = (int)store_col_int(q, 4);
		audit_type *t = type_of(type, false);
		audit_project_fn fn = t && version >= 0 && version <= MAX_VERSIONS ? t->project[version] : NULL;
		if (!fn) {
			if (version == 0) {
				if (t)
					r->not_comparable++;
				continue;
			}
			r->first_broken_id = store_col_int(q, 0);
			snprintf(r->reason, sizeof r->reason,
			         "record %lld of %s %s was made with projection version %d, which this yingji does not know",
			         (long long)r->first_broken_id, type, oid, version);
			result = 1;
			break;
		}
		json_t *now = fn(s, oid);
		char dig[65];
		state_digest(now, dig);
		json_decref(now);
		r->objects++;
		if (strcmp(dig, store_col_str(q, 3)) != 0) {
			r->first_broken_id = store_col_int(q, 0);
			snprintf(r->reason, sizeof r->reason,
			         "%s %s was changed outside yingji: its current state does not match audit record %lld", type,
			         oid, (long long)r->first_broken_id);
			result = 1;
		}
	}
	store_done(q);
	return result ? result : rc < 0 ? -1 : 0;
}

int audit_verify(store *s, audit_report *r, yj_err *e)
{
	memset(r, 0, sizeof *r);
	snprintf(r->head_digest, sizeof r->head_digest, GENESIS);
	store_q *q = store_query(s, e,
	                         "SELECT id, ts_ms, user_id, username, action, object_type, object_id, state_digest, "
	                         "prev_digest, digest FROM audit ORDER BY id");
	if (!q)
		return -1;
	char prev[65] = GENESIS;
	int64_t expect_id = 1;
	int result = 0, rc;
	while ((rc = store_step(q, e)) > 0) {
		int64_t id = store_col_int(q, 0);
		const char *fields[7];
		for (int i = 0; i < 7; i++)
			fields[i] = store_col_str(q, 3 + i);
		char dig[65];
		record_digest(prev, id, store_col_int(q, 1), store_col_int(q, 2), fields[0], fields[1], fields[2], fields[3],
		              fields[4], dig);
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
			store_done(q);
			break;
		}
		snprintf(prev, sizeof prev, "%s", dig);
		expect_id = id + 1;
	}
	if (rc < 0)
		return -1;
	snprintf(r->head_digest, sizeof r->head_digest, "%s", prev);
	if (result == 0)
		result = verify_states(s, r, e);
	return result;
}
