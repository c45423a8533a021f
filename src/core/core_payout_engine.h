/*
 * The payout engine's daemon side: what loandeskd's payout workers, its
 * callback endpoint and its balance monitor do, each through the
 * database functions of db/migrations/0022 and the WeChat Pay client.
 * docs/payouts.md, "The daemon", tells the whole loop.
 *
 * A round (core_payout_round) claims the bills due now in one
 * transaction; for each create it builds the request once (or takes the
 * stored one), stores it with api.payout_bill_sending and commits before
 * anything leaves; then it sends, one request at a time, and records each
 * answer with the step src/payout computes for it.  What the database
 * must hold whatever the daemon computes (forward only, the answer is
 * about our bill, a final bill never changes) is checked there.
 *
 * One connection and one client per thread: nothing here locks.
 */
#ifndef LD_CORE_PAYOUT_ENGINE_H
#define LD_CORE_PAYOUT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core_pii.h"
#include "ld_err.h"
#include "payout.h"
#include "payout_config.h"
#include "wxpay.h"

struct ld_db;

/* WeChat Pay checks the payee's real name from 2,000 yuan
 * (docs/wxpay-api.md, "Transfer bills: create"). */
#define CORE_PAYOUT_NAME_FROM_FEN 200000

struct core_payout_engine_cfg {
	enum ld_wxpay_mode mode;
	const char *worker;	/* the claimer's name, [A-Za-z0-9_.:@-] */
	/* transfer_remark, batch_name and batch_remark, or the APIv2 desc:
	 * what the borrower sees; at most 32 characters. */
	const char *remark;
	/*
	 * Opens applicants.name_enc for a transfer that carries the name;
	 * its first key also seals the name inside a stored APIv2 request
	 * (which carries it in clear).  NULL: such a transfer is refused
	 * before anything leaves, and a person looks.
	 */
	const struct core_keyring *names;
	int claim_max;		/* bills per claim, 1..1000 */
};

/* One exchange as recorded, for the log line and the metrics. */
struct core_payout_attempt {
	int64_t payout_id, bill_id;
	const char *out_bill_no;
	const char *exchange;	/* create, query, cancel */
	const char *outcome;	/* wx_outcome_name() */
	const char *code;	/* what was classified */
	const char *state;	/* the bill's state once recorded */
	long http_status;	/* 0: no answer */
	double seconds;		/* the request; < 0 when none left */
	int applied;		/* the answer moved or rescheduled it */
	/* A create: SHA-256 of the bytes sent, else "". */
	char body_sha256[65];
};

struct core_payout_hooks {
	void *arg;
	/* After each exchange is recorded (may be NULL). */
	void (*attempt)(void *arg, const struct core_payout_attempt *a);
	/*
	 * Asked before each request.  stop: the daemon is stopping; nothing
	 * more is sent.  hold_creates: payouts were paused (or the channel);
	 * queries and cancels go on, creates do not.  Creates claimed and
	 * stored but not sent then go back to be sent later, recorded as
	 * not sent.  Either may be NULL.
	 */
	int (*stop)(void *arg);
	int (*hold_creates)(void *arg);
	/* WeChat Pay said the account is short: read the balance now. */
	void (*balance_short)(void *arg);
};

struct core_payout_round_stats {
	int claimed;		/* bills the claim handed out */
	int sent;		/* requests that left */
	int recorded;		/* answers recorded */
	int not_sent;		/* creates given back (stop, pause) */
	int refused;		/* creates refused before sending */
};

/*
 * One round.  *st says what happened (claimed 0: nothing is due now).
 * The database's refusals of one bill are recorded on that bill and do
 * not end the round; a failure of the connection or of the claim's
 * transaction does (nothing left after a failed commit; a bill whose
 * answer could not be recorded is queried when its lease runs out).
 */
enum ld_status core_payout_round(struct ld_db *db, struct wx_client *c,
    const struct core_payout_engine_cfg *cfg,
    const struct core_payout_hooks *hooks, const struct payout_rng *rng,
    struct core_payout_round_stats *st, struct ld_err *err);

/*
 * Milliseconds until the next bill is due (0: one is due now, -1: none
 * waits for a time), for a worker that sleeps between rounds.
 */
enum ld_status core_payout_next_due_ms(struct ld_db *db, long *ms,
    struct ld_err *err);

/* Callbacks ---------------------------------------------------------- */

/* Bodies above this are refused before anything reads them. */
#define CORE_PAYOUT_CALLBACK_MAX (64 * 1024)

struct core_payout_callback {
	int http_status;	/* what to answer WeChat Pay */
	/* verified and applied, verified and kept (a repeat or an answer
	 * behind what we know), verified but not a bill of ours or not a
	 * bill event (ignored), refused, or failed here (WeChat sends it
	 * again). */
	const char *result;	/* applied, kept, ignored, refused, failed */
	/* refused: signature, probe, stale, malformed; else "". */
	const char *reason;
	char message[256];	/* for {"code":"FAIL","message":...}, logs */
	char event_id[64];
	char out_bill_no[64];
	char state[32];		/* what it reported, as ours */
};

/*
 * A callback: verified (the platform key or certificate, 300 s skew,
 * probes refused) and decrypted with c's keys, then applied with
 * api.payout_callback in one transaction.  Anything that fails
 * verification is refused (4xx) and never applied; a failure here is a
 * 5xx, so that WeChat Pay sends it again.  Never fails itself: out says
 * what to answer.
 */
void core_payout_callback(struct ld_db *db, struct wx_client *c,
    const struct wx_signed_headers *h, const void *body, size_t len,
    struct core_payout_callback *out);

/* Balance, heartbeat ------------------------------------------------- */

struct core_payout_balance {
	int64_t available_fen, pending_fen;
	char channel[16];	/* open or paused, after the reading */
};

/*
 * Reads the operating account (GET /v3/merchant/fund/balance/OPERATION)
 * and records it with api.payout_balance_record, which raises the alert
 * and pauses or resumes the channel.  ans (freed by the caller with
 * wx_answer_free) describes the exchange.
 */
enum ld_status core_payout_balance_read(struct ld_db *db,
    struct wx_client *c, const char *worker, struct core_payout_balance *b,
    struct wx_answer *ans, struct ld_err *err);

/* api.payout_heartbeat(worker, info); info a JSON object or NULL. */
enum ld_status core_payout_heartbeat(struct ld_db *db, const char *worker,
    const char *info_json, struct ld_err *err);

/* What /metrics and /healthz read from the database. */
struct core_payout_gauges {
	long payouts[PAYOUT_STATE_COUNT];
	long bills[PAYOUT_BILL_STATE_COUNT];
	double oldest_unknown_s;	/* -1: no bill is unknown */
	int paused, channel_paused;
	int have_balance;
	int64_t available_fen, pending_fen;
	double balance_age_s;
	long open_alerts;
};

enum ld_status core_payout_gauges_read(struct ld_db *db,
    struct core_payout_gauges *g, struct ld_err *err);

/*
 * Compares the configuration's [payout] figures and [risk] apr_cap_bps
 * with the settings the database decides from; each difference is handed
 * to differ (key, the configuration's value, the database's).  Returns
 * how many differ through *n.
 */
enum ld_status core_payout_settings_diff(struct ld_db *db,
    const struct payout_config *pc, int apr_cap_bps,
    void (*differ)(void *arg, const char *key, const char *config,
    const char *database), void *arg, int *n, struct ld_err *err);

/* Helpers, exported for tests ---------------------------------------- */

/*
 * A request or answer body as the attempt log keeps it: JSON with every
 * user_name member removed (at any depth), APIv2 XML with re_user_name
 * and transfer_name emptied and a sealed name token removed.  Anything
 * else is kept as it is.  Caller frees.
 */
char *core_payout_redact(const char *body, size_t len);

#endif
