/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tree.h - the process tree of a `kmrv record` command, grown while the
 * trace streams: the root pid from the "kmrv-record: pid=" marker, then
 * every child a tree pid forks (sched_process_fork: the event's pid is
 * the parent, ev->ptr the child). Membership is asked by the collector
 * for each verdict, so a violation counts for the tree only if its pid
 * had joined by then (for unfreed objects: by the end).
 */
#ifndef KMRV_TREE_H
#define KMRV_TREE_H

#include <stdbool.h>

#include "kmrv/check.h"
#include "kmrv/event.h"
#include "kmrv/result.h"
#include "idmap.h"

struct pidtree {
	enum kmrv_scope	scope;		/* AUTO until the first kmem event */
	bool		has_marker;
	int		root;
	char		*argv;
	struct idmap	pids;
	bool		failed;		/* out of memory */
};

void pidtree_init(struct pidtree *t, enum kmrv_scope scope);

/* Feed every event, before the monitors see it. */
void pidtree_step(struct pidtree *t, const struct kmrv_event *ev);

/* Should a violation by @pid be reported? */
bool pidtree_reports(const struct pidtree *t, int pid);

/*
 * pidtree_finish - fill @cmd (argv moves there). Returns 0, or -1 with
 * @err set when --tree was asked for a trace without a marker, or memory
 * ran out.
 */
int pidtree_finish(struct pidtree *t, const char *path, struct kmrv_command *cmd,
		   char *err, size_t errlen);

void pidtree_release(struct pidtree *t);

#endif /* KMRV_TREE_H */
