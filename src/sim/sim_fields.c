/*
 * Reading what a merchant sends.  A creating request is read by a table of
 * fields, each checked by the rule the client itself applies before
 * sending (wxpay_check.h), and fingerprinted on the way: the fingerprint
 * is what makes a merchant number idempotent (the same number with the
 * same fields is the same request; with other fields, a refusal), so it
 * must see every field exactly as it was checked.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ld_alloc.h"
#include "sim_api.h"
#include "wxpay_check.h"
#include "wxpay_crypto.h"

void
sim_fp_begin(struct sim_fp *f)
{
	f->ctx = EVP_MD_CTX_new();
	/* SHA-256 in the default provider fails only for want of memory. */
	if (f->ctx == NULL || EVP_DigestInit_ex(f->ctx, EVP_sha256(), NULL) != 1)
		ld_out_of_memory("SHA-256 of a request body");
}

void
sim_fp_add(struct sim_fp *f, const char *s)
{
	const char *v = s ? s : "";

	EVP_DigestUpdate(f->ctx, v, strlen(v) + 1);
}

void
sim_fp_add_i64(struct sim_fp *f, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%" PRId64, v);
	sim_fp_add(f, buf);
}

void
sim_fp_end(struct sim_fp *f, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_DigestFinal_ex(f->ctx, out, &n);
	EVP_MD_CTX_free(f->ctx);
	f->ctx = NULL;
}

cJSON *
sim_body_object(const struct sim_request *rq)
{
	cJSON *o = wx_json_parse_exact(rq->body, rq->body_len, NULL);

	if (o != NULL && !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

int
sim_body_json(const struct sim_request *rq, cJSON **o, struct sim_answer *a)
{
	const char *ct = rq->content_type;

	*o = NULL;
	/* application/json, with parameters or none. */
	if (ct == NULL || strncmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
		sim_answer_error(a, 400, "INVALID_REQUEST",
		    "HTTP头Content-Type值必须为application/json");
		return -1;
	}
	if ((*o = sim_body_object(rq)) == NULL) {
		sim_answer_error(a, 400, "PARAM_ERROR", "请求体不是合法的JSON对象");
		return -1;
	}
	return 0;
}

int
sim_openid_ok(const char *p)
{
	size_t n = 0;

	/* Anything else is refused before it is kept, so the per-user books
	 * always key on the whole openid. */
	for (; *p != '\0'; p++, n++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '-'))
			return 0;
	return n > 0 && n <= 64;
}

int
sim_query_param(const char *query, const char *name, char *out, size_t size)
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

int
sim_small_uint(const char *p, long *out)
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

/* PARAM_ERROR naming the field, with the rule's own words after it. */
static int
refuse(struct sim_answer *a, const char *name, const char *why,
    const char *detail)
{
	char msg[LD_ERR_MSG_MAX + 256];

	if (detail != NULL)
		snprintf(msg, sizeof msg, "字段 %s %s（%s）", name, why, detail);
	else
		snprintf(msg, sizeof msg, "字段 %s %s", name, why);
	sim_answer_field(a, 400, "PARAM_ERROR", msg, name);
	return -1;
}

/* An amount in fen: a JSON integer in [1, 10^13]. */
static int
read_fen(const cJSON *v, const char *name, int64_t *out,
    struct sim_answer *a)
{
	double d;

	if (!cJSON_IsNumber(v))
		return refuse(a, name, "应为整数（单位：分）", NULL);
	d = v->valuedouble;
	/* cJSON holds numbers as double; anything not integral is refused. */
	if (!(d >= 1 && d <= 1e13) || d != floor(d))
		return refuse(a, name, "应为 1 到 10000000000000 之间的整数"
		    "（单位：分）", NULL);
	*out = (int64_t)d;
	return 0;
}

/*
 * user_name: RSA-OAEP to our platform key, named by Wechatpay-Serial
 * (either of our identities will do, as during a switchover), and a
 * name once decrypted.
 */
static int
read_name(struct sim *s, const struct sim_request *rq, const char *enc,
    char **plain, struct sim_answer *a)
{
	struct ld_err err;

	if (rq->wechatpay_serial == NULL ||
	    (strcmp(rq->wechatpay_serial, s->platform_key_id) != 0 &&
	    strcmp(rq->wechatpay_serial, s->platform_cert_serial) != 0)) {
		sim_answer_field(a, 400, "PARAM_ERROR", "请求头 Wechatpay-Serial "
		    "缺失或与加密敏感信息所用的微信支付公钥ID不一致",
		    "Wechatpay-Serial");
		return -1;
	}
	if (wx_rsa_oaep_decrypt_b64(s->platform_key, enc, plain, &err) !=
	    LD_OK) {
		sim_answer_field(a, 400, "PARAM_ERROR", "user_name 解密失败，请使"
		    "用微信支付公钥以 RSA-OAEP 加密", "user_name");
		return -1;
	}
	if (wx_check_text("user_name", *plain, 64, &err) != LD_OK)
		return refuse(a, "user_name", "解密后不是合法的姓名", err.msg);
	return 0;
}

/* One string field by its kind; 0 or -1 with the answer filled. */
static int
read_string(struct sim *s, const struct sim_request *rq,
    const struct sim_field *fd, const char *v, struct sim_value *out,
    struct sim_answer *a)
{
	struct ld_err err;
	enum ld_status st = LD_OK;

	switch (fd->kind) {
	case SIM_F_TEXT:
	case SIM_F_NAME:
		st = wx_check_text(fd->name, v, fd->max, &err);
		break;
	case SIM_F_NO:
		st = wx_check_no(fd->name, v, fd->max, &err);
		break;
	case SIM_F_URL:
		st = wx_http_check_notify_url(v, &err);
		break;
	case SIM_F_OPENID:
		if (!sim_openid_ok(v)) {
			sim_answer_field(a, 400, "INVALID_REQUEST",
			    "Openid格式错误或者不属于商家公众账号", fd->name);
			return -1;
		}
		break;
	case SIM_F_FEN:
		break;
	}
	if (st != LD_OK)
		return refuse(a, fd->name, "不符合规则", err.msg);
	out->str = v;
	if (fd->kind == SIM_F_NAME)
		return read_name(s, rq, v, &out->plain, a);
	return 0;
}

int
sim_fields_read(struct sim *s, const struct sim_request *rq, const cJSON *o,
    const struct sim_field *spec, size_t n, struct sim_value *v,
    struct sim_fp *f, struct sim_answer *a)
{
	char msg[256];
	size_t i;

	memset(v, 0, n * sizeof *v);
	for (i = 0; i < n; i++) {
		const struct sim_field *fd = &spec[i];
		const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, fd->name);

		if (j == NULL || cJSON_IsNull(j)) {
			if (!fd->required) {
				sim_fp_add(f, NULL);
				continue;
			}
			snprintf(msg, sizeof msg, "输入源“/body/%s”映射到值字段"
			    "必填性规则校验失败，此字段为必填项", fd->name);
			sim_answer_field(a, 400, "PARAM_ERROR", msg, fd->name);
			return -1;
		}
		if (fd->kind == SIM_F_FEN) {
			if (read_fen(j, fd->name, &v[i].fen, a) != 0)
				return -1;
			sim_fp_add_i64(f, v[i].fen);
			continue;
		}
		if (!cJSON_IsString(j))
			return refuse(a, fd->name, "类型错误，应为字符串", NULL);
		if (read_string(s, rq, fd, j->valuestring, &v[i], a) != 0)
			return -1;
		sim_fp_add(f, v[i].plain != NULL ? v[i].plain : v[i].str);
	}
	return 0;
}

void
sim_values_free(struct sim_value *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].plain != NULL)
			OPENSSL_cleanse(v[i].plain, strlen(v[i].plain));
		free(v[i].plain);
		v[i].plain = NULL;
	}
}
