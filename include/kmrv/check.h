/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h - run a set of specs over one trace file and collect the result:
 * file -> events -> automata -> verdicts -> result.
 */
#ifndef KMRV_CHECK_H
#define KMRV_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "kmrv/result.h"
#include "kmrv/spec.h"

/*
 * Which violations are reported. Every event reaches the automata
 * whatever the filter: frees happen in RCU callbacks, softirqs and
 * kworkers, so state is keyed across all PIDs.
 */
struct kmrv_filter {
	size_t		nr_pids;
	const int	*pids;
	size_t		nr_comms;
	char * const	*comms;
};

/*
 * Whose violations are reported, for traces made by `kmrv record`: their
 * first event is a marker "kmrv-record: pid=PID argv=..." naming the
 * command's root pid; sched_process_fork events from a pid in the tree
 * add the child. A violation belongs to the tree if its event's pid does
 * (for objects unfreed at the end: the allocating pid).
 */
enum kmrv_scope {
	KMRV_SCOPE_AUTO,	/* the tree if the trace begins with a marker, else all */
	KMRV_SCOPE_TREE,	/* the tree; a trace without a marker is an error */
	KMRV_SCOPE_ALL,		/* every pid */
};

struct kmrv_check_opts {
	const struct kmrv_spec_set	*specs;
	struct kmrv_filter		filter;		/* within the scope */
	enum kmrv_scope			scope;
	bool				keep_violations;	/* for -v */
	const char			*reader;	/* NULL: the format's default */
	/*
	 * At most this many automaton instances live at once, summed over
	 * the specs (0: no limit); about 200 bytes of memory each.
	 */
	size_t				max_keys;
	/*
	 * Threads stepping the automata of one trace, each taking some of
	 * the specs (0: one per CPU, but one for a trace of fewer than 64k
	 * events). Never more than there are specs, and one with
	 * keep_violations or comm filters. Verdicts are the same whatever
	 * the number.
	 */
	int				threads;
};

#define KMRV_MAX_THREADS	64

/*
 * kmrv_check_default_max_keys - the default limit: what a quarter of the
 * machine's physical memory holds (at least 1M, at most 256M keys).
 */
size_t kmrv_check_default_max_keys(void);

/*
 * kmrv_check_file - check one trace.
 * Returns 0 with @res filled, or -1 with a one-line "PATH: problem" in
 * @err (and nothing to release in @res); exceeding opts->max_keys is
 * such an error, never a partial result.
 */
int kmrv_check_file(const char *path, const struct kmrv_check_opts *opts,
		    struct kmrv_trace_result *res, char *err, size_t errlen);

#endif /* KMRV_CHECK_H */
