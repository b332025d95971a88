/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf_data.h - a perf.data file as one time-ordered stream of tracepoint
 * samples (private to src/trace and the test tools).
 *
 * Reads what `perf record` writes, file mode and pipe mode (`perf record
 * -o -` saved to a file), either byte order: the header, the attributes
 * with their sample ids, the tracing data (the event formats trace-cmd
 * also stores, parsed into a tep handle), COMM/FORK records for command
 * names, LOST/LOST_SAMPLES records for gaps. The layout is perf's
 * tools/perf/Documentation/perf.data-file-format.txt.
 *
 * Order: perf writes its per-CPU buffers one after another, so records are
 * only roughly sorted. A FINISHED_ROUND record marks the end of a pass over
 * all buffers; everything up to the largest timestamp of the pass before
 * it is then final (perf's own rule). Samples are sorted by (time, CPU,
 * file position) and released round by round; a file without rounds is
 * sorted whole.
 *
 * Every length read from the file is checked against what is left of the
 * file or of its section; a damaged file gives a one-line "PATH: problem"
 * error, never a read outside the mapping.
 */
#ifndef KMRV_PERF_DATA_H
#define KMRV_PERF_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct perf_data;
struct tep_handle;
struct tep_event;

enum perf_item_kind {
	PERF_ITEM_SAMPLE,
	PERF_ITEM_LOST,
};

/* One sample of a kept attribute, or one gap. */
struct perf_item {
	uint64_t	ts;		/* ns, perf clock */
	uint32_t	cpu;		/* 0 when samples carry no CPU */
	enum perf_item_kind kind;
	int		tag;		/* SAMPLE: perf_data_keep()'s tag */
	const void	*raw;		/* SAMPLE: PERF_SAMPLE_RAW payload */
	uint32_t	raw_size;
	int64_t		lost;		/* LOST: events lost (>= 1) */
};

/* The texts of the tracing data, NUL-terminated; NULL or "" when absent. */
struct perf_format_text {
	const char	*system;	/* "ftrace" for the ftrace formats */
	const char	*text;
};

struct perf_tracing {
	const char	*header_page;
	const char	*header_event;
	const struct perf_format_text *formats;
	int		nr_formats;
	const char	*kallsyms;
	const char	*printk;
	const char	*cmdlines;
	unsigned int	page_size;
	int		long_size;
	bool		big_endian;
};

/*
 * perf_data_open - map @path and read its header, attributes and tracing
 * data. Returns NULL with "PATH: problem" in @err (truncated, corrupt,
 * compressed, no tracing data).
 */
struct perf_data *perf_data_open(const char *path, char *err, size_t errlen);

void perf_data_close(struct perf_data *pd);

/* The tep handle holding the formats of the tracing data. */
struct tep_handle *perf_data_tep(struct perf_data *pd);

const struct perf_tracing *perf_data_tracing(const struct perf_data *pd);

/* True if the tracing data held kallsyms (perf normally stores none). */
bool perf_data_has_kallsyms(const struct perf_data *pd);

int perf_data_nr_attrs(const struct perf_data *pd);

/* The tracepoint attribute @i samples, or NULL if it is no tracepoint. */
struct tep_event *perf_data_attr_event(struct perf_data *pd, int i);

/*
 * perf_data_keep - deliver the samples of attribute @i with @tag (>= 0).
 * Samples of attributes not kept are skipped. Returns 0, or -1 with @err
 * filled if the attribute's samples lack what a tracepoint sample needs
 * (PERF_SAMPLE_RAW and PERF_SAMPLE_TIME) or have a read format this
 * reader does not know.
 */
int perf_data_keep(struct perf_data *pd, int i, int tag, char *err, size_t errlen);

/*
 * perf_data_next - the next item in time order (ties: lowest CPU, then
 * file order). Returns 1 with *@item filled (item->raw valid until the
 * file is closed), 0 at the end, -1 with @err filled on a corrupt record.
 */
int perf_data_next(struct perf_data *pd, struct perf_item *item,
		   char *err, size_t errlen);

/*
 * perf_data_nr_cpus - CPUs of the recording: the NRCPUS feature, raised
 * to cover every CPU seen in a sample so far.
 */
int perf_data_nr_cpus(const struct perf_data *pd);

/*
 * perf_data_comm - the command name of thread @pid: the tracing data's
 * saved cmdlines, overridden by the COMM records read so far (a FORK
 * passes the parent's name on). NULL if unknown.
 */
const char *perf_data_comm(const struct perf_data *pd, int pid);

/* Call @fn for every known (pid, comm); stops at the first non-zero. */
int perf_data_for_each_comm(const struct perf_data *pd,
			    int (*fn)(int pid, const char *comm, void *arg),
			    void *arg);

#endif /* KMRV_PERF_DATA_H */
