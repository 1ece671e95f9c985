/*
 * rules_int.h — shared between the files of the monitoring rules only:
 *
 *   rules_compile.c  a rule's spec: checked, compiled (GEOS), and the grid of fences
 *   rules_eval.c     the engine: compiled rules and per-(rule, device) state in memory,
 *                    judging telemetry batches (bus) and offline devices (scheduler)
 *   rules_db.c       the SQL of tables rule and alarm
 *   rules_text.c     alarms in words (Chinese) and their structured facts
 *   rules.c          the services: rules created and changed, alarms told, acknowledged
 *                    and closed, audit projections, warning types in effect
 *   rules_api.c      HTTP
 */
#ifndef YJ_RULES_INT_H
#define YJ_RULES_INT_H

#include <geos_c.h>

#include "auth/auth.h"
#include "telemetry/telemetry.h"
#include "warning/warn_int.h"

typedef enum { RK_THRESHOLD, RK_GEOFENCE, RK_OFFLINE } rule_kind;
typedef enum { AGG_SUM, AGG_MAX, AGG_MIN, AGG_AVG, AGG_LAST, AGG_COUNT } agg_kind;
typedef enum { OP_GE, OP_GT, OP_LE, OP_LT } op_kind;

/* ---- a row of table rule (rules_db.c) ------------------------------------------------------ */

typedef struct rule_row {
	int64_t id;
	char name[128];
	char kind[16];
	char level[8];
	char area_code[16];
	bool enabled;
	json_t *spec; /* owned: release with rule_row_clear */
	int64_t created_ms, updated_ms;
} rule_row;

void rule_row_clear(rule_row *r);

/* ---- a compiled rule (rules_compile.c) -------------------------------------------------------- */

typedef struct wrule {
	int64_t id;
	char name[128];
	rule_kind kind;
	char level[8];
	char area_code[16];
	auth_scope scope; /* devices it watches: those in its area's subtree */
	bool enabled;
	bool any_kind, kinds[DEV_KIND_COUNT];
	/* threshold */
	char metric[24];
	int64_t window_ms;
	agg_kind agg;
	op_kind op;
	double value, clear_value;
	/* geofence */
	bool alarm_inside;
	double margin_m;
	char during_warning[32];
	char fence_name[128]; /* the area's name, or the rule's for a drawn polygon */
	GEOSGeometry *fence, *outer;
	const GEOSPreparedGeometry *pfence, *pouter;
	double bb[4];
	/* offline */
	int64_t offline_ms;
} wrule;

/*
 * Check a spec of kind for a rule of area_code made by user u (each member,
 * defaults filled in: window_s, agg), and compile it once in a context of
 * its own so a geometry that cannot be used is refused before anything is
 * written. 0, or -1 with *e naming the member ("spec.polygon").
 */
int rule_spec_check(store *s, const auth_user *u, const char *kind, const char *area_code, json_t *spec, yj_err *e);
/* Compile a stored rule in GEOS context g; 0, or -1 with *e. Release with rule_release. */
int rule_compile(GEOSContextHandle_t g, store *s, const rule_row *row, wrule *out, yj_err *e);
void rule_release(GEOSContextHandle_t g, wrule *r);

/* The grid of "enter" fences over their bboxes; "exit" fences are listed apart (checked for every position). */
typedef struct fence_grid {
	double x0, y0, cell;
	int w, h;
	int **cells;  /* each: [count, rule index...] */
	int *outside; /* "exit" fences */
	int n_outside;
} fence_grid;
void fence_grid_build(fence_grid *g, const wrule *rules, int n);
void fence_grid_free(fence_grid *g);
/* the rule indices of the cell holding (lon, lat): [count, idx...], or NULL */
const int *fence_grid_lookup(const fence_grid *g, double lon, double lat);

/* ---- the engine (rules_eval.c) ------------------------------------------------------------------- */

/* Compile the stored rule id into the engine, replacing its old version (gone from the store: removed). */
int rules_engine_refresh(store *s, int64_t id, yj_err *e);
/* A rule is disabled, redefined or deleted: its open episodes end and it judges nothing more until
 * rules_engine_refresh, inside the caller's transaction. */
int rules_engine_forget(store *s, int64_t rule_id, yj_err *e);
const char *rules_op_text(op_kind op);

/* ---- alarms in words (rules_text.c) ---------------------------------------------------------------- */

/* A metric's Chinese label and unit (rain_mm: 雨量, 毫米); unknown: 监测值 and the unit its name ends in. */
void rules_metric_words(const char *metric, const char **label, const char **unit);
const char *rules_agg_name(agg_kind a);
/* 3600: 1小时, 1800: 30分钟, 90: 90秒 */
void rules_duration_words(int64_t seconds, char *out, size_t n);
/* The messages, device being the device's label (tel_device_label): cut on a character boundary. */
void rules_text_threshold(char *out, size_t n, const char *device, const wrule *r, double value);
void rules_text_fence(char *out, size_t n, const char *device, tel_kind kind, const wrule *r);
void rules_text_offline(char *out, size_t n, const char *device, const wrule *r, int64_t now, int64_t last_seen_ms);
/* what rule r's alarms measured and how they are judged */
void rules_facts(const wrule *r, warn_alarm_facts *f);

/* ---- services (rules.c): each runs inside the caller's transaction ------------------------------------ */

/* An alarm changed (action "alarm.raise", "alarm.clear", "alarm.ack", "alarm.close"): audit it and
 * tell the streams (bus event WARN_EV_ALARM, inside the caller's transaction). */
int rules_alarm_changed(store *s, const auth_user *actor, int64_t alarm_id, const char *action, yj_err *e);
/* the audit projections of "rule" and "alarm" */
void rules_audit_register(void);

/* what a client gives for a rule (NULL / -1: absent) */
typedef struct rule_input {
	const char *name, *kind, *level, *area_code;
	int enabled;
	json_t *spec; /* borrowed; defaults are filled in */
} rule_input;

/* Rule id if it lies in u's jurisdiction: 0 with *out (rule_row_clear it), or -1 (404 outside or unknown). */
int rules_get_visible(store *s, const auth_user *u, int64_t id, rule_row *out, yj_err *e);
/* Checked, stored and audited; the engine takes it once committed. */
int rules_create(store *s, const auth_user *u, rule_input *in, int64_t *id_out, yj_err *e);
/* name, level, enabled, spec; a disabled or redefined rule ends its open episodes. */
int rules_update(store *s, const auth_user *u, int64_t id, rule_input *in, yj_err *e);
/* only a rule with no alarms on record (409 otherwise: disable it) */
int rules_delete(store *s, const auth_user *u, int64_t id, yj_err *e);
/* the API's JSON of a rule, with its open alarms counted */
json_t *rules_json(store *s, const rule_row *r);
/* Alarm id if it lies in u's jurisdiction: 0 with *out, or -1 (404). */
int alarms_get_visible(store *s, const auth_user *u, int64_t id, warn_alarm *out, yj_err *e);
/* open -> acknowledged (close false), or open|acknowledged -> closed, by u; 409 from any other state */
int alarms_transition(store *s, const auth_user *u, int64_t id, bool close, yj_err *e);

/* ---- SQL (rules_db.c) ---------------------------------------------------------------------------------- */

typedef int (*rule_row_fn)(const rule_row *r, void *ctx, yj_err *e);
/* every rule, by id (fn: 0 go on, 1 stop, -1 fail) */
int rules_db_each(store *s, rule_row_fn fn, void *ctx, yj_err *e);
/* the rules in scope (kind NULL: any), by id, after `after`; fn may stop */
int rules_db_list(store *s, const auth_scope *sc, const char *kind, int64_t after, rule_row_fn fn, void *ctx,
                  yj_err *e);
/* 1 with *out (rule_row_clear it), 0 none, -1 error */
int rules_db_get(store *s, int64_t id, rule_row *out, yj_err *e);
/* insert r (id ignored); *id_out its id */
int rules_db_insert(store *s, const rule_row *r, int64_t *id_out, yj_err *e);
/* NULL / enabled < 0 leave a value; rows changed or -1 */
int64_t rules_db_update(store *s, int64_t id, const char *name, const char *level, int enabled, json_t *spec,
                        int64_t now, yj_err *e);
int64_t rules_db_delete(store *s, int64_t id, yj_err *e);
/* alarms of a rule (open_only: not closed): 0 with *n, or -1 */
int rules_db_alarm_count(store *s, int64_t rule_id, bool open_only, int64_t *n, yj_err *e);

/* a new alarm */
typedef struct alarm_new {
	int64_t rule_id;
	const char *device_id, *level, *area_code, *message;
	bool has_value, has_point;
	double value, lon, lat;
	int64_t ts_ms, now_ms;
	warn_alarm_facts facts;
} alarm_new;
int alarms_db_raise(store *s, const alarm_new *a, int64_t *id_out, yj_err *e);
/* close an open episode at ts (value NaN: keep); rows changed or -1 */
int64_t alarms_db_clear(store *s, int64_t id, int64_t ts, double value, int64_t now, yj_err *e);
/* an open episode goes on: its last report and value */
int64_t alarms_db_touch(store *s, int64_t id, int64_t last_ms, double value, yj_err *e);
/* open -> acknowledged, or (open|acknowledged) -> closed, by user; rows changed or -1 */
int64_t alarms_db_transition(store *s, int64_t id, bool close, int64_t user_id, int64_t now, yj_err *e);
/* the open alarms (not closed) */
typedef int (*alarm_open_fn)(int64_t id, int64_t rule_id, const char *device_id, int64_t last_ms, double value,
                             void *ctx, yj_err *e);
int alarms_db_open_each(store *s, alarm_open_fn fn, void *ctx, yj_err *e);

/* which alarms a list or layer shows */
typedef enum { ALARM_ANY, ALARM_OPEN, ALARM_ACKED, ALARM_CLOSED, ALARM_ACTIVE } alarm_state_filter;
typedef struct alarm_filter {
	const auth_scope *scope;   /* required */
	alarm_state_filter state;
	const char *level;         /* NULL: any */
	int64_t rule_id;           /* 0: any */
	const char *device_id;     /* NULL: any */
	const double *bbox;        /* NULL: anywhere; else only alarms with a point in it */
	int64_t before_id;         /* 0: from the newest */
} alarm_filter;
typedef int (*alarm_fn)(const warn_alarm *a, void *ctx, yj_err *e);
/* newest first; fn: 0 go on, 1 stop, -1 fail */
int alarms_db_list(store *s, const alarm_filter *f, alarm_fn fn, void *ctx, yj_err *e);

#endif
