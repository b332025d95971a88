// SPDX-License-Identifier: GPL-2.0
/*
 * kmrv check - check trace files against specifications.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/check.h"
#include "kmrv/report.h"
#include "kmrv/spec.h"
#include "cli.h"

#define ERR_LEN	512

static const char * const usage[] = {
	"usage: kmrv check [OPTIONS] TRACE...",
	"",
	"Check trace.dat files against kmalloc/kfree specifications.",
	"",
	"  -s, --spec SPECS     'all' (default), names, aliases or paths: --spec 1,3",
	"  -f, --format FMT     text (default) or json",
	"  -v, --verbose        list every violation with its pointer, time and sites",
	"  -p, --pid PID[,PID]  report only violations by these pids",
	"  -c, --comm NAME      report only violations by tasks with this comm",
	"      --tree           report only the recorded command's process tree",
	"                       (the default for `kmrv record` traces)",
	"      --all            report every pid (the default for other traces)",
	"      --fail-on KINDS  exit 1 if any of these violation kinds was found",
	"      --top N          rows per table in text output (default 20, 0 = all)",
	"      --reader NAME    trace.dat reader: direct (default) or libtracecmd",
	"  -h, --help           this text",
	"",
	"Filters choose what is reported, never which events the automata see.",
	"--pid and --comm without --tree look at every pid.",
	"Exit status: 0 checked, 1 --fail-on matched, 2 usage or input error.",
	NULL,
};

struct check_args {
	const char	*spec_arg;
	int		json;
	int		verbose;
	size_t		top;
	int		*pids;
	size_t		nr_pids;
	char		**comms;
	size_t		nr_comms;
	char		**fail_on;
	size_t		nr_fail_on;
	enum kmrv_scope	scope;
	const char	*reader;
};

static void print_usage(FILE *out)
{
	for (int i = 0; usage[i]; i++)
		fprintf(out, "%s\n", usage[i]);
}

/* Append each comma-separated word of @arg to a string list. */
static int split_append(const char *arg, char ***list, size_t *nr)
{
	char *copy = strdup(arg), *save = NULL, *word;

	if (!copy)
		return -1;
	for (word = strtok_r(copy, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
		char **p = realloc(*list, (*nr + 1) * sizeof(**list));

		if (!p || !(p[*nr] = strdup(word))) {
			*list = p ? p : *list;
			free(copy);
			return -1;
		}
		*list = p;
		(*nr)++;
	}
	free(copy);
	return 0;
}

static int parse_pids(const char *arg, struct check_args *a)
{
	char **words = NULL;
	size_t nr = 0;
	int ret = 0;

	if (split_append(arg, &words, &nr))
		return -1;
	for (size_t i = 0; i < nr; i++) {
		char *end;
		long pid;
		int *p;

		errno = 0;
		pid = strtol(words[i], &end, 10);
		if (errno || *end || end == words[i] || pid < 0 || pid > 0x7fffffff) {
			cli_error("check: --pid: '%s' is not a pid", words[i]);
			ret = -1;
			continue;
		}
		p = realloc(a->pids, (a->nr_pids + 1) * sizeof(*p));
		if (!p) {
			ret = -1;
			continue;
		}
		a->pids = p;
		a->pids[a->nr_pids++] = (int)pid;
	}
	for (size_t i = 0; i < nr; i++)
		free(words[i]);
	free(words);
	return ret;
}

static void free_list(char **list, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(list[i]);
	free(list);
}

static void free_args(struct check_args *a)
{
	free(a->pids);
	free_list(a->comms, a->nr_comms);
	free_list(a->fail_on, a->nr_fail_on);
}

enum { OPT_FAIL_ON = 256, OPT_TOP, OPT_TREE, OPT_ALL, OPT_READER };

static int set_scope(struct check_args *a, enum kmrv_scope scope)
{
	if (a->scope != KMRV_SCOPE_AUTO && a->scope != scope) {
		cli_error("check: --tree and --all exclude each other");
		return -1;
	}
	a->scope = scope;
	return 0;
}

static int parse_args(int argc, char **argv, struct check_args *a)
{
	static const struct option longopts[] = {
		{ "spec",    required_argument, NULL, 's' },
		{ "format",  required_argument, NULL, 'f' },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "pid",     required_argument, NULL, 'p' },
		{ "comm",    required_argument, NULL, 'c' },
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "top",     required_argument, NULL, OPT_TOP },
		{ "tree",    no_argument,       NULL, OPT_TREE },
		{ "all",     no_argument,       NULL, OPT_ALL },
		{ "reader",  required_argument, NULL, OPT_READER },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	a->spec_arg = "all";
	a->top = 20;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:f:vp:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			a->spec_arg = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				cli_error("check: --format: '%s' is not text or json", optarg);
				return -1;
			}
			a->json = !strcmp(optarg, "json");
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 'p':
			if (parse_pids(optarg, a))
				return -1;
			break;
		case 'c':
			if (split_append(optarg, &a->comms, &a->nr_comms))
				return -1;
			break;
		case OPT_FAIL_ON:
			if (split_append(optarg, &a->fail_on, &a->nr_fail_on))
				return -1;
			break;
		case OPT_TOP:
			errno = 0;
			a->top = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg) {
				cli_error("check: --top: '%s' is not a number", optarg);
				return -1;
			}
			break;
		case OPT_READER:
			if (strcmp(optarg, "direct") && strcmp(optarg, "libtracecmd")) {
				cli_error("check: --reader: '%s' is not direct or libtracecmd",
					  optarg);
				return -1;
			}
			a->reader = optarg;
			break;
		case OPT_TREE:
		case OPT_ALL:
			if (set_scope(a, c == OPT_TREE ? KMRV_SCOPE_TREE : KMRV_SCOPE_ALL))
				return -1;
			break;
		case 'h':
			print_usage(stdout);
			exit(KMRV_EXIT_OK);
		default:	/* getopt said what was wrong */
			return -1;
		}
	}
	/* asking for pids or comms by name means: wherever they are */
	if (a->scope == KMRV_SCOPE_AUTO && (a->nr_pids || a->nr_comms))
		a->scope = KMRV_SCOPE_ALL;
	if (optind >= argc) {
		cli_error("check: no trace file given (kmrv check -h for usage)");
		return -1;
	}
	return 0;
}

/* Every --fail-on kind must exist in some selected spec: catch typos. */
static int check_fail_on(const struct check_args *a, const struct kmrv_spec_set *set)
{
	for (size_t i = 0; i < a->nr_fail_on; i++) {
		int found = 0;

		for (int s = 0; s < set->nr && !found; s++)
			found = kmrv_spec_kind(set->specs[s], a->fail_on[i]) != KMRV_NONE;
		if (!found) {
			cli_error("check: --fail-on: no selected spec has violation kind '%s'",
				  a->fail_on[i]);
			return -1;
		}
	}
	return 0;
}

static int failed_on(const struct check_args *a, const struct kmrv_trace_result *res,
		     size_t nr)
{
	for (size_t t = 0; t < nr; t++)
		for (int s = 0; s < res[t].nr_specs; s++) {
			const struct kmrv_spec_result *sr = &res[t].specs[s];

			for (int k = 0; k < sr->nr_kinds; k++)
				for (size_t i = 0; i < a->nr_fail_on; i++)
					if (sr->counts[k] && !strcmp(sr->kinds[k], a->fail_on[i]))
						return 1;
		}
	return 0;
}

static int check_all(const struct check_args *a, const struct kmrv_spec_set *set,
		     char **paths, size_t nr)
{
	struct kmrv_check_opts opts = {
		.specs = set,
		.filter = {
			.nr_pids = a->nr_pids, .pids = a->pids,
			.nr_comms = a->nr_comms, .comms = a->comms,
		},
		.scope = a->scope,
		.keep_violations = a->verbose,
		.reader = a->reader,
	};
	struct kmrv_report_opts ropts = { .top = a->top, .verbose = a->verbose };
	struct kmrv_trace_result *res;
	char err[ERR_LEN];
	size_t ok = 0;
	int ret = KMRV_EXIT_OK;

	res = calloc(nr, sizeof(*res));
	if (!res) {
		cli_error("check: out of memory");
		return KMRV_EXIT_ERROR;
	}
	for (size_t i = 0; i < nr; i++) {
		if (kmrv_check_file(paths[i], &opts, &res[ok], err, sizeof(err))) {
			cli_error("%s", err);
			ret = KMRV_EXIT_ERROR;
			continue;
		}
		ok++;
	}
	if (ok) {
		int wret = a->json ? kmrv_report_json(stdout, res, ok, &ropts)
				   : kmrv_report_text(stdout, res, ok, &ropts);
		if (wret) {
			cli_error("check: writing the report: %s", strerror(errno));
			ret = KMRV_EXIT_ERROR;
		}
	}
	if (ret == KMRV_EXIT_OK && failed_on(a, res, ok))
		ret = KMRV_EXIT_FINDINGS;
	for (size_t i = 0; i < ok; i++)
		kmrv_trace_result_release(&res[i]);
	free(res);
	return ret;
}

int cmd_check(int argc, char **argv)
{
	struct check_args args = { 0 };
	struct kmrv_spec_set set = { 0 };
	char err[ERR_LEN];
	int ret = KMRV_EXIT_ERROR;

	if (parse_args(argc, argv, &args))
		goto out;
	if (kmrv_spec_select(args.spec_arg, &set, err, sizeof(err))) {
		cli_error("%s", err);
		goto out;
	}
	if (check_fail_on(&args, &set))
		goto out;
	ret = check_all(&args, &set, argv + optind, argc - optind);
out:
	kmrv_spec_set_release(&set);
	free_args(&args);
	return ret;
}
