// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - open-addressing hash table of automaton instances.
 *
 * Invariants (table.h states them for users; these are the ones the code
 * below relies on):
 *  - mask + 1 is the capacity, a power of two; count <= max_count =
 *    3/4 capacity, so every probe sequence meets an empty slot and ends.
 *  - slots[i] is an instance, ptr 0 for an empty slot; the hist_size
 *    bytes at hist + i * hist_size, when the table keeps history, are
 *    its history: the two arrays always move together. Probes compare
 *    the 16-byte instances in place, four to a cache line, so a hit
 *    near home costs one line and a miss at load 3/4 (about 8 slots)
 *    two adjacent ones. (An earlier layout kept a separate array of
 *    8-byte hashes in front of 72-byte entries; with 16-byte instances
 *    it only added a line to every hit.) History is a line (full) or
 *    half of one (the allocation alone), aligned to its size, touched
 *    only by the monitor's writes and the report.
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
#include <sys/mman.h>

#include "kmrv/hash.h"
#include "kmrv/table.h"

#define TABLE_MIN_CAPACITY	8
#define HUGE_BYTES		(2UL << 20)	/* a transparent huge page */

static_assert(sizeof(struct kmrv_instance) == 16,
	      "struct kmrv_instance: keep it at 16 bytes (table.h)");
static_assert(sizeof(struct kmrv_history) == 64,
	      "struct kmrv_history: keep it at one cache line (table.h)");
static_assert(sizeof(struct kmrv_alloc_record) == 32,
	      "struct kmrv_alloc_record: keep it at half a line (table.h)");

struct kmrv_table {
	struct kmrv_instance	*slots;
	uint8_t			*hist;		/* NULL: no history kept */
	size_t			hist_size;	/* bytes per slot, 0, 32 or 64 */
	size_t			mask;
	size_t			count;
	size_t			max_count;
};

static inline size_t home(const struct kmrv_table *t, uint64_t ptr, int32_t pid)
{
	return (size_t)kmrv_mix_key(ptr, pid) & t->mask;
}

/*
 * Arrays of 2 MiB and more are mapped directly with transparent huge
 * pages asked for, rather than calloc'd: measurably faster (table_bench,
 * 1M+ inserts) because a table of millions of slots otherwise takes a
 * page fault per 4 KiB on first touch (about 10 us each in the bench VM
 * against 0.25 us per 4 KiB with huge pages) and a TLB miss per probe.
 */
static size_t map_bytes(size_t bytes)
{
	if (bytes < HUGE_BYTES)
		return bytes;
	return (bytes + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1);
}

/* A zeroed 2 MiB-aligned anonymous mapping of @bytes (a multiple of 2 MiB). */
static void *map_huge(size_t bytes)
{
	uint8_t *p, *aligned;
	size_t head;

	p = mmap(NULL, bytes + HUGE_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	aligned = (uint8_t *)(((uintptr_t)p + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1));
	head = (size_t)(aligned - p);
	if (head)
		munmap(p, head);
	munmap(aligned + bytes, HUGE_BYTES - head);
	madvise(aligned, bytes, MADV_HUGEPAGE);
	return aligned;
}

static void *zalloc(size_t bytes)
{
	void *p;

	bytes = map_bytes(bytes);
	if (bytes >= HUGE_BYTES)
		return map_huge(bytes);
	/* a whole number of cache lines, line-aligned: history is per line */
	bytes = (bytes + 63) & ~(size_t)63;
	p = aligned_alloc(64, bytes);
	if (p)
		memset(p, 0, bytes);
	return p;
}

static void zfree(void *p, size_t bytes)
{
	if (!p)
		return;
	bytes = map_bytes(bytes);
	if (bytes < HUGE_BYTES)
		free(p);
	else
		munmap(p, bytes);
}

static void arrays_free(struct kmrv_instance *slots, uint8_t *hist,
			size_t hist_size, size_t capacity)
{
	zfree(slots, capacity * sizeof(*slots));
	zfree(hist, capacity * hist_size);
}

static inline void *hist_at(const struct kmrv_table *t, size_t i)
{
	return t->hist + i * t->hist_size;
}

/* One slot's history from @src to @dst: two fixed sizes, no loop. */
static inline void hist_copy(const struct kmrv_table *t, void *dst,
			     const void *src)
{
	if (t->hist_size == sizeof(struct kmrv_history))
		memcpy(dst, src, sizeof(struct kmrv_history));
	else
		memcpy(dst, src, sizeof(struct kmrv_alloc_record));
}

static int table_alloc(struct kmrv_table *t, size_t capacity)
{
	t->slots = zalloc(capacity * sizeof(*t->slots));
	t->hist = t->hist_size ? zalloc(capacity * t->hist_size) : NULL;
	if (!t->slots || (t->hist_size && !t->hist)) {
		arrays_free(t->slots, t->hist, t->hist_size, capacity);
		return -1;
	}
	t->mask = capacity - 1;
	t->max_count = capacity - capacity / 4;
	return 0;
}

struct kmrv_table *kmrv_table_new(size_t hint,
				  enum kmrv_table_history history)
{
	struct kmrv_table *t;
	size_t capacity = TABLE_MIN_CAPACITY;

	while (capacity - capacity / 4 < hint) {
		if (capacity > SIZE_MAX / 2 / sizeof(struct kmrv_history))
			return NULL;
		capacity <<= 1;
	}

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (history == KMRV_HISTORY_FULL)
		t->hist_size = sizeof(struct kmrv_history);
	else if (history == KMRV_HISTORY_ALLOC)
		t->hist_size = sizeof(struct kmrv_alloc_record);
	if (table_alloc(t, capacity)) {
		free(t);
		return NULL;
	}
	return t;
}

void kmrv_table_free(struct kmrv_table *t)
{
	if (!t)
		return;
	arrays_free(t->slots, t->hist, t->hist_size, t->mask + 1);
	free(t);
}

/* The slot holding (ptr, pid), or the empty slot ending its probe. */
static inline size_t probe(const struct kmrv_table *t, uint64_t ptr,
			   int32_t pid)
{
	size_t i = home(t, ptr, pid);

	for (;; i = (i + 1) & t->mask) {
		const struct kmrv_instance *s = &t->slots[i];

		if (!s->ptr || (s->ptr == ptr && s->pid == pid))
			return i;
	}
}

struct kmrv_instance *kmrv_table_find(struct kmrv_table *t, uint64_t ptr,
				      int32_t pid)
{
	size_t i = probe(t, ptr, pid);

	return t->slots[i].ptr ? &t->slots[i] : NULL;
}

/*
 * Start loading the lines a find or insert of (ptr, pid) will touch first:
 * the home slot's instance, and its history if the caller will write it.
 * The caller issues this some events ahead, so the misses of several
 * lookups overlap instead of queueing.
 */
void kmrv_table_prefetch(const struct kmrv_table *t, uint64_t ptr, int32_t pid,
			 bool history)
{
	size_t i = home(t, ptr, pid);

	__builtin_prefetch(&t->slots[i], 1);
	if (history && t->hist)
		__builtin_prefetch(hist_at(t, i), 1);
}

struct kmrv_history *kmrv_table_history(const struct kmrv_table *t,
					const struct kmrv_instance *inst)
{
	if (t->hist_size != sizeof(struct kmrv_history))
		return NULL;
	return hist_at(t, (size_t)(inst - t->slots));
}

struct kmrv_alloc_record *kmrv_table_alloc_record(const struct kmrv_table *t,
						  const struct kmrv_instance *inst)
{
	if (t->hist_size != sizeof(struct kmrv_alloc_record))
		return NULL;
	return hist_at(t, (size_t)(inst - t->slots));
}

/* Put the entry (and history) @e/@eh at the end of its new probe run. */
static void place(struct kmrv_table *t, const struct kmrv_instance *e,
		  const void *eh)
{
	size_t j = home(t, e->ptr, e->pid);

	while (t->slots[j].ptr)
		j = (j + 1) & t->mask;
	t->slots[j] = *e;
	if (eh)
		hist_copy(t, hist_at(t, j), eh);
}

/*
 * Grow by copying into new arrays: for small tables, which live in the
 * heap. Keys are distinct, so no compares.
 */
static int grow_by_copy(struct kmrv_table *t, size_t old_capacity)
{
	struct kmrv_instance *old = t->slots;
	uint8_t *old_hist = t->hist;
	size_t i;

	if (table_alloc(t, old_capacity * 2)) {
		t->slots = old;
		t->hist = old_hist;
		return -1;
	}

	for (i = 0; i < old_capacity; i++)
		if (old[i].ptr)
			place(t, &old[i],
			      old_hist ? old_hist + i * t->hist_size : NULL);
	arrays_free(old, old_hist, t->hist_size, old_capacity);
	return 0;
}

/*
 * Double a huge-page array in place: mremap moves the page tables to a
 * 2 MiB-aligned range twice the size (nothing is copied, the huge pages
 * stay), and only the new half is fresh memory. NULL, with @old intact,
 * on failure.
 */
static void *remap_huge(void *old, size_t old_bytes, size_t new_bytes)
{
	void *dst = map_huge(new_bytes), *p;

	if (!dst)
		return NULL;
	p = mremap(old, old_bytes, new_bytes, MREMAP_MAYMOVE | MREMAP_FIXED,
		   dst);
	if (p == MAP_FAILED) {
		munmap(dst, new_bytes);
		return NULL;
	}
	madvise(p, new_bytes, MADV_HUGEPAGE);
	return p;
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
			    struct kmrv_instance *stash,
			    uint8_t *stash_hist, size_t nr_stash)
{
	size_t i, hs = t->hist_size;

	for (i = 0; i < nr_stash; i++) {
		stash[i] = t->slots[i];
		if (stash_hist)
			hist_copy(t, stash_hist + i * hs, hist_at(t, i));
		t->slots[i].ptr = 0;
	}
	for (i = nr_stash; i < old_capacity; i++) {
		struct kmrv_instance e = t->slots[i];
		struct kmrv_history eh;	/* room for either kind */

		if (!e.ptr)
			continue;
		if (t->hist)
			hist_copy(t, &eh, hist_at(t, i));
		t->slots[i].ptr = 0;
		place(t, &e, t->hist ? &eh : NULL);
	}
	for (i = 0; i < nr_stash; i++)
		place(t, &stash[i], stash_hist ? stash_hist + i * hs : NULL);
}

/*
 * Grow huge-page arrays in place (remap_huge, rehash_in_place). Against
 * grow_by_copy this halves the fresh memory the kernel zeroes during
 * growth and the peak it holds (old and new arrays side by side): peak
 * RSS of --spec all on the 20M-event bench trace went from 1118 to
 * 932 MB. Everything that can fail comes first, so on failure the table
 * is unchanged.
 */
static int grow_in_place(struct kmrv_table *t, size_t old_capacity)
{
	size_t capacity = old_capacity * 2, nr_stash = 0;
	size_t slots_bytes = old_capacity * sizeof(*t->slots);
	size_t hist_bytes = old_capacity * t->hist_size;
	struct kmrv_instance *stash = NULL, *slots;
	uint8_t *stash_hist = NULL, *hist;

	while (t->slots[nr_stash].ptr)
		nr_stash++;
	if (nr_stash) {
		stash = malloc(nr_stash * sizeof(*stash));
		if (t->hist)
			stash_hist = aligned_alloc(64, nr_stash * 64);
		if (!stash || (t->hist && !stash_hist))
			goto fail;
	}

	slots = remap_huge(t->slots, slots_bytes, slots_bytes * 2);
	if (!slots)
		goto fail;
	t->slots = slots;
	if (t->hist) {
		hist = remap_huge(t->hist, hist_bytes, hist_bytes * 2);
		if (!hist) {
			/* shrinking keeps the address; the entries never moved */
			mremap(slots, slots_bytes * 2, slots_bytes, 0);
			goto fail;
		}
		t->hist = hist;
	}

	t->mask = capacity - 1;
	t->max_count = capacity - capacity / 4;
	rehash_in_place(t, old_capacity, stash, stash_hist, nr_stash);
	free(stash);
	free(stash_hist);
	return 0;

fail:
	free(stash);
	free(stash_hist);
	return -1;
}

static int table_grow(struct kmrv_table *t)
{
	size_t old_capacity = t->mask + 1;

	if (old_capacity > SIZE_MAX / 2 / sizeof(struct kmrv_history))
		return -1;
	if (old_capacity * sizeof(*t->slots) >= HUGE_BYTES)
		return grow_in_place(t, old_capacity);
	return grow_by_copy(t, old_capacity);
}

struct kmrv_instance *kmrv_table_insert(struct kmrv_table *t, uint64_t ptr,
					int32_t pid, bool *created)
{
	struct kmrv_instance *s;
	size_t i;

	i = probe(t, ptr, pid);
	*created = !t->slots[i].ptr;
	if (!*created)
		return &t->slots[i];

	/* On failure the table is unchanged and still valid. */
	if (t->count >= t->max_count) {
		if (table_grow(t))
			return NULL;
		i = probe(t, ptr, pid);
	}
	s = &t->slots[i];
	memset(s, 0, sizeof(*s));
	if (t->hist)
		memset(hist_at(t, i), 0, t->hist_size);
	s->ptr = ptr;
	s->pid = pid;
	t->count++;
	return s;
}

void kmrv_table_delete(struct kmrv_table *t, struct kmrv_instance *inst)
{
	size_t hole = (size_t)(inst - t->slots);
	size_t j = hole;

	for (;;) {
		const struct kmrv_instance *s;
		size_t h;

		j = (j + 1) & t->mask;
		s = &t->slots[j];
		if (!s->ptr)
			break;
		/*
		 * s may move back into the hole only if that does not put
		 * it before its home: i.e. home is not in (hole, j].
		 */
		h = home(t, s->ptr, s->pid);
		if (((j - h) & t->mask) < ((j - hole) & t->mask))
			continue;
		t->slots[hole] = *s;
		if (t->hist)
			hist_copy(t, hist_at(t, hole), hist_at(t, j));
		hole = j;
	}
	/* the slot's history is zeroed when the slot is taken again */
	memset(&t->slots[hole], 0, sizeof(t->slots[hole]));
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
	size_t slot = sizeof(*t->slots);

	slot += t->hist_size;
	return (t->mask + 1) * slot;
}

struct kmrv_instance *kmrv_table_next(const struct kmrv_table *t,
				      size_t *cursor)
{
	size_t i;

	for (i = *cursor; i <= t->mask; i++) {
		if (t->slots[i].ptr) {
			*cursor = i + 1;
			return &t->slots[i];
		}
	}
	*cursor = i;
	return NULL;
}
