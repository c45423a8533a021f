/*
 * loandeskd's payout engine end to end in its other modes, against the
 * real simulator: 商家转账到零钱 batches (a payout's bills as one batch,
 * followed detail by detail), APIv2 企业付款 over mutual TLS with the
 * client certificate `wxpay-sim --make-v2-client-cert` makes (the name
 * check, its refusal, and the stored request that carries the name only
 * sealed), `loandeskd --once`, and a mode refused at start for want of
 * its key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_test.h"
#include "payout_e2e.h"

#define NAME "\xe6\x9d\x8e\xe5\x9b\x9b"	/* 李四 */

static int
suite_init(void)
{
	if (e2e_setup() != 0)
		return -1;
	return e2e_sim_post("faults", "{\"reset\":true,\"rules\":["
	    "\"NAME_MISMATCH openid=o_v2bad_* api=v2 bps=10000\"]}") == 200 ?
	    0 : -1;
}

static int
suite_clean(void)
{
	e2e_teardown();
	return 0;
}

static long
pay(int64_t amount, const char *tag, char *openid, size_t len)
{
	long id;

	e2e_openid(openid, len, tag);
	id = e2e_payout(amount, openid, NAME);
	CU_ASSERT_FATAL(id > 0);
	return id;
}

static int
wait_payout(long id, const char *state)
{
	return e2e_wait(state, "SELECT state FROM payouts WHERE id = %ld",
	    id);
}

static void
assert_paid(const char *openid, long count, int64_t amount)
{
	long n;
	int64_t paid;

	e2e_ledger(openid, &n, &paid);
	CU_ASSERT_EQUAL(n, count);
	CU_ASSERT_EQUAL(paid, amount);
}

static void
test_refused_at_start(void)
{
	char path[600], text[2048], out[4096];
	FILE *f;

	/* APIv2 needs the merchant's client certificate: named at start. */
	snprintf(path, sizeof path, "%s/nocert.conf", e2e.dir);
	snprintf(text, sizeof text, "[wxpay]\nmode = v2\nmchid = %s\n"
	    "appid = %s\nbase_url = %s\napiv2_key_file = %s\n"
	    "[security]\npii_key_file = %s\nblind_index_key_file = %s/bidx.key\n"
	    "[daemon]\nworkers = 1\n", e2e.mchid, e2e.appid, e2e.v2_base_url,
	    e2e.apiv2_key_file, e2e.pii_key_file, e2e.dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	CU_ASSERT_EQUAL(e2e_daemon_run_conf(path, out, sizeof out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "client_cert_p12"));
}

static void
test_batches(void)
{
	char openid[80], big[80], n1[40], n2[40];
	long id, id2;

	CU_ASSERT_EQUAL_FATAL(e2e_daemon_start("batches", ""), 0);
	/* Two bills of one payout: one batch, each followed by its own
	 * detail. */
	e2e_sql("UPDATE settings SET value = '600' WHERE key = "
	    "'per_transfer_max_fen'");
	id = pay(1000, "batch", openid, sizeof openid);
	e2e_sql("UPDATE settings SET value = '2000000' WHERE key = "
	    "'per_transfer_max_fen'");
	CU_ASSERT_EQUAL_FATAL(wait_payout(id, "succeeded"), 0);
	assert_paid(openid, 2, 1000);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(DISTINCT out_batch_no) FROM "
	    "transfer_bills WHERE payout_id = %ld AND product = 'batch' AND "
	    "state = 'success'", id), 1);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id = %ld", id), 2);
	e2e_text(n1, sizeof n1, "SELECT out_bill_no FROM transfer_bills WHERE "
	    "payout_id = %ld AND seq = 1", id);
	e2e_text(n2, sizeof n2, "SELECT out_bill_no FROM transfer_bills WHERE "
	    "payout_id = %ld AND seq = 2", id);
	/* One request made the batch; each bill's detail was asked for. */
	CU_ASSERT_EQUAL(e2e_long("SELECT count(DISTINCT a.request_body) FROM "
	    "payout_attempts a JOIN transfer_bills t ON t.id = a.bill_id WHERE "
	    "t.payout_id = %ld AND a.kind = 'create'", id), 1);
	CU_ASSERT(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'query' AND a.path LIKE '%%/details/out-detail-no/%s'",
	    id, n1) >= 1);
	CU_ASSERT(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'query' AND a.path LIKE '%%/details/out-detail-no/%s'",
	    id, n2) >= 1);

	/* From 2,000 yuan every detail carries the name, encrypted. */
	id2 = pay(250000, "batchname", big, sizeof big);
	CU_ASSERT_EQUAL(wait_payout(id2, "succeeded"), 0);
	assert_paid(big, 1, 250000);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id = %ld AND request_body LIKE '%%\"user_name\":\"%%'",
	    id2), 1);
	CU_ASSERT_EQUAL(e2e_daemon_stop(), 0);
}

static void
test_v2(void)
{
	char openid[80], big[80], bad[80], body[4096];
	long id, id2, id3, n;
	int64_t paid;

	CU_ASSERT_EQUAL_FATAL(e2e_daemon_start("v2", ""), 0);
	id = pay(1500, "v2ok", openid, sizeof openid);
	CU_ASSERT_EQUAL_FATAL(wait_payout(id, "succeeded"), 0);
	assert_paid(openid, 1, 1500);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id = %ld AND product = 'v2' AND request_body LIKE "
	    "'%%NO_CHECK%%'", id), 1);

	/* The name goes in clear to WeChat Pay (FORCE_CHECK); the stored
	 * request holds it sealed, the attempt log not at all. */
	id2 = pay(250000, "v2name", big, sizeof big);
	CU_ASSERT_EQUAL_FATAL(wait_payout(id2, "succeeded"), 0);
	assert_paid(big, 1, 250000);
	e2e_text(body, sizeof body, "SELECT request_body FROM transfer_bills "
	    "WHERE payout_id = %ld", id2);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "FORCE_CHECK"));
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "<re_user_name>ldsealed:"));
	CU_ASSERT_PTR_NULL(strstr(body, NAME));
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "(a.request_body LIKE '%%ldsealed%%' OR a.request_body LIKE "
	    "'%%" NAME "%%')", id2), 0);
	CU_ASSERT(!e2e_daemon_log_has(NAME));

	/* The name check fails: nothing paid, held, in front of a person
	 * with WeChat Pay's code and words. */
	id3 = pay(2500, "v2bad", bad, sizeof bad);
	CU_ASSERT_EQUAL_FATAL(e2e_wait("held refused", "SELECT state || ' ' || "
	    "hold_reason FROM transfer_bills WHERE payout_id = %ld", id3), 0);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM reviews WHERE "
	    "payout_id = %ld AND kind = 'payout' AND state <> 'closed' AND "
	    "reason = 'NAME_MISMATCH' AND note LIKE "
	    "'%%\xe5\xa7\x93\xe5\x90\x8d\xe6\xa0\xa1\xe9\xaa\x8c\xe5\x87\xba"
	    "\xe9\x94\x99%%'", id3), 1);
	e2e_ledger(bad, &n, &paid);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(e2e_daemon_stop(), 0);
}

static void
test_once(void)
{
	char openid[80];
	long id;

	/* Approved while no daemon runs; --once sends what is due and
	 * stops at what waits (here, the borrower). */
	id = pay(1700, "once", openid, sizeof openid);
	CU_ASSERT_EQUAL(e2e_daemon_once("v3"), 0);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM transfer_bills WHERE "
	    "payout_id = %ld AND state IN ('wait_user_confirm', "
	    "'transferring', 'success') AND next_attempt_at > now()", id), 1);
	CU_ASSERT_EQUAL(e2e_long("SELECT count(*) FROM payout_attempts a JOIN "
	    "transfer_bills t ON t.id = a.bill_id WHERE t.payout_id = %ld AND "
	    "a.kind = 'create'", id), 1);
	/* The daemon that listens takes it from there. */
	CU_ASSERT_EQUAL_FATAL(e2e_daemon_start("v3", ""), 0);
	CU_ASSERT_EQUAL(wait_payout(id, "succeeded"), 0);
	assert_paid(openid, 1, 1700);
	CU_ASSERT_EQUAL(e2e_daemon_stop(), 0);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_refused_at_start),
		LD_TEST(test_batches),
		LD_TEST(test_v2),
		LD_TEST(test_once),
		LD_TEST_END
	};

	LD_TEST_INIT();
	ld_test_suite("payout_e2e_modes", suite_init, suite_clean, cases);
	return ld_test_run();
}
