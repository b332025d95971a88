// SPDX-License-Identifier: GPL-2.0
/*
 * test_table.c - the instance table against a reference that cannot be
 * wrong: a direct-indexed array over a fixed universe of keys. Long
 * insert/find/delete churn with fixed seeds, slab-like clustered keys,
 * clusters that wrap around the end of the slot array.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kmrv/hash.h"
#include "kmrv/table.h"

#define SLAB_BASE	0xffff888000000000ULL

struct key {
	uint64_t	ptr;
	int32_t		pid;
};

/* The reference: key i of the universe is present with payload[i]. */
struct ref {
	size_t		n;
	struct key	*keys;
	bool		*present;
	uint64_t	*payload;
	size_t		count;
};

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64: fixed seeds give the same run everywhere */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void ref_init(struct ref *r, size_t n)
{
	r->n = n;
	r->keys = calloc(n, sizeof(*r->keys));
	r->present = calloc(n, sizeof(*r->present));
	r->payload = calloc(n, sizeof(*r->payload));
	r->count = 0;
	assert_non_null(r->keys);
	assert_non_null(r->present);
	assert_non_null(r->payload);
}

static void ref_release(struct ref *r)
{
	free(r->keys);
	free(r->present);
	free(r->payload);
}

static bool is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

static void check_invariants(const struct kmrv_table *t, size_t expect)
{
	size_t cap = kmrv_table_capacity(t);

	assert_int_equal(kmrv_table_count(t), expect);
	assert_true(is_pow2(cap));
	assert_true(kmrv_table_count(t) * 4 <= cap * 3);
}

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->ptr != y->ptr)
		return x->ptr < y->ptr ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Iteration visits every present key exactly once and nothing else. */
static void check_iteration(struct kmrv_table *t, const struct ref *r)
{
	struct key *seen, *want;
	struct kmrv_instance *inst;
	size_t cursor = 0, n = 0, m = 0, i;

	seen = calloc(kmrv_table_count(t) + 1, sizeof(*seen));
	want = calloc(r->count + 1, sizeof(*want));
	assert_non_null(seen);
	assert_non_null(want);

	while ((inst = kmrv_table_next(t, &cursor))) {
		assert_true(n < kmrv_table_count(t));
		seen[n].ptr = inst->ptr;
		seen[n].pid = inst->pid;
		n++;
	}
	for (i = 0; i < r->n; i++)
		if (r->present[i])
			want[m++] = r->keys[i];

	assert_int_equal(n, m);
	qsort(seen, n, sizeof(*seen), key_cmp);
	qsort(want, m, sizeof(*want), key_cmp);
	for (i = 0; i < n; i++) {
		assert_int_equal(seen[i].ptr, want[i].ptr);
		assert_int_equal(seen[i].pid, want[i].pid);
	}
	free(seen);
	free(want);
}

/*
 * A value that must move with an entry: in the history when the table
 * keeps one, else in the instance's state byte. Returns what to expect.
 */
static uint64_t set_payload(struct kmrv_table *t, struct kmrv_instance *inst,
			    uint64_t v)
{
	struct kmrv_history *h = kmrv_table_history(t, inst);
	struct kmrv_alloc_record *a = kmrv_table_alloc_record(t, inst);

	assert_false(h && a);
	inst->state = (uint8_t)v;
	if (h) {
		h->alloc_ts = v;
		h->free_site = ~v;	/* the far end of the line moves too */
		return v;
	}
	if (a) {
		/* the whole slot moves: both ends of the record, the CPU */
		a->ts = v;
		a->pid = (int32_t)~v;
		inst->alloc_cpu = (uint16_t)(v >> 8);
		return v;
	}
	return (uint8_t)v;
}

static uint64_t payload(struct kmrv_table *t, struct kmrv_instance *inst)
{
	struct kmrv_history *h = kmrv_table_history(t, inst);
	struct kmrv_alloc_record *a = kmrv_table_alloc_record(t, inst);

	if (h) {
		assert_int_equal(inst->state, (uint8_t)h->alloc_ts);
		assert_int_equal(h->free_site, ~h->alloc_ts);
		return h->alloc_ts;
	}
	if (a) {
		assert_int_equal(inst->state, (uint8_t)a->ts);
		assert_int_equal(a->pid, (int32_t)~a->ts);
		assert_int_equal(inst->alloc_cpu, (uint16_t)(a->ts >> 8));
		return a->ts;
	}
	return inst->state;
}

/* Every key of the universe: find agrees with the reference. */
static void check_all_finds(struct kmrv_table *t, const struct ref *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct kmrv_instance *inst;

		inst = kmrv_table_find(t, r->keys[i].ptr, r->keys[i].pid);
		if (!r->present[i]) {
			assert_null(inst);
			continue;
		}
		assert_non_null(inst);
		assert_int_equal(inst->ptr, r->keys[i].ptr);
		assert_int_equal(inst->pid, r->keys[i].pid);
		assert_int_equal(payload(t, inst), r->payload[i]);
	}
}

static void op_insert(struct kmrv_table *t, struct ref *r, size_t i)
{
	struct kmrv_instance *inst;
	bool created;

	inst = kmrv_table_insert(t, r->keys[i].ptr, r->keys[i].pid, &created);
	assert_non_null(inst);
	assert_int_equal(created, !r->present[i]);
	assert_int_equal(inst->ptr, r->keys[i].ptr);
	assert_int_equal(inst->pid, r->keys[i].pid);
	if (!created) {
		assert_int_equal(payload(t, inst), r->payload[i]);
		return;
	}
	/* a new entry is zero-filled apart from its key */
	assert_int_equal(inst->state, 0);
	assert_int_equal(inst->holds_slot, 0);
	assert_int_equal(inst->freed_once, 0);
	if (kmrv_table_history(t, inst)) {
		assert_int_equal(kmrv_table_history(t, inst)->alloc_ts, 0);
		assert_int_equal(kmrv_table_history(t, inst)->free_site, 0);
	}
	if (kmrv_table_alloc_record(t, inst)) {
		assert_int_equal(kmrv_table_alloc_record(t, inst)->ts, 0);
		assert_int_equal(kmrv_table_alloc_record(t, inst)->origin, 0);
		assert_int_equal(kmrv_table_alloc_record(t, inst)->pid, 0);
		assert_int_equal(inst->alloc_cpu, 0);
	}
	r->payload[i] = set_payload(t, inst, rng() | 1);
	r->present[i] = true;
	r->count++;
}

static void op_delete(struct kmrv_table *t, struct ref *r, size_t i)
{
	struct kmrv_instance *inst;

	inst = kmrv_table_find(t, r->keys[i].ptr, r->keys[i].pid);
	if (!r->present[i]) {
		assert_null(inst);
		return;
	}
	assert_non_null(inst);
	kmrv_table_delete(t, inst);
	r->present[i] = false;
	r->count--;
}

static void op_find(struct kmrv_table *t, struct ref *r, size_t i)
{
	struct kmrv_instance *inst;

	inst = kmrv_table_find(t, r->keys[i].ptr, r->keys[i].pid);
	if (!r->present[i]) {
		assert_null(inst);
		return;
	}
	assert_non_null(inst);
	assert_int_equal(payload(t, inst), r->payload[i]);
}

/*
 * Random churn: @ops operations over the universe in phases of 50k that
 * alternately fill the table (60% inserts, 20% deletes) and drain it
 * (10% / 70%), so it grows, shrinks and refills around every size.
 */
static void churn(struct kmrv_table *t, struct ref *r, size_t ops)
{
	size_t op;

	for (op = 0; op < ops; op++) {
		size_t i = rng() % r->n;
		unsigned int dice = rng() % 100;
		bool fill = !((op / 50000) & 1);
		unsigned int ins = fill ? 60 : 10, del = fill ? 20 : 70;

		if (dice < ins)
			op_insert(t, r, i);
		else if (dice < ins + del)
			op_delete(t, r, i);
		else
			op_find(t, r, i);

		if (op % 4096 == 0)
			check_invariants(t, r->count);
		if (op % 65536 == 0) {
			check_all_finds(t, r);
			check_iteration(t, r);
		}
	}
	check_invariants(t, r->count);
	check_all_finds(t, r);
	check_iteration(t, r);
}

static void churn_with_slab_addresses(enum kmrv_table_history history)
{
	struct kmrv_table *t;
	struct ref r;
	size_t i;

	rng_state = 1;
	ref_init(&r, 30000);
	/* 64-byte objects, back to back, one pid: the slab case */
	for (i = 0; i < r.n; i++) {
		r.keys[i].ptr = SLAB_BASE + i * 64;
		r.keys[i].pid = 0;
	}
	t = kmrv_table_new(16, history);
	assert_non_null(t);
	churn(t, &r, 400000);
	kmrv_table_free(t);
	ref_release(&r);
}

static void churn_with_slab_addresses_matches_reference(void **state)
{
	(void)state;
	churn_with_slab_addresses(KMRV_HISTORY_FULL);
}

/* the same with the allocation record inline: 32-byte slots, two to a line */
static void churn_with_alloc_records_matches_reference(void **state)
{
	(void)state;
	churn_with_slab_addresses(KMRV_HISTORY_ALLOC);
}

static void churn_with_page_aligned_pids_and_pointers_matches_reference(void **state)
{
	struct kmrv_table *t;
	struct ref r;
	size_t i;

	(void)state;
	rng_state = 42;
	ref_init(&r, 24000);
	/* page-aligned objects, each seen by several pids (key pid ptr) */
	for (i = 0; i < r.n; i++) {
		r.keys[i].ptr = SLAB_BASE + (i / 6) * 4096;
		r.keys[i].pid = (int32_t)(i % 6) * 1000 + 1;
	}
	/* and without history: the payload is the state byte */
	t = kmrv_table_new(0, KMRV_HISTORY_NONE);
	assert_non_null(t);
	churn(t, &r, 300000);
	kmrv_table_free(t);
	ref_release(&r);
}

static void same_pointer_with_different_pids_are_distinct_keys(void **state)
{
	struct kmrv_table *t;
	struct ref r;
	size_t i;

	(void)state;
	rng_state = 7;
	ref_init(&r, 4096);
	/* one object, 4096 pids including 0, negative and extreme ones */
	for (i = 0; i < r.n; i++) {
		r.keys[i].ptr = SLAB_BASE + 0x40;
		r.keys[i].pid = (int32_t)i - 2;
	}
	r.keys[0].pid = INT32_MIN;
	r.keys[1].pid = INT32_MAX;
	t = kmrv_table_new(1, KMRV_HISTORY_FULL);
	assert_non_null(t);
	for (i = 0; i < r.n; i++)
		op_insert(t, &r, i);
	check_invariants(t, r.n);
	check_all_finds(t, &r);
	check_iteration(t, &r);
	churn(t, &r, 100000);
	kmrv_table_free(t);
	ref_release(&r);
}

static void growth_from_tiny_hint_keeps_load_at_most_three_quarters(void **state)
{
	struct kmrv_table *t;
	struct ref r;
	size_t i, last_cap;

	(void)state;
	rng_state = 3;
	ref_init(&r, 100000);
	for (i = 0; i < r.n; i++) {
		r.keys[i].ptr = SLAB_BASE + i * 32;
		r.keys[i].pid = 0;
	}
	t = kmrv_table_new(0, KMRV_HISTORY_FULL);
	assert_non_null(t);
	last_cap = kmrv_table_capacity(t);
	assert_true(is_pow2(last_cap));
	for (i = 0; i < r.n; i++) {
		size_t cap;

		op_insert(t, &r, i);
		cap = kmrv_table_capacity(t);
		/* growth only ever doubles, and only when it must */
		assert_true(cap == last_cap || cap == last_cap * 2);
		if (cap != last_cap)
			assert_int_equal(i, last_cap - last_cap / 4);
		last_cap = cap;
		check_invariants(t, i + 1);
	}
	check_all_finds(t, &r);
	check_iteration(t, &r);
	kmrv_table_free(t);
	ref_release(&r);
}

static void hint_sizes_table_without_growth(void **state)
{
	struct kmrv_table *t;
	size_t hints[] = { 0, 1, 6, 7, 12, 13, 1000, 3 << 10, (3 << 10) + 1 };
	size_t h;

	(void)state;
	for (h = 0; h < sizeof(hints) / sizeof(hints[0]); h++) {
		size_t cap, i;
		bool created;

		t = kmrv_table_new(hints[h], KMRV_HISTORY_FULL);
		assert_non_null(t);
		cap = kmrv_table_capacity(t);
		assert_true(is_pow2(cap));
		assert_true(cap - cap / 4 >= hints[h]);
		/* and not bigger than needed */
		assert_true(cap <= 8 || (cap / 2) - (cap / 2) / 4 < hints[h]);
		for (i = 0; i < hints[h]; i++)
			assert_non_null(kmrv_table_insert(t, SLAB_BASE + i * 8,
							  0, &created));
		assert_int_equal(kmrv_table_capacity(t), cap);
		kmrv_table_free(t);
	}
}

/*
 * The slot a key lands in when alone in an empty table of this capacity
 * is its home slot: found through the iteration cursor, without knowing
 * the mixer.
 */
static size_t home_of(struct kmrv_table *probe, uint64_t ptr, int32_t pid)
{
	struct kmrv_instance *inst;
	size_t cursor = 0;
	bool created;

	assert_int_equal(kmrv_table_count(probe), 0);
	assert_non_null(kmrv_table_insert(probe, ptr, pid, &created));
	inst = kmrv_table_next(probe, &cursor);
	assert_non_null(inst);
	kmrv_table_delete(probe, inst);
	return cursor - 1;
}

static bool slot_taken(const struct kmrv_table *t, size_t slot)
{
	size_t cursor = slot;

	return kmrv_table_next(t, &cursor) && cursor == slot + 1;
}

/* No empty slot between an entry and its home (cyclically). */
static void check_probe_invariant(struct kmrv_table *t,
				  struct kmrv_table *probe)
{
	size_t cap = kmrv_table_capacity(t), mask = cap - 1;
	struct kmrv_instance *inst;
	size_t cursor = 0;

	assert_int_equal(kmrv_table_capacity(probe), cap);
	while ((inst = kmrv_table_next(t, &cursor))) {
		size_t pos = cursor - 1;
		size_t home = home_of(probe, inst->ptr, inst->pid);
		size_t k;

		for (k = home; k != pos; k = (k + 1) & mask)
			assert_true(slot_taken(t, k));
	}
}

static void delete_in_cluster_wrapping_around_end_keeps_keys_reachable(void **state)
{
	struct kmrv_table *t, *probe;
	struct ref r;
	size_t cap, mask, i, round;

	(void)state;
	rng_state = 11;
	/* hint 48 gives capacity 64 and no growth up to 48 keys */
	probe = kmrv_table_new(48, KMRV_HISTORY_FULL);
	assert_non_null(probe);
	cap = kmrv_table_capacity(probe);
	mask = cap - 1;

	/* keys whose home is one of the last 3 or the first 2 slots */
	ref_init(&r, 40);
	for (i = 0, round = 0; i < r.n; round++) {
		uint64_t ptr = SLAB_BASE + round * 64;
		size_t home = home_of(probe, ptr, 0);

		if (home >= cap - 3 || home < 2)
			r.keys[i++] = (struct key){ .ptr = ptr, .pid = 0 };
	}

	for (round = 0; round < 2000; round++) {
		t = kmrv_table_new(48, KMRV_HISTORY_FULL);
		assert_non_null(t);
		for (i = 0; i < r.n; i++)
			r.present[i] = false;
		r.count = 0;
		/* 20..40 keys: the cluster runs from slot cap-3 past slot 0 */
		for (i = 0; i < 20 + rng() % 21; i++)
			op_insert(t, &r, rng() % r.n);
		assert_int_equal(kmrv_table_capacity(t), cap);
		/* the setup really wraps: the first and last slots are taken */
		assert_true(slot_taken(t, mask));
		assert_true(slot_taken(t, 0));
		check_probe_invariant(t, probe);
		/* delete all in random order, checking after each */
		while (r.count) {
			op_delete(t, &r, rng() % r.n);
			check_all_finds(t, &r);
			if (round % 50 == 0)
				check_probe_invariant(t, probe);
		}
		check_invariants(t, 0);
		check_iteration(t, &r);
		kmrv_table_free(t);
	}
	kmrv_table_free(probe);
	ref_release(&r);
}

/*
 * Tables whose slot array reaches 2 MiB grow in place (table.c,
 * grow_in_place): the entries are rehashed inside the doubled arrays.
 * Here the table is full to its limit at 2^17 slots, with a run that
 * wraps from the last slots to the first (the case the in-place rehash
 * stashes), then grows twice. Homes come from the mixer, checked against
 * the table's own placement first.
 */
static size_t mixer_home(uint64_t ptr, int32_t pid, size_t cap)
{
	return (size_t)kmrv_mix_key(ptr, pid) & (cap - 1);
}

static void check_probe_invariant_by_mixer(struct kmrv_table *t)
{
	size_t cap = kmrv_table_capacity(t), mask = cap - 1;
	struct kmrv_instance *inst;
	size_t cursor = 0, n = 0;

	while ((inst = kmrv_table_next(t, &cursor))) {
		size_t pos = cursor - 1, k;

		for (k = mixer_home(inst->ptr, inst->pid, cap); k != pos;
		     k = (k + 1) & mask)
			assert_true(slot_taken(t, k));
		n++;
	}
	assert_int_equal(n, kmrv_table_count(t));
}

static void in_place_growth(enum kmrv_table_history history)
{
	const size_t cap = 1 << 17, limit = cap - cap / 4;
	struct kmrv_table *t, *probe;
	struct ref r;
	size_t i, n, wrapped = 0;
	uint64_t cand;

	rng_state = 5 + history;
	probe = kmrv_table_new(48, KMRV_HISTORY_FULL);
	assert_non_null(probe);
	for (i = 0; i < 64; i++)
		assert_int_equal(home_of(probe, SLAB_BASE + i * 64, 3),
				 mixer_home(SLAB_BASE + i * 64, 3,
					    kmrv_table_capacity(probe)));
	kmrv_table_free(probe);

	/* 12 keys homed in the last 4 slots, then random ones up to the limit */
	ref_init(&r, 2 * limit + 60000);
	n = 0;
	for (cand = 0; wrapped < 12; cand++) {
		uint64_t ptr = SLAB_BASE + cand * 64;

		if (mixer_home(ptr, 3, cap) >= cap - 4) {
			r.keys[n++] = (struct key){ .ptr = ptr, .pid = 3 };
			wrapped++;
		}
	}
	for (; n < r.n; n++)
		r.keys[n] = (struct key){ .ptr = rng() << 4 | 0x10,
					  .pid = (int32_t)(rng() % 7) };

	t = kmrv_table_new(limit, history);
	assert_non_null(t);
	assert_int_equal(kmrv_table_capacity(t), cap);
	for (i = 0; i < limit; i++)
		op_insert(t, &r, i);
	assert_int_equal(kmrv_table_capacity(t), cap);
	/* the setup really wraps: the last and first slots are taken */
	assert_true(slot_taken(t, cap - 1));
	assert_true(slot_taken(t, 0));
	check_probe_invariant_by_mixer(t);

	op_insert(t, &r, limit);
	assert_int_equal(kmrv_table_capacity(t), 2 * cap);
	check_invariants(t, limit + 1);
	check_probe_invariant_by_mixer(t);
	check_all_finds(t, &r);
	check_iteration(t, &r);

	/* churn through a second growth, deletes shifting moved entries */
	for (i = limit + 1; i < r.n; i++) {
		op_insert(t, &r, i);
		if (i % 3 == 0)
			op_delete(t, &r, rng() % i);
	}
	assert_int_equal(kmrv_table_capacity(t), 4 * cap);
	check_invariants(t, r.count);
	check_probe_invariant_by_mixer(t);
	check_all_finds(t, &r);
	check_iteration(t, &r);
	kmrv_table_free(t);
	ref_release(&r);
}

static void in_place_growth_with_history_keeps_every_key_and_payload(void **state)
{
	(void)state;
	in_place_growth(KMRV_HISTORY_FULL);
}

static void in_place_growth_with_alloc_records_keeps_every_key_and_payload(void **state)
{
	(void)state;
	in_place_growth(KMRV_HISTORY_ALLOC);
}

static void in_place_growth_without_history_keeps_every_key(void **state)
{
	(void)state;
	in_place_growth(KMRV_HISTORY_NONE);
}

static void delete_then_reinsert_returns_fresh_zeroed_entry(void **state)
{
	struct kmrv_table *t;
	struct kmrv_instance *inst;
	bool created;

	(void)state;
	t = kmrv_table_new(4, KMRV_HISTORY_FULL);
	assert_non_null(t);
	inst = kmrv_table_insert(t, 0x1000, 5, &created);
	assert_true(created);
	inst->state = 3;
	inst->freed_once = 1;
	kmrv_table_history(t, inst)->free_ts = 99;
	inst = kmrv_table_insert(t, 0x1000, 5, &created);
	assert_false(created);
	assert_int_equal(inst->state, 3);
	kmrv_table_delete(t, inst);
	assert_null(kmrv_table_find(t, 0x1000, 5));
	inst = kmrv_table_insert(t, 0x1000, 5, &created);
	assert_true(created);
	assert_int_equal(inst->state, 0);
	assert_int_equal(inst->freed_once, 0);
	assert_int_equal(kmrv_table_history(t, inst)->free_ts, 0);
	assert_int_equal(kmrv_table_count(t), 1);
	kmrv_table_free(t);
}

static void empty_table_iterates_nothing(void **state)
{
	struct kmrv_table *t;
	size_t cursor = 0;

	(void)state;
	t = kmrv_table_new(0, KMRV_HISTORY_FULL);
	assert_non_null(t);
	assert_null(kmrv_table_next(t, &cursor));
	assert_null(kmrv_table_next(t, &cursor));
	assert_null(kmrv_table_find(t, SLAB_BASE, 0));
	kmrv_table_free(t);
	kmrv_table_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(churn_with_slab_addresses_matches_reference),
		cmocka_unit_test(churn_with_alloc_records_matches_reference),
		cmocka_unit_test(churn_with_page_aligned_pids_and_pointers_matches_reference),
		cmocka_unit_test(same_pointer_with_different_pids_are_distinct_keys),
		cmocka_unit_test(growth_from_tiny_hint_keeps_load_at_most_three_quarters),
		cmocka_unit_test(hint_sizes_table_without_growth),
		cmocka_unit_test(delete_in_cluster_wrapping_around_end_keeps_keys_reachable),
		cmocka_unit_test(in_place_growth_with_history_keeps_every_key_and_payload),
		cmocka_unit_test(in_place_growth_with_alloc_records_keeps_every_key_and_payload),
		cmocka_unit_test(in_place_growth_without_history_keeps_every_key),
		cmocka_unit_test(delete_then_reinsert_returns_fresh_zeroed_entry),
		cmocka_unit_test(empty_table_iterates_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
