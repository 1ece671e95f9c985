/*
 * warn_int.h — shared between the files of src/warning/ only.
 */
#ifndef YJ_WARN_INT_H
#define YJ_WARN_INT_H

#include <geos_c.h>

#include "auth/auth.h"
#include "warning/warning.h"

typedef enum { RK_THRESHOLD, RK_GEOFENCE, RK_OFFLINE } rule_kind;
typedef enum { AGG_SUM, AGG_MAX, AGG_MIN, AGG_AVG, AGG_LAST, AGG_COUNT } agg_kind;
typedef enum { OP_GE, OP_GT, OP_LE, OP_LT } op_kind;

/* a compiled rule */
typedef struct wrule {
	int64_t id;
	char name[128];
	rule_kind kind;
	char level[8];
	char area_code[16], area_prefix[16];
	bool enabled;
	bool any_kind, kinds[16];
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
	GEOSGeometry *fence, *outer;
	const GEOSPreparedGeometry *pfence, *pouter;
	double bb[4];
	/* offline */
	int64_t offline_ms;
} wrule;

/* rules.c */
int warn_rule_compile(store *s, wrule *r, const char *kind, const char *level, const char *area_code,
                      json_t *spec, yj_err *e);
void warn_rule_release(wrule *r);
int warn_rules_reload(store *s, yj_err *e);
int warn_rules_add(store *s, int64_t id, yj_err *e);
int warn_rule_forget(store *s, int64_t rule_id, yj_err *e);
void warn_rules_publish(void);

/* warn.c: the lifecycle */
int warn_create(store *s, const auth_user *u, json_t *body, const char *source, int64_t cap_alert_id,
                int64_t *id_out, yj_err *e);
int warn_edit(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e);
int warn_action(store *s, const auth_user *u, int64_t id, const char *action, json_t *body, long *recipients,
                yj_err *e);
json_t *warn_json(store *s, int64_t id);
json_t *warn_state_json(store *s, const char *id);
void warn_lifecycle_start(store *s);

/* warn_api.c */
json_t *warn_cap_alert(store *s, int64_t id, int version, yj_err *e);
void warn_lifecycle_api_register(void);

/* cap.c (also in warning.h) */
json_t *cap_parse(const char *xml, size_t len, yj_err *e);
char *cap_render(json_t *alert, yj_err *e);

/* rules_api.c */
json_t *warn_alarm_json(store *s, int64_t id);
/* the audited state of an alarm (without the fields every report moves) */
json_t *warn_alarm_state(store *s, const char *id);

#endif
