// SPDX-License-Identifier: GPL-2.0
/*
 * test_engine.c - the monitor over the shipped specs (specs/NAME.spec,
 * read through the real parser), on small hand-written event sequences with
 * the exact list of verdicts each must give: kind, pointer, pid, the
 * event's time (0 at end), and the states the transition went between.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kmrv/engine.h"

/* Object n: 64-byte slab objects, as kmalloc-64 hands them out. */
#define P(n)		(0xffff888004a3c000ULL + (uint64_t)(n) * 0x40)
/* Every event has its own call site, so a verdict shows which it kept. */
#define SITE(ts)	(0xffffffff81200000ULL + (uint64_t)(ts) * 0x10)
#define CPU(ts)		((uint32_t)(ts) % 4)
#define BYTES(ts)	(64 + (uint64_t)(ts))

#define EV(tp_, ts_, ptr_, pid_) {				\
	.tp = (tp_), .ts = (ts_), .ptr = (ptr_), .pid = (pid_),	\
	.cpu = CPU(ts_), .call_site = SITE(ts_),		\
	.bytes_req = BYTES(ts_) - 8, .bytes_alloc = BYTES(ts_) }
#define KMALLOC(ts, ptr, pid)	EV(KMRV_TP_KMALLOC, ts, ptr, pid)
#define KMALLOC_NODE(ts, ptr, pid) EV(KMRV_TP_KMALLOC_NODE, ts, ptr, pid)
#define KFREE(ts, ptr, pid)	EV(KMRV_TP_KFREE, ts, ptr, pid)
#define CACHE_ALLOC(ts, ptr, pid) EV(KMRV_TP_CACHE_ALLOC, ts, ptr, pid)
#define CACHE_ALLOC_NODE(ts, ptr, pid) EV(KMRV_TP_CACHE_ALLOC_NODE, ts, ptr, pid)
#define CACHE_FREE(ts, ptr, pid) EV(KMRV_TP_CACHE_FREE, ts, ptr, pid)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_GOT		4096

/* What the tests expect of a verdict; ts 0 means at end of trace. */
struct want {
	const char	*kind;
	uint64_t	ptr;
	int32_t		pid;
	uint64_t	ts;
	const char	*from, *to;
};

struct got {
	const char		*kind, *from, *to;
	uint64_t		ts;
	bool			at_end;
	struct kmrv_instance	inst;	/* copies: as the verdict saw them */
	struct kmrv_history	hist;
	bool			has_hist;
};

struct run {
	struct kmrv_spec	*spec;
	struct kmrv_monitor	*m;
	size_t			n;
	struct got		got[MAX_GOT];
};

static void copy_verdict(struct got *g, const struct kmrv_verdict *v)
{
	memset(g, 0, sizeof(*g));
	g->kind = v->spec->kind_names[v->kind];
	g->from = v->spec->state_names[v->from_state];
	g->to = v->spec->state_names[v->to_state];
	g->at_end = !v->ev;
	g->ts = v->ev ? v->ev->ts : 0;
	g->inst = *v->inst;
	g->has_hist = v->hist != NULL;
	if (v->hist)
		g->hist = *v->hist;
}

static void on_verdict(const struct kmrv_verdict *v, void *ctx)
{
	struct run *r = ctx;

	assert_true(r->n < MAX_GOT);
	assert_ptr_equal(v->spec, r->spec);
	assert_true(v->kind >= 0 && v->kind < r->spec->nr_kinds);
	copy_verdict(&r->got[r->n++], v);
	/* the instance is shown as it was before the event */
	assert_int_equal(v->inst->state, v->from_state);
}

/* The next of @n entries of @size bytes in the growable array *@v. */
static void *log_next(void **v, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 1024;
		*v = realloc(*v, *cap * size);
		assert_non_null(*v);
	}
	return (char *)*v + (*n)++ * size;
}

/* xorshift64: the tests' random streams, the same on every run. */
static void next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
}

static struct kmrv_spec *load_spec(const char *name)
{
	char path[4096], err[512] = "";
	struct kmrv_spec *spec;

	snprintf(path, sizeof(path), "%s/specs/%s.spec", KMRV_SOURCE_DIR, name);
	spec = kmrv_spec_load(path, err, sizeof(err));
	if (!spec)
		fail_msg("loading %s: %s", path, err);
	return spec;
}

static struct run *run_new(const char *spec_name)
{
	struct run *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->spec = load_spec(spec_name);
	r->m = kmrv_monitor_new(r->spec, KMRV_MONITOR_HISTORY, on_verdict, r);
	assert_non_null(r->m);
	return r;
}

static void run_free(struct run *r)
{
	kmrv_monitor_free(r->m);
	kmrv_spec_free(r->spec);
	free(r);
}

static void feed(struct run *r, const struct kmrv_event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(kmrv_monitor_step(r->m, &evs[i]), 0);
}

static void print_verdicts(const struct run *r, const struct want *w,
			   size_t nw)
{
	size_t i;

	print_message("expected %zu verdicts:\n", nw);
	for (i = 0; i < nw; i++)
		print_message("  %-22s %#llx pid %d ts %llu %s -> %s\n",
			      w[i].kind, (unsigned long long)w[i].ptr,
			      w[i].pid, (unsigned long long)w[i].ts,
			      w[i].from, w[i].to);
	print_message("got %zu:\n", r->n);
	for (i = 0; i < r->n; i++)
		print_message("  %-22s %#llx pid %d ts %llu %s -> %s\n",
			      r->got[i].kind,
			      (unsigned long long)r->got[i].inst.ptr,
			      r->got[i].inst.pid,
			      (unsigned long long)r->got[i].ts,
			      r->got[i].from, r->got[i].to);
}

static bool verdict_matches(const struct got *g, const struct want *w)
{
	return !strcmp(g->kind, w->kind) && g->inst.ptr == w->ptr &&
	       g->inst.pid == w->pid && g->ts == w->ts &&
	       g->at_end == !w->ts &&
	       !strcmp(g->from, w->from) && !strcmp(g->to, w->to);
}

static void expect_verdicts(const struct run *r, const struct want *w,
			    size_t nw)
{
	size_t i;

	for (i = 0; i < nw && i < r->n; i++)
		if (!verdict_matches(&r->got[i], &w[i]))
			break;
	if (i == nw && r->n == nw)
		return;
	print_verdicts(r, w, nw);
	fail_msg("verdict %zu differs", i);
}

/* Feed @evs (and end the trace if @finish); compare with @w. */
static struct run *check(const char *spec, const struct kmrv_event *evs,
			 size_t n, bool finish, const struct want *w,
			 size_t nw)
{
	struct run *r = run_new(spec);

	feed(r, evs, n);
	if (finish)
		kmrv_monitor_finish(r->m);
	expect_verdicts(r, w, nw);
	return r;
}

static size_t live(const struct run *r)
{
	struct kmrv_monitor_stats st;

	kmrv_monitor_stats(r->m, &st);
	return st.live;
}

static uint64_t steps(const struct run *r)
{
	struct kmrv_monitor_stats st;

	kmrv_monitor_stats(r->m, &st);
	return st.steps;
}

/* The alloc record of a verdict's instance is that of the event at @ts. */
static void expect_alloc_info(const struct got *g, uint64_t ts, int32_t pid)
{
	const struct kmrv_history *i = &g->hist;

	assert_true(g->has_hist);
	assert_int_equal(i->alloc_ts, ts);
	assert_int_equal(i->alloc_site, SITE(ts));
	assert_int_equal(i->alloc_bytes, BYTES(ts));
	assert_int_equal(i->alloc_cpu, CPU(ts));
	assert_int_equal(i->alloc_pid, pid);
}

static void expect_first_free(const struct got *g, uint64_t ts, int32_t pid)
{
	const struct kmrv_history *i = &g->hist;

	assert_true(g->has_hist);
	assert_int_equal(g->inst.freed_once, 1);
	assert_int_equal(i->free_ts, ts);
	assert_int_equal(i->free_site, SITE(ts));
	assert_int_equal(i->free_cpu, CPU(ts));
	assert_int_equal(i->free_pid, pid);
}

/* --- spec 1: alloc-free ----------------------------------------------- */

static const struct kmrv_event alloc_free_walk[] = {
	KFREE(1, P(1), 10),		/* unseen -> freed */
	KFREE(2, P(1), 10),		/* freed -> freed */
	KMALLOC(3, P(1), 10),		/* freed -> allocated */
	KMALLOC_NODE(4, P(1), 10),	/* allocated -> allocated */
	KFREE(5, P(1), 10),		/* allocated -> freed */
	KFREE(6, P(1), 10),		/* freed -> freed */
	KMALLOC(7, P(2), 11),		/* unseen -> allocated, never freed */
	KMALLOC(8, P(3), 11),		/* unseen -> allocated */
	KFREE(9, P(3), 11),		/* allocated -> freed: clean */
};

static const struct want alloc_free_walk_want[] = {
	{ "free-without-alloc",	  P(1), 0, 1, "unseen", "freed" },
	{ "double-free",	  P(1), 0, 2, "freed", "freed" },
	{ "realloc-without-free", P(1), 0, 4, "allocated", "allocated" },
	{ "double-free",	  P(1), 0, 6, "freed", "freed" },
	{ "leak",		  P(2), 0, 0, "allocated", "allocated" },
};

static void alloc_free_takes_every_transition(void **state)
{
	struct run *r;

	(void)state;
	r = check("alloc-free", alloc_free_walk, ARRAY_SIZE(alloc_free_walk),
		  true, alloc_free_walk_want, ARRAY_SIZE(alloc_free_walk_want));
	/* a free with no alloc before it has no alloc record */
	assert_int_equal(r->got[1].hist.alloc_ts, 0);
	expect_first_free(&r->got[1], 1, 10);
	/* the realloc shows the alloc it repeats */
	expect_alloc_info(&r->got[2], 3, 10);
	assert_int_equal(r->got[2].inst.freed_once, 0);
	expect_alloc_info(&r->got[4], 7, 11);
	assert_int_equal(steps(r), ARRAY_SIZE(alloc_free_walk));
	run_free(r);
}

static void double_free_after_realloc_is_reported_once(void **state)
{
	static const struct kmrv_event evs[] = {
		KMALLOC(1, P(1), 10),
		KFREE(2, P(1), 10),
		KMALLOC(3, P(1), 12),
		KFREE(4, P(1), 13),
		KFREE(5, P(1), 14),
	};
	static const struct want w[] = {
		{ "double-free", P(1), 0, 5, "freed", "freed" },
	};
	struct run *r;

	(void)state;
	r = check("alloc-free", evs, ARRAY_SIZE(evs), true, w, ARRAY_SIZE(w));
	/* where the object was allocated last, and first freed after that */
	expect_alloc_info(&r->got[0], 3, 12);
	expect_first_free(&r->got[0], 4, 13);
	run_free(r);
}

static void third_free_still_points_at_first_free(void **state)
{
	static const struct kmrv_event evs[] = {
		KMALLOC(1, P(1), 10),
		KFREE(2, P(1), 11),
		KFREE(3, P(1), 12),
		KFREE(4, P(1), 13),
	};
	static const struct want w[] = {
		{ "double-free", P(1), 0, 3, "freed", "freed" },
		{ "double-free", P(1), 0, 4, "freed", "freed" },
	};
	struct run *r;

	(void)state;
	r = check("alloc-free", evs, ARRAY_SIZE(evs), true, w, ARRAY_SIZE(w));
	expect_alloc_info(&r->got[1], 1, 10);
	expect_first_free(&r->got[1], 2, 11);
	run_free(r);
}

static void free_of_null_and_zero_size_ptr_is_ignored(void **state)
{
	static const struct kmrv_event evs[] = {
		KFREE(1, 0, 10),
		KFREE(2, KMRV_ZERO_SIZE_PTR, 10),
		KMALLOC(3, P(1), 10),
		KFREE(4, 0, 10),
		KFREE(5, KMRV_ZERO_SIZE_PTR, 11),
		KFREE(6, P(1), 10),
		KFREE(7, 0, 10),
	};
	static const struct kmrv_event slab[] = {
		CACHE_FREE(1, 0, 10),
		CACHE_FREE(2, KMRV_ZERO_SIZE_PTR, 10),
	};
	struct run *r;

	(void)state;
	r = check("alloc-free", evs, ARRAY_SIZE(evs), true, NULL, 0);
	assert_int_equal(steps(r), 2);
	run_free(r);
	r = check("slab-alloc-free", slab, ARRAY_SIZE(slab), true, NULL, 0);
	assert_int_equal(steps(r), 0);
	assert_int_equal(live(r), 0);
	run_free(r);
}

static void failed_kmalloc_is_ignored(void **state)
{
	static const struct kmrv_event evs[] = {
		KMALLOC(1, 0, 10),
		KMALLOC_NODE(2, 0, 10),
		CACHE_ALLOC(3, 0, 10),
	};
	const char *specs[] = { "alloc-free", "slab-alloc-free", "no-realloc",
				"no-immediate-realloc",
				"no-immediate-realloc-global" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		struct run *r;

		r = check(specs[i], evs, ARRAY_SIZE(evs), true, NULL, 0);
		assert_int_equal(steps(r), 0);
		assert_int_equal(live(r), 0);
		run_free(r);
	}
}

static void cross_pid_free_does_not_change_alloc_free_verdicts(void **state)
{
	/* the same trace twice: in one pid, and with frees from elsewhere */
	static const struct kmrv_event one_pid[] = {
		KMALLOC(1, P(1), 10),
		KFREE(2, P(1), 10),
		KFREE(3, P(1), 10),
		KMALLOC(4, P(2), 10),
		KFREE(5, P(3), 10),
	};
	static const struct kmrv_event cross[] = {
		KMALLOC(1, P(1), 10),
		KFREE(2, P(1), 0),	/* rcu callback in softirq */
		KFREE(3, P(1), 77),	/* a kworker */
		KMALLOC(4, P(2), 10),
		KFREE(5, P(3), 99),
	};
	static const struct want w[] = {
		{ "double-free",	P(1), 0, 3, "freed", "freed" },
		{ "free-without-alloc",	P(3), 0, 5, "unseen", "freed" },
		{ "leak",		P(2), 0, 0, "allocated", "allocated" },
	};
	struct run *r;

	(void)state;
	r = check("alloc-free", one_pid, ARRAY_SIZE(one_pid), true, w,
		  ARRAY_SIZE(w));
	run_free(r);
	r = check("alloc-free", cross, ARRAY_SIZE(cross), true, w,
		  ARRAY_SIZE(w));
	/* the pids are in the record, not in the key */
	expect_alloc_info(&r->got[0], 1, 10);
	expect_first_free(&r->got[0], 2, 0);
	run_free(r);
}

static void kmem_cache_object_freed_by_kfree_is_free_without_alloc_under_alloc_free_but_clean_under_slab_alloc_free(void **state)
{
	static const struct kmrv_event evs[] = {
		CACHE_ALLOC(1, P(1), 10),
		KFREE(2, P(1), 10),		/* 6.4+: kfree of a cache object */
		CACHE_ALLOC_NODE(3, P(2), 10),
		CACHE_FREE(4, P(2), 10),
	};
	static const struct want w[] = {
		{ "free-without-alloc", P(1), 0, 2, "unseen", "freed" },
	};
	struct run *r;

	(void)state;
	r = check("alloc-free", evs, ARRAY_SIZE(evs), true, w, ARRAY_SIZE(w));
	/* the cache events are not the spec's: they never reach it */
	assert_int_equal(steps(r), 1);
	run_free(r);
	r = check("slab-alloc-free", evs, ARRAY_SIZE(evs), true, NULL, 0);
	assert_int_equal(steps(r), 4);
	run_free(r);
}

static void slab_alloc_free_takes_every_transition(void **state)
{
	static const struct kmrv_event evs[] = {
		CACHE_FREE(1, P(1), 10),	/* unseen -> freed */
		KFREE(2, P(1), 10),		/* freed -> freed */
		CACHE_ALLOC(3, P(1), 10),	/* freed -> allocated */
		KMALLOC(4, P(1), 10),		/* allocated -> allocated */
		CACHE_FREE(5, P(1), 10),	/* allocated -> freed */
		CACHE_FREE(6, P(1), 10),	/* freed -> freed */
		CACHE_ALLOC_NODE(7, P(2), 11),	/* unseen -> allocated */
		KMALLOC_NODE(8, P(3), 11),	/* unseen -> allocated */
		KFREE(9, P(3), 11),		/* allocated -> freed */
	};
	struct run *r;

	(void)state;
	r = check("slab-alloc-free", evs, ARRAY_SIZE(evs), true,
		  alloc_free_walk_want, ARRAY_SIZE(alloc_free_walk_want));
	expect_alloc_info(&r->got[2], 3, 10);
	expect_first_free(&r->got[3], 5, 10);
	run_free(r);
}

static void instances_continue_after_a_violation(void **state)
{
	static const struct kmrv_event evs[] = {
		KFREE(1, P(1), 10),	/* ! free-without-alloc, now freed */
		KMALLOC(2, P(1), 10),	/* clean: freed -> allocated */
		KFREE(3, P(1), 10),	/* clean */
		KMALLOC(4, P(2), 10),
		KMALLOC(5, P(2), 10),	/* ! realloc-without-free */
		KFREE(6, P(2), 10),	/* clean: still allocated */
	};
	static const struct want w[] = {
		{ "free-without-alloc",	  P(1), 0, 1, "unseen", "freed" },
		{ "realloc-without-free", P(2), 0, 5, "allocated", "allocated" },
	};
	static const struct kmrv_event nr[] = {
		KMALLOC(1, P(1), 10),
		KMALLOC(2, P(1), 10),	/* ! realloc-after-free, allocated */
		KFREE(3, P(1), 10),	/* clean: allocated -> freed */
		KMALLOC(4, P(1), 10),	/* ! again */
	};
	static const struct want nr_w[] = {
		{ "realloc-after-free", P(1), 10, 2, "allocated", "allocated" },
		{ "realloc-after-free", P(1), 10, 4, "freed", "allocated" },
	};
	struct run *r;

	(void)state;
	r = check("alloc-free", evs, ARRAY_SIZE(evs), true, w, ARRAY_SIZE(w));
	run_free(r);
	r = check("no-realloc", nr, ARRAY_SIZE(nr), true, nr_w,
		  ARRAY_SIZE(nr_w));
	run_free(r);
}

static void at_end_leaks_sorted_by_pointer(void **state)
{
	struct kmrv_event ev[512];
	struct want w[512];
	struct run *r;
	size_t n = 0, i;

	(void)state;
	/* allocate 512 objects in a scrambled order, from several pids */
	for (i = 0; i < 512; i++) {
		uint64_t k = (i * 337) % 512;

		ev[i] = (struct kmrv_event)KMALLOC(i + 1, P(k), (int32_t)k % 7);
	}
	/* free the odd ones: the even ones leak, reported by address */
	r = run_new("alloc-free");
	feed(r, ev, 512);
	for (i = 0; i < 512; i++) {
		struct kmrv_event f = KFREE(1000 + i, P(i), 3);

		if (i & 1) {
			assert_int_equal(kmrv_monitor_step(r->m, &f), 0);
			continue;
		}
		w[n++] = (struct want){ "leak", P(i), 0, 0, "allocated",
					"allocated" };
	}
	kmrv_monitor_finish(r->m);
	expect_verdicts(r, w, n);
	for (i = 0; i < n; i++)
		assert_int_equal(r->got[i].hist.alloc_pid, (int32_t)(2 * i) % 7);
	run_free(r);
}

/*
 * A check without -v asks for at-end verdicts in table order: the same
 * leaks, each once, with the same allocation records, in any order.
 */
static void at_end_unsorted_gives_the_same_leaks(void **state)
{
	bool seen[512] = { false };
	struct run *r = calloc(1, sizeof(*r));
	size_t i, k;

	(void)state;
	assert_non_null(r);
	r->spec = load_spec("alloc-free");
	r->m = kmrv_monitor_new(r->spec, KMRV_MONITOR_END_UNSORTED, on_verdict, r);
	assert_non_null(r->m);
	for (i = 0; i < 512; i++) {
		uint64_t j = (i * 337) % 512;
		struct kmrv_event a = KMALLOC(i + 1, P(j), (int32_t)j % 7);

		assert_int_equal(kmrv_monitor_step(r->m, &a), 0);
	}
	for (i = 1; i < 512; i += 2) {
		struct kmrv_event f = KFREE(1000 + i, P(i), 3);

		assert_int_equal(kmrv_monitor_step(r->m, &f), 0);
	}
	kmrv_monitor_finish(r->m);
	assert_int_equal(r->n, 256);
	for (i = 0; i < r->n; i++) {
		const struct got *g = &r->got[i];

		for (k = 0; k < 512 && P(k) != g->inst.ptr; k++)
			;
		assert_true(k < 512 && k % 2 == 0 && !seen[k]);
		seen[k] = true;
		assert_string_equal(g->kind, "leak");
		assert_true(g->at_end && g->has_hist);
		assert_int_equal(g->hist.alloc_pid, (int32_t)k % 7);
		/* P(k) was allocation k / 337 mod 512: 337 * 433 = 1 mod 512 */
		assert_int_equal(g->hist.alloc_ts, (k * 433) % 512 + 1);
	}
	run_free(r);
}

/*
 * A monitor asks for prefetches once its memory passes
 * KMRV_MONITOR_CACHED_BYTES. alloc-free without -v keeps 32-byte slots
 * at load <= 3/4, plus 1280 bytes for its origins (one here: every
 * event has the call site and size of ts 1): 6144 objects fit in 8192
 * slots (256 KiB), the 6145th doubles them to 512 KiB, and with the
 * origins that is past the bound.
 */
static void monitor_wants_prefetches_once_its_table_outgrows_the_cache(void **state)
{
	struct kmrv_spec *spec = load_spec("alloc-free");
	struct kmrv_monitor *m = kmrv_monitor_new(spec, 0, NULL, NULL);
	struct kmrv_monitor_stats st;
	uint64_t k;

	(void)state;
	assert_non_null(m);
	assert_false(kmrv_monitor_misses(m));
	for (k = 0; k < 6144; k++) {
		struct kmrv_event a = KMALLOC(1, P(k), 1);

		assert_int_equal(kmrv_monitor_step(m, &a), 0);
	}
	kmrv_monitor_stats(m, &st);
	assert_int_equal(st.bytes, (256u << 10) + 1280);
	assert_false(kmrv_monitor_misses(m));
	{
		struct kmrv_event a = KMALLOC(1, P(k), 1);

		assert_int_equal(kmrv_monitor_step(m, &a), 0);
	}
	kmrv_monitor_stats(m, &st);
	assert_int_equal(st.bytes, (512u << 10) + 1280);
	assert_true(kmrv_monitor_misses(m));
	kmrv_monitor_free(m);
	kmrv_spec_free(spec);
}

static void leak_instances_freed_then_never_seen_again_keep_one_entry_per_object(void **state)
{
	struct kmrv_monitor_stats st;
	struct run *r;
	uint64_t ts = 1;
	int round, k;

	(void)state;
	r = run_new("alloc-free");
	/* 1000 objects, each allocated and freed 5 times */
	for (round = 0; round < 5; round++) {
		for (k = 0; k < 1000; k++) {
			struct kmrv_event a = KMALLOC(ts, P(k), k % 13);
			struct kmrv_event f = KFREE(ts + 1, P(k), k % 11);

			assert_int_equal(kmrv_monitor_step(r->m, &a), 0);
			assert_int_equal(kmrv_monitor_step(r->m, &f), 0);
			ts += 2;
		}
	}
	kmrv_monitor_finish(r->m);
	assert_int_equal(r->n, 0);
	kmrv_monitor_stats(r->m, &st);
	/* freed is not forgettable (a later free is a double free) */
	assert_int_equal(st.live, 1000);
	assert_int_equal(st.peak_live, 1000);
	assert_int_equal(st.steps, 10000);
	/* 2048 slots (room for 1536) of instance and history */
	assert_int_equal(st.bytes, 2048 * (sizeof(struct kmrv_instance) +
					   sizeof(struct kmrv_history)));
	run_free(r);
}

static void unbound_tracepoints_do_not_reach_the_automaton(void **state)
{
	static const struct kmrv_event evs[] = {
		{ .tp = KMRV_TP_FORK, .ts = 1, .ptr = 4242, .pid = 10 },
		{ .tp = KMRV_TP_EXEC, .ts = 2, .pid = 10, .text = "/bin/ls" },
		{ .tp = KMRV_TP_EXIT, .ts = 3, .pid = 10 },
		{ .tp = KMRV_TP_MARKER, .ts = 4, .pid = 10, .text = "hi" },
		{ .tp = KMRV_TP_LOST, .ts = 5, .lost = 12 },
		{ .tp = KMRV_TP__COUNT, .ts = 6, .ptr = P(1) },
	};
	struct run *r;

	(void)state;
	r = check("alloc-free", evs, ARRAY_SIZE(evs), true, NULL, 0);
	assert_int_equal(steps(r), 0);
	assert_int_equal(live(r), 0);
	run_free(r);
}

/* --- spec 2: no-realloc ----------------------------------------------- */

static void no_realloc_takes_every_transition(void **state)
{
	static const struct kmrv_event evs[] = {
		KMALLOC(1, P(1), 10),		/* unseen -> allocated */
		KMALLOC_NODE(2, P(1), 10),	/* allocated -> allocated ! */
		KFREE(3, P(1), 10),		/* allocated -> freed */
		KFREE(4, P(1), 10),		/* freed -> freed, allowed */
		KMALLOC(5, P(1), 10),		/* freed -> allocated ! */
		KFREE(6, P(2), 10),		/* unseen -> freed */
		KMALLOC(7, P(2), 10),		/* freed -> allocated ! */
		KMALLOC(8, P(3), 10),		/* allocated at end: no verdict */
	};
	static const struct want w[] = {
		{ "realloc-after-free", P(1), 10, 2, "allocated", "allocated" },
		{ "realloc-after-free", P(1), 10, 5, "freed", "allocated" },
		{ "realloc-after-free", P(2), 10, 7, "freed", "allocated" },
	};
	struct run *r;

	(void)state;
	r = check("no-realloc", evs, ARRAY_SIZE(evs), true, w, ARRAY_SIZE(w));
	expect_alloc_info(&r->got[0], 1, 10);
	expect_alloc_info(&r->got[1], 2, 10);
	expect_first_free(&r->got[1], 3, 10);
	run_free(r);
}

static void no_realloc_is_per_pid(void **state)
{
	static const struct kmrv_event evs[] = {
		KMALLOC(1, P(1), 10),
		KFREE(2, P(1), 10),
		KMALLOC(3, P(1), 20),	/* another pid: clean */
		KFREE(4, P(1), 30),	/* pid 30 freed it ... */
		KMALLOC(5, P(1), 30),	/* ... so it must not get it back ! */
		KMALLOC(6, P(1), 10),	/* pid 10 had it before ! */
	};
	static const struct want w[] = {
		{ "realloc-after-free", P(1), 30, 5, "freed", "allocated" },
		{ "realloc-after-free", P(1), 10, 6, "freed", "allocated" },
	};
	struct run *r;

	(void)state;
	r = check("no-realloc", evs, ARRAY_SIZE(evs), true, w, ARRAY_SIZE(w));
	/* pid 10's record is its own: its alloc and free, not pid 20's */
	expect_alloc_info(&r->got[1], 1, 10);
	expect_first_free(&r->got[1], 2, 10);
	assert_int_equal(live(r), 3);
	run_free(r);
}

/*
 * Without KMRV_MONITOR_HISTORY a spec with no at-end kinds and no groups
 * keeps no history: same verdicts, none carries one, 16 bytes a slot.
 * A spec with at-end kinds keeps the allocation anyway (a leak names it),
 * but not the first free, which only -v shows: a free leaves the history
 * line untouched.
 */
static void monitor_keeps_history_only_where_a_verdict_can_show_it(void **state)
{
	static const struct kmrv_event evs[] = {
		KMALLOC(1, P(1), 10),
		KFREE(2, P(1), 10),
		KMALLOC(3, P(1), 10),	/* no-realloc ! */
		KFREE(4, P(1), 10),
		KFREE(5, P(1), 10),	/* alloc-free: double free ! */
	};
	struct kmrv_monitor_stats st;
	struct run *r;

	(void)state;
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->spec = load_spec("no-realloc");
	r->m = kmrv_monitor_new(r->spec, 0, on_verdict, r);
	assert_non_null(r->m);
	feed(r, evs, ARRAY_SIZE(evs));
	kmrv_monitor_finish(r->m);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->got[0].ts, 3);
	assert_false(r->got[0].has_hist);
	kmrv_monitor_stats(r->m, &st);
	assert_int_equal(st.bytes, 2048 * sizeof(struct kmrv_instance));
	run_free(r);

	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->spec = load_spec("alloc-free");
	r->m = kmrv_monitor_new(r->spec, 0, on_verdict, r);
	assert_non_null(r->m);
	feed(r, evs, ARRAY_SIZE(evs));
	assert_int_equal(r->n, 1);
	assert_int_equal(r->got[0].ts, 5);
	expect_alloc_info(&r->got[0], 3, 10);
	assert_int_equal(r->got[0].inst.freed_once, 1);
	assert_int_equal(r->got[0].hist.free_ts, 0);
	assert_int_equal(r->got[0].hist.free_site, 0);
	assert_int_equal(r->got[0].hist.free_pid, 0);
	run_free(r);
}

/*
 * Without -v, alloc-free keeps each object's last allocation in 16 bytes
 * inline, naming its (call site, size) by number: every verdict must
 * still show the exact site, size, pid, cpu and time, through the
 * numbering's growth (300 origins) and for the unnumbered (0, 0).
 */
static void alloc_records_show_the_exact_allocation_of_every_origin(void **state)
{
	struct kmrv_monitor_stats st;
	struct run *r;
	size_t i;

	(void)state;
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->spec = load_spec("alloc-free");
	r->m = kmrv_monitor_new(r->spec, 0, on_verdict, r);
	assert_non_null(r->m);

	/* 300 objects, each allocated at its own site with its own size */
	for (i = 0; i < 300; i++) {
		struct kmrv_event a = KMALLOC(i + 1, P(i), (int32_t)i % 9);

		assert_int_equal(kmrv_monitor_step(r->m, &a), 0);
	}
	/* P(5) again, from an unknown site of size 0: realloc-without-free */
	struct kmrv_event again = KMALLOC(1000, P(5), 77);

	again.call_site = 0;
	again.bytes_alloc = 0;
	assert_int_equal(kmrv_monitor_step(r->m, &again), 0);
	assert_int_equal(r->n, 1);
	assert_string_equal(r->got[0].kind, "realloc-without-free");
	expect_alloc_info(&r->got[0], 6, 5);

	kmrv_monitor_finish(r->m);
	assert_int_equal(r->n, 301);
	for (i = 0; i < 300; i++) {
		const struct got *g = &r->got[1 + i];

		assert_true(g->at_end);
		assert_int_equal(g->inst.ptr, P(i));
		if (i == 5)
			continue;
		expect_alloc_info(g, i + 1, (int32_t)i % 9);
	}
	assert_int_equal(r->got[6].hist.alloc_ts, 1000);
	assert_int_equal(r->got[6].hist.alloc_site, 0);
	assert_int_equal(r->got[6].hist.alloc_bytes, 0);
	assert_int_equal(r->got[6].hist.alloc_pid, 77);
	assert_int_equal(r->got[6].hist.alloc_cpu, CPU(1000));

	/*
	 * 2048 slots of instance and record (the monitor's hint, 1024
	 * keys), and the numbering: 301 origins need 1024 entries of site,
	 * size and index (load 1/2), 20 bytes each.
	 */
	kmrv_monitor_stats(r->m, &st);
	assert_int_equal(st.bytes, 2048 * 32 + 1024 * 20);
	run_free(r);
}

/* Verdicts as a growable log, for streams too long for struct run. */
struct vrec {
	int		kind;
	uint64_t	ptr, ts;	/* ts 0: at end */
	int32_t		pid;
	uint64_t	alloc_ts, alloc_site, alloc_bytes;
	int32_t		alloc_pid;
	uint16_t	alloc_cpu;
};

struct vlog {
	size_t		n, cap;
	struct vrec	*v;
};

static void log_verdict(const struct kmrv_verdict *v, void *ctx)
{
	struct vlog *l = ctx;
	struct vrec *r = log_next((void **)&l->v, &l->n, &l->cap, sizeof(*r));

	memset(r, 0, sizeof(*r));
	r->kind = v->kind;
	r->ptr = v->inst->ptr;
	r->pid = v->inst->pid;
	r->ts = v->ev ? v->ev->ts : 0;
	assert_non_null(v->hist);
	r->alloc_ts = v->hist->alloc_ts;
	r->alloc_site = v->hist->alloc_site;
	r->alloc_bytes = v->hist->alloc_bytes;
	r->alloc_pid = v->hist->alloc_pid;
	r->alloc_cpu = v->hist->alloc_cpu;
}

/*
 * The inline allocation record (no -v) against the full history (-v) on
 * one long random stream: every verdict, at the event and at the end,
 * must show the same allocation. 100k objects take the table through
 * in-place growth; 37 sites times 11 sizes take the numbering of
 * origins through five doublings.
 */
static void alloc_records_agree_with_full_history_on_a_random_stream(void **state)
{
	static const enum kmrv_tp tps[] = {
		KMRV_TP_KMALLOC, KMRV_TP_KMALLOC, KMRV_TP_KMALLOC_NODE,
		KMRV_TP_KFREE, KMRV_TP_KFREE, KMRV_TP_CACHE_ALLOC,
		KMRV_TP_CACHE_FREE,
	};
	static const char *const specs[] = { "alloc-free", "slab-alloc-free" };
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(specs); s++) {
		struct kmrv_spec *spec = load_spec(specs[s]);
		struct vlog lean = { 0 }, full = { 0 };
		struct kmrv_monitor *a, *b;
		struct kmrv_monitor_stats sa, sb;
		size_t seen[8] = { 0 };

		a = kmrv_monitor_new(spec, 0, log_verdict, &lean);
		b = kmrv_monitor_new(spec, KMRV_MONITOR_HISTORY, log_verdict, &full);
		assert_non_null(a);
		assert_non_null(b);
		for (uint64_t i = 0; i < 300000; i++) {
			struct kmrv_event ev = { 0 };

			next_random(&x);
			ev.tp = tps[x % ARRAY_SIZE(tps)];
			ev.ts = 1000 + i;
			ev.ptr = P((x >> 8) % 100000);
			ev.pid = (int32_t)((x >> 32) % 20) + 1;
			ev.cpu = (uint32_t)(x >> 40) % 8;
			ev.call_site = SITE((x >> 44) % 37);
			ev.bytes_alloc = 32 + 8 * ((x >> 52) % 11);
			assert_int_equal(kmrv_monitor_step(a, &ev), 0);
			assert_int_equal(kmrv_monitor_step(b, &ev), 0);
		}
		kmrv_monitor_finish(a);
		kmrv_monitor_finish(b);

		assert_int_equal(lean.n, full.n);
		for (size_t i = 0; i < lean.n; i++) {
			const struct vrec *l = &lean.v[i], *f = &full.v[i];

			assert_int_equal(l->kind, f->kind);
			assert_int_equal(l->ptr, f->ptr);
			assert_int_equal(l->pid, f->pid);
			assert_int_equal(l->ts, f->ts);
			assert_int_equal(l->alloc_ts, f->alloc_ts);
			assert_int_equal(l->alloc_site, f->alloc_site);
			assert_int_equal(l->alloc_bytes, f->alloc_bytes);
			assert_int_equal(l->alloc_pid, f->alloc_pid);
			assert_int_equal(l->alloc_cpu, f->alloc_cpu);
			seen[l->kind]++;
		}
		/* every kind occurs: free-without-alloc, realloc, double free, leak */
		assert_int_equal(spec->nr_kinds, 4);
		for (int k = 0; k < spec->nr_kinds; k++)
			assert_true(seen[k] > 100);
		kmrv_monitor_stats(a, &sa);
		kmrv_monitor_stats(b, &sb);
		assert_int_equal(sa.live, sb.live);
		assert_int_equal(sa.peak_live, sb.peak_live);
		/* past 2 MiB of 32-byte slots: grown in place */
		assert_true(sa.peak_live > 49152);

		kmrv_monitor_free(a);
		kmrv_monitor_free(b);
		kmrv_spec_free(spec);
		free(lean.v);
		free(full.v);
	}
}

/* --- spec 3: no-immediate-realloc ------------------------------------- */

static void no_immediate_realloc_takes_every_transition(void **state)
{
	static const struct kmrv_event evs[] = {
		KFREE(1, P(1), 10),	/* idle -> just-freed */
		KFREE(2, P(1), 10),	/* just-freed -> just-freed */
		KMALLOC(3, P(1), 10),	/* just-freed -> idle ! */
		KMALLOC(4, P(1), 10),	/* idle, no transition: clean */
		KFREE(5, P(1), 10),	/* idle -> just-freed */
		KMALLOC(6, P(2), 10),	/* P(1): other -> idle */
		KMALLOC(7, P(1), 10),	/* clean: lifted */
		KFREE(8, P(1), 10),	/* idle -> just-freed */
		KFREE(9, P(2), 10),	/* P(1): other -> idle; P(2) just-freed */
		KMALLOC_NODE(10, P(1), 10), /* clean; P(2): other -> idle */
		KFREE(11, P(2), 10),	/* idle -> just-freed */
		KMALLOC_NODE(12, P(2), 10), /* ! */
	};
	static const struct want w[] = {
		{ "immediate-realloc", P(1), 10, 3, "just-freed", "idle" },
		{ "immediate-realloc", P(2), 10, 12, "just-freed", "idle" },
	};
	struct run *r;

	(void)state;
	r = check("no-immediate-realloc", evs, ARRAY_SIZE(evs), true, w,
		  ARRAY_SIZE(w));
	/* the verdict names the free it follows (the first one) */
	expect_first_free(&r->got[0], 1, 10);
	expect_first_free(&r->got[1], 11, 10);
	assert_int_equal(live(r), 0);
	run_free(r);
}

static void alloc_of_another_object_in_the_pid_lifts_immediate_realloc(void **state)
{
	static const struct kmrv_event evs[] = {
		KFREE(1, P(1), 10),
		KMALLOC(2, P(2), 10),	/* lifts P(1) */
		KMALLOC(3, P(1), 10),	/* clean */
		KFREE(4, P(3), 10),
		KMALLOC(5, P(3), 10),	/* ! nothing in between */
	};
	static const struct want w[] = {
		{ "immediate-realloc", P(3), 10, 5, "just-freed", "idle" },
	};
	struct run *r;

	(void)state;
	r = check("no-immediate-realloc", evs, ARRAY_SIZE(evs), true, w,
		  ARRAY_SIZE(w));
	run_free(r);
}

static void free_of_another_object_in_the_pid_lifts_immediate_realloc(void **state)
{
	static const struct kmrv_event evs[] = {
		KFREE(1, P(1), 10),
		KFREE(2, P(2), 10),	/* lifts P(1), restricts P(2) */
		KMALLOC(3, P(1), 10),	/* clean, and lifts P(2) */
		KMALLOC(4, P(2), 10),	/* clean */
	};
	struct run *r;

	(void)state;
	r = check("no-immediate-realloc", evs, ARRAY_SIZE(evs), true, NULL,
		  0);
	assert_int_equal(live(r), 0);
	run_free(r);
}

static void events_of_other_pids_do_not_lift_immediate_realloc(void **state)
{
	static const struct kmrv_event evs[] = {
		KFREE(1, P(1), 10),
		KMALLOC(2, P(2), 20),	/* pid 20 */
		KFREE(3, P(3), 20),
		KMALLOC(4, P(1), 20),	/* pid 20 never freed P(1): clean */
		KMALLOC(5, P(1), 10),	/* ! pid 10's next alloc */
		KMALLOC(6, P(3), 20),	/* clean: P(1) at 4 came in between */
	};
	static const struct want w[] = {
		{ "immediate-realloc", P(1), 10, 5, "just-freed", "idle" },
	};
	struct run *r;

	(void)state;
	r = check("no-immediate-realloc", evs, ARRAY_SIZE(evs), true, w,
		  ARRAY_SIZE(w));
	run_free(r);
}

static void memory_spec_3_instance_count_stays_at_the_number_of_pids_with_a_pending_free(void **state)
{
	enum { NR_PIDS = 64, NR_OBJS = 48, NR_EVENTS = 200000 };
	uint64_t pending[NR_PIDS] = { 0 };	/* object, 0: none */
	struct kmrv_monitor_stats st;
	uint64_t x = 12345, ts;
	size_t expect_live = 0, expect_verdicts = 0, max_live = 0;
	struct run *r;

	(void)state;
	r = run_new("no-immediate-realloc");
	for (ts = 1; ts <= NR_EVENTS; ts++) {
		struct kmrv_event ev;
		int32_t pid;
		uint64_t obj;
		bool is_free;

		next_random(&x);
		pid = (int32_t)(x % NR_PIDS);
		obj = P((x >> 8) % NR_OBJS);
		is_free = (x >> 20) & 1;
		ev = is_free ? (struct kmrv_event)KFREE(ts, obj, pid)
			     : (struct kmrv_event)KMALLOC(ts, obj, pid);

		/* the reference: the paper's stack of depth one per pid */
		if (is_free) {
			expect_live += !pending[pid];
			pending[pid] = obj;
		} else {
			expect_verdicts += pending[pid] == obj;
			expect_live -= !!pending[pid];
			pending[pid] = 0;
		}
		assert_int_equal(kmrv_monitor_step(r->m, &ev), 0);
		assert_int_equal(live(r), expect_live);
		assert_int_equal(r->n, expect_verdicts);
		if (expect_live > max_live)
			max_live = expect_live;
		/* keep the verdict buffer from filling */
		r->n = 0;
		expect_verdicts = 0;
	}
	kmrv_monitor_stats(r->m, &st);
	assert_int_equal(st.steps, NR_EVENTS);
	assert_int_equal(st.peak_live, max_live);
	assert_true(st.peak_live <= NR_PIDS);
	assert_true(st.bytes <= 64 * 1024 * (sizeof(struct kmrv_instance) +
					     sizeof(struct kmrv_history)));
	run_free(r);
}

/* --- spec 3, the artifact's global register --------------------------- */

static void no_immediate_realloc_global_takes_every_transition(void **state)
{
	static const struct kmrv_event evs[] = {
		KFREE(1, P(1), 10),	/* idle -> just-freed */
		KFREE(2, P(1), 10),	/* just-freed -> just-freed */
		KMALLOC(3, P(1), 10),	/* just-freed -> just-freed ! */
		KMALLOC(4, P(1), 11),	/* ! still: an alloc does not clear */
		KMALLOC(5, P(2), 12),	/* idle: no transition, clean */
		KFREE(6, P(3), 13),	/* P(1): other.free -> idle */
		KMALLOC(7, P(1), 14),	/* clean */
		KMALLOC_NODE(8, P(3), 15), /* ! another pid, global register */
	};
	static const struct want w[] = {
		{ "immediate-realloc", P(1), 0, 3, "just-freed", "just-freed" },
		{ "immediate-realloc", P(1), 0, 4, "just-freed", "just-freed" },
		{ "immediate-realloc", P(3), 0, 8, "just-freed", "just-freed" },
	};
	struct run *r;

	(void)state;
	r = check("no-immediate-realloc-global", evs, ARRAY_SIZE(evs), true,
		  w, ARRAY_SIZE(w));
	expect_first_free(&r->got[0], 1, 10);
	/* the alloc at 3 reset the free record; the state stayed */
	expect_alloc_info(&r->got[1], 3, 10);
	assert_int_equal(r->got[1].inst.freed_once, 0);
	assert_int_equal(live(r), 1);
	run_free(r);
}

static void artifact_variant_other_pids_free_clears_the_register_an_alloc_does_not(void **state)
{
	static const struct kmrv_event evs[] = {
		KFREE(1, P(1), 10),
		KMALLOC(2, P(2), 20),	/* another pid's alloc: no effect */
		KMALLOC(3, P(1), 10),	/* ! */
		KFREE(4, P(5), 20),	/* another pid's free: clears P(1) */
		KMALLOC(5, P(1), 10),	/* clean */
	};
	static const struct want w[] = {
		{ "immediate-realloc", P(1), 0, 3, "just-freed", "just-freed" },
	};
	struct run *r;

	(void)state;
	r = check("no-immediate-realloc-global", evs, ARRAY_SIZE(evs), true,
		  w, ARRAY_SIZE(w));
	/* the register: at most one instance, whatever the trace */
	assert_int_equal(live(r), 1);
	run_free(r);
}

/*
 * A spec whose states are all latest or forgettable keeps its instances
 * in its groups' slots, with no table (holder_step). The same spec with
 * one more state, unreachable and neither latest nor forgettable, runs
 * on the table: on one long random stream both must give the same
 * verdicts, instances and histories, with and without -v, and the same
 * live and peak counts; only the memory differs.
 */
struct vfull {
	size_t			n, cap;
	struct got		*v;
};

static void log_full(const struct kmrv_verdict *v, void *ctx)
{
	struct vfull *l = ctx;

	copy_verdict(log_next((void **)&l->v, &l->n, &l->cap, sizeof(*l->v)), v);
}

static char *with_unreachable_state(const char *name)
{
	char path[4096], *text;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/specs/%s.spec", KMRV_SOURCE_DIR, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 64);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	strcat(text, "\nunreachable alloc -> unreachable\n");
	return text;
}

static void holders_in_their_slots_agree_with_the_table_on_a_random_stream(void **state)
{
	static const char *const specs[] = {
		"no-immediate-realloc", "no-immediate-realloc-global",
	};
	/* 20 pids: the slots grow 8 -> 16 -> 32, of 128 bytes */
	static const size_t slot_bytes[] = { 32 * 128, 8 * 128 };
	uint64_t x = 0x2545f4914f6cdd1dULL;

	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(specs); s++) {
		for (unsigned int flags = 0; flags <= KMRV_MONITOR_HISTORY;
		     flags += KMRV_MONITOR_HISTORY) {
			struct kmrv_spec *slot_spec = load_spec(specs[s]);
			char *text = with_unreachable_state(specs[s]), err[512] = "";
			struct kmrv_spec *table_spec;
			struct vfull a = { 0 }, b = { 0 };
			struct kmrv_monitor *ma, *mb;
			struct kmrv_monitor_stats sa, sb;

			table_spec = kmrv_spec_parse(text, "table.spec", err, sizeof(err));
			if (!table_spec)
				fail_msg("%s", err);
			ma = kmrv_monitor_new(slot_spec, flags, log_full, &a);
			mb = kmrv_monitor_new(table_spec, flags, log_full, &b);
			assert_non_null(ma);
			assert_non_null(mb);
			for (uint64_t i = 0; i < 200000; i++) {
				static const enum kmrv_tp tps[] = {
					KMRV_TP_KMALLOC, KMRV_TP_KMALLOC_NODE,
					KMRV_TP_KFREE, KMRV_TP_KFREE,
					KMRV_TP_CACHE_ALLOC,
				};
				struct kmrv_event ev = { 0 };

				next_random(&x);
				ev.tp = tps[x % ARRAY_SIZE(tps)];
				ev.ts = 1 + i;
				/* one event in 64 a failed alloc or kfree(NULL) */
				ev.ptr = (x >> 8) % 64 ? P((x >> 14) % 16) : 0;
				ev.pid = (int32_t)((x >> 32) % 20);
				ev.cpu = (uint32_t)(x >> 40) % 4;
				ev.call_site = SITE((x >> 44) % 7);
				ev.bytes_alloc = 64;
				assert_int_equal(kmrv_monitor_step(ma, &ev), 0);
				assert_int_equal(kmrv_monitor_step(mb, &ev), 0);
			}
			kmrv_monitor_finish(ma);
			kmrv_monitor_finish(mb);

			assert_int_equal(a.n, b.n);
			assert_true(a.n > 1000);
			for (size_t i = 0; i < a.n; i++) {
				const struct got *ga = &a.v[i], *gb = &b.v[i];

				assert_string_equal(ga->kind, gb->kind);
				assert_string_equal(ga->from, gb->from);
				assert_string_equal(ga->to, gb->to);
				assert_int_equal(ga->ts, gb->ts);
				assert_memory_equal(&ga->inst, &gb->inst, sizeof(ga->inst));
				assert_int_equal(ga->has_hist, gb->has_hist);
				assert_memory_equal(&ga->hist, &gb->hist, sizeof(ga->hist));
			}
			kmrv_monitor_stats(ma, &sa);
			kmrv_monitor_stats(mb, &sb);
			assert_int_equal(sa.steps, sb.steps);
			assert_int_equal(sa.live, sb.live);
			assert_int_equal(sa.peak_live, sb.peak_live);
			assert_int_equal(sa.bytes, slot_bytes[s]);
			/* the table of 2048 slots, their histories, the slots */
			assert_int_equal(sb.bytes, 2048 * (16 + 64) + slot_bytes[s]);

			kmrv_monitor_free(ma);
			kmrv_monitor_free(mb);
			kmrv_spec_free(slot_spec);
			kmrv_spec_free(table_spec);
			free(text);
			free(a.v);
			free(b.v);
		}
	}
}

/*
 * What a lane does (stream.c): the event's key hashed once for every
 * key type, a prefetch where the table misses, then
 * kmrv_monitor_step_object on the events the spec binds. Its verdicts,
 * instances and counts are kmrv_monitor_step's, for a spec of each key
 * type, with tables grown past the prefetch bound.
 */
static void step_object_with_key_hashes_agrees_with_kmrv_monitor_step(void **state)
{
	static const char *const specs[] = { "alloc-free", "no-realloc" };
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(specs); s++) {
		struct kmrv_spec *spec = load_spec(specs[s]);
		struct vfull a = { 0 }, b = { 0 };
		struct kmrv_monitor *ma, *mb;
		struct kmrv_monitor_stats sa, sb;
		unsigned int prefetched = 0;

		ma = kmrv_monitor_new(spec, KMRV_MONITOR_HISTORY, log_full, &a);
		mb = kmrv_monitor_new(spec, KMRV_MONITOR_HISTORY, log_full, &b);
		assert_non_null(ma);
		assert_non_null(mb);
		assert_int_equal(kmrv_monitor_key_types(mb), 1u << spec->key);
		for (uint64_t i = 0; i < 200000; i++) {
			static const enum kmrv_tp tps[] = {
				KMRV_TP_KMALLOC, KMRV_TP_KFREE,
				KMRV_TP_CACHE_ALLOC,
			};
			struct kmrv_event ev = { 0 };
			struct kmrv_key_hashes h;

			next_random(&x);
			ev.tp = tps[x % ARRAY_SIZE(tps)];
			ev.ts = 1 + i;
			ev.ptr = (x >> 8) % 64 ? P((x >> 14) % 65536) : 0;
			ev.pid = (int32_t)((x >> 32) % 4);
			ev.call_site = SITE((x >> 44) % 7);
			ev.bytes_alloc = 64;
			assert_int_equal(kmrv_monitor_step(ma, &ev), 0);

			kmrv_key_hashes(&ev, 1u << KMRV_KEY_PTR |
					     1u << KMRV_KEY_PID_PTR, &h);
			if (spec->tp_event[ev.tp] == KMRV_NONE ||
			    !kmrv_event_names_object(&ev))
				continue;
			if (kmrv_monitor_misses(mb)) {
				kmrv_monitor_prefetch(mb, &ev, &h);
				prefetched++;
			}
			assert_int_equal(kmrv_monitor_step_object(mb, &ev, &h), 0);
		}
		kmrv_monitor_finish(ma);
		kmrv_monitor_finish(mb);

		assert_true(prefetched > 50000);
		assert_int_equal(a.n, b.n);
		assert_true(a.n > 10000);
		for (size_t i = 0; i < a.n; i++) {
			assert_string_equal(a.v[i].kind, b.v[i].kind);
			assert_int_equal(a.v[i].ts, b.v[i].ts);
			assert_memory_equal(&a.v[i].inst, &b.v[i].inst,
					    sizeof(a.v[i].inst));
			assert_memory_equal(&a.v[i].hist, &b.v[i].hist,
					    sizeof(a.v[i].hist));
		}
		kmrv_monitor_stats(ma, &sa);
		kmrv_monitor_stats(mb, &sb);
		assert_int_equal(sa.steps, sb.steps);
		assert_int_equal(sa.live, sb.live);
		assert_int_equal(sa.peak_live, sb.peak_live);
		kmrv_monitor_free(ma);
		kmrv_monitor_free(mb);
		kmrv_spec_free(spec);
		free(a.v);
		free(b.v);
	}
}

/* --- engine generality, on specs written inline ----------------------- */

static struct run *run_text(const char *text)
{
	char err[512] = "";
	struct run *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->spec = kmrv_spec_parse(text, "inline.spec", err, sizeof(err));
	if (!r->spec)
		fail_msg("%s", err);
	r->m = kmrv_monitor_new(r->spec, KMRV_MONITOR_HISTORY, on_verdict, r);
	assert_non_null(r->m);
	return r;
}

static void at_end_verdicts_of_pid_keyed_spec_sort_by_pointer_then_pid(void **state)
{
	static const char text[] =
		"spec pid-leak\n"
		"describe \"leaks, per pid\"\n"
		"event alloc = kmem:kmalloc\n"
		"event free = kmem:kfree\n"
		"key pid ptr\n"
		"initial unseen\n"
		"accept unseen freed\n"
		"unseen alloc -> allocated\n"
		"allocated free -> freed\n"
		"freed alloc -> allocated\n"
		"at-end allocated ! leak\n";
	static const struct kmrv_event evs[] = {
		KMALLOC(1, P(2), 7),
		KMALLOC(2, P(1), 9),
		KMALLOC(3, P(2), -1),
		KMALLOC(4, P(1), 3),
		KMALLOC(5, P(2), 0),
		KMALLOC(6, P(0), 100),
	};
	static const struct want w[] = {
		{ "leak", P(0), 100, 0, "allocated", "allocated" },
		{ "leak", P(1), 3, 0, "allocated", "allocated" },
		{ "leak", P(1), 9, 0, "allocated", "allocated" },
		{ "leak", P(2), -1, 0, "allocated", "allocated" },
		{ "leak", P(2), 0, 0, "allocated", "allocated" },
		{ "leak", P(2), 7, 0, "allocated", "allocated" },
	};
	struct run *r;

	(void)state;
	r = run_text(text);
	feed(r, evs, ARRAY_SIZE(evs));
	kmrv_monitor_finish(r->m);
	expect_verdicts(r, w, ARRAY_SIZE(w));
	run_free(r);
}

static void pseudo_event_other_e_wins_over_other_and_reports_the_holder(void **state)
{
	static const char text[] =
		"spec replaced\n"
		"describe \"a free that replaces a pending one\"\n"
		"event alloc = kmem:kmalloc\n"
		"event free = kmem:kfree\n"
		"key ptr\n"
		"group all\n"
		"initial idle\n"
		"accept idle just-freed\n"
		"latest just-freed\n"
		"idle free -> just-freed\n"
		"just-freed other.free -> idle ! replaced\n"
		"just-freed other -> idle\n";
	static const struct kmrv_event evs[] = {
		KFREE(1, P(1), 10),
		KFREE(2, P(2), 20),	/* P(1) takes other.free, not other */
		KMALLOC(3, P(3), 30),	/* P(2) takes other: no verdict */
	};
	/* reported on the holder, at the event that nudged it */
	static const struct want w[] = {
		{ "replaced", P(1), 0, 2, "just-freed", "idle" },
	};
	struct run *r;

	(void)state;
	r = run_text(text);
	feed(r, evs, 2);
	expect_verdicts(r, w, ARRAY_SIZE(w));
	expect_first_free(&r->got[0], 1, 10);
	assert_int_equal(live(r), 1);
	feed(r, evs + 2, 1);
	expect_verdicts(r, w, ARRAY_SIZE(w));
	assert_int_equal(live(r), 0);
	run_free(r);
}

static const char held_spec[] =
	"spec keep\n"
	"describe \"only an alloc of another object lifts\"\n"
	"event alloc = kmem:kmalloc\n"
	"event free = kmem:kfree\n"
	"key ptr\n"
	"group all\n"
	"initial idle\n"
	"accept idle held\n"
	"latest held\n"
	"idle free -> held\n"
	"held free -> held\n"
	"held alloc -> idle ! reuse\n"
	"held other.alloc -> idle\n";

static void holder_left_in_latest_state_keeps_it_after_another_key_takes_the_slot(void **state)
{
	static const struct kmrv_event evs[] = {
		KFREE(1, P(1), 10),
		KFREE(2, P(2), 10),	/* no way out for P(1): it stays held */
		KMALLOC(3, P(3), 10),	/* lifts the holder P(2) only */
		KMALLOC(4, P(2), 10),	/* clean */
		KMALLOC(5, P(1), 10),	/* ! P(1) was still held */
	};
	static const struct want w[] = {
		{ "reuse", P(1), 0, 5, "held", "idle" },
	};
	struct run *r;

	(void)state;
	r = run_text(held_spec);
	feed(r, evs, 2);
	assert_int_equal(live(r), 2);
	feed(r, evs + 2, 1);
	assert_int_equal(live(r), 1);
	feed(r, evs + 3, 2);
	expect_verdicts(r, w, ARRAY_SIZE(w));
	assert_int_equal(live(r), 0);
	run_free(r);
}

static void displaced_holder_takes_the_slot_back_on_its_own_event(void **state)
{
	static const struct kmrv_event evs[] = {
		KFREE(1, P(1), 10),
		KFREE(2, P(2), 10),	/* P(2) holds, P(1) stays held */
		KFREE(3, P(1), 10),	/* P(1) holds again, P(2) stays held */
		KMALLOC(4, P(3), 10),	/* lifts the holder P(1) */
		KMALLOC(5, P(1), 10),	/* clean */
		KMALLOC(6, P(2), 10),	/* ! P(2) was still held */
	};
	static const struct want w[] = {
		{ "reuse", P(2), 0, 6, "held", "idle" },
	};
	struct run *r;

	(void)state;
	r = run_text(held_spec);
	feed(r, evs, 3);
	assert_int_equal(live(r), 2);
	feed(r, evs + 3, 1);
	assert_int_equal(live(r), 1);
	feed(r, evs + 4, 2);
	expect_verdicts(r, w, ARRAY_SIZE(w));
	assert_int_equal(live(r), 0);
	run_free(r);
}

static const char ptr_keyed_pid_group[] =
	"spec ptr-pid\n"
	"describe \"spec 3 with one instance per object\"\n"
	"event alloc = kmem:kmalloc\n"
	"event free = kmem:kfree\n"
	"key ptr\n"
	"group pid\n"
	"initial idle\n"
	"accept idle just-freed\n"
	"latest just-freed\n"
	"idle free -> just-freed\n"
	"just-freed alloc -> idle ! immediate-realloc\n"
	"just-freed free -> just-freed\n"
	"just-freed other -> idle\n";

static void with_key_ptr_the_slot_moves_to_the_pid_of_the_last_event(void **state)
{
	static const struct kmrv_event stale[] = {
		KFREE(1, P(1), 10),	/* P(1) holds pid 10's slot */
		KFREE(2, P(1), 20),	/* ... and moves to pid 20's */
		KMALLOC(3, P(2), 10),	/* pid 10 has no holder now */
		KMALLOC(4, P(1), 10),	/* ! */
	};
	static const struct kmrv_event moved[] = {
		KFREE(1, P(1), 10),
		KFREE(2, P(1), 20),
		KMALLOC(3, P(2), 20),	/* lifts P(1) through pid 20 */
		KMALLOC(4, P(1), 10),	/* clean */
	};
	static const struct want w[] = {
		{ "immediate-realloc", P(1), 0, 4, "just-freed", "idle" },
	};
	struct run *r;

	(void)state;
	r = run_text(ptr_keyed_pid_group);
	feed(r, stale, ARRAY_SIZE(stale));
	expect_verdicts(r, w, ARRAY_SIZE(w));
	expect_first_free(&r->got[0], 1, 10);
	assert_int_equal(live(r), 0);
	run_free(r);

	r = run_text(ptr_keyed_pid_group);
	feed(r, moved, ARRAY_SIZE(moved));
	expect_verdicts(r, NULL, 0);
	assert_int_equal(live(r), 0);
	run_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alloc_free_takes_every_transition),
		cmocka_unit_test(double_free_after_realloc_is_reported_once),
		cmocka_unit_test(third_free_still_points_at_first_free),
		cmocka_unit_test(free_of_null_and_zero_size_ptr_is_ignored),
		cmocka_unit_test(failed_kmalloc_is_ignored),
		cmocka_unit_test(cross_pid_free_does_not_change_alloc_free_verdicts),
		cmocka_unit_test(kmem_cache_object_freed_by_kfree_is_free_without_alloc_under_alloc_free_but_clean_under_slab_alloc_free),
		cmocka_unit_test(slab_alloc_free_takes_every_transition),
		cmocka_unit_test(instances_continue_after_a_violation),
		cmocka_unit_test(at_end_leaks_sorted_by_pointer),
		cmocka_unit_test(at_end_unsorted_gives_the_same_leaks),
		cmocka_unit_test(monitor_wants_prefetches_once_its_table_outgrows_the_cache),
		cmocka_unit_test(leak_instances_freed_then_never_seen_again_keep_one_entry_per_object),
		cmocka_unit_test(unbound_tracepoints_do_not_reach_the_automaton),
		cmocka_unit_test(no_realloc_takes_every_transition),
		cmocka_unit_test(no_realloc_is_per_pid),
		cmocka_unit_test(monitor_keeps_history_only_where_a_verdict_can_show_it),
		cmocka_unit_test(alloc_records_show_the_exact_allocation_of_every_origin),
		cmocka_unit_test(alloc_records_agree_with_full_history_on_a_random_stream),
		cmocka_unit_test(no_immediate_realloc_takes_every_transition),
		cmocka_unit_test(alloc_of_another_object_in_the_pid_lifts_immediate_realloc),
		cmocka_unit_test(free_of_another_object_in_the_pid_lifts_immediate_realloc),
		cmocka_unit_test(events_of_other_pids_do_not_lift_immediate_realloc),
		cmocka_unit_test(memory_spec_3_instance_count_stays_at_the_number_of_pids_with_a_pending_free),
		cmocka_unit_test(no_immediate_realloc_global_takes_every_transition),
		cmocka_unit_test(artifact_variant_other_pids_free_clears_the_register_an_alloc_does_not),
		cmocka_unit_test(holders_in_their_slots_agree_with_the_table_on_a_random_stream),
		cmocka_unit_test(step_object_with_key_hashes_agrees_with_kmrv_monitor_step),
		cmocka_unit_test(at_end_verdicts_of_pid_keyed_spec_sort_by_pointer_then_pid),
		cmocka_unit_test(pseudo_event_other_e_wins_over_other_and_reports_the_holder),
		cmocka_unit_test(holder_left_in_latest_state_keeps_it_after_another_key_takes_the_slot),
		cmocka_unit_test(displaced_holder_takes_the_slot_back_on_its_own_event),
		cmocka_unit_test(with_key_ptr_the_slot_moves_to_the_pid_of_the_last_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
