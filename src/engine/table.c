// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - open-addressing hash table of automaton instances.
 *
 * Invariants (table.h states them for users; these are the ones the code
 * below relies on):
 *  - mask + 1 is the capacity, a power of two; count <= max_count =
 *    3/4 capacity, so every probe sequence meets an empty slot and ends.
 *  - an entry lives in its home slot mix(key) & mask or after it, with no
 *    empty slot between home and entry (linear probing, cyclic).
 *  - delete keeps that true without tombstones: it walks the rest of the
 *    cluster and moves back every entry whose home is not between the hole
 *    and the entry itself.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/table.h"

#define TABLE_MIN_CAPACITY	8

static_assert(sizeof(struct kmrv_instance) == 72,
	      "struct kmrv_instance: keep it at 72 bytes (table.h)");

struct kmrv_table {
	struct kmrv_instance	*slots;
	size_t			mask;
	size_t			count;
	size_t			max_count;
};

/*
 * Slab objects share their high bits and are aligned to 8..4096 bytes, so
 * the low bits of a pointer say almost nothing: every bit of the key must
 * reach the slot index. The pid is spread by a golden-ratio multiply and a
 * rotation into the pointer's constant high half, then murmur3's fmix64
 * finalizer mixes the lot.
 */
static inline uint64_t mix(uint64_t ptr, int32_t pid)
{
	uint64_t p = (uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ULL;
	uint64_t x = ptr ^ ((p << 32) | (p >> 32));

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline size_t home_slot(const struct kmrv_table *t, uint64_t ptr,
			       int32_t pid)
{
	return (size_t)mix(ptr, pid) & t->mask;
}

static int table_alloc(struct kmrv_table *t, size_t capacity)
{
	t->slots = calloc(capacity, sizeof(*t->slots));
	if (!t->slots)
		return -1;
	t->mask = capacity - 1;
	t->max_count = capacity - capacity / 4;
	return 0;
}

struct kmrv_table *kmrv_table_new(size_t hint)
{
	struct kmrv_table *t;
	size_t capacity = TABLE_MIN_CAPACITY;

	while (capacity - capacity / 4 < hint) {
		if (capacity > SIZE_MAX / 2 / sizeof(struct kmrv_instance))
			return NULL;
		capacity <<= 1;
	}

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
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
	free(t->slots);
	free(t);
}

struct kmrv_instance *kmrv_table_find(struct kmrv_table *t, uint64_t ptr,
				      int32_t pid)
{
	size_t i = home_slot(t, ptr, pid);

	for (;; i = (i + 1) & t->mask) {
		struct kmrv_instance *s = &t->slots[i];

		if (!s->ptr)
			return NULL;
		if (s->ptr == ptr && s->pid == pid)
			return s;
	}
}

/* Double the capacity and reinsert: keys are distinct, so no compares. */
static int table_grow(struct kmrv_table *t)
{
	struct kmrv_instance *old = t->slots;
	size_t old_capacity = t->mask + 1;
	size_t i;

	if (old_capacity > SIZE_MAX / 2 / sizeof(*old))
		return -1;
	if (table_alloc(t, old_capacity * 2)) {
		t->slots = old;
		return -1;
	}

	for (i = 0; i < old_capacity; i++) {
		size_t j;

		if (!old[i].ptr)
			continue;
		j = home_slot(t, old[i].ptr, old[i].pid);
		while (t->slots[j].ptr)
			j = (j + 1) & t->mask;
		t->slots[j] = old[i];
	}
	free(old);
	return 0;
}

struct kmrv_instance *kmrv_table_insert(struct kmrv_table *t, uint64_t ptr,
					int32_t pid, bool *created)
{
	struct kmrv_instance *s;
	size_t i;

	s = kmrv_table_find(t, ptr, pid);
	*created = !s;
	if (s)
		return s;

	/* On failure the table is unchanged and still valid. */
	if (t->count >= t->max_count && table_grow(t))
		return NULL;

	i = home_slot(t, ptr, pid);
	while (t->slots[i].ptr)
		i = (i + 1) & t->mask;
	s = &t->slots[i];
	memset(s, 0, sizeof(*s));
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
		struct kmrv_instance *s;
		size_t home;

		j = (j + 1) & t->mask;
		s = &t->slots[j];
		if (!s->ptr)
			break;
		/*
		 * s may move back into the hole only if that does not put
		 * it before its home: i.e. home is not in (hole, j].
		 */
		home = home_slot(t, s->ptr, s->pid);
		if (((j - home) & t->mask) < ((j - hole) & t->mask))
			continue;
		t->slots[hole] = *s;
		hole = j;
	}
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
