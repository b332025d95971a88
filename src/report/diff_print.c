// SPDX-License-Identifier: GPL-2.0
/*
 * diff_print.c - a diff for people (text) and machines (JSON,
 * diff_schema_version 1, kmrv-diff(1)).
 *
 * Deltas are printed as sign and magnitude ("+3", "-12", "0"), never as a
 * signed 64-bit subtraction, so no pair of counts can overflow them.
 */
#include <stdio.h>
#include <string.h>

#include "kmrv/diff.h"
#include "report_priv.h"

#define SITE_WIDTH	40

static const char *delta_str(uint64_t old, uint64_t new, bool plus, char *buf, size_t len)
{
	if (new > old)
		snprintf(buf, len, "%s%llu", plus ? "+" : "", (unsigned long long)(new - old));
	else if (old > new)
		snprintf(buf, len, "-%llu", (unsigned long long)(old - new));
	else
		snprintf(buf, len, "0");
	return buf;
}

static const char *match_name(enum kmrv_match m)
{
	return m == KMRV_MATCH_FUNCTION ? "function" : "site";
}

static void text_side(FILE *out, const char *what, const struct kmrv_diff_side *s)
{
	size_t n = s->totals->nr_traces;

	fprintf(out, "%s %s (%s%zu trace%s%s)", what, s->path,
		s->is_trace ? "checked now, " : "", n, n == 1 ? "" : "s",
		n > 1 ? ", totals" : "");
}

static void text_header(FILE *out, const struct kmrv_diff *d, const struct kmrv_diff_opts *o)
{
	fprintf(out, "kmrv diff: ");
	text_side(out, "old", &d->old);
	fprintf(out, " -> ");
	text_side(out, "new", &d->new);
	fprintf(out, "\ncall sites matched by %s (--match %s)\n",
		o->match == KMRV_MATCH_FUNCTION ? "function name, offsets ignored"
						: "function+offset",
		match_name(o->match));
}

static size_t shown(size_t nr, const struct kmrv_diff_opts *o)
{
	return o->top && nr > o->top ? o->top : nr;
}

static void text_title(FILE *out, const char *what, size_t nr, const struct kmrv_diff_opts *o)
{
	if (shown(nr, o) < nr)
		fprintf(out, "  %s: %zu (top %zu; --top 0 for all)\n", what, nr, shown(nr, o));
	else
		fprintf(out, "  %s: %zu\n", what, nr);
}

static void text_kinds(FILE *out, const struct kmrv_diff_spec *ds)
{
	int width = 4;
	char d[32];

	for (int k = 0; k < ds->nr_kinds; k++)
		if ((int)strlen(ds->kinds[k]) > width)
			width = strlen(ds->kinds[k]);
	fprintf(out, "  %-*s  %10s  %10s  %10s\n", width, "KIND", "OLD", "NEW", "DELTA");
	for (int k = 0; k < ds->nr_kinds; k++)
		fprintf(out, "  %-*s  %10llu  %10llu  %10s%s\n", width, ds->kinds[k],
			(unsigned long long)ds->old[k], (unsigned long long)ds->new[k],
			delta_str(ds->old[k], ds->new[k], true, d, sizeof(d)),
			ds->exceeded[k] ? "  INCREASE" : "");
}

static void text_sites(FILE *out, const struct kmrv_diff_spec *ds,
		       const struct kmrv_diff_opts *o)
{
	char d[32];

	text_title(out, "call sites that changed", ds->nr_sites, o);
	if (!ds->nr_sites)
		return;
	fprintf(out, "    %-*s  %-22s  %8s  %8s  %8s  %s\n", SITE_WIDTH, "CALL SITE", "KIND",
		"OLD", "NEW", "DELTA", "CHANGE");
	for (size_t i = 0; i < shown(ds->nr_sites, o); i++) {
		const struct kmrv_diff_site *s = &ds->sites[i];

		fprintf(out, "    %-*s  %-22s  %8llu  %8llu  %8s  %s\n", SITE_WIDTH, s->site,
			ds->kinds[s->kind], (unsigned long long)s->old,
			(unsigned long long)s->new, delta_str(s->old, s->new, true, d, sizeof(d)),
			kmrv_change_name(kmrv_change_of(s->old, s->new)));
	}
}

static enum kmrv_change unfreed_change(const struct kmrv_diff_unfreed *u)
{
	enum kmrv_change c = kmrv_change_of(u->old_count, u->new_count);

	return c != KMRV_SAME ? c : kmrv_change_of(u->old_bytes, u->new_bytes);
}

static void text_unfreed(FILE *out, const struct kmrv_diff_spec *ds,
			 const struct kmrv_diff_opts *o)
{
	char dc[32], db[32];

	if (!ds->unfreed_old_count && !ds->unfreed_new_count)
		return;
	fprintf(out, "  unfreed at end: %llu objects, %llu bytes -> %llu objects, %llu bytes\n",
		(unsigned long long)ds->unfreed_old_count,
		(unsigned long long)ds->unfreed_old_bytes,
		(unsigned long long)ds->unfreed_new_count,
		(unsigned long long)ds->unfreed_new_bytes);
	text_title(out, "allocation sites that changed", ds->nr_unfreed, o);
	if (!ds->nr_unfreed)
		return;
	fprintf(out, "    %-*s  %8s  %8s  %8s  %10s  %10s  %10s  %s\n", SITE_WIDTH,
		"ALLOCATION SITE", "OLD", "NEW", "DELTA", "OLD BYTES", "NEW BYTES",
		"DELTA", "CHANGE");
	for (size_t i = 0; i < shown(ds->nr_unfreed, o); i++) {
		const struct kmrv_diff_unfreed *u = &ds->unfreed[i];

		fprintf(out, "    %-*s  %8llu  %8llu  %8s  %10llu  %10llu  %10s  %s\n",
			SITE_WIDTH, u->site, (unsigned long long)u->old_count,
			(unsigned long long)u->new_count,
			delta_str(u->old_count, u->new_count, true, dc, sizeof(dc)),
			(unsigned long long)u->old_bytes, (unsigned long long)u->new_bytes,
			delta_str(u->old_bytes, u->new_bytes, true, db, sizeof(db)),
			kmrv_change_name(unfreed_change(u)));
	}
}

static void text_threshold(FILE *out, const struct kmrv_threshold *t)
{
	fprintf(out, "an increase must be > %llu", (unsigned long long)t->abs);
	if (t->has_pct)
		fprintf(out, " and > %llu%% of old", (unsigned long long)t->pct);
}

static void text_gate(FILE *out, const struct kmrv_diff *d, const struct kmrv_diff_opts *o)
{
	char delta[32];

	if (!o->gate)
		return;
	fprintf(out, "\ngate --fail-on-increase (");
	if (o->nr_gate_kinds)
		for (size_t i = 0; i < o->nr_gate_kinds; i++)
			fprintf(out, "%s%s", i ? "," : "", o->gate_kinds[i]);
	else
		fprintf(out, "every kind");
	fprintf(out, "; ");
	text_threshold(out, &o->threshold);
	fprintf(out, "): %s\n", d->failed ? "FAILED" : "passed");
	for (int s = 0; s < d->nr_specs; s++) {
		const struct kmrv_diff_spec *ds = &d->specs[s];

		for (int k = 0; k < ds->nr_kinds; k++)
			if (ds->exceeded[k])
				fprintf(out, "  %s %s: %llu -> %llu (%s)\n", ds->name,
					ds->kinds[k], (unsigned long long)ds->old[k],
					(unsigned long long)ds->new[k],
					delta_str(ds->old[k], ds->new[k], true, delta,
						  sizeof(delta)));
	}
}

int kmrv_diff_text(FILE *out, const struct kmrv_diff *d, const struct kmrv_diff_opts *o)
{
	text_header(out, d, o);
	for (int s = 0; s < d->nr_specs; s++) {
		const struct kmrv_diff_spec *ds = &d->specs[s];

		fprintf(out, "\n%s\n", ds->name);
		text_kinds(out, ds);
		text_sites(out, ds, o);
		text_unfreed(out, ds, o);
	}
	text_gate(out, d, o);
	fflush(out);
	return ferror(out) ? -1 : 0;
}

static void json_side(FILE *out, const char *what, const struct kmrv_diff_side *s)
{
	fprintf(out, " \"%s\": {\"path\": ", what);
	json_write_str(out, s->path);
	fprintf(out, ", \"source\": \"%s\", \"traces\": %zu},\n",
		s->is_trace ? "trace" : "json", s->totals->nr_traces);
}

static void json_kinds(FILE *out, const struct kmrv_diff_spec *ds)
{
	char d[32];

	fprintf(out, "\"violations\": [");
	for (int k = 0; k < ds->nr_kinds; k++) {
		fprintf(out, "%s\n        {\"kind\": ", k ? "," : "");
		json_write_str(out, ds->kinds[k]);
		fprintf(out, ", \"old\": %llu, \"new\": %llu, \"delta\": %s, \"exceeded\": %s}",
			(unsigned long long)ds->old[k], (unsigned long long)ds->new[k],
			delta_str(ds->old[k], ds->new[k], false, d, sizeof(d)),
			ds->exceeded[k] ? "true" : "false");
	}
	fprintf(out, "]");
}

static void json_sites(FILE *out, const struct kmrv_diff_spec *ds)
{
	char d[32];

	fprintf(out, ",\n      \"call_sites\": [");
	for (size_t i = 0; i < ds->nr_sites; i++) {
		const struct kmrv_diff_site *s = &ds->sites[i];

		fprintf(out, "%s\n        {\"site\": ", i ? "," : "");
		json_write_str(out, s->site);
		fprintf(out, ", \"kind\": ");
		json_write_str(out, ds->kinds[s->kind]);
		fprintf(out, ", \"old\": %llu, \"new\": %llu, \"delta\": %s, \"change\": \"%s\"}",
			(unsigned long long)s->old, (unsigned long long)s->new,
			delta_str(s->old, s->new, false, d, sizeof(d)),
			kmrv_change_name(kmrv_change_of(s->old, s->new)));
	}
	fprintf(out, "]");
}

static void json_unfreed(FILE *out, const struct kmrv_diff_spec *ds)
{
	char dc[32], db[32];

	fprintf(out, ",\n      \"unfreed\": {\"old\": {\"count\": %llu, \"bytes\": %llu},"
		" \"new\": {\"count\": %llu, \"bytes\": %llu}, \"sites\": [",
		(unsigned long long)ds->unfreed_old_count,
		(unsigned long long)ds->unfreed_old_bytes,
		(unsigned long long)ds->unfreed_new_count,
		(unsigned long long)ds->unfreed_new_bytes);
	for (size_t i = 0; i < ds->nr_unfreed; i++) {
		const struct kmrv_diff_unfreed *u = &ds->unfreed[i];

		fprintf(out, "%s\n        {\"site\": ", i ? "," : "");
		json_write_str(out, u->site);
		fprintf(out, ", \"old_count\": %llu, \"new_count\": %llu, \"delta_count\": %s,"
			" \"old_bytes\": %llu, \"new_bytes\": %llu, \"delta_bytes\": %s,"
			" \"change\": \"%s\"}",
			(unsigned long long)u->old_count, (unsigned long long)u->new_count,
			delta_str(u->old_count, u->new_count, false, dc, sizeof(dc)),
			(unsigned long long)u->old_bytes, (unsigned long long)u->new_bytes,
			delta_str(u->old_bytes, u->new_bytes, false, db, sizeof(db)),
			kmrv_change_name(unfreed_change(u)));
	}
	fprintf(out, "]}");
}

static void json_gate(FILE *out, const struct kmrv_diff *d, const struct kmrv_diff_opts *o)
{
	fprintf(out, ",\n \"gate\": ");
	if (!o->gate) {
		fprintf(out, "null");
		return;
	}
	fprintf(out, "{\"kinds\": ");
	if (!o->nr_gate_kinds) {
		fprintf(out, "null");
	} else {
		fputc('[', out);
		for (size_t i = 0; i < o->nr_gate_kinds; i++) {
			fprintf(out, "%s", i ? ", " : "");
			json_write_str(out, o->gate_kinds[i]);
		}
		fputc(']', out);
	}
	fprintf(out, ", \"threshold\": %llu, \"threshold_percent\": ",
		(unsigned long long)o->threshold.abs);
	if (o->threshold.has_pct)
		fprintf(out, "%llu", (unsigned long long)o->threshold.pct);
	else
		fprintf(out, "null");
	fprintf(out, ", \"failed\": %s}", d->failed ? "true" : "false");
}

int kmrv_diff_json(FILE *out, const struct kmrv_diff *d, const struct kmrv_diff_opts *o)
{
	fprintf(out, "{\"diff_schema_version\": %d, \"tool\": \"kmrv\", \"version\": \"%s\","
		" \"match\": \"%s\",\n", KMRV_DIFF_SCHEMA_VERSION, KMRV_VERSION,
		match_name(o->match));
	json_side(out, "old", &d->old);
	json_side(out, "new", &d->new);
	fprintf(out, " \"specs\": [");
	for (int s = 0; s < d->nr_specs; s++) {
		fprintf(out, "%s\n     {\"name\": ", s ? "," : "");
		json_write_str(out, d->specs[s].name);
		fprintf(out, ", ");
		json_kinds(out, &d->specs[s]);
		json_sites(out, &d->specs[s]);
		json_unfreed(out, &d->specs[s]);
		fputc('}', out);
	}
	fputc(']', out);
	json_gate(out, d, o);
	fprintf(out, "}\n");
	fflush(out);
	return ferror(out) ? -1 : 0;
}
