/*
 * Integration: the payout use cases of src/core/core_payouts.c against a
 * real throwaway PostgreSQL, as finance, on-call, risk and admin logins.
 * Payouts are put in every state through the api functions the daemon
 * calls (claim, sending, record, callback, balance, heartbeat), never by
 * the daemon itself; what the use cases return is checked against
 * superuser queries written independently of theirs.
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core_payouts.h"
#include "core_session.h"
#include "ld_buf.h"
#include "ld_db.h"
#include "ld_migrate.h"
#include "ld_paths.h"
#include "ld_sql.h"
#include "ld_test.h"
#include "ld_testdb.h"

#define BILL_PATH "/v3/fund-app/mch-transfer/transfer-bills"
#define OPENID "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"

static struct ld_testdb tdb;
static struct ld_db su, daemon_db, risk_db;
static struct core_session *fin1, *fin2, *fin3, *oncall, *admin, *risk;

/* 0. Helpers --------------------------------------------------------------- */

static void __attribute__((format(printf, 1, 2)))
su_exec(const char *fmt, ...)
{
	char sql[8192];
	struct ld_err err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	ld_err_clear(&err);
	if (ld_db_cmd(&su, sql, &err) != LD_OK)
		fprintf(stderr, "su_exec: %s: %s\n", sql, err.msg);
	CU_ASSERT_EQUAL_FATAL(err.code, LD_OK);
}

static void __attribute__((format(printf, 3, 4)))
su_text(char *out, size_t len, const char *fmt, ...)
{
	char sql[8192];
	struct ld_err err;
	PGresult *r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	out[0] = '\0';
	if (ld_db_exec(&su, sql, 0, NULL, &r, &err) != LD_OK) {
		fprintf(stderr, "su_text: %s: %s\n", sql, err.msg);
		CU_FAIL("superuser query failed");
		return;
	}
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

static int64_t __attribute__((format(printf, 1, 2)))
su_i64(const char *fmt, ...)
{
	char sql[8192], out[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	su_text(out, sizeof out, "%s", sql);
	return out[0] ? strtoll(out, NULL, 10) : -1;
}

static int
make_login(const char *user, const char *group)
{
	char sql[512];
	struct ld_err err;

	snprintf(sql, sizeof sql, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM "
	    "pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN IN "
	    "ROLE %s; END IF; END $$", user, user, group);
	if (ld_db_cmd(&su, sql, &err) != LD_OK) {
		fprintf(stderr, "%s: %s\n", user, err.msg);
		return -1;
	}
	return 0;
}

static struct core_session *
session_as(const char *user, const char *group)
{
	char conninfo[128];
	struct core_session *s;
	struct ld_err err;

	if (make_login(user, group) != 0)
		return NULL;
	snprintf(conninfo, sizeof conninfo, "user=%s", user);
	s = core_session_new(conninfo, "", "test_core_payouts");
	if (core_session_connect(s, &err) != LD_OK) {
		fprintf(stderr, "%s: %s\n", user, err.msg);
		core_session_free(s);
		return NULL;
	}
	return s;
}

static int
suite_init(void)
{
	struct ld_err err;
	struct ld_migration_set set;
	int applied;

	if (ld_testdb_start(&tdb) != 0)
		return -1;
	if (ld_db_connect(&su, "", "test_core_payouts", &err) != LD_OK ||
	    ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK ||
	    ld_migrations_apply(&su, &set, NULL, &applied, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	ld_migrations_free(&set);
	if ((fin1 = session_as("c_fin1", "loandesk_finance")) == NULL ||
	    (fin2 = session_as("c_fin2", "loandesk_finance")) == NULL ||
	    (fin3 = session_as("c_fin3", "loandesk_finance")) == NULL ||
	    (oncall = session_as("c_oncall", "loandesk_oncall")) == NULL ||
	    (admin = session_as("c_admin", "loandesk_admin")) == NULL ||
	    (risk = session_as("c_risk", "loandesk_risk")) == NULL ||
	    make_login("c_daemon", "loandesk_daemon") != 0 ||
	    ld_db_connect(&daemon_db, "user=c_daemon", "test_core_payouts",
	    &err) != LD_OK ||
	    ld_db_connect(&risk_db, "user=c_risk", "test_core_payouts",
	    &err) != LD_OK) {
		fprintf(stderr, "logins: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
suite_clean(void)
{
	core_session_free(fin1);
	core_session_free(fin2);
	core_session_free(fin3);
	core_session_free(oncall);
	core_session_free(admin);
	core_session_free(risk);
	ld_db_close(&daemon_db);
	ld_db_close(&risk_db);
	ld_db_close(&su);
	ld_testdb_stop(&tdb);
	return 0;
}

/*
 * The same engine for every test: nothing paused, the default limits,
 * two finance approvers for everything, and the bills of earlier tests
 * out of the way of a claim.
 */
static void
calm(void)
{
	su_exec("DELETE FROM payout_clock");
	su_exec("UPDATE payout_control SET paused = false, channel_paused = "
	    "false");
	su_exec("UPDATE payout_alerts SET cleared_at = now() WHERE cleared_at "
	    "IS NULL");
	su_exec("UPDATE transfer_bills SET next_action = 'none', hold_until = "
	    "NULL WHERE next_action <> 'none' OR hold_until IS NOT NULL");
	su_exec("UPDATE settings SET value = (CASE key "
	    "WHEN 'per_transfer_max_fen' THEN '2000000' "
	    "WHEN 'per_user_daily_max_fen' THEN '5000000' "
	    "WHEN 'merchant_daily_max_fen' THEN '10000000000' "
	    "WHEN 'four_eyes_threshold_fen' THEN '0' "
	    "WHEN 'min_transfer_fen' THEN '10' END)::jsonb WHERE key IN "
	    "('per_transfer_max_fen', 'per_user_daily_max_fen', "
	    "'merchant_daily_max_fen', 'four_eyes_threshold_fen', "
	    "'min_transfer_fen')");
}

static void
set_setting(const char *key, const char *value)
{
	su_exec("UPDATE settings SET value = '%s' WHERE key = '%s'", value,
	    key);
}

/* A loan approved by the risk officer c_risk: its payout, requested. */
static int64_t
new_payout(int64_t amount_fen)
{
	char app[32], out[64];
	const char *p[1] = { app };
	struct ld_err err;
	PGresult *r;

	su_exec("INSERT INTO applicants (name_enc, name_bidx, name_masked, "
	    "id_no_enc, id_no_bidx, id_no_masked, phone_enc, phone_bidx, "
	    "phone_masked, openid) VALUES ('\\x01', sha256(random()::text::"
	    "bytea), '李*四', '\\x01', sha256(random()::text::bytea), "
	    "'110***********1234', '\\x01', sha256(random()::text::bytea), "
	    "'138****5678', '" OPENID "')");
	su_exec("INSERT INTO applications (applicant_id, product, amount_fen, "
	    "term_months, rate_bps, status, recommendation) SELECT max(id), "
	    "'cash', %" PRId64 ", 12, 1800, 'manual_review', 'manual_review' "
	    "FROM applicants", amount_fen);
	su_text(app, sizeof app, "SELECT max(id) FROM applications");
	out[0] = '\0';
	if (ld_db_exec(&risk_db, "SELECT api.application_decide($1::bigint, "
	    "'approve', 'VERIFIED_INCOME', 'called the employer')", 1, p, &r,
	    &err) != LD_OK)
		fprintf(stderr, "decide: %s\n", err.msg);
	else {
		snprintf(out, sizeof out, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	CU_ASSERT_STRING_EQUAL(out, "approved");
	return su_i64("SELECT id FROM payouts WHERE application_id = %s", app);
}

/* Approved by two finance logins through the use case. */
static void
approve_fully(int64_t id)
{
	struct core_payout_done d;
	struct ld_err err;

	CU_ASSERT_EQUAL_FATAL(core_payout_approve(core_session_primary(fin1),
	    id, "contract checked", &d, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(d.result, "1 of 2");
	if (core_payout_approve(core_session_primary(fin2), id, NULL, &d,
	    &err) != LD_OK)
		fprintf(stderr, "approve: %s\n", err.msg);
	CU_ASSERT_STRING_EQUAL(d.result, "approved");
}

/*
 * Claims every bill due (only this payout's: the others were calmed) and
 * stores each create's body, in the claim's transaction as the daemon
 * does; how many were sent.
 */
static int64_t
send_bills(int64_t payout)
{
	struct ld_err err;
	PGresult *r;
	int64_t n;

	su_exec("UPDATE transfer_bills SET next_action = 'none' WHERE "
	    "payout_id <> %" PRId64 " AND next_action <> 'none'", payout);
	if (ld_db_exec(&daemon_db, "SELECT count(api.payout_bill_sending("
	    "c.bill_id, 'bill', 'POST', '" BILL_PATH "', json_build_object("
	    "'appid', 'wxd930ea5d5a258f4f', 'out_bill_no', c.out_bill_no, "
	    "'transfer_scene_id', '1000', 'openid', c.openid, "
	    "'transfer_amount', c.amount_fen, 'transfer_remark', 'loan')::"
	    "text)) FROM api.payout_claim('w1', 1000) c WHERE c.action = "
	    "'create'", 0, NULL, &r, &err) != LD_OK) {
		fprintf(stderr, "claim: %s\n", err.msg);
		CU_FAIL_FATAL("claim and sending failed");
	}
	n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

static int64_t
bill_id(int64_t payout, int seq)
{
	return su_i64("SELECT id FROM transfer_bills WHERE payout_id = %"
	    PRId64 " AND seq = %d AND replaced_by_bill_id IS NULL", payout,
	    seq);
}

/*
 * An answer recorded as the daemon records it: from the state it saw, to
 * where the step takes the bill, with WeChat Pay's code, words and bill.
 */
static void
record(int64_t bill, const char *exchange, const char *from, const char *to,
    const char *outcome, const char *http, const char *code,
    const char *message, const char *answer, const char *bill_json,
    const char *next_action, int review)
{
	char id[24];
	const char *p[22];
	struct ld_err err;
	PGresult *r;

	snprintf(id, sizeof id, "%" PRId64, bill);
	p[0] = id;
	p[1] = exchange;
	p[2] = from;
	p[3] = strcmp(exchange, "query") == 0 ? "GET" : "POST";
	p[4] = BILL_PATH;
	p[5] = http;
	p[6] = code;
	p[7] = message;
	p[8] = outcome;
	p[9] = "37";
	p[10] = NULL;
	p[11] = answer;
	p[12] = "t";
	p[13] = to;
	p[14] = next_action;
	p[15] = "1000";
	p[16] = "f";
	p[17] = NULL;
	p[18] = review ? "t" : "f";
	p[19] = "f";
	p[20] = "test";
	p[21] = bill_json;
	if (ld_db_exec(&daemon_db, "SELECT api.payout_bill_record($1::bigint, "
	    "$2, $3, $4, $5, $6::integer, $7, $8, $9, $10::integer, $11, $12, "
	    "$13::boolean, $14, $15, $16::bigint, $17::boolean, $18, "
	    "$19::boolean, $20::boolean, $21, $22::jsonb)", 22, p, &r,
	    &err) != LD_OK) {
		fprintf(stderr, "record: %s\n", err.msg);
		CU_FAIL("record failed");
		return;
	}
	PQclear(r);
}

static void
callback(const char *out_bill_no, const char *to, const char *json)
{
	const char *p[3] = { out_bill_no, to, json };
	struct ld_err err;
	PGresult *r;

	if (ld_db_exec(&daemon_db, "SELECT api.payout_callback($1, $2, "
	    "$3::jsonb, 'EV-1', '{\"event_type\":\"MCHTRANSFER.BILL."
	    "FINISHED\"}')", 3, p, &r, &err) != LD_OK) {
		fprintf(stderr, "callback: %s\n", err.msg);
		CU_FAIL("callback failed");
		return;
	}
	PQclear(r);
}

static void
out_bill_no(int64_t bill, char *out, size_t len)
{
	su_text(out, len, "SELECT out_bill_no FROM transfer_bills WHERE id = %"
	    PRId64, bill);
}

/* Paid: accepted on create, then a query says SUCCESS. */
static void
pay(int64_t bill)
{
	char no[40], json[256];

	out_bill_no(bill, no, sizeof no);
	snprintf(json, sizeof json, "{\"out_bill_no\":\"%s\",\"state\":"
	    "\"SUCCESS\",\"transfer_bill_no\":\"1330000071100999991182020050700"
	    "019480001\"}", no);
	record(bill, "create", "sending", "accepted", "pending", "200", NULL,
	    NULL, "{\"state\":\"ACCEPTED\"}", NULL, "query", 0);
	record(bill, "query", "accepted", "success", "success", "200",
	    "SUCCESS", NULL, json, json, "none", 0);
}

/* Failed for good: WeChat Pay says FAIL with NAME_MISMATCH. */
static void
fail_bill(int64_t bill)
{
	char no[40], json[256];

	out_bill_no(bill, no, sizeof no);
	snprintf(json, sizeof json, "{\"out_bill_no\":\"%s\",\"state\":"
	    "\"FAIL\",\"fail_reason\":\"NAME_MISMATCH\"}", no);
	record(bill, "query", "sending", "fail", "fail", "200",
	    "NAME_MISMATCH", "收款人姓名校验不通过", json, json, "none", 1);
}

static int
has_state(const char *sqlstate_expected, const struct core_payout_done *d,
    const struct ld_err *err)
{
	int ok = strcmp(d->sqlstate, sqlstate_expected) == 0 &&
	    strstr(err->msg, "[") == NULL;

	if (!ok)
		fprintf(stderr, "expected %s, got %s: %s\n",
		    sqlstate_expected, d->sqlstate, err->msg);
	return ok;
}

/* 1. Parsing ---------------------------------------------------------------- */

static void
test_parse_commands_and_expect(void)
{
	struct core_payouts_filter f;
	struct ld_err err;
	int oldest = 0, count;
	int64_t fen;
	char buf[64];

	core_payouts_filter_clear(&f);
	CU_ASSERT_EQUAL(core_payouts_command("state failed", &f, &oldest,
	    &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(f.state, "failed");
	CU_ASSERT_EQUAL(core_payouts_command(" mine ", &f, &oldest, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(f.mine, 1);
	core_payouts_filter_describe(&f, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "state=failed mine");
	CU_ASSERT_EQUAL(core_payouts_command("oldest", &f, &oldest, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(oldest, 1);
	CU_ASSERT_EQUAL(core_payouts_command("state paid", &f, &oldest, &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "\"paid\""));
	CU_ASSERT_STRING_EQUAL(f.state, "failed");
	/* id stands alone. */
	CU_ASSERT_EQUAL(core_payouts_command("id 42", &f, &oldest, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(f.id, 42);
	CU_ASSERT_STRING_EQUAL(f.state, "");
	CU_ASSERT_EQUAL(f.mine, 0);
	CU_ASSERT_EQUAL(core_payouts_command("id -3", &f, &oldest, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(core_payouts_command("frobnicate", &f, &oldest, &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "frobnicate"));

	CU_ASSERT_EQUAL(core_payouts_parse_expect("12 / 34,500.00", &count,
	    &fen, &err), LD_OK);
	CU_ASSERT_EQUAL(count, 12);
	CU_ASSERT_EQUAL(fen, 3450000);
	CU_ASSERT_EQUAL(core_payouts_parse_expect("3 0.07", &count, &fen,
	    &err), LD_OK);
	CU_ASSERT_EQUAL(fen, 7);
	CU_ASSERT_EQUAL(core_payouts_parse_expect("12 / 34,500.001", &count,
	    &fen, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "total"));
	CU_ASSERT_EQUAL(core_payouts_parse_expect("12 /", &count, &fen,
	    &err), LD_EINVAL);
	CU_ASSERT_EQUAL(core_payouts_parse_expect("x / 1", &count, &fen,
	    &err), LD_EINVAL);
	CU_ASSERT_EQUAL(core_payouts_parse_expect("0 / 1", &count, &fen,
	    &err), LD_EINVAL);
	CU_ASSERT_STRING_EQUAL(core_payout_group_role("oncall"),
	    "loandesk_oncall");
	CU_ASSERT_PTR_NULL(core_payout_group_role("risk"));
}

/* 2. Actions by role --------------------------------------------------------- */

static void
test_actions_by_role(void)
{
	struct core_payout_done d;
	struct ld_err err;
	int64_t a, b, c;

	calm();
	set_setting("four_eyes_threshold_fen", "100000000");
	a = new_payout(300000);
	b = new_payout(400000);
	c = new_payout(500000);

	/* Approve: finance only, and not the officer who asked. */
	CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(oncall), a,
	    NULL, &d, &err), LD_EPERM);
	CU_ASSERT(has_state("42501", &d, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "payout "));
	CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(risk), a,
	    NULL, &d, &err), LD_EPERM);
	CU_ASSERT(has_state("42501", &d, &err));
	CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(admin), a,
	    NULL, &d, &err), LD_EPERM);
	CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(fin1), a,
	    "ok", &d, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(d.result, "approved");
	CU_ASSERT_STRING_EQUAL(d.sqlstate, "");
	CU_ASSERT_EQUAL(su_i64("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id = %" PRId64, a), 1);
	/* Again: the database's words, its code on the side. */
	CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(fin2), a,
	    NULL, &d, &err), LD_ECONFLICT);
	CU_ASSERT(has_state("55000", &d, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "already approved"));

	/* Hold: finance, on-call, admin; not risk. */
	CU_ASSERT_EQUAL(core_payout_hold(core_session_primary(risk), a,
	    "look", &d, &err), LD_EPERM);
	CU_ASSERT(has_state("42501", &d, &err));
	CU_ASSERT_EQUAL(core_payout_hold(core_session_primary(admin), a,
	    "look", &d, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(d.result, "held");
	CU_ASSERT_EQUAL(su_i64("SELECT count(*) FROM payouts WHERE id = %"
	    PRId64 " AND held_by = 'c_admin' AND hold_reason = 'look'", a), 1);
	CU_ASSERT_EQUAL(core_payout_hold(core_session_primary(fin1), a,
	    "again", &d, &err), LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "already held by c_admin"));
	/* Release: finance and on-call; admin has no grant. */
	CU_ASSERT_EQUAL(core_payout_release(core_session_primary(admin), a,
	    &d, &err), LD_EPERM);
	CU_ASSERT(has_state("42501", &d, &err));
	CU_ASSERT_EQUAL(core_payout_release(core_session_primary(oncall), a,
	    &d, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(d.result, "approved");
	CU_ASSERT_EQUAL(su_i64("SELECT count(*) FROM payouts WHERE id = %"
	    PRId64 " AND held_by IS NULL", a), 1);

	/* Cancel: finance and on-call; a reason is required. */
	CU_ASSERT_EQUAL(core_payout_cancel(core_session_primary(risk), b,
	    "no", &d, &err), LD_EPERM);
	CU_ASSERT_EQUAL(core_payout_cancel(core_session_primary(oncall), b,
	    "  ", &d, &err), LD_EINVAL);
	CU_ASSERT(has_state("22023", &d, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "reason is required"));
	CU_ASSERT_EQUAL(core_payout_cancel(core_session_primary(fin3), b,
	    "borrower withdrew", &d, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(d.result, "cancelled");
	CU_ASSERT_EQUAL(su_i64("SELECT count(*) FROM applications ap JOIN "
	    "payouts p ON p.application_id = ap.id WHERE p.id = %" PRId64
	    " AND ap.status = 'cancelled' AND p.state = 'cancelled'", b), 1);

	/* Retry: on-call only; c is not failed. */
	CU_ASSERT_EQUAL(core_payout_retry(core_session_primary(fin1), c,
	    "again", &d, &err), LD_EPERM);
	CU_ASSERT_EQUAL(core_payout_retry(core_session_primary(oncall), c,
	    "again", &d, &err), LD_ECONFLICT);
	CU_ASSERT(has_state("55000", &d, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "only a failed payout"));

	/* Escalate: on-call and finance; not admin, not risk. */
	CU_ASSERT_EQUAL(core_payout_escalate(core_session_primary(admin), c,
	    "finance", "please", &d, &err), LD_EPERM);
	CU_ASSERT_EQUAL(core_payout_escalate(core_session_primary(oncall), c,
	    "risk", "please", &d, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(core_payout_escalate(core_session_primary(oncall), c,
	    "finance", "the loan changed", &d, &err), LD_OK);
	CU_ASSERT_EQUAL(su_i64("SELECT id FROM reviews WHERE payout_id = %"
	    PRId64 " AND state <> 'closed' AND escalated_to = "
	    "'loandesk_finance'", c), strtoll(d.result, NULL, 10));

	/* The kill switch: finance, on-call, admin; not risk. */
	CU_ASSERT_EQUAL(core_payouts_pause(core_session_primary(risk), "x",
	    &d, &err), LD_EPERM);
	CU_ASSERT(has_state("42501", &d, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "payouts: "));
	CU_ASSERT_EQUAL(core_payouts_pause(core_session_primary(admin),
	    "incident 7", &d, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(d.result, "paused");
	CU_ASSERT_EQUAL(core_payouts_pause(core_session_primary(fin1), "x",
	    &d, &err), LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "already paused, by c_admin"));
	CU_ASSERT_EQUAL(core_payouts_resume(core_session_primary(risk), NULL,
	    &d, &err), LD_EPERM);
	CU_ASSERT_EQUAL(core_payouts_resume(core_session_primary(oncall),
	    "fixed", &d, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(d.result, "running");
	CU_ASSERT_EQUAL(su_i64("SELECT count(*) FROM payout_control WHERE NOT "
	    "paused AND resumed_by = 'c_oncall'"), 1);

	/* A payout that is not there. */
	CU_ASSERT_EQUAL(core_payout_hold(core_session_primary(fin1),
	    99999999, "x", &d, &err), LD_ENOTFOUND);
	CU_ASSERT(has_state("P0002", &d, &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "payout 99999999 does not"));
}

/* 3. The batch ------------------------------------------------------------------- */

static void
test_batch_refused_when_stale(void)
{
	struct core_payout_done d;
	struct ld_err err;
	int64_t ids[3], total, n_before;
	char msg[LD_ERR_MSG_MAX];

	calm();
	set_setting("four_eyes_threshold_fen", "100000000");
	ids[0] = new_payout(110000);
	ids[1] = new_payout(220000);
	ids[2] = new_payout(330000);
	total = 660000;
	/* What the screen showed, then one of them changed under it. */
	CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(fin2),
	    ids[1], NULL, &d, &err), LD_OK);
	n_before = su_i64("SELECT count(*) FROM payout_approvals");
	CU_ASSERT_EQUAL(core_payout_approve_batch(core_session_primary(fin1),
	    ids, 3, 3, total, "morning batch", &d, &err), LD_ECONFLICT);
	CU_ASSERT(has_state("55000", &d, &err));
	snprintf(msg, sizeof msg, "%s", err.msg);
	/* It says what it counts, what was expected, and what changed. */
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "2 approvable payout(s) for "
	    "440000 fen here, 3 for 660000 fen expected"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "is already approved"));
	/* Nothing was done. */
	CU_ASSERT_EQUAL(su_i64("SELECT count(*) FROM payout_approvals"),
	    n_before);
	CU_ASSERT_EQUAL(su_i64("SELECT count(*) FROM payouts WHERE id IN (%"
	    PRId64 ", %" PRId64 ") AND state = 'requested'", ids[0], ids[2]),
	    2);
	/* The wrong role is refused before anything is counted. */
	CU_ASSERT_EQUAL(core_payout_approve_batch(core_session_primary(oncall),
	    ids, 3, 2, 440000, NULL, &d, &err), LD_EPERM);
	/* As the database counts now: done. */
	CU_ASSERT_EQUAL(core_payout_approve_batch(core_session_primary(fin1),
	    ids, 3, 2, 440000, "morning batch", &d, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(d.result, "2 approved, 0 waiting for a second "
	    "approver");
	CU_ASSERT_EQUAL(su_i64("SELECT count(*) FROM payouts WHERE id IN (%"
	    PRId64 ", %" PRId64 ") AND state = 'approved'", ids[0], ids[2]),
	    2);
	/* The total in yuan to the fen, as an operator types it. */
	{
		int count;
		int64_t fen;

		CU_ASSERT_EQUAL(core_payouts_parse_expect("2 / 4,400.00",
		    &count, &fen, &err), LD_OK);
		CU_ASSERT_EQUAL(fen, 440000);
	}
}

/* 4. Previews agree with what the functions then do ---------------------------- */

/* The bills the database made, as "seq:out_bill_no:amount;...". */
static void
bills_made(int64_t payout, int generation, char *out, size_t len)
{
	su_text(out, len, "SELECT string_agg(seq || ':' || out_bill_no || ':' "
	    "|| amount_fen, ';' ORDER BY seq) FROM transfer_bills WHERE "
	    "payout_id = %" PRId64 " AND generation = %d", payout, generation);
}

static void
plan_text(const struct core_payout_preview *p, int new_numbers, char *out,
    size_t len)
{
	struct ld_buf b;
	size_t i;

	ld_buf_init(&b, 0);
	for (i = 0; i < p->nbills; i++) {
		const struct core_payout_bill_plan *x = &p->bills[i];

		if (new_numbers && strcmp(x->fate, "again") != 0)
			continue;
		ld_buf_printf(&b, "%s%d:%s:%" PRId64, b.len ? ";" : "",
		    x->seq, new_numbers ? x->new_out_bill_no : x->out_bill_no,
		    x->amount_fen);
	}
	snprintf(out, len, "%s", b.len ? b.data : "");
	ld_buf_free(&b);
}

static void
test_approve_preview_agrees(void)
{
	static const struct {
		int64_t amount, max, min;
	} cases[] = {
		{ 4500000, 2000000, 10 },  /* 2,000,000 x2 + 500,000 */
		{ 4000005, 2000000, 10 },  /* remainder 5 below 10 */
		{ 1999999, 2000000, 10 },  /* one bill */
		{ 450000, 200000, 100000 }, /* remainder 50,000 below the
		                               minimum */
	};
	struct core_payout_preview p;
	struct core_payout_done d;
	struct ld_err err;
	char want[4096], got[4096], pct[32];
	size_t k;
	int64_t id;

	calm();
	for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		calm();
		snprintf(pct, sizeof pct, "%" PRId64, cases[k].max);
		set_setting("per_transfer_max_fen", pct);
		snprintf(pct, sizeof pct, "%" PRId64, cases[k].min);
		set_setting("min_transfer_fen", pct);
		set_setting("per_user_daily_max_fen", "100000000000");
		id = new_payout(cases[k].amount);
		CU_ASSERT_EQUAL_FATAL(core_payout_approve_preview(
		    core_session_primary(fin1), id, &p, &err), LD_OK);
		CU_ASSERT_EQUAL(p.allowed, 1);
		CU_ASSERT_STRING_EQUAL(p.outcome, "1 of 2");
		CU_ASSERT_EQUAL(p.approvals_after, 1);
		CU_ASSERT_EQUAL(p.approvals_needed, 2);
		CU_ASSERT_EQUAL(p.completes, 0);
		CU_ASSERT_EQUAL(p.amount_fen, cases[k].amount);
		plan_text(&p, 0, want, sizeof want);
		core_payout_preview_free(&p);
		CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(fin1),
		    id, NULL, &d, &err), LD_OK);
		CU_ASSERT_STRING_EQUAL(d.result, "1 of 2");

		/* The second approver's preview: it completes it. */
		CU_ASSERT_EQUAL_FATAL(core_payout_approve_preview(
		    core_session_primary(fin2), id, &p, &err), LD_OK);
		CU_ASSERT_EQUAL(p.allowed, 1);
		CU_ASSERT_EQUAL(p.completes, 1);
		CU_ASSERT_STRING_EQUAL(p.outcome, "approved");
		CU_ASSERT_STRING_EQUAL(p.approvers, "c_fin1");
		plan_text(&p, 0, got, sizeof got);
		CU_ASSERT_STRING_EQUAL(got, want);
		core_payout_preview_free(&p);
		/* The first approver again: refused, as the function is. */
		CU_ASSERT_EQUAL_FATAL(core_payout_approve_preview(
		    core_session_primary(fin1), id, &p, &err), LD_OK);
		CU_ASSERT_EQUAL(p.allowed, 0);
		CU_ASSERT_STRING_EQUAL(p.refusal_state, "55000");
		CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(fin1),
		    id, NULL, &d, &err), LD_ECONFLICT);
		CU_ASSERT_STRING_EQUAL(d.sqlstate, p.refusal_state);
		CU_ASSERT_STRING_EQUAL(err.msg, p.why);
		core_payout_preview_free(&p);

		CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(fin2),
		    id, NULL, &d, &err), LD_OK);
		CU_ASSERT_STRING_EQUAL(d.result, "approved");
		bills_made(id, 0, got, sizeof got);
		CU_ASSERT_STRING_EQUAL(got, want);
	}

	/* Refusals agree: the requester, a role that may not. */
	calm();
	id = new_payout(500000);
	CU_ASSERT_EQUAL_FATAL(core_payout_approve_preview(
	    core_session_primary(oncall), id, &p, &err), LD_OK);
	CU_ASSERT_EQUAL(p.allowed, 0);
	CU_ASSERT_STRING_EQUAL(p.refusal_state, "42501");
	core_payout_preview_free(&p);
	CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(oncall), id,
	    NULL, &d, &err), LD_EPERM);
	CU_ASSERT_STRING_EQUAL(d.sqlstate, "42501");
	/* Risk may not even ask. */
	CU_ASSERT_EQUAL(core_payout_approve_preview(core_session_primary(risk),
	    id, &p, &err), LD_EPERM);
	core_payout_preview_free(&p);
	/* A split the settings refuse: the preview of the completing
	 * approval says so, and so does the approval. */
	set_setting("four_eyes_threshold_fen", "100000000");
	set_setting("min_transfer_fen", "600000");
	set_setting("per_transfer_max_fen", "2000000");
	CU_ASSERT_EQUAL_FATAL(core_payout_approve_preview(
	    core_session_primary(fin1), id, &p, &err), LD_OK);
	CU_ASSERT_EQUAL(p.allowed, 0);
	CU_ASSERT_STRING_EQUAL(p.refusal_state, "22023");
	CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(fin1), id,
	    NULL, &d, &err), LD_EINVAL);
	CU_ASSERT_STRING_EQUAL(d.sqlstate, "22023");
	CU_ASSERT_STRING_EQUAL(err.msg, p.why);
	core_payout_preview_free(&p);
}

static void
test_retry_preview_agrees(void)
{
	struct core_payout_preview p;
	struct core_payout_done d;
	struct ld_err err;
	char want[1024], got[1024], paid_before[1024], paid_after[1024];
	int64_t id, b1, b2, b3;
	size_t i;
	int fates = 0;

	calm();
	set_setting("per_transfer_max_fen", "100000");
	id = new_payout(250000);
	approve_fully(id);
	CU_ASSERT_EQUAL(send_bills(id), 3);
	b1 = bill_id(id, 1);
	b2 = bill_id(id, 2);
	b3 = bill_id(id, 3);
	/* Before it failed: refused, as the retry is. */
	CU_ASSERT_EQUAL_FATAL(core_payout_retry_preview(
	    core_session_primary(oncall), id, &p, &err), LD_OK);
	CU_ASSERT_EQUAL(p.allowed, 0);
	CU_ASSERT_EQUAL(core_payout_retry(core_session_primary(oncall), id,
	    "try", &d, &err), LD_ECONFLICT);
	CU_ASSERT_STRING_EQUAL(d.sqlstate, p.refusal_state);
	CU_ASSERT_STRING_EQUAL(err.msg, p.why);
	core_payout_preview_free(&p);

	pay(b1);
	fail_bill(b2);
	record(b3, "create", "sending", "accepted", "pending", "200", NULL,
	    NULL, "{\"state\":\"ACCEPTED\"}", NULL, "query", 0);
	/* b3 still at WeChat Pay: the payout fails only once b3 is final.
	 * It is cancelled by WeChat Pay (not asked): failed too. */
	record(b3, "query", "accepted", "cancelled", "fail", "200",
	    "CANCELLED", NULL, "{\"state\":\"CANCELLED\"}",
	    "{\"state\":\"CANCELLED\"}", "none", 0);
	CU_ASSERT_EQUAL(su_i64("SELECT count(*) FROM payouts WHERE id = %"
	    PRId64 " AND state = 'failed'", id), 1);

	/* Finance may look but not retry. */
	CU_ASSERT_EQUAL_FATAL(core_payout_retry_preview(
	    core_session_primary(fin1), id, &p, &err), LD_OK);
	CU_ASSERT_EQUAL(p.allowed, 0);
	CU_ASSERT_STRING_EQUAL(p.refusal_state, "42501");
	core_payout_preview_free(&p);

	CU_ASSERT_EQUAL_FATAL(core_payout_retry_preview(
	    core_session_primary(oncall), id, &p, &err), LD_OK);
	CU_ASSERT_EQUAL(p.allowed, 1);
	CU_ASSERT_EQUAL(p.generation, 1);
	CU_ASSERT_EQUAL(p.note_required, 1);
	CU_ASSERT_EQUAL(p.nbills, 3);
	for (i = 0; i < p.nbills; i++) {
		if (p.bills[i].bill_id == b1 &&
		    strcmp(p.bills[i].fate, "paid") == 0 &&
		    p.bills[i].new_out_bill_no[0] == '\0')
			fates++;
		if ((p.bills[i].bill_id == b2 || p.bills[i].bill_id == b3) &&
		    strcmp(p.bills[i].fate, "again") == 0)
			fates++;
	}
	CU_ASSERT_EQUAL(fates, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.why, "1 paid bill(s) are never sent "
	    "again"));
	plan_text(&p, 1, want, sizeof want);
	core_payout_preview_free(&p);
	su_text(paid_before, sizeof paid_before, "SELECT row_to_json(t)::text "
	    "FROM transfer_bills t WHERE id = %" PRId64, b1);

	CU_ASSERT_EQUAL(core_payout_retry(core_session_primary(oncall), id,
	    "the borrower fixed the name", &d, &err), LD_OK);
	bills_made(id, 1, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, want);
	su_text(paid_after, sizeof paid_after, "SELECT row_to_json(t)::text "
	    "FROM transfer_bills t WHERE id = %" PRId64, b1);
	CU_ASSERT_STRING_EQUAL(paid_after, paid_before);
}

/* 5. The list: correctness, roles, paging ------------------------------------- */

static void
test_list_rows_and_roles(void)
{
	struct core_payouts_filter f;
	struct core_payouts_page page;
	struct core_payout_done d;
	struct ld_err err;
	int64_t a, b, n;
	char want[256];
	size_t i;
	int seen = 0;

	calm();
	set_setting("four_eyes_threshold_fen", "100000000");
	a = new_payout(123456);
	b = new_payout(654321);
	CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(fin1), b,
	    NULL, &d, &err), LD_OK);
	CU_ASSERT_EQUAL(core_payout_hold(core_session_primary(oncall), b,
	    "bank called", &d, &err), LD_OK);

	core_payouts_filter_clear(&f);
	f.id = a;
	CU_ASSERT_EQUAL_FATAL(core_payouts_fetch(fin1, &f, 0, 0, 0, 50, &page,
	    &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(page.n, 1);
	CU_ASSERT_EQUAL(page.rows[0].id, a);
	CU_ASSERT_EQUAL(page.rows[0].amount_fen, 123456);
	CU_ASSERT_STRING_EQUAL(page.rows[0].name, "李*四");
	CU_ASSERT_STRING_EQUAL(page.rows[0].state, "requested");
	CU_ASSERT_STRING_EQUAL(page.rows[0].requested_by, "c_risk");
	CU_ASSERT_EQUAL(page.rows[0].approvals, 0);
	CU_ASSERT_EQUAL(page.rows[0].approvals_needed, 1);
	CU_ASSERT_EQUAL(page.rows[0].application_id,
	    su_i64("SELECT application_id FROM payouts WHERE id = %" PRId64,
	    a));
	core_payouts_page_free(&page);
	/* By its application's number too. */
	f.id = su_i64("SELECT application_id FROM payouts WHERE id = %" PRId64,
	    b);
	CU_ASSERT_EQUAL_FATAL(core_payouts_fetch(oncall, &f, 0, 0, 0, 50,
	    &page, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(page.n, 1);
	CU_ASSERT_EQUAL(page.rows[0].id, b);
	CU_ASSERT_STRING_EQUAL(page.rows[0].state, "held");
	CU_ASSERT_STRING_EQUAL(page.rows[0].held_by, "c_oncall");
	CU_ASSERT_STRING_EQUAL(page.rows[0].hold_reason, "bank called");
	CU_ASSERT_EQUAL(page.rows[0].approvals, 1);
	CU_ASSERT_STRING_EQUAL(page.rows[0].approvers, "c_fin1");
	core_payouts_page_free(&page);

	/* Admin reads it; risk may not (no grant on the payout tables). */
	core_payouts_filter_clear(&f);
	CU_ASSERT_EQUAL(core_payouts_fetch(admin, &f, 0, 0, 0, 10, &page,
	    &err), LD_OK);
	core_payouts_page_free(&page);
	CU_ASSERT_EQUAL(core_payouts_fetch(risk, &f, 0, 0, 0, 10, &page,
	    &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "permission denied"));

	/* Waiting for my approval: not c_fin1's once approved, c_fin2's. */
	f.mine = 1;
	CU_ASSERT_EQUAL_FATAL(core_payouts_fetch(fin1, &f, 0, 0, 0, 1000,
	    &page, &err), LD_OK);
	su_text(want, sizeof want, "SELECT count(*) FROM payouts p WHERE "
	    "p.state = 'requested' AND NOT EXISTS (SELECT FROM "
	    "payout_approvals x WHERE x.payout_id = p.id AND x.approver = "
	    "'c_fin1')");
	CU_ASSERT_EQUAL(page.n, (size_t)strtoll(want, NULL, 10));
	for (i = 0; i < page.n; i++)
		if (page.rows[i].id == a)
			seen++;
	CU_ASSERT_EQUAL(seen, 1);
	core_payouts_page_free(&page);
	CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(fin1), a,
	    NULL, &d, &err), LD_OK);
	n = 0;
	f.mine = 1;
	CU_ASSERT_EQUAL_FATAL(core_payouts_fetch(fin1, &f, 0, 0, 0, 1000,
	    &page, &err), LD_OK);
	for (i = 0; i < page.n; i++)
		if (page.rows[i].id == a)
			n++;
	CU_ASSERT_EQUAL(n, 0);
	core_payouts_page_free(&page);
}

/*
 * Inserts payouts from another connection while the pages are read; the
 * reader waits between pages until a new batch is in, so every page is
 * read with payouts inserted since the one before.
 */
struct inserter {
	pthread_mutex_t lock;
	pthread_cond_t more;
	int stop;
	int inserted;
	char error[256];
};

static void *
insert_loop(void *arg)
{
	struct inserter *in = arg;
	struct ld_db db;
	struct ld_err err;
	int stop;

	memset(&db, 0, sizeof db);
	if (ld_db_connect(&db, "", "test_core_payouts_inserter", &err) !=
	    LD_OK) {
		pthread_mutex_lock(&in->lock);
		snprintf(in->error, sizeof in->error, "%s", err.msg);
		pthread_cond_broadcast(&in->more);
		pthread_mutex_unlock(&in->lock);
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&in->lock);
		stop = in->stop;
		pthread_mutex_unlock(&in->lock);
		if (stop)
			break;
		if (ld_db_cmd(&db, "WITH ap AS (INSERT INTO applicants "
		    "(name_enc, name_bidx, name_masked, id_no_enc, id_no_bidx, "
		    "id_no_masked, phone_enc, phone_bidx, phone_masked, openid) "
		    "SELECT '\\x01', sha256(random()::text::bytea), '王*五', "
		    "'\\x01', sha256(random()::text::bytea), '1', '\\x01', "
		    "sha256(random()::text::bytea), '1', 'oX' FROM "
		    "generate_series(1, 3) RETURNING id), a AS (INSERT INTO "
		    "applications (applicant_id, product, amount_fen, "
		    "term_months, rate_bps, status, recommendation) SELECT id, "
		    "'cash', 100000, 12, 1800, 'approved', 'manual_review' FROM "
		    "ap RETURNING id) INSERT INTO payouts (application_id, "
		    "amount_fen, requested_by) SELECT id, 100000, 'c_risk' FROM "
		    "a", &err) != LD_OK) {
			pthread_mutex_lock(&in->lock);
			snprintf(in->error, sizeof in->error, "%s", err.msg);
			pthread_cond_broadcast(&in->more);
			pthread_mutex_unlock(&in->lock);
			break;
		}
		pthread_mutex_lock(&in->lock);
		in->inserted += 3;
		pthread_cond_broadcast(&in->more);
		pthread_mutex_unlock(&in->lock);
	}
	ld_db_close(&db);
	return NULL;
}

/* Between pages: until the inserter has committed another batch (a
 * minute at most: only a broken inserter takes that long). */
static void
wait_for_insert(struct inserter *in)
{
	struct timespec until;
	int n;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 60;
	pthread_mutex_lock(&in->lock);
	n = in->inserted;
	while (in->inserted == n && in->error[0] == '\0')
		if (pthread_cond_timedwait(&in->more, &in->lock, &until) != 0)
			break;
	if (in->inserted == n && in->error[0] == '\0')
		snprintf(in->error, sizeof in->error, "no insert within a "
		    "minute");
	pthread_mutex_unlock(&in->lock);
}

/* Bulk payouts straight into the tables (the list reads, it decides
 * nothing): n of them, states in turn. */
static void
bulk_payouts(int n)
{
	su_exec("INSERT INTO applicants (name_enc, name_bidx, name_masked, "
	    "id_no_enc, id_no_bidx, id_no_masked, phone_enc, phone_bidx, "
	    "phone_masked, openid) SELECT '\\x01', sha256((random() || '.' || "
	    "g)::bytea), '赵*六', '\\x01', sha256((random() || '-' || g)::"
	    "bytea), '1', '\\x01', sha256((random() || '+' || g)::bytea), '1', "
	    "'o' || g FROM generate_series(1, %d) g", n);
	su_exec("INSERT INTO applications (applicant_id, product, amount_fen, "
	    "term_months, rate_bps, status, recommendation) SELECT id, 'cash', "
	    "100000 + id, 12, 1800, 'approved', 'manual_review' FROM "
	    "applicants WHERE name_masked = '赵*六' AND NOT EXISTS (SELECT "
	    "FROM applications x WHERE x.applicant_id = applicants.id)");
	su_exec("INSERT INTO payouts (application_id, amount_fen, state, "
	    "requested_by) SELECT a.id, a.amount_fen, (ARRAY['requested', "
	    "'succeeded', 'succeeded', 'failed', 'cancelled', 'sending', "
	    "'succeeded'])[1 + a.id %% 7], 'c_risk' FROM applications a "
	    "WHERE a.status = 'approved' AND NOT EXISTS (SELECT FROM payouts "
	    "p WHERE p.application_id = a.id)");
}

/*
 * Every page of the listing, forward; the ids in order into ids.  With an
 * inserter, each page waits for new payouts first; oldest first stops
 * once past stop_beyond (the inserter would feed it for ever).
 */
static size_t
page_all(struct core_session *s, const struct core_payouts_filter *f,
    int oldest, size_t limit, int64_t *ids, size_t cap, int *ordered,
    struct inserter *in, int64_t stop_beyond, size_t *first_page)
{
	struct core_payouts_page page;
	struct ld_err err;
	int64_t after = 0, prev = oldest ? 0 : INT64_MAX;
	size_t n = 0, i, got, pages = 0;
	int more;

	*ordered = 1;
	for (;;) {
		if (in != NULL)
			wait_for_insert(in);
		if (core_payouts_fetch(s, f, oldest, after, 0, limit, &page,
		    &err) != LD_OK) {
			fprintf(stderr, "page: %s\n", err.msg);
			CU_FAIL("page failed");
			return n;
		}
		for (i = 0; i < page.n; i++) {
			if (oldest ? page.rows[i].id <= prev :
			    page.rows[i].id >= prev)
				*ordered = 0;
			prev = page.rows[i].id;
			if (n < cap)
				ids[n] = page.rows[i].id;
			n++;
		}
		if (page.n > 0)
			after = page.rows[page.n - 1].id;
		if (first_page != NULL && pages++ == 0)
			*first_page = n;
		got = page.n;
		more = page.more;
		core_payouts_page_free(&page);
		if (!more || got == 0 || (stop_beyond > 0 && after >
		    stop_beyond))
			break;
	}
	return n;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_paging_with_concurrent_inserts(void)
{
	struct core_payouts_filter f;
	struct core_payouts_page page, back;
	struct inserter in;
	struct ld_err err;
	pthread_t th;
	int64_t *before, *seen, max_before, est;
	size_t nbefore, nseen, i, j, found, first = 0, new_first;
	int ordered, oldest, exact, dup;
	char list[64];

	calm();
	bulk_payouts(1500);
	core_payouts_filter_clear(&f);
	nbefore = (size_t)su_i64("SELECT count(*) FROM payouts");
	max_before = su_i64("SELECT max(id) FROM payouts");
	before = calloc(nbefore, sizeof *before);
	seen = calloc(nbefore * 4 + 1000, sizeof *seen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
	{
		PGresult *r;

		CU_ASSERT_EQUAL_FATAL(ld_db_exec(&su, "SELECT id FROM payouts "
		    "ORDER BY id", 0, NULL, &r, &err), LD_OK);
		for (i = 0; i < nbefore; i++)
			before[i] = strtoll(PQgetvalue(r, (int)i, 0), NULL,
			    10);
		PQclear(r);
	}

	for (oldest = 0; oldest <= 1; oldest++) {
		memset(&in, 0, sizeof in);
		pthread_mutex_init(&in.lock, NULL);
		pthread_cond_init(&in.more, NULL);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, insert_loop,
		    &in), 0);
		nseen = page_all(fin1, &f, oldest, 37, seen,
		    nbefore * 4 + 1000, &ordered, &in, max_before, &first);
		pthread_mutex_lock(&in.lock);
		in.stop = 1;
		pthread_mutex_unlock(&in.lock);
		pthread_join(th, NULL);
		pthread_cond_destroy(&in.more);
		pthread_mutex_destroy(&in.lock);
		if (in.error[0] != '\0')
			fprintf(stderr, "inserter: %s\n", in.error);
		CU_ASSERT_STRING_EQUAL(in.error, "");
		CU_ASSERT(ordered);
		/*
		 * Newest first, a payout inserted meanwhile can only be on
		 * the first page (its id is above every other); oldest
		 * first, only after all the others (the order says so).
		 */
		if (!oldest)
			for (i = first; i < nseen; i++)
				if (seen[i] > max_before) {
					CU_FAIL("a newer payout on a later "
					    "page");
					break;
				}
		new_first = 0;
		for (i = 0; i < first && !oldest; i++)
			if (seen[i] > max_before)
				new_first++;
		/* Each payout there before was seen exactly once. */
		qsort(seen, nseen < nbefore * 4 + 1000 ? nseen :
		    nbefore * 4 + 1000, sizeof *seen, cmp_i64);
		found = 0;
		dup = 0;
		for (i = 0, j = 0; i < nbefore; i++) {
			while (j < nseen && seen[j] < before[i])
				j++;
			if (j < nseen && seen[j] == before[i]) {
				found++;
				if (j + 1 < nseen && seen[j + 1] == before[i])
					dup++;
			}
		}
		CU_ASSERT_EQUAL(found, nbefore);
		CU_ASSERT_EQUAL(dup, 0);
		if (!oldest) {
			CU_ASSERT_EQUAL(nseen, nbefore + new_first);
		} else {
			CU_ASSERT(nseen >= nbefore);
		}
		/* The inserts really ran beside the paging. */
		CU_ASSERT(in.inserted > 0);
		nbefore = (size_t)su_i64("SELECT count(*) FROM payouts");
		free(before);
		before = calloc(nbefore, sizeof *before);
		{
			PGresult *r;

			CU_ASSERT_EQUAL_FATAL(ld_db_exec(&su, "SELECT id FROM "
			    "payouts ORDER BY id", 0, NULL, &r, &err), LD_OK);
			for (i = 0; i < nbefore; i++)
				before[i] = strtoll(PQgetvalue(r, (int)i, 0),
				    NULL, 10);
			PQclear(r);
		}
		max_before = su_i64("SELECT max(id) FROM payouts");
		free(seen);
		seen = calloc(nbefore * 4 + 1000, sizeof *seen);
	}

	/* One state: exactly the database's own list, in order. */
	CU_ASSERT_EQUAL(core_payouts_command("state failed", &f, NULL, &err),
	    LD_OK);
	nseen = page_all(oncall, &f, 0, 50, seen, nbefore, &ordered, NULL, 0,
	    NULL);
	CU_ASSERT(ordered);
	CU_ASSERT_EQUAL((int64_t)nseen, su_i64("SELECT count(*) FROM payouts "
	    "WHERE state = 'failed'"));
	su_text(list, sizeof list, "SELECT md5(string_agg(id::text, ',' ORDER "
	    "BY id DESC)) FROM payouts WHERE state = 'failed'");
	{
		struct ld_buf b;
		char md5[64];
		const char *p[1];
		PGresult *r;

		ld_buf_init(&b, 0);
		for (i = 0; i < nseen; i++)
			ld_buf_printf(&b, "%s%" PRId64, i ? "," : "", seen[i]);
		p[0] = b.data;
		CU_ASSERT_EQUAL_FATAL(ld_db_exec(&su, "SELECT md5($1)", 1, p,
		    &r, &err), LD_OK);
		snprintf(md5, sizeof md5, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		CU_ASSERT_STRING_EQUAL(md5, list);
		ld_buf_free(&b);
	}

	/* Previous page: back from the third page's first row is the
	 * second page, rows in display order. */
	core_payouts_filter_clear(&f);
	CU_ASSERT_EQUAL_FATAL(core_payouts_fetch(fin1, &f, 0, 0, 0, 20, &page,
	    &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(page.n, 20);
	CU_ASSERT_EQUAL_FATAL(core_payouts_fetch(fin1, &f, 0,
	    page.rows[19].id, 0, 20, &back, &err), LD_OK);
	core_payouts_page_free(&page);
	page = back;
	CU_ASSERT_EQUAL_FATAL(core_payouts_fetch(fin1, &f, 0, page.rows[0].id,
	    1, 20, &back, &err), LD_OK);
	CU_ASSERT_EQUAL(back.n, 20);
	CU_ASSERT_EQUAL(back.more, 0);
	for (i = 1; i < back.n; i++) {
		CU_ASSERT(back.rows[i].id < back.rows[i - 1].id);
	}
	CU_ASSERT_EQUAL(back.rows[19].id, su_i64("SELECT min(id) FROM "
	    "(SELECT id FROM payouts ORDER BY id DESC LIMIT 20) x"));
	core_payouts_page_free(&back);
	core_payouts_page_free(&page);
	/* The last page: backward from nothing, the oldest ids, newest
	 * first still. */
	CU_ASSERT_EQUAL_FATAL(core_payouts_fetch(fin1, &f, 0, 0, 1, 5, &back,
	    &err), LD_OK);
	CU_ASSERT_EQUAL(back.n, 5);
	CU_ASSERT_EQUAL(back.rows[4].id, su_i64("SELECT min(id) FROM "
	    "payouts"));
	CU_ASSERT(back.rows[0].id > back.rows[4].id);
	core_payouts_page_free(&back);

	/* The total: counted exactly while small, estimated beyond. */
	CU_ASSERT_EQUAL(core_payouts_estimate(fin1, &f, &est, &exact, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(exact, 1);
	CU_ASSERT_EQUAL(est, su_i64("SELECT count(*) FROM payouts"));
	free(before);
	free(seen);
}

/* 6. Each page is one index range -------------------------------------------- */

static void
explain_page(const struct core_payouts_filter *f, int oldest, int64_t after,
    int backward, const char *index)
{
	struct ld_sql q;
	struct ld_buf text, plan;
	struct ld_err err;
	PGresult *r;
	int i;

	core_payouts_fetch_build(f, oldest, after, backward, 50, &q);
	ld_buf_init(&text, 0);
	ld_buf_printf(&text, "EXPLAIN %s", ld_sql_text(&q));
	CU_ASSERT_EQUAL_FATAL(ld_db_exec(&su, text.data, ld_sql_nparams(&q),
	    ld_sql_params(&q), &r, &err), LD_OK);
	ld_buf_init(&plan, 0);
	for (i = 0; i < PQntuples(r); i++)
		ld_buf_printf(&plan, "%s\n", PQgetvalue(r, i, 0));
	PQclear(r);
	if (strstr(plan.data, index) == NULL ||
	    strstr(plan.data, "Seq Scan on payouts") != NULL ||
	    strstr(plan.data, "Bitmap Heap Scan on payouts") != NULL) {
		fprintf(stderr, "want %s, plan:\n%s\n", index, plan.data);
		CU_FAIL("a page is not an index range scan");
	}
	ld_buf_free(&plan);
	ld_buf_free(&text);
	ld_sql_free(&q);
}

static void
test_pages_are_index_ranges(void)
{
	struct core_payouts_filter f;
	int64_t mid;

	/* Enough rows, and statistics, for the planner to mean it. */
	bulk_payouts(30000);
	su_exec("ANALYZE");
	mid = su_i64("SELECT id FROM payouts ORDER BY id OFFSET 15000 LIMIT "
	    "1");
	core_payouts_filter_clear(&f);
	explain_page(&f, 0, 0, 0, "Index Scan Backward using payouts_pkey");
	explain_page(&f, 0, mid, 0, "Index Scan Backward using payouts_pkey");
	explain_page(&f, 0, mid, 1, "Index Scan using payouts_pkey");
	explain_page(&f, 1, 0, 0, "Index Scan using payouts_pkey");
	explain_page(&f, 1, mid, 0, "Index Scan using payouts_pkey");
	explain_page(&f, 0, 0, 1, "Index Scan using payouts_pkey");
	snprintf(f.state, sizeof f.state, "succeeded");
	explain_page(&f, 0, 0, 0, "using payouts_state_id");
	explain_page(&f, 0, mid, 0, "using payouts_state_id");
	explain_page(&f, 1, mid, 1, "using payouts_state_id");
	core_payouts_filter_clear(&f);
	f.mine = 1;
	explain_page(&f, 0, mid, 0, "using payouts_state_id");
}

/* 7. One payout ---------------------------------------------------------------- */

static void
test_show_bills_attempts_package_info(void)
{
	struct core_payout_detail d;
	struct ld_err err;
	int64_t id, b1, b2, b3;
	char no[40], json[512], body[2048];
	size_t i;
	int requests = 0, found = 0;

	calm();
	set_setting("per_transfer_max_fen", "100000");
	id = new_payout(250000);
	approve_fully(id);
	CU_ASSERT_EQUAL(send_bills(id), 3);
	b1 = bill_id(id, 1);
	b2 = bill_id(id, 2);
	b3 = bill_id(id, 3);
	pay(b1);
	out_bill_no(b2, no, sizeof no);
	snprintf(json, sizeof json, "{\"out_bill_no\":\"%s\",\"state\":"
	    "\"WAIT_USER_CONFIRM\",\"package_info\":\"affffddafdfafddffda==\"}",
	    no);
	callback(no, "wait_user_confirm", json);
	fail_bill(b3);

	/* Risk may not read it. */
	CU_ASSERT_EQUAL(core_payout_load(core_session_primary(risk), id, &d,
	    &err), LD_EPERM);
	core_payout_detail_free(&d);
	CU_ASSERT_EQUAL(core_payout_load(core_session_primary(fin1), 99999999,
	    &d, &err), LD_ENOTFOUND);
	CU_ASSERT_EQUAL_FATAL(core_payout_load(core_session_primary(oncall),
	    id, &d, &err), LD_OK);
	CU_ASSERT_EQUAL(d.id, id);
	CU_ASSERT_EQUAL(d.amount_fen, 250000);
	CU_ASSERT_STRING_EQUAL(d.state, "failed");
	CU_ASSERT_STRING_EQUAL(d.name, "李*四");
	CU_ASSERT_EQUAL(d.paid_fen, 100000);
	CU_ASSERT_EQUAL(d.in_flight_fen, 100000);
	CU_ASSERT_EQUAL(d.approvals, 2);
	CU_ASSERT_EQUAL(d.napprovals, 2);
	CU_ASSERT_STRING_EQUAL(d.approvals_list[0].approver, "c_fin1");
	CU_ASSERT_STRING_EQUAL(d.approvals_list[0].note, "contract checked");
	CU_ASSERT_EQUAL_FATAL(d.nbills, 3);
	CU_ASSERT_STRING_EQUAL(d.bills[0].state, "success");
	CU_ASSERT_STRING_EQUAL(d.bills[1].state, "wait_user_confirm");
	CU_ASSERT_STRING_EQUAL(d.bills[1].package_info,
	    "affffddafdfafddffda==");
	CU_ASSERT_STRING_EQUAL(d.bills[1].package_state, "waiting");
	CU_ASSERT_STRING_EQUAL(d.bills[0].package_state, "none");
	CU_ASSERT_STRING_EQUAL(d.bills[2].state, "fail");
	CU_ASSERT_STRING_EQUAL(d.bills[2].fail_reason, "NAME_MISMATCH");
	CU_ASSERT_STRING_EQUAL(d.bills[2].last_error_text,
	    "收款人姓名校验不通过");
	CU_ASSERT_STRING_EQUAL(d.bills[0].transfer_bill_no,
	    "1330000071100999991182020050700019480001");
	/* Every attempt, with the bodies as stored. */
	CU_ASSERT_EQUAL(d.attempts_total, su_i64("SELECT count(*) FROM "
	    "payout_attempts a JOIN transfer_bills t ON t.id = a.bill_id "
	    "WHERE t.payout_id = %" PRId64, id));
	CU_ASSERT_EQUAL((int64_t)d.nattempts, d.attempts_total);
	CU_ASSERT_EQUAL(d.nattempts, 4);
	for (i = 0; i < d.nattempts; i++) {
		const struct core_payout_attempt *a = &d.attempts[i];

		if (i > 0) {
			CU_ASSERT(a->id > d.attempts[i - 1].id);
		}
		su_text(body, sizeof body, "SELECT coalesce(response_body, '') "
		    "FROM payout_attempts WHERE id = %" PRId64, a->id);
		CU_ASSERT_STRING_EQUAL(a->response_body, body);
		if (strcmp(a->code, "NAME_MISMATCH") == 0) {
			found++;
			CU_ASSERT_STRING_EQUAL(a->message,
			    "收款人姓名校验不通过");
			CU_ASSERT_EQUAL(a->http_status, 200);
			CU_ASSERT_EQUAL(a->latency_ms, 37);
			CU_ASSERT_STRING_EQUAL(a->outcome, "fail");
			CU_ASSERT_EQUAL(a->applied, 1);
		}
		if (strcmp(a->exchange, "callback") == 0) {
			CU_ASSERT_STRING_EQUAL(a->to_state,
			    "wait_user_confirm");
		}
	}
	CU_ASSERT_EQUAL(found, 1);
	/* The bodies of the bills as sent are the stored request. */
	su_text(body, sizeof body, "SELECT request_body FROM transfer_bills "
	    "WHERE id = %" PRId64, b1);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"out_bill_no\""));
	(void)requests;
	/* The review, with WeChat Pay's code. */
	CU_ASSERT_EQUAL(d.review.id, su_i64("SELECT id FROM reviews WHERE "
	    "payout_id = %" PRId64 " AND state <> 'closed'", id));
	CU_ASSERT_STRING_EQUAL(d.review.reason, "NAME_MISMATCH");
	CU_ASSERT_STRING_EQUAL(d.review.group, "loandesk_oncall");
	/* The timeline: approvals, the bill that failed, the review. */
	found = 0;
	for (i = 0; i < d.nevents; i++) {
		if (strcmp(d.events[i].action, "payout.approve") == 0)
			found |= 1;
		if (strcmp(d.events[i].action, "bill.fail") == 0)
			found |= 2;
		if (strcmp(d.events[i].action, "review.open") == 0)
			found |= 4;
		if (strcmp(d.events[i].action, "application.approve") == 0)
			found |= 8;
		if (i > 0) {
			CU_ASSERT(d.events[i].id < d.events[i - 1].id);
		}
	}
	CU_ASSERT_EQUAL(found, 15);
	core_payout_detail_free(&d);
}

/* 8. The finance strip ----------------------------------------------------------- */

static void
test_strip_figures(void)
{
	struct core_payout_strip st;
	struct core_payout_done d;
	struct ld_err err;
	char want[64];
	int64_t id;

	calm();
	set_setting("four_eyes_threshold_fen", "100000000");
	id = new_payout(70000);
	CU_ASSERT_EQUAL(core_payout_approve(core_session_primary(fin2), id,
	    NULL, &d, &err), LD_OK);
	CU_ASSERT_EQUAL(send_bills(id), 1);
	pay(bill_id(id, 1));
	new_payout(80000);

	CU_ASSERT_EQUAL(core_payout_strip_load(risk, &st, &err), LD_EPERM);
	CU_ASSERT_EQUAL_FATAL(core_payout_strip_load(fin1, &st, &err), LD_OK);
	/* The Beijing day by the time zone database, not the engine's
	 * arithmetic. */
	su_text(want, sizeof want, "SELECT (now() AT TIME ZONE "
	    "'Asia/Shanghai')::date::text");
	CU_ASSERT_STRING_EQUAL(st.day, want);
	CU_ASSERT_EQUAL(st.paid_today_fen, su_i64("SELECT coalesce("
	    "sum(amount_fen), 0) FROM transfer_bills WHERE state = 'success' "
	    "AND (coalesce(wechat_updated_at, succeeded_at) AT TIME ZONE "
	    "'Asia/Shanghai')::date = (now() AT TIME ZONE "
	    "'Asia/Shanghai')::date"));
	CU_ASSERT(st.paid_today_fen >= 70000);
	CU_ASSERT_EQUAL(st.in_flight_fen, su_i64("SELECT coalesce(sum("
	    "amount_fen), 0) FROM transfer_bills WHERE state IN ('sending', "
	    "'unknown', 'accepted', 'processing', 'wait_user_confirm', "
	    "'transferring', 'cancelling')"));
	CU_ASSERT_EQUAL(st.merchant_daily_max_fen, 10000000000);
	CU_ASSERT_EQUAL(st.waiting_count, su_i64("SELECT count(*) FROM "
	    "payouts WHERE state = 'requested'"));
	CU_ASSERT_EQUAL(st.waiting_fen, su_i64("SELECT sum(amount_fen) FROM "
	    "payouts WHERE state = 'requested'"));
	/* c_fin1 may approve them all; c_risk asked for each. */
	CU_ASSERT_EQUAL(st.waiting_mine_count, su_i64("SELECT count(*) FROM "
	    "payouts p WHERE state = 'requested' AND NOT EXISTS (SELECT FROM "
	    "payout_approvals a WHERE a.payout_id = p.id AND a.approver = "
	    "'c_fin1')"));
	CU_ASSERT_STRING_EQUAL(st.channel_text, "running");
	CU_ASSERT_EQUAL(st.has_balance, 0);

	/* A balance reading below the alert; a person's pause; the
	 * channel's own pause. */
	CU_ASSERT_EQUAL(ld_db_cmd(&daemon_db, "SELECT "
	    "api.payout_balance_record('w1', 'OPERATION', 5000, 10)", &err),
	    LD_OK);
	CU_ASSERT_EQUAL(core_payouts_pause(core_session_primary(oncall),
	    "WeChat incident 42", &d, &err), LD_OK);
	su_exec("UPDATE payout_control SET channel_paused = true, "
	    "channel_paused_at = now(), channel_code = 'NOT_ENOUGH', "
	    "channel_message = '余额不足'");
	CU_ASSERT_EQUAL_FATAL(core_payout_strip_load(fin1, &st, &err), LD_OK);
	CU_ASSERT_EQUAL(st.has_balance, 1);
	CU_ASSERT_EQUAL(st.balance_fen, 5000);
	CU_ASSERT_EQUAL(st.balance_pending_fen, 10);
	CU_ASSERT_STRING_EQUAL(st.balance_account, "OPERATION");
	CU_ASSERT(st.balance_age_s >= 0 && st.balance_age_s < 3600);
	CU_ASSERT_EQUAL(st.paused, 1);
	CU_ASSERT_STRING_EQUAL(st.paused_by, "c_oncall");
	CU_ASSERT_STRING_EQUAL(st.pause_reason, "WeChat incident 42");
	CU_ASSERT_PTR_NOT_NULL(strstr(st.channel_text, "paused by c_oncall "
	    "since "));
	CU_ASSERT_PTR_NOT_NULL(strstr(st.channel_text, ": WeChat incident "
	    "42"));
	CU_ASSERT_PTR_NOT_NULL(strstr(st.channel_text, "channel paused for "
	    "balance since "));
	CU_ASSERT_PTR_NOT_NULL(strstr(st.channel_text, "NOT_ENOUGH 余额不足"));
	CU_ASSERT(st.alerts_open >= 1);
	CU_ASSERT(st.nalerts >= 1);
	CU_ASSERT_STRING_EQUAL(st.alerts[0].kind, "balance_low");
	CU_ASSERT_PTR_NOT_NULL(strstr(st.alerts[0].detail,
	    "available_fen=5000"));
	CU_ASSERT_EQUAL(core_payouts_resume(core_session_primary(fin1),
	    NULL, &d, &err), LD_OK);
	calm();
}

/* 9. The on-call dashboard ------------------------------------------------------ */

static void
test_oncall_figures(void)
{
	struct core_payout_oncall o;
	struct ld_err err;
	int64_t failed, stuck, limited, b, total;
	size_t i;
	int k, found = 0;

	calm();
	failed = new_payout(90000);
	approve_fully(failed);
	CU_ASSERT_EQUAL(send_bills(failed), 1);
	fail_bill(bill_id(failed, 1));

	stuck = new_payout(60000);
	approve_fully(stuck);
	CU_ASSERT_EQUAL(send_bills(stuck), 1);
	b = bill_id(stuck, 1);
	record(b, "create", "sending", "unknown", "unknown", NULL, NULL, NULL,
	    NULL, NULL, "query", 0);
	su_exec("UPDATE transfer_bills SET first_sent_at = now() - interval "
	    "'2 hours' WHERE id = %" PRId64, b);

	/* Over the borrower's daily limit: the claim holds it. */
	limited = new_payout(50000);
	approve_fully(limited);
	set_setting("per_user_daily_max_fen", "40000");
	CU_ASSERT_EQUAL(send_bills(limited), 0);
	CU_ASSERT_EQUAL(su_i64("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id = %" PRId64 " AND state = 'held' AND hold_reason = "
	    "'per_user_daily_max_fen'", limited), 1);
	calm();

	CU_ASSERT_EQUAL(ld_db_cmd(&daemon_db, "SELECT api.payout_heartbeat("
	    "'host-1:w1', '{\"workers\": 4}')", &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_cmd(&daemon_db, "SELECT "
	    "api.payout_balance_record('w1', 'OPERATION', 900000000, NULL)",
	    &err), LD_OK);
	su_exec("INSERT INTO payout_daemons (worker, login, seen_at) VALUES "
	    "('host-2:w1', 'c_daemon', now() - interval '10 minutes')");

	CU_ASSERT_EQUAL(core_payout_oncall_load(risk, 300, 30, 100, &o, &err),
	    LD_EPERM);
	CU_ASSERT_EQUAL_FATAL(core_payout_oncall_load(oncall, 300, 30, 100,
	    &o, &err), LD_OK);
	/* The failed payout is in the queue with WeChat Pay's words. */
	for (i = 0; i < o.nincidents; i++)
		if (o.incidents[i].payout_id == failed) {
			found++;
			CU_ASSERT_STRING_EQUAL(o.incidents[i].code,
			    "NAME_MISMATCH");
			CU_ASSERT_STRING_EQUAL(o.incidents[i].message,
			    "收款人姓名校验不通过");
			CU_ASSERT_STRING_EQUAL(o.incidents[i].payout_state,
			    "failed");
			CU_ASSERT_STRING_EQUAL(o.incidents[i].group,
			    "loandesk_oncall");
			CU_ASSERT_EQUAL(o.incidents[i].amount_fen, 90000);
		}
	CU_ASSERT_EQUAL(found, 1);
	CU_ASSERT_EQUAL(o.incidents_total, su_i64("SELECT count(*) FROM "
	    "reviews WHERE kind = 'payout' AND state <> 'closed'"));
	for (i = 1; i < o.nincidents; i++) {
		CU_ASSERT(strcmp(o.incidents[i].opened_at,
		    o.incidents[i - 1].opened_at) >= 0);
	}
	/* Stuck: the unknown bill two hours out, the held one and why,
	 * oldest first. */
	found = 0;
	for (i = 0; i < o.nstuck; i++) {
		if (o.stuck[i].payout_id == stuck) {
			found |= 1;
			CU_ASSERT_STRING_EQUAL(o.stuck[i].state, "unknown");
			CU_ASSERT(o.stuck[i].age_s >= 7000);
		}
		if (o.stuck[i].payout_id == limited) {
			found |= 2;
			CU_ASSERT_STRING_EQUAL(o.stuck[i].hold,
			    "per_user_daily_max_fen");
			CU_ASSERT_STRING_EQUAL(o.stuck[i].hold_display,
			    "the borrower's daily limit");
		}
		if (i > 0) {
			CU_ASSERT(o.stuck[i].age_s <= o.stuck[i - 1].age_s);
		}
	}
	CU_ASSERT_EQUAL(found, 3);
	CU_ASSERT_EQUAL(o.stuck_total, su_i64("SELECT count(*) FROM "
	    "transfer_bills WHERE (state IN ('sending', 'unknown') AND "
	    "first_sent_at < now() - interval '300 seconds') OR state = "
	    "'held'"));
	/* The last hour: every exchange counted once, by outcome. */
	total = 0;
	for (i = 0; i < CORE_PAYOUT_MINUTES; i++)
		for (k = 0; k < CORE_PAYOUT_OUTCOMES; k++)
			total += o.minutes[i].exchanges[k];
	CU_ASSERT_EQUAL(total, su_i64("SELECT count(*) FROM payout_attempts "
	    "WHERE finished_at >= date_trunc('minute', now()) - interval "
	    "'59 minutes'"));
	CU_ASSERT(o.minutes[CORE_PAYOUT_MINUTES - 1].at[0] != '\0');
	total = 0;
	for (i = 0; i < CORE_PAYOUT_MINUTES; i++)
		total += o.minutes[i].failed;
	CU_ASSERT_EQUAL(total, su_i64("SELECT count(*) FROM transfer_bills "
	    "WHERE state = 'fail' AND final_at >= date_trunc('minute', now()) "
	    "- interval '59 minutes'"));
	/* The codes of the last 15 minutes, most frequent first. */
	found = 0;
	for (i = 0; i < o.ncodes; i++) {
		if (strcmp(o.codes[i].code, "NAME_MISMATCH") == 0) {
			found++;
			CU_ASSERT_EQUAL(o.codes[i].n, su_i64("SELECT count(*) "
			    "FROM payout_attempts WHERE error_code = "
			    "'NAME_MISMATCH' AND finished_at >= now() - "
			    "interval '15 minutes'"));
			CU_ASSERT_STRING_EQUAL(o.codes[i].message,
			    "收款人姓名校验不通过");
		}
		if (i > 0) {
			CU_ASSERT(o.codes[i].n <= o.codes[i - 1].n);
		}
	}
	CU_ASSERT_EQUAL(found, 1);
	/* Daemons: one alive, one not seen for ten minutes. */
	CU_ASSERT_EQUAL(o.ndaemons, 2);
	CU_ASSERT_EQUAL(o.daemons_alive, 1);
	CU_ASSERT_STRING_EQUAL(o.daemons[0].worker, "host-1:w1");
	CU_ASSERT_EQUAL(o.daemons[0].alive, 1);
	CU_ASSERT_EQUAL(o.daemons[1].alive, 0);
	CU_ASSERT(o.daemons[1].seen_age_s >= 590);
	/* Queue depth. */
	CU_ASSERT_EQUAL(o.due_query, su_i64("SELECT count(*) FROM "
	    "transfer_bills WHERE next_action = 'query' AND next_attempt_at "
	    "<= now()"));
	CU_ASSERT_EQUAL(o.held_bills, su_i64("SELECT count(*) FROM "
	    "transfer_bills WHERE state = 'held'"));
	CU_ASSERT_EQUAL(o.waiting_bills, su_i64("SELECT count(*) FROM "
	    "transfer_bills WHERE next_action <> 'none'"));
	/* The balance over 24 h: 48 buckets, the reading in the last. */
	CU_ASSERT_EQUAL_FATAL(o.nbalance, CORE_PAYOUT_SPARK);
	CU_ASSERT_EQUAL(o.balance[CORE_PAYOUT_SPARK - 1].readings,
	    (int)su_i64("SELECT count(*) FROM payout_balance_readings WHERE "
	    "at >= now() - interval '30 minutes'"));
	CU_ASSERT_EQUAL(o.balance[CORE_PAYOUT_SPARK - 1].last_fen, 900000000);
	CU_ASSERT_EQUAL(o.balance[0].readings, 0);
	core_payout_oncall_free(&o);
	su_exec("DELETE FROM payout_daemons WHERE worker = 'host-2:w1'");
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_parse_commands_and_expect),
		LD_TEST(test_actions_by_role),
		LD_TEST(test_batch_refused_when_stale),
		LD_TEST(test_approve_preview_agrees),
		LD_TEST(test_retry_preview_agrees),
		LD_TEST(test_list_rows_and_roles),
		LD_TEST(test_show_bills_attempts_package_info),
		LD_TEST(test_strip_figures),
		LD_TEST(test_oncall_figures),
		LD_TEST(test_paging_with_concurrent_inserts),
		LD_TEST(test_pages_are_index_ranges),
		LD_TEST_END
	};

	LD_TEST_INIT();
	ld_test_suite("payout use cases", suite_init, suite_clean, cases);
	return ld_test_run();
}
