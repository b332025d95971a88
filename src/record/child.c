// SPDX-License-Identifier: GPL-2.0
/*
 * child.c - the traced command.
 *
 * It is forked before tracing starts, because its pid goes into the
 * marker line, and waits on a pipe until the events are enabled; then it
 * execs. A failed exec writes its errno into a close-on-exec pipe, so the
 * parent tells "command not found" (127) from "ran and failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record_priv.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* In the child: wait for the go byte, then become the command. */
static void __attribute__((noreturn)) child_run(char * const argv[],
						const sigset_t *mask,
						const sigset_t *ignore,
						int go_fd, int status_fd)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	char go;
	int e;

	if (read_full(go_fd, &go, 1) != 1)
		_exit(127);	/* the recorder gave up before starting us */
	close(go_fd);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(ignore, sig) == 1)
			sigaction(sig, &ign, NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(argv[0], argv);
	e = errno;
	if (write(status_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(e == ENOENT ? 127 : 126);
}

int rec_child_fork(struct rec_child *c, char * const argv[],
		   const sigset_t *mask, const sigset_t *ignore,
		   char *err, size_t errlen)
{
	int go[2], status[2];

	c->pid = -1;
	c->go_fd = c->status_fd = -1;
	if (pipe2(go, O_CLOEXEC))
		goto fail;
	if (pipe2(status, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		goto fail;
	}
	c->pid = fork();
	if (c->pid < 0) {
		close(go[0]);
		close(go[1]);
		close(status[0]);
		close(status[1]);
		goto fail;
	}
	if (c->pid == 0) {
		close(go[1]);
		close(status[0]);
		child_run(argv, mask, ignore, go[0], status[1]);
	}
	close(go[0]);
	close(status[1]);
	c->go_fd = go[1];
	c->status_fd = status[0];
	return 0;
fail:
	rec_err(err, errlen, "cannot start %s: %s", argv[0], strerror(errno));
	return -1;
}

int rec_child_release(struct rec_child *c)
{
	int e = 0;
	ssize_t n;

	if (write(c->go_fd, "g", 1) != 1)
		e = errno;
	close_fd(&c->go_fd);
	if (e)
		return e;
	/* EOF: the close-on-exec pipe closed, so exec succeeded */
	n = read_full(c->status_fd, &e, sizeof(e));
	close_fd(&c->status_fd);
	if (n == (ssize_t)sizeof(e))
		return e ? e : EIO;
	return 0;
}

void rec_child_abandon(struct rec_child *c)
{
	if (c->pid <= 0)
		return;
	/* closing the pipe makes the held child _exit() at once */
	close_fd(&c->go_fd);
	close_fd(&c->status_fd);
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	c->pid = -1;
}

/* Does @s need quotes to read back as one shell word? */
static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-_./=:,+@%", *s))
			return true;
	return false;
}

void rec_argv_str(char * const argv[], char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (int i = 0; argv[i] && used + 1 < len; i++) {
		const char *fmt = needs_quotes(argv[i]) ? "%s'%s'" : "%s%s";
		int n = snprintf(buf + used, len - used, fmt, i ? " " : "", argv[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	/* a marker is one line: a newline in an argument would end it */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}
