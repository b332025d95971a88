/* SPDX-License-Identifier: GPL-2.0 */
/*
 * event.h - the one event type every reader yields and the engine consumes.
 *
 * Readers (trace.dat, later perf.data) decode their records into
 * struct kmrv_event and deliver them in global timestamp order; ties on
 * the timestamp go to the lowest CPU first, as `trace-cmd report` orders
 * them. Nothing downstream of a reader knows the input format.
 */
#ifndef KMRV_EVENT_H
#define KMRV_EVENT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The tracepoints kmrv understands. A spec binds its events to these by
 * name ("kmem:kmalloc"); the reader maps the event ids stored in a file to
 * them. KMRV_TP_LOST is not a tracepoint: it marks a gap the ring buffer
 * recorded (lost events on one CPU before this point).
 */
enum kmrv_tp {
	KMRV_TP_KMALLOC,		/* kmem:kmalloc */
	KMRV_TP_KMALLOC_NODE,		/* kmem:kmalloc_node (older kernels) */
	KMRV_TP_KFREE,			/* kmem:kfree */
	KMRV_TP_CACHE_ALLOC,		/* kmem:kmem_cache_alloc */
	KMRV_TP_CACHE_ALLOC_NODE,	/* kmem:kmem_cache_alloc_node (older) */
	KMRV_TP_CACHE_FREE,		/* kmem:kmem_cache_free */
	KMRV_TP_FORK,			/* sched:sched_process_fork */
	KMRV_TP_EXEC,			/* sched:sched_process_exec */
	KMRV_TP_EXIT,			/* sched:sched_process_exit */
	KMRV_TP_MARKER,			/* ftrace:print (trace_marker) */
	KMRV_TP_LOST,			/* pseudo: events lost before this */
	KMRV_TP__COUNT
};

/* What an event does to memory: the engine's filters depend on it. */
enum kmrv_tp_class {
	KMRV_CLASS_OTHER,
	KMRV_CLASS_ALLOC,
	KMRV_CLASS_FREE,
};

struct kmrv_event {
	uint64_t	ts;		/* ns, trace clock */
	uint64_t	ptr;		/* alloc/free: object; fork: child pid */
	uint64_t	call_site;	/* alloc/free: caller address */
	uint64_t	bytes_req;	/* alloc only */
	uint64_t	bytes_alloc;	/* alloc only */
	int64_t		lost;		/* KMRV_TP_LOST: count, -1 if unknown */
	int32_t		pid;		/* common_pid of the record */
	uint32_t	cpu;
	uint16_t	tp;		/* enum kmrv_tp */
	/*
	 * KMRV_TP_MARKER: the marker text; KMRV_TP_EXEC: the filename;
	 * KMRV_TP_FORK: the child comm. Valid until the next event is read;
	 * shorter than KMRV_TEXT_MAX bytes with its NUL.
	 */
	const char	*text;
};

#define KMRV_TEXT_MAX	256

/* "kmem:kmalloc" for KMRV_TP_KMALLOC; NULL for out-of-range values. */
const char *kmrv_tp_name(enum kmrv_tp tp);

/* Parse "system:event" into a tracepoint; returns -1 if unknown. */
int kmrv_tp_from_name(const char *name);

enum kmrv_tp_class kmrv_tp_class(enum kmrv_tp tp);

/*
 * kfree(NULL) and kfree(ZERO_SIZE_PTR) are traced and legal; a NULL
 * returned by an allocator is a failed allocation, not an allocation.
 */
#define KMRV_ZERO_SIZE_PTR	((uint64_t)16)

static inline int kmrv_event_is_failed_alloc(const struct kmrv_event *ev)
{
	return kmrv_tp_class(ev->tp) == KMRV_CLASS_ALLOC && ev->ptr == 0;
}

static inline int kmrv_event_is_null_free(const struct kmrv_event *ev)
{
	return kmrv_tp_class(ev->tp) == KMRV_CLASS_FREE &&
	       (ev->ptr == 0 || ev->ptr == KMRV_ZERO_SIZE_PTR);
}

/*
 * Whether a kmem event is about an object: failed allocations and
 * kfree(NULL/ZERO_SIZE_PTR) are not, and a 0 pointer is also the
 * instance table's empty mark, whatever the class.
 */
static inline bool kmrv_event_names_object(const struct kmrv_event *ev)
{
	return ev->ptr && !kmrv_event_is_null_free(ev);
}

#endif /* KMRV_EVENT_H */
