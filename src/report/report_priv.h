/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_priv.h - helpers shared by the report module's files (totals,
 * diff, merge, the JSON reader); not part of its contract.
 */
#ifndef KMRV_REPORT_PRIV_H
#define KMRV_REPORT_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kmrv/result.h"

/* a + b, or UINT64_MAX when that does not fit: a sum never wraps. */
static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * spec_sum - sum @n results of one spec (same name and kinds: the caller
 * checked) into @out: counts per kind, call sites by site string (by
 * function name, "+0x..." stripped, when @by_function), unfreed rows by
 * allocation site. No pids, no violation list. Rows sorted as result.h
 * says, ties by site string. Returns 0, or -1 on ENOMEM (release @out
 * with kmrv_spec_result_release either way).
 */
int spec_sum(struct kmrv_spec_result *out, const struct kmrv_spec_result *const *in,
	     size_t n, bool by_function);

/* True if @a and @b have the same kinds in the same order. */
bool same_kinds(const struct kmrv_spec_result *a, const struct kmrv_spec_result *b);

/* "kfree_rcu_work" for "kfree_rcu_work+0x1b7"; other strings unchanged. */
char *site_function(const char *site);

/*
 * json_utf8_len - length of the valid UTF-8 sequence at @s, of which
 * @left bytes may be read (at least 1), or 0 if it starts none (ASCII
 * included): no overlong forms, surrogates or code points past U+10FFFF.
 * The one rule for the JSON writer and reader.
 */
size_t json_utf8_len(const unsigned char *s, size_t left);

/*
 * json_write_str - @s as a JSON string; always valid UTF-8 (bytes that
 * start no valid sequence become the code point of the same value).
 */
void json_write_str(FILE *out, const char *s);

#endif /* KMRV_REPORT_PRIV_H */
