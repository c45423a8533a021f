/*
 * The console's session with a real primary and a real streaming replica
 * (db/pg-local replica): lists are served by the replica (the server that
 * answered says it is in recovery, and it shows a row the primary has
 * and it has not replayed yet); an idle primary is no lag, a paused
 * replay is, and the console's note says how much; a decision written on
 * the primary is what the operator's next list shows, and the replica
 * serves it once it has replayed it; a stopped replica leaves the lists
 * to the primary, and they go back when it returns.  Every wait is for a
 * condition, with a generous limit.
 *
 * The lag arithmetic and the WAL position parser are checked first on
 * their own, with figures worked out by hand.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/core_apps.h"
#include "core/core_audit_view.h"
#include "core/core_session.h"
#include "ld_db.h"
#include "ld_migrate.h"
#include "ld_paths.h"
#include "ld_test.h"
#include "ld_testdb.h"

/* ---- lag arithmetic -------------------------------------------------- */

static void
test_lsn_text(void)
{
	CU_ASSERT_EQUAL(core_session_lsn("0/3000000"), 0x3000000u);
	CU_ASSERT_EQUAL(core_session_lsn("16/B374D848"),
	    ((uint64_t)0x16 << 32) | 0xB374D848u);
	CU_ASSERT_EQUAL(core_session_lsn(""), 0);
	CU_ASSERT_EQUAL(core_session_lsn("16"), 0);
	CU_ASSERT_EQUAL(core_session_lsn("16/"), 0);
	CU_ASSERT_EQUAL(core_session_lsn("x/1"), 0);
	CU_ASSERT_EQUAL(core_session_lsn("1/2 "), 0);
	CU_ASSERT_EQUAL(core_session_lsn("100000000/0"), 0);
}

static void
test_lag_of_samples(void)
{
	/* The primary at 100 (t=0 s), 200 (t=10 s), 300 (t=20 s). */
	const uint64_t lsn[] = { 100, 200, 300 };
	const double t[] = { 0, 10000, 20000 };

	/* Replayed the newest: no lag, however old the last commit is. */
	CU_ASSERT_DOUBLE_EQUAL(core_session_lag_of(lsn, t, 3, 300, 25000,
	    3600), 0, 1e-9);
	/* Replayed up to 200: behind since the primary had 300, at 20 s. */
	CU_ASSERT_DOUBLE_EQUAL(core_session_lag_of(lsn, t, 3, 200, 25000,
	    3600), 5, 1e-9);
	/* Between samples: the first sample past it bounds the lag. */
	CU_ASSERT_DOUBLE_EQUAL(core_session_lag_of(lsn, t, 3, 150, 25000,
	    3600), 15, 1e-9);
	/*
	 * Behind even the oldest sample: it was behind before anyone
	 * looked; the age of its last replayed commit is the better bound
	 * when larger, and never lowers the samples' figure.
	 */
	CU_ASSERT_DOUBLE_EQUAL(core_session_lag_of(lsn, t, 3, 50, 25000,
	    3600), 3600, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(core_session_lag_of(lsn, t, 3, 50, 25000, 1),
	    25, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(core_session_lag_of(lsn, t, 3, 50, 25000, -1),
	    25, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(core_session_lag_of(lsn, t, 0, 50, 25000, 9),
	    0, 1e-9);
}

/* ---- primary and replica --------------------------------------------- */

static struct ld_testdb tdb;
static struct ld_db su;      /* the primary's superuser */
static struct ld_db su_rep;  /* the replica's */
static struct core_session *sess;
static char primary_dir[300], replica_dir[300];
static char read_conninfo[512];

static int
shell(const char *fmt, const char *a, const char *b)
{
	char cmd[2048];

	snprintf(cmd, sizeof cmd, fmt, tdb.pg_local, a, b);
	return system(cmd);
}

static void
exec_on(struct ld_db *db, const char *sql)
{
	struct ld_err err;

	ld_err_clear(&err);
	if (ld_db_cmd(db, sql, &err) != LD_OK) {
		fprintf(stderr, "%s\n  in: %s\n", err.msg, sql);
		CU_FAIL_FATAL("superuser statement failed");
	}
}

static int64_t
int_on(struct ld_db *db, const char *sql)
{
	struct ld_err err;
	PGresult *res;
	int64_t v = -1;

	ld_err_clear(&err);
	if (ld_db_exec(db, sql, 0, NULL, &res, &err) != LD_OK) {
		fprintf(stderr, "%s\n  in: %s\n", err.msg, sql);
		return -1;
	}
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

/* Polls cond every 20 ms for up to 60 s; whether it came true. */
static int
wait_for(int (*cond)(void *), void *arg)
{
	int i;

	for (i = 0; i < 3000; i++) {
		if (cond(arg))
			return 1;
		(void)poll(NULL, 0, 20);
	}
	return cond(arg);
}

/* The replica has replayed everything the primary has written. */
static int
replica_caught_up(void *arg)
{
	char sql[160];
	int64_t lsn;

	(void)arg;
	lsn = int_on(&su, "SELECT pg_current_wal_lsn() - '0/0'");
	snprintf(sql, sizeof sql, "SELECT (pg_last_wal_replay_lsn() - '0/0' "
	    ">= %" PRId64 ")::int", lsn);
	return lsn > 0 && int_on(&su_rep, sql) == 1;
}

static int64_t
new_application(const char *status)
{
	char sql[512];

	snprintf(sql, sizeof sql, "INSERT INTO applications (applicant_id, "
	    "product, amount_fen, term_months, rate_bps, status, "
	    "recommendation) SELECT max(id), 'cash', 500000, 12, 1800, '%s', "
	    "'%s' FROM applicants RETURNING id", status, status);
	return int_on(&su, sql);
}

static int
suite_init(void)
{
	struct ld_err err;
	struct ld_migration_set set;
	int applied;

	if (ld_testdb_start(&tdb) != 0)
		return -1;
	ld_err_clear(&err);
	if (ld_db_connect(&su, "", "test_replica", &err) != LD_OK ||
	    ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK ||
	    ld_migrations_apply(&su, &set, NULL, &applied, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	ld_migrations_free(&set);
	/* The rows below reach the replica by streaming, not in its copy. */
	snprintf(primary_dir, sizeof primary_dir, "%s/c", tdb.dir);
	snprintf(replica_dir, sizeof replica_dir, "%s/r", tdb.dir);
	if (shell("sh '%s' replica '%s' '%s' >/dev/null", primary_dir,
	    replica_dir) != 0)
		return -1;
	/*
	 * Nothing commits behind the test's back (autovacuum's ANALYZE
	 * would), so an idle primary is idle.
	 */
	if (ld_db_cmd(&su, "ALTER SYSTEM SET autovacuum = off", &err) !=
	    LD_OK || ld_db_cmd(&su, "SELECT pg_reload_conf()", &err) !=
	    LD_OK || ld_db_cmd(&su, "CREATE ROLE tr_risk LOGIN IN ROLE "
	    "loandesk_risk", &err) != LD_OK ||
	    ld_db_cmd(&su, "INSERT INTO applicants "
	    "(name_enc, name_bidx, name_masked, id_no_enc, id_no_bidx, "
	    "id_no_masked, phone_enc, phone_bidx, phone_masked, openid) "
	    "VALUES ('\\x01', sha256('n'), '张*三', '\\x01', sha256('i'), "
	    "'110***********1234', '\\x01', sha256('p'), '138****5678', "
	    "'oT1')", &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	(void)new_application("auto_approved");
	(void)new_application("manual_review");
	if (ld_db_cmd(&su, "SELECT audit_record('test.row', 'test', 'x', "
	    "'{}')", &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
suite_clean(void)
{
	core_session_free(sess);
	ld_db_close(&su_rep);
	ld_db_close(&su);
	if (replica_dir[0] != '\0')
		(void)shell("sh '%s' destroy '%s'%s >/dev/null 2>&1",
		    replica_dir, "");
	ld_testdb_stop(&tdb);
	return 0;
}

/* The one application id, as the session's list shows it. */
static enum ld_status
list_one(int64_t id, struct core_apps_page *p, struct ld_err *err)
{
	struct core_apps_filter f;

	core_apps_filter_clear(&f);
	f.id = id;
	ld_err_clear(err);
	return core_apps_fetch(sess, &f, CORE_SORT_SUBMITTED, 1, NULL, 0, 0,
	    50, p, err);
}

static void
test_list_served_by_replica(void)
{
	struct core_apps_filter f;
	struct core_apps_page p;
	struct core_audit_filter af;
	struct core_audit_page ap;
	struct ld_err err;
	char conninfo[400];

	/* pg-local replica wrote nothing the test needs but its socket. */
	snprintf(conninfo, sizeof conninfo, "host=%s/sock user=postgres "
	    "dbname=loandesk", replica_dir);
	ld_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&su_rep, conninfo, "test", &err),
	    LD_OK);
	CU_ASSERT_EQUAL_FATAL(int_on(&su_rep,
	    "SELECT pg_is_in_recovery()::int"), 1);
	CU_ASSERT_FATAL(wait_for(replica_caught_up, NULL));

	snprintf(read_conninfo, sizeof read_conninfo, "host=%s/sock "
	    "user=tr_risk dbname=loandesk", replica_dir);
	sess = core_session_new("user=tr_risk", read_conninfo, "test");
	/* Measured every 50 ms, retried every 100 ms, said past 1 s. */
	core_session_set_timing(sess, 50, 100, 1);
	CU_ASSERT_EQUAL_FATAL(core_session_connect(sess, &err), LD_OK);

	core_apps_filter_clear(&f);
	CU_ASSERT_EQUAL_FATAL(core_apps_fetch(sess, &f, CORE_SORT_SUBMITTED,
	    1, NULL, 0, 0, 50, &p, &err), LD_OK);
	CU_ASSERT_EQUAL(p.n, (size_t)int_on(&su,
	    "SELECT count(*) FROM applications"));
	core_apps_page_free(&p);
	CU_ASSERT_EQUAL(core_session_served(sess), CORE_SERVER_REPLICA);
	/* The server that answered is a standby, by its own account. */
	CU_ASSERT_EQUAL(core_session_served_in_recovery(sess, &err), 1);

	/* The audit view reads there too. */
	memset(&af, 0, sizeof af);
	CU_ASSERT_EQUAL_FATAL(core_audit_fetch(sess, &af, 0, 10, &ap, &err),
	    LD_OK);
	CU_ASSERT(ap.n > 0);
	core_audit_page_free(&ap);
	CU_ASSERT_EQUAL(core_session_served(sess), CORE_SERVER_REPLICA);
}

/* The replica's last replayed commit is older than 1.2 s. */
static int
last_replay_old(void *arg)
{
	(void)arg;
	return int_on(&su_rep, "SELECT (now() - "
	    "pg_last_xact_replay_timestamp() > interval '1.2 s')::int") == 1;
}

struct measured {
	int want_note;   /* wait for a note (1) or for none (0) */
	char note[160];
};

/* Polls the session once; whether its note is (or is not) there. */
static int
note_is(void *arg)
{
	struct measured *m = arg;
	struct ld_err err;
	int n;

	ld_err_clear(&err);
	if (core_session_poll(sess, &n, &err) != LD_OK)
		return 0;
	return core_session_replica_note(sess, m->note, sizeof m->note) ==
	    m->want_note;
}

/*
 * Nothing written for a while: the last replayed commit is old, and
 * that is no lag.
 */
static void
test_idle_primary_is_not_lag(void)
{
	struct core_replica_state r;
	struct measured m = { 0, "" };

	CU_ASSERT_FATAL(wait_for(replica_caught_up, NULL));
	CU_ASSERT_FATAL(wait_for(last_replay_old, NULL));
	CU_ASSERT(note_is(&m));
	core_session_replica(sess, &r);
	CU_ASSERT(r.configured && r.up && r.measured);
	/* Not the 1.2 s and more the last replayed commit's age says. */
	CU_ASSERT(r.lag_s < 0.5);
	CU_ASSERT_STRING_EQUAL(m.note, "");
}

static int
replay_paused(void *arg)
{
	(void)arg;
	return int_on(&su_rep, "SELECT (pg_get_wal_replay_pause_state() = "
	    "'paused')::int") == 1;
}

static int64_t decided_app;

/*
 * Replay paused: the list shows the replica's older view (a row the
 * primary has is missing, which only the replica could have answered),
 * the lag grows and is said; the operator's own decision still shows in
 * their next list, read from the primary.
 */
static void
test_paused_replay_is_lag(void)
{
	struct core_apps_page p;
	struct core_replica_state r;
	struct measured m = { 1, "" };
	struct ld_err err;
	enum core_app_status status;
	double lag;
	int64_t fresh;

	exec_on(&su_rep, "SELECT pg_wal_replay_pause()");
	CU_ASSERT_FATAL(wait_for(replay_paused, NULL));
	fresh = new_application("auto_approved");
	CU_ASSERT_FATAL(fresh > 0);

	CU_ASSERT_EQUAL_FATAL(list_one(fresh, &p, &err), LD_OK);
	CU_ASSERT_EQUAL(core_session_served(sess), CORE_SERVER_REPLICA);
	CU_ASSERT_EQUAL(p.n, 0);
	core_apps_page_free(&p);

	CU_ASSERT_FATAL(wait_for(note_is, &m));
	core_session_replica(sess, &r);
	CU_ASSERT(r.lag_s >= 1);
	CU_ASSERT(sscanf(m.note, "replica %lf s behind: lists may be stale",
	    &lag) == 1 && lag >= 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(m.note, "lists may be stale"));

	/* The operator decides: their next list reads the primary. */
	decided_app = fresh;
	ld_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(core_application_decide(
	    core_session_primary(sess), fresh, CORE_APPROVE, "MODEL_AGREE",
	    NULL, &status, &err), LD_OK);
	CU_ASSERT_EQUAL(status, CORE_APP_APPROVED);
	CU_ASSERT_EQUAL_FATAL(list_one(fresh, &p, &err), LD_OK);
	CU_ASSERT_EQUAL(core_session_served(sess), CORE_SERVER_PRIMARY);
	CU_ASSERT_EQUAL_FATAL(p.n, 1);
	CU_ASSERT_EQUAL(p.rows[0].status, CORE_APP_APPROVED);
	core_apps_page_free(&p);
	CU_ASSERT_EQUAL(core_session_served_in_recovery(sess, &err), 0);
	CU_ASSERT_EQUAL(core_session_replica_note(sess, m.note,
	    sizeof m.note), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(m.note, "reading from the primary"));
}

struct served {
	int64_t id;
	int bad;       /* a list that did not show the decision */
};

/* The list shows the decision; true once the replica served it. */
static int
replica_shows_decision(void *arg)
{
	struct served *sv = arg;
	struct core_apps_page p;
	struct ld_err err;
	int replica;

	if (list_one(sv->id, &p, &err) != LD_OK) {
		sv->bad++;
		return 0;
	}
	if (p.n != 1 || p.rows[0].status != CORE_APP_APPROVED)
		sv->bad++;
	core_apps_page_free(&p);
	replica = core_session_served(sess) == CORE_SERVER_REPLICA;
	return replica && core_session_served_in_recovery(sess, &err) == 1;
}

/*
 * Replay resumed: the decision reaches the replica, which serves the
 * list again; never, meanwhile, a list without the decision.
 */
static void
test_decision_seen_on_replica(void)
{
	struct served sv = { decided_app, 0 };
	struct measured m = { 0, "" };
	char sql[160];

	CU_ASSERT_FATAL(decided_app > 0);
	exec_on(&su_rep, "SELECT pg_wal_replay_resume()");
	CU_ASSERT(wait_for(replica_shows_decision, &sv));
	CU_ASSERT_EQUAL(sv.bad, 0);
	snprintf(sql, sizeof sql, "SELECT (status = 'approved')::int FROM "
	    "applications WHERE id = %" PRId64, decided_app);
	CU_ASSERT_EQUAL(int_on(&su_rep, sql), 1);
	/* Caught up: the note goes. */
	CU_ASSERT(wait_for(note_is, &m));
	CU_ASSERT_STRING_EQUAL(m.note, "");
}

static int
served_by_replica(void *arg)
{
	struct core_apps_page p;
	struct ld_err err;

	if (list_one(*(int64_t *)arg, &p, &err) != LD_OK)
		return 0;
	core_apps_page_free(&p);
	return core_session_served(sess) == CORE_SERVER_REPLICA;
}

/* The replica stops: the primary serves; it starts: it serves again. */
static void
test_fallback_and_return(void)
{
	struct core_apps_page p;
	struct ld_err err;
	char note[160];

	CU_ASSERT_EQUAL_FATAL(shell("sh '%s' stop '%s'%s >/dev/null",
	    replica_dir, ""), 0);
	ld_db_close(&su_rep);
	CU_ASSERT_EQUAL_FATAL(list_one(decided_app, &p, &err), LD_OK);
	CU_ASSERT_EQUAL(core_session_served(sess), CORE_SERVER_PRIMARY);
	CU_ASSERT_EQUAL_FATAL(p.n, 1);
	CU_ASSERT_EQUAL(p.rows[0].status, CORE_APP_APPROVED);
	core_apps_page_free(&p);
	CU_ASSERT_EQUAL(core_session_served_in_recovery(sess, &err), 0);
	CU_ASSERT_EQUAL(core_session_replica_note(sess, note, sizeof note),
	    1);
	CU_ASSERT_STRING_EQUAL(note, "replica unreachable: reading from the "
	    "primary");

	CU_ASSERT_EQUAL_FATAL(shell("sh '%s' start '%s'%s >/dev/null",
	    replica_dir, ""), 0);
	CU_ASSERT(wait_for(served_by_replica, &decided_app));
	CU_ASSERT_EQUAL(core_session_served_in_recovery(sess, &err), 1);
	CU_ASSERT_EQUAL(core_session_replica_note(sess, note, sizeof note),
	    0);
}

int
main(void)
{
	static const struct ld_test_case pure[] = {
		LD_TEST(test_lsn_text),
		LD_TEST(test_lag_of_samples),
		LD_TEST_END
	};
	static const struct ld_test_case cases[] = {
		LD_TEST(test_list_served_by_replica),
		LD_TEST(test_idle_primary_is_not_lag),
		LD_TEST(test_paused_replay_is_lag),
		LD_TEST(test_decision_seen_on_replica),
		LD_TEST(test_fallback_and_return),
		LD_TEST_END
	};

	LD_TEST_INIT();
	ld_test_suite("replica lag arithmetic", NULL, NULL, pure);
	ld_test_suite("primary and streaming replica", suite_init,
	    suite_clean, cases);
	return ld_test_run();
}
