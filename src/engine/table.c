// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - open-addressing hash table of automaton instances.
 *
 * Invariants (table.h states them for users; these are the ones the code
 * below relies on):
 *  - mask + 1 is the capacity, a power of two; count <= max_count =
 *    3/4 capacity, so every probe sequence meets an empty slot and ends.
 *  - slot i is the stride bytes at slots + i * stride: an instance (ptr 0
 *    for an empty slot), then, in KMRV_HISTORY_ALLOC tables, its
 *    allocation record. With full history, the 64 bytes at hist + i * 64
 *    are slot i's: the two arrays always move together. Probes compare
 *    instances in place, four (or two) to a cache line, so a hit near
 *    home costs one line and a miss at load 3/4 (about 8 slots) two or
 *    three adjacent ones. (An earlier layout kept a separate array of
 *    8-byte hashes in front of 72-byte entries; with 16-byte instances
 *    it only added a line to every hit. Another kept the allocation
 *    record in a second array: every alloc then cost two lines, and
 *    --spec alloc-free -t 1 on the 20M bench trace took 2.37 s and
 *    208 MB where the inline record takes 2.01 s and 158 MB.)
 *  - an entry lives in its home slot hash & mask or after it, with no
 *    empty slot between home and entry (linear probing, cyclic).
 *  - delete keeps that true without tombstones: it walks the rest of the
 *    cluster and moves back every entry whose home is not between the hole
 *    and the entry itself. Homes are recomputed from the key (a few
 *    multiplies, cheaper than the memory a stored hash costs).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kmrv/bigmem.h"
#include "kmrv/table.h"

#define TABLE_MIN_CAPACITY	8
#define SLOT_SHIFT		4		/* 16-byte slots */
#define SLOT_SHIFT_RECORD	5		/* 32: instance + alloc record */

static_assert(sizeof(struct kmrv_instance) == 16,
	      "struct kmrv_instance: keep it at 16 bytes (table.h)");
static_assert(sizeof(struct kmrv_history) == 64,
	      "struct kmrv_history: keep it at one cache line (table.h)");
static_assert(sizeof(struct kmrv_instance) + sizeof(struct kmrv_alloc_record)
	      == 1 << SLOT_SHIFT_RECORD,
	      "struct kmrv_alloc_record: instance and record fill 32 bytes");

struct kmrv_table {
	uint8_t			*slots;
	struct kmrv_history	*hist;		/* NULL: no full history */
	unsigned int		shift;		/* a slot is 1 << shift bytes */
	size_t			mask;
	size_t			count;
	size_t			max_count;
};

/* One slot lifted out of the table (rehash, stash): its bytes and history. */
struct entry {
	union {
		struct kmrv_instance	inst;
		uint8_t			bytes[1 << SLOT_SHIFT_RECORD];
	} slot;
	struct kmrv_history	hist;
};

static inline struct kmrv_instance *slot_at(const struct kmrv_table *t,
					    size_t i)
{
	return (struct kmrv_instance *)(t->slots + (i << t->shift));
}

static inline size_t index_of(const struct kmrv_table *t,
			      const struct kmrv_instance *inst)
{
	return (size_t)((const uint8_t *)inst - t->slots) >> t->shift;
}

/* Copy a slot's bytes: two fixed sizes, no loop. */
static inline void slot_copy(const struct kmrv_table *t, void *dst,
			     const void *src)
{
	if (t->shift == SLOT_SHIFT_RECORD)
		memcpy(dst, src, 1 << SLOT_SHIFT_RECORD);
	else
		memcpy(dst, src, 1 << SLOT_SHIFT);
}

/* Zero a slot: the same two sizes, two stores instead of a memset call. */
static inline void slot_clear(const struct kmrv_table *t, void *dst)
{
	if (t->shift == SLOT_SHIFT_RECORD)
		memset(dst, 0, 1 << SLOT_SHIFT_RECORD);
	else
		memset(dst, 0, 1 << SLOT_SHIFT);
}

static inline size_t home(const struct kmrv_table *t, uint64_t ptr, int32_t pid)
{
	return (size_t)kmrv_table_hash(ptr, pid) & t->mask;
}

static size_t slots_bytes(const struct kmrv_table *t, size_t capacity)
{
	return capacity << t->shift;
}

static void arrays_free(const struct kmrv_table *t, uint8_t *slots,
			struct kmrv_history *hist, size_t capacity)
{
	kmrv_big_free(slots, slots_bytes(t, capacity));
	kmrv_big_free(hist, capacity * sizeof(*hist));
}

static int table_alloc(struct kmrv_table *t, size_t capacity, bool history)
{
	t->slots = kmrv_big_zalloc(slots_bytes(t, capacity));
	t->hist = history ? kmrv_big_zalloc(capacity * sizeof(*t->hist)) : NULL;
	if (!t->slots || (history && !t->hist)) {
		arrays_free(t, t->slots, t->hist, capacity);
		return -1;
	}
	t->mask = capacity - 1;
	t->max_count = capacity - capacity / 4;
	return 0;
}

struct kmrv_table *kmrv_table_new(size_t hint,
				  enum kmrv_table_history history)
{
	/* the largest slot, with its history, so that no size overflows */
	const size_t most = sizeof(struct entry);
	struct kmrv_table *t;
	size_t capacity = TABLE_MIN_CAPACITY;

	while (capacity - capacity / 4 < hint) {
		if (capacity > SIZE_MAX / 2 / most)
			return NULL;
		capacity <<= 1;
	}

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->shift = history == KMRV_HISTORY_ALLOC ? SLOT_SHIFT_RECORD : SLOT_SHIFT;
	if (table_alloc(t, capacity, history == KMRV_HISTORY_FULL)) {
		free(t);
		return NULL;
	}
	return t;
}

void kmrv_table_free(struct kmrv_table *t)
{
	if (!t)
		return;
	arrays_free(t, t->slots, t->hist, t->mask + 1);
	free(t);
}

/*
 * The slot holding (ptr, pid), or the empty slot ending its probe;
 * @hash is kmrv_table_hash(ptr, pid).
 */
static inline size_t probe(const struct kmrv_table *t, uint64_t hash,
			   uint64_t ptr, int32_t pid)
{
	size_t i = (size_t)hash & t->mask;

	for (;; i = (i + 1) & t->mask) {
		const struct kmrv_instance *s = slot_at(t, i);

		if (!s->ptr || (s->ptr == ptr && s->pid == pid))
			return i;
	}
}

struct kmrv_instance *kmrv_table_find_hashed(struct kmrv_table *t,
					     uint64_t hash, uint64_t ptr,
					     int32_t pid)
{
	struct kmrv_instance *s = slot_at(t, probe(t, hash, ptr, pid));

	return s->ptr ? s : NULL;
}

struct kmrv_instance *kmrv_table_find(struct kmrv_table *t, uint64_t ptr,
				      int32_t pid)
{
	return kmrv_table_find_hashed(t, kmrv_table_hash(ptr, pid), ptr, pid);
}

/*
 * A prefetch of a line about to be written, that the compiler keeps (on
 * x86 the prefetcht0 that __builtin_prefetch(p, 1) gives without
 * -mprfchw). GCC treats __builtin_prefetch as free of side effects: once
 * LTO had put the prefetch of the events ahead in a function of its own,
 * it dropped the calls, and --spec alloc-free -t 1 on the 20M bench trace
 * went from 2.3 to 4.5 s, every step waiting on its miss.
 */
static inline void prefetch_for_write(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	asm volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#elif defined(__aarch64__)
	asm volatile("prfm pstl1keep, %0" : : "Q"(*(const char *)p));
#else
	__builtin_prefetch(p, 1);
#endif
}

/*
 * Start loading the lines a find or insert of the key will touch first:
 * the home slot (with its record, if inline), and its full history if
 * the caller will write it. The caller issues this some events ahead, so
 * the misses of several lookups overlap instead of queueing.
 */
void kmrv_table_prefetch(const struct kmrv_table *t, uint64_t hash,
			 bool history)
{
	size_t i = (size_t)hash & t->mask;

	prefetch_for_write(slot_at(t, i));
	if (history && t->hist)
		prefetch_for_write(&t->hist[i]);
}

struct kmrv_history *kmrv_table_history(const struct kmrv_table *t,
					const struct kmrv_instance *inst)
{
	if (!t->hist)
		return NULL;
	return &t->hist[index_of(t, inst)];
}

struct kmrv_alloc_record *kmrv_table_alloc_record(const struct kmrv_table *t,
						  const struct kmrv_instance *inst)
{
	if (t->shift != SLOT_SHIFT_RECORD)
		return NULL;
	return (struct kmrv_alloc_record *)(uintptr_t)(inst + 1);
}

static void lift(const struct kmrv_table *t, size_t i, struct entry *e)
{
	slot_copy(t, &e->slot, slot_at(t, i));
	if (t->hist)
		e->hist = t->hist[i];
}

/* Put @e at the end of its probe run. */
static void place(struct kmrv_table *t, const struct entry *e)
{
	size_t j = home(t, e->slot.inst.ptr, e->slot.inst.pid);

	while (slot_at(t, j)->ptr)
		j = (j + 1) & t->mask;
	slot_copy(t, slot_at(t, j), &e->slot);
	if (t->hist)
		t->hist[j] = e->hist;
}

/*
 * Grow by copying into new arrays: for small tables, which live in the
 * heap. Keys are distinct, so no compares.
 */
static int grow_by_copy(struct kmrv_table *t, size_t old_capacity)
{
	struct kmrv_table old = *t;
	struct entry e;
	size_t i;

	if (table_alloc(t, old_capacity * 2, old.hist != NULL)) {
		*t = old;
		return -1;
	}
	for (i = 0; i < old_capacity; i++) {
		if (!slot_at(&old, i)->ptr)
			continue;
		lift(&old, i, &e);
		place(t, &e);
	}
	arrays_free(&old, old.slots, old.hist, old_capacity);
	return 0;
}

/*
 * Rehash in place after doubling (t->mask is the new one; the entries
 * sit in [0, @old_capacity) at their old places). Why this is exact:
 * first the run at the start of the array, whose entries may have
 * wrapped from the end, goes to @stash, so every remaining entry sits at
 * or after its old home. Then positions are taken in increasing order:
 * an entry is lifted out and placed again from its new home. A new home
 * in the low half is at or before the entry's old place, so the probe
 * only crosses positions already done and stops at the latest at the
 * place just emptied; one in the high half meets only entries already
 * placed (and if it wraps to the start, again only positions done). No
 * slot that a placed entry's probe crossed is emptied afterwards. The
 * stashed run goes last, into a table that is whole again.
 */
static void rehash_in_place(struct kmrv_table *t, size_t old_capacity,
			    struct entry *stash, size_t nr_stash)
{
	struct entry e;
	size_t i;

	for (i = 0; i < nr_stash; i++) {
		lift(t, i, &stash[i]);
		slot_at(t, i)->ptr = 0;
	}
	for (i = nr_stash; i < old_capacity; i++) {
		if (!slot_at(t, i)->ptr)
			continue;
		lift(t, i, &e);
		slot_at(t, i)->ptr = 0;
		place(t, &e);
	}
	for (i = 0; i < nr_stash; i++)
		place(t, &stash[i]);
}

/*
 * Grow huge-page arrays in place (kmrv_big_remap, rehash_in_place). Against
 * grow_by_copy this halves the fresh memory the kernel zeroes during
 * growth and the peak it holds (old and new arrays side by side): peak
 * RSS of --spec all on the 20M-event bench trace went from 1118 to
 * 932 MB. Everything that can fail comes first, so on failure the table
 * is unchanged.
 */
static int grow_in_place(struct kmrv_table *t, size_t old_capacity)
{
	size_t capacity = old_capacity * 2, nr_stash = 0;
	size_t bytes = slots_bytes(t, old_capacity);
	size_t hist_bytes = old_capacity * sizeof(*t->hist);
	struct entry *stash = NULL;
	uint8_t *slots;
	void *hist;

	while (slot_at(t, nr_stash)->ptr)
		nr_stash++;
	if (nr_stash) {
		stash = aligned_alloc(_Alignof(struct entry),
				      nr_stash * sizeof(*stash));
		if (!stash)
			return -1;
	}

	slots = kmrv_big_remap(t->slots, bytes, bytes * 2);
	if (!slots)
		goto fail;
	t->slots = slots;
	if (t->hist) {
		hist = kmrv_big_remap(t->hist, hist_bytes, hist_bytes * 2);
		if (!hist) {
			/* shrinking keeps the address; the entries never moved */
			kmrv_big_shrink(slots, bytes * 2, bytes);
			goto fail;
		}
		t->hist = hist;
	}

	t->mask = capacity - 1;
	t->max_count = capacity - capacity / 4;
	rehash_in_place(t, old_capacity, stash, nr_stash);
	free(stash);
	return 0;

fail:
	free(stash);
	return -1;
}

static int table_grow(struct kmrv_table *t)
{
	size_t old_capacity = t->mask + 1;

	if (old_capacity > SIZE_MAX / 2 / sizeof(struct entry))
		return -1;
	if (slots_bytes(t, old_capacity) >= KMRV_BIG_HUGE)
		return grow_in_place(t, old_capacity);
	return grow_by_copy(t, old_capacity);
}

struct kmrv_instance *kmrv_table_insert_hashed(struct kmrv_table *t,
					       uint64_t hash, uint64_t ptr,
					       int32_t pid, bool *created)
{
	struct kmrv_instance *s;
	size_t i;

	i = probe(t, hash, ptr, pid);
	s = slot_at(t, i);
	*created = !s->ptr;
	if (!*created)
		return s;

	/* On failure the table is unchanged and still valid. */
	if (t->count >= t->max_count) {
		if (table_grow(t))
			return NULL;
		i = probe(t, hash, ptr, pid);
		s = slot_at(t, i);
	}
	slot_clear(t, s);
	if (t->hist)
		memset(&t->hist[i], 0, sizeof(t->hist[i]));
	s->ptr = ptr;
	s->pid = pid;
	t->count++;
	return s;
}

struct kmrv_instance *kmrv_table_insert(struct kmrv_table *t, uint64_t ptr,
					int32_t pid, bool *created)
{
	return kmrv_table_insert_hashed(t, kmrv_table_hash(ptr, pid), ptr, pid,
					created);
}

void kmrv_table_delete(struct kmrv_table *t, struct kmrv_instance *inst)
{
	size_t hole = index_of(t, inst);
	size_t j = hole;

	for (;;) {
		const struct kmrv_instance *s;
		size_t h;

		j = (j + 1) & t->mask;
		s = slot_at(t, j);
		if (!s->ptr)
			break;
		/*
		 * s may move back into the hole only if that does not put
		 * it before its home: i.e. home is not in (hole, j].
		 */
		h = home(t, s->ptr, s->pid);
		if (((j - h) & t->mask) < ((j - hole) & t->mask))
			continue;
		slot_copy(t, slot_at(t, hole), s);
		if (t->hist)
			t->hist[hole] = t->hist[j];
		hole = j;
	}
	/* the rest of the slot, and its history, are zeroed when it is taken */
	memset(slot_at(t, hole), 0, sizeof(struct kmrv_instance));
	t->count--;
}

size_t kmrv_table_count(const struct kmrv_table *t)
{
	return t->count;
}

size_t kmrv_table_capacity(const struct kmrv_table *t)
{
	return t->mask + 1;
}

size_t kmrv_table_bytes(const struct kmrv_table *t)
{
	size_t capacity = t->mask + 1;

	return slots_bytes(t, capacity) +
	       (t->hist ? capacity * sizeof(*t->hist) : 0);
}

struct kmrv_instance *kmrv_table_next(const struct kmrv_table *t,
				      size_t *cursor)
{
	size_t i;

	for (i = *cursor; i <= t->mask; i++) {
		struct kmrv_instance *s = slot_at(t, i);

		if (s->ptr) {
			*cursor = i + 1;
			return s;
		}
	}
	*cursor = i;
	return NULL;
}
