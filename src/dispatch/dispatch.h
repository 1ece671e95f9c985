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
 *
 * Dispatch is told by the warning module through the event bus (topics
 * WARN_EV_* of warning.h): in the issuing transaction it resolves the
 * recipients and transfer tasks; after the commit it tells the inboxes.
 * It owns tables recipient, escalation, transfer_task and transfer_report;
 * nobody else runs SQL on them. Time-driven work (escalation waves, webhook
 * deliveries) runs as jobs of the scheduler (src/sched).
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

/*
 * Register what dispatch does in every process (bus subscribers to the
 * warning topics, the renderer of a warning's recipients, audit
 * projections). Once; later calls do nothing. cmd_startup calls it.
 */
void disp_init(void);
/* Take the configuration and register the scheduler's jobs (escalations, webhooks); before sched_start. */
int disp_start(const disp_config *cfg, yj_err *e);
void disp_stop(void);
void disp_api_register(void);

/* Level name -> index 0..3 (blue..red), -1 when unknown. */
int disp_level_index(const char *level);

/*
 * Events dispatch emits (src/bus), each for the event streams (.stream,
 * .name, one line of JSON in .data):
 *   DISP_EV_INBOX     a warning reached or changed in users' inboxes: stream "inbox", .users,
 *                     name "warning", {"warning_id"}
 *   DISP_EV_LOOP      a recipient or transfer task moved: stream "loop:<warning>", name "loop",
 *                     {"warning_id", "area"?}
 *   DISP_EV_ESCALATED an unanswered recipient went up a level: to the supervisors' inboxes
 *                     (.users) and to the loop stream, name "escalation",
 *                     {"warning_id", "recipient_id", "step", "to_area"}
 *   DISP_EV_CHASE     a commander chased a transfer task: the grid worker's inbox, name "chase",
 *                     {"task_id", "warning_id", "by"}
 */
#define DISP_EV_INBOX "dispatch.inbox"
#define DISP_EV_LOOP "dispatch.loop"
#define DISP_EV_ESCALATED "dispatch.escalated"
#define DISP_EV_CHASE "dispatch.chase"

#endif
