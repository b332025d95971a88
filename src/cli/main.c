// SPDX-License-Identifier: GPL-2.0
/*
 * kmrv - kernel memory runtime verification.
 *
 * main() only dispatches: a table of subcommands, as trace-cmd does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char	*name;
	int		(*run)(int argc, char **argv);
	const char	*summary;
};

static const struct command commands[] = {
	{ "check",  cmd_check,  "check trace files against specifications" },
	{ "diff",   cmd_diff,   "compare two results: did violations increase?" },
	{ "merge",  cmd_merge,  "merge check results (JSON) of shards into one" },
	{ "record", cmd_record, "record a command's kernel allocations into a trace.dat" },
	{ "specs",  cmd_specs,  "list specifications, or draw one (--dot)" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: kmrv COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'kmrv COMMAND -h' shows a command's options; man kmrv(1).\n");
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kmrv: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return KMRV_EXIT_ERROR;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return KMRV_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("kmrv %s\n", KMRV_VERSION);
		return KMRV_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);

	cli_error("'%s' is not a kmrv command (kmrv -h lists them)", argv[1]);
	return KMRV_EXIT_ERROR;
}
