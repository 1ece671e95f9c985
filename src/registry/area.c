/*
 * area.c — the administrative area tree as the registry serves it: an
 * area as JSON (details from geo's area_db.c, the path from the city down
 * from the area directory), and the point -> area index built at start
 * from the stored boundaries.
 *
 * The tree itself is loaded once (yingji init / demo) by the geo module
 * from the data embedded in the binary; geo owns table `area`, and this
 * file runs no SQL on it.
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
	area_index = geo_index_build(s, e);
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

bool reg_area_random_point_near(const char *code, double lon, double lat, double radius_m, uint64_t *rng,
                                double *out_lon, double *out_lat)
{
	return area_index && geo_random_point_near(area_index, code, lon, lat, radius_m, rng, out_lon, out_lat);
}

/* [{code,name,level}, ...] from the city down to parent */
static json_t *area_path(const char *parent)
{
	json_t *path = json_array();
	const geo_area *a = geo_area_find(parent);
	for (int depth = 0; a && depth < 6; depth++) {
		json_array_insert_new(path, 0,
		                      json_pack("{s:s, s:s, s:s}", "code", a->code, "name", a->name, "level",
		                                level_name(a->level)));
		a = a->parent[0] ? geo_area_find(a->parent) : NULL;
	}
	return path;
}

json_t *reg_area_json(store *s, const char *code, bool with_geometry)
{
	geo_area_info a;
	if (geo_area_info_get(s, code, with_geometry, &a, NULL) <= 0)
		return NULL;
	json_t *j = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:b, s:s, s:s, s:b, s:b, s:I}", "code", a.code, "parent",
	                      a.parent[0] ? a.parent : NULL, "level", level_name(a.level), "name", a.name, "kind",
	                      a.kind, "special", a.special, "note", a.note, "point_source", a.point_source,
	                      "has_geometry", a.has_geometry, "geometry_approximate", a.geometry_approximate,
	                      "children", (json_int_t)a.children);
	if (j) {
		json_object_set_new(j, "point", a.has_point ? json_pack("[f,f]", a.lon, a.lat) : json_null());
		json_object_set_new(j, "bbox",
		                    a.has_bbox ? json_pack("[f,f,f,f]", a.bbox[0], a.bbox[1], a.bbox[2], a.bbox[3])
		                               : json_null());
		if (with_geometry) {
			json_t *geom = a.geometry ? json_loads(a.geometry, 0, NULL) : NULL;
			json_object_set_new(j, "geometry", geom ? geom : json_null());
		}
		json_object_set_new(j, "path", area_path(a.parent));
	}
	geo_area_info_clear(&a);
	return j;
}
