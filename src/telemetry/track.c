/*
 * track.c — a device's track: its positions in a time range, a page at a
 * time, and simplified for display when asked.
 *
 * A page holds at most `limit` positions, oldest first; when more follow it
 * says so (truncated) with the cursor that continues it: the time of its
 * last position (positions are unique per device and time, so "after that
 * time" loses and repeats nothing). A long track is simplified with GEOS
 * (Douglas-Peucker) in local metres, so the tolerance means the same in
 * longitude and latitude: the kept vertices are original positions, each
 * with its own time.
 */
#include <geos_c.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/tel_int.h"

void tel_track_free(tel_track *t)
{
	free(t->pts);
	memset(t, 0, sizeof *t);
}

static int add_point(int64_t ts, double lon, double lat, double speed, double heading, void *ctx, yj_err *e)
{
	tel_track *t = ctx;
	t->pts = yj_grow(t->pts, &t->cap, t->n + 1, sizeof *t->pts);
	t->pts[t->n++] = (tel_track_point){ts, lon, lat};
	return 0;
}

/* metres east and north of (0, lat0): a plane good enough for a track's few hundred km */
#define M_PER_DEG_LAT 110574.0
#define M_PER_DEG_LON_EQ 111320.0

/* keep the vertices Douglas-Peucker keeps at tolerance_m; 0, or -1 with *e */
static int simplify(tel_track *t, double tolerance_m, yj_err *e)
{
	if (t->n < 3 || tolerance_m <= 0)
		return 0;
	double kx = M_PER_DEG_LON_EQ * cos(t->pts[0].lat * M_PI / 180), ky = M_PER_DEG_LAT;
	GEOSContextHandle_t g = GEOS_init_r();
	GEOSCoordSequence *seq = GEOSCoordSeq_create_r(g, (unsigned)t->n, 2);
	for (size_t i = 0; seq && i < t->n; i++)
		GEOSCoordSeq_setXY_r(g, seq, (unsigned)i, t->pts[i].lon * kx, t->pts[i].lat * ky);
	GEOSGeometry *line = seq ? GEOSGeom_createLineString_r(g, seq) : NULL;
	GEOSGeometry *simple = line ? GEOSSimplify_r(g, line, tolerance_m) : NULL;
	const GEOSCoordSequence *out = simple ? GEOSGeom_getCoordSeq_r(g, simple) : NULL;
	unsigned m = 0;
	int rc = 0;
	if (!out || !GEOSCoordSeq_getSize_r(g, out, &m)) {
		rc = yj_fail(e, YJ_EINTERNAL, "simplify", "the track could not be simplified");
	} else if (m >= 2) {
		/* the kept vertices are copies of original ones, in order: find each one's position */
		size_t k = 0, i = 0;
		for (unsigned j = 0; j < m && i < t->n; j++) {
			double x, y;
			GEOSCoordSeq_getXY_r(g, out, j, &x, &y);
			while (i < t->n && (t->pts[i].lon * kx != x || t->pts[i].lat * ky != y))
				i++;
			if (i < t->n)
				t->pts[k++] = t->pts[i++];
		}
		if (k >= 2)
			t->n = k;
	}
	if (simple)
		GEOSGeom_destroy_r(g, simple);
	if (line)
		GEOSGeom_destroy_r(g, line); /* and seq with it */
	GEOS_finish_r(g);
	return rc;
}

int tel_track_read(store *s, const char *id, int64_t from, int64_t to, long limit, double tolerance_m, tel_track *out,
                   yj_err *e)
{
	memset(out, 0, sizeof *out);
	/* one more than the page: whether more follow */
	if (tel_db_track(s, id, from, to, limit + 1, add_point, out, e)) {
		tel_track_free(out);
		return -1;
	}
	if (out->n > (size_t)limit) {
		out->n = (size_t)limit;
		out->truncated = true;
		out->next_cursor = out->pts[out->n - 1].ts_ms;
	}
	out->read = out->n;
	if (simplify(out, tolerance_m, e)) {
		tel_track_free(out);
		return -1;
	}
	return 0;
}
