// SPDX-License-Identifier: GPL-2.0
/*
 * check.c - one trace through every selected spec.
 *
 * The trace is read once; each event goes to one monitor per spec
 * (stream.c). Here: the monitors and their collectors, shared out among
 * lanes (run.h), and the results gathered when the trace ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

static int stream(struct run *run, char *err, size_t errlen)
{
	int ret = stream_events(run, err, errlen);

	switch (ret) {
	case 0:
		return 0;
	case -EIO:	/* the reader said why */
		return -1;
	case -E2BIG:
		snprintf(err, errlen, "%s: more than %zu automaton instances live after %llu events "
			 "(the limit; raise it with --max-keys N, 0 for none)",
			 run->res->path, run->opts->max_keys,
			 (unsigned long long)run->res->events);
		return -1;
	default:
		snprintf(err, errlen, "%s: out of memory after %llu events",
			 run->res->path, (unsigned long long)run->res->events);
		return -1;
	}
}

static uint64_t kmem_events(const struct kmrv_trace_result *res)
{
	uint64_t n = 0;

	for (int tp = KMRV_TP_KMALLOC; tp <= KMRV_TP_CACHE_FREE; tp++)
		n += res->by_tp[tp];
	return n;
}

/*
 * Verdicts with -v and --comm filters read task names, which the reader
 * changes as it goes (a fork or exec renames a task): those checks stay
 * on the reading thread, where a name is the one it has at the event.
 */
static int lanes_wanted(const struct kmrv_check_opts *opts, int nr_specs)
{
	long n = opts->threads;

	if (opts->keep_violations || opts->filter.nr_comms)
		return 1;
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n > nr_specs)
		n = nr_specs;
	return n < 1 ? 1 : (int)n;
}

/*
 * The work of a lane is the events its specs bind times their cost per
 * event, plus the reading on lane 0. Costs in halves of a group spec's,
 * from `--spec X -t 1` on the 20M bench trace against a spec that binds
 * none of its events (0.78 s: reading, batching, the loops): group
 * specs 14-20 ns/event more, whose holders sit in a small map; a table
 * that keeps states costs cache misses (alloc-free 55); one keyed by
 * pid and pointer holds a key for every task an object met (no-realloc
 * 82); the reading alone 25 (bench/run.sh, "direct reader alone").
 *
 * With 1, 2, 4 and 6, lane 0 took the reading, slab-alloc-free and
 * both group specs, and the other lane alloc-free and no-realloc: that
 * lane had 55-57% of the two threads' samples (perf), two large tables
 * missing on one core. With these it takes no-realloc and the group
 * specs: 50-53%.
 */
#define READER_COST	3
#define SAMPLE_EVENTS	65536

static int spec_cost(const struct kmrv_spec *spec)
{
	uint64_t all = spec->nr_states >= 64 ? ~0ULL : (1ULL << spec->nr_states) - 1;
	int cost = 2;

	if (spec->group != KMRV_GROUP_NONE)
		return 2;
	if ((spec->forgettable | 1ULL << spec->initial) != all)
		cost += 4;
	if (spec->key == KMRV_KEY_PID_PTR)
		cost += 4;
	return cost;
}

/*
 * The events of each tracepoint among the first SAMPLE_EVENTS, read by a
 * second direct reader: which specs have work depends on the recording
 * (on real ones kmem_cache events outnumber kmalloc four to one, and
 * only slab- specs take them). Every count 1 where there is no direct
 * reader to ask (libtracecmd would inflate a compressed file first).
 * True if the sample is the whole trace.
 */
static bool sample_events(const struct run *run, uint64_t *count)
{
	const char *reader = run->opts->reader;
	struct kmrv_trace *t = NULL;
	struct kmrv_event ev;
	char err[256];
	int n = 0, got = 1;

	for (int tp = 0; tp < KMRV_TP__COUNT; tp++)
		count[tp] = 1;
	if (!reader || !strcmp(reader, "direct"))
		t = kmrv_trace_open_reader(run->res->path, "direct", err, sizeof(err));
	if (!t)
		return false;
	while (n < SAMPLE_EVENTS &&
	       (got = kmrv_trace_next(t, &ev, err, sizeof(err))) > 0) {
		if (ev.tp < KMRV_TP__COUNT)
			count[ev.tp]++;
		n++;
	}
	kmrv_trace_close(t);
	return got == 0;
}

static double spec_work(const struct kmrv_spec *spec, const uint64_t *count)
{
	double events = 0;

	for (int tp = 0; tp < KMRV_TP__COUNT; tp++)
		if (spec->tp_event[tp] != KMRV_NONE)
			events += count[tp];
	return events * spec_cost(spec);
}

/*
 * Heaviest spec first, each to the least loaded lane; lane 0 also reads.
 * Fills @lane_of; a lane keeps its specs in the set's order.
 */
static int plan_lanes(struct run *run, int *lane_of)
{
	const struct kmrv_spec_set *set = run->opts->specs;
	int nr_lanes = lanes_wanted(run->opts, set->nr);
	double load[KMRV_MAX_THREADS] = { 0 }, *work;
	uint64_t count[KMRV_TP__COUNT], events = 0;
	size_t row = set->nr ? set->nr : 1;
	bool *placed = calloc(row, sizeof(*placed));
	int ret = -1;

	work = calloc(row, sizeof(*work));
	if (!placed || !work)
		goto out;
	if (nr_lanes > KMRV_MAX_THREADS)
		nr_lanes = KMRV_MAX_THREADS;
	/*
	 * Unless the user named a number: a trace the sample reads whole is
	 * too short for a thread to pay for its start and its ring (a
	 * check of samples/record-sh-ls.dat: 27 ms on two threads, 21 on one).
	 */
	if (nr_lanes > 1 && sample_events(run, count) && run->opts->threads <= 0)
		nr_lanes = 1;
	run->lanes = calloc(nr_lanes, sizeof(*run->lanes));
	if (!run->lanes)
		goto out;
	run->nr_lanes = nr_lanes;
	for (int k = 0; k < nr_lanes; k++) {
		struct lane *l = &run->lanes[k];

		l->run = run;
		pidtree_init(&l->tree, run->opts->scope);
		/* the lane's monitors, then two rows as long for each tracepoint */
		l->monitors = calloc((2 * KMRV_TP__COUNT + 1) * row,
				     sizeof(*l->monitors));
		if (!l->monitors)
			goto out;
		for (int tp = 0; tp < KMRV_TP__COUNT; tp++) {
			l->by_tp[tp] = l->monitors + (tp + 1) * row;
			l->misses_by_tp[tp] = l->by_tp[tp] + KMRV_TP__COUNT * row;
		}
	}
	ret = 0;
	if (nr_lanes == 1)
		goto out;

	for (int tp = 0; tp < KMRV_TP__COUNT; tp++)
		events += count[tp];
	load[0] = (double)events * READER_COST;
	for (int i = 0; i < set->nr; i++)
		work[i] = spec_work(set->specs[i], count);
	for (int n = 0; n < set->nr; n++) {
		int heaviest = -1, lightest = 0;

		for (int i = 0; i < set->nr; i++)
			if (!placed[i] && (heaviest < 0 || work[i] > work[heaviest]))
				heaviest = i;
		for (int k = 1; k < nr_lanes; k++)
			if (load[k] < load[lightest])
				lightest = k;
		placed[heaviest] = true;
		lane_of[heaviest] = lightest;
		load[lightest] += work[heaviest];
	}
out:
	free(placed);
	free(work);
	return ret;
}

static int setup(struct run *run, char *err, size_t errlen)
{
	const struct kmrv_spec_set *set = run->opts->specs;
	/*
	 * -v lists every violation with the object's history, leaks in
	 * (ptr, pid) order; without it the collectors only add verdicts up,
	 * in whatever order they come.
	 */
	unsigned int flags = run->opts->keep_violations ? KMRV_MONITOR_HISTORY :
							  KMRV_MONITOR_END_UNSORTED;
	int *lane_of;

	run->nr = set->nr;
	run->monitors = calloc(set->nr ? set->nr : 1, sizeof(*run->monitors));
	run->collectors = calloc(set->nr ? set->nr : 1, sizeof(*run->collectors));
	run->ended_here = calloc(set->nr ? set->nr : 1, sizeof(*run->ended_here));
	lane_of = calloc(set->nr ? set->nr : 1, sizeof(*lane_of));
	if (!run->monitors || !run->collectors || !run->ended_here || !lane_of ||
	    plan_lanes(run, lane_of))
		goto nomem;
	for (int i = 0; i < set->nr; i++) {
		struct lane *l = &run->lanes[lane_of[i]];

		run->collectors[i] = collector_new(set->specs[i], run->opts, run->trace,
						   &l->tree);
		if (!run->collectors[i])
			goto nomem;
		run->monitors[i] = kmrv_monitor_new(set->specs[i], flags,
						    collector_verdict,
						    run->collectors[i]);
		if (!run->monitors[i])
			goto nomem;
		l->monitors[l->nr++] = run->monitors[i];
		l->key_types |= kmrv_monitor_key_types(run->monitors[i]);
		for (int tp = 0; tp < KMRV_TP__COUNT; tp++)
			if (set->specs[i]->tp_event[tp] != KMRV_NONE)
				l->by_tp[tp][l->nr_by_tp[tp]++] = run->monitors[i];
	}
	free(lane_of);
	return 0;
nomem:
	free(lane_of);
	snprintf(err, errlen, "%s: out of memory", run->res->path);
	return -1;
}

/* Spec @i's result, in place; its monitor and collector are gone after. */
static int finish_spec(struct run *run, int i)
{
	struct kmrv_monitor_stats st;
	int ret;

	collector_set_end(run->collectors[i], run->res->last_ts);
	kmrv_monitor_stats(run->monitors[i], &st);
	kmrv_monitor_free(run->monitors[i]);
	run->monitors[i] = NULL;
	ret = collector_finish(run->collectors[i], st.peak_live,
			       &run->res->specs[i]);
	run->collectors[i] = NULL;
	return ret;
}

/*
 * The specs whose at-end verdicts the reading thread gave have their
 * results built first (their sites symbolized, which parses kallsyms
 * and the cmdlines the first time) while the other threads may still
 * give theirs. Their collectors never read the trace, so this shares
 * nothing.
 */
static int finish(struct run *run, char *err, size_t errlen)
{
	struct kmrv_trace_result *res = run->res;
	int ret = 0;

	res->specs = calloc(run->nr ? run->nr : 1, sizeof(*res->specs));
	if (!res->specs) {
		snprintf(err, errlen, "%s: out of memory", res->path);
		return -1;
	}
	res->nr_specs = run->nr;
	for (int own = 1; own >= 0; own--) {
		if (!own)
			stream_join(run);
		for (int i = 0; i < run->nr; i++)
			if (run->ended_here[i] == own && finish_spec(run, i))
				ret = -1;
	}
	if (ret)
		snprintf(err, errlen, "%s: out of memory", res->path);
	return ret;
}

static void teardown(struct run *run)
{
	stream_join(run);
	for (int i = 0; i < run->nr; i++) {
		if (run->monitors && run->monitors[i])
			kmrv_monitor_free(run->monitors[i]);
		if (run->collectors && run->collectors[i])
			collector_discard(run->collectors[i]);
	}
	free(run->monitors);
	free(run->collectors);
	free(run->ended_here);
	for (int k = 0; k < run->nr_lanes; k++) {
		free(run->lanes[k].monitors);
		pidtree_release(&run->lanes[k].tree);
	}
	free(run->lanes);
	if (run->trace)
		kmrv_trace_close(run->trace);
}

size_t kmrv_check_default_max_keys(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	size_t keys = 256u << 20;

	/* up to 80 bytes a slot, 4/3 to 8/3 slots a key, twice while growing */
	if (pages > 0 && page > 0 && (uint64_t)pages * page / 4 / 200 < keys)
		keys = (uint64_t)pages * page / 4 / 200;
	return keys < (1u << 20) ? 1u << 20 : keys;
}

int kmrv_check_file(const char *path, const struct kmrv_check_opts *opts,
		    struct kmrv_trace_result *res, char *err, size_t errlen)
{
	struct run run = { .opts = opts, .res = res };
	int ret = -1;

	memset(res, 0, sizeof(*res));
	res->path = strdup(path);
	if (!res->path) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	run.trace = kmrv_trace_open_reader(path, opts->reader, err, errlen);
	if (!run.trace)
		goto out;
	res->nr_cpus = kmrv_trace_cpus(run.trace);
	if (setup(&run, err, errlen) || stream(&run, err, errlen))
		goto out;
	if (!kmem_events(res)) {
		snprintf(err, errlen, "%s: no kmem events recorded (%llu other events)",
			 path, (unsigned long long)res->events);
		goto out;
	}
	res->complete = res->nr_gaps == 0;
	res->threads = run.nr_lanes;
	if (pidtree_finish(&run.lanes[0].tree, path, &res->command, err, errlen))
		goto out;
	ret = finish(&run, err, errlen);
out:
	teardown(&run);
	if (ret)
		kmrv_trace_result_release(res);
	return ret;
}
