/*
 * device.c — the device table: every device in memory (id, kind, area, key
 * digest, latest state), backed by table `device`, with per-device API keys.
 *
 * The table only grows (devices are disabled, never removed), so an index
 * stays valid for the life of the process. Readers and the writer share it
 * under a read-write lock: lookups and snapshots take the read side; the
 * writer takes the write side once per batch to fold in the latest state.
 * At start the latest state is read from table device_state (one row a
 * device) and the reports stored since it was written (state.c), never
 * from the whole history of reports.
 *
 * A key is "<device id>.<secret>"; the secret is 32 random bytes shown once;
 * the store and the table keep only its BLAKE2b digest.
 *
 * Device records are created and changed here (the service: checks,
 * jurisdiction, audit); their SQL is in tel_db.c. A change reaches the
 * in-memory table after its transaction commits.
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

/* what a duty officer calls them */
static const char *const kind_labels[DEV_KIND_COUNT] = {
	"护林员", "公交车", "客车", "危化品运输车", "重型货车", "渔船", "货船", "雨量站",
	"水位站", "风速站", "气体探测器", "储罐液位计", "温度监测", "压力监测", "设备",
};

const char *tel_kind_name(tel_kind k)
{
	return (unsigned)k < DEV_KIND_COUNT ? kind_names[k] : "other";
}

const char *tel_kind_label(tel_kind k)
{
	return (unsigned)k < DEV_KIND_COUNT ? kind_labels[k] : "设备";
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
		size_t cap = (size_t)capslots;
		slots = yj_grow(slots, &cap, (size_t)nslots + 1, sizeof *slots);
		capslots = (int32_t)cap;
	}
	if ((size_t)(nslots + 1) * 2 > hash_cap) {
		free(hash_index);
		hash_cap = hash_cap ? hash_cap * 2 : 2048;
		hash_index = yj_calloc(hash_cap, sizeof *hash_index);
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

/* add or replace in memory (the store has it committed) */
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
	tel_state_clear();
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

/* ---- loading at start ------------------------------------------------------------------------ */

static int load_device(const tel_device_row *r, void *ctx, yj_err *e)
{
	int k = tel_kind_parse(r->kind);
	upsert(r->id, k < 0 ? DEV_OTHER : (tel_kind)k, r->area_code, r->disabled, r->key_hash);
	return 0;
}

int32_t tel_device_find_locked(const char *id)
{
	return find_locked(id);
}

tel_state tel_device_state(const tel_device *d)
{
	return (tel_state){.has_position = d->has_position, .pos_ts_ms = d->pos_ts_ms, .lon = d->lon, .lat = d->lat,
	                   .speed_kmh = d->speed_kmh, .heading = d->heading, .reading_ts_ms = d->reading_ts_ms,
	                   .last_seen_ms = d->last_seen_ms};
}

void tel_device_set_state(tel_device *d, const tel_state *st)
{
	d->has_position = st->has_position;
	d->pos_ts_ms = st->pos_ts_ms;
	d->lon = st->lon;
	d->lat = st->lat;
	d->speed_kmh = st->speed_kmh;
	d->heading = st->heading;
	d->reading_ts_ms = st->reading_ts_ms;
	d->last_seen_ms = st->last_seen_ms;
}

int tel_devices_load(store *s, yj_err *e)
{
	if (tel_db_devices_each(s, load_device, NULL, e))
		return -1;
	/* the latest state: one row a device and the reports since (state.c), never the history */
	return tel_state_load(s, e);
}

/* ---- device records: create, change, rotate key ------------------------------------ */

/* a change to fold into the table once its transaction has committed */
typedef struct pending_upsert {
	char id[64];
	tel_kind kind;
	char area[16];
	bool disabled;
	bool has_hash;
	unsigned char hash[32];
} pending_upsert;

static void apply_upsert(void *ctx)
{
	pending_upsert *u = ctx;
	upsert(u->id, u->kind, u->area, u->disabled, u->has_hash ? u->hash : NULL);
	free(u);
}

/* the table follows the store: the change shows once committed, never after a rollback */
static void upsert_after_commit(store *s, const char *id, tel_kind kind, const char *area, bool disabled,
                                const unsigned char *hash)
{
	pending_upsert *u = yj_calloc(1, sizeof *u);
	snprintf(u->id, sizeof u->id, "%s", id);
	u->kind = kind;
	snprintf(u->area, sizeof u->area, "%s", area);
	u->disabled = disabled;
	if (hash) {
		u->has_hash = true;
		memcpy(u->hash, hash, sizeof u->hash);
	}
	store_after_commit(s, apply_upsert, free, u);
}

/* The audit projection of a device: what the chain vouches for, from the stored row. */
static json_t *device_project(store *s, const char *id)
{
	tel_device_row r;
	if (tel_db_device_get(s, id, &r, NULL) <= 0)
		return NULL;
	char digest[65];
	yj_hex(r.key_hash, sizeof r.key_hash, digest);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "id", r.id, "kind", r.kind, "name", r.name, "owner",
	                 r.owner, "area_code", r.area_code, "disabled", r.disabled, "key_digest", digest);
}

void tel_device_audit_register(void)
{
	audit_register_type("device", 1, device_project);
}

static json_t *device_json(const tel_device_row *r)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id", r->id, "kind", r->kind, "name", r->name, "owner",
	                      r->owner, "area", r->area_code, "disabled", r->disabled);
	int32_t i = tel_device_find(r->id);
	tel_device d;
	if (j && i >= 0 && tel_device_get(i, &d)) {
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

json_t *tel_device_json(store *s, const char *id)
{
	tel_device_row r;
	if (tel_db_device_get(s, id, &r, NULL) <= 0)
		return NULL;
	return device_json(&r);
}

json_t *tel_device_row_json(const tel_device_row *r)
{
	return device_json(r);
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

/* the scope of an area named by a client (unknown or malformed: 400; outside the actor's: 403) */
static int area_scope(const auth_user *actor, const char *area, auth_scope *sc, yj_err *e)
{
	return actor ? auth_scope_for(actor, area, "area", sc, e) : auth_scope_of_area(area, "area", sc, e);
}

static int check_texts(const tel_device_input *in, yj_err *e)
{
	if (in->name && strlen(in->name) > 200)
		return yj_fail(e, YJ_EINVAL, "name", "field 'name': at most 200 bytes");
	if (in->owner && strlen(in->owner) > 200)
		return yj_fail(e, YJ_EINVAL, "owner", "field 'owner': at most 200 bytes");
	return 0;
}

int tel_device_create(store *s, const auth_user *actor, const tel_device_input *in, char key_out[160], yj_err *e)
{
	if (!id_ok(in->id))
		return yj_fail(e, YJ_EINVAL, "id",
		               "field 'id': 1 to 63 of letters, digits, '-', '_' and ':' (e.g. V-0001)");
	int k = tel_kind_parse(in->kind);
	if (k < 0)
		return yj_fail(e, YJ_EINVAL, "kind",
		               "field 'kind': '%.32s' is not one of ranger, bus, coach, hazmat_vehicle, "
		               "heavy_truck, fishing_vessel, cargo_vessel, rain_gauge, water_level, wind, gas, "
		               "tank_level, temperature, pressure, other",
		               in->kind ? in->kind : "");
	if (!in->area)
		return yj_fail(e, YJ_EINVAL, "area", "field 'area' is required");
	auth_scope sc;
	if (area_scope(actor, in->area, &sc, e) || check_texts(in, e))
		return -1;
	tel_device_row r = {0};
	snprintf(r.id, sizeof r.id, "%s", in->id);
	snprintf(r.kind, sizeof r.kind, "%s", tel_kind_name((tel_kind)k));
	snprintf(r.name, sizeof r.name, "%s", in->name ? in->name : "");
	snprintf(r.owner, sizeof r.owner, "%s", in->owner ? in->owner : "");
	snprintf(r.area_code, sizeof r.area_code, "%s", sc.code);
	new_key(r.id, key_out, r.key_hash);
	r.created_ms = r.updated_ms = yj_now_ms();
	if (tel_db_device_insert(s, &r, e)) {
		if (e && e->code == YJ_ECONFLICT)
			return yj_fail(e, YJ_ECONFLICT, "id", "device %s exists already", r.id);
		return -1;
	}
	if (audit_record(s, actor, "device.create", "device", r.id, e))
		return -1;
	upsert_after_commit(s, r.id, (tel_kind)k, r.area_code, false, r.key_hash);
	return 0;
}

int tel_device_update(store *s, const auth_user *actor, const char *id, const tel_device_input *in,
                      char key_out[160], yj_err *e)
{
	tel_device_row cur;
	int found = tel_db_device_get(s, id, &cur, e);
	if (found < 0)
		return -1;
	auth_scope own;
	if (found && actor && auth_scope_for(actor, NULL, "area", &own, e))
		return -1;
	if (!found || (actor && !auth_scope_contains(&own, cur.area_code)))
		return yj_fail(e, YJ_ENOTFOUND, "id", "no device %.64s", id);
	auth_scope sc;
	if ((in->area && area_scope(actor, in->area, &sc, e)) || check_texts(in, e))
		return -1;
	unsigned char hash[32];
	if (in->rotate_key)
		new_key(cur.id, key_out, hash);
	int64_t n = tel_db_device_update(s, cur.id, in->name, in->owner, in->area ? sc.code : NULL, in->disabled,
	                                 in->rotate_key ? hash : NULL, yj_now_ms(), e);
	if (n < 0)
		return -1;
	if (n == 0)
		return yj_fail(e, YJ_ENOTFOUND, "id", "no device %.64s", id);
	if (audit_record(s, actor, in->rotate_key ? "device.key" : "device.update", "device", cur.id, e))
		return -1;
	int k = tel_kind_parse(cur.kind);
	upsert_after_commit(s, cur.id, k < 0 ? DEV_OTHER : (tel_kind)k, in->area ? sc.code : cur.area_code,
	       in->disabled < 0 ? cur.disabled : in->disabled != 0, in->rotate_key ? hash : NULL);
	return 0;
}
