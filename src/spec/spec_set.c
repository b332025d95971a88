// SPDX-License-Identifier: GPL-2.0
/*
 * spec_set.c - the spec search path and what --spec selects.
 *
 * Every *.spec file on the path is parsed (they are a few hundred bytes
 * each): aliases live inside the files, so there is no cheaper way to
 * resolve "1". A file that does not parse is only an error if it is
 * selected; until then it is known by its file name, so that it still
 * hides a spec of that name further down the path.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spec_priv.h"

#ifndef KMRV_SPEC_DIR
#define KMRV_SPEC_DIR	"/usr/local/share/kmrv/specs"
#endif

#define SUFFIX		".spec"
#define SUFFIX_LEN	(sizeof(SUFFIX) - 1)

struct entry {
	char			*name;	/* spec name, or file stem if broken */
	struct kmrv_spec	*spec;	/* NULL if the file did not parse */
	char			*err;	/* why not */
	bool			taken;	/* spec now belongs to a set */
};

struct catalog {
	int		nr;
	int		cap;
	struct entry	*e;
};

static void catalog_release(struct catalog *c)
{
	for (int i = 0; i < c->nr; i++) {
		free(c->e[i].name);
		free(c->e[i].err);
		if (!c->e[i].taken)
			kmrv_spec_free(c->e[i].spec);
	}
	free(c->e);
}

static struct entry *catalog_find(struct catalog *c, const char *name)
{
	for (int i = 0; i < c->nr; i++)
		if (!strcmp(c->e[i].name, name))
			return &c->e[i];
	return NULL;
}

static bool has_suffix(const char *s)
{
	size_t n = strlen(s);

	return n > SUFFIX_LEN && !strcmp(s + n - SUFFIX_LEN, SUFFIX);
}

/* Parse one file into the catalog, unless its name is already taken. */
static int catalog_add(struct catalog *c, const char *dir, const char *file)
{
	char err[512], *path, *stem;
	struct kmrv_spec *spec;
	struct entry *e;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -1;
	stem = strndup(file, strlen(file) - SUFFIX_LEN);
	spec = kmrv_spec_load(path, err, sizeof(err));
	free(path);
	if (!stem)
		goto nomem;
	if (catalog_find(c, spec ? spec->name : stem))
		goto hidden;
	if (c->nr == c->cap) {
		int cap = c->cap ? 2 * c->cap : 16;
		struct entry *v = realloc(c->e, cap * sizeof(*v));

		if (!v)
			goto nomem;
		c->e = v;
		c->cap = cap;
	}
	e = &c->e[c->nr];
	*e = (struct entry){ .spec = spec };
	e->name = spec ? strdup(spec->name) : stem;
	e->err = spec ? NULL : strdup(err);
	if (!e->name || (!spec && !e->err)) {
		free(e->err);
		goto nomem;
	}
	if (spec)
		free(stem);
	c->nr++;
	return 0;
hidden:
	free(stem);
	kmrv_spec_free(spec);
	return 0;
nomem:
	free(stem);
	kmrv_spec_free(spec);
	return -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Add a directory's *.spec files in name order, so that which of two
 * files naming the same spec wins does not depend on readdir. A missing
 * directory is not an error: ./specs usually is not there.
 */
static int catalog_scan(struct catalog *c, const char *dir)
{
	char **files = NULL;
	int nr = 0, cap = 0, ret = -1;
	struct dirent *d;
	DIR *dp;

	if (!*dir)
		return 0;
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.' || !has_suffix(d->d_name))
			continue;
		if (nr == cap) {
			char **v;

			cap = cap ? 2 * cap : 16;
			v = realloc(files, cap * sizeof(*v));
			if (!v)
				goto out;
			files = v;
		}
		files[nr] = strdup(d->d_name);
		if (!files[nr])
			goto out;
		nr++;
	}
	if (nr > 1)
		qsort(files, nr, sizeof(*files), cmp_str);
	ret = 0;
	for (int i = 0; i < nr && !ret; i++) {
		char *path;
		struct stat st;

		if (asprintf(&path, "%s/%s", dir, files[i]) < 0) {
			ret = -1;
			break;
		}
		/* Directories and dangling links are not specs. */
		if (!stat(path, &st) && S_ISREG(st.st_mode))
			ret = catalog_add(c, dir, files[i]);
		free(path);
	}
out:
	for (int i = 0; i < nr; i++)
		free(files[i]);
	free(files);
	closedir(dp);
	return ret;
}

/* ./specs, then $KMRV_SPEC_PATH, then the installed directory. */
static int catalog_build(struct catalog *c, char *err, size_t errlen)
{
	const char *env = getenv("KMRV_SPEC_PATH");
	char *dirs = NULL, *save = NULL;

	*c = (struct catalog){ 0 };
	if (catalog_scan(c, "specs"))
		goto nomem;
	if (env) {
		dirs = strdup(env);
		if (!dirs)
			goto nomem;
		for (char *d = strtok_r(dirs, ":", &save); d;
		     d = strtok_r(NULL, ":", &save))
			if (catalog_scan(c, d))
				goto nomem;
		free(dirs);
		dirs = NULL;
	}
	if (catalog_scan(c, KMRV_SPEC_DIR))
		goto nomem;
	return 0;
nomem:
	free(dirs);
	catalog_release(c);
	snprintf(err, errlen, "out of memory reading the spec search path");
	return -1;
}

/* --- sets ------------------------------------------------------------- */

void kmrv_spec_set_release(struct kmrv_spec_set *set)
{
	if (!set)
		return;
	for (int i = 0; i < set->nr; i++)
		kmrv_spec_free(set->specs[i]);
	free(set->specs);
	set->nr = 0;
	set->specs = NULL;
}

static bool same_file(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (!a || !b)
		return false;
	if (!realpath(a, ra) || !realpath(b, rb))
		return !strcmp(a, b);
	return !strcmp(ra, rb);
}

/*
 * Add @spec (owned by the set from now on, or freed). The same file
 * selected twice counts once; two different files of one name would make
 * a report that cannot say which is which.
 */
static int set_add(struct kmrv_spec_set *set, struct kmrv_spec *spec,
		   char *err, size_t errlen)
{
	struct kmrv_spec **v;

	for (int i = 0; i < set->nr; i++) {
		struct kmrv_spec *s = set->specs[i];

		if (s == spec)
			return 0;
		if (strcmp(s->name, spec->name))
			continue;
		if (same_file(s->path, spec->path)) {
			kmrv_spec_free(spec);
			return 0;
		}
		snprintf(err, errlen,
			 "spec '%s' selected twice, from different files (%s and %s)",
			 spec->name, s->path, spec->path);
		kmrv_spec_free(spec);
		return -1;
	}
	v = realloc(set->specs, (set->nr + 1) * sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "out of memory");
		kmrv_spec_free(spec);
		return -1;
	}
	set->specs = v;
	set->specs[set->nr++] = spec;
	return 0;
}

/* Hand a catalog entry's spec to the set (once: the set owns it). */
static int set_take(struct kmrv_spec_set *set, struct entry *e, char *err,
		    size_t errlen)
{
	if (!e->spec) {
		snprintf(err, errlen, "%s", e->err);
		return -1;
	}
	if (e->taken)
		return 0;
	e->taken = true;
	return set_add(set, e->spec, err, errlen);
}

static bool is_number(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Numeric aliases ascending, then other aliases, then none; then name. */
static int cmp_entry(const void *a, const void *b)
{
	const struct kmrv_spec *x = ((const struct entry *)a)->spec;
	const struct kmrv_spec *y = ((const struct entry *)b)->spec;
	const char *xa = x->alias, *ya = y->alias;
	int rx = !xa ? 2 : !is_number(xa), ry = !ya ? 2 : !is_number(ya);
	int c;

	if (rx != ry)
		return rx - ry;
	if (rx == 0) {
		size_t lx = strspn(xa, "0"), ly = strspn(ya, "0");

		/* Compare numbers of any length: drop zeros, then by length. */
		xa += lx;
		ya += ly;
		if (strlen(xa) != strlen(ya))
			return strlen(xa) < strlen(ya) ? -1 : 1;
	}
	if (rx != 2) {
		c = strcmp(xa, ya);
		if (c)
			return c;
	}
	return strcmp(x->name, y->name);
}

/* All of the catalog, sorted; any spec that did not parse is an error. */
static int take_all(struct catalog *c, struct kmrv_spec_set *set, char *err,
		    size_t errlen)
{
	for (int i = 0; i < c->nr; i++) {
		if (!c->e[i].spec) {
			snprintf(err, errlen, "%s", c->e[i].err);
			return -1;
		}
	}
	if (c->nr > 1)
		qsort(c->e, c->nr, sizeof(c->e[0]), cmp_entry);
	for (int i = 0; i < c->nr; i++)
		if (set_take(set, &c->e[i], err, errlen))
			return -1;
	return 0;
}

int kmrv_spec_all(struct kmrv_spec_set *set, char *err, size_t errlen)
{
	struct catalog c;
	int ret;

	*set = (struct kmrv_spec_set){ 0 };
	if (catalog_build(&c, err, errlen))
		return -1;
	ret = take_all(&c, set, err, errlen);
	catalog_release(&c);
	if (ret)
		kmrv_spec_set_release(set);
	return ret;
}

static struct entry *catalog_find_alias(struct catalog *c, const char *alias)
{
	for (int i = 0; i < c->nr; i++)
		if (c->e[i].spec && c->e[i].spec->alias &&
		    !strcmp(c->e[i].spec->alias, alias))
			return &c->e[i];
	return NULL;
}

static bool is_path(const char *s)
{
	return strchr(s, '/') || has_suffix(s) || !strcmp(s, SUFFIX);
}

static int select_one(struct catalog *c, const char *item,
		      struct kmrv_spec_set *set, char *err, size_t errlen)
{
	struct kmrv_spec *spec;
	struct entry *e;

	if (!strcmp(item, "all")) {
		if (!c->nr) {
			snprintf(err, errlen,
				 "no specs found in ./specs, $KMRV_SPEC_PATH or %s",
				 KMRV_SPEC_DIR);
			return -1;
		}
		return take_all(c, set, err, errlen);
	}
	if (is_path(item)) {
		spec = kmrv_spec_load(item, err, errlen);
		if (!spec)
			return -1;
		return set_add(set, spec, err, errlen);
	}
	e = catalog_find(c, item);
	if (!e)
		e = catalog_find_alias(c, item);
	if (!e) {
		snprintf(err, errlen,
			 "unknown spec '%s' (run 'kmrv specs' to list them)",
			 item);
		return -1;
	}
	return set_take(set, e, err, errlen);
}

/* Split @arg at commas; blanks around an item are dropped. */
static int select_list(struct catalog *c, const char *arg,
		       struct kmrv_spec_set *set, char *err, size_t errlen)
{
	char *copy = strdup(arg), *item = copy;
	int ret = 0;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (item && !ret) {
		char *comma = strchr(item, ',');
		char *end;

		if (comma)
			*comma = '\0';
		item += strspn(item, " \t");
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*item) {
			snprintf(err, errlen, "empty spec name in '%s'", arg);
			ret = -1;
			break;
		}
		ret = select_one(c, item, set, err, errlen);
		item = comma ? comma + 1 : NULL;
	}
	free(copy);
	return ret;
}

int kmrv_spec_select(const char *arg, struct kmrv_spec_set *set,
		     char *err, size_t errlen)
{
	struct catalog c;
	int ret;

	*set = (struct kmrv_spec_set){ 0 };
	if (!arg) {
		snprintf(err, errlen, "no spec given");
		return -1;
	}
	if (catalog_build(&c, err, errlen))
		return -1;
	ret = select_list(&c, arg, set, err, errlen);
	catalog_release(&c);
	if (ret)
		kmrv_spec_set_release(set);
	return ret;
}
