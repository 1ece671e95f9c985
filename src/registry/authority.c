/*
 * authority.c — the issuing authorities: for each city and county, the
 * bureau that decides and issues in its name, with what its documents
 * need (full name, CAP sender, decision-number prefix, the bodies for
 * review and appeal, the account fines are paid to). CAP alerts, penalty
 * decisions and later licences read the row of their jurisdiction here,
 * so no document names a city that is not its issuer's.
 */
#include <stdio.h>
#include <string.h>

#include "geo/geo.h"
#include "registry/registry_int.h"

int reg_authority_for(store *s, const char *area_code, reg_authority *out, yj_err *e)
{
	char code[16];
	snprintf(code, sizeof code, "%s", area_code ? area_code : "");
	/* up the tree: village, town, county, city (at most four steps) */
	for (int depth = 0; code[0] && depth < 6; depth++) {
		int rc = reg_db_authority_get(s, code, out, e);
		if (rc != 0)
			return rc;
		char parent[16];
		geo_area_parent(code, parent);
		snprintf(code, sizeof code, "%s", parent);
	}
	return 0;
}

typedef struct load_ctx {
	store *s;
	long loaded;
} load_ctx;

int reg_authorities_load(store *s, yj_err *e)
{
	size_t len;
	const char *text = geo_data_file("authorities.csv", &len);
	if (!text)
		return yj_fail(e, YJ_EINTERNAL, "", "the built-in authorities are missing");
	yj_csv t;
	if (yj_csv_parse(text, len, &t, e))
		return -1;
	int rc = 0;
	for (size_t r = 1; r < t.rows && rc == 0; r++) {
		if (yj_csv_row_blank(&t, r))
			continue;
		reg_authority a;
		memset(&a, 0, sizeof a);
		const char *cells[10];
		for (int c = 0; c < 10; c++)
			cells[c] = yj_csv_cell(&t, r, (size_t)c);
		if (!geo_area_find(cells[0]))
			continue; /* a city whose areas are not loaded: not its row */
		snprintf(a.area_code, sizeof a.area_code, "%s", cells[0]);
		snprintf(a.name, sizeof a.name, "%s", cells[1]);
		snprintf(a.short_name, sizeof a.short_name, "%s", cells[2]);
		snprintf(a.cap_sender, sizeof a.cap_sender, "%s", cells[3]);
		snprintf(a.decision_prefix, sizeof a.decision_prefix, "%s", cells[4]);
		snprintf(a.reconsideration, sizeof a.reconsideration, "%s", cells[5]);
		snprintf(a.court, sizeof a.court, "%s", cells[6]);
		snprintf(a.payment_account_name, sizeof a.payment_account_name, "%s", cells[7]);
		snprintf(a.payment_account, sizeof a.payment_account, "%s", cells[8]);
		snprintf(a.payment_bank, sizeof a.payment_bank, "%s", cells[9]);
		int added = reg_db_authority_add(s, &a, e);
		if (added < 0)
			rc = -1;
		else if (added > 0)
			rc = audit_record(s, NULL, "authority.load", "authority", a.area_code, e);
	}
	yj_csv_free(&t);
	return rc;
}

static json_t *authority_project(store *s, const char *code)
{
	reg_authority a;
	if (reg_db_authority_get(s, code, &a, NULL) <= 0)
		return NULL;
	return reg_authority_json(&a);
}

json_t *reg_authority_json(const reg_authority *a)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "area_code", a->area_code, "name", a->name,
	                 "short_name", a->short_name, "cap_sender", a->cap_sender, "decision_prefix", a->decision_prefix,
	                 "reconsideration", a->reconsideration, "court", a->court, "payment_account_name",
	                 a->payment_account_name, "payment_account", a->payment_account, "payment_bank", a->payment_bank);
}

void reg_authority_init(void)
{
	audit_register_type("authority", 1, authority_project);
}
