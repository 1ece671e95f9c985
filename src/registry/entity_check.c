/*
 * entity_check.c — validation of entity objects against their
 * descriptions, collecting every problem with the field (and the import
 * row) it concerns, so a user fixes a file in one go.
 *
 * The jurisdiction rule is applied here for everything a client names:
 * area_code must be a known area in the caller's scope, and every
 * reference (an enterprise, shelters, a grid worker) must lead to an
 * object in that scope; one outside reads as missing. This file reads
 * other objects only through their owners' functions (registry data
 * functions, the user directory, the area directory); it writes nothing.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "geo/geo.h"
#include "registry/registry_int.h"

/* ---- problems ---------------------------------------------------------------- */

/* the problem's slot, or NULL when (row, field) has one already or the list is full (counted) */
static reg_problem *problem_slot(reg_problems *p, long row, const char *field)
{
	size_t max = p->max ? p->max : 1000;
	/* one problem per (row, field): the first says what to fix */
	for (size_t i = 0; field && field[0] && i < p->count && i < max; i++)
		if (p->items[i].row == row && strcmp(p->items[i].field, field) == 0)
			return NULL;
	if (p->count >= max) {
		p->count++; /* keep counting so the caller can say "and N more" */
		return NULL;
	}
	p->items = yj_grow(p->items, &p->cap, p->count + 1, sizeof *p->items);
	reg_problem *it = &p->items[p->count++];
	it->row = row;
	snprintf(it->field, sizeof it->field, "%s", field ? field : "");
	yj_utf8_repair(it->field, sizeof it->field);
	return it;
}

void reg_problems_add(reg_problems *p, long row, const char *field, const char *fmt, ...)
{
	reg_problem *it = problem_slot(p, row, field);
	if (!it)
		return;
	va_list ap, zh_ap;
	va_start(ap, fmt);
	va_copy(zh_ap, ap);
	vsnprintf(it->message, sizeof it->message, fmt, ap);
	yj_utf8_repair(it->message, sizeof it->message);
	if (!yj_vformat_zh(it->message_zh, sizeof it->message_zh, fmt, zh_ap))
		it->message_zh[0] = '\0';
	va_end(zh_ap);
	va_end(ap);
}

void reg_problems_add_text(reg_problems *p, long row, const char *field, const char *en, const char *zh)
{
	reg_problem *it = problem_slot(p, row, field);
	if (!it)
		return;
	snprintf(it->message, sizeof it->message, "%s", en);
	yj_utf8_repair(it->message, sizeof it->message);
	snprintf(it->message_zh, sizeof it->message_zh, "%s", zh ? zh : "");
	yj_utf8_repair(it->message_zh, sizeof it->message_zh);
}

const char *reg_problem_text(const reg_problems *p, size_t k)
{
	const reg_problem *it = &p->items[k];
	return p->zh && it->message_zh[0] ? it->message_zh : it->message;
}

void reg_problems_free(reg_problems *p)
{
	free(p->items);
	p->items = NULL;
	p->count = p->cap = 0;
}

json_t *reg_problems_json(const reg_problems *p, const char *message)
{
	json_t *list = json_array();
	size_t max = p->max ? p->max : 1000;
	for (size_t i = 0; i < p->count && i < max; i++) {
		json_t *one = json_pack("{s:s, s:s}", "field", p->items[i].field, "message", reg_problem_text(p, i));
		if (!one) /* repaired above: cannot happen, but a problem is never dropped silently */
			one = json_pack("{s:s, s:s}", "field", "", "message", "(unreadable problem text)");
		if (p->items[i].row)
			json_object_set_new(one, "row", json_integer(p->items[i].row));
		json_array_append_new(list, one);
	}
	json_t *err = json_pack("{s:s, s:s, s:o, s:I}", "code", "unprocessable", "message", message, "problems", list,
	                        "problem_count", (json_int_t)p->count);
	if (p->count == 1 && p->items[0].field[0])
		json_object_set_new(err, "field", json_string(p->items[0].field));
	return json_pack("{s:o}", "error", err);
}

/* ---- fields --------------------------------------------------------------------- */

static bool in_values(const char *const *values, const char *v)
{
	for (int i = 0; values && values[i]; i++)
		if (strcmp(values[i], v) == 0)
			return true;
	return false;
}

/* "ready (待用), open (开放), ..." — the codes and, where there are, their labels */
static void values_list(const reg_field *f, char *out, size_t cap)
{
	out[0] = 0;
	size_t n = 0;
	for (int i = 0; f->values && f->values[i] && n + 2 < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, f->labels ? "%s%s (%s)" : "%s%s", i ? ", " : "", f->values[i],
		                      f->labels ? f->labels[i] : "");
}

/* The area of the object a reference leads to into out ("" when there is none; users: enabled and
 * of the field's role). 0, or -1 with *e. */
static int ref_area(store *s, const reg_field *f, int64_t id, char out[16], yj_err *e)
{
	out[0] = 0;
	if (strcmp(f->ref, "users") == 0) {
		auth_user_row u;
		int rc = auth_user_get(s, id, &u, e);
		if (rc < 0)
			return -1;
		if (rc > 0 && !u.disabled && (!f->ref_role || strcmp(auth_role_name(u.role), f->ref_role) == 0))
			snprintf(out, 16, "%s", u.area_code);
		return 0;
	}
	const reg_entity *target = reg_entity_find(f->ref);
	if (!target)
		return 0;
	return reg_db_area_of(s, target, id, out, e) < 0 ? -1 : 0;
}

static int check_ref(store *s, const reg_field *f, const auth_scope *scope, json_t *v, long row, reg_problems *p,
                     yj_err *e)
{
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		reg_problems_add(p, row, f->name, "field '%s': expected the id (a positive integer) of one of %s", f->name,
		                 f->ref);
		return 0;
	}
	char area[16];
	int64_t id = json_integer_value(v);
	if (ref_area(s, f, id, area, e))
		return -1;
	/* another jurisdiction's object reads as missing, as it does everywhere */
	if (!area[0] || (scope && !auth_scope_contains(scope, area)))
		reg_problems_add(p, row, f->name, "field '%s': no %s%s%s with id %lld", f->name, f->ref_role ? f->ref_role : "",
		                 f->ref_role ? " in " : "", f->ref, (long long)id);
	return 0;
}

static bool phone_ok(const char *s)
{
	size_t n = strlen(s), digits = 0;
	if (n < 3 || n > 24)
		return false;
	for (const char *c = s; *c; c++) {
		if (*c >= '0' && *c <= '9')
			digits++;
		else if (!strchr(" +-()", *c))
			return false;
	}
	return digits >= 3;
}

static bool url_ok(const char *s, const char *const *schemes)
{
	const char *colon = strstr(s, "://");
	if (!colon || strlen(s) > 500 || colon[3] == 0)
		return false;
	char scheme[16];
	size_t n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof scheme)
		return false;
	for (size_t i = 0; i < n; i++)
		scheme[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	scheme[n] = 0;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == '"' || *c == '<' || *c == '>')
			return false;
	return in_values(schemes, scheme);
}

/* a scalar member through the JSON field validators: their words become the problem */
static void check_scalar(const reg_field *f, json_t *obj, long row, reg_problems *p)
{
	yj_err fe = {0};
	const char *text;
	int64_t whole;
	double number;
	bool flag;
	int rc = 0;
	switch (f->kind) {
	case F_TEXT: rc = yj_json_text(obj, f->name, 0, (size_t)(f->max_len ? f->max_len : 200), &text, &fe); break;
	case F_INT: rc = yj_json_int(obj, f->name, 0, (int64_t)f->min, (int64_t)f->max, &whole, &fe); break;
	case F_REAL: rc = yj_json_double(obj, f->name, 0, f->min, f->max, &number, &fe); break;
	case F_BOOL: rc = yj_json_bool(obj, f->name, 0, &flag, &fe); break;
	default: break;
	}
	if (rc < 0) {
		size_t before = p->count;
		reg_problems_add(p, row, f->name, "%s", fe.message);
		if (p->count > before && before < (p->max ? p->max : 1000)) /* kept: with the validator's Chinese */
			snprintf(p->items[before].message_zh, sizeof p->items[before].message_zh, "%s", fe.message_zh);
	}
}

/* v is an array of at most 100 items (what: "ids"), else a problem */
static bool small_array(const json_t *v, const char *what, const char *n, long row, reg_problems *p)
{
	if (json_is_array(v) && json_array_size(v) <= 100)
		return true;
	reg_problems_add(p, row, n, "field '%s' must be an array of at most 100 %s", n, what);
	return false;
}

static int check_field(store *s, const reg_field *f, const auth_scope *scope, json_t *obj, json_t *v, long row,
                       reg_problems *p, yj_err *e)
{
	char allowed[400];
	const char *n = f->name;
	switch (f->kind) {
	case F_TEXT:
	case F_INT:
	case F_REAL:
	case F_BOOL: check_scalar(f, obj, row, p); break;
	case F_ENUM:
		if (!json_is_string(v) || !in_values(f->values, json_string_value(v))) {
			values_list(f, allowed, sizeof allowed);
			reg_problems_add(p, row, n, "field '%s': '%.40s' is not one of %s", n,
			                 json_is_string(v) ? json_string_value(v) : "(not a string)", allowed);
		}
		break;
	case F_ENUM_SET: {
		if (!json_is_array(v)) {
			reg_problems_add(p, row, n, "field '%s' must be an array", n);
			break;
		}
		size_t i, k;
		json_t *it;
		json_array_foreach(v, i, it) {
			if (!json_is_string(it) || !in_values(f->values, json_string_value(it))) {
				values_list(f, allowed, sizeof allowed);
				reg_problems_add(p, row, n, "field '%s': item %zu is not one of %s", n, i + 1, allowed);
				break;
			}
			for (k = 0; k < i; k++)
				if (json_equal(json_array_get(v, k), it))
					reg_problems_add(p, row, n, "field '%s': '%s' is listed twice", n, json_string_value(it));
		}
		if (f->required && json_array_size(v) == 0)
			reg_problems_add(p, row, n, "field '%s': at least one value is required", n);
		break;
	}
	case F_URL:
		if (!json_is_string(v) || !url_ok(json_string_value(v), f->values)) {
			values_list(f, allowed, sizeof allowed);
			reg_problems_add(p, row, n, "field '%s': expected a URL with scheme %s", n, allowed);
		}
		break;
	case F_PHONE:
		if (!json_is_string(v) || !phone_ok(json_string_value(v)))
			reg_problems_add(p, row, n, "field '%s': expected a phone number (digits, spaces, + - ( ))", n);
		break;
	case F_CREDIT_CODE:
		if (!json_is_string(v) || !reg_credit_code_valid(json_string_value(v)))
			reg_problems_add(p, row, n,
			                 "field '%s': '%.24s' is not a valid unified social credit code "
			                 "(18 characters, GB 32100-2015 check character)",
			                 n, json_is_string(v) ? json_string_value(v) : "");
		break;
	case F_REF: return check_ref(s, f, scope, v, row, p, e);
	case F_REF_SET: {
		if (!small_array(v, "ids", n, row, p))
			break;
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) {
			if (check_ref(s, f, scope, it, row, p, e))
				return -1;
		}
		break;
	}
	case F_SUBSTANCES: {
		if (!small_array(v, "substances", n, row, p))
			break;
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) {
			json_t *nm = json_object_get(it, "name"), *qt = json_object_get(it, "quantity_t");
			if (!json_is_object(it) || json_object_size(it) != 2 || !json_is_string(nm) ||
			    json_string_length(nm) == 0 || json_string_length(nm) > 100 || !json_is_number(qt) ||
			    json_number_value(qt) < 0 || json_number_value(qt) > 1e9) {
				reg_problems_add(p, row, n,
				                 "field '%s': item %zu must be {\"name\": text, \"quantity_t\": number >= 0}", n,
				                 i + 1);
				break;
			}
		}
		break;
	}
	}
	return 0;
}

/* ---- the place: lon/lat and area_code --------------------------------------------------- */

/* present together, in range, consistent, in the caller's jurisdiction */
static void check_place(const auth_scope *scope, json_t *obj, bool partial, long row, reg_problems *p)
{
	json_t *lon = json_object_get(obj, "lon"), *lat = json_object_get(obj, "lat");
	bool has_point = lon && lat && !json_is_null(lon) && !json_is_null(lat);
	if ((lon && !lat) || (lat && !lon) || (lon && lat && json_is_null(lon) != json_is_null(lat))) {
		reg_problems_add(p, row, lon ? "lat" : "lon", "lon and lat go together: give both or neither");
		return;
	}
	if (has_point) {
		if (!json_is_number(lon) || !isfinite(json_number_value(lon)) || json_number_value(lon) < -180 ||
		    json_number_value(lon) > 180) {
			reg_problems_add(p, row, "lon", "field 'lon' must be a number in -180..180");
			has_point = false;
		}
		if (!json_is_number(lat) || !isfinite(json_number_value(lat)) || json_number_value(lat) < -90 ||
		    json_number_value(lat) > 90) {
			reg_problems_add(p, row, "lat", "field 'lat' must be a number in -90..90");
			has_point = false;
		}
	}
	char located[16] = "";
	if (has_point)
		reg_area_locate(json_number_value(lon), json_number_value(lat), located);

	json_t *area = json_object_get(obj, "area_code");
	if (!area || json_is_null(area)) {
		if (partial)
			return;
		if (located[0]) {
			if (!scope || auth_scope_contains(scope, located))
				json_object_set_new(obj, "area_code", json_string(located));
			else
				reg_problems_add(p, row, "lon", "the point lies in area %s, outside your jurisdiction", located);
		} else {
			reg_problems_add(p, row, "area_code", "field 'area_code' is required (or give lon/lat inside the city)");
		}
		return;
	}
	if (!json_is_string(area)) {
		reg_problems_add(p, row, "area_code", "field 'area_code' must be a string");
		return;
	}
	const char *code = json_string_value(area);
	if (!geo_area_find(code)) {
		reg_problems_add(p, row, "area_code", "field 'area_code': no area %.16s", code);
		return;
	}
	if (scope && !auth_scope_contains(scope, code)) {
		reg_problems_add(p, row, "area_code", "area %.16s is outside your jurisdiction (%s)", code, scope->code);
		return;
	}
	/* county boundaries are real (town ones approximate): the point must lie in the area's county */
	if (located[0] && strlen(code) >= 6 && strncmp(located, code, 6) != 0 && strncmp(code + 4, "00", 2) != 0)
		reg_problems_add(p, row, "lon", "the point lies in area %s, not in the county of %s", located, code);
}

/* ---- the object ------------------------------------------------------------------------------ */

long reg_validate(store *s, const reg_entity *ent, const auth_scope *scope, json_t *obj, bool partial, long row,
                  reg_problems *p, yj_err *e)
{
	size_t before = p->count;
	if (!json_is_object(obj)) {
		reg_problems_add(p, row, "body", "expected a JSON object");
		return (long)(p->count - before);
	}
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		if (strcmp(key, "id") == 0 || strcmp(key, "created") == 0 || strcmp(key, "updated") == 0)
			reg_problems_add(p, row, key, "field '%s' is assigned by yingji", key);
		else if (strcmp(key, "name") && strcmp(key, "area_code") && strcmp(key, "lon") && strcmp(key, "lat") &&
		         strcmp(key, "note") && !reg_field_find(ent, key))
			reg_problems_add(p, row, key, "field '%.60s' is not a field of %s", key, ent->name);
	}
	json_t *name = json_object_get(obj, "name");
	if (!name || json_is_null(name)) {
		if (!partial || name)
			reg_problems_add(p, row, "name", "field 'name' is required");
	} else if (!json_is_string(name) || json_string_length(name) == 0) {
		reg_problems_add(p, row, "name", "field 'name' must be a non-empty string");
	} else if (json_string_length(name) > 200) {
		reg_problems_add(p, row, "name", "field 'name': at most 200 bytes");
	}
	json_t *note = json_object_get(obj, "note");
	if (note && !json_is_null(note) && (!json_is_string(note) || json_string_length(note) > 2000))
		reg_problems_add(p, row, "note", "field 'note' must be a string of at most 2000 bytes");
	check_place(scope, obj, partial, row, p);
	for (const reg_field *f = ent->fields; f->name; f++) {
		v = json_object_get(obj, f->name);
		if (!v || json_is_null(v)) {
			if (f->required && (!partial || v))
				reg_problems_add(p, row, f->name, "field '%s' is required", f->name);
			continue;
		}
		if (check_field(s, f, scope, obj, v, row, p, e))
			return -1;
	}
	/* the one uniqueness rule of the registry: one enterprise per credit code */
	json_t *cc = json_object_get(obj, "credit_code");
	if (!partial && json_is_string(cc) && reg_field_find(ent, "credit_code")) {
		int64_t owner;
		int rc = reg_db_credit_code_owner(s, ent, json_string_value(cc), &owner, e);
		if (rc < 0)
			return -1;
		char area[16] = "";
		if (rc > 0 && scope && reg_db_area_of(s, ent, owner, area, e) < 0)
			return -1;
		/* the id only when the caller may see that enterprise */
		if (rc > 0 && (!scope || auth_scope_contains(scope, area)))
			reg_problems_add(p, row, "credit_code", "field 'credit_code': %s is already registered (id %lld)",
			                 json_string_value(cc), (long long)owner);
		else if (rc > 0)
			reg_problems_add(p, row, "credit_code",
			                 "field 'credit_code': %s is already registered (outside your jurisdiction)",
			                 json_string_value(cc));
	}
	return (long)(p->count - before);
}

void reg_check_unique(const reg_entity *ent, json_t *rows, reg_problems *p)
{
	if (!reg_field_find(ent, "credit_code"))
		return;
	json_t *seen = json_object(); /* credit code -> the row that gave it first */
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		const char *cc = json_string_value(json_object_get(row, "credit_code"));
		long rownum = (long)json_integer_value(json_object_get(row, "_row"));
		if (!cc)
			continue;
		json_t *first = json_object_get(seen, cc);
		if (first)
			reg_problems_add(p, rownum, "credit_code", "field 'credit_code': %.24s is given in row %lld too", cc,
			                 (long long)json_integer_value(first));
		else
			json_object_set_new(seen, cc, json_integer(rownum));
	}
	json_decref(seen);
}
