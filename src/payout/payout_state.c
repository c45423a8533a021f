/*
 * The state tables: names, flags, transitions, the roll-up of a payout from
 * its bills, and the Markdown that docs/payouts.md carries.
 */
#include "config.h"

#include <string.h>

#include "ld_buf.h"
#include "payout.h"

struct state_row {
	const char *sql, *display;
	int terminal;
};

static const struct state_row states[] = {
#define PAYOUT_X(name, sql, display, terminal) {sql, display, terminal},
    PAYOUT_STATE_TABLE(PAYOUT_X)
#undef PAYOUT_X
};

struct bill_row {
	const char *sql, *display;
	int terminal, rank, in_flight, counts;
};

static const struct bill_row bills[] = {
#define PAYOUT_X(name, sql, display, terminal, rank, in_flight, counts)        \
	{sql, display, terminal, rank, in_flight, counts},
    PAYOUT_BILL_STATE_TABLE(PAYOUT_X)
#undef PAYOUT_X
};

static const struct payout_edge state_edges[] = {
#define PAYOUT_X(from, to) {PAYOUT_##from, PAYOUT_##to},
    PAYOUT_TRANSITION_TABLE(PAYOUT_X)
#undef PAYOUT_X
};

static const struct payout_edge bill_edges[] = {
#define PAYOUT_X(from, to) {PAYOUT_BILL_##from, PAYOUT_BILL_##to},
    PAYOUT_BILL_TRANSITION_TABLE(PAYOUT_X)
#undef PAYOUT_X
};

static const struct {
	const char *sql, *display;
} actions[] = {
#define PAYOUT_X(name, sql, display) {sql, display},
    PAYOUT_ACTION_TABLE(PAYOUT_X)
#undef PAYOUT_X
};

static const char *const exchanges[] = {
#define PAYOUT_X(name, sql) sql,
    PAYOUT_EXCHANGE_TABLE(PAYOUT_X)
#undef PAYOUT_X
};

static const struct {
	const char *sql, *display, *released;
} holds[] = {
#define PAYOUT_X(name, sql, display, released) {sql, display, released},
    PAYOUT_HOLD_TABLE(PAYOUT_X)
#undef PAYOUT_X
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define IN(v, a) ((unsigned)(v) < NELEM(a))

const char *
payout_state_sql(enum payout_state s)
{
	return IN(s, states) ? states[s].sql : "?";
}

const char *
payout_state_display(enum payout_state s)
{
	return IN(s, states) ? states[s].display : "?";
}

int
payout_state_terminal(enum payout_state s)
{
	return IN(s, states) ? states[s].terminal : 0;
}

int
payout_state_transition_ok(enum payout_state from, enum payout_state to)
{
	size_t i;

	for (i = 0; i < NELEM(state_edges); i++)
		if (state_edges[i].from == (int)from &&
		    state_edges[i].to == (int)to)
			return 1;
	return 0;
}

int
payout_state_from_sql(const char *sql)
{
	size_t i;

	for (i = 0; sql != NULL && i < NELEM(states); i++)
		if (strcmp(states[i].sql, sql) == 0)
			return (int)i;
	return -1;
}

const char *
payout_bill_state_sql(enum payout_bill_state s)
{
	return IN(s, bills) ? bills[s].sql : "?";
}

const char *
payout_bill_state_display(enum payout_bill_state s)
{
	return IN(s, bills) ? bills[s].display : "?";
}

int
payout_bill_state_terminal(enum payout_bill_state s)
{
	return IN(s, bills) ? bills[s].terminal : 0;
}

int
payout_bill_state_rank(enum payout_bill_state s)
{
	return IN(s, bills) ? bills[s].rank : -1;
}

int
payout_bill_state_in_flight(enum payout_bill_state s)
{
	return IN(s, bills) ? bills[s].in_flight : 0;
}

int
payout_bill_state_counts(enum payout_bill_state s)
{
	return IN(s, bills) ? bills[s].counts : 0;
}

int
payout_bill_transition_ok(
    enum payout_bill_state from, enum payout_bill_state to)
{
	size_t i;

	for (i = 0; i < NELEM(bill_edges); i++)
		if (bill_edges[i].from == (int)from &&
		    bill_edges[i].to == (int)to)
			return 1;
	return 0;
}

int
payout_bill_state_from_sql(const char *sql)
{
	size_t i;

	for (i = 0; sql != NULL && i < NELEM(bills); i++)
		if (strcmp(bills[i].sql, sql) == 0)
			return (int)i;
	return -1;
}

const char *
payout_action_sql(enum payout_action a)
{
	return IN(a, actions) ? actions[a].sql : "?";
}

const char *
payout_action_display(enum payout_action a)
{
	return IN(a, actions) ? actions[a].display : "?";
}

const char *
payout_exchange_sql(enum payout_exchange e)
{
	return IN(e, exchanges) ? exchanges[e] : "?";
}

const char *
payout_hold_sql(enum payout_hold h)
{
	return IN(h, holds) ? holds[h].sql : "?";
}

const char *
payout_hold_display(enum payout_hold h)
{
	return IN(h, holds) ? holds[h].display : "?";
}

const char *
payout_hold_released(enum payout_hold h)
{
	return IN(h, holds) ? holds[h].released : "?";
}

int
payout_hold_from_sql(const char *sql)
{
	size_t i;

	for (i = 1; sql != NULL && i < NELEM(holds); i++)
		if (strcmp(holds[i].sql, sql) == 0)
			return (int)i;
	return -1;
}

const struct payout_edge *
payout_state_edges(size_t *n)
{
	*n = NELEM(state_edges);
	return state_edges;
}

const struct payout_edge *
payout_bill_edges(size_t *n)
{
	*n = NELEM(bill_edges);
	return bill_edges;
}

int
payout_bill_state_of_answer(
    const struct wx_code_class *c, enum payout_bill_state *out)
{
	static const struct {
		enum wx_code_kind kind;
		const char *code;
		enum payout_bill_state state;
	} map[] = {
	    {WX_KIND_V3_BILL_STATE, "ACCEPTED", PAYOUT_BILL_ACCEPTED},
	    {WX_KIND_V3_BILL_STATE, "PROCESSING", PAYOUT_BILL_PROCESSING},
	    {WX_KIND_V3_BILL_STATE, "WAIT_USER_CONFIRM",
		PAYOUT_BILL_WAIT_USER_CONFIRM},
	    {WX_KIND_V3_BILL_STATE, "TRANSFERING", PAYOUT_BILL_TRANSFERRING},
	    {WX_KIND_V3_BILL_STATE, "SUCCESS", PAYOUT_BILL_SUCCESS},
	    {WX_KIND_V3_BILL_STATE, "FAIL", PAYOUT_BILL_FAIL},
	    {WX_KIND_V3_BILL_STATE, "CANCELING", PAYOUT_BILL_CANCELLING},
	    {WX_KIND_V3_BILL_STATE, "CANCELLED", PAYOUT_BILL_CANCELLED},
	    /* A batch detail has no user confirmation: INIT and WAIT_PAY
	     * are "accepted, not yet moving". */
	    {WX_KIND_V3_DETAIL_STATUS, "INIT", PAYOUT_BILL_ACCEPTED},
	    {WX_KIND_V3_DETAIL_STATUS, "WAIT_PAY", PAYOUT_BILL_ACCEPTED},
	    {WX_KIND_V3_DETAIL_STATUS, "PROCESSING", PAYOUT_BILL_PROCESSING},
	    {WX_KIND_V3_DETAIL_STATUS, "SUCCESS", PAYOUT_BILL_SUCCESS},
	    {WX_KIND_V3_DETAIL_STATUS, "FAIL", PAYOUT_BILL_FAIL},
	    /* A batch still accepted or processing holds every detail
	     * there; a closed one paid none of them.  FINISHED is not
	     * here: each detail then has its own status. */
	    {WX_KIND_V3_BATCH_STATUS, "WAIT_PAY", PAYOUT_BILL_ACCEPTED},
	    {WX_KIND_V3_BATCH_STATUS, "ACCEPTED", PAYOUT_BILL_ACCEPTED},
	    {WX_KIND_V3_BATCH_STATUS, "PROCESSING", PAYOUT_BILL_PROCESSING},
	    {WX_KIND_V3_BATCH_STATUS, "CLOSED", PAYOUT_BILL_FAIL},
	    {WX_KIND_V2_STATUS, "SUCCESS", PAYOUT_BILL_SUCCESS},
	    {WX_KIND_V2_STATUS, "PROCESSING", PAYOUT_BILL_PROCESSING},
	    {WX_KIND_V2_STATUS, "FAILED", PAYOUT_BILL_FAIL},
	};
	size_t i;

	if (c == NULL)
		return 0;
	/* Only a FAIL bill (or detail) has a fail_reason. */
	if (c->kind == WX_KIND_V3_FAIL_REASON) {
		*out = PAYOUT_BILL_FAIL;
		return 1;
	}
	for (i = 0; i < NELEM(map); i++)
		if (map[i].kind == c->kind &&
		    strcmp(map[i].code, c->code) == 0) {
			*out = map[i].state;
			return 1;
		}
	return 0;
}

enum payout_state
payout_rollup(const enum payout_bill_state *st, size_t n, size_t n_sent,
    int person_hold, int cancel_requested)
{
	size_t i, paid = 0, failed = 0, in_flight = 0, left = 0;

	for (i = 0; i < n; i++) {
		if (st[i] == PAYOUT_BILL_SUCCESS)
			paid++;
		/* A cancel a person asked for is not a failure. */
		if (st[i] == PAYOUT_BILL_FAIL ||
		    (st[i] == PAYOUT_BILL_CANCELLED && !cancel_requested))
			failed++;
		if (payout_bill_state_in_flight(st[i]))
			in_flight++;
		if (st[i] != PAYOUT_BILL_PENDING && st[i] != PAYOUT_BILL_HELD)
			left++;
	}
	/*
	 * A cancel completes when WeChat Pay holds nothing of the payout any
	 * more; if the borrower confirmed a bill first, part was paid and a
	 * person must decide (failed, with a review).
	 */
	if (cancel_requested && in_flight == 0)
		return paid > 0 ? PAYOUT_FAILED : PAYOUT_CANCELLED;
	if (n > 0 && paid == n)
		return PAYOUT_SUCCEEDED;
	if (failed > 0)
		return PAYOUT_FAILED;
	if (person_hold)
		return PAYOUT_HELD;
	if (left > 0 || n_sent > 0)
		return PAYOUT_SENDING;
	return PAYOUT_APPROVED;
}

static void
md_escape(struct ld_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			ld_buf_puts(b, "\\");
		ld_buf_append(b, s, 1);
	}
}

char *
payout_doc_states_md(void)
{
	struct ld_buf b;
	size_t i, j;
	int any;

	ld_buf_init(&b, 0);
	ld_buf_puts(&b,
	    "| payout state | meaning | terminal | may become |\n"
	    "|---|---|---|---|\n");
	for (i = 0; i < NELEM(states); i++) {
		ld_buf_printf(&b, "| `%s` | ", states[i].sql);
		md_escape(&b, states[i].display);
		ld_buf_printf(
		    &b, " | %s | ", states[i].terminal ? "yes" : "no");
		for (j = 0, any = 0; j < NELEM(state_edges); j++)
			if (state_edges[j].from == (int)i) {
				ld_buf_printf(&b, "%s`%s`", any ? ", " : "",
				    states[state_edges[j].to].sql);
				any = 1;
			}
		ld_buf_puts(&b, any ? " |\n" : "- |\n");
	}
	ld_buf_puts(&b,
	    "\n| bill state | meaning | terminal | rank | "
	    "in flight | counts toward limits | may become |\n"
	    "|---|---|---|---|---|---|---|\n");
	for (i = 0; i < NELEM(bills); i++) {
		ld_buf_printf(&b, "| `%s` | ", bills[i].sql);
		md_escape(&b, bills[i].display);
		ld_buf_printf(&b, " | %s | %d | %s | %s | ",
		    bills[i].terminal ? "yes" : "no", bills[i].rank,
		    bills[i].in_flight ? "yes" : "no",
		    bills[i].counts ? "yes" : "no");
		for (j = 0, any = 0; j < NELEM(bill_edges); j++)
			if (bill_edges[j].from == (int)i) {
				ld_buf_printf(&b, "%s`%s`", any ? ", " : "",
				    bills[bill_edges[j].to].sql);
				any = 1;
			}
		ld_buf_puts(&b, any ? " |\n" : "- |\n");
	}
	ld_buf_puts(&b, "\n| hold | why | released |\n|---|---|---|\n");
	for (i = 1; i < NELEM(holds); i++) {
		ld_buf_printf(&b, "| `%s` | ", holds[i].sql);
		md_escape(&b, holds[i].display);
		ld_buf_puts(&b, " | ");
		md_escape(&b, holds[i].released);
		ld_buf_puts(&b, " |\n");
	}
	ld_buf_puts(&b,
	    "\n| next action | what the daemon does |\n"
	    "|---|---|\n");
	for (i = 0; i < NELEM(actions); i++) {
		ld_buf_printf(&b, "| `%s` | ", actions[i].sql);
		md_escape(&b, actions[i].display);
		ld_buf_puts(&b, " |\n");
	}
	return ld_buf_steal(&b, NULL);
}
