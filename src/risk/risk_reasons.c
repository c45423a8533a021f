#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_utf8.h"
#include "risk_features.h"
#include "risk_reasons.h"

enum when { WHEN_ANY, WHEN_MISSING, WHEN_PRESENT };

struct entry {
	char *feature; /* "*" for the fallback */
	enum when when;
	char *code, *text_zh, *text_en;
	int line;
};

struct risk_reason_table {
	struct entry *v;
	size_t n, cap;
	const struct entry *fallback;
};

static void
entry_clear(struct entry *e)
{
	free(e->feature);
	free(e->code);
	free(e->text_zh);
	free(e->text_en);
}

void
risk_reason_table_free(struct risk_reason_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		entry_clear(&t->v[i]);
	free(t->v);
	free(t);
}

/* Characters (not bytes) in s[0..n), for columns in messages. */
static int
char_count(const char *s, size_t n)
{
	size_t i;
	int c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

static int
valid_code(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || n > 32 || s[0] < 'A' || s[0] > 'Z')
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static const char *const field_names[5] = {
	"feature", "when", "code", "text_zh", "text_en"
};

/* Parses one non-comment line into e; col_of(field) for messages. */
static enum ld_status
parse_line(const char *line, size_t len, const char *fname, int lineno,
    struct entry *e, struct ld_err *err)
{
	const char *f[5];
	size_t flen[5], nf = 0, i;
	const char *p = line, *end = line + len, *tab;
	int col;

	while (p <= end) {
		tab = memchr(p, '\t', (size_t)(end - p));
		if (tab == NULL)
			tab = end;
		if (nf == 5)
			return ld_err_set(err, LD_EINVAL,
			    "%s:%d:%d: more than 5 tab-separated fields",
			    fname, lineno, char_count(line,
			    (size_t)(p - line)) + 1);
		f[nf] = p;
		flen[nf++] = (size_t)(tab - p);
		p = tab + 1;
	}
	if (nf < 5)
		return ld_err_set(err, LD_EINVAL,
		    "%s:%d:%d: %zu fields; expected 5 separated by tabs "
		    "(feature, when, code, text_zh, text_en)", fname, lineno,
		    char_count(line, len) + 1, nf);
	for (i = 0; i < 5; i++) {
		col = char_count(line, (size_t)(f[i] - line)) + 1;
		if (flen[i] == 0)
			return ld_err_set(err, LD_EINVAL,
			    "%s:%d:%d: %s is empty", fname, lineno, col,
			    field_names[i]);
		if (ld_utf8_check(f[i], flen[i], LD_UTF8_NO_CONTROL, NULL,
		    NULL) != LD_UTF8_OK)
			return ld_err_set(err, LD_EINVAL,
			    "%s:%d:%d: %s has invalid UTF-8 or a control "
			    "character", fname, lineno, col, field_names[i]);
	}
	e->feature = ld_strndup(f[0], flen[0]);
	if (strcmp(e->feature, "*") != 0 &&
	    risk_feature_find(e->feature) == NULL)
		return ld_err_set(err, LD_EINVAL,
		    "%s:%d:1: unknown feature '%s'", fname, lineno,
		    e->feature);
	col = char_count(line, (size_t)(f[1] - line)) + 1;
	if (flen[1] == 3 && memcmp(f[1], "any", 3) == 0)
		e->when = WHEN_ANY;
	else if (flen[1] == 7 && memcmp(f[1], "missing", 7) == 0)
		e->when = WHEN_MISSING;
	else if (flen[1] == 7 && memcmp(f[1], "present", 7) == 0)
		e->when = WHEN_PRESENT;
	else
		return ld_err_set(err, LD_EINVAL,
		    "%s:%d:%d: when must be any, missing or present", fname,
		    lineno, col);
	if (strcmp(e->feature, "*") == 0 && e->when != WHEN_ANY)
		return ld_err_set(err, LD_EINVAL,
		    "%s:%d:%d: the fallback '*' takes when 'any'", fname,
		    lineno, col);
	col = char_count(line, (size_t)(f[2] - line)) + 1;
	if (!valid_code(f[2], flen[2]))
		return ld_err_set(err, LD_EINVAL,
		    "%s:%d:%d: code must match [A-Z][A-Z0-9_]{1,31}", fname,
		    lineno, col);
	e->code = ld_strndup(f[2], flen[2]);
	e->text_zh = ld_strndup(f[3], flen[3]);
	e->text_en = ld_strndup(f[4], flen[4]);
	e->line = lineno;
	return LD_OK;
}

enum ld_status
risk_reason_table_parse(const char *text, size_t len, const char *fname,
    struct risk_reason_table **out, struct ld_err *err)
{
	struct risk_reason_table *t;
	const char *p = text, *end = text + len, *nl;
	int lineno = 0;
	size_t i, n;
	struct entry e;
	enum ld_status st;

	*out = NULL;
	if (fname == NULL)
		fname = "reason codes";
	if (len > RISK_REASONS_TABLE_MAX_BYTES)
		return ld_err_set(err, LD_EINVAL, "%s: larger than %d bytes",
		    fname, RISK_REASONS_TABLE_MAX_BYTES);
	t = ld_calloc(1, sizeof *t);
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0 && p[0] != '#') {
			memset(&e, 0, sizeof e);
			st = parse_line(p, n, fname, lineno, &e, err);
			for (i = 0; st == LD_OK && i < t->n; i++)
				if (strcmp(t->v[i].feature, e.feature) == 0 &&
				    t->v[i].when == e.when)
					st = ld_err_set(err, LD_EINVAL,
					    "%s:%d:1: '%s' already has this "
					    "'when' at line %d", fname, lineno,
					    e.feature, t->v[i].line);
			if (st != LD_OK) {
				entry_clear(&e);
				risk_reason_table_free(t);
				return st;
			}
			if (t->n == t->cap) {
				t->cap = t->cap ? 2 * t->cap : 32;
				t->v = ld_reallocarray(t->v, t->cap,
				    sizeof *t->v);
			}
			t->v[t->n++] = e;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].feature, "*") == 0)
			t->fallback = &t->v[i];
	if (t->fallback == NULL) {
		risk_reason_table_free(t);
		return ld_err_set(err, LD_EINVAL,
		    "%s: no fallback entry (a line with feature '*')", fname);
	}
	*out = t;
	return LD_OK;
}

enum ld_status
risk_reason_table_load(const char *path, struct risk_reason_table **out,
    struct ld_err *err)
{
	struct ld_buf b;
	enum ld_status st;

	*out = NULL;
	ld_buf_init(&b, RISK_REASONS_TABLE_MAX_BYTES);
	if ((st = ld_buf_read_file(&b, path, err)) != LD_OK) {
		ld_buf_free(&b);
		return st;
	}
	st = risk_reason_table_parse(b.data != NULL ? b.data : "", b.len,
	    path, out, err);
	ld_buf_free(&b);
	return st;
}

static const struct entry *
find_entry(const struct risk_reason_table *t, const char *feature,
    double value, int have_value)
{
	const struct entry *any = NULL;
	enum when want = isnan(value) ? WHEN_MISSING : WHEN_PRESENT;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct entry *e = &t->v[i];

		if (strcmp(e->feature, feature) != 0)
			continue;
		if (e->when == WHEN_ANY)
			any = e;
		else if (have_value && e->when == want)
			return e;
	}
	return any != NULL ? any : t->fallback;
}

static void
fill(struct risk_reason *out, const struct entry *e, const char *feature,
    double value, double phi)
{
	out->code = e->code;
	out->feature = feature;
	out->text_zh = e->text_zh;
	out->text_en = e->text_en;
	out->value = value;
	out->phi = phi;
}

void
risk_reason_lookup(const struct risk_reason_table *t, const char *feature,
    double value, struct risk_reason *out)
{
	fill(out, find_entry(t, feature, value, 1), feature, value, 0);
}

size_t
risk_reasons_pick(const struct risk_reason_table *t,
    const char *const *names, const double *values, const double *phi,
    size_t n, size_t max, struct risk_reason *out)
{
	size_t got = 0, i, k, best;
	unsigned char *used;

	if (n == 0 || max == 0)
		return 0;
	used = ld_calloc(n, 1);
	/*
	 * Selection by repeated scans: n is a few dozen features and max is
	 * four, and it keeps ties on the lower index without a sort.
	 */
	while (got < max) {
		best = n;
		for (i = 0; i < n; i++) {
			if (used[i] || !(phi[i] > 0) || !isfinite(phi[i]))
				continue;
			if (best == n || phi[i] > phi[best])
				best = i;
		}
		if (best == n)
			break;
		used[best] = 1;
		{
			double v = values != NULL ? values[best] : NAN;
			const struct entry *e = find_entry(t, names[best], v,
			    values != NULL);

			for (k = 0; k < got; k++)
				if (strcmp(out[k].code, e->code) == 0)
					break;
			if (k < got)
				continue;
			fill(&out[got++], e, names[best], v, phi[best]);
		}
	}
	free(used);
	return got;
}
