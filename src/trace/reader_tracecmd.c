// SPDX-License-Identifier: GPL-2.0
/*
 * reader_tracecmd.c - trace.dat through libtracecmd.
 *
 * libtracecmd opens every version and compression trace-cmd writes (v6,
 * v7 with zstd or zlib), so it is the reader of record. It hands out
 * records per CPU; the merge across CPUs is done here so the tie rule
 * (equal timestamps: lowest CPU first) is ours to state, not a library
 * detail. Field offsets are resolved once per event type, from the
 * formats stored in the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event-parse.h>
#include <trace-cmd.h>

#include "backend.h"
#include "tdat_probe.h"
#include "trace_util.h"


struct stream {
	struct tracecmd_input	*handle;
	int			cpu;
	struct tep_record	*head;		/* next record, NULL at the end */
};

struct tracecmd_reader {
	char			*path;
	struct tracecmd_input	*handle;
	struct tep_handle	*tep;
	int			nr_cpus;

	/* event id -> enum kmrv_tp + 1 (0: not ours); ids are < 65536 */
	uint8_t			*tp_of_id;
	int			max_id;
	struct tp_fields	fields[KMRV_TP__COUNT];
	unsigned int		has_tp;		/* bit per enum kmrv_tp */

	/*
	 * One stream per CPU of every buffer in the file: the top one and
	 * the instances of `trace-cmd record -B` share the event ids.
	 */
	int			nr_streams;
	struct stream		*streams;
	int			nr_buffers;
	struct tracecmd_input	**buffers;	/* instance handles we opened */
	struct tep_record	*current;	/* returned last, freed on next */
	int			lost_pending;	/* current's gap not yet told */
	char			text[KMRV_TEXT_MAX];
};

static int map_events(struct tracecmd_reader *t)
{
	struct tep_event *event;
	int max_id = 0;
	size_t i;

	for (i = 0; i < trace_nr_known_tps; i++) {
		event = tep_find_event_by_name(t->tep, trace_known_tps[i].system,
					       trace_known_tps[i].name);
		if (event && event->id > max_id)
			max_id = event->id;
	}
	t->max_id = max_id;
	t->tp_of_id = calloc(max_id + 1, 1);
	if (!t->tp_of_id)
		return -1;
	for (i = 0; i < trace_nr_known_tps; i++) {
		event = tep_find_event_by_name(t->tep, trace_known_tps[i].system,
					       trace_known_tps[i].name);
		if (!event || event->id < 0)
			continue;
		t->tp_of_id[event->id] = trace_known_tps[i].tp + 1;
		t->has_tp |= 1u << trace_known_tps[i].tp;
		trace_resolve_fields(trace_known_tps[i].tp, event,
				     &t->fields[trace_known_tps[i].tp]);
	}
	return 0;
}

static int has_kmem(const struct tracecmd_reader *t)
{
	for (int tp = KMRV_TP_KMALLOC; tp <= KMRV_TP_CACHE_FREE; tp++)
		if (t->has_tp & (1u << tp))
			return 1;
	return 0;
}

static int add_streams(struct tracecmd_reader *t, struct tracecmd_input *handle,
		       int nr_cpus)
{
	struct stream *p;

	p = realloc(t->streams, (t->nr_streams + nr_cpus) * sizeof(*p));
	if (!p)
		return -1;
	t->streams = p;
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		p = &t->streams[t->nr_streams++];
		p->handle = handle;
		p->cpu = cpu;
		p->head = tracecmd_read_data(handle, cpu);
	}
	return 0;
}

static int open_streams(struct tracecmd_reader *t)
{
	int nr = tracecmd_buffer_instances(t->handle);

	if (add_streams(t, t->handle, t->nr_cpus))
		return -1;
	if (nr <= 0)
		return 0;
	t->buffers = calloc(nr, sizeof(*t->buffers));
	if (!t->buffers)
		return -1;
	for (int i = 0; i < nr; i++) {
		struct tracecmd_input *h = tracecmd_buffer_instance_handle(t->handle, i);

		if (!h)
			continue;
		t->buffers[t->nr_buffers++] = h;
		if (add_streams(t, h, tep_get_cpus(tracecmd_get_tep(h))))
			return -1;
	}
	return 0;
}

static void tc_close(void *priv);

static void *tc_open(const char *path, char *err, size_t errlen)
{
	struct tracecmd_reader *t;

	if (tdat_probe(path, err, errlen))
		return NULL;

	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	t->path = strdup(path);
	if (!t->path)
		goto nomem;

	/* libtracecmd prints its own complaints; ours are one line each. */
	tracecmd_set_loglevel(TEP_LOG_NONE);
	t->handle = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS |
					TRACECMD_FL_LOAD_NO_SYSTEM_PLUGINS);
	if (!t->handle) {
		trace_set_err(err, errlen, path,
			"cannot read trace.dat headers (truncated or corrupt file)");
		goto fail;
	}
	t->tep = tracecmd_get_tep(t->handle);
	t->nr_cpus = tep_get_cpus(t->tep);
	if (t->nr_cpus <= 0) {
		trace_set_err(err, errlen, path, "trace holds no CPU data");
		goto fail;
	}
	if (map_events(t))
		goto nomem;
	if (!has_kmem(t)) {
		trace_set_err(err, errlen, path,
			"no kmem events in this trace (record kmem:kmalloc and kmem:kfree)");
		goto fail;
	}
	if (open_streams(t))
		goto nomem;
	return t;

nomem:
	trace_set_err(err, errlen, path, "out of memory");
fail:
	tc_close(t);
	return NULL;
}

static void tc_close(void *priv)
{
	struct tracecmd_reader *t = priv;

	if (!t)
		return;
	if (t->current)
		tracecmd_free_record(t->current);
	for (int i = 0; i < t->nr_streams; i++)
		if (t->streams[i].head)
			tracecmd_free_record(t->streams[i].head);
	free(t->streams);
	for (int i = 0; i < t->nr_buffers; i++)
		tracecmd_close(t->buffers[i]);
	free(t->buffers);
	if (t->handle)
		tracecmd_close(t->handle);
	free(t->tp_of_id);
	free(t->path);
	free(t);
}

/*
 * The stream whose next record comes first; ties go to the lowest CPU
 * (then the earlier buffer), as trace-cmd report orders them.
 */
static struct stream *next_stream(const struct tracecmd_reader *t)
{
	struct stream *best = NULL;

	for (int i = 0; i < t->nr_streams; i++) {
		struct stream *s = &t->streams[i];

		if (!s->head)
			continue;
		if (!best || s->head->ts < best->head->ts ||
		    (s->head->ts == best->head->ts && s->cpu < best->cpu))
			best = s;
	}
	return best;
}

static uint64_t read_field(struct tracecmd_reader *t, struct tep_record *rec,
			   struct tep_format_field *f)
{
	if (!f || f->offset + f->size > rec->size)
		return 0;
	return tep_read_number(t->tep, (char *)rec->data + f->offset, f->size);
}

/* Copy a string field (fixed char[] or __data_loc) into t->text. */
static const char *read_text(struct tracecmd_reader *t, struct tep_record *rec,
			     struct tep_format_field *f)
{
	int offset, size;

	t->text[0] = '\0';
	if (!f)
		return t->text;
	offset = f->offset;
	size = f->size;
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		unsigned int loc = tep_read_number(t->tep,
				(char *)rec->data + f->offset, f->size);
		offset = loc & 0xffff;
		size = loc >> 16;
		if (f->flags & TEP_FIELD_IS_RELATIVE)
			offset += f->offset + f->size;
	} else if (!size) {
		/* "char buf[]" (ftrace:print): the rest of the record */
		size = rec->size - offset;
	}
	if (offset < 0 || size < 0 || offset + size > rec->size)
		return t->text;
	if (size >= KMRV_TEXT_MAX)
		size = KMRV_TEXT_MAX - 1;
	memcpy(t->text, (char *)rec->data + offset, size);
	t->text[size] = '\0';
	/* trace_marker text ends with the user's newline; drop it */
	size = strlen(t->text);
	while (size > 0 && t->text[size - 1] == '\n')
		t->text[--size] = '\0';
	return t->text;
}

static void decode(struct tracecmd_reader *t, struct tep_record *rec,
		   enum kmrv_tp tp, struct kmrv_event *ev)
{
	struct tp_fields *f = &t->fields[tp];

	ev->ptr = read_field(t, rec, f->ptr);
	ev->call_site = read_field(t, rec, f->call_site);
	ev->bytes_req = read_field(t, rec, f->bytes_req);
	ev->bytes_alloc = read_field(t, rec, f->bytes_alloc);
	switch (tp) {
	case KMRV_TP_FORK:
		ev->ptr = read_field(t, rec, f->child_pid);
		ev->text = read_text(t, rec, f->text);
		tep_override_comm(t->tep, ev->text, (int)ev->ptr);
		break;
	case KMRV_TP_EXEC: {
		const char *base;

		ev->text = read_text(t, rec, f->text);
		base = strrchr(ev->text, '/');
		base = base ? base + 1 : ev->text;
		/* the kernel keeps TASK_COMM_LEN - 1 characters */
		char comm[16];
		snprintf(comm, sizeof(comm), "%s", base);
		tep_override_comm(t->tep, comm, ev->pid);
		break;
	}
	case KMRV_TP_MARKER:
		ev->text = read_text(t, rec, f->text);
		break;
	default:
		break;
	}
}

static int tc_next(void *priv, struct kmrv_event *ev, char *err, size_t errlen)
{
	struct tracecmd_reader *t = priv;
	struct tep_record *rec;
	struct stream *s;
	int id, tp;

	(void)err;
	(void)errlen;
	for (;;) {
		if (t->current && t->lost_pending) {
			/* tell the gap before the record that follows it */
			rec = t->current;
			t->lost_pending = 0;
			goto deliver;
		}
		if (t->current) {
			tracecmd_free_record(t->current);
			t->current = NULL;
		}
		s = next_stream(t);
		if (!s)
			return 0;
		rec = s->head;
		s->head = tracecmd_read_data(s->handle, s->cpu);
		t->current = rec;
		if (rec->missed_events) {
			memset(ev, 0, sizeof(*ev));
			ev->tp = KMRV_TP_LOST;
			ev->ts = rec->ts;
			ev->cpu = rec->cpu;
			ev->pid = -1;
			ev->lost = rec->missed_events > 0 ? rec->missed_events : -1;
			t->lost_pending = 1;
			return 1;
		}
deliver:
		id = tep_data_type(t->tep, rec);
		if (id < 0 || id > t->max_id || !t->tp_of_id[id])
			continue;
		tp = t->tp_of_id[id] - 1;
		memset(ev, 0, sizeof(*ev));
		ev->tp = tp;
		ev->ts = rec->ts;
		ev->cpu = rec->cpu;
		ev->pid = tep_data_pid(t->tep, rec);
		decode(t, rec, tp, ev);
		return 1;
	}
}

static int tc_cpus(void *priv)
{
	return ((struct tracecmd_reader *)priv)->nr_cpus;
}

static int tc_has_tp(void *priv, enum kmrv_tp tp)
{
	struct tracecmd_reader *t = priv;

	return tp < KMRV_TP__COUNT && (t->has_tp & (1u << tp));
}

static const char *tc_comm(void *priv, int pid)
{
	struct tracecmd_reader *t = priv;

	if (!tep_is_pid_registered(t->tep, pid))
		return NULL;
	return tep_data_comm_from_pid(t->tep, pid);
}

static const char *tc_symbolize(void *priv, uint64_t addr, char *buf, size_t len)
{
	struct tracecmd_reader *t = priv;
	const char *name = tep_find_function(t->tep, addr);

	if (name)
		snprintf(buf, len, "%s+0x%llx", name,
			 (unsigned long long)(addr - tep_find_function_address(t->tep, addr)));
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
	return buf;
}

const struct trace_backend tracecmd_backend = {
	.name		= "libtracecmd",
	.open		= tc_open,
	.next		= tc_next,
	.close		= tc_close,
	.cpus		= tc_cpus,
	.has_tp		= tc_has_tp,
	.comm		= tc_comm,
	.symbolize	= tc_symbolize,
};
