/*
 * cap_db.c — the SQL of the CAP alerts this bureau received: table
 * `cap_alert` (each alert once, by sender and identifier, with its bytes)
 * and `cap_alert_ref` (its references, by the alert they name, so that a
 * message that arrives before the alert it refers to can be found when
 * that alert arrives). Nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "warning/warn_int.h"

#define CAP_COLS                                                                                             \
	"c.id, c.sender, c.identifier, c.msg_type, c.status, c.version, c.sent_ms, c.received_ms, "           \
	"coalesce(c.received_by, 0), coalesce(c.warning_id, 0), c.refs"

static void fill(store_q *q, cap_row *r)
{
	memset(r, 0, sizeof *r);
	r->id = store_col_int(q, 0);
	store_col_copy(q, 1, r->sender, sizeof r->sender);
	store_col_copy(q, 2, r->identifier, sizeof r->identifier);
	store_col_copy(q, 3, r->msg_type, sizeof r->msg_type);
	store_col_copy(q, 4, r->status, sizeof r->status);
	store_col_copy(q, 5, r->version, sizeof r->version);
	r->sent_ms = store_col_int(q, 6);
	r->received_ms = store_col_int(q, 7);
	r->received_by = store_col_int(q, 8);
	r->warning_id = store_col_int(q, 9);
	r->refs = store_col_json(q, 10);
	if (!json_is_array(r->refs)) {
		json_decref(r->refs);
		r->refs = json_array();
	}
}

void cap_row_clear(cap_row *r)
{
	json_decref(r->refs);
	free(r->xml);
	r->refs = NULL;
	r->xml = NULL;
}

int cap_db_find(store *s, const char *sender, const char *identifier, cap_row *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT " CAP_COLS " FROM cap_alert c WHERE c.sender = ? AND c.identifier = ?",
	                   sender, identifier);
	if (rc > 0) {
		fill(q, out);
		store_done(q);
	}
	return rc;
}

int cap_db_get(store *s, int64_t id, cap_row *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT " CAP_COLS ", c.xml FROM cap_alert c WHERE c.id = ?", id);
	if (rc > 0) {
		fill(q, out);
		out->xml = yj_strdup(store_col_str(q, 11));
		store_done(q);
	}
	return rc;
}

int cap_db_insert(store *s, json_t *alert, const char *xml, size_t xml_len, int64_t received_by, int64_t received_ms,
                  int64_t *id_out, yj_err *e)
{
	json_t *refs = json_object_get(alert, "references"), *none = json_array();
	int rc = store_get_int(s, id_out, e,
	                       "INSERT INTO cap_alert(identifier, sender, sent_ms, status, msg_type, refs, version, xml, "
	                       "received_ms, received_by) VALUES (?,?,?,?,?,?,?,?,?,?) "
	                       "ON CONFLICT (sender, identifier) DO NOTHING RETURNING id",
	                       json_string_value(json_object_get(alert, "identifier")),
	                       json_string_value(json_object_get(alert, "sender")),
	                       (int64_t)json_integer_value(json_object_get(alert, "sent_ms")),
	                       json_string_value(json_object_get(alert, "status")),
	                       json_string_value(json_object_get(alert, "msgType")), json_is_array(refs) ? refs : none,
	                       json_string_value(json_object_get(alert, "version")), store_textn(xml, xml_len),
	                       received_ms, store_id_or_null(received_by));
	json_decref(none);
	if (rc <= 0)
		return rc;
	size_t i;
	json_t *ref;
	json_array_foreach(refs, i, ref) {
		const char *sender = json_string_value(json_object_get(ref, "sender"));
		const char *ident = json_string_value(json_object_get(ref, "identifier"));
		const char *sent = json_string_value(json_object_get(ref, "sent"));
		if (!sender || !ident)
			continue;
		if (store_run(s, e,
		              "INSERT INTO cap_alert_ref(alert_id, sender, identifier, sent) VALUES (?,?,?,?) "
		              "ON CONFLICT DO NOTHING",
		              *id_out, sender, ident, sent ? sent : "") < 0)
			return -1;
	}
	return 1;
}

int cap_db_link(store *s, int64_t alert_id, int64_t warning_id, yj_err *e)
{
	int64_t n = store_run(s, e, "UPDATE cap_alert SET warning_id = ? WHERE id = ?", store_id_or_null(warning_id),
	                      alert_id);
	if (n < 0)
		return -1;
	return n == 1 ? 0 : yj_fail(e, YJ_ENOTFOUND, "", "no CAP alert %lld", (long long)alert_id);
}

static int cap_of(store_q *q, void *ctx, yj_err *e)
{
	const warn_visit *v = ctx;
	cap_row r;
	fill(q, &r);
	int rc = v->fn.cap(v->s, &r, v->ctx, e);
	cap_row_clear(&r);
	return rc;
}

int cap_db_referring_each(store *s, const char *sender, const char *identifier, cap_row_fn fn, void *ctx, yj_err *e)
{
	return store_each(store_query(s, e,
	                              "SELECT " CAP_COLS " FROM cap_alert c JOIN cap_alert_ref r ON r.alert_id = c.id "
	                              "WHERE r.sender = ? AND r.identifier = ? ORDER BY c.id",
	                              sender, identifier),
	                  cap_of, &(warn_visit){.s = s, .ctx = ctx, .fn.cap = fn}, e);
}
