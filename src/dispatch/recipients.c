/*
 * recipients.c — a recipient's life after the fan-out (fanout.c): what the
 * warning module's events do to the records, how the inboxes and the loop
 * streams hear of it, and the two answers a person gives (opening a
 * warning reads it; acknowledging confirms it).
 *
 * The warning module does not call dispatch; dispatch subscribes (src/bus):
 *   WARN_EV_VERSION    in the transaction: the fan-out; after the commit: the inboxes
 *   WARN_EV_CANCELLED  in the transaction: everyone told, nothing escalates, tasks close
 *   WARN_EV_EXPIRED    in the transaction: nothing escalates any more
 * and renders a warning's recipients' counts into its JSON (warn_add_renderer).
 *
 * Reading and acknowledging are jobs of the group writer (many people
 * confirming at once share fsyncs); each is found, checked, changed,
 * audited and told in one job, and the loop stream hears of it after the
 * commit through the bus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "dispatch/disp_int.h"
#include "sched/sched.h"

int disp_rcpts_add(store *s, const disp_rcpt *r, void *ctx, yj_err *e)
{
	disp_rcpts *rs = ctx;
	rs->v = yj_grow(rs->v, &rs->cap, rs->n + 1, sizeof *rs->v);
	rs->v[rs->n++] = *r;
	return 0;
}

static const warn_event *payload_of(const bus_event *ev, yj_err *e)
{
	if (!ev->payload || ev->payload_len < sizeof(warn_event)) {
		yj_fail(e, YJ_EINTERNAL, "", "internal error");
		yj_log(YJ_LOG_ERROR, "dispatch_event", "topic=%s message=\"no warn_event payload\"", ev->topic);
		return NULL;
	}
	return ev->payload;
}

/* ---- in the warning's transaction ------------------------------------------------------------------------ */

static int on_version(store *s, const bus_event *ev, void *ctx, yj_err *e)
{
	const warn_event *we = payload_of(ev, e);
	return we ? disp_on_version(s, we->warning_id, we->version, we->evacuation, e) : -1;
}

static int on_cancelled(store *s, const bus_event *ev, void *ctx, yj_err *e)
{
	const warn_event *we = payload_of(ev, e);
	if (!we)
		return -1;
	int64_t now = yj_now_ms();
	/* the cancellation is told like an update; nobody needs to confirm it, nothing escalates */
	if (disp_db_cancel(s, we->warning_id, we->version, now, e) || disp_db_esc_resolve_warning(s, we->warning_id, now, e))
		return -1;
	return disp_tasks_cancel(s, we->warning_id, now, e);
}

static int on_expired(store *s, const bus_event *ev, void *ctx, yj_err *e)
{
	const warn_event *we = payload_of(ev, e);
	/* nobody escalates for an expired warning: out of the escalation index */
	return we ? disp_db_stop_escalating(s, we->warning_id, e) : -1;
}

/* ---- after the commit: the streams ---------------------------------------------------------------------------- */

/*
 * The warning's in-app recipients whose inbox stream is open hear of it, and
 * so does its loop stream. No transaction is open on this connection now, so
 * what is emitted here is delivered at once.
 */
static void announce(const bus_event *ev, void *ctx)
{
	const warn_event *we = payload_of(ev, NULL);
	store *s = store_thread();
	if (!we || !s)
		return;
	yj_err e = {0};
	char data[64], stream[48];
	snprintf(data, sizeof data, "{\"warning_id\":%lld}", (long long)we->warning_id);
	snprintf(stream, sizeof stream, "loop:%lld", (long long)we->warning_id);
	if (bus_wanted(DISP_EV_INBOX, "inbox")) {
		int64_t *ids = NULL;
		size_t n = 0;
		/* no recipients (a warning told to nobody): no inbox to tell, and no event for "everyone" */
		if (disp_db_user_ids(s, we->warning_id, &ids, &n, &e) == 0 && n > 0) {
			bus_event out = {.topic = DISP_EV_INBOX, .id = we->warning_id, .users = ids, .nusers = n, .stream = "inbox",
			                 .name = "warning", .data = data};
			bus_emit(s, &out, &e);
		}
		free(ids);
	}
	bus_event loop = {.topic = DISP_EV_LOOP, .id = we->warning_id, .stream = stream, .name = "loop", .data = data};
	bus_emit(s, &loop, &e);
	if (e.code != YJ_OK)
		yj_log(YJ_LOG_WARN, "dispatch_announce", "warning=%lld message=\"%s\"", (long long)we->warning_id, e.message);
	sched_wake(); /* the member units' records were queued: their webhooks are due now */
}

int disp_emit_loop(store *s, int64_t warning_id, const char *area, yj_err *e)
{
	char stream[48];
	snprintf(stream, sizeof stream, "loop:%lld", (long long)warning_id);
	if (!bus_wanted(DISP_EV_LOOP, stream))
		return 0; /* nobody watches this loop: no event to build */
	strbuf data = {0};
	strbuf_printf(&data, "{\"warning_id\":%lld,\"area\":", (long long)warning_id);
	yj_json_escape(&data, area ? area : "");
	strbuf_puts(&data, "}");
	bus_event ev = {.topic = DISP_EV_LOOP, .id = warning_id, .area_code = area, .stream = stream, .name = "loop",
	                .data = data.data};
	int rc = bus_emit(s, &ev, e);
	strbuf_free(&data);
	return rc;
}

/* the recipients' counts in a warning's JSON (the warning module calls it when it renders one) */
static void render_counts(store *s, int64_t warning_id, json_t *out)
{
	int64_t total, acked;
	if (disp_db_counts(s, warning_id, &total, &acked, NULL) == 0)
		json_object_set_new(out, "recipients",
		                    json_pack("{s:I, s:I}", "total", (json_int_t)total, "acknowledged", (json_int_t)acked));
}

void disp_recipients_init(void)
{
	bus_on_tx(WARN_EV_VERSION, on_version, NULL);
	bus_on_tx(WARN_EV_CANCELLED, on_cancelled, NULL);
	bus_on_tx(WARN_EV_EXPIRED, on_expired, NULL);
	bus_on_commit(WARN_EV_VERSION, announce, NULL, NULL);
	bus_on_commit(WARN_EV_CANCELLED, announce, NULL, NULL);
	bus_on_commit(WARN_EV_EXPIRED, announce, NULL, NULL);
	warn_add_renderer(render_counts);
}

/* ---- a person's answers (jobs of the group writer) ---------------------------------------------------------------- */

/* the warning's state and version, for the answer and the checks (two columns: this runs with every ack) */
static int warning_now(store *s, disp_ack *j, yj_err *e)
{
	int rc = warn_state_get(s, j->warning, j->wstate, &j->wversion, e);
	if (rc < 0)
		return -1;
	return rc ? 0 : yj_fail(e, YJ_ENOTFOUND, "warning", "warning %lld is not in your inbox", (long long)j->warning);
}

/*
 * Acknowledging is the loop's hottest write (a city-wide warning: every
 * grid worker within minutes), so all of it runs on the group writer:
 * found, checked, changed, audited and told in one job, while the
 * connection waits without a thread.
 */
int disp_ack_run(store *s, void *ctx, yj_err *e)
{
	disp_ack *j = ctx;
	int rc = disp_db_mine(s, j->warning, j->user->id, &j->r, e);
	if (rc <= 0)
		return rc < 0 ? -1
		              : yj_fail(e, YJ_ENOTFOUND, "warning", "warning %lld is not in your inbox", (long long)j->warning);
	if (warning_now(s, j, e))
		return -1;
	if (j->asked && j->asked != j->r.version)
		return yj_refuse(e, YJ_ECONFLICT, "newer_version", "version",
		                 "此预警已更新为第 %d 版（您确认的是第 %d 版）：请先阅读新版本再确认", j->r.version, j->asked);
	/* acknowledging twice is fine: a phone that lost the answer retries */
	if (!strcmp(j->r.state, "acknowledged"))
		return 0;
	if (strcmp(j->wstate, "issued") != 0)
		return yj_refuse(e, YJ_ECONFLICT, "warning_not_current", "warning", "预警 %lld %s，无需确认 (%s)",
		                 (long long)j->warning,
		                 !strcmp(j->wstate, "cancelled") ? "已撤销" : !strcmp(j->wstate, "expired") ? "已过期" : "未在发布中",
		                 j->wstate);
	int64_t now = yj_now_ms();
	int64_t n = disp_db_ack(s, j->r.id, now, e);
	if (n < 0)
		return -1;
	if (n == 0)
		return yj_refuse(e, YJ_ECONFLICT, "cannot_acknowledge", "state", "此接收记录（%s）不能确认", j->r.state);
	j->changed = true;
	j->r.acked_ms = now;
	if (!j->r.read_ms)
		j->r.read_ms = now;
	snprintf(j->r.state, sizeof j->r.state, "acknowledged");
	/* escalations were raised for this recipient: the answer resolves them */
	if (j->r.escalations > 0 && disp_db_esc_resolve_recipient(s, j->r.id, now, e))
		return -1;
	if (audit_record_id(s, j->user, "recipient.ack", "recipient", j->r.id, e))
		return -1;
	return disp_emit_loop(s, j->warning, j->r.area_code, e);
}

/* opening an inbox item marks it read (j->r: the record as read before the job) */
int disp_read_run(store *s, void *ctx, yj_err *e)
{
	disp_ack *j = ctx;
	int64_t n = disp_db_mark_read(s, j->r.id, j->r.version, yj_now_ms(), e);
	if (n <= 0)
		return n < 0 ? -1 : 0; /* answered or changed meanwhile: nothing to do */
	j->changed = true;
	if (audit_record_id(s, j->user, "recipient.read", "recipient", j->r.id, e))
		return -1;
	return disp_emit_loop(s, j->warning, j->r.area_code, e);
}

/* ---- audit projections --------------------------------------------------------------------------------------------- */

/*
 * recipient, version 1: whose record this is (the warning, the person or
 * member unit, the channel). Its state is not part of it: an update of the
 * warning asks every recipient again (100,000 records, not audited one by
 * one) and a cancellation moves their version, so the state would differ
 * from what the last acknowledgement recorded without anyone tampering.
 * What an acknowledgement vouches for is its record in the chain (who,
 * when, which recipient). Read by primary key at every acknowledgement:
 * four columns, no more.
 */
json_t *disp_project_recipient(store *s, const char *id)
{
	disp_rcpt r;
	if (disp_db_identity(s, strtoll(id, NULL, 10), &r, NULL) <= 0)
		return NULL;
	return json_pack("{s:I, s:I, s:I, s:s}", "warning_id", (json_int_t)r.warning_id, "user_id", (json_int_t)r.user_id,
	                 "unit_id", (json_int_t)r.unit_id, "channel", r.channel);
}

/* dispatch, version 1: a warning's recipient records (only a fan-out, audited, adds any) */
json_t *disp_project_dispatch(store *s, const char *id)
{
	int64_t warning_id = strtoll(id, NULL, 10);
	int64_t n = disp_db_records(s, warning_id, NULL);
	return n < 0 ? NULL : json_pack("{s:I, s:I}", "warning_id", (json_int_t)warning_id, "records", (json_int_t)n);
}
