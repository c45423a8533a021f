/*
 * The fund-flow bill file as reconciliation reads it (wx_fundflow_parse),
 * and yuan text to fen on its own.
 *
 * Input: [mode] bytes.  mode bit 0: the bill must be of 2025-04-01 (the
 * booked-day check); bit 1: the bytes are one amount for wx_yuan_to_fen.
 *
 * Whatever the bytes, a file is read whole or refused whole with a message
 * naming where; one that is read agrees with its own summary to the fen,
 * every amount is within 0..LD_FEN_MAX, every text is UTF-8 ending in its
 * NUL, and the lines come in the file's order.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "ld_money.h"
#include "ld_utf8.h"
#include "wxpay_bill.h"

static int
utf8_ok(const char *s)
{
	return s != NULL && ld_utf8_check(s, strlen(s), 0, NULL, NULL) ==
	    LD_UTF8_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	size_t len = size > 0 ? size - 1 : 0, i;
	const char *day = NULL;
	struct wx_fundflow f;
	struct ld_err err;
	enum ld_status rc;
	int64_t in = 0, out = 0, fen;
	long nin = 0, nout = 0;

	if (size < 1)
		return 0;
	ld_err_clear(&err);
	if (data[0] & 2) {
		rc = wx_yuan_to_fen(text, len, &fen, &err);
		FUZZ_CHECK(rc == LD_OK || rc == LD_EINVAL);
		if (rc == LD_OK) {
			FUZZ_CHECK(fen >= 0 && fen <= LD_FEN_MAX);
			FUZZ_CHECK(len > 0 && text[0] >= '0' &&
			    text[0] <= '9');
		} else
			FUZZ_CHECK(fuzz_text_ok(err.msg, sizeof err.msg));
		return 0;
	}
	if (data[0] & 1)
		day = "2025-04-01";
	rc = wx_fundflow_parse(text, len, day, &f, &err);
	FUZZ_CHECK(rc == LD_OK || rc == LD_EPROTO);
	if (rc != LD_OK) {
		FUZZ_CHECK(f.n == 0 && f.lines == NULL);
		FUZZ_CHECK(strncmp(err.msg, "fund-flow bill", 14) == 0);
		FUZZ_CHECK(fuzz_text_ok(err.msg, sizeof err.msg));
		return 0;
	}
	for (i = 0; i < f.n; i++) {
		const struct wx_fundflow_line *l = &f.lines[i];

		FUZZ_CHECK(l->amount_fen >= 0 && l->amount_fen <= LD_FEN_MAX);
		FUZZ_CHECK(l->balance_fen >= 0 &&
		    l->balance_fen <= LD_FEN_MAX);
		FUZZ_CHECK(strlen(l->booked_at) == 19);
		FUZZ_CHECK(day == NULL || strncmp(l->booked_at, day, 10) == 0);
		FUZZ_CHECK(l->wechat_no[0] != '\0' && l->flow_no[0] != '\0');
		FUZZ_CHECK(utf8_ok(l->wechat_no) && utf8_ok(l->flow_no) &&
		    utf8_ok(l->business_name) && utf8_ok(l->business_type) &&
		    utf8_ok(l->submitter) && utf8_ok(l->remark) &&
		    utf8_ok(l->voucher_no));
		FUZZ_CHECK(i == 0 || l->line > f.lines[i - 1].line);
		if (l->out) {
			out += l->amount_fen;
			nout++;
		} else {
			in += l->amount_fen;
			nin++;
		}
	}
	FUZZ_CHECK((size_t)f.total_count == f.n);
	FUZZ_CHECK(f.in_count == nin && f.out_count == nout);
	FUZZ_CHECK(f.in_fen == in && f.out_fen == out);
	wx_fundflow_free(&f);
	return 0;
}
