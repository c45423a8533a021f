/*
 * The classification table.  Each row's source is a section of
 * docs/wxpay-api.md, which names the official page (by id where it has
 * one) and marks what is community or unconfirmed.  Error codes never
 * close a number: the official reading of any non-200 is "do not change
 * the number; query, and only a query that says the bill definitely failed
 * allows a new one" (docs/wxpay-api.md, "Transfer bills: create errors and
 * retries").
 */
#include "config.h"

#include <string.h>

#include "wxpay_codes.h"

#define DOC "docs/wxpay-api.md, "
#define S_COMMON DOC "\"APIv3 common rules\" (official status table)"
#define S_BATCH DOC "\"Batches: errors\" (community quoting the " \
	"official table)"
#define S_BILL DOC "\"Transfer bills: create errors and retries\" " \
	"(community quoting answers)"
#define S_STATE DOC "\"Transfer bills: states\" (official 4012716434, " \
	"4012715191)"
#define S_FAIL DOC "\"Transfer bills: fail_reason\" (community spec, SDK)"
#define S_BSTAT DOC "\"Batches: states\" (wechatpay-go transferbatch " \
	"models)"
#define S_V2 DOC "\"APIv2 transfers: err_code and retries\" (14_2 " \
	"table via community; official 4011989673)"
#define S_V2Q DOC "\"APIv2 transfers: gettransferinfo\" (community " \
	"spec, official text)"
#define S_BAL DOC "\"Merchant balance\" (official 4012720926)"

#define ROW(k, c, o, closed, ms, src, note) \
	{ WX_KIND_##k, c, WX_OUTCOME_##o, closed, ms, src, note }

static const struct wx_code_class table[] = {
	/* Our own transport outcomes. */
	ROW(TRANSPORT, WX_CODE_TIMEOUT, RETRY, 0, 1000, S_BILL,
	    "timeout: outcome unknown; the identical request is safe "
	    "(number is the idempotency key); APIv2 minimum 1 s"),
	ROW(TRANSPORT, WX_CODE_NETWORK, RETRY, 0, 1000, S_BILL,
	    "connection reset/refused or TLS failure: same as timeout"),
	ROW(TRANSPORT, WX_CODE_UNVERIFIED, UNKNOWN, 0, 1000,
	    DOC "\"APIv3 answer and callback verification\" (official "
	    "4013053420)",
	    "answer failed verification (signature, serial, skew, "
	    "SIGNTEST probe): no answer; query"),
	ROW(TRANSPORT, WX_CODE_BAD_ANSWER, UNKNOWN, 0, 1000,
	    DOC "\"APIv2 transfers: err_code and retries\" (official "
	    "4011989673)",
	    "answer not parseable: never switch number; query"),
	ROW(TRANSPORT, WX_CODE_HTTP_5XX, RETRY, 0, 1000, S_COMMON,
	    "5xx without a code: retry the identical request"),
	ROW(TRANSPORT, "HTTP_202", RETRY, 0, 1000, S_COMMON,
	    "202 accepted, not processed: repeat with the same parameters"),
	ROW(TRANSPORT, WX_CODE_HTTP_OTHER, UNKNOWN, 0, 1000, S_COMMON,
	    "status without a documented code: query"),
	ROW(TRANSPORT, WX_CODE_OK, SUCCESS, 0, 0, S_BAL,
	    "information read (balance query)"),
	ROW(TRANSPORT, WX_CODE_LOCAL, FAIL, 0, 0, "this client",
	    "refused before sending (bad input or configuration): nothing "
	    "was sent"),

	/* APIv3 error bodies {"code","message"}. */
	ROW(V3_ERROR, "SYSTEM_ERROR", RETRY, 0, 1000, S_BATCH,
	    "500: 请勿更换单号，请使用相同参数再次调用API"),
	ROW(V3_ERROR, "SERVICE_UNAVAILABLE", RETRY, 0, 1000, S_COMMON,
	    "502/503"),
	ROW(V3_ERROR, "FREQUENCY_LIMITED", RETRY, 0, 2000, S_BATCH,
	    "429: 该笔请求未受理，请降低频率后原单重试"),
	ROW(V3_ERROR, "RATELIMIT_EXCEEDED", RETRY, 0, 2000, S_COMMON,
	    "429: request not accepted"),
	ROW(V3_ERROR, "NOT_ENOUGH", HOLD, 0, 60000, S_BATCH,
	    "403: 充值后原单号重试，请勿更换单号"),
	ROW(V3_ERROR, "PARAM_ERROR", FAIL, 0, 0, S_BILL,
	    "400: fix the request (e.g. missing scene report infos)"),
	ROW(V3_ERROR, "INVALID_REQUEST", FAIL, 0, 0, S_BILL,
	    "400: amount range, daily quota, openid, IP, perception, or "
	    "same number with different body; read message, query before "
	    "any new number"),
	/*
	 * INVALID_REQUEST covers situations that want different handling;
	 * the messages below are those merchants have quoted
	 * (docs/wxpay-api.md, "Transfer bills: create errors and retries") and
	 * are matched by wx_code_classify_v3_error.  No match: the row above.
	 */
	ROW(V3_ERROR, "INVALID_REQUEST:DAILY_LIMIT", HOLD, 0, 0, S_BATCH,
	    "超出商户单日转账额度: merchant daily quota; same number "
	    "later"),
	ROW(V3_ERROR, "INVALID_REQUEST:AMOUNT_RANGE", HOLD, 0, 0, S_BILL,
	    "超过单笔转账上下限: outside the scene's per-transfer "
	    "range; needs the product setting changed"),
	ROW(V3_ERROR, "INVALID_REQUEST:MISMATCH", FAIL, 0, 0, S_BATCH,
	    "单号已存在但信息不一致: same number, different body; "
	    "query and compare, never a new number blindly"),
	ROW(V3_ERROR, "INVALID_REQUEST:RETRY_EXPIRED", UNKNOWN, 0, 0, S_BATCH,
	    "对应单号已超出重试期: query before deciding on a new "
	    "number"),
	ROW(V3_ERROR, "SIGN_ERROR", FAIL, 0, 0, S_BILL,
	    "401: our signature was refused; fix keys/serial, same number"),
	ROW(V3_ERROR, "NO_AUTH", FAIL, 0, 0, S_BILL,
	    "403: product not enabled or wrong product generation"),
	/*
	 * "Not found" on a query is no proof the create never arrived: the
	 * official reading of any unclear answer is to keep the number and
	 * query again, and only a query that says the bill definitely failed
	 * allows a new one (docs/wxpay-api.md, "Transfer bills: query").
	 * Resending the identical body with the same number stays allowed,
	 * that being idempotent ("Transfer bills: create errors and
	 * retries"); a new number is not.
	 */
	ROW(V3_ERROR, "NOT_FOUND", UNKNOWN, 0, 5000,
	    DOC "\"Transfer bills: query\" (404, exact code unconfirmed; "
	    "official 4012716434)",
	    "404 on a query: not proof the bill was never received; query "
	    "again later, resend only the identical create (same number), "
	    "never a new number"),
	ROW(V3_ERROR, "ORDER_NOT_EXIST", UNKNOWN, 0, 5000, S_COMMON,
	    "404 on a query: as NOT_FOUND"),
	ROW(V3_ERROR, "RESOURCE_NOT_EXISTS", UNKNOWN, 0, 5000, S_COMMON,
	    "404 on a query: as NOT_FOUND"),

	/* transfer-bills states. */
	ROW(V3_BILL_STATE, "ACCEPTED", PENDING, 0, 0, S_STATE,
	    "accepted; 可原单重试 if it stays (balance)"),
	ROW(V3_BILL_STATE, "PROCESSING", PENDING, 0, 0, S_STATE,
	    "locking funds; staying here usually means low balance"),
	ROW(V3_BILL_STATE, "WAIT_USER_CONFIRM", PENDING, 0, 0, S_STATE,
	    "created: the user must confirm with package_info"),
	ROW(V3_BILL_STATE, "TRANSFERING", PENDING, 0, 0, S_STATE,
	    "confirmed, result not yet clear"),
	ROW(V3_BILL_STATE, "SUCCESS", SUCCESS, 0, 0, S_STATE, "paid"),
	ROW(V3_BILL_STATE, "FAIL", FAIL, 1, 0, S_STATE,
	    "failed: see fail_reason; a new number may be used"),
	ROW(V3_BILL_STATE, "CANCELING", PENDING, 0, 0, S_STATE,
	    "cancel accepted, in progress"),
	ROW(V3_BILL_STATE, "CANCELLED", FAIL, 1, 0, S_STATE,
	    "cancelled, funds returned; a new number may be used"),

	/* fail_reason of a FAIL bill or detail: the number is closed. */
	ROW(V3_FAIL_REASON, "ACCOUNT_FROZEN", FAIL, 1, 0, S_FAIL, NULL),
	ROW(V3_FAIL_REASON, "ACCOUNT_NOT_EXIST", FAIL, 1, 0, S_FAIL, NULL),
	ROW(V3_FAIL_REASON, "BANK_CARD_ACCOUNT_ABNORMAL", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "BANK_CARD_BANK_INFO_WRONG", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "BANK_CARD_CARD_INFO_WRONG", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "BANK_CARD_COLLECTIONS_ABOVE_QUOTA", HOLD, 1, 0,
	    S_FAIL, "payee quota: new number after it resets"),
	ROW(V3_FAIL_REASON, "BANK_CARD_PARAM_ERROR", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "BANK_CARD_STATUS_ABNORMAL", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "BLOCK_B2C_USERLIMITAMOUNT_BSRULE_MONTH", HOLD, 1,
	    0, S_FAIL, "monthly payee limit"),
	ROW(V3_FAIL_REASON, "BLOCK_B2C_USERLIMITAMOUNT_MONTH", HOLD, 1, 0,
	    S_FAIL, "monthly payee limit"),
	ROW(V3_FAIL_REASON, "DAY_RECEIVED_COUNT_EXCEED", HOLD, 1, 0, S_FAIL,
	    "daily count: new number tomorrow"),
	ROW(V3_FAIL_REASON, "DAY_RECEIVED_QUOTA_EXCEED", HOLD, 1, 0, S_FAIL,
	    "daily amount: new number tomorrow"),
	ROW(V3_FAIL_REASON, "MONTH_RECEIVED_QUOTA_EXCEED", HOLD, 1, 0, S_FAIL,
	    "monthly amount (batch)"),
	ROW(V3_FAIL_REASON, "EXCEEDED_ESTIMATED_AMOUNT", HOLD, 1, 0, S_FAIL,
	    "above the merchant's estimate"),
	ROW(V3_FAIL_REASON, "ID_CARD_NOT_CORRECT", FAIL, 1, 0, S_FAIL, NULL),
	ROW(V3_FAIL_REASON, "MCH_CANCEL", FAIL, 1, 0, S_FAIL,
	    "we cancelled it"),
	ROW(V3_FAIL_REASON, "MERCHANT_REJECT", FAIL, 1, 0, S_FAIL, NULL),
	ROW(V3_FAIL_REASON, "MERCHANT_NOT_CONFIRM", FAIL, 1, 0, S_FAIL, NULL),
	ROW(V3_FAIL_REASON, "NAME_NOT_CORRECT", FAIL, 1, 0, S_FAIL,
	    "real name does not match the openid"),
	ROW(V3_FAIL_REASON, "OPENID_INVALID", FAIL, 1, 0, S_FAIL, NULL),
	ROW(V3_FAIL_REASON, "OTHER_FAIL_REASON_TYPE", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "OVERDUE_CLOSE", FAIL, 1, 0, S_FAIL,
	    "not confirmed in time (expiry reason unconfirmed)"),
	ROW(V3_FAIL_REASON, "PAYEE_ACCOUNT_ABNORMAL", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "PAYER_ACCOUNT_ABNORMAL", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "PRODUCT_AUTH_CHECK_FAIL", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "REALNAME_ACCOUNT_RECEIVED_QUOTA_EXCEED", HOLD, 1,
	    0, S_FAIL, "payee quota"),
	ROW(V3_FAIL_REASON, "REAL_NAME_CHECK_FAIL", FAIL, 1, 0, S_FAIL, NULL),
	ROW(V3_FAIL_REASON, "RECEIVE_ACCOUNT_NOT_CONFIGURE", FAIL, 1, 0,
	    S_FAIL, NULL),
	ROW(V3_FAIL_REASON, "RECEIVE_ACCOUNT_NOT_PERMMIT", FAIL, 1, 0, S_FAIL,
	    "sic (batch)"),
	ROW(V3_FAIL_REASON, "RESERVATION_INFO_NOT_MATCH", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "RESERVATION_SCENE_NOT_MATCH", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "RESERVATION_STATE_INVALID", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "TRANSFER_QUOTA_EXCEED", HOLD, 1, 0, S_FAIL,
	    "merchant quota"),
	ROW(V3_FAIL_REASON, "TRANSFER_REMARK_SET_FAIL", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "TRANSFER_RISK", FAIL, 1, 0, S_FAIL, NULL),
	ROW(V3_FAIL_REASON, "TRANSFER_SCENE_INVALID", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "TRANSFER_SCENE_UNAVAILABLE", FAIL, 1, 0, S_FAIL,
	    NULL),
	ROW(V3_FAIL_REASON, "RELATED_ORDER_TRANSFER_AMOUNT_EXCEED", HOLD, 1,
	    0, S_FAIL, NULL),
	ROW(V3_FAIL_REASON, "RELATED_ORDER_TRANSFER_COUNT_EXCEED", HOLD, 1, 0,
	    S_FAIL, NULL),
	ROW(V3_FAIL_REASON, "BUDGET_NOT_ENOUGH", HOLD, 1, 0, S_FAIL, NULL),

	/* Batches. */
	ROW(V3_BATCH_STATUS, "WAIT_PAY", PENDING, 0, 0, S_BSTAT,
	    "awaiting the merchant's funding confirmation"),
	ROW(V3_BATCH_STATUS, "ACCEPTED", PENDING, 0, 0, S_BSTAT,
	    "still ACCEPTED after 30 min: likely low balance"),
	ROW(V3_BATCH_STATUS, "PROCESSING", PENDING, 0, 0, S_BSTAT, NULL),
	ROW(V3_BATCH_STATUS, "FINISHED", SUCCESS, 0, 0, S_BSTAT,
	    "batch done: each detail_status decides its payee"),
	ROW(V3_BATCH_STATUS, "CLOSED", FAIL, 1, 0, S_BSTAT,
	    "see close_reason"),
	ROW(V3_DETAIL_STATUS, "INIT", PENDING, 0, 0, S_BSTAT, NULL),
	ROW(V3_DETAIL_STATUS, "WAIT_PAY", PENDING, 0, 0, S_BSTAT, NULL),
	ROW(V3_DETAIL_STATUS, "PROCESSING", PENDING, 0, 0, S_BSTAT, NULL),
	ROW(V3_DETAIL_STATUS, "SUCCESS", SUCCESS, 0, 0, S_BSTAT, "paid"),
	ROW(V3_DETAIL_STATUS, "FAIL", FAIL, 1, 0, S_BSTAT,
	    "see fail_reason"),

	/* APIv2 企业付款到零钱. */
	ROW(V2_RETURN, "FAIL", FAIL, 0, 0, DOC "\"APIv2 transfers: answer\"",
	    "return_code=FAIL: request refused at protocol level"),
	ROW(V2_ERR_CODE, "NO_AUTH", FAIL, 0, 0, S_V2, "fix config"),
	ROW(V2_ERR_CODE, "AMOUNT_LIMIT", HOLD, 0, 0, S_V2,
	    "amount outside min/max"),
	ROW(V2_ERR_CODE, "PARAM_ERROR", FAIL, 0, 0, S_V2, "fix request"),
	ROW(V2_ERR_CODE, "OPENID_ERROR", FAIL, 0, 0, S_V2, "fix request"),
	ROW(V2_ERR_CODE, "SEND_FAILED", UNKNOWN, 0, 1000, S_V2,
	    "query first; never reuse after 2 days"),
	ROW(V2_ERR_CODE, "NOTENOUGH", HOLD, 0, 60000, S_V2,
	    "same number after top-up"),
	ROW(V2_ERR_CODE, "SYSTEMERROR", RETRY, 0, 1000, S_V2,
	    "same number and params, within 2 natural days"),
	ROW(V2_ERR_CODE, "NAME_MISMATCH", FAIL, 0, 0, S_V2,
	    "real-name check failed; no money moved"),
	ROW(V2_ERR_CODE, "SIGN_ERROR", FAIL, 0, 0, S_V2, "fix key"),
	ROW(V2_ERR_CODE, "XML_ERROR", FAIL, 0, 0, S_V2, "fix request"),
	ROW(V2_ERR_CODE, "FATAL_ERROR", FAIL, 0, 0, S_V2,
	    "same partner_trade_no with different params"),
	ROW(V2_ERR_CODE, "FREQ_LIMIT", RETRY, 0, 2000, S_V2, "rate limit"),
	ROW(V2_ERR_CODE, "MONEY_LIMIT", HOLD, 0, 0, S_V2,
	    "daily total / per-user limit"),
	ROW(V2_ERR_CODE, "CA_ERROR", FAIL, 0, 0, S_V2,
	    "client certificate refused: fix config"),
	ROW(V2_ERR_CODE, "V2_ACCOUNT_SIMPLE_BAN", FAIL, 0, 0, S_V2,
	    "payee not real-name verified"),
	ROW(V2_ERR_CODE, "PARAM_IS_NOT_UTF8", FAIL, 0, 0, S_V2,
	    "fix request"),
	ROW(V2_ERR_CODE, "SENDNUM_LIMIT", HOLD, 0, 0, S_V2,
	    "per-user daily count"),
	ROW(V2_ERR_CODE, "RECV_ACCOUNT_NOT_ALLOWED", FAIL, 0, 0, S_V2,
	    "payee not allowed: config"),
	ROW(V2_ERR_CODE, "PAY_CHANNEL_NOT_ALLOWED", FAIL, 0, 0, S_V2,
	    "API payouts not enabled: config"),
	/*
	 * gettransferinfo only sees the last 30 days, and the official rule
	 * for anything unclear is to query and never switch number
	 * (docs/wxpay-api.md, "APIv2 transfers: gettransferinfo"):
	 * "not found" proves nothing was paid no more than a timeout does.
	 */
	ROW(V2_ERR_CODE, "NOT_FOUND", UNKNOWN, 0, 5000,
	    DOC "\"APIv2 transfers: gettransferinfo\" (30-day window; "
	    "official 4011989673: unclear answer -> query, keep the number)",
	    "gettransferinfo: unknown number; query again later, resend "
	    "only the identical transfer (same partner_trade_no, within 2 "
	    "natural days), never a new number"),
	ROW(V2_STATUS, "SUCCESS", SUCCESS, 0, 0, S_V2Q, "paid"),
	ROW(V2_STATUS, "PROCESSING", PENDING, 0, 0, S_V2Q, NULL),
	ROW(V2_STATUS, "FAILED", FAIL, 1, 0, S_V2Q, "see reason"),
};

static const struct wx_code_class unknown_row = {
	WX_KIND_TRANSPORT, "UNKNOWN", WX_OUTCOME_UNKNOWN, 0, 1000,
	DOC "\"Transfer bills: query\" and "
	"\"APIv2 transfers: err_code and retries\" (official: unknown code "
	"-> query, keep the number)", "undocumented code"
};

const struct wx_code_class *
wx_code_classify(enum wx_code_kind kind, const char *code)
{
	size_t i;

	if (code == NULL)
		return &unknown_row;
	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].kind == kind && strcmp(table[i].code, code) == 0)
			return &table[i];
	return &unknown_row;
}

const struct wx_code_class *
wx_code_classify_v3_error(const char *code, const char *message)
{
	static const struct {
		const char *needle, *row;
	} refine[] = {
		{ "\xe5\x8d\x95\xe6\x97\xa5",	/* 单日 */
		    "INVALID_REQUEST:DAILY_LIMIT" },
		{ "\xe4\xb8\x8a\xe4\xb8\x8b\xe9\x99\x90", /* 上下限 */
		    "INVALID_REQUEST:AMOUNT_RANGE" },
		{ "\xe4\xbf\xa1\xe6\x81\xaf\xe4\xb8\x8d"
		    "\xe4\xb8\x80\xe8\x87\xb4",	/* 信息不一致 */
		    "INVALID_REQUEST:MISMATCH" },
		{ "\xe9\x87\x8d\xe8\xaf\x95\xe6\x9c\x9f", /* 重试期 */
		    "INVALID_REQUEST:RETRY_EXPIRED" },
	};
	size_t i;

	if (code != NULL && message != NULL &&
	    strcmp(code, "INVALID_REQUEST") == 0)
		for (i = 0; i < sizeof refine / sizeof refine[0]; i++)
			if (strstr(message, refine[i].needle) != NULL)
				return wx_code_classify(WX_KIND_V3_ERROR,
				    refine[i].row);
	return wx_code_classify(WX_KIND_V3_ERROR, code);
}

int
wx_code_is_known(const struct wx_code_class *c)
{
	return c != NULL && c != &unknown_row;
}

const struct wx_code_class *
wx_code_table(size_t *n)
{
	*n = sizeof table / sizeof table[0];
	return table;
}

const char *
wx_outcome_name(enum wx_outcome o)
{
	switch (o) {
	case WX_OUTCOME_SUCCESS:
		return "success";
	case WX_OUTCOME_PENDING:
		return "pending";
	case WX_OUTCOME_RETRY:
		return "retry";
	case WX_OUTCOME_HOLD:
		return "hold";
	case WX_OUTCOME_FAIL:
		return "fail";
	case WX_OUTCOME_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *
wx_code_kind_name(enum wx_code_kind k)
{
	static const char *const names[] = { "transport", "v3-error",
		"v3-bill-state", "v3-fail-reason", "v3-batch-status",
		"v3-detail-status", "v2-err-code", "v2-return", "v2-status" };

	if ((size_t)k < sizeof names / sizeof names[0])
		return names[k];
	return "?";
}

long
wx_backoff_ms(const struct wx_code_class *c, int attempt)
{
	long ms = c != NULL && c->backoff_ms > 0 ? c->backoff_ms : 1000;
	const long cap = 5L * 60 * 1000;

	while (--attempt > 0 && ms < cap)
		ms *= 2;
	return ms < cap ? ms : cap;
}
