/*
 * Payouts for finance and on-call.  The list pages by id from a key in the
 * payouts table alone (payouts_pkey, or payouts_state_id of 0028 for one
 * state) and only then fetches the page's names, approvals, holds and
 * reviews, so a page costs the same over a thousand payouts or a million.
 * The figures are each an index range or a small table; the actions are
 * one api.* call each, whose message is the operator's answer.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core_audit_view.h"
#include "core_locks.h"
#include "core_payouts.h"
#include "core_query.h"
#include "core_session.h"
#include "ld_alloc.h"
#include "ld_buf.h"
#include "ld_db.h"
#include "ld_money.h"
#include "ld_sql.h"

/* A timestamp as the header promises: ISO 8601 with the zone's offset. */
#define ISO(x) "to_char(" x ", 'YYYY-MM-DD\"T\"HH24:MI:SSOF')"

/* The bill states that may still be paid (payout_bill_states.in_flight). */
#define IN_FLIGHT_SQL                                                       \
	"('sending', 'unknown', 'accepted', 'processing', "                 \
	"'wait_user_confirm', 'transferring', 'cancelling')"

const char *const core_payout_states[] = {
	"requested", "approved", "sending", "held", "succeeded", "failed",
	"cancelled", NULL
};

const char *const core_payout_outcomes[CORE_PAYOUT_OUTCOMES] = {
	"success", "pending", "retry", "hold", "fail", "unknown"
};

#define NAMES(a) (a), sizeof(a) / sizeof((a)[0])

static void
copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int64_t
val_i64_or(const PGresult *res, int row, int col, int64_t dflt)
{
	return core_val_null(res, row, col) ? dflt :
	    core_val_i64(res, row, col);
}

static int
val_bool(const PGresult *res, int row, int col)
{
	return strcmp(core_val(res, row, col), "t") == 0;
}

/* 1. The list ------------------------------------------------------------- */

void
core_payouts_filter_clear(struct core_payouts_filter *f)
{
	memset(f, 0, sizeof *f);
}

int
core_payouts_filter_active(const struct core_payouts_filter *f)
{
	return f->state[0] != '\0' || f->mine || f->id != 0;
}

void
core_payouts_filter_describe(const struct core_payouts_filter *f, char *buf,
    size_t len)
{
	char id[32] = "";

	if (f->id != 0)
		snprintf(id, sizeof id, " id=%" PRId64, f->id);
	snprintf(buf, len, "%s%s%s%s", f->state[0] ? " state=" : "",
	    f->state, f->mine ? " mine" : "", id);
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

static int
known_state(const char *s)
{
	size_t i;

	for (i = 0; core_payout_states[i] != NULL; i++)
		if (strcmp(s, core_payout_states[i]) == 0)
			return 1;
	return 0;
}

enum ld_status
core_payouts_command(const char *cmd, struct core_payouts_filter *f,
    int *oldest_first, struct ld_err *err)
{
	struct core_payouts_filter nf = *f;
	char line[128], *end;
	const char *arg;
	long long v;
	size_t n;
	int oldest = oldest_first != NULL ? *oldest_first : 0;

	snprintf(line, sizeof line, "%s", skip_space(cmd));
	n = strlen(line);
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	cmd = line;
	n = strcspn(cmd, " \t");
	arg = skip_space(cmd + n);
	if (n == 0)
		return ld_err_set(err, LD_EINVAL, "empty command");
#define IS(word) (n == sizeof(word) - 1 && strncmp(cmd, word, n) == 0)
	if ((IS("mine") || IS("all") || IS("clear") || IS("oldest") ||
	    IS("newest")) && *arg != '\0')
		return ld_err_set(err, LD_EINVAL, "%.*s takes no argument",
		    (int)n, cmd);
	if (IS("clear"))
		core_payouts_filter_clear(&nf);
	else if (IS("mine"))
		nf.mine = 1;
	else if (IS("all"))
		nf.mine = 0;
	else if (IS("oldest") || IS("newest")) {
		if (oldest_first == NULL)
			return ld_err_set(err, LD_EINVAL, "%.*s: the order "
			    "is not offered here", (int)n, cmd);
		oldest = IS("oldest");
	} else if (IS("state")) {
		if (*arg == '\0' || strcmp(arg, "any") == 0)
			nf.state[0] = '\0';
		else if (!known_state(arg))
			return ld_err_set(err, LD_EINVAL, "state: unknown "
			    "state \"%s\" (requested, approved, sending, held, "
			    "succeeded, failed, cancelled)", arg);
		else
			snprintf(nf.state, sizeof nf.state, "%s", arg);
	} else if (IS("id")) {
		if (*arg == '\0')
			nf.id = 0;
		else {
			errno = 0;
			v = isdigit((unsigned char)*arg) ?
			    strtoll(arg, &end, 10) : 0;
			if (v <= 0 || errno != 0 || *skip_space(end) != '\0')
				return ld_err_set(err, LD_EINVAL, "id: \"%s\" "
				    "is not a payout or application number",
				    arg);
			/* Straight to it, whatever was filtered before. */
			core_payouts_filter_clear(&nf);
			nf.id = v;
		}
	} else
		return ld_err_set(err, LD_EINVAL, "unknown command \"%.*s\" "
		    "(state, mine, all, id, oldest, newest, clear)", (int)n,
		    cmd);
#undef IS
	*f = nf;
	if (oldest_first != NULL)
		*oldest_first = oldest;
	return LD_OK;
}

/*
 * The filter over payouts p.  "Waiting for my approval" mirrors the
 * refusals of payout_approvable that depend on who asks (0021): the
 * person who asked for the payout, the officer who approved the loan,
 * and an approval already given.  With state_by_range the caller bounds
 * the state itself (see core_payouts_fetch_build) and no state equality
 * is added.
 */
static void
add_filters(struct ld_sql *q, const struct core_payouts_filter *f,
    int state_by_range)
{
	if (f->id != 0)
		ld_sql_add_i64(q, " AND (p.id = $1::bigint OR "
		    "p.application_id = $1::bigint)", f->id);
	if (f->state[0] != '\0' && !state_by_range)
		LD_SQL_ADD(q, " AND p.state = $1", f->state);
	if (f->mine && !state_by_range)
		ld_sql_add(q, " AND p.state = 'requested'");
	if (f->mine && f->state[0] != '\0' &&
	    strcmp(f->state, "requested") != 0)
		ld_sql_add(q, " AND false");
	if (f->mine)
		ld_sql_add(q, " AND p.requested_by <> session_user::text AND "
		    "NOT EXISTS (SELECT 1 FROM payout_approvals pa WHERE "
		    "pa.payout_id = p.id AND pa.approver = session_user::text) "
		    "AND NOT EXISTS (SELECT 1 FROM applications ad WHERE ad.id = "
		    "p.application_id AND ad.decided_by = session_user::text)");
}

static const char *const direction_sql[2] = { "ASC", "DESC" };
static const char *const keyset_sql[2] = { ">", "<" };

/* A state's far end, as the scan direction meets it; and its near end. */
static const char *const state_far_sql[2] = { " AND p.state <= $1",
	" AND p.state >= $1" };
static const char *const state_near_sql[2] = { " AND p.state >= $1",
	" AND p.state <= $1" };

void
core_payouts_fetch_build(const struct core_payouts_filter *f,
    int oldest_first, int64_t after_id, int backward, size_t limit,
    struct ld_sql *q)
{
	/* A backward page scans the other way and is reversed after. */
	size_t scan_desc = (backward ? oldest_first : !oldest_first) ? 1 : 0;
	const char *state = f->state[0] != '\0' ? f->state :
	    f->mine ? "requested" : NULL;
	char idtext[24];

	if (limit == 0 || limit > 1000)
		limit = 1000;
	/*
	 * The page's ids first, from payouts alone: one index range.  The
	 * rest is looked up for those rows only, each by its own index.
	 */
	ld_sql_init(q, "SELECT p.id, p.application_id, ap.name_masked, "
	    "p.amount_fen, p.state, p.requested_by, " ISO("p.requested_at")
	    ", extract(epoch FROM now() - p.requested_at)::bigint, "
	    "(SELECT count(*) FROM payout_approvals pa WHERE pa.payout_id = "
	    "p.id), CASE WHEN p.amount_fen >= (SELECT (value #>> '{}')::"
	    "bigint FROM settings WHERE key = 'four_eyes_threshold_fen') "
	    "THEN 2 ELSE 1 END, (SELECT string_agg(pa.approver, ', ' ORDER "
	    "BY pa.approved_at) FROM payout_approvals pa WHERE pa.payout_id "
	    "= p.id), p.held_by, p.hold_reason, (SELECT string_agg(DISTINCT "
	    "t.hold_reason, ', ') FROM transfer_bills t WHERE t.payout_id = "
	    "p.id AND t.state = 'held' AND t.replaced_by_bill_id IS NULL), "
	    "p.paid_fen, r.id, r.reason, r.assignee FROM (SELECT p.* FROM "
	    "payouts p WHERE true");
	add_filters(q, f, state != NULL);
	if (state != NULL) {
		/*
		 * One state is the range of payouts_state_id between (state,
		 * the key) and the state's far end, in (state, id) order.  Not
		 * "state = $1": the planner would then drop the state from the
		 * order and could walk the primary key filtering by state,
		 * which reads the whole table when the state's payouts are
		 * all at the far end (oldest first, requested ones are the
		 * newest).
		 */
		LD_SQL_ADD(q, state_far_sql[scan_desc], state);
		if (after_id > 0) {
			snprintf(idtext, sizeof idtext, "%" PRId64, after_id);
			ld_sql_add(q, " AND (p.state, p.id) ");
			ld_sql_pick(q, NAMES(keyset_sql), scan_desc);
			LD_SQL_ADD(q, " ($1, $2::bigint)", state, idtext);
		} else
			LD_SQL_ADD(q, state_near_sql[scan_desc], state);
		ld_sql_add(q, " ORDER BY p.state ");
		ld_sql_pick(q, NAMES(direction_sql), scan_desc);
		ld_sql_add(q, ", p.id ");
	} else {
		if (after_id > 0) {
			ld_sql_add(q, " AND p.id ");
			ld_sql_pick(q, NAMES(keyset_sql), scan_desc);
			ld_sql_add_i64(q, " $1::bigint", after_id);
		}
		ld_sql_add(q, " ORDER BY p.id ");
	}
	ld_sql_pick(q, NAMES(direction_sql), scan_desc);
	/* One extra row says whether there is more. */
	ld_sql_limit(q, limit + 1);
	ld_sql_add(q, ") p JOIN applications a ON a.id = p.application_id "
	    "LEFT JOIN applicants ap ON ap.id = a.applicant_id "
	    "LEFT JOIN reviews r ON r.payout_id = p.id AND r.kind = 'payout' "
	    "AND r.state <> 'closed' ORDER BY p.id ");
	ld_sql_pick(q, NAMES(direction_sql), scan_desc);
}

enum ld_status
core_payouts_fetch(struct core_session *s, const struct core_payouts_filter *f,
    int oldest_first, int64_t after_id, int backward, size_t limit,
    struct core_payouts_page *page, struct ld_err *err)
{
	struct ld_sql q;
	PGresult *res = NULL;
	enum ld_status st;
	int i, nrows;

	memset(page, 0, sizeof *page);
	if (limit == 0 || limit > 1000)
		limit = 1000;
	core_payouts_fetch_build(f, oldest_first, after_id, backward, limit,
	    &q);
	st = core_session_read_sql(s, &q, &res, err);
	ld_sql_free(&q);
	if (st != LD_OK)
		return ld_err_prefix(err, "payouts: ");
	if (PQnfields(res) != 18) {
		i = PQnfields(res);
		PQclear(res);
		return ld_err_set(err, LD_EPROTO, "payouts: expected 18 "
		    "columns, got %d", i);
	}
	nrows = PQntuples(res);
	page->more = (size_t)nrows > limit;
	if ((size_t)nrows > limit)
		nrows = (int)limit;
	page->rows = ld_calloc(nrows > 0 ? (size_t)nrows : 1,
	    sizeof *page->rows);
	page->n = (size_t)nrows;
	for (i = 0; i < nrows; i++) {
		struct core_payout_row *r = &page->rows[backward ?
		    nrows - 1 - i : i];

		r->id = core_val_i64(res, i, 0);
		r->application_id = core_val_i64(res, i, 1);
		copy_text(r->name, sizeof r->name, core_val(res, i, 2));
		r->amount_fen = core_val_i64(res, i, 3);
		copy_text(r->state, sizeof r->state, core_val(res, i, 4));
		copy_text(r->requested_by, sizeof r->requested_by,
		    core_val(res, i, 5));
		copy_text(r->requested_at, sizeof r->requested_at,
		    core_val(res, i, 6));
		r->age_s = core_val_i64(res, i, 7);
		r->approvals = (int)core_val_i64(res, i, 8);
		r->approvals_needed = (int)core_val_i64(res, i, 9);
		copy_text(r->approvers, sizeof r->approvers,
		    core_val(res, i, 10));
		copy_text(r->held_by, sizeof r->held_by, core_val(res, i, 11));
		copy_text(r->hold_reason, sizeof r->hold_reason,
		    core_val(res, i, 12));
		copy_text(r->bill_holds, sizeof r->bill_holds,
		    core_val(res, i, 13));
		r->paid_fen = core_val_i64(res, i, 14);
		r->review_id = core_val_i64(res, i, 15);
		copy_text(r->review_reason, sizeof r->review_reason,
		    core_val(res, i, 16));
		copy_text(r->review_assignee, sizeof r->review_assignee,
		    core_val(res, i, 17));
	}
	PQclear(res);
	return LD_OK;
}

void
core_payouts_page_free(struct core_payouts_page *page)
{
	if (page == NULL)
		return;
	free(page->rows);
	page->rows = NULL;
	page->n = 0;
}

/* The row estimate of the first line of an EXPLAIN. */
static enum ld_status
explain_rows(PGresult *res, int64_t *n, struct ld_err *err)
{
	const char *rows;
	char *end;
	long long v;

	rows = PQntuples(res) > 0 ? strstr(core_val(res, 0, 0), " rows=") :
	    NULL;
	if (rows == NULL)
		return ld_err_set(err, LD_EPROTO, "EXPLAIN gave no row "
		    "estimate");
	errno = 0;
	v = strtoll(rows + 6, &end, 10);
	if (errno != 0 || end == rows + 6 || v < 0)
		return ld_err_set(err, LD_EPROTO, "unreadable row estimate");
	*n = (int64_t)v;
	return LD_OK;
}

/* Up to this many the count is exact, and costs no more than a page of
 * this size would. */
#define EXACT_COUNT_MAX 10000

enum ld_status
core_payouts_estimate(struct core_session *s,
    const struct core_payouts_filter *f, int64_t *n, int *exact,
    struct ld_err *err)
{
	struct ld_sql q;
	PGresult *res;
	enum ld_status st;
	int64_t v;

	*n = -1;
	*exact = 0;
	/* Counted, but never more than EXACT_COUNT_MAX + 1 rows read. */
	ld_sql_init(&q, "SELECT count(*) FROM (SELECT 1 FROM payouts p "
	    "WHERE true");
	add_filters(&q, f, 0);
	ld_sql_limit(&q, EXACT_COUNT_MAX + 1);
	ld_sql_add(&q, ") x");
	st = core_session_read_sql(s, &q, &res, err);
	ld_sql_free(&q);
	if (st != LD_OK)
		return ld_err_prefix(err, "counting the payouts: ");
	v = PQntuples(res) == 1 ? core_val_i64(res, 0, 0) : 0;
	PQclear(res);
	if (v <= EXACT_COUNT_MAX) {
		*n = v;
		*exact = 1;
		return LD_OK;
	}
	if (!core_payouts_filter_active(f)) {
		/*
		 * reltuples, once VACUUM or ANALYZE has counted; before that
		 * (-1) EXPLAIN's guess from the heap's size, below.
		 */
		st = core_session_read(s, "SELECT reltuples::bigint FROM "
		    "pg_class WHERE oid = 'payouts'::regclass", 0, NULL, &res,
		    err);
		if (st != LD_OK)
			return ld_err_prefix(err, "estimating the payouts: ");
		v = PQntuples(res) == 1 ? core_val_i64(res, 0, 0) : -1;
		PQclear(res);
		if (v > EXACT_COUNT_MAX) {
			*n = v;
			return LD_OK;
		}
	}
	ld_sql_init(&q, "EXPLAIN SELECT 1 FROM payouts p WHERE true");
	add_filters(&q, f, 0);
	st = core_session_read_sql(s, &q, &res, err);
	ld_sql_free(&q);
	if (st != LD_OK)
		return ld_err_prefix(err, "estimating the payouts: ");
	st = explain_rows(res, n, err);
	PQclear(res);
	if (st != LD_OK)
		return ld_err_prefix(err, "estimating the payouts: ");
	/* There are more than were counted, whatever the planner thinks. */
	if (*n <= EXACT_COUNT_MAX)
		*n = EXACT_COUNT_MAX + 1;
	return LD_OK;
}

/* 2. One payout -------------------------------------------------------------- */

static const char header_sql[] =
    "SELECT p.id, p.application_id, a.applicant_id, ap.name_masked, "
    "a.status, p.amount_fen, p.paid_fen, "
    "coalesce((SELECT sum(t.amount_fen) FROM transfer_bills t WHERE "
    "t.payout_id = p.id AND t.replaced_by_bill_id IS NULL AND t.state IN "
    IN_FLIGHT_SQL "), 0), "
    "coalesce((SELECT sum(t.amount_fen) FROM transfer_bills t WHERE "
    "t.payout_id = p.id AND t.replaced_by_bill_id IS NULL AND t.state = "
    "'held'), 0), "
    "p.state, st.display, p.requested_by, " ISO("p.requested_at") ", "
    "p.approved_by, " ISO("p.approved_at") ", "
    "(SELECT count(*) FROM payout_approvals pa WHERE pa.payout_id = p.id), "
    "CASE WHEN p.amount_fen >= (SELECT (value #>> '{}')::bigint FROM "
    "settings WHERE key = 'four_eyes_threshold_fen') THEN 2 ELSE 1 END, "
    "p.generation, p.held_by, " ISO("p.held_at") ", p.hold_reason, "
    "p.cancel_requested_by, " ISO("p.cancel_requested_at") ", "
    "p.cancel_reason, p.escalated_to, " ISO("p.updated_at") ", "
    ISO("p.finished_at") ", p.version "
    "FROM payouts p JOIN applications a ON a.id = p.application_id "
    "LEFT JOIN applicants ap ON ap.id = a.applicant_id "
    "JOIN payout_states st ON st.state = p.state WHERE p.id = $1::bigint";

static const char bills_sql[] =
    "SELECT t.id, t.seq, t.generation, t.out_bill_no, t.amount_fen, "
    "t.state, s.display, t.replaced_by_bill_id IS NULL, "
    "t.replaces_bill_id, t.replaced_by_bill_id, t.hold_reason, h.display, "
    "h.released, " ISO("t.hold_until") ", t.next_action, "
    ISO("t.next_attempt_at") ", t.product, t.out_batch_no, "
    "t.transfer_bill_no, t.wechat_state, t.fail_reason, "
    "t.last_error_code, t.last_error_text, t.package_info, t.attempts, "
    ISO("t.created_at") ", " ISO("t.first_sent_at") ", "
    ISO("t.succeeded_at") ", " ISO("t.final_at") " "
    "FROM transfer_bills t JOIN payout_bill_states s ON s.state = t.state "
    "LEFT JOIN payout_holds h ON h.hold = t.hold_reason "
    "WHERE t.payout_id = $1::bigint ORDER BY t.seq, t.generation";

/*
 * The newest attempts (by the payout_attempts_bill index of each bill),
 * shown oldest first, with how many there are in all.
 */
static const char attempts_sql[] =
    "SELECT x.* FROM (SELECT a.id, a.bill_id, t.out_bill_no, "
    "a.attempt_no, a.kind, " ISO("a.started_at") ", "
    ISO("a.finished_at") ", a.latency_ms, a.http_status, a.method, "
    "a.path, a.error_code, a.outcome, a.from_state, a.to_state, "
    "a.applied, a.worker, a.wechat_message, a.request_body, "
    "a.response_body, a.note, count(*) OVER () "
    "FROM payout_attempts a JOIN transfer_bills t ON t.id = a.bill_id "
    "WHERE t.payout_id = $1::bigint ORDER BY a.id DESC LIMIT 2000) x "
    "ORDER BY x.id";

static const char approvals_sql[] =
    "SELECT approver, " ISO("approved_at") ", amount_fen, note "
    "FROM payout_approvals WHERE payout_id = $1::bigint "
    "ORDER BY approved_at, approver";

/* A payout review's group as review_group_of (0021) decides it. */
static const char review_sql[] =
    "SELECT r.id, r.reason, r.state, r.assignee, "
    "coalesce(r.escalated_to, 'loandesk_oncall'), " ISO("r.opened_at")
    ", extract(epoch FROM now() - r.opened_at)::bigint, r.note "
    "FROM reviews r WHERE r.payout_id = $1::bigint AND r.kind = 'payout' "
    "AND r.state <> 'closed'";

/*
 * The payout's rows, its bills', its reviews' and its loan's: each branch
 * an audit_log_object index lookup.  Batch approvals are recorded against
 * each payout as well (payout.approve), so none is missed.
 */
static const char events_sql[] =
    "SELECT e.id, " ISO("e.at") ", e.actor, e.action, "
    "e.object_type || '/' || e.object_id, left(e.detail::text, 8192) "
    "FROM ("
    "(SELECT id, at, actor, action, object_type, object_id, detail FROM "
    "audit_log WHERE object_type = 'payout' AND object_id = $1::text "
    "ORDER BY id DESC LIMIT 200) UNION ALL "
    "(SELECT id, at, actor, action, object_type, object_id, detail FROM "
    "audit_log WHERE object_type = 'transfer_bill' AND object_id IN "
    "(SELECT id::text FROM transfer_bills WHERE payout_id = "
    "$1::text::bigint) ORDER BY id DESC LIMIT 200) UNION ALL "
    "(SELECT id, at, actor, action, object_type, object_id, detail FROM "
    "audit_log WHERE object_type = 'review' AND object_id IN "
    "(SELECT id::text FROM reviews WHERE payout_id = $1::text::bigint) "
    "ORDER BY id DESC LIMIT 200) UNION ALL "
    "(SELECT id, at, actor, action, object_type, object_id, detail FROM "
    "audit_log WHERE object_type = 'application' AND object_id = (SELECT "
    "application_id::text FROM payouts WHERE id = $1::text::bigint) "
    "ORDER BY id DESC LIMIT 200)) e ORDER BY e.id DESC LIMIT 200";

/*
 * What package_info means to the borrower's app: the bill waits for them
 * to confirm it, they did, or it is closed.
 */
static const char *
package_state(const char *bill_state, const char *package_info)
{
	if (package_info[0] == '\0')
		return "none";
	if (strcmp(bill_state, "wait_user_confirm") == 0)
		return "waiting";
	if (strcmp(bill_state, "transferring") == 0 ||
	    strcmp(bill_state, "success") == 0)
		return "confirmed";
	if (strcmp(bill_state, "fail") == 0 ||
	    strcmp(bill_state, "cancelled") == 0 ||
	    strcmp(bill_state, "cancelling") == 0)
		return "closed";
	return "issued";
}

static enum ld_status
load_part(struct ld_db *db, const char *sql, const char *idtext,
    const char *what, PGresult **res, struct ld_err *err)
{
	const char *params[1] = { idtext };

	if (ld_db_exec(db, sql, 1, params, res, err) != LD_OK)
		return ld_err_prefix(err, "payout %s: %s: ", idtext, what);
	return LD_OK;
}

enum ld_status
core_payout_load(struct ld_db *db, int64_t id, struct core_payout_detail *d,
    struct ld_err *err)
{
	PGresult *res = NULL;
	char idtext[24];
	const char *params[1] = { idtext };
	enum ld_status st;
	int i, n;

	memset(d, 0, sizeof *d);
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	st = ld_db_exec(db, header_sql, 1, params, &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "payout %s: ", idtext);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ld_err_set(err, LD_ENOTFOUND, "payout %s does not "
		    "exist", idtext);
	}
	d->id = core_val_i64(res, 0, 0);
	d->application_id = core_val_i64(res, 0, 1);
	d->applicant_id = core_val_i64(res, 0, 2);
	copy_text(d->name, sizeof d->name, core_val(res, 0, 3));
	copy_text(d->app_status, sizeof d->app_status, core_val(res, 0, 4));
	d->amount_fen = core_val_i64(res, 0, 5);
	d->paid_fen = core_val_i64(res, 0, 6);
	d->in_flight_fen = core_val_i64(res, 0, 7);
	d->held_fen = core_val_i64(res, 0, 8);
	copy_text(d->state, sizeof d->state, core_val(res, 0, 9));
	copy_text(d->state_display, sizeof d->state_display,
	    core_val(res, 0, 10));
	copy_text(d->requested_by, sizeof d->requested_by,
	    core_val(res, 0, 11));
	copy_text(d->requested_at, sizeof d->requested_at,
	    core_val(res, 0, 12));
	copy_text(d->approved_by, sizeof d->approved_by, core_val(res, 0, 13));
	copy_text(d->approved_at, sizeof d->approved_at, core_val(res, 0, 14));
	d->approvals = (int)core_val_i64(res, 0, 15);
	d->approvals_needed = (int)core_val_i64(res, 0, 16);
	d->generation = (int)core_val_i64(res, 0, 17);
	copy_text(d->held_by, sizeof d->held_by, core_val(res, 0, 18));
	copy_text(d->held_at, sizeof d->held_at, core_val(res, 0, 19));
	d->hold_reason = ld_strdup(core_val(res, 0, 20));
	copy_text(d->cancel_requested_by, sizeof d->cancel_requested_by,
	    core_val(res, 0, 21));
	copy_text(d->cancel_requested_at, sizeof d->cancel_requested_at,
	    core_val(res, 0, 22));
	d->cancel_reason = ld_strdup(core_val(res, 0, 23));
	copy_text(d->escalated_to, sizeof d->escalated_to,
	    core_val(res, 0, 24));
	copy_text(d->updated_at, sizeof d->updated_at, core_val(res, 0, 25));
	copy_text(d->finished_at, sizeof d->finished_at, core_val(res, 0, 26));
	d->version = (int)core_val_i64(res, 0, 27);
	PQclear(res);

	if ((st = load_part(db, bills_sql, idtext, "bills", &res, err)) !=
	    LD_OK)
		goto fail;
	n = PQntuples(res);
	d->bills = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *d->bills);
	for (i = 0; i < n; i++) {
		struct core_payout_bill *b = &d->bills[i];

		b->id = core_val_i64(res, i, 0);
		b->seq = (int)core_val_i64(res, i, 1);
		b->generation = (int)core_val_i64(res, i, 2);
		copy_text(b->out_bill_no, sizeof b->out_bill_no,
		    core_val(res, i, 3));
		b->amount_fen = core_val_i64(res, i, 4);
		copy_text(b->state, sizeof b->state, core_val(res, i, 5));
		copy_text(b->state_display, sizeof b->state_display,
		    core_val(res, i, 6));
		b->current = val_bool(res, i, 7);
		b->replaces_bill_id = core_val_i64(res, i, 8);
		b->replaced_by_bill_id = core_val_i64(res, i, 9);
		copy_text(b->hold, sizeof b->hold, core_val(res, i, 10));
		copy_text(b->hold_display, sizeof b->hold_display,
		    core_val(res, i, 11));
		copy_text(b->hold_released, sizeof b->hold_released,
		    core_val(res, i, 12));
		copy_text(b->hold_until, sizeof b->hold_until,
		    core_val(res, i, 13));
		copy_text(b->next_action, sizeof b->next_action,
		    core_val(res, i, 14));
		copy_text(b->next_attempt_at, sizeof b->next_attempt_at,
		    core_val(res, i, 15));
		copy_text(b->product, sizeof b->product, core_val(res, i, 16));
		copy_text(b->out_batch_no, sizeof b->out_batch_no,
		    core_val(res, i, 17));
		copy_text(b->transfer_bill_no, sizeof b->transfer_bill_no,
		    core_val(res, i, 18));
		copy_text(b->wechat_state, sizeof b->wechat_state,
		    core_val(res, i, 19));
		copy_text(b->fail_reason, sizeof b->fail_reason,
		    core_val(res, i, 20));
		copy_text(b->last_error_code, sizeof b->last_error_code,
		    core_val(res, i, 21));
		b->last_error_text = ld_strdup(core_val(res, i, 22));
		b->package_info = ld_strdup(core_val(res, i, 23));
		copy_text(b->package_state, sizeof b->package_state,
		    package_state(b->state, b->package_info));
		b->attempts = (int)core_val_i64(res, i, 24);
		copy_text(b->created_at, sizeof b->created_at,
		    core_val(res, i, 25));
		copy_text(b->first_sent_at, sizeof b->first_sent_at,
		    core_val(res, i, 26));
		copy_text(b->succeeded_at, sizeof b->succeeded_at,
		    core_val(res, i, 27));
		copy_text(b->final_at, sizeof b->final_at,
		    core_val(res, i, 28));
		d->nbills = (size_t)i + 1;
	}
	PQclear(res);

	if ((st = load_part(db, attempts_sql, idtext, "attempts", &res,
	    err)) != LD_OK)
		goto fail;
	n = PQntuples(res);
	d->attempts = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *d->attempts);
	d->attempts_total = n > 0 ? core_val_i64(res, 0, 21) : 0;
	for (i = 0; i < n; i++) {
		struct core_payout_attempt *a = &d->attempts[i];

		a->id = core_val_i64(res, i, 0);
		a->bill_id = core_val_i64(res, i, 1);
		copy_text(a->out_bill_no, sizeof a->out_bill_no,
		    core_val(res, i, 2));
		a->attempt_no = (int)core_val_i64(res, i, 3);
		copy_text(a->exchange, sizeof a->exchange, core_val(res, i, 4));
		copy_text(a->started_at, sizeof a->started_at,
		    core_val(res, i, 5));
		copy_text(a->finished_at, sizeof a->finished_at,
		    core_val(res, i, 6));
		a->latency_ms = (int)val_i64_or(res, i, 7, -1);
		a->http_status = (int)val_i64_or(res, i, 8, -1);
		copy_text(a->method, sizeof a->method, core_val(res, i, 9));
		copy_text(a->path, sizeof a->path, core_val(res, i, 10));
		copy_text(a->code, sizeof a->code, core_val(res, i, 11));
		copy_text(a->outcome, sizeof a->outcome, core_val(res, i, 12));
		copy_text(a->from_state, sizeof a->from_state,
		    core_val(res, i, 13));
		copy_text(a->to_state, sizeof a->to_state,
		    core_val(res, i, 14));
		a->applied = val_bool(res, i, 15);
		copy_text(a->worker, sizeof a->worker, core_val(res, i, 16));
		a->message = ld_strdup(core_val(res, i, 17));
		a->request_body = ld_strdup(core_val(res, i, 18));
		a->response_body = ld_strdup(core_val(res, i, 19));
		a->note = ld_strdup(core_val(res, i, 20));
		d->nattempts = (size_t)i + 1;
	}
	PQclear(res);

	if ((st = load_part(db, approvals_sql, idtext, "approvals", &res,
	    err)) != LD_OK)
		goto fail;
	n = PQntuples(res);
	d->approvals_list = ld_calloc(n > 0 ? (size_t)n : 1,
	    sizeof *d->approvals_list);
	for (i = 0; i < n; i++) {
		struct core_payout_approval *a = &d->approvals_list[i];

		copy_text(a->approver, sizeof a->approver, core_val(res, i, 0));
		copy_text(a->at, sizeof a->at, core_val(res, i, 1));
		a->amount_fen = core_val_i64(res, i, 2);
		a->note = ld_strdup(core_val(res, i, 3));
		d->napprovals = (size_t)i + 1;
	}
	PQclear(res);

	if ((st = load_part(db, review_sql, idtext, "review", &res, err)) !=
	    LD_OK)
		goto fail;
	if (PQntuples(res) == 1) {
		struct core_payout_review *r = &d->review;

		r->id = core_val_i64(res, 0, 0);
		copy_text(r->reason, sizeof r->reason, core_val(res, 0, 1));
		copy_text(r->state, sizeof r->state, core_val(res, 0, 2));
		copy_text(r->assignee, sizeof r->assignee, core_val(res, 0, 3));
		copy_text(r->group, sizeof r->group, core_val(res, 0, 4));
		copy_text(r->opened_at, sizeof r->opened_at,
		    core_val(res, 0, 5));
		r->waiting_s = core_val_i64(res, 0, 6);
		r->note = ld_strdup(core_val(res, 0, 7));
	}
	PQclear(res);

	if ((st = load_part(db, events_sql, idtext, "timeline", &res, err)) !=
	    LD_OK)
		goto fail;
	n = PQntuples(res);
	d->events = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *d->events);
	for (i = 0; i < n; i++) {
		struct core_payout_event *e = &d->events[i];

		e->id = core_val_i64(res, i, 0);
		copy_text(e->at, sizeof e->at, core_val(res, i, 1));
		copy_text(e->actor, sizeof e->actor, core_val(res, i, 2));
		copy_text(e->action, sizeof e->action, core_val(res, i, 3));
		copy_text(e->object, sizeof e->object, core_val(res, i, 4));
		core_audit_detail_text(core_val(res, i, 5), e->detail,
		    sizeof e->detail);
		e->detail_json = ld_strdup(core_val(res, i, 5));
		d->nevents = (size_t)i + 1;
	}
	PQclear(res);
	return LD_OK;
fail:
	core_payout_detail_free(d);
	return st;
}

void
core_payout_detail_free(struct core_payout_detail *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nbills; i++) {
		free(d->bills[i].last_error_text);
		free(d->bills[i].package_info);
	}
	free(d->bills);
	for (i = 0; i < d->nattempts; i++) {
		free(d->attempts[i].message);
		free(d->attempts[i].request_body);
		free(d->attempts[i].response_body);
		free(d->attempts[i].note);
	}
	free(d->attempts);
	for (i = 0; i < d->napprovals; i++)
		free(d->approvals_list[i].note);
	free(d->approvals_list);
	for (i = 0; i < d->nevents; i++)
		free(d->events[i].detail_json);
	free(d->events);
	free(d->review.note);
	free(d->hold_reason);
	free(d->cancel_reason);
	memset(d, 0, sizeof *d);
}

/* 3. The finance strip --------------------------------------------------------- */

/*
 * The day's figures as the engine counts them (payout_day_used of 0022,
 * for the merchant): bills in flight whatever day they left, and bills
 * paid on the day (WeChat Pay's time of success, else ours: the
 * expression of the index transfer_bills_success_day) or sent on it.
 * The claim's own reservations are its transaction's and seen by no one
 * else.  "Waiting for my approval" is the list's filter.
 */
static const char strip_sql[] =
    "WITH d AS (SELECT payout_beijing_day(payout_now()) AS day) "
    "SELECT d.day::text, "
    "(SELECT coalesce(sum(t.amount_fen), 0) FROM transfer_bills t WHERE "
    "t.state = 'success' AND payout_beijing_day(coalesce("
    "t.wechat_updated_at, t.succeeded_at)) = d.day), "
    "(SELECT count(*) FROM transfer_bills t WHERE t.state = 'success' AND "
    "payout_beijing_day(coalesce(t.wechat_updated_at, t.succeeded_at)) = "
    "d.day), "
    "(SELECT coalesce(sum(t.amount_fen), 0) FROM transfer_bills t WHERE "
    "t.state IN " IN_FLIGHT_SQL "), "
    "(SELECT coalesce(sum(t.amount_fen), 0) FROM transfer_bills t WHERE "
    "t.counted_day = d.day AND t.state = 'success' AND "
    "payout_beijing_day(coalesce(t.wechat_updated_at, t.succeeded_at)) "
    "<> d.day), "
    "(SELECT (value #>> '{}')::bigint FROM settings WHERE key = "
    "'merchant_daily_max_fen'), "
    "(SELECT (value #>> '{}')::bigint FROM settings WHERE key = "
    "'balance_alert_fen'), "
    "c.paused, c.paused_by, " ISO("c.paused_at") ", "
    "extract(epoch FROM now() - c.paused_at)::bigint, c.pause_reason, "
    "c.channel_paused, " ISO("c.channel_paused_at") ", "
    "extract(epoch FROM now() - c.channel_paused_at)::bigint, "
    "c.channel_code, c.channel_message, "
    "(SELECT count(*) FROM payouts p WHERE p.state = 'requested'), "
    "(SELECT coalesce(sum(p.amount_fen), 0) FROM payouts p WHERE "
    "p.state = 'requested'), "
    "m.n, m.fen, "
    "b.available_fen, b.pending_fen, b.account_type, " ISO("b.at") ", "
    "extract(epoch FROM now() - b.at)::bigint, b.id IS NOT NULL, "
    "(SELECT count(*) FROM payout_alerts WHERE cleared_at IS NULL) "
    "FROM d CROSS JOIN payout_control c "
    "CROSS JOIN LATERAL (SELECT count(*) AS n, coalesce(sum(p.amount_fen), "
    "0) AS fen FROM payouts p WHERE p.state = 'requested' AND "
    "p.requested_by <> session_user::text AND NOT EXISTS (SELECT 1 FROM "
    "payout_approvals pa WHERE pa.payout_id = p.id AND pa.approver = "
    "session_user::text) AND NOT EXISTS (SELECT 1 FROM applications ad "
    "WHERE ad.id = p.application_id AND ad.decided_by = "
    "session_user::text)) m "
    "LEFT JOIN LATERAL (SELECT r.* FROM payout_balance_readings r ORDER "
    "BY r.at DESC, r.id DESC LIMIT 1) b ON true";

static const char alerts_sql[] =
    "SELECT a.id, a.kind, " ISO("a.at") ", (SELECT string_agg(k.key || "
    "'=' || k.value, ' ' ORDER BY k.key) FROM jsonb_each_text(a.detail) "
    "k) FROM payout_alerts a WHERE a.cleared_at IS NULL "
    "ORDER BY a.at DESC, a.id DESC LIMIT 8";

/* "5m", "2h 3m": how long, for the channel's words. */
static void
duration_text(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, len, "%" PRId64 "d %" PRId64 "h", s / 86400,
		    s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRId64 "h %" PRId64 "m", s / 3600,
		    s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else
		snprintf(buf, len, "%" PRId64 "s", s);
}

static void
channel_words(struct core_payout_strip *o)
{
	struct ld_buf b;
	char dur[32];

	ld_buf_init(&b, sizeof o->channel_text - 1);
	if (o->paused) {
		duration_text(o->paused_for_s, dur, sizeof dur);
		ld_buf_printf(&b, "paused by %s since %s (%s): %s",
		    o->paused_by, o->paused_at, dur, o->pause_reason);
	}
	if (o->channel_paused) {
		duration_text(o->channel_paused_for_s, dur, sizeof dur);
		ld_buf_printf(&b, "%schannel paused for balance since %s (%s)"
		    ": %s%s%s", b.len > 0 ? "; " : "", o->channel_paused_at,
		    dur, o->channel_code, o->channel_message[0] ? " " : "",
		    o->channel_message);
	}
	snprintf(o->channel_text, sizeof o->channel_text, "%s",
	    b.len > 0 ? b.data : "running");
	ld_buf_free(&b);
}

enum ld_status
core_payout_strip_load(struct core_session *s, struct core_payout_strip *o,
    struct ld_err *err)
{
	PGresult *res;
	enum ld_status st;
	int i, n;

	memset(o, 0, sizeof *o);
	st = core_session_read(s, strip_sql, 0, NULL, &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "payout figures: ");
	if (PQntuples(res) != 1 || PQnfields(res) != 28) {
		n = PQnfields(res);
		PQclear(res);
		return ld_err_set(err, LD_EPROTO, "payout figures: expected "
		    "one row of 28 columns, got %d", n);
	}
	copy_text(o->day, sizeof o->day, core_val(res, 0, 0));
	o->paid_today_fen = core_val_i64(res, 0, 1);
	o->paid_today_bills = core_val_i64(res, 0, 2);
	o->in_flight_fen = core_val_i64(res, 0, 3);
	o->day_used_fen = o->paid_today_fen + o->in_flight_fen +
	    core_val_i64(res, 0, 4);
	o->merchant_daily_max_fen = core_val_i64(res, 0, 5);
	o->balance_alert_fen = core_val_i64(res, 0, 6);
	o->paused = val_bool(res, 0, 7);
	if (o->paused) {
		copy_text(o->paused_by, sizeof o->paused_by,
		    core_val(res, 0, 8));
		copy_text(o->paused_at, sizeof o->paused_at,
		    core_val(res, 0, 9));
		o->paused_for_s = core_val_i64(res, 0, 10);
		copy_text(o->pause_reason, sizeof o->pause_reason,
		    core_val(res, 0, 11));
	}
	o->channel_paused = val_bool(res, 0, 12);
	if (o->channel_paused) {
		copy_text(o->channel_paused_at, sizeof o->channel_paused_at,
		    core_val(res, 0, 13));
		o->channel_paused_for_s = core_val_i64(res, 0, 14);
		copy_text(o->channel_code, sizeof o->channel_code,
		    core_val(res, 0, 15));
		copy_text(o->channel_message, sizeof o->channel_message,
		    core_val(res, 0, 16));
	}
	o->waiting_count = core_val_i64(res, 0, 17);
	o->waiting_fen = core_val_i64(res, 0, 18);
	o->waiting_mine_count = core_val_i64(res, 0, 19);
	o->waiting_mine_fen = core_val_i64(res, 0, 20);
	o->has_balance = val_bool(res, 0, 26);
	if (o->has_balance) {
		o->balance_fen = core_val_i64(res, 0, 21);
		o->balance_pending_fen = val_i64_or(res, 0, 22, -1);
		copy_text(o->balance_account, sizeof o->balance_account,
		    core_val(res, 0, 23));
		copy_text(o->balance_at, sizeof o->balance_at,
		    core_val(res, 0, 24));
		o->balance_age_s = core_val_i64(res, 0, 25);
	} else
		o->balance_pending_fen = -1;
	o->alerts_open = core_val_i64(res, 0, 27);
	PQclear(res);
	channel_words(o);

	st = core_session_read(s, alerts_sql, 0, NULL, &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "payout alerts: ");
	n = PQntuples(res);
	for (i = 0; i < n && i < CORE_PAYOUT_ALERTS; i++) {
		struct core_payout_alert *a = &o->alerts[i];

		a->id = core_val_i64(res, i, 0);
		copy_text(a->kind, sizeof a->kind, core_val(res, i, 1));
		copy_text(a->at, sizeof a->at, core_val(res, i, 2));
		copy_text(a->detail, sizeof a->detail, core_val(res, i, 3));
		o->nalerts = (size_t)i + 1;
	}
	PQclear(res);
	return LD_OK;
}

/* 4. The on-call dashboard ----------------------------------------------------- */

/*
 * Open payout reviews, oldest first (reviews_open of 0001), then for the
 * page only: the payout, the borrower, and the bill that failed with
 * WeChat Pay's words for it (a bill not paid, final or held first).
 */
static const char incidents_sql[] =
    "SELECT r.id, r.payout_id, p.application_id, ap.name_masked, "
    "p.amount_fen, p.state, r.reason, fb.msg, fb.out_bill_no, r.state, "
    "r.assignee, coalesce(r.escalated_to, 'loandesk_oncall'), "
    ISO("r.opened_at") ", extract(epoch FROM now() - r.opened_at)::bigint, "
    "(SELECT count(*) FROM payout_attempts x JOIN transfer_bills xt ON "
    "xt.id = x.bill_id WHERE xt.payout_id = p.id) "
    "FROM (SELECT * FROM reviews WHERE kind = 'payout' AND state <> "
    "'closed' ORDER BY opened_at, id LIMIT $1::bigint) r "
    "JOIN payouts p ON p.id = r.payout_id "
    "JOIN applications a ON a.id = p.application_id "
    "LEFT JOIN applicants ap ON ap.id = a.applicant_id "
    "LEFT JOIN LATERAL (SELECT t.out_bill_no, coalesce(nullif("
    "t.last_error_text, ''), t.fail_reason, t.last_error_code) AS msg "
    "FROM transfer_bills t WHERE t.payout_id = p.id AND "
    "t.replaced_by_bill_id IS NULL AND t.state <> 'success' ORDER BY "
    "(t.state IN ('fail', 'cancelled', 'held')) DESC, t.updated_at DESC, "
    "t.id DESC LIMIT 1) fb ON true ORDER BY r.opened_at, r.id";

/*
 * Bills sending or unknown since they first left more than $1 seconds ago
 * (transfer_bills_stuck), and held bills (transfer_bills_held_since),
 * oldest first.
 */
static const char stuck_sql[] =
    "SELECT s.id, s.payout_id, s.out_bill_no, s.amount_fen, s.state, "
    ISO("s.since") ", extract(epoch FROM now() - s.since)::bigint, "
    "s.hold_reason, h.display, " ISO("s.hold_until") ", "
    "s.last_error_code, left(s.last_error_text, 250), s.next_action, "
    ISO("s.next_attempt_at") " FROM ("
    "(SELECT t.*, t.first_sent_at AS since FROM transfer_bills t WHERE "
    "t.state IN ('sending', 'unknown') AND t.first_sent_at < now() - "
    "make_interval(secs => $1::bigint) ORDER BY t.first_sent_at, t.id "
    "LIMIT $2::bigint) UNION ALL "
    "(SELECT t.*, t.held_at AS since FROM transfer_bills t WHERE t.state = "
    "'held' ORDER BY t.held_at, t.id LIMIT $2::bigint)) s "
    "LEFT JOIN payout_holds h ON h.hold = s.hold_reason "
    "ORDER BY s.since, s.id LIMIT $2::bigint";

static const char stuck_count_sql[] =
    "SELECT (SELECT count(*) FROM transfer_bills t WHERE t.state IN "
    "('sending', 'unknown') AND t.first_sent_at < now() - "
    "make_interval(secs => $1::bigint)) + (SELECT count(*) FROM "
    "transfer_bills t WHERE t.state = 'held'), "
    "(SELECT count(*) FROM reviews WHERE kind = 'payout' AND state <> "
    "'closed')";

/* The last hour by minute: exchanges by outcome, bills that ended. */
static const char minutes_sql[] =
    "WITH m AS (SELECT generate_series(date_trunc('minute', now()) - "
    "interval '59 minutes', date_trunc('minute', now()), "
    "interval '1 minute') AS at) "
    "SELECT " ISO("m.at") ", coalesce(x.success, 0), coalesce(x.pending, "
    "0), coalesce(x.retry, 0), coalesce(x.hold, 0), coalesce(x.fail, 0), "
    "coalesce(x.unknown, 0), coalesce(y.paid, 0), coalesce(y.failed, 0), "
    "coalesce(y.cancelled, 0) FROM m "
    "LEFT JOIN (SELECT date_trunc('minute', finished_at) AS at, "
    "count(*) FILTER (WHERE outcome = 'success') AS success, "
    "count(*) FILTER (WHERE outcome = 'pending') AS pending, "
    "count(*) FILTER (WHERE outcome = 'retry') AS retry, "
    "count(*) FILTER (WHERE outcome = 'hold') AS hold, "
    "count(*) FILTER (WHERE outcome = 'fail') AS fail, "
    "count(*) FILTER (WHERE outcome = 'unknown') AS unknown "
    "FROM payout_attempts WHERE finished_at >= date_trunc('minute', "
    "now()) - interval '59 minutes' GROUP BY 1) x ON x.at = m.at "
    "LEFT JOIN (SELECT date_trunc('minute', final_at) AS at, "
    "count(*) FILTER (WHERE state = 'success') AS paid, "
    "count(*) FILTER (WHERE state = 'fail') AS failed, "
    "count(*) FILTER (WHERE state = 'cancelled') AS cancelled "
    "FROM transfer_bills WHERE final_at >= date_trunc('minute', now()) - "
    "interval '59 minutes' GROUP BY 1) y ON y.at = m.at ORDER BY m.at";

/*
 * The codes of exchanges that did not go well in the last 15 minutes;
 * an exchange without a code is named by what came back.
 */
static const char codes_sql[] =
    "SELECT c.code, count(*), (array_agg(c.wechat_message ORDER BY c.id "
    "DESC) FILTER (WHERE c.wechat_message IS NOT NULL))[1] FROM ("
    "SELECT a.id, a.wechat_message, coalesce(a.error_code, CASE WHEN "
    "a.http_status IS NULL THEN 'NO_ANSWER' ELSE 'HTTP_' || "
    "a.http_status END) AS code FROM payout_attempts a WHERE "
    "a.finished_at >= now() - interval '15 minutes' AND a.outcome IN "
    "('retry', 'hold', 'fail', 'unknown')) c GROUP BY c.code "
    "ORDER BY count(*) DESC, c.code LIMIT 10";

static const char daemons_sql[] =
    "SELECT worker, login, " ISO("started_at") ", " ISO("seen_at") ", "
    "extract(epoch FROM now() - seen_at)::bigint, seen_at >= now() - "
    "make_interval(secs => $1::bigint), left(info::text, 250) "
    "FROM payout_daemons ORDER BY worker LIMIT 100";

/*
 * Due now by the engine's clock (transfer_bills_due), as the claim hands
 * them out: a create only for a payout approved or sending and not being
 * cancelled.  And held bills.
 */
static const char queue_sql[] =
    "SELECT count(*) FILTER (WHERE t.next_action = 'create' AND "
    "t.next_attempt_at <= payout_now() AND p.state IN ('approved', "
    "'sending') AND p.cancel_requested_at IS NULL), count(*) FILTER (WHERE "
    "t.next_action = 'query' AND t.next_attempt_at <= payout_now()), "
    "count(*) FILTER (WHERE t.next_action = 'cancel' AND "
    "t.next_attempt_at <= payout_now()), coalesce(extract(epoch FROM "
    "payout_now() - min(t.next_attempt_at) FILTER (WHERE "
    "t.next_attempt_at <= payout_now()))::bigint, 0), count(*), "
    "(SELECT count(*) FROM transfer_bills h WHERE h.state = 'held') "
    "FROM transfer_bills t JOIN payouts p ON p.id = t.payout_id "
    "WHERE t.next_action <> 'none'";

/* 48 half hours back from now: each an index range of the readings. */
static const char balance_sql[] =
    "SELECT " ISO("b.lo") ", min(r.available_fen), (array_agg("
    "r.available_fen ORDER BY r.at DESC, r.id DESC))[1], count(r.id) "
    "FROM (SELECT i, now() - interval '24 hours' + i * interval "
    "'30 minutes' AS lo FROM generate_series(0, 47) i) b "
    "LEFT JOIN payout_balance_readings r ON r.at >= b.lo AND r.at < b.lo "
    "+ interval '30 minutes' GROUP BY b.i, b.lo ORDER BY b.i";

static enum ld_status
oncall_incidents(struct core_session *s, size_t limit,
    struct core_payout_oncall *o, struct ld_err *err)
{
	char lim[24];
	const char *params[1] = { lim };
	PGresult *res;
	int i, n;

	snprintf(lim, sizeof lim, "%zu", limit);
	if (core_session_read(s, incidents_sql, 1, params, &res, err) !=
	    LD_OK)
		return ld_err_prefix(err, "failed payouts: ");
	n = PQntuples(res);
	o->incidents = ld_calloc(n > 0 ? (size_t)n : 1,
	    sizeof *o->incidents);
	for (i = 0; i < n; i++) {
		struct core_payout_incident *x = &o->incidents[i];

		x->review_id = core_val_i64(res, i, 0);
		x->payout_id = core_val_i64(res, i, 1);
		x->application_id = core_val_i64(res, i, 2);
		copy_text(x->name, sizeof x->name, core_val(res, i, 3));
		x->amount_fen = core_val_i64(res, i, 4);
		copy_text(x->payout_state, sizeof x->payout_state,
		    core_val(res, i, 5));
		copy_text(x->code, sizeof x->code, core_val(res, i, 6));
		copy_text(x->message, sizeof x->message, core_val(res, i, 7));
		copy_text(x->out_bill_no, sizeof x->out_bill_no,
		    core_val(res, i, 8));
		copy_text(x->review_state, sizeof x->review_state,
		    core_val(res, i, 9));
		copy_text(x->assignee, sizeof x->assignee,
		    core_val(res, i, 10));
		copy_text(x->group, sizeof x->group, core_val(res, i, 11));
		copy_text(x->opened_at, sizeof x->opened_at,
		    core_val(res, i, 12));
		x->waiting_s = core_val_i64(res, i, 13);
		x->attempts = core_val_i64(res, i, 14);
	}
	o->nincidents = (size_t)n;
	PQclear(res);
	return LD_OK;
}

static enum ld_status
oncall_stuck(struct core_session *s, int64_t after_s, size_t limit,
    struct core_payout_oncall *o, struct ld_err *err)
{
	char secs[24], lim[24];
	const char *params[2] = { secs, lim };
	PGresult *res;
	int i, n;

	snprintf(secs, sizeof secs, "%" PRId64, after_s);
	snprintf(lim, sizeof lim, "%zu", limit);
	if (core_session_read(s, stuck_sql, 2, params, &res, err) != LD_OK)
		return ld_err_prefix(err, "stuck bills: ");
	n = PQntuples(res);
	o->stuck = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *o->stuck);
	for (i = 0; i < n; i++) {
		struct core_payout_stuck *x = &o->stuck[i];

		x->bill_id = core_val_i64(res, i, 0);
		x->payout_id = core_val_i64(res, i, 1);
		copy_text(x->out_bill_no, sizeof x->out_bill_no,
		    core_val(res, i, 2));
		x->amount_fen = core_val_i64(res, i, 3);
		copy_text(x->state, sizeof x->state, core_val(res, i, 4));
		copy_text(x->since, sizeof x->since, core_val(res, i, 5));
		x->age_s = core_val_i64(res, i, 6);
		copy_text(x->hold, sizeof x->hold, core_val(res, i, 7));
		copy_text(x->hold_display, sizeof x->hold_display,
		    core_val(res, i, 8));
		copy_text(x->hold_until, sizeof x->hold_until,
		    core_val(res, i, 9));
		copy_text(x->last_error_code, sizeof x->last_error_code,
		    core_val(res, i, 10));
		copy_text(x->last_error_text, sizeof x->last_error_text,
		    core_val(res, i, 11));
		copy_text(x->next_action, sizeof x->next_action,
		    core_val(res, i, 12));
		copy_text(x->next_attempt_at, sizeof x->next_attempt_at,
		    core_val(res, i, 13));
	}
	o->nstuck = (size_t)n;
	PQclear(res);
	if (core_session_read(s, stuck_count_sql, 1, params, &res, err) !=
	    LD_OK)
		return ld_err_prefix(err, "stuck bills: ");
	if (PQntuples(res) == 1) {
		o->stuck_total = core_val_i64(res, 0, 0);
		o->incidents_total = core_val_i64(res, 0, 1);
	}
	PQclear(res);
	return LD_OK;
}

static enum ld_status
oncall_activity(struct core_session *s, struct core_payout_oncall *o,
    struct ld_err *err)
{
	PGresult *res;
	int i, k, n;

	if (core_session_read(s, minutes_sql, 0, NULL, &res, err) != LD_OK)
		return ld_err_prefix(err, "the last hour: ");
	n = PQntuples(res);
	for (i = 0; i < n && i < CORE_PAYOUT_MINUTES; i++) {
		struct core_payout_minute *m = &o->minutes[i];

		copy_text(m->at, sizeof m->at, core_val(res, i, 0));
		for (k = 0; k < CORE_PAYOUT_OUTCOMES; k++)
			m->exchanges[k] = core_val_i64(res, i, 1 + k);
		m->paid = core_val_i64(res, i, 7);
		m->failed = core_val_i64(res, i, 8);
		m->cancelled = core_val_i64(res, i, 9);
	}
	PQclear(res);
	if (core_session_read(s, codes_sql, 0, NULL, &res, err) != LD_OK)
		return ld_err_prefix(err, "error codes: ");
	n = PQntuples(res);
	for (i = 0; i < n && i < CORE_PAYOUT_CODES; i++) {
		struct core_payout_code *c = &o->codes[i];

		copy_text(c->code, sizeof c->code, core_val(res, i, 0));
		c->n = core_val_i64(res, i, 1);
		copy_text(c->message, sizeof c->message, core_val(res, i, 2));
		o->ncodes = (size_t)i + 1;
	}
	PQclear(res);
	return LD_OK;
}

static enum ld_status
oncall_daemons(struct core_session *s, int64_t alive_s,
    struct core_payout_oncall *o, struct ld_err *err)
{
	char secs[24];
	const char *params[1] = { secs };
	PGresult *res;
	int i, n;

	snprintf(secs, sizeof secs, "%" PRId64, alive_s);
	if (core_session_read(s, daemons_sql, 1, params, &res, err) != LD_OK)
		return ld_err_prefix(err, "daemons: ");
	n = PQntuples(res);
	o->daemons = ld_calloc(n > 0 ? (size_t)n : 1, sizeof *o->daemons);
	for (i = 0; i < n; i++) {
		struct core_payout_daemon *d = &o->daemons[i];

		copy_text(d->worker, sizeof d->worker, core_val(res, i, 0));
		copy_text(d->login, sizeof d->login, core_val(res, i, 1));
		copy_text(d->started_at, sizeof d->started_at,
		    core_val(res, i, 2));
		copy_text(d->seen_at, sizeof d->seen_at, core_val(res, i, 3));
		d->seen_age_s = core_val_i64(res, i, 4);
		d->alive = val_bool(res, i, 5);
		copy_text(d->info, sizeof d->info, core_val(res, i, 6));
		if (d->alive)
			o->daemons_alive++;
	}
	o->ndaemons = (size_t)n;
	PQclear(res);

	if (core_session_read(s, queue_sql, 0, NULL, &res, err) != LD_OK)
		return ld_err_prefix(err, "queue depth: ");
	if (PQntuples(res) == 1) {
		o->due_create = core_val_i64(res, 0, 0);
		o->due_query = core_val_i64(res, 0, 1);
		o->due_cancel = core_val_i64(res, 0, 2);
		o->oldest_due_s = core_val_i64(res, 0, 3);
		o->waiting_bills = core_val_i64(res, 0, 4);
		o->held_bills = core_val_i64(res, 0, 5);
	}
	PQclear(res);

	if (core_session_read(s, balance_sql, 0, NULL, &res, err) != LD_OK)
		return ld_err_prefix(err, "balance readings: ");
	n = PQntuples(res);
	for (i = 0; i < n && i < CORE_PAYOUT_SPARK; i++) {
		struct core_payout_balance_point *p = &o->balance[i];

		copy_text(p->at, sizeof p->at, core_val(res, i, 0));
		p->low_fen = core_val_i64(res, i, 1);
		p->last_fen = core_val_i64(res, i, 2);
		p->readings = (int)core_val_i64(res, i, 3);
		o->nbalance = (size_t)i + 1;
	}
	PQclear(res);
	return LD_OK;
}

enum ld_status
core_payout_oncall_load(struct core_session *s, int64_t stuck_after_s,
    int64_t alive_s, size_t limit, struct core_payout_oncall *o,
    struct ld_err *err)
{
	enum ld_status st;

	memset(o, 0, sizeof *o);
	if (limit == 0 || limit > 1000)
		limit = 1000;
	if (stuck_after_s < 0)
		stuck_after_s = 0;
	if ((st = oncall_incidents(s, limit, o, err)) != LD_OK ||
	    (st = oncall_stuck(s, stuck_after_s, limit, o, err)) != LD_OK ||
	    (st = oncall_activity(s, o, err)) != LD_OK ||
	    (st = oncall_daemons(s, alive_s, o, err)) != LD_OK) {
		core_payout_oncall_free(o);
		return st;
	}
	return LD_OK;
}

void
core_payout_oncall_free(struct core_payout_oncall *o)
{
	if (o == NULL)
		return;
	free(o->incidents);
	free(o->stuck);
	free(o->daemons);
	memset(o, 0, sizeof *o);
}

/* 5. Previews -------------------------------------------------------------------- */

static const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Whole numbers only: every figure here is an integer below 2^53. */
static int64_t
json_i64(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static enum ld_status
preview_bills(const char *json, struct core_payout_preview *p,
    struct ld_err *err)
{
	cJSON *arr = cJSON_Parse(json), *e;
	size_t i = 0, n;

	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return ld_err_set(err, LD_EPROTO, "the preview's bills are "
		    "not a JSON array");
	}
	n = (size_t)cJSON_GetArraySize(arr);
	p->bills = ld_calloc(n > 0 ? n : 1, sizeof *p->bills);
	cJSON_ArrayForEach(e, arr) {
		struct core_payout_bill_plan *b = &p->bills[i++];

		b->bill_id = json_i64(e, "bill_id");
		b->seq = (int)json_i64(e, "seq");
		b->generation = (int)json_i64(e, "generation");
		copy_text(b->out_bill_no, sizeof b->out_bill_no,
		    json_str(e, "out_bill_no"));
		b->amount_fen = json_i64(e, "amount_fen");
		copy_text(b->state, sizeof b->state, json_str(e, "state"));
		copy_text(b->fate, sizeof b->fate, json_str(e, "fate"));
		copy_text(b->new_out_bill_no, sizeof b->new_out_bill_no,
		    json_str(e, "new_out_bill_no"));
	}
	p->nbills = i;
	cJSON_Delete(arr);
	return LD_OK;
}

enum ld_status
core_payout_approve_preview(struct ld_db *db, int64_t id,
    struct core_payout_preview *p, struct ld_err *err)
{
	char idtext[24];
	const char *params[1] = { idtext };
	PGresult *res;
	enum ld_status st;

	memset(p, 0, sizeof *p);
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	st = ld_db_exec(db, "SELECT allowed, refusal_state, why, amount_fen, "
	    "approvals, approvals_after, needed, completes, outcome, "
	    "approvers, bills::text FROM api.payout_approve_preview("
	    "$1::bigint)", 1, params, &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "payout %s: ", idtext);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ld_err_set(err, LD_EPROTO, "payout %s: the approval "
		    "preview gave no verdict", idtext);
	}
	p->allowed = val_bool(res, 0, 0);
	copy_text(p->refusal_state, sizeof p->refusal_state,
	    core_val(res, 0, 1));
	copy_text(p->why, sizeof p->why, core_val(res, 0, 2));
	p->amount_fen = core_val_i64(res, 0, 3);
	p->approvals = (int)core_val_i64(res, 0, 4);
	p->approvals_after = (int)core_val_i64(res, 0, 5);
	p->approvals_needed = (int)core_val_i64(res, 0, 6);
	p->completes = val_bool(res, 0, 7);
	copy_text(p->outcome, sizeof p->outcome, core_val(res, 0, 8));
	copy_text(p->approvers, sizeof p->approvers, core_val(res, 0, 9));
	st = preview_bills(core_val(res, 0, 10), p, err);
	PQclear(res);
	if (st != LD_OK)
		return ld_err_prefix(err, "payout %s: ", idtext);
	return LD_OK;
}

enum ld_status
core_payout_retry_preview(struct ld_db *db, int64_t id,
    struct core_payout_preview *p, struct ld_err *err)
{
	char idtext[24];
	const char *params[1] = { idtext };
	PGresult *res;
	enum ld_status st;

	memset(p, 0, sizeof *p);
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	st = ld_db_exec(db, "SELECT allowed, refusal_state, why, generation, "
	    "note_required, bills::text FROM api.payout_retry_preview("
	    "$1::bigint)", 1, params, &res, err);
	if (st != LD_OK)
		return ld_err_prefix(err, "payout %s: ", idtext);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ld_err_set(err, LD_EPROTO, "payout %s: the retry "
		    "preview gave no verdict", idtext);
	}
	p->allowed = val_bool(res, 0, 0);
	copy_text(p->refusal_state, sizeof p->refusal_state,
	    core_val(res, 0, 1));
	copy_text(p->why, sizeof p->why, core_val(res, 0, 2));
	p->generation = (int)core_val_i64(res, 0, 3);
	p->note_required = val_bool(res, 0, 4);
	st = preview_bills(core_val(res, 0, 5), p, err);
	PQclear(res);
	if (st != LD_OK)
		return ld_err_prefix(err, "payout %s: ", idtext);
	return LD_OK;
}

void
core_payout_preview_free(struct core_payout_preview *p)
{
	if (p == NULL)
		return;
	free(p->bills);
	p->bills = NULL;
	p->nbills = 0;
}

/* 6. Actions ---------------------------------------------------------------------- */

const char *
core_payout_group_role(const char *name)
{
	static const char *const groups[][2] = {
		{ "finance", "loandesk_finance" },
		{ "oncall", "loandesk_oncall" },
		{ "admin", "loandesk_admin" },
	};
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (strcmp(name, groups[i][0]) == 0 ||
		    strcmp(name, groups[i][1]) == 0)
			return groups[i][1];
	return NULL;
}

/*
 * The database's refusal as the operator reads it: its words without the
 * " [SQLSTATE]" ld_db appends, which goes to out->sqlstate for a detail
 * line, and said once about what (most messages name the payout first).
 */
static enum ld_status
refusal(struct ld_db *db, const char *what, enum ld_status st,
    struct core_payout_done *out, struct ld_err *err)
{
	char tail[16];
	size_t n, t;

	if (st == LD_ECONFLICT && strcmp(db->sqlstate, "55P03") == 0)
		core_lock_timeout_explain(db, what, err);
	copy_text(out->sqlstate, sizeof out->sqlstate, db->sqlstate);
	if (err == NULL)
		return st;
	if (out->sqlstate[0] != '\0') {
		snprintf(tail, sizeof tail, " [%s]", out->sqlstate);
		n = strlen(err->msg);
		t = strlen(tail);
		if (n >= t && strcmp(err->msg + n - t, tail) == 0)
			err->msg[n - t] = '\0';
	}
	n = strlen(what);
	if (strncmp(err->msg, what, n) != 0 ||
	    (err->msg[n] != ' ' && err->msg[n] != ':'))
		ld_err_prefix(err, "%s: ", what);
	err->code = st;
	return st;
}

/* One api call; its single value into out->result. */
static enum ld_status
action(struct ld_db *db, const char *what, const char *sql, int n,
    const char *const *params, struct core_payout_done *out,
    struct ld_err *err)
{
	PGresult *res;
	enum ld_status st;

	memset(out, 0, sizeof *out);
	st = ld_db_exec(db, sql, n, params, &res, err);
	if (st != LD_OK)
		return refusal(db, what, st, out, err);
	copy_text(out->result, sizeof out->result,
	    PQntuples(res) == 1 ? core_val(res, 0, 0) : "");
	PQclear(res);
	return LD_OK;
}

enum ld_status
core_payout_approve(struct ld_db *db, int64_t id, const char *note,
    struct core_payout_done *out, struct ld_err *err)
{
	char idtext[24], what[40];
	const char *params[2] = { idtext, note };
	enum ld_status st;

	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	snprintf(what, sizeof what, "payout %s", idtext);
	st = action(db, what, "SELECT api.payout_approve($1::bigint, $2)", 2,
	    params, out, err);
	if (st != LD_OK)
		return st;
	if (strcmp(out->result, "approved") == 0)
		snprintf(out->words, sizeof out->words, "payout %s approved: "
		    "its bills are due to be sent", idtext);
	else
		snprintf(out->words, sizeof out->words, "payout %s: approval "
		    "%s recorded; a second, different finance approver is "
		    "needed before anything is sent", idtext, out->result);
	return LD_OK;
}

enum ld_status
core_payout_approve_batch(struct ld_db *db, const int64_t *ids, size_t n,
    int expected_count, int64_t expected_total_fen, const char *note,
    struct core_payout_done *out, struct ld_err *err)
{
	struct ld_buf arr;
	char count[24], total[24], money[40], what[64];
	const char *params[4];
	enum ld_status st;
	size_t i;

	ld_buf_init(&arr, 0);
	ld_buf_puts(&arr, "{");
	for (i = 0; i < n; i++)
		ld_buf_printf(&arr, "%s%" PRId64, i ? "," : "", ids[i]);
	ld_buf_puts(&arr, "}");
	snprintf(count, sizeof count, "%d", expected_count);
	snprintf(total, sizeof total, "%" PRId64, expected_total_fen);
	params[0] = arr.data;
	params[1] = count;
	params[2] = total;
	params[3] = note;
	ld_money_format(expected_total_fen, 0, money, sizeof money);
	snprintf(what, sizeof what, "batch of %d payouts for %s",
	    expected_count, money);
	st = action(db, what, "SELECT api.payout_approve_batch($1::bigint[], "
	    "$2::integer, $3::bigint, $4)", 4, params, out, err);
	ld_buf_free(&arr);
	if (st != LD_OK)
		return st;
	snprintf(out->words, sizeof out->words, "%s: %s", what, out->result);
	return LD_OK;
}

/* sql takes the id as $1 and, when nparams is 2, text as $2. */
static enum ld_status
id_text_action(struct ld_db *db, int64_t id, const char *sql, int nparams,
    const char *text, const char *done, struct core_payout_done *out,
    struct ld_err *err)
{
	char idtext[24], what[40];
	const char *params[2] = { idtext, text };
	enum ld_status st;

	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	snprintf(what, sizeof what, "payout %s", idtext);
	st = action(db, what, sql, nparams, params, out, err);
	if (st != LD_OK)
		return st;
	snprintf(out->words, sizeof out->words, "payout %s %s (it is %s)",
	    idtext, done, out->result);
	return LD_OK;
}

enum ld_status
core_payout_hold(struct ld_db *db, int64_t id, const char *reason,
    struct core_payout_done *out, struct ld_err *err)
{
	return id_text_action(db, id, "SELECT api.payout_hold($1::bigint, $2)",
	    2, reason, "held: nothing new is sent for it", out, err);
}

enum ld_status
core_payout_release(struct ld_db *db, int64_t id,
    struct core_payout_done *out, struct ld_err *err)
{
	return id_text_action(db, id, "SELECT api.payout_release($1::bigint)",
	    1, NULL, "released", out, err);
}

enum ld_status
core_payout_cancel(struct ld_db *db, int64_t id, const char *reason,
    struct core_payout_done *out, struct ld_err *err)
{
	char idtext[24], what[40];
	const char *params[2] = { idtext, reason };
	enum ld_status st;

	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	snprintf(what, sizeof what, "payout %s", idtext);
	st = action(db, what, "SELECT api.payout_cancel($1::bigint, $2)", 2,
	    params, out, err);
	if (st != LD_OK)
		return st;
	/* A bill waiting for the borrower is cancelled at WeChat Pay first. */
	if (strcmp(out->result, "cancelled") == 0)
		snprintf(out->words, sizeof out->words, "payout %s cancelled: "
		    "nothing more is sent and its loan is cancelled", idtext);
	else
		snprintf(out->words, sizeof out->words, "payout %s: %s", idtext,
		    out->result);
	return LD_OK;
}

enum ld_status
core_payout_retry(struct ld_db *db, int64_t id, const char *note,
    struct core_payout_done *out, struct ld_err *err)
{
	return id_text_action(db, id, "SELECT api.payout_retry($1::bigint, "
	    "$2)", 2, note, "retried: its failed bills go again under new "
	    "numbers", out, err);
}

enum ld_status
core_payout_escalate(struct ld_db *db, int64_t id, const char *group,
    const char *note, struct core_payout_done *out, struct ld_err *err)
{
	char idtext[24], what[40];
	const char *role = core_payout_group_role(group);
	const char *params[3];
	enum ld_status st;

	memset(out, 0, sizeof *out);
	snprintf(idtext, sizeof idtext, "%" PRId64, id);
	if (role == NULL)
		return ld_err_set(err, LD_EINVAL, "payout %s: escalate to "
		    "finance, oncall or admin, not \"%s\"", idtext,
		    group != NULL ? group : "");
	snprintf(what, sizeof what, "payout %s", idtext);
	params[0] = idtext;
	params[1] = role;
	params[2] = note;
	st = action(db, what, "SELECT api.payout_escalate($1::bigint, $2, "
	    "$3)", 3, params, out, err);
	if (st != LD_OK)
		return st;
	snprintf(out->words, sizeof out->words, "payout %s: review %s is now "
	    "%s's to work", idtext, out->result, role);
	return LD_OK;
}

enum ld_status
core_payouts_pause(struct ld_db *db, const char *reason,
    struct core_payout_done *out, struct ld_err *err)
{
	const char *params[1] = { reason };
	enum ld_status st;

	st = action(db, "payouts", "SELECT api.payouts_pause($1)", 1, params,
	    out, err);
	if (st != LD_OK)
		return st;
	snprintf(out->words, sizeof out->words, "payouts paused: no new "
	    "transfer is started; those already sent are still followed");
	return LD_OK;
}

enum ld_status
core_payouts_resume(struct ld_db *db, const char *note,
    struct core_payout_done *out, struct ld_err *err)
{
	const char *params[1] = { note };
	enum ld_status st;

	st = action(db, "payouts", "SELECT api.payouts_resume($1)", 1, params,
	    out, err);
	if (st != LD_OK)
		return st;
	snprintf(out->words, sizeof out->words, "payouts resumed: due "
	    "transfers are sent again");
	return LD_OK;
}

enum ld_status
core_payouts_parse_expect(const char *text, int *count, int64_t *total_fen,
    struct ld_err *err)
{
	struct ld_err e;
	char buf[64], *end;
	const char *p;
	long long v;
	size_t n;

	p = skip_space(text);
	errno = 0;
	v = isdigit((unsigned char)*p) ? strtoll(p, &end, 10) : -1;
	if (v < 1 || v > 1000 || errno != 0)
		return ld_err_set(err, LD_EINVAL, "\"%s\": first the number of "
		    "payouts shown (1 to 1000), then their total, as "
		    "\"12 / 34,500.00\"", text);
	p = skip_space(end);
	if (*p == '/')
		p = skip_space(p + 1);
	else if (p == end)
		return ld_err_set(err, LD_EINVAL, "\"%s\": the count and the "
		    "total are separated by \" / \"", text);
	snprintf(buf, sizeof buf, "%s", p);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	if (n == 0)
		return ld_err_set(err, LD_EINVAL, "\"%s\": the total in yuan "
		    "is missing after the count", text);
	ld_err_clear(&e);
	if (ld_money_parse_yuan(buf, total_fen, &e) != LD_OK)
		return ld_err_set(err, LD_EINVAL, "\"%s\": the total: %s", text,
		    e.msg);
	*count = (int)v;
	return LD_OK;
}
