// SPDX-License-Identifier: GPL-2.0
/*
 * perf_tracing.c - the tracing data of a perf.data file.
 *
 * perf stores the same block trace-cmd puts at the head of a trace.dat:
 * magic, version, byte order, long and page size, header_page and
 * header_event, the ftrace and event formats by system, kallsyms, printk
 * formats and (version 0.6 on) saved cmdlines. The block has its own byte
 * order flag, independent of the perf.data header's. Every size in it is
 * checked against what is left of the block before it is used.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>

#include "format_check.h"
#include "perf_priv.h"
#include "trace_util.h"

static const char tracing_magic[] = "\027\010\104tracing";

struct cursor {
	const unsigned char	*p;
	const unsigned char	*end;
	bool			big;	/* the block's byte order */
	const char		*fail;	/* what ran short, for the message */
	char			bad_format[160];	/* or which format is damaged */
};

static bool host_big(void)
{
	return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
}

static const unsigned char *take(struct cursor *c, uint64_t n, const char *what)
{
	const unsigned char *p = c->p;

	if (c->fail)
		return NULL;
	if (n > (uint64_t)(c->end - c->p)) {
		c->fail = what;
		return NULL;
	}
	c->p += n;
	return p;
}

static uint64_t get_num(struct cursor *c, int size, const char *what)
{
	const unsigned char *p = take(c, size, what);
	uint64_t v = 0;

	if (!p)
		return 0;
	for (int i = 0; i < size; i++) {
		int b = c->big ? i : size - 1 - i;

		v = v << 8 | p[b];
	}
	return v;
}

/* A NUL-terminated string inside the block. */
static const char *get_string(struct cursor *c, const char *what)
{
	const unsigned char *nul;

	if (c->fail)
		return NULL;
	nul = memchr(c->p, '\0', c->end - c->p);
	if (!nul) {
		c->fail = what;
		return NULL;
	}
	return (const char *)take(c, nul - c->p + 1, what);
}

/* @size bytes of text, copied and NUL-terminated; NULL if short or no memory. */
static char *get_text(struct cursor *c, uint64_t size, const char *what)
{
	const unsigned char *p = take(c, size, what);
	char *s;

	if (!p)
		return NULL;
	s = malloc(size + 1);
	if (!s) {
		c->fail = "memory";
		return NULL;
	}
	memcpy(s, p, size);
	s[size] = '\0';
	return s;
}

static int read_headers(struct tep_handle *tep, struct cursor *c,
			struct perf_tracing *out)
{
	const unsigned char *label;
	uint64_t size;
	char *text;

	label = take(c, 12, "header_page");
	if (!label || memcmp(label, "header_page", 12)) {
		c->fail = c->fail ? c->fail : "header_page label";
		return -1;
	}
	size = get_num(c, 8, "header_page size");
	text = get_text(c, size, "header_page");
	if (!text)
		return -1;
	out->header_page = text;
	if (tep_parse_header_page(tep, text, size, out->long_size)) {
		c->fail = "header_page format";
		return -1;
	}

	label = take(c, 13, "header_event");
	if (!label || memcmp(label, "header_event", 13)) {
		c->fail = c->fail ? c->fail : "header_event label";
		return -1;
	}
	size = get_num(c, 8, "header_event size");
	out->header_event = get_text(c, size, "header_event");
	return out->header_event ? 0 : -1;
}

/*
 * Only the fields are parsed, checked first (format_check.h): kmrv prints
 * no event text, and libtraceevent crashes on some damaged formats. A
 * damaged format of an event kmrv does not read only loses that event,
 * as in trace-cmd; one kmrv reads is an error, not a quiet gap.
 */
static int parse_fields(struct tep_handle *tep, struct cursor *c,
			const char *text, uint64_t size, const char *system)
{
	const struct known_tp *tp = trace_known_format(system, text, size);
	unsigned int line;
	const char *why;

	size = format_fields_len(text, size);
	why = format_check_fields(text, size, &line);
	if (!why) {
		tep_parse_event(tep, text, size, system);
		return 0;
	}
	if (!tp)
		return 0;
	snprintf(c->bad_format, sizeof(c->bad_format), "format of %s:%s, line %u: %s",
		 tp->system, tp->name, line, why);
	return -1;
}

static int add_format(struct tep_handle *tep, struct cursor *c,
		      struct perf_tracing *out, const char *system)
{
	struct perf_format_text *f = (struct perf_format_text *)out->formats;
	uint64_t size = get_num(c, 8, "format size");
	char *text, *sys;

	text = get_text(c, size, "event format");
	if (!text)
		return -1;
	sys = strdup(system);
	f = realloc(f, (out->nr_formats + 1) * sizeof(*f));
	if (!sys || !f) {
		free(text);
		free(sys);
		if (f)
			out->formats = f;
		c->fail = "memory";
		return -1;
	}
	f[out->nr_formats].system = sys;
	f[out->nr_formats].text = text;
	out->formats = f;
	out->nr_formats++;
	return parse_fields(tep, c, text, size, system);
}

/* @count formats, each needing at least its 8-byte size. */
static int read_formats(struct tep_handle *tep, struct cursor *c,
			struct perf_tracing *out, const char *system,
			uint64_t count)
{
	if (count > (uint64_t)(c->end - c->p) / 8) {
		c->fail = "format count";
		return -1;
	}
	for (uint64_t i = 0; i < count; i++)
		if (add_format(tep, c, out, system))
			return -1;
	return 0;
}

static int read_systems(struct tep_handle *tep, struct cursor *c,
			struct perf_tracing *out)
{
	uint64_t systems = get_num(c, 4, "system count");

	if (systems > (uint64_t)(c->end - c->p) / 5) {
		c->fail = "system count";
		return -1;
	}
	for (uint64_t i = 0; i < systems; i++) {
		const char *system = get_string(c, "system name");
		uint64_t count = get_num(c, 4, "event count");

		if (!system || c->fail)
			return -1;
		if (read_formats(tep, c, out, system, count))
			return -1;
	}
	return 0;
}

static int read_tail(struct tep_handle *tep, struct cursor *c,
		     struct perf_tracing *out, const char *version)
{
	uint64_t size;
	char *text;

	size = get_num(c, 4, "kallsyms size");
	text = get_text(c, size, "kallsyms");
	if (!text)
		return -1;
	out->kallsyms = text;
	if (size && tep_parse_kallsyms(tep, text)) {
		c->fail = "kallsyms";
		return -1;
	}
	size = get_num(c, 4, "printk size");
	text = get_text(c, size, "printk formats");
	if (!text)
		return -1;
	/*
	 * Kept for kmrv-perf2dat, not parsed: kmrv prints no bprint text,
	 * and libtraceevent's tep_parse_printk_formats() reads before its
	 * buffer on a format shorter than 3 bytes (tests/regress/fuzz_trace_perf).
	 */
	out->printk = text;
	/* saved cmdlines came with version 0.6 */
	if (strtod(version, NULL) < 0.6)
		return 0;
	size = get_num(c, 8, "cmdlines size");
	out->cmdlines = get_text(c, size, "saved cmdlines");
	return out->cmdlines ? 0 : -1;
}

int perf_tracing_parse(struct tep_handle *tep, const unsigned char *buf,
		       size_t len, struct perf_tracing *out,
		       char *why, size_t whylen)
{
	struct cursor c = { .p = buf, .end = buf + len };
	const unsigned char *magic;
	const char *version;

	memset(out, 0, sizeof(*out));
	magic = take(&c, 10, "magic");
	if (!magic || memcmp(magic, tracing_magic, 10)) {
		snprintf(why, whylen, "tracing data has a bad magic");
		return -1;
	}
	version = get_string(&c, "version");
	out->big_endian = get_num(&c, 1, "byte order") != 0;
	out->long_size = (int)get_num(&c, 1, "long size");
	c.big = out->big_endian;
	out->page_size = (unsigned int)get_num(&c, 4, "page size");
	if (c.fail)
		goto fail;
	if (out->long_size != 4 && out->long_size != 8) {
		snprintf(why, whylen, "tracing data has long size %d", out->long_size);
		return -1;
	}
	tep_set_file_bigendian(tep, out->big_endian ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, host_big() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_long_size(tep, out->long_size);
	tep_set_page_size(tep, (int)out->page_size);

	if (read_headers(tep, &c, out) ||
	    read_formats(tep, &c, out, "ftrace", get_num(&c, 4, "ftrace count")) ||
	    read_systems(tep, &c, out) ||
	    read_tail(tep, &c, out, version))
		goto fail;
	return 0;
fail:
	if (c.bad_format[0])
		snprintf(why, whylen, "tracing data is corrupt (%s)", c.bad_format);
	else if (c.fail && !strcmp(c.fail, "memory"))
		snprintf(why, whylen, "out of memory");
	else
		snprintf(why, whylen, "tracing data is cut short or corrupt (at its %s)",
			 c.fail ? c.fail : "formats");
	return -1;
}

void perf_tracing_release(struct perf_tracing *t)
{
	for (int i = 0; i < t->nr_formats; i++) {
		free((char *)t->formats[i].system);
		free((char *)t->formats[i].text);
	}
	free((void *)t->formats);
	free((char *)t->header_page);
	free((char *)t->header_event);
	free((char *)t->kallsyms);
	free((char *)t->printk);
	free((char *)t->cmdlines);
	memset(t, 0, sizeof(*t));
}
