// SPDX-License-Identifier: GPL-2.0
/*
 * kmrv check - check trace files against specifications.
 *
 * Many traces at once: directories are walked for files whose content is
 * a trace, and with -j N up to N traces are checked at the same time,
 * each in a forked worker process. Processes rather than threads: a
 * reader that crashes on a damaged file takes down its worker only (the
 * trace becomes an error entry and the others complete), and no library
 * under the readers has to be thread-safe. A worker hands its result back
 * as JSON in an unlinked temporary file, read back with the strict reader
 * of the report module; results are printed in input order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmrv/check.h"
#include "kmrv/report.h"
#include "kmrv/spec.h"
#include "cli.h"

#define ERR_LEN		512
#define MAX_JOBS	1024
#define MAX_DIR_DEPTH	64

static const char * const usage[] = {
	"usage: kmrv check [OPTIONS] TRACE|DIR...",
	"",
	"Check trace files against kmalloc/kfree specifications. A directory is",
	"searched recursively for trace files (told by their content, not name).",
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
	"      --max-keys N     stop (exit 2) when more than N objects are tracked at",
	"                       once over all specs (default: 1/4 of RAM; 0 = no limit)",
	"  -j, --jobs N         check N traces at a time (default 1; 0 = one per CPU)",
	"  -t, --threads N      split one trace's specs over N threads (default: the",
	"                       CPUs left per job; 1 with -v or --comm)",
	"  -h, --help           this text",
	"",
	"Filters choose what is reported, never which events the automata see.",
	"--pid and --comm without --tree look at every pid.",
	"Several traces: one section each, then totals (JSON: \"totals\").",
	"Exit status: 0 checked, 1 --fail-on matched, 2 usage error or a trace",
	"that could not be checked (the others are still reported).",
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
	long		jobs;
	long		threads;	/* -1: not given */
	size_t		max_keys;
};

/* The traces to check, in the order given (directories expanded). */
struct path_list {
	char		**v;
	size_t		nr, cap;
	bool		failed;		/* an argument could not be expanded */
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

enum { OPT_FAIL_ON = 256, OPT_TOP, OPT_TREE, OPT_ALL, OPT_READER, OPT_MAX_KEYS };

/* --jobs and --threads: a count from 0 to @max, 0 meaning one per CPU. */
static int parse_count(const char *opt, const char *arg, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(arg, &end, 10);
	if (errno || *end || end == arg || *out < 0 || *out > max) {
		cli_error("check: --%s: '%s' is not a number from 0 to %ld", opt, arg, max);
		return -1;
	}
	return 0;
}

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
		{ "max-keys", required_argument, NULL, OPT_MAX_KEYS },
		{ "jobs",    required_argument, NULL, 'j' },
		{ "threads", required_argument, NULL, 't' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	a->spec_arg = "all";
	a->top = 20;
	a->jobs = 1;
	a->threads = -1;
	a->max_keys = kmrv_check_default_max_keys();
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:f:vp:c:j:t:h", longopts, NULL)) != -1) {
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
		case OPT_MAX_KEYS:
			errno = 0;
			a->max_keys = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || *optarg == '-') {
				cli_error("check: --max-keys: '%s' is not a number", optarg);
				return -1;
			}
			break;
		case OPT_TREE:
		case OPT_ALL:
			if (set_scope(a, c == OPT_TREE ? KMRV_SCOPE_TREE : KMRV_SCOPE_ALL))
				return -1;
			break;
		case 'j':
			if (parse_count("jobs", optarg, MAX_JOBS, &a->jobs))
				return -1;
			if (!a->jobs)
				a->jobs = sysconf(_SC_NPROCESSORS_ONLN) > 0 ?
					  sysconf(_SC_NPROCESSORS_ONLN) : 1;
			break;
		case 't':
			if (parse_count("threads", optarg, KMRV_MAX_THREADS, &a->threads))
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

/*
 * The first bytes of the formats a reader exists for. The readers decide
 * for themselves (src/trace/trace.c); these only choose which files of a
 * directory are traces, so that READMEs and results next to them are not.
 */
static bool looks_like_trace(const char *path)
{
	static const char dat[] = "\027\010\104tracing";
	unsigned char magic[10];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return false;
	n = read(fd, magic, sizeof(magic));
	close(fd);
	return (n == sizeof(magic) && !memcmp(magic, dat, sizeof(magic))) ||
	       (n >= 8 && (!memcmp(magic, "PERFILE2", 8) || !memcmp(magic, "2ELIFREP", 8)));
}

static int add_path(struct path_list *l, const char *path)
{
	if (l->nr == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **p = realloc(l->v, cap * sizeof(*p));

		if (!p)
			return -1;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->nr] = strdup(path);
	if (!l->v[l->nr])
		return -1;
	l->nr++;
	return 0;
}

static int walk(const char *dir, struct path_list *l, int depth);

/* One directory entry: a subdirectory (not a symlink: no loops) or a trace. */
static int walk_entry(const char *dir, const char *name, struct path_list *l, int depth)
{
	struct stat st;
	char *path;
	int ret = 0;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -1;
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		ret = walk(path, l, depth + 1);
	else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && looks_like_trace(path))
		ret = add_path(l, path);
	free(path);
	return ret;
}

/* Traces under @dir, depth first, each directory's entries sorted by name. */
static int walk(const char *dir, struct path_list *l, int depth)
{
	struct dirent **names;
	int n, ret = 0;

	if (depth > MAX_DIR_DEPTH) {
		cli_error("%s: directories nested deeper than %d", dir, MAX_DIR_DEPTH);
		l->failed = true;
		return 0;
	}
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		cli_error("%s: %s", dir, strerror(errno));
		l->failed = true;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (!ret && strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
			ret = walk_entry(dir, names[i]->d_name, l, depth);
		free(names[i]);
	}
	free(names);
	return ret;
}

/*
 * Arguments to trace paths. A file named on the command line is checked
 * whatever it holds (the reader says what is wrong with it); a directory
 * contributes the traces under it, and none at all is an error.
 */
static int expand_args(char **args, size_t nr, struct path_list *l)
{
	struct stat st;

	for (size_t i = 0; i < nr; i++) {
		size_t before = l->nr;
		int ret;

		if (stat(args[i], &st) || !S_ISDIR(st.st_mode)) {
			if (add_path(l, args[i]))
				return -1;
			continue;
		}
		ret = walk(args[i], l, 0);
		if (ret)
			return ret;
		if (l->nr == before) {
			cli_error("%s: no trace files in this directory"
				  " (trace.dat or perf.data, told by content)", args[i]);
			l->failed = true;
		}
	}
	return 0;
}

static void free_paths(struct path_list *l)
{
	free_list(l->v, l->nr);
	memset(l, 0, sizeof(*l));
}

/* Check one trace into @res: a result, or an entry with path and error. */
static void check_one(const char *path, const struct kmrv_check_opts *opts,
		      struct kmrv_trace_result *res)
{
	char err[ERR_LEN];

	if (!kmrv_check_file(path, opts, res, err, sizeof(err)))
		return;
	memset(res, 0, sizeof(*res));
	res->path = strdup(path);
	res->error = strdup(err);
}

struct worker {
	pid_t		pid;
	FILE		*out;		/* the worker's result, JSON */
	size_t		idx;
};

/* In the child: check, write the result as JSON, exit without cleanup. */
static void __attribute__((noreturn))
worker_main(const char *path, const struct kmrv_check_opts *opts, FILE *out)
{
	struct kmrv_report_opts ropts = { .verbose = opts->keep_violations };
	struct kmrv_trace_result res;

	check_one(path, opts, &res);
	if (!res.path || kmrv_report_json(out, &res, 1, &ropts) || fflush(out))
		_exit(3);
	_exit(0);
}

static int start_worker(struct worker *w, size_t idx, const char *path,
			const struct kmrv_check_opts *opts)
{
	w->idx = idx;
	w->out = tmpfile();
	if (!w->out)
		return -1;
	w->pid = fork();
	if (w->pid < 0) {
		w->pid = 0;	/* the slot stays free */
		fclose(w->out);
		return -1;
	}
	if (w->pid == 0)
		worker_main(path, opts, w->out);
	return 0;
}

static void set_error(struct kmrv_trace_result *res, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(struct kmrv_trace_result *res, const char *path, const char *fmt, ...)
{
	char what[ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	memset(res, 0, sizeof(*res));
	res->path = strdup(path);
	if (asprintf(&res->error, "%s: %s", path, what) < 0)
		res->error = NULL;
}

/* The result a finished worker left in its file. */
static void collect(struct worker *w, int status, const char *path,
		    struct kmrv_trace_result *res)
{
	struct kmrv_result_set set;
	char err[ERR_LEN], *text = NULL;
	long len;

	if (WIFSIGNALED(status)) {
		set_error(res, path, "the checker died of signal %d (%s)",
			  WTERMSIG(status), strsignal(WTERMSIG(status)));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		set_error(res, path, "the checker failed (out of memory or disk space?)");
		goto out;
	}
	len = ftell(w->out);
	text = len > 0 ? malloc(len) : NULL;
	rewind(w->out);
	if (!text || fread(text, 1, len, w->out) != (size_t)len) {
		set_error(res, path, "cannot read the checker's result back");
		goto out;
	}
	if (kmrv_results_parse(text, len, "worker result", &set, err, sizeof(err)) ||
	    set.nr != 1) {
		set_error(res, path, "bad result from the checker: %s", err);
		goto out;
	}
	*res = set.traces[0];
	free(set.traces);
out:
	free(text);
	fclose(w->out);
	w->pid = 0;
}

static struct worker *find_worker(struct worker *w, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (w[i].pid == pid)
			return &w[i];
	return NULL;
}

/* Up to @jobs workers at a time; results land in @res by input index. */
static int check_parallel(const struct kmrv_check_opts *opts, char **paths, size_t nr,
			  size_t jobs, struct kmrv_trace_result *res)
{
	struct worker *w = calloc(jobs, sizeof(*w));
	size_t next = 0, running = 0;
	struct worker *done;
	int status;
	pid_t pid;

	if (!w)
		return -1;
	fflush(NULL);	/* nothing buffered may be written twice */
	while (next < nr || running) {
		while (running < jobs && next < nr) {
			struct worker *slot = find_worker(w, jobs, 0);

			if (start_worker(slot, next, paths[next], opts))
				check_one(paths[next], opts, &res[next]);	/* inline */
			else
				running++;
			next++;
		}
		if (!running)
			continue;
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		done = find_worker(w, jobs, pid);
		if (!done)
			continue;
		collect(done, status, paths[done->idx], &res[done->idx]);
		running--;
	}
	free(w);
	return 0;
}

static int write_report(const struct check_args *a, const struct kmrv_trace_result *res,
			size_t nr)
{
	struct kmrv_report_opts ropts = { .top = a->top, .verbose = a->verbose };
	struct kmrv_totals totals;
	char err[ERR_LEN];
	int wret;

	if (kmrv_totals_compute(res, nr, &totals, err, sizeof(err))) {
		cli_error("check: %s", err);
		return KMRV_EXIT_ERROR;
	}
	ropts.totals = &totals;
	wret = a->json ? kmrv_report_json(stdout, res, nr, &ropts)
		       : kmrv_report_text(stdout, res, nr, &ropts);
	kmrv_totals_release(&totals);
	if (wret) {
		cli_error("check: writing the report: %s", strerror(errno));
		return KMRV_EXIT_ERROR;
	}
	return KMRV_EXIT_OK;
}

/* Unless told, jobs running side by side share the CPUs between them. */
static long threads_per_trace(const struct check_args *a, size_t nr_traces)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), jobs = a->jobs;

	if (a->threads >= 0)
		return a->threads;
	if (jobs <= 1 || nr_traces <= 1)
		return 0;	/* one per CPU */
	if ((size_t)jobs > nr_traces)
		jobs = (long)nr_traces;
	return cpus > jobs ? cpus / jobs : 1;
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
		.max_keys = a->max_keys,
		.threads = (int)threads_per_trace(a, nr),
	};
	struct kmrv_trace_result *res;
	size_t ok = 0;
	int ret = KMRV_EXIT_OK;

	res = calloc(nr ? nr : 1, sizeof(*res));
	if (!res) {
		cli_error("check: out of memory");
		return KMRV_EXIT_ERROR;
	}
	if (a->jobs > 1 && nr > 1) {
		if (check_parallel(&opts, paths, nr, a->jobs, res))
			ret = KMRV_EXIT_ERROR;
	} else {
		for (size_t i = 0; i < nr; i++)
			check_one(paths[i], &opts, &res[i]);
	}
	for (size_t i = 0; i < nr; i++) {
		if (!res[i].path || (res[i].error == NULL && !res[i].specs)) {
			cli_error("%s: out of memory", paths[i]);
			ret = KMRV_EXIT_ERROR;
		} else if (res[i].error) {
			cli_error("%s", res[i].error);
			ret = KMRV_EXIT_ERROR;
		} else {
			ok++;
		}
	}
	/* with no trace checked, no report that could pass for an answer */
	if (ok && write_report(a, res, nr))
		ret = KMRV_EXIT_ERROR;
	if (ret == KMRV_EXIT_OK && failed_on(a, res, nr))
		ret = KMRV_EXIT_FINDINGS;
	for (size_t i = 0; i < nr; i++)
		kmrv_trace_result_release(&res[i]);
	free(res);
	return ret;
}

static int check_args(const struct check_args *a, const struct kmrv_spec_set *set,
		      char **args, size_t nr)
{
	struct path_list paths = { 0 };
	int ret;

	if (expand_args(args, nr, &paths)) {
		cli_error("check: out of memory");
		free_paths(&paths);
		return KMRV_EXIT_ERROR;
	}
	ret = paths.nr ? check_all(a, set, paths.v, paths.nr) : KMRV_EXIT_ERROR;
	if (paths.failed)
		ret = KMRV_EXIT_ERROR;
	free_paths(&paths);
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
	ret = check_args(&args, &set, argv + optind, argc - optind);
out:
	kmrv_spec_set_release(&set);
	free_args(&args);
	return ret;
}
