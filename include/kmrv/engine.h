/* SPDX-License-Identifier: GPL-2.0 */
/*
 * engine.h - the parametric monitor: runs one spec over an event stream.
 *
 * One automaton instance per key (see spec.h), kept in a kmrv_table; in
 * a spec whose instances are only ever its groups' holders (every state
 * `latest` or forgettable, as in both shipped group specs), kept in the
 * groups' slots instead, with the same verdicts. The engine knows nothing
 * of files or reports: it takes kmrv_events and calls back with verdicts.
 *
 * Per event, in this order:
 *  1. failed allocations (ptr == NULL) and kfree(NULL / ZERO_SIZE_PTR) are
 *     skipped; tracepoints the spec does not bind are skipped.
 *  2. groups (spec->group): if another key K' of the event's group holds
 *     a `latest` state, K' first takes the pseudo-event "other.E" (E the
 *     event's name) if the spec has it, else "other"; then it releases the
 *     slot if it left its latest state.
 *  3. the event's own instance takes its transition. A violation on the
 *     transition is reported with the instance as it was before the event
 *     (so a double free shows where the object was allocated and first
 *     freed). A missing transition leaves the state unchanged.
 *  4. the instance records the event in its history, if the monitor
 *     keeps one (alloc: site/time/size/pid, clearing the free record;
 *     free: the first free after an alloc). If it now holds a latest
 *     state it takes its group's slot. If its state is forgettable it
 *     is dropped from the table.
 * All PIDs' events reach every instance: filters act on reports only.
 */
#ifndef KMRV_ENGINE_H
#define KMRV_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmrv/event.h"
#include "kmrv/spec.h"
#include "kmrv/table.h"

struct kmrv_verdict {
	const struct kmrv_spec		*spec;
	int				kind;	/* index in spec->kind_names */
	/* the event that violated; NULL for an end-of-trace verdict */
	const struct kmrv_event		*ev;
	/* the instance before the event (at end: as it ended) */
	const struct kmrv_instance	*inst;
	/*
	 * its history then; NULL when the monitor keeps none (an event's
	 * verdict in a monitor made without KMRV_MONITOR_HISTORY, of a spec
	 * with no at-end kinds and no groups). Its free_* fields are kept
	 * only with KMRV_MONITOR_HISTORY, and zero without.
	 */
	const struct kmrv_history	*hist;
	int				from_state, to_state;
};

typedef void (*kmrv_verdict_fn)(const struct kmrv_verdict *v, void *ctx);

struct kmrv_monitor_stats {
	uint64_t	steps;		/* events that reached an instance */
	size_t		live;		/* instances in the table now */
	size_t		peak_live;
	size_t		bytes;		/* memory held by the table(s) */
};

struct kmrv_monitor;

/* Verdicts on events carry the instance's history (kmrv check -v). */
#define KMRV_MONITOR_HISTORY	1u
/*
 * At-end verdicts come in the table's order, not (ptr, pid) order: for a
 * caller that only adds them up, which then need not pay for a sort.
 */
#define KMRV_MONITOR_END_UNSORTED	2u

/*
 * NULL on ENOMEM. @flags: KMRV_MONITOR_*. @fn may be NULL (verdicts only
 * counted by caller).
 */
struct kmrv_monitor *kmrv_monitor_new(const struct kmrv_spec *spec,
				      unsigned int flags,
				      kmrv_verdict_fn fn, void *ctx);

/* Feed one event. Returns 0, or -1 on ENOMEM (the monitor stays valid). */
int kmrv_monitor_step(struct kmrv_monitor *m, const struct kmrv_event *ev);

/*
 * An event's key, hashed for each key type (enum kmrv_key_type) that a
 * set of monitors asks for: a caller stepping several monitors hashes
 * each key once per event, for every monitor's prefetch and step, where
 * each monitor hashed it twice (a sixth of the instructions of a check
 * of the 20M bench trace went to hashing and prefetching).
 */
struct kmrv_key_hashes {
	uint64_t	of[2];		/* [KMRV_KEY_PTR], [KMRV_KEY_PID_PTR] */
};

/* The key types whose hashes @m's steps take: a mask of 1u << type. */
unsigned int kmrv_monitor_key_types(const struct kmrv_monitor *m);

/* Fill in @h the hashes of @ev's key for the key types in @types. */
static inline void kmrv_key_hashes(const struct kmrv_event *ev,
				   unsigned int types,
				   struct kmrv_key_hashes *h)
{
	if (types & 1u << KMRV_KEY_PTR)
		h->of[KMRV_KEY_PTR] = kmrv_table_hash(ev->ptr, 0);
	if (types & 1u << KMRV_KEY_PID_PTR)
		h->of[KMRV_KEY_PID_PTR] = kmrv_table_hash(ev->ptr, ev->pid);
}

/*
 * kmrv_monitor_step without the checks that a caller stepping several
 * monitors makes once per event: @ev's tracepoint is one @m's spec binds
 * (spec->tp_event), and kmrv_event_names_object(@ev). @h holds @ev's
 * key hashes for kmrv_monitor_key_types(@m).
 */
int kmrv_monitor_step_object(struct kmrv_monitor *m,
			     const struct kmrv_event *ev,
			     const struct kmrv_key_hashes *h);

/*
 * A hint for an event that kmrv_monitor_step_object will get soon: start
 * loading its instance. Only for a monitor kmrv_monitor_misses() names,
 * and an event whose tracepoint its spec binds; @h as for the step.
 * Changes nothing; a step without it is as exact.
 */
void kmrv_monitor_prefetch(const struct kmrv_monitor *m,
			   const struct kmrv_event *ev,
			   const struct kmrv_key_hashes *h);

/*
 * Whether a prefetch can pay: the monitor keeps a table (a holders-only
 * one has only its group slots) and has outgrown a core's L2
 * (KMRV_MONITOR_CACHED_BYTES, the bench machine's). A small table's
 * lines are already there, and the prefetch would only cost its
 * instructions. On the bench traces the others pass a MiB early, so the
 * bound need not be exact.
 */
#define KMRV_MONITOR_CACHED_BYTES	(512u << 10)
bool kmrv_monitor_misses(const struct kmrv_monitor *m);

/*
 * kmrv_monitor_finish - end of trace: every instance in a state with an
 * `at-end` kind yields a verdict (ev == NULL), in ascending (ptr, pid)
 * order so output is deterministic (in the table's order, as
 * deterministic but meaningless, with KMRV_MONITOR_END_UNSORTED).
 */
void kmrv_monitor_finish(struct kmrv_monitor *m);

void kmrv_monitor_stats(const struct kmrv_monitor *m,
			struct kmrv_monitor_stats *st);

/*
 * The instances kmrv_monitor_finish would look at now: the live ones if
 * the spec has at-end kinds, else none. A caller sharing the ends of
 * several monitors out among threads starts with the largest.
 */
size_t kmrv_monitor_end_work(const struct kmrv_monitor *m);

void kmrv_monitor_free(struct kmrv_monitor *m);

#endif /* KMRV_ENGINE_H */
