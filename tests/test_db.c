/*
 * Integration: migrations, roles, the decision function and the audit chain
 * against a real throwaway PostgreSQL cluster.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core.h"
#include "ld_audit.h"
#include "ld_db.h"
#include "ld_migrate.h"
#include "ld_paths.h"
#include "ld_test.h"
#include "ld_testdb.h"

static struct ld_testdb tdb;
static struct ld_db su; /* the cluster's superuser */

static int
suite_init(void)
{
	struct ld_err err;
	struct ld_migration_set set;
	int applied;

	if (ld_testdb_start(&tdb) != 0)
		return -1;
	if (ld_db_connect(&su, "", "test_db", &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	if (ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK ||
	    ld_migrations_apply(&su, &set, NULL, &applied, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	ld_migrations_free(&set);
	return 0;
}

static int
suite_clean(void)
{
	ld_db_close(&su);
	ld_testdb_stop(&tdb);
	return 0;
}

/* Runs SQL as the superuser; the test fails on error. */
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
	long n;

	if (ld_db_exec(&su, sql, 0, NULL, &r, &err) != LD_OK) {
		fprintf(stderr, "su_count: %s\n", err.msg);
		return -1;
	}
	n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

static void
test_migrate_again_does_nothing(void)
{
	struct ld_migration_set set;
	struct ld_err err;
	int applied = -1;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(ld_migrations_scan(ld_paths_migrations(), &set,
	    &err), LD_OK);
	CU_ASSERT(set.count >= 4);
	CU_ASSERT_EQUAL(ld_migrations_apply(&su, &set, NULL, &applied, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(applied, 0);
	for (i = 0; i < set.count; i++)
		CU_ASSERT(set.items[i].applied);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM schema_migrations"),
	    (long)set.count);
	ld_migrations_free(&set);
}

struct migrator {
	pthread_barrier_t *start;
	enum ld_status st;
	int applied;
	char msg[LD_ERR_MSG_MAX];
};

/* One `db migrate` of migrate_race, started together with another. */
static void *
run_migrator(void *arg)
{
	struct migrator *mg = arg;
	struct ld_migration_set set = { NULL, 0 };
	struct ld_db db;
	struct ld_err err;

	ld_err_clear(&err);
	mg->applied = -1;
	mg->st = ld_db_connect(&db, "dbname=migrate_race", "test_db_race",
	    &err);
	if (mg->st == LD_OK)
		mg->st = ld_migrations_scan(ld_paths_migrations(), &set, &err);
	pthread_barrier_wait(mg->start);
	if (mg->st == LD_OK)
		mg->st = ld_migrations_apply(&db, &set, NULL, &mg->applied,
		    &err);
	ld_migrations_free(&set);
	ld_db_close(&db);
	snprintf(mg->msg, sizeof mg->msg, "%s", err.msg);
	return NULL;
}

static void
test_concurrent_migrators_serialise(void)
{
	pthread_barrier_t start;
	pthread_t th[2];
	struct migrator mg[2];
	struct ld_migration_set set;
	struct ld_db chk;
	struct ld_err err;
	PGresult *r;
	int i;

	CU_ASSERT_EQUAL_FATAL(ld_migrations_scan(ld_paths_migrations(), &set,
	    &err), LD_OK);
	su_exec("DROP DATABASE IF EXISTS migrate_race");
	su_exec("CREATE DATABASE migrate_race");
	CU_ASSERT_EQUAL_FATAL(pthread_barrier_init(&start, NULL, 2), 0);
	for (i = 0; i < 2; i++) {
		memset(&mg[i], 0, sizeof mg[i]);
		mg[i].start = &start;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL,
		    run_migrator, &mg[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);

	/* Both succeed: one applies everything, the other finds it done. */
	for (i = 0; i < 2; i++) {
		if (mg[i].st != LD_OK)
			fprintf(stderr, "migrator %d: %s\n", i, mg[i].msg);
		CU_ASSERT_EQUAL(mg[i].st, LD_OK);
	}
	CU_ASSERT_EQUAL(mg[0].applied + mg[1].applied, (int)set.count);
	CU_ASSERT(mg[0].applied == 0 || mg[1].applied == 0);

	/* Each migration is recorded once, with the file's checksum. */
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&chk, "dbname=migrate_race",
	    "test_db", &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_db_exec(&chk, "SELECT name, sha256 FROM "
	    "schema_migrations ORDER BY name", 0, NULL, &r, &err), LD_OK);
	CU_ASSERT_EQUAL(PQntuples(r), (int)set.count);
	for (i = 0; i < PQntuples(r) && (size_t)i < set.count; i++) {
		CU_ASSERT_STRING_EQUAL(PQgetvalue(r, i, 0), set.items[i].name);
		CU_ASSERT_STRING_EQUAL(PQgetvalue(r, i, 1),
		    set.items[i].sha256);
	}
	PQclear(r);
	ld_db_close(&chk);
	ld_migrations_free(&set);
	su_exec("DROP DATABASE migrate_race");
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

static void
test_edited_migration_refused_by_name(void)
{
	char dir[] = "/tmp/ld-mig.XXXXXX", cmd[2048], out[4096];
	struct ld_migration_set set;
	struct ld_err err;
	int applied;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "cp '%s'/*.sql '%s' && "
	    "echo '-- an edit' >> '%s/0002_audit.sql'", ld_paths_migrations(),
	    dir, dir);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	CU_ASSERT_EQUAL_FATAL(ld_migrations_scan(dir, &set, &err), LD_OK);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_migrations_apply(&su, &set, NULL, &applied, &err),
	    LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "migration 0002_audit was "
	    "changed after it was applied"));
	ld_migrations_free(&set);

	/* The command says the same and fails. */
	snprintf(cmd, sizeof cmd, "LOANDESK_MIGRATIONS_DIR='%s' '%s/loandesk' "
	    "db migrate 2>&1", dir, ld_test_builddir());
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "0002_audit"));

	/* A new migration file is applied; a second run has nothing to do. */
	snprintf(cmd, sizeof cmd, "cp '%s'/*.sql '%s' && printf "
	    "'CREATE TABLE test_extra (x int);\\n' > '%s/0999_test_extra.sql' "
	    "&& LOANDESK_MIGRATIONS_DIR='%s' '%s/loandesk' db migrate 2>&1",
	    ld_paths_migrations(), dir, dir, dir, ld_test_builddir());
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "applied 0999_test_extra"));
	snprintf(cmd, sizeof cmd, "LOANDESK_MIGRATIONS_DIR='%s' '%s/loandesk' "
	    "db migrate 2>&1", dir, ld_test_builddir());
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "nothing to do"));
	snprintf(cmd, sizeof cmd, "LOANDESK_MIGRATIONS_DIR='%s' '%s/loandesk' "
	    "db status 2>&1", ld_paths_migrations(), ld_test_builddir());
	/* Its file is not in the real directory: status refuses by name. */
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "0999_test_extra is recorded as "
	    "applied but its file is missing"));
	su_exec("DROP TABLE test_extra");
	su_exec("DELETE FROM schema_migrations WHERE name = '0999_test_extra'");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static void
test_failed_migration_leaves_nothing(void)
{
	char dir[] = "/tmp/ld-mig.XXXXXX", cmd[2048];
	struct ld_migration_set set;
	struct ld_err err;
	int applied;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "cp '%s'/*.sql '%s' && printf 'CREATE TABLE "
	    "half_done (x int);\\nSELECT no_such_function();\\n' > "
	    "'%s/0998_broken.sql'", ld_paths_migrations(), dir, dir);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	CU_ASSERT_EQUAL_FATAL(ld_migrations_scan(dir, &set, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_migrations_apply(&su, &set, NULL, &applied, &err),
	    LD_EDB);
	/* The error names the file and the line of the failing statement. */
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "0998_broken.sql:2:"));
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM pg_tables WHERE "
	    "tablename = 'half_done'"), 0);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM schema_migrations "
	    "WHERE name = '0998_broken'"), 0);
	ld_migrations_free(&set);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static void
test_unix_socket_only(void)
{
	PGresult *r;
	struct ld_err err;

	CU_ASSERT_EQUAL_FATAL(ld_db_exec(&su, "SHOW listen_addresses", 0, NULL,
	    &r, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "");
	PQclear(r);
}

static void
seed_one_application(const char *status, const char *rec)
{
	char sql[1024];

	su_exec("INSERT INTO applicants (name_enc, name_bidx, name_masked, "
	    "id_no_enc, id_no_bidx, id_no_masked, phone_enc, phone_bidx, "
	    "phone_masked, openid) VALUES ('\\x01', sha256(random()::text::bytea), "
	    "'张*三', '\\x01', sha256(random()::text::bytea), "
	    "'110***********1234', '\\x01', sha256(random()::text::bytea), "
	    "'138****5678', 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M')");
	snprintf(sql, sizeof sql, "INSERT INTO applications (applicant_id, "
	    "product, amount_fen, term_months, rate_bps, status, recommendation) "
	    "SELECT max(id), 'cash', 500000, 12, 1800, '%s', '%s' FROM "
	    "applicants", status, rec);
	su_exec(sql);
}

static long
last_application(void)
{
	return su_count("SELECT max(id) FROM applications");
}

static void
test_risk_role_decides_through_api_only(void)
{
	struct ld_db op;
	struct ld_err err;
	char status[32];
	long app, audit_before;

	su_exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE "
	    "rolname = 'test_risk') THEN CREATE ROLE test_risk LOGIN IN ROLE "
	    "loandesk_risk; END IF; END $$");
	seed_one_application("auto_approved", "auto_approved");
	app = last_application();
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=test_risk", "test",
	    &err), LD_OK);

	/* Direct writes are refused... */
	CU_ASSERT_EQUAL(ld_db_cmd(&op, "UPDATE applications SET status = "
	    "'approved'", &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "permission denied"));
	CU_ASSERT_EQUAL(ld_db_cmd(&op, "DELETE FROM audit_log", &err),
	    LD_EPERM);
	/* ...and so is reading sealed personal data. */
	CU_ASSERT_EQUAL(ld_db_cmd(&op, "SELECT name_enc FROM applicants",
	    &err), LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&op, "SELECT name_masked FROM applicants",
	    &err), LD_OK);

	/* The decision function works and writes exactly one audit row. */
	audit_before = su_count("SELECT count(*) FROM audit_log");
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_APPROVE,
	    "MODEL_AGREE", NULL, status, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(status, "approved");
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log"),
	    audit_before + 1);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log WHERE "
	    "actor = 'test_risk' AND action = 'application.approve' AND "
	    "id = (SELECT max(id) FROM audit_log)"), 1);
	/* Approval asks for a payout that its requester cannot release. */
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM payouts WHERE "
	    "state = 'requested' AND requested_by = 'test_risk' AND "
	    "amount_fen = 500000"), 1);

	/* A decided application cannot be decided again. */
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_REJECT,
	    "FRAUD_SUSPECTED", "x", status, &err), LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "already approved"));
	ld_db_close(&op);
}

static void
test_override_needs_note_and_valid_reason(void)
{
	struct ld_db op;
	struct ld_err err;
	char status[32];
	long app;

	seed_one_application("auto_rejected", "auto_rejected");
	app = last_application();
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=test_risk", "test",
	    &err), LD_OK);
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_APPROVE,
	    "VERIFIED_INCOME", "  ", status, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "a note is required"));
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_APPROVE,
	    "BLACKLISTED", "ok", status, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not valid for approve"));
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_REVIEW,
	    "SECOND_OPINION", NULL, status, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(status, "manual_review");
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM reviews WHERE state = "
	    "'open' AND application_id = (SELECT max(id) FROM applications)"),
	    1);
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_APPROVE,
	    "VERIFIED_INCOME", "called the employer", status, &err), LD_OK);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM reviews WHERE state = "
	    "'closed' AND resolution = 'approved' AND application_id = "
	    "(SELECT max(id) FROM applications)"), 1);
	ld_db_close(&op);
}

static void
test_finance_cannot_decide(void)
{
	struct ld_db op;
	struct ld_err err;
	char status[32];

	su_exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE "
	    "rolname = 'test_fin') THEN CREATE ROLE test_fin LOGIN IN ROLE "
	    "loandesk_finance; END IF; END $$");
	seed_one_application("manual_review", "manual_review");
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=test_fin", "test",
	    &err), LD_OK);
	CU_ASSERT_EQUAL(core_application_decide(&op, last_application(),
	    CORE_APPROVE, "MODEL_AGREE", NULL, status, &err), LD_EPERM);
	ld_db_close(&op);
}

static void
test_admin_cannot_write_audit_rows(void)
{
	struct ld_db op;
	struct ld_err err;
	char status[32];
	long before;

	su_exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE "
	    "rolname = 'test_admin') THEN CREATE ROLE test_admin LOGIN IN "
	    "ROLE loandesk_admin; END IF; END $$");
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=test_admin", "test",
	    &err), LD_OK);
	before = su_count("SELECT count(*) FROM audit_log");

	/* No made-up history... */
	CU_ASSERT_EQUAL(ld_db_cmd(&op, "SELECT audit_record('application."
	    "approve', 'application', '1', '{}')", &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "permission denied for "
	    "function audit_record"));
	CU_ASSERT_EQUAL(ld_db_cmd(&op, "INSERT INTO audit_log (id, at, actor, "
	    "action, object_type, object_id, detail, prev_hash, hash) VALUES "
	    "(0, now(), 'x', 'x', 'x', 'x', '{}', '\\x00', '\\x00')", &err),
	    LD_EPERM);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log"), before);

	/* ...but what an admin does through the api is still recorded. */
	seed_one_application("manual_review", "manual_review");
	CU_ASSERT_EQUAL(core_application_decide(&op, last_application(),
	    CORE_REJECT, "FRAUD_SUSPECTED", "same device as a known fraud",
	    status, &err), LD_OK);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log WHERE "
	    "actor = 'test_admin' AND action = 'application.reject'"), 1);
	ld_db_close(&op);

	/* The daemon still records its own writes. */
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM pg_roles WHERE "
	    "rolname = 'loandesk_daemon' AND has_function_privilege(oid, "
	    "'audit_record(text, text, text, jsonb)', 'EXECUTE')"), 1);
}

static void
test_money_checks(void)
{
	struct ld_err err;

	CU_ASSERT_EQUAL(ld_db_cmd(&su, "INSERT INTO applications (applicant_id, "
	    "product, amount_fen, term_months, rate_bps) SELECT max(id), 'cash', "
	    "0, 12, 1800 FROM applicants", &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "amount_fen"));
}

static void
test_audit_append_only_and_verified(void)
{
	struct ld_audit_verify_result res;
	struct ld_err err;
	long mid;

	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT(res.ok);
	CU_ASSERT(res.rows >= 3);

	/* Even the superuser cannot change or remove rows while the
	 * triggers stand. */
	CU_ASSERT_EQUAL(ld_db_cmd(&su, "UPDATE audit_log SET actor = 'x'",
	    &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "append-only"));
	CU_ASSERT_EQUAL(ld_db_cmd(&su, "DELETE FROM audit_log", &err),
	    LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&su, "TRUNCATE audit_log", &err), LD_EPERM);

	/* A superuser who disables the trigger is caught by verify. */
	mid = su_count("SELECT min(id) + 1 FROM audit_log");
	su_exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
	su_exec("UPDATE audit_log SET detail = detail || '{\"note\": \"edited\"}' "
	    "WHERE id = (SELECT min(id) + 1 FROM audit_log)");
	CU_ASSERT_EQUAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_EQUAL(res.broken_id, mid);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.why, "altered"));

	/* So is one who recomputes that row's hash: the next row breaks. */
	su_exec("UPDATE audit_log SET hash = sha256(prev_hash || convert_to("
	    "audit_canonical(id, at, actor, action, object_type, object_id, "
	    "detail), 'UTF8')) WHERE id = (SELECT min(id) + 1 FROM audit_log)");
	CU_ASSERT_EQUAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_EQUAL(res.broken_id, mid + 1);

	/* And one who removes the newest row. */
	su_exec("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM "
	    "audit_log)");
	su_exec("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
	CU_ASSERT_EQUAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT_FALSE(res.ok);
}

static void
test_audit_verify_command(void)
{
	char cmd[1024], out[4096];

	/* The chain was broken by the previous test; the command says where. */
	snprintf(cmd, sizeof cmd, "'%s/loandesk' audit verify 2>&1",
	    ld_test_builddir());
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "audit chain BROKEN at row "));
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_migrate_again_does_nothing),
		LD_TEST(test_concurrent_migrators_serialise),
		LD_TEST(test_edited_migration_refused_by_name),
		LD_TEST(test_failed_migration_leaves_nothing),
		LD_TEST(test_unix_socket_only),
		LD_TEST(test_risk_role_decides_through_api_only),
		LD_TEST(test_override_needs_note_and_valid_reason),
		LD_TEST(test_finance_cannot_decide),
		LD_TEST(test_admin_cannot_write_audit_rows),
		LD_TEST(test_money_checks),
		LD_TEST(test_audit_append_only_and_verified),
		LD_TEST(test_audit_verify_command),
		LD_TEST_END };

	LD_TEST_INIT();
	ld_test_suite("database", suite_init, suite_clean, cases);
	return ld_test_run();
}
