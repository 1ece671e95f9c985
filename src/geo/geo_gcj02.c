/*
 * geo_gcj02.c — GCJ-02 ("Mars coordinates") <-> WGS84.
 *
 * Chinese web maps (AMap, DataV GeoAtlas, Tencent) publish coordinates in
 * GCJ-02: WGS84 plus a smooth, deliberately obscured offset of a few hundred
 * metres. The forward formula (WGS84 -> GCJ-02) is public (the widely copied
 * "eviltransform" constants, Krasovsky ellipsoid). There is no closed-form
 * inverse, but the offset changes slowly with position, so a fixed-point
 * iteration w <- w - (fwd(w) - g) converges to below 1e-9 degrees in a few
 * steps. Outside China's rectangle the offset is not applied, and points
 * are returned unchanged.
 *
 * The result is only as good as the formula (a few metres); it is not a
 * survey-grade transformation.
 */
#include <math.h>

#include "geo/geo.h"

#define GCJ_A 6378245.0                  /* Krasovsky 1940 semi-major axis, m */
#define GCJ_EE 0.00669342162296594323    /* its first eccentricity squared */
#define GCJ_PI 3.14159265358979324

static bool outside_china(double lon, double lat)
{
	return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

/* The GCJ-02 offset (degrees) at a WGS84 point. */
static void gcj02_offset(double lon, double lat, double *dlon, double *dlat)
{
	double x = lon - 105.0, y = lat - 35.0;
	double t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));
	t_lat += (20.0 * sin(6.0 * x * GCJ_PI) + 20.0 * sin(2.0 * x * GCJ_PI)) * 2.0 / 3.0;
	t_lat += (20.0 * sin(y * GCJ_PI) + 40.0 * sin(y / 3.0 * GCJ_PI)) * 2.0 / 3.0;
	t_lat += (160.0 * sin(y / 12.0 * GCJ_PI) + 320.0 * sin(y * GCJ_PI / 30.0)) * 2.0 / 3.0;

	double t_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
	t_lon += (20.0 * sin(6.0 * x * GCJ_PI) + 20.0 * sin(2.0 * x * GCJ_PI)) * 2.0 / 3.0;
	t_lon += (20.0 * sin(x * GCJ_PI) + 40.0 * sin(x / 3.0 * GCJ_PI)) * 2.0 / 3.0;
	t_lon += (150.0 * sin(x / 12.0 * GCJ_PI) + 300.0 * sin(x / 30.0 * GCJ_PI)) * 2.0 / 3.0;

	double rad_lat = lat / 180.0 * GCJ_PI;
	double magic = sin(rad_lat);
	magic = 1.0 - GCJ_EE * magic * magic;
	double sqrt_magic = sqrt(magic);
	*dlat = (t_lat * 180.0) / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * GCJ_PI);
	*dlon = (t_lon * 180.0) / (GCJ_A / sqrt_magic * cos(rad_lat) * GCJ_PI);
}

void geo_wgs84_to_gcj02(double lon, double lat, double *glon, double *glat)
{
	if (!isfinite(lon) || !isfinite(lat) || outside_china(lon, lat)) {
		*glon = lon;
		*glat = lat;
		return;
	}
	double dlon, dlat;
	gcj02_offset(lon, lat, &dlon, &dlat);
	*glon = lon + dlon;
	*glat = lat + dlat;
}

void geo_gcj02_to_wgs84(double glon, double glat, double *lon, double *lat)
{
	if (!isfinite(glon) || !isfinite(glat) || outside_china(glon, glat)) {
		*lon = glon;
		*lat = glat;
		return;
	}
	/* Start from the one-step inverse, then correct by the forward residual. */
	double dlon, dlat;
	gcj02_offset(glon, glat, &dlon, &dlat);
	double wlon = glon - dlon, wlat = glat - dlat;
	for (int i = 0; i < 30; i++) {
		double flon, flat;
		geo_wgs84_to_gcj02(wlon, wlat, &flon, &flat);
		double elon = flon - glon, elat = flat - glat;
		wlon -= elon;
		wlat -= elat;
		if (fabs(elon) < 1e-10 && fabs(elat) < 1e-10)
			break;
	}
	*lon = wlon;
	*lat = wlat;
}
