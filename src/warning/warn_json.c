/*
 * warn_json.c — a warning as JSON, three ways:
 *   - warn_row_json: the stored members with the authors' and the target
 *     areas' names; what a version's snapshot keeps (what recipients were told);
 *   - warn_json_for: the API's answer: that, plus the actions the reader may
 *     take now, the CAP messages told so far (versions, cap_identifier) and
 *     the members other modules render (dispatch: recipients);
 *   - warn_project: the audit projection, explicit stored fields only (no
 *     names that may change elsewhere, no derived members), version 1;
 * and a page of the list (warn_list_json).
 */
#include <stdlib.h>

#include "geo/geo.h"
#include "warning/warn_int.h"

static json_t *time_or_null(int64_t ms, bool present)
{
	if (!present)
		return json_null();
	char t[40];
	yj_time_format(ms, t);
	return json_string(t);
}

static json_t *id_or_null(int64_t id)
{
	return id > 0 ? json_integer(id) : json_null();
}

static json_t *user_brief(store *s, int64_t id)
{
	if (id <= 0)
		return json_null();
	json_t *j = json_pack("{s:I}", "id", (json_int_t)id);
	auth_user_row u;
	if (auth_user_get(s, id, &u, NULL) > 0) {
		json_object_set_new(j, "username", json_string(u.username));
		json_object_set_new(j, "display_name", json_string(u.display_name));
	}
	return j;
}

json_t *warn_row_json(store *s, const warn_row *w)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(w->id));
	json_object_set_new(j, "identifier", json_string(w->identifier));
	json_object_set_new(j, "version", json_integer(w->version));
	json_object_set_new(j, "type", json_string(w->type));
	json_object_set_new(j, "level", json_string(w->level));
	json_object_set_new(j, "headline", json_string(w->headline));
	json_object_set_new(j, "description", json_string(w->description ? w->description : ""));
	json_object_set_new(j, "instruction", json_string(w->instruction ? w->instruction : ""));
	json_object_set(j, "areas", w->areas);
	json_object_set(j, "polygons", w->polygons);
	json_object_set_new(j, "onset", time_or_null(w->onset_ms, w->has_onset));
	json_object_set_new(j, "expires", time_or_null(w->expires_ms, true));
	json_object_set_new(j, "evacuation", json_boolean(w->evacuation));
	json_object_set_new(j, "source", json_string(w->source));
	json_object_set_new(j, "cap_alert_id", id_or_null(w->cap_alert_id));
	json_object_set(j, "alarm_ids", w->alarm_ids);
	json_object_set_new(j, "state", json_string(w->state));
	json_object_set_new(j, "area_code", json_string(w->area_code));
	json_object_set_new(j, "author", user_brief(s, w->author_id));
	json_object_set_new(j, "approver", user_brief(s, w->approver_id));
	json_object_set_new(j, "issued", time_or_null(w->issued_ms, w->issued_ms > 0));
	json_object_set_new(j, "cancelled", time_or_null(w->cancelled_ms, w->cancelled_ms > 0));
	json_object_set_new(j, "created", time_or_null(w->created_ms, true));
	json_t *names = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(w->areas, i, a) json_array_append_new(names, json_string(geo_area_name(json_string_value(a))));
	json_object_set_new(j, "area_names", names);
	return j;
}

/* the messages a warning was told in: one CAP message a version */
typedef struct told {
	const char *identifier;
	json_t *versions;
} told;

static int add_version(int version, const char *msg_type, int64_t sent_ms, const char *snapshot, void *ctx, yj_err *e)
{
	told *t = ctx;
	char ident[96], sent[40];
	warn_cap_message_id(t->identifier, version, ident, sizeof ident);
	yj_time_format(sent_ms, sent);
	json_array_append_new(t->versions, json_pack("{s:i, s:s, s:s, s:s}", "version", version, "identifier", ident,
	                                             "msg_type", msg_type, "sent", sent));
	return 0;
}

json_t *warn_json_for(store *s, int64_t id, const auth_user *u)
{
	warn_row w;
	if (warn_db_get(s, id, &w, NULL) <= 0)
		return NULL;
	json_t *j = warn_row_json(s, &w);
	json_t *acts = json_array();
	warn_actions_json(&w, u, acts);
	json_object_set_new(j, "allowed_actions", acts);
	/* the CAP identifier of the current version's message (of version 1 while not yet issued), and every
	 * message sent so far */
	char ident[96];
	warn_cap_message_id(w.identifier, w.version, ident, sizeof ident);
	json_object_set_new(j, "cap_identifier", json_string(ident));
	told t = {.identifier = w.identifier, .versions = json_array()};
	json_object_set_new(j, "versions", t.versions);
	if (w.version > 0 && warn_db_versions_each(s, id, 0, false, add_version, &t, NULL))
		json_array_clear(t.versions);
	warn_row_clear(&w);
	warn_render_extras(s, id, j);
	return j;
}

json_t *warn_project(store *s, const char *id)
{
	char *end;
	long long v = strtoll(id, &end, 10);
	warn_row w;
	if (*end || v <= 0 || warn_db_get(s, v, &w, NULL) <= 0)
		return NULL;
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(w.id));
	json_object_set_new(j, "identifier", json_string(w.identifier));
	json_object_set_new(j, "version", json_integer(w.version));
	json_object_set_new(j, "type", json_string(w.type));
	json_object_set_new(j, "level", json_string(w.level));
	json_object_set_new(j, "headline", json_string(w.headline));
	json_object_set_new(j, "description", json_string(w.description));
	json_object_set_new(j, "instruction", json_string(w.instruction));
	json_object_set(j, "areas", w.areas);
	json_object_set(j, "polygons", w.polygons);
	json_object_set_new(j, "onset_ms", w.has_onset ? json_integer(w.onset_ms) : json_null());
	json_object_set_new(j, "expires_ms", json_integer(w.expires_ms));
	json_object_set_new(j, "evacuation", json_boolean(w.evacuation));
	json_object_set_new(j, "source", json_string(w.source));
	json_object_set_new(j, "cap_alert_id", id_or_null(w.cap_alert_id));
	json_object_set(j, "alarm_ids", w.alarm_ids);
	json_object_set_new(j, "state", json_string(w.state));
	json_object_set_new(j, "area_code", json_string(w.area_code));
	json_object_set_new(j, "author_id", json_integer(w.author_id));
	json_object_set_new(j, "approver_id", id_or_null(w.approver_id));
	json_object_set_new(j, "issued_ms", id_or_null(w.issued_ms));
	json_object_set_new(j, "cancelled_ms", id_or_null(w.cancelled_ms));
	json_object_set_new(j, "created_ms", json_integer(w.created_ms));
	warn_row_clear(&w);
	return j;
}

typedef struct page {
	const auth_user *u;
	json_t *items;
	long limit;
	int64_t next;
} page;

static int page_item(store *s, const warn_row *w, void *ctx, yj_err *e)
{
	page *p = ctx;
	if ((long)json_array_size(p->items) == p->limit) {
		/* one more than the page: a next page follows the last one shown */
		p->next = json_integer_value(json_object_get(json_array_get(p->items, json_array_size(p->items) - 1), "id"));
		return 1;
	}
	json_t *j = warn_json_for(s, w->id, p->u);
	if (j)
		json_array_append_new(p->items, j);
	return 0;
}

json_t *warn_list_json(store *s, const auth_user *u, const auth_scope *sc, const char *state, const char *type,
                       int64_t before_id, long limit, int64_t *next, yj_err *e)
{
	page p = {.u = u, .items = json_array(), .limit = limit};
	if (warn_db_list(s, sc, state, type, before_id, page_item, &p, e)) {
		json_decref(p.items);
		return NULL;
	}
	*next = p.next;
	return p.items;
}
