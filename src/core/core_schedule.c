/*
 * Repayment schedules and the IRR annualised rate.  Every amount is exact:
 * fen in int64_t, and the annuity's power as big integers (OpenSSL BIGNUM),
 * so no instalment depends on how a floating-point power rounds.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <openssl/bn.h>

#include "core_schedule.h"
#include "ld_money.h"

/* A month at an annual rate in basis points: rate_bps / MONTH_DEN. */
#define MONTH_DEN 120000

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

/*
 * balance * rate_bps / MONTH_DEN (one month), half up; both non-negative,
 * and 2 * LD_FEN_MAX * 100000 fits an int64_t.
 */
static int64_t
month_interest(int64_t balance, int rate_bps)
{
	return (balance * (int64_t)rate_bps * 2 + MONTH_DEN) /
	    (2 * MONTH_DEN);
}

/* Checks what both builders share; LD_OK or LD_EINVAL naming it. */
static enum ld_status
check_terms(int64_t principal, int rate_bps, int n, struct ld_err *err)
{
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
	return LD_OK;
}

enum ld_status
core_schedule_instalment(int64_t principal, int rate_bps, int n,
    int64_t *out, struct ld_err *err)
{
	BN_CTX *ctx;
	BIGNUM *g, *h, *num, *den, *q;
	enum ld_status st;
	int ok;

	if ((st = check_terms(principal, rate_bps, n, err)) != LD_OK)
		return st;
	if (rate_bps == 0) {
		*out = (principal + n / 2) / n;
		return LD_OK;
	}
	if ((ctx = BN_CTX_new()) == NULL)
		return ld_err_set(err, LD_ENOMEM, "schedule: out of memory");
	BN_CTX_start(ctx);
	g = BN_CTX_get(ctx);
	h = BN_CTX_get(ctx);
	num = BN_CTX_get(ctx);
	den = BN_CTX_get(ctx);
	q = BN_CTX_get(ctx);
	/*
	 * A = P b G / (MONTH_DEN (G - H)); half up is
	 * floor((2 P b G + D) / 2D) with D = MONTH_DEN (G - H) > 0.
	 */
	ok = q != NULL &&
	    BN_set_word(num, (BN_ULONG)n) &&
	    BN_set_word(g, (BN_ULONG)(MONTH_DEN + rate_bps)) &&
	    BN_exp(g, g, num, ctx) &&
	    BN_set_word(h, MONTH_DEN) &&
	    BN_exp(h, h, num, ctx) &&
	    BN_sub(den, g, h) &&
	    BN_mul_word(den, MONTH_DEN) &&
	    BN_copy(num, g) != NULL &&
	    BN_mul_word(num, (BN_ULONG)principal) &&
	    BN_mul_word(num, (BN_ULONG)rate_bps * 2) &&
	    BN_add(num, num, den) &&
	    BN_lshift1(den, den) &&
	    BN_div(q, NULL, num, den, ctx);
	/* A <= P (1 + r) <= 2 LD_FEN_MAX, well inside a word. */
	if (ok && BN_num_bits(q) < 63)
		*out = (int64_t)BN_get_word(q);
	else
		ok = 0;
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	if (!ok)
		return ld_err_set(err, LD_ENOMEM, "schedule: big-integer "
		    "arithmetic failed for the instalment");
	return LD_OK;
}

enum ld_status
core_schedule_build(int64_t principal, int rate_bps, int n,
    enum core_repayment method, int64_t upfront_fee, int64_t monthly_fee,
    struct core_schedule *out, struct ld_err *err)
{
	int64_t balance, instalment = 0, part = 0;
	enum ld_status st;
	int k;

	memset(out, 0, sizeof *out);
	if ((st = check_terms(principal, rate_bps, n, err)) != LD_OK)
		return st;
	if (monthly_fee < 0 || monthly_fee > LD_FEN_MAX)
		return ld_err_set(err, LD_EINVAL,
		    "schedule: monthly fee %lld fen is out of range",
		    (long long)monthly_fee);
	if (upfront_fee < 0 || upfront_fee >= principal)
		return ld_err_set(err, LD_EINVAL,
		    "schedule: upfront fee %lld fen must be at least 0 and "
		    "below the principal %lld fen", (long long)upfront_fee,
		    (long long)principal);

	if (method == CORE_REPAY_ANNUITY) {
		st = core_schedule_instalment(principal, rate_bps, n,
		    &instalment, err);
		if (st != LD_OK)
			return st;
	} else if (method == CORE_REPAY_EQUAL_PRINCIPAL)
		part = (principal + n / 2) / n;

	out->n = n;
	out->principal = principal;
	out->upfront_fee = upfront_fee;
	out->received = principal - upfront_fee;
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
