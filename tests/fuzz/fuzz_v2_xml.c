/*
 * APIv2 企业付款 answers: the flat XML reader (expat) and what the
 * transfer and gettransferinfo calls make of a 200 answer.
 *
 * Input: [mode] xml.  mode 0: wx_v2_xml_parse alone; 1: the transfer
 * answer for partner_trade_no P1; 2: the query answer for P1.  A sign in
 * the answer is checked with the official example APIv2 key.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_client.h"
#include "fuzz_util.h"

static void
check_answer(const struct wx_answer *a, enum ld_status rc)
{
	FUZZ_CHECK(rc == LD_OK || rc == LD_EPROTO || rc == LD_ECRYPTO);
	FUZZ_CHECK(a->cls != NULL);
	FUZZ_CHECK(a->outcome == a->cls->outcome);
	FUZZ_CHECK(fuzz_text_ok(a->code, sizeof a->code));
	FUZZ_CHECK(fuzz_text_ok(a->message, sizeof a->message));
	if (rc != LD_OK) {
		FUZZ_CHECK(a->outcome == WX_OUTCOME_UNKNOWN);
		FUZZ_CHECK(!a->cls->number_closed);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wx_client *c;
	const char *xml = (const char *)data + 1;
	size_t len = size > 0 ? size - 1 : 0, n = 0, i, j;
	struct wx_kv *kv = NULL;
	struct wx_answer ans;
	struct ld_err err;
	enum ld_status rc;

	if (size < 1)
		return 0;
	if (c == NULL)
		c = fuzz_client();
	ld_err_clear(&err);
	if (data[0] % 3 == 0) {
		rc = wx_v2_xml_parse(xml, len, &kv, &n, &err);
		FUZZ_CHECK(rc == LD_OK || rc == LD_EPROTO);
		if (rc != LD_OK)
			FUZZ_CHECK(kv == NULL && n == 0);
		FUZZ_CHECK(n <= WX_V2_XML_MAX_FIELDS);
		for (i = 0; i < n; i++) {
			FUZZ_CHECK(kv[i].key != NULL && kv[i].value != NULL);
			for (j = 0; j < i; j++)
				FUZZ_CHECK(strcmp(kv[i].key, kv[j].key) != 0);
		}
		wx_kv_free(kv, n);
		return 0;
	}
	wx_ans_begin(&ans, "POST", "/fuzz", NULL, 0);
	rc = wx_v2_answer_fields(c, 200, xml, len, &kv, &n, &ans, &err);
	if (rc != LD_OK || ans.cls != NULL) {
		check_answer(&ans, rc);
		FUZZ_CHECK(kv == NULL);
		wx_answer_free(&ans);
		return 0;
	}
	if (data[0] % 3 == 1) {
		struct wx_v2_transfer t;

		memset(&t, 0, sizeof t);
		rc = wx_v2_transfer_answer(c, "P1", kv, n, &t, &ans, &err);
		check_answer(&ans, rc);
		if (ans.outcome == WX_OUTCOME_SUCCESS)
			FUZZ_CHECK(rc == LD_OK &&
			    strcmp(t.return_code, "SUCCESS") == 0 &&
			    strcmp(t.result_code, "SUCCESS") == 0 &&
			    strcmp(t.partner_trade_no, "P1") == 0 &&
			    t.payment_no[0] != '\0' &&
			    (t.err_code[0] == '\0' ||
			    strcmp(t.err_code, "SUCCESS") == 0));
	} else {
		struct wx_v2_transfer_info t;

		memset(&t, 0, sizeof t);
		t.payment_amount = -1;
		rc = wx_v2_query_answer(c, "P1", kv, n, &t, &ans, &err);
		check_answer(&ans, rc);
		FUZZ_CHECK(t.payment_amount >= -1);
		if (ans.outcome == WX_OUTCOME_SUCCESS)
			FUZZ_CHECK(rc == LD_OK &&
			    strcmp(t.status, "SUCCESS") == 0 &&
			    strcmp(t.partner_trade_no, "P1") == 0 &&
			    t.payment_amount >= 0);
		if (ans.cls->number_closed)
			FUZZ_CHECK(rc == LD_OK &&
			    strcmp(t.status, "FAILED") == 0);
	}
	wx_answer_free(&ans);
	return 0;
}
