/*
 * warn_int.h — shared between the files of src/warning/ only.
 */
#ifndef YJ_WARN_INT_H
#define YJ_WARN_INT_H

#include <geos_c.h>

#include "auth/auth.h"
#include "warning/warning.h"

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

/* ---- the monitoring rules' alarms, as the rest of the module reads them (rules.c, rules_db.c;
 * the rules' own declarations are in rules_int.h) ---- */

typedef struct warn_alarm {
	int64_t id, rule_id;
	char rule_name[128];
	char rule_kind[16];
	char device_id[64];
	char level[8];
	char state[16]; /* open, acknowledged, closed */
	char area_code[16];
	char message[512];
	bool has_value, has_point;
	double value, lon, lat;
	int64_t first_ms, last_ms, raised_ms; /* report times and receipt */
	int64_t cleared_ms, acked_ms, acked_by, closed_ms, closed_by; /* 0: not (yet) */
} warn_alarm;
/* 1 with *out filled, 0 no such alarm, -1 error */
int warn_alarm_get(store *s, int64_t id, warn_alarm *out, yj_err *e);
/* The API's JSON of an alarm (new reference). */
json_t *warn_alarm_to_json(const warn_alarm *a);
/* The same by id; NULL when there is no such alarm. */
json_t *warn_alarm_json(store *s, int64_t id);

#endif
