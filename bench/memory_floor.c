// SPDX-License-Identifier: GPL-2.0
/*
 * memory_floor.c - what this machine allows: the time per random cache
 * line from one core when the loads are independent (as the automata's
 * prefetched lookups are), in buffers the size of small and large
 * instance tables, and the cost of first-touching fresh memory against
 * memory touched before (table growth). bench/run.sh prints it next to
 * kmrv's own ns/event, so the gap to the hardware is in the same output.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define LOADS	20000000L

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint8_t *map(size_t bytes)
{
	uint8_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("memory_floor: mmap");
		exit(1);
	}
	madvise(p, bytes, MADV_HUGEPAGE);	/* as the tables are mapped */
	return p;
}

/* ns per line: LOADS independent loads at xorshift-random lines. */
static double random_lines(size_t mb)
{
	size_t bytes = mb << 20, lines = bytes / 64;
	uint8_t *p = map(bytes);
	uint64_t x = 88172645463325252ULL, sum = 0;
	double t;

	memset(p, 1, bytes);
	t = now();
	for (long i = 0; i < LOADS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sum += p[(x % lines) * 64];
	}
	t = now() - t;
	munmap(p, bytes);
	if (sum == 42)	/* keep the loads */
		putchar(' ');
	return t / LOADS * 1e9;
}

/* GB/s of first touch, one write per 4 KiB page, of a fresh mapping. */
static double first_touch(size_t mb)
{
	size_t bytes = mb << 20;
	uint8_t *p = map(bytes);
	double t = now();

	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = 1;
	t = now() - t;
	munmap(p, bytes);
	return bytes / t / 1e9;
}

int main(void)
{
	static const size_t sizes[] = { 16, 512, 1024 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		printf("  random line, %4zu MB buffer: %5.1f ns (independent loads, one core)\n",
		       sizes[i], random_lines(sizes[i]));
	for (int round = 1; round <= 3; round++)
		printf("  first touch of 1 GB, round %d: %5.2f GB/s\n", round, first_touch(1024));
	return 0;
}
