/*
 * warning.h — from data to alarms to warnings: monitoring rules that raise
 * alarms from telemetry (threshold, geofence, offline), the warning
 * lifecycle, and CAP 1.2 in and out.
 *
 * Rules are evaluated inside the telemetry writer's transaction that stores
 * the reports (an in-transaction subscriber of its batch event), so an
 * alarm is durable together with the reports that raised it. An alarm is
 * one episode of one rule for one device: raised once when the condition
 * starts, closed when it clears (with hysteresis so
 * a value or a vessel hovering at the line does not flap), acknowledged by
 * a person in between.
 */
#ifndef YJ_WARNING_H
#define YJ_WARNING_H

#include <jansson.h>

#include "auth/auth.h"
#include "base/base.h"
#include "store/store.h"

/* Load the rules and the open alarms; subscribe to the telemetry writer's batches (bus,
 * in its transaction) and register the offline check (scheduler). Call after tel_start,
 * before HTTP and sched_start. 0, or -1 with *e. */
int warn_rules_start(store *s, yj_err *e);
void warn_rules_stop(void);
void warn_api_register(void);
/* audit projections (CLI verify) */
void warn_init(void);

/*
 * Event (src/bus) of the monitoring rules: an alarm was raised, cleared, acknowledged or
 * closed, inside the transaction that did it. id the alarm; area_code its device's area;
 * point where it was, if known; stream "alarms", name "alarm", data the alarm's JSON (as
 * GET /api/v1/alarms/{id} answers it).
 */
#define WARN_EV_ALARM "alarm.changed"

/* Start the warning lifecycle: the warning types in effect, the expiry job (sched_every; before sched_start). */
void warn_start(store *s);
/* The CAP <sender> of this bureau's alerts. */
void warn_set_cap_sender(const char *sender);

/* Warning types currently in effect, for geofence rules that apply only
 * "during a warning" (e.g. fishing vessels out at sea during a typhoon). */
void warn_set_active_type(const char *type, bool active);
bool warn_type_active(const char *type);

/* ---- what other modules read of warnings (warn_lookup.c) ------------------------------------ */

/* A warning as other modules see it (dispatch, the loop, webhooks). */
typedef struct warn_info {
	int64_t id;
	int version;
	char identifier[160];
	char type[32];
	char level[8];     /* blue, yellow, orange, red */
	char state[16];    /* draft, submitted, approved, issued, cancelled, expired, rejected */
	char headline[400];
	char area_code[16]; /* the issuing jurisdiction */
	json_t *areas;      /* target area codes (owned) */
	json_t *polygons;   /* target polygons, GeoJSON Polygon objects (owned) */
	int64_t issued_ms, expires_ms; /* 0 when not set */
	bool evacuation;
} warn_info;
/* 1 with *out filled (release with warn_info_clear), 0 none, -1 error. */
int warn_get(store *s, int64_t id, warn_info *out, yj_err *e);
void warn_info_clear(warn_info *w);
/* Whether u may see the warning: its jurisdiction or one of its target areas lies in u's, or u's
 * area lies in a target area (a city-wide warning reaches every county). */
bool warn_info_visible(const warn_info *w, const auth_user *u);
/* Only the state and version (acknowledgements check them, a hot path): 1, 0 none, -1 error. */
int warn_state_get(store *s, int64_t id, char state[16], int *version, yj_err *e);
/* The texts people read (description, instruction; malloc'ed, "" when empty): 1, 0 none, -1 error. */
int warn_texts_get(store *s, int64_t id, char **description, char **instruction, yj_err *e);
/* The message type and CAP snapshot of one version (*snapshot malloc'ed): 1, 0 none, -1 error. */
int warn_version_get(store *s, int64_t id, int version, char msg_type[16], char **snapshot, yj_err *e);

/*
 * Other modules add members to a warning's JSON answer (dispatch: the
 * recipients' counts) without the warning module knowing them: fn is
 * called with the rendered object, on the answering thread. At start.
 */
typedef void (*warn_render_fn)(store *s, int64_t warning_id, json_t *out);
void warn_add_renderer(warn_render_fn fn);
/* (warn.c) call the renderers on out */
void warn_render_extras(store *s, int64_t warning_id, json_t *out);

/*
 * Events (src/bus) the warning module emits inside the transaction of the change; payload:
 * warn_event; ev.id the warning, ev.area_code its jurisdiction, ev.data
 * {"warning_id","version","msg_type","state"}.
 *   WARN_EV_VERSION   a version became current (issued, or an update issued): in the
 *                     transaction, dispatch resolves the recipients; after commit, streams.
 *   WARN_EV_CANCELLED the warning was cancelled (recipients are told). msg_type "Cancel" when
 *                     it had been issued (a Cancel version was made), "" for a warning never issued.
 *   WARN_EV_EXPIRED   the warning expired (escalations end).
 */
#define WARN_EV_VERSION "warning.version"
#define WARN_EV_CANCELLED "warning.cancelled"
#define WARN_EV_EXPIRED "warning.expired"
typedef struct warn_event {
	int64_t warning_id;
	int version;
	bool evacuation;
	char msg_type[16]; /* Alert, Update, Cancel */
} warn_event;

/* ---- CAP 1.2 (cap.c) ---- */

/*
 * OASIS Common Alerting Protocol. Input: CAP 1.2 or 1.1; output: CAP 1.2.
 * The OASIS schemas are embedded (data/cap/). libxml2 is set up once, on
 * first use, with an external-entity loader that refuses every file and URL.
 */
#define CAP_MAX_BYTES (1024 * 1024)

/*
 * Parse and check an alert (CAP 1.2 or 1.1). Untrusted input: at most
 * CAP_MAX_BYTES (else YJ_ETOOBIG); an ASCII-compatible encoding (UTF-8 with or
 * without BOM, ISO-8859-x, GB18030, ...); a DOCTYPE (any DTD) is refused
 * before parsing; no entities, no network, no XInclude.
 * Checks: the OASIS schema of its version (element order, value sets), then
 * the spec's rules the schema cannot express: identifier and sender without
 * spaces, commas, '<' or '&'; sent/effective/onset/expires with an explicit
 * offset (never Z); references non-empty, each "sender,identifier,sent", and
 * required for msgType Update/Cancel/Ack/Error; restriction when scope is
 * Restricted, addresses when Private; polygon >= 4 "lat,lon" pairs, closed,
 * in range; circle "lat,lon radius_km"; ceiling only with altitude; web an
 * absolute URI.
 * On failure: NULL, e->code YJ_EUNPROCESSABLE, e->field the element path
 * ("/alert/info[1]/area[2]/polygon[1]"; repeatable elements carry a 1-based
 * index; a missing element is named where it belongs: "/alert/scope") and
 * e->message = path + ": " + the reason.
 * On success a JSON object (new reference):
 *   {"version":"1.2"|"1.1", "identifier", "sender", "sent", "sent_ms", "status", "msgType", "scope",
 *    "source"?, "restriction"?, "addresses"?, "code"?:[...], "note"?, "incidents"?,
 *    "references":[{"sender","identifier","sent"}],
 *    "signature"?:"unverified"   (a ds:Signature is present; it is NOT verified),
 *    "info":[{"language" (default "en-US"), "category":[...], "event", "responseType"?:[...],
 *             "urgency", "severity", "certainty", "audience"?,
 *             "eventCodes":[{"valueName","value"}],
 *             "effective"?, "effective_ms"?, "onset"?, "onset_ms"?, "expires"?, "expires_ms"?,
 *             "senderName"?, "headline"?, "description"?, "instruction"?, "web"?, "contact"?,
 *             "parameters":[{"valueName","value"}],
 *             "resource"?:[{"resourceDesc","mimeType","size"?,"uri"?,"derefUri"?,"digest"?}],
 *             "area":[{"areaDesc", "polygons":[[[lon,lat],...]], "circles":[{"lon","lat","radius_km"}],
 *                      "geocodes":[{"valueName","value"}], "altitude"?, "ceiling"?}]}]}
 * Times are the alert's own RFC 3339 text (its offset kept); *_ms are UTC ms.
 * Text is UTF-8 exactly as sent (not trimmed). Members marked ? appear when
 * the element is present (possibly "").
 */
json_t *cap_parse(const char *xml, size_t len, yj_err *e);

/*
 * Render a CAP 1.2 alert from the JSON shape cap_parse returns: identifier,
 * sender, sent (or sent_ms), status, msgType, scope, and optional members as
 * above; info[] with category (array, or one string), event, urgency,
 * severity, certainty, ... ; unknown members (version, *_ms next to a time)
 * are ignored. A time already in CAP form (2022-08-18T09:30:00+08:00) is kept;
 * other RFC 3339 forms (Z, fractions) are written at +08:00, whole seconds.
 * The output is read back through cap_parse before it is returned, so it
 * validates against the OASIS CAP 1.2 schema and the rules above, and
 * cap_parse(cap_render(x)) gives back x's members. Escapes & < > and CR;
 * refuses control characters XML cannot carry.
 * Returns malloc'ed NUL-terminated UTF-8 (free()), or NULL with *e:
 * YJ_EINVAL, field "info[0].urgency" style for a missing or mistyped member,
 * or the element path ("/alert/info[1]/urgency") when the value breaks CAP.
 */
char *cap_render(json_t *alert, yj_err *e);

/* Warning level -> CAP severity: blue Minor, yellow Moderate, orange Severe,
 * red Extreme (also IV..I). NULL for anything else. Static strings. */
const char *cap_level_severity(const char *level);
/* The other way: Extreme red, Severe orange, Moderate yellow, Minor blue; NULL for anything else. */
const char *cap_severity_level(const char *severity);
/* Warning level -> the national form (突发事件应对法 第四十二条): "Ⅳ级" for blue ..
 * "Ⅰ级" for red (also IV..I), *colour "蓝色" .. "红色" when colour is not NULL.
 * NULL (and *colour NULL) for anything else. Static strings. */
const char *cap_level_national(const char *level, const char **colour);
/* Warning type -> CAP category: typhoon, rainstorm, flood, high_temperature,
 * drought, storm_surge -> Met; geological, landslide, earthquake -> Geo;
 * forest_fire, fire -> Fire; hazmat, hazmat_vehicle -> CBRNE; other -> Other.
 * NULL for anything else. */
const char *cap_type_category(const char *type);
/* Warning type -> the event's Chinese name (台风, 森林火险, 突发事件 for other); NULL for an unknown type. */
const char *cap_type_event(const char *type);
/* Warning type -> its event-type code in the national early-warning profile (GB/T 35561-2017,
 * data/cap/event_types_gbt35561.csv): "11B01" for typhoon, *name (when not NULL) the code's
 * Chinese name. NULL when the list maps no code to the type. Static strings; thread-safe. */
const char *cap_type_event_code(const char *type, const char **name);
/* The other way: the yingji type a national event-type code maps to ("11B03" -> rainstorm); NULL for none. */
const char *cap_event_code_type(const char *code);
/* The CAP eventCode/valueName of the national profile's event-type codes */
#define WARN_CAP_EVENT_CODE_NAME "GB/T 35561-2017"

#endif
