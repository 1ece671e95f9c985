/*
 * dispatch.c — the module's life: its configuration (ack limits, drill,
 * webhook secret), what it registers once in every process (subscribers
 * to the warning topics, the renderer of a warning's recipients, audit
 * projections) and what serve starts (the scheduler's jobs).
 *
 * The files of the module, one concern each:
 *   fanout.c      recipients of a warning's version (the in-transaction subscriber)
 *   recipients.c  the other warning topics, inbox announcements, reading and acknowledging
 *   escalation.c  the escalation wave (a scheduler job)
 *   webhooks.c    signed deliveries to member units, retried (a scheduler job, outside transactions)
 *   transfer.c    transfer tasks of evacuations, reports, chases
 *   *_db.c        the module's SQL (rcpt_db.c, esc_db.c, task_db.c)
 *   *_api.c       the HTTP handlers (disp_api.c: the routes)
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/disp_int.h"
#include "sched/sched.h"

static const int default_limits[4] = {60, 30, 20, 10};
static disp_config config = {.ack_limit_min = {60, 30, 20, 10}};
static char *webhook_secret;
static bool started;

const disp_config *disp_cfg(void)
{
	return &config;
}

int disp_level_index(const char *level)
{
	static const char *const levels[] = {"blue", "yellow", "orange", "red"};
	for (int i = 0; level && i < 4; i++)
		if (strcmp(levels[i], level) == 0)
			return i;
	return -1;
}

int64_t disp_ack_limit_ms(const char *level)
{
	int i = disp_level_index(level);
	return (int64_t)config.ack_limit_min[i < 0 ? 0 : i] * 60000;
}

void disp_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	disp_recipients_init();
	/* what the audit chain vouches for of dispatch's objects (see the projections) */
	audit_register_type("recipient", 1, disp_project_recipient);
	audit_register_type("transfer_task", 1, disp_project_task);
	audit_register_type("dispatch", 1, disp_project_dispatch);
}

int disp_start(const disp_config *cfg, yj_err *e)
{
	disp_init();
	if (cfg)
		config = *cfg;
	for (int i = 0; i < 4; i++)
		if (config.ack_limit_min[i] <= 0)
			config.ack_limit_min[i] = default_limits[i];
	free(webhook_secret);
	webhook_secret = cfg && cfg->webhook_secret ? yj_strdup(cfg->webhook_secret) : NULL;
	config.webhook_secret = webhook_secret;
	disp_webhooks_start();
	if (!started) {
		/* a wave of escalations goes on in new transactions while full batches were taken; webhook
		 * calls talk to the network, so they hold no transaction while they wait */
		sched_every("escalations", 0, disp_escalate_due, NULL, 0);
		sched_every("webhooks", 0, disp_webhooks_due, NULL, SCHED_NO_TX);
		started = true;
	}
	return 0;
}

void disp_stop(void)
{
	disp_webhooks_stop();
	if (webhook_secret) {
		sodium_memzero(webhook_secret, strlen(webhook_secret));
		free(webhook_secret);
		webhook_secret = NULL;
		config.webhook_secret = NULL;
	}
}
