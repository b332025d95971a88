/* SPDX-License-Identifier: GPL-2.0 */
/*
 * format_check.h - is an event format text one a kernel writes? (src/trace)
 *
 * Every reader hands event formats from the file to libtraceevent's
 * tep_parse_event() (libtracecmd does it itself, the others call it), and
 * libtraceevent 1.7 trusts the text: a byte its tokenizer does not know
 * (a control character, anything above 0x7e) or the end of the text
 * inside a field's brackets gives a NULL token that event_read_fields()
 * passes to strcmp(), and its print-format parser dereferences NULL on an
 * unclosed string or parenthesis. So a format is checked against the
 * layout the kernel prints (kernel/trace/trace_events.c, f_show()) first:
 *
 *	name: NAME
 *	ID: N
 *	format:
 *	\tfield:TYPE NAME[ARRAY];\toffset:N;\tsize:N;\tsigned:N;
 *	... (common fields), an empty line, the event's fields, an empty line
 *	print fmt: "FORMAT", ARGS
 *
 * in printable ASCII, offsets and sizes below 64 KiB (a record fits a
 * ring-buffer page), "signed:" optional as older kernels left it out.
 */
#ifndef KMRV_FORMAT_CHECK_H
#define KMRV_FORMAT_CHECK_H

#include <stddef.h>

/*
 * format_fields_len - the length of @text up to its "print fmt:" line (all
 * of @len if it has none). kmrv looks fields up by name and prints no
 * event text, so its own readers give libtraceevent only this part.
 */
size_t format_fields_len(const char *text, size_t len);

/*
 * format_check_fields - check the name, ID and field lines of @text, which
 * ends where format_fields_len() says. Returns NULL if they are as a
 * kernel writes them, else what is wrong, with its line (1 = "name:") in
 * *@line.
 */
const char *format_check_fields(const char *text, size_t len, unsigned int *line);

/*
 * format_check - format_check_fields() on the fields part of the whole
 * format @text, then its print fmt line: a quoted format, closed strings
 * and balanced parentheses in the arguments, one line. For what
 * libtracecmd parses whole. Returns NULL or what is wrong, as above.
 */
const char *format_check(const char *text, size_t len, unsigned int *line);

/* The NAME of @text's "name: NAME" line into @buf, "?" if it has none. */
void format_name(const char *text, size_t len, char *buf, size_t size);

#endif /* KMRV_FORMAT_CHECK_H */
