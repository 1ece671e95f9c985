/*
 * duty.c — duty spot checks (值班值守抽查): the duty officer calls the
 * duty desks of enterprises drawn at random from an area, and records who
 * answered. The enterprises are drawn with the draw's algorithm from a
 * fresh seed (every enterprise weighs the same); each call is an
 * inspection of kind duty_check with the officer as its one inspector. An
 * unanswered call, once confirmed, becomes a hazard (inspect.c).
 */
#include <sodium.h>

#include "enforce/enf_int.h"
#include "registry/registry.h"

static int add_enterprise(store *s, const reg_enterprise *en, void *ctx, yj_err *e)
{
	json_array_append_new(ctx, json_pack("{s:I, s:f, s:[]}", "id", (json_int_t)en->id, "weight", 1.0, "recent_inspectors"));
	return 0;
}

int enf_duty_check_create(store *s, const auth_user *u, json_t *body, json_t **out, yj_err *e)
{
	static const char *const keys[] = {"count", "area_code", NULL};
	int64_t count;
	const char *area = NULL;
	auth_scope sc;
	if (yj_only_keys(body, keys, e) || yj_json_int(body, "count", YJ_REQUIRED, 1, 200, &count, e) < 0 ||
	    yj_json_text(body, "area_code", 0, 15, &area, e) < 0 || auth_scope_for(u, area, "area_code", &sc, e))
		return -1;
	unsigned char seed[32];
	randombytes_buf(seed, sizeof seed);
	char seed_hex[65];
	yj_hex(seed, sizeof seed, seed_hex);
	/* at random among the enterprises of the area */
	json_t *pool = json_array();
	if (reg_enterprises_each(s, &sc, NULL, add_enterprise, pool, e)) {
		json_decref(pool);
		return -1;
	}
	json_t *me = json_pack("[{s:I, s:[]}]", "id", (json_int_t)u->id, "conflicts");
	json_t *picked = enf_draw_run(seed_hex, pool, me, (long)count, 1, e);
	json_decref(pool);
	json_decref(me);
	if (!picked)
		return -1;
	json_t *items = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(picked, i, x) {
		int64_t iid;
		json_t *members = json_pack("[I]", (json_int_t)u->id);
		int rc = enf_inspection_insert(s, u, "duty_check", 0, json_integer_value(json_object_get(x, "enterprise_id")),
		                               "duty spot check", NULL, members, &iid, e);
		json_decref(members);
		if (rc) {
			json_decref(items);
			json_decref(picked);
			return -1;
		}
		json_array_append_new(items, enf_inspection_json(s, iid));
	}
	json_decref(picked);
	*out = json_pack("{s:s, s:o}", "seed", seed_hex, "items", items);
	return 0;
}
