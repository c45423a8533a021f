/*
 * Splitting a payout into transfer bills, and the daily limits.  The SQL
 * functions payout_split and payout_limit_exceeded (0020) do the same, and
 * tests/test_db_payout.c runs both over the same figures.
 */
#include "config.h"

#include <inttypes.h>

#include "ld_money.h"
#include "payout.h"

enum ld_status
payout_split(int64_t amount, int64_t max_fen, int64_t min_fen, int64_t *out,
    size_t cap, size_t *n, struct ld_err *err)
{
	int64_t count, rem, i;

	*n = 0;
	if (amount < 1 || amount > LD_FEN_MAX)
		return ld_err_set(err, LD_EINVAL,
		    "amount %" PRId64 " fen is "
		    "outside 1..%" PRId64,
		    amount, LD_FEN_MAX);
	if (min_fen < 1)
		return ld_err_set(err, LD_EINVAL,
		    "min_transfer_fen %" PRId64 " is below 1", min_fen);
	/* So that a short remainder can always borrow from the bill
	 * before it without taking that one below the minimum. */
	if (max_fen < 2 * min_fen || max_fen > LD_FEN_MAX)
		return ld_err_set(err, LD_EINVAL,
		    "per_transfer_max_fen %" PRId64
		    " must be at least twice min_transfer_fen %" PRId64
		    " and at most %" PRId64,
		    max_fen, min_fen, LD_FEN_MAX);
	if (amount < min_fen)
		return ld_err_set(err, LD_EINVAL,
		    "amount %" PRId64 " fen is "
		    "below the channel's minimum transfer of %" PRId64 " fen",
		    amount, min_fen);
	count = amount / max_fen + (amount % max_fen != 0);
	if (count > PAYOUT_MAX_BILLS || (uint64_t)count > cap)
		return ld_err_set(err, LD_EINVAL,
		    "amount %" PRId64 " fen "
		    "needs %" PRId64 " bills of at most %" PRId64 " fen; at "
		    "most %d are made for one payout",
		    amount, count, max_fen,
		    cap < PAYOUT_MAX_BILLS ? (int)cap : PAYOUT_MAX_BILLS);
	for (i = 0; i < count - 1; i++)
		out[i] = max_fen;
	rem = amount - (count - 1) * max_fen;
	out[count - 1] = rem;
	if (rem < min_fen) {
		/* count >= 2 here: a single bill is the whole amount. */
		out[count - 2] -= min_fen - rem;
		out[count - 1] = min_fen;
	}
	*n = (size_t)count;
	return LD_OK;
}

enum payout_hold
payout_limit_check(const struct payout_limits *l, int64_t user_day_fen,
    int64_t merchant_day_fen, int64_t amount_fen)
{
	/* Written as differences: no sum of fen can overflow. */
	if (user_day_fen > l->per_user_daily_max_fen ||
	    amount_fen > l->per_user_daily_max_fen - user_day_fen)
		return PAYOUT_HOLD_PER_USER_DAILY;
	if (merchant_day_fen > l->merchant_daily_max_fen ||
	    amount_fen > l->merchant_daily_max_fen - merchant_day_fen)
		return PAYOUT_HOLD_MERCHANT_DAILY;
	return PAYOUT_HOLD_NONE;
}
