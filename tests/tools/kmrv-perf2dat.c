// SPDX-License-Identifier: GPL-2.0
/*
 * kmrv-perf2dat - write the tracepoint samples of a perf.data as a
 * trace.dat, for the differential test of the perf.data reader.
 *
 *   kmrv-perf2dat IN.perf.data OUT.dat
 *
 * The samples come through the reader under test (src/trace/perf_data.c),
 * in its order; each raw payload becomes one ring-buffer record on its
 * CPU at its time, written by the project's trace.dat writer, with the
 * event formats, printk formats and kallsyms of the perf.data's tracing
 * data. Gaps become missed-events pages. Command names: the reader's
 * table at the end of the file, as saved cmdlines.
 *
 * If both files then give the same verdicts, the perf.data reader agrees
 * with the trace.dat reader on everything but the container. Samples of
 * every tracepoint are copied, not only those kmrv knows.
 *
 * Exit status: 0 written, 1 error, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/tdat.h"
#include "../../src/trace/perf_data.h"

#define TRACE_CLOCK	"[local] global counter uptime perf mono mono_raw boot\n"

struct text {
	char	*buf;
	size_t	len, cap;
};

static int text_add(int pid, const char *comm, void *arg)
{
	struct text *t = arg;
	char line[64];
	int n = snprintf(line, sizeof(line), "%d %s\n", pid, comm);

	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 + n : 4096;
		char *p = realloc(t->buf, cap);

		if (!p)
			return -1;
		t->buf = p;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, line, n + 1);
	t->len += n;
	return 0;
}

/* Open @path and keep every tracepoint attribute. */
static struct perf_data *open_all(const char *path, char *err, size_t errlen)
{
	struct perf_data *pd = perf_data_open(path, err, errlen);

	if (!pd)
		return NULL;
	for (int i = 0; i < perf_data_nr_attrs(pd); i++) {
		if (!perf_data_attr_event(pd, i))
			continue;
		if (perf_data_keep(pd, i, i, err, errlen)) {
			perf_data_close(pd);
			return NULL;
		}
	}
	return pd;
}

/* First pass: the command names and CPUs known at the end of the file. */
static int scan(const char *path, struct text *cmdlines, int *nr_cpus,
		char *err, size_t errlen)
{
	struct perf_data *pd = open_all(path, err, errlen);
	struct perf_item it;
	int ret;

	if (!pd)
		return -1;
	while ((ret = perf_data_next(pd, &it, err, errlen)) > 0)
		;
	if (!ret && perf_data_for_each_comm(pd, text_add, cmdlines)) {
		snprintf(err, errlen, "%s: out of memory", path);
		ret = -1;
	}
	*nr_cpus = perf_data_nr_cpus(pd);
	perf_data_close(pd);
	return ret;
}

static int copy(struct perf_data *pd, struct kmrv_tdat_writer *w,
		char *err, size_t errlen)
{
	struct perf_item it;
	int ret;

	while ((ret = perf_data_next(pd, &it, err, errlen)) > 0) {
		if (it.kind == PERF_ITEM_LOST)
			ret = kmrv_tdat_add_lost(w, (int)it.cpu, it.lost);
		else
			ret = kmrv_tdat_add_event(w, (int)it.cpu, it.ts, it.raw,
						  it.raw_size);
		if (ret) {
			snprintf(err, errlen, "%s", kmrv_tdat_error(w));
			return -1;
		}
	}
	return ret;
}

static int convert(const char *in, const char *out, char *err, size_t errlen)
{
	struct text cmdlines = { 0 };
	const struct perf_tracing *tr;
	struct kmrv_tdat_writer *w;
	struct kmrv_tdat_format *formats = NULL;
	struct perf_data *pd = NULL;
	int nr_cpus, ret = -1;

	if (scan(in, &cmdlines, &nr_cpus, err, errlen))
		goto out;
	pd = open_all(in, err, errlen);
	if (!pd)
		goto out;
	tr = perf_data_tracing(pd);
	formats = calloc(tr->nr_formats + 1, sizeof(*formats));
	if (!formats) {
		snprintf(err, errlen, "%s: out of memory", in);
		goto out;
	}
	for (int i = 0; i < tr->nr_formats; i++) {
		formats[i].system = tr->formats[i].system;
		formats[i].text = tr->formats[i].text;
	}
	struct kmrv_tdat_meta meta = {
		.nr_cpus	= nr_cpus,
		.page_size	= tr->page_size ? tr->page_size : 4096,
		.header_page	= tr->header_page,
		.header_event	= tr->header_event,
		.formats	= formats,
		.nr_formats	= tr->nr_formats,
		.kallsyms	= tr->kallsyms && *tr->kallsyms ? tr->kallsyms : NULL,
		.printk		= tr->printk && *tr->printk ? tr->printk : NULL,
		.cmdlines	= cmdlines.buf,
		.trace_clock	= TRACE_CLOCK,
		.version	= "kmrv-perf2dat",
	};
	w = kmrv_tdat_create(out, &meta, err, errlen);
	if (!w)
		goto out;
	if (copy(pd, w, err, errlen)) {
		kmrv_tdat_abort(w);
		goto out;
	}
	ret = kmrv_tdat_close(w, err, errlen);
out:
	perf_data_close(pd);
	free(formats);
	free(cmdlines.buf);
	return ret;
}

int main(int argc, char **argv)
{
	char err[512];

	if (argc != 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: kmrv-perf2dat IN.perf.data OUT.dat\n");
		return 2;
	}
	if (convert(argv[1], argv[2], err, sizeof(err))) {
		fprintf(stderr, "kmrv-perf2dat: %s\n", err);
		return 1;
	}
	return 0;
}
