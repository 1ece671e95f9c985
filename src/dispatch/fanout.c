/*
 * fanout.c — who is told of a warning's version. Runs inside the warning's
 * own transaction (dispatch's in-transaction subscriber to
 * WARN_EV_VERSION), so a warning is never issued without its recipients.
 *
 * Recipients, each a durable record per person (or member unit) and channel:
 *   - grid workers and duty officers of every target area's subtree;
 *   - the grid workers bound to risk points inside the target polygons;
 *   - member units (成员单位) inside the issuing jurisdiction or above it
 *     (a city-wide SMS gateway serves the counties too): a webhook each,
 *     or a log record in drills;
 *   - for evacuations, the grid workers of the transfer tasks (transfer.c).
 * Whatever the targets, a person is told only inside the warning's issuing
 * jurisdiction: a county cannot reach another county's people by naming
 * its areas or drawing a polygon over them.
 *
 * People are read through the user directory (auth_users_each) and
 * inserted by cached statements in this transaction, a hundred rows a
 * statement (measured: a statement's fixed cost made one INSERT a person
 * 1.6 times the CPU of the set-based INSERT ... SELECT it replaces). In-app
 * delivery is immediate: the record is the inbox.
 */
#include <geos_c.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/disp_int.h"
#include "geo/geo.h"
#include "registry/registry.h"

typedef struct fanout {
	disp_told told;
	const auth_scope *issuer;
	int64_t added;
	disp_person batch[DISP_ADD_BATCH]; /* people read, not yet inserted */
	size_t nbatch;
} fanout;

/* the part of area's subtree that lies in the issuer's: one holds the other, or they are apart (false) */
static bool within_issuer(const auth_scope *issuer, const char *area, auth_scope *out)
{
	auth_scope a;
	if (!area || auth_scope_of_area(area, "areas", &a, NULL))
		return false;
	if (auth_scope_contains(issuer, area)) {
		*out = a;
		return true;
	}
	if (auth_scope_contains(&a, issuer->code)) {
		*out = *issuer;
		return true;
	}
	return false;
}

/* one person now (someone named by a risk point or a task) */
static int add_user(store *s, const auth_user_row *u, void *ctx, yj_err *e)
{
	fanout *f = ctx;
	int64_t n = disp_db_add_person(s, &f->told, u->id, u->area_code, e);
	if (n < 0)
		return -1;
	f->added += n;
	return 0;
}

/* the people of an area: a full batch in one statement, the rest one by one at the end (flush) */
static int flush(store *s, fanout *f, yj_err *e)
{
	int64_t n = f->nbatch == DISP_ADD_BATCH ? disp_db_add_people(s, &f->told, f->batch, f->nbatch, e) : 0;
	for (size_t i = 0; n >= 0 && f->nbatch < DISP_ADD_BATCH && i < f->nbatch; i++) {
		int64_t one = disp_db_add_person(s, &f->told, f->batch[i].user_id, f->batch[i].area_code, e);
		n = one < 0 ? -1 : n + one;
	}
	f->nbatch = 0;
	if (n < 0)
		return -1;
	f->added += n;
	return 0;
}

static int add_to_batch(store *s, const auth_user_row *u, void *ctx, yj_err *e)
{
	fanout *f = ctx;
	disp_person *p = &f->batch[f->nbatch++];
	p->user_id = u->id;
	snprintf(p->area_code, sizeof p->area_code, "%s", u->area_code);
	return f->nbatch == DISP_ADD_BATCH ? flush(s, f, e) : 0;
}

/* a person named by id (a risk point's or a task's grid worker): told when enabled and inside the issuer's area */
static int add_person_by_id(store *s, fanout *f, int64_t user_id, yj_err *e)
{
	auth_user_row u;
	int rc = auth_user_get(s, user_id, &u, e);
	if (rc <= 0)
		return rc;
	if (u.disabled || !auth_scope_contains(f->issuer, u.area_code))
		return 0;
	return add_user(s, &u, f, e);
}

/* ---- risk points: inside polygons, inside areas ------------------------------------------------------------- */

typedef struct points {
	disp_point *v;
	size_t n, cap;
	const auth_scope *issuer;
	/* the polygon being matched (NULL: every point of the area) */
	GEOSContextHandle_t g;
	const GEOSPreparedGeometry *prep;
} points;

static int take_point(store *s, const reg_risk_point *rp, void *ctx, yj_err *e)
{
	points *p = ctx;
	if (!auth_scope_contains(p->issuer, rp->area_code))
		return 0;
	if (p->prep) {
		if (isnan(rp->lon) || isnan(rp->lat))
			return 0;
		GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(p->g, rp->lon, rp->lat);
		bool in = pt && GEOSPreparedIntersects_r(p->g, p->prep, pt) == 1;
		if (pt)
			GEOSGeom_destroy_r(p->g, pt);
		if (!in)
			return 0;
	}
	p->v = yj_grow(p->v, &p->cap, p->n + 1, sizeof *p->v);
	disp_point *d = &p->v[p->n++];
	d->id = rp->id;
	d->worker = rp->grid_worker_id;
	d->population = rp->population;
	snprintf(d->area_code, sizeof d->area_code, "%s", rp->area_code);
	return 0;
}

static int cmp_point(const void *a, const void *b)
{
	int64_t x = ((const disp_point *)a)->id, y = ((const disp_point *)b)->id;
	return x < y ? -1 : x > y;
}

/* each risk point once (areas and polygons overlap) */
static void points_unique(points *p)
{
	if (p->n < 2)
		return;
	qsort(p->v, p->n, sizeof *p->v, cmp_point);
	size_t k = 1;
	for (size_t i = 1; i < p->n; i++)
		if (p->v[i].id != p->v[k - 1].id)
			p->v[k++] = p->v[i];
	p->n = k;
}

/* the risk points of the issuer's area inside the polygons (GeoJSON Polygon objects) */
static int points_in_polygons(store *s, json_t *polygons, points *p, yj_err *e)
{
	if (json_array_size(polygons) == 0)
		return 0;
	GEOSContextHandle_t g = GEOS_init_r();
	GEOSGeoJSONReader *rd = GEOSGeoJSONReader_create_r(g);
	int rc = 0;
	size_t i;
	json_t *poly;
	json_array_foreach(polygons, i, poly) {
		char *txt = json_dumps(poly, JSON_COMPACT);
		GEOSGeometry *geom = txt ? GEOSGeoJSONReader_readGeometry_r(g, rd, txt) : NULL;
		free(txt);
		if (!geom)
			continue; /* the warning module checked them; a shape GEOS cannot read reaches nobody */
		double box[4];
		GEOSGeom_getXMin_r(g, geom, &box[0]);
		GEOSGeom_getYMin_r(g, geom, &box[1]);
		GEOSGeom_getXMax_r(g, geom, &box[2]);
		GEOSGeom_getYMax_r(g, geom, &box[3]);
		p->g = g;
		p->prep = GEOSPrepare_r(g, geom);
		rc = p->prep ? reg_risk_points_in_bbox(s, box, take_point, p, e) : 0;
		if (p->prep)
			GEOSPreparedGeom_destroy_r(g, p->prep);
		p->prep = NULL;
		GEOSGeom_destroy_r(g, geom);
		if (rc)
			break;
	}
	GEOSGeoJSONReader_destroy_r(g, rd);
	GEOS_finish_r(g);
	return rc;
}

/* ---- member units --------------------------------------------------------------------------------------- */

typedef struct units {
	fanout *f;
	const char *channel;
} units;

static int add_unit(store *s, const reg_member_unit *mu, void *ctx, yj_err *e)
{
	units *u = ctx;
	const auth_scope *issuer = u->f->issuer;
	auth_scope us;
	bool inside = auth_scope_contains(issuer, mu->area_code);
	bool above = !inside && auth_scope_of_area(mu->area_code, "area_code", &us, NULL) == 0 &&
	             auth_scope_contains(&us, issuer->code);
	if (!inside && !above)
		return 0;
	return disp_db_add_unit(s, &u->f->told, mu->id, mu->area_code, u->channel, e) < 0 ? -1 : 0;
}

static int add_units(store *s, fanout *f, yj_err *e)
{
	/* the units of the top of the issuer's tree, kept when inside the issuer's area or on its way up */
	char top[16], up[16];
	snprintf(top, sizeof top, "%s", f->issuer->code);
	for (int guard = 0; guard < 8; guard++) {
		geo_area_parent(top, up);
		if (!up[0])
			break;
		snprintf(top, sizeof top, "%s", up);
	}
	auth_scope all;
	if (auth_scope_of_area(top, "area_code", &all, e))
		return -1;
	units u = {.f = f, .channel = disp_cfg()->drill ? "log" : "webhook"};
	return reg_member_units_each(s, &all, false, add_unit, &u, e);
}

/* ---- one version ------------------------------------------------------------------------------------------- */

static int audit_dispatch(store *s, int64_t warning_id, yj_err *e)
{
	return audit_record_id(s, NULL, "warning.dispatch", "dispatch", warning_id, e);
}

int disp_on_version(store *s, int64_t warning_id, int version, bool evacuation, yj_err *e)
{
	double t0 = yj_mono_ms();
	warn_info w;
	int rc = warn_get(s, warning_id, &w, e);
	if (rc <= 0)
		return rc < 0 ? -1 : yj_fail(e, YJ_ENOTFOUND, "id", "no warning %lld", (long long)warning_id);
	auth_scope issuer;
	points pts = {0};
	int64_t *workers = NULL;
	size_t nworkers = 0;
	rc = -1;
	/* the issuing jurisdiction bounds everyone told */
	if (auth_scope_of_area(w.area_code, "area_code", &issuer, e))
		goto out;
	pts.issuer = &issuer;
	int64_t now = yj_now_ms();
	fanout f = {.told = {.warning_id = warning_id, .version = version, .now = now,
	                     .next_escalation = now + disp_ack_limit_ms(w.level)},
	            .issuer = &issuer};
	if (version > 1) {
		/* an update: everyone already told is told again and must confirm the new version */
		if (disp_db_retell(s, &f.told, e) || disp_db_esc_resolve_warning(s, warning_id, now, e))
			goto out;
	}
	/* grid workers and duty officers of every target area's subtree */
	size_t i;
	json_t *a;
	json_array_foreach(w.areas, i, a) {
		auth_scope sc;
		if (!within_issuer(&issuer, json_string_value(a), &sc))
			continue;
		auth_user_query q = {.roles = ROLE_BIT(ROLE_GRID_WORKER) | ROLE_BIT(ROLE_DUTY_OFFICER), .scope = &sc};
		if (auth_users_each(s, &q, add_to_batch, &f, e) || flush(s, &f, e))
			goto out;
	}
	/* grid workers bound to risk points inside the polygons */
	if (points_in_polygons(s, w.polygons, &pts, e))
		goto out;
	points_unique(&pts);
	for (i = 0; i < pts.n; i++)
		if (pts.v[i].worker && add_person_by_id(s, &f, pts.v[i].worker, e) < 0)
			goto out;
	if (add_units(s, &f, e))
		goto out;
	/* evacuations (临灾转移): a transfer task per risk point at risk, whose grid workers are told too */
	if (evacuation || w.evacuation) {
		json_array_foreach(w.areas, i, a) {
			auth_scope sc;
			if (within_issuer(&issuer, json_string_value(a), &sc) && reg_risk_points_each(s, &sc, take_point, &pts, e))
				goto out;
		}
		points_unique(&pts);
		if (disp_tasks_make(s, &w, &issuer, pts.v, pts.n, now, e) || disp_db_task_workers(s, warning_id, &workers, &nworkers, e))
			goto out;
		for (i = 0; i < nworkers; i++)
			if (add_person_by_id(s, &f, workers[i], e) < 0)
				goto out;
	}
	if (audit_dispatch(s, warning_id, e))
		goto out;
	yj_log(YJ_LOG_INFO, "dispatch", "warning=%lld version=%d new_recipients=%lld dur_ms=%.1f", (long long)warning_id,
	       version, (long long)f.added, yj_mono_ms() - t0);
	rc = 0;
out:
	free(workers);
	free(pts.v);
	warn_info_clear(&w);
	return rc;
}
