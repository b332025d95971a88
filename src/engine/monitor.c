// SPDX-License-Identifier: GPL-2.0
/*
 * monitor.c - the parametric monitor: one spec, one instance per key.
 *
 * Invariants (engine.h gives the per-event order):
 *  - the table holds exactly the instances whose state is not forgettable
 *    or that hold a group slot; a key without an entry is in the initial
 *    state. Memory therefore follows the keys alive in the automaton.
 *  - group slots: groups maps a group (the pid, or 0 for `group all`) to
 *    the key of its holder. inst->holds_slot is set exactly on the
 *    instance that a slot names, and its history's group says which
 *    slot (a spec with groups always keeps history). An
 *    instance holds at most one slot.
 *  - the per-event cost is one table probe for the key, plus one group
 *    probe and one table probe for the holder when the spec has a
 *    pseudo-event for this event.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/bigmem.h"
#include "kmrv/engine.h"
#include "kmrv/hash.h"

#define MONITOR_TABLE_HINT	1024
#define GROUPS_MIN_CAPACITY	8
#define ORIGINS_MIN_CAPACITY	64

_Static_assert(KMRV_SPEC_MAX_EVENTS <= 32, "entering_events: one bit an event");
_Static_assert(KMRV_SPEC_MAX_EVENTS <= 127, "struct tp_bind: an event index in an int8_t");

/*
 * One group's slot: the instance holding its latest state. In the table,
 * where inst's key names it; in a holders-only monitor (holders_only())
 * the slot is the holder itself, inst and hist.
 */
struct group_slot {
	struct kmrv_instance	inst;	/* inst.ptr 0: empty entry */
	int32_t			group;
	struct kmrv_history	hist;	/* holders-only monitors */
};

/*
 * group -> holder, open addressing on the same rules as kmrv_table
 * (power-of-two capacity, load <= 3/4, linear probing, backward-shift
 * deletion) but 16 bytes an entry, and emptied when a slot is released,
 * so it holds one entry per group with a holder right now.
 */
struct group_map {
	struct group_slot	*slots;
	size_t			mask;
	size_t			count;
	size_t			max_count;
};

/* An allocation's call site and size: what an alloc record's origin names. */
struct origin {
	uint64_t	site;
	uint64_t	bytes;
};

/*
 * (site, bytes) -> origin number, for KMRV_HISTORY_ALLOC tables. list[0]
 * is (0, 0), the origin of a record never written; index is open
 * addressing at load <= 1/2 over numbers + 1 (0: empty). A trace has a
 * few hundred origins, so both arrays stay in cache.
 */
struct origin_map {
	struct origin	*list;
	uint32_t	nr;
	uint32_t	cap;
	uint32_t	*index;
	size_t		mask;
};

/*
 * What a tracepoint is to this monitor, looked up once per step: the
 * spec's event index (KMRV_NONE: not bound) and the tracepoint's class,
 * which a step otherwise asked kmrv_tp_class() for three more times;
 * and whether its step writes the instance's history line, which a
 * prefetch then loads too.
 */
struct tp_bind {
	int8_t			event;
	uint8_t			class;		/* enum kmrv_tp_class */
	bool			writes_history;
};

/*
 * A transition as a step reads it: the next state (the state itself
 * where the spec has no transition) and the violation kind, or
 * KMRV_NONE. Both in one load, from the monitor's own copy of the
 * spec's two tables.
 */
struct cell {
	int8_t			next;
	int8_t			violation;
};

struct kmrv_monitor {
	const struct kmrv_spec	*spec;
	/* [state * nr_events + event], and the spec's fields a step reads */
	struct cell		*cells;
	int			nr_events;
	uint8_t			key;		/* enum kmrv_key_type */
	bool			grouped;	/* a `group` line */
	struct tp_bind		bind[KMRV_TP__COUNT];
	enum kmrv_table_history	history;
	bool			free_history;	/* history's free_* too */
	bool			end_unsorted;	/* KMRV_MONITOR_END_UNSORTED */
	bool			at_end_kinds;	/* some state has one */
	uint32_t		entering;	/* entering_events(spec), by event */
	/* a KMRV_HISTORY_ALLOC record as a verdict's kmrv_history */
	struct kmrv_history	verdict_hist;
	kmrv_verdict_fn		fn;
	void			*ctx;
	struct kmrv_table	*table;		/* NULL: holders_only(spec) */
	struct group_map	groups;
	struct origin_map	origins;
	uint64_t		steps;
	size_t			peak_live;
};

/* --- group slots ------------------------------------------------------ */

static inline size_t group_home(const struct group_map *g, int32_t group)
{
	/* pids are dense small integers: a multiply spreads them enough */
	uint64_t x = (uint64_t)(uint32_t)group * 0x9e3779b97f4a7c15ULL;

	return (size_t)(x >> 32) & g->mask;
}

static int groups_alloc(struct group_map *g, size_t capacity)
{
	g->slots = calloc(capacity, sizeof(*g->slots));
	if (!g->slots)
		return -1;
	g->mask = capacity - 1;
	g->max_count = capacity - capacity / 4;
	return 0;
}

static struct group_slot *groups_find(const struct group_map *g,
				      int32_t group)
{
	size_t i = group_home(g, group);

	for (;; i = (i + 1) & g->mask) {
		struct group_slot *s = &g->slots[i];

		if (!s->inst.ptr)
			return NULL;
		if (s->group == group)
			return s;
	}
}

static int groups_grow(struct group_map *g)
{
	struct group_slot *old = g->slots;
	size_t old_capacity = g->mask + 1, i;

	if (groups_alloc(g, old_capacity * 2)) {
		g->slots = old;
		return -1;
	}
	for (i = 0; i < old_capacity; i++) {
		size_t j;

		if (!old[i].inst.ptr)
			continue;
		j = group_home(g, old[i].group);
		while (g->slots[j].inst.ptr)
			j = (j + 1) & g->mask;
		g->slots[j] = old[i];
	}
	free(old);
	return 0;
}

/* A new, zeroed entry for @group (not in the map). NULL on ENOMEM. */
static struct group_slot *groups_add(struct group_map *g, int32_t group)
{
	size_t i;

	if (g->count >= g->max_count && groups_grow(g))
		return NULL;
	i = group_home(g, group);
	while (g->slots[i].inst.ptr)
		i = (i + 1) & g->mask;
	g->count++;
	memset(&g->slots[i], 0, sizeof(g->slots[i]));
	g->slots[i].group = group;
	return &g->slots[i];
}

static void groups_delete(struct group_map *g, struct group_slot *s)
{
	size_t hole = (size_t)(s - g->slots), j = hole;

	for (;;) {
		size_t home;

		j = (j + 1) & g->mask;
		if (!g->slots[j].inst.ptr)
			break;
		home = group_home(g, g->slots[j].group);
		if (((j - home) & g->mask) < ((j - hole) & g->mask))
			continue;
		g->slots[hole] = g->slots[j];
		hole = j;
	}
	/* the rest is zeroed when the entry is taken again (groups_add) */
	g->slots[hole].inst.ptr = 0;
	g->count--;
}

/* --- allocation origins ---------------------------------------------- */

static inline size_t origin_home(const struct origin_map *o, uint64_t site,
				 uint64_t bytes)
{
	return (size_t)kmrv_mix_key(site, (int32_t)bytes) & o->mask;
}

static int origins_init(struct origin_map *o)
{
	o->list = calloc(ORIGINS_MIN_CAPACITY, sizeof(*o->list));
	o->index = calloc(ORIGINS_MIN_CAPACITY, sizeof(*o->index));
	if (!o->list || !o->index)
		return -1;
	o->cap = ORIGINS_MIN_CAPACITY;
	o->mask = ORIGINS_MIN_CAPACITY - 1;
	o->nr = 1;		/* list[0] = (0, 0) */
	return 0;
}

/* Double the list and the index (rebuilt from the list). */
static int origins_grow(struct origin_map *o)
{
	size_t cap = (size_t)o->cap * 2;
	struct origin *list;
	uint32_t *index;

	if (cap > UINT32_MAX)
		return -1;
	list = realloc(o->list, cap * sizeof(*list));
	if (!list)
		return -1;
	o->list = list;
	index = calloc(cap, sizeof(*index));
	if (!index)
		return -1;
	free(o->index);
	o->index = index;
	o->cap = (uint32_t)cap;
	o->mask = cap - 1;
	for (uint32_t n = 1; n < o->nr; n++) {
		size_t i = origin_home(o, list[n].site, list[n].bytes);

		while (index[i])
			i = (i + 1) & o->mask;
		index[i] = n + 1;
	}
	return 0;
}

/* The number of (@site, @bytes), added if new. -1 on ENOMEM. */
static int origin_of(struct origin_map *o, uint64_t site, uint64_t bytes,
		     uint32_t *out)
{
	size_t i;

	if (!site && !bytes) {
		*out = 0;
		return 0;
	}
	for (i = origin_home(o, site, bytes); o->index[i];
	     i = (i + 1) & o->mask) {
		const struct origin *e = &o->list[o->index[i] - 1];

		if (e->site == site && e->bytes == bytes) {
			*out = o->index[i] - 1;
			return 0;
		}
	}
	/* the index stays at most half full, the list with room for one more */
	if (2 * (o->nr + 1) > o->cap) {
		if (origins_grow(o))
			return -1;
		return origin_of(o, site, bytes, out);
	}
	o->list[o->nr] = (struct origin){ site, bytes };
	o->index[i] = o->nr + 1;
	*out = o->nr++;
	return 0;
}

/* --- automaton helpers ------------------------------------------------ */

static inline bool state_in(uint64_t set, int state)
{
	return (set >> state) & 1;
}

/* A missing transition leaves the state as it is. */
static inline int next_state(const struct kmrv_spec *spec, int s, int e)
{
	int to = spec->next[s * spec->nr_events + e];

	return to == KMRV_NONE ? s : to;
}

static inline int group_of(const struct kmrv_spec *spec,
			   const struct kmrv_event *ev)
{
	return spec->group == KMRV_GROUP_PID ? ev->pid : 0;
}

/* The pseudo-event the holder of a group takes when another key sees @e. */
static inline int other_event(const struct kmrv_spec *spec, int e)
{
	if (spec->other_of[e] != KMRV_NONE)
		return spec->other_of[e];
	return spec->other_event;
}

/* A key not in the table has the history of an object never seen. */
static const struct kmrv_history no_history;

/* The full history of @inst: in the table, or beside it in its slot. */
static struct kmrv_history *history_at(const struct kmrv_monitor *m,
				       const struct kmrv_instance *inst)
{
	if (!m->table)		/* holders_only() */
		return (struct kmrv_history *)((uintptr_t)inst -
			offsetof(struct group_slot, inst) +
			offsetof(struct group_slot, hist));
	return kmrv_table_history(m->table, inst);
}

static const struct kmrv_history *history_of(struct kmrv_monitor *m,
					     const struct kmrv_instance *inst,
					     bool in_table)
{
	struct kmrv_history *h = &m->verdict_hist;
	const struct kmrv_alloc_record *rec;
	const struct origin *origin;

	if (m->history == KMRV_HISTORY_NONE)
		return NULL;
	if (!in_table)
		return &no_history;
	if (m->history == KMRV_HISTORY_FULL)
		return history_at(m, inst);
	rec = kmrv_table_alloc_record(m->table, inst);
	origin = &m->origins.list[rec->origin];
	memset(h, 0, sizeof(*h));
	h->alloc_ts = rec->ts;
	h->alloc_site = origin->site;
	h->alloc_bytes = origin->bytes;
	h->alloc_pid = rec->pid;
	h->alloc_cpu = inst->alloc_cpu;
	return h;
}

static __attribute__((noinline))
void report(struct kmrv_monitor *m, int kind, const struct kmrv_event *ev,
	    const struct kmrv_instance *inst, bool in_table, int from, int to)
{
	struct kmrv_verdict v = {
		.spec		= m->spec,
		.kind		= kind,
		.ev		= ev,
		.inst		= inst,
		.hist		= history_of(m, inst, in_table),
		.from_state	= from,
		.to_state	= to,
	};

	if (m->fn)
		m->fn(&v, m->ctx);
}

/*
 * Take state @from along event @e: report the violation, if any, with
 * @inst as it is now, and return the next state (@from if the table has
 * no transition). Inlined into every step, with the report out of line:
 * called, it was a tenth of the instructions of a check of the real
 * recording, most of them the call's.
 */
static inline __attribute__((always_inline))
int transition(struct kmrv_monitor *m, const struct kmrv_event *ev,
	       const struct kmrv_instance *inst, bool in_table, int e)
{
	int from = inst->state;
	struct cell c = m->cells[from * m->nr_events + e];

	if (c.violation != KMRV_NONE)
		report(m, c.violation, ev, inst, in_table, from, c.next);
	return c.next;
}

/* @inst stops holding its group's slot @s (NULL: the group has none). */
static void release_slot_at(struct kmrv_monitor *m, struct kmrv_instance *inst,
			    struct group_slot *s)
{
	if (s && s->inst.ptr == inst->ptr && s->inst.pid == inst->pid)
		groups_delete(&m->groups, s);
	inst->holds_slot = 0;
}

static void release_slot(struct kmrv_monitor *m, struct kmrv_instance *inst)
{
	int32_t group = kmrv_table_history(m->table, inst)->group;

	release_slot_at(m, inst, groups_find(&m->groups, group));
}

/* Drop @inst if nothing distinguishes it from a key never seen. */
static void forget_if_idle(struct kmrv_monitor *m, struct kmrv_instance *inst)
{
	if (inst->holds_slot || !state_in(m->spec->forgettable, inst->state))
		return;
	kmrv_table_delete(m->table, inst);
}

/*
 * @inst enters a latest state in @group: it becomes the group's holder.
 * A previous holder that is still in a latest state (the spec gave it no
 * way out on the pseudo-event) just stops holding. Last use of @inst: the
 * previous holder may be deleted, which moves table entries.
 */
static int take_slot(struct kmrv_monitor *m, struct kmrv_instance *inst,
		     int32_t group)
{
	struct kmrv_history *hist = kmrv_table_history(m->table, inst);
	struct kmrv_instance *prev;
	struct group_slot *s;
	uint64_t old_ptr = 0;
	int32_t old_pid = 0;

	if (inst->holds_slot && hist->group == group)
		return 0;
	if (inst->holds_slot)
		release_slot(m, inst);

	s = groups_find(&m->groups, group);
	if (!s) {
		s = groups_add(&m->groups, group);
		if (!s)
			return -1;
	} else {
		old_ptr = s->inst.ptr;
		old_pid = s->inst.pid;
	}
	s->inst.ptr = inst->ptr;
	s->inst.pid = inst->pid;
	inst->holds_slot = 1;
	hist->group = group;

	if (!old_ptr)
		return 0;
	prev = kmrv_table_find(m->table, old_ptr, old_pid);
	if (prev) {
		prev->holds_slot = 0;
		forget_if_idle(m, prev);
	}
	return 0;
}

/* Step 2: another key of the group saw @e; its holder hears about it. */
static void nudge_holder(struct kmrv_monitor *m, const struct kmrv_event *ev,
			 int oe, uint64_t ptr, int32_t pid)
{
	struct group_slot *s;
	struct kmrv_instance *holder;

	s = groups_find(&m->groups, group_of(m->spec, ev));
	if (!s || (s->inst.ptr == ptr && s->inst.pid == pid))
		return;
	holder = kmrv_table_find(m->table, s->inst.ptr, s->inst.pid);
	if (!holder)
		return;		/* cannot happen: a holder is never dropped */

	holder->state = transition(m, ev, holder, true, oe);
	if (state_in(m->spec->latest, holder->state))
		return;
	release_slot_at(m, holder, s);	/* @s is the holder's slot */
	forget_if_idle(m, holder);
}

/*
 * Step 4: what the report needs to explain a later verdict. The first
 * free is shown only by -v (KMRV_MONITOR_HISTORY); without it a free
 * leaves the history line alone, which spares large tables a cache miss
 * on every free. @origin: the alloc's, in KMRV_HISTORY_ALLOC tables.
 */
static inline __attribute__((always_inline))
void record(const struct kmrv_monitor *m, struct kmrv_instance *inst,
	    const struct kmrv_event *ev, int class, uint32_t origin)
{
	struct kmrv_alloc_record *rec;
	struct kmrv_history *h;

	switch (class) {
	case KMRV_CLASS_ALLOC:
		inst->freed_once = 0;
		if (m->history == KMRV_HISTORY_ALLOC) {
			rec = kmrv_table_alloc_record(m->table, inst);
			rec->ts = ev->ts;
			rec->origin = origin;
			rec->pid = ev->pid;
			inst->alloc_cpu = (uint16_t)ev->cpu;
			break;
		}
		h = history_at(m, inst);
		h->alloc_ts = ev->ts;
		h->alloc_site = ev->call_site;
		h->alloc_bytes = ev->bytes_alloc;
		h->alloc_pid = ev->pid;
		h->alloc_cpu = (uint16_t)ev->cpu;
		h->free_ts = 0;
		h->free_site = 0;
		h->free_pid = 0;
		h->free_cpu = 0;
		break;
	case KMRV_CLASS_FREE:
		/* keep the first free: a double free points back at it */
		if (inst->freed_once)
			break;
		inst->freed_once = 1;
		if (!m->free_history)
			break;
		h = history_at(m, inst);
		h->free_ts = ev->ts;
		h->free_site = ev->call_site;
		h->free_pid = ev->pid;
		h->free_cpu = (uint16_t)ev->cpu;
		break;
	case KMRV_CLASS_OTHER:
		break;
	}
}

/* Steps 3 and 4: the event's own instance, @hash its key's. */
static int own_step(struct kmrv_monitor *m, const struct kmrv_event *ev,
		    struct tp_bind b, uint64_t ptr, int32_t pid, uint64_t hash)
{
	const struct kmrv_spec *spec = m->spec;
	struct kmrv_instance *inst, fresh;
	bool latest, created = false;
	uint32_t origin = 0;
	int e = b.event, to;

	/* before anything changes, so that ENOMEM leaves the monitor as it was */
	if (m->history == KMRV_HISTORY_ALLOC && b.class == KMRV_CLASS_ALLOC &&
	    origin_of(&m->origins, ev->call_site, ev->bytes_alloc, &origin))
		return -1;

	if (m->entering >> e & 1) {
		inst = kmrv_table_insert_hashed(m->table, hash, ptr, pid,
						&created);
		if (!inst)
			return -1;
		if (created) {
			/* a key with no entry was in the initial state */
			inst->state = (uint8_t)spec->initial;
			if (kmrv_table_count(m->table) > m->peak_live)
				m->peak_live = kmrv_table_count(m->table);
		}
	} else {
		inst = kmrv_table_find_hashed(m->table, hash, ptr, pid);
		if (!inst) {
			/* initial, and it stays out: only a verdict is possible */
			memset(&fresh, 0, sizeof(fresh));
			fresh.ptr = ptr;
			fresh.pid = pid;
			fresh.state = (uint8_t)spec->initial;
			transition(m, ev, &fresh, false, e);
			return 0;
		}
	}
	/* a created entry is zero-filled: its history is that of no object */
	to = transition(m, ev, inst, !created, e);

	latest = m->grouped && state_in(spec->latest, to);
	if (!latest && state_in(spec->forgettable, to)) {
		if (inst->holds_slot)
			release_slot(m, inst);
		kmrv_table_delete(m->table, inst);
		return 0;
	}

	if (m->history != KMRV_HISTORY_NONE)
		record(m, inst, ev, b.class, origin);
	inst->state = (uint8_t)to;

	if (latest)
		return take_slot(m, inst, group_of(spec, ev));
	if (inst->holds_slot)
		release_slot(m, inst);
	return 0;
}

/*
 * @fresh, a key in the initial state that the event takes into a latest
 * one, becomes its group's holder: in the slot its previous holder has
 * just left (@vacated), or else in a new one. Reusing the slot spares
 * the map a delete and an add on every such event, which is every free
 * in no-immediate-realloc: they were 5% of the instructions of a check
 * of the 20M bench trace (callgrind).
 */
static struct group_slot *holder_enter(struct kmrv_monitor *m,
				       const struct kmrv_instance *fresh,
				       int32_t group, struct group_slot *vacated)
{
	struct group_slot *s = vacated;

	if (s) {
		memset(&s->hist, 0, sizeof(s->hist));
	} else {
		s = groups_add(&m->groups, group);
		if (!s)
			return NULL;
		if (m->groups.count > m->peak_live)
			m->peak_live = m->groups.count;
	}
	s->inst = *fresh;
	s->inst.holds_slot = 1;
	s->hist.group = group;
	return s;
}

/*
 * Steps 2 to 4 in a holders-only monitor, whose instances are the
 * holders in their groups' slots: one probe of a small map, where the
 * table path costs a group probe and up to three table probes. Every
 * state is latest or forgettable, so a key not holding its group's slot
 * is in the initial state, and an instance that leaves its latest
 * states is forgotten as it releases the slot.
 */
static int holder_step(struct kmrv_monitor *m, const struct kmrv_event *ev,
		       struct tp_bind b, uint64_t ptr, int32_t pid)
{
	const struct kmrv_spec *spec = m->spec;
	int32_t group = group_of(spec, ev);
	struct group_slot *s = groups_find(&m->groups, group);
	struct group_slot *vacated = NULL;	/* left by its holder, not yet freed */
	struct kmrv_instance fresh = {
		.ptr = ptr, .pid = pid, .state = (uint8_t)spec->initial,
	};
	struct kmrv_instance *inst = &fresh;
	int oe, to;

	if (s && s->inst.ptr == ptr && s->inst.pid == pid) {
		inst = &s->inst;
	} else if (s && (oe = other_event(spec, b.event)) != KMRV_NONE) {
		s->inst.state = (uint8_t)transition(m, ev, &s->inst, true, oe);
		if (!state_in(spec->latest, s->inst.state))
			vacated = s;
	}

	to = transition(m, ev, inst, inst != &fresh, b.event);
	if (!state_in(spec->latest, to)) {
		if (inst != &fresh || vacated)
			groups_delete(&m->groups, s);
		return 0;
	}
	if (inst == &fresh) {
		/* holders_only(): the event took the group's holder out */
		s = holder_enter(m, &fresh, group, vacated);
		if (!s)
			return -1;
		inst = &s->inst;
	}
	record(m, inst, ev, b.class, 0);
	inst->state = (uint8_t)to;
	return 0;
}

int kmrv_monitor_step_object(struct kmrv_monitor *m,
			     const struct kmrv_event *ev,
			     const struct kmrv_key_hashes *h)
{
	const struct kmrv_spec *spec = m->spec;
	uint64_t ptr = ev->ptr;
	struct tp_bind b = m->bind[ev->tp];
	int32_t pid;
	int oe;

	pid = m->key == KMRV_KEY_PID_PTR ? ev->pid : 0;
	m->steps++;

	if (!m->table)
		return holder_step(m, ev, b, ptr, pid);
	if (m->grouped) {
		oe = other_event(spec, b.event);
		if (oe != KMRV_NONE)
			nudge_holder(m, ev, oe, ptr, pid);
	}
	return own_step(m, ev, b, ptr, pid, h->of[m->key]);
}

unsigned int kmrv_monitor_key_types(const struct kmrv_monitor *m)
{
	return m->table ? 1u << m->key : 0;
}

int kmrv_monitor_step(struct kmrv_monitor *m, const struct kmrv_event *ev)
{
	struct kmrv_key_hashes h;

	if (ev->tp >= KMRV_TP__COUNT || m->bind[ev->tp].event == KMRV_NONE ||
	    !kmrv_event_names_object(ev))
		return 0;
	kmrv_key_hashes(ev, kmrv_monitor_key_types(m), &h);
	return kmrv_monitor_step_object(m, ev, &h);
}

void kmrv_monitor_prefetch(const struct kmrv_monitor *m,
			   const struct kmrv_event *ev,
			   const struct kmrv_key_hashes *h)
{
	kmrv_table_prefetch(m->table, h->of[m->key],
			    m->bind[ev->tp].writes_history);
}

/* The memory a step may read: the table, the group slots, the origins. */
static size_t held_bytes(const struct kmrv_monitor *m)
{
	size_t bytes = m->table ? kmrv_table_bytes(m->table) : 0;

	if (m->groups.slots)
		bytes += (m->groups.mask + 1) * sizeof(*m->groups.slots);
	return bytes + (size_t)m->origins.cap *
		       (sizeof(*m->origins.list) + sizeof(*m->origins.index));
}

bool kmrv_monitor_misses(const struct kmrv_monitor *m)
{
	return m->table && held_bytes(m) > KMRV_MONITOR_CACHED_BYTES;
}

/* --- end of trace, lifetime, stats ------------------------------------ */

/*
 * The end-of-trace instances in (ptr, pid) order. A radix sort on keys
 * copied out of the table, by hand rather than qsort() because qsort's
 * comparator reads every instance through a pointer: on half a million
 * leaks that was a third of a 1M-event check (bench/run.sh, slice rows).
 */
struct at_end_key {
	uint64_t			ptr;
	uint32_t			pid;	/* sign bit flipped: sorts as int32 */
	const struct kmrv_instance	*inst;
};

#define KEY_DIGITS	12	/* 8-bit digits: 4 of pid, then 8 of ptr */
#define FINISH_LOOKAHEAD	8	/* instances loaded ahead of their verdict */

static inline unsigned int key_digit(const struct at_end_key *k, int d)
{
	if (d < 4)
		return (k->pid >> (8 * d)) & 0xff;
	return (k->ptr >> (8 * (d - 4))) & 0xff;
}

/*
 * LSD: stable passes from the least significant digit; a digit every key
 * shares (the pid of `key ptr` specs, a slab pointer's high bytes) is
 * skipped, so a pass costs only where keys differ. @tmp holds @n keys.
 */
static void sort_at_end(struct at_end_key *keys, struct at_end_key *tmp,
			size_t n)
{
	size_t count[KEY_DIGITS][256];	/* 24 KiB */
	struct at_end_key *src = keys, *dst = tmp, *swap;
	size_t i;

	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++)
		for (int d = 0; d < KEY_DIGITS; d++)
			count[d][key_digit(&keys[i], d)]++;

	for (int d = 0; d < KEY_DIGITS; d++) {
		size_t pos = 0;

		if (count[d][key_digit(&keys[0], d)] == n)
			continue;
		for (int b = 0; b < 256; b++) {
			size_t c = count[d][b];

			count[d][b] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++)
			dst[count[d][key_digit(&src[i], d)]++] = src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != keys)
		memcpy(keys, src, n * sizeof(*keys));
}

static void report_at_end(struct kmrv_monitor *m,
			  const struct kmrv_instance *inst)
{
	report(m, m->spec->at_end[inst->state], NULL, inst, true, inst->state,
	       inst->state);
}

/* In the table's order: the instances are read in sequence. */
static void report_at_end_unsorted(struct kmrv_monitor *m)
{
	struct kmrv_instance *inst;
	size_t cursor = 0;

	while ((inst = kmrv_table_next(m->table, &cursor)))
		if (m->spec->at_end[inst->state] != KMRV_NONE)
			report_at_end(m, inst);
}

void kmrv_monitor_finish(struct kmrv_monitor *m)
{
	const struct kmrv_spec *spec = m->spec;
	struct at_end_key *keys;
	struct kmrv_instance *inst;
	size_t cursor = 0, n = 0, i, bytes;

	/*
	 * holders_only() keeps no table and has no at-end kinds; a spec
	 * without them needs no walk of its table either (no-realloc's
	 * holds every pid an object met: 1.8% of a check of the 1M slice).
	 */
	if (!m->table || !m->at_end_kinds)
		return;
	if (m->end_unsorted) {
		report_at_end_unsorted(m);
		return;
	}
	while ((inst = kmrv_table_next(m->table, &cursor)))
		if (spec->at_end[inst->state] != KMRV_NONE)
			n++;
	if (!n)
		return;

	/*
	 * In huge pages: malloc'd, half a million leaks took 6k page faults
	 * per spec, a sixth of a check of the 1M-event bench slice.
	 */
	bytes = 2 * n * sizeof(*keys);
	keys = kmrv_big_zalloc(bytes);
	if (!keys) {
		report_at_end_unsorted(m);	/* better than lost */
		return;
	}

	cursor = 0;
	n = 0;
	while ((inst = kmrv_table_next(m->table, &cursor))) {
		if (spec->at_end[inst->state] == KMRV_NONE)
			continue;
		keys[n].ptr = inst->ptr;
		keys[n].pid = (uint32_t)inst->pid ^ 0x80000000u;
		keys[n].inst = inst;
		n++;
	}
	sort_at_end(keys, keys + n, n);
	/* in pointer order the instances are random lines: load ahead */
	for (i = 0; i < n; i++) {
		if (i + FINISH_LOOKAHEAD < n)
			__builtin_prefetch(keys[i + FINISH_LOOKAHEAD].inst);
		report_at_end(m, keys[i].inst);
	}
	kmrv_big_free(keys, bytes);
}

static bool has_at_end_kinds(const struct kmrv_spec *spec)
{
	for (int s = 0; s < spec->nr_states; s++)
		if (spec->at_end[s] != KMRV_NONE)
			return true;
	return false;
}

/*
 * Full history costs a cache line per write and 64 of a slot's 80
 * bytes: keep it when a verdict could show it (-v) or groups need its
 * slot record; keep only the allocation (16 bytes, in the instance's
 * line) when only an at-end verdict shows it (a leak's site, size and
 * age); else none.
 */
static enum kmrv_table_history needs_history(const struct kmrv_spec *spec,
					     unsigned int flags)
{
	if ((flags & KMRV_MONITOR_HISTORY) || spec->group != KMRV_GROUP_NONE)
		return KMRV_HISTORY_FULL;
	return has_at_end_kinds(spec) ? KMRV_HISTORY_ALLOC : KMRV_HISTORY_NONE;
}

/*
 * The events on which a key not in the table enters it: the transition
 * from the initial state leads to a latest state or to one that is not
 * forgettable. own_step looks such a key up by insert, which finds it
 * when present, so it costs one probe, not a find and then an insert.
 */
static uint32_t entering_events(const struct kmrv_spec *spec)
{
	uint32_t mask = 0;

	for (int e = 0; e < spec->nr_events; e++) {
		int to = next_state(spec, spec->initial, e);

		if ((spec->group != KMRV_GROUP_NONE &&
		     state_in(spec->latest, to)) ||
		    !state_in(spec->forgettable, to))
			mask |= 1u << e;
	}
	return mask;
}

/*
 * Whether every instance the table would hold is the holder of its
 * group's slot, so that the slot can keep it instead (holder_step):
 *  - every state is latest or forgettable, so only holders are kept;
 *  - the key names the group (group all, or group pid with key pid ptr),
 *    so the key's own group is the only slot it could hold;
 *  - an event that takes a key from the initial state into a latest one
 *    first takes the group's holder, by its pseudo-event, out of every
 *    latest state, so a group never has two instances in a latest state;
 *  - no at-end kinds, which would be read from the table.
 * Both shipped group specs are such; a spec that is not runs on the table.
 */
static bool holders_only(const struct kmrv_spec *spec)
{
	uint64_t all = spec->nr_states >= 64 ? ~0ULL : (1ULL << spec->nr_states) - 1;

	if (spec->group == KMRV_GROUP_NONE ||
	    (spec->group == KMRV_GROUP_PID && spec->key != KMRV_KEY_PID_PTR) ||
	    (spec->latest | spec->forgettable) != all || has_at_end_kinds(spec))
		return false;
	for (int e = 0; e < spec->nr_user_events; e++) {
		int oe = other_event(spec, e);

		if (!state_in(spec->latest, next_state(spec, spec->initial, e)))
			continue;
		if (oe == KMRV_NONE)
			return false;
		for (int s = 0; s < spec->nr_states; s++)
			if (state_in(spec->latest, s) &&
			    state_in(spec->latest, next_state(spec, s, oe)))
				return false;
	}
	return true;
}

/* The monitor's copy of the transition table (struct cell). */
static int cells_init(struct kmrv_monitor *m, const struct kmrv_spec *spec)
{
	m->cells = calloc((size_t)spec->nr_states * spec->nr_events,
			  sizeof(*m->cells));
	if (!m->cells)
		return -1;
	m->nr_events = spec->nr_events;
	for (int s = 0; s < spec->nr_states; s++)
		for (int e = 0; e < spec->nr_events; e++) {
			struct cell *c = &m->cells[s * spec->nr_events + e];

			c->next = (int8_t)next_state(spec, s, e);
			c->violation = spec->violation[s * spec->nr_events + e];
		}
	return 0;
}

struct kmrv_monitor *kmrv_monitor_new(const struct kmrv_spec *spec,
				      unsigned int flags,
				      kmrv_verdict_fn fn, void *ctx)
{
	struct kmrv_monitor *m;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (cells_init(m, spec))
		goto fail;
	m->spec = spec;
	m->key = (uint8_t)spec->key;
	m->grouped = spec->group != KMRV_GROUP_NONE;
	m->fn = fn;
	m->ctx = ctx;
	m->history = needs_history(spec, flags);
	m->free_history = flags & KMRV_MONITOR_HISTORY;
	m->end_unsorted = flags & KMRV_MONITOR_END_UNSORTED;
	m->at_end_kinds = has_at_end_kinds(spec);
	m->entering = entering_events(spec);
	for (int tp = 0; tp < KMRV_TP__COUNT; tp++) {
		struct tp_bind *b = &m->bind[tp];

		b->event = (int8_t)spec->tp_event[tp];
		b->class = (uint8_t)kmrv_tp_class((enum kmrv_tp)tp);
		/* the lines record() and the group slots write */
		b->writes_history = m->free_history || m->grouped ||
				    b->class == KMRV_CLASS_ALLOC;
	}

	if (!holders_only(spec)) {
		m->table = kmrv_table_new(MONITOR_TABLE_HINT, m->history);
		if (!m->table)
			goto fail;
	}
	if (m->grouped &&
	    groups_alloc(&m->groups, GROUPS_MIN_CAPACITY))
		goto fail;
	if (m->history == KMRV_HISTORY_ALLOC && origins_init(&m->origins))
		goto fail;
	return m;

fail:
	kmrv_monitor_free(m);
	return NULL;
}

void kmrv_monitor_stats(const struct kmrv_monitor *m,
			struct kmrv_monitor_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->steps = m->steps;
	st->live = m->table ? kmrv_table_count(m->table) : m->groups.count;
	st->peak_live = m->peak_live;
	st->bytes = held_bytes(m);
}

size_t kmrv_monitor_end_work(const struct kmrv_monitor *m)
{
	return m->table && m->at_end_kinds ? kmrv_table_count(m->table) : 0;
}

void kmrv_monitor_free(struct kmrv_monitor *m)
{
	if (!m)
		return;
	kmrv_table_free(m->table);
	free(m->cells);
	free(m->groups.slots);
	free(m->origins.list);
	free(m->origins.index);
	free(m);
}
