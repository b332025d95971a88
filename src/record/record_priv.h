/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record_priv.h - the recorder's parts: what goes into the file besides
 * the pages (meta.c), the traced command (child.c) and the per-CPU
 * readers (stream.c). record.c puts them together.
 */
#ifndef KMRV_RECORD_PRIV_H
#define KMRV_RECORD_PRIV_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kmrv/record.h"
#include "kmrv/tdat.h"

struct tracefs_instance;
struct tracefs_cpu;
struct kbuffer;

/* "printf into err" for the one-line messages every part returns. */
void rec_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- meta.c ---- */

/* The events to enable, as (system, event) pairs. */
struct rec_events {
	size_t	nr;
	char	**system;
	char	**event;
};

/*
 * rec_events_resolve - the events @opts asks for, each checked to exist
 * in this kernel, plus the sched process events. 0 or -1 with @err.
 */
int rec_events_resolve(const struct kmrv_record_opts *opts,
		       struct rec_events *ev, char *err, size_t errlen);
void rec_events_release(struct rec_events *ev);

/* Everything kmrv_tdat_create() needs, read from tracefs and /proc. */
struct rec_meta {
	struct kmrv_tdat_meta	meta;
	struct kmrv_tdat_format	*formats;
	char			*header_page, *header_event;
	char			*kallsyms, *printk, *cmdlines, *uname;
};

/*
 * rec_meta_read - fill @m. @cmdlines ("pid comm\n" lines, or NULL) is
 * added to the kernel's saved_cmdlines, which is read now, at the start,
 * and so cannot know the names of tasks that do not exist yet (see
 * rec_cmdlines_at_end()).
 */
int rec_meta_read(struct rec_meta *m, const struct rec_events *ev,
		  int nr_cpus, unsigned int page_size, const char *cmdlines,
		  char *err, size_t errlen);
void rec_meta_release(struct rec_meta *m);

/*
 * rec_cmdlines_at_end - saved_cmdlines read now, at the end of a
 * recording, then the lines of @start (what rec_meta_read() saw, plus
 * kmrv's own names) whose pids it no longer holds: the tasks born while
 * recording get their names, as with trace-cmd, which reads it at the
 * end. malloc'd, or NULL if saved_cmdlines cannot be read.
 */
char *rec_cmdlines_at_end(const char *start);

/* A whole file, NUL-terminated; NULL with errno on failure. */
char *rec_read_file(const char *path, size_t *len);

/* ---- child.c ---- */

/*
 * The command, forked early and held on a pipe until tracing is on, so
 * its first instruction is recorded; an exec failure comes back through
 * a close-on-exec pipe.
 */
struct rec_child {
	pid_t	pid;
	int	go_fd;		/* write end: a byte releases the child */
	int	status_fd;	/* read end: errno if exec failed, EOF if not */
};

/* The child starts with @mask blocked and the signals in @ignore ignored. */
int rec_child_fork(struct rec_child *c, char * const argv[],
		   const sigset_t *mask, const sigset_t *ignore,
		   char *err, size_t errlen);

/* Let the child exec. Returns 0, or the errno of the failed exec. */
int rec_child_release(struct rec_child *c);

/* Never released: make it exit without running anything, and reap it. */
void rec_child_abandon(struct rec_child *c);

/* "ls -R /usr/share", quoted as a shell would need, cut at @len. */
void rec_argv_str(char * const argv[], char *buf, size_t len);

/* ---- stream.c ---- */

struct rec_stream {
	int			nr_cpus;
	unsigned int		page_size;
	struct tracefs_cpu	**tcpu;		/* [nr_cpus], NULL: not opened */
	int			*fds;		/* [nr_cpus], theirs, for poll() */
	void			*page;
	struct kbuffer		*kbuf;
	struct kmrv_tdat_writer	*w;
	struct kmrv_record_cpu	*stats;		/* [nr_cpus], the caller's */
};

int rec_stream_open(struct rec_stream *s, struct tracefs_instance *inst,
		    struct kmrv_tdat_writer *w, struct kmrv_record_cpu *stats,
		    int nr_cpus, unsigned int page_size, char *err, size_t errlen);

/*
 * rec_stream_drain - move every full page now in the ring buffers to the
 * writer, without blocking. Returns the pages moved, or -1 when the
 * writer failed (kmrv_tdat_error() says why).
 */
long rec_stream_drain(struct rec_stream *s);

/* At the end, with tracing off: the partial pages too. 0 or -1. */
int rec_stream_flush(struct rec_stream *s);

/* The trace_pipe_raw descriptor of @cpu, for poll(); -1 if none. */
int rec_stream_fd(const struct rec_stream *s, int cpu);

void rec_stream_close(struct rec_stream *s);

#endif /* KMRV_RECORD_PRIV_H */
