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

/*
 * tdat_format_sane - whether an event format text is safe to hand to
 * libtraceevent's tep_parse_event(), which dereferences NULL on some
 * damaged ones (an unclosed string or parenthesis in the print fmt, as a
 * cut or overwritten format has). True (1) for every format a kernel
 * writes: quotes closed, parentheses balanced, no NUL inside.
 */
int tdat_format_sane(const char *text, size_t len);

/*
 * tdat_format_fields - the length of an event format text up to its
 * "print fmt:" line. kmrv looks fields up by name and prints no event
 * text, so readers give libtraceevent only this part: its print-format
 * parser dereferences NULL on many damaged ones (tests/regress/).
 */
size_t tdat_format_fields(const char *text, size_t len);

#endif /* KMRV_TDAT_PROBE_H */
