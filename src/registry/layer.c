/*
 * layer.c — the command map's layers, themes and nearby search.
 *
 * A layer is an entity's points in a bbox, as a GeoJSON FeatureCollection,
 * read through the entity's R*Tree (the rtree is the driving table, then
 * the row by id) and written straight into a buffer: no JSON objects are
 * built per feature, which keeps a 1,000-feature answer in the low
 * milliseconds. A theme (三防 flood, 林火 forest fire, 危化 hazmat) is a set
 * of layers, each optionally narrowed by a fixed SQL condition.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "registry/registry_int.h"

typedef struct theme_layer {
	const char *layer;
	const char *where; /* extra condition on e.*, or NULL */
} theme_layer;

typedef struct theme {
	const char *name, *label;
	theme_layer layers[10];
} theme;

static const theme themes[] = {
	{"flood", "三防 (防汛防台防旱)",
	 {{"risk-points", "e.type IN ('landslide','flood_lowland','reservoir','river_embankment',"
	                  "'coastal','dangerous_building')"},
	  {"shelters", NULL},
	  {"warehouses", NULL},
	  {"teams", NULL},
	  {"water-sources", "e.kind IN ('reservoir','river')"},
	  {NULL, NULL}}},
	{"forest_fire", "林火 (森林防灭火)",
	 {{"risk-points", "e.type = 'forest'"},
	  {"cameras", "e.network = 'forest_fire'"},
	  {"teams", "EXISTS (SELECT 1 FROM json_each(e.specialties) WHERE value IN ('forest_fire','general'))"},
	  {"water-sources", NULL},
	  {"warehouses", NULL},
	  {NULL, NULL}}},
	{"hazmat", "危化 (危险化学品)",
	 {{"enterprises", NULL},
	  {"hazard-sources", NULL},
	  {"teams", "EXISTS (SELECT 1 FROM json_each(e.specialties) WHERE value = 'hazmat')"},
	  {NULL, NULL}}},
};
#define NTHEMES ((int)YJ_ARRAY_LEN(themes))

/* SQL per entity: [0] no theme, [1 + theme index] with that theme's condition */
static char *layer_sql[16][NTHEMES + 1];
static char *nearby_sql[16];

static const theme_layer *theme_find_layer(const theme *t, const char *layer)
{
	for (int i = 0; t->layers[i].layer; i++)
		if (strcmp(t->layers[i].layer, layer) == 0)
			return &t->layers[i];
	return NULL;
}

static char *build_layer_sql(const reg_entity *ent, const char *where)
{
	strbuf b;
	strbuf_init(&b);
	strbuf_puts(&b, "SELECT e.id, e.lon, e.lat, e.name, e.area_code");
	for (const reg_field *f = ent->fields; f->name; f++)
		if (f->in_layer)
			strbuf_printf(&b, ", e.%s", f->name);
	strbuf_printf(&b,
	              " FROM %s_rtree r CROSS JOIN %s e ON e.id = r.id"
	              " WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 AND r.max_lat >= ?2"
	              " AND substr(e.area_code, 1, length(?5)) = ?5",
	              ent->table, ent->table);
	if (where)
		strbuf_printf(&b, " AND %s", where);
	strbuf_puts(&b, " LIMIT ?6");
	return strbuf_take(&b, NULL);
}

void reg_layers_init(void)
{
	for (int i = 0; reg_entities[i]; i++) {
		const reg_entity *ent = reg_entities[i];
		layer_sql[i][0] = build_layer_sql(ent, NULL);
		for (int t = 0; t < NTHEMES; t++) {
			const theme_layer *tl = theme_find_layer(&themes[t], ent->name);
			layer_sql[i][t + 1] = tl ? build_layer_sql(ent, tl->where) : NULL;
		}
		strbuf b;
		strbuf_init(&b);
		strbuf_printf(&b,
		              "SELECT e.id, e.lon, e.lat, e.name, e.area_code FROM %s_rtree r CROSS JOIN %s e"
		              " ON e.id = r.id WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4"
		              " AND r.max_lat >= ?2 AND substr(e.area_code, 1, length(?5)) = ?5",
		              ent->table, ent->table);
		nearby_sql[i] = strbuf_take(&b, NULL);
	}
}

static int entity_slot(const reg_entity *ent)
{
	for (int i = 0; reg_entities[i]; i++)
		if (reg_entities[i] == ent)
			return i;
	return -1;
}

static const theme *theme_by_name(const char *name)
{
	for (int t = 0; name && t < NTHEMES; t++)
		if (strcmp(themes[t].name, name) == 0)
			return &themes[t];
	return NULL;
}

/* number formatting without printf: the layer loop writes thousands of these */
static void put_i64(strbuf *out, long long v)
{
	char buf[24], *p = buf + sizeof buf;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	strbuf_append(out, p, (size_t)(buf + sizeof buf - p));
}

/* a coordinate with 7 decimals (about 1 cm) */
static void put_fix7(strbuf *out, double x)
{
	long long v = llround(x * 1e7);
	if (v < 0) {
		strbuf_append(out, "-", 1);
		v = -v;
	}
	put_i64(out, v / 10000000);
	char frac[8];
	long long f = v % 10000000;
	for (int i = 6; i >= 0; i--) {
		frac[i] = (char)('0' + f % 10);
		f /= 10;
	}
	frac[7] = '.';
	strbuf_append(out, frac + 7, 1);
	strbuf_append(out, frac, 7);
}

/* one column of a layer row as JSON text */
static void put_value(strbuf *out, const reg_field *f, sqlite3_stmt *st, int col)
{
	int type = sqlite3_column_type(st, col);
	if (type == SQLITE_NULL) {
		strbuf_puts(out, reg_field_is_set(f->kind) ? "[]" : "null");
		return;
	}
	switch (f->kind) {
	case F_INT:
	case F_REF: put_i64(out, (long long)sqlite3_column_int64(st, col)); break;
	case F_REAL: strbuf_printf(out, "%.10g", sqlite3_column_double(st, col)); break;
	case F_BOOL: strbuf_puts(out, sqlite3_column_int(st, col) ? "true" : "false"); break;
	case F_ENUM_SET:
	case F_REF_SET:
	case F_SUBSTANCES: /* stored as compact JSON written by yingji */
		strbuf_puts(out, (const char *)sqlite3_column_text(st, col));
		break;
	default: yj_json_escape(out, (const char *)sqlite3_column_text(st, col)); break;
	}
}

int reg_layer_geojson(store *s, const auth_user *user, const char *layer, const char *bbox,
                      const char *area, const char *theme_name, long limit, strbuf *out, yj_err *e)
{
	const reg_entity *ent = reg_entity_find(layer);
	if (!ent)
		return yj_fail(e, YJ_ENOTFOUND, "layer", "no layer '%.40s'", layer);
	if (!(ent->read_roles & ROLE_BIT(user->role)))
		return yj_fail(e, YJ_EFORBIDDEN, "layer", "role %s may not see layer %s",
		               auth_role_name(user->role), layer);
	int slot = entity_slot(ent), variant = 0;
	if (theme_name) {
		const theme *t = theme_by_name(theme_name);
		if (!t)
			return yj_fail(e, YJ_EINVAL, "theme", "field 'theme': '%.40s' is not flood, forest_fire or hazmat",
			               theme_name);
		variant = (int)(t - themes) + 1;
		if (!layer_sql[slot][variant])
			return yj_fail(e, YJ_EINVAL, "theme", "layer %s is not part of theme %s", layer, theme_name);
	}
	double bb[4] = {-180, -90, 180, 90};
	if (bbox && reg_bbox_parse(bbox, bb, e))
		return -1;
	char prefix[16];
	if (area) {
		if (auth_require_area(user, area, "area", e))
			return -1;
		auth_area_prefix(area, prefix);
	} else {
		snprintf(prefix, sizeof prefix, "%s", user->area_prefix);
	}
	sqlite3_stmt *st = store_stmt(s, layer_sql[slot][variant], e);
	if (!st)
		return -1;
	for (int i = 0; i < 4; i++)
		sqlite3_bind_double(st, 1 + i, bb[i]);
	store_bind_text(st, 5, prefix);
	sqlite3_bind_int64(st, 6, limit + 1);
	/* about 300 bytes a feature: reserve once instead of doubling from nothing */
	strbuf_append(out, "", 0);
	if (out->cap < (size_t)(limit < 2000 ? limit : 2000) * 300) {
		size_t want = (size_t)(limit < 2000 ? limit : 2000) * 300;
		char *p = realloc(out->data, want);
		if (p) {
			out->data = p;
			out->cap = want;
		}
	}
	strbuf_puts(out, "{\"type\":\"FeatureCollection\",\"layer\":");
	yj_json_escape(out, layer);
	strbuf_puts(out, ",\"features\":[");
	long n = 0;
	bool truncated = false;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			truncated = true;
			break;
		}
		long long id = sqlite3_column_int64(st, 0);
		double lon = sqlite3_column_double(st, 1), lat = sqlite3_column_double(st, 2);
		strbuf_puts(out, n ? ",{\"type\":\"Feature\",\"id\":\"" : "{\"type\":\"Feature\",\"id\":\"");
		strbuf_puts(out, ent->name);
		strbuf_append(out, ":", 1);
		put_i64(out, id);
		strbuf_puts(out, "\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
		put_fix7(out, lon);
		strbuf_append(out, ",", 1);
		put_fix7(out, lat);
		strbuf_puts(out, "]},\"properties\":{\"layer\":\"");
		strbuf_puts(out, ent->name);
		strbuf_puts(out, "\",\"id\":");
		put_i64(out, id);
		strbuf_puts(out, ",\"name\":");
		yj_json_escape(out, (const char *)sqlite3_column_text(st, 3));
		strbuf_puts(out, ",\"area_code\":");
		yj_json_escape(out, (const char *)sqlite3_column_text(st, 4));
		int col = 5;
		for (const reg_field *f = ent->fields; f->name; f++) {
			if (!f->in_layer)
				continue;
			strbuf_puts(out, ",\"");
			strbuf_puts(out, f->name);
			strbuf_puts(out, "\":");
			put_value(out, f, st, col++);
		}
		strbuf_puts(out, "}}");
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, e, "layer");
	strbuf_printf(out, "],\"count\":%ld,\"truncated\":%s}", n, truncated ? "true" : "false");
	return 0;
}

/* ---- HTTP ---------------------------------------------------------------------------------- */

static int handle_layer(http_req *req, http_res *res, yj_err *e)
{
	long limit = 1000;
	const char *ls = http_query(req, "limit");
	if (ls && yj_parse_long(ls, 1, 20000, &limit, "limit", e))
		return -1;
	strbuf b;
	strbuf_init(&b);
	if (reg_layer_geojson(store_thread(), req->user, http_param(req, "layer"),
	                      http_query(req, "bbox"), http_query(req, "area"),
	                      http_query(req, "theme"), limit, &b, e)) {
		strbuf_free(&b);
		return -1;
	}
	res->status = 200;
	res->body = strbuf_take(&b, &res->body_len);
	res->content_type = "application/geo+json";
	return 0;
}

static int handle_themes(http_req *req, http_res *res, yj_err *e)
{
	json_t *items = json_array();
	for (int t = 0; t < NTHEMES; t++) {
		json_t *layers = json_array();
		for (int i = 0; themes[t].layers[i].layer; i++)
			json_array_append_new(layers, json_string(themes[t].layers[i].layer));
		json_array_append_new(items, json_pack("{s:s, s:s, s:o}", "name", themes[t].name, "label",
		                                       themes[t].label, "layers", layers));
	}
	json_t *layers = json_array();
	for (int i = 0; reg_entities[i]; i++)
		json_array_append_new(layers, json_pack("{s:s, s:s}", "name", reg_entities[i]->name,
		                                        "label", reg_entities[i]->label));
	http_json(res, 200, json_pack("{s:o, s:o}", "items", items, "layers", layers));
	return 0;
}

typedef struct near_hit {
	const char *layer;
	long long id;
	double lon, lat, dist;
	char name[208];
} near_hit;

static int cmp_hit(const void *a, const void *b)
{
	double d = ((const near_hit *)a)->dist - ((const near_hit *)b)->dist;
	return d < 0 ? -1 : d > 0;
}

static double haversine_m(double lon1, double lat1, double lon2, double lat2)
{
	const double r = 6371008.8, rad = M_PI / 180;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
	           cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * r * asin(sqrt(a < 1 ? a : 1));
}

static int handle_nearby(http_req *req, http_res *res, yj_err *e)
{
	double lon, lat, radius;
	long limit = 50;
	if (yj_parse_double(http_query(req, "lon"), -180, 180, &lon, "lon", e) ||
	    yj_parse_double(http_query(req, "lat"), -90, 90, &lat, "lat", e) ||
	    yj_parse_double(http_query(req, "radius_m"), 1, 200000, &radius, "radius_m", e))
		return -1;
	if (http_query(req, "limit") && yj_parse_long(http_query(req, "limit"), 1, 500, &limit, "limit", e))
		return -1;
	const char *layers = http_query(req, "layers");
	if (!layers || !*layers)
		layers = "shelters,warehouses,teams";
	if (strlen(layers) > 300)
		return yj_fail(e, YJ_EINVAL, "layers", "field 'layers': too long");
	double dlat = radius / 111320.0, dlon = radius / (111320.0 * fmax(cos(lat * M_PI / 180), 0.01));
	store *s = store_thread();
	size_t cap = 256, n = 0;
	near_hit *hits = malloc(cap * sizeof *hits);
	char list[320];
	snprintf(list, sizeof list, "%s", layers);
	int rc = 0;
	for (char *save = NULL, *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		const reg_entity *ent = reg_entity_find(name);
		if (!ent) {
			rc = yj_fail(e, YJ_EINVAL, "layers", "field 'layers': no layer '%.40s'", name);
			break;
		}
		if (!(ent->read_roles & ROLE_BIT(req->user->role)))
			continue;
		sqlite3_stmt *st = store_stmt(s, nearby_sql[entity_slot(ent)], e);
		if (!st) {
			rc = -1;
			break;
		}
		sqlite3_bind_double(st, 1, lon - dlon);
		sqlite3_bind_double(st, 2, lat - dlat);
		sqlite3_bind_double(st, 3, lon + dlon);
		sqlite3_bind_double(st, 4, lat + dlat);
		store_bind_text(st, 5, req->user->area_prefix);
		while (sqlite3_step(st) == SQLITE_ROW) {
			double plon = sqlite3_column_double(st, 1), plat = sqlite3_column_double(st, 2);
			double d = haversine_m(lon, lat, plon, plat);
			if (d > radius)
				continue;
			if (n == cap) {
				cap *= 2;
				hits = realloc(hits, cap * sizeof *hits);
			}
			near_hit *h = &hits[n++];
			h->layer = ent->name;
			h->id = sqlite3_column_int64(st, 0);
			h->lon = plon;
			h->lat = plat;
			h->dist = d;
			snprintf(h->name, sizeof h->name, "%s", (const char *)sqlite3_column_text(st, 3));
		}
		sqlite3_reset(st);
	}
	if (rc == 0) {
		qsort(hits, n, sizeof *hits, cmp_hit);
		json_t *items = json_array();
		for (size_t i = 0; i < n && (long)i < limit; i++)
			json_array_append_new(items, json_pack("{s:s, s:I, s:s, s:f, s:f, s:f}", "layer",
			                                       hits[i].layer, "id", (json_int_t)hits[i].id,
			                                       "name", hits[i].name, "lon", hits[i].lon, "lat",
			                                       hits[i].lat, "distance_m",
			                                       round(hits[i].dist * 10) / 10));
		http_json(res, 200, json_pack("{s:o, s:I}", "items", items, "total", (json_int_t)n));
	}
	free(hits);
	return rc;
}

void reg_layer_api_register(void)
{
	unsigned readers = ROLES_STAFF | ROLE_BIT(ROLE_GRID_WORKER);
	http_route("GET", "/api/v1/layers/{layer}", handle_layer, readers, NULL);
	http_route("GET", "/api/v1/themes", handle_themes, readers, NULL);
	http_route("GET", "/api/v1/nearby", handle_nearby, readers, NULL);
}
