/*
 * enf_api_int.h — shared by enforcement's handlers (*_api.c) only: the
 * patterns every write and list of theirs follows, and each file's routes.
 */
#ifndef YJ_ENF_API_INT_H
#define YJ_ENF_API_INT_H

#include "enforce/enf_int.h"
#include "http/http.h"

#define ENF_INSPECTORS (ROLE_BIT(ROLE_INSPECTOR) | ROLE_BIT(ROLE_COMMANDER))
#define ENF_CASE_ROLES (ROLE_BIT(ROLE_INSPECTOR) | ROLE_BIT(ROLE_COMMANDER) | ROLE_BIT(ROLE_LEGAL_REVIEWER))
#define ENF_EVIDENCE_LIMIT (64u << 20)

/* A service call in a transaction of its own (store_tx): committed when fn answers 0. */
typedef int (*enf_job_fn)(store *s, const auth_user *u, void *ctx, yj_err *e);
int enf_api_tx(http_req *req, enf_job_fn fn, void *ctx, yj_err *e);

/* POST of a new object: the JSON body to fn in one transaction, then 201 with show(the new id). */
typedef int (*enf_create_fn)(store *s, const auth_user *u, json_t *body, int64_t *id_out, yj_err *e);
typedef json_t *(*enf_show_fn)(store *s, int64_t id);
int enf_api_create(http_req *req, http_res *res, enf_create_fn fn, enf_show_fn show, yj_err *e);

/* A change of object id: the JSON body to fn in one transaction, then 200 with show(id). */
typedef int (*enf_change_fn)(store *s, const auth_user *u, int64_t id, json_t *body, yj_err *e);
int enf_api_change(http_req *req, http_res *res, int64_t id, enf_change_fn fn, enf_show_fn show, yj_err *e);

/* A page of a list: ?limit= (default 100, at most 1000) and ?cursor=; ids with room for one more. */
int enf_api_paging(http_req *req, http_page *pg, enf_ids *ids, yj_err *e);
/* {"items": [row(id)...], "next_cursor"}: 200 */
void enf_api_page(http_res *res, const http_page *pg, const enf_ids *ids, enf_show_fn row);
/* GET of a list in the request's scope (?area=, ?limit=, ?cursor=): ids from list, rows by row */
typedef int (*enf_list_fn)(store *s, const auth_scope *sc, int64_t cursor, long limit, enf_ids *out, yj_err *e);
int enf_api_list(http_req *req, http_res *res, enf_list_fn list, enf_show_fn row, yj_err *e);
/* GET of the path's {id} if it lies in the caller's own area (show answers NULL otherwise): 200, or
 * 404 "没有<what> <id>" */
typedef json_t *(*enf_show_in_fn)(store *s, int64_t id, const auth_scope *visible_in);
int enf_api_show(http_req *req, http_res *res, enf_show_in_fn show, const char *what, yj_err *e);

/* The request's body as evidence of owner id (the file name in X-Filename): 201 {sha256, url}. */
int enf_api_evidence(http_req *req, http_res *res, const char *owner, int64_t id, yj_err *e);

/* the routes of each handler file */
void enf_draw_routes(void);
void enf_inspect_routes(void);
void enf_hazard_routes(void);
void enf_case_routes(void);
void enf_public_routes(void);

#endif
