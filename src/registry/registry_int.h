/*
 * registry_int.h — what the files of src/registry/ share with each other
 * and nobody else: the SQL built from each entity description.
 */
#ifndef YJ_REGISTRY_INT_H
#define YJ_REGISTRY_INT_H

#include "registry/registry.h"

#define REG_MAX_FIELDS 24

typedef struct ent_sql {
	int nfields;
	char *select_cols;
	char *get, *insert, *update, *delete, *area_of, *by_credit_code;
	/* list[0] unfiltered, list[1 + field index] filtered by that field; [bbox?] */
	char *list[REG_MAX_FIELDS + 1][2];
	/* reference counts of rows pointing at another entity through field k */
	char *ref_count[REG_MAX_FIELDS], *refset_count[REG_MAX_FIELDS];
} ent_sql;

const ent_sql *reg_sql(const reg_entity *ent);
bool reg_field_is_set(reg_field_kind k);
/* One row of a SELECT of the entity's columns (common first) as JSON. */
json_t *reg_row_json(const reg_entity *ent, sqlite3_stmt *st);
/* "minLon,minLat,maxLon,maxLat" into out; -1 + *e (field bbox) when malformed. */
int reg_bbox_parse(const char *bbox, double out[4], yj_err *e);
/* area.c: a random point inside area code (its geometry), reproducible from *rng. */
bool reg_area_random_point(const char *code, uint64_t *rng, double *lon, double *lat);
/* layer.c: build the layer and nearby SQL (called by reg_init). */
void reg_layers_init(void);
void reg_layer_api_register(void);
void reg_area_api_register(void);

#endif
