/*
 * cap_read.c — gate 3 of reading CAP (see cap.c for gates 1 and 2): the
 * rules of the CAP 1.2 spec that its schema cannot express, checked while
 * the validated document becomes the JSON shape of cap_parse (warning.h):
 * references ("sender,identifier,sent" triples, required for msgTypes that
 * act on earlier messages), explicit time offsets, polygon and circle
 * syntax and ranges, restriction/addresses by scope, identifier characters,
 * ceiling only with altitude, web as an absolute URI. Every refusal names
 * the element ("/alert/info[1]/area[2]/polygon[1]").
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warning/cap_int.h"

#define FOR_ELEMENTS(c, parent) \
	for (xmlNode *c = (parent)->children; c; c = c->next) \
		if (c->type == XML_ELEMENT_NODE)

/* Text of an element as a JSON string (libxml2 hands out UTF-8). */
static json_t *text_json(const xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	json_t *s = json_string(t ? (const char *)t : "");
	xmlFree(t);
	return s ? s : json_string("");
}

static void set_text(json_t *obj, const char *key, const xmlNode *n)
{
	json_object_set_new(obj, key, text_json(n));
}

/* A plain decimal: [+-]digits[.digits] (no exponent, no nan/inf, no hex). */
static bool parse_decimal(const char *s, size_t n, double *out)
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return false;
	size_t i = 0, digits = 0;
	if (s[i] == '+' || s[i] == '-')
		i++;
	while (i < n && isdigit((unsigned char)s[i]))
		i++, digits++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && isdigit((unsigned char)s[i]))
			i++, digits++;
	}
	if (i != n || digits == 0)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*out = strtod(buf, NULL);
	return isfinite(*out);
}

/* "lat,lon" into lat/lon with range checks; the reason into *why (both languages) on failure. */
static bool parse_point(const char *s, size_t n, double *lat, double *lon, yj_err *why)
{
	const char *comma = memchr(s, ',', n);
	if (!comma || !parse_decimal(s, (size_t)(comma - s), lat) ||
	    !parse_decimal(comma + 1, n - (size_t)(comma - s) - 1, lon)) {
		yj_fail(why, YJ_EUNPROCESSABLE, NULL, "'%.*s' is not a 'lat,lon' pair of decimal degrees", (int)(n > 40 ? 40 : n), s);
		return false;
	}
	if (*lat < -90 || *lat > 90) {
		yj_fail(why, YJ_EUNPROCESSABLE, NULL, "latitude %.*s is outside -90..90", (int)(comma - s > 30 ? 30 : comma - s), s);
		return false;
	}
	if (*lon < -180 || *lon > 180) {
		size_t ln = n - (size_t)(comma + 1 - s);
		yj_fail(why, YJ_EUNPROCESSABLE, NULL, "longitude %.*s is outside -180..180", (int)(ln > 30 ? 30 : ln), comma + 1);
		return false;
	}
	return true;
}

/* refuse element n for a bad point (pair: its number in a polygon, 0 for a circle's centre) */
static void bad_point(yj_err *e, const xmlNode *n, int pair, const yj_err *why)
{
	char piece_zh[400];
	const char *why_zh = yj_err_text(why, true);
	if (pair) {
		cap_fail_at(e, n, NULL, "pair %d: %s", pair, why->message);
		yj_format_zh(piece_zh, sizeof piece_zh, "pair %d: %s", pair, why_zh);
	} else {
		cap_fail_at(e, n, NULL, "%s", why->message);
		snprintf(piece_zh, sizeof piece_zh, "%s", why_zh);
	}
	if (e)
		yj_err_set_zh(e, "%s: %s", e->field, piece_zh);
}

/* Next whitespace-separated token of s from *at; false at the end. */
static bool next_token(const char *s, size_t *at, const char **tok, size_t *n)
{
	size_t i = *at;
	while (s[i] && cap_xml_space(s[i]))
		i++;
	if (!s[i])
		return false;
	size_t j = i;
	while (s[j] && !cap_xml_space(s[j]))
		j++;
	*tok = s + i;
	*n = j - i;
	*at = j;
	return true;
}

/* CAP polygon: >= 4 whitespace-separated "lat,lon" pairs, first = last. JSON: [[lon,lat],...] */
static int read_polygon(const xmlNode *n, json_t **out, yj_err *e)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "";
	json_t *ring = json_array();
	size_t at = 0, len;
	const char *tok;
	double lat0 = 0, lon0 = 0, lat = 0, lon = 0;
	yj_err why = {0};
	int count = 0;
	while (next_token(s, &at, &tok, &len)) {
		if (!parse_point(tok, len, &lat, &lon, &why)) {
			bad_point(e, n, count + 1, &why);
			goto bad;
		}
		if (count == 0)
			lat0 = lat, lon0 = lon;
		json_array_append_new(ring, json_pack("[f,f]", lon, lat));
		count++;
	}
	if (count < 4) {
		cap_fail_at(e, n, NULL, "a polygon needs at least 4 'lat,lon' pairs (first = last); it has %d", count);
		goto bad;
	}
	if (lat != lat0 || lon != lon0) {
		cap_fail_at(e, n, NULL, "the polygon is not closed: the first and last pairs must be the same");
		goto bad;
	}
	xmlFree(t);
	*out = ring;
	return 0;
bad:
	xmlFree(t);
	json_decref(ring);
	return -1;
}

/* CAP circle: "lat,lon radius_km". JSON: {"lon","lat","radius_km"} */
static int read_circle(const xmlNode *n, json_t **out, yj_err *e)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "";
	size_t at = 0, plen = 0, rlen = 0;
	const char *ptok = NULL, *rtok = NULL, *extra;
	size_t xlen;
	double lat = 0, lon = 0, radius = 0;
	yj_err why = {0};
	int rc = -1;
	if (!next_token(s, &at, &ptok, &plen) || !next_token(s, &at, &rtok, &rlen) ||
	    next_token(s, &at, &extra, &xlen)) {
		cap_fail_at(e, n, NULL, "a circle is 'lat,lon radius' (radius in km), not '%.40s'", s);
	} else if (!parse_point(ptok, plen, &lat, &lon, &why)) {
		bad_point(e, n, 0, &why);
	} else if (!parse_decimal(rtok, rlen, &radius) || radius < 0) {
		cap_fail_at(e, n, NULL, "radius '%.*s' is not a decimal number of km >= 0", (int)(rlen > 30 ? 30 : rlen),
		        rtok);
	} else {
		*out = json_pack("{s:f,s:f,s:f}", "lon", lon, "lat", lat, "radius_km", radius);
		rc = 0;
	}
	xmlFree(t);
	return rc;
}

/* CAP times need an explicit offset: 2022-08-18T09:30:00+08:00 (never Z, never none). */
static int read_time(const xmlNode *n, json_t *obj, const char *key, yj_err *e)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "";
	size_t len = strlen(s);
	int64_t ms = 0;
	bool offset = len >= 25 && (s[len - 6] == '+' || s[len - 6] == '-') && isdigit((unsigned char)s[len - 5]) &&
	              isdigit((unsigned char)s[len - 4]) && s[len - 3] == ':' && isdigit((unsigned char)s[len - 2]) &&
	              isdigit((unsigned char)s[len - 1]);
	if (!offset || s[10] != 'T' || yj_time_parse(s, &ms, key, NULL) != 0) {
		cap_fail_at(e, n, NULL, "'%.40s' is not a date-time with an explicit offset such as 2022-08-18T09:30:00+08:00",
		        s);
		xmlFree(t);
		return -1;
	}
	char mskey[32];
	snprintf(mskey, sizeof mskey, "%s_ms", key);
	json_object_set_new(obj, key, json_string(s));
	json_object_set_new(obj, mskey, json_integer(ms));
	xmlFree(t);
	return 0;
}

/* identifier and sender: non-empty, no whitespace, commas, '<' or '&' (they
 * are joined with commas and spaces in <references>). */
static int read_token(const xmlNode *n, json_t *obj, const char *key, yj_err *e)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "";
	int rc = 0;
	if (!*s)
		rc = cap_fail_at(e, n, NULL, "must not be empty");
	else if (strpbrk(s, " \t\r\n,<&"))
		rc = cap_fail_at(e, n, NULL, "'%.40s' must not contain spaces, commas, '<' or '&'", s);
	else
		json_object_set_new(obj, key, json_string(s));
	xmlFree(t);
	return rc;
}

/* references: whitespace-separated "sender,identifier,sent" triples. An empty
 * <references/> is tolerated on an Alert (Canada's NAAD sends one); the
 * msgTypes that act on earlier messages need at least one (read_alert). */
static int read_references(const xmlNode *n, json_t *refs, yj_err *e)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "";
	size_t at = 0, len;
	const char *tok;
	int count = 0, rc = 0;
	while (rc == 0 && next_token(s, &at, &tok, &len)) {
		count++;
		const char *c1 = memchr(tok, ',', len);
		const char *c2 = c1 ? memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - tok)) : NULL;
		const char *c3 = c2 ? memchr(c2 + 1, ',', len - (size_t)(c2 + 1 - tok)) : NULL;
		if (!c1 || !c2 || c3 || c1 == tok || c2 == c1 + 1 || c2 + 1 == tok + len) {
			rc = cap_fail_at(e, n, NULL, "reference %d '%.60s' is not a 'sender,identifier,sent' triple", count,
			             tok);
			break;
		}
		char sent[64];
		size_t slen = len - (size_t)(c2 + 1 - tok);
		int64_t ms;
		bool ok = slen < sizeof sent && slen >= 25;
		if (ok) {
			memcpy(sent, c2 + 1, slen);
			sent[slen] = '\0';
			ok = sent[10] == 'T' && (sent[slen - 6] == '+' || sent[slen - 6] == '-') &&
			     yj_time_parse(sent, &ms, "sent", NULL) == 0;
		}
		if (!ok) {
			rc = cap_fail_at(e, n, NULL, "reference %d: '%.*s' is not a sent time with an offset", count,
			             (int)(slen > 40 ? 40 : slen), c2 + 1);
			break;
		}
		json_t *r = json_object();
		json_object_set_new(r, "sender", json_stringn(tok, (size_t)(c1 - tok)));
		json_object_set_new(r, "identifier", json_stringn(c1 + 1, (size_t)(c2 - c1 - 1)));
		json_object_set_new(r, "sent", json_string(sent));
		json_array_append_new(refs, r);
	}
	xmlFree(t);
	return rc;
}

/* eventCode, parameter, geocode: {"valueName","value"} */
static json_t *read_pair(const xmlNode *n)
{
	json_t *p = json_object();
	FOR_ELEMENTS(c, n) {
		if (cap_is(c, "valueName"))
			set_text(p, "valueName", c);
		else if (cap_is(c, "value"))
			set_text(p, "value", c);
	}
	return p;
}

static int read_number(const xmlNode *n, json_t *obj, const char *key, yj_err *e)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "";
	size_t a = 0, b = strlen(s);
	while (a < b && cap_xml_space(s[a]))
		a++;
	while (b > a && cap_xml_space(s[b - 1]))
		b--;
	double v;
	int rc = 0;
	if (!parse_decimal(s + a, b - a, &v))
		rc = cap_fail_at(e, n, NULL, "'%.30s' is not a decimal number", s);
	else
		json_object_set_new(obj, key, json_real(v));
	xmlFree(t);
	return rc;
}

/* The array member key of obj, created (in document order) on first use. */
static json_t *list(json_t *obj, const char *key)
{
	json_t *a = json_object_get(obj, key);
	if (!a) {
		a = json_array();
		json_object_set_new(obj, key, a);
	}
	return a;
}

static int read_area(const xmlNode *n, json_t **out, yj_err *e)
{
	json_t *a = json_object();
	bool altitude = false;
	FOR_ELEMENTS(c, n) {
		json_t *item = NULL;
		if (cap_is(c, "areaDesc")) {
			set_text(a, "areaDesc", c);
		} else if (cap_is(c, "polygon")) {
			if (read_polygon(c, &item, e))
				goto bad;
			json_array_append_new(list(a, "polygons"), item);
		} else if (cap_is(c, "circle")) {
			if (read_circle(c, &item, e))
				goto bad;
			json_array_append_new(list(a, "circles"), item);
		} else if (cap_is(c, "geocode")) {
			json_array_append_new(list(a, "geocodes"), read_pair(c));
		} else if (cap_is(c, "altitude")) {
			if (read_number(c, a, "altitude", e))
				goto bad;
			altitude = true;
		} else if (cap_is(c, "ceiling")) {
			if (!altitude) {
				cap_fail_at(e, c, NULL, "<ceiling> may only be used together with <altitude>");
				goto bad;
			}
			if (read_number(c, a, "ceiling", e))
				goto bad;
		}
	}
	list(a, "polygons");
	list(a, "circles");
	list(a, "geocodes");
	*out = a;
	return 0;
bad:
	json_decref(a);
	return -1;
}

static int read_resource(const xmlNode *n, json_t **out, yj_err *e)
{
	json_t *r = json_object();
	FOR_ELEMENTS(c, n) {
		if (cap_is(c, "size")) {
			xmlChar *t = xmlNodeGetContent(c);
			char *end;
			long long v = strtoll(t ? (const char *)t : "", &end, 10);
			bool ok = t && *t && !*end && v >= 0;
			xmlFree(t);
			if (!ok) {
				json_decref(r);
				return cap_fail_at(e, c, NULL, "size must be a number of bytes");
			}
			json_object_set_new(r, "size", json_integer(v));
		} else {
			set_text(r, (const char *)c->name, c);
		}
	}
	*out = r;
	return 0;
}

/* web: "a full absolute URI" — it must start with a scheme. */
static bool absolute_uri(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.')
		s++;
	return *s == ':' && s[1];
}

static int read_info(const xmlNode *n, json_t **out, yj_err *e)
{
	json_t *info = json_object();
	json_object_set_new(info, "language", json_string("en-US")); /* the schema's default */
	FOR_ELEMENTS(c, n) {
		json_t *item = NULL;
		if (cap_is(c, "category")) {
			json_array_append_new(list(info, "category"), text_json(c));
		} else if (cap_is(c, "responseType")) {
			json_array_append_new(list(info, "responseType"), text_json(c));
		} else if (cap_is(c, "eventCode")) {
			json_array_append_new(list(info, "eventCodes"), read_pair(c));
		} else if (cap_is(c, "parameter")) {
			json_array_append_new(list(info, "parameters"), read_pair(c));
		} else if (cap_is(c, "effective") || cap_is(c, "onset") || cap_is(c, "expires")) {
			if (read_time(c, info, (const char *)c->name, e))
				goto bad;
		} else if (cap_is(c, "web")) {
			xmlChar *t = xmlNodeGetContent(c);
			bool ok = t && absolute_uri((const char *)t);
			xmlFree(t);
			if (!ok) {
				cap_fail_at(e, c, NULL, "must be a full absolute URI (such as https://...)");
				goto bad;
			}
			set_text(info, "web", c);
		} else if (cap_is(c, "resource")) {
			if (read_resource(c, &item, e))
				goto bad;
			json_array_append_new(list(info, "resource"), item);
		} else if (cap_is(c, "area")) {
			if (read_area(c, &item, e))
				goto bad;
			json_array_append_new(list(info, "area"), item);
		} else {
			/* language, event, urgency, severity, certainty, audience, senderName,
			 * headline, description, instruction, contact: text as sent */
			set_text(info, (const char *)c->name, c);
		}
	}
	/* always there, even when empty (responseType and resource only when present) */
	list(info, "category");
	list(info, "eventCodes");
	list(info, "parameters");
	list(info, "area");
	*out = info;
	return 0;
bad:
	json_decref(info);
	return -1;
}

static bool empty_text(const xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	bool empty = true;
	for (const xmlChar *p = t; p && *p; p++)
		if (!cap_xml_space((char)*p))
			empty = false;
	xmlFree(t);
	return empty;
}

int cap_read_alert(const xmlNode *root, const char *version, bool signature, json_t **out, yj_err *e)
{
	json_t *a = json_object();
	json_object_set_new(a, "version", json_string(version));
	const xmlNode *references = NULL, *restriction = NULL, *addresses = NULL;
	FOR_ELEMENTS(c, root) {
		json_t *item = NULL;
		if (cap_in_ns(c, NS_DSIG)) {
			signature = true;
		} else if (cap_is(c, "identifier") || cap_is(c, "sender")) {
			if (read_token(c, a, (const char *)c->name, e))
				goto bad;
		} else if (cap_is(c, "sent")) {
			if (read_time(c, a, "sent", e))
				goto bad;
		} else if (cap_is(c, "code")) {
			json_array_append_new(list(a, "code"), text_json(c));
		} else if (cap_is(c, "references")) {
			references = c;
			if (read_references(c, list(a, "references"), e))
				goto bad;
		} else if (cap_is(c, "info")) {
			if (read_info(c, &item, e))
				goto bad;
			json_array_append_new(list(a, "info"), item);
		} else {
			/* status, msgType, source, scope, restriction, addresses, note, incidents */
			if (cap_is(c, "restriction"))
				restriction = c;
			else if (cap_is(c, "addresses"))
				addresses = c;
			set_text(a, (const char *)c->name, c);
		}
	}
	json_t *refs = list(a, "references");
	list(a, "info");
	const char *msg_type = json_string_value(json_object_get(a, "msgType"));
	const char *scope = json_string_value(json_object_get(a, "scope"));
	if (msg_type && strcmp(msg_type, "Alert") != 0 && json_array_size(refs) == 0) {
		/* Update, Cancel, Ack and Error act on the messages named in <references> */
		if (references)
			cap_fail_at(e, references, NULL,
			        "<references> is empty; msgType %s needs at least one 'sender,identifier,sent'", msg_type);
		else
			cap_fail_at(e, root, "references", "msgType %s needs <references> naming the earlier message(s)",
			        msg_type);
		goto bad;
	}
	if (scope && strcmp(scope, "Restricted") == 0 && (!restriction || empty_text(restriction))) {
		cap_fail_at(e, restriction ? restriction : root, restriction ? NULL : "restriction",
		        "scope Restricted needs a non-empty <restriction> saying who may see the alert");
		goto bad;
	}
	if (scope && strcmp(scope, "Private") == 0 && (!addresses || empty_text(addresses))) {
		cap_fail_at(e, addresses ? addresses : root, addresses ? NULL : "addresses",
		        "scope Private needs a non-empty <addresses> listing the recipients");
		goto bad;
	}
	if (signature)
		json_object_set_new(a, "signature", json_string("unverified"));
	*out = a;
	return 0;
bad:
	json_decref(a);
	return -1;
}
