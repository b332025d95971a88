// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_json.c - libFuzzer target: the strict JSON reader and the result
 * reader used by kmrv diff and merge, then what diff and merge do with an
 * accepted result (totals, diff against itself, both reports).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/diff.h"
#include "kmrv/json.h"
#include "kmrv/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *null_out;

static void use_results(struct kmrv_result_set *set)
{
	struct kmrv_report_opts ropts = { .top = 5, .verbose = set->verbose };
	struct kmrv_diff_opts dopts = { .gate = true, .top = 5 };
	struct kmrv_totals totals = { 0 };
	struct kmrv_diff_side side;
	struct kmrv_diff d;
	char err[512];

	if (kmrv_totals_compute(set->traces, set->nr, &totals, err, sizeof(err)))
		return;
	ropts.totals = &totals;
	kmrv_report_text(null_out, set->traces, set->nr, &ropts);
	kmrv_report_json(null_out, set->traces, set->nr, &ropts);
	side = (struct kmrv_diff_side){ "fuzz.json", false, &totals };
	for (int m = KMRV_MATCH_SITE; m <= KMRV_MATCH_FUNCTION; m++) {
		dopts.match = m;
		if (kmrv_diff_compute(&side, &side, &dopts, &d, err, sizeof(err)))
			continue;
		kmrv_diff_text(null_out, &d, &dopts);
		kmrv_diff_json(null_out, &d, &dopts);
		kmrv_diff_release(&d);
	}
	kmrv_totals_release(&totals);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmrv_result_set set = { 0 }, all = { 0 };
	struct kmrv_json *root;
	char err[512];

	if (!null_out && !(null_out = fopen("/dev/null", "w")))
		abort();
	err[0] = '\0';
	root = kmrv_json_parse((const char *)data, size, "fuzz.json", err, sizeof(err));
	if (root)
		kmrv_json_free(root);
	else if (!err[0] || strchr(err, '\n'))
		abort();
	err[0] = '\0';
	if (kmrv_results_parse((const char *)data, size, "fuzz.json", &set,
			       err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		return 0;
	}
	use_results(&set);
	/* merge: the traces move into another set */
	all.verbose = true;
	if (!kmrv_results_append(&all, &set))
		use_results(&all);
	kmrv_result_set_release(&set);
	kmrv_result_set_release(&all);
	return 0;
}
