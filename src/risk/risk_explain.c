#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "risk_explain.h"

#define CONTRIB_MAX 4096

static void contribution_order(const double *, size_t, size_t *);

/* A number, or null for NAN and infinities (JSON has neither). */
static cJSON *
number_or_null(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* Adds item to obj under key; frees item and returns -1 on failure. */
static int
put(cJSON *obj, const char *key, cJSON *item)
{
	if (item == NULL)
		return -1;
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

/* Appends item; on failure the caller still owns item. */
static int
push(cJSON *arr, cJSON *item)
{
	return cJSON_AddItemToArray(arr, item) ? 0 : -1;
}

cJSON *
risk_explain_contributions(const char *const *names, const double *values,
    const double *phi, const double *points, size_t n)
{
	cJSON *arr, *o;
	size_t *order, i, k;

	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	order = ld_calloc(n > 0 ? n : 1, sizeof *order);
	/* Stable insertion sort on |phi| descending; NAN sorts last. */
	contribution_order(phi, n, order);
	for (i = 0; i < n; i++) {
		k = order[i];
		if ((o = cJSON_CreateObject()) == NULL ||
		    put(o, "feature", cJSON_CreateString(names[k])) != 0 ||
		    put(o, "value", number_or_null(values != NULL ?
		    values[k] : NAN)) != 0 ||
		    put(o, "phi", number_or_null(phi[k])) != 0 ||
		    put(o, "points", number_or_null(points != NULL ?
		    points[k] : NAN)) != 0 ||
		    push(arr, o) != 0) {
			cJSON_Delete(o);
			cJSON_Delete(arr);
			free(order);
			return NULL;
		}
	}
	free(order);
	return arr;
}

cJSON *
risk_explain_rules_hit(const struct risk_rule_hits *hits)
{
	cJSON *arr, *o = NULL, *in;
	size_t i, j;

	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; hits != NULL && i < hits->n; i++) {
		const struct risk_rule_hit *h = &hits->v[i];

		if ((o = cJSON_CreateObject()) == NULL ||
		    put(o, "id", cJSON_CreateString(h->id)) != 0 ||
		    put(o, "version", cJSON_CreateNumber(h->version)) != 0 ||
		    put(o, "action", cJSON_CreateString(
		    risk_action_name(h->action))) != 0 ||
		    (h->override != RISK_OVERRIDE_NONE && put(o, "override",
		    cJSON_CreateString(risk_override_name(h->override))) !=
		    0) ||
		    put(o, "text", cJSON_CreateString(h->text)) != 0 ||
		    put(o, "inputs", in = cJSON_CreateObject()) != 0)
			goto fail;
		for (j = 0; j < h->ninputs; j++)
			if (put(in, h->inputs[j].feature,
			    number_or_null(h->inputs[j].value)) != 0)
				goto fail;
		if (push(arr, o) != 0)
			goto fail;
	}
	return arr;
fail:
	cJSON_Delete(o);
	cJSON_Delete(arr);
	return NULL;
}

cJSON *
risk_explain_reasons(const struct risk_reason *r, size_t n)
{
	cJSON *arr, *o;
	size_t i;

	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((o = cJSON_CreateObject()) == NULL ||
		    put(o, "code", cJSON_CreateString(r[i].code)) != 0 ||
		    put(o, "feature", cJSON_CreateString(r[i].feature)) != 0 ||
		    put(o, "text_zh", cJSON_CreateString(r[i].text_zh)) != 0 ||
		    put(o, "text_en", cJSON_CreateString(r[i].text_en)) != 0 ||
		    push(arr, o) != 0) {
			cJSON_Delete(o);
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

/* Integers below 1e15 in magnitude: digits without printf. */
static int
put_integer(struct ld_buf *b, double v)
{
	char num[24], *q = num + sizeof num;
	unsigned long long u;
	int neg;

	if (v != floor(v) || fabs(v) >= 1e15)
		return 0;
	neg = v < 0;
	u = (unsigned long long)(neg ? -v : v);
	*--q = '\0';
	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (neg)
		*--q = '-';
	ld_buf_puts(b, q);
	return 1;
}

void
risk_json_put_number(struct ld_buf *b, double v)
{
	char num[40];

	if (!isfinite(v)) {
		ld_buf_puts(b, "null");
		return;
	}
	if (put_integer(b, v))
		return;
	/* The shorter form when it reads back the same, as cJSON does. */
	snprintf(num, sizeof num, "%.15g", v);
	if (strtod(num, NULL) != v)
		snprintf(num, sizeof num, "%.17g", v);
	ld_buf_puts(b, num);
}

/* Exact powers of ten (every one up to 1e22 is a double). */
static const double pow10_tab[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* round(a * 10^k) for |k| <= 22, one correctly rounded operation. */
static double
scaled(double a, int k)
{
	return k >= 0 ? nearbyint(a * pow10_tab[k]) :
	    nearbyint(a / pow10_tab[-k]);
}

/*
 * "%.9g" without printf.  The scaling is one correctly rounded multiply
 * or divide, so the 9 digits are those of printf except, rarely, a last
 * digit off by one at a tie; that still reads back as the same float
 * (9 digits resolve 1e-8 relative, a float's half step is at least 3e-8).
 */
void
risk_json_put_g9(struct ld_buf *b, double v)
{
	char out[40], dig[10];
	double a, m;
	int e, i, nd, k;
	size_t o = 0;

	if (!isfinite(v)) {
		ld_buf_puts(b, "null");
		return;
	}
	if (fabs(v) < 1e9 && put_integer(b, v))
		return;
	a = fabs(v);
	e = (int)floor(log10(a));
	if (e > 30 || e < -14) {
		snprintf(out, sizeof out, "%.9g", v);
		ld_buf_puts(b, out);
		return;
	}
	m = scaled(a, 8 - e);
	if (m >= 1e9) {
		e++;
		m = scaled(a, 8 - e);
	} else if (m < 1e8) {
		e--;
		m = scaled(a, 8 - e);
	}
	if (m >= 1e9) {		/* 999999999.6 rounded up */
		e++;
		m = 1e8;
	}
	{
		unsigned long u = (unsigned long)m;

		for (i = 8; i >= 0; i--) {
			dig[i] = (char)('0' + u % 10);
			u /= 10;
		}
	}
	for (nd = 9; nd > 1 && dig[nd - 1] == '0'; nd--)
		;
	if (v < 0)
		out[o++] = '-';
	if (e < -4 || e >= 9) {
		/* d.ddde-05, as printf's %g */
		out[o++] = dig[0];
		if (nd > 1) {
			out[o++] = '.';
			for (i = 1; i < nd; i++)
				out[o++] = dig[i];
		}
		snprintf(out + o, sizeof out - o, "e%c%02d", e < 0 ? '-' : '+',
		    e < 0 ? -e : e);
		ld_buf_puts(b, out);
		return;
	}
	if (e < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (k = -1; k > e; k--)
			out[o++] = '0';
		for (i = 0; i < nd; i++)
			out[o++] = dig[i];
	} else {
		for (i = 0; i <= e; i++)
			out[o++] = i < nd ? dig[i] : '0';
		if (nd > e + 1) {
			out[o++] = '.';
			for (; i < nd; i++)
				out[o++] = dig[i];
		}
	}
	out[o] = '\0';
	ld_buf_puts(b, out);
}

void
risk_json_put_string(struct ld_buf *b, const char *s)
{
	const char *run = s;
	char esc[8];

	ld_buf_puts(b, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		ld_buf_append(b, run, (size_t)(s - run));
		if (ch == '"' || ch == '\\')
			snprintf(esc, sizeof esc, "\\%c", ch);
		else
			snprintf(esc, sizeof esc, "\\u%04x", ch);
		ld_buf_puts(b, esc);
		run = s + 1;
	}
	ld_buf_append(b, run, (size_t)(s - run));
	ld_buf_puts(b, "\"");
}

/* The order of risk_explain_contributions(): |phi| descending, stable. */
static void
contribution_order(const double *phi, size_t n, size_t *order)
{
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		double a = isfinite(phi[i]) ? fabs(phi[i]) : -1;

		for (j = i; j > 0; j--) {
			k = order[j - 1];
			if ((isfinite(phi[k]) ? fabs(phi[k]) : -1) >= a)
				break;
			order[j] = k;
		}
		order[j] = i;
	}
}

void
risk_explain_contributions_text(struct ld_buf *b, const char *const *names,
    const double *values, const double *phi, const double *points, size_t n)
{
	size_t small[64], *order = small, i, k;

	if (n > sizeof small / sizeof small[0])
		order = ld_calloc(n, sizeof *order);
	contribution_order(phi, n, order);
	ld_buf_puts(b, "[");
	for (i = 0; i < n; i++) {
		k = order[i];
		ld_buf_puts(b, i ? ",{\"feature\":" : "{\"feature\":");
		risk_json_put_string(b, names[k]);
		ld_buf_puts(b, ",\"value\":");
		risk_json_put_number(b, values != NULL ? values[k] : NAN);
		ld_buf_puts(b, ",\"phi\":");
		risk_json_put_g9(b, phi[k]);
		ld_buf_puts(b, ",\"points\":");
		risk_json_put_g9(b, points != NULL ? points[k] : NAN);
		ld_buf_puts(b, "}");
	}
	ld_buf_puts(b, "]");
	if (order != small)
		free(order);
}

void
risk_explain_reasons_text(struct ld_buf *b, const struct risk_reason *r,
    size_t n)
{
	size_t i;

	ld_buf_puts(b, "[");
	for (i = 0; i < n; i++) {
		ld_buf_puts(b, i ? ",{\"code\":" : "{\"code\":");
		risk_json_put_string(b, r[i].code);
		ld_buf_puts(b, ",\"feature\":");
		risk_json_put_string(b, r[i].feature);
		ld_buf_puts(b, ",\"text_zh\":");
		risk_json_put_string(b, r[i].text_zh);
		ld_buf_puts(b, ",\"text_en\":");
		risk_json_put_string(b, r[i].text_en);
		ld_buf_puts(b, "}");
	}
	ld_buf_puts(b, "]");
}

/* The number at key, NAN for null; -1 for anything else. */
static int
read_number(const cJSON *o, const char *key, int nullable, double *v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (nullable && cJSON_IsNull(it)) {
		*v = NAN;
		return 0;
	}
	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
		return -1;
	*v = it->valuedouble;
	return 0;
}

enum ld_status
risk_explain_parse_contributions(const char *json,
    struct risk_contribution **out, size_t *n, struct ld_err *err)
{
	cJSON *arr;
	const cJSON *o, *f;
	struct risk_contribution *v;
	size_t i = 0, cnt;
	const char *bad = NULL;

	*out = NULL;
	*n = 0;
	if ((arr = cJSON_Parse(json)) == NULL || !cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return ld_err_set(err, LD_EPROTO,
		    "contributions: not a JSON array");
	}
	cnt = (size_t)cJSON_GetArraySize(arr);
	if (cnt > CONTRIB_MAX) {
		cJSON_Delete(arr);
		return ld_err_set(err, LD_EPROTO,
		    "contributions: %zu rows, more than %d", cnt, CONTRIB_MAX);
	}
	v = ld_calloc(cnt > 0 ? cnt : 1, sizeof *v);
	cJSON_ArrayForEach(o, arr) {
		f = cJSON_GetObjectItemCaseSensitive(o, "feature");
		if (!cJSON_IsObject(o))
			bad = "(element)";
		else if (!cJSON_IsString(f) || f->valuestring[0] == '\0' ||
		    strlen(f->valuestring) >= sizeof v[i].feature)
			bad = "feature";
		else if (read_number(o, "value", 1, &v[i].value) != 0)
			bad = "value";
		else if (read_number(o, "phi", 0, &v[i].phi) != 0)
			bad = "phi";
		else if (read_number(o, "points", 1, &v[i].points) != 0)
			bad = "points";
		if (bad != NULL) {
			free(v);
			cJSON_Delete(arr);
			return ld_err_set(err, LD_EPROTO,
			    "contributions[%zu]: bad or missing \"%s\"", i,
			    bad);
		}
		snprintf(v[i].feature, sizeof v[i].feature, "%s",
		    f->valuestring);
		i++;
	}
	cJSON_Delete(arr);
	*out = v;
	*n = i;
	return LD_OK;
}
