/* SPDX-License-Identifier: GPL-2.0 */
/*
 * result.h - what a check of one trace found: the model that the text and
 * JSON reports print, and that diff and merge compare.
 *
 * Call sites are kept as strings ("function+0xoff", or "0xADDR" without
 * kallsyms): addresses change every boot, symbols are what compare across
 * runs. Rows are sorted: pids and sites by total violations (descending),
 * then by key; unfreed sites by count, then bytes.
 */
#ifndef KMRV_RESULT_H
#define KMRV_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmrv/event.h"

#define KMRV_COMM_LEN	16

struct kmrv_pid_row {
	int32_t		pid;
	char		comm[KMRV_COMM_LEN];	/* "" when unknown */
	uint64_t	*counts;		/* [nr_kinds] */
	uint64_t	total;
};

struct kmrv_site_row {
	char		*site;
	uint64_t	*counts;		/* [nr_kinds] */
	uint64_t	total;
};

struct kmrv_unfreed_row {
	char		*site;			/* allocation site */
	uint64_t	count;
	uint64_t	bytes;			/* bytes_alloc summed */
	uint64_t	oldest_age_ns;		/* end of trace - oldest alloc */
};

/* One violation, kept only for `check -v`. */
struct kmrv_violation {
	int		kind;
	uint64_t	ptr;
	uint64_t	ts;			/* 0 for end-of-trace verdicts */
	uint32_t	cpu;
	int32_t		pid;
	char		comm[KMRV_COMM_LEN];
	char		*site;
	bool		has_alloc;		/* where ptr was last allocated */
	uint64_t	alloc_ts;
	char		*alloc_site;
	int32_t		alloc_pid;
	bool		has_free;		/* where it was first freed */
	uint64_t	free_ts;
	char		*free_site;
	int32_t		free_pid;
};

struct kmrv_spec_result {
	char		*name;
	char		*description;
	int		nr_kinds;
	char		**kinds;
	uint64_t	*counts;		/* [nr_kinds] */
	size_t		nr_pids;
	struct kmrv_pid_row *pids;
	size_t		nr_sites;
	struct kmrv_site_row *sites;
	size_t		nr_unfreed;
	struct kmrv_unfreed_row *unfreed;
	size_t		nr_violations;
	struct kmrv_violation *violations;
	uint64_t	peak_instances;		/* automaton instances alive at most */
};

/* A stretch the ring buffer lost: @count events on @cpu before @ts. */
struct kmrv_lost_gap {
	uint32_t	cpu;
	uint64_t	ts;
	int64_t		count;			/* -1: the file did not say */
};

/* The command a `kmrv record` trace was made for, from its marker line. */
struct kmrv_command {
	bool		present;		/* the trace has a marker */
	int32_t		pid;			/* root of the process tree */
	char		*argv;			/* as recorded, maybe cut short */
	uint64_t	tree_pids;		/* pids (threads too) in the tree */
	bool		tree_only;		/* only the tree's violations reported */
};

struct kmrv_trace_result {
	char		*path;
	char		*error;			/* set when the trace could not be checked */
	int		nr_cpus;
	uint64_t	events;			/* kmem and sched records read */
	uint64_t	by_tp[KMRV_TP__COUNT];
	uint64_t	failed_allocs;		/* allocator returned NULL */
	uint64_t	null_frees;		/* kfree(NULL / ZERO_SIZE_PTR) */
	uint64_t	lost_events;		/* sum of known counts */
	uint64_t	lost_unknown;		/* gaps whose size is unknown */
	size_t		nr_gaps;
	struct kmrv_lost_gap *gaps;
	bool		complete;		/* no gap at all */
	uint64_t	first_ts, last_ts;
	struct kmrv_command command;
	int		nr_specs;
	struct kmrv_spec_result *specs;
	/* threads that stepped the automata (not reported: verdicts never depend on it) */
	int		threads;
};

void kmrv_trace_result_release(struct kmrv_trace_result *r);

/* Free what one spec's result holds and zero it (safe on a zeroed one). */
void kmrv_spec_result_release(struct kmrv_spec_result *s);

#endif /* KMRV_RESULT_H */
