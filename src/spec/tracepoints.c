// SPDX-License-Identifier: GPL-2.0
/*
 * tracepoints.c - the names of enum kmrv_tp, as spec files and the
 * readers spell them.
 */
#include <string.h>

#include "kmrv/event.h"

struct tp_info {
	const char		*name;
	enum kmrv_tp_class	class;
};

/* KMRV_TP_LOST is a gap marker, not a tracepoint: it has no name. */
static const struct tp_info tps[KMRV_TP__COUNT] = {
	[KMRV_TP_KMALLOC]		= { "kmem:kmalloc",		KMRV_CLASS_ALLOC },
	[KMRV_TP_KMALLOC_NODE]		= { "kmem:kmalloc_node",	KMRV_CLASS_ALLOC },
	[KMRV_TP_KFREE]			= { "kmem:kfree",		KMRV_CLASS_FREE },
	[KMRV_TP_CACHE_ALLOC]		= { "kmem:kmem_cache_alloc",	KMRV_CLASS_ALLOC },
	[KMRV_TP_CACHE_ALLOC_NODE]	= { "kmem:kmem_cache_alloc_node", KMRV_CLASS_ALLOC },
	[KMRV_TP_CACHE_FREE]		= { "kmem:kmem_cache_free",	KMRV_CLASS_FREE },
	[KMRV_TP_FORK]			= { "sched:sched_process_fork",	KMRV_CLASS_OTHER },
	[KMRV_TP_EXEC]			= { "sched:sched_process_exec",	KMRV_CLASS_OTHER },
	[KMRV_TP_EXIT]			= { "sched:sched_process_exit",	KMRV_CLASS_OTHER },
	[KMRV_TP_MARKER]		= { "ftrace:print",		KMRV_CLASS_OTHER },
	[KMRV_TP_LOST]			= { NULL,			KMRV_CLASS_OTHER },
};

const char *kmrv_tp_name(enum kmrv_tp tp)
{
	if ((unsigned int)tp >= KMRV_TP__COUNT)
		return NULL;
	return tps[tp].name;
}

int kmrv_tp_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < KMRV_TP__COUNT; i++)
		if (tps[i].name && !strcmp(tps[i].name, name))
			return i;
	return -1;
}

enum kmrv_tp_class kmrv_tp_class(enum kmrv_tp tp)
{
	if ((unsigned int)tp >= KMRV_TP__COUNT)
		return KMRV_CLASS_OTHER;
	return tps[tp].class;
}
