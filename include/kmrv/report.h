/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - print check results for people (text) and machines (JSON),
 * sum them over traces (totals), and read the JSON back (for diff and
 * merge).
 *
 * The JSON schema (schema_version 1) is documented in kmrv-check(1);
 * fields are only ever added within a schema version, so the reader
 * ignores members it does not know and is strict about the ones it does.
 */
#ifndef KMRV_REPORT_H
#define KMRV_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "kmrv/result.h"

#define KMRV_SCHEMA_VERSION	1

/*
 * What a set of traces found, as one run over all of them would count it:
 * per spec, violations per kind summed; call sites summed by their site
 * string; unfreed objects summed per allocation site (count and bytes;
 * the oldest age is the largest). There is no per-pid table: pids do not
 * compare across traces (pid 1234 of one run is another task in the
 * next). Sums saturate at UINT64_MAX rather than wrap.
 */
struct kmrv_totals {
	size_t		nr_traces;	/* entries, failed ones included */
	size_t		nr_failed;	/* entries with an error */
	uint64_t	events;
	uint64_t	failed_allocs;
	uint64_t	null_frees;
	uint64_t	lost_events;
	uint64_t	lost_unknown;
	size_t		nr_incomplete;	/* checked traces with a gap */
	int		nr_specs;
	struct kmrv_spec_result *specs;	/* no pids, violation lists, peaks */
};

/*
 * kmrv_totals_compute - sum @nr results. Every checked trace must have
 * been checked with the same specs (names and kinds; the order of the
 * first checked trace is kept). Returns 0, or -1 with a one-line reason
 * in @err ("PATH: checked with other specs ...", out of memory).
 */
int kmrv_totals_compute(const struct kmrv_trace_result *res, size_t nr,
			struct kmrv_totals *t, char *err, size_t errlen);
void kmrv_totals_release(struct kmrv_totals *t);

/*
 * kmrv_totals_select - keep only the specs named in @names, in that
 * order. Returns 0, or -1 with "LABEL: no spec 'x' (it has: a,b)" in @err
 * when one is missing (@t unchanged).
 */
int kmrv_totals_select(struct kmrv_totals *t, char *const *names, size_t n,
		       const char *label, char *err, size_t errlen);

struct kmrv_report_opts {
	size_t	top;		/* text: rows per table, 0 = all */
	bool	verbose;	/* list every violation */
	/*
	 * Printed after the traces when set: JSON "totals" always, text a
	 * totals section when there is more than one trace.
	 */
	const struct kmrv_totals *totals;
};

/* Returns 0, or -1 if writing failed (errno set). */
int kmrv_report_text(FILE *out, const struct kmrv_trace_result *res,
		     size_t nr, const struct kmrv_report_opts *opts);
int kmrv_report_json(FILE *out, const struct kmrv_trace_result *res,
		     size_t nr, const struct kmrv_report_opts *opts);

/* Results read back from JSON: what `kmrv check --format json` printed. */
struct kmrv_result_set {
	struct kmrv_trace_result *traces;
	size_t		nr;
	/* every spec of every checked trace had a violation_list (-v) */
	bool		verbose;
};

/*
 * kmrv_results_parse - read a check result (schema_version 1) from @len
 * bytes of @text; @name prefixes errors. "totals" is not read: it is
 * recomputed from the traces (kmrv_totals_compute) by whoever needs it.
 * Returns 0 with @set filled (release with kmrv_result_set_release), or
 * -1 with one line in @err: "NAME:LINE:COL: what" for malformed JSON or a
 * member of the wrong type, "NAME: schema_version 2, ..." for another
 * schema. Never crashes, whatever the input.
 */
int kmrv_results_parse(const char *text, size_t len, const char *name,
		       struct kmrv_result_set *set, char *err, size_t errlen);

/* kmrv_results_read - as above from a file ("-": standard input). */
int kmrv_results_read(const char *path, struct kmrv_result_set *set,
		      char *err, size_t errlen);

/*
 * kmrv_results_append - move the traces of @src to the end of @dst
 * (kmrv merge); @src is left empty. Returns 0, or -1 on ENOMEM with both
 * sets unchanged.
 */
int kmrv_results_append(struct kmrv_result_set *dst, struct kmrv_result_set *src);

void kmrv_result_set_release(struct kmrv_result_set *set);

/* "12345.678901": a trace timestamp in seconds, as trace-cmd prints it. */
const char *kmrv_ts_str(uint64_t ts, char *buf, size_t len);

#endif /* KMRV_REPORT_H */
