/*
 * gzip.c — compressing answers (zlib): JSON, GeoJSON, CSV, JS, CSS and
 * HTML above a size worth it, for clients that accept gzip. Dynamic
 * answers are compressed at a fast level (a 1,000-feature layer of
 * 150 KB shrinks about tenfold in well under a millisecond); static files
 * once, at the best level, and kept (static.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "http/http_int.h"

bool http_accepts_gzip(const http_req *req)
{
	const char *ae = http_header(req, "Accept-Encoding");
	if (!ae)
		return false;
	/* "gzip", "gzip;q=0.8", "deflate, gzip" — but not "gzip;q=0" */
	for (const char *p = ae; (p = strcasestr(p, "gzip")); p += 4) {
		const char *q = p + 4;
		while (*q == ' ')
			q++;
		if (*q == ';') {
			const char *v = strstr(q, "q=");
			if (v && strtod(v + 2, NULL) == 0.0)
				return false;
		}
		return true;
	}
	return false;
}

bool http_compressible(const char *content_type, size_t len)
{
	if (!content_type || len < HTTP_GZIP_MIN)
		return false;
	static const char *const types[] = {"application/json", "application/geo+json", "text/", "application/javascript",
	                                    "image/svg+xml",    "application/xml",      "application/atom+xml"};
	for (size_t i = 0; i < YJ_ARRAY_LEN(types); i++)
		if (strncmp(content_type, types[i], strlen(types[i])) == 0)
			return true;
	return false;
}

char *http_gzip(const char *in, size_t len, int level, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, (uLong)len);
	char *out = yj_malloc(cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}
