/*
 * public_api.c — publicity (双公示, 一公开): what the law lets anyone see,
 * without signing in.
 *   GET /api/v1/public/penalties?year=    decided penalties (行政处罚公示; catalogue.c says what is shown)
 *   GET /api/v1/public/draws              double-random draws with seed, pools and results
 *   GET /api/v1/public/draws/{id}         one, enough to re-run it (algorithm in draw.c)
 *   GET /api/v1/public/licences           licences granted (licensing is not built yet: empty)
 */
#include "enforce/enf_api_int.h"

/* how anyone re-runs a published draw: for the public (Chinese), and the same in technical English */
#define HOW_TO_VERIFY                                                                                               \
	"任何人都可以用公布的随机种子、企业名单和检查人员名单重新计算本次抽取，核对结果是否一致：" \
	"（1）随机数：以随机种子（32字节）为密钥，对“标签|编号|编号”形式的文本计算 BLAKE2b-256 散列，" \
	"取前8字节作为大端整数，右移11位后加1，再除以2的53次方，得到0到1之间的随机数（所用标签见技术说明）；" \
	"（2）抽取企业：每家企业的排序值为其随机数的自然对数除以其权重，取排序值最大的若干家（数量为公布的抽取数量，" \
	"相同时编号小者在前），按排序值从大到小排列；" \
	"（3）选派检查人员：按上述企业顺序逐家选派，可选人员（未申报回避、不是上次检查该企业的人员）按" \
	"已分配次数、随机数、人员编号从小到大排序，取前若干名（数量为公布的每家检查人员数）；" \
	"（4）名单摘要：两份名单分别按键名排序、去掉空格写成 JSON，计算 SHA-256，应与公布的摘要一致。"
#define HOW_TO_VERIFY_TECHNICAL                                                                                     \
	"u(tag,a,b) = first 8 bytes of BLAKE2b-256 keyed with the seed over \"tag|a|b\", as (v>>11)+1 / 2^53; "        \
	"enterprises: the 'count' largest ln(u(\"ent\",id,0))/weight; inspectors per enterprise in that "            \
	"order: eligible ones sorted by (assignments so far, u(\"ins\",enterprise,inspector), id), the "             \
	"first inspectors_per; digests: SHA-256 of each pool as compact JSON with sorted keys"

static int handle_penalties(http_req *req, http_res *res, yj_err *e)
{
	long year = 0;
	json_t *items;
	if (http_query_long(req, "year", 2000, 2100, &year, e) < 0 ||
	    enf_public_penalties_json(store_thread(), (int)year, &items, e))
		return -1;
	http_json(res, 200, json_pack("{s:s, s:o}", "authority", enf_cfg.authority, "items", items));
	return 0;
}

static json_t *draw_row(store *s, int64_t id)
{
	return enf_draw_json(s, id, false, NULL);
}

static int handle_draws(http_req *req, http_res *res, yj_err *e)
{
	enum { PUBLIC_DRAWS = 200 };
	store *s = store_thread();
	enf_ids ids = {.id = arena_alloc(req->a, (PUBLIC_DRAWS + 1) * sizeof(int64_t)), .cap = PUBLIC_DRAWS};
	if (enf_draw_db_list(s, NULL, 0, PUBLIC_DRAWS, &ids, e))
		return -1;
	json_t *items = json_array();
	for (size_t i = 0; i < ids.n; i++) {
		json_t *d = draw_row(s, ids.id[i]);
		if (d)
			json_array_append_new(items, d);
	}
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int handle_draw(http_req *req, http_res *res, yj_err *e)
{
	int64_t id;
	if (http_path_id(req, "id", &id, e))
		return -1;
	json_t *d = enf_draw_json(store_thread(), id, true, NULL);
	if (!d)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no draw %lld", (long long)id);
	json_object_set_new(d, "how_to_verify", json_string(HOW_TO_VERIFY));
	json_object_set_new(d, "how_to_verify_technical", json_string(HOW_TO_VERIFY_TECHNICAL));
	http_json(res, 200, d);
	return 0;
}

static int handle_licences(http_req *req, http_res *res, yj_err *e)
{
	http_json(res, 200, json_pack("{s:[], s:s}", "items", "note", "online licensing is not in this version yet"));
	return 0;
}

void enf_public_routes(void)
{
	http_route("GET", "/api/v1/public/penalties", handle_penalties, HTTP_PUBLIC, NULL);
	http_route("GET", "/api/v1/public/draws", handle_draws, HTTP_PUBLIC, NULL);
	http_route("GET", "/api/v1/public/draws/{id}", handle_draw, HTTP_PUBLIC, NULL);
	http_route("GET", "/api/v1/public/licences", handle_licences, HTTP_PUBLIC, NULL);
}
