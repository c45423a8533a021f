/*
 * Integration: the payout engine's database functions (0020-0023) against
 * a real throwaway PostgreSQL, called as the roles that call them in
 * production, and the SQL mirrors of src/payout compared with the C code.
 * The daemon's side is driven the way loandeskd drives it: claim, store the
 * body and mark it sending in the claim's transaction, then record each
 * answer with the step src/payout computes for it.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_audit.h"
#include "ld_buf.h"
#include "ld_db.h"
#include "ld_migrate.h"
#include "ld_paths.h"
#include "ld_test.h"
#include "ld_testdb.h"
#include "payout.h"

static struct ld_testdb tdb;
static struct ld_db su;
static struct ld_db risk, fin1, fin2, fin3, oncall, admin, finrisk, d1, d2;

#define BILL_PATH "/v3/fund-app/mch-transfer/transfer-bills"

/* Formatted superuser SQL (test figures only); the test fails on error. */
static void __attribute__((format(printf, 1, 2))) su_exec(const char *fmt, ...)
{
	char sql[4096];
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

/* The first value of a superuser query ("" when none). */
static void __attribute__((format(printf, 3, 4)))
su_text(char *out, size_t len, const char *fmt, ...)
{
	char sql[4096];
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

static long __attribute__((format(printf, 1, 2))) su_long(const char *fmt, ...)
{
	char sql[4096], out[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	su_text(out, sizeof out, "%s", sql);
	return out[0] ? atol(out) : -1;
}

/*
 * Runs sql as an operator with text parameters; the first value into out
 * (when out is not NULL).  The status, with the message in err.
 */
static enum ld_status
op(struct ld_db *db, char *out, size_t len, struct ld_err *err, const char *sql,
    int n, const char *const *params)
{
	PGresult *r;
	enum ld_status st;

	if (out != NULL)
		out[0] = '\0';
	ld_err_clear(err);
	st = ld_db_exec(db, sql, n, params, &r, err);
	if (st != LD_OK)
		return st;
	if (out != NULL && PQntuples(r) > 0 && PQnfields(r) > 0 &&
	    !PQgetisnull(r, 0, 0))
		snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return LD_OK;
}

/* One call with one or two text arguments. */
static enum ld_status
call2(struct ld_db *db, char *out, size_t len, struct ld_err *err,
    const char *sql, const char *a, const char *b)
{
	const char *p[2] = {a, b};

	return op(db, out, len, err, sql, b != NULL ? 2 : 1, p);
}

/* A login in group (and group2) and a connection as it; in suite_init,
 * where CUnit assertions may not run. */
static int
connect_as(
    struct ld_db *db, const char *user, const char *group, const char *group2)
{
	char sql[512], conninfo[128];
	struct ld_err err;

	snprintf(sql, sizeof sql,
	    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM "
	    "pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN IN ROLE "
	    "%s%s%s; END IF; END $$",
	    user, user, group, group2 ? ", " : "", group2 ? group2 : "");
	snprintf(conninfo, sizeof conninfo, "user=%s", user);
	if (ld_db_cmd(&su, sql, &err) != LD_OK ||
	    ld_db_connect(db, conninfo, "test_db_payout", &err) != LD_OK) {
		fprintf(stderr, "%s: %s\n", user, err.msg);
		return -1;
	}
	return 0;
}

static int
suite_init(void)
{
	struct ld_err err;
	struct ld_migration_set set;
	int applied;

	if (ld_testdb_start(&tdb) != 0)
		return -1;
	if (ld_db_connect(&su, "", "test_db_payout", &err) != LD_OK ||
	    ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK ||
	    ld_migrations_apply(&su, &set, NULL, &applied, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	ld_migrations_free(&set);
	if (connect_as(&risk, "p_risk", "loandesk_risk", NULL) != 0 ||
	    connect_as(&fin1, "p_fin1", "loandesk_finance", NULL) != 0 ||
	    connect_as(&fin2, "p_fin2", "loandesk_finance", NULL) != 0 ||
	    connect_as(&fin3, "p_fin3", "loandesk_finance", NULL) != 0 ||
	    connect_as(&oncall, "p_oncall", "loandesk_oncall", NULL) != 0 ||
	    connect_as(&admin, "p_admin", "loandesk_admin", NULL) != 0 ||
	    connect_as(&finrisk, "p_finrisk", "loandesk_finance",
		"loandesk_risk") != 0 ||
	    connect_as(&d1, "p_daemon1", "loandesk_daemon", NULL) != 0 ||
	    connect_as(&d2, "p_daemon2", "loandesk_daemon", NULL) != 0)
		return -1;
	return 0;
}

static int
suite_clean(void)
{
	struct ld_db *all[] = {&risk, &fin1, &fin2, &fin3, &oncall, &admin,
	    &finrisk, &d1, &d2, &su};
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		ld_db_close(all[i]);
	ld_testdb_stop(&tdb);
	return 0;
}

/*
 * Every test starts from the same engine: no clock set, nothing paused,
 * the default limits, and the bills of earlier tests out of the way (no
 * next action, no hold that ends), so a claim sees only this test's bills.
 */
static void
calm(void)
{
	su_exec("DELETE FROM payout_clock");
	su_exec("UPDATE payout_control SET paused = false, "
		"channel_paused = false");
	su_exec("UPDATE payout_alerts SET cleared_at = now() WHERE cleared_at "
		"IS NULL");
	su_exec("UPDATE transfer_bills SET next_action = 'none', hold_until = "
		"NULL WHERE next_action <> 'none' OR hold_until IS NOT NULL");
	su_exec("UPDATE settings SET value = (CASE key "
		"WHEN 'per_transfer_max_fen' THEN '2000000' "
		"WHEN 'per_user_daily_max_fen' THEN '5000000' "
		"WHEN 'merchant_daily_max_fen' THEN '10000000000' "
		"WHEN 'four_eyes_threshold_fen' THEN '0' "
		"WHEN 'min_transfer_fen' THEN '10' "
		"WHEN 'balance_alert_fen' THEN '100000000' "
		"WHEN 'out_bill_prefix' THEN '\"LD\"' "
		"WHEN 'payout_lease_s' THEN '120' "
		"WHEN 'apr_cap_bps' THEN '2400' END)::jsonb WHERE key IN "
		"('per_transfer_max_fen', 'per_user_daily_max_fen', "
		"'merchant_daily_max_fen', 'four_eyes_threshold_fen', "
		"'min_transfer_fen', 'balance_alert_fen', 'out_bill_prefix', "
		"'payout_lease_s', 'apr_cap_bps')");
}

static void
set_clock(const char *at)
{
	su_exec("INSERT INTO payout_clock (at) VALUES ('%s') ON CONFLICT "
		"(singleton) DO UPDATE SET at = EXCLUDED.at",
	    at);
}

static void
set_setting(const char *key, const char *value)
{
	su_exec(
	    "UPDATE settings SET value = '%s' WHERE key = '%s'", value, key);
}

/*
 * An application approved by the risk officer p_risk (who thereby asks
 * for its payout), for amount_fen at rate_bps with an upfront fee, to an
 * applicant with this openid.  Returns the payout's id.
 */
static long
new_payout_full(long amount_fen, int rate_bps, long fee_fen, const char *openid,
    struct ld_db *decider)
{
	char sql[1024], app_id[32], out[64];
	struct ld_err err;
	const char *p[1];
	long app;

	su_exec("INSERT INTO applicants (name_enc, name_bidx, name_masked, "
		"id_no_enc, id_no_bidx, id_no_masked, phone_enc, phone_bidx, "
		"phone_masked, openid) VALUES ('\\x01', sha256(random()::text::"
		"bytea), '张*三', '\\x01', sha256(random()::text::bytea), "
		"'110***********1234', '\\x01', sha256(random()::text::bytea), "
		"'138****5678', '%s')",
	    openid);
	snprintf(sql, sizeof sql,
	    "INSERT INTO applications (applicant_id, "
	    "product, amount_fen, term_months, rate_bps, status, "
	    "recommendation, upfront_fee_fen) SELECT max(id), 'cash', %ld, 12, "
	    "%d, 'manual_review', 'manual_review', %ld FROM applicants",
	    amount_fen, rate_bps, fee_fen);
	su_exec("%s", sql);
	app = su_long("SELECT max(id) FROM applications");
	snprintf(app_id, sizeof app_id, "%ld", app);
	p[0] = app_id;
	if (op(decider, out, sizeof out, &err,
		"SELECT api.application_decide("
		"$1::bigint, 'approve', 'VERIFIED_INCOME', 'called the "
		"employer')",
		1, p) != LD_OK)
		fprintf(stderr, "decide: %s\n", err.msg);
	CU_ASSERT_STRING_EQUAL(out, "approved");
	return su_long(
	    "SELECT id FROM payouts WHERE application_id = %ld", app);
}

static long
new_payout(long amount_fen)
{
	return new_payout_full(
	    amount_fen, 1800, 0, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", &risk);
}

static enum ld_status
approve(
    struct ld_db *db, long payout, char *out, size_t len, struct ld_err *err)
{
	char id[32];

	snprintf(id, sizeof id, "%ld", payout);
	return call2(db, out, len, err,
	    "SELECT api.payout_approve($1::bigint, "
	    "$2)",
	    id, "checked the contract");
}

/* Approved by two finance approvers (the default threshold is 0). */
static void
approve_fully(long payout)
{
	char out[64];
	struct ld_err err;

	CU_ASSERT_EQUAL(approve(&fin1, payout, out, sizeof out, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "1 of 2");
	CU_ASSERT_EQUAL(approve(&fin2, payout, out, sizeof out, &err), LD_OK);
	if (strcmp(out, "approved") != 0)
		fprintf(stderr, "approve: %s\n", err.msg);
	CU_ASSERT_STRING_EQUAL(out, "approved");
}

struct claimed {
	long bill, payout, amount;
	char action[16], state[24], out_no[40], openid[80];
	int has_body;
};

/* Claims in the caller's transaction (or its own): how many, or -1. */
static int
claim(struct ld_db *d, const char *worker, int max, struct claimed *c, int cap)
{
	char n[16];
	const char *p[2] = {worker, n};
	struct ld_err err;
	PGresult *r;
	int i, rows;

	snprintf(n, sizeof n, "%d", max);
	if (ld_db_exec(d,
		"SELECT bill_id, payout_id, action, state, "
		"amount_fen, out_bill_no, openid, request_body IS NOT NULL "
		"FROM "
		"api.payout_claim($1, $2::integer)",
		2, p, &r, &err) != LD_OK) {
		fprintf(stderr, "claim: %s\n", err.msg);
		return -1;
	}
	rows = PQntuples(r);
	for (i = 0; i < rows && i < cap; i++) {
		c[i].bill = atol(PQgetvalue(r, i, 0));
		c[i].payout = atol(PQgetvalue(r, i, 1));
		snprintf(
		    c[i].action, sizeof c[i].action, "%s", PQgetvalue(r, i, 2));
		snprintf(
		    c[i].state, sizeof c[i].state, "%s", PQgetvalue(r, i, 3));
		c[i].amount = atol(PQgetvalue(r, i, 4));
		snprintf(
		    c[i].out_no, sizeof c[i].out_no, "%s", PQgetvalue(r, i, 5));
		snprintf(
		    c[i].openid, sizeof c[i].openid, "%s", PQgetvalue(r, i, 6));
		c[i].has_body = PQgetvalue(r, i, 7)[0] == 't';
	}
	PQclear(r);
	return rows;
}

/* The v3 transfer-bill body the daemon would build for c. */
static void
bill_body(const struct claimed *c, long amount, char *out, size_t len)
{
	snprintf(out, len,
	    "{\"appid\":\"wxd930ea5d5a258f4f\",\"out_bill_no\":"
	    "\"%s\",\"transfer_scene_id\":\"1000\",\"openid\":\"%s\","
	    "\"transfer_amount\":%ld,\"transfer_remark\":\"loan\"}",
	    c->out_no, c->openid, amount);
}

static enum ld_status
sending(struct ld_db *d, long bill, const char *body, struct ld_err *err)
{
	char id[32], out[32];
	const char *p[2] = {id, body};

	snprintf(id, sizeof id, "%ld", bill);
	return op(d, out, sizeof out, err,
	    "SELECT api.payout_bill_sending("
	    "$1::bigint, 'bill', 'POST', '" BILL_PATH "', $2)",
	    2, p);
}

/* Claims and sends everything due for create in one transaction. */
static int
claim_and_send(struct ld_db *d, const char *worker, struct claimed *c, int cap)
{
	char body[512];
	struct ld_err err;
	int n, i;

	CU_ASSERT_EQUAL_FATAL(ld_db_begin(d, &err), LD_OK);
	n = claim(d, worker, cap, c, cap);
	for (i = 0; i < n; i++)
		if (strcmp(c[i].action, "create") == 0) {
			bill_body(&c[i], c[i].amount, body, sizeof body);
			if (sending(d, c[i].bill, body, &err) != LD_OK)
				fprintf(stderr, "sending: %s\n", err.msg);
			CU_ASSERT_EQUAL(err.code, LD_OK);
		}
	CU_ASSERT_EQUAL(ld_db_commit(d, &err), LD_OK);
	return n;
}

static const struct wx_code_class *
cls(enum wx_code_kind k, const char *code)
{
	const struct wx_code_class *c = wx_code_classify(k, code);

	CU_ASSERT_FATAL(wx_code_is_known(c));
	return c;
}

/*
 * Records an answer to bill (whose state the daemon saw as from) with the
 * step src/payout computes; the bill's state afterwards into out.
 */
static enum ld_status
record(struct ld_db *d, long bill, enum payout_exchange ex,
    enum payout_bill_state from, const struct wx_code_class *c,
    const char *bill_json, char *out, size_t len, struct ld_err *err)
{
	struct payout_step s;
	char id[32], delay[32], http[8];
	const char *p[22];

	CU_ASSERT_EQUAL_FATAL(
	    payout_bill_step(from, ex, c, 1, NULL, &s, err), LD_OK);
	snprintf(id, sizeof id, "%ld", bill);
	snprintf(delay, sizeof delay, "%ld", s.delay_ms);
	snprintf(
	    http, sizeof http, "%d", c->kind == WX_KIND_TRANSPORT ? 0 : 200);
	p[0] = id;
	p[1] = payout_exchange_sql(ex);
	p[2] = payout_bill_state_sql(from);
	p[3] = ex == PAYOUT_EX_QUERY ? "GET" : "POST";
	p[4] = BILL_PATH;
	p[5] = http;
	p[6] = c->code;
	p[7] = c->note;
	p[8] = wx_outcome_name(c->outcome);
	p[9] = "12";
	p[10] = NULL;
	p[11] = bill_json;
	p[12] = s.applies ? "t" : "f";
	p[13] = payout_bill_state_sql(s.to);
	p[14] = s.applies ? payout_action_sql(s.action) : NULL;
	p[15] = delay;
	p[16] = s.until_midnight ? "t" : "f";
	p[17] = s.hold != PAYOUT_HOLD_NONE ? payout_hold_sql(s.hold) : NULL;
	p[18] = s.review ? "t" : "f";
	p[19] = s.pause_channel ? "t" : "f";
	p[20] = s.why;
	p[21] = bill_json;
	return op(d, out, len, err,
	    "SELECT api.payout_bill_record($1::bigint, "
	    "$2, $3, $4, $5, $6::integer, $7, $8, $9, $10::integer, $11, $12, "
	    "$13::boolean, $14, $15, $16::bigint, $17::boolean, $18, "
	    "$19::boolean, $20::boolean, $21, $22::jsonb)",
	    22, p);
}

static enum ld_status
callback(struct ld_db *d, const char *out_no, const char *to, const char *json,
    char *out, size_t len, struct ld_err *err)
{
	const char *p[3] = {out_no, to, json};

	return op(d, out, len, err,
	    "SELECT api.payout_callback($1, $2, "
	    "$3::jsonb, 'EV-1', '{\"event_type\":\"MCHTRANSFER.BILL."
	    "FINISHED\"}')",
	    3, p);
}

static void
bill_state(long bill, char *out, size_t len)
{
	su_text(
	    out, len, "SELECT state FROM transfer_bills WHERE id = %ld", bill);
}

static void
payout_state(long payout, char *out, size_t len)
{
	su_text(out, len, "SELECT state FROM payouts WHERE id = %ld", payout);
}

/* 1. The SQL mirrors are the C tables ---------------------------------------
 */

static int
strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_state_tables_match_c(void)
{
	struct ld_buf c;
	char got[16384];
	const struct payout_edge *e;
	size_t n, i;
	int s;

	ld_buf_init(&c, 0);
	for (s = 0; s < PAYOUT_STATE_COUNT; s++)
		ld_buf_printf(&c, "%s|%s|%s\n", payout_state_sql(s),
		    payout_state_display(s),
		    payout_state_terminal(s) ? "t" : "f");
	su_text(got, sizeof got,
	    "SELECT string_agg(state || '|' || display || "
	    "'|' || CASE WHEN terminal THEN 't' ELSE 'f' END || E'\\n', '' "
	    "ORDER BY array_position(ARRAY['requested','approved','sending',"
	    "'held','succeeded','failed','cancelled'], state)) FROM "
	    "payout_states");
	CU_ASSERT_STRING_EQUAL(got, c.data);
	ld_buf_reset(&c);
	for (s = 0; s < PAYOUT_BILL_STATE_COUNT; s++)
		ld_buf_printf(&c, "%s|%s|%s|%d|%s|%s\n",
		    payout_bill_state_sql(s), payout_bill_state_display(s),
		    payout_bill_state_terminal(s) ? "t" : "f",
		    payout_bill_state_rank(s),
		    payout_bill_state_in_flight(s) ? "t" : "f",
		    payout_bill_state_counts(s) ? "t" : "f");
	su_text(got, sizeof got,
	    "SELECT string_agg(state || '|' || display || "
	    "'|' || CASE WHEN terminal THEN 't' ELSE 'f' END || '|' || rank || "
	    "'|' || CASE WHEN in_flight THEN 't' ELSE 'f' END || '|' || CASE "
	    "WHEN counts THEN 't' ELSE 'f' END || E'\\n', '' ORDER BY "
	    "array_position(ARRAY['pending','held','sending','unknown',"
	    "'accepted','processing','wait_user_confirm','transferring',"
	    "'cancelling','success','fail','cancelled'], state)) FROM "
	    "payout_bill_states");
	CU_ASSERT_STRING_EQUAL(got, c.data);

	/* Transitions, both machines, as sorted "from>to" lines. */
	ld_buf_reset(&c);
	e = payout_bill_edges(&n);
	{
		char **lines = calloc(n, sizeof *lines);

		for (i = 0; i < n; i++) {
			lines[i] = malloc(64);
			snprintf(lines[i], 64, "%s>%s",
			    payout_bill_state_sql(e[i].from),
			    payout_bill_state_sql(e[i].to));
		}
		qsort(lines, n, sizeof *lines, strcmp_ptr);
		for (i = 0; i < n; i++) {
			ld_buf_printf(&c, "%s\n", lines[i]);
			free(lines[i]);
		}
		free(lines);
	}
	su_text(got, sizeof got,
	    "SELECT string_agg(from_state || '>' || "
	    "to_state || E'\\n', '' ORDER BY from_state || '>' || to_state "
	    "COLLATE \"C\") FROM payout_bill_transitions");
	CU_ASSERT_STRING_EQUAL(got, c.data);

	ld_buf_reset(&c);
	e = payout_state_edges(&n);
	{
		char **lines = calloc(n, sizeof *lines);

		for (i = 0; i < n; i++) {
			lines[i] = malloc(64);
			snprintf(lines[i], 64, "%s>%s",
			    payout_state_sql(e[i].from),
			    payout_state_sql(e[i].to));
		}
		qsort(lines, n, sizeof *lines, strcmp_ptr);
		for (i = 0; i < n; i++) {
			ld_buf_printf(&c, "%s\n", lines[i]);
			free(lines[i]);
		}
		free(lines);
	}
	su_text(got, sizeof got,
	    "SELECT string_agg(from_state || '>' || "
	    "to_state || E'\\n', '' ORDER BY from_state || '>' || to_state "
	    "COLLATE \"C\") FROM payout_transitions");
	CU_ASSERT_STRING_EQUAL(got, c.data);

	ld_buf_reset(&c);
	for (s = 1; s < PAYOUT_HOLD_COUNT; s++)
		ld_buf_printf(&c, "%s|%s|%s\n", payout_hold_sql(s),
		    payout_hold_display(s), payout_hold_released(s));
	su_text(got, sizeof got,
	    "SELECT string_agg(hold || '|' || display || "
	    "'|' || released || E'\\n', '' ORDER BY array_position(ARRAY["
	    "'per_user_daily_max_fen','merchant_daily_max_fen',"
	    "'channel_balance','wechat_limit','refused'], hold)) FROM "
	    "payout_holds");
	CU_ASSERT_STRING_EQUAL(got, c.data);

	ld_buf_reset(&c);
	for (s = 0; s < PAYOUT_ACTION_COUNT; s++)
		ld_buf_printf(&c, "%s|%s\n", payout_action_sql(s),
		    payout_action_display(s));
	su_text(got, sizeof got,
	    "SELECT string_agg(action || '|' || display "
	    "|| E'\\n', '' ORDER BY array_position(ARRAY['none','create',"
	    "'query','cancel'], action)) FROM payout_actions");
	CU_ASSERT_STRING_EQUAL(got, c.data);
	ld_buf_free(&c);
}

/* Splitting, numbers, the Beijing day, limits and the roll-up: SQL = C. */
static void
test_pure_functions_match_c(void)
{
	static const int64_t pairs[][2] = {{20, 10}, {25, 10}, {101, 30}};
	struct ld_buf c, amounts;
	struct ld_err err;
	int64_t parts[PAYOUT_MAX_BILLS], a, t;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char *got = malloc(1 << 20), no[40], date[16], out[256];
	const char *p[3];
	size_t n, i, k;
	int id, seq, gen, s1, s2, sent, hold, cancel;
	enum payout_bill_state st[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	ld_buf_init(&c, 0);
	ld_buf_init(&amounts, 0);
	for (k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
		ld_buf_reset(&c);
		for (a = pairs[k][1]; a <= 3000; a++) {
			CU_ASSERT_EQUAL(
			    payout_split(a, pairs[k][0], pairs[k][1], parts,
				PAYOUT_MAX_BILLS, &n, &err),
			    LD_OK);
			ld_buf_printf(&c, "%s%" PRId64 ":",
			    a == pairs[k][1] ? "" : ";", a);
			for (i = 0; i < n; i++)
				ld_buf_printf(
				    &c, "%s%" PRId64, i ? "," : "", parts[i]);
		}
		su_text(got, 1 << 20,
		    "SELECT string_agg(a || ':' || "
		    "array_to_string(payout_split(a, %" PRId64 ", %" PRId64
		    "), "
		    "','), ';' ORDER BY a) FROM generate_series(%" PRId64
		    "::bigint, 3000) a",
		    pairs[k][0], pairs[k][1], pairs[k][1]);
		CU_ASSERT_STRING_EQUAL(got, c.data);
	}
	/* Large amounts at the default limits. */
	ld_buf_reset(&c);
	ld_buf_puts(&amounts, "{");
	for (k = 0; k < 400; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		a = (int64_t)(x % 900000000) + 10;
		CU_ASSERT_EQUAL(payout_split(a, 2000000, 10, parts,
				    PAYOUT_MAX_BILLS, &n, &err),
		    LD_OK);
		ld_buf_printf(&amounts, "%s%" PRId64, k ? "," : "", a);
		ld_buf_printf(&c, "%s", k ? ";" : "");
		for (i = 0; i < n; i++)
			ld_buf_printf(&c, "%s%" PRId64, i ? "," : "", parts[i]);
	}
	ld_buf_puts(&amounts, "}");
	p[0] = amounts.data;
	CU_ASSERT_EQUAL(
	    op(&su, got, 1 << 20, &err,
		"SELECT string_agg("
		"array_to_string(payout_split(a, 2000000, 10), ','), ';' ORDER "
		"BY "
		"o) FROM unnest($1::bigint[]) WITH ORDINALITY u(a, o)",
		1, p),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(got, c.data);
	/* Both refuse the same figures. */
	{
		static const int64_t bad[][3] = {{9, 2000000, 10},
		    {100, 19, 10}, {0, 20, 10}, {20001, 20, 10}, {100, 20, 0}};

		for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
			CU_ASSERT_EQUAL(
			    payout_split(bad[k][0], bad[k][1], bad[k][2], parts,
				PAYOUT_MAX_BILLS, &n, &err),
			    LD_EINVAL);
			snprintf(no, sizeof no, "%" PRId64, bad[k][0]);
			snprintf(date, sizeof date, "%" PRId64, bad[k][1]);
			snprintf(out, sizeof out, "%" PRId64, bad[k][2]);
			p[0] = no;
			p[1] = date;
			p[2] = out;
			CU_ASSERT_EQUAL(
			    op(&su, NULL, 0, &err,
				"SELECT payout_split("
				"$1::bigint, $2::bigint, $3::bigint)",
				3, p),
			    LD_EINVAL);
		}
	}

	/* out_bill_no and out_batch_no. */
	ld_buf_reset(&c);
	for (id = 1; id <= 130; id += 3)
		for (seq = 1; seq <= 12; seq++)
			for (gen = 0; gen <= 11; gen += 5) {
				CU_ASSERT_EQUAL(payout_out_bill_no("LDp", id,
						    seq, gen, no, &err),
				    LD_OK);
				ld_buf_printf(&c, "%s%s", c.len ? "," : "", no);
			}
	for (gen = 0; gen <= 999; gen += 111) {
		CU_ASSERT_EQUAL(
		    payout_out_batch_no("LD", INT64_MAX, gen, no, &err), LD_OK);
		ld_buf_printf(&c, ",%s", no);
	}
	su_text(got, 1 << 20,
	    "SELECT (SELECT string_agg(payout_out_bill_no("
	    "'LDp', i, s, g), ',' ORDER BY i, s, g) FROM generate_series(1, "
	    "130, 3) i, generate_series(1, 12) s, generate_series(0, 11, 5) g) "
	    "|| ',' || (SELECT string_agg(payout_out_batch_no('LD', "
	    "9223372036854775807, g), ',' ORDER BY g) FROM generate_series(0, "
	    "999, 111) g)");
	CU_ASSERT_STRING_EQUAL(got, c.data);
	CU_ASSERT_EQUAL(op(&su, NULL, 0, &err,
			    "SELECT payout_out_bill_no("
			    "'L1', 1, 1, 0)",
			    0, NULL),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(op(&su, NULL, 0, &err,
			    "SELECT payout_out_bill_no("
			    "'LD', 1, 1, 1000)",
			    0, NULL),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(op(&su, NULL, 0, &err,
			    "SELECT payout_out_bill_no("
			    "'LD', 1, 0, 0)",
			    0, NULL),
	    LD_EINVAL);

	/* The Beijing day and the next midnight, around many midnights. */
	ld_buf_reset(&c);
	ld_buf_reset(&amounts);
	ld_buf_puts(&amounts, "{");
	for (k = 0, t = 1577808000 - 3 * 86400; k < 1500; k++) {
		/* Alternately a second before, at, and after a midnight, and
		 * somewhere in the day. */
		int64_t m = payout_beijing_midnight_after(t);
		int64_t v = k % 4 == 0 ? m - 1
		    : k % 4 == 1       ? m
		    : k % 4 == 2       ? m + 1
				       : t + 12345;

		payout_beijing_date(v, date, sizeof date);
		ld_buf_printf(&amounts, "%s%" PRId64, k ? "," : "", v);
		ld_buf_printf(&c, "%s%s/%" PRId64, k ? "," : "", date,
		    payout_beijing_midnight_after(v));
		t += 86400 * 3 + 4321;
	}
	ld_buf_puts(&amounts, "}");
	p[0] = amounts.data;
	CU_ASSERT_EQUAL(
	    op(&su, got, 1 << 20, &err,
		"SELECT string_agg("
		"payout_beijing_day(to_timestamp(t))::text || '/' || "
		"extract(epoch "
		"FROM payout_beijing_midnight_after(to_timestamp(t)))::bigint, "
		"',' "
		"ORDER BY o) FROM unnest($1::bigint[]) WITH ORDINALITY u(t, o)",
		1, p),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(got, c.data);

	/* The limit check over a grid around both limits. */
	{
		static const int64_t used[] = {
		    0, 1, 2999999, 3000000, 4999999, 5000000, 5000001, 9999999};
		static const int64_t amt[] = {
		    1, 999999, 1000000, 2000000, 5000000, 5000001};
		struct payout_limits l = {5000000, 10000000};
		size_t u, m, q;

		ld_buf_reset(&c);
		for (u = 0; u < 8; u++)
			for (m = 0; m < 8; m++)
				for (q = 0; q < 6; q++) {
					enum payout_hold h = payout_limit_check(
					    &l, used[u], used[m] * 2, amt[q]);

					ld_buf_printf(&c, "%s%s",
					    c.len ? "," : "",
					    h == PAYOUT_HOLD_NONE
						? "-"
						: payout_hold_sql(h));
				}
		su_text(got, 1 << 20,
		    "WITH u(v, i) AS (SELECT * FROM unnest("
		    "ARRAY[0,1,2999999,3000000,4999999,5000000,5000001,9999999]"
		    "::bigint[]) WITH ORDINALITY), q(v, i) AS (SELECT * FROM "
		    "unnest(ARRAY[1,999999,1000000,2000000,5000000,5000001]::"
		    "bigint[]) WITH ORDINALITY) SELECT string_agg(coalesce("
		    "payout_limit_exceeded(u.v, m.v * 2, q.v, 5000000, "
		    "10000000), '-'), ',' ORDER BY u.i, m.i, q.i) FROM u, u m, "
		    "q");
		CU_ASSERT_STRING_EQUAL(got, c.data);
	}

	/* The roll-up of every pair of bill states, sent, held, cancelled. */
	ld_buf_reset(&c);
	for (s1 = 0; s1 < PAYOUT_BILL_STATE_COUNT; s1++)
		for (s2 = 0; s2 < PAYOUT_BILL_STATE_COUNT; s2++)
			for (sent = 0; sent <= 2; sent++)
				for (hold = 0; hold <= 1; hold++)
					for (cancel = 0; cancel <= 1;
					     cancel++) {
						st[0] = s1;
						st[1] = s2;
						ld_buf_printf(&c, "%s%s",
						    c.len ? "," : "",
						    payout_state_sql(
							payout_rollup(st, 2,
							    sent, hold,
							    cancel)));
					}
	su_text(got, 1 << 20,
	    "WITH s(v, i) AS (SELECT * FROM unnest(ARRAY["
	    "'pending','held','sending','unknown','accepted','processing',"
	    "'wait_user_confirm','transferring','cancelling','success','fail',"
	    "'cancelled']) WITH ORDINALITY) SELECT string_agg(payout_rollup_of("
	    "ARRAY[a.v, b.v], n, h, k), ',' ORDER BY a.i, b.i, n, h, k) FROM s "
	    "a, s b, generate_series(0, 2) n, unnest(ARRAY[false, true]) h, "
	    "unnest(ARRAY[false, true]) k");
	CU_ASSERT_STRING_EQUAL(got, c.data);
	ld_buf_free(&c);
	ld_buf_free(&amounts);
	free(got);
}

/* 2. Approval -----------------------------------------------------------------
 */

static void
test_approve_four_eyes_and_bills(void)
{
	char out[256], want[256];
	struct ld_err err;
	long p, audit_before;

	calm();
	p = new_payout(500000);
	/* Only finance approves. */
	CU_ASSERT_EQUAL(approve(&risk, p, out, sizeof out, &err), LD_EPERM);
	CU_ASSERT_EQUAL(approve(&oncall, p, out, sizeof out, &err), LD_EPERM);
	CU_ASSERT_EQUAL(approve(&admin, p, out, sizeof out, &err), LD_EPERM);
	CU_ASSERT_EQUAL(approve(&d1, p, out, sizeof out, &err), LD_EPERM);

	/* At or above the threshold (0: every payout), two people. */
	audit_before = su_long("SELECT count(*) FROM audit_log");
	CU_ASSERT_EQUAL(approve(&fin1, p, out, sizeof out, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "1 of 2");
	CU_ASSERT_EQUAL(
	    su_long("SELECT count(*) FROM audit_log"), audit_before + 1);
	su_text(out, sizeof out,
	    "SELECT approvals || ' of ' || "
	    "approvals_needed || ' ' || state || ' ' || coalesce(bills, 0) "
	    "FROM payout_overview WHERE id = %ld",
	    p);
	CU_ASSERT_STRING_EQUAL(out, "1 of 2 requested 0");
	/* The same person again is no second pair of eyes. */
	CU_ASSERT_EQUAL(approve(&fin1, p, out, sizeof out, &err), LD_ECONFLICT);
	snprintf(want, sizeof want,
	    "payout %ld: p_fin1 approved it already "
	    "(1 of 2); a second, different finance approver is needed",
	    p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));
	CU_ASSERT_EQUAL(approve(&fin2, p, out, sizeof out, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "approved");
	/* Every bill exists, in the same transaction. */
	su_text(out, sizeof out,
	    "SELECT string_agg(out_bill_no || '=' || "
	    "amount_fen || ' ' || state || ' ' || next_action, ';' ORDER BY "
	    "seq) "
	    "FROM transfer_bills WHERE payout_id = %ld",
	    p);
	snprintf(want, sizeof want, "LD%ldS1G0=500000 pending create", p);
	CU_ASSERT_STRING_EQUAL(out, want);
	su_text(out, sizeof out,
	    "SELECT state || ' ' || approved_by FROM "
	    "payouts WHERE id = %ld",
	    p);
	CU_ASSERT_STRING_EQUAL(out, "approved p_fin2");
	su_text(out, sizeof out,
	    "SELECT actor || ' ' || action || ' ' || "
	    "(detail->>'approval') || '/' || (detail->>'needed') || ' ' || "
	    "(detail->>'bills') FROM audit_log WHERE id = (SELECT last_id FROM "
	    "audit_head)");
	CU_ASSERT_STRING_EQUAL(out, "p_fin2 payout.approve 2/2 1");
	/* An approved payout is not approved again. */
	CU_ASSERT_EQUAL(approve(&fin3, p, out, sizeof out, &err), LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "is already approved"));

	/* Below the threshold one approver does. */
	set_setting("four_eyes_threshold_fen", "1000000");
	p = new_payout(999999);
	CU_ASSERT_EQUAL(approve(&fin3, p, out, sizeof out, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "approved");
	p = new_payout(1000000);
	CU_ASSERT_EQUAL(approve(&fin3, p, out, sizeof out, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "1 of 2");
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM payout_approvals WHERE "
				"payout_id = %ld AND approver = 'p_fin3'",
			    p),
	    1);

	/* A payout that does not exist. */
	CU_ASSERT_EQUAL(
	    approve(&fin1, 99999999, out, sizeof out, &err), LD_ENOTFOUND);
}

/* The amount is the loan's, split at approval as src/payout splits it. */
static void
test_approve_amount_and_split(void)
{
	int64_t parts[8];
	size_t n, i;
	char out[512], no[40], want[512];
	struct ld_err err;
	long p;

	calm();
	/* 50,000.01 yuan less a 10 yuan upfront fee; the caller names no
	 * amount at all. */
	p = new_payout_full(
	    5001001, 1800, 1000, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", &risk);
	approve_fully(p);
	CU_ASSERT_EQUAL(
	    su_long("SELECT amount_fen FROM payouts WHERE id = %ld", p),
	    5000001);
	CU_ASSERT_EQUAL_FATAL(
	    payout_split(5000001, 2000000, 10, parts, 8, &n, &err), LD_OK);
	want[0] = '\0';
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(
		    payout_out_bill_no("LD", p, (int)i + 1, 0, no, &err),
		    LD_OK);
		snprintf(want + strlen(want), sizeof want - strlen(want),
		    "%s%s=%" PRId64, i ? ";" : "", no, parts[i]);
	}
	su_text(out, sizeof out,
	    "SELECT string_agg(out_bill_no || '=' || "
	    "amount_fen, ';' ORDER BY seq) FROM transfer_bills WHERE "
	    "payout_id = %ld",
	    p);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(su_long("SELECT sum(amount_fen) FROM transfer_bills "
				"WHERE payout_id = %ld",
			    p),
	    5000001);

	/* A remainder below the minimum borrows from the bill before it. */
	p = new_payout(4000005);
	approve_fully(p);
	su_text(out, sizeof out,
	    "SELECT string_agg(amount_fen::text, ',' "
	    "ORDER BY seq) FROM transfer_bills WHERE payout_id = %ld",
	    p);
	CU_ASSERT_STRING_EQUAL(out, "2000000,1999995,10");

	/* Below the channel's minimum: refused, nothing created. */
	p = new_payout(9);
	CU_ASSERT_EQUAL(approve(&fin1, p, out, sizeof out, &err), LD_OK);
	CU_ASSERT_EQUAL(approve(&fin2, p, out, sizeof out, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "below the channel's minimum"));
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM transfer_bills WHERE "
				"payout_id = %ld",
			    p),
	    0);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM payout_approvals WHERE "
				"payout_id = %ld",
			    p),
	    1);
}

static void
test_approve_refusals(void)
{
	char out[512], want[512];
	struct ld_err err;
	long p, apr;

	calm();
	/* Whoever asked for the payout (the loan's approver) is refused. */
	p = new_payout_full(
	    500000, 1800, 0, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", &finrisk);
	CU_ASSERT_EQUAL(approve(&finrisk, p, out, sizeof out, &err), LD_EPERM);
	snprintf(want, sizeof want,
	    "payout %ld: p_finrisk asked for this "
	    "payout and may not release it",
	    p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));
	/* The loan's approver, where another asked for the payout. */
	su_exec("UPDATE payouts SET requested_by = 'p_risk' WHERE id = %ld", p);
	CU_ASSERT_EQUAL(approve(&finrisk, p, out, sizeof out, &err), LD_EPERM);
	snprintf(want, sizeof want,
	    "payout %ld: p_finrisk approved the loan "
	    "and may not release its payout",
	    p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM payout_approvals WHERE "
				"payout_id = %ld",
			    p),
	    0);

	/*
	 * An APR above the cap: both figures named.  The loan was lawful
	 * when it was decided (the decision refuses one above the cap);
	 * the cap was lowered before its money left, and the payout is
	 * held to the cap of the day it is released.
	 */
	p = new_payout_full(
	    500000, 2300, 0, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", &risk);
	su_exec("UPDATE settings SET value = '2000' WHERE key = "
	    "'apr_cap_bps'");
	CU_ASSERT_EQUAL(approve(&fin1, p, out, sizeof out, &err), LD_ECONFLICT);
	su_exec("UPDATE settings SET value = '2400' WHERE key = "
	    "'apr_cap_bps'");
	/* The APR itself is checked against core_irr in test_db_loan. */
	apr = su_long("SELECT (loan_apr_cap_check(application_id)).apr_bps "
	    "FROM payouts WHERE id = %ld", p);
	CU_ASSERT(apr > 2000 && apr <= 2400);
	snprintf(want, sizeof want,
	    "payout %ld refused: the loan's APR %ld.%02ld%% "
	    "(%ld bps) is above the cap 20.00%% (2000 bps)",
	    p, apr / 100, apr % 100, apr);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));
	if (strstr(err.msg, want) == NULL)
		fprintf(stderr, "\n%s\n", err.msg);

	/* No usable openid: refused before anything is created. */
	p = new_payout_full(500000, 1800, 0,
	    "o6_0123456789012345678901234567"
	    "8901234567890123456789012345678901234567",
	    &risk);
	CU_ASSERT_EQUAL(approve(&fin1, p, out, sizeof out, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "has no usable WeChat openid"));
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM payout_approvals WHERE "
				"payout_id = %ld",
			    p),
	    0);
}

static enum ld_status
approve_batch(struct ld_db *db, const char *ids, int count, long total,
    char *out, size_t len, struct ld_err *err)
{
	char c[16], t[32];
	const char *p[4] = {ids, c, t, "the morning list"};

	snprintf(c, sizeof c, "%d", count);
	snprintf(t, sizeof t, "%ld", total);
	return op(db, out, len, err,
	    "SELECT api.payout_approve_batch("
	    "$1::bigint[], $2::integer, $3::bigint, $4)",
	    4, p);
}

/* A batch is approved as it was shown, or not at all. */
static void
test_approve_batch(void)
{
	char out[512], ids[128];
	struct ld_err err;
	long a, b, c;

	calm();
	set_setting("four_eyes_threshold_fen", "100000000");
	a = new_payout(100000);
	b = new_payout(200000);
	c = new_payout(300000);
	snprintf(ids, sizeof ids, "{%ld,%ld,%ld}", a, b, c);
	CU_ASSERT_EQUAL(
	    approve_batch(&risk, ids, 3, 600000, out, sizeof out, &err),
	    LD_EPERM);
	/* A count or a total that differs from the database's. */
	CU_ASSERT_EQUAL(
	    approve_batch(&fin1, ids, 4, 600000, out, sizeof out, &err),
	    LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
	    "3 approvable payout(s) for "
	    "600000 fen here, 4 for 600000 fen expected"));
	CU_ASSERT_EQUAL(
	    approve_batch(&fin1, ids, 3, 600001, out, sizeof out, &err),
	    LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "3 for 600001 fen expected"));
	/* The screen went stale: one was approved meanwhile. */
	CU_ASSERT_EQUAL(approve(&fin2, b, out, sizeof out, &err), LD_OK);
	CU_ASSERT_EQUAL(
	    approve_batch(&fin1, ids, 3, 600000, out, sizeof out, &err),
	    LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
	    "2 approvable payout(s) for "
	    "400000 fen here, 3 for 600000 fen expected"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "is already approved"));
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM payouts WHERE id IN "
				"(%ld, %ld) AND state = 'requested'",
			    a, c),
	    2);
	/* What the database counts is what was shown: approved. */
	CU_ASSERT_EQUAL(
	    approve_batch(&fin1, ids, 2, 400000, out, sizeof out, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(out,
	    "2 approved, 0 waiting for a second "
	    "approver");
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM payouts WHERE id IN "
				"(%ld, %ld, %ld) AND state = 'approved'",
			    a, b, c),
	    3);
	snprintf(ids, sizeof ids, "{%ld,%ld}", a, a);
	CU_ASSERT_EQUAL(
	    approve_batch(&fin1, ids, 1, 100000, out, sizeof out, &err),
	    LD_EINVAL);
}

/* 3. The daemon's loop --------------------------------------------------------
 */

/* Approved, then claimed and sent by d1: the one bill, sending. */
static long
sent_payout(long amount, struct claimed *c)
{
	long p = new_payout(amount);
	int n;

	approve_fully(p);
	n = claim_and_send(&d1, "d1", c, 1);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(c->payout, p);
	return p;
}

static void
test_sending_stores_the_body_first(void)
{
	struct claimed c[4];
	char body[512], out[256];
	struct ld_err err;
	long p;

	calm();
	p = new_payout(500000);
	approve_fully(p);
	/* Only a claim's own transaction marks a bill sending. */
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d1, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(claim(&d1, "d1", 4, c, 4), 1);
	CU_ASSERT_STRING_EQUAL(c[0].action, "create");
	CU_ASSERT_STRING_EQUAL(c[0].state, "pending");
	CU_ASSERT_FALSE(c[0].has_body);
	/* A body that is not the bill's. */
	bill_body(&c[0], c[0].amount + 1, body, sizeof body);
	CU_ASSERT_EQUAL(sending(&d1, c[0].bill, body, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
	    "sends 500001 fen, the bill is "
	    "500000 fen"));
	ld_db_rollback(&d1);
	CU_ASSERT_EQUAL(sending(&d1, c[0].bill, body, &err), LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
	    "was not claimed for sending in "
	    "this transaction"));

	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d1, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(claim(&d1, "d1", 4, c, 4), 1);
	bill_body(&c[0], c[0].amount, body, sizeof body);
	CU_ASSERT_EQUAL(sending(&d1, c[0].bill, body, &err), LD_OK);
	/* Twice in one claim is once. */
	CU_ASSERT_EQUAL(sending(&d1, c[0].bill, body, &err), LD_ECONFLICT);
	ld_db_rollback(&d1);
	CU_ASSERT_EQUAL_FATAL(claim_and_send(&d1, "d1", c, 4), 1);
	su_text(out, sizeof out,
	    "SELECT state || ' ' || next_action || ' ' || "
	    "(request_body = '%s')::text || ' ' || attempts || ' ' || "
	    "(counted_day IS NOT NULL)::text FROM transfer_bills WHERE id = "
	    "%ld",
	    body, c[0].bill);
	CU_ASSERT_STRING_EQUAL(out, "sending query true 1 true");
	payout_state(p, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "sending");

	/* SYSTEM_ERROR: the same bill again, with the same bytes only. */
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
		cls(WX_KIND_V3_ERROR, "SYSTEM_ERROR"), NULL, out, sizeof out,
		&err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "pending");
	/* WeChat Pay then says it paid the bill it did not take: kept, and a
	 * person looks. */
	CU_ASSERT_EQUAL(callback(&d1, c[0].out_no, "success", "{}", out,
	    sizeof out, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "pending");
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reviews WHERE payout_id = "
	    "%ld AND reason = 'ANSWER_CONFLICT' AND note LIKE '%%reports "
	    "success for a bill recorded as pending%%'", p), 1);
	set_clock("2100-01-01 00:00:00+00");
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d1, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(claim(&d1, "d1", 4, c, 4), 1);
	CU_ASSERT(c[0].has_body);
	CU_ASSERT_STRING_EQUAL(c[0].action, "create");
	bill_body(&c[0], c[0].amount, body, sizeof body);
	strcat(body, " ");
	CU_ASSERT_EQUAL(sending(&d1, c[0].bill, body, &err), LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
	    "carries the stored request "
	    "byte for byte"));
	ld_db_rollback(&d1);
	CU_ASSERT_EQUAL(
	    su_long("SELECT count(*) FROM payout_attempts a JOIN "
		    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = "
		    "%ld AND "
		    "a.error_code = 'SYSTEM_ERROR' AND a.outcome = 'retry' AND "
		    "a.applied AND a.to_state = 'pending' AND a.worker = "
		    "'p_daemon1'",
		p),
	    1);
	/* The daemon writes no payout table itself. */
	CU_ASSERT_EQUAL(ld_db_cmd(&d1,
			    "UPDATE transfer_bills SET state = "
			    "'success'",
			    &err),
	    LD_EPERM);
	CU_ASSERT_EQUAL(
	    ld_db_cmd(&d1,
		"INSERT INTO payout_attempts (bill_id, "
		"attempt_no, kind, outcome) VALUES (1, 99, 'query', 'success')",
		&err),
	    LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&d1,
			    "UPDATE payouts SET state = "
			    "'succeeded'",
			    &err),
	    LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&d1,
			    "UPDATE payout_control SET paused = "
			    "false",
			    &err),
	    LD_EPERM);
}

/*
 * A timeout makes the bill unknown; the query that finds nothing leads to
 * the identical create; a query then says SUCCESS; a late PROCESSING
 * changes nothing.
 */
static void
test_unknown_query_resend_success(void)
{
	struct claimed c[4];
	char out[256], body[512], stored[512];
	struct ld_err err;
	long p;

	calm();
	p = sent_payout(500000, c);
	su_text(stored, sizeof stored,
	    "SELECT request_body FROM transfer_bills "
	    "WHERE id = %ld",
	    c[0].bill);
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
		cls(WX_KIND_TRANSPORT, WX_CODE_TIMEOUT), NULL, out, sizeof out,
		&err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "unknown");
	su_text(out, sizeof out,
	    "SELECT next_action FROM transfer_bills WHERE "
	    "id = %ld",
	    c[0].bill);
	CU_ASSERT_STRING_EQUAL(out, "query");
	/* An unknown bill is in flight: it is not cancelled under WeChat. */
	snprintf(body, sizeof body, "%ld", p);
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_cancel($1::bigint, $2)",
			    body, "borrower withdrew"),
	    LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "is unknown"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
	    "cannot be cancelled while "
	    "WeChat Pay may still pay it"));

	set_clock("2100-01-01 00:00:00+00");
	CU_ASSERT_EQUAL_FATAL(claim(&d1, "d1", 4, c, 4), 1);
	CU_ASSERT_STRING_EQUAL(c[0].action, "query");
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_QUERY, PAYOUT_BILL_UNKNOWN,
		cls(WX_KIND_V3_ERROR, "NOT_FOUND"), NULL, out, sizeof out,
		&err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "unknown");
	set_clock("2100-01-01 00:10:00+00");
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d1, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(claim(&d1, "d1", 4, c, 4), 1);
	CU_ASSERT_STRING_EQUAL(c[0].action, "create");
	CU_ASSERT_STRING_EQUAL(c[0].state, "unknown");
	CU_ASSERT(c[0].has_body);
	/* The same number and the same bytes; the bill stays unknown. */
	CU_ASSERT_EQUAL(sending(&d1, c[0].bill, stored, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_commit(&d1, &err), LD_OK);
	bill_state(c[0].bill, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "unknown");
	CU_ASSERT_EQUAL(su_long("SELECT count(DISTINCT out_bill_no) FROM "
				"transfer_bills WHERE payout_id = %ld",
			    p),
	    1);

	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_UNKNOWN,
		cls(WX_KIND_V3_BILL_STATE, "WAIT_USER_CONFIRM"),
		"{\"state\":\"WAIT_USER_CONFIRM\",\"package_info\":\"ABBQO+"
		"oYAAABAA"
		"\",\"transfer_bill_no\":"
		"\"1330000071100999991182020050700019480001"
		"\"}",
		out, sizeof out, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "wait_user_confirm");
	su_text(out, sizeof out,
	    "SELECT package_info FROM transfer_bills WHERE "
	    "id = %ld",
	    c[0].bill);
	CU_ASSERT_STRING_EQUAL(out, "ABBQO+oYAAABAA");
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_QUERY,
		PAYOUT_BILL_WAIT_USER_CONFIRM,
		cls(WX_KIND_V3_BILL_STATE, "SUCCESS"),
		"{\"state\":\"SUCCESS\",\"transfer_amount\":500000}", out,
		sizeof out, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "success");
	payout_state(p, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "succeeded");
	/* A late PROCESSING (computed from where the daemon saw the bill)
	 * changes nothing. */
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_QUERY, PAYOUT_BILL_ACCEPTED,
		cls(WX_KIND_V3_BILL_STATE, "PROCESSING"), NULL, out, sizeof out,
		&err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "success");
	su_text(out, sizeof out,
	    "SELECT next_action || ' ' || paid_fen FROM "
	    "transfer_bills t JOIN payouts p ON p.id = t.payout_id WHERE "
	    "t.id = %ld",
	    c[0].bill);
	CU_ASSERT_STRING_EQUAL(out, "none 500000");
	CU_ASSERT_EQUAL(
	    su_long("SELECT count(*) FROM audit_log WHERE "
		    "action = 'payout.succeeded' AND object_id = '%ld'",
		p),
	    1);
}

/* Callbacks: forward only, a repeat changes nothing, conflicts to people. */
static void
test_callbacks_idempotent_never_backwards(void)
{
	struct claimed c[4];
	char out[256], before[512], after[512], no[40];
	struct ld_err err;
	long p, audits;

	calm();
	p = sent_payout(300000, c);
	snprintf(no, sizeof no, "%s", c[0].out_no);
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
		cls(WX_KIND_V3_BILL_STATE, "WAIT_USER_CONFIRM"),
		"{\"package_info\":\"pkg\"}", out, sizeof out, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(callback(&d1, no, "success", "{\"out_bill_no\":\"x\"}",
			    out, sizeof out, &err),
	    LD_OK);
	/* About another bill: nothing changes, a person looks. */
	bill_state(c[0].bill, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "wait_user_confirm");
	CU_ASSERT_EQUAL(
	    su_long("SELECT count(*) FROM reviews WHERE payout_id = "
		    "%ld AND reason = 'ANSWER_CONFLICT' AND state = 'open'",
		p),
	    1);
	CU_ASSERT_EQUAL(callback(&d1, no, "success",
			    "{\"transfer_amount\":"
			    "300001}",
			    out, sizeof out, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "wait_user_confirm");

	CU_ASSERT_EQUAL(
	    callback(&d1, no, "success",
		"{\"transfer_amount\":"
		"300000,\"update_time\":\"2025-01-01T10:00:00+08:00\"}",
		out, sizeof out, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "success");
	payout_state(p, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "succeeded");
	/* The same callback again, and a late one: nothing changes. */
	su_text(before, sizeof before,
	    "SELECT t.state || t.updated_at || "
	    "p.state || p.updated_at || p.version FROM transfer_bills t JOIN "
	    "payouts p ON p.id = t.payout_id WHERE t.id = %ld",
	    c[0].bill);
	audits = su_long("SELECT count(*) FROM audit_log");
	CU_ASSERT_EQUAL(
	    callback(&d1, no, "success", "{}", out, sizeof out, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "success");
	CU_ASSERT_EQUAL(
	    callback(&d1, no, "processing", "{}", out, sizeof out, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "success");
	su_text(after, sizeof after,
	    "SELECT t.state || t.updated_at || "
	    "p.state || p.updated_at || p.version FROM transfer_bills t JOIN "
	    "payouts p ON p.id = t.payout_id WHERE t.id = %ld",
	    c[0].bill);
	CU_ASSERT_STRING_EQUAL(after, before);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM audit_log"), audits);
	CU_ASSERT_EQUAL(
	    su_long("SELECT count(*) FROM payout_attempts WHERE "
		    "bill_id = %ld AND kind = 'callback' AND NOT applied",
		c[0].bill),
	    4);
	/* FAIL after SUCCESS: kept, and it reaches a person. */
	CU_ASSERT_EQUAL(
	    callback(&d1, no, "fail", "{}", out, sizeof out, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "success");
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM payout_alerts WHERE "
				"kind = 'answer_conflict' AND detail->>'note' "
				"LIKE '%%reports fail "
				"for a bill recorded as success%%'"),
	    1);
	/* Not ours; not a state. */
	CU_ASSERT_EQUAL(callback(&d1, "LD999999S1G0", "success", "{}", out,
			    sizeof out, &err),
	    LD_ENOTFOUND);
	CU_ASSERT_EQUAL(
	    callback(&d1, no, "pending", "{}", out, sizeof out, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(
	    callback(&fin1, no, "success", "{}", out, sizeof out, &err),
	    LD_EPERM);

	/* Not confirmed in time: WeChat cancels it; a person looks. */
	p = sent_payout(200000, c);
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
		cls(WX_KIND_V3_BILL_STATE, "WAIT_USER_CONFIRM"), NULL, out,
		sizeof out, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(callback(&d1, c[0].out_no, "cancelled", "{}", out,
			    sizeof out, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "cancelled");
	payout_state(p, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "failed");
	su_text(out, sizeof out,
	    "SELECT reason || ': ' || note FROM reviews "
	    "WHERE payout_id = %ld AND kind = 'payout' AND state = 'open'",
	    p);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "USER_NOT_CONFIRMED: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "the borrower did not confirm"));
}

/* A final failure opens a review; on-call retries with a new number. */
static void
test_final_failure_review_and_retry(void)
{
	struct claimed c[4];
	char out[512], id[32], want[256];
	struct ld_err err;
	long p, oldbill;

	calm();
	p = sent_payout(400000, c);
	oldbill = c[0].bill;
	snprintf(id, sizeof id, "%ld", p);
	/* Nothing failed yet: nothing to retry. */
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_retry($1::bigint, $2)",
			    id, "again"),
	    LD_ECONFLICT);
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
		cls(WX_KIND_V3_FAIL_REASON, "NAME_NOT_CORRECT"),
		"{\"state\":\"FAIL\",\"fail_reason\":\"NAME_NOT_CORRECT\"}",
		out, sizeof out, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "fail");
	payout_state(p, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "failed");
	su_text(out, sizeof out,
	    "SELECT reason FROM reviews WHERE payout_id = "
	    "%ld AND kind = 'payout' AND state = 'open'",
	    p);
	CU_ASSERT_STRING_EQUAL(out, "NAME_NOT_CORRECT");
	/* Only on-call retries, with a note. */
	CU_ASSERT_EQUAL(call2(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_retry($1::bigint, $2)",
			    id, "again"),
	    LD_EPERM);
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_retry($1::bigint, $2)",
			    id, " "),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_retry($1::bigint, $2)",
			    id,
			    "borrower fixed the real "
			    "name"),
	    LD_OK);
	/* No bill of the new generation has left yet. */
	CU_ASSERT_STRING_EQUAL(out, "approved");
	su_text(out, sizeof out,
	    "SELECT string_agg(out_bill_no || ' ' || "
	    "state || ' ' || coalesce(replaces_bill_id::text, '-'), '; ' ORDER "
	    "BY generation) FROM transfer_bills WHERE payout_id = %ld",
	    p);
	snprintf(want, sizeof want, "LD%ldS1G0 fail -; LD%ldS1G1 pending %ld",
	    p, p, oldbill);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(
	    su_long("SELECT count(*) FROM reviews WHERE payout_id = "
		    "%ld AND state = 'closed' AND resolution = 'retried'",
		p),
	    1);
	/* The new generation goes out; the old bill never again. */
	CU_ASSERT_EQUAL_FATAL(claim_and_send(&d1, "d1", c, 4), 1);
	CU_ASSERT(c[0].bill != oldbill);
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
		cls(WX_KIND_V3_BILL_STATE, "SUCCESS"), NULL, out, sizeof out,
		&err),
	    LD_OK);
	payout_state(p, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "succeeded");
	/* A succeeded payout is never retried. */
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_retry($1::bigint, $2)",
			    id, "again"),
	    LD_ECONFLICT);
	snprintf(want, sizeof want,
	    "payout %ld succeeded: its bills were paid "
	    "and are never sent again",
	    p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));

	/* Two bills: the paid one stays paid, only the failed one again. */
	p = new_payout(3000000);
	approve_fully(p);
	CU_ASSERT_EQUAL_FATAL(claim_and_send(&d1, "d1", c, 4), 2);
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
		cls(WX_KIND_V3_BILL_STATE, "SUCCESS"), NULL, out, sizeof out,
		&err),
	    LD_OK);
	CU_ASSERT_EQUAL(
	    record(&d1, c[1].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
		cls(WX_KIND_V3_BILL_STATE, "FAIL"), NULL, out, sizeof out,
		&err),
	    LD_OK);
	payout_state(p, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "failed");
	/* Partly paid: not cancelled. */
	snprintf(id, sizeof id, "%ld", p);
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_cancel($1::bigint, $2)",
			    id, "stop"),
	    LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
	    "has paid 2000000 of 3000000 "
	    "fen"));
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_retry($1::bigint, $2)",
			    id, "try again"),
	    LD_OK);
	su_text(out, sizeof out,
	    "SELECT string_agg(seq || 'G' || generation || "
	    "' ' || state, '; ' ORDER BY seq, generation) FROM transfer_bills "
	    "WHERE payout_id = %ld",
	    p);
	CU_ASSERT_STRING_EQUAL(out, "1G0 success; 2G0 fail; 2G1 pending");
}

/* Hold, release, cancel; NOT_ENOUGH pauses the channel. */
static void
test_hold_release_cancel(void)
{
	struct claimed c[4];
	char out[512], id[32], want[256];
	struct ld_err err;
	long p, app;

	calm();
	p = new_payout(100000);
	snprintf(id, sizeof id, "%ld", p);
	/* Not yet approved: nothing to hold; cancelled outright. */
	CU_ASSERT_EQUAL(call2(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_hold($1::bigint, $2)",
			    id, "check"),
	    LD_ECONFLICT);
	CU_ASSERT_EQUAL(call2(&risk, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_cancel($1::bigint, $2)",
			    id, "x"),
	    LD_EPERM);
	CU_ASSERT_EQUAL(call2(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_cancel($1::bigint, $2)",
			    id, ""),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(call2(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_cancel($1::bigint, $2)",
			    id, "borrower withdrew"),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "cancelled");
	app = su_long("SELECT application_id FROM payouts WHERE id = %ld", p);
	su_text(out, sizeof out,
	    "SELECT status || ' ' || payout_cancelled_by "
	    "FROM applications WHERE id = %ld",
	    app);
	CU_ASSERT_STRING_EQUAL(out, "cancelled p_fin1");
	CU_ASSERT_EQUAL(ld_db_cmd(&su,
			    "UPDATE applications SET status = "
			    "'approved' WHERE status = 'cancelled'",
			    &err),
	    LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "stays cancelled"));

	/* Held by a person: the claim hands out no create for it. */
	p = new_payout(100000);
	approve_fully(p);
	snprintf(id, sizeof id, "%ld", p);
	CU_ASSERT_EQUAL(call2(&admin, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_hold($1::bigint, $2)",
			    id,
			    "borrower called: wrong "
			    "account"),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "held");
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_hold($1::bigint, $2)",
			    id, "again"),
	    LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "already held by p_admin"));
	CU_ASSERT_EQUAL(claim(&d1, "d1", 4, c, 4), 0);
	CU_ASSERT_EQUAL(call2(&admin, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_release($1::bigint)",
			    id, NULL),
	    LD_EPERM);
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_release($1::bigint)",
			    id, NULL),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "approved");
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_release($1::bigint)",
			    id, NULL),
	    LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "is not held"));
	su_text(out, sizeof out,
	    "SELECT string_agg(actor || ' ' || action, "
	    "'; ' ORDER BY id) FROM audit_log WHERE object_type = 'payout' AND "
	    "object_id = '%ld' AND action IN ('payout.hold', 'payout.release')",
	    p);
	CU_ASSERT_STRING_EQUAL(out,
	    "p_admin payout.hold; p_oncall "
	    "payout.release");

	/* In flight: refused.  Waiting for the borrower: cancelled through
	 * WeChat Pay first. */
	CU_ASSERT_EQUAL_FATAL(claim_and_send(&d1, "d1", c, 4), 1);
	CU_ASSERT_EQUAL(call2(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_cancel($1::bigint, $2)",
			    id, "stop"),
	    LD_ECONFLICT);
	snprintf(want, sizeof want, "bill LD%ldS1G0 is sending", p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
		cls(WX_KIND_V3_BILL_STATE, "WAIT_USER_CONFIRM"), NULL, out,
		sizeof out, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(call2(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_cancel($1::bigint, $2)",
			    id, "fraud confirmed"),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out,
	    "cancel requested: 1 bill(s) waiting for "
	    "the borrower are being cancelled at WeChat Pay");
	CU_ASSERT_EQUAL_FATAL(claim(&d1, "d1", 4, c, 4), 1);
	CU_ASSERT_STRING_EQUAL(c[0].action, "cancel");
	CU_ASSERT_EQUAL(record(&d1, c[0].bill, PAYOUT_EX_CANCEL,
			    PAYOUT_BILL_WAIT_USER_CONFIRM,
			    cls(WX_KIND_V3_BILL_STATE, "CANCELING"), NULL, out,
			    sizeof out, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "cancelling");
	CU_ASSERT_EQUAL(callback(&d1, c[0].out_no, "cancelled", "{}", out,
			    sizeof out, &err),
	    LD_OK);
	payout_state(p, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "cancelled");
	app = su_long("SELECT application_id FROM payouts WHERE id = %ld", p);
	su_text(out, sizeof out,
	    "SELECT status FROM applications WHERE id = "
	    "%ld",
	    app);
	CU_ASSERT_STRING_EQUAL(out, "cancelled");
	/* Cancelled as asked: no review. */
	CU_ASSERT_EQUAL(
	    su_long("SELECT count(*) FROM reviews WHERE payout_id = "
		    "%ld AND state <> 'closed'",
		p),
	    0);
}

static void
test_not_enough_pauses_the_channel(void)
{
	struct claimed c[4];
	char out[512], n1[32], n2[32];
	const char *p4[4];
	struct ld_err err;
	long p, q;

	calm();
	p = sent_payout(300000, c);
	q = new_payout(100000);
	approve_fully(q);
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
		cls(WX_KIND_V3_ERROR, "NOT_ENOUGH"), NULL, out, sizeof out,
		&err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "held");
	su_text(out, sizeof out,
	    "SELECT channel_paused::text || ' ' || "
	    "channel_code FROM payout_control");
	CU_ASSERT_STRING_EQUAL(out, "true NOT_ENOUGH");
	/* Nothing else is sent, not even another payout's bill. */
	set_clock("2100-01-01 00:00:00+00");
	CU_ASSERT_EQUAL(claim(&d1, "d1", 4, c, 4), 0);
	/* A reading short of what waits keeps it paused... */
	p4[0] = "d1";
	p4[1] = "OPERATION";
	p4[2] = n1;
	p4[3] = n2;
	snprintf(n1, sizeof n1, "%d", 350000);
	snprintf(n2, sizeof n2, "%d", 0);
	CU_ASSERT_EQUAL(
	    op(&d1, out, sizeof out, &err,
		"SELECT "
		"api.payout_balance_record($1, $2, $3::bigint, $4::bigint)",
		4, p4),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "paused");
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM payout_alerts WHERE "
				"kind = 'balance_low' AND cleared_at IS NULL"),
	    1);
	/* ...one that covers it resumes, and the held bill goes again. */
	snprintf(n1, sizeof n1, "%d", 400000);
	CU_ASSERT_EQUAL(
	    op(&d1, out, sizeof out, &err,
		"SELECT "
		"api.payout_balance_record($1, $2, $3::bigint, $4::bigint)",
		4, p4),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "open");
	bill_state(su_long("SELECT id FROM transfer_bills WHERE payout_id = "
			   "%ld",
		       p),
	    out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "pending");
	CU_ASSERT_EQUAL(claim(&d1, "d1", 4, c, 4), 2);
	CU_ASSERT_EQUAL(
	    su_long("SELECT count(*) FROM audit_log WHERE action IN "
		    "('payouts.channel_pause', 'payouts.channel_resume')"),
	    2);
	CU_ASSERT_EQUAL(
	    op(&fin1, out, sizeof out, &err,
		"SELECT "
		"api.payout_balance_record($1, $2, $3::bigint, $4::bigint)",
		4, p4),
	    LD_EPERM);
}

/*
 * A refusal holds the bill for a person; releasing the payout sends the
 * same bytes under the same number.  WeChat's daily limit holds it until
 * Beijing midnight, then the same again.
 */
static void
test_refused_and_wechat_limit_holds(void)
{
	struct claimed c[4];
	char out[512], id[32], body[512];
	struct ld_err err;
	long p, bill;

	calm();
	set_clock("2025-05-01 12:00:00+08");
	p = sent_payout(200000, c);
	bill = c[0].bill;
	su_text(body, sizeof body,
	    "SELECT request_body FROM transfer_bills "
	    "WHERE id = %ld",
	    bill);
	CU_ASSERT_EQUAL(record(&d1, bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
			    cls(WX_KIND_V3_ERROR, "PARAM_ERROR"), NULL, out,
			    sizeof out, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "held");
	su_text(out, sizeof out,
	    "SELECT hold_reason || ' ' || next_action "
	    "FROM transfer_bills WHERE id = %ld",
	    bill);
	CU_ASSERT_STRING_EQUAL(out, "refused none");
	su_text(out, sizeof out,
	    "SELECT reason FROM reviews WHERE payout_id = "
	    "%ld AND kind = 'payout' AND state = 'open'",
	    p);
	CU_ASSERT_STRING_EQUAL(out, "PARAM_ERROR");
	/* Nobody cancels or retries what a refusal holds: released, it
	 * goes again as it was. */
	snprintf(id, sizeof id, "%ld", p);
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_retry($1::bigint, $2)",
			    id, "new number"),
	    LD_ECONFLICT);
	CU_ASSERT_EQUAL(call2(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.payout_release($1::bigint)",
			    id, NULL),
	    LD_OK);
	CU_ASSERT_EQUAL(
	    su_long("SELECT count(*) FROM reviews WHERE payout_id = "
		    "%ld AND state = 'closed' AND resolution = 'released'",
		p),
	    1);
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d1, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(claim(&d1, "d1", 4, c, 4), 1);
	CU_ASSERT(c[0].bill == bill && c[0].has_body);
	CU_ASSERT_EQUAL(sending(&d1, bill, body, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_commit(&d1, &err), LD_OK);

	/* WeChat's own daily quota: the same number after midnight. */
	CU_ASSERT_EQUAL(record(&d1, bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
			    cls(WX_KIND_V2_ERR_CODE, "MONEY_LIMIT"), NULL, out,
			    sizeof out, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "held");
	su_text(out, sizeof out,
	    "SELECT hold_reason || ' ' || to_char("
	    "hold_until AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') "
	    "FROM transfer_bills WHERE id = %ld",
	    bill);
	CU_ASSERT_STRING_EQUAL(out, "wechat_limit 2025-05-02 00:00:00");
	set_clock("2025-05-01 23:59:59+08");
	CU_ASSERT_EQUAL(claim(&d1, "d1", 4, c, 4), 0);
	set_clock("2025-05-02 00:00:00+08");
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d1, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(claim(&d1, "d1", 4, c, 4), 1);
	CU_ASSERT(c[0].bill == bill && c[0].has_body &&
	    strcmp(c[0].action, "create") == 0);
	CU_ASSERT_EQUAL(sending(&d1, bill, body, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_commit(&d1, &err), LD_OK);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM transfer_bills WHERE "
				"payout_id = %ld",
			    p),
	    1);
	CU_ASSERT_EQUAL(su_long("SELECT attempts FROM transfer_bills WHERE "
				"id = %ld",
			    bill),
	    3);
}

/* 4. Kill switch, claims, limits --------------------------------------------
 */

static void
test_pause_seen_by_the_claim(void)
{
	struct claimed c[4];
	char out[512];
	struct ld_err err;
	long p;

	calm();
	p = new_payout(100000);
	approve_fully(p);
	CU_ASSERT_EQUAL(call2(&risk, out, sizeof out, &err,
			    "SELECT "
			    "api.payouts_pause($1)",
			    "x", NULL),
	    LD_EPERM);
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payouts_pause($1)",
			    " ", NULL),
	    LD_EINVAL);
	/* A claim under way holds the switch: the pause waits for it. */
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d1, &err), LD_OK);
	CU_ASSERT_EQUAL(claim(&d1, "d1", 4, c, 4), 1);
	CU_ASSERT_EQUAL(
	    ld_db_cmd(&oncall, "SET lock_timeout = '300ms'", &err), LD_OK);
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payouts_pause($1)",
			    "bank says stop", NULL),
	    LD_ECONFLICT);
	CU_ASSERT_STRING_EQUAL(oncall.sqlstate, "55P03");
	ld_db_rollback(&d1);
	/* A daemon's transaction open before the pause sees it in its next
	 * claim. */
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d2, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_cmd(&d2, "SELECT 1", &err), LD_OK);
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.payouts_pause($1)",
			    "bank says stop", NULL),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "paused");
	CU_ASSERT_EQUAL(claim(&d2, "d2", 4, c, 4), 0);
	ld_db_rollback(&d2);
	CU_ASSERT_EQUAL(ld_db_cmd(&oncall, "RESET lock_timeout", &err), LD_OK);
	/* Who, when, why. */
	su_text(out, sizeof out,
	    "SELECT paused_by || ': ' || pause_reason FROM "
	    "payout_control");
	CU_ASSERT_STRING_EQUAL(out, "p_oncall: bank says stop");
	CU_ASSERT_EQUAL(call2(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.payouts_pause($1)",
			    "me too", NULL),
	    LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
	    "already paused, by p_oncall "
	    "since "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ": bank says stop"));
	CU_ASSERT_EQUAL(call2(&admin, out, sizeof out, &err,
			    "SELECT "
			    "api.payouts_resume($1)",
			    "bank says go", NULL),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "running");
	CU_ASSERT_EQUAL(call2(&admin, out, sizeof out, &err,
			    "SELECT "
			    "api.payouts_resume($1)",
			    NULL, NULL),
	    LD_ECONFLICT);
	CU_ASSERT_EQUAL(claim(&d1, "d1", 4, c, 4), 1);
	su_text(out, sizeof out,
	    "SELECT string_agg(actor || ' ' || action, "
	    "'; ' ORDER BY id) FROM audit_log WHERE object_type = 'payouts' "
	    "AND action IN ('payouts.pause', 'payouts.resume')");
	CU_ASSERT_STRING_EQUAL(out,
	    "p_oncall payouts.pause; p_admin "
	    "payouts.resume");
}

/* Two daemons never get the same bill. */
static void
test_claim_skip_locked(void)
{
	struct claimed a[8], b[8];
	struct ld_err err;
	long p, q;
	int na, nb, i, j;

	calm();
	p = new_payout(100000);
	q = new_payout(200000);
	approve_fully(p);
	approve_fully(q);
	/* Creates: the one claiming them holds the day's limits; the other
	 * gets none of them meanwhile. */
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d1, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d2, &err), LD_OK);
	na = claim(&d1, "d1", 1, a, 8);
	nb = claim(&d2, "d2", 8, b, 8);
	CU_ASSERT_EQUAL(na, 1);
	CU_ASSERT_EQUAL(nb, 0);
	ld_db_rollback(&d1);
	ld_db_rollback(&d2);
	CU_ASSERT_EQUAL_FATAL(claim_and_send(&d1, "d1", a, 8), 2);
	/* Queries once the leases ran out: each bill to one daemon only. */
	set_clock("2100-01-01 00:00:00+00");
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d1, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d2, &err), LD_OK);
	na = claim(&d1, "d1", 1, a, 8);
	nb = claim(&d2, "d2", 8, b, 8);
	CU_ASSERT_EQUAL(na, 1);
	CU_ASSERT_EQUAL(nb, 1);
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			CU_ASSERT(a[i].bill != b[j].bill);
	CU_ASSERT_STRING_EQUAL(a[0].action, "query");
	CU_ASSERT_STRING_EQUAL(a[0].state, "unknown");
	CU_ASSERT_EQUAL(ld_db_commit(&d1, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_commit(&d2, &err), LD_OK);
	/* Leased: not handed out again until an answer or the lease's end. */
	CU_ASSERT_EQUAL(claim(&d1, "d1", 8, a, 8), 0);
	su_text(a[0].state, sizeof a[0].state,
	    "SELECT string_agg(DISTINCT "
	    "state, ',') FROM transfer_bills WHERE payout_id IN (%ld, %ld)",
	    p, q);
	CU_ASSERT_STRING_EQUAL(a[0].state, "unknown");
}

/* The borrower's daily limit holds a bill and releases it after Beijing
 * midnight; the merchant's names itself. */
static void
test_limits_across_beijing_midnight(void)
{
	struct claimed c[8];
	char out[512];
	struct ld_err err;
	long p, q, held;
	int n, i;

	calm();
	set_setting("per_user_daily_max_fen", "3000000");
	set_clock("2025-03-01 23:00:00+08");
	p = new_payout(5000000);
	approve_fully(p);
	su_text(out, sizeof out,
	    "SELECT string_agg(amount_fen::text, ',' "
	    "ORDER BY seq) FROM transfer_bills WHERE payout_id = %ld",
	    p);
	CU_ASSERT_STRING_EQUAL(out, "2000000,2000000,1000000");
	n = claim_and_send(&d1, "d1", c, 8);
	CU_ASSERT_EQUAL(n, 2);
	held = su_long("SELECT id FROM transfer_bills WHERE payout_id = %ld "
		       "AND state = 'held'",
	    p);
	su_text(out, sizeof out,
	    "SELECT seq || ' ' || hold_reason || ' ' || "
	    "to_char(hold_until AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD "
	    "HH24:MI:SS') FROM transfer_bills WHERE id = %ld",
	    held);
	CU_ASSERT_STRING_EQUAL(out,
	    "2 per_user_daily_max_fen 2025-03-02 "
	    "00:00:00");
	su_text(out, sizeof out,
	    "SELECT (detail->>'used_fen') || '+' || "
	    "(detail->>'amount_fen') || '>' || (detail->>'max_fen') FROM "
	    "audit_log WHERE action = 'bill.held' AND object_id = '%ld'",
	    held);
	CU_ASSERT_STRING_EQUAL(out, "2000000+2000000>3000000");
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(record(&d1, c[i].bill, PAYOUT_EX_CREATE,
				    PAYOUT_BILL_SENDING,
				    cls(WX_KIND_V3_BILL_STATE, "SUCCESS"), NULL,
				    out, sizeof out, &err),
		    LD_OK);
	/* A second before midnight: still held. */
	set_clock("2025-03-01 23:59:59+08");
	CU_ASSERT_EQUAL(claim(&d1, "d1", 8, c, 8), 0);
	bill_state(held, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "held");
	/* Midnight: released, and yesterday's payments count no more. */
	set_clock("2025-03-02 00:00:00+08");
	CU_ASSERT_EQUAL_FATAL(claim_and_send(&d1, "d1", c, 8), 1);
	CU_ASSERT_EQUAL(c[0].bill, held);
	bill_state(held, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "sending");
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM audit_log WHERE action = "
				"'bill.release' AND object_id = '%ld'",
			    held),
	    1);
	/* What is still in flight counts on the next day too. */
	set_clock("2025-03-03 09:00:00+08");
	q = new_payout_full(
	    1500000, 1800, 0, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", &risk);
	su_exec("UPDATE applications SET applicant_id = (SELECT applicant_id "
		"FROM transfer_bills WHERE id = %ld) WHERE id = (SELECT "
		"application_id FROM payouts WHERE id = %ld)",
	    held, q);
	approve_fully(q);
	/* (The bill sent at midnight is due for a query: its lease ran out
	 * with no answer.) */
	CU_ASSERT_EQUAL(claim(&d1, "d1", 8, c, 8), 1);
	CU_ASSERT(c[0].bill == held && strcmp(c[0].action, "query") == 0);
	su_text(out, sizeof out,
	    "SELECT hold_reason FROM transfer_bills WHERE "
	    "payout_id = %ld",
	    q);
	CU_ASSERT_STRING_EQUAL(out, "per_user_daily_max_fen");

	/* The merchant's limit. */
	calm();
	/* Earlier tests left bills in flight, which count today too. */
	snprintf(out, sizeof out, "%ld",
	    su_long("SELECT payout_day_used("
		    "payout_beijing_day(now()), NULL)") +
		150000);
	set_setting("merchant_daily_max_fen", out);
	p = new_payout(100000);
	q = new_payout(100000);
	approve_fully(p);
	approve_fully(q);
	CU_ASSERT_EQUAL(claim_and_send(&d1, "d1", c, 8), 1);
	su_text(out, sizeof out,
	    "SELECT string_agg(coalesce(hold_reason, "
	    "state), ',' ORDER BY payout_id) FROM transfer_bills WHERE "
	    "payout_id IN (%ld, %ld)",
	    p, q);
	CU_ASSERT_STRING_EQUAL(out, "sending,merchant_daily_max_fen");
	/* Nobody releases a limit by hand. */
	{
		char id[32];

		snprintf(id, sizeof id, "%ld", q);
		CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
				    "SELECT "
				    "api.payout_release($1::bigint)",
				    id, NULL),
		    LD_ECONFLICT);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
	    "the merchant's daily limit "
	    "(released after Beijing midnight)"));
}

/* 5. Escalation and reconciliation ------------------------------------------
 */

static void
test_escalate_to_finance(void)
{
	struct claimed c[4];
	char out[256], id[32], rid[32];
	struct ld_err err;
	long p, review;

	calm();
	p = sent_payout(100000, c);
	CU_ASSERT_EQUAL(
	    record(&d1, c[0].bill, PAYOUT_EX_CREATE, PAYOUT_BILL_SENDING,
		cls(WX_KIND_V3_FAIL_REASON, "ACCOUNT_FROZEN"), NULL, out,
		sizeof out, &err),
	    LD_OK);
	review = su_long("SELECT id FROM reviews WHERE payout_id = %ld AND "
			 "state = 'open'",
	    p);
	snprintf(id, sizeof id, "%ld", p);
	snprintf(rid, sizeof rid, "%ld", review);
	/* Finance does not work on-call's reviews... */
	CU_ASSERT_EQUAL(call2(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.review_claim($1::bigint)",
			    rid, NULL),
	    LD_EPERM);
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.review_claim($1::bigint)",
			    rid, NULL),
	    LD_OK);
	{
		const char *p3[3] = {id, "loandesk_finance",
		    "frozen account: "
		    "finance calls the borrower"};

		CU_ASSERT_EQUAL(op(&risk, out, sizeof out, &err,
				    "SELECT "
				    "api.payout_escalate($1::bigint, $2, $3)",
				    3, p3),
		    LD_EPERM);
		p3[1] = "loandesk_nobody";
		CU_ASSERT_EQUAL(op(&oncall, out, sizeof out, &err,
				    "SELECT "
				    "api.payout_escalate($1::bigint, $2, $3)",
				    3, p3),
		    LD_EINVAL);
		p3[1] = "loandesk_finance";
		CU_ASSERT_EQUAL(op(&oncall, out, sizeof out, &err,
				    "SELECT "
				    "api.payout_escalate($1::bigint, $2, $3)",
				    3, p3),
		    LD_OK);
		CU_ASSERT_EQUAL(atol(out), review);
	}
	/* ...until it is escalated to them. */
	su_text(out, sizeof out,
	    "SELECT state || ' ' || escalated_to FROM "
	    "reviews WHERE id = %ld",
	    review);
	CU_ASSERT_STRING_EQUAL(out, "open loandesk_finance");
	CU_ASSERT_EQUAL(call2(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.review_claim($1::bigint)",
			    rid, NULL),
	    LD_EPERM);
	CU_ASSERT_EQUAL(call2(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.review_claim($1::bigint)",
			    rid, NULL),
	    LD_OK);
	CU_ASSERT_EQUAL(call2(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.review_assign($1::bigint, $2)",
			    rid, "p_fin2"),
	    LD_OK);
}

static void
test_reconciliation(void)
{
	struct claimed c[8];
	char out[1024], lines[2048], a0[40], a1[40], a2[40];
	const char *p4[4];
	struct ld_err err;
	long p;
	int i, n;

	calm();
	set_clock("2025-04-01 10:00:00+08");
	for (i = 0; i < 3; i++) {
		p = new_payout(100000 + i);
		approve_fully(p);
	}
	n = claim_and_send(&d1, "d1", c, 8);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(record(&d1, c[i].bill, PAYOUT_EX_CREATE,
				    PAYOUT_BILL_SENDING,
				    cls(WX_KIND_V3_BILL_STATE, "SUCCESS"), NULL,
				    out, sizeof out, &err),
		    LD_OK);
	snprintf(a0, sizeof a0, "%s", c[0].out_no);
	snprintf(a1, sizeof a1, "%s", c[1].out_no);
	snprintf(a2, sizeof a2, "%s", c[2].out_no);
	/* Bill 0 matches, bill 1 at another amount, bill 2 absent, and a
	 * payment WeChat made that is no bill of ours. */
	snprintf(lines, sizeof lines,
	    "[{\"out_no\":\"%s\",\"wechat_no\":\"1\","
	    "\"direction\":\"out\",\"amount_fen\":%ld},{\"out_no\":\"%s\","
	    "\"wechat_no\":\"2\",\"direction\":\"out\",\"amount_fen\":%ld},"
	    "{\"out_no\":\"LD99999999S1G0\",\"wechat_no\":\"3\",\"direction\":"
	    "\"out\",\"amount_fen\":500},{\"wechat_no\":\"4\",\"direction\":"
	    "\"in\",\"amount_fen\":100000000}]",
	    a0, c[0].amount, a1, c[1].amount + 100);
	set_clock("2025-04-02 09:00:00+08");
	p4[0] = "2025-04-01";
	p4[1] = "OPERATION";
	p4[2] = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
	p4[3] = lines;
	CU_ASSERT_EQUAL(op(&oncall, out, sizeof out, &err,
			    "SELECT "
			    "api.reconcile_run($1::date, $2, $3, $4::jsonb)",
			    4, p4),
	    LD_EPERM);
	/* A day after today (0026: today is the day so far). */
	p4[0] = "2025-04-03";
	CU_ASSERT_EQUAL(op(&fin1, out, sizeof out, &err,
			    "SELECT "
			    "api.reconcile_run($1::date, $2, $3, $4::jsonb)",
			    4, p4),
	    LD_EINVAL);
	p4[0] = "2025-04-01";
	CU_ASSERT_EQUAL(
	    op(&fin1, out, sizeof out, &err,
		"SELECT "
		"api.reconcile_run($1::date, $2, $3, $4::jsonb) - ARRAY["
		"'run_id', 'supersedes', 'reviews_opened', 'reviews_carried', "
		"'reviews_closed', 'mismatches']",
		4, p4),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(out,
	    "{\"lines\": 4, \"matched\": 1, "
	    "\"amount_differs\": 1, \"paid_there_not_here\": 1, "
	    "\"succeeded_here_not_there\": 1}");
	su_text(out, sizeof out,
	    "SELECT string_agg(l.kind || ' ' || "
	    "l.out_bill_no || ' ' || r.reason, '; ' ORDER BY l.kind) FROM "
	    "reconciliation_lines l JOIN reviews r ON "
	    "r.reconciliation_line_id = l.id AND r.kind = 'reconciliation' "
	    "AND r.state = 'open'");
	{
		char want[512];

		snprintf(want, sizeof want,
		    "amount_differs %s AMOUNT_DIFFERS; "
		    "paid_there_not_here LD99999999S1G0 PAID_THERE_NOT_HERE; "
		    "succeeded_here_not_there %s SUCCEEDED_HERE_NOT_THERE",
		    a1, a2);
		CU_ASSERT_STRING_EQUAL(out, want);
	}
	/* Finance works them. */
	snprintf(out, sizeof out, "%ld",
	    su_long("SELECT max(id) FROM reviews "
		    "WHERE kind = 'reconciliation'"));
	CU_ASSERT_EQUAL(call2(&oncall, lines, sizeof lines, &err,
			    "SELECT "
			    "api.review_claim($1::bigint)",
			    out, NULL),
	    LD_EPERM);
	CU_ASSERT_EQUAL(call2(&fin2, lines, sizeof lines, &err,
			    "SELECT "
			    "api.review_claim($1::bigint)",
			    out, NULL),
	    LD_OK);
	/* A file that failed its hash: recorded, nothing matched. */
	CU_ASSERT_EQUAL(
	    call2(&fin1, out, sizeof out, &err,
		"SELECT "
		"api.reconcile_refuse('2025-04-01', 'OPERATION', $1)",
		"hash "
		"mismatch: file sha1 differs from hash_value",
		NULL),
	    LD_OK);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reconciliation_runs "
				"WHERE state = 'refused' AND matched = 0"),
	    1);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM audit_log WHERE action "
				"IN ('reconcile.run', 'reconcile.refuse')"),
	    2);
}

/* 6. Roles and the record ---------------------------------------------------
 */

/*
 * Who may call what: each function called by each role with arguments
 * that fail after the role check (a payout that does not exist, a bad
 * value), so the answer is 42501 exactly when the role may not.
 */
static void
test_functions_by_role(void)
{
	static const struct {
		const char *sql;
		const char *allowed; /* r f o a d */
	} calls[] = {
	    {"SELECT api.payout_approve(-1, 'n')", "-f---"},
	    {"SELECT api.payout_approve_batch('{-1}', 1, 1, 'n')", "-f---"},
	    {"SELECT api.payout_hold(-1, 'r')", "-foa-"},
	    {"SELECT api.payout_release(-1)", "-fo--"},
	    {"SELECT api.payout_cancel(-1, 'r')", "-fo--"},
	    {"SELECT api.payout_retry(-1, 'n')", "--o--"},
	    {"SELECT api.payout_escalate(-1, 'loandesk_admin', 'n')", "-fo--"},
	    {"SELECT api.payouts_pause(NULL)", "-foa-"},
	    {"SELECT api.payouts_resume(repeat('x', 3000))", "-foa-"},
	    {"SELECT * FROM api.payout_claim('', 1)", "----d"},
	    {"SELECT api.payout_bill_sending(-1, 'x', 'POST', '/', '{}')",
		"----d"},
	    {"SELECT api.payout_bill_record(-1, 'x', 'sending', NULL, NULL, "
	     "NULL, NULL, NULL, 'unknown', NULL, NULL, NULL, false, "
	     "'sending', NULL, 0, false, NULL, false, false, NULL, NULL)",
		"----d"},
	    {"SELECT api.payout_callback('x', 'pending', NULL, NULL, NULL)",
		"----d"},
	    {"SELECT api.payout_balance_record('w', 'OPERATION', -1, 0)",
		"----d"},
	    {"SELECT api.payout_heartbeat('', NULL)", "----d"},
	    {"SELECT api.reconcile_run(NULL, 'OPERATION', NULL, NULL)",
		"-f--d"},
	    {"SELECT api.reconcile_refuse(NULL, NULL, NULL)", "-f--d"},
	};
	struct ld_db *who[5] = {&risk, &fin1, &oncall, &admin, &d1};
	struct ld_err err;
	size_t i;
	int r;

	calm();
	for (i = 0; i < sizeof calls / sizeof calls[0]; i++)
		for (r = 0; r < 5; r++) {
			enum ld_status st =
			    ld_db_cmd(who[r], calls[i].sql, &err);
			int allowed = calls[i].allowed[r] != '-';

			if ((st == LD_EPERM) == allowed)
				fprintf(stderr, "\n%s as role %d: %s\n",
				    calls[i].sql, r, err.msg);
			CU_ASSERT((st == LD_EPERM) != allowed);
			CU_ASSERT(st != LD_OK);
		}
	/* Operators read the engine's tables and write none. */
	CU_ASSERT_EQUAL(
	    ld_db_cmd(&fin1, "SELECT * FROM payout_overview", &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_cmd(&fin1,
			    "UPDATE payouts SET state = "
			    "'approved'",
			    &err),
	    LD_EPERM);
	CU_ASSERT_EQUAL(
	    ld_db_cmd(&oncall,
		"INSERT INTO payout_approvals "
		"(payout_id, approver, amount_fen) VALUES (1, 'x', 1)",
		&err),
	    LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&admin,
			    "UPDATE payout_control SET paused = "
			    "true",
			    &err),
	    LD_EPERM);
	CU_ASSERT_EQUAL(
	    ld_db_cmd(&risk, "SELECT * FROM transfer_bills", &err), LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&d1,
			    "SELECT api.payout_heartbeat("
			    "'host-a:4242', '{\"version\":\"1\"}')",
			    &err),
	    LD_OK);
	CU_ASSERT_EQUAL(ld_db_cmd(&d1,
			    "SELECT api.payout_heartbeat("
			    "'host-a:4242', '{\"version\":\"2\"}')",
			    &err),
	    LD_OK);
	CU_ASSERT_EQUAL(
	    su_long("SELECT count(*) FROM payout_daemons WHERE "
		    "worker = 'host-a:4242' AND login = 'p_daemon1' AND "
		    "info->>'version' = '2'"),
	    1);
}

/* Everything above left an intact audit chain. */
static void
test_audit_chain_intact(void)
{
	struct ld_audit_verify_result res;
	struct ld_err err;

	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	if (!res.ok)
		fprintf(stderr, "audit: row %" PRId64 ": %s\n", res.broken_id,
		    res.why);
	CU_ASSERT(res.ok);
	CU_ASSERT(res.rows > 50);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
	    LD_TEST(test_state_tables_match_c),
	    LD_TEST(test_pure_functions_match_c),
	    LD_TEST(test_approve_four_eyes_and_bills),
	    LD_TEST(test_approve_amount_and_split),
	    LD_TEST(test_approve_refusals), LD_TEST(test_approve_batch),
	    LD_TEST(test_sending_stores_the_body_first),
	    LD_TEST(test_unknown_query_resend_success),
	    LD_TEST(test_callbacks_idempotent_never_backwards),
	    LD_TEST(test_final_failure_review_and_retry),
	    LD_TEST(test_hold_release_cancel),
	    LD_TEST(test_not_enough_pauses_the_channel),
	    LD_TEST(test_refused_and_wechat_limit_holds),
	    LD_TEST(test_pause_seen_by_the_claim),
	    LD_TEST(test_claim_skip_locked),
	    LD_TEST(test_limits_across_beijing_midnight),
	    LD_TEST(test_escalate_to_finance), LD_TEST(test_reconciliation),
	    LD_TEST(test_functions_by_role), LD_TEST(test_audit_chain_intact),
	    LD_TEST_END};

	LD_TEST_INIT();
	ld_test_suite("payout database", suite_init, suite_clean, cases);
	return ld_test_run();
}
