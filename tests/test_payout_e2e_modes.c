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

#include "core_payout_engine.h"
#include "ld_test.h"
#include "wxpay.h"
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

/* The attempt log's copy of a body: the name (encrypted or not) gone. */
static void
test_redact(void)
{
	static const char json[] = "{\"out_bill_no\":\"LD1S1G0\","
	    "\"user_name\":\"CIPHER\",\"transfer_detail_list\":[{"
	    "\"out_detail_no\":\"LD1S1G0\",\"user_name\":\"CIPHER2\"}],"
	    "\"transfer_amount\":250000}";
	static const char xml[] = "<xml><partner_trade_no><![CDATA[LD1S1G0]]>"
	    "</partner_trade_no><re_user_name><![CDATA[" NAME "]]>"
	    "</re_user_name><amount>1</amount><transfer_name>" NAME
	    "</transfer_name></xml>";
	char *r;

	r = core_payout_redact(json, strlen(json));
	CU_ASSERT_PTR_NULL(strstr(r, "user_name"));
	CU_ASSERT_PTR_NULL(strstr(r, "CIPHER"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"transfer_amount\":250000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"out_detail_no\":\"LD1S1G0\""));
	free(r);
	r = core_payout_redact(xml, strlen(xml));
	CU_ASSERT_PTR_NULL(strstr(r, NAME));
	CU_ASSERT_STRING_EQUAL(r, "<xml><partner_trade_no><![CDATA[LD1S1G0]]>"
	    "</partner_trade_no><re_user_name></re_user_name><amount>1</amount>"
	    "<transfer_name></transfer_name></xml>");
	free(r);
	r = core_payout_redact("<html>bad gateway</html>", 24);
	CU_ASSERT_STRING_EQUAL(r, "<html>bad gateway</html>");
	free(r);
}

/*
 * The client's additions against the simulator: a query that knows what
 * it asks about refuses an answer about another amount; a batch read whole
 * with each detail's outcome; an APIv2 request built once and sent twice
 * is the same request (the same payment, not a second one).
 */
static void
test_client_additions(void)
{
	struct wx_client *c = e2e_client(0), *c2;
	struct wx_transfer_bill b;
	struct wx_v2_transfer_req q;
	struct wx_v2_transfer t1, t2;
	struct wx_batch bt;
	struct wx_answer a;
	struct wx_expect e;
	struct ld_err err;
	char no[40], openid[80], batch[40], *xml = NULL;
	long n;
	int64_t paid;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* A succeeded bill of test_once, asked about with its own figures
	 * and then with another amount. */
	e2e_text(no, sizeof no, "SELECT out_bill_no FROM transfer_bills WHERE "
	    "product = 'bill' AND state = 'success' ORDER BY id LIMIT 1");
	e2e_text(openid, sizeof openid, "SELECT openid FROM transfer_bills "
	    "WHERE out_bill_no = '%s'", no);
	e.out_no = no;
	e.openid = openid;
	e.amount_fen = e2e_long("SELECT amount_fen FROM transfer_bills WHERE "
	    "out_bill_no = '%s'", no);
	CU_ASSERT_EQUAL(wx_transfer_bill_query_expect(c, &e, &b, &a, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_SUCCESS);
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);
	e.amount_fen += 1;
	CU_ASSERT_EQUAL(wx_transfer_bill_query_expect(c, &e, &b, &a, &err),
	    LD_EPROTO);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_BAD_ANSWER);
	CU_ASSERT_STRING_EQUAL(b.state, "SUCCESS");	/* what it said */
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);
	e.amount_fen -= 1;
	e.openid = "o_someone_else";
	CU_ASSERT_EQUAL(wx_transfer_bill_query_expect(c, &e, &b, &a, &err),
	    LD_EPROTO);
	CU_ASSERT_PTR_NULL(strstr(a.message, openid));
	wx_transfer_bill_free(&b);
	wx_answer_free(&a);

	/* The two-bill batch of test_batches, detail by detail. */
	e2e_text(batch, sizeof batch, "SELECT out_batch_no FROM transfer_bills "
	    "WHERE product = 'batch' GROUP BY out_batch_no HAVING count(*) = 2 "
	    "LIMIT 1");
	memset(&bt, 0, sizeof bt);
	CU_ASSERT_EQUAL(wx_batch_query_all(c, batch, &bt, &a, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(bt.batch_status, "FINISHED");
	CU_ASSERT_EQUAL(bt.n_details, 2);
	for (i = 0; i < bt.n_details; i++) {
		CU_ASSERT_STRING_EQUAL(bt.details[i].detail_status, "SUCCESS");
		CU_ASSERT_EQUAL(bt.details[i].cls->outcome,
		    WX_OUTCOME_SUCCESS);
	}
	wx_batch_free(&bt);
	wx_answer_free(&a);

	/* APIv2: built once, sent twice, paid once (the same payment). */
	c2 = e2e_client(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	memset(&q, 0, sizeof q);
	e2e_openid(openid, sizeof openid, "v2twice");
	snprintf(no, sizeof no, "LDX%sS1G0", e2e.run);
	q.partner_trade_no = no;
	q.openid = openid;
	q.amount_fen = 1234;
	q.desc = "test";
	CU_ASSERT_EQUAL_FATAL(wx_v2_transfer_build(c2, &q, &xml, &err), LD_OK);
	CU_ASSERT_EQUAL(wx_v2_transfer_send(c2, xml, &t1, &a, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(a.request_body, xml);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_SUCCESS);
	wx_answer_free(&a);
	CU_ASSERT_EQUAL(wx_v2_transfer_send(c2, xml, &t2, &a, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(a.request_body, xml);
	CU_ASSERT_EQUAL(a.outcome, WX_OUTCOME_SUCCESS);
	CU_ASSERT_STRING_EQUAL(t1.payment_no, t2.payment_no);
	wx_answer_free(&a);
	e2e_ledger(openid, &n, &paid);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(paid, 1234);
	wx_client_free(c2);
	/* Not a signed request: refused before anything leaves. */
	CU_ASSERT_EQUAL(wx_v2_transfer_send(c, "<xml></xml>", &t1, &a, &err),
	    LD_EINVAL);
	CU_ASSERT_STRING_EQUAL(a.code, WX_CODE_LOCAL);
	wx_answer_free(&a);
	free(xml);
	wx_client_free(c);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_refused_at_start),
		LD_TEST(test_batches),
		LD_TEST(test_v2),
		LD_TEST(test_once),
		LD_TEST(test_client_additions),
		LD_TEST(test_redact),
		LD_TEST_END
	};

	LD_TEST_INIT();
	ld_test_suite("payout_e2e_modes", suite_init, suite_clean, cases);
	return ld_test_run();
}
