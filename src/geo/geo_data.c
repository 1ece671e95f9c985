/*
 * geo_data.c — the demo city's data files, embedded in the binary.
 *
 * The files under data/ (see data/README.md for where they come from) are
 * pulled into .rodata with the assembler's .incbin, each followed by a NUL so
 * it can be parsed as a C string. The binary therefore needs nothing on disk
 * to build the area tree. The Makefile passes the absolute data folder as
 * YJ_DATA_DIR and makes this object depend on every file in it.
 *
 * This file only stores bytes; parsing is in geo_areas.c.
 */
#include <stdint.h>
#include <string.h>

#include "geo/geo.h"

#ifndef YJ_DATA_DIR
#error "YJ_DATA_DIR must name the data folder (the Makefile passes it)"
#endif

/* One embedded file: a start label, the bytes, an end label, a NUL. */
#define GEO_EMBED(sym, path)                                   \
	".balign 16\n"                                         \
	".type " sym ", @object\n"                             \
	sym ":\n"                                              \
	".incbin \"" YJ_DATA_DIR "/" path "\"\n"               \
	sym "_end:\n"                                          \
	".byte 0\n"

__asm__(".pushsection .rodata\n"
	GEO_EMBED("yj_geo_towns_csv", "shanwei_towns.csv")
	GEO_EMBED("yj_geo_seats_csv", "shanwei_town_seats_gcj02.csv")
	GEO_EMBED("yj_geo_proxies_csv", "shanwei_town_proxies_gcj02.csv")
	GEO_EMBED("yj_geo_villages_csv", "shanwei_villages_2016.csv")
	GEO_EMBED("yj_geo_village_points_csv", "shanwei_village_points_gcj02.csv")
	GEO_EMBED("yj_geo_counties_geojson", "geo/shanwei_counties_gcj02.geojson")
	GEO_EMBED("yj_geo_city_datav_json", "geo/441500_full_datav_gcj02.json")
	GEO_EMBED("yj_geo_boundaries_geojson", "geo/shanwei_boundaries_wgs84.geojson")
	GEO_EMBED("yj_authorities_csv", "authorities.csv")
	".popsection\n");

extern const char yj_geo_towns_csv[], yj_geo_towns_csv_end[];
extern const char yj_geo_seats_csv[], yj_geo_seats_csv_end[];
extern const char yj_geo_proxies_csv[], yj_geo_proxies_csv_end[];
extern const char yj_geo_villages_csv[], yj_geo_villages_csv_end[];
extern const char yj_geo_village_points_csv[], yj_geo_village_points_csv_end[];
extern const char yj_geo_counties_geojson[], yj_geo_counties_geojson_end[];
extern const char yj_geo_city_datav_json[], yj_geo_city_datav_json_end[];
extern const char yj_geo_boundaries_geojson[], yj_geo_boundaries_geojson_end[];
extern const char yj_authorities_csv[], yj_authorities_csv_end[];

static const struct {
	const char *name;
	const char *start;
	const char *end;
} files[] = {
	{"shanwei_towns.csv", yj_geo_towns_csv, yj_geo_towns_csv_end},
	{"shanwei_town_seats_gcj02.csv", yj_geo_seats_csv, yj_geo_seats_csv_end},
	{"shanwei_town_proxies_gcj02.csv", yj_geo_proxies_csv, yj_geo_proxies_csv_end},
	{"shanwei_villages_2016.csv", yj_geo_villages_csv, yj_geo_villages_csv_end},
	{"shanwei_village_points_gcj02.csv", yj_geo_village_points_csv, yj_geo_village_points_csv_end},
	{"shanwei_counties_gcj02.geojson", yj_geo_counties_geojson, yj_geo_counties_geojson_end},
	{"441500_full_datav_gcj02.json", yj_geo_city_datav_json, yj_geo_city_datav_json_end},
	{"shanwei_boundaries_wgs84.geojson", yj_geo_boundaries_geojson, yj_geo_boundaries_geojson_end},
	{"authorities.csv", yj_authorities_csv, yj_authorities_csv_end},
};

const char *geo_data_file(const char *name, size_t *len)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < YJ_ARRAY_LEN(files); i++) {
		if (strcmp(files[i].name, name) == 0) {
			if (len)
				*len = (size_t)((uintptr_t)files[i].end - (uintptr_t)files[i].start);
			return files[i].start;
		}
	}
	return NULL;
}
