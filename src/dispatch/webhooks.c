/*
 * webhooks.c — deliveries to member units (成员单位, e.g. the SMS gateway):
 * a signed JSON POST of the version a recipient record was told, retried
 * with exponential backoff (2, 4, 8 ... seconds, at most ten minutes)
 * until a 2xx or the last attempt. In drills the log channel records the
 * message instead of sending it.
 *
 * A job of the scheduler registered SCHED_NO_TX: the network is slow and
 * may hang, so no transaction is held while a call waits; each result is
 * its own small transaction (the record and its loop event together).
 * The member unit (its URL) is the registry's and the version's CAP
 * snapshot the warning module's: both are read through their lookups.
 */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/disp_int.h"
#include "registry/registry.h"

#define WEBHOOK_MAX_ATTEMPTS 8
#define WEBHOOK_BATCH 20

static bool curl_ready;

void disp_webhooks_start(void)
{
	if (!curl_ready)
		curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void disp_webhooks_stop(void)
{
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = false;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	return size * n;
}

/* POST body to url, signed; 0 on 2xx, else -1 and reason */
static int post_signed(const char *url, const char *body, char reason[200])
{
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(reason, 200, "cannot start an HTTP client");
		return -1;
	}
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Type: application/json");
	char ts[64], sig[128];
	int64_t now = yj_now_ms();
	snprintf(ts, sizeof ts, "X-Yingji-Timestamp: %lld", (long long)(now / 1000));
	h = curl_slist_append(h, ts);
	const char *secret = disp_cfg()->webhook_secret;
	if (secret) {
		/* HMAC-SHA256 over "<timestamp>.<body>", so a captured body cannot be replayed later */
		unsigned char mac[crypto_auth_hmacsha256_BYTES];
		crypto_auth_hmacsha256_state st;
		crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
		char tsv[32];
		int tn = snprintf(tsv, sizeof tsv, "%lld.", (long long)(now / 1000));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)tsv, (unsigned long long)tn);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
		crypto_auth_hmacsha256_final(&st, mac);
		char hex[2 * sizeof mac + 1];
		yj_hex(mac, sizeof mac, hex);
		snprintf(sig, sizeof sig, "X-Yingji-Signature: sha256=%s", hex);
		h = curl_slist_append(h, sig);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(reason, 200, "%s", curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status > 299) {
		snprintf(reason, 200, "HTTP %ld", status);
		return -1;
	}
	return 0;
}

/* the message of a record: the version it was told, as the warning module snapshot it (malloc'ed) */
static char *message_of(store *s, const disp_rcpt *r, yj_err *e)
{
	char msg_type[16], *snapshot = NULL;
	int rc = warn_version_get(s, r->warning_id, r->version, msg_type, &snapshot, e);
	if (rc <= 0)
		return NULL;
	json_t *snap = json_loads(snapshot, 0, NULL);
	free(snapshot);
	json_t *msg = json_pack("{s:I, s:I, s:i, s:s, s:o}", "recipient_id", (json_int_t)r->id, "warning_id",
	                        (json_int_t)r->warning_id, "version", r->version, "msg_type", msg_type, "warning",
	                        snap ? snap : json_null());
	char *body = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	return body;
}

/* one attempt at one record: sent (or logged) now, its result written and told in a transaction of its own */
static int attempt(store *s, const disp_rcpt *r, yj_err *e)
{
	char reason[200] = "";
	int ok = -1;
	reg_member_unit mu;
	int found = reg_member_unit_get(s, r->unit_id, &mu, e);
	if (found < 0)
		return -1;
	char *body = message_of(s, r, e);
	if (e->code != YJ_OK) {
		free(body);
		return -1;
	}
	if (!body) {
		snprintf(reason, sizeof reason, "version %d of warning %lld is gone", r->version, (long long)r->warning_id);
	} else if (strcmp(r->channel, "log") == 0) {
		/* drills: the message is recorded, not sent */
		yj_log(YJ_LOG_INFO, "dispatch_log", "recipient=%lld warning=%lld version=%d bytes=%zu", (long long)r->id,
		       (long long)r->warning_id, r->version, strlen(body));
		ok = 0;
	} else if (found == 0) {
		snprintf(reason, sizeof reason, "member unit %lld is gone", (long long)r->unit_id);
	} else {
		ok = post_signed(mu.webhook_url, body, reason);
	}
	free(body);
	int attempts = r->attempts + 1;
	bool last = ok != 0 && (attempts >= WEBHOOK_MAX_ATTEMPTS || found == 0);
	yj_log(ok == 0 ? YJ_LOG_INFO : YJ_LOG_WARN, "webhook", "recipient=%lld attempt=%d result=%s", (long long)r->id,
	       attempts, ok == 0 ? "delivered" : reason);
	int64_t t = yj_now_ms();
	if (store_begin(s, e))
		return -1;
	int rc;
	if (ok == 0) {
		rc = disp_db_hook_delivered(s, r, attempts, t, e);
	} else if (last) {
		rc = disp_db_hook_failed(s, r, attempts, t, reason, e);
	} else {
		int64_t backoff = 1000LL << (attempts > 9 ? 9 : attempts);
		rc = disp_db_hook_retry(s, r, attempts, t, backoff > 600000 ? 600000 : backoff, reason, e);
	}
	if (rc || disp_emit_loop(s, r->warning_id, r->area_code, e) || store_commit(s, e)) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

int disp_webhooks_due(store *s, int64_t now, void *ctx, yj_err *e)
{
	disp_rcpt due[WEBHOOK_BATCH];
	long n = disp_db_hooks_due(s, now, due, WEBHOOK_BATCH, e);
	if (n < 0)
		return -1;
	for (long i = 0; i < n; i++)
		if (attempt(s, &due[i], e))
			return -1;
	return n == WEBHOOK_BATCH ? 1 : 0;
}
