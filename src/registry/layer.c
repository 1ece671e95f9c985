/*
 * layer.c — the command map's layers, themes and nearby search.
 *
 * A layer is an entity's points in a bbox, as a GeoJSON FeatureCollection
 * written straight into a buffer from the rows layer_db.c reads: no JSON
 * objects are built per feature, which keeps a 1,000-feature answer in
 * the low milliseconds. A theme (三防 flood, 林火 forest fire, 危化 hazmat)
 * is a set of layers, each optionally narrowed to rows whose field holds
 * one of a few values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry_int.h"

#define V(...) ((const char *const[]){__VA_ARGS__, NULL})

const reg_theme reg_themes[] = {
	{"flood", "三防 (防汛防台防旱)",
	 {{"risk-points", "type",
	   V("landslide", "flood_lowland", "reservoir", "river_embankment", "coastal", "dangerous_building")},
	  {"shelters", NULL, NULL},
	  {"warehouses", NULL, NULL},
	  {"teams", NULL, NULL},
	  {"water-sources", "kind", V("reservoir", "river")},
	  {NULL, NULL, NULL}}},
	{"forest_fire", "林火 (森林防灭火)",
	 {{"risk-points", "type", V("forest")},
	  {"cameras", "network", V("forest_fire")},
	  {"teams", "specialties", V("forest_fire", "general")},
	  {"water-sources", NULL, NULL},
	  {"warehouses", NULL, NULL},
	  {NULL, NULL, NULL}}},
	{"hazmat", "危化 (危险化学品)",
	 {{"enterprises", NULL, NULL},
	  {"hazard-sources", NULL, NULL},
	  {"teams", "specialties", V("hazmat")},
	  {NULL, NULL, NULL}}},
};
const int reg_ntheme = (int)YJ_ARRAY_LEN(reg_themes);

int reg_theme_find(const char *name)
{
	for (int t = 0; name && t < reg_ntheme; t++)
		if (strcmp(reg_themes[t].name, name) == 0)
			return t;
	return -1;
}

/* ---- GeoJSON of a layer ---------------------------------------------------------------------- */

/* one column of a layer row as JSON text */
static void put_value(strbuf *out, const reg_field *f, store_q *q, int col)
{
	if (store_col_null(q, col)) {
		strbuf_puts(out, reg_field_is_set(f->kind) ? "[]" : "null");
		return;
	}
	switch (f->kind) {
	case F_INT:
	case F_REF: reg_gj_put_int(out, (long long)store_col_int(q, col)); break;
	case F_REAL: strbuf_printf(out, "%.10g", store_col_double(q, col)); break;
	case F_BOOL: strbuf_puts(out, store_col_int(q, col) ? "true" : "false"); break;
	case F_ENUM_SET:
	case F_REF_SET:
	case F_SUBSTANCES: /* stored as compact JSON written by yingji */
		strbuf_puts(out, store_col_str(q, col));
		break;
	default: yj_json_escape(out, store_col_str(q, col)); break;
	}
}

typedef struct layer_ctx {
	const reg_entity *ent;
	strbuf *out;
	long n, limit;
	bool truncated;
} layer_ctx;

static int put_feature(void *ctx, store_q *q)
{
	layer_ctx *c = ctx;
	strbuf *out = c->out;
	if (c->n == c->limit) {
		c->truncated = true;
		return 1;
	}
	reg_gj_feature_open(out, c->n == 0, store_col_int(q, 0), !store_col_null(q, 1) && !store_col_null(q, 2),
	                    store_col_double(q, 1), store_col_double(q, 2));
	strbuf_puts(out, ",\"layer\":");
	yj_json_escape(out, c->ent->name);
	strbuf_puts(out, ",\"name\":");
	yj_json_escape(out, store_col_str(q, 3));
	strbuf_puts(out, ",\"area_code\":");
	yj_json_escape(out, store_col_str(q, 4));
	int col = 5;
	for (const reg_field *f = c->ent->fields; f->name; f++) {
		if (!f->in_layer)
			continue;
		strbuf_puts(out, ",\"");
		strbuf_puts(out, f->name);
		strbuf_puts(out, "\":");
		put_value(out, f, q, col++);
	}
	reg_gj_feature_close(out);
	c->n++;
	return 0;
}

int reg_layer_geojson(store *s, const auth_user *user, const char *layer, const double bbox[4],
                      const auth_scope *scope, const char *theme_name, long limit, strbuf *out, yj_err *e)
{
	const reg_entity *ent = reg_entity_find(layer);
	if (!ent)
		return yj_fail(e, YJ_ENOTFOUND, "layer", "no layer '%.40s'", layer);
	if (!(ent->read_roles & ROLE_BIT(user->role)))
		return yj_fail(e, YJ_EFORBIDDEN, "layer", "role %s may not see layer %s", auth_role_name(user->role), layer);
	int theme = -1;
	if (theme_name) {
		theme = reg_theme_find(theme_name);
		if (theme < 0)
			return yj_fail(e, YJ_EINVAL, "theme", "field 'theme': '%.40s' is not flood, forest_fire or hazmat",
			               theme_name);
		if (!reg_theme_has(theme, ent))
			return yj_fail(e, YJ_EINVAL, "theme", "layer %s is not part of theme %s", layer, theme_name);
	}
	/* about 300 bytes a feature: reserve once instead of doubling from nothing */
	size_t want = (size_t)(limit < 2000 ? limit : 2000) * 300;
	if (out->cap < want) {
		out->data = yj_realloc(out->data, want);
		if (out->cap == 0)
			out->data[0] = 0;
		out->cap = want;
	}
	reg_gj_open(out, layer);
	layer_ctx c = {.ent = ent, .out = out, .limit = limit};
	if (reg_layer_db_each(s, ent, theme, bbox, scope, limit, put_feature, &c, e))
		return -1;
	reg_gj_close(out, c.n, c.truncated);
	return 0;
}

/* ---- nearby --------------------------------------------------------------------------------------- */

typedef struct near_hit {
	const char *layer;
	long long id;
	double lon, lat, dist;
	char name[208];
} near_hit;

typedef struct near_ctx {
	double lon, lat, radius;
	near_hit *hits;
	size_t n, cap;
} near_ctx;

static int cmp_hit(const void *a, const void *b)
{
	double d = ((const near_hit *)a)->dist - ((const near_hit *)b)->dist;
	return d < 0 ? -1 : d > 0;
}

static double haversine_m(double lon1, double lat1, double lon2, double lat2)
{
	const double r = 6371008.8, rad = M_PI / 180;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * r * asin(sqrt(a < 1 ? a : 1));
}

static void near_hit_add(void *ctx, const reg_entity *ent, int64_t id, double lon, double lat, const char *name)
{
	near_ctx *c = ctx;
	double d = haversine_m(c->lon, c->lat, lon, lat);
	if (d > c->radius)
		return;
	c->hits = yj_grow(c->hits, &c->cap, c->n + 1, sizeof *c->hits);
	near_hit *h = &c->hits[c->n++];
	h->layer = ent->name;
	h->id = id;
	h->lon = reg_coord(lon);
	h->lat = reg_coord(lat);
	h->dist = d;
	snprintf(h->name, sizeof h->name, "%s", name);
	yj_utf8_trim(h->name);
}

json_t *reg_nearby(store *s, const auth_user *user, const auth_scope *scope, double lon, double lat,
                   double radius_m, const char *layers, long limit, yj_err *e)
{
	double dlat = radius_m / 111320.0, dlon = radius_m / (111320.0 * fmax(cos(lat * M_PI / 180), 0.01));
	double bbox[4] = {lon - dlon, lat - dlat, lon + dlon, lat + dlat};
	near_ctx c = {.lon = lon, .lat = lat, .radius = radius_m};
	char list[320];
	snprintf(list, sizeof list, "%s", layers);
	for (char *save = NULL, *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		const reg_entity *ent = reg_entity_find(name);
		if (!ent) {
			free(c.hits);
			yj_fail(e, YJ_EINVAL, "layers", "field 'layers': no layer '%.40s'", name);
			return NULL;
		}
		if (!(ent->read_roles & ROLE_BIT(user->role)))
			continue;
		if (reg_near_db_each(s, ent, bbox, scope, near_hit_add, &c, e)) {
			free(c.hits);
			return NULL;
		}
	}
	if (c.n)
		qsort(c.hits, c.n, sizeof *c.hits, cmp_hit);
	json_t *items = json_array();
	for (size_t i = 0; i < c.n && (long)i < limit; i++)
		json_array_append_new(items, json_pack("{s:s, s:I, s:s, s:f, s:f, s:f}", "layer", c.hits[i].layer, "id",
		                                       (json_int_t)c.hits[i].id, "name", c.hits[i].name, "lon",
		                                       c.hits[i].lon, "lat", c.hits[i].lat, "distance_m",
		                                       round(c.hits[i].dist * 10) / 10));
	json_t *out = json_pack("{s:o, s:I}", "items", items, "total", (json_int_t)c.n);
	free(c.hits);
	return out;
}
