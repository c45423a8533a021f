/*
 * Legacy APIv2 企业付款到零钱 (docs/wxpay-api.md, "APIv2 transfers:
 * request" and the sections after it): XML requests signed
 * with the APIv2 key, sent over mutual TLS with apiclient_cert.p12,
 * unsigned XML answers parsed with expat.
 */
#include "config.h"

#include <stdint.h>
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
 * Adds nonce_str and sign to the fields and builds the XML body; NULL
 * with err set when it cannot be signed or built.
 */
static char *
v2_sign_xml(struct wx_client *c, const char *path, struct v2_fields *f,
    struct ld_err *err)
{
	char nonce[33], sign[65], *xml;

	if (!c->has_apiv2) {
		ld_err_set(err, LD_EINVAL, "%s: APIv2 needs apiv2_key_file",
		    path);
		return NULL;
	}
	if (wx_random_nonce(nonce, err) != LD_OK)
		return NULL;
	v2_add(f, "nonce_str", nonce);
	/*
	 * No sign_type field: neither transfers nor gettransferinfo has one
	 * (docs/wxpay-api.md, "APIv2 transfers: signing").  An HMAC-SHA256
	 * sign is told from an MD5 one by its length, as the SDKs do.
	 */
	if (wx_v2_sign(c->apiv2_key, c->v2_sign, f->kv, f->n, sign,
	    err) != LD_OK)
		return NULL;
	v2_add(f, "sign", sign);
	if ((xml = wx_v2_xml_build(f->kv, f->n)) == NULL)
		ld_err_set(err, LD_EINVAL, "%s: cannot build XML", path);
	return xml;
}

/*
 * Sends one signed XML body as it is and parses the answer.  On LD_OK *out
 * holds the answer's fields and return_code/result_code are the caller's
 * to check; transport failures and unparseable answers are classified
 * here.  ans must have been begun.
 */
static enum ld_status
v2_send(struct wx_client *c, const char *path, const char *xml,
    struct wx_kv **out, size_t *nout, struct wx_answer *ans,
    struct ld_err *err)
{
	static const char *const hdrs[] = {
		"Content-Type: text/xml; charset=utf-8",
		"Accept: text/xml, application/xml",
		NULL,
	};
	struct wx_http_resp r;
	enum ld_status st;

	*out = NULL;
	*nout = 0;
	free(ans->request_body);
	ans->request_body = ld_strdup(xml);
	ans->request_body_len = strlen(xml);
	st = wx_http_do(&c->http, "POST", path, hdrs, xml, strlen(xml), &r,
	    err);
	if (st == LD_EINVAL) {
		wx_http_resp_free(&r);
		return wx_ans_local(ans, err);
	}
	if (st != LD_OK) {
		ans->transport = st;
		wx_ans_classify(ans, WX_KIND_TRANSPORT, st == LD_ETIMEOUT ?
		    WX_CODE_TIMEOUT : st == LD_EPROTO ? WX_CODE_BAD_ANSWER :
		    WX_CODE_NETWORK, err->msg);
		wx_http_resp_free(&r);
		return st;
	}
	ans->http_status = r.status;
	wx_text_copy(ans->request_id, sizeof ans->request_id, r.request_id);
	if (r.body.len > 0) {
		ans->raw = ld_malloc(r.body.len + 1);
		memcpy(ans->raw, r.body.data, r.body.len + 1);
		ans->raw_len = r.body.len;
	}
	st = wx_v2_answer_fields(c, r.status, r.body.data, r.body.len, out,
	    nout, ans, err);
	wx_http_resp_free(&r);
	return st;
}

/* Signs, sends and parses one APIv2 exchange (see v2_send). */
static enum ld_status
v2_post(struct wx_client *c, const char *path, struct v2_fields *f,
    struct wx_kv **out, size_t *nout, struct wx_answer *ans,
    struct ld_err *err)
{
	char *xml;
	enum ld_status st;

	*out = NULL;
	*nout = 0;
	wx_ans_begin(ans, "POST", path, NULL, 0);
	if ((xml = v2_sign_xml(c, path, f, err)) == NULL)
		return wx_ans_local(ans, err);
	st = v2_send(c, path, xml, out, nout, ans, err);
	free(xml);
	return st;
}

enum ld_status
wx_v2_answer_fields(struct wx_client *c, long status, const char *body,
    size_t len, struct wx_kv **out, size_t *nout, struct wx_answer *ans,
    struct ld_err *err)
{
	enum ld_status st;

	*out = NULL;
	*nout = 0;
	if (status != 200) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, status >= 500 ?
		    WX_CODE_HTTP_5XX : WX_CODE_HTTP_OTHER, NULL);
		snprintf(ans->message, sizeof ans->message, "HTTP %ld",
		    status);
		return LD_OK;
	}
	st = wx_v2_xml_parse(body != NULL ? body : "", len, out, nout, err);
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
			return ld_err_set(err, LD_ECRYPTO, "%s: %s", ans->path,
			    verr.msg);
		}
		ans->verified = 1;
	}
	return LD_OK;
}

/*
 * Copies field k into dst (cap bytes with the NUL).  Absent: "" (LD_EPROTO
 * when required, or when empty and required); longer than dst: LD_EPROTO,
 * never truncated.
 */
static enum ld_status
kv_copy(const struct wx_kv *kv, size_t n, const char *k, char *dst,
    size_t cap, int required, struct ld_err *err)
{
	const char *v = wx_kv_get(kv, n, k);
	size_t len;

	dst[0] = '\0';
	if (v == NULL || v[0] == '\0')
		return required ? ld_err_set(err, LD_EPROTO, "answer has no "
		    "<%s>", k) : LD_OK;
	if ((len = strlen(v)) >= cap)
		return ld_err_set(err, LD_EPROTO, "answer field <%s> has %zu "
		    "bytes, more than the %zu this client keeps", k, len,
		    cap - 1);
	memcpy(dst, v, len + 1);
	return LD_OK;
}

/*
 * An amount in fen as APIv2 writes it: decimal digits only, no sign or
 * blanks, and within int64 (checked, never wrapped).
 */
static enum ld_status
parse_fen(const char *field, const char *v, int64_t *out, struct ld_err *err)
{
	int64_t x = 0;
	size_t i;

	*out = -1;
	if (v == NULL || v[0] == '\0')
		return ld_err_set(err, LD_EPROTO, "answer has no <%s>", field);
	for (i = 0; v[i] != '\0'; i++) {
		int d = v[i] - '0';

		if (d < 0 || d > 9)
			return ld_err_set(err, LD_EPROTO, "answer field <%s> "
			    "\"%.32s\" is not a whole number of fen", field,
			    v);
		if (x > (INT64_MAX - d) / 10)
			return ld_err_set(err, LD_EPROTO, "answer field <%s> "
			    "\"%.32s\" overflows a 64-bit amount", field, v);
		x = x * 10 + d;
	}
	*out = x;
	return LD_OK;
}

/* Marks the answer malformed (outcome unknown) and returns LD_EPROTO. */
static enum ld_status
v2_malformed(struct wx_answer *ans, const char *path, struct ld_err *perr,
    struct ld_err *err)
{
	wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
	    perr->msg);
	return ld_err_set(err, LD_EPROTO, "%s: malformed answer: %s", path,
	    perr->msg);
}

/*
 * A successful answer must be about this merchant: mchid/mch_appid on
 * transfers, mch_id/appid on gettransferinfo (docs/wxpay-api.md, "APIv2
 * transfers: answer" and "APIv2 transfers: gettransferinfo").
 */
static enum ld_status
v2_same_merchant(const struct wx_client *c, const struct wx_kv *kv,
    size_t n, const char *mch_key, const char *app_key, struct ld_err *err)
{
	char mch[64], app[64];
	enum ld_status st;

	if ((st = kv_copy(kv, n, mch_key, mch, sizeof mch, 1, err)) != LD_OK ||
	    (st = kv_copy(kv, n, app_key, app, sizeof app, 1, err)) != LD_OK)
		return st;
	if (strcmp(mch, c->mchid) != 0 || strcmp(app, c->appid) != 0)
		return ld_err_set(err, LD_EPROTO, "answer is for merchant "
		    "%s/%s, not %s/%s", mch, app, c->mchid, c->appid);
	return LD_OK;
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
	if (res != NULL && strcmp(res, "SUCCESS") == 0) {
		/* Paid and an error code at once: which is it? */
		if (ec != NULL && ec[0] != '\0' && strcmp(ec, "SUCCESS") != 0) {
			wx_ans_classify(ans, WX_KIND_TRANSPORT,
			    WX_CODE_BAD_ANSWER, "result_code SUCCESS with an "
			    "err_code");
			return 0;
		}
		return 1;
	}
	if (res == NULL || strcmp(res, "FAIL") != 0 || ec == NULL) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    "result_code is neither SUCCESS nor FAIL with err_code");
		return 0;
	}
	wx_ans_classify(ans, WX_KIND_V2_ERR_CODE, ec, des);
	return 0;
}

/* The fields of a transfer request, checked; LD_EINVAL names the one. */
static enum ld_status
v2_transfer_fields(struct wx_client *c, const struct wx_v2_transfer_req *r,
    char amount[24], struct v2_fields *f, struct ld_err *err)
{
	enum ld_status st;

	memset(f, 0, sizeof *f);
	if ((st = wx_check_no("partner_trade_no", r->partner_trade_no, 32,
	    err)) != LD_OK || (st = wx_check_text("openid", r->openid, 64,
	    err)) != LD_OK || (st = wx_check_text("desc", r->desc, 100,
	    err)) != LD_OK || (r->re_user_name != NULL &&
	    (st = wx_check_text("re_user_name", r->re_user_name, 64,
	    err)) != LD_OK) || (r->device_info != NULL &&
	    r->device_info[0] != '\0' && (st = wx_check_text("device_info",
	    r->device_info, 32, err)) != LD_OK) ||
	    (r->spbill_create_ip != NULL && (st = wx_check_text(
	    "spbill_create_ip", r->spbill_create_ip, 32, err)) != LD_OK))
		return st;
	if (r->amount_fen <= 0)
		return ld_err_set(err, LD_EINVAL, "amount %lld fen is not "
		    "positive", (long long)r->amount_fen);
	snprintf(amount, 24, "%lld", (long long)r->amount_fen);
	/* Note the names: mch_appid and mchid here (docs/wxpay-api.md,
	 * "APIv2 transfers: request"). */
	v2_add(f, "mch_appid", c->appid);
	v2_add(f, "mchid", c->mchid);
	v2_add(f, "device_info", r->device_info);
	v2_add(f, "partner_trade_no", r->partner_trade_no);
	v2_add(f, "openid", r->openid);
	v2_add(f, "check_name", r->re_user_name != NULL ? "FORCE_CHECK" :
	    "NO_CHECK");
	v2_add(f, "re_user_name", r->re_user_name);
	v2_add(f, "amount", amount);
	v2_add(f, "desc", r->desc);
	v2_add(f, "spbill_create_ip", r->spbill_create_ip != NULL ?
	    r->spbill_create_ip : "127.0.0.1");
	return LD_OK;
}

enum ld_status
wx_v2_transfer_build(struct wx_client *c, const struct wx_v2_transfer_req *r,
    char **xml, struct ld_err *err)
{
	struct v2_fields f;
	char amount[24];
	enum ld_status st;

	*xml = NULL;
	if ((st = v2_transfer_fields(c, r, amount, &f, err)) != LD_OK)
		return st;
	if ((*xml = v2_sign_xml(c, V2_TRANSFER_PATH, &f, err)) == NULL)
		return err->code != LD_OK ? err->code : LD_EINVAL;
	return LD_OK;
}

enum ld_status
wx_v2_transfer_send(struct wx_client *c, const char *xml,
    struct wx_v2_transfer *t, struct wx_answer *ans, struct ld_err *err)
{
	struct wx_kv *kv = NULL;
	struct ld_err perr;
	char no[64];
	size_t n = 0;
	enum ld_status st;

	memset(t, 0, sizeof *t);
	wx_ans_begin(ans, "POST", V2_TRANSFER_PATH, NULL, 0);
	/* The number the answer must name is the one the body carries. */
	no[0] = '\0';
	ld_err_clear(&perr);
	if (xml != NULL && wx_v2_xml_parse(xml, strlen(xml), &kv, &n,
	    &perr) == LD_OK && wx_kv_get(kv, n, "partner_trade_no") != NULL &&
	    wx_kv_get(kv, n, "sign") != NULL)
		snprintf(no, sizeof no, "%s", wx_kv_get(kv, n,
		    "partner_trade_no"));
	wx_kv_free(kv, n);
	if (wx_check_no("partner_trade_no", no, 32, &perr) != LD_OK) {
		ld_err_set(err, LD_EINVAL, "APIv2 transfer body is not a "
		    "signed request with a partner_trade_no (build it with "
		    "wx_v2_transfer_build)");
		return wx_ans_local(ans, err);
	}
	st = v2_send(c, V2_TRANSFER_PATH, xml, &kv, &n, ans, err);
	if (st != LD_OK || ans->cls != NULL) {
		wx_kv_free(kv, n);
		return st;
	}
	return wx_v2_transfer_answer(c, no, kv, n, t, ans, err);
}

enum ld_status
wx_v2_transfer(struct wx_client *c, const struct wx_v2_transfer_req *r,
    struct wx_v2_transfer *t, struct wx_answer *ans, struct ld_err *err)
{
	char *xml;
	enum ld_status st;

	memset(t, 0, sizeof *t);
	if (wx_v2_transfer_build(c, r, &xml, err) != LD_OK) {
		wx_ans_begin(ans, "POST", V2_TRANSFER_PATH, NULL, 0);
		return wx_ans_local(ans, err);
	}
	st = wx_v2_transfer_send(c, xml, t, ans, err);
	free(xml);
	return st;
}

enum ld_status
wx_v2_transfer_answer(const struct wx_client *c, const char *partner_trade_no,
    struct wx_kv *kv, size_t n, struct wx_v2_transfer *t,
    struct wx_answer *ans, struct ld_err *err)
{
	struct ld_err perr;
	enum ld_status st;

	/* Every field is length-checked, whatever the result says. */
	ld_err_clear(&perr);
	if ((st = kv_copy(kv, n, "return_code", t->return_code,
	    sizeof t->return_code, 0, &perr)) != LD_OK ||
	    (st = kv_copy(kv, n, "result_code", t->result_code,
	    sizeof t->result_code, 0, &perr)) != LD_OK ||
	    (st = kv_copy(kv, n, "err_code", t->err_code, sizeof t->err_code,
	    0, &perr)) != LD_OK ||
	    (st = kv_copy(kv, n, "partner_trade_no", t->partner_trade_no,
	    sizeof t->partner_trade_no, 0, &perr)) != LD_OK ||
	    (st = kv_copy(kv, n, "payment_no", t->payment_no,
	    sizeof t->payment_no, 0, &perr)) != LD_OK ||
	    (st = kv_copy(kv, n, "payment_time", t->payment_time,
	    sizeof t->payment_time, 0, &perr)) != LD_OK) {
		wx_kv_free(kv, n);
		return v2_malformed(ans, V2_TRANSFER_PATH, &perr, err);
	}
	if (v2_codes(kv, n, ans)) {
		/* Success lists partner_trade_no, payment_no, payment_time
		 * (docs/wxpay-api.md, "APIv2 transfers: answer"). */
		if ((st = kv_copy(kv, n, "payment_no", t->payment_no,
		    sizeof t->payment_no, 1, &perr)) == LD_OK &&
		    (st = kv_copy(kv, n, "payment_time", t->payment_time,
		    sizeof t->payment_time, 1, &perr)) == LD_OK &&
		    strcmp(t->partner_trade_no, partner_trade_no) != 0)
			st = ld_err_set(&perr, LD_EPROTO, "SUCCESS for "
			    "partner_trade_no \"%s\", not ours",
			    t->partner_trade_no);
		if (st == LD_OK)
			st = v2_same_merchant(c, kv, n, "mchid", "mch_appid",
			    &perr);
		if (st != LD_OK) {
			wx_kv_free(kv, n);
			return v2_malformed(ans, V2_TRANSFER_PATH, &perr, err);
		}
		/* result_code SUCCESS on transfers means paid. */
		wx_ans_classify(ans, WX_KIND_V2_STATUS, "SUCCESS", NULL);
	}
	wx_kv_free(kv, n);
	if (strcmp(ans->cls->code, WX_CODE_BAD_ANSWER) == 0)
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
	enum ld_status st;

	memset(t, 0, sizeof *t);
	t->payment_amount = -1;
	memset(&f, 0, sizeof f);
	if ((st = wx_check_no("partner_trade_no", partner_trade_no, 32,
	    err)) != LD_OK) {
		wx_ans_begin(ans, "POST", V2_QUERY_PATH, NULL, 0);
		return wx_ans_local(ans, err);
	}
	/* Here the names are mch_id and appid (docs/wxpay-api.md, "APIv2
	 * transfers: gettransferinfo"). */
	v2_add(&f, "partner_trade_no", partner_trade_no);
	v2_add(&f, "mch_id", c->mchid);
	v2_add(&f, "appid", c->appid);
	st = v2_post(c, V2_QUERY_PATH, &f, &kv, &n, ans, err);
	if (st != LD_OK || ans->cls != NULL) {
		wx_kv_free(kv, n);
		return st;
	}
	return wx_v2_query_answer(c, partner_trade_no, kv, n, t, ans, err);
}

enum ld_status
wx_v2_query_answer(const struct wx_client *c, const char *partner_trade_no,
    struct wx_kv *kv, size_t n, struct wx_v2_transfer_info *t,
    struct wx_answer *ans, struct ld_err *err)
{
	struct ld_err perr;
	enum ld_status st = LD_OK;

	ld_err_clear(&perr);
#define F(name)								\
	if (st == LD_OK)						\
		st = kv_copy(kv, n, #name, t->name, sizeof t->name, 0, &perr)
	F(partner_trade_no);
	F(detail_id);
	F(status);
	F(reason);
	F(openid);
	F(transfer_name);
	F(transfer_time);
	F(payment_time);
#undef F
	if (st == LD_OK) {
		char ec[64];

		st = kv_copy(kv, n, "err_code", ec, sizeof ec, 0, &perr);
	}
	if (st == LD_OK && wx_kv_get(kv, n, "payment_amount") != NULL)
		st = parse_fen("payment_amount", wx_kv_get(kv, n,
		    "payment_amount"), &t->payment_amount, &perr);
	if (st != LD_OK) {
		wx_kv_free(kv, n);
		return v2_malformed(ans, V2_QUERY_PATH, &perr, err);
	}
	if (v2_codes(kv, n, ans)) {
		/*
		 * What a found transfer always carries (docs/wxpay-api.md,
		 * "APIv2 transfers: gettransferinfo"):
		 * our number, detail_id, status, openid, payment_amount,
		 * transfer_time, and this merchant's mch_id/appid; reason,
		 * transfer_name and payment_time depend on the status.
		 */
		static const char *const need[] = { "partner_trade_no",
		    "detail_id", "status", "openid", "transfer_time" };
		size_t i;

		for (i = 0; st == LD_OK && i < sizeof need / sizeof need[0];
		    i++) {
			const char *v = wx_kv_get(kv, n, need[i]);

			if (v == NULL || v[0] == '\0')
				st = ld_err_set(&perr, LD_EPROTO, "answer has "
				    "no <%s>", need[i]);
		}
		if (st == LD_OK && t->payment_amount < 0)
			st = ld_err_set(&perr, LD_EPROTO, "answer has no "
			    "<payment_amount>");
		if (st == LD_OK && strcmp(t->partner_trade_no,
		    partner_trade_no) != 0)
			st = ld_err_set(&perr, LD_EPROTO, "answer is about "
			    "partner_trade_no \"%s\", not ours",
			    t->partner_trade_no);
		if (st == LD_OK)
			st = v2_same_merchant(c, kv, n, "mch_id", "appid",
			    &perr);
		if (st != LD_OK) {
			wx_kv_free(kv, n);
			return v2_malformed(ans, V2_QUERY_PATH, &perr, err);
		}
		wx_ans_classify(ans, WX_KIND_V2_STATUS, t->status,
		    t->reason[0] ? t->reason : NULL);
	}
	wx_kv_free(kv, n);
	if (strcmp(ans->cls->code, WX_CODE_BAD_ANSWER) == 0)
		st = ld_err_set(err, LD_EPROTO, "%s: %s", V2_QUERY_PATH,
		    ans->message);
	return st;
}
