/*
 * geo_index.c — point -> area lookup ("locate") over the area tree.
 *
 * Every area row with a geometry becomes a node holding a GEOS prepared
 * geometry and its bounding box; nodes hang under their nearest ancestor
 * that also has a geometry. A lookup walks down from the roots: among the
 * children of the last hit, the first whose box and then whose geometry
 * covers the point is the next hit, until no child does. With 1 city, 4
 * counties and ~60 towns that is a handful of box tests and 2-3 exact tests.
 *
 * Threads. GEOS prepared geometries build their point-in-area index lazily,
 * on the first predicate call that reaches it, and that first build is not
 * synchronised inside GEOS 3.11 (PreparedPolygon::getPointLocator() and
 * IndexedPointInAreaLocator::locate() create their structures on first use,
 * and the interval tree inside is built on its first query). So
 * geo_index_build() runs one point predicate on every prepared geometry with
 * a point inside its envelope, which takes exactly that path and builds all
 * of it. After that a lookup only reads shared state: the geometry, its
 * prepared index and our node arrays. What a lookup writes is its own: the
 * query point, created and destroyed in the calling thread's own GEOS
 * context (a pthread key; the context is finished when the thread exits).
 * tests/unit/test_geo.c checks 2 threads x 10k points against one thread.
 *
 * This file does not create areas (geo_areas.c does) and reads `area`
 * through area_db.c.
 */
#include <geos_c.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

typedef struct geo_node {
	char code[16];
	char parent[16];
	int level;
	GEOSGeometry *geom;
	const GEOSPreparedGeometry *prep;
	double min_lon, min_lat, max_lon, max_lat;
	size_t first_child, child_count; /* a range of geo_index.children */
} geo_node;

struct geo_index {
	GEOSContextHandle_t ctx; /* the context the geometries were made in */
	geo_node *nodes;
	size_t count;
	size_t *children; /* node indices, grouped by parent node */
	size_t *roots;
	size_t root_count;
};

/* ---- per-thread GEOS context for lookups ----------------------------------- */

static pthread_once_t thread_ctx_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_ctx_key;
static bool thread_ctx_key_ok;

static void thread_ctx_finish(void *ctx)
{
	GEOS_finish_r(ctx);
}

static void thread_ctx_key_make(void)
{
	thread_ctx_key_ok = pthread_key_create(&thread_ctx_key, thread_ctx_finish) == 0;
}

/* The calling thread's GEOS context (made on first use), or NULL. */
static GEOSContextHandle_t thread_ctx(void)
{
	pthread_once(&thread_ctx_once, thread_ctx_key_make);
	if (!thread_ctx_key_ok)
		return NULL;
	GEOSContextHandle_t ctx = pthread_getspecific(thread_ctx_key);
	if (ctx)
		return ctx;
	ctx = GEOS_init_r();
	if (ctx && pthread_setspecific(thread_ctx_key, ctx) != 0) {
		GEOS_finish_r(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* ---- build ------------------------------------------------------------------ */

typedef struct row_link {
	char code[16];
	char parent[16];
} row_link;

static int row_link_cmp(const void *a, const void *b)
{
	return strcmp(((const row_link *)a)->code, ((const row_link *)b)->code);
}

static int node_code_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const geo_node *)elem)->code);
}

static void build_error_handler(const char *message, void *userdata)
{
	snprintf(userdata, 256, "%s", message);
}

void geo_index_free(geo_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->count; i++) {
		if (ix->nodes[i].prep)
			GEOSPreparedGeom_destroy_r(ix->ctx, ix->nodes[i].prep);
		if (ix->nodes[i].geom)
			GEOSGeom_destroy_r(ix->ctx, ix->nodes[i].geom);
	}
	free(ix->nodes);
	free(ix->children);
	free(ix->roots);
	if (ix->ctx)
		GEOS_finish_r(ix->ctx);
	free(ix);
}

/* what read_row collects */
typedef struct reader_ctx {
	geo_index *ix;
	GEOSGeoJSONReader *reader;
	row_link *links;
	size_t link_count, link_cap, node_cap;
	const char *geos_msg;
} reader_ctx;

/* one row: its parent link (for ancestors without geometry), and a node when it has geometry */
static int read_row(const char *code, const char *parent, int level, const char *geom, void *ctx, yj_err *e)
{
	reader_ctx *r = ctx;
	geo_index *ix = r->ix;
	if (strlen(code) >= sizeof r->links->code || strlen(parent) >= sizeof r->links->parent)
		return yj_fail(e, YJ_EINTERNAL, NULL, "area code '%.20s' is too long for the index", code);
	r->links = yj_grow(r->links, &r->link_cap, r->link_count + 1, sizeof *r->links);
	row_link *l = &r->links[r->link_count++];
	snprintf(l->code, sizeof l->code, "%s", code);
	snprintf(l->parent, sizeof l->parent, "%s", parent);
	if (!geom)
		return 0;
	GEOSGeometry *g = GEOSGeoJSONReader_readGeometry_r(ix->ctx, r->reader, geom);
	int type = g ? GEOSGeomTypeId_r(ix->ctx, g) : -1;
	if (!g || (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON)) {
		if (g)
			GEOSGeom_destroy_r(ix->ctx, g);
		return yj_fail(e, YJ_EINTERNAL, NULL, "area %s: geom is not a GeoJSON (Multi)Polygon%s%s", code,
		               r->geos_msg[0] ? ": " : "", r->geos_msg);
	}
	ix->nodes = yj_grow(ix->nodes, &r->node_cap, ix->count + 1, sizeof *ix->nodes);
	geo_node *nd = &ix->nodes[ix->count++];
	memset(nd, 0, sizeof *nd);
	nd->geom = g;
	snprintf(nd->code, sizeof nd->code, "%s", code);
	snprintf(nd->parent, sizeof nd->parent, "%s", parent);
	nd->level = level;
	return 0;
}

/* Reads every row's parent link and the rows with geometry (in code order, so nodes are sorted). */
static int read_rows(geo_index *ix, store *s, row_link **links_out, size_t *link_count, const char *geos_msg,
		     yj_err *e)
{
	reader_ctx r = {.ix = ix, .geos_msg = geos_msg};
	int rc = -1;
	r.reader = GEOSGeoJSONReader_create_r(ix->ctx);
	if (!r.reader)
		yj_fail(e, YJ_EINTERNAL, NULL, "could not start the GeoJSON reader");
	else
		rc = geo_db_areas_each(s, read_row, &r, e);
	if (r.reader)
		GEOSGeoJSONReader_destroy_r(ix->ctx, r.reader);
	*links_out = r.links;
	*link_count = r.link_count;
	return rc;
}

/* Prepare each geometry and force GEOS to build its lazy point index now (see the top). */
static int prepare_nodes(geo_index *ix, const char *geos_msg, yj_err *e)
{
	for (size_t i = 0; i < ix->count; i++) {
		geo_node *nd = &ix->nodes[i];
		if (!GEOSGeom_getExtent_r(ix->ctx, nd->geom, &nd->min_lon, &nd->min_lat, &nd->max_lon, &nd->max_lat))
			return yj_fail(e, YJ_EINTERNAL, NULL, "area %s: empty geometry", nd->code);
		nd->prep = GEOSPrepare_r(ix->ctx, nd->geom);
		if (!nd->prep)
			return yj_fail(e, YJ_EINTERNAL, NULL, "area %s: cannot prepare geometry: %s", nd->code, geos_msg);
		GEOSGeometry *probe = GEOSGeom_createPointFromXY_r(ix->ctx, (nd->min_lon + nd->max_lon) / 2,
								    (nd->min_lat + nd->max_lat) / 2);
		char r = probe ? GEOSPreparedIntersects_r(ix->ctx, nd->prep, probe) : 2;
		if (probe)
			GEOSGeom_destroy_r(ix->ctx, probe);
		if (r == 2)
			return yj_fail(e, YJ_EINTERNAL, NULL, "area %s: cannot index geometry: %s", nd->code, geos_msg);
	}
	return 0;
}

/* Hang each node under its nearest ancestor with geometry; roots are the rest. */
static int link_nodes(geo_index *ix, row_link *links, size_t link_count, yj_err *e)
{
	size_t *parent_of = yj_malloc((ix->count ? ix->count : 1) * sizeof *parent_of);
	size_t *fill = yj_calloc(ix->count + 1, sizeof *fill);
	ix->children = yj_malloc((ix->count ? ix->count : 1) * sizeof *ix->children);
	ix->roots = yj_malloc((ix->count ? ix->count : 1) * sizeof *ix->roots);
	qsort(links, link_count, sizeof *links, row_link_cmp);
	const size_t none = (size_t)-1;
	for (size_t i = 0; i < ix->count; i++) {
		parent_of[i] = none;
		const char *up = ix->nodes[i].parent;
		for (int depth = 0; up[0] && depth < 32; depth++) {
			const geo_node *p = bsearch(up, ix->nodes, ix->count, sizeof *ix->nodes, node_code_cmp);
			if (p) {
				parent_of[i] = (size_t)(p - ix->nodes);
				break;
			}
			row_link key;
			snprintf(key.code, sizeof key.code, "%s", up);
			const row_link *l = bsearch(&key, links, link_count, sizeof *links, row_link_cmp);
			if (!l)
				break;
			up = l->parent;
		}
	}
	/* counting sort of the nodes by parent: children of node p are
	 * children[first_child .. first_child + child_count) */
	for (size_t i = 0; i < ix->count; i++)
		if (parent_of[i] != none)
			ix->nodes[parent_of[i]].child_count++;
	size_t at = 0;
	for (size_t i = 0; i < ix->count; i++) {
		ix->nodes[i].first_child = at;
		at += ix->nodes[i].child_count;
	}
	for (size_t i = 0; i < ix->count; i++) {
		if (parent_of[i] == none) {
			ix->roots[ix->root_count++] = i;
		} else {
			geo_node *p = &ix->nodes[parent_of[i]];
			ix->children[p->first_child + fill[parent_of[i]]++] = i;
		}
	}
	free(parent_of);
	free(fill);
	return 0;
}

geo_index *geo_index_build(store *s, yj_err *e)
{
	geo_index *ix = yj_calloc(1, sizeof *ix);
	char geos_msg[256] = "";
	if (!(ix->ctx = GEOS_init_r())) {
		free(ix);
		yj_fail(e, YJ_EINTERNAL, NULL, "could not start GEOS");
		return NULL;
	}
	GEOSContext_setErrorMessageHandler_r(ix->ctx, build_error_handler, geos_msg);
	row_link *links = NULL;
	size_t link_count = 0;
	/* rows come ordered by code, so nodes are sorted by code for bsearch */
	int rc = read_rows(ix, s, &links, &link_count, geos_msg, e);
	if (rc == 0)
		rc = prepare_nodes(ix, geos_msg, e);
	if (rc == 0)
		rc = link_nodes(ix, links, link_count, e);
	free(links);
	/* lookups run in other contexts; this one must not point at our stack */
	GEOSContext_setErrorMessageHandler_r(ix->ctx, NULL, NULL);
	if (rc != 0) {
		geo_index_free(ix);
		return NULL;
	}
	return ix;
}

/* ---- lookup ------------------------------------------------------------------ */

bool geo_locate(const geo_index *ix, double lon, double lat, char code_out[16])
{
	code_out[0] = 0;
	if (!ix || !isfinite(lon) || !isfinite(lat))
		return false;
	GEOSContextHandle_t ctx = thread_ctx();
	if (!ctx)
		return false;
	GEOSGeometry *pt = NULL;
	const geo_node *best = NULL;
	const size_t *candidates = ix->roots;
	size_t n = ix->root_count;
	for (;;) {
		const geo_node *hit = NULL;
		for (size_t i = 0; i < n && !hit; i++) {
			const geo_node *nd = &ix->nodes[candidates[i]];
			if (lon < nd->min_lon || lon > nd->max_lon || lat < nd->min_lat || lat > nd->max_lat)
				continue;
			if (!pt && !(pt = GEOSGeom_createPointFromXY_r(ctx, lon, lat)))
				goto done;
			if (GEOSPreparedIntersects_r(ctx, nd->prep, pt) == 1)
				hit = nd;
		}
		if (!hit)
			break;
		best = hit;
		candidates = ix->children + hit->first_child;
		n = hit->child_count;
	}
done:
	if (pt)
		GEOSGeom_destroy_r(ctx, pt);
	if (!best)
		return false;
	memcpy(code_out, best->code, sizeof best->code);
	return true;
}

size_t geo_index_count(const geo_index *ix)
{
	return ix ? ix->count : 0;
}

/* the node of code, or NULL */
static const geo_node *node_of(const geo_index *ix, const char *code)
{
	if (!ix || !code)
		return NULL;
	return bsearch(code, ix->nodes, ix->count, sizeof *ix->nodes, node_code_cmp);
}

/* true when (x, y) lies inside the node's geometry */
static bool node_contains(GEOSContextHandle_t ctx, const geo_node *nd, double x, double y, bool *failed)
{
	GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ctx, x, y);
	if (!pt) {
		*failed = true;
		return false;
	}
	int in = GEOSPreparedContains_r(ctx, nd->prep, pt);
	GEOSGeom_destroy_r(ctx, pt);
	return in == 1;
}

bool geo_random_point(const geo_index *ix, const char *code, uint64_t *rng, double *lon, double *lat)
{
	const geo_node *nd = node_of(ix, code);
	GEOSContextHandle_t ctx = nd ? thread_ctx() : NULL;
	if (!ctx)
		return false;
	/* rejection sampling in the bbox: cells and counties fill a good share of theirs */
	bool failed = false;
	for (int tries = 0; tries < 100000 && !failed; tries++) {
		double x = nd->min_lon + yj_rand_unit(rng) * (nd->max_lon - nd->min_lon);
		double y = nd->min_lat + yj_rand_unit(rng) * (nd->max_lat - nd->min_lat);
		if (node_contains(ctx, nd, x, y, &failed)) {
			*lon = x;
			*lat = y;
			return true;
		}
	}
	return false;
}

bool geo_random_point_near(const geo_index *ix, const char *code, double lon, double lat, double radius_m,
                           uint64_t *rng, double *out_lon, double *out_lat)
{
	const geo_node *nd = node_of(ix, code);
	GEOSContextHandle_t ctx = nd ? thread_ctx() : NULL;
	if (!ctx || !isfinite(lon) || !isfinite(lat) || !(radius_m > 0))
		return false;
	/* metres per degree at this latitude (a sphere is good enough for a few km) */
	const double m_lat = 110574.0, m_lon = 111320.0 * cos(lat * M_PI / 180);
	bool failed = false;
	for (int tries = 0; tries < 2000 && !failed; tries++) {
		double r = radius_m * sqrt(yj_rand_unit(rng)), t = 2 * M_PI * yj_rand_unit(rng);
		double x = lon + r * cos(t) / m_lon, y = lat + r * sin(t) / m_lat;
		if (node_contains(ctx, nd, x, y, &failed)) {
			*out_lon = x;
			*out_lat = y;
			return true;
		}
	}
	return false;
}
