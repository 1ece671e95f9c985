/*
 * demo.c — `yingji demo`: a database with the demo city (Shanwei's real
 * area tree and boundaries) and demo users, all sharing one password:
 * one city-level user per staff role, named after the role, and a
 * duty_officer_<county> and commander_<county> for every county.
 *
 * argon2id is slow on purpose, so the shared password is hashed once and
 * the hash stored for every demo user. Everything made here is generated
 * demo data; the audit log says so ("demo.*" actions by user "system").
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/auth.h"
#include "cmd/cmd.h"
#include "geo/geo.h"
#include "registry/registry.h"
#include "enforce/enforce.h"
#include "store/store.h"

static void help(void)
{
	printf("usage: yingji demo --db PATH [--password PW] [--password-file FILE]\n\n"
	       "Creates PATH with the schema, the Shanwei area tree and the demo users:\n"
	       "  admin commander duty_officer inspector legal_reviewer licensing_clerk\n"
	       "  warehouse_keeper (city level), duty_officer_<county code> and\n"
	       "  commander_<county code> for each county.\n"
	       "All share PW, or a random password that is printed (and written to FILE).\n");
}

static const char *const city_roles[] = {"admin",          "commander",       "duty_officer",
                                         "inspector",      "legal_reviewer",  "licensing_clerk",
                                         "warehouse_keeper"};

static const char *const role_titles[] = {"系统管理员", "指挥长",   "值班员",  "执法人员",
                                          "法制审核员", "许可窗口", "仓库管理员"};

/* the city's code, into ctx (char[16]) */
static bool first_city(const geo_area *a, void *ctx)
{
	snprintf(ctx, 16, "%s", a->code);
	return false;
}

typedef struct county_list {
	char code[16][16], name[16][96];
	int n;
} county_list;

static bool add_county(const geo_area *a, void *ctx)
{
	county_list *l = ctx;
	snprintf(l->code[l->n], sizeof l->code[l->n], "%s", a->code);
	snprintf(l->name[l->n], sizeof l->name[l->n], "%s", a->name);
	return ++l->n < 16;
}


int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"password", required_argument, NULL, 'p'},
		{"password-file", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *db = NULL, *password = NULL, *pw_file = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'p': password = optarg; break;
		case 'f': pw_file = optarg; break;
		case 'h': help(); return 0;
		default: return cmd_usage_error("demo", "unknown or incomplete option '%s'",
		                                cmd_bad_option(argv, optind));
		}
	}
	if (optind < argc)
		return cmd_usage_error("demo", "unexpected argument '%s'", argv[optind]);
	if (!db)
		return cmd_usage_error("demo", "--db PATH is required");
	if (cmd_startup())
		return 1;
	yj_err e = {0};
	char random_pw[24];
	if (!password) {
		unsigned char raw[9];
		randombytes_buf(raw, sizeof raw);
		sodium_bin2base64(random_pw, sizeof random_pw, raw, sizeof raw,
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		password = random_pw;
	}
	if (auth_password_check(password, "password", &e))
		return cmd_usage_error("demo", "--password: %s", e.message);

	double t0 = yj_mono_ms();
	int rc = cmd_create_database("demo", db);
	if (rc)
		return rc;
	store *s = store_thread();
	char hash[128];
	if (auth_password_hash(password, hash, &e))
		return cmd_fail("demo", &e);

	char city[16] = "";
	geo_areas_each(NULL, GEO_LEVEL_CITY, first_city, city);
	county_list counties = {0};
	geo_areas_each(NULL, GEO_LEVEL_COUNTY, add_county, &counties);

	if (store_begin(s, &e))
		return cmd_fail("demo", &e);
	int users = 0;
	for (size_t i = 0; i < YJ_ARRAY_LEN(city_roles); i++) {
		auth_user_input in = {.username = city_roles[i], .display_name = role_titles[i],
		                      .role = city_roles[i], .area_code = city, .password_hash = hash};
		if (auth_user_create(s, NULL, &in, NULL, &e))
			goto fail;
		users++;
		yj_progress("demo: users", users, 15);
	}
	for (int i = 0; i < counties.n; i++) {
		static const char *const county_roles[] = {"duty_officer", "commander"};
		static const char *const county_titles[] = {"值班员", "指挥长"};
		for (int r = 0; r < 2; r++) {
			char username[64], title[128];
			snprintf(username, sizeof username, "%s_%s", county_roles[r], counties.code[i]);
			snprintf(title, sizeof title, "%s%s", counties.name[i], county_titles[r]);
			auth_user_input in = {.username = username, .display_name = title,
			                      .role = county_roles[r], .area_code = counties.code[i],
			                      .password_hash = hash};
			if (auth_user_create(s, NULL, &in, NULL, &e))
				goto fail;
			users++;
			yj_progress("demo: users", users, 7 + 2 * counties.n);
		}
	}
	/* the registry of the command map, inside the real boundaries */
	if (reg_start(s, &e) || reg_demo_generate(s, hash, 2022, &e) || enf_demo_generate(s, hash, 2022, &e))
		goto fail;
	if (store_commit(s, &e))
		goto fail;
	yj_progress_done();
	reg_stop();
	store_close_all();

	if (pw_file) {
		FILE *f = fopen(pw_file, "w");
		if (!f) {
			fprintf(stderr, "yingji demo: cannot write %s\n", pw_file);
			return 1;
		}
		chmod(pw_file, 0600);
		fprintf(f, "%s\n", password);
		fclose(f);
	}
	printf("yingji demo: created %s in %.1f s — %d staff users (admin, commander, duty_officer, "
	       "inspector, legal_reviewer, licensing_clerk, warehouse_keeper, "
	       "duty_officer_<county>, commander_<county>), 4700 grid workers (gw<village code>_<n>), "
	       "certified inspectors (inspector_<county>_1..5, inspector_<town>_1..2), experts (expert_1, expert_2), "
	       "an enterprise account (enterprise_demo), and the generated demo registry\n",
	       db, (yj_mono_ms() - t0) / 1000.0, users);
	if (password == random_pw)
		printf("demo password: %s\n", password);
	return 0;
fail:
	reg_stop();
	yj_progress_done();
	store_rollback(s);
	return cmd_fail("demo", &e);
}
