// SPDX-License-Identifier: GPL-2.0
/*
 * spec_parse.c - the spec-file lexer and parser (grammar in kmrv-spec(5)).
 *
 * The input is untrusted text: every byte is looked at once, lines and
 * token counts are bounded, and every error names PATH:LINE:COL and what
 * was expected there. Nothing is built until the whole file has been read,
 * because states are declared by use and the initial state, which may be
 * named late, must get index 0.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_priv.h"

#define MAX_TOKS	256
#define MAX_NAME	63

/*
 * Columns of the transition grid: the user events, then "other", then
 * "other.E" for each user event E. The spec's own event numbering, with
 * only the pseudo-events in use, is made at the end.
 */
#define REF_OTHER		KMRV_SPEC_MAX_EVENTS
#define REF_OTHER_OF(e)		(KMRV_SPEC_MAX_EVENTS + 1 + (e))
#define NR_REFS			(2 * KMRV_SPEC_MAX_EVENTS + 1)

enum tok_type {
	TOK_WORD,
	TOK_STRING,
	TOK_ARROW,
	TOK_BANG,
	TOK_EQ,
};

struct tok {
	enum tok_type	type;
	int		col;
	const char	*s;	/* NUL-terminated, in parser.buf */
};

/* Where something was first written; line 0 means "not seen". */
struct pos {
	int	line;
	int	col;
};

struct cell {
	struct pos	at;
	int		to;
	int		kind;
};

struct parser {
	const char	*path;
	const char	*text;
	size_t		len;
	int		line;
	struct pos	eof;
	char		*err;
	size_t		errlen;

	struct tok	toks[MAX_TOKS];
	int		nr_toks;
	int		eol_col;	/* just after the last token */
	char		buf[2 * KMRV_SPEC_MAX_LINE + 2];

	struct pos	spec_at, alias_at, describe_at, key_at, group_at;
	struct pos	initial_at, accept_at, latest_at, other_at;
	char		*name;
	char		*alias;
	char		*description;
	enum kmrv_key_type	key;
	enum kmrv_group_type	group;

	int		nr_events;
	char		*events[KMRV_SPEC_MAX_EVENTS];
	int		event_line[KMRV_SPEC_MAX_EVENTS];
	int		tp_event[KMRV_TP__COUNT];
	int		tp_line[KMRV_TP__COUNT];
	bool		ref_used[NR_REFS];
	int		other_ref;	/* first pseudo-event used */
	int		nr_pseudo;

	int		nr_states;
	char		*states[KMRV_SPEC_MAX_STATES];
	struct pos	state_at[KMRV_SPEC_MAX_STATES];
	bool		in_transition[KMRV_SPEC_MAX_STATES];
	int		initial;
	uint64_t	accepting;
	uint64_t	latest;
	int		at_end[KMRV_SPEC_MAX_STATES];
	struct pos	at_end_at[KMRV_SPEC_MAX_STATES];
	struct cell	cells[KMRV_SPEC_MAX_STATES][NR_REFS];
	int		nr_transitions;

	int		nr_kinds;
	char		*kinds[KMRV_SPEC_MAX_KINDS];
};

static const char *const keywords[] = {
	"spec", "alias", "describe", "event", "key", "group",
	"initial", "accept", "latest", "at-end",
};

__attribute__((format(printf, 4, 5)))
static int fail_at(struct parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -1;
	n = snprintf(p->err, p->errlen, "%s:%d:%d: ", p->path, line, col);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

#define fail(p, col, ...)	fail_at(p, (p)->line, col, __VA_ARGS__)

/* --- lexer ------------------------------------------------------------ */

static bool is_word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	       c == ':';
}

static int bad_byte(struct parser *p, int col, unsigned char c,
		    const char *where)
{
	if (!c)
		return fail(p, col, "unexpected NUL byte%s", where);
	if (c < 0x20 || c >= 0x7f)
		return fail(p, col, "unexpected byte 0x%02x%s", c, where);
	return fail(p, col, "unexpected character '%c'%s", c, where);
}

/*
 * Decode a quoted string starting at line[*i] == '"' into *out. Only \"
 * and \\ are escapes; bytes >= 0x80 pass through so a description may be
 * UTF-8.
 */
static int lex_string(struct parser *p, const char *line, size_t n,
		      size_t *i, char **out)
{
	int col = *i + 1;
	char *o = *out;

	for (size_t j = *i + 1; j < n; j++) {
		unsigned char c = line[j];

		if (c == '"') {
			*o++ = '\0';
			*out = o;
			*i = j + 1;
			return 0;
		}
		if (c == '\\') {
			if (j + 1 >= n)
				break;
			c = line[++j];
			if (c != '"' && c != '\\') {
				if (c < 0x20 || c >= 0x7f)
					return bad_byte(p, j + 1, c, " in string");
				return fail(p, j, "unknown escape '\\%c' in string (only \\\" and \\\\)",
					    c);
			}
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return bad_byte(p, j + 1, c, " in string");
		}
		*o++ = c;
	}
	return fail(p, col, "unterminated string");
}

static int push_tok(struct parser *p, enum tok_type type, int col,
		    const char *s)
{
	struct tok *t;

	if (p->nr_toks == MAX_TOKS)
		return fail(p, col, "too many words on one line (at most %d)",
			    MAX_TOKS);
	t = &p->toks[p->nr_toks++];
	t->type = type;
	t->col = col;
	t->s = s;
	return 0;
}

/* Split one line (without its '\n') into tokens; '#' ends it. */
static int lex_line(struct parser *p, const char *line, size_t n)
{
	char *o = p->buf;
	size_t i = 0;

	p->nr_toks = 0;
	p->eol_col = 1;
	while (i < n) {
		unsigned char c = line[i];
		int col = i + 1;
		const char *s = o;
		enum tok_type type = TOK_WORD;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			i++;
			continue;
		}
		if (c == '#')
			break;
		if (c == '"') {
			type = TOK_STRING;
			if (lex_string(p, line, n, &i, &o))
				return -1;
		} else if (c == '-' && i + 1 < n && line[i + 1] == '>') {
			type = TOK_ARROW;
			s = "->";
			i += 2;
		} else if (c == '!' || c == '=') {
			type = c == '!' ? TOK_BANG : TOK_EQ;
			s = c == '!' ? "!" : "=";
			i++;
		} else if (is_word_char(c)) {
			while (i < n && is_word_char(line[i]) &&
			       !(line[i] == '-' && i + 1 < n && line[i + 1] == '>'))
				*o++ = line[i++];
			*o++ = '\0';
		} else {
			return bad_byte(p, col, c, "");
		}
		if (push_tok(p, type, col, s))
			return -1;
		p->eol_col = i + 1;
	}
	return 0;
}

/* --- helpers ---------------------------------------------------------- */

static const struct tok *tok(const struct parser *p, int i)
{
	return i < p->nr_toks ? &p->toks[i] : NULL;
}

static int col_of(const struct parser *p, int i)
{
	return i < p->nr_toks ? p->toks[i].col : p->eol_col;
}

static bool is_word(const struct parser *p, int i)
{
	return i < p->nr_toks && p->toks[i].type == TOK_WORD;
}

/* "'name'", "a string", "end of line": what a message calls a token. */
static const char *tok_desc(const struct parser *p, int i, char *buf,
			    size_t size)
{
	const struct tok *t = tok(p, i);

	if (!t)
		return "end of line";
	if (t->type == TOK_STRING)
		return "a string";
	snprintf(buf, size, "'%.64s%s'", t->s, strlen(t->s) > 64 ? "..." : "");
	return buf;
}

static int expect_end(struct parser *p, int i)
{
	char buf[80];

	if (i >= p->nr_toks)
		return 0;
	return fail(p, col_of(p, i), "unexpected %s (expected end of line)",
		    tok_desc(p, i, buf, sizeof(buf)));
}

static int expected(struct parser *p, int i, const char *what)
{
	char buf[80];

	return fail(p, col_of(p, i), "expected %s, not %s", what,
		    tok_desc(p, i, buf, sizeof(buf)));
}

static bool is_keyword(const char *s)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(s, keywords[i]))
			return true;
	return false;
}

/* NAME: [A-Za-z_][A-Za-z0-9_-]*, at most MAX_NAME characters. */
static int check_name(struct parser *p, int i, const char *what)
{
	const char *s = p->toks[i].s;
	size_t n = strlen(s);
	bool ok = n && ((s[0] >= 'a' && s[0] <= 'z') ||
			(s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_');

	for (size_t j = 1; ok && j < n; j++)
		ok = is_word_char(s[j]) && s[j] != '.' && s[j] != ':';
	if (!ok)
		return fail(p, col_of(p, i),
			    "invalid %s name '%.64s' (names are [A-Za-z_][A-Za-z0-9_-]*)",
			    what, s);
	if (n > MAX_NAME)
		return fail(p, col_of(p, i),
			    "%s name too long (at most %d characters)", what,
			    MAX_NAME);
	return 0;
}

static int once(struct parser *p, struct pos *at, const char *what)
{
	if (at->line)
		return fail(p, 1, "duplicate '%s' line (first at line %d)",
			    what, at->line);
	at->line = p->line;
	at->col = 1;
	return 0;
}

static int dup_str(struct parser *p, char **dst, const char *s)
{
	*dst = strdup(s);
	if (!*dst)
		return fail(p, 1, "out of memory");
	return 0;
}

/* Find or declare the state named by token @i; *idx receives its index. */
static int state_ref(struct parser *p, int i, const char *what, int *idx)
{
	const char *s;

	if (!is_word(p, i))
		return expected(p, i, what);
	s = p->toks[i].s;
	for (int k = 0; k < p->nr_states; k++) {
		if (!strcmp(p->states[k], s)) {
			*idx = k;
			return 0;
		}
	}
	if (check_name(p, i, "state"))
		return -1;
	if (is_keyword(s))
		return fail(p, col_of(p, i),
			    "'%s' is a keyword, not a state name", s);
	if (p->nr_states == KMRV_SPEC_MAX_STATES)
		return fail(p, col_of(p, i), "too many states (at most %d)",
			    KMRV_SPEC_MAX_STATES);
	if (dup_str(p, &p->states[p->nr_states], s))
		return -1;
	p->state_at[p->nr_states] = (struct pos){ p->line, col_of(p, i) };
	*idx = p->nr_states++;
	return 0;
}

static int kind_ref(struct parser *p, int i, int *idx)
{
	const char *s;

	if (!is_word(p, i))
		return expected(p, i, "a violation kind after '!'");
	s = p->toks[i].s;
	for (int k = 0; k < p->nr_kinds; k++) {
		if (!strcmp(p->kinds[k], s)) {
			*idx = k;
			return 0;
		}
	}
	if (check_name(p, i, "kind"))
		return -1;
	if (p->nr_kinds == KMRV_SPEC_MAX_KINDS)
		return fail(p, col_of(p, i),
			    "too many violation kinds (at most %d)",
			    KMRV_SPEC_MAX_KINDS);
	if (dup_str(p, &p->kinds[p->nr_kinds], s))
		return -1;
	*idx = p->nr_kinds++;
	return 0;
}

static int find_event(const struct parser *p, const char *s)
{
	for (int e = 0; e < p->nr_events; e++)
		if (!strcmp(p->events[e], s))
			return e;
	return KMRV_NONE;
}

static const char *declared_events(const struct parser *p, char *buf,
				   size_t size)
{
	size_t n = 0;

	if (!p->nr_events)
		return "none";
	buf[0] = '\0';
	for (int e = 0; e < p->nr_events && n < size; e++)
		n += snprintf(buf + n, size - n, "%s%s", e ? ", " : "",
			      p->events[e]);
	return buf;
}

static int check_event_room(struct parser *p, int col)
{
	if (p->nr_events + p->nr_pseudo < KMRV_SPEC_MAX_EVENTS)
		return 0;
	return fail(p, col,
		    "too many events (at most %d, counting 'other' pseudo-events)",
		    KMRV_SPEC_MAX_EVENTS);
}

/* Resolve the event of a transition: a user event, "other" or "other.E". */
static int event_ref(struct parser *p, int i, int *ref)
{
	char buf[512];
	const char *s = p->toks[i].s;
	int col = col_of(p, i);
	int e;

	if (!strcmp(s, "other")) {
		*ref = REF_OTHER;
	} else if (!strncmp(s, "other.", 6)) {
		e = find_event(p, s + 6);
		if (e == KMRV_NONE)
			return fail(p, col,
				    "unknown event '%.64s' in '%.70s' (declared: %s)",
				    s + 6, s, declared_events(p, buf, sizeof(buf)));
		*ref = REF_OTHER_OF(e);
	} else {
		e = find_event(p, s);
		if (e == KMRV_NONE)
			return fail(p, col, "unknown event '%.64s' (declared: %s)",
				    s, declared_events(p, buf, sizeof(buf)));
		*ref = e;
		return 0;
	}
	if (p->ref_used[*ref])
		return 0;
	if (check_event_room(p, col))
		return -1;
	p->ref_used[*ref] = true;
	p->nr_pseudo++;
	if (!p->other_at.line) {
		p->other_at = (struct pos){ p->line, col };
		p->other_ref = *ref;
	}
	return 0;
}

static const char *ref_name(const struct parser *p, int ref, char *buf,
			    size_t size)
{
	if (ref < REF_OTHER)
		return p->events[ref];
	if (ref == REF_OTHER)
		return "other";
	snprintf(buf, size, "other.%s", p->events[ref - REF_OTHER - 1]);
	return buf;
}

/* --- directives ------------------------------------------------------- */

static int do_spec(struct parser *p)
{
	if (once(p, &p->spec_at, "spec"))
		return -1;
	if (!is_word(p, 1))
		return expected(p, 1, "a spec name after 'spec'");
	if (check_name(p, 1, "spec"))
		return -1;
	if (!strcmp(p->toks[1].s, "all"))
		return fail(p, col_of(p, 1),
			    "'all' cannot name a spec (it selects every spec)");
	if (dup_str(p, &p->name, p->toks[1].s))
		return -1;
	return expect_end(p, 2);
}

static int do_alias(struct parser *p)
{
	const char *s;

	if (once(p, &p->alias_at, "alias"))
		return -1;
	if (!is_word(p, 1))
		return expected(p, 1, "a word after 'alias'");
	s = p->toks[1].s;
	for (const char *c = s; *c; c++)
		if (*c == '.' || *c == ':')
			return fail(p, col_of(p, 1),
				    "invalid alias '%.64s' (aliases are [A-Za-z0-9_-]+)",
				    s);
	if (strlen(s) > MAX_NAME)
		return fail(p, col_of(p, 1),
			    "alias too long (at most %d characters)", MAX_NAME);
	if (!strcmp(s, "all"))
		return fail(p, col_of(p, 1),
			    "'all' cannot be an alias (it selects every spec)");
	if (dup_str(p, &p->alias, s))
		return -1;
	return expect_end(p, 2);
}

static int do_describe(struct parser *p)
{
	if (once(p, &p->describe_at, "describe"))
		return -1;
	if (!tok(p, 1) || p->toks[1].type != TOK_STRING)
		return expected(p, 1, "a quoted string after 'describe'");
	if (!p->toks[1].s[0])
		return fail(p, col_of(p, 1), "empty description");
	if (dup_str(p, &p->description, p->toks[1].s))
		return -1;
	return expect_end(p, 2);
}

static int bind_tracepoint(struct parser *p, int i, int e)
{
	const char *s = p->toks[i].s;
	int tp = kmrv_tp_from_name(s);

	if (tp < 0)
		return fail(p, col_of(p, i), "unknown tracepoint '%.64s'", s);
	if (p->tp_event[tp] != KMRV_NONE)
		return fail(p, col_of(p, i),
			    "tracepoint '%s' is already bound to event '%s' (line %d)",
			    s, p->events[p->tp_event[tp]], p->tp_line[tp]);
	p->tp_event[tp] = e;
	p->tp_line[tp] = p->line;
	return 0;
}

static int do_event(struct parser *p)
{
	const char *s;
	int e;

	if (!is_word(p, 1))
		return expected(p, 1, "an event name after 'event'");
	if (check_name(p, 1, "event"))
		return -1;
	s = p->toks[1].s;
	if (!strcmp(s, "other"))
		return fail(p, col_of(p, 1),
			    "'other' is reserved for the group pseudo-event");
	e = find_event(p, s);
	if (e != KMRV_NONE)
		return fail(p, col_of(p, 1),
			    "duplicate event '%s' (first at line %d)", s,
			    p->event_line[e]);
	if (check_event_room(p, col_of(p, 1)))
		return -1;
	if (!tok(p, 2) || p->toks[2].type != TOK_EQ)
		return expected(p, 2, "'=' after the event name");
	if (!is_word(p, 3))
		return expected(p, 3, "a tracepoint (SYSTEM:EVENT) after '='");
	e = p->nr_events;
	if (dup_str(p, &p->events[e], s))
		return -1;
	p->event_line[e] = p->line;
	p->nr_events++;
	for (int i = 3; i < p->nr_toks; i++) {
		if (!is_word(p, i))
			return expected(p, i, "a tracepoint (SYSTEM:EVENT)");
		if (bind_tracepoint(p, i, e))
			return -1;
	}
	return 0;
}

static int do_key(struct parser *p)
{
	int next = 2;

	if (once(p, &p->key_at, "key"))
		return -1;
	if (is_word(p, 1) && !strcmp(p->toks[1].s, "ptr")) {
		p->key = KMRV_KEY_PTR;
	} else if (is_word(p, 1) && !strcmp(p->toks[1].s, "pid") &&
		   is_word(p, 2) && !strcmp(p->toks[2].s, "ptr")) {
		p->key = KMRV_KEY_PID_PTR;
		next = 3;
	} else {
		int i = is_word(p, 1) && !strcmp(p->toks[1].s, "pid") ? 2 : 1;

		return expected(p, i, "'ptr' or 'pid ptr' after 'key'");
	}
	return expect_end(p, next);
}

static int do_group(struct parser *p)
{
	if (once(p, &p->group_at, "group"))
		return -1;
	if (is_word(p, 1) && !strcmp(p->toks[1].s, "pid"))
		p->group = KMRV_GROUP_PID;
	else if (is_word(p, 1) && !strcmp(p->toks[1].s, "all"))
		p->group = KMRV_GROUP_ALL;
	else
		return expected(p, 1, "'pid' or 'all' after 'group'");
	return expect_end(p, 2);
}

static int do_initial(struct parser *p)
{
	if (once(p, &p->initial_at, "initial"))
		return -1;
	if (state_ref(p, 1, "a state name after 'initial'", &p->initial))
		return -1;
	p->initial_at.col = col_of(p, 1);
	return expect_end(p, 2);
}

/* accept STATE... and latest STATE...: lines add up. */
static int state_list(struct parser *p, uint64_t *set, struct pos *at,
		      const char *what)
{
	char buf[64];
	int s;

	snprintf(buf, sizeof(buf), "a state name after '%s'", what);
	if (!at->line)
		*at = (struct pos){ p->line, 1 };
	if (!tok(p, 1))
		return expected(p, 1, buf);
	for (int i = 1; i < p->nr_toks; i++) {
		if (state_ref(p, i, "a state name", &s))
			return -1;
		*set |= 1ULL << s;
	}
	return 0;
}

static int do_accept(struct parser *p)
{
	return state_list(p, &p->accepting, &p->accept_at, "accept");
}

static int do_latest(struct parser *p)
{
	return state_list(p, &p->latest, &p->latest_at, "latest");
}

static int do_at_end(struct parser *p)
{
	int states[MAX_TOKS];
	int n = 0, kind, i;

	for (i = 1; is_word(p, i); i++)
		if (state_ref(p, i, "a state name", &states[n++]))
			return -1;
	if (!n)
		return expected(p, 1, "a state name after 'at-end'");
	if (!tok(p, i) || p->toks[i].type != TOK_BANG)
		return expected(p, i, "'! KIND' after the states of 'at-end'");
	if (kind_ref(p, i + 1, &kind))
		return -1;
	for (int k = 0; k < n; k++) {
		int s = states[k];

		if (p->at_end_at[s].line)
			return fail(p, col_of(p, k + 1),
				    "duplicate 'at-end' for state '%s' (first at line %d)",
				    p->states[s], p->at_end_at[s].line);
		p->at_end[s] = kind;
		p->at_end_at[s] = (struct pos){ p->line, col_of(p, k + 1) };
	}
	return expect_end(p, i + 2);
}

static bool line_has_arrow(const struct parser *p)
{
	for (int i = 0; i < p->nr_toks; i++)
		if (p->toks[i].type == TOK_ARROW)
			return true;
	return false;
}

static bool is_state(const struct parser *p, const char *s)
{
	for (int k = 0; k < p->nr_states; k++)
		if (!strcmp(p->states[k], s))
			return true;
	return false;
}

/* STATE EVENT -> STATE [! KIND] */
static int do_transition(struct parser *p)
{
	char buf[80];
	struct cell *c;
	int from = 0, to = 0, ref = 0, kind = KMRV_NONE;

	/* A misspelt keyword reads better as such than as a bad transition. */
	if (!line_has_arrow(p) && !is_state(p, p->toks[0].s))
		return fail(p, 1, "unknown directive '%.64s'", p->toks[0].s);
	if (state_ref(p, 0, "a state name", &from))
		return -1;
	if (!is_word(p, 1))
		return expected(p, 1, "an event name after the state");
	if (event_ref(p, 1, &ref))
		return -1;
	if (!tok(p, 2) || p->toks[2].type != TOK_ARROW)
		return fail(p, col_of(p, 2), "expected '->' after event name");
	if (state_ref(p, 3, "a state name after '->'", &to))
		return -1;
	if (tok(p, 4) && p->toks[4].type == TOK_BANG) {
		if (kind_ref(p, 5, &kind))
			return -1;
		if (expect_end(p, 6))
			return -1;
	} else if (tok(p, 4)) {
		return fail(p, col_of(p, 4),
			    "unexpected %s (expected '! KIND' or end of line)",
			    tok_desc(p, 4, buf, sizeof(buf)));
	}
	c = &p->cells[from][ref];
	if (c->at.line)
		return fail(p, col_of(p, 1),
			    "duplicate transition for state '%s' on '%s' (first at line %d)",
			    p->states[from], p->toks[1].s, c->at.line);
	*c = (struct cell){ { p->line, col_of(p, 1) }, to, kind };
	p->in_transition[from] = p->in_transition[to] = true;
	p->nr_transitions++;
	return 0;
}

struct directive {
	const char	*name;
	int		(*parse)(struct parser *p);
};

static const struct directive directives[] = {
	{ "spec",	do_spec },
	{ "alias",	do_alias },
	{ "describe",	do_describe },
	{ "event",	do_event },
	{ "key",	do_key },
	{ "group",	do_group },
	{ "initial",	do_initial },
	{ "accept",	do_accept },
	{ "latest",	do_latest },
	{ "at-end",	do_at_end },
};

static int parse_line(struct parser *p)
{
	char buf[80];
	const char *word;

	if (!p->nr_toks)
		return 0;
	if (p->toks[0].type != TOK_WORD)
		return expected(p, 0, "a directive or 'STATE EVENT -> STATE'");
	word = p->toks[0].s;
	if (!p->spec_at.line && strcmp(word, "spec"))
		return fail(p, 1, "expected 'spec NAME' as the first directive, not %s",
			    tok_desc(p, 0, buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (!strcmp(word, directives[i].name))
			return directives[i].parse(p);
	return do_transition(p);
}

static int parse_lines(struct parser *p)
{
	size_t pos = 0;

	p->line = 0;
	while (pos < p->len) {
		const char *line = p->text + pos;
		const char *nl = memchr(line, '\n', p->len - pos);
		size_t n = nl ? (size_t)(nl - line) : p->len - pos;

		p->line++;
		if (n > KMRV_SPEC_MAX_LINE)
			return fail(p, KMRV_SPEC_MAX_LINE + 1,
				    "line too long (more than %d bytes)",
				    KMRV_SPEC_MAX_LINE);
		if (lex_line(p, line, n) || parse_line(p))
			return -1;
		pos += n + (nl != NULL);
		p->eof = nl ? (struct pos){ p->line + 1, 1 } :
			      (struct pos){ p->line, (int)n + 1 };
	}
	return 0;
}

/* --- whole-file checks ------------------------------------------------ */

static int missing(struct parser *p, const char *what)
{
	return fail_at(p, p->eof.line, p->eof.col, "missing %s", what);
}

static int check_required(struct parser *p)
{
	if (!p->spec_at.line)
		return fail_at(p, 1, 1, "missing 'spec NAME' line");
	if (!p->describe_at.line)
		return missing(p, "'describe \"TEXT\"' line");
	if (!p->nr_events)
		return missing(p, "'event NAME = SYSTEM:EVENT' line");
	if (!p->key_at.line)
		return missing(p, "'key ptr' or 'key pid ptr' line");
	if (!p->initial_at.line)
		return missing(p, "'initial STATE' line");
	if (!p->accept_at.line)
		return missing(p, "'accept STATE...' line");
	if (!p->nr_transitions)
		return missing(p, "transitions ('STATE EVENT -> STATE' lines)");
	return 0;
}

/* The earliest 'other' transition out of a state that is not latest. */
static const struct cell *stray_other(const struct parser *p, int *from,
				      int *ref)
{
	const struct cell *found = NULL;

	for (int s = 0; s < p->nr_states; s++) {
		if (p->latest & (1ULL << s))
			continue;
		for (int r = REF_OTHER; r < NR_REFS; r++) {
			const struct cell *c = &p->cells[s][r];

			if (!c->at.line)
				continue;
			if (found && found->at.line <= c->at.line)
				continue;
			found = c;
			*from = s;
			*ref = r;
		}
	}
	return found;
}

static int check_group(struct parser *p)
{
	char buf[80];
	const struct cell *c;
	int s, r;

	if (p->group == KMRV_GROUP_NONE && p->latest_at.line)
		return fail_at(p, p->latest_at.line, 1,
			       "'latest' needs a 'group' line");
	if (p->group == KMRV_GROUP_NONE && p->other_at.line)
		return fail_at(p, p->other_at.line, p->other_at.col,
			       "'%s' needs a 'group' line",
			       ref_name(p, p->other_ref, buf, sizeof(buf)));
	if (p->latest & (1ULL << p->initial))
		return fail_at(p, p->initial_at.line, p->initial_at.col,
			       "the initial state '%s' cannot be 'latest'",
			       p->states[p->initial]);
	c = stray_other(p, &s, &r);
	if (c)
		return fail_at(p, c->at.line, c->at.col,
			       "'%s' only happens in 'latest' states, and '%s' is not one",
			       ref_name(p, r, buf, sizeof(buf)), p->states[s]);
	return 0;
}

static int check_states(struct parser *p)
{
	const struct pos *at = &p->at_end_at[p->initial];

	if (at->line)
		return fail_at(p, at->line, at->col,
			       "'at-end' cannot name the initial state '%s' (its keys are not tracked)",
			       p->states[p->initial]);
	for (int s = 0; s < p->nr_states; s++)
		if (s != p->initial && !p->in_transition[s])
			return fail_at(p, p->state_at[s].line,
				       p->state_at[s].col,
				       "state '%s' is in no transition",
				       p->states[s]);
	return 0;
}

/* --- building the spec ------------------------------------------------ */

static char **take_names(char **names, int n, const int *order)
{
	char **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return NULL;
	for (int i = 0; i < n; i++) {
		int k = order ? order[i] : i;

		v[i] = names[k];
		names[k] = NULL;
	}
	return v;
}

/* Events of the spec: user events, then "other", then "other.E". */
static int number_events(struct parser *p, struct kmrv_spec *spec,
			 int *col_of_ref)
{
	char buf[80];
	int n = p->nr_events;

	spec->nr_user_events = n;
	spec->other_event = KMRV_NONE;
	for (int e = 0; e < KMRV_SPEC_MAX_EVENTS; e++)
		spec->other_of[e] = KMRV_NONE;
	for (int r = 0; r < NR_REFS; r++)
		col_of_ref[r] = r < p->nr_events ? r : KMRV_NONE;
	for (int r = REF_OTHER; r < NR_REFS; r++) {
		if (!p->ref_used[r])
			continue;
		col_of_ref[r] = n++;
		if (r == REF_OTHER)
			spec->other_event = col_of_ref[r];
		else
			spec->other_of[r - REF_OTHER - 1] = col_of_ref[r];
	}
	spec->nr_events = n;
	spec->event_names = calloc(n, sizeof(char *));
	if (!spec->event_names)
		return -1;
	for (int r = 0; r < NR_REFS; r++) {
		int e = col_of_ref[r];

		if (e == KMRV_NONE)
			continue;
		spec->event_names[e] = strdup(ref_name(p, r, buf, sizeof(buf)));
		if (!spec->event_names[e])
			return -1;
	}
	return 0;
}

static uint64_t remap_set(uint64_t set, const int *new_of, int n)
{
	uint64_t out = 0;

	for (int s = 0; s < n; s++)
		if (set & (1ULL << s))
			out |= 1ULL << new_of[s];
	return out;
}

static void fill_tables(struct parser *p, struct kmrv_spec *spec,
			const int *new_of, const int *col_of_ref)
{
	for (int s = 0; s < p->nr_states; s++) {
		int ns = new_of[s];

		spec->at_end[ns] = p->at_end_at[s].line ? p->at_end[s] : KMRV_NONE;
		for (int r = 0; r < NR_REFS; r++) {
			const struct cell *c = &p->cells[s][r];
			int cell = ns * spec->nr_events + col_of_ref[r];

			if (!c->at.line)
				continue;
			spec->next[cell] = new_of[c->to];
			spec->violation[cell] = c->kind;
		}
	}
}

static struct kmrv_spec *build(struct parser *p)
{
	int order[KMRV_SPEC_MAX_STATES], new_of[KMRV_SPEC_MAX_STATES];
	int col_of_ref[NR_REFS];
	struct kmrv_spec *spec = calloc(1, sizeof(*spec));
	int n = 0;

	if (!spec)
		return NULL;
	/* The initial state is 0, the others keep their order of mention. */
	order[n++] = p->initial;
	for (int s = 0; s < p->nr_states; s++)
		if (s != p->initial)
			order[n++] = s;
	for (int i = 0; i < n; i++)
		new_of[order[i]] = i;

	spec->name = p->name;
	spec->alias = p->alias;
	spec->description = p->description;
	p->name = p->alias = p->description = NULL;
	spec->path = strdup(p->path);
	spec->key = p->key;
	spec->group = p->group;
	spec->nr_states = p->nr_states;
	spec->initial = 0;
	spec->accepting = remap_set(p->accepting, new_of, n);
	spec->latest = remap_set(p->latest, new_of, n);
	for (int tp = 0; tp < KMRV_TP__COUNT; tp++)
		spec->tp_event[tp] = p->tp_event[tp];
	spec->state_names = take_names(p->states, n, order);
	spec->nr_kinds = p->nr_kinds;
	spec->kind_names = take_names(p->kinds, p->nr_kinds, NULL);
	if (!spec->path || !spec->state_names || !spec->kind_names ||
	    number_events(p, spec, col_of_ref) ||
	    kmrv_spec_alloc_tables(spec))
		goto err;
	fill_tables(p, spec, new_of, col_of_ref);
	spec->forgettable = kmrv_spec_forgettable(spec);
	return spec;
err:
	kmrv_spec_free(spec);
	return NULL;
}

static void parser_release(struct parser *p)
{
	free(p->name);
	free(p->alias);
	free(p->description);
	for (int i = 0; i < p->nr_events; i++)
		free(p->events[i]);
	for (int i = 0; i < p->nr_states; i++)
		free(p->states[i]);
	for (int i = 0; i < p->nr_kinds; i++)
		free(p->kinds[i]);
	free(p);
}

struct kmrv_spec *kmrv_spec_parse_buf(const char *text, size_t len,
				      const char *path, char *err,
				      size_t errlen)
{
	struct kmrv_spec *spec = NULL;
	struct parser *p;

	if (err && errlen)
		err[0] = '\0';
	if (!path)
		path = "<string>";
	p = calloc(1, sizeof(*p));
	if (!p) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	p->path = path;
	p->text = text ? text : "";
	p->len = text ? len : 0;
	p->err = err;
	p->errlen = errlen;
	p->eof = (struct pos){ 1, 1 };
	for (int tp = 0; tp < KMRV_TP__COUNT; tp++)
		p->tp_event[tp] = KMRV_NONE;

	if (parse_lines(p) || check_required(p) || check_group(p) ||
	    check_states(p))
		goto out;
	spec = build(p);
	if (!spec)
		fail_at(p, 1, 1, "out of memory");
out:
	parser_release(p);
	return spec;
}

struct kmrv_spec *kmrv_spec_parse(const char *text, const char *path,
				  char *err, size_t errlen)
{
	return kmrv_spec_parse_buf(text, text ? strlen(text) : 0, path, err,
				   errlen);
}
