/*
 * reg_demo.c — the generated demo registry of the demo city, at the scale
 * the 2022 report gives: 600 supervised enterprises with their major hazard
 * sources, 360 risk points, shelters in every town, 52 warehouses (the city
 * and one per town), the city rescue team of 50 and town teams, 11,615
 * xueliang + 92 forest-fire + 116 highway cameras and others (12,000+),
 * water sources, and 4,700 grid workers spread over the villages.
 *
 * Everything is reproducible from the seed and lies inside the real county
 * boundaries (towns: their approximate cells). Every row says it is
 * generated demo data in its note. Names are plausible, not real.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "geo/geo.h"
#include "registry/registry_int.h"

#define DEMO_NOTE "演示数据"
/* how far from a town's seat, or from one of its villages, a generated object may lie */
#define NEAR_SEAT_M 3000
#define NEAR_VILLAGE_M 1500

typedef struct town {
	char code[16], name[64];
	int special;
	int nvillages;
	char (*villages)[16];
	int64_t *workers; /* grid worker ids of this town */
	int nworkers;
	int64_t *shelters;
	int nshelters;
	double (*anchors)[2]; /* where people live: the town's point (its seat), then its villages' points */
	int nanchors;
} town;

typedef struct demo {
	store *s;
	uint64_t rng;
	town *towns;
	int ntowns;
	int regular[64]; /* indexes of the regular towns */
	int nregular;
	int lived[64];   /* indexes of the towns with a known point (seat or village) */
	int nlived;
	int lived_regular[64];
	int nlived_regular;
	const char *password_hash;
	long done, total;
	yj_err *e;
} demo;

/* how many objects of one kind (a code of the spec) to make, and the words of their names */
typedef struct demo_plan {
	const char *code, *label;
	int count;
} demo_plan;

static const char *const surnames[] = {"陈", "林", "黄", "张", "李", "吴", "刘", "蔡", "郑", "杨",
                                       "彭", "许", "钟", "曾", "叶", "庄", "卓", "罗", "邱", "温"};
static const char *const given[] = {"伟", "芳", "强", "敏", "海", "军", "丽", "明", "华", "建",
                                    "国", "新", "志", "文", "平", "东", "春", "晓", "永", "辉"};

static void person(demo *d, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s", surnames[yj_rand_below(&d->rng, YJ_ARRAY_LEN(surnames))],
	         given[yj_rand_below(&d->rng, YJ_ARRAY_LEN(given))],
	         yj_rand_below(&d->rng, 2) ? given[yj_rand_below(&d->rng, YJ_ARRAY_LEN(given))] : "");
}

static void phone(demo *d, char *out, size_t cap)
{
	snprintf(out, cap, "13%d%08llu", 5 + (int)yj_rand_below(&d->rng, 5),
	         (unsigned long long)yj_rand_below(&d->rng, 100000000));
}

static void progress(demo *d)
{
	if (++d->done % 500 == 0)
		yj_progress("demo: registry", d->done, d->total);
}

/*
 * A point where people live in town t: within NEAR_SEAT_M of its seat or NEAR_VILLAGE_M of one of
 * its villages that has a point (the seat half the time), inside the town's cell (else its
 * county). Never anywhere in the cell: the cell of 遮浪街道 holds 东沙群岛, 200 km out at sea.
 * false when the town has no known point at all.
 */
static bool town_point(demo *d, const town *t, double *lon, double *lat)
{
	if (!t->nanchors)
		return false;
	int k = t->nanchors > 1 && yj_rand_below(&d->rng, 2) ? 1 + (int)yj_rand_below(&d->rng, (uint64_t)t->nanchors - 1) : 0;
	char county[8];
	snprintf(county, sizeof county, "%.6s", t->code);
	const char *const within[] = {t->code, county};
	for (size_t w = 0; w < YJ_ARRAY_LEN(within); w++)
		for (int a = k;; a = 0) {
			if (reg_area_random_point_near(within[w], t->anchors[a][0], t->anchors[a][1],
			                               a ? NEAR_VILLAGE_M : NEAR_SEAT_M, &d->rng, lon, lat))
				return true;
			if (a == 0)
				break;
		}
	*lon = t->anchors[0][0];
	*lat = t->anchors[0][1];
	return true;
}

/* where an object of town t lies (none when nobody knows where the town is), its area and note */
static void place(demo *d, const town *t, json_t *obj)
{
	double lon, lat;
	if (town_point(d, t, &lon, &lat)) {
		json_object_set_new(obj, "lon", json_real(lon));
		json_object_set_new(obj, "lat", json_real(lat));
	}
	json_object_set_new(obj, "area_code", json_string(t->code));
	json_object_set_new(obj, "note", json_string(DEMO_NOTE));
}

/* a town at random among those with a known point (regular ones only, or any) */
static town *pick_town(demo *d, bool regular)
{
	if (regular)
		return &d->towns[d->lived_regular[yj_rand_below(&d->rng, (uint64_t)d->nlived_regular)]];
	return &d->towns[d->lived[yj_rand_below(&d->rng, (uint64_t)d->nlived)]];
}

/* the town of code (it exists: the demo city's) */
static town *town_of(demo *d, const char *code)
{
	for (int i = 0; i < d->ntowns; i++)
		if (strcmp(d->towns[i].code, code) == 0)
			return &d->towns[i];
	return &d->towns[0];
}

/* through the registry's own write (audited, by the system); takes obj */
static int insert(demo *d, const char *entity, json_t *obj, int64_t *id)
{
	int rc = reg_insert(d->s, reg_entity_find(entity), NULL, obj, id, d->e);
	json_decref(obj);
	progress(d);
	return rc;
}

static bool add_town(const geo_area *a, void *ctx)
{
	demo *d = ctx;
	if (d->ntowns == 64)
		return false;
	town *t = &d->towns[d->ntowns++];
	snprintf(t->code, sizeof t->code, "%s", a->code);
	snprintf(t->name, sizeof t->name, "%s", a->name);
	return true;
}

static void add_anchor(town *t, double lon, double lat)
{
	if (isfinite(lon) && isfinite(lat) && t->nanchors < 129) {
		t->anchors[t->nanchors][0] = lon;
		t->anchors[t->nanchors++][1] = lat;
	}
}

static bool add_village(const geo_area *a, void *ctx)
{
	town *t = ctx;
	if (t->nvillages == 128)
		return false;
	snprintf(t->villages[t->nvillages++], 16, "%s", a->code);
	add_anchor(t, a->lon, a->lat);
	return true;
}

/* the towns (in code order) from the area directory, their villages, which are regular */
static int load_towns(demo *d)
{
	d->towns = yj_calloc(64, sizeof *d->towns);
	geo_areas_each(NULL, GEO_LEVEL_TOWN, add_town, d);
	for (int i = 0; i < d->ntowns; i++) {
		town *t = &d->towns[i];
		bool special = false;
		if (geo_area_special(d->s, t->code, &special, d->e) < 0)
			return -1;
		t->special = special;
		if (!t->special)
			d->regular[d->nregular++] = i;
		t->villages = yj_calloc(128, sizeof *t->villages);
		t->anchors = yj_calloc(129, sizeof *t->anchors);
		const geo_area *a = geo_area_find(t->code);
		if (a)
			add_anchor(t, a->lon, a->lat);
		geo_areas_each(t->code, 0, add_village, t);
		if (t->nanchors) {
			d->lived[d->nlived++] = i;
			if (!t->special)
				d->lived_regular[d->nlived_regular++] = i;
		}
		t->workers = yj_calloc(256, sizeof *t->workers);
		t->shelters = yj_calloc(16, sizeof *t->shelters);
	}
	return 0;
}

/* 4,700 grid workers: five per village, the rest at town level in the regular towns */
static int grid_workers(demo *d)
{
	int made = 0;
	for (int i = 0; i < d->ntowns; i++) {
		town *t = &d->towns[i];
		for (int v = 0; v < t->nvillages; v++) {
			for (int k = 1; k <= 5 && made < 4700; k++) {
				char username[40], name[32], tel[20];
				snprintf(username, sizeof username, "gw%s_%d", t->villages[v], k);
				person(d, name, sizeof name);
				phone(d, tel, sizeof tel);
				auth_user_input in = {.username = username, .display_name = name,
				                      .role = "grid_worker", .area_code = t->villages[v],
				                      .phone = tel, .password_hash = d->password_hash};
				int64_t id;
				if (auth_user_create(d->s, NULL, &in, &id, d->e))
					return -1;
				if (t->nworkers < 256)
					t->workers[t->nworkers++] = id;
				made++;
				progress(d);
			}
		}
	}
	for (int k = 0; made < 4700; k++) {
		town *t = &d->towns[d->regular[k % d->nregular]];
		char username[40], name[32], tel[20];
		snprintf(username, sizeof username, "gw%s_t%d", t->code, k / d->nregular + 1);
		person(d, name, sizeof name);
		phone(d, tel, sizeof tel);
		auth_user_input in = {.username = username, .display_name = name, .role = "grid_worker",
		                      .area_code = t->code, .phone = tel, .password_hash = d->password_hash};
		int64_t id;
		if (auth_user_create(d->s, NULL, &in, &id, d->e))
			return -1;
		if (t->nworkers < 256)
			t->workers[t->nworkers++] = id;
		made++;
		progress(d);
	}
	return 0;
}

/* a valid unified social credit code: 91 + division + organisation code + check */
static void credit_code(demo *d, const char *area, char out[19])
{
	static const char cs[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	static const int w[] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
	snprintf(out, 19, "91%.6s", area);
	for (int i = 8; i < 17; i++)
		out[i] = cs[yj_rand_below(&d->rng, i < 16 ? 10 : 31)];
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (int)(strchr(cs, out[i]) - cs) * w[i];
	out[17] = cs[(31 - sum % 31) % 31];
	out[18] = 0;
}

static int enterprises(demo *d)
{
	static const demo_plan plan[] = {
		{"hazardous_chemicals", "化工有限公司", 150}, {"fireworks", "烟花爆竹经营部", 60},
		{"non_coal_mine", "石场", 40},                {"ammonia_refrigeration", "冷冻食品有限公司", 50},
		{"dust_explosion", "木业制品有限公司", 90},   {"confined_space", "水产加工有限公司", 80},
		{"metallurgy", "金属制品有限公司", 30},       {"other", "实业有限公司", 100},
	};
	static const char *const grades[] = {"red", "orange", "orange", "yellow", "yellow", "yellow",
	                                     "blue", "blue", "blue", "blue"};
	static const char *const substances[] = {"液氨", "液氯", "汽油", "柴油", "液化石油气", "甲醇",
	                                         "硫酸", "盐酸", "天然气", "甲苯", "乙醇", "丙烷"};
	static const char *const marks[] = {"恒", "顺", "海", "信", "达", "丰", "利", "鑫", "兴", "华"};
	int serial = 0;
	for (size_t p = 0; p < YJ_ARRAY_LEN(plan); p++) {
		for (int k = 0; k < plan[p].count; k++) {
			town *t = pick_town(d, true);
			char name[160], cc[19], contact[32], tel[20], principal[32], addr[160];
			snprintf(name, sizeof name, "汕尾市%s%s%s%s", t->name,
			         marks[yj_rand_below(&d->rng, YJ_ARRAY_LEN(marks))],
			         marks[yj_rand_below(&d->rng, YJ_ARRAY_LEN(marks))], plan[p].label);
			/* names repeat by chance: the serial keeps them apart */
			if (serial % 7 == 3)
				snprintf(name + strlen(name), sizeof name - strlen(name), "(%d分厂)", serial % 5 + 1);
			credit_code(d, t->code, cc);
			person(d, contact, sizeof contact);
			person(d, principal, sizeof principal);
			phone(d, tel, sizeof tel);
			snprintf(addr, sizeof addr, "%s工业区%d号", t->name, 1 + (int)yj_rand_below(&d->rng, 200));
			json_t *sectors = json_pack("[s]", plan[p].code);
			if (p == 0 && yj_rand_below(&d->rng, 5) == 0)
				json_array_append_new(sectors, json_string("confined_space"));
			json_t *obj = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s}", "name", name,
			                        "credit_code", cc, "sectors", sectors, "risk_grade",
			                        grades[yj_rand_below(&d->rng, YJ_ARRAY_LEN(grades))], "contact",
			                        contact, "phone", tel, "principal", principal, "address", addr);
			place(d, t, obj);
			/* where it is, for its hazard sources below */
			json_t *lon = json_object_get(obj, "lon"), *lat = json_object_get(obj, "lat");
			bool located = json_is_number(lon) && json_is_number(lat);
			double at_lon = located ? json_number_value(lon) : 0, at_lat = located ? json_number_value(lat) : 0;
			int64_t id;
			if (insert(d, "enterprises", obj, &id))
				return -1;
			serial++;
			/* major hazard sources (重大危险源) of chemical and refrigeration enterprises */
			int sources = p == 0 ? (yj_rand_below(&d->rng, 10) < 4 ? 1 + (int)yj_rand_below(&d->rng, 2) : 0)
			                     : (p == 3 && yj_rand_below(&d->rng, 4) == 0 ? 1 : 0);
			for (int h = 0; h < sources; h++) {
				json_t *subs = json_array();
				/* one to three different substances: consecutive entries of the list */
				int ns = p == 3 ? 1 : 1 + (int)yj_rand_below(&d->rng, 3);
				size_t first = yj_rand_below(&d->rng, YJ_ARRAY_LEN(substances));
				for (int k2 = 0; k2 < ns; k2++)
					json_array_append_new(
						subs, json_pack("{s:s, s:f}", "name",
					                        p == 3 ? "液氨" : substances[(first + (size_t)k2) % YJ_ARRAY_LEN(substances)],
					                        "quantity_t", (double)(5 + yj_rand_below(&d->rng, 500))));
				char hname[200];
				snprintf(hname, sizeof hname, "%s %d号储罐区", name, h + 1);
				json_t *hs = json_pack("{s:s, s:I, s:i, s:o}", "name", hname, "enterprise_id",
				                       (json_int_t)id, "level", 1 + (int)yj_rand_below(&d->rng, 4),
				                       "substances", subs);
				place(d, t, hs);
				/* the source sits at its enterprise */
				json_object_set_new(hs, "lon", located ? json_real(at_lon) : json_null());
				json_object_set_new(hs, "lat", located ? json_real(at_lat) : json_null());
				if (insert(d, "hazard-sources", hs, NULL))
					return -1;
			}
		}
	}
	return 0;
}

static int shelters_and_warehouses(demo *d)
{
	static const char *const kinds[] = {"school", "stadium", "park", "community", "purpose_built"};
	static const char *const kind_names[] = {"学校", "体育馆", "公园", "社区活动中心", "应急避难场所"};
	for (int r = 0; r < d->nregular; r++) {
		town *t = &d->towns[d->regular[r]];
		int n = 3 + (int)yj_rand_below(&d->rng, 4);
		for (int k = 0; k < n && t->nshelters < 16; k++) {
			int kind = (int)yj_rand_below(&d->rng, YJ_ARRAY_LEN(kinds));
			char name[160], contact[32], tel[20];
			snprintf(name, sizeof name, "%s%s避难点%d", t->name, kind_names[kind], k + 1);
			person(d, contact, sizeof contact);
			phone(d, tel, sizeof tel);
			json_t *obj = json_pack("{s:s, s:s, s:i, s:f, s:[s,s,s], s:s, s:s, s:s}", "name", name,
			                        "kind", kinds[kind], "capacity",
			                        200 + 100 * (int)yj_rand_below(&d->rng, 28), "area_m2",
			                        (double)(500 + yj_rand_below(&d->rng, 9500)), "facilities",
			                        "water", "power", "toilet", "status", "ready", "contact", contact,
			                        "phone", tel);
			place(d, t, obj);
			if (insert(d, "shelters", obj, &t->shelters[t->nshelters]))
				return -1;
			t->nshelters++;
		}
	}
	/* 52 warehouses: the city's and one per regular town (四个一) */
	char name[160], manager[32], tel[20];
	person(d, manager, sizeof manager);
	phone(d, tel, sizeof tel);
	json_t *city = json_pack("{s:s, s:s, s:s, s:s, s:f}", "name", "汕尾市应急物资储备仓库",
	                         "level", "city", "manager", manager, "phone", tel, "area_m2", 3200.0);
	place(d, town_of(d, "441502001"), city);
	json_object_set_new(city, "area_code", json_string("441502")); /* the city's, in 城区 */
	if (insert(d, "warehouses", city, NULL))
		return -1;
	for (int r = 0; r < d->nregular; r++) {
		town *t = &d->towns[d->regular[r]];
		person(d, manager, sizeof manager);
		phone(d, tel, sizeof tel);
		snprintf(name, sizeof name, "%s应急物资仓库", t->name);
		json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:f}", "name", name, "level", "town",
		                        "manager", manager, "phone", tel, "area_m2",
		                        (double)(150 + yj_rand_below(&d->rng, 600)));
		place(d, t, obj);
		if (insert(d, "warehouses", obj, NULL))
			return -1;
	}
	return 0;
}

static int teams(demo *d)
{
	char leader[32], tel[20], name[160];
	person(d, leader, sizeof leader);
	phone(d, tel, sizeof tel);
	json_t *city = json_pack("{s:s, s:s, s:i, s:[s,s,s,s], s:s, s:s, s:s}", "name",
	                         "汕尾市应急救援支队", "level", "city", "members", 50, "specialties",
	                         "flood", "forest_fire", "hazmat", "water_rescue", "equipment",
	                         "冲锋舟4艘, 排涝泵车2台, 侦检设备1套, 风力灭火机20台", "leader", leader,
	                         "phone", tel);
	place(d, town_of(d, "441502002"), city);
	json_object_set_new(city, "area_code", json_string("441502"));
	if (insert(d, "teams", city, NULL))
		return -1;
	static const char *const spec[] = {"flood", "forest_fire", "water_rescue"};
	for (int r = 0; r < d->nregular; r++) {
		town *t = &d->towns[d->regular[r]];
		person(d, leader, sizeof leader);
		phone(d, tel, sizeof tel);
		snprintf(name, sizeof name, "%s应急救援队", t->name);
		json_t *obj = json_pack("{s:s, s:s, s:i, s:[s,s], s:s, s:s, s:s}", "name", name, "level",
		                        "town", "members", 20 + (int)yj_rand_below(&d->rng, 21), "specialties",
		                        "general", spec[yj_rand_below(&d->rng, YJ_ARRAY_LEN(spec))],
		                        "equipment", "救生衣, 抽水泵, 灭火器材", "leader", leader, "phone", tel);
		place(d, t, obj);
		if (insert(d, "teams", obj, NULL))
			return -1;
	}
	/* hazmat teams of the big chemical enterprises and social volunteers */
	for (int k = 0; k < 8; k++) {
		town *t = pick_town(d, true);
		person(d, leader, sizeof leader);
		phone(d, tel, sizeof tel);
		snprintf(name, sizeof name, k < 4 ? "%s企业危化品专职救援队%d" : "%s蓝天救援队%d", t->name, k + 1);
		json_t *obj = json_pack("{s:s, s:s, s:i, s:[s], s:s, s:s}", "name", name, "level",
		                        k < 4 ? "enterprise" : "social", "members",
		                        12 + (int)yj_rand_below(&d->rng, 30), "specialties",
		                        k < 4 ? "hazmat" : "water_rescue", "leader", leader, "phone", tel);
		place(d, t, obj);
		if (insert(d, "teams", obj, NULL))
			return -1;
	}
	return 0;
}

static int risk_points(demo *d)
{
	static const demo_plan plan[] = {
		{"landslide", "地质灾害隐患点", 90}, {"flood_lowland", "低洼易涝区", 80},
		{"reservoir", "小型水库", 40},       {"river_embankment", "河堤险段", 30},
		{"dangerous_building", "危房", 40},  {"coastal", "沿海避风区", 30},
		{"forest", "林区防火重点", 50},
	};
	static const char *const levels[] = {"small", "small", "medium", "medium", "large", "major"};
	int serial = 0;
	for (size_t p = 0; p < YJ_ARRAY_LEN(plan); p++) {
		for (int k = 0; k < plan[p].count; k++) {
			town *t = pick_town(d, true);
			char name[160];
			snprintf(name, sizeof name, "%s%s%03d", t->name, plan[p].label, ++serial);
			json_t *obj = json_pack("{s:s, s:s, s:s, s:i}", "name", name, "type", plan[p].code,
			                        "level", levels[yj_rand_below(&d->rng, YJ_ARRAY_LEN(levels))],
			                        "population", 10 + (int)yj_rand_below(&d->rng, 790));
			if (t->nworkers)
				json_object_set_new(obj, "grid_worker_id",
				                    json_integer(t->workers[yj_rand_below(&d->rng, (uint64_t)t->nworkers)]));
			json_t *sh = json_array();
			for (int k2 = 0; k2 < t->nshelters && k2 < 2; k2++)
				json_array_append_new(sh, json_integer(t->shelters[k2]));
			json_object_set_new(obj, "shelter_ids", sh);
			place(d, t, obj);
			if (insert(d, "risk-points", obj, NULL))
				return -1;
		}
	}
	return 0;
}

static int cameras(demo *d)
{
	static const demo_plan plan[] = {
		{"xueliang", "雪亮工程", 11615}, {"forest_fire", "林火监控", 92},
		{"highway", "高速公路", 116},    {"other", "水库及重点部位", 250},
	};
	static const char *const statuses[] = {"online", "online", "online", "online", "online",
	                                       "online", "online", "online", "offline", "fault"};
	for (size_t p = 0; p < YJ_ARRAY_LEN(plan); p++) {
		for (int k = 0; k < plan[p].count; k++) {
			town *t = pick_town(d, false);
			char name[160], url[200], channel[32];
			snprintf(channel, sizeof channel, "44150%05d%c%04d", (int)p * 20000 + k,
			         "XFHO"[p], (int)yj_rand_below(&d->rng, 10000));
			snprintf(name, sizeof name, "%s%s%05d", t->name, plan[p].label, k + 1);
			snprintf(url, sizeof url, "rtsp://video.shanwei.example/%s/%s", plan[p].code, channel);
			json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", name, "network",
			                        plan[p].code, "stream_url", url, "status",
			                        statuses[yj_rand_below(&d->rng, YJ_ARRAY_LEN(statuses))],
			                        "channel_code", channel);
			place(d, t, obj);
			if (insert(d, "cameras", obj, NULL))
				return -1;
		}
	}
	return 0;
}

static int water_sources(demo *d)
{
	static const char *const kinds[] = {"pond", "reservoir", "river", "hydrant", "tank"};
	static const char *const names[] = {"山塘", "水库", "河段取水点", "消防栓", "蓄水池"};
	for (int k = 0; k < 120; k++) {
		town *t = pick_town(d, true);
		int kind = (int)yj_rand_below(&d->rng, YJ_ARRAY_LEN(kinds));
		char name[160];
		snprintf(name, sizeof name, "%s%s%02d", t->name, names[kind], k + 1);
		json_t *obj = json_pack("{s:s, s:s, s:f}", "name", name, "kind", kinds[kind], "capacity_m3",
		                        (double)(50 + yj_rand_below(&d->rng, 50000)));
		place(d, t, obj);
		if (insert(d, "water-sources", obj, NULL))
			return -1;
	}
	return 0;
}

int reg_demo_generate(store *s, const char *password_hash, uint64_t seed, yj_err *e)
{
	demo d = {.s = s, .rng = seed, .password_hash = password_hash, .e = e,
	          .total = 4700 + 600 + 100 + 360 + 250 + 52 + 60 + 12073 + 120};
	int rc = load_towns(&d);
	if (rc == 0 && d.nlived_regular == 0)
		rc = yj_fail(e, YJ_EINTERNAL, "", "no regular town with a known point in the area tree");
	if (rc == 0)
		rc = grid_workers(&d);
	if (rc == 0)
		rc = enterprises(&d);
	if (rc == 0)
		rc = shelters_and_warehouses(&d);
	if (rc == 0)
		rc = teams(&d);
	if (rc == 0)
		rc = risk_points(&d);
	if (rc == 0)
		rc = cameras(&d);
	if (rc == 0)
		rc = water_sources(&d);
	yj_progress_done();
	for (int i = 0; i < d.ntowns; i++) {
		free(d.towns[i].villages);
		free(d.towns[i].workers);
		free(d.towns[i].shelters);
		free(d.towns[i].anchors);
	}
	free(d.towns);
	return rc;
}
