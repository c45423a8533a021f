/*
 * Daily reconciliation end to end: a real PostgreSQL, the real wxpay-sim
 * over loopback, payouts approved through the api functions and paid by a
 * small driver that plays the daemon's part (claim, store the body and
 * mark it sending, commit, send, record each answer with the step
 * src/payout computes), then the day's fund-flow bill fetched, checked,
 * parsed and matched by core_reconcile_day and by `loandesk reconcile`.
 *
 * The simulator's books are the other side: what it paid it wrote from
 * integer fen as yuan text, which must come back to the fen of our bills;
 * its /__sim/ledger/mismatch hook makes each kind of difference, and its
 * bill_corrupt fault a download whose SHA1 is not the one announced.
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "core_reconcile.h"
#include "ld_db.h"
#include "ld_migrate.h"
#include "ld_paths.h"
#include "ld_test.h"
#include "ld_testdb.h"
#include "ld_testsim.h"
#include "payout.h"
#include "wxpay.h"
#include "wxpay_bill.h"

static struct ld_testdb tdb;
static struct ld_db su, risk, fin1, fin2, dmn;
static struct ld_testsim sim = { -1, -1, "", "" };
static struct wx_config cfg;
static struct wx_client *cl;
static char tmpdir[256];
static char today[16], yesterday[16];

/* A bill the driver paid (or sent and lost the answer of). */
struct paid {
	long payout, bill;
	int64_t amount;
	char out_no[40];
	char openid[64];
	char *body;
};

static struct paid bills[8];
static size_t nbills;

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void __attribute__((format(printf, 1, 2)))
su_exec(const char *fmt, ...)
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

static long __attribute__((format(printf, 1, 2)))
su_long(const char *fmt, ...)
{
	char sql[4096], out[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	su_text(out, sizeof out, "%s", sql);
	return out[0] ? strtol(out, NULL, 10) : -1;
}

static enum ld_status
op(struct ld_db *db, char *out, size_t len, struct ld_err *err,
    const char *sql, int n, const char *const *params)
{
	PGresult *r;
	enum ld_status st;

	if (out != NULL)
		out[0] = '\0';
	ld_err_clear(err);
	if ((st = ld_db_exec(db, sql, n, params, &r, err)) != LD_OK)
		return st;
	if (out != NULL && PQntuples(r) > 0 && PQnfields(r) > 0 &&
	    !PQgetisnull(r, 0, 0))
		snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return LD_OK;
}

static int
connect_as(struct ld_db *db, const char *user, const char *group)
{
	char sql[512], conninfo[128];
	struct ld_err err;

	snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN IN ROLE %s", user,
	    group);
	snprintf(conninfo, sizeof conninfo, "user=%s", user);
	if (ld_db_cmd(&su, sql, &err) != LD_OK ||
	    ld_db_connect(db, conninfo, "test_reconcile", &err) != LD_OK) {
		fprintf(stderr, "%s: %s\n", user, err.msg);
		return -1;
	}
	return 0;
}

static int
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return -1;
	return chmod(path, 0600);
}

/*
 * The simulator pays on the Beijing day it runs in, the database decides
 * on its own: a suite that started a minute before Beijing midnight waits
 * for it to pass, so that both see one day throughout.
 */
static void
away_from_midnight(void)
{
	time_t now = time(NULL);

	while ((now + PAYOUT_BEIJING_OFFSET_S) % 86400 > 86400 - 300) {
		sleep_ms(1000);
		now = time(NULL);
	}
	payout_beijing_date((int64_t)now, today, sizeof today);
	payout_beijing_date((int64_t)now - 86400, yesterday, sizeof yesterday);
}

static int
suite_init(void)
{
	struct ld_migration_set set;
	struct ld_err err;
	char *conf, *text, *log;
	int applied;

	away_from_midnight();
	snprintf(tmpdir, sizeof tmpdir, "/tmp/ld-test-recon.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || ld_testdb_start(&tdb) != 0)
		return -1;
	if (ld_db_connect(&su, "", "test_reconcile", &err) != LD_OK ||
	    ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK ||
	    ld_migrations_apply(&su, &set, NULL, &applied, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	ld_migrations_free(&set);
	if (connect_as(&risk, "r_risk", "loandesk_risk") != 0 ||
	    connect_as(&fin1, "r_fin1", "loandesk_finance") != 0 ||
	    connect_as(&fin2, "r_fin2", "loandesk_finance") != 0 ||
	    connect_as(&dmn, "r_daemon", "loandesk_daemon") != 0)
		return -1;
	/* Users confirm at once; the day's bill is served the same day. */
	conf = ld_asprintf("%s/sim.conf", tmpdir);
	text = ld_asprintf("[sim]\nstate_dir = %s/state\n"
	    "listen = 127.0.0.1:0\ngenerate_merchant = yes\n"
	    "[limits]\nmax_transfer_fen = 500000\n"
	    "[confirm]\ndelay_ms = 50\ntransfer_ms = 50\n"
	    "[bill]\nsame_day = yes\n", tmpdir);
	log = ld_asprintf("%s/sim.log", tmpdir);
	wx_config_defaults(&cfg);
	cfg.present = 1;
	cfg.mode = LD_WXPAY_V3;
	if (write_text(conf, text) != 0 ||
	    ld_testsim_start(&sim, conf, log, &cfg) != 0) {
		free(conf);
		free(text);
		free(log);
		return -1;
	}
	free(conf);
	free(text);
	free(log);
	/* Scene 1005 with its two report infos (the simulator allows it). */
	ld_testsim_set(&cfg.transfer_scene_id, "1005");
	ld_testsim_set(&cfg.transfer_scene_report_infos,
	    "岗位类型:外包;报酬说明:佣金");
	cfg.timeout_ms = 10000;
	if (wx_client_new(&cfg, &cl, &err) != LD_OK) {
		fprintf(stderr, "wx_client_new: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
suite_clean(void)
{
	struct ld_db *all[] = { &risk, &fin1, &fin2, &dmn, &su };
	char cmd[300];
	size_t i;
	int rc = 0;

	for (i = 0; i < nbills; i++)
		free(bills[i].body);
	wx_client_free(cl);
	wx_config_free(&cfg);
	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		ld_db_close(all[i]);
	ld_testdb_stop(&tdb);
	if (ld_testsim_stop(&sim) != 0) {
		fprintf(stderr, "wxpay-sim did not exit cleanly; its log:\n");
		snprintf(cmd, sizeof cmd, "tail -50 '%s/sim.log' >&2",
		    tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "(no log)\n");
		rc = -1;
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = -1;
	return rc;
}

/*
 * An application approved by the risk officer for amount_fen (no fees: the
 * payout is the principal) to an applicant with this openid; both finance
 * approvers release its payout, which makes its one bill.
 */
static long
approved_payout(long amount_fen, const char *openid)
{
	char app[32], out[64], id[32];
	const char *p[2];
	struct ld_err err;
	long payout;

	su_exec("INSERT INTO applicants (name_enc, name_bidx, name_masked, "
	    "id_no_enc, id_no_bidx, id_no_masked, phone_enc, phone_bidx, "
	    "phone_masked, openid) VALUES ('\\x01', sha256(random()::text::"
	    "bytea), '张*三', '\\x01', sha256(random()::text::bytea), "
	    "'110***********1234', '\\x01', sha256(random()::text::bytea), "
	    "'138****5678', '%s')", openid);
	su_exec("INSERT INTO applications (applicant_id, product, amount_fen, "
	    "term_months, rate_bps, status, recommendation, upfront_fee_fen) "
	    "SELECT max(id), 'cash', %ld, 12, 1800, 'manual_review', "
	    "'manual_review', 0 FROM applicants", amount_fen);
	snprintf(app, sizeof app, "%ld", su_long("SELECT max(id) FROM "
	    "applications"));
	p[0] = app;
	CU_ASSERT_EQUAL(op(&risk, out, sizeof out, &err, "SELECT "
	    "api.application_decide($1::bigint, 'approve', 'VERIFIED_INCOME', "
	    "'called the employer')", 1, p), LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "approved");
	payout = su_long("SELECT id FROM payouts WHERE application_id = %s",
	    app);
	snprintf(id, sizeof id, "%ld", payout);
	p[0] = id;
	p[1] = "checked the contract";
	CU_ASSERT_EQUAL(op(&fin1, out, sizeof out, &err, "SELECT "
	    "api.payout_approve($1::bigint, $2)", 2, p), LD_OK);
	CU_ASSERT_EQUAL(op(&fin2, out, sizeof out, &err, "SELECT "
	    "api.payout_approve($1::bigint, $2)", 2, p), LD_OK);
	CU_ASSERT_STRING_EQUAL(out, "approved");
	return payout;
}

static void
bill_state(long bill, char *out, size_t len)
{
	su_text(out, len, "SELECT state FROM transfer_bills WHERE id = %ld",
	    bill);
}

/*
 * Records an answer as the daemon does: the step src/payout computes from
 * the state the daemon saw, and the answer's bill for what WeChat Pay
 * says of it (number, amount, time of success).
 */
static void
record(const struct paid *b, enum payout_exchange ex, const char *from,
    const struct wx_answer *a)
{
	struct payout_step s;
	struct ld_err err;
	char id[32], delay[32], http[8], lat[8] = "5", out[32];
	const char *p[22];
	const char *bill_json = a->http_status == 200 ? a->raw : NULL;

	CU_ASSERT_EQUAL_FATAL(payout_bill_step((enum payout_bill_state)
	    payout_bill_state_from_sql(from), ex, a->cls, 1, NULL, &s, &err),
	    LD_OK);
	snprintf(id, sizeof id, "%ld", b->bill);
	snprintf(delay, sizeof delay, "%ld", s.delay_ms);
	snprintf(http, sizeof http, "%ld", a->http_status);
	p[0] = id;
	p[1] = payout_exchange_sql(ex);
	p[2] = from;
	p[3] = a->method;
	p[4] = a->path;
	p[5] = http;
	p[6] = a->code;
	p[7] = a->message;
	p[8] = wx_outcome_name(a->outcome);
	p[9] = lat;
	p[10] = a->request_body;
	p[11] = a->raw;
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
	if (op(&dmn, out, sizeof out, &err, "SELECT api.payout_bill_record("
	    "$1::bigint, $2, $3, $4, $5, $6::integer, $7, $8, $9, "
	    "$10::integer, $11, $12, $13::boolean, $14, $15, $16::bigint, "
	    "$17::boolean, $18, $19::boolean, $20::boolean, $21, $22::jsonb)",
	    22, p) != LD_OK)
		fprintf(stderr, "record %s: %s\n", b->out_no, err.msg);
	CU_ASSERT_EQUAL(err.code, LD_OK);
}

/* Queries bill b until WeChat Pay says SUCCESS; records each answer. */
static void
settle(const struct paid *b, int record_answers)
{
	struct wx_transfer_bill q;
	struct wx_answer a;
	struct ld_err err;
	char state[32];
	int i, done = 0;

	for (i = 0; i < 600 && !done; i++) {
		bill_state(b->bill, state, sizeof state);
		if (record_answers && strcmp(state, "success") == 0)
			break;
		if (wx_transfer_bill_query(cl, b->out_no, &q, &a, &err) ==
		    LD_OK) {
			done = strcmp(q.state, "SUCCESS") == 0;
			if (record_answers)
				record(b, PAYOUT_EX_QUERY, state, &a);
		}
		wx_transfer_bill_free(&q);
		wx_answer_free(&a);
		if (!done)
			sleep_ms(50);
	}
	if (!done) {
		fprintf(stderr, "settle %s: ", b->out_no);
		if (wx_transfer_bill_query(cl, b->out_no, &q, &a, &err) ==
		    LD_OK)
			fprintf(stderr, "%s %s\n", q.state, a.code);
		else
			fprintf(stderr, "%s\n", err.msg);
		wx_transfer_bill_free(&q);
		wx_answer_free(&a);
	}
	if (record_answers) {
		bill_state(b->bill, state, sizeof state);
		CU_ASSERT_STRING_EQUAL(state, "success");
	} else
		CU_ASSERT(done);
}

/*
 * The daemon's part for every bill due: claim and store the bodies in one
 * transaction, then send each and record its answer; with lose_last the
 * last one's answer is lost (as in a crash after the request left): it is
 * paid at WeChat Pay and still sending here.
 */
static void
pay_due(int lose_last)
{
	size_t first = nbills, i;
	struct ld_err err;
	PGresult *r;
	int rows, k;

	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&dmn, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_db_exec(&dmn, "SELECT bill_id, payout_id, "
	    "out_bill_no, amount_fen, openid, action FROM "
	    "api.payout_claim('recon-driver', 10)", 0, NULL, &r, &err), LD_OK);
	rows = PQntuples(r);
	for (k = 0; k < rows && nbills < sizeof bills / sizeof bills[0];
	    k++) {
		struct paid *b = &bills[nbills];
		struct wx_transfer_req req;
		const char *p[2];
		char id[32], out[32];

		CU_ASSERT_STRING_EQUAL(PQgetvalue(r, k, 5), "create");
		memset(b, 0, sizeof *b);
		b->bill = strtol(PQgetvalue(r, k, 0), NULL, 10);
		b->payout = strtol(PQgetvalue(r, k, 1), NULL, 10);
		snprintf(b->out_no, sizeof b->out_no, "%s",
		    PQgetvalue(r, k, 2));
		b->amount = strtoll(PQgetvalue(r, k, 3), NULL, 10);
		snprintf(b->openid, sizeof b->openid, "%s",
		    PQgetvalue(r, k, 4));
		memset(&req, 0, sizeof req);
		req.out_bill_no = b->out_no;
		req.openid = b->openid;
		req.amount_fen = b->amount;
		req.remark = "贷款发放";
		CU_ASSERT_EQUAL_FATAL(wx_transfer_bill_build(cl, &req,
		    &b->body, &err), LD_OK);
		snprintf(id, sizeof id, "%ld", b->bill);
		p[0] = id;
		p[1] = b->body;
		CU_ASSERT_EQUAL(op(&dmn, out, sizeof out, &err, "SELECT "
		    "api.payout_bill_sending($1::bigint, 'bill', 'POST', "
		    "'/v3/fund-app/mch-transfer/transfer-bills', $2)", 2, p),
		    LD_OK);
		nbills++;
	}
	PQclear(r);
	CU_ASSERT_EQUAL_FATAL(ld_db_commit(&dmn, &err), LD_OK);
	for (i = first; i < nbills; i++) {
		struct wx_transfer_bill wb;
		struct wx_answer a;
		int lost = lose_last && i == nbills - 1;

		CU_ASSERT_EQUAL(wx_transfer_bill_create(cl, bills[i].body, &wb,
		    &a, &err), LD_OK);
		if (a.outcome != WX_OUTCOME_PENDING &&
		    a.outcome != WX_OUTCOME_SUCCESS)
			fprintf(stderr, "create %s: HTTP %ld %s %s\n",
			    bills[i].out_no, a.http_status, a.code, a.message);
		if (!lost)
			record(&bills[i], PAYOUT_EX_CREATE, "sending", &a);
		wx_transfer_bill_free(&wb);
		wx_answer_free(&a);
	}
	for (i = first; i < nbills; i++)
		settle(&bills[i], !(lose_last && i == nbills - 1));
}

static long
open_reviews(void)
{
	return su_long("SELECT count(*) FROM reviews WHERE kind = "
	    "'reconciliation' AND state <> 'closed'");
}

static const struct core_reconcile_mismatch *
mismatch_of(const struct core_reconcile_result *r, const char *kind,
    const char *out_no)
{
	size_t i;

	for (i = 0; i < r->nmismatches; i++)
		if (strcmp(r->mismatches[i].kind, kind) == 0 &&
		    strcmp(r->mismatches[i].out_bill_no, out_no) == 0)
			return &r->mismatches[i];
	return NULL;
}

static void
reconcile(struct ld_db *db, const char *day, struct core_reconcile_result *r,
    enum ld_status want)
{
	struct ld_err err;
	enum ld_status st;

	ld_err_clear(&err);
	st = core_reconcile_day(db, cl, day, "OPERATION", r, &err);
	if (st != want)
		fprintf(stderr, "reconcile %s: %s\n", day, err.msg);
	CU_ASSERT_EQUAL_FATAL(st, want);
}

/* 1. A day whose payouts all succeeded reconciles with no mismatch. */
static void
test_clean_day(void)
{
	struct core_reconcile_result r;
	struct ld_buf file;
	char sha[41], path[300], want[64];
	long runs;
	size_t i;

	approved_payout(100000, "o_recon_a");
	approved_payout(123456, "o_recon_b");
	approved_payout(99901, "o_recon_c");
	pay_due(0);
	CU_ASSERT_EQUAL_FATAL(nbills, 3);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM payouts WHERE "
		    "id = %ld AND state = 'succeeded'", bills[i].payout), 1);
	reconcile(&fin1, today, &r, LD_OK);
	CU_ASSERT_EQUAL(r.lines, 3);
	CU_ASSERT_EQUAL(r.matched, 3);
	CU_ASSERT_EQUAL(core_reconcile_mismatches(&r), 0);
	CU_ASSERT_EQUAL(r.nmismatches, 0);
	CU_ASSERT_EQUAL(r.supersedes, 0);
	CU_ASSERT_EQUAL(r.no_statement, 0);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reconciliation_runs "
	    "WHERE id = %" PRId64 " AND state = 'done' AND bill_date = '%s' "
	    "AND file_sha1 = '%s' AND matched = 3 AND lines = 3", r.run_id,
	    today, r.file_sha1), 1);
	/* The SHA1 recorded is the file's, by the openssl command line. */
	snprintf(path, sizeof path, "/__sim/ledger/fundflow?bill_date=%s",
	    today);
	CU_ASSERT_EQUAL(ld_testsim_http(&sim, "GET", path, NULL, &file), 200);
	snprintf(path, sizeof path, "%s/day.csv", tmpdir);
	{
		FILE *f = fopen(path, "w");
		char cmd[400];
		FILE *p;

		CU_ASSERT_FATAL(f != NULL && file.data != NULL);
		fwrite(file.data, 1, file.len, f);
		fclose(f);
		snprintf(cmd, sizeof cmd, "openssl dgst -sha1 -r '%s'", path);
		p = popen(cmd, "r");
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_PTR_NOT_NULL(fgets(want, sizeof want, p));
		pclose(p);
		want[40] = '\0';
	}
	wx_sha1_hex(file.data, file.len, sha);
	CU_ASSERT_STRING_EQUAL(r.file_sha1, want);
	CU_ASSERT_STRING_EQUAL(sha, want);
	ld_buf_free(&file);
	CU_ASSERT_EQUAL(open_reviews(), 0);
	runs = su_long("SELECT count(*) FROM audit_log WHERE action = "
	    "'reconcile.run' AND object_id = '%" PRId64 "'", r.run_id);
	CU_ASSERT_EQUAL(runs, 1);
	core_reconcile_result_free(&r);

	/* Yesterday nothing moved: WeChat Pay has no statement. */
	reconcile(&fin1, yesterday, &r, LD_OK);
	CU_ASSERT_EQUAL(r.no_statement, 1);
	CU_ASSERT_EQUAL(r.lines, 0);
	CU_ASSERT_EQUAL(core_reconcile_mismatches(&r), 0);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reconciliation_runs "
	    "WHERE id = %" PRId64 " AND file_sha1 IS NULL AND state = 'done'",
	    r.run_id), 1);
	core_reconcile_result_free(&r);
}

/*
 * 2. Every kind of mismatch opens a finance review and is counted; run
 * again, the same differences keep their reviews; once they are gone, the
 * reviews close.
 */
static void
test_mismatch_kinds(void)
{
	struct core_reconcile_result r, again;
	const struct core_reconcile_mismatch *m;
	char json[256], state[32];
	int64_t first_run;
	size_t i;

	CU_ASSERT_FATAL(nbills == 3);
	/* A fourth payout whose answer is lost: paid there, sending here. */
	approved_payout(50000, "o_recon_d");
	pay_due(1);
	CU_ASSERT_EQUAL_FATAL(nbills, 4);
	bill_state(bills[3].bill, state, sizeof state);
	CU_ASSERT_STRING_EQUAL(state, "sending");
	/* WeChat Pay lists bill 0 at another amount, leaves bill 1 out and
	 * pays a number that is no bill of ours. */
	snprintf(json, sizeof json, "{\"out_bill_no\":\"%s\",\"amount_fen\":"
	    "%" PRId64 "}", bills[0].out_no, bills[0].amount + 1);
	CU_ASSERT_EQUAL(ld_testsim_http(&sim, "POST", "/__sim/ledger/mismatch",
	    json, NULL), 200);
	snprintf(json, sizeof json, "{\"out_bill_no\":\"%s\",\"drop\":true}",
	    bills[1].out_no);
	CU_ASSERT_EQUAL(ld_testsim_http(&sim, "POST", "/__sim/ledger/mismatch",
	    json, NULL), 200);
	CU_ASSERT_EQUAL(ld_testsim_http(&sim, "POST", "/__sim/ledger/mismatch",
	    "{\"out_bill_no\":\"LD999999S1G0\",\"amount_fen\":500}", NULL),
	    200);

	reconcile(&fin2, today, &r, LD_OK);
	CU_ASSERT_EQUAL(r.lines, 4);
	CU_ASSERT_EQUAL(r.matched, 1);		/* bill 2 */
	CU_ASSERT_EQUAL(r.amount_differs, 1);
	CU_ASSERT_EQUAL(r.succeeded_here_not_there, 1);
	CU_ASSERT_EQUAL(r.paid_there_not_here, 2);
	CU_ASSERT_EQUAL(r.reviews_opened, 4);
	CU_ASSERT_EQUAL(r.reviews_carried, 0);
	CU_ASSERT_NOT_EQUAL(r.supersedes, 0);
	CU_ASSERT_EQUAL(r.nmismatches, 4);
	m = mismatch_of(&r, "amount_differs", bills[0].out_no);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->our_fen, bills[0].amount);
	CU_ASSERT_EQUAL(m->their_fen, bills[0].amount + 1);
	CU_ASSERT_EQUAL(m->payout_id, bills[0].payout);
	m = mismatch_of(&r, "succeeded_here_not_there", bills[1].out_no);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->our_fen, bills[1].amount);
	CU_ASSERT_EQUAL(m->their_fen, -1);
	m = mismatch_of(&r, "paid_there_not_here", "LD999999S1G0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->their_fen, 500);
	CU_ASSERT_EQUAL(m->our_fen, -1);
	CU_ASSERT_EQUAL(m->payout_id, 0);
	m = mismatch_of(&r, "paid_there_not_here", bills[3].out_no);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->their_fen, bills[3].amount);
	CU_ASSERT_EQUAL(m->payout_id, bills[3].payout);
	/* Each in a finance review, naming what differs. */
	CU_ASSERT_EQUAL(open_reviews(), 4);
	for (i = 0; i < r.nmismatches; i++)
		CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reviews rv JOIN "
		    "reconciliation_lines l ON l.id = rv.reconciliation_line_id "
		    "WHERE rv.id = %" PRId64 " AND rv.state = 'open' AND "
		    "rv.reason = upper(l.kind) AND review_group_of(rv) = "
		    "'loandesk_finance' AND l.run_id = %" PRId64,
		    r.mismatches[i].review_id, r.run_id), 1);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reviews WHERE id = %"
	    PRId64 " AND note LIKE '%%here the bill is sending%%'",
	    mismatch_of(&r, "paid_there_not_here",
	    bills[3].out_no)->review_id), 1);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reconciliation_runs "
	    "WHERE id = %" PRId64 " AND state = 'superseded'", r.supersedes),
	    1);
	first_run = r.run_id;

	/* The same file again: the same four, the same four reviews. */
	reconcile(&fin1, today, &again, LD_OK);
	CU_ASSERT_EQUAL(again.supersedes, first_run);
	CU_ASSERT_EQUAL(core_reconcile_mismatches(&again), 4);
	CU_ASSERT_EQUAL(again.reviews_opened, 0);
	CU_ASSERT_EQUAL(again.reviews_carried, 4);
	CU_ASSERT_EQUAL(again.reviews_closed, 0);
	for (i = 0; i < again.nmismatches; i++) {
		m = mismatch_of(&r, again.mismatches[i].kind,
		    again.mismatches[i].out_bill_no);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(again.mismatches[i].review_id, m->review_id);
	}
	CU_ASSERT_EQUAL(open_reviews(), 4);
	core_reconcile_result_free(&r);
	core_reconcile_result_free(&again);

	/* The lost answer found by a query, WeChat Pay's list corrected:
	 * everything matches and the four reviews close. */
	settle(&bills[3], 1);
	CU_ASSERT_EQUAL(ld_testsim_http(&sim, "DELETE",
	    "/__sim/ledger/mismatch", NULL, NULL), 200);
	reconcile(&fin1, today, &r, LD_OK);
	CU_ASSERT_EQUAL(r.lines, 4);
	CU_ASSERT_EQUAL(r.matched, 4);
	CU_ASSERT_EQUAL(core_reconcile_mismatches(&r), 0);
	CU_ASSERT_EQUAL(r.reviews_closed, 4);
	CU_ASSERT_EQUAL(open_reviews(), 0);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reviews WHERE kind = "
	    "'reconciliation' AND resolution = 'not_found_again'"), 4);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reconciliation_runs "
	    "WHERE bill_date = '%s' AND state = 'done'", today), 1);
	core_reconcile_result_free(&r);
}

/* 3. A download whose SHA1 is not the one announced: refused, nothing
 * matched, the day's run stands. */
static void
test_hash_mismatch_refused(void)
{
	struct core_reconcile_result r;
	struct ld_err err;
	long done, lines, reviews;
	char done_id[32], refusal[1024];

	su_text(done_id, sizeof done_id, "SELECT id FROM reconciliation_runs "
	    "WHERE bill_date = '%s' AND state = 'done'", today);
	lines = su_long("SELECT count(*) FROM reconciliation_lines");
	reviews = su_long("SELECT count(*) FROM reviews");
	CU_ASSERT_EQUAL(ld_testsim_http(&sim, "POST", "/__sim/faults",
	    "{\"bill_corrupt_count\":1}", NULL), 200);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_reconcile_day(&fin1, cl, today, NULL, &r, &err),
	    LD_ECRYPTO);
	CU_ASSERT_EQUAL(r.refused, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "SHA1"));
	CU_ASSERT_EQUAL(r.matched, 0);
	su_text(refusal, sizeof refusal, "SELECT refusal FROM "
	    "reconciliation_runs WHERE id = %" PRId64 " AND state = 'refused' "
	    "AND matched = 0 AND lines = 0", r.run_id);
	CU_ASSERT_PTR_NOT_NULL(strstr(refusal, "the file is refused"));
	/* Nothing matched, superseded or opened. */
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reconciliation_lines"),
	    lines);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reviews"), reviews);
	done = su_long("SELECT id FROM reconciliation_runs WHERE bill_date = "
	    "'%s' AND state = 'done'", today);
	CU_ASSERT_EQUAL(done, strtol(done_id, NULL, 10));
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM audit_log WHERE action = "
	    "'reconcile.refuse' AND object_id = '%" PRId64 "'", r.run_id), 1);
	core_reconcile_result_free(&r);
	/* The fault fired once: the next run is trusted again. */
	reconcile(&fin1, today, &r, LD_OK);
	CU_ASSERT_EQUAL(r.matched, 4);
	core_reconcile_result_free(&r);
}

/* 4. Two operators at once: one run after the other, one stands. */
struct racer {
	struct ld_db *db;
	struct wx_client *wx;
	enum ld_status st;
	int64_t run, supersedes;
};

static void *
race(void *arg)
{
	struct racer *x = arg;
	struct core_reconcile_result r;
	struct ld_err err;

	x->st = core_reconcile_day(x->db, x->wx, today, NULL, &r, &err);
	x->run = r.run_id;
	x->supersedes = r.supersedes;
	core_reconcile_result_free(&r);
	return NULL;
}

static void
test_concurrent_runs(void)
{
	struct racer a = { &fin1, NULL, LD_EINTERNAL, 0, 0 };
	struct racer b = { &fin2, NULL, LD_EINTERNAL, 0, 0 };
	struct ld_err err;
	pthread_t ta, tb;
	int64_t before = su_long("SELECT id FROM reconciliation_runs WHERE "
	    "bill_date = '%s' AND state = 'done'", today);

	CU_ASSERT_EQUAL_FATAL(wx_client_new(&cfg, &a.wx, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(wx_client_new(&cfg, &b.wx, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&ta, NULL, race, &a), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&tb, NULL, race, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	wx_client_free(a.wx);
	wx_client_free(b.wx);
	CU_ASSERT_EQUAL(a.st, LD_OK);
	CU_ASSERT_EQUAL(b.st, LD_OK);
	/* A chain: before <- first <- second, and only the last is done. */
	CU_ASSERT((a.supersedes == before && b.supersedes == a.run) ||
	    (b.supersedes == before && a.supersedes == b.run));
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reconciliation_runs "
	    "WHERE bill_date = '%s' AND state = 'done'", today), 1);
}

/* Runs loandesk with args; its exit status, stdout and stderr. */
static int
loandesk(const char *args, char *out, size_t outlen, char *errout,
    size_t errlen)
{
	const char *bdir = getenv("top_builddir");
	char cmd[2048], path[300];
	FILE *f;
	size_t n;
	int st;

	snprintf(cmd, sizeof cmd, "'%s/loandesk' %s >'%s/cli.out' "
	    "2>'%s/cli.err'", bdir != NULL ? bdir : ".", args, tmpdir,
	    tmpdir);
	st = system(cmd);
	snprintf(path, sizeof path, "%s/cli.out", tmpdir);
	out[0] = '\0';
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(out, 1, outlen - 1, f);
		out[n] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/cli.err", tmpdir);
	errout[0] = '\0';
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(errout, 1, errlen - 1, f);
		errout[n] = '\0';
		fclose(f);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A loandesk.conf as loandeskd's would be: [database] and [wxpay]. */
static void
write_conf(const char *name, const char *user, int with_wxpay)
{
	char path[300];
	char *text;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	if (with_wxpay)
		text = ld_asprintf("[database]\nconninfo = user=%s\n"
		    "[wxpay]\nmode = v3\nmchid = %s\nappid = %s\n"
		    "merchant_serial = %s\nprivate_key_file = %s\n"
		    "platform_public_key_file = %s\nplatform_key_id = %s\n"
		    "apiv3_key_file = %s\nbase_url = %s\n"
		    "transfer_scene_id = 1005\n", user, cfg.mchid, cfg.appid,
		    cfg.merchant_serial, cfg.private_key_file,
		    cfg.platform_public_key_file, cfg.platform_key_id,
		    cfg.apiv3_key_file, cfg.base_url);
	else
		text = ld_asprintf("[database]\nconninfo = user=%s\n", user);
	CU_ASSERT_EQUAL(write_text(path, text), 0);
	free(text);
}

/* 5. loandesk reconcile: counts, mismatches, exit statuses, refusals. */
static void
test_cli(void)
{
	char args[512], out[8192], err[4096], json[256];
	cJSON *doc;
	int rc;

	write_conf("daemon.conf", "r_daemon", 1);
	write_conf("risk.conf", "r_risk", 1);
	write_conf("console.conf", "r_fin1", 0);

	snprintf(args, sizeof args, "-c '%s/daemon.conf' reconcile --date %s "
	    "--json", tmpdir, today);
	rc = loandesk(args, out, sizeof out, err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "reconcile: %d %s %s\n", rc, out, err);
	CU_ASSERT_EQUAL(rc, 0);
	doc = cJSON_Parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(doc,
	    "outcome")), "matched");
	CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(doc,
	    "matched")), 4);
	CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(doc,
	    "mismatches")), 0);
	cJSON_Delete(doc);

	/* A mismatch: exit 3, and the line names the bill and both sums. */
	snprintf(json, sizeof json, "{\"out_bill_no\":\"%s\",\"amount_fen\":"
	    "%" PRId64 "}", bills[2].out_no, bills[2].amount - 1);
	CU_ASSERT_EQUAL(ld_testsim_http(&sim, "POST", "/__sim/ledger/mismatch",
	    json, NULL), 200);
	snprintf(args, sizeof args, "-c '%s/daemon.conf' reconcile --date %s",
	    tmpdir, today);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "4 lines, 3 matched, 1 mismatches"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "amount_differs"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, bills[2].out_no));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "999.00"));	/* 99901 - 1 fen */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "999.01"));
	CU_ASSERT_EQUAL(ld_testsim_http(&sim, "DELETE",
	    "/__sim/ledger/mismatch", NULL, NULL), 200);

	/* A corrupted download: exit 4, refused, recorded. */
	CU_ASSERT_EQUAL(ld_testsim_http(&sim, "POST", "/__sim/faults",
	    "{\"bill_corrupt_count\":1}", NULL), 200);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "refused and nothing matched"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "SHA1"));

	/* A role that may not reconcile; a configuration without the
	 * merchant's key; a day after today; a date that is none. */
	snprintf(args, sizeof args, "-c '%s/risk.conf' reconcile --date %s",
	    tmpdir, today);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "permission denied"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nothing recorded"));
	snprintf(args, sizeof args, "-c '%s/console.conf' reconcile", tmpdir);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "has no [wxpay]"));
	snprintf(args, sizeof args, "-c '%s/daemon.conf' reconcile --date "
	    "2999-01-01", tmpdir);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is after today"));
	snprintf(args, sizeof args, "-c '%s/daemon.conf' reconcile --date "
	    "2025-02-30", tmpdir);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 2);
	/* The run that stands is the one with the mismatch: the refused and
	 * the failed commands changed nothing. */
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM reconciliation_runs "
	    "WHERE bill_date = '%s' AND state = 'done' AND matched = 3 AND "
	    "amount_differs = 1", today), 1);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_clean_day),
		LD_TEST(test_mismatch_kinds),
		LD_TEST(test_hash_mismatch_refused),
		LD_TEST(test_concurrent_runs),
		LD_TEST(test_cli),
		LD_TEST_END
	};

	LD_TEST_INIT();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ld_test_suite("reconciliation", suite_init, suite_clean, cases);
	return ld_test_run();
}
