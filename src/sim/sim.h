/*
 * wxpay-sim: a local WeChat Pay for the demo and the tests.
 *
 * One struct sim holds everything: the configuration, the keys, the bills
 * and the faults to inject.  A single mutex guards the mutable parts; the
 * expensive RSA work (checking the merchant's signature, signing answers and
 * callbacks) happens outside it so two connections sign in parallel.
 *
 * The modules, each using only those listed before it:
 *   sim_config.c   the INI file and the fault knobs
 *   sim_util.c     clocks, chance, names, the string map, answer signing
 *   sim_pki.c      certificates: the platform's, the TLS listener's, and
 *                  the merchant CA and client certificate for APIv2
 *   sim_state.c    the state directory and the keys in it
 *   sim_events.c   the queue of callbacks waiting to be delivered
 *   sim_store.c    the books: bills, batches, users, balances, the fund
 *                  flow, the state machine and its ticker
 *   sim_notify.c   the thread that delivers queued callbacks
 *   sim_api.h and its modules: what the endpoints answer (sim_api.h)
 *   sim_http.c     libmicrohttpd, signatures on the wire, transport faults
 */
#ifndef LD_SIM_H
#define LD_SIM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

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
	struct sim_knob bill_corrupt;	/* a download unlike its hash_value */
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
	int64_t user_name_required_fen;	/* a name from this amount on */
	int64_t user_name_refused_below_fen; /* batches: no name below */
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
	 * certificate issued by tls_client_ca_file.  The server certificate
	 * and key are generated into the state directory unless given.
	 * NULL listen: no TLS listener.
	 */
	char *v2_tls_listen;		/* "127.0.0.1:PORT" */
	char *tls_cert_file, *tls_key_file;
	char *tls_client_ca_file;

	long retry_s[SIM_MAX_RETRIES];	/* simulated seconds */
	size_t nretry;
	long callback_timeout_ms;

	/* The fund-flow bill ([bill]). */
	int bill_same_day;		/* today's bill before the day ends */
	long bill_url_ttl_s;		/* how long a download_url works */

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

/* The accounts, as the balance and fund-flow APIs name them. */
enum sim_account { SIM_BASIC, SIM_OPERATION, SIM_FEES, SIM_NACCOUNTS };

/*
 * One line of the fund flow: money that left an account when a transfer
 * succeeded.  The bill is borrowed (bills live as long as the sim).
 */
struct sim_flow {
	time_t at;
	const struct sim_bill *bill;
	char flow_no[40];	/* 资金流水单号 */
	int64_t balance_after;	/* the account's balance after it, fen */
	enum sim_account account;
};

enum sim_mismatch_kind {
	SIM_MISMATCH_AMOUNT,	/* the line says another amount */
	SIM_MISMATCH_DROP,	/* the line is left out */
	SIM_MISMATCH_ADD	/* a line for a transfer never made */
};

/* A difference injected into the fund-flow bill (POST /__sim/ledger/…). */
struct sim_mismatch {
	enum sim_mismatch_kind kind;
	char out_no[40];
	int64_t amount;		/* AMOUNT, ADD: what the line says */
	/* ADD: when it is booked, and the numbers it carries. */
	time_t at;
	char bill_no[48], flow_no[40];
	int64_t balance_after;
};

/* A fund-flow bill applied for and not yet expired. */
struct sim_download {
	char token[48];
	char *content;
	size_t len;
	int64_t expires_ms;
};

#define SIM_MAX_DOWNLOADS	64
#define SIM_MAX_MISMATCHES	256

struct sim {
	struct sim_config cfg;
	EVP_PKEY *platform_key;
	EVP_PKEY *merchant_pub;
	char platform_key_id[128];
	char platform_public_file[512];
	char platform_cert_file[512];
	char platform_cert_serial[128];
	char *platform_cert_pem;
	int64_t platform_cert_not_before, platform_cert_not_after;
	unsigned char apiv3_key[32];
	char apiv2_key[65];
	char *merchant_private_file;	/* when generated */
	/* PEM texts for the TLS listener (NULL without one). */
	char *tls_cert_pem, *tls_key_pem, *tls_ca_pem;
	char **scenes;
	size_t nscenes;
	/* Where this simulator is reached, for URLs it hands out. */
	char base_url[64], tls_base_url[64];

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
	int64_t avail[SIM_NACCOUNTS], pending[SIM_NACCOUNTS];
	enum sim_account payout_account;
	uint64_t seq;

	struct sim_flow *flows;		/* in booking order */
	size_t nflows, capflows;
	struct sim_mismatch mismatches[SIM_MAX_MISMATCHES];
	size_t nmismatches;
	struct sim_download downloads[SIM_MAX_DOWNLOADS];
	size_t ndownloads;

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

/*
 * Parses "CODE openid=GLOB api=API bps=N count=N" into a rule; a part
 * longer than its field is refused, never cut.
 */
enum ld_status sim_rule_parse(struct sim_rule *r, const char *text,
    struct ld_err *err);

/* Parses "0,15x10,300x10" into seconds; LD_EINVAL on a malformed list. */
enum ld_status sim_retry_parse(const char *text, long *out, size_t max,
    size_t *n, struct ld_err *err);

/* sim_util.c */

/* Monotonic milliseconds. */
int64_t sim_now_ms(void);
/* Uniform in [0, 10000). Caller holds the lock. */
int sim_rand_bps(struct sim *s);
/* Consumes the knob: 1 when it fires. Caller holds the lock. */
int sim_knob_fire(struct sim *s, struct sim_knob *k);
/* Real milliseconds for a simulated duration in seconds. */
int64_t sim_scaled_ms(const struct sim *s, long sim_seconds);
/* Waits ms, returning early when the simulator stops. */
void sim_sleep(struct sim *s, int ms);

const char *sim_state_name(enum sim_state st);
/* "BASIC", "OPERATION", "FEES"; sim_account_parse: -1 for another. */
const char *sim_account_name(enum sim_account a);
int sim_account_parse(const char *name);
/* RFC 3339 in Beijing time ("2026-01-02T03:04:05+08:00"). */
void sim_rfc3339(time_t t, char out[32]);
/* The Beijing calendar day number of t. */
long sim_day(time_t t);
/* "YYYY-MM-DD" to a Beijing day number; -1 when it is not a date. */
long sim_day_parse(const char *text);

struct cJSON;
/* "name": integer, never through a double. */
void sim_json_add_i64(struct cJSON *o, const char *name, int64_t v);
/* "name": RFC 3339 Beijing time. */
void sim_json_add_time(struct cJSON *o, const char *name, time_t t);

void *sim_map_get(const struct sim_map *m, const char *key);
/* key must live as long as the entry (it points into the value). */
void sim_map_put(struct sim_map *m, const char *key, void *val);
void sim_map_free(struct sim_map *m);

/*
 * Signs "ts\nnonce\nbody\n" with the platform key, ts being now minus
 * age seconds; fills the three values (signature caller frees).
 */
enum ld_status sim_sign_answer(struct sim *s, const char *body, size_t len,
    long age, char ts[24], char nonce[33], char **signature,
    struct ld_err *err);

/* sim_pki.c */

/*
 * Creates path exclusively with mode and writes data to it; err names the
 * file.
 */
enum ld_status sim_pki_write(const char *path, mode_t mode, const void *data,
    size_t len, struct ld_err *err);
/* PEM text of a key, private (PKCS#8) or public (caller frees), or NULL. */
char *sim_pki_key_pem(EVP_PKEY *key, int private);

/*
 * A self-signed certificate over the platform key into path (0644), for
 * clients that work in platform-certificate mode: five years, like
 * WeChat's.
 */
enum ld_status sim_pki_platform_cert(EVP_PKEY *key, const char *path,
    struct ld_err *err);

/*
 * The TLS listener's own certificate: EC P-256, self-signed for 127.0.0.1
 * and localhost, two years; the key 0600.
 */
enum ld_status sim_pki_tls_cert(const char *key_path, const char *cert_path,
    struct ld_err *err);

/*
 * What an APIv2 merchant needs, made into dir (created 0700 if missing,
 * no file overwritten): merchant_ca.pem and merchant_ca_key.pem, the CA the
 * simulator trusts as tls_client_ca_file, and the API certificate it
 * issues to CN=mchid: apiclient_cert.pem, apiclient_key.pem and
 * apiclient_cert.p12 protected by the merchant id, as WeChat Pay hands it
 * out.  err names the file at fault.
 */
enum ld_status sim_pki_v2_client(const char *dir, const char *mchid,
    struct ld_err *err);

/* sim_state.c */

/*
 * Creates the state directory (0700) on first run and the keys it lacks:
 * the platform key pair and key id, the APIv3 and APIv2 keys and, when
 * cfg.generate_merchant, the merchant key pair and serial; then loads them.
 * Secret files are written 0600.  err names the file at fault.
 */
enum ld_status sim_state_open(struct sim *s, struct ld_err *err);

/* sim_events.c: the callback queue; callers hold the lock. */

/* Queues MCHTRANSFER.BILL.FINISHED for b. */
void sim_event_bill(struct sim *s, const struct sim_bill *b);
/* Queues MCHTRANSFER.BATCH.FINISHED for a batch. */
void sim_event_batch(struct sim *s, const struct sim_batch *bt);
/* Puts a job (back) on the queue and wakes the notifier. */
void sim_event_queue(struct sim *s, struct sim_cb_job *j);
/* Takes the job due first if it is due at now; else NULL, *wait_ms set. */
struct sim_cb_job *sim_event_take(struct sim *s, int64_t now,
    int64_t *wait_ms);
void sim_event_free(struct sim_cb_job *j);

/* sim_store.c */

enum ld_status sim_init(struct sim *s, struct ld_err *err);
void sim_free(struct sim *s);

struct sim_user *sim_user_get(struct sim *s, const char *openid);

/* Digits for bill numbers: prefix, Beijing time, sequence; lock held. */
void sim_make_no(struct sim *s, const char *prefix, char *out, size_t size);
/* Rolls the merchant's day over; lock held. */
void sim_merchant_today(struct sim *s);
/* Holds b's amount from the payout account and counts it for the day. */
void sim_bill_hold(struct sim *s, struct sim_bill *b);

/* Registers a bill (and its maps); caller holds the lock. */
void sim_bill_add(struct sim *s, struct sim_bill *b);
void sim_bill_free(struct sim_bill *b);
/* Registers a batch whose details are already added; lock held. */
void sim_batch_add(struct sim *s, struct sim_batch *bt);
/* Schedules b's next step at due_ms (0 unschedules). */
void sim_bill_schedule(struct sim *s, struct sim_bill *b, int64_t due_ms);
/*
 * Moves b to a terminal or next state, settling money (a success books a
 * fund-flow line); lock held.
 */
void sim_bill_set_state(struct sim *s, struct sim_bill *b,
    enum sim_state st, const char *fail_reason);
/* Waits for the user: confirm after the delay, or close at the timeout. */
void sim_bill_await_user(struct sim *s, struct sim_bill *b);
/* User confirmation hook: WAIT_USER_CONFIRM -> TRANSFERING. */
int sim_bill_confirm(struct sim *s, struct sim_bill *b);

/* The first rule matching api/openid that fires, or NULL; lock held. */
const struct sim_rule *sim_rule_match(struct sim *s, const char *api,
    const char *openid);

/* Starts and stops the ticker that moves bills on with time. */
enum ld_status sim_ticker_start(struct sim *s, struct ld_err *err);
void sim_ticker_stop(struct sim *s);

/* The ledger as JSON (caller frees). */
char *sim_ledger_json(struct sim *s);
/* The callback delivery log as JSON (caller frees). */
char *sim_callbacks_json(struct sim *s);
/* The live faults as JSON (caller frees). */
char *sim_faults_json(struct sim *s);

/* sim_notify.c */

/* Starts and stops the thread delivering callbacks with libcurl. */
enum ld_status sim_notifier_start(struct sim *s, struct ld_err *err);
void sim_notifier_stop(struct sim *s);

/* sim_http.c */

struct sim_http;

/*
 * Starts libmicrohttpd on cfg.listen (loopback only) and, when configured,
 * the TLS listener on cfg.v2_tls_listen; *port and *tls_port (0 without
 * one) receive the bound ports, s->base_url and s->tls_base_url the
 * origins.  Returns NULL with err set on failure.
 */
struct sim_http *sim_http_start(struct sim *s, unsigned *port,
    unsigned *tls_port, struct ld_err *err);
void sim_http_stop(struct sim_http *h);

#endif
