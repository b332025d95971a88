/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record.h - record kernel allocation events into a trace.dat file.
 *
 * The recorder works on a private tracing instance
 * (/sys/kernel/tracing/instances/kmrv-PID-RANDOM) created with libtracefs,
 * drains its per-CPU raw ring buffers (trace_pipe_raw) into the trace.dat
 * writer (tdat.h) while the traced work runs, and removes the instance on
 * every way out. It never writes the top-level instance or /proc/sys, so
 * it works where `trace-cmd record` cannot (read-only /proc/sys).
 *
 * Events are recorded system-wide: frees happen in RCU callbacks, softirqs
 * and kworkers on any CPU, so a pid filter in the kernel would invent
 * leaks. The command's root pid and argv go into the file as the first
 * event, a trace_marker line "kmrv-record: pid=PID argv=ARGS", and the
 * sched process events let `kmrv check` follow the command's process tree.
 *
 * SIGINT, SIGTERM and SIGHUP are handled while kmrv_record() runs: the
 * first is forwarded to the command (in KMRV_RECORD_COMMAND mode) and
 * recording goes on until it exits; a second one, or the first in the
 * other modes, stops recording. Either way the file is completed.
 */
#ifndef KMRV_RECORD_H
#define KMRV_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kmrv_record_mode {
	KMRV_RECORD_COMMAND,	/* run argv, until it and its children exit */
	KMRV_RECORD_PID,	/* attach to pid until it exits */
	KMRV_RECORD_ALL,	/* system-wide until a signal or the duration */
};

struct kmrv_record_opts {
	enum kmrv_record_mode	mode;
	const char		*output;	/* trace.dat path */
	size_t			buffer_kb;	/* per CPU; 0: the kernel's default */
	/*
	 * "system:event" names; NULL: the default kmem set (kmalloc, kfree,
	 * kmem_cache_alloc, kmem_cache_free, and the _node variants where
	 * the kernel has them). sched:sched_process_{fork,exec,exit} are
	 * always added: the process tree is built from them.
	 */
	const char * const	*events;
	size_t			nr_events;
	char * const		*argv;		/* KMRV_RECORD_COMMAND */
	int			pid;		/* KMRV_RECORD_PID */
	double			duration;	/* seconds; 0: no limit */
};

struct kmrv_record_cpu {
	uint64_t	events;		/* records written to the file */
	uint64_t	pages;
	uint64_t	lost;		/* missed_events in pages, or overrun */
	bool		lost_unknown;	/* a page said "missed", not how many */
};

struct kmrv_record_result {
	int			nr_cpus;
	struct kmrv_record_cpu	*cpus;		/* [nr_cpus] */
	uint64_t		events, lost;	/* sums over the CPUs */
	uint64_t		bytes;		/* size of the file */
	size_t			buffer_kb;	/* ring buffer per CPU, as set */
	double			seconds;	/* time spent recording */
	/* KMRV_RECORD_COMMAND: how the command ended */
	bool			started;	/* exec succeeded */
	int			exec_errno;	/* why it did not */
	int			wait_status;	/* as waitpid() gives it */
	int			pid;		/* the root pid recorded */
	int			signal;		/* the signal that stopped kmrv, or 0 */
};

/*
 * kmrv_record - record into opts->output, filling @res.
 *
 * Returns 0 when a valid file was written (the command may still have
 * failed or been killed: see @res). Returns -1 with a one-line message in
 * @err when recording could not be done (not root, no tracefs, the output
 * is not writable, the command could not be started, the disk filled up);
 * then no instance remains and no partial file is left behind. When the
 * command could not be started, res->exec_errno says why.
 * @res must be released with kmrv_record_result_release() either way.
 */
int kmrv_record(const struct kmrv_record_opts *opts,
		struct kmrv_record_result *res, char *err, size_t errlen);

void kmrv_record_result_release(struct kmrv_record_result *res);

/* The default kmem events, NULL-terminated, as "system:event". */
extern const char * const kmrv_record_default_events[];

#endif /* KMRV_RECORD_H */
