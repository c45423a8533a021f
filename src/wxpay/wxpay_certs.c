/*
 * Platform certificate download: GET /v3/certificates, for merchants still
 * verifying with platform certificates (docs/wxpay-api.md, "Platform
 * certificates").  Certificates rotate with an overlap; keeping every
 * valid one by serial is what SDK bug reports about verifiers that kept
 * only one ask for.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ld_alloc.h"
#include "wxpay_int.h"

#define CERTS_PATH "/v3/certificates"
#define CERTS_MAX 8

void
wx_platform_certs_free(struct wx_platform_cert *certs, size_t n)
{
	size_t i;

	if (certs == NULL)
		return;
	for (i = 0; i < n; i++)
		free(certs[i].pem);
	free(certs);
}

/*
 * Decrypts one entry and checks it is the certificate it claims to be.
 * Every field of the entry is required (docs/wxpay-api.md, "Platform
 * certificates" and "AEAD_AES_256_GCM"); associated_data may be empty but
 * must be there.
 */
static enum ld_status
open_entry(struct wx_client *c, const cJSON *e, struct wx_platform_cert *pc,
    struct ld_err *err)
{
	const cJSON *enc;
	char alg[32], nonce[64], aad[64], serial[128], *ct = NULL;
	size_t len;
	enum ld_status st;

	if (!cJSON_IsObject(e))
		return ld_err_set(err, LD_EPROTO, "certificate entry is not an "
		    "object");
	enc = cJSON_GetObjectItemCaseSensitive(e, "encrypt_certificate");
	if ((st = wx_json_copy(e, "serial_no", pc->serial_no,
	    sizeof pc->serial_no, WX_REQUIRED, err)) != LD_OK ||
	    (st = wx_json_copy(e, "effective_time", pc->effective_time,
	    sizeof pc->effective_time, WX_REQUIRED, err)) != LD_OK ||
	    (st = wx_json_copy(e, "expire_time", pc->expire_time,
	    sizeof pc->expire_time, WX_REQUIRED, err)) != LD_OK)
		return st;
	if (!cJSON_IsObject(enc))
		return ld_err_set(err, LD_EPROTO, "certificate %s: no "
		    "encrypt_certificate object", pc->serial_no);
	if ((st = wx_json_copy(enc, "algorithm", alg, sizeof alg,
	    WX_REQUIRED, err)) != LD_OK ||
	    (st = wx_json_copy(enc, "nonce", nonce, sizeof nonce,
	    WX_REQUIRED, err)) != LD_OK ||
	    (st = wx_json_copy(enc, "associated_data", aad, sizeof aad,
	    WX_OPTIONAL, err)) != LD_OK ||
	    (st = wx_json_strdup(enc, "ciphertext", &ct, WX_REQUIRED,
	    err)) != LD_OK) {
		free(ct);
		return ld_err_prefix(err, "certificate %s: ", pc->serial_no);
	}
	if (cJSON_GetObjectItemCaseSensitive(enc, "associated_data") ==
	    NULL) {
		free(ct);
		return ld_err_set(err, LD_EPROTO, "certificate %s: no "
		    "associated_data", pc->serial_no);
	}
	if (strcmp(alg, "AEAD_AES_256_GCM") != 0) {
		free(ct);
		return ld_err_set(err, LD_EPROTO, "certificate %s: algorithm "
		    "%s, not AEAD_AES_256_GCM", pc->serial_no, alg);
	}
	st = wx_aead_decrypt(c->apiv3_key, nonce, aad, ct, &pc->pem, &len,
	    err);
	free(ct);
	/* Bad base64 or nonce is a malformed answer, not a local refusal. */
	if (st == LD_EINVAL) {
		st = LD_EPROTO;
		if (err != NULL)
			err->code = st;
	}
	if (st != LD_OK)
		return ld_err_prefix(err, "certificate %s: ", pc->serial_no);
	/* The PEM is read as a C string when trusted: no NUL inside. */
	if (strlen(pc->pem) != len)
		return ld_err_set(err, LD_EPROTO, "certificate %s: NUL byte in "
		    "the decrypted certificate", pc->serial_no);
	if ((st = wx_cert_serial_pem(pc->pem, len, serial, err)) != LD_OK)
		return ld_err_prefix(err, "certificate %s: ", pc->serial_no);
	if (strcasecmp(serial, pc->serial_no) != 0)
		return ld_err_set(err, LD_EPROTO, "certificate listed as %s "
		    "has serial %s", pc->serial_no, serial);
	return LD_OK;
}

enum ld_status
wx_certificates_fetch(struct wx_client *c, struct wx_platform_cert **certs,
    size_t *n, struct wx_answer *ans, struct ld_err *err)
{
	cJSON *json;
	enum ld_status st;

	*certs = NULL;
	*n = 0;
	if (!c->has_apiv3) {
		wx_ans_begin(ans, "GET", CERTS_PATH, NULL, 0);
		ld_err_set(err, LD_EINVAL, "%s needs apiv3_key_file",
		    CERTS_PATH);
		return wx_ans_local(ans, err);
	}
	st = wx_v3_call(c, "GET", CERTS_PATH, NULL, ans, &json, err);
	if (ans->cls != NULL)
		return st;
	return wx_certificates_answer(c, json, certs, n, ans, err);
}

enum ld_status
wx_certificates_answer(struct wx_client *c, cJSON *json,
    struct wx_platform_cert **certs, size_t *n, struct wx_answer *ans,
    struct ld_err *err)
{
	const cJSON *data, *e;
	struct wx_platform_cert *pc;
	EVP_PKEY *keys[CERTS_MAX] = { NULL };
	int64_t nb[CERTS_MAX] = { 0 }, na[CERTS_MAX] = { 0 };
	enum ld_status st = LD_OK;
	size_t i, cnt, fresh;

	*certs = NULL;
	*n = 0;
	data = cJSON_GetObjectItemCaseSensitive(json, "data");
	cnt = cJSON_IsArray(data) ? (size_t)cJSON_GetArraySize(data) : 0;
	if (cnt == 0 || cnt > CERTS_MAX) {
		cJSON_Delete(json);
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    "no certificate list");
		return ld_err_set(err, LD_EPROTO, "%s: answer has %zu "
		    "certificates (1..%d expected)", CERTS_PATH, cnt,
		    CERTS_MAX);
	}
	pc = ld_calloc(cnt, sizeof *pc);
	i = 0;
	cJSON_ArrayForEach(e, data) {
		if ((st = open_entry(c, e, &pc[i], err)) != LD_OK)
			break;
		i++;
	}
	cJSON_Delete(json);
	if (st != LD_OK) {
		wx_platform_certs_free(pc, cnt);
		wx_ans_classify(ans, WX_KIND_TRANSPORT, st == LD_ECRYPTO ?
		    WX_CODE_UNVERIFIED : WX_CODE_BAD_ANSWER, err->msg);
		return ld_err_prefix(err, "%s: ", CERTS_PATH);
	}
	/*
	 * Trust only after every entry checked out, and all of them or none:
	 * one serial listed twice, or more new keys than the verifier holds,
	 * is an answer this client cannot take as a whole.
	 */
	for (i = 0, fresh = 0; st == LD_OK && i < cnt; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (strcasecmp(pc[i].serial_no, pc[j].serial_no) == 0)
				st = ld_err_set(err, LD_EPROTO,
				    "certificate %s listed twice",
				    pc[i].serial_no);
		if (wx_verifier_find(&c->verifier, pc[i].serial_no) == NULL)
			fresh++;
	}
	if (st == LD_OK && c->verifier.n + fresh > WX_VERIFIER_MAX_KEYS)
		st = ld_err_set(err, LD_EPROTO, "%zu new certificates, more "
		    "than the %d keys this client keeps", fresh,
		    WX_VERIFIER_MAX_KEYS);
	for (i = 0; st == LD_OK && i < cnt; i++)
		if (wx_verifier_find(&c->verifier, pc[i].serial_no) == NULL)
			st = wx_public_key_from_pem(pc[i].pem,
			    strlen(pc[i].pem), &keys[i], err);
	for (i = 0; st == LD_OK && i < cnt; i++)
		if (keys[i] != NULL)
			st = wx_cert_validity_pem(pc[i].pem,
			    strlen(pc[i].pem), &nb[i], &na[i], err);
	for (i = 0; st == LD_OK && i < cnt; i++)
		if (keys[i] != NULL &&
		    (st = wx_verifier_add(&c->verifier, pc[i].serial_no,
		    keys[i], err)) == LD_OK)
			st = wx_verifier_set_validity(&c->verifier,
			    pc[i].serial_no, nb[i], na[i], err);
	for (i = 0; i < cnt; i++)
		EVP_PKEY_free(keys[i]);
	if (st != LD_OK) {
		wx_platform_certs_free(pc, cnt);
		wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_BAD_ANSWER,
		    err->msg);
		if (st != LD_ECRYPTO)
			err->code = st = LD_EPROTO;
		ld_err_prefix(err, "%s: ", CERTS_PATH);
		return st;
	}
	wx_client_enc_key_refresh(c);
	wx_ans_classify(ans, WX_KIND_TRANSPORT, WX_CODE_OK, NULL);
	*certs = pc;
	*n = cnt;
	return LD_OK;
}
