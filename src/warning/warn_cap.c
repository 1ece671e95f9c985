/*
 * warn_cap.c — this bureau's warnings as CAP 1.2 messages.
 *
 * Each version of a warning is one CAP message, built from the snapshot
 * the version keeps (what recipients were told then), never from the
 * warning as it is now: version 1 is the Alert, later ones Updates or the
 * Cancel, each referencing every earlier message. Identifiers: the
 * warning's for version 1, "<identifier>-vN" after. cap_render (cap_write.c)
 * turns the JSON built here into XML that passes the OASIS schema.
 */
#include <stdio.h>
#include <string.h>

#include "warning/warn_int.h"

static const char *cap_sender = "yingji@emergency-bureau.example";

void warn_set_cap_sender(const char *sender)
{
	if (sender && *sender)
		cap_sender = sender;
}

const char *warn_cap_sender(void)
{
	return cap_sender;
}

void warn_cap_message_id(const char *identifier, int version, char *out, size_t cap)
{
	if (version <= 1)
		snprintf(out, cap, "%s", identifier);
	else
		snprintf(out, cap, "%s-v%d", identifier, version);
}

static const char *event_name(const char *type)
{
	static const char *const map[][2] = {{"typhoon", "台风"},         {"rainstorm", "暴雨"},
	                                     {"flood", "洪水"},           {"geological", "地质灾害"},
	                                     {"forest_fire", "森林火险"}, {"high_temperature", "高温"},
	                                     {"hazmat", "危险化学品事故"}, {"other", "突发事件"}};
	for (size_t i = 0; type && i < YJ_ARRAY_LEN(map); i++)
		if (!strcmp(map[i][0], type))
			return map[i][1];
	return type ? type : "突发事件";
}

/* the versions up to the one asked for: the last one read, and references to those before it */
typedef struct versions {
	json_t *refs, *snap;
	char msg_type[16], base[80], sent[40];
	int version;
} versions;

static int take_version(int version, const char *msg_type, int64_t sent_ms, const char *snapshot, void *ctx, yj_err *e)
{
	versions *v = ctx;
	if (v->snap) {
		/* every earlier message is referenced by the later ones */
		char prev[96];
		warn_cap_message_id(v->base, v->version, prev, sizeof prev);
		json_array_append_new(v->refs, json_pack("{s:s, s:s, s:s}", "sender", cap_sender, "identifier", prev, "sent",
		                                         v->sent));
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

json_t *warn_cap_alert(store *s, int64_t id, int version, yj_err *e)
{
	versions v = {.refs = json_array()};
	if (warn_db_versions_each(s, id, version, take_version, &v, e)) {
		json_decref(v.refs);
		json_decref(v.snap);
		return NULL;
	}
	if (!v.snap || (version > 0 && v.version != version)) {
		json_decref(v.refs);
		json_decref(v.snap);
		if (version > 0)
			yj_fail(e, YJ_ENOTFOUND, "version", "warning %lld has no version %d", (long long)id, version);
		else
			yj_fail(e, YJ_ENOTFOUND, "version", "warning %lld has no issued version yet", (long long)id);
		return NULL;
	}
	json_t *snap = v.snap;
	char ident[96];
	warn_cap_message_id(v.base, v.version, ident, sizeof ident);
	const char *type = json_string_value(json_object_get(snap, "type"));
	const char *level = json_string_value(json_object_get(snap, "level"));
	const char *severity = cap_level_severity(level), *category = cap_type_category(type);
	bool urgent = level && (!strcmp(level, "red") || !strcmp(level, "orange"));
	json_t *info = json_pack("{s:s, s:[s], s:s, s:s, s:s, s:s, s:s, s:s}", "language", "zh-CN", "category",
	                         category ? category : "Other", "event", event_name(type), "urgency",
	                         urgent ? "Immediate" : "Expected", "severity", severity ? severity : "Unknown",
	                         "certainty", "Likely", "senderName", "应急管理局", "headline",
	                         json_string_value(json_object_get(snap, "headline")));
	const char *desc = json_string_value(json_object_get(snap, "description"));
	const char *instr = json_string_value(json_object_get(snap, "instruction"));
	if (desc && *desc)
		json_object_set_new(info, "description", json_string(desc));
	if (instr && *instr)
		json_object_set_new(info, "instruction", json_string(instr));
	json_t *onset = json_object_get(snap, "onset"), *expires = json_object_get(snap, "expires");
	if (json_is_string(onset))
		json_object_set(info, "onset", onset);
	if (json_is_string(expires))
		json_object_set(info, "expires", expires);
	json_object_set_new(info, "parameters", json_pack("[{s:s, s:s?}, {s:s, s:s?}]", "valueName", "yingji:type", "value",
	                                                  type, "valueName", "yingji:level", "value", level));
	json_object_set_new(info, "eventCodes", json_array());
	json_object_set_new(info, "area", json_pack("[o]", cap_area(snap)));
	json_t *alert = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:[o]}", "version", "1.2", "identifier", ident,
	                          "sender", cap_sender, "sent", v.sent, "status", "Actual", "msgType", v.msg_type, "scope",
	                          "Public", "references", v.refs, "info", info);
	json_decref(snap);
	return alert;
}

static int feed_item(store *s, const warn_row *w, void *ctx, yj_err *e)
{
	char exp[40], iss[40], ident[96], url[64];
	yj_time_format(w->expires_ms, exp);
	yj_time_format(w->issued_ms, iss);
	warn_cap_message_id(w->identifier, w->version, ident, sizeof ident);
	snprintf(url, sizeof url, "/api/v1/public/cap/%lld", (long long)w->id);
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:O, s:s, s:s, s:s}", "id", (json_int_t)w->id,
	                                     "identifier", ident, "version", w->version, "type", w->type, "level", w->level,
	                                     "headline", w->headline, "areas", w->areas, "issued", iss, "expires", exp,
	                                     "cap", url));
	return 0;
}

json_t *warn_cap_feed(store *s, yj_err *e)
{
	json_t *items = json_array();
	if (warn_db_current_each(s, 500, feed_item, items, e)) {
		json_decref(items);
		return NULL;
	}
	return items;
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
