// SPDX-License-Identifier: GPL-2.0
/*
 * test_json_read.c - the strict JSON reader and the result reader on top:
 * valid documents parse to the right tree; a table of malformed ones
 * fails with "NAME:LINE:COL: what" at the right place; every truncation
 * and many byte flips of a real result fail cleanly or parse, never
 * crash (run under ASan+UBSan in CI).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kmrv/json.h"
#include "kmrv/report.h"

static struct kmrv_json *parse(const char *text, char *err)
{
	return kmrv_json_parse(text, strlen(text), "t.json", err, 256);
}

static void valid_documents_parse(void **state)
{
	char err[256];
	struct kmrv_json *v;
	uint64_t u;
	int64_t i;

	(void)state;
	v = parse(" {\"a\": [1, -2, 3.5e2, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"],"
		  " \"b\": {}, \"c\": [], \"big\": 18446744073709551615,"
		  " \"min\": -9223372036854775808}\n", err);
	assert_non_null(v);
	assert_int_equal(v->type, KMRV_JSON_OBJECT);
	assert_int_equal(v->nr, 5);
	const struct kmrv_json *a = kmrv_json_get(v, "a");
	assert_int_equal(a->nr, 7);
	assert_int_equal(kmrv_json_u64(&a->items[0], &u), 0);
	assert_int_equal(u, 1);
	assert_int_equal(kmrv_json_u64(&a->items[1], &u), -1);	/* negative */
	assert_int_equal(kmrv_json_i64(&a->items[1], &i), 0);
	assert_int_equal(i, -2);
	assert_int_equal(kmrv_json_u64(&a->items[2], &u), -1);	/* not an integer */
	assert_true(a->items[2].num == 350.0);
	assert_true(a->items[3].boolean);
	assert_int_equal(a->items[5].type, KMRV_JSON_NULL);
	assert_string_equal(a->items[6].str, "x\xc3\xa9\xf0\x9f\x98\x80\n");
	assert_int_equal(kmrv_json_u64(kmrv_json_get(v, "big"), &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(kmrv_json_i64(kmrv_json_get(v, "big"), &i), -1);
	assert_int_equal(kmrv_json_i64(kmrv_json_get(v, "min"), &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(kmrv_json_get(v, "a")->line, 1);
	assert_int_equal(kmrv_json_get(v, "a")->col, 8);
	assert_null(kmrv_json_get(v, "zz"));
	kmrv_json_free(v);
}

struct bad_case {
	const char	*text;
	const char	*err;	/* expected message, "t.json:" prefix omitted */
};

static const struct bad_case bad_json[] = {
	{ "", "1:1: expected a value, found end of input" },
	{ "   \n  ", "2:3: expected a value, found end of input" },
	{ "{", "1:2: expected a string key, found end of input" },
	{ "{\"a\"", "1:5: expected ':', found end of input" },
	{ "{\"a\":", "1:6: expected a value, found end of input" },
	{ "{\"a\":1", "1:7: expected ',' or '}', found end of input" },
	{ "{\"a\":1,}", "1:8: expected a string key, found '}'" },
	{ "[1,]", "1:4: expected a value, found ']'" },
	{ "[1 2]", "1:4: expected ',' or ']', found '2'" },
	{ "{'a':1}", "1:2: expected a string key, found '''" },
	{ "{\"a\":1}x", "1:8: expected end of input after the value, found 'x'" },
	{ "{\"a\":1} {}", "1:9: expected end of input after the value, found '{'" },
	{ "\"abc", "1:1: unterminated string" },
	{ "\"a\\\"", "1:1: unterminated string" },
	{ "\"a\tb\"", "1:3: control character 0x09 in string" },
	{ "\"\\x\"", "1:2: bad escape '\\x'" },
	{ "\"\\u12\"", "1:4: truncated \\u escape" },
	{ "\"\\u12x4\"", "1:6: bad hex digit in \\u escape" },
	{ "\"\\u0000\"", "1:2: \\u0000 is not supported in strings" },
	{ "\"\\udc00\"", "1:2: lone low surrogate in \\u escape" },
	{ "\"\\ud800x\"", "1:2: high surrogate not followed by a low one" },
	{ "\"\\ud800\\u0041\"", "1:2: high surrogate not followed by a low one" },
	{ "\"\xff\"", "1:2: invalid UTF-8 in string" },
	{ "\"\xc0\x80\"", "1:2: invalid UTF-8 in string" },		/* overlong */
	{ "\"\xed\xa0\x80\"", "1:2: invalid UTF-8 in string" },	/* surrogate */
	{ "\"\xe2\x82\"", "1:2: invalid UTF-8 in string" },		/* cut short */
	{ "01", "1:1: leading zero in number" },
	{ "-", "1:2: expected a digit, found end of input" },
	{ "1.", "1:3: expected a digit after '.', found end of input" },
	{ "1e", "1:3: expected a digit in the exponent, found end of input" },
	{ "+1", "1:1: expected a value, found '+'" },
	{ "NaN", "1:1: expected a value, found 'N'" },
	{ "tru", "1:1: expected a value, found 't'" },
	{ "nul", "1:1: expected a value, found 'n'" },
	{ "{\"a\":1,\n \"a\":2}", "2:6: duplicate key \"a\"" },
	{ "/* c */ {}", "1:1: expected a value, found '/'" },
	{ "\x01", "1:1: expected a value, found byte 0x01" },
};

static void malformed_json_is_rejected(void **state)
{
	char err[256], want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
		struct kmrv_json *v = parse(bad_json[i].text, err);

		snprintf(want, sizeof(want), "t.json:%s", bad_json[i].err);
		if (v || strcmp(err, want)) {
			print_error("case %zu '%s': got '%s', want '%s'\n", i, bad_json[i].text,
				    v ? "(parsed)" : err, want);
			kmrv_json_free(v);
			fail();
		}
	}
}

static void deep_nesting_is_an_error(void **state)
{
	size_t n = 100000;
	char *text = malloc(2 * n + 1), err[256];
	struct kmrv_json *v;

	(void)state;
	memset(text, '[', n);
	memset(text + n, ']', n);
	text[2 * n] = '\0';
	v = parse(text, err);
	assert_null(v);
	assert_string_equal(err, "t.json:1:65: nesting deeper than 64 levels");
	/* 64 levels are fine */
	text[64] = '\0';
	memset(text + 32, ']', 32);
	v = parse(text, err);
	assert_non_null(v);
	kmrv_json_free(v);
	free(text);
}

/* A real check result, as kmrv check -v -f json prints it. */
static const char result[] =
	"{\"schema_version\": 1, \"tool\": \"kmrv\", \"version\": \"0.1.0\",\n"
	" \"traces\": [\n"
	"  {\"path\": \"a.dat\", \"cpus\": 2, \"events\": 34, \"event_counts\": {\"kmem:kmalloc\": 16,"
	" \"kmem:kfree\": 14, \"kmem:future\": 3},\n"
	"   \"failed_allocs\": 1, \"null_frees\": 2, \"first_ts\": 900, \"last_ts\": 3800,\n"
	"   \"scope\": \"all\", \"command\": null,\n"
	"   \"lost_events\": 5, \"lost_unknown_gaps\": 1, \"lost\": [{\"cpu\": 1, \"ts\": 1900,"
	" \"count\": 5}, {\"cpu\": 1, \"ts\": 3200, \"count\": -1}],\n"
	"   \"complete\": false,\n"
	"   \"specs\": [\n"
	"      {\"name\": \"alloc-free\", \"description\": \"d\", \"peak_instances\": 7,\n"
	"       \"violations\": {\"double-free\": 1, \"leak\": 2},\n"
	"       \"by_pid\": [{\"pid\": 100, \"comm\": \"bash\", \"violations\": {\"double-free\": 1,"
	" \"leak\": 2}}],\n"
	"       \"by_call_site\": [{\"site\": \"leaky_init+0x30\", \"violations\": {\"leak\": 2,"
	" \"double-free\": 0}}, {\"site\": \"free_thing+0x10\", \"violations\": {\"double-free\": 1,"
	" \"leak\": 0}}],\n"
	"       \"unfreed\": [{\"site\": \"leaky_init+0x30\", \"count\": 2, \"bytes\": 512,"
	" \"oldest_age_ns\": 1500}],\n"
	"       \"violation_list\": [{\"kind\": \"double-free\", \"ptr\": \"0xffff888000003000\","
	" \"ts\": 1800, \"cpu\": 1, \"pid\": 100, \"comm\": \"a-very-long-comm-name\","
	" \"site\": \"free_thing+0x10\", \"alloc\": {\"ts\": 1400, \"pid\": 100, \"site\":"
	" \"alloc_thing+0x20\"}}]}]},\n"
	"  {\"path\": \"b.dat\", \"error\": \"b.dat: not a trace.dat file (bad magic)\"}\n"
	"], \"totals\": {\"ignored\": true}}\n";

static void result_reads_back(void **state)
{
	struct kmrv_result_set set;
	struct kmrv_spec_result *s;
	char err[256];

	(void)state;
	assert_int_equal(kmrv_results_parse(result, strlen(result), "r.json", &set, err,
					    sizeof(err)), 0);
	assert_int_equal(set.nr, 2);
	assert_true(set.verbose);
	assert_int_equal(set.traces[0].by_tp[KMRV_TP_KFREE], 14);
	assert_int_equal(set.traces[0].nr_gaps, 2);
	assert_int_equal(set.traces[0].gaps[1].count, -1);
	assert_false(set.traces[0].complete);
	s = &set.traces[0].specs[0];
	assert_int_equal(s->nr_kinds, 2);
	assert_string_equal(s->kinds[1], "leak");
	assert_int_equal(s->sites[0].counts[1], 2);	/* keys in another order */
	assert_int_equal(s->sites[0].total, 2);
	assert_string_equal(s->violations[0].comm, "a-very-long-com");	/* 15 bytes max */
	assert_true(s->violations[0].has_alloc);
	assert_false(s->violations[0].has_free);
	assert_string_equal(set.traces[1].error, "b.dat: not a trace.dat file (bad magic)");
	kmrv_result_set_release(&set);
	assert_int_equal(kmrv_results_parse("[1]", 3, "r.json", &set, err, sizeof(err)), -1);
	assert_string_equal(err, "r.json:1:1: not a kmrv check result (an object with"
			    " \"schema_version\" and \"traces\")");
}

struct edit_case {
	const char	*from, *to;	/* first occurrence of from, replaced */
	const char	*err;
};

static const struct edit_case bad_results[] = {
	{ "\"schema_version\": 1", "\"schema_version\": 2",
	  "r.json: schema_version 2, this kmrv reads 1 (written by another kmrv version)" },
	{ "\"schema_version\": 1", "\"schema_version\": \"1\"",
	  "r.json:1:20: \"schema_version\" must be a number, not string" },
	{ "\"traces\": [", "\"traces\": 5, \"x\": [", "r.json:2:12: \"traces\" must be an array, not number" },
	{ "\"cpus\": 2", "\"cpus\": -2", "r.json:3:29: \"cpus\" must be an integer from 0 to 2147483647" },
	{ "\"events\": 34", "\"events\": 1e3", "r.json:3:42: \"events\" must be an integer from 0 to 2^64-1" },
	{ "\"events\": 34", "\"events\": 184467440737095516150",
	  "r.json:3:42: \"events\" must be an integer from 0 to 2^64-1" },
	{ "\"null_frees\": 2, ", "", "r.json:3:3: missing \"null_frees\"" },
	{ "\"complete\": false", "\"complete\": 0", "r.json:7:16: \"complete\" must be a boolean, not number" },
	{ "\"scope\": \"all\"", "\"scope\": \"some\"", "r.json:5:13: \"scope\" must be \"tree\" or \"all\"" },
	{ "\"pid\": 100", "\"pid\": 2147483648", "r.json:11:27: \"pid\" must be an integer from -2147483648 to 2147483647" },
	{ "{\"leak\": 2, \"double-free\": 0}", "{\"leak\": 2, \"doubel-free\": 0}",
	  "r.json:12:94: kind \"doubel-free\" is not one of the spec's" },
	{ "{\"leak\": 2, \"double-free\": 0}", "{\"leak\": 2}", "r.json:12:67: 1 kinds here, the spec has 2" },
	{ "\"ptr\": \"0xffff888000003000\"", "\"ptr\": \"ffff\"", "r.json:14:58: \"ptr\" must be a hex string \"0x...\"" },
	{ "\"kind\": \"double-free\", \"ptr\"", "\"kind\": \"triple-free\", \"ptr\"",
	  "r.json:14:36: kind \"triple-free\" is not one of the spec's" },
	{ "\"unfreed\": [{", "\"unfreed\": [7, {", "r.json:13:20: \"unfreed\" rows must be objects, not number" },
	{ "\"error\": \"b.dat", "\"error\": [\"b.dat\"], \"e\": \"b.dat", "r.json:15:30: \"error\" must be a string, not array" },
	{ "\"violations\": {\"double-free\": 1, \"leak\": 2},\n", "\"violations\": [],\n",
	  "r.json:10:22: \"violations\" must be an object, not array" },
	{ "{\"schema_version\"", "{\"diff_schema_version\": 1, \"schema_version\"",
	  "r.json:1:1: a kmrv diff result, not a kmrv check result" },
};

static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	assert_non_null(at);
	out = malloc(strlen(text) + strlen(to) + 1);
	memcpy(out, text, at - text);
	strcpy(out + (at - text), to);
	strcat(out, at + strlen(from));
	return out;
}

static void bad_results_are_rejected(void **state)
{
	struct kmrv_result_set set;
	int failures = 0;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_results) / sizeof(bad_results[0]); i++) {
		char *text = replace(result, bad_results[i].from, bad_results[i].to);
		int ret = kmrv_results_parse(text, strlen(text), "r.json", &set, err, sizeof(err));

		if (!ret || strcmp(err, bad_results[i].err)) {
			print_error("case %zu: got '%s', want '%s'\n", i, ret ? err : "(parsed)",
				    bad_results[i].err);
			if (!ret)
				kmrv_result_set_release(&set);
			failures++;
		}
		free(text);
	}
	assert_int_equal(failures, 0);
}

/* Every prefix, and every single-byte change from a small alphabet. */
static void damaged_results_never_crash(void **state)
{
	static const char alphabet[] = "{}[]\",:0-9e.\\ \x80\xff\0tn";
	size_t len = strlen(result), parsed = 0;
	struct kmrv_result_set set;
	char err[256], *copy = malloc(len);

	(void)state;
	for (size_t cut = 0; cut < len - 1; cut++) {	/* all but the final newline */
		memcpy(copy, result, cut);
		if (!kmrv_results_parse(copy, cut, "r.json", &set, err, sizeof(err))) {
			kmrv_result_set_release(&set);
			parsed++;
		}
	}
	assert_int_equal(parsed, 0);	/* no prefix is a whole document */
	for (size_t at = 0; at < len; at++) {
		for (size_t a = 0; a < sizeof(alphabet) - 1; a++) {
			memcpy(copy, result, len);
			copy[at] = alphabet[a];
			if (!kmrv_results_parse(copy, len, "r.json", &set, err, sizeof(err)))
				kmrv_result_set_release(&set);
			else
				assert_non_null(strstr(err, "r.json"));
		}
	}
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_documents_parse),
		cmocka_unit_test(malformed_json_is_rejected),
		cmocka_unit_test(deep_nesting_is_an_error),
		cmocka_unit_test(result_reads_back),
		cmocka_unit_test(bad_results_are_rejected),
		cmocka_unit_test(damaged_results_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
