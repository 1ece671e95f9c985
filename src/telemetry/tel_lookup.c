/*
 * tel_lookup.c — how other modules read telemetry: recent readings (the
 * rules warm their windows at start) and a device's label for people (the
 * rules write it into alarm messages). Tables `device`, `device_state`,
 * `position` and `reading` are telemetry's; their SQL is in tel_db.c.
 */
#include <stdlib.h>
#include <string.h>

#include "telemetry/tel_int.h"

int tel_readings_each(store *s, const char *metric, int64_t since_ms, tel_reading_fn fn, void *ctx, yj_err *e)
{
	/* the devices with a reading that recent (the latest state says), then each one's through the
	 * index on (device, metric, time): a start reads the recent readings, not the history */
	char (*ids)[64] = NULL;
	size_t n = 0, cap = 0;
	pthread_rwlock_rdlock(&tel_devices_lock);
	int32_t count = tel_device_count_locked();
	for (int32_t i = 0; i < count; i++) {
		const tel_device *d = tel_device_slot_locked(i);
		if (d->reading_ts_ms < since_ms)
			continue;
		ids = yj_grow(ids, &cap, n + 1, sizeof *ids);
		memcpy(ids[n++], d->id, sizeof *ids);
	}
	pthread_rwlock_unlock(&tel_devices_lock);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = tel_db_device_readings(s, ids[i], metric, since_ms, fn, ctx, e);
	free(ids);
	return rc;
}

void tel_device_label(store *s, const char *id, char *out, size_t n)
{
	tel_device_row r;
	if (tel_db_device_get(s, id, &r, NULL) <= 0) {
		snprintf(out, n, "%s", id);
		return;
	}
	int k = tel_kind_parse(r.kind);
	const char *kind = tel_kind_label(k < 0 ? DEV_OTHER : (tel_kind)k);
	if (r.name[0] && strcmp(r.name, r.id) != 0)
		snprintf(out, n, "%s %s（%s）", kind, r.name, r.id);
	else
		snprintf(out, n, "%s %s", kind, r.id);
	yj_utf8_trim(out);
}
