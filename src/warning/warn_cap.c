/*
 * warn_cap.c — this bureau's warnings as CAP 1.2 messages.
 *
 * Each version of a warning is one CAP message, built from the snapshot
 * the version keeps (what recipients were told then), never from the
 * warning as it is now: version 1 is the Alert, later ones Updates or the
 * Cancel, each referencing every earlier message. Identifiers: the
 * warning's for version 1, "<identifier>-vN" after. cap_render (cap_write.c)
 * turns the JSON built here into XML that passes the OASIS schema.
 *
 * Who sends: the issuing authority of the warning's jurisdiction (table
 * `authority`, reg_authority_for: a 陆河县 warning is sent by 陆河县应急管理局,
 * a city warning by 汕尾市应急管理局), its CAP sender and full name. A
 * jurisdiction with no authority on its way up the area tree falls back to
 * the sender `serve --cap-sender` names and "<area>应急管理局".
 *
 * What the info says beyond the schema: <eventCode> the national profile's
 * event type (GB/T 35561-2017, data/cap/) where the type has one, and
 * yingji's own type; <responseType> Evacuate for an evacuation order, else
 * Prepare (orange, red) or Monitor (blue, yellow), AllClear on the Cancel;
 * parameters with the level in the national form (预警级别 Ⅲ级, 预警颜色
 * 黄色) next to yingji's own (yingji:type, yingji:level).
 */
#include <stdio.h>
#include <string.h>

#include "geo/geo.h"
#include "registry/registry.h"
#include "warning/warn_int.h"

static const char *fallback_sender = "yingji@emergency-bureau.example";

void warn_set_cap_sender(const char *sender)
{
	if (sender && *sender)
		fallback_sender = sender;
}

const char *warn_cap_sender(void)
{
	return fallback_sender;
}

int warn_cap_issuer(store *s, const char *area_code, warn_issuer *out, yj_err *e)
{
	reg_authority a;
	int rc = area_code && *area_code ? reg_authority_for(s, area_code, &a, e) : 0;
	if (rc < 0)
		return -1;
	if (rc > 0 && a.cap_sender[0] && a.name[0]) {
		snprintf(out->sender, sizeof out->sender, "%s", a.cap_sender);
		snprintf(out->name, sizeof out->name, "%s", a.name);
		return 0;
	}
	const char *area = area_code && *area_code ? geo_area_name(area_code) : "";
	snprintf(out->sender, sizeof out->sender, "%s", fallback_sender);
	snprintf(out->name, sizeof out->name, "%s应急管理局", area && strcmp(area, area_code) != 0 ? area : "");
	return 0;
}

void warn_cap_message_id(const char *identifier, int version, char *out, size_t cap)
{
	if (version <= 1)
		snprintf(out, cap, "%s", identifier);
	else
		snprintf(out, cap, "%s-v%d", identifier, version);
}

/* the versions up to the one asked for: the last one read, and the earlier messages it references */
typedef struct versions {
	json_t *refs, *snap;
	char msg_type[16], base[80], sent[40];
	int version;
} versions;

static int take_version(int version, const char *msg_type, int64_t sent_ms, const char *snapshot, void *ctx, yj_err *e)
{
	versions *v = ctx;
	if (v->snap) {
		/* every earlier message is referenced by the later ones (the sender is set once known) */
		char prev[96];
		warn_cap_message_id(v->base, v->version, prev, sizeof prev);
		json_array_append_new(v->refs, json_pack("{s:s, s:s}", "identifier", prev, "sent", v->sent));
		json_decref(v->snap);
	}
	v->version = version;
	snprintf(v->msg_type, sizeof v->msg_type, "%s", msg_type);
	yj_time_format(sent_ms, v->sent);
	v->snap = json_loads(snapshot, 0, NULL);
	if (!json_is_object(v->snap))
		return yj_fail(e, YJ_EINTERNAL, "version", "the snapshot of version %d is not readable", version);
	snprintf(v->base, sizeof v->base, "%s", json_string_value(json_object_get(v->snap, "identifier")));
	return 0;
}

/* the CAP <area>: target areas by name with their codes as geocodes, drawn polygons as CAP polygons */
static json_t *cap_area(json_t *snap)
{
	strbuf desc;
	strbuf_init(&desc);
	json_t *geocodes = json_array(), *polys = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(snap, "areas"), i, a) {
		const char *name = json_string_value(json_array_get(json_object_get(snap, "area_names"), i));
		if (desc.len)
			strbuf_puts(&desc, "、");
		strbuf_puts(&desc, name && *name ? name : json_string_value(a));
		json_array_append_new(geocodes, json_pack("{s:s, s:s}", "valueName", "GB/T 2260", "value", json_string_value(a)));
	}
	json_array_foreach(json_object_get(snap, "polygons"), i, a) {
		/* a CAP polygon is one ring: the outer rings of (Multi)Polygons */
		json_t *coords = json_object_get(a, "coordinates");
		const char *type = json_string_value(json_object_get(a, "type"));
		if (type && !strcmp(type, "Polygon")) {
			json_array_append(polys, json_array_get(coords, 0));
		} else {
			size_t k;
			json_t *p;
			json_array_foreach(coords, k, p) json_array_append(polys, json_array_get(p, 0));
		}
	}
	if (!desc.len)
		strbuf_puts(&desc, "划定区域");
	json_t *area = json_pack("{s:s, s:o, s:[], s:o}", "areaDesc", desc.data, "polygons", polys, "circles", "geocodes",
	                         geocodes);
	strbuf_free(&desc);
	return area;
}

static json_t *pair(const char *name, const char *value)
{
	return json_pack("{s:s, s:s}", "valueName", name, "value", value ? value : "");
}

/* what people should do: the order to evacuate, else what the level asks; all clear when cancelled */
static json_t *response_types(json_t *snap, const char *msg_type)
{
	const char *level = json_string_value(json_object_get(snap, "level"));
	if (strcmp(msg_type, "Cancel") == 0)
		return json_pack("[s]", "AllClear");
	if (json_is_true(json_object_get(snap, "evacuation")))
		return json_pack("[s]", "Evacuate");
	bool high = level && (!strcmp(level, "red") || !strcmp(level, "orange"));
	return json_pack("[s]", high ? "Prepare" : "Monitor");
}

/* the national profile's event code (where the type has one) and yingji's own type */
static json_t *event_codes(const char *type)
{
	json_t *codes = json_array();
	const char *code = cap_type_event_code(type, NULL);
	if (code)
		json_array_append_new(codes, pair(WARN_CAP_EVENT_CODE_NAME, code));
	json_array_append_new(codes, pair("yingji:type", type));
	return codes;
}

static json_t *parameters(const char *type, const char *level)
{
	const char *colour, *grade = cap_level_national(level, &colour);
	json_t *p = json_pack("[o, o]", pair("yingji:type", type), pair("yingji:level", level));
	if (grade) {
		json_array_append_new(p, pair("预警级别", grade));
		json_array_append_new(p, pair("预警颜色", colour));
	}
	return p;
}

static json_t *cap_info(json_t *snap, const char *msg_type, const warn_issuer *by)
{
	const char *type = json_string_value(json_object_get(snap, "type"));
	const char *level = json_string_value(json_object_get(snap, "level"));
	const char *severity = cap_level_severity(level), *category = cap_type_category(type), *event = cap_type_event(type);
	bool urgent = level && (!strcmp(level, "red") || !strcmp(level, "orange"));
	json_t *info = json_pack("{s:s, s:[s], s:s, s:o, s:s, s:s, s:s, s:o, s:s, s:s}", "language", "zh-CN", "category",
	                         category ? category : "Other", "event", event ? event : "突发事件", "responseType",
	                         response_types(snap, msg_type), "urgency", urgent ? "Immediate" : "Expected", "severity",
	                         severity ? severity : "Unknown", "certainty", "Likely", "eventCodes", event_codes(type),
	                         "senderName", by->name, "headline", json_string_value(json_object_get(snap, "headline")));
	static const char *const texts[] = {"description", "instruction"};
	for (size_t i = 0; i < YJ_ARRAY_LEN(texts); i++) {
		const char *t = json_string_value(json_object_get(snap, texts[i]));
		if (t && *t)
			json_object_set_new(info, texts[i], json_string(t));
	}
	static const char *const times[] = {"onset", "expires"};
	for (size_t i = 0; i < YJ_ARRAY_LEN(times); i++) {
		json_t *t = json_object_get(snap, times[i]);
		if (json_is_string(t))
			json_object_set(info, times[i], t);
	}
	json_object_set_new(info, "parameters", parameters(type, level));
	json_object_set_new(info, "area", json_pack("[o]", cap_area(snap)));
	return info;
}

json_t *warn_cap_alert(store *s, int64_t id, int version, yj_err *e)
{
	versions v = {.refs = json_array()};
	if (warn_db_versions_each(s, id, version, true, take_version, &v, e))
		goto fail;
	if (!v.snap || (version > 0 && v.version != version)) {
		if (version > 0)
			yj_fail(e, YJ_ENOTFOUND, "version", "warning %lld has no version %d", (long long)id, version);
		else
			yj_fail(e, YJ_ENOTFOUND, "version", "warning %lld has no issued version yet", (long long)id);
		goto fail;
	}
	warn_issuer by;
	if (warn_cap_issuer(s, json_string_value(json_object_get(v.snap, "area_code")), &by, e))
		goto fail;
	size_t i;
	json_t *r;
	json_array_foreach(v.refs, i, r) json_object_set_new(r, "sender", json_string(by.sender));
	char ident[96];
	warn_cap_message_id(v.base, v.version, ident, sizeof ident);
	json_t *alert = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:[o]}", "version", "1.2", "identifier", ident,
	                          "sender", by.sender, "sent", v.sent, "status", "Actual", "msgType", v.msg_type, "scope",
	                          "Public", "references", v.refs, "info", cap_info(v.snap, v.msg_type, &by));
	json_decref(v.snap);
	return alert;
fail:
	json_decref(v.refs);
	json_decref(v.snap);
	return NULL;
}

json_t *warn_cap_public(store *s, int64_t id, yj_err *e)
{
	warn_row w;
	int rc = warn_db_get(s, id, &w, e);
	if (rc < 0)
		return NULL;
	bool current = rc > 0 && strcmp(w.state, "issued") == 0;
	if (rc > 0)
		warn_row_clear(&w);
	if (!current) {
		yj_fail(e, YJ_ENOTFOUND, "id", "no current warning %lld", (long long)id);
		return NULL;
	}
	return warn_cap_alert(s, id, 0, e);
}
