/*
 * 商家转账到零钱 batches: POST /v3/transfer/batches and its queries
 * (wechatpay.md 2.1), for merchants still on that product.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "wxpay_int.h"

#define BATCH_PATH "/v3/transfer/batches"
#define BATCH_MAX_DETAILS 1000

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
	    strncmp(notify, "https://", 8) != 0)
		return ld_err_set(err, LD_EINVAL, "notify_url \"%s\" is not "
		    "https://", notify);
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
		/* Name rules from the wechatpay-go model (wechatpay.md 2.1). */
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

static void
batch_head_from_json(const cJSON *o, struct wx_batch *b)
{
	wx_json_copy(o, "out_batch_no", b->out_batch_no,
	    sizeof b->out_batch_no);
	wx_json_copy(o, "batch_id", b->batch_id, sizeof b->batch_id);
	wx_json_copy(o, "batch_status", b->batch_status,
	    sizeof b->batch_status);
	wx_json_copy(o, "close_reason", b->close_reason,
	    sizeof b->close_reason);
	wx_json_copy(o, "create_time", b->create_time, sizeof b->create_time);
	wx_json_copy(o, "update_time", b->update_time, sizeof b->update_time);
	b->total_amount = wx_json_int64(o, "total_amount", -1);
	b->success_amount = wx_json_int64(o, "success_amount", -1);
	b->fail_amount = wx_json_int64(o, "fail_amount", -1);
	b->total_num = (long)wx_json_int64(o, "total_num", -1);
	b->success_num = (long)wx_json_int64(o, "success_num", -1);
	b->fail_num = (long)wx_json_int64(o, "fail_num", -1);
}

static void
detail_from_json(const cJSON *o, struct wx_batch_detail *d)
{
	const struct wx_code_class *f;

	wx_batch_detail_free(d);
	wx_json_copy(o, "out_detail_no", d->out_detail_no,
	    sizeof d->out_detail_no);
	wx_json_copy(o, "detail_id", d->detail_id, sizeof d->detail_id);
	wx_json_copy(o, "detail_status", d->detail_status,
	    sizeof d->detail_status);
	wx_json_copy(o, "fail_reason", d->fail_reason, sizeof d->fail_reason);
	wx_json_copy(o, "openid", d->openid, sizeof d->openid);
	wx_json_copy(o, "initiate_time", d->initiate_time,
	    sizeof d->initiate_time);
	wx_json_copy(o, "update_time", d->update_time, sizeof d->update_time);
	d->transfer_amount = wx_json_int64(o, "transfer_amount", -1);
	d->user_name = wx_json_strdup(o, "user_name");
	d->cls = wx_code_classify(WX_KIND_V3_DETAIL_STATUS, d->detail_status);
	if (strcmp(d->detail_status, "FAIL") == 0 && d->fail_reason[0]) {
		f = wx_code_classify(WX_KIND_V3_FAIL_REASON, d->fail_reason);
		if (wx_code_is_known(f))
			d->cls = f;
	}
}

/* Classifies by batch_status; the create answer may omit it (accepted). */
static enum ld_status
batch_answer(struct wx_batch *b, const char *want_out, const char *want_id,
    struct wx_answer *ans, struct ld_err *err)
{
	const char *bad = NULL;

	if (want_out != NULL && strcmp(b->out_batch_no, want_out) != 0)
		bad = "out_batch_no differs from the request";
	else if (want_id != NULL && strcmp(b->batch_id, want_id) != 0)
		bad = "batch_id differs from the request";
	if (bad != NULL) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    bad);
		return ld_err_set(err, LD_EPROTO, "%s: answer has %s",
		    ans->path, bad);
	}
	wx_ans_classify(ans, WX_KIND_V3_BATCH_STATUS, b->batch_status[0] ?
	    b->batch_status : "ACCEPTED", b->close_reason[0] ?
	    b->close_reason : NULL);
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
	wx_json_copy(req, "out_batch_no", want, sizeof want);
	cJSON_Delete(req);
	if (want[0] == '\0') {
		wx_ans_begin(ans, "POST", BATCH_PATH, body, body ?
		    strlen(body) : 0);
		ld_err_set(err, LD_EINVAL, "batch body has no out_batch_no "
		    "(build it with wx_batch_build)");
		return wx_ans_local(ans, err);
	}
	st = wx_v3_call(c, "POST", BATCH_PATH, body, ans, &json, err);
	if (ans->cls != NULL)
		return st;
	if (json == NULL) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    "empty answer");
		return ld_err_set(err, LD_EPROTO, "%s: empty answer",
		    BATCH_PATH);
	}
	batch_head_from_json(json, b);
	cJSON_Delete(json);
	return batch_answer(b, want, NULL, ans, err);
}

enum ld_status
wx_batch_query(struct wx_client *c, int by_batch_id, const char *no,
    int need_detail, int offset, int limit, const char *detail_status,
    struct wx_batch *b, struct wx_answer *ans, struct ld_err *err)
{
	char path[256];
	cJSON *json;
	const cJSON *head, *list, *e;
	enum ld_status st;
	size_t n;

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
	head = cJSON_GetObjectItemCaseSensitive(json, "transfer_batch");
	if (!cJSON_IsObject(head)) {
		cJSON_Delete(json);
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    "no transfer_batch object");
		return ld_err_set(err, LD_EPROTO, "%s: answer has no "
		    "transfer_batch object", path);
	}
	batch_head_from_json(head, b);
	list = cJSON_GetObjectItemCaseSensitive(json, "transfer_detail_list");
	n = cJSON_IsArray(list) ? (size_t)cJSON_GetArraySize(list) : 0;
	if (n > BATCH_MAX_DETAILS)
		n = BATCH_MAX_DETAILS;
	if (n > 0) {
		b->details = ld_calloc(n, sizeof *b->details);
		cJSON_ArrayForEach(e, list) {
			if (b->n_details == n)
				break;
			if (!cJSON_IsObject(e))
				continue;
			detail_from_json(e, &b->details[b->n_details++]);
		}
	}
	cJSON_Delete(json);
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
	if (json == NULL) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    "empty answer");
		return ld_err_set(err, LD_EPROTO, "%s: empty answer", path);
	}
	detail_from_json(json, d);
	cJSON_Delete(json);
	if (d->detail_status[0] == '\0' || strcmp(by_id ? d->detail_id :
	    d->out_detail_no, detail) != 0) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    "detail answer does not match the request");
		return ld_err_set(err, LD_EPROTO, "%s: detail answer does not "
		    "match the request", path);
	}
	ans->cls = d->cls;
	ans->outcome = d->cls->outcome;
	snprintf(ans->code, sizeof ans->code, "%s", d->cls->code);
	return LD_OK;
}
