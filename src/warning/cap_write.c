/*
 * cap_write.c — write CAP 1.2 alerts of our own (cap_render) from the JSON
 * shape cap_parse returns, and map warning levels and types to CAP values:
 * severity, category, the event's Chinese name, the national level
 * (Ⅲ级, 黄色) and the event-type code of the national early-warning profile
 * (GB/T 35561-2017, from the embedded data/cap/event_types_gbt35561.csv).
 *
 * The text is built element by element in schema order, escaped, and then
 * read back through every gate of cap_parse, so what leaves here is valid
 * CAP 1.2 or nothing.
 */
#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warning/cap_int.h"
#include "warning/warn_int.h"

typedef struct writer {
	strbuf b;
	yj_err *e;
} writer;

static int wfail(writer *w, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int wfail(writer *w, const char *field, const char *fmt, ...)
{
	char reason[200], reason_zh[300];
	va_list ap, zh_ap;
	va_start(ap, fmt);
	va_copy(zh_ap, ap);
	vsnprintf(reason, sizeof reason, fmt, ap);
	bool zh = yj_vformat_zh(reason_zh, sizeof reason_zh, fmt, zh_ap);
	va_end(zh_ap);
	va_end(ap);
	yj_utf8_trim(reason);
	yj_fail(w->e, YJ_EINVAL, field, "field '%s': %s", field, reason);
	if (zh)
		yj_err_set_zh(w->e, "field '%s': %s", field, reason_zh);
	if (w->e)
		yj_utf8_trim(w->e->field);
	return -1;
}

unsigned cap_xml_escape(strbuf *b, const char *s, size_t n, bool replace)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned bad = 0;
		switch (c) {
		case '&': strbuf_puts(b, "&amp;"); continue;
		case '<': strbuf_puts(b, "&lt;"); continue;
		case '>': strbuf_puts(b, "&gt;"); continue;
		case '"': strbuf_puts(b, "&quot;"); continue;
		case '\r': strbuf_puts(b, "&#13;"); continue; /* parsers would fold it */
		case '\t':
		case '\n': break;
		default:
			if (c < 0x20 || c == 0x7f)
				bad = c;
			else if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBF &&
			         ((unsigned char)s[i + 2] == 0xBE || (unsigned char)s[i + 2] == 0xBF))
				bad = 0xFFFE;
		}
		if (bad && !replace)
			return bad;
		if (bad) {
			strbuf_puts(b, "\xEF\xBF\xBD");
			i += bad == 0xFFFE ? 2 : 0;
			continue;
		}
		strbuf_append(b, &s[i], 1);
	}
	return 0;
}

/* XML text: escaped; refuse what XML 1.0 cannot carry, naming the field. */
static int put_escaped(writer *w, const char *s, size_t n, const char *field)
{
	unsigned bad = cap_xml_escape(&w->b, s, n, false);
	if (bad == 0xFFFE)
		return wfail(w, field, "U+FFFE/U+FFFF cannot be carried in XML");
	if (bad)
		return wfail(w, field, "control character U+%04X cannot be carried in XML", bad);
	return 0;
}

static void indent(writer *w, int depth)
{
	for (int i = 0; i < depth; i++)
		strbuf_puts(&w->b, "  ");
}

static int put_element(writer *w, int depth, const char *name, const char *s, size_t n, const char *field)
{
	indent(w, depth);
	strbuf_printf(&w->b, "<%s>", name);
	if (put_escaped(w, s, n, field))
		return -1;
	strbuf_printf(&w->b, "</%s>\n", name);
	return 0;
}

static void open_el(writer *w, int depth, const char *name)
{
	indent(w, depth);
	strbuf_printf(&w->b, "<%s>\n", name);
}

static void close_el(writer *w, int depth, const char *name)
{
	indent(w, depth);
	strbuf_printf(&w->b, "</%s>\n", name);
}

#define FIELD_MAX 96

/* obj's member key (NULL when absent or null), and its name for errors ("prefix.key") in field */
static json_t *member(json_t *obj, const char *key, const char *prefix, char field[FIELD_MAX])
{
	if (prefix && *prefix)
		snprintf(field, FIELD_MAX, "%s.%s", prefix, key);
	else
		snprintf(field, FIELD_MAX, "%s", key);
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

/* an absent member: refused when required (strings: say it is an array of strings), else nothing to write */
static int absent(writer *w, const char *field, bool required, bool strings)
{
	if (!required)
		return 0;
	return strings ? wfail(w, field, "is required (an array of strings)") : wfail(w, field, "is required");
}

/* A string member as <key>; required members must be there. */
static int put_member(writer *w, int depth, json_t *obj, const char *key, const char *prefix, bool required)
{
	char field[FIELD_MAX];
	json_t *v = member(obj, key, prefix, field);
	if (!v)
		return absent(w, field, required, false);
	if (!json_is_string(v))
		return wfail(w, field, "must be a string");
	return put_element(w, depth, key, json_string_value(v), json_string_length(v), field);
}

/* A time member: CAP form kept as is, other RFC 3339 forms (Z, fractions) or
 * key_ms rewritten as whole seconds at +08:00. */
static int put_time(writer *w, int depth, json_t *obj, const char *key, const char *prefix, bool required)
{
	char field[FIELD_MAX], mskey[32], out[40];
	snprintf(mskey, sizeof mskey, "%s_ms", key);
	json_t *v = member(obj, key, prefix, field), *msv = json_object_get(obj, mskey);
	int64_t ms;
	if (v) {
		const char *s = json_string_value(v);
		if (!s || yj_time_parse(s, &ms, key, NULL) != 0)
			return wfail(w, field, "must be an RFC 3339 time such as 2022-08-18T09:30:00+08:00");
		size_t len = strlen(s);
		bool cap_form = len == 25 && s[10] == 'T' && s[19] != '.' && (s[19] == '+' || s[19] == '-');
		if (cap_form) {
			snprintf(out, sizeof out, "%s", s);
		} else {
			yj_time_format(ms - ((ms % 1000) + 1000) % 1000, out);
		}
	} else if (json_is_integer(msv)) {
		ms = json_integer_value(msv);
		yj_time_format(ms - ((ms % 1000) + 1000) % 1000, out);
	} else {
		return absent(w, field, required, false);
	}
	return put_element(w, depth, key, out, strlen(out), field);
}

/* An array of strings, one element each (category, responseType, code). */
static int put_strings(writer *w, int depth, json_t *obj, const char *key, const char *prefix, bool required)
{
	char field[FIELD_MAX];
	json_t *arr = member(obj, key, prefix, field);
	if (!arr)
		return absent(w, field, required, true);
	if (json_is_string(arr)) /* one value given bare */
		return put_element(w, depth, key, json_string_value(arr), json_string_length(arr), field);
	if (!json_is_array(arr) || (required && json_array_size(arr) == 0))
		return wfail(w, field, "must be a non-empty array of strings");
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		char f[110];
		snprintf(f, sizeof f, "%s[%zu]", field, i);
		if (!json_is_string(v))
			return wfail(w, f, "must be a string");
		if (put_element(w, depth, key, json_string_value(v), json_string_length(v), f))
			return -1;
	}
	return 0;
}

/* [{"valueName","value"}...] as <element><valueName/><value/></element> */
static int put_pairs(writer *w, int depth, json_t *obj, const char *key, const char *element, const char *prefix)
{
	char field[FIELD_MAX];
	json_t *arr = member(obj, key, prefix, field);
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return wfail(w, field, "must be an array of {valueName, value}");
	size_t i;
	json_t *p;
	json_array_foreach(arr, i, p) {
		char f[110];
		snprintf(f, sizeof f, "%s[%zu]", field, i);
		if (!json_is_object(p))
			return wfail(w, f, "must be an object {valueName, value}");
		open_el(w, depth, element);
		if (put_member(w, depth + 1, p, "valueName", f, true) || put_member(w, depth + 1, p, "value", f, true))
			return -1;
		close_el(w, depth, element);
	}
	return 0;
}

/* Shortest decimal that reads back as the same double (no exponent). */
static void put_number(strbuf *b, double v)
{
	char s[64];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	if (strchr(s, 'e') || strchr(s, 'E')) {
		snprintf(s, sizeof s, "%.12f", v);
		size_t n = strlen(s);
		while (n > 1 && s[n - 1] == '0')
			s[--n] = '\0';
		if (s[n - 1] == '.')
			s[n - 1] = '\0';
	}
	strbuf_puts(b, s);
}

static int get_coord(writer *w, json_t *pt, const char *field, double *lon, double *lat)
{
	if (!json_is_array(pt) || json_array_size(pt) < 2 || !json_is_number(json_array_get(pt, 0)) ||
	    !json_is_number(json_array_get(pt, 1)))
		return wfail(w, field, "must be a [lon, lat] pair of numbers");
	*lon = json_number_value(json_array_get(pt, 0));
	*lat = json_number_value(json_array_get(pt, 1));
	if (!isfinite(*lon) || !isfinite(*lat))
		return wfail(w, field, "must be finite numbers");
	return 0;
}

static int put_area(writer *w, json_t *area, const char *f)
{
	char field[110];
	if (!json_is_object(area))
		return wfail(w, f, "must be an object");
	open_el(w, 2, "area");
	if (put_member(w, 3, area, "areaDesc", f, true))
		return -1;
	json_t *polys = json_object_get(area, "polygons"), *ring, *pt;
	size_t i, j;
	snprintf(field, sizeof field, "%s.polygons", f);
	if (polys && !json_is_array(polys))
		return wfail(w, field, "must be an array of rings [[lon,lat],...]");
	json_array_foreach(polys, i, ring) {
		snprintf(field, sizeof field, "%s.polygons[%zu]", f, i);
		if (!json_is_array(ring))
			return wfail(w, field, "must be a ring [[lon,lat],...]");
		indent(w, 3);
		strbuf_puts(&w->b, "<polygon>");
		json_array_foreach(ring, j, pt) {
			double lon = 0, lat = 0;
			char pf[130];
			snprintf(pf, sizeof pf, "%s[%zu]", field, j);
			if (get_coord(w, pt, pf, &lon, &lat))
				return -1;
			if (j)
				strbuf_puts(&w->b, " ");
			put_number(&w->b, lat);
			strbuf_puts(&w->b, ",");
			put_number(&w->b, lon);
		}
		strbuf_puts(&w->b, "</polygon>\n");
	}
	json_t *circles = json_object_get(area, "circles"), *c;
	snprintf(field, sizeof field, "%s.circles", f);
	if (circles && !json_is_array(circles))
		return wfail(w, field, "must be an array of {lon, lat, radius_km}");
	json_array_foreach(circles, i, c) {
		snprintf(field, sizeof field, "%s.circles[%zu]", f, i);
		json_t *lon = json_object_get(c, "lon"), *lat = json_object_get(c, "lat"),
		       *r = json_object_get(c, "radius_km");
		if (!json_is_number(lon) || !json_is_number(lat) || !json_is_number(r))
			return wfail(w, field, "must be {lon, lat, radius_km} numbers");
		indent(w, 3);
		strbuf_puts(&w->b, "<circle>");
		put_number(&w->b, json_number_value(lat));
		strbuf_puts(&w->b, ",");
		put_number(&w->b, json_number_value(lon));
		strbuf_puts(&w->b, " ");
		put_number(&w->b, json_number_value(r));
		strbuf_puts(&w->b, "</circle>\n");
	}
	if (put_pairs(w, 3, area, "geocodes", "geocode", f))
		return -1;
	static const char *const heights[] = {"altitude", "ceiling"};
	for (size_t k = 0; k < 2; k++) {
		json_t *h = json_object_get(area, heights[k]);
		if (!h || json_is_null(h))
			continue;
		snprintf(field, sizeof field, "%s.%s", f, heights[k]);
		if (!json_is_number(h))
			return wfail(w, field, "must be a number");
		indent(w, 3);
		strbuf_printf(&w->b, "<%s>", heights[k]);
		put_number(&w->b, json_number_value(h));
		strbuf_printf(&w->b, "</%s>\n", heights[k]);
	}
	close_el(w, 2, "area");
	return 0;
}

static int put_resource(writer *w, json_t *r, const char *f)
{
	if (!json_is_object(r))
		return wfail(w, f, "must be an object");
	open_el(w, 2, "resource");
	if (put_member(w, 3, r, "resourceDesc", f, true) || put_member(w, 3, r, "mimeType", f, true))
		return -1;
	json_t *size = json_object_get(r, "size");
	if (size && !json_is_null(size)) {
		char field[130];
		snprintf(field, sizeof field, "%s.size", f);
		if (!json_is_integer(size) || json_integer_value(size) < 0)
			return wfail(w, field, "must be a whole number of bytes");
		indent(w, 3);
		strbuf_printf(&w->b, "<size>%lld</size>\n", (long long)json_integer_value(size));
	}
	if (put_member(w, 3, r, "uri", f, false) || put_member(w, 3, r, "derefUri", f, false) ||
	    put_member(w, 3, r, "digest", f, false))
		return -1;
	close_el(w, 2, "resource");
	return 0;
}

static int put_info(writer *w, json_t *info, const char *f)
{
	if (!json_is_object(info))
		return wfail(w, f, "must be an object");
	open_el(w, 1, "info");
	if (put_member(w, 2, info, "language", f, false) || put_strings(w, 2, info, "category", f, true) ||
	    put_member(w, 2, info, "event", f, true) || put_strings(w, 2, info, "responseType", f, false) ||
	    put_member(w, 2, info, "urgency", f, true) || put_member(w, 2, info, "severity", f, true) ||
	    put_member(w, 2, info, "certainty", f, true) || put_member(w, 2, info, "audience", f, false) ||
	    put_pairs(w, 2, info, "eventCodes", "eventCode", f) || put_time(w, 2, info, "effective", f, false) ||
	    put_time(w, 2, info, "onset", f, false) || put_time(w, 2, info, "expires", f, false))
		return -1;
	static const char *const texts[] = {"senderName", "headline", "description", "instruction", "web", "contact"};
	for (size_t i = 0; i < YJ_ARRAY_LEN(texts); i++)
		if (put_member(w, 2, info, texts[i], f, false))
			return -1;
	if (put_pairs(w, 2, info, "parameters", "parameter", f))
		return -1;
	char field[110];
	size_t i;
	json_t *v, *items = json_object_get(info, "resource");
	snprintf(field, sizeof field, "%s.resource", f);
	if (items && !json_is_array(items))
		return wfail(w, field, "must be an array");
	json_array_foreach(items, i, v) {
		snprintf(field, sizeof field, "%s.resource[%zu]", f, i);
		if (put_resource(w, v, field))
			return -1;
	}
	items = json_object_get(info, "area");
	snprintf(field, sizeof field, "%s.area", f);
	if (items && !json_is_array(items))
		return wfail(w, field, "must be an array");
	json_array_foreach(items, i, v) {
		snprintf(field, sizeof field, "%s.area[%zu]", f, i);
		if (put_area(w, v, field))
			return -1;
	}
	close_el(w, 1, "info");
	return 0;
}

/* references: [{"sender","identifier","sent"}] (or "sender,identifier,sent" strings) */
static int put_references(writer *w, json_t *alert)
{
	json_t *refs = json_object_get(alert, "references"), *r;
	if (!refs || json_is_null(refs) || (json_is_array(refs) && json_array_size(refs) == 0))
		return 0;
	if (!json_is_array(refs))
		return wfail(w, "references", "must be an array of {sender, identifier, sent}");
	indent(w, 1);
	strbuf_puts(&w->b, "<references>");
	size_t i;
	json_array_foreach(refs, i, r) {
		char field[64];
		snprintf(field, sizeof field, "references[%zu]", i);
		if (i)
			strbuf_puts(&w->b, " ");
		if (json_is_string(r)) {
			if (put_escaped(w, json_string_value(r), json_string_length(r), field))
				return -1;
			continue;
		}
		const char *s = json_string_value(json_object_get(r, "sender"));
		const char *id = json_string_value(json_object_get(r, "identifier"));
		const char *sent = json_string_value(json_object_get(r, "sent"));
		if (!s || !id || !sent)
			return wfail(w, field, "needs sender, identifier and sent (strings)");
		if (put_escaped(w, s, strlen(s), field))
			return -1;
		strbuf_puts(&w->b, ",");
		if (put_escaped(w, id, strlen(id), field))
			return -1;
		strbuf_puts(&w->b, ",");
		if (put_escaped(w, sent, strlen(sent), field))
			return -1;
	}
	strbuf_puts(&w->b, "</references>\n");
	return 0;
}

char *cap_render(json_t *alert, yj_err *e)
{
	writer w = {.e = e};
	strbuf_init(&w.b);
	if (!json_is_object(alert)) {
		wfail(&w, "alert", "must be an object");
		goto bad;
	}
	strbuf_puts(&w.b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"" NS_CAP12 "\">\n");
	if (put_member(&w, 1, alert, "identifier", "", true) || put_member(&w, 1, alert, "sender", "", true) ||
	    put_time(&w, 1, alert, "sent", "", true) || put_member(&w, 1, alert, "status", "", true) ||
	    put_member(&w, 1, alert, "msgType", "", true) || put_member(&w, 1, alert, "source", "", false) ||
	    put_member(&w, 1, alert, "scope", "", true) || put_member(&w, 1, alert, "restriction", "", false) ||
	    put_member(&w, 1, alert, "addresses", "", false) || put_strings(&w, 1, alert, "code", "", false) ||
	    put_member(&w, 1, alert, "note", "", false) || put_references(&w, alert) ||
	    put_member(&w, 1, alert, "incidents", "", false))
		goto bad;
	json_t *infos = json_object_get(alert, "info"), *info;
	if (infos && !json_is_null(infos) && !json_is_array(infos)) {
		wfail(&w, "info", "must be an array");
		goto bad;
	}
	size_t i;
	json_array_foreach(infos, i, info) {
		char field[32];
		snprintf(field, sizeof field, "info[%zu]", i);
		if (put_info(&w, info, field))
			goto bad;
	}
	strbuf_puts(&w.b, "</alert>\n");
	/* read our own output through every gate: only valid CAP leaves */
	yj_err check = {0};
	json_t *back = cap_parse(w.b.data, w.b.len, &check);
	if (!back) {
		yj_fail(e, YJ_EINVAL, check.field, "the alert would not be valid CAP 1.2: %s", check.message);
		if (check.message_zh[0])
			yj_err_set_zh(e, "the alert would not be valid CAP 1.2: %s", check.message_zh);
		goto bad;
	}
	json_decref(back);
	return strbuf_take(&w.b, NULL);
bad:
	strbuf_free(&w.b);
	return NULL;
}

/* ---- mapping yingji warnings to CAP values ------------------------------- */

/* a warning level: CAP severity, and the national form (突发事件应对法 第四十二条: 一级 red ... 四级 blue) */
static const struct level_map {
	const char *level, *severity, *grade, *colour;
} levels[] = {
	{"blue", "Minor", "Ⅳ级", "蓝色"}, {"yellow", "Moderate", "Ⅲ级", "黄色"}, {"orange", "Severe", "Ⅱ级", "橙色"},
	{"red", "Extreme", "Ⅰ级", "红色"}, {"IV", "Minor", "Ⅳ级", "蓝色"},   {"III", "Moderate", "Ⅲ级", "黄色"},
	{"II", "Severe", "Ⅱ级", "橙色"},   {"I", "Extreme", "Ⅰ级", "红色"},
};

/* In a table of structs of strings: the member at value_off of the first row whose member at key_off is
 * key, or NULL */
static const char *lookup(const void *rows, size_t n, size_t size, size_t key_off, const char *key, size_t value_off)
{
	for (size_t i = 0; key && i < n; i++) {
		const char *row = (const char *)rows + i * size;
		if (strcmp(*(const char *const *)(row + key_off), key) == 0)
			return *(const char *const *)(row + value_off);
	}
	return NULL;
}
#define LEVEL(key, from, to)                                                                                  \
	lookup(levels, YJ_ARRAY_LEN(levels), sizeof levels[0], offsetof(struct level_map, from), key,            \
	       offsetof(struct level_map, to))

const char *cap_level_severity(const char *level)
{
	return LEVEL(level, level, severity);
}

const char *cap_severity_level(const char *severity)
{
	return LEVEL(severity, severity, level);
}

const char *cap_level_national(const char *level, const char **colour)
{
	if (colour)
		*colour = LEVEL(level, level, colour);
	return LEVEL(level, level, grade);
}

/* a warning type: CAP category and the event's Chinese name */
static const struct type_map {
	const char *type, *category, *event;
} types[] = {
	{"typhoon", "Met", "台风"},           {"rainstorm", "Met", "暴雨"},
	{"flood", "Met", "洪水"},             {"high_temperature", "Met", "高温"},
	{"drought", "Met", "干旱"},           {"storm_surge", "Met", "风暴潮"},
	{"geological", "Geo", "地质灾害"},    {"landslide", "Geo", "滑坡"},
	{"earthquake", "Geo", "地震"},        {"forest_fire", "Fire", "森林火险"},
	{"fire", "Fire", "火灾"},             {"hazmat", "CBRNE", "危险化学品事故"},
	{"hazmat_vehicle", "CBRNE", "危险货物运输事故"}, {"other", "Other", "突发事件"},
};

#define TYPE(key, to) \
	lookup(types, YJ_ARRAY_LEN(types), sizeof types[0], offsetof(struct type_map, type), key, offsetof(struct type_map, to))

const char *cap_type_category(const char *type)
{
	return TYPE(type, category);
}

const char *cap_type_event(const char *type)
{
	return TYPE(type, event);
}

/*
 * The event-type codes of the national profile: the embedded
 * data/cap/event_types_gbt35561.csv (code, name, yingji_type, evidence),
 * read once into a table that lives as long as the process.
 */
typedef struct event_code {
	char code[8], name[32], type[32];
} event_code;

static event_code *codes;
static size_t ncodes;
static pthread_once_t codes_once = PTHREAD_ONCE_INIT;

static void codes_load(void)
{
	size_t len;
	const char *text = cap_event_types_csv(&len);
	yj_csv t;
	yj_err e = {0};
	if (yj_csv_parse(text, len, &t, &e)) {
		yj_log(YJ_LOG_ERROR, "cap_event_types", "the embedded code list is not CSV: %s", e.message);
		return;
	}
	codes = yj_calloc(t.rows ? t.rows : 1, sizeof *codes);
	for (size_t r = 1; r < t.rows; r++) {
		if (yj_csv_row_blank(&t, r))
			continue;
		event_code *c = &codes[ncodes++];
		snprintf(c->code, sizeof c->code, "%s", yj_csv_cell(&t, r, 0));
		snprintf(c->name, sizeof c->name, "%s", yj_csv_cell(&t, r, 1));
		snprintf(c->type, sizeof c->type, "%s", yj_csv_cell(&t, r, 2));
	}
	yj_csv_free(&t);
}

const char *cap_type_event_code(const char *type, const char **name)
{
	pthread_once(&codes_once, codes_load);
	for (size_t i = 0; type && *type && i < ncodes; i++)
		if (strcmp(codes[i].type, type) == 0) {
			if (name)
				*name = codes[i].name;
			return codes[i].code;
		}
	if (name)
		*name = NULL;
	return NULL;
}

const char *cap_event_code_type(const char *code)
{
	pthread_once(&codes_once, codes_load);
	for (size_t i = 0; code && i < ncodes; i++)
		if (strcmp(codes[i].code, code) == 0)
			return codes[i].type[0] ? codes[i].type : NULL;
	return NULL;
}
