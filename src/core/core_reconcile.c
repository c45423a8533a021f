/*
 * Reconciliation: the wxpay client fetches and checks the day's fund-flow
 * bill, this file turns its lines into what api.reconcile_run matches and
 * reads back the run it recorded.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core_reconcile.h"
#include "ld_alloc.h"
#include "ld_db.h"
#include "wxpay_bill.h"

long
core_reconcile_mismatches(const struct core_reconcile_result *r)
{
	return r->paid_there_not_here + r->succeeded_here_not_there +
	    r->amount_differs;
}

void
core_reconcile_result_free(struct core_reconcile_result *r)
{
	if (r == NULL)
		return;
	free(r->mismatches);
	memset(r, 0, sizeof *r);
}

/* "name": integer, exactly (no double on the way). */
static void
add_int(cJSON *o, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%" PRId64, v);
	cJSON_AddRawToObject(o, name, buf);
}

/* What api.reconcile_run takes: one object per line of the file. */
static char *
lines_json(const struct wx_fundflow *f)
{
	cJSON *a = cJSON_CreateArray();
	char *text, *out;
	size_t i;

	for (i = 0; i < f->n; i++) {
		const struct wx_fundflow_line *l = &f->lines[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "wechat_no", l->wechat_no);
		cJSON_AddStringToObject(o, "flow_no", l->flow_no);
		if (l->voucher_no[0] != '\0')
			cJSON_AddStringToObject(o, "out_no", l->voucher_no);
		cJSON_AddStringToObject(o, "direction", l->out ? "out" : "in");
		add_int(o, "amount_fen", l->amount_fen);
		add_int(o, "balance_fen", l->balance_fen);
		cJSON_AddStringToObject(o, "booked_at", l->booked_at);
		cJSON_AddStringToObject(o, "business_name", l->business_name);
		cJSON_AddStringToObject(o, "business_type", l->business_type);
		add_int(o, "line", (int64_t)l->line);
		cJSON_AddItemToArray(a, o);
	}
	text = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	if (text == NULL)
		ld_out_of_memory("reconciliation lines");
	out = ld_strdup(text);
	cJSON_free(text);
	return out;
}

static long
num(const cJSON *o, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(j) ? (long)j->valuedouble : 0;
}

static int64_t
num64(const cJSON *o, const char *name, int64_t none)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(j) ? (int64_t)j->valuedouble : none;
}

static void
str(const cJSON *o, const char *name, char *dst, size_t cap)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	snprintf(dst, cap, "%s", cJSON_IsString(j) ? j->valuestring : "");
}

/* The run api.reconcile_run answered with, into res. */
static enum ld_status
run_read(const char *text, struct core_reconcile_result *res,
    struct ld_err *err)
{
	cJSON *o = cJSON_Parse(text);
	const cJSON *m, *a;
	size_t i = 0;

	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return ld_err_set(err, LD_EINTERNAL, "api.reconcile_run "
		    "answered something that is not a JSON object");
	}
	res->run_id = num64(o, "run_id", 0);
	res->supersedes = num64(o, "supersedes", 0);
	res->lines = num(o, "lines");
	res->matched = num(o, "matched");
	res->paid_there_not_here = num(o, "paid_there_not_here");
	res->succeeded_here_not_there = num(o, "succeeded_here_not_there");
	res->amount_differs = num(o, "amount_differs");
	res->reviews_opened = num(o, "reviews_opened");
	res->reviews_carried = num(o, "reviews_carried");
	res->reviews_closed = num(o, "reviews_closed");
	a = cJSON_GetObjectItemCaseSensitive(o, "mismatches");
	res->nmismatches = (size_t)cJSON_GetArraySize(a);
	res->mismatches = ld_calloc(res->nmismatches + 1,
	    sizeof *res->mismatches);
	cJSON_ArrayForEach(m, a) {
		struct core_reconcile_mismatch *x = &res->mismatches[i++];

		str(m, "kind", x->kind, sizeof x->kind);
		str(m, "out_bill_no", x->out_bill_no, sizeof x->out_bill_no);
		str(m, "wechat_no", x->wechat_no, sizeof x->wechat_no);
		x->our_fen = num64(m, "our_amount_fen", -1);
		x->their_fen = num64(m, "their_amount_fen", -1);
		x->payout_id = num64(m, "payout_id", 0);
		x->review_id = num64(m, "review_id", 0);
	}
	cJSON_Delete(o);
	return LD_OK;
}

static enum ld_status
run(struct ld_db *db, struct core_reconcile_result *res, const char *lines,
    struct ld_err *err)
{
	const char *p[4] = { res->bill_date, res->account_type,
		res->file_sha1[0] != '\0' ? res->file_sha1 : NULL, lines };
	PGresult *r;
	enum ld_status st;

	if ((st = ld_db_exec(db, "SELECT api.reconcile_run($1::date, $2, $3, "
	    "$4::jsonb)", 4, p, &r, err)) != LD_OK)
		return st;
	st = run_read(PQgetvalue(r, 0, 0), res, err);
	PQclear(r);
	return st;
}

/*
 * Records a file that could not be trusted, and returns why (status and
 * message of why) unless recording it failed.
 */
static enum ld_status
refuse(struct ld_db *db, struct core_reconcile_result *res,
    const struct ld_err *why, struct ld_err *err)
{
	const char *p[3] = { res->bill_date, res->account_type, why->msg };
	struct ld_err dberr;
	PGresult *r;

	ld_err_clear(&dberr);
	if (ld_db_exec(db, "SELECT api.reconcile_refuse($1::date, $2, $3)", 3,
	    p, &r, &dberr) != LD_OK)
		return ld_err_set(err, dberr.code, "%s; recording the refusal "
		    "failed too: %s", why->msg, dberr.msg);
	res->run_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	res->refused = 1;
	return ld_err_set(err, why->code, "%s", why->msg);
}

enum ld_status
core_reconcile_day(struct ld_db *db, struct wx_client *wx,
    const char *bill_date, const char *account_type,
    struct core_reconcile_result *res, struct ld_err *err)
{
	struct wx_fundflow_ref ref;
	enum wx_fundflow_state state;
	struct wx_fundflow f;
	struct wx_answer ans;
	struct ld_err why;
	enum ld_status st;
	char *data = NULL, *lines;
	size_t len = 0;

	memset(res, 0, sizeof *res);
	memset(&f, 0, sizeof f);
	snprintf(res->bill_date, sizeof res->bill_date, "%s",
	    bill_date != NULL ? bill_date : "");
	snprintf(res->account_type, sizeof res->account_type, "%s",
	    account_type != NULL ? account_type : "OPERATION");
	st = wx_fundflow_apply(wx, res->bill_date, res->account_type, &ref,
	    &state, &ans, err);
	if (st != LD_OK) {
		wx_answer_free(&ans);
		return st;
	}
	if (state == WX_FUNDFLOW_NOT_YET || state == WX_FUNDFLOW_REFUSED) {
		st = ld_err_set(err, state == WX_FUNDFLOW_NOT_YET ?
		    LD_ECONFLICT : LD_EINVAL, "fund-flow bill of %s %s: WeChat "
		    "Pay answered HTTP %ld %s%s%s%s", res->bill_date,
		    res->account_type, ans.http_status, ans.code,
		    ans.message[0] != '\0' ? " (" : "", ans.message,
		    ans.message[0] != '\0' ? ")" : "");
		if (state == WX_FUNDFLOW_NOT_YET)
			ld_err_prefix(err, "not made yet (WeChat Pay makes a "
			    "day's bill from 09:00 Beijing time the next day): ");
		wx_answer_free(&ans);
		return st;
	}
	wx_answer_free(&ans);
	if (state == WX_FUNDFLOW_NONE) {
		res->no_statement = 1;
		return run(db, res, "[]", err);
	}
	ld_err_clear(&why);
	st = wx_fundflow_download(wx, &ref, &data, &len, &ans, &why);
	wx_answer_free(&ans);
	if (st == LD_ECRYPTO)
		return refuse(db, res, &why, err);
	if (st != LD_OK)
		return ld_err_set(err, st, "%s", why.msg);
	wx_sha1_hex(data, len, res->file_sha1);
	st = wx_fundflow_parse(data, len, res->bill_date, &f, &why);
	free(data);
	if (st != LD_OK) {
		ld_err_prefix(&why, "SHA1 %s: ", res->file_sha1);
		return refuse(db, res, &why, err);
	}
	lines = lines_json(&f);
	wx_fundflow_free(&f);
	st = run(db, res, lines, err);
	free(lines);
	return st;
}
