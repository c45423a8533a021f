/*
 * The borrower's explanation of a decision: see core_explain.h.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core_explain.h"
#include "core_query.h"
#include "ld_alloc.h"
#include "ld_db.h"
#include "risk_explain.h"

int
core_lang_parse(const char *s)
{
	if (s != NULL && strcmp(s, "zh") == 0)
		return CORE_LANG_ZH;
	if (s != NULL && strcmp(s, "en") == 0)
		return CORE_LANG_EN;
	return -1;
}

static const char explain_sql[] =
    "SELECT a.status, a.recommendation, a.decided_at IS NULL, "
    "to_char(coalesce(a.decided_at, s.scored_at), "
    "'YYYY-MM-DD HH24:MI \"(UTC\"OF\")\"'), a.decision_reason, "
    "s.contributions::text, s.rules_hit::text, "
    "(SELECT array_to_string(array_agg(code ORDER BY code), ' ') "
    "FROM decision_reasons WHERE NOT disclosed), "
    "r.disclosed, r.text_zh, r.text_en "
    "FROM applications a "
    "LEFT JOIN scores s ON s.id = a.score_id "
    "LEFT JOIN decision_reasons r ON r.code = a.decision_reason "
    "WHERE a.id = $1";

/* Whether code is in the space-separated list of codes not told. */
static int
withheld_code(const char *untold, const char *code)
{
	size_t n = strlen(code);
	const char *p = untold;

	while ((p = strstr(p, code)) != NULL) {
		if ((p == untold || p[-1] == ' ') && (p[n] == ' ' ||
		    p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static int
add_reason(struct core_explanation *x, const char *code, const char *text)
{
	struct core_explain_reason *r;

	if (x->nreasons >= sizeof x->reasons / sizeof x->reasons[0])
		return 0;
	r = &x->reasons[x->nreasons++];
	snprintf(r->code, sizeof r->code, "%s", code);
	snprintf(r->text, sizeof r->text, "%s", text);
	return 1;
}

/* The part of a rule's "中文 / English" text in lang. */
static void
rule_text(const char *text, enum core_lang lang, char *out, size_t len)
{
	const char *sep = strstr(text, " / ");

	if (sep == NULL)
		snprintf(out, len, "%s", text);
	else if (lang == CORE_LANG_ZH)
		snprintf(out, len, "%.*s", (int)(sep - text), text);
	else
		snprintf(out, len, "%s", sep + 3);
}

/*
 * A rule is told when every input it read maps to a told code: a rule on
 * the device's shared use is a fraud signal as the feature is.
 */
static int
rule_told(const struct risk_reason_table *t, const cJSON *inputs,
    const char *untold)
{
	const cJSON *in;
	struct risk_reason rr;

	cJSON_ArrayForEach(in, inputs) {
		risk_reason_lookup(t, in->string, cJSON_IsNumber(in) ?
		    in->valuedouble : NAN, &rr);
		if (withheld_code(untold, rr.code))
			return 0;
	}
	return 1;
}

/* The reject rules that fired, told ones as reasons; how many fired. */
static enum ld_status
rule_reasons(const struct risk_reason_table *t, const char *json,
    const char *untold, enum core_lang lang, struct core_explanation *x,
    size_t *fired, struct ld_err *err)
{
	cJSON *arr = cJSON_Parse(json), *h;
	char text[640];

	*fired = 0;
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return ld_err_set(err, LD_EPROTO, "application %" PRId64
		    ": rules_hit is not a JSON array", x->id);
	}
	cJSON_ArrayForEach(h, arr) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(h, "id");
		const cJSON *act = cJSON_GetObjectItemCaseSensitive(h,
		    "action");
		const cJSON *txt = cJSON_GetObjectItemCaseSensitive(h, "text");

		if (!cJSON_IsString(id) || !cJSON_IsString(act) ||
		    !cJSON_IsString(txt)) {
			cJSON_Delete(arr);
			return ld_err_set(err, LD_EPROTO, "application %"
			    PRId64 ": a rule hit lacks its id, action or text",
			    x->id);
		}
		if (strcmp(act->valuestring, "reject") != 0)
			continue;
		(*fired)++;
		if (!rule_told(t, cJSON_GetObjectItemCaseSensitive(h,
		    "inputs"), untold)) {
			x->withheld++;
			continue;
		}
		rule_text(txt->valuestring, lang, text, sizeof text);
		add_reason(x, id->valuestring, text);
	}
	cJSON_Delete(arr);
	return LD_OK;
}

/*
 * The model's principal reasons from the stored contributions (sorted by
 * |phi|, ties in model order, so the pick's ties fall as the worker's).
 */
static enum ld_status
model_reasons(const struct risk_reason_table *t, const char *json,
    const char *untold, enum core_lang lang, struct core_explanation *x,
    struct ld_err *err)
{
	struct risk_contribution *c = NULL;
	struct risk_reason rs[RISK_REASONS_DEFAULT];
	const char **names;
	double *values, *phi;
	size_t n = 0, i, got;
	enum ld_status st;

	st = risk_explain_parse_contributions(json, &c, &n, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "application %" PRId64 ": ", x->id);
	names = ld_calloc(n + 1, sizeof *names);
	values = ld_calloc(n + 1, sizeof *values);
	phi = ld_calloc(n + 1, sizeof *phi);
	for (i = 0; i < n; i++) {
		names[i] = c[i].feature;
		values[i] = c[i].value;
		phi[i] = c[i].phi;
	}
	got = risk_reasons_pick(t, names, values, phi, n,
	    RISK_REASONS_DEFAULT, rs);
	for (i = 0; i < got; i++) {
		if (withheld_code(untold, rs[i].code)) {
			x->withheld++;
			continue;
		}
		add_reason(x, rs[i].code, lang == CORE_LANG_ZH ?
		    rs[i].text_zh : rs[i].text_en);
	}
	free(names);
	free(values);
	free(phi);
	free(c);
	return LD_OK;
}

static void
review_text(struct core_explanation *x, enum core_lang lang)
{
	if (lang == CORE_LANG_ZH)
		snprintf(x->review, sizeof x->review, "您有权要求我们说明本决定，"
		    "并可拒绝仅通过自动化决策作出的决定：请联系客服并提供申请编号 %"
		    PRId64 "，申请人工复核。", x->id);
	else
		snprintf(x->review, sizeof x->review, "You may ask us to explain "
		    "this decision, and refuse a decision made solely by "
		    "automated means: contact customer service with application "
		    "number %" PRId64 " to have it reviewed by a person.", x->id);
}

enum ld_status
core_explain(struct ld_db *db, const struct risk_reason_table *t, int64_t id,
    enum core_lang lang, struct core_explanation *x, struct ld_err *err)
{
	char idtext[32];
	const char *params[1] = { idtext };
	PGresult *res = NULL;
	enum ld_status st;
	const char *status, *untold;
	size_t fired = 0;

	memset(x, 0, sizeof *x);
	x->id = id;
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	st = ld_db_exec(db, explain_sql, 1, params, &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "explain %s: ", idtext);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ld_err_set(err, LD_ENOTFOUND, "explain %s: no such "
		    "application", idtext);
	}
	status = core_val(res, 0, 0);
	untold = core_val(res, 0, 7);
	snprintf(x->status, sizeof x->status, "%s", status);
	review_text(x, lang);
	if (strcmp(status, "approved") == 0 ||
	    strcmp(status, "auto_approved") == 0)
		x->outcome = CORE_EXPLAIN_APPROVED;
	else if (strcmp(status, "rejected") == 0 ||
	    strcmp(status, "auto_rejected") == 0)
		x->outcome = CORE_EXPLAIN_REJECTED;
	else {
		x->outcome = CORE_EXPLAIN_PENDING;
		PQclear(res);
		return LD_OK;
	}
	x->automated = strncmp(status, "auto_", 5) == 0;
	snprintf(x->decided_at, sizeof x->decided_at, "%s",
	    core_val(res, 0, 3));
	if (!x->automated) {
		/* A person's reason, when it is one the applicant is told. */
		if (x->outcome == CORE_EXPLAIN_REJECTED &&
		    !core_val_null(res, 0, 4)) {
			if (strcmp(core_val(res, 0, 8), "t") == 0)
				add_reason(x, core_val(res, 0, 4),
				    core_val(res, 0, lang == CORE_LANG_ZH ?
				    9 : 10));
			else
				x->withheld++;
		}
		PQclear(res);
		return LD_OK;
	}
	if (x->outcome == CORE_EXPLAIN_REJECTED) {
		if (core_val_null(res, 0, 5)) {
			PQclear(res);
			return ld_err_set(err, LD_EPROTO, "explain %s: "
			    "auto_rejected without a score", idtext);
		}
		st = rule_reasons(t, core_val(res, 0, 6), untold, lang, x,
		    &fired, err);
		/* No reject rule: the model's probability decided. */
		if (st == LD_OK && fired == 0)
			st = model_reasons(t, core_val(res, 0, 5), untold,
			    lang, x, err);
		if (st == LD_OK && (x->withheld > 0 || x->nreasons == 0)) {
			struct risk_reason other;

			risk_reason_lookup(t, "*", NAN, &other);
			add_reason(x, other.code, lang == CORE_LANG_ZH ?
			    other.text_zh : other.text_en);
		}
	}
	PQclear(res);
	return st;
}

void
core_explain_text(const struct core_explanation *x, enum core_lang lang,
    char *buf, size_t len)
{
	size_t o = 0, i;
	int n;

#define PUT(...)                                                        \
	do {                                                            \
		n = snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__); \
		if (n > 0)                                              \
			o += (size_t)n;                                 \
	} while (0)

	if (len == 0)
		return;
	buf[0] = '\0';
	if (lang == CORE_LANG_ZH) {
		PUT("申请编号 %" PRId64 "：", x->id);
		if (x->outcome == CORE_EXPLAIN_PENDING) {
			PUT("您的借款申请正在审核中，尚未作出决定。\n");
			goto out;
		}
		PUT("您的借款申请%s。\n", x->outcome == CORE_EXPLAIN_APPROVED ?
		    "已获批准" : "未获批准");
		PUT("本决定由%s作出（%s）。", x->automated ? "系统自动" :
		    "工作人员", x->decided_at);
		if (x->nreasons > 0)
			PUT("主要原因：\n");
		else
			PUT("\n");
		for (i = 0; i < x->nreasons; i++)
			PUT("  %zu. %s\n", i + 1, x->reasons[i].text);
	} else {
		PUT("Application %" PRId64 ": ", x->id);
		if (x->outcome == CORE_EXPLAIN_PENDING) {
			PUT("your loan application is being reviewed; no "
			    "decision has been made yet.\n");
			goto out;
		}
		PUT("your loan application was %s.\n", x->outcome ==
		    CORE_EXPLAIN_APPROVED ? "approved" : "declined");
		PUT("This decision was made %s on %s.", x->automated ?
		    "by automated means" : "by a member of our staff",
		    x->decided_at);
		if (x->nreasons > 0)
			PUT(" The main reasons:\n");
		else
			PUT("\n");
		for (i = 0; i < x->nreasons; i++)
			PUT("  %zu. %s\n", i + 1, x->reasons[i].text);
	}
	if (x->automated)
		PUT("%s\n", x->review);
out:
	if (o >= len)
		buf[len - 1] = '\0';
#undef PUT
}
