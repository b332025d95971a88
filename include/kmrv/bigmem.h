/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bigmem.h - arrays of megabytes that are first touched all at once or
 * grow: the instance tables, the end-of-trace sort buffers and the ring
 * between threads (zeroed), inflated trace.dat sections and the kallsyms
 * index (kmrv_big_malloc, for free()).
 *
 * Arrays of KMRV_BIG_HUGE bytes and more are anonymous mappings aligned
 * to a transparent huge page, with huge pages asked for (madvise), rather
 * than malloc'd. On the bench VM a first touch costs about 12 us per
 * 4 KiB page (0.32 GB/s) against 0.5-16 GB/s in 2 MiB pages, and random
 * probes into a table of millions of slots take a TLB miss each in 4 KiB
 * pages (table_bench: measurably faster from 1M inserts on). Smaller
 * arrays come from aligned_alloc, cache-line aligned.
 *
 * Free with the size the array was allocated (or remapped) with.
 */
#ifndef KMRV_BIGMEM_H
#define KMRV_BIGMEM_H

#include <stddef.h>

#define KMRV_BIG_HUGE	(2UL << 20)	/* a transparent huge page */

/* @bytes zeroed, 64-byte aligned (2 MiB from KMRV_BIG_HUGE up). */
void *kmrv_big_zalloc(size_t bytes);

/*
 * Double-or-more a huge-page array without copying: mremap moves its
 * page tables to a larger aligned range, and only the new part is fresh
 * (zeroed) memory. Both sizes at least KMRV_BIG_HUGE. NULL, with @old
 * intact, on failure.
 */
void *kmrv_big_remap(void *old, size_t old_bytes, size_t new_bytes);

/* Shrink a huge-page array in place (a remap's undo); never moves it. */
void kmrv_big_shrink(void *p, size_t old_bytes, size_t new_bytes);

void kmrv_big_free(void *p, size_t bytes);

/*
 * kmrv_big_malloc - @bytes uninitialised, for free(): from KMRV_BIG_HUGE
 * up, 2 MiB-aligned with huge pages asked for (an inflated section, the
 * kallsyms index: first-touched once, megabytes at a time).
 */
void *kmrv_big_malloc(size_t bytes);

#endif /* KMRV_BIGMEM_H */
