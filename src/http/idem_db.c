/*
 * idem_db.c — the SQL of table `idempotency` (the HTTP layer's): the
 * recorded answer of a (user, key), recording one, and forgetting old ones.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

int http_idem_db_get(store *s, int64_t user_id, const char *key, http_idem_record *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	store_q *q;
	int rc = store_row(s, &q, e,
	                   "SELECT request_hash, status, content_type, body FROM idempotency WHERE user_id = ? AND idem_key = ?",
	                   user_id, key);
	if (rc <= 0)
		return rc;
	size_t n;
	const void *h = store_col_blob(q, 0, &n);
	out->hash_len = n <= sizeof out->hash ? n : 0;
	if (out->hash_len)
		memcpy(out->hash, h, n);
	out->status = (int)store_col_int(q, 1);
	store_col_copy(q, 2, out->content_type, sizeof out->content_type);
	const void *b = store_col_blob(q, 3, &n);
	out->body = yj_malloc(n ? n : 1);
	if (n)
		memcpy(out->body, b, n);
	out->body_len = n;
	store_done(q);
	return 1;
}

int http_idem_db_put(store *s, int64_t user_id, const char *key, const http_idem_record *r, int64_t now_ms, yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO idempotency(user_id, idem_key, request_hash, status, content_type, body, created_ms) "
	                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
	                 user_id, key, store_blob(r->hash, r->hash_len), r->status, r->content_type,
	                 store_blob(r->body ? r->body : "", r->body_len), now_ms) < 0
	               ? -1
	               : 0;
}

int http_idem_db_expire(store *s, int64_t before_ms, yj_err *e)
{
	return store_run(s, e, "DELETE FROM idempotency WHERE created_ms < ?", before_ms) < 0 ? -1 : 0;
}
