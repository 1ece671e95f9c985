/*
 * escalation.c — the escalation wave, a job of the scheduler: a recipient
 * who has not acknowledged within the level's limit (red 10 minutes, ...)
 * goes one area level up, to the duty officers (or commanders) on duty
 * there, and again after another limit, up to the city. Step k goes k
 * levels up from the recipient's area, skipping levels with no one on duty.
 *
 * One run escalates at most DISP_ESCALATE_BATCH recipients in the
 * scheduler's transaction and answers 1 when it took a full batch: the
 * scheduler runs it again at once in a new transaction, so that a
 * city-wide deadline (100,000 recipients) goes out in batches between
 * which acknowledgements get the write lock.
 *
 * A batch reads each warning once and the supervisors of each area once
 * (the due recipients are taken in area order, so villages of one town
 * follow each other); areas come from the in-memory area directory.
 * Records of a warning that is no longer issued leave the deadline index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "dispatch/disp_int.h"
#include "geo/geo.h"

/* what a batch knows of a warning */
typedef struct seen_warning {
	int64_t id;
	bool issued;
	char level[8];
} seen_warning;

/* the supervisors for recipients whose escalation starts from one area */
typedef struct supervisors {
	char from[16];   /* the area the step starts from */
	char to[16];     /* the first area above it with someone on duty ("" none) */
	bool at_top;     /* to is the top of the tree: no step after this one */
	json_t *ids;     /* duty officers first, then commanders, each by id */
	int64_t *sorted; /* the same ids ascending (an inbox event's users) */
	size_t n;
} supervisors;

typedef struct batch {
	seen_warning *w;
	size_t nw, capw;
	supervisors sup; /* the last area looked up */
	bool have_sup;
} batch;

static void sup_clear(supervisors *sp)
{
	json_decref(sp->ids);
	free(sp->sorted);
	memset(sp, 0, sizeof *sp);
}

static const seen_warning *warning_of(store *s, batch *b, int64_t id, yj_err *e)
{
	for (size_t i = 0; i < b->nw; i++)
		if (b->w[i].id == id)
			return &b->w[i];
	warn_info w;
	int rc = warn_get(s, id, &w, e);
	if (rc < 0)
		return NULL;
	b->w = yj_grow(b->w, &b->capw, b->nw + 1, sizeof *b->w);
	seen_warning *sw = &b->w[b->nw++];
	sw->id = id;
	sw->issued = rc > 0 && strcmp(w.state, "issued") == 0;
	snprintf(sw->level, sizeof sw->level, "%s", rc > 0 ? w.level : "");
	if (rc > 0)
		warn_info_clear(&w);
	/* cancelled or expired (or gone): its records leave the deadline index, nobody escalates */
	if (!sw->issued && disp_db_stop_escalating(s, id, e))
		return NULL;
	return sw;
}

typedef struct found {
	int64_t *duty, *cmd;
	size_t nduty, ncmd, capduty, capcmd;
} found;

static int take_supervisor(store *s, const auth_user_row *u, void *ctx, yj_err *e)
{
	found *f = ctx;
	if (u->role == ROLE_DUTY_OFFICER) {
		f->duty = yj_grow(f->duty, &f->capduty, f->nduty + 1, sizeof *f->duty);
		f->duty[f->nduty++] = u->id;
	} else {
		f->cmd = yj_grow(f->cmd, &f->capcmd, f->ncmd + 1, sizeof *f->cmd);
		f->cmd[f->ncmd++] = u->id;
	}
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* the supervisors above from: the first area up the tree with a duty officer or commander */
static const supervisors *supervisors_of(store *s, batch *b, const char *from, yj_err *e)
{
	if (b->have_sup && strcmp(b->sup.from, from) == 0)
		return &b->sup;
	sup_clear(&b->sup);
	b->have_sup = false;
	supervisors *sp = &b->sup;
	snprintf(sp->from, sizeof sp->from, "%s", from);
	sp->ids = json_array();
	char cur[16];
	snprintf(cur, sizeof cur, "%s", from);
	for (int guard = 0; guard < 8; guard++) {
		geo_area_parent(cur, sp->to);
		if (!sp->to[0])
			break;
		found f = {0};
		auth_user_query q = {.roles = ROLE_BIT(ROLE_DUTY_OFFICER) | ROLE_BIT(ROLE_COMMANDER), .exact_area = sp->to};
		int rc = auth_users_each(s, &q, take_supervisor, &f, e);
		size_t total = f.nduty + f.ncmd;
		if (rc == 0 && total > 0) {
			sp->n = f.nduty + f.ncmd;
			sp->sorted = yj_malloc(sp->n * sizeof *sp->sorted);
			for (size_t i = 0; i < f.nduty; i++)
				json_array_append_new(sp->ids, json_integer(sp->sorted[i] = f.duty[i]));
			for (size_t i = 0; i < f.ncmd; i++)
				json_array_append_new(sp->ids, json_integer(sp->sorted[f.nduty + i] = f.cmd[i]));
			qsort(sp->sorted, sp->n, sizeof *sp->sorted, cmp_id);
			char above[16];
			geo_area_parent(sp->to, above);
			sp->at_top = !above[0];
		}
		free(f.duty);
		free(f.cmd);
		if (rc)
			return NULL;
		if (total > 0)
			break;
		snprintf(cur, sizeof cur, "%s", sp->to);
		sp->to[0] = 0;
	}
	b->have_sup = true;
	return sp;
}

/* the supervisors' inboxes and the loop stream hear of it after the commit */
static int tell(store *s, const disp_due *d, int step, const supervisors *sp, yj_err *e)
{
	char stream[48], data[192];
	snprintf(stream, sizeof stream, "loop:%lld", (long long)d->warning_id);
	bool inbox = bus_wanted(DISP_EV_ESCALATED, "inbox"), loop = bus_wanted(DISP_EV_ESCALATED, stream);
	if (!inbox && !loop)
		return 0;
	snprintf(data, sizeof data, "{\"warning_id\":%lld,\"recipient_id\":%lld,\"step\":%d,\"to_area\":\"%s\"}",
	         (long long)d->warning_id, (long long)d->id, step, sp->to);
	bus_event ev = {.topic = DISP_EV_ESCALATED, .id = d->warning_id, .name = "escalation", .data = data};
	if (inbox) {
		ev.stream = "inbox";
		ev.users = sp->sorted;
		ev.nusers = sp->n;
		if (bus_emit(s, &ev, e))
			return -1;
	}
	if (loop) {
		ev.stream = stream;
		ev.users = NULL;
		ev.nusers = 0;
		ev.area_code = d->area_code;
		if (bus_emit(s, &ev, e))
			return -1;
	}
	return 0;
}

static int escalate_one(store *s, batch *b, const disp_due *d, int64_t now, yj_err *e)
{
	const seen_warning *w = warning_of(s, b, d->warning_id, e);
	if (!w)
		return -1;
	if (!w->issued)
		return 0;
	int step = d->escalations + 1;
	/* step k starts k - 1 levels above the recipient's area */
	char from[16], up[16];
	snprintf(from, sizeof from, "%s", d->area_code);
	for (int k = 1; k < step; k++) {
		geo_area_parent(from, up);
		if (!up[0])
			break;
		snprintf(from, sizeof from, "%s", up);
	}
	const supervisors *sp = supervisors_of(s, b, from, e);
	if (!sp)
		return -1;
	if (sp->to[0] && (disp_db_esc_add(s, d, step, sp->to, sp->ids, now, e) || tell(s, d, step, sp, e)))
		return -1;
	/* again after another limit, until the city has been told */
	int64_t next = !sp->to[0] || sp->at_top ? 0 : now + disp_ack_limit_ms(w->level);
	return disp_db_escalated(s, d->id, step, next, e);
}

static int cmp_due(const void *a, const void *b)
{
	const disp_due *x = a, *y = b;
	if (x->escalations != y->escalations)
		return x->escalations < y->escalations ? -1 : 1;
	int c = strcmp(x->area_code, y->area_code);
	return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

int disp_escalate_due(store *s, int64_t now, void *ctx, yj_err *e)
{
	/* those who answered in time leave the deadline index here, in bulk; what stays due has not answered */
	if (disp_db_clear_answered(s, now, e) < 0)
		return -1;
	disp_due *due = yj_malloc(DISP_ESCALATE_BATCH * sizeof *due);
	long n = disp_db_due(s, now, due, DISP_ESCALATE_BATCH, e);
	if (n < 0) {
		free(due);
		return -1;
	}
	qsort(due, (size_t)n, sizeof *due, cmp_due);
	batch b = {0};
	int rc = 0;
	for (long i = 0; i < n && rc == 0; i++)
		rc = escalate_one(s, &b, &due[i], now, e);
	sup_clear(&b.sup);
	free(b.w);
	free(due);
	if (rc)
		return -1;
	return n == DISP_ESCALATE_BATCH ? 1 : 0;
}
