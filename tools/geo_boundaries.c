/*
 * geo_boundaries — write the boundaries yingji serves, repaired from the
 * source files under data/ (src/geo/geo_boundaries.c says how), to FILE:
 *
 *   make boundaries     (builds this and writes data/geo/shanwei_boundaries_wgs84.geojson)
 *
 * Run it after changing a boundary source or the repair, and commit the
 * file: yingji stores it as it is, and tests/unit/test_geo.c fails while
 * the committed file is not what this writes.
 */
#include <stdio.h>
#include <string.h>

#include "geo/geo.h"

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: geo_boundaries FILE\n");
		return 2;
	}
	strbuf out;
	strbuf_init(&out);
	yj_err e = {0};
	if (geo_boundaries_make(&out, &e) != 0) {
		fprintf(stderr, "geo_boundaries: %s\n", e.message);
		strbuf_free(&out);
		return 1;
	}
	FILE *f = fopen(argv[1], "w");
	int ok = f && fwrite(out.data, 1, out.len, f) == out.len;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok)
		perror(argv[1]);
	else
		fprintf(stderr, "geo_boundaries: wrote %s (%zu bytes)\n", argv[1], out.len);
	strbuf_free(&out);
	return ok ? 0 : 1;
}
