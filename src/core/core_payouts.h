/*
 * Payouts as finance and on-call work them, shared by the console and
 * `loandesk payouts`: the keyset-paged list, one payout with its bills,
 * attempts, approvals, review and timeline, the figures of the finance
 * strip and of the on-call dashboard, what an approval or a retry will do,
 * and the actions, each one api.* function of docs/payouts.md.
 *
 * Where it reads: the list, the strip and the on-call figures are read
 * models and go through core_session_read (the replica when it serves);
 * one payout, the previews and the actions are what a person decides on
 * or does, and take the primary's handle (core_session_primary).
 *
 * What to refresh on (docs/payouts.md, LISTEN through the session):
 * "payouts" (payload: the payout's id) for a row and its detail,
 * "payout_control" for the strip's channel and alerts, "reviews" for the
 * failed-payout queue, "payout_bills" for the queue depth.
 *
 * Times are ISO 8601 in the session's TimeZone with its offset
 * ("2026-05-01T10:00:00+08"); "" when there is none.  Amounts are int64_t
 * fen.  Personal data is the masked name only.
 */
#ifndef LD_CORE_PAYOUTS_H
#define LD_CORE_PAYOUTS_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"

struct core_session;
struct ld_db;
struct ld_sql;

#define CORE_PAYOUT_TIME 32 /* "2026-05-01T10:00:00+05:30" and its NUL */

/* Payout states as the database names them, NULL-terminated. */
extern const char *const core_payout_states[];

/* 1. The list -------------------------------------------------------------- */

struct core_payouts_filter {
	char state[16]; /* "" any */
	int mine;       /* waiting for the operator's approval: requested, not
	                   asked for or the loan approved by them, not yet
	                   approved by them */
	int64_t id;     /* payout N, or application N's payout; 0 any */
};

struct core_payout_row {
	int64_t id;
	int64_t application_id;
	char name[64];            /* masked */
	int64_t amount_fen;
	char state[16];
	char requested_by[64];
	char requested_at[CORE_PAYOUT_TIME];
	int64_t age_s;            /* since it was requested */
	int approvals;            /* "approvals of needed" */
	int approvals_needed;
	char approvers[160];      /* "wang_fang, liu_yang" */
	char held_by[64];         /* a person's hold, "" none */
	char hold_reason[256];    /* the person's words */
	char bill_holds[128];     /* holds of its bills: "channel_balance" */
	int64_t paid_fen;
	int64_t review_id;        /* its open review, 0 none */
	char review_reason[64];
	char review_assignee[64];
};

struct core_payouts_page {
	struct core_payout_row *rows;
	size_t n;
	int more; /* the server had more rows in this direction */
};

void core_payouts_filter_clear(struct core_payouts_filter *f);
int core_payouts_filter_active(const struct core_payouts_filter *f);
/* "state=requested mine id=42", "" for none. */
void core_payouts_filter_describe(const struct core_payouts_filter *f,
    char *buf, size_t len);

/*
 * Applies a typed list command:
 *   state S | state          mine | all          id N | id
 *   oldest | newest          clear
 * oldest and newest set *oldest_first (which may be NULL when the order
 * is not offered).  id stands alone: it clears the other filters.  On
 * LD_EINVAL err names the word at fault and nothing is changed.
 */
enum ld_status core_payouts_command(const char *cmd,
    struct core_payouts_filter *f, int *oldest_first, struct ld_err *err);

/*
 * Up to limit (1..1000) payouts in display order (newest first, or oldest
 * first), after the payout after_id, or from the start when after_id is
 * 0.  backward: the rows just before after_id, still in display order
 * (the previous page); backward from 0 is the last page.  Each page is one
 * index range (payouts_pkey, or payouts_state_id for a state), so its cost
 * does not grow with the table.  Free with core_payouts_page_free.
 */
enum ld_status core_payouts_fetch(struct core_session *s,
    const struct core_payouts_filter *f, int oldest_first, int64_t after_id,
    int backward, size_t limit, struct core_payouts_page *page,
    struct ld_err *err);
void core_payouts_page_free(struct core_payouts_page *page);

/*
 * The statement core_payouts_fetch runs, into q (initialised here; the
 * caller frees it with ld_sql_free), for EXPLAIN in the tests.
 */
void core_payouts_fetch_build(const struct core_payouts_filter *f,
    int oldest_first, int64_t after_id, int backward, size_t limit,
    struct ld_sql *q);

/*
 * How many payouts the filter lists: counted exactly up to 10,000 (*exact
 * 1: no more rows are read than that), else the planner's estimate, which
 * is cheap at any size (*exact 0).
 */
enum ld_status core_payouts_estimate(struct core_session *s,
    const struct core_payouts_filter *f, int64_t *n, int *exact,
    struct ld_err *err);

/* 2. One payout -------------------------------------------------------------- */

struct core_payout_bill {
	int64_t id;
	int seq, generation;
	char out_bill_no[40];
	int64_t amount_fen;
	char state[20];
	char state_display[64];
	int current;               /* not replaced by a retry */
	int64_t replaces_bill_id;  /* 0 none */
	int64_t replaced_by_bill_id;
	char hold[32];             /* payout_holds.hold, "" none */
	char hold_display[96];
	char hold_released[64];    /* when it ends: "after Beijing midnight" */
	char hold_until[CORE_PAYOUT_TIME];
	char next_action[8];       /* none, create, query, cancel */
	char next_attempt_at[CORE_PAYOUT_TIME];
	char product[8];           /* bill, batch, v2; "" not sent */
	char out_batch_no[40];
	char transfer_bill_no[72]; /* WeChat Pay's number */
	char wechat_state[32];
	char fail_reason[64];
	char last_error_code[64];
	char *last_error_text;     /* "" none */
	char *package_info;        /* what the borrower's app confirms with;
	                              "" none */
	char package_state[24];    /* none, waiting, confirmed, closed */
	int attempts;
	char created_at[CORE_PAYOUT_TIME];
	char first_sent_at[CORE_PAYOUT_TIME];
	char succeeded_at[CORE_PAYOUT_TIME];
	char final_at[CORE_PAYOUT_TIME];
};

struct core_payout_attempt {
	int64_t id;
	int64_t bill_id;
	char out_bill_no[40];
	int attempt_no;
	char exchange[10];         /* create, query, cancel, callback */
	char started_at[CORE_PAYOUT_TIME];
	char finished_at[CORE_PAYOUT_TIME];
	int latency_ms;            /* -1 unknown */
	int http_status;           /* -1 none (no answer) */
	char method[8];
	char path[160];
	char code[64];
	char outcome[10];
	char from_state[20], to_state[20];
	int applied;
	char worker[64];
	char *message;             /* WeChat Pay's words; "" none */
	char *request_body;        /* as stored */
	char *response_body;
	char *note;
};

struct core_payout_approval {
	char approver[64];
	char at[CORE_PAYOUT_TIME];
	int64_t amount_fen;
	char *note;
};

struct core_payout_review {
	int64_t id;                /* 0: none open */
	char reason[64];
	char state[10];
	char assignee[64];
	char group[24];            /* who works it: loandesk_oncall ... */
	char opened_at[CORE_PAYOUT_TIME];
	int64_t waiting_s;
	char *note;
};

/* A row of the audit log about the payout, its bills, its reviews or
 * its loan. */
struct core_payout_event {
	int64_t id;
	char at[CORE_PAYOUT_TIME];
	char actor[64];
	char action[64];
	char object[72];           /* "payout/7", "transfer_bill/12" */
	char detail[2048];         /* core_audit_detail_text: in words */
	char *detail_json;         /* as stored */
};

struct core_payout_detail {
	int64_t id;
	int64_t application_id;
	int64_t applicant_id;
	char name[64];             /* masked */
	char app_status[16];
	int64_t amount_fen;
	int64_t paid_fen;
	int64_t in_flight_fen;
	int64_t held_fen;
	char state[16];
	char state_display[64];
	char requested_by[64];
	char requested_at[CORE_PAYOUT_TIME];
	char approved_by[64];
	char approved_at[CORE_PAYOUT_TIME];
	int approvals, approvals_needed;
	int generation;
	char held_by[64];
	char held_at[CORE_PAYOUT_TIME];
	char *hold_reason;
	char cancel_requested_by[64];
	char cancel_requested_at[CORE_PAYOUT_TIME];
	char *cancel_reason;
	char escalated_to[24];
	char updated_at[CORE_PAYOUT_TIME];
	char finished_at[CORE_PAYOUT_TIME];
	int version;

	struct core_payout_bill *bills;   /* every generation, seq order */
	size_t nbills;
	struct core_payout_attempt *attempts; /* oldest first */
	size_t nattempts;
	int64_t attempts_total;           /* more than were loaded */
	struct core_payout_approval *approvals_list;
	size_t napprovals;
	struct core_payout_review review;
	struct core_payout_event *events; /* the audit timeline, newest
	                                     first */
	size_t nevents;
};

/* The attempts loaded at most; attempts_total says how many there are. */
#define CORE_PAYOUT_MAX_ATTEMPTS 2000

/*
 * Loads payout id (LD_ENOTFOUND when there is none) with everything
 * above.  Read to decide: give it the primary.  Free with
 * core_payout_detail_free (which accepts a zeroed detail).
 */
enum ld_status core_payout_load(struct ld_db *db, int64_t id,
    struct core_payout_detail *d, struct ld_err *err);
void core_payout_detail_free(struct core_payout_detail *d);

/* 3. The finance strip --------------------------------------------------------- */

struct core_payout_alert {
	int64_t id;
	char kind[24];             /* balance_low, channel_paused ... */
	char at[CORE_PAYOUT_TIME];
	char detail[256];          /* the row's detail as "key=value" */
};

#define CORE_PAYOUT_ALERTS 8

struct core_payout_strip {
	char day[11];              /* the Beijing day, "2026-05-01" */
	int64_t paid_today_fen;    /* paid on that day */
	int64_t paid_today_bills;
	int64_t in_flight_fen;     /* may still be paid */
	int64_t day_used_fen;      /* what the day's merchant limit counts:
	                              in flight, and paid or sent today */
	int64_t merchant_daily_max_fen;
	int has_balance;
	int64_t balance_fen;       /* the last reading's available */
	int64_t balance_pending_fen; /* -1 not given */
	char balance_account[33];
	char balance_at[CORE_PAYOUT_TIME];
	int64_t balance_age_s;
	int64_t balance_alert_fen;
	int paused;                /* a person's kill switch */
	char paused_by[64];
	char paused_at[CORE_PAYOUT_TIME];
	int64_t paused_for_s;
	char pause_reason[512];
	int channel_paused;        /* the account could not pay */
	char channel_paused_at[CORE_PAYOUT_TIME];
	int64_t channel_paused_for_s;
	char channel_code[64];
	char channel_message[256];
	char channel_text[768];    /* "running", "paused by ... since ...:
	                              why", "channel paused for balance ..." */
	int64_t waiting_count;     /* requested: waiting for approval */
	int64_t waiting_fen;
	int64_t waiting_mine_count; /* of which the operator may approve */
	int64_t waiting_mine_fen;
	struct core_payout_alert alerts[CORE_PAYOUT_ALERTS]; /* newest */
	size_t nalerts;
	int64_t alerts_open;       /* all open alerts */
};

/* The strip's figures, as a list reads them. */
enum ld_status core_payout_strip_load(struct core_session *s,
    struct core_payout_strip *out, struct ld_err *err);

/* 4. The on-call dashboard ----------------------------------------------------- */

struct core_payout_incident {
	int64_t review_id;
	int64_t payout_id;
	int64_t application_id;
	char name[64];
	int64_t amount_fen;
	char payout_state[16];
	char code[64];             /* the review's reason: WeChat's code */
	char message[512];         /* WeChat's words for the failing bill */
	char out_bill_no[40];      /* the failing bill */
	char review_state[10];
	char assignee[64];
	char group[24];
	char opened_at[CORE_PAYOUT_TIME];
	int64_t waiting_s;
	int64_t attempts;          /* of the payout's bills */
};

struct core_payout_stuck {
	int64_t bill_id;
	int64_t payout_id;
	char out_bill_no[40];
	int64_t amount_fen;
	char state[20];            /* sending, unknown, held */
	char since[CORE_PAYOUT_TIME]; /* first sent, or held */
	int64_t age_s;
	char hold[32];
	char hold_display[96];
	char hold_until[CORE_PAYOUT_TIME];
	char last_error_code[64];
	char last_error_text[256];
	char next_action[8];
	char next_attempt_at[CORE_PAYOUT_TIME];
};

/* Classified outcomes of an exchange (wx_outcome_name), in this order. */
#define CORE_PAYOUT_OUTCOMES 6
extern const char *const core_payout_outcomes[CORE_PAYOUT_OUTCOMES];

struct core_payout_minute {
	char at[CORE_PAYOUT_TIME];   /* the minute's start */
	int64_t exchanges[CORE_PAYOUT_OUTCOMES]; /* by outcome */
	int64_t paid, failed, cancelled;         /* bills final */
};

struct core_payout_code {
	char code[64];
	int64_t n;
	char message[256];         /* WeChat's latest words for it */
};

struct core_payout_daemon {
	char worker[101];
	char login[64];
	char started_at[CORE_PAYOUT_TIME];
	char seen_at[CORE_PAYOUT_TIME];
	int64_t seen_age_s;
	int alive;                 /* seen within the threshold */
	char info[256];            /* its heartbeat's info, as JSON */
};

struct core_payout_balance_point {
	char at[CORE_PAYOUT_TIME];  /* the bucket's start */
	int64_t low_fen;            /* lowest reading in it */
	int64_t last_fen;           /* latest reading in it */
	int readings;               /* 0: no reading (a gap) */
};

#define CORE_PAYOUT_MINUTES 60
#define CORE_PAYOUT_CODES 10
#define CORE_PAYOUT_SPARK 48

struct core_payout_oncall {
	struct core_payout_incident *incidents; /* open payout reviews,
	                                           oldest first */
	size_t nincidents;
	int64_t incidents_total;
	struct core_payout_stuck *stuck;        /* oldest first */
	size_t nstuck;
	int64_t stuck_total;
	/* The last hour, oldest minute first, the current minute last. */
	struct core_payout_minute minutes[CORE_PAYOUT_MINUTES];
	/* Error codes of the last 15 minutes, most frequent first. */
	struct core_payout_code codes[CORE_PAYOUT_CODES];
	size_t ncodes;
	struct core_payout_daemon *daemons;
	size_t ndaemons;
	size_t daemons_alive;
	/* Queue depth: bills due now, by what they are due for; bills
	   waiting for the daemon at all (due or later), and held. */
	int64_t due_create, due_query, due_cancel;
	int64_t oldest_due_s;       /* how late the oldest due bill is */
	int64_t waiting_bills;
	int64_t held_bills;
	/* Balance readings of the last 24 h, oldest bucket first. */
	struct core_payout_balance_point balance[CORE_PAYOUT_SPARK];
	size_t nbalance;
};

/*
 * The on-call figures: up to limit incidents and stuck bills (bills
 * sending or unknown unchanged for stuck_after_s, and held bills), a
 * daemon alive when seen within alive_s.  Read as a list.  Free with
 * core_payout_oncall_free.
 */
enum ld_status core_payout_oncall_load(struct core_session *s,
    int64_t stuck_after_s, int64_t alive_s, size_t limit,
    struct core_payout_oncall *out, struct ld_err *err);
void core_payout_oncall_free(struct core_payout_oncall *o);

/* 5. Previews -------------------------------------------------------------------- */

struct core_payout_bill_plan {
	int64_t bill_id;           /* 0: a bill the approval will make */
	int seq, generation;
	char out_bill_no[40];
	int64_t amount_fen;
	char state[20];            /* retry: the bill's state now */
	char fate[12];             /* retry: again, paid, in_flight,
	                              waiting */
	char new_out_bill_no[40];  /* retry, again: its new number */
};

struct core_payout_preview {
	int allowed;
	char refusal_state[6];     /* its SQLSTATE when refused */
	char why[768];             /* the refusal, or what it will do */
	/* Approval: */
	int64_t amount_fen;
	int approvals;             /* counted now */
	int approvals_after;       /* with this one */
	int approvals_needed;
	int completes;             /* this approval releases it */
	char outcome[16];          /* "1 of 2", "approved" */
	char approvers[160];
	/* Retry: */
	int generation;            /* the new bills' */
	int note_required;
	struct core_payout_bill_plan *bills;
	size_t nbills;
};

/*
 * What api.payout_approve / api.payout_retry would do for the operator
 * now (api.payout_approve_preview, api.payout_retry_preview: the same
 * checks and the same split and numbers).  A refusal is a verdict
 * (allowed 0), not an error.  Free with core_payout_preview_free.
 */
enum ld_status core_payout_approve_preview(struct ld_db *db, int64_t id,
    struct core_payout_preview *out, struct ld_err *err);
enum ld_status core_payout_retry_preview(struct ld_db *db, int64_t id,
    struct core_payout_preview *out, struct ld_err *err);
void core_payout_preview_free(struct core_payout_preview *p);

/* 6. Actions ---------------------------------------------------------------------- */

/*
 * What an action did.  On success result is what the function returned
 * ("1 of 2", "approved", "held", "paused" ...) and words says it in a
 * sentence.  On failure the status is the database's (LD_EPERM,
 * LD_ECONFLICT, LD_EINVAL, LD_ENOTFOUND ...), err->msg its message in
 * words without the SQLSTATE, and sqlstate the code for a detail line.
 */
struct core_payout_done {
	char result[128];
	char words[512];
	char sqlstate[6];
};

/* "finance", "oncall", "admin" (or the role's own name) as the group
 * role; NULL for anything else. */
const char *core_payout_group_role(const char *name);

enum ld_status core_payout_approve(struct ld_db *db, int64_t id,
    const char *note, struct core_payout_done *out, struct ld_err *err);
/*
 * Approves the approvable payouts among ids[0..n) only if the database
 * counts exactly expected_count of them for exactly expected_total_fen;
 * otherwise refuses (LD_ECONFLICT) saying what differs.
 */
enum ld_status core_payout_approve_batch(struct ld_db *db,
    const int64_t *ids, size_t n, int expected_count,
    int64_t expected_total_fen, const char *note,
    struct core_payout_done *out, struct ld_err *err);
enum ld_status core_payout_hold(struct ld_db *db, int64_t id,
    const char *reason, struct core_payout_done *out, struct ld_err *err);
enum ld_status core_payout_release(struct ld_db *db, int64_t id,
    struct core_payout_done *out, struct ld_err *err);
enum ld_status core_payout_cancel(struct ld_db *db, int64_t id,
    const char *reason, struct core_payout_done *out, struct ld_err *err);
enum ld_status core_payout_retry(struct ld_db *db, int64_t id,
    const char *note, struct core_payout_done *out, struct ld_err *err);
/* group: as core_payout_group_role takes it. */
enum ld_status core_payout_escalate(struct ld_db *db, int64_t id,
    const char *group, const char *note, struct core_payout_done *out,
    struct ld_err *err);
enum ld_status core_payouts_pause(struct ld_db *db, const char *reason,
    struct core_payout_done *out, struct ld_err *err);
enum ld_status core_payouts_resume(struct ld_db *db, const char *note,
    struct core_payout_done *out, struct ld_err *err);

/*
 * What an operator typed to confirm a batch, "12 / 34,500.00" (count,
 * then the total in yuan; the slash may be blanks), into *count and
 * *total_fen, exactly.  LD_EINVAL names the part at fault.
 */
enum ld_status core_payouts_parse_expect(const char *text, int *count,
    int64_t *total_fen, struct ld_err *err);

#endif
