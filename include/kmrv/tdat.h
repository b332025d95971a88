/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tdat.h - write trace.dat files (version 6, uncompressed).
 *
 * One writer serves the recorder (raw ring-buffer pages copied from
 * trace_pipe_raw) and the test-fixture generator (events encoded into
 * pages here). The format is trace-cmd's, documented in its
 * Documentation/trace-cmd/trace-cmd.dat.v6.5.txt; libtracecmd and
 * `trace-cmd report` read what this writes. Written by hand because
 * libtracecmd's output API only records from a live tracefs.
 *
 * Per-CPU data is spooled to temporary files next to the output and
 * assembled by kmrv_tdat_close(), so memory stays bounded while recording.
 * The file is little endian with 8-byte longs (a 64-bit kernel's ring
 * buffer). The output may be a device or FIFO (/dev/stdout): it is
 * written sequentially, spools then go to $TMPDIR (default /tmp), and only
 * a regular output file is ever removed on failure.
 *
 * Errors: every call that fails returns -1 (or NULL) and leaves a one-line
 * "PATH: reason" message, ENOSPC and EIO included; nothing aborts.
 */
#ifndef KMRV_TDAT_H
#define KMRV_TDAT_H

#include <stddef.h>
#include <stdint.h>

struct kmrv_tdat_format {
	const char	*system;	/* "kmem"; "ftrace" for ftrace formats */
	const char	*text;		/* the format file, as tracefs shows it */
};

struct kmrv_tdat_meta {
	int		nr_cpus;
	unsigned int	page_size;	/* ring-buffer page size, usually 4096 */
	/* events/header_page and header_event text; NULL: the kernel's own */
	const char	*header_page;
	const char	*header_event;
	const struct kmrv_tdat_format *formats;
	int		nr_formats;
	const char	*kallsyms;	/* /proc/kallsyms text, or NULL */
	const char	*printk;	/* printk_formats text, or NULL */
	const char	*cmdlines;	/* saved_cmdlines text ("pid comm\n"), or NULL */
	const char	*trace_clock;	/* "[local] global ..." or NULL */
	const char	*uname;		/* "Linux host 6.x ..." or NULL */
	const char	*version;	/* writer's version string, or NULL */
};

struct kmrv_tdat_writer;

/*
 * kmrv_tdat_create - start a file. Returns NULL with "PATH: reason" in
 * @err on failure.
 */
struct kmrv_tdat_writer *kmrv_tdat_create(const char *path,
					  const struct kmrv_tdat_meta *meta,
					  char *err, size_t errlen);

/* Append one raw ring-buffer page (page_size bytes) for @cpu. 0 or -1. */
int kmrv_tdat_add_page(struct kmrv_tdat_writer *w, int cpu, const void *page);

/*
 * kmrv_tdat_add_event - encode one record (the event's raw payload,
 * common fields included) at @ts on @cpu. Timestamps must not go
 * backwards within a CPU. Deltas too wide for a record header get a
 * TIME_EXTEND; a record that does not fit the page starts a new one.
 * 0 or -1.
 */
int kmrv_tdat_add_event(struct kmrv_tdat_writer *w, int cpu, uint64_t ts,
			const void *payload, size_t len);

/*
 * kmrv_tdat_add_lost - @count events were lost on @cpu here: closes the
 * current page; the next page carries the missed-events flag and the count
 * (count < 0: flag only, count unknown). 0 or -1.
 */
int kmrv_tdat_add_lost(struct kmrv_tdat_writer *w, int cpu, int64_t count);

/* Per-CPU stats text (the per_cpu/cpuN/stats file) for the options. */
int kmrv_tdat_set_cpu_stats(struct kmrv_tdat_writer *w, int cpu,
			    const char *text);

/*
 * kmrv_tdat_set_cmdlines - replace the saved_cmdlines text given at
 * create time ("pid comm\n" lines; NULL for none): the file is assembled
 * at close, so a recorder can hand over the names it knows at the end.
 */
int kmrv_tdat_set_cmdlines(struct kmrv_tdat_writer *w, const char *text);

/*
 * kmrv_tdat_error - why the writer failed: the "PATH: reason" message of
 * the first failed call, or NULL while all calls have succeeded. After a
 * failure every further call returns -1; close() reports the same text.
 */
const char *kmrv_tdat_error(const struct kmrv_tdat_writer *w);

/*
 * kmrv_tdat_close - flush pages, write the file, remove spools.
 * Returns 0, or -1 with err filled (the partial output is removed).
 */
int kmrv_tdat_close(struct kmrv_tdat_writer *w, char *err, size_t errlen);

/* Abandon: remove spools and the partial output. */
void kmrv_tdat_abort(struct kmrv_tdat_writer *w);

#endif /* KMRV_TDAT_H */
