/*
 * Settings the database decides from, against a real PostgreSQL:
 * `loandesk settings apply` writes the configuration's [payout] figures and
 * [risk] apr_cap_bps through api.settings_set, `settings show` puts the two
 * side by side; the function's refusals (by role, by value, by the figures
 * together, the prefix while payouts are open), its audit rows with old
 * and new value, its notification, and the payout functions deciding from
 * what was applied.
 */
#include "config.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "ld_alloc.h"
#include "ld_db.h"
#include "ld_migrate.h"
#include "ld_paths.h"
#include "ld_test.h"
#include "ld_testdb.h"

static struct ld_testdb tdb;
static struct ld_db su, admin, fin1, fin2, risk, listener;
static char tmpdir[256];

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

/* api.settings_set(values, note) as db; its answer into out. */
static enum ld_status
set(struct ld_db *db, const char *values, char *out, size_t len,
    struct ld_err *err)
{
	const char *p[2] = { values, "test" };
	PGresult *r;
	enum ld_status st;

	out[0] = '\0';
	ld_err_clear(err);
	if ((st = ld_db_exec(db, "SELECT api.settings_set($1::jsonb, $2)", 2,
	    p, &r, err)) != LD_OK)
		return st;
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
	    ld_db_connect(db, conninfo, "test_settings", &err) != LD_OK) {
		fprintf(stderr, "%s: %s\n", user, err.msg);
		return -1;
	}
	return 0;
}

static int
suite_init(void)
{
	struct ld_migration_set set;
	struct ld_err err;
	int applied;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/ld-test-settings.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || ld_testdb_start(&tdb) != 0)
		return -1;
	if (ld_db_connect(&su, "", "test_settings", &err) != LD_OK ||
	    ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK ||
	    ld_migrations_apply(&su, &set, NULL, &applied, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	ld_migrations_free(&set);
	if (connect_as(&admin, "s_admin", "loandesk_admin") != 0 ||
	    connect_as(&fin1, "s_fin1", "loandesk_finance") != 0 ||
	    connect_as(&fin2, "s_fin2", "loandesk_finance") != 0 ||
	    connect_as(&risk, "s_risk", "loandesk_risk") != 0 ||
	    ld_db_connect(&listener, "user=s_fin1", "test_settings listen",
	    &err) != LD_OK)
		return -1;
	return 0;
}

static int
suite_clean(void)
{
	struct ld_db *all[] = { &admin, &fin1, &fin2, &risk, &listener, &su };
	char cmd[300];
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		ld_db_close(all[i]);
	ld_testdb_stop(&tdb);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
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

/* loandesk.conf with [payout] and [risk] apr_cap_bps, as user. */
static void
write_conf(const char *name, const char *user, int apr_cap_bps)
{
	char path[300], *text;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	text = ld_asprintf("[database]\nconninfo = user=%s\n"
	    "[risk]\napr_cap_bps = %d\n"
	    "[payout]\nper_transfer_max_fen = 1500000\n"
	    "per_user_daily_max_fen = 4000000\n"
	    "merchant_daily_max_fen = 9000000000\n"
	    "four_eyes_threshold_fen = 500000\n"
	    "balance_alert_fen = 50000000\nmin_transfer_fen = 30\n"
	    "out_bill_prefix = LDT\npayout_lease_s = 90\n", user,
	    apr_cap_bps);
	CU_ASSERT_EQUAL(write_text(path, text), 0);
	free(text);
}

static const char *const applied_values[][2] = {
	{ "per_transfer_max_fen", "1500000" },
	{ "per_user_daily_max_fen", "4000000" },
	{ "merchant_daily_max_fen", "9000000000" },
	{ "four_eyes_threshold_fen", "500000" },
	{ "balance_alert_fen", "50000000" },
	{ "min_transfer_fen", "30" },
	{ "out_bill_prefix", "\"LDT\"" },
	{ "payout_lease_s", "90" },
	{ "apr_cap_bps", "2000" },
};

/*
 * 1. show, apply, show: the configuration's nine figures land in the
 * database, each change audited with its old and new value, and a second
 * apply changes nothing.
 */
static void
test_apply_show_round_trip(void)
{
	char args[512], out[8192], err[4096], v[64];
	cJSON *doc, *s;
	size_t i;
	long audits;

	write_conf("admin.conf", "s_admin", 2000);
	snprintf(args, sizeof args, "-c '%s/admin.conf' settings show --json",
	    tmpdir);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 3);
	doc = cJSON_Parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(doc,
	    "differences")), 9);
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "settings"), 0);
	CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(s,
	    "key")), "per_transfer_max_fen");
	CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(s,
	    "database")), 2000000);
	CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(s,
	    "configuration")), 1500000);
	CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(s, "differs")));
	cJSON_Delete(doc);

	snprintf(args, sizeof args, "-c '%s/admin.conf' settings apply",
	    tmpdir);
	if (loandesk(args, out, sizeof out, err, sizeof err) != 0)
		fprintf(stderr, "apply: %s%s", out, err);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "per_transfer_max_fen: 2000000 -> "
	    "1500000\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "out_bill_prefix: LD -> LDT\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "apr_cap_bps: 2400 -> 2000\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "9 settings changed"));
	for (i = 0; i < sizeof applied_values / sizeof applied_values[0];
	    i++) {
		su_text(v, sizeof v, "SELECT value::text FROM settings WHERE "
		    "key = '%s' AND updated_by = 's_admin'",
		    applied_values[i][0]);
		CU_ASSERT_STRING_EQUAL(v, applied_values[i][1]);
	}
	/* One audit row per key, old and new, by the administrator. */
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM audit_log WHERE action "
	    "= 'settings.set' AND actor = 's_admin'"), 9);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM audit_log WHERE action "
	    "= 'settings.set' AND object_type = 'setting' AND object_id = "
	    "'apr_cap_bps' AND detail->'old' = '2400' AND detail->'new' = "
	    "'2000' AND detail->>'note' LIKE 'loandesk settings apply from "
	    "%%admin.conf'"), 1);

	snprintf(args, sizeof args, "-c '%s/admin.conf' settings show --json",
	    tmpdir);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 0);
	doc = cJSON_Parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(doc,
	    "differences")), 0);
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "settings")) {
		char *a = cJSON_PrintUnformatted(cJSON_GetObjectItem(s,
		    "database"));
		char *b = cJSON_PrintUnformatted(cJSON_GetObjectItem(s,
		    "configuration"));

		CU_ASSERT_STRING_EQUAL(a, b);
		CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(
		    cJSON_GetObjectItem(s, "updated_by")), "s_admin");
		cJSON_free(a);
		cJSON_free(b);
	}
	cJSON_Delete(doc);

	/* Again: nothing changes, nothing is audited. */
	audits = su_long("SELECT count(*) FROM audit_log");
	snprintf(args, sizeof args, "-c '%s/admin.conf' settings apply",
	    tmpdir);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "0 settings changed"));
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM audit_log"), audits);

	/* The configuration moves on: show marks the one difference. */
	write_conf("admin2.conf", "s_admin", 2100);
	snprintf(args, sizeof args, "-c '%s/admin2.conf' settings show",
	    tmpdir);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 3);
	{
		char line[256], *at = strstr(out, "apr_cap_bps ");
		size_t n;

		CU_ASSERT_PTR_NOT_NULL_FATAL(at);
		n = strcspn(at, "\n");
		snprintf(line, sizeof line, "%.*s", (int)n, at);
		CU_ASSERT_PTR_NOT_NULL(strstr(line, " 2000 "));
		CU_ASSERT_PTR_NOT_NULL(strstr(line, " 2100 "));
		CU_ASSERT_PTR_NOT_NULL(strstr(line, "differs"));
		CU_ASSERT(strstr(line, " 2000 ") < strstr(line, " 2100 "));
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "1 difference "));
	/* Finance may look but not apply; nothing changes. */
	write_conf("fin.conf", "s_fin1", 2100);
	snprintf(args, sizeof args, "-c '%s/fin.conf' settings apply",
	    tmpdir);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "permission denied"));
	CU_ASSERT_EQUAL(su_long("SELECT value::text::int FROM settings WHERE "
	    "key = 'apr_cap_bps'"), 2000);
	snprintf(args, sizeof args, "-c '%s/fin.conf' settings show", tmpdir);
	CU_ASSERT_EQUAL(loandesk(args, out, sizeof out, err, sizeof err), 3);
	/* Without a configuration file there is nothing to apply. */
	CU_ASSERT_EQUAL(loandesk("settings apply", out, sizeof out, err,
	    sizeof err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no configuration file"));
}

/* 2. What api.settings_set refuses, all or nothing. */
static void
test_refusals(void)
{
	static const struct {
		const char *values, *sqlstate, *why;
	} cases[] = {
		{ "{\"apr_cap_bps\":3700}", "22023",
		    "setting apr_cap_bps: 3700 is not a whole number from 1 to "
		    "3600" },
		{ "{\"apr_cap_bps\":0}", "22023", "from 1 to 3600" },
		{ "{\"balance_alert_fen\":1,\"per_transfer_max_fen\":59}",
		    "22023", "must be at least twice min_transfer_fen 30" },
		{ "{\"per_user_daily_max_fen\":50}", "22023",
		    "per_user_daily_max_fen 50" },
		{ "{\"min_transfer_fen\":750001}", "22023",
		    "must be at least twice min_transfer_fen 750001" },
		{ "{\"per_transfer_max_fen\":-1}", "22023",
		    "is not a whole number" },
		{ "{\"per_transfer_max_fen\":1000000.5}", "22023",
		    "is not a whole number" },
		{ "{\"per_transfer_max_fen\":\"1000000\"}", "22023",
		    "is not a whole number" },
		{ "{\"merchant_daily_max_fen\":10000000000001}", "22023",
		    "from 1 to 10000000000000" },
		{ "{\"payout_lease_s\":86401}", "22023", "from 1 to 86400" },
		{ "{\"out_bill_prefix\":\"LD1\"}", "22023",
		    "out_bill_prefix: \"LD1\" is not 1 to 4 letters" },
		{ "{\"out_bill_prefix\":\"LOANS\"}", "22023",
		    "is not 1 to 4 letters" },
		{ "{\"out_bill_prefix\":7}", "22023", "is not 1 to 4 letters" },
		{ "{\"dual_control_amount_fen\":1}", "22023",
		    "setting \"dual_control_amount_fen\" is not one "
		    "api.settings_set changes" },
		{ "{}", "22023", "a JSON object of keys and values" },
		{ "[1]", "22023", "a JSON object of keys and values" },
	};
	char out[1024], before[2048], after[2048];
	struct ld_err err;
	size_t i;
	long audits = su_long("SELECT count(*) FROM audit_log");

	su_text(before, sizeof before, "SELECT string_agg(key || '=' || "
	    "value::text, ',' ORDER BY key) FROM settings");
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CU_ASSERT_NOT_EQUAL(set(&admin, cases[i].values, out,
		    sizeof out, &err), LD_OK);
		CU_ASSERT_STRING_EQUAL(admin.sqlstate, cases[i].sqlstate);
		if (strstr(err.msg, cases[i].why) == NULL)
			fprintf(stderr, "%s: %s\n", cases[i].values, err.msg);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].why));
	}
	/* Only an administrator. */
	CU_ASSERT_EQUAL(set(&fin1, "{\"apr_cap_bps\":2000}", out, sizeof out,
	    &err), LD_EPERM);
	CU_ASSERT_EQUAL(set(&risk, "{\"apr_cap_bps\":2000}", out, sizeof out,
	    &err), LD_EPERM);
	su_text(after, sizeof after, "SELECT string_agg(key || '=' || "
	    "value::text, ',' ORDER BY key) FROM settings");
	CU_ASSERT_STRING_EQUAL(after, before);
	CU_ASSERT_EQUAL(su_long("SELECT count(*) FROM audit_log"), audits);
	/* Two keys that are only right together go in one call. */
	CU_ASSERT_EQUAL(set(&admin, "{\"min_transfer_fen\":100,"
	    "\"per_user_daily_max_fen\":200}", out, sizeof out, &err), LD_OK);
	CU_ASSERT_EQUAL(set(&admin, "{\"min_transfer_fen\":30,"
	    "\"per_user_daily_max_fen\":4000000}", out, sizeof out, &err),
	    LD_OK);
	/* The role the function runs as writes settings and nothing else. */
	{
		static const char *const denied[] = {
			"DELETE FROM settings",
			"UPDATE settings SET key = 'x'",
			"SELECT name_enc FROM applicants",
			"UPDATE payouts SET state = state",
			"DELETE FROM audit_log",
			"INSERT INTO reviews (kind, reason) VALUES ('x', 'y')",
		};

		for (i = 0; i < sizeof denied / sizeof denied[0]; i++) {
			su_exec("BEGIN");
			su_exec("SET LOCAL ROLE loandesk_settings");
			ld_err_clear(&err);
			CU_ASSERT_NOT_EQUAL(ld_db_cmd(&su, denied[i], &err),
			    LD_OK);
			CU_ASSERT_STRING_EQUAL(su.sqlstate, "42501");
			su_exec("ROLLBACK");
		}
	}
}

/* 3. A change is announced on channel settings, naming the key. */
static void
test_notify(void)
{
	const char *channels[] = { "settings" };
	struct ld_err err;
	char out[1024];
	int n = 0, i;

	CU_ASSERT_EQUAL_FATAL(ld_db_listen(&listener, channels, 1, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(set(&admin, "{\"balance_alert_fen\":60000000}", out,
	    sizeof out, &err), LD_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"key\": \"balance_alert_fen\""));
	for (i = 0; i < 300 && n == 0; i++) {
		struct pollfd p = { ld_db_socket(&listener), POLLIN, 0 };

		poll(&p, 1, 100);
		CU_ASSERT_EQUAL(ld_db_notifications(&listener, &n, NULL, NULL,
		    &err), LD_OK);
	}
	CU_ASSERT_EQUAL(n, 1);
}

/*
 * 4. The payout functions decide from what was applied: a payout above the
 * new per-transfer maximum is split under the new prefix, and while it is
 * open the prefix stays.
 */
static void
test_payouts_use_applied_figures(void)
{
	char app[32], id[32], out[1024], bills[256];
	const char *p[2];
	struct ld_err err;
	long payout;

	su_exec("INSERT INTO applicants (name_enc, name_bidx, name_masked, "
	    "id_no_enc, id_no_bidx, id_no_masked, phone_enc, phone_bidx, "
	    "phone_masked, openid) VALUES ('\\x01', sha256('a'), '张*三', "
	    "'\\x01', sha256('b'), '110***********1234', '\\x01', sha256('c'), "
	    "'138****5678', 'o_settings')");
	su_exec("INSERT INTO applications (applicant_id, product, amount_fen, "
	    "term_months, rate_bps, status, recommendation, upfront_fee_fen) "
	    "SELECT max(id), 'cash', 1800000, 12, 1500, 'manual_review', "
	    "'manual_review', 0 FROM applicants");
	snprintf(app, sizeof app, "%ld", su_long("SELECT max(id) FROM "
	    "applications"));
	p[0] = app;
	ld_err_clear(&err);
	CU_ASSERT_EQUAL(ld_db_exec(&risk, "SELECT api.application_decide("
	    "$1::bigint, 'approve', 'VERIFIED_INCOME', 'called the employer')",
	    1, p, NULL, &err), LD_OK);
	payout = su_long("SELECT id FROM payouts WHERE application_id = %s",
	    app);
	snprintf(id, sizeof id, "%ld", payout);
	p[0] = id;
	p[1] = "checked";
	CU_ASSERT_EQUAL(ld_db_exec(&fin1, "SELECT api.payout_approve("
	    "$1::bigint, $2)", 2, p, NULL, &err), LD_OK);
	CU_ASSERT_EQUAL(ld_db_exec(&fin2, "SELECT api.payout_approve("
	    "$1::bigint, $2)", 2, p, NULL, &err), LD_OK);
	su_text(bills, sizeof bills, "SELECT string_agg(out_bill_no || ' ' || "
	    "amount_fen, ', ' ORDER BY seq) FROM transfer_bills WHERE "
	    "payout_id = %ld", payout);
	snprintf(out, sizeof out, "LDT%ldS1G0 1500000, LDT%ldS2G0 300000",
	    payout, payout);
	CU_ASSERT_STRING_EQUAL(bills, out);
	CU_ASSERT_NOT_EQUAL(set(&admin, "{\"out_bill_prefix\":\"LDX\"}", out,
	    sizeof out, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(admin.sqlstate, "55000");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "out_bill_prefix stays "
	    "\"LDT\" while payouts have bills that are not final"));
	/* The same prefix again is no change, and is allowed. */
	CU_ASSERT_EQUAL(set(&admin, "{\"out_bill_prefix\":\"LDT\"}", out,
	    sizeof out, &err), LD_OK);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_apply_show_round_trip),
		LD_TEST(test_refusals),
		LD_TEST(test_notify),
		LD_TEST(test_payouts_use_applied_figures),
		LD_TEST_END
	};

	LD_TEST_INIT();
	ld_test_suite("settings", suite_init, suite_clean, cases);
	return ld_test_run();
}
