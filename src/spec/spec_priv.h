/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spec_priv.h - what the files of src/spec share and nobody else needs.
 */
#ifndef KMRV_SPEC_PRIV_H
#define KMRV_SPEC_PRIV_H

#include "kmrv/spec.h"

/* Longest line a spec file may have, and the largest file kmrv reads. */
#define KMRV_SPEC_MAX_LINE	4096
#define KMRV_SPEC_MAX_FILE	(1 << 20)

/*
 * kmrv_spec_parse_buf - kmrv_spec_parse() over @len bytes that may hold
 * NUL bytes (they are reported as errors, not taken as the end).
 */
struct kmrv_spec *kmrv_spec_parse_buf(const char *text, size_t len,
				      const char *path, char *err,
				      size_t errlen);

/*
 * kmrv_spec_alloc_tables - allocate @spec's next, violation and at_end
 * tables for its nr_states and nr_events, every cell KMRV_NONE.
 * Returns 0, or -1 on ENOMEM.
 */
int kmrv_spec_alloc_tables(struct kmrv_spec *spec);

/*
 * kmrv_spec_forgettable - the states that no event sequence tells apart
 * from the initial state (Moore partition refinement over verdicts,
 * at-end kinds, accepting and latest bits). Bit 'initial' is always set.
 */
uint64_t kmrv_spec_forgettable(const struct kmrv_spec *spec);

#endif /* KMRV_SPEC_PRIV_H */
