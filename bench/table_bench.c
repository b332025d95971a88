// SPDX-License-Identifier: GPL-2.0
/*
 * table_bench - ns per operation of the engine's instance table
 * (src/engine/table.c) next to a reference table built in the same run.
 *
 *   table_bench [MAX_KEYS]        (default 16M; sizes 100k, 1M, 4M, 16M)
 *
 * The reference is a chained table in the style of C++'s
 * std::unordered_map (one malloc'd node per key, a bucket array of
 * pointers, load factor <= 1, doubling): what a program gets from a
 * standard library. Both store the same 72 bytes per key (instance and
 * history), keyed by (ptr, pid), with the same mixer, so the difference
 * is the layout. Two more rows are the kmrv table as the engine uses it
 * for the specs whose verdicts need less: the allocation record inline
 * (32-byte slots: leak specs) and no history (16-byte instances).
 *
 * Keys look like slab objects: 0xffff8881........ aligned to 64 bytes,
 * shuffled. Phases, each over all n keys in a random order:
 * insert (from an empty table, growth included), hit (find present),
 * miss (find absent), delete (all). Prints one line per size and table.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kmrv/hash.h"
#include "kmrv/table.h"

struct ref_node {
	struct ref_node		*next;
	struct kmrv_instance	inst;
	struct kmrv_history	hist;
};

struct ref_table {
	struct ref_node	**buckets;
	size_t		mask, count;
};

static int ref_init(struct ref_table *t)
{
	t->mask = 7;
	t->count = 0;
	t->buckets = calloc(t->mask + 1, sizeof(*t->buckets));
	return t->buckets ? 0 : -1;
}

static struct kmrv_instance *ref_find(struct ref_table *t, uint64_t ptr, int32_t pid)
{
	struct ref_node *n = t->buckets[kmrv_mix_key(ptr, pid) & t->mask];

	for (; n; n = n->next)
		if (n->inst.ptr == ptr && n->inst.pid == pid)
			return &n->inst;
	return NULL;
}

static int ref_grow(struct ref_table *t)
{
	size_t cap = (t->mask + 1) * 2;
	struct ref_node **b = calloc(cap, sizeof(*b));

	if (!b)
		return -1;
	for (size_t i = 0; i <= t->mask; i++) {
		struct ref_node *n = t->buckets[i], *next;

		for (; n; n = next) {
			size_t j = kmrv_mix_key(n->inst.ptr, n->inst.pid) & (cap - 1);

			next = n->next;
			n->next = b[j];
			b[j] = n;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->mask = cap - 1;
	return 0;
}

static struct kmrv_instance *ref_insert(struct ref_table *t, uint64_t ptr, int32_t pid)
{
	struct kmrv_instance *found = ref_find(t, ptr, pid);
	struct ref_node *n;
	size_t j;

	if (found)
		return found;
	if (t->count >= t->mask + 1 && ref_grow(t))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->inst.ptr = ptr;
	n->inst.pid = pid;
	j = kmrv_mix_key(ptr, pid) & t->mask;
	n->next = t->buckets[j];
	t->buckets[j] = n;
	t->count++;
	return &n->inst;
}

static void ref_delete(struct ref_table *t, uint64_t ptr, int32_t pid)
{
	struct ref_node **pp = &t->buckets[kmrv_mix_key(ptr, pid) & t->mask];

	for (; *pp; pp = &(*pp)->next) {
		struct ref_node *n = *pp;

		if (n->inst.ptr == ptr && n->inst.pid == pid) {
			*pp = n->next;
			free(n);
			t->count--;
			return;
		}
	}
}

static void ref_free(struct ref_table *t)
{
	for (size_t i = 0; i <= t->mask; i++) {
		struct ref_node *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(t->buckets);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t rng = 0x1234567;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void shuffle(uint64_t *a, size_t n)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);
		uint64_t t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

/* 2n distinct slab-like addresses: the first n are inserted, the rest miss. */
static uint64_t *make_keys(size_t n)
{
	uint64_t *k = malloc(2 * n * sizeof(*k));

	if (!k)
		return NULL;
	for (size_t i = 0; i < 2 * n; i++)
		k[i] = 0xffff888100000000ULL + (uint64_t)i * 64;
	shuffle(k, 2 * n);
	return k;
}

static volatile uint64_t sink;

static void bench_kmrv(const uint64_t *k, size_t n,
		       enum kmrv_table_history history, double ns[4])
{
	struct kmrv_table *t = kmrv_table_new(0, history);
	struct kmrv_instance *inst;
	uint64_t hits = 0;
	bool created;
	double t0;

	t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		inst = kmrv_table_insert(t, k[i], 0, &created);
		inst->state = 1;
	}
	ns[0] = (now_ns() - t0) / n;
	t0 = now_ns();
	for (size_t i = n; i-- > 0;)
		hits += kmrv_table_find(t, k[i], 0) != NULL;
	ns[1] = (now_ns() - t0) / n;
	t0 = now_ns();
	for (size_t i = n; i < 2 * n; i++)
		hits += kmrv_table_find(t, k[i], 0) != NULL;
	ns[2] = (now_ns() - t0) / n;
	t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		inst = kmrv_table_find(t, k[i], 0);
		if (inst)
			kmrv_table_delete(t, inst);
	}
	ns[3] = (now_ns() - t0) / n;
	sink = hits + kmrv_table_count(t);
	kmrv_table_free(t);
}

static void bench_ref(const uint64_t *k, size_t n, double ns[4])
{
	struct ref_table t;
	uint64_t hits = 0;
	double t0;

	if (ref_init(&t))
		exit(1);
	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		ref_insert(&t, k[i], 0)->state = 1;
	ns[0] = (now_ns() - t0) / n;
	t0 = now_ns();
	for (size_t i = n; i-- > 0;)
		hits += ref_find(&t, k[i], 0) != NULL;
	ns[1] = (now_ns() - t0) / n;
	t0 = now_ns();
	for (size_t i = n; i < 2 * n; i++)
		hits += ref_find(&t, k[i], 0) != NULL;
	ns[2] = (now_ns() - t0) / n;
	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		ref_delete(&t, k[i], 0);
	ns[3] = (now_ns() - t0) / n;
	sink = hits + t.count;
	ref_free(&t);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 100000, 1000000, 4000000, 16000000 };
	size_t max = argc > 1 ? strtoull(argv[1], NULL, 0) : 16000000;

	printf("%-10s %-22s %9s %9s %9s %9s  (ns/op)\n",
	       "keys", "table", "insert", "hit", "miss", "delete");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		uint64_t *k;
		double a[4], b[4], c[4], d[4];

		if (n > max)
			break;
		k = make_keys(n);
		if (!k)
			return 1;
		bench_kmrv(k, n, KMRV_HISTORY_FULL, a);
		bench_ref(k, n, b);
		bench_kmrv(k, n, KMRV_HISTORY_ALLOC, d);
		bench_kmrv(k, n, KMRV_HISTORY_NONE, c);
		printf("%-10zu %-22s %9.1f %9.1f %9.1f %9.1f\n", n,
		       "kmrv open addressing", a[0], a[1], a[2], a[3]);
		printf("%-10zu %-22s %9.1f %9.1f %9.1f %9.1f\n", n,
		       "chained (std-like)", b[0], b[1], b[2], b[3]);
		printf("%-10zu %-22s %9.1f %9.1f %9.1f %9.1f\n", n,
		       "kmrv, alloc record", d[0], d[1], d[2], d[3]);
		printf("%-10zu %-22s %9.1f %9.1f %9.1f %9.1f\n", n,
		       "kmrv, no history", c[0], c[1], c[2], c[3]);
		free(k);
	}
	return 0;
}
