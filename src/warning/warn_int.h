/*
 * warn_int.h — shared between the files of src/warning/ only.
 */
#ifndef YJ_WARN_INT_H
#define YJ_WARN_INT_H

#include <geos_c.h>

#include "auth/auth.h"
#include "warning/warning.h"

/* ---- warnings: the lifecycle, CAP in and out (warn*.c, cap_import.c, cap_db.c) ---------------- */

/* the values of warning.type and warning.level (NULL-terminated) */
extern const char *const warn_types[];
extern const char *const warn_levels[];

/* A warning as stored (warn_db.c). Strings are NUL-terminated; 0 stands for SQL NULL in ids and times. */
typedef struct warn_row {
	int64_t id;
	char identifier[64];
	int version;
	char type[32], level[8], state[16], source[8];
	char area_code[16]; /* the jurisdiction: the author's area */
	char headline[304];
	char *description, *instruction;       /* owned */
	json_t *areas, *polygons, *alarm_ids;  /* owned: arrays */
	bool has_onset;
	int64_t onset_ms, expires_ms;
	bool evacuation;
	int64_t cap_alert_id, author_id, approver_id, issued_ms, cancelled_ms, created_ms, updated_ms;
} warn_row;
void warn_row_clear(warn_row *w);

/* The members of a draft, an edit or an update; NULL / set_* false: absent. Borrowed. */
typedef struct warn_fields {
	const char *type, *level, *headline, *description, *instruction;
	json_t *areas, *polygons, *alarm_ids;
	bool set_onset, set_expires, set_evacuation;
	bool onset_null; /* set_onset with onset null: no onset */
	int64_t onset_ms, expires_ms;
	bool evacuation;
} warn_fields;

/* warn_db.c: the SQL of tables warning and warning_version */
int warn_db_get(store *s, int64_t id, warn_row *out, yj_err *e); /* 1 found, 0 none, -1 */
int warn_db_insert(store *s, const warn_row *w, int64_t *id_out, yj_err *e);
int warn_db_apply(store *s, int64_t id, const warn_fields *f, int64_t now, yj_err *e);
/* state from -> to (rows changed: 1, or 0 when the state moved meanwhile; -1 error) */
int64_t warn_db_transition(store *s, int64_t id, const char *from, const char *to, int version, int64_t approver_id,
                           int64_t issued_ms, int64_t cancelled_ms, int64_t now, yj_err *e);
int warn_db_version_add(store *s, int64_t id, int version, const char *msg_type, int64_t sent_ms, json_t *snapshot,
                        yj_err *e);
int warn_db_version_get(store *s, int64_t id, int version, char msg_type[16], char **snapshot, yj_err *e);
/* versions 1..upto (0: all) in order, with their snapshots or (snapshots false) snapshot NULL; fn answers
 * 0 to go on, -1 (with *e) to fail */
typedef int (*warn_version_fn)(int version, const char *msg_type, int64_t sent_ms, const char *snapshot, void *ctx,
                               yj_err *e);
int warn_db_versions_each(store *s, int64_t id, int upto, bool snapshots, warn_version_fn fn, void *ctx, yj_err *e);
/* rows visitors: fn answers 0 to go on, 1 to stop, -1 (with *e) to fail */
typedef int (*warn_row_fn)(store *s, const warn_row *w, void *ctx, yj_err *e);
/* newest first, ids below before_id (0: from the newest); state NULL: any ("current": issued), type NULL: any;
 * only warnings whose jurisdiction or one of whose target areas lies in sc */
int warn_db_list(store *s, const auth_scope *sc, const char *state, const char *type, int64_t before_id, warn_row_fn fn,
                 void *ctx, yj_err *e);
/* issued warnings, the latest issued first, at most limit */
int warn_db_current_each(store *s, int limit, warn_row_fn fn, void *ctx, yj_err *e);
/* ids of issued warnings whose expiry is at or before now (at most max): how many, or -1 */
int warn_db_expiry_due(store *s, int64_t now, int64_t *ids, int max, yj_err *e);
/* bit i of *mask set when a warning of warn_types[i] is issued */
int warn_db_issued_types(store *s, unsigned *mask, yj_err *e);

/* warn.c: the lifecycle (each call inside the caller's transaction; audited; events on the bus) */
/* the warning if u may read it: 0 with *w (warn_row_clear it), else -1 (YJ_ENOTFOUND, or a store error) */
int warn_load(store *s, const auth_user *u, int64_t id, warn_row *w, yj_err *e);
int warn_create(store *s, const auth_user *u, const warn_fields *f, const char *source, int64_t cap_alert_id,
                int64_t *id_out, yj_err *e);
int warn_edit(store *s, const auth_user *u, int64_t id, const warn_fields *f, yj_err *e);
/* submit, approve, reject, issue, update (f: the members that change), cancel */
int warn_action(store *s, const auth_user *u, int64_t id, const char *action, const warn_fields *f, yj_err *e);
/* 0 when u may take action on w now (state, role, two-person rule, jurisdiction), else -1 with *e saying why */
int warn_may(const warn_row *w, const auth_user *u, const char *action, yj_err *e);
/* append to arr the actions w's state allows, and of those only the ones u may take (u NULL: all) */
void warn_actions_json(const warn_row *w, const auth_user *u, json_t *arr);
/* audit projections of "warning" and "cap_alert" (at start, before threads) */
void warn_lifecycle_init(void);
void warn_lifecycle_start(store *s);

/* warn_check.c: what a warning's members must be */
/* f checked for a warning of jurisdiction area_code (partial: only the members present) */
int warn_check_fields(store *s, const char *area_code, const warn_fields *f, bool partial, yj_err *e);
/* The one reading rule: u may read a warning of jurisdiction area_code with target areas when its
 * jurisdiction or a target lies in u's, or u's area lies in a target (warn_info_visible is the same) */
bool warn_visible(const char *area_code, json_t *areas, const auth_user *u);
bool warn_row_visible(const warn_row *w, const auth_user *u);
/* u may act on w: its jurisdiction lies in u's */
bool warn_row_writable(const warn_row *w, const auth_user *u);

/* warn_geo.c: the geometry of warnings (GEOS) */
/* polygons (GeoJSON Polygon/MultiPolygon) valid and within area_code's boundary (+ a tolerance); YJ_EFORBIDDEN
 * field "polygons" naming the area outside it reaches into */
int warn_geo_check(store *s, const char *area_code, json_t *polygons, yj_err *e);
/* The parts of CAP areas (polygons [[lon,lat]...] rings, circles {lon,lat,radius_km}) inside area_code's
 * boundary, as GeoJSON polygons appended to out: how many were appended, or -1 */
int warn_geo_clip(store *s, const char *area_code, json_t *rings, json_t *circles, json_t *out, yj_err *e);

/* warn_json.c: a warning as JSON */
/* the stored members (no allowed actions, no other modules' members): what a version's snapshot holds */
json_t *warn_row_json(store *s, const warn_row *w);
/* the answer: stored members, area names, the actions u may take now (u NULL: every one the state
 * allows), cap_identifier (the current version's CAP message; version 1's before issue) and versions
 * [{version, identifier, msg_type, sent}], other modules' members (warn_render_extras); NULL when there
 * is no warning id */
json_t *warn_json_for(store *s, int64_t id, const auth_user *u);
/* audit projection (version 1) */
json_t *warn_project(store *s, const char *id);
/* a page of the list (warn_db_list's filters) as u reads it: at most limit items, *next the id the next
 * page starts after (0: no more); NULL with *e */
json_t *warn_list_json(store *s, const auth_user *u, const auth_scope *sc, const char *state, const char *type,
                       int64_t before_id, long limit, int64_t *next, yj_err *e);

/* warn_cap.c: our warnings as CAP 1.2 */
/* the CAP JSON (cap_render's shape) of version (0: the latest); YJ_ENOTFOUND when it does not exist */
json_t *warn_cap_alert(store *s, int64_t id, int version, yj_err *e);
/* the sender of jurisdictions without an issuing authority (serve --cap-sender) */
const char *warn_cap_sender(void);
/* who sends the CAP of a jurisdiction's warnings: its issuing authority's CAP sender and full name
 * (reg_authority_for), else the fallback sender and "<area>应急管理局". 0, or -1 with *e */
typedef struct warn_issuer {
	char sender[128], name[160];
} warn_issuer;
int warn_cap_issuer(store *s, const char *area_code, warn_issuer *out, yj_err *e);
/* the latest message of an issued warning (the public feed's link); YJ_ENOTFOUND unless issued */
json_t *warn_cap_public(store *s, int64_t id, yj_err *e);
/* the CAP identifier of a version's message: the warning's for version 1, "<identifier>-vN" after */
void warn_cap_message_id(const char *identifier, int version, char *out, size_t cap);

/* warn_feed.c: the public feed of current alerts (newest issued first, at most WARN_FEED_MAX) */
#define WARN_FEED_MAX 500
/* as JSON: {"sender", "items":[{id, identifier, version, type, level, headline, areas, issued, expires, cap,
 * sender, sender_name, event, event_code}]} (a new object) */
json_t *warn_feed_json(store *s, yj_err *e);
/* as an Atom feed (RFC 4287), one entry per current alert linking its CAP message; base: the absolute
 * URL prefix links start with ("https://host"). malloc'ed UTF-8, or NULL with *e */
char *warn_feed_atom(store *s, const char *base, size_t *len, yj_err *e);

/* cap_write.c: XML character data of n bytes of s into b (& < > " escaped, CR as &#13;). A character XML 1.0
 * cannot carry: with replace, U+FFFD is written for it and 0 answered; else nothing more is written and its
 * code point answered (a control character, or 0xFFFE for U+FFFE/U+FFFF). */
unsigned cap_xml_escape(strbuf *b, const char *s, size_t n, bool replace);

/* cap_db.c: the SQL of tables cap_alert and cap_alert_ref */
typedef struct cap_row {
	int64_t id;
	char sender[256], identifier[256], msg_type[16], status[16], version[8];
	int64_t sent_ms, received_ms, received_by, warning_id; /* 0: NULL */
	json_t *refs; /* owned */
	char *xml;    /* owned; only from cap_db_get */
} cap_row;
void cap_row_clear(cap_row *r);
/* by key; xml not read: 1, 0 none, -1 */
int cap_db_find(store *s, const char *sender, const char *identifier, cap_row *out, yj_err *e);
int cap_db_get(store *s, int64_t id, cap_row *out, yj_err *e);
/* a received alert (cap_parse's JSON, its xml_len bytes) and its references: 1 with *id_out, 0 when
 * (sender, identifier) is there already, -1 */
int cap_db_insert(store *s, json_t *alert, const char *xml, size_t xml_len, int64_t received_by, int64_t received_ms,
                  int64_t *id_out, yj_err *e);
int cap_db_link(store *s, int64_t alert_id, int64_t warning_id, yj_err *e);
/* alerts whose references name (sender, identifier), oldest first; fn as warn_row_fn */
typedef int (*cap_row_fn)(store *s, const cap_row *r, void *ctx, yj_err *e);
int cap_db_referring_each(store *s, const char *sender, const char *identifier, cap_row_fn fn, void *ctx, yj_err *e);

/* What store_each carries to the typed visitors of warn_db.c and cap_db.c: the caller's function and context */
typedef struct warn_visit {
	store *s;
	void *ctx;
	union {
		warn_row_fn row;
		warn_version_fn version;
		cap_row_fn cap;
	} fn;
	bool (*keep)(const warn_row *w, const void *kctx); /* rows: only those kept (NULL: all) */
	const void *kctx;
} warn_visit;

/*
 * cap_import.c: a received alert (cap_parse's JSON; xml: its len bytes) stored and acted on for u
 * inside the caller's transaction: an alert becomes a draft in u's jurisdiction; an Update or Cancel
 * is linked to the warning of the alert it references (a Cancel cancels a draft through warn_action);
 * one whose references are unknown is an alert in its own right, linked when they arrive. A reference
 * to an alert of another jurisdiction is refused (YJ_EFORBIDDEN). An alert received before: YJ_ECONFLICT.
 */
typedef struct cap_import_result {
	int64_t cap_alert_id;
	int64_t warning_id; /* the warning made or linked, 0: none */
	char result[400];   /* what was done, in words */
} cap_import_result;
int cap_import(store *s, const auth_user *u, json_t *alert, const char *xml, size_t len, cap_import_result *out,
               yj_err *e);
/* audit projection of "cap_alert" (version 1) */
json_t *cap_project(store *s, const char *id);

/* warn_api.c */
void warn_lifecycle_api_register(void);

/* cap.c (also in warning.h) */
json_t *cap_parse(const char *xml, size_t len, yj_err *e);
char *cap_render(json_t *alert, yj_err *e);

/* ---- the monitoring rules' alarms, as the rest of the module reads them (rules.c, rules_db.c;
 * the rules' own declarations are in rules_int.h) ---- */

/* What an alarm measured and how it was judged, kept with it (its rule may change later).
 * Empty strings and 0 / has_threshold false: not of this alarm's kind. */
typedef struct warn_alarm_facts {
	char metric[24];        /* threshold: the metric (rain_mm) */
	char agg[8];            /* threshold: sum, max, min, avg, last, count */
	int64_t window_s;       /* threshold: the window; offline: the time without data that raises */
	char op[4];             /* threshold: >=, >, <=, < */
	bool has_threshold;
	double threshold;       /* threshold: the value compared with */
	char fence_trigger[8];  /* geofence: enter, exit */
	char fence_name[128];   /* geofence: the area's name, or the rule's for a drawn polygon */
} warn_alarm_facts;

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
	warn_alarm_facts facts;
} warn_alarm;
/* 1 with *out filled, 0 no such alarm, -1 error */
int warn_alarm_get(store *s, int64_t id, warn_alarm *out, yj_err *e);
/* The API's JSON of an alarm (new reference). */
json_t *warn_alarm_to_json(const warn_alarm *a);
/* The same by id; NULL when there is no such alarm. */
json_t *warn_alarm_json(store *s, int64_t id);

#endif
