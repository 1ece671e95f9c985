/* Unit tests for src/enforce/pdf.c: amounts in capital numerals, the penalty
 * decision PDF (fonts embedded, text extractable, pages flowing, page 1 as a
 * PNG in tests/out/ to look at), members missing or wrong, threads.
 * The poppler tools (pdffonts, pdftotext, pdfinfo, pdftoppm; poppler-utils)
 * check the output from outside; without them those checks are skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enforce/enf_pdf.h"

#define OUT "tests/out"

/*
 * Leaks that are not ours, kept out of LeakSanitizer's report (tests/lsan.supp
 * says the same for the server binary):
 *  - cairo 1.16 loses about 770 bytes per embedded CID-keyed CFF font (Noto
 *    CJK is one) while subsetting it, inside cairo_surface_finish of a PDF
 *    surface. Our surfaces are finished and destroyed; the lost block is
 *    cairo's own. A surface never destroyed would leak from
 *    cairo_pdf_surface_create_for_stream, which is still reported.
 *  - fontconfig loses 256 bytes once while parsing its configuration.
 * The libraries have no frame pointers, so stacks are unwound from debug
 * info (fast_unwind_on_malloc=0) for the suppressions to see the symbols;
 * ASAN_OPTIONS from the environment still add to this.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:cairo_surface_finish\n"
	       "leak:FcInitLoadConfigAndFonts\n";
}

/* ---- helpers ---- */

static bool have_tool(const char *name)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

static void write_file(const char *path, const char *data, size_t len)
{
	mkdir(OUT, 0755);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* stdout of a shell command, malloc'ed */
static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	strbuf b;
	strbuf_init(&b);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, p)) > 0)
		strbuf_append(&b, buf, n);
	int rc = pclose(p);
	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	assert_int_equal(rc, 0);
	size_t len;
	return strbuf_take(&b, &len);
}

static int pdf_pages(const char *path)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "pdfinfo '%s' | sed -n 's/^Pages: *//p'", path);
	char *out = run(cmd);
	int pages = atoi(out);
	free(out);
	return pages;
}

/* the text of a PDF without white space (pdftotext spaces justified CJK lines) */
static char *pdf_text(const char *path)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 '%s' - | tr -d ' \\n\\f'", path);
	return run(cmd);
}

/* A realistic case: an enterprise fined 25,000 yuan for not training its
 * workers (安全生产法 第二十八条, penalty under 第九十七条). */
static json_t *realistic_case(void)
{
	json_error_t err;
	json_t *c = json_loads(
		"{\"authority\":\"汕尾市应急管理局\","
		"\"decision_no\":\"汕应急罚〔2022〕25号\","
		"\"party\":{\"name\":\"汕尾市海丰县某某五金制品有限公司\",\"type\":\"enterprise\","
		"  \"credit_code\":\"91441521MA4UXXXX7K\","
		"  \"address\":\"汕尾市海丰县城东镇工业大道东侧某某厂区1号\","
		"  \"legal_representative\":\"陈某某\"},"
		"\"facts\":\"2022年5月12日，本机关执法人员依法对你单位进行安全生产执法检查，发现你单位未按规定对从业人员进行安全生产教育和培训：抽查的12名冲压车间一线作业人员中，有7名未经安全生产教育和培训即上岗作业，且你单位未能提供2021年度以来的安全生产教育培训记录及考核资料。\","
		"\"evidence\":[\"《现场检查记录》（汕应急现记〔2022〕31号）\","
		"  \"《询问笔录》2份\",\"从业人员花名册及用工合同复印件\","
		"  \"现场照片12张\",\"营业执照及法定代表人身份证明复印件\"],"
		"\"legal_basis\":\"你单位的上述行为违反了《中华人民共和国安全生产法》第二十八条第一款的规定，依据《中华人民共和国安全生产法》第九十七条第（三）项的规定，应予行政处罚。\","
		"\"penalty_basis\":\"依据《广东省应急管理行政处罚自由裁量权适用规则》及其基准，你单位的违法行为属于一般情形。\","
		"\"penalty\":{\"fine_yuan\":25000},"
		"\"payment\":{\"bank\":\"中国工商银行汕尾分行营业部\",\"account_name\":\"汕尾市财政局非税收入汇缴结算户\","
		"  \"account\":\"2010020109024801234\",\"deadline_days\":15},"
		"\"notified\":\"2022-06-01T15:00:00+08:00\","
		"\"statement_heard\":true,"
		"\"appeal\":{\"reconsideration_body\":\"汕尾市人民政府\",\"court\":\"汕尾市城区人民法院\","
		"  \"reconsideration_days\":60,\"litigation_months\":6},"
		"\"decided\":\"2022-06-15T10:00:00+08:00\"}",
		0, &err);
	if (!c)
		fprintf(stderr, "case JSON: %s at %d:%d\n", err.text, err.line, err.column);
	assert_non_null(c);
	return c;
}

/* ---- amounts ---- */

static void test_amount_chinese(void **state)
{
	static const struct {
		double yuan;
		const char *want;
	} cases[] = {
		{0, "零元整"},
		{1, "壹元整"},
		{10, "壹拾元整"},
		{15, "壹拾伍元整"},
		{100, "壹佰元整"},
		{105, "壹佰零伍元整"},
		{1005, "壹仟零伍元整"},
		{10000, "壹万元整"},
		{20500, "贰万零伍佰元整"},
		{25000, "贰万伍仟元整"},
		{100000, "壹拾万元整"},
		{1234.5, "壹仟贰佰叁拾肆元伍角"},
		{2814800, "贰佰捌拾壹万肆仟捌佰元整"}, /* 281.48万元, the city's fines in 2022 */
		{774800, "柒拾柒万肆仟捌佰元整"},     /* 77.48万元, the bureau's own */
		{100000000, "壹亿元整"},
		/* beyond the list in the brief */
		{0.05, "伍分"},
		{0.5, "伍角"},
		{10.05, "壹拾元零伍分"},
		{1.55, "壹元伍角伍分"},
		{107000.53, "壹拾万柒仟元伍角叁分"},
		/* 万位 zero, 千位 not: the 零 may be left out (支付结算办法), and is */
		{1005000, "壹佰万伍仟元整"},
		{1000500, "壹佰万零伍佰元整"},
		{100000001, "壹亿零壹元整"},
		{100010000, "壹亿零壹万元整"},
		{10010000, "壹仟零壹万元整"},
		{999999999999.99, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"},
	};
	char out[128];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enf_amount_chinese(cases[i].yuan, out, sizeof out);
		if (strcmp(out, cases[i].want) != 0)
			fprintf(stderr, "%.2f: got %s, want %s\n", cases[i].yuan, out, cases[i].want);
		assert_string_equal(out, cases[i].want);
	}
	/* out of range: nothing */
	enf_amount_chinese(-1, out, sizeof out);
	assert_string_equal(out, "");
	enf_amount_chinese(1e12, out, sizeof out);
	assert_string_equal(out, "");
	enf_amount_chinese(0.0 / 0.0, out, sizeof out);
	assert_string_equal(out, "");
	/* a small buffer is cut at a character, never inside one */
	char small[8];
	enf_amount_chinese(25000, small, sizeof small);
	assert_string_equal(small, "贰万");
}

/* ---- the document ---- */

static void test_decision_pdf(void **state)
{
	json_t *c = realistic_case();
	char *pdf = NULL;
	size_t len = 0;
	yj_err e = {0};
	double t0 = yj_mono_ms();
	int rc = enf_decision_pdf(c, &pdf, &len, &e);
	double ms = yj_mono_ms() - t0;
	if (rc)
		fprintf(stderr, "enf_decision_pdf: %s (%s)\n", e.message, e.field);
	assert_int_equal(rc, 0);
	print_message("decision PDF: %zu bytes in %.1f ms\n", len, ms);
	assert_true(len > 1000);
	assert_memory_equal(pdf, "%PDF-", 5);
	assert_non_null(memmem(pdf, len, "/FontFile", 9)); /* embedded, not referenced */
	assert_non_null(memmem(pdf, len, "%%EOF", 5));
	const char *path = OUT "/enf_decision.pdf";
	write_file(path, pdf, len);

	/* the same decision, the same bytes */
	char *again = NULL;
	size_t len2 = 0;
	assert_int_equal(enf_decision_pdf(c, &again, &len2, &e), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(again, pdf, len);
	free(again);
	free(pdf);
	json_decref(c);

	if (!have_tool("pdftotext")) {
		print_message("poppler-utils not installed: text, font and page checks skipped\n");
		return;
	}
	char cmd[512];
	snprintf(cmd, sizeof cmd, "pdffonts '%s'", path);
	char *fonts = run(cmd);
	print_message("%s", fonts);
	assert_non_null(strstr(fonts, "CJK"));
	/* every font line says emb=yes: "name type encoding emb sub uni ..." */
	int font_lines = 0;
	for (char *line = strchr(fonts, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		if (strncmp(line + 1, "----", 4) == 0)
			continue;
		font_lines++;
		assert_non_null(strstr(line + 1, " yes yes "));
	}
	assert_true(font_lines >= 2); /* serif and sans */
	free(fonts);

	char *text = pdf_text(path);
	assert_non_null(strstr(text, "汕尾市应急管理局行政处罚决定书"));
	assert_non_null(strstr(text, "汕应急罚〔2022〕25号"));
	assert_non_null(strstr(text, "汕尾市海丰县某某五金制品有限公司"));
	assert_non_null(strstr(text, "91441521MA4UXXXX7K"));
	assert_non_null(strstr(text, "一、违法事实和证据"));
	assert_non_null(strstr(text, "未按规定对从业人员进行安全生产教育和培训"));
	assert_non_null(strstr(text, "1．《现场检查记录》（汕应急现记〔2022〕31号）；"));
	assert_non_null(strstr(text, "5．营业执照及法定代表人身份证明复印件。"));
	assert_non_null(strstr(text, "第九十七条"));
	assert_non_null(strstr(text, "罚款人民币25,000元（大写：贰万伍仟元整）"));
	assert_non_null(strstr(text, "十五日内"));
	assert_non_null(strstr(text, "（户名：汕尾市财政局非税收入汇缴结算户，账号：2010020109024801234）"));
	assert_non_null(strstr(text, "本机关于2022年6月1日依法告知当事人"));
	assert_non_null(strstr(text, "当事人提出了陈述、申辩"));
	/* 第五十九条: the seal's place marked by the authority's name and the date */
	assert_non_null(strstr(text, "盖章处汕尾市应急管理局2022年6月15日"));
	assert_non_null(strstr(text, "六十日内向汕尾市人民政府申请行政复议"));
	assert_non_null(strstr(text, "六个月内依法向汕尾市城区人民法院提起行政诉讼"));
	assert_non_null(strstr(text, "2022年6月15日"));
	int pages = pdf_pages(path);
	assert_true(pages >= 1 && pages <= 3);
	char want[64];
	snprintf(want, sizeof want, "第1页共%d页", pages);
	assert_non_null(strstr(text, want));
	free(text);

	if (have_tool("pdftoppm")) {
		snprintf(cmd, sizeof cmd, "pdftoppm -png -r 60 -f 1 -l 1 -singlefile '%s' " OUT "/enf_decision_p1",
			 path);
		free(run(cmd));
		struct stat st;
		assert_int_equal(stat(OUT "/enf_decision_p1.png", &st), 0);
		print_message("page 1: " OUT "/enf_decision_p1.png\n");
	}
}

/* Facts of many paragraphs flow over pages; every page is numbered. An
 * individual's ID number is printed (the decision goes to the party). */
static void test_long_decision(void **state)
{
	json_t *c = realistic_case();
	json_t *party = json_object_get(c, "party");
	json_object_set_new(party, "type", json_string("individual"));
	json_object_set_new(party, "name", json_string("林某某"));
	json_object_set_new(party, "id_number", json_string("441521198803150012"));
	json_object_del(party, "credit_code");
	json_object_del(party, "legal_representative");
	strbuf facts;
	strbuf_init(&facts);
	for (int i = 1; i <= 30; i++)
		strbuf_printf(&facts,
			      "%s　　经查，2022年4月%d日，当事人在未取得危险化学品经营许可证的情况下，于其租用的仓库内"
			      "储存并对外销售甲醇、乙酸乙酯等危险化学品，现场查获桶装甲醇%d桶，"
			      "当事人对上述事实无异议。(第%d段)",
			      i > 1 ? "\n" : "", i % 28 + 1, 10 + i, i);
	json_object_set_new(c, "facts", json_string(facts.data));
	strbuf_free(&facts);
	json_t *pen = json_object_get(c, "penalty");
	json_object_set_new(pen, "warning", json_true());
	json_object_set_new(pen, "confiscation_yuan", json_real(1234.5));
	json_object_set_new(pen, "suspension", json_string("责令停产停业整顿一个月。"));
	json_object_set_new(c, "hearing_held", json_true());
	json_object_set_new(c, "hearing_date", json_string("2022-06-10T09:30:00+08:00"));
	json_object_del(c, "statement_heard");
	json_object_set_new(c, "rights_waived", json_true());
	json_object_del(c, "payment");
	json_object_set_new(c, "decided", json_string("2022-06-15T02:00:00.250Z"));

	char *pdf = NULL;
	size_t len = 0;
	yj_err e = {0};
	assert_int_equal(enf_decision_pdf(c, &pdf, &len, &e), 0);
	const char *path = OUT "/enf_decision_long.pdf";
	write_file(path, pdf, len);
	free(pdf);
	json_decref(c);
	if (!have_tool("pdfinfo")) {
		print_message("poppler-utils not installed: page checks skipped\n");
		return;
	}
	int pages = pdf_pages(path);
	print_message("long decision: %d pages\n", pages);
	char info_cmd[512];
	snprintf(info_cmd, sizeof info_cmd, "TZ=Asia/Shanghai pdfinfo '%s' | grep '^CreationDate:'", path);
	char *info = run(info_cmd);
	assert_non_null(strstr(info, "Jun 15 10:00:00 2022"));
	free(info);
	assert_true(pages >= 2);
	char *text = pdf_text(path);
	assert_non_null(strstr(text, "身份证号码：441521198803150012"));
	assert_non_null(strstr(text, "(第30段)"));
	assert_null(strstr(text, "　")); /* the typed indent is not printed */
	assert_non_null(strstr(text, "2022年6月15日"));
	assert_non_null(strstr(text, "本机关依法决定对当事人作出以下行政处罚：1．警告；"));
	assert_non_null(strstr(text, "没收违法所得人民币1,234.50元（大写：壹仟贰佰叁拾肆元伍角）"));
	assert_non_null(strstr(text, "责令停产停业整顿一个月。"));
	assert_non_null(strstr(text, "当事人书面放弃陈述、申辩权利。应当事人要求，本机关于2022年6月10日依法举行了听证。"));
	assert_non_null(strstr(text, "到指定的银行或者通过电子支付系统缴纳罚没款"));
	char want[64];
	for (int p = 1; p <= pages; p++) {
		snprintf(want, sizeof want, "第%d页共%d页", p, pages);
		assert_non_null(strstr(text, want));
	}
	free(text);
	if (have_tool("pdftoppm")) {
		char cmd[512];
		snprintf(cmd, sizeof cmd, "pdftoppm -png -r 60 '%s' " OUT "/enf_decision_long", path);
		free(run(cmd));
	}
}

/* ---- members missing or wrong ---- */

static void expect_field(json_t *c, const char *field)
{
	char *pdf = (char *)1;
	size_t len = 7;
	yj_err e = {0};
	assert_int_equal(enf_decision_pdf(c, &pdf, &len, &e), -1);
	assert_null(pdf);
	assert_int_equal(len, 0);
	assert_int_equal(e.code, YJ_EINVAL);
	if (strcmp(e.field, field) != 0)
		fprintf(stderr, "want field %s, got %s: %s\n", field, e.field, e.message);
	assert_string_equal(e.field, field);
	assert_non_null(strstr(e.message, field));
}

static void test_missing_members(void **state)
{
	static const char *const top[] = {"authority", "decision_no", "party", "facts", "legal_basis",
					  "penalty", "appeal", "decided"};
	for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
		json_t *c = realistic_case();
		json_object_del(c, top[i]);
		expect_field(c, top[i]);
		json_decref(c);
	}
	static const struct {
		const char *obj, *key, *field;
	} inner[] = {
		{"party", "name", "party.name"},
		{"party", "type", "party.type"},
		{"appeal", "reconsideration_body", "appeal.reconsideration_body"},
		{"appeal", "court", "appeal.court"},
		{"payment", "bank", "payment.bank"},
	};
	for (size_t i = 0; i < sizeof inner / sizeof inner[0]; i++) {
		json_t *c = realistic_case();
		json_object_del(json_object_get(c, inner[i].obj), inner[i].key);
		expect_field(c, inner[i].field);
		json_decref(c);
	}
	/* a penalty that names nothing */
	json_t *c = realistic_case();
	json_object_set_new(c, "penalty", json_object());
	expect_field(c, "penalty");
	json_decref(c);
}

static void test_wrong_members(void **state)
{
	static const struct {
		const char *json_path; /* "obj.key" or "key" */
		const char *value;     /* JSON */
		const char *field;
	} cases[] = {
		{"authority", "\"  \"", "authority"},
		{"facts", "42", "facts"},
		{"party", "\"某公司\"", "party"},
		{"party.type", "\"company\"", "party.type"},
		{"evidence", "\"现场照片\"", "evidence"},
		{"evidence", "[\"现场照片\", 3]", "evidence[1]"},
		{"penalty.fine_yuan", "-5", "penalty.fine_yuan"},
		{"penalty.fine_yuan", "\"25000\"", "penalty.fine_yuan"},
		{"penalty.fine_yuan", "1e13", "penalty.fine_yuan"},
		{"penalty.warning", "\"yes\"", "penalty.warning"},
		{"payment.deadline_days", "0", "payment.deadline_days"},
		{"appeal.litigation_months", "6.5", "appeal.litigation_months"},
		{"statement_heard", "1", "statement_heard"},
		{"decided", "\"2022-06-15\"", "decided"},
		{"decided", "\"yesterday\"", "decided"},
		{"notified", "\"yesterday\"", "notified"},
		{"rights_waived", "1", "rights_waived"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *c = realistic_case();
		json_t *v = json_loads(cases[i].value, JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		char key[64];
		snprintf(key, sizeof key, "%s", cases[i].json_path);
		char *dot = strchr(key, '.');
		json_t *obj = c;
		if (dot) {
			*dot = 0;
			obj = json_object_get(c, key);
		}
		json_object_set_new(obj, dot ? dot + 1 : key, v);
		expect_field(c, cases[i].field);
		json_decref(c);
	}
	char *pdf;
	size_t len;
	yj_err e = {0};
	json_t *arr = json_array();
	assert_int_equal(enf_decision_pdf(arr, &pdf, &len, &e), -1);
	assert_int_equal(e.code, YJ_EINVAL);
	json_decref(arr);
	/* facts too long to be a decision */
	json_t *c = realistic_case();
	char *huge = malloc(70001);
	memset(huge, 'x', 70000);
	huge[70000] = 0;
	json_object_set_new(c, "facts", json_string(huge));
	free(huge);
	expect_field(c, "facts");
	json_decref(c);
}

/* ---- threads ---- */

typedef struct job {
	json_t *c;
	const char *want;
	size_t want_len;
	int ok;
} job;

static void *render_job(void *arg)
{
	job *j = arg;
	for (int i = 0; i < 2; i++) {
		char *pdf = NULL;
		size_t len = 0;
		yj_err e = {0};
		if (enf_decision_pdf(j->c, &pdf, &len, &e) == 0 && len == j->want_len &&
		    memcmp(pdf, j->want, len) == 0)
			j->ok++;
		free(pdf);
	}
	return NULL;
}

/* Concurrent calls give the same bytes as one call alone. */
static void test_threads(void **state)
{
	enum { THREADS = 4 };
	json_t *c = realistic_case();
	char *want = NULL;
	size_t want_len = 0;
	yj_err e = {0};
	assert_int_equal(enf_decision_pdf(c, &want, &want_len, &e), 0);
	/* each thread its own copy of the case, as each request has its own */
	job jobs[THREADS];
	pthread_t th[THREADS];
	double t0 = yj_mono_ms();
	for (int i = 0; i < THREADS; i++) {
		jobs[i] = (job){.c = json_deep_copy(c), .want = want, .want_len = want_len};
		assert_int_equal(pthread_create(&th[i], NULL, render_job, &jobs[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(jobs[i].ok, 2);
		json_decref(jobs[i].c);
	}
	print_message("%d documents on %d threads in %.0f ms\n", THREADS * 2, THREADS, yj_mono_ms() - t0);
	free(want);
	json_decref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_amount_chinese),
		cmocka_unit_test(test_decision_pdf),
		cmocka_unit_test(test_long_decision),
		cmocka_unit_test(test_missing_members),
		cmocka_unit_test(test_wrong_members),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
