/*
 * loandeskd's payout engine end to end, in mode v3 (商家转账 transfer
 * bills): a payout approved by finance reaches the simulator's ledger
 * exactly once, read from the simulator and not from our tables, on every
 * path: success; waiting for the borrower with package_info kept, then
 * confirmed; never confirmed (cancelled, a review); an answer that comes
 * after the timeout (the money moved: unknown, query); no answer (query,
 * the identical create again); 503; SYSTEM_ERROR (the same bytes again);
 * NOT_ENOUGH (the channel pauses, and resumes with the balance); a final
 * failure (failed, a review with WeChat Pay's code and message); forged,
 * stale, probing and oversized callbacks refused and counted; duplicate
 * and out-of-order callbacks changing nothing; the kill switch; SIGKILL
 * between sending and recording; SIGTERM with a request in hand.
 *
 * Each case waits for its payout to end before the next, so that a fault
 * set for the next request of the simulator meets that case's request.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "ld_alloc.h"
#include "ld_test.h"
#include "payout_e2e.h"

/* Borrowers whose behaviour the simulator scripts by openid. */
static const char rules[] =
    "\"rules\":[\"IGNORE openid=o_manual_* api=create bps=10000\","
    "\"IGNORE openid=o_ignore_* api=create bps=10000\","
    "\"NAME_NOT_CORRECT openid=o_badname_* api=create bps=10000\"]";

/* The first success, whose callbacks later cases send again. */
static long first_payout = -1;
static char first_openid[80];

static int
sim_reset(void)
{
	char json[512];

	snprintf(json, sizeof json, "{\"reset\":true,%s}", rules);
	return e2e_sim_post("faults", json) == 200 ? 0 : -1;
}

static int
suite_init(void)
{
	if (e2e_setup() != 0 || sim_reset() != 0)
		return -1;
	return e2e_daemon_start("v3", "");
}

static int
suite_clean(void)
{
	e2e_teardown();
	return 0;
}

/* A payout of amount to a new borrower o_TAG_RUN; its id. */
static long
pay(int64_t amount, const char *tag, char *openid, size_t len)
{
	long id;

	e2e_openid(openid, len, tag);
	id = e2e_payout(amount, openid, "\xe5\xbc\xa0\xe4\xb8\x89");
	CU_ASSERT_FATAL(id > 0);
	return id;
}

/* Runs sql as the finance approver pe_fin1; 0 or -1. */
static int
as_finance(const char *sql)
{
	struct ld_err err;

	if (ld_db_cmd(&e2e.fin1, sql, &err) != LD_OK) {
		fprintf(stderr, "%s: %s\n", sql, err.msg);
		return -1;
	}
	return 0;
}

/* Until the simulator holds out_no (made, paid or not); 0 or -1. */
static int
wait_sim_bill(const char *out_no, const char *openid)
{
	char state[32];
	int i;

	for (i = 0; i < E2E_WAIT_S * 10; i++) {
		(void)e2e_sim_bill(out_no, openid, state, sizeof state);
		if (state[0] != '\0')
			return 0;
		nanosleep(&(struct timespec){ 0, 100000000L }, NULL);
	}
	fprintf(stderr, "the simulator never made %s\n", out_no);
	return -1;
}

static int
wait_payout(long id, const char *state)
{
	return e2e_wait(state, "SELECT state FROM payouts WHERE id = %ld",
	    id);
}

static void
bill_of(long payout, char *out, size_t len)
{
	e2e_text(out, len, "SELECT out_bill_no FROM transfer_bills WHERE "
	    "payout_id = %ld ORDER BY seq LIMIT 1", payout);
}

static void
assert_paid_once(const char *openid, int64_t amount)
{
	long n;
	int64_t paid;

	e2e_ledger(openid, &n, &paid);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(paid, amount);
}

static void
test_success(void)
{
	char openid[80], no[40], line[200], *body = NULL;
	long id = pay(1234, "ok", openid, sizeof openid);

	CU_ASSERT_EQUAL_FATAL(wait_payout(id, "succeeded"), 0);
	assert_paid_once(openid, 1234);
	first_payout = id;
	snprintf(first_openid, sizeof first_openid, "%s", openid);
	bill_of(id, no, sizeof no);
	/* The borrower's confirmation page needs package_info: kept. */
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id = %ld AND package_info IS NOT NULL AND state = "
	    "'success' AND product = 'bill'", id), 1);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'create' AND a.http_status = 200 AND a.error_code = "
	    "'WAIT_USER_CONFIRM' AND a.to_state = 'wait_user_confirm'", id),
	    1);
	/* The attempt line: payout, bill, number, outcome, code, latency. */
	snprintf(line, sizeof line, "out_bill_no %s: create outcome=pending "
	    "code=WAIT_USER_CONFIRM http=200 latency_ms=", no);
	CU_ASSERT(e2e_daemon_log_has(line));
	/* No personal data in the log: neither the openid nor the name. */
	CU_ASSERT(!e2e_daemon_log_has(openid));
	CU_ASSERT(!e2e_daemon_log_has("\xe5\xbc\xa0\xe4\xb8\x89"));
	/* The configuration's lease (120) is not the database's (8). */
	CU_ASSERT(e2e_daemon_log_has("settings: payout_lease_s is 120 in the "
	    "configuration but 8 in the database"));
	CU_ASSERT_EQUAL(e2e_daemon_get("/healthz", &body), 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"status\":\"ok\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"channel\":\"open\""));
	free(body);
	CU_ASSERT(e2e_metric("loandesk_payout_attempts_total{exchange="
	    "\"create\",outcome=\"pending\",code=\"WAIT_USER_CONFIRM\"}") >= 1);
	CU_ASSERT(e2e_metric("loandesk_payouts{state=\"succeeded\"}") >= 1);
	CU_ASSERT(e2e_metric("loandesk_wxpay_request_duration_seconds_count")
	    >= 1);
	CU_ASSERT(e2e_metric("loandesk_payout_callbacks_verified_total{result="
	    "\"applied\"}") >= 1);
	CU_ASSERT_EQUAL(e2e_metric("loandesk_payouts_paused"), 0);
	/* The heartbeat names this daemon. */
	CU_ASSERT_EQUAL(e2e_wait("1", "SELECT count(*) FROM payout_daemons "
	    "WHERE seen_at > now() - interval '30 seconds' AND info->>'mode' "
	    "= 'v3'"), 0);
}

static void
test_wait_user_confirm(void)
{
	char openid[80], no[40], path[80], pkg[300];
	long id = pay(2000, "manual_c", openid, sizeof openid);

	CU_ASSERT_EQUAL_FATAL(e2e_wait("wait_user_confirm", "SELECT state "
	    "FROM transfer_bills WHERE payout_id = %ld", id), 0);
	e2e_text(pkg, sizeof pkg, "SELECT package_info FROM transfer_bills "
	    "WHERE payout_id = %ld", id);
	CU_ASSERT(strlen(pkg) > 20);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payouts WHERE id = %ld "
	    "AND state = 'sending'", id), 1);
	bill_of(id, no, sizeof no);
	snprintf(path, sizeof path, "bills/%s/confirm", no);
	CU_ASSERT_EQUAL(e2e_sim_post(path, "{}"), 200);
	CU_ASSERT_EQUAL(wait_payout(id, "succeeded"), 0);
	assert_paid_once(openid, 2000);
}

static void
test_never_confirmed(void)
{
	char openid[80];
	long n, id = pay(3000, "ignore", openid, sizeof openid);
	int64_t paid;

	/* The simulator closes it after 24 simulated hours (20 s here). */
	CU_ASSERT_EQUAL_FATAL(e2e_wait("cancelled", "SELECT state FROM "
	    "transfer_bills WHERE payout_id = %ld", id), 0);
	CU_ASSERT_EQUAL(wait_payout(id, "failed"), 0);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM reviews WHERE "
	    "payout_id = %ld AND kind = 'payout' AND state <> 'closed' AND "
	    "reason = 'USER_NOT_CONFIRMED' AND note LIKE '%%borrower did not "
	    "confirm%%'", id), 1);
	e2e_ledger(openid, &n, &paid);
	CU_ASSERT_EQUAL(n, 0);
}

static void
test_cancel_waiting(void)
{
	char openid[80], id_s[24];
	const char *p[2] = { id_s, "test: the borrower asked us to" };
	struct ld_err err;
	PGresult *r;
	long n, id = pay(3300, "manual_cancel", openid, sizeof openid);
	int64_t paid;

	CU_ASSERT_EQUAL_FATAL(e2e_wait("wait_user_confirm", "SELECT state "
	    "FROM transfer_bills WHERE payout_id = %ld", id), 0);
	/* A bill waiting for the borrower is cancelled at WeChat Pay
	 * first; the payout is cancelled when WeChat Pay says so. */
	snprintf(id_s, sizeof id_s, "%ld", id);
	CU_ASSERT_EQUAL_FATAL(ld_db_exec(&e2e.fin1, "SELECT api.payout_cancel("
	    "$1::bigint, $2)", 2, p, &r, &err), LD_OK);
	PQclear(r);
	CU_ASSERT_EQUAL(wait_payout(id, "cancelled"), 0);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'cancel' AND a.method = 'POST' AND a.path LIKE "
	    "'%%/cancel'", id), 1);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id = %ld AND state = 'cancelled'", id), 1);
	e2e_ledger(openid, &n, &paid);
	CU_ASSERT_EQUAL(n, 0);
}

static void
test_late_answer(void)
{
	char openid[80], no[40], path[80], state[32];
	long id;

	/* The simulator pays, then answers after the client gave up. */
	CU_ASSERT_EQUAL_FATAL(e2e_sim_post("faults", "{\"late_count\":1}"),
	    200);
	id = pay(4000, "manual_late", openid, sizeof openid);
	CU_ASSERT_EQUAL_FATAL(e2e_wait("1", "SELECT count(*) FROM "
	    "payout_attempts a JOIN transfer_bills t ON t.id = a.bill_id WHERE "
	    "t.payout_id = %ld AND a.kind = 'create' AND a.error_code = "
	    "'TIMEOUT' AND a.to_state = 'unknown' AND a.applied", id), 0);
	/* Then a query by the same number finds it. */
	CU_ASSERT_EQUAL_FATAL(e2e_wait("wait_user_confirm", "SELECT state FROM "
	    "transfer_bills WHERE payout_id = %ld", id), 0);
	CU_ASSERT(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'query' AND a.to_state = 'wait_user_confirm'", id) >= 1);
	bill_of(id, no, sizeof no);
	CU_ASSERT_EQUAL(e2e_sim_bill(no, openid, state, sizeof state), 1);
	snprintf(path, sizeof path, "bills/%s/confirm", no);
	CU_ASSERT_EQUAL(e2e_sim_post(path, "{}"), 200);
	CU_ASSERT_EQUAL(wait_payout(id, "succeeded"), 0);
	assert_paid_once(openid, 4000);
	/* Exactly one create left: the query found what it made. */
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'create'", id), 1);
}

static void
test_no_answer(void)
{
	char openid[80], sha[65];
	long id;

	/* Accepted and never answered: nothing was done. */
	CU_ASSERT_EQUAL_FATAL(e2e_sim_post("faults", "{\"hang_count\":1}"),
	    200);
	id = pay(5000, "hang", openid, sizeof openid);
	CU_ASSERT_EQUAL_FATAL(wait_payout(id, "succeeded"), 0);
	assert_paid_once(openid, 5000);
	/* Timeout, unknown; a query that found nothing; the identical
	 * create again. */
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'create' AND a.error_code = 'TIMEOUT' AND a.to_state = "
	    "'unknown'", id), 1);
	CU_ASSERT(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'query' AND a.error_code = 'NOT_FOUND'", id) >= 1);
	e2e_text(sha, sizeof sha, "SELECT encode(sha256(convert_to("
	    "request_body, 'UTF8')), 'hex') FROM transfer_bills WHERE "
	    "payout_id = %ld", id);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'create' AND a.note LIKE '%%sent sha256 %s%%'", id, sha),
	    2);
}

static void
test_503(void)
{
	char openid[80];
	long id;

	CU_ASSERT_EQUAL_FATAL(e2e_sim_post("faults", "{\"error_503_count\":1}"),
	    200);
	id = pay(6000, "e503", openid, sizeof openid);
	CU_ASSERT_EQUAL_FATAL(wait_payout(id, "succeeded"), 0);
	assert_paid_once(openid, 6000);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'create' AND a.http_status = 503 AND a.error_code = "
	    "'SERVICE_UNAVAILABLE' AND a.to_state = 'pending'", id), 1);
}

static void
test_system_error_same_bytes(void)
{
	char openid[80], sha[65], body[4096];
	long id;

	/* From 2,000 yuan the name goes too, RSA-OAEP encrypted, which is
	 * randomised: only the stored bytes are the same request. */
	CU_ASSERT_EQUAL_FATAL(e2e_sim_post("faults", "{\"error_5xx_count\":1}"),
	    200);
	id = pay(250000, "bigname", openid, sizeof openid);
	CU_ASSERT_EQUAL_FATAL(wait_payout(id, "succeeded"), 0);
	assert_paid_once(openid, 250000);
	e2e_text(body, sizeof body, "SELECT request_body FROM transfer_bills "
	    "WHERE payout_id = %ld", id);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"user_name\":\""));
	CU_ASSERT_PTR_NULL(strstr(body, "\xe5\xbc\xa0\xe4\xb8\x89"));
	e2e_text(sha, sizeof sha, "SELECT encode(sha256(convert_to("
	    "request_body, 'UTF8')), 'hex') FROM transfer_bills WHERE "
	    "payout_id = %ld", id);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'create' AND a.note LIKE '%%sent sha256 %s%%'", id, sha),
	    2);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'create' AND a.error_code = 'SYSTEM_ERROR' AND "
	    "a.to_state = 'pending'", id), 1);
	/* The attempt log keeps the request without the encrypted name. */
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.request_body LIKE '%%user_name%%'", id), 0);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'create' AND a.request_body LIKE '%%out_bill_no%%'",
	    id), 2);
}

static void
test_not_enough(void)
{
	char openid[80];
	long id, readings;

	/* A daemon that reads the balance every second. */
	CU_ASSERT_EQUAL_FATAL(e2e_daemon_stop(), 0);
	CU_ASSERT_EQUAL_FATAL(e2e_daemon_start("v3", "balance_poll_s = 1"),
	    0);
	CU_ASSERT_EQUAL_FATAL(e2e_sim_post("balance", "{\"account\":"
	    "\"OPERATION\",\"available_amount\":100}"), 200);
	id = pay(7000, "short", openid, sizeof openid);
	CU_ASSERT_EQUAL_FATAL(e2e_wait("t", "SELECT channel_paused FROM "
	    "payout_control"), 0);
	CU_ASSERT_EQUAL(e2e_wait("held channel_balance", "SELECT state || ' ' "
	    "|| hold_reason FROM transfer_bills WHERE payout_id = %ld", id), 0);
	CU_ASSERT(e2e_long("SELECT count(*) FROM payout_alerts WHERE kind = "
	    "'channel_paused' AND cleared_at IS NULL") >= 1);
	/* Readings that cannot pay keep it paused. */
	readings = e2e_long("SELECT count(*) FROM payout_balance_readings");
	CU_ASSERT_EQUAL(e2e_wait("t", "SELECT count(*) > %ld FROM "
	    "payout_balance_readings WHERE available_fen = 100", readings),
	    0);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_control WHERE "
	    "channel_paused"), 1);
	CU_ASSERT_EQUAL(e2e_metric("loandesk_payout_channel_paused"), 1);
	/* The money is back: the channel resumes by itself. */
	CU_ASSERT_EQUAL_FATAL(e2e_sim_post("balance", "{\"account\":"
	    "\"OPERATION\",\"available_amount\":100000000}"), 200);
	CU_ASSERT_EQUAL(e2e_wait("f", "SELECT channel_paused FROM "
	    "payout_control"), 0);
	CU_ASSERT_EQUAL(wait_payout(id, "succeeded"), 0);
	assert_paid_once(openid, 7000);
	CU_ASSERT(e2e_long("SELECT count(*) FROM payout_alerts WHERE kind = "
	    "'channel_resumed'") >= 1);
	CU_ASSERT_EQUAL(e2e_daemon_stop(), 0);
	CU_ASSERT_EQUAL_FATAL(e2e_daemon_start("v3", ""), 0);
}

static void
test_final_failure(void)
{
	char openid[80];
	long n, id = pay(8000, "badname", openid, sizeof openid);
	int64_t paid;

	CU_ASSERT_EQUAL_FATAL(wait_payout(id, "failed"), 0);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id = %ld AND state = 'fail' AND fail_reason = "
	    "'NAME_NOT_CORRECT'", id), 1);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM reviews WHERE "
	    "payout_id = %ld AND kind = 'payout' AND state <> 'closed' AND "
	    "reason = 'NAME_NOT_CORRECT' AND note LIKE '%%NAME_NOT_CORRECT%%'",
	    id), 1);
	e2e_ledger(openid, &n, &paid);
	CU_ASSERT_EQUAL(n, 0);
}

/* The first payout's bill as its callback resource says it, in state. */
static char *
resource(const char *state)
{
	char no[40], tno[80], buf[1024];

	bill_of(first_payout, no, sizeof no);
	e2e_text(tno, sizeof tno, "SELECT transfer_bill_no FROM "
	    "transfer_bills WHERE out_bill_no = '%s'", no);
	snprintf(buf, sizeof buf, "{\"out_bill_no\":\"%s\","
	    "\"transfer_bill_no\":\"%s\",\"state\":\"%s\",\"mch_id\":\"%s\","
	    "\"transfer_amount\":1234,\"openid\":\"%s\",\"create_time\":"
	    "\"2026-01-01T10:00:00+08:00\",\"update_time\":"
	    "\"2026-01-01T10:00:01+08:00\"}", no, tno, state, e2e.mchid,
	    first_openid);
	return ld_strdup(buf);
}

static long
callbacks_of_first(void)
{
	return e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'callback'", first_payout);
}

static void
test_callbacks_refused(void)
{
	double sig, stale, probe, big;
	char *r, *huge, openid[80], no[40];
	long before, id;

	CU_ASSERT_FATAL(first_payout > 0);
	sig = e2e_metric("loandesk_payout_callbacks_refused_total{reason="
	    "\"signature\"}");
	stale = e2e_metric("loandesk_payout_callbacks_refused_total{reason="
	    "\"stale\"}");
	probe = e2e_metric("loandesk_payout_callbacks_refused_total{reason="
	    "\"probe\"}");
	big = e2e_metric("loandesk_payout_callbacks_refused_total{reason="
	    "\"too_large\"}");
	before = callbacks_of_first();
	/* What would move the bill, were it believed. */
	r = resource("FAIL");
	CU_ASSERT_EQUAL(e2e_callback(r, 0, 1), 401);	/* another key */
	CU_ASSERT_EQUAL(e2e_callback(r, -600, 0), 401);	/* stale */
	CU_ASSERT_EQUAL(e2e_callback(r, 0, 2), 401);	/* a probe */
	CU_ASSERT_EQUAL(e2e_notify_raw("{}", 2), 401);	/* unsigned */
	huge = calloc(1, 200001);
	memset(huge, ' ', 200000);
	CU_ASSERT_EQUAL(e2e_notify_raw(huge, 200000), 413);
	free(huge);
	free(r);
	CU_ASSERT_EQUAL(e2e_metric("loandesk_payout_callbacks_refused_total"
	    "{reason=\"signature\"}"), sig + 2);
	CU_ASSERT_EQUAL(e2e_metric("loandesk_payout_callbacks_refused_total"
	    "{reason=\"stale\"}"), stale + 1);
	CU_ASSERT_EQUAL(e2e_metric("loandesk_payout_callbacks_refused_total"
	    "{reason=\"probe\"}"), probe + 1);
	CU_ASSERT_EQUAL(e2e_metric("loandesk_payout_callbacks_refused_total"
	    "{reason=\"too_large\"}"), big + 1);
	/* Never applied: not even an attempt row. */
	CU_ASSERT_EQUAL(callbacks_of_first(), before);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id = %ld AND state = 'success'", first_payout), 1);
	CU_ASSERT(e2e_daemon_log_has("callback refused (probe)"));

	/* WeChat Pay's own probe, then the real callback: the probe is
	 * refused, the callback sent again is taken. */
	CU_ASSERT_EQUAL_FATAL(e2e_sim_post("faults",
	    "{\"callback_signtest_count\":1}"), 200);
	id = pay(1500, "probe", openid, sizeof openid);
	CU_ASSERT_EQUAL(wait_payout(id, "succeeded"), 0);
	assert_paid_once(openid, 1500);
	bill_of(id, no, sizeof no);
	CU_ASSERT_EQUAL(e2e_metric("loandesk_payout_callbacks_refused_total"
	    "{reason=\"probe\"}"), probe + 2);
}

static void
test_callbacks_repeat_and_late(void)
{
	char *r;
	long before;

	CU_ASSERT_FATAL(first_payout > 0);
	before = callbacks_of_first();
	r = resource("SUCCESS");
	CU_ASSERT_EQUAL(e2e_callback(r, 0, 0), 204);	/* again */
	free(r);
	r = resource("PROCESSING");
	CU_ASSERT_EQUAL(e2e_callback(r, 0, 0), 204);	/* out of order */
	free(r);
	CU_ASSERT_EQUAL(callbacks_of_first(), before + 2);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'callback' AND NOT a.applied AND (a.note LIKE "
	    "'repeat%%' OR a.note LIKE 'behind what we know%%')",
	    first_payout), 2);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM transfer_bills t JOIN "
	    "payouts p ON p.id = t.payout_id WHERE p.id = %ld AND t.state = "
	    "'success' AND p.state = 'succeeded'", first_payout), 1);
	assert_paid_once(first_openid, 1234);
}

static void
test_kill_switch(void)
{
	char openid[8][80], tag[32];
	long id[8], sent_at_pause, late;
	int i;

	/* Every request takes 400 ms, so the pause finds some in flight
	 * and some claimed but not sent. */
	CU_ASSERT_EQUAL_FATAL(e2e_sim_post("faults", "{\"latency_bps\":10000,"
	    "\"latency_ms\":400}"), 200);
	for (i = 0; i < 8; i++) {
		snprintf(tag, sizeof tag, "pause%d", i);
		id[i] = pay(1000 + i, tag, openid[i], sizeof openid[i]);
	}
	CU_ASSERT_EQUAL_FATAL(e2e_wait("t", "SELECT count(*) >= 1 FROM "
	    "payout_attempts a JOIN transfer_bills t ON t.id = a.bill_id "
	    "WHERE t.payout_id BETWEEN %ld AND %ld AND a.kind = 'create'",
	    id[0], id[7]), 0);
	CU_ASSERT_EQUAL_FATAL(as_finance("SELECT api.payouts_pause('test: "
	    "the kill switch')"), 0);
	sent_at_pause = e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id BETWEEN "
	    "%ld AND %ld AND a.kind = 'create' AND a.http_status IS NOT NULL",
	    id[0], id[7]);
	/* What was in flight finishes; what was not sent goes back. */
	CU_ASSERT_EQUAL(e2e_wait("0", "SELECT count(*) FROM transfer_bills "
	    "WHERE payout_id BETWEEN %ld AND %ld AND state = 'sending'", id[0],
	    id[7]), 0);
	CU_ASSERT_EQUAL(e2e_wait("0", "SELECT count(*) FROM transfer_bills "
	    "WHERE payout_id BETWEEN %ld AND %ld AND state NOT IN ('pending', "
	    "'success')", id[0], id[7]), 0);
	/* No create left more than a second after the pause. */
	late = e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id BETWEEN "
	    "%ld AND %ld AND a.kind = 'create' AND a.http_status IS NOT NULL "
	    "AND a.started_at > (SELECT paused_at FROM payout_control) + "
	    "interval '1 second'", id[0], id[7]);
	CU_ASSERT_EQUAL(late, 0);
	CU_ASSERT(e2e_long("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id BETWEEN %ld AND %ld AND state = 'pending'", id[0],
	    id[7]) >= 1);
	CU_ASSERT(sent_at_pause < 8);
	CU_ASSERT_EQUAL(e2e_metric("loandesk_payouts_paused"), 1);
	CU_ASSERT_EQUAL(sim_reset(), 0);
	CU_ASSERT_EQUAL(as_finance("SELECT api.payouts_resume('test: done')"),
	    0);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(wait_payout(id[i], "succeeded"), 0);
		assert_paid_once(openid[i], 1000 + i);
	}
}

static void
test_sigkill_between_send_and_record(void)
{
	char openid[80], no[40], state[32], path[80];
	long id;

	CU_ASSERT_EQUAL_FATAL(e2e_sim_post("faults", "{\"late_count\":1}"),
	    200);
	id = pay(9000, "manual_kill", openid, sizeof openid);
	/* Sent, stored as sending, and the simulator has made the bill;
	 * its answer is still to come. */
	CU_ASSERT_EQUAL_FATAL(e2e_wait("sending", "SELECT state FROM "
	    "transfer_bills WHERE payout_id = %ld", id), 0);
	bill_of(id, no, sizeof no);
	CU_ASSERT_EQUAL_FATAL(wait_sim_bill(no, openid), 0);
	e2e_daemon_kill();
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld",
	    id), 0);
	CU_ASSERT_EQUAL_FATAL(e2e_daemon_start("v3", ""), 0);
	/* After the lease: unknown, then the query finds the bill. */
	CU_ASSERT_EQUAL_FATAL(e2e_wait("wait_user_confirm", "SELECT state "
	    "FROM transfer_bills WHERE payout_id = %ld", id), 0);
	CU_ASSERT(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'query' AND a.from_state = 'unknown' AND a.to_state = "
	    "'wait_user_confirm'", id) >= 1);
	snprintf(path, sizeof path, "bills/%s/confirm", no);
	CU_ASSERT_EQUAL(e2e_sim_post(path, "{}"), 200);
	CU_ASSERT_EQUAL(wait_payout(id, "succeeded"), 0);
	assert_paid_once(openid, 9000);
	CU_ASSERT_EQUAL(e2e_sim_bill(no, openid, state, sizeof state), 1);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'create'", id), 0);
}

static void
test_sigterm_finishes_request(void)
{
	char openid[80], no[40], path[80];
	long id;

	CU_ASSERT_EQUAL_FATAL(e2e_sim_post("faults", "{\"late_count\":1}"),
	    200);
	id = pay(9500, "manual_term", openid, sizeof openid);
	CU_ASSERT_EQUAL_FATAL(e2e_wait("sending", "SELECT state FROM "
	    "transfer_bills WHERE payout_id = %ld", id), 0);
	bill_of(id, no, sizeof no);
	CU_ASSERT_EQUAL_FATAL(wait_sim_bill(no, openid), 0);
	/* The request in hand ends (its timeout) and is recorded; then the
	 * daemon exits, cleanly. */
	CU_ASSERT_EQUAL(e2e_daemon_stop(), 0);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'create' AND a.error_code = 'TIMEOUT' AND a.to_state = "
	    "'unknown'", id), 1);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id = %ld AND state = 'unknown'", id), 1);
	CU_ASSERT(e2e_daemon_log_has("stopped by a signal"));
	CU_ASSERT_EQUAL_FATAL(e2e_daemon_start("v3", ""), 0);
	CU_ASSERT_EQUAL_FATAL(e2e_wait("wait_user_confirm", "SELECT state "
	    "FROM transfer_bills WHERE payout_id = %ld", id), 0);
	snprintf(path, sizeof path, "bills/%s/confirm", no);
	CU_ASSERT_EQUAL(e2e_sim_post(path, "{}"), 200);
	CU_ASSERT_EQUAL(wait_payout(id, "succeeded"), 0);
	assert_paid_once(openid, 9500);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_success),
		LD_TEST(test_wait_user_confirm),
		LD_TEST(test_never_confirmed),
		LD_TEST(test_cancel_waiting),
		LD_TEST(test_late_answer),
		LD_TEST(test_no_answer),
		LD_TEST(test_503),
		LD_TEST(test_system_error_same_bytes),
		LD_TEST(test_not_enough),
		LD_TEST(test_final_failure),
		LD_TEST(test_callbacks_refused),
		LD_TEST(test_callbacks_repeat_and_late),
		LD_TEST(test_kill_switch),
		LD_TEST(test_sigkill_between_send_and_record),
		LD_TEST(test_sigterm_finishes_request),
		LD_TEST_END
	};

	LD_TEST_INIT();
	ld_test_suite("payout_e2e_v3", suite_init, suite_clean, cases);
	return ld_test_run();
}
