// SPDX-License-Identifier: GPL-2.0
/*
 * direct_file.c - map a trace.dat and walk its headers (see direct.h).
 *
 * Layouts: trace-cmd.dat.v6(5) (headers inline, then "options", then
 * "flyrecord" and a per-CPU offset/size table) and trace-cmd.dat.v7(5)
 * (a chain of OPTIONS sections whose options point at the other sections
 * and, per buffer, at each CPU's data). Hand-written rather than taken
 * from libtracecmd because libtracecmd parses all of kallsyms and every
 * event format at open (about 0.2 s on a real file) and inflates whole
 * CPU streams into temporary files; here the map is walked once, only
 * the formats kmrv reads are parsed, and the rest waits until asked for.
 *
 * The file's multi-byte numbers are read as little endian; a big-endian
 * file is left to libtracecmd (f->unsupported).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event-parse.h>
#include <zlib.h>
#include <zstd.h>

#include "direct.h"
#include "format_check.h"
#include "kmrv/bigmem.h"
#include "trace_util.h"

#define MAX_CPUS		8192
#define MAX_SECTION		(1ULL << 30)	/* inflated header sections */
#define MAX_OPTION_SECTIONS	64

/* trace-cmd's option ids (trace-cmd.dat.v7(5)) */
enum {
	OPT_DONE		= 0,
	OPT_DATE		= 1,
	OPT_BUFFER		= 3,
	OPT_OFFSET		= 7,
	OPT_CPUCOUNT		= 8,
	OPT_TIME_SHIFT		= 12,
	OPT_TSC2NSEC		= 14,
	OPT_HEADER_INFO		= 16,
	OPT_FTRACE_EVENTS	= 17,
	OPT_EVENT_FORMATS	= 18,
	OPT_KALLSYMS		= 19,
	OPT_CMDLINES		= 21,
	OPT_BUFFER_TEXT		= 22,
};

#define SEC_FL_COMPRESS		1

/* A bounded reader over the map or an inflated section. */
struct dcur {
	const uint8_t	*p;
	uint64_t	pos, end;
	uint64_t	base;		/* file offset of p[0], for errors */
	uint8_t		*owned;		/* inflated copy to free */
};

static int fail(struct dfile *f, char *err, size_t errlen, const char *what,
		uint64_t off)
{
	snprintf(err, errlen, "%s: truncated or corrupt trace.dat (%s at offset %llu)",
		 f->path, what, (unsigned long long)off);
	return -1;
}

static void cur_map(struct dcur *c, const struct dfile *f, uint64_t pos)
{
	memset(c, 0, sizeof(*c));
	c->p = f->map;
	c->pos = pos;
	c->end = f->size;
}

static const uint8_t *take(struct dcur *c, uint64_t len)
{
	const uint8_t *p;

	if (c->pos > c->end || len > c->end - c->pos)
		return NULL;
	p = c->p + c->pos;
	c->pos += len;
	return p;
}

static int get16(struct dcur *c, uint16_t *v)
{
	const uint8_t *p = take(c, 2);

	if (!p)
		return -1;
	*v = p[0] | p[1] << 8;
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int get32(struct dcur *c, uint32_t *v)
{
	const uint8_t *p = take(c, 4);

	if (!p)
		return -1;
	*v = le32(p);
	return 0;
}

static int get64(struct dcur *c, uint64_t *v)
{
	const uint8_t *p = take(c, 8);

	if (!p)
		return -1;
	*v = le64(p);
	return 0;
}

/* A NUL-terminated string inside the cursor's bounds. */
static const char *get_str(struct dcur *c)
{
	const uint8_t *s = c->p + c->pos;
	const uint8_t *nul;

	if (c->pos >= c->end)
		return NULL;
	nul = memchr(s, '\0', c->end - c->pos);
	if (!nul)
		return NULL;
	c->pos += (uint64_t)(nul - s) + 1;
	return (const char *)s;
}

/* ---- decompression ---------------------------------------------------- */

int dcomp_by_name(const char *name)
{
	if (!strcmp(name, "none"))
		return DCOMP_NONE;
	if (!strcmp(name, "zstd"))
		return DCOMP_ZSTD;
	if (!strcmp(name, "zlib"))
		return DCOMP_ZLIB;
	return -1;
}

int dcomp_inflate(enum dcomp comp, void **zctx, const uint8_t *src, size_t clen,
		  uint8_t *out, size_t ulen)
{
	if (comp == DCOMP_ZSTD) {
		size_t n;

		if (!*zctx && !(*zctx = ZSTD_createDCtx()))
			return -1;
		n = ZSTD_decompressDCtx(*zctx, out, ulen, src, clen);
		return ZSTD_isError(n) || n != ulen ? -1 : 0;
	}
	if (comp == DCOMP_ZLIB) {
		uLongf n = ulen;

		if (uncompress(out, &n, src, clen) != Z_OK || n != ulen)
			return -1;
		return 0;
	}
	return -1;
}

void dcomp_free(void *zctx)
{
	if (zctx)
		ZSTD_freeDCtx(zctx);
}

int dfile_decompress(struct dfile *f, const uint8_t *src, size_t clen,
		     uint8_t *out, size_t ulen)
{
	return dcomp_inflate(f->comp, &f->zctx, src, clen, out, ulen);
}

/*
 * Open v7 section @off (expected id @id) as a cursor over its content,
 * inflated if the section says so.
 */
static int section_open(struct dfile *f, uint64_t off, uint16_t id,
			struct dcur *c)
{
	uint16_t sid, flags;
	uint32_t desc, clen, ulen;
	uint64_t size;
	const uint8_t *src;

	cur_map(c, f, off);
	if (get16(c, &sid) || get16(c, &flags) || get32(c, &desc) ||
	    get64(c, &size) || sid != id)
		return -1;
	if (!(flags & SEC_FL_COMPRESS)) {
		if (size > c->end - c->pos)
			return -1;
		c->base = 0;
		c->end = c->pos + size;
		return 0;
	}
	if (f->comp == DCOMP_NONE || get32(c, &clen) || get32(c, &ulen) ||
	    ulen > MAX_SECTION || !(src = take(c, clen)))
		return -1;
	c->owned = kmrv_big_malloc(ulen);
	if (!c->owned)
		return -1;
	if (dfile_decompress(f, src, clen, c->owned, ulen)) {
		free(c->owned);
		c->owned = NULL;
		return -1;
	}
	c->base = c->pos;
	c->p = c->owned;
	c->pos = 0;
	c->end = ulen;
	return 0;
}

static void cur_release(struct dcur *c)
{
	free(c->owned);
	c->owned = NULL;
}

/* ---- headers and formats ---------------------------------------------- */

static int header_page(struct dfile *f, struct dcur *c, struct tep_handle *tep)
{
	const char *tag = get_str(c);
	const uint8_t *text;
	uint64_t len;
	char *copy;
	int ret;

	if (!tag || strcmp(tag, "header_page") || get64(c, &len) ||
	    !(text = take(c, len)))
		return -1;
	copy = strndup((const char *)text, len);
	if (!copy)
		return -1;
	ret = tep_parse_header_page(tep, copy, len, f->long_size);
	free(copy);
	if (ret)
		return -1;
	tag = get_str(c);
	if (!tag || strcmp(tag, "header_event") || get64(c, &len) || !take(c, len))
		return -1;
	if (tep_get_header_timestamp_size(tep) != 8 || tep_is_old_format(tep))
		f->unsupported = 1;
	return 0;
}

/*
 * One sized format; only those of the events kmrv reads are parsed, and
 * of them only the fields (format_check.h says why), checked first.
 */
static int one_format(struct dfile *f, struct dcur *c, struct tep_handle *tep,
		      const char *system)
{
	const struct known_tp *tp;
	const char *text, *why;
	unsigned int line;
	uint64_t len;

	if (get64(c, &len) || !(text = (const char *)take(c, len)))
		return -1;
	tp = trace_known_format(system, text, len);
	if (!tp)
		return 0;
	len = format_fields_len(text, len);
	why = format_check_fields(text, len, &line);
	if (why) {
		snprintf(f->why, sizeof(f->why), "format of %s:%s, line %u: %s",
			 tp->system, tp->name, line, why);
		return -1;
	}
	tep_parse_event(tep, text, len, system);
	return 0;
}

static int ftrace_formats(struct dfile *f, struct dcur *c, struct tep_handle *tep)
{
	uint32_t nr;

	if (get32(c, &nr))
		return -1;
	for (uint32_t i = 0; i < nr; i++)
		if (one_format(f, c, tep, "ftrace"))
			return -1;
	return 0;
}

static int event_formats(struct dfile *f, struct dcur *c, struct tep_handle *tep)
{
	uint32_t systems, nr;

	if (get32(c, &systems))
		return -1;
	for (uint32_t s = 0; s < systems; s++) {
		const char *sys = get_str(c);

		if (!sys || get32(c, &nr))
			return -1;
		for (uint32_t i = 0; i < nr; i++)
			if (one_format(f, c, tep, sys))
				return -1;
	}
	return 0;
}

/* ---- options ------------------------------------------------------------ */

static int64_t option_number(const uint8_t *data, uint32_t len)
{
	char buf[64];

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, data, len);
	buf[len] = '\0';
	return strtoll(buf, NULL, 0);
}

/* A CPU table entry; the caller checks the extent against the file. */
static int add_cpu(struct dbuffer *b, int cpu, uint64_t off, uint64_t size)
{
	struct dcpu *p = realloc(b->cpus, (b->nr_cpus + 1) * sizeof(*p));

	if (!p)
		return -1;
	b->cpus = p;
	p[b->nr_cpus].cpu = cpu;
	p[b->nr_cpus].offset = off;
	p[b->nr_cpus].size = size;
	b->nr_cpus++;
	return 0;
}

static struct dbuffer *new_buffer(struct dfile *f, const char *name)
{
	struct dbuffer *b;

	if (!*name)
		return &f->top;
	b = realloc(f->buffers, (f->nr_buffers + 1) * sizeof(*b));
	if (!b)
		return NULL;
	f->buffers = b;
	b = &f->buffers[f->nr_buffers++];
	memset(b, 0, sizeof(*b));
	return b;
}

/* v7 BUFFER: offset(8) name clock page_size(4) cpus(4) {cpu(4) off(8) size(8)} */
static int buffer_option_v7(struct dfile *f, const uint8_t *data, uint32_t len)
{
	struct dcur c = { .p = data, .end = len };
	const char *name, *clock;
	struct dbuffer *b;
	uint64_t off, size;
	uint32_t page_size, cpus, cpu;

	if (get64(&c, &off) || !(name = get_str(&c)) || !(clock = get_str(&c)) ||
	    get32(&c, &page_size) || get32(&c, &cpus) || cpus > MAX_CPUS)
		return -1;
	b = new_buffer(f, name);
	if (!b)
		return -1;
	free(b->cpus);
	memset(b, 0, sizeof(*b));
	b->page_size = *name ? page_size : f->page_size;
	for (uint32_t i = 0; i < cpus; i++) {
		if (get32(&c, &cpu) || get64(&c, &off) || get64(&c, &size) ||
		    cpu >= MAX_CPUS || off > f->size || size > f->size - off ||
		    add_cpu(b, (int)cpu, off, size))
			return -1;
	}
	return 0;
}

static int v6_flyrecord(struct dfile *f, struct dcur *c, struct dbuffer *b);

/* v6 BUFFER: offset(8) name; at offset: ["options" ...] "flyrecord" table */
static int buffer_option_v6(struct dfile *f, const uint8_t *data, uint32_t len)
{
	struct dcur c = { .p = data, .end = len };
	const char *name;
	struct dbuffer *b;
	uint64_t off;

	if (get64(&c, &off) || !(name = get_str(&c)))
		return -1;
	if (!*name)
		return 0;
	b = new_buffer(f, name);
	if (!b)
		return -1;
	b->page_size = f->page_size;
	cur_map(&c, f, off);
	return v6_flyrecord(f, &c, b);
}

static int one_option(struct dfile *f, uint16_t id, const uint8_t *data,
		      uint32_t len, uint64_t sec[32])
{
	switch (id) {
	case OPT_DATE:
		f->ts_offset += option_number(data, len) * 1000;
		return 0;
	case OPT_OFFSET:
		f->ts_offset += option_number(data, len);
		return 0;
	case OPT_CPUCOUNT:
		if (len < 4)
			return -1;
		f->nr_cpus = (int)le32(data);
		return 0;
	case OPT_TSC2NSEC:
		if (len < 16)
			return 0;
		f->tsc_mult = le32(data);
		f->tsc_shift = le32(data + 4);
		return 0;
	case OPT_TIME_SHIFT:
		if (len >= 16)
			f->unsupported = 1;	/* guest/host clock sync */
		return 0;
	case OPT_BUFFER:
		return f->version == 7 ? buffer_option_v7(f, data, len)
				       : buffer_option_v6(f, data, len);
	case OPT_BUFFER_TEXT:
		f->unsupported = 1;		/* latency-format buffer */
		return 0;
	case OPT_HEADER_INFO ... OPT_CMDLINES:
		if (len >= 8)
			sec[id - OPT_HEADER_INFO] = le64(data);
		return 0;
	default:
		return 0;
	}
}

/* v6: { id(2) size(4) data } until id 0. */
static int v6_options(struct dfile *f, struct dcur *c)
{
	uint64_t sec[32];
	uint16_t id;
	uint32_t len;
	const uint8_t *data;

	for (;;) {
		if (get16(c, &id))
			return -1;
		if (id == OPT_DONE)
			return 0;
		if (get32(c, &len) || !(data = take(c, len)) ||
		    one_option(f, id, data, len, sec))
			return -1;
	}
}

/* "flyrecord\0" then { offset(8) size(8) } for each of f->nr_cpus. */
static int v6_flyrecord(struct dfile *f, struct dcur *c, struct dbuffer *b)
{
	const uint8_t *tag = take(c, 10);
	uint64_t off, size;

	if (tag && !memcmp(tag, "options  ", 10)) {
		if (v6_options(f, c))
			return -1;
		tag = take(c, 10);
	}
	if (tag && !memcmp(tag, "latency  ", 10)) {
		f->unsupported = 1;
		return 0;
	}
	if (!tag || memcmp(tag, "flyrecord", 10))
		return -1;
	for (int cpu = 0; cpu < f->nr_cpus; cpu++) {
		if (get64(c, &off) || get64(c, &size) ||
		    off > f->size || size > f->size - off ||
		    add_cpu(b, cpu, off, size))
			return -1;
	}
	return 0;
}

static int skip_sized32(struct dcur *c, struct dlazy *l)
{
	uint32_t len;

	if (get32(c, &len))
		return -1;
	if (l) {
		l->offset = c->pos;
		l->len = len;
		l->present = 1;
	}
	return take(c, len) ? 0 : -1;
}

static int parse_v6(struct dfile *f, struct dcur *c, struct tep_handle *tep,
		    const char **what)
{
	uint64_t len;
	uint32_t cpus;
	const uint8_t *tag;

	*what = "headers";
	if (header_page(f, c, tep))
		return -1;
	*what = "event formats";
	if (ftrace_formats(f, c, tep) || event_formats(f, c, tep))
		return -1;
	*what = "kallsyms";
	if (skip_sized32(c, &f->kallsyms))
		return -1;
	*what = "printk formats";
	if (skip_sized32(c, NULL))
		return -1;
	*what = "saved cmdlines";
	if (get64(c, &len))
		return -1;
	f->cmdlines.offset = c->pos;
	f->cmdlines.len = len;
	f->cmdlines.present = 1;
	if (!take(c, len))
		return -1;
	*what = "CPU count";
	if (get32(c, &cpus) || cpus > MAX_CPUS)
		return -1;
	f->nr_cpus = (int)cpus;
	*what = "options";
	tag = c->p + c->pos;
	if (c->end - c->pos >= 10 && !memcmp(tag, "options  ", 10)) {
		take(c, 10);
		if (v6_options(f, c))
			return -1;
	}
	*what = "flyrecord";
	f->top.page_size = f->page_size;
	return v6_flyrecord(f, c, &f->top);
}

/* One v7 OPTIONS section; *@next gets the DONE option's next offset. */
static int v7_options(struct dfile *f, uint64_t off, uint64_t sec[32],
		      uint64_t *next)
{
	struct dcur c;
	uint16_t id;
	uint32_t len;
	const uint8_t *data;
	int ret = -1;

	if (section_open(f, off, OPT_DONE, &c))
		return -1;
	for (;;) {
		if (get16(&c, &id) || get32(&c, &len) || !(data = take(&c, len)))
			goto out;
		if (id == OPT_DONE) {
			*next = len >= 8 ? le64(data) : 0;
			ret = 0;
			goto out;
		}
		if (one_option(f, id, data, len, sec))
			goto out;
	}
out:
	cur_release(&c);
	return ret;
}

static int v7_formats(struct dfile *f, const uint64_t sec[32],
		      struct tep_handle *tep, const char **what)
{
	struct dcur c;
	int ret;

	*what = "header info";
	if (!sec[0] || section_open(f, sec[0], OPT_HEADER_INFO, &c))
		return -1;
	ret = header_page(f, &c, tep);
	cur_release(&c);
	if (ret)
		return -1;
	*what = "ftrace formats";
	if (sec[1]) {
		if (section_open(f, sec[1], OPT_FTRACE_EVENTS, &c))
			return -1;
		ret = ftrace_formats(f, &c, tep);
		cur_release(&c);
		if (ret)
			return -1;
	}
	*what = "event formats";
	if (!sec[2] || section_open(f, sec[2], OPT_EVENT_FORMATS, &c))
		return -1;
	ret = event_formats(f, &c, tep);
	cur_release(&c);
	return ret;
}

static int parse_v7(struct dfile *f, struct dcur *c, struct tep_handle *tep,
		    const char **what)
{
	const char *name, *version;
	uint64_t sec[32] = { 0 };
	uint64_t off;
	int comp;

	*what = "compression header";
	if (!(name = get_str(c)) || !(version = get_str(c)) || get64(c, &off) ||
	    (comp = dcomp_by_name(name)) < 0)
		return -1;
	f->comp = comp;
	*what = "options";
	f->top.page_size = f->page_size;
	for (int n = 0; off; n++) {
		if (n == MAX_OPTION_SECTIONS || v7_options(f, off, sec, &off))
			return -1;
	}
	if (sec[OPT_KALLSYMS - OPT_HEADER_INFO]) {
		f->kallsyms.offset = sec[OPT_KALLSYMS - OPT_HEADER_INFO];
		f->kallsyms.present = 1;
	}
	if (sec[OPT_CMDLINES - OPT_HEADER_INFO]) {
		f->cmdlines.offset = sec[OPT_CMDLINES - OPT_HEADER_INFO];
		f->cmdlines.present = 1;
		f->cmdlines.sized8 = 1;
	}
	return v7_formats(f, sec, tep, what);
}

static int map_file(struct dfile *f, char *err, size_t errlen)
{
	struct stat st;
	void *map;
	int fd;

	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", f->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	f->size = st.st_size;
	f->fd = fd;
	map = f->size ? mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "%s: cannot map the file: %s", f->path,
			 f->size ? strerror(errno) : "empty file");
		return -1;
	}
	f->map = map;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

int dfile_open(struct dfile *f, const char *path, struct tep_handle *tep,
	       char *err, size_t errlen)
{
	const char *what = "file header", *version;
	const uint8_t *h;
	struct dcur c;
	int ret;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = path;
	if (map_file(f, err, errlen))
		return -1;
	cur_map(&c, f, 10);
	if (!(version = get_str(&c)))
		return fail(f, err, errlen, what, c.pos);
	/* a version that is no short number is a damaged header */
	if (strlen(version) > 8 || strspn(version, "0123456789") != strlen(version))
		return fail(f, err, errlen, what, 10);
	if (strcmp(version, "6") && strcmp(version, "7")) {
		snprintf(err, errlen, "%s: unsupported trace.dat version '%s'",
			 path, version);
		return -1;
	}
	f->version = version[0] - '0';
	if (!(h = take(&c, 6)))
		return fail(f, err, errlen, what, c.pos);
	if (h[0])
		f->unsupported = 1;		/* big-endian file */
	f->long_size = h[1];
	f->page_size = le32(h + 2);
	if ((f->long_size != 4 && f->long_size != 8) || f->page_size < 64 ||
	    f->page_size > (1u << 24))
		return fail(f, err, errlen, what, c.pos);
	if (f->unsupported)
		return 0;
	tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, TEP_LITTLE_ENDIAN);
	tep_set_long_size(tep, f->long_size);
	tep_set_page_size(tep, f->page_size);
	if (f->version == 6)
		ret = parse_v6(f, &c, tep, &what);
	else
		ret = parse_v7(f, &c, tep, &what);
	if (ret && f->why[0]) {
		snprintf(err, errlen, "%s: corrupt trace.dat (%s)", path, f->why);
		return -1;
	}
	if (ret)
		return fail(f, err, errlen, what, c.pos);
	return 0;
}

/*
 * Where lazy text @l lies: in the file's mapping (v6, an uncompressed v7
 * section) or in an inflated copy handed over in *@owned. No copy of
 * mapped text: a full kallsyms is megabytes, and copying it cost more
 * first-touch page faults than parsing it.
 */
const char *dfile_lazy_view(struct dfile *f, const struct dlazy *l,
			    size_t *len, char **owned)
{
	struct dcur c;
	uint64_t n = 0;
	uint32_t n32;
	const uint8_t *src;

	*owned = NULL;
	if (!l->present)
		return NULL;
	if (f->version == 6) {
		cur_map(&c, f, l->offset);
		n = l->len;
	} else {
		if (section_open(f, l->offset, l->sized8 ? OPT_CMDLINES : OPT_KALLSYMS, &c))
			return NULL;
		if (l->sized8 ? get64(&c, &n) : get32(&c, &n32))
			goto fail;
		if (!l->sized8)
			n = n32;
	}
	src = take(&c, n);
	if (!src)
		goto fail;
	*owned = (char *)c.owned;
	*len = n;
	return (const char *)src;
fail:
	cur_release(&c);
	return NULL;
}

char *dfile_lazy_text(struct dfile *f, const struct dlazy *l)
{
	size_t len;
	char *owned, *text;
	const char *src = dfile_lazy_view(f, l, &len, &owned);

	if (!src)
		return NULL;
	text = malloc(len + 1);
	if (text) {
		memcpy(text, src, len);
		text[len] = '\0';
	}
	free(owned);
	return text;
}

void dfile_close(struct dfile *f)
{
	if (f->map)
		munmap((void *)f->map, f->size);
	if (f->path && f->fd >= 0)
		close(f->fd);
	free(f->top.cpus);
	for (int i = 0; i < f->nr_buffers; i++)
		free(f->buffers[i].cpus);
	free(f->buffers);
	dcomp_free(f->zctx);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}
