/*
 * disp_api.c — HTTP endpoints of the closed loop:
 *   GET  /api/v1/me/inbox                     my warnings (and escalations to me)
 *   GET  /api/v1/me/inbox/{warning}           one; opening marks it read
 *   POST /api/v1/me/inbox/{warning}/ack       acknowledge (idempotent)
 *   GET  /api/v1/me/inbox/stream              Server-Sent Events for my inbox
 *   GET  /api/v1/me/tasks                     my transfer tasks (临灾转移)
 *   GET  /api/v1/warnings/{id}/recipients?state=&area=&channel=&limit=&cursor=
 *   GET  /api/v1/warnings/{id}/loop?group_by=town|village      and /loop/stream
 *   GET  /api/v1/warnings/{id}/tasks?state=&area=
 *   GET  /api/v1/transfer-tasks/{id}          with its reports
 *   POST /api/v1/transfer-tasks/{id}/reports  moved persons (Idempotency-Key)
 *   POST /api/v1/transfer-tasks/{id}/chase    a commander chases an open task
 *   GET/POST /api/v1/member-units, PATCH /api/v1/member-units/{id}
 *
 * Reads that change state (opening = read) and acknowledgements go through
 * the group-commit writer: many people confirming at once share fsyncs.
 */
#include <stdlib.h>
#include <string.h>

#include "dispatch/disp_int.h"
#include "http/http.h"

#define LOOP_VIEWERS ROLES_STAFF
#define TASK_STAFF (ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_DUTY_OFFICER))

/* ---- inbox streams --------------------------------------------------------------------------- */

static bool want_one(void *ctx, int64_t uid)
{
	return uid == *(int64_t *)ctx;
}

void disp_publish_user(int64_t user_id, const char *event, const char *data)
{
	http_sse_publish_users("inbox", event, want_one, &user_id, data);
}

typedef struct id_set {
	int64_t *ids;
	size_t n;
} id_set;

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static bool want_in_set(void *ctx, int64_t uid)
{
	id_set *set = ctx;
	return bsearch(&uid, set->ids, set->n, sizeof *set->ids, cmp_id) != NULL;
}

void disp_publish_warning(int64_t warning_id, const char *event, const char *data)
{
	if (http_sse_topic_clients("inbox") == 0)
		return;
	store *s = store_thread();
	sqlite3_stmt *st = s ? store_stmt(s, "SELECT user_id FROM recipient WHERE warning_id = ? AND user_id IS NOT NULL "
	                                     "ORDER BY user_id", NULL)
	                     : NULL;
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, warning_id);
	id_set set = {0};
	size_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (set.n == cap) {
			cap = cap ? cap * 2 : 1024;
			set.ids = realloc(set.ids, cap * sizeof *set.ids);
		}
		set.ids[set.n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (set.n) /* no recipients yet (a draft): nobody's inbox to tell */
		http_sse_publish_users("inbox", event, want_in_set, &set, data);
	free(set.ids);
}

static void publish_loop(int64_t warning_id, const char *event, const char *area)
{
	char topic[48], data[128];
	snprintf(topic, sizeof topic, "loop:%lld", (long long)warning_id);
	snprintf(data, sizeof data, "{\"warning_id\":%lld,\"area\":\"%s\"}", (long long)warning_id, area ? area : "");
	http_sse_publish(topic, event, NULL, NULL, data);
}

/* ---- helpers ----------------------------------------------------------------------------------- */

static json_t *time_or_null(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	char t[40];
	yj_time_format(sqlite3_column_int64(st, col), t);
	return json_string(t);
}

static int parse_id_param(http_req *req, const char *name, int64_t *out, yj_err *e)
{
	long v;
	if (yj_parse_long(http_param(req, name), 1, 0x7fffffffL, &v, name, e))
		return -1;
	*out = v;
	return 0;
}

/* a warning the caller may watch: its jurisdiction or a target inside the caller's */
static int visible_warning(http_req *req, int64_t id, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(store_thread(),
	                              "SELECT 1 FROM warning w WHERE id = ?1 AND (substr(area_code, 1, length(?2)) = ?2 OR "
	                              "EXISTS (SELECT 1 FROM json_each(w.areas) WHERE substr(value, 1, length(?2)) = ?2))",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, req->user->area_prefix);
	bool ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return ok ? 0 : yj_fail(e, YJ_ENOTFOUND, "id", "no warning %lld", (long long)id);
}

/* ---- inbox ---------------------------------------------------------------------------------------- */

#define INBOX_SELECT \
	"SELECT w.id, w.identifier, w.version, w.type, w.level, w.headline, w.description, w.instruction, w.areas, " \
	"w.expires_ms, w.state, w.evacuation, r.id, r.state, r.version, r.delivered_ms, r.read_ms, r.acked_ms, w.issued_ms " \
	"FROM recipient r JOIN warning w ON w.id = r.warning_id WHERE r.user_id = ?1 AND r.channel = 'in_app'"

/* names of the area codes in a JSON array, for people to read */
static json_t *area_names(json_t *codes)
{
	json_t *names = json_array();
	sqlite3_stmt *st = store_stmt(store_thread(), "SELECT name FROM area WHERE code = ?", NULL);
	size_t i;
	json_t *c;
	json_array_foreach(codes, i, c) {
		const char *n = "";
		if (st) {
			store_bind_text(st, 1, json_string_value(c));
			if (sqlite3_step(st) == SQLITE_ROW)
				n = (const char *)sqlite3_column_text(st, 0);
		}
		json_array_append_new(names, json_string(n));
		if (st)
			sqlite3_reset(st);
	}
	return names;
}

static json_t *inbox_item(sqlite3_stmt *st)
{
	json_t *w = json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:b, s:o}", "id",
	                      (json_int_t)sqlite3_column_int64(st, 0), "identifier", (const char *)sqlite3_column_text(st, 1),
	                      "version", sqlite3_column_int(st, 2), "type", (const char *)sqlite3_column_text(st, 3), "level",
	                      (const char *)sqlite3_column_text(st, 4), "headline", (const char *)sqlite3_column_text(st, 5),
	                      "description", (const char *)sqlite3_column_text(st, 6), "instruction",
	                      (const char *)sqlite3_column_text(st, 7), "areas",
	                      json_loads((const char *)sqlite3_column_text(st, 8), 0, NULL), "expires", time_or_null(st, 9),
	                      "state", (const char *)sqlite3_column_text(st, 10), "evacuation", sqlite3_column_int(st, 11),
	                      "issued", time_or_null(st, 18));
	json_t *r = json_pack("{s:I, s:s, s:i, s:o, s:o, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 12), "state",
	                      (const char *)sqlite3_column_text(st, 13), "version", sqlite3_column_int(st, 14), "delivered",
	                      time_or_null(st, 15), "read", time_or_null(st, 16), "acknowledged", time_or_null(st, 17));
	json_object_set_new(w, "area_names", area_names(json_object_get(w, "areas")));
	return json_pack("{s:o, s:o}", "warning", w, "recipient", r);
}

static int handle_inbox(http_req *req, http_res *res, yj_err *e)
{
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(s, INBOX_SELECT " ORDER BY w.issued_ms DESC LIMIT 200", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, req->user->id);
	json_t *items = json_array();
	long unacked = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *it = inbox_item(st);
		const char *rs = json_string_value(json_object_get(json_object_get(it, "recipient"), "state"));
		const char *ws = json_string_value(json_object_get(json_object_get(it, "warning"), "state"));
		unacked += strcmp(rs, "acknowledged") != 0 && strcmp(ws, "issued") == 0;
		json_array_append_new(items, it);
	}
	sqlite3_reset(st);
	/* escalations addressed to me (I am a supervisor one level up) */
	st = store_stmt(s,
	                "SELECT e.id, e.warning_id, e.step, e.from_area, e.to_area, e.created_ms, u.username, u.display_name, "
	                "r.state, w.headline FROM escalation e JOIN recipient r ON r.id = e.recipient_id "
	                "JOIN user u ON u.id = r.user_id JOIN warning w ON w.id = e.warning_id "
	                "WHERE e.resolved_ms IS NULL AND e.to_area = ?2 "
	                "AND EXISTS (SELECT 1 FROM json_each(e.supervisors) WHERE value = ?1) "
	                "ORDER BY e.id DESC LIMIT 500",
	                e);
	if (!st) {
		json_decref(items);
		return -1;
	}
	sqlite3_bind_int64(st, 1, req->user->id);
	store_bind_text(st, 2, req->user->area_code);
	json_t *esc = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(esc, json_pack("{s:I, s:I, s:i, s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "id",
		                                     (json_int_t)sqlite3_column_int64(st, 0), "warning_id",
		                                     (json_int_t)sqlite3_column_int64(st, 1), "step", sqlite3_column_int(st, 2),
		                                     "from_area", (const char *)sqlite3_column_text(st, 3), "to_area",
		                                     (const char *)sqlite3_column_text(st, 4), "created", time_or_null(st, 5),
		                                     "recipient", (const char *)sqlite3_column_text(st, 6), "recipient_name",
		                                     (const char *)sqlite3_column_text(st, 7), "recipient_state",
		                                     (const char *)sqlite3_column_text(st, 8), "headline",
		                                     (const char *)sqlite3_column_text(st, 9)));
	sqlite3_reset(st);
	http_json(res, 200, json_pack("{s:o, s:I, s:o}", "items", items, "unacknowledged", (json_int_t)unacked, "escalations", esc));
	return 0;
}

/* opening an inbox item marks it read */
typedef struct rcpt_job {
	int64_t recipient, warning;
	int version;
	const auth_user *user;
	char state[24];
} rcpt_job;

static int rcpt_job_run(store *s, void *ctx, yj_err *e)
{
	rcpt_job *j = ctx;
	int64_t now = yj_now_ms();
	sqlite3_stmt *st = store_stmt(s,
	                              "UPDATE recipient SET state = 'read', read_ms = ?1 WHERE id = ?2 AND version = ?3 "
	                              "AND state = 'delivered'",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, j->recipient);
	sqlite3_bind_int(st, 3, j->version);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return store_fail(s, e, "recipient state");
	}
	sqlite3_reset(st);
	if (sqlite3_changes(store_db(s)) == 0) {
		snprintf(j->state, sizeof j->state, "unchanged");
		return 0;
	}
	snprintf(j->state, sizeof j->state, "read");
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)j->recipient);
	json_t *state = json_pack("{s:I, s:i, s:s}", "warning_id", (json_int_t)j->warning, "version", j->version, "state", j->state);
	int rc = audit_append(s, j->user, "recipient.read", "recipient", idbuf, state, e);
	json_decref(state);
	return rc;
}

static int my_recipient(http_req *req, int64_t warning, int64_t *rid, int *version, char state[24], char area[16], yj_err *e)
{
	sqlite3_stmt *st = store_stmt(store_thread(),
	                              "SELECT id, version, state, area_code FROM recipient WHERE warning_id = ? AND user_id = ? "
	                              "AND channel = 'in_app'",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, warning);
	sqlite3_bind_int64(st, 2, req->user->id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*rid = sqlite3_column_int64(st, 0);
		*version = sqlite3_column_int(st, 1);
		snprintf(state, 24, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(area, 16, "%s", (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : yj_fail(e, YJ_ENOTFOUND, "warning", "warning %lld is not in your inbox", (long long)warning);
}

static int inbox_one(http_req *req, http_res *res, int64_t warning, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(store_thread(), INBOX_SELECT " AND w.id = ?2", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, req->user->id);
	sqlite3_bind_int64(st, 2, warning);
	json_t *it = sqlite3_step(st) == SQLITE_ROW ? inbox_item(st) : NULL;
	sqlite3_reset(st);
	if (!it)
		return yj_fail(e, YJ_ENOTFOUND, "warning", "warning %lld is not in your inbox", (long long)warning);
	http_json(res, 200, it);
	return 0;
}

static int handle_inbox_open(http_req *req, http_res *res, yj_err *e)
{
	int64_t warning, rid = 0;
	int version = 0;
	char state[24] = "", area[16] = "";
	if (parse_id_param(req, "warning", &warning, e) || my_recipient(req, warning, &rid, &version, state, area, e))
		return -1;
	if (!strcmp(state, "delivered")) {
		rcpt_job j = {.recipient = rid, .warning = warning, .version = version, .user = req->user};
		if (store_group_run(rcpt_job_run, &j, e))
			return -1;
		publish_loop(warning, "loop", area);
	}
	return inbox_one(req, res, warning, e);
}

/*
 * Acknowledging is the loop's hottest write (a city-wide warning: every grid
 * worker within minutes), so all of it runs on the group writer, found,
 * checked, changed and audited in one job, while the connection waits
 * without a thread; the answer is the recipient record and the warning's
 * version and state, not the whole warning again.
 */
typedef struct ack_job {
	int64_t warning;
	int asked; /* the version the client confirms (0: the current one) */
	const auth_user *user;
	/* the recipient record after the job */
	int64_t recipient, delivered_ms, read_ms, acked_ms;
	int version, wversion;
	char state[24], wstate[24], area[16];
	bool escalated; /* escalations were raised for this recipient: the ack resolves them */
	bool changed;
} ack_job;

/* run an UPDATE whose ?1 is a time and ?2 an id */
static int update_at(store *s, const char *sql, int64_t now, int64_t id, const char *what, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s, sql, e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, e, what);
}

static int ack_job_run(store *s, void *ctx, yj_err *e)
{
	ack_job *j = ctx;
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT r.id, r.version, r.state, r.area_code, r.delivered_ms, r.read_ms, r.acked_ms, "
	                              "w.state, w.version, r.escalations FROM recipient r JOIN warning w ON w.id = r.warning_id "
	                              "WHERE r.warning_id = ?1 AND r.user_id = ?2 AND r.channel = 'in_app'",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, j->warning);
	sqlite3_bind_int64(st, 2, j->user->id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		j->recipient = sqlite3_column_int64(st, 0);
		j->version = sqlite3_column_int(st, 1);
		snprintf(j->state, sizeof j->state, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(j->area, sizeof j->area, "%s", (const char *)sqlite3_column_text(st, 3));
		j->delivered_ms = sqlite3_column_int64(st, 4);
		j->read_ms = sqlite3_column_int64(st, 5);
		j->acked_ms = sqlite3_column_int64(st, 6);
		snprintf(j->wstate, sizeof j->wstate, "%s", (const char *)sqlite3_column_text(st, 7));
		j->wversion = sqlite3_column_int(st, 8);
		j->escalated = sqlite3_column_int(st, 9) > 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? yj_fail(e, YJ_ENOTFOUND, "warning", "warning %lld is not in your inbox", (long long)j->warning)
		                         : store_fail(s, e, "find the recipient");
	if (j->asked && j->asked != j->version)
		return yj_fail(e, YJ_ECONFLICT, "version", "version %d was replaced by version %d: read it, then acknowledge",
		               j->asked, j->version);
	/* acknowledging twice is fine: a phone that lost the answer retries */
	if (!strcmp(j->state, "acknowledged"))
		return 0;
	if (strcmp(j->wstate, "issued") != 0)
		return yj_fail(e, YJ_ECONFLICT, "warning", "warning %lld is %s: nothing to acknowledge", (long long)j->warning,
		               j->wstate);
	int64_t now = yj_now_ms();
	/* next_escalation_ms stays: the escalation scan drops answered ones in bulk */
	if (update_at(s,
	              "UPDATE recipient SET state = 'acknowledged', acked_ms = ?1, read_ms = coalesce(read_ms, ?1) "
	              "WHERE id = ?2 AND state IN ('delivered', 'read')",
	              now, j->recipient, "acknowledge", e))
		return -1;
	if (sqlite3_changes(store_db(s)) == 0)
		return yj_fail(e, YJ_ECONFLICT, "state", "a %s recipient cannot acknowledge", j->state);
	j->changed = true;
	j->acked_ms = now;
	if (!j->read_ms)
		j->read_ms = now;
	snprintf(j->state, sizeof j->state, "acknowledged");
	if (j->escalated && update_at(s, "UPDATE escalation SET resolved_ms = ?1 WHERE recipient_id = ?2 AND resolved_ms IS NULL",
	                              now, j->recipient, "resolve escalations", e))
		return -1;
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)j->recipient);
	json_t *state = json_pack("{s:I, s:i, s:s}", "warning_id", (json_int_t)j->warning, "version", j->version, "state",
	                          j->state);
	rc = audit_append(s, j->user, "recipient.ack", "recipient", idbuf, state, e);
	json_decref(state);
	return rc;
}

static json_t *ms_or_null(int64_t ms)
{
	if (!ms)
		return json_null();
	char t[40];
	yj_time_format(ms, t);
	return json_string(t);
}

static int ack_answer(http_req *req, http_res *res, void *ctx, int rc, yj_err *e)
{
	ack_job *j = ctx;
	if (rc)
		return -1;
	if (j->changed)
		publish_loop(j->warning, "loop", j->area);
	http_json(res, 200,
	          json_pack("{s:{s:I, s:i, s:s}, s:{s:I, s:s, s:i, s:o, s:o, s:o}}", "warning", "id", (json_int_t)j->warning,
	                    "version", j->wversion, "state", j->wstate, "recipient", "id", (json_int_t)j->recipient, "state",
	                    j->state, "version", j->version, "delivered", ms_or_null(j->delivered_ms), "read",
	                    ms_or_null(j->read_ms), "acknowledged", ms_or_null(j->acked_ms)));
	return 0;
}

static int handle_inbox_ack(http_req *req, http_res *res, yj_err *e)
{
	int64_t warning;
	if (parse_id_param(req, "warning", &warning, e))
		return -1;
	ack_job *j = arena_alloc(req->a, sizeof *j);
	memset(j, 0, sizeof *j);
	j->warning = warning;
	j->user = req->user;
	if (req->body_len) {
		json_t *body = http_json_body(req, e);
		if (!body)
			return -1;
		json_t *v = json_object_get(body, "version");
		bool bad = v && (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000);
		j->asked = bad || !v ? 0 : (int)json_integer_value(v);
		json_decref(body);
		if (bad)
			return yj_fail(e, YJ_EINVAL, "version", "field 'version' must be a whole number from 1");
	}
	return http_defer_group(req, res, ack_job_run, j, ack_answer);
}

static int handle_inbox_stream(http_req *req, http_res *res, yj_err *e)
{
	char hello[64];
	snprintf(hello, sizeof hello, "{\"stream\":\"inbox\",\"user\":%lld}", (long long)req->user->id);
	return http_sse_open(req, res, "inbox", "", NULL, hello, e);
}

/* ---- recipients ------------------------------------------------------------------------------------- */

static int handle_recipients(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (parse_id_param(req, "id", &id, e) || visible_warning(req, id, e))
		return -1;
	const char *state = http_query(req, "state"), *area = http_query(req, "area"), *channel = http_query(req, "channel");
	long limit = 200, cursor = 0;
	if ((http_query(req, "limit") && yj_parse_long(http_query(req, "limit"), 1, 5000, &limit, "limit", e)) ||
	    (http_query(req, "cursor") && yj_parse_long(http_query(req, "cursor"), 0, 0x7fffffffL, &cursor, "cursor", e)))
		return -1;
	static const char *const states[] = {"queued", "sent", "delivered", "read", "acknowledged", "failed", "unacknowledged", NULL};
	bool ok = !state;
	for (int i = 0; state && states[i]; i++)
		ok |= strcmp(states[i], state) == 0;
	if (!ok)
		return yj_fail(e, YJ_EINVAL, "state", "field 'state' must be queued, sent, delivered, read, acknowledged, failed or unacknowledged");
	char prefix[16];
	if (area) {
		if (http_require_area(req, area, "area", e))
			return -1;
		auth_area_prefix(area, prefix);
	} else {
		snprintf(prefix, sizeof prefix, "%s", req->user->area_prefix);
	}
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT r.id, r.user_id, u.username, u.display_name, u.phone, r.unit_id, m.name, r.area_code, "
	                              "a.name, r.channel, r.state, r.version, r.queued_ms, r.sent_ms, r.delivered_ms, r.read_ms, "
	                              "r.acked_ms, r.failed_ms, r.fail_reason, r.attempts, r.escalations "
	                              "FROM recipient r LEFT JOIN user u ON u.id = r.user_id LEFT JOIN member_unit m ON m.id = r.unit_id "
	                              "LEFT JOIN area a ON a.code = r.area_code WHERE r.warning_id = ?1 "
	                              "AND r.area_code >= ?2 AND r.area_code < ?2 || ':' "
	                              "AND (?3 IS NULL OR r.state = ?3 OR (?3 = 'unacknowledged' AND r.state != 'acknowledged' AND r.channel = 'in_app')) "
	                              "AND (?4 IS NULL OR r.channel = ?4) AND r.id > ?5 ORDER BY r.id LIMIT ?6",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, prefix);
	store_bind_text(st, 3, state);
	store_bind_text(st, 4, channel);
	sqlite3_bind_int64(st, 5, cursor);
	sqlite3_bind_int64(st, 6, limit + 1);
	json_t *items = json_array();
	long n = 0;
	int64_t last = 0;
	bool more = false;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == limit) {
			more = true;
			break;
		}
		last = sqlite3_column_int64(st, 0);
		json_t *it = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i}", "id", (json_int_t)last, "area_code",
		                       (const char *)sqlite3_column_text(st, 7), "area_name",
		                       sqlite3_column_type(st, 8) == SQLITE_NULL ? "" : (const char *)sqlite3_column_text(st, 8),
		                       "channel", (const char *)sqlite3_column_text(st, 9), "state",
		                       (const char *)sqlite3_column_text(st, 10), "version", sqlite3_column_int(st, 11));
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			json_object_set_new(it, "user", json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 1),
			                                          "username", (const char *)sqlite3_column_text(st, 2), "display_name",
			                                          (const char *)sqlite3_column_text(st, 3), "phone",
			                                          (const char *)sqlite3_column_text(st, 4)));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			json_object_set_new(it, "unit", json_pack("{s:I, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 5), "name",
			                                          (const char *)sqlite3_column_text(st, 6)));
		static const char *const times[] = {"queued", "sent", "delivered", "read", "acknowledged", "failed"};
		json_t *t = json_object();
		for (int k = 0; k < 6; k++)
			json_object_set_new(t, times[k], time_or_null(st, 12 + k));
		json_object_set_new(it, "times", t);
		if (sqlite3_column_type(st, 18) != SQLITE_NULL)
			json_object_set_new(it, "fail_reason", json_string((const char *)sqlite3_column_text(st, 18)));
		json_object_set_new(it, "attempts", json_integer(sqlite3_column_int(st, 19)));
		json_object_set_new(it, "escalations", json_integer(sqlite3_column_int(st, 20)));
		json_array_append_new(items, it);
		n++;
	}
	sqlite3_reset(st);
	json_t *next = more ? json_sprintf("%lld", (long long)last) : json_null();
	http_json(res, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
	return 0;
}

/* ---- the loop view ---------------------------------------------------------------------------------- */

static json_t *group_for(json_t *groups, const char *code)
{
	json_t *g = json_object_get(groups, code);
	if (!g) {
		g = json_pack("{s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I}", "code", code, "recipients",
		              (json_int_t)0, "states", "queued", (json_int_t)0, "sent", (json_int_t)0, "delivered", (json_int_t)0,
		              "read", (json_int_t)0, "acknowledged", (json_int_t)0, "failed", (json_int_t)0, "planned",
		              (json_int_t)0, "moved", (json_int_t)0, "tasks", (json_int_t)0, "open_tasks", (json_int_t)0,
		              "open_escalations", (json_int_t)0);
		json_object_set_new(groups, code, g);
	}
	return g;
}

static void add_int(json_t *o, const char *key, json_int_t v)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + v));
}

static int handle_loop(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (parse_id_param(req, "id", &id, e) || visible_warning(req, id, e))
		return -1;
	const char *by = http_query(req, "group_by");
	if (by && strcmp(by, "town") && strcmp(by, "village"))
		return yj_fail(e, YJ_EINVAL, "group_by", "field 'group_by' must be town or village");
	int len = by && !strcmp(by, "village") ? 12 : 9;
	store *s = store_thread();
	json_t *groups = json_object();
	const char *prefix = req->user->area_prefix;
	/* the group key: the area cut to the level asked; higher-level recipients keep their own area */
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT CASE WHEN length(area_code) >= ?2 THEN substr(area_code, 1, ?2) ELSE area_code END AS k, "
	                              "state, count(*) FROM recipient WHERE warning_id = ?1 AND channel = 'in_app' "
	                              "AND substr(area_code, 1, length(?3)) = ?3 GROUP BY k, state",
	                              e);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, len);
	store_bind_text(st, 3, prefix);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *g = group_for(groups, (const char *)sqlite3_column_text(st, 0));
		json_int_t n = sqlite3_column_int64(st, 2);
		add_int(g, "recipients", n);
		add_int(json_object_get(g, "states"), (const char *)sqlite3_column_text(st, 1), n);
	}
	sqlite3_reset(st);
	st = store_stmt(s,
	                "SELECT CASE WHEN length(area_code) >= ?2 THEN substr(area_code, 1, ?2) ELSE area_code END AS k, "
	                "sum(planned), sum(moved), count(*), sum(state = 'open') FROM transfer_task WHERE warning_id = ?1 "
	                "AND substr(area_code, 1, length(?3)) = ?3 GROUP BY k",
	                e);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, len);
	store_bind_text(st, 3, prefix);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *g = group_for(groups, (const char *)sqlite3_column_text(st, 0));
		add_int(g, "planned", sqlite3_column_int64(st, 1));
		add_int(g, "moved", sqlite3_column_int64(st, 2));
		add_int(g, "tasks", sqlite3_column_int64(st, 3));
		add_int(g, "open_tasks", sqlite3_column_int64(st, 4));
	}
	sqlite3_reset(st);
	st = store_stmt(s,
	                "SELECT CASE WHEN length(r.area_code) >= ?2 THEN substr(r.area_code, 1, ?2) ELSE r.area_code END AS k, "
	                "count(*) FROM escalation x JOIN recipient r ON r.id = x.recipient_id WHERE x.warning_id = ?1 "
	                "AND x.resolved_ms IS NULL AND substr(r.area_code, 1, length(?3)) = ?3 GROUP BY k",
	                e);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, len);
	store_bind_text(st, 3, prefix);
	while (sqlite3_step(st) == SQLITE_ROW)
		add_int(group_for(groups, (const char *)sqlite3_column_text(st, 0)), "open_escalations", sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	/* names, percentages, closure; totals */
	json_t *list = json_array();
	json_t *holder = json_object();
	json_t *tot = json_incref(group_for(holder, "total"));
	json_decref(holder);
	sqlite3_stmt *nm = store_stmt(s, "SELECT name, lon, lat FROM area WHERE code = ?", NULL);
	const char *code;
	json_t *g;
	json_object_foreach(groups, code, g) {
		store_bind_text(nm, 1, code);
		if (sqlite3_step(nm) == SQLITE_ROW) {
			json_object_set_new(g, "name", json_string((const char *)sqlite3_column_text(nm, 0)));
			if (sqlite3_column_type(nm, 1) != SQLITE_NULL)
				json_object_set_new(g, "point", json_pack("[f,f]", sqlite3_column_double(nm, 1), sqlite3_column_double(nm, 2)));
		}
		sqlite3_reset(nm);
		json_int_t rcpt = json_integer_value(json_object_get(g, "recipients"));
		json_int_t acked = json_integer_value(json_object_get(json_object_get(g, "states"), "acknowledged"));
		json_object_set_new(g, "acknowledged_pct", json_real(rcpt ? 100.0 * (double)acked / (double)rcpt : 100.0));
		json_object_set_new(g, "closed", json_boolean(acked == rcpt && json_integer_value(json_object_get(g, "open_tasks")) == 0));
		static const char *const keys[] = {"recipients", "planned", "moved", "tasks", "open_tasks", "open_escalations"};
		for (size_t k = 0; k < YJ_ARRAY_LEN(keys); k++)
			add_int(tot, keys[k], json_integer_value(json_object_get(g, keys[k])));
		const char *sk;
		json_t *sv;
		json_object_foreach(json_object_get(g, "states"), sk, sv) add_int(json_object_get(tot, "states"), sk, json_integer_value(sv));
		json_array_append(list, g);
	}
	json_int_t rcpt = json_integer_value(json_object_get(tot, "recipients"));
	json_int_t acked = json_integer_value(json_object_get(json_object_get(tot, "states"), "acknowledged"));
	json_object_set_new(tot, "acknowledged_pct", json_real(rcpt ? 100.0 * (double)acked / (double)rcpt : 100.0));
	json_object_set_new(tot, "closed", json_boolean(acked == rcpt && json_integer_value(json_object_get(tot, "open_tasks")) == 0));
	json_object_del(tot, "code");
	json_decref(groups);
	http_json(res, 200, json_pack("{s:I, s:s, s:o, s:o}", "warning_id", (json_int_t)id, "group_by", len == 12 ? "village" : "town",
	                              "totals", tot, "groups", list));
	return 0;
fail:
	json_decref(groups);
	return -1;
}

static int handle_loop_stream(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (parse_id_param(req, "id", &id, e) || visible_warning(req, id, e))
		return -1;
	char topic[48];
	snprintf(topic, sizeof topic, "loop:%lld", (long long)id);
	return http_sse_open(req, res, topic, req->user->area_prefix, NULL, "{\"stream\":\"loop\"}", e);
}

/* ---- transfer tasks ------------------------------------------------------------------------------------ */

#define TASK_SELECT \
	"SELECT t.id, t.warning_id, w.headline, w.level, t.risk_point_id, rp.name, rp.type, rp.lon, rp.lat, t.area_code, " \
	"a.name, t.grid_worker_id, u.display_name, u.phone, t.planned, t.moved, t.state, t.closed_reason, t.closed_ms, " \
	"t.created_ms, t.updated_ms FROM transfer_task t JOIN warning w ON w.id = t.warning_id " \
	"LEFT JOIN risk_point rp ON rp.id = t.risk_point_id LEFT JOIN area a ON a.code = t.area_code " \
	"LEFT JOIN user u ON u.id = t.grid_worker_id"

static json_t *task_json(sqlite3_stmt *st)
{
	json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
	                      "warning_id", (json_int_t)sqlite3_column_int64(st, 1), "headline",
	                      (const char *)sqlite3_column_text(st, 2), "level", (const char *)sqlite3_column_text(st, 3),
	                      "area_code", (const char *)sqlite3_column_text(st, 9), "area_name",
	                      sqlite3_column_type(st, 10) == SQLITE_NULL ? "" : (const char *)sqlite3_column_text(st, 10),
	                      "planned", (json_int_t)sqlite3_column_int64(st, 14), "moved",
	                      (json_int_t)sqlite3_column_int64(st, 15), "state", (const char *)sqlite3_column_text(st, 16));
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		json_t *rp = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 4), "name",
		                       (const char *)sqlite3_column_text(st, 5), "type", (const char *)sqlite3_column_text(st, 6));
		if (sqlite3_column_type(st, 7) != SQLITE_NULL)
			json_object_set_new(rp, "point", json_pack("[f,f]", sqlite3_column_double(st, 7), sqlite3_column_double(st, 8)));
		json_object_set_new(j, "risk_point", rp);
	} else {
		json_object_set_new(j, "risk_point", json_null());
	}
	json_object_set_new(j, "grid_worker", sqlite3_column_type(st, 11) == SQLITE_NULL
	                                          ? json_null()
	                                          : json_pack("{s:I, s:s, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 11),
	                                                      "display_name", (const char *)sqlite3_column_text(st, 12), "phone",
	                                                      (const char *)sqlite3_column_text(st, 13)));
	json_object_set_new(j, "closed_reason", sqlite3_column_type(st, 17) == SQLITE_NULL
	                                            ? json_null() : json_string((const char *)sqlite3_column_text(st, 17)));
	json_object_set_new(j, "closed", time_or_null(st, 18));
	json_object_set_new(j, "created", time_or_null(st, 19));
	json_object_set_new(j, "updated", time_or_null(st, 20));
	return j;
}

/* the shelters linked to the task's risk point, with what a grid worker needs to choose */
static void add_shelters(store *s, json_t *task)
{
	json_t *rp = json_object_get(task, "risk_point");
	json_t *list = json_array();
	if (json_is_object(rp)) {
		sqlite3_stmt *st = store_stmt(s,
		                              "SELECT sh.id, sh.name, sh.capacity, sh.lon, sh.lat FROM risk_point r, json_each(r.shelter_ids) j "
		                              "JOIN shelter sh ON sh.id = j.value WHERE r.id = ?",
		                              NULL);
		if (st) {
			sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(rp, "id")));
			while (sqlite3_step(st) == SQLITE_ROW) {
				json_t *sh = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0), "name",
				                       (const char *)sqlite3_column_text(st, 1), "capacity",
				                       (json_int_t)sqlite3_column_int64(st, 2));
				if (sqlite3_column_type(st, 3) != SQLITE_NULL)
					json_object_set_new(sh, "point", json_pack("[f,f]", sqlite3_column_double(st, 3), sqlite3_column_double(st, 4)));
				json_array_append_new(list, sh);
			}
			sqlite3_reset(st);
		}
	}
	json_object_set_new(task, "shelters", list);
}

static json_t *task_by_id(store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, TASK_SELECT " WHERE t.id = ?", NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = sqlite3_step(st) == SQLITE_ROW ? task_json(st) : NULL;
	sqlite3_reset(st);
	if (j)
		add_shelters(s, j);
	return j;
}

static int handle_my_tasks(http_req *req, http_res *res, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(store_thread(), TASK_SELECT " WHERE t.grid_worker_id = ? ORDER BY t.state = 'closed', t.id DESC LIMIT 500", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, req->user->id);
	json_t *items = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(items, task_json(st));
	sqlite3_reset(st);
	size_t i;
	json_t *t;
	json_array_foreach(items, i, t) add_shelters(store_thread(), t);
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int handle_warning_tasks(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (parse_id_param(req, "id", &id, e) || visible_warning(req, id, e))
		return -1;
	const char *state = http_query(req, "state"), *area = http_query(req, "area");
	if (state && strcmp(state, "open") && strcmp(state, "closed"))
		return yj_fail(e, YJ_EINVAL, "state", "field 'state' must be open or closed");
	char prefix[16];
	if (area) {
		if (http_require_area(req, area, "area", e))
			return -1;
		auth_area_prefix(area, prefix);
	} else {
		snprintf(prefix, sizeof prefix, "%s", req->user->area_prefix);
	}
	sqlite3_stmt *st = store_stmt(store_thread(),
	                              TASK_SELECT " WHERE t.warning_id = ?1 AND (?2 IS NULL OR t.state = ?2) "
	                                          "AND substr(t.area_code, 1, length(?3)) = ?3 ORDER BY t.state = 'closed', t.id LIMIT 5000",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, state);
	store_bind_text(st, 3, prefix);
	json_t *items = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(items, task_json(st));
	sqlite3_reset(st);
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

/* the task, if the caller is its grid worker or staff over its area */
static int task_for_caller(http_req *req, int64_t *id, json_t **task, yj_err *e)
{
	if (parse_id_param(req, "id", id, e))
		return -1;
	json_t *t = task_by_id(store_thread(), *id);
	bool mine = t && json_integer_value(json_object_get(json_object_get(t, "grid_worker"), "id")) == req->user->id;
	bool staff = t && (ROLE_BIT(req->user->role) & (TASK_STAFF | ROLE_BIT(ROLE_ADMIN))) &&
	             auth_area_visible(req->user, json_string_value(json_object_get(t, "area_code")));
	if (!mine && !staff) {
		json_decref(t);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no transfer task %lld for you", (long long)*id);
	}
	*task = t;
	return 0;
}

static int handle_task_get(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	json_t *t;
	if (task_for_caller(req, &id, &t, e))
		return -1;
	sqlite3_stmt *st = store_stmt(store_thread(),
	                              "SELECT r.id, r.moved, r.shelter_id, s.name, r.nobody_at_risk, r.reason, r.note, r.created_ms, "
	                              "u.display_name FROM transfer_report r LEFT JOIN shelter s ON s.id = r.shelter_id "
	                              "JOIN user u ON u.id = r.user_id WHERE r.task_id = ? ORDER BY r.id",
	                              e);
	if (!st) {
		json_decref(t);
		return -1;
	}
	sqlite3_bind_int64(st, 1, id);
	json_t *reports = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *r = json_pack("{s:I, s:I, s:b, s:o, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0), "moved",
		                      (json_int_t)sqlite3_column_int64(st, 1), "nobody_at_risk", sqlite3_column_int(st, 4),
		                      "created", time_or_null(st, 7), "by", (const char *)sqlite3_column_text(st, 8));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			json_object_set_new(r, "shelter", json_pack("{s:I, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 2), "name",
			                                            (const char *)sqlite3_column_text(st, 3)));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			json_object_set_new(r, "reason", json_string((const char *)sqlite3_column_text(st, 5)));
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			json_object_set_new(r, "note", json_string((const char *)sqlite3_column_text(st, 6)));
		json_array_append_new(reports, r);
	}
	sqlite3_reset(st);
	json_object_set_new(t, "reports", reports);
	http_json(res, 200, t);
	return 0;
}

typedef struct report_job {
	int64_t task;
	const auth_user *user;
	const char *key, *reason, *note;
	long moved;
	int64_t shelter;
	bool nobody;
	bool duplicate;
	bool closed_now;
	char area[16];
	int64_t warning;
} report_job;

static int report_job_run(store *s, void *ctx, yj_err *e)
{
	report_job *j = ctx;
	sqlite3_stmt *st;
	if (j->key) {
		st = store_stmt(s, "SELECT id FROM transfer_report WHERE user_id = ? AND idempotency_key = ?", e);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, j->user->id);
		store_bind_text(st, 2, j->key);
		j->duplicate = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (j->duplicate)
			return 0; /* the first attempt counted; a retry counts nothing */
	}
	st = store_stmt(s, "SELECT state, planned, moved, area_code, warning_id FROM transfer_task WHERE id = ?", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, j->task);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no transfer task %lld", (long long)j->task);
	}
	bool open = strcmp((const char *)sqlite3_column_text(st, 0), "open") == 0;
	long planned = (long)sqlite3_column_int64(st, 1), moved = (long)sqlite3_column_int64(st, 2);
	snprintf(j->area, sizeof j->area, "%s", (const char *)sqlite3_column_text(st, 3));
	j->warning = sqlite3_column_int64(st, 4);
	sqlite3_reset(st);
	if (!open)
		return yj_fail(e, YJ_ECONFLICT, "state", "transfer task %lld is closed", (long long)j->task);
	int64_t now = yj_now_ms();
	st = store_stmt(s,
	                "INSERT INTO transfer_report(task_id, user_id, idempotency_key, moved, shelter_id, nobody_at_risk, reason, "
	                "note, created_ms) VALUES (?,?,?,?,?,?,?,?,?)",
	                e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, j->task);
	sqlite3_bind_int64(st, 2, j->user->id);
	store_bind_text(st, 3, j->key);
	sqlite3_bind_int64(st, 4, j->moved);
	if (j->shelter)
		sqlite3_bind_int64(st, 5, j->shelter);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int(st, 6, j->nobody);
	store_bind_text(st, 7, j->reason);
	store_bind_text(st, 8, j->note);
	sqlite3_bind_int64(st, 9, now);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "transfer report");
	moved += j->moved;
	j->closed_now = moved >= planned || j->nobody;
	st = store_stmt(s,
	                "UPDATE transfer_task SET moved = ?1, updated_ms = ?2, state = CASE WHEN ?3 THEN 'closed' ELSE state END, "
	                "closed_ms = CASE WHEN ?3 THEN ?2 ELSE closed_ms END, closed_reason = CASE WHEN ?3 THEN ?4 ELSE closed_reason END "
	                "WHERE id = ?5",
	                e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, moved);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, j->closed_now);
	store_bind_text(st, 4, j->nobody ? j->reason : "all planned persons moved");
	sqlite3_bind_int64(st, 5, j->task);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "transfer task");
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)j->task);
	json_t *state = json_pack("{s:I, s:I, s:s}", "planned", (json_int_t)planned, "moved", (json_int_t)moved, "state",
	                          j->closed_now ? "closed" : "open");
	rc = audit_append(s, j->user, "transfer.report", "transfer_task", idbuf, state, e);
	json_decref(state);
	return rc;
}

static int handle_task_report(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	json_t *t;
	if (task_for_caller(req, &id, &t, e))
		return -1;
	json_decref(t);
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	report_job j = {.task = id, .user = req->user, .key = http_header(req, "Idempotency-Key")};
	int rc = -1;
	const char *k;
	json_t *v;
	static const char *const keys[] = {"moved", "shelter_id", "nobody_at_risk", "reason", "note", NULL};
	json_object_foreach(body, k, v) {
		bool known = false;
		for (int i = 0; keys[i]; i++)
			known |= strcmp(keys[i], k) == 0;
		if (!known) {
			yj_fail(e, YJ_EINVAL, k, "field '%.60s' is not known here", k);
			goto out;
		}
	}
	if (j.key && (strlen(j.key) < 8 || strlen(j.key) > 128)) {
		yj_fail(e, YJ_EINVAL, "Idempotency-Key", "header 'Idempotency-Key': 8 to 128 characters (e.g. a UUID)");
		goto out;
	}
	json_t *moved = json_object_get(body, "moved"), *nobody = json_object_get(body, "nobody_at_risk");
	if (nobody && !json_is_boolean(nobody)) {
		yj_fail(e, YJ_EINVAL, "nobody_at_risk", "field 'nobody_at_risk' must be true or false");
		goto out;
	}
	j.nobody = json_is_true(nobody);
	if (moved && (!json_is_integer(moved) || json_integer_value(moved) < 0 || json_integer_value(moved) > 100000)) {
		yj_fail(e, YJ_EINVAL, "moved", "field 'moved' must be a whole number of persons in 0..100000");
		goto out;
	}
	if (!moved && !j.nobody) {
		yj_fail(e, YJ_EINVAL, "moved", "field 'moved' is required (persons moved), or nobody_at_risk with a reason");
		goto out;
	}
	j.moved = moved ? (long)json_integer_value(moved) : 0;
	j.reason = json_string_value(json_object_get(body, "reason"));
	j.note = json_string_value(json_object_get(body, "note"));
	if (j.nobody && (!j.reason || !*j.reason)) {
		yj_fail(e, YJ_EINVAL, "reason", "field 'reason' is required with nobody_at_risk");
		goto out;
	}
	if ((j.reason && strlen(j.reason) > 1000) || (j.note && strlen(j.note) > 1000)) {
		yj_fail(e, YJ_EINVAL, j.reason && strlen(j.reason) > 1000 ? "reason" : "note", "at most 1000 bytes");
		goto out;
	}
	json_t *sh = json_object_get(body, "shelter_id");
	if (sh && !json_is_null(sh)) {
		sqlite3_stmt *st = store_stmt(store_thread(), "SELECT area_code FROM shelter WHERE id = ?", e);
		bool ok = false;
		if (st && json_is_integer(sh)) {
			sqlite3_bind_int64(st, 1, json_integer_value(sh));
			ok = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_reset(st);
		}
		if (!ok) {
			yj_fail(e, YJ_EINVAL, "shelter_id", "field 'shelter_id': no such shelter");
			goto out;
		}
		j.shelter = json_integer_value(sh);
	}
	if (store_group_run(report_job_run, &j, e))
		goto out;
	if (!j.duplicate)
		publish_loop(j.warning, "loop", j.area);
	json_t *now = task_by_id(store_thread(), id);
	json_object_set_new(now, "duplicate", json_boolean(j.duplicate));
	http_json(res, j.duplicate ? 200 : 201, now);
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static int handle_task_chase(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	json_t *t;
	if (task_for_caller(req, &id, &t, e))
		return -1;
	if (strcmp(json_string_value(json_object_get(t, "state")), "open") != 0) {
		json_decref(t);
		return yj_fail(e, YJ_ECONFLICT, "state", "transfer task %lld is closed", (long long)id);
	}
	int64_t worker = json_integer_value(json_object_get(json_object_get(t, "grid_worker"), "id"));
	char data[160];
	snprintf(data, sizeof data, "{\"task_id\":%lld,\"warning_id\":%lld,\"by\":\"%s\"}", (long long)id,
	         (long long)json_integer_value(json_object_get(t, "warning_id")), req->user->username);
	if (worker)
		disp_publish_user(worker, "chase", data);
	store *s = store_thread();
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	json_t *state = json_pack("{s:s}", "chased_by", req->user->username);
	int rc = -1;
	if (store_begin(s, e) == 0) {
		if (audit_append(s, req->user, "transfer.chase", "transfer_chase", idbuf, state, e) || store_commit(s, e))
			store_rollback(s);
		else
			rc = 0;
	}
	json_decref(state);
	if (rc) {
		json_decref(t);
		return -1;
	}
	json_object_set_new(t, "chased", json_true());
	http_json(res, 200, t);
	return 0;
}

/* ---- member units ------------------------------------------------------------------------------------ */

static json_t *unit_json(store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, name, area_code, webhook_url, enabled FROM member_unit WHERE id = ?", NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)sqlite3_column_int64(st, 0), "name",
		              (const char *)sqlite3_column_text(st, 1), "area_code", (const char *)sqlite3_column_text(st, 2),
		              "webhook_url", (const char *)sqlite3_column_text(st, 3), "enabled", sqlite3_column_int(st, 4));
	sqlite3_reset(st);
	return j;
}

static json_t *unit_state(store *s, const char *id)
{
	return unit_json(s, strtoll(id, NULL, 10));
}

static int check_unit(http_req *req, json_t *body, bool partial, yj_err *e)
{
	static const char *const keys[] = {"name", "area_code", "webhook_url", "enabled", NULL};
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		bool known = false;
		for (int i = 0; keys[i]; i++)
			known |= strcmp(keys[i], k) == 0;
		if (!known)
			return yj_fail(e, YJ_EINVAL, k, "field '%.60s' is not known here", k);
	}
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *url = json_string_value(json_object_get(body, "webhook_url"));
	const char *area = json_string_value(json_object_get(body, "area_code"));
	if ((!partial || json_object_get(body, "name")) && (!name || !*name || strlen(name) > 200))
		return yj_fail(e, YJ_EINVAL, "name", "field 'name' is required (at most 200 bytes)");
	if ((!partial || json_object_get(body, "webhook_url")) &&
	    (!url || strlen(url) > 500 || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))))
		return yj_fail(e, YJ_EINVAL, "webhook_url", "field 'webhook_url' must be an http:// or https:// URL");
	if (area && http_require_area(req, area, "area_code", e))
		return -1;
	json_t *en = json_object_get(body, "enabled");
	if (en && !json_is_boolean(en))
		return yj_fail(e, YJ_EINVAL, "enabled", "field 'enabled' must be true or false");
	return 0;
}

static int handle_units_list(http_req *req, http_res *res, yj_err *e)
{
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(s, "SELECT id FROM member_unit WHERE substr(area_code, 1, length(?1)) = ?1 ORDER BY id", e);
	if (!st)
		return -1;
	store_bind_text(st, 1, req->user->area_prefix);
	json_t *items = store_rows_json(s, st, unit_json, -1, NULL);
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int handle_unit_create(http_req *req, http_res *res, yj_err *e)
{
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	store *s = store_thread();
	int rc = -1;
	int64_t id = 0;
	if (check_unit(req, body, false, e))
		goto out;
	const char *area = json_string_value(json_object_get(body, "area_code"));
	if (store_begin(s, e))
		goto out;
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO member_unit(name, area_code, webhook_url, enabled, created_ms) VALUES (?,?,?,?,?)", e);
	int step = SQLITE_ERROR;
	if (st) {
		store_bind_text(st, 1, json_string_value(json_object_get(body, "name")));
		store_bind_text(st, 2, area ? area : req->user->area_code);
		store_bind_text(st, 3, json_string_value(json_object_get(body, "webhook_url")));
		sqlite3_bind_int(st, 4, json_object_get(body, "enabled") ? json_is_true(json_object_get(body, "enabled")) : 1);
		sqlite3_bind_int64(st, 5, yj_now_ms());
		step = sqlite3_step(st);
		sqlite3_reset(st);
	}
	if (step != SQLITE_DONE) {
		if (st)
			store_fail(s, e, "insert unit");
		store_rollback(s);
		goto out;
	}
	id = sqlite3_last_insert_rowid(store_db(s));
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	json_t *state = unit_json(s, id);
	int arc = audit_append(s, req->user, "member_unit.create", "member_unit", idbuf, state, e);
	json_decref(state);
	if (arc || store_commit(s, e)) {
		store_rollback(s);
		goto out;
	}
	http_json(res, 201, unit_json(s, id));
	rc = 0;
out:
	json_decref(body);
	return rc;
}

static int handle_unit_patch(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (parse_id_param(req, "id", &id, e))
		return -1;
	store *s = store_thread();
	json_t *cur = unit_json(s, id);
	if (!cur || !auth_area_visible(req->user, json_string_value(json_object_get(cur, "area_code")))) {
		json_decref(cur);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no member unit %lld", (long long)id);
	}
	json_decref(cur);
	json_t *body = http_json_body(req, e);
	if (!body)
		return -1;
	int rc = -1;
	if (check_unit(req, body, true, e) || store_begin(s, e))
		goto out;
	sqlite3_stmt *st = store_stmt(s,
	                              "UPDATE member_unit SET name = coalesce(?1, name), area_code = coalesce(?2, area_code), "
	                              "webhook_url = coalesce(?3, webhook_url), enabled = coalesce(?4, enabled) WHERE id = ?5",
	                              e);
	if (st) {
		store_bind_text(st, 1, json_string_value(json_object_get(body, "name")));
		store_bind_text(st, 2, json_string_value(json_object_get(body, "area_code")));
		store_bind_text(st, 3, json_string_value(json_object_get(body, "webhook_url")));
		json_t *en = json_object_get(body, "enabled");
		if (en)
			sqlite3_bind_int(st, 4, json_is_true(en));
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_int64(st, 5, id);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	json_t *state = unit_json(s, id);
	int arc = st ? audit_append(s, req->user, "member_unit.update", "member_unit", idbuf, state, e) : -1;
	json_decref(state);
	if (arc || store_commit(s, e)) {
		store_rollback(s);
		goto out;
	}
	http_json(res, 200, unit_json(s, id));
	rc = 0;
out:
	json_decref(body);
	return rc;
}

void disp_init(void)
{
	audit_register_state("member_unit", unit_state);
}

void disp_api_register(void)
{
	disp_init();
	unsigned everyone = ROLES_ANY;
	http_route("GET", "/api/v1/me/inbox", handle_inbox, everyone, NULL);
	http_route("GET", "/api/v1/me/inbox/stream", handle_inbox_stream, everyone, NULL);
	http_route("GET", "/api/v1/me/inbox/{warning}", handle_inbox_open, everyone, NULL);
	http_route("POST", "/api/v1/me/inbox/{warning}/ack", handle_inbox_ack, everyone, NULL);
	http_route("GET", "/api/v1/me/tasks", handle_my_tasks, everyone, NULL);
	http_route("GET", "/api/v1/warnings/{id}/recipients", handle_recipients, LOOP_VIEWERS, NULL);
	http_route("GET", "/api/v1/warnings/{id}/loop", handle_loop, LOOP_VIEWERS, NULL);
	http_route("GET", "/api/v1/warnings/{id}/loop/stream", handle_loop_stream, LOOP_VIEWERS, NULL);
	http_route("GET", "/api/v1/warnings/{id}/tasks", handle_warning_tasks, LOOP_VIEWERS, NULL);
	http_route("GET", "/api/v1/transfer-tasks/{id}", handle_task_get, everyone, NULL);
	http_route("POST", "/api/v1/transfer-tasks/{id}/reports", handle_task_report, ROLE_BIT(ROLE_GRID_WORKER) | TASK_STAFF, NULL);
	http_route_flags(HTTP_ROUTE_OWN_RETRIES); /* reports carry their own Idempotency-Key semantics */
	http_route("POST", "/api/v1/transfer-tasks/{id}/chase", handle_task_chase, TASK_STAFF, NULL);
	http_route("GET", "/api/v1/member-units", handle_units_list, ROLES_STAFF, NULL);
	http_route("POST", "/api/v1/member-units", handle_unit_create, ROLE_BIT(ROLE_ADMIN), NULL);
	http_route("PATCH", "/api/v1/member-units/{id}", handle_unit_patch, ROLE_BIT(ROLE_ADMIN), NULL);
}
