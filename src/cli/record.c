// SPDX-License-Identifier: GPL-2.0
/*
 * kmrv record - record a command's kernel allocations into a trace.dat.
 *
 * Option parsing and the summary only; the recorder is src/record/.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kmrv/record.h"
#include "cli.h"

#define ERR_LEN		512
#define EXIT_NOEXEC	126	/* found but not executable (timeout(1), env(1)) */
#define EXIT_NOTFOUND	127

static const char * const usage[] = {
	"usage: kmrv record [OPTIONS] [--] COMMAND [ARGS...]",
	"       kmrv record [OPTIONS] -p PID",
	"       kmrv record [OPTIONS] -a [-t SECONDS]",
	"",
	"Record the kernel's slab allocations and frees into a trace.dat while",
	"COMMAND runs, until it and every process it started have exited.",
	"Recording is system-wide (frees happen in RCU callbacks, softirqs and",
	"kworkers); `kmrv check` reports for the command's process tree.",
	"",
	"  -o, --output FILE    write FILE (default trace.dat)",
	"  -b, --buffer KB      ring buffer per CPU in KB (default: the kernel's)",
	"  -e, --event SYS:EV   record SYS:EV instead of the kmem defaults; repeatable",
	"  -p, --pid PID        attach to a running process until it exits or Ctrl-C",
	"  -a, --all            system-wide, until Ctrl-C or -t",
	"  -t, --time SECONDS   with -p or -a: stop after SECONDS",
	"  -q, --quiet          print only lost events and errors",
	"  -h, --help           this text",
	"",
	"Needs root. Uses a private instance under /sys/kernel/tracing/instances;",
	"never writes the top-level instance or /proc/sys.",
	"Exit status: COMMAND's (128+N if killed by signal N, 127 not found,",
	"126 not executable); 0 with -p or -a; 2 for kmrv's own errors.",
	NULL,
};

struct record_args {
	struct kmrv_record_opts	opts;
	const char		**events;
	int			quiet;
};

static void print_usage(FILE *out)
{
	for (int i = 0; usage[i]; i++)
		fprintf(out, "%s\n", usage[i]);
}

static int parse_ulong(const char *opt, const char *arg, unsigned long *val)
{
	char *end;

	errno = 0;
	*val = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || arg[0] == '-') {
		cli_error("record: %s: '%s' is not a number", opt, arg);
		return -1;
	}
	return 0;
}

static int add_event(struct record_args *a, const char *name)
{
	const char **p = realloc(a->events, (a->opts.nr_events + 1) * sizeof(*p));

	if (!p) {
		cli_error("record: out of memory");
		return -1;
	}
	a->events = p;
	a->events[a->opts.nr_events++] = name;
	a->opts.events = a->events;
	return 0;
}

static int parse_time(const char *arg, double *secs)
{
	char *end;

	errno = 0;
	*secs = strtod(arg, &end);
	if (errno || *end || end == arg || *secs <= 0) {
		cli_error("record: -t: '%s' is not a number of seconds", arg);
		return -1;
	}
	return 0;
}

static int parse_option(struct record_args *a, int c)
{
	unsigned long val;

	switch (c) {
	case 'o':
		a->opts.output = optarg;
		return 0;
	case 'b':
		if (parse_ulong("-b", optarg, &val))
			return -1;
		if (!val) {
			cli_error("record: -b: the buffer needs at least 1 KB");
			return -1;
		}
		a->opts.buffer_kb = val;
		return 0;
	case 'e':
		return add_event(a, optarg);
	case 'p':
		if (parse_ulong("-p", optarg, &val) || !val || val > 0x7fffffff) {
			cli_error("record: -p: '%s' is not a pid", optarg);
			return -1;
		}
		a->opts.mode = KMRV_RECORD_PID;
		a->opts.pid = (int)val;
		return 0;
	case 'a':
		a->opts.mode = KMRV_RECORD_ALL;
		return 0;
	case 't':
		return parse_time(optarg, &a->opts.duration);
	case 'q':
		a->quiet = 1;
		return 0;
	case 'h':
		print_usage(stdout);
		exit(KMRV_EXIT_OK);
	default:
		print_usage(stderr);
		return -1;
	}
}

static int parse_args(int argc, char **argv, struct record_args *a)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "event",  required_argument, NULL, 'e' },
		{ "pid",    required_argument, NULL, 'p' },
		{ "all",    no_argument,       NULL, 'a' },
		{ "time",   required_argument, NULL, 't' },
		{ "quiet",  no_argument,       NULL, 'q' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, has_cmd;

	a->opts.output = "trace.dat";
	optind = 1;
	/* '+': the command's own options are not ours */
	while ((c = getopt_long(argc, argv, "+o:b:e:p:at:qh", longopts, NULL)) != -1)
		if (parse_option(a, c))
			return -1;
	has_cmd = optind < argc;
	if (a->opts.mode == KMRV_RECORD_COMMAND && !has_cmd) {
		cli_error("record: no command given (or -p PID, or -a)");
		print_usage(stderr);
		return -1;
	}
	if (a->opts.mode != KMRV_RECORD_COMMAND && has_cmd) {
		cli_error("record: a command cannot go with %s",
			  a->opts.mode == KMRV_RECORD_PID ? "-p" : "-a");
		return -1;
	}
	if (a->opts.mode == KMRV_RECORD_COMMAND && a->opts.duration > 0) {
		cli_error("record: -t goes with -p or -a; to limit a command, "
			  "record `timeout SECONDS COMMAND`");
		return -1;
	}
	a->opts.argv = argv + optind;
	return 0;
}

/* A size for people: "812 KB", "12.3 MB". */
static void print_size(uint64_t bytes)
{
	if (bytes >= 10 * 1024 * 1024)
		fprintf(stderr, "%.1f MB", bytes / (1024.0 * 1024.0));
	else
		fprintf(stderr, "%llu KB", (unsigned long long)(bytes + 1023) / 1024);
}

static void print_summary(const struct record_args *a,
			  const struct kmrv_record_result *res)
{
	size_t suggest;

	if (!a->quiet) {
		for (int cpu = 0; cpu < res->nr_cpus; cpu++) {
			const struct kmrv_record_cpu *c = &res->cpus[cpu];

			fprintf(stderr, "  CPU %d: %llu events, %llu lost%s\n", cpu,
				(unsigned long long)c->events,
				(unsigned long long)c->lost,
				c->lost_unknown ? " (and gaps of unknown size)" : "");
		}
		fprintf(stderr, "kmrv record: %llu events, %llu lost, in %.2f s; %s: ",
			(unsigned long long)res->events, (unsigned long long)res->lost,
			res->seconds, a->opts.output);
		print_size(res->bytes);
		fputc('\n', stderr);
	}
	if (!res->lost)
		return;
	/* four times the buffer, at least 8 MB: one step usually does it */
	suggest = res->buffer_kb * 4 > 8192 ? res->buffer_kb * 4 : 8192;
	fprintf(stderr, "kmrv record: WARNING: %llu events lost: the ring buffer "
		"overflowed before kmrv could read it (%zu KB per CPU); "
		"record again with e.g. -b %zu\n",
		(unsigned long long)res->lost, res->buffer_kb, suggest);
}

/* The command's exit status, the way timeout(1) and env(1) pass it on. */
static int command_status(const struct kmrv_record_result *res)
{
	if (WIFEXITED(res->wait_status))
		return WEXITSTATUS(res->wait_status);
	if (WIFSIGNALED(res->wait_status))
		return 128 + WTERMSIG(res->wait_status);
	return KMRV_EXIT_ERROR;
}

int cmd_record(int argc, char **argv)
{
	struct record_args args = { 0 };
	struct kmrv_record_result res;
	char err[ERR_LEN];
	int ret = KMRV_EXIT_ERROR;

	if (parse_args(argc, argv, &args))
		goto out;
	if (kmrv_record(&args.opts, &res, err, sizeof(err))) {
		cli_error("record: %s", err);
		if (res.exec_errno)
			ret = res.exec_errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
		else if (res.signal && !res.started &&
			 args.opts.mode == KMRV_RECORD_COMMAND)
			ret = 128 + res.signal;
		kmrv_record_result_release(&res);
		goto out;
	}
	print_summary(&args, &res);
	if (args.opts.mode == KMRV_RECORD_COMMAND)
		ret = command_status(&res);
	else
		ret = KMRV_EXIT_OK;
	kmrv_record_result_release(&res);
out:
	free(args.events);
	return ret;
}
