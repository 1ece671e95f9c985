/*
 * tel_int.h — shared between the files of src/telemetry/ only.
 */
#ifndef YJ_TEL_INT_H
#define YJ_TEL_INT_H

#include <math.h>
#include <pthread.h>

#include "telemetry/telemetry.h"

/* the device table's lock: read side for lookups, write side for changes */
extern pthread_rwlock_t tel_devices_lock;
/* with the lock held (either side): device i, or NULL */
tel_device *tel_device_slot_locked(int32_t i);
int32_t tel_device_count_locked(void);

int tel_devices_load(store *s, yj_err *e);
void tel_devices_clear(void);
void tel_device_audit_register(void);
json_t *tel_device_json(store *s, const char *id);
int tel_device_create(store *s, const auth_user *actor, const char *id, const char *kind,
                      const char *area, const char *name, const char *owner, char key_out[160],
                      yj_err *e);
/* NULL strings and disabled < 0 leave a value as it is */
int tel_device_update(store *s, const auth_user *actor, const char *id, const char *name,
                      const char *owner, const char *area, int disabled, bool rotate_key,
                      char key_out[160], yj_err *e);

/* writer.c: queue reports; returns the sequence number of the last one, or 0 when stopped */
uint64_t tel_queue(const tel_report *r, size_t n);
/* wait until seq is durable; 0, or -1 with *e when its batch failed */
int tel_wait_durable(uint64_t seq, yj_err *e);

#endif
