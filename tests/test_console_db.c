/*
 * The console's read models and use cases against a real database: the
 * decision preview's note against what api.application_decide enforces,
 * the state tables of core_states.h against the schema and the api
 * functions,
 * the list's size estimate, the incremental chain verification and its
 * cancellation, the notifications new applications send (0007), the
 * review queue's order and filters, and the application an audit row is
 * about.
 */
#include "config.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/core_apps.h"
#include "core/core_audit_view.h"
#include "core/core_case.h"
#include "core/core_query.h"
#include "core/core_reviews.h"
#include "core/core_session.h"
#include "ld_audit.h"
#include "ld_db.h"
#include "ld_migrate.h"
#include "ld_paths.h"
#include "ld_test.h"
#include "ld_testdb.h"

static struct ld_testdb tdb;
static struct ld_db su; /* the cluster's superuser */
static struct core_session *sus; /* the same, as the console reads */

/* A session as the console opens one, as role user ("": PGUSER). */
static struct core_session *
session_as(const char *conninfo)
{
	struct core_session *s = core_session_new(conninfo, "", "test");
	struct ld_err err;

	ld_err_clear(&err);
	if (core_session_connect(s, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		core_session_free(s);
		return NULL;
	}
	return s;
}

static void
su_exec(const char *sql)
{
	struct ld_err err;

	ld_err_clear(&err);
	if (ld_db_cmd(&su, sql, &err) != LD_OK) {
		fprintf(stderr, "%s\n  in: %s\n", err.msg, sql);
		CU_FAIL_FATAL("superuser statement failed");
	}
}

static int64_t
su_int(const char *sql)
{
	struct ld_err err;
	PGresult *res;
	int64_t v = -1;

	ld_err_clear(&err);
	if (ld_db_exec(&su, sql, 0, NULL, &res, &err) != LD_OK) {
		fprintf(stderr, "%s\n  in: %s\n", err.msg, sql);
		return -1;
	}
	if (PQntuples(res) == 1)
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

static int
suite_init(void)
{
	struct ld_err err;
	struct ld_migration_set set;
	int applied;

	if (ld_testdb_start(&tdb) != 0)
		return -1;
	if (ld_db_connect(&su, "", "test_console_db", &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	if (ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK ||
	    ld_migrations_apply(&su, &set, NULL, &applied, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	ld_migrations_free(&set);
	if ((sus = session_as("")) == NULL)
		return -1;
	if (ld_db_cmd(&su, "CREATE ROLE tc_risk LOGIN IN ROLE loandesk_risk",
	    &err) != LD_OK || ld_db_cmd(&su, "INSERT INTO applicants (name_enc, name_bidx, name_masked, "
	    "id_no_enc, id_no_bidx, id_no_masked, phone_enc, phone_bidx, "
	    "phone_masked, openid) VALUES ('\\x00', sha256('n'), '张*三', "
	    "'\\x00', sha256('i'), '110***********1234', '\\x00', "
	    "sha256('p'), '138****0001', 'oT1')", &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
suite_clean(void)
{
	core_session_free(sus);
	ld_db_close(&su);
	ld_testdb_stop(&tdb);
	return 0;
}

/* A scored application with the model's recommendation rec. */
static int64_t
scored_application(const char *rec)
{
	char sql[512];

	snprintf(sql, sizeof sql, "INSERT INTO applications (applicant_id, "
	    "product, amount_fen, term_months, rate_bps, status, points, "
	    "pd_bps, band, recommendation) SELECT min(id), 'cash_loan', "
	    "100000, 12, 1800, 'scored', 550, 900, 'B', '%s' FROM applicants "
	    "RETURNING id", rec);
	return su_int(sql);
}

/*
 * For every decision and recommendation: the database refuses the
 * decision without a note exactly when its preview (core_decision_preview)
 * told the console to ask for one.  What the database wants is found by
 * trying (the note-less call, rolled back).
 */
static void
test_override_rule_matches_database(void)
{
	struct ld_db op;
	struct ld_err err;
	int d, r, recs = 0;
	int overrides_seen = 0;

	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=tc_risk", "test", &err),
	    LD_OK);
	for (r = CORE_APP_NONE + 1; r < CORE_APP_STATUS_COUNT; r++) {
		const char *rec = core_app_status_sql((enum core_app_status)r);
		int64_t id;

		/* Every recommendation scoring makes. */
		if (!core_app_status_is((enum core_app_status)r,
		    CORE_ST_RECOMMEND))
			continue;
		recs++;
		id = scored_application(rec);
		CU_ASSERT_FATAL(id > 0);
		for (d = 0; d < CORE_DECISION_COUNT; d++) {
			char idt[24];
			const char *params[4] = { idt,
				core_decision_name((enum core_decision)d),
				"OTHER", NULL };
			struct core_decision_preview pv;
			enum ld_status st;
			int db_wants_note, client_wants_note;

			snprintf(idt, sizeof idt, "%" PRId64, id);
			ld_err_clear(&err);
			CU_ASSERT_EQUAL_FATAL(core_decision_preview(&op, id,
			    (enum core_decision)d, &pv, &err), LD_OK);
			CU_ASSERT_EQUAL_FATAL(ld_db_begin(&op, &err), LD_OK);
			st = ld_db_exec(&op, "SELECT api.application_decide("
			    "$1, $2, $3, $4)", 4, params, NULL, &err);
			ld_db_rollback(&op);
			db_wants_note = st == LD_EINVAL &&
			    strstr(err.msg, "a note is required") != NULL;
			/* Anything else it refused would void the check. */
			CU_ASSERT(st == LD_OK || db_wants_note);
			client_wants_note = pv.note_required;
			if (db_wants_note != client_wants_note)
				fprintf(stderr, "%s on %s: database %s a note, "
				    "console %s\n", params[1], rec,
				    db_wants_note ? "wants" : "does not want",
				    client_wants_note ? "asks" : "does not ask");
			CU_ASSERT_EQUAL(db_wants_note, client_wants_note);
			overrides_seen += db_wants_note;
		}
	}
	/* Both directions of override exist, so the check saw both. */
	CU_ASSERT_EQUAL(recs, 3);
	CU_ASSERT_EQUAL(overrides_seen, 2);
	ld_db_close(&op);
}

/*
 * For every status and decision: the database refuses the decision (for
 * its state, not its note) exactly when core_decision_refusal says the
 * console must not offer it.  Each try carries a note and is rolled back.
 */
static void
test_state_rule_matches_database(void)
{
	struct ld_db op;
	struct ld_err err;
	int d, s;
	int refused_seen = 0;

	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=tc_risk", "test", &err),
	    LD_OK);
	for (s = CORE_APP_NONE + 1; s < CORE_APP_STATUS_COUNT; s++) {
		const char *status = core_app_status_sql(
		    (enum core_app_status)s);
		char sql[256];
		int64_t id = scored_application("manual_review");

		CU_ASSERT_FATAL(id > 0);
		snprintf(sql, sizeof sql, "UPDATE applications SET status = "
		    "'%s' WHERE id = %" PRId64, status, id);
		su_exec(sql);
		for (d = 0; d < CORE_DECISION_COUNT; d++) {
			char idt[24];
			const char *params[4] = { idt,
				core_decision_name((enum core_decision)d),
				"OTHER", "checked by the test" };
			const char *why;
			PGresult *res;
			enum ld_status st;
			int db_refuses;

			snprintf(idt, sizeof idt, "%" PRId64, id);
			ld_err_clear(&err);
			CU_ASSERT_EQUAL_FATAL(ld_db_begin(&op, &err), LD_OK);
			st = ld_db_exec(&op, "SELECT api.application_decide("
			    "$1, $2, $3, $4)", 4, params, &res, &err);
			/* Taken, it leads where the table says. */
			if (st == LD_OK) {
				CU_ASSERT_STRING_EQUAL(PQgetvalue(res, 0, 0),
				    core_app_status_sql(core_decision_outcome(
				    (enum core_decision)d)));
				PQclear(res);
			}
			ld_db_rollback(&op);
			db_refuses = st != LD_OK;
			/* Only the state may be the reason it refused. */
			if (db_refuses)
				CU_ASSERT_EQUAL(st, LD_ECONFLICT);
			why = core_decision_refusal((enum core_decision)d,
			    (enum core_app_status)s);
			if (db_refuses != (why != NULL))
				fprintf(stderr, "%s on %s: database %s (%s), "
				    "console %s\n", params[1], status,
				    db_refuses ? "refuses" : "accepts",
				    err.msg, why ? why : "offers it");
			CU_ASSERT_EQUAL(db_refuses, why != NULL);
			refused_seen += db_refuses;
		}
	}
	/*
	 * received x3, approved x3, rejected x3, cancelled x3 (its trigger,
	 * 0020), review of manual_review.
	 */
	CU_ASSERT_EQUAL(refused_seen, 13);
	ld_db_close(&op);
}

/*
 * The words a CHECK (or a trigger's WHEN) allows, as the database prints
 * its definition, sorted and joined by commas: of the definitions sql_def
 * lists for relation rel, the one matching def_re, in the part of it
 * from_re matches.  A list reads ARRAY['a'::text, ...] as a migration
 * wrote it, or '{a,...}'::text[] once one rebuilt it from the old (0020):
 * both are read.
 */
static void
schema_words(const char *sql_def, const char *rel, const char *def_re,
    const char *from_re, char *buf, size_t len)
{
	const char *params[3] = { rel, def_re, from_re };
	struct ld_err err;
	PGresult *res;
	char sql[768];

	snprintf(sql, sizeof sql, "SELECT coalesce(string_agg(DISTINCT w "
	    "COLLATE \"C\", ',' ORDER BY w COLLATE \"C\"), '') FROM "
	    "(%s) d(def), LATERAL ("
	    "SELECT m[1] FROM regexp_matches(substring(d.def FROM $3), "
	    "'''([a-z_]+)''::text', 'g') m UNION ALL "
	    "SELECT unnest(string_to_array(m[1], ',')) FROM "
	    "regexp_matches(substring(d.def FROM $3), "
	    "'''\\{([a-z_,]+)\\}''::text\\[\\]', 'g') m) x(w) "
	    "WHERE d.def ~ $2", sql_def);
	buf[0] = '\0';
	ld_err_clear(&err);
	if (ld_db_exec(&su, sql, 3, params, &res, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		CU_FAIL("reading the schema");
		return;
	}
	snprintf(buf, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

static int
cmp_words(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* words[0..n) sorted and joined by commas. */
static void
join_words(const char **words, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;

	qsort(words, n, sizeof *words, cmp_words);
	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
		    words[i]);
}

static const char constraint_defs[] = "SELECT pg_get_constraintdef(c.oid) "
    "FROM pg_constraint c WHERE c.conrelid = $1::regclass AND "
    "c.contype = 'c'";
static const char trigger_defs[] = "SELECT pg_get_triggerdef(t.oid) FROM "
    "pg_trigger t WHERE t.tgrelid = $1::regclass";

/*
 * The tables of core_states.h hold the words the schema stores, no more
 * and no fewer: each read back from the database's own definition.
 */
static void
test_state_words_match_schema(void)
{
	const char *w[16];
	char want[256], got[256];
	size_t n;
	int i;

	/* Application statuses, and the recommendations scoring writes. */
	for (n = 0, i = CORE_APP_NONE + 1; i < CORE_APP_STATUS_COUNT; i++)
		w[n++] = core_app_status_sql((enum core_app_status)i);
	join_words(w, n, want, sizeof want);
	schema_words(constraint_defs, "applications",
	    "^CHECK \\(\\(status = ANY", "ANY.*$", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, want);
	for (n = 0, i = CORE_APP_NONE + 1; i < CORE_APP_STATUS_COUNT; i++)
		if (core_app_status_is((enum core_app_status)i,
		    CORE_ST_RECOMMEND))
			w[n++] = core_app_status_sql((enum core_app_status)i);
	join_words(w, n, want, sizeof want);
	schema_words(constraint_defs, "applications",
	    "^CHECK \\(\\(recommendation = ANY", "ARRAY.*$", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, want);
	schema_words(constraint_defs, "scores", "^CHECK \\(\\(decision = ANY",
	    "ARRAY.*$", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, want);
	/* What scoring may make of a received application (the guard). */
	for (n = 0, i = CORE_APP_NONE + 1; i < CORE_APP_STATUS_COUNT; i++)
		if (core_app_status_is((enum core_app_status)i,
		    CORE_ST_SCORED))
			w[n++] = core_app_status_sql((enum core_app_status)i);
	join_words(w, n, want, sizeof want);
	schema_words(trigger_defs, "applications", "applications_guard",
	    "new\\.status.*$", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, want);
	/* Decisions, as decision_reasons.applies_to holds them. */
	for (n = 0, i = 0; i < CORE_DECISION_COUNT; i++)
		w[n++] = core_decision_name((enum core_decision)i);
	join_words(w, n, want, sizeof want);
	schema_words(constraint_defs, "decision_reasons", "applies_to <@",
	    "ARRAY.*$", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, want);
	/* Review states and kinds. */
	for (n = 0, i = CORE_REVIEW_STATE_NONE + 1;
	    i < CORE_REVIEW_STATE_COUNT; i++)
		w[n++] = core_review_state_sql((enum core_review_state)i);
	join_words(w, n, want, sizeof want);
	schema_words(constraint_defs, "reviews", "^CHECK \\(\\(state = ANY",
	    "ARRAY.*$", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, want);
	for (n = 0, i = CORE_REVIEW_KIND_ANY + 1; i < CORE_REVIEW_KIND_COUNT;
	    i++)
		w[n++] = core_review_kind_sql((enum core_review_kind)i);
	join_words(w, n, want, sizeof want);
	schema_words(constraint_defs, "reviews", "^CHECK \\(\\(kind = ANY",
	    "ANY.*$", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, want);
	/* Words round-trip; unknown ones are no state. */
	for (i = CORE_APP_NONE + 1; i < CORE_APP_STATUS_COUNT; i++)
		CU_ASSERT_EQUAL(core_app_status_parse(core_app_status_sql(
		    (enum core_app_status)i)), i);
	CU_ASSERT_EQUAL(core_app_status_parse("approve"), CORE_APP_NONE);
	CU_ASSERT_EQUAL(core_app_status_parse(NULL), CORE_APP_NONE);
	CU_ASSERT_EQUAL(core_decision_parse("approved"), -1);
	CU_ASSERT_EQUAL(core_review_kind_parse("loan"), CORE_REVIEW_KIND_ANY);
}

/* A review of a new application in state (a claimed one is tc_risk's). */
static int64_t
review_in(enum core_review_state state)
{
	char sql[512];
	int64_t app = scored_application("manual_review");

	snprintf(sql, sizeof sql, "INSERT INTO reviews (kind, application_id, "
	    "reason, state, assignee, closed_at) VALUES ('application', "
	    "%" PRId64 ", 'SECOND_OPINION', '%s', %s, %s) RETURNING id", app,
	    core_review_state_sql(state),
	    state == CORE_REVIEW_STATE_CLAIMED ? "'tc_risk'" : "NULL",
	    state == CORE_REVIEW_STATE_CLOSED ? "now()" : "NULL");
	return su_int(sql);
}

/*
 * For every review state and every action an officer takes on a review:
 * the api.review_* function takes it exactly when core_review_next
 * allows it, and leaves the state the table says.  As the holder of a
 * claimed review, so that only the state decides; each try rolled back.
 */
static void
test_review_moves_match_database(void)
{
	static const char *const calls[] = {
		[CORE_REVIEW_DO_CLAIM] = "SELECT api.review_claim($1::bigint)",
		[CORE_REVIEW_DO_ASSIGN] =
		    "SELECT api.review_assign($1::bigint, 'tc_risk2')",
		[CORE_REVIEW_DO_RELEASE] =
		    "SELECT api.review_release($1::bigint)",
	};
	struct ld_db op;
	struct ld_err err;
	int s, a, taken = 0;

	su_exec("DO $$ BEGIN CREATE ROLE tc_risk2 LOGIN IN ROLE "
	    "loandesk_risk; EXCEPTION WHEN duplicate_object THEN NULL; "
	    "END $$");
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=tc_risk", "test", &err),
	    LD_OK);
	for (s = CORE_REVIEW_STATE_NONE + 1; s < CORE_REVIEW_STATE_COUNT; s++) {
		int64_t id = review_in((enum core_review_state)s);

		CU_ASSERT_FATAL(id > 0);
		for (a = 0; a < (int)(sizeof calls / sizeof calls[0]); a++) {
			enum core_review_state to = core_review_next(
			    (enum core_review_state)s,
			    (enum core_review_action)a);
			char idt[24];
			const char *params[1] = { idt };
			PGresult *res;
			enum ld_status st;

			snprintf(idt, sizeof idt, "%" PRId64, id);
			ld_err_clear(&err);
			CU_ASSERT_EQUAL_FATAL(ld_db_begin(&op, &err), LD_OK);
			st = ld_db_exec(&op, calls[a], 1, params, NULL, &err);
			if (st == LD_OK) {
				CU_ASSERT_EQUAL(ld_db_exec(&op, "SELECT state "
				    "FROM reviews WHERE id = $1::bigint", 1,
				    params, &res, &err), LD_OK);
				CU_ASSERT_EQUAL(core_review_state_parse(
				    PQgetvalue(res, 0, 0)), to);
				PQclear(res);
				taken++;
			}
			ld_db_rollback(&op);
			if ((st == LD_OK) != (to != CORE_REVIEW_STATE_NONE))
				fprintf(stderr, "%s on a %s review: database "
				    "%s (%s), table %s\n",
				    core_review_action_sql(
				    (enum core_review_action)a),
				    core_review_state_sql(
				    (enum core_review_state)s),
				    st == LD_OK ? "takes it" : "refuses",
				    err.msg, to != CORE_REVIEW_STATE_NONE ?
				    "allows it" : "does not");
			/* Refused for its state, not for who asked. */
			if (st != LD_OK)
				CU_ASSERT_EQUAL(st, LD_ECONFLICT);
			CU_ASSERT_EQUAL(st == LD_OK,
			    to != CORE_REVIEW_STATE_NONE);
		}
	}
	/* open: claim, assign; claimed: assign, release. */
	CU_ASSERT_EQUAL(taken, 4);
	ld_db_close(&op);
}

/* The event of c whose action is action, or NULL. */
static const struct core_event *
find_event(const struct core_case *c, const char *action)
{
	size_t i;

	for (i = 0; i < c->nevents; i++)
		if (strcmp(c->events[i].action, action) == 0)
			return &c->events[i];
	return NULL;
}

/*
 * The case's timeline holds what was done to its review cases, which
 * the audit log records against the review, newest first among the
 * application's own rows; another application's reviews stay out.  The
 * header has the open review's age, and a role that may not read scores
 * still sees the timeline.
 */
static void
test_case_timeline_has_reviews(void)
{
	struct ld_db op, fin;
	struct ld_err err;
	struct core_case c;
	const struct core_event *e;
	char sql[512], object[40], warn[160];
	int64_t id = scored_application("manual_review");
	int64_t other = scored_application("manual_review");
	int64_t rid, orid;
	size_t i;

	CU_ASSERT_FATAL(id > 0 && other > 0);
	snprintf(sql, sizeof sql, "UPDATE applications SET status = "
	    "'manual_review' WHERE id IN (%" PRId64 ", %" PRId64 ")", id,
	    other);
	su_exec(sql);
	snprintf(sql, sizeof sql, "INSERT INTO reviews (kind, application_id, "
	    "reason, opened_at) VALUES ('application', %" PRId64 ", "
	    "'SECOND_OPINION', now() - interval '27 minutes') RETURNING id",
	    id);
	rid = su_int(sql);
	snprintf(sql, sizeof sql, "INSERT INTO reviews (kind, application_id, "
	    "reason) VALUES ('application', %" PRId64 ", 'SECOND_OPINION') "
	    "RETURNING id", other);
	orid = su_int(sql);
	CU_ASSERT_FATAL(rid > 0 && orid > 0);
	su_exec("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE "
	    "rolname = 'tc_fin') THEN CREATE ROLE tc_fin LOGIN IN ROLE "
	    "loandesk_finance; END IF; END $$");

	ld_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&op, "user=tc_risk", "test", &err),
	    LD_OK);
	snprintf(sql, sizeof sql, "SELECT api.review_claim(%" PRId64 "), "
	    "api.review_claim(%" PRId64 ")", rid, orid);
	CU_ASSERT_EQUAL_FATAL(ld_db_cmd(&op, sql, &err), LD_OK);

	CU_ASSERT_EQUAL_FATAL(core_case_load(&op, id, &c, warn, &err), LD_OK);
	CU_ASSERT(!c.score_hidden);
	CU_ASSERT_EQUAL(c.review_id, rid);
	/* Opened 27 minutes ago, give or take a slow test machine. */
	CU_ASSERT(c.review_age_s >= 27 * 60 && c.review_age_s < 40 * 60);
	e = find_event(&c, "review.claim");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	snprintf(object, sizeof object, "review/%" PRId64, rid);
	CU_ASSERT_STRING_EQUAL(e->object, object);
	CU_ASSERT_PTR_NOT_NULL(strstr(e->detail, "tc_risk"));
	/* Only this application's review. */
	for (i = 0; i < c.nevents; i++) {
		snprintf(object, sizeof object, "review/%" PRId64, orid);
		CU_ASSERT_STRING_NOT_EQUAL(c.events[i].object, object);
	}
	core_case_free(&c);

	/* Decided: the review is closed, its history stays, newest first. */
	snprintf(sql, sizeof sql, "SELECT api.application_decide(%" PRId64
	    ", 'approve', 'OTHER', 'checked')", id);
	CU_ASSERT_EQUAL_FATAL(ld_db_cmd(&op, sql, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_case_load(&op, id, &c, warn, &err), LD_OK);
	CU_ASSERT_EQUAL(c.review_id, 0);
	CU_ASSERT_FATAL(c.nevents >= 2);
	CU_ASSERT_STRING_EQUAL(c.events[0].action, "application.approve");
	CU_ASSERT_PTR_NOT_NULL(find_event(&c, "review.claim"));
	for (i = 1; i < c.nevents; i++)
		CU_ASSERT(c.events[i - 1].id > c.events[i].id);
	core_case_free(&c);
	ld_db_close(&op);

	/* Finance: no scores or models, the same timeline and review. */
	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&fin, "user=tc_fin", "test", &err),
	    LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_case_load(&fin, other, &c, warn, &err),
	    LD_OK);
	CU_ASSERT(c.score_hidden);
	CU_ASSERT_STRING_EQUAL(c.model_name, "");
	CU_ASSERT_EQUAL(c.review_id, orid);
	CU_ASSERT_PTR_NOT_NULL(find_event(&c, "review.claim"));
	core_case_free(&c);
	ld_db_close(&fin);
	/* The queue as the next test expects it: no review of ours open. */
	snprintf(sql, sizeof sql, "UPDATE reviews SET state = 'closed', "
	    "closed_at = now() WHERE id = %" PRId64, orid);
	su_exec(sql);
}

/* The estimate needs no ANALYZE and follows the table's size. */
static void
test_estimate_before_analyze(void)
{
	struct ld_err err;
	int64_t n = -2;

	ld_err_clear(&err);
	/* No analyze behind the test's back while it looks. */
	su_exec("ALTER TABLE applications SET (autovacuum_enabled = false)");
	su_exec("INSERT INTO applications (applicant_id, product, amount_fen, "
	    "term_months, rate_bps) SELECT (SELECT min(id) FROM applicants), "
	    "'cash_loan', 100000 + g, 12, 1800 FROM generate_series(1, 5000) "
	    "g");
	CU_ASSERT_EQUAL(su_int("SELECT reltuples::bigint FROM pg_class WHERE "
	    "oid = 'applications'::regclass"), -1);
	CU_ASSERT_EQUAL_FATAL(core_apps_estimate(sus, &n, &err), LD_OK);
	/*
	 * The planner's guess from the heap's size and the columns' widths:
	 * rough (a few times off for this wide table) but of the right
	 * magnitude, where reltuples would say nothing at all.
	 */
	CU_ASSERT(n >= 1000 && n <= 25000);
	su_exec("ANALYZE applications");
	CU_ASSERT_EQUAL(core_apps_estimate(sus, &n, &err), LD_OK);
	CU_ASSERT_EQUAL(n, su_int("SELECT count(*) FROM applications"));
	/*
	 * Every row updated, as scoring does: twice the pages, the same
	 * rows.  The count stands (EXPLAIN, scaling by pages, would double).
	 */
	su_exec("UPDATE applications SET version = version + 1");
	CU_ASSERT_EQUAL(core_apps_estimate(sus, &n, &err), LD_OK);
	CU_ASSERT_EQUAL(n, su_int("SELECT count(*) FROM applications"));
	su_exec("ALTER TABLE applications RESET (autovacuum_enabled)");
}

static int
always_cancel(void *arg, double waited_ms)
{
	(void)arg;
	(void)waited_ms;
	return 1;
}

/* Appends n audit rows as the superuser (through audit_record). */
static void
audit_rows(int n)
{
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT audit_record('test.row', 'test', "
	    "g::text, jsonb_build_object('n', g)) FROM generate_series(1, %d) "
	    "g", n);
	su_exec(sql);
}

static void
walk(struct core_audit_verify *v, int *steps)
{
	struct ld_err err;

	*steps = 0;
	while (!v->done) {
		ld_err_clear(&err);
		CU_ASSERT_EQUAL_FATAL(core_audit_verify_step(sus, v, &err),
		    LD_OK);
		(*steps)++;
	}
}

static void
test_verify_incremental(void)
{
	struct core_audit_verify v, stopped;
	struct ld_audit_verify_result whole;
	struct ld_err err;
	int64_t rows;
	int steps;

	audit_rows(LD_AUDIT_BATCH + 10);
	rows = su_int("SELECT count(*) FROM audit_log");
	memset(&v, 0, sizeof v);
	core_audit_verify_start(&v, 1);
	walk(&v, &steps);
	CU_ASSERT(v.res.ok);
	CU_ASSERT_EQUAL(v.res.rows, rows);
	CU_ASSERT_EQUAL(v.head_id, rows);
	/* A batch per LD_AUDIT_BATCH rows, then the short last one. */
	CU_ASSERT_EQUAL(steps, (int)(rows / LD_AUDIT_BATCH) + 1);

	/* Resuming checks only what was appended, in one short batch. */
	audit_rows(7);
	core_audit_verify_start(&v, 0);
	walk(&v, &steps);
	CU_ASSERT(v.res.ok);
	CU_ASSERT_EQUAL(steps, 1);
	CU_ASSERT_EQUAL(v.res.rows, rows + 7);
	CU_ASSERT_EQUAL(v.last_id, su_int("SELECT max(id) FROM audit_log"));

	/* A cancelled step leaves the checkpoint where it was. */
	audit_rows(3);
	core_audit_verify_start(&v, 0);
	stopped = v;
	su_exec("BEGIN");
	su_exec("LOCK TABLE audit_head IN ACCESS EXCLUSIVE MODE");
	{
		struct core_session *other = session_as("");

		CU_ASSERT_PTR_NOT_NULL_FATAL(other);
		core_session_set_interrupt(other, always_cancel, NULL, 1);
		CU_ASSERT_EQUAL(core_audit_verify_step(other, &v, &err),
		    LD_ETIMEOUT);
		CU_ASSERT_STRING_EQUAL(err.msg, "cancelled");
		core_session_free(other);
	}
	su_exec("COMMIT");
	CU_ASSERT_EQUAL(v.last_id, stopped.last_id);
	CU_ASSERT_EQUAL(v.res.rows, stopped.res.rows);
	walk(&v, &steps);
	CU_ASSERT(v.res.ok);
	CU_ASSERT_EQUAL(v.res.rows, rows + 10);

	/* The same outcome as the one-call walk. */
	CU_ASSERT_EQUAL(ld_audit_verify(&su, &whole, &err), LD_OK);
	CU_ASSERT(whole.ok);
	CU_ASSERT_EQUAL(whole.rows, v.res.rows);

	/*
	 * An old row altered behind the triggers' back: a resumed walk only
	 * looks at new rows; a fresh one finds it, as the one-call walk does.
	 */
	su_exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
	su_exec("UPDATE audit_log SET actor = 'mallory' WHERE id = 2");
	su_exec("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only");
	core_audit_verify_start(&v, 0);
	walk(&v, &steps);
	CU_ASSERT(v.res.ok);
	core_audit_verify_start(&v, 1);
	walk(&v, &steps);
	CU_ASSERT_FALSE(v.res.ok);
	CU_ASSERT_EQUAL(v.res.broken_id, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.res.why, "altered"));
	CU_ASSERT_EQUAL(ld_audit_verify(&su, &whole, &err), LD_OK);
	CU_ASSERT_EQUAL(whole.broken_id, 2);
	core_audit_verify_clear(&v);
}

/* One notification per inserting statement, naming the ids. */
/* A review as the superuser writes it (0: NULL); returns its id. */
static int64_t
review_row(const char *kind, int64_t app, int64_t payout, const char *state,
    const char *assignee, const char *reason, const char *age)
{
	char sql[512], a[24] = "NULL", p[24] = "NULL", who[80] = "NULL";

	if (app != 0)
		snprintf(a, sizeof a, "%" PRId64, app);
	if (payout != 0)
		snprintf(p, sizeof p, "%" PRId64, payout);
	if (assignee != NULL)
		snprintf(who, sizeof who, "'%s'", assignee);
	snprintf(sql, sizeof sql, "INSERT INTO reviews (kind, application_id, "
	    "payout_id, state, assignee, claimed_at, reason, opened_at) VALUES "
	    "('%s', %s, %s, '%s', %s, CASE WHEN %s IS NULL THEN NULL ELSE "
	    "now() END, '%s', now() - interval '%s') RETURNING id", kind, a, p,
	    state, who, who, reason, age);
	return su_int(sql);
}

/* The ids of q in order, "3 1 2". */
static void
ids_of(const struct core_reviews *q, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < q->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%" PRId64,
		    i ? " " : "", q->rows[i].id);
}

static void
expect_ids(struct core_session *db, const struct core_reviews_filter *f,
    size_t limit, const char *want, const int64_t *counts)
{
	struct core_reviews q;
	struct ld_err err;
	char got[256];
	int i;

	ld_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(core_reviews_load(db, f, limit, &q, &err),
	    LD_OK);
	ids_of(&q, got, sizeof got);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "review queue: got \"%s\", want \"%s\"\n",
		    got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
	for (i = 0; counts != NULL && i < CORE_REVIEW_PARTS; i++)
		CU_ASSERT_EQUAL(q.count[i], counts[i]);
	core_reviews_free(&q);
}

/*
 * The operator's own claimed reviews first, then the open ones oldest
 * first, then those others hold, whatever their age; the counts are of
 * the whole filtered queue, not of the rows a limit let through.
 */
static void
test_review_queue_order_and_filters(void)
{
	struct core_session *op;
	struct ld_err err;
	struct core_reviews_filter f;
	struct core_reviews q;
	int64_t a1, a2, a3, a4, payout, r_old, r_new, r_mine, r_other, r_pay;
	char want[256];
	const int64_t all[] = { 1, 3, 1 }, payouts[] = { 0, 1, 0 };

	/* Only this test's reviews are in the queue. */
	su_exec("UPDATE reviews SET state = 'closed', closed_at = now() "
	    "WHERE state <> 'closed'");
	su_exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE "
	    "rolname = 'tc_risk2') THEN CREATE ROLE tc_risk2 LOGIN IN ROLE "
	    "loandesk_risk; END IF; END $$");
	a1 = scored_application("manual_review");
	a2 = scored_application("manual_review");
	a3 = scored_application("manual_review");
	a4 = scored_application("manual_review");
	snprintf(want, sizeof want, "INSERT INTO payouts (application_id, "
	    "amount_fen, requested_by) VALUES (%" PRId64 ", 100000, 'tc') "
	    "RETURNING id", a1);
	payout = su_int(want);
	r_old = review_row("application", a1, 0, "open", NULL,
	    "RULE_REVIEW R_DEVICE_SHARED", "5 hours");
	r_new = review_row("application", a2, 0, "open", NULL, "DOCS_NEEDED",
	    "1 hour");
	r_mine = review_row("application", a3, 0, "claimed", "tc_risk",
	    "SECOND_OPINION", "30 minutes");
	r_other = review_row("application", a4, 0, "claimed", "tc_risk2",
	    "SECOND_OPINION", "10 hours");
	r_pay = review_row("payout", 0, payout, "open", NULL, "AMOUNT_HELD",
	    "3 hours");
	CU_ASSERT_FATAL(r_old > 0 && r_new > 0 && r_mine > 0 && r_other > 0 &&
	    r_pay > 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(op = session_as("user=tc_risk"));

	core_reviews_filter_clear(&f);
	snprintf(want, sizeof want, "%" PRId64 " %" PRId64 " %" PRId64 " %"
	    PRId64 " %" PRId64, r_mine, r_old, r_pay, r_new, r_other);
	expect_ids(op, &f, 100, want, all);
	/* What each row says, a payout's review included. */
	CU_ASSERT_EQUAL_FATAL(core_reviews_load(op, &f, 100, &q, &err),
	    LD_OK);
	CU_ASSERT_EQUAL_FATAL(q.n, 5);
	CU_ASSERT_EQUAL(q.rows[0].part, CORE_REVIEW_MINE);
	CU_ASSERT_STRING_EQUAL(q.rows[0].assignee, "tc_risk");
	CU_ASSERT_EQUAL(q.rows[0].case_id, a3);
	CU_ASSERT_STRING_EQUAL(q.rows[0].name, "张*三");
	CU_ASSERT_EQUAL(q.rows[0].amount_fen, 100000);
	CU_ASSERT_EQUAL(q.rows[1].part, CORE_REVIEW_OPEN);
	CU_ASSERT_STRING_EQUAL(q.rows[1].reason, "RULE_REVIEW R_DEVICE_SHARED");
	CU_ASSERT_EQUAL(q.rows[2].kind, CORE_REVIEW_KIND_PAYOUT);
	CU_ASSERT_EQUAL(q.rows[2].application_id, 0);
	CU_ASSERT_EQUAL(q.rows[2].payout_id, payout);
	CU_ASSERT_EQUAL(q.rows[2].case_id, a1);
	CU_ASSERT_EQUAL(q.rows[4].part, CORE_REVIEW_OTHERS);
	CU_ASSERT(q.rows[1].waiting_s >= 5 * 3600);
	core_reviews_free(&q);

	/* A limit keeps the order and the counts of the whole queue. */
	snprintf(want, sizeof want, "%" PRId64 " %" PRId64, r_mine, r_old);
	expect_ids(op, &f, 2, want, all);

	CU_ASSERT_EQUAL(core_reviews_command("mine", &f, &err), LD_OK);
	snprintf(want, sizeof want, "%" PRId64, r_mine);
	expect_ids(op, &f, 100, want, all);
	CU_ASSERT_EQUAL(core_reviews_command("open", &f, &err), LD_OK);
	snprintf(want, sizeof want, "%" PRId64 " %" PRId64 " %" PRId64, r_old,
	    r_pay, r_new);
	expect_ids(op, &f, 100, want, all);
	CU_ASSERT_EQUAL(core_reviews_command("all", &f, &err), LD_OK);
	CU_ASSERT_EQUAL(core_reviews_command("kind payout", &f, &err), LD_OK);
	snprintf(want, sizeof want, "%" PRId64, r_pay);
	expect_ids(op, &f, 100, want, payouts);

	/* :id finds a review by its number, or an application's reviews. */
	snprintf(want, sizeof want, "id %" PRId64, r_other);
	CU_ASSERT_EQUAL(core_reviews_command(want, &f, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_reviews_load(op, &f, 100, &q, &err),
	    LD_OK);
	CU_ASSERT(q.n >= 1);
	CU_ASSERT(q.n >= 1 && (q.rows[0].id == r_other ||
	    (q.n == 2 && q.rows[1].id == r_other)));
	core_reviews_free(&q);
	snprintf(want, sizeof want, "id %" PRId64, a1);
	CU_ASSERT_EQUAL(core_reviews_command(want, &f, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_reviews_load(op, &f, 100, &q, &err),
	    LD_OK);
	{
		size_t i;
		int seen_app = 0, seen_pay = 0;

		for (i = 0; i < q.n; i++) {
			seen_app += q.rows[i].id == r_old;
			seen_pay += q.rows[i].id == r_pay;
		}
		CU_ASSERT_EQUAL(seen_app, 1);
		CU_ASSERT_EQUAL(seen_pay, 1);
	}
	core_reviews_free(&q);

	/* '/' text: reason in any case, name, assignee; wildcards literal. */
	core_reviews_filter_clear(&f);
	snprintf(f.text, sizeof f.text, " device ");
	snprintf(want, sizeof want, "%" PRId64, r_old);
	expect_ids(op, &f, 100, want, NULL);
	snprintf(f.text, sizeof f.text, "risk2");
	snprintf(want, sizeof want, "%" PRId64, r_other);
	expect_ids(op, &f, 100, want, NULL);
	snprintf(f.text, sizeof f.text, "张");
	snprintf(want, sizeof want, "%" PRId64 " %" PRId64 " %" PRId64 " %"
	    PRId64 " %" PRId64, r_mine, r_old, r_pay, r_new, r_other);
	expect_ids(op, &f, 100, want, all);
	snprintf(f.text, sizeof f.text, "%%");
	expect_ids(op, &f, 100, "", NULL);
	core_session_free(op);
}

/*
 * Enter on an audit row opens the application it is about: its object,
 * or, for a review or a payout, the application its detail names.
 */
static void
test_audit_row_names_its_application(void)
{
	struct core_session *op;
	struct ld_err err;
	struct core_audit_filter f;
	struct core_audit_page p;
	int64_t app = scored_application("manual_review"), review;
	char sql[256];

	snprintf(sql, sizeof sql, "INSERT INTO reviews (kind, application_id, "
	    "reason) VALUES ('application', %" PRId64 ", 'SECOND_OPINION') "
	    "RETURNING id", app);
	review = su_int(sql);
	su_exec("SELECT audit_record('test.row', 'test', 'x', "
	    "'{\"application_id\": \"not a number\"}')");
	CU_ASSERT_PTR_NOT_NULL_FATAL(op = session_as("user=tc_risk"));
	CU_ASSERT_EQUAL_FATAL(core_review_claim(core_session_primary(op),
	    review, &err), LD_OK);

	memset(&f, 0, sizeof f);
	snprintf(sql, sizeof sql, "object review/%" PRId64, review);
	CU_ASSERT_EQUAL(core_audit_command(sql, &f, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_audit_fetch(op, &f, 0, 10, &p, &err),
	    LD_OK);
	CU_ASSERT_EQUAL_FATAL(p.n, 1);
	CU_ASSERT_EQUAL(p.rows[0].application_id, app);
	core_audit_page_free(&p);

	CU_ASSERT_EQUAL(core_audit_command("object test/x", &f, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_audit_fetch(op, &f, 0, 10, &p, &err),
	    LD_OK);
	CU_ASSERT_EQUAL_FATAL(p.n, 1);
	CU_ASSERT_EQUAL(p.rows[0].application_id, 0);
	core_audit_page_free(&p);

	/* A decision's row is about its own object. */
	snprintf(sql, sizeof sql, "SELECT audit_record('test.row', "
	    "'application', '%" PRId64 "', '{}')", app);
	su_exec(sql);
	snprintf(sql, sizeof sql, "object application/%" PRId64, app);
	CU_ASSERT_EQUAL(core_audit_command(sql, &f, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_audit_fetch(op, &f, 0, 10, &p, &err),
	    LD_OK);
	CU_ASSERT_EQUAL_FATAL(p.n, 1);
	CU_ASSERT_EQUAL(p.rows[0].application_id, app);
	core_audit_page_free(&p);
	core_session_free(op);
}

/* What ld_db_notifications handed over. */
struct seen {
	int n;
	char channel[64];
	char payload[64];
};

static void
saw(void *arg, const char *channel, const char *payload)
{
	struct seen *seen = arg;

	seen->n++;
	snprintf(seen->channel, sizeof seen->channel, "%s", channel);
	snprintf(seen->payload, sizeof seen->payload, "%s", payload);
}

static void
test_insert_notifies_once(void)
{
	static const char *const channels[] = { "applications" };
	struct ld_db listener;
	struct ld_err err;
	struct seen seen;
	char want[64];
	int64_t first, last;
	int n = 0, tries;

	CU_ASSERT_EQUAL_FATAL(ld_db_connect(&listener, "user=tc_risk",
	    "test", &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(ld_db_listen(&listener, channels, 1, &err),
	    LD_OK);
	su_exec("INSERT INTO applications (applicant_id, product, amount_fen, "
	    "term_months, rate_bps) SELECT (SELECT min(id) FROM applicants), "
	    "'cash_loan', 100000 + g, 12, 1800 FROM generate_series(1, 1000) "
	    "g");
	/* One statement's ids are consecutive: nothing else inserts here. */
	last = su_int("SELECT max(id) FROM applications");
	first = last - 999;
	snprintf(want, sizeof want, "%" PRId64 "-%" PRId64, first, last);
	/* The payload is read directly, so the count below is all there is. */
	memset(&seen, 0, sizeof seen);
	for (tries = 0; tries < 50 && n == 0; tries++) {
		CU_ASSERT_EQUAL(ld_db_notifications(&listener, &n, saw, &seen,
		    &err), LD_OK);
		if (n == 0)
			(void)poll(NULL, 0, 100);
	}
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(seen.n, 1);
	CU_ASSERT_STRING_EQUAL(seen.channel, "applications");
	CU_ASSERT_STRING_EQUAL(seen.payload, want);
	/* A single row names itself; counting alone is enough. */
	su_exec("INSERT INTO applications (applicant_id, product, amount_fen, "
	    "term_months, rate_bps) SELECT min(id), 'cash_loan', 4242, 6, 1800 "
	    "FROM applicants");
	for (n = 0, tries = 0; tries < 50 && n == 0; tries++) {
		CU_ASSERT_EQUAL(ld_db_notifications(&listener, &n, NULL, NULL,
		    &err), LD_OK);
		if (n == 0)
			(void)poll(NULL, 0, 100);
	}
	CU_ASSERT_EQUAL(n, 1);
	/* And a lost connection is said to be lost. */
	su_exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
	    "usename = 'tc_risk'");
	for (tries = 0; tries < 50; tries++) {
		if (ld_db_notifications(&listener, &n, NULL, NULL, &err) !=
		    LD_OK)
			break;
		(void)poll(NULL, 0, 100);
	}
	CU_ASSERT_EQUAL(err.code, LD_ENET);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "connection lost"));
	ld_db_close(&listener);
}

/*
 * The picker's codes carry whether the applicant is told them (0019): a
 * fraud suspicion is not, a blacklist hit is; the model's fraud signals
 * are in the table but offered for no decision.
 */
static void
test_reason_disclosure(void)
{
	struct core_reason_codes rc;
	struct ld_err err;
	size_t i;
	int seen = 0;

	CU_ASSERT_EQUAL_FATAL(core_reason_codes_load(&su, &rc, &err), LD_OK);
	for (i = 0; i < rc.n; i++) {
		const struct core_reason_code *r = &rc.v[i];

		if (strcmp(r->code, "FRAUD_SUSPECTED") == 0) {
			CU_ASSERT_FALSE(r->disclosed);
			CU_ASSERT_TRUE(core_reason_code_offered(r, CORE_REJECT,
			    CORE_APP_MANUAL_REVIEW));
			seen++;
		} else if (strcmp(r->code, "BLACKLISTED") == 0 ||
		    strcmp(r->code, "UNDERAGE") == 0) {
			CU_ASSERT_TRUE(r->disclosed);
			seen++;
		} else if (strcmp(r->code, "DEVICE_TAMPERED") == 0) {
			CU_ASSERT_FALSE(r->disclosed);
			CU_ASSERT_FALSE(core_reason_code_offered(r, CORE_REJECT,
			    CORE_APP_AUTO_REJECTED));
			CU_ASSERT_FALSE(core_reason_code_offered(r, CORE_REVIEW,
			    CORE_APP_AUTO_REJECTED));
			seen++;
		}
	}
	CU_ASSERT_EQUAL(seen, 4);
	/* As many told as the table says, read independently. */
	{
		int told = 0;

		for (i = 0; i < rc.n; i++)
			told += rc.v[i].disclosed;
		CU_ASSERT_EQUAL(told, su_int("SELECT count(*) FROM "
		    "decision_reasons WHERE disclosed"));
	}
	core_reason_codes_free(&rc);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
		LD_TEST(test_override_rule_matches_database),
		LD_TEST(test_state_rule_matches_database),
		LD_TEST(test_state_words_match_schema),
		LD_TEST(test_review_moves_match_database),
		LD_TEST(test_case_timeline_has_reviews),
		LD_TEST(test_estimate_before_analyze),
		LD_TEST(test_verify_incremental),
		LD_TEST(test_review_queue_order_and_filters),
		LD_TEST(test_audit_row_names_its_application),
		LD_TEST(test_insert_notifies_once),
		LD_TEST(test_reason_disclosure),
		LD_TEST_END
	};

	LD_TEST_INIT();
	ld_test_suite("console against the database", suite_init,
	    suite_clean, cases);
	return ld_test_run();
}
