/*
 * The state machines of applications and reviews, and the decisions that
 * move applications: one X-macro table each, from which come the enum,
 * the text the database stores (the CHECKs of db/migrations/
 * 0001_schema.sql), what the console shows and which moves are allowed.
 * C compares these as enums; text is met only where it crosses to the
 * database or to a reader.  The database stays the authority: the api.*
 * functions refuse what these tables do not allow, and
 * tests/test_console_db.c checks each table against the schema and the
 * functions, so the two cannot drift.
 *
 * A new state is a row here and the migration that lets the database
 * store it.  Payout and bill states live with the payout engine
 * (src/payout), in the same form.
 */
#ifndef LD_CORE_STATES_H
#define LD_CORE_STATES_H

#include <stddef.h>

/*
 * How a state reads at a glance; the console gives each a colour.
 * GOOD: money may move; BAD: it will not; WARN: a person must act.
 */
enum core_tone {
	CORE_TONE_PLAIN,
	CORE_TONE_GOOD,
	CORE_TONE_BAD,
	CORE_TONE_WARN
};

/* What a state is, beside its name (bits). */
#define CORE_ST_PENDING 1u   /* a decision is awaited */
#define CORE_ST_RECOMMEND 2u /* a recommendation (scores.decision) */
#define CORE_ST_SCORED 4u    /* scoring takes a received application here */

/*
 * Decisions a status takes (bits of core_decision): each leads to its
 * outcome; any other is refused with the status's refusal.
 */
#define CORE_TAKES_NONE 0u
#define CORE_TAKES_ALL 7u
#define CORE_TAKES_FINAL 3u /* approve or reject, not review again */

/*
 * Application statuses: X(ID, sql, tone, flags, takes, refusal).  The
 * console shows the stored word itself, so what an officer reads is what
 * `:status` takes.  An approved application whose payout was cancelled
 * before any money moved is cancelled, for good (0020): no loan came into
 * being.
 */
#define CORE_APP_STATUSES(X)                                                 \
	X(RECEIVED, "received", PLAIN, CORE_ST_PENDING, CORE_TAKES_NONE,      \
	    "not scored yet")                                                 \
	X(SCORED, "scored", PLAIN, CORE_ST_PENDING | CORE_ST_SCORED,          \
	    CORE_TAKES_ALL, NULL)                                             \
	X(AUTO_APPROVED, "auto_approved", GOOD,                               \
	    CORE_ST_RECOMMEND | CORE_ST_SCORED, CORE_TAKES_ALL, NULL)         \
	X(AUTO_REJECTED, "auto_rejected", BAD,                                \
	    CORE_ST_RECOMMEND | CORE_ST_SCORED, CORE_TAKES_ALL, NULL)         \
	X(MANUAL_REVIEW, "manual_review", WARN,                               \
	    CORE_ST_PENDING | CORE_ST_RECOMMEND | CORE_ST_SCORED,             \
	    CORE_TAKES_FINAL, "already in manual review")                     \
	X(APPROVED, "approved", GOOD, 0u, CORE_TAKES_NONE, "already approved") \
	X(REJECTED, "rejected", BAD, 0u, CORE_TAKES_NONE, "already rejected") \
	X(CANCELLED, "cancelled", BAD, 0u, CORE_TAKES_NONE,                    \
	    "cancelled with its payout")

enum core_app_status {
	CORE_APP_NONE, /* no status: a NULL recommendation, an unknown word */
#define CORE_X(id, sql, tone, flags, takes, refusal) CORE_APP_##id,
	CORE_APP_STATUSES(CORE_X)
#undef CORE_X
	CORE_APP_STATUS_COUNT
};

/*
 * The decisions an officer takes: X(ID, sql, verb, outcome).  sql is
 * api.application_decide's p_decision and decision_reasons.applies_to.
 */
#define CORE_DECISIONS(X)                                                    \
	X(APPROVE, "approve", "Approve", APPROVED)                           \
	X(REJECT, "reject", "Reject", REJECTED)                              \
	X(REVIEW, "review", "Send to manual review", MANUAL_REVIEW)

enum core_decision {
#define CORE_X(id, sql, verb, outcome) CORE_##id,
	CORE_DECISIONS(CORE_X)
#undef CORE_X
	CORE_DECISION_COUNT
};

/* Review states: X(ID, sql). */
#define CORE_REVIEW_STATES(X)                                                \
	X(OPEN, "open")                                                      \
	X(CLAIMED, "claimed")                                                \
	X(CLOSED, "closed")

enum core_review_state {
	CORE_REVIEW_STATE_NONE,
#define CORE_X(id, sql) CORE_REVIEW_STATE_##id,
	CORE_REVIEW_STATES(CORE_X)
#undef CORE_X
	CORE_REVIEW_STATE_COUNT
};

/*
 * What a review is of: X(ID, sql); sql is also the `:kind` word.  A
 * reconciliation review is a line of WeChat Pay's bill that does not
 * match ours (0020), finance's to work.
 */
#define CORE_REVIEW_KINDS(X)                                                 \
	X(APPLICATION, "application")                                        \
	X(PAYOUT, "payout")                                                  \
	X(RECONCILIATION, "reconciliation")

enum core_review_kind {
	CORE_REVIEW_KIND_ANY, /* in a filter: every kind; in a row: unknown */
#define CORE_X(id, sql) CORE_REVIEW_KIND_##id,
	CORE_REVIEW_KINDS(CORE_X)
#undef CORE_X
	CORE_REVIEW_KIND_COUNT
};

/*
 * What moves a review (api.review_claim, _assign, _release; a decision
 * on its application closes it): X(ID, sql).
 */
#define CORE_REVIEW_ACTIONS(X)                                               \
	X(CLAIM, "claim")                                                    \
	X(ASSIGN, "assign")                                                  \
	X(RELEASE, "release")                                                \
	X(CLOSE, "close")

enum core_review_action {
#define CORE_X(id, sql) CORE_REVIEW_DO_##id,
	CORE_REVIEW_ACTIONS(CORE_X)
#undef CORE_X
	CORE_REVIEW_ACTION_COUNT
};

/*
 * The moves a review's state allows: X(from, action, to).  Who may make
 * them (the holder, the group, an admin) the database decides.
 */
#define CORE_REVIEW_TRANSITIONS(X)                                           \
	X(OPEN, CLAIM, CLAIMED)                                              \
	X(OPEN, ASSIGN, CLAIMED)                                             \
	X(CLAIMED, ASSIGN, CLAIMED)                                          \
	X(CLAIMED, RELEASE, OPEN)                                            \
	X(OPEN, CLOSE, CLOSED)                                               \
	X(CLAIMED, CLOSE, CLOSED)

/* An application status's stored word; "" for CORE_APP_NONE. */
const char *core_app_status_sql(enum core_app_status s);

/* The status stored as sql, or CORE_APP_NONE (NULL, "", unknown). */
enum core_app_status core_app_status_parse(const char *sql);

enum core_tone core_app_status_tone(enum core_app_status s);

/* Whether s has every bit of flags (CORE_ST_*). */
int core_app_status_is(enum core_app_status s, unsigned flags);

/* "approve", "reject", "review". */
const char *core_decision_name(enum core_decision d);

/* The decision whose word is sql; -1 when none. */
int core_decision_parse(const char *sql);

/* "Approve", "Reject", "Send to manual review". */
const char *core_decision_verb(enum core_decision d);

/* The status a decision leads to (approved, rejected, manual_review). */
enum core_app_status core_decision_outcome(enum core_decision d);

/*
 * Why d cannot be taken on an application in status s (the words of the
 * status's refusal: "already approved"), or NULL when it can.
 */
const char *core_decision_refusal(enum core_decision d,
    enum core_app_status s);

const char *core_review_state_sql(enum core_review_state s);
enum core_review_state core_review_state_parse(const char *sql);

/* "application", "payout", "reconciliation"; "" for CORE_REVIEW_KIND_ANY. */
const char *core_review_kind_sql(enum core_review_kind k);
/* The kind stored as sql, or CORE_REVIEW_KIND_ANY. */
enum core_review_kind core_review_kind_parse(const char *sql);

const char *core_review_action_sql(enum core_review_action a);

/*
 * The state action leads a review in state from to, or
 * CORE_REVIEW_STATE_NONE when the state does not allow it.
 */
enum core_review_state core_review_next(enum core_review_state from,
    enum core_review_action action);

#endif
