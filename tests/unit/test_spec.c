// SPDX-License-Identifier: GPL-2.0
/*
 * test_spec.c - spec files: the shipped specs parse into exactly the
 * tables their text says, bad files fail with the exact location and
 * message, the search path selects and hides as documented, and DOT
 * output is stable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmrv/spec.h"

#define SPECS	KMRV_SOURCE_DIR "/specs"

static struct kmrv_spec *load_shipped(const char *name)
{
	char path[PATH_MAX], err[512];
	struct kmrv_spec *spec;

	snprintf(path, sizeof(path), "%s/%s.spec", SPECS, name);
	spec = kmrv_spec_load(path, err, sizeof(err));
	if (!spec)
		fail_msg("%s", err);
	return spec;
}

static int state(const struct kmrv_spec *spec, const char *name)
{
	for (int s = 0; s < spec->nr_states; s++)
		if (!strcmp(spec->state_names[s], name))
			return s;
	fail_msg("no state '%s' in %s", name, spec->name);
	return -1;
}

static int event(const struct kmrv_spec *spec, const char *name)
{
	for (int e = 0; e < spec->nr_events; e++)
		if (!strcmp(spec->event_names[e], name))
			return e;
	fail_msg("no event '%s' in %s", name, spec->name);
	return -1;
}

static int kind(const struct kmrv_spec *spec, const char *name)
{
	int k = kmrv_spec_kind(spec, name);

	if (k == KMRV_NONE)
		fail_msg("no kind '%s' in %s", name, spec->name);
	return k;
}

static int next(const struct kmrv_spec *spec, const char *s, const char *e)
{
	return spec->next[state(spec, s) * spec->nr_events + event(spec, e)];
}

static int verdict(const struct kmrv_spec *spec, const char *s, const char *e)
{
	return spec->violation[state(spec, s) * spec->nr_events + event(spec, e)];
}

static uint64_t bit(const struct kmrv_spec *spec, const char *s)
{
	return 1ULL << state(spec, s);
}

/* --- the shipped specs ------------------------------------------------ */

static void alloc_free_tables_hold_exactly_the_file(void **unused)
{
	struct kmrv_spec *spec = load_shipped("alloc-free");
	/* Every cell: {state, event, next state, kind or NULL}. */
	static const struct {
		const char *s, *e, *to, *kind;
	} cells[] = {
		{ "unseen",    "alloc", "allocated", NULL },
		{ "unseen",    "free",  "freed",     "free-without-alloc" },
		{ "allocated", "alloc", "allocated", "realloc-without-free" },
		{ "allocated", "free",  "freed",     NULL },
		{ "freed",     "alloc", "allocated", NULL },
		{ "freed",     "free",  "freed",     "double-free" },
	};
	static const char *const kinds[] = {
		"free-without-alloc", "realloc-without-free", "double-free", "leak",
	};

	(void)unused;
	assert_string_equal(spec->name, "alloc-free");
	assert_string_equal(spec->alias, "1");
	assert_string_equal(spec->description,
		"All allocated memory is freed, and only allocated memory is freed");
	assert_string_equal(spec->path, SPECS "/alloc-free.spec");
	assert_int_equal(spec->key, KMRV_KEY_PTR);
	assert_int_equal(spec->group, KMRV_GROUP_NONE);
	assert_int_equal(spec->nr_states, 3);
	assert_int_equal(spec->initial, 0);
	assert_string_equal(spec->state_names[0], "unseen");
	assert_int_equal(spec->nr_events, 2);
	assert_int_equal(spec->nr_user_events, 2);
	assert_string_equal(spec->event_names[0], "alloc");
	assert_string_equal(spec->event_names[1], "free");
	assert_int_equal(spec->other_event, KMRV_NONE);
	for (int e = 0; e < KMRV_SPEC_MAX_EVENTS; e++)
		assert_int_equal(spec->other_of[e], KMRV_NONE);

	assert_int_equal(spec->nr_kinds, 4);
	for (int k = 0; k < 4; k++)
		assert_string_equal(spec->kind_names[k], kinds[k]);

	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		assert_int_equal(next(spec, cells[i].s, cells[i].e),
				 state(spec, cells[i].to));
		assert_int_equal(verdict(spec, cells[i].s, cells[i].e),
				 cells[i].kind ? kind(spec, cells[i].kind) : KMRV_NONE);
	}
	assert_int_equal(spec->at_end[state(spec, "unseen")], KMRV_NONE);
	assert_int_equal(spec->at_end[state(spec, "allocated")], kind(spec, "leak"));
	assert_int_equal(spec->at_end[state(spec, "freed")], KMRV_NONE);

	assert_true(spec->accepting == (bit(spec, "unseen") | bit(spec, "freed")));
	assert_true(spec->latest == 0);
	assert_true(spec->forgettable == bit(spec, "unseen"));

	for (int tp = 0; tp < KMRV_TP__COUNT; tp++) {
		int want = KMRV_NONE;

		if (tp == KMRV_TP_KMALLOC || tp == KMRV_TP_KMALLOC_NODE)
			want = event(spec, "alloc");
		else if (tp == KMRV_TP_KFREE)
			want = event(spec, "free");
		assert_int_equal(spec->tp_event[tp], want);
	}
	kmrv_spec_free(spec);
}

static void slab_alloc_free_binds_both_allocator_families(void **unused)
{
	struct kmrv_spec *spec = load_shipped("slab-alloc-free");
	int alloc, free_ev;

	(void)unused;
	alloc = event(spec, "alloc");
	free_ev = event(spec, "free");
	assert_int_equal(spec->tp_event[KMRV_TP_KMALLOC], alloc);
	assert_int_equal(spec->tp_event[KMRV_TP_KMALLOC_NODE], alloc);
	assert_int_equal(spec->tp_event[KMRV_TP_CACHE_ALLOC], alloc);
	assert_int_equal(spec->tp_event[KMRV_TP_CACHE_ALLOC_NODE], alloc);
	assert_int_equal(spec->tp_event[KMRV_TP_KFREE], free_ev);
	assert_int_equal(spec->tp_event[KMRV_TP_CACHE_FREE], free_ev);
	assert_int_equal(spec->tp_event[KMRV_TP_FORK], KMRV_NONE);
	assert_null(spec->alias);
	assert_int_equal(verdict(spec, "freed", "free"), kind(spec, "double-free"));
	assert_true(spec->forgettable == bit(spec, "unseen"));
	kmrv_spec_free(spec);
}

static void no_realloc_keys_by_pid_and_remembers_freed_objects(void **unused)
{
	struct kmrv_spec *spec = load_shipped("no-realloc");
	int k;

	(void)unused;
	k = kind(spec, "realloc-after-free");
	assert_int_equal(spec->key, KMRV_KEY_PID_PTR);
	assert_int_equal(spec->group, KMRV_GROUP_NONE);
	assert_string_equal(spec->alias, "2");
	assert_int_equal(spec->nr_kinds, 1);
	assert_int_equal(verdict(spec, "unseen", "alloc"), KMRV_NONE);
	assert_int_equal(verdict(spec, "allocated", "alloc"), k);
	assert_int_equal(verdict(spec, "freed", "alloc"), k);
	assert_int_equal(verdict(spec, "freed", "free"), KMRV_NONE);
	assert_int_equal(next(spec, "freed", "alloc"), state(spec, "allocated"));
	assert_int_equal(next(spec, "unseen", "free"), state(spec, "freed"));
	for (int s = 0; s < spec->nr_states; s++)
		assert_int_equal(spec->at_end[s], KMRV_NONE);
	/* allocated and freed are alike, but neither is like unseen */
	assert_true(spec->forgettable == bit(spec, "unseen"));
	assert_true(spec->accepting == 7);
	kmrv_spec_free(spec);
}

static void no_immediate_realloc_has_other_pseudo_event(void **unused)
{
	struct kmrv_spec *spec = load_shipped("no-immediate-realloc");
	int other;

	(void)unused;
	assert_string_equal(spec->alias, "3");
	assert_int_equal(spec->key, KMRV_KEY_PID_PTR);
	assert_int_equal(spec->group, KMRV_GROUP_PID);
	assert_int_equal(spec->nr_user_events, 2);
	assert_int_equal(spec->nr_events, 3);
	other = event(spec, "other");
	assert_int_equal(other, 2);
	assert_int_equal(spec->other_event, other);
	for (int e = 0; e < KMRV_SPEC_MAX_EVENTS; e++)
		assert_int_equal(spec->other_of[e], KMRV_NONE);
	assert_string_equal(spec->state_names[0], "idle");
	assert_int_equal(next(spec, "just-freed", "other"), state(spec, "idle"));
	assert_int_equal(verdict(spec, "just-freed", "other"), KMRV_NONE);
	assert_int_equal(next(spec, "just-freed", "alloc"), state(spec, "idle"));
	assert_int_equal(verdict(spec, "just-freed", "alloc"),
			 kind(spec, "immediate-realloc"));
	/* no transition: the event is ignored in that state */
	assert_int_equal(next(spec, "idle", "alloc"), KMRV_NONE);
	assert_int_equal(next(spec, "idle", "other"), KMRV_NONE);
	assert_true(spec->latest == bit(spec, "just-freed"));
	assert_true(spec->forgettable == bit(spec, "idle"));
	kmrv_spec_free(spec);
}

static void global_variant_uses_other_free_only(void **unused)
{
	struct kmrv_spec *spec = load_shipped("no-immediate-realloc-global");
	int of;

	(void)unused;
	assert_null(spec->alias);
	assert_int_equal(spec->key, KMRV_KEY_PTR);
	assert_int_equal(spec->group, KMRV_GROUP_ALL);
	assert_int_equal(spec->nr_events, 3);
	of = event(spec, "other.free");
	assert_int_equal(of, 2);
	assert_int_equal(spec->other_event, KMRV_NONE);
	assert_int_equal(spec->other_of[event(spec, "free")], of);
	assert_int_equal(spec->other_of[event(spec, "alloc")], KMRV_NONE);
	assert_int_equal(next(spec, "just-freed", "other.free"), state(spec, "idle"));
	assert_int_equal(next(spec, "just-freed", "alloc"), state(spec, "just-freed"));
	assert_int_equal(verdict(spec, "just-freed", "alloc"),
			 kind(spec, "immediate-realloc"));
	assert_true(spec->latest == bit(spec, "just-freed"));
	assert_true(spec->forgettable == bit(spec, "idle"));
	kmrv_spec_free(spec);
}

/* --- semantics of hand-made specs ------------------------------------- */

static struct kmrv_spec *parse_ok(const char *text)
{
	char err[512];
	struct kmrv_spec *spec = kmrv_spec_parse(text, "t.spec", err, sizeof(err));

	if (!spec)
		fail_msg("%s", err);
	return spec;
}

#define HEAD	"spec t\n" \
		"describe \"d\"\n" \
		"event alloc = kmem:kmalloc\n" \
		"event free = kmem:kfree\n" \
		"key ptr\n"

static void state_that_behaves_like_initial_is_forgettable(void **unused)
{
	struct kmrv_spec *spec = parse_ok(HEAD
		"initial a\n"
		"accept a b\n"
		"a alloc -> c\n"
		"c free -> b\n"
		"b alloc -> c\n");

	(void)unused;
	assert_true(spec->forgettable == (bit(spec, "a") | bit(spec, "b")));
	kmrv_spec_free(spec);
}

static void state_with_different_future_is_not_forgettable(void **unused)
{
	/* b looks like a for one step, but its successor d has an at-end */
	struct kmrv_spec *spec = parse_ok(HEAD
		"initial a\n"
		"accept a b\n"
		"a alloc -> c\n"
		"c free -> b\n"
		"b alloc -> d\n"
		"d free -> b\n"
		"at-end d ! leak\n");

	(void)unused;
	assert_true(spec->forgettable == bit(spec, "a"));
	kmrv_spec_free(spec);
}

static void accepting_and_verdicts_separate_states(void **unused)
{
	struct kmrv_spec *spec = parse_ok(HEAD
		"initial a\n"
		"accept a\n"
		"a alloc -> b\n"
		"b free -> a\n"
		"a free -> c ! bad\n"
		"c free -> c ! bad\n");

	(void)unused;
	/* c has a's verdicts and successors but does not accept */
	assert_true(spec->forgettable == bit(spec, "a"));
	kmrv_spec_free(spec);
}

static void initial_state_is_numbered_zero_even_if_named_late(void **unused)
{
	struct kmrv_spec *spec = parse_ok(
		"spec t # comment\n"
		"\n"
		"  # indented comment\n"
		"describe \"with \\\"quotes\\\" and \\\\ \xc3\xa9\"\n"
		"event alloc = kmem:kmalloc\r\n"
		"event free = kmem:kfree\n"
		"key pid ptr\n"
		"x alloc -> y\n"
		"y free->x ! oops\n"
		"accept x y\n"
		"at-end y ! leak\n"
		"initial x");

	(void)unused;
	assert_int_equal(spec->key, KMRV_KEY_PID_PTR);
	assert_string_equal(spec->description, "with \"quotes\" and \\ \xc3\xa9");
	assert_int_equal(spec->nr_states, 2);
	assert_string_equal(spec->state_names[0], "x");
	assert_string_equal(spec->state_names[1], "y");
	assert_string_equal(spec->kind_names[0], "oops");
	assert_string_equal(spec->kind_names[1], "leak");
	assert_int_equal(verdict(spec, "y", "free"), 0);
	assert_int_equal(spec->at_end[1], 1);
	kmrv_spec_free(spec);
}

static void null_path_is_called_string_in_errors(void **unused)
{
	char err[256];

	(void)unused;
	assert_null(kmrv_spec_parse("bogus\n", NULL, err, sizeof(err)));
	assert_string_equal(err,
		"<string>:1:1: expected 'spec NAME' as the first directive, not 'bogus'");
}

/* --- errors ----------------------------------------------------------- */

#define HDR	HEAD "initial a\naccept a\n"	/* 7 lines */
#define GHDR	HEAD "group pid\ninitial a\naccept a b\nlatest b\n" /* 9 lines */

static const struct {
	const char *text;
	const char *err;
} bad_specs[] = {
	{ "",
	  "t.spec:1:1: missing 'spec NAME' line" },
	{ "# nothing but a comment\n\n",
	  "t.spec:1:1: missing 'spec NAME' line" },
	{ "\ndescribe \"x\"\n",
	  "t.spec:2:1: expected 'spec NAME' as the first directive, not 'describe'" },
	{ "spec t\nspec u\n",
	  "t.spec:2:1: duplicate 'spec' line (first at line 1)" },
	{ "spec\n",
	  "t.spec:1:5: expected a spec name after 'spec', not end of line" },
	{ "spec all\n",
	  "t.spec:1:6: 'all' cannot name a spec (it selects every spec)" },
	{ "spec 9lives\n",
	  "t.spec:1:6: invalid spec name '9lives' (names are [A-Za-z_][A-Za-z0-9_-]*)" },
	{ "spec t u\n",
	  "t.spec:1:8: unexpected 'u' (expected end of line)" },
	{ "spec t;\n",
	  "t.spec:1:7: unexpected character ';'" },
	{ "spec t\n\x01\x02\n",
	  "t.spec:2:1: unexpected byte 0x01" },
	{ "spec t\xff\n",
	  "t.spec:1:7: unexpected byte 0xff" },
	{ "spec t\nalias 1.5\n",
	  "t.spec:2:7: invalid alias '1.5' (aliases are [A-Za-z0-9_-]+)" },
	{ "spec t\nalias all\n",
	  "t.spec:2:7: 'all' cannot be an alias (it selects every spec)" },
	{ "spec t\ndescribe x\n",
	  "t.spec:2:10: expected a quoted string after 'describe', not 'x'" },
	{ "spec t\ndescribe \"abc\n",
	  "t.spec:2:10: unterminated string" },
	{ "spec t\ndescribe \"a\\qb\"\n",
	  "t.spec:2:12: unknown escape '\\q' in string (only \\\" and \\\\)" },
	{ "spec t\ndescribe \"a\tb\x1b\"\n",
	  "t.spec:2:14: unexpected byte 0x1b in string" },
	{ "spec t\ndescribe \"\"\n",
	  "t.spec:2:10: empty description" },
	{ "spec t\ndescribe \"d\"\nevent alloc kmem:kmalloc\n",
	  "t.spec:3:13: expected '=' after the event name, not 'kmem:kmalloc'" },
	{ "spec t\ndescribe \"d\"\nevent alloc =\n",
	  "t.spec:3:14: expected a tracepoint (SYSTEM:EVENT) after '=', not end of line" },
	{ "spec t\ndescribe \"d\"\nevent alloc = kmem:kmaloc\n",
	  "t.spec:3:15: unknown tracepoint 'kmem:kmaloc'" },
	{ "spec t\ndescribe \"d\"\nevent alloc = kmem:kmalloc\nevent free = kmem:kmalloc\n",
	  "t.spec:4:14: tracepoint 'kmem:kmalloc' is already bound to event 'alloc' (line 3)" },
	{ "spec t\ndescribe \"d\"\nevent alloc = kmem:kmalloc kmem:kmalloc\n",
	  "t.spec:3:28: tracepoint 'kmem:kmalloc' is already bound to event 'alloc' (line 3)" },
	{ "spec t\ndescribe \"d\"\nevent alloc = kmem:kmalloc\nevent alloc = kmem:kfree\n",
	  "t.spec:4:7: duplicate event 'alloc' (first at line 3)" },
	{ "spec t\ndescribe \"d\"\nevent other = kmem:kfree\n",
	  "t.spec:3:7: 'other' is reserved for the group pseudo-event" },
	{ "spec t\ndescribe \"d\"\nevent a.b = kmem:kfree\n",
	  "t.spec:3:7: invalid event name 'a.b' (names are [A-Za-z_][A-Za-z0-9_-]*)" },
	{ "spec t\nkey pid\n",
	  "t.spec:2:8: expected 'ptr' or 'pid ptr' after 'key', not end of line" },
	{ "spec t\nkey object\n",
	  "t.spec:2:5: expected 'ptr' or 'pid ptr' after 'key', not 'object'" },
	{ "spec t\nkey ptr\nkey ptr\n",
	  "t.spec:3:1: duplicate 'key' line (first at line 2)" },
	{ "spec t\ngroup cpu\n",
	  "t.spec:2:7: expected 'pid' or 'all' after 'group', not 'cpu'" },
	{ "spec t\ninitial\n",
	  "t.spec:2:8: expected a state name after 'initial', not end of line" },
	{ "spec t\naccept\n",
	  "t.spec:2:7: expected a state name after 'accept', not end of line" },
	{ HDR "a fre -> a\n",
	  "t.spec:8:3: unknown event 'fre' (declared: alloc, free)" },
	{ HDR "a free a\n",
	  "t.spec:8:8: expected '->' after event name" },
	{ HDR "a free\n",
	  "t.spec:8:7: expected '->' after event name" },
	{ HDR "a free ->\n",
	  "t.spec:8:10: expected a state name after '->', not end of line" },
	{ HDR "a free -> \"b\"\n",
	  "t.spec:8:11: expected a state name after '->', not a string" },
	{ HDR "a free -> a !\n",
	  "t.spec:8:14: expected a violation kind after '!', not end of line" },
	{ HDR "a free -> a x\n",
	  "t.spec:8:13: unexpected 'x' (expected '! KIND' or end of line)" },
	{ HDR "a free -> a ! k j\n",
	  "t.spec:8:17: unexpected 'j' (expected end of line)" },
	{ HDR "a free -> initial\n",
	  "t.spec:8:11: 'initial' is a keyword, not a state name" },
	{ HDR "a free -> a\na  free -> b ! double\n",
	  "t.spec:9:4: duplicate transition for state 'a' on 'free' (first at line 8)" },
	{ HDR "acept a\n",
	  "t.spec:8:1: unknown directive 'acept'" },
	{ HDR "-> a\n",
	  "t.spec:8:1: expected a directive or 'STATE EVENT -> STATE', not '->'" },
	{ HDR "a other -> a\n",
	  "t.spec:8:3: 'other' needs a 'group' line" },
	{ HDR "a free -> b\nb other.free -> a\n",
	  "t.spec:9:3: 'other.free' needs a 'group' line" },
	{ HDR "latest b\na free -> b\n",
	  "t.spec:8:1: 'latest' needs a 'group' line" },
	{ GHDR "a free -> b\nb other.fre -> a\n",
	  "t.spec:11:3: unknown event 'fre' in 'other.fre' (declared: alloc, free)" },
	{ GHDR "a free -> b\nb other -> a\na other -> a\n",
	  "t.spec:12:3: 'other' only happens in 'latest' states, and 'a' is not one" },
	{ GHDR "a free -> b\nlatest a\n",
	  "t.spec:7:9: the initial state 'a' cannot be 'latest'" },
	{ HDR "a free -> b\nat-end a ! leak\n",
	  "t.spec:9:8: 'at-end' cannot name the initial state 'a' (its keys are not tracked)" },
	{ HDR "a free -> b\nat-end b\n",
	  "t.spec:9:9: expected '! KIND' after the states of 'at-end', not end of line" },
	{ HDR "a free -> b\nat-end ! leak\n",
	  "t.spec:9:8: expected a state name after 'at-end', not '!'" },
	{ HDR "a free -> b\nat-end b ! leak\nat-end b ! lost\n",
	  "t.spec:10:8: duplicate 'at-end' for state 'b' (first at line 9)" },
	{ HDR "a free -> b\naccept fred\n",
	  "t.spec:9:8: state 'fred' is in no transition" },
	{ "spec t\n",
	  "t.spec:2:1: missing 'describe \"TEXT\"' line" },
	{ "spec t\ndescribe \"d\"",
	  "t.spec:2:13: missing 'event NAME = SYSTEM:EVENT' line" },
	{ "spec t\ndescribe \"d\"\nevent free = kmem:kfree\n",
	  "t.spec:4:1: missing 'key ptr' or 'key pid ptr' line" },
	{ HEAD,
	  "t.spec:6:1: missing 'initial STATE' line" },
	{ HEAD "initial a\n",
	  "t.spec:7:1: missing 'accept STATE...' line" },
	{ HDR,
	  "t.spec:8:1: missing transitions ('STATE EVENT -> STATE' lines)" },
};

static void bad_specs_fail_with_location_and_reason(void **unused)
{
	char err[512];

	(void)unused;
	for (size_t i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
		struct kmrv_spec *spec;

		memset(err, 'x', sizeof(err));
		spec = kmrv_spec_parse(bad_specs[i].text, "t.spec", err,
				       sizeof(err));
		if (spec)
			fail_msg("case %zu parsed; expected %s", i, bad_specs[i].err);
		if (strcmp(err, bad_specs[i].err))
			fail_msg("case %zu:\n  got  %s\n  want %s", i, err,
				 bad_specs[i].err);
	}
}

static char *repeat_spec(const char *head, const char *line_fmt, int n)
{
	size_t cap = strlen(head) + (size_t)n * 64 + 64;
	char *text = malloc(cap);
	size_t len;

	assert_non_null(text);
	len = snprintf(text, cap, "%s", head);
	for (int i = 0; i < n; i++)
		len += snprintf(text + len, cap - len, line_fmt, i, i + 1);
	return text;
}

static void too_many_states_is_an_error(void **unused)
{
	char err[256];
	/* s0..s64: the 65th state appears on line 7 + 64 */
	char *text = repeat_spec(HEAD "initial s0\naccept s0\n",
				 "s%d free -> s%d\n", KMRV_SPEC_MAX_STATES);

	(void)unused;
	assert_null(kmrv_spec_parse(text, "t.spec", err, sizeof(err)));
	assert_string_equal(err, "t.spec:71:13: too many states (at most 64)");
	free(text);
}

static void too_many_kinds_is_an_error(void **unused)
{
	char err[256];
	char *text = malloc(8192);
	char *p;

	(void)unused;
	assert_non_null(text);
	p = text + sprintf(text, HEAD "initial s0\naccept s0\n");
	for (int i = 0; i < 40; i++)
		p += sprintf(p, "s%d free -> s%d ! k%d\n", i, i + 1, i);
	/* k32, the 33rd kind, is on line 8 + 32 */
	assert_null(kmrv_spec_parse(text, "t.spec", err, sizeof(err)));
	assert_string_equal(err,
		"t.spec:40:19: too many violation kinds (at most 32)");
	free(text);
}

static void overlong_line_is_an_error(void **unused)
{
	char err[256];
	char *text = malloc(10000);

	(void)unused;
	assert_non_null(text);
	strcpy(text, "spec t\n# ");
	memset(text + 9, 'x', 5000);
	strcpy(text + 5009, "\n");
	assert_null(kmrv_spec_parse(text, "t.spec", err, sizeof(err)));
	assert_string_equal(err, "t.spec:2:4097: line too long (more than 4096 bytes)");
	free(text);
}

static void nul_byte_in_file_is_an_error(void **unused)
{
	char path[] = "/tmp/kmrv-test-spec-XXXXXX";
	static const char text[] = "spec t\ndescribe \"a\0b\"\n";
	char err[256];
	int fd = mkstemp(path);

	(void)unused;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	assert_null(kmrv_spec_load(path, err, sizeof(err)));
	assert_true(strstr(err, ":2:12: unexpected NUL byte in string") != NULL);
	unlink(path);
}

/*
 * Untrusted spec files: binary junk of every byte value, a describe
 * string of thousands of nested parentheses, 100000 transition lines,
 * a file over the size limit. Each is one error line, never a crash.
 */
static void hostile_specs_fail_with_one_line(void **unused)
{
	char err[512], path[] = "/tmp/kmrv-test-spec-XXXXXX";
	size_t cap = 8 << 20, len;
	char *text = malloc(cap);
	FILE *f;
	int fd;

	(void)unused;
	assert_non_null(text);
	for (int seed = 1; seed < 64; seed++) {
		for (int i = 0; i < 4096; i++)
			text[i] = (char)((i * 37 + seed * 101) % 255 + 1);
		text[4096] = '\0';
		assert_null(kmrv_spec_parse(text, "t.spec", err, sizeof(err)));
		assert_true(!strncmp(err, "t.spec:", 7) && !strchr(err, '\n'));
	}

	len = snprintf(text, cap, "%s", HEAD "initial a\naccept a\ndescribe \"");
	for (int i = 0; i < 3000; i++)
		text[len++] = '(';
	strcpy(text + len, "\"\n");
	assert_null(kmrv_spec_parse(text, "t.spec", err, sizeof(err)));
	assert_true(!strncmp(err, "t.spec:", 7) && !strchr(err, '\n'));

	len = snprintf(text, cap, "%s", HDR);
	for (int i = 0; i < 100000; i++)
		len += snprintf(text + len, cap - len, "s%d free -> s%d\n", i, i + 1);
	assert_null(kmrv_spec_parse(text, "t.spec", err, sizeof(err)));
	assert_non_null(strstr(err, ": too many states (at most 64)"));

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (int i = 0; i < 40000; i++)
		fprintf(f, "# a comment line to pass the size limit %d\n", i);
	fclose(f);
	assert_null(kmrv_spec_load(path, err, sizeof(err)));
	unlink(path);
	assert_non_null(strstr(err, ": file too large (more than 1048576 bytes)"));
	free(text);
}

static void missing_file_names_the_file(void **unused)
{
	char err[256];

	(void)unused;
	assert_null(kmrv_spec_load("/nonexistent/x.spec", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/x.spec: No such file or directory");
	assert_null(kmrv_spec_load("/", err, sizeof(err)));
	assert_string_equal(err, "/: not a regular file");
}

static void check_invariants(const struct kmrv_spec *spec)
{
	FILE *null = fopen("/dev/null", "w");

	assert_true(spec->nr_states >= 1 && spec->nr_states <= KMRV_SPEC_MAX_STATES);
	assert_true(spec->nr_events >= 1 && spec->nr_events <= KMRV_SPEC_MAX_EVENTS);
	assert_true(spec->forgettable & (1ULL << spec->initial));
	for (int i = 0; i < spec->nr_states * spec->nr_events; i++) {
		assert_true(spec->next[i] >= KMRV_NONE && spec->next[i] < spec->nr_states);
		assert_true(spec->violation[i] >= KMRV_NONE &&
			    spec->violation[i] < spec->nr_kinds);
	}
	assert_non_null(null);
	assert_int_equal(kmrv_spec_write_dot(spec, null), 0);
	fclose(null);
}

/* Mutated copies of a good spec: every one parses or fails cleanly. */
static void mutated_specs_never_crash(void **unused)
{
	static const char alphabet[] = "ab -!=>\"#\n\\:.\t\x80\x01";
	const char *base = HEAD "group pid\ninitial a\naccept a b\nlatest b\n"
			   "a free -> b\nb other.free -> a\nb alloc -> a ! x\n"
			   "at-end b ! leak\n";
	size_t n = strlen(base);
	char text[1024], err[512];
	unsigned int seed = 12345;
	int ok = 0;

	(void)unused;
	for (int round = 0; round < 20000; round++) {
		size_t len = n;
		struct kmrv_spec *spec;

		memcpy(text, base, n + 1);
		for (int m = 1 + rand_r(&seed) % 4; m > 0; m--) {
			size_t at = rand_r(&seed) % len;
			char c = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];

			switch (rand_r(&seed) % 3) {
			case 0:
				text[at] = c ? c : 'z';
				break;
			case 1:
				memmove(text + at, text + at + 1, len - at);
				len--;
				break;
			default:
				if (len + 2 >= sizeof(text))
					break;
				memmove(text + at + 1, text + at, len - at + 1);
				text[at] = c;
				len++;
			}
		}
		spec = kmrv_spec_parse(text, "t.spec", err, sizeof(err));
		if (spec) {
			check_invariants(spec);
			kmrv_spec_free(spec);
			ok++;
		} else {
			assert_true(!strncmp(err, "t.spec:", 7));
		}
	}
	assert_true(ok > 0);
}

/* --- DOT -------------------------------------------------------------- */

static void alloc_free_dot_is_kernel_rv_style(void **unused)
{
	static const char want[] =
		"digraph state_automaton {\n"
		"\t{node [shape = plaintext, style=invis, label=\"\"] \"__init_unseen\"};\n"
		"\t{node [shape = doublecircle] \"unseen\"};\n"
		"\t{node [shape = doublecircle] \"freed\"};\n"
		"\t{node [shape = circle] \"allocated\"};\n"
		"\t\"__init_unseen\" -> \"unseen\";\n"
		"\t\"unseen\" [label = \"unseen\"];\n"
		"\t\"unseen\" -> \"freed\" [ label = \"free / free-without-alloc\" ];\n"
		"\t\"unseen\" -> \"allocated\" [ label = \"alloc\" ];\n"
		"\t\"freed\" [label = \"freed\"];\n"
		"\t\"freed\" -> \"freed\" [ label = \"free / double-free\" ];\n"
		"\t\"freed\" -> \"allocated\" [ label = \"alloc\" ];\n"
		"\t\"allocated\" [label = \"allocated\\nat-end / leak\"];\n"
		"\t\"allocated\" -> \"freed\" [ label = \"free\" ];\n"
		"\t\"allocated\" -> \"allocated\" [ label = \"alloc / realloc-without-free\" ];\n"
		"\t{ rank = min ;\n"
		"\t\t\"__init_unseen\";\n"
		"\t\t\"unseen\";\n"
		"\t}\n"
		"}\n";
	struct kmrv_spec *spec = load_shipped("alloc-free");
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	(void)unused;
	assert_non_null(out);
	assert_int_equal(kmrv_spec_write_dot(spec, out), 0);
	fclose(out);
	assert_string_equal(buf, want);
	free(buf);
	kmrv_spec_free(spec);
}

static void parallel_edges_share_one_label(void **unused)
{
	struct kmrv_spec *spec = load_shipped("no-immediate-realloc");
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	(void)unused;
	assert_int_equal(kmrv_spec_write_dot(spec, out), 0);
	fclose(out);
	assert_non_null(strstr(buf,
		"\t\"just-freed\" -> \"idle\" [ label = \"alloc / immediate-realloc\\nother\" ];\n"));
	assert_non_null(strstr(buf, "\t\"just-freed\" [label = \"just-freed\\n(latest)\"];\n"));
	free(buf);
	kmrv_spec_free(spec);
}

/* --- tracepoint names ------------------------------------------------- */

static void tracepoint_names_round_trip(void **unused)
{
	(void)unused;
	for (int tp = 0; tp < KMRV_TP_LOST; tp++) {
		assert_non_null(kmrv_tp_name(tp));
		assert_int_equal(kmrv_tp_from_name(kmrv_tp_name(tp)), tp);
	}
	assert_null(kmrv_tp_name(KMRV_TP_LOST));
	assert_null(kmrv_tp_name(KMRV_TP__COUNT));
	assert_string_equal(kmrv_tp_name(KMRV_TP_CACHE_ALLOC_NODE),
			    "kmem:kmem_cache_alloc_node");
	assert_int_equal(kmrv_tp_from_name("kmem:kmaloc"), -1);
	assert_int_equal(kmrv_tp_from_name(""), -1);
	assert_int_equal(kmrv_tp_class(KMRV_TP_KMALLOC_NODE), KMRV_CLASS_ALLOC);
	assert_int_equal(kmrv_tp_class(KMRV_TP_CACHE_FREE), KMRV_CLASS_FREE);
	assert_int_equal(kmrv_tp_class(KMRV_TP_EXIT), KMRV_CLASS_OTHER);
	assert_int_equal(kmrv_tp_class(KMRV_TP_LOST), KMRV_CLASS_OTHER);
}

/* --- selection -------------------------------------------------------- */

struct sandbox {
	char	base[64];
	char	oldcwd[PATH_MAX];
	char	*oldenv;
};

static void write_file(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_spec(const char *dir, const char *name, const char *alias,
		      const char *describe)
{
	char text[1024], file[256];

	snprintf(text, sizeof(text),
		 "spec %s\n%s%s%sdescribe \"%s\"\n"
		 "event free = kmem:kfree\nkey ptr\ninitial a\naccept a\n"
		 "a free -> a ! twice\n",
		 name, alias ? "alias " : "", alias ? alias : "",
		 alias ? "\n" : "", describe);
	snprintf(file, sizeof(file), "%s.spec", name);
	write_file(dir, file, text);
}

/* base/cwd is the working directory; base/p1 and base/p2 are on the path. */
static int sandbox_setup(void **state)
{
	struct sandbox *sb = calloc(1, sizeof(*sb));
	char dir[PATH_MAX];
	const char *env = getenv("KMRV_SPEC_PATH");

	if (!sb)
		return -1;
	strcpy(sb->base, "/tmp/kmrv-test-spec-XXXXXX");
	if (!mkdtemp(sb->base) || !getcwd(sb->oldcwd, sizeof(sb->oldcwd)))
		return -1;
	sb->oldenv = env ? strdup(env) : NULL;
	for (const char *const *d = (const char *const[]){ "cwd", "p1", "p2", NULL };
	     *d; d++) {
		snprintf(dir, sizeof(dir), "%s/%s", sb->base, *d);
		if (mkdir(dir, 0700))
			return -1;
	}
	snprintf(dir, sizeof(dir), "%s/cwd", sb->base);
	if (chdir(dir))
		return -1;
	setenv("KMRV_SPEC_PATH", SPECS, 1);
	*state = sb;
	return 0;
}

static int sandbox_teardown(void **state)
{
	struct sandbox *sb = *state;
	char cmd[PATH_MAX + 16];

	if (chdir(sb->oldcwd))
		return -1;
	if (sb->oldenv)
		setenv("KMRV_SPEC_PATH", sb->oldenv, 1);
	else
		unsetenv("KMRV_SPEC_PATH");
	free(sb->oldenv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sb->base);
	if (system(cmd))
		return -1;
	free(sb);
	return 0;
}

static void sb_path(struct sandbox *sb, char *out, size_t size,
		    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void sb_path(struct sandbox *sb, char *out, size_t size,
		    const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(out, size, "%s/", sb->base);

	va_start(ap, fmt);
	vsnprintf(out + n, size - n, fmt, ap);
	va_end(ap);
}

static void assert_names(const struct kmrv_spec_set *set, const char *want)
{
	char got[1024] = "";

	for (int i = 0; i < set->nr; i++) {
		if (i)
			strcat(got, ",");
		strcat(got, set->specs[i]->name);
	}
	assert_string_equal(got, want);
}

static void select_ok(const char *arg, const char *want)
{
	struct kmrv_spec_set set;
	char err[512];

	if (kmrv_spec_select(arg, &set, err, sizeof(err)))
		fail_msg("select '%s': %s", arg, err);
	assert_names(&set, want);
	kmrv_spec_set_release(&set);
}

static void select_fails(const char *arg, const char *want)
{
	struct kmrv_spec_set set;
	char err[512];

	assert_int_equal(kmrv_spec_select(arg, &set, err, sizeof(err)), -1);
	assert_int_equal(set.nr, 0);
	assert_null(set.specs);
	assert_string_equal(err, want);
}

static void all_sorts_by_alias_then_name(void **state)
{
	struct kmrv_spec_set set;
	char err[512];

	(void)state;
	select_ok("all", "alloc-free,no-realloc,no-immediate-realloc,"
		  "no-immediate-realloc-global,slab-alloc-free");
	assert_int_equal(kmrv_spec_all(&set, err, sizeof(err)), 0);
	assert_names(&set, "alloc-free,no-realloc,no-immediate-realloc,"
		     "no-immediate-realloc-global,slab-alloc-free");
	assert_string_equal(set.specs[0]->path, SPECS "/alloc-free.spec");
	kmrv_spec_set_release(&set);
}

static void numeric_aliases_sort_as_numbers(void **state)
{
	struct sandbox *sb = *state;
	char dir[PATH_MAX];

	sb_path(sb, dir, sizeof(dir), "p1");
	make_spec(dir, "ten", "10", "x");
	make_spec(dir, "two", "02", "x");
	make_spec(dir, "word", "b", "x");
	make_spec(dir, "bare", NULL, "x");
	make_spec(dir, "abare", NULL, "x");
	setenv("KMRV_SPEC_PATH", dir, 1);
	select_ok("all", "two,ten,word,abare,bare");
}

static void names_aliases_and_lists_select_in_order_given(void **state)
{
	(void)state;
	select_ok("1,3", "alloc-free,no-immediate-realloc");
	select_ok("no-realloc", "no-realloc");
	select_ok("3,1,alloc-free,3", "no-immediate-realloc,alloc-free");
	select_ok(" no-realloc , slab-alloc-free ", "no-realloc,slab-alloc-free");
	select_ok("2,all", "no-realloc,alloc-free,no-immediate-realloc,"
		  "no-immediate-realloc-global,slab-alloc-free");
}

static void path_selects_a_file_and_counts_once(void **state)
{
	struct sandbox *sb = *state;
	char dir[PATH_MAX], arg[PATH_MAX + 64], want[2 * PATH_MAX];

	select_ok(SPECS "/no-realloc.spec", "no-realloc");
	select_ok("no-realloc," SPECS "/no-realloc.spec,2", "no-realloc");

	/* a file of the same name elsewhere is a different spec */
	sb_path(sb, dir, sizeof(dir), "p2");
	make_spec(dir, "alloc-free", "1", "mine");
	snprintf(arg, sizeof(arg), "alloc-free,%s/alloc-free.spec", dir);
	snprintf(want, sizeof(want),
		 "spec 'alloc-free' selected twice, from different files (%s and %s/alloc-free.spec)",
		 SPECS "/alloc-free.spec", dir);
	select_fails(arg, want);
}

static void unknown_names_are_errors(void **state)
{
	(void)state;
	select_fails("alloc-free,nope",
		     "unknown spec 'nope' (run 'kmrv specs' to list them)");
	select_fails("7", "unknown spec '7' (run 'kmrv specs' to list them)");
	select_fails("1,,3", "empty spec name in '1,,3'");
	select_fails("", "empty spec name in ''");
	select_fails("./nope.spec", "./nope.spec: No such file or directory");
}

static void earlier_directories_hide_later_ones(void **state)
{
	struct sandbox *sb = *state;
	char p1[PATH_MAX], path[PATH_MAX + 64], err[512];
	struct kmrv_spec_set set;

	sb_path(sb, p1, sizeof(p1), "p1");
	make_spec(p1, "alloc-free", "9", "from p1");
	snprintf(path, sizeof(path), "%s:%s", p1, SPECS);
	setenv("KMRV_SPEC_PATH", path, 1);

	assert_int_equal(kmrv_spec_select("alloc-free", &set, err, sizeof(err)), 0);
	assert_string_equal(set.specs[0]->description, "from p1");
	kmrv_spec_set_release(&set);
	/* the hidden spec's alias went with it */
	select_fails("1", "unknown spec '1' (run 'kmrv specs' to list them)");
	select_ok("9", "alloc-free");

	/* ./specs comes before everything */
	assert_int_equal(mkdir("specs", 0700), 0);
	make_spec("specs", "alloc-free", "1", "from cwd");
	assert_int_equal(kmrv_spec_select("1", &set, err, sizeof(err)), 0);
	assert_string_equal(set.specs[0]->description, "from cwd");
	assert_string_equal(set.specs[0]->path, "specs/alloc-free.spec");
	kmrv_spec_set_release(&set);
	select_ok("all", "alloc-free,no-realloc,no-immediate-realloc,"
		  "no-immediate-realloc-global,slab-alloc-free");
}

static void broken_spec_is_an_error_only_when_selected(void **state)
{
	struct sandbox *sb = *state;
	char p1[PATH_MAX], path[PATH_MAX + 64], want[PATH_MAX + 128], err[512];
	struct kmrv_spec_set set;

	sb_path(sb, p1, sizeof(p1), "p1");
	write_file(p1, "broken.spec", "spec broken\nkey cpu\n");
	snprintf(path, sizeof(path), "%s:%s", p1, SPECS);
	setenv("KMRV_SPEC_PATH", path, 1);
	snprintf(want, sizeof(want),
		 "%s/broken.spec:2:5: expected 'ptr' or 'pid ptr' after 'key', not 'cpu'",
		 p1);

	select_ok("1,no-realloc", "alloc-free,no-realloc");
	select_fails("broken", want);
	select_fails("all", want);
	assert_int_equal(kmrv_spec_all(&set, err, sizeof(err)), -1);
	assert_string_equal(err, want);

	/* a broken file still hides the spec its name shadows */
	write_file(p1, "no-realloc.spec", "garbage\n");
	snprintf(want, sizeof(want),
		 "%s/no-realloc.spec:1:1: expected 'spec NAME' as the first directive, not 'garbage'",
		 p1);
	select_fails("no-realloc", want);
}

static void empty_search_path_has_nothing_for_all(void **state)
{
	struct sandbox *sb = *state;
	char p2[PATH_MAX];
	struct kmrv_spec_set set;
	char err[512];

	sb_path(sb, p2, sizeof(p2), "p2");
	setenv("KMRV_SPEC_PATH", p2, 1);
	assert_int_equal(kmrv_spec_all(&set, err, sizeof(err)), 0);
	assert_int_equal(set.nr, 0);
	kmrv_spec_set_release(&set);
	assert_int_equal(kmrv_spec_select("all", &set, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no specs found in ./specs, $KMRV_SPEC_PATH or "));
}

#define SANDBOXED(t)	cmocka_unit_test_setup_teardown(t, sandbox_setup, sandbox_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alloc_free_tables_hold_exactly_the_file),
		cmocka_unit_test(slab_alloc_free_binds_both_allocator_families),
		cmocka_unit_test(no_realloc_keys_by_pid_and_remembers_freed_objects),
		cmocka_unit_test(no_immediate_realloc_has_other_pseudo_event),
		cmocka_unit_test(global_variant_uses_other_free_only),
		cmocka_unit_test(state_that_behaves_like_initial_is_forgettable),
		cmocka_unit_test(state_with_different_future_is_not_forgettable),
		cmocka_unit_test(accepting_and_verdicts_separate_states),
		cmocka_unit_test(initial_state_is_numbered_zero_even_if_named_late),
		cmocka_unit_test(null_path_is_called_string_in_errors),
		cmocka_unit_test(bad_specs_fail_with_location_and_reason),
		cmocka_unit_test(too_many_states_is_an_error),
		cmocka_unit_test(too_many_kinds_is_an_error),
		cmocka_unit_test(overlong_line_is_an_error),
		cmocka_unit_test(nul_byte_in_file_is_an_error),
		cmocka_unit_test(hostile_specs_fail_with_one_line),
		cmocka_unit_test(missing_file_names_the_file),
		cmocka_unit_test(mutated_specs_never_crash),
		cmocka_unit_test(alloc_free_dot_is_kernel_rv_style),
		cmocka_unit_test(parallel_edges_share_one_label),
		cmocka_unit_test(tracepoint_names_round_trip),
		SANDBOXED(all_sorts_by_alias_then_name),
		SANDBOXED(numeric_aliases_sort_as_numbers),
		SANDBOXED(names_aliases_and_lists_select_in_order_given),
		SANDBOXED(path_selects_a_file_and_counts_once),
		SANDBOXED(unknown_names_are_errors),
		SANDBOXED(earlier_directories_hide_later_ones),
		SANDBOXED(broken_spec_is_an_error_only_when_selected),
		SANDBOXED(empty_search_path_has_nothing_for_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
