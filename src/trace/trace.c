// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - open a trace file with the right reader.
 *
 * The format is told by the file's first bytes, never by its name; the
 * reader for a format can be chosen (kmrv check --reader).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"

#define MAGIC_LEN	10

struct kmrv_trace {
	const struct trace_backend	*ops;
	void				*priv;
	char				*path;
};

static const char trace_dat_magic[] = "\027\010\104tracing";

static const struct trace_backend *backends[] = {
	&direct_backend,
	&tracecmd_backend,
	&perf_backend,
};

static int read_magic(const char *path, unsigned char *magic, char *err,
		      size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: is a directory", path);
		return -1;
	}
	n = read(fd, magic, MAGIC_LEN);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: empty file", path);
		return -1;
	}
	return n;
}

static const struct trace_backend *find_backend(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

/* The default reader for what the magic says, or NULL with @err filled. */
static const struct trace_backend *pick(const char *path,
					const unsigned char *magic, int len,
					const char *reader, char *err, size_t errlen)
{
	if (len == MAGIC_LEN && !memcmp(magic, trace_dat_magic, MAGIC_LEN)) {
		const struct trace_backend *b = find_backend(reader ? reader : "direct");

		if (!b)
			snprintf(err, errlen, "%s: reader '%s' cannot read trace.dat files",
				 path, reader);
		return b;
	}
	if (len >= 8 && (!memcmp(magic, "PERFILE2", 8) || !memcmp(magic, "2ELIFREP", 8))) {
		const struct trace_backend *b = find_backend(reader ? reader : "perf");

		if (b == &perf_backend)
			return b;
		snprintf(err, errlen, "%s: reader '%s' cannot read perf.data files",
			 path, reader);
		return NULL;
	}
	snprintf(err, errlen, "%s: not a trace.dat or perf.data file (bad magic)", path);
	return NULL;
}

struct kmrv_trace *kmrv_trace_open_reader(const char *path, const char *reader,
					  char *err, size_t errlen)
{
	unsigned char magic[MAGIC_LEN];
	const struct trace_backend *ops;
	struct kmrv_trace *t;
	int len;

	len = read_magic(path, magic, err, errlen);
	if (len < 0)
		return NULL;
	ops = pick(path, magic, len, reader, err, errlen);
	if (!ops)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->path = strdup(path))) {
		free(t);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	t->ops = ops;
	errno = 0;
	t->priv = ops->open(path, err, errlen);
	if (!t->priv && errno == ENOTSUP && !reader && ops == &direct_backend) {
		/* a valid file using what only libtracecmd implements */
		t->ops = &tracecmd_backend;
		t->priv = t->ops->open(path, err, errlen);
	}
	if (!t->priv) {
		free(t->path);
		free(t);
		return NULL;
	}
	return t;
}

struct kmrv_trace *kmrv_trace_open(const char *path, char *err, size_t errlen)
{
	return kmrv_trace_open_reader(path, NULL, err, errlen);
}

int kmrv_trace_next(struct kmrv_trace *t, struct kmrv_event *ev,
		    char *err, size_t errlen)
{
	return t->ops->next(t->priv, ev, err, errlen);
}

int kmrv_trace_read(struct kmrv_trace *t, struct kmrv_event *ev, int max,
		    char *err, size_t errlen)
{
	if (t->ops->read)
		return t->ops->read(t->priv, ev, max, err, errlen);
	return trace_read_loop(t->priv, ev, max, err, errlen, t->ops->next);
}

void kmrv_trace_close(struct kmrv_trace *t)
{
	if (!t)
		return;
	t->ops->close(t->priv);
	free(t->path);
	free(t);
}

const char *kmrv_trace_path(const struct kmrv_trace *t)
{
	return t->path;
}

const char *kmrv_trace_reader(const struct kmrv_trace *t)
{
	return t->ops->name;
}

int kmrv_trace_cpus(const struct kmrv_trace *t)
{
	return t->ops->cpus(t->priv);
}

int kmrv_trace_has_tp(const struct kmrv_trace *t, enum kmrv_tp tp)
{
	return t->ops->has_tp(t->priv, tp);
}

const char *kmrv_trace_comm(struct kmrv_trace *t, int pid)
{
	return t->ops->comm(t->priv, pid);
}

const char *kmrv_trace_symbolize(struct kmrv_trace *t, uint64_t addr,
				 char *buf, size_t len)
{
	return t->ops->symbolize(t->priv, addr, buf, len);
}
