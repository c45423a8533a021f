/*
 * wxpay-sim: a local WeChat Pay for the demo and the tests.
 *
 * One struct sim holds everything: the configuration, the keys, the bills
 * and the faults to inject.  A single mutex guards the mutable parts; the
 * expensive RSA work (checking the merchant's signature, signing answers and
 * callbacks) happens outside it so two connections sign in parallel.
 */
#ifndef LD_SIM_H
#define LD_SIM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "ld_buf.h"
#include "ld_err.h"

#define SIM_MAX_RULES	32
#define SIM_MAX_RETRIES	128
#define SIM_BODY_MAX	(1024 * 1024)

/*
 * A fault that fires on the next `count` chances (deterministic, for tests)
 * or else with probability bps / 10000.
 */
struct sim_knob {
	int bps;
	int count;
};

/*
 * A business error for requests whose openid matches a glob and whose API
 * matches (create, query, cancel, batch, v2, any).  code is an APIv3 error
 * code (answered as an HTTP error), a bill fail_reason (the bill ends FAIL),
 * an APIv2 err_code, or IGNORE (the user never confirms).
 */
struct sim_rule {
	char code[48];
	char openid[72];
	char api[16];
	struct sim_knob when;
};

struct sim_faults {
	int latency_ms;
	struct sim_knob latency;
	int hang_ms;
	struct sim_knob hang;		/* accept, never answer, close */
	int late_ms;
	struct sim_knob late;		/* commit, answer after late_ms */
	struct sim_knob error_5xx;	/* 500 SYSTEM_ERROR, nothing done */
	struct sim_knob error_503;	/* 503 SERVICE_UNAVAILABLE */
	struct sim_knob reset;		/* RST before anything is done */
	struct sim_knob reset_after_commit; /* commit, then RST */
	struct sim_knob resp_bad_signature;
	struct sim_knob resp_signtest;
	struct sim_knob resp_stale_timestamp;
	struct sim_knob resp_unknown_serial;
	struct sim_knob resp_unsigned;
	struct sim_knob cb_duplicate;
	struct sim_knob cb_reorder;
	int cb_reorder_ms;
	struct sim_knob cb_bad_signature;
	struct sim_knob cb_signtest;
	struct sim_rule rules[SIM_MAX_RULES];
	size_t nrules;
};

enum sim_confirm_mode {
	SIM_CONFIRM_AUTO,	/* the user confirms after confirm_delay_ms */
	SIM_CONFIRM_NEVER,	/* the bill closes after the timeout */
	SIM_CONFIRM_MANUAL	/* only POST /__sim/bills/N/confirm confirms */
};

struct sim_config {
	char *path;
	char *state_dir;
	char *listen;			/* "127.0.0.1:PORT" */
	char *mchid;
	char *appid;
	char *merchant_serial;
	char *merchant_public_key_file;
	int generate_merchant;
	char *platform_key_id;		/* NULL: generated, kept in state */
	int platform_cert_mode;		/* sign as the certificate serial */
	char *apiv3_key_file;
	char *apiv2_key_file;
	long time_scale;		/* simulated seconds per real second */
	long request_max_skew;		/* seconds */
	int sign_errors;		/* sign 4xx/5xx answers too */
	int products_bills, products_batches, products_v2;

	char *payout_account;		/* BASIC or OPERATION */
	int64_t basic_fen, operation_fen, fees_fen;

	int64_t min_transfer_fen, max_transfer_fen;
	int64_t per_user_daily_fen, merchant_daily_fen;
	long per_user_daily_count;
	int64_t user_name_required_fen;
	char *scenes;			/* "1000,1005" */

	enum sim_confirm_mode confirm_mode;
	long confirm_delay_ms;		/* real milliseconds */
	long confirm_timeout_s;		/* simulated seconds */
	int expire_cancelled;		/* else FAIL/OVERDUE_CLOSE */
	long transfer_ms;		/* TRANSFERING -> SUCCESS */
	long cancel_ms;			/* CANCELING -> CANCELLED */
	long batch_ms;			/* batch ACCEPTED -> FINISHED */

	/*
	 * APIv2 over mutual TLS: an HTTPS listener that requires a client
	 * certificate issued by tls_client_ca_file (wechatpay.md 1.4).  The
	 * server certificate and key are generated into the state directory
	 * unless given.  NULL listen: no TLS listener.
	 */
	char *v2_tls_listen;		/* "127.0.0.1:PORT" */
	char *tls_cert_file, *tls_key_file;
	char *tls_client_ca_file;

	long retry_s[SIM_MAX_RETRIES];	/* simulated seconds */
	size_t nretry;
	long callback_timeout_ms;

	struct sim_faults faults;
};

enum sim_state {
	SIM_ACCEPTED,
	SIM_PROCESSING,
	SIM_WAIT_USER_CONFIRM,
	SIM_TRANSFERING,
	SIM_SUCCESS,
	SIM_FAIL,
	SIM_CANCELING,
	SIM_CANCELLED
};

enum sim_kind {
	SIM_KIND_BILL,		/* APIv3 商家转账 transfer bill */
	SIM_KIND_DETAIL,	/* one transfer of an APIv3 batch */
	SIM_KIND_V2		/* APIv2 企业付款 */
};

struct sim_batch;

struct sim_bill {
	enum sim_kind kind;
	char out_no[40];	/* out_bill_no, out_detail_no, partner_trade_no */
	char bill_no[48];	/* transfer_bill_no / detail_id / payment_no */
	char appid[40];
	char openid[72];
	char scene[40];
	char *remark;
	char *notify_url;
	char *user_name;	/* decrypted real name or NULL */
	char *package_info;
	int64_t amount;
	enum sim_state state;
	char fail_reason[48];
	time_t create_time, update_time;
	unsigned char fp[32];	/* fingerprint of the request */
	int64_t due_ms;		/* next automatic step, 0 none */
	int ignore;		/* the user never confirms */
	int locked;		/* amount is held from the balance */
	int in_active;		/* listed in sim.active */
	struct sim_batch *batch;
};

struct sim_batch {
	char out_batch_no[40];
	char batch_id[48];
	char appid[40];
	char *name, *remark, *notify_url;
	char scene[40];
	int64_t total_amount;
	int total_num;
	char state[16];		/* ACCEPTED PROCESSING FINISHED CLOSED */
	time_t create_time, update_time;
	unsigned char fp[32];
	int64_t due_ms;
	struct sim_bill **details;
	size_t ndetails;
};

/* One open-addressed string map; values are borrowed pointers. */
struct sim_map {
	const char **keys;
	void **vals;
	size_t cap, n;
};

struct sim_user {
	char openid[72];
	long day;
	int64_t day_fen;
	long day_count;
	int64_t paid_fen;
	long paid_count;
};

struct sim_cb_job {
	char id[40];
	char *url;
	char *event_type;
	char *summary;
	char *resource;		/* the plain JSON to encrypt */
	char out_no[40];
	unsigned attempt;
	int64_t due_ms;
	struct sim_cb_job *next;
};

struct sim_cb_log {
	char id[40];
	char out_no[40];
	char event_type[32];
	unsigned attempt;
	long http_status;	/* 0: no answer */
	int bad_signature;
	time_t at;
};

#define SIM_CB_LOG_MAX	4096

struct sim {
	struct sim_config cfg;
	EVP_PKEY *platform_key;
	EVP_PKEY *merchant_pub;
	char platform_key_id[128];
	char platform_public_file[512];
	char platform_cert_file[512];
	char platform_cert_serial[128];
	char *platform_cert_pem;
	unsigned char apiv3_key[32];
	char apiv2_key[65];
	char *merchant_private_file;	/* when generated */
	/* PEM texts for the TLS listener (NULL without one). */
	char *tls_cert_pem, *tls_key_pem, *tls_ca_pem;
	char **scenes;
	size_t nscenes;

	pthread_mutex_t lock;
	pthread_cond_t wake;		/* ticker and notifier */
	int stopping;

	struct sim_faults faults;	/* live; the admin API changes it */

	struct sim_bill **bills;	/* every bill, in creation order */
	size_t nbills, capbills;
	struct sim_map by_out_bill, by_bill_no, by_v2;
	struct sim_map by_detail_id;
	struct sim_batch **batches;
	size_t nbatches, capbatches;
	struct sim_map by_out_batch, by_batch_id;
	struct sim_map users;
	struct sim_bill **active;	/* bills with a due time */
	size_t nactive, capactive;
	long merchant_day;
	int64_t merchant_day_fen;
	int64_t avail[3], pending[3];	/* BASIC OPERATION FEES */
	int payout_idx;
	uint64_t seq;

	struct sim_cb_job *cb_queue;
	struct sim_cb_log *cb_log;
	size_t ncb_log;
	unsigned long cb_delivered;

	int64_t ticker_next;		/* when the ticker wakes next */
	pthread_t ticker, notifier;
	uint64_t rng;
};

/* sim_config.c */

/* Fills cfg with defaults (state dir, limits, schedules). */
void sim_config_defaults(struct sim_config *cfg);

/*
 * Loads an INI file over the current values; err names file:line and key.
 */
enum ld_status sim_config_load(struct sim_config *cfg, const char *path,
    struct ld_err *err);
void sim_config_free(struct sim_config *cfg);

/*
 * Sets one fault knob by its configuration name ("hang_count",
 * "latency_ms", "rule" …); LD_EINVAL naming the key on a bad name or value.
 */
enum ld_status sim_faults_set(struct sim_faults *f, const char *key,
    const char *value, struct ld_err *err);

/* The knobs by name, for listing them (sim_faults_json). */
size_t sim_knob_count(void);
const char *sim_knob_name(size_t i, const struct sim_faults *f,
    const struct sim_knob **k);
size_t sim_ms_count(void);
const char *sim_ms_name(size_t i, const struct sim_faults *f, int *ms);

/* Parses "CODE openid=GLOB api=API bps=N count=N" into a rule. */
enum ld_status sim_rule_parse(struct sim_rule *r, const char *text,
    struct ld_err *err);

/* Parses "0,15x10,300x10" into seconds; LD_EINVAL on a malformed list. */
enum ld_status sim_retry_parse(const char *text, long *out, size_t max,
    size_t *n, struct ld_err *err);

/* sim_state.c */

/*
 * Creates the state directory (0700) on first run and the keys it lacks:
 * the platform key pair and key id, the APIv3 and APIv2 keys and, when
 * cfg.generate_merchant, the merchant key pair and serial; then loads them.
 * Secret files are written 0600.  err names the file at fault.
 */
enum ld_status sim_state_open(struct sim *s, struct ld_err *err);

/* sim_store.c */

enum ld_status sim_init(struct sim *s, struct ld_err *err);
void sim_free(struct sim *s);

/* Monotonic milliseconds. */
int64_t sim_now_ms(void);
/* Uniform in [0, 10000). Caller holds the lock. */
int sim_rand_bps(struct sim *s);
/* Consumes the knob: 1 when it fires. Caller holds the lock. */
int sim_knob_fire(struct sim *s, struct sim_knob *k);
/* Real milliseconds for a simulated duration in seconds. */
int64_t sim_scaled_ms(const struct sim *s, long sim_seconds);

const char *sim_state_name(enum sim_state st);
/* RFC 3339 in Beijing time ("2026-01-02T03:04:05+08:00"). */
void sim_rfc3339(time_t t, char out[32]);

void *sim_map_get(const struct sim_map *m, const char *key);
/* key must live as long as the entry (it points into the value). */
void sim_map_put(struct sim_map *m, const char *key, void *val);
void sim_map_free(struct sim_map *m);

struct sim_user *sim_user_get(struct sim *s, const char *openid);
/* The Beijing calendar day number of t. */
long sim_day(time_t t);

/* Registers a bill (and its maps); caller holds the lock. */
void sim_bill_add(struct sim *s, struct sim_bill *b);
void sim_bill_free(struct sim_bill *b);
/* Schedules b's next step at due_ms (0 unschedules). */
void sim_bill_schedule(struct sim *s, struct sim_bill *b, int64_t due_ms);
/* Moves b to a terminal or next state, settling money; lock held. */
void sim_bill_set_state(struct sim *s, struct sim_bill *b,
    enum sim_state st, const char *fail_reason);
/* Waits for the user: confirm after the delay, or close at the timeout. */
void sim_bill_await_user(struct sim *s, struct sim_bill *b);
/* User confirmation hook: WAIT_USER_CONFIRM -> TRANSFERING. */
int sim_bill_confirm(struct sim *s, struct sim_bill *b);

/* The first rule matching api/openid that fires, or NULL; lock held. */
const struct sim_rule *sim_rule_match(struct sim *s, const char *api,
    const char *openid);

/* Starts the ticker and the notifier; stops and joins them. */
enum ld_status sim_threads_start(struct sim *s, struct ld_err *err);
void sim_threads_stop(struct sim *s);

/* The ledger as JSON (caller frees). */
char *sim_ledger_json(struct sim *s);
/* The callback delivery log as JSON (caller frees). */
char *sim_callbacks_json(struct sim *s);
/* The live faults as JSON (caller frees). */
char *sim_faults_json(struct sim *s);

/* sim_notify.c */

/* Queues MCHTRANSFER.BILL.FINISHED for b (lock held). */
void sim_notify_bill(struct sim *s, const struct sim_bill *b);
/* Queues MCHTRANSFER.BATCH.FINISHED for a batch (lock held). */
void sim_notify_batch(struct sim *s, const struct sim_batch *bt);
/* Thread body delivering callbacks with libcurl. */
void *sim_notify_main(void *arg);

/*
 * Signs "ts\nnonce\nbody\n" with the platform key; fills the three values
 * (signature caller frees).
 */
enum ld_status sim_sign_answer(struct sim *s, const char *body, size_t len,
    char ts[24], char nonce[33], char **signature, struct ld_err *err);

/* sim_http.c */

struct sim_http;

/*
 * Starts libmicrohttpd on cfg.listen (loopback only) and, when configured,
 * the TLS listener on cfg.v2_tls_listen; *port and *tls_port (0 without
 * one) receive the bound ports.  Returns NULL with err set on failure.
 */
struct sim_http *sim_http_start(struct sim *s, unsigned *port,
    unsigned *tls_port, struct ld_err *err);
void sim_http_stop(struct sim_http *h);

/* sim_api.c: the endpoints; each fills a struct sim_answer. */

struct sim_answer {
	unsigned status;
	char *body;		/* malloc'd, may be NULL */
	size_t len;
	const char *content_type;
	int v2;			/* XML answer, never signed */
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
};

/* Sets an APIv3 JSON error answer. */
void sim_answer_error(struct sim_answer *a, unsigned status,
    const char *code, const char *message);
/* Takes ownership of a cJSON-printed string. */
void sim_answer_json(struct sim_answer *a, unsigned status, char *json);

/*
 * Checks an Authorization header value (NULL: none) as WeChat does:
 * scheme and attributes, our merchant id, the merchant's serial, a
 * timestamp within the window and the signature over the exact bytes
 * received.  0 when valid; else a 401 answer is filled.
 */
int sim_check_auth(struct sim *s, const char *authorization,
    const struct sim_request *rq, struct sim_answer *a);

/* Routes an authenticated APIv3 request. */
void sim_api_v3(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a);
/* Routes an APIv2 request (its own sign check). */
void sim_api_v2(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a);
/*
 * The APIv2 answer to a request without a valid merchant client
 * certificate: err_code CA_ERROR (wechatpay.md 1.4, 1.5).
 */
void sim_api_v2_ca_error(struct sim_answer *a);
/* /__sim/… admin endpoints. */
void sim_api_admin(struct sim *s, const struct sim_request *rq,
    struct sim_answer *a);

#endif
