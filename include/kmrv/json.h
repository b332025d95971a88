/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a small, strict, bounded JSON reader (RFC 8259) for reading
 * back kmrv's own results.
 *
 * The whole text becomes a tree of struct kmrv_json. Strict: no comments,
 * no trailing commas, no leading zeros, no NaN, no raw control characters
 * or invalid UTF-8 in strings, no duplicate keys, nothing after the value.
 * Bounded: nesting deeper than KMRV_JSON_MAX_DEPTH is an error (so
 * recursion depth is bounded whatever the input), and "\u0000" is refused
 * because strings are C strings. Every error is one line,
 * "NAME:LINE:COL: what", pointing at the offending character; nothing in
 * the input can make the parser read out of bounds or crash.
 *
 * Numbers keep their integer value when they are written as integers
 * (no fraction, no exponent); the accessors below say when one does not
 * fit a C integer, so a huge count is an error, never a wrapped value.
 */
#ifndef KMRV_JSON_H
#define KMRV_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KMRV_JSON_MAX_DEPTH	64

enum kmrv_json_type {
	KMRV_JSON_NULL,
	KMRV_JSON_BOOL,
	KMRV_JSON_NUMBER,
	KMRV_JSON_STRING,
	KMRV_JSON_ARRAY,
	KMRV_JSON_OBJECT,
};

struct kmrv_json {
	enum kmrv_json_type	type;
	int			line, col;	/* where the value starts, from 1 */
	bool			boolean;
	/* NUMBER: integer text (no '.', 'e') with |value| <= UINT64_MAX */
	bool			is_int;
	bool			negative;
	uint64_t		mag;		/* |value| when is_int */
	double			num;		/* every number, approximately */
	char			*str;		/* STRING: UTF-8, NUL-terminated */
	size_t			nr;		/* ARRAY, OBJECT: members */
	struct kmrv_json	*items;
	char			**keys;		/* OBJECT: keys[i] names items[i] */
};

/*
 * kmrv_json_parse - parse @len bytes of @text; @name prefixes errors.
 * Returns the root value (free with kmrv_json_free), or NULL with
 * "NAME:LINE:COL: what" in @err.
 */
struct kmrv_json *kmrv_json_parse(const char *text, size_t len, const char *name,
				  char *err, size_t errlen);

void kmrv_json_free(struct kmrv_json *v);

/* The member @key of object @obj, or NULL (also when @obj is no object). */
const struct kmrv_json *kmrv_json_get(const struct kmrv_json *obj, const char *key);

/* Non-negative integer that fits uint64_t: 0, else -1. */
int kmrv_json_u64(const struct kmrv_json *v, uint64_t *out);

/* Integer that fits int64_t: 0, else -1. */
int kmrv_json_i64(const struct kmrv_json *v, int64_t *out);

/* "string", "number", ... for messages. */
const char *kmrv_json_type_name(enum kmrv_json_type type);

#endif /* KMRV_JSON_H */
