/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff.h - compare two check results (kmrv diff): did a change add
 * violations?
 *
 * Each side is the totals of a result (kmrv_totals: one trace, or the sum
 * of many). Addresses change every run, so everything is keyed by spec,
 * kind and call site: the "function+0xoff" string, or with
 * KMRV_MATCH_FUNCTION the function name alone, for traces of different
 * kernel builds where offsets move. The diff JSON schema
 * (diff_schema_version 1) is documented in kmrv-diff(1).
 */
#ifndef KMRV_DIFF_H
#define KMRV_DIFF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kmrv/report.h"

#define KMRV_DIFF_SCHEMA_VERSION	1

enum kmrv_match {
	KMRV_MATCH_SITE,	/* "function+0xoff" as printed */
	KMRV_MATCH_FUNCTION,	/* "+0x..." stripped, rows of a function summed */
};

/*
 * When an increase counts for --fail-on-increase: new - old must be
 * greater than @abs, and, with @has_pct, also greater than @pct percent of
 * old (exactly: 100 * (new - old) > pct * old, in integers). Being at a
 * threshold is tolerated, one above is not. With a percentage and old = 0
 * any increase counts (no relative tolerance of nothing); add @abs for
 * that case.
 */
struct kmrv_threshold {
	uint64_t	abs;
	bool		has_pct;
	uint64_t	pct;
};

enum kmrv_change {
	KMRV_SAME,
	KMRV_APPEARED,		/* old 0, new > 0 */
	KMRV_VANISHED,		/* old > 0, new 0 */
	KMRV_GREW,
	KMRV_SHRANK,
};

struct kmrv_diff_side {
	const char			*path;		/* as the user gave it */
	bool				is_trace;	/* checked on the fly */
	const struct kmrv_totals	*totals;
};

struct kmrv_diff_opts {
	enum kmrv_match		match;
	bool			gate;		/* --fail-on-increase given */
	char * const		*gate_kinds;	/* none: every kind */
	size_t			nr_gate_kinds;
	struct kmrv_threshold	threshold;
	size_t			top;		/* text: rows per table, 0 = all */
};

/* One (call site, kind) whose count changed. */
struct kmrv_diff_site {
	char		*site;
	int		kind;
	uint64_t	old, new;
};

/* One allocation site whose unfreed count or bytes changed. */
struct kmrv_diff_unfreed {
	char		*site;
	uint64_t	old_count, new_count;
	uint64_t	old_bytes, new_bytes;
};

struct kmrv_diff_spec {
	char			*name;
	int			nr_kinds;
	char			**kinds;
	uint64_t		*old, *new;	/* [nr_kinds] */
	bool			*exceeded;	/* [nr_kinds]: failed the gate */
	size_t			nr_sites;	/* by |delta| desc, site, kind */
	struct kmrv_diff_site	*sites;
	size_t			nr_unfreed;	/* by |count delta|, |bytes delta|, site */
	struct kmrv_diff_unfreed *unfreed;
	uint64_t		unfreed_old_count, unfreed_new_count;
	uint64_t		unfreed_old_bytes, unfreed_new_bytes;
};

struct kmrv_diff {
	struct kmrv_diff_side	old, new;
	int			nr_specs;	/* in the order of the old side */
	struct kmrv_diff_spec	*specs;
	bool			failed;		/* the gate failed */
};

/*
 * kmrv_diff_compute - compare @old and @new. Both must hold the same
 * specs (by name) with the same kinds: otherwise returns -1 with one line
 * in @err saying which specs are on one side only, so that no table is
 * printed that compares unlike things. A --fail-on-increase kind that no
 * spec has is an error too. Returns 0 with @d filled (release with
 * kmrv_diff_release), -1 on error (nothing to release).
 */
int kmrv_diff_compute(const struct kmrv_diff_side *old, const struct kmrv_diff_side *new,
		      const struct kmrv_diff_opts *opts, struct kmrv_diff *d,
		      char *err, size_t errlen);
void kmrv_diff_release(struct kmrv_diff *d);

/* Returns 0, or -1 if writing failed (errno set). */
int kmrv_diff_text(FILE *out, const struct kmrv_diff *d, const struct kmrv_diff_opts *opts);
int kmrv_diff_json(FILE *out, const struct kmrv_diff *d, const struct kmrv_diff_opts *opts);

enum kmrv_change kmrv_change_of(uint64_t old, uint64_t new);
const char *kmrv_change_name(enum kmrv_change c);	/* "appeared", ... */

/* True if old -> new is an increase beyond @t (see struct kmrv_threshold). */
bool kmrv_threshold_exceeded(const struct kmrv_threshold *t, uint64_t old, uint64_t new);

#endif /* KMRV_DIFF_H */
