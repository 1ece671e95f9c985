/*
 * geo_int.h — what the files of src/geo/ share with each other and nobody
 * else: the maker of the served boundaries (geo_boundaries.c, with
 * geo_counties.c and geo_shapes.c), the loader of the built-in area tree
 * (geo_areas.c, with geo_csv.c) and the SQL of
 * table `area` (area_db.c).
 */
#ifndef YJ_GEO_INT_H
#define YJ_GEO_INT_H

#include <geos_c.h>
#include <jansson.h>

#include "geo/geo.h"

/* the demo city (geo_areas.c) */
extern const char GEO_DEMO_CITY_CODE[];
extern const char GEO_DEMO_CITY_NAME[];

/*
 * The boundaries yingji serves (city, counties, towns), repaired once from
 * the source files by geo_boundaries.c and committed under data/geo/: the
 * loader stores them as they are. Written on this grid (1e-7 deg, ~1 cm).
 */
extern const char GEO_BOUNDARIES_FILE[];
#define GEO_GRID 1e-7

/* ---- embedded CSV files (geo_csv.c) ----------------------------------------------------------- */

/*
 * An embedded CSV file read with yj_csv (base/csv.c). Row 0 of csv is the
 * header; every record must have the header's number of cells.
 */
typedef struct geo_csv {
	const char *file;
	yj_csv csv;
	size_t rows; /* data rows, header excluded */
	size_t ncols;
} geo_csv;

int geo_csv_load(geo_csv *t, const char *file, yj_err *e);
void geo_csv_free(geo_csv *t);
/* Column index of a header name, or -1 with *e filled. */
int geo_csv_col(const geo_csv *t, const char *name, yj_err *e);
const char *geo_csv_get(const geo_csv *t, size_t row, int col);
/* The data row whose column col equals value; -1 when none. */
long geo_csv_find(const geo_csv *t, int col, const char *value);
/* A lon/lat pair from two cells, converted to WGS84 when crs says GCJ02 (c_crs < 0: GCJ02).
 * 0, or -1 with *e naming file and row. */
int geo_csv_point(const geo_csv *t, size_t row, int c_lon, int c_lat, int c_crs, double *lon, double *lat,
                  yj_err *e);
/* true when s is exactly n ASCII digits */
bool geo_all_digits(const char *s, size_t n);
/* Append a sentence to a note, separated by "; ". */
void geo_note_add(strbuf *note, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the loader's state ---------------------------------------------------------------------------- */

typedef struct geo_county {
	char code[7];
	char name[64];
	GEOSGeometry *geom; /* WGS84, valid, polygonal */
	bool has_center;
	double center_lon, center_lat; /* DataV "center" (the seat), WGS84 */
	int far_islands;               /* island polygons added from the simplified file */
	double overlap_km2, gap_km2;   /* the repair: overlap given to a neighbour, gaps taken in */
} geo_county;

typedef struct geo_town {
	char code[10];
	char name[64];
	char kind[32];
	geo_county *county;
	int special;
	strbuf note;
	bool has_point;
	double lon, lat;
	const char *point_source; /* "seat" | "proxy" | "" */
	GEOSGeometry *cell;       /* approximate boundary, or NULL (the maker's) */
	strbuf cell_note;         /* how the cell was made, or why there is none (the maker's) */
} geo_town;

/* The state of the boundary maker and of the loader (geo_loader_start/_end). */
typedef struct geo_loader {
	GEOSContextHandle_t ctx;
	char geos_error[256];
	store *s;       /* the loader's; NULL for the maker */
	strbuf geojson; /* scratch for one geometry */
	geo_county *counties;
	size_t county_count;
	geo_town *towns;
	size_t town_count;
	GEOSGeometry *city;
	json_t *boundaries; /* the loader: GEO_BOUNDARIES_FILE parsed */
	yj_err *e;
} geo_loader;

/* A GEOS context whose messages go to L->geos_error. 0, or -1 with *e. */
int geo_loader_start(geo_loader *L, store *s, yj_err *e);
void geo_loader_end(geo_loader *L);
/* YJ_EINTERNAL "what: <the last GEOS message>"; returns -1 */
int geo_geos_fail(geo_loader *L, const char *what);
geo_county *geo_county_find(geo_loader *L, const char *code);
geo_county *geo_county_add(geo_loader *L, const char *code, const char *name);

/* ---- towns (geo_areas.c) ----------------------------------------------------------------------- */

/* The towns of the NBS list with their flags and notes (counties must be known), then their points:
 * the seat where known, else a proxy. 0, or -1 with L->e. */
int geo_load_towns(geo_loader *L);
int geo_load_town_points(geo_loader *L);
geo_town *geo_town_find(geo_loader *L, const char *code);

/* One row of table `area` as the loader makes it (geometry as GEOS). */
typedef struct geo_area_row {
	const char *code;
	const char *parent; /* NULL for the city */
	int level;
	const char *name;
	const char *kind;
	int special;
	const char *note;
	bool has_point;
	double lon, lat;
	const char *point_source;
	const GEOSGeometry *geom; /* NULL when unknown */
	int geom_approx;
} geo_area_row;

/* Store a row (its geometry as GeoJSON, its box, points rounded to 1e-7 deg). 0, or -1 with L->e. */
int geo_insert_area(geo_loader *L, const geo_area_row *r);

/* ---- shapes (geo_shapes.c) ---------------------------------------------------------------------- */

/* GEOSGeom_transformXY_r callback: GCJ-02 to WGS84 in place */
int geo_gcj02_to_wgs84_cb(double *x, double *y, void *userdata);
/*
 * Only the areal part of g: overlay results may carry stray lines and points
 * where shapes touch. Takes ownership of g. Returns a Polygon/MultiPolygon,
 * or NULL when nothing areal is left (*failed set on a GEOS error).
 */
GEOSGeometry *geo_polygonal_only(geo_loader *L, GEOSGeometry *g, bool *failed);
/* g snapped to the GEO_GRID (GEOS precision reduction, which keeps it valid), areal part only.
 * Takes ownership of g; NULL when nothing areal is left (*failed on a GEOS error). */
GEOSGeometry *geo_on_grid(geo_loader *L, GEOSGeometry *g, bool *failed);
/* 1 when g is valid; else 0 with *e "what code: <GEOS's reason>". */
int geo_check_valid(geo_loader *L, const GEOSGeometry *g, const char *what, const char *code);
/* GeoJSON text of a Polygon or MultiPolygon into L->geojson (RFC 7946 winding, 1e-7 deg). */
int geo_write_geojson(geo_loader *L, const GEOSGeometry *g);
/* A point inside g (GEOS PointOnSurface). */
int geo_point_inside(geo_loader *L, const GEOSGeometry *g, double *lon, double *lat);
/* v rounded like the GeoJSON coordinates (1e-7 deg, ~1 cm) */
double geo_round_coord(double v);

/* ---- the served boundaries (geo_counties.c, geo_boundaries.c) ------------------------------------ */

/* The counties' boundaries from the embedded DataV files, far-off islands added, on the grid. */
int geo_load_counties(geo_loader *L);
/* The counties made to tile the city (overlaps and gaps of the sources resolved); L->city their
 * union. 0, or -1 with L->e. */
int geo_tile_counties(geo_loader *L);
/* 市辖区, 县 or 县级市 from the name's last character */
const char *geo_county_kind(const char *name);
/* A county's label point (the DataV center, the seat, when it is inside) and its notes. */
int geo_county_point(geo_loader *L, const geo_county *c, double *lon, double *lat, strbuf *note);

/* ---- table `area` (area_db.c) ------------------------------------------------------------------------ */

/* One row as stored: no GEOS, geometry as GeoJSON text. */
typedef struct geo_area_record {
	const char *code, *parent; /* parent NULL for the top */
	int level;
	const char *name, *kind, *note, *point_source;
	int special;
	bool has_point;
	double lon, lat;
	const char *geojson; /* NULL: no boundary */
	size_t geojson_len;
	int geom_approx;
	bool has_bbox;
	double bbox[4]; /* min lon, min lat, max lon, max lat */
} geo_area_record;

int geo_db_area_insert(store *s, const geo_area_record *r, yj_err *e);

/* Visit every area in code order: its code, parent ("" at the top), level and boundary (GeoJSON
 * text, NULL when none). fn answers 0 to go on, -1 (with *e) to fail. */
typedef int (*geo_db_area_fn)(const char *code, const char *parent, int level, const char *geojson, void *ctx,
                              yj_err *e);
int geo_db_areas_each(store *s, geo_db_area_fn fn, void *ctx, yj_err *e);
/* every area's code, parent ("" at the top), level and name, for the directory */
typedef int (*geo_db_dir_fn)(const char *code, const char *parent, int level, const char *name, double lon, double lat,
                             void *ctx);
int geo_db_directory_each(store *s, geo_db_dir_fn fn, void *ctx, yj_err *e);

#endif
