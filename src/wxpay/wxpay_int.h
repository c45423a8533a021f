/*
 * Internal to src/wxpay: the client struct and the helpers its files
 * share.
 */
#ifndef LD_WXPAY_INT_H
#define LD_WXPAY_INT_H
#ifndef LD_WXPAY_INTERNAL
#error "wxpay_int.h is internal to src/wxpay: use wxpay.h"
#endif

#include <cJSON.h>

#include "wxpay.h"
#include "wxpay_check.h"
#include "wxpay_http.h"

struct wx_client {
	enum ld_wxpay_mode mode;
	char *mchid, *appid, *merchant_serial, *notify_url;
	char *scene_id, *perception, *report_infos;
	EVP_PKEY *merchant_key;		/* NULL in pure APIv2 use */
	struct wx_verifier verifier;
	/* The key user_name is encrypted to, and its id for the
	 * Wechatpay-Serial header (public key preferred). */
	EVP_PKEY *enc_key;		/* borrowed from verifier */
	char enc_serial[128];
	unsigned char apiv3_key[32];
	int has_apiv3;
	char apiv2_key[128];
	int has_apiv2;
	enum wx_v2_sign_type v2_sign;
	struct wx_http http;
	time_t (*now)(void);
};

/* Starts an answer record: clears it and keeps a copy of the request. */
void		wx_ans_begin(struct wx_answer *a, const char *method,
		    const char *path, const char *body, size_t body_len);

/* Sets the classification and message. */
void		wx_ans_classify(struct wx_answer *a, enum wx_code_kind kind,
		    const char *code, const char *message);

/* Refusal before sending: classifies as LOCAL, returns err's code. */
enum ld_status	wx_ans_local(struct wx_answer *a, struct ld_err *err);

/*
 * One signed APIv3 exchange.  body NULL for none.  Returns as the public
 * calls do.  For a verified 200/204 answer ans->cls is left NULL and *json
 * holds the parsed object (NULL for an empty body); the caller classifies.
 * Any other answer is classified here and *json is NULL.
 */
enum ld_status	wx_v3_call(struct wx_client *c, const char *method,
		    const char *path, const char *body, struct wx_answer *ans,
		    cJSON **json, struct ld_err *err);

/*
 * What a 200/204/202/error answer that arrived (and passed verification
 * when signed) means: the second half of wx_v3_call, on its own so the
 * answer readers can be exercised without a network.
 */
enum ld_status	wx_v3_interpret(struct wx_answer *ans, long status,
		    const char *body, size_t len, cJSON **json,
		    struct ld_err *err);

/*
 * The answer readers behind each call: json is what wx_v3_call left for a
 * verified 200/204 answer (NULL for an empty body) and is freed here; ans
 * was begun by the call (its path names the request).  They return and
 * classify as the calls do.
 */
enum wx_bill_doc {
	WX_BILL_CREATE,
	WX_BILL_QUERY,
	WX_BILL_CANCEL,
	WX_BILL_NOTIFY
};

enum ld_status	wx_bill_answer(const struct wx_client *c, cJSON *json,
		    enum wx_bill_doc doc, const char *want_out,
		    const char *want_no, struct wx_transfer_bill *bill,
		    struct wx_answer *ans, struct ld_err *err);
enum ld_status	wx_batch_create_answer(cJSON *json, const char *want,
		    struct wx_batch *b, struct wx_answer *ans,
		    struct ld_err *err);
enum ld_status	wx_batch_query_answer(cJSON *json, int by_batch_id,
		    const char *no, int need_detail, int limit,
		    struct wx_batch *b, struct wx_answer *ans,
		    struct ld_err *err);
enum ld_status	wx_batch_detail_answer(const struct wx_client *c,
		    cJSON *json, int by_id, const char *batch,
		    const char *detail, struct wx_batch_detail *d,
		    struct wx_answer *ans, struct ld_err *err);
enum ld_status	wx_balance_answer(cJSON *json, int64_t *available_fen,
		    int64_t *pending_fen, struct wx_answer *ans,
		    struct ld_err *err);
enum ld_status	wx_certificates_answer(struct wx_client *c, cJSON *json,
		    struct wx_platform_cert **certs, size_t *n,
		    struct wx_answer *ans, struct ld_err *err);

/*
 * APIv2: an answer that arrived (status, body) read into fields, its sign
 * checked when it has one; then what a transfer or query answer means.
 * Same returns and classification as wx_v2_transfer/_query.
 */
enum ld_status	wx_v2_answer_fields(struct wx_client *c, long status,
		    const char *body, size_t len, struct wx_kv **out,
		    size_t *nout, struct wx_answer *ans, struct ld_err *err);
enum ld_status	wx_v2_transfer_answer(const struct wx_client *c,
		    const char *partner_trade_no, struct wx_kv *kv, size_t n,
		    struct wx_v2_transfer *t, struct wx_answer *ans,
		    struct ld_err *err);
enum ld_status	wx_v2_query_answer(const struct wx_client *c,
		    const char *partner_trade_no, struct wx_kv *kv, size_t n,
		    struct wx_v2_transfer_info *t, struct wx_answer *ans,
		    struct ld_err *err);

/*
 * Reading WeChat Pay's JSON answers.  A member marked WX_REQUIRED must be
 * present; any member present must have the documented type and fit its
 * destination, never truncated.  Each returns LD_OK or LD_EPROTO naming the
 * member (err may be NULL).
 */
#define WX_OPTIONAL	0
#define WX_REQUIRED	1

/* A string member into dst (cap bytes with the NUL); "" when absent. */
enum ld_status	wx_json_copy(const cJSON *o, const char *name, char *dst,
		    size_t cap, int required, struct ld_err *err);
/* A string member duplicated into *out; NULL when absent. */
enum ld_status	wx_json_strdup(const cJSON *o, const char *name, char **out,
		    int required, struct ld_err *err);
/* An integer member in [0, 2^53) into *out; -1 when absent. */
enum ld_status	wx_json_int64(const cJSON *o, const char *name, int64_t *out,
		    int required, struct ld_err *err);

/* Adds "name": <integer> without passing through a double. */
void		wx_json_add_int(cJSON *o, const char *name, int64_t v);

/*
 * Chooses the key user_name is encrypted with and Wechatpay-Serial names
 * (wx_verifier_current at the client's clock): at start, and after
 * certificates are fetched, so that a rotation moves to the new one.
 */
void		wx_client_enc_key_refresh(struct wx_client *c);

/* The client's clock. */
time_t		wx_client_now(const struct wx_client *c);

#endif
