#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "ld_sql.h"

static void
refuse(struct ld_sql *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
refuse(struct ld_sql *q, const char *fmt, ...)
{
	va_list ap;

	if (q->st != LD_OK)
		return;
	q->st = LD_EINTERNAL;
	va_start(ap, fmt);
	vsnprintf(q->why, sizeof q->why, fmt, ap);
	va_end(ap);
}

static void
put(struct ld_sql *q, const char *s, size_t n)
{
	if (q->st == LD_OK && ld_buf_append(&q->text, s, n) != LD_OK)
		refuse(q, "statement text: out of room");
}

void
ld_sql_init(struct ld_sql *q, const char *text)
{
	memset(q, 0, sizeof *q);
	ld_buf_init(&q->text, 0);
	q->st = LD_OK;
	/* An empty buffer still reads as "". */
	put(q, "", 0);
	ld_sql_add(q, text);
}

void
ld_sql_free(struct ld_sql *q)
{
	int i;

	for (i = 0; i < q->n; i++)
		free(q->values[i]);
	ld_buf_free(&q->text);
	memset(q, 0, sizeof *q);
}

void
ld_sql_add(struct ld_sql *q, const char *text)
{
	ld_sql_addv(q, text, 0, NULL);
}

void
ld_sql_addv(struct ld_sql *q, const char *frag, int n,
    const char *const *values)
{
	unsigned used = 0;
	const char *p, *run;
	char num[16];
	int i, base = q->n;

	if (q->st != LD_OK)
		return;
	if (n < 0 || n > 9) {
		refuse(q, "\"%.60s\": %d values (a fragment takes 1 to 9)",
		    frag, n);
		return;
	}
	if (q->n + n > LD_SQL_MAX_PARAMS) {
		refuse(q, "\"%.60s\": more than %d parameters", frag,
		    LD_SQL_MAX_PARAMS);
		return;
	}
	/* Checked whole before anything is appended. */
	for (p = frag; *p != '\0'; p++) {
		if (*p != '$')
			continue;
		if (p[1] < '1' || p[1] > '0' + n ||
		    (p[2] >= '0' && p[2] <= '9')) {
			refuse(q, "\"%.60s\": '$' at %d names none of its %d "
			    "values", frag, (int)(p - frag), n);
			return;
		}
		used |= 1u << (p[1] - '1');
	}
	if (used != (1u << n) - 1) {
		refuse(q, "\"%.60s\": a value no '$' names", frag);
		return;
	}
	for (i = 0; i < n; i++) {
		q->values[q->n] = values[i] != NULL ? ld_strdup(values[i]) :
		    NULL;
		q->params[q->n] = q->values[q->n];
		q->n++;
	}
	for (run = p = frag; *p != '\0'; p++) {
		if (*p != '$')
			continue;
		put(q, run, (size_t)(p - run));
		snprintf(num, sizeof num, "$%d", base + (p[1] - '0'));
		put(q, num, strlen(num));
		run = p + 2;
		p++;
	}
	put(q, run, strlen(run));
}

void
ld_sql_add_i64(struct ld_sql *q, const char *frag, int64_t v)
{
	char text[24];

	snprintf(text, sizeof text, "%" PRId64, v);
	LD_SQL_ADD(q, frag, text);
}

void
ld_sql_pick(struct ld_sql *q, const char *const *names, size_t n, size_t i)
{
	if (i >= n || names[i] == NULL) {
		refuse(q, "name %zu is not one of the %zu allowed", i, n);
		return;
	}
	put(q, names[i], strlen(names[i]));
}

void
ld_sql_limit(struct ld_sql *q, size_t limit)
{
	char text[24];

	snprintf(text, sizeof text, "%zu", limit);
	LD_SQL_ADD(q, " LIMIT $1", text);
}

enum ld_status
ld_sql_check(const struct ld_sql *q, struct ld_err *err)
{
	if (q->st == LD_OK)
		return LD_OK;
	return ld_err_set(err, q->st, "building a statement: %s", q->why);
}

const char *
ld_sql_text(const struct ld_sql *q)
{
	return q->text.data != NULL ? q->text.data : "";
}

int
ld_sql_nparams(const struct ld_sql *q)
{
	return q->n;
}

const char *const *
ld_sql_params(const struct ld_sql *q)
{
	return q->params;
}
