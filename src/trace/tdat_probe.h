/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KMRV_TDAT_PROBE_H
#define KMRV_TDAT_PROBE_H

#include <stddef.h>

/*
 * tdat_probe - check a trace.dat whose magic matched before libtracecmd
 * opens it: every header and section length, the options libtracecmd
 * parses unchecked, every event format (format_check.h), the header page,
 * each buffer's per-CPU extents, compressed chunks and page headers.
 * Returns 0 if libtracecmd can open the file and read its records without
 * crashing; -1 with "PATH: truncated or corrupt trace.dat (PART at offset
 * N)", "PATH: corrupt trace.dat (format of SYSTEM:EVENT, line N: PROBLEM)",
 * "PATH: unsupported trace.dat version 'V'" or, for a latency tracer's
 * file, which has no per-CPU records, "PATH: latency-format trace.dat
 * (...)" in @err.
 */
int tdat_probe(const char *path, char *err, size_t errlen);

#endif /* KMRV_TDAT_PROBE_H */
