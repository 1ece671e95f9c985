/*
 * case_decision.c — a decided case's decision document (行政处罚决定书)
 * from its file: what 第五十九条 says it must state, each part from where
 * it is kept.
 *
 *   the party                 the case (and the registry's enterprise)
 *   facts and evidence        the notice's facts; the evidence of the case file:
 *                             the case's own files (statements, waivers, the
 *                             hearing's record), the inspection it follows (its
 *                             record and files) and that inspection's hazards
 *                             (their records and files), each with its digest
 *   kind and basis            the notice
 *   payment                   the deciding authority's account (registry: authority)
 *   remedies                  that authority's people's government (行政复议, 60
 *                             days) and court (行政诉讼, 6 months)
 *   authority and date        the deciding authority, the decision's date, the
 *                             place of the seal
 *
 * Layout is pdf_decision.c's; this file only gathers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/workdays.h"
#include "enforce/enf_int.h"
#include "enforce/enf_pdf.h"
#include "registry/registry.h"

enum { EVIDENCE_LINES = 200, TEXT_CUT = 300 };

/* s cut to at most max bytes on a character boundary, "…" added when cut, into out */
static void cut_text(const char *s, size_t max, strbuf *out)
{
	size_t n = strlen(s);
	if (n <= max) {
		strbuf_puts(out, s);
		return;
	}
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	strbuf_append(out, s, max);
	strbuf_puts(out, "…");
}

typedef struct lines {
	json_t *arr;
	const char *where; /* "第5号现场检查所附" */
} lines;

static void add_line(lines *l, strbuf *b)
{
	if (json_array_size(l->arr) < EVIDENCE_LINES && b->len)
		json_array_append_new(l->arr, json_string(b->data));
	b->len = 0;
}

static const char *kind_of(const char *mime)
{
	if (!strncmp(mime, "image/", 6))
		return "照片";
	if (!strncmp(mime, "audio/", 6))
		return "录音";
	if (!strncmp(mime, "video/", 6))
		return "录像";
	return "书证";
}

static int file_line(store *s, const enf_evidence *ev, void *ctx, yj_err *e)
{
	lines *l = ctx;
	strbuf b;
	strbuf_init(&b);
	strbuf_printf(&b, "%s%s《", l->where, kind_of(ev->mime));
	cut_text(ev->name, 120, &b);
	strbuf_printf(&b, "》（SHA-256：%.16s…）", ev->sha256);
	if (ev->note && *ev->note) {
		strbuf_puts(&b, "，");
		cut_text(ev->note, 120, &b);
	}
	add_line(l, &b);
	strbuf_free(&b);
	return 0;
}

static void inspection_lines(store *s, int64_t id, lines *l)
{
	enf_inspection in;
	if (enf_inspection_db_get(s, id, &in, NULL) <= 0)
		return;
	strbuf b;
	strbuf_init(&b);
	char day[32] = "", where[64];
	if (in.inspected_ms)
		yj_day_chinese(yj_day_of(in.inspected_ms), day);
	strbuf_printf(&b, "第%lld号现场检查记录（%s%s%s）", (long long)id, day, in.place ? "，" : "", in.place ? in.place : "");
	if (in.findings && *in.findings) {
		strbuf_puts(&b, "：");
		cut_text(in.findings, TEXT_CUT, &b);
	}
	add_line(l, &b);
	snprintf(where, sizeof where, "第%lld号现场检查所附", (long long)id);
	l->where = where;
	enf_evidence_db_of(s, "inspection", id, file_line, l, NULL);
	/* the hazards it found, with theirs */
	int64_t ids[EVIDENCE_LINES + 1];
	enf_ids hz = {.id = ids, .cap = EVIDENCE_LINES};
	if (enf_hazard_db_of_inspection(s, id, EVIDENCE_LINES, &hz, NULL) == 0)
		for (size_t i = 0; i < hz.n; i++) {
			enf_hazard h;
			if (enf_hazard_db_get(s, hz.id[i], &h, NULL) <= 0)
				continue;
			strbuf_printf(&b, "第%lld号隐患记录：", (long long)h.id);
			cut_text(h.description, TEXT_CUT, &b);
			add_line(l, &b);
			snprintf(where, sizeof where, "第%lld号隐患所附", (long long)h.id);
			enf_evidence_db_of(s, "hazard", h.id, file_line, l, NULL);
			enf_hazard_clear(&h);
		}
	strbuf_free(&b);
	enf_inspection_clear(&in);
	l->where = "";
}

json_t *enf_case_evidence_lines(store *s, const enf_case *c)
{
	lines l = {.arr = json_array(), .where = "本案"};
	if (c->inspection_id)
		inspection_lines(s, c->inspection_id, &l);
	l.where = "";
	enf_evidence_db_of(s, "penalty_case", c->id, file_line, &l, NULL);
	return l.arr;
}

/* the deciding authority of a decided case: the one it was decided by, else its area's */
static int authority_of(store *s, const enf_case *c, reg_authority *a, yj_err *e)
{
	const char *code = c->authority_code[0] ? c->authority_code : c->area_code;
	int rc = reg_authority_for(s, code, a, e);
	if (rc == 0)
		return yj_fail(e, YJ_ECONFLICT, "authority", "辖区 %s 没有登记作出处罚决定的机关", code);
	return rc < 0 ? -1 : 0;
}

int enf_case_pdf(store *s, int64_t id, char **pdf, size_t *len, yj_err *e)
{
	enf_case c;
	int rc = enf_case_db_get(s, id, &c, e);
	if (rc <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "没有案件 %lld", (long long)id);
	if (!c.decision_no) {
		enf_case_clear(&c);
		return yj_fail(e, YJ_ECONFLICT, "state", "案件尚未作出处罚决定");
	}
	enf_case_proc p;
	reg_authority a;
	reg_enterprise en = {0};
	json_t *evidence = NULL;
	rc = -1;
	if (enf_case_proc_read(s, &c, &p, e) || authority_of(s, &c, &a, e) ||
	    (c.enterprise_id && reg_enterprise_get(s, c.enterprise_id, &en, e) < 0))
		goto out;
	evidence = enf_case_evidence_lines(s, &c);
	if (json_array_size(evidence) == 0)
		json_array_append_new(evidence, json_string("（案卷中未登记证据材料）"));
	enf_decision d = {
		.authority = a.name,
		.decision_no = c.decision_no,
		.party_name = c.party_name,
		.enterprise = c.enterprise_id != 0,
		.facts = c.facts,
		.legal_basis = c.legal_basis,
		.evidence = evidence,
		.fine = c.fine_yuan > 0 ? c.fine_yuan : 0,
		.warning = -1,
		.revocation = c.revocation ? 1 : -1,
		.suspension = c.suspension ? "责令停产停业整顿" : NULL,
		.has_payment = true,
		.bank = a.payment_bank,
		.account_name = a.payment_account_name,
		.account = a.payment_account,
		.deadline_days = 15,
		.notified_ms = p.notified_ms,
		.statement_heard = p.statement_recorded ? 1 : 0,
		.rights_waived = p.statement_waived,
		.hearing_right = c.hearing_right,
		.hearing_held = p.hearing_recorded ? 1 : 0,
		.hearing_ms = p.hearing_recorded ? p.hearing_at_ms : 0,
		.reconsideration_body = a.reconsideration,
		.court = a.court,
		.reconsideration_days = 60,
		.litigation_months = 6,
		.decided_ms = c.decided_ms,
	};
	if (c.enterprise_id) {
		d.credit_code = en.credit_code[0] ? en.credit_code : NULL;
		d.address = en.address[0] ? en.address : NULL;
		d.legal_rep = en.principal[0] ? en.principal : NULL;
	} else {
		d.id_number = c.party_id_number;
	}
	rc = enf_decision_render(&d, pdf, len, e);
out:
	json_decref(evidence);
	reg_enterprise_clear(&en);
	enf_case_clear(&c);
	return rc;
}
