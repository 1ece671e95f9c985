/*
 * entity_db.c — the SQL of the registry's entity tables (enterprise,
 * hazard_source, risk_point, shelter, warehouse, rescue_team, camera,
 * water_source), built from the descriptions of entity_spec.c.
 *
 * Table and column names come only from the descriptions, never from a
 * request; every value is bound. The texts of one entity's statements are
 * the same for every call of the same shape (the statement cache keeps
 * them). Rows come back as JSON objects in the API's shape.
 *
 * What SQLite and PostgreSQL write differently sits in the functions
 * marked "dialect point": R*Tree look-ups, membership in a JSON array,
 * substring search.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry_int.h"

#define COMMON_COLS "e.id, e.name, e.area_code, e.lon, e.lat, e.note, e.created_ms, e.updated_ms"
#define NCOMMON 8
#define MAX_VALS (NCOMMON + REG_MAX_FIELDS + 16)
#define MAX_ENTITIES 16

bool reg_field_is_set(reg_field_kind k)
{
	return k == F_ENUM_SET || k == F_REF_SET || k == F_SUBSTANCES;
}

const reg_field *reg_field_find(const reg_entity *ent, const char *name)
{
	for (const reg_field *f = ent->fields; name && f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* ---- building statements ------------------------------------------------------------------ */

/* SQL text and its values, appended together so they cannot drift apart */
typedef struct sql_build {
	strbuf text;
	store_val vals[MAX_VALS];
	size_t n;
} sql_build;

static void sb_init(sql_build *b)
{
	strbuf_init(&b->text);
	b->n = 0;
}

static void sb_val(sql_build *b, store_val v)
{
	if (b->n == MAX_VALS) { /* the descriptions are ours: more columns than this is a defect */
		yj_log(YJ_LOG_ERROR, "registry_sql", "message=\"too many values\"");
		abort();
	}
	b->vals[b->n++] = v;
}

/* the columns of the entity's rows: common ones, then the fields in order */
static void select_cols(strbuf *b, const reg_entity *ent)
{
	strbuf_puts(b, COMMON_COLS);
	for (const reg_field *f = ent->fields; f->name; f++)
		strbuf_printf(b, ", e.%s", f->name);
}

/* the statements of one entity that every write and read by id uses: built once (the demo
 * writes eighteen thousand rows through them) and kept for the life of the process */
typedef struct ent_sql {
	char *get, *insert, *update;
} ent_sql;
static ent_sql sql_of[MAX_ENTITIES];
static pthread_once_t sql_once = PTHREAD_ONCE_INIT;

static void build_sql(void)
{
	for (int i = 0; reg_entities[i] && i < MAX_ENTITIES; i++) {
		const reg_entity *ent = reg_entities[i];
		strbuf b;
		strbuf_init(&b);
		strbuf_puts(&b, "SELECT ");
		select_cols(&b, ent);
		strbuf_printf(&b, " FROM %s e WHERE e.id = ?", ent->table);
		sql_of[i].get = strbuf_take(&b, NULL);
		strbuf_printf(&b, "INSERT INTO %s(name, area_code, lon, lat, note, created_ms, updated_ms", ent->table);
		for (const reg_field *f = ent->fields; f->name; f++)
			strbuf_printf(&b, ", %s", f->name);
		strbuf_puts(&b, ") VALUES (?, ?, ?, ?, ?, ?, ?");
		for (const reg_field *f = ent->fields; f->name; f++)
			strbuf_puts(&b, ", ?");
		strbuf_puts(&b, ") RETURNING id");
		sql_of[i].insert = strbuf_take(&b, NULL);
		strbuf_printf(&b, "UPDATE %s SET name = ?, area_code = ?, lon = ?, lat = ?, note = ?, created_ms = ?, updated_ms = ?",
		              ent->table);
		for (const reg_field *f = ent->fields; f->name; f++)
			strbuf_printf(&b, ", %s = ?", f->name);
		strbuf_puts(&b, " WHERE id = ?");
		sql_of[i].update = strbuf_take(&b, NULL);
	}
}

static const ent_sql *sql_for(const reg_entity *ent)
{
	pthread_once(&sql_once, build_sql);
	for (int i = 0; reg_entities[i] && i < MAX_ENTITIES; i++)
		if (reg_entities[i] == ent)
			return &sql_of[i];
	yj_log(YJ_LOG_ERROR, "registry_sql", "entity=%s message=\"not among reg_entities\"", ent->name);
	abort();
}

/* a constant of the spec as an SQL literal (they never hold a quote: checked) */
static void put_literal(strbuf *b, const char *v)
{
	if (strchr(v, '\'')) {
		yj_log(YJ_LOG_ERROR, "registry_sql", "message=\"a quote in a constant of the spec\"");
		abort();
	}
	strbuf_printf(b, "'%s'", v);
}

void reg_sql_in_values(strbuf *b, const char *col, const char *const *values)
{
	strbuf_printf(b, "%s IN (", col);
	for (int i = 0; values[i]; i++) {
		if (i)
			strbuf_puts(b, ", ");
		put_literal(b, values[i]);
	}
	strbuf_puts(b, ")");
}

/* dialect point: "the JSON array in col holds v" — SQLite's json_each; PostgreSQL would write
 * col::jsonb @> to_jsonb(v) (or ?| for several text values) */
void reg_sql_set_has(strbuf *b, const char *col, const char *const *values)
{
	strbuf_printf(b, "EXISTS (SELECT 1 FROM json_each(%s) WHERE ", col);
	if (values)
		reg_sql_in_values(b, "value", values);
	else
		strbuf_puts(b, "value = ?");
	strbuf_puts(b, ")");
}

/* dialect point: the rows of table (alias e) whose point lies in bbox — SQLite's R*Tree
 * <table>_rtree (kept by the triggers of migration 2); PostgreSQL a GiST index on the point */
static void sql_in_bbox(sql_build *b, const char *table, const double bbox[4])
{
	strbuf_printf(&b->text,
	              "e.id IN (SELECT id FROM %s_rtree WHERE min_lon <= ? AND max_lon >= ? AND min_lat <= ? AND max_lat >= ?)",
	              table);
	sb_val(b, store_v_double(bbox[2]));
	sb_val(b, store_v_double(bbox[0]));
	sb_val(b, store_v_double(bbox[3]));
	sb_val(b, store_v_double(bbox[1]));
}

/* dialect point: the name holds text — SQLite's instr; PostgreSQL strpos */
static void sql_name_has(sql_build *b, const char *text)
{
	strbuf_puts(&b->text, "instr(e.name, ?) > 0");
	sb_val(b, store_v_text(text));
}

/* ---- rows as JSON ---------------------------------------------------------------------------- */

static json_t *text_or_null(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;
	return v ? v : json_null();
}

/* Column i of q as JSON by the field kind: NULL null, numbers, booleans, a set parsed (NULL when
 * its text is not JSON), else text. */
static json_t *col_json(store_q *q, int i, reg_field_kind kind)
{
	if (store_col_null(q, i))
		return json_null();
	switch (kind) {
	case F_INT:
	case F_REF: return json_integer(store_col_int(q, i));
	case F_REAL: return json_real(store_col_double(q, i));
	case F_BOOL: return json_boolean(store_col_int(q, i));
	case F_ENUM_SET:
	case F_REF_SET:
	case F_SUBSTANCES: return store_col_json(q, i);
	default: return text_or_null(store_col_text(q, i));
	}
}

/* One row of a SELECT of select_cols as JSON. */
static json_t *row_json(const reg_entity *ent, store_q *q)
{
	char created[40], updated[40];
	yj_time_format(store_col_int(q, 6), created);
	yj_time_format(store_col_int(q, 7), updated);
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(store_col_int(q, 0)));
	json_object_set_new(j, "name", text_or_null(store_col_text(q, 1)));
	json_object_set_new(j, "area_code", text_or_null(store_col_text(q, 2)));
	json_object_set_new(j, "note", text_or_null(store_col_text(q, 5)));
	json_object_set_new(j, "created", json_string(created));
	json_object_set_new(j, "updated", json_string(updated));
	bool point = !store_col_null(q, 3) && !store_col_null(q, 4);
	json_object_set_new(j, "lon", point ? json_real(reg_coord(store_col_double(q, 3))) : json_null());
	json_object_set_new(j, "lat", point ? json_real(reg_coord(store_col_double(q, 4))) : json_null());
	int col = NCOMMON;
	for (const reg_field *f = ent->fields; f->name; f++, col++) {
		json_t *v = col_json(q, col, f->kind);
		if (reg_field_is_set(f->kind) && !json_is_array(v)) { /* the API shows a set as an array */
			json_decref(v);
			v = json_array();
		}
		json_object_set_new(j, f->name, v);
	}
	return j;
}

/* ---- one row ----------------------------------------------------------------------------------- */

int reg_db_get(store *s, const reg_entity *ent, int64_t id, json_t **out, yj_err *e)
{
	*out = NULL;
	store_q *q;
	int rc = store_row(s, &q, e, sql_for(ent)->get, id);
	if (rc > 0) {
		*out = row_json(ent, q);
		store_done(q);
	}
	return rc;
}

/* a text column (of the description, never a request's) of row id into out: 1, 0, -1 */
static int column_text(store *s, const reg_entity *ent, const char *column, int64_t id, char *out, size_t cap,
                       yj_err *e)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ?", column, ent->table);
	return store_get_text(s, out, cap, e, sql, id);
}

int reg_db_area_of(store *s, const reg_entity *ent, int64_t id, char out[16], yj_err *e)
{
	return column_text(s, ent, "area_code", id, out, 16, e);
}

int reg_db_name_of(store *s, const reg_entity *ent, int64_t id, char *out, size_t cap, yj_err *e)
{
	return column_text(s, ent, "name", id, out, cap, e);
}

int reg_db_credit_code_owner(store *s, const reg_entity *ent, const char *code, int64_t *id, yj_err *e)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE credit_code = ?", ent->table);
	return store_get_int(s, id, e, sql, code);
}

/* the object's values in the column order of select_cols (without id) */
static void object_values(sql_build *b, const reg_entity *ent, json_t *obj, int64_t created, int64_t updated)
{
	sb_val(b, store_v_text(json_string_value(json_object_get(obj, "name"))));
	sb_val(b, store_v_text(json_string_value(json_object_get(obj, "area_code"))));
	json_t *lon = json_object_get(obj, "lon"), *lat = json_object_get(obj, "lat");
	bool point = json_is_number(lon) && json_is_number(lat);
	/* stored as every answer shows it: 7 decimals (about 1 cm) */
	sb_val(b, point ? store_v_double(reg_coord(json_number_value(lon))) : store_null());
	sb_val(b, point ? store_v_double(reg_coord(json_number_value(lat))) : store_null());
	json_t *note = json_object_get(obj, "note");
	sb_val(b, store_v_text(json_is_string(note) ? json_string_value(note) : ""));
	sb_val(b, store_v_int(created));
	sb_val(b, store_v_int(updated));
	for (const reg_field *f = ent->fields; f->name; f++) {
		json_t *v = json_object_get(obj, f->name);
		if (!v || json_is_null(v)) {
			sb_val(b, reg_field_is_set(f->kind) ? store_v_text("[]") : store_null());
			continue;
		}
		switch (f->kind) {
		case F_INT:
		case F_REF: sb_val(b, store_v_int(json_integer_value(v))); break;
		case F_REAL: sb_val(b, store_v_double(json_number_value(v))); break;
		case F_BOOL: sb_val(b, store_v_int(json_is_true(v))); break;
		case F_ENUM_SET:
		case F_REF_SET:
		case F_SUBSTANCES: sb_val(b, store_v_json(v)); break;
		default: sb_val(b, store_v_text(json_string_value(v))); break;
		}
	}
}

int reg_db_insert(store *s, const reg_entity *ent, json_t *obj, int64_t created, int64_t updated, int64_t *id,
                  yj_err *e)
{
	sql_build b;
	sb_init(&b);
	object_values(&b, ent, obj, created, updated);
	int rc = store_get_int_a(s, id, e, sql_for(ent)->insert, b.vals, b.n);
	if (rc == 0) /* an INSERT always returns its row */
		return yj_fail(e, YJ_EINTERNAL, NULL, "the new %s was not stored", ent->name);
	return rc < 0 ? -1 : 0;
}

int64_t reg_db_update(store *s, const reg_entity *ent, int64_t id, json_t *obj, int64_t created, int64_t updated,
                      yj_err *e)
{
	sql_build b;
	sb_init(&b);
	object_values(&b, ent, obj, created, updated);
	sb_val(&b, store_v_int(id));
	return store_run_a(s, e, sql_for(ent)->update, b.vals, b.n);
}

int64_t reg_db_delete(store *s, const reg_entity *ent, int64_t id, yj_err *e)
{
	char sql[128];
	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = ?", ent->table);
	return store_run(s, e, sql, id);
}

int reg_db_references(store *s, const reg_entity *ent, int64_t id, int64_t *count, const char **who, yj_err *e)
{
	*count = 0;
	*who = NULL;
	for (int i = 0; reg_entities[i]; i++) {
		const reg_entity *other = reg_entities[i];
		for (const reg_field *f = other->fields; f->name; f++) {
			if ((f->kind != F_REF && f->kind != F_REF_SET) || !f->ref || strcmp(f->ref, ent->name) != 0)
				continue;
			strbuf b;
			strbuf_init(&b);
			strbuf_printf(&b, "SELECT count(*) FROM %s e WHERE ", other->table);
			char col[80];
			snprintf(col, sizeof col, "e.%s", f->name);
			if (f->kind == F_REF_SET)
				reg_sql_set_has(&b, col, NULL);
			else
				strbuf_printf(&b, "%s = ?", col);
			int64_t n = 0;
			int rc = store_get_int(s, &n, e, b.data, id);
			strbuf_free(&b);
			if (rc < 0)
				return -1;
			if (n > 0) {
				*count = n;
				*who = other->name;
				return 0;
			}
		}
	}
	return 0;
}

/* ---- lists ------------------------------------------------------------------------------------------ */

/* FROM and WHERE of a list: scope, name, bbox, filter */
static void list_where(sql_build *b, const reg_entity *ent, const reg_query *q)
{
	strbuf_printf(&b->text, " FROM %s e WHERE " AUTH_SCOPE_SQL("e.area_code"), ent->table);
	sb_val(b, store_v_text(q->scope.lo));
	sb_val(b, store_v_text(q->scope.hi));
	if (q->q) {
		strbuf_puts(&b->text, " AND ");
		sql_name_has(b, q->q);
	}
	if (q->has_bbox) {
		strbuf_puts(&b->text, " AND ");
		sql_in_bbox(b, ent->table, q->bbox);
	}
	const reg_field *f = q->filter;
	if (f) {
		char col[80];
		snprintf(col, sizeof col, "e.%s", f->name);
		strbuf_puts(&b->text, " AND ");
		if (reg_field_is_set(f->kind))
			reg_sql_set_has(&b->text, col, NULL);
		else
			strbuf_printf(&b->text, "%s = ?", col);
		bool whole = f->kind == F_INT || f->kind == F_REF || f->kind == F_REF_SET;
		sb_val(b, whole ? store_v_int(q->filter_int) : store_v_text(q->filter_text));
	}
}

long reg_list(store *s, const reg_entity *ent, const reg_query *q, reg_row_fn fn, void *ctx, int64_t *next_cursor,
              yj_err *e)
{
	sql_build b;
	sb_init(&b);
	strbuf_puts(&b.text, "SELECT ");
	select_cols(&b.text, ent);
	list_where(&b, ent, q);
	strbuf_puts(&b.text, " AND e.id > ? ORDER BY e.id");
	sb_val(&b, store_v_int(q->cursor));
	if (q->limit > 0) {
		strbuf_puts(&b.text, " LIMIT ?");
		sb_val(&b, store_v_int(q->limit + 1));
	}
	store_q *st = store_query_a(s, e, b.text.data, b.vals, b.n);
	strbuf_free(&b.text);
	if (!st)
		return -1;
	long n = 0;
	int64_t last = 0;
	if (next_cursor)
		*next_cursor = 0;
	int rc;
	while ((rc = store_step(st, e)) > 0) {
		if (q->limit > 0 && n == q->limit) {
			if (next_cursor)
				*next_cursor = last;
			store_done(st);
			return n;
		}
		json_t *row = row_json(ent, st);
		last = store_col_int(st, 0);
		int stop = fn(ctx, row);
		json_decref(row);
		n++;
		if (stop) {
			store_done(st);
			return n;
		}
	}
	return rc < 0 ? -1 : n;
}

int reg_count(store *s, const reg_entity *ent, const reg_query *q, int64_t *total, yj_err *e)
{
	sql_build b;
	sb_init(&b);
	strbuf_puts(&b.text, "SELECT count(*)");
	list_where(&b, ent, q);
	*total = 0;
	int rc = store_get_int_a(s, total, e, b.text.data, b.vals, b.n);
	strbuf_free(&b.text);
	return rc < 0 ? -1 : 0;
}

/* ---- audit projections ---------------------------------------------------------------------------------- */

/* the SELECT of each projection (a handful), built at start by reg_db_project_init */
static struct {
	const reg_proj_col *cols;
	char *sql;
} proj_sql[MAX_ENTITIES];
static int nproj;

static char *project_sql(const char *table, const reg_proj_col *cols)
{
	strbuf b;
	strbuf_init(&b);
	strbuf_puts(&b, "SELECT ");
	for (const reg_proj_col *c = cols; c->column; c++)
		strbuf_printf(&b, "%s%s", c == cols ? "" : ", ", c->column);
	strbuf_printf(&b, " FROM %s WHERE id = ?", table);
	return strbuf_take(&b, NULL);
}

void reg_db_project_init(const char *table, const reg_proj_col *cols)
{
	if (nproj < MAX_ENTITIES) {
		proj_sql[nproj].cols = cols;
		proj_sql[nproj++].sql = project_sql(table, cols);
	}
}

json_t *reg_db_project(store *s, const char *table, const reg_proj_col *cols, int64_t id)
{
	char *sql = NULL, *own = NULL;
	for (int i = 0; i < nproj && !sql; i++)
		if (proj_sql[i].cols == cols)
			sql = proj_sql[i].sql;
	if (!sql)
		sql = own = project_sql(table, cols);
	store_q *q;
	yj_err e = {0};
	int rc = store_row(s, &q, &e, sql, id);
	free(own);
	if (rc <= 0) {
		if (rc < 0)
			yj_log(YJ_LOG_ERROR, "audit_projection", "table=%s id=%lld message=\"%s\"", table, (long long)id,
			       e.message);
		return NULL;
	}
	json_t *j = json_object();
	int i = 0;
	for (const reg_proj_col *c = cols; c->column; c++, i++) {
		json_t *v = col_json(q, i, c->kind);
		if (!v) /* a set whose text is not JSON stays text (a tampered row differs) */
			v = text_or_null(store_col_text(q, i));
		json_object_set_new(j, c->column, v);
	}
	store_done(q);
	return j;
}
