// SPDX-License-Identifier: GPL-2.0
/*
 * kmrv-dump-events - print a trace's event stream, one line per event,
 * from a chosen reader, so readers can be compared with diff(1).
 *
 *   kmrv-dump-events [--reader NAME] [--count | --names | --batch N] TRACE
 *
 * Line: tp ts cpu pid ptr call_site bytes_req bytes_alloc lost text
 * (numbers in hex where they are addresses). --count prints only the
 * number of events (a read-speed probe); --names adds to each line the
 * comm the reader knows for the pid and the call site as a symbol, at
 * that point of the stream (fork and exec rename tasks). --batch N reads
 * through kmrv_trace_read() N events at a time and prints the same lines,
 * failing if a batch breaks its rule: only its last event may have text,
 * and it is short only after text or at the end of the trace.
 *
 * Exit status: 0 read to the end, 1 open or read error, 2 usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/trace.h"

static void print_event(const struct kmrv_event *ev)
{
	printf("%s %" PRIu64 " %u %d 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64
	       " %" PRIu64 " %" PRId64 " %s\n",
	       kmrv_tp_name(ev->tp) ? kmrv_tp_name(ev->tp) : "?", ev->ts,
	       ev->cpu, ev->pid, ev->ptr, ev->call_site, ev->bytes_req,
	       ev->bytes_alloc, ev->lost, ev->text ? ev->text : "-");
}

static int dump_batches(struct kmrv_trace *t, int max)
{
	struct kmrv_event *ev = calloc(max, sizeof(*ev));
	char err[512];
	int n, short_batch = 0, ret = 1;

	if (!ev) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	while ((n = kmrv_trace_read(t, ev, max, err, sizeof(err))) > 0) {
		if (short_batch) {
			fprintf(stderr, "a batch of %d ended with no text before more events\n",
				short_batch);
			goto out;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].text && i != n - 1) {
				fprintf(stderr, "text inside a batch, at %d of %d\n", i, n);
				goto out;
			}
			print_event(&ev[i]);
		}
		if (n < max && !ev[n - 1].text)
			short_batch = n;
	}
	if (n < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	ret = 0;
out:
	free(ev);
	return ret;
}

static int dump(struct kmrv_trace *t, int count_only, int names)
{
	struct kmrv_event ev;
	char err[512], sym[256];
	const char *comm;
	uint64_t n = 0;
	int ret;

	while ((ret = kmrv_trace_next(t, &ev, err, sizeof(err))) > 0) {
		n++;
		if (count_only)
			continue;
		print_event(&ev);
		if (!names)
			continue;
		comm = kmrv_trace_comm(t, ev.pid);
		printf("  comm=%s site=%s\n", comm ? comm : "-",
		       kmrv_trace_symbolize(t, ev.call_site, sym, sizeof(sym)));
	}
	if (ret < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (count_only)
		printf("%" PRIu64 "\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *reader = NULL;
	struct kmrv_trace *t;
	int count_only = 0, names = 0, batch = 0, i, ret;
	char err[512];

	for (i = 1; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--reader"))
			reader = argv[++i];
		else if (!strcmp(argv[i], "--count"))
			count_only = 1;
		else if (!strcmp(argv[i], "--names"))
			names = 1;
		else if (!strcmp(argv[i], "--batch"))
			batch = atoi(argv[++i]);
		else
			break;
	}
	if (i != argc - 1 || batch < 0 || (batch && (count_only || names))) {
		fprintf(stderr, "usage: kmrv-dump-events [--reader NAME] "
			"[--count | --names | --batch N] TRACE\n");
		return 2;
	}
	t = kmrv_trace_open_reader(argv[i], reader, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	ret = batch ? dump_batches(t, batch) : dump(t, count_only, names);
	kmrv_trace_close(t);
	return ret;
}
