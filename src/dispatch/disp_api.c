/*
 * disp_api.c — the HTTP routes of the closed loop and what their handlers share:
 *   GET  /api/v1/me/inbox                     my warnings (and escalations to me)      inbox_api.c
 *   GET  /api/v1/me/inbox/{warning}           one; opening marks it read
 *   POST /api/v1/me/inbox/{warning}/ack       acknowledge (idempotent)
 *   GET  /api/v1/me/inbox/stream              Server-Sent Events for my inbox
 *   GET  /api/v1/warnings/{id}/recipients?state=&area=&channel=&limit=&cursor=         loop_api.c
 *   GET  /api/v1/warnings/{id}/loop?group_by=town|village&area=    and /loop/stream
 *   GET  /api/v1/me/tasks                     my transfer tasks (临灾转移)              tasks_api.c
 *   GET  /api/v1/warnings/{id}/tasks?state=&area=
 *   GET  /api/v1/transfer-tasks/{id}          with its reports
 *   POST /api/v1/transfer-tasks/{id}/reports  moved persons (Idempotency-Key)
 *   POST /api/v1/transfer-tasks/{id}/chase    a commander chases an open task
 * Member units (the webhook receivers) are the registry's, and so are their routes.
 */
#include <math.h>
#include <string.h>

#include "dispatch/disp_api.h"

int disp_api_warning(http_req *req, const char *param, int64_t *id, yj_err *e)
{
	warn_info w;
	if (http_path_id(req, param, id, e))
		return -1;
	int rc = warn_get(store_thread(), *id, &w, e);
	if (rc < 0)
		return -1;
	bool visible = rc > 0 && warn_info_visible(&w, req->user);
	if (rc > 0)
		warn_info_clear(&w);
	return visible ? 0 : yj_fail(e, YJ_ENOTFOUND, param, "no warning %lld", (long long)*id);
}

json_t *disp_time_json(int64_t ms)
{
	if (!ms)
		return json_null();
	char t[40];
	yj_time_format(ms, t);
	return json_string(t);
}

void disp_set_point(json_t *o, double lon, double lat)
{
	if (!isnan(lon) && !isnan(lat))
		json_object_set_new(o, "point", json_pack("[f,f]", lon, lat));
}

void disp_api_register(void)
{
	disp_init();
	disp_inbox_routes();
	disp_loop_routes();
	disp_task_routes();
}
