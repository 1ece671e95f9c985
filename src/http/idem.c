/*
 * idem.c — safe retries: a request sent with an Idempotency-Key header
 * (IETF httpapi draft) is carried out once. The handler runs inside a
 * transaction of the request's own (the store nests the handler's
 * transactions in it), and its answer is recorded in that same
 * transaction, so a request either committed together with its answer or
 * not at all — a retry after a lost answer, even after kill -9, gets the
 * first answer again (with Idempotent-Replayed: true) instead of running
 * twice or failing on its own success. The same key with another request
 * is 422. Only successful answers are kept (a refused request wrote
 * nothing; running it again is harmless); they are kept a day.
 *
 * Routes that answer after another thread's commit (acknowledgements on
 * the group writer, telemetry on its writer) must not hold this thread's
 * write lock meanwhile: they are registered with HTTP_ROUTE_OWN_RETRIES
 * and keep their own retry semantics (an ack is idempotent, telemetry is
 * stored once per device, time and metric).
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
	/* heavy routes (imports, telemetry) are left out too: telemetry waits for its writer */
	if (!key || strcmp(req->method, "POST") != 0 || !req->user || (c->route->flags & HTTP_ROUTE_OWN_RETRIES) ||
	    c->heavy)
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
	/* the write lock first: a second request with this key waits for the first to finish */
	if (store_begin(s, e))
		return -1;
	store_q *q;
	int rc = store_row(s, &q, e,
	                   "SELECT request_hash, status, content_type, body FROM idempotency WHERE user_id = ? AND idem_key = ?",
	                   req->user->id, key);
	if (rc < 0) {
		store_rollback_all(s);
		return -1;
	}
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
		store_rollback_all(s);
		if (!same)
			return yj_fail(e, YJ_EUNPROCESSABLE, "Idempotency-Key",
			               "this Idempotency-Key was used for a different request; use a new key");
		return 1;
	}
	c->idem_key = arena_strdup(req->a, key);
	memcpy(c->idem_hash, hash, 32);
	return 0;
}

int http_idem_end(conn_ctx *c, http_res *res, int rc, yj_err *e)
{
	if (!c->idem_key)
		return rc;
	store *s = store_thread();
	c->idem_key = NULL;
	if (rc != 0 || res->deferred || res->sse || res->status >= 300 || (res->status && res->status < 200)) {
		/* nothing to keep: a refused request wrote nothing (the caller rolls back on failure) */
		if (rc == 0 && !store_in_tx(s))
			return rc;
		if (rc == 0 && store_commit(s, e))
			return -1;
		return rc;
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
	if (store_run(s, e,
	              "INSERT INTO idempotency(user_id, idem_key, request_hash, status, content_type, body, created_ms) "
	              "VALUES (?, ?, ?, ?, ?, ?, ?)",
	              c->req.user->id, http_header(&c->req, "Idempotency-Key"), store_blob(c->idem_hash, 32),
	              res->status ? res->status : 200, res->content_type ? res->content_type : "application/json",
	              store_blob(res->body ? res->body : "", res->body ? res->body_len : 0), yj_now_ms()) < 0 ||
	    store_commit(s, e)) {
		store_rollback_all(s);
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
	if (s)
		store_rollback_all(s);
}

static int expire(store *s, int64_t now, void *ctx, yj_err *e)
{
	return store_run(s, e, "DELETE FROM idempotency WHERE created_ms < ?", now - IDEM_KEEP_MS) < 0 ? -1 : 0;
}

void http_idem_start(void)
{
	sched_every("idempotency expiry", 3600 * 1000, expire, NULL, 0);
}
