/*
 * APIv3 answers as the client reads them once they arrived and passed
 * verification: status + body through wx_v3_interpret, then the reader of
 * the call the first byte picks (transfer bill create / query / query by
 * number / cancel, batch create / query / detail, balance, certificates).
 *
 * Input: [reader] [status] body...  For reader 11 the body is
 * "serial\nPEM" and the harness encrypts the PEM into a well-formed
 * certificate list with the client's APIv3 key, so what lies behind the
 * AEAD (certificate and serial parsing, trust) is reached too.
 *
 * Whatever the body, the call must return LD_OK, LD_EPROTO or LD_ECRYPTO
 * (never "refused locally"), classify the answer, keep every text field
 * NUL-terminated and printable, and say "success" only for an answer that
 * documents one for the number asked about.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "fuzz_client.h"
#include "fuzz_util.h"

#define WANT_BILL	"B1"
#define WANT_BILL_NO	"1330001"
#define WANT_BATCH	"BATCH1"
#define WANT_BATCH_ID	"1030001"
#define WANT_DETAIL	"D1"
#define WANT_DETAIL_ID	"1040001"

static const long statuses[] = { 200, 200, 200, 200, 204, 202, 400, 401,
	403, 404, 429, 500, 502, 503, 201, 301 };

static void
check_answer(const struct wx_answer *a, enum ld_status rc)
{
	FUZZ_CHECK(rc == LD_OK || rc == LD_EPROTO || rc == LD_ECRYPTO);
	FUZZ_CHECK(a->cls != NULL);
	FUZZ_CHECK(a->outcome == a->cls->outcome);
	FUZZ_CHECK(fuzz_text_ok(a->code, sizeof a->code));
	FUZZ_CHECK(fuzz_text_ok(a->message, sizeof a->message));
	FUZZ_CHECK(fuzz_text_ok(a->request_id, sizeof a->request_id));
	if (rc != LD_OK) {
		/* A malformed or unverified answer is no answer. */
		FUZZ_CHECK(a->outcome == WX_OUTCOME_UNKNOWN);
		FUZZ_CHECK(!a->cls->number_closed);
	}
}

static void
check_bill(const struct wx_transfer_bill *b, const struct wx_answer *a,
    enum ld_status rc, const char *want_out, const char *want_no)
{
	check_answer(a, rc);
	FUZZ_CHECK(fuzz_amount_ok(b->transfer_amount));
	if (rc != LD_OK)
		return;
	FUZZ_CHECK(b->out_bill_no[0] != '\0' && b->transfer_bill_no[0] != '\0');
	if (want_out != NULL)
		FUZZ_CHECK(strcmp(b->out_bill_no, want_out) == 0);
	if (want_no != NULL)
		FUZZ_CHECK(strcmp(b->transfer_bill_no, want_no) == 0);
	FUZZ_CHECK(b->mch_id[0] == '\0' || strcmp(b->mch_id, FUZZ_MCHID) == 0);
	if (a->outcome == WX_OUTCOME_SUCCESS)
		FUZZ_CHECK(strcmp(b->state, "SUCCESS") == 0 &&
		    b->fail_reason[0] == '\0');
	if (a->cls->number_closed)
		FUZZ_CHECK(strcmp(b->state, "FAIL") == 0 ||
		    strcmp(b->state, "CANCELLED") == 0);
}

static void
check_batch(const struct wx_batch *b, const struct wx_answer *a,
    enum ld_status rc)
{
	size_t i;

	check_answer(a, rc);
	FUZZ_CHECK(fuzz_amount_ok(b->total_amount));
	FUZZ_CHECK(fuzz_amount_ok(b->success_amount));
	FUZZ_CHECK(fuzz_amount_ok(b->fail_amount));
	for (i = 0; i < b->n_details; i++) {
		FUZZ_CHECK(fuzz_amount_ok(b->details[i].transfer_amount));
		FUZZ_CHECK(b->details[i].cls != NULL);
	}
	if (rc == LD_OK && a->outcome == WX_OUTCOME_SUCCESS)
		FUZZ_CHECK(strcmp(b->batch_status, "FINISHED") == 0);
}

static void
check_detail(const struct wx_batch_detail *d, const struct wx_answer *a,
    enum ld_status rc)
{
	check_answer(a, rc);
	FUZZ_CHECK(fuzz_amount_ok(d->transfer_amount));
	if (rc == LD_OK && a->outcome == WX_OUTCOME_SUCCESS)
		FUZZ_CHECK(strcmp(d->detail_status, "SUCCESS") == 0 &&
		    d->fail_reason[0] == '\0');
}

/* "serial\nPEM" -> a certificate list the client can decrypt. */
static char *
cert_answer(const char *in, size_t len)
{
	const char *nl = memchr(in, '\n', len);
	char *serial, *ct = NULL, *out;
	cJSON *o, *list, *e, *enc;
	struct ld_err err;

	if (nl == NULL)
		return NULL;
	serial = ld_strndup(in, (size_t)(nl - in));
	/* The bytes as they are, NULs included: a decrypted certificate
	 * can hold anything. */
	if (wx_aead_encrypt((const unsigned char *)FUZZ_APIV3_KEY,
	    "14b16c03dc1b", "certificate", nl + 1,
	    len - (size_t)(nl - in) - 1, &ct, &err) != LD_OK) {
		free(serial);
		return NULL;
	}
	o = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(o, "data");
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "serial_no", serial);
	cJSON_AddStringToObject(e, "effective_time",
	    "2018-06-08T10:34:56+08:00");
	cJSON_AddStringToObject(e, "expire_time", "2030-06-08T10:34:56+08:00");
	enc = cJSON_AddObjectToObject(e, "encrypt_certificate");
	cJSON_AddStringToObject(enc, "algorithm", "AEAD_AES_256_GCM");
	cJSON_AddStringToObject(enc, "nonce", "14b16c03dc1b");
	cJSON_AddStringToObject(enc, "associated_data", "certificate");
	cJSON_AddStringToObject(enc, "ciphertext", ct);
	cJSON_AddItemToArray(list, e);
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	free(ct);
	free(serial);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wx_client *c;
	unsigned which;
	long status;
	const char *body;
	char *built = NULL;
	size_t len;
	struct wx_answer ans;
	struct ld_err err;
	enum ld_status rc;
	cJSON *json;

	if (size < 2)
		return 0;
	if (c == NULL)
		c = fuzz_client();
	which = data[0] % 12;
	status = statuses[data[1] % (sizeof statuses / sizeof statuses[0])];
	body = (const char *)data + 2;
	len = size - 2;
	if (which == 11) {
		if ((built = cert_answer(body, len)) == NULL)
			return 0;
		body = built;
		len = strlen(built);
		status = 200;
	}
	wx_ans_begin(&ans, which == 9 ? "GET" : "POST", "/fuzz", NULL, 0);
	ld_err_clear(&err);
	rc = wx_v3_interpret(&ans, status, body, len, &json, &err);
	if (ans.cls != NULL) {
		FUZZ_CHECK(json == NULL);
		check_answer(&ans, rc);
		wx_answer_free(&ans);
		free(built);
		return 0;
	}
	FUZZ_CHECK(rc == LD_OK && (status == 200 || status == 204));
	switch (which) {
	case 0:
	case 1:
	case 2:
	case 3: {
		static const enum wx_bill_doc docs[] = { WX_BILL_CREATE,
			WX_BILL_QUERY, WX_BILL_QUERY, WX_BILL_CANCEL };
		const char *want_out = which == 2 ? NULL : WANT_BILL;
		const char *want_no = which == 2 ? WANT_BILL_NO : NULL;
		struct wx_transfer_bill b;

		memset(&b, 0, sizeof b);
		b.transfer_amount = -1;
		rc = wx_bill_answer(c, json, docs[which], want_out, want_no,
		    &b, &ans, &err);
		check_bill(&b, &ans, rc, want_out, want_no);
		if (rc == LD_OK && docs[which] == WX_BILL_CREATE &&
		    strcmp(b.state, "WAIT_USER_CONFIRM") == 0)
			FUZZ_CHECK(b.package_info != NULL &&
			    b.package_info[0] != '\0');
		wx_transfer_bill_free(&b);
		break;
	}
	case 4:
	case 5:
	case 6: {
		struct wx_batch b;

		memset(&b, 0, sizeof b);
		wx_batch_free(&b);
		if (which == 4)
			rc = wx_batch_create_answer(json, WANT_BATCH, &b, &ans,
			    &err);
		else
			rc = wx_batch_query_answer(json, which == 6,
			    which == 6 ? WANT_BATCH_ID : WANT_BATCH, which == 5,
			    20, &b, &ans, &err);
		check_batch(&b, &ans, rc);
		if (rc == LD_OK) {
			FUZZ_CHECK(b.n_details <= 20);
			FUZZ_CHECK(strcmp(which == 6 ? b.batch_id :
			    b.out_batch_no, which == 6 ? WANT_BATCH_ID :
			    WANT_BATCH) == 0);
		}
		wx_batch_free(&b);
		break;
	}
	case 7:
	case 8: {
		struct wx_batch_detail d;

		memset(&d, 0, sizeof d);
		wx_batch_detail_free(&d);
		rc = wx_batch_detail_answer(c, json, which == 8,
		    which == 8 ? WANT_BATCH_ID : WANT_BATCH,
		    which == 8 ? WANT_DETAIL_ID : WANT_DETAIL, &d, &ans, &err);
		check_detail(&d, &ans, rc);
		wx_batch_detail_free(&d);
		break;
	}
	case 9: {
		int64_t av, pe;

		rc = wx_balance_answer(json, &av, &pe, &ans, &err);
		check_answer(&ans, rc);
		if (rc == LD_OK)
			FUZZ_CHECK(av >= 0 && pe >= 0 && fuzz_amount_ok(av) &&
			    fuzz_amount_ok(pe));
		else
			FUZZ_CHECK(av == -1 && pe == -1);
		break;
	}
	default: {
		struct wx_platform_cert *pc = NULL;
		size_t n = 0, i;

		rc = wx_certificates_answer(c, json, &pc, &n, &ans, &err);
		check_answer(&ans, rc);
		if (rc == LD_OK) {
			FUZZ_CHECK(n > 0 && pc != NULL);
			for (i = 0; i < n; i++) {
				FUZZ_CHECK(pc[i].pem != NULL);
				FUZZ_CHECK(wx_verifier_find(&c->verifier,
				    pc[i].serial_no) != NULL);
			}
		} else
			FUZZ_CHECK(n == 0 && pc == NULL);
		wx_platform_certs_free(pc, n);
		/* Trust learnt from one input must not leak into the next. */
		wx_verifier_clear(&c->verifier);
		break;
	}
	}
	wx_answer_free(&ans);
	free(built);
	return 0;
}
