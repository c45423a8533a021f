#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_utf8.h"
#include "risk_features.h"
#include "risk_rules.h"

#define RULES_MAX 10000
#define RULE_NODES_MAX 4096
#define RULE_DEPTH_MAX 64
#define RULE_ID_MAX 32
#define RULE_TEXT_MAX 512

enum tok_kind {
	T_EOF, T_IDENT, T_NUM, T_STR, T_LT, T_LE, T_GT, T_GE, T_EQ, T_NE,
	T_PLUS, T_MINUS, T_STAR, T_SLASH, T_LP, T_RP, T_COLON
};

struct token {
	enum tok_kind kind;
	const char *start;
	size_t len;
	double num;
	char *str; /* T_STR, decoded, owned by the lexer */
	int line, col;
};

struct lexer {
	const char *p, *end, *fname;
	int line, col;
	struct token tok;
	struct ld_err *err;
};

enum node_kind {
	N_NUM, N_FEAT, N_MISSING, N_TRUE, N_FALSE, N_NEG, N_ADD, N_SUB, N_MUL,
	N_DIV, N_LT, N_LE, N_GT, N_GE, N_EQ, N_NE, N_AND, N_OR, N_NOT
};

/* Children are indices into the rule's node array, which may move. */
struct node {
	enum node_kind kind;
	int cond; /* yields a condition, not a number */
	double num;
	int slot; /* N_FEAT, N_MISSING: index into the rule's inputs */
	int a, b;
};

struct rule {
	char *id;
	int version;
	enum risk_action action;
	enum risk_override override;
	char *text;
	int line;
	struct node *nodes;
	size_t nnodes, capnodes;
	int root;
	size_t *inputs; /* catalogue indices, in order of first use */
	size_t ninputs;
};

struct risk_rules {
	struct rule *v;
	size_t n, cap;
};

const char *
risk_action_name(enum risk_action a)
{
	switch (a) {
	case RISK_ACTION_FLAG:
		return "flag";
	case RISK_ACTION_REVIEW:
		return "review";
	case RISK_ACTION_REJECT:
		return "reject";
	}
	return "?";
}

const char *
risk_override_name(enum risk_override o)
{
	switch (o) {
	case RISK_OVERRIDE_NONE:
		return NULL;
	case RISK_OVERRIDE_OFFICER:
		return "officer";
	case RISK_OVERRIDE_DUAL:
		return "dual";
	case RISK_OVERRIDE_NEVER:
		return "never";
	}
	return NULL;
}

/* ---- lexer ---------------------------------------------------------- */

static enum ld_status
lex_error(struct lexer *lx, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum ld_status
lex_error(struct lexer *lx, int line, int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return ld_err_set(lx->err, LD_EINVAL, "%s:%d:%d: %s", lx->fname, line,
	    col, msg);
}

/* Advances one byte; columns count characters, not UTF-8 bytes. */
static void
lex_advance(struct lexer *lx)
{
	unsigned char c = (unsigned char)*lx->p++;

	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if ((c & 0xC0) != 0x80)
		lx->col++;
}

static int
is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_ident_char(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static enum ld_status
lex_string(struct lexer *lx)
{
	struct ld_buf b;
	int line = lx->line, col = lx->col;

	ld_buf_init(&b, RULE_TEXT_MAX);
	lex_advance(lx); /* the opening quote */
	for (;;) {
		enum ld_utf8_status u8;
		unsigned char c;
		uint32_t cp;
		size_t n;

		if (lx->p >= lx->end || *lx->p == '\n') {
			ld_buf_free(&b);
			return lex_error(lx, line, col,
			    "unterminated string (strings end on their line)");
		}
		c = (unsigned char)*lx->p;
		if (c == '"') {
			lex_advance(lx);
			break;
		}
		if (c == '\\') {
			int el = lx->line, ec = lx->col;

			lex_advance(lx);
			if (lx->p >= lx->end ||
			    (*lx->p != '"' && *lx->p != '\\')) {
				ld_buf_free(&b);
				return lex_error(lx, el, ec,
				    "unknown escape (only \\\" and \\\\)");
			}
			c = (unsigned char)*lx->p;
			lex_advance(lx);
			if (ld_buf_append(&b, &c, 1) != LD_OK)
				goto toolong;
			continue;
		}
		if (c < 0x20 || c == 0x7F) {
			ld_buf_free(&b);
			return lex_error(lx, lx->line, lx->col,
			    "control character in string");
		}
		if ((u8 = ld_utf8_decode(lx->p, (size_t)(lx->end - lx->p),
		    &cp, &n)) != LD_UTF8_OK) {
			ld_buf_free(&b);
			return lex_error(lx, lx->line, lx->col,
			    "invalid UTF-8 in string: %s",
			    ld_utf8_strerror(u8));
		}
		if (ld_buf_append(&b, lx->p, n) != LD_OK)
			goto toolong;
		while (n-- > 0)
			lex_advance(lx);
	}
	lx->tok.kind = T_STR;
	/* ld_buf_steal() of an empty buffer is not NUL-terminated. */
	if (b.len == 0) {
		ld_buf_free(&b);
		lx->tok.str = ld_strdup("");
	} else
		lx->tok.str = ld_buf_steal(&b, NULL);
	return LD_OK;
toolong:
	ld_buf_free(&b);
	return lex_error(lx, line, col, "string longer than %d bytes",
	    RULE_TEXT_MAX);
}

static enum ld_status
lex_number(struct lexer *lx)
{
	const char *s = lx->p;
	char tmp[64], *endp;
	size_t n;
	int line = lx->line, col = lx->col;

	while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9')
		lex_advance(lx);
	if (lx->p < lx->end && *lx->p == '.') {
		lex_advance(lx);
		if (lx->p >= lx->end || *lx->p < '0' || *lx->p > '9')
			return lex_error(lx, line, col,
			    "malformed number (digits must follow '.')");
		while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9')
			lex_advance(lx);
	}
	if (lx->p < lx->end && (*lx->p == 'e' || *lx->p == 'E')) {
		lex_advance(lx);
		if (lx->p < lx->end && (*lx->p == '+' || *lx->p == '-'))
			lex_advance(lx);
		if (lx->p >= lx->end || *lx->p < '0' || *lx->p > '9')
			return lex_error(lx, line, col,
			    "malformed number (bad exponent)");
		while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9')
			lex_advance(lx);
	}
	if (lx->p < lx->end && is_ident_char((unsigned char)*lx->p))
		return lex_error(lx, line, col,
		    "malformed number (letter after digits)");
	n = (size_t)(lx->p - s);
	if (n >= sizeof tmp)
		return lex_error(lx, line, col, "number too long");
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	lx->tok.num = strtod(tmp, &endp);
	if (*endp != '\0' || errno == ERANGE || !isfinite(lx->tok.num))
		return lex_error(lx, line, col, "number out of range");
	lx->tok.kind = T_NUM;
	return LD_OK;
}

/* Reads the next token into lx->tok. */
static enum ld_status
lex_next(struct lexer *lx)
{
	unsigned char c;
	enum ld_status st;

	free(lx->tok.str);
	lx->tok.str = NULL;
	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' ||
		    *lx->p == '\n' || *lx->p == '\r'))
			lex_advance(lx);
		if (lx->p < lx->end && *lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lex_advance(lx);
			continue;
		}
		break;
	}
	lx->tok.start = lx->p;
	lx->tok.line = lx->line;
	lx->tok.col = lx->col;
	if (lx->p >= lx->end) {
		lx->tok.kind = T_EOF;
		lx->tok.len = 0;
		return LD_OK;
	}
	c = (unsigned char)*lx->p;
	if (is_ident_start(c)) {
		while (lx->p < lx->end && is_ident_char((unsigned char)*lx->p))
			lex_advance(lx);
		lx->tok.kind = T_IDENT;
	} else if (c >= '0' && c <= '9') {
		if ((st = lex_number(lx)) != LD_OK)
			return st;
	} else if (c == '"') {
		if ((st = lex_string(lx)) != LD_OK)
			return st;
	} else {
		int two = lx->p + 1 < lx->end && lx->p[1] == '=';

		switch (c) {
		case '<':
			lx->tok.kind = two ? T_LE : T_LT;
			break;
		case '>':
			lx->tok.kind = two ? T_GE : T_GT;
			break;
		case '=':
			if (!two)
				return lex_error(lx, lx->line, lx->col,
				    "'=' is not an operator (use '==')");
			lx->tok.kind = T_EQ;
			break;
		case '!':
			if (!two)
				return lex_error(lx, lx->line, lx->col,
				    "'!' is not an operator (use 'not' or "
				    "'!=')");
			lx->tok.kind = T_NE;
			break;
		case '+':
			lx->tok.kind = T_PLUS;
			two = 0;
			break;
		case '-':
			lx->tok.kind = T_MINUS;
			two = 0;
			break;
		case '*':
			lx->tok.kind = T_STAR;
			two = 0;
			break;
		case '/':
			lx->tok.kind = T_SLASH;
			two = 0;
			break;
		case '(':
			lx->tok.kind = T_LP;
			two = 0;
			break;
		case ')':
			lx->tok.kind = T_RP;
			two = 0;
			break;
		case ':':
			lx->tok.kind = T_COLON;
			two = 0;
			break;
		default:
			if (c >= 0x20 && c < 0x7F)
				return lex_error(lx, lx->line, lx->col,
				    "unexpected character '%c'", c);
			return lex_error(lx, lx->line, lx->col,
			    "unexpected byte 0x%02x (text belongs in quotes)",
			    c);
		}
		lex_advance(lx);
		if (two)
			lex_advance(lx);
	}
	lx->tok.len = (size_t)(lx->p - lx->tok.start);
	return LD_OK;
}

static int
tok_is(const struct lexer *lx, const char *word)
{
	size_t n = strlen(word);

	return lx->tok.kind == T_IDENT && lx->tok.len == n &&
	    memcmp(lx->tok.start, word, n) == 0;
}

/* How the current token reads in a message. */
static const char *
tok_desc(const struct lexer *lx, char *buf, size_t len)
{
	switch (lx->tok.kind) {
	case T_EOF:
		return "the end of the file";
	case T_STR:
		return "a string";
	default:
		snprintf(buf, len, "'%.*s'",
		    (int)(lx->tok.len > 40 ? 40 : lx->tok.len), lx->tok.start);
		return buf;
	}
}

static enum ld_status
expected(struct lexer *lx, const char *what)
{
	char b[64];

	return lex_error(lx, lx->tok.line, lx->tok.col, "expected %s, found %s",
	    what, tok_desc(lx, b, sizeof b));
}

/* ---- parser --------------------------------------------------------- */

struct parser {
	struct lexer lx;
	struct rule *r;
	/*
	 * Rule ids seen so far, open addressing: index + 1 into the rule
	 * set, 0 empty.  A file of RULES_MAX rules would otherwise cost
	 * RULES_MAX^2 / 2 comparisons just to find it has no repeat.
	 */
	size_t *ids;
	size_t nids, capids;
};

static int
node_new(struct parser *ps, enum node_kind kind, int cond)
{
	struct rule *r = ps->r;
	struct node *n;

	if (r->nnodes >= RULE_NODES_MAX) {
		lex_error(&ps->lx, ps->lx.tok.line, ps->lx.tok.col,
		    "rule %s is too long (more than %d terms)", r->id,
		    RULE_NODES_MAX);
		return -1;
	}
	if (r->nnodes == r->capnodes) {
		r->capnodes = r->capnodes ? 2 * r->capnodes : 16;
		r->nodes = ld_reallocarray(r->nodes, r->capnodes,
		    sizeof *r->nodes);
	}
	n = &r->nodes[r->nnodes];
	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->cond = cond;
	n->a = n->b = -1;
	return (int)r->nnodes++;
}

/* The rule's input slot for catalogue entry idx, added on first use. */
static int
input_slot(struct rule *r, size_t idx)
{
	size_t i;

	for (i = 0; i < r->ninputs; i++)
		if (r->inputs[i] == idx)
			return (int)i;
	r->inputs = ld_reallocarray(r->inputs, r->ninputs + 1,
	    sizeof *r->inputs);
	r->inputs[r->ninputs] = idx;
	return (int)r->ninputs++;
}

static int
feature_index(const struct lexer *lx)
{
	size_t i, n = risk_feature_count();

	for (i = 0; i < n; i++) {
		const char *name = risk_feature_at(i)->name;

		if (strlen(name) == lx->tok.len &&
		    memcmp(name, lx->tok.start, lx->tok.len) == 0)
			return (int)i;
	}
	return -1;
}

static int parse_or(struct parser *ps, int depth);

/* Checks that node i is (cond) a condition or (!cond) a number. */
static int
want(struct parser *ps, int i, int cond, int line, int col, const char *op,
    const char *side)
{
	if (i < 0)
		return -1;
	if (ps->r->nodes[i].cond == cond)
		return 0;
	lex_error(&ps->lx, line, col, "%s needs a %s %s, not a %s", op,
	    cond ? "condition" : "number", side,
	    cond ? "number" : "condition");
	return -1;
}

static int
parse_unary(struct parser *ps, int depth)
{
	struct lexer *lx = &ps->lx;
	int line = lx->tok.line, col = lx->tok.col, n, x, fi;

	if (depth > RULE_DEPTH_MAX) {
		lex_error(lx, line, col, "expression nested too deeply");
		return -1;
	}
	switch (lx->tok.kind) {
	case T_MINUS:
		if (lex_next(lx) != LD_OK)
			return -1;
		x = parse_unary(ps, depth + 1);
		if (want(ps, x, 0, line, col, "'-'", "operand") != 0)
			return -1;
		if ((n = node_new(ps, N_NEG, 0)) < 0)
			return -1;
		ps->r->nodes[n].a = x;
		return n;
	case T_NUM:
		if ((n = node_new(ps, N_NUM, 0)) < 0)
			return -1;
		ps->r->nodes[n].num = lx->tok.num;
		return lex_next(lx) == LD_OK ? n : -1;
	case T_LP:
		if (lex_next(lx) != LD_OK)
			return -1;
		if ((x = parse_or(ps, depth + 1)) < 0)
			return -1;
		if (lx->tok.kind != T_RP) {
			expected(lx, "')'");
			return -1;
		}
		return lex_next(lx) == LD_OK ? x : -1;
	case T_IDENT:
		break;
	default:
		expected(lx, "a feature, a number, missing(), or '('");
		return -1;
	}
	if (tok_is(lx, "true") || tok_is(lx, "false")) {
		n = node_new(ps, tok_is(lx, "true") ? N_TRUE : N_FALSE, 1);
		if (n < 0)
			return -1;
		return lex_next(lx) == LD_OK ? n : -1;
	}
	if (tok_is(lx, "missing")) {
		if (lex_next(lx) != LD_OK)
			return -1;
		if (lx->tok.kind != T_LP) {
			expected(lx, "'(' after missing");
			return -1;
		}
		if (lex_next(lx) != LD_OK)
			return -1;
		if (lx->tok.kind != T_IDENT) {
			expected(lx, "a feature name in missing()");
			return -1;
		}
		if ((fi = feature_index(lx)) < 0) {
			lex_error(lx, lx->tok.line, lx->tok.col,
			    "unknown feature '%.*s'", (int)lx->tok.len,
			    lx->tok.start);
			return -1;
		}
		if ((n = node_new(ps, N_MISSING, 1)) < 0)
			return -1;
		ps->r->nodes[n].slot = input_slot(ps->r, (size_t)fi);
		if (lex_next(lx) != LD_OK)
			return -1;
		if (lx->tok.kind != T_RP) {
			expected(lx, "')' after the feature in missing()");
			return -1;
		}
		return lex_next(lx) == LD_OK ? n : -1;
	}
	if (tok_is(lx, "rule") || tok_is(lx, "and") || tok_is(lx, "or") ||
	    tok_is(lx, "not")) {
		expected(lx, "a feature, a number, missing(), or '('");
		return -1;
	}
	if ((fi = feature_index(lx)) < 0) {
		lex_error(lx, line, col, "unknown feature '%.*s'",
		    (int)lx->tok.len, lx->tok.start);
		return -1;
	}
	if ((n = node_new(ps, N_FEAT, 0)) < 0)
		return -1;
	ps->r->nodes[n].slot = input_slot(ps->r, (size_t)fi);
	return lex_next(lx) == LD_OK ? n : -1;
}

static int
binary(struct parser *ps, enum node_kind kind, int cond, int a, int b)
{
	int n = node_new(ps, kind, cond);

	if (n < 0)
		return -1;
	ps->r->nodes[n].a = a;
	ps->r->nodes[n].b = b;
	return n;
}

static int
parse_prod(struct parser *ps, int depth)
{
	struct lexer *lx = &ps->lx;
	int l, r, line, col;
	enum tok_kind op;

	l = parse_unary(ps, depth);
	while (l >= 0 && (lx->tok.kind == T_STAR || lx->tok.kind == T_SLASH)) {
		op = lx->tok.kind;
		line = lx->tok.line;
		col = lx->tok.col;
		if (want(ps, l, 0, line, col, op == T_STAR ? "'*'" : "'/'",
		    "left operand") != 0 || lex_next(lx) != LD_OK)
			return -1;
		r = parse_unary(ps, depth);
		if (want(ps, r, 0, line, col, op == T_STAR ? "'*'" : "'/'",
		    "right operand") != 0)
			return -1;
		l = binary(ps, op == T_STAR ? N_MUL : N_DIV, 0, l, r);
	}
	return l;
}

static int
parse_sum(struct parser *ps, int depth)
{
	struct lexer *lx = &ps->lx;
	int l, r, line, col;
	enum tok_kind op;

	l = parse_prod(ps, depth);
	while (l >= 0 && (lx->tok.kind == T_PLUS || lx->tok.kind == T_MINUS)) {
		op = lx->tok.kind;
		line = lx->tok.line;
		col = lx->tok.col;
		if (want(ps, l, 0, line, col, op == T_PLUS ? "'+'" : "'-'",
		    "left operand") != 0 || lex_next(lx) != LD_OK)
			return -1;
		r = parse_prod(ps, depth);
		if (want(ps, r, 0, line, col, op == T_PLUS ? "'+'" : "'-'",
		    "right operand") != 0)
			return -1;
		l = binary(ps, op == T_PLUS ? N_ADD : N_SUB, 0, l, r);
	}
	return l;
}

static int
parse_cmp(struct parser *ps, int depth)
{
	struct lexer *lx = &ps->lx;
	int l, r, line, col;
	enum node_kind kind;
	char opname[4];

	l = parse_sum(ps, depth);
	if (l < 0)
		return -1;
	switch (lx->tok.kind) {
	case T_LT:
		kind = N_LT;
		break;
	case T_LE:
		kind = N_LE;
		break;
	case T_GT:
		kind = N_GT;
		break;
	case T_GE:
		kind = N_GE;
		break;
	case T_EQ:
		kind = N_EQ;
		break;
	case T_NE:
		kind = N_NE;
		break;
	default:
		return l;
	}
	line = lx->tok.line;
	col = lx->tok.col;
	snprintf(opname, sizeof opname, "%.*s", (int)lx->tok.len,
	    lx->tok.start);
	{
		char what[16];

		snprintf(what, sizeof what, "'%s'", opname);
		if (want(ps, l, 0, line, col, what, "left operand") != 0 ||
		    lex_next(lx) != LD_OK)
			return -1;
		r = parse_sum(ps, depth);
		if (want(ps, r, 0, line, col, what, "right operand") != 0)
			return -1;
	}
	switch (lx->tok.kind) {
	case T_LT: case T_LE: case T_GT: case T_GE: case T_EQ: case T_NE:
		lex_error(lx, lx->tok.line, lx->tok.col,
		    "comparisons do not chain; join them with 'and'");
		return -1;
	default:
		break;
	}
	return binary(ps, kind, 1, l, r);
}

static int
parse_not(struct parser *ps, int depth)
{
	struct lexer *lx = &ps->lx;
	int line = lx->tok.line, col = lx->tok.col, x, n;

	if (!tok_is(lx, "not"))
		return parse_cmp(ps, depth);
	if (depth > RULE_DEPTH_MAX) {
		lex_error(lx, line, col, "expression nested too deeply");
		return -1;
	}
	if (lex_next(lx) != LD_OK)
		return -1;
	x = parse_not(ps, depth + 1);
	if (want(ps, x, 1, line, col, "'not'", "operand") != 0)
		return -1;
	if ((n = node_new(ps, N_NOT, 1)) < 0)
		return -1;
	ps->r->nodes[n].a = x;
	return n;
}

static int
parse_and(struct parser *ps, int depth)
{
	struct lexer *lx = &ps->lx;
	int l, r, line, col;

	l = parse_not(ps, depth);
	while (l >= 0 && tok_is(lx, "and")) {
		line = lx->tok.line;
		col = lx->tok.col;
		if (want(ps, l, 1, line, col, "'and'", "left operand") != 0 ||
		    lex_next(lx) != LD_OK)
			return -1;
		r = parse_not(ps, depth);
		if (want(ps, r, 1, line, col, "'and'", "right operand") != 0)
			return -1;
		l = binary(ps, N_AND, 1, l, r);
	}
	return l;
}

static int
parse_or(struct parser *ps, int depth)
{
	struct lexer *lx = &ps->lx;
	int l, r, line, col;

	l = parse_and(ps, depth);
	while (l >= 0 && tok_is(lx, "or")) {
		line = lx->tok.line;
		col = lx->tok.col;
		if (want(ps, l, 1, line, col, "'or'", "left operand") != 0 ||
		    lex_next(lx) != LD_OK)
			return -1;
		r = parse_and(ps, depth);
		if (want(ps, r, 1, line, col, "'or'", "right operand") != 0)
			return -1;
		l = binary(ps, N_OR, 1, l, r);
	}
	return l;
}

static void
rule_clear(struct rule *r)
{
	free(r->id);
	free(r->text);
	free(r->nodes);
	free(r->inputs);
	memset(r, 0, sizeof *r);
}

static int
valid_rule_id(const struct lexer *lx)
{
	size_t i;

	if (lx->tok.kind != T_IDENT || lx->tok.len > RULE_ID_MAX ||
	    lx->tok.start[0] < 'A' || lx->tok.start[0] > 'Z')
		return 0;
	for (i = 1; i < lx->tok.len; i++) {
		char c = lx->tok.start[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_'))
			return 0;
	}
	return 1;
}

static size_t
id_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The rule already called id, or NULL. */
static const struct rule *
id_find(const struct parser *ps, const struct risk_rules *rs, const char *id)
{
	size_t i;

	if (ps->capids == 0)
		return NULL;
	for (i = id_hash(id) & (ps->capids - 1); ps->ids[i] != 0;
	    i = (i + 1) & (ps->capids - 1))
		if (strcmp(rs->v[ps->ids[i] - 1].id, id) == 0)
			return &rs->v[ps->ids[i] - 1];
	return NULL;
}

/* Remembers rule rs->v[k]; the table stays at most half full. */
static void
id_add(struct parser *ps, const struct risk_rules *rs, size_t k)
{
	size_t i, j, *old = ps->ids, oldcap = ps->capids;

	if (2 * (ps->nids + 1) > ps->capids) {
		ps->capids = ps->capids ? 2 * ps->capids : 64;
		ps->ids = ld_calloc(ps->capids, sizeof *ps->ids);
		for (j = 0; j < oldcap; j++) {
			if (old[j] == 0)
				continue;
			for (i = id_hash(rs->v[old[j] - 1].id) &
			    (ps->capids - 1); ps->ids[i] != 0;
			    i = (i + 1) & (ps->capids - 1))
				;
			ps->ids[i] = old[j];
		}
		free(old);
	}
	for (i = id_hash(rs->v[k].id) & (ps->capids - 1); ps->ids[i] != 0;
	    i = (i + 1) & (ps->capids - 1))
		;
	ps->ids[i] = k + 1;
	ps->nids++;
}

/*
 * The override level after the action, when there is one; the current
 * token is what follows the action, and is left after the level.
 */
static enum ld_status
parse_level(struct parser *ps)
{
	struct lexer *lx = &ps->lx;
	struct rule *r = ps->r;
	int line = lx->tok.line, col = lx->tok.col;

	if (tok_is(lx, "never"))
		r->override = RISK_OVERRIDE_NEVER;
	else if (tok_is(lx, "dual"))
		r->override = RISK_OVERRIDE_DUAL;
	else if (tok_is(lx, "officer"))
		r->override = RISK_OVERRIDE_OFFICER;
	else if (r->action == RISK_ACTION_REJECT)
		return expected(lx, "an override level after reject (never, "
		    "dual or officer)");
	else {
		r->override = r->action == RISK_ACTION_REVIEW ?
		    RISK_OVERRIDE_OFFICER : RISK_OVERRIDE_NONE;
		return LD_OK;
	}
	if (r->action == RISK_ACTION_FLAG)
		return lex_error(lx, line, col, "a flag decides nothing, so "
		    "it takes no override level");
	if (r->action == RISK_ACTION_REVIEW &&
	    r->override == RISK_OVERRIDE_NEVER)
		return lex_error(lx, line, col, "'never' is for reject rules: "
		    "a review rule asks a person to decide (use dual or "
		    "officer)");
	return lex_next(lx);
}

/* Parses one rule; the current token is "rule". */
static enum ld_status
parse_rule(struct parser *ps, struct risk_rules *rs)
{
	struct lexer *lx = &ps->lx;
	struct rule *r = ps->r;
	enum ld_status st;
	size_t i;
	long v;
	int line, col;

	r->line = lx->tok.line;
	if (lex_next(lx) != LD_OK)
		return lx->err->code;
	if (!valid_rule_id(lx))
		return expected(lx, "a rule id (A-Z then A-Z, 0-9, _; at most "
		    "32)");
	r->id = ld_strndup(lx->tok.start, lx->tok.len);
	{
		const struct rule *dup = id_find(ps, rs, r->id);

		if (dup != NULL)
			return lex_error(lx, lx->tok.line, lx->tok.col,
			    "rule %s is already defined at line %d", r->id,
			    dup->line);
	}
	if (lex_next(lx) != LD_OK)
		return lx->err->code;
	line = lx->tok.line;
	col = lx->tok.col;
	if (lx->tok.kind != T_IDENT || lx->tok.start[0] != 'v' ||
	    lx->tok.len < 2 || lx->tok.len > 8)
		return expected(lx, "a version (v1, v2, ...)");
	v = 0;
	for (i = 1; i < lx->tok.len; i++) {
		if (lx->tok.start[i] < '0' || lx->tok.start[i] > '9')
			return expected(lx, "a version (v1, v2, ...)");
		v = v * 10 + (lx->tok.start[i] - '0');
	}
	if (v < 1)
		return lex_error(lx, line, col, "versions start at v1");
	r->version = (int)v;
	if (lex_next(lx) != LD_OK)
		return lx->err->code;
	if (tok_is(lx, "reject"))
		r->action = RISK_ACTION_REJECT;
	else if (tok_is(lx, "review"))
		r->action = RISK_ACTION_REVIEW;
	else if (tok_is(lx, "flag"))
		r->action = RISK_ACTION_FLAG;
	else
		return expected(lx, "an action (reject, review or flag)");
	if (lex_next(lx) != LD_OK)
		return lx->err->code;
	if ((st = parse_level(ps)) != LD_OK)
		return st;
	if (lx->tok.kind != T_STR)
		return expected(lx, "the rule's text in double quotes");
	if (lx->tok.str[0] == '\0')
		return lex_error(lx, lx->tok.line, lx->tok.col,
		    "the rule's text is empty");
	r->text = lx->tok.str;
	lx->tok.str = NULL;
	if (lex_next(lx) != LD_OK)
		return lx->err->code;
	if (lx->tok.kind != T_COLON)
		return expected(lx, "':' after the rule's text");
	if (lex_next(lx) != LD_OK)
		return lx->err->code;
	line = lx->tok.line;
	col = lx->tok.col;
	if (lx->tok.kind == T_EOF || tok_is(lx, "rule"))
		return expected(lx, "a condition after ':'");
	if ((r->root = parse_or(ps, 0)) < 0)
		return lx->err->code;
	if (!r->nodes[r->root].cond)
		return lex_error(lx, line, col,
		    "the rule's expression is a number, not a condition "
		    "(compare it with something)");
	if (lx->tok.kind != T_EOF && !tok_is(lx, "rule"))
		return expected(lx, "'and', 'or', an operator, or the next "
		    "rule");
	return LD_OK;
}

enum ld_status
risk_rules_parse(const char *text, size_t len, const char *fname,
    struct risk_rules **out, struct ld_err *err)
{
	struct parser ps;
	struct risk_rules *rs;
	struct rule cur;
	struct ld_err scratch;
	enum ld_status st = LD_OK;

	*out = NULL;
	if (fname == NULL)
		fname = "rules";
	if (len > RISK_RULES_MAX_BYTES)
		return ld_err_set(err, LD_EINVAL, "%s: larger than %d bytes",
		    fname, RISK_RULES_MAX_BYTES);
	memset(&ps, 0, sizeof ps);
	ps.lx.p = text;
	ps.lx.end = text + len;
	ps.lx.fname = fname;
	ps.lx.line = 1;
	ps.lx.col = 1;
	/* err may be NULL; the parser reads codes back from it. */
	ps.lx.err = err != NULL ? err : &scratch;
	rs = ld_calloc(1, sizeof *rs);
	memset(&cur, 0, sizeof cur);
	ps.r = &cur;
	if ((st = lex_next(&ps.lx)) != LD_OK)
		goto fail;
	while (ps.lx.tok.kind != T_EOF) {
		if (!tok_is(&ps.lx, "rule")) {
			st = expected(&ps.lx, "'rule'");
			goto fail;
		}
		if (rs->n >= RULES_MAX) {
			st = lex_error(&ps.lx, ps.lx.tok.line, ps.lx.tok.col,
			    "more than %d rules", RULES_MAX);
			goto fail;
		}
		if ((st = parse_rule(&ps, rs)) != LD_OK)
			goto fail;
		if (rs->n == rs->cap) {
			rs->cap = rs->cap ? 2 * rs->cap : 16;
			rs->v = ld_reallocarray(rs->v, rs->cap, sizeof *rs->v);
		}
		rs->v[rs->n++] = cur;
		id_add(&ps, rs, rs->n - 1);
		memset(&cur, 0, sizeof cur);
	}
	free(ps.lx.tok.str);
	free(ps.ids);
	*out = rs;
	return LD_OK;
fail:
	free(ps.lx.tok.str);
	free(ps.ids);
	rule_clear(&cur);
	risk_rules_free(rs);
	return st != LD_OK ? st : LD_EINVAL;
}

enum ld_status
risk_rules_load(const char *path, struct risk_rules **out,
    struct ld_err *err)
{
	struct ld_buf b;
	enum ld_status st;

	*out = NULL;
	ld_buf_init(&b, RISK_RULES_MAX_BYTES);
	if ((st = ld_buf_read_file(&b, path, err)) != LD_OK) {
		ld_buf_free(&b);
		return st;
	}
	st = risk_rules_parse(b.data != NULL ? b.data : "", b.len, path, out,
	    err);
	ld_buf_free(&b);
	return st;
}

void
risk_rules_free(struct risk_rules *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		rule_clear(&rs->v[i]);
	free(rs->v);
	free(rs);
}

size_t
risk_rules_count(const struct risk_rules *rs)
{
	return rs != NULL ? rs->n : 0;
}

const char *
risk_rules_id(const struct risk_rules *rs, size_t i)
{
	return i < risk_rules_count(rs) ? rs->v[i].id : NULL;
}

int
risk_rules_version(const struct risk_rules *rs, size_t i)
{
	return i < risk_rules_count(rs) ? rs->v[i].version : 0;
}

enum risk_action
risk_rules_action(const struct risk_rules *rs, size_t i)
{
	return i < risk_rules_count(rs) ? rs->v[i].action : RISK_ACTION_FLAG;
}

enum risk_override
risk_rules_override(const struct risk_rules *rs, size_t i)
{
	return i < risk_rules_count(rs) ? rs->v[i].override :
	    RISK_OVERRIDE_NONE;
}

const char *
risk_rules_text(const struct risk_rules *rs, size_t i)
{
	return i < risk_rules_count(rs) ? rs->v[i].text : NULL;
}

/* ---- evaluation ----------------------------------------------------- */

void
risk_rule_hits_init(struct risk_rule_hits *h)
{
	memset(h, 0, sizeof *h);
}

void
risk_rule_hits_free(struct risk_rule_hits *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++) {
		free(h->v[i].id);
		free(h->v[i].text);
		free(h->v[i].inputs);
	}
	free(h->v);
	memset(h, 0, sizeof *h);
}

size_t
risk_rule_hits_count(const struct risk_rule_hits *h, enum risk_action a)
{
	size_t i, n = 0;

	for (i = 0; i < h->n; i++)
		if (h->v[i].action == a)
			n++;
	return n;
}

/* Arithmetic that leaves the finite numbers is missing. */
static double
finite_or_nan(double v)
{
	return isfinite(v) ? v : NAN;
}

static double
eval_num(const struct rule *r, int i, const double *in)
{
	const struct node *n = &r->nodes[i];
	double a, b;

	switch (n->kind) {
	case N_NUM:
		return n->num;
	case N_FEAT:
		return in[n->slot];
	case N_NEG:
		return -eval_num(r, n->a, in);
	default:
		break;
	}
	a = eval_num(r, n->a, in);
	b = eval_num(r, n->b, in);
	switch (n->kind) {
	case N_ADD:
		return finite_or_nan(a + b);
	case N_SUB:
		return finite_or_nan(a - b);
	case N_MUL:
		return finite_or_nan(a * b);
	case N_DIV:
		return b == 0 ? NAN : finite_or_nan(a / b);
	default:
		return NAN;
	}
}

static int
eval_cond(const struct rule *r, int i, const double *in)
{
	const struct node *n = &r->nodes[i];
	double a, b;

	switch (n->kind) {
	case N_TRUE:
		return 1;
	case N_FALSE:
		return 0;
	case N_MISSING:
		return isnan(in[n->slot]);
	case N_NOT:
		return !eval_cond(r, n->a, in);
	case N_AND:
		return eval_cond(r, n->a, in) && eval_cond(r, n->b, in);
	case N_OR:
		return eval_cond(r, n->a, in) || eval_cond(r, n->b, in);
	default:
		break;
	}
	a = eval_num(r, n->a, in);
	b = eval_num(r, n->b, in);
	/* Unknown compared with anything is not true, "!=" included. */
	if (isnan(a) || isnan(b))
		return 0;
	switch (n->kind) {
	case N_LT:
		return a < b;
	case N_LE:
		return a <= b;
	case N_GT:
		return a > b;
	case N_GE:
		return a >= b;
	case N_EQ:
		return a == b;
	case N_NE:
		return a != b;
	default:
		return 0;
	}
}

enum ld_status
risk_rules_eval(const struct risk_rules *rs, const char *const *names,
    const double *values, size_t n, struct risk_rule_hits *hits,
    struct ld_err *err)
{
	size_t i, j, k, nfeat = risk_feature_count(), first = hits->n;
	double in_small[32], *in = in_small;
	/* The whole catalogue in its order: inputs are indices into it. */
	int catalogue = names == risk_feature_names() && n == nfeat;

	if (nfeat > sizeof in_small / sizeof in_small[0])
		in = ld_calloc(nfeat, sizeof *in);
	for (i = 0; i < risk_rules_count(rs); i++) {
		const struct rule *r = &rs->v[i];
		struct risk_rule_hit *h;

		for (j = 0; j < r->ninputs; j++) {
			const char *fname = risk_feature_at(r->inputs[j])->name;

			if (catalogue) {
				in[j] = values[r->inputs[j]];
				continue;
			}
			for (k = 0; k < n; k++)
				if (names[k] != NULL &&
				    strcmp(names[k], fname) == 0)
					break;
			if (k == n) {
				if (in != in_small)
					free(in);
				while (hits->n > first) {
					hits->n--;
					free(hits->v[hits->n].id);
					free(hits->v[hits->n].text);
					free(hits->v[hits->n].inputs);
				}
				return ld_err_set(err, LD_EINVAL,
				    "rule %s (line %d): feature %s was not "
				    "supplied", r->id, r->line, fname);
			}
			in[j] = values[k];
		}
		if (!eval_cond(r, r->root, in))
			continue;
		if (hits->n == hits->cap) {
			hits->cap = hits->cap ? 2 * hits->cap : 8;
			hits->v = ld_reallocarray(hits->v, hits->cap,
			    sizeof *hits->v);
		}
		h = &hits->v[hits->n++];
		h->id = ld_strdup(r->id);
		h->version = r->version;
		h->action = r->action;
		h->override = r->override;
		h->text = ld_strdup(r->text);
		h->ninputs = r->ninputs;
		h->inputs = ld_calloc(r->ninputs > 0 ? r->ninputs : 1,
		    sizeof *h->inputs);
		for (j = 0; j < r->ninputs; j++) {
			h->inputs[j].feature =
			    risk_feature_at(r->inputs[j])->name;
			h->inputs[j].value = in[j];
		}
	}
	if (in != in_small)
		free(in);
	return LD_OK;
}
