// SPDX-License-Identifier: GPL-2.0
/*
 * text.c - the report for people: a header per trace (events, losses),
 * then per spec a summary by kind, the pids and call sites that violated
 * most, and the unfreed allocations grouped by allocation site. After
 * several traces, a totals section in the same shape (without pids: they
 * do not compare across traces).
 */
#include <stdio.h>
#include <string.h>

#include "kmrv/report.h"

#define SITE_WIDTH	40

const char *kmrv_ts_str(uint64_t ts, char *buf, size_t len)
{
	/* rounded to the microsecond, as trace-cmd report prints times */
	uint64_t us = (ts + 500) / 1000;

	snprintf(buf, len, "%llu.%06llu", (unsigned long long)(us / 1000000),
		 (unsigned long long)(us % 1000000));
	return buf;
}

/* A duration for people: "812 ms", "3.2 s", "950 us". */
static const char *age_str(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 10000000000ULL)
		snprintf(buf, len, "%llu s", (unsigned long long)(ns / 1000000000));
	else if (ns >= 1000000000ULL)
		snprintf(buf, len, "%.1f s", ns / 1e9);
	else if (ns >= 1000000ULL)
		snprintf(buf, len, "%llu ms", (unsigned long long)(ns / 1000000));
	else
		snprintf(buf, len, "%llu us", (unsigned long long)(ns / 1000));
	return buf;
}

/* Whose violations follow: a `kmrv record` command's tree, or all. */
static void print_command(FILE *out, const struct kmrv_command *c)
{
	if (!c->present)
		return;
	fprintf(out, "  command: %s (pid %d, %llu pid%s in its tree; %s)\n", c->argv,
		c->pid, (unsigned long long)c->tree_pids, c->tree_pids == 1 ? "" : "s",
		c->tree_only ? "violations of the tree only, --all for every pid"
			     : "violations of every pid");
}

static void print_header(FILE *out, const struct kmrv_trace_result *r)
{
	char ts[32];
	int first = 1;

	fprintf(out, "%s: %d CPUs, %llu events over %.6f s\n", r->path, r->nr_cpus,
		(unsigned long long)r->events,
		r->last_ts > r->first_ts ? (r->last_ts - r->first_ts) / 1e9 : 0.0);
	print_command(out, &r->command);
	fprintf(out, "  ");
	for (int tp = 0; tp < KMRV_TP_LOST; tp++) {
		if (!r->by_tp[tp])
			continue;
		fprintf(out, "%s%s %llu", first ? "" : ", ", kmrv_tp_name(tp),
			(unsigned long long)r->by_tp[tp]);
		first = 0;
	}
	fprintf(out, "\n  failed allocations %llu, kfree(NULL or ZERO_SIZE_PTR) %llu\n",
		(unsigned long long)r->failed_allocs,
		(unsigned long long)r->null_frees);
	if (r->complete) {
		fprintf(out, "  lost events: none\n");
		return;
	}
	fprintf(out, "  LOST EVENTS: %llu in %zu gaps",
		(unsigned long long)r->lost_events, r->nr_gaps);
	if (r->lost_unknown)
		fprintf(out, " (%llu of unknown size)",
			(unsigned long long)r->lost_unknown);
	fprintf(out, "; verdicts after a gap may be wrong: result INCOMPLETE\n");
	for (size_t i = 0; i < r->nr_gaps; i++) {
		const struct kmrv_lost_gap *g = &r->gaps[i];

		if (g->count < 0)
			fprintf(out, "    cpu %u before %s: unknown number lost\n",
				g->cpu, kmrv_ts_str(g->ts, ts, sizeof(ts)));
		else
			fprintf(out, "    cpu %u before %s: %lld lost\n", g->cpu,
				kmrv_ts_str(g->ts, ts, sizeof(ts)), (long long)g->count);
	}
}

static void print_kind_header(FILE *out, const struct kmrv_spec_result *s)
{
	fprintf(out, "  %8s", "TOTAL");
	for (int k = 0; k < s->nr_kinds; k++)
		fprintf(out, "  %s", s->kinds[k]);
	fputc('\n', out);
}

static void print_counts(FILE *out, const struct kmrv_spec_result *s,
			 uint64_t total, const uint64_t *counts)
{
	fprintf(out, "  %8llu", (unsigned long long)total);
	for (int k = 0; k < s->nr_kinds; k++)
		fprintf(out, "  %*llu", (int)strlen(s->kinds[k]),
			(unsigned long long)counts[k]);
	fputc('\n', out);
}

static size_t shown(size_t nr, const struct kmrv_report_opts *o)
{
	return o->top && nr > o->top ? o->top : nr;
}

static void print_table_title(FILE *out, const char *what, size_t nr,
			      const struct kmrv_report_opts *o)
{
	if (shown(nr, o) < nr)
		fprintf(out, "  %s (top %zu of %zu; --top 0 for all):\n",
			what, shown(nr, o), nr);
	else
		fprintf(out, "  %s:\n", what);
}

static void print_pids(FILE *out, const struct kmrv_spec_result *s,
		       const struct kmrv_report_opts *o)
{
	print_table_title(out, "by pid", s->nr_pids, o);
	fprintf(out, "    %7s  %-16s", "PID", "COMM");
	print_kind_header(out, s);
	for (size_t i = 0; i < shown(s->nr_pids, o); i++) {
		const struct kmrv_pid_row *p = &s->pids[i];

		fprintf(out, "    %7d  %-16s", p->pid, p->comm[0] ? p->comm : "<...>");
		print_counts(out, s, p->total, p->counts);
	}
}

static void print_sites(FILE *out, const struct kmrv_spec_result *s,
			const struct kmrv_report_opts *o)
{
	print_table_title(out, "by call site", s->nr_sites, o);
	fprintf(out, "    %-*s", SITE_WIDTH, "CALL SITE");
	print_kind_header(out, s);
	for (size_t i = 0; i < shown(s->nr_sites, o); i++) {
		fprintf(out, "    %-*s", SITE_WIDTH, s->sites[i].site);
		print_counts(out, s, s->sites[i].total, s->sites[i].counts);
	}
}

static void print_unfreed(FILE *out, const struct kmrv_spec_result *s,
			  const struct kmrv_report_opts *o)
{
	uint64_t count = 0, bytes = 0;
	char age[32];

	for (size_t i = 0; i < s->nr_unfreed; i++) {
		count += s->unfreed[i].count;
		bytes += s->unfreed[i].bytes;
	}
	fprintf(out, "  unfreed at end of trace: %llu objects, %llu bytes, from %zu sites",
		(unsigned long long)count, (unsigned long long)bytes, s->nr_unfreed);
	if (shown(s->nr_unfreed, o) < s->nr_unfreed)
		fprintf(out, " (top %zu; --top 0 for all)", shown(s->nr_unfreed, o));
	fprintf(out, ":\n    %-*s  %8s  %10s  %s\n", SITE_WIDTH, "ALLOCATION SITE",
		"COUNT", "BYTES", "OLDEST");
	for (size_t i = 0; i < shown(s->nr_unfreed, o); i++) {
		const struct kmrv_unfreed_row *u = &s->unfreed[i];

		fprintf(out, "    %-*s  %8llu  %10llu  %s\n", SITE_WIDTH, u->site,
			(unsigned long long)u->count, (unsigned long long)u->bytes,
			age_str(u->oldest_age_ns, age, sizeof(age)));
	}
}

static void print_violation(FILE *out, const struct kmrv_spec_result *s,
			    const struct kmrv_violation *v)
{
	char ts[32];

	fprintf(out, "    %s ptr=0x%llx", s->kinds[v->kind], (unsigned long long)v->ptr);
	if (v->ts)
		fprintf(out, " time=%s cpu=%u pid=%d comm=%s site=%s\n",
			kmrv_ts_str(v->ts, ts, sizeof(ts)), v->cpu, v->pid,
			v->comm[0] ? v->comm : "<...>", v->site);
	else
		fprintf(out, " at end of trace pid=%d comm=%s site=%s\n", v->pid,
			v->comm[0] ? v->comm : "<...>", v->site);
	if (v->has_alloc)
		fprintf(out, "      allocated   %s pid=%d at %s\n",
			kmrv_ts_str(v->alloc_ts, ts, sizeof(ts)), v->alloc_pid,
			v->alloc_site);
	if (v->has_free)
		fprintf(out, "      first freed %s pid=%d at %s\n",
			kmrv_ts_str(v->free_ts, ts, sizeof(ts)), v->free_pid,
			v->free_site);
}

static void print_spec(FILE *out, const struct kmrv_spec_result *s,
		       const struct kmrv_report_opts *o)
{
	uint64_t total = 0;
	int width = 0;

	for (int k = 0; k < s->nr_kinds; k++) {
		total += s->counts[k];
		if ((int)strlen(s->kinds[k]) > width)
			width = strlen(s->kinds[k]);
	}
	fprintf(out, "\n%s: %s\n", s->name, s->description);
	for (int k = 0; k < s->nr_kinds; k++)
		fprintf(out, "  %-*s  %10llu\n", width, s->kinds[k],
			(unsigned long long)s->counts[k]);
	if (!total)
		return;
	if (s->nr_pids)
		print_pids(out, s, o);
	print_sites(out, s, o);
	if (s->nr_unfreed)
		print_unfreed(out, s, o);
	if (!o->verbose)
		return;
	fprintf(out, "  violations:\n");
	for (size_t i = 0; i < s->nr_violations; i++)
		print_violation(out, s, &s->violations[i]);
}

static void print_totals(FILE *out, const struct kmrv_totals *t,
			 const struct kmrv_report_opts *o)
{
	struct kmrv_report_opts quiet = *o;

	quiet.verbose = false;	/* totals keep no violation list */
	fprintf(out, "\ntotals: %zu traces", t->nr_traces);
	if (t->nr_failed)
		fprintf(out, " (%zu could not be checked)", t->nr_failed);
	fprintf(out, ", %llu events\n  failed allocations %llu, "
		"kfree(NULL or ZERO_SIZE_PTR) %llu\n", (unsigned long long)t->events,
		(unsigned long long)t->failed_allocs, (unsigned long long)t->null_frees);
	if (!t->nr_incomplete)
		fprintf(out, "  lost events: none\n");
	else
		fprintf(out, "  LOST EVENTS: %llu (and %llu gaps of unknown size) in %zu"
			" traces: totals INCOMPLETE\n", (unsigned long long)t->lost_events,
			(unsigned long long)t->lost_unknown, t->nr_incomplete);
	for (int s = 0; s < t->nr_specs; s++)
		print_spec(out, &t->specs[s], &quiet);
}

int kmrv_report_text(FILE *out, const struct kmrv_trace_result *res,
		     size_t nr, const struct kmrv_report_opts *opts)
{
	for (size_t i = 0; i < nr; i++) {
		const struct kmrv_trace_result *r = &res[i];

		if (i)
			fputc('\n', out);
		if (r->error) {
			fprintf(out, "%s\n", r->error);
			continue;
		}
		print_header(out, r);
		for (int s = 0; s < r->nr_specs; s++)
			print_spec(out, &r->specs[s], opts);
	}
	if (opts->totals && nr > 1)
		print_totals(out, opts->totals, opts);
	fflush(out);
	return ferror(out) ? -1 : 0;
}
