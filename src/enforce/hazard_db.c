/*
 * hazard_db.c — the SQL of hazards (hazard), their rectifications
 * (rectification), evidence links (evidence) and evidence files' facts
 * (attachment), and the audit projection of a hazard.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"

/* a change of a hazard's state that must take place: 0 changed means it moved meanwhile */
static int moved(int64_t n, int64_t id, yj_err *e)
{
	if (n < 0)
		return -1;
	if (n == 0)
		return yj_fail(e, YJ_ECONFLICT, "state", "hazard %lld changed meanwhile; reload it", (long long)id);
	return 0;
}

/* ---- hazards ---------------------------------------------------------------------------------------- */

#define HAZARD_COLS                                                                                      \
	"id, enterprise_id, coalesce(inspection_id, 0), source, level, description, legal_basis, deadline_ms, " \
	"state, overdue, area_code, found_ms, coalesce(closed_ms, 0), created_by, updated_ms"

void enf_hazard_clear(enf_hazard *h)
{
	free(h->description);
	free(h->legal_basis);
	memset(h, 0, sizeof *h);
}

int enf_hazard_db_insert(store *s, const enf_hazard_new *h, int64_t *id_out, yj_err *e)
{
	int rc = store_get_int(s, id_out, e,
	                       "INSERT INTO hazard(enterprise_id, inspection_id, source, level, description, legal_basis, "
	                       "deadline_ms, state, area_code, found_ms, created_by, updated_ms) "
	                       "VALUES (?,?,?,?,?,?,?,'open',?,?,?,?) RETURNING id",
	                       h->enterprise_id, store_id_or_null(h->inspection_id), h->source, h->level, h->description,
	                       h->legal_basis ? h->legal_basis : "", h->deadline_ms, h->area_code, h->now, h->created_by,
	                       h->now);
	return enf_new_id(rc, "hazard", e);
}

int enf_hazard_db_get(store *s, int64_t id, enf_hazard *out, yj_err *e)
{
	store_q *q;
	memset(out, 0, sizeof *out);
	int rc = store_row(s, &q, e, "SELECT " HAZARD_COLS " FROM hazard WHERE id = ?", id);
	if (rc <= 0)
		return rc;
	out->id = store_col_int(q, 0);
	out->enterprise_id = store_col_int(q, 1);
	out->inspection_id = store_col_int(q, 2);
	store_col_copy(q, 3, out->source, sizeof out->source);
	store_col_copy(q, 4, out->level, sizeof out->level);
	out->description = yj_strdup(store_col_str(q, 5));
	out->legal_basis = yj_strdup(store_col_str(q, 6));
	out->deadline_ms = store_col_int(q, 7);
	store_col_copy(q, 8, out->state, sizeof out->state);
	out->overdue = store_col_int(q, 9) != 0;
	store_col_copy(q, 10, out->area_code, sizeof out->area_code);
	out->found_ms = store_col_int(q, 11);
	out->closed_ms = store_col_int(q, 12);
	out->created_by = store_col_int(q, 13);
	out->updated_ms = store_col_int(q, 14);
	store_done(q);
	return 1;
}

static int rect_row(store_q *q, void *ctx, yj_err *e)
{
	enf_each *x = ctx;
	enf_rectification r = {.id = store_col_int(q, 0), .submitted_by = store_col_int(q, 1), .note = store_col_str(q, 2),
	                       .submitted_ms = store_col_int(q, 3), .verdict = store_col_text(q, 4),
	                       .verdict_by = store_col_int(q, 5), .verdict_reason = store_col_text(q, 6),
	                       .verdict_ms = store_col_int(q, 7)};
	return x->fn.rect(x->s, &r, x->ctx, e);
}

int enf_hazard_db_rectifications(store *s, int64_t hazard, enf_rectification_fn fn, void *ctx, yj_err *e)
{
	enf_each x = {.s = s, .ctx = ctx, .fn.rect = fn};
	return store_each(store_query(s, e,
	                              "SELECT id, submitted_by, note, submitted_ms, verdict, coalesce(verdict_by, 0), "
	                              "verdict_reason, coalesce(verdict_ms, 0) FROM rectification WHERE hazard_id = ? ORDER BY id",
	                              hazard),
	                  rect_row, &x, e);
}

int enf_hazard_db_rectify(store *s, int64_t id, int64_t user, const char *note, int64_t now, yj_err *e)
{
	if (store_run(s, e, "INSERT INTO rectification(hazard_id, submitted_by, note, submitted_ms) VALUES (?,?,?,?)", id, user,
	              note, now) < 0)
		return -1;
	return moved(store_run(s, e,
	                         "UPDATE hazard SET state = 'rectification_submitted', updated_ms = ? WHERE id = ? AND state = 'open'",
	                         now, id),
	               id, e);
}

int enf_hazard_db_verdict(store *s, int64_t id, bool accepted, int64_t user, const char *reason, int64_t now,
                          yj_err *e)
{
	int64_t n = store_run(s, e,
	                      "UPDATE rectification SET verdict = ?, verdict_by = ?, verdict_reason = ?, verdict_ms = ? "
	                      "WHERE id = (SELECT max(id) FROM rectification WHERE hazard_id = ?) AND verdict IS NULL",
	                      accepted ? "accepted" : "rejected", user, reason, now, id);
	if (n < 0)
		return -1;
	if (n == 0)
		return yj_fail(e, YJ_ECONFLICT, "state", "hazard %lld has no rectification waiting for verification", (long long)id);
	return moved(store_run(s, e,
	                         "UPDATE hazard SET state = ?, closed_ms = ?, updated_ms = ? WHERE id = ? "
	                         "AND state = 'rectification_submitted'",
	                         accepted ? "verified_closed" : "open", accepted ? store_v_int(now) : store_null(), now, id),
	               id, e);
}

int enf_hazard_db_due(store *s, int64_t now, int64_t *ids, size_t max, size_t *n, yj_err *e)
{
	enf_ids out = {.id = ids, .cap = max};
	int rc = enf_ids_collect(store_query(s, e,
	                                     "SELECT id FROM hazard WHERE state = 'open' AND overdue = 0 AND deadline_ms < ? "
	                                     "ORDER BY id LIMIT ?",
	                                     now, (int64_t)max),
	                         &out, e);
	*n = out.n;
	return rc;
}

int enf_hazard_db_flag_overdue(store *s, int64_t id, int64_t now, yj_err *e)
{
	int64_t n = store_run(s, e, "UPDATE hazard SET overdue = 1, updated_ms = ? WHERE id = ? AND overdue = 0", now, id);
	return n < 0 ? -1 : n > 0;
}

int enf_hazard_db_list(store *s, const auth_scope *sc, const enf_hazard_filter *f, int64_t cursor, long limit,
                       enf_ids *out, yj_err *e)
{
	return enf_ids_collect(store_query(s, e,
	                                   "SELECT id FROM hazard WHERE " AUTH_SCOPE_SQL("area_code") " AND (? = 0 OR id < ?) "
	                                   "AND (? IS NULL OR state = ?) AND (? = 0 OR enterprise_id = ?) "
	                                   "AND (? = 0 OR overdue = 1) ORDER BY id DESC LIMIT ?",
	                                   sc->lo, sc->hi, cursor, cursor, f->state, f->state, f->enterprise_id,
	                                   f->enterprise_id, f->overdue_only, limit + 1),
	                       out, e);
}

int enf_hazard_db_of_enterprise(store *s, int64_t enterprise, long limit, enf_ids *out, yj_err *e)
{
	return enf_ids_collect(store_query(s, e,
	                                   "SELECT id FROM hazard WHERE enterprise_id = ? ORDER BY "
	                                   "CASE WHEN state = 'verified_closed' THEN 1 ELSE 0 END, deadline_ms, id LIMIT ?",
	                                   enterprise, limit),
	                       out, e);
}

int enf_hazard_db_of_inspection(store *s, int64_t inspection, long limit, enf_ids *out, yj_err *e)
{
	return enf_ids_collect(
		store_query(s, e, "SELECT id FROM hazard WHERE inspection_id = ? ORDER BY id LIMIT ?", inspection, limit), out,
		e);
}

/* ---- evidence files and links --------------------------------------------------------------------------- */

int enf_attachment_db_put(store *s, const char *sha, int64_t size, const char *mime, const char *name, int64_t user,
                          int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO attachment(sha256, size, mime, name, created_by, created_ms) VALUES (?,?,?,?,?,?) "
	                 "ON CONFLICT (sha256) DO NOTHING",
	                 sha, size, mime, name, user, now) < 0
	               ? -1
	               : 0;
}

int enf_attachment_db_mime(store *s, const char *sha, char mime[64], yj_err *e)
{
	return store_get_text(s, mime, 64, e, "SELECT mime FROM attachment WHERE sha256 = ?", sha);
}

int enf_evidence_db_add(store *s, const char *owner_type, int64_t owner_id, const char *sha, int64_t user, int64_t now,
                        yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO evidence(owner_type, owner_id, sha256, added_by, added_ms) VALUES (?,?,?,?,?) "
	                 "ON CONFLICT (owner_type, owner_id, sha256) DO NOTHING",
	                 owner_type, owner_id, sha, user, now) < 0
	               ? -1
	               : 0;
}

int enf_evidence_db_has(store *s, const char *owner_type, int64_t owner_id, const char *sha, yj_err *e)
{
	int64_t n = 0;
	if (store_get_int(s, &n, e, "SELECT count(*) FROM evidence WHERE owner_type = ? AND owner_id = ? AND sha256 = ?",
	                  owner_type, owner_id, sha) < 0)
		return -1;
	return n > 0;
}

static int evidence_row(store_q *q, void *ctx, yj_err *e)
{
	enf_each *x = ctx;
	enf_evidence ev = {.sha256 = store_col_str(q, 0), .mime = store_col_str(q, 1), .size = store_col_int(q, 2),
	                   .name = store_col_str(q, 3), .note = store_col_str(q, 4), .added_by = store_col_int(q, 5),
	                   .added_ms = store_col_int(q, 6)};
	return x->fn.evidence(x->s, &ev, x->ctx, e);
}

int enf_evidence_db_of(store *s, const char *owner_type, int64_t owner_id, enf_evidence_fn fn, void *ctx, yj_err *e)
{
	enf_each x = {.s = s, .ctx = ctx, .fn.evidence = fn};
	return store_each(store_query(s, e,
	                              "SELECT v.sha256, a.mime, a.size, a.name, v.note, v.added_by, v.added_ms FROM evidence v "
	                              "JOIN attachment a ON a.sha256 = v.sha256 WHERE v.owner_type = ? AND v.owner_id = ? "
	                              "ORDER BY v.added_ms, v.sha256",
	                              owner_type, owner_id),
	                  evidence_row, &x, e);
}

static int owner_row(store_q *q, void *ctx, yj_err *e)
{
	enf_each *x = ctx;
	enf_evidence_owner o = {.owner_type = store_col_str(q, 0), .owner_id = store_col_int(q, 1)};
	return x->fn.owner(x->s, &o, x->ctx, e);
}

int enf_evidence_db_owners(store *s, const char *sha, enf_owner_fn fn, void *ctx, yj_err *e)
{
	enf_each x = {.s = s, .ctx = ctx, .fn.owner = fn};
	return store_each(
		store_query(s, e, "SELECT owner_type, owner_id FROM evidence WHERE sha256 = ? ORDER BY owner_type, owner_id", sha),
		owner_row, &x, e);
}

/* ---- audit projection (version 1) --------------------------------------------------------------------------- */

static int project_rect(store *s, const enf_rectification *r, void *ctx, yj_err *e)
{
	json_array_append_new(ctx, json_pack("{s:I, s:I, s:s, s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)r->id,
	                                     "submitted_by", (json_int_t)r->submitted_by, "note", r->note, "submitted_ms",
	                                     (json_int_t)r->submitted_ms, "verdict", enf_text_or_null(r->verdict), "verdict_by",
	                                     r->verdict_by ? json_integer(r->verdict_by) : json_null(), "verdict_reason",
	                                     enf_text_or_null(r->verdict_reason), "verdict_ms",
	                                     r->verdict_ms ? json_integer(r->verdict_ms) : json_null()));
	return 0;
}

static int project_evidence(store *s, const enf_evidence *ev, void *ctx, yj_err *e)
{
	json_array_append_new(ctx, json_pack("{s:s, s:I, s:s, s:I, s:I}", "sha256", ev->sha256, "size", (json_int_t)ev->size,
	                                     "mime", ev->mime, "added_by", (json_int_t)ev->added_by, "added_ms",
	                                     (json_int_t)ev->added_ms));
	return 0;
}

json_t *enf_hazard_fields(const enf_hazard *h, json_t *(*when)(int64_t ms), const char *suffix)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(h->id));
	json_object_set_new(j, "enterprise_id", json_integer(h->enterprise_id));
	json_object_set_new(j, "inspection_id", h->inspection_id ? json_integer(h->inspection_id) : json_null());
	json_object_set_new(j, "source", json_string(h->source));
	json_object_set_new(j, "level", json_string(h->level));
	json_object_set_new(j, "description", json_string(h->description));
	json_object_set_new(j, "legal_basis", json_string(h->legal_basis));
	json_object_set_new(j, "state", json_string(h->state));
	json_object_set_new(j, "overdue", json_boolean(h->overdue));
	json_object_set_new(j, "area_code", json_string(h->area_code));
	enf_put_time(j, "deadline", suffix, when, h->deadline_ms);
	enf_put_time(j, "found", suffix, when, h->found_ms);
	enf_put_time(j, "closed", suffix, when, h->closed_ms);
	return j;
}

json_t *enf_hazard_project(store *s, const char *id)
{
	enf_hazard h;
	if (enf_hazard_db_get(s, strtoll(id, NULL, 10), &h, NULL) <= 0)
		return NULL;
	json_t *j = enf_hazard_fields(&h, enf_ms_or_null, "_ms");
	json_object_set_new(j, "created_by", json_integer(h.created_by));
	json_t *rect = json_array(), *ev = json_array();
	enf_hazard_db_rectifications(s, h.id, project_rect, rect, NULL);
	enf_evidence_db_of(s, "hazard", h.id, project_evidence, ev, NULL);
	json_object_set_new(j, "rectifications", rect);
	json_object_set_new(j, "evidence", ev);
	enf_hazard_clear(&h);
	return j;
}
