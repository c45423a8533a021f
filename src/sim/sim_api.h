/*
 * What the simulated WeChat Pay answers.  The HTTP layer hands each module
 * a struct sim_request and sends the struct sim_answer it fills:
 *   sim_answer.c    answers: JSON, APIv3 errors, 405, JSON members
 *   sim_auth.c      the merchant's APIv3 signature on a request
 *   sim_fields.c    reading a request: its body, fields by a table (each
 *                   checked by the client's own rules and added to the
 *                   request's fingerprint), query parameters
 *   sim_bills.c     商家转账 transfer bills
 *   sim_batches.c   商家转账到零钱 batches
 *   sim_fundflow.c  the fund-flow bill and its download
 *   sim_v2.c        APIv2 企业付款 and its query
 *   sim_admin.c     /__sim/: faults, ledger, balance, bills, callbacks
 *   sim_api.c       the APIv3 router, certificates, balances
 */
#ifndef LD_SIM_API_H
#define LD_SIM_API_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sim.h"

struct sim_answer {
	unsigned status;
	char *body;		/* malloc'd, may be NULL */
	size_t len;
	const char *content_type;
	int v2;			/* XML answer, never signed */
	int unsigned_body;	/* an APIv3 answer WeChat does not sign */
	int committed;		/* the request changed state */
	const char *allow;	/* Allow header of a 405 */
};

struct sim_request {
	const char *method;
	const char *path;	/* without query */
	const char *path_query;	/* as sent */
	const char *query;	/* after '?', or "" */
	const char *body;
	size_t body_len;
	const char *wechatpay_serial;	/* request header or NULL */
	const char *content_type;
	const char *base_url;	/* the origin it came to, for URLs handed out */
};

/* sim_answer.c */

/* Takes ownership of a JSON text (NULL: an empty body). */
void sim_answer_json(struct sim_answer *a, unsigned status, char *json);
/* Prints and deletes o into the answer. */
void sim_answer_obj(struct sim_answer *a, unsigned status, cJSON *o);
/* An APIv3 JSON error answer {"code","message"}. */
void sim_answer_error(struct sim_answer *a, unsigned status,
    const char *code, const char *message);
/* The same with detail.field and detail.location "body". */
void sim_answer_field(struct sim_answer *a, unsigned status,
    const char *code, const char *message, const char *field);
/* 405 with the Allow header. */
void sim_answer_method(struct sim_answer *a, const char *allow);
/*
 * An APIv3 error code answered over HTTP, with its documented status and
 * message: 1 when code is one (the answer is filled), else 0.
 */
int sim_answer_v3_code(struct sim_answer *a, const char *code);
/*
 * Adds user_name RSA-OAEP encrypted to the merchant's key, as the queries
 * return it (never in clear); frees name.  Called without the lock: RSA
 * is slow.
 */
void sim_answer_add_name(struct sim *s, cJSON *o, char *name);

/* sim_fields.c */

/* SHA-256 over the fields that make a request what it is. */
struct sim_fp {
	EVP_MD_CTX *ctx;
};

void sim_fp_begin(struct sim_fp *f);
/* Adds a string (NULL as ""), NUL-terminated so fields cannot merge. */
void sim_fp_add(struct sim_fp *f, const char *s);
void sim_fp_add_i64(struct sim_fp *f, int64_t v);
void sim_fp_end(struct sim_fp *f, unsigned char out[32]);

enum sim_field_kind {
	SIM_F_TEXT,	/* text by wx_check_text: 1..max characters */
	SIM_F_NO,	/* a merchant number by wx_check_no: 1..max */
	SIM_F_OPENID,	/* 1..64 of [A-Za-z0-9_-] */
	SIM_F_FEN,	/* an integer amount in fen, 1..10^13 */
	SIM_F_URL,	/* a callback URL by wx_http_check_notify_url */
	SIM_F_NAME	/* user_name: RSA-OAEP to our platform key */
};

struct sim_field {
	const char *name;
	enum sim_field_kind kind;
	unsigned max;
	int required;
};

struct sim_value {
	const char *str;	/* borrowed from the JSON; NULL when absent */
	char *plain;		/* SIM_F_NAME: the decrypted name, owned */
	int64_t fen;		/* SIM_F_FEN */
};

/*
 * The validate-and-fingerprint step every creating request shares: reads
 * o's members by spec (n of them) into v, each checked by its kind, and
 * adds each to f in spec order (a name as its plain text, since its
 * ciphertext differs on every retry).  0 when all are good; else -1 with
 * a PARAM_ERROR (INVALID_REQUEST for an openid) answer naming the field.
 * sim_values_free releases the decrypted names either way.
 */
int sim_fields_read(struct sim *s, const struct sim_request *rq,
    const cJSON *o, const struct sim_field *spec, size_t n,
    struct sim_value *v, struct sim_fp *f, struct sim_answer *a);
void sim_values_free(struct sim_value *v, size_t n);

/*
 * The request body as a JSON object, read one way only (no trailing
 * bytes, no NUL in a string, no member twice), or NULL.
 */
cJSON *sim_body_object(const struct sim_request *rq);
/*
 * The JSON body of a creating request: 0 with *o set, or -1 with the
 * answer filled (Content-Type not application/json, or not an object).
 */
int sim_body_json(const struct sim_request *rq, cJSON **o,
    struct sim_answer *a);
/* 1 when p is an openid as WeChat issues them. */
int sim_openid_ok(const char *p);
/*
 * A query parameter's raw value into out: 1 when present and it fits,
 * else 0.
 */
int sim_query_param(const char *query, const char *name, char *out,
    size_t size);
/* Digits only, at most 9 of them, into *out; 0 when it is not that. */
int sim_small_uint(const char *p, long *out);

/* sim_bills.c */

void sim_bill_create(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a);
/* /out-bill-no/N[/cancel] (by_out) or /transfer-bill-no/N: rest is N... */
void sim_bill_by_number(struct sim *s, const struct sim_request *rq,
    const char *rest, int by_out, struct sim_answer *a);

/* sim_batches.c */

void sim_batch_create(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a);
/* GET /v3/transfer/batches/…: rest follows "/v3/transfer/batches/". */
void sim_batch_query(struct sim *s, const struct sim_request *rq,
    const char *rest, struct sim_answer *a);

/* sim_fundflow.c */

/* GET /v3/bill/fundflowbill?bill_date=…&account_type=… */
void sim_fundflow_apply(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a);
/* GET /v3/billdownload/file?token=…: the file, unsigned as WeChat's is. */
void sim_fundflow_download(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a);
/*
 * The fund-flow bill of one Beijing day and account as WeChat formats it
 * (injected mismatches applied), or NULL when it has no line; lock held.
 */
char *sim_fundflow_csv(struct sim *s, long day, enum sim_account acc,
    size_t *len);

/* sim_v2.c */

/* Routes an APIv2 request (its own sign check). */
void sim_api_v2(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a);
/*
 * The APIv2 answer to a request without a valid merchant client
 * certificate: err_code CA_ERROR.
 */
void sim_api_v2_ca_error(struct sim_answer *a);

/* sim_admin.c */

/* /__sim/… admin endpoints. */
void sim_api_admin(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a);

/* sim_api.c */

/* Routes an authenticated APIv3 request. */
void sim_api_v3(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a);

/* sim_auth.c */

/*
 * Checks an Authorization header value (NULL: none) as WeChat does:
 * scheme and attributes, our merchant id, the merchant's serial, a
 * timestamp within the window and the signature over the exact bytes
 * received.  0 when valid; else a 401 answer is filled.
 */
int sim_check_auth(struct sim *s, const char *authorization,
    const struct sim_request *rq, struct sim_answer *a);

#endif
