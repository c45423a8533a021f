/*
 * 商家转账到零钱 batches: POST /v3/transfer/batches and its queries
 * (docs/wxpay-api.md, "Batches: create"), for merchants still on that
 * product.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "wxpay_int.h"

#define BATCH_PATH "/v3/transfer/batches"
#define BATCH_MAX_DETAILS 1000

/* An answer not of the documented shape: outcome unknown. */
static enum ld_status
malformed(struct wx_answer *ans, struct ld_err *err, const char *why)
{
	char msg[sizeof ans->message];

	snprintf(msg, sizeof msg, "%s", why);
	wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER, msg);
	return ld_err_set(err, LD_EPROTO, "%s: malformed answer: %s",
	    ans->path, msg);
}

void
wx_batch_detail_free(struct wx_batch_detail *d)
{
	if (d == NULL)
		return;
	free(d->user_name);
	memset(d, 0, sizeof *d);
	d->transfer_amount = -1;
}

void
wx_batch_free(struct wx_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n_details; i++)
		wx_batch_detail_free(&b->details[i]);
	free(b->details);
	memset(b, 0, sizeof *b);
	b->total_amount = b->success_amount = b->fail_amount = -1;
}

enum ld_status
wx_batch_build(struct wx_client *c, const struct wx_batch_req *r, char **body,
    struct ld_err *err)
{
	const char *scene = r->transfer_scene_id != NULL ?
	    r->transfer_scene_id : c->scene_id;
	const char *notify = r->notify_url != NULL ? r->notify_url :
	    c->notify_url;
	cJSON *o = NULL, *list;
	int64_t total = 0;
	size_t i, named = 0;
	char *out, field[64];
	enum ld_status st;

	*body = NULL;
	if ((st = wx_check_no("out_batch_no", r->out_batch_no, 32, err)) !=
	    LD_OK || (st = wx_check_text("batch_name", r->batch_name, 32,
	    err)) != LD_OK || (st = wx_check_text("batch_remark",
	    r->batch_remark, 32, err)) != LD_OK)
		return st;
	if (r->n_details == 0 || r->n_details > BATCH_MAX_DETAILS)
		return ld_err_set(err, LD_EINVAL, "batch %s: %zu details, "
		    "allowed 1..%d", r->out_batch_no, r->n_details,
		    BATCH_MAX_DETAILS);
	if (notify != NULL && notify[0] != '\0' &&
	    (st = wx_http_check_notify_url(notify, err)) != LD_OK)
		return st;
	for (i = 0; i < r->n_details; i++) {
		const struct wx_batch_detail_req *d = &r->details[i];
		int has_name = d->user_name != NULL && d->user_name[0] != '\0';

		snprintf(field, sizeof field, "detail %zu out_detail_no",
		    i + 1);
		if ((st = wx_check_no(field, d->out_detail_no, 32, err)) !=
		    LD_OK)
			return st;
		snprintf(field, sizeof field, "detail %zu transfer_remark",
		    i + 1);
		if ((st = wx_check_text(field, d->remark, 32, err)) != LD_OK)
			return st;
		snprintf(field, sizeof field, "detail %zu openid", i + 1);
		if ((st = wx_check_text(field, d->openid, 64, err)) != LD_OK)
			return st;
		if (d->amount_fen <= 0 || d->amount_fen > INT64_MAX - total)
			return ld_err_set(err, LD_EINVAL, "detail %zu (%s): "
			    "amount %lld fen is not positive or overflows",
			    i + 1, d->out_detail_no,
			    (long long)d->amount_fen);
		/* docs/wxpay-api.md, "Batches: name rules". */
		if (has_name && d->amount_fen < 30)
			return ld_err_set(err, LD_EINVAL, "detail %zu (%s): "
			    "user_name is not allowed below 30 fen", i + 1,
			    d->out_detail_no);
		if (!has_name && d->amount_fen >= 200000)
			return ld_err_set(err, LD_EINVAL, "detail %zu (%s): "
			    "user_name is required from 200000 fen", i + 1,
			    d->out_detail_no);
		total += d->amount_fen;
		named += has_name;
	}
	if (named != 0 && named != r->n_details)
		return ld_err_set(err, LD_EINVAL, "batch %s: either all or "
		    "none of the details carry user_name (%zu of %zu do)",
		    r->out_batch_no, named, r->n_details);
	if (named != 0 && c->enc_key == NULL)
		return ld_err_set(err, LD_EINVAL, "user_name needs a platform "
		    "public key or certificate");

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "appid", c->appid);
	cJSON_AddStringToObject(o, "out_batch_no", r->out_batch_no);
	cJSON_AddStringToObject(o, "batch_name", r->batch_name);
	cJSON_AddStringToObject(o, "batch_remark", r->batch_remark);
	wx_json_add_int(o, "total_amount", total);
	wx_json_add_int(o, "total_num", (int64_t)r->n_details);
	list = cJSON_AddArrayToObject(o, "transfer_detail_list");
	for (i = 0; i < r->n_details; i++) {
		const struct wx_batch_detail_req *d = &r->details[i];
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "out_detail_no", d->out_detail_no);
		wx_json_add_int(e, "transfer_amount", d->amount_fen);
		cJSON_AddStringToObject(e, "transfer_remark", d->remark);
		cJSON_AddStringToObject(e, "openid", d->openid);
		cJSON_AddItemToArray(list, e);
		if (named != 0) {
			char *ct;

			if ((st = wx_check_text("user_name", d->user_name, 64,
			    err)) != LD_OK || (st = wx_rsa_oaep_encrypt_b64(
			    c->enc_key, d->user_name, &ct, err)) != LD_OK) {
				cJSON_Delete(o);
				return ld_err_prefix(err, "detail %zu: ",
				    i + 1);
			}
			cJSON_AddStringToObject(e, "user_name", ct);
			free(ct);
		}
	}
	if (scene != NULL && scene[0] != '\0')
		cJSON_AddStringToObject(o, "transfer_scene_id", scene);
	if (notify != NULL && notify[0] != '\0')
		cJSON_AddStringToObject(o, "notify_url", notify);
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	*body = ld_strdup(out);
	cJSON_free(out);
	return LD_OK;
}

/*
 * The batch head of a create answer (out_batch_no, batch_id, create_time,
 * batch_status, all required: docs/wxpay-api.md, "Batches: create") or of
 * a query's transfer_batch (identity, status and totals required; the rest
 * typed when present).  No batch_status is a malformed answer, not an
 * accepted one.
 */
static enum ld_status
batch_head_from_json(const cJSON *o, int query, struct wx_batch *b,
    struct ld_err *err)
{
	enum ld_status st = LD_OK;
	int64_t v;

#define F(name, req)							\
	if (st == LD_OK)						\
		st = wx_json_copy(o, #name, b->name, sizeof b->name,	\
		    (req) ? WX_REQUIRED : WX_OPTIONAL, err)
#define N(name, req)							\
	if (st == LD_OK)						\
		st = wx_json_int64(o, #name, &b->name,			\
		    (req) ? WX_REQUIRED : WX_OPTIONAL, err)
#define C(name, req)							\
	if (st == LD_OK && (st = wx_json_int64(o, #name, &v,		\
	    (req) ? WX_REQUIRED : WX_OPTIONAL, err)) == LD_OK)		\
		b->name = v <= LONG_MAX ? (long)v : -1
	F(out_batch_no, 1);
	F(batch_id, 1);
	F(batch_status, 1);
	F(close_reason, 0);
	F(create_time, !query);
	F(update_time, 0);
	N(total_amount, query);
	N(success_amount, 0);
	N(fail_amount, 0);
	C(total_num, query);
	C(success_num, 0);
	C(fail_num, 0);
#undef F
#undef N
#undef C
	/*
	 * What succeeded and what failed is part of the whole: counts or
	 * amounts beyond the totals are not a batch WeChat Pay could have.
	 * Each is below 2^53, so the sums cannot overflow.
	 */
	if (st == LD_OK && b->total_num >= 0 &&
	    (b->success_num > b->total_num || b->fail_num > b->total_num ||
	    (b->success_num >= 0 && b->fail_num >= 0 &&
	    b->success_num + b->fail_num > b->total_num)))
		st = ld_err_set(err, LD_EPROTO, "success_num %ld and fail_num "
		    "%ld exceed total_num %ld", b->success_num, b->fail_num,
		    b->total_num);
	if (st == LD_OK && b->total_amount >= 0 &&
	    (b->success_amount > b->total_amount ||
	    b->fail_amount > b->total_amount ||
	    (b->success_amount >= 0 && b->fail_amount >= 0 &&
	    b->success_amount + b->fail_amount > b->total_amount)))
		st = ld_err_set(err, LD_EPROTO, "success_amount %lld and "
		    "fail_amount %lld exceed total_amount %lld",
		    (long long)b->success_amount, (long long)b->fail_amount,
		    (long long)b->total_amount);
	if (st != LD_OK)
		return ld_err_prefix(err, "transfer batch: ");
	return LD_OK;
}

/*
 * One detail: a query's list entry (detail_id, out_detail_no,
 * detail_status) or the detail query's entity (every listed field but
 * fail_reason and user_name).
 */
static enum ld_status
detail_from_json(const cJSON *o, int full, struct wx_batch_detail *d,
    struct ld_err *err)
{
	const struct wx_code_class *f;
	enum ld_status st = LD_OK;

	wx_batch_detail_free(d);
#define F(name, req)							\
	if (st == LD_OK)						\
		st = wx_json_copy(o, #name, d->name, sizeof d->name,	\
		    (req) ? WX_REQUIRED : WX_OPTIONAL, err)
	F(out_detail_no, 1);
	F(detail_id, 1);
	F(detail_status, 1);
	F(fail_reason, 0);
	F(openid, full);
	F(initiate_time, full);
	F(update_time, full);
#undef F
	if (st == LD_OK)
		st = wx_json_int64(o, "transfer_amount", &d->transfer_amount,
		    full ? WX_REQUIRED : WX_OPTIONAL, err);
	if (st == LD_OK)
		st = wx_json_strdup(o, "user_name", &d->user_name, WX_OPTIONAL,
		    err);
	if (st == LD_OK && strcmp(d->detail_status, "SUCCESS") == 0 &&
	    d->fail_reason[0] != '\0')
		st = ld_err_set(err, LD_EPROTO, "detail_status SUCCESS with "
		    "fail_reason %s", d->fail_reason);
	if (st != LD_OK)
		return ld_err_prefix(err, "transfer detail: ");
	d->cls = wx_code_classify(WX_KIND_V3_DETAIL_STATUS, d->detail_status);
	if (strcmp(d->detail_status, "FAIL") == 0 && d->fail_reason[0]) {
		f = wx_code_classify(WX_KIND_V3_FAIL_REASON, d->fail_reason);
		if (wx_code_is_known(f))
			d->cls = f;
	}
	return LD_OK;
}

/* Classifies by batch_status, after checking the answer's identity. */
static enum ld_status
batch_answer(struct wx_batch *b, const char *want_out, const char *want_id,
    struct wx_answer *ans, struct ld_err *err)
{
	const char *bad = NULL;

	if (want_out != NULL && strcmp(b->out_batch_no, want_out) != 0)
		bad = "out_batch_no differs from the request";
	else if (want_id != NULL && strcmp(b->batch_id, want_id) != 0)
		bad = "batch_id differs from the request";
	if (bad != NULL)
		return malformed(ans, err, bad);
	wx_ans_classify(ans, WX_KIND_V3_BATCH_STATUS, b->batch_status,
	    b->close_reason[0] ? b->close_reason : NULL);
	return LD_OK;
}

enum ld_status
wx_batch_create(struct wx_client *c, const char *body, struct wx_batch *b,
    struct wx_answer *ans, struct ld_err *err)
{
	cJSON *req, *json;
	char want[64];
	enum ld_status st;

	memset(b, 0, sizeof *b);
	wx_batch_free(b);
	req = body != NULL ? cJSON_Parse(body) : NULL;
	st = wx_json_copy(req, "out_batch_no", want, sizeof want, WX_REQUIRED,
	    NULL);
	cJSON_Delete(req);
	if (st != LD_OK) {
		wx_ans_begin(ans, "POST", BATCH_PATH, body, body ?
		    strlen(body) : 0);
		ld_err_set(err, LD_EINVAL, "batch body has no out_batch_no "
		    "(build it with wx_batch_build)");
		return wx_ans_local(ans, err);
	}
	st = wx_v3_call(c, "POST", BATCH_PATH, body, ans, &json, err);
	if (ans->cls != NULL)
		return st;
	return wx_batch_create_answer(json, want, b, ans, err);
}

enum ld_status
wx_batch_create_answer(cJSON *json, const char *want, struct wx_batch *b,
    struct wx_answer *ans, struct ld_err *err)
{
	struct ld_err perr;
	enum ld_status st;

	if (json == NULL)
		return malformed(ans, err, "empty answer");
	ld_err_clear(&perr);
	st = batch_head_from_json(json, 0, b, &perr);
	cJSON_Delete(json);
	if (st != LD_OK)
		return malformed(ans, err, perr.msg);
	return batch_answer(b, want, NULL, ans, err);
}

enum ld_status
wx_batch_query(struct wx_client *c, int by_batch_id, const char *no,
    int need_detail, int offset, int limit, const char *detail_status,
    struct wx_batch *b, struct wx_answer *ans, struct ld_err *err)
{
	char path[256];
	cJSON *json;
	enum ld_status st;

	memset(b, 0, sizeof *b);
	wx_batch_free(b);
	if (detail_status == NULL)
		detail_status = "ALL";
	snprintf(path, sizeof path, BATCH_PATH "/%s/%s?need_query_detail=%s",
	    by_batch_id ? "batch-id" : "out-batch-no", no != NULL ? no : "",
	    need_detail ? "true" : "false");
	if (need_detail)
		snprintf(path + strlen(path), sizeof path - strlen(path),
		    "&offset=%d&limit=%d&detail_status=%s", offset, limit,
		    detail_status);
	st = wx_check_no(by_batch_id ? "batch_id" : "out_batch_no", no, 64,
	    err);
	if (st == LD_OK && need_detail && (offset < 0 || limit < 1 ||
	    limit > 100 || (strcmp(detail_status, "ALL") != 0 &&
	    strcmp(detail_status, "SUCCESS") != 0 &&
	    strcmp(detail_status, "FAIL") != 0)))
		st = ld_err_set(err, LD_EINVAL, "batch query: offset >= 0, "
		    "limit 1..100, detail_status ALL|SUCCESS|FAIL");
	if (st != LD_OK) {
		wx_ans_begin(ans, "GET", path, NULL, 0);
		return wx_ans_local(ans, err);
	}
	st = wx_v3_call(c, "GET", path, NULL, ans, &json, err);
	if (ans->cls != NULL)
		return st;
	return wx_batch_query_answer(json, by_batch_id, no, need_detail,
	    limit, b, ans, err);
}

enum ld_status
wx_batch_query_answer(cJSON *json, int by_batch_id, const char *no,
    int need_detail, int limit, struct wx_batch *b, struct wx_answer *ans,
    struct ld_err *err)
{
	const cJSON *head, *list, *e;
	struct ld_err perr;
	enum ld_status st = LD_OK;
	size_t n;

	head = cJSON_GetObjectItemCaseSensitive(json, "transfer_batch");
	if (!cJSON_IsObject(head)) {
		cJSON_Delete(json);
		return malformed(ans, err, "no transfer_batch object");
	}
	ld_err_clear(&perr);
	if (batch_head_from_json(head, 1, b, &perr) != LD_OK) {
		cJSON_Delete(json);
		return malformed(ans, err, perr.msg);
	}
	list = cJSON_GetObjectItemCaseSensitive(json, "transfer_detail_list");
	n = cJSON_IsArray(list) ? (size_t)cJSON_GetArraySize(list) : 0;
	if (list != NULL && !cJSON_IsArray(list))
		st = ld_err_set(&perr, LD_EPROTO, "transfer_detail_list is not "
		    "an array");
	else if (n > 0 && !need_detail)
		st = ld_err_set(&perr, LD_EPROTO, "details listed though none "
		    "were asked for");
	else if (n > (size_t)limit)
		st = ld_err_set(&perr, LD_EPROTO, "%zu details, more than the "
		    "limit %d asked for", n, limit);
	if (st == LD_OK && n > 0) {
		b->details = ld_calloc(n, sizeof *b->details);
		cJSON_ArrayForEach(e, list) {
			if (!cJSON_IsObject(e))
				st = ld_err_set(&perr, LD_EPROTO, "detail %zu "
				    "is not an object", b->n_details + 1);
			else
				st = detail_from_json(e, 0,
				    &b->details[b->n_details], &perr);
			if (st != LD_OK)
				break;
			b->n_details++;
		}
	}
	if (st == LD_OK) {
		size_t i, j;

		/* One payee listed twice could be paid twice by a reader. */
		for (i = 1; i < b->n_details && st == LD_OK; i++)
			for (j = 0; j < i && st == LD_OK; j++)
				if (strcmp(b->details[i].out_detail_no,
				    b->details[j].out_detail_no) == 0 ||
				    strcmp(b->details[i].detail_id,
				    b->details[j].detail_id) == 0)
					st = ld_err_set(&perr, LD_EPROTO,
					    "details %zu and %zu are the same "
					    "transfer (%s)", j + 1, i + 1,
					    b->details[i].out_detail_no);
	}
	cJSON_Delete(json);
	if (st != LD_OK)
		return malformed(ans, err, perr.msg);
	return batch_answer(b, by_batch_id ? NULL : no, by_batch_id ? no :
	    NULL, ans, err);
}

enum ld_status
wx_batch_detail_query(struct wx_client *c, int by_id, const char *batch,
    const char *detail, struct wx_batch_detail *d, struct wx_answer *ans,
    struct ld_err *err)
{
	char path[256];
	cJSON *json;
	enum ld_status st;

	memset(d, 0, sizeof *d);
	wx_batch_detail_free(d);
	snprintf(path, sizeof path, by_id ?
	    BATCH_PATH "/batch-id/%s/details/detail-id/%s" :
	    BATCH_PATH "/out-batch-no/%s/details/out-detail-no/%s",
	    batch != NULL ? batch : "", detail != NULL ? detail : "");
	if (wx_check_no("batch", batch, 64, err) != LD_OK ||
	    wx_check_no("detail", detail, 64, err) != LD_OK) {
		wx_ans_begin(ans, "GET", path, NULL, 0);
		return wx_ans_local(ans, err);
	}
	st = wx_v3_call(c, "GET", path, NULL, ans, &json, err);
	if (ans->cls != NULL)
		return st;
	return wx_batch_detail_answer(c, json, by_id, batch, detail, d, ans,
	    err);
}

enum ld_status
wx_batch_detail_answer(const struct wx_client *c, cJSON *json, int by_id,
    const char *batch, const char *detail, struct wx_batch_detail *d,
    struct wx_answer *ans, struct ld_err *err)
{
	char mchid[64], out_batch[64], batch_id[128];
	char appid[64], remark[128];
	struct ld_err perr;
	enum ld_status st;

	if (json == NULL)
		return malformed(ans, err, "empty answer");
	/* The detail entity (docs/wxpay-api.md, "Batches: queries"): all but
	 * fail_reason and user_name are listed unconditionally. */
	ld_err_clear(&perr);
	st = detail_from_json(json, 1, d, &perr);
	if (st == LD_OK)
		st = wx_json_copy(json, "mchid", mchid, sizeof mchid,
		    WX_REQUIRED, &perr);
	if (st == LD_OK)
		st = wx_json_copy(json, "out_batch_no", out_batch,
		    sizeof out_batch, WX_REQUIRED, &perr);
	if (st == LD_OK)
		st = wx_json_copy(json, "batch_id", batch_id, sizeof batch_id,
		    WX_REQUIRED, &perr);
	if (st == LD_OK)
		st = wx_json_copy(json, "appid", appid, sizeof appid,
		    WX_REQUIRED, &perr);
	if (st == LD_OK)
		st = wx_json_copy(json, "transfer_remark", remark,
		    sizeof remark, WX_REQUIRED, &perr);
	cJSON_Delete(json);
	if (st != LD_OK)
		return malformed(ans, err, perr.msg);
	if (strcmp(by_id ? d->detail_id : d->out_detail_no, detail) != 0 ||
	    strcmp(by_id ? batch_id : out_batch, batch) != 0)
		return malformed(ans, err, "detail answer does not match the "
		    "request");
	if (strcmp(mchid, c->mchid) != 0)
		return malformed(ans, err, "mchid is not this merchant");
	ans->cls = d->cls;
	ans->outcome = d->cls->outcome;
	wx_text_copy(ans->code, sizeof ans->code, d->cls->code);
	return LD_OK;
}
