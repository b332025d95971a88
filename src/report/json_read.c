// SPDX-License-Identifier: GPL-2.0
/*
 * json_read.c - strict, bounded JSON parser (contract in kmrv/json.h).
 *
 * Recursive descent over a length-delimited buffer: every read checks
 * the position against the end first, so the input need not be
 * NUL-terminated and a truncated text is an error, not an overread.
 * Recursion is bounded by KMRV_JSON_MAX_DEPTH. Strings are decoded in two
 * passes (find the closing quote, then decode into a buffer of that
 * size), so a string never needs more memory than its own text.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/json.h"
#include "report_priv.h"

struct parser {
	const char	*s;
	size_t		len, pos;
	int		line;
	size_t		line_start;
	const char	*name;
	char		*err;
	size_t		errlen;
	bool		failed;
};

static void fail_at(struct parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_at(struct parser *p, size_t pos, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%d:%zu: %s", p->name, p->line,
		 pos - p->line_start + 1, what);
}

static int peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

/* "end of input" or "'x'" for messages about the character at pos. */
static const char *what_here(const struct parser *p, char *buf, size_t len)
{
	int c = peek(p);

	if (c < 0)
		return "end of input";
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", c);
	return buf;
}

static void fail_unexpected(struct parser *p, const char *expected)
{
	char buf[16];

	fail_at(p, p->pos, "expected %s, found %s", expected,
		what_here(p, buf, sizeof(buf)));
}

static void skip_ws(struct parser *p)
{
	for (; p->pos < p->len; p->pos++) {
		char c = p->s[p->pos];

		if (c == '\n') {
			p->line++;
			p->line_start = p->pos + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
	}
}

static int hex4(struct parser *p, size_t at, unsigned int *out)
{
	unsigned int v = 0;

	if (p->len - at < 4) {
		fail_at(p, at, "truncated \\u escape");
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		char c = p->s[at + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else {
			fail_at(p, at + i, "bad hex digit in \\u escape");
			return -1;
		}
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | (cp >> 18);
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* Decode one \u escape (and its low surrogate) at p->pos (the 'u'). */
static int unicode_escape(struct parser *p, char *out, size_t *o)
{
	size_t at = p->pos - 1;	/* the backslash */
	unsigned int cp, lo;

	if (hex4(p, p->pos + 1, &cp))
		return -1;
	p->pos += 5;
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		fail_at(p, at, "lone low surrogate in \\u escape");
		return -1;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
			fail_at(p, at, "high surrogate not followed by a low one");
			return -1;
		}
		if (hex4(p, p->pos + 2, &lo))
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff) {
			fail_at(p, at, "high surrogate not followed by a low one");
			return -1;
		}
		p->pos += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0) {
		fail_at(p, at, "\\u0000 is not supported in strings");
		return -1;
	}
	*o += put_utf8(out + *o, cp);
	return 0;
}

static int simple_escape(char c)
{
	switch (c) {
	case '"': return '"';
	case '\\': return '\\';
	case '/': return '/';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	default: return -1;
	}
}

/* Find the closing quote of the string opening at p->pos; 0 if none. */
static size_t string_end(const struct parser *p)
{
	for (size_t i = p->pos + 1; i < p->len; i++) {
		if (p->s[i] == '\\')
			i++;
		else if (p->s[i] == '"')
			return i;
	}
	return 0;
}

static int decode_string(struct parser *p, size_t end, char *out)
{
	size_t o = 0;

	while (p->pos < end) {
		unsigned char c = p->s[p->pos];
		size_t n;
		int e;

		if (c == '\\') {
			p->pos++;
			if (p->s[p->pos] == 'u') {
				if (unicode_escape(p, out, &o))
					return -1;
				continue;
			}
			e = simple_escape(p->s[p->pos]);
			if (e < 0) {
				fail_at(p, p->pos - 1, "bad escape '\\%c'", p->s[p->pos]);
				return -1;
			}
			out[o++] = e;
			p->pos++;
		} else if (c < 0x20) {
			fail_at(p, p->pos, "control character 0x%02x in string", c);
			return -1;
		} else if (c < 0x80) {
			out[o++] = c;
			p->pos++;
		} else if ((n = json_utf8_len((const unsigned char *)p->s + p->pos,
					      p->len - p->pos)) &&
			   p->pos + n <= end) {
			memcpy(out + o, p->s + p->pos, n);
			o += n;
			p->pos += n;
		} else {
			fail_at(p, p->pos, "invalid UTF-8 in string");
			return -1;
		}
	}
	out[o] = '\0';
	p->pos = end + 1;
	return 0;
}

static char *parse_string(struct parser *p)
{
	size_t end = string_end(p);
	char *out;

	if (!end) {
		fail_at(p, p->pos, "unterminated string");
		return NULL;
	}
	out = malloc(end - p->pos);	/* decoded text is never longer */
	if (!out) {
		fail_at(p, p->pos, "out of memory");
		return NULL;
	}
	p->pos++;
	if (decode_string(p, end, out)) {
		free(out);
		return NULL;
	}
	return out;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int digits(struct parser *p, const char *what)
{
	if (!is_digit(peek(p))) {
		fail_unexpected(p, what);
		return -1;
	}
	while (is_digit(peek(p)))
		p->pos++;
	return 0;
}

static void number_value(struct parser *p, size_t start, struct kmrv_json *v)
{
	const char *s = p->s + start;
	size_t n = p->pos - start;
	char buf[64];

	if (v->is_int) {
		for (size_t i = v->negative; i < n; i++) {
			unsigned int d = s[i] - '0';

			if (v->mag > (UINT64_MAX - d) / 10) {
				v->is_int = false;	/* out of range */
				break;
			}
			v->mag = v->mag * 10 + d;
		}
	}
	if (n < sizeof(buf)) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		v->num = strtod(buf, NULL);
	} else {
		v->num = v->negative ? -HUGE_VAL : HUGE_VAL;
	}
}

static int parse_number(struct parser *p, struct kmrv_json *v)
{
	size_t start = p->pos;

	v->type = KMRV_JSON_NUMBER;
	v->is_int = true;
	if (peek(p) == '-') {
		v->negative = true;
		p->pos++;
	}
	if (peek(p) == '0') {
		p->pos++;
		if (is_digit(peek(p))) {
			fail_at(p, p->pos - 1, "leading zero in number");
			return -1;
		}
	} else if (digits(p, "a digit")) {
		return -1;
	}
	if (peek(p) == '.') {
		v->is_int = false;
		p->pos++;
		if (digits(p, "a digit after '.'"))
			return -1;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		v->is_int = false;
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (digits(p, "a digit in the exponent"))
			return -1;
	}
	number_value(p, start, v);
	return 0;
}

static int parse_literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n)) {
		fail_unexpected(p, "a value");
		return -1;
	}
	p->pos += n;
	return 0;
}

static int parse_value(struct parser *p, struct kmrv_json *v, int depth);

static void release(struct kmrv_json *v)
{
	for (size_t i = 0; i < v->nr; i++) {
		release(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

/* Room for one more member of @v; -1 when memory ran out. */
static int grow(struct parser *p, struct kmrv_json *v, size_t *cap)
{
	size_t ncap;
	void *items, *keys;

	if (v->nr < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	items = realloc(v->items, ncap * sizeof(*v->items));
	if (items)
		v->items = items;
	if (v->type == KMRV_JSON_OBJECT) {
		keys = items ? realloc(v->keys, ncap * sizeof(*v->keys)) : NULL;
		if (keys)
			v->keys = keys;
		items = keys;
	}
	if (!items) {
		fail_at(p, p->pos, "out of memory");
		return -1;
	}
	*cap = ncap;
	return 0;
}

static int cmp_key_ref(const void *a, const void *b)
{
	char **const *ka = a, **const *kb = b;
	int c = strcmp(**ka, **kb);

	/* equal keys: by position, so the later one is reported */
	if (c)
		return c;
	return *ka < *kb ? -1 : *ka > *kb;
}

/*
 * Duplicate keys, found by sorting pointers to the keys once the object
 * is complete: O(n log n), where a check per member would let a crafted
 * object with many keys take quadratic time.
 */
static int check_duplicates(struct parser *p, struct kmrv_json *v)
{
	char ***sorted;
	int ret = 0;

	if (v->nr < 2)
		return 0;
	sorted = malloc(v->nr * sizeof(*sorted));
	if (!sorted) {
		fail_at(p, p->pos, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < v->nr; i++)
		sorted[i] = &v->keys[i];
	qsort(sorted, v->nr, sizeof(*sorted), cmp_key_ref);
	for (size_t i = 1; i < v->nr && !ret; i++) {
		const struct kmrv_json *dup = &v->items[sorted[i] - v->keys];

		if (strcmp(*sorted[i - 1], *sorted[i]))
			continue;
		/* the parser is past the object: point at the later value */
		p->line = dup->line;
		p->line_start = 0;
		fail_at(p, dup->col - 1, "duplicate key \"%.64s\"", *sorted[i]);
		ret = -1;
	}
	free(sorted);
	return ret;
}

/* One "key": value pair of object @v, the key's quote at p->pos. */
static int parse_member(struct parser *p, struct kmrv_json *v, int depth)
{
	char *key;

	if (peek(p) != '"') {
		fail_unexpected(p, "a string key");
		return -1;
	}
	key = parse_string(p);
	if (!key)
		return -1;
	skip_ws(p);
	if (peek(p) != ':') {
		free(key);
		fail_unexpected(p, "':'");
		return -1;
	}
	p->pos++;
	memset(&v->items[v->nr], 0, sizeof(v->items[v->nr]));
	v->keys[v->nr] = key;
	v->nr++;	/* counted now so that release() frees it on error */
	return parse_value(p, &v->items[v->nr - 1], depth + 1);
}

static int parse_container(struct parser *p, struct kmrv_json *v, int depth)
{
	char close = v->type == KMRV_JSON_OBJECT ? '}' : ']';
	size_t cap = 0;

	if (depth >= KMRV_JSON_MAX_DEPTH) {
		fail_at(p, p->pos, "nesting deeper than %d levels", KMRV_JSON_MAX_DEPTH);
		return -1;
	}
	p->pos++;
	skip_ws(p);
	if (peek(p) == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (grow(p, v, &cap))
			return -1;
		if (v->type == KMRV_JSON_OBJECT) {
			if (parse_member(p, v, depth))
				return -1;
		} else {
			memset(&v->items[v->nr], 0, sizeof(v->items[v->nr]));
			v->nr++;
			if (parse_value(p, &v->items[v->nr - 1], depth + 1))
				return -1;
		}
		skip_ws(p);
		if (peek(p) == close) {
			p->pos++;
			return v->type == KMRV_JSON_OBJECT ? check_duplicates(p, v) : 0;
		}
		if (peek(p) != ',') {
			fail_unexpected(p, close == '}' ? "',' or '}'" : "',' or ']'");
			return -1;
		}
		p->pos++;
		skip_ws(p);
	}
}

static int parse_value(struct parser *p, struct kmrv_json *v, int depth)
{
	skip_ws(p);
	v->line = p->line;
	v->col = p->pos - p->line_start + 1;
	switch (peek(p)) {
	case '{':
		v->type = KMRV_JSON_OBJECT;
		return parse_container(p, v, depth);
	case '[':
		v->type = KMRV_JSON_ARRAY;
		return parse_container(p, v, depth);
	case '"':
		v->type = KMRV_JSON_STRING;
		v->str = parse_string(p);
		return v->str ? 0 : -1;
	case 't':
		v->type = KMRV_JSON_BOOL;
		v->boolean = true;
		return parse_literal(p, "true");
	case 'f':
		v->type = KMRV_JSON_BOOL;
		return parse_literal(p, "false");
	case 'n':
		v->type = KMRV_JSON_NULL;
		return parse_literal(p, "null");
	default:
		if (peek(p) == '-' || is_digit(peek(p)))
			return parse_number(p, v);
		fail_unexpected(p, "a value");
		return -1;
	}
}

struct kmrv_json *kmrv_json_parse(const char *text, size_t len, const char *name,
				  char *err, size_t errlen)
{
	struct parser p = {
		.s = text, .len = len, .line = 1, .name = name,
		.err = err, .errlen = errlen,
	};
	struct kmrv_json *root = calloc(1, sizeof(*root));

	if (!root) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	if (parse_value(&p, root, 0))
		goto fail;
	skip_ws(&p);
	if (p.pos < p.len) {
		fail_unexpected(&p, "end of input after the value");
		goto fail;
	}
	return root;
fail:
	kmrv_json_free(root);
	return NULL;
}

void kmrv_json_free(struct kmrv_json *v)
{
	if (!v)
		return;
	release(v);
	free(v);
}

const struct kmrv_json *kmrv_json_get(const struct kmrv_json *obj, const char *key)
{
	if (!obj || obj->type != KMRV_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->nr; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

int kmrv_json_u64(const struct kmrv_json *v, uint64_t *out)
{
	if (!v || v->type != KMRV_JSON_NUMBER || !v->is_int ||
	    (v->negative && v->mag))
		return -1;
	*out = v->mag;
	return 0;
}

int kmrv_json_i64(const struct kmrv_json *v, int64_t *out)
{
	if (!v || v->type != KMRV_JSON_NUMBER || !v->is_int)
		return -1;
	if (v->negative) {
		if (v->mag > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = v->mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v->mag;
	} else {
		if (v->mag > INT64_MAX)
			return -1;
		*out = (int64_t)v->mag;
	}
	return 0;
}

const char *kmrv_json_type_name(enum kmrv_json_type type)
{
	static const char *const names[] = {
		[KMRV_JSON_NULL] = "null", [KMRV_JSON_BOOL] = "boolean",
		[KMRV_JSON_NUMBER] = "number", [KMRV_JSON_STRING] = "string",
		[KMRV_JSON_ARRAY] = "array", [KMRV_JSON_OBJECT] = "object",
	};

	return (unsigned int)type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}
