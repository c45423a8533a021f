/*
 * Callbacks (MCHTRANSFER.BILL.FINISHED and friends): the signed envelope
 * and its decryption with a fixed APIv3 key.
 *
 * Input: [mode] rest.
 *   mode 0: rest is the body, read by wx_notify_decrypt (the part after
 *           verification: envelope shape, base64, AEAD).  Random bytes
 *           cannot pass the GCM tag; what lies behind it is fuzzed by
 *           mode 2 and by fuzz_notify_plain.
 *   mode 1: rest is "timestamp\nnonce\nsignature\nserial\nbody", given
 *           to wx_client_open_notify with the platform key trusted and a
 *           fixed clock: the verification gate.
 *   mode 2: rest is the plaintext resource; the harness encrypts it into
 *           a well-formed envelope, which must decrypt to exactly it, and
 *           then reads it as a bill (wx_transfer_bill_from_json).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "fuzz_client.h"
#include "fuzz_util.h"

static void
check_notify(const struct wx_notify *n, enum ld_status rc)
{
	FUZZ_CHECK(rc == LD_OK || rc == LD_EPROTO || rc == LD_ECRYPTO);
	if (rc != LD_OK) {
		FUZZ_CHECK(n->id == NULL && n->plaintext == NULL);
		return;
	}
	FUZZ_CHECK(n->id != NULL && n->event_type != NULL &&
	    n->resource_type != NULL && n->plaintext != NULL);
	FUZZ_CHECK(strcmp(n->resource_type, "encrypt-resource") == 0);
	FUZZ_CHECK(n->plaintext[n->plaintext_len] == '\0');
}

static void
check_bill(const char *plain, size_t len)
{
	struct wx_transfer_bill b;
	const struct wx_code_class *cls = NULL;
	struct ld_err err;
	enum ld_status rc;

	rc = wx_transfer_bill_from_json(plain, len, &b, &cls, &err);
	FUZZ_CHECK(rc == LD_OK || rc == LD_EPROTO);
	FUZZ_CHECK(cls != NULL);
	FUZZ_CHECK(fuzz_amount_ok(b.transfer_amount));
	if (rc != LD_OK)
		FUZZ_CHECK(cls->outcome == WX_OUTCOME_UNKNOWN);
	if (cls->outcome == WX_OUTCOME_SUCCESS)
		FUZZ_CHECK(rc == LD_OK && strcmp(b.state, "SUCCESS") == 0 &&
		    b.fail_reason[0] == '\0');
	wx_transfer_bill_free(&b);
}

static char *
envelope(const char *plain, size_t len)
{
	char *ct = NULL, *out;
	cJSON *o, *r;
	struct ld_err err;

	if (wx_aead_encrypt((const unsigned char *)FUZZ_APIV3_KEY,
	    "0123456789ab", "mch_payment", plain, len, &ct, &err) != LD_OK)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", "EV-2018022511223320873");
	cJSON_AddStringToObject(o, "create_time",
	    "2025-01-01T10:00:00+08:00");
	cJSON_AddStringToObject(o, "resource_type", "encrypt-resource");
	cJSON_AddStringToObject(o, "event_type", "MCHTRANSFER.BILL.FINISHED");
	cJSON_AddStringToObject(o, "summary", "商家转账单据终态通知");
	r = cJSON_AddObjectToObject(o, "resource");
	cJSON_AddStringToObject(r, "original_type", "mch_payment");
	cJSON_AddStringToObject(r, "algorithm", "AEAD_AES_256_GCM");
	cJSON_AddStringToObject(r, "ciphertext", ct);
	cJSON_AddStringToObject(r, "associated_data", "mch_payment");
	cJSON_AddStringToObject(r, "nonce", "0123456789ab");
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	free(ct);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wx_client *c;
	const char *rest = (const char *)data + 1;
	size_t len = size > 0 ? size - 1 : 0;
	struct wx_notify n;
	struct ld_err err;
	enum ld_status rc;

	if (size < 1)
		return 0;
	if (c == NULL) {
		c = fuzz_client();
		fuzz_trust_platform_key(c);
	}
	ld_err_clear(&err);
	switch (data[0] % 3) {
	case 0:
		rc = wx_notify_decrypt(rest, len,
		    (const unsigned char *)FUZZ_APIV3_KEY, &n, &err);
		check_notify(&n, rc);
		if (rc == LD_OK)
			check_bill(n.plaintext, n.plaintext_len);
		wx_notify_free(&n);
		break;
	case 1: {
		char *f[4] = { NULL }, *copy = ld_strndup(rest, len), *p = copy;
		struct wx_signed_headers h;
		size_t i, blen;

		/* ld_strndup stops at a NUL, as a header value would. */
		for (i = 0; i < 4 && p != NULL; i++) {
			f[i] = p;
			if ((p = strchr(p, '\n')) != NULL)
				*p++ = '\0';
		}
		h.timestamp = f[0];
		h.nonce = f[1];
		h.signature = f[2];
		h.serial = f[3];
		blen = p != NULL ? strlen(p) : 0;
		rc = wx_client_open_notify(c, &h, p, blen, &n, &err);
		check_notify(&n, rc);
		wx_notify_free(&n);
		free(copy);
		break;
	}
	default: {
		char *env = envelope(rest, len);

		if (env == NULL)
			break;
		rc = wx_notify_decrypt(env, strlen(env),
		    (const unsigned char *)FUZZ_APIV3_KEY, &n, &err);
		FUZZ_CHECK(rc == LD_OK);
		FUZZ_CHECK(n.plaintext_len == len &&
		    memcmp(n.plaintext, rest, len) == 0);
		check_notify(&n, rc);
		check_bill(n.plaintext, n.plaintext_len);
		wx_notify_free(&n);
		free(env);
		break;
	}
	}
	return 0;
}
