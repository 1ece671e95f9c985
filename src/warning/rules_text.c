/*
 * rules_text.c — alarms in words for a duty officer: what was measured, in
 * Chinese, with its unit, how it was judged, and which rule said so.
 *
 *   雨量站 RG-1：1小时累计雨量 60.0 毫米，达到 50.0 毫米（规则：1小时降雨量≥50mm）
 *   渔船 粤汕渔12345（V-G）驶入 禁航区 围栏（规则：禁航区）
 *   气体探测器 GAS-1 已离线 6 分钟，最后上报 08-18 09:30（规则：气体探测器离线）
 *
 * The metric names devices send (rain_mm) are labelled from one table; an
 * unknown one reads as 监测值 with the unit its name ends in. The same
 * words go into the alarm's structured facts (rules.c), so a client can
 * write its own sentence in its own language.
 */
#include <math.h>
#include <string.h>

#include "warning/rules_int.h"

typedef struct metric_word {
	const char *metric, *label, *unit;
} metric_word;

/* the metrics of the field: 三防 (rain, water, wind), enterprises' sensors, vehicles and vessels */
static const metric_word metrics[] = {
	{"rain_mm", "雨量", "毫米"},
	{"water_level_m", "水位", "米"},
	{"wind_ms", "风速", "米/秒"},
	{"wind_dir_deg", "风向", "度"},
	{"level_pct", "液位", "%"},
	{"tank_level_pct", "储罐液位", "%"},
	{"fuel_pct", "油量", "%"},
	{"ch4_pct_lel", "甲烷浓度", "%LEL"},
	{"gas_pct_lel", "可燃气体浓度", "%LEL"},
	{"h2s_ppm", "硫化氢浓度", "ppm"},
	{"co_ppm", "一氧化碳浓度", "ppm"},
	{"nh3_ppm", "氨气浓度", "ppm"},
	{"o2_pct", "氧气浓度", "%"},
	{"temperature_c", "温度", "℃"},
	{"temp_c", "温度", "℃"},
	{"humidity_pct", "湿度", "%"},
	{"pressure_mpa", "压力", "兆帕"},
	{"pressure_kpa", "压力", "千帕"},
	{"speed_kmh", "速度", "千米/时"},
	{"flow_m3h", "流量", "立方米/时"},
	{"displacement_mm", "位移", "毫米"},
	{"battery_pct", "电量", "%"},
};

/* the unit an unknown metric's name ends in, longest suffix first */
static const metric_word suffixes[] = {
	{"_pct_lel", NULL, "%LEL"}, {"_pct", NULL, "%"},    {"_mm", NULL, "毫米"},   {"_ppm", NULL, "ppm"},
	{"_mpa", NULL, "兆帕"},     {"_kpa", NULL, "千帕"}, {"_kmh", NULL, "千米/时"}, {"_ms", NULL, "米/秒"},
	{"_m3h", NULL, "立方米/时"}, {"_c", NULL, "℃"},      {"_m", NULL, "米"},     {"_deg", NULL, "度"},
};

void rules_metric_words(const char *metric, const char **label, const char **unit)
{
	for (size_t i = 0; metric && i < YJ_ARRAY_LEN(metrics); i++)
		if (strcmp(metrics[i].metric, metric) == 0) {
			*label = metrics[i].label;
			*unit = metrics[i].unit;
			return;
		}
	*label = "监测值";
	*unit = "";
	size_t n = metric ? strlen(metric) : 0;
	for (size_t i = 0; i < YJ_ARRAY_LEN(suffixes); i++) {
		size_t k = strlen(suffixes[i].metric);
		if (n > k && strcmp(metric + n - k, suffixes[i].metric) == 0) {
			*unit = suffixes[i].unit;
			return;
		}
	}
}

const char *rules_agg_name(agg_kind a)
{
	static const char *const names[] = {"sum", "max", "min", "avg", "last", "count"};
	return (unsigned)a < YJ_ARRAY_LEN(names) ? names[a] : "last";
}

const char *rules_op_text(op_kind op)
{
	static const char *const t[] = {">=", ">", "<=", "<"};
	return t[op];
}

/* >= 达到, > 超过, <= 不高于, < 低于 */
static const char *op_word(op_kind op)
{
	static const char *const words[] = {"达到", "超过", "不高于", "低于"};
	return words[op];
}

/* "60.0", "0.05", "1200.0": two decimals at most, one at least */
static void number(char *out, size_t n, double v)
{
	snprintf(out, n, "%.2f", v);
	char *dot = strchr(out, '.');
	if (!dot)
		return;
	char *end = out + strlen(out) - 1;
	while (end > dot + 1 && *end == '0')
		*end-- = 0;
}

/* a value with its unit: "60.0 毫米", "95.0%", "30.0℃" (signs close up, words take a space) */
static void with_unit(char *out, size_t n, double v, const char *unit)
{
	char num[48];
	number(num, sizeof num, v);
	bool close = unit[0] == '%' || strncmp(unit, "℃", strlen("℃")) == 0;
	snprintf(out, n, "%s%s%s", num, *unit && !close ? " " : "", unit);
}

void rules_duration_words(int64_t seconds, char *out, size_t n)
{
	if (seconds >= 3600 && seconds % 3600 == 0)
		snprintf(out, n, "%lld小时", (long long)(seconds / 3600));
	else if (seconds >= 60 && seconds % 60 == 0)
		snprintf(out, n, "%lld分钟", (long long)(seconds / 60));
	else
		snprintf(out, n, "%lld秒", (long long)seconds);
}

/* a label ending in a full-width parenthesis takes no space after it */
static bool closes(const char *device)
{
	size_t n = strlen(device), k = strlen("）");
	return n >= k && strcmp(device + n - k, "）") == 0;
}

void rules_text_threshold(char *out, size_t n, const char *device, const wrule *r, double value)
{
	const char *label, *unit;
	rules_metric_words(r->metric, &label, &unit);
	char window[32], v[64], limit[64];
	rules_duration_words(r->window_ms / 1000, window, sizeof window);
	if (r->agg == AGG_COUNT) {
		/* "1小时内雨量上报 12 次，达到 10 次" */
		snprintf(out, n, "%s：%s内%s上报 %.0f 次，%s %.0f 次（规则：%s）", device, window, label, value,
		         op_word(r->op), r->value, r->name);
		yj_utf8_trim(out);
		return;
	}
	with_unit(v, sizeof v, value, unit);
	with_unit(limit, sizeof limit, r->value, unit);
	static const char *const prefix[] = {[AGG_SUM] = "累计", [AGG_MAX] = "内最大", [AGG_MIN] = "内最小",
	                                     [AGG_AVG] = "平均"};
	if (r->agg == AGG_LAST) /* "液位 95.0%" */
		snprintf(out, n, "%s：%s %s，%s %s（规则：%s）", device, label, v, op_word(r->op), limit, r->name);
	else /* "1小时累计雨量 60.0 毫米", "1小时内最大风速 25.0 米/秒" */
		snprintf(out, n, "%s：%s%s%s %s，%s %s（规则：%s）", device, window, prefix[r->agg], label, v,
		         op_word(r->op), limit, r->name);
	yj_utf8_trim(out);
}

void rules_text_fence(char *out, size_t n, const char *device, tel_kind kind, const wrule *r)
{
	/* vessels and vehicles sail and drive in and out; people and sensors enter and leave */
	bool moves = kind == DEV_FISHING_VESSEL || kind == DEV_CARGO_VESSEL || kind == DEV_BUS || kind == DEV_COACH ||
	             kind == DEV_HAZMAT_VEHICLE || kind == DEV_HEAVY_TRUCK;
	const char *verb = r->alarm_inside ? (moves ? "驶入" : "进入") : (moves ? "驶出" : "离开");
	snprintf(out, n, "%s%s%s %s 围栏（规则：%s）", device, closes(device) ? "" : " ", verb, r->fence_name, r->name);
	yj_utf8_trim(out);
}

void rules_text_offline(char *out, size_t n, const char *device, const wrule *r, int64_t now, int64_t last_seen_ms)
{
	char t[40];
	yj_time_format(last_seen_ms, t); /* 2022-08-18T09:30:00.000+08:00: the bureau's time */
	snprintf(out, n, "%s%s已离线 %lld 分钟，最后上报 %.5s %.5s（规则：%s）", device, closes(device) ? "" : " ",
	         (long long)((now - last_seen_ms) / 60000), t + 5, t + 11, r->name);
	yj_utf8_trim(out);
}

void rules_facts(const wrule *r, warn_alarm_facts *f)
{
	memset(f, 0, sizeof *f);
	if (r->kind == RK_THRESHOLD) {
		snprintf(f->metric, sizeof f->metric, "%s", r->metric);
		snprintf(f->agg, sizeof f->agg, "%s", rules_agg_name(r->agg));
		f->window_s = r->window_ms / 1000;
		snprintf(f->op, sizeof f->op, "%s", rules_op_text(r->op));
		f->has_threshold = true;
		f->threshold = r->value;
	} else if (r->kind == RK_GEOFENCE) {
		snprintf(f->fence_trigger, sizeof f->fence_trigger, "%s", r->alarm_inside ? "enter" : "exit");
		snprintf(f->fence_name, sizeof f->fence_name, "%s", r->fence_name);
		yj_utf8_trim(f->fence_name);
	} else {
		f->window_s = r->offline_ms / 1000;
	}
}
