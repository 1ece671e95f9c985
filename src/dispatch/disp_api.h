/*
 * disp_api.h — shared by dispatch's HTTP handlers (*_api.c) only: the
 * routes each file registers and the helpers they share.
 */
#ifndef YJ_DISP_API_H
#define YJ_DISP_API_H

#include "dispatch/disp_int.h"
#include "http/http.h"

#define LOOP_VIEWERS ROLES_STAFF
#define TASK_STAFF (ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_DUTY_OFFICER))

void disp_inbox_routes(void);
void disp_loop_routes(void);
void disp_task_routes(void);

/*
 * The id of the warning of path parameter param, when the caller may watch
 * it (its jurisdiction or one of its target areas lies in the caller's): 0
 * with *id, else -1 with *e (400 for a malformed id, 404 for a warning not
 * there or not the caller's).
 */
int disp_api_warning(http_req *req, const char *param, int64_t *id, yj_err *e);
/* RFC 3339 text of ms, or JSON null for 0 */
json_t *disp_time_json(int64_t ms);
/* o.point = [lon, lat] when the point is known (else no member) */
void disp_set_point(json_t *o, double lon, double lat);

#endif
