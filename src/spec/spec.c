// SPDX-License-Identifier: GPL-2.0
/*
 * spec.c - a parsed spec's tables: loading, freeing, minimisation (which
 * states the engine may forget) and the DOT drawing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec_priv.h"

static void free_names(char **names, int n)
{
	if (!names)
		return;
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void kmrv_spec_free(struct kmrv_spec *spec)
{
	if (!spec)
		return;
	free(spec->name);
	free(spec->alias);
	free(spec->description);
	free(spec->path);
	free_names(spec->state_names, spec->nr_states);
	free_names(spec->event_names, spec->nr_events);
	free_names(spec->kind_names, spec->nr_kinds);
	free(spec->next);
	free(spec->violation);
	free(spec->at_end);
	free(spec);
}

int kmrv_spec_kind(const struct kmrv_spec *spec, const char *kind)
{
	if (!spec || !kind)
		return KMRV_NONE;
	for (int k = 0; k < spec->nr_kinds; k++)
		if (!strcmp(spec->kind_names[k], kind))
			return k;
	return KMRV_NONE;
}

int kmrv_spec_alloc_tables(struct kmrv_spec *spec)
{
	size_t cells = (size_t)spec->nr_states * spec->nr_events;

	spec->next = malloc(cells ? cells : 1);
	spec->violation = malloc(cells ? cells : 1);
	spec->at_end = malloc(spec->nr_states ? spec->nr_states : 1);
	if (!spec->next || !spec->violation || !spec->at_end)
		return -1;
	memset(spec->next, KMRV_NONE, cells);
	memset(spec->violation, KMRV_NONE, cells);
	memset(spec->at_end, KMRV_NONE, spec->nr_states);
	return 0;
}

/* --- minimisation ----------------------------------------------------- */

/* A missing transition is a silent self loop. */
static int step(const struct kmrv_spec *spec, int s, int e)
{
	int t = spec->next[s * spec->nr_events + e];

	return t == KMRV_NONE ? s : t;
}

/* Same outputs now: accepting, latest, at-end kind, verdict per event. */
static bool same_outputs(const struct kmrv_spec *spec, int s, int t)
{
	uint64_t sb = 1ULL << s, tb = 1ULL << t;
	int n = spec->nr_events;

	if (!(spec->accepting & sb) != !(spec->accepting & tb) ||
	    !(spec->latest & sb) != !(spec->latest & tb) ||
	    spec->at_end[s] != spec->at_end[t])
		return false;
	return !memcmp(&spec->violation[s * n], &spec->violation[t * n], n);
}

static bool same_successors(const struct kmrv_spec *spec, const int *block,
			    int s, int t)
{
	for (int e = 0; e < spec->nr_events; e++)
		if (block[step(spec, s, e)] != block[step(spec, t, e)])
			return false;
	return true;
}

/*
 * Moore's partition refinement: start from blocks of equal outputs and
 * split by the blocks of the successors until nothing splits. At most 64
 * states, so the quadratic pass is cheap and easy to check.
 */
uint64_t kmrv_spec_forgettable(const struct kmrv_spec *spec)
{
	int block[KMRV_SPEC_MAX_STATES], next[KMRV_SPEC_MAX_STATES];
	int n = spec->nr_states, nr_blocks = 0, prev;
	uint64_t set = 0;

	for (int s = 0; s < n; s++) {
		block[s] = nr_blocks;
		for (int t = 0; t < s; t++) {
			if (same_outputs(spec, s, t)) {
				block[s] = block[t];
				break;
			}
		}
		if (block[s] == nr_blocks)
			nr_blocks++;
	}
	do {
		prev = nr_blocks;
		nr_blocks = 0;
		for (int s = 0; s < n; s++) {
			next[s] = nr_blocks;
			for (int t = 0; t < s; t++) {
				if (block[s] == block[t] &&
				    same_successors(spec, block, s, t)) {
					next[s] = next[t];
					break;
				}
			}
			if (next[s] == nr_blocks)
				nr_blocks++;
		}
		memcpy(block, next, sizeof(block[0]) * n);
	} while (nr_blocks != prev);

	for (int s = 0; s < n; s++)
		if (block[s] == block[spec->initial])
			set |= 1ULL << s;
	return set;
}

/* --- loading ---------------------------------------------------------- */

static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -1;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *b;

			/* One byte past the limit is enough to know it is over. */
			if (cap > KMRV_SPEC_MAX_FILE)
				break;
			cap *= 2;
			b = realloc(buf, cap + 1);
			if (!b)
				goto err;
			buf = b;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto err;
		if (!r)
			break;
		n += r;
	}
	*out = buf;
	*len = n;
	return 0;
err:
	free(buf);
	return -1;
}

struct kmrv_spec *kmrv_spec_load(const char *path, char *err, size_t errlen)
{
	struct kmrv_spec *spec = NULL;
	struct stat st;
	char *text = NULL;
	size_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto sys_err;
	if (fstat(fd, &st))
		goto sys_err;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (read_all(fd, &text, &len))
		goto sys_err;
	if (len > KMRV_SPEC_MAX_FILE) {
		snprintf(err, errlen, "%s: file too large (more than %d bytes)",
			 path, KMRV_SPEC_MAX_FILE);
		goto out;
	}
	spec = kmrv_spec_parse_buf(text, len, path, err, errlen);
	goto out;
sys_err:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return spec;
}

/* --- DOT -------------------------------------------------------------- */

static void dot_nodes(const struct kmrv_spec *spec, FILE *out)
{
	const char *init = spec->state_names[spec->initial];

	fprintf(out, "\t{node [shape = plaintext, style=invis, label=\"\"] \"__init_%s\"};\n",
		init);
	for (int s = 0; s < spec->nr_states; s++)
		fprintf(out, "\t{node [shape = %s] \"%s\"};\n",
			spec->accepting & (1ULL << s) ? "doublecircle" : "circle",
			spec->state_names[s]);
	fprintf(out, "\t\"__init_%s\" -> \"%s\";\n", init, init);
}

/* The node's label: its name, and what is special about it. */
static void dot_state_label(const struct kmrv_spec *spec, int s, FILE *out)
{
	const char *name = spec->state_names[s];

	fprintf(out, "\t\"%s\" [label = \"%s", name, name);
	if (spec->latest & (1ULL << s))
		fputs("\\n(latest)", out);
	if (spec->at_end[s] != KMRV_NONE)
		fprintf(out, "\\nat-end / %s", spec->kind_names[spec->at_end[s]]);
	fputs("\"];\n", out);
}

/* One edge per (from, to) pair; parallel events share it, one per line. */
static void dot_edges(const struct kmrv_spec *spec, int s, FILE *out)
{
	int n = spec->nr_events;

	for (int t = 0; t < spec->nr_states; t++) {
		const char *sep = "";

		for (int e = 0; e < n; e++) {
			int cell = s * n + e;

			if (spec->next[cell] != t)
				continue;
			if (!*sep)
				fprintf(out, "\t\"%s\" -> \"%s\" [ label = \"",
					spec->state_names[s],
					spec->state_names[t]);
			fprintf(out, "%s%s", sep, spec->event_names[e]);
			if (spec->violation[cell] != KMRV_NONE)
				fprintf(out, " / %s",
					spec->kind_names[spec->violation[cell]]);
			sep = "\\n";
		}
		if (*sep)
			fputs("\" ];\n", out);
	}
}

int kmrv_spec_write_dot(const struct kmrv_spec *spec, FILE *out)
{
	const char *init = spec->state_names[spec->initial];

	fputs("digraph state_automaton {\n", out);
	dot_nodes(spec, out);
	for (int s = 0; s < spec->nr_states; s++) {
		dot_state_label(spec, s, out);
		dot_edges(spec, s, out);
	}
	fprintf(out, "\t{ rank = min ;\n\t\t\"__init_%s\";\n\t\t\"%s\";\n\t}\n}\n",
		init, init);
	if (fflush(out) || ferror(out))
		return -1;
	return 0;
}
