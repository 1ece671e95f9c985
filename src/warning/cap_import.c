/*
 * cap_import.c — CAP alerts received from outside (an upstream met office,
 * a neighbouring city), stored once each and acted on for the importing
 * user, inside the caller's transaction:
 *
 *   - an Alert becomes a draft warning in the user's jurisdiction (issuing
 *     is the bureau's decision, with the two-person rule): its geocodes that
 *     are our areas, its polygons and circles clipped to the jurisdiction, or
 *     the whole jurisdiction when it names no place we can map;
 *   - an Update or Cancel is linked to the warning of the alert it
 *     references; a Cancel cancels that warning while it is not yet issued,
 *     through warn_action (audited, with its rules of who may);
 *   - feeds send Updates and Cancels for alerts a receiver never saw: one
 *     whose references are unknown is an alert in its own right (an Update
 *     with <info> makes a draft), and when the referenced alert arrives
 *     later it is linked to the warning of the message that came first;
 *   - a reference resolves only inside the user's jurisdiction: naming an
 *     alert that another jurisdiction received is refused, and nothing is
 *     stored.
 *
 * Every import is audited ("cap.import", projection "cap_alert").
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "warning/warn_int.h"

#define DAY_MS (24 * 3600 * 1000LL)

/* the type an event code names: yingji's own (a message of ours coming back), the national profile's */
static const char *type_from_codes(json_t *info)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(info, "eventCodes"), i, c) {
		const char *name = json_string_value(json_object_get(c, "valueName"));
		const char *value = json_string_value(json_object_get(c, "value"));
		if (!name || !value)
			continue;
		if (!strcmp(name, "yingji:type"))
			for (int t = 0; warn_types[t]; t++)
				if (!strcmp(warn_types[t], value))
					return warn_types[t];
		if (!strcmp(name, WARN_CAP_EVENT_CODE_NAME) && cap_event_code_type(value))
			return cap_event_code_type(value);
	}
	return NULL;
}

static const char *type_from_cap(json_t *info)
{
	const char *coded = type_from_codes(info);
	if (coded)
		return coded;
	const char *cat = json_string_value(json_array_get(json_object_get(info, "category"), 0));
	const char *ev = json_string_value(json_object_get(info, "event"));
	if (ev && (strstr(ev, "台风") || strstr(ev, "yphoon") || strstr(ev, "ropical") || strstr(ev, "urricane")))
		return "typhoon";
	if (ev && (strstr(ev, "暴雨") || strstr(ev, "ain") || strstr(ev, "hunderstorm")))
		return "rainstorm";
	if (ev && (strstr(ev, "洪") || strstr(ev, "lood") || strstr(ev, "水库")))
		return "flood";
	if (cat && !strcmp(cat, "Geo"))
		return "geological";
	if (cat && !strcmp(cat, "Fire"))
		return "forest_fire";
	if (cat && !strcmp(cat, "CBRNE"))
		return "hazmat";
	if (ev && (strstr(ev, "高温") || strstr(ev, "eat")))
		return "high_temperature";
	return "other";
}

/* the level of a CAP severity; Minor, Unknown and anything else: blue */
static const char *level_from_severity(const char *sev)
{
	const char *level = cap_severity_level(sev);
	return level ? level : "blue";
}

/* s cut to at most max bytes on a character boundary (malloc'ed), NULL for NULL */
static char *cut(const char *s, size_t max)
{
	if (!s)
		return NULL;
	size_t n = strlen(s); /* yj_strndup copies n bytes whatever they are, unlike strndup */
	char *c = yj_strndup(s, n > max ? max : n);
	if (n > max)
		yj_utf8_trim(c);
	return c;
}

/* errors of the store (as opposed to refusals of a draft's content) fail the whole import */
static bool fatal(const yj_err *e)
{
	return e->code == YJ_EINTERNAL || e->code == YJ_EUNAVAILABLE || e->code == YJ_OK;
}

/* ---- a draft from an alert's first <info> ------------------------------------------------------ */

typedef struct draft {
	warn_fields f;
	char headline[304];
	char *description, *instruction;
	json_t *areas, *polygons;
} draft;

static void draft_clear(draft *d)
{
	free(d->description);
	free(d->instruction);
	json_decref(d->areas);
	json_decref(d->polygons);
}

/* 0 with d filled; 1 with why: no draft can be made; -1 store error */
static int draft_of(store *s, const auth_user *u, json_t *info, draft *d, char *why, size_t cap, yj_err *e)
{
	memset(d, 0, sizeof *d);
	d->areas = json_array();
	d->polygons = json_array();
	warn_fields *f = &d->f;
	f->type = type_from_cap(info);
	f->level = level_from_severity(json_string_value(json_object_get(info, "severity")));
	const char *hl = json_string_value(json_object_get(info, "headline"));
	if (!hl || !*hl)
		hl = json_string_value(json_object_get(info, "event"));
	snprintf(d->headline, sizeof d->headline, "%.300s", hl ? hl : "");
	yj_utf8_trim(d->headline);
	f->headline = d->headline;
	f->description = d->description = cut(json_string_value(json_object_get(info, "description")), 8000);
	f->instruction = d->instruction = cut(json_string_value(json_object_get(info, "instruction")), 4000);
	/* the places: our area codes among the geocodes, the rings and circles inside our jurisdiction */
	auth_scope sc;
	if (auth_scope_for(u, NULL, "area", &sc, e))
		return -1;
	json_t *rings = json_array(), *circles = json_array();
	size_t i, k;
	json_t *ar, *v;
	json_array_foreach(json_object_get(info, "area"), i, ar) {
		json_array_foreach(json_object_get(ar, "geocodes"), k, v) {
			const char *code = json_string_value(json_object_get(v, "value"));
			if (code && geo_area_find(code) && auth_scope_contains(&sc, code) && json_array_size(d->areas) < 1000)
				json_array_append_new(d->areas, json_string(code));
		}
		json_array_extend(rings, json_object_get(ar, "polygons"));
		json_array_extend(circles, json_object_get(ar, "circles"));
	}
	bool drawn = json_array_size(rings) + json_array_size(circles) > 0;
	int n = drawn ? warn_geo_clip(s, u->area_code, rings, circles, d->polygons, e) : 0;
	json_decref(rings);
	json_decref(circles);
	if (n < 0)
		return -1;
	if (json_array_size(d->areas) == 0 && n == 0) {
		if (drawn) {
			snprintf(why, cap, "the alert's polygons and circles lie outside your jurisdiction %s (%s)",
			         geo_area_name(u->area_code), u->area_code);
			return 1;
		}
		json_array_append_new(d->areas, json_string(u->area_code)); /* no place we can map: all of ours */
	}
	f->areas = d->areas;
	f->polygons = n ? d->polygons : NULL;
	int64_t exp = json_integer_value(json_object_get(info, "expires_ms"));
	f->set_expires = true;
	f->expires_ms = exp > yj_now_ms() ? exp : yj_now_ms() + DAY_MS;
	return 0;
}

/* ---- references ----------------------------------------------------------------------------------- */

/* the jurisdiction an alert we hold belongs to: its warning's, else its receiver's ("" unknown) */
static int alert_area(store *s, const cap_row *r, char out[16], yj_err *e)
{
	out[0] = 0;
	if (r->warning_id) {
		warn_row w;
		int rc = warn_db_get(s, r->warning_id, &w, e);
		if (rc < 0)
			return -1;
		if (rc > 0)
			snprintf(out, 16, "%s", w.area_code);
		warn_row_clear(&w);
		if (rc > 0)
			return 0;
	}
	auth_user_row ur;
	int rc = r->received_by ? auth_user_get(s, r->received_by, &ur, e) : 0;
	if (rc < 0)
		return -1;
	if (rc > 0)
		snprintf(out, 16, "%s", ur.area_code);
	return 0;
}

/* the referenced alerts we hold: each in u's jurisdiction (else refused); *warning_id the newest
 * warning among them (0: none) */
static int resolve_refs(store *s, const auth_user *u, json_t *refs, int64_t *warning_id, yj_err *e)
{
	*warning_id = 0;
	auth_scope sc;
	if (auth_scope_for(u, NULL, "area", &sc, e))
		return -1;
	size_t i;
	json_t *ref;
	json_array_foreach(refs, i, ref) {
		cap_row r;
		int rc = cap_db_find(s, json_string_value(json_object_get(ref, "sender")),
		                     json_string_value(json_object_get(ref, "identifier")), &r, e);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		char area[16];
		rc = alert_area(s, &r, area, e);
		int64_t wid = r.warning_id;
		cap_row_clear(&r);
		if (rc)
			return -1;
		if (!auth_scope_contains(&sc, area))
			return yj_fail(e, YJ_EFORBIDDEN, "/alert/references",
			               "/alert/references: reference %zu names an alert that another jurisdiction received; "
			               "only its receivers (or an area above them) may update or cancel it", i + 1);
		if (wid > *warning_id)
			*warning_id = wid;
	}
	return 0;
}

/* messages received earlier that reference the alert now arriving */
typedef struct later {
	auth_scope sc;
	int64_t warning_id;
	char warning_from[300]; /* "Update <identifier>" */
	char cancelled_by[280];
} later;

static int see_later(store *s, const cap_row *r, void *ctx, yj_err *e)
{
	later *l = ctx;
	char area[16];
	if (alert_area(s, r, area, e))
		return -1;
	if (!auth_scope_contains(&l->sc, area))
		return 0; /* another jurisdiction's business */
	if (r->warning_id && !l->warning_id) {
		l->warning_id = r->warning_id;
		snprintf(l->warning_from, sizeof l->warning_from, "%s %s", r->msg_type, r->identifier);
	}
	if (!strcmp(r->msg_type, "Cancel") && !l->cancelled_by[0])
		snprintf(l->cancelled_by, sizeof l->cancelled_by, "%s", r->identifier);
	return 0;
}

/* ---- acting on what arrived ----------------------------------------------------------------------- */

/* a Cancel of a warning we hold: through the lifecycle, if u may */
static int cancel_referenced(store *s, const auth_user *u, int64_t wid, cap_import_result *out, yj_err *e)
{
	warn_row w;
	int rc = warn_db_get(s, wid, &w, e);
	if (rc <= 0) {
		snprintf(out->result, sizeof out->result, "stored (the referenced warning is gone)");
		return rc < 0 ? -1 : 0;
	}
	yj_err why = {0};
	if (!strcmp(w.state, "issued")) {
		snprintf(out->result, sizeof out->result, "referenced warning is issued: a commander must cancel it");
	} else if (strcmp(w.state, "draft") && strcmp(w.state, "submitted") && strcmp(w.state, "approved")) {
		snprintf(out->result, sizeof out->result, "referenced warning is %s already", w.state);
	} else if (warn_may(&w, u, "cancel", &why)) {
		snprintf(out->result, sizeof out->result, "stored; the referenced warning is not cancelled: %s", why.message);
	} else {
		rc = warn_action(s, u, wid, "cancel", NULL, e);
		if (rc == 0)
			snprintf(out->result, sizeof out->result, "referenced draft cancelled");
	}
	warn_row_clear(&w);
	return rc < 0 ? -1 : 0;
}

/* an alert in its own right: linked to what came first, or a draft */
static int own_right(store *s, const auth_user *u, json_t *alert, cap_import_result *out, yj_err *e)
{
	const char *msg_type = json_string_value(json_object_get(alert, "msgType"));
	later l = {0};
	if (auth_scope_for(u, NULL, "area", &l.sc, e) ||
	    cap_db_referring_each(s, json_string_value(json_object_get(alert, "sender")),
	                          json_string_value(json_object_get(alert, "identifier")), see_later, &l, e))
		return -1;
	if (l.warning_id) {
		out->warning_id = l.warning_id;
		snprintf(out->result, sizeof out->result, "linked to warning %lld, made from the later %s received first",
		         (long long)l.warning_id, l.warning_from);
		return 0;
	}
	if (l.cancelled_by[0]) {
		snprintf(out->result, sizeof out->result, "stored (no draft: cancelled already by %s, received first)",
		         l.cancelled_by);
		return 0;
	}
	json_t *info = json_array_get(json_object_get(alert, "info"), 0);
	if (strcmp(msg_type, "Alert") && strcmp(msg_type, "Update")) {
		snprintf(out->result, sizeof out->result, "stored (%s of no alert received before)", msg_type);
		return 0;
	}
	if (!info) {
		snprintf(out->result, sizeof out->result, "stored (no draft: the alert has no <info>)");
		return 0;
	}
	draft d;
	char why[300] = "";
	int rc = draft_of(s, u, info, &d, why, sizeof why, e);
	if (rc == 0) {
		yj_err we = {0};
		if (warn_create(s, u, &d.f, "cap", out->cap_alert_id, &out->warning_id, &we) == 0) {
			snprintf(out->result, sizeof out->result, "draft warning created");
		} else if (fatal(&we)) {
			if (e)
				*e = we;
			rc = -1;
		} else {
			out->warning_id = 0;
			snprintf(why, sizeof why, "%s", we.message);
			rc = 1;
		}
	}
	if (rc == 1) {
		snprintf(out->result, sizeof out->result, "stored (no draft: %s)", why);
		yj_log(YJ_LOG_INFO, "cap_draft", "cap_alert=%lld no_draft=\"%s\"", (long long)out->cap_alert_id, why);
		rc = 0;
	}
	draft_clear(&d);
	return rc;
}

int cap_import(store *s, const auth_user *u, json_t *alert, const char *xml, size_t len, cap_import_result *out,
               yj_err *e)
{
	memset(out, 0, sizeof *out);
	const char *msg_type = json_string_value(json_object_get(alert, "msgType"));
	const char *sender = json_string_value(json_object_get(alert, "sender"));
	const char *ident = json_string_value(json_object_get(alert, "identifier"));
	if (!msg_type || !sender || !ident)
		return yj_fail(e, YJ_EUNPROCESSABLE, "/alert", "/alert: not a parsed CAP alert");
	int64_t ref_warning;
	if (resolve_refs(s, u, json_object_get(alert, "references"), &ref_warning, e))
		return -1;
	int rc = cap_db_insert(s, alert, xml, len, u->id, yj_now_ms(), &out->cap_alert_id, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_ECONFLICT, "/alert/identifier", "/alert/identifier: alert %.120s from %.120s was received "
		                                                     "already", ident, sender);
	if (ref_warning && !strcmp(msg_type, "Cancel")) {
		out->warning_id = ref_warning;
		rc = cancel_referenced(s, u, ref_warning, out, e);
	} else if (ref_warning) {
		out->warning_id = ref_warning;
		snprintf(out->result, sizeof out->result, "stored with the referenced warning");
		rc = 0;
	} else {
		rc = own_right(s, u, alert, out, e);
	}
	if (rc)
		return -1;
	if (out->warning_id && cap_db_link(s, out->cap_alert_id, out->warning_id, e))
		return -1;
	return audit_record_id(s, u, "cap.import", "cap_alert", out->cap_alert_id, e);
}

json_t *cap_project(store *s, const char *id)
{
	char *end;
	long long v = strtoll(id, &end, 10);
	cap_row r;
	if (*end || v <= 0 || cap_db_get(s, v, &r, NULL) <= 0)
		return NULL;
	/* the bytes as received, by digest (they need not be UTF-8: ISO-8859-1 alerts are kept as sent) */
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	crypto_hash_sha256(h, (const unsigned char *)(r.xml ? r.xml : ""), r.xml ? strlen(r.xml) : 0);
	yj_hex(h, sizeof h, hex);
	json_t *j = json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:O, s:s, s:s, s:I, s:o, s:o}", "id", (json_int_t)r.id,
	                      "sender", r.sender, "identifier", r.identifier, "sent_ms", (json_int_t)r.sent_ms, "status",
	                      r.status, "msg_type", r.msg_type, "refs", r.refs, "version", r.version, "xml_sha256", hex,
	                      "received_ms", (json_int_t)r.received_ms, "received_by",
	                      r.received_by ? json_integer(r.received_by) : json_null(), "warning_id",
	                      r.warning_id ? json_integer(r.warning_id) : json_null());
	cap_row_clear(&r);
	return j;
}
