/* Unit tests for src/dispatch: the escalation state machine on a real
 * database (store_open on a temporary file, the built-in area tree).
 * Recipients are made the way a running server makes them: the warning's
 * events (WARN_EV_*) are emitted on the bus inside a transaction, and
 * dispatch's subscribers answer. The clock is moved, the escalation job
 * run as the scheduler runs it (a transaction a run).
 *
 *   - unanswered past the level's limit: to the duty officers one level up,
 *     again and again, to the city, then never again
 *   - an acknowledgement in time never escalates
 *   - an expired or cancelled warning stops escalating (and one whose state
 *     moved without its event is dropped from the deadline index)
 *   - a wave larger than a batch goes on in later runs
 *   - recipients lie in the issuing jurisdiction, whatever the targets
 *
 * YJ_FANOUT_USERS=100000 adds a measurement of the fan-out to that many
 * grid workers (the CPU time of the issuing transaction's dispatch).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "dispatch/disp_int.h"
#include "geo/geo.h"
#include "store/store.h"
#include "unit_db.h"
#include "warning/warning.h"

static char db_path[64];
static const char *TOWN = "441523100";  /* 河田镇, of 陆河县 441523 */
static char village[2][16];             /* two villages of the town */
static char other_village[16];          /* a village of 城区 441502: another county */
static int64_t author;

/* ---- fixture -------------------------------------------------------------------------------- */

static int64_t user(const char *name, const char *role, const char *area)
{
	yj_err e = {0};
	int64_t id = 0;
	int rc = store_get_int(store_thread(), &id, &e,
	                       "INSERT INTO user(username, display_name, role, area_code, password_hash, created_ms, updated_ms) "
	                       "VALUES (?, ?, ?, ?, 'x', 0, 0) RETURNING id",
	                       name, name, role, area);
	assert_int_equal(rc, 1);
	return id;
}

static int setup(void **state)
{
	if (unit_db_open(db_path, sizeof db_path, "escalation"))
		return -1;
	yj_err e = {0};
	store *s = store_thread();
	for (int i = 0; i < 2; i++)
		if (store_get_text(s, village[i], sizeof village[i], &e,
		                   "SELECT code FROM area WHERE parent = ? ORDER BY code LIMIT 1 OFFSET ?", TOWN, i) != 1)
			return -1;
	if (store_get_text(s, other_village, sizeof other_village, &e,
	                   "SELECT code FROM area WHERE level = 4 AND code >= '441502' AND code < '441503' LIMIT 1") != 1)
		return -1;
	disp_config cfg = {.ack_limit_min = {60, 30, 20, 10}};
	disp_init();
	if (disp_start(&cfg, &e))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	disp_stop();
	unit_db_remove(db_path);
	return 0;
}

/* a fresh set of people for one test: grid workers of both villages and the other county's, duty officers
 * of the town, the county and the city; the tables of earlier tests are emptied */
typedef struct people {
	int64_t gw[2], gw_other, town_duty, county_duty, city_duty;
} people;

static people fresh_people(void)
{
	yj_err e = {0};
	store *s = store_thread();
	assert_int_equal(store_exec_script(s,
	                                   "DELETE FROM escalation; DELETE FROM transfer_report; DELETE FROM transfer_task; "
	                                   "DELETE FROM recipient; DELETE FROM audit; DELETE FROM warning_version; "
	                                   "DELETE FROM warning; DELETE FROM risk_point; DELETE FROM user;",
	                                   &e),
	                 0);
	people p;
	author = user("author", "duty_officer", "441523");
	p.county_duty = author;
	p.gw[0] = user("gw0", "grid_worker", village[0]);
	p.gw[1] = user("gw1", "grid_worker", village[1]);
	p.gw_other = user("gw_other", "grid_worker", other_village);
	p.town_duty = user("town_duty", "duty_officer", TOWN);
	p.city_duty = user("city_duty", "duty_officer", "441500");
	return p;
}

/* a warning row as the warning module stores it, issued now by the county */
static int64_t warning(const char *level, const char *areas, const char *polygons)
{
	yj_err e = {0};
	int64_t now = yj_now_ms(), id = 0;
	int rc = store_get_int(store_thread(), &id, &e,
	                       "INSERT INTO warning(identifier, version, type, level, headline, areas, polygons, expires_ms, "
	                       "state, area_code, author_id, issued_ms, created_ms, updated_ms) "
	                       "VALUES ('t-' || ?, 1, 'rainstorm', ?, '暴雨', ?, ?, ?, 'issued', '441523', ?, ?, ?, ?) RETURNING id",
	                       now, level, areas, polygons, now + 24 * 3600000LL, author, now, now, now);
	assert_int_equal(rc, 1);
	return id;
}

/* the warning module's event, in a transaction as it emits it */
static int emit(const char *topic, int64_t id, int version, bool evacuation)
{
	yj_err e = {0};
	store *s = store_thread();
	warn_event we = {.warning_id = id, .version = version, .evacuation = evacuation};
	bus_event ev = {.topic = topic, .id = id, .payload = &we, .payload_len = sizeof we};
	if (store_begin(s, &e))
		return -1;
	if (bus_emit(s, &ev, &e) || store_commit(s, &e)) {
		store_rollback(s);
		print_message("emit %s: %s\n", topic, e.message);
		return -1;
	}
	return 0;
}

static void set_state(int64_t id, const char *state)
{
	yj_err e = {0};
	assert_int_equal(store_run(store_thread(), &e, "UPDATE warning SET state = ? WHERE id = ?", state, id), 1);
}

/* one run of the escalation job at now + minutes, as the scheduler runs it: its answer */
static int escalate_at(int minutes)
{
	yj_err e = {0};
	store *s = store_thread();
	assert_int_equal(store_begin(s, &e), 0);
	int rc = disp_escalate_due(s, yj_now_ms() + (int64_t)minutes * 60000, NULL, &e);
	if (rc < 0) {
		print_message("escalate: %s\n", e.message);
		store_rollback(s);
		return -1;
	}
	assert_int_equal(store_commit(s, &e), 0);
	return rc;
}

/* the first column of the one row of a query, as an integer */
static int64_t count_of(store_q *q)
{
	assert_non_null(q);
	assert_int_equal(store_step(q, NULL), 1);
	int64_t n = store_col_int(q, 0);
	store_done(q);
	return n;
}
#define COUNT(...) count_of(store_query(store_thread(), NULL, __VA_ARGS__))

/* the area an escalation of this user's record went to at step */
static void escalated_to(int64_t warning_id, int64_t user_id, int step, char out[16])
{
	yj_err e = {0};
	out[0] = 0;
	store_get_text(store_thread(), out, 16, &e,
	               "SELECT x.to_area FROM escalation x JOIN recipient r ON r.id = x.recipient_id "
	               "WHERE x.warning_id = ? AND r.user_id = ? AND x.step = ?",
	               warning_id, user_id, step);
}

static int64_t escalations_of(int64_t warning_id, int64_t user_id)
{
	return COUNT("SELECT count(*) FROM escalation x JOIN recipient r ON r.id = x.recipient_id "
	             "WHERE x.warning_id = ? AND r.user_id = ?",
	             warning_id, user_id);
}

/* ---- the state machine -------------------------------------------------------------------------------------- */

static void test_escalates_up_to_the_city(void **state)
{
	people p = fresh_people();
	char areas[64];
	snprintf(areas, sizeof areas, "[\"%s\"]", TOWN);
	int64_t w = warning("red", areas, "[]");
	assert_int_equal(emit(WARN_EV_VERSION, w, 1, false), 0);
	/* the town's grid workers and its duty officer; nobody of the county above, nobody elsewhere */
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ?", w), 3);
	assert_int_equal(escalate_at(9), 0); /* red: 10 minutes */
	assert_int_equal(COUNT("SELECT count(*) FROM escalation WHERE warning_id = ?", w), 0);

	assert_int_equal(escalate_at(11), 0);
	char to[16];
	escalated_to(w, p.gw[0], 1, to);
	assert_string_equal(to, TOWN); /* the village's grid worker: to the town's duty officers */
	escalated_to(w, p.town_duty, 1, to);
	assert_string_equal(to, "441523"); /* the town's own duty officer: to the county */
	/* the supervisors named are the town's duty officer */
	char sup[64];
	yj_err e = {0};
	store_get_text(store_thread(), sup, sizeof sup, &e,
	               "SELECT x.supervisors FROM escalation x JOIN recipient r ON r.id = x.recipient_id "
	               "WHERE r.user_id = ? AND x.step = ?",
	               p.gw[0], 1);
	char want[32];
	snprintf(want, sizeof want, "[%lld]", (long long)p.town_duty);
	assert_string_equal(sup, want);
	/* the same run again: nothing more until another limit has passed */
	assert_int_equal(escalate_at(12), 0);
	assert_int_equal(escalations_of(w, p.gw[0]), 1);

	assert_int_equal(escalate_at(22), 0);
	escalated_to(w, p.gw[0], 2, to);
	assert_string_equal(to, "441523");
	assert_int_equal(escalate_at(33), 0);
	escalated_to(w, p.gw[0], 3, to);
	assert_string_equal(to, "441500"); /* the city: the top */
	escalated_to(w, p.town_duty, 2, to);
	assert_string_equal(to, "441500");
	/* after the city, never again */
	assert_int_equal(escalate_at(60), 0);
	assert_int_equal(escalate_at(120), 0);
	assert_int_equal(escalations_of(w, p.gw[0]), 3);
	assert_int_equal(escalations_of(w, p.town_duty), 2);
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ? AND next_escalation_ms IS NOT NULL", w),
	                 0);
}

static void test_ack_in_time_never_escalates(void **state)
{
	people p = fresh_people();
	char areas[64];
	snprintf(areas, sizeof areas, "[\"%s\"]", TOWN);
	int64_t w = warning("orange", areas, "[]"); /* 20 minutes */
	assert_int_equal(emit(WARN_EV_VERSION, w, 1, false), 0);
	auth_user me = {.id = p.gw[0], .role = ROLE_GRID_WORKER};
	snprintf(me.username, sizeof me.username, "gw0");
	disp_ack j = {.warning = w, .asked = 1, .user = &me};
	yj_err e = {0};
	assert_int_equal(store_tx(store_thread(), disp_ack_run, &j, &e), 0);
	assert_string_equal(j.r.state, "acknowledged");
	assert_string_equal(j.wstate, "issued");
	assert_int_equal(escalate_at(21), 0);
	assert_int_equal(escalations_of(w, p.gw[0]), 0);
	assert_int_equal(escalations_of(w, p.gw[1]), 1); /* the other one did not answer */
	assert_int_equal(escalate_at(45), 0);
	assert_int_equal(escalations_of(w, p.gw[0]), 0);
	/* the one answered after its first step: its escalation resolved, not escalated again */
	disp_ack late = {.warning = w, .user = &me};
	me.id = p.gw[1];
	assert_int_equal(store_tx(store_thread(), disp_ack_run, &late, &e), 0);
	assert_int_equal(COUNT("SELECT count(*) FROM escalation x JOIN recipient r ON r.id = x.recipient_id "
	                       "WHERE r.user_id = ? AND x.resolved_ms IS NULL AND x.warning_id = ?",
	                       p.gw[1], w),
	                 0);
	int64_t before = escalations_of(w, p.gw[1]);
	assert_int_equal(escalate_at(90), 0);
	assert_int_equal(escalations_of(w, p.gw[1]), before);
	/* acknowledgements are audited, each once */
	assert_int_equal(COUNT("SELECT count(*) FROM audit WHERE action = ?", "recipient.ack"), 2);
}

static void test_expired_or_cancelled_stops(void **state)
{
	people p = fresh_people();
	char areas[64];
	snprintf(areas, sizeof areas, "[\"%s\"]", TOWN);
	/* expired: its event takes everyone out of the deadline index */
	int64_t expired = warning("red", areas, "[]");
	assert_int_equal(emit(WARN_EV_VERSION, expired, 1, false), 0);
	set_state(expired, "expired");
	assert_int_equal(emit(WARN_EV_EXPIRED, expired, 1, false), 0);
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ? AND next_escalation_ms IS NOT NULL", expired),
	                 0);
	/* cancelled after a first step: open escalations resolved, no further step */
	int64_t cancelled = warning("red", areas, "[]");
	assert_int_equal(emit(WARN_EV_VERSION, cancelled, 1, false), 0);
	assert_int_equal(escalate_at(11), 0);
	assert_int_equal(escalations_of(cancelled, p.gw[0]), 1);
	set_state(cancelled, "cancelled");
	assert_int_equal(emit(WARN_EV_CANCELLED, cancelled, 2, false), 0);
	assert_int_equal(COUNT("SELECT count(*) FROM escalation WHERE warning_id = ? AND resolved_ms IS NULL", cancelled),
	                 0);
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ? AND version = ?", cancelled, 2), 3);
	/* a warning whose state moved without its event: dropped from the index on the next pass */
	int64_t quiet = warning("red", areas, "[]");
	assert_int_equal(emit(WARN_EV_VERSION, quiet, 1, false), 0);
	set_state(quiet, "expired");
	assert_int_equal(escalate_at(40), 0);
	assert_int_equal(escalate_at(80), 0);
	assert_int_equal(escalations_of(expired, p.gw[0]), 0);
	assert_int_equal(escalations_of(cancelled, p.gw[0]), 1);
	assert_int_equal(escalations_of(quiet, p.gw[0]), 0);
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ? AND next_escalation_ms IS NOT NULL", quiet),
	                 0);
	/* acknowledging a cancelled warning: nothing to acknowledge */
	auth_user me = {.id = p.gw[0], .role = ROLE_GRID_WORKER};
	disp_ack j = {.warning = cancelled, .user = &me};
	yj_err e = {0};
	assert_int_equal(store_tx(store_thread(), disp_ack_run, &j, &e), -1);
	assert_int_equal(e.code, YJ_ECONFLICT);
}

static void test_wave_continues_in_later_runs(void **state)
{
	fresh_people();
	/* more unanswered recipients than a batch, in one village */
	yj_err e = {0};
	store *s = store_thread();
	assert_int_equal(store_begin(s, &e), 0);
	for (int i = 0; i < DISP_ESCALATE_BATCH + 500; i++) {
		char name[32];
		snprintf(name, sizeof name, "wave%d", i);
		user(name, "grid_worker", village[0]);
	}
	assert_int_equal(store_commit(s, &e), 0);
	char areas[64];
	snprintf(areas, sizeof areas, "[\"%s\"]", village[0]);
	int64_t w = warning("red", areas, "[]");
	assert_int_equal(emit(WARN_EV_VERSION, w, 1, false), 0);
	int64_t all = COUNT("SELECT count(*) FROM recipient WHERE warning_id = ?", w);
	assert_true(all > DISP_ESCALATE_BATCH);
	assert_int_equal(escalate_at(11), 1); /* a full batch: more to do */
	assert_int_equal(COUNT("SELECT count(*) FROM escalation WHERE warning_id = ?", w), DISP_ESCALATE_BATCH);
	assert_int_equal(escalate_at(11), 0); /* the rest, in a later run */
	assert_int_equal(COUNT("SELECT count(*) FROM escalation WHERE warning_id = ?", w), all);
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ? AND escalations = ?", w, 1), all);
}

/* ---- who is told --------------------------------------------------------------------------------------------- */

static void test_recipients_stay_in_the_jurisdiction(void **state)
{
	people p = fresh_people();
	/* a risk point of the other county with its grid worker, and one of ours */
	yj_err e = {0};
	store *s = store_thread();
	assert_true(store_run(s, &e,
	                      "INSERT INTO risk_point(name, area_code, lon, lat, created_ms, updated_ms, type, population, "
	                      "grid_worker_id) VALUES ('外县隐患点', ?, 115.3, 22.8, 0, 0, 'landslide', 40, ?), "
	                      "('本县隐患点', ?, 115.65, 23.25, 0, 0, 'landslide', 30, ?)",
	                      other_village, p.gw_other, village[0], p.gw[0]) == 2);
	/* the county names the other county's area and draws a polygon over its risk point */
	const char *poly = "[{\"type\":\"Polygon\",\"coordinates\":[[[115.2,22.7],[115.4,22.7],[115.4,22.9],[115.2,22.9],"
	                   "[115.2,22.7]]]},{\"type\":\"Polygon\",\"coordinates\":[[[115.6,23.2],[115.7,23.2],[115.7,23.3],"
	                   "[115.6,23.3],[115.6,23.2]]]}]";
	int64_t w = warning("blue", "[\"441502\"]", poly);
	assert_int_equal(emit(WARN_EV_VERSION, w, 1, true), 0);
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ? AND user_id = ?", w, p.gw_other), 0);
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ? AND area_code NOT LIKE '441523%'", w),
	                 0);
	/* the polygon over our own risk point reaches its grid worker, with a task (evacuation) */
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ? AND user_id = ?", w, p.gw[0]), 1);
	assert_int_equal(COUNT("SELECT count(*) FROM transfer_task WHERE warning_id = ? AND grid_worker_id = ?", w, p.gw[0]),
	                 1);
	assert_int_equal(COUNT("SELECT count(*) FROM transfer_task WHERE warning_id = ? AND area_code NOT LIKE '441523%'", w),
	                 0);
	/* the city named as a target: only the issuing county's people */
	int64_t wide = warning("blue", "[\"441500\"]", "[]");
	assert_int_equal(emit(WARN_EV_VERSION, wide, 1, false), 0);
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ? AND user_id = ?", wide, p.gw_other), 0);
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ? AND user_id = ?", wide, p.city_duty), 0);
	assert_int_equal(COUNT("SELECT count(*) FROM recipient WHERE warning_id = ? AND user_id = ?", wide, p.gw[1]), 1);
	/* the renderer adds the counts to the warning's JSON */
	json_t *out = json_object();
	warn_render_extras(s, wide, out);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "recipients"), "total")),
	                 COUNT("SELECT count(*) FROM recipient WHERE warning_id = ?", wide));
	json_decref(out);
}

/* ---- measurement (YJ_FANOUT_USERS) ---------------------------------------------------------------------------- */

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_fanout_measure(void **state)
{
	const char *env = getenv("YJ_FANOUT_USERS");
	long n = env ? strtol(env, NULL, 10) : 0;
	if (n <= 0)
		skip();
	fresh_people();
	yj_err e = {0};
	store *s = store_thread();
	/* n grid workers spread over the county's villages */
	assert_int_equal(store_exec_script(s,
	                                   "CREATE TEMP TABLE v AS SELECT code, row_number() OVER (ORDER BY code) - 1 AS k "
	                                   "FROM area WHERE level = 4 AND code >= '441523' AND code < '441524';",
	                                   &e),
	                 0);
	int64_t nv = COUNT("SELECT count(*) FROM v WHERE k >= ?", 0);
	assert_true(store_run(s, &e,
	                      "WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i + 1 < ?) "
	                      "INSERT INTO user(username, display_name, role, area_code, password_hash, created_ms, updated_ms) "
	                      "SELECT 'm' || g.i, '压测 ' || g.i, 'grid_worker', v.code, 'x', 0, 0 FROM g JOIN v ON v.k = g.i % ?",
	                      n, nv) == n);
	int64_t w = warning("red", "[\"441523\"]", "[]");
	double c0 = cpu_ms(), t0 = yj_mono_ms();
	assert_int_equal(emit(WARN_EV_VERSION, w, 1, false), 0);
	double cpu = cpu_ms() - c0, wall = yj_mono_ms() - t0;
	int64_t made = COUNT("SELECT count(*) FROM recipient WHERE warning_id = ?", w);
	/* the set-based statement of before, on the same rows, for comparison */
	int64_t w2 = warning("red", "[\"441523\"]", "[]");
	c0 = cpu_ms();
	t0 = yj_mono_ms();
	assert_int_equal(store_begin(s, &e), 0);
	assert_true(store_run(s, &e,
	                      "INSERT INTO recipient(warning_id, user_id, area_code, channel, state, version, queued_ms, "
	                      "sent_ms, delivered_ms, next_escalation_ms) SELECT ?1, id, area_code, 'in_app', 'delivered', 1, "
	                      "?2, ?2, ?2, ?2 FROM user WHERE disabled = 0 AND role IN ('grid_worker', 'duty_officer') "
	                      "AND area_code >= '441523' AND area_code < '441524' ON CONFLICT DO NOTHING",
	                      w2, yj_now_ms()) > 0);
	assert_int_equal(store_commit(s, &e), 0);
	print_message("fan-out to %lld recipients: %.1f ms CPU, %.1f ms wall (the set-based INSERT ... SELECT: %.1f ms CPU, "
	              "%.1f ms wall)\n",
	              (long long)made, cpu, wall, cpu_ms() - c0, yj_mono_ms() - t0);
	assert_true(made >= n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escalates_up_to_the_city),
		cmocka_unit_test(test_ack_in_time_never_escalates),
		cmocka_unit_test(test_expired_or_cancelled_stops),
		cmocka_unit_test(test_wave_continues_in_later_runs),
		cmocka_unit_test(test_recipients_stay_in_the_jurisdiction),
		cmocka_unit_test(test_fanout_measure),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
