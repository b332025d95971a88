// SPDX-License-Identifier: GPL-2.0
/*
 * test_tdat_writer.c - files written by the trace.dat writer read back
 * identically through libtracecmd: timestamps, CPUs, PIDs, fields, and
 * missed-event counts on exactly the first record after each gap.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <trace-cmd.h>

#include "kmrv/tdat.h"
#include "../tools/kmrv-profiles.h"

/* kmem:kmalloc on 6.18 (kmrv-profiles.h): a 56-byte record */
#define KMALLOC_ID	658
#define KMALLOC_LEN	56

static const char big_format[] =
	"name: big\n"
	"ID: 900\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:unsigned long seq;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:char blob[300];\toffset:16;\tsize:300;\tsigned:0;\n"
	"\n"
	"print fmt: \"seq=%lu\", REC->seq\n";

#define BIG_ID		900
#define BIG_LEN		316

/* What a test wrote, to compare with what libtracecmd reads. */
struct expect {
	uint64_t	ts;
	int		cpu;
	int		pid;
	uint64_t	ptr;
	uint64_t	call_site;
	uint64_t	bytes_req;
	int64_t		missed;
	int		big;		/* a 'big' record: ptr holds seq */
};

struct ctx {
	char		dir[64];
	char		path[128];
	struct kmrv_tdat_format formats[8];
	struct kmrv_tdat_meta meta;
	struct expect	*exp;
	size_t		nexp, cap;
	int64_t		pending_lost[8];
	int		has_pending[8];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	strcpy(c->dir, "/tmp/kmrv-tdat-XXXXXX");
	if (!mkdtemp(c->dir))
		return -1;
	snprintf(c->path, sizeof(c->path), "%s/out.dat", c->dir);
	c->formats[0] = (struct kmrv_tdat_format){ "kmem", modern_kmalloc };
	c->formats[1] = (struct kmrv_tdat_format){ "kmem", modern_kfree };
	c->formats[2] = (struct kmrv_tdat_format){ "ftrace", modern_print };
	c->formats[3] = (struct kmrv_tdat_format){ "kmrvtest", big_format };
	c->meta = (struct kmrv_tdat_meta){
		.nr_cpus = 3,
		.page_size = 4096,
		.formats = c->formats,
		.nr_formats = 4,
		.kallsyms = "ffffffff81000000 T _stext\nffffffff81234500 t do_thing\n"
			    "ffffffff82000000 T _etext\n",
		.cmdlines = "100 bash\n7 kworker/0:1\n",
		.trace_clock = "[local] global counter\n",
		.uname = "Linux test 6.18.0",
		.version = "kmrv-test",
	};
	*state = c;
	return 0;
}

/* The directory must hold exactly @n entries (the output, no spools). */
static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return (size_t)-1;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	}
	closedir(d);
	return n;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
	if (system(cmd))
		return -1;
	free(c->exp);
	free(c);
	return 0;
}

static void put_le(unsigned char *p, int size, uint64_t v)
{
	for (int i = 0; i < size; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static void push_expect(struct ctx *c, const struct expect *e)
{
	if (c->nexp == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->exp = realloc(c->exp, c->cap * sizeof(*c->exp));
		assert_non_null(c->exp);
	}
	c->exp[c->nexp++] = *e;
}

static void add_kmalloc(struct ctx *c, struct kmrv_tdat_writer *w, int cpu,
			uint64_t ts, int pid, uint64_t ptr, uint64_t site,
			uint64_t req)
{
	unsigned char p[KMALLOC_LEN] = { 0 };
	struct expect e = { ts, cpu, pid, ptr, site, req, 0, 0 };

	put_le(p, 2, KMALLOC_ID);
	put_le(p + 4, 4, (uint64_t)pid);
	put_le(p + 8, 8, site);
	put_le(p + 16, 8, ptr);
	put_le(p + 24, 8, req);
	put_le(p + 32, 8, req);
	put_le(p + 40, 8, 0xcc0);
	assert_int_equal(kmrv_tdat_add_event(w, cpu, ts, p, sizeof(p)), 0);
	if (c->has_pending[cpu]) {
		e.missed = c->pending_lost[cpu];
		c->has_pending[cpu] = 0;
	}
	push_expect(c, &e);
}

static void add_big(struct ctx *c, struct kmrv_tdat_writer *w, int cpu,
		    uint64_t ts, int pid, uint64_t seq)
{
	unsigned char p[BIG_LEN] = { 0 };
	struct expect e = { ts, cpu, pid, seq, 0, 0, 0, 1 };

	put_le(p, 2, BIG_ID);
	put_le(p + 4, 4, (uint64_t)pid);
	put_le(p + 8, 8, seq);
	for (int i = 0; i < 300; i++)
		p[16 + i] = (unsigned char)(seq + i);
	assert_int_equal(kmrv_tdat_add_event(w, cpu, ts, p, sizeof(p)), 0);
	if (c->has_pending[cpu]) {
		e.missed = c->pending_lost[cpu];
		c->has_pending[cpu] = 0;
	}
	push_expect(c, &e);
}

static void add_lost(struct ctx *c, struct kmrv_tdat_writer *w, int cpu,
		     int64_t count)
{
	assert_int_equal(kmrv_tdat_add_lost(w, cpu, count), 0);
	if (c->has_pending[cpu] && (count < 0 || c->pending_lost[cpu] < 0))
		c->pending_lost[cpu] = -1;
	else
		c->pending_lost[cpu] = (c->has_pending[cpu] ?
					c->pending_lost[cpu] : 0) + count;
	c->has_pending[cpu] = 1;
}

static struct kmrv_tdat_writer *create(struct ctx *c)
{
	char err[256] = "";
	struct kmrv_tdat_writer *w = kmrv_tdat_create(c->path, &c->meta,
						      err, sizeof(err));

	if (!w)
		fail_msg("create: %s", err);
	return w;
}

static void close_ok(struct kmrv_tdat_writer *w)
{
	char err[256] = "";

	if (kmrv_tdat_close(w, err, sizeof(err)))
		fail_msg("close: %s", err);
}

static uint64_t field(struct tep_handle *tep, struct tep_record *r,
		      const char *name)
{
	struct tep_event *ev = tep_find_event_by_record(tep, r);
	struct tep_format_field *f;
	unsigned long long v = 0;

	assert_non_null(ev);
	f = tep_find_field(ev, name);
	assert_non_null(f);
	assert_int_equal(tep_read_number_field(f, r->data, &v), 0);
	return v;
}

static void check_record(struct tep_handle *tep, struct tep_record *r,
			 const struct expect *e)
{
	struct tep_event *ev = tep_find_event_by_record(tep, r);

	assert_non_null(ev);
	assert_int_equal(r->ts, e->ts);
	assert_int_equal(r->cpu, e->cpu);
	assert_int_equal(tep_data_pid(tep, r), e->pid);
	assert_int_equal(r->missed_events, e->missed);
	if (e->big) {
		const unsigned char *blob = (const unsigned char *)r->data + 16;

		assert_string_equal(ev->name, "big");
		assert_true(r->size >= BIG_LEN);
		assert_int_equal(field(tep, r, "seq"), e->ptr);
		for (int i = 0; i < 300; i++)
			assert_int_equal(blob[i], (unsigned char)(e->ptr + i));
		return;
	}
	assert_string_equal(ev->name, "kmalloc");
	assert_int_equal(field(tep, r, "ptr"), e->ptr);
	assert_int_equal(field(tep, r, "call_site"), e->call_site);
	assert_int_equal(field(tep, r, "bytes_req"), e->bytes_req);
	assert_int_equal(field(tep, r, "bytes_alloc"), e->bytes_req);
	assert_int_equal(field(tep, r, "gfp_flags"), 0xcc0);
}

/* The written file through libtracecmd, with its tep in *@tep. */
static struct tracecmd_input *open_written(struct ctx *c, struct tep_handle **tep)
{
	struct tracecmd_input *h = tracecmd_open(c->path,
						 TRACECMD_FL_LOAD_NO_PLUGINS);

	assert_non_null(h);
	*tep = tracecmd_get_tep(h);
	return h;
}

/* Read every CPU with tracecmd_read_data and compare in write order. */
static void verify(struct ctx *c)
{
	struct tep_handle *tep;
	struct tracecmd_input *h = open_written(c, &tep);
	size_t seen = 0;

	for (int cpu = 0; cpu < c->meta.nr_cpus; cpu++) {
		struct tep_record *r;
		size_t i = 0;

		while ((r = tracecmd_read_data(h, cpu))) {
			while (i < c->nexp && c->exp[i].cpu != cpu)
				i++;
			assert_true(i < c->nexp);
			check_record(tep, r, &c->exp[i]);
			tracecmd_free_record(r);
			i++;
			seen++;
		}
		while (i < c->nexp && c->exp[i].cpu != cpu)
			i++;
		assert_true(i == c->nexp);	/* nothing left unread */
	}
	assert_int_equal(seen, c->nexp);
	tracecmd_close(h);
}

/* Several CPUs, interleaved timestamps, enough records to fill pages. */
static void test_interleaved_cpus_fill_pages(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w = create(c);

	for (int i = 0; i < 900; i++) {
		int cpu = (i * 7) % 3;

		add_kmalloc(c, w, cpu, 1000 + (uint64_t)i * 13, 100 + i % 5,
			    0xffff888000000000ULL + (uint64_t)i * 64,
			    0xffffffff81234510ULL + (uint64_t)(i % 3), 8 + i % 100);
	}
	close_ok(w);
	verify(c);
	assert_int_equal(dir_entries(c->dir), 1);
}

/* Deltas past 27 bits take a TIME_EXTEND; past 59 bits, a new page. */
static void test_large_deltas_time_extend(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w = create(c);
	uint64_t ts = 5;

	static const uint64_t gaps[] = {
		0, 1, (1ULL << 27) - 1, 1ULL << 27, (1ULL << 27) + 1,
		1ULL << 32, 123456789012ULL, (1ULL << 59) - 1, 1ULL << 59,
		1ULL << 60, 7, 0, 0,
	};

	for (size_t i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
		ts += gaps[i];
		add_kmalloc(c, w, 1, ts, 7, 0x1000 + i * 16, 0, 16);
		add_kmalloc(c, w, 0, ts + 1, 100, 0x9000 + i * 16, 0, 32);
	}
	close_ok(w);
	verify(c);
}

/* Payloads above 112 bytes use type_len 0 and a length word. */
static void test_large_payloads(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w = create(c);

	for (int i = 0; i < 40; i++) {
		add_big(c, w, 2, 100 + (uint64_t)i, 42, (uint64_t)i);
		add_kmalloc(c, w, 2, 100 + (uint64_t)i, 42, 0x2000 + i, 0, 1);
	}
	close_ok(w);
	verify(c);
}

/* missed_events: the count (or -1) on the first record after each gap. */
static void test_lost_events_counted(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w = create(c);
	uint64_t ts = 1000;

	add_lost(c, w, 1, 2);			/* before the first record */
	add_kmalloc(c, w, 1, ts++, 7, 0x10000, 0, 8);
	add_kmalloc(c, w, 0, ts++, 100, 0x20000, 0, 8);
	add_kmalloc(c, w, 0, ts++, 100, 0x20040, 0, 8);
	add_lost(c, w, 0, 5);
	add_kmalloc(c, w, 0, ts++, 100, 0x20080, 0, 8);
	add_kmalloc(c, w, 0, ts++, 100, 0x200c0, 0, 8);
	add_lost(c, w, 0, -1);
	add_kmalloc(c, w, 0, ts++, 100, 0x20100, 0, 8);
	add_lost(c, w, 0, 3);			/* two gaps in a row add up */
	add_lost(c, w, 0, 4);
	add_kmalloc(c, w, 0, ts++, 100, 0x20140, 0, 8);
	add_lost(c, w, 0, 3);			/* with an unknown: unknown */
	add_lost(c, w, 0, -1);
	add_kmalloc(c, w, 0, ts++, 100, 0x20180, 0, 8);
	add_lost(c, w, 2, 1000000);
	/* a flagged page filled to the brim: the count still fits */
	for (int i = 0; i < 200; i++)
		add_kmalloc(c, w, 2, ts + (uint64_t)i * (1ULL << 28), 9,
			    0x30000 + (uint64_t)i * 64, 0, 8);
	close_ok(w);
	verify(c);
}

/* tracecmd_iterate_events sees every record once, in timestamp order. */
struct iter_state {
	size_t		n;
	uint64_t	last_ts;
	int		missed;
};

static int iter_cb(struct tracecmd_input *h, struct tep_record *r, int cpu,
		   void *data)
{
	struct iter_state *s = data;

	(void)h;
	assert_int_equal(r->cpu, cpu);
	assert_true(r->ts >= s->last_ts);
	s->last_ts = r->ts;
	s->missed += r->missed_events != 0;
	s->n++;
	return 0;
}

static void test_iterate_events_order(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w = create(c);
	struct iter_state s = { 0 };
	struct tracecmd_input *h;

	for (int i = 0; i < 300; i++) {
		if (i == 150)
			add_lost(c, w, 1, 11);
		add_kmalloc(c, w, i % 3, 50 + (uint64_t)i / 2, 1, 0x100 + i, 0, 4);
	}
	close_ok(w);
	h = tracecmd_open(c->path, TRACECMD_FL_LOAD_NO_PLUGINS);
	assert_non_null(h);
	assert_int_equal(tracecmd_iterate_events(h, NULL, 0, iter_cb, &s), 0);
	tracecmd_close(h);
	assert_int_equal(s.n, 300);
	assert_int_equal(s.missed, 1);
	verify(c);
}

/* A CPU that saw nothing reads as empty. */
static void test_empty_cpu(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w = create(c);

	add_kmalloc(c, w, 2, 10, 1, 0x40, 0, 4);
	close_ok(w);
	verify(c);
}

/* More than the in-memory buffer: spooled, assembled, spools removed. */
static void test_spooled_data(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w = create(c);
	struct stat st;

	for (int i = 0; i < 30000; i++)
		add_kmalloc(c, w, i % 2, 1 + (uint64_t)i, 1 + i % 9,
			    0xffff888000000000ULL + (uint64_t)i * 32, 0, 1 + i % 64);
	/* spools exist beside the output while writing */
	assert_true(dir_entries(c->dir) > 1);
	close_ok(w);
	assert_int_equal(dir_entries(c->dir), 1);
	assert_int_equal(stat(c->path, &st), 0);
	assert_int_equal(st.st_size % 4096, 0);
	verify(c);
}

/* Raw pages (the recorder's path) pass through; a pending gap is folded in. */
static void test_raw_page(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w = create(c);
	unsigned char page[4096] = { 0 };
	unsigned char *rec = page + 16;
	struct expect e = { 5000, 1, 77, 0xabc0, 0x1234, 48, 9, 0 };

	put_le(page, 8, 5000);				/* page timestamp */
	put_le(page + 8, 8, 4 + KMALLOC_LEN);		/* commit */
	put_le(rec, 4, KMALLOC_LEN / 4);		/* type_len 14, delta 0 */
	put_le(rec + 4, 2, KMALLOC_ID);
	put_le(rec + 8, 4, 77);
	put_le(rec + 12, 8, 0x1234);
	put_le(rec + 20, 8, 0xabc0);
	put_le(rec + 28, 8, 48);
	put_le(rec + 36, 8, 48);
	put_le(rec + 44, 8, 0xcc0);
	add_kmalloc(c, w, 1, 4000, 77, 0xabc0, 0x1234, 48);
	assert_int_equal(kmrv_tdat_add_lost(w, 1, 9), 0);
	assert_int_equal(kmrv_tdat_add_page(w, 1, page), 0);
	push_expect(c, &e);
	close_ok(w);
	verify(c);
}

/* ---- errors ------------------------------------------------------------- */

static void test_unwritable_path_names_it(void **state)
{
	struct ctx *c = *state;
	char err[256] = "";
	const char *bad = "/nonexistent-kmrv-dir/sub/out.dat";

	assert_null(kmrv_tdat_create(bad, &c->meta, err, sizeof(err)));
	assert_true(!strncmp(err, bad, strlen(bad)));
	assert_non_null(strstr(err, ": No such file or directory"));
}

static void test_bad_meta_rejected(void **state)
{
	struct ctx *c = *state;
	char err[256] = "";

	c->meta.page_size = 1000;
	assert_null(kmrv_tdat_create(c->path, &c->meta, err, sizeof(err)));
	assert_non_null(strstr(err, c->path));
	c->meta.page_size = 4096;
	c->meta.nr_cpus = 0;
	assert_null(kmrv_tdat_create(c->path, &c->meta, err, sizeof(err)));
	assert_non_null(strstr(err, "cpus"));
	assert_int_equal(dir_entries(c->dir), 0);
}

static void test_backwards_timestamp_fails_and_removes(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w = create(c);
	unsigned char p[KMALLOC_LEN] = { 0 };
	char err[256] = "";

	assert_int_equal(kmrv_tdat_add_event(w, 0, 100, p, sizeof(p)), 0);
	assert_null(kmrv_tdat_error(w));
	assert_int_equal(kmrv_tdat_add_event(w, 0, 99, p, sizeof(p)), -1);
	assert_non_null(strstr(kmrv_tdat_error(w), c->path));
	/* sticky: later calls fail too */
	assert_int_equal(kmrv_tdat_add_event(w, 0, 200, p, sizeof(p)), -1);
	assert_int_equal(kmrv_tdat_add_event(w, 7, 200, p, sizeof(p)), -1);
	assert_int_equal(kmrv_tdat_close(w, err, sizeof(err)), -1);
	assert_true(!strncmp(err, c->path, strlen(c->path)));
	assert_non_null(strstr(err, "goes back"));
	assert_int_equal(dir_entries(c->dir), 0);
}

static void test_bad_cpu_and_oversized_record(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w = create(c);
	static unsigned char huge[5000];

	assert_int_equal(kmrv_tdat_add_event(w, 3, 1, huge, 8), -1);
	assert_non_null(strstr(kmrv_tdat_error(w), "cpu 3"));
	kmrv_tdat_abort(w);

	w = create(c);
	assert_int_equal(kmrv_tdat_add_event(w, 0, 1, huge, sizeof(huge)), -1);
	assert_non_null(strstr(kmrv_tdat_error(w), "does not fit"));
	kmrv_tdat_abort(w);
	assert_int_equal(dir_entries(c->dir), 0);
}

static void test_abort_removes_output_and_spools(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w = create(c);

	for (int i = 0; i < 20000; i++)
		add_kmalloc(c, w, i % 3, (uint64_t)i, 1, 0x1000 + i, 0, 8);
	assert_true(dir_entries(c->dir) > 1);
	kmrv_tdat_abort(w);
	assert_int_equal(dir_entries(c->dir), 0);
}

/* /dev/full: every write fails with ENOSPC; the device is left alone. */
static void test_enospc_reported(void **state)
{
	struct ctx *c = *state;
	struct kmrv_tdat_writer *w;
	char err[256] = "";
	struct stat st;

	if (stat("/dev/full", &st) || !S_ISCHR(st.st_mode))
		skip();
	w = kmrv_tdat_create("/dev/full", &c->meta, err, sizeof(err));
	if (!w)
		fail_msg("create: %s", err);
	add_kmalloc(c, w, 0, 1, 1, 0x40, 0, 4);
	assert_int_equal(kmrv_tdat_close(w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/dev/full: "));
	assert_non_null(strstr(err, strerror(ENOSPC)));
	assert_int_equal(stat("/dev/full", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

/* The cmdlines a file holds, as libtracecmd reads them: "pid comm;..." */
static void file_comms(struct ctx *c, const int *pids, int n, char *buf, size_t len)
{
	struct tep_handle *tep;
	struct tracecmd_input *h = open_written(c, &tep);
	size_t at = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%d %s;", pids[i],
				       tep_is_pid_registered(tep, pids[i]) ?
				       tep_data_comm_from_pid(tep, pids[i]) : "-");
	tracecmd_close(h);
}

/*
 * Write a one-record file, its cmdlines replaced by @cmdlines before close
 * when @replace, and return the names it holds for pids 100, 7, 4242 and
 * 4243 as libtracecmd reads them.
 */
static const char *written_names(struct ctx *c, bool replace,
				 const char *cmdlines, char *buf, size_t len)
{
	static const int pids[] = { 100, 7, 4242, 4243 };
	struct kmrv_tdat_writer *w = create(c);

	c->nexp = 0;
	add_kmalloc(c, w, 0, 1, 4242, 0x40, 0, 4);
	if (replace)
		assert_int_equal(kmrv_tdat_set_cmdlines(w, cmdlines), 0);
	close_ok(w);
	verify(c);
	file_comms(c, pids, 4, buf, len);
	return buf;
}

/* The names given at create time, then replaced before close (a recorder
 * hands over the names it knows at the end). */
static void test_cmdlines_replaced_before_close(void **state)
{
	struct ctx *c = *state;
	char buf[256];

	assert_string_equal(written_names(c, false, NULL, buf, sizeof(buf)),
			    "100 bash;7 kworker/0:1;4242 -;4243 -;");
	assert_string_equal(written_names(c, true, "4242 cat\n4243 wc\n100 sh\n",
					  buf, sizeof(buf)),
			    "100 sh;7 -;4242 cat;4243 wc;");
	assert_string_equal(written_names(c, true, NULL, buf, sizeof(buf)),
			    "100 -;7 -;4242 -;4243 -;");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_interleaved_cpus_fill_pages),
		T(test_large_deltas_time_extend),
		T(test_large_payloads),
		T(test_lost_events_counted),
		T(test_iterate_events_order),
		T(test_empty_cpu),
		T(test_spooled_data),
		T(test_raw_page),
		T(test_unwritable_path_names_it),
		T(test_bad_meta_rejected),
		T(test_backwards_timestamp_fails_and_removes),
		T(test_bad_cpu_and_oversized_record),
		T(test_abort_removes_output_and_spools),
		T(test_enospc_reported),
		T(test_cmdlines_replaced_before_close),
	};

	tracecmd_set_loglevel(TEP_LOG_NONE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
