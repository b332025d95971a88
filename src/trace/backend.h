/* SPDX-License-Identifier: GPL-2.0 */
/*
 * backend.h - what a trace reader implements (private to src/trace).
 *
 * trace.c picks a backend by the file's magic and the user's --reader
 * choice and forwards the public kmrv_trace_* calls to it. A backend keeps
 * the promises of include/kmrv/trace.h: global timestamp order with ties to
 * the lowest CPU, gaps as KMRV_TP_LOST events, one-line "PATH: problem"
 * errors, and never a crash on a damaged file.
 */
#ifndef KMRV_TRACE_BACKEND_H
#define KMRV_TRACE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "kmrv/event.h"
#include "kmrv/trace.h"

struct trace_backend {
	const char	*name;		/* "libtracecmd", "direct", "perf" */
	/* returns the backend's private state, or NULL with @err filled */
	void		*(*open)(const char *path, char *err, size_t errlen);
	int		(*next)(void *priv, struct kmrv_event *ev,
				char *err, size_t errlen);
	/* optional: kmrv_trace_read(), where it saves a call per event */
	int		(*read)(void *priv, struct kmrv_event *ev, int max,
				char *err, size_t errlen);
	void		(*close)(void *priv);
	int		(*cpus)(void *priv);
	int		(*has_tp)(void *priv, enum kmrv_tp tp);
	const char	*(*comm)(void *priv, int pid);
	const char	*(*symbolize)(void *priv, uint64_t addr,
				      char *buf, size_t len);
};

typedef int (*trace_next_fn)(void *priv, struct kmrv_event *ev, char *err,
			     size_t errlen);

/*
 * What kmrv_trace_read() promises, from a backend's next(): a backend
 * that passes its own inline function gets the loop with it inlined.
 */
static inline __attribute__((always_inline))
int trace_read_loop(void *priv, struct kmrv_event *ev, int max, char *err,
		    size_t errlen, trace_next_fn next)
{
	int n = 0, got;

	while (n < max) {
		got = next(priv, &ev[n], err, errlen);
		if (got < 0)
			return -1;
		if (!got)
			break;
		if (ev[n++].text)
			break;
	}
	return n;
}

/*
 * A backend that cannot read a valid file (a feature it does not
 * implement) fails open() with errno ENOTSUP; when the user did not
 * choose a reader, trace.c then tries the next backend for the format.
 */
extern const struct trace_backend tracecmd_backend;
extern const struct trace_backend perf_backend;	/* perf.data, file and pipe mode */
extern const struct trace_backend direct_backend;	/* trace.dat default */

#endif /* KMRV_TRACE_BACKEND_H */
