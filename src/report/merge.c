// SPDX-License-Identifier: GPL-2.0
/*
 * merge.c - put the traces of several check results into one (kmrv
 * merge). Totals are not merged here but recomputed from the traces by
 * kmrv_totals_compute(), so that a merge of shards sums exactly what one
 * run over all their files would have summed.
 */
#include <stdlib.h>
#include <string.h>

#include "kmrv/report.h"

int kmrv_results_append(struct kmrv_result_set *dst, struct kmrv_result_set *src)
{
	struct kmrv_trace_result *p;

	if (!src->nr) {
		dst->verbose = dst->verbose && src->verbose;
		return 0;
	}
	p = realloc(dst->traces, (dst->nr + src->nr) * sizeof(*p));
	if (!p)
		return -1;
	memcpy(p + dst->nr, src->traces, src->nr * sizeof(*p));
	/* an empty dst takes src's flag; otherwise both must be verbose */
	dst->verbose = dst->nr ? dst->verbose && src->verbose : src->verbose;
	dst->traces = p;
	dst->nr += src->nr;
	free(src->traces);
	memset(src, 0, sizeof(*src));
	return 0;
}
