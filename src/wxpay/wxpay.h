/*
 * WeChat Pay client for payouts to a user's WeChat wallet (零钱):
 *
 *   - 商家转账 transfer bills (APIv3, user confirms with package_info);
 *   - 商家转账到零钱 batches (APIv3, merchants opened before
 *     2025-01-15);
 *   - legacy APIv2 企业付款到零钱 (XML, MD5/HMAC-SHA256, mutual TLS);
 *   - the merchant balance.
 *
 * Every call returns parsed structs plus a struct wx_answer describing the
 * exchange for the attempt log (what was sent, what came back, what it
 * means).  The client never touches a database and never retries by
 * itself: the caller decides from ans->outcome (see wxpay_codes.h).  One
 * exception is libcurl's: a request sent on a reused keep-alive connection
 * that dies before any answer byte is re-sent once on a new connection.
 * That is safe here because every call is idempotent by its number
 * (out_bill_no, out_batch_no, partner_trade_no) and resends the same bytes.
 *
 * Return value of every call: LD_OK when WeChat Pay gave a trustworthy
 * answer (a success or a documented business error: look at ans->outcome);
 * otherwise LD_ETIMEOUT / LD_ENET (no answer), LD_ECRYPTO (answer failed
 * verification: counts as no answer), LD_EPROTO (answer not the documented
 * shape) or LD_EINVAL (refused locally, nothing sent).  In every case
 * ans->cls and ans->outcome are set; an answer that failed verification is
 * never a success.
 *
 * Every call overwrites its struct wx_answer (free the previous one with
 * wx_answer_free first) and its result struct (free with the matching
 * *_free); both are filled even on failure and must be freed.
 *
 * One client per worker thread: it owns one curl handle, kept alive across
 * calls.  base_url is https://host[:port]; plain http:// is accepted only
 * for a loopback host, which is how tests and the demo reach wxpay-sim
 * (http://127.0.0.1:PORT).  TLS verification cannot be turned off; ca_file
 * replaces the system store (a simulator with its own CA).
 *
 * Public, with wxpay_codes.h, wxpay_config.h, wxpay_crypto.h and
 * wxpay_verify.h;
 * wxpay_int.h and wxpay_http.h are internal to src/wxpay.
 */
#ifndef LD_WXPAY_H
#define LD_WXPAY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ld_err.h"
#include "wxpay_codes.h"
#include "wxpay_config.h"
#include "wxpay_crypto.h"
#include "wxpay_verify.h"

struct wx_client;

/* One exchange, for the attempt log.  Owns its strings. */
struct wx_answer {
	char method[8];
	char path[512];
	char *request_body;		/* what was sent; NULL for none */
	size_t request_body_len;
	enum ld_status transport;	/* LD_OK: an HTTP answer arrived */
	long http_status;		/* 0 when none */
	int verified;			/* signature checked (APIv3) */
	char request_id[128];
	char code[64];			/* what was classified: state, error
					 * code, err_code, pseudo code */
	char message[512];		/* error message / err_code_des / why */
	const struct wx_code_class *cls; /* never NULL after a call */
	enum wx_outcome outcome;	/* cls->outcome */
	char *raw;			/* answer body as received, or NULL */
	size_t raw_len;
};

void		wx_answer_free(struct wx_answer *a);

/*
 * Builds a client from the [wxpay] configuration: loads the merchant
 * private key, trusts the platform public key (platform_key_id) and/or the
 * platform certificate (serial from the file or platform_cert_serial),
 * reads the APIv3/APIv2 keys, prepares the HTTP handle.  Only what the mode
 * needs is required.  On failure *out is NULL and err names the key/file.
 */
enum ld_status	wx_client_new(const struct wx_config *cfg,
		    struct wx_client **out, struct ld_err *err);
void		wx_client_free(struct wx_client *c);

/* Replaces time(NULL), for tests of the skew window. */
void		wx_client_set_clock(struct wx_client *c, time_t (*now)(void));

/*
 * APIv2 sign type for requests.  MD5 (the default) is what transfers and
 * gettransferinfo document; neither has a sign_type field, so none is sent
 * and an HMAC-SHA256 sign is told apart by its 64 hex digits, as the SDKs
 * do (docs/wxpay-api.md, "APIv2 transfers: signing").
 */
void		wx_client_set_v2_sign_type(struct wx_client *c,
		    enum wx_v2_sign_type t);

/* The trusted platform keys and the APIv3 key, for callback endpoints. */
const struct wx_verifier *wx_client_verifier(const struct wx_client *c);

/*
 * Verifies and decrypts a callback with the client's keys and clock (see
 * wx_notify_open).
 */
enum ld_status	wx_client_open_notify(struct wx_client *c,
		    const struct wx_signed_headers *h, const void *body,
		    size_t body_len, struct wx_notify *out,
		    struct ld_err *err);

/* 商家转账 transfer bills */

struct wx_transfer_req {
	const char *out_bill_no;	/* letters/digits, <= 32 */
	const char *openid;
	int64_t amount_fen;
	const char *remark;		/* transfer_remark, <= 32 characters */
	const char *user_name;		/* plaintext real name or NULL;
					 * required from 200000 fen */
	/* NULL: take from the configuration; "" (notify_url, perception):
	 * leave the field out. */
	const char *transfer_scene_id;
	const char *user_recv_perception;
	const char *report_infos;	/* "type:content;type:content" */
	const char *notify_url;		/* https; http only to loopback */
};

struct wx_transfer_bill {
	char out_bill_no[64];
	char transfer_bill_no[128];
	char state[32];
	char fail_reason[64];
	char appid[64];
	char mch_id[64];
	char openid[128];
	char transfer_remark[128];
	char create_time[40];
	char update_time[40];
	int64_t transfer_amount;	/* fen, -1 when absent */
	char *package_info;		/* for the user's confirmation */
	char *user_name;		/* encrypted, as returned */
};

void		wx_transfer_bill_free(struct wx_transfer_bill *b);

/*
 * Builds the create body (user_name RSA-OAEP encrypted to the platform key).
 * Encryption is randomized, so the caller stores this body with the
 * out_bill_no and resends exactly it on every retry.  *body caller frees.
 */
enum ld_status	wx_transfer_bill_build(struct wx_client *c,
		    const struct wx_transfer_req *r, char **body,
		    struct ld_err *err);

/* POST /v3/fund-app/mch-transfer/transfer-bills with a built body. */
enum ld_status	wx_transfer_bill_create(struct wx_client *c,
		    const char *body, struct wx_transfer_bill *bill,
		    struct wx_answer *ans, struct ld_err *err);

/* GET .../transfer-bills/out-bill-no/{out_bill_no} */
enum ld_status	wx_transfer_bill_query(struct wx_client *c,
		    const char *out_bill_no, struct wx_transfer_bill *bill,
		    struct wx_answer *ans, struct ld_err *err);

/* GET .../transfer-bills/transfer-bill-no/{transfer_bill_no} */
enum ld_status	wx_transfer_bill_query_by_no(struct wx_client *c,
		    const char *transfer_bill_no,
		    struct wx_transfer_bill *bill, struct wx_answer *ans,
		    struct ld_err *err);

/*
 * POST .../transfer-bills/out-bill-no/{out_bill_no}/cancel (no body).
 * Success means "cancel accepted" (CANCELING/CANCELLED); confirm by query.
 */
enum ld_status	wx_transfer_bill_cancel(struct wx_client *c,
		    const char *out_bill_no, struct wx_transfer_bill *bill,
		    struct wx_answer *ans, struct ld_err *err);

/*
 * Parses a decrypted MCHTRANSFER.BILL.FINISHED resource into bill and
 * classifies its state into *cls.
 */
enum ld_status	wx_transfer_bill_from_json(const char *json, size_t len,
		    struct wx_transfer_bill *bill,
		    const struct wx_code_class **cls, struct ld_err *err);

/* 商家转账到零钱 batches */

struct wx_batch_detail_req {
	const char *out_detail_no;
	int64_t amount_fen;
	const char *remark;
	const char *openid;
	const char *user_name;		/* plaintext or NULL */
};

struct wx_batch_req {
	const char *out_batch_no;
	const char *batch_name;
	const char *batch_remark;
	const struct wx_batch_detail_req *details;
	size_t n_details;		/* 1..1000 */
	const char *transfer_scene_id;	/* NULL: config; "": leave out */
	const char *notify_url;		/* NULL: config; "": leave out */
};

struct wx_batch_detail {
	char out_detail_no[64];
	char detail_id[128];
	char detail_status[32];
	char fail_reason[64];
	char openid[128];
	char initiate_time[40];
	char update_time[40];
	int64_t transfer_amount;	/* -1 when absent */
	char *user_name;		/* encrypted, as returned */
	const struct wx_code_class *cls; /* by detail_status/fail_reason */
};

struct wx_batch {
	char out_batch_no[64];
	char batch_id[128];
	char batch_status[32];
	char close_reason[64];
	char create_time[40];
	char update_time[40];
	int64_t total_amount, success_amount, fail_amount; /* -1 absent */
	long total_num, success_num, fail_num;
	struct wx_batch_detail *details;	/* owned */
	size_t n_details;
};

void		wx_batch_free(struct wx_batch *b);
void		wx_batch_detail_free(struct wx_batch_detail *d);

/* Same contract as wx_transfer_bill_build. */
enum ld_status	wx_batch_build(struct wx_client *c,
		    const struct wx_batch_req *r, char **body,
		    struct ld_err *err);

/* POST /v3/transfer/batches with a built body. */
enum ld_status	wx_batch_create(struct wx_client *c, const char *body,
		    struct wx_batch *b, struct wx_answer *ans,
		    struct ld_err *err);

/*
 * GET /v3/transfer/batches/out-batch-no/{no} (by_batch_id 0) or
 * .../batch-id/{id} (1) with need_query_detail, offset, limit and an
 * optional detail_status filter (NULL: ALL).
 */
enum ld_status	wx_batch_query(struct wx_client *c, int by_batch_id,
		    const char *no, int need_detail, int offset, int limit,
		    const char *detail_status, struct wx_batch *b,
		    struct wx_answer *ans, struct ld_err *err);

/*
 * GET .../out-batch-no/{batch}/details/out-detail-no/{detail} (by_id 0) or
 * .../batch-id/{batch}/details/detail-id/{detail} (by_id 1).
 */
enum ld_status	wx_batch_detail_query(struct wx_client *c, int by_id,
		    const char *batch, const char *detail,
		    struct wx_batch_detail *d, struct wx_answer *ans,
		    struct ld_err *err);

/* Legacy APIv2 企业付款到零钱 */

struct wx_v2_transfer_req {
	const char *partner_trade_no;	/* letters/digits, <= 32 */
	const char *openid;
	int64_t amount_fen;
	const char *desc;
	const char *re_user_name;	/* non-NULL: FORCE_CHECK */
	const char *spbill_create_ip;	/* NULL: 127.0.0.1 */
	const char *device_info;	/* optional */
};

struct wx_v2_transfer {
	char return_code[16];
	char result_code[16];
	char err_code[64];
	char partner_trade_no[64];
	char payment_no[128];
	char payment_time[40];
};

struct wx_v2_transfer_info {
	char partner_trade_no[64];
	char detail_id[128];
	char status[16];		/* SUCCESS | FAILED | PROCESSING */
	char reason[256];
	char openid[128];
	char transfer_name[128];
	int64_t payment_amount;		/* -1 when absent */
	char transfer_time[40];
	char payment_time[40];
};

/*
 * POST /mmpaymkttransfers/promotion/transfers (XML, client certificate).
 * nonce_str and sign are generated per call; the XML sent is in
 * ans->request_body.  The answer carries no sign (docs/wxpay-api.md,
 * "APIv2 transfers: answer").
 */
enum ld_status	wx_v2_transfer(struct wx_client *c,
		    const struct wx_v2_transfer_req *r,
		    struct wx_v2_transfer *t, struct wx_answer *ans,
		    struct ld_err *err);

/*
 * The same request in two halves, for a caller that must resend the very
 * bytes it sent the first time (nonce_str and sign are part of them):
 * build signs a request once (*xml caller frees); send posts a body so
 * built, byte for byte, and reads the answer as wx_v2_transfer does (the
 * number it must name is the body's partner_trade_no).  A body that is
 * not a signed transfer request is refused locally (LOCAL).
 */
enum ld_status	wx_v2_transfer_build(struct wx_client *c,
		    const struct wx_v2_transfer_req *r, char **xml,
		    struct ld_err *err);
enum ld_status	wx_v2_transfer_send(struct wx_client *c, const char *xml,
		    struct wx_v2_transfer *t, struct wx_answer *ans,
		    struct ld_err *err);

/* POST /mmpaymkttransfers/gettransferinfo */
enum ld_status	wx_v2_transfer_query(struct wx_client *c,
		    const char *partner_trade_no, struct wx_v2_transfer_info *t,
		    struct wx_answer *ans, struct ld_err *err);

/*
 * Queries that know what they are asking about.  An answer about a
 * transfer must name our number (checked by every query), and a found
 * transfer must also carry our amount and openid: one that names another
 * amount or another payee is not trusted (docs/wxpay-api.md, "Transfer
 * bills: query"; an answer we cannot trust counts as no answer).  The
 * calls below are the queries above plus that comparison: on a mismatch
 * the answer is classified BAD_ANSWER (outcome unknown), LD_EPROTO is
 * returned naming what differs, and the parsed struct is left filled so
 * the caller can show a person what WeChat Pay said.
 */
struct wx_expect {
	const char *out_no;		/* out_bill_no / out_detail_no /
					 * partner_trade_no */
	int64_t amount_fen;		/* > 0 */
	const char *openid;
};

enum ld_status	wx_transfer_bill_query_expect(struct wx_client *c,
		    const struct wx_expect *e, struct wx_transfer_bill *bill,
		    struct wx_answer *ans, struct ld_err *err);
/* GET .../out-batch-no/{out_batch_no}/details/out-detail-no/{e->out_no} */
enum ld_status	wx_batch_detail_query_expect(struct wx_client *c,
		    const char *out_batch_no, const struct wx_expect *e,
		    struct wx_batch_detail *d, struct wx_answer *ans,
		    struct ld_err *err);
enum ld_status	wx_v2_transfer_query_expect(struct wx_client *c,
		    const struct wx_expect *e, struct wx_v2_transfer_info *t,
		    struct wx_answer *ans, struct ld_err *err);

/*
 * The comparison alone, for an answer read another way (a callback):
 * LD_OK when amount (-1: absent) and openid ("" absent) are e's or
 * absent; else LD_EPROTO naming what differs, with ans (when not NULL)
 * reclassified as above.
 */
enum ld_status	wx_expect_check(const struct wx_expect *e,
		    const char *out_no, int64_t amount_fen,
		    const char *openid, struct wx_answer *ans,
		    struct ld_err *err);

/*
 * Every detail of a batch with its own outcome: GET
 * .../out-batch-no/{no}?need_query_detail=true page after page (100 a
 * page) until the batch's total_num are listed, into b (b->details[i].cls
 * classifies each by detail_status and fail_reason).  ans is the last
 * page's exchange; a page that fails ends the call with that page's
 * classification.  A batch listing more details than total_num, or the
 * same detail twice across pages, is malformed.
 */
enum ld_status	wx_batch_query_all(struct wx_client *c,
		    const char *out_batch_no, struct wx_batch *b,
		    struct wx_answer *ans, struct ld_err *err);

/* Balance */

/*
 * GET /v3/merchant/fund/balance/{BASIC|OPERATION|FEES}; amounts in fen.
 */
enum ld_status	wx_balance_query(struct wx_client *c,
		    const char *account_type, int64_t *available_fen,
		    int64_t *pending_fen, struct wx_answer *ans,
		    struct ld_err *err);

/* Platform certificates */

struct wx_platform_cert {
	char serial_no[128];
	char effective_time[40];
	char expire_time[40];
	char *pem;			/* the decrypted certificate */
};

void		wx_platform_certs_free(struct wx_platform_cert *certs,
		    size_t n);

/*
 * GET /v3/certificates (certificate mode; docs/wxpay-api.md, "Platform
 * certificates").  The answer is verified with the keys already trusted
 * (no trust on first use); each
 * encrypt_certificate is decrypted with the APIv3 key and must carry the
 * serial_no it is listed under.  Certificates not yet trusted are added to
 * the client's verifier, so later answers and callbacks signed with a
 * rotated certificate verify.  *certs (caller frees with
 * wx_platform_certs_free) lists every certificate of the answer.
 */
enum ld_status	wx_certificates_fetch(struct wx_client *c,
		    struct wx_platform_cert **certs, size_t *n,
		    struct wx_answer *ans, struct ld_err *err);

/* Helpers */

/*
 * Parses "type:content;type:content" (transfer_scene_report_infos in the
 * configuration) into a JSON array string, caller frees.  LD_EINVAL names
 * the item at fault.
 */
enum ld_status	wx_report_infos_json(const char *spec, char **json,
		    struct ld_err *err);

#endif
