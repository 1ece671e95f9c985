/*
 * enf_int.h — shared between the files of src/enforce/ only.
 */
#ifndef YJ_ENF_INT_H
#define YJ_ENF_INT_H

#include "enforce/enforce.h"

extern enf_config enf_cfg;

/* helpers (enf_util in inspect.c) */
int enf_only_keys(json_t *body, const char *const *keys, yj_err *e);
json_t *enf_time(sqlite3_stmt *st, int col);
/* audit with a small JSON state (borrowed) */
int enf_audit(store *s, const auth_user *u, const char *action, const char *type, int64_t id, json_t *state, yj_err *e);
/* the enterprise's area, "" when there is none */
void enf_enterprise_area(store *s, int64_t id, char out[16]);
/* a town-level user may act only on matters delegated to towns */
int enf_check_matter(store *s, const auth_user *u, const char *matter, yj_err *e);

/* draw.c */
int enf_plan_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e);
json_t *enf_plan_json(store *s, int64_t id);
int enf_draw_create(store *s, const auth_user *u, int64_t plan_id, int64_t *draw_out, yj_err *e);
json_t *enf_draw_json(store *s, int64_t id, bool with_pools);
json_t *enf_draw_verify(store *s, int64_t id, yj_err *e);

/* inspect.c */
int enf_inspection_insert(store *s, const auth_user *u, const char *kind, int64_t draw_id, int64_t enterprise,
                          const char *reason, const char *matter, json_t *members, int64_t *id_out, yj_err *e);
json_t *enf_inspection_json(store *s, int64_t id);
int enf_inspection_record(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e);
int enf_inspection_confirm(store *s, const auth_user *u, int64_t id, yj_err *e);
int enf_hazard_create(store *s, const auth_user *u, int64_t inspection, json_t *body, int64_t *id_out, yj_err *e);
json_t *enf_hazard_json(store *s, int64_t id);
int enf_hazard_rectify(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e);
int enf_hazard_verify(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e);
int enf_overdue_job(store *s, int64_t now, yj_err *e);
/* evidence: store bytes content-addressed; sha_out gets the digest */
int enf_evidence_add(store *s, const auth_user *u, const char *owner_type, int64_t owner_id, const char *name,
                     const char *data, size_t len, char sha_out[65], yj_err *e);
/* the bytes and type of an attachment; malloc'ed */
int enf_attachment_read(store *s, const char *sha, char **data, size_t *len, char mime[64], yj_err *e);
const char *enf_sniff_mime(const char *data, size_t len);
int enf_duty_check_create(store *s, const auth_user *u, json_t *body, json_t **out, yj_err *e);

/* case.c */
int enf_case_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e);
json_t *enf_case_json(store *s, int64_t id, bool with_timeline);
int enf_case_action(store *s, const auth_user *u, int64_t id, const char *action, json_t *body, yj_err *e);
int enf_case_pdf(store *s, int64_t id, char **pdf, size_t *len, yj_err *e);
int enf_coercive_create(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e);
int enf_review_create(store *s, const auth_user *u, int64_t case_id, json_t *body, int64_t *id_out, yj_err *e);

/* public.c */
void enf_public_register(void);

#endif
