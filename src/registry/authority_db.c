/*
 * authority_db.c — the SQL of table `authority` (the registry's).
 */
#include "registry/registry_int.h"

#define AUTH_COLS                                                                                          \
	"area_code, name, short_name, cap_sender, decision_prefix, reconsideration, court, payment_account_name, " \
	"payment_account, payment_bank"

static void fill(store_q *q, reg_authority *a)
{
	store_col_copy(q, 0, a->area_code, sizeof a->area_code);
	store_col_copy(q, 1, a->name, sizeof a->name);
	store_col_copy(q, 2, a->short_name, sizeof a->short_name);
	store_col_copy(q, 3, a->cap_sender, sizeof a->cap_sender);
	store_col_copy(q, 4, a->decision_prefix, sizeof a->decision_prefix);
	store_col_copy(q, 5, a->reconsideration, sizeof a->reconsideration);
	store_col_copy(q, 6, a->court, sizeof a->court);
	store_col_copy(q, 7, a->payment_account_name, sizeof a->payment_account_name);
	store_col_copy(q, 8, a->payment_account, sizeof a->payment_account);
	store_col_copy(q, 9, a->payment_bank, sizeof a->payment_bank);
}

int reg_db_authority_get(store *s, const char *area_code, reg_authority *out, yj_err *e)
{
	store_q *q;
	int rc = store_row(s, &q, e, "SELECT " AUTH_COLS " FROM authority WHERE area_code = ?", area_code);
	if (rc > 0) {
		fill(q, out);
		store_done(q);
	}
	return rc;
}

int reg_db_authority_add(store *s, const reg_authority *a, yj_err *e)
{
	int64_t n = store_run(s, e,
	                      "INSERT INTO authority(" AUTH_COLS ", updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	                      "ON CONFLICT (area_code) DO NOTHING",
	                      a->area_code, a->name, a->short_name, a->cap_sender, a->decision_prefix, a->reconsideration,
	                      a->court, a->payment_account_name, a->payment_account, a->payment_bank, yj_now_ms());
	return n < 0 ? -1 : n > 0;
}

typedef struct each_ctx {
	reg_authority_fn fn;
	void *ctx;
} each_ctx;

static int visit(store_q *q, void *ctx, yj_err *e)
{
	each_ctx *c = ctx;
	reg_authority a;
	fill(q, &a);
	return c->fn(&a, c->ctx, e);
}

int reg_db_authorities_each(store *s, const auth_scope *sc, reg_authority_fn fn, void *ctx, yj_err *e)
{
	each_ctx c = {fn, ctx};
	return store_each(store_query(s, e, "SELECT " AUTH_COLS " FROM authority WHERE " AUTH_SCOPE_SQL("area_code")
	                                    " ORDER BY area_code",
	                              sc->lo, sc->hi),
	                  visit, &c, e);
}
