/*
 * geo.h — geometry for yingji: coordinate conversion, the built-in
 * administrative area tree (city > county > town > village) and the
 * point -> area index ("which town is this sensor in?").
 *
 * Coordinates are WGS84 lon/lat everywhere in yingji. Chinese web-map data
 * (AMap, DataV) is in GCJ-02; geo_gcj02_to_wgs84() converts it on the way in.
 * Geometry work is done with GEOS (reentrant _r API); nothing GEOS leaks out
 * of this header.
 */
#ifndef YJ_GEO_H
#define YJ_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "store/store.h"

/* ---- coordinates ---------------------------------------------------------- */

/*
 * GCJ-02 -> WGS84: iterative inverse of the public forward formula
 * (residual < 1e-9 deg, i.e. far below 1 m; the formula itself is the
 * accuracy limit). Points outside China's rectangle are returned unchanged,
 * as GCJ-02 does not offset them.
 */
void geo_gcj02_to_wgs84(double glon, double glat, double *lon, double *lat);

/* WGS84 -> GCJ-02: the public forward formula (for showing points on GCJ-02 maps). */
void geo_wgs84_to_gcj02(double lon, double lat, double *glon, double *glat);

/* ---- embedded data -------------------------------------------------------- */

/*
 * An embedded data file by base name ("shanwei_towns.csv",
 * "shanwei_counties_gcj02.geojson"). The text is NUL-terminated and lives as
 * long as the program; *len (if not NULL) gets its length without the NUL.
 * NULL when the name is unknown.
 */
const char *geo_data_file(const char *name, size_t *len);

/* ---- the area tree --------------------------------------------------------- */

/* Area levels. Codes: 6 digits city/county, 9 town, 12 village. */
enum { GEO_LEVEL_CITY = 1, GEO_LEVEL_COUNTY = 2, GEO_LEVEL_TOWN = 3, GEO_LEVEL_VILLAGE = 4 };

/*
 * How many leading characters of an area's code every descendant shares:
 * 4 for a city (441500 -> "4415": city and county codes are both 6 digits),
 * 6 for a county, 9 for a town, 12 for a village; 0 for an unknown level.
 * Jurisdiction ("is area X inside area Y?") compares this prefix.
 */
size_t geo_code_prefix_len(int level);

/*
 * Insert the whole built-in area tree of the demo city (汕尾 Shanwei: 1 city,
 * 4 counties, 63 towns, 891 villages) into table `area`, parents before
 * children. The caller holds the transaction; the table is expected empty;
 * the area directory reloads once it commits. Returns 0, or -1 with *e
 * filled (YJ_EINTERNAL: the embedded data is inconsistent; the store's
 * code when it refused a row).
 */
int geo_areas_load(store *s, yj_err *e);
/*
 * The boundaries yingji serves (city, counties, approximate towns) made from
 * the source files under data/ and repaired: each valid, the counties tiling
 * the city and the towns their county, on the 1e-7 degree grid, wound by the
 * right-hand rule (RFC 7946). out gets a FeatureCollection, one feature a
 * line: the text committed as data/geo/shanwei_boundaries_wgs84.geojson
 * (`make boundaries`), which geo_areas_load stores. 0, or -1 with *e.
 */
int geo_boundaries_make(strbuf *out, yj_err *e);
/* How many areas table `area` holds (0 in a new database): 1 with *n, -1 on error. */
int geo_area_count(store *s, int64_t *n, yj_err *e);

/* What the area API shows of one area beyond the directory's record. */
typedef struct geo_area_info {
	char code[16];
	char parent[16]; /* "" for the top */
	int level;
	char name[96];
	char kind[32];
	bool special;
	char *note;          /* owned */
	char point_source[24];
	bool has_point;
	double lon, lat;
	bool has_geometry, geometry_approximate;
	bool has_bbox;
	double bbox[4];      /* min lon, min lat, max lon, max lat */
	int64_t children;
	char *geometry;      /* GeoJSON text when asked for and known, else NULL; owned */
} geo_area_info;
/* 1 with *out filled (release with geo_area_info_clear), 0 when there is no such area, -1 on error. */
int geo_area_info_get(store *s, const char *code, bool with_geometry, geo_area_info *out, yj_err *e);
void geo_area_info_clear(geo_area_info *a);

/* ---- the area directory (geo_area_dir.c) ---------------------------------------- */

/*
 * The areas of table `area` (geo owns it), held in memory: every request's
 * jurisdiction asks whether an area code is known, and names are shown
 * beside codes everywhere. Loaded from the store on first use (or by
 * geo_area_dir_load at start) and again after geo_area_dir_invalidate.
 */
typedef struct geo_area {
	char code[16];
	char parent[16]; /* "" for the top */
	int level;       /* GEO_LEVEL_* */
	char name[96];
	double lon, lat; /* its point; NaN when unknown */
} geo_area;

int geo_area_dir_load(store *s, yj_err *e);
/* Forget the directory; the next lookup loads it again (after areas were written). */
void geo_area_dir_invalidate(void);
/* The area of code, or NULL when code is not a known area. The record lives until the next
 * invalidate: copy what you keep. */
const geo_area *geo_area_find(const char *code);
/* The area's name, or "" when unknown. */
const char *geo_area_name(const char *code);
/* The parent's code into out ("" at the top or when unknown). */
void geo_area_parent(const char *code, char out[16]);
/* Visit the areas whose parent is code (code NULL or "": the top areas), in code order; or, with
 * level > 0, every area of that level. fn answers false to stop. */
typedef bool (*geo_area_fn)(const geo_area *a, void *ctx);
void geo_areas_each(const char *parent, int level, geo_area_fn fn, void *ctx);
/* Whether a town is "special" (类似乡级单位, or run by the 深汕特别合作区: not one of the bureau's
 * regular towns) into *out: 1, 0 when there is no such area, -1 with *e. */
int geo_area_special(store *s, const char *code, bool *out, yj_err *e);
/* The boundary of an area as GeoJSON text (malloc'ed), or NULL (none, or *e on error). */
char *geo_area_geometry(store *s, const char *code, yj_err *e);

/* ---- point -> area index ---------------------------------------------------- */

typedef struct geo_index geo_index;

/*
 * Build the point index from the `area` rows that have geom (GeoJSON). Each
 * area hangs under its nearest ancestor that has a geometry. NULL and *e
 * filled on failure (unreadable geometry, store error). Free with geo_index_free.
 */
geo_index *geo_index_build(store *s, yj_err *e);

/*
 * The deepest area whose geometry covers (lon, lat) (WGS84; boundary counts
 * as inside): writes its code, NUL-terminated, to code_out and returns true;
 * false (code_out = "") when no area covers the point or the input is not a
 * finite coordinate.
 *
 * Thread-safe: any number of threads may call this at once on the same index.
 * The index is read-only after geo_index_build (which forces GEOS to build
 * every prepared geometry's lazy point-in-area index up front), and each
 * calling thread uses its own GEOS context, created on first use and
 * finished when the thread exits.
 */
bool geo_locate(const geo_index *ix, double lon, double lat, char code_out[16]);

/*
 * A uniformly random point inside the geometry of area code (rejection
 * sampling, reproducible from *rng; see yj_rand_next). false when the area
 * has no geometry in the index. Thread-safe like geo_locate.
 */
bool geo_random_point(const geo_index *ix, const char *code, uint64_t *rng, double *lon, double *lat);

/*
 * A random point inside the geometry of area code and within radius_m metres of (lon, lat):
 * uniform over the part of that disc inside the area (rejection sampling, reproducible from
 * *rng). For places near a town's seat or a village rather than anywhere in a town's cell
 * (a cell may hold far islands and sea banks). false when the area has no geometry in the
 * index or 2,000 tries missed it (the disc barely meets the area). Thread-safe like geo_locate.
 */
bool geo_random_point_near(const geo_index *ix, const char *code, double lon, double lat, double radius_m,
                           uint64_t *rng, double *out_lon, double *out_lat);

/* Number of areas with geometry in the index. */
size_t geo_index_count(const geo_index *ix);

void geo_index_free(geo_index *ix);

#endif
