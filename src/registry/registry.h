/*
 * registry.h — what the bureau supervises or can call on: the administrative
 * area tree, and the entities of the command map (民情地图): enterprises,
 * major hazard sources, risk points, shelters, warehouses, rescue teams,
 * cameras and water sources; their map layers, themes and nearby search.
 *
 * Entities are described by tables (reg_entity / reg_field) and handled by
 * one engine: validation with field-level errors, CRUD with jurisdiction
 * scoping and audit records, list filters, import and export, layers. A new
 * entity is a new description, a migration and its audit projection, not
 * new handler code.
 *
 * Also the committee's member units (成员单位): webhook receivers of
 * warnings, kept here and read by dispatch through reg_member_unit_*.
 */
#ifndef YJ_REGISTRY_H
#define YJ_REGISTRY_H

#include <jansson.h>

#include "auth/auth.h"
#include "base/base.h"
#include "store/store.h"

/* ---- start-up --------------------------------------------------------------- */

/* Build in-memory indexes (the point -> area index) from the store. Call
 * once at server start, before threads. 0, or -1 with *e. */
int reg_start(store *s, yj_err *e);
void reg_stop(void);
/* Register the HTTP routes of the registry (and reg_init). */
void reg_api_register(void);
/* Register the audit projections of the registry's object types (CLI commands that verify too). */
void reg_init(void);

/* ---- areas ------------------------------------------------------------------ */

/* An area as JSON (with its path from the city down); with_geometry adds the
 * boundary. NULL when there is no such area. */
json_t *reg_area_json(store *s, const char *code, bool with_geometry);
/* The deepest area containing a WGS84 point; false when none. Thread-safe. */
bool reg_area_locate(double lon, double lat, char code_out[16]);

/* ---- entity descriptions -------------------------------------------------------- */

typedef enum {
	F_TEXT,        /* string, max_len bytes (UTF-8) */
	F_INT,         /* integer in [min, max] */
	F_REAL,        /* number in [min, max] */
	F_BOOL,
	F_ENUM,        /* one of values[] */
	F_ENUM_SET,    /* array of distinct values[] (stored as a JSON array) */
	F_URL,         /* string whose scheme is one of values[] ("rtsp", "http", ...) */
	F_PHONE,       /* digits, spaces, + and - ; 5..20 */
	F_CREDIT_CODE, /* 统一社会信用代码, GB 32100-2015 check character */
	F_REF,         /* id of a row of ref (an entity name, or "users") */
	F_REF_SET,     /* array of ids of ref */
	F_SUBSTANCES,  /* [{"name": str, "quantity_t": number >= 0}, ...] */
} reg_field_kind;

typedef struct reg_field {
	const char *name;          /* JSON member and SQL column */
	reg_field_kind kind;
	bool required;
	int max_len;               /* F_TEXT */
	double min, max;           /* F_INT, F_REAL */
	const char *const *values; /* F_ENUM, F_ENUM_SET, F_URL schemes; NULL-terminated */
	const char *const *labels; /* F_ENUM, F_ENUM_SET: the Chinese label of each value, in order;
	                              exports show them, imports take a label or a code */
	const char *ref;           /* F_REF, F_REF_SET: entity name or "users" */
	const char *ref_role;      /* F_REF to users: the role the user must have */
	bool filter;               /* usable as a list filter ?name=value */
	bool in_layer;             /* shown in map feature properties */
	const char *label;         /* Chinese column label for exports */
} reg_field;

typedef struct reg_entity {
	const char *name;        /* URL segment and layer name: "risk-points" */
	const char *table;       /* SQL table: "risk_point" */
	const char *object_type; /* audit object type: "risk_point" */
	const char *label;       /* 风险点 */
	const reg_field *fields; /* beyond the common ones; terminated by {0} */
	unsigned write_roles;    /* who may create, change and delete */
	unsigned read_roles;     /* who may read */
} reg_entity;

/*
 * Common fields of every entity, not listed in fields[]:
 *   id (integer, assigned), name (text, required, <= 200 bytes),
 *   area_code (the area it belongs to; derived from lon/lat when omitted),
 *   lon, lat (WGS84, optional together), note (text <= 2000),
 *   created, updated (RFC 3339, assigned).
 */

/* All entity descriptions, NULL-terminated; and one by name (NULL if none). */
extern const reg_entity *const reg_entities[];
const reg_entity *reg_entity_find(const char *name);

/* ---- validation and writes ------------------------------------------------------ */

/* One problem with one input row: the unit of field-level error reports. */
typedef struct reg_problem {
	long row;          /* import: the file line where the CSV record starts (header = 1)
	                      or the GeoJSON feature number (from 1); 0 for a single object */
	char field[64];
	char message[256];
	char message_zh[384]; /* the same in Chinese (data/i18n/errors.zh.tsv), "" when the catalog has none */
} reg_problem;

typedef struct reg_problems {
	reg_problem *items;
	size_t count, cap;
	size_t max;        /* stop collecting after this many (0 = 1000) */
	bool zh;           /* render the words in Chinese (the request's Accept-Language) */
} reg_problems;

/* a problem whose words are made already, in English and in Chinese (zh NULL: none) */
void reg_problems_add_text(reg_problems *p, long row, const char *field, const char *en, const char *zh);
void reg_problems_add(reg_problems *p, long row, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void reg_problems_free(reg_problems *p);
/* 404 "no <entity> with id <id>", its Chinese naming the entity by its label. Returns -1. */
int reg_not_found(const reg_entity *ent, int64_t id, yj_err *e);
/* item k's words in p's language */
const char *reg_problem_text(const reg_problems *p, size_t k);
/* {"error":{"code":"unprocessable","message":..., "problems":[{"row","field","message"}...]}} */
json_t *reg_problems_json(const reg_problems *p, const char *message);

/*
 * Check obj (a JSON object) against the entity: types, ranges, enums,
 * references, credit codes, area_code, unknown members. partial = PATCH
 * (only the members present are checked). scope is the caller's
 * jurisdiction: area_code and every object a reference leads to (an
 * enterprise, shelters, a grid worker) must lie in it, else the field is
 * a problem ("no ... with id N": out of scope reads as missing); NULL
 * checks nothing of the kind (the demo generator). Problems go to *p with
 * the given row. Returns the number of problems added, or -1 with *e when
 * the store failed. obj may be normalised in place (area_code filled from
 * lon/lat).
 */
long reg_validate(store *s, const reg_entity *ent, const auth_scope *scope, json_t *obj, bool partial, long row,
                  reg_problems *p, yj_err *e);

/*
 * Insert a validated object inside the caller's transaction, with an
 * audit record by actor (NULL: the system). *id_out (may be NULL) gets the
 * new id. 0, or -1 with *e.
 */
int reg_insert(store *s, const reg_entity *ent, const auth_user *actor, json_t *obj, int64_t *id_out, yj_err *e);
/* Apply a validated partial object to row id (caller's transaction), audited. YJ_ENOTFOUND when
 * there is no such row in scope (NULL: anywhere). */
int reg_update(store *s, const reg_entity *ent, const auth_user *actor, const auth_scope *scope, int64_t id,
               json_t *patch, yj_err *e);
/* Delete row id (caller's transaction), audited; YJ_ENOTFOUND outside scope, YJ_ECONFLICT when
 * still referenced. */
int reg_delete(store *s, const reg_entity *ent, const auth_user *actor, const auth_scope *scope, int64_t id,
               yj_err *e);

/* One row as JSON (all fields) into *out (new reference): 1, 0 when missing or outside scope
 * (NULL: no scoping, for internal use), -1 with *e. */
int reg_get(store *s, const reg_entity *ent, const auth_scope *scope, int64_t id, json_t **out, yj_err *e);
/* Beside each reference to a person (a risk point's grid_worker_id), the person: "grid_worker":
 * {id, display_name, phone, area_code}. 0, or -1 with *e. */
int reg_add_people(store *s, const reg_entity *ent, json_t *row, yj_err *e);

/* ---- lists (also used by exports) ------------------------------------------------ */

typedef struct reg_query {
	auth_scope scope;         /* the jurisdiction: every row lies in it */
	const char *q;            /* substring of name, or NULL */
	const reg_field *filter;  /* one ?field=value filter (a field of the entity), or NULL */
	const char *filter_text;  /* its value: text kinds */
	int64_t filter_int;       /* its value: F_INT, F_REF, F_REF_SET */
	bool has_bbox;
	double bbox[4];           /* minLon, minLat, maxLon, maxLat */
	int64_t cursor;           /* rows with id > cursor */
	long limit;               /* 1..; 0 = no limit */
} reg_query;

/* Call fn for each matching row (as JSON, borrowed for the call) in id order.
 * fn answers 0 to go on, else stops. Returns the number of rows, -1 on error;
 * *next_cursor (if not NULL) gets the last id when more rows exist, else 0. */
typedef int (*reg_row_fn)(void *ctx, json_t *row);
long reg_list(store *s, const reg_entity *ent, const reg_query *q, reg_row_fn fn, void *ctx, int64_t *next_cursor,
              yj_err *e);
/* How many rows match q, cursor and limit aside (X-Total-Count). 0, or -1 with *e. */
int reg_count(store *s, const reg_entity *ent, const reg_query *q, int64_t *total, yj_err *e);

/* ---- import and export (io_*.c) ------------------------------------------------------ */

/*
 * Turn an uploaded file into JSON objects for the entity, one per data row:
 * CSV (UTF-8 with or without BOM, or GB18030 — detected and converted; a
 * header row names the fields by JSON name or Chinese label), the first sheet
 * of an Excel workbook (.xlsx, read like a CSV file) or GeoJSON (a
 * FeatureCollection of Point features, properties named like the fields).
 * Text cells are converted to the field's type (numbers, booleans, sets as
 * "a;b", substances as "name:qty;name:qty"); conversion problems go to *p
 * with the row number. Each object carries its row number as member "_row"
 * (the caller removes it before validation). Returns a JSON array (new reference) or NULL with *e
 * when the file as a whole is unreadable.
 */
json_t *reg_import_parse(const reg_entity *ent, const char *content_type, const char *body,
                         size_t len, reg_problems *p, yj_err *e);

typedef enum { REG_EXPORT_CSV, REG_EXPORT_GEOJSON, REG_EXPORT_XLSX } reg_export_format;
/* Render rows (a JSON array of entity objects) into a malloc'ed body. */
int reg_export_render(const reg_entity *ent, reg_export_format fmt, json_t *rows, char **body,
                      size_t *len, const char **content_type, yj_err *e);

/* GB 32100-2015: true when code is a valid 18-character unified social credit code. */
bool reg_credit_code_valid(const char *code);

/* ---- demo data (reg_demo.c) ------------------------------------------------------------- */

/* Generate the demo registry (grid workers with password_hash, enterprises,
 * hazard sources, risk points, shelters, warehouses, teams, cameras, water
 * sources) inside the caller's transaction; needs reg_start first. */
int reg_demo_generate(store *s, const char *password_hash, uint64_t seed, yj_err *e);

/* ---- map layers, themes, nearby (layer.c) -------------------------------------------- */

/*
 * The GeoJSON FeatureCollection of a layer (an entity name) in bbox
 * (minLon, minLat, maxLon, maxLat) within scope, for user's role, narrowed
 * to a theme (NULL: none), at most limit features, appended to out.
 * YJ_ENOTFOUND for an unknown layer, YJ_EFORBIDDEN for a layer the role
 * may not see, YJ_EINVAL (field theme) for an unknown theme or one the
 * layer is not part of.
 */
int reg_layer_geojson(store *s, const auth_user *user, const char *layer, const double bbox[4],
                      const auth_scope *scope, const char *theme, long limit, strbuf *out, yj_err *e);

/* ---- lookups for other modules (reg_lookup.c) --------------------------------------------- */

/* An enterprise as other modules see it (enforcement, the enterprise portal). */
typedef struct reg_enterprise {
	int64_t id;
	char name[200];
	char area_code[16];
	char credit_code[24];
	char risk_grade[16];
	char principal[104];
	char address[304];
	json_t *sectors; /* array of sector codes: owned, release with reg_enterprise_clear */
	double lon, lat; /* NaN when unknown */
} reg_enterprise;
void reg_enterprise_clear(reg_enterprise *en);
/* 1 with *out filled, 0 when there is none, -1 on error. */
int reg_enterprise_get(store *s, int64_t id, reg_enterprise *out, yj_err *e);
/* The enterprise's name into out ("" when unknown). */
void reg_enterprise_name(store *s, int64_t id, char *out, size_t cap);
/* Visit the enterprises in scope (ascending id) whose sectors meet any of sectors (an array of
 * codes; NULL or empty: all). fn: 0 go on, 1 stop, -1 fail; it may run statements of its own. */
typedef int (*reg_enterprise_fn)(store *s, const reg_enterprise *en, void *ctx, yj_err *e);
int reg_enterprises_each(store *s, const auth_scope *scope, const json_t *sectors, reg_enterprise_fn fn, void *ctx,
                         yj_err *e);

/* A risk point (风险点) as dispatch sees it. */
typedef struct reg_risk_point {
	int64_t id;
	char name[200];
	char type[32];
	char area_code[16];
	double lon, lat;       /* NaN when unknown */
	int64_t grid_worker_id; /* 0: none */
	int64_t population;     /* 0 when unknown */
	json_t *shelter_ids;    /* array of shelter ids: owned, release with reg_risk_point_clear */
} reg_risk_point;
void reg_risk_point_clear(reg_risk_point *rp);
int reg_risk_point_get(store *s, int64_t id, reg_risk_point *out, yj_err *e);
typedef int (*reg_risk_point_fn)(store *s, const reg_risk_point *rp, void *ctx, yj_err *e);
/* the risk points in scope, ascending id */
int reg_risk_points_each(store *s, const auth_scope *scope, reg_risk_point_fn fn, void *ctx, yj_err *e);
/* the risk points whose point lies in bbox (minLon, minLat, maxLon, maxLat): a dialect point
 * (SQLite's R*Tree here, a GiST index in PostgreSQL) */
int reg_risk_points_in_bbox(store *s, const double bbox[4], reg_risk_point_fn fn, void *ctx, yj_err *e);

/* A shelter (避难场所) as dispatch sees it. */
typedef struct reg_shelter {
	int64_t id;
	char name[200];
	char area_code[16];
	int64_t capacity; /* 0 when unknown */
	double lon, lat;  /* NaN when unknown */
} reg_shelter;
int reg_shelter_get(store *s, int64_t id, reg_shelter *out, yj_err *e);

/* A member unit (成员单位) of the emergency committee: a webhook receiver of warnings. */
typedef struct reg_member_unit {
	int64_t id;
	char name[200];
	char area_code[16];
	char webhook_url[1024];
	bool enabled;
} reg_member_unit;
int reg_member_unit_get(store *s, int64_t id, reg_member_unit *out, yj_err *e);
typedef int (*reg_member_unit_fn)(store *s, const reg_member_unit *mu, void *ctx, yj_err *e);
/* the member units in scope (enabled only unless include_disabled), ascending id */
int reg_member_units_each(store *s, const auth_scope *scope, bool include_disabled, reg_member_unit_fn fn, void *ctx,
                          yj_err *e);

/* ---- the issuing authorities (authority.c): who decides and issues in a jurisdiction's name ---- */

/* One row of table `authority` (data/authorities.csv): the bureau of a city or county. */
typedef struct reg_authority {
	char area_code[16];
	char name[128];            /* 汕尾市应急管理局 */
	char short_name[64];
	char cap_sender[128];      /* CAP <sender> */
	char decision_prefix[32];  /* 汕应急罚 */
	char reconsideration[128]; /* where a party applies for 行政复议 */
	char court[128];           /* where a party brings 行政诉讼 */
	char payment_account_name[160], payment_account[64], payment_bank[128];
} reg_authority;

/*
 * The authority that issues for area_code: the row of the area itself, or
 * of the nearest area above it that has one (a village's warning is issued
 * by its county's bureau). 1 with *out, 0 when no area on the way up has
 * one, -1 on error.
 */
int reg_authority_for(store *s, const char *area_code, reg_authority *out, yj_err *e);
/* Load the built-in authorities (data/authorities.csv) for the areas that exist, audited as the
 * system; rows already there are kept. Inside the caller's transaction (init, demo). */
int reg_authorities_load(store *s, yj_err *e);

#endif
