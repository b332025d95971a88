/* SPDX-License-Identifier: GPL-2.0 */
/*
 * idmap.h - a 64-bit key -> dense index map for the report's aggregates
 * (pids, call sites). Rows live in the caller's arrays; this only finds
 * them. Open addressing, linear probing, never deletes, so it needs none
 * of the engine table's deletion machinery.
 */
#ifndef KMRV_IDMAP_H
#define KMRV_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "kmrv/hash.h"

struct idmap_slot {
	uint64_t	key;
	uint32_t	index;
	uint32_t	used;
};

struct idmap {
	struct idmap_slot	*slots;
	size_t			mask;	/* capacity - 1, capacity a power of 2 */
	size_t			count;
};

/* Out of line: the first sight of a key, growing the map if need be. */
int64_t idmap_add(struct idmap *m, uint64_t key, uint32_t next_index, int *added);

/*
 * idmap_get - the index stored for @key; if absent, store @next_index and
 * set *@added. Returns -1 on ENOMEM.
 *
 * Inline because every verdict asks it three times (pid, call site, and
 * for a leak its allocation site): called, its prologue and the load
 * check came to most of its 55 instructions, and the verdicts to a
 * third of a check of the 1M-event bench slice (callgrind).
 */
static inline int64_t idmap_get(struct idmap *m, uint64_t key,
				uint32_t next_index, int *added)
{
	*added = 0;
	if (m->slots)
		for (size_t i = kmrv_mix64(key) & m->mask; m->slots[i].used;
		     i = (i + 1) & m->mask)
			if (m->slots[i].key == key)
				return m->slots[i].index;
	return idmap_add(m, key, next_index, added);
}

/* idmap_find - the index stored for @key, or -1 if it is absent. */
int64_t idmap_find(const struct idmap *m, uint64_t key);
void idmap_release(struct idmap *m);

#endif /* KMRV_IDMAP_H */
