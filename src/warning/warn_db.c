/*
 * warn_db.c — the SQL of the warning module's tables `warning` and
 * `warning_version`, and nothing else. The lifecycle (warn.c), the lookups
 * other modules call (warn_lookup.c) and the handlers read and write
 * warnings only through these functions.
 *
 * JSON members (areas, polygons, alarm_ids, a version's snapshot) are
 * stored as JSON text and read back into jansson here; no SQL looks inside
 * them (the target areas of the list are checked in C).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warning/warn_int.h"

#define WARN_COLS                                                                                                 \
	"id, identifier, version, type, level, headline, description, instruction, areas, polygons, onset_ms, "      \
	"expires_ms, evacuation, source, coalesce(cap_alert_id, 0), alarm_ids, state, area_code, author_id, "         \
	"coalesce(approver_id, 0), coalesce(issued_ms, 0), coalesce(cancelled_ms, 0), created_ms, updated_ms"

static json_t *array_col(store_q *q, int i)
{
	json_t *j = store_col_json(q, i);
	if (!json_is_array(j)) {
		json_decref(j);
		j = json_array();
	}
	return j;
}

static void fill_row(store_q *q, warn_row *w)
{
	memset(w, 0, sizeof *w);
	w->id = store_col_int(q, 0);
	store_col_copy(q, 1, w->identifier, sizeof w->identifier);
	w->version = (int)store_col_int(q, 2);
	store_col_copy(q, 3, w->type, sizeof w->type);
	store_col_copy(q, 4, w->level, sizeof w->level);
	store_col_copy(q, 5, w->headline, sizeof w->headline);
	w->description = yj_strdup(store_col_str(q, 6));
	w->instruction = yj_strdup(store_col_str(q, 7));
	w->areas = array_col(q, 8);
	w->polygons = array_col(q, 9);
	w->has_onset = !store_col_null(q, 10);
	w->onset_ms = store_col_int(q, 10);
	w->expires_ms = store_col_int(q, 11);
	w->evacuation = store_col_int(q, 12) != 0;
	store_col_copy(q, 13, w->source, sizeof w->source);
	w->cap_alert_id = store_col_int(q, 14);
	w->alarm_ids = array_col(q, 15);
	store_col_copy(q, 16, w->state, sizeof w->state);
	store_col_copy(q, 17, w->area_code, sizeof w->area_code);
	w->author_id = store_col_int(q, 18);
	w->approver_id = store_col_int(q, 19);
	w->issued_ms = store_col_int(q, 20);
	w->cancelled_ms = store_col_int(q, 21);
	w->created_ms = store_col_int(q, 22);
	w->updated_ms = store_col_int(q, 23);
}

void warn_row_clear(warn_row *w)
{
	free(w->description);
	free(w->instruction);
	json_decref(w->areas);
	json_decref(w->polygons);
	json_decref(w->alarm_ids);
	w->description = w->instruction = NULL;
	w->areas = w->polygons = w->alarm_ids = NULL;
}

int warn_db_get(store *s, int64_t id, warn_row *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT " WARN_COLS " FROM warning WHERE id = ?", id);
	if (rc > 0) {
		fill_row(q, out);
		store_done(q);
	}
	return rc;
}

int warn_db_insert(store *s, const warn_row *w, int64_t *id_out, yj_err *e)
{
	json_t *empty = json_array();
	int rc = store_get_int(s, id_out, e,
	                       "INSERT INTO warning(identifier, type, level, headline, description, instruction, areas, "
	                       "polygons, onset_ms, expires_ms, evacuation, source, cap_alert_id, alarm_ids, state, "
	                       "area_code, author_id, created_ms, updated_ms) "
	                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
	                       w->identifier, w->type, w->level, w->headline, w->description ? w->description : "",
	                       w->instruction ? w->instruction : "", w->areas ? w->areas : empty,
	                       w->polygons ? w->polygons : empty, w->has_onset ? store_v_int(w->onset_ms) : store_null(),
	                       w->expires_ms, w->evacuation ? 1 : 0, w->source, store_id_or_null(w->cap_alert_id),
	                       w->alarm_ids ? w->alarm_ids : empty, w->state, w->area_code, w->author_id, w->created_ms,
	                       w->updated_ms);
	json_decref(empty);
	if (rc == 0)
		return yj_fail(e, YJ_EINTERNAL, "", "the warning was not stored");
	return rc < 0 ? -1 : 0;
}

int warn_db_apply(store *s, int64_t id, const warn_fields *f, int64_t now, yj_err *e)
{
	int64_t n = store_run(s, e,
	                      "UPDATE warning SET type = coalesce(?1, type), level = coalesce(?2, level), "
	                      "headline = coalesce(?3, headline), description = coalesce(?4, description), "
	                      "instruction = coalesce(?5, instruction), areas = coalesce(?6, areas), "
	                      "polygons = coalesce(?7, polygons), "
	                      "onset_ms = CASE WHEN ?8 = 1 THEN ?9 ELSE onset_ms END, "
	                      "expires_ms = coalesce(?10, expires_ms), evacuation = coalesce(?11, evacuation), "
	                      "alarm_ids = coalesce(?12, alarm_ids), updated_ms = ?13 WHERE id = ?14",
	                      f->type, f->level, f->headline, f->description, f->instruction, f->areas, f->polygons,
	                      f->set_onset ? 1 : 0,
	                      f->set_onset && !f->onset_null ? store_v_int(f->onset_ms) : store_null(),
	                      f->set_expires ? store_v_int(f->expires_ms) : store_null(),
	                      f->set_evacuation ? store_v_int(f->evacuation ? 1 : 0) : store_null(), f->alarm_ids, now,
	                      id);
	if (n < 0)
		return -1;
	if (n == 0)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no warning %lld", (long long)id);
	return 0;
}

int64_t warn_db_transition(store *s, int64_t id, const char *from, const char *to, int version, int64_t approver_id,
                           int64_t issued_ms, int64_t cancelled_ms, int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "UPDATE warning SET state = ?, version = ?, updated_ms = ?, "
	                 "approver_id = coalesce(?, approver_id), issued_ms = coalesce(?, issued_ms), "
	                 "cancelled_ms = coalesce(?, cancelled_ms) WHERE id = ? AND state = ?",
	                 to, version, now, store_id_or_null(approver_id), store_id_or_null(issued_ms),
	                 store_id_or_null(cancelled_ms), id, from);
}

int warn_db_version_add(store *s, int64_t id, int version, const char *msg_type, int64_t sent_ms, json_t *snapshot,
                        yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO warning_version(warning_id, version, msg_type, sent_ms, snapshot) VALUES (?,?,?,?,?)",
	                 id, version, msg_type, sent_ms, snapshot) < 0
	               ? -1
	               : 0;
}

int warn_db_version_get(store *s, int64_t id, int version, char msg_type[16], char **snapshot, yj_err *e)
{
	*snapshot = NULL;
	msg_type[0] = 0;
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT msg_type, snapshot FROM warning_version WHERE warning_id = ? AND version = ?",
	                   id, version);
	if (rc > 0) {
		store_col_copy(q, 0, msg_type, 16);
		*snapshot = yj_strdup(store_col_str(q, 1));
		store_done(q);
	}
	return rc;
}

static int version_row(store_q *q, void *ctx, yj_err *e)
{
	const warn_visit *v = ctx;
	return v->fn.version((int)store_col_int(q, 0), store_col_str(q, 1), store_col_int(q, 2), store_col_text(q, 3),
	                     v->ctx, e)
	               ? -1
	               : 0;
}

int warn_db_versions_each(store *s, int64_t id, int upto, bool snapshots, warn_version_fn fn, void *ctx, yj_err *e)
{
	return store_each(store_query(s, e,
	                              snapshots ? "SELECT version, msg_type, sent_ms, snapshot FROM warning_version "
	                                          "WHERE warning_id = ? AND version <= ? ORDER BY version"
	                                        : "SELECT version, msg_type, sent_ms, NULL FROM warning_version "
	                                          "WHERE warning_id = ? AND version <= ? ORDER BY version",
	                              id, upto > 0 ? upto : 1 << 30),
	                  version_row, &(warn_visit){.ctx = ctx, .fn.version = fn}, e);
}

static int row_of(store_q *q, void *ctx, yj_err *e)
{
	const warn_visit *v = ctx;
	warn_row w;
	fill_row(q, &w);
	int rc = !v->keep || v->keep(&w, v->kctx) ? v->fn.row(v->s, &w, v->ctx, e) : 0;
	warn_row_clear(&w);
	return rc;
}

/* visit the rows of q (WARN_COLS first); keep(w, kctx) filters; fn as warn_row_fn */
static int rows_each(store *s, store_q *q, bool (*keep)(const warn_row *, const void *), const void *kctx,
                     warn_row_fn fn, void *ctx, yj_err *e)
{
	return store_each(q, row_of, &(warn_visit){.s = s, .ctx = ctx, .fn.row = fn, .keep = keep, .kctx = kctx}, e);
}

/* the jurisdiction or a target area in the scope */
static bool in_scope(const warn_row *w, const void *ctx)
{
	const auth_scope *sc = ctx;
	if (auth_scope_contains(sc, w->area_code))
		return true;
	size_t i;
	json_t *a;
	json_array_foreach(w->areas, i, a)
		if (auth_scope_contains(sc, json_string_value(a)))
			return true;
	return false;
}

int warn_db_list(store *s, const auth_scope *sc, const char *state, const char *type, int64_t before_id, warn_row_fn fn,
                 void *ctx, yj_err *e)
{
	/* the jurisdiction is an indexed range; warnings of other jurisdictions that name target areas are
	 * read too and their targets checked in C (no JSON in SQL) */
	char sql[768];
	store_val v[5];
	size_t n = 0;
	v[n++] = store_v_text(sc->lo);
	v[n++] = store_v_text(sc->hi);
	int len = snprintf(sql, sizeof sql, "SELECT " WARN_COLS " FROM warning WHERE (" AUTH_SCOPE_SQL("area_code")
	                                    " OR areas <> '[]')");
	if (state) {
		len += snprintf(sql + len, sizeof sql - (size_t)len, " AND state = ?");
		v[n++] = store_v_text(strcmp(state, "current") == 0 ? "issued" : state);
	}
	if (type) {
		len += snprintf(sql + len, sizeof sql - (size_t)len, " AND type = ?");
		v[n++] = store_v_text(type);
	}
	if (before_id > 0) {
		len += snprintf(sql + len, sizeof sql - (size_t)len, " AND id < ?");
		v[n++] = store_v_int(before_id);
	}
	snprintf(sql + len, sizeof sql - (size_t)len, " ORDER BY id DESC");
	return rows_each(s, store_query_a(s, e, sql, v, n), in_scope, sc, fn, ctx, e);
}

int warn_db_current_each(store *s, int limit, warn_row_fn fn, void *ctx, yj_err *e)
{
	return rows_each(s,
	                 store_query(s, e,
	                             "SELECT " WARN_COLS " FROM warning WHERE state = 'issued' ORDER BY issued_ms DESC, "
	                             "id DESC LIMIT ?",
	                             limit),
	                 NULL, NULL, fn, ctx, e);
}

typedef struct due_ids {
	int64_t *ids;
	int n;
} due_ids;

static int due_row(store_q *q, void *ctx, yj_err *e)
{
	due_ids *d = ctx;
	d->ids[d->n++] = store_col_int(q, 0);
	return 0;
}

int warn_db_expiry_due(store *s, int64_t now, int64_t *ids, int max, yj_err *e)
{
	due_ids d = {ids, 0};
	return store_each(store_query(s, e,
	                              "SELECT id FROM warning WHERE state = 'issued' AND expires_ms <= ? ORDER BY id LIMIT ?",
	                              now, max),
	                  due_row, &d, e)
	               ? -1
	               : d.n;
}

static int type_row(store_q *q, void *ctx, yj_err *e)
{
	unsigned *mask = ctx;
	const char *t = store_col_str(q, 0);
	for (int i = 0; warn_types[i]; i++)
		if (strcmp(warn_types[i], t) == 0)
			*mask |= 1u << i;
	return 0;
}

int warn_db_issued_types(store *s, unsigned *mask, yj_err *e)
{
	*mask = 0;
	return store_each(store_query(s, e, "SELECT DISTINCT type FROM warning WHERE state = 'issued'"), type_row, mask, e);
}
