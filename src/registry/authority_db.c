/*
 * authority_db.c — the SQL of table `authority` (the registry's).
 */
#include "registry/registry_int.h"

#define AUTH_COLS                                                                                          \
	"area_code, name, short_name, cap_sender, decision_prefix, reconsideration, court, payment_account_name, " \
	"payment_account, payment_bank"

/* the members of AUTH_COLS, in order */
static const reg_text_col auth_texts[] = {
	REG_TEXT_COL(reg_authority, area_code),       REG_TEXT_COL(reg_authority, name),
	REG_TEXT_COL(reg_authority, short_name),      REG_TEXT_COL(reg_authority, cap_sender),
	REG_TEXT_COL(reg_authority, decision_prefix), REG_TEXT_COL(reg_authority, reconsideration),
	REG_TEXT_COL(reg_authority, court),           REG_TEXT_COL(reg_authority, payment_account_name),
	REG_TEXT_COL(reg_authority, payment_account), REG_TEXT_COL(reg_authority, payment_bank),
};

static void fill(store_q *q, void *a)
{
	reg_db_copy_texts(q, 0, a, auth_texts, YJ_ARRAY_LEN(auth_texts));
}

int reg_db_authority_get(store *s, const char *area_code, reg_authority *out, yj_err *e)
{
	return reg_db_get_one(s, "SELECT " AUTH_COLS " FROM authority WHERE area_code = ?", store_v_text(area_code), fill,
	                      out, sizeof *out, e);
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
