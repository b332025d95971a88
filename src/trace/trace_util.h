/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace_util.h - what every reader backend shares (private to src/trace).
 */
#ifndef KMRV_TRACE_UTIL_H
#define KMRV_TRACE_UTIL_H

#include <stddef.h>

#include <event-parse.h>

#include "kmrv/event.h"

/* A tracepoint kmrv reads, by the system and name formats carry. */
struct known_tp {
	enum kmrv_tp	tp;
	const char	*system;
	const char	*name;
};

extern const struct known_tp trace_known_tps[];
extern const size_t trace_nr_known_tps;

/*
 * The tracepoint kmrv reads that event format @text of @system describes
 * (its first line "name: NAME"), or NULL. A damaged name line that still
 * names one counts, so the format's check reports the damage.
 */
const struct known_tp *trace_known_format(const char *system, const char *text,
					  size_t len);

/* Where one tracepoint's format keeps the fields kmrv reads (NULL: absent). */
struct tp_fields {
	struct tep_format_field	*pid;		/* common_pid */
	struct tep_format_field	*ptr;
	struct tep_format_field	*call_site;
	struct tep_format_field	*bytes_req;
	struct tep_format_field	*bytes_alloc;
	struct tep_format_field	*child_pid;	/* fork */
	struct tep_format_field	*text;		/* fork comm, exec file, print buf */
};

/* Look up @tp's fields by name in @event, once per event type. */
void trace_resolve_fields(enum kmrv_tp tp, struct tep_event *event,
			  struct tp_fields *f);

/* Write "PATH: message" into @err (nothing if @err is NULL or @len 0). */
void trace_set_err(char *err, size_t len, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* KMRV_TRACE_UTIL_H */
