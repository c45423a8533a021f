/*
 * The WeChat Pay client: construction from the configuration, the signed
 * APIv3 exchange, 商家转账 transfer bills and the balance query.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ld_alloc.h"
#include "ld_utf8.h"
#include "wxpay_int.h"

#define BILLS_PATH "/v3/fund-app/mch-transfer/transfer-bills"

/* Answers */

void
wx_answer_free(struct wx_answer *a)
{
	if (a == NULL)
		return;
	free(a->request_body);
	free(a->raw);
	memset(a, 0, sizeof *a);
}

void
wx_ans_begin(struct wx_answer *a, const char *method, const char *path,
    const char *body, size_t body_len)
{
	memset(a, 0, sizeof *a);
	snprintf(a->method, sizeof a->method, "%s", method);
	snprintf(a->path, sizeof a->path, "%s", path);
	if (body != NULL) {
		a->request_body = ld_malloc(body_len + 1);
		memcpy(a->request_body, body, body_len);
		a->request_body[body_len] = '\0';
		a->request_body_len = body_len;
	}
	a->transport = LD_OK;
}

void
wx_ans_classify(struct wx_answer *a, enum wx_code_kind kind, const char *code,
    const char *message)
{
	a->cls = wx_code_classify(kind, code);
	a->outcome = a->cls->outcome;
	/* Both come from the answer and end in logs and on screens. */
	wx_text_copy(a->code, sizeof a->code, code);
	if (message != NULL)
		wx_text_copy(a->message, sizeof a->message, message);
}

enum ld_status
wx_ans_local(struct wx_answer *a, struct ld_err *err)
{
	wx_ans_classify(a, WX_KIND_TRANSPORT, WX_CODE_LOCAL,
	    err != NULL ? err->msg : "refused locally");
	return err != NULL && err->code != LD_OK ? err->code : LD_EINVAL;
}

/* JSON helpers */

static enum ld_status
json_member(const cJSON *o, const char *name, int required,
    const cJSON **out, struct ld_err *err)
{
	*out = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, name) :
	    NULL;
	if (*out == NULL && required)
		return ld_err_set(err, LD_EPROTO, "answer has no \"%s\"",
		    name);
	return LD_OK;
}

enum ld_status
wx_json_copy(const cJSON *o, const char *name, char *dst, size_t cap,
    int required, struct ld_err *err)
{
	const cJSON *j;
	size_t len;

	dst[0] = '\0';
	if (json_member(o, name, required, &j, err) != LD_OK)
		return LD_EPROTO;
	if (j == NULL)
		return LD_OK;
	if (!cJSON_IsString(j))
		return ld_err_set(err, LD_EPROTO, "answer field \"%s\" is not "
		    "a string", name);
	if (required && j->valuestring[0] == '\0')
		return ld_err_set(err, LD_EPROTO, "answer field \"%s\" is "
		    "empty", name);
	if ((len = strlen(j->valuestring)) >= cap)
		return ld_err_set(err, LD_EPROTO, "answer field \"%s\" has %zu "
		    "bytes, more than the %zu this client keeps", name, len,
		    cap - 1);
	memcpy(dst, j->valuestring, len + 1);
	return LD_OK;
}

enum ld_status
wx_json_strdup(const cJSON *o, const char *name, char **out, int required,
    struct ld_err *err)
{
	const cJSON *j;

	*out = NULL;
	if (json_member(o, name, required, &j, err) != LD_OK)
		return LD_EPROTO;
	if (j == NULL)
		return LD_OK;
	if (!cJSON_IsString(j))
		return ld_err_set(err, LD_EPROTO, "answer field \"%s\" is not "
		    "a string", name);
	if (required && j->valuestring[0] == '\0')
		return ld_err_set(err, LD_EPROTO, "answer field \"%s\" is "
		    "empty", name);
	*out = ld_strdup(j->valuestring);
	return LD_OK;
}

enum ld_status
wx_json_int64(const cJSON *o, const char *name, int64_t *out, int required,
    struct ld_err *err)
{
	const cJSON *j;
	double d;

	*out = -1;
	if (json_member(o, name, required, &j, err) != LD_OK)
		return LD_EPROTO;
	if (j == NULL)
		return LD_OK;
	/*
	 * cJSON keeps numbers as doubles; amounts are integers well below
	 * 2^53, where a double is exact.  Anything else is refused rather
	 * than rounded: 2^53 itself is also what 9007199254740993 reads as.
	 */
	d = cJSON_IsNumber(j) ? j->valuedouble : -1;
	if (!(d >= 0 && d < 9007199254740992.0) || d != (double)(int64_t)d)
		return ld_err_set(err, LD_EPROTO, "answer field \"%s\" is not "
		    "an integer in [0, 2^53)", name);
	*out = (int64_t)d;
	return LD_OK;
}

void
wx_json_add_int(cJSON *o, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%lld", (long long)v);
	cJSON_AddRawToObject(o, name, buf);
}

/* Validation */

enum ld_status
wx_check_no(const char *field, const char *v, size_t max, struct ld_err *err)
{
	size_t i;

	if (v == NULL || v[0] == '\0')
		return ld_err_set(err, LD_EINVAL, "%s is empty", field);
	for (i = 0; v[i] != '\0'; i++)
		if (!((v[i] >= '0' && v[i] <= '9') ||
		    (v[i] >= 'A' && v[i] <= 'Z') ||
		    (v[i] >= 'a' && v[i] <= 'z')))
			return ld_err_set(err, LD_EINVAL, "%s \"%.64s\": "
			    "character %zu is not a letter or digit", field,
			    v, i + 1);
	if (i > max)
		return ld_err_set(err, LD_EINVAL, "%s \"%.64s\" is longer "
		    "than %zu", field, v, max);
	return LD_OK;
}

enum ld_status
wx_check_text(const char *field, const char *v, size_t max,
    struct ld_err *err)
{
	enum ld_utf8_status st;
	size_t chars, at;

	if (v == NULL || v[0] == '\0')
		return ld_err_set(err, LD_EINVAL, "%s is empty", field);
	st = ld_utf8_check(v, strlen(v), LD_UTF8_BMP_ONLY | LD_UTF8_NO_CONTROL,
	    &chars, &at);
	if (st != LD_UTF8_OK)
		return ld_err_set(err, LD_EINVAL, "%s: %s at byte %zu%s", field,
		    ld_utf8_strerror(st), at + 1, st == LD_UTF8_FOUR_BYTE ?
		    " (WeChat Pay refuses them)" : "");
	if (chars > max)
		return ld_err_set(err, LD_EINVAL, "%s has %zu characters, "
		    "more than %zu", field, chars, max);
	return LD_OK;
}

/* Construction */

static time_t
default_now(void)
{
	return time(NULL);
}

time_t
wx_client_now(const struct wx_client *c)
{
	return c->now();
}

void
wx_client_enc_key_refresh(struct wx_client *c)
{
	const struct wx_verifier_key *k = wx_verifier_current(&c->verifier,
	    c->now());

	/* A public key first: it is the current mode, and naming it in
	 * Wechatpay-Serial asks for answers signed with it. */
	c->enc_key = k != NULL ? k->key : NULL;
	snprintf(c->enc_serial, sizeof c->enc_serial, "%s",
	    k != NULL ? k->serial : "");
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? ld_strdup(s) : NULL;
}

enum ld_status
wx_client_new(const struct wx_config *cfg, struct wx_client **out,
    struct ld_err *err)
{
	struct wx_client *c;
	struct wx_http_opts ho;
	enum ld_status st = LD_OK;
	int v3 = cfg->mode != LD_WXPAY_V2;

	*out = NULL;
	if (cfg->mchid == NULL || cfg->appid == NULL ||
	    cfg->base_url == NULL)
		return ld_err_set(err, LD_EINVAL, "[wxpay] needs mchid, appid "
		    "and base_url");
	c = ld_calloc(1, sizeof *c);
	c->mode = cfg->mode;
	c->now = default_now;
	c->v2_sign = WX_V2_MD5;
	wx_verifier_init(&c->verifier);
	c->mchid = ld_strdup(cfg->mchid);
	c->appid = ld_strdup(cfg->appid);
	c->merchant_serial = dup_or_null(cfg->merchant_serial);
	c->notify_url = dup_or_null(cfg->notify_url);
	c->scene_id = dup_or_null(cfg->transfer_scene_id);
	c->perception = dup_or_null(cfg->user_recv_perception);
	c->report_infos = dup_or_null(cfg->transfer_scene_report_infos);
	if (c->notify_url != NULL &&
	    (st = wx_http_check_notify_url(c->notify_url, err)) != LD_OK) {
		ld_err_prefix(err, "[wxpay] ");
		goto fail;
	}

	if (cfg->private_key_file != NULL) {
		if ((st = wx_load_secret_private_key(
		    cfg->private_key_file,
		    &c->merchant_key, err)) != LD_OK)
			goto fail;
	} else if (v3) {
		st = ld_err_set(err, LD_EINVAL, "[wxpay] APIv3 needs "
		    "private_key_file");
		goto fail;
	}
	if (v3 && c->merchant_serial == NULL) {
		st = ld_err_set(err, LD_EINVAL, "[wxpay] APIv3 needs "
		    "merchant_serial");
		goto fail;
	}
	if (cfg->platform_public_key_file != NULL) {
		if (cfg->platform_key_id == NULL ||
		    strncmp(cfg->platform_key_id, "PUB_KEY_ID_",
		    11) != 0) {
			st = ld_err_set(err, LD_EINVAL, "[wxpay] "
			    "platform_key_id must be PUB_KEY_ID_...");
			goto fail;
		}
		if ((st = wx_verifier_add_file(&c->verifier,
		    cfg->platform_key_id,
		    cfg->platform_public_key_file, err)) != LD_OK)
			goto fail;
	}
	if (cfg->platform_cert_file != NULL) {
		if ((st = wx_verifier_add_file(&c->verifier,
		    cfg->platform_cert_serial,
		    cfg->platform_cert_file, err)) != LD_OK)
			goto fail;
		/* An expired certificate verifies nothing: alone, say so at
		 * start rather than as every answer failing verification;
		 * beside a public key, which verifies, it is left unused. */
		if (cfg->platform_public_key_file == NULL &&
		    (st = wx_verifier_check_validity(&c->verifier,
		    c->verifier.keys[c->verifier.n - 1].serial, time(NULL),
		    err)) != LD_OK) {
			ld_err_prefix(err, "[wxpay] platform_cert_file %s: ",
			    cfg->platform_cert_file);
			goto fail;
		}
	}
	if (v3 && c->verifier.n == 0) {
		st = ld_err_set(err, LD_EINVAL, "[wxpay] APIv3 needs "
		    "platform_public_key_file or platform_cert_file");
		goto fail;
	}
	wx_client_enc_key_refresh(c);
	if (cfg->apiv3_key_file != NULL) {
		if ((st = wx_read_apiv3_key(cfg->apiv3_key_file,
		    c->apiv3_key, err)) != LD_OK)
			goto fail;
		c->has_apiv3 = 1;
	} else if (v3) {
		st = ld_err_set(err, LD_EINVAL, "[wxpay] APIv3 needs "
		    "apiv3_key_file");
		goto fail;
	}
	if (cfg->apiv2_key_file != NULL) {
		if ((st = wx_read_secret_line(cfg->apiv2_key_file,
		    c->apiv2_key, sizeof c->apiv2_key, err)) != LD_OK)
			goto fail;
		c->has_apiv2 = 1;
	} else if (!v3) {
		st = ld_err_set(err, LD_EINVAL, "[wxpay] mode v2 needs "
		    "apiv2_key_file");
		goto fail;
	}
	memset(&ho, 0, sizeof ho);
	ho.base_url = cfg->base_url;
	ho.ca_file = cfg->ca_file;
	ho.client_p12 = cfg->client_cert_p12;
	ho.p12_password = cfg->mchid; /* apiclient_cert.p12's */
	ho.connect_timeout_ms = cfg->connect_timeout_ms;
	ho.timeout_ms = cfg->timeout_ms;
	if ((st = wx_http_init(&c->http, &ho, err)) != LD_OK)
		goto fail;
	if (!v3 && c->http.tls && cfg->client_cert_p12 == NULL) {
		st = ld_err_set(err, LD_EINVAL, "[wxpay] mode v2 over https "
		    "needs client_cert_p12 (mutual TLS)");
		goto fail;
	}
	*out = c;
	return LD_OK;
fail:
	wx_client_free(c);
	return st;
}

void
wx_client_free(struct wx_client *c)
{
	if (c == NULL)
		return;
	wx_http_cleanup(&c->http);
	wx_verifier_clear(&c->verifier);
	EVP_PKEY_free(c->merchant_key);
	OPENSSL_cleanse(c->apiv3_key, sizeof c->apiv3_key);
	OPENSSL_cleanse(c->apiv2_key, sizeof c->apiv2_key);
	free(c->mchid);
	free(c->appid);
	free(c->merchant_serial);
	free(c->notify_url);
	free(c->scene_id);
	free(c->perception);
	free(c->report_infos);
	free(c);
}

void
wx_client_set_clock(struct wx_client *c, time_t (*now)(void))
{
	c->now = now != NULL ? now : default_now;
	wx_client_enc_key_refresh(c);
}

void
wx_client_set_v2_sign_type(struct wx_client *c, enum wx_v2_sign_type t)
{
	c->v2_sign = t;
}

const struct wx_verifier *
wx_client_verifier(const struct wx_client *c)
{
	return &c->verifier;
}

enum ld_status
wx_client_open_notify(struct wx_client *c, const struct wx_signed_headers *h,
    const void *body, size_t body_len, struct wx_notify *out,
    struct ld_err *err)
{
	if (!c->has_apiv3) {
		memset(out, 0, sizeof *out);
		return ld_err_set(err, LD_EINVAL, "callback: no apiv3_key_file "
		    "configured");
	}
	return wx_notify_open(&c->verifier, h, body, body_len, c->apiv3_key,
	    c->now(), out, err);
}

/* The signed APIv3 exchange */

enum ld_status
wx_v3_interpret(struct wx_answer *ans, long status, const char *body,
    size_t len, cJSON **json, struct ld_err *err)
{
	struct ld_err perr;

	*json = NULL;
	if (status == 200 || status == 204) {
		if (len > 0) {
			ld_err_clear(&perr);
			*json = wx_json_parse_exact(body, len, &perr);
			if (!cJSON_IsObject(*json)) {
				if (*json != NULL)
					ld_err_set(&perr, LD_EPROTO, "not a "
					    "JSON object");
				cJSON_Delete(*json);
				*json = NULL;
				wx_ans_classify(ans, WX_KIND_TRANSPORT,
				    WX_CODE_BAD_ANSWER, perr.msg);
				return ld_err_set(err, LD_EPROTO, "%s %s: HTTP "
				    "%ld answer: %s", ans->method, ans->path,
				    status, perr.msg);
			}
		}
		return LD_OK;
	}
	if (status == 202) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, "HTTP_202",
		    "accepted, not processed");
	} else {
		cJSON *e = wx_json_parse_exact(body, len, NULL);
		char code[64], msg[sizeof ans->message];
		const struct wx_code_class *k;

		/* A body that is not JSON (a gateway page) has no code; a
		 * JSON body must be the documented {"code","message"}. */
		if (wx_json_copy(e, "code", code, sizeof code, WX_OPTIONAL,
		    &perr) != LD_OK || wx_json_copy(e, "message", msg,
		    sizeof msg, WX_OPTIONAL, &perr) != LD_OK) {
			cJSON_Delete(e);
			wx_ans_classify(ans, WX_KIND_TRANSPORT,
			    WX_CODE_BAD_ANSWER, perr.msg);
			return ld_err_set(err, LD_EPROTO, "%s %s: HTTP %ld "
			    "error body: %s", ans->method, ans->path, status,
			    perr.msg);
		}
		cJSON_Delete(e);
		k = wx_code_classify_v3_error(code, msg);
		if (wx_code_is_known(k)) {
			wx_ans_classify(ans, WX_KIND_V3_ERROR, code, msg);
			ans->cls = k;
			ans->outcome = k->outcome;
		} else if (status == 429)
			wx_ans_classify(ans, WX_KIND_V3_ERROR,
			    "FREQUENCY_LIMITED", msg);
		else if (status >= 500)
			wx_ans_classify(ans, WX_KIND_TRANSPORT,
			    WX_CODE_HTTP_5XX, msg);
		else if (code[0] != '\0')
			wx_ans_classify(ans, WX_KIND_V3_ERROR, code, msg);
		else
			wx_ans_classify(ans, WX_KIND_TRANSPORT,
			    WX_CODE_HTTP_OTHER, msg);
		/* Keep the code WeChat sent, even when classified by status. */
		if (code[0] != '\0')
			wx_text_copy(ans->code, sizeof ans->code, code);
	}
	return LD_OK;
}

enum ld_status
wx_v3_call(struct wx_client *c, const char *method, const char *path,
    const char *body, struct wx_answer *ans, cJSON **json,
    struct ld_err *err)
{
	char ts[24], nonce[33], *auth = NULL, *h_auth, *h_serial = NULL;
	const char *hdrs[6];
	size_t nh = 0, blen = body != NULL ? strlen(body) : 0;
	struct wx_http_resp r;
	struct ld_err verr;
	enum ld_status st;
	time_t now = c->now();

	*json = NULL;
	wx_ans_begin(ans, method, path, body, blen);
	if (c->merchant_key == NULL || c->merchant_serial == NULL) {
		ld_err_set(err, LD_EINVAL, "%s %s: APIv3 needs "
		    "private_key_file and merchant_serial", method, path);
		return wx_ans_local(ans, err);
	}
	snprintf(ts, sizeof ts, "%lld", (long long)now);
	if ((st = wx_random_nonce(nonce, err)) != LD_OK ||
	    (st = wx_v3_authorization_len(c->merchant_key, c->mchid,
	    c->merchant_serial, method, path, ts, nonce, body, blen, &auth,
	    err)) != LD_OK)
		return wx_ans_local(ans, err);
	h_auth = ld_asprintf("Authorization: %s", auth);
	free(auth);
	hdrs[nh++] = h_auth;
	hdrs[nh++] = "Accept: application/json";
	hdrs[nh++] = "Content-Type: application/json";
	if (c->enc_serial[0] != '\0') {
		h_serial = ld_asprintf("Wechatpay-Serial: %s", c->enc_serial);
		hdrs[nh++] = h_serial;
	}
	hdrs[nh] = NULL;
	st = wx_http_do(&c->http, method, path, hdrs, body, blen, &r, err);
	free(h_auth);
	free(h_serial);
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
	/*
	 * Every 2xx must be signed.  Gateway-level errors may come unsigned
	 * (docs/wxpay-api.md, "APIv3 answer and callback verification");
	 * they are accepted unverified since an error never counts as
	 * success and never closes a number.
	 */
	if (r.status / 100 == 2 || r.has_timestamp || r.has_nonce ||
	    r.has_signature || r.has_serial) {
		struct wx_signed_headers h;

		ld_err_clear(&verr);
		if (wx_http_resp_signed(&r, &h, &verr) != LD_OK ||
		    wx_verify_signed(&c->verifier, &h, r.body.data, r.body.len,
		    c->now(), &verr) != LD_OK) {
			wx_ans_classify(ans, WX_KIND_TRANSPORT,
			    WX_CODE_UNVERIFIED, verr.msg);
			wx_http_resp_free(&r);
			return ld_err_set(err, LD_ECRYPTO, "%s %s: HTTP %ld "
			    "answer rejected: %s", method, path,
			    ans->http_status, verr.msg);
		}
		ans->verified = 1;
	}
	st = wx_v3_interpret(ans, r.status, r.body.data, r.body.len, json,
	    err);
	wx_http_resp_free(&r);
	return st;
}

/* Transfer bills */

void
wx_transfer_bill_free(struct wx_transfer_bill *b)
{
	if (b == NULL)
		return;
	free(b->package_info);
	free(b->user_name);
	memset(b, 0, sizeof *b);
	b->transfer_amount = -1;
}

static const char *const bill_doc_name[] = { "create", "query", "cancel",
	"callback" };

/*
 * Reads a bill.  Every field the documentation lists for that answer is
 * required, except fail_reason (FAIL only) and user_name (only when one was
 * sent); package_info is required on a create that waits for the user,
 * who cannot confirm without it.
 */
static enum ld_status
bill_from_json(const cJSON *o, enum wx_bill_doc doc,
    struct wx_transfer_bill *b, struct ld_err *err)
{
	int q = doc == WX_BILL_QUERY, n = doc == WX_BILL_NOTIFY;
	enum ld_status st = LD_OK;

	wx_transfer_bill_free(b);
#define F(name, req)							\
	if (st == LD_OK)						\
		st = wx_json_copy(o, #name, b->name, sizeof b->name,	\
		    (req) ? WX_REQUIRED : WX_OPTIONAL, err)
	F(out_bill_no, 1);
	F(transfer_bill_no, 1);
	F(state, 1);
	F(fail_reason, 0);
	F(appid, q);
	F(mch_id, q || n);
	F(openid, q || n);
	F(transfer_remark, q);
	F(create_time, doc != WX_BILL_CANCEL);
	F(update_time, doc != WX_BILL_CREATE);
#undef F
	if (st == LD_OK)
		st = wx_json_int64(o, "transfer_amount", &b->transfer_amount,
		    q || n, err);
	if (st == LD_OK)
		st = wx_json_strdup(o, "package_info", &b->package_info,
		    WX_OPTIONAL, err);
	if (st == LD_OK)
		st = wx_json_strdup(o, "user_name", &b->user_name, WX_OPTIONAL,
		    err);
	/* A bill that says it was paid and why it failed says nothing. */
	if (st == LD_OK && strcmp(b->state, "SUCCESS") == 0 &&
	    b->fail_reason[0] != '\0')
		st = ld_err_set(err, LD_EPROTO, "answer has state SUCCESS "
		    "with fail_reason %s", b->fail_reason);
	if (st == LD_OK && doc == WX_BILL_CREATE &&
	    strcmp(b->state, "WAIT_USER_CONFIRM") == 0 &&
	    (b->package_info == NULL || b->package_info[0] == '\0'))
		st = ld_err_set(err, LD_EPROTO, "answer has state "
		    "WAIT_USER_CONFIRM without package_info");
	if (st != LD_OK)
		ld_err_prefix(err, "transfer bill %s: ", bill_doc_name[doc]);
	return st;
}

static const struct wx_code_class *
bill_class(const struct wx_transfer_bill *b)
{
	const struct wx_code_class *s, *f;

	s = wx_code_classify(WX_KIND_V3_BILL_STATE, b->state);
	if (strcmp(b->state, "FAIL") == 0 && b->fail_reason[0] != '\0') {
		f = wx_code_classify(WX_KIND_V3_FAIL_REASON, b->fail_reason);
		/* An undocumented reason on a FAIL bill is still a FAIL. */
		if (wx_code_is_known(f))
			return f;
	}
	return s;
}

enum ld_status
wx_transfer_bill_from_json(const char *json, size_t len,
    struct wx_transfer_bill *bill, const struct wx_code_class **cls,
    struct ld_err *err)
{
	struct ld_err perr;
	cJSON *o = wx_json_parse_exact(json, len, &perr);
	enum ld_status st;

	memset(bill, 0, sizeof *bill);
	bill->transfer_amount = -1;
	*cls = wx_code_classify(WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return ld_err_set(err, LD_EPROTO, "transfer bill: %s",
		    o != NULL ? "not a JSON object" : perr.msg);
	}
	st = bill_from_json(o, WX_BILL_NOTIFY, bill, err);
	cJSON_Delete(o);
	if (st == LD_OK)
		*cls = bill_class(bill);
	return st;
}

/*
 * Common tail of the bill calls: parse, check the answer is about the bill
 * asked for and this merchant, classify by state.
 */
enum ld_status
wx_bill_answer(const struct wx_client *c, cJSON *json, enum wx_bill_doc doc,
    const char *want_out, const char *want_no, struct wx_transfer_bill *bill,
    struct wx_answer *ans, struct ld_err *err)
{
	const char *bad = NULL;
	struct ld_err perr;

	if (json == NULL) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    "empty answer");
		return ld_err_set(err, LD_EPROTO, "%s: empty answer",
		    ans->path);
	}
	ld_err_clear(&perr);
	if (bill_from_json(json, doc, bill, &perr) != LD_OK)
		bad = perr.msg;
	cJSON_Delete(json);
	if (bad != NULL)
		;
	else if (want_out != NULL && strcmp(bill->out_bill_no, want_out) != 0)
		bad = "out_bill_no differs from the request";
	else if (want_no != NULL &&
	    strcmp(bill->transfer_bill_no, want_no) != 0)
		bad = "transfer_bill_no differs from the request";
	else if (bill->mch_id[0] != '\0' && strcmp(bill->mch_id, c->mchid) != 0)
		bad = "mch_id is not this merchant";
	if (bad != NULL) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    bad);
		return ld_err_set(err, LD_EPROTO, "%s: malformed answer: %s",
		    ans->path, bad);
	}
	ans->cls = bill_class(bill);
	ans->outcome = ans->cls->outcome;
	wx_text_copy(ans->code, sizeof ans->code, ans->cls->code);
	if (bill->fail_reason[0] != '\0') {
		char msg[sizeof bill->state + sizeof bill->fail_reason];

		snprintf(msg, sizeof msg, "%s %s", bill->state,
		    bill->fail_reason);
		wx_text_copy(ans->message, sizeof ans->message, msg);
	}
	return LD_OK;
}

enum ld_status
wx_report_infos_json(const char *spec, char **json, struct ld_err *err)
{
	cJSON *arr = cJSON_CreateArray();
	char *copy, *item, *save = NULL;
	enum ld_status st = LD_OK;
	int n = 0;

	*json = NULL;
	if (spec == NULL || spec[0] == '\0') {
		cJSON_Delete(arr);
		return ld_err_set(err, LD_EINVAL, "transfer_scene_report_infos "
		    "is empty (format \"type:content;type:content\")");
	}
	copy = ld_strdup(spec);
	for (item = strtok_r(copy, ";", &save); item != NULL;
	    item = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(item, ':');
		cJSON *o;

		n++;
		if (colon == NULL || colon == item || colon[1] == '\0') {
			st = ld_err_set(err, LD_EINVAL,
			    "transfer_scene_report_infos item %d \"%.64s\" is "
			    "not \"type:content\"", n, item);
			break;
		}
		*colon = '\0';
		if ((st = wx_check_text("report info_type", item, 32,
		    err)) != LD_OK ||
		    (st = wx_check_text("report info_content", colon + 1, 32,
		    err)) != LD_OK) {
			ld_err_prefix(err, "transfer_scene_report_infos item "
			    "%d: ", n);
			break;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "info_type", item);
		cJSON_AddStringToObject(o, "info_content", colon + 1);
		cJSON_AddItemToArray(arr, o);
	}
	free(copy);
	if (st == LD_OK && n == 0)
		st = ld_err_set(err, LD_EINVAL, "transfer_scene_report_infos "
		    "has no item");
	if (st == LD_OK)
		*json = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	return st;
}

static const char *
pick(const char *given, const char *configured)
{
	return given != NULL ? given : configured;
}

enum ld_status
wx_transfer_bill_build(struct wx_client *c, const struct wx_transfer_req *r,
    char **body, struct ld_err *err)
{
	const char *scene = pick(r->transfer_scene_id, c->scene_id);
	const char *perc = pick(r->user_recv_perception, c->perception);
	const char *infos = pick(r->report_infos, c->report_infos);
	const char *notify = pick(r->notify_url, c->notify_url);
	char *infos_json = NULL, *name_ct = NULL, *out;
	cJSON *o;
	enum ld_status st;

	*body = NULL;
	if ((st = wx_check_no("out_bill_no", r->out_bill_no, 32, err)) !=
	    LD_OK || (st = wx_check_text("openid", r->openid, 64, err)) !=
	    LD_OK || (st = wx_check_text("transfer_remark", r->remark, 32,
	    err)) != LD_OK)
		return st;
	if (scene == NULL || scene[0] == '\0' || strlen(scene) > 36)
		return ld_err_set(err, LD_EINVAL, "transfer_scene_id is empty "
		    "or longer than 36 ([wxpay] transfer_scene_id)");
	if (r->amount_fen <= 0)
		return ld_err_set(err, LD_EINVAL, "transfer_amount %lld fen is "
		    "not positive", (long long)r->amount_fen);
	/* WeChat checks the real name from 2,000 yuan (docs/wxpay-api.md,
	 * "Transfer bills: create"). */
	if (r->amount_fen >= 200000 && (r->user_name == NULL ||
	    r->user_name[0] == '\0'))
		return ld_err_set(err, LD_EINVAL, "user_name is required from "
		    "200000 fen (amount %lld)", (long long)r->amount_fen);
	if (notify != NULL && notify[0] != '\0' &&
	    (st = wx_http_check_notify_url(notify, err)) != LD_OK)
		return st;
	if ((st = wx_report_infos_json(infos, &infos_json, err)) != LD_OK)
		return st;
	if (r->user_name != NULL && r->user_name[0] != '\0') {
		if (c->enc_key == NULL) {
			free(infos_json);
			return ld_err_set(err, LD_EINVAL, "user_name needs a "
			    "platform public key or certificate");
		}
		if ((st = wx_check_text("user_name", r->user_name, 64,
		    err)) != LD_OK || (st = wx_rsa_oaep_encrypt_b64(c->enc_key,
		    r->user_name, &name_ct, err)) != LD_OK) {
			free(infos_json);
			return st;
		}
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "appid", c->appid);
	cJSON_AddStringToObject(o, "out_bill_no", r->out_bill_no);
	cJSON_AddStringToObject(o, "transfer_scene_id", scene);
	cJSON_AddStringToObject(o, "openid", r->openid);
	if (name_ct != NULL)
		cJSON_AddStringToObject(o, "user_name", name_ct);
	wx_json_add_int(o, "transfer_amount", r->amount_fen);
	cJSON_AddStringToObject(o, "transfer_remark", r->remark);
	if (notify != NULL && notify[0] != '\0')
		cJSON_AddStringToObject(o, "notify_url", notify);
	if (perc != NULL && perc[0] != '\0')
		cJSON_AddStringToObject(o, "user_recv_perception", perc);
	cJSON_AddItemToObject(o, "transfer_scene_report_infos",
	    cJSON_Parse(infos_json));
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	free(infos_json);
	free(name_ct);
	*body = ld_strdup(out);
	cJSON_free(out);
	return LD_OK;
}

enum ld_status
wx_transfer_bill_create(struct wx_client *c, const char *body,
    struct wx_transfer_bill *bill, struct wx_answer *ans,
    struct ld_err *err)
{
	cJSON *req, *json;
	char want[64];
	enum ld_status st;

	memset(bill, 0, sizeof *bill);
	bill->transfer_amount = -1;
	req = body != NULL ? cJSON_Parse(body) : NULL;
	st = wx_json_copy(req, "out_bill_no", want, sizeof want, WX_REQUIRED,
	    NULL);
	cJSON_Delete(req);
	if (st != LD_OK) {
		wx_ans_begin(ans, "POST", BILLS_PATH, body, body ?
		    strlen(body) : 0);
		ld_err_set(err, LD_EINVAL, "transfer bill body has no "
		    "out_bill_no (build it with wx_transfer_bill_build)");
		return wx_ans_local(ans, err);
	}
	st = wx_v3_call(c, "POST", BILLS_PATH, body, ans, &json, err);
	if (ans->cls != NULL)
		return st;
	return wx_bill_answer(c, json, WX_BILL_CREATE, want, NULL, bill, ans,
	    err);
}

static enum ld_status
bill_get(struct wx_client *c, const char *method, const char *fmt,
    const char *field, const char *no, int by_no, enum wx_bill_doc doc,
    struct wx_transfer_bill *bill, struct wx_answer *ans,
    struct ld_err *err)
{
	char path[256];
	cJSON *json;
	enum ld_status st;

	memset(bill, 0, sizeof *bill);
	bill->transfer_amount = -1;
	snprintf(path, sizeof path, fmt, no != NULL ? no : "");
	if (wx_check_no(field, no, 64, err) != LD_OK) {
		wx_ans_begin(ans, method, path, NULL, 0);
		return wx_ans_local(ans, err);
	}
	st = wx_v3_call(c, method, path, NULL, ans, &json, err);
	if (ans->cls != NULL)
		return st;
	return wx_bill_answer(c, json, doc, by_no ? NULL : no,
	    by_no ? no : NULL, bill, ans, err);
}

enum ld_status
wx_transfer_bill_query(struct wx_client *c, const char *out_bill_no,
    struct wx_transfer_bill *bill, struct wx_answer *ans, struct ld_err *err)
{
	return bill_get(c, "GET", BILLS_PATH "/out-bill-no/%s", "out_bill_no",
	    out_bill_no, 0, WX_BILL_QUERY, bill, ans, err);
}

enum ld_status
wx_transfer_bill_query_by_no(struct wx_client *c,
    const char *transfer_bill_no, struct wx_transfer_bill *bill,
    struct wx_answer *ans, struct ld_err *err)
{
	return bill_get(c, "GET", BILLS_PATH "/transfer-bill-no/%s",
	    "transfer_bill_no", transfer_bill_no, 1, WX_BILL_QUERY, bill, ans,
	    err);
}

enum ld_status
wx_transfer_bill_cancel(struct wx_client *c, const char *out_bill_no,
    struct wx_transfer_bill *bill, struct wx_answer *ans, struct ld_err *err)
{
	return bill_get(c, "POST", BILLS_PATH "/out-bill-no/%s/cancel",
	    "out_bill_no", out_bill_no, 0, WX_BILL_CANCEL, bill, ans, err);
}

/* Balance */

enum ld_status
wx_balance_query(struct wx_client *c, const char *account_type,
    int64_t *available_fen, int64_t *pending_fen, struct wx_answer *ans,
    struct ld_err *err)
{
	char path[128];
	cJSON *json;
	enum ld_status st;

	*available_fen = *pending_fen = -1;
	snprintf(path, sizeof path, "/v3/merchant/fund/balance/%s",
	    account_type != NULL ? account_type : "");
	if (account_type == NULL || (strcmp(account_type, "BASIC") != 0 &&
	    strcmp(account_type, "OPERATION") != 0 &&
	    strcmp(account_type, "FEES") != 0)) {
		wx_ans_begin(ans, "GET", path, NULL, 0);
		ld_err_set(err, LD_EINVAL, "balance: account_type must be "
		    "BASIC, OPERATION or FEES");
		return wx_ans_local(ans, err);
	}
	st = wx_v3_call(c, "GET", path, NULL, ans, &json, err);
	if (ans->cls != NULL)
		return st;
	return wx_balance_answer(json, available_fen, pending_fen, ans, err);
}

enum ld_status
wx_balance_answer(cJSON *json, int64_t *available_fen, int64_t *pending_fen,
    struct wx_answer *ans, struct ld_err *err)
{
	int64_t av, pe;
	struct ld_err perr;

	*available_fen = *pending_fen = -1;
	/* Both amounts are required here, though the page marks
	 * pending_amount optional (docs/wxpay-api.md, "Merchant balance"). */
	ld_err_clear(&perr);
	if (wx_json_int64(json, "available_amount", &av, WX_REQUIRED,
	    &perr) != LD_OK || wx_json_int64(json, "pending_amount", &pe,
	    WX_REQUIRED, &perr) != LD_OK) {
		cJSON_Delete(json);
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    perr.msg);
		return ld_err_set(err, LD_EPROTO, "%s: malformed answer: %s",
		    ans->path, perr.msg);
	}
	cJSON_Delete(json);
	*available_fen = av;
	*pending_fen = pe;
	/* A balance is information, not a payout: "success" means read. */
	wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_OK, NULL);
	return LD_OK;
}
