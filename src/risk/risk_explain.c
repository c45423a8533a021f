#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "risk_explain.h"

#define CONTRIB_MAX 4096

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
	size_t *order, i, j, k;

	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	order = ld_calloc(n > 0 ? n : 1, sizeof *order);
	/* Stable insertion sort on |phi| descending; NAN sorts last. */
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
