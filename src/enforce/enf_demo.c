/*
 * enf_demo.c — demo data for enforcement: the catalogue of enforcement
 * matters (执法事项清单, eight of them delegated to towns as the report
 * says), certified inspectors per county and in two towns, experts for
 * guidance visits, one enterprise account, and checklist templates.
 * Generated demo data, like the rest of `yingji demo`.
 */
#include <stdio.h>
#include <string.h>

#include "enforce/enf_int.h"
#include "registry/registry.h"

static const struct {
	const char *code, *name, *basis;
	int town;
} matters[] = {
	{"AQ-01", "未按规定对从业人员进行安全生产教育和培训", "《中华人民共和国安全生产法》第九十七条", 1},
	{"AQ-02", "未如实记录安全生产教育和培训情况", "《中华人民共和国安全生产法》第九十七条", 1},
	{"AQ-03", "未按规定设置安全生产管理机构或者配备安全生产管理人员", "《中华人民共和国安全生产法》第九十七条", 1},
	{"AQ-04", "未在有较大危险因素的场所和设备上设置明显的安全警示标志", "《中华人民共和国安全生产法》第九十九条", 1},
	{"AQ-05", "未对安全设备进行经常性维护、保养和定期检测", "《中华人民共和国安全生产法》第九十九条", 1},
	{"AQ-06", "未建立事故隐患排查治理制度或者未如实记录隐患排查治理情况", "《中华人民共和国安全生产法》第一百零一条", 1},
	{"AQ-07", "生产经营场所和员工宿舍未设有符合要求的安全出口、疏散通道", "《中华人民共和国安全生产法》第一百零五条", 1},
	{"AQ-08", "未制定生产安全事故应急救援预案或者未定期组织演练", "《中华人民共和国安全生产法》第九十七条", 1},
	{"WH-01", "危险化学品生产企业未取得安全生产许可证从事生产", "《危险化学品安全管理条例》第七十七条", 0},
	{"WH-02", "未经许可经营危险化学品", "《危险化学品安全管理条例》第七十七条", 0},
	{"WH-03", "重大危险源未登记建档或者未进行评估、监控", "《中华人民共和国安全生产法》第一百零一条", 0},
	{"YH-01", "未经许可经营烟花爆竹制品", "《烟花爆竹安全管理条例》第三十六条", 0},
	{"FK-01", "非煤矿山未取得安全生产许可证擅自组织生产", "《安全生产许可证条例》第十九条", 0},
	{"FC-01", "粉尘防爆安全管理不符合规定", "《工贸企业粉尘防爆安全规定》第三十一条", 0},
	{"YJ-01", "未按规定报告生产安全事故", "《生产安全事故报告和调查处理条例》第三十五条", 0},
	{"YJ-02", "生产经营单位主要负责人未履行安全生产管理职责", "《中华人民共和国安全生产法》第九十四条", 0},
};

static const struct {
	const char *sector;
	const char *items[6];
} checklists[] = {
	{"hazardous_chemicals", {"安全生产许可证在有效期内", "重大危险源已登记建档并监控", "储罐区防火堤和围堰完好",
	                         "可燃有毒气体检测报警装置正常", "特种作业人员持证上岗", "应急预案已备案并定期演练"}},
	{"fireworks", {"经营许可证在有效期内", "储存仓库符合防火防爆要求", "不超量储存", "防静电设施完好",
	               "从业人员经培训合格", NULL}},
	{"non_coal_mine", {"安全生产许可证在有效期内", "边坡稳定监测正常", "爆破作业人员持证", "排土场安全", NULL}},
	{"ammonia_refrigeration", {"液氨储罐及管道无泄漏", "氨气泄漏报警装置正常", "紧急切断装置有效", "个体防护用品齐全", NULL}},
	{"dust_explosion", {"除尘系统按规定设置", "粉尘定期清扫记录完整", "防爆电气设备符合要求", "泄爆、隔爆装置完好", NULL}},
	{"confined_space", {"有限空间作业审批制度落实", "作业前检测通风", "设置监护人员", "应急救援装备配备", NULL}},
	{"metallurgy", {"高温熔融金属作业安全距离", "煤气区域报警装置", "起重设备定期检验", NULL}},
	{"other", {"安全生产责任制落实", "隐患排查治理记录", "安全警示标志设置", "消防设施完好", NULL}},
};

/* the certificate of a demo inspector: valid 2022 through 2030 */
static int give_cert(store *s, int64_t user, int serial, bool expert, yj_err *e)
{
	enf_cert c = {.user_id = user, .expert = expert};
	yj_time_parse("2022-01-01T00:00:00+08:00", &c.valid_from_ms, "from", NULL);
	yj_time_parse("2030-12-31T23:59:59+08:00", &c.valid_to_ms, "to", NULL);
	snprintf(c.cert_no, sizeof c.cert_no, "%s%06d", expert ? "ZJ4415" : "44150022", serial);
	return enf_cert_db_insert(s, &c, e);
}

static int user_with_cert(store *s, const char *username, const char *title, const char *area, const char *hash,
                          int serial, bool expert, yj_err *e)
{
	auth_user_input in = {.username = username, .display_name = title, .role = "inspector", .area_code = area,
	                      .password_hash = hash};
	int64_t id;
	if (auth_user_create(s, NULL, &in, &id, e))
		return -1;
	return give_cert(s, id, serial, expert, e);
}

/* the first enterprise found: stop there */
static int first_enterprise(store *s, const reg_enterprise *en, void *ctx, yj_err *e)
{
	reg_enterprise *out = ctx;
	out->id = en->id;
	snprintf(out->name, sizeof out->name, "%s", en->name);
	snprintf(out->area_code, sizeof out->area_code, "%s", en->area_code);
	return 1;
}

int enf_demo_generate(store *s, const char *hash, uint64_t seed, yj_err *e)
{
	for (size_t i = 0; i < YJ_ARRAY_LEN(matters); i++)
		if (enf_matter_db_insert(s, matters[i].code, matters[i].name, matters[i].basis, matters[i].town, e))
			return -1;
	for (size_t i = 0; i < YJ_ARRAY_LEN(checklists); i++) {
		json_t *items = json_array();
		for (int k = 0; k < 6 && checklists[i].items[k]; k++)
			json_array_append_new(items, json_pack("{s:s}", "item", checklists[i].items[k]));
		int rc = enf_checklist_db_put(s, checklists[i].sector, items, yj_now_ms(), e);
		json_decref(items);
		if (rc)
			return -1;
	}
	/* the city's own inspector (demo user `inspector`) gets a certificate too */
	auth_user_row city_inspector;
	int rc = auth_user_find(s, "inspector", &city_inspector, e);
	if (rc < 0)
		return -1;
	int serial = 1;
	if (rc > 0 && give_cert(s, city_inspector.id, serial++, false, e))
		return -1;
	char name[64], title[128];
	static const struct { const char *code, *name; } counties[] = {
		{"441502", "城区"}, {"441521", "海丰县"}, {"441523", "陆河县"}, {"441581", "陆丰市"}};
	for (size_t c = 0; c < YJ_ARRAY_LEN(counties); c++)
		for (int k = 1; k <= 5; k++) {
			snprintf(name, sizeof name, "inspector_%s_%d", counties[c].code, k);
			snprintf(title, sizeof title, "%s执法人员%d", counties[c].name, k);
			if (user_with_cert(s, name, title, counties[c].code, hash, serial++, false, e))
				return -1;
		}
	/* 镇街综合行政执法: two towns' own inspectors */
	static const struct { const char *code, *name; } towns[] = {{"441523100", "河田镇"}, {"441502001", "新港街道"}};
	for (size_t t = 0; t < YJ_ARRAY_LEN(towns); t++)
		for (int k = 1; k <= 2; k++) {
			snprintf(name, sizeof name, "inspector_%s_%d", towns[t].code, k);
			snprintf(title, sizeof title, "%s执法队员%d", towns[t].name, k);
			if (user_with_cert(s, name, title, towns[t].code, hash, serial++, false, e))
				return -1;
		}
	for (int k = 1; k <= 2; k++) {
		snprintf(name, sizeof name, "expert_%d", k);
		snprintf(title, sizeof title, "安全生产专家%d", k);
		if (user_with_cert(s, name, title, "441500", hash, k, true, e))
			return -1;
	}
	/* one enterprise's account, for the rectification portal: the first enterprise of 陆河县 */
	auth_scope luhe;
	reg_enterprise ent = {0};
	if (auth_scope_of_area("441523", "area", &luhe, e) || reg_enterprises_each(s, &luhe, NULL, first_enterprise, &ent, e))
		return -1;
	if (ent.id) {
		snprintf(title, sizeof title, "%.100s安全员", ent.name);
		auth_user_input in = {.username = "enterprise_demo", .display_name = title, .role = "enterprise",
		                      .area_code = ent.area_code, .password_hash = hash};
		int64_t uid;
		if (auth_user_create(s, NULL, &in, &uid, e) || auth_user_set_enterprise(s, NULL, uid, ent.id, e))
			return -1;
	}
	(void)seed;
	return 0;
}
