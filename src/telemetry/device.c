/*
 * device.c — the device table: every device in memory (id, kind, area, key
 * digest, latest state), backed by table `device`, with per-device API keys.
 *
 * The table only grows (devices are disabled, never removed), so an index
 * stays valid for the life of the process. Readers and the writer share it
 * under a read-write lock: lookups and snapshots take the read side; the
 * writer takes the write side once per batch to fold in latest positions.
 *
 * A key is "<device id>.<secret>"; the secret is 32 random bytes shown once;
 * the store and the table keep only its BLAKE2b digest.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/tel_int.h"

static const char *const kind_names[DEV_KIND_COUNT] = {
	"ranger",       "bus",        "coach",     "hazmat_vehicle", "heavy_truck",
	"fishing_vessel", "cargo_vessel", "rain_gauge", "water_level", "wind",
	"gas",          "tank_level", "temperature", "pressure",    "other",
};

const char *tel_kind_name(tel_kind k)
{
	return (unsigned)k < DEV_KIND_COUNT ? kind_names[k] : "other";
}

int tel_kind_parse(const char *name)
{
	for (int i = 0; name && i < DEV_KIND_COUNT; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

typedef struct dev_slot {
	tel_device d;
	unsigned char key_hash[32];
} dev_slot;

pthread_rwlock_t tel_devices_lock = PTHREAD_RWLOCK_INITIALIZER;
static dev_slot *slots;
static int32_t nslots, capslots;
static int32_t *hash_index; /* open addressing: slot index + 1, 0 = empty */
static size_t hash_cap;

static uint64_t hash_id(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void hash_insert(int32_t i)
{
	size_t m = hash_cap - 1, k = hash_id(slots[i].d.id) & m;
	while (hash_index[k])
		k = (k + 1) & m;
	hash_index[k] = i + 1;
}

/* caller holds the write lock */
static void grow(void)
{
	if (nslots + 1 > capslots) {
		capslots = capslots ? capslots * 2 : 1024;
		slots = realloc(slots, (size_t)capslots * sizeof *slots);
		if (!slots)
			abort();
	}
	if ((size_t)(nslots + 1) * 2 > hash_cap) {
		free(hash_index);
		hash_cap = hash_cap ? hash_cap * 2 : 2048;
		hash_index = calloc(hash_cap, sizeof *hash_index);
		if (!hash_index)
			abort();
		for (int32_t i = 0; i < nslots; i++)
			hash_insert(i);
	}
}

/* caller holds a lock */
static int32_t find_locked(const char *id)
{
	if (!hash_cap || !id)
		return -1;
	size_t m = hash_cap - 1, k = hash_id(id) & m;
	for (int32_t v; (v = hash_index[k]); k = (k + 1) & m)
		if (strcmp(slots[v - 1].d.id, id) == 0)
			return v - 1;
	return -1;
}

int32_t tel_device_find(const char *id)
{
	pthread_rwlock_rdlock(&tel_devices_lock);
	int32_t i = find_locked(id);
	pthread_rwlock_unlock(&tel_devices_lock);
	return i;
}

bool tel_device_get(int32_t i, tel_device *out)
{
	pthread_rwlock_rdlock(&tel_devices_lock);
	bool ok = i >= 0 && i < nslots;
	if (ok)
		*out = slots[i].d;
	pthread_rwlock_unlock(&tel_devices_lock);
	return ok;
}

int32_t tel_device_count(void)
{
	pthread_rwlock_rdlock(&tel_devices_lock);
	int32_t n = nslots;
	pthread_rwlock_unlock(&tel_devices_lock);
	return n;
}

tel_device *tel_device_slot_locked(int32_t i)
{
	return i >= 0 && i < nslots ? &slots[i].d : NULL;
}

int32_t tel_device_count_locked(void)
{
	return nslots;
}

/* add or replace in memory (store already written) */
static void upsert(const char *id, tel_kind kind, const char *area, bool disabled,
                   const unsigned char key_hash[32])
{
	pthread_rwlock_wrlock(&tel_devices_lock);
	int32_t i = find_locked(id);
	if (i < 0) {
		grow();
		i = nslots++;
		memset(&slots[i], 0, sizeof slots[i]);
		snprintf(slots[i].d.id, sizeof slots[i].d.id, "%s", id);
		hash_insert(i);
	}
	slots[i].d.kind = kind;
	snprintf(slots[i].d.area_code, sizeof slots[i].d.area_code, "%s", area);
	slots[i].d.disabled = disabled;
	if (key_hash)
		memcpy(slots[i].key_hash, key_hash, 32);
	pthread_rwlock_unlock(&tel_devices_lock);
}

void tel_devices_clear(void)
{
	pthread_rwlock_wrlock(&tel_devices_lock);
	free(slots);
	free(hash_index);
	slots = NULL;
	hash_index = NULL;
	nslots = capslots = 0;
	hash_cap = 0;
	pthread_rwlock_unlock(&tel_devices_lock);
}

static void key_digest(const char *secret, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)secret, strlen(secret), NULL, 0);
}

bool tel_device_key_check(const char *key, char id_out[64])
{
	const char *dot = key ? strrchr(key, '.') : NULL;
	if (!dot || dot == key || (size_t)(dot - key) >= 64)
		return false;
	char id[64];
	memcpy(id, key, (size_t)(dot - key));
	id[dot - key] = 0;
	unsigned char h[32];
	key_digest(dot + 1, h);
	pthread_rwlock_rdlock(&tel_devices_lock);
	int32_t i = find_locked(id);
	bool ok = i >= 0 && !slots[i].d.disabled && sodium_memcmp(h, slots[i].key_hash, 32) == 0;
	pthread_rwlock_unlock(&tel_devices_lock);
	if (ok)
		snprintf(id_out, 64, "%s", id);
	return ok;
}

int tel_devices_load(store *s, yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, kind, area_code, disabled, key_hash FROM device ORDER BY rowid", e);
	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int k = tel_kind_parse((const char *)sqlite3_column_text(st, 1));
		const void *kh = sqlite3_column_blob(st, 4);
		unsigned char hash[32] = {0};
		if (kh && sqlite3_column_bytes(st, 4) == 32)
			memcpy(hash, kh, 32);
		upsert((const char *)sqlite3_column_text(st, 0), k < 0 ? DEV_OTHER : (tel_kind)k,
		       (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3), hash);
	}
	sqlite3_reset(st);
	/* latest state: the newest position by report time, and the newest receipt of anything */
	st = store_stmt(s,
	                "SELECT device_id, max(ts_ms), lon, lat, speed_kmh, heading FROM position "
	                "GROUP BY device_id",
	                e);
	if (!st)
		return -1;
	pthread_rwlock_wrlock(&tel_devices_lock);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int32_t i = find_locked((const char *)sqlite3_column_text(st, 0));
		if (i < 0)
			continue;
		tel_device *d = &slots[i].d;
		d->has_position = true;
		d->pos_ts_ms = sqlite3_column_int64(st, 1);
		d->lon = sqlite3_column_double(st, 2);
		d->lat = sqlite3_column_double(st, 3);
		d->speed_kmh = sqlite3_column_type(st, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 4);
		d->heading = sqlite3_column_type(st, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 5);
	}
	sqlite3_reset(st);
	pthread_rwlock_unlock(&tel_devices_lock);
	st = store_stmt(s,
	                "SELECT device_id, max(r) FROM (SELECT device_id, max(received_ms) AS r FROM position "
	                "GROUP BY device_id UNION ALL SELECT device_id, max(received_ms) FROM reading "
	                "GROUP BY device_id) GROUP BY device_id",
	                e);
	if (!st)
		return -1;
	pthread_rwlock_wrlock(&tel_devices_lock);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int32_t i = find_locked((const char *)sqlite3_column_text(st, 0));
		if (i >= 0)
			slots[i].d.last_seen_ms = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	pthread_rwlock_unlock(&tel_devices_lock);
	return 0;
}

/* ---- device records: create, change, rotate key ------------------------------------ */

static json_t *device_state(store *s, const char *id)
{
	sqlite3_stmt *st = store_stmt(
		s,
		"SELECT id, kind, name, owner, area_code, disabled, hex(key_hash), created_ms, updated_ms "
		"FROM device WHERE id = ?",
		NULL);
	if (!st)
		return NULL;
	store_bind_text(st, 1, id);
	json_t *j = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "id",
		              (const char *)sqlite3_column_text(st, 0), "kind",
		              (const char *)sqlite3_column_text(st, 1), "name",
		              (const char *)sqlite3_column_text(st, 2), "owner",
		              (const char *)sqlite3_column_text(st, 3), "area",
		              (const char *)sqlite3_column_text(st, 4), "disabled",
		              sqlite3_column_int(st, 5), "key_digest",
		              (const char *)sqlite3_column_text(st, 6));
	sqlite3_reset(st);
	return j;
}

json_t *tel_device_json(store *s, const char *id)
{
	json_t *j = device_state(s, id);
	if (!j)
		return NULL;
	json_object_del(j, "key_digest");
	int32_t i = tel_device_find(id);
	tel_device d;
	if (i >= 0 && tel_device_get(i, &d)) {
		char t[40];
		if (d.has_position) {
			yj_time_format(d.pos_ts_ms, t);
			json_t *pos = json_pack("{s:f, s:f, s:s}", "lon", d.lon, "lat", d.lat, "ts", t);
			if (!isnan(d.speed_kmh))
				json_object_set_new(pos, "speed_kmh", json_real(d.speed_kmh));
			if (!isnan(d.heading))
				json_object_set_new(pos, "heading", json_real(d.heading));
			json_object_set_new(j, "position", pos);
		} else {
			json_object_set_new(j, "position", json_null());
		}
		if (d.last_seen_ms) {
			yj_time_format(d.last_seen_ms, t);
			json_object_set_new(j, "last_seen", json_string(t));
		} else {
			json_object_set_new(j, "last_seen", json_null());
		}
	}
	return j;
}

static int audit_device(store *s, const auth_user *actor, const char *action, const char *id, yj_err *e)
{
	json_t *state = device_state(s, id);
	int rc = audit_append(s, actor, action, "device", id, state, e);
	json_decref(state);
	return rc;
}

static void new_key(const char *id, char key_out[160], unsigned char hash[32])
{
	unsigned char raw[32];
	char secret[48];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(secret, sizeof secret, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	key_digest(secret, hash);
	snprintf(key_out, 160, "%s.%s", id, secret);
}

static bool id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n < 1 || n > 63)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == ':'))
			return false;
	return true;
}

static int area_exists(store *s, const char *code)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM area WHERE code = ?", NULL);
	if (!st)
		return 0;
	store_bind_text(st, 1, code);
	int found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

int tel_device_create(store *s, const auth_user *actor, const char *id, const char *kind,
                      const char *area, const char *name, const char *owner, char key_out[160],
                      yj_err *e)
{
	if (!id_ok(id))
		return yj_fail(e, YJ_EINVAL, "id",
		               "field 'id': 1 to 63 of letters, digits, '-', '_' and ':' (e.g. V-0001)");
	int k = tel_kind_parse(kind);
	if (k < 0)
		return yj_fail(e, YJ_EINVAL, "kind",
		               "field 'kind': '%.32s' is not one of ranger, bus, coach, hazmat_vehicle, "
		               "heavy_truck, fishing_vessel, cargo_vessel, rain_gauge, water_level, wind, gas, "
		               "tank_level, temperature, pressure, other",
		               kind ? kind : "");
	if (!area)
		return yj_fail(e, YJ_EINVAL, "area", "field 'area' is required");
	if (!area_exists(s, area))
		return yj_fail(e, YJ_EINVAL, "area", "field 'area': no area %.16s", area);
	if (actor && auth_require_area(actor, area, "area", e))
		return -1;
	if ((name && strlen(name) > 200) || (owner && strlen(owner) > 200))
		return yj_fail(e, YJ_EINVAL, name && strlen(name) > 200 ? "name" : "owner",
		               "at most 200 bytes");
	unsigned char hash[32];
	new_key(id, key_out, hash);
	int64_t now = yj_now_ms();
	sqlite3_stmt *st = store_stmt(s,
	                              "INSERT INTO device(id, kind, name, owner, area_code, key_hash, "
	                              "created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?)",
	                              e);
	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, kind);
	store_bind_text(st, 3, name ? name : "");
	store_bind_text(st, 4, owner ? owner : "");
	store_bind_text(st, 5, area);
	sqlite3_bind_blob(st, 6, hash, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, now);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		if ((sqlite3_extended_errcode(store_db(s)) & 0xff) == SQLITE_CONSTRAINT)
			return yj_fail(e, YJ_ECONFLICT, "id", "device %s exists already", id);
		return store_fail(s, e, "insert device");
	}
	if (audit_device(s, actor, "device.create", id, e))
		return -1;
	upsert(id, (tel_kind)k, area, false, hash);
	return 0;
}

int tel_device_update(store *s, const auth_user *actor, const char *id, const char *name,
                      const char *owner, const char *area, int disabled, bool rotate_key,
                      char key_out[160], yj_err *e)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT kind, area_code, disabled FROM device WHERE id = ?", e);
	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return yj_fail(e, YJ_ENOTFOUND, "id", "no device %.64s", id);
	}
	int k = tel_kind_parse((const char *)sqlite3_column_text(st, 0));
	char cur_area[16];
	snprintf(cur_area, sizeof cur_area, "%s", (const char *)sqlite3_column_text(st, 1));
	int cur_disabled = sqlite3_column_int(st, 2);
	sqlite3_reset(st);
	if (actor && !auth_area_visible(actor, cur_area))
		return yj_fail(e, YJ_ENOTFOUND, "id", "no device %.64s", id);
	if (area) {
		if (!area_exists(s, area))
			return yj_fail(e, YJ_EINVAL, "area", "field 'area': no area %.16s", area);
		if (actor && auth_require_area(actor, area, "area", e))
			return -1;
	}
	if ((name && strlen(name) > 200) || (owner && strlen(owner) > 200))
		return yj_fail(e, YJ_EINVAL, name && strlen(name) > 200 ? "name" : "owner",
		               "at most 200 bytes");
	unsigned char hash[32];
	if (rotate_key)
		new_key(id, key_out, hash);
	st = store_stmt(s,
	                "UPDATE device SET name = coalesce(?1, name), owner = coalesce(?2, owner), "
	                "area_code = coalesce(?3, area_code), disabled = CASE WHEN ?4 < 0 THEN disabled "
	                "ELSE ?4 END, key_hash = coalesce(?5, key_hash), updated_ms = ?6 WHERE id = ?7",
	                e);
	if (!st)
		return -1;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, owner);
	store_bind_text(st, 3, area);
	sqlite3_bind_int(st, 4, disabled);
	if (rotate_key)
		sqlite3_bind_blob(st, 5, hash, 32, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, yj_now_ms());
	store_bind_text(st, 7, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "update device");
	if (audit_device(s, actor, rotate_key ? "device.key" : "device.update", id, e))
		return -1;
	upsert(id, k < 0 ? DEV_OTHER : (tel_kind)k, area ? area : cur_area,
	       disabled < 0 ? cur_disabled : disabled, rotate_key ? hash : NULL);
	return 0;
}

void tel_device_audit_register(void)
{
	audit_register_state("device", device_state);
}
