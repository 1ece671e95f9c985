/*
 * audit.c — `yingji audit verify --db PATH`: walk the hash-chained audit
 * log and the current state of audited objects; print OK with the head
 * digest (to anchor elsewhere), or the first broken record and exit 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "cmd/cmd.h"
#include "store/store.h"

static void help(void)
{
	printf("usage: yingji audit verify --db PATH\n\n"
	       "Checks every audit record's digest and link, and that audited objects were not\n"
	       "changed outside yingji. Exit 0 when whole, 1 when broken (the first broken record\n"
	       "is named), 2 on usage errors.\n");
}

int cmd_audit(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		help();
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "verify") != 0)
		return cmd_usage_error("audit", "unknown subcommand '%s'", argv[1]);
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *db = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': help(); return 0;
		default: return cmd_usage_error("audit", "unknown or incomplete option '%s'",
		                                cmd_bad_option(argv + 1, optind));
		}
	}
	if (!db)
		return cmd_usage_error("audit", "--db PATH is required");
	if (cmd_startup())
		return 1;
	FILE *probe = fopen(db, "rb");
	if (!probe) {
		fprintf(stderr, "yingji audit: no database at %s\n", db);
		return 1;
	}
	fclose(probe);
	yj_err e = {0};
	if (store_open(db, &e))
		return cmd_fail("audit", &e);
	audit_report r;
	int rc = audit_verify(store_thread(), &r, &e);
	store_close_all();
	if (rc < 0)
		return cmd_fail("audit", &e);
	if (rc == 1) {
		printf("audit: BROKEN at record %lld: %s\n", (long long)r.first_broken_id, r.reason);
		return 1;
	}
	/* objects: whose current state was compared with their last record; the others' last record
	 * predates projections, so only their place in the chain is checked */
	printf("audit: OK, %lld records, %lld objects, %lld not comparable, head %s\n", (long long)r.records,
	       (long long)r.objects, (long long)r.not_comparable, r.head_digest);
	return 0;
}
