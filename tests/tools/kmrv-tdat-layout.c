// SPDX-License-Identifier: GPL-2.0
/*
 * kmrv-tdat-layout - print where the fields of a trace.dat v6 are, for
 * the corrupt-input tests (tests/e2e/hard_corrupt.sh):
 *
 *   kmrv-tdat-layout FILE
 *
 * One "NAME OFFSET" line per length or count field (the offset of the
 * field itself), then "cpu N OFFSET SIZE" per CPU data extent. Little
 * endian files only (what kmrv-mkfixture and kmrv record write); exit 1
 * with a message on anything else.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *f;

static int rd(void *p, size_t n)
{
	return fread(p, 1, n, f) == n ? 0 : -1;
}

static uint64_t get(int width)
{
	uint64_t v = 0;

	if (rd(&v, width)) {
		fprintf(stderr, "kmrv-tdat-layout: truncated at %ld\n", ftell(f));
		exit(1);
	}
	return v;
}

static void skip_sized(const char *name, int width)
{
	long off = ftell(f);
	uint64_t len = get(width);

	if (name)
		printf("%s %ld\n", name, off);
	fseek(f, (long)len, SEEK_CUR);
}

static void skip_string(void)
{
	int c;

	while ((c = fgetc(f)) > 0)
		;
}

int main(int argc, char **argv)
{
	char head[12], tag[16];
	uint64_t systems, nr, cpus;

	if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: kmrv-tdat-layout FILE (a trace.dat v6)\n");
		return 1;
	}
	if (rd(head, 12) || memcmp(head + 10, "6", 2)) {
		fprintf(stderr, "kmrv-tdat-layout: %s: not a trace.dat v6\n", argv[1]);
		return 1;
	}
	printf("endian 12\nlong_size 13\npage_size 14\n");
	fseek(f, 18 + 12, SEEK_SET);
	skip_sized("header_page_size", 8);
	fseek(f, 13, SEEK_CUR);
	skip_sized("header_event_size", 8);
	printf("ftrace_count %ld\n", ftell(f));
	nr = get(4);
	for (uint64_t i = 0; i < nr; i++)
		skip_sized(i ? NULL : "ftrace_format_size", 8);
	printf("systems %ld\n", ftell(f));
	systems = get(4);
	for (uint64_t s = 0; s < systems; s++) {
		skip_string();
		if (!s)
			printf("events_count %ld\n", ftell(f));
		nr = get(4);
		for (uint64_t i = 0; i < nr; i++)
			skip_sized(s || i ? NULL : "event_format_size", 8);
	}
	skip_sized("kallsyms_size", 4);
	skip_sized("printk_size", 4);
	skip_sized("cmdlines_size", 8);
	printf("cpus %ld\n", ftell(f));
	cpus = get(4);
	for (;;) {
		long off = ftell(f);

		if (rd(tag, 10))
			return 1;
		if (!memcmp(tag, "options  ", 10)) {
			printf("options %ld\n", off);
			for (uint16_t id; (id = (uint16_t)get(2));)
				fseek(f, (long)get(4), SEEK_CUR);
			continue;
		}
		if (memcmp(tag, "flyrecord", 10)) {
			fprintf(stderr, "kmrv-tdat-layout: no flyrecord section\n");
			return 1;
		}
		printf("flyrecord %ld\n", off + 10);
		break;
	}
	for (uint64_t c = 0; c < cpus; c++) {
		uint64_t off = get(8), size = get(8);

		printf("cpu %llu %llu %llu\n", (unsigned long long)c,
		       (unsigned long long)off, (unsigned long long)size);
	}
	fclose(f);
	return 0;
}
