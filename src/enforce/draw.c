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
 */
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"

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
	ent_key *keys = calloc(ne ? ne : 1, sizeof *keys);
	size_t i;
	json_t *x;
	json_array_foreach(enterprise_pool, i, x) {
		keys[i].id = json_integer_value(json_object_get(x, "id"));
		double w = json_number_value(json_object_get(x, "weight"));
		keys[i].key = w > 0 ? log(unit(seed, "ent", keys[i].id, 0)) / w : -INFINITY;
		keys[i].entry = x;
	}
	qsort(keys, ne, sizeof *keys, cmp_key);
	int *load = calloc(ni ? ni : 1, sizeof *load);
	ins_rank *rank = calloc(ni ? ni : 1, sizeof *rank);
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

int enf_plan_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e)
{
	static const char *const keys[] = {"name", "year", "sectors", "area_code", "count", "ratio", "weights",
	                                   "inspectors_per", NULL};
	if (enf_only_keys(body, keys, e))
		return -1;
	const char *name = json_string_value(json_object_get(body, "name"));
	json_t *year = json_object_get(body, "year"), *sectors = json_object_get(body, "sectors");
	json_t *count = json_object_get(body, "count"), *ratio = json_object_get(body, "ratio");
	json_t *weights = json_object_get(body, "weights"), *per = json_object_get(body, "inspectors_per");
	const char *area = json_string_value(json_object_get(body, "area_code"));
	if (!name || !*name || strlen(name) > 200)
		return yj_fail(e, YJ_EINVAL, "name", "field 'name' is required (at most 200 bytes)");
	if (!json_is_integer(year) || json_integer_value(year) < 2000 || json_integer_value(year) > 2100)
		return yj_fail(e, YJ_EINVAL, "year", "field 'year' must be a year such as 2022");
	if (sectors && !json_is_array(sectors))
		return yj_fail(e, YJ_EINVAL, "sectors", "field 'sectors' must be an array of sectors");
	if (!!count == !!ratio)
		return yj_fail(e, YJ_EINVAL, "count", "give exactly one of 'count' (enterprises) and 'ratio' (share, 0..1)");
	if (count && (!json_is_integer(count) || json_integer_value(count) < 1 || json_integer_value(count) > 100000))
		return yj_fail(e, YJ_EINVAL, "count", "field 'count' must be a whole number in 1..100000");
	if (ratio && (!json_is_number(ratio) || json_number_value(ratio) <= 0 || json_number_value(ratio) > 1))
		return yj_fail(e, YJ_EINVAL, "ratio", "field 'ratio' must be a number in (0, 1]");
	if (per && (!json_is_integer(per) || json_integer_value(per) < 2 || json_integer_value(per) > 10))
		return yj_fail(e, YJ_EINVAL, "inspectors_per", "field 'inspectors_per' must be 2..10: the law requires two inspectors");
	if (weights) {
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
	}
	if (!area)
		area = u->area_code;
	if (auth_require_area(u, area, "area_code", e))
		return -1;
	char *sec = sectors ? json_dumps(sectors, JSON_COMPACT) : strdup("[]");
	json_t *w = weights ? json_incref(weights) : json_pack("{s:f, s:f, s:f, s:f}", "red", 4.0, "orange", 3.0, "yellow", 2.0, "blue", 1.0);
	char *wtxt = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(w);
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO inspection_plan(name, year, sectors, area_code, count, ratio, weights, "
	                              "inspectors_per, state, created_by, created_ms) VALUES (?,?,?,?,?,?,?,?,'ready',?,?)",
	                              e);
	if (!st) {
		free(sec);
		free(wtxt);
		return -1;
	}
	store_bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, json_integer_value(year));
	sqlite3_bind_text(st, 3, sec, -1, free);
	store_bind_text(st, 4, area);
	if (count)
		sqlite3_bind_int64(st, 5, json_integer_value(count));
	else
		sqlite3_bind_null(st, 5);
	if (ratio)
		sqlite3_bind_double(st, 6, json_number_value(ratio));
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_text(st, 7, wtxt, -1, free);
	sqlite3_bind_int(st, 8, per ? (int)json_integer_value(per) : 2);
	sqlite3_bind_int64(st, 9, u->id);
	sqlite3_bind_int64(st, 10, yj_now_ms());
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "insert plan");
	*id_out = sqlite3_last_insert_rowid(store_db(s));
	return enf_audit(s, u, "plan.create", "inspection_plan", *id_out, json_object_get(body, "name"), e);
}

json_t *enf_plan_json(store *s, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT id, name, year, sectors, area_code, count, ratio, weights, inspectors_per, state, "
	                              "created_ms FROM inspection_plan WHERE id = ?",
	                              NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		j = json_pack("{s:I, s:s, s:i, s:o, s:s, s:o, s:o, s:o, s:i, s:s, s:o}", "id",
		              (json_int_t)sqlite3_column_int64(st, 0), "name", (const char *)sqlite3_column_text(st, 1), "year",
		              sqlite3_column_int(st, 2), "sectors", json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL),
		              "area_code", (const char *)sqlite3_column_text(st, 4), "count",
		              sqlite3_column_type(st, 5) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, 5)),
		              "ratio", sqlite3_column_type(st, 6) == SQLITE_NULL ? json_null() : json_real(sqlite3_column_double(st, 6)),
		              "weights", json_loads((const char *)sqlite3_column_text(st, 7), 0, NULL), "inspectors_per",
		              sqlite3_column_int(st, 8), "state", (const char *)sqlite3_column_text(st, 9), "created",
		              enf_time(st, 10));
	}
	sqlite3_reset(st);
	return j;
}

/* the pools as the store has them now, for plan id */
static int build_pools(store *s, json_t *plan, json_t **epool, json_t **ipool, yj_err *e)
{
	const char *area = json_string_value(json_object_get(plan, "area_code"));
	char prefix[16];
	auth_area_prefix(area, prefix);
	json_t *sectors = json_object_get(plan, "sectors"), *weights = json_object_get(plan, "weights");
	char *sec = json_dumps(sectors, JSON_COMPACT);
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT e.id, coalesce(e.risk_grade, ''), (SELECT json_group_array(m.user_id) FROM inspection_member m "
	                              "WHERE m.inspection_id = (SELECT i.id FROM inspection i WHERE i.enterprise_id = e.id "
	                              "AND i.kind != 'duty_check' AND i.state = 'confirmed' ORDER BY i.inspected_ms DESC, i.id DESC LIMIT 1)) "
	                              "FROM enterprise e WHERE e.area_code >= ?1 AND e.area_code < ?1 || ':' AND (json_array_length(?2) = 0 "
	                              "OR EXISTS (SELECT 1 FROM json_each(e.sectors) a, json_each(?2) b WHERE a.value = b.value)) "
	                              "ORDER BY e.id",
	                              e);
	if (!st) {
		free(sec);
		return -1;
	}
	store_bind_text(st, 1, prefix);
	sqlite3_bind_text(st, 2, sec, -1, free);
	*epool = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *w = json_object_get(weights, (const char *)sqlite3_column_text(st, 1));
		json_array_append_new(*epool, json_pack("{s:I, s:f, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0), "weight",
		                                        w ? json_number_value(w) : 1.0, "recent_inspectors",
		                                        json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL)));
	}
	sqlite3_reset(st);
	/* inspectors with a valid certificate at the plan's level or above (a county plan draws the
	 * county's and the city's; town inspectors act within their own town) */
	st = store_stmt(s,
	                "SELECT u.id, (SELECT json_group_array(c.enterprise_id) FROM conflict_of_interest c WHERE c.user_id = u.id) "
	                "FROM user u JOIN inspector_cert ct ON ct.user_id = u.id WHERE u.role = 'inspector' AND u.disabled = 0 "
	                "AND ct.expert = 0 AND ct.valid_from_ms <= ?2 AND ct.valid_to_ms >= ?2 "
	                "AND (u.area_code = ?3 OR substr(?3, 1, length(CASE WHEN length(u.area_code) = 6 "
	                "AND substr(u.area_code, 5, 2) = '00' THEN substr(u.area_code, 1, 4) ELSE u.area_code END)) = "
	                "CASE WHEN length(u.area_code) = 6 AND substr(u.area_code, 5, 2) = '00' THEN substr(u.area_code, 1, 4) "
	                "ELSE u.area_code END) ORDER BY u.id",
	                e);
	if (!st) {
		json_decref(*epool);
		return -1;
	}
	store_bind_text(st, 1, prefix);
	sqlite3_bind_int64(st, 2, yj_now_ms());
	store_bind_text(st, 3, area);
	*ipool = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(*ipool, json_pack("{s:I, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0), "conflicts",
		                                        json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL)));
	sqlite3_reset(st);
	return 0;
}

int enf_draw_create(store *s, const auth_user *u, int64_t plan_id, int64_t *draw_out, yj_err *e)
{
	json_t *plan = enf_plan_json(s, plan_id);
	if (!plan || !auth_area_visible(u, json_string_value(json_object_get(plan, "area_code")))) {
		json_decref(plan);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no inspection plan %lld", (long long)plan_id);
	}
	int rc = -1;
	json_t *epool = NULL, *ipool = NULL, *result = NULL;
	if (strcmp(json_string_value(json_object_get(plan, "state")), "ready") != 0) {
		yj_fail(e, YJ_ECONFLICT, "state", "plan %lld was drawn already; make a new plan to draw again", (long long)plan_id);
		goto out;
	}
	if (build_pools(s, plan, &epool, &ipool, e))
		goto out;
	long count = json_is_integer(json_object_get(plan, "count"))
	                 ? (long)json_integer_value(json_object_get(plan, "count"))
	                 : (long)ceil(json_number_value(json_object_get(plan, "ratio")) * (double)json_array_size(epool));
	if (json_array_size(epool) == 0) {
		yj_fail(e, YJ_EUNPROCESSABLE, "sectors", "no enterprise of these sectors in the plan's area");
		goto out;
	}
	unsigned char seed[32];
	randombytes_buf(seed, sizeof seed);
	char seed_hex[65];
	yj_hex(seed, sizeof seed, seed_hex);
	int per = (int)json_integer_value(json_object_get(plan, "inspectors_per"));
	result = enf_draw_run(seed_hex, epool, ipool, count, per, e);
	if (!result)
		goto out;
	char ed[65], id[65];
	enf_pool_digest(epool, ed);
	enf_pool_digest(ipool, id);
	char *ep = json_dumps(epool, JSON_COMPACT | JSON_SORT_KEYS), *ip = json_dumps(ipool, JSON_COMPACT | JSON_SORT_KEYS);
	char *rs = json_dumps(result, JSON_COMPACT);
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO draw(plan_id, algorithm, seed, enterprise_pool, inspector_pool, enterprise_pool_digest, "
	                              "inspector_pool_digest, result, area_code, drawn_by, drawn_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	                              e);
	if (!st) {
		free(ep);
		free(ip);
		free(rs);
		goto out;
	}
	int64_t now = yj_now_ms();
	sqlite3_bind_int64(st, 1, plan_id);
	store_bind_text(st, 2, ALGORITHM);
	store_bind_text(st, 3, seed_hex);
	sqlite3_bind_text(st, 4, ep, -1, free);
	sqlite3_bind_text(st, 5, ip, -1, free);
	store_bind_text(st, 6, ed);
	store_bind_text(st, 7, id);
	sqlite3_bind_text(st, 8, rs, -1, free);
	store_bind_text(st, 9, json_string_value(json_object_get(plan, "area_code")));
	sqlite3_bind_int64(st, 10, u->id);
	sqlite3_bind_int64(st, 11, now);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		store_fail(s, e, "insert draw");
		goto out;
	}
	int64_t draw_id = sqlite3_last_insert_rowid(store_db(s));
	/* the tasks that follow from the draw */
	size_t i;
	json_t *x;
	json_array_foreach(result, i, x) {
		int64_t iid;
		if (enf_inspection_insert(s, u, "draw", draw_id, json_integer_value(json_object_get(x, "enterprise_id")), NULL, NULL,
		                          json_object_get(x, "inspectors"), &iid, e))
			goto out;
	}
	st = store_stmt(s, "UPDATE inspection_plan SET state = 'drawn' WHERE id = ?", e);
	if (!st)
		goto out;
	sqlite3_bind_int64(st, 1, plan_id);
	sqlite3_step(st);
	sqlite3_reset(st);
	json_t *summary = json_pack("{s:s, s:s, s:s, s:I}", "seed", seed_hex, "enterprise_pool_digest", ed,
	                            "inspector_pool_digest", id, "drawn", (json_int_t)json_array_size(result));
	rc = enf_audit(s, u, "draw.create", "draw", draw_id, summary, e);
	json_decref(summary);
	*draw_out = draw_id;
out:
	json_decref(plan);
	json_decref(epool);
	json_decref(ipool);
	json_decref(result);
	return rc;
}

json_t *enf_draw_json(store *s, int64_t id, bool with_pools)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT d.id, d.plan_id, p.name, p.year, d.algorithm, d.seed, d.enterprise_pool_digest, "
	                              "d.inspector_pool_digest, d.result, d.drawn_ms, d.area_code, p.count, p.ratio, p.inspectors_per, "
	                              "d.enterprise_pool, d.inspector_pool FROM draw d JOIN inspection_plan p ON p.id = d.plan_id WHERE d.id = ?",
	                              NULL);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		json_t *result = json_loads((const char *)sqlite3_column_text(st, 8), 0, NULL);
		j = json_pack("{s:I, s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:I}", "id",
		              (json_int_t)sqlite3_column_int64(st, 0), "plan_id", (json_int_t)sqlite3_column_int64(st, 1),
		              "plan_name", (const char *)sqlite3_column_text(st, 2), "year", sqlite3_column_int(st, 3),
		              "algorithm", (const char *)sqlite3_column_text(st, 4), "seed",
		              (const char *)sqlite3_column_text(st, 5), "enterprise_pool_digest",
		              (const char *)sqlite3_column_text(st, 6), "inspector_pool_digest",
		              (const char *)sqlite3_column_text(st, 7), "result", result, "drawn", enf_time(st, 9), "area_code",
		              (const char *)sqlite3_column_text(st, 10), "count", (json_int_t)json_array_size(result));
		json_object_set_new(j, "inspectors_per", json_integer(sqlite3_column_int(st, 13)));
		if (with_pools) {
			json_object_set_new(j, "enterprise_pool", json_loads((const char *)sqlite3_column_text(st, 14), 0, NULL));
			json_object_set_new(j, "inspector_pool", json_loads((const char *)sqlite3_column_text(st, 15), 0, NULL));
		}
	}
	sqlite3_reset(st);
	if (!j)
		return NULL;
	/* names, for people to read: enterprises and inspectors (officials, public by law) */
	sqlite3_stmt *en = store_stmt(s, "SELECT name, credit_code FROM enterprise WHERE id = ?", NULL);
	sqlite3_stmt *us = store_stmt(s, "SELECT u.display_name, c.cert_no FROM user u LEFT JOIN inspector_cert c ON c.user_id = u.id WHERE u.id = ?", NULL);
	size_t i, k;
	json_t *x, *y;
	json_array_foreach(json_object_get(j, "result"), i, x) {
		sqlite3_bind_int64(en, 1, json_integer_value(json_object_get(x, "enterprise_id")));
		if (sqlite3_step(en) == SQLITE_ROW) {
			json_object_set_new(x, "enterprise", json_string((const char *)sqlite3_column_text(en, 0)));
			json_object_set_new(x, "credit_code", json_string((const char *)sqlite3_column_text(en, 1)));
		}
		sqlite3_reset(en);
		json_t *names = json_array();
		json_array_foreach(json_object_get(x, "inspectors"), k, y) {
			sqlite3_bind_int64(us, 1, json_integer_value(y));
			if (sqlite3_step(us) == SQLITE_ROW)
				json_array_append_new(names, json_pack("{s:I, s:s, s:s?}", "id", (json_int_t)json_integer_value(y), "name",
				                                       (const char *)sqlite3_column_text(us, 0), "cert_no",
				                                       (const char *)sqlite3_column_text(us, 1)));
			sqlite3_reset(us);
		}
		json_object_set_new(x, "inspector_names", names);
	}
	return j;
}

json_t *enf_draw_verify(store *s, int64_t id, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s,
	                              "SELECT d.seed, d.enterprise_pool, d.inspector_pool, d.enterprise_pool_digest, d.inspector_pool_digest, "
	                              "d.result, d.algorithm, p.inspectors_per FROM draw d JOIN inspection_plan p ON p.id = d.plan_id WHERE d.id = ?",
	                              e);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		yj_fail(e, YJ_ENOTFOUND, "id", "no draw %lld", (long long)id);
		return NULL;
	}
	char seed[80], edig[65], idig[65], algo[32];
	snprintf(seed, sizeof seed, "%s", (const char *)sqlite3_column_text(st, 0));
	json_t *epool = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
	json_t *ipool = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
	snprintf(edig, sizeof edig, "%s", (const char *)sqlite3_column_text(st, 3));
	snprintf(idig, sizeof idig, "%s", (const char *)sqlite3_column_text(st, 4));
	json_t *stored = json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL);
	snprintf(algo, sizeof algo, "%s", (const char *)sqlite3_column_text(st, 6));
	int per = sqlite3_column_int(st, 7);
	sqlite3_reset(st);
	json_t *reasons = json_array();
	char ed[65] = "", id2[65] = "";
	if (epool)
		enf_pool_digest(epool, ed);
	if (ipool)
		enf_pool_digest(ipool, id2);
	bool e_ok = epool && !strcmp(ed, edig), i_ok = ipool && !strcmp(id2, idig);
	if (!e_ok)
		json_array_append_new(reasons, json_string("the enterprise pool does not match its published digest"));
	if (!i_ok)
		json_array_append_new(reasons, json_string("the inspector pool does not match its published digest"));
	bool algo_ok = !strcmp(algo, ALGORITHM);
	if (!algo_ok)
		json_array_append_new(reasons, json_string("unknown algorithm"));
	yj_err re = {0};
	json_t *again = epool && ipool ? enf_draw_run(seed, epool, ipool, (long)json_array_size(stored), per, &re) : NULL;
	bool r_ok = again && stored && json_equal(again, stored);
	if (!r_ok)
		json_array_append_new(reasons, json_string(again ? "re-running the draw from the seed gives a different result"
		                                                 : "the draw could not be re-run from the stored pools"));
	json_t *out = json_pack("{s:b, s:s, s:s, s:b, s:b, s:b, s:o}", "verified", e_ok && i_ok && r_ok && algo_ok, "algorithm",
	                        algo, "seed", seed, "enterprise_pool_ok", e_ok, "inspector_pool_ok", i_ok, "result_ok", r_ok,
	                        "reasons", reasons);
	json_decref(epool);
	json_decref(ipool);
	json_decref(stored);
	json_decref(again);
	return out;
}
