/* SPDX-License-Identifier: GPL-2.0 */
/*
 * table.h - the automaton instances, in an open-addressing hash table.
 *
 * Written for kmrv rather than taken from a library because it is the
 * engine's inner loop: one probe sequence per event, entries stored
 * inline, no allocation per key.
 *
 * Invariants (read these before the code):
 *  - capacity is a power of two; the load factor stays <= 3/4, growth
 *    doubles and reinserts (in place, by mremap, once the slot array
 *    reaches 2 MiB: only the new half is fresh memory).
 *  - the key is (ptr, pid); ptr == 0 marks an empty slot (the engine never
 *    sees NULL objects: failed allocations and NULL frees are filtered).
 *  - the home slot is a strong 64-bit mixer of the key, because slab
 *    addresses are aligned and share their high bits; linear probing.
 *  - deletion shifts the following entries of the cluster back, so there
 *    are no tombstones and probe lengths never degrade under churn.
 *  - a pointer returned by find/insert is valid until the next insert or
 *    delete on the same table.
 *  - a slot is 16 bytes (the instance), 32 with the allocation record
 *    inline, 16 + 64 with full history; a table that grew to n keys has
 *    between 4n/3 and 8n/3 slots (more if the hint or the minimum of 8
 *    asked for it).
 */
#ifndef KMRV_TABLE_H
#define KMRV_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmrv/hash.h"

/*
 * One automaton instance: its key and state. 16 bytes, four to a cache
 * line: this is what every event's lookup reads.
 */
struct kmrv_instance {
	uint64_t	ptr;		/* key: object (0 = empty slot) */
	int32_t		pid;		/* key: pid, or 0 for `key ptr` specs */
	uint8_t		state;
	/* engine only: this instance holds the `latest` slot of its group */
	uint8_t		holds_slot : 1;
	/* freed since its last alloc; the history's free_* say where, if kept */
	uint8_t		freed_once : 1;
	/*
	 * The last alloc's CPU, in KMRV_HISTORY_ALLOC tables only: its
	 * record has no room left, and these bytes were padding.
	 */
	uint16_t	alloc_cpu;
};

/*
 * What the report needs to explain an instance's verdicts, and the group
 * whose slot it holds: kept beside the instance only in tables created
 * with KMRV_HISTORY_FULL, so a spec whose verdicts never need it costs
 * 16 bytes a slot instead of 80.
 */
struct kmrv_history {
	uint64_t	alloc_ts;	/* last alloc of ptr (0: none seen) */
	uint64_t	alloc_site;
	uint64_t	alloc_bytes;
	uint64_t	free_ts;	/* first free after that alloc */
	uint64_t	free_site;
	int32_t		alloc_pid;
	int32_t		free_pid;
	int32_t		group;		/* engine only: see holds_slot */
	uint16_t	alloc_cpu;
	uint16_t	free_cpu;
	uint64_t	pad;		/* one cache line, not two */
} __attribute__((aligned(64)));

/*
 * The last allocation alone, all a leak report needs, stored right after
 * its instance: a 32-byte slot, so the lookup and the record an alloc
 * writes are one cache line (the CPU is in the instance). @origin is the
 * caller's number for the allocation's (call site, size): a trace has a
 * few hundred of those, so 8 bytes of site and 8 of size become 4.
 */
struct kmrv_alloc_record {
	uint64_t	ts;		/* 0: none seen */
	uint32_t	origin;
	int32_t		pid;
};

/* What a table keeps beside each instance. */
enum kmrv_table_history {
	KMRV_HISTORY_NONE,
	KMRV_HISTORY_FULL,	/* a struct kmrv_history */
	KMRV_HISTORY_ALLOC,	/* a struct kmrv_alloc_record, inline */
};

struct kmrv_table;

/*
 * A table with room for @hint keys before it grows, keeping @history
 * beside each instance. NULL on ENOMEM.
 */
struct kmrv_table *kmrv_table_new(size_t hint,
				  enum kmrv_table_history history);
void kmrv_table_free(struct kmrv_table *t);

/*
 * The hash a table files (ptr, pid) under, for the _hashed calls below:
 * a caller that looks one key up in several tables, or prefetches it
 * before it looks it up, hashes it once. Any other value given as
 * @hash is a bug: the key would be looked for in the wrong place.
 */
static inline uint64_t kmrv_table_hash(uint64_t ptr, int32_t pid)
{
	return kmrv_mix_key(ptr, pid);
}

/* The instance for (ptr, pid), or NULL. @ptr must not be 0. */
struct kmrv_instance *kmrv_table_find(struct kmrv_table *t, uint64_t ptr,
				      int32_t pid);
/* The same, @hash being kmrv_table_hash(ptr, pid). */
struct kmrv_instance *kmrv_table_find_hashed(struct kmrv_table *t,
					     uint64_t hash, uint64_t ptr,
					     int32_t pid);

/*
 * A hint: start loading the memory a lookup of the key whose
 * kmrv_table_hash() is @hash will read, and with @history the slot's
 * history line too.
 */
void kmrv_table_prefetch(const struct kmrv_table *t, uint64_t hash,
			 bool history);

/*
 * kmrv_table_insert - find (ptr, pid), or add it zero-filled (history
 * too) with the key set. *@created tells which. NULL only on ENOMEM.
 */
struct kmrv_instance *kmrv_table_insert(struct kmrv_table *t, uint64_t ptr,
					int32_t pid, bool *created);
/* The same, @hash being kmrv_table_hash(ptr, pid). */
struct kmrv_instance *kmrv_table_insert_hashed(struct kmrv_table *t,
					       uint64_t hash, uint64_t ptr,
					       int32_t pid, bool *created);

/*
 * The history of @inst (a pointer from find/insert/next), valid as long
 * as @inst is; NULL unless the table keeps KMRV_HISTORY_FULL.
 */
struct kmrv_history *kmrv_table_history(const struct kmrv_table *t,
					const struct kmrv_instance *inst);

/* The same for KMRV_HISTORY_ALLOC tables (NULL in the others). */
struct kmrv_alloc_record *kmrv_table_alloc_record(const struct kmrv_table *t,
						  const struct kmrv_instance *inst);

/* Remove @inst (a pointer from find/insert); backward-shift deletion. */
void kmrv_table_delete(struct kmrv_table *t, struct kmrv_instance *inst);

size_t kmrv_table_count(const struct kmrv_table *t);
size_t kmrv_table_capacity(const struct kmrv_table *t);
/* Memory held by the slot arrays. */
size_t kmrv_table_bytes(const struct kmrv_table *t);

/*
 * kmrv_table_next - iterate: start with *cursor = 0; returns the next
 * entry or NULL at the end. The table must not change while iterating.
 */
struct kmrv_instance *kmrv_table_next(const struct kmrv_table *t,
				      size_t *cursor);

#endif /* KMRV_TABLE_H */
