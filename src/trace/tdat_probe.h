/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KMRV_TDAT_PROBE_H
#define KMRV_TDAT_PROBE_H

#include <stddef.h>

/*
 * tdat_probe - check the layout of a trace.dat whose magic matched.
 * Returns 0 if every header length and per-CPU extent lies inside the
 * file; -1 with "PATH: truncated or corrupt trace.dat (SECTION at offset
 * N)" or "PATH: unsupported trace.dat version 'V'" in @err.
 */
int tdat_probe(const char *path, char *err, size_t errlen);

#endif /* KMRV_TDAT_PROBE_H */
