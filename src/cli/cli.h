/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli.h - the subcommands. Each lives in its own file, parses its own
 * options and prints its own usage. Exit status means one thing per value:
 * 0 ran, 1 findings the user asked to fail on (check --fail-on, diff
 * --fail-on-increase), 2 usage or input error.
 */
#ifndef KMRV_CLI_H
#define KMRV_CLI_H

#define KMRV_EXIT_OK		0
#define KMRV_EXIT_FINDINGS	1
#define KMRV_EXIT_ERROR		2

int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_specs(int argc, char **argv);

/* Print "kmrv: " + message + newline to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* KMRV_CLI_H */
