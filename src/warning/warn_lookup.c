/*
 * warn_lookup.c — how other modules read warnings (dispatch reads a
 * warning's targets and level, webhooks its CAP snapshot), and the
 * renderers other modules add to a warning's JSON. Tables `warning` and
 * `warning_version` are the warning module's; nobody else runs SQL on them
 * (their SQL is in warn_db.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warning/warn_int.h"

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

int warn_get(store *s, int64_t id, warn_info *out, yj_err *e)
{
	memset(out, 0, sizeof *out);
	warn_row w;
	int rc = warn_db_get(s, id, &w, e);
	if (rc <= 0)
		return rc;
	out->id = w.id;
	out->version = w.version;
	snprintf(out->identifier, sizeof out->identifier, "%s", w.identifier);
	snprintf(out->type, sizeof out->type, "%s", w.type);
	snprintf(out->level, sizeof out->level, "%s", w.level);
	snprintf(out->state, sizeof out->state, "%s", w.state);
	snprintf(out->headline, sizeof out->headline, "%s", w.headline);
	snprintf(out->area_code, sizeof out->area_code, "%s", w.area_code);
	out->areas = json_incref(w.areas);
	out->polygons = json_incref(w.polygons);
	out->issued_ms = w.issued_ms;
	out->expires_ms = w.expires_ms;
	out->evacuation = w.evacuation;
	warn_row_clear(&w);
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
	return warn_visible(w->area_code, w->areas, u);
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
	return warn_db_version_get(s, id, version, msg_type, snapshot, e);
}
