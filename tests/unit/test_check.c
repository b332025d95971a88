// SPDX-License-Identifier: GPL-2.0
/*
 * test_check.c - kmrv_check_file on real recordings: the verdicts are the
 * same whatever the number of threads the specs are split over, and the
 * threads asked for are the threads used.
 *
 * The samples are real `kmrv record` traces: thousands of events (so the
 * batch ring of stream.c wraps many times), forks and execs (events with
 * text, which end a batch; the process tree each lane keeps), and
 * violations of every spec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kmrv/check.h"
#include "kmrv/report.h"

#define SAMPLE		KMRV_SOURCE_DIR "/samples/record-sh-ls.dat"
#define PERF_SAMPLE	KMRV_SOURCE_DIR "/samples/ls-doc.perf.data"

struct checked {
	int	ret;
	int	threads;
	char	*json;		/* the whole report, -v included */
	char	err[512];
};

static struct checked check(const char *path, int threads, bool verbose,
			    enum kmrv_scope scope, size_t max_keys)
{
	struct kmrv_spec_set set = { 0 };
	struct kmrv_trace_result res;
	struct kmrv_check_opts opts = {
		.specs = &set,
		.scope = scope,
		.keep_violations = verbose,
		.max_keys = max_keys,
		.threads = threads,
	};
	struct kmrv_report_opts ropts = { .verbose = verbose };
	struct checked c = { 0 };
	size_t len;
	FILE *out;

	assert_int_equal(kmrv_spec_select("all", &set, c.err, sizeof(c.err)), 0);
	assert_int_equal(set.nr, 5);
	c.ret = kmrv_check_file(path, &opts, &res, c.err, sizeof(c.err));
	if (!c.ret) {
		c.threads = res.threads;
		out = open_memstream(&c.json, &len);
		assert_non_null(out);
		assert_int_equal(kmrv_report_json(out, &res, 1, &ropts), 0);
		fclose(out);
		kmrv_trace_result_release(&res);
	}
	kmrv_spec_set_release(&set);
	return c;
}

/* @count: the first spec's (alloc-free's) count, a known figure of the sample */
static void same_verdicts_on(const char *path, enum kmrv_scope scope,
			     const char *count)
{
	struct checked one = check(path, 1, false, scope, 0);

	assert_int_equal(one.ret, 0);
	assert_int_equal(one.threads, 1);
	/* the comparison is not of empty reports */
	assert_non_null(strstr(one.json, count));
	for (int threads = 2; threads <= 6; threads++) {
		struct checked many = check(path, threads, false, scope, 0);

		assert_int_equal(many.ret, 0);
		/* never more threads than specs */
		assert_int_equal(many.threads, threads < 5 ? threads : 5);
		assert_string_equal(many.json, one.json);
		free(many.json);
	}
	free(one.json);
}

static void threads_give_the_verdicts_of_one(void **state)
{
	(void)state;
	/* the tree's pids, then all */
	same_verdicts_on(SAMPLE, KMRV_SCOPE_AUTO, "\"free-without-alloc\": 11");
	same_verdicts_on(SAMPLE, KMRV_SCOPE_ALL, "\"free-without-alloc\": 13");
	same_verdicts_on(PERF_SAMPLE, KMRV_SCOPE_AUTO, "\"free-without-alloc\": 9");
}

/* -v reads task names as the trace goes: one thread, whatever was asked. */
static void verbose_checks_on_one_thread(void **state)
{
	struct checked one = check(SAMPLE, 1, true, KMRV_SCOPE_AUTO, 0);
	struct checked asked = check(SAMPLE, 4, true, KMRV_SCOPE_AUTO, 0);

	(void)state;
	assert_int_equal(asked.ret, 0);
	assert_int_equal(asked.threads, 1);
	assert_non_null(strstr(asked.json, "\"violation_list\""));
	assert_string_equal(asked.json, one.json);
	free(one.json);
	free(asked.json);
}

/*
 * Threads left to kmrv (0: one per CPU) start only where they can pay: a
 * trace that the lane planner's 64k-event sample reads whole is checked
 * on one, a longer one on one per CPU (never more than the specs).
 */
static void automatic_threads_follow_the_trace_length(void **state)
{
	const char *mkfixture = getenv("MKFIXTURE");
	char long_trace[] = "/tmp/kmrv-test-check-XXXXXX", cmd[4096];
	struct checked one = check(SAMPLE, 1, false, KMRV_SCOPE_AUTO, 0);
	struct checked own = check(SAMPLE, 0, false, KMRV_SCOPE_AUTO, 0);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int fd = mkstemp(long_trace);

	(void)state;
	assert_int_equal(own.ret, 0);
	assert_int_equal(own.threads, 1);
	assert_string_equal(own.json, one.json);
	free(one.json);
	free(own.json);

	assert_non_null(mkfixture);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s' --synthetic 70000 --cpus 2 --live 500 '%s' >/dev/null",
		 mkfixture, long_trace);
	assert_int_equal(system(cmd), 0);
	own = check(long_trace, 0, false, KMRV_SCOPE_AUTO, 0);
	one = check(long_trace, 1, false, KMRV_SCOPE_AUTO, 0);
	unlink(long_trace);
	assert_int_equal(own.ret, 0);
	assert_int_equal(own.threads, cpus < 5 ? cpus : 5);
	assert_string_equal(own.json, one.json);
	free(one.json);
	free(own.json);
}

/* The limit stops the check at the same event with any number of threads. */
static void limit_stops_at_the_same_event(void **state)
{
	struct checked one = check(SAMPLE, 1, false, KMRV_SCOPE_AUTO, 300);

	(void)state;
	assert_int_equal(one.ret, -1);
	assert_non_null(strstr(one.err, "more than 300 automaton instances live after"));
	for (int threads = 2; threads <= 5; threads++) {
		struct checked many = check(SAMPLE, threads, false, KMRV_SCOPE_AUTO, 300);

		assert_int_equal(many.ret, -1);
		assert_string_equal(many.err, one.err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threads_give_the_verdicts_of_one),
		cmocka_unit_test(automatic_threads_follow_the_trace_length),
		cmocka_unit_test(verbose_checks_on_one_thread),
		cmocka_unit_test(limit_stops_at_the_same_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
