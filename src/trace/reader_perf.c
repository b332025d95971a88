// SPDX-License-Identifier: GPL-2.0
/*
 * reader_perf.c - perf.data through perf_data.c and libtraceevent.
 *
 * perf_data.c yields the raw tracepoint payloads in time order; this file
 * maps each event attribute to a kmrv tracepoint (the attribute's config
 * is the tracepoint id, the tracing data's format gives its name), reads
 * the fields by name, once per tracepoint, and turns gaps into
 * KMRV_TP_LOST events. The pid of an event is the payload's common_pid,
 * as in a trace.dat, so both formats give the same answer.
 *
 * perf stores no kallsyms in its tracing data (it resolves symbols from
 * the running system later), so call sites stay raw addresses unless the
 * file has them; the user is told once, on stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>

#include "backend.h"
#include "perf_data.h"
#include "trace_util.h"


struct perf_reader {
	char			*path;
	struct perf_data	*pd;
	struct tep_handle	*tep;
	struct tp_fields	fields[KMRV_TP__COUNT];
	unsigned int		has_tp;		/* bit per enum kmrv_tp */
	bool			told_no_symbols;
	char			text[KMRV_TEXT_MAX];
};

/* The kmrv tracepoint of a tracepoint format, or -1. */
static int tp_of_event(const struct tep_event *event)
{
	for (size_t i = 0; i < trace_nr_known_tps; i++)
		if (!strcmp(event->system, trace_known_tps[i].system) &&
		    !strcmp(event->name, trace_known_tps[i].name))
			return trace_known_tps[i].tp;
	return -1;
}

static bool has_kmem(const struct perf_reader *r)
{
	for (int tp = KMRV_TP_KMALLOC; tp <= KMRV_TP_CACHE_FREE; tp++)
		if (r->has_tp & (1u << tp))
			return true;
	return false;
}

/* Keep the samples of every attribute that is a tracepoint kmrv knows. */
static int map_attrs(struct perf_reader *r, char *err, size_t errlen)
{
	for (int i = 0; i < perf_data_nr_attrs(r->pd); i++) {
		struct tep_event *event = perf_data_attr_event(r->pd, i);
		int tp = event ? tp_of_event(event) : -1;

		if (tp < 0)
			continue;
		if (perf_data_keep(r->pd, i, tp, err, errlen))
			return -1;
		if (!(r->has_tp & (1u << tp)))
			trace_resolve_fields(tp, event, &r->fields[tp]);
		r->has_tp |= 1u << tp;
	}
	if (!has_kmem(r)) {
		trace_set_err(err, errlen, r->path,
			"no kmem events in this perf.data (record with perf kmem record, "
			"or perf record -e kmem:kmalloc -e kmem:kfree)");
		return -1;
	}
	return 0;
}

static void pf_close(void *priv);

static void *pf_open(const char *path, char *err, size_t errlen)
{
	struct perf_reader *r = calloc(1, sizeof(*r));

	if (!r || !(r->path = strdup(path))) {
		trace_set_err(err, errlen, path, "out of memory");
		goto fail;
	}
	r->pd = perf_data_open(path, err, errlen);
	if (!r->pd)
		goto fail;
	r->tep = perf_data_tep(r->pd);
	if (map_attrs(r, err, errlen))
		goto fail;
	return r;
fail:
	pf_close(r);
	return NULL;
}

static void pf_close(void *priv)
{
	struct perf_reader *r = priv;

	if (!r)
		return;
	perf_data_close(r->pd);
	free(r->path);
	free(r);
}

static uint64_t read_field(struct perf_reader *r, const struct perf_item *it,
			   const struct tep_format_field *f)
{
	if (!f || f->offset < 0 || f->size <= 0 ||
	    (uint32_t)(f->offset + f->size) > it->raw_size)
		return 0;
	return tep_read_number(r->tep, (const char *)it->raw + f->offset, f->size);
}

/* Copy a string field (fixed char[] or __data_loc) into r->text. */
static const char *read_text(struct perf_reader *r, const struct perf_item *it,
			     const struct tep_format_field *f)
{
	int64_t offset, size;

	r->text[0] = '\0';
	if (!f)
		return r->text;
	offset = f->offset;
	size = f->size;
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		uint64_t loc = read_field(r, it, f);

		offset = loc & 0xffff;
		size = loc >> 16 & 0xffff;
		if (f->flags & TEP_FIELD_IS_RELATIVE)
			offset += f->offset + f->size;
	} else if (!size) {
		/* "char buf[]" (ftrace:print): the rest of the record */
		size = (int64_t)it->raw_size - offset;
	}
	if (offset < 0 || size < 0 || offset + size > it->raw_size)
		return r->text;
	if (size >= KMRV_TEXT_MAX)
		size = KMRV_TEXT_MAX - 1;
	memcpy(r->text, (const char *)it->raw + offset, size);
	r->text[size] = '\0';
	/* trace_marker text ends with the user's newline; drop it */
	size = strlen(r->text);
	while (size > 0 && r->text[size - 1] == '\n')
		r->text[--size] = '\0';
	return r->text;
}

static void decode(struct perf_reader *r, const struct perf_item *it,
		   enum kmrv_tp tp, struct kmrv_event *ev)
{
	const struct tp_fields *f = &r->fields[tp];

	memset(ev, 0, sizeof(*ev));
	ev->tp = tp;
	ev->ts = it->ts;
	ev->cpu = it->cpu;
	ev->pid = (int32_t)read_field(r, it, f->pid);
	ev->ptr = read_field(r, it, f->ptr);
	ev->call_site = read_field(r, it, f->call_site);
	ev->bytes_req = read_field(r, it, f->bytes_req);
	ev->bytes_alloc = read_field(r, it, f->bytes_alloc);
	switch (tp) {
	case KMRV_TP_FORK:
		ev->ptr = read_field(r, it, f->child_pid);
		ev->text = read_text(r, it, f->text);
		break;
	case KMRV_TP_EXEC:
	case KMRV_TP_MARKER:
		ev->text = read_text(r, it, f->text);
		break;
	default:
		break;
	}
}

static int pf_next(void *priv, struct kmrv_event *ev, char *err, size_t errlen)
{
	struct perf_reader *r = priv;
	struct perf_item it;
	int ret;

	ret = perf_data_next(r->pd, &it, err, errlen);
	if (ret <= 0)
		return ret;
	if (it.kind == PERF_ITEM_LOST) {
		memset(ev, 0, sizeof(*ev));
		ev->tp = KMRV_TP_LOST;
		ev->ts = it.ts;
		ev->cpu = it.cpu;
		ev->pid = -1;
		ev->lost = it.lost;
		return 1;
	}
	decode(r, &it, it.tag, ev);
	return 1;
}

static int pf_cpus(void *priv)
{
	return perf_data_nr_cpus(((struct perf_reader *)priv)->pd);
}

static int pf_has_tp(void *priv, enum kmrv_tp tp)
{
	struct perf_reader *r = priv;

	return tp < KMRV_TP__COUNT && (r->has_tp & (1u << tp));
}

static const char *pf_comm(void *priv, int pid)
{
	const char *comm = perf_data_comm(((struct perf_reader *)priv)->pd, pid);

	/* perf has no COMM for the idle task; name it as trace-cmd does */
	if (!comm && pid == 0)
		return "<idle>";
	return comm;
}

static const char *pf_symbolize(void *priv, uint64_t addr, char *buf, size_t len)
{
	struct perf_reader *r = priv;
	const char *name = NULL;

	if (perf_data_has_kallsyms(r->pd))
		name = tep_find_function(r->tep, addr);
	else if (!r->told_no_symbols) {
		r->told_no_symbols = true;
		fprintf(stderr, "%s: symbols unavailable (perf.data stores no kallsyms); "
			"call sites are raw addresses\n", r->path);
	}
	if (name)
		snprintf(buf, len, "%s+0x%llx", name,
			 (unsigned long long)(addr - tep_find_function_address(r->tep, addr)));
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
	return buf;
}

const struct trace_backend perf_backend = {
	.name		= "perf",
	.open		= pf_open,
	.next		= pf_next,
	.close		= pf_close,
	.cpus		= pf_cpus,
	.has_tp		= pf_has_tp,
	.comm		= pf_comm,
	.symbolize	= pf_symbolize,
};
