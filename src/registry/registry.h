/*
 * registry.h — what the bureau supervises or can call on, starting with the
 * administrative area tree (city > county > town > village). Later: the
 * organisations, enterprises, hazard sources, risk points, shelters,
 * warehouses, teams and cameras of the command map, and its layers.
 */
#ifndef YJ_REGISTRY_H
#define YJ_REGISTRY_H

#include <jansson.h>

#include "base/base.h"
#include "store/store.h"

/* Build in-memory indexes (the point -> area index) from the store. Call
 * once at server start, before threads. 0, or -1 with *e. */
int reg_start(store *s, yj_err *e);
void reg_stop(void);

/* Register the HTTP routes of the registry. */
void reg_api_register(void);

/* An area as JSON (with its path from the city down); with_geometry adds the
 * boundary. NULL when there is no such area. */
json_t *reg_area_json(store *s, const char *code, bool with_geometry);

/* The deepest area containing a WGS84 point; false when none. Thread-safe. */
bool reg_area_locate(double lon, double lat, char code_out[16]);

#endif
