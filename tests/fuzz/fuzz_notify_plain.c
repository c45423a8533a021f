/*
 * The decrypted resource of a MCHTRANSFER.BILL.FINISHED callback, read by
 * wx_transfer_bill_from_json: the part of the callback path the fuzzer
 * cannot reach through the AEAD tag (fuzz_notify covers the envelope).
 * Whatever it holds, the reading is a bill or LD_EPROTO with outcome
 * unknown, and "success" only for state SUCCESS.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_client.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wx_transfer_bill b;
	const struct wx_code_class *cls = NULL;
	struct ld_err err;
	enum ld_status rc;

	rc = wx_transfer_bill_from_json((const char *)data, size, &b, &cls,
	    &err);
	FUZZ_CHECK(rc == LD_OK || rc == LD_EPROTO);
	FUZZ_CHECK(cls != NULL);
	FUZZ_CHECK(fuzz_amount_ok(b.transfer_amount));
	if (rc != LD_OK) {
		FUZZ_CHECK(cls->outcome == WX_OUTCOME_UNKNOWN);
		FUZZ_CHECK(!cls->number_closed);
	} else {
		FUZZ_CHECK(b.out_bill_no[0] != '\0' && b.state[0] != '\0' &&
		    b.mch_id[0] != '\0' && b.transfer_amount >= 0);
	}
	if (cls->outcome == WX_OUTCOME_SUCCESS)
		FUZZ_CHECK(strcmp(b.state, "SUCCESS") == 0 &&
		    b.fail_reason[0] == '\0');
	if (cls->number_closed)
		FUZZ_CHECK(strcmp(b.state, "FAIL") == 0 ||
		    strcmp(b.state, "CANCELLED") == 0);
	wx_transfer_bill_free(&b);
	return 0;
}
