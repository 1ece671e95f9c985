/*
 * main.c — the command-line entry: `yingji CMD [options]`. Each command
 * lives in src/cmd/ with its own --help.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

#define YINGJI_VERSION "0.1.0"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"serve", cmd_serve, "run the HTTP server"},
	{"init", cmd_init, "create an empty database: schema, area tree, admin user"},
	{"demo", cmd_demo, "create a database with the Shanwei demo data and demo users"},
	{"audit", cmd_audit, "audit verify: check the hash-chained audit log"},
};

static void usage(FILE *f)
{
	fprintf(f, "yingji %s — information system of an Emergency Management Bureau (应急管理局)\n\n"
	           "usage: yingji COMMAND [options]   (yingji COMMAND --help for its options)\n\n"
	           "commands:\n",
	        YINGJI_VERSION);
	for (size_t i = 0; i < YJ_ARRAY_LEN(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("yingji %s\n", YINGJI_VERSION);
		return 0;
	}
	for (size_t i = 0; i < YJ_ARRAY_LEN(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "yingji: unknown command '%s' (try yingji --help)\n", argv[1]);
	return 2;
}
