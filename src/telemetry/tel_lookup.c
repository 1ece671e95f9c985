/*
 * tel_lookup.c — how other modules read telemetry's tables (the rules
 * warm their windows from recent readings). Tables `device`, `position`
 * and `reading` are telemetry's; nobody else runs SQL on them.
 */
#include "telemetry/telemetry.h"

int tel_readings_each(store *s, const char *metric, int64_t since_ms, tel_reading_fn fn, void *ctx, yj_err *e)
{
	store_q *q = store_query(s, e, "SELECT device_id, ts_ms, value FROM reading WHERE metric = ? AND ts_ms >= ? ORDER BY ts_ms",
	                         metric, since_ms);
	if (!q)
		return -1;
	int rc;
	while ((rc = store_step(q, e)) > 0) {
		int r = fn(store_col_str(q, 0), store_col_int(q, 1), store_col_double(q, 2), ctx, e);
		if (r) {
			store_done(q);
			return r < 0 ? -1 : 0;
		}
	}
	return rc < 0 ? -1 : 0;
}
