/*
 * dispatch.h — the closed loop (应急一键通 + 临灾避险转移): every issued
 * warning reaches every responsible person in its areas, one durable record
 * per recipient and channel, through the states
 *     queued -> sent -> delivered -> read -> acknowledged   (or failed)
 * Unanswered recipients escalate to the supervisors one area level up,
 * repeatedly, up to the city. Warnings that order an evacuation get one
 * transfer task (转移任务) per risk point, counted until closed.
 *
 * Channels: in_app (inbox + Server-Sent Events), webhook (signed JSON POST
 * to a member unit's URL, e.g. an SMS gateway; retried with backoff), log
 * (drills: recorded, not sent).
 */
#ifndef YJ_DISPATCH_H
#define YJ_DISPATCH_H

#include <jansson.h>

#include "auth/auth.h"
#include "base/base.h"
#include "store/store.h"

typedef struct disp_config {
	const char *webhook_secret; /* HMAC-SHA256 key for webhook signatures; NULL = none configured */
	int ack_limit_min[4];       /* minutes to acknowledge by level: blue, yellow, orange, red */
	bool drill;                 /* log channel instead of webhooks (演练) */
} disp_config;

/* Start the scheduler (webhook deliveries, escalations, periodic jobs). */
int disp_start(const disp_config *cfg, yj_err *e);
void disp_stop(void);
void disp_api_register(void);
void disp_init(void);

/* Level name -> index 0..3 (blue..red), -1 when unknown. */
int disp_level_index(const char *level);

/*
 * Inside the caller's transaction, when warning_id's version becomes
 * current: resolve the recipients of its areas and polygons (grid workers
 * and responsible officers of the area subtrees, grid workers bound to risk
 * points inside the polygons, member units), create their records (new
 * ones queued; for an update, everyone back to "told the new version"), and
 * for evacuations the transfer tasks. Returns the number of recipients,
 * -1 with *e on failure.
 */
long disp_warning_version(store *s, int64_t warning_id, int version, bool evacuation, yj_err *e);
/* Inside the caller's transaction: the warning was cancelled (recipients are told). */
int disp_warning_cancelled(store *s, int64_t warning_id, int version, yj_err *e);
/* After commit: wake inbox streams and the webhook sender for warning_id. */
void disp_announce(int64_t warning_id);

/* Add a job the scheduler runs about twice a second in one transaction with the
 * others (expiry of warnings, overdue hazards). */
typedef int (*disp_job_fn)(store *s, int64_t now_ms, yj_err *e);
void disp_set_job(disp_job_fn fn);

#endif
