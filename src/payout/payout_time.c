/*
 * Backoff with injected jitter, and the Asia/Shanghai calendar.
 */
#include "config.h"

#include <stdio.h>

#include "payout.h"

long
payout_backoff_ms(long base_ms, int attempt, const struct payout_rng *rng)
{
	long ms = base_ms > 0 ? base_ms : PAYOUT_BACKOFF_BASE_MS;
	long cut;

	if (ms > PAYOUT_BACKOFF_MAX_MS)
		ms = PAYOUT_BACKOFF_MAX_MS;
	while (--attempt > 0 && ms < PAYOUT_BACKOFF_MAX_MS)
		ms = ms > PAYOUT_BACKOFF_MAX_MS / 2 ? PAYOUT_BACKOFF_MAX_MS
						    : ms * 2;
	if (rng != NULL && rng->next != NULL) {
		cut = (long)(rng->next(rng->ctx) % (uint64_t)(ms / 5 + 1));
		ms -= cut;
	}
	return ms;
}

/* Floor division: days before 1970 count down, not toward zero. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t
payout_beijing_day(int64_t unix_s)
{
	return floor_div(unix_s + PAYOUT_BEIJING_OFFSET_S, 86400);
}

int64_t
payout_beijing_midnight_after(int64_t unix_s)
{
	return (payout_beijing_day(unix_s) + 1) * 86400 -
	    PAYOUT_BEIJING_OFFSET_S;
}

void
payout_beijing_date(int64_t unix_s, char *out, size_t len)
{
	/* Days to the proleptic Gregorian date (H. Hinnant's civil_from_days).
	 */
	int64_t z = payout_beijing_day(unix_s) + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;

	snprintf(out, len, "%04lld-%02lld-%02lld", (long long)(y + (m <= 2)),
	    (long long)m, (long long)d);
}
