/*
 * What a classified WeChat Pay answer does to a bill.
 *
 * Three rules decide everything here:
 *  - An answer that does not say for sure what WeChat Pay holds (no
 *    answer, a timeout, 5xx, an answer that fails verification or cannot
 *    be read, an undocumented code) leaves the bill unknown, and the next
 *    step for an unknown bill is a query by the same out_bill_no.  Only a
 *    query that finds no such bill lets the daemon send the identical
 *    create again (same number, same stored body), which WeChat Pay treats
 *    as the same request.  A new number is never made here: only a person
 *    does that (api.payout_retry), and only for a bill WeChat Pay said is
 *    final (fail or cancelled).
 *  - A bill state in an answer moves the bill forward only (by rank); a
 *    late or repeated answer changes nothing, and a final bill never
 *    changes.
 *  - A documented "not accepted, send the same again" code (SYSTEM_ERROR,
 *    FREQUENCY_LIMITED ...) answering a create sent from a bill WeChat Pay
 *    did not have puts it back to pending with the same body; NOT_ENOUGH
 *    holds it until the balance is back and stops the whole channel;
 *    WeChat's daily limits hold it until Beijing midnight; any other
 *    refusal holds it for a person (a review opens).  The same codes
 *    answering a resend of an unknown bill prove nothing about the first
 *    request: the bill stays unknown and is queried again.
 */
#include "config.h"

#include <string.h>

#include "payout.h"

static int
is(const struct wx_code_class *c, enum wx_code_kind kind, const char *code)
{
	return c->kind == kind && strcmp(c->code, code) == 0;
}

/* A query that found no such number (404 on v3, NOT_FOUND on v2). */
static int
not_found(const struct wx_code_class *c)
{
	return is(c, WX_KIND_V3_ERROR, "NOT_FOUND") ||
	    is(c, WX_KIND_V3_ERROR, "ORDER_NOT_EXIST") ||
	    is(c, WX_KIND_V3_ERROR, "RESOURCE_NOT_EXISTS") ||
	    is(c, WX_KIND_V2_ERR_CODE, "NOT_FOUND");
}

/* The number exists at WeChat Pay with another body. */
static int
mismatch(const struct wx_code_class *c)
{
	return is(c, WX_KIND_V3_ERROR, "INVALID_REQUEST:MISMATCH") ||
	    is(c, WX_KIND_V2_ERR_CODE, "FATAL_ERROR");
}

/* The operating account cannot pay: the whole channel waits. */
static int
balance(const struct wx_code_class *c)
{
	return is(c, WX_KIND_V3_ERROR, "NOT_ENOUGH") ||
	    is(c, WX_KIND_V2_ERR_CODE, "NOTENOUGH");
}

/* WeChat Pay's daily limits, refused before anything was accepted. */
static int
wechat_daily(const struct wx_code_class *c)
{
	return is(c, WX_KIND_V3_ERROR, "INVALID_REQUEST:DAILY_LIMIT") ||
	    is(c, WX_KIND_V2_ERR_CODE, "MONEY_LIMIT") ||
	    is(c, WX_KIND_V2_ERR_CODE, "SENDNUM_LIMIT");
}

/* No trustworthy answer at all (our transport pseudo codes). */
static int
no_answer(const struct wx_code_class *c)
{
	return c->kind == WX_KIND_TRANSPORT &&
	    !is(c, WX_KIND_TRANSPORT, "HTTP_202") &&
	    !is(c, WX_KIND_TRANSPORT, WX_CODE_LOCAL) &&
	    !is(c, WX_KIND_TRANSPORT, WX_CODE_OK);
}

/* The first wait after an answer that put the bill in state s. */
static long
state_base_ms(enum payout_bill_state s)
{
	/* The borrower confirms in their own time and the callback says
	 * when; polling is only the safety net. */
	return s == PAYOUT_BILL_WAIT_USER_CONFIRM ? 30000
						  : PAYOUT_BACKOFF_BASE_MS;
}

static void
go(struct payout_step *o, enum payout_bill_state from,
    enum payout_bill_state to, enum payout_action a, long base_ms, int streak,
    const struct payout_rng *rng, const char *why)
{
	o->applies = 1;
	o->to = to;
	o->action = a;
	/* A new state starts its backoff again. */
	o->delay_ms = a == PAYOUT_ACTION_NONE
	    ? 0
	    : payout_backoff_ms(base_ms, to == from ? streak : 1, rng);
	o->why = why;
}

static void
stay(struct payout_step *o, enum payout_bill_state from, const char *why)
{
	o->applies = 0;
	o->to = from;
	o->action = PAYOUT_ACTION_NONE;
	o->delay_ms = 0;
	o->why = why;
}

static void
hold(struct payout_step *o, enum payout_hold h, const char *why)
{
	o->applies = 1;
	o->to = PAYOUT_BILL_HELD;
	o->action = PAYOUT_ACTION_NONE;
	o->delay_ms = 0;
	o->hold = h;
	o->review = h == PAYOUT_HOLD_REFUSED;
	o->pause_channel = h == PAYOUT_HOLD_CHANNEL;
	o->until_midnight = h == PAYOUT_HOLD_WECHAT_LIMIT;
	o->why = why;
}

/* WeChat Pay told us the bill's state. */
static void
state_step(enum payout_bill_state from, enum payout_exchange ex,
    enum payout_bill_state s, int streak, const struct payout_rng *rng,
    struct payout_step *o)
{
	enum payout_action next = payout_bill_state_terminal(s)
	    ? PAYOUT_ACTION_NONE
	    : PAYOUT_ACTION_QUERY;

	if (s == from) {
		/* Confirmed: ask again later, a callback may come first. */
		go(o, from, from, next, state_base_ms(s), streak, rng,
		    "WeChat Pay confirms the state");
		return;
	}
	if (payout_bill_transition_ok(from, s)) {
		go(o, from, s, next, state_base_ms(s), streak, rng,
		    "WeChat Pay reports a later state");
		o->review = s == PAYOUT_BILL_FAIL || s == PAYOUT_BILL_CANCELLED;
		return;
	}
	/*
	 * Behind what we know (a late or out-of-order answer) or about a
	 * bill not at WeChat Pay.  A query still schedules the next query
	 * of a bill that is at WeChat Pay.
	 */
	if (ex == PAYOUT_EX_QUERY && payout_bill_state_in_flight(from) &&
	    from != PAYOUT_BILL_SENDING)
		go(o, from, from, PAYOUT_ACTION_QUERY, state_base_ms(from),
		    streak, rng, "answer behind what we know: kept");
	else
		stay(o, from, "answer behind what we know: kept");
}

static void
create_step(enum payout_bill_state from, const struct wx_code_class *c,
    int streak, const struct payout_rng *rng, struct payout_step *o)
{
	long base = c->backoff_ms > 0 ? c->backoff_ms : PAYOUT_BACKOFF_BASE_MS;

	if (from == PAYOUT_BILL_SENDING) {
		if (no_answer(c))
			go(o, from, PAYOUT_BILL_UNKNOWN, PAYOUT_ACTION_QUERY,
			    base, streak, rng,
			    "no trustworthy answer: the bill may be at "
			    "WeChat Pay; query it");
		else if (is(c, WX_KIND_TRANSPORT, WX_CODE_LOCAL))
			hold(o, PAYOUT_HOLD_REFUSED,
			    "refused before sending: nothing left; a "
			    "person fixes the cause");
		else if (is(c, WX_KIND_TRANSPORT, "HTTP_202") ||
		    c->outcome == WX_OUTCOME_RETRY)
			go(o, from, PAYOUT_BILL_PENDING, PAYOUT_ACTION_CREATE,
			    base, streak, rng,
			    "not accepted: send the same body with the "
			    "same number again");
		else if (balance(c))
			hold(o, PAYOUT_HOLD_CHANNEL,
			    "operating account short: the channel waits "
			    "for the balance");
		else if (wechat_daily(c))
			hold(o, PAYOUT_HOLD_WECHAT_LIMIT,
			    "WeChat Pay's daily limit: same number after "
			    "Beijing midnight");
		else if (mismatch(c)) {
			go(o, from, PAYOUT_BILL_UNKNOWN, PAYOUT_ACTION_QUERY,
			    base, streak, rng,
			    "the number exists with another body: query "
			    "it; a person looks");
			o->review = 1;
		} else if (c->outcome == WX_OUTCOME_HOLD ||
		    c->outcome == WX_OUTCOME_FAIL)
			hold(o, PAYOUT_HOLD_REFUSED,
			    "refused: nothing accepted; a person fixes "
			    "the cause");
		else
			/* UNKNOWN codes, and a batch said FINISHED without
			 * saying what became of this detail. */
			go(o, from, PAYOUT_BILL_UNKNOWN, PAYOUT_ACTION_QUERY,
			    base, streak, rng, "outcome unclear: query it");
		return;
	}
	if (from == PAYOUT_BILL_UNKNOWN) {
		/*
		 * A resend after a query found nothing.  Whatever error
		 * answers it, the first request may still have arrived: keep
		 * querying under the same number.
		 */
		go(o, from, from, PAYOUT_ACTION_QUERY, base, streak, rng,
		    "resend not accepted: the bill stays unknown; query it");
		o->pause_channel = balance(c);
		if (wechat_daily(c)) {
			o->until_midnight = 1;
			o->hold = PAYOUT_HOLD_WECHAT_LIMIT;
		}
		o->review = mismatch(c) ||
		    is(c, WX_KIND_TRANSPORT, WX_CODE_LOCAL) ||
		    (!balance(c) && !wechat_daily(c) &&
			(c->outcome == WX_OUTCOME_HOLD ||
			    c->outcome == WX_OUTCOME_FAIL));
		return;
	}
	stay(o, from, "late answer to a create: the bill has moved on");
}

static void
query_step(enum payout_bill_state from, const struct wx_code_class *c,
    int streak, const struct payout_rng *rng, struct payout_step *o)
{
	long base = c->backoff_ms > 0 ? c->backoff_ms : PAYOUT_BACKOFF_BASE_MS;

	if (!payout_bill_state_in_flight(from)) {
		stay(o, from,
		    "a bill that is not at WeChat Pay is not "
		    "queried");
		return;
	}
	if (not_found(c) &&
	    (from == PAYOUT_BILL_SENDING || from == PAYOUT_BILL_UNKNOWN))
		go(o, from, PAYOUT_BILL_UNKNOWN, PAYOUT_ACTION_CREATE, base,
		    streak, rng,
		    "no such bill yet: resend the identical "
		    "create (same number, same body)");
	else if (from == PAYOUT_BILL_SENDING)
		go(o, from, PAYOUT_BILL_UNKNOWN, PAYOUT_ACTION_QUERY, base,
		    streak, rng, "query unanswered: the bill stays unknown");
	else
		go(o, from, from, PAYOUT_ACTION_QUERY, base, streak, rng,
		    "query unanswered: ask again later");
}

static void
cancel_step(enum payout_bill_state from, const struct wx_code_class *c,
    int streak, const struct payout_rng *rng, struct payout_step *o)
{
	long base = c->backoff_ms > 0 ? c->backoff_ms : PAYOUT_BACKOFF_BASE_MS;

	if (!payout_bill_state_in_flight(from) || from == PAYOUT_BILL_SENDING) {
		stay(o, from, "only a bill at WeChat Pay is cancelled there");
		return;
	}
	/*
	 * Whatever went wrong, the query says where the bill stands; the
	 * cancel is sent again while the bill can still be cancelled.
	 * INVALID_REQUEST is what cancelling a final bill answers.
	 */
	go(o, from, from, PAYOUT_ACTION_QUERY, base, streak, rng,
	    "cancel not confirmed: query the bill");
	if (is(c, WX_KIND_V3_ERROR, "INVALID_REQUEST"))
		o->delay_ms = 0;
}

enum ld_status
payout_bill_step(enum payout_bill_state from, enum payout_exchange ex,
    const struct wx_code_class *c, int streak, const struct payout_rng *rng,
    struct payout_step *out, struct ld_err *err)
{
	enum payout_bill_state s;
	int has_state;

	memset(out, 0, sizeof *out);
	out->to = from;
	if ((unsigned)from >= PAYOUT_BILL_STATE_COUNT)
		return ld_err_set(err, LD_EINVAL,
		    "bill state %d is not a "
		    "bill state",
		    (int)from);
	if ((unsigned)ex >= PAYOUT_EXCHANGE_COUNT)
		return ld_err_set(err, LD_EINVAL,
		    "exchange %d is not an "
		    "exchange",
		    (int)ex);
	if (c == NULL)
		return ld_err_set(err, LD_EINVAL, "no classified answer");
	if (is(c, WX_KIND_TRANSPORT, WX_CODE_OK))
		return ld_err_set(err, LD_EINVAL,
		    "%s: a balance reading says "
		    "nothing about a bill",
		    c->code);
	has_state = payout_bill_state_of_answer(c, &s);
	if (ex == PAYOUT_EX_CALLBACK && !has_state &&
	    c->kind != WX_KIND_V3_BATCH_STATUS)
		return ld_err_set(err, LD_EINVAL,
		    "a callback carries a bill "
		    "or batch state, not %s %s",
		    wx_code_kind_name(c->kind), c->code);
	if (streak < 1)
		streak = 1;
	if (payout_bill_state_terminal(from)) {
		stay(out, from, "the bill is final: no answer changes it");
		return LD_OK;
	}
	if (has_state) {
		state_step(from, ex, s, streak, rng, out);
		return LD_OK;
	}
	if (c->kind == WX_KIND_V3_BATCH_STATUS) {
		/* FINISHED: each detail has its own status; ask for it. */
		if (payout_bill_state_in_flight(from)) {
			go(out, from,
			    from == PAYOUT_BILL_SENDING ? PAYOUT_BILL_UNKNOWN
							: from,
			    PAYOUT_ACTION_QUERY, 0, 1, NULL,
			    "batch finished: query the detail");
			out->delay_ms = 0;
		} else
			stay(out, from,
			    "batch state about a bill not at "
			    "WeChat Pay");
		return LD_OK;
	}
	switch (ex) {
	case PAYOUT_EX_CREATE:
		create_step(from, c, streak, rng, out);
		break;
	case PAYOUT_EX_QUERY:
		query_step(from, c, streak, rng, out);
		break;
	case PAYOUT_EX_CANCEL:
		cancel_step(from, c, streak, rng, out);
		break;
	case PAYOUT_EX_CALLBACK:
	case PAYOUT_EXCHANGE_COUNT:
		break;
	}
	return LD_OK;
}
