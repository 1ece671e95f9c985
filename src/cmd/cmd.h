/*
 * cmd.h — the subcommands of the yingji binary, one file each (git's
 * builtin/ style), and what they share: option errors, opening the store,
 * starting the modules.
 */
#ifndef YJ_CMD_H
#define YJ_CMD_H

#include <stdbool.h>

#include "base/base.h"

/* Each returns the process exit code: 0 ok, 1 failure, 2 usage error. */
int cmd_serve(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/* Print "yingji CMD: message" and return 2 (usage) — one line, no essay. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "yingji CMD: message" and return 1. */
int cmd_fail(const char *cmd, const yj_err *e);
/* getopt_long loop helper: the name of the option at argv[optind-1] for errors. */
const char *cmd_bad_option(char **argv, int optind_now);

/* libsodium, the audit state functions: once, before threads. */
int cmd_startup(void);
/* Create the schema and load the area tree into a new database (init and demo).
 * Refuses a database that already has areas. */
int cmd_create_database(const char *cmd, const char *path);

#endif
