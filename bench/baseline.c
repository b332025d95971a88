// SPDX-License-Identifier: GPL-2.0
/*
 * baseline - the fair library baseline for bench/run.sh: a plain
 * libtracecmd tracecmd_iterate_events() loop that reads the ptr field of
 * every kmem event, with the event ids and fields resolved once.
 *
 *   baseline TRACE.dat
 *
 * Prints "EVENTS KMEM_EVENTS XOR_OF_PTRS" (the xor keeps the reads from
 * being optimised away). Exit status: 0 read, 1 cannot open.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event-parse.h>
#include <trace-cmd.h>

#define MAX_ID	65536

struct base {
	struct tep_handle	*tep;
	struct tep_format_field	*ptr_of_id[MAX_ID];
	unsigned long long	events, kmem, acc;
};

static const char *const kmem_events[] = {
	"kmalloc", "kmalloc_node", "kfree", "kmem_cache_alloc",
	"kmem_cache_alloc_node", "kmem_cache_free", NULL,
};

static int on_event(struct tracecmd_input *handle, struct tep_record *record,
		    int cpu, void *data)
{
	struct base *b = data;
	struct tep_format_field *f;
	unsigned long long v;
	int id;

	(void)handle;
	(void)cpu;
	b->events++;
	id = tep_data_type(b->tep, record);
	if (id < 0 || id >= MAX_ID)
		return 0;
	f = b->ptr_of_id[id];
	if (!f)
		return 0;
	if (!tep_read_number_field(f, record->data, &v)) {
		b->acc ^= v;
		b->kmem++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct base b;
	struct tracecmd_input *handle;
	struct tep_handle *tep;

	if (argc != 2) {
		fprintf(stderr, "usage: baseline TRACE.dat\n");
		return 2;
	}
	tracecmd_set_loglevel(TEP_LOG_NONE);
	handle = tracecmd_open(argv[1], TRACECMD_FL_LOAD_NO_PLUGINS |
					TRACECMD_FL_LOAD_NO_SYSTEM_PLUGINS);
	if (!handle) {
		fprintf(stderr, "%s: cannot open\n", argv[1]);
		return 1;
	}
	tep = tracecmd_get_tep(handle);
	b.tep = tep;
	for (int i = 0; kmem_events[i]; i++) {
		struct tep_event *e = tep_find_event_by_name(tep, "kmem", kmem_events[i]);

		if (e && e->id >= 0 && e->id < MAX_ID)
			b.ptr_of_id[e->id] = tep_find_field(e, "ptr");
	}
	tracecmd_iterate_events(handle, NULL, 0, on_event, &b);
	printf("%llu %llu %llx\n", b.events, b.kmem, b.acc);
	tracecmd_close(handle);
	return 0;
}
