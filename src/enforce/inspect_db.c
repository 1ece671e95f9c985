/*
 * inspect_db.c — the SQL of inspections (inspection, inspection_member),
 * inspectors' certificates (inspector_cert), declared conflicts of
 * interest (conflict_of_interest), the catalogue of enforcement matters
 * (enforcement_matter) and checklist templates (checklist_template), and
 * the audit projections of inspections, conflicts and checklists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"

/* ---- inspections ----------------------------------------------------------------------------------- */

#define INSPECTION_COLS                                                                                      \
	"id, kind, coalesce(draw_id, 0), enterprise_id, area_code, reason, coalesce(matter_code, ''), state, place, " \
	"checklist, findings, answered, coalesce(inspected_ms, 0), created_by, created_ms, updated_ms"

void enf_inspection_clear(enf_inspection *in)
{
	free(in->reason);
	free(in->place);
	free(in->checklist);
	free(in->findings);
	memset(in, 0, sizeof *in);
}

int enf_inspection_db_insert(store *s, const char *kind, int64_t draw_id, int64_t enterprise, const char *area,
                             const char *reason, const char *matter, int64_t created_by, int64_t now, int64_t *id_out,
                             yj_err *e)
{
	int rc = store_get_int(s, id_out, e,
	                       "INSERT INTO inspection(kind, draw_id, enterprise_id, area_code, reason, matter_code, state, "
	                       "created_by, created_ms, updated_ms) VALUES (?,?,?,?,?,?,'assigned',?,?,?) RETURNING id",
	                       kind, store_id_or_null(draw_id), enterprise, area, reason, matter, created_by, now, now);
	return enf_new_id(rc, "inspection", e);
}

int enf_inspection_db_get(store *s, int64_t id, enf_inspection *out, yj_err *e)
{
	store_q *q;
	memset(out, 0, sizeof *out);
	int rc = store_row(s, &q, e, "SELECT " INSPECTION_COLS " FROM inspection WHERE id = ?", id);
	if (rc <= 0)
		return rc;
	out->id = store_col_int(q, 0);
	store_col_copy(q, 1, out->kind, sizeof out->kind);
	out->draw_id = store_col_int(q, 2);
	out->enterprise_id = store_col_int(q, 3);
	store_col_copy(q, 4, out->area_code, sizeof out->area_code);
	out->reason = yj_strdup(store_col_text(q, 5));
	store_col_copy(q, 6, out->matter_code, sizeof out->matter_code);
	store_col_copy(q, 7, out->state, sizeof out->state);
	out->place = yj_strdup(store_col_text(q, 8));
	out->checklist = yj_strdup(store_col_str(q, 9));
	out->findings = yj_strdup(store_col_str(q, 10));
	out->answered = store_col_null(q, 11) ? -1 : store_col_int(q, 11) != 0;
	out->inspected_ms = store_col_int(q, 12);
	out->created_by = store_col_int(q, 13);
	out->created_ms = store_col_int(q, 14);
	out->updated_ms = store_col_int(q, 15);
	store_done(q);
	return 1;
}

int enf_inspection_db_record(store *s, int64_t id, const enf_record *r, yj_err *e)
{
	return enf_changed(store_run(s, e,
	                         "UPDATE inspection SET place = coalesce(?, place), checklist = coalesce(?, checklist), "
	                         "findings = coalesce(?, findings), answered = coalesce(?, answered), inspected_ms = ?, "
	                         "state = 'recorded', updated_ms = ? WHERE id = ?",
	                         r->place, r->checklist, r->findings, r->answered < 0 ? store_null() : store_v_int(r->answered),
	                         r->inspected_ms, r->now, id),
	               "检查", id, e);
}

int enf_inspection_db_confirmed(store *s, int64_t id, int64_t now, yj_err *e)
{
	return enf_changed(store_run(s, e, "UPDATE inspection SET state = 'confirmed', updated_ms = ? WHERE id = ?", now, id),
	               "检查", id, e);
}

int enf_inspection_db_list(store *s, const auth_scope *sc, const enf_inspection_filter *f, int64_t cursor, long limit,
                           enf_ids *out, yj_err *e)
{
	return enf_ids_collect(
		store_query(s, e,
		            "SELECT i.id FROM inspection i WHERE " AUTH_SCOPE_SQL("i.area_code") " AND (? = 0 OR i.id < ?) "
		            "AND (? = 0 OR EXISTS (SELECT 1 FROM inspection_member m WHERE m.inspection_id = i.id AND m.user_id = ?)) "
		            "AND (? = 0 OR i.draw_id = ?) AND (? IS NULL OR i.state = ?) AND (? IS NULL OR i.kind = ?) "
		            "ORDER BY i.id DESC LIMIT ?",
		            sc->lo, sc->hi, cursor, cursor, f->member, f->member, f->draw_id, f->draw_id, f->state, f->state,
		            f->kind, f->kind, limit + 1),
		out, e);
}

/* ---- members --------------------------------------------------------------------------------------- */

int enf_member_db_add(store *s, int64_t inspection, int64_t user, yj_err *e)
{
	return store_run(s, e, "INSERT INTO inspection_member(inspection_id, user_id) VALUES (?,?)", inspection, user) < 0
	               ? -1
	               : 0;
}

int enf_member_db_is(store *s, int64_t inspection, int64_t user, yj_err *e)
{
	int64_t one;
	return store_get_int(s, &one, e, "SELECT 1 FROM inspection_member WHERE inspection_id = ? AND user_id = ?",
	                     inspection, user);
}

int enf_member_db_confirm(store *s, int64_t inspection, int64_t user, int64_t now, yj_err *e)
{
	return enf_changed(store_run(s, e,
	                         "UPDATE inspection_member SET confirmed_ms = coalesce(confirmed_ms, ?) "
	                         "WHERE inspection_id = ? AND user_id = ?",
	                         now, inspection, user),
	               "检查的此检查人员，检查", inspection, e);
}

int enf_member_db_unconfirm_all(store *s, int64_t inspection, yj_err *e)
{
	return store_run(s, e, "UPDATE inspection_member SET confirmed_ms = NULL WHERE inspection_id = ?", inspection) < 0
	               ? -1
	               : 0;
}

int enf_member_db_counts(store *s, int64_t inspection, int64_t *total, int64_t *confirmed, yj_err *e)
{
	store_q *q;
	int rc = store_row(s, &q, e,
	                   "SELECT count(*), count(confirmed_ms) FROM inspection_member WHERE inspection_id = ?", inspection);
	if (rc < 0)
		return -1;
	*total = *confirmed = 0;
	if (rc > 0) {
		*total = store_col_int(q, 0);
		*confirmed = store_col_int(q, 1);
		store_done(q);
	}
	return 0;
}

typedef struct member_list {
	enf_member *list;
	size_t n, cap;
} member_list;

static int member_row(store_q *q, void *ctx, yj_err *e)
{
	member_list *m = ctx;
	m->list = yj_grow(m->list, &m->cap, m->n + 1, sizeof *m->list);
	m->list[m->n++] = (enf_member){.user_id = store_col_int(q, 0), .confirmed_ms = store_col_int(q, 1)};
	return 0;
}

int enf_member_db_list(store *s, int64_t inspection, enf_member **out, size_t *n, yj_err *e)
{
	member_list m = {0};
	int rc = store_each(store_query(s, e,
	                                "SELECT user_id, coalesce(confirmed_ms, 0) FROM inspection_member "
	                                "WHERE inspection_id = ? ORDER BY user_id",
	                                inspection),
	                    member_row, &m, e);
	if (rc) {
		free(m.list);
		m = (member_list){0};
	}
	*out = m.list;
	*n = m.n;
	return rc;
}

static int append_id(store_q *q, void *ctx, yj_err *e)
{
	json_array_append_new(ctx, json_integer(store_col_int(q, 0)));
	return 0;
}

/* the ids of the first column into a new JSON array */
static int ids_array(store_q *q, json_t **out, yj_err *e)
{
	json_t *a = json_array();
	if (store_each(q, append_id, a, e)) {
		json_decref(a);
		a = NULL;
	}
	*out = a;
	return a ? 0 : -1;
}

int enf_member_db_recent(store *s, int64_t enterprise, json_t **out, yj_err *e)
{
	return ids_array(store_query(s, e,
	                             "SELECT m.user_id FROM inspection_member m WHERE m.inspection_id = "
	                             "(SELECT i.id FROM inspection i WHERE i.enterprise_id = ? AND i.kind <> 'duty_check' "
	                             "AND i.state = 'confirmed' ORDER BY i.inspected_ms DESC, i.id DESC LIMIT 1) "
	                             "ORDER BY m.user_id",
	                             enterprise),
	                 out, e);
}

/* ---- certificates (执法证) and conflicts of interest ---------------------------------------------------- */

int enf_cert_db_get(store *s, int64_t user, enf_cert *out, yj_err *e)
{
	store_q *q;
	memset(out, 0, sizeof *out);
	int rc = store_row(s, &q, e,
	                   "SELECT user_id, cert_no, valid_from_ms, valid_to_ms, expert FROM inspector_cert WHERE user_id = ?",
	                   user);
	if (rc > 0) {
		out->user_id = store_col_int(q, 0);
		store_col_copy(q, 1, out->cert_no, sizeof out->cert_no);
		out->valid_from_ms = store_col_int(q, 2);
		out->valid_to_ms = store_col_int(q, 3);
		out->expert = store_col_int(q, 4) != 0;
		store_done(q);
	}
	return rc;
}

int enf_cert_db_insert(store *s, const enf_cert *c, yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO inspector_cert(user_id, cert_no, valid_from_ms, valid_to_ms, expert) VALUES (?,?,?,?,?)",
	                 c->user_id, c->cert_no, c->valid_from_ms, c->valid_to_ms, c->expert) < 0
	               ? -1
	               : 0;
}

int enf_conflict_db_of(store *s, int64_t user, json_t **out, yj_err *e)
{
	return ids_array(store_query(s, e,
	                             "SELECT enterprise_id FROM conflict_of_interest WHERE user_id = ? ORDER BY enterprise_id",
	                             user),
	                 out, e);
}

int enf_conflict_db_put(store *s, int64_t user, int64_t enterprise, const char *reason, int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO conflict_of_interest(user_id, enterprise_id, reason, declared_ms) VALUES (?,?,?,?) "
	                 "ON CONFLICT (user_id, enterprise_id) DO UPDATE SET reason = excluded.reason, "
	                 "declared_ms = excluded.declared_ms",
	                 user, enterprise, reason, now) < 0
	               ? -1
	               : 0;
}

/* ---- the catalogue of matters (执法事项清单) and checklist templates ------------------------------------------ */

int enf_matter_db_get(store *s, const char *code, bool *delegated, yj_err *e)
{
	int64_t d = 0;
	int rc = store_get_int(s, &d, e, "SELECT town_delegated FROM enforcement_matter WHERE code = ?", code);
	*delegated = rc > 0 && d != 0;
	return rc;
}

int enf_matter_db_insert(store *s, const char *code, const char *name, const char *basis, bool town, yj_err *e)
{
	return store_run(s, e, "INSERT INTO enforcement_matter(code, name, legal_basis, town_delegated) VALUES (?,?,?,?)", code,
	                 name, basis, town) < 0
	               ? -1
	               : 0;
}

static int matter_row(store_q *q, void *ctx, yj_err *e)
{
	json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:b}", "code", store_col_str(q, 0), "name", store_col_str(q, 1),
	                                     "legal_basis", store_col_str(q, 2), "town_delegated", store_col_int(q, 3) != 0));
	return 0;
}

int enf_matter_db_all(store *s, json_t **out, yj_err *e)
{
	json_t *items = json_array();
	if (store_each(store_query(s, e, "SELECT code, name, legal_basis, town_delegated FROM enforcement_matter ORDER BY code"),
	               matter_row, items, e)) {
		json_decref(items);
		items = NULL;
	}
	*out = items;
	return items ? 0 : -1;
}

int enf_checklist_db_get(store *s, const char *sector, json_t **items, int64_t *updated_ms, yj_err *e)
{
	store_q *q;
	*items = NULL;
	int rc = store_row(s, &q, e, "SELECT items, updated_ms FROM checklist_template WHERE sector = ?", sector);
	if (rc > 0) {
		*items = store_col_json(q, 0);
		*updated_ms = store_col_int(q, 1);
		store_done(q);
		if (!*items)
			*items = json_array();
	}
	return rc;
}

int enf_checklist_db_put(store *s, const char *sector, json_t *items, int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO checklist_template(sector, items, updated_ms) VALUES (?,?,?) "
	                 "ON CONFLICT (sector) DO UPDATE SET items = excluded.items, updated_ms = excluded.updated_ms",
	                 sector, items, now) < 0
	               ? -1
	               : 0;
}

/* ---- audit projections (version 1) -------------------------------------------------------------------------- */

static int project_evidence(store *s, const enf_evidence *ev, void *ctx, yj_err *e)
{
	json_array_append_new(ctx, json_pack("{s:s, s:I, s:s, s:I, s:I, s:s}", "sha256", ev->sha256, "size",
	                                     (json_int_t)ev->size, "mime", ev->mime, "added_by", (json_int_t)ev->added_by,
	                                     "added_ms", (json_int_t)ev->added_ms, "note", ev->note));
	return 0;
}

json_t *enf_inspection_project(store *s, const char *id)
{
	enf_inspection in;
	if (enf_inspection_db_get(s, strtoll(id, NULL, 10), &in, NULL) <= 0)
		return NULL;
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(in.id));
	json_object_set_new(j, "kind", json_string(in.kind));
	json_object_set_new(j, "draw_id", in.draw_id ? json_integer(in.draw_id) : json_null());
	json_object_set_new(j, "enterprise_id", json_integer(in.enterprise_id));
	json_object_set_new(j, "area_code", json_string(in.area_code));
	json_object_set_new(j, "reason", enf_text_or_null(in.reason));
	json_object_set_new(j, "matter_code", in.matter_code[0] ? json_string(in.matter_code) : json_null());
	json_object_set_new(j, "state", json_string(in.state));
	json_object_set_new(j, "place", enf_text_or_null(in.place));
	json_object_set_new(j, "checklist", json_string(in.checklist));
	json_object_set_new(j, "findings", json_string(in.findings));
	json_object_set_new(j, "answered", in.answered < 0 ? json_null() : json_boolean(in.answered));
	json_object_set_new(j, "inspected_ms", in.inspected_ms ? json_integer(in.inspected_ms) : json_null());
	json_object_set_new(j, "created_by", json_integer(in.created_by));
	json_object_set_new(j, "created_ms", json_integer(in.created_ms));
	enf_member *m;
	size_t n;
	json_t *members = json_array();
	if (enf_member_db_list(s, in.id, &m, &n, NULL) == 0) {
		for (size_t i = 0; i < n; i++)
			json_array_append_new(members, json_pack("{s:I, s:o}", "user_id", (json_int_t)m[i].user_id, "confirmed_ms",
			                                         m[i].confirmed_ms ? json_integer(m[i].confirmed_ms) : json_null()));
		free(m);
	}
	json_object_set_new(j, "members", members);
	json_t *ev = json_array();
	enf_evidence_db_of(s, "inspection", in.id, project_evidence, ev, NULL);
	json_object_set_new(j, "evidence", ev);
	enf_inspection_clear(&in);
	return j;
}

/* object id "<user>:<enterprise>" */
json_t *enf_conflict_project(store *s, const char *id)
{
	long long user = 0, ent = 0;
	if (sscanf(id, "%lld:%lld", &user, &ent) != 2)
		return NULL;
	store_q *q;
	if (store_row(s, &q, NULL,
	              "SELECT reason, declared_ms FROM conflict_of_interest WHERE user_id = ? AND enterprise_id = ?", user,
	              ent) <= 0)
		return NULL;
	json_t *j = json_pack("{s:I, s:I, s:s, s:I}", "user_id", (json_int_t)user, "enterprise_id", (json_int_t)ent, "reason",
	                      store_col_str(q, 0), "declared_ms", (json_int_t)store_col_int(q, 1));
	store_done(q);
	return j;
}

/* object id: the sector */
json_t *enf_checklist_project(store *s, const char *id)
{
	store_q *q;
	if (store_row(s, &q, NULL, "SELECT items, updated_ms FROM checklist_template WHERE sector = ?", id) <= 0)
		return NULL;
	json_t *j = json_pack("{s:s, s:s, s:I}", "sector", id, "items", store_col_str(q, 0), "updated_ms",
	                      (json_int_t)store_col_int(q, 1));
	store_done(q);
	return j;
}
