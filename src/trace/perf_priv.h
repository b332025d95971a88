/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf_priv.h - pieces shared by the perf.data reader's files.
 */
#ifndef KMRV_PERF_PRIV_H
#define KMRV_PERF_PRIV_H

#include <stddef.h>

#include "perf_data.h"

/*
 * perf_tracing_parse - parse trace-cmd's tracing-data layout (as stored in
 * perf's HEADER_TRACING_DATA) from @buf: every format goes into @tep,
 * every text is copied into @out. Returns 0, or -1 with a reason (no
 * path) in @why. @out is to be released with perf_tracing_release() in
 * both cases.
 */
int perf_tracing_parse(struct tep_handle *tep, const unsigned char *buf,
		       size_t len, struct perf_tracing *out,
		       char *why, size_t whylen);

void perf_tracing_release(struct perf_tracing *t);

#endif /* KMRV_PERF_PRIV_H */
