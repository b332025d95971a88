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

struct kmrv_check_opts {
	const struct kmrv_spec_set	*specs;
	struct kmrv_filter		filter;
	bool				keep_violations;	/* for -v */
};

/*
 * kmrv_check_file - check one trace.
 * Returns 0 with @res filled, or -1 with a one-line "PATH: problem" in
 * @err (and nothing to release in @res).
 */
int kmrv_check_file(const char *path, const struct kmrv_check_opts *opts,
		    struct kmrv_trace_result *res, char *err, size_t errlen);

#endif /* KMRV_CHECK_H */
