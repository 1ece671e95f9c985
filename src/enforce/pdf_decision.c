/*
 * pdf_decision.c — the penalty decision (行政处罚决定书): its text, section
 * by section (party, facts and evidence, basis, penalty, payment, remedies,
 * signature), laid out on pdf_layout.c's grid; and the decision read from
 * a JSON document, every member checked and named in errors by its path
 * ("party.name"), for callers that hold one (tests, tools).
 *
 * Not here: storing decisions, numbering them, publicity (公示, where an
 * individual's ID number must not appear), signatures. The seal is only
 * marked (a dashed circle, 盖章处): the bureau stamps the printed copy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_pdf.h"
#include "enforce/pdf_int.h"

/* ---- reading the decision ------------------------------------------------ */

/* The string v into *out (NULL when absent or blank and not required).
 * path names it in errors ("party.name"). */
static int check_str(json_t *v, const char *path, bool required, size_t max, const char **out, yj_err *e)
{
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return yj_fail(e, YJ_EINVAL, path, "field '%s' is required", path);
		return 0;
	}
	if (!json_is_string(v))
		return yj_fail(e, YJ_EINVAL, path, "field '%s' must be a string", path);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n > max)
		return yj_fail(e, YJ_EINVAL, path, "field '%s' is longer than %zu bytes", path, max);
	if (strlen(s) != n || !yj_utf8_valid(s, n))
		return yj_fail(e, YJ_EINVAL, path, "field '%s' is not UTF-8 text", path);
	size_t blank = strspn(s, " \t\r\n");
	if (blank == n) {
		if (required)
			return yj_fail(e, YJ_EINVAL, path, "field '%s' is required", path);
		return 0;
	}
	*out = s;
	return 0;
}

static int get_str(json_t *o, const char *key, const char *path, bool required, size_t max,
		   const char **out, yj_err *e)
{
	return check_str(json_object_get(o, key), path, required, max, out, e);
}

static int get_bool(json_t *o, const char *key, const char *path, int *out, yj_err *e)
{
	json_t *v = json_object_get(o, key);
	*out = -1; /* absent */
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return yj_fail(e, YJ_EINVAL, path, "field '%s' must be true or false", path);
	*out = json_is_true(v);
	return 0;
}

static int get_amount(json_t *o, const char *key, const char *path, double *out, yj_err *e)
{
	json_t *v = json_object_get(o, key);
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return yj_fail(e, YJ_EINVAL, path, "field '%s' must be a number of yuan", path);
	double x = json_number_value(v);
	if (!isfinite(x) || x < 0.005 || x >= 1e12)
		return yj_fail(e, YJ_EINVAL, path, "field '%s': %.2f is outside 0.01..999999999999.99", path, x);
	*out = x;
	return 0;
}

static int get_count(json_t *o, const char *key, const char *path, int lo, int hi, int dflt, int *out,
		     yj_err *e)
{
	json_t *v = json_object_get(o, key);
	*out = dflt;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return yj_fail(e, YJ_EINVAL, path, "field '%s' must be a whole number in %d..%d", path, lo, hi);
	*out = (int)json_integer_value(v);
	return 0;
}

static int get_object(json_t *o, const char *key, bool required, json_t **out, yj_err *e)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return yj_fail(e, YJ_EINVAL, key, "field '%s' is required", key);
		return 0;
	}
	if (!json_is_object(v))
		return yj_fail(e, YJ_EINVAL, key, "field '%s' must be an object", key);
	*out = v;
	return 0;
}

/* an optional RFC 3339 member: *ms 0 when absent */
static int get_time(json_t *o, const char *key, int64_t *ms, yj_err *e)
{
	const char *t;
	*ms = 0;
	if (get_str(o, key, key, false, 64, &t, e))
		return -1;
	return t ? yj_time_parse(t, ms, key, e) : 0;
}

/* Everything the document says, checked. Strings point into the JSON. */
static int decision_read(json_t *c, enf_decision *dc, yj_err *e)
{
	memset(dc, 0, sizeof *dc);
	if (!json_is_object(c))
		return yj_fail(e, YJ_EINVAL, "", "the decision must be a JSON object");
	json_t *party, *penalty, *payment, *appeal;
	const char *type, *decided;
	if (get_str(c, "authority", "authority", true, TEXT_MAX, &dc->authority, e) ||
	    get_str(c, "decision_no", "decision_no", true, TEXT_MAX, &dc->decision_no, e) ||
	    get_object(c, "party", true, &party, e) ||
	    get_str(party, "name", "party.name", true, TEXT_MAX, &dc->party_name, e) ||
	    get_str(party, "type", "party.type", true, TEXT_MAX, &type, e))
		return -1;
	if (strcmp(type, "enterprise") == 0)
		dc->enterprise = true;
	else if (strcmp(type, "individual") != 0)
		return yj_fail(e, YJ_EINVAL, "party.type", "field 'party.type' must be \"enterprise\" or \"individual\"");
	if (get_str(party, "credit_code", "party.credit_code", false, TEXT_MAX, &dc->credit_code, e) ||
	    get_str(party, "address", "party.address", false, TEXT_MAX, &dc->address, e) ||
	    get_str(party, "legal_representative", "party.legal_representative", false, TEXT_MAX,
		    &dc->legal_rep, e) ||
	    get_str(party, "id_number", "party.id_number", false, TEXT_MAX, &dc->id_number, e) ||
	    get_str(c, "facts", "facts", true, FACTS_MAX, &dc->facts, e))
		return -1;

	json_t *ev = json_object_get(c, "evidence");
	if (ev && !json_is_null(ev)) {
		if (!json_is_array(ev))
			return yj_fail(e, YJ_EINVAL, "evidence", "field 'evidence' must be an array of strings");
		if (json_array_size(ev) > EVIDENCE_MAX)
			return yj_fail(e, YJ_EINVAL, "evidence", "field 'evidence' has more than %d items",
				       EVIDENCE_MAX);
		for (size_t i = 0; i < json_array_size(ev); i++) {
			json_t *item = json_array_get(ev, i);
			char path[32];
			snprintf(path, sizeof path, "evidence[%zu]", i);
			const char *s;
			if (check_str(item, path, true, TEXT_MAX, &s, e))
				return -1;
		}
		dc->evidence = ev;
	}

	if (get_str(c, "legal_basis", "legal_basis", true, TEXT_MAX, &dc->legal_basis, e) ||
	    get_str(c, "penalty_basis", "penalty_basis", false, TEXT_MAX, &dc->penalty_basis, e) ||
	    get_object(c, "penalty", true, &penalty, e) ||
	    get_amount(penalty, "fine_yuan", "penalty.fine_yuan", &dc->fine, e) ||
	    get_amount(penalty, "confiscation_yuan", "penalty.confiscation_yuan", &dc->confiscation, e) ||
	    get_bool(penalty, "warning", "penalty.warning", &dc->warning, e) ||
	    get_bool(penalty, "revocation", "penalty.revocation", &dc->revocation, e) ||
	    get_str(penalty, "suspension", "penalty.suspension", false, TEXT_MAX, &dc->suspension, e))
		return -1;
	if (dc->fine == 0 && dc->confiscation == 0 && dc->warning != 1 && dc->revocation != 1 && !dc->suspension)
		return yj_fail(e, YJ_EINVAL, "penalty",
			       "field 'penalty' names no penalty (fine_yuan, confiscation_yuan, warning, "
			       "revocation or suspension)");

	if (get_object(c, "payment", false, &payment, e))
		return -1;
	dc->deadline_days = 15;
	if (payment) {
		dc->has_payment = true;
		if (get_str(payment, "bank", "payment.bank", true, TEXT_MAX, &dc->bank, e) ||
		    get_str(payment, "account_name", "payment.account_name", false, TEXT_MAX, &dc->account_name, e) ||
		    get_str(payment, "account", "payment.account", false, TEXT_MAX, &dc->account, e) ||
		    get_count(payment, "deadline_days", "payment.deadline_days", 1, 365, 15, &dc->deadline_days, e))
			return -1;
	}
	int waived, right;
	if (get_bool(c, "statement_heard", "statement_heard", &dc->statement_heard, e) ||
	    get_bool(c, "hearing_held", "hearing_held", &dc->hearing_held, e) ||
	    get_bool(c, "rights_waived", "rights_waived", &waived, e) ||
	    get_bool(c, "hearing_right", "hearing_right", &right, e) ||
	    get_time(c, "notified", &dc->notified_ms, e) || get_time(c, "hearing_date", &dc->hearing_ms, e) ||
	    get_object(c, "appeal", true, &appeal, e) ||
	    get_str(appeal, "reconsideration_body", "appeal.reconsideration_body", true, TEXT_MAX,
		    &dc->reconsideration_body, e) ||
	    get_str(appeal, "court", "appeal.court", true, TEXT_MAX, &dc->court, e) ||
	    get_count(appeal, "reconsideration_days", "appeal.reconsideration_days", 1, 365, 60,
		      &dc->reconsideration_days, e) ||
	    get_count(appeal, "litigation_months", "appeal.litigation_months", 1, 120, 6, &dc->litigation_months,
		      e) ||
	    get_str(c, "decided", "decided", true, 64, &decided, e) ||
	    yj_time_parse(decided, &dc->decided_ms, "decided", e))
		return -1;
	dc->rights_waived = waived == 1;
	dc->hearing_right = right == 1 || dc->hearing_held == 1;
	return 0;
}

/* ---- the document -------------------------------------------------------- */

/* s without trailing sentence punctuation, then end, into b. */
static void put_clause(strbuf *b, const char *s, const char *end)
{
	size_t n = strlen(s);
	static const char *const trail[] = {"。", "；", "，", ";", ",", ".", " ", "\n", "\r", "\t"};
	for (bool cut = true; cut && n > 0;) {
		cut = false;
		for (size_t i = 0; i < YJ_ARRAY_LEN(trail); i++) {
			size_t t = strlen(trail[i]);
			if (n >= t && memcmp(s + n - t, trail[i], t) == 0) {
				n -= t;
				cut = true;
			}
		}
	}
	strbuf_append(b, s, n);
	strbuf_puts(b, end);
}

/* Text as printed: tabs and other control characters become spaces. */
static char *clean_text(const char *s)
{
	char *t = yj_strdup(s);
	for (char *p = t; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			*p = ' ';
	return t;
}

/* Past the spaces that start a paragraph typed elsewhere, "　　" (U+3000)
 * included: the layout indents by itself. */
static char *skip_indent(char *p)
{
	for (;;) {
		if (*p == ' ')
			p++;
		else if (strncmp(p, "\u3000", 3) == 0)
			p += 3;
		else
			return p;
	}
}

/* A text of several paragraphs ("\n" between them), each its own body paragraph. */
static void paragraphs(doc *d, const char *text)
{
	char *t = clean_text(text);
	for (char *p = t, *next; p; p = next) {
		next = strchr(p, '\n');
		if (next)
			*next++ = 0;
		p = skip_indent(p);
		if (*p)
			enf_pdf_par(d, p, &ST_BODY);
	}
	free(t);
}

static void label_line(doc *d, const char *label, const char *value)
{
	if (!value)
		return;
	char *v = clean_text(value);
	for (char *p = v; *p; p++)
		if (*p == '\n')
			*p = ' ';
	char *text = g_strdup_printf("%s：%s", label, v);
	enf_pdf_par(d, text, &ST_PARTY);
	g_free(text);
	free(v);
}

/* the local date of ms, "2026年12月6日" */
static void local_date(int64_t ms, char out[32])
{
	char local[40];
	int year = 0, month = 0, day = 0;
	yj_time_format(ms, local);
	sscanf(local, "%d-%d-%d", &year, &month, &day);
	snprintf(out, 32, "%d年%d月%d日", year, month, day);
}

static void money_clause(strbuf *b, const char *what, double yuan)
{
	char digits[48], capital[128];
	enf_pdf_amount_digits(yuan, digits, sizeof digits);
	enf_amount_chinese(yuan, capital, sizeof capital);
	strbuf_printf(b, "%s人民币%s元（大写：%s）", what, digits, capital);
}

static void build(doc *d, const enf_decision *dc)
{
	strbuf b;
	strbuf_init(&b);
	char n1[32], n2[32];

	/* title: the authority, the kind of document, the number */
	enf_pdf_add_lines(d, enf_pdf_layout_new(d, dc->authority, &ST_TITLE, TEXT_W), MARGIN_LEFT, &ST_TITLE, true);
	enf_pdf_add_lines(d, enf_pdf_layout_new(d, "行政处罚决定书", &ST_TITLE_SPACED, TEXT_W), MARGIN_LEFT, &ST_TITLE_SPACED, true);
	d->pending_space = GRID / 2;
	enf_pdf_add_lines(d, enf_pdf_layout_new(d, dc->decision_no, &ST_NUMBER, TEXT_W), MARGIN_LEFT, &ST_NUMBER, false);
	d->pending_space = GRID / 2;

	/* 当事人 the party */
	label_line(d, "当事人", dc->party_name);
	if (dc->enterprise) {
		label_line(d, "统一社会信用代码", dc->credit_code);
		label_line(d, "法定代表人", dc->legal_rep);
	} else {
		label_line(d, "身份证号码", dc->id_number);
		label_line(d, "统一社会信用代码", dc->credit_code);
	}
	label_line(d, "地址", dc->address);

	/* 一、违法事实和证据 */
	enf_pdf_heading(d, dc->evidence ? "一、违法事实和证据" : "一、违法事实");
	paragraphs(d, dc->facts);
	size_t nev = dc->evidence ? json_array_size(dc->evidence) : 0;
	if (nev > 0) {
		enf_pdf_par(d, "上述事实有以下证据证明：", &ST_BODY);
		for (size_t i = 0; i < nev; i++) {
			char *item = clean_text(json_string_value(json_array_get(dc->evidence, i)));
			for (char *p = item; *p; p++)
				if (*p == '\n')
					*p = ' ';
			strbuf_printf(&b, "%zu．", i + 1);
			put_clause(&b, skip_indent(item), i + 1 < nev ? "；" : "。");
			enf_pdf_par(d, b.data, &ST_BODY);
			b.len = 0;
			free(item);
		}
	}

	/* 二、处罚依据 */
	enf_pdf_heading(d, "二、处罚依据");
	paragraphs(d, dc->legal_basis);
	if (dc->penalty_basis)
		paragraphs(d, dc->penalty_basis);

	/* 三、处罚决定 */
	enf_pdf_heading(d, "三、处罚决定");
	if (dc->statement_heard >= 0 || dc->hearing_held == 1 || dc->rights_waived || dc->notified_ms) {
		char day[32];
		if (dc->notified_ms) {
			local_date(dc->notified_ms, day);
			strbuf_printf(&b, "本机关于%s", day);
		} else {
			strbuf_puts(&b, "本机关已");
		}
		strbuf_puts(&b, "依法告知当事人拟作出行政处罚的事实、理由、依据及其依法享有的陈述、申辩权利");
		if (dc->hearing_right)
			strbuf_puts(&b, "和要求听证的权利");
		strbuf_puts(&b, "。");
		if (dc->statement_heard == 1)
			strbuf_puts(&b, "当事人提出了陈述、申辩，本机关对其提出的事实、理由和证据进行了复核。");
		else if (dc->rights_waived)
			strbuf_printf(&b, "当事人书面放弃陈述、申辩%s权利。", dc->hearing_right && dc->hearing_held != 1 ? "和听证" : "");
		else if (dc->statement_heard == 0)
			strbuf_puts(&b, "当事人在规定期限内未提出陈述、申辩。");
		if (dc->hearing_held == 1 && dc->hearing_ms) {
			local_date(dc->hearing_ms, day);
			strbuf_printf(&b, "应当事人要求，本机关于%s依法举行了听证。", day);
		} else if (dc->hearing_held == 1) {
			strbuf_puts(&b, "应当事人要求，本机关依法举行了听证。");
		}
		enf_pdf_par(d, b.data, &ST_BODY);
		b.len = 0;
	}
	/* the penalties, in the order of 《行政处罚法》第九条 */
	char *item[5];
	int nitem = 0;
	if (dc->warning == 1)
		item[nitem++] = g_strdup("警告");
	if (dc->fine > 0) {
		money_clause(&b, "罚款", dc->fine);
		item[nitem++] = g_strdup(b.data);
		b.len = 0;
	}
	if (dc->confiscation > 0) {
		money_clause(&b, "没收违法所得", dc->confiscation);
		item[nitem++] = g_strdup(b.data);
		b.len = 0;
	}
	if (dc->suspension) {
		char *s = clean_text(dc->suspension);
		put_clause(&b, s, "");
		item[nitem++] = g_strdup(b.data);
		b.len = 0;
		free(s);
	}
	if (dc->revocation == 1)
		item[nitem++] = g_strdup("吊销有关许可证件");
	if (nitem == 1) {
		strbuf_printf(&b, "根据上述事实和依据，本机关决定对当事人作出如下行政处罚：%s。", item[0]);
		enf_pdf_par(d, b.data, &ST_BODY);
		b.len = 0;
	} else {
		enf_pdf_par(d, "本机关依法决定对当事人作出以下行政处罚：", &ST_BODY);
		for (int i = 0; i < nitem; i++) {
			strbuf_printf(&b, "%d．%s%s", i + 1, item[i], i + 1 < nitem ? "；" : "。");
			enf_pdf_par(d, b.data, &ST_BODY);
			b.len = 0;
		}
	}
	for (int i = 0; i < nitem; i++)
		g_free(item[i]);

	/* 四、履行方式和期限 */
	enf_pdf_heading(d, "四、履行方式和期限");
	if (dc->fine > 0 || dc->confiscation > 0) {
		enf_pdf_chinese_count(dc->deadline_days, n1, sizeof n1);
		const char *what = dc->fine > 0 && dc->confiscation > 0 ? "罚没款"
				   : dc->fine > 0                     ? "罚款"
								      : "没收的违法所得";
		if (dc->has_payment) {
			strbuf_printf(&b, "当事人应当自收到本决定书之日起%s日内，将%s缴至%s", n1, what, dc->bank);
			if (dc->account_name && dc->account)
				strbuf_printf(&b, "（户名：%s，账号：%s）", dc->account_name, dc->account);
			else if (dc->account)
				strbuf_printf(&b, "（账号：%s）", dc->account);
			strbuf_puts(&b, "。");
		} else {
			strbuf_printf(&b, "当事人应当自收到本决定书之日起%s日内，到指定的银行或者通过电子支付系统缴纳%s。",
				      n1, what);
		}
		if (dc->fine > 0)
			strbuf_puts(&b, "到期不缴纳罚款的，本机关可以每日按罚款数额的百分之三加处罚款，"
					"加处罚款的数额不超出罚款的数额。");
	} else {
		strbuf_puts(&b, "本决定自送达当事人之日起生效，当事人应当自觉履行。");
	}
	enf_pdf_par(d, b.data, &ST_BODY);
	b.len = 0;

	/* 五、救济途径和期限 */
	enf_pdf_heading(d, "五、救济途径和期限");
	enf_pdf_chinese_count(dc->reconsideration_days, n1, sizeof n1);
	enf_pdf_chinese_count(dc->litigation_months, n2, sizeof n2);
	strbuf_printf(&b,
		      "当事人如不服本处罚决定，可以自收到本决定书之日起%s日内向%s申请行政复议，"
		      "或者自收到本决定书之日起%s个月内依法向%s提起行政诉讼。"
		      "申请行政复议或者提起行政诉讼期间，本处罚决定不停止执行，法律另有规定的除外。"
		      "当事人逾期不申请行政复议、不提起行政诉讼，又不履行本处罚决定的，本机关将依法申请人民法院强制执行。",
		      n1, dc->reconsideration_body, n2, dc->court);
	enf_pdf_par(d, b.data, &ST_BODY);
	b.len = 0;

	/* the signature: the date four characters from the right margin, the
	 * authority centred over it; both stay with the last lines of text */
	if (d->nitems >= 2) {
		d->items[d->nitems - 1].keep_with_next = true;
		d->items[d->nitems - 2].keep_with_next = true;
	}
	char date[32];
	local_date(dc->decided_ms, date);
	PangoLayout *ld = enf_pdf_layout_new(d, date, &ST_SIGN, TEXT_W);
	PangoLayout *la = enf_pdf_layout_new(d, dc->authority, &ST_SIGN, TEXT_W);
	PangoRectangle rd, ra;
	pango_layout_get_extents(ld, NULL, &rd);
	pango_layout_get_extents(la, NULL, &ra);
	double wd = (double)rd.width / PANGO_SCALE, wa = (double)ra.width / PANGO_SCALE;
	double right = MARGIN_LEFT + TEXT_W, centre = right - 4 * BODY_PT - wd / 2;
	double xa = centre - wa / 2;
	if (xa + wa > right)
		xa = right - wa;
	if (xa < MARGIN_LEFT) { /* a very long name: wrap it right-aligned */
		xa = MARGIN_LEFT;
		pango_layout_set_alignment(la, PANGO_ALIGN_RIGHT);
	}
	d->pending_space = 2 * GRID;
	enf_pdf_add_lines(d, la, xa, &ST_SIGN, true);
	/* the seal (印章) goes over the authority's name and the date, centred on the date */
	d->seal_item = d->nitems;
	d->seal_x = centre;
	enf_pdf_add_lines(d, ld, centre - wd / 2, &ST_SIGN, false);
	strbuf_free(&b);
}

int enf_decision_render(const enf_decision *dc, char **pdf, size_t *len, yj_err *e)
{
	*pdf = NULL;
	*len = 0;
	doc d;
	if (enf_pdf_doc_init(&d, e)) {
		enf_pdf_doc_free(&d);
		return -1;
	}
	build(&d, dc);
	enf_pdf_paginate(&d);

	/* PDF metadata wants "YYYY-MM-DDThh:mm:ss+08:00", no fraction */
	char local[40], created[40];
	yj_time_format(dc->decided_ms, local);
	snprintf(created, sizeof created, "%.19s+08:00", local);
	char *title = g_strdup_printf("行政处罚决定书 %s", dc->decision_no);
	strbuf out;
	strbuf_init(&out);
	int rc = enf_pdf_render(&d, title, dc->authority, created, &out, e);
	g_free(title);
	enf_pdf_doc_free(&d);
	if (rc) {
		strbuf_free(&out);
		return -1;
	}
	*pdf = strbuf_take(&out, len);
	return 0;
}

int enf_decision_pdf(json_t *c, char **pdf, size_t *len, yj_err *e)
{
	*pdf = NULL;
	*len = 0;
	enf_decision dc;
	if (decision_read(c, &dc, e))
		return -1;
	return enf_decision_render(&dc, pdf, len, e);
}
