/*
 * rules_db.c — the SQL of the monitoring rules' tables: rule and alarm.
 * Nothing else runs SQL on them; the rest of the warning module reads an
 * alarm with warn_alarm_get.
 *
 * Times are UTC ms; "the later of two" is done with CASE, not the
 * two-argument max() only SQLite has.
 */
#include <math.h>
#include <string.h>

#include "warning/rules_int.h"

/* a caller's visitor, for store_each: the function of the rows' kind and its context */
typedef struct visit {
	union {
		rule_row_fn rule;
		alarm_open_fn open;
		alarm_fn alarm;
	} fn;
	void *ctx;
} visit;

/* ---- rules ------------------------------------------------------------------------------------ */

#define RULE_COLS "id, name, kind, level, area_code, enabled, spec, created_ms, updated_ms"

void rule_row_clear(rule_row *r)
{
	json_decref(r->spec);
	r->spec = NULL;
}

static void fill_rule(store_q *q, rule_row *r)
{
	memset(r, 0, sizeof *r);
	r->id = store_col_int(q, 0);
	store_col_copy(q, 1, r->name, sizeof r->name);
	store_col_copy(q, 2, r->kind, sizeof r->kind);
	store_col_copy(q, 3, r->level, sizeof r->level);
	store_col_copy(q, 4, r->area_code, sizeof r->area_code);
	r->enabled = store_col_int(q, 5) != 0;
	r->spec = store_col_json(q, 6);
	r->created_ms = store_col_int(q, 7);
	r->updated_ms = store_col_int(q, 8);
}

static int rule_row_visit(store_q *q, void *ctx, yj_err *e)
{
	const visit *v = ctx;
	rule_row r;
	fill_rule(q, &r);
	int rc = v->fn.rule(&r, v->ctx, e);
	rule_row_clear(&r);
	return rc;
}

static int each_rule(store_q *q, rule_row_fn fn, void *ctx, yj_err *e)
{
	return store_each(q, rule_row_visit, &(visit){.fn.rule = fn, .ctx = ctx}, e);
}

int rules_db_each(store *s, rule_row_fn fn, void *ctx, yj_err *e)
{
	return each_rule(store_query(s, e, "SELECT " RULE_COLS " FROM rule ORDER BY id"), fn, ctx, e);
}

int rules_db_list(store *s, const auth_scope *sc, const char *kind, int64_t after, rule_row_fn fn, void *ctx,
                  yj_err *e)
{
	return each_rule(store_query(s, e,
	                             "SELECT " RULE_COLS " FROM rule WHERE " AUTH_SCOPE_SQL("area_code")
	                             " AND (?3 IS NULL OR kind = ?3) AND id > ?4 ORDER BY id",
	                             sc->lo, sc->hi, kind, after),
	                 fn, ctx, e);
}

/* the first row, kept (its spec too) */
static int copy_rule(const rule_row *r, void *ctx, yj_err *e)
{
	rule_row *out = ctx;
	*out = *r;
	json_incref(out->spec);
	return 1;
}

int rules_db_get(store *s, int64_t id, rule_row *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	if (each_rule(store_query(s, e, "SELECT " RULE_COLS " FROM rule WHERE id = ?", id), copy_rule, out, e)) {
		rule_row_clear(out);
		return -1;
	}
	return out->id != 0;
}

int rules_db_insert(store *s, const rule_row *r, int64_t *id_out, yj_err *e)
{
	int rc = store_get_int(s, id_out, e,
	                       "INSERT INTO rule(name, kind, level, area_code, enabled, spec, created_ms, updated_ms) "
	                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
	                       r->name, r->kind, r->level, r->area_code, r->enabled ? 1 : 0, r->spec, r->created_ms,
	                       r->updated_ms);
	return rc > 0 ? 0 : rc < 0 ? -1 : yj_fail(e, YJ_EINTERNAL, "", "the rule was not stored");
}

int64_t rules_db_update(store *s, int64_t id, const char *name, const char *level, int enabled, json_t *spec,
                        int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE rule SET name = coalesce(?1, name), level = coalesce(?2, level), "
	                 "enabled = CASE WHEN ?3 < 0 THEN enabled ELSE ?3 END, spec = coalesce(?4, spec), "
	                 "updated_ms = ?5 WHERE id = ?6",
	                 name, level, enabled, spec, now, id);
}

int64_t rules_db_delete(store *s, int64_t id, yj_err *e)
{
	return store_run(s, e, "DELETE FROM rule WHERE id = ?", id);
}

int rules_db_alarm_count(store *s, int64_t rule_id, bool open_only, int64_t *n, yj_err *e)
{
	*n = 0;
	int rc = store_get_int(s, n, e, "SELECT count(*) FROM alarm WHERE rule_id = ? AND (? = 0 OR state <> 'closed')",
	                       rule_id, open_only ? 1 : 0);
	return rc < 0 ? -1 : 0;
}

/* ---- alarms --------------------------------------------------------------------------------- */

static store_val num_or_null(bool has, double v)
{
	return has ? store_v_double(v) : store_null();
}

static store_val text_or_null(const char *v)
{
	return *v ? store_v_text(v) : store_null();
}

int alarms_db_raise(store *s, const alarm_new *a, int64_t *id_out, yj_err *e)
{
	const warn_alarm_facts *f = &a->facts;
	int rc = store_get_int(s, id_out, e,
	                       "INSERT INTO alarm(rule_id, device_id, level, state, area_code, message, value, lon, lat, "
	                       "first_ms, last_ms, raised_ms, metric, agg, window_s, op, threshold, fence_trigger, "
	                       "fence_name) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	                       "RETURNING id",
	                       a->rule_id, a->device_id, a->level, a->area_code, a->message,
	                       num_or_null(a->has_value, a->value), num_or_null(a->has_point, a->lon),
	                       num_or_null(a->has_point, a->lat), a->ts_ms, a->ts_ms, a->now_ms, text_or_null(f->metric),
	                       text_or_null(f->agg), f->window_s ? store_v_int(f->window_s) : store_null(),
	                       text_or_null(f->op), num_or_null(f->has_threshold, f->threshold),
	                       text_or_null(f->fence_trigger), text_or_null(f->fence_name));
	return rc > 0 ? 0 : rc < 0 ? -1 : yj_fail(e, YJ_EINTERNAL, "", "the alarm was not stored");
}

int64_t alarms_db_clear(store *s, int64_t id, int64_t ts, double value, int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE alarm SET state = 'closed', cleared_ms = ?1, closed_ms = ?1, "
	                 "last_ms = CASE WHEN last_ms > ?2 THEN last_ms ELSE ?2 END, value = coalesce(?3, value) "
	                 "WHERE id = ?4 AND state <> 'closed'",
	                 now, ts, num_or_null(!isnan(value), value), id);
}

int64_t alarms_db_touch(store *s, int64_t id, int64_t last_ms, double value, yj_err *e)
{
	return store_run(s, e, "UPDATE alarm SET last_ms = ?, value = ? WHERE id = ? AND state <> 'closed'", last_ms,
	                 num_or_null(!isnan(value), value), id);
}

int64_t alarms_db_transition(store *s, int64_t id, bool close, int64_t user_id, int64_t now, yj_err *e)
{
	if (close)
		return store_run(s, e,
		                 "UPDATE alarm SET state = 'closed', closed_ms = ?1, closed_by = ?2 "
		                 "WHERE id = ?3 AND state <> 'closed'",
		                 now, user_id, id);
	return store_run(s, e,
	                 "UPDATE alarm SET state = 'acknowledged', acked_ms = ?1, acked_by = ?2 WHERE id = ?3 AND state = 'open'",
	                 now, user_id, id);
}

static int open_alarm_row(store_q *q, void *ctx, yj_err *e)
{
	const visit *v = ctx;
	return v->fn.open(store_col_int(q, 0), store_col_int(q, 1), store_col_str(q, 2), store_col_int(q, 3),
	                  store_col_null(q, 4) ? NAN : store_col_double(q, 4), v->ctx, e);
}

int alarms_db_open_each(store *s, alarm_open_fn fn, void *ctx, yj_err *e)
{
	return store_each(store_query(s, e, "SELECT id, rule_id, device_id, last_ms, value FROM alarm WHERE state <> 'closed'"),
	                  open_alarm_row, &(visit){.fn.open = fn, .ctx = ctx}, e);
}

#define ALARM_COLS                                                                                          \
	"a.id, a.rule_id, r.name, r.kind, a.device_id, a.level, a.state, a.area_code, a.message, a.value, a.lon, " \
	"a.lat, a.first_ms, a.last_ms, a.raised_ms, a.cleared_ms, a.acked_ms, a.acked_by, a.closed_ms, a.closed_by, " \
	"a.metric, a.agg, a.window_s, a.op, a.threshold, a.fence_trigger, a.fence_name"

static void fill_alarm(store_q *q, warn_alarm *a)
{
	memset(a, 0, sizeof *a);
	a->id = store_col_int(q, 0);
	a->rule_id = store_col_int(q, 1);
	store_col_copy(q, 2, a->rule_name, sizeof a->rule_name);
	store_col_copy(q, 3, a->rule_kind, sizeof a->rule_kind);
	store_col_copy(q, 4, a->device_id, sizeof a->device_id);
	store_col_copy(q, 5, a->level, sizeof a->level);
	store_col_copy(q, 6, a->state, sizeof a->state);
	store_col_copy(q, 7, a->area_code, sizeof a->area_code);
	store_col_copy(q, 8, a->message, sizeof a->message);
	a->has_value = !store_col_null(q, 9);
	a->value = store_col_double(q, 9);
	a->has_point = !store_col_null(q, 10) && !store_col_null(q, 11);
	a->lon = store_col_double(q, 10);
	a->lat = store_col_double(q, 11);
	a->first_ms = store_col_int(q, 12);
	a->last_ms = store_col_int(q, 13);
	a->raised_ms = store_col_int(q, 14);
	a->cleared_ms = store_col_int(q, 15);
	a->acked_ms = store_col_int(q, 16);
	a->acked_by = store_col_int(q, 17);
	a->closed_ms = store_col_int(q, 18);
	a->closed_by = store_col_int(q, 19);
	warn_alarm_facts *f = &a->facts;
	store_col_copy(q, 20, f->metric, sizeof f->metric);
	store_col_copy(q, 21, f->agg, sizeof f->agg);
	f->window_s = store_col_int(q, 22);
	store_col_copy(q, 23, f->op, sizeof f->op);
	f->has_threshold = !store_col_null(q, 24);
	f->threshold = store_col_double(q, 24);
	store_col_copy(q, 25, f->fence_trigger, sizeof f->fence_trigger);
	store_col_copy(q, 26, f->fence_name, sizeof f->fence_name);
}

static int alarm_row(store_q *q, void *ctx, yj_err *e)
{
	const visit *v = ctx;
	warn_alarm a;
	fill_alarm(q, &a);
	return v->fn.alarm(&a, v->ctx, e);
}

static int copy_alarm(const warn_alarm *a, void *ctx, yj_err *e)
{
	*(warn_alarm *)ctx = *a;
	return 1;
}

int warn_alarm_get(store *s, int64_t id, warn_alarm *out, yj_err *e)
{
	out->id = 0;
	if (store_each(store_query(s, e, "SELECT " ALARM_COLS " FROM alarm a JOIN rule r ON r.id = a.rule_id WHERE a.id = ?",
	                           id),
	               alarm_row, &(visit){.fn.alarm = copy_alarm, .ctx = out}, e))
		return -1;
	return out->id != 0;
}

int alarms_db_list(store *s, const alarm_filter *f, alarm_fn fn, void *ctx, yj_err *e)
{
	/* fixed pieces, joined by what the filter holds; every value is bound */
	static const char *const states[] = {
		[ALARM_ANY] = "", [ALARM_OPEN] = " AND a.state = 'open'", [ALARM_ACKED] = " AND a.state = 'acknowledged'",
		[ALARM_CLOSED] = " AND a.state = 'closed'", [ALARM_ACTIVE] = " AND a.state <> 'closed'",
	};
	store_val v[12];
	size_t n = 0;
	strbuf sql;
	strbuf_init(&sql);
	strbuf_puts(&sql, "SELECT " ALARM_COLS " FROM alarm a JOIN rule r ON r.id = a.rule_id WHERE "
	                  AUTH_SCOPE_SQL("a.area_code"));
	v[n++] = store_v_text(f->scope->lo);
	v[n++] = store_v_text(f->scope->hi);
	strbuf_puts(&sql, states[f->state]);
	if (f->level) {
		strbuf_puts(&sql, " AND a.level = ?");
		v[n++] = store_v_text(f->level);
	}
	if (f->rule_id) {
		strbuf_puts(&sql, " AND a.rule_id = ?");
		v[n++] = store_v_int(f->rule_id);
	}
	if (f->device_id) {
		strbuf_puts(&sql, " AND a.device_id = ?");
		v[n++] = store_v_text(f->device_id);
	}
	if (f->bbox) {
		strbuf_puts(&sql, " AND a.lon >= ? AND a.lon <= ? AND a.lat >= ? AND a.lat <= ?");
		v[n++] = store_v_double(f->bbox[0]);
		v[n++] = store_v_double(f->bbox[2]);
		v[n++] = store_v_double(f->bbox[1]);
		v[n++] = store_v_double(f->bbox[3]);
	}
	if (f->before_id) {
		strbuf_puts(&sql, " AND a.id < ?");
		v[n++] = store_v_int(f->before_id);
	}
	strbuf_puts(&sql, " ORDER BY a.id DESC");
	store_q *q = store_query_a(s, e, sql.data, v, n);
	strbuf_free(&sql);
	return store_each(q, alarm_row, &(visit){.fn.alarm = fn, .ctx = ctx}, e);
}
