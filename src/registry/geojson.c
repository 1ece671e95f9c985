/*
 * geojson.c — the registry's one GeoJSON writer (RFC 7946), used by the
 * map layers, the lists' ?format=geojson and the exports alike, so that a
 * GIS tool sees the same feature the same way wherever it came from:
 *
 *   - a feature's "id" is the object's numeric id (§3.2: a number, never
 *     null), and "properties" carries it again as "id" with the rest;
 *   - a point is [lon, lat] rounded to 7 decimals (about 1 cm), written in
 *     its shortest form; an object without a place has "geometry": null;
 *   - foreign members of the collection (layer, count, truncated) follow
 *     the features.
 *
 * It writes text into a strbuf as it goes (a 20,000-feature layer builds
 * no JSON objects); the caller serves it as application/geo+json
 * (REG_GEOJSON_TYPE). Runs no SQL.
 */
#include <math.h>
#include <string.h>

#include "registry/registry_int.h"

double reg_coord(double x)
{
	return isfinite(x) ? round(x * 1e7) / 1e7 : x;
}

/* a non-negative whole number without printf: layers write tens of thousands */
static void put_u64(strbuf *out, unsigned long long u)
{
	char buf[24], *p = buf + sizeof buf;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	strbuf_append(out, p, (size_t)(buf + sizeof buf - p));
}

void reg_gj_put_int(strbuf *out, long long v)
{
	if (v < 0)
		strbuf_append(out, "-", 1);
	put_u64(out, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v);
}

void reg_gj_put_coord(strbuf *out, double x)
{
	long long v = llround(x * 1e7);
	if (v < 0) {
		strbuf_append(out, "-", 1);
		v = -v;
	}
	put_u64(out, (unsigned long long)(v / 10000000));
	char frac[8];
	long long f = v % 10000000;
	for (int i = 6; i >= 0; i--) {
		frac[i] = (char)('0' + f % 10);
		f /= 10;
	}
	int n = 7;
	while (n > 1 && frac[n - 1] == '0') /* shortest form, one decimal at least */
		n--;
	strbuf_append(out, ".", 1);
	strbuf_append(out, frac, (size_t)n);
}

void reg_gj_open(strbuf *out, const char *layer)
{
	strbuf_puts(out, "{\"type\":\"FeatureCollection\"");
	if (layer) {
		strbuf_puts(out, ",\"layer\":");
		yj_json_escape(out, layer);
	}
	strbuf_puts(out, ",\"features\":[");
}

void reg_gj_feature_open(strbuf *out, bool first, int64_t id, bool has_point, double lon, double lat)
{
	strbuf_puts(out, first ? "{\"type\":\"Feature\",\"id\":" : ",{\"type\":\"Feature\",\"id\":");
	reg_gj_put_int(out, (long long)id);
	if (has_point && isfinite(lon) && isfinite(lat)) {
		strbuf_puts(out, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
		reg_gj_put_coord(out, lon);
		strbuf_append(out, ",", 1);
		reg_gj_put_coord(out, lat);
		strbuf_puts(out, "]},\"properties\":{\"id\":");
	} else {
		strbuf_puts(out, ",\"geometry\":null,\"properties\":{\"id\":");
	}
	reg_gj_put_int(out, (long long)id);
}

void reg_gj_feature_close(strbuf *out)
{
	strbuf_puts(out, "}}");
}

void reg_gj_close(strbuf *out, long count, int truncated)
{
	strbuf_puts(out, "]");
	if (count >= 0) {
		strbuf_puts(out, ",\"count\":");
		reg_gj_put_int(out, count);
	}
	if (truncated >= 0)
		strbuf_puts(out, truncated ? ",\"truncated\":true" : ",\"truncated\":false");
	strbuf_puts(out, "}");
}
