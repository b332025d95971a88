// SPDX-License-Identifier: GPL-2.0
/*
 * format_check.c - the layout check of event format texts (format_check.h).
 *
 * A walk line by line: every byte of the fields part is matched by the
 * grammar, so nothing libtraceevent's tokenizer could read as the end of
 * its input (TEP_EVENT_NONE, a NULL token) gets through.
 */
#include <stdio.h>
#include <string.h>

#include "format_check.h"

#define MAX_FIELD	0xffffUL	/* offsets and sizes: a record fits a page */
#define MAX_ID		0x7fffffffUL	/* libtraceevent keeps the ID in an int */

/* The line being checked, and where the next one starts. */
struct fcur {
	const char	*p;		/* the next byte of the line */
	const char	*eol;		/* its '\n' */
	const char	*next;
	const char	*end;		/* of the text */
	unsigned int	line;
};

static int next_line(struct fcur *c)
{
	const char *nl;

	c->line++;
	if (c->next >= c->end)
		return -1;
	nl = memchr(c->next, '\n', c->end - c->next);
	if (!nl)
		return -1;
	c->p = c->next;
	c->eol = nl;
	c->next = nl + 1;
	return 0;
}

static int lit(struct fcur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->eol - c->p) < n || memcmp(c->p, s, n))
		return -1;
	c->p += n;
	return 0;
}

static int is_ident(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int ident(struct fcur *c)
{
	const char *s = c->p;

	while (c->p < c->eol && is_ident(*c->p))
		c->p++;
	return c->p == s ? -1 : 0;
}

/* A decimal number no larger than @max. */
static int number(struct fcur *c, unsigned long max, unsigned long *v)
{
	const char *s = c->p;
	unsigned long n = 0;

	while (c->p < c->eol && is_digit(*c->p)) {
		n = n * 10 + (unsigned long)(*c->p - '0');
		if (n > max)
			return -1;
		c->p++;
	}
	if (c->p == s)
		return -1;
	if (v)
		*v = n;
	return 0;
}

/* The NAME of a declaration "TYPE NAME[ARRAY]" that ends at @semi. */
static const char *decl_name(const char *s, const char *semi, size_t *len)
{
	const char *end = semi, *name;

	if (end > s && end[-1] == ']')
		while (end > s && *--end != '[')
			;
	for (name = end; name > s && is_ident(name[-1]); name--)
		;
	*len = (size_t)(end - name);
	return name;
}

/* Whether the checked fields part @text declares a field @name. */
static int has_field(const char *text, size_t len, const char *name, size_t n)
{
	const char *line = text, *end = text + len, *nl, *semi, *decl;
	size_t dlen;

	for (; line < end && (nl = memchr(line, '\n', end - line)); line = nl + 1) {
		if (nl - line < 7 || memcmp(line, "\tfield:", 7))
			continue;
		semi = memchr(line, ';', nl - line);
		if (!semi)
			continue;
		decl = decl_name(line + 7, semi, &dlen);
		if (dlen == n && !memcmp(decl, name, n))
			return 1;
	}
	return 0;
}

/*
 * TYPE NAME[ARRAY] up to the ';'. TYPE may hold brackets ("__data_loc
 * char[]") and parentheses ("__attribute__((user))"), ARRAY whatever the
 * kernel stringified ("sizeof(struct in6_addr)"); libtraceevent reads a
 * '[' up to its ']' and quotes up to their close, so brackets close on
 * the line and no quote or backslash appears.
 */
static const char *field_decl(struct fcur *c)
{
	const char *s = c->p, *semi, *name;
	int depth = 0, bracket = 0;
	size_t len;

	semi = memchr(s, ';', c->eol - s);
	if (!semi)
		return "no ';' after the field's name";
	for (const char *q = s; q < semi; q++) {
		if (*q < 0x20 || *q > 0x7e || *q == '"' || *q == '\'' || *q == '\\')
			return "a byte no kernel writes in a field";
		if (*q == '[' && bracket++)
			return "nested brackets in a field";
		if (*q == ']' && --bracket < 0)
			return "']' without '[' in a field";
		if (*q == '(')
			depth++;
		if (*q == ')' && --depth < 0)
			return "')' without '(' in a field";
	}
	if (bracket || depth)
		return "unclosed bracket or parenthesis in a field";
	name = decl_name(s, semi, &len);
	if (!len || is_digit(*name))
		return "no field name";
	if (name - s < 2 || name[-1] != ' ' || strspn(s, " ") >= (size_t)(name - s))
		return "no type before the field's name";
	c->p = semi + 1;
	return NULL;
}

/* \tfield:DECL;\toffset:N;\tsize:N;[\tsigned:N;] */
static const char *field_line(struct fcur *c)
{
	unsigned long off, size;
	const char *why;

	if (lit(c, "\tfield:"))
		return "not a field line";
	why = field_decl(c);
	if (why)
		return why;
	if (lit(c, "\toffset:") || number(c, MAX_FIELD, &off) || lit(c, ";") ||
	    lit(c, "\tsize:") || number(c, MAX_FIELD, &size) || lit(c, ";"))
		return "bad offset or size";
	if (off + size > MAX_FIELD + 1)
		return "field past 64 KiB";
	if (c->p < c->eol &&
	    (lit(c, "\tsigned:") || number(c, 1, NULL) || lit(c, ";")))
		return "bad signed";
	return c->p == c->eol ? NULL : "text after the field";
}

static const char *check_fields(struct fcur *c)
{
	const char *why;

	if (next_line(c) || lit(c, "name: ") || ident(c) || c->p != c->eol)
		return "not 'name: NAME'";
	if (next_line(c) || lit(c, "ID: ") || number(c, MAX_ID, NULL) || c->p != c->eol)
		return "not 'ID: N'";
	if (next_line(c) || lit(c, "format:") || c->p != c->eol)
		return "not 'format:'";
	/* the common fields, an empty line, the event's, an empty line */
	for (int part = 0; part < 2; part++) {
		for (int n = 0;; n++) {
			if (next_line(c))
				return "cut short";
			if (c->p == c->eol) {
				if (!part && !n)
					return "no common fields";
				break;
			}
			why = field_line(c);
			if (why)
				return why;
		}
	}
	if (c->next != c->end) {
		c->line++;
		return "text after the fields";
	}
	return NULL;
}

const char *format_check_fields(const char *text, size_t len, unsigned int *line)
{
	struct fcur c = { .next = text, .end = text + len };
	const char *why = check_fields(&c);

	*line = c.line;
	return why;
}

static int is_text(char ch)
{
	return (ch >= 0x20 && ch <= 0x7e) || ch == '\t' || ch == '\n';
}

/* Inside a string libtraceevent takes any byte up to the closing quote. */
static int is_string_text(char ch)
{
	return is_text(ch) || (unsigned char)ch >= 0x80;
}

/*
 * REC->NAME (or (REC)->NAME) at @s: NAME must be a field of the format,
 * as the kernel's __entry->NAME is. libtraceevent's process_entry() sets
 * a flag in whatever field it looked up for __print_flags() and
 * __print_symbolic() (event-parse.c:2547), NULL for a name it lacks.
 * Returns 0, or -1 if the field is missing.
 */
static int rec_field(const char *s, const char *end, const char *fields,
		      size_t flen)
{
	const char *p, *name;

	if (end - s < 3 || memcmp(s, "REC", 3))
		return 0;
	p = s + 3;
	if (p < end && is_ident(*p))
		return 0;
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == ')')
		for (p++; p < end && *p == ' '; p++)
			;
	if (end - p < 2 || memcmp(p, "->", 2))
		return 0;
	for (p += 2; p < end && *p == ' '; p++)
		;
	for (name = p; p < end && is_ident(*p); p++)
		;
	if (p == name || !has_field(fields, flen, name, (size_t)(p - name)))
		return -1;
	return 0;
}

/*
 * print fmt: "FORMAT", ARGS: libtraceevent's print-format parser follows
 * strings, character constants and parentheses to their close and does
 * not survive a missing one, nor a field it cannot find (rec_field()).
 * Tabs and newlines are text here: a kernel writes them raw when
 * TP_printk() has them (ext4_fc_stats); so are UTF-8 bytes in strings.
 */
static const char *check_print(const char *fields, size_t flen,
			       const char *s, size_t n)
{
	static const char head[] = "print fmt: \"";
	int depth = 0;
	char quote = '"';

	while (n && !s[n - 1])
		n--;
	if (n && s[n - 1] == '\n')
		n--;
	if (n < sizeof(head) - 1 || memcmp(s, head, sizeof(head) - 1))
		return "not 'print fmt: \"'";
	for (size_t i = sizeof(head) - 1; i < n; i++) {
		char ch = s[i];

		if (quote ? !is_string_text(ch) : !is_text(ch))
			return "a byte no kernel writes in the print fmt";
		if (quote) {
			if (ch == '\\' && i + 1 < n && is_string_text(s[i + 1]))
				i++;
			else if (ch == quote)
				quote = 0;
		} else if (ch == '"' || ch == '\'') {
			quote = ch;
		} else if (ch == 'R' && !is_ident(s[i - 1]) &&
			   rec_field(s + i, s + n, fields, flen)) {
			return "the print fmt names a field the format lacks";
		} else if (ch == '(') {
			depth++;
		} else if (ch == ')' && --depth < 0) {
			return "')' without '(' in the print fmt";
		}
	}
	if (quote)
		return "unclosed string in the print fmt";
	return depth ? "unclosed '(' in the print fmt" : NULL;
}

const char *format_check(const char *text, size_t len, unsigned int *line)
{
	size_t flen = format_fields_len(text, len);
	const char *why = format_check_fields(text, flen, line);

	if (why)
		return why;
	(*line)++;
	if (flen == len)
		return "no print fmt";
	return check_print(text, flen, text + flen, len - flen);
}

size_t format_fields_len(const char *text, size_t len)
{
	static const char key[] = "\nprint fmt:";

	for (size_t i = 0; i + sizeof(key) - 1 <= len; i++)
		if (text[i] == '\n' && !memcmp(text + i, key, sizeof(key) - 1))
			return i + 1;
	return len;
}

void format_name(const char *text, size_t len, char *buf, size_t size)
{
	size_t n = 0;

	if (len > 6 && !memcmp(text, "name: ", 6))
		while (6 + n < len && n + 1 < size && is_ident(text[6 + n]))
			n++;
	if (!n) {
		snprintf(buf, size, "?");
		return;
	}
	memcpy(buf, text + 6, n);
	buf[n] = '\0';
}
