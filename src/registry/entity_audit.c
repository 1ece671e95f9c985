/*
 * entity_audit.c — the audit projections (全过程记录) of the registry's
 * object types: which stored columns the audit chain vouches for.
 *
 * Each list is explicit and versioned on purpose, not derived from the
 * descriptions of entity_spec.c: a field added to an entity must not make
 * the records made before it look tampered. Such a change registers
 * version 2 of that type with its new list, next to version 1, which stays
 * as it is (verify reads each record with the version it was made with).
 */
#include <stdlib.h>

#include "registry/registry_int.h"

#define TEXT F_TEXT
#define COMMON_V1                                                                                    \
	{"id", F_INT}, {"name", TEXT}, {"area_code", TEXT}, {"lon", F_REAL}, {"lat", F_REAL}, {"note", TEXT}, \
		{"created_ms", F_INT}, {"updated_ms", F_INT}

static const reg_proj_col enterprise_v1[] = {
	COMMON_V1,       {"credit_code", TEXT}, {"sectors", F_ENUM_SET}, {"risk_grade", TEXT},
	{"contact", TEXT}, {"phone", TEXT},       {"principal", TEXT},     {"address", TEXT}, {0}};
static const reg_proj_col hazard_source_v1[] = {
	COMMON_V1, {"enterprise_id", F_INT}, {"level", F_INT}, {"substances", F_SUBSTANCES}, {0}};
static const reg_proj_col risk_point_v1[] = {
	COMMON_V1,         {"type", TEXT}, {"level", TEXT}, {"population", F_INT}, {"grid_worker_id", F_INT},
	{"shelter_ids", F_REF_SET}, {0}};
static const reg_proj_col shelter_v1[] = {
	COMMON_V1,       {"kind", TEXT}, {"capacity", F_INT}, {"area_m2", F_REAL}, {"facilities", F_ENUM_SET},
	{"status", TEXT}, {"contact", TEXT}, {"phone", TEXT}, {0}};
static const reg_proj_col warehouse_v1[] = {
	COMMON_V1, {"level", TEXT}, {"manager", TEXT}, {"phone", TEXT}, {"area_m2", F_REAL}, {0}};
static const reg_proj_col rescue_team_v1[] = {
	COMMON_V1,          {"level", TEXT}, {"members", F_INT}, {"specialties", F_ENUM_SET}, {"equipment", TEXT},
	{"leader", TEXT}, {"phone", TEXT}, {0}};
static const reg_proj_col camera_v1[] = {
	COMMON_V1, {"network", TEXT}, {"stream_url", TEXT}, {"status", TEXT}, {"channel_code", TEXT}, {0}};
static const reg_proj_col water_source_v1[] = {COMMON_V1, {"kind", TEXT}, {"capacity_m3", F_REAL}, {0}};
/* 成员单位 member unit */
static const reg_proj_col member_unit_v1[] = {
	{"id", F_INT},           {"name", TEXT},   {"area_code", TEXT}, {"webhook_url", TEXT},
	{"enabled", F_BOOL},     {"created_ms", F_INT}, {0}};

typedef struct projection {
	const char *object_type; /* also the table */
	const reg_proj_col *v1;
} projection;

static const projection projections[] = {
	{"enterprise", enterprise_v1}, {"hazard_source", hazard_source_v1}, {"risk_point", risk_point_v1},
	{"shelter", shelter_v1},       {"warehouse", warehouse_v1},         {"rescue_team", rescue_team_v1},
	{"camera", camera_v1},         {"water_source", water_source_v1},   {"member_unit", member_unit_v1},
};

/* audit_project_fn has no context: one function per type, reading its row of the table above */
#define PROJECT_V1(i)                                                                                \
	static json_t *project_v1_##i(store *s, const char *object_id)                               \
	{                                                                                            \
		char *end;                                                                           \
		long long id = strtoll(object_id, &end, 10);                                         \
		return *object_id && !*end && id > 0                                                 \
		               ? reg_db_project(s, projections[i].object_type, projections[i].v1, id) \
		               : NULL;                                                               \
	}
PROJECT_V1(0)
PROJECT_V1(1)
PROJECT_V1(2)
PROJECT_V1(3)
PROJECT_V1(4)
PROJECT_V1(5)
PROJECT_V1(6)
PROJECT_V1(7)
PROJECT_V1(8)
static const audit_project_fn project_v1[] = {project_v1_0, project_v1_1, project_v1_2, project_v1_3, project_v1_4,
                                              project_v1_5, project_v1_6, project_v1_7, project_v1_8};
_Static_assert(YJ_ARRAY_LEN(project_v1) == YJ_ARRAY_LEN(projections), "one function per projection");

void reg_audit_init(void)
{
	for (size_t i = 0; i < YJ_ARRAY_LEN(projections); i++) {
		reg_db_project_init(projections[i].object_type, projections[i].v1);
		audit_register_type(projections[i].object_type, 1, project_v1[i]);
	}
}
