// SPDX-License-Identifier: GPL-2.0
/*
 * specs.c - `kmrv specs`: list the specifications on the search path, draw
 * one as DOT, or check a spec file being written.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "kmrv/spec.h"
#include "cli.h"

static const char *const usage[] = {
	"",
	"  usage: kmrv specs [-h] [--dot SPEC | --check FILE]",
	"",
	"	List the specifications found in ./specs, $KMRV_SPEC_PATH and the",
	"	installed spec directory: name, alias, key, file and description.",
	"",
	"	-h/--help: print this menu",
	"	--dot SPEC: print SPEC (a name, an alias or a path) as Graphviz DOT",
	"	--check FILE: parse a spec file and report its first error",
	"",
	"  The file format is described in kmrv-spec(5).",
	"",
	NULL,
};

static void print_usage(FILE *out)
{
	for (int i = 0; usage[i]; i++)
		fprintf(out, "%s\n", usage[i]);
}

static const char *key_name(const struct kmrv_spec *spec)
{
	return spec->key == KMRV_KEY_PID_PTR ? "pid ptr" : "ptr";
}

static int width(int w, const char *s)
{
	int n = strlen(s);

	return n > w ? n : w;
}

static int list_specs(void)
{
	struct kmrv_spec_set set;
	char err[512];
	int wn = 4, wa = 5, wk = 3, wf = 4;

	if (kmrv_spec_all(&set, err, sizeof(err))) {
		cli_error("%s", err);
		return KMRV_EXIT_ERROR;
	}
	for (int i = 0; i < set.nr; i++) {
		const struct kmrv_spec *s = set.specs[i];

		wn = width(wn, s->name);
		wa = width(wa, s->alias ? s->alias : "-");
		wk = width(wk, key_name(s));
		wf = width(wf, s->path ? s->path : "-");
	}
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", wn, "NAME", wa, "ALIAS", wk,
	       "KEY", wf, "FILE", "DESCRIPTION");
	for (int i = 0; i < set.nr; i++) {
		const struct kmrv_spec *s = set.specs[i];

		printf("%-*s  %-*s  %-*s  %-*s  %s\n", wn, s->name, wa,
		       s->alias ? s->alias : "-", wk, key_name(s), wf,
		       s->path ? s->path : "-", s->description);
	}
	kmrv_spec_set_release(&set);
	return KMRV_EXIT_OK;
}

static int dot_spec(const char *name)
{
	struct kmrv_spec_set set;
	char err[512];
	int ret = KMRV_EXIT_OK;

	if (strchr(name, ',') || !strcmp(name, "all")) {
		cli_error("--dot draws one spec, not '%s'", name);
		return KMRV_EXIT_ERROR;
	}
	if (kmrv_spec_select(name, &set, err, sizeof(err))) {
		cli_error("%s", err);
		return KMRV_EXIT_ERROR;
	}
	if (kmrv_spec_write_dot(set.specs[0], stdout)) {
		cli_error("writing DOT: %m");
		ret = KMRV_EXIT_ERROR;
	}
	kmrv_spec_set_release(&set);
	return ret;
}

static const char *plural(int n, const char *what)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%d %s%s", n, what, n == 1 ? "" : "s");
	return buf;
}

/* Like a compiler: "FILE:LINE:COL: message" alone, so editors jump to it. */
static int check_spec(const char *path)
{
	struct kmrv_spec *spec;
	char err[512];

	spec = kmrv_spec_load(path, err, sizeof(err));
	if (!spec) {
		fprintf(stderr, "%s\n", err);
		return KMRV_EXIT_ERROR;
	}
	printf("%s: ok (%s, ", path, plural(spec->nr_states, "state"));
	printf("%s, ", plural(spec->nr_user_events, "event"));
	printf("%s)\n", plural(spec->nr_kinds, "kind"));
	kmrv_spec_free(spec);
	return KMRV_EXIT_OK;
}

int cmd_specs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "dot",	required_argument,	NULL, 'd' },
		{ "check",	required_argument,	NULL, 'c' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *dot = NULL, *check = NULL;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_usage(stdout);
			return KMRV_EXIT_OK;
		case 'd':
			dot = optarg;
			break;
		case 'c':
			check = optarg;
			break;
		case ':':
			cli_error("specs: option '%s' needs an argument",
				  argv[optind - 1]);
			return KMRV_EXIT_ERROR;
		default:
			if (optopt)
				cli_error("specs: unknown option '-%c' (see 'kmrv specs -h')",
					  optopt);
			else
				cli_error("specs: unknown option '%s' (see 'kmrv specs -h')",
					  argv[optind - 1]);
			return KMRV_EXIT_ERROR;
		}
	}
	if (optind < argc) {
		cli_error("specs: unexpected argument '%s' (see 'kmrv specs -h')",
			  argv[optind]);
		return KMRV_EXIT_ERROR;
	}
	if (dot && check) {
		cli_error("specs: --dot and --check do not go together");
		return KMRV_EXIT_ERROR;
	}
	if (dot)
		return dot_spec(dot);
	if (check)
		return check_spec(check);
	return list_specs();
}
