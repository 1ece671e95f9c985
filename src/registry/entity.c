/*
 * entity.c — the registry engine: one set of rules for every entity
 * described in entity_spec.c.
 *
 * At start (reg_init) each description becomes its SQL: the column list,
 * INSERT, SELECT by id, UPDATE, DELETE, and list queries for every filter
 * with and without a bbox. The strings live as long as the process, so the
 * per-thread statement cache can hold them. Column and table names come
 * only from the descriptions, never from a request; values are always bound.
 *
 * Validation collects every problem of an object (or of every row of an
 * import) with the field it concerns, so a user fixes a file in one go.
 * Writes happen in the caller's transaction and append the audit record.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "registry/registry_int.h"

#define COMMON_COLS "id, name, area_code, lon, lat, note, created_ms, updated_ms"
#define NCOMMON 8

static ent_sql sql_of[16];

/* ---- problems ---------------------------------------------------------------- */

void reg_problems_add(reg_problems *p, long row, const char *field, const char *fmt, ...)
{
	size_t max = p->max ? p->max : 1000;
	/* one problem per (row, field): the first says what to fix */
	for (size_t i = 0; field && field[0] && i < p->count && i < max; i++)
		if (p->items[i].row == row && strcmp(p->items[i].field, field) == 0)
			return;
	if (p->count >= max) {
		p->count++; /* keep counting so the caller can say "and N more" */
		return;
	}
	if (p->count == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->items = realloc(p->items, p->cap * sizeof *p->items);
		if (!p->items)
			abort();
	}
	reg_problem *it = &p->items[p->count++];
	it->row = row;
	snprintf(it->field, sizeof it->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(it->message, sizeof it->message, fmt, ap);
	va_end(ap);
	yj_utf8_trim(it->message);
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
		json_t *one = json_pack("{s:s, s:s}", "field", p->items[i].field, "message",
		                        p->items[i].message);
		if (p->items[i].row)
			json_object_set_new(one, "row", json_integer(p->items[i].row));
		json_array_append_new(list, one);
	}
	json_t *err = json_pack("{s:s, s:s, s:o, s:I}", "code", "unprocessable", "message", message,
	                        "problems", list, "problem_count", (json_int_t)p->count);
	if (p->count == 1 && p->items[0].field[0])
		json_object_set_new(err, "field", json_string(p->items[0].field));
	return json_pack("{s:o}", "error", err);
}

/* ---- SQL from descriptions ---------------------------------------------------------- */

static int entity_index(const reg_entity *ent)
{
	for (int i = 0; reg_entities[i]; i++)
		if (reg_entities[i] == ent)
			return i;
	return -1;
}

const ent_sql *reg_sql(const reg_entity *ent)
{
	int i = entity_index(ent);
	return i >= 0 ? &sql_of[i] : NULL;
}

bool reg_field_is_set(reg_field_kind k)
{
	return k == F_ENUM_SET || k == F_REF_SET || k == F_SUBSTANCES;
}

static char *list_sql(const reg_entity *ent, const char *cols, const reg_field *filter, bool bbox)
{
	strbuf b;
	strbuf_init(&b);
	strbuf_printf(&b,
	              "SELECT %s FROM %s e WHERE substr(e.area_code, 1, length(?1)) = ?1 "
	              "AND (?2 IS NULL OR instr(e.name, ?2) > 0) AND e.id > ?3",
	              cols, ent->table);
	if (bbox)
		strbuf_printf(&b,
		              " AND e.id IN (SELECT id FROM %s_rtree WHERE min_lon <= ?7 AND max_lon >= ?5"
		              " AND min_lat <= ?8 AND max_lat >= ?6)",
		              ent->table);
	if (filter) {
		if (reg_field_is_set(filter->kind))
			strbuf_printf(&b, " AND EXISTS (SELECT 1 FROM json_each(e.%s) WHERE value = ?9)",
			              filter->name);
		else
			strbuf_printf(&b, " AND e.%s = ?9", filter->name);
	}
	strbuf_puts(&b, " ORDER BY e.id LIMIT ?4");
	return strbuf_take(&b, NULL);
}

static void build_sql(const reg_entity *ent, ent_sql *q)
{
	strbuf cols, ecols, ins, qs, upd;
	strbuf_init(&cols);
	strbuf_init(&ecols);
	strbuf_init(&ins);
	strbuf_init(&qs);
	strbuf_init(&upd);
	strbuf_puts(&cols, COMMON_COLS);
	strbuf_puts(&ecols, "e.id, e.name, e.area_code, e.lon, e.lat, e.note, e.created_ms, e.updated_ms");
	strbuf_puts(&ins, "name, area_code, lon, lat, note, created_ms, updated_ms");
	strbuf_puts(&qs, "?, ?, ?, ?, ?, ?, ?");
	strbuf_puts(&upd, "name = ?, area_code = ?, lon = ?, lat = ?, note = ?, created_ms = ?, updated_ms = ?");
	q->nfields = 0;
	for (const reg_field *f = ent->fields; f->name; f++) {
		strbuf_printf(&cols, ", %s", f->name);
		strbuf_printf(&ecols, ", e.%s", f->name);
		strbuf_printf(&ins, ", %s", f->name);
		strbuf_puts(&qs, ", ?");
		strbuf_printf(&upd, ", %s = ?", f->name);
		q->nfields++;
	}
	q->select_cols = strbuf_take(&cols, NULL);
	char *e = strbuf_take(&ecols, NULL);
	strbuf b;
	strbuf_init(&b);
	strbuf_printf(&b, "SELECT %s FROM %s WHERE id = ?", q->select_cols, ent->table);
	q->get = strbuf_take(&b, NULL);
	strbuf_printf(&b, "INSERT INTO %s(%s) VALUES (%s)", ent->table, ins.data, qs.data);
	q->insert = strbuf_take(&b, NULL);
	strbuf_printf(&b, "UPDATE %s SET %s WHERE id = ?", ent->table, upd.data);
	q->update = strbuf_take(&b, NULL);
	strbuf_printf(&b, "DELETE FROM %s WHERE id = ?", ent->table);
	q->delete = strbuf_take(&b, NULL);
	strbuf_printf(&b, "SELECT area_code FROM %s WHERE id = ?", ent->table);
	q->area_of = strbuf_take(&b, NULL);
	strbuf_printf(&b, "SELECT id FROM %s WHERE credit_code = ?", ent->table);
	q->by_credit_code = strbuf_take(&b, NULL);
	for (int bb = 0; bb < 2; bb++) {
		q->list[0][bb] = list_sql(ent, e, NULL, bb);
		int i = 1;
		for (const reg_field *f = ent->fields; f->name && i < REG_MAX_FIELDS; f++, i++)
			q->list[i][bb] = f->filter ? list_sql(ent, e, f, bb) : NULL;
	}
	free(e);
	strbuf_free(&ins);
	strbuf_free(&qs);
	strbuf_free(&upd);
}

/* ---- rows as JSON -------------------------------------------------------------------- */

json_t *reg_row_json(const reg_entity *ent, sqlite3_stmt *st)
{
	char created[40], updated[40];
	yj_time_format(sqlite3_column_int64(st, 6), created);
	yj_time_format(sqlite3_column_int64(st, 7), updated);
	json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id",
	                      (json_int_t)sqlite3_column_int64(st, 0), "name",
	                      (const char *)sqlite3_column_text(st, 1), "area_code",
	                      (const char *)sqlite3_column_text(st, 2), "note",
	                      (const char *)sqlite3_column_text(st, 5), "created", created, "updated",
	                      updated);
	if (sqlite3_column_type(st, 3) == SQLITE_NULL) {
		json_object_set_new(j, "lon", json_null());
		json_object_set_new(j, "lat", json_null());
	} else {
		json_object_set_new(j, "lon", json_real(sqlite3_column_double(st, 3)));
		json_object_set_new(j, "lat", json_real(sqlite3_column_double(st, 4)));
	}
	int col = NCOMMON;
	for (const reg_field *f = ent->fields; f->name; f++, col++) {
		json_t *v;
		if (sqlite3_column_type(st, col) == SQLITE_NULL) {
			v = reg_field_is_set(f->kind) ? json_array() : json_null();
		} else {
			switch (f->kind) {
			case F_INT:
			case F_REF: v = json_integer(sqlite3_column_int64(st, col)); break;
			case F_REAL: v = json_real(sqlite3_column_double(st, col)); break;
			case F_BOOL: v = json_boolean(sqlite3_column_int(st, col)); break;
			case F_ENUM_SET:
			case F_REF_SET:
			case F_SUBSTANCES:
				v = json_loads((const char *)sqlite3_column_text(st, col), 0, NULL);
				if (!v)
					v = json_array();
				break;
			default: v = json_string((const char *)sqlite3_column_text(st, col)); break;
			}
		}
		json_object_set_new(j, f->name, v);
	}
	return j;
}

json_t *reg_get(store *s, const reg_entity *ent, const auth_user *user, int64_t id)
{
	const ent_sql *q = reg_sql(ent);
	sqlite3_stmt *st = q ? store_stmt(s, q->get, NULL) : NULL;
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (!user || auth_area_visible(user, (const char *)sqlite3_column_text(st, 2))))
		j = reg_row_json(ent, st);
	sqlite3_reset(st);
	return j;
}

/* ---- validation ------------------------------------------------------------------------ */

static const reg_field *find_field(const reg_entity *ent, const char *name)
{
	for (const reg_field *f = ent->fields; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static bool in_values(const char *const *values, const char *v)
{
	for (int i = 0; values && values[i]; i++)
		if (strcmp(values[i], v) == 0)
			return true;
	return false;
}

static void values_list(const char *const *values, char *out, size_t cap)
{
	out[0] = 0;
	size_t n = 0;
	for (int i = 0; values && values[i] && n + 2 < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", values[i]);
}

/* the area of a referenced row, "" when missing (users: also checks the role) */
static void ref_area(store *s, const reg_field *f, int64_t id, char out[16])
{
	out[0] = 0;
	sqlite3_stmt *st;
	if (strcmp(f->ref, "users") == 0) {
		st = store_stmt(s, "SELECT area_code, role FROM user WHERE id = ? AND disabled = 0", NULL);
	} else {
		const reg_entity *target = reg_entity_find(f->ref);
		st = target ? store_stmt(s, reg_sql(target)->area_of, NULL) : NULL;
	}
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		bool role_ok = !f->ref_role ||
		               strcmp((const char *)sqlite3_column_text(st, 1), f->ref_role) == 0;
		if (role_ok)
			snprintf(out, 16, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
}

static void check_ref(store *s, const reg_field *f, const auth_user *user, json_t *v, long row,
                      reg_problems *p)
{
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		reg_problems_add(p, row, f->name, "field '%s': expected the id (a positive integer) of one of %s",
		                 f->name, f->ref);
		return;
	}
	char area[16];
	int64_t id = json_integer_value(v);
	ref_area(s, f, id, area);
	if (!area[0] || (user && !auth_area_visible(user, area)))
		reg_problems_add(p, row, f->name, "field '%s': no %s%s%s with id %lld", f->name,
		                 f->ref_role ? f->ref_role : "", f->ref_role ? " in " : "", f->ref,
		                 (long long)id);
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

static void check_field(store *s, const reg_field *f, const auth_user *user, json_t *v, long row,
                        reg_problems *p)
{
	char allowed[400];
	const char *n = f->name;
	switch (f->kind) {
	case F_TEXT:
		if (!json_is_string(v))
			reg_problems_add(p, row, n, "field '%s' must be a string", n);
		else if ((int)json_string_length(v) > (f->max_len ? f->max_len : 200))
			reg_problems_add(p, row, n, "field '%s': at most %d bytes", n, f->max_len ? f->max_len : 200);
		break;
	case F_INT:
		if (!json_is_integer(v))
			reg_problems_add(p, row, n, "field '%s' must be a whole number", n);
		else if ((double)json_integer_value(v) < f->min || (double)json_integer_value(v) > f->max)
			reg_problems_add(p, row, n, "field '%s': %lld is outside %.0f..%.0f", n,
			                 (long long)json_integer_value(v), f->min, f->max);
		break;
	case F_REAL:
		if (!json_is_number(v))
			reg_problems_add(p, row, n, "field '%s' must be a number", n);
		else if (json_number_value(v) < f->min || json_number_value(v) > f->max)
			reg_problems_add(p, row, n, "field '%s': %g is outside %g..%g", n,
			                 json_number_value(v), f->min, f->max);
		break;
	case F_BOOL:
		if (!json_is_boolean(v))
			reg_problems_add(p, row, n, "field '%s' must be true or false", n);
		break;
	case F_ENUM:
		if (!json_is_string(v) || !in_values(f->values, json_string_value(v))) {
			values_list(f->values, allowed, sizeof allowed);
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
				values_list(f->values, allowed, sizeof allowed);
				reg_problems_add(p, row, n, "field '%s': item %zu is not one of %s", n, i + 1, allowed);
				break;
			}
			for (k = 0; k < i; k++)
				if (json_equal(json_array_get(v, k), it))
					reg_problems_add(p, row, n, "field '%s': '%s' is listed twice", n,
					                 json_string_value(it));
		}
		if (f->required && json_array_size(v) == 0)
			reg_problems_add(p, row, n, "field '%s': at least one value is required", n);
		break;
	}
	case F_URL:
		if (!json_is_string(v) || !url_ok(json_string_value(v), f->values)) {
			values_list(f->values, allowed, sizeof allowed);
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
	case F_REF: check_ref(s, f, user, v, row, p); break;
	case F_REF_SET: {
		if (!json_is_array(v) || json_array_size(v) > 100) {
			reg_problems_add(p, row, n, "field '%s' must be an array of at most 100 ids", n);
			break;
		}
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) check_ref(s, f, user, it, row, p);
		break;
	}
	case F_SUBSTANCES: {
		if (!json_is_array(v) || json_array_size(v) > 100) {
			reg_problems_add(p, row, n, "field '%s' must be an array of at most 100 substances", n);
			break;
		}
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) {
			json_t *nm = json_object_get(it, "name"), *qt = json_object_get(it, "quantity_t");
			if (!json_is_object(it) || json_object_size(it) != 2 || !json_is_string(nm) ||
			    json_string_length(nm) == 0 || json_string_length(nm) > 100 ||
			    !json_is_number(qt) || json_number_value(qt) < 0 || json_number_value(qt) > 1e9) {
				reg_problems_add(p, row, n,
				                 "field '%s': item %zu must be {\"name\": text, \"quantity_t\": "
				                 "number >= 0}",
				                 n, i + 1);
				break;
			}
		}
		break;
	}
	}
}

/* lon/lat and area_code: present together, in range, consistent, in the user's jurisdiction */
static void check_place(store *s, const auth_user *user, json_t *obj, bool partial, long row,
                        reg_problems *p)
{
	json_t *lon = json_object_get(obj, "lon"), *lat = json_object_get(obj, "lat");
	bool has_point = lon && lat && !json_is_null(lon) && !json_is_null(lat);
	if ((lon && !lat) || (lat && !lon) ||
	    (lon && lat && json_is_null(lon) != json_is_null(lat))) {
		reg_problems_add(p, row, lon ? "lat" : "lon", "lon and lat go together: give both or neither");
		return;
	}
	if (has_point) {
		if (!json_is_number(lon) || json_number_value(lon) < -180 || json_number_value(lon) > 180) {
			reg_problems_add(p, row, "lon", "field 'lon' must be a number in -180..180");
			has_point = false;
		}
		if (!json_is_number(lat) || json_number_value(lat) < -90 || json_number_value(lat) > 90) {
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
			if (!user || auth_area_visible(user, located))
				json_object_set_new(obj, "area_code", json_string(located));
			else
				reg_problems_add(p, row, "lon", "the point lies in area %s, outside your jurisdiction",
				                 located);
		} else {
			reg_problems_add(p, row, "area_code",
			                 "field 'area_code' is required (or give lon/lat inside the city)");
		}
		return;
	}
	if (!json_is_string(area)) {
		reg_problems_add(p, row, "area_code", "field 'area_code' must be a string");
		return;
	}
	const char *code = json_string_value(area);
	sqlite3_stmt *st = store_stmt(s, "SELECT level FROM area WHERE code = ?", NULL);
	if (!st)
		return;
	store_bind_text(st, 1, code);
	bool exists = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!exists) {
		reg_problems_add(p, row, "area_code", "field 'area_code': no area %.16s", code);
		return;
	}
	if (user && !auth_area_visible(user, code)) {
		reg_problems_add(p, row, "area_code", "area %.16s is outside your jurisdiction (%s)", code,
		                 user->area_code);
		return;
	}
	/* county boundaries are real (town ones approximate): the point must lie in the area's county */
	if (located[0] && strlen(code) >= 6 && strncmp(located, code, 6) != 0 &&
	    strncmp(code + 4, "00", 2) != 0)
		reg_problems_add(p, row, "lon", "the point lies in area %s, not in the county of %s", located,
		                 code);
}

size_t reg_validate(store *s, const reg_entity *ent, const auth_user *user, json_t *obj,
                    bool partial, long row, reg_problems *p)
{
	size_t before = p->count;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		if (strcmp(key, "id") == 0 || strcmp(key, "created") == 0 || strcmp(key, "updated") == 0)
			reg_problems_add(p, row, key, "field '%s' is assigned by yingji", key);
		else if (strcmp(key, "name") && strcmp(key, "area_code") && strcmp(key, "lon") &&
		         strcmp(key, "lat") && strcmp(key, "note") && !find_field(ent, key))
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
	check_place(s, user, obj, partial, row, p);
	for (const reg_field *f = ent->fields; f->name; f++) {
		v = json_object_get(obj, f->name);
		if (!v || json_is_null(v)) {
			if (f->required && (!partial || v))
				reg_problems_add(p, row, f->name, "field '%s' is required", f->name);
			continue;
		}
		check_field(s, f, user, v, row, p);
	}
	/* the one uniqueness rule of the registry: one enterprise per credit code */
	json_t *cc = json_object_get(obj, "credit_code");
	const ent_sql *q = reg_sql(ent);
	if (!partial && json_is_string(cc) && find_field(ent, "credit_code") && q) {
		sqlite3_stmt *st = store_stmt(s, q->by_credit_code, NULL);
		if (st) {
			store_bind_text(st, 1, json_string_value(cc));
			if (sqlite3_step(st) == SQLITE_ROW)
				reg_problems_add(p, row, "credit_code",
				                 "field 'credit_code': %s is already registered (id %lld)",
				                 json_string_value(cc), (long long)sqlite3_column_int64(st, 0));
			sqlite3_reset(st);
		}
	}
	return p->count - before;
}

/* ---- writes ------------------------------------------------------------------------------ */

/* bind the object's values from position first on, in the column order of build_sql */
static void bind_values(sqlite3_stmt *st, const reg_entity *ent, json_t *obj, int first,
                        int64_t created, int64_t updated)
{
	int i = first;
	store_bind_text(st, i++, json_string_value(json_object_get(obj, "name")));
	store_bind_text(st, i++, json_string_value(json_object_get(obj, "area_code")));
	json_t *lon = json_object_get(obj, "lon"), *lat = json_object_get(obj, "lat");
	if (json_is_number(lon) && json_is_number(lat)) {
		sqlite3_bind_double(st, i++, json_number_value(lon));
		sqlite3_bind_double(st, i++, json_number_value(lat));
	} else {
		sqlite3_bind_null(st, i++);
		sqlite3_bind_null(st, i++);
	}
	json_t *note = json_object_get(obj, "note");
	store_bind_text(st, i++, json_is_string(note) ? json_string_value(note) : "");
	sqlite3_bind_int64(st, i++, created);
	sqlite3_bind_int64(st, i++, updated);
	for (const reg_field *f = ent->fields; f->name; f++, i++) {
		json_t *v = json_object_get(obj, f->name);
		if (!v || json_is_null(v)) {
			if (reg_field_is_set(f->kind))
				store_bind_text(st, i, "[]");
			else
				sqlite3_bind_null(st, i);
			continue;
		}
		switch (f->kind) {
		case F_INT:
		case F_REF: sqlite3_bind_int64(st, i, json_integer_value(v)); break;
		case F_REAL: sqlite3_bind_double(st, i, json_number_value(v)); break;
		case F_BOOL: sqlite3_bind_int(st, i, json_is_true(v)); break;
		case F_ENUM_SET:
		case F_REF_SET:
		case F_SUBSTANCES: {
			char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			sqlite3_bind_text(st, i, txt, -1, free);
			break;
		}
		default: store_bind_text(st, i, json_string_value(v)); break;
		}
	}
}

static int audit_row(store *s, const reg_entity *ent, const auth_user *user, const char *verb,
                     int64_t id, yj_err *e)
{
	char action[64], idbuf[24];
	snprintf(action, sizeof action, "%s.%s", ent->object_type, verb);
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	json_t *state = reg_get(s, ent, NULL, id);
	int rc = audit_append(s, user, action, ent->object_type, idbuf, state, e);
	json_decref(state);
	return rc;
}

int reg_insert(store *s, const reg_entity *ent, const auth_user *user, json_t *obj,
               int64_t *id_out, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s, reg_sql(ent)->insert, e);
	if (!st)
		return -1;
	int64_t now = yj_now_ms();
	bind_values(st, ent, obj, 1, now, now);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "insert");
	int64_t id = sqlite3_last_insert_rowid(store_db(s));
	if (id_out)
		*id_out = id;
	return audit_row(s, ent, user, "create", id, e);
}

int reg_update(store *s, const reg_entity *ent, const auth_user *user, int64_t id, json_t *patch,
               yj_err *e)
{
	json_t *cur = reg_get(s, ent, user, id);
	if (!cur)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no %s with id %lld", ent->name, (long long)id);
	int64_t created;
	yj_time_parse(json_string_value(json_object_get(cur, "created")), &created, "created", NULL);
	json_object_update(cur, patch);
	sqlite3_stmt *st = store_stmt(s, reg_sql(ent)->update, e);
	if (!st) {
		json_decref(cur);
		return -1;
	}
	bind_values(st, ent, cur, 1, created, yj_now_ms());
	sqlite3_bind_int64(st, NCOMMON + reg_sql(ent)->nfields, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	json_decref(cur);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "update");
	return audit_row(s, ent, user, "update", id, e);
}

/* how many rows of other entities point at (ent, id) */
static long references_to(store *s, const reg_entity *ent, int64_t id, const char **who)
{
	for (int i = 0; reg_entities[i]; i++) {
		for (const reg_field *f = reg_entities[i]->fields; f->name; f++) {
			if (!f->ref || strcmp(f->ref, ent->name) != 0)
				continue;
			const char *sql = f->kind == F_REF_SET ? reg_sql(reg_entities[i])->refset_count[f - reg_entities[i]->fields]
			                                       : reg_sql(reg_entities[i])->ref_count[f - reg_entities[i]->fields];
			sqlite3_stmt *st = sql ? store_stmt(s, sql, NULL) : NULL;
			if (!st)
				continue;
			sqlite3_bind_int64(st, 1, id);
			long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
			sqlite3_reset(st);
			if (n > 0) {
				*who = reg_entities[i]->name;
				return n;
			}
		}
	}
	return 0;
}

int reg_delete(store *s, const reg_entity *ent, const auth_user *user, int64_t id, yj_err *e)
{
	json_t *cur = reg_get(s, ent, user, id);
	if (!cur)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no %s with id %lld", ent->name, (long long)id);
	json_decref(cur);
	const char *who = NULL;
	long n = references_to(s, ent, id, &who);
	if (n > 0)
		return yj_fail(e, YJ_ECONFLICT, "id", "%s %lld is still referenced by %ld %s", ent->name,
		               (long long)id, n, who);
	sqlite3_stmt *st = store_stmt(s, reg_sql(ent)->delete, e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "delete");
	char action[64], idbuf[24];
	snprintf(action, sizeof action, "%s.delete", ent->object_type);
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	return audit_append(s, user, action, ent->object_type, idbuf, NULL, e);
}

/* ---- lists ----------------------------------------------------------------------------------- */

int reg_bbox_parse(const char *bbox, double out[4], yj_err *e)
{
	char extra;
	if (sscanf(bbox, "%lf,%lf,%lf,%lf%c", &out[0], &out[1], &out[2], &out[3], &extra) != 4 ||
	    !isfinite(out[0]) || !isfinite(out[1]) || !isfinite(out[2]) || !isfinite(out[3]))
		return yj_fail(e, YJ_EINVAL, "bbox", "field 'bbox': expected minLon,minLat,maxLon,maxLat");
	if (out[0] < -180 || out[2] > 180 || out[1] < -90 || out[3] > 90 || out[0] > out[2] ||
	    out[1] > out[3])
		return yj_fail(e, YJ_EINVAL, "bbox",
		               "field 'bbox': %g,%g,%g,%g is not minLon,minLat,maxLon,maxLat within -180..180, -90..90",
		               out[0], out[1], out[2], out[3]);
	return 0;
}

int reg_query_parse(const reg_entity *ent, reg_param_fn param, const void *ctx,
                    const auth_user *user, long default_limit, long max_limit, reg_query *q,
                    yj_err *e)
{
	memset(q, 0, sizeof *q);
	q->area = param(ctx, "area");
	q->q = param(ctx, "q");
	q->bbox = param(ctx, "bbox");
	q->limit = default_limit;
	if (q->area && auth_require_area(user, q->area, "area", e))
		return -1;
	if (q->q && strlen(q->q) > 100)
		return yj_fail(e, YJ_EINVAL, "q", "field 'q': at most 100 bytes");
	double bb[4];
	if (q->bbox && reg_bbox_parse(q->bbox, bb, e))
		return -1;
	long v;
	const char *s;
	if ((s = param(ctx, "limit"))) {
		if (yj_parse_long(s, 1, max_limit, &v, "limit", e))
			return -1;
		q->limit = v;
	}
	if ((s = param(ctx, "cursor"))) {
		if (yj_parse_long(s, 0, 0x7fffffffffffffffL, &v, "cursor", e))
			return -1;
		q->cursor = v;
	}
	for (const reg_field *f = ent->fields; f->name; f++) {
		if (!f->filter || !(s = param(ctx, f->name)))
			continue;
		if (q->filter_field)
			return yj_fail(e, YJ_EINVAL, f->name,
			               "filter by one field at a time (%s and %s given)", q->filter_field,
			               f->name);
		if ((f->kind == F_ENUM || f->kind == F_ENUM_SET) && !in_values(f->values, s)) {
			char allowed[400];
			values_list(f->values, allowed, sizeof allowed);
			return yj_fail(e, YJ_EINVAL, f->name, "field '%s': '%.40s' is not one of %s", f->name,
			               s, allowed);
		}
		if ((f->kind == F_INT || f->kind == F_REF || f->kind == F_REF_SET) &&
		    yj_parse_long(s, -0x7fffffffL, 0x7fffffffL, &v, f->name, e))
			return -1;
		q->filter_field = f->name;
		q->filter_value = s;
	}
	return 0;
}

long reg_list(store *s, const reg_entity *ent, const auth_user *user, const reg_query *q,
              reg_row_fn fn, void *ctx, int64_t *next_cursor, yj_err *e)
{
	const ent_sql *sq = reg_sql(ent);
	int fi = 0;
	const reg_field *ff = NULL;
	if (q->filter_field) {
		ff = find_field(ent, q->filter_field);
		fi = ff ? (int)(ff - ent->fields) + 1 : 0;
	}
	const char *sql = sq->list[fi][q->bbox ? 1 : 0];
	if (!sql)
		return yj_fail(e, YJ_EINVAL, q->filter_field, "cannot filter by %s", q->filter_field);
	sqlite3_stmt *st = store_stmt(s, sql, e);
	if (!st)
		return -1;
	char prefix[16];
	if (q->area)
		auth_area_prefix(q->area, prefix);
	else
		snprintf(prefix, sizeof prefix, "%s", user ? user->area_prefix : "");
	store_bind_text(st, 1, prefix);
	store_bind_text(st, 2, q->q);
	sqlite3_bind_int64(st, 3, q->cursor);
	sqlite3_bind_int64(st, 4, q->limit > 0 ? q->limit + 1 : -1);
	if (q->bbox) {
		double bb[4];
		reg_bbox_parse(q->bbox, bb, NULL);
		for (int i = 0; i < 4; i++)
			sqlite3_bind_double(st, 5 + i, bb[i]);
	}
	if (ff) {
		if (ff->kind == F_INT || ff->kind == F_REF || ff->kind == F_REF_SET)
			sqlite3_bind_int64(st, 9, strtoll(q->filter_value, NULL, 10));
		else
			store_bind_text(st, 9, q->filter_value);
	}
	long n = 0;
	int64_t last = 0;
	if (next_cursor)
		*next_cursor = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (q->limit > 0 && n == q->limit) {
			if (next_cursor)
				*next_cursor = last;
			break;
		}
		json_t *row = reg_row_json(ent, st);
		last = sqlite3_column_int64(st, 0);
		int stop = fn(ctx, row);
		json_decref(row);
		n++;
		if (stop)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, e, "list");
	return n;
}

/* ---- start-up ------------------------------------------------------------------------------------ */

#define STATE_FN(i)                                                                  \
	static json_t *state_##i(store *s, const char *object_id)                       \
	{                                                                                \
		return reg_get(s, reg_entities[i], NULL, strtoll(object_id, NULL, 10));     \
	}
STATE_FN(0)
STATE_FN(1)
STATE_FN(2)
STATE_FN(3)
STATE_FN(4)
STATE_FN(5)
STATE_FN(6)
STATE_FN(7)
static const audit_state_fn state_fns[] = {state_0, state_1, state_2, state_3,
                                           state_4, state_5, state_6, state_7};

static void build_ref_sql(void)
{
	for (int i = 0; reg_entities[i]; i++) {
		const reg_entity *ent = reg_entities[i];
		ent_sql *q = &sql_of[i];
		for (const reg_field *f = ent->fields; f->name; f++) {
			int k = (int)(f - ent->fields);
			strbuf b;
			strbuf_init(&b);
			if (f->kind == F_REF) {
				strbuf_printf(&b, "SELECT count(*) FROM %s WHERE %s = ?", ent->table, f->name);
				q->ref_count[k] = strbuf_take(&b, NULL);
			} else if (f->kind == F_REF_SET) {
				strbuf_printf(&b,
				              "SELECT count(*) FROM %s, json_each(%s.%s) WHERE json_each.value = ?",
				              ent->table, ent->table, f->name);
				q->refset_count[k] = strbuf_take(&b, NULL);
			}
			strbuf_free(&b);
		}
	}
}

void reg_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	for (int i = 0; reg_entities[i]; i++) {
		build_sql(reg_entities[i], &sql_of[i]);
		if (i < (int)YJ_ARRAY_LEN(state_fns))
			audit_register_state(reg_entities[i]->object_type, state_fns[i]);
	}
	build_ref_sql();
	reg_layers_init();
}
