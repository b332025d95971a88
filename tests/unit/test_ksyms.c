// SPDX-License-Identifier: GPL-2.0
/*
 * test_ksyms.c - the direct reader's kallsyms index (src/trace/
 * direct_ksyms.c) names every address exactly as libtraceevent's
 * tep_parse_kallsyms() + tep_find_function() do: on texts with every rule
 * written out, on the densest text there can be (the index is sized from
 * the text's length once), and on random texts against the library.
 *
 * Which of several symbols at one address names it depends on where the
 * binary search lands among them, so the expected names below are the
 * library's, and each case is also run against the library itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event-parse.h>

#include "../../src/trace/direct.h"

/* Index @len bytes of @text from a copy of exactly that size (ASan sees
 * any read past it), as the reader does with the file's mapping. */
static char *index_text(struct dksyms *k, const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, text, len);
	assert_int_equal(dksyms_parse(k, copy, len, NULL), 0);
	return copy;
}

/* "name+0xoff" or "0xaddr", as dr_symbolize() prints a call site */
static void ours(const struct dksyms *k, uint64_t addr, char *buf, size_t n)
{
	const struct dsym *s = dksyms_find(k, addr);

	if (s)
		snprintf(buf, n, "%.*s+0x%llx", (int)s->len, k->text + s->name,
			 (unsigned long long)(addr - s->addr));
	else
		snprintf(buf, n, "0x%llx", (unsigned long long)addr);
}

/* the same from libtraceevent, as the libtracecmd reader prints it */
static void theirs(struct tep_handle *tep, uint64_t addr, char *buf, size_t n)
{
	const char *name = tep_find_function(tep, addr);

	if (name)
		snprintf(buf, n, "%s+0x%llx", name, (unsigned long long)
			 (addr - tep_find_function_address(tep, addr)));
	else
		snprintf(buf, n, "0x%llx", (unsigned long long)addr);
}

/* Both sides name every address of @addrs alike. */
static void agree(const char *text, size_t len, const uint64_t *addrs, int n)
{
	struct tep_handle *tep = tep_alloc();
	char *cstr = malloc(len + 1), a[160], b[160];
	struct dksyms k;
	char *copy;

	assert_non_null(tep);
	assert_non_null(cstr);
	memcpy(cstr, text, len);
	cstr[len] = '\0';
	tep_parse_kallsyms(tep, cstr);
	copy = index_text(&k, text, len);
	for (int i = 0; i < n; i++) {
		ours(&k, addrs[i], a, sizeof(a));
		theirs(tep, addrs[i], b, sizeof(b));
		if (strcmp(a, b))
			fail_msg("0x%llx: kmrv says %s, libtraceevent %s, in:\n%s",
				 (unsigned long long)addrs[i], a, b, cstr);
	}
	dksyms_free(&k);
	free(copy);
	free(cstr);
	tep_free(tep);
}

struct want {
	uint64_t	addr;
	const char	*says;
};

static void expect(const char *text, size_t len, const struct want *w, int n)
{
	uint64_t addrs[64];
	struct dksyms k;
	char buf[160], *copy = index_text(&k, text, len);

	assert_true(n <= 64);
	for (int i = 0; i < n; i++) {
		ours(&k, w[i].addr, buf, sizeof(buf));
		if (strcmp(buf, w[i].says))
			fail_msg("0x%llx: %s, want %s", (unsigned long long)w[i].addr,
				 buf, w[i].says);
		addrs[i] = w[i].addr;
	}
	dksyms_free(&k);
	free(copy);
	agree(text, len, addrs, n);
}

static void every_rule_of_a_sorted_text(void **state)
{
	static const char text[] =
		"0000000000000000 A fixed_percpu_data\n"
		"ffffffff81000000 T _stext\n"
		"ffffffff81100000 T first_at_100000\n"
		"ffffffff81100000 t later_at_100000\n"
		"ffffffff81100100 t $x.skipped\n"
		"ffffffff81100200 a also_skipped\n"
		"\n\n"
		"ffffffff81100300 T modfn\t[mymod]\n"
		"ffffffff81100400 T crlf\r\n"
		"  ffffffff81100500 \t T   spaced  \n"
		"ffffffff81100580tdense\n"
		"ffffffff81100600 T last\n"
		"not a symbol\n"
		"ffffffff81100700 T never_read\n";
	static const struct want w[] = {
		{ 0, "0x0" },				/* 'A' skipped */
		{ 0xffffffff80ffffffULL, "0xffffffff80ffffff" },
		{ 0xffffffff81000010ULL, "_stext+0x10" },
		{ 0xffffffff81100000ULL, "first_at_100000+0x0" },
		{ 0xffffffff81100010ULL, "first_at_100000+0x10" },
		{ 0xffffffff81100110ULL, "first_at_100000+0x110" },
		{ 0xffffffff81100210ULL, "first_at_100000+0x210" },
		{ 0xffffffff81100310ULL, "modfn+0x10" },
		{ 0xffffffff81100410ULL, "crlf+0x10" },
		{ 0xffffffff81100510ULL, "spaced+0x10" },
		{ 0xffffffff81100590ULL, "dense+0x10" },
		{ 0xffffffff81100600ULL, "last+0x0" },
		{ 0xffffffff81100601ULL, "0xffffffff81100601" },
		{ 0xffffffff81100710ULL, "0xffffffff81100710" },
	};

	(void)state;
	expect(text, sizeof(text) - 1, w, sizeof(w) / sizeof(w[0]));
}

static void every_rule_of_an_unsorted_text(void **state)
{
	static const char text[] =
		"ffffffff81100600 T last\n"
		"ffffffff81000000 T _stext\n"
		"ffffffff81100000 T first_at_100000\n"
		"0xffffffff81100300 T hex_prefixed\n"	/* 14 digits, type '0' */
		"ffffffff81100000 t later_at_100000\n"
		"+ffffffff81100800 T plus\n"		/* 15 digits */
		"-10 T minus\n"
		"ffffffff81100400 W weak\t[mod]\n"
		"\0ffffffff81100700 T after_nul\n";
	static const struct want w[] = {
		{ 0xffffffff81000010ULL, "_stext+0x10" },
		{ 0xffffffff81100000ULL, "first_at_100000+0x0" },
		{ 0xffffffff81100010ULL, "first_at_100000+0x10" },
		{ 0xffffffff81100410ULL, "weak+0x10" },
		{ 0xffffffff81100610ULL, "last+0x10" },
		{ 0x0ffffffff8110080ULL, "T+0x0" },
		{ 0xfffffffffffffff0ULL, "minus+0x0" },
		{ 0xfffffffffffffff8ULL, "0xfffffffffffffff8" },
		{ 0x00ffffffff811003ULL, "0+0x0" },
		{ 0xffffffff81100710ULL, "last+0x110" },
	};

	(void)state;
	expect(text, sizeof(text) - 1, w, sizeof(w) / sizeof(w[0]));
}

/*
 * The densest text: every line "0tx\n", four bytes a symbol. The index is
 * sized once from the text's length; it must hold them all.
 */
static void densest_text_fits_the_index(void **state)
{
	enum { LINES = 4096 };
	char *text = malloc(4 * LINES);
	struct dksyms k;
	char *copy;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < LINES; i++)
		memcpy(text + 4 * i, "0tx\n", 4);
	copy = index_text(&k, text, 4 * LINES - 1);	/* no last newline */
	assert_int_equal(k.nr, LINES);
	assert_int_equal(dksyms_find(&k, 0)->addr, 0);
	dksyms_free(&k);
	free(copy);
	agree(text, 4 * LINES - 1, (const uint64_t[]){ 0, 1 }, 2);
	free(text);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* One random line of a shape kallsyms has, or one that tests a rule. */
static int random_line(char *out, size_t n, uint64_t addr, int i)
{
	static const char types[] = "TtWwDdBbRrVvAa";
	char type = types[rnd() % (sizeof(types) - 1)];

	switch (rnd() % 16) {
	case 0:
		return snprintf(out, n, "\n");
	case 1:
		return snprintf(out, n, "%016llx %c $x.%d\n", (unsigned long long)addr, type, i);
	case 2:
		return snprintf(out, n, "%016llx %c mod_%d\t[m%d]\n", (unsigned long long)addr, type, i, i % 3);
	case 3:
		return snprintf(out, n, "%016llx %c cr_%d\r\n", (unsigned long long)addr, type, i);
	case 4:
		return snprintf(out, n, " \t%016llx\t%c  sp_%d \n", (unsigned long long)addr, type, i);
	case 5:
		return snprintf(out, n, "%016llx%cnb_%d\n", (unsigned long long)addr, type, i);
	case 6:
		return snprintf(out, n, "0x%016llx %c hex_%d\n", (unsigned long long)addr, type, i);
	case 7:
		return snprintf(out, n, "%llx %c short_%d\n", (unsigned long long)(addr & 0xfffff), type, i);
	case 8:
		if (rnd() % 8 == 0)	/* rare: ends the table */
			return snprintf(out, n, "bad line %d\n", i);
		/* fall through */
	default:
		return snprintf(out, n, "%016llx %c sym_%d\n", (unsigned long long)addr, type, i);
	}
}

/*
 * Random texts: addresses from a small pool (so symbols share addresses),
 * sorted or shuffled, every line shape above; looked up at every pool
 * address and around it.
 */
static void random_texts_agree_with_libtraceevent(void **state)
{
	enum { TEXTS = 300, POOL = 24 };
	uint64_t pool[POOL], addrs[POOL * 4 + 2];
	char *text = malloc(64 * 1024);

	(void)state;
	assert_non_null(text);
	for (int t = 0; t < TEXTS; t++) {
		int lines = 1 + (int)(rnd() % 120), sorted = rnd() % 2, n = 0;
		uint64_t next = 0xffffffff81000000ULL;
		size_t len = 0;

		for (int i = 0; i < POOL; i++)
			pool[i] = 0xffffffff81000000ULL + (rnd() % 64) * 0x40;
		for (int i = 0; i < lines; i++) {
			uint64_t addr = sorted ? (next += 0x40 * (rnd() % 2))
					       : pool[rnd() % POOL];

			len += (size_t)random_line(text + len, 64 * 1024 - len, addr, i);
		}
		if (rnd() % 16 == 0)
			text[rnd() % len] = '\0';
		for (int i = 0; i < POOL; i++) {
			addrs[n++] = pool[i];
			addrs[n++] = pool[i] - 1;
			addrs[n++] = pool[i] + 1;
			addrs[n++] = 0xffffffff81000000ULL + (uint64_t)i * 0x40;
		}
		addrs[n++] = 0;
		addrs[n++] = UINT64_MAX;
		agree(text, len, addrs, n);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_rule_of_a_sorted_text),
		cmocka_unit_test(every_rule_of_an_unsorted_text),
		cmocka_unit_test(densest_text_fits_the_index),
		cmocka_unit_test(random_texts_agree_with_libtraceevent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
