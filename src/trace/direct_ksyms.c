// SPDX-License-Identifier: GPL-2.0
/*
 * direct_ksyms.c - kallsyms text to an address-sorted symbol array.
 *
 * Hand-written rather than tep_parse_kallsyms() because it is measurably
 * faster: one pass over the text where it lies (the file's mapping, or
 * the inflated v7 section), no copy, no sscanf and no allocation per line,
 * one array that never moves, no sort when the text is already in address
 * order. `kmrv check` of samples/record-sh-ls.dat (a full kallsyms, 122k
 * symbols) took 149 ms with tep_parse_kallsyms(), 58 ms when this parser
 * cut names in a malloc'd copy of the text, and 30 ms since it leaves the
 * text where it is (a copy of 5 MB cost more in first-touch page faults
 * than the parse).
 *
 * It keeps libtraceevent's rules exactly, so both readers name every call
 * site alike (tests/fixtures/ksyms-*.txt hold every case): the text ends
 * at its first NUL byte; lines are sscanf'd "%16llx %c %s", where a sign
 * and a 0x prefix count in the width of 16, and a "\t[module]" after the
 * name is ignored; parsing stops at the first malformed line; 'A'/'a'
 * symbols and names starting with '$' are skipped; symbols at one
 * address are ordered as libtraceevent orders them (the later line
 * first); and the lookup is the same binary search (a symbol covers [its
 * address, the next symbol's address); nothing lies past the last one).
 */
#include <stdlib.h>
#include <string.h>

#include "direct.h"
#include "kmrv/bigmem.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * isspace() in the C locale (kmrv never sets another) but for '\n': lines
 * are not cut out of the text, so skipping blanks must stop at their end.
 */
static inline int is_blank(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r' && c != '\n');
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

/*
 * One line from @p, as sscanf("%16llx %c %n%*s%n") reads it once the text
 * is cut at its newlines: returns 1 with the fields set, 0 for a line to
 * skip, -1 for a malformed line. *@stop is where reading stopped, on the
 * line or at its newline.
 */
static int parse_line(const char *p, const char *end, uint64_t *addr,
		      const char **name, size_t *len, const char **stop)
{
	const char *start;
	uint64_t a = 0;
	int width = 16, digits = 0, neg = 0, type, v;

	/* %16llx: a sign and a 0x prefix count in the width of 16 */
	*stop = p = skip_blanks(p, end);
	if (p < end && (*p == '+' || *p == '-')) {
		neg = *p++ == '-';
		width--;
	}
	if (width >= 3 && end - p > 2 && p[0] == '0' && (p[1] | 0x20) == 'x' &&
	    hexval(p[2]) >= 0) {
		p += 2;
		width -= 2;
	}
	for (; p < end && digits < width && (v = hexval(*p)) >= 0; p++, digits++)
		a = a << 4 | (uint64_t)v;
	if (neg)
		a = -a;
	*stop = p = skip_blanks(p, end);
	if (!digits || p == end || *p == '\n')
		return -1;
	type = *p++;
	start = p = skip_blanks(p, end);
	while (p < end && !is_blank(*p) && *p != '\n')
		p++;
	*stop = p;
	if (p == start)
		return -1;
	if (start[0] == '$' || type == 'A' || type == 'a')
		return 0;
	*addr = a;
	*name = start;
	*len = (size_t)(p - start);
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

/* Equal addresses of a sorted text: the later line first. */
static void reverse_ties(struct dksyms *k)
{
	for (size_t i = 0, j; i < k->nr; i = j) {
		for (j = i + 1; j < k->nr && k->syms[j].addr == k->syms[i].addr; j++)
			;
		for (size_t a = i, b = j - 1; a < b; a++, b--) {
			struct dsym t = k->syms[a];

			k->syms[a] = k->syms[b];
			k->syms[b] = t;
		}
	}
}

int dksyms_parse(struct dksyms *k, const char *text, size_t len, char *owned)
{
	const char *line, *end, *next;
	size_t cap;
	int sorted = 1;

	memset(k, 0, sizeof(*k));
	k->text = text;
	k->owned = owned;
	/* names are found by 32-bit offsets; no kallsyms comes near 4 GiB */
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	end = memchr(text, '\0', len);
	if (!end)
		end = text + len;
	/*
	 * One allocation that never moves (the pages past the last symbol are
	 * never touched): a symbol line takes at least 4 bytes, "0tx\n" (a
	 * digit, the type, a name, the newline; sscanf needs no blank between
	 * them), so n symbols need 4n - 1 bytes and len / 4 + 1 slots hold
	 * them all.
	 */
	cap = (size_t)(end - text) / 4 + 1;
	k->syms = kmrv_big_malloc(cap * sizeof(*k->syms));
	if (!k->syms)
		return -1;
	for (line = text; line < end; line = next) {
		const char *name, *stop, *eol;
		uint64_t addr;
		size_t nlen;
		int ret;

		if (*line == '\n') {
			next = line + 1;	/* strtok_r skips empty lines */
			continue;
		}
		ret = parse_line(line, end, &addr, &name, &nlen, &stop);
		if (ret < 0)
			break;
		eol = memchr(stop, '\n', (size_t)(end - stop));
		next = eol ? eol + 1 : end;
		if (!ret)
			continue;
		if (k->nr && addr < k->syms[k->nr - 1].addr)
			sorted = 0;
		k->syms[k->nr].addr = addr;
		k->syms[k->nr].name = (uint32_t)(name - text);
		k->syms[k->nr].len = (uint32_t)nlen;
		k->nr++;
	}
	if (!sorted)
		qsort(k->syms, k->nr, sizeof(*k->syms), sym_cmp);
	else
		reverse_ties(k);
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
	free(k->owned);
	memset(k, 0, sizeof(*k));
}
