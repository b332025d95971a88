/* SPDX-License-Identifier: GPL-2.0 */
/*
 * direct.h - the direct trace.dat reader's private types (src/trace only).
 *
 * direct_file.c maps the file and walks its headers (v6 inline, v7
 * sections and options) into a struct dfile: where each buffer's per-CPU
 * pages lie, how they are compressed, and where the lazily parsed
 * sections (kallsyms, saved cmdlines) are. reader_direct.c decodes the
 * ring-buffer pages and merges the CPU streams.
 *
 * Every offset and length read from the file is checked against the
 * mapping before it is used; a damaged file is a one-line error.
 */
#ifndef KMRV_TRACE_DIRECT_H
#define KMRV_TRACE_DIRECT_H

#include <stddef.h>
#include <stdint.h>

struct tep_handle;

enum dcomp {
	DCOMP_NONE,
	DCOMP_ZSTD,
	DCOMP_ZLIB,
};

/* One CPU's pages of one buffer, as the file stores them. */
struct dcpu {
	int		cpu;
	uint64_t	offset;		/* file offset of the data */
	uint64_t	size;		/* bytes in the file (compressed size) */
};

/* The top buffer or an instance (trace-cmd record -B). */
struct dbuffer {
	uint32_t	page_size;
	int		nr_cpus;
	struct dcpu	*cpus;
};

/* A section kept for later: v6 points into the map, v7 may compress. */
struct dlazy {
	uint64_t	offset;		/* v6: the text; v7: the section header */
	uint64_t	len;		/* v6 only: text length */
	int		present;
	int		sized8;		/* v7: text is size(8)+text, else size(4) */
};

struct dfile {
	const char		*path;
	int			fd;		/* for pread of the data */
	const uint8_t		*map;		/* headers and sections */
	uint64_t		size;
	int			version;	/* 6 or 7 */
	int			long_size;	/* header byte: user-space long */
	uint32_t		page_size;
	enum dcomp		comp;
	int			nr_cpus;	/* what libtracecmd calls tep cpus */
	int64_t			ts_offset;	/* OFFSET and DATE options */
	uint32_t		tsc_mult, tsc_shift;	/* TSC2NSEC option */
	int			unsupported;	/* a feature only libtracecmd has */

	struct dbuffer		top;
	int			nr_buffers;	/* instances */
	struct dbuffer		*buffers;

	struct dlazy		kallsyms;
	struct dlazy		cmdlines;
	void			*zctx;		/* ZSTD_DCtx, made on first use */
	char			why[160];	/* a damaged format, for the error */
};

/*
 * dfile_open - map @path and parse its headers into @f; the event formats
 * the reader needs go into @tep (kmem, sched, ftrace:print only).
 * Returns 0, or -1 with "PATH: problem" in @err; f->unsupported is set
 * when the file is valid but uses something only libtracecmd implements
 * (big-endian data, guest time sync, latency buffers, old ring buffer).
 */
int dfile_open(struct dfile *f, const char *path, struct tep_handle *tep,
	       char *err, size_t errlen);
void dfile_close(struct dfile *f);

/*
 * dfile_lazy_text - the NUL-terminated text of a lazy section (kallsyms,
 * cmdlines), malloc'd, or NULL if absent or damaged.
 */
char *dfile_lazy_text(struct dfile *f, const struct dlazy *l);

/*
 * dfile_lazy_view - the same text where it lies, @len bytes, not
 * NUL-terminated: in the file's mapping (valid until dfile_close()), or in
 * a malloc'd inflated copy returned in *@owned for the caller to free.
 * NULL if absent or damaged.
 */
const char *dfile_lazy_view(struct dfile *f, const struct dlazy *l,
			    size_t *len, char **owned);

/* dcomp_by_name - the compression a v7 file names ("none", ...), or -1. */
int dcomp_by_name(const char *name);

/*
 * dcomp_inflate - inflate @clen bytes at @src into @out, which must hold
 * exactly @ulen bytes; *@zctx is a ZSTD_DCtx made on first use, for
 * dcomp_free(). Returns 0, or -1 if the data is bad. tdat_probe.c
 * shares it.
 */
int dcomp_inflate(enum dcomp comp, void **zctx, const uint8_t *src, size_t clen,
		  uint8_t *out, size_t ulen);
void dcomp_free(void *zctx);

/*
 * dfile_decompress - inflate one chunk of @clen bytes into @out, which
 * must hold exactly @ulen bytes. Returns 0, or -1 if the data is bad.
 */
int dfile_decompress(struct dfile *f, const uint8_t *src, size_t clen,
		     uint8_t *out, size_t ulen);

/* kallsyms, parsed by direct_ksyms.c: sorted by address. */
struct dsym {
	uint64_t	addr;
	uint32_t	name;		/* offset of the name in dksyms.text */
	uint32_t	len;		/* its length (the text is not cut) */
};

struct dksyms {
	const char	*text;		/* the kallsyms text, left as it is */
	char		*owned;		/* what to free with it, or NULL */
	struct dsym	*syms;
	size_t		nr;
};

/*
 * dksyms_parse - index kallsyms @text of @len bytes with libtraceevent's
 * rules; @owned (may be NULL) is freed with @k from now on, whatever the
 * outcome. Returns 0, or -1 on ENOMEM.
 */
int dksyms_parse(struct dksyms *k, const char *text, size_t len, char *owned);

/* The symbol covering @addr, as tep_find_function() finds it, or NULL. */
const struct dsym *dksyms_find(const struct dksyms *k, uint64_t addr);

void dksyms_free(struct dksyms *k);

#endif /* KMRV_TRACE_DIRECT_H */
