/*
 * warn_feed.c — the public feed of current alerts, two ways:
 *   - JSON (GET /api/v1/cap/feed): one item per issued warning;
 *   - Atom (RFC 4287; GET /api/v1/cap/feed.atom, or /cap/feed with
 *     Accept: application/atom+xml): what alerting authorities publish for
 *     aggregators, one entry per current alert linking its CAP message, with
 *     the alert's main elements as CAP-namespaced extension elements
 *     (cap:event, cap:severity, cap:expires, ...) as national feeds do.
 *
 * Both read each alert's latest CAP message (warn_cap_alert), so the feed
 * says what the message says: the sender and its name (the issuing
 * authority), the event and its national event-type code.
 *
 * Entry ids are tag URIs (RFC 4151) minted from the sender, the day the
 * warning was issued and the message identifier: stable whatever host the
 * feed is read through. Links are absolute, built on the base the handler
 * passes (the request's host).
 */
#include <stdio.h>
#include <string.h>

#include "geo/geo.h"
#include "warning/warn_int.h"

#define NS_ATOM "http://www.w3.org/2005/Atom"
#define NS_CAP "urn:oasis:names:tc:emergency:cap:1.2"

/* one current alert: its row and its latest CAP message */
typedef int (*alert_fn)(const warn_row *w, json_t *alert, void *ctx, yj_err *e);

typedef struct walk {
	alert_fn fn;
	void *ctx;
} walk;

static int walk_row(store *s, const warn_row *w, void *ctx, yj_err *e)
{
	walk *k = ctx;
	json_t *alert = warn_cap_alert(s, w->id, 0, e);
	if (!alert)
		return -1;
	int rc = k->fn(w, alert, k->ctx, e);
	json_decref(alert);
	return rc;
}

static int current_each(store *s, alert_fn fn, void *ctx, yj_err *e)
{
	walk k = {fn, ctx};
	return warn_db_current_each(s, WARN_FEED_MAX, walk_row, &k, e);
}

/* a time in whole seconds at +08:00, as CAP writes times */
static void whole_seconds(int64_t ms, char out[40])
{
	yj_time_format(ms - ((ms % 1000) + 1000) % 1000, out);
}

static const char *info_text(json_t *alert, const char *key)
{
	const char *v = json_string_value(json_object_get(json_array_get(json_object_get(alert, "info"), 0), key));
	return v ? v : "";
}

/* the value of the info's eventCode named name, or NULL */
static const char *event_code(json_t *alert, const char *name)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_array_get(json_object_get(alert, "info"), 0), "eventCodes"), i, c)
	{
		const char *n = json_string_value(json_object_get(c, "valueName"));
		if (n && !strcmp(n, name))
			return json_string_value(json_object_get(c, "value"));
	}
	return NULL;
}

/* ---- JSON ------------------------------------------------------------------------------------------- */

static int json_item(const warn_row *w, json_t *alert, void *ctx, yj_err *e)
{
	char exp[40], iss[40], url[64];
	yj_time_format(w->expires_ms, exp);
	yj_time_format(w->issued_ms, iss);
	snprintf(url, sizeof url, "/api/v1/public/cap/%lld", (long long)w->id);
	const char *code = event_code(alert, WARN_CAP_EVENT_CODE_NAME);
	json_array_append_new(ctx, json_pack("{s:I, s:O, s:i, s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:O, s:s, s:s, s:o}",
	                                     "id", (json_int_t)w->id, "identifier", json_object_get(alert, "identifier"),
	                                     "version", w->version, "type", w->type, "level", w->level, "headline",
	                                     w->headline, "areas", w->areas, "issued", iss, "expires", exp, "cap", url,
	                                     "sender", json_object_get(alert, "sender"), "sender_name",
	                                     info_text(alert, "senderName"), "event", info_text(alert, "event"),
	                                     "event_code", code ? json_string(code) : json_null()));
	return 0;
}

json_t *warn_feed_json(store *s, yj_err *e)
{
	json_t *items = json_array();
	if (current_each(s, json_item, items, e)) {
		json_decref(items);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "sender", warn_cap_sender(), "items", items);
}

/* ---- Atom ------------------------------------------------------------------------------------------- */

typedef struct atom {
	strbuf b;
	const char *base;
	char updated[40]; /* the newest entry's, RFC 3339 */
} atom;

static void text(atom *a, const char *s)
{
	cap_xml_escape(&a->b, s, strlen(s), true);
}

/* <name>s</name> at depth */
static void element(atom *a, int depth, const char *name, const char *s)
{
	strbuf_printf(&a->b, "%*s<%s>", depth * 2, "", name);
	text(a, s);
	strbuf_printf(&a->b, "</%s>\n", name);
}

static void link_el(atom *a, int depth, const char *rel, const char *type, const char *path)
{
	strbuf_printf(&a->b, "%*s<link rel=\"%s\" type=\"%s\" href=\"", depth * 2, "", rel, type);
	text(a, a->base);
	text(a, path);
	strbuf_puts(&a->b, "\"/>\n");
}

/* an authority name as RFC 4151 wants it: a DNS name or an e-mail address */
static bool tag_authority(const char *s)
{
	if (!*s || strlen(s) > 120)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '-' || *p == '@'))
			return false;
	return strchr(s, '.') != NULL;
}

/* the entry's id: tag:<sender>,<day issued>:<message identifier>, else the CAP link's URL */
static void entry_id(atom *a, const warn_row *w, json_t *alert)
{
	const char *sender = json_string_value(json_object_get(alert, "sender"));
	const char *ident = json_string_value(json_object_get(alert, "identifier"));
	strbuf_puts(&a->b, "    <id>");
	if (sender && ident && tag_authority(sender)) {
		char day[40];
		yj_time_format(w->issued_ms, day);
		strbuf_puts(&a->b, "tag:");
		text(a, sender);
		strbuf_printf(&a->b, ",%.10s:", day);
		text(a, ident);
	} else {
		char path[64];
		snprintf(path, sizeof path, "/api/v1/public/cap/%lld", (long long)w->id);
		text(a, a->base);
		text(a, path);
	}
	strbuf_puts(&a->b, "</id>\n");
}

static int atom_entry(const warn_row *w, json_t *alert, void *ctx, yj_err *e)
{
	atom *a = ctx;
	const char *sent = json_string_value(json_object_get(alert, "sent"));
	const char *sender = json_string_value(json_object_get(alert, "sender"));
	char issued[40], expires[40], path[64];
	whole_seconds(w->issued_ms, issued);
	whole_seconds(w->expires_ms, expires);
	if (sent && (!a->updated[0] || strcmp(sent, a->updated) > 0))
		snprintf(a->updated, sizeof a->updated, "%s", sent);
	strbuf_puts(&a->b, "  <entry>\n");
	entry_id(a, w, alert);
	element(a, 2, "title", w->headline);
	element(a, 2, "updated", sent ? sent : issued);
	element(a, 2, "published", issued);
	strbuf_puts(&a->b, "    <author>\n");
	element(a, 3, "name", info_text(alert, "senderName"));
	if (sender && strchr(sender, '@'))
		element(a, 3, "email", sender);
	strbuf_puts(&a->b, "    </author>\n");
	snprintf(path, sizeof path, "/api/v1/public/cap/%lld", (long long)w->id);
	link_el(a, 2, "alternate", "application/cap+xml", path);
	const char *code = event_code(alert, WARN_CAP_EVENT_CODE_NAME);
	if (code) {
		strbuf_puts(&a->b, "    <category scheme=\"" WARN_CAP_EVENT_CODE_NAME "\" term=\"");
		text(a, code);
		strbuf_puts(&a->b, "\" label=\"");
		text(a, info_text(alert, "event"));
		strbuf_puts(&a->b, "\"/>\n");
	}
	const char *summary = info_text(alert, "description");
	element(a, 2, "summary", *summary ? summary : w->headline);
	static const char *const alert_keys[] = {"identifier", "sender", "sent", "status", "msgType", "scope"};
	for (size_t i = 0; i < YJ_ARRAY_LEN(alert_keys); i++) {
		const char *v = json_string_value(json_object_get(alert, alert_keys[i]));
		if (v) {
			char name[32];
			snprintf(name, sizeof name, "cap:%s", alert_keys[i]);
			element(a, 2, name, v);
		}
	}
	static const char *const info_keys[] = {"event", "urgency", "severity", "certainty"};
	for (size_t i = 0; i < YJ_ARRAY_LEN(info_keys); i++) {
		char name[32];
		snprintf(name, sizeof name, "cap:%s", info_keys[i]);
		element(a, 2, name, info_text(alert, info_keys[i]));
	}
	element(a, 2, "cap:expires", expires);
	json_t *area = json_array_get(json_object_get(json_array_get(json_object_get(alert, "info"), 0), "area"), 0);
	const char *desc = json_string_value(json_object_get(area, "areaDesc"));
	element(a, 2, "cap:areaDesc", desc ? desc : "");
	strbuf_puts(&a->b, "  </entry>\n");
	return 0;
}

/* the name the feed is published under: the issuing authority of the top area (the city) */
static bool first_top(const geo_area *area, void *ctx)
{
	snprintf(ctx, 16, "%s", area->code);
	return false;
}

char *warn_feed_atom(store *s, const char *base, size_t *len, yj_err *e)
{
	char top[16] = "";
	geo_areas_each(NULL, 0, first_top, top);
	warn_issuer by;
	if (warn_cap_issuer(s, top, &by, e))
		return NULL;
	atom a = {.base = base};
	strbuf entries;
	strbuf_init(&a.b);
	if (current_each(s, atom_entry, &a, e)) {
		strbuf_free(&a.b);
		return NULL;
	}
	entries = a.b;
	strbuf_init(&a.b);
	strbuf_puts(&a.b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                  "<feed xmlns=\"" NS_ATOM "\" xmlns:cap=\"" NS_CAP "\" xml:lang=\"zh-CN\">\n");
	strbuf_puts(&a.b, "  <id>tag:");
	text(&a, tag_authority(by.sender) ? by.sender : "yingji.invalid");
	strbuf_puts(&a.b, ",2022:cap/feed</id>\n");
	char title[200];
	snprintf(title, sizeof title, "%s 当前预警信息", by.name);
	element(&a, 1, "title", title);
	element(&a, 1, "subtitle", "突发事件预警信息 (CAP 1.2)，每条链接其 CAP 消息");
	if (!a.updated[0])
		whole_seconds(yj_now_ms(), a.updated);
	element(&a, 1, "updated", a.updated);
	strbuf_puts(&a.b, "  <author>\n");
	element(&a, 2, "name", by.name);
	strbuf_puts(&a.b, "  </author>\n");
	element(&a, 1, "generator", "yingji");
	link_el(&a, 1, "self", "application/atom+xml", "/api/v1/cap/feed.atom");
	link_el(&a, 1, "alternate", "application/json", "/api/v1/cap/feed");
	strbuf_append(&a.b, entries.data ? entries.data : "", entries.len);
	strbuf_free(&entries);
	strbuf_puts(&a.b, "</feed>\n");
	return strbuf_take(&a.b, len);
}
