/*
 * cap_int.h — shared between the CAP files of src/warning/ only: cap.c
 * (gates 1 and 2: bytes, libxml2, the schema; cap_parse), cap_read.c
 * (gate 3: the spec's own rules while the alert becomes JSON) and
 * cap_write.c (cap_render). The public contract is in warning.h.
 */
#ifndef YJ_CAP_INT_H
#define YJ_CAP_INT_H

#include <libxml/tree.h>

#include "warning/warning.h"

#define NS_CAP12 "urn:oasis:names:tc:emergency:cap:1.2"
#define NS_CAP11 "urn:oasis:names:tc:emergency:cap:1.1"
#define NS_DSIG "http://www.w3.org/2000/09/xmldsig#"

/* Refuse at a path: e->field = path, e->message = "path: reason". Returns -1. */
int cap_fail_path(yj_err *e, yj_code code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Refuse at an element (child != NULL: at a missing child of it), YJ_EUNPROCESSABLE. Returns -1. */
int cap_fail_at(yj_err *e, const xmlNode *n, const char *child, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* the element's local name is name / its namespace is href */
bool cap_is(const xmlNode *n, const char *name);
bool cap_in_ns(const xmlNode *n, const char *href);
bool cap_xml_space(char c);

/* The embedded event-type code list (data/cap/event_types_gbt35561.csv), NUL-terminated; *len its bytes. */
const char *cap_event_types_csv(size_t *len);

/*
 * Gate 3 (cap_read.c): the <alert> root of a document that passed the
 * schema of version ("1.2" or "1.1") into the JSON shape of cap_parse
 * (warning.h), checking the rules the schema cannot say. signature: a
 * ds:Signature was set aside before validation. 0 with *out (new
 * reference), or -1 with *e naming the element.
 */
int cap_read_alert(const xmlNode *root, const char *version, bool signature, json_t **out, yj_err *e);

#endif
