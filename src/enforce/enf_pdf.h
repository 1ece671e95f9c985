/*
 * enf_pdf.h — the penalty decision (行政处罚决定书) as a PDF, and amounts in
 * Chinese capital numerals (大写).
 */
#ifndef YJ_ENF_PDF_H
#define YJ_ENF_PDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/base.h"

/*
 * 行政处罚决定书 penalty decision: A4 PDF in Chinese, fonts embedded
 * (Noto Serif/Sans CJK SC found through fontconfig; fonts-noto-cjk).
 *
 * c is a JSON object (members not listed are ignored):
 *   authority       string, required   "汕尾市应急管理局" (title and signature)
 *   decision_no     string, required   "汕应急罚〔2022〕25号"
 *   party           object, required
 *     name          string, required
 *     type          "enterprise" | "individual", required
 *     credit_code, address, legal_representative, id_number   strings, optional
 *   facts           string, required   违法事实; "\n" starts a new paragraph
 *   evidence        array of strings, optional   证据, printed as a numbered list
 *   legal_basis     string, required   处罚依据, printed verbatim as a paragraph:
 *                   "上述行为违反了《…》第…条的规定，依据《…》第…条的规定…"
 *   penalty_basis   string, optional   裁量依据, a second paragraph of 处罚依据
 *   penalty         object, required, at least one of:
 *     fine_yuan, confiscation_yuan   number > 0 and < 10^12 (罚款, 没收违法所得)
 *     warning, revocation            true (警告, 吊销许可证)
 *     suspension                     string, e.g. "责令停产停业整顿一个月"
 *   payment         object, optional: bank (required in it), account_name, account,
 *                   deadline_days (1..365, default 15)
 *   notified        RFC 3339, optional  告知 date, printed as the local date
 *   statement_heard bool, optional     陈述申辩: true heard, false none made
 *   rights_waived   bool, optional     the party waived its rights in writing
 *   hearing_right   bool, optional     the notice named the right to a hearing
 *   hearing_held    bool, optional     听证 (hearing_date: RFC 3339, optional)
 *   appeal          object, required: reconsideration_body, court (strings),
 *                   reconsideration_days (default 60), litigation_months (default 6)
 *   decided         RFC 3339, required; printed as the local date (+08:00)
 *
 * Texts must be UTF-8; facts at most 60000 bytes, other strings 4000.
 * Layout after GB/T 9704: 37/35/28/26 mm margins, 22 lines of 28 characters,
 * title centred, decision number right-aligned, numbered sections, the
 * authority and the date at the bottom right under a dashed circle marking
 * where the seal goes (盖章处, 第五十九条: 必须盖有…印章), "第 N 页 共 M 页"
 * on every page.
 * Long texts wrap (Pango line breaking) and flow over pages; a heading never
 * ends a page and the signature never stands alone on one.
 *
 * Thread-safe: every call has its own Pango font map and cairo surface.
 * Returns 0 and *pdf (malloc'ed, the caller frees) with *len bytes; or -1 and
 * *e: YJ_EINVAL naming the missing or wrong member ("party.name"),
 * YJ_EUNAVAILABLE when no CJK font is installed, YJ_EINTERNAL when cairo fails.
 */
int enf_decision_pdf(json_t *c, char **pdf, size_t *len, yj_err *e);

/*
 * The same decision as a struct, for callers that hold the facts already
 * (a case of the store): what enf_decision_pdf reads from its JSON. Texts
 * are valid UTF-8 within the limits above (the caller checked them); NULL
 * optional texts are left out. Tri-state members: -1 absent, 0 no, 1 yes.
 */
typedef struct enf_decision {
	const char *authority, *decision_no;
	const char *party_name, *credit_code, *address, *legal_rep, *id_number;
	bool enterprise;
	const char *facts, *legal_basis, *penalty_basis;
	json_t *evidence; /* array of strings (borrowed), or NULL */
	double fine, confiscation; /* 0: none */
	int warning, revocation;
	const char *suspension;
	bool has_payment;
	const char *bank, *account_name, *account;
	int deadline_days;
	int64_t notified_ms, hearing_ms; /* 0: not printed */
	int statement_heard, hearing_held;
	bool rights_waived, hearing_right;
	const char *reconsideration_body, *court;
	int reconsideration_days, litigation_months;
	int64_t decided_ms;
} enf_decision;
int enf_decision_render(const enf_decision *dc, char **pdf, size_t *len, yj_err *e);

/*
 * An amount of yuan in capital numerals, rounded to the fen (分):
 * 25000 -> "贰万伍仟元整", 20500 -> "贰万零伍佰元整", 10 -> "壹拾元整",
 * 1234.5 -> "壹仟贰佰叁拾肆元伍角", 0.05 -> "伍分", 0 -> "零元整".
 * Writes "" when yuan is negative, not finite or 10^12 or more.
 * out gets at most cap bytes, NUL included; 128 bytes hold every amount.
 */
void enf_amount_chinese(double yuan, char *out, size_t cap);

#endif
