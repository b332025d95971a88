// SPDX-License-Identifier: GPL-2.0
/*
 * tdat_probe.c - check a trace.dat before libtracecmd opens it.
 *
 * libtracecmd (1.3.1) trusts the file: it maps per-CPU data where the
 * headers say, hands every event format to libtraceevent, strdup()s
 * option strings that need not end, and when tracecmd_init_data() fails
 * part way (a chunk table it cannot read, a first page it cannot load)
 * its own cleanup crashes: tracecmd_close() empties the chunk cache of
 * every CPU, also of those whose list head init_cpu() never reached
 * (trace-input.c:4906, list_del() through NULL). So this walks what
 * tracecmd_open() reads, in both layouts (version 6: headers inline;
 * version 7: sections, maybe compressed, named by a chain of options),
 * and stops at anything that would make libtracecmd crash, read out of
 * bounds or fail once it has allocated its CPU data. A damaged file is
 * then a one-line error, not a signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event-parse.h>

#include "direct.h"
#include "format_check.h"
#include "tdat_probe.h"

#define MAX_CPUS		8192
#define MAX_BUFFERS		256
#define MAX_OPTION_SECTIONS	64	/* libtracecmd recurses along the chain */
#define MAX_SECTION		(1U << 30)	/* an inflated section */
#define MAX_CHUNK		(256U << 20)	/* an inflated chunk of CPU data */
#define COMMIT_MASK		((1U << 27) - 1)	/* what kbuffer reads of it */
#define SEC_FL_COMPRESS		1

/* trace-cmd's option ids (trace-cmd.dat.v7(5)) */
enum {
	OPT_DONE		= 0,
	OPT_DATE		= 1,
	OPT_CPUSTAT		= 2,
	OPT_BUFFER		= 3,
	OPT_TRACECLOCK		= 4,
	OPT_UNAME		= 5,
	OPT_HOOK		= 6,
	OPT_OFFSET		= 7,
	OPT_CPUCOUNT		= 8,
	OPT_VERSION		= 9,
	OPT_PROCMAPS		= 10,
	OPT_TIME_SHIFT		= 12,
	OPT_GUEST		= 13,
	OPT_HEADER_INFO		= 16,
	OPT_CMDLINES		= 21,
	OPT_BUFFER_TEXT		= 22,
};

#define NR_SECTIONS		(OPT_CMDLINES - OPT_HEADER_INFO + 1)

struct pcpu {
	uint32_t	cpu;
	uint64_t	offset, size;
};

/* A buffer instance (v6) or any flyrecord buffer (v7) an option names. */
struct pbuf {
	uint64_t	offset;		/* v6: its options and flyrecord; v7: its section */
	uint32_t	page_size;
	uint32_t	nr_cpus;	/* v7: the option's CPU table */
	struct pcpu	*cpus;
};

struct probe {
	const uint8_t	*map;
	uint64_t	size;
	int		version;
	int		big;		/* the file's byte order */
	int		long_size;
	uint32_t	page_size;
	int		commit_size;	/* from the header page: kbuffer's long */
	uint32_t	nr_cpus;	/* v6: the CPU table's length */
	int		comp;		/* v7: enum dcomp */
	void		*zctx;
	uint64_t	sections[NR_SECTIONS];	/* v7, by option id */
	struct pbuf	*bufs;
	int		nr_bufs;

	int		trace_clock;	/* v6: a TRACECLOCK option in the top's */

	const char	*what;		/* the part being read, for the error */
	uint64_t	at;		/* and where it went wrong */
	int		failed;
	char		why[160];	/* a damaged event format */
	const char	*unsupported;	/* a valid file kmrv cannot read */
};

/* Over the map, or over an inflated v7 section. */
struct cursor {
	struct probe	*pr;
	const uint8_t	*p;
	uint64_t	pos, end;
	uint64_t	base;		/* file offset of the inflated section */
	uint8_t		*owned;
};

/* Note where the walk failed (the first place counts) and fail. */
static int bad(struct cursor *c)
{
	struct probe *pr = c->pr;

	if (!pr->failed) {
		pr->failed = 1;
		pr->at = c->owned ? c->base : c->pos;
	}
	return -1;
}

static void cur_map(struct cursor *c, struct probe *pr, uint64_t pos)
{
	memset(c, 0, sizeof(*c));
	c->pr = pr;
	c->p = pr->map;
	c->end = pr->size;
	c->pos = pos < pr->size ? pos : pr->size;
}

static const uint8_t *take(struct cursor *c, uint64_t len)
{
	const uint8_t *p;

	if (len > c->end - c->pos) {
		bad(c);
		return NULL;
	}
	p = c->p + c->pos;
	c->pos += len;
	return p;
}

static uint64_t num(const struct probe *pr, const uint8_t *p, int len)
{
	uint64_t v = 0;

	for (int i = 0; i < len; i++)
		v |= (uint64_t)p[pr->big ? len - 1 - i : i] << (8 * i);
	return v;
}

static int get(struct cursor *c, int len, uint64_t *v)
{
	const uint8_t *p = take(c, len);

	if (!p)
		return -1;
	*v = num(c->pr, p, len);
	return 0;
}

/* A NUL-terminated string of at most @max bytes. */
static const char *get_str(struct cursor *c, uint64_t max)
{
	const uint8_t *s = c->p + c->pos;
	uint64_t left = c->end - c->pos;
	const uint8_t *nul = memchr(s, '\0', left < max ? left : max);

	if (!nul) {
		bad(c);
		return NULL;
	}
	c->pos += (uint64_t)(nul - s) + 1;
	return (const char *)s;
}

/* A size of @width bytes and that many bytes of text. */
static const uint8_t *sized(struct cursor *c, int width, uint64_t *len)
{
	if (get(c, width, len))
		return NULL;
	return take(c, *len);
}

static int pow2_page(uint64_t size)
{
	return size >= 4096 && size <= (1U << 24) && !(size & (size - 1));
}

/* ---- headers and formats ------------------------------------------------- */

/*
 * libtracecmd reads every page through the header page's layout: a
 * timestamp that is not 8 bytes fails each CPU's first page (after its
 * CPU data exist, see above), and the commit field's size is the long
 * kbuffer reads. libtraceevent's header-page parser itself is safe.
 */
static int check_header_page(struct cursor *c, const uint8_t *text, uint64_t len)
{
	struct probe *pr = c->pr;
	struct tep_handle *tep;
	char *copy;
	int ts = 0, commit = 0;

	if (!len) {		/* an old kernel's: libtraceevent assumes both */
		pr->commit_size = pr->long_size;
		return 0;
	}
	tep = tep_alloc();
	copy = malloc(len);
	if (tep && copy) {
		memcpy(copy, text, len);
		tep_parse_header_page(tep, copy, len, pr->long_size);
		ts = tep_get_header_timestamp_size(tep);
		commit = tep_get_header_page_size(tep);
	}
	free(copy);
	tep_free(tep);
	if (ts != 8 || (commit != 4 && commit != 8))
		return bad(c);
	pr->commit_size = commit;
	return 0;
}

static int headers(struct cursor *c)
{
	const uint8_t *tag, *text;
	uint64_t len;

	c->pr->what = "header_page";
	tag = take(c, 12);
	if (!tag || memcmp(tag, "header_page", 12))
		return bad(c);
	text = sized(c, 8, &len);
	if (!text || check_header_page(c, text, len))
		return -1;
	c->pr->what = "header_event";
	tag = take(c, 13);
	if (!tag || memcmp(tag, "header_event", 13))
		return bad(c);
	return sized(c, 8, &len) ? 0 : -1;
}

/* One sized format: libtracecmd hands it whole to tep_parse_event(). */
static int check_format(struct cursor *c, const char *system)
{
	const char *text, *why;
	unsigned int line;
	char name[64];
	uint64_t len;

	text = (const char *)sized(c, 8, &len);
	if (!text)
		return -1;
	why = format_check(text, len, &line);
	if (!why)
		return 0;
	format_name(text, len, name, sizeof(name));
	snprintf(c->pr->why, sizeof(c->pr->why), "format of %s:%s, line %u: %s",
		 system, name, line, why);
	return bad(c);
}

static int ftrace_formats(struct cursor *c)
{
	uint64_t nr;

	c->pr->what = "ftrace formats";
	if (get(c, 4, &nr))
		return -1;
	for (uint64_t i = 0; i < nr; i++)
		if (check_format(c, "ftrace"))
			return -1;
	return 0;
}

/* A system's name as the kernel's events/ directory has them. */
static const char *system_name(struct cursor *c)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
	const char *s = get_str(c, 256);

	if (s && (!*s || strspn(s, ok) != strlen(s))) {
		bad(c);
		return NULL;
	}
	return s;
}

static int event_formats(struct cursor *c)
{
	uint64_t systems, nr;
	const char *sys;

	c->pr->what = "event formats";
	if (get(c, 4, &systems))
		return -1;
	for (uint64_t s = 0; s < systems; s++) {
		sys = system_name(c);
		if (!sys || get(c, 4, &nr))
			return -1;
		for (uint64_t i = 0; i < nr; i++)
			if (check_format(c, sys))
				return -1;
	}
	return 0;
}

/*
 * libtraceevent's tep_parse_printk_formats() (called by libtracecmd on
 * the printk section) reads before its buffer on a line without
 * "ADDR : FMT" or with a FMT shorter than 3 bytes. Real kernels write
 * `0xADDR : "text"` lines; anything else is a damaged file.
 */
static int check_printk(struct cursor *c)
{
	const char *text, *line, *end, *colon;
	uint64_t len;

	c->pr->what = "printk formats";
	text = (const char *)sized(c, 4, &len);
	if (!text)
		return -1;
	while (len && !text[len - 1])
		len--;
	for (line = text; line < text + len; line = end + 1) {
		end = memchr(line, '\n', text + len - line);
		if (!end)
			end = text + len;
		if (end == line)
			continue;
		colon = memchr(line, ':', end - line);
		if (!colon || colon == line || memchr(line, '\0', end - line) ||
		    end - colon < 5)
			return bad(c);
	}
	return 0;
}

/* ---- options ------------------------------------------------------------- */

/* GUEST: name, trace id(8), vCPUs(4), {vCPU(4) pid(4)}: libtracecmd
 * indexes its array by vCPU, checking only the upper bound. */
static int guest_ok(const struct probe *pr, const uint8_t *d, uint32_t len)
{
	const uint8_t *nul = memchr(d, '\0', len);
	uint64_t left, count;

	if (!nul)
		return 0;
	left = len - (uint64_t)(nul + 1 - d);
	if (left < 12)
		return 0;
	d = nul + 1 + 12;
	count = num(pr, d - 4, 4);
	if (count > MAX_CPUS || count * 8 > left - 12)
		return 0;
	for (uint64_t i = 0; i < count; i++)
		if (num(pr, d + 8 * i, 4) >= count)
			return 0;
	return 1;
}

/* TIME_SHIFT: id(8) flags(4) CPUs(4), {n(4) 3 * n * 8} per CPU, ... */
static int time_shift_ok(const struct probe *pr, const uint8_t *d, uint32_t len)
{
	uint64_t pos = 16, cpus, n;

	if (len < 16)
		return 1;		/* libtracecmd ignores it */
	cpus = num(pr, d + 12, 4);
	if (cpus > MAX_CPUS)
		return 0;
	for (uint64_t i = 0; i < cpus; i++) {
		if (len - pos < 4)
			return 0;
		n = num(pr, d + pos, 4);
		pos += 4;
		if (n > (len - pos) / 24)
			return 0;
		pos += n * 24;
	}
	return 1;
}

static int add_buffer(struct probe *pr, const struct pbuf *b)
{
	struct pbuf *bufs;

	if (pr->nr_bufs == MAX_BUFFERS)
		return -1;
	bufs = realloc(pr->bufs, (pr->nr_bufs + 1) * sizeof(*bufs));
	if (!bufs)
		return -1;
	pr->bufs = bufs;
	bufs[pr->nr_bufs++] = *b;
	return 0;
}

/* v7 BUFFER's CPU table: {cpu(4) offset(8) size(8)}, each CPU once. */
static int cpu_table(const struct probe *pr, const uint8_t *d, uint64_t len,
		     struct pbuf *b)
{
	uint8_t seen[MAX_CPUS / 8] = { 0 };

	if (b->nr_cpus > MAX_CPUS || len < (uint64_t)b->nr_cpus * 20)
		return -1;
	b->cpus = calloc(b->nr_cpus ? b->nr_cpus : 1, sizeof(*b->cpus));
	if (!b->cpus)
		return -1;
	for (uint32_t i = 0; i < b->nr_cpus; i++, d += 20) {
		struct pcpu *c = &b->cpus[i];

		c->cpu = (uint32_t)num(pr, d, 4);
		c->offset = num(pr, d + 4, 8);
		c->size = num(pr, d + 12, 8);
		if (c->cpu >= MAX_CPUS || seen[c->cpu / 8] & (1 << c->cpu % 8))
			return -1;
		seen[c->cpu / 8] |= 1 << c->cpu % 8;
	}
	return 0;
}

/*
 * A latency tracer's buffer holds text, no per-CPU pages: libtracecmd
 * opens it but keeps no CPU data, and tracecmd_read_data() then indexes
 * that NULL array (trace-input.c:2436).
 */
static int latency(struct cursor *c)
{
	c->pr->unsupported = "latency-format trace.dat (a latency tracer's text, "
			     "no per-CPU events)";
	return bad(c);
}

/*
 * BUFFER: offset(8) name, and in v7 clock page_size(4) cpus(4) and the
 * CPU table; BUFFER_TEXT (v7, a latency buffer): offset(8) name clock.
 * Kept until the header page is known, which their pages need. v6 keeps
 * only the top handle's instances, those kmrv opens.
 */
static int buffer_option(struct cursor *c, uint16_t id, const uint8_t *d,
			 uint32_t len, int top)
{
	struct probe *pr = c->pr;
	struct pbuf b = { .page_size = pr->page_size };
	const uint8_t *name = d + 8, *end = d + len, *nul;

	if (len < 9 || !(nul = memchr(name, '\0', len - 8)))
		return bad(c);
	b.offset = num(pr, d, 8);
	if (pr->version == 6) {
		if (!*name || !top)
			return 0;
		return add_buffer(pr, &b) ? bad(c) : 0;
	}
	nul = memchr(nul + 1, '\0', end - nul - 1);	/* the clock */
	if (!nul)
		return bad(c);
	if (id == OPT_BUFFER_TEXT)
		return latency(c);
	d = nul + 1;
	if (end - d < 8)
		return bad(c);
	if (*name) {
		b.page_size = (uint32_t)num(pr, d, 4);
		if (!pow2_page(b.page_size))
			return bad(c);
	}
	b.nr_cpus = (uint32_t)num(pr, d + 4, 4);
	if (cpu_table(pr, d + 8, end - d - 8, &b) || add_buffer(pr, &b)) {
		free(b.cpus);
		return bad(c);
	}
	return 0;
}

/*
 * The options libtracecmd's handle_options() reads without checking:
 * strings it strdup()s, strtoll()s or strtok()s must end inside the
 * option, CPUSTAT and PROCMAPS touch their last byte, CPUCOUNT is read
 * as 4 bytes, GUEST and TIME_SHIFT hold tables, and a HOOK it cannot
 * parse is a NULL dereference (trace-cmd record never writes one).
 */
static int check_option(struct cursor *c, uint16_t id, const uint8_t *d,
			uint32_t len, int top)
{
	struct probe *pr = c->pr;
	int ok = 1;

	switch (id) {
	case OPT_DATE:
	case OPT_OFFSET:
	case OPT_TRACECLOCK:
		pr->trace_clock |= top;
		/* fall through */
	case OPT_UNAME:
	case OPT_VERSION:
		ok = len && memchr(d, '\0', len);
		break;
	case OPT_CPUSTAT:
	case OPT_PROCMAPS:
		ok = len > 0;
		break;
	case OPT_CPUCOUNT:
		ok = len >= 4 && num(pr, d, 4) && num(pr, d, 4) <= MAX_CPUS;
		if (ok)
			pr->nr_cpus = (uint32_t)num(pr, d, 4);
		break;
	case OPT_HOOK:
		ok = 0;
		break;
	case OPT_TIME_SHIFT:
		ok = time_shift_ok(pr, d, len);
		break;
	case OPT_GUEST:
		ok = guest_ok(pr, d, len);
		break;
	case OPT_BUFFER:
	case OPT_BUFFER_TEXT:
		return buffer_option(c, id, d, len, top);
	case OPT_HEADER_INFO ... OPT_CMDLINES:
		if (len >= 8)
			pr->sections[id - OPT_HEADER_INFO] = num(pr, d, 8);
		break;
	default:
		break;
	}
	return ok ? 0 : bad(c);
}

/* ---- CPU data ------------------------------------------------------------ */

/*
 * Every page header of one CPU's data @d: libtracecmd's kbuffer reads as
 * many bytes as the commit field says (masked) from the page on, and
 * fails a page whose count exceeds it, so each count must fit its page
 * and the page the data.
 */
static int pages_ok(const struct probe *pr, const uint8_t *d, uint64_t len,
		    uint32_t page_size)
{
	uint64_t hdr = 8 + (uint64_t)pr->commit_size;

	for (uint64_t p = 0; p < len; p += page_size) {
		uint64_t avail = len - p < page_size ? len - p : page_size;

		if (avail < hdr ||
		    (num(pr, d + p + 8, pr->commit_size) & COMMIT_MASK) > avail - hdr)
			return -1;
	}
	return 0;
}

/*
 * A compressed CPU stream at @off: count(4), then {zsize(4) size(4) data}
 * per chunk, inside the extent (whose size leaves the count out).
 * libtracecmd reads this table before the CPU's list heads exist, and
 * reads pages out of each inflated chunk: each must inflate to whole
 * pages whose headers fit.
 */
static int chunks_ok(struct probe *pr, uint64_t off, uint64_t size,
		     uint32_t page_size)
{
	uint64_t pos = off + 4, end = off + 4 + size, count, zsize, usize;
	uint8_t *buf = NULL;
	int ret = -1;

	if (pr->size - off - size < 4)
		return -1;
	count = num(pr, pr->map + off, 4);
	for (uint64_t i = 0; i < count; i++) {
		if (end - pos < 8)
			goto out;
		zsize = num(pr, pr->map + pos, 4);
		usize = num(pr, pr->map + pos + 4, 4);
		pos += 8;
		if (zsize > end - pos || !usize || usize % page_size || usize > MAX_CHUNK)
			goto out;
		free(buf);
		buf = malloc(usize);
		if (!buf || dcomp_inflate(pr->comp, &pr->zctx, pr->map + pos, zsize,
					  buf, usize) ||
		    pages_ok(pr, buf, usize, page_size))
			goto out;
		pos += zsize;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

/* One CPU's extent, checked as libtracecmd's init_cpu() will read it. */
static int cpu_data_ok(struct cursor *c, uint64_t off, uint64_t size,
		       uint32_t page_size, int compressed)
{
	struct probe *pr = c->pr;

	if (off > pr->size || size > pr->size - off)
		return bad(c);
	if (!size)
		return 0;
	if (compressed ? chunks_ok(pr, off, size, page_size)
		       : pages_ok(pr, pr->map + off, size, page_size)) {
		c->pos = off;
		return bad(c);
	}
	return 0;
}

/* ---- version 6 ----------------------------------------------------------- */

/* { id(2) size(4) data } until id 0. */
static int v6_options(struct cursor *c, int top)
{
	const uint8_t *d;
	uint64_t id, len;

	for (;;) {
		if (get(c, 2, &id))
			return -1;
		if (id == OPT_DONE)
			return 0;
		if (get(c, 4, &len) || !(d = take(c, len)) ||
		    check_option(c, (uint16_t)id, d, (uint32_t)len, top))
			return -1;
	}
}

/* "flyrecord\0" and { offset(8) size(8) } per CPU, the data after it. */
static int v6_flyrecord(struct cursor *c)
{
	struct probe *pr = c->pr;
	uint64_t off, size;

	pr->what = "CPU data";
	for (uint32_t cpu = 0; cpu < pr->nr_cpus; cpu++) {
		if (get(c, 8, &off) || get(c, 8, &size))
			return -1;
		if (size && off < c->pos)
			return bad(c);
		if (cpu_data_ok(c, off, size, pr->page_size, 0))
			return -1;
	}
	return 0;
}

/* ["options  " options] "latency  " | "flyrecord" table: read_options_type() */
static int v6_data(struct cursor *c, int top)
{
	const uint8_t *tag;

	c->pr->what = "options";
	tag = take(c, 10);
	if (tag && !memcmp(tag, "options  ", 10)) {
		if (v6_options(c, top))
			return -1;
		tag = take(c, 10);
	}
	if (!tag)
		return -1;
	if (!memcmp(tag, "latency  ", 10))
		return latency(c);
	c->pr->what = "flyrecord";
	if (memcmp(tag, "flyrecord", 10))
		return bad(c);
	return v6_flyrecord(c);
}

static int walk_v6(struct probe *pr, uint64_t pos)
{
	struct cursor c;
	uint64_t len, cpus;
	uint32_t top_cpus;

	cur_map(&c, pr, pos);
	if (headers(&c) || ftrace_formats(&c) || event_formats(&c))
		return -1;
	pr->what = "kallsyms";
	if (!sized(&c, 4, &len) || check_printk(&c))
		return -1;
	pr->what = "saved cmdlines";
	if (!sized(&c, 8, &len))
		return -1;
	pr->what = "CPU count";
	if (get(&c, 4, &cpus))
		return -1;
	if (!cpus || cpus > MAX_CPUS)
		return bad(&c);
	pr->nr_cpus = (uint32_t)cpus;
	if (v6_data(&c, 1))
		return -1;
	/*
	 * A trace clock option makes libtracecmd read a sized trace_clock
	 * text after the CPU table, as files before the option had it, and
	 * malloc() whatever size it finds there.
	 */
	pr->what = "trace_clock";
	if (pr->trace_clock && !sized(&c, 8, &len))
		return -1;
	/* an instance handle starts from the top handle's CPU count */
	top_cpus = pr->nr_cpus;
	for (int i = 0; i < pr->nr_bufs; i++) {
		pr->nr_cpus = top_cpus;
		cur_map(&c, pr, pr->bufs[i].offset);
		if (v6_data(&c, 0))
			return -1;
	}
	return 0;
}

/* ---- version 7 ----------------------------------------------------------- */

/*
 * Section @off, which must be @id: id(2) flags(2) description(4) size(8),
 * then the data or, compressed, clen(4) ulen(4) and clen bytes that
 * inflate to exactly ulen (tracecmd_uncompress_block()).
 */
static int section_open(struct probe *pr, uint64_t off, uint16_t id,
			struct cursor *s)
{
	uint64_t sid, flags, desc, size, clen, ulen;
	const uint8_t *src;

	cur_map(s, pr, off);
	if (off > pr->size)
		return bad(s);
	if (get(s, 2, &sid) || get(s, 2, &flags) || get(s, 4, &desc) ||
	    get(s, 8, &size))
		return -1;
	if (sid != id)
		return bad(s);
	if (!(flags & SEC_FL_COMPRESS)) {
		if (size > s->end - s->pos)
			return bad(s);
		s->end = s->pos + size;
		return 0;
	}
	if (pr->comp == DCOMP_NONE || get(s, 4, &clen) || get(s, 4, &ulen) ||
	    ulen > MAX_SECTION || !(src = take(s, clen)))
		return bad(s);
	s->owned = malloc(ulen ? ulen : 1);
	s->base = off;
	if (!s->owned || dcomp_inflate(pr->comp, &pr->zctx, src, clen,
				       s->owned, ulen)) {
		bad(s);
		free(s->owned);
		s->owned = NULL;
		return -1;
	}
	s->p = s->owned;
	s->pos = 0;
	s->end = ulen;
	return 0;
}

static void section_close(struct cursor *s)
{
	free(s->owned);
	s->owned = NULL;
}

/* One OPTIONS section; *@next gets the offset its DONE option names. */
static int v7_options(struct probe *pr, uint64_t off, uint64_t *next)
{
	struct cursor s;
	const uint8_t *d;
	uint64_t id, len;
	int ret = -1;

	if (section_open(pr, off, OPT_DONE, &s))
		return -1;
	for (;;) {
		if (get(&s, 2, &id) || get(&s, 4, &len) || !(d = take(&s, len)))
			break;
		if (id == OPT_DONE) {
			if (len < 8) {
				bad(&s);
				break;
			}
			*next = num(pr, d, 8);
			ret = 0;
			break;
		}
		if (check_option(&s, (uint16_t)id, d, (uint32_t)len, 1))
			break;
	}
	section_close(&s);
	return ret;
}

static int section_body(struct cursor *s, int i)
{
	uint64_t len;

	switch (i + OPT_HEADER_INFO) {
	case OPT_HEADER_INFO:
		return headers(s);
	case OPT_HEADER_INFO + 1:
		return ftrace_formats(s);
	case OPT_HEADER_INFO + 2:
		return event_formats(s);
	case OPT_HEADER_INFO + 3:
		return sized(s, 4, &len) ? 0 : -1;
	case OPT_HEADER_INFO + 4:
		return check_printk(s);
	default:
		return sized(s, 8, &len) ? 0 : -1;
	}
}

/* The sections the options named; the header info must be among them. */
static int v7_sections(struct probe *pr)
{
	static const char *const names[NR_SECTIONS] = {
		"header info", "ftrace formats", "event formats", "kallsyms",
		"printk formats", "saved cmdlines",
	};
	struct cursor s;
	int ret;

	for (int i = 0; i < NR_SECTIONS; i++) {
		pr->what = names[i];
		if (!pr->sections[i]) {
			if (i)
				continue;
			cur_map(&s, pr, 0);
			return bad(&s);
		}
		if (section_open(pr, pr->sections[i], OPT_HEADER_INFO + i, &s))
			return -1;
		ret = section_body(&s, i);
		section_close(&s);
		if (ret)
			return -1;
	}
	return 0;
}

/* A flyrecord buffer: its section header says whether its data is compressed. */
static int v7_buffer(struct probe *pr, const struct pbuf *b)
{
	struct cursor c;
	uint64_t id, flags, desc, size;
	int compressed;

	pr->what = "buffer";
	cur_map(&c, pr, b->offset);
	if (b->offset > pr->size)
		return bad(&c);
	if (get(&c, 2, &id) || get(&c, 2, &flags) || get(&c, 4, &desc) ||
	    get(&c, 8, &size))
		return -1;
	compressed = flags & SEC_FL_COMPRESS;
	if (compressed && pr->comp == DCOMP_NONE)
		return bad(&c);
	pr->what = "CPU data";
	for (uint32_t i = 0; i < b->nr_cpus; i++)
		if (cpu_data_ok(&c, b->cpus[i].offset, b->cpus[i].size,
				b->page_size, compressed))
			return -1;
	return 0;
}

static int walk_v7(struct probe *pr, uint64_t pos)
{
	struct cursor c;
	const char *name;
	uint64_t off;
	int comp;

	cur_map(&c, pr, pos);
	pr->what = "compression header";
	name = get_str(&c, 64);
	if (!name || !get_str(&c, 64) || get(&c, 8, &off))
		return -1;
	comp = dcomp_by_name(name);
	if (comp < 0)
		return bad(&c);
	pr->comp = comp;
	pr->what = "options";
	for (int n = 0; off; n++) {
		if (n == MAX_OPTION_SECTIONS) {
			cur_map(&c, pr, off);
			return bad(&c);
		}
		if (v7_options(pr, off, &off))
			return -1;
	}
	if (v7_sections(pr))
		return -1;
	for (int i = 0; i < pr->nr_bufs; i++)
		if (v7_buffer(pr, &pr->bufs[i]))
			return -1;
	return 0;
}

/* ---- the file ------------------------------------------------------------ */

/* Past the magic: version, byte order, long size, page size. */
static int file_header(struct probe *pr, struct cursor *c)
{
	const char *version;
	const uint8_t *h;

	cur_map(c, pr, 10);
	version = get_str(c, 16);
	if (!version)
		return -1;
	/* no number: a damaged header, not a version */
	if (strspn(version, "0123456789") != strlen(version))
		return bad(c);
	if (strcmp(version, "6") && strcmp(version, "7"))
		return 1;
	pr->version = version[0] - '0';
	h = take(c, 6);
	if (!h)
		return -1;
	pr->big = h[0] != 0;
	pr->long_size = h[1];
	if (pr->long_size != 4 && pr->long_size != 8)
		return bad(c);
	pr->what = "page size";
	/* libtracecmd maps pages of this size: a power of two it can hold */
	pr->page_size = (uint32_t)num(pr, h + 2, 4);
	if (!pow2_page(pr->page_size))
		return bad(c);
	return 0;
}

static int probe(struct probe *pr, const char *path, char *err, size_t errlen)
{
	struct cursor c;
	int ret;

	ret = file_header(pr, &c);
	if (ret > 0) {
		snprintf(err, errlen, "%s: unsupported trace.dat version '%s'",
			 path, (const char *)pr->map + 10);
		return -1;
	}
	if (!ret)
		ret = pr->version == 6 ? walk_v6(pr, c.pos) : walk_v7(pr, c.pos);
	if (!ret)
		return 0;
	if (pr->unsupported)
		snprintf(err, errlen, "%s: %s", path, pr->unsupported);
	else if (pr->why[0])
		snprintf(err, errlen, "%s: corrupt trace.dat (%s)", path, pr->why);
	else
		snprintf(err, errlen, "%s: truncated or corrupt trace.dat (%s at offset %llu)",
			 path, pr->what, (unsigned long long)pr->at);
	return -1;
}

int tdat_probe(const char *path, char *err, size_t errlen)
{
	struct probe pr = { .what = "file header" };
	struct stat st;
	void *map;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	pr.size = (uint64_t)st.st_size;
	map = pr.size ? mmap(NULL, pr.size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "%s: cannot map the file: %s", path,
			 pr.size ? strerror(errno) : "empty file");
		return -1;
	}
	pr.map = map;
	ret = probe(&pr, path, err, errlen);
	munmap(map, pr.size);
	for (int i = 0; i < pr.nr_bufs; i++)
		free(pr.bufs[i].cpus);
	free(pr.bufs);
	dcomp_free(pr.zctx);
	return ret;
}
