/*
 * What each WeChat Pay answer means for a payout: one table over every
 * documented code of the APIs we call (bill states, error codes, fail
 * reasons, APIv2 err_code and status), each row naming its source.
 *
 * Public: what a payout does next is decided from it.
 */
#ifndef LD_WXPAY_CODES_H
#define LD_WXPAY_CODES_H

#include <stddef.h>

enum wx_outcome {
	WX_OUTCOME_SUCCESS,	/* money moved */
	WX_OUTCOME_PENDING,	/* accepted, not final: query later or wait
				 * for the callback */
	WX_OUTCOME_RETRY,	/* nothing decided: send the identical
				 * request again (same number) after backoff */
	WX_OUTCOME_HOLD,	/* not paid until something outside changes
				 * (balance, daily or amount limit): keep the
				 * payout, retry later */
	WX_OUTCOME_FAIL,	/* not paid; a person must fix the cause */
	WX_OUTCOME_UNKNOWN	/* outcome unknown: query before anything
				 * else, never a new number */
};

/* Which vocabulary a code belongs to. */
enum wx_code_kind {
	WX_KIND_TRANSPORT,	/* our own: timeout, reset, bad signature */
	WX_KIND_V3_ERROR,	/* APIv3 error body "code" (any v3 API) */
	WX_KIND_V3_BILL_STATE,	/* transfer-bills "state" */
	WX_KIND_V3_FAIL_REASON,	/* transfer-bills / batch "fail_reason" */
	WX_KIND_V3_BATCH_STATUS,	/* batch "batch_status" */
	WX_KIND_V3_DETAIL_STATUS,	/* batch "detail_status" */
	WX_KIND_V2_ERR_CODE,	/* APIv2 transfers err_code */
	WX_KIND_V2_RETURN,	/* APIv2 return_code=FAIL (communication) */
	WX_KIND_V2_STATUS	/* APIv2 gettransferinfo "status" */
};

struct wx_code_class {
	enum wx_code_kind kind;
	const char *code;
	enum wx_outcome outcome;
	/*
	 * 1 when the bill/number is definitively dead with nothing paid, so a
	 * later attempt must (and may) use a new number; 0 when the same
	 * number must be reused or queried first.  Only terminal states read
	 * from a verified answer set this.
	 */
	int number_closed;
	/* Minimum wait before the same request again, ms (0: none). */
	int backoff_ms;
	const char *source;	/* docs/wxpay-api.md section, page id */
	const char *note;
};

/* Transport-level pseudo codes (WX_KIND_TRANSPORT). */
#define WX_CODE_TIMEOUT		"TIMEOUT"	/* no answer in time */
#define WX_CODE_NETWORK		"NETWORK"	/* reset, refused, TLS */
#define WX_CODE_UNVERIFIED	"UNVERIFIED"	/* answer failed verification */
#define WX_CODE_BAD_ANSWER	"BAD_ANSWER"	/* answer not the documented
						 * shape */
#define WX_CODE_HTTP_5XX	"HTTP_5XX"	/* 5xx without a known code */
#define WX_CODE_HTTP_OTHER	"HTTP_OTHER"	/* other status, no code */
#define WX_CODE_LOCAL		"LOCAL"		/* refused before sending */
#define WX_CODE_OK		"OK"		/* an answer that is only
						 * information (balance) */

/*
 * The row for (kind, code); unknown codes get a shared "unknown" row
 * (outcome WX_OUTCOME_UNKNOWN, never NULL).
 */
const struct wx_code_class *wx_code_classify(enum wx_code_kind kind,
		    const char *code);

/*
 * An APIv3 error body: the row for code, refined by message for
 * INVALID_REQUEST, which WeChat Pay uses for a daily quota, an amount out of
 * range, a number reused with another body and an expired retry period
 * alike (docs/wxpay-api.md, "Transfer bills: create errors and retries").
 * Never NULL.
 */
const struct wx_code_class *wx_code_classify_v3_error(const char *code,
		    const char *message);

/* 0 for the shared "unknown" row, 1 for a documented code. */
int		 wx_code_is_known(const struct wx_code_class *c);

/* The whole table, for documentation and tests. */
const struct wx_code_class *wx_code_table(size_t *n);

const char	*wx_outcome_name(enum wx_outcome o);
const char	*wx_code_kind_name(enum wx_code_kind k);

/*
 * Backoff before retry number attempt (1-based) for class c: c's minimum
 * doubled per attempt, capped at 5 minutes, with no jitter (callers add
 * their own).
 */
long		 wx_backoff_ms(const struct wx_code_class *c, int attempt);

#endif
