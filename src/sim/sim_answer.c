/*
 * Answers as WeChat Pay's APIv3 gives them: JSON bodies, and errors as
 * {"code","message"[,"detail"]} with the status each code documents
 * (pay.weixin.qq.com doc 4012716434 for transfer bills; docs/wxpay-api.md
 * lists them together).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ld_alloc.h"
#include "sim_api.h"
#include "wxpay_crypto.h"

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

void
sim_answer_json(struct sim_answer *a, unsigned status, char *json)
{
	free(a->body);
	a->status = status;
	a->body = json;
	a->len = json ? strlen(json) : 0;
	a->content_type = "application/json";
}

void
sim_answer_obj(struct sim_answer *a, unsigned status, cJSON *o)
{
	sim_answer_json(a, status, cJSON_PrintUnformatted(o));
	cJSON_Delete(o);
}

void
sim_answer_error(struct sim_answer *a, unsigned status, const char *code,
    const char *message)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "message", message);
	sim_answer_obj(a, status, o);
}

void
sim_answer_field(struct sim_answer *a, unsigned status, const char *code,
    const char *message, const char *field)
{
	cJSON *o = cJSON_CreateObject(), *d;

	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "message", message);
	d = cJSON_AddObjectToObject(o, "detail");
	cJSON_AddStringToObject(d, "field", field);
	cJSON_AddStringToObject(d, "location", "body");
	sim_answer_obj(a, status, o);
}

void
sim_answer_method(struct sim_answer *a, const char *allow)
{
	/* RFC 9110 15.5.6: a 405 names the methods the resource takes. */
	sim_answer_error(a, 405, "INVALID_REQUEST", "请求方法不被允许");
	a->allow = allow;
}

int
sim_answer_v3_code(struct sim_answer *a, const char *code)
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

/* Adds user_name RSA-OAEP encrypted to the merchant; frees name. */
void
sim_answer_add_name(struct sim *s, cJSON *o, char *name)
{
	struct ld_err err;
	char *enc = NULL;

	if (name != NULL && wx_rsa_oaep_encrypt_b64(s->merchant_pub, name,
	    &enc, &err) == LD_OK)
		cJSON_AddStringToObject(o, "user_name", enc);
	free(enc);
	if (name != NULL)
		OPENSSL_cleanse(name, strlen(name));
	free(name);
}
