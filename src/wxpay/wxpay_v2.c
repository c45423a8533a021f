/*
 * Legacy APIv2 企业付款到零钱 (wechatpay.md 1): XML requests signed
 * with the APIv2 key, sent over mutual TLS with apiclient_cert.p12,
 * unsigned XML answers parsed with expat.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_alloc.h"
#include "wxpay_int.h"

#define V2_TRANSFER_PATH "/mmpaymkttransfers/promotion/transfers"
#define V2_QUERY_PATH "/mmpaymkttransfers/gettransferinfo"
#define V2_MAX_FIELDS 16

struct v2_fields {
	struct wx_kv kv[V2_MAX_FIELDS];
	size_t n;
};

/* Fields borrow their strings; only the sign is added by v2_post. */
static void
v2_add(struct v2_fields *f, const char *k, const char *v)
{
	if (v == NULL || v[0] == '\0' || f->n >= V2_MAX_FIELDS)
		return;
	f->kv[f->n].key = (char *)k;
	f->kv[f->n].value = (char *)v;
	f->n++;
}

/*
 * Signs, sends and parses one APIv2 exchange.  On LD_OK *out holds the
 * answer's fields and return_code/result_code have been checked by the
 * caller; transport failures and unparseable answers are classified here.
 */
static enum ld_status
v2_post(struct wx_client *c, const char *path, struct v2_fields *f,
    struct wx_kv **out, size_t *nout, struct wx_answer *ans,
    struct ld_err *err)
{
	static const char *const hdrs[] = {
		"Content-Type: text/xml; charset=utf-8",
		"Accept: text/xml, application/xml",
		NULL,
	};
	char nonce[33], sign[65], *xml;
	struct wx_http_resp r;
	enum ld_status st;

	*out = NULL;
	*nout = 0;
	wx_ans_begin(ans, "POST", path, NULL, 0);
	if (!c->has_apiv2) {
		ld_err_set(err, LD_EINVAL, "%s: APIv2 needs apiv2_key_file",
		    path);
		return wx_ans_local(ans, err);
	}
	if ((st = wx_random_nonce(nonce, err)) != LD_OK)
		return wx_ans_local(ans, err);
	v2_add(f, "nonce_str", nonce);
	if (c->v2_sign == WX_V2_HMAC_SHA256)
		v2_add(f, "sign_type", "HMAC-SHA256");
	if ((st = wx_v2_sign(c->apiv2_key, c->v2_sign, f->kv, f->n, sign,
	    err)) != LD_OK)
		return wx_ans_local(ans, err);
	v2_add(f, "sign", sign);
	if ((xml = wx_v2_xml_build(f->kv, f->n)) == NULL) {
		ld_err_set(err, LD_EINVAL, "%s: cannot build XML", path);
		return wx_ans_local(ans, err);
	}
	ans->request_body = xml;
	ans->request_body_len = strlen(xml);
	st = wx_http_do(&c->http, "POST", path, hdrs, xml, strlen(xml), &r,
	    err);
	if (st != LD_OK) {
		ans->transport = st;
		wx_ans_classify(ans, WX_KIND_TRANSPORT, st == LD_ETIMEOUT ?
		    WX_CODE_TIMEOUT : st == LD_EPROTO ? WX_CODE_BAD_ANSWER :
		    WX_CODE_NETWORK, err->msg);
		wx_http_resp_free(&r);
		return st;
	}
	ans->http_status = r.status;
	snprintf(ans->request_id, sizeof ans->request_id, "%s", r.request_id);
	if (r.body.len > 0) {
		ans->raw = ld_malloc(r.body.len + 1);
		memcpy(ans->raw, r.body.data, r.body.len + 1);
		ans->raw_len = r.body.len;
	}
	if (r.status != 200) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, r.status >= 500 ?
		    WX_CODE_HTTP_5XX : WX_CODE_HTTP_OTHER, NULL);
		snprintf(ans->message, sizeof ans->message, "HTTP %ld",
		    r.status);
		wx_http_resp_free(&r);
		return LD_OK;
	}
	st = wx_v2_xml_parse(r.body.data != NULL ? r.body.data : "",
	    r.body.len, out, nout, err);
	wx_http_resp_free(&r);
	if (st != LD_OK) {
		/* Official: an unparseable answer never allows a new number. */
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    err->msg);
		return LD_EPROTO;
	}
	/* These answers are documented unsigned; if one is signed anyway
	 * the sign must be right. */
	if (wx_kv_get(*out, *nout, "sign") != NULL) {
		struct ld_err verr;

		if (wx_v2_verify(c->apiv2_key, *out, *nout, &verr) != LD_OK) {
			wx_kv_free(*out, *nout);
			*out = NULL;
			*nout = 0;
			wx_ans_classify(ans, WX_KIND_TRANSPORT,
			    WX_CODE_UNVERIFIED, verr.msg);
			return ld_err_set(err, LD_ECRYPTO, "%s: %s", path,
			    verr.msg);
		}
		ans->verified = 1;
	}
	return LD_OK;
}

static void
kv_copy(const struct wx_kv *kv, size_t n, const char *k, char *dst,
    size_t cap)
{
	const char *v = wx_kv_get(kv, n, k);

	snprintf(dst, cap, "%s", v != NULL ? v : "");
}

/*
 * return_code / result_code / err_code, common to both answers.  Returns 1
 * when the business call succeeded (result_code SUCCESS), 0 when the answer
 * has been classified as an error.
 */
static int
v2_codes(const struct wx_kv *kv, size_t n, struct wx_answer *ans)
{
	const char *rc = wx_kv_get(kv, n, "return_code");
	const char *res = wx_kv_get(kv, n, "result_code");
	const char *ec = wx_kv_get(kv, n, "err_code");
	const char *des = wx_kv_get(kv, n, "err_code_des");

	if (rc == NULL || (strcmp(rc, "SUCCESS") != 0 &&
	    strcmp(rc, "FAIL") != 0)) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    "no return_code SUCCESS|FAIL");
		return 0;
	}
	if (strcmp(rc, "FAIL") == 0) {
		wx_ans_classify(ans, WX_KIND_V2_RETURN, "FAIL",
		    wx_kv_get(kv, n, "return_msg"));
		return 0;
	}
	if (res != NULL && strcmp(res, "SUCCESS") == 0)
		return 1;
	if (res == NULL || strcmp(res, "FAIL") != 0 || ec == NULL) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    "result_code is neither SUCCESS nor FAIL with err_code");
		return 0;
	}
	wx_ans_classify(ans, WX_KIND_V2_ERR_CODE, ec, des);
	snprintf(ans->code, sizeof ans->code, "%s", ec);
	return 0;
}

enum ld_status
wx_v2_transfer(struct wx_client *c, const struct wx_v2_transfer_req *r,
    struct wx_v2_transfer *t, struct wx_answer *ans, struct ld_err *err)
{
	struct v2_fields f;
	struct wx_kv *kv;
	size_t n;
	char amount[24];
	enum ld_status st;

	memset(t, 0, sizeof *t);
	memset(&f, 0, sizeof f);
	if ((st = wx_check_no("partner_trade_no", r->partner_trade_no, 32,
	    err)) != LD_OK || (st = wx_check_text("openid", r->openid, 64,
	    err)) != LD_OK || (st = wx_check_text("desc", r->desc, 100,
	    err)) != LD_OK || (r->re_user_name != NULL &&
	    (st = wx_check_text("re_user_name", r->re_user_name, 64,
	    err)) != LD_OK)) {
		wx_ans_begin(ans, "POST", V2_TRANSFER_PATH, NULL, 0);
		return wx_ans_local(ans, err);
	}
	if (r->amount_fen <= 0) {
		wx_ans_begin(ans, "POST", V2_TRANSFER_PATH, NULL, 0);
		ld_err_set(err, LD_EINVAL, "amount %lld fen is not positive",
		    (long long)r->amount_fen);
		return wx_ans_local(ans, err);
	}
	snprintf(amount, sizeof amount, "%lld", (long long)r->amount_fen);
	/* Note the names: mch_appid and mchid here (wechatpay.md 1.1). */
	v2_add(&f, "mch_appid", c->appid);
	v2_add(&f, "mchid", c->mchid);
	v2_add(&f, "device_info", r->device_info);
	v2_add(&f, "partner_trade_no", r->partner_trade_no);
	v2_add(&f, "openid", r->openid);
	v2_add(&f, "check_name", r->re_user_name != NULL ? "FORCE_CHECK" :
	    "NO_CHECK");
	v2_add(&f, "re_user_name", r->re_user_name);
	v2_add(&f, "amount", amount);
	v2_add(&f, "desc", r->desc);
	v2_add(&f, "spbill_create_ip", r->spbill_create_ip != NULL ?
	    r->spbill_create_ip : "127.0.0.1");
	st = v2_post(c, V2_TRANSFER_PATH, &f, &kv, &n, ans, err);
	if (st != LD_OK || ans->cls != NULL) {
		wx_kv_free(kv, n);
		return st;
	}
	kv_copy(kv, n, "return_code", t->return_code, sizeof t->return_code);
	kv_copy(kv, n, "result_code", t->result_code, sizeof t->result_code);
	kv_copy(kv, n, "err_code", t->err_code, sizeof t->err_code);
	kv_copy(kv, n, "partner_trade_no", t->partner_trade_no,
	    sizeof t->partner_trade_no);
	kv_copy(kv, n, "payment_no", t->payment_no, sizeof t->payment_no);
	kv_copy(kv, n, "payment_time", t->payment_time,
	    sizeof t->payment_time);
	if (v2_codes(kv, n, ans)) {
		if (strcmp(t->partner_trade_no, r->partner_trade_no) != 0 ||
		    t->payment_no[0] == '\0') {
			wx_ans_classify(ans, WX_KIND_TRANSPORT,
			    WX_CODE_BAD_ANSWER, "SUCCESS without our "
			    "partner_trade_no or a payment_no");
			st = ld_err_set(err, LD_EPROTO, "%s: SUCCESS answer "
			    "without our partner_trade_no or a payment_no",
			    V2_TRANSFER_PATH);
		} else {
			/* result_code SUCCESS on transfers means paid. */
			wx_ans_classify(ans, WX_KIND_V2_STATUS, "SUCCESS",
			    NULL);
		}
	}
	wx_kv_free(kv, n);
	if (st == LD_OK && strcmp(ans->cls->code, WX_CODE_BAD_ANSWER) == 0)
		st = ld_err_set(err, LD_EPROTO, "%s: %s", V2_TRANSFER_PATH,
		    ans->message);
	return st;
}

enum ld_status
wx_v2_transfer_query(struct wx_client *c, const char *partner_trade_no,
    struct wx_v2_transfer_info *t, struct wx_answer *ans, struct ld_err *err)
{
	struct v2_fields f;
	struct wx_kv *kv;
	size_t n;
	const char *amt;
	enum ld_status st;

	memset(t, 0, sizeof *t);
	t->payment_amount = -1;
	memset(&f, 0, sizeof f);
	if ((st = wx_check_no("partner_trade_no", partner_trade_no, 32,
	    err)) != LD_OK) {
		wx_ans_begin(ans, "POST", V2_QUERY_PATH, NULL, 0);
		return wx_ans_local(ans, err);
	}
	/* Here the names are mch_id and appid (wechatpay.md 1.6). */
	v2_add(&f, "partner_trade_no", partner_trade_no);
	v2_add(&f, "mch_id", c->mchid);
	v2_add(&f, "appid", c->appid);
	st = v2_post(c, V2_QUERY_PATH, &f, &kv, &n, ans, err);
	if (st != LD_OK || ans->cls != NULL) {
		wx_kv_free(kv, n);
		return st;
	}
	kv_copy(kv, n, "partner_trade_no", t->partner_trade_no,
	    sizeof t->partner_trade_no);
	kv_copy(kv, n, "detail_id", t->detail_id, sizeof t->detail_id);
	kv_copy(kv, n, "status", t->status, sizeof t->status);
	kv_copy(kv, n, "reason", t->reason, sizeof t->reason);
	kv_copy(kv, n, "openid", t->openid, sizeof t->openid);
	kv_copy(kv, n, "transfer_name", t->transfer_name,
	    sizeof t->transfer_name);
	kv_copy(kv, n, "transfer_time", t->transfer_time,
	    sizeof t->transfer_time);
	kv_copy(kv, n, "payment_time", t->payment_time,
	    sizeof t->payment_time);
	if ((amt = wx_kv_get(kv, n, "payment_amount")) != NULL) {
		char *end;
		long long v = strtoll(amt, &end, 10);

		if (end != amt && *end == '\0' && v >= 0)
			t->payment_amount = v;
	}
	if (v2_codes(kv, n, ans)) {
		if (strcmp(t->partner_trade_no, partner_trade_no) != 0 ||
		    t->status[0] == '\0') {
			wx_ans_classify(ans, WX_KIND_TRANSPORT,
			    WX_CODE_BAD_ANSWER, "answer without our "
			    "partner_trade_no or a status");
			st = ld_err_set(err, LD_EPROTO, "%s: answer without "
			    "our partner_trade_no or a status",
			    V2_QUERY_PATH);
		} else {
			wx_ans_classify(ans, WX_KIND_V2_STATUS, t->status,
			    t->reason[0] ? t->reason : NULL);
		}
	}
	wx_kv_free(kv, n);
	if (st == LD_OK && strcmp(ans->cls->code, WX_CODE_BAD_ANSWER) == 0)
		st = ld_err_set(err, LD_EPROTO, "%s: %s", V2_QUERY_PATH,
		    ans->message);
	return st;
}
