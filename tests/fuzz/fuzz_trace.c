// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_trace.c - libFuzzer target: one trace reader over any bytes.
 *
 * Built three times, with FUZZ_READER "direct", "libtracecmd" or "perf":
 * the input becomes a memfd, opened by path (/proc/self/fd/N) with that
 * reader and read to the end; the name lookups a report makes are tried
 * on the events. Open and next must fail with one line, never crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kmrv/trace.h"

#ifndef FUZZ_READER
#error "build with -DFUZZ_READER=\"direct\" (or libtracecmd, perf)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

static void one_line(const char *err)
{
	if (!err[0] || strchr(err, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmrv_trace *t;
	struct kmrv_event ev;
	char err[512], sym[128];
	uint64_t n = 0;
	int ret;

	if (fd < 0) {
		fd = memfd_create("kmrv-fuzz", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	err[0] = '\0';
	t = kmrv_trace_open_reader(path, FUZZ_READER, err, sizeof(err));
	if (!t) {
		one_line(err);
		return 0;
	}
	kmrv_trace_cpus(t);
	for (int tp = 0; tp < KMRV_TP__COUNT; tp++)
		kmrv_trace_has_tp(t, tp);
	while ((ret = kmrv_trace_next(t, &ev, err, sizeof(err))) > 0) {
		if (ev.tp >= KMRV_TP__COUNT)
			abort();
		if (ev.text)
			(void)strlen(ev.text);
		if (n++ < 64) {
			kmrv_trace_comm(t, ev.pid);
			kmrv_trace_symbolize(t, ev.call_site, sym, sizeof(sym));
		}
	}
	if (ret < 0)
		one_line(err);
	kmrv_trace_close(t);
	return 0;
}
