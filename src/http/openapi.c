/*
 * openapi.c — the API description, generated from the route table: every
 * registered route with its method, path and path parameters, who may
 * call it (x-roles and the description, and the bearer or cookie
 * session), its query parameters and body where the route describes them
 * (http_route_doc), the Idempotency-Key header where the gate honours it,
 * its success answer and the errors every route can give in the one error
 * shape, grouped by resource (tags). A route cannot be served and missing
 * here, or listed and not served: there is one table. web/api.html shows
 * the document (swagger-ui, served locally).
 */
#include <stdio.h>
#include <string.h>

#include "http/http_int.h"

static json_t *schema_of(const char *type)
{
	if (!strcmp(type, "integer") || !strcmp(type, "id"))
		return json_pack("{s:s, s:i}", "type", "integer", "minimum", 1);
	if (!strcmp(type, "number"))
		return json_pack("{s:s}", "type", "number");
	if (!strcmp(type, "boolean"))
		return json_pack("{s:s}", "type", "boolean");
	if (!strcmp(type, "area"))
		return json_pack("{s:s, s:s, s:s}", "type", "string", "pattern", "^[0-9]{6}([0-9]{3}([0-9]{3})?)?$",
		                 "description", "an area code in the caller's jurisdiction (default: the caller's own)");
	if (!strcmp(type, "time"))
		return json_pack("{s:s, s:s}", "type", "string", "format", "date-time");
	if (!strcmp(type, "bbox"))
		return json_pack("{s:s, s:s}", "type", "string", "description", "minLon,minLat,maxLon,maxLat (WGS84)");
	return json_pack("{s:s}", "type", "string");
}

static json_t *error_ref(const char *why)
{
	return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", why, "content", "application/json", "schema", "$ref",
	                 "#/components/schemas/Error");
}

/* The resource a route belongs to: the segment after /api/v1 ("areas", "layers", ...), else "system". */
static json_t *tag_of(const http_route_def *r)
{
	bool api = r->nseg >= 3 && !strcmp(r->seg[0], "api") && !strcmp(r->seg[1], "v1") && r->seg[2][0] != '{' &&
	           !strchr(r->seg[2], '.');
	return json_pack("[s]", api ? r->seg[2] : "system");
}

/* "Roles: admin, commander." or "Public: no sign-in." */
static json_t *who_may(const http_route_def *r)
{
	if (r->roles == HTTP_PUBLIC)
		return json_string("Public: no sign-in.");
	strbuf b;
	strbuf_init(&b);
	strbuf_puts(&b, "Roles:");
	for (int i = 0; i < ROLE_COUNT; i++)
		if (r->roles & ROLE_BIT(i))
			strbuf_printf(&b, "%s %s", b.len > 6 ? "," : "", auth_role_name((auth_role)i));
	strbuf_puts(&b, ".");
	json_t *j = json_string(b.data);
	strbuf_free(&b);
	return j;
}

static json_t *operation(const http_route_def *r)
{
	json_t *op = json_object();
	char id[160];
	snprintf(id, sizeof id, "%s %s", r->method, r->pattern);
	json_object_set_new(op, "operationId", json_string(id));
	json_object_set_new(op, "tags", tag_of(r));
	if (r->summary)
		json_object_set_new(op, "summary", json_string(r->summary));
	json_object_set_new(op, "description", who_may(r));
	json_t *params = json_array();
	for (int i = 0; i < r->nseg; i++) {
		if (r->seg[i][0] != '{')
			continue;
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)strlen(r->seg[i]) - 2, r->seg[i] + 1);
		bool is_area = r->area_param && !strcmp(name, r->area_param);
		json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:o}", "name", name, "in", "path", "required", 1,
		                                        "schema", schema_of(is_area ? "area" : "string")));
	}
	/* the gate carries out a signed-in POST once per key (src/http/idem.c) */
	bool idempotent = !strcmp(r->method, "POST") && r->roles != HTTP_PUBLIC && !(r->flags & HTTP_ROUTE_OWN_RETRIES);
	if (idempotent)
		json_array_append_new(
			params, json_pack("{s:s, s:s, s:b, s:s, s:{s:s, s:i, s:i}}", "name", "Idempotency-Key", "in", "header",
		                          "required", 0, "description",
		                          "carry the request out once: a retry with the same key and body gets the first "
		                          "answer (Idempotent-Replayed: true); another body with the key is 422",
		                          "schema", "type", "string", "minLength", 1, "maxLength", 200));
	if (r->query) {
		char buf[512];
		snprintf(buf, sizeof buf, "%s", r->query);
		for (char *save = NULL, *it = strtok_r(buf, ", ", &save); it; it = strtok_r(NULL, ", ", &save)) {
			bool required = *it == '!';
			char *name = it + required, *colon = strchr(name, ':');
			const char *type = "string";
			if (colon) {
				*colon = 0;
				type = colon + 1;
			}
			json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:o}", "name", name, "in", "query", "required",
			                                        required, "schema", schema_of(type)));
		}
	}
	if (json_array_size(params))
		json_object_set_new(op, "parameters", params);
	else
		json_decref(params);
	bool has_body = r->body || (strcmp(r->method, "GET") && strcmp(r->method, "DELETE"));
	if (has_body)
		json_object_set_new(op, "requestBody",
		                    json_pack("{s:s, s:{s:{}}}", "description", r->body ? r->body : "json", "content",
		                              r->body && strstr(r->body, "csv") ? "*/*" : "application/json"));
	json_t *res = json_object();
	if (!strcmp(r->method, "POST"))
		json_object_set_new(res, "2XX", json_pack("{s:s}", "description", "done (201 when it created an object); JSON"));
	else
		json_object_set_new(res, "200", json_pack("{s:s}", "description", "done; the answer is JSON unless the route says"));
	json_object_set_new(res, "400", error_ref("a field or parameter is invalid (error.field names it)"));
	if (r->roles != HTTP_PUBLIC) {
		json_object_set_new(res, "401", error_ref("not signed in"));
		json_object_set_new(res, "403", error_ref("the role or the jurisdiction does not allow it"));
	}
	json_object_set_new(res, "404", error_ref("no such object in the caller's jurisdiction"));
	if (has_body) {
		json_object_set_new(res, "409", error_ref("conflicts with the object's state or another object"));
		json_object_set_new(res, "411", error_ref("the body has no Content-Length"));
		json_object_set_new(res, "413", error_ref("the body is larger than the route takes"));
		json_object_set_new(res, "422", error_ref("the object as a whole has problems (error.problems lists them)"));
	}
	json_object_set_new(res, "429", error_ref("too many attempts; Retry-After says when to try again"));
	json_object_set_new(res, "503", error_ref("busy or stopping; Retry-After says when to try again"));
	json_object_set_new(op, "responses", res);
	if (r->roles != HTTP_PUBLIC) {
		json_object_set_new(op, "security", json_pack("[{s:[]}, {s:[]}]", "bearer", "session"));
		json_t *roles = json_array();
		for (int i = 0; i < ROLE_COUNT; i++)
			if (r->roles & ROLE_BIT(i))
				json_array_append_new(roles, json_string(auth_role_name((auth_role)i)));
		json_object_set_new(op, "x-roles", roles);
	} else {
		json_object_set_new(op, "security", json_array());
	}
	if (r->flags & HTTP_ROUTE_OWN_RETRIES)
		json_object_set_new(op, "x-idempotency", json_string("own"));
	return op;
}

json_t *http_openapi(void)
{
	json_t *paths = json_object();
	for (int i = 0; i < http_route_count(); i++) {
		const http_route_def *r = http_route_at(i);
		json_t *item = json_object_get(paths, r->pattern);
		if (!item) {
			item = json_object();
			json_object_set_new(paths, r->pattern, item);
		}
		char method[16];
		size_t n = strlen(r->method);
		for (size_t k = 0; k < n && k < sizeof method - 1; k++)
			method[k] = (char)(r->method[k] | 0x20);
		method[n < sizeof method ? n : sizeof method - 1] = 0;
		json_object_set_new(item, method, operation(r));
	}
	json_t *error = json_pack(
		"{s:s, s:[s], s:{s:{s:s, s:[s,s], s:{s:{s:s}, s:{s:s, s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}}}", "type", "object",
		"required", "error", "properties", "error", "type", "object", "required", "code", "message", "properties", "code",
		"type", "string", "message", "type", "string", "description",
		"words for a person: Chinese when the request's Accept-Language prefers zh (zh, zh-CN, zh-Hans; q-values "
		"honoured; the answer then has Content-Language: zh-CN), English otherwise", "field", "type", "string", "reason", "type", "string", "problems",
		"type", "array");
	return json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:{s:{s:o}, s:{s:{s:s, s:s}, s:{s:s, s:s, s:s}}}}",
	                 "openapi", "3.1.0", "info", "title", "yingji 应急 API", "version", "1",
	                 "description", "The API of yingji, the information system of an emergency management bureau. "
	                                "Errors are {\"error\":{\"code\",\"message\",\"field\",\"reason\"}}, the message in Chinese for "
	                                "Accept-Language: zh-CN; times RFC 3339; coordinates "
	                                "WGS84 lon/lat; lists ?limit=&cursor=; POSTs that create or act take Idempotency-Key.",
	                 "servers", "url", "/", "paths", paths, "components", "schemas", "Error", error, "securitySchemes",
	                 "bearer", "type", "http", "scheme", "bearer", "session", "type", "apiKey", "in", "cookie", "name",
	                 "yj_session");
}
