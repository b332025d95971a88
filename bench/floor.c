// SPDX-License-Identifier: GPL-2.0
/*
 * floor.c - the least a check of the shipped specs can cost here with
 * kmrv's reader and tables: the trace read as kmrv check reads it (the
 * direct reader, 512 events a call), and each object event looked up,
 * or added, in the tables that --spec all keeps large, with the check's
 * prefetch distance, one hash per key type (kmrv_key_hashes, as a lane
 * makes them) and one store per instance, and nothing else: no
 * automaton, no verdict, no report, no group spec.
 *
 *   floor FILE TABLES [THREADS]      (TABLES 0-3, THREADS 1 or 2)
 *
 * TABLES 0 is the reading alone; 1 adds alloc-free's table (keyed by
 * pointer, 32-byte slots with the allocation record), 2 slab-alloc-free's
 * (the same, and the only one that takes kmem_cache events), 3
 * no-realloc's (keyed by pid and pointer, 16-byte slots).
 * None of them ever deletes, as in those specs on this bench's traces,
 * so they grow to the sizes the check's do. With 2 threads each thread
 * reads the file itself (no ring to pay for) and the tables are split
 * as the check splits them: the first thread the two pointer tables,
 * the second no-realloc's.
 *
 * The gap between this and `kmrv check --spec all` is what the engine
 * adds: transitions, verdicts, the group specs, per-spec bookkeeping.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kmrv/engine.h"
#include "kmrv/event.h"
#include "kmrv/table.h"
#include "kmrv/trace.h"

#define BATCH		512
#define LOOKAHEAD	16	/* the check's (src/check/stream.c) */
#define MAX_TABLES	3

struct floor_table {
	struct kmrv_table	*t;
	enum kmrv_key_type	key;
	bool			slab;	/* takes kmem_cache events too */
};

struct worker {
	const char		*path;
	struct floor_table	*ft;
	int			nr;
	unsigned int		key_types;	/* of its tables, as a lane's */
	uint64_t		events;
	int			ret;
	pthread_t		thread;
	struct kmrv_event	ev[BATCH];
	struct kmrv_key_hashes	hash[BATCH];
	bool			object[BATCH];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int touch(struct floor_table *ft, const struct kmrv_event *ev,
		 const struct kmrv_key_hashes *h)
{
	int32_t pid = ft->key == KMRV_KEY_PID_PTR ? ev->pid : 0;
	struct kmrv_alloc_record *rec;
	struct kmrv_instance *inst;
	bool created;

	inst = kmrv_table_insert_hashed(ft->t, h->of[ft->key], ev->ptr, pid,
					&created);
	if (!inst)
		return -1;
	inst->state = (uint8_t)kmrv_tp_class(ev->tp);
	rec = kmrv_table_alloc_record(ft->t, inst);
	if (rec && kmrv_tp_class(ev->tp) == KMRV_CLASS_ALLOC) {
		rec->ts = ev->ts;
		rec->pid = ev->pid;
	}
	return 0;
}

/*
 * Whether each event names an object, and its key's hashes, one per key
 * type as a lane makes them, in one pass: the
 * loops after it then branch only on that flag, which is always set on
 * these traces, and not on the class, which a random alloc/free mix
 * mispredicts half the time. With the class tested first in each loop,
 * the 20M bench trace took 0.79 s with no table, against 0.49 s now.
 */
static void hash_batch(struct worker *w, int got)
{
	for (int i = 0; i < got; i++) {
		const struct kmrv_event *ev = &w->ev[i];

		/* a real object is above ZERO_SIZE_PTR: tested first, predicted */
		w->object[i] = kmrv_tp_class(ev->tp) != KMRV_CLASS_OTHER &&
			       (ev->ptr > KMRV_ZERO_SIZE_PTR ||
				kmrv_event_names_object(ev));
		if (w->object[i])
			kmrv_key_hashes(ev, w->key_types, &w->hash[i]);
	}
}

/* kmalloc, kmalloc_node and kfree come first in enum kmrv_tp */
static bool takes(const struct floor_table *ft, const struct kmrv_event *ev)
{
	return ft->slab || ev->tp <= KMRV_TP_KFREE;
}

static void prefetch(struct worker *w, int i)
{
	for (int k = 0; w->object[i] && k < w->nr; k++)
		if (takes(&w->ft[k], &w->ev[i]))
			kmrv_table_prefetch(w->ft[k].t,
					    w->hash[i].of[w->ft[k].key], false);
}

static int step_batch(struct worker *w, int got)
{
	for (int i = 0; i < got && i < LOOKAHEAD; i++)
		prefetch(w, i);
	for (int i = 0; i < got; i++) {
		if (i + LOOKAHEAD < got)
			prefetch(w, i + LOOKAHEAD);
		for (int k = 0; w->object[i] && k < w->nr; k++)
			if (takes(&w->ft[k], &w->ev[i]) &&
			    touch(&w->ft[k], &w->ev[i], &w->hash[i]))
				return -1;
	}
	return 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct kmrv_trace *trace;
	char err[256];
	int got;

	w->ret = -1;
	for (int k = 0; k < w->nr; k++)
		w->key_types |= 1u << w->ft[k].key;
	trace = kmrv_trace_open_reader(w->path, "direct", err, sizeof(err));
	if (!trace) {
		fprintf(stderr, "floor: %s\n", err);
		return NULL;
	}
	while ((got = kmrv_trace_read(trace, w->ev, BATCH, err, sizeof(err))) > 0) {
		w->events += (uint64_t)got;
		hash_batch(w, got);
		if (step_batch(w, got)) {
			fprintf(stderr, "floor: out of memory\n");
			goto out;
		}
	}
	if (got < 0)
		fprintf(stderr, "floor: %s\n", err);
	else
		w->ret = 0;
out:
	kmrv_trace_close(trace);
	return NULL;
}

int main(int argc, char **argv)
{
	struct floor_table ft[MAX_TABLES] = {
		{ NULL, KMRV_KEY_PTR, false },
		{ NULL, KMRV_KEY_PTR, true },
		{ NULL, KMRV_KEY_PID_PTR, false },
	};
	static struct worker w[2];
	int nr, threads = 1, ret = 0;
	double t;

	if (argc < 3 || argc > 4 || (nr = atoi(argv[2])) < 0 || nr > MAX_TABLES ||
	    (argc == 4 && ((threads = atoi(argv[3])) < 1 || threads > 2))) {
		fprintf(stderr, "usage: floor FILE TABLES (0-%d) [THREADS (1-2)]\n",
			MAX_TABLES);
		return 2;
	}
	for (int k = 0; k < nr; k++) {
		ft[k].t = kmrv_table_new(1024, ft[k].key == KMRV_KEY_PID_PTR ?
					 KMRV_HISTORY_NONE : KMRV_HISTORY_ALLOC);
		if (!ft[k].t) {
			fprintf(stderr, "floor: out of memory\n");
			return 2;
		}
	}
	/* with two threads: the pointer tables on the first, the rest on the second */
	w[0].path = argv[1];
	w[0].ft = ft;
	w[0].nr = nr;
	if (threads == 2) {
		w[0].nr = nr < 2 ? nr : 2;
		w[1].path = argv[1];
		w[1].ft = ft + w[0].nr;
		w[1].nr = nr - w[0].nr;
	}

	t = now();
	for (int i = 1; i < threads; i++)
		if (pthread_create(&w[i].thread, NULL, work, &w[i])) {
			fprintf(stderr, "floor: cannot start a thread\n");
			return 2;
		}
	work(&w[0]);
	for (int i = 1; i < threads; i++)
		pthread_join(w[i].thread, NULL);
	t = now() - t;

	for (int i = 0; i < threads; i++)
		ret |= w[i].ret;
	if (!ret)
		printf("floor: %d tables, %d thread%s: %.3f s, %.1f ns/event (%llu events)\n",
		       nr, threads, threads > 1 ? "s" : "", t,
		       t / (double)w[0].events * 1e9,
		       (unsigned long long)w[0].events);
	for (int k = 0; k < nr; k++)
		kmrv_table_free(ft[k].t);
	return ret ? 1 : 0;
}
