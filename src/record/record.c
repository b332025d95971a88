// SPDX-License-Identifier: GPL-2.0
/*
 * record.c - kmrv_record(): a private instance, the command, the loop
 * that drains the ring buffers, and the way out.
 *
 * Order matters, so that every way out leaves nothing behind:
 *  1. tracefs is checked, the command forked and held (its pid names it
 *     in the file), and the output created, all before any instance
 *     exists: an unwritable output costs nothing to clean up;
 *  2. the instance is created, sized and given the marker line (the
 *     file's first event, since no event is enabled yet), then the events
 *     are enabled and the command released;
 *  3. pages are drained until the command and everything it started have
 *     exited (the recorder is their subreaper), or a signal says stop;
 *  4. tracing stops, the partial pages are flushed, the file is written,
 *     and cleanup() removes the instance whatever happened before.
 * Signals are blocked and read from a signalfd, so no handler runs in the
 * middle of anything and a Ctrl-C during setup is seen, not lost.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tracefs.h>

#include "record_priv.h"

#define DRAIN_MS	100	/* longest a CPU's full pages wait to be read */
#define KILL_GRACE_MS	2000	/* SIGTERM to SIGKILL, when we must stop it */
#define MARKER_MAX	1000	/* kept well under the kernel's marker limit */

struct recorder {
	const struct kmrv_record_opts	*opts;
	struct kmrv_record_result	*res;
	int				nr_cpus;
	unsigned int			page_size;

	struct rec_events		events;
	struct rec_meta			meta;
	struct kmrv_tdat_writer		*w;
	struct tracefs_instance		*inst;
	char				inst_dir[PATH_MAX];	/* for messages */
	struct rec_stream		stream;
	struct rec_child		child;

	sigset_t			old_mask;
	sigset_t			ignored;	/* stop signals we found ignored */
	bool				mask_set;
	int				sigfd;
	int				pidfd;		/* KMRV_RECORD_PID */
	int				old_subreaper;
	bool				subreaper_set;

	bool				root_alive;
	bool				stopping;	/* a signal was forwarded */
	bool				stop;
	struct timespec			start;
};

static double elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	       (now.tv_nsec - since->tv_nsec) / 1e9;
}

/*
 * Mount tracefs if needed, and find out whether we may create instances:
 * the two things a user can fix, so say exactly how.
 */
static int check_tracefs(char *err, size_t errlen)
{
	const char *dir = tracefs_tracing_dir();
	char path[PATH_MAX];

	/* the second call mounts it (and its path leaks in libtracefs 1.6) */
	if (!dir && (tracefs_tracing_dir_is_mounted(true, &dir) < 0 || !dir)) {
		if (geteuid())
			rec_err(err, errlen, "needs root (tracefs is not mounted; as root: "
				"mount -t tracefs nodev /sys/kernel/tracing)");
		else
			rec_err(err, errlen, "tracefs is not mounted and mounting it failed; "
				"try: mount -t tracefs nodev /sys/kernel/tracing "
				"(the kernel needs CONFIG_FTRACE)");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/instances", dir);
	if (!access(path, W_OK))
		return 0;
	if (errno == EACCES || errno == EPERM)
		rec_err(err, errlen, "needs root (tracefs is not writable: %s: %s)",
			path, strerror(errno));
	else
		rec_err(err, errlen, "tracefs is not writable: %s: %s", path,
			strerror(errno));
	return -1;
}

static int check_opts(const struct kmrv_record_opts *o, char *err, size_t errlen)
{
	if (!o->output || !*o->output) {
		rec_err(err, errlen, "no output file");
		return -1;
	}
	if (o->mode == KMRV_RECORD_COMMAND && (!o->argv || !o->argv[0])) {
		rec_err(err, errlen, "no command to record");
		return -1;
	}
	if (o->mode == KMRV_RECORD_PID && o->pid <= 0) {
		rec_err(err, errlen, "%d is not a pid", o->pid);
		return -1;
	}
	return 0;
}

/*
 * Block the signals we act on and read them from a descriptor instead;
 * the command gets the mask we started with.
 */
static int catch_signals(struct recorder *r, char *err, size_t errlen)
{
	static const int stops[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t set;

	sigemptyset(&set);
	sigemptyset(&r->ignored);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		struct sigaction old;

		sigaddset(&set, stops[i]);
		if (sigaction(stops[i], NULL, &old) || old.sa_handler != SIG_IGN)
			continue;
		/*
		 * A shell starts background jobs with SIGINT ignored; a
		 * `kill -INT` must still stop us. nohup's SIGHUP stays
		 * ignored. The command gets what we were given.
		 */
		sigaddset(&r->ignored, stops[i]);
		if (stops[i] != SIGHUP)
			sigaction(stops[i], &dfl, NULL);
	}
	if (sigprocmask(SIG_BLOCK, &set, &r->old_mask)) {
		rec_err(err, errlen, "sigprocmask: %s", strerror(errno));
		return -1;
	}
	r->mask_set = true;
	r->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sigfd < 0) {
		rec_err(err, errlen, "signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int start_target(struct recorder *r, char *err, size_t errlen)
{
	const struct kmrv_record_opts *o = r->opts;

	switch (o->mode) {
	case KMRV_RECORD_COMMAND:
		/* orphans of the command come to us: we wait for them too */
		if (!prctl(PR_GET_CHILD_SUBREAPER, &r->old_subreaper) &&
		    !prctl(PR_SET_CHILD_SUBREAPER, 1))
			r->subreaper_set = true;
		if (rec_child_fork(&r->child, o->argv, &r->old_mask, &r->ignored,
				   err, errlen))
			return -1;
		r->res->pid = r->child.pid;
		r->root_alive = true;
		return 0;
	case KMRV_RECORD_PID:
		r->pidfd = (int)syscall(SYS_pidfd_open, o->pid, 0);
		if (r->pidfd < 0) {
			rec_err(err, errlen, "-p %d: %s", o->pid,
				errno == ESRCH ? "no such process" : strerror(errno));
			return -1;
		}
		r->res->pid = o->pid;
		r->root_alive = true;
		return 0;
	case KMRV_RECORD_ALL:
		return 0;
	}
	return 0;
}

static int create_instance(struct recorder *r, char *err, size_t errlen)
{
	unsigned int rnd;
	char name[64];

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (unsigned int)time(NULL) ^ (unsigned int)getpid() << 16;
	snprintf(name, sizeof(name), "kmrv-%d-%08x", (int)getpid(), rnd);
	r->inst = tracefs_instance_create(name);
	if (!r->inst) {
		rec_err(err, errlen, "%s/instances/%s: %s", tracefs_tracing_dir(),
			name, strerror(errno ? errno : EIO));
		return -1;
	}
	if (!tracefs_instance_is_new(r->inst)) {
		/* not ours: never destroy it */
		tracefs_instance_free(r->inst);
		r->inst = NULL;
		rec_err(err, errlen, "%s/instances/%s: already exists",
			tracefs_tracing_dir(), name);
		return -1;
	}
	snprintf(r->inst_dir, sizeof(r->inst_dir), "%s/instances/%s",
		 tracefs_tracing_dir(), name);
	return 0;
}

static int setup_instance(struct recorder *r, char *err, size_t errlen)
{
	ssize_t kb;

	if (r->opts->buffer_kb &&
	    tracefs_instance_set_buffer_size(r->inst, r->opts->buffer_kb, -1)) {
		rec_err(err, errlen, "-b %zu: the kernel refused that buffer size: %s",
			r->opts->buffer_kb, strerror(errno ? errno : ENOMEM));
		return -1;
	}
	kb = tracefs_instance_get_buffer_size(r->inst, 0);
	r->res->buffer_kb = kb > 0 ? (size_t)kb : 0;
	/* the file says "local"; don't depend on the kernel's default */
	if (tracefs_instance_file_write(r->inst, "trace_clock", "local") < 0 ||
	    tracefs_trace_on(r->inst)) {
		rec_err(err, errlen, "%s: cannot set up the instance: %s",
			r->inst_dir, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

static char *pid_cmdline(int pid)
{
	char path[64], *text;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	text = rec_read_file(path, &len);
	if (!text)
		return NULL;
	for (size_t i = 0; i + 1 < len; i++)
		if (text[i] == '\0' || text[i] == '\n')
			text[i] = ' ';
	return text;
}

/* "kmrv-record: pid=1234 argv=ls -R /usr": what kmrv check looks for. */
static int write_marker(struct recorder *r, char *err, size_t errlen)
{
	const struct kmrv_record_opts *o = r->opts;
	char argv[MARKER_MAX], *cmdline;
	int ret;

	switch (o->mode) {
	case KMRV_RECORD_COMMAND:
		rec_argv_str(o->argv, argv, sizeof(argv));
		break;
	case KMRV_RECORD_PID:
		cmdline = pid_cmdline(o->pid);
		snprintf(argv, sizeof(argv), "%s", cmdline ? cmdline : "?");
		free(cmdline);
		break;
	default:
		argv[0] = '\0';
		break;
	}
	if (o->mode == KMRV_RECORD_ALL)
		ret = tracefs_printf(r->inst, "kmrv-record: system-wide\n");
	else
		ret = tracefs_printf(r->inst, "kmrv-record: pid=%d argv=%s\n",
				     r->res->pid, argv);
	tracefs_print_close(r->inst);
	if (ret < 0) {
		rec_err(err, errlen, "%s/trace_marker: %s", r->inst_dir,
			strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

static int enable_events(struct recorder *r, char *err, size_t errlen)
{
	const struct rec_events *ev = &r->events;

	for (size_t i = 0; i < ev->nr; i++) {
		if (!tracefs_event_enable(r->inst, ev->system[i], ev->event[i]))
			continue;
		rec_err(err, errlen, "%s/events/%s/%s/enable: %s", r->inst_dir,
			ev->system[i], ev->event[i], strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

static void reap(struct recorder *r)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0) {
			/* ECHILD: the command and all it started are gone */
			r->stop = true;
			return;
		}
		if (pid == 0)
			return;
		if (pid == r->child.pid) {
			r->res->wait_status = status;
			r->root_alive = false;
			r->child.pid = -1;
			/* after Ctrl-C, don't wait for what it left running */
			if (r->stopping)
				r->stop = true;
		}
	}
}

static void on_stop_signal(struct recorder *r, const struct signalfd_siginfo *si)
{
	r->res->signal = (int)si->ssi_signo;
	if (r->opts->mode != KMRV_RECORD_COMMAND || !r->root_alive || r->stopping) {
		r->stop = true;
		return;
	}
	/*
	 * The first signal goes to the command, and we keep recording until
	 * it exits. A terminal's Ctrl-C (SI_KERNEL) has reached it already.
	 */
	r->stopping = true;
	if (si->ssi_code != SI_KERNEL)
		kill(r->child.pid, (int)si->ssi_signo);
}

static void read_signals(struct recorder *r)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			if (r->opts->mode == KMRV_RECORD_COMMAND)
				reap(r);
			continue;
		}
		on_stop_signal(r, &si);
	}
}

/* Milliseconds to wait in poll(): the drain period, or less at -t's end. */
static int poll_timeout(const struct recorder *r)
{
	double left;

	if (r->opts->duration <= 0)
		return DRAIN_MS;
	left = r->opts->duration - elapsed(&r->start);
	if (left <= 0)
		return 0;
	return left * 1000 < DRAIN_MS ? (int)(left * 1000) + 1 : DRAIN_MS;
}

/*
 * A CPU's trace_pipe_raw polls readable when its buffer is half full
 * (buffer_percent), which wakes us early under load; the timeout drains
 * quieter CPUs. If a wake-up found no full page, poll only on the
 * timeout next time, so we cannot spin.
 */
static int record_loop(struct recorder *r, char *err, size_t errlen)
{
	struct pollfd *pfd;
	bool cpus_muted = false;
	int nfds, ret = -1;

	pfd = calloc((size_t)r->nr_cpus + 2, sizeof(*pfd));
	if (!pfd) {
		rec_err(err, errlen, "out of memory");
		return -1;
	}
	while (!r->stop) {
		bool cpu_woke = false;
		long moved;

		nfds = 0;
		pfd[nfds++] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
		if (r->pidfd >= 0)
			pfd[nfds++] = (struct pollfd){ .fd = r->pidfd, .events = POLLIN };
		for (int cpu = 0; !cpus_muted && cpu < r->nr_cpus; cpu++) {
			int fd = rec_stream_fd(&r->stream, cpu);

			if (fd >= 0)
				pfd[nfds++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)nfds, poll_timeout(r)) < 0 && errno != EINTR) {
			rec_err(err, errlen, "poll: %s", strerror(errno));
			goto out;
		}
		for (int i = 1; i < nfds; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == r->pidfd) {
				r->root_alive = false;
				r->stop = true;
			} else {
				cpu_woke = true;
			}
		}
		if (pfd[0].revents)
			read_signals(r);
		moved = rec_stream_drain(&r->stream);
		if (moved < 0) {
			rec_err(err, errlen, "%s", kmrv_tdat_error(r->w));
			goto out;
		}
		cpus_muted = cpu_woke && !moved;
		if (r->opts->duration > 0 && elapsed(&r->start) >= r->opts->duration)
			r->stop = true;
	}
	ret = 0;
out:
	free(pfd);
	return ret;
}

static uint64_t stat_value(const char *text, const char *key)
{
	const char *p = text;
	size_t len = strlen(key);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, len) && p[len] == ':')
			return strtoull(p + len + 1, NULL, 10);
	return 0;
}

/*
 * per_cpu/cpuN/stats into the file, and its counts into the summary: a
 * page's missed-events flag can lack the count, and events dropped on a
 * full buffer in non-overwrite mode have no page to say so.
 */
static int save_cpu_stats(struct recorder *r)
{
	for (int cpu = 0; cpu < r->nr_cpus; cpu++) {
		struct kmrv_record_cpu *st = &r->res->cpus[cpu];
		char file[64], *text;
		uint64_t lost;

		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
		text = tracefs_instance_file_read(r->inst, file, NULL);
		if (!text)
			continue;
		lost = stat_value(text, "overrun") + stat_value(text, "commit overrun") +
		       stat_value(text, "dropped events");
		if (lost > st->lost)
			st->lost = lost;
		if (kmrv_tdat_set_cpu_stats(r->w, cpu, text)) {
			free(text);
			return -1;
		}
		free(text);
	}
	return 0;
}

static void sum_up(struct kmrv_record_result *res)
{
	res->events = res->lost = 0;
	for (int cpu = 0; cpu < res->nr_cpus; cpu++) {
		res->events += res->cpus[cpu].events;
		res->lost += res->cpus[cpu].lost;
	}
}

static int finish_file(struct recorder *r, char *err, size_t errlen)
{
	struct stat st;
	char *cmdlines;
	int ret = 0;

	tracefs_trace_off(r->inst);
	r->res->seconds = elapsed(&r->start);
	if (rec_stream_flush(&r->stream) || save_cpu_stats(r)) {
		rec_err(err, errlen, "%s", kmrv_tdat_error(r->w));
		ret = -1;
	}
	rec_stream_close(&r->stream);
	sum_up(r->res);
	if (ret)
		return -1;
	/* names only make the report nicer: without them, the start's */
	cmdlines = rec_cmdlines_at_end(r->meta.cmdlines);
	if (cmdlines && kmrv_tdat_set_cmdlines(r->w, cmdlines)) {
		free(cmdlines);
		rec_err(err, errlen, "%s", kmrv_tdat_error(r->w));
		return -1;
	}
	free(cmdlines);
	ret = kmrv_tdat_close(r->w, err, errlen);
	r->w = NULL;
	if (!ret && !stat(r->opts->output, &st))
		r->res->bytes = (uint64_t)st.st_size;
	return ret;
}

/* Wait up to @ms for the command to exit; true if it did. */
static bool wait_root(struct recorder *r, int ms)
{
	struct pollfd pfd = { .fd = r->sigfd, .events = POLLIN };
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (r->root_alive && elapsed(&t0) * 1000 < ms) {
		poll(&pfd, 1, 50);
		read_signals(r);
	}
	return !r->root_alive;
}

/*
 * We stop before the command did (a second Ctrl-C, an error): end it the
 * way perf record does, SIGTERM, then SIGKILL if it ignores that.
 */
static void end_command(struct recorder *r)
{
	if (r->child.pid <= 0 || !r->root_alive)
		return;
	kill(r->child.pid, SIGTERM);
	if (wait_root(r, KILL_GRACE_MS))
		return;
	kill(r->child.pid, SIGKILL);
	wait_root(r, KILL_GRACE_MS);
}

static void cleanup(struct recorder *r)
{
	if (r->child.go_fd >= 0 || r->child.status_fd >= 0)
		rec_child_abandon(&r->child);
	else
		end_command(r);
	rec_stream_close(&r->stream);
	if (r->inst) {
		/* the trace_pipe_raw files are closed: rmdir can succeed */
		tracefs_instance_destroy(r->inst);
		tracefs_instance_free(r->inst);
		r->inst = NULL;
	}
	if (r->w)
		kmrv_tdat_abort(r->w);
	rec_meta_release(&r->meta);
	rec_events_release(&r->events);
	if (r->pidfd >= 0)
		close(r->pidfd);
	if (r->sigfd >= 0)
		close(r->sigfd);
	if (r->mask_set) {
		struct sigaction ign = { .sa_handler = SIG_IGN };

		for (int sig = 1; sig < NSIG; sig++)
			if (sigismember(&r->ignored, sig) == 1)
				sigaction(sig, &ign, NULL);
		sigprocmask(SIG_SETMASK, &r->old_mask, NULL);
	}
	if (r->subreaper_set)
		prctl(PR_SET_CHILD_SUBREAPER, r->old_subreaper);
}

/* A stop signal that came during setup: don't start the command at all. */
static bool stop_pending(struct recorder *r)
{
	read_signals(r);
	return r->stop || r->stopping;
}

static int start_command(struct recorder *r, char *err, size_t errlen)
{
	int e;

	if (stop_pending(r)) {
		rec_child_abandon(&r->child);
		rec_err(err, errlen, "interrupted by %s before %s started",
			strsignal(r->res->signal), r->opts->argv[0]);
		return -1;
	}
	e = rec_child_release(&r->child);
	if (!e) {
		r->res->started = true;
		return 0;
	}
	r->res->exec_errno = e;
	rec_err(err, errlen, "%s: %s", r->opts->argv[0],
		e == ENOENT ? "command not found" : strerror(e));
	return -1;
}

/* Names for ourselves and the command, which saved_cmdlines lacks yet. */
static void own_cmdlines(const struct recorder *r, char *buf, size_t len)
{
	const char *name;
	int n;

	n = snprintf(buf, len, "%d kmrv\n", (int)getpid());
	if (r->opts->mode != KMRV_RECORD_COMMAND || n < 0 || (size_t)n >= len)
		return;
	name = strrchr(r->opts->argv[0], '/');
	name = name ? name + 1 : r->opts->argv[0];
	/* the kernel keeps TASK_COMM_LEN - 1 characters */
	snprintf(buf + n, len - (size_t)n, "%d %.15s\n", (int)r->child.pid, name);
}

static int setup(struct recorder *r, char *err, size_t errlen)
{
	char cmdlines[128];

	if (check_opts(r->opts, err, errlen) || check_tracefs(err, errlen) ||
	    rec_events_resolve(r->opts, &r->events, err, errlen) ||
	    catch_signals(r, err, errlen) || start_target(r, err, errlen))
		return -1;
	own_cmdlines(r, cmdlines, sizeof(cmdlines));
	if (rec_meta_read(&r->meta, &r->events, r->nr_cpus, r->page_size,
			  cmdlines, err, errlen))
		return -1;
	/* before the instance: an unwritable output leaves nothing to undo */
	r->w = kmrv_tdat_create(r->opts->output, &r->meta.meta, err, errlen);
	if (!r->w)
		return -1;
	if (create_instance(r, err, errlen) ||
	    setup_instance(r, err, errlen) ||
	    rec_stream_open(&r->stream, r->inst, r->w, r->res->cpus, r->nr_cpus,
			    r->page_size, err, errlen))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	if (write_marker(r, err, errlen) || enable_events(r, err, errlen))
		return -1;
	if (r->opts->mode == KMRV_RECORD_COMMAND)
		return start_command(r, err, errlen);
	return 0;
}

int kmrv_record(const struct kmrv_record_opts *opts,
		struct kmrv_record_result *res, char *err, size_t errlen)
{
	struct recorder r = {
		.opts = opts, .res = res, .sigfd = -1, .pidfd = -1,
		.child = { .pid = -1, .go_fd = -1, .status_fd = -1 },
	};
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	int ret = -1;

	memset(res, 0, sizeof(*res));
	r.nr_cpus = cpus > 0 ? (int)cpus : 1;
	r.page_size = (unsigned int)sysconf(_SC_PAGESIZE);
	res->cpus = calloc((size_t)r.nr_cpus, sizeof(*res->cpus));
	if (!res->cpus) {
		rec_err(err, errlen, "out of memory");
		return -1;
	}
	res->nr_cpus = r.nr_cpus;
	if (setup(&r, err, errlen))
		goto out;
	if (record_loop(&r, err, errlen)) {
		tracefs_trace_off(r.inst);
		goto out;
	}
	ret = finish_file(&r, err, errlen);
out:
	cleanup(&r);
	return ret;
}

void kmrv_record_result_release(struct kmrv_record_result *res)
{
	free(res->cpus);
	memset(res, 0, sizeof(*res));
}
