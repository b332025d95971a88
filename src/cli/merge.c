// SPDX-License-Identifier: GPL-2.0
/*
 * kmrv merge - several check results (JSON) into one, as if one
 * `kmrv check` had read all their traces: the unit of work is a trace
 * file, so shards of an archive are checked where they are (CI matrix
 * jobs, machines) and merged here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/report.h"
#include "cli.h"

#define ERR_LEN	1024

static const char * const usage[] = {
	"usage: kmrv merge [-f text|json] RESULT.json...",
	"",
	"Merge results of `kmrv check -f json` (\"-\" reads standard input):",
	"traces concatenated in the order given, totals recomputed, so that the",
	"totals equal those of one kmrv check over all the traces. Entries of",
	"traces that could not be checked are kept (and counted as failed).",
	"",
	"  -f, --format FMT   json (default) or text",
	"      --top N        rows per table in text output (default 20, 0 = all)",
	"  -h, --help         this text",
	"",
	"Exit status: 0 merged, 2 usage error, an unreadable input, another",
	"schema_version, or traces checked with different specs.",
	NULL,
};

static void print_usage(FILE *out)
{
	for (int i = 0; usage[i]; i++)
		fprintf(out, "%s\n", usage[i]);
}

static int parse_args(int argc, char **argv, int *text, size_t *top)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "top",    required_argument, NULL, 't' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				cli_error("merge: --format: '%s' is not text or json", optarg);
				return -1;
			}
			*text = !strcmp(optarg, "text");
			break;
		case 't':
			errno = 0;
			*top = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || *optarg == '-') {
				cli_error("merge: --top: '%s' is not a number", optarg);
				return -1;
			}
			break;
		case 'h':
			print_usage(stdout);
			exit(KMRV_EXIT_OK);
		default:
			return -1;
		}
	}
	if (optind >= argc) {
		cli_error("merge: no result given (kmrv merge -h for usage)");
		return -1;
	}
	return 0;
}

static int read_all(char **paths, int nr, struct kmrv_result_set *all)
{
	struct kmrv_result_set one;
	char err[ERR_LEN];

	all->verbose = true;
	for (int i = 0; i < nr; i++) {
		if (kmrv_results_read(paths[i], &one, err, sizeof(err))) {
			cli_error("%s", err);
			return -1;
		}
		if (kmrv_results_append(all, &one)) {
			kmrv_result_set_release(&one);
			cli_error("merge: out of memory");
			return -1;
		}
	}
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	struct kmrv_result_set all = { 0 };
	struct kmrv_report_opts ropts = { .top = 20 };
	struct kmrv_totals totals = { 0 };
	char err[ERR_LEN];
	int text = 0, ret = KMRV_EXIT_ERROR;

	if (parse_args(argc, argv, &text, &ropts.top) ||
	    read_all(argv + optind, argc - optind, &all))
		goto out;
	if (kmrv_totals_compute(all.traces, all.nr, &totals, err, sizeof(err))) {
		cli_error("merge: %s", err);
		goto out;
	}
	/* violation lists survive only if every input has them (check -v) */
	ropts.verbose = all.verbose;
	ropts.totals = &totals;
	if (text ? kmrv_report_text(stdout, all.traces, all.nr, &ropts)
		 : kmrv_report_json(stdout, all.traces, all.nr, &ropts)) {
		cli_error("merge: writing the result: %s", strerror(errno));
		goto out;
	}
	ret = KMRV_EXIT_OK;
out:
	kmrv_totals_release(&totals);
	kmrv_result_set_release(&all);
	return ret;
}
