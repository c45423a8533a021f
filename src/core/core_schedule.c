/*
 * Repayment schedules and the IRR annualised rate.  The instalment of an
 * annuity needs a power, computed in long double and rounded once; every
 * other amount is integer arithmetic on fen.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core_schedule.h"
#include "ld_money.h"

int
core_repayment_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "annuity") == 0)
		return CORE_REPAY_ANNUITY;
	if (strcmp(s, "equal_principal") == 0)
		return CORE_REPAY_EQUAL_PRINCIPAL;
	if (strcmp(s, "bullet") == 0)
		return CORE_REPAY_BULLET;
	return -1;
}

const char *
core_repayment_label(enum core_repayment m)
{
	switch (m) {
	case CORE_REPAY_ANNUITY:
		return "等额本息 annuity";
	case CORE_REPAY_EQUAL_PRINCIPAL:
		return "等额本金 equal principal";
	case CORE_REPAY_BULLET:
		return "先息后本 interest only";
	}
	return "?";
}

/* balance * rate_bps / 120000 (one month), half up; both non-negative. */
static int64_t
month_interest(int64_t balance, int rate_bps)
{
	return (balance * (int64_t)rate_bps * 2 + 120000) / 240000;
}

enum ld_status
core_schedule_build(int64_t principal, int rate_bps, int n,
    enum core_repayment method, int64_t monthly_fee,
    struct core_schedule *out, struct ld_err *err)
{
	int64_t balance, instalment = 0, part = 0;
	int k;

	memset(out, 0, sizeof *out);
	if (n < 1 || n > CORE_SCHEDULE_MAX)
		return ld_err_set(err, LD_EINVAL,
		    "schedule: term %d months is outside 1..%d", n,
		    CORE_SCHEDULE_MAX);
	if (principal < 1 || principal > LD_FEN_MAX)
		return ld_err_set(err, LD_EINVAL,
		    "schedule: principal %lld fen is out of range",
		    (long long)principal);
	if (rate_bps < 0 || rate_bps > 100000)
		return ld_err_set(err, LD_EINVAL,
		    "schedule: rate %d bps is out of range", rate_bps);
	if (monthly_fee < 0 || monthly_fee > LD_FEN_MAX)
		return ld_err_set(err, LD_EINVAL,
		    "schedule: monthly fee %lld fen is out of range",
		    (long long)monthly_fee);

	if (method == CORE_REPAY_ANNUITY) {
		if (rate_bps == 0)
			instalment = (principal + n / 2) / n;
		else {
			long double r = (long double)rate_bps / 120000.0L;
			long double g = powl(1.0L + r, (long double)n);
			long double a = (long double)principal * r * g /
			    (g - 1.0L);

			instalment = (int64_t)floorl(a + 0.5L);
		}
	} else if (method == CORE_REPAY_EQUAL_PRINCIPAL)
		part = (principal + n / 2) / n;

	out->n = n;
	out->principal = principal;
	out->received = principal;
	balance = principal;
	for (k = 1; k <= n; k++) {
		struct core_schedule_row *row = &out->rows[k - 1];
		int64_t interest = month_interest(balance, rate_bps);
		int64_t pay_principal;

		switch (method) {
		case CORE_REPAY_ANNUITY:
			pay_principal = instalment - interest;
			break;
		case CORE_REPAY_EQUAL_PRINCIPAL:
			pay_principal = part;
			break;
		default:
			pay_principal = 0;
			break;
		}
		if (pay_principal < 0)
			pay_principal = 0;
		/* The last period absorbs every rounding residue. */
		if (k == n || pay_principal > balance)
			pay_principal = balance;
		balance -= pay_principal;
		row->period = k;
		row->principal = pay_principal;
		row->interest = interest;
		row->fee = monthly_fee;
		row->payment = pay_principal + interest + monthly_fee;
		row->balance = balance;
		out->total_interest += interest;
		out->total_fees += monthly_fee;
		out->total_paid += row->payment;
	}
	return LD_OK;
}

static long double
npv(const int64_t *cf, size_t n, long double i, long double *deriv)
{
	long double v = 0, d = 0, disc = 1;
	size_t k;

	for (k = 0; k < n; k++) {
		v += (long double)cf[k] * disc;
		/* d/di cf/(1+i)^k = -k cf/(1+i)^(k+1) */
		d -= (long double)k * (long double)cf[k] * disc / (1.0L + i);
		disc /= 1.0L + i;
	}
	if (deriv != NULL)
		*deriv = d;
	return v;
}

enum ld_status
core_irr(const int64_t *cf, size_t n, double *rate, struct ld_err *err)
{
	long double lo = 0, hi = 1, x, fx, dfx;
	size_t k, changes = 0;
	int iter;

	if (n < 2 || cf[0] <= 0)
		return ld_err_set(err, LD_EINVAL,
		    "irr: the first cash flow must be the positive amount "
		    "received");
	for (k = 1; k < n; k++) {
		if (cf[k] > 0)
			return ld_err_set(err, LD_EINVAL,
			    "irr: cash flow %zu is positive; only payments "
			    "follow", k);
		if (cf[k] < 0 && changes == 0)
			changes = 1;
	}
	if (changes == 0)
		return ld_err_set(err, LD_EINVAL, "irr: nothing is repaid");
	/*
	 * NPV rises with i (payments are discounted away), so a root in
	 * [0, 1] needs NPV(0) <= 0 <= NPV(1).
	 */
	if (npv(cf, n, 0, NULL) > 0)
		return ld_err_set(err, LD_EINVAL,
		    "irr: less is repaid than received (negative rate)");
	if (npv(cf, n, 1, NULL) < 0)
		return ld_err_set(err, LD_EINVAL,
		    "irr: the rate exceeds 100%% a period");
	x = 0.01L;
	for (iter = 0; iter < 200; iter++) {
		long double next;

		fx = npv(cf, n, x, &dfx);
		if (fx > 0)
			hi = x;
		else
			lo = x;
		next = dfx != 0 ? x - fx / dfx : -1;
		/* Newton when it stays inside the bracket, else bisect. */
		if (!(next > lo && next < hi))
			next = (lo + hi) / 2;
		if (fabsl(next - x) < 1e-12L) {
			x = next;
			break;
		}
		x = next;
	}
	*rate = (double)x;
	return LD_OK;
}

enum ld_status
core_schedule_apr(const struct core_schedule *s, double *apr,
    struct ld_err *err)
{
	int64_t cf[CORE_SCHEDULE_MAX + 1];
	double i;
	int k;

	if (s->n < 1 || s->n > CORE_SCHEDULE_MAX)
		return ld_err_set(err, LD_EINVAL, "apr: empty schedule");
	cf[0] = s->received;
	for (k = 0; k < s->n; k++)
		cf[k + 1] = -s->rows[k].payment;
	if (core_irr(cf, (size_t)s->n + 1, &i, err) != LD_OK)
		return err != NULL ? err->code : LD_EINVAL;
	*apr = 12.0 * i;
	return LD_OK;
}
