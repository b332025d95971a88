// SPDX-License-Identifier: GPL-2.0
/*
 * check.c - one trace through every selected spec.
 *
 * The trace is read once; each event goes to one monitor per spec. Lost
 * events are not fed to the automata (they carry no object) but are
 * recorded as gaps: a verdict after a gap may be wrong, and the result
 * says so (complete = false).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmrv/check.h"
#include "kmrv/engine.h"
#include "kmrv/trace.h"
#include "collect.h"
#include "tree.h"

struct run {
	const struct kmrv_check_opts	*opts;
	struct kmrv_trace		*trace;
	struct kmrv_trace_result	*res;
	int				nr;
	struct kmrv_monitor		**monitors;
	struct collector		**collectors;
	struct pidtree			tree;
	size_t				cap_gaps;
};

static int add_gap(struct run *run, const struct kmrv_event *ev)
{
	struct kmrv_trace_result *res = run->res;

	if (res->nr_gaps == run->cap_gaps) {
		size_t cap = run->cap_gaps ? run->cap_gaps * 2 : 16;
		void *p = realloc(res->gaps, cap * sizeof(*res->gaps));

		if (!p)
			return -1;
		res->gaps = p;
		run->cap_gaps = cap;
	}
	res->gaps[res->nr_gaps].cpu = ev->cpu;
	res->gaps[res->nr_gaps].ts = ev->ts;
	res->gaps[res->nr_gaps].count = ev->lost;
	res->nr_gaps++;
	if (ev->lost < 0)
		res->lost_unknown++;
	else
		res->lost_events += ev->lost;
	return 0;
}

static void count_event(struct kmrv_trace_result *res, const struct kmrv_event *ev)
{
	res->events++;
	res->by_tp[ev->tp]++;
	if (!res->first_ts)
		res->first_ts = ev->ts;
	res->last_ts = ev->ts;
	if (kmrv_event_is_failed_alloc(ev))
		res->failed_allocs++;
	else if (kmrv_event_is_null_free(ev))
		res->null_frees++;
}

/* Live instances, summed over the specs. */
static size_t live_keys(const struct run *run)
{
	struct kmrv_monitor_stats st;
	size_t live = 0;

	for (int i = 0; i < run->nr; i++) {
		kmrv_monitor_stats(run->monitors[i], &st);
		live += st.live;
	}
	return live;
}

/*
 * Events are read LOOKAHEAD ahead of the automata: when an event enters
 * the window its instances are prefetched, when it leaves it is stepped.
 * A lookup in a table of a million instances is a cache miss or two;
 * overlapping the misses of several events instead of taking them one
 * after another is most of what makes the check fast (bench/run.sh).
 * Steps happen in trace order, so verdicts are the same as without.
 */
#define LOOKAHEAD	16	/* a power of two */

struct window {
	struct kmrv_event	ev[LOOKAHEAD];
	unsigned int		head, len;	/* oldest, and how many */
};

/* One event through the automata, in trace order. */
static int step(struct run *run, const struct kmrv_event *ev, size_t *bound)
{
	size_t max_keys = run->opts->max_keys;

	if (ev->tp == KMRV_TP_LOST)
		return add_gap(run, ev) ? -ENOMEM : 0;
	count_event(run->res, ev);
	pidtree_step(&run->tree, ev);
	for (int i = 0; i < run->nr; i++)
		if (kmrv_monitor_step(run->monitors[i], ev))
			return -ENOMEM;
	/*
	 * An event adds at most one instance per spec, so the tables are
	 * counted only when the bound passes the limit.
	 */
	*bound += run->nr;
	if (max_keys && *bound > max_keys && (*bound = live_keys(run)) > max_keys)
		return -E2BIG;
	return 0;
}

static int drain(struct run *run, struct window *w, size_t *bound)
{
	for (; w->len; w->len--, w->head = (w->head + 1) % LOOKAHEAD) {
		int ret = step(run, &w->ev[w->head], bound);

		if (ret)
			return ret;
	}
	return 0;
}

static int stream_events(struct run *run, char *err, size_t errlen)
{
	struct window *w = calloc(1, sizeof(*w));
	size_t bound = 0;	/* >= the live instances */
	struct kmrv_event *ev;
	int ret = -ENOMEM, got;

	if (!w)
		return ret;
	for (;;) {
		if (w->len == LOOKAHEAD) {
			ret = step(run, &w->ev[w->head], &bound);
			if (ret)
				goto out;
			w->head = (w->head + 1) % LOOKAHEAD;
			w->len--;
		}
		ev = &w->ev[(w->head + w->len) % LOOKAHEAD];
		got = kmrv_trace_next(run->trace, ev, err, errlen);
		if (got <= 0)
			break;
		if (ev->text) {
			/* its text lives only until the next read: step it now */
			w->len++;
			ret = drain(run, w, &bound);
			if (ret)
				goto out;
			continue;
		}
		for (int i = 0; i < run->nr; i++)
			kmrv_monitor_prefetch(run->monitors[i], ev);
		w->len++;
	}
	/* a read error ends the run: what was read before it is moot */
	ret = got < 0 ? -EIO : drain(run, w, &bound);
out:
	free(w);
	return ret;
}

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

static int setup(struct run *run, char *err, size_t errlen)
{
	const struct kmrv_spec_set *set = run->opts->specs;
	/* -v lists every violation with the object's history */
	unsigned int flags = run->opts->keep_violations ? KMRV_MONITOR_HISTORY : 0;

	run->nr = set->nr;
	run->monitors = calloc(set->nr ? set->nr : 1, sizeof(*run->monitors));
	run->collectors = calloc(set->nr ? set->nr : 1, sizeof(*run->collectors));
	if (!run->monitors || !run->collectors)
		goto nomem;
	for (int i = 0; i < set->nr; i++) {
		run->collectors[i] = collector_new(set->specs[i], run->opts, run->trace,
						   &run->tree);
		if (!run->collectors[i])
			goto nomem;
		run->monitors[i] = kmrv_monitor_new(set->specs[i], flags,
						    collector_verdict,
						    run->collectors[i]);
		if (!run->monitors[i])
			goto nomem;
	}
	return 0;
nomem:
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
	pidtree_release(&run->tree);
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

	pidtree_init(&run.tree, opts->scope);
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
	if (pidtree_finish(&run.tree, path, &res->command, err, errlen))
		goto out;
	ret = finish(&run, err, errlen);
out:
	teardown(&run);
	if (ret)
		kmrv_trace_result_release(res);
	return ret;
}
