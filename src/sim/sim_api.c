/*
 * The APIv3 router, and the two small answers that need no module of
 * their own: the merchant's balances and the platform certificates.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ld_alloc.h"
#include "sim_api.h"
#include "wxpay_crypto.h"

#define TB_PATH		"/v3/fund-app/mch-transfer/transfer-bills"
#define BATCH_PATH	"/v3/transfer/batches"
#define BALANCE_PATH	"/v3/merchant/fund/balance/"

/*
 * GET /v3/merchant/fund/balance/{BASIC|OPERATION|FEES}: what the books
 * hold, available and held for transfers in flight.
 */
static void
balance(struct sim *s, const struct sim_request *rq, const char *type,
    struct sim_answer *a)
{
	cJSON *o;
	int i;

	if (strcmp(rq->method, "GET") != 0) {
		sim_answer_method(a, "GET");
		return;
	}
	if ((i = sim_account_parse(type)) < 0) {
		/* WeChat's own words for an account the merchant lacks. */
		sim_answer_error(a, 400, "INVALID_REQUEST", "输入账户类型未开通");
		return;
	}
	o = cJSON_CreateObject();
	pthread_mutex_lock(&s->lock);
	sim_json_add_i64(o, "available_amount", s->avail[i]);
	sim_json_add_i64(o, "pending_amount", s->pending[i]);
	pthread_mutex_unlock(&s->lock);
	sim_answer_obj(a, 200, o);
}

/*
 * GET /v3/certificates: the platform certificate, AEAD-encrypted with the
 * APIv3 key and associated_data "certificate", with the certificate's own
 * notBefore and notAfter as effective_time and expire_time.
 */
static void
certificates(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a)
{
	cJSON *o, *c, *e;
	char nonce[33], *pem, *ct = NULL;
	struct ld_err err;

	if (strcmp(rq->method, "GET") != 0) {
		sim_answer_method(a, "GET");
		return;
	}
	if (wx_random_nonce(nonce, &err) != LD_OK) {
		sim_answer_v3_code(a, "SYSTEM_ERROR");
		return;
	}
	nonce[12] = '\0';
	pem = ld_asprintf("%s\n", s->platform_cert_pem);
	if (wx_aead_encrypt(s->apiv3_key, nonce, "certificate", pem,
	    strlen(pem), &ct, &err) != LD_OK) {
		free(pem);
		sim_answer_v3_code(a, "SYSTEM_ERROR");
		return;
	}
	free(pem);
	o = cJSON_CreateObject();
	c = cJSON_CreateObject();
	cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "data"), c);
	cJSON_AddStringToObject(c, "serial_no", s->platform_cert_serial);
	sim_json_add_time(c, "effective_time",
	    (time_t)s->platform_cert_not_before);
	sim_json_add_time(c, "expire_time", (time_t)s->platform_cert_not_after);
	e = cJSON_AddObjectToObject(c, "encrypt_certificate");
	cJSON_AddStringToObject(e, "algorithm", "AEAD_AES_256_GCM");
	cJSON_AddStringToObject(e, "nonce", nonce);
	cJSON_AddStringToObject(e, "associated_data", "certificate");
	cJSON_AddStringToObject(e, "ciphertext", ct);
	free(ct);
	sim_answer_obj(a, 200, o);
}

/* The path after prefix when p starts with it, else NULL. */
static const char *
after(const char *p, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(p, prefix, n) == 0 ? p + n : NULL;
}

/* A resource that takes one method: 405 for the others. */
static int
only(const struct sim_request *rq, const char *method, struct sim_answer *a)
{
	if (strcmp(rq->method, method) == 0)
		return 1;
	sim_answer_method(a, method);
	return 0;
}

void
sim_api_v3(struct sim *s, const struct sim_request *rq, struct sim_answer *a)
{
	const char *p = rq->path, *rest;

	if (strcmp(p, "/v3/certificates") == 0)
		certificates(s, rq, a);
	else if (strcmp(p, TB_PATH) == 0) {
		if (only(rq, "POST", a))
			sim_bill_create(s, rq, a);
	} else if ((rest = after(p, TB_PATH "/out-bill-no/")) != NULL)
		sim_bill_by_number(s, rq, rest, 1, a);
	else if ((rest = after(p, TB_PATH "/transfer-bill-no/")) != NULL)
		sim_bill_by_number(s, rq, rest, 0, a);
	else if (strcmp(p, BATCH_PATH) == 0) {
		if (only(rq, "POST", a))
			sim_batch_create(s, rq, a);
	} else if ((rest = after(p, BATCH_PATH "/")) != NULL)
		sim_batch_query(s, rq, rest, a);
	else if ((rest = after(p, BALANCE_PATH)) != NULL)
		balance(s, rq, rest, a);
	else if (strcmp(p, "/v3/bill/fundflowbill") == 0)
		sim_fundflow_apply(s, rq, a);
	else if (strcmp(p, "/v3/billdownload/file") == 0)
		sim_fundflow_download(s, rq, a);
	else
		sim_answer_error(a, 404, "NOT_FOUND", "请求的资源不存在");
}
