/* Unit tests of the penalty case's state machine (src/enforce/case_steps.c)
 * on a real temporary database: the legal order of a case that is not
 * major and of one that is, the party's periods after notice counted in
 * working days (a notice on the Friday before the 2024 National Day week),
 * refused steps answering 409 with the allowed actions, role gates, the
 * 90-day limit and its one extension, the deciding authority's numbers, and
 * the audit chain verifying after it all. And the overdue job of hazards: what
 * it tells (a bus event) is told once its pass commits, never after a
 * rollback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "base/workdays.h"
#include "bus/bus.h"
#include "enforce/enf_int.h"
#include "geo/geo.h"
#include "registry/registry.h"
#include "store/store.h"
#include "unit_db.h"

static char db_path[64];
static auth_user commander, inspector, reviewer;

static void make_user(store *s, const char *name, const char *role, const char *area, const char *hash, auth_user *out)
{
	yj_err e = {0};
	auth_user_input in = {.username = name, .display_name = name, .role = role, .area_code = area, .password_hash = hash};
	int64_t id;
	assert_int_equal(auth_user_create(s, NULL, &in, &id, &e), 0);
	assert_int_equal(auth_user_load(s, id, out, &e), 0);
}

static int setup(void **state)
{
	if (unit_db_open(db_path, sizeof db_path, "case"))
		return -1;
	yj_err e = {0};
	store *s = store_thread();
	char hash[128];
	if (auth_password_hash("long-enough-1", hash, &e) || store_begin(s, &e))
		return -1;
	make_user(s, "cmd", "commander", "441523", hash, &commander);
	make_user(s, "insp", "inspector", "441523", hash, &inspector);
	make_user(s, "rev", "legal_reviewer", "441500", hash, &reviewer);
	if (enf_matter_db_insert(s, "AQ-01", "未按规定对从业人员进行安全生产教育和培训", "《安全生产法》第九十七条", true, &e) ||
	    reg_authorities_load(s, &e) || store_commit(s, &e))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	yj_clock_set_offset(0);
	unit_db_remove(db_path);
	return 0;
}

/* ---- helpers: each call in a transaction of its own, as the handlers do ------------------------------- */

typedef struct job {
	const auth_user *u;
	int64_t id;
	const char *action;
	json_t *body;
} job;

static int64_t last_allowed_from; /* of the last refused step */

static int run_action(store *s, void *ctx, yj_err *e)
{
	job *j = ctx;
	return enf_case_action(s, j->u, j->id, j->action, j->body, &last_allowed_from, e);
}

static int run_create(store *s, void *ctx, yj_err *e)
{
	job *j = ctx;
	return enf_case_create(s, j->u, j->body, &j->id, e);
}

/* the action with a JSON body (NULL: {}): 0, or -1 with *e */
static int act(const auth_user *u, int64_t id, const char *action, const char *body, yj_err *e)
{
	job j = {.u = u, .id = id, .action = action, .body = body ? json_loads(body, 0, NULL) : json_object()};
	assert_non_null(j.body);
	memset(e, 0, sizeof *e);
	int rc = store_tx(store_thread(), run_action, &j, e);
	json_decref(j.body);
	return rc;
}

static void must(const auth_user *u, int64_t id, const char *action, const char *body, const char *state)
{
	yj_err e;
	if (act(u, id, action, body, &e))
		fail_msg("%s: %s (%s)", action, e.message, e.field);
	enf_case c;
	assert_int_equal(enf_case_db_get(store_thread(), id, &c, &e), 1);
	assert_string_equal(c.state, state);
	enf_case_clear(&c);
}

static int64_t new_case(void)
{
	yj_err e = {0};
	job j = {.u = &inspector,
	         .body = json_pack("{s:{s:s, s:s}, s:s, s:s, s:s}", "party", "type", "individual", "name", "王五", "area_code",
	                           "441523100", "matter_code", "AQ-01", "title", "未按规定培训")};
	if (store_tx(store_thread(), run_create, &j, &e))
		fail_msg("create: %s", e.message);
	json_decref(j.body);
	return j.id;
}

static int64_t notified_case(double fine)
{
	int64_t id = new_case();
	must(&commander, id, "file", NULL, "filed");
	must(&inspector, id, "investigate", NULL, "investigating");
	char body[200];
	snprintf(body, sizeof body, "{\"facts\": \"未培训\", \"legal_basis\": \"《安全生产法》第九十七条\", \"fine_yuan\": %.0f}", fine);
	must(&inspector, id, "notify", body, "notified");
	return id;
}

/* the clock at 10:00 (+08:00) of a local day */
static void clock_to(int64_t day)
{
	yj_clock_set_offset(0);
	yj_clock_set_offset(yj_day_start(day) + 10 * 3600000LL - yj_now_ms());
}

static int64_t day_of(const char *s)
{
	int64_t d = 0;
	assert_int_equal(yj_day_parse(s, &d), 0);
	return d;
}

/* the day the periods after the case's notice let it be decided */
static int64_t decide_from(int64_t id, bool hearing_right)
{
	enf_case c;
	enf_case_proc p;
	yj_err e;
	assert_int_equal(enf_case_db_get(store_thread(), id, &c, &e), 1);
	assert_int_equal(enf_case_proc_read(store_thread(), &c, &p, &e), 0);
	enf_case_clear(&c);
	return yj_workdays_after(yj_day_of(p.notified_ms), hearing_right ? 5 : 3) + 1;
}

static void assert_allowed(int64_t id, const char *expected)
{
	json_t *j = enf_case_json(store_thread(), id, false);
	assert_non_null(j);
	char *got = json_dumps(json_object_get(j, "allowed_actions"), JSON_COMPACT);
	assert_string_equal(got, expected);
	free(got);
	json_decref(j);
}

/* ---- the tests ------------------------------------------------------------------------------------------ */

static void test_minor_case_in_order(void **state)
{
	int64_t id = new_case();
	assert_allowed(id, "[\"file\"]");
	must(&commander, id, "file", NULL, "filed");
	must(&inspector, id, "investigate", NULL, "investigating");
	must(&inspector, id, "notify", "{\"facts\": \"未培训\", \"legal_basis\": \"第九十七条\", \"fine_yuan\": 5000}", "notified");
	/* not major: decided after notification, once the party's statement period has run */
	assert_allowed(id, "[\"record_statement\",\"waive\",\"submit_review\",\"extend\"]");
	yj_err e;
	int64_t from = decide_from(id, false);
	assert_int_equal(act(&commander, id, "decide", NULL, &e), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
	assert_string_equal(e.field, "allowed_from");
	assert_int_equal(last_allowed_from, from);
	clock_to(from);
	assert_allowed(id, "[\"record_statement\",\"waive\",\"submit_review\",\"decide\",\"extend\"]");
	must(&commander, id, "decide", NULL, "decided");
	enf_case c;
	assert_int_equal(enf_case_db_get(store_thread(), id, &c, &e), 1);
	/* decided by the county's bureau (the case was opened there), in its numbers */
	char want[64];
	snprintf(want, sizeof want, "陆河应急罚〔%d〕", enf_year_of(yj_now_ms()));
	assert_string_equal(c.authority_code, "441523");
	assert_non_null(c.decision_no);
	assert_true(strncmp(c.decision_no, want, strlen(want)) == 0);
	assert_false(c.major);
	enf_case_clear(&c);
	must(&inspector, id, "serve", "{\"method\": \"直接送达\"}", "served");
	/* paid short of the fine: refused, the case stays served */
	assert_int_equal(act(&inspector, id, "record_payment", "{\"amount_yuan\": 100}", &e), -1);
	assert_int_equal(e.code, YJ_EUNPROCESSABLE);
	must(&inspector, id, "record_payment", "{\"amount_yuan\": 5000}", "executed");
	must(&commander, id, "close", NULL, "closed");
	assert_allowed(id, "[]");
	yj_clock_set_offset(0);
}

/* 第八十五条: the periods are working days. A notice served on Friday 27 September 2024, before the
 * National Day week (29 Sep a working Sunday, 1–7 Oct off): the statement period is 29 Sep, 30 Sep,
 * 8 Oct; the hearing-request period runs on to 10 Oct. */
static void test_periods_in_working_days(void **state)
{
	yj_err e;
	clock_to(day_of("2024-09-27"));
	int64_t small = notified_case(3000), large = notified_case(20000);
	assert_int_equal(act(&commander, small, "decide", NULL, &e), -1);
	assert_int_equal(last_allowed_from, day_of("2024-10-09"));
	assert_non_null(strstr(e.message, "2024年10月8日届满，2024年10月9日起方可决定"));
	assert_int_equal(act(&commander, large, "decide", NULL, &e), -1);
	assert_int_equal(last_allowed_from, day_of("2024-10-11"));
	assert_non_null(strstr(e.message, "要求听证的期限（告知后5个工作日）至2024年10月10日届满"));
	clock_to(day_of("2024-10-08"));
	assert_int_equal(act(&commander, small, "decide", NULL, &e), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
	clock_to(day_of("2024-10-09"));
	must(&commander, small, "decide", NULL, "decided");
	assert_int_equal(act(&commander, large, "decide", NULL, &e), -1);
	/* the hearing may still be asked for on the period's last day, not after it */
	clock_to(day_of("2024-10-10"));
	assert_allowed(large, "[\"record_statement\",\"waive\",\"request_hearing\",\"submit_review\",\"extend\"]");
	clock_to(day_of("2024-10-11"));
	assert_int_equal(act(&inspector, large, "request_hearing", NULL, &e), -1);
	assert_non_null(strstr(e.message, "已于2024年10月10日届满"));
	must(&commander, large, "decide", NULL, "decided");
	/* numbered per authority and year: 2024's own sequence */
	enf_case c;
	assert_int_equal(enf_case_db_get(store_thread(), large, &c, &e), 1);
	assert_string_equal(c.decision_no, "陆河应急罚〔2024〕2号");
	enf_case_clear(&c);
	yj_clock_set_offset(0);
}

static void test_major_case_goes_through_review(void **state)
{
	int64_t id = notified_case(80000);
	yj_err e;
	/* a major case is not decided after notification: 409 naming what is allowed */
	assert_int_equal(act(&commander, id, "decide", NULL, &e), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
	assert_non_null(strstr(e.message, "法制审核"));
	assert_non_null(strstr(e.message, "现在允许：record_statement, waive, request_hearing, submit_review, extend"));
	assert_allowed(id, "[\"record_statement\",\"waive\",\"request_hearing\",\"submit_review\",\"extend\"]");
	must(&inspector, id, "submit_review", NULL, "legal_review");
	/* the reviewer's step, not the inspector's: 403 */
	assert_int_equal(act(&inspector, id, "approve_review", "{\"opinion\": \"同意\"}", &e), -1);
	assert_int_equal(e.code, YJ_EFORBIDDEN);
	assert_int_equal(act(&reviewer, id, "approve_review", "{}", &e), -1);
	assert_string_equal(e.field, "opinion");
	must(&reviewer, id, "approve_review", "{\"opinion\": \"事实清楚\"}", "collective_discussion");
	assert_int_equal(act(&commander, id, "discuss", "{\"conclusion\": \"同意\", \"participants\": [\"甲\", \"乙\"]}", &e), -1);
	assert_string_equal(e.field, "participants");
	must(&commander, id, "discuss", "{\"conclusion\": \"同意\", \"participants\": [\"甲\", \"乙\", \"丙\"]}", "reviewed");
	/* reviewed and discussed, still within the five days to ask for a hearing: not yet */
	assert_int_equal(act(&commander, id, "decide", NULL, &e), -1);
	assert_int_equal(last_allowed_from, decide_from(id, true));
	clock_to(decide_from(id, true));
	must(&commander, id, "decide", NULL, "decided");
	yj_clock_set_offset(0);
}

static void test_refused_steps_name_the_allowed_ones(void **state)
{
	int64_t id = new_case();
	yj_err e;
	assert_int_equal(act(&commander, id, "decide", NULL, &e), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
	assert_string_equal(e.field, "state");
	assert_string_equal(e.message, "案件处于 draft 状态，不能执行 decide；现在允许：file");
	assert_int_equal(act(&commander, id, "close", NULL, &e), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
	/* the step of another role: 403, and nothing moved */
	assert_int_equal(act(&inspector, id, "file", NULL, &e), -1);
	assert_int_equal(e.code, YJ_EFORBIDDEN);
	assert_allowed(id, "[\"file\"]");
	/* no such action: 404 naming it */
	assert_int_equal(act(&commander, id, "frobnicate", NULL, &e), -1);
	assert_int_equal(e.code, YJ_ENOTFOUND);
	assert_string_equal(e.field, "action");
	/* a step once taken is not taken again */
	must(&commander, id, "file", NULL, "filed");
	assert_int_equal(act(&commander, id, "file", NULL, &e), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
	assert_non_null(strstr(e.message, "现在允许：investigate, extend"));
	/* a hearing only with the right to one (a fine below 10,000 yuan gives none) */
	int64_t small = notified_case(3000);
	assert_int_equal(act(&inspector, small, "request_hearing", NULL, &e), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
	assert_non_null(strstr(e.message, "不属于听证范围"));
	assert_allowed(small, "[\"record_statement\",\"waive\",\"submit_review\",\"extend\"]");
}

static void test_ninety_days(void **state)
{
	int64_t id = notified_case(3000);
	yj_err e;
	yj_clock_set_offset(91LL * 86400000);
	assert_int_equal(act(&commander, id, "decide", NULL, &e), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
	assert_string_equal(e.field, "deadline");
	assert_non_null(strstr(e.message, "90日"));
	assert_int_equal(act(&commander, id, "extend", "{}", &e), -1);
	assert_string_equal(e.field, "reason");
	must(&commander, id, "extend", "{\"reason\": \"案情复杂\", \"days\": 30}", "notified");
	assert_int_equal(act(&commander, id, "extend", "{\"reason\": \"again\"}", &e), -1);
	assert_string_equal(e.field, "extended");
	must(&commander, id, "decide", NULL, "decided");
	/* past the extension too: refused, saying so */
	int64_t late = notified_case(3000);
	must(&commander, late, "extend", "{\"reason\": \"补充鉴定\", \"days\": 10}", "notified");
	yj_clock_set_offset(91LL * 86400000 + 102LL * 86400000);
	assert_int_equal(act(&commander, late, "decide", NULL, &e), -1);
	assert_non_null(strstr(e.message, "延长的期限也已届满"));
	yj_clock_set_offset(0);
}

static void test_timeline_and_audit(void **state)
{
	int64_t id = notified_case(20000);
	json_t *j = enf_case_json(store_thread(), id, true);
	json_t *tl = json_object_get(j, "timeline");
	assert_int_equal(json_array_size(tl), 3);
	json_t *notify = json_array_get(tl, 2);
	assert_string_equal(json_string_value(json_object_get(notify, "action")), "notify");
	assert_string_equal(json_string_value(json_object_get(notify, "from")), "investigating");
	assert_true(json_is_true(json_object_get(json_object_get(json_object_get(notify, "data"), "rights"), "hearing")));
	json_decref(j);
	/* every step above was recorded through the case's projection: the chain and the states verify */
	audit_report r;
	memset(&r, 0, sizeof r);
	yj_err e = {0};
	assert_int_equal(audit_verify(store_thread(), &r, &e), 0);
	assert_int_equal(r.first_broken_id, 0);
	assert_true(r.objects > 0);
}

/* ---- overdue hazards: told after commit ---------------------------------------------------------------------- */

static int told;
static char told_data[128];

static void on_overdue(const bus_event *ev, void *ctx)
{
	told++;
	snprintf(told_data, sizeof told_data, "%s %s %s", ev->stream, ev->name, ev->data);
}

static void test_overdue_told_after_commit(void **state)
{
	store *s = store_thread();
	yj_err e = {0};
	/* an enterprise of the registry's, written here as set-up data */
	assert_int_equal(store_exec_script(s,
	                                   "INSERT INTO enterprise(id, name, area_code, credit_code, created_ms, updated_ms) "
	                                   "VALUES (9001, '测试化工有限公司', '441523100', '91441523TEST00001X', 0, 0)",
	                                   &e),
	                 0);
	int64_t now = yj_now_ms(), hid;
	enf_hazard_new h = {.enterprise_id = 9001, .source = "inspection", .level = "general", .description = "警示标志缺失",
	                    .area_code = "441523100", .deadline_ms = now + 86400000, .created_by = inspector.id, .now = now};
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(enf_hazard_db_insert(s, &h, &hid, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	/* a pass two days later that rolls back: flagged nowhere, told to nobody */
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(enf_overdue_job(s, now + 2 * 86400000LL, NULL, &e), 0);
	assert_int_equal(told, 0);
	store_rollback(s);
	assert_int_equal(told, 0);
	enf_hazard got;
	assert_int_equal(enf_hazard_db_get(s, hid, &got, &e), 1);
	assert_false(got.overdue);
	enf_hazard_clear(&got);
	/* the same pass committed: flagged, and told once, on the hazards stream */
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(enf_overdue_job(s, now + 2 * 86400000LL, NULL, &e), 0);
	assert_int_equal(told, 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(told, 1);
	char want[128];
	snprintf(want, sizeof want, "hazards overdue {\"hazard_id\":%lld,\"enterprise_id\":9001}", (long long)hid);
	assert_string_equal(told_data, want);
	assert_int_equal(enf_hazard_db_get(s, hid, &got, &e), 1);
	assert_true(got.overdue);
	enf_hazard_clear(&got);
	/* flagged once: the next pass has nothing to do */
	assert_int_equal(store_begin(s, &e), 0);
	assert_int_equal(enf_overdue_job(s, now + 3 * 86400000LL, NULL, &e), 0);
	assert_int_equal(store_commit(s, &e), 0);
	assert_int_equal(told, 1);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	auth_init();
	enf_init();
	bus_on_commit(ENF_EV_HAZARD_OVERDUE, on_overdue, NULL, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minor_case_in_order),
		cmocka_unit_test(test_major_case_goes_through_review),
		cmocka_unit_test(test_periods_in_working_days),
		cmocka_unit_test(test_refused_steps_name_the_allowed_ones),
		cmocka_unit_test(test_ninety_days),
		cmocka_unit_test(test_overdue_told_after_commit),
		cmocka_unit_test(test_timeline_and_audit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
