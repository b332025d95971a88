// SPDX-License-Identifier: GPL-2.0
/*
 * stream.c - move ring-buffer pages from the instance's per_cpu/cpuN/
 * trace_pipe_raw files to the trace.dat writer.
 *
 * While recording, pages are taken through tracefs_cpu_buffered_read(),
 * which splices whole pages only: a half-filled page stays in the ring
 * buffer until it fills, so a quiet CPU does not write a page per event.
 * At the end tracefs_cpu_flush() takes the partial pages too.
 *
 * Pages go to the file as the kernel wrote them, missed-events flags
 * included; each is also walked with kbuffer to count its records and
 * the events lost before it, for the summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kbuffer.h>
#include <tracefs.h>

#include "record_priv.h"

static void count_page(struct rec_stream *s, int cpu)
{
	struct kmrv_record_cpu *st = &s->stats[cpu];
	unsigned long long ts;
	int missed;

	st->pages++;
	if (kbuffer_load_subbuffer(s->kbuf, s->page) < 0)
		return;
	missed = kbuffer_missed_events(s->kbuf);
	if (missed > 0)
		st->lost += (uint64_t)missed;
	else if (missed < 0)
		st->lost_unknown = true;
	for (void *d = kbuffer_read_event(s->kbuf, &ts); d;
	     d = kbuffer_next_event(s->kbuf, &ts))
		st->events++;
}

static int put_page(struct rec_stream *s, int cpu)
{
	count_page(s, cpu);
	return kmrv_tdat_add_page(s->w, cpu, s->page);
}

static struct tracefs_cpu *open_cpu(struct tracefs_instance *inst, int cpu,
				    unsigned int page_size, int *fdp)
{
	struct tracefs_cpu *tcpu;
	char *path, file[64];
	int fd;

	snprintf(file, sizeof(file), "per_cpu/cpu%d/trace_pipe_raw", cpu);
	path = tracefs_instance_get_file(inst, file);
	if (!path)
		return NULL;
	/* our own open: the descriptor must not leak into the command */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	tracefs_put_tracing_file(path);
	if (fd < 0)
		return NULL;
	tcpu = tracefs_cpu_alloc_fd(fd, (int)page_size, true);
	if (!tcpu) {
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return tcpu;
}

int rec_stream_open(struct rec_stream *s, struct tracefs_instance *inst,
		    struct kmrv_tdat_writer *w, struct kmrv_record_cpu *stats,
		    int nr_cpus, unsigned int page_size, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->nr_cpus = nr_cpus;
	s->page_size = page_size;
	s->w = w;
	s->stats = stats;
	s->tcpu = calloc((size_t)nr_cpus, sizeof(*s->tcpu));
	s->fds = malloc((size_t)nr_cpus * sizeof(*s->fds));
	s->page = malloc(page_size);
	s->kbuf = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);
	if (!s->tcpu || !s->fds || !s->page || !s->kbuf) {
		rec_err(err, errlen, "out of memory");
		return -1;
	}
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		s->fds[cpu] = -1;
		s->tcpu[cpu] = open_cpu(inst, cpu, page_size, &s->fds[cpu]);
		/* a possible but offline CPU has no buffer to read */
		if (!s->tcpu[cpu] && errno != ENOENT && errno != ENODEV) {
			rec_err(err, errlen, "%s/instances/%s/per_cpu/cpu%d/trace_pipe_raw: %s",
				tracefs_tracing_dir(), tracefs_instance_get_name(inst),
				cpu, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int rec_stream_fd(const struct rec_stream *s, int cpu)
{
	return s->fds ? s->fds[cpu] : -1;
}

long rec_stream_drain(struct rec_stream *s)
{
	long moved = 0;

	for (int cpu = 0; cpu < s->nr_cpus; cpu++) {
		if (!s->tcpu[cpu])
			continue;
		while (tracefs_cpu_buffered_read(s->tcpu[cpu], s->page, true) > 0) {
			if (put_page(s, cpu))
				return -1;
			moved++;
		}
	}
	return moved;
}

int rec_stream_flush(struct rec_stream *s)
{
	for (int cpu = 0; cpu < s->nr_cpus; cpu++) {
		if (!s->tcpu[cpu])
			continue;
		for (;;) {
			/* a short read leaves stale bytes past the page's data */
			memset(s->page, 0, s->page_size);
			if (tracefs_cpu_flush(s->tcpu[cpu], s->page) <= 0)
				break;
			if (put_page(s, cpu))
				return -1;
		}
	}
	return 0;
}

void rec_stream_close(struct rec_stream *s)
{
	for (int cpu = 0; s->tcpu && cpu < s->nr_cpus; cpu++)
		tracefs_cpu_close(s->tcpu[cpu]);
	free(s->tcpu);
	free(s->fds);
	free(s->page);
	if (s->kbuf)
		kbuffer_free(s->kbuf);
	memset(s, 0, sizeof(*s));
}
