// SPDX-License-Identifier: GPL-2.0
/*
 * diff.c - compare the totals of two check results (contract in
 * kmrv/diff.h); printing is in diff_print.c.
 *
 * Both sides are first re-keyed with spec_sum() (by site string, or by
 * function name with --match function, which also sums the rows of one
 * function), then joined on the key: rows are sorted by key on both sides
 * and walked together, so a site present on one side only shows up as
 * appeared or vanished.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/diff.h"
#include "report_priv.h"

enum kmrv_change kmrv_change_of(uint64_t old, uint64_t new)
{
	if (old == new)
		return KMRV_SAME;
	if (!old)
		return KMRV_APPEARED;
	if (!new)
		return KMRV_VANISHED;
	return new > old ? KMRV_GREW : KMRV_SHRANK;
}

const char *kmrv_change_name(enum kmrv_change c)
{
	static const char *const names[] = {
		[KMRV_SAME] = "same", [KMRV_APPEARED] = "appeared",
		[KMRV_VANISHED] = "vanished", [KMRV_GREW] = "grew",
		[KMRV_SHRANK] = "shrank",
	};

	return names[c];
}

bool kmrv_threshold_exceeded(const struct kmrv_threshold *t, uint64_t old, uint64_t new)
{
	uint64_t delta;

	if (new <= old)
		return false;
	delta = new - old;
	if (delta <= t->abs)
		return false;
	/* 128-bit products: exact for every pair of 64-bit counts */
	return !t->has_pct ||
	       (unsigned __int128)delta * 100 > (unsigned __int128)t->pct * old;
}

static uint64_t mag(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static int cmp_site_name(const void *a, const void *b)
{
	const struct kmrv_site_row *x = a, *y = b;

	return strcmp(x->site, y->site);
}

static int cmp_unfreed_name(const void *a, const void *b)
{
	const struct kmrv_unfreed_row *x = a, *y = b;

	return strcmp(x->site, y->site);
}

static int cmp_diff_site(const void *a, const void *b)
{
	const struct kmrv_diff_site *x = a, *y = b;
	uint64_t dx = mag(x->old, x->new), dy = mag(y->old, y->new);
	int c;

	if (dx != dy)
		return dx < dy ? 1 : -1;
	c = strcmp(x->site, y->site);
	return c ? c : x->kind - y->kind;
}

static int cmp_diff_unfreed(const void *a, const void *b)
{
	const struct kmrv_diff_unfreed *x = a, *y = b;
	uint64_t cx = mag(x->old_count, x->new_count), cy = mag(y->old_count, y->new_count);
	uint64_t bx = mag(x->old_bytes, x->new_bytes), by = mag(y->old_bytes, y->new_bytes);

	if (cx != cy)
		return cx < cy ? 1 : -1;
	if (bx != by)
		return bx < by ? 1 : -1;
	return strcmp(x->site, y->site);
}

/* Append the changed kinds of one site (@o or @n may be NULL: absent). */
static int add_site(struct kmrv_diff_spec *ds, const struct kmrv_site_row *o,
		    const struct kmrv_site_row *n, size_t *cap)
{
	for (int k = 0; k < ds->nr_kinds; k++) {
		uint64_t ov = o ? o->counts[k] : 0, nv = n ? n->counts[k] : 0;
		struct kmrv_diff_site *row;

		if (ov == nv)
			continue;
		if (ds->nr_sites == *cap) {
			size_t c = *cap ? *cap * 2 : 16;
			void *p = realloc(ds->sites, c * sizeof(*ds->sites));

			if (!p)
				return -1;
			ds->sites = p;
			*cap = c;
		}
		row = &ds->sites[ds->nr_sites];
		row->site = strdup(o ? o->site : n->site);
		if (!row->site)
			return -1;
		row->kind = k;
		row->old = ov;
		row->new = nv;
		ds->nr_sites++;
	}
	return 0;
}

/* Join the call-site rows of both sides (sorted here by site string). */
static int join_sites(struct kmrv_diff_spec *ds, struct kmrv_spec_result *o,
		      struct kmrv_spec_result *n)
{
	size_t i = 0, j = 0, cap = 0;
	int ret = 0;

	qsort(o->sites, o->nr_sites, sizeof(*o->sites), cmp_site_name);
	qsort(n->sites, n->nr_sites, sizeof(*n->sites), cmp_site_name);
	while (!ret && (i < o->nr_sites || j < n->nr_sites)) {
		int c = i == o->nr_sites ? 1 : j == n->nr_sites ? -1 :
			strcmp(o->sites[i].site, n->sites[j].site);

		if (c < 0)
			ret = add_site(ds, &o->sites[i++], NULL, &cap);
		else if (c > 0)
			ret = add_site(ds, NULL, &n->sites[j++], &cap);
		else
			ret = add_site(ds, &o->sites[i++], &n->sites[j++], &cap);
	}
	if (ds->nr_sites)	/* no change: no array at all */
		qsort(ds->sites, ds->nr_sites, sizeof(*ds->sites), cmp_diff_site);
	return ret;
}

static int add_unfreed(struct kmrv_diff_spec *ds, const struct kmrv_unfreed_row *o,
		       const struct kmrv_unfreed_row *n)
{
	struct kmrv_diff_unfreed *row = &ds->unfreed[ds->nr_unfreed];

	row->old_count = o ? o->count : 0;
	row->old_bytes = o ? o->bytes : 0;
	row->new_count = n ? n->count : 0;
	row->new_bytes = n ? n->bytes : 0;
	ds->unfreed_old_count = sat_add(ds->unfreed_old_count, row->old_count);
	ds->unfreed_old_bytes = sat_add(ds->unfreed_old_bytes, row->old_bytes);
	ds->unfreed_new_count = sat_add(ds->unfreed_new_count, row->new_count);
	ds->unfreed_new_bytes = sat_add(ds->unfreed_new_bytes, row->new_bytes);
	if (row->old_count == row->new_count && row->old_bytes == row->new_bytes)
		return 0;
	row->site = strdup(o ? o->site : n->site);
	if (!row->site)
		return -1;
	ds->nr_unfreed++;
	return 0;
}

static int join_unfreed(struct kmrv_diff_spec *ds, struct kmrv_spec_result *o,
			struct kmrv_spec_result *n)
{
	size_t i = 0, j = 0;
	int ret = 0;

	ds->unfreed = calloc(o->nr_unfreed + n->nr_unfreed + 1, sizeof(*ds->unfreed));
	if (!ds->unfreed)
		return -1;
	qsort(o->unfreed, o->nr_unfreed, sizeof(*o->unfreed), cmp_unfreed_name);
	qsort(n->unfreed, n->nr_unfreed, sizeof(*n->unfreed), cmp_unfreed_name);
	while (!ret && (i < o->nr_unfreed || j < n->nr_unfreed)) {
		int c = i == o->nr_unfreed ? 1 : j == n->nr_unfreed ? -1 :
			strcmp(o->unfreed[i].site, n->unfreed[j].site);

		if (c < 0)
			ret = add_unfreed(ds, &o->unfreed[i++], NULL);
		else if (c > 0)
			ret = add_unfreed(ds, NULL, &n->unfreed[j++]);
		else
			ret = add_unfreed(ds, &o->unfreed[i++], &n->unfreed[j++]);
	}
	qsort(ds->unfreed, ds->nr_unfreed, sizeof(*ds->unfreed), cmp_diff_unfreed);
	return ret;
}

static bool gated(const struct kmrv_diff_opts *opts, const char *kind)
{
	if (!opts->nr_gate_kinds)
		return true;
	for (size_t i = 0; i < opts->nr_gate_kinds; i++)
		if (!strcmp(opts->gate_kinds[i], kind))
			return true;
	return false;
}

static int kind_counts(struct kmrv_diff_spec *ds, const struct kmrv_spec_result *o,
		       const struct kmrv_spec_result *n, const struct kmrv_diff_opts *opts,
		       bool *failed)
{
	size_t nk = o->nr_kinds ? o->nr_kinds : 1;

	ds->name = strdup(o->name);
	ds->kinds = calloc(nk, sizeof(*ds->kinds));
	ds->old = calloc(nk, sizeof(*ds->old));
	ds->new = calloc(nk, sizeof(*ds->new));
	ds->exceeded = calloc(nk, sizeof(*ds->exceeded));
	if (!ds->name || !ds->kinds || !ds->old || !ds->new || !ds->exceeded)
		return -1;
	for (int k = 0; k < o->nr_kinds; k++) {
		ds->kinds[k] = strdup(o->kinds[k]);
		if (!ds->kinds[k])
			return -1;
		ds->nr_kinds = k + 1;
		ds->old[k] = o->counts[k];
		ds->new[k] = n->counts[k];
		ds->exceeded[k] = opts->gate && gated(opts, o->kinds[k]) &&
				  kmrv_threshold_exceeded(&opts->threshold, o->counts[k],
							  n->counts[k]);
		*failed = *failed || ds->exceeded[k];
	}
	return 0;
}

static int diff_spec(struct kmrv_diff_spec *ds, const struct kmrv_spec_result *old,
		     const struct kmrv_spec_result *new, const struct kmrv_diff_opts *opts,
		     bool *failed)
{
	bool by_function = opts->match == KMRV_MATCH_FUNCTION;
	struct kmrv_spec_result o = { 0 }, n = { 0 };
	int ret = -1;

	if (spec_sum(&o, &old, 1, by_function) || spec_sum(&n, &new, 1, by_function))
		goto out;
	if (kind_counts(ds, old, new, opts, failed) || join_sites(ds, &o, &n) ||
	    join_unfreed(ds, &o, &n))
		goto out;
	ret = 0;
out:
	kmrv_spec_result_release(&o);
	kmrv_spec_result_release(&n);
	return ret;
}

static const struct kmrv_spec_result *find(const struct kmrv_totals *t, const char *name)
{
	for (int s = 0; s < t->nr_specs; s++)
		if (!strcmp(t->specs[s].name, name))
			return &t->specs[s];
	return NULL;
}

/* Names of @a's specs that @b lacks, comma-separated, into @buf. */
static void one_sided(const struct kmrv_totals *a, const struct kmrv_totals *b,
		      char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int s = 0; s < a->nr_specs && n < len; s++)
		if (!find(b, a->specs[s].name))
			n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
				      a->specs[s].name);
	if (!n)
		snprintf(buf, len, "none");
}

static int check_sides(const struct kmrv_diff_side *old, const struct kmrv_diff_side *new,
		       char *err, size_t errlen)
{
	const struct kmrv_totals *o = old->totals, *n = new->totals;
	char only_old[256], only_new[256];

	for (int s = 0; s < o->nr_specs; s++) {
		const struct kmrv_spec_result *m = find(n, o->specs[s].name);

		if (m && !same_kinds(m, &o->specs[s])) {
			snprintf(err, errlen, "spec '%s' has other violation kinds in %s than"
				 " in %s (another version of the spec file?)", m->name,
				 new->path, old->path);
			return -1;
		}
	}
	one_sided(o, n, only_old, sizeof(only_old));
	one_sided(n, o, only_new, sizeof(only_new));
	if (strcmp(only_old, "none") || strcmp(only_new, "none")) {
		snprintf(err, errlen, "the sides were checked with different specs (only in"
			 " %s: %s; only in %s: %s): check both with the same --spec, or pass"
			 " --spec to compare the common ones", old->path, only_old,
			 new->path, only_new);
		return -1;
	}
	return 0;
}

static int check_gate_kinds(const struct kmrv_totals *t, const struct kmrv_diff_opts *opts,
			    char *err, size_t errlen)
{
	for (size_t i = 0; i < opts->nr_gate_kinds; i++) {
		bool found = false;

		for (int s = 0; s < t->nr_specs && !found; s++)
			for (int k = 0; k < t->specs[s].nr_kinds && !found; k++)
				found = !strcmp(t->specs[s].kinds[k], opts->gate_kinds[i]);
		if (!found) {
			snprintf(err, errlen, "--fail-on-increase: no compared spec has"
				 " violation kind '%s'", opts->gate_kinds[i]);
			return -1;
		}
	}
	return 0;
}

int kmrv_diff_compute(const struct kmrv_diff_side *old, const struct kmrv_diff_side *new,
		      const struct kmrv_diff_opts *opts, struct kmrv_diff *d,
		      char *err, size_t errlen)
{
	const struct kmrv_totals *o = old->totals;

	memset(d, 0, sizeof(*d));
	if (check_sides(old, new, err, errlen) || check_gate_kinds(o, opts, err, errlen))
		return -1;
	d->old = *old;
	d->new = *new;
	d->specs = calloc(o->nr_specs ? o->nr_specs : 1, sizeof(*d->specs));
	if (!d->specs)
		goto nomem;
	for (int s = 0; s < o->nr_specs; s++) {
		d->nr_specs++;
		if (diff_spec(&d->specs[s], &o->specs[s], find(new->totals, o->specs[s].name),
			      opts, &d->failed))
			goto nomem;
	}
	return 0;
nomem:
	kmrv_diff_release(d);
	snprintf(err, errlen, "diff: out of memory");
	return -1;
}

void kmrv_diff_release(struct kmrv_diff *d)
{
	for (int s = 0; d->specs && s < d->nr_specs; s++) {
		struct kmrv_diff_spec *ds = &d->specs[s];

		for (int k = 0; ds->kinds && k < ds->nr_kinds; k++)
			free(ds->kinds[k]);
		for (size_t i = 0; i < ds->nr_sites; i++)
			free(ds->sites[i].site);
		for (size_t i = 0; i < ds->nr_unfreed; i++)
			free(ds->unfreed[i].site);
		free(ds->kinds);
		free(ds->name);
		free(ds->old);
		free(ds->new);
		free(ds->exceeded);
		free(ds->sites);
		free(ds->unfreed);
	}
	free(d->specs);
	memset(d, 0, sizeof(*d));
}
