/*
 * APIv2 企业付款到零钱 and its query (pay.weixin.qq.com doc 4011989673):
 * flat XML signed with the APIv2 key, answers unsigned, business errors as
 * return_code SUCCESS, result_code FAIL and an err_code.  partner_trade_no
 * is the idempotency key: the same number with the same fields answers the
 * payment made, with other fields FATAL_ERROR.  The err_code table is in
 * docs/wxpay-api.md.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ld_alloc.h"
#include "ld_utf8.h"
#include "sim_api.h"
#include "wxpay_check.h"
#include "wxpay_crypto.h"

#define V2_TRANSFER	"/mmpaymkttransfers/promotion/transfers"
#define V2_QUERY	"/mmpaymkttransfers/gettransferinfo"

struct v2_out {
	struct wx_kv kv[24];
	size_t n;
};

static void
v2_put(struct v2_out *o, const char *k, const char *v)
{
	if (v == NULL || o->n == sizeof o->kv / sizeof o->kv[0])
		return;
	o->kv[o->n].key = ld_strdup(k);
	o->kv[o->n].value = ld_strdup(v);
	o->n++;
}

static void
v2_finish(struct sim_answer *a, struct v2_out *o)
{
	size_t i;
	char nonce[33];
	struct ld_err err;

	/* Past the communication check, answers carry a nonce_str (and
	 * still no sign). */
	for (i = 0; i < o->n; i++)
		if (strcmp(o->kv[i].key, "return_code") == 0)
			break;
	if (i < o->n && strcmp(o->kv[i].value, "SUCCESS") == 0 &&
	    wx_random_nonce(nonce, &err) == LD_OK)
		v2_put(o, "nonce_str", nonce);
	free(a->body);
	a->status = 200;
	a->body = wx_v2_xml_build(o->kv, o->n);
	a->len = strlen(a->body);
	a->content_type = "text/xml; charset=utf-8";
	a->v2 = 1;
	for (i = 0; i < o->n; i++) {
		free(o->kv[i].key);
		free(o->kv[i].value);
	}
	o->n = 0;
}

/* Descriptions for the err_code table of doc 4011989673. */
static const char *
v2_err_des(const char *code)
{
	static const struct {
		const char *code, *des;
	} t[] = {
		{ "NO_AUTH", "没有该接口权限" },
		{ "AMOUNT_LIMIT", "付款金额超出限制" },
		{ "PARAM_ERROR", "参数错误" },
		{ "OPENID_ERROR", "Openid格式错误或者不属于商家公众账号" },
		{ "SEND_FAILED", "付款错误，请查单确认付款结果" },
		{ "NOTENOUGH", "余额不足" },
		{ "SYSTEMERROR", "系统繁忙，请稍后再试" },
		{ "NAME_MISMATCH", "姓名校验出错" },
		{ "SIGN_ERROR", "签名错误" },
		{ "XML_ERROR", "Post内容出错" },
		{ "FATAL_ERROR", "两次请求参数不一致" },
		{ "FREQ_LIMIT", "超过频率限制，请稍后再试" },
		{ "MONEY_LIMIT",
		    "已经达到今日付款总额上限/已达到付款给此用户额度上限" },
		{ "CA_ERROR", "商户API证书校验出错" },
		{ "V2_ACCOUNT_SIMPLE_BAN", "无法给未实名用户付款" },
		{ "PARAM_IS_NOT_UTF8", "请求参数中包含非utf8编码字符" },
		{ "SENDNUM_LIMIT", "该用户今日付款次数超过限制" },
		{ "RECV_ACCOUNT_NOT_ALLOWED", "收款账户不在收款账户列表" },
		{ "PAY_CHANNEL_NOT_ALLOWED", "本商户号未配置API发起能力" },
		{ "NOT_FOUND", "指定单号数据不存在" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(t[i].code, code) == 0)
			return t[i].des;
	return "业务错误";
}

static void
v2_fail(struct sim_answer *a, struct v2_out *o, const char *code)
{
	v2_put(o, "result_code", "FAIL");
	v2_put(o, "err_code", code);
	v2_put(o, "err_code_des", v2_err_des(code));
	v2_finish(a, o);
}

/* return_code SUCCESS: the request was read; what follows is business. */
static void
v2_received(struct v2_out *o)
{
	v2_put(o, "return_code", "SUCCESS");
	v2_put(o, "return_msg", "");
}

void
sim_api_v2_ca_error(struct sim_answer *a)
{
	struct v2_out o;

	memset(&o, 0, sizeof o);
	v2_received(&o);
	v2_fail(a, &o, "CA_ERROR");
}

static int
kv_cmp(const void *x, const void *y)
{
	return strcmp(((const struct wx_kv *)x)->key,
	    ((const struct wx_kv *)y)->key);
}

/* "yyyy-MM-dd HH:mm:ss" in Beijing time, no zone. */
static void
v2_time(time_t t, char out[24])
{
	struct tm tm;
	time_t bj = t + 8 * 3600;

	gmtime_r(&bj, &tm);
	strftime(out, 24, "%Y-%m-%d %H:%M:%S", &tm);
}

/* A transfer's fields: NULL when good (*amount set), else the err_code. */
static const char *
v2_transfer_check(struct sim *s, struct wx_kv *kv, size_t n,
    long long *amount)
{
	static const char *const required[] = { "mch_appid", "mchid",
	    "nonce_str", "partner_trade_no", "openid", "check_name", "amount",
	    "desc", "spbill_create_ip" };
	const char *check = wx_kv_get(kv, n, "check_name");
	const char *name = wx_kv_get(kv, n, "re_user_name");
	const char *amount_s = wx_kv_get(kv, n, "amount"), *p;
	struct ld_err err;
	size_t i;

	for (i = 0; i < n; i++)
		if (ld_utf8_check(kv[i].value, strlen(kv[i].value), 0, NULL,
		    NULL) != LD_UTF8_OK)
			return "PARAM_IS_NOT_UTF8";
	for (i = 0; i < sizeof required / sizeof required[0]; i++) {
		const char *v = wx_kv_get(kv, n, required[i]);

		if (v == NULL || *v == '\0')
			return "PARAM_ERROR";
	}
	if (strcmp(wx_kv_get(kv, n, "mchid"), s->cfg.mchid) != 0)
		return "NO_AUTH";
	if (strcmp(wx_kv_get(kv, n, "mch_appid"), s->cfg.appid) != 0)
		return "PARAM_ERROR";
	if (!sim_openid_ok(wx_kv_get(kv, n, "openid")))
		return "OPENID_ERROR";
	/* Digits only (no sign or blanks), at most 14 of them. */
	for (*amount = 0, p = amount_s; *p >= '0' && *p <= '9' &&
	    p - amount_s < 14; p++)
		*amount = *amount * 10 + (*p - '0');
	if (*p != '\0' || p == amount_s || *amount < 1 ||
	    *amount > 10000000000000LL ||
	    wx_check_no("partner_trade_no", wx_kv_get(kv, n,
	    "partner_trade_no"), 32, &err) != LD_OK ||
	    wx_check_text("desc", wx_kv_get(kv, n, "desc"), 100, &err) !=
	    LD_OK ||
	    (strcmp(check, "NO_CHECK") != 0 &&
	    strcmp(check, "FORCE_CHECK") != 0) ||
	    (strcmp(check, "FORCE_CHECK") == 0 && (name == NULL ||
	    wx_check_text("re_user_name", name, 64, &err) != LD_OK)))
		return "PARAM_ERROR";
	return NULL;
}

/* Everything but the per-request nonce and sign identifies a request. */
static void
v2_fingerprint(struct wx_kv *kv, size_t n, unsigned char fp[32])
{
	struct sim_fp f;
	size_t i;

	qsort(kv, n, sizeof *kv, kv_cmp);
	sim_fp_begin(&f);
	for (i = 0; i < n; i++) {
		if (strcmp(kv[i].key, "sign") == 0 ||
		    strcmp(kv[i].key, "nonce_str") == 0 ||
		    strcmp(kv[i].key, "sign_type") == 0)
			continue;
		sim_fp_add(&f, kv[i].key);
		sim_fp_add(&f, kv[i].value);
	}
	sim_fp_end(&f, fp);
}

/*
 * The limits, lock held: NULL to pay, else the err_code (none of them
 * moves money).
 */
static const char *
v2_admit(struct sim *s, const char *openid, long long amount)
{
	struct sim_user *u = sim_user_get(s, openid);

	sim_merchant_today(s);
	if (amount < s->cfg.min_transfer_fen ||
	    amount > s->cfg.max_transfer_fen)
		return "AMOUNT_LIMIT";
	if (u->day_fen + amount > s->cfg.per_user_daily_fen ||
	    s->merchant_day_fen + amount > s->cfg.merchant_daily_fen)
		return "MONEY_LIMIT";
	if (u->day_count + 1 > s->cfg.per_user_daily_count)
		return "SENDNUM_LIMIT";
	if (s->avail[s->payout_account] < amount)
		return "NOTENOUGH";
	return NULL;
}

/* Pays at once, as 企业付款 does; lock held. */
static struct sim_bill *
v2_pay(struct sim *s, struct wx_kv *kv, size_t n, long long amount,
    const unsigned char fp[32])
{
	struct sim_bill *b = ld_calloc(1, sizeof *b);
	const char *name = wx_kv_get(kv, n, "re_user_name");

	b->kind = SIM_KIND_V2;
	snprintf(b->out_no, sizeof b->out_no, "%s",
	    wx_kv_get(kv, n, "partner_trade_no"));
	sim_make_no(s, "10100", b->bill_no, sizeof b->bill_no);
	snprintf(b->appid, sizeof b->appid, "%s",
	    wx_kv_get(kv, n, "mch_appid"));
	snprintf(b->openid, sizeof b->openid, "%s",
	    wx_kv_get(kv, n, "openid"));
	b->remark = ld_strdup(wx_kv_get(kv, n, "desc"));
	b->user_name = name ? ld_strdup(name) : NULL;
	b->amount = amount;
	b->state = SIM_PROCESSING;
	b->create_time = b->update_time = time(NULL);
	memcpy(b->fp, fp, sizeof b->fp);
	sim_bill_add(s, b);
	sim_bill_hold(s, b);
	sim_bill_set_state(s, b, SIM_SUCCESS, NULL);
	return b;
}

static void
v2_transfer(struct sim *s, struct wx_kv *kv, size_t n, struct v2_out *o,
    struct sim_answer *a)
{
	const char *code, *no;
	const struct sim_rule *rule = NULL;
	struct sim_bill *b;
	unsigned char fp[32];
	char ptime[24];
	long long amount;

	v2_received(o);
	v2_put(o, "mch_appid", wx_kv_get(kv, n, "mch_appid"));
	v2_put(o, "mchid", wx_kv_get(kv, n, "mchid"));
	v2_put(o, "device_info", wx_kv_get(kv, n, "device_info"));
	if ((code = v2_transfer_check(s, kv, n, &amount)) != NULL) {
		v2_fail(a, o, code);
		return;
	}
	no = wx_kv_get(kv, n, "partner_trade_no");
	v2_fingerprint(kv, n, fp);
	pthread_mutex_lock(&s->lock);
	b = sim_map_get(&s->by_v2, no);
	if (b != NULL && memcmp(b->fp, fp, sizeof fp) != 0)
		code = "FATAL_ERROR";
	else if (b == NULL) {
		rule = sim_rule_match(s, "v2", wx_kv_get(kv, n, "openid"));
		/* None of the rule's codes moves money, but SEND_FAILED. */
		if (rule != NULL && strcmp(rule->code, "SEND_FAILED") != 0)
			code = rule->code;
		else
			code = v2_admit(s, wx_kv_get(kv, n, "openid"), amount);
		if (code == NULL) {
			b = v2_pay(s, kv, n, amount, fp);
			a->committed = 1;
			/* Paid, but the answer says "unknown, query it". */
			if (rule != NULL)
				code = rule->code;
		}
	}
	if (code == NULL) {
		v2_put(o, "result_code", "SUCCESS");
		v2_put(o, "partner_trade_no", b->out_no);
		v2_put(o, "payment_no", b->bill_no);
		v2_time(b->create_time, ptime);
		v2_put(o, "payment_time", ptime);
	}
	pthread_mutex_unlock(&s->lock);
	if (code != NULL)
		v2_fail(a, o, code);
	else
		v2_finish(a, o);
}

static void
v2_query(struct sim *s, struct wx_kv *kv, size_t n, struct v2_out *o,
    struct sim_answer *a)
{
	const char *mchid = wx_kv_get(kv, n, "mch_id");
	const char *appid = wx_kv_get(kv, n, "appid");
	const char *no = wx_kv_get(kv, n, "partner_trade_no");
	struct sim_bill *b;
	char t[24], amt[32];

	v2_received(o);
	if (mchid == NULL || appid == NULL || no == NULL ||
	    wx_kv_get(kv, n, "nonce_str") == NULL) {
		v2_fail(a, o, "PARAM_ERROR");
		return;
	}
	if (strcmp(mchid, s->cfg.mchid) != 0) {
		v2_fail(a, o, "NO_AUTH");
		return;
	}
	pthread_mutex_lock(&s->lock);
	b = sim_map_get(&s->by_v2, no);
	if (b == NULL) {
		pthread_mutex_unlock(&s->lock);
		v2_fail(a, o, "NOT_FOUND");
		return;
	}
	v2_put(o, "result_code", "SUCCESS");
	v2_put(o, "partner_trade_no", b->out_no);
	v2_put(o, "appid", b->appid);
	v2_put(o, "mch_id", s->cfg.mchid);
	v2_put(o, "detail_id", b->bill_no);
	v2_put(o, "status", b->state == SIM_SUCCESS ? "SUCCESS" :
	    b->state == SIM_FAIL ? "FAILED" : "PROCESSING");
	if (b->state == SIM_FAIL)
		v2_put(o, "reason", b->fail_reason);
	v2_put(o, "openid", b->openid);
	if (b->user_name != NULL)
		v2_put(o, "transfer_name", b->user_name);
	snprintf(amt, sizeof amt, "%" PRId64, b->amount);
	v2_put(o, "payment_amount", amt);
	v2_time(b->create_time, t);
	v2_put(o, "transfer_time", t);
	v2_time(b->update_time, t);
	v2_put(o, "payment_time", t);
	v2_put(o, "desc", b->remark);
	pthread_mutex_unlock(&s->lock);
	v2_finish(a, o);
}

void
sim_api_v2(struct sim *s, const struct sim_request *rq, struct sim_answer *a)
{
	struct v2_out o;
	struct wx_kv *kv = NULL;
	struct ld_err err;
	const char *code = NULL;
	size_t n = 0;
	int transfer = strcmp(rq->path, V2_TRANSFER) == 0;
	int query = strcmp(rq->path, V2_QUERY) == 0;

	memset(&o, 0, sizeof o);
	if (!transfer && !query) {
		sim_answer_error(a, 404, "NOT_FOUND", "请求的资源不存在");
		return;
	}
	if (strcmp(rq->method, "POST") != 0) {
		v2_put(&o, "return_code", "FAIL");
		v2_put(&o, "return_msg", "请使用post方法");
		v2_finish(a, &o);
		return;
	}
	if (!s->cfg.products_v2)
		code = "NO_AUTH";
	else if (wx_v2_xml_parse(rq->body, rq->body_len, &kv, &n, &err) !=
	    LD_OK)
		code = "XML_ERROR";
	else if (wx_v2_verify(s->apiv2_key, kv, n, &err) != LD_OK)
		code = "SIGN_ERROR";
	if (code != NULL) {
		v2_received(&o);
		v2_fail(a, &o, code);
		wx_kv_free(kv, n);
		return;
	}
	if (transfer)
		v2_transfer(s, kv, n, &o, a);
	else
		v2_query(s, kv, n, &o, a);
	wx_kv_free(kv, n);
}
