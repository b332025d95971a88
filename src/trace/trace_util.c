// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trace_util.h"

const struct known_tp trace_known_tps[] = {
	{ KMRV_TP_KMALLOC,		"kmem",   "kmalloc" },
	{ KMRV_TP_KMALLOC_NODE,		"kmem",   "kmalloc_node" },
	{ KMRV_TP_KFREE,		"kmem",   "kfree" },
	{ KMRV_TP_CACHE_ALLOC,		"kmem",   "kmem_cache_alloc" },
	{ KMRV_TP_CACHE_ALLOC_NODE,	"kmem",   "kmem_cache_alloc_node" },
	{ KMRV_TP_CACHE_FREE,		"kmem",   "kmem_cache_free" },
	{ KMRV_TP_FORK,			"sched",  "sched_process_fork" },
	{ KMRV_TP_EXEC,			"sched",  "sched_process_exec" },
	{ KMRV_TP_EXIT,			"sched",  "sched_process_exit" },
	{ KMRV_TP_MARKER,		"ftrace", "print" },
};

const size_t trace_nr_known_tps = sizeof(trace_known_tps) / sizeof(trace_known_tps[0]);

static int is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

const struct known_tp *trace_known_format(const char *system, const char *text,
					  size_t len)
{
	if (len < 7 || memcmp(text, "name: ", 6))
		return NULL;
	for (size_t i = 0; i < trace_nr_known_tps; i++) {
		const struct known_tp *k = &trace_known_tps[i];
		size_t n = strlen(k->name);

		if (strcmp(system, k->system) || len < 6 + n ||
		    memcmp(text + 6, k->name, n))
			continue;
		if (len == 6 + n || !is_name_char(text[6 + n]))
			return k;
	}
	return NULL;
}

void trace_set_err(char *err, size_t len, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !len)
		return;
	n = snprintf(err, len, "%s: ", path);
	if (n < 0 || (size_t)n >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, len - n, fmt, ap);
	va_end(ap);
}

void trace_resolve_fields(enum kmrv_tp tp, struct tep_event *event,
			  struct tp_fields *f)
{
	f->pid = tep_find_common_field(event, "common_pid");
	f->ptr = tep_find_field(event, "ptr");
	f->call_site = tep_find_field(event, "call_site");
	f->bytes_req = tep_find_field(event, "bytes_req");
	f->bytes_alloc = tep_find_field(event, "bytes_alloc");
	f->child_pid = NULL;
	f->text = NULL;
	switch (tp) {
	case KMRV_TP_FORK:
		f->child_pid = tep_find_field(event, "child_pid");
		f->text = tep_find_field(event, "child_comm");
		break;
	case KMRV_TP_EXEC:
		f->text = tep_find_field(event, "filename");
		break;
	case KMRV_TP_MARKER:
		f->text = tep_find_field(event, "buf");
		break;
	default:
		break;
	}
}
