// SPDX-License-Identifier: GPL-2.0
/*
 * meta.c - which events to record, and what the file needs besides the
 * ring-buffer pages to be read anywhere: the page and event headers, the
 * formats of the recorded events, kallsyms, printk formats, saved
 * cmdlines, trace clock and uname.
 *
 * All of it is read from the top-level tracefs directory and /proc; event
 * formats are the same in every instance, and reading writes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <tracefs.h>

#include "record_priv.h"

const char * const kmrv_record_default_events[] = {
	"kmem:kmalloc",
	"kmem:kfree",
	"kmem:kmem_cache_alloc",
	"kmem:kmem_cache_free",
	"kmem:kmalloc_node",		/* before 6.1 */
	"kmem:kmem_cache_alloc_node",	/* before 6.1 */
	NULL,
};

/* Always recorded: kmrv check follows the command's tree with them. */
static const char * const process_events[] = {
	"sched:sched_process_fork",
	"sched:sched_process_exec",
	"sched:sched_process_exit",
	NULL,
};

void rec_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

char *rec_read_file(const char *path, size_t *len)
{
	size_t cap = 65536, used = 0;
	char *buf = malloc(cap), *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (used + 1 >= cap) {
			p = realloc(buf, cap * 2);
			if (!p)
				goto fail;
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	if (len)
		*len = used;
	return buf;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	errno = e;
	return NULL;
}

static bool event_exists(const char *system, const char *event)
{
	return tracefs_event_file_exists(NULL, system, event, "format");
}

static bool have_event(const struct rec_events *ev, const char *system,
		       const char *event)
{
	for (size_t i = 0; i < ev->nr; i++)
		if (!strcmp(ev->system[i], system) && !strcmp(ev->event[i], event))
			return true;
	return false;
}

/*
 * Add "system:event". A name the user gave must exist; a default one is
 * skipped when this kernel lacks it (the _node variants went away in 6.1).
 */
static int add_event(struct rec_events *ev, const char *name, bool must,
		     char *err, size_t errlen)
{
	const char *colon = strchr(name, ':');
	char *system, *event;
	char **ps, **pe;

	if (!colon || colon == name || !colon[1] || strchr(colon + 1, ':')) {
		rec_err(err, errlen, "-e %s: not SYSTEM:EVENT (e.g. kmem:kmalloc)", name);
		return -1;
	}
	system = strndup(name, (size_t)(colon - name));
	event = strdup(colon + 1);
	if (!system || !event)
		goto nomem;
	if (!event_exists(system, event)) {
		free(system);
		free(event);
		if (!must)
			return 0;
		rec_err(err, errlen, "-e %s: no such event in this kernel (see %s/events)",
			name, tracefs_tracing_dir());
		return -1;
	}
	if (have_event(ev, system, event)) {
		free(system);
		free(event);
		return 0;
	}
	ps = realloc(ev->system, (ev->nr + 1) * sizeof(*ps));
	if (ps)
		ev->system = ps;
	pe = realloc(ev->event, (ev->nr + 1) * sizeof(*pe));
	if (pe)
		ev->event = pe;
	if (!ps || !pe)
		goto nomem;
	ev->system[ev->nr] = system;
	ev->event[ev->nr] = event;
	ev->nr++;
	return 0;
nomem:
	free(system);
	free(event);
	rec_err(err, errlen, "out of memory");
	return -1;
}

int rec_events_resolve(const struct kmrv_record_opts *opts,
		       struct rec_events *ev, char *err, size_t errlen)
{
	memset(ev, 0, sizeof(*ev));
	if (opts->events) {
		for (size_t i = 0; i < opts->nr_events; i++)
			if (add_event(ev, opts->events[i], true, err, errlen))
				return -1;
	} else {
		for (int i = 0; kmrv_record_default_events[i]; i++)
			if (add_event(ev, kmrv_record_default_events[i], false,
				      err, errlen))
				return -1;
	}
	for (int i = 0; process_events[i]; i++)
		if (add_event(ev, process_events[i], false, err, errlen))
			return -1;
	if (!ev->nr) {
		rec_err(err, errlen, "none of the events exists in this kernel");
		return -1;
	}
	return 0;
}

void rec_events_release(struct rec_events *ev)
{
	for (size_t i = 0; i < ev->nr; i++) {
		free(ev->system[i]);
		free(ev->event[i]);
	}
	free(ev->system);
	free(ev->event);
	memset(ev, 0, sizeof(*ev));
}

static char *read_tracefs(const char *file, char *err, size_t errlen)
{
	char *text = tracefs_instance_file_read(NULL, file, NULL);

	if (!text)
		rec_err(err, errlen, "%s/%s: %s", tracefs_tracing_dir(), file,
			strerror(errno ? errno : EIO));
	return text;
}

/* The recorded events' formats, and ftrace:print for the marker line. */
static int read_formats(struct rec_meta *m, const struct rec_events *ev,
			char *err, size_t errlen)
{
	size_t n = ev->nr + 1;

	m->formats = calloc(n, sizeof(*m->formats));
	if (!m->formats) {
		rec_err(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *sys = i < ev->nr ? ev->system[i] : "ftrace";
		const char *name = i < ev->nr ? ev->event[i] : "print";
		char *text = tracefs_event_file_read(NULL, sys, name, "format", NULL);

		if (!text) {
			rec_err(err, errlen, "%s/events/%s/%s/format: %s",
				tracefs_tracing_dir(), sys, name,
				strerror(errno ? errno : EIO));
			return -1;
		}
		m->formats[i].system = sys;
		m->formats[i].text = text;
		m->meta.nr_formats++;
	}
	return 0;
}

static char *uname_str(void)
{
	struct utsname u;
	char *s;

	if (uname(&u) || asprintf(&s, "%s %s %s %s %s", u.sysname, u.nodename,
				  u.release, u.version, u.machine) < 0)
		return NULL;
	return s;
}

static char *join_cmdlines(char *saved, const char *extra)
{
	char *s;

	if (!extra || !*extra)
		return saved;
	if (asprintf(&s, "%s%s", saved ? saved : "", extra) < 0)
		return saved;
	free(saved);
	return s;
}

static int cmp_pid(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* The line after @p's, or NULL. */
static const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : NULL;
}

/* The pids of "pid comm\n" lines, sorted, in *@pids; their number. */
static size_t line_pids(const char *text, long **pids)
{
	size_t n = 0, cap = 0;
	const char *p;

	*pids = NULL;
	for (p = text; p && *p; p = next_line(p)) {
		if (n == cap) {
			long *q = realloc(*pids, (cap = cap ? cap * 2 : 256) * sizeof(*q));

			if (!q)
				break;
			*pids = q;
		}
		(*pids)[n++] = strtol(p, NULL, 10);
	}
	if (n)
		qsort(*pids, n, sizeof(**pids), cmp_pid);
	return n;
}

char *rec_cmdlines_at_end(const char *start)
{
	char *end = tracefs_instance_file_read(NULL, "saved_cmdlines", NULL);
	const char *p;
	long *pids, pid;
	size_t n, len;
	FILE *out;
	char *s = NULL;

	if (!end)
		return NULL;
	n = line_pids(end, &pids);
	out = open_memstream(&s, &len);
	if (!out)
		goto out;
	fputs(end, out);
	for (p = start; p && *p; p = next_line(p)) {
		pid = strtol(p, NULL, 10);
		if (!n || !bsearch(&pid, pids, n, sizeof(*pids), cmp_pid))
			fprintf(out, "%.*s\n", (int)strcspn(p, "\n"), p);
	}
	if (fclose(out)) {
		free(s);
		s = NULL;
	}
out:
	free(pids);
	free(end);
	return s;
}

int rec_meta_read(struct rec_meta *m, const struct rec_events *ev,
		  int nr_cpus, unsigned int page_size, const char *cmdlines,
		  char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->header_page = read_tracefs("events/header_page", err, errlen);
	if (!m->header_page)
		return -1;
	m->header_event = read_tracefs("events/header_event", err, errlen);
	if (!m->header_event)
		return -1;
	if (read_formats(m, ev, err, errlen))
		return -1;
	/*
	 * Symbols and cmdlines only make the report nicer: a kernel that
	 * hides them (kptr_restrict, no saved_cmdlines) still records.
	 */
	m->kallsyms = rec_read_file("/proc/kallsyms", NULL);
	m->printk = tracefs_instance_file_read(NULL, "printk_formats", NULL);
	m->cmdlines = join_cmdlines(tracefs_instance_file_read(NULL, "saved_cmdlines",
							       NULL), cmdlines);
	m->uname = uname_str();

	m->meta.nr_cpus = nr_cpus;
	m->meta.page_size = page_size;
	m->meta.header_page = m->header_page;
	m->meta.header_event = m->header_event;
	m->meta.formats = m->formats;
	m->meta.kallsyms = m->kallsyms;
	m->meta.printk = m->printk;
	m->meta.cmdlines = m->cmdlines;
	/* record.c sets the instance to this clock */
	m->meta.trace_clock = "local";
	m->meta.uname = m->uname;
	m->meta.version = "kmrv " KMRV_VERSION;
	return 0;
}

void rec_meta_release(struct rec_meta *m)
{
	for (int i = 0; m->formats && i < m->meta.nr_formats; i++)
		free((char *)m->formats[i].text);
	free(m->formats);
	free(m->header_page);
	free(m->header_event);
	free(m->kallsyms);
	free(m->printk);
	free(m->cmdlines);
	free(m->uname);
	memset(m, 0, sizeof(*m));
}
