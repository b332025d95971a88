// SPDX-License-Identifier: GPL-2.0
/*
 * perf_data.c - read perf.data files (see perf_data.h for the contract).
 *
 * The file is mapped (or read, if it is no regular file) and walked once,
 * record by record; every read goes through rd16/rd32/rd64, which know the
 * file's byte order and never assume alignment (pipe-mode records are not
 * 8-byte aligned). Samples of kept attributes are parsed as far as their
 * PERF_SAMPLE_RAW field; the fields after RAW are never needed, so
 * sample_type bits added after it by newer kernels do no harm.
 */
#include <byteswap.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event-parse.h>

#include "kmrv/hash.h"
#include "perf_priv.h"
#include "trace_util.h"

#define FILE_HEADER_SIZE	104	/* struct perf_file_header */
#define FILE_HEADER_OLD_SIZE	72	/* the same without the feature bitmap */
#define PIPE_HEADER_SIZE	16	/* struct perf_pipe_file_header */
#define SECTION_SIZE		16	/* struct perf_file_section */
#define ATTR_SIZE_VER0		64	/* the first perf_event_attr */
#define ATTR_SIZE_MAX		4096
#define MAX_ATTRS		65536
#define COMM_LEN		16	/* TASK_COMM_LEN */

/* Feature bits (HEADER_*) of the file header's bitmap. */
#define FEAT_TRACING_DATA	1
#define FEAT_NRCPUS		7
#define FEAT_COMPRESSED		27
#define FEAT_BITS		256

/* perf_event_header.type values read here. */
enum {
	REC_LOST		= 2,
	REC_COMM		= 3,
	REC_FORK		= 7,
	REC_SAMPLE		= 9,
	REC_LOST_SAMPLES	= 13,
	REC_HEADER_ATTR		= 64,
	REC_HEADER_TRACING_DATA	= 66,
	REC_FINISHED_ROUND	= 68,
	REC_AUXTRACE		= 71,
	REC_HEADER_FEATURE	= 80,
	REC_COMPRESSED		= 81,
};

#define PERF_TYPE_TRACEPOINT	2

/* sample_type bits, in the order their fields appear in a sample. */
#define S_IDENTIFIER	(1ull << 16)
#define S_IP		(1ull << 0)
#define S_TID		(1ull << 1)
#define S_TIME		(1ull << 2)
#define S_ADDR		(1ull << 3)
#define S_ID		(1ull << 6)
#define S_STREAM_ID	(1ull << 9)
#define S_CPU		(1ull << 7)
#define S_PERIOD	(1ull << 8)
#define S_READ		(1ull << 4)
#define S_CALLCHAIN	(1ull << 5)
#define S_RAW		(1ull << 10)

/* read_format bits */
#define F_TIME_ENABLED	(1ull << 0)
#define F_TIME_RUNNING	(1ull << 1)
#define F_ID		(1ull << 2)
#define F_GROUP		(1ull << 3)
#define F_LOST		(1ull << 4)
#define F_KNOWN		(F_TIME_ENABLED | F_TIME_RUNNING | F_ID | F_GROUP | F_LOST)

/* The sample_id_all bit of the attr's flag word, per writer byte order. */
#define SAMPLE_ID_ALL_LE	18
#define SAMPLE_ID_ALL_BE	(63 - 18)

struct attr {
	uint32_t		type;
	uint64_t		config;
	uint64_t		sample_type;
	uint64_t		read_format;
	bool			sample_id_all;
	int			tag;		/* -1: samples skipped */
};

/* Queue entries that are no samples, by their tag. */
#define TAG_LOST	(-1)		/* off: the count */
#define TAG_COMM	(-2)		/* off: the record's offset */
#define TAG_FORK	(-3)		/* off: the record's offset */

/*
 * A queued sample, gap or thread record; 32 bytes, sorted by (ts, cpu,
 * off). COMM and FORK go through the queue too: perf writes each CPU's
 * buffer in turn, so a child's exec COMM can sit in the file before the
 * FORK that created it, and only time order gives the child its own name.
 */
struct qitem {
	uint64_t		ts;
	uint64_t		off;		/* SAMPLE: raw data offset */
	uint32_t		cpu;
	uint32_t		raw_size;
	int32_t			tag;		/* >= 0: a sample's; else TAG_* */
	uint32_t		pad;
};

struct comm_slot {
	int32_t			pid;
	bool			used;
	char			comm[COMM_LEN];
};

struct perf_data {
	char			*path;
	const unsigned char	*map;
	size_t			size;
	bool			mapped;		/* else malloc'd */
	bool			file_big;	/* written by a big-endian host */
	bool			swap;		/* file_big != host */
	bool			pipe;
	size_t			data_start;
	size_t			data_end;
	size_t			pos;		/* next record */

	struct attr		*attrs;
	int			nr_attrs;
	uint64_t		*id_keys;	/* sample id -> attr, open addressing */
	int			*id_attr;	/* -1: empty slot */
	size_t			id_cap;		/* power of two */
	size_t			nr_ids;
	int			id_pos_sample;	/* u64 index of the id after the header */
	int			id_pos_trailer;	/* u64 index of the id from the record end */

	struct tep_handle	*tep;
	struct perf_tracing	tracing;
	bool			has_tracing;
	int			nr_cpus;

	struct qitem		*q;
	size_t			q_nr, q_cap, q_out, q_ready;
	uint64_t		max_ts;		/* of everything read so far */
	uint64_t		round_limit;	/* max_ts at the previous round's end */
	bool			eof;
	bool			tail_done;
	int64_t			lost_records;	/* PERF_RECORD_LOST counts */
	int64_t			lost_samples;	/* PERF_RECORD_LOST_SAMPLES counts */

	struct comm_slot	*comms;
	size_t			comm_cap;	/* power of two */
	size_t			nr_comms;
};

static uint16_t rd16(const struct perf_data *pd, const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return pd->swap ? bswap_16(v) : v;
}

static uint32_t rd32(const struct perf_data *pd, const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return pd->swap ? bswap_32(v) : v;
}

static uint64_t rd64(const struct perf_data *pd, const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return pd->swap ? bswap_64(v) : v;
}

/* True if [off, off + len) lies inside the file. */
static bool in_file(const struct perf_data *pd, uint64_t off, uint64_t len)
{
	return off <= pd->size && len <= pd->size - off;
}

/* ---- command names ---------------------------------------------------- */

static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

static struct comm_slot *comm_slot(const struct perf_data *pd, int pid)
{
	size_t mask = pd->comm_cap - 1;

	if (!pd->comm_cap)
		return NULL;
	for (size_t i = mix32((uint32_t)pid) & mask;; i = (i + 1) & mask) {
		struct comm_slot *s = &pd->comms[i];

		if (!s->used || s->pid == pid)
			return s;
	}
}

static int comm_grow(struct perf_data *pd)
{
	struct comm_slot *old = pd->comms;
	size_t old_cap = pd->comm_cap;

	pd->comm_cap = old_cap ? old_cap * 2 : 256;
	pd->comms = calloc(pd->comm_cap, sizeof(*pd->comms));
	if (!pd->comms) {
		pd->comms = old;
		pd->comm_cap = old_cap;
		return -1;
	}
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].used)
			*comm_slot(pd, old[i].pid) = old[i];
	free(old);
	return 0;
}

/* Set @pid's name to the first @len bytes of @comm (up to a NUL). */
static int comm_set(struct perf_data *pd, int pid, const char *comm, size_t len)
{
	struct comm_slot *s;

	/* at most half full, so a probe always ends at an empty slot */
	if ((pd->nr_comms + 1) * 2 > pd->comm_cap && comm_grow(pd))
		return -1;
	s = comm_slot(pd, pid);
	if (!s->used) {
		s->used = true;
		s->pid = pid;
		pd->nr_comms++;
	}
	if (len >= COMM_LEN)
		len = COMM_LEN - 1;
	len = strnlen(comm, len);
	memcpy(s->comm, comm, len);
	s->comm[len] = '\0';
	return 0;
}

const char *perf_data_comm(const struct perf_data *pd, int pid)
{
	const struct comm_slot *s = comm_slot(pd, pid);

	return s && s->used ? s->comm : NULL;
}

int perf_data_for_each_comm(const struct perf_data *pd,
			    int (*fn)(int pid, const char *comm, void *arg),
			    void *arg)
{
	for (size_t i = 0; i < pd->comm_cap; i++) {
		int ret;

		if (!pd->comms[i].used)
			continue;
		ret = fn(pd->comms[i].pid, pd->comms[i].comm, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/* saved_cmdlines text, "PID COMM\n" per line: the names before any COMM. */
static int load_cmdlines(struct perf_data *pd, const char *text)
{
	while (text && *text) {
		const char *eol = strchrnul(text, '\n');
		char *end;
		long pid = strtol(text, &end, 10);

		if (end != text && *end == ' ' && end < eol &&
		    comm_set(pd, (int)pid, end + 1, eol - end - 1))
			return -1;
		text = *eol ? eol + 1 : eol;
	}
	return 0;
}

/* ---- sample ids --------------------------------------------------------- */

static int *id_slot(const struct perf_data *pd, uint64_t id)
{
	size_t mask = pd->id_cap - 1;

	for (size_t i = kmrv_mix64(id) & mask;; i = (i + 1) & mask)
		if (pd->id_attr[i] < 0 || pd->id_keys[i] == id)
			return &pd->id_attr[i];
}

static int id_grow(struct perf_data *pd)
{
	uint64_t *old_keys = pd->id_keys;
	int *old_attr = pd->id_attr;
	size_t old_cap = pd->id_cap;

	pd->id_cap = old_cap ? old_cap * 2 : 64;
	pd->id_keys = calloc(pd->id_cap, sizeof(*pd->id_keys));
	pd->id_attr = malloc(pd->id_cap * sizeof(*pd->id_attr));
	if (!pd->id_keys || !pd->id_attr) {
		free(pd->id_keys);
		free(pd->id_attr);
		pd->id_keys = old_keys;
		pd->id_attr = old_attr;
		pd->id_cap = old_cap;
		return -1;
	}
	for (size_t i = 0; i < pd->id_cap; i++)
		pd->id_attr[i] = -1;
	for (size_t i = 0; i < old_cap; i++) {
		int *slot;

		if (old_attr[i] < 0)
			continue;
		slot = id_slot(pd, old_keys[i]);
		*slot = old_attr[i];
		pd->id_keys[slot - pd->id_attr] = old_keys[i];
	}
	free(old_keys);
	free(old_attr);
	return 0;
}

static int id_add(struct perf_data *pd, uint64_t id, int attr)
{
	int *slot;

	if ((pd->nr_ids + 1) * 2 > pd->id_cap && id_grow(pd))
		return -1;
	slot = id_slot(pd, id);
	if (*slot < 0)
		pd->nr_ids++;
	*slot = attr;
	pd->id_keys[slot - pd->id_attr] = id;
	return 0;
}

static struct attr *attr_of_id(const struct perf_data *pd, uint64_t id)
{
	int a;

	if (!pd->id_cap)
		return NULL;
	a = *id_slot(pd, id);
	return a < 0 ? NULL : &pd->attrs[a];
}

/* Where a sample (from its start) and a trailer (from its end) hold the id. */
static int sample_id_pos(uint64_t st)
{
	if (st & S_IDENTIFIER)
		return 0;
	if (!(st & S_ID))
		return -1;
	return !!(st & S_IP) + !!(st & S_TID) + !!(st & S_TIME) + !!(st & S_ADDR);
}

static int trailer_id_pos(uint64_t st)
{
	if (st & S_IDENTIFIER)
		return 0;
	if (!(st & S_ID))
		return -1;
	return !!(st & S_CPU) + !!(st & S_STREAM_ID);
}

/*
 * With several attributes a record names its attribute by id, so every
 * attribute must put the id at the same place (perf insists on it too).
 */
static int check_id_positions(struct perf_data *pd, char *err, size_t errlen)
{
	pd->id_pos_sample = sample_id_pos(pd->attrs[0].sample_type);
	pd->id_pos_trailer = trailer_id_pos(pd->attrs[0].sample_type);
	if (pd->nr_attrs == 1)
		return 0;
	for (int i = 1; i < pd->nr_attrs; i++) {
		if (sample_id_pos(pd->attrs[i].sample_type) != pd->id_pos_sample ||
		    trailer_id_pos(pd->attrs[i].sample_type) != pd->id_pos_trailer) {
			trace_set_err(err, errlen, pd->path,
				"events disagree on where samples carry their id "
				"(sample_type 0x%llx vs 0x%llx)",
				(unsigned long long)pd->attrs[0].sample_type,
				(unsigned long long)pd->attrs[i].sample_type);
			return -1;
		}
	}
	if (pd->id_pos_sample < 0) {
		trace_set_err(err, errlen, pd->path,
			"%d events but samples carry no id to tell them apart",
			pd->nr_attrs);
		return -1;
	}
	return 0;
}

/* ---- header and attributes ---------------------------------------------- */

/* Parse one perf_event_attr of @len bytes; ids are added by the caller. */
static int add_attr(struct perf_data *pd, const unsigned char *p, size_t len)
{
	struct attr *a;
	uint64_t flags;

	if (len < ATTR_SIZE_VER0 || pd->nr_attrs >= MAX_ATTRS)
		return -1;
	a = realloc(pd->attrs, (pd->nr_attrs + 1) * sizeof(*a));
	if (!a)
		return -1;
	pd->attrs = a;
	a = &pd->attrs[pd->nr_attrs++];
	a->type = rd32(pd, p);
	a->config = rd64(pd, p + 8);
	a->sample_type = rd64(pd, p + 24);
	a->read_format = rd64(pd, p + 32);
	flags = rd64(pd, p + 40);
	a->sample_id_all = flags >> (pd->file_big ? SAMPLE_ID_ALL_BE : SAMPLE_ID_ALL_LE) & 1;
	a->tag = -1;
	return 0;
}

static int add_ids(struct perf_data *pd, const unsigned char *p, uint64_t n, int attr)
{
	for (uint64_t i = 0; i < n; i++)
		if (id_add(pd, rd64(pd, p + 8 * i), attr))
			return -1;
	return 0;
}

static int read_attrs(struct perf_data *pd, const unsigned char *h,
		      char *err, size_t errlen)
{
	uint64_t attr_size = rd64(pd, h + 16);
	uint64_t off = rd64(pd, h + 24), len = rd64(pd, h + 32);

	if (attr_size < ATTR_SIZE_VER0 + SECTION_SIZE ||
	    attr_size > ATTR_SIZE_MAX + SECTION_SIZE || len % attr_size ||
	    len / attr_size > MAX_ATTRS || !in_file(pd, off, len)) {
		trace_set_err(err, errlen, pd->path,
			"corrupt perf.data header (attribute section)");
		return -1;
	}
	if (!len) {
		trace_set_err(err, errlen, pd->path, "perf.data holds no events");
		return -1;
	}
	for (uint64_t i = 0; i < len / attr_size; i++) {
		const unsigned char *p = pd->map + off + i * attr_size;
		const unsigned char *ids = p + attr_size - SECTION_SIZE;
		uint64_t ids_off = rd64(pd, ids), ids_len = rd64(pd, ids + 8);

		if (ids_len % 8 || !in_file(pd, ids_off, ids_len)) {
			trace_set_err(err, errlen, pd->path,
				"corrupt perf.data header (ids of event %llu)",
				(unsigned long long)i);
			return -1;
		}
		if (add_attr(pd, p, attr_size - SECTION_SIZE) ||
		    add_ids(pd, pd->map + ids_off, ids_len / 8, (int)i)) {
			trace_set_err(err, errlen, pd->path, "out of memory");
			return -1;
		}
	}
	return 0;
}

static bool feat_set(const struct perf_data *pd, const unsigned char *bitmap, int bit)
{
	return rd64(pd, bitmap + bit / 64 * 8) >> (bit % 64) & 1;
}

/* Index of @bit's section: the number of set bits below it. */
static int feat_index(const struct perf_data *pd, const unsigned char *bitmap, int bit)
{
	int n = 0;

	for (int i = 0; i < bit; i++)
		n += feat_set(pd, bitmap, i);
	return n;
}

static int load_tracing(struct perf_data *pd, const unsigned char *buf, size_t len,
			char *err, size_t errlen)
{
	char why[160];

	if (pd->has_tracing)
		return 0;	/* pipe mode may repeat it; the first one counts */
	pd->has_tracing = true;
	if (perf_tracing_parse(pd->tep, buf, len, &pd->tracing, why, sizeof(why))) {
		trace_set_err(err, errlen, pd->path, "%s", why);
		return -1;
	}
	if (load_cmdlines(pd, pd->tracing.cmdlines)) {
		trace_set_err(err, errlen, pd->path, "out of memory");
		return -1;
	}
	return 0;
}

static int read_features(struct perf_data *pd, const unsigned char *h,
			 char *err, size_t errlen)
{
	const unsigned char *bitmap = h + 72;
	int nr = feat_index(pd, bitmap, FEAT_BITS);
	const unsigned char *table = pd->map + pd->data_end;
	const unsigned char *sec;
	uint64_t off, len;

	if (!in_file(pd, pd->data_end, (uint64_t)nr * SECTION_SIZE)) {
		trace_set_err(err, errlen, pd->path,
			"truncated perf.data (the feature sections are missing)");
		return -1;
	}
	if (feat_set(pd, bitmap, FEAT_COMPRESSED)) {
		trace_set_err(err, errlen, pd->path,
			"compressed perf.data (perf record -z) is not supported; record without -z");
		return -1;
	}
	if (feat_set(pd, bitmap, FEAT_NRCPUS)) {
		sec = table + feat_index(pd, bitmap, FEAT_NRCPUS) * SECTION_SIZE;
		off = rd64(pd, sec);
		len = rd64(pd, sec + 8);
		if (len >= 4 && in_file(pd, off, 4) && rd32(pd, pd->map + off) <= 65536)
			pd->nr_cpus = (int)rd32(pd, pd->map + off);
	}
	if (!feat_set(pd, bitmap, FEAT_TRACING_DATA))
		return 0;
	sec = table + feat_index(pd, bitmap, FEAT_TRACING_DATA) * SECTION_SIZE;
	off = rd64(pd, sec);
	len = rd64(pd, sec + 8);
	if (!in_file(pd, off, len)) {
		trace_set_err(err, errlen, pd->path,
			"truncated perf.data (tracing data ends past the end of the file)");
		return -1;
	}
	return load_tracing(pd, pd->map + off, len, err, errlen);
}

static int read_file_header(struct perf_data *pd, char *err, size_t errlen)
{
	const unsigned char *h = pd->map;
	uint64_t hsize, off, len;

	if (pd->size < FILE_HEADER_SIZE) {
		trace_set_err(err, errlen, pd->path, "truncated perf.data header");
		return -1;
	}
	hsize = rd64(pd, h + 8);
	if (hsize != FILE_HEADER_SIZE && hsize != FILE_HEADER_OLD_SIZE) {
		trace_set_err(err, errlen, pd->path,
			"corrupt perf.data header (header size %llu)",
			(unsigned long long)hsize);
		return -1;
	}
	off = rd64(pd, h + 40);
	len = rd64(pd, h + 48);
	if (off < hsize || !in_file(pd, off, len)) {
		trace_set_err(err, errlen, pd->path,
			"truncated perf.data (data section ends past the end of the file)");
		return -1;
	}
	pd->data_start = off;
	pd->data_end = off + len;
	if (read_attrs(pd, h, err, errlen))
		return -1;
	if (hsize == FILE_HEADER_SIZE && read_features(pd, h, err, errlen))
		return -1;
	return 0;
}

/* ---- records -------------------------------------------------------------- */

/*
 * The record at pd->pos: its type and size, and the extra bytes that follow
 * it without being counted in its size (AUXTRACE data, pipe-mode tracing
 * data). Returns 1, 0 at the end of the data, -1 if the record is cut.
 */
static int peek_record(struct perf_data *pd, uint32_t *type, uint64_t *size,
		       char *err, size_t errlen)
{
	const unsigned char *rec = pd->map + pd->pos;
	size_t left = pd->data_end - pd->pos;
	uint64_t extra = 0;

	if (!left)
		return 0;
	if (left < 8)
		goto cut;
	*type = rd32(pd, rec);
	*size = rd16(pd, rec + 6);
	if (*size < 8 || *size > left)
		goto cut;
	if (*type == REC_AUXTRACE && *size >= 16)
		extra = rd64(pd, rec + 8);
	else if (*type == REC_HEADER_TRACING_DATA && pd->pipe && *size >= 12)
		extra = rd32(pd, rec + 8);
	if (extra > left - *size)
		goto cut;
	*size += extra;
	return 1;
cut:
	trace_set_err(err, errlen, pd->path,
		"truncated or corrupt perf.data record at offset %zu", pd->pos);
	return -1;
}

/* Pipe mode: the attributes and tracing data come as records up front. */
static int pipe_header_record(struct perf_data *pd, uint32_t type,
			      const unsigned char *rec, uint64_t size,
			      char *err, size_t errlen)
{
	uint64_t attr_len;

	switch (type) {
	case REC_HEADER_ATTR:
		attr_len = size >= 16 ? rd32(pd, rec + 12) : 0;
		attr_len = attr_len ? attr_len : ATTR_SIZE_VER0;
		if (attr_len > size - 8 || (size - 8 - attr_len) % 8) {
			trace_set_err(err, errlen, pd->path,
				"corrupt event attribute record at offset %zu", pd->pos);
			return -1;
		}
		if (add_attr(pd, rec + 8, attr_len) ||
		    add_ids(pd, rec + 8 + attr_len, (size - 8 - attr_len) / 8,
			    pd->nr_attrs - 1)) {
			trace_set_err(err, errlen, pd->path, "out of memory");
			return -1;
		}
		return 0;
	case REC_HEADER_TRACING_DATA:
		/* the data follows the 16-byte record, its size in the record */
		return load_tracing(pd, rec + rd16(pd, rec + 6),
				    size - rd16(pd, rec + 6), err, errlen);
	case REC_HEADER_FEATURE:
		if (size >= 24 && rd64(pd, rec + 8) == FEAT_NRCPUS &&
		    rd32(pd, rec + 16) <= 65536)
			pd->nr_cpus = (int)rd32(pd, rec + 16);
		return 0;
	case REC_COMPRESSED:
		trace_set_err(err, errlen, pd->path,
			"compressed perf.data (perf record -z) is not supported; record without -z");
		return -1;
	default:
		return 0;
	}
}

static int read_pipe_header(struct perf_data *pd, char *err, size_t errlen)
{
	uint64_t size;
	uint32_t type;
	int ret;

	pd->pipe = true;
	pd->data_start = PIPE_HEADER_SIZE;
	pd->data_end = pd->size;
	for (pd->pos = pd->data_start;; pd->pos += size) {
		ret = peek_record(pd, &type, &size, err, errlen);
		if (ret < 0)
			return -1;
		if (!ret || type == REC_SAMPLE)
			break;
		if (pipe_header_record(pd, type, pd->map + pd->pos, size, err, errlen))
			return -1;
	}
	if (!pd->nr_attrs) {
		trace_set_err(err, errlen, pd->path, "perf.data holds no events");
		return -1;
	}
	return 0;
}

/* ---- open and close ------------------------------------------------------- */

static int load_file(struct perf_data *pd, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(pd->path, O_RDONLY);
	void *p;

	if (fd < 0 || fstat(fd, &st)) {
		trace_set_err(err, errlen, pd->path, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		trace_set_err(err, errlen, pd->path, "not a regular file");
		goto fail;
	}
	pd->size = st.st_size;
	if (pd->size < 8) {
		trace_set_err(err, errlen, pd->path, "truncated perf.data header");
		goto fail;
	}
	p = mmap(NULL, pd->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		trace_set_err(err, errlen, pd->path, "cannot map: %s", strerror(errno));
		goto fail;
	}
	pd->map = p;
	pd->mapped = true;
	close(fd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

struct perf_data *perf_data_open(const char *path, char *err, size_t errlen)
{
	struct perf_data *pd = calloc(1, sizeof(*pd));

	if (!pd || !(pd->path = strdup(path)) || !(pd->tep = tep_alloc())) {
		trace_set_err(err, errlen, path, "out of memory");
		goto fail;
	}
	if (load_file(pd, err, errlen))
		goto fail;
	if (!memcmp(pd->map, "2ELIFREP", 8))
		pd->file_big = true;
	else if (memcmp(pd->map, "PERFILE2", 8)) {
		trace_set_err(err, errlen, path, "not a perf.data file (bad magic)");
		goto fail;
	}
	pd->swap = pd->file_big != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	pd->nr_cpus = 1;
	if (pd->size >= PIPE_HEADER_SIZE && rd64(pd, pd->map + 8) == PIPE_HEADER_SIZE) {
		if (read_pipe_header(pd, err, errlen))
			goto fail;
	} else if (read_file_header(pd, err, errlen)) {
		goto fail;
	}
	if (!pd->has_tracing) {
		trace_set_err(err, errlen, path,
			"no tracing data in this perf.data (no tracepoints recorded: "
			"use perf kmem record, or perf record -e kmem:kmalloc -e kmem:kfree)");
		goto fail;
	}
	if (check_id_positions(pd, err, errlen))
		goto fail;
	pd->pos = pd->data_start;
	return pd;
fail:
	perf_data_close(pd);
	return NULL;
}

void perf_data_close(struct perf_data *pd)
{
	if (!pd)
		return;
	if (pd->mapped)
		munmap((void *)pd->map, pd->size);
	perf_tracing_release(&pd->tracing);
	if (pd->tep)
		tep_free(pd->tep);
	free(pd->attrs);
	free(pd->id_keys);
	free(pd->id_attr);
	free(pd->q);
	free(pd->comms);
	free(pd->path);
	free(pd);
}

struct tep_handle *perf_data_tep(struct perf_data *pd)
{
	return pd->tep;
}

const struct perf_tracing *perf_data_tracing(const struct perf_data *pd)
{
	return &pd->tracing;
}

bool perf_data_has_kallsyms(const struct perf_data *pd)
{
	return pd->tracing.kallsyms && pd->tracing.kallsyms[0];
}

int perf_data_nr_attrs(const struct perf_data *pd)
{
	return pd->nr_attrs;
}

int perf_data_nr_cpus(const struct perf_data *pd)
{
	return pd->nr_cpus;
}

struct tep_event *perf_data_attr_event(struct perf_data *pd, int i)
{
	const struct attr *a;

	if (i < 0 || i >= pd->nr_attrs)
		return NULL;
	a = &pd->attrs[i];
	if (a->type != PERF_TYPE_TRACEPOINT || a->config > INT32_MAX)
		return NULL;
	return tep_find_event(pd->tep, (int)a->config);
}

int perf_data_keep(struct perf_data *pd, int i, int tag, char *err, size_t errlen)
{
	struct attr *a = &pd->attrs[i];
	const char *missing = NULL;

	if (!(a->sample_type & S_RAW))
		missing = "raw data (PERF_SAMPLE_RAW)";
	else if (!(a->sample_type & S_TIME))
		missing = "timestamps (PERF_SAMPLE_TIME)";
	else if ((a->sample_type & S_READ) && (a->read_format & ~F_KNOWN))
		missing = "a known read format";
	if (missing) {
		trace_set_err(err, errlen, pd->path, "samples of event %d carry no %s",
			i, missing);
		return -1;
	}
	a->tag = tag;
	return 0;
}

/* ---- samples ------------------------------------------------------------ */

/* Words a PERF_SAMPLE_READ value takes, or 0 if it does not fit in @left. */
static uint64_t read_words(const struct perf_data *pd, const struct attr *a,
			   const unsigned char *p, uint64_t left)
{
	uint64_t rf = a->read_format;
	uint64_t head = !!(rf & F_TIME_ENABLED) + !!(rf & F_TIME_RUNNING);
	uint64_t per = 1 + !!(rf & F_ID) + !!(rf & F_LOST);
	uint64_t nr;

	if (!(rf & F_GROUP))
		return per + head <= left ? per + head : 0;
	if (!left)
		return 0;
	nr = rd64(pd, p);
	if (nr > left / per || 1 + head + nr * per > left)
		return 0;
	return 1 + head + nr * per;
}

static int push(struct perf_data *pd, const struct qitem *qi)
{
	if (pd->q_nr == pd->q_cap) {
		size_t cap = pd->q_cap ? pd->q_cap * 2 : 4096;
		struct qitem *q = realloc(pd->q, cap * sizeof(*q));

		if (!q)
			return -1;
		pd->q = q;
		pd->q_cap = cap;
	}
	pd->q[pd->q_nr++] = *qi;
	if (qi->ts > pd->max_ts)
		pd->max_ts = qi->ts;
	if (qi->cpu < 65536 && (int)qi->cpu >= pd->nr_cpus)
		pd->nr_cpus = (int)qi->cpu + 1;
	return 0;
}

/*
 * Parse a sample of a kept attribute up to its RAW field into @qi.
 * Returns 1 to queue it, 0 to skip it, -1 if it is malformed.
 */
static int parse_sample(const struct perf_data *pd, const unsigned char *rec,
			uint64_t size, struct qitem *qi)
{
	const unsigned char *p = rec + 8;
	uint64_t left = (size - 8) / 8;		/* whole words after the header */
	const struct attr *a = &pd->attrs[0];
	uint64_t st, n;

	if (pd->nr_attrs > 1) {
		if ((uint64_t)pd->id_pos_sample >= left)
			return -1;
		a = attr_of_id(pd, rd64(pd, p + 8 * pd->id_pos_sample));
		if (!a)
			return 0;
	}
	if (a->tag < 0)
		return 0;
	st = a->sample_type;
	memset(qi, 0, sizeof(*qi));
	qi->tag = a->tag;
	/* IDENTIFIER, IP, TID, TIME, ADDR, ID, STREAM_ID, CPU, PERIOD */
	n = !!(st & S_IDENTIFIER) + !!(st & S_IP) + !!(st & S_TID) + !!(st & S_TIME) +
	    !!(st & S_ADDR) + !!(st & S_ID) + !!(st & S_STREAM_ID) + !!(st & S_CPU) +
	    !!(st & S_PERIOD);
	if (n >= left)
		return -1;
	p += 8 * (!!(st & S_IDENTIFIER) + !!(st & S_IP) + !!(st & S_TID));
	qi->ts = rd64(pd, p);
	p += 8 * (1 + !!(st & S_ADDR) + !!(st & S_ID) + !!(st & S_STREAM_ID));
	if (st & S_CPU) {
		qi->cpu = rd32(pd, p);
		p += 8;
	}
	p += 8 * !!(st & S_PERIOD);
	left -= n;
	if (st & S_READ) {
		n = read_words(pd, a, p, left);
		if (!n || n >= left)
			return -1;
		p += 8 * n;
		left -= n;
	}
	if (st & S_CALLCHAIN) {
		n = rd64(pd, p);
		if (n >= left - 1)
			return -1;
		p += 8 * (n + 1);
		left -= n + 1;
	}
	/* RAW: a u32 size, then the payload, padded to 8 bytes with the size */
	qi->raw_size = rd32(pd, p);
	if (qi->raw_size > left * 8 - 4)
		return -1;
	qi->off = (uint64_t)(p + 4 - pd->map);
	return 1;
}

/*
 * The sample_id trailer of a non-sample record: its time and CPU, if the
 * record has one. Returns 0, or -1 if the record is too short for it.
 */
static int parse_trailer(const struct perf_data *pd, const unsigned char *rec,
			 uint64_t size, uint64_t body, uint64_t *ts, uint32_t *cpu)
{
	const struct attr *a = &pd->attrs[0];
	const unsigned char *end = rec + size;
	uint64_t st, n;

	*ts = pd->max_ts;
	*cpu = 0;
	if (pd->nr_attrs > 1 && pd->id_pos_trailer >= 0 &&
	    (uint64_t)(pd->id_pos_trailer + 1) * 8 <= size - body)
		a = attr_of_id(pd, rd64(pd, end - 8 * (pd->id_pos_trailer + 1)));
	if (!a || !a->sample_id_all)
		return 0;
	st = a->sample_type;
	n = !!(st & S_TID) + !!(st & S_TIME) + !!(st & S_ID) + !!(st & S_STREAM_ID) +
	    !!(st & S_CPU) + !!(st & S_IDENTIFIER);
	if (n * 8 > size - body)
		return -1;
	end -= n * 8;
	end += 8 * !!(st & S_TID);
	if (st & S_TIME) {
		*ts = rd64(pd, end);
		end += 8;
	}
	end += 8 * (!!(st & S_ID) + !!(st & S_STREAM_ID));
	if (st & S_CPU)
		*cpu = rd32(pd, end);
	return 0;
}

/* A count no recording can reach is damage; keep the sums from overflowing. */
static uint64_t clamp_lost(uint64_t n)
{
	return n > UINT32_MAX ? UINT32_MAX : n;
}

static int on_lost(struct perf_data *pd, const unsigned char *rec, uint64_t size)
{
	struct qitem qi = { .tag = TAG_LOST };

	if (size < 24 || parse_trailer(pd, rec, size, 24, &qi.ts, &qi.cpu))
		return -1;
	qi.off = clamp_lost(rd64(pd, rec + 16));
	if (!qi.off)
		return 0;
	pd->lost_records += (int64_t)qi.off;
	return push(pd, &qi) ? -2 : 0;
}

/* Queue a COMM or FORK record of at least @body bytes, in time order. */
static int on_thread(struct perf_data *pd, int tag, const unsigned char *rec,
		     uint64_t size, uint64_t body)
{
	struct qitem qi = { .tag = tag };

	if (size < body || parse_trailer(pd, rec, size, body, &qi.ts, &qi.cpu))
		return -1;
	qi.off = (uint64_t)(rec - pd->map);
	return push(pd, &qi) ? -2 : 0;
}

/*
 * Apply a queued COMM (the thread's new name) or FORK (a new thread starts
 * with its parent's name). Sizes were checked when they were queued.
 */
static int apply_thread(struct perf_data *pd, const struct qitem *qi)
{
	const unsigned char *rec = pd->map + qi->off;
	const char *parent;
	char name[COMM_LEN];

	if (qi->tag == TAG_COMM)
		return comm_set(pd, (int)rd32(pd, rec + 12), (const char *)rec + 16,
				rd16(pd, rec + 6) - 16);
	parent = perf_data_comm(pd, (int)rd32(pd, rec + 20));
	if (!parent)
		return 0;
	snprintf(name, sizeof(name), "%s", parent);
	return comm_set(pd, (int)rd32(pd, rec + 16), name, sizeof(name));
}

static int cmp_qitem(const void *a, const void *b)
{
	const struct qitem *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return 0;
}

/* Sort what is queued and release everything at or before @limit. */
static void release(struct perf_data *pd, uint64_t limit)
{
	size_t lo = 0, hi = pd->q_nr;

	if (pd->q_nr)		/* a round with no samples: pd->q may be NULL */
		qsort(pd->q, pd->q_nr, sizeof(*pd->q), cmp_qitem);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pd->q[mid].ts <= limit)
			lo = mid + 1;
		else
			hi = mid;
	}
	pd->q_ready = lo;
}

/* One record; returns 1 at a round's end, 0 to go on, -1 bad, -2 memory. */
static int on_record(struct perf_data *pd, uint32_t type, const unsigned char *rec,
		     uint64_t size)
{
	struct qitem qi;
	int ret;

	switch (type) {
	case REC_SAMPLE:
		ret = parse_sample(pd, rec, size, &qi);
		if (ret <= 0)
			return ret;
		return push(pd, &qi) ? -2 : 0;
	case REC_LOST:
		return on_lost(pd, rec, size);
	case REC_LOST_SAMPLES:
		if (size < 16)
			return -1;
		pd->lost_samples += (int64_t)clamp_lost(rd64(pd, rec + 8));
		return 0;
	case REC_COMM:
		return on_thread(pd, TAG_COMM, rec, size, 17);
	case REC_FORK:
		return on_thread(pd, TAG_FORK, rec, size, 24);
	case REC_FINISHED_ROUND:
		/*
		 * Events of the pass that just ended may still go back to the
		 * largest timestamp of the pass before it, not further.
		 */
		release(pd, pd->round_limit);
		pd->round_limit = pd->max_ts;
		return 1;
	case REC_COMPRESSED:
		return -3;
	default:
		return 0;
	}
}

/* Read records until a round ends (or the data does). */
static int read_round(struct perf_data *pd, char *err, size_t errlen)
{
	uint64_t size;
	uint32_t type;
	int ret;

	for (;;) {
		ret = peek_record(pd, &type, &size, err, errlen);
		if (ret < 0)
			return -1;
		if (!ret) {
			release(pd, UINT64_MAX);
			pd->eof = true;
			return 0;
		}
		ret = on_record(pd, type, pd->map + pd->pos, size);
		if (ret == -1) {
			trace_set_err(err, errlen, pd->path,
				"corrupt perf.data record (type %u, %llu bytes) at offset %zu",
				type, (unsigned long long)size, pd->pos);
			return -1;
		}
		if (ret == -2) {
			trace_set_err(err, errlen, pd->path, "out of memory");
			return -1;
		}
		if (ret == -3) {
			trace_set_err(err, errlen, pd->path,
				"compressed perf.data (perf record -z) is not supported; record without -z");
			return -1;
		}
		pd->pos += size;
		if (ret == 1 && pd->q_ready)
			return 0;
	}
}

/*
 * perf 6.x ends a recording with one LOST_SAMPLES record per event and
 * CPU, holding the counter's lost total: the same losses the LOST records
 * already told, counted again. Only what they add is a gap of its own,
 * at the end, where it was learnt.
 */
static int tail_lost(struct perf_data *pd, struct perf_item *item)
{
	pd->tail_done = true;
	if (pd->lost_samples <= pd->lost_records)
		return 0;
	memset(item, 0, sizeof(*item));
	item->kind = PERF_ITEM_LOST;
	item->ts = pd->max_ts;
	item->lost = pd->lost_samples - pd->lost_records;
	item->tag = TAG_LOST;
	return 1;
}

int perf_data_next(struct perf_data *pd, struct perf_item *item,
		   char *err, size_t errlen)
{
	for (;;) {
		if (pd->q_out < pd->q_ready) {
			const struct qitem *qi = &pd->q[pd->q_out++];

			if (qi->tag == TAG_COMM || qi->tag == TAG_FORK) {
				if (apply_thread(pd, qi)) {
					trace_set_err(err, errlen, pd->path, "out of memory");
					return -1;
				}
				continue;
			}
			item->ts = qi->ts;
			item->cpu = qi->cpu;
			item->tag = qi->tag;
			if (qi->tag == TAG_LOST) {
				item->kind = PERF_ITEM_LOST;
				item->lost = (int64_t)qi->off;
				item->raw = NULL;
				item->raw_size = 0;
			} else {
				item->kind = PERF_ITEM_SAMPLE;
				item->lost = 0;
				item->raw = pd->map + qi->off;
				item->raw_size = qi->raw_size;
			}
			return 1;
		}
		if (pd->eof)
			return pd->tail_done ? 0 : tail_lost(pd, item);
		/* everything released is delivered: keep only what waits */
		if (pd->q_ready)
			memmove(pd->q, pd->q + pd->q_ready,
				(pd->q_nr - pd->q_ready) * sizeof(*pd->q));
		pd->q_nr -= pd->q_ready;
		pd->q_out = pd->q_ready = 0;
		if (read_round(pd, err, errlen))
			return -1;
	}
}
