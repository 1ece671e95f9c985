/*
 * draw.c — the double-random draw (双随机): which enterprises are inspected,
 * and by which inspectors — reproducible by anyone from what is published.
 *
 * Algorithm "yingji-draw-1":
 *  - u(tag, a, b) = the first 8 bytes of BLAKE2b-256 keyed with the 32-byte
 *    seed over the text "tag|a|b", as a number in (0, 1] (53 bits).
 *  - Enterprises: weighted sampling without replacement (Efraimidis and
 *    Spirakis): key = ln(u("ent", id, 0)) / weight; the `count` largest keys
 *    are drawn, in that order (ties: smaller id first).
 *  - Inspectors, enterprise by enterprise in draw order: the eligible ones
 *    (no declared conflict with the enterprise, not among those who
 *    inspected it last time) sorted by (assignments so far, u("ins",
 *    enterprise, inspector)); the first `inspectors_per` are assigned.
 *  - Pools are stored and published with their SHA-256 (canonical JSON), so
 *    verification recomputes both digests and re-runs the algorithm, and
 *    any change to a pool or the result is found.
 * The seed comes from libsodium's CSPRNG at draw time.
 *
 * The pools are built from the registry's enterprises (reg_enterprises_each)
 * and auth's inspectors (auth_users_each) with the certificates, conflicts
 * and last inspections of enforcement's own tables (draw_db.c, inspect_db.c).
 */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"
#include "registry/registry.h"

#define ALGORITHM "yingji-draw-1"

void enf_pool_digest(json_t *pool, char out[65])
{
	char *txt = json_dumps(pool, JSON_SORT_KEYS | JSON_COMPACT);
	unsigned char h[32];
	crypto_hash_sha256(h, (const unsigned char *)(txt ? txt : ""), txt ? strlen(txt) : 0);
	free(txt);
	yj_hex(h, 32, out);
}

static double unit(const unsigned char seed[32], const char *tag, long long a, long long b)
{
	char msg[96];
	int n = snprintf(msg, sizeof msg, "%s|%lld|%lld", tag, a, b);
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)msg, (size_t)n, seed, 32);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | h[i];
	return ((double)(v >> 11) + 1.0) / 9007199254740992.0; /* (0, 1] */
}

typedef struct ent_key {
	long long id;
	double key;
	json_t *entry;
} ent_key;

static int cmp_key(const void *a, const void *b)
{
	const ent_key *x = a, *y = b;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

typedef struct ins_rank {
	long long id;
	int load;
	double u;
} ins_rank;

static int cmp_rank(const void *a, const void *b)
{
	const ins_rank *x = a, *y = b;
	if (x->load != y->load)
		return x->load - y->load;
	if (x->u != y->u)
		return x->u < y->u ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool in_array(json_t *arr, long long v)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) if (json_integer_value(x) == v) return true;
	return false;
}

json_t *enf_draw_run(const char *seed_hex, json_t *enterprise_pool, json_t *inspector_pool, long count,
                     int inspectors_per, yj_err *e)
{
	unsigned char seed[32];
	size_t bin_len;
	if (!seed_hex || sodium_hex2bin(seed, sizeof seed, seed_hex, strlen(seed_hex), NULL, &bin_len, NULL) != 0 ||
	    bin_len != 32) {
		yj_fail(e, YJ_EINVAL, "seed", "the seed must be 64 hex digits");
		return NULL;
	}
	size_t ne = json_array_size(enterprise_pool), ni = json_array_size(inspector_pool);
	if (count < 0 || (size_t)count > ne)
		count = (long)ne;
	ent_key *keys = yj_calloc(ne ? ne : 1, sizeof *keys);
	size_t i;
	json_t *x;
	json_array_foreach(enterprise_pool, i, x) {
		keys[i].id = json_integer_value(json_object_get(x, "id"));
		double w = json_number_value(json_object_get(x, "weight"));
		keys[i].key = w > 0 ? log(unit(seed, "ent", keys[i].id, 0)) / w : -INFINITY;
		keys[i].entry = x;
	}
	qsort(keys, ne, sizeof *keys, cmp_key);
	int *load = yj_calloc(ni ? ni : 1, sizeof *load);
	ins_rank *rank = yj_calloc(ni ? ni : 1, sizeof *rank);
	json_t *result = json_array();
	for (long k = 0; k < count; k++) {
		long long ent = keys[k].id;
		json_t *recent = json_object_get(keys[k].entry, "recent_inspectors");
		size_t nr = 0;
		json_array_foreach(inspector_pool, i, x) {
			long long ins = json_integer_value(json_object_get(x, "id"));
			if (in_array(json_object_get(x, "conflicts"), ent) || in_array(recent, ins))
				continue;
			rank[nr].id = ins;
			rank[nr].load = load[i];
			rank[nr].u = unit(seed, "ins", ent, ins);
			nr++;
		}
		if (nr < (size_t)inspectors_per) {
			yj_fail(e, YJ_EUNPROCESSABLE, "inspectors",
			        "enterprise %lld has only %zu eligible inspectors (conflicts and last inspectors excluded); "
			        "%d are needed",
			        ent, nr, inspectors_per);
			json_decref(result);
			result = NULL;
			break;
		}
		qsort(rank, nr, sizeof *rank, cmp_rank);
		json_t *chosen = json_array();
		for (int m = 0; m < inspectors_per; m++) {
			json_array_append_new(chosen, json_integer(rank[m].id));
			json_array_foreach(inspector_pool, i, x) if (json_integer_value(json_object_get(x, "id")) == rank[m].id) load[i]++;
		}
		json_array_append_new(result, json_pack("{s:I, s:o}", "enterprise_id", (json_int_t)ent, "inspectors", chosen));
	}
	free(keys);
	free(load);
	free(rank);
	return result;
}

/* ---- plans ----------------------------------------------------------------------------------- */

static const char *const grades[] = {"A", "B", "C", "D", "red", "orange", "yellow", "blue", NULL};

static int check_weights(json_t *weights, yj_err *e)
{
	const char *k;
	json_t *v;
	if (!json_is_object(weights))
		return yj_fail(e, YJ_EINVAL, "weights", "field 'weights' must map risk grades to weights");
	json_object_foreach(weights, k, v) {
		bool ok = false;
		for (int i = 0; grades[i]; i++)
			ok |= !strcmp(grades[i], k);
		if (!ok || !json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) > 100)
			return yj_fail(e, YJ_EINVAL, "weights", "weights: '%.20s' must be a risk grade with a weight in (0, 100]", k);
	}
	return 0;
}

int enf_plan_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e)
{
	static const char *const keys[] = {"name", "year", "sectors", "area_code", "count", "ratio", "weights",
	                                   "inspectors_per", NULL};
	enf_plan_new p = {.ratio = NAN, .inspectors_per = 2, .created_by = u->id, .now = yj_now_ms()};
	int64_t year, per = 2;
	json_t *sectors = NULL, *weights = json_object_get(body, "weights");
	const char *area = NULL;
	if (yj_only_keys(body, keys, e) || yj_json_text(body, "name", YJ_REQUIRED | YJ_NONEMPTY, 200, &p.name, e) < 0 ||
	    yj_json_int(body, "year", YJ_REQUIRED, 2000, 2100, &year, e) < 0 ||
	    yj_json_array(body, "sectors", 0, 50, &sectors, e) < 0)
		return -1;
	size_t i;
	json_t *x;
	json_array_foreach(sectors, i, x) if (!json_is_string(x)) return yj_fail(e, YJ_EINVAL, "sectors",
	                                                                         "sectors[%zu] must be a sector", i);
	int has_count = yj_json_int(body, "count", 0, 1, 100000, &p.count, e);
	if (has_count < 0)
		return -1;
	int has_ratio = yj_json_double(body, "ratio", 0, 0, 1, &p.ratio, e);
	if (has_ratio < 0)
		return -1;
	if (has_count == has_ratio)
		return yj_fail(e, YJ_EINVAL, "count", "give exactly one of 'count' (enterprises) and 'ratio' (share, 0..1)");
	if (has_ratio && p.ratio <= 0)
		return yj_fail(e, YJ_EINVAL, "ratio", "field 'ratio' must be a number in (0, 1]");
	if (yj_json_int(body, "inspectors_per", 0, 2, 10, &per, e) < 0)
		return -1;
	if (weights && !json_is_null(weights) && check_weights(weights, e))
		return -1;
	if (yj_json_text(body, "area_code", 0, 15, &area, e) < 0)
		return -1;
	auth_scope sc;
	if (auth_scope_for(u, area, "area_code", &sc, e))
		return -1;
	p.area_code = sc.code;
	p.year = (int)year;
	p.inspectors_per = (int)per;
	json_t *no_sectors = json_array();
	p.sectors = sectors ? sectors : no_sectors;
	p.weights = weights && !json_is_null(weights)
	                    ? json_incref(weights)
	                    : json_pack("{s:f, s:f, s:f, s:f}", "red", 4.0, "orange", 3.0, "yellow", 2.0, "blue", 1.0);
	int rc = enf_plan_db_insert(s, &p, id_out, e);
	json_decref(no_sectors);
	json_decref(p.weights);
	if (rc)
		return -1;
	return audit_record_id(s, u, "plan.create", "inspection_plan", *id_out, e);
}

json_t *enf_plan_json(store *s, int64_t id, const auth_scope *visible_in)
{
	enf_plan p;
	if (enf_plan_db_get(s, id, &p, NULL) <= 0)
		return NULL;
	json_t *j = NULL;
	if (!visible_in || auth_scope_contains(visible_in, p.area_code))
		j = json_pack("{s:I, s:s, s:i, s:O, s:s, s:o, s:o, s:O, s:i, s:s, s:o}", "id", (json_int_t)p.id, "name", p.name,
		              "year", p.year, "sectors", p.sectors, "area_code", p.area_code, "count",
		              p.count ? json_integer(p.count) : json_null(), "ratio", isnan(p.ratio) ? json_null() : json_real(p.ratio),
		              "weights", p.weights, "inspectors_per", p.inspectors_per, "state", p.state, "created",
		              enf_time(p.created_ms));
	enf_plan_clear(&p);
	return j;
}

/* ---- the pools --------------------------------------------------------------------------------------- */

typedef struct pool_ctx {
	json_t *weights, *pool;
	const char *plan_area;
	int64_t now;
} pool_ctx;

static int add_enterprise(store *s, const reg_enterprise *en, void *ctx, yj_err *e)
{
	pool_ctx *c = ctx;
	json_t *recent, *w = json_object_get(c->weights, en->risk_grade);
	if (enf_member_db_recent(s, en->id, &recent, e))
		return -1;
	json_array_append_new(c->pool, json_pack("{s:I, s:f, s:o}", "id", (json_int_t)en->id, "weight",
	                                         w ? json_number_value(w) : 1.0, "recent_inspectors", recent));
	return 0;
}

/* The pool rule: inspectors with a valid certificate (experts aside) whose own area's subtree
 * holds the plan's area. So a county plan draws the county's and the city's inspectors; town
 * inspectors act within their own town. */
static int add_inspector(store *s, const auth_user_row *u, void *ctx, yj_err *e)
{
	pool_ctx *c = ctx;
	auth_scope theirs;
	if (auth_scope_of_area(u->area_code, "area", &theirs, NULL) || !auth_scope_contains(&theirs, c->plan_area))
		return 0;
	enf_cert cert;
	int rc = enf_cert_db_get(s, u->id, &cert, e);
	if (rc <= 0)
		return rc;
	if (cert.expert || cert.valid_from_ms > c->now || cert.valid_to_ms < c->now)
		return 0;
	json_t *conflicts;
	if (enf_conflict_db_of(s, u->id, &conflicts, e))
		return -1;
	json_array_append_new(c->pool, json_pack("{s:I, s:o}", "id", (json_int_t)u->id, "conflicts", conflicts));
	return 0;
}

/* the pools as the store has them now, for the plan */
static int build_pools(store *s, const enf_plan *p, json_t **epool, json_t **ipool, yj_err *e)
{
	auth_scope sc;
	*epool = json_array();
	*ipool = json_array();
	pool_ctx ec = {.weights = p->weights, .pool = *epool}, ic = {.pool = *ipool, .plan_area = p->area_code,
	                                                             .now = yj_now_ms()};
	auth_user_query q = {.roles = ENF_INSPECTOR};
	if (auth_scope_of_area(p->area_code, "area_code", &sc, e) ||
	    reg_enterprises_each(s, &sc, p->sectors, add_enterprise, &ec, e) || auth_users_each(s, &q, add_inspector, &ic, e)) {
		json_decref(*epool);
		json_decref(*ipool);
		*epool = *ipool = NULL;
		return -1;
	}
	return 0;
}

/* ---- draws --------------------------------------------------------------------------------------------- */

int enf_draw_create(store *s, const auth_user *u, int64_t plan_id, int64_t *draw_out, yj_err *e)
{
	enf_plan plan;
	auth_scope mine;
	int rc = enf_plan_db_get(s, plan_id, &plan, e);
	if (rc < 0 || (rc > 0 && enf_own_scope(u, &mine, e))) {
		enf_plan_clear(&plan);
		return -1;
	}
	if (rc == 0 || !auth_scope_contains(&mine, plan.area_code)) {
		enf_plan_clear(&plan);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no inspection plan %lld", (long long)plan_id);
	}
	rc = -1;
	json_t *epool = NULL, *ipool = NULL, *result = NULL;
	if (strcmp(plan.state, "ready") != 0) {
		yj_fail(e, YJ_ECONFLICT, "state", "plan %lld was drawn already; make a new plan to draw again", (long long)plan_id);
		goto out;
	}
	if (build_pools(s, &plan, &epool, &ipool, e))
		goto out;
	long count = plan.count ? (long)plan.count : (long)ceil(plan.ratio * (double)json_array_size(epool));
	if (json_array_size(epool) == 0) {
		yj_fail(e, YJ_EUNPROCESSABLE, "sectors", "no enterprise of these sectors in the plan's area");
		goto out;
	}
	unsigned char seed[32];
	randombytes_buf(seed, sizeof seed);
	char seed_hex[65];
	yj_hex(seed, sizeof seed, seed_hex);
	result = enf_draw_run(seed_hex, epool, ipool, count, plan.inspectors_per, e);
	if (!result)
		goto out;
	char ed[65], id[65];
	enf_pool_digest(epool, ed);
	enf_pool_digest(ipool, id);
	enf_draw_new d = {.plan_id = plan_id, .drawn_by = u->id, .now = yj_now_ms(), .algorithm = ALGORITHM, .seed = seed_hex,
	                  .area_code = plan.area_code, .enterprise_pool = epool, .inspector_pool = ipool, .result = result,
	                  .enterprise_pool_digest = ed, .inspector_pool_digest = id};
	int64_t draw_id;
	if (enf_draw_db_insert(s, &d, &draw_id, e))
		goto out;
	/* the tasks that follow from the draw */
	size_t i;
	json_t *x;
	json_array_foreach(result, i, x) {
		int64_t iid;
		if (enf_inspection_insert(s, u, "draw", draw_id, json_integer_value(json_object_get(x, "enterprise_id")), NULL, NULL,
		                          json_object_get(x, "inspectors"), &iid, e))
			goto out;
	}
	if (enf_plan_db_drawn(s, plan_id, e) || audit_record_id(s, u, "plan.draw", "inspection_plan", plan_id, e) ||
	    audit_record_id(s, u, "draw.create", "draw", draw_id, e))
		goto out;
	*draw_out = draw_id;
	rc = 0;
out:
	enf_plan_clear(&plan);
	json_decref(epool);
	json_decref(ipool);
	json_decref(result);
	return rc;
}

/* names beside the ids of a draw's result, for people to read (inspectors are officials: public by law) */
static void name_result(store *s, json_t *result)
{
	size_t i, k;
	json_t *x, *y;
	json_array_foreach(result, i, x) {
		reg_enterprise en;
		if (reg_enterprise_get(s, json_integer_value(json_object_get(x, "enterprise_id")), &en, NULL) > 0) {
			json_object_set_new(x, "enterprise", json_string(en.name));
			json_object_set_new(x, "credit_code", json_string(en.credit_code));
		}
		reg_enterprise_clear(&en);
		json_t *names = json_array();
		json_array_foreach(json_object_get(x, "inspectors"), k, y) {
			auth_user_row u;
			enf_cert c;
			if (auth_user_get(s, json_integer_value(y), &u, NULL) <= 0)
				continue;
			bool cert = enf_cert_db_get(s, u.id, &c, NULL) > 0;
			json_array_append_new(names, json_pack("{s:I, s:s, s:o}", "id", (json_int_t)u.id, "name", u.display_name,
			                                       "cert_no", cert ? json_string(c.cert_no) : json_null()));
		}
		json_object_set_new(x, "inspector_names", names);
	}
}

json_t *enf_draw_json(store *s, int64_t id, bool with_pools, const auth_scope *visible_in)
{
	enf_draw d;
	enf_plan p;
	if (enf_draw_db_get(s, id, with_pools, &d, NULL) <= 0)
		return NULL;
	json_t *j = NULL;
	if ((!visible_in || auth_scope_contains(visible_in, d.area_code)) && enf_plan_db_get(s, d.plan_id, &p, NULL) > 0) {
		json_t *result = json_is_array(d.result) ? json_incref(d.result) : json_array();
		name_result(s, result);
		j = json_pack("{s:I, s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:I, s:i}", "id", (json_int_t)d.id, "plan_id",
		              (json_int_t)d.plan_id, "plan_name", p.name, "year", p.year, "algorithm", d.algorithm, "seed", d.seed,
		              "enterprise_pool_digest", d.enterprise_pool_digest, "inspector_pool_digest",
		              d.inspector_pool_digest, "result", result, "drawn", enf_time(d.drawn_ms), "area_code", d.area_code,
		              "count", (json_int_t)json_array_size(result), "inspectors_per", p.inspectors_per);
		if (with_pools) {
			json_t *ep = json_loads(d.enterprise_pool, 0, NULL), *ip = json_loads(d.inspector_pool, 0, NULL);
			json_object_set_new(j, "enterprise_pool", ep ? ep : json_null());
			json_object_set_new(j, "inspector_pool", ip ? ip : json_null());
		}
		enf_plan_clear(&p);
	}
	enf_draw_clear(&d);
	return j;
}

json_t *enf_draw_verify(store *s, int64_t id, yj_err *e)
{
	enf_draw d;
	enf_plan p;
	int rc = enf_draw_db_get(s, id, true, &d, e);
	if (rc <= 0) {
		if (rc == 0)
			yj_fail(e, YJ_ENOTFOUND, "id", "no draw %lld", (long long)id);
		return NULL;
	}
	int per = enf_plan_db_get(s, d.plan_id, &p, NULL) > 0 ? p.inspectors_per : 0;
	enf_plan_clear(&p);
	json_t *epool = json_loads(d.enterprise_pool, 0, NULL), *ipool = json_loads(d.inspector_pool, 0, NULL);
	json_t *reasons = json_array(), *codes = json_array();
	char ed[65] = "", idg[65] = "";
	if (epool)
		enf_pool_digest(epool, ed);
	if (ipool)
		enf_pool_digest(ipool, idg);
	bool e_ok = epool && !strcmp(ed, d.enterprise_pool_digest), i_ok = ipool && !strcmp(idg, d.inspector_pool_digest);
	bool algo_ok = !strcmp(d.algorithm, ALGORITHM);
	yj_err re = {0};
	json_t *again = epool && ipool ? enf_draw_run(d.seed, epool, ipool, (long)json_array_size(d.result), per, &re) : NULL;
	bool r_ok = again && d.result && json_equal(again, d.result);
	/* what failed, as a code and in words for the public page */
	static const struct {
		const char *code, *words;
	} why[] = {
		{"enterprise_pool_digest", "企业名单与公布的摘要不一致"},
		{"inspector_pool_digest", "检查人员名单与公布的摘要不一致"},
		{"unknown_algorithm", "抽取算法不是本系统公布的算法"},
		{"result_differs", "用种子重新计算的抽取结果与公布的结果不同"},
		{"not_rerunnable", "无法用保存的名单重新计算本次抽取"},
	};
	bool failed[] = {!e_ok, !i_ok, !algo_ok, !r_ok && again, !r_ok && !again};
	for (size_t k = 0; k < YJ_ARRAY_LEN(why); k++)
		if (failed[k]) {
			json_array_append_new(codes, json_string(why[k].code));
			json_array_append_new(reasons, json_string(why[k].words));
		}
	json_t *out = json_pack("{s:b, s:s, s:s, s:b, s:b, s:b, s:o, s:o}", "verified", e_ok && i_ok && r_ok && algo_ok,
	                        "algorithm", d.algorithm, "seed", d.seed, "enterprise_pool_ok", e_ok, "inspector_pool_ok",
	                        i_ok, "result_ok", r_ok, "reasons", reasons, "reason_codes", codes);
	json_decref(epool);
	json_decref(ipool);
	json_decref(again);
	enf_draw_clear(&d);
	return out;
}
