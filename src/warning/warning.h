/*
 * warning.h — from data to alarms to warnings: monitoring rules that raise
 * alarms from telemetry (threshold, geofence, offline), and (later) the
 * warning lifecycle and CAP 1.2.
 *
 * Rules are evaluated by the telemetry writer, inside the transaction that
 * stores the reports, so an alarm is durable together with the reports that
 * raised it. An alarm is one episode of one rule for one device: raised
 * once when the condition starts, closed when it clears (with hysteresis so
 * a value or a vessel hovering at the line does not flap), acknowledged by
 * a person in between.
 */
#ifndef YJ_WARNING_H
#define YJ_WARNING_H

#include <jansson.h>

#include "base/base.h"
#include "store/store.h"

/* Load the rules and the open alarms; hook into the telemetry writer.
 * Call after tel_start, before HTTP. 0, or -1 with *e. */
int warn_rules_start(store *s, yj_err *e);
void warn_rules_stop(void);
void warn_api_register(void);
/* audit state functions (CLI verify) */
void warn_init(void);

/* Warning types currently in effect, for geofence rules that apply only
 * "during a warning" (e.g. fishing vessels out at sea during a typhoon). */
void warn_set_active_type(const char *type, bool active);
bool warn_type_active(const char *type);

#endif
