/*
 * Loan terms in the database (0012) against the C that shows them: the
 * SQL schedule equals core_schedule_build() row for row over thousands of
 * random loans (every repayment method, fees, terms 1..60, amounts up to
 * the schema's maximum), and the exact APR cap check agrees with core_irr()
 * away from the cap and decides loans exactly at it; what the payout sends,
 * the fee constraints and who may call the functions.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_schedule.h"
#include "core/core_seed.h"
#include "ld_buf.h"
#include "ld_migrate.h"
#include "ld_money.h"
#include "ld_paths.h"
#include "ld_test.h"
#include "ld_testdb.h"

static struct ld_testdb tdb;
static struct ld_db su; /* the cluster's superuser */

/* splitmix64: a fixed stream, so a failure can be replayed. */
static uint64_t rng = 0x6c6f616e7465726dULL;

static uint64_t
rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t
rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* Amounts over every order of magnitude up to LD_FEN_MAX, and its ends. */
static int64_t
rnd_amount(void)
{
	int64_t top;
	int digits;

	switch (rnd() % 16) {
	case 0:
		return 1;
	case 1:
		return LD_FEN_MAX;
	case 2:
		return LD_FEN_MAX - rnd_in(0, 1000);
	default:
		digits = (int)rnd_in(1, 13);
		for (top = 1; digits > 0; digits--)
			top *= 10;
		return rnd_in(1, top);
	}
}

static const char *const methods[] = { "annuity", "equal_principal",
	"bullet" };

static enum core_repayment
method_of(int i)
{
	return i == 0 ? CORE_REPAY_ANNUITY : i == 1 ?
	    CORE_REPAY_EQUAL_PRINCIPAL : CORE_REPAY_BULLET;
}

static int
su_exec(const char *sql)
{
	struct ld_err err;

	ld_err_clear(&err);
	if (ld_db_cmd(&su, sql, &err) != LD_OK) {
		fprintf(stderr, "%s\n  in: %s\n", err.msg, sql);
		return -1;
	}
	return 0;
}

/* The statement's one value as text into out; -1 on an error. */
static int
su_text(const char *sql, char *out, size_t len)
{
	struct ld_err err;
	PGresult *res;

	ld_err_clear(&err);
	out[0] = '\0';
	if (ld_db_exec(&su, sql, 0, NULL, &res, &err) != LD_OK) {
		snprintf(out, len, "ERROR: %s", err.msg);
		return -1;
	}
	if (PQntuples(res) == 1)
		snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int
suite_init(void)
{
	struct ld_err err;
	struct ld_migration_set set;
	int applied;

	if (ld_testdb_start(&tdb) != 0)
		return -1;
	if (ld_db_connect(&su, "", "test_db_loan", &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	if (ld_migrations_scan(ld_paths_migrations(), &set, &err) != LD_OK ||
	    ld_migrations_apply(&su, &set, NULL, &applied, &err) != LD_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	ld_migrations_free(&set);
	return su_exec("INSERT INTO applicants (name_enc, name_bidx, "
	    "name_masked, id_no_enc, id_no_bidx, id_no_masked, phone_enc, "
	    "phone_bidx, phone_masked, openid) VALUES ('\\x00', sha256('n'), "
	    "'张*三', '\\x00', sha256('i'), '110***********1234', '\\x00', "
	    "sha256('p'), '138****0001', 'oT1')");
}

static int
suite_clean(void)
{
	ld_db_close(&su);
	ld_testdb_stop(&tdb);
	return 0;
}

#define NLOANS 3000

struct loan {
	int64_t p, upfront, fee;
	int bps, n, m;
};

static void
rnd_loan(struct loan *l, int max_bps)
{
	l->p = rnd_amount();
	l->n = (int)rnd_in(1, 60);
	l->m = (int)(rnd() % 3);
	/* Now and then no interest, else any rate up to max_bps. */
	l->bps = rnd() % 10 == 0 ? 0 : (int)rnd_in(1, max_bps);
	l->fee = rnd() % 2 ? 0 : rnd_in(0, l->p / 50 + 1);
	l->upfront = rnd() % 2 || l->p < 2 ? 0 : rnd_in(1, l->p * 3 / 10 + 1);
	if (l->upfront >= l->p)
		l->upfront = l->p - 1;
}

/* The loans as the text arrays unnest() takes, one per column. */
static void
loan_arrays(const struct loan *v, size_t n, struct ld_buf b[5])
{
	size_t i, c;

	for (c = 0; c < 5; c++) {
		ld_buf_init(&b[c], 0);
		ld_buf_puts(&b[c], "{");
	}
	for (i = 0; i < n; i++) {
		const char *sep = i ? "," : "";

		ld_buf_printf(&b[0], "%s%" PRId64, sep, v[i].p);
		ld_buf_printf(&b[1], "%s%d", sep, v[i].bps);
		ld_buf_printf(&b[2], "%s%d", sep, v[i].n);
		ld_buf_printf(&b[3], "%s%s", sep, methods[v[i].m]);
		ld_buf_printf(&b[4], "%s%" PRId64, sep, v[i].fee);
	}
	for (c = 0; c < 5; c++)
		ld_buf_puts(&b[c], "}");
}

/*
 * Every row of every schedule, C against SQL, over loans at any rate the
 * functions accept (the schema's 3600 and beyond, to 100000 bps).
 */
static void
test_schedule_sql_equals_c(void)
{
	static struct loan v[NLOANS];
	static struct core_schedule s;
	struct ld_buf b[5];
	const char *params[5];
	struct ld_err err;
	PGresult *res;
	size_t i, c;
	int r = 0, rows, bad = 0, k, seen[3] = { 0, 0, 0 };

	for (i = 0; i < NLOANS; i++) {
		rnd_loan(&v[i], i % 4 == 0 ? 100000 : 3600);
		seen[v[i].m]++;
	}
	loan_arrays(v, NLOANS, b);
	for (c = 0; c < 5; c++)
		params[c] = b[c].data;
	ld_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(ld_db_exec(&su, "SELECT l.ord, s.period, "
	    "s.principal_fen, s.interest_fen, s.fee_fen, s.payment_fen, "
	    "s.balance_fen FROM unnest($1::bigint[], $2::integer[], "
	    "$3::integer[], $4::text[], $5::bigint[]) WITH ORDINALITY "
	    "AS l(p, r, n, m, f, ord) CROSS JOIN LATERAL "
	    "loan_schedule_terms(l.p, l.r, l.n, l.m, l.f) s "
	    "ORDER BY l.ord, s.period", 5, params, &res, &err), LD_OK);
	rows = PQntuples(res);
	for (i = 0; i < NLOANS; i++) {
		CU_ASSERT_EQUAL_FATAL(core_schedule_build(v[i].p, v[i].bps,
		    v[i].n, method_of(v[i].m), v[i].upfront, v[i].fee, &s,
		    &err), LD_OK);
		for (k = 0; k < s.n; k++, r++) {
			const struct core_schedule_row *w = &s.rows[k];
			int64_t got[6];

			if (r >= rows) {
				bad++;
				continue;
			}
			for (c = 0; c < 6; c++)
				got[c] = strtoll(PQgetvalue(res, r,
				    (int)c + 1), NULL, 10);
			if (strtoll(PQgetvalue(res, r, 0), NULL, 10) !=
			    (long long)i + 1 || got[0] != w->period ||
			    got[1] != w->principal || got[2] != w->interest ||
			    got[3] != w->fee || got[4] != w->payment ||
			    got[5] != w->balance) {
				if (bad++ < 5)
					fprintf(stderr, "loan %zu (%" PRId64
					    " fen, %d bps, %d months, %s, fee %"
					    PRId64 ") period %d: C %" PRId64
					    "/%" PRId64 "/%" PRId64 " SQL %"
					    PRId64 "/%" PRId64 "/%" PRId64 "\n",
					    i, v[i].p, v[i].bps, v[i].n,
					    methods[v[i].m], v[i].fee,
					    w->period, w->principal,
					    w->interest, w->balance, got[1],
					    got[2], got[5]);
			}
		}
	}
	PQclear(res);
	for (c = 0; c < 5; c++)
		ld_buf_free(&b[c]);
	CU_ASSERT_EQUAL(rows, r);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
}

/* Bad terms are refused by name, as core_schedule_build() refuses them. */
static void
test_schedule_sql_refusals(void)
{
	char out[512];

	su_text("SELECT count(*) FROM loan_schedule_terms(100, 1800, 61, "
	    "'annuity', 0)", out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "term 61 months is outside"));
	su_text("SELECT count(*) FROM loan_schedule_terms(10000000000001, "
	    "1800, 12, 'annuity', 0)", out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "principal 10000000000001 fen"));
	su_text("SELECT count(*) FROM loan_schedule_terms(100, 1800, 12, "
	    "'balloon', 0)", out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "unknown repayment method "
	    "balloon"));
	su_text("SELECT count(*) FROM loan_schedule_terms(100, -1, 12, "
	    "'annuity', 0)", out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "rate -1 bps"));
	su_text("SELECT count(*) FROM loan_schedule(-7)", out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "application -7 does not exist"));
}

/* Inserts the loan as an application; its id, or -1. */
static int64_t
insert_loan(const struct loan *l)
{
	char sql[512], out[64];

	snprintf(sql, sizeof sql, "INSERT INTO applications (applicant_id, "
	    "product, amount_fen, term_months, rate_bps, repayment, "
	    "upfront_fee_fen, monthly_fee_fen) SELECT min(id), 'cash_loan', "
	    "%" PRId64 ", %d, %d, '%s', %" PRId64 ", %" PRId64 " FROM "
	    "applicants RETURNING id", l->p, l->n, l->bps, methods[l->m],
	    l->upfront, l->fee);
	if (su_text(sql, out, sizeof out) != 0) {
		fprintf(stderr, "%s\n", out);
		return -1;
	}
	return strtoll(out, NULL, 10);
}

#define NCAP 1200

/*
 * The exact check against core_irr()'s APR (long double Newton, for
 * display) on every loan: apr_bps is its ceiling, and within_cap says the
 * same side of the cap, except within a hair of a whole basis point or of
 * the cap, where a double cannot tell.
 */
static void
test_apr_cap_agrees_with_irr(void)
{
	static struct loan v[NCAP];
	static double apr_c[NCAP];
	static struct core_schedule s;
	struct ld_err err;
	PGresult *res;
	int64_t first = -1, id;
	int i, over = 0, under = 0, bad = 0, exact = 0, near, ok;

	CU_ASSERT_EQUAL_FATAL(su_exec("DELETE FROM applications"), 0);
	for (i = 0; i < NCAP; i++) {
		struct loan *l = &v[i];
		double irr;

		rnd_loan(l, 3600);
		/*
		 * Fees of a consumer loan (up to 1% a month, 5% upfront), so
		 * the IRR stays below the 100% a month core_irr() solves to.
		 */
		l->fee = rnd() % 2 ? 0 : rnd_in(0, l->p / 100);
		l->upfront = rnd() % 2 ? 0 : rnd_in(0, l->p / 20);
		CU_ASSERT_EQUAL_FATAL(core_schedule_build(l->p, l->bps, l->n,
		    method_of(l->m), l->upfront, l->fee, &s, &err), LD_OK);
		CU_ASSERT_EQUAL_FATAL(core_schedule_apr(&s, &irr, &err),
		    LD_OK);
		apr_c[i] = irr * 120000.0 / 12.0;	/* bps */
		id = insert_loan(l);
		CU_ASSERT_FATAL(id > 0);
		if (first < 0)
			first = id;
		/* Ids follow on: row i is first + i. */
		CU_ASSERT_EQUAL_FATAL(id, first + i);
	}
	ld_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(ld_db_exec(&su, "SELECT c.apr_bps, c.cap_bps, "
	    "c.within_cap FROM applications a CROSS JOIN LATERAL "
	    "loan_apr_cap_check(a.id) c ORDER BY a.id", 0, NULL, &res, &err),
	    LD_OK);
	CU_ASSERT_EQUAL_FATAL(PQntuples(res), NCAP);
	for (i = 0; i < NCAP; i++) {
		long apr = strtol(PQgetvalue(res, i, 0), NULL, 10);
		int within = PQgetvalue(res, i, 2)[0] == 't';
		double a = apr_c[i];

		CU_ASSERT_EQUAL(strtol(PQgetvalue(res, i, 1), NULL, 10), 2400);
		/* within_cap is apr_bps <= cap, always. */
		CU_ASSERT_EQUAL(within, apr <= 2400);
		/*
		 * Where the double is within a hair of a whole basis point
		 * (a bullet loan at a rate whose interest is whole fen is
		 * exactly its rate), either neighbour is the ceiling.
		 */
		near = fabs(a - nearbyint(a)) < 1e-5;
		if (near ? (apr != (long)nearbyint(a) &&
		    apr != (long)nearbyint(a) + 1) : apr != (long)ceil(a))
			ok = 0;
		else if (fabs(a - 2400) >= 1e-5 && within != (a <= 2400))
			ok = 0;
		else
			ok = 1;
		if (!ok && bad++ < 5)
			fprintf(stderr, "loan %d (%" PRId64 " fen, %d bps, %d "
			    "months, %s, upfront %" PRId64 ", fee %" PRId64
			    "): core_irr %.6f bps, SQL %ld %s\n", i, v[i].p,
			    v[i].bps, v[i].n, methods[v[i].m], v[i].upfront,
			    v[i].fee, a, apr, within ? "within" : "over");
		exact += near;
		over += a > 2400;
		under += a < 2400;
	}
	PQclear(res);
	CU_ASSERT_EQUAL(bad, 0);
	/* Most IRRs fall between whole basis points. */
	CU_ASSERT(exact < NCAP / 2);
	/* Both sides of the cap were tried. */
	CU_ASSERT(over > NCAP / 20 && under > NCAP / 20);
}

/* apr_bps, cap_bps, within_cap of loan l as "2400|2400|t". */
static void
cap_of(const struct loan *l, char *out, size_t len)
{
	char sql[160];
	int64_t id = insert_loan(l);

	snprintf(sql, sizeof sql, "SELECT concat_ws('|', apr_bps, cap_bps, "
	    "within_cap) FROM loan_apr_cap_check(%" PRId64 ")", id);
	su_text(sql, out, len);
}

/*
 * Loans whose IRR is exactly the cap pass, and one fen more does not: a
 * bullet loan's interest P r is exact when P r is whole fen, and a
 * one-month loan's IRR is payment / received - 1.  The cap never exceeds
 * 3600 whatever settings say.
 */
static void
test_apr_cap_boundary(void)
{
	struct loan l;
	char out[512];

	memset(&l, 0, sizeof l);
	/* 100,000 fen at 24%: 2,000 fen a month, IRR exactly 2%. */
	l.p = 100000;
	l.bps = 2400;
	l.n = 12;
	l.m = 2;
	cap_of(&l, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "2400|2400|t");
	/* 24.01%: 2,001 fen (2000.83 half up), 24.012% by IRR. */
	l.bps = 2401;
	cap_of(&l, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "2402|2400|f");
	/* 102,000 lent, 2,000 withheld, 102,000 back: 2% a month. */
	l.p = 102000;
	l.bps = 0;
	l.n = 1;
	l.m = 0;
	l.upfront = 2000;
	cap_of(&l, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "2400|2400|t");
	/* One fen more withheld: 2001 / 99999 a month, 24.0122% a year. */
	l.upfront = 2001;
	cap_of(&l, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "2402|2400|f");
	/* A monthly fee counts as the interest does: 100,000 at 0% + 2,000. */
	l.p = 100000;
	l.upfront = 0;
	l.fee = 2000;
	l.m = 2;
	cap_of(&l, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "2400|2400|t");
	/* No interest, no fees: APR 0. */
	l.fee = 0;
	cap_of(&l, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "0|2400|t");

	/* 36% exactly passes a cap set above 36%, which is held at 3600. */
	CU_ASSERT_EQUAL(su_exec("UPDATE settings SET value = '5000' "
	    "WHERE key = 'apr_cap_bps'"), 0);
	l.bps = 3600;
	l.n = 6;
	cap_of(&l, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "3600|3600|t");
	/* 8 fen a month more is 3.008% a month, 36.096% a year. */
	l.fee = 8;
	cap_of(&l, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "3610|3600|f");
	l.fee = 0;
	/* A lower setting is the cap. */
	CU_ASSERT_EQUAL(su_exec("UPDATE settings SET value = '1800' "
	    "WHERE key = 'apr_cap_bps'"), 0);
	l.bps = 2400;
	cap_of(&l, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "2400|1800|f");
	/* A setting that is no number of basis points is an error. */
	CU_ASSERT_EQUAL(su_exec("UPDATE settings SET value = '\"24%\"' "
	    "WHERE key = 'apr_cap_bps'"), 0);
	cap_of(&l, out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "settings apr_cap_bps is \"24%\", "
	    "not a whole number"));
	/* None at all is the default, 2400. */
	CU_ASSERT_EQUAL(su_exec("DELETE FROM settings WHERE key = "
	    "'apr_cap_bps'"), 0);
	cap_of(&l, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "2400|2400|t");
	CU_ASSERT_EQUAL(su_exec("INSERT INTO settings (key, value) VALUES "
	    "('apr_cap_bps', '2400')"), 0);
}

/*
 * The payout sends the principal less the upfront fee; the fees cannot
 * make that nothing, nor be negative.
 */
static void
test_disbursement_and_constraints(void)
{
	struct loan l;
	char sql[160], out[512];
	int64_t id;

	memset(&l, 0, sizeof l);
	l.p = 1000000;
	l.bps = 1800;
	l.n = 12;
	l.upfront = 30000;
	id = insert_loan(&l);
	CU_ASSERT_FATAL(id > 0);
	snprintf(sql, sizeof sql, "SELECT loan_disbursement_fen(%" PRId64 ")",
	    id);
	su_text(sql, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "970000");
	snprintf(sql, sizeof sql, "UPDATE applications SET upfront_fee_fen = "
	    "amount_fen WHERE id = %" PRId64, id);
	su_text(sql, out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out,
	    "applications_upfront_fee_below_amount"));
	snprintf(sql, sizeof sql, "UPDATE applications SET monthly_fee_fen = "
	    "-1 WHERE id = %" PRId64, id);
	su_text(sql, out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out,
	    "applications_monthly_fee_fen_check"));
}

/*
 * Plain functions (they run as their caller), callable by loandesk_api
 * (api.application_decide and the payout functions run as it), by no one
 * through PUBLIC; loandesk_api reads the setting.
 */
static void
test_privileges(void)
{
	char out[512];

	su_text("SELECT count(*) FROM pg_proc WHERE proname IN "
	    "('loan_disbursement_fen', 'loan_apr_cap_check', "
	    "'loan_schedule', 'loan_schedule_terms', 'loan_npv_exceeds') "
	    "AND NOT prosecdef", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "5");
	su_text("SELECT has_function_privilege('loandesk_api', "
	    "'loan_apr_cap_check(bigint)', 'EXECUTE') AND "
	    "has_function_privilege('loandesk_api', "
	    "'loan_disbursement_fen(bigint)', 'EXECUTE') AND NOT "
	    "has_function_privilege('loandesk_risk', "
	    "'loan_apr_cap_check(bigint)', 'EXECUTE') AND NOT "
	    "has_function_privilege('loandesk_daemon', "
	    "'loan_disbursement_fen(bigint)', 'EXECUTE') AND "
	    "has_table_privilege('loandesk_api', 'settings', 'SELECT')", out,
	    sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "t");
	/* As loandesk_api itself, with nothing else of the superuser's. */
	CU_ASSERT_EQUAL_FATAL(su_exec("SET ROLE loandesk_api"), 0);
	su_text("SELECT bool_and(c.within_cap IS NOT NULL AND "
	    "loan_disbursement_fen(a.id) > 0) FROM applications a CROSS JOIN "
	    "LATERAL loan_apr_cap_check(a.id) c", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "t");
	CU_ASSERT_EQUAL(su_exec("RESET ROLE"), 0);
	CU_ASSERT_EQUAL(su_exec("SET ROLE loandesk_risk"), 0);
	su_text("SELECT (loan_apr_cap_check(min(id))).within_cap FROM "
	    "applications", out, sizeof out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "permission denied for function "
	    "loan_apr_cap_check"));
	CU_ASSERT_EQUAL(su_exec("RESET ROLE"), 0);
}

/*
 * The seed prices its products within the 24% line by IRR, fees and all,
 * except the few it prices above the line on purpose: the exact check
 * passes the one and refuses the other.
 */
static void
test_seed_prices_against_cap(void)
{
	static struct core_seed_row row;
	struct core_seed_gen *g = core_seed_gen_new(7, 1795608000);
	struct loan l;
	char out[512];
	int i, over = 0, fees = 0;

	CU_ASSERT_EQUAL_FATAL(su_exec("DELETE FROM applications"), 0);
	for (i = 0; i < 1500; i++) {
		core_seed_gen_next(g, &row);
		memset(&l, 0, sizeof l);
		l.p = row.amount_fen;
		l.bps = row.rate_bps;
		l.n = row.term_months;
		l.m = strcmp(row.repayment, "annuity") == 0 ? 0 :
		    strcmp(row.repayment, "equal_principal") == 0 ? 1 : 2;
		l.upfront = row.upfront_fee_fen;
		l.fee = row.monthly_fee_fen;
		CU_ASSERT_FATAL(insert_loan(&l) > 0);
		over += row.rate_bps > 2400;
		fees += l.upfront > 0 || l.fee > 0;
	}
	core_seed_gen_free(g);
	su_text("SELECT count(*) FROM applications a CROSS JOIN LATERAL "
	    "loan_apr_cap_check(a.id) c WHERE c.within_cap <> "
	    "(a.rate_bps <= 2400)", out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "0");
	CU_ASSERT(over > 0 && fees > 300);
}

static const struct ld_test_case loan_cases[] = {
	LD_TEST(test_schedule_sql_equals_c),
	LD_TEST(test_schedule_sql_refusals),
	LD_TEST(test_apr_cap_agrees_with_irr),
	LD_TEST(test_apr_cap_boundary),
	LD_TEST(test_disbursement_and_constraints),
	LD_TEST(test_privileges),
	LD_TEST(test_seed_prices_against_cap),
	LD_TEST_END
};

int
main(void)
{
	LD_TEST_INIT();
	ld_test_suite("loan terms: schedule and APR cap in SQL", suite_init,
	    suite_clean, loan_cases);
	return ld_test_run();
}
