/*
 * idem.c — safe retries: a request sent with an Idempotency-Key header
 * (IETF httpapi draft) is carried out once. The handler's outermost
 * commit on this thread is held (store_hold_commit): its writes stay in
 * an open transaction, the answer is rendered and recorded in it, and only
 * then is it committed — so a request commits together with its answer or
 * not at all, and a retry after a lost answer, even after kill -9, gets
 * the first answer again (Idempotent-Replayed: true) instead of running
 * twice or failing on its own success. The write lock is taken by the
 * handler's own first write, not before, so a handler that waits for
 * another thread's commit (telemetry, the group writer) holds nothing
 * meanwhile; what such a handler writes elsewhere commits there, and its
 * answer is recorded right after. The same key with another request is
 * 422; two at once with the same key: the second is 409. Only successful
 * answers are kept (a refused request wrote nothing; running it again is
 * harmless); they are kept a day. Routes with retry semantics of their own
 * opt out with HTTP_ROUTE_OWN_RETRIES.
 */
#include <sodium.h>
#include <string.h>

#include "http/http_int.h"
#include "sched/sched.h"

#define IDEM_KEEP_MS (24 * 3600 * 1000LL)
#define IDEM_KEY_MAX 200

static void request_hash(const http_req *req, unsigned char out[32])
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)req->method, strlen(req->method) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)req->path, strlen(req->path) + 1);
	if (req->body)
		crypto_hash_sha256_update(&st, (const unsigned char *)req->body, req->body_len);
	crypto_hash_sha256_final(&st, out);
}

int http_idem_begin(conn_ctx *c, http_res *res, yj_err *e)
{
	http_req *req = &c->req;
	const char *key = http_header(req, "Idempotency-Key");
	if (!key || strcmp(req->method, "POST") != 0 || !req->user || (c->route->flags & HTTP_ROUTE_OWN_RETRIES))
		return 0;
	size_t n = strlen(key);
	bool ok = n > 0 && n <= IDEM_KEY_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = key[i] > 0x20 && key[i] < 0x7f;
	if (!ok)
		return yj_fail(e, YJ_EINVAL, "Idempotency-Key", "the Idempotency-Key must be 1 to %d visible ASCII characters",
		               IDEM_KEY_MAX);
	store *s = store_thread();
	unsigned char hash[32];
	request_hash(req, hash);
	store_q *q;
	int rc = store_row(s, &q, e,
	                   "SELECT request_hash, status, content_type, body FROM idempotency WHERE user_id = ? AND idem_key = ?",
	                   req->user->id, key);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		size_t hn, bn;
		const void *h = store_col_blob(q, 0, &hn);
		bool same = hn == 32 && memcmp(h, hash, 32) == 0;
		if (same) {
			const void *body = store_col_blob(q, 3, &bn);
			res->status = (int)store_col_int(q, 1);
			res->content_type = arena_strdup(req->a, store_col_str(q, 2));
			res->body = yj_malloc(bn ? bn : 1);
			memcpy(res->body, body, bn);
			res->body_len = bn;
			http_add_header(req, res, "Idempotent-Replayed", "true");
		}
		store_done(q);
		if (!same)
			return yj_fail(e, YJ_EUNPROCESSABLE, "Idempotency-Key",
			               "this Idempotency-Key was used for a different request; use a new key");
		return 1;
	}
	c->idem_key = arena_strdup(req->a, key);
	memcpy(c->idem_hash, hash, 32);
	store_hold_commit(s);
	return 0;
}

int http_idem_end(conn_ctx *c, http_res *res, int rc, yj_err *e)
{
	if (!c->idem_key)
		return rc;
	store *s = store_thread();
	const char *key = c->idem_key;
	c->idem_key = NULL;
	if (rc != 0) {
		store_release_hold(s); /* the caller rolls back what the handler held */
		return rc;
	}
	if (res->deferred || res->sse || res->status >= 300 || (res->status && res->status < 200)) {
		/* nothing to keep: what the handler committed is committed */
		return store_commit_held(s, e) ? -1 : 0;
	}
	/* render now, so that what is kept is exactly what goes out */
	if (res->json) {
		char *text = json_dumps(res->json, JSON_COMPACT | JSON_REAL_PRECISION(12));
		if (text) {
			free(res->body);
			res->body = text;
			res->body_len = strlen(text);
			res->content_type = "application/json";
			json_decref(res->json);
			res->json = NULL;
		}
	}
	/* with the handler's writes when it made them on this thread, else in a transaction of its own */
	bool held = store_commit_is_held(s);
	store_release_hold(s);
	if (!held && store_begin(s, e))
		return -1;
	if (store_run(s, e,
	              "INSERT INTO idempotency(user_id, idem_key, request_hash, status, content_type, body, created_ms) "
	              "VALUES (?, ?, ?, ?, ?, ?, ?)",
	              c->req.user->id, key, store_blob(c->idem_hash, 32), res->status ? res->status : 200,
	              res->content_type ? res->content_type : "application/json",
	              store_blob(res->body ? res->body : "", res->body ? res->body_len : 0), yj_now_ms()) < 0 ||
	    store_commit(s, e)) {
		store_rollback_all(s);
		if (e->code == YJ_ECONFLICT)
			yj_fail(e, YJ_ECONFLICT, "Idempotency-Key",
			        "a request with this Idempotency-Key is being carried out just now; retry to get its answer");
		return -1;
	}
	return 0;
}

void http_idem_abandon(conn_ctx *c)
{
	if (!c->idem_key)
		return;
	c->idem_key = NULL;
	store *s = store_thread();
	if (s) {
		store_release_hold(s);
		store_rollback_all(s);
	}
}

static int expire(store *s, int64_t now, void *ctx, yj_err *e)
{
	return store_run(s, e, "DELETE FROM idempotency WHERE created_ms < ?", now - IDEM_KEEP_MS) < 0 ? -1 : 0;
}

void http_idem_start(void)
{
	sched_every("idempotency expiry", 3600 * 1000, expire, NULL, 0);
}
