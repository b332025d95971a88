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
 * A guess at a spec's cost per event, to share the specs out evenly. A
 * table that keeps every object seen costs a cache miss or two an event,
 * history one more line; group specs keep a few instances per task.
 */
#define READER_WEIGHT	2

static int spec_weight(const struct kmrv_spec *spec)
{
	uint64_t all = spec->nr_states >= 64 ? ~0ULL : (1ULL << spec->nr_states) - 1;
	int weight = 2;

	if (spec->group != KMRV_GROUP_NONE)
		return 1;
	if ((spec->forgettable | 1ULL << spec->initial) != all)
		weight += 2;
	for (int s = 0; s < spec->nr_states; s++) {
		if (spec->at_end[s] != KMRV_NONE) {
			weight += 2;
			break;
		}
	}
	return weight;
}

/*
 * Heaviest spec first, each to the least loaded lane; lane 0 also reads.
 * Fills @lane_of; a lane keeps its specs in the set's order.
 */
static int plan_lanes(struct run *run, int *lane_of)
{
	const struct kmrv_spec_set *set = run->opts->specs;
	int nr_lanes = lanes_wanted(run->opts, set->nr);
	int load[KMRV_MAX_THREADS] = { READER_WEIGHT };
	bool *placed = calloc(set->nr ? set->nr : 1, sizeof(*placed));

	if (nr_lanes > KMRV_MAX_THREADS)
		nr_lanes = KMRV_MAX_THREADS;
	run->lanes = calloc(nr_lanes, sizeof(*run->lanes));
	if (!placed || !run->lanes) {
		free(placed);
		return -1;
	}
	run->nr_lanes = nr_lanes;
	for (int k = 0; k < nr_lanes; k++) {
		run->lanes[k].run = run;
		pidtree_init(&run->lanes[k].tree, run->opts->scope);
		run->lanes[k].monitors = calloc(set->nr ? set->nr : 1,
						sizeof(*run->lanes[k].monitors));
		if (!run->lanes[k].monitors) {
			free(placed);
			return -1;
		}
	}
	for (int n = 0; n < set->nr; n++) {
		int heaviest = -1, lightest = 0;

		for (int i = 0; i < set->nr; i++)
			if (!placed[i] && (heaviest < 0 ||
			    spec_weight(set->specs[i]) > spec_weight(set->specs[heaviest])))
				heaviest = i;
		for (int k = 1; k < nr_lanes; k++)
			if (load[k] < load[lightest])
				lightest = k;
		placed[heaviest] = true;
		lane_of[heaviest] = lightest;
		load[lightest] += spec_weight(set->specs[heaviest]);
	}
	free(placed);
	return 0;
}

static int setup(struct run *run, char *err, size_t errlen)
{
	const struct kmrv_spec_set *set = run->opts->specs;
	/* -v lists every violation with the object's history */
	unsigned int flags = run->opts->keep_violations ? KMRV_MONITOR_HISTORY : 0;
	int *lane_of;

	run->nr = set->nr;
	run->monitors = calloc(set->nr ? set->nr : 1, sizeof(*run->monitors));
	run->collectors = calloc(set->nr ? set->nr : 1, sizeof(*run->collectors));
	lane_of = calloc(set->nr ? set->nr : 1, sizeof(*lane_of));
	if (!run->monitors || !run->collectors || !lane_of || plan_lanes(run, lane_of))
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
	}
	free(lane_of);
	return 0;
nomem:
	free(lane_of);
	snprintf(err, errlen, "%s: out of memory", run->res->path);
	return -1;
}

static int finish(struct run *run, char *err, size_t errlen)
{
	struct kmrv_trace_result *res = run->res;
	struct kmrv_monitor_stats st;
	int ret = 0;

	res->specs = calloc(run->nr ? run->nr : 1, sizeof(*res->specs));
	if (!res->specs)
		ret = -1;
	for (int i = 0; i < run->nr; i++) {
		collector_set_end(run->collectors[i], res->last_ts);
		kmrv_monitor_finish(run->monitors[i]);
		kmrv_monitor_stats(run->monitors[i], &st);
		kmrv_monitor_free(run->monitors[i]);
		run->monitors[i] = NULL;
		if (res->specs) {
			if (collector_finish(run->collectors[i], st.peak_live,
					     &res->specs[res->nr_specs]))
				ret = -1;
			res->nr_specs++;
		}
		run->collectors[i] = NULL;
	}
	if (ret)
		snprintf(err, errlen, "%s: out of memory", res->path);
	return ret;
}

static void teardown(struct run *run)
{
	for (int i = 0; i < run->nr; i++) {
		if (run->monitors && run->monitors[i])
			kmrv_monitor_free(run->monitors[i]);
		if (run->collectors && run->collectors[i])
			collector_discard(run->collectors[i]);
	}
	free(run->monitors);
	free(run->collectors);
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
