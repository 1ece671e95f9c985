/*
 * init.c — `yingji init`: a new, empty database for real use: the schema,
 * the built-in area tree, and one admin user at city level whose password
 * comes from a file, the terminal (asked twice, not echoed) or stdin.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth/auth.h"
#include "cmd/cmd.h"
#include "geo/geo.h"
#include "store/store.h"

static void help(void)
{
	printf("usage: yingji init --db PATH [--admin-password-file FILE] [--admin-user NAME]\n\n"
	       "Creates the schema, loads the area tree and makes one admin user (default 'admin')\n"
	       "at city level. The password is read from FILE (first line), else asked on the\n"
	       "terminal, else read from standard input.\n");
}

static int read_line(FILE *f, char *buf, size_t cap)
{
	if (!fgets(buf, (int)cap, f))
		return -1;
	buf[strcspn(buf, "\r\n")] = 0;
	return 0;
}

static int ask(const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	fprintf(stderr, "%s", prompt);
	tcgetattr(STDIN_FILENO, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	int rc = read_line(stdin, buf, cap);
	tcsetattr(STDIN_FILENO, TCSANOW, &old);
	fprintf(stderr, "\n");
	return rc;
}

/* the first area visited, into ctx (char[16]) */
static bool first_area(const geo_area *a, void *ctx)
{
	snprintf(ctx, 16, "%s", a->code);
	return false;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"admin-password-file", required_argument, NULL, 'p'},
		{"admin-user", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *db = NULL, *pw_file = NULL, *admin = "admin";
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'p': pw_file = optarg; break;
		case 'u': admin = optarg; break;
		case 'h': help(); return 0;
		default: return cmd_usage_error("init", "unknown or incomplete option '%s'",
		                                cmd_bad_option(argv, optind));
		}
	}
	if (optind < argc)
		return cmd_usage_error("init", "unexpected argument '%s'", argv[optind]);
	if (!db)
		return cmd_usage_error("init", "--db PATH is required");
	if (cmd_startup())
		return 1;

	char pw[256] = "", again[256] = "";
	yj_err e = {0};
	if (pw_file) {
		FILE *f = fopen(pw_file, "r");
		if (!f || read_line(f, pw, sizeof pw)) {
			if (f)
				fclose(f);
			fprintf(stderr, "yingji init: cannot read a password from %s\n", pw_file);
			return 1;
		}
		fclose(f);
	} else if (isatty(STDIN_FILENO)) {
		if (ask("admin password: ", pw, sizeof pw) || ask("again: ", again, sizeof again))
			return 1;
		if (strcmp(pw, again) != 0) {
			fprintf(stderr, "yingji init: the passwords differ\n");
			return 1;
		}
	} else if (read_line(stdin, pw, sizeof pw)) {
		fprintf(stderr, "yingji init: no password on standard input\n");
		return 1;
	}
	if (auth_password_check(pw, "admin password", &e))
		return cmd_fail("init", &e);

	int rc = cmd_create_database("init", db);
	if (rc)
		return rc;
	store *s = store_thread();
	char city[16] = "";
	geo_areas_each(NULL, GEO_LEVEL_CITY, first_area, city);
	auth_user_input in = {.username = admin, .display_name = "系统管理员", .role = "admin",
	                      .area_code = city, .password = pw};
	if (store_begin(s, &e))
		return cmd_fail("init", &e);
	if (auth_user_create(s, NULL, &in, NULL, &e) || store_commit(s, &e)) {
		store_rollback(s);
		return cmd_fail("init", &e);
	}
	sodium_memzero(pw, sizeof pw);
	store_close_all();
	printf("yingji init: created %s with the area tree and admin user '%s'\n", db, admin);
	return 0;
}
