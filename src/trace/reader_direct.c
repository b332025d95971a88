// SPDX-License-Identifier: GPL-2.0
/*
 * reader_direct.c - trace.dat by direct page decoding (the default reader).
 *
 * The file is mapped for its headers (direct_file.c); each CPU of each
 * buffer is a stream of ring-buffer pages, read a window at a time with
 * pread, or inflated one chunk at a time for compressed v7 files, so
 * memory is a window or a chunk per CPU whatever the trace length. A
 * binary heap merges the streams by (timestamp, rank): about 5 ns an
 * event with 2 CPUs in the bench profile, so there is no special case for
 * few CPUs. The rank orders CPUs first and buffers second: equal
 * timestamps go to the lowest CPU, as trace-cmd report and the
 * libtracecmd backend order them.
 *
 * The page loop is hand-written rather than libtraceevent's kbuffer
 * because it is measurably faster (3 ns against 20 ns per record walking
 * the pages of a 1M-record CPU of the bench trace: kbuffer calls through
 * function pointers for every 4-byte read); it follows kbuffer's
 * rules exactly, including which record carries a page's missed-events
 * mark (only one at offset 0 of the page data), so both backends yield
 * the same stream. libtraceevent still parses the event formats; field
 * offsets are resolved once per tracepoint and read by offset here.
 *
 * kallsyms and saved cmdlines are parsed on first use (comm, symbolize,
 * or a fork/exec event that renames a task), so a check starts streaming
 * after a few hundred microseconds instead of the 0.2 s a full kallsyms
 * costs libtracecmd at open; kallsyms then goes through a fast parser
 * (direct_ksyms.c) with libtraceevent's lookup rules.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event-parse.h>

#include "backend.h"
#include "direct.h"
#include "trace_util.h"

#define MAX_CHUNK		(256U << 20)

/* Ring-buffer record types (kernel/trace/ring_buffer.c, kbuffer.h). */
#define RB_TYPE_PADDING		29
#define RB_TYPE_TIME_EXTEND	30
#define RB_TYPE_TIME_STAMP	31
#define RB_TS_SHIFT		27
#define RB_TS_MSB		(0xf8ULL << 56)
#define RB_COMMIT_MASK		((1U << 27) - 1)
#define RB_MISSED_EVENTS	(1ULL << 31)
#define RB_MISSED_STORED	(1ULL << 30)

/*
 * Where one field lies in a record; size 0: the event has no such field.
 * Numbers are read as 8 bytes and masked to the field's size: every
 * buffer a record lives in has READ_SLACK bytes after its end.
 */
struct dfield {
	uint16_t	offset;
	uint16_t	size;
	uint32_t	flags;		/* TEP_FIELD_IS_* for text fields */
	uint64_t	mask;		/* 0 for sizes tep_read_number() rejects */
};

#define READ_SLACK	8

struct dtp {
	struct dfield	ptr, call_site, bytes_req, bytes_alloc;
	struct dfield	child_pid, text;
	/* a record this long holds common_pid and the four above */
	uint32_t	whole;
};

/* One CPU of one buffer. */
struct dstream {
	/* the head record, the next this stream delivers */
	uint64_t	ts;
	uint32_t	rank;		/* merge order among equal timestamps */
	int		missed;		/* kbuffer_missed_events() of the head */
	const uint8_t	*rec;
	uint32_t	rec_len;

	/* the page being read */
	const uint8_t	*data;		/* page data (after the header) */
	uint32_t	size;		/* commit: data bytes */
	uint32_t	next;		/* offset of the next record header */
	uint32_t	cap;		/* page_size - header: reads stay inside */
	uint64_t	page_ts;	/* running timestamp (kbuffer's) */
	int		page_lost;	/* the page's missed count, -1 unknown */

	/* where pages come from: the read window, or the inflated chunk */
	const uint8_t	*pages;
	uint64_t	pages_len, page_off;
	uint32_t	page_size;
	int		cpu;

	/* uncompressed: the CPU's extent, read a window at a time */
	uint64_t	file_off, file_end;
	uint8_t		*win;
	uint32_t	win_size;

	/* compressed v7: remaining chunks in the file, one inflated */
	int		compressed;
	uint32_t	z_left;
	uint8_t		*zin;		/* the compressed chunk */
	uint32_t	zin_cap;
	uint8_t		*zbuf;		/* the inflated chunk */
	uint32_t	zcap;
};

/*
 * A task's new name from a fork or exec, waiting to be applied until a
 * name is asked for (apply_renames). @comm: an exec's file name cut as
 * the kernel cuts it, or a fork's child_comm whole (a char[16] field).
 */
#define RENAMES_MAX	4096
#define RENAME_COMM_LEN	64

struct rename {
	int		pid;
	char		comm[RENAME_COMM_LEN];
};

struct direct_reader {
	struct dfile		f;
	struct tep_handle	*tep;
	int			hdr_size;	/* page header: ts + commit */
	int			commit_size;

	uint8_t			*tp_of_id;	/* id -> enum kmrv_tp + 1 */
	int			max_id;
	unsigned int		has_tp;
	struct dtp		tps[KMRV_TP__COUNT];
	struct dfield		common_type, common_pid;

	int			nr_streams;
	struct dstream		*streams;
	struct dstream		**heap;		/* live streams, min at [0] */
	int			heap_len;
	struct dstream		*pending;	/* its LOST was told; record next */

	int			cmdlines_done, kallsyms_done;
	struct rename		*renames;	/* [RENAMES_MAX], not yet applied */
	int			nr_renames;
	struct dksyms		ksyms;
	char			text[KMRV_TEXT_MAX];
	char			err[512];
};

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* A field as tep_read_number() reads it (sizes 1, 2, 4, 8; else 0). */
static inline uint64_t rdn(const uint8_t *p, unsigned int size)
{
	switch (size) {
	case 8:
		return rd64(p);
	case 4:
		return rd32(p);
	case 2:
		return (uint16_t)(p[0] | p[1] << 8);
	case 1:
		return p[0];
	default:
		return 0;
	}
}

/* ---- formats -------------------------------------------------------------- */

static void set_field(struct dfield *d, struct tep_format_field *f)
{
	if (!f || f->offset < 0 || f->size < 0 || f->offset > 0xffff ||
	    f->size > 0xffff)
		return;
	d->offset = (uint16_t)f->offset;
	d->size = (uint16_t)f->size;
	d->flags = f->flags;
	switch (d->size) {
	case 1: case 2: case 4:
		d->mask = (1ULL << (8 * d->size)) - 1;
		break;
	case 8:
		d->mask = ~0ULL;
		break;
	}
	/* a present field of size 0 ("char buf[]") must still be seen */
	if (!d->size && !(f->flags & TEP_FIELD_IS_DYNAMIC))
		d->flags |= 1u << 31;
}

static inline uint32_t field_end(const struct dfield *f)
{
	return (uint32_t)f->offset + f->size;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static void resolve_fields(struct direct_reader *r, enum kmrv_tp tp,
			   struct tep_event *event)
{
	struct dtp *d = &r->tps[tp];

	set_field(&d->ptr, tep_find_field(event, "ptr"));
	set_field(&d->call_site, tep_find_field(event, "call_site"));
	set_field(&d->bytes_req, tep_find_field(event, "bytes_req"));
	set_field(&d->bytes_alloc, tep_find_field(event, "bytes_alloc"));
	switch (tp) {
	case KMRV_TP_FORK:
		set_field(&d->child_pid, tep_find_field(event, "child_pid"));
		set_field(&d->text, tep_find_field(event, "child_comm"));
		break;
	case KMRV_TP_EXEC:
		set_field(&d->text, tep_find_field(event, "filename"));
		break;
	case KMRV_TP_MARKER:
		set_field(&d->text, tep_find_field(event, "buf"));
		break;
	default:
		break;
	}
	if (!r->common_type.size) {
		set_field(&r->common_type, tep_find_common_field(event, "common_type"));
		set_field(&r->common_pid, tep_find_common_field(event, "common_pid"));
	}
	d->whole = field_end(&r->common_pid);
	d->whole = max_u32(d->whole, field_end(&d->ptr));
	d->whole = max_u32(d->whole, field_end(&d->call_site));
	d->whole = max_u32(d->whole, field_end(&d->bytes_req));
	d->whole = max_u32(d->whole, field_end(&d->bytes_alloc));
}

static int map_events(struct direct_reader *r)
{
	struct tep_event *event;
	size_t i;

	for (i = 0; i < trace_nr_known_tps; i++) {
		event = tep_find_event_by_name(r->tep, trace_known_tps[i].system,
					       trace_known_tps[i].name);
		if (event && event->id > r->max_id)
			r->max_id = event->id;
	}
	r->tp_of_id = calloc(r->max_id + 1, 1);
	if (!r->tp_of_id)
		return -1;
	for (i = 0; i < trace_nr_known_tps; i++) {
		event = tep_find_event_by_name(r->tep, trace_known_tps[i].system,
					       trace_known_tps[i].name);
		if (!event || event->id < 0)
			continue;
		r->tp_of_id[event->id] = trace_known_tps[i].tp + 1;
		r->has_tp |= 1u << trace_known_tps[i].tp;
		resolve_fields(r, trace_known_tps[i].tp, event);
	}
	return 0;
}

static int has_kmem(const struct direct_reader *r)
{
	for (int tp = KMRV_TP_KMALLOC; tp <= KMRV_TP_CACHE_FREE; tp++)
		if (r->has_tp & (1u << tp))
			return 1;
	return 0;
}

/* ---- pages ------------------------------------------------------------------ */

static int corrupt(struct direct_reader *r, const struct dstream *s,
		   const char *what)
{
	trace_set_err(r->err, sizeof(r->err), r->f.path,
		"truncated or corrupt trace.dat (cpu %d: %s)", s->cpu, what);
	return -1;
}

/*
 * Make @buf hold @len bytes and the read slack; its old contents are not
 * kept (every caller refills it). Cache-line aligned because pread's
 * kernel copy is that sensitive to its destination: into a malloc'd
 * buffer (16 bytes past a page) the 896 MB of the 20M bench trace took
 * 0.47-0.66 s to copy, into an aligned one 0.09 s, whatever the source
 * offset (bench machine, 256 KiB windows).
 */
#define BUF_ALIGN	64

static int reserve(uint8_t **buf, uint32_t *cap, uint32_t len)
{
	uint8_t *p;

	if (len <= *cap)
		return 0;
	/* aligned_alloc wants a multiple of the alignment */
	p = aligned_alloc(BUF_ALIGN, ((size_t)len + READ_SLACK + BUF_ALIGN - 1) &
				     ~(size_t)(BUF_ALIGN - 1));
	if (!p)
		return -1;
	memset(p + len, 0, READ_SLACK);
	free(*buf);
	*buf = p;
	*cap = len;
	return 0;
}

static int read_at(struct direct_reader *r, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(r->f.fd, (char *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Inflate the next chunk into s->zbuf; 0, 1 at the end, -1 on error. */
static int next_chunk(struct direct_reader *r, struct dstream *s)
{
	uint8_t head[8];
	uint32_t clen, ulen;

	if (!s->z_left)
		return 1;
	if (s->file_off + 8 > s->file_end || read_at(r, head, 8, s->file_off))
		return corrupt(r, s, "chunk header past the data");
	clen = rd32(head);
	ulen = rd32(head + 4);
	if (clen > s->file_end - s->file_off - 8 || ulen > MAX_CHUNK || clen > MAX_CHUNK)
		return corrupt(r, s, "chunk size");
	if (reserve(&s->zbuf, &s->zcap, ulen) || reserve(&s->zin, &s->zin_cap, clen))
		return corrupt(r, s, "out of memory for a chunk");
	if (read_at(r, s->zin, clen, s->file_off + 8))
		return corrupt(r, s, "chunk past the end of the file");
	if (dfile_decompress(&r->f, s->zin, clen, s->zbuf, ulen))
		return corrupt(r, s, "chunk does not decompress");
	s->file_off += 8 + (uint64_t)clen;
	s->z_left--;
	s->pages = s->zbuf;
	s->pages_len = ulen;
	s->page_off = 0;
	return 0;
}

/*
 * Read the next window of an uncompressed extent. pread into a small
 * buffer rather than reading the mapping in place: measurably faster
 * (6 ms against 58 ms of page faults for 93 MB on the bench machine)
 * and the file's pages never count in our RSS.
 */
static int next_window(struct direct_reader *r, struct dstream *s)
{
	uint64_t len = s->file_end - s->file_off;

	if (!len)
		return 1;
	if (len > s->win_size)
		len = s->win_size;
	if (read_at(r, s->win, len, s->file_off))
		return corrupt(r, s, "read error");
	s->file_off += len;
	s->pages = s->win;
	s->pages_len = len;
	s->page_off = 0;
	return 0;
}

/*
 * Load the next page with data (kbuffer_load_subbuffer). Returns 0, 1 at
 * the end of the stream, -1 on a damaged page.
 */
static int next_page(struct direct_reader *r, struct dstream *s)
{
	const uint8_t *p;
	uint64_t avail, commit;
	int ret;

	while (s->page_off >= s->pages_len) {
		ret = s->compressed ? next_chunk(r, s) : next_window(r, s);
		if (ret)
			return ret;
	}
	p = s->pages + s->page_off;
	avail = s->pages_len - s->page_off;
	if (avail > s->page_size)
		avail = s->page_size;
	if (avail < (uint64_t)r->hdr_size)
		return corrupt(r, s, "page header past the data");
	s->page_off += s->page_size;
	commit = r->commit_size == 8 ? rd64(p + 8) : rd32(p + 8);
	s->data = p + r->hdr_size;
	s->cap = (uint32_t)(avail - r->hdr_size);
	s->size = (uint32_t)commit & RB_COMMIT_MASK;
	s->next = 0;
	s->page_ts = rd64(p);
	s->page_lost = 0;
	if (s->size > s->cap)
		return corrupt(r, s, "page commit larger than the page");
	if (commit & RB_MISSED_EVENTS) {
		s->page_lost = -1;
		if (commit & RB_MISSED_STORED) {
			if (s->size + r->commit_size > s->cap)
				return corrupt(r, s, "lost count past the page");
			/* kbuffer reads a long; libtracecmd keeps an int */
			s->page_lost = (int)(r->commit_size == 8 ?
				rd64(s->data + s->size) : rd32(s->data + s->size));
		}
	}
	return 0;
}

/* The data record at @body, @len bytes, its header @hdr at s->next: the head. */
static inline __attribute__((always_inline))
void take_record(struct dstream *s, uint32_t hdr, uint32_t body, uint32_t len)
{
	s->page_ts += hdr >> 5;
	s->missed = s->next == 0 ? s->page_lost : 0;
	s->rec = s->data + body;
	s->rec_len = len;
	s->next = body + len;
	s->ts = s->page_ts;
}

/*
 * Step to the next data record (kbuffer's __next_event + update_pointers):
 * time extends, absolute stamps and padding move the clock and are
 * skipped. Returns 0 with the head set, 1 at the end of the stream, -1 if
 * a record does not fit its page. Every case; stream_advance() inlines
 * the usual one.
 */
static __attribute__((noinline))
int stream_advance_any(struct direct_reader *r, struct dstream *s)
{
	for (;;) {
		uint32_t curr = s->next, hdr, type, len;
		const uint8_t *p;
		uint64_t ext;

		if (curr >= s->size) {
			int ret = next_page(r, s);

			if (ret)
				return ret;
			continue;
		}
		if (curr + 4 > s->cap)
			return corrupt(r, s, "record header past the page");
		p = s->data + curr;
		hdr = rd32(p);
		type = hdr & 31;
		if (type >= 1 && type <= 28) {
			len = type * 4;
			curr += 4;
		} else if (curr + 8 > s->cap) {
			return corrupt(r, s, "record header past the page");
		} else if (type == 0) {
			len = rd32(p + 4);
			if (len < 4)
				return corrupt(r, s, "record length");
			len = (len - 4 + 3) & ~3u;
			curr += 8;
		} else if (type == RB_TYPE_PADDING) {
			len = rd32(p + 4);
			s->page_ts += hdr >> 5;
			if (len > s->cap)
				return corrupt(r, s, "padding length");
			s->next = curr + 4 + len;
			continue;
		} else {
			ext = ((uint64_t)rd32(p + 4) << RB_TS_SHIFT) + (hdr >> 5);
			if (type == RB_TYPE_TIME_STAMP)
				s->page_ts = ext | (s->page_ts & RB_TS_MSB);
			else
				s->page_ts += ext;
			s->next = curr + 8;
			continue;
		}
		if (len > s->cap - curr)
			return corrupt(r, s, "record past the page");
		take_record(s, hdr, curr, len);
		return 0;
	}
}

/*
 * stream_advance_any() for the record nearly every step meets, inlined
 * into the merge: a data record of up to 112 bytes, length in its
 * header, whole in the current page. The calls, with their register
 * saves, were a quarter of the reader's instructions (callgrind, real
 * recording).
 */
static inline __attribute__((always_inline))
int stream_advance(struct direct_reader *r, struct dstream *s)
{
	uint32_t curr = s->next, hdr, type, len;

	if (curr < s->size && curr + 4 <= s->cap) {
		hdr = rd32(s->data + curr);
		type = hdr & 31;
		len = type * 4;
		if (type >= 1 && type <= 28 && len <= s->cap - curr - 4) {
			take_record(s, hdr, curr + 4, len);
			return 0;
		}
	}
	return stream_advance_any(r, s);
}

/* The file's clock to ns, as libtracecmd's timestamp_calc() does it. */
static inline uint64_t ts_calc(const struct direct_reader *r, uint64_t ts)
{
	if (r->f.tsc_mult)
		ts = (uint64_t)(((unsigned __int128)ts * r->f.tsc_mult) >> r->f.tsc_shift);
	return ts + (uint64_t)r->f.ts_offset;
}

/* ---- merge ------------------------------------------------------------------ */

static inline int before(const struct dstream *a, const struct dstream *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->rank < b->rank);
}

static __attribute__((noinline))
void sift_down(struct direct_reader *r, int i)
{
	struct dstream **h = r->heap;
	int n = r->heap_len;

	for (;;) {
		int l = 2 * i + 1, m = i;

		if (l < n && before(h[l], h[m]))
			m = l;
		if (l + 1 < n && before(h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		struct dstream *t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* The top stream moved on: restore the heap, dropping it if it ended. */
static inline __attribute__((always_inline))
int heap_refresh(struct direct_reader *r)
{
	struct dstream *s = r->heap[0];
	int ret = stream_advance(r, s);

	if (ret < 0)
		return -1;
	if (ret > 0)
		r->heap[0] = r->heap[--r->heap_len];
	else
		s->ts = ts_calc(r, s->ts);
	if (r->heap_len == 2) {
		/* the usual trace, two CPUs: one compare, not a call */
		struct dstream *top = r->heap[0];

		if (before(r->heap[1], top)) {
			r->heap[0] = r->heap[1];
			r->heap[1] = top;
		}
	} else if (r->heap_len > 2) {
		sift_down(r, 0);
	}
	return 0;
}

static int rank_cmp(const void *a, const void *b)
{
	const struct dstream *x = a, *y = b;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return (x->rank > y->rank) - (x->rank < y->rank);
}

/* A whole number of pages, about 4 MiB over all streams, 16..256 KiB each. */
static uint32_t window_size(const struct direct_reader *r, uint32_t page_size)
{
	uint64_t w = (4ULL << 20) / (r->f.top.nr_cpus ? r->f.top.nr_cpus : 1);

	if (w > 256 << 10)
		w = 256 << 10;
	if (w < 16 << 10)
		w = 16 << 10;
	w -= w % page_size;
	return (uint32_t)(w ? w : page_size);
}

static int add_buffer(struct direct_reader *r, const struct dbuffer *b,
		      int buffer_no)
{
	for (int i = 0; i < b->nr_cpus; i++) {
		const struct dcpu *c = &b->cpus[i];
		struct dstream *s;

		/* libtracecmd reads CPUs below the file's CPU count only */
		if (c->cpu >= r->f.nr_cpus || !c->size)
			continue;
		s = &r->streams[r->nr_streams++];
		memset(s, 0, sizeof(*s));
		s->cpu = c->cpu;
		s->rank = (uint32_t)buffer_no;
		s->page_size = b->page_size;
		if (r->f.comp != DCOMP_NONE) {
			/* the size trace-cmd stores leaves out the chunk count */
			s->compressed = 1;
			s->file_off = c->offset + 4;
			s->file_end = c->offset + 4 + c->size;
			if (s->file_end > r->f.size)
				return -1;
			s->z_left = rd32(r->f.map + c->offset);
		} else {
			s->file_off = c->offset;
			s->file_end = c->offset + c->size;
			uint32_t cap = 0;

			s->win_size = window_size(r, b->page_size);
			if (reserve(&s->win, &cap, s->win_size))
				return -1;
		}
	}
	return 0;
}

static int open_streams(struct direct_reader *r, char *err, size_t errlen)
{
	int total = r->f.top.nr_cpus;

	for (int i = 0; i < r->f.nr_buffers; i++)
		total += r->f.buffers[i].nr_cpus;
	r->streams = calloc(total ? total : 1, sizeof(*r->streams));
	r->heap = calloc(total ? total : 1, sizeof(*r->heap));
	if (!r->streams || !r->heap)
		goto nomem;
	if (add_buffer(r, &r->f.top, 0))
		goto bad;
	for (int i = 0; i < r->f.nr_buffers; i++)
		if (add_buffer(r, &r->f.buffers[i], i + 1))
			goto bad;
	/* rank: CPU first, then the buffer's place in the file */
	qsort(r->streams, r->nr_streams, sizeof(*r->streams), rank_cmp);
	for (int i = 0; i < r->nr_streams; i++) {
		struct dstream *s = &r->streams[i];
		int ret;

		s->rank = (uint32_t)i;
		ret = stream_advance(r, s);
		if (ret < 0) {
			snprintf(err, errlen, "%s", r->err);
			return -1;
		}
		if (ret > 0)
			continue;
		s->ts = ts_calc(r, s->ts);
		r->heap[r->heap_len++] = s;
	}
	for (int i = r->heap_len / 2 - 1; i >= 0; i--)
		sift_down(r, i);
	return 0;
nomem:
	trace_set_err(err, errlen, r->f.path, "out of memory");
	return -1;
bad:
	trace_set_err(err, errlen, r->f.path, "truncated or corrupt trace.dat (CPU data)");
	return -1;
}

/* ---- comm and symbols, parsed on first use --------------------------------- */

static void load_cmdlines(struct direct_reader *r)
{
	char *text;

	if (r->cmdlines_done)
		return;
	r->cmdlines_done = 1;
	text = dfile_lazy_text(&r->f, &r->f.cmdlines);
	if (text)
		tep_parse_saved_cmdlines(r->tep, text);
	free(text);
}

static void load_kallsyms(struct direct_reader *r)
{
	const char *text;
	char *owned;
	size_t len;

	if (r->kallsyms_done)
		return;
	r->kallsyms_done = 1;
	text = dfile_lazy_view(&r->f, &r->f.kallsyms, &len, &owned);
	if (text && dksyms_parse(&r->ksyms, text, len, owned))
		dksyms_free(&r->ksyms);
}

/* ---- events ----------------------------------------------------------------- */

/* A field the record is too short for reads as 0, unless it is @whole. */
static inline __attribute__((always_inline))
uint64_t field_of(const struct dstream *s, const struct dfield *f, bool whole)
{
	if (!whole && field_end(f) > s->rec_len)
		return 0;
	return rd64(s->rec + f->offset) & f->mask;
}

static inline uint64_t field(const struct dstream *s, const struct dfield *f)
{
	return field_of(s, f, false);
}

/*
 * The fields every event has. Called with a constant @whole, so that a
 * record long enough for all of them (every record a kernel writes) is
 * read with one length check instead of one per field: the checks were
 * a third of the reader's instructions (callgrind, real recording).
 */
static inline __attribute__((always_inline))
void decode_common(const struct direct_reader *r, const struct dstream *s,
		   const struct dtp *f, struct kmrv_event *ev, bool whole)
{
	ev->pid = (int32_t)field_of(s, &r->common_pid, whole);
	ev->ptr = field_of(s, &f->ptr, whole);
	ev->call_site = field_of(s, &f->call_site, whole);
	ev->bytes_req = field_of(s, &f->bytes_req, whole);
	ev->bytes_alloc = field_of(s, &f->bytes_alloc, whole);
}

/* Copy a string field (fixed char[] or __data_loc) into r->text. */
static const char *read_text(struct direct_reader *r, const struct dstream *s,
			     const struct dfield *f)
{
	int offset, size;

	r->text[0] = '\0';
	if (!f->size && !f->flags)
		return r->text;
	offset = f->offset;
	size = f->size;
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		unsigned int loc;

		if (field_end(f) > s->rec_len)
			return r->text;
		loc = (unsigned int)rdn(s->rec + f->offset, f->size);
		offset = loc & 0xffff;
		size = loc >> 16;
		if (f->flags & TEP_FIELD_IS_RELATIVE)
			offset += f->offset + f->size;
	} else if (!size) {
		/* "char buf[]" (ftrace:print): the rest of the record */
		size = (int)s->rec_len - offset;
	}
	if (offset < 0 || size < 0 || (uint32_t)offset + size > s->rec_len)
		return r->text;
	if (size >= KMRV_TEXT_MAX)
		size = KMRV_TEXT_MAX - 1;
	memcpy(r->text, s->rec + offset, size);
	r->text[size] = '\0';
	/* trace_marker text ends with the user's newline; drop it */
	size = strlen(r->text);
	while (size > 0 && r->text[size - 1] == '\n')
		r->text[--size] = '\0';
	return r->text;
}

/*
 * The renames so far, in order, onto the saved cmdlines: the names as
 * they are at this point of the trace, as applying each at once would
 * leave them. Deferred because a rename needs the cmdlines parsed
 * first, and libtraceevent's parse was two thirds of reading
 * samples/record-sh-ls.dat (13M of 21M instructions): a reader that is
 * never asked a name, like the lane planner's sample, never pays it.
 */
static void apply_renames(struct direct_reader *r)
{
	load_cmdlines(r);
	for (int i = 0; i < r->nr_renames; i++)
		tep_override_comm(r->tep, r->renames[i].comm, r->renames[i].pid);
	r->nr_renames = 0;
}

/* A fork or exec renames a task, as the libtracecmd backend records it. */
static void rename_task(struct direct_reader *r, struct kmrv_event *ev)
{
	/* the kernel keeps TASK_COMM_LEN - 1 characters of an exec's name */
	size_t len = ev->tp == KMRV_TP_FORK ? RENAME_COMM_LEN : 16;
	struct rename one, *q = &one;
	const char *name = ev->text;

	if (ev->tp == KMRV_TP_EXEC) {
		name = strrchr(ev->text, '/');
		name = name ? name + 1 : ev->text;
	}
	if (!r->renames)
		r->renames = malloc(RENAMES_MAX * sizeof(*r->renames));
	if (!r->renames || r->nr_renames == RENAMES_MAX)
		apply_renames(r);
	if (r->renames)
		q = &r->renames[r->nr_renames++];
	q->pid = ev->tp == KMRV_TP_FORK ? (int)ev->ptr : ev->pid;
	snprintf(q->comm, len, "%s", name);
	if (q == &one)		/* no room to wait: at once */
		tep_override_comm(r->tep, one.comm, one.pid);
}

/* The events that carry text: a name or a marker, set aside on the way. */
#define TEXT_TPS	(1u << KMRV_TP_FORK | 1u << KMRV_TP_EXEC | 1u << KMRV_TP_MARKER)

static __attribute__((noinline))
void decode_text(struct direct_reader *r, const struct dstream *s,
		 enum kmrv_tp tp, struct kmrv_event *ev)
{
	const struct dtp *f = &r->tps[tp];

	switch (tp) {
	case KMRV_TP_FORK:
		ev->ptr = field(s, &f->child_pid);
		ev->text = read_text(r, s, &f->text);
		rename_task(r, ev);
		break;
	case KMRV_TP_EXEC:
		ev->text = read_text(r, s, &f->text);
		rename_task(r, ev);
		break;
	case KMRV_TP_MARKER:
		ev->text = read_text(r, s, &f->text);
		break;
	default:
		break;
	}
}

/* Inlined into the event loop, as stream_advance() is, for the same reason. */
static inline __attribute__((always_inline))
void decode(struct direct_reader *r, const struct dstream *s,
	    enum kmrv_tp tp, struct kmrv_event *ev)
{
	const struct dtp *f = &r->tps[tp];

	ev->ts = s->ts;
	ev->cpu = (uint32_t)s->cpu;
	ev->tp = (uint16_t)tp;
	if (s->rec_len >= f->whole)
		decode_common(r, s, f, ev, true);
	else
		decode_common(r, s, f, ev, false);
	ev->lost = 0;
	ev->text = NULL;
	if (TEXT_TPS >> tp & 1)
		decode_text(r, s, tp, ev);
}

static inline __attribute__((always_inline))
int next_event(void *priv, struct kmrv_event *ev, char *err, size_t errlen)
{
	struct direct_reader *r = priv;
	struct dstream *s;
	unsigned int id;
	int tp;

	for (;;) {
		if (!r->heap_len)
			return 0;
		s = r->heap[0];
		if (s->missed && r->pending != s) {
			/* tell the gap before the record that follows it */
			memset(ev, 0, sizeof(*ev));
			ev->tp = KMRV_TP_LOST;
			ev->ts = s->ts;
			ev->cpu = (uint32_t)s->cpu;
			ev->pid = -1;
			ev->lost = s->missed > 0 ? s->missed : -1;
			r->pending = s;
			return 1;
		}
		r->pending = NULL;
		id = (unsigned int)field(s, &r->common_type);
		tp = (int)id <= r->max_id ? r->tp_of_id[id] - 1 : -1;
		if (tp >= 0)
			decode(r, s, tp, ev);
		if (heap_refresh(r)) {
			snprintf(err, errlen, "%s", r->err);
			return -1;
		}
		if (tp >= 0)
			return 1;
	}
}

static int dr_next(void *priv, struct kmrv_event *ev, char *err, size_t errlen)
{
	return next_event(priv, ev, err, errlen);
}

/* The same loop inlined: a batch costs one call, not one per event. */
static int dr_read(void *priv, struct kmrv_event *ev, int max, char *err,
		   size_t errlen)
{
	return trace_read_loop(priv, ev, max, err, errlen, next_event);
}

/* ---- backend ---------------------------------------------------------------- */

static void dr_close(void *priv)
{
	struct direct_reader *r = priv;

	if (!r)
		return;
	for (int i = 0; i < r->nr_streams; i++) {
		free(r->streams[i].win);
		free(r->streams[i].zin);
		free(r->streams[i].zbuf);
	}
	free(r->streams);
	free(r->heap);
	free(r->tp_of_id);
	free(r->renames);
	dksyms_free(&r->ksyms);
	if (r->tep)
		tep_free(r->tep);
	dfile_close(&r->f);
	free(r);
}

static void *dr_open(const char *path, char *err, size_t errlen)
{
	struct direct_reader *r = calloc(1, sizeof(*r));

	if (!r || !(r->tep = tep_alloc())) {
		trace_set_err(err, errlen, path, "out of memory");
		goto fail;
	}
	if (dfile_open(&r->f, path, r->tep, err, errlen))
		goto fail;
	if (r->f.unsupported) {
		trace_set_err(err, errlen, path,
			"uses a trace.dat feature the direct reader lacks "
			"(try --reader=libtracecmd)");
		dr_close(r);
		errno = ENOTSUP;
		return NULL;
	}
	r->commit_size = tep_get_header_page_size(r->tep);
	if (r->commit_size != 4 && r->commit_size != 8)
		r->commit_size = r->f.long_size;
	r->hdr_size = 8 + r->commit_size;
	if (r->f.nr_cpus <= 0) {
		trace_set_err(err, errlen, path, "trace holds no CPU data");
		goto fail;
	}
	if (map_events(r)) {
		trace_set_err(err, errlen, path, "out of memory");
		goto fail;
	}
	if (!has_kmem(r)) {
		trace_set_err(err, errlen, path,
			"no kmem events in this trace (record kmem:kmalloc and kmem:kfree)");
		goto fail;
	}
	if (open_streams(r, err, errlen))
		goto fail;
	return r;
fail:
	dr_close(r);
	errno = EINVAL;
	return NULL;
}

static int dr_cpus(void *priv)
{
	return ((struct direct_reader *)priv)->f.nr_cpus;
}

static int dr_has_tp(void *priv, enum kmrv_tp tp)
{
	struct direct_reader *r = priv;

	return tp < KMRV_TP__COUNT && (r->has_tp & (1u << tp));
}

static const char *dr_comm(void *priv, int pid)
{
	struct direct_reader *r = priv;

	apply_renames(r);
	if (!tep_is_pid_registered(r->tep, pid))
		return NULL;
	return tep_data_comm_from_pid(r->tep, pid);
}

static const char *dr_symbolize(void *priv, uint64_t addr, char *buf, size_t len)
{
	struct direct_reader *r = priv;
	const struct dsym *sym;

	load_kallsyms(r);
	sym = dksyms_find(&r->ksyms, addr);
	if (sym)
		snprintf(buf, len, "%.*s+0x%llx", (int)sym->len,
			 r->ksyms.text + sym->name,
			 (unsigned long long)(addr - sym->addr));
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
	return buf;
}

const struct trace_backend direct_backend = {
	.name		= "direct",
	.open		= dr_open,
	.next		= dr_next,
	.read		= dr_read,
	.close		= dr_close,
	.cpus		= dr_cpus,
	.has_tp		= dr_has_tp,
	.comm		= dr_comm,
	.symbolize	= dr_symbolize,
};
