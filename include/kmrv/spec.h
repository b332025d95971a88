/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spec.h - specification files (specs/NAME.spec, man kmrv-spec(5)) parsed
 * into dense automaton tables.
 *
 * A spec is a parametric automaton: the engine keeps one instance per key
 * (the object pointer, or pid+pointer). Its tables are indexed
 * [state * nr_events + event]; events are the spec's own names (alloc,
 * free, ...) followed by the pseudo-events "other" and "other.NAME" that a
 * spec with a `group` uses. A missing transition leaves the instance where
 * it is and says nothing.
 */
#ifndef KMRV_SPEC_H
#define KMRV_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "kmrv/event.h"

#define KMRV_SPEC_MAX_STATES	64	/* state sets are uint64_t masks */
#define KMRV_SPEC_MAX_EVENTS	32	/* user events + pseudo-events */
#define KMRV_SPEC_MAX_KINDS	32
#define KMRV_NONE		(-1)

enum kmrv_key_type {
	KMRV_KEY_PTR,		/* key ptr: one instance per object */
	KMRV_KEY_PID_PTR,	/* key pid ptr: one per (pid, object) */
};

enum kmrv_group_type {
	KMRV_GROUP_NONE,	/* no `group` line */
	KMRV_GROUP_PID,		/* group pid: one latest-slot per pid */
	KMRV_GROUP_ALL,		/* group all: one latest-slot overall */
};

struct kmrv_spec {
	char		*name;		/* "alloc-free" */
	char		*alias;		/* "1", or NULL */
	char		*description;
	char		*path;		/* file it came from, or NULL */

	enum kmrv_key_type	key;
	enum kmrv_group_type	group;

	int		nr_states;
	char		**state_names;
	int		initial;
	uint64_t	accepting;	/* bit s: state s accepts */
	uint64_t	latest;		/* bit s: state s is a `latest` state */
	/*
	 * bit s: state s behaves exactly like the initial state from here on
	 * (same verdicts for every future event sequence, computed by
	 * minimisation). The engine drops an instance that reaches such a
	 * state, so memory follows the keys alive in the automaton.
	 */
	uint64_t	forgettable;

	int		nr_events;	/* user events first, then pseudo */
	int		nr_user_events;
	char		**event_names;	/* "alloc", "free", "other", "other.free" */
	/* event index of the pseudo-event "other" / "other.E", or KMRV_NONE */
	int		other_event;
	int		other_of[KMRV_SPEC_MAX_EVENTS];	/* indexed by user event */

	/* tracepoint -> user event index, or KMRV_NONE if the spec ignores it */
	int		tp_event[KMRV_TP__COUNT];

	int8_t		*next;		/* [s*nr_events+e]: next state or KMRV_NONE */
	int8_t		*violation;	/* [s*nr_events+e]: kind index or KMRV_NONE */
	int8_t		*at_end;	/* [s]: kind reported at end, or KMRV_NONE */

	int		nr_kinds;
	char		**kind_names;	/* in order of first mention in the file */
};

/*
 * kmrv_spec_parse - parse spec text.
 * @text: the file contents (NUL-terminated)
 * @path: name used in error messages and stored in spec->path (may be NULL,
 *        then "<string>")
 * @err, @errlen: on failure receives "PATH:LINE:COL: what was expected"
 *
 * Returns a new spec, or NULL on error (err filled in).
 */
struct kmrv_spec *kmrv_spec_parse(const char *text, const char *path,
				  char *err, size_t errlen);

/* kmrv_spec_load - read and parse a file. NULL on error, err as above. */
struct kmrv_spec *kmrv_spec_load(const char *path, char *err, size_t errlen);

void kmrv_spec_free(struct kmrv_spec *spec);

/* Kind index by name ("double-free"), or KMRV_NONE. */
int kmrv_spec_kind(const struct kmrv_spec *spec, const char *kind);

/*
 * kmrv_spec_write_dot - Graphviz DOT in the kernel RV-model convention
 * (tools/verification/models/NAME.dot): an `__init_` point node, accepting
 * states as doublecircle, edges labelled "event" or "event / kind".
 * Returns 0, or -1 on a write error.
 */
int kmrv_spec_write_dot(const struct kmrv_spec *spec, FILE *out);

/*
 * A spec set: what `--spec` selects. The search path is, in order,
 * ./specs, each directory of $KMRV_SPEC_PATH (colon-separated), and the
 * installed data dir (KMRV_SPEC_DIR at build time). A name found in an
 * earlier directory hides later ones.
 */
struct kmrv_spec_set {
	int			nr;
	struct kmrv_spec	**specs;
};

/*
 * kmrv_spec_select - resolve a --spec argument.
 * @arg: "all", a comma list of names, aliases ("1,3") and paths (anything
 *       containing '/' or ending in ".spec" is a path)
 *
 * Returns 0 and fills @set (in the order given, a spec selected twice
 * counts once; "all" sorts by alias then name), or -1 with @set empty and
 * err ("unknown spec 'x' (run 'kmrv specs' to list them)", a parse error
 * of a selected spec, or two different files of one name).
 */
int kmrv_spec_select(const char *arg, struct kmrv_spec_set *set,
		     char *err, size_t errlen);

/*
 * Every spec on the search path, sorted as for "all" (possibly none).
 * Returns 0, or -1 with err if any spec on the path does not parse.
 */
int kmrv_spec_all(struct kmrv_spec_set *set, char *err, size_t errlen);

void kmrv_spec_set_release(struct kmrv_spec_set *set);

#endif /* KMRV_SPEC_H */
