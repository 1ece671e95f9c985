/*
 * warn_lookup.c — how other modules read warnings (dispatch reads a
 * warning's targets and level, webhooks its CAP snapshot), and the
 * renderers other modules add to a warning's JSON. Tables `warning` and
 * `warning_version` are the warning module's; nobody else runs SQL on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warning/warning.h"

#define MAX_RENDERERS 8
static warn_render_fn renderers[MAX_RENDERERS];
static int nrenderers;

void warn_add_renderer(warn_render_fn fn)
{
	for (int i = 0; i < nrenderers; i++)
		if (renderers[i] == fn)
			return;
	if (nrenderers == MAX_RENDERERS) {
		yj_log(YJ_LOG_ERROR, "warn_renderers_full", "message=\"too many renderers\"");
		abort();
	}
	renderers[nrenderers++] = fn;
}

void warn_render_extras(store *s, int64_t warning_id, json_t *out)
{
	for (int i = 0; i < nrenderers; i++)
		renderers[i](s, warning_id, out);
}

static json_t *json_array_col(store_q *q, int i)
{
	json_t *j = store_col_json(q, i);
	if (!json_is_array(j)) {
		json_decref(j);
		j = json_array();
	}
	return j;
}

int warn_get(store *s, int64_t id, warn_info *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	store_q *q;
	int rc = store_row(s, &q, e,
	                   "SELECT id, version, identifier, type, level, state, headline, area_code, areas, polygons, "
	                   "coalesce(issued_ms, 0), expires_ms, evacuation FROM warning WHERE id = ?",
	                   id);
	if (rc <= 0)
		return rc;
	out->id = store_col_int(q, 0);
	out->version = (int)store_col_int(q, 1);
	store_col_copy(q, 2, out->identifier, sizeof out->identifier);
	store_col_copy(q, 3, out->type, sizeof out->type);
	store_col_copy(q, 4, out->level, sizeof out->level);
	store_col_copy(q, 5, out->state, sizeof out->state);
	store_col_copy(q, 6, out->headline, sizeof out->headline);
	store_col_copy(q, 7, out->area_code, sizeof out->area_code);
	out->areas = json_array_col(q, 8);
	out->polygons = json_array_col(q, 9);
	out->issued_ms = store_col_int(q, 10);
	out->expires_ms = store_col_int(q, 11);
	out->evacuation = store_col_int(q, 12) != 0;
	store_done(q);
	return 1;
}

void warn_info_clear(warn_info *w)
{
	json_decref(w->areas);
	json_decref(w->polygons);
	w->areas = w->polygons = NULL;
}

bool warn_info_visible(const warn_info *w, const auth_user *u)
{
	auth_scope sc;
	if (!u || auth_scope_for(u, NULL, "area", &sc, NULL))
		return false;
	if (auth_scope_contains(&sc, w->area_code))
		return true;
	size_t i;
	json_t *a;
	json_array_foreach(w->areas, i, a)
		if (json_is_string(a) && auth_scope_contains(&sc, json_string_value(a)))
			return true;
	return false;
}

int warn_state_get(store *s, int64_t id, char state[16], int *version, yj_err *e)
{
	state[0] = 0;
	*version = 0;
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT state, version FROM warning WHERE id = ?", id);
	if (rc > 0) {
		store_col_copy(q, 0, state, 16);
		*version = (int)store_col_int(q, 1);
		store_done(q);
	}
	return rc;
}

int warn_texts_get(store *s, int64_t id, char **description, char **instruction, yj_err *e)
{
	*description = *instruction = NULL;
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT description, instruction FROM warning WHERE id = ?", id);
	if (rc > 0) {
		*description = yj_strdup(store_col_str(q, 0));
		*instruction = yj_strdup(store_col_str(q, 1));
		store_done(q);
	}
	return rc;
}

int warn_version_get(store *s, int64_t id, int version, char msg_type[16], char **snapshot, yj_err *e)
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
