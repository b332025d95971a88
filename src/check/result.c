// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "kmrv/result.h"

void kmrv_spec_result_release(struct kmrv_spec_result *s)
{
	for (int k = 0; s->kinds && k < s->nr_kinds; k++)
		free(s->kinds[k]);
	free(s->kinds);
	free(s->name);
	free(s->description);
	free(s->counts);
	for (size_t i = 0; s->pids && i < s->nr_pids; i++)
		free(s->pids[i].counts);
	free(s->pids);
	for (size_t i = 0; s->sites && i < s->nr_sites; i++) {
		free(s->sites[i].site);
		free(s->sites[i].counts);
	}
	free(s->sites);
	for (size_t i = 0; s->unfreed && i < s->nr_unfreed; i++)
		free(s->unfreed[i].site);
	free(s->unfreed);
	for (size_t i = 0; s->violations && i < s->nr_violations; i++) {
		free(s->violations[i].site);
		free(s->violations[i].alloc_site);
		free(s->violations[i].free_site);
	}
	free(s->violations);
	memset(s, 0, sizeof(*s));
}

void kmrv_trace_result_release(struct kmrv_trace_result *r)
{
	for (int i = 0; r->specs && i < r->nr_specs; i++)
		kmrv_spec_result_release(&r->specs[i]);
	free(r->specs);
	free(r->gaps);
	free(r->command.argv);
	free(r->path);
	free(r->error);
	memset(r, 0, sizeof(*r));
}
