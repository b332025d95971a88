/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collect.h - turn one spec's verdicts into a kmrv_spec_result.
 *
 * Aggregates while the trace streams (per kind, per pid, per call-site
 * address, unfreed per allocation site), so memory follows distinct pids
 * and sites, not the number of violations; only `-v` keeps every one.
 * Addresses become symbols once, at the end.
 */
#ifndef KMRV_COLLECT_H
#define KMRV_COLLECT_H

#include "kmrv/check.h"
#include "kmrv/engine.h"
#include "kmrv/result.h"
#include "kmrv/trace.h"

struct collector;
struct pidtree;

/* @tree: which pids' violations count (the command's tree, or all). */
struct collector *collector_new(const struct kmrv_spec *spec,
				const struct kmrv_check_opts *opts,
				struct kmrv_trace *trace,
				const struct pidtree *tree);

/* A kmrv_verdict_fn: @ctx is the collector. */
void collector_verdict(const struct kmrv_verdict *v, void *ctx);

/* The trace's last timestamp, before collector_finish(): unfreed ages. */
void collector_set_end(struct collector *c, uint64_t end_ts);

/* 0 if every verdict was recorded, -1 if memory ran out on the way. */
int collector_status(const struct collector *c);

/*
 * collector_finish - build @out (symbolizing sites through the trace)
 * and free the collector. Returns 0 or -1 on ENOMEM.
 */
int collector_finish(struct collector *c, uint64_t peak_instances,
		     struct kmrv_spec_result *out);

/* Free a collector whose result is not wanted (an error cut the run). */
void collector_discard(struct collector *c);

#endif /* KMRV_COLLECT_H */
