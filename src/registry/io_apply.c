/*
 * io_apply.c — what an imported file does to the registry, row by row:
 * a row with 编号 (a GeoJSON feature with an id) updates that object, a
 * row without one creates a new one. So a file exported, edited and sent
 * back changes what was edited and creates nothing twice.
 *
 * An update writes only the fields whose value differs from the stored
 * one (as the sheet shows them: coordinates to 7 decimals, 500 = 500.0,
 * an empty cell = no value), through reg_update, so it is audited as any
 * change; a row that differs in nothing is "unchanged" and writes nothing.
 * An id that does not exist, or lies outside the caller's jurisdiction, is
 * a problem naming the row (the two read the same, as everywhere).
 *
 * Everything is planned first, with every problem collected; then either
 * nothing is written (problems, or a dry run that reports per row what
 * would happen) or all of it, in the caller's transaction: all or nothing.
 * Runs no SQL of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/io_int.h"

/* One row's plan. */
typedef struct plan {
	long row;
	int64_t id;   /* the object updated (0: a new one) */
	json_t *obj;  /* the new object, or the patch of an update (NULL: unchanged) */
} plan;

static bool empty(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

/* a and b are the same value as a sheet shows it: no value = "" = [], 500 = 500.0 */
static bool same(const json_t *a, const json_t *b)
{
	if (empty(a) || empty(b))
		return empty(a) && empty(b);
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!same(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	if (json_is_object(a) && json_is_object(b)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)a, key, v)
			if (!same(v, json_object_get(b, key)))
				return false;
		return true;
	}
	return json_equal(a, b);
}

/* a coordinate as stored and shown (7 decimals), or null */
static json_t *coord(const json_t *v)
{
	return json_is_number(v) ? json_real(reg_coord(json_number_value(v))) : json_null();
}

/*
 * The patch that makes stored object cur look like row: the members that differ. A moved point
 * brings lon, lat and area_code along, so the validator checks the place whole. NULL when
 * nothing differs.
 */
static json_t *diff(json_t *cur, json_t *row)
{
	json_t *patch = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(row, key, v) {
		if (!strcmp(key, "_row") || !strcmp(key, "id"))
			continue;
		bool xy = !strcmp(key, "lon") || !strcmp(key, "lat");
		json_t *now = xy ? coord(json_object_get(cur, key)) : json_incref(json_object_get(cur, key));
		json_t *want = xy ? coord(v) : json_incref(v);
		if (!same(now, want))
			json_object_set(patch, key, want);
		json_decref(now);
		json_decref(want);
	}
	if (json_object_get(patch, "lon") || json_object_get(patch, "lat")) {
		for (const char *const *k = (const char *const[]){"lon", "lat", "area_code", NULL}; *k; k++)
			if (!json_object_get(patch, *k)) {
				json_t *from = json_object_get(row, *k) ? json_object_get(row, *k) : json_object_get(cur, *k);
				json_object_set(patch, *k, from ? from : json_null());
			}
	}
	if (json_object_size(patch) == 0) {
		json_decref(patch);
		return NULL;
	}
	return patch;
}

/* Plan an update of object id to row: *out gets the patch (NULL: unchanged). 0, or -1 with *e. */
static int plan_update(store *s, const reg_entity *ent, const auth_scope *scope, int64_t id, json_t *row, long rownum,
                       json_t **out, reg_problems *p, yj_err *e)
{
	*out = NULL;
	json_t *cur;
	int rc = reg_get(s, ent, scope, id, &cur, e);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		reg_problems_add(p, rownum, "id", "编号 %lld: 没有这个%s, 或它不在您的辖区内 (新建请留空编号)", (long long)id,
		                 ent->label);
		return 0;
	}
	json_t *patch = diff(cur, row);
	json_decref(cur);
	if (!patch)
		return 0;
	if (reg_validate(s, ent, scope, patch, true, rownum, p, e) < 0) {
		json_decref(patch);
		return -1;
	}
	/* a changed credit code must not be another's (the validator checks it for new objects) */
	json_t *cc = json_object_get(patch, "credit_code");
	int64_t owner = 0;
	if (json_is_string(cc) && (rc = reg_db_credit_code_owner(s, ent, json_string_value(cc), &owner, e)) < 0) {
		json_decref(patch);
		return -1;
	}
	if (json_is_string(cc) && rc > 0 && owner != id)
		reg_problems_add(p, rownum, "credit_code", "统一社会信用代码 %s 已登记给另一家企业", json_string_value(cc));
	*out = patch;
	return 0;
}

/* Plan every row into plans[]; problems to *p. 0, or -1 with *e. */
static int plan_rows(store *s, const reg_entity *ent, const auth_scope *scope, json_t *rows, plan *plans,
                     reg_problems *p, yj_err *e)
{
	json_t *ids = json_object(); /* id -> the row that gave it first */
	size_t i;
	json_t *row;
	int rc = 0;
	json_array_foreach(rows, i, row) {
		plan *pl = &plans[i];
		json_t *line = json_object_get(row, "_row");
		pl->row = json_is_integer(line) ? (long)json_integer_value(line) : (long)i + 1;
		json_t *id = json_object_get(row, "id");
		if (json_is_integer(id) && json_integer_value(id) > 0) {
			pl->id = json_integer_value(id);
			char key[24];
			snprintf(key, sizeof key, "%lld", (long long)pl->id);
			json_t *first = json_object_get(ids, key);
			if (first) {
				reg_problems_add(p, pl->row, "id", "编号 %s 在第 %lld 行已出现", key, (long long)json_integer_value(first));
				continue;
			}
			json_object_set_new(ids, key, json_integer(pl->row));
			if ((rc = plan_update(s, ent, scope, pl->id, row, pl->row, &pl->obj, p, e)))
				break;
			continue;
		}
		if (id && !json_is_null(id)) {
			reg_problems_add(p, pl->row, "id", "编号必须是正整数 (新建请留空)");
			continue;
		}
		json_object_del(row, "id");
		json_object_del(row, "_row");
		pl->obj = json_incref(row);
		if ((rc = reg_validate(s, ent, scope, pl->obj, false, pl->row, p, e) < 0 ? -1 : 0))
			break;
		json_object_set_new(row, "_row", json_integer(pl->row));
	}
	json_decref(ids);
	if (rc == 0)
		reg_check_unique(ent, rows, p);
	return rc;
}

static const char *action_of(const plan *pl)
{
	return !pl->id ? "created" : pl->obj ? "updated" : "unchanged";
}

/* the dry run's rows: what each would do, the problems of the refused */
static json_t *report_rows(const plan *plans, size_t n, const reg_problems *p, long counts[4])
{
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		const plan *pl = &plans[i];
		json_t *probs = json_array();
		for (size_t k = 0; k < p->count && k < (p->max ? p->max : 1000); k++)
			if (p->items[k].row == pl->row)
				json_array_append_new(probs, json_pack("{s:s, s:s}", "field", p->items[k].field, "message",
				                                       reg_problem_text(p, k)));
		const char *action = json_array_size(probs) ? "refused" : action_of(pl);
		json_t *one = json_pack("{s:I, s:s}", "row", (json_int_t)pl->row, "action", action);
		if (pl->id)
			json_object_set_new(one, "id", json_integer(pl->id));
		if (json_array_size(probs)) {
			json_object_set(one, "problems", probs);
			counts[3]++;
		} else if (pl->id && pl->obj) {
			json_object_set_new(one, "fields", json_array());
			const char *key;
			json_t *v;
			json_object_foreach(pl->obj, key, v)
				json_array_append_new(json_object_get(one, "fields"), json_string(key));
			counts[1]++;
		} else {
			counts[pl->id ? 2 : 0]++;
		}
		json_decref(probs);
		json_array_append_new(out, one);
	}
	return out;
}

json_t *reg_import_apply(store *s, const reg_entity *ent, const auth_user *actor, const auth_scope *scope, json_t *rows,
                         bool dry_run, reg_problems *p, yj_err *e)
{
	size_t n = json_array_size(rows);
	plan *plans = yj_calloc(n ? n : 1, sizeof *plans);
	json_t *out = NULL;
	long counts[4] = {0}; /* created, updated, unchanged, refused */
	if (plan_rows(s, ent, scope, rows, plans, p, e))
		goto done;
	if (n == 0)
		reg_problems_add(p, 0, "file", "文件里没有数据行");
	if (dry_run) {
		json_t *list = report_rows(plans, n, p, counts);
		out = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:o}", "entity", ent->name, "dry_run", 1, "created",
		                (json_int_t)counts[0], "updated", (json_int_t)counts[1], "unchanged", (json_int_t)counts[2],
		                "refused", (json_int_t)counts[3], "rows", list);
		json_t *general = json_array();
		for (size_t k = 0; k < p->count && k < (p->max ? p->max : 1000); k++)
			if (p->items[k].row == 0)
				json_array_append_new(general, json_pack("{s:s, s:s}", "field", p->items[k].field, "message",
				                                         reg_problem_text(p, k)));
		json_object_set_new(out, "problems", general);
		goto done;
	}
	if (p->count) {
		out = json_null(); /* the caller answers with the problems */
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		plan *pl = &plans[i];
		int rc = !pl->id ? reg_insert(s, ent, actor, pl->obj, NULL, e)
		                 : pl->obj ? reg_update(s, ent, actor, scope, pl->id, pl->obj, e) : 0;
		if (rc)
			goto done;
		counts[!pl->id ? 0 : pl->obj ? 1 : 2]++;
	}
	out = json_pack("{s:s, s:I, s:I, s:I, s:I}", "entity", ent->name, "imported", (json_int_t)(counts[0] + counts[1]),
	                "created", (json_int_t)counts[0], "updated", (json_int_t)counts[1], "unchanged",
	                (json_int_t)counts[2]);
done:
	for (size_t i = 0; i < n; i++)
		json_decref(plans[i].obj);
	free(plans);
	return out;
}
