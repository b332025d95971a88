// SPDX-License-Identifier: GPL-2.0
/*
 * kmrv-v7conv - rewrite a trace.dat v7 with another compression, and
 * optionally an instance buffer, for the reader tests.
 *
 *   kmrv-v7conv [--compression none|zstd|zlib] [--instance NAME] IN.dat OUT.dat
 *
 * trace-cmd here writes only zstd (and libtracecmd reads only what it was
 * built with), so zlib v7 files, the other compression the format
 * defines, are made by this tool: every section and every trace-data
 * chunk of IN is inflated and compressed again, chunk boundaries kept.
 * --instance NAME adds a buffer instance (trace-cmd record -B NAME) whose
 * CPUs share the top buffer's data, so a reader that merges instances
 * yields every record twice: a test of the instance merge and its ties.
 *
 * Output layout: header, the copied sections, each buffer's CPU data
 * (page aligned), then one uncompressed OPTIONS section the header points
 * at. Little-endian input only; errors are one line, exit status 1.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

enum { C_NONE, C_ZSTD, C_ZLIB };

#define OPT_DONE	0
#define OPT_BUFFER	3
#define SEC_FIRST	15	/* STRINGS .. CMDLINES: options that name a section */
#define SEC_LAST	21

struct in {
	uint8_t		*d;
	size_t		size;
	int		comp;
	uint32_t	page_size;
};

struct out {
	FILE		*f;
	int		comp;
	uint8_t		*opts;		/* the options being collected */
	size_t		opts_len;
};

static const char *prog = "kmrv-v7conv";

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static const uint8_t *at(const struct in *in, uint64_t off, uint64_t len)
{
	if (off > in->size || len > in->size - off)
		die("input truncated or corrupt at offset %llu", (unsigned long long)off);
	return in->d + off;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

static uint8_t *inflate_in(const struct in *in, const uint8_t *src, uint32_t clen,
			   uint32_t ulen)
{
	uint8_t *out = xmalloc(ulen);

	if (in->comp == C_ZSTD) {
		size_t n = ZSTD_decompress(out, ulen, src, clen);

		if (ZSTD_isError(n) || n != ulen)
			die("bad zstd data in input");
	} else if (in->comp == C_ZLIB) {
		uLongf n = ulen;

		if (uncompress(out, &n, src, clen) != Z_OK || n != ulen)
			die("bad zlib data in input");
	} else {
		die("compressed data in an uncompressed file");
	}
	return out;
}

/* Compress @len bytes for the output; returns the buffer, *@clen its size. */
static uint8_t *deflate_out(const struct out *o, const uint8_t *src, size_t len,
			    size_t *clen)
{
	uint8_t *dst;

	if (o->comp == C_ZSTD) {
		size_t cap = ZSTD_compressBound(len), n;

		dst = xmalloc(cap);
		n = ZSTD_compress(dst, cap, src, len, 3);
		if (ZSTD_isError(n))
			die("zstd compression failed");
		*clen = n;
	} else {
		uLongf n = compressBound(len);

		dst = xmalloc(n);
		if (compress2(dst, &n, src, len, 6) != Z_OK)
			die("zlib compression failed");
		*clen = n;
	}
	return dst;
}

static void put(struct out *o, const void *p, size_t len)
{
	if (len && fwrite(p, 1, len, o->f) != len)
		die("write error");
}

static void put16(struct out *o, uint16_t v)
{
	uint8_t b[2] = { v & 0xff, v >> 8 };

	put(o, b, 2);
}

static void put32(struct out *o, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (v >> (8 * i)) & 0xff;
	put(o, b, 4);
}

static void put64(struct out *o, uint64_t v)
{
	put32(o, (uint32_t)v);
	put32(o, (uint32_t)(v >> 32));
}

static uint64_t tell(struct out *o)
{
	long pos = ftell(o->f);

	if (pos < 0)
		die("cannot tell the output position");
	return (uint64_t)pos;
}

static void pad_to(struct out *o, uint32_t align)
{
	static const uint8_t zero[4096];
	uint64_t pos = tell(o);

	while (pos % align) {
		size_t n = align - pos % align;

		if (n > sizeof(zero))
			n = sizeof(zero);
		put(o, zero, n);
		pos += n;
	}
}

static void add_option(struct out *o, uint16_t id, const void *data, uint32_t len)
{
	uint8_t *p = realloc(o->opts, o->opts_len + 6 + len);

	if (!p)
		die("out of memory");
	o->opts = p;
	p += o->opts_len;
	p[0] = id & 0xff;
	p[1] = id >> 8;
	for (int i = 0; i < 4; i++)
		p[2 + i] = (len >> (8 * i)) & 0xff;
	memcpy(p + 6, data, len);
	o->opts_len += 6 + len;
}

/* A section's content, inflated: *@len bytes, to free. */
static uint8_t *section_content(const struct in *in, uint64_t off, uint16_t *id,
				uint32_t *desc, size_t *len)
{
	const uint8_t *h = at(in, off, 16);
	uint16_t flags = h[2] | h[3] << 8;
	uint64_t size = le64(h + 8);
	uint8_t *copy;

	*id = h[0] | h[1] << 8;
	*desc = le32(h + 4);
	if (flags & 1) {
		const uint8_t *c = at(in, off + 16, 8);
		uint32_t clen = le32(c), ulen = le32(c + 4);

		*len = ulen;
		return inflate_in(in, at(in, off + 24, clen), clen, ulen);
	}
	copy = xmalloc(size);
	memcpy(copy, at(in, off + 16, size), size);
	*len = size;
	return copy;
}

static void write_section_header(struct out *o, uint16_t id, uint16_t flags,
				 uint32_t desc, uint64_t size)
{
	put16(o, id);
	put16(o, flags);
	put32(o, desc);
	put64(o, size);
}

/* Copy section @off; returns its offset in the output. */
static uint64_t copy_section(const struct in *in, struct out *o, uint64_t off)
{
	uint64_t pos = tell(o);
	uint16_t id;
	uint32_t desc;
	size_t len, clen;
	uint8_t *data = section_content(in, off, &id, &desc, &len), *z;

	if (o->comp == C_NONE) {
		write_section_header(o, id, 0, desc, len);
		put(o, data, len);
	} else {
		z = deflate_out(o, data, len, &clen);
		write_section_header(o, id, 1, desc, 8 + clen);
		put32(o, (uint32_t)clen);
		put32(o, (uint32_t)len);
		put(o, z, clen);
		free(z);
	}
	free(data);
	return pos;
}

/* One CPU's data: re-chunk (or inflate) it; returns the bytes written. */
static uint64_t copy_cpu(const struct in *in, struct out *o, uint64_t off,
			 uint64_t size)
{
	uint64_t start = tell(o);
	uint32_t count, clen, ulen;
	uint64_t pos;

	if (in->comp == C_NONE) {
		const uint8_t *raw = at(in, off, size);

		if (o->comp == C_NONE) {
			put(o, raw, size);
			return size;
		}
		/* one chunk per 64 pages, as trace-cmd cuts them */
		count = (uint32_t)((size + 64 * in->page_size - 1) / (64 * in->page_size));
		put32(o, count);
		for (uint64_t done = 0; done < size;) {
			size_t n = size - done, zl;
			uint8_t *z;

			if (n > 64 * (size_t)in->page_size)
				n = 64 * (size_t)in->page_size;
			z = deflate_out(o, raw + done, n, &zl);
			put32(o, (uint32_t)zl);
			put32(o, (uint32_t)n);
			put(o, z, zl);
			free(z);
			done += n;
		}
		return tell(o) - start - 4;
	}
	count = le32(at(in, off, 4));
	if (o->comp != C_NONE)
		put32(o, count);
	pos = off + 4;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *h = at(in, pos, 8);
		uint8_t *raw, *z;
		size_t zl;

		clen = le32(h);
		ulen = le32(h + 4);
		raw = inflate_in(in, at(in, pos + 8, clen), clen, ulen);
		pos += 8 + (uint64_t)clen;
		if (o->comp == C_NONE) {
			put(o, raw, ulen);
		} else {
			z = deflate_out(o, raw, ulen, &zl);
			put32(o, (uint32_t)zl);
			put32(o, ulen);
			put(o, z, zl);
			free(z);
		}
		free(raw);
	}
	return tell(o) - start - (o->comp != C_NONE ? 4 : 0);
}

/*
 * A BUFFER option: copy its section header and CPU data, add the option
 * with the new offsets (and, for the top buffer, the --instance copy).
 */
static void copy_buffer(const struct in *in, struct out *o, const uint8_t *opt,
			uint32_t len, const char *instance)
{
	const char *name = (const char *)opt + 8, *clock;
	size_t nl = strnlen(name, len - 8), cl;
	const uint8_t *p, *sec;
	uint32_t cpus;
	uint8_t *nopt;
	uint64_t sec_off, hdr_pos;

	if (len < 8 || nl >= len - 8)
		die("bad BUFFER option");
	clock = name + nl + 1;
	cl = strnlen(clock, len - 8 - nl - 1);
	p = (const uint8_t *)clock + cl + 1;
	if (p + 8 > opt + len)
		die("bad BUFFER option");
	cpus = le32(p + 4);
	if (p + 8 + (uint64_t)cpus * 20 > opt + len)
		die("bad BUFFER option");
	sec = at(in, le64(opt), 16);

	nopt = xmalloc(len + nl + 64);
	memcpy(nopt, opt, len);
	hdr_pos = tell(o);
	sec_off = hdr_pos;
	write_section_header(o, OPT_BUFFER, o->comp != C_NONE, le32(sec + 4), 0);
	for (uint32_t i = 0; i < cpus; i++) {
		const uint8_t *e = p + 8 + i * 20;
		uint8_t *ne = nopt + (e - opt);
		uint64_t off = le64(e + 4), size = le64(e + 12), pos, wrote = 0;

		pad_to(o, in->page_size);
		pos = tell(o);
		if (size)
			wrote = copy_cpu(in, o, off, size);
		for (int b = 0; b < 8; b++) {
			ne[4 + b] = (pos >> (8 * b)) & 0xff;
			ne[12 + b] = (wrote >> (8 * b)) & 0xff;
		}
	}
	/* the section's size: everything after its header */
	{
		uint64_t end = tell(o);

		if (fseek(o->f, (long)hdr_pos + 8, SEEK_SET))
			die("seek error");
		put64(o, end - hdr_pos - 16);
		if (fseek(o->f, (long)end, SEEK_SET))
			die("seek error");
	}
	for (int b = 0; b < 8; b++)
		nopt[b] = (sec_off >> (8 * b)) & 0xff;
	add_option(o, OPT_BUFFER, nopt, len);
	if (!*name && instance) {
		/* same CPUs and data, another name: "" -> instance */
		size_t il = strlen(instance);
		uint8_t *iopt = xmalloc(len + il);

		memcpy(iopt, nopt, 8);
		memcpy(iopt + 8, instance, il);
		memcpy(iopt + 8 + il, nopt + 8, len - 8);
		add_option(o, OPT_BUFFER, iopt, len + il);
		free(iopt);
	}
	free(nopt);
}

static void copy_options(const struct in *in, struct out *o, uint64_t off,
			 const char *instance)
{
	for (int n = 0; off; n++) {
		uint16_t id;
		uint32_t desc;
		size_t len, pos = 0;
		uint8_t *data;

		if (n > 64)
			die("too many options sections");
		data = section_content(in, off, &id, &desc, &len);
		off = 0;
		while (pos + 6 <= len) {
			uint16_t oid = data[pos] | data[pos + 1] << 8;
			uint32_t olen = le32(data + pos + 2);
			const uint8_t *od = data + pos + 6;

			if (olen > len - pos - 6)
				die("bad option length");
			pos += 6 + olen;
			if (oid == OPT_DONE) {
				off = olen >= 8 ? le64(od) : 0;
				break;
			}
			if (oid == OPT_BUFFER) {
				copy_buffer(in, o, od, olen, instance);
			} else if (oid >= SEC_FIRST && oid <= SEC_LAST && olen == 8) {
				uint64_t s = copy_section(in, o, le64(od));
				uint8_t b[8];

				for (int i = 0; i < 8; i++)
					b[i] = (s >> (8 * i)) & 0xff;
				add_option(o, oid, b, 8);
			} else {
				add_option(o, oid, od, olen);
			}
		}
		free(data);
	}
}

static void read_input(struct in *in, const char *path)
{
	FILE *f = fopen(path, "rb");
	long size;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		die("%s: cannot read", path);
	in->size = (size_t)size;
	in->d = xmalloc(in->size);
	if (fread(in->d, 1, in->size, f) != in->size)
		die("%s: cannot read", path);
	fclose(f);
}

static int comp_of(const char *name)
{
	if (!strcmp(name, "none"))
		return C_NONE;
	if (!strcmp(name, "zstd"))
		return C_ZSTD;
	if (!strcmp(name, "zlib"))
		return C_ZLIB;
	return -1;
}

int main(int argc, char **argv)
{
	static const char *const versions[] = { "", "1.5.4", "1.2.13" };
	static const char *const names[] = { "none", "zstd", "zlib" };
	const char *instance = NULL;
	struct in in = { 0 };
	struct out o = { .comp = C_ZLIB };
	const uint8_t *p;
	const char *cname;
	uint64_t opt_off, here;
	size_t pos;
	int i;

	for (i = 1; i < argc - 2; i++) {
		if (!strcmp(argv[i], "--compression") && i + 1 < argc - 2)
			o.comp = comp_of(argv[++i]);
		else if (!strcmp(argv[i], "--instance") && i + 1 < argc - 2)
			instance = argv[++i];
		else
			break;
	}
	if (i != argc - 2 || o.comp < 0) {
		fprintf(stderr, "usage: kmrv-v7conv [--compression none|zstd|zlib] "
			"[--instance NAME] IN.dat OUT.dat\n");
		return 2;
	}
	read_input(&in, argv[i]);
	p = at(&in, 0, 19);
	/* magic(10) "7\0" endian(1) long_size(1) page_size(4) */
	if (memcmp(p, "\027\010\104tracing7", 11) || p[11] || p[12])
		die("%s: not a little-endian trace.dat v7", argv[i]);
	in.page_size = le32(p + 14);
	if (!in.page_size)
		die("%s: page size 0", argv[i]);
	pos = 18;
	cname = (const char *)at(&in, pos, 1);
	in.comp = comp_of(cname);
	if (in.comp < 0)
		die("%s: unknown compression '%s'", argv[i], cname);
	pos += strnlen(cname, in.size - pos) + 1;
	pos += strnlen((const char *)at(&in, pos, 1), in.size - pos) + 1;
	opt_off = le64(at(&in, pos, 8));

	o.f = fopen(argv[i + 1], "w+b");
	if (!o.f)
		die("%s: cannot create", argv[i + 1]);
	put(&o, in.d, 18);
	put(&o, names[o.comp], strlen(names[o.comp]) + 1);
	put(&o, versions[o.comp], strlen(versions[o.comp]) + 1);
	here = tell(&o);
	put64(&o, 0);
	copy_options(&in, &o, opt_off, instance);

	/* one OPTIONS section, uncompressed, DONE with no next section */
	{
		uint64_t sec = tell(&o), zero = 0;

		add_option(&o, OPT_DONE, &zero, 8);
		write_section_header(&o, OPT_DONE, 0, 0, o.opts_len);
		put(&o, o.opts, o.opts_len);
		if (fseek(o.f, (long)here, SEEK_SET))
			die("seek error");
		put64(&o, sec);
	}
	if (fclose(o.f))
		die("%s: write error", argv[i + 1]);
	free(o.opts);
	free(in.d);
	return 0;
}
