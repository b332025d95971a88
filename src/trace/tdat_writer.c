// SPDX-License-Identifier: GPL-2.0
/*
 * tdat_writer.c - write trace.dat version 6 files (see include/kmrv/tdat.h).
 *
 * Layout written (trace-cmd.dat.v6(5)), little endian, 8-byte longs:
 *
 *   "\027\010\104tracing" "6\0" endian(1) long_size(1) page_size(4)
 *   "header_page\0"  size(8) text      "header_event\0" size(8) text
 *   ftrace formats:  count(4) { size(8) text }
 *   event systems:   count(4) { "system\0" count(4) { size(8) text } }
 *   kallsyms size(4) text   printk size(4) text   cmdlines size(8) text
 *   nr_cpus(4) "options  \0" { id(2) size(4) data } id 0 (2 bytes)
 *   "flyrecord\0" { offset(8) size(8) } per CPU   [clock: size(8) "[name]"]
 *   padding to a page boundary, then each CPU's pages back to back.
 *
 * The clock text after the CPU table is what trace-cmd itself writes when
 * a TRACECLOCK option is present; its reader expects it there.
 *
 * Ring-buffer pages (kernel/trace/ring_buffer.c, libtraceevent kbuffer):
 * a page is timestamp(8) commit(8) data; commit holds the data size, bit 31
 * (missed events) and bit 30 (count stored as a long right after the
 * data). A record is a 4-byte header type_len:5 time_delta:27 followed by
 * the payload (type_len 1..28: payload is type_len * 4 bytes; type_len 0:
 * a length word, payload + 4, precedes a larger payload); type_len 30 is
 * a TIME_EXTEND whose second word carries the delta's bits above 27.
 *
 * Pages are kept in a small per-CPU buffer and spooled to a temporary file
 * beside the output when it fills, so memory stays bounded; a CPU whose
 * pages all fit in the buffer never touches a spool file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmrv/tdat.h"

#define TDAT_MAGIC		"\027\010\104tracing"
#define TDAT_VERSION		"6"

/* trace-cmd's option ids (lib/trace-cmd/include/private/trace-cmd-private.h) */
#define OPT_DONE		0
#define OPT_CPUSTAT		2
#define OPT_TRACECLOCK		4
#define OPT_UNAME		5
#define OPT_VERSION		9

#define PAGE_HDR_SIZE		16	/* timestamp(8) + commit(8) */
#define RB_MISSED_EVENTS	(1ULL << 31)
#define RB_MISSED_STORED	(1ULL << 30)

#define RB_TS_BITS		27
#define RB_MAX_DELTA		((1ULL << RB_TS_BITS) - 1)
#define RB_MAX_SMALL_DATA	(28 * 4)
#define RB_TYPE_TIME_EXTEND	30

/* a TIME_EXTEND holds 27 + 32 bits of delta; beyond that, start a page */
#define RB_MAX_EXTEND		((1ULL << (RB_TS_BITS + 32)) - 1)

#define SPOOL_BUF_BYTES		(256 * 1024)
#define COPY_BUF_BYTES		(1024 * 1024)

/* One CPU's stream: the page being filled and the pages not yet spooled. */
struct tdat_cpu {
	unsigned char	*page;		/* page being filled */
	bool		page_open;	/* page holds at least one record */
	size_t		used;		/* data bytes in page */
	uint64_t	cur_ts;		/* ts the next delta is relative to */
	uint64_t	last_ts;	/* last event's ts (order check) */

	bool		lost_pending;	/* next page carries missed events */
	int64_t		lost_count;	/* its count, < 0 if unknown */

	unsigned char	*buf;		/* full pages waiting for the spool */
	size_t		buf_len;

	int		spool_fd;	/* -1 until the buffer first overflows */
	char		*spool_path;
	uint64_t	spooled;	/* bytes in the spool file */

	uint64_t	entries;	/* records encoded */
	uint64_t	lost_known;	/* sum of known lost counts */
	char		*stats;		/* set by kmrv_tdat_set_cpu_stats() */
};

struct kmrv_tdat_writer {
	char		*path;
	int		fd;
	bool		remove_on_error; /* output is a regular file we created */
	char		*spool_dir;

	int		nr_cpus;
	unsigned int	page_size;
	size_t		buf_pages;	/* pages per spool buffer */
	struct tdat_cpu	*cpus;

	/* the meta strings, copied: the caller's may not outlive us */
	char		*header_page;
	char		*header_event;
	int		nr_formats;
	struct kmrv_tdat_format *formats;
	char		*kallsyms, *printk, *cmdlines;
	char		*trace_clock, *uname, *version;

	bool		failed;		/* sticky: every later call fails */
	char		err[512];
};

/* Buffered sequential output of the assembled file. */
struct obuf {
	struct kmrv_tdat_writer *w;
	unsigned char	*buf;
	size_t		len, cap;
	uint64_t	off;		/* bytes emitted so far */
};

static int tdat_fail(struct kmrv_tdat_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Record the first error only: it is the cause, later ones are effects. */
static int tdat_fail(struct kmrv_tdat_writer *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return -1;
	w->failed = true;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	return -1;
}

static void put_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

static int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void put_le16(unsigned char *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static char *dup_or_null(const char *s, bool *nomem)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*nomem = true;
	return d;
}

/* ---- per-CPU pages ---------------------------------------------------- */

static size_t page_capacity(const struct kmrv_tdat_writer *w,
			    const struct tdat_cpu *c)
{
	size_t cap = w->page_size - PAGE_HDR_SIZE;

	/* a stored lost count takes a long after the data */
	if (c->lost_pending && c->lost_count >= 0)
		cap -= 8;
	return cap;
}

static int spool_open(struct kmrv_tdat_writer *w, int cpu)
{
	struct tdat_cpu *c = &w->cpus[cpu];
	const char *base = strrchr(w->path, '/');

	base = base ? base + 1 : w->path;
	if (asprintf(&c->spool_path, "%s/.%s.cpu%d.XXXXXX",
		     w->spool_dir, base, cpu) < 0) {
		c->spool_path = NULL;
		return tdat_fail(w, "%s: out of memory", w->path);
	}
	c->spool_fd = mkostemp(c->spool_path, O_CLOEXEC);
	if (c->spool_fd < 0) {
		int e = errno;

		free(c->spool_path);
		c->spool_path = NULL;
		return tdat_fail(w, "%s: creating cpu %d spool in %s: %s",
				 w->path, cpu, w->spool_dir, strerror(e));
	}
	return 0;
}

static int spool_flush(struct kmrv_tdat_writer *w, int cpu)
{
	struct tdat_cpu *c = &w->cpus[cpu];

	if (!c->buf_len)
		return 0;
	if (c->spool_fd < 0 && spool_open(w, cpu))
		return -1;
	if (write_all(c->spool_fd, c->buf, c->buf_len))
		return tdat_fail(w, "%s: writing cpu %d spool: %s",
				 w->path, cpu, strerror(errno));
	c->spooled += c->buf_len;
	c->buf_len = 0;
	return 0;
}

/* Queue one finished page (page_size bytes) of @cpu. */
static int queue_page(struct kmrv_tdat_writer *w, int cpu, const void *page)
{
	struct tdat_cpu *c = &w->cpus[cpu];

	if (c->buf_len + w->page_size > w->buf_pages * w->page_size &&
	    spool_flush(w, cpu))
		return -1;
	memcpy(c->buf + c->buf_len, page, w->page_size);
	c->buf_len += w->page_size;
	return 0;
}

/* Close the page being filled: write its header and queue it. */
static int finish_page(struct kmrv_tdat_writer *w, int cpu)
{
	struct tdat_cpu *c = &w->cpus[cpu];
	uint64_t commit = c->used;

	if (!c->page_open)
		return 0;
	if (c->lost_pending) {
		commit |= RB_MISSED_EVENTS;
		if (c->lost_count >= 0) {
			commit |= RB_MISSED_STORED;
			put_le64(c->page + PAGE_HDR_SIZE + c->used,
				 (uint64_t)c->lost_count);
		}
		c->lost_pending = false;
		c->lost_count = 0;
	}
	put_le64(c->page + 8, commit);
	c->page_open = false;
	return queue_page(w, cpu, c->page);
}

static void open_page(struct kmrv_tdat_writer *w, struct tdat_cpu *c,
		      uint64_t ts)
{
	memset(c->page, 0, w->page_size);
	put_le64(c->page, ts);
	c->page_open = true;
	c->used = 0;
	c->cur_ts = ts;
}

static size_t record_size(size_t len)
{
	size_t aligned = (len + 3) & ~(size_t)3;

	return aligned <= RB_MAX_SMALL_DATA ? 4 + aligned : 8 + aligned;
}

static void encode_record(unsigned char *p, uint32_t delta,
			  const void *payload, size_t len)
{
	size_t aligned = (len + 3) & ~(size_t)3;

	if (aligned <= RB_MAX_SMALL_DATA) {
		put_le32(p, (uint32_t)(aligned / 4) | delta << 5);
		p += 4;
	} else {
		/* type_len 0: the length word counts itself */
		put_le32(p, delta << 5);
		put_le32(p + 4, (uint32_t)aligned + 4);
		p += 8;
	}
	memcpy(p, payload, len);
	memset(p + len, 0, aligned - len);
}

static int check_cpu(struct kmrv_tdat_writer *w, int cpu)
{
	if (w->failed)
		return -1;
	if (cpu < 0 || cpu >= w->nr_cpus)
		return tdat_fail(w, "%s: cpu %d out of range (file has %d)",
				 w->path, cpu, w->nr_cpus);
	return 0;
}

int kmrv_tdat_add_event(struct kmrv_tdat_writer *w, int cpu, uint64_t ts,
			const void *payload, size_t len)
{
	struct tdat_cpu *c;
	size_t need, ext = 0;
	uint64_t delta;

	if (!w || check_cpu(w, cpu))
		return -1;
	c = &w->cpus[cpu];
	if (!len || record_size(len) > w->page_size - PAGE_HDR_SIZE - 8)
		return tdat_fail(w, "%s: cpu %d: record of %zu bytes does not fit a %u-byte page",
				 w->path, cpu, len, w->page_size);
	if (c->entries && ts < c->last_ts)
		return tdat_fail(w, "%s: cpu %d: timestamp %llu goes back before %llu",
				 w->path, cpu, (unsigned long long)ts,
				 (unsigned long long)c->last_ts);

	need = record_size(len);
	delta = c->page_open ? ts - c->cur_ts : 0;
	if (delta > RB_MAX_DELTA)
		ext = 8;
	/*
	 * A new page starts from the event's own timestamp, so its first
	 * record never needs a TIME_EXTEND: kbuffer only reports missed
	 * events on a record at offset 0 of the page.
	 */
	if (c->page_open && (c->used + ext + need > page_capacity(w, c) ||
			     delta > RB_MAX_EXTEND)) {
		if (finish_page(w, cpu))
			return -1;
	}
	if (!c->page_open) {
		open_page(w, c, ts);
		delta = 0;
		ext = 0;
	}
	if (ext) {
		unsigned char *p = c->page + PAGE_HDR_SIZE + c->used;

		put_le32(p, RB_TYPE_TIME_EXTEND |
			 (uint32_t)(delta & RB_MAX_DELTA) << 5);
		put_le32(p + 4, (uint32_t)(delta >> RB_TS_BITS));
		c->used += ext;
		delta = 0;
	}
	encode_record(c->page + PAGE_HDR_SIZE + c->used, (uint32_t)delta,
		      payload, len);
	c->used += need;
	c->cur_ts = ts;
	c->last_ts = ts;
	c->entries++;
	return 0;
}

int kmrv_tdat_add_lost(struct kmrv_tdat_writer *w, int cpu, int64_t count)
{
	struct tdat_cpu *c;

	if (!w || check_cpu(w, cpu))
		return -1;
	c = &w->cpus[cpu];
	if (finish_page(w, cpu))
		return -1;
	/* two gaps with no record between them are one gap */
	if (c->lost_pending && (c->lost_count < 0 || count < 0))
		c->lost_count = -1;
	else
		c->lost_count = (c->lost_pending ? c->lost_count : 0) + count;
	c->lost_pending = true;
	if (count > 0)
		c->lost_known += (uint64_t)count;
	return 0;
}

/*
 * A raw page may follow a gap noted with kmrv_tdat_add_lost(): fold the
 * gap into the page's own flags unless the page already records one.
 */
static void merge_lost(struct kmrv_tdat_writer *w, struct tdat_cpu *c,
		       unsigned char *page)
{
	uint64_t commit = 0;
	uint64_t size;

	for (int i = 7; i >= 0; i--)
		commit = commit << 8 | page[8 + i];
	if (!c->lost_pending || (commit & RB_MISSED_EVENTS))
		goto out;
	size = commit & ((1ULL << RB_TS_BITS) - 1);
	commit |= RB_MISSED_EVENTS;
	if (c->lost_count >= 0 &&
	    PAGE_HDR_SIZE + size + 8 <= w->page_size) {
		commit |= RB_MISSED_STORED;
		put_le64(page + PAGE_HDR_SIZE + size, (uint64_t)c->lost_count);
	}
	put_le64(page + 8, commit);
out:
	c->lost_pending = false;
	c->lost_count = 0;
}

int kmrv_tdat_add_page(struct kmrv_tdat_writer *w, int cpu, const void *page)
{
	struct tdat_cpu *c;

	if (!w || check_cpu(w, cpu))
		return -1;
	c = &w->cpus[cpu];
	if (finish_page(w, cpu))
		return -1;
	if (!c->lost_pending)
		return queue_page(w, cpu, page);
	/* c->page is free here: finish_page() closed it */
	memcpy(c->page, page, w->page_size);
	merge_lost(w, c, c->page);
	return queue_page(w, cpu, c->page);
}

int kmrv_tdat_set_cpu_stats(struct kmrv_tdat_writer *w, int cpu,
			    const char *text)
{
	struct tdat_cpu *c;
	char *s;

	if (!w || check_cpu(w, cpu))
		return -1;
	c = &w->cpus[cpu];
	s = strdup(text ? text : "");
	if (!s)
		return tdat_fail(w, "%s: out of memory", w->path);
	free(c->stats);
	c->stats = s;
	return 0;
}

int kmrv_tdat_set_cmdlines(struct kmrv_tdat_writer *w, const char *text)
{
	bool nomem = false;
	char *s;

	if (!w || w->failed)
		return -1;
	s = dup_or_null(text, &nomem);
	if (nomem)
		return tdat_fail(w, "%s: out of memory", w->path);
	free(w->cmdlines);
	w->cmdlines = s;
	return 0;
}

const char *kmrv_tdat_error(const struct kmrv_tdat_writer *w)
{
	return w && w->failed ? w->err : NULL;
}

/* ---- assembling the file ---------------------------------------------- */

static int ob_flush(struct obuf *ob)
{
	if (ob->w->failed)
		return -1;
	if (write_all(ob->w->fd, ob->buf, ob->len))
		return tdat_fail(ob->w, "%s: %s", ob->w->path, strerror(errno));
	ob->len = 0;
	return 0;
}

static int ob_put(struct obuf *ob, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		size_t n = ob->cap - ob->len;

		if (!n && ob_flush(ob))
			return -1;
		n = ob->cap - ob->len;
		if (n > len)
			n = len;
		memcpy(ob->buf + ob->len, p, n);
		ob->len += n;
		ob->off += n;
		p += n;
		len -= n;
	}
	return ob->w->failed ? -1 : 0;
}

static int ob_u16(struct obuf *ob, uint16_t v)
{
	unsigned char b[2];

	put_le16(b, v);
	return ob_put(ob, b, 2);
}

static int ob_u32(struct obuf *ob, uint32_t v)
{
	unsigned char b[4];

	put_le32(b, v);
	return ob_put(ob, b, 4);
}

static int ob_u64(struct obuf *ob, uint64_t v)
{
	unsigned char b[8];

	put_le64(b, v);
	return ob_put(ob, b, 8);
}

static int ob_zeros(struct obuf *ob, size_t len)
{
	static const unsigned char zero[256];

	while (len) {
		size_t n = len < sizeof(zero) ? len : sizeof(zero);

		if (ob_put(ob, zero, n))
			return -1;
		len -= n;
	}
	return 0;
}

/* A section whose size field is 4 bytes wide (kallsyms, printk). */
static int ob_text4(struct obuf *ob, const char *text)
{
	size_t len = text ? strlen(text) : 0;

	if (len > UINT32_MAX)
		return tdat_fail(ob->w, "%s: section of %zu bytes is too large",
				 ob->w->path, len);
	if (ob_u32(ob, (uint32_t)len))
		return -1;
	return ob_put(ob, text, len);
}

static int ob_text8(struct obuf *ob, const char *text)
{
	size_t len = text ? strlen(text) : 0;

	if (ob_u64(ob, len))
		return -1;
	return ob_put(ob, text, len);
}

static int write_headers(struct obuf *ob)
{
	struct kmrv_tdat_writer *w = ob->w;
	unsigned char b[4];

	put_le32(b, w->page_size);
	if (ob_put(ob, TDAT_MAGIC, 10) ||
	    ob_put(ob, TDAT_VERSION, 2) ||
	    ob_put(ob, "\0\10", 2) ||		/* little endian, long = 8 */
	    ob_put(ob, b, 4))
		return -1;
	if (ob_put(ob, "header_page", 12) || ob_text8(ob, w->header_page))
		return -1;
	return ob_put(ob, "header_event", 13) || ob_text8(ob, w->header_event);
}

static bool is_ftrace(const struct kmrv_tdat_format *f)
{
	return !strcmp(f->system, "ftrace");
}

static int write_ftrace_formats(struct obuf *ob)
{
	struct kmrv_tdat_writer *w = ob->w;
	uint32_t n = 0;

	for (int i = 0; i < w->nr_formats; i++)
		n += is_ftrace(&w->formats[i]);
	if (ob_u32(ob, n))
		return -1;
	for (int i = 0; i < w->nr_formats; i++) {
		if (is_ftrace(&w->formats[i]) &&
		    ob_text8(ob, w->formats[i].text))
			return -1;
	}
	return 0;
}

/* Is @i the first format of its system (so the system is written once)? */
static bool first_of_system(const struct kmrv_tdat_writer *w, int i)
{
	for (int j = 0; j < i; j++) {
		if (!strcmp(w->formats[j].system, w->formats[i].system))
			return false;
	}
	return true;
}

static int write_system(struct obuf *ob, const char *system)
{
	struct kmrv_tdat_writer *w = ob->w;
	uint32_t n = 0;

	for (int i = 0; i < w->nr_formats; i++)
		n += !strcmp(w->formats[i].system, system);
	if (ob_put(ob, system, strlen(system) + 1) || ob_u32(ob, n))
		return -1;
	for (int i = 0; i < w->nr_formats; i++) {
		if (!strcmp(w->formats[i].system, system) &&
		    ob_text8(ob, w->formats[i].text))
			return -1;
	}
	return 0;
}

static int write_event_formats(struct obuf *ob)
{
	struct kmrv_tdat_writer *w = ob->w;
	uint32_t nsys = 0;

	for (int i = 0; i < w->nr_formats; i++)
		nsys += !is_ftrace(&w->formats[i]) && first_of_system(w, i);
	if (ob_u32(ob, nsys))
		return -1;
	for (int i = 0; i < w->nr_formats; i++) {
		if (is_ftrace(&w->formats[i]) || !first_of_system(w, i))
			continue;
		if (write_system(ob, w->formats[i].system))
			return -1;
	}
	return 0;
}

static int write_option(struct obuf *ob, uint16_t id, const char *text)
{
	size_t len = strlen(text) + 1;	/* readers expect the NUL */

	if (ob_u16(ob, id) || ob_u32(ob, (uint32_t)len))
		return -1;
	return ob_put(ob, text, len);
}

/* "CPU: N\n" + the stats file, as trace-cmd record stores it. */
static int write_cpustat(struct obuf *ob, int cpu)
{
	struct kmrv_tdat_writer *w = ob->w;
	struct tdat_cpu *c = &w->cpus[cpu];
	char *text;
	int ret;

	/*
	 * Without the kernel's stats, say what a drained buffer would:
	 * nothing left in it ("entries"), the known losses, what was read.
	 */
	if (c->stats)
		ret = asprintf(&text, "CPU: %d\n%s", cpu, c->stats);
	else
		ret = asprintf(&text, "CPU: %d\nentries: 0\noverrun: %llu\n"
			       "commit overrun: 0\ndropped events: 0\n"
			       "read events: %llu\n", cpu,
			       (unsigned long long)c->lost_known,
			       (unsigned long long)c->entries);
	if (ret < 0)
		return tdat_fail(w, "%s: out of memory", w->path);
	ret = write_option(ob, OPT_CPUSTAT, text);
	free(text);
	return ret;
}

static int write_options(struct obuf *ob)
{
	struct kmrv_tdat_writer *w = ob->w;

	if (ob_put(ob, "options  ", 10))
		return -1;
	for (int cpu = 0; cpu < w->nr_cpus; cpu++) {
		if (write_cpustat(ob, cpu))
			return -1;
	}
	if (w->trace_clock && write_option(ob, OPT_TRACECLOCK, w->trace_clock))
		return -1;
	if (w->uname && write_option(ob, OPT_UNAME, w->uname))
		return -1;
	if (w->version && write_option(ob, OPT_VERSION, w->version))
		return -1;
	return ob_u16(ob, OPT_DONE);
}

/*
 * The selected clock, "[name]": the bracketed word of a trace_clock file,
 * or the whole string when it names a single clock.
 */
static char *selected_clock(const char *trace_clock)
{
	const char *open = strchr(trace_clock, '[');
	const char *close = open ? strchr(open, ']') : NULL;
	char *s;

	if (open && close)
		return strndup(open, (size_t)(close - open + 1));
	if (asprintf(&s, "[%.*s]", (int)strcspn(trace_clock, " \n"),
		     trace_clock) < 0)
		return NULL;
	return s;
}

static uint64_t cpu_data_size(const struct tdat_cpu *c)
{
	return c->spooled + c->buf_len;
}

static int write_flyrecord(struct obuf *ob)
{
	struct kmrv_tdat_writer *w = ob->w;
	uint64_t off, pad;
	char *clock = NULL;

	if (w->trace_clock) {
		clock = selected_clock(w->trace_clock);
		if (!clock)
			return tdat_fail(w, "%s: out of memory", w->path);
	}
	/* where the data starts: after the table, the clock and padding */
	off = ob->off + 10 + 16 * (uint64_t)w->nr_cpus;
	if (clock)
		off += 8 + strlen(clock);
	pad = (w->page_size - off % w->page_size) % w->page_size;
	off += pad;

	if (ob_put(ob, "flyrecord", 10))
		goto fail;
	for (int cpu = 0; cpu < w->nr_cpus; cpu++) {
		uint64_t size = cpu_data_size(&w->cpus[cpu]);

		if (ob_u64(ob, size ? off : 0) || ob_u64(ob, size))
			goto fail;
		off += size;
	}
	if (clock && ob_text8(ob, clock))
		goto fail;
	free(clock);
	return ob_zeros(ob, pad);
fail:
	free(clock);
	return -1;
}

static int copy_spool(struct obuf *ob, int cpu, unsigned char *tmp)
{
	struct kmrv_tdat_writer *w = ob->w;
	struct tdat_cpu *c = &w->cpus[cpu];
	uint64_t left = c->spooled;

	if (c->spool_fd < 0)
		return 0;
	if (lseek(c->spool_fd, 0, SEEK_SET) < 0)
		goto fail;
	while (left) {
		size_t want = left < COPY_BUF_BYTES ? left : COPY_BUF_BYTES;
		ssize_t n = read(c->spool_fd, tmp, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* the spool shrank under us */
			goto fail;
		}
		if (ob_put(ob, tmp, (size_t)n))
			return -1;
		left -= (uint64_t)n;
	}
	return 0;
fail:
	return tdat_fail(w, "%s: reading cpu %d spool: %s", w->path, cpu,
			 strerror(errno));
}

static int write_cpu_data(struct obuf *ob)
{
	struct kmrv_tdat_writer *w = ob->w;
	unsigned char *tmp = malloc(COPY_BUF_BYTES);
	int ret = 0;

	if (!tmp)
		return tdat_fail(w, "%s: out of memory", w->path);
	for (int cpu = 0; cpu < w->nr_cpus && !ret; cpu++) {
		struct tdat_cpu *c = &w->cpus[cpu];

		ret = copy_spool(ob, cpu, tmp);
		if (!ret)
			ret = ob_put(ob, c->buf, c->buf_len);
	}
	free(tmp);
	return ret;
}

static int assemble(struct kmrv_tdat_writer *w)
{
	struct obuf ob = { .w = w, .cap = SPOOL_BUF_BYTES };
	int ret = -1;

	ob.buf = malloc(ob.cap);
	if (!ob.buf)
		return tdat_fail(w, "%s: out of memory", w->path);
	if (write_headers(&ob) || write_ftrace_formats(&ob) ||
	    write_event_formats(&ob) ||
	    ob_text4(&ob, w->kallsyms) || ob_text4(&ob, w->printk) ||
	    ob_text8(&ob, w->cmdlines) ||
	    ob_u32(&ob, (uint32_t)w->nr_cpus) ||
	    write_options(&ob) || write_flyrecord(&ob) ||
	    write_cpu_data(&ob) || ob_flush(&ob))
		goto out;
	ret = 0;
out:
	free(ob.buf);
	return ret;
}

/* ---- life cycle ------------------------------------------------------- */

/* The kernel's header_page for 8-byte longs and @page_size pages. */
static char *default_header_page(unsigned int page_size)
{
	char *s;

	if (asprintf(&s,
		     "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
		     "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
		     "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
		     "\tfield: char data;\toffset:16;\tsize:%u;\tsigned:0;\n",
		     page_size - PAGE_HDR_SIZE) < 0)
		return NULL;
	return s;
}

static const char default_header_event[] =
	"# compressed entry header\n"
	"\ttype_len    :    5 bits\n"
	"\ttime_delta  :   27 bits\n"
	"\tarray       :   32 bits\n"
	"\n"
	"\tpadding     : type == 29\n"
	"\ttime_extend : type == 30\n"
	"\ttime_stamp : type == 31\n"
	"\tdata max type_len  == 28\n";

static int copy_formats(struct kmrv_tdat_writer *w,
			const struct kmrv_tdat_meta *meta)
{
	if (!meta->nr_formats)
		return 0;
	w->formats = calloc((size_t)meta->nr_formats, sizeof(*w->formats));
	if (!w->formats)
		return -1;
	w->nr_formats = meta->nr_formats;
	for (int i = 0; i < meta->nr_formats; i++) {
		w->formats[i].system = strdup(meta->formats[i].system);
		w->formats[i].text = strdup(meta->formats[i].text);
		if (!w->formats[i].system || !w->formats[i].text)
			return -1;
	}
	return 0;
}

static int copy_meta(struct kmrv_tdat_writer *w,
		     const struct kmrv_tdat_meta *meta)
{
	bool nomem = false;

	w->header_page = meta->header_page ? strdup(meta->header_page) :
			 default_header_page(w->page_size);
	w->header_event = strdup(meta->header_event ? meta->header_event :
				 default_header_event);
	if (!w->header_page || !w->header_event)
		return -1;
	w->kallsyms = dup_or_null(meta->kallsyms, &nomem);
	w->printk = dup_or_null(meta->printk, &nomem);
	w->cmdlines = dup_or_null(meta->cmdlines, &nomem);
	w->trace_clock = dup_or_null(meta->trace_clock, &nomem);
	w->uname = dup_or_null(meta->uname, &nomem);
	w->version = dup_or_null(meta->version, &nomem);
	if (nomem)
		return -1;
	return copy_formats(w, meta);
}

static int alloc_cpus(struct kmrv_tdat_writer *w)
{
	w->buf_pages = SPOOL_BUF_BYTES / w->page_size;
	if (!w->buf_pages)
		w->buf_pages = 1;
	w->cpus = calloc((size_t)w->nr_cpus, sizeof(*w->cpus));
	if (!w->cpus)
		return -1;
	for (int i = 0; i < w->nr_cpus; i++) {
		struct tdat_cpu *c = &w->cpus[i];

		c->spool_fd = -1;
		c->page = malloc(w->page_size);
		c->buf = malloc(w->buf_pages * w->page_size);
		if (!c->page || !c->buf)
			return -1;
	}
	return 0;
}

static int check_meta(const char *path, const struct kmrv_tdat_meta *meta,
		      char *err, size_t errlen)
{
	unsigned int ps = meta ? meta->page_size : 0;
	char msg[512];

	if (!meta || meta->nr_cpus <= 0 || meta->nr_cpus > 65536)
		snprintf(msg, sizeof(msg), "%s: invalid number of cpus", path);
	else if (ps < 256 || ps > (1U << 24) || (ps & (ps - 1)))
		snprintf(msg, sizeof(msg),
			 "%s: page size %u is not a power of two in [256, 16M]",
			 path, ps);
	else if (meta->nr_formats < 0 || (meta->nr_formats && !meta->formats))
		snprintf(msg, sizeof(msg), "%s: invalid format list", path);
	else
		return 0;
	put_err(err, errlen, msg);
	return -1;
}

/*
 * Spools go beside a regular output so the final copy stays on one file
 * system; a device or pipe output (/dev/stdout, /dev/full) has no such
 * place, so they go to $TMPDIR.
 */
static char *spool_dir_for(const char *path, bool regular)
{
	const char *slash = strrchr(path, '/');
	const char *tmp = getenv("TMPDIR");

	if (!regular)
		return strdup(tmp && *tmp ? tmp : "/tmp");
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int open_output(struct kmrv_tdat_writer *w, char *err, size_t errlen)
{
	struct stat st;
	char msg[512];

	w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0 || fstat(w->fd, &st) < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", w->path, strerror(errno));
		put_err(err, errlen, msg);
		return -1;
	}
	/* only ever unlink a regular file: never /dev/full or a FIFO */
	w->remove_on_error = S_ISREG(st.st_mode);
	w->spool_dir = spool_dir_for(w->path, w->remove_on_error);
	if (!w->spool_dir) {
		snprintf(msg, sizeof(msg), "%s: out of memory", w->path);
		put_err(err, errlen, msg);
		return -1;
	}
	return 0;
}

static void release(struct kmrv_tdat_writer *w)
{
	for (int i = 0; w->cpus && i < w->nr_cpus; i++) {
		struct tdat_cpu *c = &w->cpus[i];

		if (c->spool_fd >= 0)
			close(c->spool_fd);
		if (c->spool_path)
			unlink(c->spool_path);
		free(c->spool_path);
		free(c->page);
		free(c->buf);
		free(c->stats);
	}
	for (int i = 0; w->formats && i < w->nr_formats; i++) {
		free((char *)w->formats[i].system);
		free((char *)w->formats[i].text);
	}
	free(w->formats);
	free(w->cpus);
	free(w->header_page);
	free(w->header_event);
	free(w->kallsyms);
	free(w->printk);
	free(w->cmdlines);
	free(w->trace_clock);
	free(w->uname);
	free(w->version);
	free(w->spool_dir);
	free(w->path);
	free(w);
}

static void discard_output(struct kmrv_tdat_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->remove_on_error)
		unlink(w->path);
}

struct kmrv_tdat_writer *kmrv_tdat_create(const char *path,
					  const struct kmrv_tdat_meta *meta,
					  char *err, size_t errlen)
{
	struct kmrv_tdat_writer *w;
	char msg[512];

	if (!path) {
		put_err(err, errlen, "(null): no output path");
		return NULL;
	}
	if (check_meta(path, meta, err, errlen))
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto nomem;
	w->fd = -1;
	w->nr_cpus = meta->nr_cpus;
	w->page_size = meta->page_size;
	w->path = strdup(path);
	if (!w->path || copy_meta(w, meta) || alloc_cpus(w))
		goto nomem_free;
	if (open_output(w, err, errlen)) {
		discard_output(w);
		release(w);
		return NULL;
	}
	return w;

nomem_free:
	release(w);
nomem:
	snprintf(msg, sizeof(msg), "%s: out of memory", path);
	put_err(err, errlen, msg);
	return NULL;
}

static int flush_cpus(struct kmrv_tdat_writer *w)
{
	for (int cpu = 0; cpu < w->nr_cpus; cpu++) {
		struct tdat_cpu *c = &w->cpus[cpu];

		/*
		 * A gap at the very end still gets its page, empty but
		 * flagged, so the loss is in the file even if no reader
		 * will attach it to a record.
		 */
		if (c->lost_pending && !c->page_open)
			open_page(w, c, c->last_ts);
		if (finish_page(w, cpu))
			return -1;
	}
	return 0;
}

int kmrv_tdat_close(struct kmrv_tdat_writer *w, char *err, size_t errlen)
{
	int ret = -1;

	if (!w) {
		put_err(err, errlen, "(null): no writer");
		return -1;
	}
	if (w->failed || flush_cpus(w) || assemble(w))
		goto out;
	if (w->remove_on_error && fsync(w->fd) && errno != EINVAL) {
		tdat_fail(w, "%s: %s", w->path, strerror(errno));
		goto out;
	}
	if (close(w->fd)) {
		w->fd = -1;
		tdat_fail(w, "%s: %s", w->path, strerror(errno));
		goto out;
	}
	w->fd = -1;
	ret = 0;
out:
	if (ret) {
		put_err(err, errlen, w->err);
		discard_output(w);
	}
	release(w);
	return ret;
}

void kmrv_tdat_abort(struct kmrv_tdat_writer *w)
{
	if (!w)
		return;
	discard_output(w);
	release(w);
}
