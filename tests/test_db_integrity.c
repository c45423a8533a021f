/*
 * Decision integrity against a real throwaway PostgreSQL cluster, each
 * operator a real login of its group role: rule override levels (never,
 * dual), maker-checker above an amount, second opinions, the APR cap, the
 * decision preview against the decision itself, revealing personal data,
 * a key rotation killed and restarted, and the five database holes (the
 * audit ids a verifier skipped, a superuser as assignee, an idle
 * transaction holding the audit head, large objects and the migration
 * lock, what the daemon may record).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "core/core_case.h"
#include "core/core_pii.h"
#include "core/core_query.h"
#include "core/core_reviews.h"
#include "ld_audit.h"
#include "ld_migrate.h"
#include "ld_paths.h"
#include "ld_pii.h"
#include "ld_test.h"
#include "ld_testdb.h"

static struct ld_testdb tdb;
static struct ld_db su; /* the cluster's superuser */
static char tmpdir[] = "/tmp/ld-integrity.XXXXXX";

/* The logins, one per role, and a second risk officer. */
#define RISK1 "ti_risk1"
#define RISK2 "ti_risk2"
#define ADMIN "ti_admin"
#define ONCALL "ti_oncall"
#define FIN "ti_fin"
#define DAEMON "ti_daemon"

static void
su_exec(const char *sql)
{
	struct ld_err err;

	ld_err_clear(&err);
	if (ld_db_cmd(&su, sql, &err) != LD_OK)
		fprintf(stderr, "su_exec: %s: %s\n", sql, err.msg);
	CU_ASSERT_EQUAL_FATAL(err.code, LD_OK);
}

static long
su_count(const char *sql)
{
	PGresult *r;
	struct ld_err err;
	long n = -1;

	if (ld_db_exec(&su, sql, 0, NULL, &r, &err) != LD_OK) {
		fprintf(stderr, "su_count: %s: %s\n", sql, err.msg);
		return -1;
	}
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

static void
su_text(const char *sql, char *out, size_t len)
{
	PGresult *r;
	struct ld_err err;

	out[0] = '\0';
	if (ld_db_exec(&su, sql, 0, NULL, &r, &err) != LD_OK) {
		fprintf(stderr, "su_text: %s: %s\n", sql, err.msg);
		CU_FAIL("superuser query failed");
		return;
	}
	if (PQntuples(r) == 1)
		snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

static void
setting(const char *key, const char *value)
{
	char sql[256];

	snprintf(sql, sizeof sql, "UPDATE settings SET value = '%s' WHERE "
	    "key = '%s'", value, key);
	su_exec(sql);
}

static int
connect_as(struct ld_db *db, const char *login)
{
	char ci[64];
	struct ld_err err;

	snprintf(ci, sizeof ci, "user=%s", login);
	if (ld_db_connect(db, ci, "test_db_integrity", &err) != LD_OK) {
		fprintf(stderr, "connect as %s: %s\n", login, err.msg);
		return -1;
	}
	return 0;
}

static int
suite_init(void)
{
	static const char *const logins[][2] = {
		{ RISK1, "loandesk_risk" }, { RISK2, "loandesk_risk" },
		{ ADMIN, "loandesk_admin" }, { ONCALL, "loandesk_oncall" },
		{ FIN, "loandesk_finance" }, { DAEMON, "loandesk_daemon" },
	};
	struct ld_err err;
	struct ld_migration_set set;
	char sql[256];
	int applied;
	size_t i;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	if (ld_testdb_start(&tdb) != 0)
		return -1;
	if (ld_db_connect(&su, "", "test_db_integrity", &err) != LD_OK ||
	    ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK ||
	    ld_migrations_apply(&su, &set, NULL, &applied, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	ld_migrations_free(&set);
	for (i = 0; i < sizeof logins / sizeof logins[0]; i++) {
		snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN IN ROLE %s",
		    logins[i][0], logins[i][1]);
		if (ld_db_cmd(&su, sql, &err) != LD_OK) {
			fprintf(stderr, "%s\n", err.msg);
			return -1;
		}
	}
	return 0;
}

static int
suite_clean(void)
{
	char cmd[512];

	ld_db_close(&su);
	ld_testdb_stop(&tdb);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return 0;
}

/* A hex bytea literal body ("\x0102...") of n bytes, in out (2n + 3). */
static void
bytea_param(const unsigned char *p, size_t n, char *out)
{
	out[0] = '\\';
	out[1] = 'x';
	ld_hex_encode(p, n, out + 2);
}

/* An applicant with personal data sealed under pii and indexed under ix. */
static int64_t
sealed_applicant(struct ld_db *db, const struct ld_pii_key *pii,
    const struct ld_pii_key *ix, const char *name, const char *id_no,
    const char *phone)
{
	const char *plain[3] = { name, id_no, phone };
	static const char *const fields[3] = { "name", "id_no", "phone" };
	char hex[6][2 * 256 + 3], masked[3][64];
	const char *params[9];
	unsigned char sealed[256], bidx[32];
	struct ld_err err;
	PGresult *r;
	int64_t id = -1;
	int i;

	for (i = 0; i < 3; i++) {
		size_t n = strlen(plain[i]);

		CU_ASSERT_FATAL(n + LD_PII_OVERHEAD <= sizeof sealed);
		CU_ASSERT_EQUAL_FATAL(ld_pii_seal(pii, fields[i], plain[i], n,
		    sealed, &err), LD_OK);
		ld_pii_blind_index(ix, fields[i], plain[i], bidx);
		bytea_param(sealed, n + LD_PII_OVERHEAD, hex[2 * i]);
		bytea_param(bidx, 32, hex[2 * i + 1]);
		params[3 * i] = hex[2 * i];
		params[3 * i + 1] = hex[2 * i + 1];
	}
	ld_pii_mask_name(name, masked[0], sizeof masked[0]);
	ld_pii_mask_id(id_no, masked[1], sizeof masked[1]);
	ld_pii_mask_phone(phone, masked[2], sizeof masked[2]);
	params[2] = masked[0];
	params[5] = masked[1];
	params[8] = masked[2];
	if (ld_db_exec(db, "INSERT INTO applicants (name_enc, name_bidx, "
	    "name_masked, id_no_enc, id_no_bidx, id_no_masked, phone_enc, "
	    "phone_bidx, phone_masked, openid) VALUES ($1::bytea, $2::bytea, "
	    "$3, $4::bytea, $5::bytea, $6, $7::bytea, $8::bytea, $9, "
	    "'o_integrity') RETURNING id", 9, params, &r, &err) != LD_OK) {
		fprintf(stderr, "sealed applicant: %s\n", err.msg);
		CU_FAIL("sealed applicant");
		return -1;
	}
	id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return id;
}

/*
 * A scored application: status, the model's recommendation, amount and
 * nominal rate, and a champion score holding rules_hit (JSON text).  The
 * applicant's personal data is dummy bytes: nothing here opens it.
 */
static int64_t
application(const char *status, const char *rec, int64_t amount_fen,
    int rate_bps, const char *rules_hit)
{
	char sql[2048];
	int64_t id;

	su_exec("INSERT INTO applicants (name_enc, name_bidx, name_masked, "
	    "id_no_enc, id_no_bidx, id_no_masked, phone_enc, phone_bidx, "
	    "phone_masked, openid) VALUES ('\\x01', sha256(random()::text::"
	    "bytea), '张*三', '\\x01', sha256(random()::text::bytea), "
	    "'110***********1234', '\\x01', sha256(random()::text::bytea), "
	    "'138****5678', 'o_integrity')");
	snprintf(sql, sizeof sql, "INSERT INTO applications (applicant_id, "
	    "product, amount_fen, term_months, rate_bps, status, "
	    "recommendation) SELECT max(id), 'cash', %" PRId64 ", 12, %d, "
	    "'%s', '%s' FROM applicants RETURNING id", amount_fen, rate_bps,
	    status, rec);
	id = su_count(sql);
	CU_ASSERT_FATAL(id > 0);
	snprintf(sql, sizeof sql, "WITH s AS (INSERT INTO scores "
	    "(application_id, decision, rules_hit) VALUES (%" PRId64 ", '%s', "
	    "'%s') RETURNING id) UPDATE applications SET score_id = s.id FROM "
	    "s WHERE applications.id = %" PRId64, id, rec, rules_hit, id);
	su_exec(sql);
	return id;
}

#define R001_NEVER "[{\"id\": \"R001\", \"version\": 1, \"action\": " \
    "\"reject\", \"override\": \"never\", \"text\": \"申请人未满18周岁 / " \
    "applicant is under 18\", \"inputs\": {\"age\": 17}}]"
#define R006_DUAL "[{\"id\": \"R006\", \"version\": 1, \"action\": " \
    "\"reject\", \"override\": \"dual\", \"text\": \"历史借款逾期超过90天 " \
    "/ an earlier loan was over 90 days overdue\"}]"
#define R009_OFFICER "[{\"id\": \"R009\", \"version\": 1, \"action\": " \
    "\"reject\", \"override\": \"officer\", \"text\": \"amount\"}]"
#define R003_DUAL_REVIEW "[{\"id\": \"R003\", \"version\": 1, " \
    "\"action\": \"review\", \"override\": \"dual\", \"text\": \"device\"}]"
#define R011_FLAG "[{\"id\": \"R011\", \"version\": 1, \"action\": " \
    "\"flag\", \"text\": \"carrier\"}]"
/* A hit stored before levels existed: a reject rule counts as dual. */
#define R006_OLD "[{\"id\": \"R006\", \"version\": 1, \"action\": " \
    "\"reject\", \"text\": \"overdue\"}]"

static long
app_count(const char *fmt, int64_t id)
{
	char sql[512];

	snprintf(sql, sizeof sql, fmt, id, id);
	return su_count(sql);
}

static int64_t
open_review(int64_t app)
{
	return app_count("SELECT id FROM reviews WHERE application_id = %"
	    PRId64 " AND state <> 'closed'", app);
}

/* --- hard rules -------------------------------------------------------- */

/*
 * A never rule (R001, a minor) is overridden by no one: not a risk
 * officer with a note, not an admin, not two officers, not any other
 * role; each refusal names the rule and its level, and leaves nothing
 * behind.
 */
static void
test_never_rule_cannot_be_overridden(void)
{
	static const char *const who[] = { RISK1, RISK2, ADMIN, FIN, ONCALL,
		DAEMON };
	int64_t app = application("auto_rejected", "auto_rejected", 3410000,
	    1800, R001_NEVER);
	long audit = su_count("SELECT count(*) FROM audit_log");
	struct ld_err err;
	enum core_app_status status;
	size_t i;

	for (i = 0; i < sizeof who / sizeof who[0]; i++) {
		struct ld_db op;

		CU_ASSERT_EQUAL_FATAL(connect_as(&op, who[i]), 0);
		ld_err_clear(&err);
		CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_APPROVE,
		    "GOOD_HISTORY", "the applicant turned 18 last week",
		    &status, &err), LD_EPERM);
		if (i < 3) {
			/* Those who may decide are told why, by rule. */
			if (strstr(err.msg, "rule R001 (申请人未满18周岁 / "
			    "applicant is under 18) is a legal bar no one may "
			    "override (level never)") == NULL)
				fprintf(stderr, "%s: %s\n", who[i], err.msg);
			CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "rule R001 ("
			    "申请人未满18周岁 / applicant is under 18) is a "
			    "legal bar no one may override (level never)"));
		} else
			CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
			    "permission denied"));
		ld_db_close(&op);
	}
	CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM applications WHERE "
	    "id = %" PRId64 " AND status = 'auto_rejected'", app), 1);
	CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM payouts WHERE "
	    "application_id = %" PRId64, app), 0);
	CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM decision_requests "
	    "WHERE application_id = %" PRId64, app), 0);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log"), audit);
	/* Rejecting it, agreeing with the model, is one officer's call. */
	{
		struct ld_db op;

		CU_ASSERT_EQUAL_FATAL(connect_as(&op, RISK1), 0);
		CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_REJECT,
		    "UNDERAGE", NULL, &status, &err), LD_OK);
		CU_ASSERT_EQUAL(status, CORE_APP_REJECTED);
		ld_db_close(&op);
	}
}

/*
 * A dual rule (R006) takes two different officers: the first approval is
 * a pending request and a DUAL_CONTROL review, which its maker may not
 * complete; another officer's approval does, and both are recorded.
 */
static void
test_dual_rule_needs_two_officers(void)
{
	int64_t app = application("auto_rejected", "auto_rejected", 500000,
	    1800, R006_DUAL), review;
	struct ld_db r1, r2;
	struct ld_err err;
	enum core_app_status status;
	char got[1024], sql[512];

	CU_ASSERT_EQUAL_FATAL(connect_as(&r1, RISK1), 0);
	CU_ASSERT_EQUAL_FATAL(connect_as(&r2, RISK2), 0);
	/* Overriding a reject rule needs a note, as the model does. */
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_APPROVE,
	    "GOOD_HISTORY", NULL, &status, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "a note is required"));
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_APPROVE,
	    "GOOD_HISTORY", "paid the old loan in full in 2023", &status,
	    &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_MANUAL_REVIEW);
	review = open_review(app);
	CU_ASSERT_FATAL(review > 0);
	snprintf(sql, sizeof sql, "SELECT r.reason || ' ' || r.opened_by || "
	    "' ' || r.state || ' ' || d.state || ' ' || d.requested_by || ' ' "
	    "|| (d.rules->0->>'id') || ' ' || (d.rules->0->>'override') FROM "
	    "reviews r JOIN decision_requests d ON d.review_id = r.id WHERE "
	    "r.id = %" PRId64, review);
	su_text(sql, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "DUAL_CONTROL ti_risk1 open pending "
	    "ti_risk1 R006 dual");
	CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM payouts WHERE "
	    "application_id = %" PRId64, app), 0);
	snprintf(sql, sizeof sql, "SELECT detail->>'level' || ' ' || "
	    "(detail->'rules'->0->>'id') || ' ' || actor FROM audit_log WHERE "
	    "action = 'application.approve_requested' AND object_id = '%"
	    PRId64 "'", app);
	su_text(sql, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "dual R006 ti_risk1");

	/* The maker cannot be the checker. */
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_APPROVE,
	    "GOOD_HISTORY", "again", &status, &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "awaits a second officer: "
	    "ti_risk1 asked for it"));
	/* Another officer completes it. */
	CU_ASSERT_EQUAL(core_application_decide(&r2, app, CORE_APPROVE,
	    "VERIFIED_INCOME", "called the employer too", &status, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_APPROVED);
	snprintf(sql, sizeof sql, "SELECT d.state || ' ' || d.requested_by "
	    "|| ' ' || d.resolved_by || ' ' || p.requested_by || ' ' || "
	    "a.decided_by FROM decision_requests d JOIN payouts p ON "
	    "p.application_id = d.application_id JOIN applications a ON a.id "
	    "= d.application_id WHERE d.application_id = %" PRId64, app);
	su_text(sql, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "confirmed ti_risk1 ti_risk2 ti_risk2 "
	    "ti_risk2");
	snprintf(sql, sizeof sql, "SELECT actor || ' ' || (detail->>"
	    "'requested_by') || ' ' || (detail->>'request') || ' ' || "
	    "(detail->'rules'->0->>'id') || ' ' || (detail->'rules'->0->>"
	    "'override') FROM audit_log WHERE action = 'application.approve' "
	    "AND object_id = '%" PRId64 "'", app);
	su_text(sql, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "ti_risk2 ti_risk1 confirmed R006 dual");

	/* A second officer may refuse instead: the request is refused. */
	app = application("auto_rejected", "auto_rejected", 500000, 1800,
	    R006_OLD);
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_APPROVE,
	    "GOOD_HISTORY", "old hit, no level: two officers", &status, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_MANUAL_REVIEW);
	CU_ASSERT_EQUAL(core_application_decide(&r2, app, CORE_REJECT,
	    "DEBT_BURDEN", NULL, &status, &err), LD_OK);
	CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM decision_requests "
	    "WHERE application_id = %" PRId64 " AND state = 'refused' AND "
	    "resolved_by = 'ti_risk2'", app), 1);
	/* An officer-level reject rule is one officer's, with a note. */
	app = application("auto_rejected", "auto_rejected", 500000, 1800,
	    R009_OFFICER);
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_APPROVE,
	    "VERIFIED_INCOME", "income verified", &status, &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_APPROVED);
	ld_db_close(&r1);
	ld_db_close(&r2);
}

/*
 * Overriding the model's reject for more than dual_control_amount_fen
 * takes a second officer even with no rule; at or below it, one; the
 * amount is a setting.
 */
static void
test_override_above_amount_needs_second_officer(void)
{
	int64_t big = application("auto_rejected", "auto_rejected", 3410000,
	    1800, "[]"), small = application("auto_rejected",
	    "auto_rejected", 2000000, 1800, "[]"), later;
	struct ld_db r1, admin;
	struct ld_err err;
	enum core_app_status status;

	CU_ASSERT_EQUAL_FATAL(connect_as(&r1, RISK1), 0);
	CU_ASSERT_EQUAL_FATAL(connect_as(&admin, ADMIN), 0);
	CU_ASSERT_EQUAL(core_application_decide(&r1, big, CORE_APPROVE,
	    "GOOD_HISTORY", "long-standing customer", &status, &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_MANUAL_REVIEW);
	CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM decision_requests "
	    "WHERE application_id = %" PRId64 " AND state = 'pending' AND "
	    "why LIKE '%%for more than ¥20,000.00%%'", big), 1);
	/* An admin is a second officer like any other. */
	CU_ASSERT_EQUAL(core_application_decide(&admin, big, CORE_APPROVE,
	    "GOOD_HISTORY", "agreed", &status, &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_APPROVED);
	CU_ASSERT_EQUAL(core_application_decide(&r1, small, CORE_APPROVE,
	    "GOOD_HISTORY", "long-standing customer", &status, &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_APPROVED);
	setting("dual_control_amount_fen", "5000000");
	later = application("auto_rejected", "auto_rejected", 3410000, 1800,
	    "[]");
	CU_ASSERT_EQUAL(core_application_decide(&r1, later, CORE_APPROVE,
	    "GOOD_HISTORY", "long-standing customer", &status, &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_APPROVED);
	setting("dual_control_amount_fen", "2000000");
	ld_db_close(&r1);
	ld_db_close(&admin);
}

/*
 * The officer who asked for a second opinion decides neither the review
 * nor the case while it is open, admin or not; another officer does.
 */
static void
test_second_opinion_is_anothers(void)
{
	int64_t app = application("auto_approved", "auto_approved", 800000,
	    1800, "[]");
	struct ld_db r1, r2, admin;
	struct ld_err err;
	enum core_app_status status;

	CU_ASSERT_EQUAL_FATAL(connect_as(&r1, RISK1), 0);
	CU_ASSERT_EQUAL_FATAL(connect_as(&r2, RISK2), 0);
	CU_ASSERT_EQUAL_FATAL(connect_as(&admin, ADMIN), 0);
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_REVIEW,
	    "SECOND_OPINION", "not sure about the income", &status, &err),
	    LD_OK);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_APPROVE,
	    "MODEL_AGREE", NULL, &status, &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "in the second-opinion review "
	    "ti_risk1 asked for: another officer must decide it"));
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_REJECT,
	    "INCOME_INSUFFICIENT", "x", &status, &err), LD_EPERM);
	/* Claiming it does not make it theirs to decide. */
	CU_ASSERT_EQUAL(core_review_claim(&r1, open_review(app), &err),
	    LD_OK);
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_APPROVE,
	    "MODEL_AGREE", NULL, &status, &err), LD_EPERM);
	CU_ASSERT_EQUAL(core_review_release(&r1, open_review(app), &err),
	    LD_OK);
	CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM applications WHERE "
	    "id = %" PRId64 " AND status = 'manual_review'", app), 1);
	CU_ASSERT_EQUAL(core_application_decide(&r2, app, CORE_APPROVE,
	    "MODEL_AGREE", NULL, &status, &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_APPROVED);

	/* An admin who asks is held to it too. */
	app = application("auto_approved", "auto_approved", 800000, 1800,
	    "[]");
	CU_ASSERT_EQUAL(core_application_decide(&admin, app, CORE_REVIEW,
	    "SECOND_OPINION", NULL, &status, &err), LD_OK);
	CU_ASSERT_EQUAL(core_application_decide(&admin, app, CORE_APPROVE,
	    "MODEL_AGREE", NULL, &status, &err), LD_EPERM);
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_APPROVE,
	    "MODEL_AGREE", NULL, &status, &err), LD_OK);
	ld_db_close(&r1);
	ld_db_close(&r2);
	ld_db_close(&admin);
}

/* An APR above the cap is refused, naming both; within it, approved. */
static void
test_apr_above_cap_refused(void)
{
	int64_t app = application("auto_approved", "auto_approved", 500000,
	    3000, "[]");
	struct ld_db r1;
	struct ld_err err;
	enum core_app_status status;

	CU_ASSERT_EQUAL_FATAL(connect_as(&r1, RISK1), 0);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_APPROVE,
	    "MODEL_AGREE", NULL, &status, &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "APR 30.00% is above the cap "
	    "24.00%"));
	CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM payouts WHERE "
	    "application_id = %" PRId64, app), 0);
	/* Rejecting it is no loan: allowed. */
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_REJECT,
	    "OTHER", "the rate is above the cap", &status, &err), LD_OK);
	/*
	 * 2400 bps nominal is not 24.00% by IRR: each month's interest is
	 * rounded half up, which lifts the APR a fraction above the rate
	 * (24.01% here), so the loan within the cap is priced below it.
	 */
	app = application("auto_approved", "auto_approved", 500000, 2390,
	    "[]");
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_APPROVE,
	    "MODEL_AGREE", NULL, &status, &err), LD_OK);
	ld_db_close(&r1);
}

/* --- the preview ------------------------------------------------------- */

struct preview_case {
	const char *status, *rec, *rules;
	int64_t amount_fen;
	int rate_bps;
	const char *setup; /* NULL, "second_opinion", "claimed", "pending" */
};

/*
 * Sets an application up for a case: a second opinion risk1 asked for,
 * a review risk2 holds, or an approval risk1 asked a second officer for.
 */
static void
preview_setup(int64_t app, const char *setup)
{
	struct ld_db r1, r2;
	struct ld_err err;
	enum core_app_status status;

	if (setup == NULL)
		return;
	CU_ASSERT_EQUAL_FATAL(connect_as(&r1, RISK1), 0);
	CU_ASSERT_EQUAL_FATAL(connect_as(&r2, RISK2), 0);
	if (strcmp(setup, "second_opinion") == 0)
		CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_REVIEW,
		    "SECOND_OPINION", NULL, &status, &err), LD_OK);
	if (strcmp(setup, "claimed") == 0) {
		CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_REVIEW,
		    "DOCS_NEEDED", NULL, &status, &err), LD_OK);
		CU_ASSERT_EQUAL(core_review_claim(&r2, open_review(app), &err),
		    LD_OK);
	}
	if (strcmp(setup, "pending") == 0) {
		CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_APPROVE,
		    "GOOD_HISTORY", "first of two", &status, &err), LD_OK);
		CU_ASSERT_EQUAL(status, CORE_APP_MANUAL_REVIEW);
	}
	ld_db_close(&r1);
	ld_db_close(&r2);
}

/*
 * Over a table of cases (statuses, recommendations, rule levels, amounts,
 * rates, reviews, pending requests) x callers x decisions, the preview's
 * verdict is what api.application_decide then does: refused with the
 * same message and SQLSTATE, a note asked for exactly when the decision
 * without one is refused for it, a second officer exactly when the
 * approval becomes a pending request.  Each decision is rolled back.
 */
static void
test_preview_matches_decide(void)
{
	static const struct preview_case cases[] = {
		{ "auto_approved", "auto_approved", "[]", 500000, 1800, NULL },
		{ "auto_rejected", "auto_rejected", "[]", 500000, 1800, NULL },
		{ "auto_rejected", "auto_rejected", "[]", 3410000, 1800, NULL },
		{ "manual_review", "manual_review", "[]", 500000, 1800, NULL },
		{ "scored", "manual_review", "[]", 500000, 1800, NULL },
		{ "received", "manual_review", "[]", 500000, 1800, NULL },
		{ "approved", "auto_approved", "[]", 500000, 1800, NULL },
		{ "rejected", "auto_rejected", "[]", 500000, 1800, NULL },
		{ "auto_rejected", "auto_rejected", R001_NEVER, 500000, 1800,
		    NULL },
		{ "auto_rejected", "auto_rejected", R006_DUAL, 500000, 1800,
		    NULL },
		{ "auto_rejected", "auto_rejected", R006_OLD, 500000, 1800,
		    NULL },
		{ "auto_rejected", "auto_rejected", R009_OFFICER, 500000, 1800,
		    NULL },
		{ "manual_review", "manual_review", R003_DUAL_REVIEW, 500000,
		    1800, NULL },
		{ "auto_approved", "auto_approved", R011_FLAG, 500000, 1800,
		    NULL },
		{ "auto_approved", "auto_approved", "[]", 500000, 3000, NULL },
		{ "auto_rejected", "auto_rejected", R001_NEVER, 500000, 3000,
		    NULL },
		{ "auto_approved", "auto_approved", "[]", 500000, 1800,
		    "second_opinion" },
		{ "auto_approved", "auto_approved", "[]", 500000, 1800,
		    "claimed" },
		{ "auto_rejected", "auto_rejected", R006_DUAL, 500000, 1800,
		    "pending" },
		{ "auto_rejected", "auto_rejected", "[]", 3410000, 1800,
		    "pending" },
	};
	static const char *const callers[] = { RISK1, RISK2, ADMIN };
	static const enum core_decision decisions[] = { CORE_APPROVE,
		CORE_REJECT, CORE_REVIEW };
	struct ld_db op[3];
	size_t c, k, d;
	int refused = 0, pending = 0, notes = 0, allowed = 0;

	for (k = 0; k < 3; k++)
		CU_ASSERT_EQUAL_FATAL(connect_as(&op[k], callers[k]), 0);
	for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const struct preview_case *pc = &cases[c];
		int64_t app = application(pc->status, pc->rec,
		    pc->amount_fen, pc->rate_bps, pc->rules);

		preview_setup(app, pc->setup);
		for (k = 0; k < 3; k++)
		for (d = 0; d < 3; d++) {
			struct core_decision_preview pv;
			struct ld_db *db = &op[k];
			struct ld_err err;
			enum core_app_status status = CORE_APP_NONE;
			char want[1024], decide_state[6];
			long before;
			enum ld_status st, st_nonote;

			ld_err_clear(&err);
			CU_ASSERT_EQUAL_FATAL(core_decision_preview(db, app,
			    decisions[d], &pv, &err), LD_OK);
			/* Without a note, then with one; both rolled back. */
			CU_ASSERT_EQUAL_FATAL(ld_db_begin(db, &err), LD_OK);
			st_nonote = core_application_decide(db, app,
			    decisions[d], "OTHER", NULL, &status, &err);
			ld_db_rollback(db);
			if (pv.allowed)
				CU_ASSERT_EQUAL(st_nonote != LD_OK,
				    pv.note_required);
			CU_ASSERT_EQUAL_FATAL(ld_db_begin(db, &err), LD_OK);
			before = app_count("SELECT count(*) FROM "
			    "decision_requests WHERE application_id = %"
			    PRId64 " AND state = 'pending'", app);
			ld_err_clear(&err);
			st = core_application_decide(db, app, decisions[d],
			    "OTHER", "the preview said so", &status, &err);
			/* The rollback below is a statement of its own. */
			snprintf(decide_state, sizeof decide_state, "%s",
			    db->sqlstate);
			if (st == LD_OK && pv.second_officer) {
				/* Seen from inside, before the rollback. */
				struct ld_err e2;
				PGresult *r;

				CU_ASSERT_EQUAL(ld_db_exec(db, "SELECT count(*) "
				    "FROM decision_requests WHERE state = "
				    "'pending'", 0, NULL, &r, &e2), LD_OK);
				CU_ASSERT_EQUAL(atol(PQgetvalue(r, 0, 0)),
				    su_count("SELECT count(*) FROM "
				    "decision_requests WHERE state = "
				    "'pending'") + 1);
				PQclear(r);
			}
			ld_db_rollback(db);
			CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM "
			    "decision_requests WHERE application_id = %"
			    PRId64 " AND state = 'pending'", app), before);
			if (pv.allowed != (st == LD_OK))
				fprintf(stderr, "case %zu %s %s: preview %s "
				    "(%s), decide %s\n", c, callers[k],
				    core_decision_name(decisions[d]),
				    pv.allowed ? "allows" : "refuses", pv.why,
				    st == LD_OK ? "took it" : err.msg);
			CU_ASSERT_EQUAL(pv.allowed, st == LD_OK);
			if (!pv.allowed) {
				refused++;
				/* As core_application_decide names it once. */
				snprintf(want, sizeof want, "application %"
				    PRId64 " ", app);
				if (strncmp(pv.why, want, strlen(want)) == 0)
					snprintf(want, sizeof want, "%s [%s]",
					    pv.why, pv.refusal_state);
				else
					snprintf(want, sizeof want, "application "
					    "%" PRId64 ": %s [%s]", app, pv.why,
					    pv.refusal_state);
				CU_ASSERT_STRING_EQUAL(err.msg, want);
				CU_ASSERT_STRING_EQUAL(decide_state,
				    pv.refusal_state);
				continue;
			}
			allowed++;
			notes += pv.note_required;
			pending += pv.second_officer;
			CU_ASSERT_EQUAL(status, pv.second_officer ?
			    CORE_APP_MANUAL_REVIEW :
			    core_decision_outcome(decisions[d]));
		}
	}
	/* The table reached every kind of verdict. */
	CU_ASSERT(refused > 20);
	CU_ASSERT(allowed > 20);
	CU_ASSERT(notes > 5);
	CU_ASSERT(pending >= 6);
	for (k = 0; k < 3; k++)
		ld_db_close(&op[k]);
}

/* --- personal data ------------------------------------------------------ */

static void
write_key(const char *name, struct ld_pii_key *k, char *path, size_t len)
{
	struct ld_err err;

	snprintf(path, len, "%s/%s", tmpdir, name);
	CU_ASSERT_EQUAL_FATAL(ld_pii_key_generate(path, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_pii_key_load(k, path, &err), LD_OK);
}

static void
write_conf(const char *path, const char *pii, const char *bidx)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "[security]\npii_key_file = %s\nblind_index_key_file = "
	    "%s\n", pii, bidx);
	CU_ASSERT_EQUAL(fclose(f), 0);
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
}

static int
run(const char *cmd, char *out, size_t outlen)
{
	FILE *p = popen(cmd, "r");
	size_t n;
	int st;

	if (p == NULL)
		return -1;
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * On-call reveals a name with a reason: the value, sealed in the
 * database, is opened with the key only the console's side holds; an
 * audit row records who, what and why; past the operator's limit the
 * next reveal is refused and records nothing.  Risk officers may not.
 */
static void
test_pii_reveal_audited_and_limited(void)
{
	struct ld_pii_key pii, bidx;
	struct core_keyring ring;
	struct ld_db oncall, risk;
	struct ld_err err;
	char piipath[512], bidxpath[512], conf[600], cmd[1600], out[1024];
	char plain[256], sql[256];
	int64_t who, app;
	long audit;

	write_key("reveal_pii.key", &pii, piipath, sizeof piipath);
	write_key("reveal_bidx.key", &bidx, bidxpath, sizeof bidxpath);
	who = sealed_applicant(&su, &pii, &bidx, "欧阳小明", "110105194912310021",
	    "13812345678");
	snprintf(sql, sizeof sql, "INSERT INTO applications (applicant_id, "
	    "product, amount_fen, term_months, rate_bps) VALUES (%" PRId64
	    ", 'cash', 100000, 12, 1800) RETURNING id", who);
	app = su_count(sql);
	core_keyring_init(&ring);
	CU_ASSERT_EQUAL_FATAL(core_keyring_add(&ring, &pii, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(connect_as(&oncall, ONCALL), 0);
	CU_ASSERT_EQUAL_FATAL(connect_as(&risk, RISK1), 0);
	setting("pii_reveal_limit", "1");

	audit = su_count("SELECT count(*) FROM audit_log");
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_pii_reveal(&risk, &ring, app, "name", "curious",
	    plain, sizeof plain, &err), LD_EPERM);
	CU_ASSERT_EQUAL(core_pii_reveal(&oncall, &ring, app, "name", "  ",
	    plain, sizeof plain, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "a reason is required"));
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log"), audit);

	CU_ASSERT_EQUAL(core_pii_reveal(&oncall, &ring, app, "name",
	    "payout failed: NAME_MISMATCH, checking the spelling", plain,
	    sizeof plain, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(plain, "欧阳小明");
	snprintf(sql, sizeof sql, "SELECT actor || ' ' || (detail->>'field') "
	    "|| ' ' || (detail->>'reason') FROM audit_log WHERE action = "
	    "'pii.reveal' AND object_id = '%" PRId64 "'", app);
	su_text(sql, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "ti_oncall name payout failed: "
	    "NAME_MISMATCH, checking the spelling");
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log"), audit + 1);

	/* The second is over the limit of one: refused, nothing recorded. */
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_pii_reveal(&oncall, &ring, app, "phone",
	    "and the phone", plain, sizeof plain, &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ti_oncall has revealed 1 "
	    "values in the last 3600 seconds, the limit"));
	CU_ASSERT_STRING_EQUAL(plain, "");
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log"), audit + 1);

	/* The command, as an admin, whose limit is their own. */
	snprintf(conf, sizeof conf, "%s/reveal.conf", tmpdir);
	write_conf(conf, piipath, bidxpath);
	snprintf(cmd, sizeof cmd, "PGUSER=%s '%s/loandesk' -c '%s' pii reveal "
	    "%" PRId64 " id_no --reason 'identity check for a complaint' 2>&1",
	    ADMIN, ld_test_builddir(), conf, app);
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "110105194912310021\n");
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "pii reveal refused: ti_admin has "
	    "revealed 1 values"));
	setting("pii_reveal_limit", "5");
	core_keyring_wipe(&ring);
	ld_pii_key_wipe(&pii);
	ld_pii_key_wipe(&bidx);
	ld_db_close(&oncall);
	ld_db_close(&risk);
}

#define ROT_PEOPLE 40
/*
 * A database of its own: a rotation walks every applicant, and the other
 * tests' applicants hold dummy bytes or other keys.
 */
#define ROT_DB "ld_rotation"

/* Applicant i's plain name, ID number and phone. */
static void
person(int i, char *name, char *id_no, char *phone, size_t len)
{
	snprintf(name, len, "张%d三", i);
	snprintf(id_no, len, "1101051949123%05d", i);
	snprintf(phone, len, "138%08d", i);
}

/*
 * How many fields of the rotation's applicants open under k to their
 * plain value; *index_ok says whether every blind index is k_index's.
 */
static int
fields_under(struct ld_db *db, const struct ld_pii_key *k,
    const struct ld_pii_key *k_index, int *index_ok)
{
	static const char *const fields[] = { "name", "id_no", "phone" };
	PGresult *r;
	struct ld_err err;
	int i, f, n = 0;

	*index_ok = 1;
	if (ld_db_exec(db, "SELECT id, encode(name_enc, 'hex'), "
	    "encode(id_no_enc, 'hex'), encode(phone_enc, 'hex'), "
	    "encode(name_bidx, 'hex'), encode(id_no_bidx, 'hex'), "
	    "encode(phone_bidx, 'hex') FROM applicants ORDER BY id", 0, NULL,
	    &r, &err) != LD_OK) {
		CU_FAIL("reading the rotated applicants");
		return -1;
	}
	CU_ASSERT_EQUAL(PQntuples(r), ROT_PEOPLE);
	for (i = 0; i < PQntuples(r); i++) {
		char want[3][64], plain[256];
		unsigned char sealed[256], ix[32], stored[32];

		person(i, want[0], want[1], want[2], sizeof want[0]);
		for (f = 0; f < 3; f++) {
			const char *hex = PQgetvalue(r, i, 1 + f);
			size_t len = strlen(hex) / 2;

			if (len > sizeof sealed ||
			    ld_hex_decode(hex, sealed, len) != 0)
				continue;
			if (ld_pii_open(k, fields[f], sealed, len, plain,
			    &err) == LD_OK && strcmp(plain, want[f]) == 0)
				n++;
			ld_pii_blind_index(k_index, fields[f], want[f], ix);
			if (ld_hex_decode(PQgetvalue(r, i, 4 + f), stored, 32)
			    != 0 || memcmp(ix, stored, 32) != 0)
				*index_ok = 0;
		}
	}
	PQclear(r);
	return n;
}

/* An application of applicant, in db; its id. */
static int64_t
rot_application(struct ld_db *db, int64_t applicant)
{
	char sql[256];
	PGresult *r;
	struct ld_err err;
	int64_t id = -1;

	snprintf(sql, sizeof sql, "INSERT INTO applications (applicant_id, "
	    "product, amount_fen, term_months, rate_bps) VALUES (%" PRId64
	    ", 'cash', 100000, 12, 1800) RETURNING id", applicant);
	if (ld_db_exec(db, sql, 0, NULL, &r, &err) == LD_OK) {
		id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
	}
	CU_ASSERT(id > 0);
	return id;
}

/*
 * `loandesk keys rotate` killed halfway (SIGKILL while it waits for a row
 * another session holds) leaves every row whole under one key or the
 * other, readable with both; run again, it goes on, and at the end every
 * field opens under the new key and none under the old, every blind index
 * is the new index key's, and a reveal opens with the new key alone.
 */
static void
test_key_rotation_killed_and_restarted(void)
{
	struct ld_pii_key old_pii, old_bidx, new_pii, new_bidx;
	char paths[4][512], conf[600], prevconf[600], cmd[2048], out[4096];
	char sql[512];
	FILE *f;
	char name[64], id_no[64], phone[64];
	struct ld_migration_set set;
	struct ld_db db, blocker;
	struct ld_err err;
	int64_t first = 0, id, apps[2];
	int i, ok_old, ok_new, index_ok, status, waited, applied;
	pid_t pid;

	su_exec("DROP DATABASE IF EXISTS " ROT_DB);
	su_exec("CREATE DATABASE " ROT_DB);
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&db, "dbname=" ROT_DB,
	    "test_db_integrity", &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_migrations_scan(ld_paths_migrations(), &set,
	    &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_migrations_apply(&db, &set, NULL, &applied,
	    &err), LD_OK);
	ld_migrations_free(&set);
	write_key("old_pii.key", &old_pii, paths[0], sizeof paths[0]);
	write_key("old_bidx.key", &old_bidx, paths[1], sizeof paths[1]);
	write_key("new_pii.key", &new_pii, paths[2], sizeof paths[2]);
	write_key("new_bidx.key", &new_bidx, paths[3], sizeof paths[3]);
	for (i = 0; i < ROT_PEOPLE; i++) {
		person(i, name, id_no, phone, sizeof name);
		id = sealed_applicant(&db, &old_pii, &old_bidx, name, id_no,
		    phone);
		if (i == 0)
			first = id;
		CU_ASSERT_EQUAL_FATAL(id, first + i);
	}
	apps[0] = rot_application(&db, first);
	apps[1] = rot_application(&db, first + 30);
	/* The rotation's configuration names the new keys. */
	snprintf(conf, sizeof conf, "%s/rotate.conf", tmpdir);
	write_conf(conf, paths[2], paths[3]);
	/* The same, naming the old sealing key in place of --previous-key. */
	snprintf(prevconf, sizeof prevconf, "%s/rotate-prev.conf", tmpdir);
	write_conf(prevconf, paths[2], paths[3]);
	f = fopen(prevconf, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "previous_pii_key_files = %s\n", paths[0]);
	CU_ASSERT_EQUAL(fclose(f), 0);

	/* Another session holds the 23rd row: batches of 5 stop there. */
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&blocker, "dbname=" ROT_DB,
	    "test blocker", &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&blocker, &err), LD_OK);
	snprintf(sql, sizeof sql, "SELECT 1 FROM applicants WHERE id = %"
	    PRId64 " FOR UPDATE", first + 22);
	CU_ASSERT_EQUAL_FATAL(ld_db_cmd(&blocker, sql, &err), LD_OK);
	snprintf(cmd, sizeof cmd, "%s/loandesk", ld_test_builddir());
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("PGDATABASE", ROT_DB, 1);
		execl(cmd, "loandesk", "-c", conf, "keys", "rotate",
		    "--previous-key", paths[0], "--batch", "5", (char *)NULL);
		_exit(127);
	}
	/* Until it waits on that row, every batch before it committed. */
	for (waited = 0; waited < 1200; waited++) {
		if (su_count("SELECT count(*) FROM pg_stat_activity WHERE "
		    "application_name = 'loandesk keys rotate' AND "
		    "wait_event_type = 'Lock'") == 1)
			break;
		(void)poll(NULL, 0, 50);
	}
	CU_ASSERT(waited < 1200);
	CU_ASSERT_EQUAL(kill(pid, SIGKILL), 0);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFSIGNALED(status));
	ld_db_rollback(&blocker);
	ld_db_close(&blocker);

	/* Halfway: 20 rows (4 batches) new, 20 old, each whole. */
	ok_new = fields_under(&db, &new_pii, &new_bidx, &index_ok);
	ok_old = fields_under(&db, &old_pii, &old_bidx, &index_ok);
	CU_ASSERT_EQUAL(ok_new, 20 * 3);
	CU_ASSERT_EQUAL(ok_old, 20 * 3);
	/*
	 * Readable under both keys meanwhile: the command, given both, by
	 * --previous-key or by [security] previous_pii_key_files; with the
	 * new key alone, the row still under the old one does not open.
	 */
	for (i = 0; i < 4; i++) {
		/* apps[0] is under the new key by now, apps[1] the old. */
		int old_row = i > 0, given = i < 2;

		snprintf(cmd, sizeof cmd, "PGDATABASE=%s PGUSER=%s "
		    "'%s/loandesk' -c '%s' pii reveal %" PRId64 " phone "
		    "--reason 'rotation check' %s%s%s 2>&1", ROT_DB, ADMIN,
		    ld_test_builddir(), i == 2 ? prevconf : conf,
		    apps[old_row], given ? "--previous-key '" : "",
		    given ? paths[0] : "", given ? "'" : "");
		if (i == 3) {
			CU_ASSERT_NOT_EQUAL(run(cmd, out, sizeof out), 0);
			continue;
		}
		CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 0);
		person(old_row ? 30 : 0, name, id_no, phone, sizeof name);
		snprintf(sql, sizeof sql, "%s\n", phone);
		CU_ASSERT_STRING_EQUAL(out, sql);
	}

	/*
	 * Again, the old key named by the configuration: it goes on from
	 * where it stopped, and finishes.
	 */
	snprintf(cmd, sizeof cmd, "PGDATABASE=%s '%s/loandesk' -c '%s' keys "
	    "rotate --batch 5 2>&1", ROT_DB, ld_test_builddir(), prevconf);
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "rotated: 20 applicants in 4 "
	    "batches"));
	ok_new = fields_under(&db, &new_pii, &new_bidx, &index_ok);
	CU_ASSERT_EQUAL(ok_new, ROT_PEOPLE * 3);
	CU_ASSERT(index_ok);
	ok_old = fields_under(&db, &old_pii, &old_bidx, &index_ok);
	CU_ASSERT_EQUAL(ok_old, 0);
	CU_ASSERT_FALSE(index_ok);
	/* The old key file can go: the new key alone reads every row. */
	snprintf(cmd, sizeof cmd, "PGDATABASE=%s PGUSER=%s '%s/loandesk' -c "
	    "'%s' pii reveal %" PRId64 " name --reason 'after the rotation' "
	    "2>&1", ROT_DB, ADMIN, ld_test_builddir(), conf, apps[1]);
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "张30三\n");
	/* A second run has nothing left to do. */
	snprintf(cmd, sizeof cmd, "PGDATABASE=%s '%s/loandesk' -c '%s' keys "
	    "rotate 2>&1", ROT_DB, ld_test_builddir(), conf);
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "rotated: 0 applicants"));
	ld_pii_key_wipe(&old_pii);
	ld_pii_key_wipe(&old_bidx);
	ld_pii_key_wipe(&new_pii);
	ld_pii_key_wipe(&new_bidx);
	ld_db_close(&db);
	su_exec("DROP DATABASE " ROT_DB);
}

/* --- the five holes ------------------------------------------------------ */

/*
 * 1. A row with an id below 1 is impossible, and were one there (the
 * constraint dropped by a superuser), verify would read it and say so.
 */
static void
test_audit_verify_reads_every_row(void)
{
	struct ld_audit_verify_result res;
	struct ld_err err;

	su_exec("SELECT audit_record('test.before', 'test', '1', '{}')");
	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT_FATAL(res.ok);
	su_exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_chain");
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_db_cmd(&su, "INSERT INTO audit_log (id, at, actor, "
	    "action, object_type, object_id, detail, prev_hash, hash) VALUES "
	    "(-5, now(), 'ti_risk1', 'application.approve', 'application', "
	    "'79', '{\"note\": \"forged\"}', sha256(''), sha256(''))", &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "audit_log_id_positive"));
	su_exec("ALTER TABLE audit_log DROP CONSTRAINT audit_log_id_positive");
	su_exec("INSERT INTO audit_log (id, at, actor, action, object_type, "
	    "object_id, detail, prev_hash, hash) VALUES (-5, now(), "
	    "'ti_risk1', 'application.approve', 'application', '79', "
	    "'{\"note\": \"forged\"}', sha256(''), sha256(''))");
	su_exec("ALTER TABLE audit_log ENABLE TRIGGER audit_log_chain");
	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_EQUAL(res.broken_id, -5);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.why, "row -5 is outside the chain"));
	/* So does the command, anchor or not. */
	{
		char cmd[512], out[2048];

		snprintf(cmd, sizeof cmd, "'%s/loandesk' audit verify 2>&1",
		    ld_test_builddir());
		CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "BROKEN at row -5"));
	}
	su_exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
	su_exec("DELETE FROM audit_log WHERE id = -5");
	su_exec("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
	su_exec("ALTER TABLE audit_log ADD CONSTRAINT audit_log_id_positive "
	    "CHECK (id > 0)");
	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT(res.ok);
}

/* 2. No review goes to a superuser, by assignment or claim. */
static void
test_review_not_for_a_superuser(void)
{
	int64_t app = application("manual_review", "manual_review", 500000,
	    1800, "[]"), review;
	struct ld_db r1;
	struct ld_err err;
	enum core_app_status status;

	CU_ASSERT_EQUAL_FATAL(connect_as(&r1, RISK1), 0);
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_REJECT,
	    "OTHER", "x", &status, &err), LD_OK);
	app = application("auto_approved", "auto_approved", 500000, 1800,
	    "[]");
	CU_ASSERT_EQUAL(core_application_decide(&r1, app, CORE_REVIEW,
	    "DOCS_NEEDED", NULL, &status, &err), LD_OK);
	review = open_review(app);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_review_assign(&r1, review, "postgres", &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "postgres is not an operator "
	    "who works application reviews (a superuser is no operator)"));
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_review_claim(&su, review, &err), LD_EPERM);
	CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM reviews WHERE id = %"
	    PRId64 " AND state = 'open' AND assignee IS NULL", review), 1);
	/* An operator of the group still may. */
	CU_ASSERT_EQUAL(core_review_assign(&r1, review, RISK2, &err), LD_OK);
	ld_db_close(&r1);
}

/*
 * 3. An operator's transaction left idle after an audited call holds the
 * audit head only so long: a writer waiting for it gives up after the
 * lock timeout with a message naming who holds it, the server ends the
 * idle session, and the writer's retry goes through.  The scoring path
 * waits no longer either.
 */
static void
test_idle_transaction_does_not_stall_writers(void)
{
	int64_t a1 = application("auto_approved", "auto_approved", 500000,
	    1800, "[]"), a2 = application("auto_approved", "auto_approved",
	    500000, 1800, "[]"), review;
	struct ld_db idle, r2, d;
	struct ld_err err;
	enum core_app_status status;
	char sql[512], dsql[1024];
	int pid, waited;
	enum ld_status st;

	setting("lock_timeout_ms", "300");
	setting("audit_idle_timeout_ms", "1500");
	CU_ASSERT_EQUAL_FATAL(connect_as(&idle, RISK1), 0);
	CU_ASSERT_EQUAL_FATAL(connect_as(&r2, RISK2), 0);
	CU_ASSERT_EQUAL_FATAL(connect_as(&d, DAEMON), 0);
	/* What the writers would otherwise wait: long enough to tell. */
	CU_ASSERT_EQUAL(ld_db_cmd(&r2, "SET statement_timeout = '60s'", &err),
	    LD_OK);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, "SET statement_timeout = '60s'", &err),
	    LD_OK);
	CU_ASSERT_EQUAL(core_application_decide(&idle, a1, CORE_REVIEW,
	    "DOCS_NEEDED", NULL, &status, &err), LD_OK);
	review = open_review(a1);
	pid = PQbackendPID(idle.conn);
	/* BEGIN; SELECT api.review_claim(N); and then nothing. */
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&idle, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_review_claim(&idle, review, &err), LD_OK);

	ld_err_clear(&err);
	st = core_application_decide(&r2, a2, CORE_APPROVE, "MODEL_AGREE",
	    NULL, &status, &err);
	if (st != LD_ECONFLICT)
		fprintf(stderr, "the second writer: %s\n", err.msg);
	CU_ASSERT_EQUAL(st, LD_ECONFLICT);
	CU_ASSERT_STRING_EQUAL(r2.sqlstate, "55P03");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "gave up waiting for the audit "
	    "log, which another transaction holds: ti_risk1 (pid "));
	/* The superuser (pg_read_all_stats) sees what the session does. */
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM (SELECT "
	    "audit_head_holders() h) x WHERE h LIKE 'ti_risk1 (pid %, idle in "
	    "transaction for % s)'"), 1);

	/* The scoring path: the daemon's own write waits no longer. */
	snprintf(sql, sizeof sql, "UPDATE applications SET status = "
	    "'received' WHERE id = %" PRId64, a2);
	su_exec(sql);
	snprintf(dsql, sizeof dsql, "WITH s AS (INSERT INTO scores "
	    "(application_id, decision) VALUES (%" PRId64 ", 'auto_approved') "
	    "RETURNING id, application_id), u AS (UPDATE applications a SET "
	    "status = 'auto_approved', recommendation = 'auto_approved', "
	    "score_id = s.id FROM s WHERE a.id = s.application_id RETURNING "
	    "a.id, s.id AS score_id) SELECT api.application_scored(u.id, "
	    "u.score_id, '{}', NULL, NULL) FROM u", a2);
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d, &err), LD_OK);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, dsql, &err), LD_ECONFLICT);
	CU_ASSERT_STRING_EQUAL(d.sqlstate, "55P03");
	ld_db_rollback(&d);

	/* The server ends the idle session; its claim is rolled back. */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_stat_activity "
	    "WHERE pid = %d", pid);
	for (waited = 0; waited < 1200 && su_count(sql) != 0; waited++)
		(void)poll(NULL, 0, 50);
	CU_ASSERT_EQUAL(su_count(sql), 0);
	CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM reviews WHERE id = %"
	    PRId64 " AND state = 'open'", review), 1);
	CU_ASSERT_NOT_EQUAL(ld_db_cmd(&idle, "SELECT 1", &err), LD_OK);
	/* The retries go through. */
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, dsql, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_commit(&d, &err), LD_OK);
	CU_ASSERT_EQUAL(core_application_decide(&r2, a2, CORE_APPROVE,
	    "MODEL_AGREE", NULL, &status, &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_APPROVED);
	setting("lock_timeout_ms", "5000");
	setting("audit_idle_timeout_ms", "15000");
	ld_db_close(&idle);
	ld_db_close(&r2);
	ld_db_close(&d);
}

/*
 * 4. No login may use large objects here, and one that holds the
 * migration lock delays `db migrate` a bounded time, and is named.
 */
static void
test_large_objects_and_migration_lock(void)
{
	struct ld_migration_set set;
	struct ld_db r1;
	struct ld_err err;
	static const char wait2[] = "[database]\nmigrate_lock_wait_s = 2\n";
	char cmd[512], out[2048], conf[] = "/tmp/ld-test-migrate.XXXXXX";
	int applied = -1, fd;

	CU_ASSERT_EQUAL_FATAL(connect_as(&r1, RISK1), 0);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_db_cmd(&r1, "SELECT lo_from_bytea(0, "
	    "decode(repeat('ab', 100000), 'hex'))", &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "lo_from_bytea"));
	CU_ASSERT_EQUAL(ld_db_cmd(&r1, "SELECT lo_create(0)", &err), LD_EPERM);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM pg_proc p WHERE "
	    "p.pronamespace = 'pg_catalog'::regnamespace AND (p.proname LIKE "
	    "'lo\\_%' OR p.proname IN ('loread', 'lowrite')) AND "
	    "has_function_privilege('ti_risk1', p.oid, 'EXECUTE')"), 0);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM pg_largeobject_"
	    "metadata"), 0);

	CU_ASSERT_EQUAL_FATAL(ld_db_cmd(&r1, "SELECT pg_advisory_lock("
	    "7243001)", &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_cmd(&su, "SET statement_timeout = '60s'", &err),
	    LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_migrations_scan(ld_paths_migrations(), &set,
	    &err), LD_OK);
	set.lock_wait_ms = 300;
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_migrations_apply(&su, &set, NULL, &applied, &err),
	    LD_ETIMEOUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "the migration lock (advisory "
	    "lock 7243001) is held by ti_risk1 (pid "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "application "
	    "\"test_db_integrity\""));
	snprintf(cmd, sizeof cmd, "'%s/loandesk' db migrate --lock-wait 1 "
	    "2>&1", ld_test_builddir());
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "is held by ti_risk1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "; waited 1.000 s"));
	/*
	 * [database] migrate_lock_wait_s is the wait without --lock-wait,
	 * and --lock-wait still has the last word.
	 */
	fd = mkstemp(conf);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, wait2, strlen(wait2)) ==
	    (ssize_t)strlen(wait2));
	close(fd);
	snprintf(cmd, sizeof cmd, "'%s/loandesk' -c '%s' db migrate 2>&1",
	    ld_test_builddir(), conf);
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "is held by ti_risk1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "; waited 2.000 s"));
	snprintf(cmd, sizeof cmd, "'%s/loandesk' -c '%s' db migrate "
	    "--lock-wait 1 2>&1", ld_test_builddir(), conf);
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "is held by ti_risk1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "; waited 1.000 s"));
	unlink(conf);
	/* Let go, it goes through (and has nothing to do). */
	CU_ASSERT_EQUAL(ld_db_cmd(&r1, "SELECT pg_advisory_unlock(7243001)",
	    &err), LD_OK);
	CU_ASSERT_EQUAL(ld_migrations_apply(&su, &set, NULL, &applied, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(applied, 0);
	CU_ASSERT_EQUAL(ld_db_cmd(&su, "RESET statement_timeout", &err),
	    LD_OK);
	ld_migrations_free(&set);
	ld_db_close(&r1);
}

/*
 * 5. The daemon records its own scoring and nothing else: no audit row
 * of its choosing, no review case of its choosing, no record of an
 * application it did not just score.
 */
static void
test_daemon_records_only_its_own(void)
{
	int64_t mine = application("received", "manual_review", 500000, 1800,
	    "[]"), other = application("auto_approved", "auto_approved",
	    500000, 1800, "[]");
	struct ld_db d;
	struct ld_err err;
	char sql[1024], got[256];
	PGresult *r;

	CU_ASSERT_EQUAL_FATAL(connect_as(&d, DAEMON), 0);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, "SELECT audit_record('application."
	    "approve', 'application', '1', '{}')", &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "permission denied for "
	    "function audit_record"));
	snprintf(sql, sizeof sql, "SELECT review_open_application(%" PRId64
	    ", 'ANYTHING', 'no audit row')", other);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, sql, &err), LD_EPERM);
	snprintf(sql, sizeof sql, "SELECT api.application_scored(%" PRId64
	    ", (SELECT score_id FROM applications WHERE id = %" PRId64 "), "
	    "'{}', 'ANYTHING', NULL)", other, other);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, sql, &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "the daemon records only its "
	    "own decisions"));
	CU_ASSERT_EQUAL(ld_db_cmd(&d, "SELECT api.pre_assessment_recorded(1)",
	    &err), LD_EPERM);
	CU_ASSERT_EQUAL(app_count("SELECT count(*) FROM reviews WHERE "
	    "application_id = %" PRId64, other), 0);

	/* Its own scoring, in its own transaction, is recorded. */
	CU_ASSERT_EQUAL_FATAL(ld_db_begin(&d, &err), LD_OK);
	snprintf(sql, sizeof sql, "WITH s AS (INSERT INTO scores "
	    "(application_id, decision) VALUES (%" PRId64 ", 'manual_review') "
	    "RETURNING id, application_id), u AS (UPDATE applications a SET "
	    "status = 'manual_review', recommendation = 'manual_review', "
	    "score_id = s.id FROM s WHERE a.id = s.application_id RETURNING "
	    "a.id, s.id AS score_id) SELECT api.application_scored(u.id, "
	    "u.score_id, '{\"basis\": \"RULE_REVIEW\"}', 'RULE_REVIEW R003', "
	    "'shared device') FROM u", mine);
	if (ld_db_exec(&d, sql, 0, NULL, &r, &err) == LD_OK)
		PQclear(r);
	else
		CU_FAIL("the daemon's own scoring was refused");
	CU_ASSERT_EQUAL(ld_db_commit(&d, &err), LD_OK);
	snprintf(sql, sizeof sql, "SELECT r.reason || ' ' || r.opened_by || "
	    "' ' || l.actor || ' ' || (l.detail->>'basis') || ' ' || "
	    "((l.detail->>'score_id')::bigint = a.score_id)::text FROM "
	    "applications a JOIN reviews r ON r.application_id = a.id JOIN "
	    "audit_log l ON l.object_type = 'application' AND l.object_id = "
	    "a.id::text AND l.action = 'application.scored' WHERE a.id = %"
	    PRId64, mine);
	su_text(sql, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "RULE_REVIEW R003 ti_daemon ti_daemon "
	    "RULE_REVIEW true");
	/* Not twice: the row is no longer this transaction's. */
	snprintf(sql, sizeof sql, "SELECT api.application_scored(%" PRId64
	    ", (SELECT score_id FROM applications WHERE id = %" PRId64 "), "
	    "'{}', NULL, NULL)", mine, mine);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, sql, &err), LD_EPERM);
	ld_db_close(&d);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_never_rule_cannot_be_overridden),
		LD_TEST(test_dual_rule_needs_two_officers),
		LD_TEST(test_override_above_amount_needs_second_officer),
		LD_TEST(test_second_opinion_is_anothers),
		LD_TEST(test_apr_above_cap_refused),
		LD_TEST(test_preview_matches_decide),
		LD_TEST(test_pii_reveal_audited_and_limited),
		LD_TEST(test_key_rotation_killed_and_restarted),
		LD_TEST(test_audit_verify_reads_every_row),
		LD_TEST(test_review_not_for_a_superuser),
		LD_TEST(test_idle_transaction_does_not_stall_writers),
		LD_TEST(test_large_objects_and_migration_lock),
		LD_TEST(test_daemon_records_only_its_own),
		LD_TEST_END };

	LD_TEST_INIT();
	ld_test_suite("decision integrity", suite_init, suite_clean, cases);
	return ld_test_run();
}
