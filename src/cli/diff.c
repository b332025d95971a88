// SPDX-License-Identifier: GPL-2.0
/*
 * kmrv diff - compare two check results: did a change add violations?
 *
 * A side is a JSON result of `kmrv check` (read back, its totals
 * recomputed) or a trace file (checked now with the same options as
 * `kmrv check`). Which one is told by content: JSON starts with '{'.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmrv/check.h"
#include "kmrv/diff.h"
#include "kmrv/report.h"
#include "kmrv/spec.h"
#include "cli.h"

#define ERR_LEN	1024

static const char * const usage[] = {
	"usage: kmrv diff [OPTIONS] OLD NEW",
	"",
	"Compare two check results: per spec and kind, per call site and per",
	"allocation site of unfreed objects. OLD and NEW are each a JSON result",
	"of `kmrv check -f json` (one trace: that trace; several: their totals)",
	"or a trace file, checked now with the options below.",
	"",
	"  -s, --spec SPECS      specs to compare (default: every spec of the JSON",
	"                        sides; 'all' for trace sides); also what traces",
	"                        are checked with",
	"  -f, --format FMT      text (default) or json",
	"      --match MODE      call sites match by 'site' (function+0xoff, the",
	"                        default) or 'function' (offsets ignored: traces",
	"                        of different kernel builds)",
	"      --fail-on-increase[=KIND,...]",
	"                        exit 1 if a count of these kinds (default: every",
	"                        kind) grew by more than the threshold",
	"      --threshold N     tolerate increases up to N (absolute)",
	"      --threshold N%    tolerate increases up to N percent of OLD; with",
	"                        both forms, an increase must exceed both",
	"      --top N           rows per table in text output (default 20, 0 = all)",
	"      --tree, --all, --reader NAME",
	"                        for trace sides, as in kmrv check",
	"  -h, --help            this text",
	"",
	"Exit status: 0 compared (and the gate passed), 1 --fail-on-increase",
	"found an increase, 2 usage or input error (unreadable side, sides with",
	"different specs or schema versions).",
	NULL,
};

struct diff_args {
	const char		*spec_arg;	/* NULL: not given */
	int			json;
	struct kmrv_diff_opts	dopts;
	char			**gate_kinds;
	size_t			nr_gate_kinds;
	bool			has_abs;
	enum kmrv_scope		scope;
	const char		*reader;
};

struct side {
	const char		*path;
	bool			is_trace;
	struct kmrv_result_set	set;
	struct kmrv_totals	totals;
};

static void print_usage(FILE *out)
{
	for (int i = 0; usage[i]; i++)
		fprintf(out, "%s\n", usage[i]);
}

static int split_kinds(const char *arg, struct diff_args *a)
{
	char *copy = strdup(arg), *save = NULL, *word;
	int ret = 0;

	if (!copy)
		return -1;
	for (word = strtok_r(copy, ",", &save); word && !ret;
	     word = strtok_r(NULL, ",", &save)) {
		char **p = realloc(a->gate_kinds, (a->nr_gate_kinds + 1) * sizeof(*p));

		if (!p || !(p[a->nr_gate_kinds] = strdup(word)))
			ret = -1;
		if (p)
			a->gate_kinds = p;
		if (!ret)
			a->nr_gate_kinds++;
	}
	free(copy);
	return ret;
}

/* "N" (absolute) or "N%" (relative to old); each form at most once. */
static int parse_threshold(const char *arg, struct diff_args *a)
{
	struct kmrv_threshold *t = &a->dopts.threshold;
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *arg == '-' || (*end && strcmp(end, "%")))
		goto bad;
	if (*end == '%') {
		if (t->has_pct)
			goto twice;
		t->has_pct = true;
		t->pct = v;
		return 0;
	}
	if (a->has_abs)
		goto twice;
	a->has_abs = true;
	t->abs = v;
	return 0;
bad:
	cli_error("diff: --threshold: '%s' is not N or N%% (N a whole number)", arg);
	return -1;
twice:
	cli_error("diff: --threshold: '%s': this form was already given", arg);
	return -1;
}

enum { OPT_MATCH = 256, OPT_FAIL, OPT_THRESHOLD, OPT_TOP, OPT_TREE, OPT_ALL, OPT_READER };

static int parse_option(int c, struct diff_args *a)
{
	char *end;

	switch (c) {
	case 's':
		a->spec_arg = optarg;
		return 0;
	case 'f':
		if (strcmp(optarg, "text") && strcmp(optarg, "json"))
			break;
		a->json = !strcmp(optarg, "json");
		return 0;
	case OPT_MATCH:
		if (strcmp(optarg, "site") && strcmp(optarg, "function")) {
			cli_error("diff: --match: '%s' is not site or function", optarg);
			return -1;
		}
		a->dopts.match = strcmp(optarg, "site") ? KMRV_MATCH_FUNCTION : KMRV_MATCH_SITE;
		return 0;
	case OPT_FAIL:
		a->dopts.gate = true;
		return optarg ? split_kinds(optarg, a) : 0;
	case OPT_THRESHOLD:
		return parse_threshold(optarg, a);
	case OPT_TOP:
		errno = 0;
		a->dopts.top = strtoul(optarg, &end, 10);
		if (errno || *end || end == optarg || *optarg == '-') {
			cli_error("diff: --top: '%s' is not a number", optarg);
			return -1;
		}
		return 0;
	case OPT_TREE:
	case OPT_ALL:
		a->scope = c == OPT_TREE ? KMRV_SCOPE_TREE : KMRV_SCOPE_ALL;
		return 0;
	case OPT_READER:
		a->reader = optarg;
		return 0;
	case 'h':
		print_usage(stdout);
		exit(KMRV_EXIT_OK);
	default:	/* getopt said what was wrong */
		return -1;
	}
	cli_error("diff: --format: '%s' is not text or json", optarg);
	return -1;
}

static int parse_args(int argc, char **argv, struct diff_args *a)
{
	static const struct option longopts[] = {
		{ "spec",             required_argument, NULL, 's' },
		{ "format",           required_argument, NULL, 'f' },
		{ "match",            required_argument, NULL, OPT_MATCH },
		{ "fail-on-increase", optional_argument, NULL, OPT_FAIL },
		{ "threshold",        required_argument, NULL, OPT_THRESHOLD },
		{ "top",              required_argument, NULL, OPT_TOP },
		{ "tree",             no_argument,       NULL, OPT_TREE },
		{ "all",              no_argument,       NULL, OPT_ALL },
		{ "reader",           required_argument, NULL, OPT_READER },
		{ "help",             no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	a->dopts.top = 20;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:f:h", longopts, NULL)) != -1)
		if (parse_option(c, a))
			return -1;
	if (argc - optind != 2) {
		cli_error("diff: give two results, OLD and NEW (kmrv diff -h for usage)");
		return -1;
	}
	if ((a->has_abs || a->dopts.threshold.has_pct) && !a->dopts.gate) {
		cli_error("diff: --threshold needs --fail-on-increase");
		return -1;
	}
	a->dopts.gate_kinds = a->gate_kinds;
	a->dopts.nr_gate_kinds = a->nr_gate_kinds;
	return 0;
}

/* A JSON result starts with '{' (after blanks); anything else is a trace. */
static bool is_json(const char *path)
{
	char buf[256];
	ssize_t n;
	int fd;

	if (!strcmp(path, "-"))
		return true;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;	/* the trace reader will say why */
	n = read(fd, buf, sizeof(buf));
	close(fd);
	for (ssize_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n", buf[i]))
			return buf[i] == '{';
	return false;
}

static int load_json(struct side *s)
{
	char err[ERR_LEN];

	if (kmrv_results_read(s->path, &s->set, err, sizeof(err))) {
		cli_error("%s", err);
		return -1;
	}
	if (!s->set.nr) {
		cli_error("%s: holds no traces", s->path);
		return -1;
	}
	for (size_t i = 0; i < s->set.nr; i++)
		if (s->set.traces[i].error) {
			cli_error("%s: trace %s could not be checked (%s): a diff would be"
				  " misleading", s->path, s->set.traces[i].path,
				  s->set.traces[i].error);
			return -1;
		}
	return 0;
}

static int load_trace(struct side *s, const struct diff_args *a,
		      const struct kmrv_spec_set *specs)
{
	struct kmrv_check_opts opts = {
		.specs = specs, .scope = a->scope, .reader = a->reader,
	};
	char err[ERR_LEN];

	s->is_trace = true;
	s->set.traces = calloc(1, sizeof(*s->set.traces));
	if (!s->set.traces) {
		cli_error("diff: out of memory");
		return -1;
	}
	if (kmrv_check_file(s->path, &opts, &s->set.traces[0], err, sizeof(err))) {
		cli_error("%s", err);
		return -1;
	}
	s->set.nr = 1;
	return 0;
}

static int load_side(struct side *s, const struct diff_args *a,
		     const struct kmrv_spec_set *specs, char *const *names, size_t nr_names)
{
	char err[ERR_LEN];

	if (is_json(s->path) ? load_json(s) : load_trace(s, a, specs))
		return -1;
	if (kmrv_totals_compute(s->set.traces, s->set.nr, &s->totals, err, sizeof(err)) ||
	    (nr_names && kmrv_totals_select(&s->totals, names, nr_names, s->path,
					    err, sizeof(err)))) {
		cli_error("%s", err);
		return -1;
	}
	return 0;
}

static int compare(const struct diff_args *a, struct side *old, struct side *new)
{
	struct kmrv_diff_side os = { old->path, old->is_trace, &old->totals };
	struct kmrv_diff_side ns = { new->path, new->is_trace, &new->totals };
	struct kmrv_diff d;
	char err[ERR_LEN];
	int ret;

	if (kmrv_diff_compute(&os, &ns, &a->dopts, &d, err, sizeof(err))) {
		cli_error("diff: %s", err);
		return KMRV_EXIT_ERROR;
	}
	ret = a->json ? kmrv_diff_json(stdout, &d, &a->dopts)
		      : kmrv_diff_text(stdout, &d, &a->dopts);
	if (ret) {
		cli_error("diff: writing the report: %s", strerror(errno));
		ret = KMRV_EXIT_ERROR;
	} else {
		ret = d.failed ? KMRV_EXIT_FINDINGS : KMRV_EXIT_OK;
	}
	kmrv_diff_release(&d);
	return ret;
}

static void release_side(struct side *s)
{
	kmrv_totals_release(&s->totals);
	kmrv_result_set_release(&s->set);
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args args = { 0 };
	struct kmrv_spec_set set = { 0 };
	struct side old = { 0 }, new = { 0 };
	char err[ERR_LEN], **names = NULL;
	int ret = KMRV_EXIT_ERROR;

	if (parse_args(argc, argv, &args))
		goto out;
	old.path = argv[optind];
	new.path = argv[optind + 1];
	if (kmrv_spec_select(args.spec_arg ? args.spec_arg : "all", &set, err, sizeof(err))) {
		cli_error("%s", err);
		goto out;
	}
	names = calloc(set.nr ? set.nr : 1, sizeof(*names));
	if (!names)
		goto out;
	for (int i = 0; i < set.nr; i++)
		names[i] = set.specs[i]->name;
	if (load_side(&old, &args, &set, names, args.spec_arg ? set.nr : 0) ||
	    load_side(&new, &args, &set, names, args.spec_arg ? set.nr : 0))
		goto out;
	ret = compare(&args, &old, &new);
out:
	release_side(&old);
	release_side(&new);
	free(names);
	kmrv_spec_set_release(&set);
	for (size_t i = 0; i < args.nr_gate_kinds; i++)
		free(args.gate_kinds[i]);
	free(args.gate_kinds);
	return ret;
}
