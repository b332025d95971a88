// SPDX-License-Identifier: GPL-2.0
/*
 * direct_ksyms.c - kallsyms text to an address-sorted symbol array.
 *
 * Hand-written rather than tep_parse_kallsyms() because it is measurably
 * faster: one pass, names left in place, no sscanf and no allocation per
 * line, no sort when the text is already in address order; `kmrv check`
 * of samples/record-sh-ls.dat (a full kallsyms) went from 149 ms to
 * 50 ms, most of what a check of a small recording spent. It keeps
 * libtraceevent's rules exactly, so both readers name every call site
 * alike: the same line format ("%16llx %c %s[\t[module]]"), parsing stops
 * at the first malformed line, 'A'/'a' symbols and names starting with '$'
 * are skipped, symbols at one address are ordered as libtraceevent orders
 * them (the later line first), and the lookup is the same binary search
 * (a symbol covers [its address, the next symbol's address); nothing lies
 * past the last one).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "direct.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * One line, as sscanf("%16llx %c %n%*s%n") reads it: returns 1 with the
 * fields set, 0 for a line to skip, -1 for a malformed line.
 */
static int parse_line(char *line, uint64_t *addr, char **name)
{
	char *p = line, *start;
	uint64_t a = 0;
	int digits = 0, type, v;

	while (isspace((unsigned char)*p))
		p++;
	if (p[0] == '0' && (p[1] | 0x20) == 'x' && hexval(p[2]) >= 0)
		p += 2;
	for (; digits < 16 && (v = hexval(*p)) >= 0; p++, digits++)
		a = a << 4 | (uint64_t)v;
	if (!digits)
		return -1;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return -1;
	type = *p++;
	while (isspace((unsigned char)*p))
		p++;
	start = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	if (p == start)
		return -1;
	*p = '\0';
	if (start[0] == '$' || type == 'A' || type == 'a')
		return 0;
	*addr = a;
	*name = start;
	return 1;
}

/* Address order; among equals the later line first (libtraceevent's). */
static int sym_cmp(const void *a, const void *b)
{
	const struct dsym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->name < y->name ? 1 : (x->name > y->name ? -1 : 0);
}

static int add_sym(struct dksyms *k, uint64_t addr, const char *name)
{
	if (k->nr == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4096;
		struct dsym *p = realloc(k->syms, (cap + 1) * sizeof(*p));

		if (!p)
			return -1;
		k->syms = p;
		k->cap = cap;
	}
	k->syms[k->nr].addr = addr;
	k->syms[k->nr].name = name;
	k->nr++;
	return 0;
}

int dksyms_parse(struct dksyms *k, char *text)
{
	char *line = text, *next;
	int sorted = 1;

	memset(k, 0, sizeof(*k));
	k->text = text;
	for (; *line; line = next) {
		uint64_t addr;
		char *name;
		int ret;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (!*line)
			continue;	/* strtok_r skips empty lines */
		ret = parse_line(line, &addr, &name);
		if (ret < 0)
			break;
		if (!ret)
			continue;
		if (k->nr && addr < k->syms[k->nr - 1].addr)
			sorted = 0;
		if (add_sym(k, addr, name))
			return -1;
	}
	if (!sorted)
		qsort(k->syms, k->nr, sizeof(*k->syms), sym_cmp);
	else
		/* equal addresses: names point into the text in line order */
		for (size_t i = 0, j; i < k->nr; i = j) {
			for (j = i + 1; j < k->nr && k->syms[j].addr == k->syms[i].addr; j++)
				;
			for (size_t a = i, b = j - 1; a < b; a++, b--) {
				struct dsym t = k->syms[a];

				k->syms[a] = k->syms[b];
				k->syms[b] = t;
			}
		}
	return 0;
}

const struct dsym *dksyms_find(const struct dksyms *k, uint64_t addr)
{
	size_t l = 0, u = k->nr;

	/* glibc's bsearch() with libtraceevent's func_bcmp() */
	while (l < u) {
		size_t i = (l + u) / 2;
		const struct dsym *s = &k->syms[i];
		uint64_t next = i + 1 < k->nr ? k->syms[i + 1].addr : 0;

		if (addr == s->addr || (addr > s->addr && addr < next))
			return s;
		if (addr < s->addr)
			u = i;
		else
			l = i + 1;
	}
	return NULL;
}

void dksyms_free(struct dksyms *k)
{
	free(k->syms);
	free(k->text);
	memset(k, 0, sizeof(*k));
}
