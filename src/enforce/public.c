/*
 * public.c — publicity (双公示, 一公开): what the law lets anyone see,
 * without signing in.
 *   GET /api/v1/public/penalties?year=    decided penalties (行政处罚公示)
 *   GET /api/v1/public/draws              double-random draws with seed, pools and results
 *   GET /api/v1/public/draws/{id}         one, enough to re-run it (algorithm in draw.c)
 *   GET /api/v1/public/licences           licences granted (licensing is not built yet: empty)
 *
 * Only public fields leave: for individuals the name is shown as surname +
 * 某, never an ID number or a phone; enterprises by name and credit code.
 * A decision is public from the moment it is made, so the legal limit of 7
 * working days is always met; the publication deadline is shown beside it.
 */
#include <stdlib.h>
#include <string.h>

#include "enforce/enf_int.h"
#include "http/http.h"

/* 张三丰 -> 张某: the first character (UTF-8) and 某 */
static void mask_name(const char *name, char *out, size_t cap)
{
	size_t n = 1;
	unsigned char c = (unsigned char)name[0];
	if (c >= 0xF0)
		n = 4;
	else if (c >= 0xE0)
		n = 3;
	else if (c >= 0xC0)
		n = 2;
	if (strlen(name) < n)
		n = strlen(name);
	snprintf(out, cap, "%.*s某", (int)n, name);
}

/* decided + 7 working days (Monday..Friday; public holidays are not known here) */
static int64_t plus_working_days(int64_t ms, int days)
{
	int64_t t = ms;
	while (days > 0) {
		t += 86400000;
		/* day of week in UTC+8: 1970-01-01 was a Thursday */
		int64_t local_days = (t + 8 * 3600000) / 86400000;
		int dow = (int)((local_days + 4) % 7); /* 0 = Sunday */
		if (dow != 0 && dow != 6)
			days--;
	}
	return t;
}

static int handle_penalties(http_req *req, http_res *res, yj_err *e)
{
	long year = 0;
	if (http_query(req, "year") && yj_parse_long(http_query(req, "year"), 2000, 2100, &year, "year", e))
		return -1;
	sqlite3_stmt *st = store_stmt(store_thread(),
	                              "SELECT c.id, c.decision_no, c.party_type, c.party_name, e.credit_code, c.title, c.legal_basis, "
	                              "c.fine_yuan, c.revocation, c.suspension, c.decided_ms, c.area_code, a.name FROM penalty_case c "
	                              "LEFT JOIN enterprise e ON e.id = c.enterprise_id LEFT JOIN area a ON a.code = c.area_code "
	                              "WHERE c.decision_no IS NOT NULL AND (?1 = 0 OR strftime('%Y', c.decided_ms / 1000 + 28800, "
	                              "'unixepoch') = printf('%04d', ?1)) ORDER BY c.decided_ms DESC LIMIT 1000",
	                              e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, year);
	json_t *items = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		bool person = !strcmp((const char *)sqlite3_column_text(st, 2), "individual");
		char name[128];
		if (person)
			mask_name((const char *)sqlite3_column_text(st, 3), name, sizeof name);
		else
			snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 3));
		strbuf pen;
		strbuf_init(&pen);
		if (sqlite3_column_double(st, 7) > 0)
			strbuf_printf(&pen, "罚款%.2f元", sqlite3_column_double(st, 7));
		if (sqlite3_column_int(st, 8))
			strbuf_printf(&pen, "%s吊销许可证", pen.len ? "；" : "");
		if (sqlite3_column_int(st, 9))
			strbuf_printf(&pen, "%s责令停产停业整顿", pen.len ? "；" : "");
		char decided[40], due[40];
		yj_time_format(sqlite3_column_int64(st, 10), decided);
		yj_time_format(plus_working_days(sqlite3_column_int64(st, 10), 7), due);
		json_t *it = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:s, s:s}", "decision_no",
		                       (const char *)sqlite3_column_text(st, 1), "party", name, "party_type",
		                       person ? "individual" : "enterprise", "violation", (const char *)sqlite3_column_text(st, 5),
		                       "legal_basis", (const char *)sqlite3_column_text(st, 6), "penalty", pen.data ? pen.data : "",
		                       "fine_yuan", sqlite3_column_double(st, 7), "decided", decided, "published", decided,
		                       "publish_by", due, "authority", enf_cfg.authority, "area",
		                       sqlite3_column_type(st, 12) == SQLITE_NULL ? "" : (const char *)sqlite3_column_text(st, 12));
		if (!person && sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_object_set_new(it, "credit_code", json_string((const char *)sqlite3_column_text(st, 4)));
		strbuf_free(&pen);
		json_array_append_new(items, it);
	}
	sqlite3_reset(st);
	http_json(res, 200, json_pack("{s:s, s:o}", "authority", enf_cfg.authority, "items", items));
	return 0;
}

static json_t *draw_row(store *s, int64_t id)
{
	return enf_draw_json(s, id, false);
}

static int handle_draws(http_req *req, http_res *res, yj_err *e)
{
	store *s = store_thread();
	sqlite3_stmt *st = store_stmt(s, "SELECT id FROM draw ORDER BY id DESC LIMIT 200", e);
	if (!st)
		return -1;
	json_t *items = store_rows_json(s, st, draw_row, -1, NULL);
	http_json(res, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int handle_draw(http_req *req, http_res *res, yj_err *e)
{
	long id;
	if (yj_parse_long(http_param(req, "id"), 1, 0x7fffffffL, &id, "id", e))
		return -1;
	json_t *d = enf_draw_json(store_thread(), id, true);
	if (!d)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no draw %ld", id);
	json_object_set_new(d, "how_to_verify",
	                    json_string("u(tag,a,b) = first 8 bytes of BLAKE2b-256 keyed with the seed over \"tag|a|b\", as (v>>11)+1 / 2^53; "
	                                "enterprises: the 'count' largest ln(u(\"ent\",id,0))/weight; inspectors per enterprise in that "
	                                "order: eligible ones sorted by (assignments so far, u(\"ins\",enterprise,inspector), id), the "
	                                "first inspectors_per; digests: SHA-256 of each pool as compact JSON with sorted keys"));
	http_json(res, 200, d);
	return 0;
}

static int handle_licences(http_req *req, http_res *res, yj_err *e)
{
	http_json(res, 200, json_pack("{s:[], s:s}", "items", "note", "online licensing is not in this version yet"));
	return 0;
}

void enf_public_register(void)
{
	http_route("GET", "/api/v1/public/penalties", handle_penalties, HTTP_PUBLIC, NULL);
	http_route("GET", "/api/v1/public/draws", handle_draws, HTTP_PUBLIC, NULL);
	http_route("GET", "/api/v1/public/draws/{id}", handle_draw, HTTP_PUBLIC, NULL);
	http_route("GET", "/api/v1/public/licences", handle_licences, HTTP_PUBLIC, NULL);
}
