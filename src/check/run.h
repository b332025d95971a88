/* SPDX-License-Identifier: GPL-2.0 */
/*
 * run.h - one check of one trace, shared by check.c (set-up, results) and
 * stream.c (the events through the monitors). Private to src/check.
 *
 * The monitors are split into lanes. A lane steps its monitors over every
 * event in trace order and keeps its own copy of the process tree, so
 * lanes share nothing while they run: lane 0 runs on the reading thread,
 * each other lane on a thread of its own. One lane is the plain
 * single-threaded check.
 */
#ifndef KMRV_CHECK_RUN_H
#define KMRV_CHECK_RUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kmrv/check.h"
#include "kmrv/engine.h"
#include "kmrv/trace.h"
#include "collect.h"
#include "tree.h"

struct run;
struct ring;

/* Events read and stepped at a time (stream.c). */
#define BATCH_EVENTS	512

struct lane {
	struct run		*run;
	int			nr;		/* monitors in this lane */
	struct kmrv_monitor	**monitors;	/* borrowed from the run */
	/*
	 * By tracepoint, those of them whose spec takes its events: on real
	 * recordings four events in five are kmem_cache ones, which only
	 * the slab- specs take.
	 */
	struct kmrv_monitor	**by_tp[KMRV_TP__COUNT];
	int			nr_by_tp[KMRV_TP__COUNT];
	/*
	 * Of those, the ones whose tables have outgrown the cache, renewed
	 * each batch: a prefetch into a table that fits costs instructions
	 * and saves nothing.
	 */
	struct kmrv_monitor	**misses_by_tp[KMRV_TP__COUNT];
	int			nr_misses_by_tp[KMRV_TP__COUNT];
	/*
	 * The key types its monitors hash (kmrv_monitor_key_types), and
	 * the batch's events' hashes of those, computed where an event is
	 * prefetched and taken again by its step.
	 */
	unsigned int		key_types;
	struct kmrv_key_hashes	hashes[BATCH_EVENTS];
	struct pidtree		tree;		/* its collectors ask this one */
	pthread_t		thread;
	bool			started;
	/* under the ring's lock: */
	uint64_t		done;		/* batches stepped */
	int			err;		/* -ENOMEM, sticky */
};

struct run {
	const struct kmrv_check_opts	*opts;
	struct kmrv_trace		*trace;
	struct kmrv_trace_result	*res;
	int				nr;		/* specs */
	struct kmrv_monitor		**monitors;	/* [spec] */
	/*
	 * [spec]: its at-end verdicts were given on the reading thread
	 * (written by that thread only; stream_events says which it gave)
	 */
	bool				*ended_here;
	struct collector		**collectors;	/* [spec] */
	int				nr_lanes;
	struct lane			*lanes;
	struct ring			*ring;		/* nr_lanes > 1 */
	size_t				cap_gaps;
	size_t				bound;		/* >= the live instances */
};

/*
 * stream_events - every event of run->trace through the lanes' monitors,
 * then, if all went well, the end of the trace (kmrv_monitor_finish: the
 * at-end verdicts, shared out by spec among the lanes' threads).
 * Returns 0, -EIO (a read error, @err filled by the reader), -E2BIG
 * (more than opts->max_keys instances live) or -ENOMEM.
 *
 * On 0, the specs run->ended_here marks have their at-end verdicts, and
 * other threads may still be giving the others': stream_join() before
 * touching their monitors or collectors. On an error every thread it
 * started has ended.
 */
int stream_events(struct run *run, char *err, size_t errlen);

/* Wait for the other lanes to end; at once if none is running. */
void stream_join(struct run *run);

/* Live instances, summed over the specs (no lane may be running). */
size_t run_live_keys(const struct run *run);

#endif /* KMRV_CHECK_RUN_H */
