/*
 * The merchant's APIv3 signature on a request, checked as WeChat Pay
 * checks it: the Authorization scheme and its five attributes, our
 * merchant id, the merchant's certificate serial, a timestamp within the
 * window, and RSA-SHA256 over the exact bytes received.  A failure is 401
 * SIGN_ERROR with detail.sign_information, which shows what the server
 * signed (docs/wxpay-api.md).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ld_alloc.h"
#include "ld_utf8.h"
#include "sim_api.h"
#include "wxpay_crypto.h"

static void
sign_error(struct sim_answer *a, const char *method, const char *url,
    const char *msg, size_t msg_len, const char *why)
{
	cJSON *o = cJSON_CreateObject(), *d, *si, *dd;
	/* At most 256 bytes, not cutting a character in two. */
	char *trunc = ld_strndup(msg ? msg : "", ld_utf8_prefix(msg ? msg : "",
	    msg_len, 256));

	cJSON_AddStringToObject(o, "code", "SIGN_ERROR");
	cJSON_AddStringToObject(o, "message", "错误的签名，验签失败");
	d = cJSON_AddObjectToObject(o, "detail");
	dd = cJSON_AddObjectToObject(d, "detail");
	cJSON_AddStringToObject(dd, "issue", why);
	cJSON_AddStringToObject(d, "field", "signature");
	cJSON_AddStringToObject(d, "location", "authorization");
	si = cJSON_AddObjectToObject(d, "sign_information");
	cJSON_AddStringToObject(si, "method", method);
	cJSON_AddNumberToObject(si, "sign_message_length", (double)msg_len);
	cJSON_AddStringToObject(si, "truncated_sign_message", trunc);
	cJSON_AddStringToObject(si, "url", url);
	free(trunc);
	sim_answer_obj(a, 401, o);
}

int
sim_check_auth(struct sim *s, const char *hv, const struct sim_request *rq,
    struct sim_answer *a)
{
	struct wx_v3_auth au;
	struct ld_err err;
	char *msg;
	size_t mlen;
	long long ts;
	char *end;
	int bad;

	if (hv == NULL) {
		sign_error(a, rq->method, rq->path_query, NULL, 0,
		    "Authorization header missing");
		return -1;
	}
	if (wx_v3_parse_authorization(hv, &au, &err) != LD_OK) {
		sign_error(a, rq->method, rq->path_query, NULL, 0, err.msg);
		return -1;
	}
	msg = wx_v3_message_len(rq->method, rq->path_query, au.timestamp,
	    au.nonce, rq->body, rq->body_len, &mlen);
	if (strcmp(au.mchid, s->cfg.mchid) != 0) {
		sign_error(a, rq->method, rq->path_query, msg, mlen,
		    "mchid does not match this merchant");
		free(msg);
		return -1;
	}
	if (strcmp(au.serial, s->cfg.merchant_serial) != 0) {
		sign_error(a, rq->method, rq->path_query, msg, mlen,
		    "serial_no is not this merchant's certificate");
		free(msg);
		return -1;
	}
	/*
	 * Unix seconds as digits only, at most 12 of them: strtoll would
	 * take a sign, blanks and LLONG_MIN, whose distance from now does
	 * not fit in a long long.
	 */
	for (ts = 0, end = au.timestamp; *end >= '0' && *end <= '9' &&
	    end - au.timestamp < 12; end++)
		ts = ts * 10 + (*end - '0');
	if (*end != '\0' || end == au.timestamp ||
	    llabs(ts - (long long)time(NULL)) > s->cfg.request_max_skew) {
		sign_error(a, rq->method, rq->path_query, msg, mlen,
		    "timestamp outside the accepted window");
		free(msg);
		return -1;
	}
	bad = wx_rsa_verify_b64(s->merchant_pub, msg, mlen, au.signature,
	    &err) != LD_OK;
	if (bad)
		sign_error(a, rq->method, rq->path_query, msg, mlen,
		    "sign not match");
	free(msg);
	return bad ? -1 : 0;
}

