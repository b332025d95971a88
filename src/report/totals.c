// SPDX-License-Identifier: GPL-2.0
/*
 * totals.c - sum check results over traces (contract in kmrv/report.h).
 *
 * Rows are summed by their key string: all rows of all inputs are put in
 * one array, sorted by key, and each run of equal keys becomes one row.
 * That is O(n log n) in the number of rows and needs no hash table; the
 * result does not depend on the order of the inputs, which is what makes
 * "merge of shards == one run over all files" hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/report.h"
#include "report_priv.h"

struct row_ref {
	char		*key;
	const uint64_t	*counts;			/* call-site rows */
	const struct kmrv_unfreed_row *unfreed;		/* unfreed rows */
};

char *site_function(const char *site)
{
	const char *plus = strstr(site, "+0x");

	/* "name+0xoff": keep the name; "0xADDR" (no symbol) has no '+' */
	while (plus && strstr(plus + 1, "+0x"))
		plus = strstr(plus + 1, "+0x");
	if (!plus || plus == site || !plus[3] || strspn(plus + 3, "0123456789abcdef") !=
						 strlen(plus + 3))
		return strdup(site);
	return strndup(site, plus - site);
}

bool same_kinds(const struct kmrv_spec_result *a, const struct kmrv_spec_result *b)
{
	if (a->nr_kinds != b->nr_kinds)
		return false;
	for (int k = 0; k < a->nr_kinds; k++)
		if (strcmp(a->kinds[k], b->kinds[k]))
			return false;
	return true;
}

static int cmp_ref(const void *a, const void *b)
{
	const struct row_ref *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static int cmp_site(const void *a, const void *b)
{
	const struct kmrv_site_row *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->site, y->site);
}

static int cmp_unfreed(const void *a, const void *b)
{
	const struct kmrv_unfreed_row *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->site, y->site);
}

static void free_refs(struct row_ref *refs, size_t nr)
{
	for (size_t i = 0; refs && i < nr; i++)
		free(refs[i].key);
	free(refs);
}

/* Every row of every input, keyed; sorted. NULL on ENOMEM. */
static struct row_ref *collect(const struct kmrv_spec_result *const *in, size_t n,
			       bool unfreed, bool by_function, size_t *nr)
{
	struct row_ref *refs;
	size_t total = 0, r = 0;

	for (size_t i = 0; i < n; i++)
		total += unfreed ? in[i]->nr_unfreed : in[i]->nr_sites;
	refs = calloc(total ? total : 1, sizeof(*refs));
	if (!refs)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t rows = unfreed ? in[i]->nr_unfreed : in[i]->nr_sites;

		for (size_t j = 0; j < rows; j++, r++) {
			const char *site = unfreed ? in[i]->unfreed[j].site
						   : in[i]->sites[j].site;

			refs[r].key = by_function ? site_function(site) : strdup(site);
			if (!refs[r].key) {
				free_refs(refs, r);
				return NULL;
			}
			if (unfreed)
				refs[r].unfreed = &in[i]->unfreed[j];
			else
				refs[r].counts = in[i]->sites[j].counts;
		}
	}
	qsort(refs, total, sizeof(*refs), cmp_ref);
	*nr = total;
	return refs;
}

static int sum_sites(struct kmrv_spec_result *out, const struct kmrv_spec_result *const *in,
		     size_t n, bool by_function)
{
	struct row_ref *refs;
	size_t nr = 0, j;

	refs = collect(in, n, false, by_function, &nr);
	out->sites = calloc(nr ? nr : 1, sizeof(*out->sites));
	if (!refs || !out->sites)
		goto nomem;
	for (size_t i = 0; i < nr; i = j) {
		struct kmrv_site_row *row = &out->sites[out->nr_sites];

		row->counts = calloc(out->nr_kinds ? out->nr_kinds : 1, sizeof(uint64_t));
		if (!row->counts)
			goto nomem;
		row->site = refs[i].key;
		refs[i].key = NULL;
		out->nr_sites++;
		for (j = i; j < nr && (j == i || !strcmp(refs[j].key, row->site)); j++)
			for (int k = 0; k < out->nr_kinds; k++)
				row->counts[k] = sat_add(row->counts[k], refs[j].counts[k]);
		for (int k = 0; k < out->nr_kinds; k++)
			row->total = sat_add(row->total, row->counts[k]);
	}
	qsort(out->sites, out->nr_sites, sizeof(*out->sites), cmp_site);
	free_refs(refs, nr);
	return 0;
nomem:
	free_refs(refs, nr);
	return -1;
}

static int sum_unfreed(struct kmrv_spec_result *out, const struct kmrv_spec_result *const *in,
		       size_t n, bool by_function)
{
	struct row_ref *refs;
	size_t nr = 0, j;

	refs = collect(in, n, true, by_function, &nr);
	out->unfreed = calloc(nr ? nr : 1, sizeof(*out->unfreed));
	if (!refs || !out->unfreed) {
		free_refs(refs, nr);
		return -1;
	}
	for (size_t i = 0; i < nr; i = j) {
		struct kmrv_unfreed_row *row = &out->unfreed[out->nr_unfreed++];

		row->site = refs[i].key;
		refs[i].key = NULL;
		for (j = i; j < nr && (j == i || !strcmp(refs[j].key, row->site)); j++) {
			const struct kmrv_unfreed_row *u = refs[j].unfreed;

			row->count = sat_add(row->count, u->count);
			row->bytes = sat_add(row->bytes, u->bytes);
			if (u->oldest_age_ns > row->oldest_age_ns)
				row->oldest_age_ns = u->oldest_age_ns;
		}
	}
	qsort(out->unfreed, out->nr_unfreed, sizeof(*out->unfreed), cmp_unfreed);
	free_refs(refs, nr);
	return 0;
}

static int copy_names(struct kmrv_spec_result *out, const struct kmrv_spec_result *in)
{
	out->name = strdup(in->name);
	out->description = strdup(in->description ? in->description : "");
	out->kinds = calloc(in->nr_kinds ? in->nr_kinds : 1, sizeof(*out->kinds));
	out->counts = calloc(in->nr_kinds ? in->nr_kinds : 1, sizeof(*out->counts));
	if (!out->name || !out->description || !out->kinds || !out->counts)
		return -1;
	for (int k = 0; k < in->nr_kinds; k++) {
		out->kinds[k] = strdup(in->kinds[k]);
		if (!out->kinds[k])
			return -1;
		out->nr_kinds = k + 1;
	}
	return 0;
}

int spec_sum(struct kmrv_spec_result *out, const struct kmrv_spec_result *const *in,
	     size_t n, bool by_function)
{
	memset(out, 0, sizeof(*out));
	if (!n || copy_names(out, in[0]))
		return -1;
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < out->nr_kinds; k++)
			out->counts[k] = sat_add(out->counts[k], in[i]->counts[k]);
	if (sum_sites(out, in, n, by_function) || sum_unfreed(out, in, n, by_function))
		return -1;
	return 0;
}

static const struct kmrv_spec_result *find_spec(const struct kmrv_trace_result *r,
						const char *name)
{
	for (int s = 0; s < r->nr_specs; s++)
		if (!strcmp(r->specs[s].name, name))
			return &r->specs[s];
	return NULL;
}

/* @r was checked with the specs of @first (names and kinds), any order. */
static int same_specs(const struct kmrv_trace_result *first,
		      const struct kmrv_trace_result *r, char *err, size_t errlen)
{
	if (r->nr_specs != first->nr_specs)
		goto differ;
	for (int s = 0; s < first->nr_specs; s++) {
		const struct kmrv_spec_result *o = find_spec(r, first->specs[s].name);

		if (!o)
			goto differ;
		if (!same_kinds(o, &first->specs[s])) {
			snprintf(err, errlen, "%s: spec '%s' has other violation kinds than in %s"
				 " (another version of the spec file?)", r->path, o->name,
				 first->path);
			return -1;
		}
	}
	return 0;
differ:
	snprintf(err, errlen, "%s: checked with %d spec%s, %s with %d (or other names);"
		 " totals need one spec set: check every trace with the same --spec",
		 r->path, r->nr_specs, r->nr_specs == 1 ? "" : "s", first->path,
		 first->nr_specs);
	return -1;
}

static void sum_header(struct kmrv_totals *t, const struct kmrv_trace_result *r)
{
	t->events = sat_add(t->events, r->events);
	t->failed_allocs = sat_add(t->failed_allocs, r->failed_allocs);
	t->null_frees = sat_add(t->null_frees, r->null_frees);
	t->lost_events = sat_add(t->lost_events, r->lost_events);
	t->lost_unknown = sat_add(t->lost_unknown, r->lost_unknown);
	if (!r->complete)
		t->nr_incomplete++;
}

static int sum_specs(struct kmrv_totals *t, const struct kmrv_trace_result *res,
		     size_t nr, const struct kmrv_trace_result *first)
{
	const struct kmrv_spec_result **in = calloc(nr, sizeof(*in));
	int ret = -1;

	t->specs = calloc(first->nr_specs ? first->nr_specs : 1, sizeof(*t->specs));
	if (!in || !t->specs)
		goto out;
	for (int s = 0; s < first->nr_specs; s++) {
		size_t n = 0;

		for (size_t i = 0; i < nr; i++)
			if (!res[i].error)
				in[n++] = find_spec(&res[i], first->specs[s].name);
		t->nr_specs++;
		if (spec_sum(&t->specs[s], in, n, false))
			goto out;
	}
	ret = 0;
out:
	free(in);
	return ret;
}

int kmrv_totals_compute(const struct kmrv_trace_result *res, size_t nr,
			struct kmrv_totals *t, char *err, size_t errlen)
{
	const struct kmrv_trace_result *first = NULL;

	memset(t, 0, sizeof(*t));
	t->nr_traces = nr;
	for (size_t i = 0; i < nr; i++) {
		if (res[i].error) {
			t->nr_failed++;
			continue;
		}
		if (!first)
			first = &res[i];
		else if (same_specs(first, &res[i], err, errlen))
			return -1;
		sum_header(t, &res[i]);
	}
	if (!first)
		return 0;
	if (sum_specs(t, res, nr, first)) {
		kmrv_totals_release(t);
		snprintf(err, errlen, "totals: out of memory");
		return -1;
	}
	return 0;
}

void kmrv_totals_release(struct kmrv_totals *t)
{
	for (int s = 0; t->specs && s < t->nr_specs; s++)
		kmrv_spec_result_release(&t->specs[s]);
	free(t->specs);
	memset(t, 0, sizeof(*t));
}

static int index_of(const struct kmrv_totals *t, const char *name)
{
	for (int s = 0; s < t->nr_specs; s++)
		if (!strcmp(t->specs[s].name, name))
			return s;
	return -1;
}

static void missing_spec(const struct kmrv_totals *t, const char *name,
			 const char *label, char *err, size_t errlen)
{
	size_t n = snprintf(err, errlen, "%s: no spec '%s' (it has:", label, name);

	for (int s = 0; s < t->nr_specs && n < errlen; s++)
		n += snprintf(err + n, errlen - n, "%s%s", s ? "," : " ", t->specs[s].name);
	if (n < errlen)
		snprintf(err + n, errlen - n, ")");
}

int kmrv_totals_select(struct kmrv_totals *t, char *const *names, size_t n,
		       const char *label, char *err, size_t errlen)
{
	struct kmrv_spec_result *specs;
	int kept = 0;
	bool *taken;

	for (size_t i = 0; i < n; i++)
		if (index_of(t, names[i]) < 0) {
			missing_spec(t, names[i], label, err, errlen);
			return -1;
		}
	specs = calloc(n ? n : 1, sizeof(*specs));
	taken = calloc(t->nr_specs ? t->nr_specs : 1, sizeof(*taken));
	if (!specs || !taken) {
		free(specs);
		free(taken);
		snprintf(err, errlen, "%s: out of memory", label);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int s = index_of(t, names[i]);

		if (taken[s])		/* a name given twice counts once */
			continue;
		specs[kept++] = t->specs[s];
		taken[s] = true;
	}
	for (int s = 0; s < t->nr_specs; s++)
		if (!taken[s])
			kmrv_spec_result_release(&t->specs[s]);
	free(t->specs);
	free(taken);
	t->specs = specs;
	t->nr_specs = kept;
	return 0;
}
