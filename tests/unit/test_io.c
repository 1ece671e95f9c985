/*
 * test_io.c — unit tests for src/registry/io_*.c: CSV and GeoJSON import of a
 * test entity with every field kind (conversions, problems with row and
 * column), export to CSV / GeoJSON / XLSX and back, and GB 32100-2015 credit
 * codes (real ones, generated ones and mutations that must fail).
 *
 * Built by `make` against the real reg_problems_* of entity_check.c; built
 * alone (cc -DYJ_IO_STANDALONE_TEST tests/unit/test_io.c src/registry/io_*.c
 * src/registry/credit_code.c src/base/[all].c ...) it brings its own small
 * copies of them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/registry.h"

#ifdef YJ_IO_STANDALONE_TEST
/* Stand-ins for entity_check.c's, with the same contract: one problem per (row,
 * field), and past max only counted. */
void reg_problems_add(reg_problems *p, long row, const char *field, const char *fmt, ...)
{
	size_t max = p->max ? p->max : 1000;
	for (size_t i = 0; field && field[0] && i < p->count && i < max; i++)
		if (p->items[i].row == row && strcmp(p->items[i].field, field) == 0)
			return;
	if (p->count >= max) {
		p->count++;
		return;
	}
	p->items = yj_grow(p->items, &p->cap, p->count + 1, sizeof *p->items);
	reg_problem *it = &p->items[p->count++];
	it->row = row;
	snprintf(it->field, sizeof it->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(it->message, sizeof it->message, fmt, ap);
	va_end(ap);
}

void reg_problems_free(reg_problems *p)
{
	free(p->items);
	memset(p, 0, sizeof *p);
}
#endif

/* ---- a test entity with every field kind ------------------------------------------ */

static const char *const LEVELS[] = {"一级", "二级", "三级", NULL};
static const char *const HAZARDS[] = {"fire", "flood", "chemical", NULL};
static const char *const HAZARD_LABELS[] = {"火灾", "洪涝", "化学品", NULL};
static const char *const SCHEMES[] = {"http", "https", "rtsp", NULL};

static const reg_field test_fields[] = {
	{.name = "level", .kind = F_ENUM, .values = LEVELS, .label = "等级"},
	{.name = "staff", .kind = F_INT, .min = 0, .max = 100000, .label = "职工人数"},
	{.name = "area_m2", .kind = F_REAL, .min = 0, .max = 1e9, .label = "占地面积(平方米)"},
	{.name = "open", .kind = F_BOOL, .label = "是否开放"},
	{.name = "hazards", .kind = F_ENUM_SET, .values = HAZARDS, .labels = HAZARD_LABELS, .label = "灾种"},
	{.name = "camera_url", .kind = F_URL, .values = SCHEMES, .label = "视频地址"},
	{.name = "phone", .kind = F_PHONE, .label = "联系电话"},
	{.name = "credit_code", .kind = F_CREDIT_CODE, .label = "统一社会信用代码"},
	{.name = "owner_id", .kind = F_REF, .ref = "users", .label = "负责人"},
	{.name = "team_ids", .kind = F_REF_SET, .ref = "rescue-teams", .label = "救援队伍"},
	{.name = "substances", .kind = F_SUBSTANCES, .label = "危险化学品"},
	{.name = "description", .kind = F_TEXT, .max_len = 500}, /* no label: header is the name */
	{0},
};

static const reg_entity test_ent = {
	.name = "test-sites",
	.table = "test_site",
	.object_type = "test_site",
	.label = "测试场所",
	.fields = test_fields,
};

/* ---- helpers ---------------------------------------------------------------------------- */

/* Problems stored (count goes on past max). */
static size_t stored(const reg_problems *p)
{
	size_t max = p->max ? p->max : 1000;
	return p->count < max ? p->count : max;
}

static void print_problems(const reg_problems *p)
{
	for (size_t i = 0; i < stored(p); i++)
		print_message("  problem row %ld field '%s': %s\n", p->items[i].row, p->items[i].field,
			      p->items[i].message);
}

/* The problem at row about field whose message contains words; NULL if none. */
static const reg_problem *find_problem(const reg_problems *p, long row, const char *field, const char *words)
{
	for (size_t i = 0; i < stored(p); i++)
		if (p->items[i].row == row && strcmp(p->items[i].field, field) == 0 &&
		    (!words || strstr(p->items[i].message, words)))
			return &p->items[i];
	return NULL;
}

static void expect_problem(const reg_problems *p, long row, const char *field, const char *words)
{
	if (!find_problem(p, row, field, words)) {
		print_problems(p);
		fail_msg("no problem at row %ld field '%s' saying '%s'", row, field, words ? words : "");
	}
}

/* Import text that must parse without problems. */
static json_t *import_clean(const char *ct, const char *text, size_t len)
{
	reg_problems p = {0};
	yj_err e = {0};
	json_t *arr = reg_import_parse(&test_ent, ct, text, len, &p, &e);
	if (!arr)
		fail_msg("import failed: %s", e.message);
	if (p.count) {
		print_problems(&p);
		fail_msg("%zu unexpected problems", p.count);
	}
	reg_problems_free(&p);
	return arr;
}

/* The objects without their "_row" numbers. */
static json_t *without_row(json_t *arr)
{
	json_t *copy = json_deep_copy(arr);
	size_t i;
	json_t *obj;
	json_array_foreach(copy, i, obj)
		json_object_del(obj, "_row");
	return copy;
}

/* A copy of an object, or of an array of them, without null members (an empty cell is a null
 * member: for a new object the same as none). */
static json_t *no_nulls(json_t *v)
{
	json_t *copy = json_deep_copy(v);
	json_t *list = json_is_array(copy) ? copy : NULL, *one = list ? NULL : copy;
	for (size_t i = 0; list ? i < json_array_size(list) : i < 1; i++) {
		json_t *obj = list ? json_array_get(list, i) : one, *tmp, *m;
		const char *key;
		json_object_foreach_safe(obj, tmp, key, m)
			if (json_is_null(m))
				json_object_del(obj, key);
	}
	return copy;
}

static void expect_json(json_t *got, const char *want_text)
{
	json_error_t je;
	json_t *want = json_loads(want_text, 0, &je);
	if (!want)
		fail_msg("bad expected JSON: %s", je.text);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS), *w = json_dumps(want, JSON_SORT_KEYS);
		print_message("got:  %s\nwant: %s\n", g, w);
		free(g);
		free(w);
		json_decref(want);
		fail_msg("JSON differs");
	}
	json_decref(want);
}

/* ---- CSV import ---------------------------------------------------------------------------- */

static void test_csv_import_labels(void **state)
{
	const char csv[] =
		"\xEF\xBB\xBF"
		"名称,区划代码,经度,纬度,备注,等级,职工人数,占地面积（平方米）,是否开放,灾种,视频地址,联系电话,"
		"统一社会信用代码,负责人,救援队伍,危险化学品,description\r\n"
		"城区应急物资仓库,441502,115.3652,22.7787,\"24小时值守, 有叉车\",一级,35,1200.5,是,"
		"fire;flood,rtsp://10.0.0.1/live,0660-3388110,91440300708461136T,7,3;4,液氨:12.5;氯气：3吨,"
		"\"两行\n说明\"\r\n"
		"海丰县避难场所,441521,,,,二级,0,,否,化学品； fire,,,,,12,苯:0.5t,\r\n";
	json_t *arr = import_clean("text/csv; charset=utf-8", csv, sizeof csv - 1);
	/* an empty cell is a null member; a choice may be its label (化学品) or its code */
	assert_true(json_is_null(json_object_get(json_array_get(arr, 1), "lon")));
	json_t *plain = no_nulls(arr);
	expect_json(plain,
		    "[{\"_row\":2,\"name\":\"城区应急物资仓库\",\"area_code\":\"441502\",\"lon\":115.3652,\"lat\":22.7787,"
		    "\"note\":\"24小时值守, 有叉车\",\"level\":\"一级\",\"staff\":35,\"area_m2\":1200.5,"
		    "\"open\":true,\"hazards\":[\"fire\",\"flood\"],\"camera_url\":\"rtsp://10.0.0.1/live\","
		    "\"phone\":\"0660-3388110\",\"credit_code\":\"91440300708461136T\",\"owner_id\":7,"
		    "\"team_ids\":[3,4],\"substances\":[{\"name\":\"液氨\",\"quantity_t\":12.5},"
		    "{\"name\":\"氯气\",\"quantity_t\":3.0}],\"description\":\"两行\\n说明\"},"
		    "{\"_row\":4,\"name\":\"海丰县避难场所\",\"area_code\":\"441521\",\"level\":\"二级\",\"staff\":0,"
		    "\"open\":false,\"hazards\":[\"chemical\",\"fire\"],\"team_ids\":[12],"
		    "\"substances\":[{\"name\":\"苯\",\"quantity_t\":0.5}]}]");
	/* numbers have the JSON types the validator expects */
	json_t *first = json_array_get(arr, 0);
	assert_true(json_is_integer(json_object_get(first, "staff")));
	assert_true(json_is_real(json_object_get(first, "lon")));
	assert_true(json_is_integer(json_object_get(first, "owner_id")));
	json_decref(arr);
	json_decref(plain);
}

static void test_csv_import_names_and_aliases(void **state)
{
	/* JSON names in any case, aliases, a required mark, 序号 and assigned columns ignored,
	 * id (编号) read, LF line ends, no BOM, spaces around cells, Excel's TRUE */
	const char csv[] = "\n,,\n序号,NAME*, 所属区域 ,Longitude,lat,open,staff,created,id,占地 面积\n"
			   "1, 甲 ,441502, 115.5 ,22.5,TRUE,1e2,2024-01-01T00:00:00+08:00,99,1\n"
			   "2,乙,,,,0,12.0,,,\n";
	json_t *arr = import_clean(NULL, csv, sizeof csv - 1), *plain = no_nulls(arr);
	expect_json(plain, "[{\"_row\":4,\"name\":\"甲\",\"area_code\":\"441502\",\"lon\":115.5,\"lat\":22.5,"
			   "\"open\":true,\"staff\":100,\"area_m2\":1.0,\"id\":99},"
			   "{\"_row\":5,\"name\":\"乙\",\"open\":false,\"staff\":12}]");
	json_decref(arr);
	json_decref(plain);
}

static void test_csv_import_problems(void **state)
{
	const char csv[] = "名称,职工人数,经度,颜色,是否开放,救援队伍,危险化学品,名称,\n" /* line 1 */
			   "甲,12abc,115.1,红,是,1;2,液氨:1\n"                       /* line 2 */
			   "乙,3,東經,,也许,1;x,液氨;氯气:abc\n"                     /* line 3 */
			   "\n"                                                       /* line 4: blank */
			   "丙,4,0x10,,1,,,丙,,extra\n"                               /* line 5 */
			   "丁,1.5,inf,,,,,,data-without-header\n"                    /* line 6 */
			   ",,,\n"                                                    /* line 7: trailing blank */
			   "\n";
	reg_problems p = {0};
	yj_err e = {0};
	json_t *arr = reg_import_parse(&test_ent, "text/csv", csv, sizeof csv - 1, &p, &e);
	assert_non_null(arr);
	if (getenv("YJ_TEST_VERBOSE"))
		print_problems(&p);
	/* header: an unknown column and a repeated one, reported on line 1 */
	expect_problem(&p, 1, "颜色", "column D");
	expect_problem(&p, 1, "name", "columns A and H");
	expect_problem(&p, 1, "", "column I has data but no header");
	/* data rows: spreadsheet row numbers, the column letter and header in the message */
	expect_problem(&p, 2, "staff", "column B (职工人数): '12abc' is not a whole number");
	expect_problem(&p, 3, "lon", "column C (经度): '東經' is not a number");
	expect_problem(&p, 3, "open", "'也许' is not 是/否");
	expect_problem(&p, 3, "team_ids", "'x' in '1;x' is not an id");
	expect_problem(&p, 3, "substances", "'液氨' is not name:tonnes"); /* the first per row and field */
	expect_problem(&p, 5, "lon", "'0x10' is not a number");
	expect_problem(&p, 5, "", "10 cells, but the header names 9 columns");
	expect_problem(&p, 6, "staff", "'1.5' is not a whole number");
	expect_problem(&p, 6, "lon", "'inf' is not a number");
	assert_int_equal(p.count, 12);

	/* one object per non-blank data row, numbered by its line */
	assert_int_equal(json_array_size(arr), 4);
	json_t *all = arr;
	arr = no_nulls(all);
	json_decref(all);
	expect_json(json_array_get(arr, 0), "{\"_row\":2,\"name\":\"甲\",\"lon\":115.1,\"open\":true,\"team_ids\":[1,2],"
					    "\"substances\":[{\"name\":\"液氨\",\"quantity_t\":1.0}]}");
	expect_json(json_array_get(arr, 1),
		    "{\"_row\":3,\"name\":\"乙\",\"staff\":3,\"team_ids\":[1],\"substances\":[]}");
	expect_json(json_array_get(arr, 2), "{\"_row\":5,\"name\":\"丙\",\"staff\":4,\"open\":true}");
	expect_json(json_array_get(arr, 3), "{\"_row\":6,\"name\":\"丁\"}");
	json_decref(arr);
	reg_problems_free(&p);

	/* collecting stops at max */
	reg_problems few = {.max = 2};
	arr = reg_import_parse(&test_ent, "text/csv", csv, sizeof csv - 1, &few, &e);
	assert_true(few.count >= 2);
	assert_int_equal(stored(&few), 2);
	expect_problem(&few, 1, "颜色", "column D");
	json_decref(arr);
	reg_problems_free(&few);
}

static void test_csv_import_whole_file_errors(void **state)
{
	reg_problems p = {0};
	yj_err e = {0};
	assert_null(reg_import_parse(&test_ent, "text/csv", "", 0, &p, &e));
	assert_int_equal(e.code, YJ_EINVAL);
	assert_null(reg_import_parse(&test_ent, "text/csv", "\n\n", 2, &p, &e));
	assert_int_equal(e.code, YJ_EINVAL);
	assert_non_null(strstr(e.message, "header"));

	const char bad[] = "名称\n\xFF\xFE\xFD\n";
	assert_null(reg_import_parse(&test_ent, "text/csv", bad, sizeof bad - 1, &p, &e));
	assert_int_equal(e.code, YJ_EINVAL);
	assert_non_null(strstr(e.message, "line 2"));

	/* a zip's first bytes make it a workbook, which this one is not */
	const char xlsx[] = "PK\x03\x04rest";
	assert_null(reg_import_parse(&test_ent, NULL, xlsx, sizeof xlsx - 1, &p, &e));
	assert_int_equal(e.code, YJ_EINVAL);
	assert_string_equal(e.field, "file");
	assert_non_null(strstr(e.message, "Excel (.xlsx)"));

	/* too many rows */
	strbuf b;
	strbuf_init(&b);
	strbuf_puts(&b, "name\n");
	for (int i = 0; i <= YJ_CSV_MAX_ROWS; i++)
		strbuf_puts(&b, "x\n");
	assert_null(reg_import_parse(&test_ent, "text/csv", b.data, b.len, &p, &e));
	assert_int_equal(e.code, YJ_EUNPROCESSABLE);
	strbuf_free(&b);
	assert_int_equal(p.count, 0);

	/* a header and no data: an empty array, not an error */
	json_t *arr = import_clean("text/csv", "名称,经度\r\n", strlen("名称,经度\r\n"));
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
}

static void test_csv_import_gb18030(void **state)
{
	const char *utf8 = "名称,所属区域,灾种,危险化学品\r\n鮜门镇化工厂,441521,chemical,液氨:2\r\n";
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	assert_true(cd != (iconv_t)-1);
	char gb[256], *src = (char *)utf8, *dst = gb;
	size_t in_left = strlen(utf8), out_left = sizeof gb;
	assert_true(iconv(cd, &src, &in_left, &dst, &out_left) != (size_t)-1);
	iconv_close(cd);
	/* sent as application/octet-stream: sniffed as CSV */
	json_t *arr = import_clean("application/octet-stream", gb, sizeof gb - out_left);
	expect_json(arr, "[{\"_row\":2,\"name\":\"鮜门镇化工厂\",\"area_code\":\"441521\",\"hazards\":[\"chemical\"],"
			 "\"substances\":[{\"name\":\"液氨\",\"quantity_t\":2.0}]}]");
	json_decref(arr);
}

/* ---- GeoJSON import ------------------------------------------------------------------------------ */

static void test_geojson_import(void **state)
{
	const char gj[] =
		"{\"type\":\"FeatureCollection\",\"features\":["
		"{\"type\":\"Feature\",\"id\":5,\"geometry\":{\"type\":\"Point\",\"coordinates\":[115.37,22.78,3]},"
		" \"properties\":{\"id\":5,\"name\":\"甲\",\"职工人数\":\"12\",\"open\":true,\"灾种\":\"fire;flood\","
		"  \"team_ids\":[1,2],\"note\":null,\"updated\":\"x\"}},"
		"{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"name\":\"乙\",\"fid\":1,\"staff\":\"many\","
		"  \"area_code\":441502,\"phone\":\"\"}},"
		"{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[]},"
		" \"properties\":{\"name\":\"丙\",\"fid\":2}},"
		"{\"type\":\"Point\",\"coordinates\":[1,2]},"
		"{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[\"a\",2]},\"properties\":null}"
		"]}";
	reg_problems p = {0};
	yj_err e = {0};
	json_t *arr = reg_import_parse(&test_ent, "application/geo+json", gj, sizeof gj - 1, &p, &e);
	assert_non_null(arr);
	if (getenv("YJ_TEST_VERBOSE"))
		print_problems(&p);
	/* rows are 1-based feature numbers */
	expect_problem(&p, 2, "fid", "property 'fid'");
	expect_problem(&p, 2, "staff", "property 'staff': 'many' is not a whole number");
	expect_problem(&p, 3, "geometry", "Polygon");
	expect_problem(&p, 4, "type", "not a GeoJSON Feature");
	expect_problem(&p, 5, "geometry", "[lon, lat]");
	assert_int_equal(p.count, 5); /* fid reported once */
	assert_int_equal(json_array_size(arr), 5);
	/* "" and null are null members, and so are lon/lat of a null geometry */
	assert_true(json_is_null(json_object_get(json_array_get(arr, 1), "phone")));
	assert_true(json_is_null(json_object_get(json_array_get(arr, 1), "lon")));
	json_t *all = arr;
	arr = no_nulls(all);
	json_decref(all);
	expect_json(json_array_get(arr, 0), "{\"_row\":1,\"id\":5,\"name\":\"甲\",\"staff\":12,\"open\":true,"
					    "\"hazards\":[\"fire\",\"flood\"],\"team_ids\":[1,2],"
					    "\"lon\":115.37,\"lat\":22.78}");
	expect_json(json_array_get(arr, 1), "{\"_row\":2,\"name\":\"乙\",\"area_code\":\"441502\"}");
	expect_json(json_array_get(arr, 2), "{\"_row\":3,\"name\":\"丙\"}");
	expect_json(json_array_get(arr, 3), "{\"_row\":4}");
	expect_json(json_array_get(arr, 4), "{\"_row\":5}");
	json_decref(arr);
	reg_problems_free(&p);

	/* a single Feature, sniffed without a content type, with a BOM */
	const char one[] = "\xEF\xBB\xBF {\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1.5,2]},"
			   "\"properties\":{\"名称\":\"丁\"}}";
	arr = import_clean(NULL, one, sizeof one - 1);
	expect_json(arr, "[{\"_row\":1,\"name\":\"丁\",\"lon\":1.5,\"lat\":2.0}]");
	json_decref(arr);

	/* whole-file errors */
	assert_null(reg_import_parse(&test_ent, "application/json", "{\"type\":", 8, &p, &e));
	assert_int_equal(e.code, YJ_EINVAL);
	assert_non_null(strstr(e.message, "not valid JSON"));
	assert_null(reg_import_parse(&test_ent, "application/json", "[1,2]", 5, &p, &e));
	assert_int_equal(e.code, YJ_EINVAL);
	assert_null(reg_import_parse(&test_ent, "application/geo+json", "{\"type\":\"FeatureCollection\"}",
				     strlen("{\"type\":\"FeatureCollection\"}"), &p, &e));
	assert_non_null(strstr(e.message, "features"));
	assert_int_equal(p.count, 0);
}

/* ---- export ---------------------------------------------------------------------------------------- */

/* Rows as the API returns them, with text that tests quoting and formula marks. */
static const char API_ROWS[] =
	"[{\"id\":1,\"name\":\"城区应急物资仓库, \\\"一号\\\"\",\"area_code\":\"441502\",\"lon\":115.36520000000002,"
	"\"lat\":22.7787,\"note\":\"第一行\\n第二行\",\"level\":\"一级\",\"staff\":35,\"area_m2\":1200.5,"
	"\"open\":true,\"hazards\":[\"fire\",\"flood\"],\"camera_url\":\"rtsp://10.0.0.1/live\","
	"\"phone\":\"+86 660 3388110\",\"credit_code\":\"91440300708461136T\",\"owner_id\":7,"
	"\"team_ids\":[3,4],\"substances\":[{\"name\":\"液氨\",\"quantity_t\":12.5},"
	"{\"name\":\"氯气\",\"quantity_t\":3.0}],\"description\":\"=HYPERLINK(\\\"http://x\\\")\","
	"\"created\":\"2024-05-01T08:00:00+08:00\",\"updated\":\"2024-05-02T09:30:00+08:00\"},"
	"{\"id\":2,\"name\":\"-负号开头\",\"area_code\":\"441521\",\"open\":false,\"staff\":-3,"
	"\"note\":\"'=已标记\",\"description\":\"'普通引号\",\"created\":\"2024-05-01T08:00:00+08:00\","
	"\"updated\":\"2024-05-01T08:00:00+08:00\"},"
	/* empty members the way reg_row_json writes them */
	"{\"id\":3,\"name\":\"空\",\"area_code\":\"441500\",\"note\":\"\",\"lon\":null,\"lat\":null,"
	"\"level\":null,\"staff\":null,\"hazards\":[],\"team_ids\":[],\"substances\":[],\"open\":null,"
	"\"created\":\"2024-05-01T08:00:00+08:00\",\"updated\":\"2024-05-01T08:00:00+08:00\"}]";

/* The rows as an import gives them back: without the assigned members, and
 * empty ones (null, "", []) absent. */
static json_t *without_assigned(json_t *rows)
{
	json_t *copy = json_deep_copy(rows);
	size_t i;
	json_t *row;
	json_array_foreach(copy, i, row) {
		json_object_del(row, "id");
		json_object_del(row, "created");
		json_object_del(row, "updated");
		const char *key;
		json_t *v, *tmp;
		json_object_foreach_safe(row, tmp, key, v)
			if (json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
			    (json_is_array(v) && !json_array_size(v)))
				json_object_del(row, key);
	}
	return copy;
}

static void test_export_csv_round_trip(void **state)
{
	json_t *rows = json_loads(API_ROWS, 0, NULL);
	assert_non_null(rows);
	char *body;
	size_t len;
	const char *ct;
	yj_err e = {0};
	assert_int_equal(reg_export_render(&test_ent, REG_EXPORT_CSV, rows, &body, &len, &ct, &e), 0);
	assert_string_equal(ct, "text/csv; charset=utf-8");
	assert_int_equal(strlen(body), len);
	/* BOM, Chinese header in column order, CRLF */
	const char head[] = "\xEF\xBB\xBF编号,名称,区划代码,经度,纬度,备注,等级,职工人数,占地面积(平方米),是否开放,"
			    "灾种,视频地址,联系电话,统一社会信用代码,负责人编号,负责人姓名,救援队伍编号,救援队伍名称,"
			    "危险化学品,description,创建时间,更新时间\r\n";
	assert_memory_equal(body, head, sizeof head - 1);
	/* quoting, sets, substances, booleans, formula marks */
	assert_non_null(strstr(body, "\"城区应急物资仓库, \"\"一号\"\"\""));
	assert_non_null(strstr(body, "\"第一行\n第二行\""));
	assert_non_null(strstr(body, ",火灾;洪涝,"));                               /* labels */
	assert_non_null(strstr(body, ",2024-05-01 08:00:00,2024-05-02 09:30:00\r\n")); /* local times */
	assert_non_null(strstr(body, ",液氨:12.5;氯气:3,"));
	assert_non_null(strstr(body, ",是,"));
	assert_non_null(strstr(body, ",'+86 660 3388110,"));
	assert_non_null(strstr(body, ",\"'=HYPERLINK(\"\"http://x\"\")\","));
	assert_non_null(strstr(body, "2,'-负号开头,"));
	assert_non_null(strstr(body, ",-3,"));                   /* numbers carry no mark */
	assert_non_null(strstr(body, ",''=已标记,"));            /* a mark-like start is marked again */
	assert_non_null(strstr(body, ",'普通引号,"));            /* a plain quote is left alone */
	assert_non_null(strstr(body, ",115.36520000000002,")); /* reals read back exactly */

	json_t *imported = import_clean("text/csv", body, len);
	json_t *with_ids = without_row(imported), *back = without_assigned(with_ids);
	json_decref(imported);
	for (size_t i = 0; i < 3; i++) /* 编号 reads back: an import of this file updates these rows */
		assert_int_equal(json_integer_value(json_object_get(json_array_get(with_ids, i), "id")), (json_int_t)i + 1);
	json_decref(with_ids);
	json_t *want = without_assigned(rows);
	if (!json_equal(back, want)) {
		char *g = json_dumps(back, JSON_SORT_KEYS), *w = json_dumps(want, JSON_SORT_KEYS);
		print_message("csv:\n%s\ngot:  %s\nwant: %s\n", body, g, w);
		free(g);
		free(w);
		fail_msg("CSV export does not read back equal");
	}
	json_decref(want);
	json_decref(back);
	free(body);

	/* no rows: just the header */
	json_t *none = json_array();
	assert_int_equal(reg_export_render(&test_ent, REG_EXPORT_CSV, none, &body, &len, &ct, &e), 0);
	assert_int_equal(len, sizeof head - 1);
	free(body);
	json_decref(none);
	json_decref(rows);
}

static void test_export_geojson(void **state)
{
	json_t *rows = json_loads(API_ROWS, 0, NULL);
	char *body;
	size_t len;
	const char *ct;
	yj_err e = {0};
	assert_int_equal(reg_export_render(&test_ent, REG_EXPORT_GEOJSON, rows, &body, &len, &ct, &e), 0);
	assert_string_equal(ct, "application/geo+json");
	json_t *fc = json_loadb(body, len, 0, NULL);
	assert_non_null(fc);
	assert_string_equal(json_string_value(json_object_get(fc, "type")), "FeatureCollection");
	json_t *features = json_object_get(fc, "features");
	assert_int_equal(json_array_size(features), 3);
	json_t *f0 = json_array_get(features, 0), *f1 = json_array_get(features, 1);
	/* points with 7 decimals, as layers and lists write them */
	expect_json(json_object_get(f0, "geometry"), "{\"type\":\"Point\",\"coordinates\":[115.3652,22.7787]}");
	assert_int_equal(json_integer_value(json_object_get(f0, "id")), 1);
	json_t *props = json_object_get(f0, "properties");
	assert_null(json_object_get(props, "lon"));
	assert_string_equal(json_string_value(json_object_get(props, "credit_code")), "91440300708461136T");
	assert_true(json_is_array(json_object_get(props, "substances")));
	assert_true(json_is_null(json_object_get(f1, "geometry")));

	/* and it imports back equal */
	json_t *imported = import_clean(NULL, body, len);
	json_t *back = without_row(imported);
	json_decref(imported);
	/* [] stays [] in GeoJSON; compare with empties removed on both sides */
	json_t *back_plain = without_assigned(back);
	json_decref(back);
	back = back_plain;
	json_t *want = without_assigned(rows);
	json_object_set_new(json_array_get(want, 0), "lon", json_real(115.3652));
	assert_true(json_equal(back, want));
	json_decref(want);
	json_decref(back);
	json_decref(fc);
	free(body);
	json_decref(rows);
}

static size_t dir_entries(const char *path)
{
	DIR *d = opendir(path);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static bool has_bytes(const char *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle)) != NULL;
}

static void test_export_xlsx(void **state)
{
	char dir[] = "/tmp/yj-test-io-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	setenv("TMPDIR", dir, 1);

	json_t *rows = json_loads(API_ROWS, 0, NULL);
	char *body;
	size_t len;
	const char *ct;
	yj_err e = {0};
	if (reg_export_render(&test_ent, REG_EXPORT_XLSX, rows, &body, &len, &ct, &e) != 0)
		fail_msg("xlsx: %s", e.message);
	assert_string_equal(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
	assert_true(len > 1000);
	assert_memory_equal(body, "PK\x03\x04", 4);
	assert_true(has_bytes(body, len, "xl/worksheets/sheet1.xml"));
	assert_true(has_bytes(body, len, "xl/workbook.xml"));
	assert_int_equal(dir_entries(dir), 0); /* the temporary file is gone */

	/* and it imports back to the same objects, as the CSV export does */
	json_t *imported = import_clean("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body, len);
	json_t *with_ids = without_row(imported), *back = without_assigned(with_ids), *want = without_assigned(rows);
	/* a cell holds what Excel holds, about 16 significant digits (libxlsxwriter writes %.16g):
	 * the CSV's 115.36520000000002 comes back as 115.3652 */
	json_object_set_new(json_array_get(want, 0), "lon", json_real(115.3652));
	for (size_t i = 0; i < 3; i++) /* rows as Excel numbers them: header 1, data from 2 */
		assert_int_equal(json_integer_value(json_object_get(json_array_get(imported, i), "_row")), (json_int_t)i + 2);
	if (!json_equal(back, want)) {
		char *g = json_dumps(back, JSON_SORT_KEYS), *w = json_dumps(want, JSON_SORT_KEYS);
		print_message("xlsx got:  %s\nwant: %s\n", g, w);
		free(g);
		free(w);
		fail();
	}
	json_decref(imported);
	json_decref(with_ids);
	json_decref(back);
	json_decref(want);
	free(body);

	/* an entity whose label is not a valid sheet name still exports */
	reg_entity odd = test_ent;
	odd.label = "a/b:c";
	assert_int_equal(reg_export_render(&odd, REG_EXPORT_XLSX, rows, &body, &len, &ct, &e), 0);
	assert_memory_equal(body, "PK", 2);
	free(body);

	json_decref(rows);
	if (old) {
		setenv("TMPDIR", old, 1);
		free(old);
	} else {
		unsetenv("TMPDIR");
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_export_errors(void **state)
{
	char *body = (char *)1;
	size_t len;
	const char *ct;
	yj_err e = {0};
	json_t *obj = json_object();
	assert_int_equal(reg_export_render(&test_ent, REG_EXPORT_CSV, obj, &body, &len, &ct, &e), -1);
	assert_null(body);
	json_decref(obj);
}

/* ---- credit codes ---------------------------------------------------------------------------------- */

static const char CHARSET[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* The generator side: the check character for 17 characters, computed the
 * way the standard writes it (a separate implementation from io.c's). */
static char check_char(const char *first17)
{
	static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
	long sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (long)(strchr(CHARSET, first17[i]) - CHARSET) * w[i];
	int c = 31 - (int)(sum % 31);
	return CHARSET[c == 31 ? 0 : c];
}

static void make_code(unsigned *seed, char out[19])
{
	for (int i = 0; i < 17; i++) {
		bool digit = i >= 2 && i <= 7;
		out[i] = digit ? (char)('0' + rand_r(seed) % 10) : CHARSET[rand_r(seed) % 31];
	}
	out[17] = check_char(out);
	out[18] = 0;
}

static void test_credit_codes(void **state)
{
	/* public codes (Huawei Technologies, Xiaomi, Alibaba China) and the brief's example */
	const char *real[] = {"91440300708461136T", "91110108551385082Q", "91330100716105852F",
			      "91110000600037341L"};
	for (size_t i = 0; i < YJ_ARRAY_LEN(real); i++) {
		assert_true(reg_credit_code_valid(real[i]));
		assert_int_equal(check_char(real[i]), real[i][17]);
	}
	const char *bad[] = {NULL,
			     "",
			     "91440300708461136",   /* 17 */
			     "91440300708461136TX", /* 19 */
			     "91440300708461136t",  /* lower case */
			     "91440300708461136S",  /* S is not used */
			     "9144O300708461136T",  /* O in the division code */
			     "91440300708461137T",  /* wrong check */
			     "914403007084611 6T",
			     "91440300192203821N"};
	for (size_t i = 0; i < YJ_ARRAY_LEN(bad); i++)
		if (reg_credit_code_valid(bad[i]))
			fail_msg("'%s' passed", bad[i] ? bad[i] : "(null)");

	unsigned seed = 20240501;
	char code[19], mutant[19];
	for (int n = 0; n < 2000; n++) {
		make_code(&seed, code);
		if (!reg_credit_code_valid(code))
			fail_msg("generated '%s' failed", code);
		/* every single-character change fails: weights are nonzero mod the prime 31 */
		int at = rand_r(&seed) % 18;
		memcpy(mutant, code, sizeof code);
		do
			mutant[at] = CHARSET[rand_r(&seed) % 31];
		while (mutant[at] == code[at]);
		if (reg_credit_code_valid(mutant))
			fail_msg("mutant '%s' of '%s' passed", mutant, code);
		/* and so does swapping two different neighbours of the first 17 (distinct weights) */
		at = rand_r(&seed) % 16;
		if (code[at] != code[at + 1]) {
			memcpy(mutant, code, sizeof code);
			mutant[at] = code[at + 1];
			mutant[at + 1] = code[at];
			if (reg_credit_code_valid(mutant))
				fail_msg("swap '%s' of '%s' passed", mutant, code);
		}
		/* a letter, even I O Z S V, in positions 3..8 fails */
		memcpy(mutant, code, sizeof code);
		mutant[2 + rand_r(&seed) % 6] = "ABIOZSV"[rand_r(&seed) % 7];
		if (reg_credit_code_valid(mutant))
			fail_msg("letter in division code '%s' passed", mutant);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_import_labels),
		cmocka_unit_test(test_csv_import_names_and_aliases),
		cmocka_unit_test(test_csv_import_problems),
		cmocka_unit_test(test_csv_import_whole_file_errors),
		cmocka_unit_test(test_csv_import_gb18030),
		cmocka_unit_test(test_geojson_import),
		cmocka_unit_test(test_export_csv_round_trip),
		cmocka_unit_test(test_export_geojson),
		cmocka_unit_test(test_export_xlsx),
		cmocka_unit_test(test_export_errors),
		cmocka_unit_test(test_credit_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
