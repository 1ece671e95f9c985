/*
 * registry_int.h — what the files of src/registry/ share with each other
 * and nobody else: the data functions (*_db.c, the only files with SQL),
 * the themes of the map, the audit projections and the member units.
 */
#ifndef YJ_REGISTRY_INT_H
#define YJ_REGISTRY_INT_H

#include <stddef.h>

#include "registry/registry.h"

#define REG_MAX_FIELDS 24

bool reg_field_is_set(reg_field_kind k);
/* The field of ent called name, or NULL. */
const reg_field *reg_field_find(const reg_entity *ent, const char *name);

/* The member that carries the names beside reference field f: enterprise_id -> enterprise_name,
 * shelter_ids -> shelter_names (entity.c). */
void reg_ref_name_member(const reg_field *f, char out[64]);
/* Beside every reference of each row (an array of entity objects), the name of what it leads to
 * as text (several joined with ";"), in the member reg_ref_name_member names: for exports a
 * clerk reads. Names are looked up once per id. 0, or -1 with *e. */
int reg_add_ref_names(store *s, const reg_entity *ent, json_t *rows, yj_err *e);

/*
 * Apply the rows of an imported file (reg_import_parse's, each with "_row") inside the caller's
 * transaction, as actor within scope: a row with "id" updates that object (only what differs,
 * audited), one without creates. Every row is checked first, problems to *p with their rows; then
 * nothing is written when there are problems or dry_run, else everything. Answers
 *   dry run: {entity, dry_run: true, created, updated, unchanged, refused, problems: [file-level],
 *             rows: [{row, action: created|updated|unchanged|refused, id?, fields?, problems?}]}
 *   problems: JSON null (answer them: nothing was written)
 *   written: {entity, imported (created + updated), created, updated, unchanged}
 * as a new reference; NULL with *e when the store failed (roll back).
 */
json_t *reg_import_apply(store *s, const reg_entity *ent, const auth_user *actor, const auth_scope *scope, json_t *rows,
                         bool dry_run, reg_problems *p, yj_err *e);

/* Rows of one import (with "_row") that give the same credit code: a problem each after the first. */
void reg_check_unique(const reg_entity *ent, json_t *rows, reg_problems *p);

/* ---- entity rows (entity_db.c) ------------------------------------------------------------- */

/* The row of id as JSON (*out, new reference): 1, 0 when there is none, -1 with *e. */
int reg_db_get(store *s, const reg_entity *ent, int64_t id, json_t **out, yj_err *e);
/* The area_code of row id into out: 1, 0 when there is none, -1 with *e. */
int reg_db_area_of(store *s, const reg_entity *ent, int64_t id, char out[16], yj_err *e);
/* The name of row id into out: 1, 0 when there is none, -1 with *e. */
int reg_db_name_of(store *s, const reg_entity *ent, int64_t id, char *out, size_t cap, yj_err *e);
/* The id of the row with this credit code into *id: 1, 0 when none, -1 with *e. */
int reg_db_credit_code_owner(store *s, const reg_entity *ent, const char *code, int64_t *id, yj_err *e);
/* Insert obj (validated) with the times given; *id gets the new id. 0, or -1 with *e. */
int reg_db_insert(store *s, const reg_entity *ent, json_t *obj, int64_t created, int64_t updated, int64_t *id,
                  yj_err *e);
/* Write every column of row id from obj (a whole object): rows changed (0 or 1), -1 with *e. */
int64_t reg_db_update(store *s, const reg_entity *ent, int64_t id, json_t *obj, int64_t created, int64_t updated,
                      yj_err *e);
/* Delete row id: rows changed (0 or 1), -1 with *e. */
int64_t reg_db_delete(store *s, const reg_entity *ent, int64_t id, yj_err *e);
/* How many rows of any entity refer to (ent, id); *who gets the first such entity's name. 0, or -1. */
int reg_db_references(store *s, const reg_entity *ent, int64_t id, int64_t *count, const char **who, yj_err *e);

/* A text member of a struct filled from a column: where it is and how much it holds. */
typedef struct reg_text_col {
	size_t offset, cap;
} reg_text_col;
#define REG_TEXT_COL(type, member) {offsetof(type, member), sizeof(((type *)0)->member)}
/* Copy columns first.. of q into the text members cols[0..n) of obj (reg_lookup_db.c). */
void reg_db_copy_texts(store_q *q, int first, void *obj, const reg_text_col *cols, size_t n);
/* The one row of sql (one ? bound to key) read into out (zeroed first, size bytes) by fill:
 * 1, 0 when there is none, -1 with *e. */
typedef void (*reg_fill_fn)(store_q *q, void *out);
int reg_db_get_one(store *s, const char *sql, store_val key, reg_fill_fn fill, void *out, size_t size, yj_err *e);

/* ---- audit projections (entity_audit.c, entity_db.c) ------------------------------------------------ */

/* A column of an audit projection: its name (also the member of the record) and how to read it. */
typedef struct reg_proj_col {
	const char *column;
	reg_field_kind kind; /* F_INT, F_REAL, F_BOOL, a set kind (parsed JSON), else text */
} reg_proj_col;
/* The columns of row id of table as a JSON object (new reference), NULL when the row is gone
 * (or the store failed: logged). cols ends with {0}. */
json_t *reg_db_project(store *s, const char *table, const reg_proj_col *cols, int64_t id);
/* Build the SELECT of a projection once (at start, before threads; reg_audit_init). */
void reg_db_project_init(const char *table, const reg_proj_col *cols);
/* Register version 1 of every entity's projection and the member unit's (reg_init). */
void reg_audit_init(void);

/* ---- SQL pieces that differ between databases (entity_db.c) --------------------------------------- */

/* dialect point helpers, used by layer_db.c too: a JSON array column col holds one of values
 * (NULL-terminated constants of the spec, written inline), or, values NULL, the next bound value */
void reg_sql_set_has(strbuf *b, const char *col, const char *const *values);
/* "col IN ('a', 'b')" for constant values of the spec */
void reg_sql_in_values(strbuf *b, const char *col, const char *const *values);

/* ---- GeoJSON (geojson.c): the one writer of layers, lists and exports -------------------------------- */

#define REG_GEOJSON_TYPE "application/geo+json"
/* x rounded to 7 decimals (about 1 cm): what every answer and the store hold */
double reg_coord(double x);
/* x rounded to 7 decimals in its shortest form ("115.3486943", "22.5") */
void reg_gj_put_coord(strbuf *out, double x);
void reg_gj_put_int(strbuf *out, long long v);
/* {"type":"FeatureCollection"[,"layer":layer],"features":[ */
void reg_gj_open(strbuf *out, const char *layer);
/* [,]{"type":"Feature","id":id,"geometry":Point or null,"properties":{"id":id — the caller adds
 * ,"member":value pairs, then reg_gj_feature_close */
void reg_gj_feature_open(strbuf *out, bool first, int64_t id, bool has_point, double lon, double lat);
void reg_gj_feature_close(strbuf *out);
/* ][,"count":count (if >= 0)][,"truncated":bool (if >= 0)]} */
void reg_gj_close(strbuf *out, long count, int truncated);

/* ---- the map (layer.c, layer_db.c) ------------------------------------------------------------------- */

/* A theme (三防 flood, 林火 forest fire, 危化 hazmat): layers, each optionally narrowed to the
 * rows whose field holds one of values (for a set field: holds any of them). */
typedef struct reg_theme_layer {
	const char *layer;
	const char *field;          /* NULL: the whole layer */
	const char *const *values;
} reg_theme_layer;
typedef struct reg_theme {
	const char *name, *label;
	reg_theme_layer layers[8];  /* ends with {NULL} */
} reg_theme;
extern const reg_theme reg_themes[];
extern const int reg_ntheme;

/* Build the layer SQL of every (entity, theme) (at start, by reg_init). */
void reg_layer_db_init(void);
/*
 * Visit the rows of ent's layer (theme: -1 none, else an index of reg_themes) whose point lies
 * in bbox, within scope, at most limit + 1 of them (the caller says "truncated" after limit).
 * fn reads the row from q: 0 id, 1 lon, 2 lat, 3 name, 4 area_code, then the entity's
 * in_layer fields in the order of the description; it answers 0 to go on. 0, or -1 with *e.
 */
typedef int (*reg_layer_row_fn)(void *ctx, store_q *q);
int reg_layer_db_each(store *s, const reg_entity *ent, int theme, const double bbox[4], const auth_scope *scope,
                      long limit, reg_layer_row_fn fn, void *ctx, yj_err *e);
/* The rows of ent whose point lies in bbox within scope: fn(ctx, id, lon, lat, name). 0, or -1. */
typedef void (*reg_near_fn)(void *ctx, const reg_entity *ent, int64_t id, double lon, double lat, const char *name);
int reg_near_db_each(store *s, const reg_entity *ent, const double bbox[4], const auth_scope *scope, reg_near_fn fn,
                     void *ctx, yj_err *e);
/* The theme called name, or -1. */
int reg_theme_find(const char *name);
/* true when the theme has ent's layer */
bool reg_theme_has(int theme, const reg_entity *ent);
/* Resources near (lon, lat) within radius_m in the named layers (comma-separated; roles that may
 * not see a layer skip it), nearest first: {"items": [...], "total": n} (new reference), NULL +
 * *e (YJ_EINVAL field layers for an unknown one). */
json_t *reg_nearby(store *s, const auth_user *user, const auth_scope *scope, double lon, double lat,
                   double radius_m, const char *layers, long limit, yj_err *e);

/* ---- member units (member_unit*.c) ------------------------------------------------------------------- */

/* A change to a member unit (NULL / -1: leave as it is). */
typedef struct reg_mu_input {
	const char *name;
	const char *area_code;   /* known and in the caller's scope: the handler checks */
	const char *webhook_url;
	int enabled;             /* 1, 0, or -1 */
} reg_mu_input;
int reg_mu_db_insert(store *s, const reg_mu_input *in, int64_t created, int64_t *id, yj_err *e);
int64_t reg_mu_db_update(store *s, int64_t id, const reg_mu_input *in, yj_err *e);
/* The unit as the API shows it {id, name, area_code, webhook_url, enabled}: 1, 0, -1. */
int reg_mu_db_json(store *s, int64_t id, json_t **out, yj_err *e);
/* The units in scope, ascending id, appended to items. 0, or -1. */
int reg_mu_db_list(store *s, const auth_scope *scope, json_t *items, yj_err *e);

/* The unit as the API shows it (*out, new reference): 1, 0 when missing or outside scope (NULL:
 * anywhere), -1 with *e. */
int reg_mu_get(store *s, const auth_scope *scope, int64_t id, json_t **out, yj_err *e);
/* The units in scope as a JSON array (*items, new reference), ascending id. 0, or -1 with *e. */
int reg_mu_list(store *s, const auth_scope *scope, json_t **items, yj_err *e);
/* Validate (name, webhook URL) and write, audited, inside the caller's transaction. */
int reg_mu_create(store *s, const auth_user *actor, const reg_mu_input *in, int64_t *id, yj_err *e);
/* YJ_ENOTFOUND when there is no such unit in scope. */
int reg_mu_update(store *s, const auth_user *actor, const auth_scope *scope, int64_t id, const reg_mu_input *in,
                  yj_err *e);
void reg_mu_api_register(void);

/* ---- areas (area.c, area_api.c) ---------------------------------------------------------------------- */

/* a random point inside area code within radius_m of (lon, lat), reproducible from *rng */
bool reg_area_random_point_near(const char *code, double lon, double lat, double radius_m, uint64_t *rng,
                                double *out_lon, double *out_lat);
void reg_area_api_register(void);
void reg_layer_api_register(void);
/* (handlers) a query number in lo..hi that must be there: 0, or -1 with *e naming it (layer_api.c) */
struct http_req;
int reg_query_required_double(const struct http_req *req, const char *name, double lo, double hi, double *out,
                              yj_err *e);

/* ---- the issuing authorities (authority.c, authority_db.c, authority_api.c) ---- */
json_t *reg_authority_json(const reg_authority *a);
void reg_authority_init(void);
void reg_authority_routes(void);
int reg_db_authority_get(store *s, const char *area_code, reg_authority *out, yj_err *e);
/* 1 added, 0 there already, -1 error */
int reg_db_authority_add(store *s, const reg_authority *a, yj_err *e);
typedef int (*reg_authority_fn)(const reg_authority *a, void *ctx, yj_err *e);
int reg_db_authorities_each(store *s, const auth_scope *sc, reg_authority_fn fn, void *ctx, yj_err *e);

#endif
