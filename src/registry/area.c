/*
 * area.c — the administrative area tree: reading areas as JSON, and the
 * point -> area index built at start from the stored boundaries.
 *
 * The tree itself is loaded once (yingji init / demo) by the geo module
 * from the data embedded in the binary; this file only reads it.
 */
#include <string.h>

#include "geo/geo.h"
#include "registry/registry_int.h"

static geo_index *area_index;

static const char *level_name(int level)
{
	static const char *const names[] = {"", "city", "county", "town", "village"};
	return level >= 1 && level <= 4 ? names[level] : "";
}

int reg_start(store *s, yj_err *e)
{
	reg_stop();
	area_index = geo_index_build(store_db(s), e);
	if (!area_index)
		return -1;
	yj_log(YJ_LOG_INFO, "area_index", "areas=%zu", geo_index_count(area_index));
	return 0;
}

void reg_stop(void)
{
	geo_index_free(area_index);
	area_index = NULL;
}

bool reg_area_locate(double lon, double lat, char code_out[16])
{
	code_out[0] = 0;
	return area_index && geo_locate(area_index, lon, lat, code_out);
}

bool reg_area_random_point(const char *code, uint64_t *rng, double *lon, double *lat)
{
	return area_index && geo_random_point(area_index, code, rng, lon, lat);
}

/* [{code,name,level}, ...] from the city down to code's parent */
static json_t *area_path(store *s, const char *parent)
{
	json_t *path = json_array();
	sqlite3_stmt *st = store_stmt(s, "SELECT code, name, level, parent FROM area WHERE code = ?",
	                              NULL);
	char code[16];
	snprintf(code, sizeof code, "%s", parent ? parent : "");
	for (int depth = 0; st && code[0] && depth < 6; depth++) {
		store_bind_text(st, 1, code);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			break;
		}
		json_array_insert_new(path, 0,
		                      json_pack("{s:s, s:s, s:s}", "code",
		                                (const char *)sqlite3_column_text(st, 0), "name",
		                                (const char *)sqlite3_column_text(st, 1), "level",
		                                level_name(sqlite3_column_int(st, 2))));
		const char *up = (const char *)sqlite3_column_text(st, 3);
		snprintf(code, sizeof code, "%s", up ? up : "");
		sqlite3_reset(st);
	}
	return path;
}

json_t *reg_area_json(store *s, const char *code, bool with_geometry)
{
	sqlite3_stmt *st = store_stmt(
		s,
		"SELECT code, parent, level, name, kind, special, note, lon, lat, point_source, "
		"geom_approx, min_lon, min_lat, max_lon, max_lat, geom IS NOT NULL, "
		"(SELECT count(*) FROM area c WHERE c.parent = area.code), CASE WHEN ?2 THEN geom END "
		"FROM area WHERE code = ?1",
		NULL);
	if (!st)
		return NULL;
	store_bind_text(st, 1, code);
	sqlite3_bind_int(st, 2, with_geometry);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return NULL;
	}
	const char *parent = (const char *)sqlite3_column_text(st, 1);
	json_t *j = json_pack(
		"{s:s, s:s?, s:s, s:s, s:s, s:b, s:s, s:s, s:b, s:b, s:I}", "code",
		(const char *)sqlite3_column_text(st, 0), "parent", parent, "level",
		level_name(sqlite3_column_int(st, 2)), "name", (const char *)sqlite3_column_text(st, 3),
		"kind", (const char *)sqlite3_column_text(st, 4), "special", sqlite3_column_int(st, 5),
		"note", (const char *)sqlite3_column_text(st, 6), "point_source",
		(const char *)sqlite3_column_text(st, 9), "has_geometry", sqlite3_column_int(st, 15),
		"geometry_approximate", sqlite3_column_int(st, 10), "children",
		(json_int_t)sqlite3_column_int64(st, 16));
	if (sqlite3_column_type(st, 7) != SQLITE_NULL)
		json_object_set_new(j, "point",
		                    json_pack("[f,f]", sqlite3_column_double(st, 7),
		                              sqlite3_column_double(st, 8)));
	else
		json_object_set_new(j, "point", json_null());
	if (sqlite3_column_type(st, 11) != SQLITE_NULL)
		json_object_set_new(j, "bbox",
		                    json_pack("[f,f,f,f]", sqlite3_column_double(st, 11),
		                              sqlite3_column_double(st, 12), sqlite3_column_double(st, 13),
		                              sqlite3_column_double(st, 14)));
	else
		json_object_set_new(j, "bbox", json_null());
	if (with_geometry) {
		const char *g = (const char *)sqlite3_column_text(st, 17);
		json_t *geom = g ? json_loads(g, 0, NULL) : NULL;
		json_object_set_new(j, "geometry", geom ? geom : json_null());
	}
	char parent_copy[16];
	snprintf(parent_copy, sizeof parent_copy, "%s", parent ? parent : "");
	sqlite3_reset(st);
	json_object_set_new(j, "path", area_path(s, parent_copy));
	return j;
}
