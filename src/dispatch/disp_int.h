/*
 * disp_int.h — shared between the files of src/dispatch/ only.
 */
#ifndef YJ_DISP_INT_H
#define YJ_DISP_INT_H

#include "dispatch/dispatch.h"

int64_t disp_ack_limit_ms(const char *level);
void disp_parent_area(store *s, const char *code, char out[16]);
/* inbox streams: one user, or every in-app recipient of a warning */
void disp_publish_user(int64_t user_id, const char *event, const char *data);
void disp_publish_warning(int64_t warning_id, const char *event, const char *data);

#endif
