/*
 * audit_db.c — the SQL of table `audit` (the hash chain; auth owns it):
 * the last record, appending one, and walking the chain for verify.
 */
#include "auth/auth_int.h"

int audit_db_last(store *s, int64_t *id, char digest[65], yj_err *e)
{
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT id, digest FROM audit ORDER BY id DESC LIMIT 1");
	if (rc > 0) {
		*id = store_col_int(q, 0);
		store_col_copy(q, 1, digest, 65);
		store_done(q);
	}
	return rc;
}

int audit_db_insert(store *s, const audit_db_record *r, yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO audit(id, ts_ms, user_id, username, action, object_type, object_id, state_digest, "
	                 "prev_digest, digest, state_version) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	                 r->id, r->ts, store_id_or_null(r->user_id), r->username, r->action, r->object_type, r->object_id,
	                 r->state_digest, r->prev_digest, r->digest, r->state_version) < 0
	               ? -1
	               : 0;
}

static int walk(store_q *q, audit_db_fn fn, void *ctx, yj_err *e)
{
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		audit_db_record r = {.id = store_col_int(q, 0),
		                     .ts = store_col_int(q, 1),
		                     .user_id = store_col_int(q, 2),
		                     .username = store_col_str(q, 3),
		                     .action = store_col_str(q, 4),
		                     .object_type = store_col_str(q, 5),
		                     .object_id = store_col_str(q, 6),
		                     .state_digest = store_col_str(q, 7),
		                     .prev_digest = store_col_str(q, 8),
		                     .digest = store_col_str(q, 9),
		                     .state_version = (int)store_col_int(q, 10)};
		int r2 = fn(&r, ctx, e);
		if (r2) {
			store_done(q);
			return r2 < 0 ? -1 : 0;
		}
	}
	return rc < 0 ? -1 : 0;
}

#define AUDIT_COLS "id, ts_ms, user_id, username, action, object_type, object_id, state_digest, prev_digest, digest, state_version"

int audit_db_each(store *s, audit_db_fn fn, void *ctx, yj_err *e)
{
	return walk(store_query(s, e, "SELECT " AUDIT_COLS " FROM audit ORDER BY id"), fn, ctx, e);
}

int audit_db_each_last(store *s, audit_db_fn fn, void *ctx, yj_err *e)
{
	return walk(store_query(s, e,
	                        "SELECT a.id, a.ts_ms, a.user_id, a.username, a.action, a.object_type, a.object_id, "
	                        "a.state_digest, a.prev_digest, a.digest, a.state_version FROM audit a "
	                        "JOIN (SELECT object_type, object_id, MAX(id) AS id FROM audit GROUP BY object_type, object_id) l "
	                        "ON l.id = a.id ORDER BY a.id"),
	            fn, ctx, e);
}
