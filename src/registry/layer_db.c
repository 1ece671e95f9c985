/*
 * layer_db.c — the SQL of the command map's layers and of nearby search:
 * an entity's points in a bbox, within a jurisdiction, optionally narrowed
 * to a theme.
 *
 * The spatial index is the driving table (then the row by id), so a
 * layer costs what its bbox holds, not what the table holds. The texts
 * are built once at start per (entity, theme) and live as long as the
 * process; every value is bound.
 */
#include <stdio.h>
#include <string.h>

#include "registry/registry_int.h"

#define MAX_ENTITIES 16
#define MAX_THEMES 8

/* [entity][0] no theme, [entity][1 + theme] with that theme's condition (NULL: not in it) */
static char *layer_sql[MAX_ENTITIES][MAX_THEMES + 1];
static char *near_sql[MAX_ENTITIES];

static int entity_slot(const reg_entity *ent)
{
	for (int i = 0; reg_entities[i] && i < MAX_ENTITIES; i++)
		if (reg_entities[i] == ent)
			return i;
	return -1;
}

/* dialect point: " FROM <the points of table in a bbox> e WHERE <in the bbox>" — SQLite's
 * R*Tree <table>_rtree as the driving table (bind maxLon, minLon, maxLat, minLat); PostgreSQL
 * would write FROM table e WHERE e.point && ST_MakeEnvelope(...) over a GiST index */
static void from_bbox(strbuf *b, const char *table)
{
	strbuf_printf(b,
	              " FROM %s_rtree r CROSS JOIN %s e ON e.id = r.id"
	              " WHERE r.min_lon <= ? AND r.max_lon >= ? AND r.min_lat <= ? AND r.max_lat >= ?",
	              table, table);
}

static char *build_layer_sql(const reg_entity *ent, const reg_theme_layer *tl)
{
	strbuf b;
	strbuf_init(&b);
	strbuf_puts(&b, "SELECT e.id, e.lon, e.lat, e.name, e.area_code");
	for (const reg_field *f = ent->fields; f->name; f++)
		if (f->in_layer)
			strbuf_printf(&b, ", e.%s", f->name);
	from_bbox(&b, ent->table);
	strbuf_puts(&b, " AND " AUTH_SCOPE_SQL("e.area_code"));
	if (tl && tl->field) {
		const reg_field *f = reg_field_find(ent, tl->field);
		char col[80];
		snprintf(col, sizeof col, "e.%s", tl->field);
		strbuf_puts(&b, " AND ");
		if (f && reg_field_is_set(f->kind))
			reg_sql_set_has(&b, col, tl->values);
		else
			reg_sql_in_values(&b, col, tl->values);
	}
	strbuf_puts(&b, " LIMIT ?");
	return strbuf_take(&b, NULL);
}

void reg_layer_db_init(void)
{
	for (int i = 0; reg_entities[i] && i < MAX_ENTITIES; i++) {
		const reg_entity *ent = reg_entities[i];
		layer_sql[i][0] = build_layer_sql(ent, NULL);
		for (int t = 0; t < reg_ntheme && t < MAX_THEMES; t++) {
			const reg_theme_layer *tl = NULL;
			for (int k = 0; reg_themes[t].layers[k].layer; k++)
				if (strcmp(reg_themes[t].layers[k].layer, ent->name) == 0)
					tl = &reg_themes[t].layers[k];
			layer_sql[i][t + 1] = tl ? build_layer_sql(ent, tl) : NULL;
		}
		strbuf b;
		strbuf_init(&b);
		strbuf_puts(&b, "SELECT e.id, e.lon, e.lat, e.name");
		from_bbox(&b, ent->table);
		strbuf_puts(&b, " AND " AUTH_SCOPE_SQL("e.area_code"));
		near_sql[i] = strbuf_take(&b, NULL);
	}
}

bool reg_theme_has(int theme, const reg_entity *ent)
{
	int slot = entity_slot(ent);
	return slot >= 0 && theme >= 0 && theme < reg_ntheme && theme < MAX_THEMES && layer_sql[slot][theme + 1];
}

int reg_layer_db_each(store *s, const reg_entity *ent, int theme, const double bbox[4], const auth_scope *scope,
                      long limit, reg_layer_row_fn fn, void *ctx, yj_err *e)
{
	int slot = entity_slot(ent);
	const char *sql = slot >= 0 && theme >= -1 && theme < MAX_THEMES ? layer_sql[slot][theme + 1] : NULL;
	if (!sql)
		return yj_fail(e, YJ_EINTERNAL, "layer", "no layer SQL for %s", ent->name);
	store_q *q = store_query(s, e, sql, bbox[2], bbox[0], bbox[3], bbox[1], scope->lo, scope->hi, (int64_t)limit + 1);
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		if (fn(ctx, q)) {
			store_done(q);
			return 0;
		}
	}
	return rc < 0 ? -1 : 0;
}

int reg_near_db_each(store *s, const reg_entity *ent, const double bbox[4], const auth_scope *scope, reg_near_fn fn,
                     void *ctx, yj_err *e)
{
	int slot = entity_slot(ent);
	if (slot < 0 || !near_sql[slot])
		return yj_fail(e, YJ_EINTERNAL, "layers", "no nearby SQL for %s", ent->name);
	store_q *q = store_query(s, e, near_sql[slot], bbox[2], bbox[0], bbox[3], bbox[1], scope->lo, scope->hi);
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0)
		fn(ctx, ent, store_col_int(q, 0), store_col_double(q, 1), store_col_double(q, 2), store_col_str(q, 3));
	return rc < 0 ? -1 : 0;
}
