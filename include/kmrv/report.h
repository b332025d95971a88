/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - print check results for people (text) and machines (JSON).
 *
 * The JSON schema (schema_version 1) is documented in kmrv-check(1);
 * fields are only ever added within a schema version.
 */
#ifndef KMRV_REPORT_H
#define KMRV_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "kmrv/result.h"

#define KMRV_SCHEMA_VERSION	1

struct kmrv_report_opts {
	size_t	top;		/* text: rows per table, 0 = all */
	bool	verbose;	/* list every violation */
};

/* Returns 0, or -1 if writing failed (errno set). */
int kmrv_report_text(FILE *out, const struct kmrv_trace_result *res,
		     size_t nr, const struct kmrv_report_opts *opts);
int kmrv_report_json(FILE *out, const struct kmrv_trace_result *res,
		     size_t nr, const struct kmrv_report_opts *opts);

/* "12345.678901": a trace timestamp in seconds, as trace-cmd prints it. */
const char *kmrv_ts_str(uint64_t ts, char *buf, size_t len);

#endif /* KMRV_REPORT_H */
