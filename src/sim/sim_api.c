/*
 * What the simulated WeChat Pay answers: APIv3 transfer bills, batches and
 * balances, the APIv2 企业付款 pair, and the /__sim/ admin endpoints.  The
 * rules (idempotency by merchant number, limits, error codes and messages)
 * follow the research notes, sections 1.5, 2.1 and 2.2.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ld_alloc.h"
#include "sim.h"
#include "wxpay_crypto.h"

#define TB_PATH		"/v3/fund-app/mch-transfer/transfer-bills"
#define BATCH_PATH	"/v3/transfer/batches"
#define BALANCE_PATH	"/v3/merchant/fund/balance/"

/* APIv3 codes answered as HTTP errors, with their documented status. */
static const struct {
	const char *code;
	unsigned status;
	const char *message;
} v3_errors[] = {
	{ "PARAM_ERROR", 400, "参数错误" },
	{ "INVALID_REQUEST", 400, "HTTP 请求不符合微信支付 APIv3 接口规则" },
	{ "SIGN_ERROR", 401, "错误的签名，验签失败" },
	{ "NO_AUTH", 403, "商户号无权限" },
	{ "NOT_ENOUGH", 403, "商户运营账户资金不足，充值后可以原单号发起重试，"
	    "请勿更换商户单号" },
	{ "NOT_FOUND", 404, "记录不存在" },
	{ "FREQUENCY_LIMITED", 429, "频率超限" },
	{ "RATELIMIT_EXCEEDED", 429, "频率超限" },
	{ "SYSTEM_ERROR", 500, "系统繁忙" },
	{ "SERVICE_UNAVAILABLE", 503, "服务不可用" },
};

static int
v3_error_for(const char *code, struct sim_answer *a)
{
	size_t i;

	for (i = 0; i < sizeof v3_errors / sizeof v3_errors[0]; i++)
		if (strcmp(v3_errors[i].code, code) == 0) {
			sim_answer_error(a, v3_errors[i].status, code,
			    v3_errors[i].message);
			return 1;
		}
	return 0;
}

/* 405 with the Allow header (wechatpay.md 2: 405, wrong method). */
static void
wrong_method(struct sim_answer *a, const char *allow)
{
	sim_answer_error(a, 405, "INVALID_REQUEST", "请求方法不被允许");
	a->allow = allow;
}

static void
error_field(struct sim_answer *a, unsigned status, const char *code,
    const char *message, const char *field)
{
	cJSON *o = cJSON_CreateObject(), *d;

	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "message", message);
	d = cJSON_AddObjectToObject(o, "detail");
	cJSON_AddStringToObject(d, "field", field);
	cJSON_AddStringToObject(d, "location", "body");
	sim_answer_json(a, status, cJSON_PrintUnformatted(o));
	cJSON_Delete(o);
}

static void
add_i64(cJSON *o, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%" PRId64, v);
	cJSON_AddRawToObject(o, name, buf);
}

static void
add_time(cJSON *o, const char *name, time_t t)
{
	char buf[32];

	sim_rfc3339(t, buf);
	cJSON_AddStringToObject(o, name, buf);
}

static char *
print_json(cJSON *o)
{
	char *out = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	return out;
}

/*
 * Code points in a UTF-8 string; -1 when it is not UTF-8 or holds a 4-byte
 * character (APIv3 strings allow 1-3 byte characters only).
 */
static long
utf8_chars(const char *p)
{
	long n = 0;

	while (*p != '\0') {
		unsigned char c = (unsigned char)*p;
		int k;

		if (c < 0x80)
			k = 0;
		else if ((c & 0xe0) == 0xc0 && c >= 0xc2)
			k = 1;
		else if ((c & 0xf0) == 0xe0)
			k = 2;
		else
			return -1;
		p++;
		while (k-- > 0) {
			if (((unsigned char)*p & 0xc0) != 0x80)
				return -1;
			p++;
		}
		n++;
	}
	return n;
}

static int
alnum_id(const char *p, size_t max)
{
	size_t n = 0;

	for (; *p != '\0'; p++, n++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z')))
			return 0;
	return n > 0 && n <= max;
}

/*
 * An openid as WeChat issues them: 1..64 of [A-Za-z0-9_-].  Anything
 * else is refused before it is kept, so the per-user books always key on
 * the whole openid (a longer one used to be cut to fit the ledger).
 */
static int
openid_ok(const char *p)
{
	size_t n = 0;

	for (; *p != '\0'; p++, n++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '-'))
			return 0;
	return n > 0 && n <= 64;
}

/* A callback URL the notifier can use as is: http(s), printable ASCII. */
static int
notify_url_ok(const char *p)
{
	if (strncmp(p, "https://", 8) != 0 && strncmp(p, "http://", 7) != 0)
		return 0;
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

/* Content-Type application/json, with parameters or none. */
static int
json_content_type(const char *ct)
{
	return ct != NULL && strncmp(ct, "application/json", 16) == 0 &&
	    (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

/*
 * A request body read one way only (wx_json_parse_exact: no trailing
 * bytes, no NUL in a string, no member twice): the fingerprint that keeps
 * a number idempotent must see what the fields say.
 */
static cJSON *
parse_body(const struct sim_request *rq)
{
	cJSON *o = wx_json_parse_exact(rq->body, rq->body_len, NULL);

	if (o != NULL && !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

/* Digits only, at most 9 of them, into *out; 0 when it is not that. */
static int
small_uint(const char *p, long *out)
{
	long v = 0;
	size_t n = 0;

	for (; *p >= '0' && *p <= '9' && n < 9; p++, n++)
		v = v * 10 + (*p - '0');
	if (*p != '\0' || n == 0)
		return 0;
	*out = v;
	return 1;
}

/*
 * A string field: 0 with *out set (NULL when optional and absent), -1
 * with the PARAM_ERROR answer filled.
 */
static int
get_str(const cJSON *o, const char *name, long max_chars, int required,
    const char **out, struct sim_answer *a)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	char msg[256];
	long n;

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v)) {
		if (!required)
			return 0;
		snprintf(msg, sizeof msg, "输入源“/body/%s”映射到值字段必填性规则"
		    "校验失败，此字段为必填项", name);
		error_field(a, 400, "PARAM_ERROR", msg, name);
		return -1;
	}
	if (!cJSON_IsString(v)) {
		snprintf(msg, sizeof msg, "字段 %s 类型错误，应为字符串", name);
		error_field(a, 400, "PARAM_ERROR", msg, name);
		return -1;
	}
	n = utf8_chars(v->valuestring);
	if (n < 0) {
		snprintf(msg, sizeof msg, "字段 %s 含有非 UTF-8 或四字节字符",
		    name);
		error_field(a, 400, "PARAM_ERROR", msg, name);
		return -1;
	}
	if ((required && n == 0) || n > max_chars) {
		snprintf(msg, sizeof msg, "字段 %s 长度应在 1 到 %ld 之间", name,
		    max_chars);
		error_field(a, 400, "PARAM_ERROR", msg, name);
		return -1;
	}
	*out = v->valuestring;
	return 0;
}

/* An amount in fen: a JSON integer in [1, 10^13]. */
static int
get_fen(const cJSON *o, const char *name, int64_t *out, struct sim_answer *a)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	char msg[160];
	double d;

	if (v == NULL || !cJSON_IsNumber(v)) {
		snprintf(msg, sizeof msg, "字段 %s 必填，且应为整数（单位：分）",
		    name);
		error_field(a, 400, "PARAM_ERROR", msg, name);
		return -1;
	}
	d = v->valuedouble;
	/* cJSON holds numbers as double; anything not integral is refused. */
	if (!(d >= 1 && d <= 1e13) || d != floor(d)) {
		snprintf(msg, sizeof msg, "字段 %s 应为 1 到 10000000000000 之间的"
		    "整数（单位：分）", name);
		error_field(a, 400, "PARAM_ERROR", msg, name);
		return -1;
	}
	*out = (int64_t)d;
	return 0;
}

struct fp {
	EVP_MD_CTX *ctx;
};

static void
fp_begin(struct fp *f)
{
	f->ctx = EVP_MD_CTX_new();
	/* SHA-256 in the default provider fails only for want of memory. */
	if (f->ctx == NULL || EVP_DigestInit_ex(f->ctx, EVP_sha256(), NULL) != 1)
		ld_out_of_memory("SHA-256 of a request body");
}

static void
fp_add(struct fp *f, const char *s)
{
	const char *v = s ? s : "";

	EVP_DigestUpdate(f->ctx, v, strlen(v) + 1);
}

static void
fp_add_i64(struct fp *f, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%" PRId64, v);
	fp_add(f, buf);
}

static void
fp_end(struct fp *f, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_DigestFinal_ex(f->ctx, out, &n);
	EVP_MD_CTX_free(f->ctx);
}

/* Digits for bill numbers: prefix + Beijing time + sequence. */
static void
make_no(struct sim *s, const char *prefix, char *out, size_t size)
{
	struct tm tm;
	time_t bj = time(NULL) + 8 * 3600;
	char t[20];

	gmtime_r(&bj, &tm);
	strftime(t, sizeof t, "%Y%m%d%H%M%S", &tm);
	snprintf(out, size, "%s%s%013" PRIu64, prefix, t, ++s->seq);
}

static char *
random_b64(size_t n)
{
	unsigned char raw[96];

	if (n > sizeof raw || RAND_bytes(raw, (int)n) != 1)
		memset(raw, 0x42, sizeof raw);
	return wx_b64_encode(raw, n);
}

/* Decrypts an RSA-OAEP user_name sent to our platform key. */
static int
decrypt_name(struct sim *s, const struct sim_request *rq, const char *enc,
    char **plain, struct sim_answer *a)
{
	struct ld_err err;

	*plain = NULL;
	if (enc == NULL)
		return 0;
	/* Either of our identities will do, as during a switchover. */
	if (rq->wechatpay_serial == NULL ||
	    (strcmp(rq->wechatpay_serial, s->platform_key_id) != 0 &&
	    strcmp(rq->wechatpay_serial, s->platform_cert_serial) != 0)) {
		error_field(a, 400, "PARAM_ERROR", "请求头 Wechatpay-Serial 缺失或"
		    "与加密敏感信息所用的微信支付公钥ID不一致", "Wechatpay-Serial");
		return -1;
	}
	if (wx_rsa_oaep_decrypt_b64(s->platform_key, enc, plain, &err) !=
	    LD_OK) {
		error_field(a, 400, "PARAM_ERROR", "user_name 解密失败，请使用微信"
		    "支付公钥以 RSA-OAEP 加密", "user_name");
		return -1;
	}
	return 0;
}

static int
scene_allowed(const struct sim *s, const char *scene)
{
	size_t i;

	for (i = 0; i < s->nscenes; i++)
		if (strcmp(s->scenes[i], scene) == 0)
			return 1;
	return 0;
}

static int
is_v3_error_code(const char *code)
{
	size_t i;

	for (i = 0; i < sizeof v3_errors / sizeof v3_errors[0]; i++)
		if (strcmp(v3_errors[i].code, code) == 0)
			return 1;
	return 0;
}

/* Rolls the merchant's day over; lock held. */
static void
merchant_today(struct sim *s)
{
	long d = sim_day(time(NULL));

	if (d != s->merchant_day) {
		s->merchant_day = d;
		s->merchant_day_fen = 0;
	}
}

/* Holds amount from the payout account and counts it against the day. */
static void
hold_funds(struct sim *s, struct sim_bill *b)
{
	struct sim_user *u = sim_user_get(s, b->openid);

	s->avail[s->payout_idx] -= b->amount;
	s->pending[s->payout_idx] += b->amount;
	b->locked = 1;
	u->day_fen += b->amount;
	u->day_count++;
	s->merchant_day_fen += b->amount;
}

static char *
bill_create_answer(const struct sim_bill *b)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "out_bill_no", b->out_no);
	cJSON_AddStringToObject(o, "transfer_bill_no", b->bill_no);
	add_time(o, "create_time", b->create_time);
	cJSON_AddStringToObject(o, "state", sim_state_name(b->state));
	if (b->state == SIM_FAIL)
		cJSON_AddStringToObject(o, "fail_reason", b->fail_reason);
	if (b->state == SIM_WAIT_USER_CONFIRM && b->package_info != NULL)
		cJSON_AddStringToObject(o, "package_info", b->package_info);
	return print_json(o);
}

static void
bill_create(struct sim *s, const struct sim_request *rq, struct sim_answer *a)
{
	cJSON *o = NULL;
	const cJSON *infos, *it;
	const char *appid, *out_no, *scene, *openid, *uname, *remark, *url,
	    *perception;
	char *name_plain = NULL;
	int64_t amount;
	unsigned char fp[32];
	struct fp f;
	struct sim_bill *b;
	const struct sim_rule *rule;
	const char *fail = NULL;
	int ignore = 0;

	if (!s->cfg.products_bills) {
		sim_answer_error(a, 403, "NO_AUTH", "商户号无权限");
		return;
	}
	if (!json_content_type(rq->content_type)) {
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "HTTP头Content-Type值必须为application/json");
		return;
	}
	if ((o = parse_body(rq)) == NULL) {
		sim_answer_error(a, 400, "PARAM_ERROR", "请求体不是合法的JSON对象");
		goto out;
	}
	if (get_str(o, "appid", 32, 1, &appid, a) ||
	    get_str(o, "out_bill_no", 32, 1, &out_no, a) ||
	    get_str(o, "transfer_scene_id", 36, 1, &scene, a) ||
	    get_str(o, "openid", 64, 1, &openid, a) ||
	    get_str(o, "user_name", 2048, 0, &uname, a) ||
	    get_fen(o, "transfer_amount", &amount, a) ||
	    get_str(o, "transfer_remark", 32, 1, &remark, a) ||
	    get_str(o, "notify_url", 256, 0, &url, a) ||
	    get_str(o, "user_recv_perception", 64, 0, &perception, a))
		goto out;
	if (!alnum_id(out_no, 32)) {
		error_field(a, 400, "PARAM_ERROR", "out_bill_no 只能由数字、大小写"
		    "字母组成", "out_bill_no");
		goto out;
	}
	if (!openid_ok(openid)) {
		error_field(a, 400, "INVALID_REQUEST",
		    "Openid格式错误或者不属于商家公众账号", "openid");
		goto out;
	}
	if (strcmp(appid, s->cfg.appid) != 0) {
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "appid与商户号不匹配，请检查");
		goto out;
	}
	if (url != NULL && !notify_url_ok(url)) {
		error_field(a, 400, "PARAM_ERROR", "notify_url 必须为 https 地址",
		    "notify_url");
		goto out;
	}
	infos = cJSON_GetObjectItemCaseSensitive(o,
	    "transfer_scene_report_infos");
	if (!cJSON_IsArray(infos) || cJSON_GetArraySize(infos) == 0) {
		error_field(a, 400, "PARAM_ERROR", "需传入转账场景报备信息，请检查",
		    "transfer_scene_report_infos");
		goto out;
	}
	cJSON_ArrayForEach(it, infos) {
		const char *t, *c;

		if (!cJSON_IsObject(it) ||
		    get_str(it, "info_type", 15, 1, &t, a) ||
		    get_str(it, "info_content", 32, 1, &c, a)) {
			if (a->status == 0)
				error_field(a, 400, "PARAM_ERROR",
				    "转账场景报备信息格式错误",
				    "transfer_scene_report_infos");
			goto out;
		}
	}
	if (decrypt_name(s, rq, uname, &name_plain, a) != 0)
		goto out;

	fp_begin(&f);
	fp_add(&f, appid);
	fp_add(&f, out_no);
	fp_add(&f, scene);
	fp_add(&f, openid);
	fp_add(&f, name_plain);
	fp_add_i64(&f, amount);
	fp_add(&f, remark);
	fp_add(&f, url);
	fp_add(&f, perception);
	cJSON_ArrayForEach(it, infos) {
		fp_add(&f, cJSON_GetObjectItemCaseSensitive(it,
		    "info_type")->valuestring);
		fp_add(&f, cJSON_GetObjectItemCaseSensitive(it,
		    "info_content")->valuestring);
	}
	fp_end(&f, fp);

	pthread_mutex_lock(&s->lock);
	b = sim_map_get(&s->by_out_bill, out_no);
	if (b != NULL) {
		/* Spec 2.2: the merchant number is the idempotency key. */
		if (memcmp(b->fp, fp, sizeof fp) == 0)
			sim_answer_json(a, 200, bill_create_answer(b));
		else
			sim_answer_error(a, 400, "INVALID_REQUEST",
			    "单号已存在但信息不一致，请查单后比较确认");
		pthread_mutex_unlock(&s->lock);
		goto out;
	}
	if (!scene_allowed(s, scene)) {
		pthread_mutex_unlock(&s->lock);
		error_field(a, 400, "INVALID_REQUEST", "该转账场景未开通或不可用，"
		    "请检查 transfer_scene_id", "transfer_scene_id");
		goto out;
	}
	rule = sim_rule_match(s, "create", openid);
	if (rule != NULL && is_v3_error_code(rule->code)) {
		pthread_mutex_unlock(&s->lock);
		v3_error_for(rule->code, a);
		goto out;
	}
	if (rule != NULL && strcmp(rule->code, "IGNORE") == 0)
		ignore = 1;
	else if (rule != NULL)
		fail = rule->code;
	if (amount < s->cfg.min_transfer_fen ||
	    amount > s->cfg.max_transfer_fen) {
		pthread_mutex_unlock(&s->lock);
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "超过单笔转账上下限，核实产品设置是否准确");
		goto out;
	}
	if (amount >= s->cfg.user_name_required_fen && name_plain == NULL) {
		pthread_mutex_unlock(&s->lock);
		error_field(a, 400, "PARAM_ERROR", "转账金额大于等于2000元时，"
		    "收款用户姓名必填", "user_name");
		goto out;
	}
	merchant_today(s);
	if (s->merchant_day_fen + amount > s->cfg.merchant_daily_fen) {
		pthread_mutex_unlock(&s->lock);
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "超出商户单日转账额度，请核实产品设置是否准确");
		goto out;
	}
	if (s->avail[s->payout_idx] < amount) {
		pthread_mutex_unlock(&s->lock);
		v3_error_for("NOT_ENOUGH", a);
		goto out;
	}
	if (fail == NULL && sim_user_get(s, openid)->day_fen + amount >
	    s->cfg.per_user_daily_fen)
		fail = "DAY_RECEIVED_QUOTA_EXCEED";

	b = ld_calloc(1, sizeof *b);
	b->kind = SIM_KIND_BILL;
	snprintf(b->out_no, sizeof b->out_no, "%s", out_no);
	make_no(s, "1330000", b->bill_no, sizeof b->bill_no);
	snprintf(b->appid, sizeof b->appid, "%s", appid);
	snprintf(b->openid, sizeof b->openid, "%s", openid);
	snprintf(b->scene, sizeof b->scene, "%s", scene);
	b->remark = ld_strdup(remark);
	b->notify_url = url ? ld_strdup(url) : NULL;
	b->user_name = name_plain;
	name_plain = NULL;
	b->amount = amount;
	b->state = SIM_ACCEPTED;
	b->create_time = b->update_time = time(NULL);
	memcpy(b->fp, fp, sizeof fp);
	b->ignore = ignore;
	sim_bill_add(s, b);
	hold_funds(s, b);
	if (fail != NULL) {
		sim_bill_set_state(s, b, SIM_FAIL, fail);
	} else {
		char *pk = random_b64(72);

		b->package_info = ld_asprintf("ABBQO+oY%s", pk);
		free(pk);
		sim_bill_set_state(s, b, SIM_WAIT_USER_CONFIRM, NULL);
		sim_bill_await_user(s, b);
	}
	sim_answer_json(a, 200, bill_create_answer(b));
	a->committed = 1;
	pthread_mutex_unlock(&s->lock);
out:
	free(name_plain);
	cJSON_Delete(o);
}

/* Query answer for a bill; user_name is re-encrypted to the merchant. */
static void
bill_query(struct sim *s, struct sim_bill *b, struct sim_answer *a)
{
	cJSON *o = cJSON_CreateObject();
	char *name = NULL, *enc = NULL;
	struct ld_err err;

	add_time(o, "create_time", b->create_time);
	cJSON_AddStringToObject(o, "mch_id", s->cfg.mchid);
	cJSON_AddStringToObject(o, "out_bill_no", b->out_no);
	cJSON_AddStringToObject(o, "transfer_bill_no", b->bill_no);
	cJSON_AddStringToObject(o, "appid", b->appid);
	cJSON_AddStringToObject(o, "state", sim_state_name(b->state));
	add_i64(o, "transfer_amount", b->amount);
	cJSON_AddStringToObject(o, "transfer_remark", b->remark);
	if (b->state == SIM_FAIL)
		cJSON_AddStringToObject(o, "fail_reason", b->fail_reason);
	cJSON_AddStringToObject(o, "openid", b->openid);
	add_time(o, "update_time", b->update_time);
	if (b->user_name != NULL)
		name = ld_strdup(b->user_name);
	pthread_mutex_unlock(&s->lock);
	if (name != NULL && wx_rsa_oaep_encrypt_b64(s->merchant_pub, name,
	    &enc, &err) == LD_OK)
		cJSON_AddStringToObject(o, "user_name", enc);
	free(enc);
	free(name);
	sim_answer_json(a, 200, print_json(o));
	pthread_mutex_lock(&s->lock);
}

static void
bill_cancel(struct sim *s, struct sim_bill *b, struct sim_answer *a)
{
	cJSON *o;

	switch (b->state) {
	case SIM_ACCEPTED:
	case SIM_PROCESSING:
	case SIM_WAIT_USER_CONFIRM:
		sim_bill_set_state(s, b, SIM_CANCELING, NULL);
		if (s->cfg.cancel_ms == 0)
			sim_bill_set_state(s, b, SIM_CANCELLED, NULL);
		else
			sim_bill_schedule(s, b, sim_now_ms() +
			    s->cfg.cancel_ms);
		a->committed = 1;
		break;
	case SIM_CANCELING:
		/* Not terminal yet: asking again reports where it is. */
		break;
	default:
		/*
		 * Spec 2.2 Cancel: only before the user confirms; a terminal
		 * bill (SUCCESS, FAIL, CANCELLED) or one being paid
		 * (TRANSFERING) is refused with 400 INVALID_REQUEST.
		 */
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "单据状态不允许撤销（用户已确认收款或单据已终结）");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "out_bill_no", b->out_no);
	cJSON_AddStringToObject(o, "transfer_bill_no", b->bill_no);
	cJSON_AddStringToObject(o, "state", sim_state_name(b->state));
	add_time(o, "update_time", b->update_time);
	sim_answer_json(a, 200, print_json(o));
}

/* Query and cancel: /out-bill-no/N[/cancel], /transfer-bill-no/N. */
static void
bill_by_number(struct sim *s, const struct sim_request *rq, const char *rest,
    int by_out, struct sim_answer *a)
{
	char no[72], *slash;
	int cancel = 0;
	struct sim_bill *b;
	const struct sim_rule *rule;

	if (strlen(rest) >= sizeof no) {
		sim_answer_error(a, 404, "NOT_FOUND", "记录不存在");
		return;
	}
	snprintf(no, sizeof no, "%s", rest);
	if ((slash = strchr(no, '/')) != NULL) {
		if (!by_out || strcmp(slash, "/cancel") != 0) {
			sim_answer_error(a, 404, "NOT_FOUND", "请求的资源不存在");
			return;
		}
		*slash = '\0';
		cancel = 1;
	}
	if (strcmp(rq->method, cancel ? "POST" : "GET") != 0) {
		wrong_method(a, cancel ? "POST" : "GET");
		return;
	}
	pthread_mutex_lock(&s->lock);
	b = sim_map_get(by_out ? &s->by_out_bill : &s->by_bill_no, no);
	if (b == NULL) {
		pthread_mutex_unlock(&s->lock);
		/* Spec 2.2 Cancel: an unknown bill is INVALID_REQUEST. */
		if (cancel)
			sim_answer_error(a, 400, "INVALID_REQUEST",
			    "单号错误，请检查");
		else
			sim_answer_error(a, 404, "NOT_FOUND", "记录不存在");
		return;
	}
	rule = sim_rule_match(s, cancel ? "cancel" : "query", b->openid);
	if (rule != NULL && v3_error_for(rule->code, a)) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (cancel)
		bill_cancel(s, b, a);
	else
		bill_query(s, b, a);
	pthread_mutex_unlock(&s->lock);
}

static const char *
detail_state_name(const struct sim_bill *d)
{
	return d->state == SIM_SUCCESS ? "SUCCESS" :
	    d->state == SIM_FAIL ? "FAIL" : "PROCESSING";
}

static void
batch_create(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	cJSON *o = NULL, *r;
	const cJSON *list, *it;
	const char *appid, *out_batch, *name, *remark, *scene, *url;
	int64_t total, sum = 0;
	const cJSON *tn;
	struct fp f;
	unsigned char fp[32];
	struct sim_batch *bt;
	struct sim_bill **ds = NULL;
	char **names = NULL;
	size_t n = 0, i, j;

	if (!s->cfg.products_batches) {
		sim_answer_error(a, 403, "NO_AUTH", "当前商户号接入升级版本功能，"
		    "暂不支持使用升级前功能，请使用升级后功能");
		return;
	}
	if (!json_content_type(rq->content_type)) {
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "HTTP头Content-Type值必须为application/json");
		return;
	}
	if ((o = parse_body(rq)) == NULL) {
		sim_answer_error(a, 400, "PARAM_ERROR", "请求体不是合法的JSON对象");
		goto out;
	}
	if (get_str(o, "appid", 32, 1, &appid, a) ||
	    get_str(o, "out_batch_no", 32, 1, &out_batch, a) ||
	    get_str(o, "batch_name", 32, 1, &name, a) ||
	    get_str(o, "batch_remark", 32, 1, &remark, a) ||
	    get_fen(o, "total_amount", &total, a) ||
	    get_str(o, "transfer_scene_id", 36, 0, &scene, a) ||
	    get_str(o, "notify_url", 256, 0, &url, a))
		goto out;
	tn = cJSON_GetObjectItemCaseSensitive(o, "total_num");
	list = cJSON_GetObjectItemCaseSensitive(o, "transfer_detail_list");
	if (!alnum_id(out_batch, 32) || !cJSON_IsNumber(tn) ||
	    !cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1 ||
	    cJSON_GetArraySize(list) > 1000 ||
	    tn->valuedouble != (double)cJSON_GetArraySize(list)) {
		sim_answer_error(a, 400, "PARAM_ERROR", "转账批次参数不正确");
		goto out;
	}
	if (strcmp(appid, s->cfg.appid) != 0) {
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "appid与商户号不匹配，请检查");
		goto out;
	}
	if (url != NULL && !notify_url_ok(url)) {
		error_field(a, 400, "PARAM_ERROR", "notify_url 必须为 https 地址",
		    "notify_url");
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(list);
	names = ld_calloc(n, sizeof *names);
	fp_begin(&f);
	fp_add(&f, appid);
	fp_add(&f, out_batch);
	fp_add(&f, name);
	fp_add(&f, remark);
	fp_add_i64(&f, total);
	fp_add(&f, scene);
	fp_add(&f, url);
	i = 0;
	cJSON_ArrayForEach(it, list) {
		const char *dno, *dremark, *dopenid, *duname;
		int64_t damt;

		if (!cJSON_IsObject(it) ||
		    get_str(it, "out_detail_no", 32, 1, &dno, a) ||
		    get_fen(it, "transfer_amount", &damt, a) ||
		    get_str(it, "transfer_remark", 32, 1, &dremark, a) ||
		    get_str(it, "openid", 64, 1, &dopenid, a) ||
		    get_str(it, "user_name", 2048, 0, &duname, a) ||
		    decrypt_name(s, rq, duname, &names[i], a)) {
			if (a->status == 0)
				sim_answer_error(a, 400, "PARAM_ERROR",
				    "转账批次参数不正确");
			fp_end(&f, fp);
			goto out;
		}
		if (!alnum_id(dno, 32)) {
			error_field(a, 400, "PARAM_ERROR", "out_detail_no 只能"
			    "由数字、大小写字母组成", "out_detail_no");
			fp_end(&f, fp);
			goto out;
		}
		if (!openid_ok(dopenid)) {
			error_field(a, 400, "INVALID_REQUEST",
			    "Openid格式错误或者不属于商家公众账号", "openid");
			fp_end(&f, fp);
			goto out;
		}
		sum += damt;
		fp_add(&f, dno);
		fp_add_i64(&f, damt);
		fp_add(&f, dremark);
		fp_add(&f, dopenid);
		fp_add(&f, names[i]);
		i++;
	}
	fp_end(&f, fp);
	if (sum != total) {
		sim_answer_error(a, 400, "PARAM_ERROR",
		    "转账批次参数不正确：total_amount 与明细金额之和不一致");
		goto out;
	}

	pthread_mutex_lock(&s->lock);
	bt = sim_map_get(&s->by_out_batch, out_batch);
	if (bt != NULL) {
		if (memcmp(bt->fp, fp, sizeof fp) == 0) {
			r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "out_batch_no",
			    bt->out_batch_no);
			cJSON_AddStringToObject(r, "batch_id", bt->batch_id);
			add_time(r, "create_time", bt->create_time);
			cJSON_AddStringToObject(r, "batch_status", bt->state);
			sim_answer_json(a, 200, print_json(r));
		} else
			sim_answer_error(a, 400, "INVALID_REQUEST",
			    "单号已存在但信息不一致，请查单后比较确认");
		pthread_mutex_unlock(&s->lock);
		goto out;
	}
	if (scene != NULL && !scene_allowed(s, scene)) {
		pthread_mutex_unlock(&s->lock);
		error_field(a, 400, "INVALID_REQUEST", "该转账场景未开通或不可用，"
		    "请检查 transfer_scene_id", "transfer_scene_id");
		goto out;
	}
	/* Check every detail before holding anything. */
	ds = ld_calloc(n, sizeof *ds);
	i = 0;
	cJSON_ArrayForEach(it, list) {
		const struct sim_rule *rule;
		const char *dno = cJSON_GetObjectItemCaseSensitive(it,
		    "out_detail_no")->valuestring;
		const char *op = cJSON_GetObjectItemCaseSensitive(it,
		    "openid")->valuestring;
		int64_t damt = (int64_t)cJSON_GetObjectItemCaseSensitive(it,
		    "transfer_amount")->valuedouble;
		struct sim_bill *d;

		for (j = 0; j < i; j++)
			if (strcmp(ds[j]->out_no, dno) == 0)
				break;
		rule = sim_rule_match(s, "batch", op);
		if (j < i || (rule != NULL && is_v3_error_code(rule->code)) ||
		    damt < s->cfg.min_transfer_fen ||
		    damt > s->cfg.max_transfer_fen) {
			if (j < i)
				error_field(a, 400, "PARAM_ERROR",
				    "out_detail_no 在批次内重复",
				    "out_detail_no");
			else if (rule != NULL && is_v3_error_code(rule->code))
				v3_error_for(rule->code, a);
			else
				sim_answer_error(a, 400, "INVALID_REQUEST",
				    "超过单笔转账上下限，核实产品设置是否准确");
			pthread_mutex_unlock(&s->lock);
			for (j = 0; j < i; j++)
				sim_bill_free(ds[j]);
			goto out;
		}
		d = ld_calloc(1, sizeof *d);
		d->kind = SIM_KIND_DETAIL;
		snprintf(d->out_no, sizeof d->out_no, "%s", dno);
		snprintf(d->openid, sizeof d->openid, "%s", op);
		snprintf(d->appid, sizeof d->appid, "%s", appid);
		d->remark = ld_strdup(cJSON_GetObjectItemCaseSensitive(it,
		    "transfer_remark")->valuestring);
		d->user_name = names[i];
		names[i] = NULL;
		d->amount = damt;
		d->state = SIM_PROCESSING;
		if (rule != NULL && strcmp(rule->code, "IGNORE") != 0)
			snprintf(d->fail_reason, sizeof d->fail_reason, "%s",
			    rule->code);
		ds[i++] = d;
	}
	merchant_today(s);
	if (s->merchant_day_fen + total > s->cfg.merchant_daily_fen ||
	    s->avail[s->payout_idx] < total) {
		if (s->avail[s->payout_idx] < total)
			sim_answer_error(a, 403, "NOT_ENOUGH", "请充值后原单重试，"
			    "请勿更换商家转账批次单号");
		else
			sim_answer_error(a, 400, "INVALID_REQUEST",
			    "超出商户单日转账额度，请核实产品设置是否准确");
		pthread_mutex_unlock(&s->lock);
		for (j = 0; j < n; j++)
			sim_bill_free(ds[j]);
		goto out;
	}
	bt = ld_calloc(1, sizeof *bt);
	snprintf(bt->out_batch_no, sizeof bt->out_batch_no, "%s", out_batch);
	make_no(s, "1030000", bt->batch_id, sizeof bt->batch_id);
	snprintf(bt->appid, sizeof bt->appid, "%s", appid);
	bt->name = ld_strdup(name);
	bt->remark = ld_strdup(remark);
	bt->notify_url = url ? ld_strdup(url) : NULL;
	snprintf(bt->scene, sizeof bt->scene, "%s", scene ? scene : "1000");
	bt->total_amount = total;
	bt->total_num = (int)n;
	snprintf(bt->state, sizeof bt->state, "ACCEPTED");
	bt->create_time = bt->update_time = time(NULL);
	memcpy(bt->fp, fp, sizeof fp);
	bt->details = ds;
	bt->ndetails = n;
	ds = NULL;
	for (i = 0; i < n; i++) {
		struct sim_bill *d = bt->details[i];

		make_no(s, "1040000", d->bill_no, sizeof d->bill_no);
		d->batch = bt;
		d->create_time = d->update_time = bt->create_time;
		if (d->fail_reason[0] == '\0' &&
		    sim_user_get(s, d->openid)->day_fen + d->amount >
		    s->cfg.per_user_daily_fen)
			snprintf(d->fail_reason, sizeof d->fail_reason,
			    "DAY_RECEIVED_QUOTA_EXCEED");
		sim_bill_add(s, d);
		hold_funds(s, d);
	}
	if (s->nbatches == s->capbatches) {
		s->capbatches = s->capbatches ? s->capbatches * 2 : 16;
		s->batches = ld_reallocarray(s->batches, s->capbatches,
		    sizeof *s->batches);
	}
	s->batches[s->nbatches++] = bt;
	sim_map_put(&s->by_out_batch, bt->out_batch_no, bt);
	sim_map_put(&s->by_batch_id, bt->batch_id, bt);
	snprintf(bt->state, sizeof bt->state, "PROCESSING");
	bt->due_ms = sim_now_ms() + s->cfg.batch_ms;
	pthread_cond_broadcast(&s->wake);
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "out_batch_no", bt->out_batch_no);
	cJSON_AddStringToObject(r, "batch_id", bt->batch_id);
	add_time(r, "create_time", bt->create_time);
	cJSON_AddStringToObject(r, "batch_status", bt->state);
	sim_answer_json(a, 200, print_json(r));
	a->committed = 1;
	pthread_mutex_unlock(&s->lock);
out:
	if (names != NULL)
		for (i = 0; i < n; i++)
			free(names[i]);
	free(names);
	free(ds);
	cJSON_Delete(o);
}

/* Value of a query parameter (no percent-decoding needed here). */
static int
query_param(const char *query, const char *name, char *out, size_t size)
{
	size_t n = strlen(name);
	const char *p = query;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			const char *v = p + n + 1, *e = strchr(v, '&');
			size_t len = e ? (size_t)(e - v) : strlen(v);

			if (len >= size)
				return 0;
			memcpy(out, v, len);
			out[len] = '\0';
			return 1;
		}
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	return 0;
}

static cJSON *
detail_json(struct sim *s, const struct sim_bill *d)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "mchid", s->cfg.mchid);
	cJSON_AddStringToObject(o, "out_batch_no", d->batch->out_batch_no);
	cJSON_AddStringToObject(o, "batch_id", d->batch->batch_id);
	cJSON_AddStringToObject(o, "appid", d->appid);
	cJSON_AddStringToObject(o, "out_detail_no", d->out_no);
	cJSON_AddStringToObject(o, "detail_id", d->bill_no);
	cJSON_AddStringToObject(o, "detail_status", detail_state_name(d));
	add_i64(o, "transfer_amount", d->amount);
	cJSON_AddStringToObject(o, "transfer_remark", d->remark);
	if (d->state == SIM_FAIL)
		cJSON_AddStringToObject(o, "fail_reason", d->fail_reason);
	cJSON_AddStringToObject(o, "openid", d->openid);
	add_time(o, "initiate_time", d->create_time);
	add_time(o, "update_time", d->update_time);
	return o;
}

static void
batch_answer(struct sim *s, const struct sim_batch *bt, const char *query,
    struct sim_answer *a)
{
	cJSON *o, *b, *list;
	char need[8] = "", buf[16] = "", status[16] = "ALL";
	long offset = 0, limit = 20;
	int64_t ok_amt = 0, fail_amt = 0;
	long ok = 0, fail = 0, k = 0;
	size_t i;

	if (!query_param(query, "need_query_detail", need, sizeof need) ||
	    (strcmp(need, "true") != 0 && strcmp(need, "false") != 0)) {
		error_field(a, 400, "PARAM_ERROR", "need_query_detail 必填，取值 "
		    "true 或 false", "need_query_detail");
		return;
	}
	if ((query_param(query, "offset", buf, sizeof buf) &&
	    !small_uint(buf, &offset)) ||
	    (query_param(query, "limit", buf, sizeof buf) &&
	    !small_uint(buf, &limit)) ||
	    (query_param(query, "detail_status", status, sizeof status) &&
	    strcmp(status, "ALL") != 0 && strcmp(status, "SUCCESS") != 0 &&
	    strcmp(status, "FAIL") != 0) ||
	    offset < 0 || limit < 1 || limit > 100) {
		sim_answer_error(a, 400, "PARAM_ERROR", "offset 或 limit 取值错误");
		return;
	}
	for (i = 0; i < bt->ndetails; i++) {
		if (bt->details[i]->state == SIM_SUCCESS) {
			ok++;
			ok_amt += bt->details[i]->amount;
		} else if (bt->details[i]->state == SIM_FAIL) {
			fail++;
			fail_amt += bt->details[i]->amount;
		}
	}
	o = cJSON_CreateObject();
	b = cJSON_AddObjectToObject(o, "transfer_batch");
	cJSON_AddStringToObject(b, "mchid", s->cfg.mchid);
	cJSON_AddStringToObject(b, "out_batch_no", bt->out_batch_no);
	cJSON_AddStringToObject(b, "batch_id", bt->batch_id);
	cJSON_AddStringToObject(b, "appid", bt->appid);
	cJSON_AddStringToObject(b, "batch_status", bt->state);
	cJSON_AddStringToObject(b, "batch_type", "API");
	cJSON_AddStringToObject(b, "batch_name", bt->name);
	cJSON_AddStringToObject(b, "batch_remark", bt->remark);
	add_i64(b, "total_amount", bt->total_amount);
	cJSON_AddNumberToObject(b, "total_num", bt->total_num);
	add_time(b, "create_time", bt->create_time);
	add_time(b, "update_time", bt->update_time);
	add_i64(b, "success_amount", ok_amt);
	cJSON_AddNumberToObject(b, "success_num", (double)ok);
	add_i64(b, "fail_amount", fail_amt);
	cJSON_AddNumberToObject(b, "fail_num", (double)fail);
	cJSON_AddStringToObject(b, "transfer_scene_id", bt->scene);
	if (strcmp(need, "true") == 0) {
		list = cJSON_AddArrayToObject(o, "transfer_detail_list");
		for (i = 0; i < bt->ndetails; i++) {
			const struct sim_bill *d = bt->details[i];
			cJSON *c;

			if (strcmp(status, "ALL") != 0 &&
			    strcmp(status, detail_state_name(d)) != 0)
				continue;
			if (k++ < offset || k > offset + limit)
				continue;
			c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "detail_id", d->bill_no);
			cJSON_AddStringToObject(c, "out_detail_no", d->out_no);
			cJSON_AddStringToObject(c, "detail_status",
			    detail_state_name(d));
			cJSON_AddItemToArray(list, c);
		}
	}
	sim_answer_json(a, 200, print_json(o));
}

/* GET /v3/transfer/batches/{out-batch-no|batch-id}/N[/details/…/M] */
static void
batch_query(struct sim *s, const struct sim_request *rq, const char *rest,
    struct sim_answer *a)
{
	char buf[160], *id, *tail;
	int by_out;
	struct sim_batch *bt;
	struct sim_bill *d = NULL;
	size_t i;

	if (strcmp(rq->method, "GET") != 0) {
		wrong_method(a, "GET");
		return;
	}
	if (!s->cfg.products_batches) {
		sim_answer_error(a, 403, "NO_AUTH", "当前商户号接入升级版本功能，"
		    "暂不支持使用升级前功能，请使用升级后功能");
		return;
	}
	if (strlen(rest) >= sizeof buf)
		goto notfound;
	snprintf(buf, sizeof buf, "%s", rest);
	if (strncmp(buf, "out-batch-no/", 13) == 0) {
		by_out = 1;
		id = buf + 13;
	} else if (strncmp(buf, "batch-id/", 9) == 0) {
		by_out = 0;
		id = buf + 9;
	} else
		goto notfound;
	tail = strchr(id, '/');
	if (tail != NULL)
		*tail++ = '\0';
	pthread_mutex_lock(&s->lock);
	bt = sim_map_get(by_out ? &s->by_out_batch : &s->by_batch_id, id);
	if (bt == NULL) {
		pthread_mutex_unlock(&s->lock);
		goto notfound;
	}
	if (tail == NULL) {
		batch_answer(s, bt, rq->query, a);
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (by_out && strncmp(tail, "details/out-detail-no/", 22) == 0) {
		for (i = 0; i < bt->ndetails; i++)
			if (strcmp(bt->details[i]->out_no, tail + 22) == 0)
				d = bt->details[i];
	} else if (!by_out && strncmp(tail, "details/detail-id/", 18) == 0) {
		d = sim_map_get(&s->by_detail_id, tail + 18);
		if (d != NULL && d->batch != bt)
			d = NULL;
	}
	if (d != NULL)
		sim_answer_json(a, 200, print_json(detail_json(s, d)));
	pthread_mutex_unlock(&s->lock);
	if (d != NULL)
		return;
notfound:
	sim_answer_error(a, 404, "NOT_FOUND", "记录不存在");
}

static void
balance(struct sim *s, const struct sim_request *rq, const char *type,
    struct sim_answer *a)
{
	static const char *const names[] = { "BASIC", "OPERATION", "FEES" };
	cJSON *o;
	size_t i;

	if (strcmp(rq->method, "GET") != 0) {
		wrong_method(a, "GET");
		return;
	}
	for (i = 0; i < 3; i++)
		if (strcmp(type, names[i]) == 0)
			break;
	if (i == 3) {
		/* Spec 2.3, verbatim. */
		sim_answer_error(a, 400, "INVALID_REQUEST", "输入账户类型未开通");
		return;
	}
	o = cJSON_CreateObject();
	pthread_mutex_lock(&s->lock);
	add_i64(o, "available_amount", s->avail[i]);
	add_i64(o, "pending_amount", s->pending[i]);
	pthread_mutex_unlock(&s->lock);
	sim_answer_json(a, 200, print_json(o));
}

/*
 * GET /v3/certificates: the platform certificate, AEAD-encrypted with the
 * APIv3 key and associated_data "certificate" (spec 3.2, 3.3).
 */
static void
certificates(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	cJSON *o, *list, *c, *e;
	char nonce[33], *pem, *ct = NULL, t[32];
	struct ld_err err;

	if (strcmp(rq->method, "GET") != 0) {
		wrong_method(a, "GET");
		return;
	}
	if (wx_random_nonce(nonce, &err) != LD_OK) {
		sim_answer_error(a, 500, "SYSTEM_ERROR", "系统繁忙");
		return;
	}
	nonce[12] = '\0';
	pem = ld_asprintf("%s\n", s->platform_cert_pem);
	if (wx_aead_encrypt(s->apiv3_key, nonce, "certificate", pem,
	    strlen(pem), &ct, &err) != LD_OK) {
		free(pem);
		sim_answer_error(a, 500, "SYSTEM_ERROR", "系统繁忙");
		return;
	}
	free(pem);
	o = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(o, "data");
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "serial_no", s->platform_cert_serial);
	sim_rfc3339(time(NULL) - 3600, t);
	cJSON_AddStringToObject(c, "effective_time", t);
	sim_rfc3339(time(NULL) + 5L * 365 * 86400, t);
	cJSON_AddStringToObject(c, "expire_time", t);
	e = cJSON_AddObjectToObject(c, "encrypt_certificate");
	cJSON_AddStringToObject(e, "algorithm", "AEAD_AES_256_GCM");
	cJSON_AddStringToObject(e, "nonce", nonce);
	cJSON_AddStringToObject(e, "associated_data", "certificate");
	cJSON_AddStringToObject(e, "ciphertext", ct);
	cJSON_AddItemToArray(list, c);
	free(ct);
	sim_answer_json(a, 200, print_json(o));
}

void
sim_api_v3(struct sim *s, const struct sim_request *rq, struct sim_answer *a)
{
	const char *p = rq->path;

	if (strcmp(p, "/v3/certificates") == 0) {
		certificates(s, rq, a);
	} else if (strcmp(p, TB_PATH) == 0) {
		if (strcmp(rq->method, "POST") != 0)
			wrong_method(a, "POST");
		else
			bill_create(s, rq, a);
	} else if (strncmp(p, TB_PATH "/out-bill-no/", sizeof TB_PATH +
	    12) == 0) {
		bill_by_number(s, rq, p + sizeof TB_PATH + 12, 1, a);
	} else if (strncmp(p, TB_PATH "/transfer-bill-no/", sizeof TB_PATH +
	    17) == 0) {
		bill_by_number(s, rq, p + sizeof TB_PATH + 17, 0, a);
	} else if (strcmp(p, BATCH_PATH) == 0) {
		if (strcmp(rq->method, "POST") != 0)
			wrong_method(a, "POST");
		else
			batch_create(s, rq, a);
	} else if (strncmp(p, BATCH_PATH "/", sizeof BATCH_PATH) == 0) {
		batch_query(s, rq, p + sizeof BATCH_PATH, a);
	} else if (strncmp(p, BALANCE_PATH, sizeof BALANCE_PATH - 1) == 0) {
		balance(s, rq, p + sizeof BALANCE_PATH - 1, a);
	} else
		sim_answer_error(a, 404, "NOT_FOUND", "请求的资源不存在");
}

/* APIv2 ------------------------------------------------------------ */

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

	/* Spec 1.2: past the communication check, answers carry a nonce_str
	 * (and still no sign). */
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

/* Descriptions for the err_code table of spec 1.5. */
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

void
sim_api_v2_ca_error(struct sim_answer *a)
{
	struct v2_out o;

	memset(&o, 0, sizeof o);
	v2_put(&o, "return_code", "SUCCESS");
	v2_put(&o, "return_msg", "");
	v2_fail(a, &o, "CA_ERROR");
}

static int
kv_cmp(const void *x, const void *y)
{
	return strcmp(((const struct wx_kv *)x)->key,
	    ((const struct wx_kv *)y)->key);
}

static void
v2_payment_time(time_t t, char out[24])
{
	struct tm tm;
	time_t bj = t + 8 * 3600;

	gmtime_r(&bj, &tm);
	strftime(out, 24, "%Y-%m-%d %H:%M:%S", &tm);
}

static void
v2_transfer(struct sim *s, struct wx_kv *kv, size_t n, struct v2_out *o,
    struct sim_answer *a)
{
	static const char *const required[] = { "mch_appid", "mchid",
	    "nonce_str", "partner_trade_no", "openid", "check_name", "amount",
	    "desc", "spbill_create_ip" };
	const char *mchid = wx_kv_get(kv, n, "mchid");
	const char *appid = wx_kv_get(kv, n, "mch_appid");
	const char *no, *openid, *check, *amount_s, *name;
	struct sim_bill *b;
	const struct sim_rule *rule;
	struct sim_user *u;
	unsigned char fp[32];
	struct fp f;
	char *end, ptime[24];
	long long amount;
	size_t i;

	v2_put(o, "return_code", "SUCCESS");
	v2_put(o, "return_msg", "");
	v2_put(o, "mch_appid", appid);
	v2_put(o, "mchid", mchid);
	v2_put(o, "device_info", wx_kv_get(kv, n, "device_info"));
	for (i = 0; i < sizeof required / sizeof required[0]; i++) {
		const char *v = wx_kv_get(kv, n, required[i]);

		if (v == NULL || *v == '\0') {
			v2_fail(a, o, "PARAM_ERROR");
			return;
		}
	}
	if (strcmp(mchid, s->cfg.mchid) != 0) {
		v2_fail(a, o, "NO_AUTH");
		return;
	}
	if (strcmp(appid, s->cfg.appid) != 0) {
		v2_fail(a, o, "PARAM_ERROR");
		return;
	}
	no = wx_kv_get(kv, n, "partner_trade_no");
	openid = wx_kv_get(kv, n, "openid");
	check = wx_kv_get(kv, n, "check_name");
	name = wx_kv_get(kv, n, "re_user_name");
	amount_s = wx_kv_get(kv, n, "amount");
	/* Digits only (no sign or blanks), at most 14 of them. */
	for (amount = 0, end = (char *)amount_s; *end >= '0' && *end <= '9' &&
	    end - amount_s < 14; end++)
		amount = amount * 10 + (*end - '0');
	if (!openid_ok(openid)) {
		v2_fail(a, o, "OPENID_ERROR");
		return;
	}
	if (*end != '\0' || end == amount_s || amount < 1 ||
	    amount > 10000000000000LL || !alnum_id(no, 32) ||
	    (strcmp(check, "NO_CHECK") != 0 &&
	    strcmp(check, "FORCE_CHECK") != 0) ||
	    (strcmp(check, "FORCE_CHECK") == 0 && (name == NULL ||
	    *name == '\0'))) {
		v2_fail(a, o, "PARAM_ERROR");
		return;
	}
	/* Everything but the per-request nonce and sign identifies it. */
	qsort(kv, n, sizeof *kv, kv_cmp);
	fp_begin(&f);
	for (i = 0; i < n; i++) {
		if (strcmp(kv[i].key, "sign") == 0 ||
		    strcmp(kv[i].key, "nonce_str") == 0 ||
		    strcmp(kv[i].key, "sign_type") == 0)
			continue;
		fp_add(&f, kv[i].key);
		fp_add(&f, kv[i].value);
	}
	fp_end(&f, fp);

	pthread_mutex_lock(&s->lock);
	b = sim_map_get(&s->by_v2, no);
	if (b != NULL) {
		if (memcmp(b->fp, fp, sizeof fp) != 0) {
			pthread_mutex_unlock(&s->lock);
			v2_fail(a, o, "FATAL_ERROR");
			return;
		}
		goto success;
	}
	rule = sim_rule_match(s, "v2", openid);
	if (rule != NULL && strcmp(rule->code, "SEND_FAILED") != 0) {
		/* Spec 1.5: none of these moves money; retry is allowed. */
		pthread_mutex_unlock(&s->lock);
		v2_fail(a, o, rule->code);
		return;
	}
	u = sim_user_get(s, openid);
	merchant_today(s);
	if (amount < s->cfg.min_transfer_fen ||
	    amount > s->cfg.max_transfer_fen) {
		pthread_mutex_unlock(&s->lock);
		v2_fail(a, o, "AMOUNT_LIMIT");
		return;
	}
	if (u->day_fen + amount > s->cfg.per_user_daily_fen ||
	    s->merchant_day_fen + amount > s->cfg.merchant_daily_fen) {
		pthread_mutex_unlock(&s->lock);
		v2_fail(a, o, "MONEY_LIMIT");
		return;
	}
	if (u->day_count + 1 > s->cfg.per_user_daily_count) {
		pthread_mutex_unlock(&s->lock);
		v2_fail(a, o, "SENDNUM_LIMIT");
		return;
	}
	if (s->avail[s->payout_idx] < amount) {
		pthread_mutex_unlock(&s->lock);
		v2_fail(a, o, "NOTENOUGH");
		return;
	}
	b = ld_calloc(1, sizeof *b);
	b->kind = SIM_KIND_V2;
	snprintf(b->out_no, sizeof b->out_no, "%s", no);
	make_no(s, "10100", b->bill_no, sizeof b->bill_no);
	snprintf(b->appid, sizeof b->appid, "%s", appid);
	snprintf(b->openid, sizeof b->openid, "%s", openid);
	b->remark = ld_strdup(wx_kv_get(kv, n, "desc"));
	b->user_name = name ? ld_strdup(name) : NULL;
	b->amount = amount;
	b->state = SIM_PROCESSING;
	b->create_time = b->update_time = time(NULL);
	memcpy(b->fp, fp, sizeof fp);
	sim_bill_add(s, b);
	hold_funds(s, b);
	sim_bill_set_state(s, b, SIM_SUCCESS, NULL);
	a->committed = 1;
	if (rule != NULL) {
		/* Paid, but the answer says "unknown, query it". */
		pthread_mutex_unlock(&s->lock);
		v2_fail(a, o, "SEND_FAILED");
		return;
	}
success:
	v2_put(o, "result_code", "SUCCESS");
	v2_put(o, "partner_trade_no", b->out_no);
	v2_put(o, "payment_no", b->bill_no);
	v2_payment_time(b->create_time, ptime);
	v2_put(o, "payment_time", ptime);
	pthread_mutex_unlock(&s->lock);
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

	v2_put(o, "return_code", "SUCCESS");
	v2_put(o, "return_msg", "");
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
	v2_payment_time(b->create_time, t);
	v2_put(o, "transfer_time", t);
	v2_payment_time(b->update_time, t);
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
	size_t n = 0;
	int transfer = strcmp(rq->path,
	    "/mmpaymkttransfers/promotion/transfers") == 0;
	int query = strcmp(rq->path, "/mmpaymkttransfers/gettransferinfo") == 0;

	memset(&o, 0, sizeof o);
	if (!transfer && !query) {
		sim_answer_error(a, 404, "NOT_FOUND", "请求的资源不存在");
		a->content_type = "application/json";
		return;
	}
	if (strcmp(rq->method, "POST") != 0) {
		v2_put(&o, "return_code", "FAIL");
		v2_put(&o, "return_msg", "请使用post方法");
		v2_finish(a, &o);
		return;
	}
	if (!s->cfg.products_v2) {
		v2_put(&o, "return_code", "SUCCESS");
		v2_put(&o, "return_msg", "");
		v2_fail(a, &o, "NO_AUTH");
		return;
	}
	if (wx_v2_xml_parse(rq->body, rq->body_len, &kv, &n, &err) != LD_OK) {
		v2_put(&o, "return_code", "SUCCESS");
		v2_put(&o, "return_msg", "");
		v2_fail(a, &o, "XML_ERROR");
		return;
	}
	if (wx_v2_verify(s->apiv2_key, kv, n, &err) != LD_OK) {
		v2_put(&o, "return_code", "SUCCESS");
		v2_put(&o, "return_msg", "");
		v2_fail(a, &o, "SIGN_ERROR");
		wx_kv_free(kv, n);
		return;
	}
	if (transfer)
		v2_transfer(s, kv, n, &o, a);
	else
		v2_query(s, kv, n, &o, a);
	wx_kv_free(kv, n);
}

/* Admin ------------------------------------------------------------ */

/* Applies one JSON object of fault settings to a copy; all or nothing. */
static int
faults_apply(struct sim *s, const cJSON *o, char *msg, size_t size)
{
	struct sim_faults f;
	const cJSON *it;
	struct ld_err err;

	pthread_mutex_lock(&s->lock);
	f = s->faults;
	pthread_mutex_unlock(&s->lock);
	/* Back to what the configuration file said. */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "reset")))
		f = s->cfg.faults;
	cJSON_ArrayForEach(it, o) {
		char val[64];

		if (strcmp(it->string, "reset") == 0)
			continue;
		if (strcmp(it->string, "rules") == 0) {
			const cJSON *r;

			if (!cJSON_IsArray(it)) {
				snprintf(msg, size, "rules: expected an array "
				    "of strings");
				return -1;
			}
			f.nrules = 0;
			cJSON_ArrayForEach(r, it) {
				if (!cJSON_IsString(r) ||
				    sim_faults_set(&f, "rule", r->valuestring,
				    &err) != LD_OK) {
					snprintf(msg, size, "rules: %s",
					    cJSON_IsString(r) ? err.msg :
					    "expected a string");
					return -1;
				}
			}
			continue;
		}
		if (cJSON_IsNumber(it))
			snprintf(val, sizeof val, "%.0f", it->valuedouble);
		else if (cJSON_IsString(it))
			snprintf(val, sizeof val, "%s", it->valuestring);
		else {
			snprintf(msg, size, "%s: expected a number",
			    it->string);
			return -1;
		}
		if (sim_faults_set(&f, it->string, val, &err) != LD_OK) {
			snprintf(msg, size, "%s", err.msg);
			return -1;
		}
	}
	pthread_mutex_lock(&s->lock);
	s->faults = f;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void
admin_bill(struct sim *s, const char *rest, struct sim_answer *a)
{
	char no[72], *action;
	struct sim_bill *b;
	int ok = 0;

	if (strlen(rest) >= sizeof no || (action = strchr(rest, '/')) ==
	    NULL) {
		sim_answer_error(a, 404, "NOT_FOUND", "unknown admin path");
		return;
	}
	snprintf(no, sizeof no, "%.*s", (int)(action - rest), rest);
	action++;
	pthread_mutex_lock(&s->lock);
	b = sim_map_get(&s->by_out_bill, no);
	if (b == NULL) {
		pthread_mutex_unlock(&s->lock);
		sim_answer_error(a, 404, "NOT_FOUND", "no such out_bill_no");
		return;
	}
	if (strcmp(action, "confirm") == 0)
		ok = sim_bill_confirm(s, b);
	else if (strcmp(action, "expire") == 0) {
		/* What the 24 h timeout would do, now. */
		if (b->state == SIM_WAIT_USER_CONFIRM) {
			b->ignore = 1;
			sim_bill_schedule(s, b, sim_now_ms());
			ok = 1;
		}
	} else {
		pthread_mutex_unlock(&s->lock);
		sim_answer_error(a, 404, "NOT_FOUND",
		    "actions: confirm, expire");
		return;
	}
	if (ok)
		sim_answer_json(a, 200, ld_asprintf("{\"out_bill_no\":\"%s\","
		    "\"state\":\"%s\"}", b->out_no, sim_state_name(b->state)));
	else
		sim_answer_error(a, 409, "INVALID_STATE",
		    sim_state_name(b->state));
	pthread_mutex_unlock(&s->lock);
}

static void
admin_balance(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	cJSON *o = parse_body(rq);
	const cJSON *acc, *amt;
	int i = -1;

	acc = cJSON_GetObjectItemCaseSensitive(o, "account");
	amt = cJSON_GetObjectItemCaseSensitive(o, "available_amount");
	if (cJSON_IsString(acc))
		i = strcmp(acc->valuestring, "BASIC") == 0 ? 0 :
		    strcmp(acc->valuestring, "OPERATION") == 0 ? 1 :
		    strcmp(acc->valuestring, "FEES") == 0 ? 2 : -1;
	if (i < 0 || !cJSON_IsNumber(amt) || amt->valuedouble < 0 ||
	    amt->valuedouble > 1e13 ||
	    amt->valuedouble != floor(amt->valuedouble)) {
		cJSON_Delete(o);
		sim_answer_error(a, 400, "PARAM_ERROR", "expected {\"account\":"
		    "\"BASIC|OPERATION|FEES\",\"available_amount\":FEN}");
		return;
	}
	pthread_mutex_lock(&s->lock);
	s->avail[i] = (int64_t)amt->valuedouble;
	pthread_mutex_unlock(&s->lock);
	cJSON_Delete(o);
	sim_answer_json(a, 200, ld_strdup("{}"));
}

static void
admin_info(struct sim *s, struct sim_answer *a)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "mchid", s->cfg.mchid);
	cJSON_AddStringToObject(o, "appid", s->cfg.appid);
	cJSON_AddStringToObject(o, "merchant_serial", s->cfg.merchant_serial);
	cJSON_AddStringToObject(o, "platform_key_id", s->platform_key_id);
	cJSON_AddStringToObject(o, "platform_public_key_file",
	    s->platform_public_file);
	cJSON_AddStringToObject(o, "apiv3_key_file", s->cfg.apiv3_key_file);
	cJSON_AddStringToObject(o, "apiv2_key_file", s->cfg.apiv2_key_file);
	if (s->merchant_private_file != NULL)
		cJSON_AddStringToObject(o, "merchant_private_key_file",
		    s->merchant_private_file);
	sim_answer_json(a, 200, print_json(o));
}

void
sim_api_admin(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	const char *p = rq->path + 7;
	int get = strcmp(rq->method, "GET") == 0;
	int post = strcmp(rq->method, "POST") == 0;

	if (strcmp(p, "ledger") == 0 && get)
		sim_answer_json(a, 200, sim_ledger_json(s));
	else if (strcmp(p, "callbacks") == 0 && get)
		sim_answer_json(a, 200, sim_callbacks_json(s));
	else if (strcmp(p, "info") == 0 && get)
		admin_info(s, a);
	else if (strcmp(p, "faults") == 0 && get)
		sim_answer_json(a, 200, sim_faults_json(s));
	else if (strcmp(p, "faults") == 0 &&
	    (post || strcmp(rq->method, "DELETE") == 0)) {
		cJSON *o = post ? parse_body(rq) :
		    cJSON_Parse("{\"reset\":true}");
		char msg[512];

		if (!cJSON_IsObject(o))
			sim_answer_error(a, 400, "PARAM_ERROR",
			    "expected a JSON object");
		else if (faults_apply(s, o, msg, sizeof msg) != 0)
			sim_answer_error(a, 400, "PARAM_ERROR", msg);
		else
			sim_answer_json(a, 200, sim_faults_json(s));
		cJSON_Delete(o);
	} else if (strcmp(p, "balance") == 0 && post)
		admin_balance(s, rq, a);
	else if (strncmp(p, "bills/", 6) == 0 && post)
		admin_bill(s, p + 6, a);
	else
		sim_answer_error(a, 404, "NOT_FOUND", "admin endpoints: GET "
		    "ledger, callbacks, info, faults; POST faults, balance, "
		    "bills/N/confirm, bills/N/expire; DELETE faults");
}
