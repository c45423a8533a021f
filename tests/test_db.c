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
#include "core_reviews.h"
#include "ld_audit.h"
#include "ld_db.h"
#include "ld_migrate.h"
#include "ld_paths.h"
#include "ld_pii.h"
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

/* The one text value of a superuser query, or "" (and a failure). */
static void
su_text(const char *sql, char *out, size_t len)
{
	PGresult *r;
	struct ld_err err;

	out[0] = '\0';
	ld_err_clear(&err);
	if (ld_db_exec(&su, sql, 0, NULL, &r, &err) != LD_OK) {
		fprintf(stderr, "su_text: %s: %s\n", sql, err.msg);
		CU_FAIL("superuser query failed");
		return;
	}
	if (PQntuples(r) == 1)
		snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* A login role in group (NULL: in none), created once. */
static void
ensure_login(const char *name, const char *group)
{
	char sql[512];

	snprintf(sql, sizeof sql, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM "
	    "pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN%s%s; "
	    "END IF; END $$", name, name, group ? " IN ROLE " : "",
	    group ? group : "");
	su_exec(sql);
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
	struct ld_migration_set set = { NULL, 0, 0 };
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

/*
 * Production migrates as the database's owner, not a superuser: a login
 * role with CREATEROLE (0003 creates the group roles).  Every migration
 * applies as that role too, and the definer functions still end up owned
 * by loandesk_api.
 */
static void
test_migrate_as_database_owner(void)
{
	struct ld_migration_set set;
	struct ld_db owner;
	struct ld_err err;
	enum ld_status st;
	PGresult *r;
	int applied = -1;

	su_exec("CREATE ROLE ld_db_owner LOGIN CREATEROLE");
	su_exec("CREATE DATABASE ld_owned OWNER ld_db_owner");
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&owner, "dbname=ld_owned "
	    "user=ld_db_owner", "test_db owner", &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_migrations_scan(ld_paths_migrations(), &set,
	    &err), LD_OK);
	st = ld_migrations_apply(&owner, &set, NULL, &applied, &err);
	if (st != LD_OK)
		fprintf(stderr, "migrate as the database owner: %s\n",
		    err.msg);
	CU_ASSERT_EQUAL(st, LD_OK);
	CU_ASSERT_EQUAL(applied, (int)set.count);
	ld_migrations_free(&set);
	CU_ASSERT_EQUAL_FATAL(ld_db_exec(&owner, "SELECT count(*) FROM "
	    "pg_proc WHERE prosecdef AND proowner <> CASE WHEN oid = "
	    "'api.pii_reveal(bigint,text,text)'::regprocedure THEN "
	    "'loandesk_pii'::regrole WHEN oid = "
	    "'api.settings_set(jsonb,text)'::regprocedure THEN "
	    "'loandesk_settings'::regrole ELSE 'loandesk_api'::regrole END "
	    "AND pronamespace IN ('public'::regnamespace, "
	    "'api'::regnamespace)", 0, NULL, &r, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "0");
	PQclear(r);
	/* And it did not keep CREATE on the schemas. */
	CU_ASSERT_EQUAL_FATAL(ld_db_exec(&owner, "SELECT has_schema_privilege("
	    "'loandesk_api', 'public', 'CREATE')::text || has_schema_privilege("
	    "'loandesk_api', 'api', 'CREATE')::text", 0, NULL, &r, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "falsefalse");
	PQclear(r);
	ld_db_close(&owner);
	su_exec("DROP DATABASE ld_owned");
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
	enum core_app_status status;
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
	    "MODEL_AGREE", NULL, &status, &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_APPROVED);
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
	    "FRAUD_SUSPECTED", "x", &status, &err), LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "already approved"));
	ld_db_close(&op);
}

static void
test_override_needs_note_and_valid_reason(void)
{
	struct ld_db op, op2;
	struct ld_err err;
	enum core_app_status status;
	long app;

	seed_one_application("auto_rejected", "auto_rejected");
	app = last_application();
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=test_risk", "test",
	    &err), LD_OK);
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_APPROVE,
	    "VERIFIED_INCOME", "  ", &status, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "a note is required"));
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_APPROVE,
	    "BLACKLISTED", "ok", &status, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not valid for approve"));
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_REVIEW,
	    "SECOND_OPINION", NULL, &status, &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_MANUAL_REVIEW);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM reviews WHERE state = "
	    "'open' AND application_id = (SELECT max(id) FROM applications)"),
	    1);
	/* The second opinion is another officer's (0014). */
	ensure_login("test_risk2", "loandesk_risk");
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op2, "user=test_risk2", "test",
	    &err), LD_OK);
	CU_ASSERT_EQUAL(core_application_decide(&op2, app, CORE_APPROVE,
	    "VERIFIED_INCOME", "called the employer", &status, &err), LD_OK);
	ld_db_close(&op2);
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
	enum core_app_status status;

	su_exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE "
	    "rolname = 'test_fin') THEN CREATE ROLE test_fin LOGIN IN ROLE "
	    "loandesk_finance; END IF; END $$");
	seed_one_application("manual_review", "manual_review");
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=test_fin", "test",
	    &err), LD_OK);
	CU_ASSERT_EQUAL(core_application_decide(&op, last_application(),
	    CORE_APPROVE, "MODEL_AGREE", NULL, &status, &err), LD_EPERM);
	ld_db_close(&op);
}

static void
test_admin_cannot_write_audit_rows(void)
{
	struct ld_db op;
	struct ld_err err;
	enum core_app_status status;
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
	    &status, &err), LD_OK);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log WHERE "
	    "actor = 'test_admin' AND action = 'application.reject'"), 1);
	ld_db_close(&op);

	/* The daemon records its own scoring, through a narrower door
	 * than audit_record (0017). */
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM pg_roles WHERE "
	    "rolname = 'loandesk_daemon' AND has_function_privilege(oid, "
	    "'api.application_scored(bigint, bigint, jsonb, text, text)', "
	    "'EXECUTE') AND NOT has_function_privilege(oid, "
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

/* Only a login who works this kind of review can be assigned one. */
static void
test_review_assign_checks_the_assignee(void)
{
	struct ld_db op;
	struct ld_err err;
	enum core_app_status status;
	char sql[256];
	long app;

	ensure_login("test_risk", "loandesk_risk");
	ensure_login("test_fin", "loandesk_finance");
	seed_one_application("auto_approved", "auto_approved");
	app = last_application();
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=test_risk", "test",
	    &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_application_decide(&op, app, CORE_REVIEW,
	    "SECOND_OPINION", NULL, &status, &err), LD_OK);
	snprintf(sql, sizeof sql, "SELECT id FROM reviews WHERE "
	    "application_id = %ld AND state = 'open'", app);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_review_assign(&op, su_count(sql), "no_such_login",
	    &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no_such_login is not an "
	    "operator who works application reviews"));
	CU_ASSERT_EQUAL(core_review_assign(&op, su_count(sql), "test_fin",
	    &err), LD_EINVAL);
	CU_ASSERT_EQUAL(core_review_assign(&op, su_count(sql), "test_risk",
	    &err), LD_OK);
	ld_db_close(&op);
}

/* The review's state and assignee as "claimed test_risk2", "open -". */
static void
review_holder(long review, char *out, size_t len)
{
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT state || ' ' || coalesce(assignee, "
	    "'-') || ' ' || coalesce((SELECT assignee FROM applications a "
	    "WHERE a.id = r.application_id), '-') FROM reviews r WHERE id = "
	    "%ld", review);
	su_text(sql, out, len);
}

/* The review's audit rows, oldest first: "actor action from>to; ...". */
static void
review_audit(long review, char *out, size_t len)
{
	char sql[512];

	snprintf(sql, sizeof sql, "SELECT coalesce(string_agg(actor || ' ' || "
	    "action || ' ' || coalesce(detail->>'from', '-') || '>' || "
	    "coalesce(detail->>'to', '-'), '; ' ORDER BY id), '') FROM "
	    "audit_log WHERE object_type = 'review' AND object_id = '%ld'",
	    review);
	su_text(sql, out, len);
}

/*
 * A case whose review another officer holds is theirs to decide (0011):
 * another officer is refused and nothing changes; the holder decides.
 */
static void
test_claimed_case_is_decided_by_its_holder(void)
{
	struct ld_db risk, risk2;
	struct ld_err err;
	enum core_app_status status;
	char sql[256], got[64];
	long app, review;

	ensure_login("test_risk", "loandesk_risk");
	ensure_login("test_risk2", "loandesk_risk");
	seed_one_application("auto_approved", "auto_approved");
	app = last_application();
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&risk, "user=test_risk", "test",
	    &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&risk2, "user=test_risk2", "test",
	    &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_application_decide(&risk, app, CORE_REVIEW,
	    "SECOND_OPINION", NULL, &status, &err), LD_OK);
	snprintf(sql, sizeof sql, "SELECT id FROM reviews WHERE "
	    "application_id = %ld AND state = 'open'", app);
	review = su_count(sql);
	CU_ASSERT_FATAL(review > 0);
	CU_ASSERT_EQUAL(core_review_claim(&risk2, review, &err), LD_OK);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_application_decide(&risk, app, CORE_APPROVE,
	    "MODEL_AGREE", NULL, &status, &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "claimed by test_risk2"));
	review_holder(review, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "claimed test_risk2 test_risk2");
	CU_ASSERT_EQUAL(core_application_decide(&risk2, app, CORE_APPROVE,
	    "MODEL_AGREE", NULL, &status, &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_APPROVED);
	ld_db_close(&risk);
	ld_db_close(&risk2);
}

/*
 * One rule for who may change a review (0010): a claimed review belongs
 * to its assignee, and only they or an admin may release or reassign it;
 * anyone in the group may claim an open one or assign it.  Each refusal
 * leaves the review and the audit log as they were; each change writes
 * one audit row naming who did it, from whom and to whom.
 */
static void
test_review_changes_belong_to_the_assignee(void)
{
	struct ld_db risk, risk2, admin;
	struct ld_err err;
	enum core_app_status status;
	char sql[256], got[1024], want[64];
	long app, review;

	ensure_login("test_risk", "loandesk_risk");
	ensure_login("test_risk2", "loandesk_risk");
	ensure_login("test_admin", "loandesk_admin");
	seed_one_application("auto_approved", "auto_approved");
	app = last_application();
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&risk, "user=test_risk", "test",
	    &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&risk2, "user=test_risk2", "test",
	    &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&admin, "user=test_admin", "test",
	    &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_application_decide(&risk, app, CORE_REVIEW,
	    "SECOND_OPINION", NULL, &status, &err), LD_OK);
	snprintf(sql, sizeof sql, "SELECT id FROM reviews WHERE "
	    "application_id = %ld AND state = 'open'", app);
	review = su_count(sql);
	CU_ASSERT_FATAL(review > 0);

	/* Anyone in the group may claim an open review. */
	CU_ASSERT_EQUAL(core_review_claim(&risk2, review, &err), LD_OK);
	review_holder(review, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "claimed test_risk2 test_risk2");

	/* Another officer may neither release it nor take it by assigning. */
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_review_release(&risk, review, &err), LD_EPERM);
	CU_ASSERT_STRING_EQUAL(risk.sqlstate, "42501");
	snprintf(want, sizeof want, "review %ld is claimed by test_risk2: ",
	    review);
	CU_ASSERT_EQUAL(strncmp(err.msg, want, strlen(want)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "only test_risk2 or an admin "
	    "may release it"));
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_review_assign(&risk, review, "test_risk", &err),
	    LD_EPERM);
	CU_ASSERT_STRING_EQUAL(risk.sqlstate, "42501");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "only test_risk2 or an admin "
	    "may reassign it"));
	CU_ASSERT_EQUAL(core_review_assign(&risk, review, "test_risk2", &err),
	    LD_EPERM);
	CU_ASSERT_EQUAL(core_review_claim(&risk, review, &err), LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "already claimed by "
	    "test_risk2"));
	review_holder(review, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "claimed test_risk2 test_risk2");

	/* The holder is told it is theirs, once, not "review N: review N". */
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(core_review_claim(&risk2, review, &err),
	    LD_ECONFLICT);
	snprintf(want, sizeof want, "review %ld is already yours [55000]",
	    review);
	CU_ASSERT_STRING_EQUAL(err.msg, want);
	CU_ASSERT_EQUAL(core_review_assign(&risk2, review, "test_risk2",
	    &err), LD_ECONFLICT);
	CU_ASSERT_STRING_EQUAL(err.msg, want);
	/* A message that does not name the review still gets its number. */
	CU_ASSERT_EQUAL(core_review_assign(&risk2, review, "test_nobody_at_all",
	    &err), LD_EINVAL);
	snprintf(want, sizeof want, "review %ld: test_nobody_at_all is not ",
	    review);
	CU_ASSERT_EQUAL(strncmp(err.msg, want, strlen(want)), 0);

	/* The holder may hand it on; an admin may take it from anyone. */
	CU_ASSERT_EQUAL(core_review_assign(&risk2, review, "test_risk", &err),
	    LD_OK);
	review_holder(review, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "claimed test_risk test_risk");
	CU_ASSERT_EQUAL(core_review_assign(&admin, review, "test_risk2",
	    &err), LD_OK);
	CU_ASSERT_EQUAL(core_review_release(&risk, review, &err), LD_EPERM);
	CU_ASSERT_EQUAL(core_review_release(&admin, review, &err), LD_OK);
	review_holder(review, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "open - -");

	/* An open review may be assigned by anyone in the group... */
	CU_ASSERT_EQUAL(core_review_assign(&risk, review, "test_risk2", &err),
	    LD_OK);
	/* ...and is then the assignee's to release. */
	CU_ASSERT_EQUAL(core_review_release(&risk, review, &err), LD_EPERM);
	CU_ASSERT_EQUAL(core_review_release(&risk2, review, &err), LD_OK);
	CU_ASSERT_EQUAL(core_review_release(&risk2, review, &err),
	    LD_ECONFLICT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "is not claimed"));

	/* Exactly the changes, by whom, from whom, to whom. */
	review_audit(review, got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got,
	    "test_risk2 review.claim ->test_risk2; "
	    "test_risk2 review.assign test_risk2>test_risk; "
	    "test_admin review.assign test_risk>test_risk2; "
	    "test_admin review.release test_risk2>-; "
	    "test_risk review.assign ->test_risk2; "
	    "test_risk2 review.release test_risk2>-");
	ld_db_close(&risk);
	ld_db_close(&risk2);
	ld_db_close(&admin);
}

/*
 * What each role may do to each table, column by column where a grant is
 * by column, written down from the design (README, "Database"; 0003,
 * 0008):
 * operators read what their screens show, personal data only masked, and
 * write nothing; the daemon reads and writes what scoring needs; a login
 * in no group (PUBLIC) has nothing.  A new table or grant fails this test
 * until it is added here, on purpose.  One string per role: C11 promises
 * string literals of 4095 bytes only.
 */
static const char *const expected_table_privileges[] = {
    "loandesk_admin alt_data SELECT\n"
    "loandesk_admin applicant_alt_data SELECT\n"
    "loandesk_admin applicants SELECT (id,name_masked,id_no_masked,"
    "phone_bidx,phone_masked,openid,created_at)\n"
    "loandesk_admin applications SELECT\n"
    "loandesk_admin audit_head SELECT\n"
    "loandesk_admin audit_log SELECT\n"
    "loandesk_admin decision_reasons SELECT\n"
    "loandesk_admin decision_requests SELECT\n"
    "loandesk_admin models SELECT (id,name,version,kind,sha256,"
    "feature_names,role,registered_at,registered_by,activated_at,"
    "activated_by)\n"
    "loandesk_admin payout_actions SELECT\n"
    "loandesk_admin payout_alerts SELECT\n"
    "loandesk_admin payout_approvals SELECT\n"
    "loandesk_admin payout_attempts SELECT\n"
    "loandesk_admin payout_balance_readings SELECT\n"
    "loandesk_admin payout_bill_states SELECT\n"
    "loandesk_admin payout_bill_transitions SELECT\n"
    "loandesk_admin payout_clock SELECT\n"
    "loandesk_admin payout_control SELECT\n"
    "loandesk_admin payout_daemons SELECT\n"
    "loandesk_admin payout_holds SELECT\n"
    "loandesk_admin payout_overview SELECT\n"
    "loandesk_admin payout_states SELECT\n"
    "loandesk_admin payout_transitions SELECT\n"
    "loandesk_admin payouts SELECT\n"
    "loandesk_admin pre_assessments SELECT\n"
    "loandesk_admin reconciliation_lines SELECT\n"
    "loandesk_admin reconciliation_runs SELECT\n"
    "loandesk_admin reviews SELECT\n"
    "loandesk_admin schema_migrations SELECT\n"
    "loandesk_admin scores SELECT\n"
    "loandesk_admin settings SELECT\n"
    "loandesk_admin transfer_bills SELECT\n",
    "loandesk_daemon alt_data SELECT\n"
    "loandesk_daemon applicant_alt_data SELECT\n"
    "loandesk_daemon applicants SELECT (id,name_enc)\n"
    "loandesk_daemon applications SELECT\n"
    "loandesk_daemon applications UPDATE (status,updated_at,score_id,"
    "points,pd_bps,band,recommendation,version)\n"
    "loandesk_daemon models SELECT\n"
    "loandesk_daemon payout_alerts SELECT\n"
    "loandesk_daemon payout_attempts SELECT\n"
    "loandesk_daemon payout_balance_readings SELECT\n"
    "loandesk_daemon payout_bill_states SELECT\n"
    "loandesk_daemon payout_control SELECT\n"
    "loandesk_daemon payout_daemons SELECT\n"
    "loandesk_daemon payout_states SELECT\n"
    "loandesk_daemon payouts SELECT\n"
    "loandesk_daemon pre_assessments INSERT\n"
    "loandesk_daemon pre_assessments SELECT\n"
    "loandesk_daemon reviews SELECT\n"
    "loandesk_daemon scores INSERT\n"
    "loandesk_daemon scores SELECT\n"
    "loandesk_daemon settings SELECT\n"
    "loandesk_daemon transfer_bills SELECT\n",
    "loandesk_finance applicants SELECT (id,name_masked,id_no_masked,"
    "phone_bidx,phone_masked,openid,created_at)\n"
    "loandesk_finance applications SELECT\n"
    "loandesk_finance audit_head SELECT\n"
    "loandesk_finance audit_log SELECT\n"
    "loandesk_finance decision_reasons SELECT\n"
    "loandesk_finance payout_actions SELECT\n"
    "loandesk_finance payout_alerts SELECT\n"
    "loandesk_finance payout_approvals SELECT\n"
    "loandesk_finance payout_attempts SELECT\n"
    "loandesk_finance payout_balance_readings SELECT\n"
    "loandesk_finance payout_bill_states SELECT\n"
    "loandesk_finance payout_bill_transitions SELECT\n"
    "loandesk_finance payout_clock SELECT\n"
    "loandesk_finance payout_control SELECT\n"
    "loandesk_finance payout_daemons SELECT\n"
    "loandesk_finance payout_holds SELECT\n"
    "loandesk_finance payout_overview SELECT\n"
    "loandesk_finance payout_states SELECT\n"
    "loandesk_finance payout_transitions SELECT\n"
    "loandesk_finance payouts SELECT\n"
    "loandesk_finance reconciliation_lines SELECT\n"
    "loandesk_finance reconciliation_runs SELECT\n"
    "loandesk_finance reviews SELECT\n"
    "loandesk_finance schema_migrations SELECT\n"
    "loandesk_finance settings SELECT\n"
    "loandesk_finance transfer_bills SELECT\n",
    "loandesk_oncall applicants SELECT (id,name_masked,id_no_masked,"
    "phone_bidx,phone_masked,openid,created_at)\n"
    "loandesk_oncall applications SELECT\n"
    "loandesk_oncall audit_head SELECT\n"
    "loandesk_oncall audit_log SELECT\n"
    "loandesk_oncall decision_reasons SELECT\n"
    "loandesk_oncall payout_actions SELECT\n"
    "loandesk_oncall payout_alerts SELECT\n"
    "loandesk_oncall payout_approvals SELECT\n"
    "loandesk_oncall payout_attempts SELECT\n"
    "loandesk_oncall payout_balance_readings SELECT\n"
    "loandesk_oncall payout_bill_states SELECT\n"
    "loandesk_oncall payout_bill_transitions SELECT\n"
    "loandesk_oncall payout_clock SELECT\n"
    "loandesk_oncall payout_control SELECT\n"
    "loandesk_oncall payout_daemons SELECT\n"
    "loandesk_oncall payout_holds SELECT\n"
    "loandesk_oncall payout_overview SELECT\n"
    "loandesk_oncall payout_states SELECT\n"
    "loandesk_oncall payout_transitions SELECT\n"
    "loandesk_oncall payouts SELECT\n"
    "loandesk_oncall reconciliation_lines SELECT\n"
    "loandesk_oncall reconciliation_runs SELECT\n"
    "loandesk_oncall reviews SELECT\n"
    "loandesk_oncall schema_migrations SELECT\n"
    "loandesk_oncall settings SELECT\n"
    "loandesk_oncall transfer_bills SELECT\n",
    "loandesk_risk alt_data SELECT\n"
    "loandesk_risk applicant_alt_data SELECT\n"
    "loandesk_risk applicants SELECT (id,name_masked,id_no_masked,"
    "phone_bidx,phone_masked,openid,created_at)\n"
    "loandesk_risk applications SELECT\n"
    "loandesk_risk audit_head SELECT\n"
    "loandesk_risk audit_log SELECT\n"
    "loandesk_risk decision_reasons SELECT\n"
    "loandesk_risk decision_requests SELECT\n"
    "loandesk_risk models SELECT (id,name,version,kind,sha256,"
    "feature_names,role,registered_at,registered_by,activated_at,"
    "activated_by)\n"
    "loandesk_risk payouts SELECT\n"
    "loandesk_risk pre_assessments SELECT\n"
    "loandesk_risk reviews SELECT\n"
    "loandesk_risk schema_migrations SELECT\n"
    "loandesk_risk scores SELECT\n"
    "loandesk_risk settings SELECT",
    NULL };

/* Every role, every table of both schemas, every table privilege. */
static const char table_privileges_sql[] =
    "WITH roles(r) AS (VALUES ('loandesk_risk'), ('loandesk_finance'), "
    "('loandesk_oncall'), ('loandesk_admin'), ('loandesk_daemon'), "
    "('test_nobody')), "
    "t AS (SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n "
    "ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'api') "
    "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')), "
    "p(priv) AS (VALUES ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), "
    "('TRUNCATE'), ('REFERENCES'), ('TRIGGER')) "
    "SELECT coalesce(string_agg(r || ' ' || t.relname || ' ' || priv || "
    "CASE WHEN has_table_privilege(r, t.oid, priv) THEN '' ELSE ' (' || "
    "(SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM "
    "pg_attribute a WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT "
    "a.attisdropped AND has_column_privilege(r, t.oid, a.attnum, priv)) "
    "|| ')' END, E'\\n' ORDER BY r COLLATE \"C\", t.relname COLLATE \"C\", "
    "priv COLLATE \"C\"), '') FROM roles, t, p "
    "WHERE has_table_privilege(r, t.oid, priv) OR (priv IN ('SELECT', "
    "'INSERT', 'UPDATE', 'REFERENCES') AND "
    "has_any_column_privilege(r, t.oid, priv))";

static const char expected_function_privileges[] =
    "loandesk_admin api.application_decide(bigint,text,text,text)\n"
    "loandesk_admin api.decision_preview(bigint,text)\n"
    "loandesk_admin api.payout_approve_preview(bigint)\n"
    "loandesk_admin api.payout_hold(bigint,text)\n"
    "loandesk_admin api.payout_retry_preview(bigint)\n"
    "loandesk_admin api.payouts_pause(text)\n"
    "loandesk_admin api.payouts_resume(text)\n"
    "loandesk_admin api.pii_reveal(bigint,text,text)\n"
    "loandesk_admin api.review_assign(bigint,text)\n"
    "loandesk_admin api.review_claim(bigint)\n"
    "loandesk_admin api.review_release(bigint)\n"
    "loandesk_admin api.settings_set(jsonb,text)\n"
    "loandesk_admin audit_canonical(bigint,timestamp with time zone,"
    "text,text,text,text,jsonb)\n"
    "loandesk_admin audit_head_holders()\n"
    "loandesk_admin payout_beijing_day(timestamp with time zone)\n"
    "loandesk_admin payout_beijing_midnight_after(timestamp with time "
    "zone)\n"
    "loandesk_admin payout_now()\n"
    "loandesk_daemon api.application_scored(bigint,bigint,jsonb,text,"
    "text)\n"
    "loandesk_daemon api.payout_balance_record(text,text,bigint,"
    "bigint)\n"
    "loandesk_daemon api.payout_bill_record(bigint,text,text,text,text,"
    "integer,text,text,text,integer,text,text,boolean,text,text,bigint,"
    "boolean,text,boolean,boolean,text,jsonb)\n"
    "loandesk_daemon api.payout_bill_sending(bigint,text,text,text,"
    "text)\n"
    "loandesk_daemon api.payout_callback(text,text,jsonb,text,text)\n"
    "loandesk_daemon api.payout_claim(text,integer)\n"
    "loandesk_daemon api.payout_heartbeat(text,jsonb)\n"
    "loandesk_daemon api.pre_assessment_recorded(bigint)\n"
    "loandesk_daemon api.reconcile_refuse(date,text,text)\n"
    "loandesk_daemon api.reconcile_run(date,text,text,jsonb)\n"
    "loandesk_daemon audit_canonical(bigint,timestamp with time zone,"
    "text,text,text,text,jsonb)\n"
    "loandesk_daemon audit_head_holders()\n"
    "loandesk_finance api.payout_approve(bigint,text)\n"
    "loandesk_finance api.payout_approve_batch(bigint[],integer,bigint,"
    "text)\n"
    "loandesk_finance api.payout_approve_preview(bigint)\n"
    "loandesk_finance api.payout_cancel(bigint,text)\n"
    "loandesk_finance api.payout_escalate(bigint,text,text)\n"
    "loandesk_finance api.payout_hold(bigint,text)\n"
    "loandesk_finance api.payout_release(bigint)\n"
    "loandesk_finance api.payout_retry_preview(bigint)\n"
    "loandesk_finance api.payouts_pause(text)\n"
    "loandesk_finance api.payouts_resume(text)\n"
    "loandesk_finance api.reconcile_refuse(date,text,text)\n"
    "loandesk_finance api.reconcile_run(date,text,text,jsonb)\n"
    "loandesk_finance api.review_assign(bigint,text)\n"
    "loandesk_finance api.review_claim(bigint)\n"
    "loandesk_finance api.review_release(bigint)\n"
    "loandesk_finance audit_canonical(bigint,timestamp with time zone,"
    "text,text,text,text,jsonb)\n"
    "loandesk_finance audit_head_holders()\n"
    "loandesk_finance payout_beijing_day(timestamp with time zone)\n"
    "loandesk_finance payout_beijing_midnight_after(timestamp with time "
    "zone)\n"
    "loandesk_finance payout_now()\n"
    "loandesk_oncall api.payout_approve_preview(bigint)\n"
    "loandesk_oncall api.payout_cancel(bigint,text)\n"
    "loandesk_oncall api.payout_escalate(bigint,text,text)\n"
    "loandesk_oncall api.payout_hold(bigint,text)\n"
    "loandesk_oncall api.payout_release(bigint)\n"
    "loandesk_oncall api.payout_retry(bigint,text)\n"
    "loandesk_oncall api.payout_retry_preview(bigint)\n"
    "loandesk_oncall api.payouts_pause(text)\n"
    "loandesk_oncall api.payouts_resume(text)\n"
    "loandesk_oncall api.pii_reveal(bigint,text,text)\n"
    "loandesk_oncall api.review_assign(bigint,text)\n"
    "loandesk_oncall api.review_claim(bigint)\n"
    "loandesk_oncall api.review_release(bigint)\n"
    "loandesk_oncall audit_canonical(bigint,timestamp with time zone,"
    "text,text,text,text,jsonb)\n"
    "loandesk_oncall audit_head_holders()\n"
    "loandesk_oncall payout_beijing_day(timestamp with time zone)\n"
    "loandesk_oncall payout_beijing_midnight_after(timestamp with time "
    "zone)\n"
    "loandesk_oncall payout_now()\n"
    "loandesk_risk api.application_decide(bigint,text,text,text)\n"
    "loandesk_risk api.decision_preview(bigint,text)\n"
    "loandesk_risk api.review_assign(bigint,text)\n"
    "loandesk_risk api.review_claim(bigint)\n"
    "loandesk_risk api.review_release(bigint)\n"
    "loandesk_risk audit_canonical(bigint,timestamp with time zone,"
    "text,text,text,text,jsonb)\n"
    "loandesk_risk audit_head_holders()";

static const char function_privileges_sql[] =
    "WITH roles(r) AS (VALUES ('loandesk_risk'), ('loandesk_finance'), "
    "('loandesk_oncall'), ('loandesk_admin'), ('loandesk_daemon'), "
    "('test_nobody')), "
    "f AS (SELECT p.oid, p.oid::regprocedure::text AS sig FROM pg_proc p "
    "JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname IN ('public', 'api')) "
    "SELECT coalesce(string_agg(r || ' ' || f.sig, E'\\n' ORDER BY "
    "r COLLATE \"C\", f.sig COLLATE \"C\"), '') FROM roles, f "
    "WHERE has_function_privilege(r, f.oid, 'EXECUTE')";

static void
test_privileges_by_role_and_table(void)
{
	char got[16384], want[16384];
	size_t i, used = 0;

	ensure_login("test_nobody", NULL);
	for (i = 0; expected_table_privileges[i] != NULL; i++)
		used += (size_t)snprintf(want + used, sizeof want - used, "%s",
		    expected_table_privileges[i]);
	su_text(table_privileges_sql, got, sizeof got);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\ntable privileges are:\n%s\n", got);
	CU_ASSERT_STRING_EQUAL(got, want);

	su_text(function_privileges_sql, got, sizeof got);
	if (strcmp(got, expected_function_privileges) != 0)
		fprintf(stderr, "\nfunction privileges are:\n%s\n", got);
	CU_ASSERT_STRING_EQUAL(got, expected_function_privileges);

	/* Nothing for PUBLIC: schemas, sequences, functions, temp tables. */
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM pg_namespace n, "
	    "aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a "
	    "WHERE n.nspname IN ('public', 'api') AND a.grantee = 0"), 0);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM pg_proc p JOIN "
	    "pg_namespace n ON n.oid = p.pronamespace, aclexplode(coalesce("
	    "p.proacl, acldefault('f', p.proowner))) a WHERE n.nspname IN "
	    "('public', 'api') AND a.grantee = 0"), 0);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM (VALUES "
	    "('loandesk_risk'), ('loandesk_finance'), ('loandesk_oncall'), "
	    "('loandesk_admin'), ('loandesk_daemon'), ('test_nobody')) "
	    "r(r), pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, "
	    "(VALUES ('USAGE'), ('SELECT'), ('UPDATE')) p(p) WHERE "
	    "n.nspname IN ('public', 'api') AND c.relkind = 'S' AND "
	    "has_sequence_privilege(r, c.oid, p)"), 0);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM (VALUES "
	    "('loandesk_risk'), ('loandesk_finance'), ('loandesk_oncall'), "
	    "('loandesk_admin'), ('loandesk_daemon'), ('test_nobody')) r(r) "
	    "WHERE has_database_privilege(r, current_database(), 'TEMP') "
	    "OR has_database_privilege(r, current_database(), 'CREATE')"), 0);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM (VALUES ('public'), "
	    "('api')) s(s) WHERE has_schema_privilege('test_nobody', s, "
	    "'USAGE') OR has_schema_privilege('loandesk_risk', s, 'CREATE')"),
	    0);
}

/*
 * Every function runs with its search_path pinned and pg_temp last: an
 * unnamed pg_temp is searched first for tables, so a caller's temporary
 * table would stand in for ours.
 */
static void
test_functions_pin_search_path(void)
{
	char got[4096];

	su_text("SELECT coalesce(string_agg(p.oid::regprocedure::text, ' '), "
	    "'') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
	    "WHERE n.nspname IN ('public', 'api') AND NOT coalesce("
	    "'search_path=pg_catalog, public, pg_temp' = ANY (p.proconfig), "
	    "false)", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "");
	/* And the SECURITY DEFINER ones are the ones we know. */
	su_text("SELECT string_agg(p.oid::regprocedure::text, ' ' ORDER BY "
	    "p.oid::regprocedure::text COLLATE \"C\") FROM pg_proc p JOIN "
	    "pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN "
	    "('public', 'api') AND p.prosecdef", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "api.application_decide(bigint,text,text,"
	    "text) api.application_scored(bigint,bigint,jsonb,text,text) "
	    "api.decision_preview(bigint,text) api.payout_approve(bigint,text) "
	    "api.payout_approve_batch(bigint[],integer,bigint,text) "
	    "api.payout_approve_preview(bigint) api.payout_balance_record(text,text,bigint,bigint) "
	    "api.payout_bill_record(bigint,text,text,text,text,integer,text,"
	    "text,text,integer,text,text,boolean,text,text,bigint,boolean,text,"
	    "boolean,boolean,text,jsonb) api.payout_bill_sending(bigint,text,"
	    "text,text,text) api.payout_callback(text,text,jsonb,text,text) "
	    "api.payout_cancel(bigint,text) api.payout_claim(text,integer) "
	    "api.payout_escalate(bigint,text,text) api.payout_heartbeat(text,"
	    "jsonb) api.payout_hold(bigint,text) api.payout_release(bigint) "
	    "api.payout_retry(bigint,text) api.payout_retry_preview(bigint) "
	    "api.payouts_pause(text) "
	    "api.payouts_resume(text) api.pii_reveal(bigint,text,text) "
	    "api.pre_assessment_recorded(bigint) api.reconcile_refuse(date,"
	    "text,text) api.reconcile_run(date,text,text,jsonb) "
	    "api.review_assign(bigint,text) api.review_claim(bigint) "
	    "api.review_release(bigint) api.settings_set(jsonb,text) "
	    "audit_record(text,text,text,jsonb)");
}

/*
 * The definer functions run as loandesk_api, not as whoever migrated (here
 * a superuser): a role with no login that owns nothing but them, so that
 * what runs inside them may not delete audit rows, disable the append-only
 * trigger or leave the database.
 */
static void
su_expect_denied_as_api(const char *sql, const char *sqlstate)
{
	struct ld_err err;

	su_exec("BEGIN");
	su_exec("SET LOCAL ROLE loandesk_api");
	ld_err_clear(&err);
	CU_ASSERT_NOT_EQUAL(ld_db_cmd(&su, sql, &err), LD_OK);
	if (strcmp(su.sqlstate, sqlstate) != 0)
		fprintf(stderr, "as loandesk_api: %s: got %s (%s), expected "
		    "%s\n", sql, su.sqlstate, err.msg, sqlstate);
	CU_ASSERT_STRING_EQUAL(su.sqlstate, sqlstate);
	su_exec("ROLLBACK");
}

static void
test_definer_functions_run_as_loandesk_api(void)
{
	char got[4096];

	/*
	 * All but api.pii_reveal, which reads sealed data loandesk_api may
	 * not, and runs as loandesk_pii (0016), and api.settings_set, which
	 * writes the settings loandesk_api may not, and runs as
	 * loandesk_settings (0027).
	 */
	su_text("SELECT coalesce(string_agg(p.oid::regprocedure::text || ' "
	    "owned by ' || pg_get_userbyid(p.proowner), ', ' ORDER BY "
	    "p.oid::regprocedure::text COLLATE \"C\"), '') FROM "
	    "pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
	    "n.nspname IN ('public', 'api') AND p.prosecdef AND "
	    "pg_get_userbyid(p.proowner) <> 'loandesk_api'", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "api.pii_reveal(bigint,text,text) owned "
	    "by loandesk_pii, api.settings_set(jsonb,text) owned by "
	    "loandesk_settings");
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM pg_class WHERE "
	    "relowner IN ('loandesk_pii'::regrole, "
	    "'loandesk_settings'::regrole)"), 0);
	su_text("SELECT string_agg(rolsuper::text || rolcanlogin::text, ' ' "
	    "ORDER BY rolname) FROM pg_roles WHERE rolname IN "
	    "('loandesk_pii', 'loandesk_settings')", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "falsefalse falsefalse");
	su_text("SELECT rolsuper::text || rolcanlogin::text || rolcreaterole::"
	    "text || rolcreatedb::text || rolbypassrls::text FROM pg_roles "
	    "WHERE rolname = 'loandesk_api'", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "falsefalsefalsefalsefalse");
	/* It owns no table, sequence, view or schema. */
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM pg_class WHERE "
	    "relowner = 'loandesk_api'::regrole"), 0);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM pg_namespace WHERE "
	    "nspowner = 'loandesk_api'::regrole"), 0);
	/* Only what the functions need. */
	su_expect_denied_as_api("SELECT name_enc FROM applicants", "42501");
	su_expect_denied_as_api("SELECT detail FROM audit_log", "42501");
	su_expect_denied_as_api("SELECT body FROM models", "42501");
	su_expect_denied_as_api("DELETE FROM audit_log", "42501");
	su_expect_denied_as_api("TRUNCATE audit_log", "42501");
	su_expect_denied_as_api("ALTER TABLE audit_log DISABLE TRIGGER "
	    "audit_log_append_only", "42501");
	su_expect_denied_as_api("SET session_replication_role = replica",
	    "42501");
	su_expect_denied_as_api("UPDATE settings SET value = value", "42501");
	su_expect_denied_as_api("DELETE FROM applications", "42501");
	su_expect_denied_as_api("CREATE TABLE api.x (i int)", "42501");
	su_expect_denied_as_api("COPY audit_log TO '/tmp/ld-audit-copy'",
	    "42501");
}

/*
 * A risk officer allowed temporary tables (a database where TEMP was
 * granted again) shadows the tables the decision function uses: the
 * decision must still land in ours, with its audit row, and the payout
 * must ask for the application's own amount.
 */
static void
test_temp_tables_cannot_hijack_api(void)
{
	struct ld_db op;
	struct ld_err err;
	PGresult *r;
	enum core_app_status status;
	char sql[1024];
	const char *shadow[] = {
		"CREATE TEMP TABLE audit_log (LIKE public.audit_log)",
		"CREATE TEMP TABLE audit_head (LIKE public.audit_head)",
		"INSERT INTO pg_temp.audit_head VALUES (true, 1000000, "
		    "decode(repeat('ab', 32), 'hex'))",
		NULL, /* applications, below */
		"UPDATE pg_temp.applications SET amount_fen = 99999999, "
		    "recommendation = 'auto_approved'",
		"CREATE TEMP TABLE decision_reasons AS SELECT * FROM "
		    "public.decision_reasons",
		"INSERT INTO pg_temp.decision_reasons VALUES ('FORGED', "
		    "'{approve}', 'x', 'x')",
	};
	size_t i;
	long app, audit_before;

	ensure_login("test_risk", "loandesk_risk");
	seed_one_application("manual_review", "auto_rejected");
	app = last_application();
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=test_risk", "test",
	    &err), LD_OK);
	/* By default an operator has no temporary tables at all. */
	CU_ASSERT_EQUAL(ld_db_cmd(&op, "CREATE TEMP TABLE t (x int)", &err),
	    LD_EPERM);
	ld_db_close(&op);

	su_exec("DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I "
	    "TO test_risk', current_database()); END $$");
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=test_risk", "test",
	    &err), LD_OK);
	snprintf(sql, sizeof sql, "CREATE TEMP TABLE applications AS SELECT * "
	    "FROM public.applications WHERE id = %ld", app);
	shadow[3] = sql;
	for (i = 0; i < sizeof shadow / sizeof shadow[0]; i++) {
		ld_err_clear(&err);
		if (ld_db_cmd(&op, shadow[i], &err) != LD_OK)
			fprintf(stderr, "%s: %s\n", shadow[i], err.msg);
		CU_ASSERT_EQUAL(err.code, LD_OK);
	}

	/* A reason code only the caller's table knows is refused. */
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_APPROVE,
	    "FORGED", "ok", &status, &err), LD_EINVAL);

	audit_before = su_count("SELECT count(*) FROM audit_log");
	/* Against the real recommendation (auto_rejected): a note is due. */
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_APPROVE,
	    "VERIFIED_INCOME", NULL, &status, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(core_application_decide(&op, app, CORE_APPROVE,
	    "VERIFIED_INCOME", "called the employer", &status, &err), LD_OK);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM applications WHERE "
	    "id = %ld AND status = 'approved' AND decided_by = 'test_risk'",
	    app);
	CU_ASSERT_EQUAL(su_count(sql), 1);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM payouts WHERE "
	    "application_id = %ld AND amount_fen = 500000", app);
	CU_ASSERT_EQUAL(su_count(sql), 1);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE "
	    "actor = 'test_risk' AND action = 'application.approve' AND "
	    "object_id = '%ld' AND (detail->>'amount_fen')::bigint = 500000 "
	    "AND id = (SELECT last_id FROM audit_head)", app);
	CU_ASSERT_EQUAL(su_count(sql), 1);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log"),
	    audit_before + 1);
	/* The caller's tables were not touched. */
	CU_ASSERT_EQUAL_FATAL(ld_db_exec(&op, "SELECT (SELECT count(*) FROM "
	    "pg_temp.audit_log) || '/' || (SELECT last_id FROM "
	    "pg_temp.audit_head)", 0, NULL, &r, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "0/1000000");
	PQclear(r);
	ld_db_close(&op);
	su_exec("DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I "
	    "FROM test_risk', current_database()); END $$");
}

/*
 * The daemon writes scoring outcomes and nothing else: no decisions, no
 * changes to a decided application, no amounts, no personal data, no
 * settings.
 */
static void
test_daemon_writes_only_scoring(void)
{
	struct ld_db d;
	struct ld_err err;
	char sql[512];
	long received, decided;

	ensure_login("test_daemon", "loandesk_daemon");
	seed_one_application("received", "auto_approved");
	received = last_application();
	seed_one_application("auto_rejected", "auto_rejected");
	decided = last_application();
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&d, "user=test_daemon", "test",
	    &err), LD_OK);

	snprintf(sql, sizeof sql, "UPDATE applications SET status = "
	    "'approved' WHERE id = %ld", received);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, sql, &err), LD_EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "only the api functions "
	    "decide"));
	snprintf(sql, sizeof sql, "UPDATE applications SET status = "
	    "'auto_approved' WHERE id = %ld", decided);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, sql, &err), LD_EPERM);
	snprintf(sql, sizeof sql, "UPDATE applications SET points = 900 "
	    "WHERE id = %ld", decided);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, sql, &err), LD_EPERM);
	snprintf(sql, sizeof sql, "UPDATE applications SET amount_fen = 1 "
	    "WHERE id = %ld", received);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, sql, &err), LD_EPERM);
	/* The sealed name only, for the payee's name check (0024). */
	CU_ASSERT_EQUAL(ld_db_cmd(&d, "SELECT id, name_enc FROM applicants",
	    &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, "SELECT id_no_enc FROM applicants",
	    &err), LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, "SELECT phone_enc FROM applicants",
	    &err), LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, "SELECT name_bidx FROM applicants",
	    &err), LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, "SELECT phone_masked FROM applicants",
	    &err), LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, "UPDATE settings SET value = 'false' "
	    "WHERE key = 'payouts_paused'", &err), LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, "INSERT INTO payouts (application_id, "
	    "amount_fen, requested_by) VALUES (1, 1, 'x')", &err), LD_EPERM);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, "DELETE FROM scores", &err), LD_EPERM);

	/* What scoring does is allowed. */
	snprintf(sql, sizeof sql, "UPDATE applications SET status = "
	    "'auto_rejected', recommendation = 'auto_rejected', points = 480, "
	    "version = version + 1 WHERE id = %ld", received);
	CU_ASSERT_EQUAL(ld_db_cmd(&d, sql, &err), LD_OK);
	ld_db_close(&d);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM applications WHERE "
	    "id = %ld AND status = 'auto_rejected'", received);
	CU_ASSERT_EQUAL(su_count(sql), 1);
}

struct audit_writer {
	pthread_barrier_t *start;
	int index, failures;
	char msg[LD_ERR_MSG_MAX];
};

#define AUDIT_WRITERS 4
#define AUDIT_ROWS_EACH 40

static void *
run_audit_writer(void *arg)
{
	struct audit_writer *w = arg;
	struct ld_db db;
	struct ld_err err;
	char oid[32];
	const char *params[1] = { oid };
	int i, connected;

	ld_err_clear(&err);
	/* As the superuser: since 0017 no group role may call audit_record. */
	connected = ld_db_connect(&db, "", "test_db_audit", &err) == LD_OK;
	pthread_barrier_wait(w->start);
	if (!connected) {
		w->failures = AUDIT_ROWS_EACH;
		snprintf(w->msg, sizeof w->msg, "%s", err.msg);
		return NULL;
	}
	for (i = 0; i < AUDIT_ROWS_EACH; i++) {
		snprintf(oid, sizeof oid, "%d.%d", w->index, i);
		if (ld_db_exec(&db, "SELECT audit_record('test.concurrent', "
		    "'test', $1, '{}')", 1, params, NULL, &err) != LD_OK) {
			w->failures++;
			snprintf(w->msg, sizeof w->msg, "%s", err.msg);
		}
	}
	ld_db_close(&db);
	return NULL;
}

/* Writers at once append one chain, without a gap or a fork. */
static void
test_audit_concurrent_writers_one_chain(void)
{
	pthread_barrier_t start;
	pthread_t th[AUDIT_WRITERS];
	struct audit_writer w[AUDIT_WRITERS];
	struct ld_audit_verify_result res;
	struct ld_err err;
	long before;
	int i;

	before = su_count("SELECT count(*) FROM audit_log");
	CU_ASSERT_EQUAL_FATAL(pthread_barrier_init(&start, NULL,
	    AUDIT_WRITERS), 0);
	for (i = 0; i < AUDIT_WRITERS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].start = &start;
		w[i].index = i;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL,
		    run_audit_writer, &w[i]), 0);
	}
	for (i = 0; i < AUDIT_WRITERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < AUDIT_WRITERS; i++) {
		if (w[i].failures != 0)
			fprintf(stderr, "writer %d: %d failures: %s\n", i,
			    w[i].failures, w[i].msg);
		CU_ASSERT_EQUAL(w[i].failures, 0);
	}
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log"),
	    before + AUDIT_WRITERS * AUDIT_ROWS_EACH);
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log WHERE "
	    "actor = 'postgres' AND action = 'test.concurrent'"),
	    AUDIT_WRITERS * AUDIT_ROWS_EACH);
	/* Ids 1..n without a gap, the head on the last, every link good. */
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log a, audit_head "
	    "h WHERE a.id BETWEEN 1 AND h.last_id"), su_count("SELECT last_id "
	    "FROM audit_head"));
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log a JOIN "
	    "audit_log b ON b.id = a.id + 1 WHERE b.prev_hash <> a.hash"), 0);
	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT(res.ok);
}

/*
 * The canonical text joins fields with '|': a '|' inside a field would let
 * a row be rewritten to name another object under the same hash.  Writers
 * cannot store one, and verify refuses a row that has one anyway.
 */
static void
test_audit_canonical_text_unambiguous(void)
{
	struct ld_audit_verify_result res;
	struct ld_err err;
	long id;

	CU_ASSERT_EQUAL(ld_db_cmd(&su, "SELECT audit_record('test.split', "
	    "'review', 'application|7', '{}')", &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg,
	    "audit_log_fields_without_separator"));

	/* A superuser lifts the constraint, writes such a row and moves the
	 * field boundary: the hash still matches its content... */
	su_exec("ALTER TABLE audit_log DROP CONSTRAINT "
	    "audit_log_fields_without_separator");
	su_exec("SELECT audit_record('test.split', 'review', 'application|7', "
	    "'{}')");
	id = su_count("SELECT last_id FROM audit_head");
	su_exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
	su_exec("UPDATE audit_log SET object_type = 'review|application', "
	    "object_id = '7' WHERE id = (SELECT last_id FROM audit_head)");
	CU_ASSERT_EQUAL(su_count("SELECT count(*) FROM audit_log WHERE id = "
	    "(SELECT last_id FROM audit_head) AND hash = sha256(prev_hash || "
	    "convert_to(audit_canonical(id, at, actor, action, object_type, "
	    "object_id, detail), 'UTF8'))"), 1);
	/* ...and verify still refuses it. */
	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_EQUAL(res.broken_id, id);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.why, "object_type holds a '|'"));

	/* Put things back for the tests that follow. */
	su_exec("DELETE FROM audit_log WHERE id = (SELECT last_id FROM "
	    "audit_head)");
	su_exec("UPDATE audit_head SET last_id = last_id - 1, last_hash = "
	    "(SELECT hash FROM audit_log WHERE id = audit_head.last_id - 1)");
	su_exec("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
	su_exec("ALTER TABLE audit_log ADD CONSTRAINT "
	    "audit_log_fields_without_separator CHECK (strpos(actor, '|') = 0 "
	    "AND strpos(object_type, '|') = 0 AND strpos(object_id, '|') = 0)");
	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT(res.ok);
}

/*
 * Two rows swapped, and a row slipped in by a superuser past the chain
 * trigger (with or without moving the head), are found.
 */
static void
test_audit_reorder_and_forged_row(void)
{
	struct ld_audit_verify_result res;
	struct ld_err err;
	char swap[2][256];
	long a, head;
	int i;

	a = su_count("SELECT min(id) + 1 FROM audit_log");
	head = su_count("SELECT last_id FROM audit_head");
	CU_ASSERT_FATAL(head > a + 1);
	/*
	 * Rows a and a + 1 trade places (through ids far past the head: the
	 * key; ids below 1 are refused since 0013).
	 */
	snprintf(swap[0], sizeof swap[0], "UPDATE audit_log SET id = id + "
	    "1000000000000 WHERE id IN (%ld, %ld)", a, a + 1);
	snprintf(swap[1], sizeof swap[1], "UPDATE audit_log SET id = CASE id "
	    "WHEN %ld THEN %ld ELSE %ld END WHERE id > 1000000000000",
	    a + 1000000000000L, a + 1, a);
	su_exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
	for (i = 0; i < 2; i++)
		su_exec(swap[i]);
	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_EQUAL(res.broken_id, a);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.why, "prev_hash"));
	/* Swapped back: intact again. */
	for (i = 0; i < 2; i++)
		su_exec(swap[i]);
	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT(res.ok);

	/* A row past the trigger that links to the head but has a made-up
	 * hash; first without touching the head, then moving it too. */
	su_exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_chain");
	su_exec("INSERT INTO audit_log (id, at, actor, action, object_type, "
	    "object_id, detail, prev_hash, hash) SELECT h.last_id + 1, now(), "
	    "'li_na', 'application.approve', 'application', '1', '{}', "
	    "h.last_hash, sha256('made up') FROM audit_head h");
	su_exec("ALTER TABLE audit_log ENABLE TRIGGER audit_log_chain");
	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_EQUAL(res.broken_id, head + 1);
	su_exec("UPDATE audit_head SET last_id = last_id + 1, last_hash = "
	    "sha256('made up')");
	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT_FALSE(res.ok);
	CU_ASSERT_EQUAL(res.broken_id, head + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.why, "altered"));
	/* Removed again, the head put back. */
	su_exec("DELETE FROM audit_log WHERE id = (SELECT last_id FROM "
	    "audit_head)");
	su_exec("UPDATE audit_head SET last_id = last_id - 1, last_hash = "
	    "(SELECT hash FROM audit_log WHERE id = audit_head.last_id - 1)");
	su_exec("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
	CU_ASSERT_EQUAL_FATAL(ld_audit_verify(&su, &res, &err), LD_OK);
	CU_ASSERT(res.ok);
}

/*
 * A superuser who removes the newest row and sets the head back leaves a
 * chain that holds; an anchor printed by an earlier walk catches it.
 */
static void
test_audit_anchor_catches_truncation(void)
{
	char cmd[1024], out[4096], anchor[128];
	const char *a;

	su_exec("SELECT audit_record('test.anchor', 'test', '1', '{}')");
	snprintf(cmd, sizeof cmd, "'%s/loandesk' audit verify 2>&1",
	    ld_test_builddir());
	CU_ASSERT_EQUAL_FATAL(run(cmd, out, sizeof out), 0);
	a = strstr(out, "; anchor ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	snprintf(anchor, sizeof anchor, "%.*s", (int)strcspn(a + 9, "\n"),
	    a + 9);
	CU_ASSERT_EQUAL(strlen(anchor), strcspn(anchor, ":") + 65);
	CU_ASSERT_EQUAL(atol(anchor), su_count("SELECT last_id FROM "
	    "audit_head"));

	snprintf(cmd, sizeof cmd, "'%s/loandesk' audit verify --anchor %s "
	    "2>&1", ld_test_builddir(), anchor);
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "the anchor holds"));

	su_exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
	su_exec("DELETE FROM audit_log WHERE id = (SELECT last_id FROM "
	    "audit_head)");
	su_exec("UPDATE audit_head SET last_id = last_id - 1, last_hash = "
	    "(SELECT hash FROM audit_log WHERE id = audit_head.last_id - 1)");
	su_exec("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
	/* What is left holds... */
	snprintf(cmd, sizeof cmd, "'%s/loandesk' audit verify 2>&1",
	    ld_test_builddir());
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 0);
	/* ...but not against the anchor. */
	snprintf(cmd, sizeof cmd, "'%s/loandesk' audit verify --anchor %s "
	    "2>&1", ld_test_builddir(), anchor);
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "rows were removed from the end"));
	/* An older row whose hash is not the anchor's: rewritten. */
	snprintf(cmd, sizeof cmd, "'%s/loandesk' audit verify --anchor 1:%s "
	    "2>&1", ld_test_builddir(), "000000000000000000000000000000000"
	    "0000000000000000000000000000000");
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "BROKEN at row 1: its hash is not "
	    "the anchor's"));
	snprintf(cmd, sizeof cmd, "'%s/loandesk' audit verify --anchor 12 "
	    "2>&1", ld_test_builddir());
	CU_ASSERT_EQUAL(run(cmd, out, sizeof out), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ID:HASH"));
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

/*
 * Masks hide at least as much of a short value as of a full one: one
 * character of a one-character name is all of it, and 3 + 4 digits of an
 * 8-digit number leave one hidden.
 */
static void
test_pii_masks_of_short_values(void)
{
	char out[64];

	ld_pii_mask_name("\xe5\xbc\xa0", out, sizeof out); /* 张 */
	CU_ASSERT_STRING_EQUAL(out, "*");
	ld_pii_mask_name("Li", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "L*");
	ld_pii_mask_name("\xe5\xbc\xa0\xe4\xb8\x89", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "\xe5\xbc\xa0*"); /* 张三 -> 张* */
	ld_pii_mask_phone("13812345678", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "138****5678");
	ld_pii_mask_phone("010-12345678", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "010*****5678");
	ld_pii_mask_phone("1234567890", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "12****7890");
	ld_pii_mask_phone("12345678", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "****5678");
	ld_pii_mask_phone("1234567", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "****567");
	ld_pii_mask_phone("12345", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "****5");
	ld_pii_mask_phone("1234", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "****");
	ld_pii_mask_phone("", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "");
	ld_pii_mask_id("110105194912310021", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "110***********0021");
	ld_pii_mask_id("110105491231002", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "110********1002");
	ld_pii_mask_id("E12345678", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "E****5678");
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_migrate_again_does_nothing),
		LD_TEST(test_concurrent_migrators_serialise),
		LD_TEST(test_edited_migration_refused_by_name),
		LD_TEST(test_migrate_as_database_owner),
		LD_TEST(test_failed_migration_leaves_nothing),
		LD_TEST(test_unix_socket_only),
		LD_TEST(test_risk_role_decides_through_api_only),
		LD_TEST(test_override_needs_note_and_valid_reason),
		LD_TEST(test_finance_cannot_decide),
		LD_TEST(test_admin_cannot_write_audit_rows),
		LD_TEST(test_money_checks),
		LD_TEST(test_privileges_by_role_and_table),
		LD_TEST(test_functions_pin_search_path),
		LD_TEST(test_definer_functions_run_as_loandesk_api),
		LD_TEST(test_temp_tables_cannot_hijack_api),
		LD_TEST(test_daemon_writes_only_scoring),
		LD_TEST(test_review_assign_checks_the_assignee),
		LD_TEST(test_review_changes_belong_to_the_assignee),
		LD_TEST(test_claimed_case_is_decided_by_its_holder),
		LD_TEST(test_audit_concurrent_writers_one_chain),
		LD_TEST(test_audit_canonical_text_unambiguous),
		LD_TEST(test_audit_reorder_and_forged_row),
		LD_TEST(test_audit_anchor_catches_truncation),
		LD_TEST(test_audit_append_only_and_verified),
		LD_TEST(test_audit_verify_command),
		LD_TEST_END };
	static const struct ld_test_case pure_cases[] = {
		LD_TEST(test_pii_masks_of_short_values),
		LD_TEST_END };

	LD_TEST_INIT();
	ld_test_suite("personal data masks", NULL, NULL, pure_cases);
	ld_test_suite("database", suite_init, suite_clean, cases);
	return ld_test_run();
}
