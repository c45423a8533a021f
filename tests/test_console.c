/*
 * The console's pure parts: display-width fitting, repayment schedules and
 * the IRR rate against the worked examples of docs/risk-maths.md
 * (10,000 yuan at 18% over 12 months: instalment 916.80, first interest
 * 150.00, last payment 916.81; a 0.8% monthly flat fee is 17.27% IRR),
 * the list and audit command parsers, score-JSON handling, and the
 * console's framework: key tables, the list cursor, table layout, wrap.
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/core_apps.h"
#include "core/core_apr.h"
#include "core/core_audit_view.h"
#include "core/core_case.h"
#include "core/core_reviews.h"
#include "core/core_schedule.h"
#include "ld_test.h"
#include "ui/ui_int.h"
#include "ui/ui_text.h"

static void
test_width(void)
{
	CU_ASSERT_EQUAL(ui_text_width("abc"), 3);
	CU_ASSERT_EQUAL(ui_text_width("张*三"), 5);
	CU_ASSERT_EQUAL(ui_text_width("欧**明"), 6);
	CU_ASSERT_EQUAL(ui_text_width("¥1,234.56"), 9);
	CU_ASSERT_EQUAL(ui_text_width(""), 0);
	/* A lone continuation byte is one column, drawn as '?'. */
	CU_ASSERT_EQUAL(ui_text_width("a\x80" "b"), 3);
}

static void
test_fit(void)
{
	char out[64];

	CU_ASSERT_EQUAL(ui_text_fit("张*三", 8, UI_LEFT, out, sizeof out), 8);
	CU_ASSERT_STRING_EQUAL(out, "张*三   ");
	CU_ASSERT_EQUAL(ui_text_fit("42", 5, UI_RIGHT, out, sizeof out), 5);
	CU_ASSERT_STRING_EQUAL(out, "   42");
	/* Cut with an ellipsis in the last column. */
	ui_text_fit("abcdefgh", 5, UI_LEFT, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "abcd…");
	CU_ASSERT_EQUAL(ui_text_width(out), 5);
	/* A wide character that would straddle the cut becomes a space. */
	ui_text_fit("欧阳明明", 6, UI_LEFT, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "欧阳 …");
	CU_ASSERT_EQUAL(ui_text_width(out), 6);
	ui_text_fit("欧阳明明", 5, UI_LEFT, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "欧阳…");
	/* Exactly fitting text is not cut. */
	ui_text_fit("欧阳", 4, UI_RIGHT, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "欧阳");
	/* Control characters never reach the terminal. */
	ui_text_fit("a\tb", 3, UI_LEFT, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "a?b");
	CU_ASSERT_EQUAL(ui_text_fit("abc", 0, UI_LEFT, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	/* A small buffer is never overrun. */
	ui_text_fit("张张张张", 8, UI_LEFT, out, 5);
	CU_ASSERT(strlen(out) < 5);
}

static void
test_schedule_annuity(void)
{
	struct core_schedule s;
	struct ld_err err;
	double apr;
	int64_t sum = 0;
	int k;

	CU_ASSERT_EQUAL_FATAL(core_schedule_build(1000000, 1800, 12,
	    CORE_REPAY_ANNUITY, 0, 0, &s, &err), LD_OK);
	CU_ASSERT_EQUAL(s.rows[0].payment, 91680);
	CU_ASSERT_EQUAL(s.rows[0].interest, 15000);
	CU_ASSERT_EQUAL(s.rows[0].principal, 76680);
	CU_ASSERT_EQUAL(s.rows[11].payment, 91681);
	CU_ASSERT_EQUAL(s.rows[11].balance, 0);
	for (k = 0; k < 12; k++)
		sum += s.rows[k].principal;
	CU_ASSERT_EQUAL(sum, 1000000);
	CU_ASSERT_EQUAL(s.total_paid, s.principal + s.total_interest);
	CU_ASSERT_EQUAL(core_schedule_apr(&s, &apr, &err), LD_OK);
	/* Rounding to the fen moves the IRR by under 0.01 points. */
	CU_ASSERT(fabs(apr - 0.18) < 0.0001);
}

/*
 * The annuity instalment is exact.  The known answers are Python's
 * fractions.Fraction of P b G / (120000 (G - H)), rounded half up.  The
 * fifth is 290,339,289,242.50000014 fen: a long double powl() put it at
 * ...242, below the half.
 */
static void
test_schedule_exact_instalment(void)
{
	static const struct {
		int64_t p;
		int bps, n;
		int64_t a;
	} k[] = {
		{ INT64_C(10000000000000), 3600, 60, INT64_C(361329587380) },
		{ INT64_C(10000000000000), 1, 60, INT64_C(166709031249) },
		{ 1, 3600, 1, 1 },
		{ 1000000, 1800, 12, 91680 },
		{ INT64_C(8551624615778), 3220, 59, INT64_C(290339289243) },
		{ 123456789, 2399, 37, 4753272 },
		/* At rate 0, P / n half up: 1.5 is 2. */
		{ 3, 0, 2, 2 },
	};
	struct core_schedule s;
	struct ld_err err;
	int64_t a;
	size_t i;

	for (i = 0; i < sizeof k / sizeof k[0]; i++) {
		CU_ASSERT_EQUAL(core_schedule_instalment(k[i].p, k[i].bps,
		    k[i].n, &a, &err), LD_OK);
		CU_ASSERT_EQUAL(a, k[i].a);
	}
	CU_ASSERT_EQUAL_FATAL(core_schedule_build(INT64_C(8551624615778),
	    3220, 59, CORE_REPAY_ANNUITY, 0, 0, &s, &err), LD_OK);
	CU_ASSERT_EQUAL(s.rows[0].payment, INT64_C(290339289243));
	CU_ASSERT_EQUAL(s.rows[58].balance, 0);
}

/* The upfront fee is withheld from the payout; the APR sees it. */
static void
test_schedule_upfront_fee(void)
{
	struct core_schedule s;
	struct ld_err err;
	double apr, apr0;

	CU_ASSERT_EQUAL_FATAL(core_schedule_build(1000000, 1800, 12,
	    CORE_REPAY_ANNUITY, 0, 0, &s, &err), LD_OK);
	CU_ASSERT_EQUAL(core_schedule_apr(&s, &apr0, &err), LD_OK);
	CU_ASSERT_EQUAL_FATAL(core_schedule_build(1000000, 1800, 12,
	    CORE_REPAY_ANNUITY, 30000, 0, &s, &err), LD_OK);
	CU_ASSERT_EQUAL(s.received, 970000);
	CU_ASSERT_EQUAL(s.upfront_fee, 30000);
	/* Interest runs on the whole principal: the same instalments. */
	CU_ASSERT_EQUAL(s.rows[0].payment, 91680);
	CU_ASSERT_EQUAL(s.total_fees, 0);
	CU_ASSERT_EQUAL(s.total_paid - s.received,
	    s.total_interest + s.total_fees + s.upfront_fee);
	CU_ASSERT_EQUAL(core_schedule_apr(&s, &apr, &err), LD_OK);
	/* 3% withheld on a year's loan costs about 5.5 points of APR. */
	CU_ASSERT(apr > apr0 + 0.05 && apr < apr0 + 0.06);
	/* 100 lent, 2 withheld, 102 back in a month: exactly 2% a month. */
	CU_ASSERT_EQUAL_FATAL(core_schedule_build(10200, 0, 1,
	    CORE_REPAY_BULLET, 200, 0, &s, &err), LD_OK);
	CU_ASSERT_EQUAL(core_schedule_apr(&s, &apr, &err), LD_OK);
	CU_ASSERT(fabs(apr - 0.24) < 1e-12);
	CU_ASSERT_EQUAL(core_schedule_build(10200, 0, 1, CORE_REPAY_BULLET,
	    10200, 0, &s, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "upfront fee 10200"));
	CU_ASSERT_EQUAL(core_schedule_build(10200, 0, 1, CORE_REPAY_BULLET,
	    -1, 0, &s, &err), LD_EINVAL);
}

static void
test_schedule_equal_principal(void)
{
	struct core_schedule s;
	struct ld_err err;
	double apr;

	/* Total interest = r P (n + 1) / 2 = 0.015 * 10000 * 13 / 2 = 975. */
	CU_ASSERT_EQUAL_FATAL(core_schedule_build(1000000, 1800, 12,
	    CORE_REPAY_EQUAL_PRINCIPAL, 0, 0, &s, &err), LD_OK);
	CU_ASSERT_EQUAL(s.total_interest, 97500);
	CU_ASSERT_EQUAL(s.rows[0].payment, 83333 + 15000);
	CU_ASSERT_EQUAL(s.rows[11].principal, 1000000 - 11 * 83333);
	CU_ASSERT_EQUAL(core_schedule_apr(&s, &apr, &err), LD_OK);
	CU_ASSERT(fabs(apr - 0.18) < 0.0001);
}

static void
test_schedule_flat_fee_irr(void)
{
	struct core_schedule s;
	struct ld_err err;
	double apr;

	/*
	 * 等本等息: 0.8% of the original principal every month, no interest:
	 * "9.6% a year" is 17.27% by IRR.
	 */
	CU_ASSERT_EQUAL_FATAL(core_schedule_build(1000000, 0, 12,
	    CORE_REPAY_EQUAL_PRINCIPAL, 0, 8000, &s, &err), LD_OK);
	CU_ASSERT_EQUAL(s.total_fees, 96000);
	CU_ASSERT_EQUAL(core_schedule_apr(&s, &apr, &err), LD_OK);
	CU_ASSERT(fabs(apr * 100 - 17.27) < 0.005);
}

static void
test_schedule_bullet_and_limits(void)
{
	struct core_schedule s;
	struct ld_err err;
	int64_t cf[3] = { 100, -50, -60 };
	double i;

	CU_ASSERT_EQUAL_FATAL(core_schedule_build(250050, 3000, 3,
	    CORE_REPAY_BULLET, 0, 0, &s, &err), LD_OK);
	/* 250,050 fen * 2.5% = 6251.25 -> 6251 each month, half up. */
	CU_ASSERT_EQUAL(s.rows[0].interest, 6251);
	CU_ASSERT_EQUAL(s.rows[0].principal, 0);
	CU_ASSERT_EQUAL(s.rows[2].principal, 250050);
	CU_ASSERT_EQUAL(core_schedule_build(100, 1800, 0,
	    CORE_REPAY_ANNUITY, 0, 0, &s, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "term 0"));
	CU_ASSERT_EQUAL(core_schedule_build(0, 1800, 12,
	    CORE_REPAY_ANNUITY, 0, 0, &s, &err), LD_EINVAL);
	/* 100 now for 50 + 60: i solves 100 = 50/(1+i) + 60/(1+i)^2. */
	CU_ASSERT_EQUAL(core_irr(cf, 3, &i, &err), LD_OK);
	{
		/* Closed form: v = 1/(1+i) solves 60v^2 + 50v - 100 = 0. */
		double v = (-50.0 + sqrt(2500.0 + 24000.0)) / 120.0;

		CU_ASSERT(fabs(i - (1.0 / v - 1.0)) < 1e-9);
	}
	cf[1] = 10;
	CU_ASSERT_EQUAL(core_irr(cf, 3, &i, &err), LD_EINVAL);
	cf[0] = 100;
	cf[1] = -40;
	cf[2] = -40;
	CU_ASSERT_EQUAL(core_irr(cf, 3, &i, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "less is repaid"));
}

static void
test_apps_command(void)
{
	struct core_apps_filter f;
	enum core_apps_sort sort = CORE_SORT_SUBMITTED;
	int desc = 1;
	struct ld_err err;
	char d[256];

	core_apps_filter_clear(&f);
	CU_ASSERT_EQUAL(core_apps_command("status manual_review", &f, &sort, &desc,
	    &err), LD_OK);
	CU_ASSERT_EQUAL(f.status, CORE_APP_MANUAL_REVIEW);
	CU_ASSERT_EQUAL(core_apps_command("amount >5000", &f, &sort, &desc, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(f.amount_op, CORE_AMOUNT_GT);
	CU_ASSERT_EQUAL(f.amount_fen, 500000);
	CU_ASSERT_EQUAL(core_apps_command("amount <= 1,234.56", &f, &sort, &desc,
	    &err), LD_OK);
	CU_ASSERT_EQUAL(f.amount_op, CORE_AMOUNT_LE);
	CU_ASSERT_EQUAL(f.amount_fen, 123456);
	CU_ASSERT_EQUAL(core_apps_command("since 7d", &f, &sort, &desc, &err), LD_OK);
	CU_ASSERT_EQUAL(f.since_s, 7 * 86400);
	CU_ASSERT_EQUAL(core_apps_command("since 12h", &f, &sort, &desc, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(f.since_s, 12 * 3600);
	CU_ASSERT_EQUAL(core_apps_command("id 42", &f, &sort, &desc, &err), LD_OK);
	CU_ASSERT_EQUAL(f.id, 42);
	CU_ASSERT_EQUAL(core_apps_command("sort amount", &f, &sort, &desc, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(sort, CORE_SORT_AMOUNT);
	CU_ASSERT_EQUAL(desc, 1);
	/* A direction when asked; else the column's own, not the last one. */
	CU_ASSERT_EQUAL(core_apps_command("sort submitted asc", &f, &sort,
	    &desc, &err), LD_OK);
	CU_ASSERT_EQUAL(sort, CORE_SORT_SUBMITTED);
	CU_ASSERT_EQUAL(desc, 0);
	CU_ASSERT_EQUAL(core_apps_command("sort amount", &f, &sort, &desc,
	    &err), LD_OK);
	CU_ASSERT_EQUAL(desc, 1);
	CU_ASSERT_EQUAL(core_apps_command("sort score", &f, &sort, &desc,
	    &err), LD_OK);
	CU_ASSERT_EQUAL(sort, CORE_SORT_POINTS);
	CU_ASSERT_EQUAL(desc, 0);
	CU_ASSERT_EQUAL(core_apps_command("sort id  desc", &f, &sort, &desc,
	    &err), LD_OK);
	CU_ASSERT_EQUAL(sort, CORE_SORT_ID);
	CU_ASSERT_EQUAL(desc, 1);
	CU_ASSERT_EQUAL(core_apps_command("sort amount sideways", &f, &sort,
	    &desc, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "sideways"));
	CU_ASSERT_EQUAL(sort, CORE_SORT_ID);
	CU_ASSERT_EQUAL(core_apps_command("sort amount", &f, NULL, NULL,
	    &err), LD_EINVAL);
	CU_ASSERT_EQUAL(core_apps_command("sort amount", &f, &sort, &desc,
	    &err), LD_OK);
	core_apps_filter_describe(&f, d, sizeof d);
	CU_ASSERT_STRING_EQUAL(d, "id=42 status=manual_review "
	    "amount<=1,234.56 since=12h");

	/* Errors name the word and leave the filter alone. */
	CU_ASSERT_EQUAL(core_apps_command("status approvedd", &f, &sort, &desc,
	    &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "approvedd"));
	CU_ASSERT_EQUAL(f.status, CORE_APP_MANUAL_REVIEW);
	CU_ASSERT_EQUAL(core_apps_command("amount >5k", &f, &sort, &desc, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(core_apps_command("amount >1.234", &f, &sort, &desc, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(f.amount_fen, 123456);
	CU_ASSERT_EQUAL(core_apps_command("since 7x", &f, &sort, &desc, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(core_apps_command("since -1d", &f, &sort, &desc, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(core_apps_command("id 4x", &f, &sort, &desc, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(core_apps_command("frobnicate", &f, &sort, &desc, &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "frobnicate"));
	CU_ASSERT_EQUAL(core_apps_command("sort colour", &f, &sort, &desc, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(core_apps_command("", &f, &sort, &desc, &err), LD_EINVAL);

	/* A bare word clears its filter; clear clears all. */
	CU_ASSERT_EQUAL(core_apps_command("status", &f, &sort, &desc, &err), LD_OK);
	CU_ASSERT_EQUAL(f.status, CORE_APP_NONE);
	CU_ASSERT(core_apps_filter_active(&f));
	CU_ASSERT_EQUAL(core_apps_command("clear", &f, &sort, &desc, &err), LD_OK);
	CU_ASSERT(!core_apps_filter_active(&f));
}

static void
test_audit_command(void)
{
	struct core_audit_filter f;
	struct ld_err err;
	char d[256];

	memset(&f, 0, sizeof f);
	CU_ASSERT_EQUAL(core_audit_command("actor alice", &f, &err), LD_OK);
	CU_ASSERT_EQUAL(core_audit_command("object application/301", &f,
	    &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(f.object_type, "application");
	CU_ASSERT_STRING_EQUAL(f.object_id, "301");
	CU_ASSERT_EQUAL(core_audit_command("action application.approve", &f,
	    &err), LD_OK);
	core_audit_filter_describe(&f, d, sizeof d);
	CU_ASSERT_STRING_EQUAL(d, "actor=alice object=application/301 "
	    "action=application.approve");
	CU_ASSERT_EQUAL(core_audit_command("object /3", &f, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(core_audit_command("object review/", &f, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(core_audit_command("who me", &f, &err), LD_EINVAL);
	CU_ASSERT_STRING_EQUAL(f.object_id, "301");
	CU_ASSERT_EQUAL(core_audit_command("clear", &f, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(f.actor, "");
}

static void
test_reviews_command(void)
{
	struct core_reviews_filter f;
	struct ld_err err;
	char d[160];

	core_reviews_filter_clear(&f);
	CU_ASSERT(!core_reviews_filter_active(&f));
	core_reviews_filter_describe(&f, d, sizeof d);
	CU_ASSERT_STRING_EQUAL(d, "");
	CU_ASSERT_EQUAL(core_reviews_command("mine", &f, &err), LD_OK);
	CU_ASSERT_EQUAL(f.view, CORE_REVIEWS_MINE);
	CU_ASSERT_EQUAL(core_reviews_command(" kind payout ", &f, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(f.kind, CORE_REVIEW_KIND_PAYOUT);
	snprintf(f.text, sizeof f.text, "欧");
	core_reviews_filter_describe(&f, d, sizeof d);
	CU_ASSERT_STRING_EQUAL(d, "mine kind=payout /欧");
	CU_ASSERT(core_reviews_filter_active(&f));
	/* Refused words change nothing and say what was wrong. */
	CU_ASSERT_EQUAL(core_reviews_command("kind loan", &f, &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "kind: \"loan\" is not "
	    "application, payout or reconciliation"));
	CU_ASSERT_EQUAL(core_reviews_command("id 12x", &f, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(core_reviews_command("id -3", &f, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(core_reviews_command("mine now", &f, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(core_reviews_command("status open", &f, &err),
	    LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown command \"status\" "
	    "(mine, open, all, kind, id, clear)"));
	CU_ASSERT_EQUAL(f.view, CORE_REVIEWS_MINE);
	CU_ASSERT_EQUAL(f.kind, CORE_REVIEW_KIND_PAYOUT);
	/* :id jumps: whatever narrowed the list would hide what it names. */
	CU_ASSERT_EQUAL(core_reviews_command("id 302", &f, &err), LD_OK);
	CU_ASSERT_EQUAL(f.id, 302);
	CU_ASSERT_EQUAL(f.view, CORE_REVIEWS_ALL);
	CU_ASSERT_EQUAL(f.kind, CORE_REVIEW_KIND_ANY);
	CU_ASSERT_STRING_EQUAL(f.text, "");
	core_reviews_filter_describe(&f, d, sizeof d);
	CU_ASSERT_STRING_EQUAL(d, "id=302");
	/* Asking for a part ends the jump. */
	CU_ASSERT_EQUAL(core_reviews_command("open", &f, &err), LD_OK);
	CU_ASSERT_EQUAL(f.id, 0);
	CU_ASSERT_EQUAL(f.view, CORE_REVIEWS_OPEN);
	CU_ASSERT_EQUAL(core_reviews_command("kind application", &f, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(core_reviews_command("kind", &f, &err), LD_OK);
	CU_ASSERT_EQUAL(f.kind, CORE_REVIEW_KIND_ANY);
	CU_ASSERT_EQUAL(core_reviews_command("all", &f, &err), LD_OK);
	CU_ASSERT(!core_reviews_filter_active(&f));
	CU_ASSERT_EQUAL(core_reviews_command("mine", &f, &err), LD_OK);
	CU_ASSERT_EQUAL(core_reviews_command("clear", &f, &err), LD_OK);
	CU_ASSERT(!core_reviews_filter_active(&f));
}

static void
test_score_json(void)
{
	struct core_case c;
	int skipped = -1;

	memset(&c, 0, sizeof c);
	core_case_parse_score_json(&c,
	    "[{\"feature\":\"a\",\"value\":1.5,\"phi\":0.2,\"points\":-5.8},"
	    "{\"feature\":\"b\",\"value\":null,\"phi\":-0.1},"
	    "{\"feature\":\"c\",\"value\":\"x\",\"phi\":1},"
	    "{\"value\":1,\"phi\":1}, 7,"
	    "{\"feature\":\"d\",\"value\":2,\"phi\":null,\"points\":null}]",
	    "[{\"id\":\"R1\",\"version\":3,\"action\":\"refer\","
	    "\"text\":\"多头\",\"inputs\":{\"multi_apply_30d\":4,"
	    "\"device_risk\":null}},{\"version\":1}]",
	    "{\"not\":\"an array\"}", &skipped);
	CU_ASSERT_EQUAL(c.ncontribs, 3);
	CU_ASSERT_STRING_EQUAL(c.contribs[0].feature, "a");
	CU_ASSERT(!c.contribs[0].missing);
	CU_ASSERT(c.contribs[0].has_points);
	CU_ASSERT(c.contribs[1].missing);
	CU_ASSERT(!c.contribs[1].has_points);
	/* A null phi (NaN upstream) is kept as no contribution. */
	CU_ASSERT_STRING_EQUAL(c.contribs[2].feature, "d");
	CU_ASSERT_EQUAL(c.contribs[2].phi, 0);
	CU_ASSERT(!c.contribs[2].has_points);
	CU_ASSERT_EQUAL(c.nrules, 1);
	CU_ASSERT_STRING_EQUAL(c.rules[0].version, "3");
	CU_ASSERT_STRING_EQUAL(c.rules[0].text, "多头");
	CU_ASSERT_STRING_EQUAL(c.rules[0].inputs,
	    "multi_apply_30d=4 device_risk=null");
	CU_ASSERT_EQUAL(c.nreasons, 0);
	/* c (string value), the featureless one, 7, the id-less rule, and
	 * the reasons object. */
	CU_ASSERT_EQUAL(skipped, 5);
	/* Inputs the console shows whole, however many a rule names. */
	core_case_parse_score_json(&c, NULL, "[{\"id\":\"R9\","
	    "\"action\":\"review\",\"inputs\":{"
	    "\"declared_contacts_overdue_ratio\":0.5,"
	    "\"device_shared_applicants_24h\":7,"
	    "\"declared_contacts_overdue\":3,"
	    "\"carrier_realname_verified\":0,"
	    "\"max_overdue_days_hist\":120,"
	    "\"requested_amount_fen\":1340000}}]", NULL, &skipped);
	CU_ASSERT_EQUAL_FATAL(c.nrules, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.rules[0].inputs,
	    " requested_amount_fen=1340000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(c.rules[0].inputs,
	    " max_overdue_days_hist=120"));
	core_case_parse_score_json(&c, "not json", "", NULL, &skipped);
	CU_ASSERT_EQUAL(c.ncontribs, 0);
	CU_ASSERT_EQUAL(skipped, 1);
	core_case_free(&c);
	core_case_free(&c);
}

/* A rule hit as the worker writes it: only what the tests read. */
static void
rule_hit(struct core_rule_hit *r, const char *id, const char *action)
{
	memset(r, 0, sizeof *r);
	snprintf(r->id, sizeof r->id, "%s", id);
	snprintf(r->action, sizeof r->action, "%s", action);
}

/*
 * The header names the rule behind a recommendation: a review rule's
 * manual_review, a reject rule's auto_rejected; flags and rules of the
 * other action did not decide, and the thresholds' decisions name none.
 */
static void
test_deciding_rules(void)
{
	struct core_rule_hit hits[4];
	struct core_case c;
	char buf[64], small[8];

	memset(&c, 0, sizeof c);
	c.rules = hits;
	rule_hit(&hits[0], "R003", "review");
	rule_hit(&hits[1], "R011", "flag");
	rule_hit(&hits[2], "R007", "review");
	rule_hit(&hits[3], "R001", "reject");
	c.nrules = 3;
	c.recommendation = CORE_APP_MANUAL_REVIEW;
	CU_ASSERT_EQUAL(core_case_deciding_rules(&c, buf, sizeof buf), 2);
	CU_ASSERT_STRING_EQUAL(buf, "R003, R007");
	/* No room: whole ids only, and still counted. */
	CU_ASSERT_EQUAL(core_case_deciding_rules(&c, small, sizeof small), 2);
	CU_ASSERT_STRING_EQUAL(small, "R003");
	c.nrules = 4;
	c.recommendation = CORE_APP_AUTO_REJECTED;
	CU_ASSERT_EQUAL(core_case_deciding_rules(&c, buf, sizeof buf), 1);
	CU_ASSERT_STRING_EQUAL(buf, "R001");
	c.nrules = 2;
	CU_ASSERT_EQUAL(core_case_deciding_rules(&c, buf, sizeof buf), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	c.recommendation = CORE_APP_AUTO_APPROVED;
	CU_ASSERT_EQUAL(core_case_deciding_rules(&c, buf, sizeof buf), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
}

/* MODEL_AGREE only where the decision is the recommendation. */
static void
test_reason_offered(void)
{
	static const struct core_reason_code agree = { "MODEL_AGREE", 3u,
		"同意模型建议", "Agree with the model recommendation", 1 };
	static const struct core_reason_code income = { "VERIFIED_INCOME",
		1u, "收入已核实", "Income verified", 1 };

	CU_ASSERT(core_reason_code_offered(&agree, CORE_APPROVE,
	    CORE_APP_AUTO_APPROVED));
	CU_ASSERT(core_reason_code_offered(&agree, CORE_REJECT,
	    CORE_APP_AUTO_REJECTED));
	CU_ASSERT(!core_reason_code_offered(&agree, CORE_APPROVE,
	    CORE_APP_MANUAL_REVIEW));
	CU_ASSERT(!core_reason_code_offered(&agree, CORE_REJECT,
	    CORE_APP_MANUAL_REVIEW));
	CU_ASSERT(!core_reason_code_offered(&agree, CORE_APPROVE,
	    CORE_APP_AUTO_REJECTED));
	CU_ASSERT(!core_reason_code_offered(&agree, CORE_REJECT,
	    CORE_APP_AUTO_APPROVED));
	CU_ASSERT(!core_reason_code_offered(&agree, CORE_REVIEW,
	    CORE_APP_MANUAL_REVIEW));
	CU_ASSERT(!core_reason_code_offered(&agree, CORE_APPROVE,
	    CORE_APP_NONE));
	/* Other codes go by applies_to alone. */
	CU_ASSERT(core_reason_code_offered(&income, CORE_APPROVE,
	    CORE_APP_MANUAL_REVIEW));
	CU_ASSERT(core_reason_code_offered(&income, CORE_APPROVE,
	    CORE_APP_AUTO_REJECTED));
	CU_ASSERT(!core_reason_code_offered(&income, CORE_REJECT,
	    CORE_APP_AUTO_REJECTED));
	CU_ASSERT(!core_reason_code_offered(&income, CORE_DECISION_COUNT,
	    CORE_APP_NONE));
	CU_ASSERT_PTR_NOT_NULL(core_feature_label(
	    "declared_contacts_overdue_ratio"));
	CU_ASSERT_PTR_NULL(core_feature_label("no_such_feature"));
}

static void
test_decision_outcome(void)
{
	/*
	 * Whether a decision overrides the model is the database's answer
	 * (api.decision_preview; tests/test_db_integrity.c).
	 */
	CU_ASSERT_EQUAL(core_decision_outcome(CORE_REVIEW),
	    CORE_APP_MANUAL_REVIEW);
}

static void
test_detail_text(void)
{
	char b[320], small[24];

	/* A decision, as api.application_decide writes it. */
	core_audit_detail_text("{\"to\": \"approved\", \"from\": "
	    "\"manual_review\", \"note\": \"payslips checked\", \"reason\": "
	    "\"VERIFIED_INCOME\", \"override\": false, \"amount_fen\": "
	    "1000000, \"recommendation\": \"manual_review\"}", b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "manual_review \xe2\x86\x92 approved, reason "
	    "VERIFIED_INCOME, note \"payslips checked\", model said "
	    "manual_review, \xc2\xa5" "10,000.00");
	core_audit_detail_text("{\"to\": \"approved\", \"from\": "
	    "\"auto_rejected\", \"note\": \"called\", \"reason\": \"OTHER\", "
	    "\"override\": true, \"recommendation\": \"auto_rejected\"}", b,
	    sizeof b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "overrides the model (auto_rejected)"));
	/* A score: decision, points, PD and the rule ids. */
	core_audit_detail_text("{\"decision\": \"manual_review\", "
	    "\"pd_bps\": 946, \"points\": 552, \"basis\": [{\"code\": "
	    "\"RULE_REFER\", \"rule\": \"R_MULTI_APPLY\", \"text\": \"x\"}, "
	    "{\"code\": \"PD_BAND\", \"rule\": null}], \"model_id\": 1, "
	    "\"score_id\": 9}", b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "manual_review, 552 points, PD 9.46%, rules "
	    "R_MULTI_APPLY, score #9");
	/* A review handed over. */
	core_audit_detail_text("{\"kind\": \"application\", \"application_id\": "
	    "302, \"payout_id\": null, \"from\": null, \"to\": \"li_na\"}", b,
	    sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "nobody \xe2\x86\x92 li_na, application review "
	    "of application 302");
	/* Keys it does not know stay visible, as compact JSON. */
	core_audit_detail_text("{\"reason\": \"OTHER\", \"limit\": "
	    "{\"a\": [1, 2]}}", b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "reason OTHER, {\"limit\":{\"a\":[1,2]}}");
	core_audit_detail_text("{\"x\": 1}", b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "{\"x\":1}");
	/* Not an object: as it is. */
	core_audit_detail_text("[1, 2", b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "[1, 2");
	core_audit_detail_text("{}", b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "");
	/* Cut on a character boundary, with an ellipsis. */
	core_audit_detail_text("{\"note\": \"欧欧欧欧欧欧欧欧\"}", small,
	    sizeof small);
	CU_ASSERT_STRING_EQUAL(small, "note \"欧欧欧欧\xe2\x80\xa6");
}

static void
test_count_and_cut(void)
{
	char b[32];

	ui_count(0, b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "0");
	ui_count(999, b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "999");
	ui_count(1000, b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "1,000");
	ui_count(1000000, b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "1,000,000");
	ui_count(-12345, b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "-12,345");
	/* 欧 is two columns: four columns hold "a欧" and not the next. */
	CU_ASSERT_EQUAL(ui_text_cut("a欧欧", 4), 4);
	CU_ASSERT_EQUAL(ui_text_cut("a欧欧", 5), 7);
	CU_ASSERT_EQUAL(ui_text_cut("abc", 10), 3);
	CU_ASSERT_EQUAL(ui_text_cut("abc", 0), 0);
}

/* The operator the hints are laid out for: a risk officer. */
static const struct core_operator risk_op = { "li_na", CORE_ROLE_RISK, 0,
	"UTC", "UTC" };

/* Hides what needs the right to decide, as a decided case does. */
static int
hide_decisions(const struct ui_key *k, void *arg)
{
	(void)arg;
	return k->perm == CORE_PERM_DECIDE;
}

static int
hinted(const struct ui_hint *h, int n, int action)
{
	int i;

	for (i = 0; i < n; i++)
		if (h[i].key->action == action)
			return 1;
	return 0;
}

/*
 * Every screen, from the table the console runs: its keys agree with
 * what it implements, and at 80 columns (with and without the READONLY
 * mark) the hints keep ?, q and Q, fit, and do not overlap.
 */
static void
test_screens_and_hints(void)
{
	struct core_operator ro = risk_op;
	struct ui_hint h[32];
	int i, n, j, x0, cols;

	ro.readonly = 1;
	for (i = 0; i < UI_SCREEN_COUNT; i++) {
		const struct ui_screen *s = ui_screen_table[i];
		const struct ui_key *tables[2] = { s->keys, ui_frame_keys };

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(ui_keys_has(s->keys, UI_ACT_FILTER),
		    s->filter != NULL);
		CU_ASSERT_EQUAL(ui_keys_has(s->keys, UI_ACT_COMMAND),
		    s->command != NULL);
		for (x0 = 0; x0 <= 10; x0 += 10) {
			n = ui_hints_layout(tables, 2, x0 ? &ro : &risk_op,
			    x0, 80, h, 32, NULL, NULL);
			CU_ASSERT(hinted(h, n, UI_ACT_HELP));
			CU_ASSERT(hinted(h, n, UI_ACT_BACK));
			CU_ASSERT(hinted(h, n, UI_ACT_QUIT));
			CU_ASSERT_EQUAL(hinted(h, n, UI_ACT_FILTER),
			    s->filter != NULL);
			for (j = 0; j < n; j++) {
				cols = h[j].x + h[j].keyw + 1 +
				    ui_text_width(h[j].key->help);
				CU_ASSERT(cols <= 80);
				CU_ASSERT(h[j].x >= x0);
				if (j > 0)
					CU_ASSERT(h[j].x > h[j - 1].x +
					    h[j - 1].keyw);
			}
		}
	}
	/* The case screen's panes and decisions are hinted to risk. */
	{
		const struct ui_key *tables[2] = {
			ui_screen_table[UI_SCREEN_CASE]->keys, ui_frame_keys };

		n = ui_hints_layout(tables, 2, &risk_op, 0, 80, h, 32, NULL,
		    NULL);
		CU_ASSERT(hinted(h, n, UI_ACT_NEXT_PANE));
		CU_ASSERT(hinted(h, n, UI_ACT_SCREEN + 1));
		/* ... but nothing that needs a role to the readonly. */
		n = ui_hints_layout(tables, 2, &ro, 10, 80, h, 32, NULL,
		    NULL);
		for (j = 0; j < n; j++)
			CU_ASSERT_EQUAL(h[j].key->perm, CORE_PERM_NONE);
		/* Narrow: what is always there comes first. */
		n = ui_hints_layout(tables, 2, &risk_op, 0, 24, h, 32, NULL,
		    NULL);
		CU_ASSERT_EQUAL(n, 3);
		CU_ASSERT(hinted(h, n, UI_ACT_QUIT));
		/* A decided case: its decisions leave the bar, Tab stays. */
		n = ui_hints_layout(tables, 2, &risk_op, 0, 80, h, 32,
		    hide_decisions, NULL);
		for (j = 0; j < n; j++)
			CU_ASSERT_EQUAL(h[j].key->perm, CORE_PERM_NONE);
		CU_ASSERT(hinted(h, n, UI_ACT_NEXT_PANE));
	}
}

/*
 * The list cursor every list moves by: what each moving key asks, kept
 * within the list, and the view that follows the cursor.
 */
static void
test_cursor(void)
{
	struct ui_move m;
	int cur, top;

	m = ui_move_of(UI_ACT_PGDN, 10);
	CU_ASSERT_EQUAL(m.to, UI_MOVE_BY);
	CU_ASSERT_EQUAL(m.by, 9);
	CU_ASSERT(m.paged);
	m = ui_move_of(UI_ACT_UP, 10);
	CU_ASSERT_EQUAL(m.by, -1);
	CU_ASSERT(!m.paged);
	CU_ASSERT_EQUAL(ui_move_of(UI_ACT_PGUP, 1).by, -1);
	CU_ASSERT_EQUAL(ui_move_of(UI_ACT_HOME, 10).to, UI_MOVE_FIRST);
	CU_ASSERT_EQUAL(ui_move_of(UI_ACT_END, 10).to, UI_MOVE_LAST);
	CU_ASSERT_EQUAL(ui_move_of(UI_ACT_OPEN, 10).to, UI_MOVE_NONE);

	cur = 0;
	ui_cursor_move(&cur, 5, ui_move_of(UI_ACT_PGDN, 10));
	CU_ASSERT_EQUAL(cur, 4);
	ui_cursor_move(&cur, 5, ui_move_of(UI_ACT_UP, 10));
	CU_ASSERT_EQUAL(cur, 3);
	ui_cursor_move(&cur, 5, ui_move_of(UI_ACT_HOME, 10));
	CU_ASSERT_EQUAL(cur, 0);
	ui_cursor_move(&cur, 5, ui_move_of(UI_ACT_UP, 10));
	CU_ASSERT_EQUAL(cur, 0);
	ui_cursor_move(&cur, 0, ui_move_of(UI_ACT_END, 10));
	CU_ASSERT_EQUAL(cur, 0);
	cur = 2;
	ui_cursor_move(&cur, 5, ui_move_of(UI_ACT_OPEN, 10));
	CU_ASSERT_EQUAL(cur, 2);

	top = 0;
	ui_cursor_show(&top, 12, 100, 10);
	CU_ASSERT_EQUAL(top, 3);
	top = 50;
	ui_cursor_show(&top, 40, 100, 10);
	CU_ASSERT_EQUAL(top, 40);
	/* Not past the end when the list can fill the view. */
	top = 95;
	ui_cursor_show(&top, 97, 100, 10);
	CU_ASSERT_EQUAL(top, 90);
	top = 2;
	ui_cursor_show(&top, 1, 3, 10);
	CU_ASSERT_EQUAL(top, 0);
}

/*
 * Table layout, against positions worked out by hand: A 10, B 6, C 8
 * and a flexible D one short of the edge; narrowing drops B (spare, so
 * also for D's room), then takes C to 4.
 */
static void
test_table_layout(void)
{
	static const struct ui_col cols[] = {
		{ "A", 10, UI_RIGHT }, { "B", 6, UI_LEFT },
		{ "C", 8, UI_LEFT }, { "D", 0, UI_LEFT },
	};
	static const struct ui_narrow narrow[] = {
		{ 1, 0, 0, 1 }, { 2, 4, 0, 0 },
	};
	static const struct ui_table t = { cols, 4, narrow, 2, 0, 1 };
	static const struct ui_col fixed[] = {
		{ "G", 3, UI_LEFT }, { "H", 3, UI_LEFT }, { "I", 3, UI_LEFT },
	};
	static const struct ui_narrow together[] = {
		{ 0, 0, 0, 0 }, { 1, 0, 1, 0 },
	};
	static const struct ui_table f = { fixed, 3, together, 2, 2, 0 };
	struct ui_layout l;

	/* Room for all, and for D's 30. */
	ui_table_layout(&t, NULL, 10, 30, 60, &l);
	CU_ASSERT_EQUAL_FATAL(l.n, 4);
	CU_ASSERT_EQUAL(l.c[1].x, 11);
	CU_ASSERT_EQUAL(l.c[2].x, 18);
	CU_ASSERT_EQUAL(l.c[3].x, 27);
	CU_ASSERT_EQUAL(l.c[3].width, 32);
	CU_ASSERT_EQUAL(l.c[0].align, UI_RIGHT);
	/* D has its least; for its want B goes, but C is not spare. */
	ui_table_layout(&t, NULL, 10, 30, 50, &l);
	CU_ASSERT_EQUAL_FATAL(l.n, 3);
	CU_ASSERT_EQUAL(l.col[1], 2);
	CU_ASSERT_EQUAL(l.c[1].x, 11);
	CU_ASSERT_EQUAL(l.c[2].x, 20);
	CU_ASSERT_EQUAL(l.c[2].width, 29);
	CU_ASSERT_PTR_NULL(ui_layout_find(&l, 1));
	CU_ASSERT_PTR_NOT_NULL(ui_layout_find(&l, 3));
	/* For D's least: B goes and C narrows. */
	ui_table_layout(&t, NULL, 10, 30, 30, &l);
	CU_ASSERT_EQUAL_FATAL(l.n, 3);
	CU_ASSERT_EQUAL(l.c[1].width, 4);
	CU_ASSERT_EQUAL(l.c[2].x, 16);
	CU_ASSERT_EQUAL(l.c[2].width, 13);
	/* Widths given per column. */
	{
		int w[4] = { 2, 6, 8, 0 };

		ui_table_layout(&t, w, 10, 30, 60, &l);
		CU_ASSERT_EQUAL(l.c[1].x, 3);
	}
	/* No flexible column: the last ends at the edge; with_prev steps
	 * go together. */
	ui_table_layout(&f, NULL, 0, 0, 13, &l);
	CU_ASSERT_EQUAL(l.n, 3);
	CU_ASSERT_EQUAL(l.c[0].x, 2);
	ui_table_layout(&f, NULL, 0, 0, 12, &l);
	CU_ASSERT_EQUAL_FATAL(l.n, 1);
	CU_ASSERT_EQUAL(l.col[0], 2);
	CU_ASSERT_EQUAL(l.c[0].x, 2);
}

/* Wrapping by display width, at a space in the line's second half. */
static void
test_wrap(void)
{
	char b[64];
	const char *s = "hello world foo";

	CU_ASSERT_EQUAL(ui_text_wrap_cut(s, 12), 12);
	CU_ASSERT_EQUAL(ui_text_wrap_lines(s, 12, 5), 2);
	CU_ASSERT_EQUAL(ui_text_wrap_lines(s, 40, 5), 1);
	CU_ASSERT_EQUAL(ui_text_wrap_lines(s, 12, 1), 1);
	/* No space to cut at: by columns, whole characters. */
	CU_ASSERT_EQUAL(ui_text_wrap_cut("欧阳明明欧阳", 5), 6);
	CU_ASSERT_EQUAL(ui_text_wrap_lines("欧阳明明欧阳", 5, 9), 3);
	/* Wider than the line, a character still moves on. */
	CU_ASSERT_EQUAL(ui_text_wrap_cut("欧阳", 1), 3);
	CU_ASSERT_STRING_EQUAL(ui_text_wrap_next("  x"), "x");
	CU_ASSERT_STRING_EQUAL(ui_text_fit_words(
	    "RULE_REVIEW R_DEVICE_SHARED", 20, b, sizeof b),
	    "RULE_REVIEW\xe2\x80\xa6");
	CU_ASSERT_STRING_EQUAL(ui_text_fit_words("SECOND_OPINION", 20, b,
	    sizeof b), "SECOND_OPINION");
	CU_ASSERT_STRING_EQUAL(ui_text_fit_words("SECOND_OPINION", 8, b,
	    sizeof b), "SECOND_OPINION");
}

/* The dialogs' keys come from tables: the help pages with ^D/^U as the
 * lists do, not ^F/^B. */
static void
test_dialog_keys(void)
{
	const struct ui_key *list = ui_list_keys, *edit = ui_prompt_keys;
	const struct ui_key *confirm[2] = { ui_confirm_keys, ui_frame_keys };
	char b[32];

	CU_ASSERT_EQUAL(ui_keys_action(&list, 1, 4), UI_ACT_PGDN);
	CU_ASSERT_EQUAL(ui_keys_action(&list, 1, 21), UI_ACT_PGUP);
	CU_ASSERT_EQUAL(ui_keys_action(&list, 1, ' '), UI_ACT_PGDN);
	CU_ASSERT_EQUAL(ui_keys_action(&list, 1, 6), UI_ACT_NONE);
	CU_ASSERT_EQUAL(ui_keys_action(&list, 1, 2), UI_ACT_NONE);
	CU_ASSERT_EQUAL(ui_keys_action(&list, 1, '\r'), UI_ACT_OPEN);
	CU_ASSERT_EQUAL(ui_keys_action(&edit, 1, 27), UI_ACT_CANCEL);
	CU_ASSERT_EQUAL(ui_keys_action(&edit, 1, '\r'), UI_ACT_ACCEPT);
	CU_ASSERT_EQUAL(ui_keys_action(&edit, 1, 127), UI_ACT_ERASE);
	CU_ASSERT_EQUAL(ui_keys_action(&edit, 1, 21), UI_ACT_KILL);
	CU_ASSERT_EQUAL(ui_keys_action(&edit, 1, 'a'), UI_ACT_NONE);
	CU_ASSERT_EQUAL(ui_keys_action(confirm, 2, 'Y'), UI_ACT_YES);
	CU_ASSERT_EQUAL(ui_keys_action(confirm, 2, 27), UI_ACT_NO);
	CU_ASSERT_EQUAL(ui_keys_action(confirm, 2, 'q'), UI_ACT_BACK);
	CU_ASSERT_EQUAL(ui_keys_action(confirm, 2, 'x'), UI_ACT_NONE);
	ui_key_words(ui_keys_row(ui_frame_keys, UI_ACT_BACK), b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "q or Esc");
	ui_key_words(ui_keys_row(ui_list_keys, UI_ACT_PGDN), b, sizeof b);
	CU_ASSERT_STRING_EQUAL(b, "PgDn or ^D");
	CU_ASSERT_PTR_NULL(ui_keys_row(ui_confirm_keys, UI_ACT_OPEN));
	/* Screens by the words their files give them. */
	CU_ASSERT_EQUAL(ui_screen_find("reviews"), UI_SCREEN_REVIEWS);
	CU_ASSERT_EQUAL(ui_screen_find("apps"), UI_SCREEN_APPS);
	CU_ASSERT_EQUAL(ui_screen_find("payouts"), -1);
}

/*
 * The rules the console shows, from core: the APR's legal lines and
 * what each status lets an officer decide.
 */
static void
test_apr_and_states(void)
{
	CU_ASSERT_EQUAL(core_apr_classify(1800), CORE_APR_WITHIN);
	CU_ASSERT_EQUAL(core_apr_classify(2400), CORE_APR_WITHIN);
	CU_ASSERT_EQUAL(core_apr_classify(2401), CORE_APR_OVER);
	CU_ASSERT_EQUAL(core_apr_classify(3600), CORE_APR_OVER);
	CU_ASSERT_EQUAL(core_apr_classify(3601), CORE_APR_VOID);
	CU_ASSERT_EQUAL(core_apr_line_bps(CORE_APR_OVER), 2400);
	CU_ASSERT_EQUAL(core_apr_line_bps(CORE_APR_VOID), 3600);
	CU_ASSERT_EQUAL(core_apr_line_bps(CORE_APR_WITHIN), 0);

	CU_ASSERT_STRING_EQUAL(core_decision_refusal(CORE_REJECT,
	    CORE_APP_APPROVED), "already approved");
	CU_ASSERT_STRING_EQUAL(core_decision_refusal(CORE_REVIEW,
	    CORE_APP_MANUAL_REVIEW), "already in manual review");
	CU_ASSERT_PTR_NULL(core_decision_refusal(CORE_APPROVE,
	    CORE_APP_MANUAL_REVIEW));
	CU_ASSERT_PTR_NULL(core_decision_refusal(CORE_REVIEW,
	    CORE_APP_AUTO_APPROVED));
	CU_ASSERT_STRING_EQUAL(core_decision_refusal(CORE_APPROVE,
	    CORE_APP_RECEIVED), "not scored yet");
	CU_ASSERT_STRING_EQUAL(core_decision_refusal(CORE_APPROVE,
	    CORE_APP_NONE), "no application loaded");
	CU_ASSERT_STRING_EQUAL(core_decision_verb(CORE_REVIEW),
	    "Send to manual review");
	CU_ASSERT_EQUAL(core_decision_parse("reject"), CORE_REJECT);
	CU_ASSERT(core_app_status_is(CORE_APP_SCORED, CORE_ST_PENDING));
	CU_ASSERT(!core_app_status_is(CORE_APP_AUTO_APPROVED,
	    CORE_ST_PENDING));
	CU_ASSERT_EQUAL(core_app_status_tone(CORE_APP_AUTO_REJECTED),
	    CORE_TONE_BAD);
	CU_ASSERT_EQUAL(core_review_next(CORE_REVIEW_STATE_OPEN,
	    CORE_REVIEW_DO_RELEASE), CORE_REVIEW_STATE_NONE);
	CU_ASSERT_EQUAL(core_review_next(CORE_REVIEW_STATE_CLAIMED,
	    CORE_REVIEW_DO_RELEASE), CORE_REVIEW_STATE_OPEN);
	CU_ASSERT_EQUAL(core_review_next(CORE_REVIEW_STATE_CLOSED,
	    CORE_REVIEW_DO_CLAIM), CORE_REVIEW_STATE_NONE);
}

/* Raw values read as a risk officer reads them, by the feature's unit. */
static void
test_contribution_values(void)
{
	static const struct {
		const char *feature;
		int missing;
		double value;
		const char *want;
	} cases[] = {
		{ "declared_income_fen", 0, 498300, "\xc2\xa5" "4,983.00/mo" },
		{ "monthly_bill_fen", 0, 4710, "\xc2\xa5" "47.10/mo" },
		{ "requested_amount_fen", 0, 1, "\xc2\xa5" "0.01" },
		{ "network_months", 0, 55, "55 mo" },
		{ "form_fill_seconds", 0, 221.8, "221.8 s" },
		{ "external_score", 0, 502, "502" },
		{ "night_activity_ratio", 0, 0.13333, "0.1333" },
		{ "device_risk", 1, 0, "(missing)" },
		{ "not_in_the_catalogue", 0, 7, "7" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct core_contribution k;
		char buf[64];

		memset(&k, 0, sizeof k);
		snprintf(k.feature, sizeof k.feature, "%s", cases[i].feature);
		k.missing = cases[i].missing;
		k.value = cases[i].value;
		core_contribution_value_format(&k, buf, sizeof buf);
		if (strcmp(buf, cases[i].want) != 0)
			fprintf(stderr, "%s: got \"%s\", want \"%s\"\n",
			    cases[i].feature, buf, cases[i].want);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].want);
	}
}

int
main(void)
{
	static const struct ld_test_case text[] = {
		LD_TEST(test_width),
		LD_TEST(test_fit),
		LD_TEST_END
	};
	static const struct ld_test_case money[] = {
		LD_TEST(test_schedule_annuity),
		LD_TEST(test_schedule_exact_instalment),
		LD_TEST(test_schedule_upfront_fee),
		LD_TEST(test_schedule_equal_principal),
		LD_TEST(test_schedule_flat_fee_irr),
		LD_TEST(test_schedule_bullet_and_limits),
		LD_TEST_END
	};
	static const struct ld_test_case parse[] = {
		LD_TEST(test_apps_command),
		LD_TEST(test_audit_command),
		LD_TEST(test_reviews_command),
		LD_TEST(test_score_json),
		LD_TEST(test_decision_outcome),
		LD_TEST(test_deciding_rules),
		LD_TEST(test_reason_offered),
		LD_TEST(test_detail_text),
		LD_TEST(test_contribution_values),
		LD_TEST(test_apr_and_states),
		LD_TEST_END
	};
	static const struct ld_test_case frame[] = {
		LD_TEST(test_count_and_cut),
		LD_TEST(test_screens_and_hints),
		LD_TEST(test_cursor),
		LD_TEST(test_table_layout),
		LD_TEST(test_wrap),
		LD_TEST(test_dialog_keys),
		LD_TEST_END
	};

	if (setlocale(LC_ALL, "C.UTF-8") == NULL) {
		fprintf(stderr, "the C.UTF-8 locale is missing\n");
		return 1;
	}
	LD_TEST_INIT();
	ld_test_suite("console text", NULL, NULL, text);
	ld_test_suite("schedule and IRR", NULL, NULL, money);
	ld_test_suite("commands and score JSON", NULL, NULL, parse);
	ld_test_suite("screens, keys and hints", NULL, NULL, frame);
	return ld_test_run();
}
