// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

#define MARKER_PREFIX	"kmrv-record: pid="

void pidtree_init(struct pidtree *t, enum kmrv_scope scope)
{
	memset(t, 0, sizeof(*t));
	t->scope = scope;
	t->root = -1;
}

static void add_pid(struct pidtree *t, int pid)
{
	int added;

	if (idmap_get(&t->pids, (uint32_t)pid, 0, &added) < 0)
		t->failed = true;
}

/* "kmrv-record: pid=1234 argv=ls -R /usr"; only the first one counts. */
static void read_marker(struct pidtree *t, const char *text)
{
	const char *argv;
	char *end;
	long pid;

	if (t->has_marker || !text || strncmp(text, MARKER_PREFIX, strlen(MARKER_PREFIX)))
		return;
	pid = strtol(text + strlen(MARKER_PREFIX), &end, 10);
	if (end == text + strlen(MARKER_PREFIX) || pid <= 0 || pid > 0x7fffffff)
		return;
	argv = strstr(end, " argv=");
	t->argv = strdup(argv ? argv + strlen(" argv=") : "");
	if (!t->argv)
		t->failed = true;
	t->has_marker = true;
	t->root = (int)pid;
	add_pid(t, t->root);
}

void pidtree_step(struct pidtree *t, const struct kmrv_event *ev)
{
	switch (ev->tp) {
	case KMRV_TP_MARKER:
		read_marker(t, ev->text);
		return;
	case KMRV_TP_FORK:
		if (t->has_marker && idmap_find(&t->pids, (uint32_t)ev->pid) >= 0)
			add_pid(t, (int)ev->ptr);
		return;
	default:
		break;
	}
	/*
	 * `kmrv record` writes its marker before it enables any event, so
	 * a trace of a command begins with it; decide at the first kmem
	 * event, before any verdict can be due.
	 */
	if (t->scope == KMRV_SCOPE_AUTO && kmrv_tp_class(ev->tp) != KMRV_CLASS_OTHER)
		t->scope = t->has_marker ? KMRV_SCOPE_TREE : KMRV_SCOPE_ALL;
}

bool pidtree_reports(const struct pidtree *t, int pid)
{
	if (t->scope != KMRV_SCOPE_TREE)
		return true;
	return idmap_find(&t->pids, (uint32_t)pid) >= 0;
}

int pidtree_finish(struct pidtree *t, const char *path, struct kmrv_command *cmd,
		   char *err, size_t errlen)
{
	memset(cmd, 0, sizeof(*cmd));
	if (t->failed) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (t->scope == KMRV_SCOPE_TREE && !t->has_marker) {
		snprintf(err, errlen, "%s: --tree: no command recorded in this trace "
			 "(no \"kmrv-record: pid=\" marker); use --all or --pid", path);
		return -1;
	}
	if (!t->has_marker)
		return 0;
	cmd->present = true;
	cmd->pid = t->root;
	cmd->argv = t->argv;
	t->argv = NULL;
	cmd->tree_pids = t->pids.count;
	cmd->tree_only = t->scope == KMRV_SCOPE_TREE;
	return 0;
}

void pidtree_release(struct pidtree *t)
{
	free(t->argv);
	idmap_release(&t->pids);
	memset(t, 0, sizeof(*t));
}
