/*
 * rules.c — the monitoring rules' services: rules created, changed and
 * deleted (checked against the caller's jurisdiction, audited, handed to
 * the engine once committed), alarms told (audit + bus event), acknowledged
 * and closed by people, the audit projections of rules and alarms, and the
 * warning types in effect that geofences may depend on.
 *
 * Each service runs inside its caller's transaction; events go out after
 * it commits (src/bus). The engine itself is rules_eval.c; SQL is in
 * rules_db.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "warning/rules_int.h"

static const char *const levels[] = {"blue", "yellow", "orange", "red", NULL};
static const char *const kinds[] = {"threshold", "geofence", "offline", NULL};

static bool one_of(const char *const *set, const char *v)
{
	for (int i = 0; v && set[i]; i++)
		if (strcmp(set[i], v) == 0)
			return true;
	return false;
}

/* ---- warning types in effect ------------------------------------------------------ */

static char active_types[16][32];
static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;

void warn_set_active_type(const char *type, bool active)
{
	pthread_mutex_lock(&active_lock);
	int free_slot = -1;
	for (int i = 0; i < 16; i++) {
		if (strcmp(active_types[i], type) == 0) {
			if (!active)
				active_types[i][0] = 0;
			pthread_mutex_unlock(&active_lock);
			return;
		}
		if (!active_types[i][0] && free_slot < 0)
			free_slot = i;
	}
	if (active && free_slot >= 0)
		snprintf(active_types[free_slot], sizeof active_types[0], "%s", type);
	pthread_mutex_unlock(&active_lock);
}

bool warn_type_active(const char *type)
{
	pthread_mutex_lock(&active_lock);
	bool on = false;
	for (int i = 0; i < 16 && !on; i++)
		on = active_types[i][0] && strcmp(active_types[i], type) == 0;
	pthread_mutex_unlock(&active_lock);
	return on;
}

/* ---- alarms ---------------------------------------------------------------------------------------- */

static json_t *time_or_null(int64_t ms)
{
	if (!ms)
		return json_null();
	char t[40];
	yj_time_format(ms, t);
	return json_string(t);
}

static json_t *id_or_null(int64_t id)
{
	return id ? json_integer(id) : json_null();
}

static json_t *text_or_null(const char *v)
{
	return *v ? json_string(v) : json_null();
}

/* what the alarm measured and how it was judged, so a reader need not read the rule (which
 * may have changed since): null where it does not apply */
static void facts_json(json_t *j, const warn_alarm_facts *f)
{
	const char *label = NULL, *unit = NULL;
	if (f->metric[0])
		rules_metric_words(f->metric, &label, &unit);
	json_object_set_new(j, "metric", text_or_null(f->metric));
	json_object_set_new(j, "metric_label", label ? json_string(label) : json_null());
	json_object_set_new(j, "unit", unit ? json_string(unit) : json_null());
	json_object_set_new(j, "aggregation", text_or_null(f->agg));
	json_object_set_new(j, "window_s", f->window_s ? json_integer(f->window_s) : json_null());
	json_object_set_new(j, "comparison", text_or_null(f->op));
	json_object_set_new(j, "threshold", f->has_threshold ? json_real(f->threshold) : json_null());
	json_object_set_new(j, "trigger", text_or_null(f->fence_trigger));
	json_object_set_new(j, "fence", text_or_null(f->fence_name));
}

json_t *warn_alarm_to_json(const warn_alarm *a)
{
	json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)a->id, "rule_id",
	                      (json_int_t)a->rule_id, "rule_name", a->rule_name, "rule_kind", a->rule_kind, "device",
	                      a->device_id, "level", a->level, "state", a->state, "area_code", a->area_code, "message",
	                      a->message);
	if (!j)
		return NULL;
	json_object_set_new(j, "value", a->has_value ? json_real(a->value) : json_null());
	json_object_set_new(j, "lon", a->has_point ? json_real(a->lon) : json_null());
	json_object_set_new(j, "lat", a->has_point ? json_real(a->lat) : json_null());
	json_object_set_new(j, "first_seen", time_or_null(a->first_ms));
	json_object_set_new(j, "last_seen", time_or_null(a->last_ms));
	json_object_set_new(j, "raised", time_or_null(a->raised_ms));
	json_object_set_new(j, "cleared", time_or_null(a->cleared_ms));
	json_object_set_new(j, "acknowledged", time_or_null(a->acked_ms));
	json_object_set_new(j, "acknowledged_by", id_or_null(a->acked_by));
	json_object_set_new(j, "closed", time_or_null(a->closed_ms));
	json_object_set_new(j, "closed_by", id_or_null(a->closed_by));
	facts_json(j, &a->facts);
	return j;
}

json_t *warn_alarm_json(store *s, int64_t id)
{
	warn_alarm a;
	return warn_alarm_get(s, id, &a, NULL) > 0 ? warn_alarm_to_json(&a) : NULL;
}

int rules_alarm_changed(store *s, const auth_user *actor, int64_t alarm_id, const char *action, yj_err *e)
{
	if (audit_record_id(s, actor, action, "alarm", alarm_id, e))
		return -1;
	warn_alarm a;
	int found = warn_alarm_get(s, alarm_id, &a, e);
	if (found <= 0)
		return found;
	json_t *j = warn_alarm_to_json(&a);
	char *data = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	bus_event ev = {.topic = WARN_EV_ALARM, .id = alarm_id, .area_code = a.area_code, .has_point = a.has_point,
	                .point = {a.lon, a.lat}, .stream = "alarms", .name = "alarm", .data = data};
	int rc = bus_emit(s, &ev, e);
	free(data);
	return rc;
}

int alarms_get_visible(store *s, const auth_user *u, int64_t id, warn_alarm *out, yj_err *e)
{
	auth_scope own;
	if (auth_scope_for(u, NULL, "area", &own, e))
		return -1;
	int found = warn_alarm_get(s, id, out, e);
	if (found < 0)
		return -1;
	if (!found || !auth_scope_contains(&own, out->area_code))
		return yj_fail(e, YJ_ENOTFOUND, "id", "no alarm %lld", (long long)id);
	return 0;
}

int alarms_transition(store *s, const auth_user *u, int64_t id, bool close, yj_err *e)
{
	warn_alarm a;
	if (alarms_get_visible(s, u, id, &a, e))
		return -1;
	bool closed = strcmp(a.state, "closed") == 0, open = strcmp(a.state, "open") == 0;
	if (close ? closed : !open)
		return yj_fail(e, YJ_ECONFLICT, "state", "alarm %lld is %s; allowed: %s", (long long)id, a.state,
		               closed ? "none" : open ? "ack, close" : "close");
	int64_t n = alarms_db_transition(s, id, close, u->id, yj_now_ms(), e);
	if (n < 0)
		return -1;
	if (n != 1)
		return yj_fail(e, YJ_ECONFLICT, "state", "alarm %lld changed meanwhile; read it again", (long long)id);
	return rules_alarm_changed(s, u, id, close ? "alarm.close" : "alarm.ack", e);
}

/* ---- audit projections --------------------------------------------------------------------------- */

static bool parse_id(const char *text, int64_t *id)
{
	char *end;
	long long v = text ? strtoll(text, &end, 10) : 0;
	if (!text || !*text || *end || v <= 0)
		return false;
	*id = v;
	return true;
}

/* a rule as the audit chain vouches for it: its definition, not its counters or update time */
static json_t *rule_project(store *s, const char *object_id)
{
	int64_t id;
	rule_row r;
	if (!parse_id(object_id, &id) || rules_db_get(s, id, &r, NULL) <= 0)
		return NULL;
	json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:O?, s:I}", "id", (json_int_t)r.id, "name", r.name, "kind",
	                      r.kind, "level", r.level, "area_code", r.area_code, "enabled", r.enabled, "spec", r.spec,
	                      "created_ms", (json_int_t)r.created_ms);
	rule_row_clear(&r);
	return j;
}

/* an alarm as the chain vouches for it: its episode, not the last report and value every report moves */
static json_t *alarm_project(store *s, const char *object_id)
{
	int64_t id;
	warn_alarm a;
	if (!parse_id(object_id, &id) || warn_alarm_get(s, id, &a, NULL) <= 0)
		return NULL;
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
	                 (json_int_t)a.id, "rule_id", (json_int_t)a.rule_id, "device_id", a.device_id, "level", a.level,
	                 "state", a.state, "area_code", a.area_code, "message", a.message, "first_ms",
	                 (json_int_t)a.first_ms, "raised_ms", (json_int_t)a.raised_ms, "lon",
	                 a.has_point ? json_real(a.lon) : json_null(), "lat", a.has_point ? json_real(a.lat) : json_null(),
	                 "cleared_ms", id_or_null(a.cleared_ms), "acked_ms", id_or_null(a.acked_ms), "acked_by",
	                 id_or_null(a.acked_by), "closed_ms", id_or_null(a.closed_ms), "closed_by", id_or_null(a.closed_by));
}

/* v2: v1 and the rule's facts the alarm was raised on (fixed at raise; the running value moves
 * with every report and is not vouched for) */
static json_t *alarm_project_v2(store *s, const char *object_id)
{
	json_t *j = alarm_project(s, object_id);
	if (!j)
		return NULL;
	int64_t id;
	warn_alarm a;
	if (!parse_id(object_id, &id) || warn_alarm_get(s, id, &a, NULL) <= 0) {
		json_decref(j);
		return NULL;
	}
	const warn_alarm_facts *f = &a.facts;
	json_object_set_new(j, "facts",
	                    json_pack("{s:s, s:s, s:I, s:s, s:o, s:s, s:s}", "metric", f->metric, "agg", f->agg,
	                              "window_s", (json_int_t)f->window_s, "op", f->op, "threshold",
	                              f->has_threshold ? json_real(f->threshold) : json_null(), "fence_trigger",
	                              f->fence_trigger, "fence_name", f->fence_name));
	return j;
}

void rules_audit_register(void)
{
	audit_register_type("rule", 1, rule_project);
	audit_register_type("alarm", 1, alarm_project);
	audit_register_type("alarm", 2, alarm_project_v2);
}

/* ---- rules ------------------------------------------------------------------------------------------ */

json_t *rules_json(store *s, const rule_row *r)
{
	int64_t open = 0;
	rules_db_alarm_count(s, r->id, true, &open, NULL);
	char c[40], u[40];
	yj_time_format(r->created_ms, c);
	yj_time_format(r->updated_ms, u);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:O?, s:s, s:s, s:I}", "id", (json_int_t)r->id, "name", r->name,
	                 "kind", r->kind, "level", r->level, "area_code", r->area_code, "enabled", r->enabled, "spec",
	                 r->spec, "created", c, "updated", u, "open_alarms", (json_int_t)open);
}

int rules_get_visible(store *s, const auth_user *u, int64_t id, rule_row *out, yj_err *e)
{
	auth_scope own;
	if (auth_scope_for(u, NULL, "area", &own, e))
		return -1;
	int found = rules_db_get(s, id, out, e);
	if (found < 0)
		return -1;
	if (!found || !auth_scope_contains(&own, out->area_code)) {
		if (found)
			rule_row_clear(out);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no rule %lld", (long long)id);
	}
	return 0;
}

static void refresh_after_commit(void *ctx)
{
	int64_t *id = ctx;
	yj_err e = {0};
	if (rules_engine_refresh(store_thread(), *id, &e))
		yj_log(YJ_LOG_ERROR, "rule_refresh", "id=%lld message=\"%s\"", (long long)*id, e.message);
	free(id);
}

/* the engine takes the stored rule once the transaction has committed */
static void refresh_engine(store *s, int64_t id)
{
	int64_t *box = yj_malloc(sizeof *box);
	*box = id;
	store_after_commit(s, refresh_after_commit, free, box);
}

static int check_name(const char *name, yj_err *e)
{
	if (!name || !*name || strlen(name) > 120)
		return yj_fail(e, YJ_EINVAL, "name", "field 'name' is required (1 to 120 bytes)");
	return 0;
}

static int check_level(const char *level, yj_err *e)
{
	if (!one_of(levels, level))
		return yj_fail(e, YJ_EINVAL, "level", "field 'level' must be blue, yellow, orange or red");
	return 0;
}

int rules_create(store *s, const auth_user *u, rule_input *in, int64_t *id_out, yj_err *e)
{
	if (check_name(in->name, e))
		return -1;
	if (!one_of(kinds, in->kind))
		return yj_fail(e, YJ_EINVAL, "kind", "field 'kind' is required: threshold, geofence or offline");
	auth_scope sc;
	if (check_level(in->level, e) || auth_scope_for(u, in->area_code, "area_code", &sc, e))
		return -1;
	if (!in->spec)
		return yj_fail(e, YJ_EINVAL, "spec", "field 'spec' is required (an object)");
	if (rule_spec_check(s, u, in->kind, sc.code, in->spec, e))
		return -1;
	rule_row r = {.enabled = in->enabled != 0, .spec = in->spec};
	snprintf(r.name, sizeof r.name, "%s", in->name);
	snprintf(r.kind, sizeof r.kind, "%s", in->kind);
	snprintf(r.level, sizeof r.level, "%s", in->level);
	snprintf(r.area_code, sizeof r.area_code, "%s", sc.code);
	r.created_ms = r.updated_ms = yj_now_ms();
	if (rules_db_insert(s, &r, id_out, e) || audit_record_id(s, u, "rule.create", "rule", *id_out, e))
		return -1;
	refresh_engine(s, *id_out);
	return 0;
}

int rules_update(store *s, const auth_user *u, int64_t id, rule_input *in, yj_err *e)
{
	rule_row cur;
	if (rules_get_visible(s, u, id, &cur, e))
		return -1;
	int rc = -1;
	if ((in->name && check_name(in->name, e)) || (in->level && check_level(in->level, e)) ||
	    (in->spec && rule_spec_check(s, u, cur.kind, cur.area_code, in->spec, e)))
		goto out;
	int64_t n = rules_db_update(s, id, in->name, in->level, in->enabled, in->spec, yj_now_ms(), e);
	if (n < 0)
		goto out;
	if (n == 0) {
		yj_fail(e, YJ_ENOTFOUND, "id", "no rule %lld", (long long)id);
		goto out;
	}
	/* a disabled or redefined rule ends its open episodes */
	bool ends = in->enabled == 0 || in->spec;
	if ((ends && rules_engine_forget(s, id, e)) || audit_record_id(s, u, "rule.update", "rule", id, e))
		goto out;
	refresh_engine(s, id);
	rc = 0;
out:
	rule_row_clear(&cur);
	return rc;
}

int rules_delete(store *s, const auth_user *u, int64_t id, yj_err *e)
{
	rule_row cur;
	if (rules_get_visible(s, u, id, &cur, e))
		return -1;
	rule_row_clear(&cur);
	int64_t n;
	if (rules_db_alarm_count(s, id, false, &n, e))
		return -1;
	if (n)
		return yj_fail(e, YJ_ECONFLICT, "id", "rule %lld has %lld alarms on record: disable it instead",
		               (long long)id, (long long)n);
	n = rules_db_delete(s, id, e);
	if (n < 0 || rules_engine_forget(s, id, e))
		return -1;
	if (n == 0)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no rule %lld", (long long)id);
	if (audit_record_id(s, u, "rule.delete", "rule", id, e))
		return -1;
	refresh_engine(s, id);
	return 0;
}
