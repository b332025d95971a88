// SPDX-License-Identifier: GPL-2.0
/*
 * result_read.c - a check result (JSON schema_version 1) back into the
 * result model (contract in kmrv/report.h).
 *
 * Members this version knows are required and typed exactly as
 * kmrv-check(1) documents them; a wrong type or a missing member is an
 * error at its line and column. Members it does not know are skipped:
 * within a schema version fields are only ever added.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/json.h"
#include "kmrv/report.h"

#define MAX_INPUT	(1UL << 30)	/* a result, even with -v, is smaller */

struct ctx {
	const char	*name;
	char		*err;
	size_t		errlen;
	bool		verbose;	/* every spec so far had violation_list */
};

static int bad(struct ctx *c, const struct kmrv_json *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct ctx *c, const struct kmrv_json *at, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%d:%d: %s", c->name, at->line, at->col, what);
	return -1;
}

/*
 * Member @key of @obj, which must have type @type when present: 0 with
 * *@out set (NULL when absent), -1 when it has another type.
 */
static int opt_member(struct ctx *c, const struct kmrv_json *obj, const char *key,
		      enum kmrv_json_type type, const struct kmrv_json **out)
{
	const struct kmrv_json *v = kmrv_json_get(obj, key);

	*out = v;
	if (!v || v->type == type)
		return 0;
	return bad(c, v, "\"%s\" must be %s %s, not %s", key,
		   type == KMRV_JSON_ARRAY || type == KMRV_JSON_OBJECT ? "an" : "a",
		   kmrv_json_type_name(type), kmrv_json_type_name(v->type));
}

/* A required member of type @type: NULL (error set) when missing or mistyped. */
static const struct kmrv_json *need(struct ctx *c, const struct kmrv_json *obj,
				    const char *key, enum kmrv_json_type type)
{
	const struct kmrv_json *v;

	if (opt_member(c, obj, key, type, &v))
		return NULL;
	if (!v)
		bad(c, obj, "missing \"%s\"", key);
	return v;
}

static int num_u64(struct ctx *c, const struct kmrv_json *v, const char *key,
		   uint64_t *out)
{
	if (v->type != KMRV_JSON_NUMBER)
		return bad(c, v, "\"%s\" must be a number, not %s", key,
			   kmrv_json_type_name(v->type));
	if (kmrv_json_u64(v, out))
		return bad(c, v, "\"%s\" must be an integer from 0 to 2^64-1", key);
	return 0;
}

static int get_u64(struct ctx *c, const struct kmrv_json *obj, const char *key,
		   uint64_t *out)
{
	const struct kmrv_json *v = kmrv_json_get(obj, key);

	if (!v)
		return bad(c, obj, "missing \"%s\"", key);
	return num_u64(c, v, key, out);
}

static int get_int(struct ctx *c, const struct kmrv_json *obj, const char *key,
		   int64_t min, int64_t max, int64_t *out)
{
	const struct kmrv_json *v = kmrv_json_get(obj, key);

	if (!v)
		return bad(c, obj, "missing \"%s\"", key);
	if (v->type != KMRV_JSON_NUMBER)
		return bad(c, v, "\"%s\" must be a number, not %s", key,
			   kmrv_json_type_name(v->type));
	if (kmrv_json_i64(v, out) || *out < min || *out > max)
		return bad(c, v, "\"%s\" must be an integer from %lld to %lld", key,
			   (long long)min, (long long)max);
	return 0;
}

static int get_str(struct ctx *c, const struct kmrv_json *obj, const char *key,
		   char **out)
{
	const struct kmrv_json *v = need(c, obj, key, KMRV_JSON_STRING);

	if (!v)
		return -1;
	*out = strdup(v->str);
	return *out ? 0 : bad(c, v, "out of memory");
}

static void get_comm(const struct kmrv_json *v, char *comm)
{
	size_t n = strlen(v->str);

	/* a comm is at most 15 bytes; cut at a UTF-8 character boundary */
	if (n >= KMRV_COMM_LEN) {
		n = KMRV_COMM_LEN - 1;
		while (n && ((unsigned char)v->str[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(comm, v->str, n);
	comm[n] = '\0';
}

static void *alloc_rows(size_t nr, size_t size)
{
	return calloc(nr ? nr : 1, size);
}

static int kind_index(const struct kmrv_spec_result *s, const char *kind)
{
	for (int k = 0; k < s->nr_kinds; k++)
		if (!strcmp(s->kinds[k], kind))
			return k;
	return -1;
}

/* The spec's "violations": its keys are the kinds, in order. */
static int read_kinds(struct ctx *c, const struct kmrv_json *obj,
		      struct kmrv_spec_result *s)
{
	const struct kmrv_json *v = need(c, obj, "violations", KMRV_JSON_OBJECT);

	if (!v)
		return -1;
	s->kinds = alloc_rows(v->nr, sizeof(*s->kinds));
	s->counts = alloc_rows(v->nr, sizeof(*s->counts));
	if (!s->kinds || !s->counts)
		return bad(c, v, "out of memory");
	for (size_t k = 0; k < v->nr; k++) {
		s->kinds[k] = strdup(v->keys[k]);
		if (!s->kinds[k])
			return bad(c, v, "out of memory");
		s->nr_kinds = k + 1;
		if (num_u64(c, &v->items[k], v->keys[k], &s->counts[k]))
			return -1;
	}
	return 0;
}

/* A row's "violations": exactly the spec's kinds, any order. */
static int read_counts(struct ctx *c, const struct kmrv_json *row,
		       const struct kmrv_spec_result *s, uint64_t **counts,
		       uint64_t *total)
{
	const struct kmrv_json *v = need(c, row, "violations", KMRV_JSON_OBJECT);

	if (!v)
		return -1;
	*counts = alloc_rows(s->nr_kinds, sizeof(**counts));
	if (!*counts)
		return bad(c, v, "out of memory");
	if (v->nr != (size_t)s->nr_kinds)
		return bad(c, v, "%zu kinds here, the spec has %d", v->nr, s->nr_kinds);
	for (size_t i = 0; i < v->nr; i++) {
		int k = kind_index(s, v->keys[i]);

		if (k < 0)
			return bad(c, &v->items[i], "kind \"%.64s\" is not one of the spec's",
				   v->keys[i]);
		if (num_u64(c, &v->items[i], v->keys[i], &(*counts)[k]))
			return -1;
		*total = (*counts)[k] > UINT64_MAX - *total ? UINT64_MAX
							    : *total + (*counts)[k];
	}
	return 0;
}

/* Each element of array @key of @obj, which must be objects. */
static const struct kmrv_json *rows(struct ctx *c, const struct kmrv_json *obj,
				    const char *key)
{
	const struct kmrv_json *a = need(c, obj, key, KMRV_JSON_ARRAY);

	if (!a)
		return NULL;
	for (size_t i = 0; i < a->nr; i++)
		if (a->items[i].type != KMRV_JSON_OBJECT) {
			bad(c, &a->items[i], "\"%s\" rows must be objects, not %s", key,
			    kmrv_json_type_name(a->items[i].type));
			return NULL;
		}
	return a;
}

static int read_pids(struct ctx *c, const struct kmrv_json *obj, struct kmrv_spec_result *s)
{
	const struct kmrv_json *a = rows(c, obj, "by_pid");
	int64_t pid;

	if (!a)
		return -1;
	s->pids = alloc_rows(a->nr, sizeof(*s->pids));
	if (!s->pids)
		return bad(c, a, "out of memory");
	for (size_t i = 0; i < a->nr; i++) {
		const struct kmrv_json *row = &a->items[i], *comm;
		struct kmrv_pid_row *p = &s->pids[i];

		s->nr_pids++;
		if (get_int(c, row, "pid", INT32_MIN, INT32_MAX, &pid))
			return -1;
		p->pid = pid;
		comm = need(c, row, "comm", KMRV_JSON_STRING);
		if (!comm)
			return -1;
		get_comm(comm, p->comm);
		if (read_counts(c, row, s, &p->counts, &p->total))
			return -1;
	}
	return 0;
}

static int read_sites(struct ctx *c, const struct kmrv_json *obj, struct kmrv_spec_result *s)
{
	const struct kmrv_json *a = rows(c, obj, "by_call_site");

	if (!a)
		return -1;
	s->sites = alloc_rows(a->nr, sizeof(*s->sites));
	if (!s->sites)
		return bad(c, a, "out of memory");
	for (size_t i = 0; i < a->nr; i++) {
		struct kmrv_site_row *r = &s->sites[i];

		s->nr_sites++;
		if (get_str(c, &a->items[i], "site", &r->site) ||
		    read_counts(c, &a->items[i], s, &r->counts, &r->total))
			return -1;
	}
	return 0;
}

static int read_unfreed(struct ctx *c, const struct kmrv_json *obj,
			struct kmrv_spec_result *s)
{
	const struct kmrv_json *a = rows(c, obj, "unfreed");

	if (!a)
		return -1;
	s->unfreed = alloc_rows(a->nr, sizeof(*s->unfreed));
	if (!s->unfreed)
		return bad(c, a, "out of memory");
	for (size_t i = 0; i < a->nr; i++) {
		const struct kmrv_json *row = &a->items[i];
		struct kmrv_unfreed_row *u = &s->unfreed[i];

		s->nr_unfreed++;
		if (get_str(c, row, "site", &u->site) ||
		    get_u64(c, row, "count", &u->count) ||
		    get_u64(c, row, "bytes", &u->bytes) ||
		    get_u64(c, row, "oldest_age_ns", &u->oldest_age_ns))
			return -1;
	}
	return 0;
}

/* "alloc" or "first_free" of a violation: ts, pid, site. */
static int read_place(struct ctx *c, const struct kmrv_json *obj, const char *key,
		      bool *has, uint64_t *ts, int32_t *pid, char **site)
{
	const struct kmrv_json *v;
	int64_t p;

	if (opt_member(c, obj, key, KMRV_JSON_OBJECT, &v))
		return -1;
	if (!v)
		return 0;
	*has = true;
	if (get_u64(c, v, "ts", ts) ||
	    get_int(c, v, "pid", INT32_MIN, INT32_MAX, &p) || get_str(c, v, "site", site))
		return -1;
	*pid = p;
	return 0;
}

static int read_violation(struct ctx *c, const struct kmrv_json *row,
			  const struct kmrv_spec_result *s, struct kmrv_violation *v)
{
	const struct kmrv_json *kind = need(c, row, "kind", KMRV_JSON_STRING), *ptr, *comm;
	int64_t n;
	char *end;

	if (!kind)
		return -1;
	v->kind = kind_index(s, kind->str);
	if (v->kind < 0)
		return bad(c, kind, "kind \"%.64s\" is not one of the spec's", kind->str);
	ptr = need(c, row, "ptr", KMRV_JSON_STRING);
	if (!ptr)
		return -1;
	errno = 0;
	v->ptr = strtoull(ptr->str, &end, 16);
	if (strncmp(ptr->str, "0x", 2) || errno || *end || end == ptr->str + 2)
		return bad(c, ptr, "\"ptr\" must be a hex string \"0x...\"");
	if (get_u64(c, row, "ts", &v->ts) ||
	    get_int(c, row, "cpu", 0, UINT32_MAX, &n))
		return -1;
	v->cpu = n;
	if (get_int(c, row, "pid", INT32_MIN, INT32_MAX, &n))
		return -1;
	v->pid = n;
	comm = need(c, row, "comm", KMRV_JSON_STRING);
	if (!comm)
		return -1;
	get_comm(comm, v->comm);
	if (get_str(c, row, "site", &v->site) ||
	    read_place(c, row, "alloc", &v->has_alloc, &v->alloc_ts, &v->alloc_pid,
		       &v->alloc_site) ||
	    read_place(c, row, "first_free", &v->has_free, &v->free_ts, &v->free_pid,
		       &v->free_site))
		return -1;
	return 0;
}

static int read_violations(struct ctx *c, const struct kmrv_json *obj,
			   struct kmrv_spec_result *s)
{
	const struct kmrv_json *a;

	if (opt_member(c, obj, "violation_list", KMRV_JSON_ARRAY, &a))
		return -1;
	if (!a) {
		c->verbose = false;
		return 0;
	}
	a = rows(c, obj, "violation_list");
	if (!a)
		return -1;
	s->violations = alloc_rows(a->nr, sizeof(*s->violations));
	if (!s->violations)
		return bad(c, a, "out of memory");
	for (size_t i = 0; i < a->nr; i++) {
		s->nr_violations++;
		if (read_violation(c, &a->items[i], s, &s->violations[i]))
			return -1;
	}
	return 0;
}

static int read_spec(struct ctx *c, const struct kmrv_json *obj, struct kmrv_spec_result *s)
{
	if (obj->type != KMRV_JSON_OBJECT)
		return bad(c, obj, "a spec must be an object, not %s",
			   kmrv_json_type_name(obj->type));
	if (get_str(c, obj, "name", &s->name) ||
	    get_str(c, obj, "description", &s->description) ||
	    get_u64(c, obj, "peak_instances", &s->peak_instances) ||
	    read_kinds(c, obj, s) || read_pids(c, obj, s) || read_sites(c, obj, s) ||
	    read_unfreed(c, obj, s) || read_violations(c, obj, s))
		return -1;
	return 0;
}

static int read_event_counts(struct ctx *c, const struct kmrv_json *obj,
			     struct kmrv_trace_result *r)
{
	const struct kmrv_json *v = need(c, obj, "event_counts", KMRV_JSON_OBJECT);

	if (!v)
		return -1;
	for (size_t i = 0; i < v->nr; i++) {
		int tp = kmrv_tp_from_name(v->keys[i]);
		uint64_t n;

		if (num_u64(c, &v->items[i], v->keys[i], &n))
			return -1;
		/* a tracepoint a later kmrv reads: counted in "events" only */
		if (tp >= 0 && tp < KMRV_TP_LOST)
			r->by_tp[tp] = n;
	}
	return 0;
}

static int read_gaps(struct ctx *c, const struct kmrv_json *obj, struct kmrv_trace_result *r)
{
	const struct kmrv_json *a = rows(c, obj, "lost");
	int64_t n;

	if (!a)
		return -1;
	r->gaps = alloc_rows(a->nr, sizeof(*r->gaps));
	if (!r->gaps)
		return bad(c, a, "out of memory");
	for (size_t i = 0; i < a->nr; i++) {
		struct kmrv_lost_gap *g = &r->gaps[i];

		r->nr_gaps++;
		if (get_int(c, &a->items[i], "cpu", 0, UINT32_MAX, &n))
			return -1;
		g->cpu = n;
		if (get_u64(c, &a->items[i], "ts", &g->ts) ||
		    get_int(c, &a->items[i], "count", -1, INT64_MAX, &g->count))
			return -1;
	}
	return 0;
}

static int read_command(struct ctx *c, const struct kmrv_json *obj,
			struct kmrv_trace_result *r)
{
	const struct kmrv_json *scope = need(c, obj, "scope", KMRV_JSON_STRING);
	const struct kmrv_json *cmd = kmrv_json_get(obj, "command");
	int64_t pid;

	if (!scope)
		return -1;
	if (strcmp(scope->str, "tree") && strcmp(scope->str, "all"))
		return bad(c, scope, "\"scope\" must be \"tree\" or \"all\"");
	r->command.tree_only = !strcmp(scope->str, "tree");
	if (!cmd)
		return bad(c, obj, "missing \"command\"");
	if (cmd->type == KMRV_JSON_NULL)
		return 0;
	if (cmd->type != KMRV_JSON_OBJECT)
		return bad(c, cmd, "\"command\" must be an object or null");
	r->command.present = true;
	if (get_int(c, cmd, "pid", INT32_MIN, INT32_MAX, &pid) ||
	    get_str(c, cmd, "argv", &r->command.argv) ||
	    get_u64(c, cmd, "tree_pids", &r->command.tree_pids))
		return -1;
	r->command.pid = pid;
	return 0;
}

static int read_header(struct ctx *c, const struct kmrv_json *obj,
		       struct kmrv_trace_result *r)
{
	const struct kmrv_json *complete;
	int64_t cpus;

	if (get_int(c, obj, "cpus", 0, INT32_MAX, &cpus) ||
	    get_u64(c, obj, "events", &r->events) || read_event_counts(c, obj, r) ||
	    get_u64(c, obj, "failed_allocs", &r->failed_allocs) ||
	    get_u64(c, obj, "null_frees", &r->null_frees) ||
	    get_u64(c, obj, "first_ts", &r->first_ts) ||
	    get_u64(c, obj, "last_ts", &r->last_ts) || read_command(c, obj, r) ||
	    get_u64(c, obj, "lost_events", &r->lost_events) ||
	    get_u64(c, obj, "lost_unknown_gaps", &r->lost_unknown) || read_gaps(c, obj, r))
		return -1;
	r->nr_cpus = cpus;
	complete = need(c, obj, "complete", KMRV_JSON_BOOL);
	if (!complete)
		return -1;
	r->complete = complete->boolean;
	return 0;
}

static int read_trace(struct ctx *c, const struct kmrv_json *obj, struct kmrv_trace_result *r)
{
	const struct kmrv_json *specs, *error;

	if (obj->type != KMRV_JSON_OBJECT)
		return bad(c, obj, "a trace must be an object, not %s",
			   kmrv_json_type_name(obj->type));
	if (get_str(c, obj, "path", &r->path))
		return -1;
	if (opt_member(c, obj, "error", KMRV_JSON_STRING, &error))
		return -1;
	if (error) {
		r->error = strdup(error->str);
		return r->error ? 0 : bad(c, error, "out of memory");
	}
	if (read_header(c, obj, r))
		return -1;
	specs = need(c, obj, "specs", KMRV_JSON_ARRAY);
	if (!specs)
		return -1;
	r->specs = alloc_rows(specs->nr, sizeof(*r->specs));
	if (!r->specs)
		return bad(c, specs, "out of memory");
	for (size_t s = 0; s < specs->nr; s++) {
		r->nr_specs++;
		if (read_spec(c, &specs->items[s], &r->specs[s]))
			return -1;
	}
	return 0;
}

static int read_root(struct ctx *c, const struct kmrv_json *root,
		     struct kmrv_result_set *set)
{
	const struct kmrv_json *ver, *traces;
	uint64_t v;

	if (root->type != KMRV_JSON_OBJECT)
		return bad(c, root, "not a kmrv check result (an object with"
			   " \"schema_version\" and \"traces\")");
	if (kmrv_json_get(root, "diff_schema_version"))
		return bad(c, root, "a kmrv diff result, not a kmrv check result");
	ver = kmrv_json_get(root, "schema_version");
	if (!ver)
		return bad(c, root, "not a kmrv check result: no \"schema_version\"");
	if (num_u64(c, ver, "schema_version", &v))
		return -1;
	if (v != KMRV_SCHEMA_VERSION) {
		snprintf(c->err, c->errlen, "%s: schema_version %llu, this kmrv reads %d"
			 " (written by another kmrv version)", c->name,
			 (unsigned long long)v, KMRV_SCHEMA_VERSION);
		return -1;
	}
	traces = rows(c, root, "traces");
	if (!traces)
		return -1;
	set->traces = alloc_rows(traces->nr, sizeof(*set->traces));
	if (!set->traces)
		return bad(c, traces, "out of memory");
	for (size_t i = 0; i < traces->nr; i++) {
		set->nr++;
		if (read_trace(c, &traces->items[i], &set->traces[i]))
			return -1;
	}
	return 0;
}

int kmrv_results_parse(const char *text, size_t len, const char *name,
		       struct kmrv_result_set *set, char *err, size_t errlen)
{
	struct ctx c = { .name = name, .err = err, .errlen = errlen, .verbose = true };
	struct kmrv_json *root;
	int ret;

	memset(set, 0, sizeof(*set));
	root = kmrv_json_parse(text, len, name, err, errlen);
	if (!root)
		return -1;
	ret = read_root(&c, root, set);
	kmrv_json_free(root);
	if (ret) {
		kmrv_result_set_release(set);
		return -1;
	}
	set->verbose = c.verbose;
	return 0;
}

/* The whole of @f, at most MAX_INPUT bytes. */
static char *slurp(FILE *f, const char *path, size_t *len, char *err, size_t errlen)
{
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap), *p;

	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n < cap)
			continue;
		if (cap >= MAX_INPUT) {
			snprintf(err, errlen, "%s: larger than %lu MiB, not a kmrv result",
				 path, MAX_INPUT >> 20);
			free(buf);
			return NULL;
		}
		cap *= 2;
		p = realloc(buf, cap);
		if (!p)
			free(buf);
		buf = p;
	}
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int kmrv_results_read(const char *path, struct kmrv_result_set *set,
		      char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	size_t len;
	char *text;
	int ret;

	memset(set, 0, sizeof(*set));
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	text = slurp(f, is_stdin ? "<stdin>" : path, &len, err, errlen);
	if (!is_stdin)
		fclose(f);
	if (!text)
		return -1;
	ret = kmrv_results_parse(text, len, is_stdin ? "<stdin>" : path, set, err, errlen);
	free(text);
	return ret;
}

void kmrv_result_set_release(struct kmrv_result_set *set)
{
	for (size_t i = 0; set->traces && i < set->nr; i++)
		kmrv_trace_result_release(&set->traces[i]);
	free(set->traces);
	memset(set, 0, sizeof(*set));
}
