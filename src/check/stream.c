// SPDX-License-Identifier: GPL-2.0
/*
 * stream.c - the events of one trace through the monitors.
 *
 * The reading thread fills batches of events; every lane (run.h) steps
 * every batch in trace order, so each monitor sees exactly the sequence
 * it would see alone and verdicts do not depend on the number of lanes.
 * With several lanes the batches go round a ring: lane 0 steps a batch
 * right after reading it, the other lanes follow on their own threads at
 * most RING_BATCHES behind.
 *
 * Why threads: the large specs are bound by cache misses in their tables
 * (one or two per event each), and one core keeps only so many misses in
 * flight. The specs are independent, so a second core's worth of misses
 * comes from giving it half of them (bench/run.sh, "threads" rows).
 *
 * Lost events are not fed to the automata (they carry no object) but are
 * recorded as gaps: a verdict after a gap may be wrong, and the result
 * says so (complete = false).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/bigmem.h"
#include "run.h"

/*
 * 256 batches, 10 MiB: deep enough that the lanes rarely wait for each
 * other. A lane stalls for a moment whenever one of its tables grows (a
 * rehash of millions of entries); with 8 batches the other lane then
 * stopped too, soon after, and each lane sat idle a third of the run
 * (perf, per thread). --spec all on the 20M bench trace, two lanes,
 * medians of 3 alternating runs: 8 batches 4.99 s, 64 4.71 s, 256 4.45 s.
 */
#define RING_BATCHES	256
/*
 * An event's instances are prefetched LOOKAHEAD events before it is
 * stepped. A lookup in a table of a million instances is a cache miss or
 * two; overlapping the misses of several events instead of taking them
 * one after another is most of what makes a lane fast.
 */
#define LOOKAHEAD	16
/*
 * Reader and lanes wake each other every WAKE_BATCHES batches, not every
 * batch: a futex wake-up is a system call, and on a real recording whose
 * second lane had little to do (kmem_cache events dominate, and one spec
 * takes them all) the wake-ups of every batch cost a fifth of the run.
 */
#define WAKE_BATCHES	16

struct batch {
	unsigned int		n;
	bool			serial;	/* the reading thread steps all lanes */
	struct kmrv_event	ev[BATCH_EVENTS];
	/* an event with text ends its batch; its text is kept here */
	char			text[KMRV_TEXT_MAX];
};

struct ring {
	pthread_mutex_t		lock;
	pthread_cond_t		more;		/* published grew, or closing */
	pthread_cond_t		less;		/* a lane finished a batch */
	uint64_t		published;
	bool			closing;
	bool			ended;		/* closing at the trace's end */
	int			sleeping;	/* lanes waiting on more */
	uint64_t		want;		/* the reader waits for this done */
	struct batch		*b;		/* [RING_BATCHES] */
	/*
	 * At the end, the specs in the order their at-end verdicts are
	 * taken (plan_ends, before the lanes are woken to end), and the
	 * next one no thread has taken yet (take_ends).
	 */
	int			*end_order;	/* [run->nr] */
	atomic_int		next_end;
};

/* --- what the run counts, on the reading thread ------------------------ */

static int add_gap(struct run *run, const struct kmrv_event *ev)
{
	struct kmrv_trace_result *res = run->res;

	if (res->nr_gaps == run->cap_gaps) {
		size_t cap = run->cap_gaps ? run->cap_gaps * 2 : 16;
		void *p = realloc(res->gaps, cap * sizeof(*res->gaps));

		if (!p)
			return -ENOMEM;
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

static int account(struct run *run, const struct kmrv_event *ev)
{
	struct kmrv_trace_result *res = run->res;

	if (ev->tp == KMRV_TP_LOST)
		return add_gap(run, ev);
	res->events++;
	res->by_tp[ev->tp]++;
	if (!res->first_ts)
		res->first_ts = ev->ts;
	res->last_ts = ev->ts;
	if (kmrv_event_is_failed_alloc(ev))
		res->failed_allocs++;
	else if (kmrv_event_is_null_free(ev))
		res->null_frees++;
	return 0;
}

size_t run_live_keys(const struct run *run)
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
 * An event adds at most one instance per spec, so the tables are counted
 * only when the bound passes the limit.
 */
static int check_limit(struct run *run)
{
	size_t max_keys = run->opts->max_keys;

	run->bound += run->nr;
	if (max_keys && run->bound > max_keys &&
	    (run->bound = run_live_keys(run)) > max_keys)
		return -E2BIG;
	return 0;
}

/* --- lanes ------------------------------------------------------------- */

/*
 * Renewed once a batch: tables only grow while a trace is read, so a
 * monitor joins this list once and stays.
 */
static void lane_plan_prefetch(struct lane *l)
{
	for (int tp = 0; tp < KMRV_TP__COUNT; tp++) {
		int n = 0;

		for (int i = 0; i < l->nr_by_tp[tp]; i++)
			if (kmrv_monitor_misses(l->by_tp[tp][i]))
				l->misses_by_tp[tp][n++] = l->by_tp[tp][i];
		l->nr_misses_by_tp[tp] = n;
	}
}

/*
 * The @i-th event of the batch, @ev, a few events before its step: its
 * key hashes, then its instances' lines in the tables that miss. Lost
 * events are in no spec's alphabet: no monitor is ever given one.
 */
static void lane_prefetch(struct lane *l, const struct kmrv_event *ev,
			  unsigned int i)
{
	struct kmrv_monitor *const *m = l->misses_by_tp[ev->tp];
	struct kmrv_key_hashes *h = &l->hashes[i];

	kmrv_key_hashes(ev, l->key_types, h);
	for (int k = 0; k < l->nr_misses_by_tp[ev->tp]; k++)
		kmrv_monitor_prefetch(m[k], ev, h);
}

/* The @i-th event of the batch, @ev, whose hashes lane_prefetch made. */
static int lane_step(struct lane *l, const struct kmrv_event *ev,
		     unsigned int i)
{
	struct kmrv_monitor *const *m = l->by_tp[ev->tp];
	const struct kmrv_key_hashes *h = &l->hashes[i];

	if (ev->tp == KMRV_TP_LOST)
		return 0;
	pidtree_step(&l->tree, ev);
	if (!kmrv_event_names_object(ev))
		return 0;
	/* by_tp holds the monitors whose spec binds the event's tracepoint */
	for (int k = 0; k < l->nr_by_tp[ev->tp]; k++)
		if (kmrv_monitor_step_object(m[k], ev, h))
			return -ENOMEM;
	return 0;
}

/*
 * Step @b in lanes[0..@nr), LOOKAHEAD events prefetched ahead. With @run,
 * this is the reading thread: the run's counts too, and with @serial the
 * limit checked after each event, as it is with one lane.
 *
 * One copy, not inlined into its callers: inlined into lane_thread, it
 * left LTO without the budget to inline the monitors' steps into it,
 * and --spec all -t 1 on the 20M bench trace took 13 s instead of 7.5
 * (own_step called, its table load waiting on the miss in 84% of the
 * samples).
 */
static __attribute__((noinline))
int step_batch(struct lane *lanes, int nr, const struct batch *b,
	       struct run *run, bool serial)
{
	unsigned int i;
	int ret = 0;

	for (int k = 0; k < nr; k++)
		lane_plan_prefetch(&lanes[k]);
	for (i = 0; i < b->n && i < LOOKAHEAD; i++)
		for (int k = 0; k < nr; k++)
			lane_prefetch(&lanes[k], &b->ev[i], i);
	for (i = 0; i < b->n; i++) {
		const struct kmrv_event *ev = &b->ev[i];

		if (i + LOOKAHEAD < b->n)
			for (int k = 0; k < nr; k++)
				lane_prefetch(&lanes[k], &b->ev[i + LOOKAHEAD],
					      i + LOOKAHEAD);
		if (run)
			ret = account(run, ev);
		for (int k = 0; !ret && k < nr; k++)
			ret = lane_step(&lanes[k], ev, i);
		if (!ret && serial && ev->tp != KMRV_TP_LOST)
			ret = check_limit(run);
		if (ret)
			return ret;
	}
	return 0;
}

/* The reading thread's share: lane 0, or every lane in a serial batch. */
static int main_run(struct run *run, const struct batch *b, bool serial)
{
	return step_batch(run->lanes, serial ? run->nr_lanes : 1, b, run, serial);
}

/*
 * Read up to a batch. An event with text ends the batch, its text copied:
 * the reader keeps it only until the next read. Returns the reader's
 * -1, or 0 (b->n == 0 at the end).
 */
static int read_batch(struct run *run, struct batch *b, char *err, size_t errlen)
{
	int got = kmrv_trace_read(run->trace, b->ev, BATCH_EVENTS, err, errlen);
	struct kmrv_event *last = &b->ev[got > 0 ? got - 1 : 0];

	b->n = 0;
	b->serial = false;
	if (got < 0)
		return -1;
	b->n = (unsigned int)got;
	if (got && last->text) {
		snprintf(b->text, sizeof(b->text), "%s", last->text);
		last->text = b->text;
	}
	return 0;
}

/* With one lane: every spec's at-end verdicts, on the reading thread. */
static void take_all_ends(struct run *run)
{
	for (int i = 0; i < run->nr; i++) {
		kmrv_monitor_finish(run->monitors[i]);
		run->ended_here[i] = true;
	}
}

/* --- one lane ---------------------------------------------------------- */

static int stream_one_lane(struct run *run, char *err, size_t errlen)
{
	struct batch *b = malloc(sizeof(*b));
	int ret = -ENOMEM;

	if (!b)
		return ret;
	for (;;) {
		if (read_batch(run, b, err, errlen)) {
			/* what was read before a read error is moot */
			ret = -EIO;
			break;
		}
		if (!b->n) {
			ret = 0;
			break;
		}
		ret = main_run(run, b, true);
		if (ret)
			break;
	}
	free(b);
	return ret;
}

/* --- several lanes ----------------------------------------------------- */

/*
 * The trace has ended and every lane has stepped all of it: the at-end
 * verdicts are shared out by spec, not by lane, each thread taking the
 * next spec no thread has taken, the one with the most instances left
 * first. A spec's monitor and collector then have one thread again,
 * just not always their lane's. Lanes are planned for the events; at
 * the end the work is the leaks, and on the 1M-event bench slice, half
 * of whose objects leak, lane 0 had both leak specs and the other lane
 * nothing to end.
 */
static size_t end_work(const struct run *run, int spec)
{
	return kmrv_monitor_end_work(run->monitors[spec]);
}

static void plan_ends(struct run *run)
{
	int *order = run->ring->end_order;

	/* by insertion: a handful of specs */
	for (int i = 0; i < run->nr; i++) {
		int j = i;

		for (; j > 0 && end_work(run, order[j - 1]) < end_work(run, i); j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	atomic_store(&run->ring->next_end, 0);
}

/* This thread's share of the at-end verdicts; @reader: the reading one. */
static void take_ends(struct run *run, bool reader)
{
	struct ring *r = run->ring;
	int n;

	while ((n = atomic_fetch_add(&r->next_end, 1)) < run->nr) {
		int i = r->end_order[n];

		kmrv_monitor_finish(run->monitors[i]);
		if (reader)
			run->ended_here[i] = true;
	}
}

static void *lane_thread(void *arg)
{
	struct lane *l = arg;
	struct ring *r = l->run->ring;
	uint64_t seq = 0, avail;
	bool ended;
	int ret = 0;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		while (r->published == seq && !r->closing) {
			r->sleeping++;
			pthread_cond_wait(&r->more, &r->lock);
			r->sleeping--;
		}
		avail = r->published;
		ended = r->ended;
		pthread_mutex_unlock(&r->lock);
		if (avail == seq) {
			if (ended)
				take_ends(l->run, false);
			return NULL;
		}

		while (seq < avail) {
			const struct batch *b = &r->b[seq % RING_BATCHES];

			/* after an error, keep acknowledging so the reader never waits */
			if (!ret && !b->serial)
				ret = step_batch(l, 1, b, NULL, false);
			seq++;
			if (seq < avail && seq % WAKE_BATCHES && !ret)
				continue;
			pthread_mutex_lock(&r->lock);
			l->done = seq;
			if (ret)
				l->err = ret;
			if (ret || (r->want && seq >= r->want))
				pthread_cond_signal(&r->less);
			pthread_mutex_unlock(&r->lock);
		}
	}
}

/*
 * Under the ring's lock: wait until every worker lane has stepped at
 * least @seq batches. Having to sleep, wait for @slack batches more (as
 * far as published), so that reader and lanes take turns in runs of
 * batches, not one batch at a time. Returns a worker's error, if one
 * had any.
 */
static int wait_done(struct run *run, uint64_t seq, uint64_t slack)
{
	struct ring *r = run->ring;
	uint64_t enough = seq + slack < r->published ? seq + slack : r->published;

	for (int k = 1; k < run->nr_lanes; k++) {
		struct lane *l = &run->lanes[k];

		if (l->done < seq && !l->err) {
			r->want = enough > seq ? enough : seq;
			/* a lane may sleep on batches published without a wake-up */
			if (r->sleeping)
				pthread_cond_broadcast(&r->more);
			while (l->done < r->want && !l->err)
				pthread_cond_wait(&r->less, &r->lock);
			r->want = 0;
		}
		if (l->err)
			return l->err;
	}
	return 0;
}

/*
 * With a limit, a batch that could take the instances past it is stepped
 * by the reading thread in every lane, the others idle, so the check
 * stops at the very event it stops at with one lane. Until then the bound
 * grows by a batch's worth of new instances at a time.
 */
static int plan_batch(struct run *run, struct batch *b, uint64_t seq)
{
	size_t max_keys = run->opts->max_keys;
	size_t growth = (size_t)b->n * run->nr;
	int ret;

	if (!max_keys || run->bound + growth <= max_keys) {
		run->bound += growth;
		return 0;
	}
	pthread_mutex_lock(&run->ring->lock);
	ret = wait_done(run, seq, 0);
	pthread_mutex_unlock(&run->ring->lock);
	if (ret)
		return ret;
	run->bound = run_live_keys(run);
	if (run->bound + growth <= max_keys)
		run->bound += growth;
	else
		b->serial = true;
	return 0;
}

static int stream_lanes(struct run *run, char *err, size_t errlen)
{
	struct ring *r = run->ring;
	uint64_t seq;
	int ret = 0;

	for (seq = 0;; seq++) {
		struct batch *b = &r->b[seq % RING_BATCHES];

		/* the slot is free once every lane has stepped what it held */
		if (seq >= RING_BATCHES) {
			pthread_mutex_lock(&r->lock);
			ret = wait_done(run, seq - RING_BATCHES + 1,
					WAKE_BATCHES);
			pthread_mutex_unlock(&r->lock);
			if (ret)
				break;
		}
		if (read_batch(run, b, err, errlen)) {
			ret = -EIO;
			break;
		}
		if (!b->n)
			break;
		ret = plan_batch(run, b, seq);
		if (ret)
			break;

		pthread_mutex_lock(&r->lock);
		r->published = seq + 1;
		if (r->sleeping && (seq + 1) % WAKE_BATCHES == 0)
			pthread_cond_broadcast(&r->more);
		pthread_mutex_unlock(&r->lock);

		ret = main_run(run, b, b->serial);
		if (ret)
			break;
	}
	if (!ret) {
		pthread_mutex_lock(&r->lock);
		ret = wait_done(run, r->published, 0);
		pthread_mutex_unlock(&r->lock);
	}
	return ret;
}

/* Once no lane will read a batch again; a second call does nothing. */
static void free_batches(struct ring *r)
{
	kmrv_big_free(r->b, RING_BATCHES * sizeof(*r->b));
	r->b = NULL;
}

/*
 * Wake the lanes to stop; @ended: every lane stepped the whole trace, and
 * the threads share out the at-end verdicts (plan_ends), this one too.
 * The others may still be giving theirs when this returns.
 */
static void close_ring(struct run *run, bool ended)
{
	struct ring *r = run->ring;

	pthread_mutex_lock(&r->lock);
	if (ended)
		plan_ends(run);
	r->closing = true;
	r->ended = ended;
	pthread_cond_broadcast(&r->more);
	pthread_mutex_unlock(&r->lock);
	if (!ended)
		return;
	/*
	 * Every lane has stepped every batch: the batches go now, not when
	 * the lanes are joined, so that the results built meanwhile do not
	 * add to the run's peak RSS (the real recording: 58.5 MB with
	 * them, 51 MB without).
	 */
	free_batches(r);
	take_ends(run, true);
}

void stream_join(struct run *run)
{
	struct ring *r = run->ring;

	if (!r)
		return;
	for (int k = 1; k < run->nr_lanes; k++)
		if (run->lanes[k].started)
			pthread_join(run->lanes[k].thread, NULL);
	pthread_cond_destroy(&r->more);
	pthread_cond_destroy(&r->less);
	pthread_mutex_destroy(&r->lock);
	free_batches(r);
	free(r->end_order);
	free(r);
	run->ring = NULL;
}

static int start_lanes(struct run *run)
{
	struct ring *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	/* 10 MiB: in huge pages, 5 page faults instead of 2560 */
	r->b = kmrv_big_zalloc(RING_BATCHES * sizeof(*r->b));
	r->end_order = calloc(run->nr ? run->nr : 1, sizeof(*r->end_order));
	if (!r->b || !r->end_order) {
		free_batches(r);
		free(r->end_order);
		free(r);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->more, NULL);
	pthread_cond_init(&r->less, NULL);
	run->ring = r;
	for (int k = 1; k < run->nr_lanes; k++) {
		struct lane *l = &run->lanes[k];

		if (pthread_create(&l->thread, NULL, lane_thread, l)) {
			close_ring(run, false);
			stream_join(run);
			return -ENOMEM;
		}
		l->started = true;
	}
	return 0;
}

int stream_events(struct run *run, char *err, size_t errlen)
{
	int ret;

	if (run->nr_lanes <= 1) {
		ret = stream_one_lane(run, err, errlen);
		if (!ret)
			take_all_ends(run);
		return ret;
	}
	ret = start_lanes(run);
	if (ret)
		return ret;
	ret = stream_lanes(run, err, errlen);
	close_ring(run, !ret);
	if (ret)
		stream_join(run);
	return ret;
}
