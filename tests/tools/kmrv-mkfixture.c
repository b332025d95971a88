// SPDX-License-Identifier: GPL-2.0
/*
 * kmrv-mkfixture - make trace.dat test fixtures from a text description.
 *
 *   kmrv-mkfixture IN.txt OUT.dat
 *   kmrv-mkfixture --synthetic N [--cpus C] [--live L] [--seed S]
 *                  [--kernel modern|old] [--page-size P] OUT.dat
 *
 * Payloads are built from the event format text of a kernel profile
 * (kmrv-profiles.h): each format is parsed with libtraceevent and every
 * value is placed at the offset and size tep reports, so one description
 * yields files with different field layouts (`kernel modern` / `kernel
 * old`). The file is written by the trace.dat writer the recorder uses.
 *
 * Description format (also in tests/fixtures/README), one item per line;
 * '#' at the start of a line or after blank space starts a comment:
 *
 *   kernel modern|old          profile (default modern)
 *   cpus N                     number of CPUs (default 1)
 *   page-size N                ring-buffer page size (default 4096)
 *   kallsyms ADDR TYPE NAME    one /proc/kallsyms line (repeatable)
 *   kallsyms-file PATH         kallsyms lines from a file (relative to IN)
 *   comm PID NAME              a saved_cmdlines entry
 *
 *   CPU TS EVENT PID [field=value ...]
 *                              one record. EVENT is kmalloc, kmalloc_node,
 *                              kfree, kmem_cache_alloc, kmem_cache_alloc_node,
 *                              kmem_cache_free, fork, exec, exit, print, or
 *                              SYSTEM:NAME. Fields not given are 0 ("" for
 *                              strings); common_pid is PID, common_type the
 *                              event's ID. Strings: __data_loc (name=,
 *                              filename=, child_comm=) or char[N] (comm=);
 *                              quote values with blanks: comm="a b".
 *                              print takes the rest of the line as its text.
 *   lost CPU COUNT             COUNT events were lost on CPU here: the next
 *                              page of CPU has missed_events=COUNT; COUNT
 *                              -1 (or ?) sets the flag with no count.
 *   repeat N ... end           the lines between, N times; inside, a number
 *                              may be written V+i*K: V + iteration * K
 *                              (iteration 0..N-1), e.g. ts 1000+i*10.
 *
 * Records of one CPU are written in the order given; their timestamps
 * must not decrease. Directives may appear anywhere.
 *
 * --synthetic writes N kmalloc/kfree records, deterministic from the seed:
 * a live set of about L..2L objects, frees on random (often other) CPUs,
 * addresses from a fixed pool of 4L (the last freed one reused half of
 * the time, a random free one otherwise), 16 call sites with
 * kallsyms, 8 PIDs. Objects still live at the end stay unfreed.
 *
 * Exit status: 0 written, 1 input or output error, 2 usage.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>

#include "kmrv/tdat.h"
#include "kmrv-profiles.h"

#define PAYLOAD_MAX	4096
#define MAX_KV		32
#define TRACE_CLOCK	"[local] global counter uptime perf mono mono_raw boot\n"

static const char *const usage[] = {
	"usage: kmrv-mkfixture IN.txt OUT.dat",
	"       kmrv-mkfixture --synthetic N [--cpus C] [--live L] [--seed S]",
	"                      [--kernel modern|old] [--page-size P] OUT.dat",
	"",
	"  IN.txt           a fixture description (see tests/fixtures/README)",
	"  --synthetic N    N kmalloc/kfree events, deterministic from --seed",
	"  --cpus C         CPUs (default 1; synthetic default 4)",
	"  --live L         objects kept live, about L..2L (default 1000)",
	"  --seed S         PRNG seed (default 1)",
	"  --kernel K       event layouts: modern (6.x, default) or old (4.x)",
	"  --page-size P    ring-buffer page size (default 4096)",
	NULL,
};

struct line {
	int		no;
	char		*text;
};

struct mkf {
	const char		*in_path;
	const char		*out_path;
	const struct mkf_profile *prof;
	struct tep_handle	*tep;
	int			nr_cpus;
	unsigned int		page_size;

	FILE			*ks;		/* kallsyms being collected */
	char			*kallsyms;
	size_t			kallsyms_len;
	FILE			*cl;		/* cmdlines being collected */
	char			*cmdlines;
	size_t			cmdlines_len;

	struct line		*lines;
	int			nr_lines;

	struct kmrv_tdat_writer	*w;
	uint64_t		*last_ts;	/* per CPU */
	bool			*cpu_used;
	unsigned char		payload[PAYLOAD_MAX];
	int			no;		/* line being processed */
};

static void print_usage(FILE *out)
{
	for (int i = 0; usage[i]; i++)
		fprintf(out, "%s\n", usage[i]);
}

static int lerr(struct mkf *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "IN:LINE: message", the position of the line being processed. */
static int lerr(struct mkf *m, const char *fmt, ...)
{
	va_list ap;

	if (m->no)
		fprintf(stderr, "%s:%d: ", m->in_path, m->no);
	else
		fprintf(stderr, "kmrv-mkfixture: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* ---- tokens and numbers ----------------------------------------------- */

/*
 * Split off the next blank-separated token, in place. Double quotes group
 * blanks into a token and are removed.
 */
static char *next_token(char **pp)
{
	char *p = *pp, *start, *q;
	bool quoted = false;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return NULL;
	start = q = p;
	while (*p && (quoted || !isspace((unsigned char)*p))) {
		if (*p == '"')
			quoted = !quoted;
		else
			*q++ = *p;
		p++;
	}
	if (*p)
		p++;
	*q = '\0';
	*pp = p;
	return start;
}

/* NUM or NUM+i*K (K times the repeat iteration added). */
static int parse_value(const char *s, uint64_t iter, uint64_t *out)
{
	char *end;
	uint64_t v, k;

	errno = 0;
	if (*s == '-')
		v = (uint64_t)strtoll(s, &end, 0);
	else
		v = strtoull(s, &end, 0);
	if (end == s || errno)
		return -1;
	if (*end == '+') {
		if (strncmp(end, "+i*", 3))
			return -1;
		s = end + 3;
		k = strtoull(s, &end, 0);
		if (end == s || errno)
			return -1;
		v += iter * k;
	}
	*out = v;
	return *end ? -1 : 0;
}

static int parse_int(struct mkf *m, const char *s, const char *what,
		     uint64_t iter, int64_t min, int64_t max, int64_t *out)
{
	uint64_t v;

	if (!s || parse_value(s, iter, &v))
		return lerr(m, "expected %s, found '%s'", what, s ? s : "");
	if ((int64_t)v < min || (int64_t)v > max)
		return lerr(m, "%s %s is out of range [%" PRId64 ", %" PRId64 "]",
			    what, s, min, max);
	*out = (int64_t)v;
	return 0;
}

/* ---- reading the description ------------------------------------------ */

/* Cut a comment: '#' at the start or after a blank, outside quotes. */
static void strip_comment(char *s)
{
	bool quoted = false;

	for (char *p = s; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		if (*p == '#' && !quoted &&
		    (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	}
}

static bool blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return !*s;
}

static int add_line(struct mkf *m, int no, const char *text)
{
	struct line *l;

	l = realloc(m->lines, (size_t)(m->nr_lines + 1) * sizeof(*l));
	if (!l)
		return lerr(m, "out of memory");
	m->lines = l;
	l[m->nr_lines].no = no;
	l[m->nr_lines].text = strdup(text);
	if (!l[m->nr_lines].text)
		return lerr(m, "out of memory");
	m->nr_lines++;
	return 0;
}

static int read_lines(struct mkf *m)
{
	FILE *f = fopen(m->in_path, "r");
	char *buf = NULL;
	size_t cap = 0;
	int no = 0, ret = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", m->in_path, strerror(errno));
		return -1;
	}
	while (getline(&buf, &cap, f) >= 0) {
		no++;
		buf[strcspn(buf, "\r\n")] = '\0';
		strip_comment(buf);
		if (!blank(buf) && add_line(m, no, buf)) {
			ret = -1;
			break;
		}
	}
	if (!ret && ferror(f)) {
		fprintf(stderr, "%s: %s\n", m->in_path, strerror(errno));
		ret = -1;
	}
	free(buf);
	fclose(f);
	return ret;
}

static int set_kernel(struct mkf *m, const char *name)
{
	for (size_t i = 0; i < MKF_NR_PROFILES; i++) {
		if (name && !strcmp(mkf_profiles[i].name, name)) {
			m->prof = &mkf_profiles[i];
			return 0;
		}
	}
	return lerr(m, "unknown kernel '%s' (modern or old)", name ? name : "");
}

static int add_kallsyms_file(struct mkf *m, const char *name)
{
	char *path = NULL;
	const char *slash = strrchr(m->in_path, '/');
	FILE *f;
	int c;

	if (!name)
		return lerr(m, "kallsyms-file needs a path");
	if (name[0] != '/' && slash) {
		if (asprintf(&path, "%.*s/%s", (int)(slash - m->in_path),
			     m->in_path, name) < 0)
			return lerr(m, "out of memory");
	}
	f = fopen(path ? path : name, "r");
	if (!f) {
		lerr(m, "%s: %s", path ? path : name, strerror(errno));
		free(path);
		return -1;
	}
	while ((c = getc(f)) != EOF)
		putc(c, m->ks);
	fclose(f);
	free(path);
	return 0;
}

/*
 * Header directives (pass one). Returns 1 if @text was one, 0 if it is
 * for pass two, -1 on error.
 */
static int header_directive(struct mkf *m, char *text)
{
	char *p = text, *kw = next_token(&p), *a = next_token(&p);
	int64_t v;

	if (!strcmp(kw, "kernel"))
		return set_kernel(m, a) ? -1 : 1;
	if (!strcmp(kw, "cpus")) {
		if (parse_int(m, a, "a cpu count", 0, 1, 4096, &v))
			return -1;
		m->nr_cpus = (int)v;
		return 1;
	}
	if (!strcmp(kw, "page-size")) {
		if (parse_int(m, a, "a page size", 0, 256, 1 << 24, &v))
			return -1;
		m->page_size = (unsigned int)v;
		return 1;
	}
	if (!strcmp(kw, "kallsyms")) {
		if (!a || blank(p))
			return lerr(m, "expected: kallsyms ADDR TYPE NAME");
		fprintf(m->ks, "%s %s\n", a, p + strspn(p, " \t"));
		return 1;
	}
	if (!strcmp(kw, "kallsyms-file"))
		return add_kallsyms_file(m, a) ? -1 : 1;
	if (!strcmp(kw, "comm")) {
		if (parse_int(m, a, "a pid", 0, 0, INT32_MAX, &v) || blank(p))
			return lerr(m, "expected: comm PID NAME");
		fprintf(m->cl, "%" PRId64 " %s\n", v, p + strspn(p, " \t"));
		return 1;
	}
	return 0;
}

static int read_headers(struct mkf *m)
{
	for (int i = 0; i < m->nr_lines; i++) {
		char *copy = strdup(m->lines[i].text);
		int ret;

		if (!copy)
			return lerr(m, "out of memory");
		m->no = m->lines[i].no;
		ret = header_directive(m, copy);
		free(copy);
		if (ret < 0)
			return -1;
		if (ret > 0)
			m->lines[i].no = -m->lines[i].no;	/* done */
	}
	m->no = 0;
	return 0;
}

/* ---- formats and payloads --------------------------------------------- */

static const struct {
	const char	*alias;
	const char	*system;
	const char	*name;
} event_aliases[] = {
	{ "kmalloc",			"kmem",		"kmalloc" },
	{ "kmalloc_node",		"kmem",		"kmalloc_node" },
	{ "kfree",			"kmem",		"kfree" },
	{ "kmem_cache_alloc",		"kmem",		"kmem_cache_alloc" },
	{ "kmem_cache_alloc_node",	"kmem",		"kmem_cache_alloc_node" },
	{ "kmem_cache_free",		"kmem",		"kmem_cache_free" },
	{ "fork",			"sched",	"sched_process_fork" },
	{ "exec",			"sched",	"sched_process_exec" },
	{ "exit",			"sched",	"sched_process_exit" },
	{ "print",			"ftrace",	"print" },
};

static int parse_formats(struct mkf *m)
{
	const struct mkf_profile *p = m->prof;

	m->tep = tep_alloc();
	if (!m->tep)
		return lerr(m, "out of memory");
	tep_set_long_size(m->tep, 8);
	tep_set_file_bigendian(m->tep, TEP_LITTLE_ENDIAN);
	for (int i = 0; i < p->nr_formats; i++) {
		const struct mkf_format *f = &p->formats[i];

		if (tep_parse_event(m->tep, f->text, strlen(f->text),
				    f->system))
			return lerr(m, "profile %s: cannot parse %s:%s",
				    p->name, f->system, f->name);
	}
	return 0;
}

static struct tep_event *find_event(struct mkf *m, const char *name)
{
	const char *colon = strchr(name, ':');
	struct tep_event *ev = NULL;
	char *sys;

	for (size_t i = 0; i < sizeof(event_aliases) / sizeof(event_aliases[0]); i++) {
		if (!strcmp(event_aliases[i].alias, name))
			return tep_find_event_by_name(m->tep,
						      event_aliases[i].system,
						      event_aliases[i].name);
	}
	if (!colon)
		return NULL;
	sys = strndup(name, (size_t)(colon - name));
	if (sys)
		ev = tep_find_event_by_name(m->tep, sys, colon + 1);
	free(sys);
	return ev;
}

static bool is_string_field(const struct tep_format_field *f)
{
	return f->flags & (TEP_FIELD_IS_DYNAMIC | TEP_FIELD_IS_STRING |
			   TEP_FIELD_IS_ARRAY);
}

/* The fixed part of the record: the C struct, padded to its alignment. */
static size_t fixed_size(const struct tep_event *ev)
{
	const struct tep_format_field *lists[2] = {
		ev->format.common_fields, ev->format.fields,
	};
	size_t end = 0, align = 1;

	for (int l = 0; l < 2; l++) {
		for (const struct tep_format_field *f = lists[l]; f; f = f->next) {
			size_t e = (size_t)f->offset + (size_t)f->size;

			if (e > end)
				end = e;
			if (!is_string_field(f) && (size_t)f->size > align &&
			    f->size <= 8)
				align = (size_t)f->size;
		}
	}
	return (end + align - 1) & ~(align - 1);
}

static void put_number(unsigned char *p, int size, uint64_t v)
{
	for (int i = 0; i < size; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static int set_number(struct mkf *m, unsigned char *buf,
		      const struct tep_format_field *f, uint64_t v)
{
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8)
		return lerr(m, "field %s: cannot store a %d-byte number",
			    f->name, f->size);
	put_number(buf + f->offset, f->size, v);
	return 0;
}

/* Strings: __data_loc appends, char[N] is filled in, char[] ends the record. */
static int set_string(struct mkf *m, unsigned char *buf, size_t *len,
		      const struct tep_format_field *f, const char *s)
{
	size_t n = strlen(s) + 1;

	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		if (*len + n > PAYLOAD_MAX)
			return lerr(m, "field %s: string too long", f->name);
		memcpy(buf + *len, s, n);
		put_number(buf + f->offset, 4, (uint64_t)(n << 16 | *len));
		*len += n;
		return 0;
	}
	if (f->size == 0) {
		if ((size_t)f->offset + n > PAYLOAD_MAX)
			return lerr(m, "field %s: string too long", f->name);
		memcpy(buf + f->offset, s, n);
		if ((size_t)f->offset + n > *len)
			*len = (size_t)f->offset + n;
		return 0;
	}
	/* char comm[16]: truncated, always NUL-terminated */
	strncpy((char *)buf + f->offset, s, (size_t)f->size - 1);
	return 0;
}

struct kv {
	char	*key;
	char	*val;
	bool	used;
};

static struct kv *find_kv(struct kv *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++) {
		if (!strcmp(kv[i].key, key))
			return &kv[i];
	}
	return NULL;
}

static int set_field(struct mkf *m, size_t *len,
		     const struct tep_format_field *f, struct kv *kv,
		     const char *text, uint64_t iter)
{
	uint64_t v;

	if (kv)
		kv->used = true;
	if (is_string_field(f)) {
		if (!kv && text && f->size == 0)
			return set_string(m, m->payload, len, f, text);
		if (!kv && !(f->flags & TEP_FIELD_IS_DYNAMIC))
			return 0;
		return set_string(m, m->payload, len, f, kv ? kv->val : "");
	}
	if (!kv)
		return 0;
	if (parse_value(kv->val, iter, &v))
		return lerr(m, "field %s: expected a number, found '%s'",
			    f->name, kv->val);
	return set_number(m, m->payload, f, v);
}

static int unknown_field(struct mkf *m, const struct tep_event *ev,
			 const char *key)
{
	char names[512] = "";
	size_t n = 0;

	for (const struct tep_format_field *f = ev->format.fields; f; f = f->next)
		n += (size_t)snprintf(names + n, n < sizeof(names) ?
				      sizeof(names) - n : 0, " %s", f->name);
	return lerr(m, "%s:%s has no field '%s' (fields:%s)",
		    ev->system, ev->name, key, names);
}

/*
 * Build the record of @ev in m->payload from key=value pairs; @text is the
 * value of a trailing char[] (print's buf). Returns the length or -1.
 */
static long build_payload(struct mkf *m, const struct tep_event *ev,
			  int pid, struct kv *kv, int nkv, const char *text,
			  uint64_t iter)
{
	const struct tep_format_field *f;
	size_t len = fixed_size(ev);

	if (len > PAYLOAD_MAX)
		return lerr(m, "%s:%s: record too large", ev->system, ev->name);
	memset(m->payload, 0, PAYLOAD_MAX);
	for (f = ev->format.common_fields; f; f = f->next) {
		struct kv *k = find_kv(kv, nkv, f->name);

		if (!strcmp(f->name, "common_type") && !k)
			set_number(m, m->payload, f, (uint64_t)ev->id);
		else if (!strcmp(f->name, "common_pid") && !k)
			set_number(m, m->payload, f, (uint64_t)pid);
		else if (k && set_field(m, &len, f, k, NULL, iter))
			return -1;
	}
	for (f = ev->format.fields; f; f = f->next) {
		if (set_field(m, &len, f, find_kv(kv, nkv, f->name), text, iter))
			return -1;
	}
	for (int i = 0; i < nkv; i++) {
		if (!kv[i].used)
			return unknown_field(m, ev, kv[i].key);
	}
	return (long)len;
}

/* ---- records ----------------------------------------------------------- */

static int parse_kvs(struct mkf *m, char **pp, struct kv *kv)
{
	char *tok;
	int n = 0;

	while ((tok = next_token(pp))) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok)
			return lerr(m, "expected field=value, found '%s'", tok);
		if (n == MAX_KV)
			return lerr(m, "more than %d fields", MAX_KV);
		*eq = '\0';
		kv[n].key = tok;
		kv[n].val = eq + 1;
		kv[n].used = false;
		n++;
	}
	return n;
}

/* The rest of a print line, with the newline trace_marker adds. */
static char *marker_text(char *p)
{
	size_t n;
	char *s;

	p += strspn(p, " \t");
	n = strlen(p);
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	if (asprintf(&s, "%.*s\n", (int)n, p) < 0)
		return NULL;
	return s;
}

static int write_record(struct mkf *m, int cpu, uint64_t ts, long len)
{
	if (m->cpu_used[cpu] && ts < m->last_ts[cpu])
		return lerr(m, "timestamp %" PRIu64 " on cpu %d is before %" PRIu64,
			    ts, cpu, m->last_ts[cpu]);
	m->cpu_used[cpu] = true;
	m->last_ts[cpu] = ts;
	if (kmrv_tdat_add_event(m->w, cpu, ts, m->payload, (size_t)len))
		return lerr(m, "%s", kmrv_tdat_error(m->w));
	return 0;
}

static int emit_event(struct mkf *m, char *p, const char *cpu_s, uint64_t iter)
{
	char *ts_s = next_token(&p), *name = next_token(&p);
	char *pid_s = next_token(&p), *text = NULL;
	struct kv kv[MAX_KV];
	struct tep_event *ev;
	int64_t cpu, pid, ts;
	int nkv = 0;
	long len;

	if (parse_int(m, cpu_s, "a cpu", iter, 0, m->nr_cpus - 1, &cpu) ||
	    parse_int(m, ts_s, "a timestamp", iter, 0, INT64_MAX, &ts))
		return -1;
	if (!name)
		return lerr(m, "expected an event name");
	ev = find_event(m, name);
	if (!ev)
		return lerr(m, "kernel %s has no event '%s'", m->prof->name, name);
	if (parse_int(m, pid_s, "a pid", iter, INT32_MIN, INT32_MAX, &pid))
		return -1;
	if (!strcmp(ev->system, "ftrace") && !strcmp(ev->name, "print")) {
		text = marker_text(p);
		if (!text)
			return lerr(m, "out of memory");
	} else {
		nkv = parse_kvs(m, &p, kv);
		if (nkv < 0)
			return -1;
	}
	len = build_payload(m, ev, (int)pid, kv, nkv, text, iter);
	free(text);
	if (len < 0)
		return -1;
	return write_record(m, (int)cpu, (uint64_t)ts, len);
}

static int emit_lost(struct mkf *m, char *p, uint64_t iter)
{
	char *cpu_s = next_token(&p), *count_s = next_token(&p);
	int64_t cpu, count;

	if (parse_int(m, cpu_s, "a cpu", iter, 0, m->nr_cpus - 1, &cpu))
		return -1;
	if (count_s && !strcmp(count_s, "?"))
		count = -1;
	else if (parse_int(m, count_s, "a lost count (or -1, ?)", iter, -1,
			   INT64_MAX, &count))
		return -1;
	if (kmrv_tdat_add_lost(m->w, (int)cpu, count))
		return lerr(m, "%s", kmrv_tdat_error(m->w));
	return 0;
}

static int emit_line(struct mkf *m, const struct line *l, uint64_t iter)
{
	char *copy = strdup(l->text), *p = copy, *kw;
	int ret;

	if (!copy)
		return lerr(m, "out of memory");
	m->no = l->no;
	kw = next_token(&p);
	if (!strcmp(kw, "lost"))
		ret = emit_lost(m, p, iter);
	else if (isdigit((unsigned char)kw[0]))
		ret = emit_event(m, p, kw, iter);
	else
		ret = lerr(m, "unknown directive '%s'", kw);
	free(copy);
	return ret;
}

static bool starts_with_word(const char *text, const char *word)
{
	size_t n = strlen(word);

	text += strspn(text, " \t");
	return !strncmp(text, word, n) &&
	       (!text[n] || isspace((unsigned char)text[n]));
}

/* Lines [@i + 1, end) of a repeat block starting at @i; returns end. */
static int block_end(struct mkf *m, int i)
{
	for (int j = i + 1; j < m->nr_lines; j++) {
		if (starts_with_word(m->lines[j].text, "repeat")) {
			m->no = m->lines[j].no;
			return lerr(m, "repeat blocks do not nest");
		}
		if (starts_with_word(m->lines[j].text, "end"))
			return j;
	}
	m->no = m->lines[i].no;
	return lerr(m, "repeat without end");
}

static int emit_repeat(struct mkf *m, int i)
{
	char *copy = strdup(m->lines[i].text), *p = copy;
	int end = block_end(m, i);
	int64_t n;

	if (!copy)
		return lerr(m, "out of memory");
	m->no = m->lines[i].no;
	next_token(&p);
	if (end < 0 || parse_int(m, next_token(&p), "a repeat count", 0, 0,
				 INT64_MAX, &n)) {
		free(copy);
		return -1;
	}
	free(copy);
	for (int64_t it = 0; it < n; it++) {
		for (int j = i + 1; j < end; j++) {
			if (m->lines[j].no > 0 &&
			    emit_line(m, &m->lines[j], (uint64_t)it))
				return -1;
		}
	}
	return end;
}

static int emit_all(struct mkf *m)
{
	for (int i = 0; i < m->nr_lines; i++) {
		if (m->lines[i].no < 0)
			continue;	/* a header directive */
		if (starts_with_word(m->lines[i].text, "repeat")) {
			i = emit_repeat(m, i);
			if (i < 0)
				return -1;
			continue;
		}
		if (starts_with_word(m->lines[i].text, "end")) {
			m->no = m->lines[i].no;
			return lerr(m, "end without repeat");
		}
		if (emit_line(m, &m->lines[i], 0))
			return -1;
	}
	m->no = 0;
	return 0;
}

/* ---- the file ---------------------------------------------------------- */

static int open_writer(struct mkf *m)
{
	const struct mkf_profile *p = m->prof;
	struct kmrv_tdat_format formats[32];
	struct kmrv_tdat_meta meta = {
		.nr_cpus	= m->nr_cpus,
		.page_size	= m->page_size,
		.formats	= formats,
		.nr_formats	= p->nr_formats,
		.trace_clock	= TRACE_CLOCK,
		.uname		= p->uname,
		.version	= "kmrv-mkfixture",
	};
	char err[512];

	if (fflush(m->ks) || fflush(m->cl))
		return lerr(m, "out of memory");
	meta.kallsyms = m->kallsyms_len ? m->kallsyms : NULL;
	meta.cmdlines = m->cmdlines_len ? m->cmdlines : NULL;
	for (int i = 0; i < p->nr_formats && i < 32; i++) {
		formats[i].system = p->formats[i].system;
		formats[i].text = p->formats[i].text;
	}
	m->last_ts = calloc((size_t)m->nr_cpus, sizeof(*m->last_ts));
	m->cpu_used = calloc((size_t)m->nr_cpus, sizeof(*m->cpu_used));
	if (!m->last_ts || !m->cpu_used)
		return lerr(m, "out of memory");
	m->w = kmrv_tdat_create(m->out_path, &meta, err, sizeof(err));
	if (!m->w) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int finish(struct mkf *m, int ret)
{
	char err[512];

	if (m->w && ret) {
		kmrv_tdat_abort(m->w);
	} else if (m->w && kmrv_tdat_close(m->w, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		ret = -1;
	}
	m->w = NULL;
	return ret;
}

static int mkf_init(struct mkf *m)
{
	m->prof = &mkf_profiles[0];
	m->nr_cpus = 1;
	m->page_size = 4096;
	m->ks = open_memstream(&m->kallsyms, &m->kallsyms_len);
	m->cl = open_memstream(&m->cmdlines, &m->cmdlines_len);
	if (!m->ks || !m->cl)
		return lerr(m, "out of memory");
	return 0;
}

static void mkf_release(struct mkf *m)
{
	if (m->ks)
		fclose(m->ks);
	if (m->cl)
		fclose(m->cl);
	free(m->kallsyms);
	free(m->cmdlines);
	for (int i = 0; i < m->nr_lines; i++)
		free(m->lines[i].text);
	free(m->lines);
	free(m->last_ts);
	free(m->cpu_used);
	if (m->tep)
		tep_free(m->tep);
}

static int from_description(struct mkf *m)
{
	int ret;

	if (read_lines(m) || read_headers(m) || parse_formats(m) ||
	    open_writer(m))
		return -1;
	ret = emit_all(m);
	return finish(m, ret);
}

/* ---- synthetic mode ----------------------------------------------------- */

struct synth {
	uint64_t	n, live, seed;
	uint64_t	rng;
	uint64_t	*objs;		/* live objects */
	uint64_t	*sites;		/* alloc site of each live object */
	uint64_t	nlive;
	uint64_t	*pool;		/* addresses not live; the top is hot */
	uint64_t	npool;
};

#define SYNTH_SITES		16
#define SYNTH_PIDS		8
#define SYNTH_SITE_BASE		0xffffffff81100000ULL
#define SYNTH_FREE_BASE		0xffffffff81200000ULL
#define SYNTH_POOL_FACTOR	4	/* addresses per object of --live */
#define SYNTH_ADDR_BASE		0xffff888100000000ULL

/* splitmix64: tiny, fast, and the same sequence everywhere */
static uint64_t rnd(struct synth *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void synth_symbols(struct mkf *m)
{
	for (int i = 0; i < SYNTH_SITES; i++) {
		fprintf(m->ks, "%llx t synth_alloc_site_%d\n",
			SYNTH_SITE_BASE + (unsigned long long)i * 0x1000, i);
		fprintf(m->ks, "%llx t synth_free_site_%d\n",
			SYNTH_FREE_BASE + (unsigned long long)i * 0x1000, i);
	}
	for (int i = 0; i < SYNTH_PIDS; i++)
		fprintf(m->cl, "%d synth-worker-%d\n", 1000 + i, i);
}

static int synth_field(struct mkf *m, struct tep_event *ev,
		       const char *name, uint64_t v)
{
	const struct tep_format_field *f = tep_find_any_field(ev, name);

	return f ? set_number(m, m->payload, f, v) : 0;
}

static int synth_record(struct mkf *m, struct tep_event *ev, int cpu,
			uint64_t ts, int pid, const uint64_t *vals)
{
	static const char *const names[] = {
		"call_site", "ptr", "bytes_req", "bytes_alloc", "gfp_flags",
	};
	size_t len = fixed_size(ev);

	memset(m->payload, 0, len);
	synth_field(m, ev, "common_type", (uint64_t)ev->id);
	synth_field(m, ev, "common_pid", (uint64_t)pid);
	for (int i = 0; i < 5; i++) {
		if (vals[i] && synth_field(m, ev, names[i], vals[i]))
			return -1;
	}
	return write_record(m, cpu, ts, (long)len);
}

/*
 * Like a slab allocator: a fixed set of addresses, the most recently freed
 * one handed out again half of the time, any free one otherwise. The
 * number of distinct pointers stays bounded however long the trace is.
 */
static uint64_t synth_new_ptr(struct synth *s)
{
	uint64_t j = s->npool - 1, ptr;

	if (rnd(s) % 2)
		j = rnd(s) % s->npool;
	ptr = s->pool[j];
	s->pool[j] = s->pool[--s->npool];
	return ptr;
}

static int synth_alloc(struct mkf *m, struct synth *s,
		       struct tep_event *ev, int cpu, uint64_t ts, int pid)
{
	uint64_t size = 8ULL << (rnd(s) % 8);
	uint64_t site = SYNTH_SITE_BASE + (rnd(s) % SYNTH_SITES) * 0x1000 + 0x10;
	uint64_t ptr = synth_new_ptr(s);
	uint64_t vals[5] = { site, ptr, size - rnd(s) % (size / 2), size, 0xcc0 };

	s->objs[s->nlive] = ptr;
	s->sites[s->nlive] = site;
	s->nlive++;
	return synth_record(m, ev, cpu, ts, pid, vals);
}

static int synth_free(struct mkf *m, struct synth *s,
		      struct tep_event *ev, int cpu, uint64_t ts, int pid)
{
	uint64_t j = rnd(s) % s->nlive;
	uint64_t ptr = s->objs[j];
	uint64_t site = s->sites[j] - SYNTH_SITE_BASE + SYNTH_FREE_BASE + 0x20;
	uint64_t vals[5] = { site, ptr, 0, 0, 0 };

	s->nlive--;
	s->objs[j] = s->objs[s->nlive];
	s->sites[j] = s->sites[s->nlive];
	s->pool[s->npool++] = ptr;
	return synth_record(m, ev, cpu, ts, pid, vals);
}

static int synth_run(struct mkf *m, struct synth *s)
{
	struct tep_event *alloc = find_event(m, "kmalloc");
	struct tep_event *kfree = find_event(m, "kfree");
	uint64_t ts = 1000000;

	if (!alloc || !kfree)
		return lerr(m, "kernel %s lacks kmalloc/kfree", m->prof->name);
	for (uint64_t i = 0; i < s->n; i++) {
		int cpu = (int)(rnd(s) % (uint64_t)m->nr_cpus);
		int pid = 1000 + (int)(rnd(s) % SYNTH_PIDS);
		bool do_alloc = !s->nlive || s->nlive < s->live ||
				(s->nlive < 2 * s->live && rnd(s) % 2);
		int ret;

		ts += 1 + rnd(s) % 2000;
		if (do_alloc)
			ret = synth_alloc(m, s, alloc, cpu, ts, pid);
		else
			ret = synth_free(m, s, kfree, cpu, ts, pid);
		if (ret)
			return -1;
	}
	return 0;
}

/* objects of 64..512 bytes side by side, the lowest address on top */
static void synth_fill_pool(struct synth *s)
{
	uint64_t addr = SYNTH_ADDR_BASE;

	for (uint64_t i = 0; i < s->npool; i++) {
		addr += 64 << (rnd(s) % 4);
		s->pool[s->npool - 1 - i] = addr;
	}
}

static int synthetic(struct mkf *m, struct synth *s)
{
	int ret;

	s->rng = s->seed;
	s->objs = calloc(2 * s->live + 2, sizeof(*s->objs));
	s->sites = calloc(2 * s->live + 2, sizeof(*s->sites));
	s->npool = SYNTH_POOL_FACTOR * (s->live + 1);
	s->pool = calloc(s->npool, sizeof(*s->pool));
	if (!s->objs || !s->sites || !s->pool) {
		ret = lerr(m, "out of memory");
		goto out;
	}
	synth_fill_pool(s);
	synth_symbols(m);
	ret = parse_formats(m);
	if (!ret)
		ret = open_writer(m);
	if (!ret)
		ret = finish(m, synth_run(m, s));
out:
	free(s->objs);
	free(s->sites);
	free(s->pool);
	return ret;
}

/* ---- main ----------------------------------------------------------------- */

static int opt_u64(const char *opt, const char *arg, uint64_t *out)
{
	if (!arg || parse_value(arg, 0, out) || arg[0] == '-') {
		fprintf(stderr, "kmrv-mkfixture: %s needs a number\n", opt);
		return -1;
	}
	return 0;
}

static int parse_synth_args(int argc, char **argv, struct mkf *m,
			    struct synth *s)
{
	uint64_t v;
	int i;

	m->nr_cpus = 4;
	s->live = 1000;
	s->seed = 1;
	for (i = 1; i < argc - 1; i += 2) {
		const char *o = argv[i], *a = argv[i + 1];

		if (!strcmp(o, "--kernel")) {
			if (set_kernel(m, a))
				return -1;
			continue;
		}
		if (opt_u64(o, a, &v))
			return -1;
		if (!strcmp(o, "--synthetic"))
			s->n = v;
		else if (!strcmp(o, "--cpus") && v >= 1 && v <= 4096)
			m->nr_cpus = (int)v;
		else if (!strcmp(o, "--live"))
			s->live = v;
		else if (!strcmp(o, "--seed"))
			s->seed = v;
		else if (!strcmp(o, "--page-size") && v >= 256 && v <= 1 << 24)
			m->page_size = (unsigned int)v;
		else
			return -1;
	}
	if (i != argc - 1)
		return -1;
	m->out_path = argv[argc - 1];
	return 0;
}

int main(int argc, char **argv)
{
	struct mkf m = { 0 };
	struct synth s = { 0 };
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		print_usage(stdout);
		return 0;
	}
	if (mkf_init(&m)) {
		mkf_release(&m);
		return 1;
	}
	if (argc >= 3 && !strcmp(argv[1], "--synthetic")) {
		if (parse_synth_args(argc, argv, &m, &s)) {
			print_usage(stderr);
			mkf_release(&m);
			return 2;
		}
		ret = synthetic(&m, &s);
	} else if (argc == 3 && argv[1][0] != '-') {
		m.in_path = argv[1];
		m.out_path = argv[2];
		ret = from_description(&m);
	} else {
		print_usage(stderr);
		mkf_release(&m);
		return 2;
	}
	mkf_release(&m);
	return ret ? 1 : 0;
}
