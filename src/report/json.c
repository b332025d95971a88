// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - the report for machines (schema_version 1, kmrv-check(1)).
 *
 * Every kind of a spec appears in each "violations" object, zeros
 * included, so consumers never have to guess whether a missing key means
 * zero or "not checked". Timestamps and ages are integer nanoseconds.
 * The output is always valid UTF-8 (kmrv's own reader, json_read.c, is
 * strict): a byte that does not start a valid UTF-8 sequence, as a task
 * comm may hold, is written as the code point of the same value.
 */
#include <stdio.h>
#include <string.h>

#include "kmrv/report.h"
#include "report_priv.h"

size_t json_utf8_len(const unsigned char *s, size_t left)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing above U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void json_write_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = *s;
		size_t n;

		if (c >= 0x80) {
			n = json_utf8_len((const unsigned char *)s, strnlen(s, 4));
			if (!n) {
				fprintf(out, "\\u%04x", c);
				continue;
			}
			fwrite(s, 1, n, out);
			s += n - 1;
		} else if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_counts(FILE *out, const struct kmrv_spec_result *s,
			const uint64_t *counts)
{
	fputc('{', out);
	for (int k = 0; k < s->nr_kinds; k++) {
		fprintf(out, "%s", k ? ", " : "");
		json_write_str(out, s->kinds[k]);
		fprintf(out, ": %llu", (unsigned long long)counts[k]);
	}
	fputc('}', out);
}

static void json_violation(FILE *out, const struct kmrv_spec_result *s,
			   const struct kmrv_violation *v)
{
	fprintf(out, "{\"kind\": ");
	json_write_str(out, s->kinds[v->kind]);
	fprintf(out, ", \"ptr\": \"0x%llx\", \"ts\": %llu, \"cpu\": %u, \"pid\": %d, \"comm\": ",
		(unsigned long long)v->ptr, (unsigned long long)v->ts, v->cpu, v->pid);
	json_write_str(out, v->comm);
	fprintf(out, ", \"site\": ");
	json_write_str(out, v->site);
	if (v->has_alloc) {
		fprintf(out, ", \"alloc\": {\"ts\": %llu, \"pid\": %d, \"site\": ",
			(unsigned long long)v->alloc_ts, v->alloc_pid);
		json_write_str(out, v->alloc_site);
		fputc('}', out);
	}
	if (v->has_free) {
		fprintf(out, ", \"first_free\": {\"ts\": %llu, \"pid\": %d, \"site\": ",
			(unsigned long long)v->free_ts, v->free_pid);
		json_write_str(out, v->free_site);
		fputc('}', out);
	}
	fputc('}', out);
}

/* ",\n "by_call_site": [...]" */
static void json_sites(FILE *out, const struct kmrv_spec_result *s)
{
	fprintf(out, ",\n       \"by_call_site\": [");
	for (size_t i = 0; i < s->nr_sites; i++) {
		fprintf(out, "%s\n         {\"site\": ", i ? "," : "");
		json_write_str(out, s->sites[i].site);
		fprintf(out, ", \"violations\": ");
		json_counts(out, s, s->sites[i].counts);
		fputc('}', out);
	}
	fputc(']', out);
}

/* ",\n "unfreed": [...]" */
static void json_unfreed(FILE *out, const struct kmrv_spec_result *s)
{
	fprintf(out, ",\n       \"unfreed\": [");
	for (size_t i = 0; i < s->nr_unfreed; i++) {
		const struct kmrv_unfreed_row *u = &s->unfreed[i];

		fprintf(out, "%s\n         {\"site\": ", i ? "," : "");
		json_write_str(out, u->site);
		fprintf(out, ", \"count\": %llu, \"bytes\": %llu, \"oldest_age_ns\": %llu}",
			(unsigned long long)u->count, (unsigned long long)u->bytes,
			(unsigned long long)u->oldest_age_ns);
	}
	fputc(']', out);
}

static void json_spec(FILE *out, const struct kmrv_spec_result *s,
		      const struct kmrv_report_opts *o)
{
	fprintf(out, "{\"name\": ");
	json_write_str(out, s->name);
	fprintf(out, ", \"description\": ");
	json_write_str(out, s->description);
	fprintf(out, ", \"peak_instances\": %llu,\n       \"violations\": ",
		(unsigned long long)s->peak_instances);
	json_counts(out, s, s->counts);

	fprintf(out, ",\n       \"by_pid\": [");
	for (size_t i = 0; i < s->nr_pids; i++) {
		fprintf(out, "%s\n         {\"pid\": %d, \"comm\": ", i ? "," : "",
			s->pids[i].pid);
		json_write_str(out, s->pids[i].comm);
		fprintf(out, ", \"violations\": ");
		json_counts(out, s, s->pids[i].counts);
		fputc('}', out);
	}
	fputc(']', out);
	json_sites(out, s);
	json_unfreed(out, s);
	if (o->verbose) {
		fprintf(out, ",\n       \"violation_list\": [");
		for (size_t i = 0; i < s->nr_violations; i++) {
			fprintf(out, "%s\n         ", i ? "," : "");
			json_violation(out, s, &s->violations[i]);
		}
		fputc(']', out);
	}
	fputc('}', out);
}

/* "command": the `kmrv record` marker's command, or null; "scope". */
static void json_command(FILE *out, const struct kmrv_command *c)
{
	fprintf(out, "   \"scope\": \"%s\", \"command\": ", c->tree_only ? "tree" : "all");
	if (!c->present) {
		fprintf(out, "null,\n");
		return;
	}
	fprintf(out, "{\"pid\": %d, \"argv\": ", c->pid);
	json_write_str(out, c->argv);
	fprintf(out, ", \"tree_pids\": %llu},\n", (unsigned long long)c->tree_pids);
}

static void json_trace(FILE *out, const struct kmrv_trace_result *r,
		       const struct kmrv_report_opts *o)
{
	int first = 1;

	fprintf(out, "  {\"path\": ");
	json_write_str(out, r->path);
	if (r->error) {
		fprintf(out, ", \"error\": ");
		json_write_str(out, r->error);
		fputc('}', out);
		return;
	}
	fprintf(out, ", \"cpus\": %d, \"events\": %llu, \"event_counts\": {",
		r->nr_cpus, (unsigned long long)r->events);
	for (int tp = 0; tp < KMRV_TP_LOST; tp++) {
		if (!r->by_tp[tp])
			continue;
		fprintf(out, "%s", first ? "" : ", ");
		json_write_str(out, kmrv_tp_name(tp));
		fprintf(out, ": %llu", (unsigned long long)r->by_tp[tp]);
		first = 0;
	}
	fprintf(out, "},\n   \"failed_allocs\": %llu, \"null_frees\": %llu,"
		" \"first_ts\": %llu, \"last_ts\": %llu,\n",
		(unsigned long long)r->failed_allocs, (unsigned long long)r->null_frees,
		(unsigned long long)r->first_ts, (unsigned long long)r->last_ts);
	json_command(out, &r->command);
	fprintf(out, "   \"lost_events\": %llu, \"lost_unknown_gaps\": %llu, \"lost\": [",
		(unsigned long long)r->lost_events, (unsigned long long)r->lost_unknown);
	for (size_t i = 0; i < r->nr_gaps; i++)
		fprintf(out, "%s{\"cpu\": %u, \"ts\": %llu, \"count\": %lld}",
			i ? ", " : "", r->gaps[i].cpu,
			(unsigned long long)r->gaps[i].ts, (long long)r->gaps[i].count);
	fprintf(out, "],\n   \"complete\": %s,\n   \"specs\": [",
		r->complete ? "true" : "false");
	for (int s = 0; s < r->nr_specs; s++) {
		fprintf(out, "%s\n      ", s ? "," : "");
		json_spec(out, &r->specs[s], o);
	}
	fprintf(out, "]}");
}

/* "totals": as kmrv_totals in report.h says; no pids, no lists. */
static void json_totals(FILE *out, const struct kmrv_totals *t)
{
	fprintf(out, ",\n \"totals\": {\"traces\": %zu, \"failed\": %zu, \"events\": %llu,"
		" \"failed_allocs\": %llu, \"null_frees\": %llu,\n   \"lost_events\": %llu,"
		" \"lost_unknown_gaps\": %llu, \"incomplete\": %zu, \"complete\": %s,\n"
		"   \"specs\": [", t->nr_traces, t->nr_failed, (unsigned long long)t->events,
		(unsigned long long)t->failed_allocs, (unsigned long long)t->null_frees,
		(unsigned long long)t->lost_events, (unsigned long long)t->lost_unknown,
		t->nr_incomplete, t->nr_incomplete ? "false" : "true");
	for (int s = 0; s < t->nr_specs; s++) {
		const struct kmrv_spec_result *sr = &t->specs[s];

		fprintf(out, "%s\n      {\"name\": ", s ? "," : "");
		json_write_str(out, sr->name);
		fprintf(out, ", \"description\": ");
		json_write_str(out, sr->description);
		fprintf(out, ",\n       \"violations\": ");
		json_counts(out, sr, sr->counts);
		json_sites(out, sr);
		json_unfreed(out, sr);
		fputc('}', out);
	}
	fprintf(out, "]}");
}

int kmrv_report_json(FILE *out, const struct kmrv_trace_result *res,
		     size_t nr, const struct kmrv_report_opts *opts)
{
	fprintf(out, "{\"schema_version\": %d, \"tool\": \"kmrv\", \"version\": \"%s\",\n"
		" \"traces\": [\n", KMRV_SCHEMA_VERSION, KMRV_VERSION);
	for (size_t i = 0; i < nr; i++) {
		json_trace(out, &res[i], opts);
		fprintf(out, "%s\n", i + 1 < nr ? "," : "");
	}
	fputc(']', out);
	if (opts->totals)
		json_totals(out, opts->totals);
	fprintf(out, "}\n");
	fflush(out);
	return ferror(out) ? -1 : 0;
}
