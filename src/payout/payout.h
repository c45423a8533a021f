/*
 * The payout engine's rules as pure code (no database, no network): the
 * states of a payout and of its transfer bills with their allowed
 * transitions, what each classified WeChat Pay answer does to a bill,
 * splitting a payout into bills, out_bill_no, backoff, the Asia/Shanghai
 * calendar day and the daily limits.
 *
 * The database mirrors these tables (db/migrations/0020_payout_schema.sql:
 * payout_states, payout_bill_states and their transitions, payout_split,
 * payout_out_bill_no, payout_limit_exceeded, payout_rollup_of) and
 * tests/test_db_payout.c compares the two.  docs/payouts.md explains them
 * and its state tables are checked against payout_doc_*() by
 * tests/test_payout.c.
 */
#ifndef LD_PAYOUT_H
#define LD_PAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"
#include "wxpay_codes.h"

/*
 * Payout states: X(name, sql, display, terminal).  A payout's state after
 * approval is the roll-up of its bills (payout_rollup); requested and held
 * are set by people.
 */
#define PAYOUT_STATE_TABLE(X)                                                  \
	X(PAYOUT_REQUESTED, "requested", "waiting for finance approval", 0)    \
	X(PAYOUT_APPROVED, "approved", "approved; no bill has left yet", 0)    \
	X(PAYOUT_SENDING, "sending", "bills on their way to WeChat Pay", 0)    \
	X(PAYOUT_HELD, "held", "held by a person; nothing new is sent", 0)     \
	X(PAYOUT_SUCCEEDED, "succeeded", "every bill paid", 1)                 \
	X(PAYOUT_FAILED, "failed",                                             \
	    "a bill failed for good; a person decides (review open)", 0)       \
	X(PAYOUT_CANCELLED, "cancelled", "cancelled; nothing more is sent", 1)

enum payout_state {
#define PAYOUT_X(name, sql, display, terminal) name,
	PAYOUT_STATE_TABLE(PAYOUT_X)
#undef PAYOUT_X
	    PAYOUT_STATE_COUNT
};

/* Allowed payout transitions: X(from, to), names without PAYOUT_. */
#define PAYOUT_TRANSITION_TABLE(X)                                             \
	X(REQUESTED, APPROVED)                                                 \
	X(REQUESTED, CANCELLED)                                                \
	X(APPROVED, SENDING)                                                   \
	X(APPROVED, HELD)                                                      \
	X(APPROVED, CANCELLED)                                                 \
	X(SENDING, HELD)                                                       \
	X(SENDING, SUCCEEDED)                                                  \
	X(SENDING, FAILED)                                                     \
	X(SENDING, CANCELLED)                                                  \
	X(HELD, APPROVED)                                                      \
	X(HELD, SENDING)                                                       \
	X(HELD, SUCCEEDED)                                                     \
	X(HELD, FAILED)                                                        \
	X(HELD, CANCELLED)                                                     \
	X(FAILED, APPROVED)                                                    \
	X(FAILED, SENDING)                                                     \
	X(FAILED, HELD)                                                        \
	X(FAILED, CANCELLED)

/*
 * Transfer bill states: X(name, sql, display, terminal, rank, in_flight,
 * counts).  rank orders what we know of a bill: an answer never moves it to
 * a lower rank, and a terminal state (rank 9) never changes.  in_flight: the
 * bill may be at WeChat Pay and not final, so a payout is not cancelled
 * under it.  counts: the bill counts toward the daily limits of the day it
 * was sent.  pending and held bills are known not to be at WeChat Pay
 * (never sent, or refused with a code that says nothing was accepted).
 */
#define PAYOUT_BILL_STATE_TABLE(X)                                             \
	X(PAYOUT_BILL_PENDING, "pending", "to be sent", 0, 0, 0, 0)            \
	X(PAYOUT_BILL_HELD, "held", "not sent until its hold is lifted", 0, 0, \
	    0, 0)                                                              \
	X(PAYOUT_BILL_SENDING, "sending", "create request stored and leaving", \
	    0, 0, 1, 1)                                                        \
	X(PAYOUT_BILL_UNKNOWN, "unknown",                                      \
	    "may be at WeChat Pay: query by out_bill_no", 0, 1, 1, 1)          \
	X(PAYOUT_BILL_ACCEPTED, "accepted", "accepted by WeChat Pay", 0, 2, 1, \
	    1)                                                                 \
	X(PAYOUT_BILL_PROCESSING, "processing", "WeChat Pay locking funds", 0, \
	    3, 1, 1)                                                           \
	X(PAYOUT_BILL_WAIT_USER_CONFIRM, "wait_user_confirm",                  \
	    "waiting for the borrower to confirm", 0, 4, 1, 1)                 \
	X(PAYOUT_BILL_TRANSFERRING, "transferring", "confirmed, money moving", \
	    0, 5, 1, 1)                                                        \
	X(PAYOUT_BILL_CANCELLING, "cancelling",                                \
	    "cancel accepted, in progress", 0, 5, 1, 1)                        \
	X(PAYOUT_BILL_SUCCESS, "success", "paid", 1, 9, 0, 1)                  \
	X(PAYOUT_BILL_FAIL, "fail", "failed; the number is closed", 1, 9, 0,   \
	    0)                                                                 \
	X(PAYOUT_BILL_CANCELLED, "cancelled", "cancelled; nothing was paid",   \
	    1, 9, 0, 0)

enum payout_bill_state {
#define PAYOUT_X(name, sql, display, terminal, rank, in_flight, counts) name,
	PAYOUT_BILL_STATE_TABLE(PAYOUT_X)
#undef PAYOUT_X
	    PAYOUT_BILL_STATE_COUNT
};

/*
 * Allowed bill transitions: X(from, to), names without PAYOUT_BILL_.  A
 * state is never its own transition (an answer that confirms the state
 * changes only the next action).  sending -> pending/held is an answer that
 * says WeChat Pay accepted nothing (same rank); unknown never goes back to
 * pending or held, because an unknown bill may be at WeChat Pay.
 */
#define PAYOUT_BILL_TRANSITION_TABLE(X)                                        \
	X(PENDING, SENDING)                                                    \
	X(PENDING, HELD)                                                       \
	X(PENDING, CANCELLED)                                                  \
	X(HELD, PENDING)                                                       \
	X(HELD, CANCELLED)                                                     \
	X(SENDING, PENDING)                                                    \
	X(SENDING, HELD)                                                       \
	X(SENDING, UNKNOWN)                                                    \
	X(SENDING, ACCEPTED)                                                   \
	X(SENDING, PROCESSING)                                                 \
	X(SENDING, WAIT_USER_CONFIRM)                                          \
	X(SENDING, TRANSFERRING)                                               \
	X(SENDING, CANCELLING)                                                 \
	X(SENDING, SUCCESS)                                                    \
	X(SENDING, FAIL)                                                       \
	X(SENDING, CANCELLED)                                                  \
	X(UNKNOWN, ACCEPTED)                                                   \
	X(UNKNOWN, PROCESSING)                                                 \
	X(UNKNOWN, WAIT_USER_CONFIRM)                                          \
	X(UNKNOWN, TRANSFERRING)                                               \
	X(UNKNOWN, CANCELLING)                                                 \
	X(UNKNOWN, SUCCESS)                                                    \
	X(UNKNOWN, FAIL)                                                       \
	X(UNKNOWN, CANCELLED)                                                  \
	X(ACCEPTED, PROCESSING)                                                \
	X(ACCEPTED, WAIT_USER_CONFIRM)                                         \
	X(ACCEPTED, TRANSFERRING)                                              \
	X(ACCEPTED, CANCELLING)                                                \
	X(ACCEPTED, SUCCESS)                                                   \
	X(ACCEPTED, FAIL)                                                      \
	X(ACCEPTED, CANCELLED)                                                 \
	X(PROCESSING, WAIT_USER_CONFIRM)                                       \
	X(PROCESSING, TRANSFERRING)                                            \
	X(PROCESSING, CANCELLING)                                              \
	X(PROCESSING, SUCCESS)                                                 \
	X(PROCESSING, FAIL)                                                    \
	X(PROCESSING, CANCELLED)                                               \
	X(WAIT_USER_CONFIRM, TRANSFERRING)                                     \
	X(WAIT_USER_CONFIRM, CANCELLING)                                       \
	X(WAIT_USER_CONFIRM, SUCCESS)                                          \
	X(WAIT_USER_CONFIRM, FAIL)                                             \
	X(WAIT_USER_CONFIRM, CANCELLED)                                        \
	X(TRANSFERRING, SUCCESS)                                               \
	X(TRANSFERRING, FAIL)                                                  \
	X(CANCELLING, SUCCESS)                                                 \
	X(CANCELLING, FAIL)                                                    \
	X(CANCELLING, CANCELLED)

/* What the daemon does next with a bill: X(name, sql, display). */
#define PAYOUT_ACTION_TABLE(X)                                                 \
	X(PAYOUT_ACTION_NONE, "none",                                          \
	    "nothing: wait for a callback, the hold's end or a person")        \
	X(PAYOUT_ACTION_CREATE, "create",                                      \
	    "send the create request (the stored body once there is one)")     \
	X(PAYOUT_ACTION_QUERY, "query", "query by out_bill_no")                \
	X(PAYOUT_ACTION_CANCEL, "cancel", "ask WeChat Pay to cancel the bill")

enum payout_action {
#define PAYOUT_X(name, sql, display) name,
	PAYOUT_ACTION_TABLE(PAYOUT_X)
#undef PAYOUT_X
	    PAYOUT_ACTION_COUNT
};

/* The exchange an answer came from: X(name, sql). */
#define PAYOUT_EXCHANGE_TABLE(X)                                               \
	X(PAYOUT_EX_CREATE, "create")                                          \
	X(PAYOUT_EX_QUERY, "query")                                            \
	X(PAYOUT_EX_CANCEL, "cancel")                                          \
	X(PAYOUT_EX_CALLBACK, "callback")

enum payout_exchange {
#define PAYOUT_X(name, sql) name,
	PAYOUT_EXCHANGE_TABLE(PAYOUT_X)
#undef PAYOUT_X
	    PAYOUT_EXCHANGE_COUNT
};

/*
 * Why a bill is held: X(name, sql, display, released).  The sql text of the
 * two daily limits is the name of the setting, so a held bill names the
 * limit it would exceed.
 */
#define PAYOUT_HOLD_TABLE(X)                                                   \
	X(PAYOUT_HOLD_NONE, "", "", "")                                        \
	X(PAYOUT_HOLD_PER_USER_DAILY, "per_user_daily_max_fen",                \
	    "the borrower's daily limit", "after Beijing midnight")            \
	X(PAYOUT_HOLD_MERCHANT_DAILY, "merchant_daily_max_fen",                \
	    "the merchant's daily limit", "after Beijing midnight")            \
	X(PAYOUT_HOLD_CHANNEL, "channel_balance",                              \
	    "the operating account's balance is too low",                      \
	    "when a balance reading shows enough")                             \
	X(PAYOUT_HOLD_WECHAT_LIMIT, "wechat_limit",                            \
	    "WeChat Pay's daily limit (nothing was accepted)",                 \
	    "after Beijing midnight")                                          \
	X(PAYOUT_HOLD_REFUSED, "refused",                                      \
	    "WeChat Pay refused the request (nothing was accepted)",           \
	    "when a person releases the payout")

enum payout_hold {
#define PAYOUT_X(name, sql, display, released) name,
	PAYOUT_HOLD_TABLE(PAYOUT_X)
#undef PAYOUT_X
	    PAYOUT_HOLD_COUNT
};

const char *payout_state_sql(enum payout_state s);
const char *payout_state_display(enum payout_state s);
int payout_state_terminal(enum payout_state s);
int payout_state_transition_ok(enum payout_state from, enum payout_state to);
/* -1 for a text that names no state. */
int payout_state_from_sql(const char *sql);

const char *payout_bill_state_sql(enum payout_bill_state s);
const char *payout_bill_state_display(enum payout_bill_state s);
int payout_bill_state_terminal(enum payout_bill_state s);
int payout_bill_state_rank(enum payout_bill_state s);
int payout_bill_state_in_flight(enum payout_bill_state s);
int payout_bill_state_counts(enum payout_bill_state s);
int payout_bill_transition_ok(
    enum payout_bill_state from, enum payout_bill_state to);
int payout_bill_state_from_sql(const char *sql);

const char *payout_action_sql(enum payout_action a);
const char *payout_action_display(enum payout_action a);
const char *payout_exchange_sql(enum payout_exchange e);
const char *payout_hold_sql(enum payout_hold h);
const char *payout_hold_display(enum payout_hold h);
const char *payout_hold_released(enum payout_hold h);
int payout_hold_from_sql(const char *sql);

/* The transition tables as (from, to) pairs, for tests and docs. */
struct payout_edge {
	int from, to;
};
const struct payout_edge *payout_state_edges(size_t *n);
const struct payout_edge *payout_bill_edges(size_t *n);

/*
 * The bill state a classified answer reports, when it reports one: a
 * transfer-bill state, a FAIL bill's fail_reason, a batch detail status, a
 * batch status that speaks for every detail (accepted, processing, closed)
 * or an APIv2 status.  0 for an error code, a transport outcome or a
 * FINISHED batch (whose details speak for each bill).
 */
int payout_bill_state_of_answer(
    const struct wx_code_class *c, enum payout_bill_state *out);

/* A source of randomness for jitter; tests give a fixed one. */
struct payout_rng {
	uint64_t (*next)(void *ctx);
	void *ctx;
};

#define PAYOUT_BACKOFF_BASE_MS 1000L
#define PAYOUT_BACKOFF_MAX_MS (5L * 60 * 1000)

/*
 * The wait before attempt number `attempt` (1-based) of a step whose first
 * wait is base_ms (0: PAYOUT_BACKOFF_BASE_MS): base doubled per attempt up
 * to PAYOUT_BACKOFF_MAX_MS, then, with rng, lowered by up to a fifth at
 * random so that daemons do not move in step.  Never above the cap, never
 * below four fifths of the unjittered wait.
 */
long payout_backoff_ms(long base_ms, int attempt, const struct payout_rng *rng);

/* What a classified answer does to a bill. */
struct payout_step {
	int applies; /* 0: changes nothing (a late or repeated
		      * answer, or the bill is final); the
		      * attempt is still recorded */
	enum payout_bill_state to; /* == from when !applies */
	enum payout_action action; /* next, after the wait */
	long delay_ms; /* the wait (backoff with jitter) */
	int until_midnight; /* wait instead until the next Beijing
			     * midnight */
	enum payout_hold hold; /* why, when to is held (or an unknown
				* bill waits for WeChat's daily limit) */
	int review; /* open a payout review: a person looks */
	int pause_channel; /* stop every create until the balance is
			    * back (NOT_ENOUGH) */
	const char *why; /* one line for logs and the attempt */
};

/*
 * The step for an answer of kind ex to a bill in state from, classified as
 * c (wx_code_classify and friends; for a FAIL bill its fail_reason row).
 * streak: how many exchanges in a row left the bill where it was, plus one
 * (the backoff attempt).  rng may be NULL (no jitter).  LD_EINVAL for an
 * answer that cannot come from that exchange (a callback without a bill
 * state, a balance reading) and for a from or ex out of range.
 */
enum ld_status payout_bill_step(enum payout_bill_state from,
    enum payout_exchange ex, const struct wx_code_class *c, int streak,
    const struct payout_rng *rng, struct payout_step *out, struct ld_err *err);

/*
 * A payout's state from its current bills (those no retry replaced):
 * states[0..n), how many of them were ever sent, whether a person holds
 * the payout and whether a person asked to cancel it.  Pending and held
 * bills of a payout whose cancel was asked are taken as cancelled (the
 * database cancels them at once).  Never PAYOUT_REQUESTED.
 */
enum payout_state payout_rollup(const enum payout_bill_state *states, size_t n,
    size_t n_sent, int person_hold, int cancel_requested);

/* Splitting. */

/* More bills than this in one payout is refused (a batch holds 1000). */
#define PAYOUT_MAX_BILLS 1000

/*
 * Splits amount into bills of at most max_fen: as many of max_fen as fit,
 * then the remainder; a remainder below min_fen is made min_fen by taking
 * the difference from the bill before it.  Sums are exact.  Refused
 * (LD_EINVAL, naming the figure): amount outside 1..LD_FEN_MAX or below
 * min_fen, min_fen < 1, max_fen < 2 * min_fen, more than cap or
 * PAYOUT_MAX_BILLS bills.
 */
enum ld_status payout_split(int64_t amount, int64_t max_fen, int64_t min_fen,
    int64_t *out, size_t cap, size_t *n, struct ld_err *err);

/* Numbers WeChat Pay sees. */

#define PAYOUT_OUT_NO_MAX 32
#define PAYOUT_PREFIX_MAX 4
#define PAYOUT_SEQ_MAX 9999
#define PAYOUT_GENERATION_MAX 999

/*
 * LD_EINVAL unless prefix is 1 to PAYOUT_PREFIX_MAX ASCII letters, naming
 * it as out_bill_prefix.
 */
enum ld_status payout_prefix_check(const char *prefix, struct ld_err *err);

/*
 * out_bill_no = prefix || payout_id || "S" || seq || "G" || generation, in
 * decimal without leading zeros; prefix is 1 to 4 ASCII letters.  Since the
 * prefix is letters and each number is followed by a letter, the text
 * names exactly one (prefix, payout, seq, generation): different bills
 * never share a number, and the same bill always gets the same one.  The
 * longest (4 + 19 + 1 + 4 + 1 + 3) is 32.  The same value is the batch
 * out_detail_no and the APIv2 partner_trade_no.  out is at least
 * PAYOUT_OUT_NO_MAX + 1 bytes.
 */
enum ld_status payout_out_bill_no(const char *prefix, int64_t payout_id,
    int seq, int generation, char *out, struct ld_err *err);

/* out_batch_no = prefix || payout_id || "B" || generation. */
enum ld_status payout_out_batch_no(const char *prefix, int64_t payout_id,
    int generation, char *out, struct ld_err *err);

/* Reads an out_bill_no back; prefix holds PAYOUT_PREFIX_MAX + 1 bytes. */
enum ld_status payout_out_bill_no_parse(const char *s, char *prefix,
    int64_t *payout_id, int *seq, int *generation, struct ld_err *err);

/* 1 when s matches ^[A-Za-z0-9]{5,32}$. */
int payout_out_no_valid(const char *s);

/* The Asia/Shanghai calendar: UTC+8 all year (no daylight saving since
 * 1991), so plain arithmetic on Unix seconds. */

#define PAYOUT_BEIJING_OFFSET_S (8 * 3600)

/* Days since 1970-01-01 of the Beijing date of unix_s. */
int64_t payout_beijing_day(int64_t unix_s);
/* The first instant of the next Beijing day (strictly after unix_s). */
int64_t payout_beijing_midnight_after(int64_t unix_s);
/* The Beijing date of unix_s as YYYY-MM-DD (out: 11 bytes or more). */
void payout_beijing_date(int64_t unix_s, char *out, size_t len);

/* Daily limits, from the settings table. */
struct payout_limits {
	int64_t per_user_daily_max_fen;
	int64_t merchant_daily_max_fen;
};

/*
 * Whether a bill of amount_fen may be sent on a Beijing day on which the
 * borrower already has user_day_fen and the merchant merchant_day_fen in
 * flight or paid: PAYOUT_HOLD_NONE, else the first limit it would exceed
 * (the borrower's before the merchant's).
 */
enum payout_hold payout_limit_check(const struct payout_limits *l,
    int64_t user_day_fen, int64_t merchant_day_fen, int64_t amount_fen);

/*
 * The state tables of docs/payouts.md as Markdown, generated from the
 * tables above; the caller frees the text.
 */
char *payout_doc_states_md(void);

#endif
