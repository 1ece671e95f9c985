/*
 * entity_spec.c — the descriptions of the registry's entities: their
 * fields, kinds, ranges, value sets with the Chinese label of each value
 * (what exports show and imports accept beside the code), references,
 * filters, layer properties, Chinese column labels and who may write
 * them. The engine does the rest (entity_check.c validates, entity.c
 * writes and reads, entity_db.c holds the SQL); the tables themselves are
 * in migration 2, their audit projections in entity_audit.c.
 */
#include <string.h>

#include "registry/registry.h"

#define V(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *const sectors[] = {"hazardous_chemicals", "fireworks", "non_coal_mine",
                                      "ammonia_refrigeration", "dust_explosion", "confined_space",
                                      "metallurgy", "other", NULL};
static const char *const sector_labels[] = {"危险化学品", "烟花爆竹", "非煤矿山", "涉氨制冷", "粉尘涉爆",
                                            "有限空间", "冶金", "其他", NULL};

/* who reads the registry: the bureau's staff and the grid workers in the field */
#define READERS (ROLES_STAFF | ROLE_BIT(ROLE_GRID_WORKER))
#define KEEPERS (ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_DUTY_OFFICER))

static const reg_field enterprise_fields[] = {
	{.name = "credit_code", .kind = F_CREDIT_CODE, .required = true, .filter = true,
	 .label = "统一社会信用代码"},
	{.name = "sectors", .kind = F_ENUM_SET, .required = true, .values = sectors, .labels = sector_labels, .filter = true,
	 .in_layer = true, .label = "行业领域"},
	{.name = "risk_grade", .kind = F_ENUM, .values = V("A", "B", "C", "D", "red", "orange", "yellow", "blue"),
	 .labels = V("A级", "B级", "C级", "D级", "红色", "橙色", "黄色", "蓝色"),
	 .filter = true, .in_layer = true, .label = "风险等级"},
	{.name = "contact", .kind = F_TEXT, .max_len = 100, .label = "联系人"},
	{.name = "phone", .kind = F_PHONE, .label = "联系电话"},
	{.name = "principal", .kind = F_TEXT, .max_len = 100, .label = "主要负责人"},
	{.name = "address", .kind = F_TEXT, .max_len = 300, .label = "地址"},
	{0},
};

static const reg_field hazard_source_fields[] = {
	{.name = "enterprise_id", .kind = F_REF, .required = true, .ref = "enterprises", .filter = true,
	 .in_layer = true, .label = "所属企业"},
	{.name = "level", .kind = F_INT, .required = true, .min = 1, .max = 4, .filter = true,
	 .in_layer = true, .label = "危险源等级"},
	{.name = "substances", .kind = F_SUBSTANCES, .label = "危险物质及数量(吨)"},
	{0},
};

static const reg_field risk_point_fields[] = {
	{.name = "type", .kind = F_ENUM, .required = true,
	 .values = V("landslide", "flood_lowland", "reservoir", "river_embankment",
	             "dangerous_building", "coastal", "forest", "other"),
	 .labels = V("地质灾害", "低洼易涝", "水库", "河堤", "危房", "沿海", "林区", "其他"),
	 .filter = true, .in_layer = true, .label = "类型"},
	{.name = "level", .kind = F_ENUM, .values = V("major", "large", "medium", "small"),
	 .labels = V("重大", "较大", "一般", "低"), .filter = true,
	 .in_layer = true, .label = "风险等级"},
	{.name = "population", .kind = F_INT, .min = 0, .max = 1000000, .in_layer = true,
	 .label = "威胁人口"},
	{.name = "grid_worker_id", .kind = F_REF, .ref = "users", .ref_role = "grid_worker",
	 .filter = true, .label = "责任网格员"},
	{.name = "shelter_ids", .kind = F_REF_SET, .ref = "shelters", .filter = true,
	 .label = "关联避难场所"},
	{0},
};

static const reg_field shelter_fields[] = {
	{.name = "kind", .kind = F_ENUM,
	 .values = V("school", "stadium", "park", "community", "purpose_built", "other"),
	 .labels = V("学校", "体育场馆", "公园广场", "社区", "专用避难场所", "其他"),
	 .filter = true, .in_layer = true, .label = "类型"},
	{.name = "capacity", .kind = F_INT, .required = true, .min = 0, .max = 1000000, .in_layer = true,
	 .label = "容纳人数"},
	{.name = "area_m2", .kind = F_REAL, .min = 0, .max = 1e8, .label = "面积(平方米)"},
	{.name = "facilities", .kind = F_ENUM_SET,
	 .values = V("water", "power", "toilet", "medical", "kitchen", "bedding", "broadcast"),
	 .labels = V("供水", "供电", "厕所", "医疗", "厨房", "床铺被褥", "广播"),
	 .filter = true, .label = "设施"},
	{.name = "status", .kind = F_ENUM, .values = V("ready", "open", "full", "closed"),
	 .labels = V("待用", "开放", "已满", "关闭"), .filter = true,
	 .in_layer = true, .label = "状态"},
	{.name = "contact", .kind = F_TEXT, .max_len = 100, .label = "联系人"},
	{.name = "phone", .kind = F_PHONE, .label = "联系电话"},
	{0},
};

static const reg_field warehouse_fields[] = {
	{.name = "level", .kind = F_ENUM, .required = true, .values = V("city", "county", "town"),
	 .labels = V("市级", "县级", "镇级"),
	 .filter = true, .in_layer = true, .label = "级别"},
	{.name = "manager", .kind = F_TEXT, .max_len = 100, .label = "负责人"},
	{.name = "phone", .kind = F_PHONE, .label = "联系电话"},
	{.name = "area_m2", .kind = F_REAL, .min = 0, .max = 1e7, .label = "面积(平方米)"},
	{0},
};

static const reg_field team_fields[] = {
	{.name = "level", .kind = F_ENUM, .required = true,
	 .values = V("city", "county", "town", "enterprise", "social"),
	 .labels = V("市级", "县级", "镇级", "企业", "社会"), .filter = true,
	 .in_layer = true, .label = "级别"},
	{.name = "members", .kind = F_INT, .min = 0, .max = 100000, .in_layer = true, .label = "人数"},
	{.name = "specialties", .kind = F_ENUM_SET,
	 .values = V("flood", "forest_fire", "hazmat", "mountain", "water_rescue", "medical",
	             "earthquake", "general"),
	 .labels = V("防汛", "森林防灭火", "危化品", "山地救援", "水上救援", "医疗救护", "地震", "综合"),
	 .filter = true, .in_layer = true, .label = "专业"},
	{.name = "equipment", .kind = F_TEXT, .max_len = 2000, .label = "主要装备"},
	{.name = "leader", .kind = F_TEXT, .max_len = 100, .label = "队长"},
	{.name = "phone", .kind = F_PHONE, .label = "联系电话"},
	{0},
};

static const reg_field camera_fields[] = {
	{.name = "network", .kind = F_ENUM, .required = true,
	 .values = V("xueliang", "forest_fire", "highway", "other"),
	 .labels = V("雪亮工程", "林火监控", "高速公路", "其他"), .filter = true, .in_layer = true,
	 .label = "视频网络"},
	{.name = "stream_url", .kind = F_URL, .values = V("rtsp", "rtsps", "http", "https"),
	 .in_layer = true, .label = "视频流地址"},
	{.name = "status", .kind = F_ENUM, .values = V("online", "offline", "fault"),
	 .labels = V("在线", "离线", "故障"), .filter = true,
	 .in_layer = true, .label = "状态"},
	{.name = "channel_code", .kind = F_TEXT, .max_len = 64, .filter = true, .label = "通道编码"},
	{0},
};

static const reg_field water_source_fields[] = {
	{.name = "kind", .kind = F_ENUM, .values = V("pond", "reservoir", "river", "hydrant", "tank", "other"),
	 .labels = V("山塘", "水库", "河流", "消防栓", "蓄水池", "其他"),
	 .filter = true, .in_layer = true, .label = "类型"},
	{.name = "capacity_m3", .kind = F_REAL, .min = 0, .max = 1e10, .in_layer = true,
	 .label = "容量(立方米)"},
	{0},
};

static const reg_entity enterprises = {
	.name = "enterprises", .table = "enterprise", .object_type = "enterprise", .label = "企业",
	.fields = enterprise_fields, .write_roles = KEEPERS | ROLE_BIT(ROLE_INSPECTOR),
	.read_roles = ROLES_STAFF};
static const reg_entity hazard_sources = {
	.name = "hazard-sources", .table = "hazard_source", .object_type = "hazard_source",
	.label = "重大危险源", .fields = hazard_source_fields,
	.write_roles = KEEPERS | ROLE_BIT(ROLE_INSPECTOR), .read_roles = ROLES_STAFF};
static const reg_entity risk_points = {
	.name = "risk-points", .table = "risk_point", .object_type = "risk_point", .label = "风险点",
	.fields = risk_point_fields, .write_roles = KEEPERS, .read_roles = READERS};
static const reg_entity shelters = {
	.name = "shelters", .table = "shelter", .object_type = "shelter", .label = "避难场所",
	.fields = shelter_fields, .write_roles = KEEPERS, .read_roles = READERS};
static const reg_entity warehouses = {
	.name = "warehouses", .table = "warehouse", .object_type = "warehouse", .label = "物资仓库",
	.fields = warehouse_fields, .write_roles = KEEPERS | ROLE_BIT(ROLE_WAREHOUSE_KEEPER),
	.read_roles = READERS};
static const reg_entity teams = {
	.name = "teams", .table = "rescue_team", .object_type = "rescue_team", .label = "救援队伍",
	.fields = team_fields, .write_roles = KEEPERS, .read_roles = READERS};
static const reg_entity cameras = {
	.name = "cameras", .table = "camera", .object_type = "camera", .label = "视频监控",
	.fields = camera_fields, .write_roles = KEEPERS, .read_roles = ROLES_STAFF};
static const reg_entity water_sources = {
	.name = "water-sources", .table = "water_source", .object_type = "water_source",
	.label = "水源点", .fields = water_source_fields, .write_roles = KEEPERS,
	.read_roles = READERS};

const reg_entity *const reg_entities[] = {
	&enterprises, &hazard_sources, &risk_points, &shelters, &warehouses,
	&teams,       &cameras,        &water_sources, NULL,
};

const reg_entity *reg_entity_find(const char *name)
{
	for (int i = 0; name && reg_entities[i]; i++)
		if (strcmp(reg_entities[i]->name, name) == 0)
			return reg_entities[i];
	return NULL;
}
