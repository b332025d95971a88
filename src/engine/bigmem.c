// SPDX-License-Identifier: GPL-2.0
/*
 * bigmem.c - zeroed arrays, in transparent huge pages when large
 * (bigmem.h says why).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kmrv/bigmem.h"

/* What an array of @bytes really takes: whole huge pages, if any. */
static size_t mapped_bytes(size_t bytes)
{
	if (bytes < KMRV_BIG_HUGE)
		return bytes;
	return (bytes + KMRV_BIG_HUGE - 1) & ~(KMRV_BIG_HUGE - 1);
}

/* A zeroed 2 MiB-aligned anonymous mapping of @bytes (whole huge pages). */
static void *map_huge(size_t bytes)
{
	uint8_t *p, *aligned;
	size_t head;

	p = mmap(NULL, bytes + KMRV_BIG_HUGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	aligned = (uint8_t *)(((uintptr_t)p + KMRV_BIG_HUGE - 1) &
			      ~(KMRV_BIG_HUGE - 1));
	head = (size_t)(aligned - p);
	if (head)
		munmap(p, head);
	munmap(aligned + bytes, KMRV_BIG_HUGE - head);
	madvise(aligned, bytes, MADV_HUGEPAGE);
	return aligned;
}

void *kmrv_big_zalloc(size_t bytes)
{
	void *p;

	bytes = mapped_bytes(bytes);
	if (bytes >= KMRV_BIG_HUGE)
		return map_huge(bytes);
	/* whole cache lines, line-aligned: a table slot never straddles two */
	bytes = (bytes + 63) & ~(size_t)63;
	if (!bytes)
		bytes = 64;
	p = aligned_alloc(64, bytes);
	if (p)
		memset(p, 0, bytes);
	return p;
}

void *kmrv_big_remap(void *old, size_t old_bytes, size_t new_bytes)
{
	void *dst, *p;

	old_bytes = mapped_bytes(old_bytes);
	new_bytes = mapped_bytes(new_bytes);
	dst = map_huge(new_bytes);
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

void kmrv_big_shrink(void *p, size_t old_bytes, size_t new_bytes)
{
	mremap(p, mapped_bytes(old_bytes), mapped_bytes(new_bytes), 0);
}

void kmrv_big_free(void *p, size_t bytes)
{
	if (!p)
		return;
	bytes = mapped_bytes(bytes);
	if (bytes < KMRV_BIG_HUGE)
		free(p);
	else
		munmap(p, bytes);
}

void *kmrv_big_malloc(size_t bytes)
{
	size_t whole = mapped_bytes(bytes);
	void *p;

	if (whole < KMRV_BIG_HUGE)
		return malloc(bytes ? bytes : 1);
	p = aligned_alloc(KMRV_BIG_HUGE, whole);
	if (p)
		madvise(p, whole, MADV_HUGEPAGE);
	return p;
}
