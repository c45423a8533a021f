/*
 * The fund-flow bill's two exchanges: the signed apply answer that names
 * the file's SHA1 and address, and the download of the file itself, which
 * WeChat Pay sends without a signature (docs/wxpay-api.md, "Fund-flow bill:
 * download"): the SHA1 of the signed answer is what vouches for the bytes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "ld_alloc.h"
#include "wxpay_bill.h"
#include "wxpay_int.h"

#define APPLY_PATH "/v3/bill/fundflowbill"

void
wx_sha1_hex(const void *data, size_t len, char hex[41])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	/* SHA1 of the default provider fails only for want of memory. */
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != 20)
		ld_out_of_memory("SHA1 of a fund-flow bill");
	for (i = 0; i < 20; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[40] = '\0';
}

/* YYYY-MM-DD of a real calendar day. */
static int
date_ok(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int y, m, d, i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0));
}

/*
 * The path and query of url when it is on the client's base_url: the
 * signed request goes only where the other requests go, whatever an
 * answer names.  NULL otherwise.
 */
static const char *
url_path(const struct wx_client *c, const char *url)
{
	size_t n = strlen(c->http.base), i;

	if (strncasecmp(url, c->http.base, n) != 0 || url[n] != '/')
		return NULL;
	for (i = n; url[i] != '\0'; i++)
		if ((unsigned char)url[i] <= 0x20 ||
		    (unsigned char)url[i] >= 0x7f || url[i] == '#')
			return NULL;
	return url + n;
}

enum ld_status
wx_fundflow_apply(struct wx_client *c, const char *bill_date,
    const char *account_type, struct wx_fundflow_ref *ref,
    enum wx_fundflow_state *state, struct wx_answer *ans, struct ld_err *err)
{
	char path[128], htype[16], hval[64];
	const char *why = NULL;
	struct ld_err perr;
	enum ld_status st;
	cJSON *json;
	size_t i;

	memset(ref, 0, sizeof *ref);
	*state = WX_FUNDFLOW_REFUSED;
	snprintf(path, sizeof path, APPLY_PATH "?bill_date=%.10s&"
	    "account_type=%.16s", bill_date != NULL ? bill_date : "",
	    account_type != NULL ? account_type : "");
	if (!date_ok(bill_date) || account_type == NULL ||
	    (strcmp(account_type, "BASIC") != 0 &&
	    strcmp(account_type, "OPERATION") != 0 &&
	    strcmp(account_type, "FEES") != 0)) {
		wx_ans_begin(ans, "GET", path, NULL, 0);
		ld_err_set(err, LD_EINVAL, "fund-flow bill: bill_date must be "
		    "a day as YYYY-MM-DD and account_type BASIC, OPERATION or "
		    "FEES");
		return wx_ans_local(ans, err);
	}
	snprintf(ref->bill_date, sizeof ref->bill_date, "%s", bill_date);
	snprintf(ref->account_type, sizeof ref->account_type, "%s",
	    account_type);
	st = wx_v3_call(c, "GET", path, NULL, ans, &json, err);
	if (ans->cls != NULL) {
		/* An error answer, or none.  Two of them say when. */
		if (st == LD_OK && strcmp(ans->code, "NO_STATEMENT_EXIST") == 0)
			*state = WX_FUNDFLOW_NONE;
		else if (st == LD_OK &&
		    strcmp(ans->code, "STATEMENT_CREATING") == 0)
			*state = WX_FUNDFLOW_NOT_YET;
		return st;
	}
	ld_err_clear(&perr);
	if (json == NULL)
		why = "empty answer";
	else if (wx_json_copy(json, "hash_type", htype, sizeof htype,
	    WX_REQUIRED, &perr) != LD_OK || wx_json_copy(json, "hash_value",
	    hval, sizeof hval, WX_REQUIRED, &perr) != LD_OK ||
	    wx_json_copy(json, "download_url", ref->download_url,
	    sizeof ref->download_url, WX_REQUIRED, &perr) != LD_OK)
		why = perr.msg;
	else if (strcmp(htype, "SHA1") != 0)
		why = "hash_type is not SHA1";
	else if (strlen(hval) != 40 || strspn(hval, "0123456789abcdefABCDEF")
	    != 40)
		why = "hash_value is not 40 hex digits";
	else if (url_path(c, ref->download_url) == NULL)
		why = "download_url is not a URL on [wxpay] base_url";
	cJSON_Delete(json);
	if (why != NULL) {
		memset(ref, 0, sizeof *ref);
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    why);
		return ld_err_set(err, LD_EPROTO, "%s: malformed answer: %s",
		    ans->path, why);
	}
	for (i = 0; i < 40; i++)
		ref->hash_value[i] = (char)(hval[i] >= 'A' && hval[i] <= 'F' ?
		    hval[i] - 'A' + 'a' : hval[i]);
	ref->hash_value[40] = '\0';
	*state = WX_FUNDFLOW_READY;
	wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_OK, NULL);
	return LD_OK;
}

/*
 * The signed GET of the download: the request as wx_v3_call signs it, the
 * answer taken unverified, with room for a whole bill.
 */
static enum ld_status
signed_get(struct wx_client *c, const char *path, struct wx_http_resp *r,
    struct wx_answer *ans, struct ld_err *err)
{
	char ts[24], nonce[33], *auth = NULL, *h_auth;
	const char *hdrs[3];
	size_t max = c->http.max_response;
	enum ld_status st;

	memset(r, 0, sizeof *r);
	if (c->merchant_key == NULL || c->merchant_serial == NULL) {
		ld_err_set(err, LD_EINVAL, "GET %s: APIv3 needs "
		    "private_key_file and merchant_serial", path);
		return wx_ans_local(ans, err);
	}
	snprintf(ts, sizeof ts, "%lld", (long long)c->now());
	if ((st = wx_random_nonce(nonce, err)) != LD_OK ||
	    (st = wx_v3_authorization_len(c->merchant_key, c->mchid,
	    c->merchant_serial, "GET", path, ts, nonce, NULL, 0, &auth,
	    err)) != LD_OK)
		return wx_ans_local(ans, err);
	h_auth = ld_asprintf("Authorization: %s", auth);
	free(auth);
	hdrs[0] = h_auth;
	hdrs[1] = "Accept: */*";
	hdrs[2] = NULL;
	c->http.max_response = WX_FUNDFLOW_MAX_BYTES;
	curl_easy_setopt(c->http.curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)WX_FUNDFLOW_MAX_BYTES);
	st = wx_http_do(&c->http, "GET", path, hdrs, NULL, 0, r, err);
	c->http.max_response = max;
	curl_easy_setopt(c->http.curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)max);
	free(h_auth);
	if (st == LD_EINVAL)
		return wx_ans_local(ans, err);
	if (st != LD_OK) {
		ans->transport = st;
		wx_ans_classify(ans, WX_KIND_TRANSPORT, st == LD_ETIMEOUT ?
		    WX_CODE_TIMEOUT : st == LD_EPROTO ? WX_CODE_BAD_ANSWER :
		    WX_CODE_NETWORK, err->msg);
	}
	return st;
}

enum ld_status
wx_fundflow_download(struct wx_client *c, const struct wx_fundflow_ref *ref,
    char **data, size_t *len, struct wx_answer *ans, struct ld_err *err)
{
	const char *path = url_path(c, ref->download_url);
	struct wx_http_resp r;
	char hash[41];
	enum ld_status st;

	*data = NULL;
	*len = 0;
	wx_ans_begin(ans, "GET", path != NULL ? path : "/", NULL, 0);
	if (path == NULL || strlen(ref->hash_value) != 40) {
		ld_err_set(err, LD_EINVAL, "fund-flow bill: no download_url "
		    "on [wxpay] base_url and SHA1 to check it against (ask "
		    "wx_fundflow_apply first)");
		return wx_ans_local(ans, err);
	}
	if ((st = signed_get(c, path, &r, ans, err)) != LD_OK) {
		wx_http_resp_free(&r);
		return st;
	}
	ans->http_status = r.status;
	wx_text_copy(ans->request_id, sizeof ans->request_id, r.request_id);
	if (r.status != 200) {
		cJSON *json = NULL;

		/* An error never counts: read for its code, not verified. */
		ans->raw = ld_strndup(r.body.data != NULL ? r.body.data : "",
		    r.body.len < 4096 ? r.body.len : 4096);
		ans->raw_len = strlen(ans->raw);
		if (wx_v3_interpret(ans, r.status, r.body.data, r.body.len,
		    &json, err) == LD_OK && ans->cls == NULL)
			wx_ans_classify(ans, WX_KIND_TRANSPORT,
			    WX_CODE_HTTP_OTHER, "not the file");
		cJSON_Delete(json);
		wx_http_resp_free(&r);
		return ld_err_set(err, LD_EPROTO, "fund-flow bill of %s: "
		    "download answered HTTP %ld %s%s%s", ref->bill_date,
		    ans->http_status, ans->code, ans->message[0] ? ": " : "",
		    ans->message);
	}
	wx_sha1_hex(r.body.data != NULL ? r.body.data : "", r.body.len, hash);
	if (strcmp(hash, ref->hash_value) != 0) {
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_UNVERIFIED,
		    "SHA1 differs from hash_value");
		st = ld_err_set(err, LD_ECRYPTO, "fund-flow bill of %s: the "
		    "%zu bytes downloaded have SHA1 %s, the signed answer "
		    "said %s: the file is refused", ref->bill_date, r.body.len,
		    hash, ref->hash_value);
		wx_http_resp_free(&r);
		return st;
	}
	/* The file goes to the caller, not into the attempt log. */
	*len = r.body.len;
	*data = r.body.data != NULL ? ld_buf_steal(&r.body, len) :
	    ld_strdup("");
	ans->verified = 1;
	wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_OK, NULL);
	wx_http_resp_free(&r);
	return LD_OK;
}
