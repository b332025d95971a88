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

static int walk_formats(struct cursor *c)
{
	uint32_t nr, systems;

	c->what = "ftrace formats";
	if (read_u32(c, &nr))
		return -1;
	for (uint32_t i = 0; i < nr; i++)
		if (skip_sized(c, 1))
			return -1;
	c->what = "event formats";
	if (read_u32(c, &systems))
		return -1;
	for (uint32_t s = 0; s < systems; s++) {
		if (skip_string(c, 4096, NULL, 0) || read_u32(c, &nr))
			return -1;
		for (uint32_t i = 0; i < nr; i++)
			if (skip_sized(c, 1))
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

static int walk_flyrecord(struct cursor *c, uint32_t cpus)
{
	uint64_t offset, size;

	c->what = "CPU data";
	for (uint32_t cpu = 0; cpu < cpus; cpu++) {
		if (read_u64(c, &offset) || read_u64(c, &size))
			return -1;
		if (offset > c->size || size > c->size - offset)
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
	if (skip_sized(c, 0))
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
	if (skip(&c, 4))
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
