/*
 * case_db.c — the SQL of penalty cases (penalty_case), their timelines
 * (case_event), decision numbers (decision_seq), coercive measures
 * (coercive_measure) and case-file reviews (case_review), and the audit
 * projections of those objects. The rules live in case.c, case_steps.c and
 * coercive.c; nothing here decides anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"

/* ---- penalty cases --------------------------------------------------------------------------------- */

#define CASE_COLS                                                                                          \
	"id, coalesce(enterprise_id, 0), party_type, party_name, party_id_number, party_phone, area_code, "     \
	"matter_code, coalesce(inspection_id, 0), title, facts, legal_basis, fine_yuan, revocation, suspension, " \
	"major, hearing_right, state, decision_no, coalesce(filed_ms, 0), coalesce(deadline_ms, 0), extended, "  \
	"coalesce(decided_ms, 0), coalesce(served_ms, 0), coalesce(executed_ms, 0), coalesce(closed_ms, 0), "    \
	"paid_yuan, bureau_own, created_by, created_ms, updated_ms, authority_code"

void enf_case_clear(enf_case *c)
{
	free(c->party_name);
	free(c->party_id_number);
	free(c->party_phone);
	free(c->title);
	free(c->facts);
	free(c->legal_basis);
	free(c->decision_no);
	memset(c, 0, sizeof *c);
}

static void fill_case(store_q *q, enf_case *c)
{
	c->id = store_col_int(q, 0);
	c->enterprise_id = store_col_int(q, 1);
	store_col_copy(q, 2, c->party_type, sizeof c->party_type);
	c->party_name = yj_strdup(store_col_str(q, 3));
	c->party_id_number = yj_strdup(store_col_text(q, 4));
	c->party_phone = yj_strdup(store_col_text(q, 5));
	store_col_copy(q, 6, c->area_code, sizeof c->area_code);
	store_col_copy(q, 7, c->matter_code, sizeof c->matter_code);
	c->inspection_id = store_col_int(q, 8);
	c->title = yj_strdup(store_col_str(q, 9));
	c->facts = yj_strdup(store_col_str(q, 10));
	c->legal_basis = yj_strdup(store_col_str(q, 11));
	c->fine_yuan = store_col_double(q, 12);
	c->revocation = store_col_int(q, 13) != 0;
	c->suspension = store_col_int(q, 14) != 0;
	c->major = store_col_int(q, 15) != 0;
	c->hearing_right = store_col_int(q, 16) != 0;
	store_col_copy(q, 17, c->state, sizeof c->state);
	c->decision_no = yj_strdup(store_col_text(q, 18));
	c->filed_ms = store_col_int(q, 19);
	c->deadline_ms = store_col_int(q, 20);
	c->extended = store_col_int(q, 21) != 0;
	c->decided_ms = store_col_int(q, 22);
	c->served_ms = store_col_int(q, 23);
	c->executed_ms = store_col_int(q, 24);
	c->closed_ms = store_col_int(q, 25);
	c->paid_yuan = store_col_null(q, 26) ? NAN : store_col_double(q, 26);
	c->bureau_own = store_col_int(q, 27) != 0;
	c->created_by = store_col_int(q, 28);
	c->created_ms = store_col_int(q, 29);
	c->updated_ms = store_col_int(q, 30);
	store_col_copy(q, 31, c->authority_code, sizeof c->authority_code);
}

int enf_case_db_insert(store *s, const enf_case_new *c, int64_t *id_out, yj_err *e)
{
	int rc = store_get_int(s, id_out, e,
	                       "INSERT INTO penalty_case(enterprise_id, party_type, party_name, party_id_number, party_phone, "
	                       "area_code, matter_code, inspection_id, title, state, bureau_own, created_by, created_ms, "
	                       "updated_ms, authority_code) VALUES (?,?,?,?,?,?,?,?,?,'draft',?,?,?,?,?) RETURNING id",
	                       store_id_or_null(c->enterprise_id), c->party_type, c->party_name, c->party_id_number,
	                       c->party_phone, c->area_code, c->matter_code, store_id_or_null(c->inspection_id), c->title,
	                       c->bureau_own, c->created_by, c->now, c->now, c->authority_code);
	return enf_new_id(rc, "case", e);
}

int enf_case_db_get(store *s, int64_t id, enf_case *out, yj_err *e)
{
	store_q *q;
	memset(out, 0, sizeof *out);
	int rc = store_row(s, &q, e, "SELECT " CASE_COLS " FROM penalty_case WHERE id = ?", id);
	if (rc > 0) {
		fill_case(q, out);
		store_done(q);
	}
	return rc;
}

static int event_row(store_q *q, void *ctx, yj_err *e)
{
	enf_each *x = ctx;
	enf_case_event ev = {.id = store_col_int(q, 0), .action = store_col_str(q, 1), .from_state = store_col_str(q, 2),
	                     .to_state = store_col_str(q, 3), .user_id = store_col_int(q, 4), .note = store_col_str(q, 5),
	                     .data = store_col_str(q, 6), .created_ms = store_col_int(q, 7)};
	return x->fn.event(x->s, &ev, x->ctx, e);
}

int enf_case_db_events(store *s, int64_t case_id, enf_case_event_fn fn, void *ctx, yj_err *e)
{
	enf_each x = {.s = s, .ctx = ctx, .fn.event = fn};
	return store_each(store_query(s, e,
	                              "SELECT id, action, from_state, to_state, user_id, note, data, created_ms FROM case_event "
	                              "WHERE case_id = ? ORDER BY id",
	                              case_id),
	                  event_row, &x, e);
}

int enf_case_db_had(store *s, int64_t case_id, const char *action, bool *out, yj_err *e)
{
	int64_t n = 0;
	if (store_get_int(s, &n, e, "SELECT count(*) FROM case_event WHERE case_id = ? AND action = ?", case_id, action) < 0)
		return -1;
	*out = n > 0;
	return 0;
}

int enf_case_db_filed(store *s, int64_t id, int64_t now, int64_t deadline, yj_err *e)
{
	return enf_changed(store_run(s, e, "UPDATE penalty_case SET filed_ms = ?, deadline_ms = ? WHERE id = ?", now, deadline,
	                         id),
	               "案件", id, e);
}

int enf_case_db_notified(store *s, int64_t id, const char *facts, const char *basis, double fine, bool revoke,
                         bool suspend, bool major, bool hearing, yj_err *e)
{
	return enf_changed(store_run(s, e,
	                         "UPDATE penalty_case SET facts = ?, legal_basis = ?, fine_yuan = ?, revocation = ?, "
	                         "suspension = ?, major = ?, hearing_right = ? WHERE id = ?",
	                         facts, basis, fine, revoke, suspend, major, hearing, id),
	               "案件", id, e);
}

int enf_case_db_decided(store *s, int64_t id, const char *decision_no, const char *authority_code, int64_t now,
                        yj_err *e)
{
	return enf_changed(store_run(s, e,
	                         "UPDATE penalty_case SET decision_no = ?, authority_code = ?, decided_ms = ? WHERE id = ?",
	                         decision_no, authority_code, now, id),
	               "案件", id, e);
}

int enf_case_db_extended(store *s, int64_t id, int64_t by_ms, yj_err *e)
{
	return enf_changed(store_run(s, e,
	                         "UPDATE penalty_case SET deadline_ms = deadline_ms + ?, extended = 1 WHERE id = ? AND extended = 0",
	                         by_ms, id),
	               "案件", id, e);
}

int enf_case_db_served(store *s, int64_t id, int64_t now, yj_err *e)
{
	return enf_changed(store_run(s, e, "UPDATE penalty_case SET served_ms = ? WHERE id = ?", now, id), "案件", id, e);
}

int enf_case_db_paid(store *s, int64_t id, double amount, int64_t now, yj_err *e)
{
	return enf_changed(store_run(s, e, "UPDATE penalty_case SET paid_yuan = ?, executed_ms = ? WHERE id = ?", amount, now,
	                         id),
	               "案件", id, e);
}

int enf_case_db_executed(store *s, int64_t id, int64_t now, yj_err *e)
{
	return enf_changed(store_run(s, e, "UPDATE penalty_case SET executed_ms = ? WHERE id = ?", now, id), "案件", id, e);
}

int enf_case_db_closed(store *s, int64_t id, int64_t now, yj_err *e)
{
	return enf_changed(store_run(s, e, "UPDATE penalty_case SET closed_ms = ? WHERE id = ?", now, id), "案件", id, e);
}

int enf_case_db_move(store *s, int64_t id, const char *from, const char *to, int64_t now, yj_err *e)
{
	int64_t n = store_run(s, e, "UPDATE penalty_case SET state = ?, updated_ms = ? WHERE id = ? AND state = ?", to, now,
	                      id, from);
	if (n < 0)
		return -1;
	if (n == 0)
		return yj_fail(e, YJ_ECONFLICT, "state", "case %lld is no longer %s; reload it", (long long)id, from);
	return 0;
}

int enf_case_db_event_add(store *s, int64_t case_id, const char *action, const char *from, const char *to,
                          int64_t user_id, const char *note, json_t *data, int64_t now, yj_err *e)
{
	return store_run(s, e,
	                 "INSERT INTO case_event(case_id, action, from_state, to_state, user_id, note, data, created_ms) "
	                 "VALUES (?,?,?,?,?,?,?,?)",
	                 case_id, action, from, to, user_id, note ? note : "", data, now) < 0
	               ? -1
	               : 0;
}

int enf_case_db_next_number(store *s, const char *authority_code, const char *prefix, int year, int *out, yj_err *e)
{
	/* a new counter starts after the numbers the prefix already has that year (numbers made before the
	 * counters were kept per authority) */
	char like[96];
	snprintf(like, sizeof like, "%s〔%d〕%%", prefix, year);
	if (store_run(s, e,
	              "INSERT INTO decision_seq(authority_code, year, next) SELECT ?, ?, 1 + count(*) FROM penalty_case "
	              "WHERE decision_no LIKE ? ON CONFLICT (authority_code, year) DO NOTHING",
	              authority_code, year, like) < 0)
		return -1;
	int64_t n = 0;
	int rc = store_get_int(s, &n, e,
	                       "UPDATE decision_seq SET next = next + 1 WHERE authority_code = ? AND year = ? RETURNING next - 1",
	                       authority_code, year);
	if (rc < 0)
		return -1;
	if (rc == 0 || n <= 0)
		return yj_fail(e, YJ_EINTERNAL, "", "no decision number for %s in %d", authority_code, year);
	*out = (int)n;
	return 0;
}

int enf_case_db_list(store *s, const auth_scope *sc, const char *state, bool oldest_first, int64_t cursor, long limit,
                     enf_ids *out, yj_err *e)
{
	store_q *q = oldest_first
	                     ? store_query(s, e,
	                                   "SELECT id FROM penalty_case WHERE " AUTH_SCOPE_SQL("area_code") " AND (? IS NULL OR state = ?) "
	                                   "AND id > ? ORDER BY id LIMIT ?",
	                                   sc->lo, sc->hi, state, state, cursor, limit + 1)
	                     : store_query(s, e,
	                                   "SELECT id FROM penalty_case WHERE " AUTH_SCOPE_SQL("area_code") " AND (? IS NULL OR state = ?) "
	                                   "AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?",
	                                   sc->lo, sc->hi, state, state, cursor, cursor, limit + 1);
	return enf_ids_collect(q, out, e);
}

int enf_case_db_public(store *s, int64_t from_ms, int64_t to_ms, long limit, enf_ids *out, yj_err *e)
{
	return enf_ids_collect(store_query(s, e,
	                                   "SELECT id FROM penalty_case WHERE decision_no IS NOT NULL AND decided_ms >= ? "
	                                   "AND decided_ms < ? ORDER BY decided_ms DESC, id DESC LIMIT ?",
	                                   from_ms, to_ms, limit),
	                       out, e);
}

/* ---- coercive measures (行政强制) ------------------------------------------------------------------ */

int enf_coercive_db_insert(store *s, const enf_coercive *m, int64_t *id_out, yj_err *e)
{
	int rc = store_get_int(s, id_out, e,
	                       "INSERT INTO coercive_measure(case_id, enterprise_id, kind, reason, area_code, start_ms, end_ms, "
	                       "created_by) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
	                       store_id_or_null(m->case_id), m->enterprise_id, m->kind, m->reason, m->area_code, m->start_ms,
	                       m->end_ms > 0 ? store_v_int(m->end_ms) : store_null(), m->created_by);
	return enf_new_id(rc, "coercive measure", e);
}

#define COERCIVE_COLS \
	"id, coalesce(case_id, 0), enterprise_id, kind, reason, area_code, start_ms, coalesce(end_ms, 0), created_by"

static void fill_coercive(store_q *q, enf_coercive *m)
{
	m->id = store_col_int(q, 0);
	m->case_id = store_col_int(q, 1);
	m->enterprise_id = store_col_int(q, 2);
	store_col_copy(q, 3, m->kind, sizeof m->kind);
	m->reason = store_col_str(q, 4);
	store_col_copy(q, 5, m->area_code, sizeof m->area_code);
	m->start_ms = store_col_int(q, 6);
	m->end_ms = store_col_int(q, 7);
	m->created_by = store_col_int(q, 8);
}

static int coercive_row(store_q *q, void *ctx, yj_err *e)
{
	enf_each *x = ctx;
	enf_coercive m;
	fill_coercive(q, &m);
	return x->fn.coercive(x->s, &m, x->ctx, e);
}

int enf_coercive_db_each(store *s, const auth_scope *sc, long limit, enf_coercive_fn fn, void *ctx, yj_err *e)
{
	enf_each x = {.s = s, .ctx = ctx, .fn.coercive = fn};
	return store_each(store_query(s, e,
	                              "SELECT " COERCIVE_COLS " FROM coercive_measure WHERE " AUTH_SCOPE_SQL("area_code")
	                              " ORDER BY id DESC LIMIT ?",
	                              sc->lo, sc->hi, limit),
	                  coercive_row, &x, e);
}

/* ---- case-file reviews (案卷评查) -------------------------------------------------------------------- */

int enf_review_db_insert(store *s, int64_t case_id, int64_t reviewer, json_t *items, double score,
                         const char *problems, int year, int64_t now, int64_t *id_out, yj_err *e)
{
	int rc = store_get_int(s, id_out, e,
	                       "INSERT INTO case_review(case_id, reviewer_id, items, score, problems, year, created_ms) "
	                       "VALUES (?,?,?,?,?,?,?) RETURNING id",
	                       case_id, reviewer, items, score, problems ? problems : "", year, now);
	return enf_new_id(rc, "review", e);
}

static int review_row(store_q *q, void *ctx, yj_err *e)
{
	enf_each *x = ctx;
	enf_review_row r = {.case_id = store_col_int(q, 0), .year = (int)store_col_int(q, 1), .score = store_col_double(q, 2),
	                    .problems = store_col_str(q, 3)};
	return x->fn.review(x->s, &r, x->ctx, e);
}

int enf_review_db_each(store *s, const auth_scope *sc, int year, enf_review_fn fn, void *ctx, yj_err *e)
{
	enf_each x = {.s = s, .ctx = ctx, .fn.review = fn};
	return store_each(store_query(s, e,
	                              "SELECT r.case_id, r.year, r.score, r.problems FROM case_review r "
	                              "JOIN penalty_case c ON c.id = r.case_id WHERE " AUTH_SCOPE_SQL("c.area_code")
	                              " AND (? = 0 OR r.year = ?) ORDER BY r.year, r.id",
	                              sc->lo, sc->hi, year, year),
	                  review_row, &x, e);
}

/* ---- audit projections (version 1): the stored fields that matter, named explicitly ---------------------- */

static int project_event(store *s, const enf_case_event *ev, void *ctx, yj_err *e)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:I}", "id", (json_int_t)ev->id,
	                                     "action", ev->action, "from", ev->from_state, "to", ev->to_state, "user_id",
	                                     (json_int_t)ev->user_id, "note", ev->note, "data", ev->data, "at",
	                                     (json_int_t)ev->created_ms));
	return 0;
}

json_t *enf_case_fields(const enf_case *c, json_t *(*when)(int64_t ms), const char *suffix)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(c->id));
	json_object_set_new(j, "enterprise_id", c->enterprise_id ? json_integer(c->enterprise_id) : json_null());
	json_object_set_new(j, "area_code", json_string(c->area_code));
	json_object_set_new(j, "matter_code", json_string(c->matter_code));
	json_object_set_new(j, "inspection_id", c->inspection_id ? json_integer(c->inspection_id) : json_null());
	json_object_set_new(j, "title", json_string(c->title));
	json_object_set_new(j, "facts", json_string(c->facts));
	json_object_set_new(j, "legal_basis", json_string(c->legal_basis));
	json_object_set_new(j, "fine_yuan", json_real(c->fine_yuan));
	json_object_set_new(j, "revocation", json_boolean(c->revocation));
	json_object_set_new(j, "suspension", json_boolean(c->suspension));
	json_object_set_new(j, "major", json_boolean(c->major));
	json_object_set_new(j, "hearing_right", json_boolean(c->hearing_right));
	json_object_set_new(j, "state", json_string(c->state));
	json_object_set_new(j, "decision_no", enf_text_or_null(c->decision_no));
	json_object_set_new(j, "extended", json_boolean(c->extended));
	json_object_set_new(j, "paid_yuan", isnan(c->paid_yuan) ? json_null() : json_real(c->paid_yuan));
	json_object_set_new(j, "bureau_own", json_boolean(c->bureau_own));
	enf_put_time(j, "filed", suffix, when, c->filed_ms);
	enf_put_time(j, "deadline", suffix, when, c->deadline_ms);
	enf_put_time(j, "decided", suffix, when, c->decided_ms);
	enf_put_time(j, "served", suffix, when, c->served_ms);
	enf_put_time(j, "executed", suffix, when, c->executed_ms);
	enf_put_time(j, "closed", suffix, when, c->closed_ms);
	enf_put_time(j, "created", suffix, when, c->created_ms);
	return j;
}

/* version 1 the fields below; version 2 also the deciding authority */
static json_t *case_project(store *s, const char *id, int version)
{
	enf_case c;
	if (enf_case_db_get(s, strtoll(id, NULL, 10), &c, NULL) <= 0)
		return NULL;
	json_t *j = enf_case_fields(&c, enf_ms_or_null, "_ms");
	json_object_set_new(j, "party_type", json_string(c.party_type));
	json_object_set_new(j, "party_name", json_string(c.party_name));
	json_object_set_new(j, "party_id_number", enf_text_or_null(c.party_id_number));
	json_object_set_new(j, "party_phone", enf_text_or_null(c.party_phone));
	json_object_set_new(j, "created_by", json_integer(c.created_by));
	json_t *events = json_array();
	enf_case_db_events(s, c.id, project_event, events, NULL);
	json_object_set_new(j, "events", events);
	if (version >= 2)
		json_object_set_new(j, "authority_code", c.authority_code[0] ? json_string(c.authority_code) : json_null());
	enf_case_clear(&c);
	return j;
}

json_t *enf_case_project(store *s, const char *id)
{
	return case_project(s, id, 1);
}

json_t *enf_case_project_v2(store *s, const char *id)
{
	return case_project(s, id, 2);
}

json_t *enf_coercive_project(store *s, const char *id)
{
	store_q *q;
	if (store_row(s, &q, NULL, "SELECT " COERCIVE_COLS " FROM coercive_measure WHERE id = ?", strtoll(id, NULL, 10)) <= 0)
		return NULL;
	enf_coercive m;
	fill_coercive(q, &m);
	json_t *j = json_pack("{s:I, s:o, s:I, s:s, s:s, s:s, s:I, s:o, s:I}", "id", (json_int_t)m.id, "case_id",
	                      m.case_id ? json_integer(m.case_id) : json_null(), "enterprise_id", (json_int_t)m.enterprise_id,
	                      "kind", m.kind, "reason", m.reason, "area_code", m.area_code, "start_ms", (json_int_t)m.start_ms,
	                      "end_ms", enf_ms_or_null(m.end_ms), "created_by", (json_int_t)m.created_by);
	store_done(q);
	return j;
}

json_t *enf_review_project(store *s, const char *id)
{
	store_q *q;
	if (store_row(s, &q, NULL,
	              "SELECT id, case_id, reviewer_id, items, score, problems, year, created_ms FROM case_review WHERE id = ?",
	              strtoll(id, NULL, 10)) <= 0)
		return NULL;
	json_t *j = json_pack("{s:I, s:I, s:I, s:s, s:f, s:s, s:I, s:I}", "id", (json_int_t)store_col_int(q, 0), "case_id",
	                      (json_int_t)store_col_int(q, 1), "reviewer_id", (json_int_t)store_col_int(q, 2), "items",
	                      store_col_str(q, 3), "score", store_col_double(q, 4), "problems", store_col_str(q, 5), "year",
	                      (json_int_t)store_col_int(q, 6), "created_ms", (json_int_t)store_col_int(q, 7));
	store_done(q);
	return j;
}
