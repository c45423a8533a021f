/*
 * Repayment schedules and the IRR-based annualised rate (PBoC 2021 No. 3).
 *
 * Amounts are integer fen and every amount is computed exactly, without
 * floating point.  With r = rate_bps / 120000 a month:
 *   interest_k   = B_(k-1) * r, rounded to the fen half up;
 *   annuity      A = P r (1+r)^n / ((1+r)^n - 1), evaluated as the exact
 *                fraction P b G / (120000 (G - H)) with b = rate_bps,
 *                G = (120000 + b)^n, H = 120000^n (big integers), rounded
 *                half up; P / n half up at rate 0;
 *   equal principal P / n, rounded half up;
 *   the last period pays whatever balance remains, so the principal column
 *   always sums to the amount lent, and no period repays more than is
 *   owed.
 * The monthly fee is added to every period.  The upfront fee is withheld
 * from what is paid out: the borrower receives principal - upfront fee, and
 * owes interest on the whole principal.  db/migrations/0012_loan_terms.sql
 * computes the same schedule in SQL numeric (loan_schedule_terms), and
 * tests/test_db_loan.c holds the two equal.
 *
 * The annualised rate is the periodic IRR of the borrower's cash flows
 * (received, -payment_1, ..., -payment_n) times 12, the nominal "IRR 年化"
 * form the market compares against 24% and 36%.  core_irr() solves it in
 * long double for display; the cap the database enforces
 * (loan_apr_cap_check) is decided exactly, on the NPV at the capped rate.
 */
#ifndef LD_CORE_SCHEDULE_H
#define LD_CORE_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "ld_err.h"

#define CORE_SCHEDULE_MAX 60

enum core_repayment {
	CORE_REPAY_ANNUITY,         /* 等额本息 */
	CORE_REPAY_EQUAL_PRINCIPAL, /* 等额本金 */
	CORE_REPAY_BULLET           /* 先息后本 */
};

struct core_schedule_row {
	int period;        /* 1 .. n */
	int64_t principal; /* fen */
	int64_t interest;
	int64_t fee;
	int64_t payment;   /* principal + interest + fee */
	int64_t balance;   /* after this payment */
};

struct core_schedule {
	int n;
	int64_t principal;      /* lent */
	int64_t upfront_fee;    /* withheld from the payout */
	int64_t received;       /* principal - upfront_fee: what is paid out */
	int64_t total_interest;
	int64_t total_fees;     /* the monthly fees (the fee column) */
	int64_t total_paid;     /* the payments: total_paid - received is
				   total_interest + total_fees +
				   upfront_fee */
	struct core_schedule_row rows[CORE_SCHEDULE_MAX];
};

/* "annuity", "equal_principal", "bullet" to the enum; -1 when unknown. */
int core_repayment_parse(const char *s);
const char *core_repayment_label(enum core_repayment m);

/*
 * Builds the schedule for principal fen at rate_bps nominal per year over
 * n months, withholding upfront_fee fen from the payout and adding
 * monthly_fee fen every period (0 for none).  LD_EINVAL names the argument
 * out of range (n outside 1..60, rate outside 0..100000 bps, principal
 * outside 1..LD_FEN_MAX, an upfront fee not below the principal, a
 * negative fee or one above LD_FEN_MAX).  LD_ENOMEM when the big-integer
 * arithmetic cannot allocate.
 */
enum ld_status core_schedule_build(int64_t principal, int rate_bps, int n,
    enum core_repayment method, int64_t upfront_fee, int64_t monthly_fee,
    struct core_schedule *out, struct ld_err *err);

/*
 * The annuity instalment alone, exactly as core_schedule_build() takes it:
 * round half up of P b G / (120000 (G - H)).  Arguments as there.
 */
enum ld_status core_schedule_instalment(int64_t principal, int rate_bps,
    int n, int64_t *out, struct ld_err *err);

/*
 * The periodic rate i solving sum(cf[k] / (1+i)^k) = 0 for cash flows in
 * fen, cf[0] being what the borrower receives (positive) and the rest what
 * they pay (negative).  Newton's method with bisection on [0, 1] as the
 * fallback, to |di| < 1e-12.  LD_EINVAL when the flows do not have one sign
 * change from positive to negative, or when no root lies in [0, 1].
 */
enum ld_status core_irr(const int64_t *cf, size_t n, double *rate,
    struct ld_err *err);

/*
 * The schedule's annualised rate: 12 times the monthly IRR of
 * (received, -payment_1, ..., -payment_n).  apr is a fraction (0.18).
 */
enum ld_status core_schedule_apr(const struct core_schedule *s, double *apr,
    struct ld_err *err);

#endif
