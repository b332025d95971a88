// SPDX-License-Identifier: GPL-2.0
/*
 * tdat_probe.c - check that a trace.dat's layout fits in the file before
 * libtracecmd maps it.
 *
 * libtracecmd (1.3) trusts the per-CPU offsets of a version 6 file and
 * crashes on one truncated inside its data, and on some bad headers its
 * error path crashes too. This walks the v6 headers (every length checked
 * against the file size) and checks the flyrecord extents, so a damaged
 * file is a one-line error, not a signal. Version 7 files are
 * section-indexed and libtracecmd checks them itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tdat_probe.h"

#define MAX_CPUS	8192

struct cursor {
	int		fd;
	uint64_t	pos;
	uint64_t	size;
	int		swap;
	uint32_t	page_size;
	uint8_t		long_size;
	const char	*what;		/* the section being read, for errors */
};

static int read_at(struct cursor *c, void *buf, size_t len)
{
	if (c->pos + len > c->size || c->pos + len < c->pos)
		return -1;
	if (pread(c->fd, buf, len, c->pos) != (ssize_t)len)
		return -1;
	c->pos += len;
	return 0;
}

static int read_u32(struct cursor *c, uint32_t *v)
{
	if (read_at(c, v, 4))
		return -1;
	if (c->swap)
		*v = __builtin_bswap32(*v);
	return 0;
}

static int read_u64(struct cursor *c, uint64_t *v)
{
	if (read_at(c, v, 8))
		return -1;
	if (c->swap)
		*v = __builtin_bswap64(*v);
	return 0;
}

static int skip(struct cursor *c, uint64_t len)
{
	if (len > c->size - c->pos)
		return -1;
	c->pos += len;
	return 0;
}

/* A NUL-terminated string of at most @max bytes (not kept). */
static int skip_string(struct cursor *c, size_t max, char *out, size_t outlen)
{
	char ch;

	for (size_t i = 0; i < max; i++) {
		if (read_at(c, &ch, 1))
			return -1;
		if (out && i < outlen - 1) {
			out[i] = ch;
			out[i + 1] = '\0';
		}
		if (!ch)
			return 0;
	}
	return -1;
}

static int expect_tag(struct cursor *c, const char *tag, size_t len)
{
	char buf[16];

	if (len > sizeof(buf) || read_at(c, buf, len))
		return -1;
	return memcmp(buf, tag, len) ? -1 : 0;
}

static int skip_sized(struct cursor *c, int wide)
{
	uint64_t len;
	uint32_t len32;

	if (wide)
		return read_u64(c, &len) || skip(c, len);
	return read_u32(c, &len32) || skip(c, len32);
}

/*
 * libtraceevent's tep_parse_printk_formats() (called by libtracecmd on
 * the printk section) reads before its buffer on a line without
 * "ADDR : FMT" or with a FMT shorter than 3 bytes. Real kernels write
 * `0xADDR : "text"` lines; anything else is a damaged file.
 */
static int check_printk(struct cursor *c)
{
	uint32_t len;
	char *text, *line, *end;
	int ret = -1;

	if (read_u32(c, &len) || len > c->size - c->pos)
		return -1;
	if (!len)
		return 0;
	text = malloc(len);
	if (!text || read_at(c, text, len))
		goto out;
	while (len && !text[len - 1])
		len--;
	for (line = text; line < text + len; line = end + 1) {
		char *colon;

		end = memchr(line, '\n', text + len - line);
		if (!end)
			end = text + len;
		if (end == line)
			continue;
		colon = memchr(line, ':', end - line);
		if (!colon || colon == line || memchr(line, '\0', end - line) ||
		    end - colon < 5)
			goto out;
	}
	ret = 0;
out:
	free(text);
	return ret;
}

int tdat_format_sane(const char *text, size_t len)
{
	int depth = 0, quote = 0;

	while (len && !text[len - 1])
		len--;
	for (size_t i = 0; i < len; i++) {
		char ch = text[i];

		if (!ch)
			return 0;
		if (quote) {
			if (ch == '\\' && i + 1 < len)
				i++;
			else if (ch == '"')
				quote = 0;
		} else if (ch == '"') {
			quote = 1;
		} else if (ch == '(') {
			depth++;
		} else if (ch == ')' && --depth < 0) {
			return 0;
		}
	}
	return !quote && !depth;
}

size_t tdat_format_fields(const char *text, size_t len)
{
	static const char key[] = "\nprint fmt:";

	for (size_t i = 0; i + sizeof(key) - 1 <= len; i++)
		if (text[i] == '\n' && !memcmp(text + i, key, sizeof(key) - 1))
			return i + 1;
	return len;
}

/* A sized event format, read and checked as tdat_format_sane() says. */
static int check_format(struct cursor *c)
{
	uint64_t len;
	char *text;
	int ret = -1;

	if (read_u64(c, &len) || len > c->size - c->pos)
		return -1;
	text = malloc(len ? len : 1);
	if (text && !read_at(c, text, len) &&
	    tdat_format_sane(text, tdat_format_fields(text, len)))
		ret = 0;
	free(text);
	return ret;
}

static int walk_formats(struct cursor *c)
{
	uint32_t nr, systems;

	c->what = "ftrace formats";
	if (read_u32(c, &nr))
		return -1;
	for (uint32_t i = 0; i < nr; i++)
		if (check_format(c))
			return -1;
	c->what = "event formats";
	if (read_u32(c, &systems))
		return -1;
	for (uint32_t s = 0; s < systems; s++) {
		if (skip_string(c, 4096, NULL, 0) || read_u32(c, &nr))
			return -1;
		for (uint32_t i = 0; i < nr; i++)
			if (check_format(c))
				return -1;
	}
	return 0;
}

static int walk_options(struct cursor *c)
{
	uint16_t id;
	uint32_t len;

	c->what = "options";
	for (;;) {
		if (read_at(c, &id, 2))
			return -1;
		if (c->swap)
			id = __builtin_bswap16(id);
		if (!id)
			return 0;
		if (read_u32(c, &len) || skip(c, len))
			return -1;
	}
}

/*
 * Every page header of one CPU: libtracecmd (kbuffer) reads as many bytes
 * as the commit field says, masked with (1 << 27) - 1, beyond the page.
 */
static int check_pages(struct cursor *c, uint64_t offset, uint64_t size)
{
	uint64_t hdr = 8 + c->long_size, pos = c->pos;
	int ret = 0;

	for (uint64_t p = offset; p + hdr <= offset + size; p += c->page_size) {
		uint64_t commit = 0;
		uint32_t commit32;

		c->pos = p + 8;
		if (c->long_size == 8 ? read_u64(c, &commit) : read_u32(c, &commit32)) {
			ret = -1;
			break;
		}
		if (c->long_size != 8)
			commit = commit32;
		if ((commit & ((1u << 27) - 1)) > c->page_size - hdr) {
			c->pos = p + 8;
			ret = -1;
			break;
		}
	}
	if (!ret)
		c->pos = pos;
	return ret;
}

static int walk_flyrecord(struct cursor *c, uint32_t cpus)
{
	uint64_t offset, size;

	c->what = "CPU data";
	for (uint32_t cpu = 0; cpu < cpus; cpu++) {
		if (read_u64(c, &offset) || read_u64(c, &size))
			return -1;
		if (offset > c->size || size > c->size - offset)
			return -1;
		/* the data follows the headers; libtracecmd trusts the pages */
		if (size && (offset < c->pos || check_pages(c, offset, size)))
			return -1;
	}
	return 0;
}

static int walk_v6(struct cursor *c)
{
	uint32_t cpus;
	char tag[10];

	c->what = "header_page";
	if (expect_tag(c, "header_page", 12) || skip_sized(c, 1))
		return -1;
	c->what = "header_event";
	if (expect_tag(c, "header_event", 13) || skip_sized(c, 1))
		return -1;
	if (walk_formats(c))
		return -1;
	c->what = "kallsyms";
	if (skip_sized(c, 0))
		return -1;
	c->what = "printk formats";
	if (check_printk(c))
		return -1;
	c->what = "saved cmdlines";
	if (skip_sized(c, 1))
		return -1;
	c->what = "CPU count";
	if (read_u32(c, &cpus) || cpus == 0 || cpus > MAX_CPUS)
		return -1;
	c->what = "options";
	if (read_at(c, tag, 10))
		return -1;
	if (!memcmp(tag, "options  ", 10)) {
		if (walk_options(c) || read_at(c, tag, 10))
			return -1;
	}
	if (!memcmp(tag, "latency  ", 10))
		return 0;
	c->what = "flyrecord";
	if (memcmp(tag, "flyrecord", 10))
		return -1;
	return walk_flyrecord(c, cpus);
}

int tdat_probe(const char *path, char *err, size_t errlen)
{
	struct cursor c = { .what = "file header" };
	unsigned char head[3];
	char version[16] = "";
	struct stat st;
	int ret = -1;

	c.fd = open(path, O_RDONLY);
	if (c.fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(c.fd, &st))
		goto bad;
	c.size = st.st_size;
	c.pos = 10;				/* past the magic */
	if (skip_string(&c, sizeof(version), version, sizeof(version)))
		goto bad;
	if (strspn(version, "0123456789") != strlen(version))
		goto bad;	/* no number: a damaged header, not a version */
	if (strcmp(version, "6") && strcmp(version, "7")) {
		snprintf(err, errlen, "%s: unsupported trace.dat version '%s'",
			 path, version);
		close(c.fd);
		return -1;
	}
	if (read_at(&c, head, 2))
		goto bad;
	c.swap = head[0] != 0;			/* file is big endian */
	if (c.swap == (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
		c.swap = 0;
	if (head[1] != 4 && head[1] != 8)
		goto bad;
	c.long_size = head[1];
	c.what = "page size";
	/* libtracecmd maps pages of this size: a power of two it can hold */
	if (read_u32(&c, &c.page_size) || c.page_size < 4096 ||
	    c.page_size > (1u << 24) || (c.page_size & (c.page_size - 1)))
		goto bad;
	if (!strcmp(version, "6") && walk_v6(&c))
		goto bad;
	ret = 0;
	goto out;
bad:
	snprintf(err, errlen, "%s: truncated or corrupt trace.dat (%s at offset %llu)",
		 path, c.what, (unsigned long long)c.pos);
out:
	close(c.fd);
	return ret;
}
