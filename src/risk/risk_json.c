#include "config.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "risk_json.h"

#define RISK_JSON_MAX_DEPTH	256
#define RISK_JSON_MAX_NUMBER	128

struct risk_json_parser {
	const char	*text;
	size_t		 len;
	size_t		 pos;
	const char	*origin;
	struct ld_err	*err;
	int		 failed;
};

static void	json_value_free(struct risk_json *);
static int	json_parse_value(struct risk_json_parser *, struct risk_json *,
		    int);

void
risk_json_where(const char *text, size_t len, size_t offset, char *buf,
    size_t bufsz)
{
	size_t	 i, line = 1, col = 1;

	for (i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	snprintf(buf, bufsz, "line %zu column %zu", line, col);
}

const char *
risk_json_type_name(enum risk_json_type t)
{
	switch (t) {
	case RISK_JSON_NULL:
		return "null";
	case RISK_JSON_FALSE:
	case RISK_JSON_TRUE:
		return "boolean";
	case RISK_JSON_NUMBER:
		return "number";
	case RISK_JSON_STRING:
		return "string";
	case RISK_JSON_ARRAY:
		return "array";
	case RISK_JSON_OBJECT:
		return "object";
	}
	return "?";
}

static int
json_fail(struct risk_json_parser *p, size_t at, const char *what)
{
	char	 where[64];

	if (!p->failed) {
		risk_json_where(p->text, p->len, at, where, sizeof where);
		ld_err_set(p->err, LD_EINVAL, "%s: %s: %s", p->origin, where,
		    what);
		p->failed = 1;
	}
	return -1;
}

static void
json_skip_ws(struct risk_json_parser *p)
{
	while (p->pos < p->len) {
		char c = p->text[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int
json_hex4(struct risk_json_parser *p, unsigned *out)
{
	unsigned	 v = 0;
	int		 i;

	if (p->len - p->pos < 4)
		return json_fail(p, p->pos, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		char c = p->text[p->pos++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return json_fail(p, p->pos - 1, "bad \\u escape");
	}
	*out = v;
	return 0;
}

static void
json_put_utf8(char *dst, size_t *n, unsigned cp)
{
	if (cp < 0x80)
		dst[(*n)++] = (char)cp;
	else if (cp < 0x800) {
		dst[(*n)++] = (char)(0xc0 | (cp >> 6));
		dst[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		dst[(*n)++] = (char)(0xe0 | (cp >> 12));
		dst[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		dst[(*n)++] = (char)(0xf0 | (cp >> 18));
		dst[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		dst[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* Reads a string starting at the opening quote; *out is NUL-terminated. */
static int
json_parse_string(struct risk_json_parser *p, char **out, size_t *outlen)
{
	size_t	 start = p->pos, end, n = 0;
	char	*dst;

	p->pos++;
	/* Escapes only shrink the text, so the raw span bounds the result. */
	for (end = p->pos; end < p->len && p->text[end] != '"'; end++)
		if (p->text[end] == '\\')
			end++;
	if (end >= p->len)
		return json_fail(p, start, "unterminated string");
	dst = ld_malloc(end - p->pos + 1);
	while (p->text[p->pos] != '"') {
		unsigned char c = (unsigned char)p->text[p->pos];
		unsigned cp, lo;

		if (c < 0x20) {
			free(dst);
			return json_fail(p, p->pos,
			    "control character in string");
		}
		if (c != '\\') {
			dst[n++] = (char)c;
			p->pos++;
			continue;
		}
		p->pos++;
		c = (unsigned char)p->text[p->pos++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			dst[n++] = (char)c;
			break;
		case 'b':
			dst[n++] = '\b';
			break;
		case 'f':
			dst[n++] = '\f';
			break;
		case 'n':
			dst[n++] = '\n';
			break;
		case 'r':
			dst[n++] = '\r';
			break;
		case 't':
			dst[n++] = '\t';
			break;
		case 'u':
			if (json_hex4(p, &cp) != 0) {
				free(dst);
				return -1;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->len - p->pos < 6 ||
				    p->text[p->pos] != '\\' ||
				    p->text[p->pos + 1] != 'u') {
					free(dst);
					return json_fail(p, p->pos,
					    "unpaired surrogate");
				}
				p->pos += 2;
				if (json_hex4(p, &lo) != 0) {
					free(dst);
					return -1;
				}
				if (lo < 0xdc00 || lo > 0xdfff) {
					free(dst);
					return json_fail(p, p->pos,
					    "unpaired surrogate");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				free(dst);
				return json_fail(p, p->pos,
				    "unpaired surrogate");
			}
			/* \uXXXX takes 6 bytes, its UTF-8 at most 4. */
			json_put_utf8(dst, &n, cp);
			break;
		default:
			free(dst);
			return json_fail(p, p->pos - 1, "bad escape");
		}
	}
	p->pos++;
	dst[n] = '\0';
	*out = dst;
	*outlen = n;
	return 0;
}

static int
json_parse_number(struct risk_json_parser *p, struct risk_json *v)
{
	char		 buf[RISK_JSON_MAX_NUMBER];
	size_t		 start = p->pos, n;
	const char	*t = p->text;

	v->is_int = 1;
	/* xgboost writes these for categorical splits' thresholds. */
	if (p->len - p->pos >= 3 && memcmp(t + p->pos, "NaN", 3) == 0) {
		p->pos += 3;
		v->is_int = 0;
		v->num = NAN;
		v->numf = NAN;
		v->type = RISK_JSON_NUMBER;
		return 0;
	}
	if (p->pos < p->len && t[p->pos] == '-')
		p->pos++;
	if (p->len - p->pos >= 8 && memcmp(t + p->pos, "Infinity", 8) == 0) {
		v->is_int = 0;
		v->num = t[start] == '-' ? -INFINITY : INFINITY;
		v->numf = (float)v->num;
		p->pos += 8;
		v->type = RISK_JSON_NUMBER;
		return 0;
	}
	if (p->pos >= p->len || t[p->pos] < '0' || t[p->pos] > '9')
		return json_fail(p, start, "bad number");
	if (t[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && t[p->pos] >= '0' && t[p->pos] <= '9')
			p->pos++;
	if (p->pos < p->len && t[p->pos] == '.') {
		v->is_int = 0;
		p->pos++;
		if (p->pos >= p->len || t[p->pos] < '0' || t[p->pos] > '9')
			return json_fail(p, start, "bad number");
		while (p->pos < p->len && t[p->pos] >= '0' && t[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (t[p->pos] == 'e' || t[p->pos] == 'E')) {
		v->is_int = 0;
		p->pos++;
		if (p->pos < p->len && (t[p->pos] == '+' || t[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || t[p->pos] < '0' || t[p->pos] > '9')
			return json_fail(p, start, "bad number");
		while (p->pos < p->len && t[p->pos] >= '0' && t[p->pos] <= '9')
			p->pos++;
	}
	n = p->pos - start;
	if (n >= sizeof buf)
		return json_fail(p, start, "number too long");
	memcpy(buf, t + start, n);
	buf[n] = '\0';
	v->num = strtod(buf, NULL);
	v->numf = strtof(buf, NULL);
	v->type = RISK_JSON_NUMBER;
	return 0;
}

static int
json_expect_word(struct risk_json_parser *p, const char *word)
{
	size_t	 n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
		return json_fail(p, p->pos, "unexpected character");
	p->pos += n;
	return 0;
}

static int
json_member_cmp(const void *a, const void *b)
{
	const struct risk_json	*x = *(const struct risk_json *const *)a;
	const struct risk_json	*y = *(const struct risk_json *const *)b;
	int			 c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->key_offset < y->key_offset ? -1 :
	    x->key_offset > y->key_offset;
}

/*
 * A member name twice in one object is refused: lookups take the first,
 * another reader (xgboost's own) may take the last, and a model must mean
 * one thing.  Sorted, so a large object costs n log n.
 */
static int
json_check_members(struct risk_json_parser *p, const struct risk_json *v)
{
	const struct risk_json	**s, *dup = NULL, *first = NULL;
	char			 what[160], where[64];
	size_t			 i, j;

	if (v->n < 2)
		return 0;
	if (v->n <= 8) {
		for (i = 1; i < v->n && dup == NULL; i++)
			for (j = 0; j < i; j++)
				if (strcmp(v->items[i].key,
				    v->items[j].key) == 0) {
					dup = &v->items[i];
					first = &v->items[j];
					break;
				}
	} else {
		s = ld_reallocarray(NULL, v->n, sizeof *s);
		for (i = 0; i < v->n; i++)
			s[i] = &v->items[i];
		qsort(s, v->n, sizeof *s, json_member_cmp);
		for (i = 1; i < v->n; i++)
			if (strcmp(s[i]->key, s[i - 1]->key) == 0 &&
			    (dup == NULL ||
			    s[i]->key_offset < dup->key_offset)) {
				dup = s[i];
				first = s[i - 1];
			}
		free(s);
	}
	if (dup == NULL)
		return 0;
	risk_json_where(p->text, p->len, first->key_offset, where,
	    sizeof where);
	snprintf(what, sizeof what, "member \"%.60s\" repeats the one at %s",
	    dup->key, where);
	return json_fail(p, dup->key_offset, what);
}

static int
json_parse_container(struct risk_json_parser *p, struct risk_json *v,
    int depth, int is_object)
{
	size_t	 cap = 0;
	char	 close = is_object ? '}' : ']';

	v->type = is_object ? RISK_JSON_OBJECT : RISK_JSON_ARRAY;
	p->pos++;
	json_skip_ws(p);
	if (p->pos < p->len && p->text[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		struct risk_json *item;
		char *key = NULL;
		size_t keylen, key_offset;

		json_skip_ws(p);
		key_offset = p->pos;
		if (is_object) {
			if (p->pos >= p->len || p->text[p->pos] != '"')
				return json_fail(p, p->pos,
				    "expected a member name");
			if (json_parse_string(p, &key, &keylen) != 0)
				return -1;
			json_skip_ws(p);
			if (p->pos >= p->len || p->text[p->pos] != ':') {
				free(key);
				return json_fail(p, p->pos, "expected ':'");
			}
			p->pos++;
		}
		if (v->n == cap) {
			cap = cap ? cap * 2 : 8;
			v->items = ld_reallocarray(v->items, cap,
			    sizeof *v->items);
		}
		item = &v->items[v->n++];
		memset(item, 0, sizeof *item);
		item->key = key;
		item->key_offset = key_offset;
		if (json_parse_value(p, item, depth + 1) != 0)
			return -1;
		json_skip_ws(p);
		if (p->pos < p->len && p->text[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->text[p->pos] == close) {
			p->pos++;
			return is_object ? json_check_members(p, v) : 0;
		}
		return json_fail(p, p->pos, is_object ?
		    "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int
json_parse_value(struct risk_json_parser *p, struct risk_json *v, int depth)
{
	json_skip_ws(p);
	v->offset = p->pos;
	if (depth > RISK_JSON_MAX_DEPTH)
		return json_fail(p, p->pos, "nested too deeply");
	if (p->pos >= p->len)
		return json_fail(p, p->pos, "unexpected end of input");
	switch (p->text[p->pos]) {
	case '{':
		return json_parse_container(p, v, depth, 1);
	case '[':
		return json_parse_container(p, v, depth, 0);
	case '"':
		v->type = RISK_JSON_STRING;
		return json_parse_string(p, &v->str, &v->strlen);
	case 't':
		v->type = RISK_JSON_TRUE;
		return json_expect_word(p, "true");
	case 'f':
		v->type = RISK_JSON_FALSE;
		return json_expect_word(p, "false");
	case 'n':
		v->type = RISK_JSON_NULL;
		return json_expect_word(p, "null");
	case 'N':
	case 'I':
	default:
		return json_parse_number(p, v);
	}
}

enum ld_status
risk_json_parse(const char *text, size_t len, const char *origin,
    struct risk_json **out, struct ld_err *err)
{
	struct risk_json_parser	 p;
	struct risk_json	*v;
	locale_t		 c_loc, old = (locale_t)0;

	*out = NULL;
	memset(&p, 0, sizeof p);
	p.text = text;
	p.len = len;
	p.origin = origin;
	p.err = err;
	v = ld_calloc(1, sizeof *v);
	/* JSON numbers use '.', whatever locale the program runs in. */
	c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c_loc != (locale_t)0)
		old = uselocale(c_loc);
	if (json_parse_value(&p, v, 0) == 0) {
		json_skip_ws(&p);
		if (p.pos != p.len)
			json_fail(&p, p.pos, "trailing data after the value");
	}
	if (c_loc != (locale_t)0) {
		uselocale(old);
		freelocale(c_loc);
	}
	if (p.failed) {
		risk_json_free(v);
		return LD_EINVAL;
	}
	*out = v;
	return LD_OK;
}

static void
json_value_free(struct risk_json *v)
{
	size_t	 i;

	for (i = 0; i < v->n; i++)
		json_value_free(&v->items[i]);
	free(v->items);
	free(v->key);
	free(v->str);
}

void
risk_json_free(struct risk_json *v)
{
	if (v == NULL)
		return;
	json_value_free(v);
	free(v);
}

const struct risk_json *
risk_json_get(const struct risk_json *v, const char *key)
{
	size_t	 i;

	if (v == NULL || v->type != RISK_JSON_OBJECT)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->items[i].key, key) == 0)
			return &v->items[i];
	return NULL;
}
