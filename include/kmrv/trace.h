/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace.h - read a trace file as one stream of kmrv_events.
 *
 * Events come in global timestamp order across CPUs (equal timestamps:
 * lowest CPU first, as `trace-cmd report`). Every gap the file records
 * (missed_events on a ring-buffer page) is delivered in the stream as a
 * KMRV_TP_LOST event on its CPU, just before the first event after it.
 * Records of tracepoints kmrv does not know are skipped (and counted).
 */
#ifndef KMRV_TRACE_H
#define KMRV_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "kmrv/event.h"

struct kmrv_trace;

/*
 * kmrv_trace_open - open a trace.dat (v6 or v7, compressed or not).
 * On failure returns NULL and writes one line to @err:
 * "PATH: what is wrong" (no such file, not a trace.dat file, truncated,
 * no kmem events, ...).
 */
struct kmrv_trace *kmrv_trace_open(const char *path, char *err, size_t errlen);

/*
 * kmrv_trace_open_reader - open with a chosen reader ("libtracecmd", ...);
 * NULL @reader picks the default for the file's format. The format itself
 * is always told by the file's magic, not its name.
 */
struct kmrv_trace *kmrv_trace_open_reader(const char *path, const char *reader,
					  char *err, size_t errlen);

/* The name of the reader that opened @t. */
const char *kmrv_trace_reader(const struct kmrv_trace *t);

/*
 * kmrv_trace_next - the next event.
 * Returns 1 with *@ev filled, 0 at the end of the trace, -1 on a read
 * error (err filled as for open). ev->text stays valid until the next call.
 */
int kmrv_trace_next(struct kmrv_trace *t, struct kmrv_event *ev,
		    char *err, size_t errlen);

/*
 * kmrv_trace_read - up to @max next events into @ev, as kmrv_trace_next
 * would give them one by one, but ending after an event with text (whose
 * text stays valid until the next call). Returns how many (0 at the end
 * of the trace), or -1 on a read error; the events read before an error
 * are not to be used.
 */
int kmrv_trace_read(struct kmrv_trace *t, struct kmrv_event *ev, int max,
		    char *err, size_t errlen);

void kmrv_trace_close(struct kmrv_trace *t);

const char *kmrv_trace_path(const struct kmrv_trace *t);
int kmrv_trace_cpus(const struct kmrv_trace *t);

/* True if the file has the format of tracepoint @tp. */
int kmrv_trace_has_tp(const struct kmrv_trace *t, enum kmrv_tp tp);

/*
 * kmrv_trace_comm - the command name the file knows for @pid (saved
 * cmdlines), or NULL.
 */
const char *kmrv_trace_comm(struct kmrv_trace *t, int pid);

/*
 * kmrv_trace_symbolize - "function+0xoff" for a kernel address, from the
 * kallsyms stored in the file; "0xADDR" when the file has no symbol for it.
 * Returns @buf.
 */
const char *kmrv_trace_symbolize(struct kmrv_trace *t, uint64_t addr,
				 char *buf, size_t len);

#endif /* KMRV_TRACE_H */
