/*
 * The payout engine's rules without a database: out_bill_no, splitting, the
 * Beijing day, the limits, backoff, the roll-up, and what every row of the
 * WeChat Pay classification table does to a bill in every state.
 */
#include "config.h"

#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ld_buf.h"
#include "ld_test.h"
#include "payout.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The pattern WeChat Pay documents, checked by the C library's regex. */
static int
matches_wechat_pattern(const char *s)
{
	static regex_t re;
	static int ready;

	if (!ready) {
		CU_ASSERT_EQUAL_FATAL(regcomp(&re, "^[A-Za-z0-9]{5,32}$",
					  REG_EXTENDED | REG_NOSUB),
		    0);
		ready = 1;
	}
	return regexec(&re, s, 0, NULL, 0) == 0;
}

static void
test_out_bill_no_format_and_known_values(void)
{
	char no[PAYOUT_OUT_NO_MAX + 1], no2[PAYOUT_OUT_NO_MAX + 1];
	struct ld_err err;

	CU_ASSERT_EQUAL(payout_out_bill_no("LD", 42, 1, 0, no, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(no, "LD42S1G0");
	CU_ASSERT_EQUAL(payout_out_bill_no("LD", 42, 3, 2, no, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(no, "LD42S3G2");
	CU_ASSERT_EQUAL(payout_out_batch_no("LD", 42, 2, no, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(no, "LD42B2");
	/* The shortest and the longest there can be. */
	CU_ASSERT_EQUAL(payout_out_bill_no("L", 1, 1, 0, no, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(no, "L1S1G0");
	CU_ASSERT(matches_wechat_pattern(no));
	CU_ASSERT_EQUAL(payout_out_bill_no("ABCD", INT64_MAX, PAYOUT_SEQ_MAX,
			    PAYOUT_GENERATION_MAX, no, &err),
	    LD_OK);
	CU_ASSERT_STRING_EQUAL(no, "ABCD9223372036854775807S9999G999");
	CU_ASSERT_EQUAL(strlen(no), 32);
	CU_ASSERT(matches_wechat_pattern(no));
	CU_ASSERT_EQUAL(payout_out_batch_no(
			    "ABCD", INT64_MAX, PAYOUT_GENERATION_MAX, no, &err),
	    LD_OK);
	CU_ASSERT(matches_wechat_pattern(no));

	/* Deterministic: a restarted daemon computes the same number. */
	CU_ASSERT_EQUAL(payout_out_bill_no("LD", 7, 2, 1, no, &err), LD_OK);
	CU_ASSERT_EQUAL(payout_out_bill_no("LD", 7, 2, 1, no2, &err), LD_OK);
	CU_ASSERT_STRING_EQUAL(no, no2);

	/* Refusals name what is wrong. */
	CU_ASSERT_EQUAL(payout_out_bill_no("L1", 1, 1, 0, no, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "letters only"));
	CU_ASSERT_EQUAL(
	    payout_out_bill_no("ABCDE", 1, 1, 0, no, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(payout_out_bill_no("", 1, 1, 0, no, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(payout_out_bill_no("LD", 0, 1, 0, no, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(payout_out_bill_no("LD", 1, 0, 0, no, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(
	    payout_out_bill_no("LD", 1, 10000, 0, no, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(
	    payout_out_bill_no("LD", 1, 1, -1, no, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(
	    payout_out_bill_no("LD", 1, 1, 1000, no, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "generation 1000"));

	CU_ASSERT(payout_out_no_valid("ABCDE"));
	CU_ASSERT_FALSE(payout_out_no_valid("ABCD"));
	CU_ASSERT_FALSE(payout_out_no_valid("ABCD_1"));
	CU_ASSERT_FALSE(
	    payout_out_no_valid("ABCD9223372036854775807S9999G9990"));
}

/*
 * Every (prefix, payout, seq, generation) of a large set gets a different
 * number matching WeChat's pattern, and reading it back gives the tuple.
 */
static void
test_out_bill_no_unique_across_seq_and_generation(void)
{
	static const char *const prefixes[] = {"LD", "LDP", "L", "Ld"};
	static const int64_t ids[] = {1, 2, 9, 10, 11, 12, 19, 21, 99, 100, 101,
	    110, 111, 1000, 12345, INT64_C(9223372036854775807)};
	static const int seqs[] = {1, 2, 9, 10, 11, 12, 21, 99, 100, 9999};
	static const int gens[] = {0, 1, 2, 9, 10, 11, 12, 99, 999};
	size_t np = sizeof prefixes / sizeof prefixes[0];
	size_t ni = sizeof ids / sizeof ids[0];
	size_t ns = sizeof seqs / sizeof seqs[0];
	size_t ng = sizeof gens / sizeof gens[0];
	size_t total = np * ni * ns * ng, k = 0, i, a, b, c, d;
	char **all = calloc(total, sizeof *all);
	char prefix[PAYOUT_PREFIX_MAX + 1];
	struct ld_err err;
	int64_t id;
	int seq, gen, dups = 0, bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	for (a = 0; a < np; a++)
		for (b = 0; b < ni; b++)
			for (c = 0; c < ns; c++)
				for (d = 0; d < ng; d++) {
					all[k] = malloc(PAYOUT_OUT_NO_MAX + 1);
					if (payout_out_bill_no(prefixes[a],
						ids[b], seqs[c], gens[d],
						all[k], &err) != LD_OK ||
					    !matches_wechat_pattern(all[k]) ||
					    payout_out_bill_no_parse(all[k],
						prefix, &id, &seq, &gen,
						&err) != LD_OK ||
					    strcmp(prefix, prefixes[a]) != 0 ||
					    id != ids[b] || seq != seqs[c] ||
					    gen != gens[d])
						bad++;
					k++;
				}
	CU_ASSERT_EQUAL(bad, 0);
	qsort(all, total, sizeof *all, cmp_str);
	for (i = 1; i < total; i++)
		if (strcmp(all[i - 1], all[i]) == 0)
			dups++;
	CU_ASSERT_EQUAL(dups, 0);
	for (i = 0; i < total; i++)
		free(all[i]);
	free(all);

	/* Not ours: a leading zero, a missing part, trailing text. */
	CU_ASSERT_EQUAL(payout_out_bill_no_parse(
			    "LD042S1G0", prefix, &id, &seq, &gen, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(
	    payout_out_bill_no_parse("LD42S1", prefix, &id, &seq, &gen, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(payout_out_bill_no_parse(
			    "LD42S1G0X", prefix, &id, &seq, &gen, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(
	    payout_out_bill_no_parse("12345", prefix, &id, &seq, &gen, &err),
	    LD_EINVAL);
}

static void
check_split(int64_t amount, int64_t max, int64_t min, int *failures)
{
	static int64_t out[PAYOUT_MAX_BILLS];
	struct ld_err err;
	size_t n, i;
	int64_t sum = 0, want_n = (amount + max - 1) / max;
	enum ld_status st;

	st = payout_split(amount, max, min, out, PAYOUT_MAX_BILLS, &n, &err);
	if (amount < min) {
		if (st != LD_EINVAL || n != 0)
			(*failures)++;
		return;
	}
	if (want_n > PAYOUT_MAX_BILLS) {
		if (st != LD_EINVAL)
			(*failures)++;
		return;
	}
	if (st != LD_OK || (int64_t)n != want_n) {
		(*failures)++;
		return;
	}
	for (i = 0; i < n; i++) {
		sum += out[i];
		if (out[i] > max || out[i] < min)
			(*failures)++;
		/* Full bills first: only the last two may be smaller. */
		if (i + 2 < n && out[i] != max)
			(*failures)++;
	}
	if (sum != amount)
		(*failures)++;
}

static void
test_split_sums_and_bounds(void)
{
	static const int64_t pairs[][2] = {{20, 10}, {21, 10}, {25, 10},
	    {100, 10}, {101, 30}, {2000000, 10}, {2000000, 30}, {5000000, 100},
	    {2, 1}};
	int64_t out[8], amount;
	uint64_t x = 88172645463325252ULL;
	struct ld_err err;
	size_t n, p;
	int failures = 0, i;

	/* Every amount up to 5,000 fen under each (max, min). */
	for (p = 0; p < sizeof pairs / sizeof pairs[0]; p++)
		for (amount = 1; amount <= 5000; amount++)
			check_split(
			    amount, pairs[p][0], pairs[p][1], &failures);
	/* Large amounts (xorshift, fixed seed) around the real limits. */
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		amount = (int64_t)(x % (uint64_t)2000000000) + 1;
		check_split(amount, 2000000, 10, &failures);
		check_split(amount, 5000000, 30, &failures);
	}
	CU_ASSERT_EQUAL(failures, 0);

	/* By hand: the remainder borrows from the bill before it. */
	CU_ASSERT_EQUAL(
	    payout_split(5000001, 2000000, 10, out, 8, &n, &err), LD_OK);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT(out[0] == 2000000 && out[1] == 2000000 && out[2] == 1000001);
	CU_ASSERT_EQUAL(
	    payout_split(4000005, 2000000, 10, out, 8, &n, &err), LD_OK);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT(out[0] == 2000000 && out[1] == 1999995 && out[2] == 10);
	CU_ASSERT_EQUAL(
	    payout_split(2000000, 2000000, 10, out, 8, &n, &err), LD_OK);
	CU_ASSERT(n == 1 && out[0] == 2000000);
	CU_ASSERT_EQUAL(
	    payout_split(9, 2000000, 10, out, 8, &n, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "below the channel's minimum"));
	CU_ASSERT_EQUAL(payout_split(100, 19, 10, out, 8, &n, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "at least twice"));
	CU_ASSERT_EQUAL(payout_split(100, 20, 10, out, 4, &n, &err), LD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "needs 5 bills"));
	CU_ASSERT_EQUAL(payout_split(0, 20, 10, out, 8, &n, &err), LD_EINVAL);
	CU_ASSERT_EQUAL(payout_split(INT64_C(10000000000001),
			    INT64_C(10000000000000), 10, out, 8, &n, &err),
	    LD_EINVAL);
}

/* Beijing dates against the C library's calendar at UTC+8. */
static void
test_beijing_day_boundary(void)
{
	static const struct {
		int64_t t;
		const char *date;
		int64_t next;
	} known[] = {
	    /* TZ=Asia/Shanghai date -d @T '+%F %T' */
	    {1704038399, "2023-12-31", 1704038400}, /* 23:59:59 */
	    {1704038400, "2024-01-01", 1704124800}, /* 00:00:00 */
	    {1709222399, "2024-02-29", 1709222400},
	    {1709222400, "2024-03-01", 1709308800},
	    {0, "1970-01-01", 57600}, /* 08:00:00 */
	    {-1, "1970-01-01", 57600}, /* 07:59:59 */
	    {-28801, "1969-12-31", -28800}, /* 23:59:59 */
	    {951753600, "2000-02-29", 951840000}, /* 00:00:00 */
	    {4102444799, "2100-01-01", 4102502400},
	};
	char got[16], want[16];
	struct tm tm;
	time_t tt;
	int64_t t;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		payout_beijing_date(known[i].t, got, sizeof got);
		CU_ASSERT_STRING_EQUAL(got, known[i].date);
		CU_ASSERT_EQUAL(
		    payout_beijing_midnight_after(known[i].t), known[i].next);
	}
	/* One second apart across a midnight: different days. */
	CU_ASSERT_EQUAL(
	    payout_beijing_day(1704038400) - payout_beijing_day(1704038399), 1);
	/* Every 47 minutes from 1960 to 2110. */
	for (t = -315619200; t < INT64_C(4418064000); t += 47 * 60) {
		tt = (time_t)(t + PAYOUT_BEIJING_OFFSET_S);
		gmtime_r(&tt, &tm);
		strftime(want, sizeof want, "%Y-%m-%d", &tm);
		payout_beijing_date(t, got, sizeof got);
		if (strcmp(got, want) != 0 ||
		    payout_beijing_midnight_after(t) <= t ||
		    payout_beijing_midnight_after(t) - t > 86400 ||
		    (payout_beijing_midnight_after(t) +
			PAYOUT_BEIJING_OFFSET_S) %
			    86400 !=
			0)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void
test_limits(void)
{
	struct payout_limits l = {5000000, 10000000};

	CU_ASSERT_EQUAL(
	    payout_limit_check(&l, 0, 0, 5000000), PAYOUT_HOLD_NONE);
	CU_ASSERT_EQUAL(
	    payout_limit_check(&l, 1, 0, 5000000), PAYOUT_HOLD_PER_USER_DAILY);
	CU_ASSERT_EQUAL(payout_limit_check(&l, 3000000, 8000000, 2000000),
	    PAYOUT_HOLD_NONE);
	CU_ASSERT_EQUAL(payout_limit_check(&l, 3000000, 8000001, 2000000),
	    PAYOUT_HOLD_MERCHANT_DAILY);
	/* The borrower's limit is named first when both are exceeded. */
	CU_ASSERT_EQUAL(payout_limit_check(&l, 4000000, 9000000, 2000000),
	    PAYOUT_HOLD_PER_USER_DAILY);
	/* Already over (limits lowered during the day): nothing more. */
	CU_ASSERT_EQUAL(
	    payout_limit_check(&l, 6000000, 0, 1), PAYOUT_HOLD_PER_USER_DAILY);
	CU_ASSERT_STRING_EQUAL(payout_hold_sql(PAYOUT_HOLD_PER_USER_DAILY),
	    "per_user_daily_max_fen");
	CU_ASSERT_STRING_EQUAL(payout_hold_sql(PAYOUT_HOLD_MERCHANT_DAILY),
	    "merchant_daily_max_fen");
	/* No overflow near the largest amounts. */
	l.per_user_daily_max_fen = INT64_MAX;
	l.merchant_daily_max_fen = INT64_MAX;
	CU_ASSERT_EQUAL(payout_limit_check(&l, INT64_MAX - 1, 0, 2),
	    PAYOUT_HOLD_PER_USER_DAILY);
}

static uint64_t
fixed_rng(void *ctx)
{
	return *(uint64_t *)ctx;
}

static void
test_backoff(void)
{
	uint64_t v = 0;
	struct payout_rng rng = {fixed_rng, &v};
	static const long want[] = {1000, 2000, 4000, 8000, 16000, 32000, 64000,
	    128000, 256000, 300000, 300000};
	size_t i;
	long ms;

	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		CU_ASSERT_EQUAL(
		    payout_backoff_ms(0, (int)i + 1, NULL), want[i]);
	CU_ASSERT_EQUAL(payout_backoff_ms(60000, 1, NULL), 60000);
	CU_ASSERT_EQUAL(payout_backoff_ms(60000, 4, NULL), 300000);
	CU_ASSERT_EQUAL(payout_backoff_ms(1000, 1000000, NULL), 300000);
	/* Jitter only lowers, by at most a fifth, as the source says. */
	CU_ASSERT_EQUAL(payout_backoff_ms(0, 1, &rng), 1000);
	v = 200;
	CU_ASSERT_EQUAL(payout_backoff_ms(0, 1, &rng), 800);
	v = 201; /* 201 mod 201 = 0 */
	CU_ASSERT_EQUAL(payout_backoff_ms(0, 1, &rng), 1000);
	v = 123456789;
	for (i = 1; i < 30; i++) {
		ms = payout_backoff_ms(0, (int)i, &rng);
		CU_ASSERT(ms <= payout_backoff_ms(0, (int)i, NULL));
		CU_ASSERT(ms * 5 >= payout_backoff_ms(0, (int)i, NULL) * 4);
		CU_ASSERT(ms <= PAYOUT_BACKOFF_MAX_MS);
	}
}

/* The tables themselves: forward only, nothing out of a final state. */
static void
test_transition_tables(void)
{
	const struct payout_edge *e;
	size_t n, i;
	int s, reach[PAYOUT_BILL_STATE_COUNT] = {0}, changed;

	e = payout_bill_edges(&n);
	CU_ASSERT(n > 0);
	for (i = 0; i < n; i++) {
		CU_ASSERT(e[i].from != e[i].to);
		CU_ASSERT_FALSE(payout_bill_state_terminal(e[i].from));
		CU_ASSERT(payout_bill_state_rank(e[i].to) >=
		    payout_bill_state_rank(e[i].from));
		/* Once WeChat Pay may hold it, never "not there" again. */
		if (payout_bill_state_rank(e[i].from) >= 1)
			CU_ASSERT(e[i].to != PAYOUT_BILL_PENDING &&
			    e[i].to != PAYOUT_BILL_HELD);
	}
	/* Every state is reachable from pending and every one can end. */
	reach[PAYOUT_BILL_PENDING] = 1;
	do {
		changed = 0;
		for (i = 0; i < n; i++)
			if (reach[e[i].from] && !reach[e[i].to])
				reach[e[i].to] = changed = 1;
	} while (changed);
	for (s = 0; s < PAYOUT_BILL_STATE_COUNT; s++) {
		CU_ASSERT(reach[s]);
		CU_ASSERT_EQUAL(
		    payout_bill_state_from_sql(payout_bill_state_sql(s)), s);
		if (!payout_bill_state_terminal(s)) {
			int out = 0;

			for (i = 0; i < n; i++)
				if (e[i].from == s &&
				    payout_bill_state_terminal(e[i].to))
					out = 1;
			CU_ASSERT(out || s == PAYOUT_BILL_HELD ||
			    s == PAYOUT_BILL_PENDING);
		}
	}
	e = payout_state_edges(&n);
	for (i = 0; i < n; i++) {
		CU_ASSERT(e[i].from != e[i].to);
		CU_ASSERT_FALSE(payout_state_terminal(e[i].from));
	}
	for (s = 0; s < PAYOUT_STATE_COUNT; s++)
		CU_ASSERT_EQUAL(payout_state_from_sql(payout_state_sql(s)), s);
	CU_ASSERT_EQUAL(payout_bill_state_from_sql("nonsense"), -1);
	CU_ASSERT_EQUAL(
	    payout_hold_from_sql("wechat_limit"), PAYOUT_HOLD_WECHAT_LIMIT);
}

static const struct wx_code_class *
row(enum wx_code_kind k, const char *code)
{
	const struct wx_code_class *c = wx_code_classify(k, code);

	CU_ASSERT_FATAL(wx_code_is_known(c));
	return c;
}

static struct payout_step
step(enum payout_bill_state from, enum payout_exchange ex,
    const struct wx_code_class *c)
{
	struct payout_step s;
	struct ld_err err;

	CU_ASSERT_EQUAL(
	    payout_bill_step(from, ex, c, 1, NULL, &s, &err), LD_OK);
	return s;
}

static int
is_no_answer(const struct wx_code_class *c)
{
	return c->kind == WX_KIND_TRANSPORT && strcmp(c->code, "HTTP_202") &&
	    strcmp(c->code, WX_CODE_LOCAL) && strcmp(c->code, WX_CODE_OK);
}

/*
 * Every row of the classification table (and the shared row of an
 * undocumented code), for every exchange and every state: the step is
 * defined, moves forward only, leaves final bills alone, never asks for a
 * new number, and keeps the rules of docs/payouts.md.
 */
static void
test_every_answer_maps_forward(void)
{
	const struct wx_code_class *tab, *c;
	struct payout_step s;
	struct ld_err err;
	enum payout_bill_state ws;
	size_t n, i;
	int from, ex, bad = 0, has_state;

	tab = wx_code_table(&n);
	for (i = 0; i <= n; i++) {
		c = i < n ? &tab[i]
			  : wx_code_classify(
				WX_KIND_V3_ERROR, "NO_SUCH_CODE_ANYWHERE");
		has_state = payout_bill_state_of_answer(c, &ws);
		/* A row that closes the number is a final bill state. */
		if (c->number_closed &&
		    (!has_state || !payout_bill_state_terminal(ws))) {
			fprintf(stderr,
			    "\n%s %s closes the number but is not "
			    "a final state\n",
			    wx_code_kind_name(c->kind), c->code);
			bad++;
		}
		for (ex = 0; ex < PAYOUT_EXCHANGE_COUNT; ex++)
			for (from = 0; from < PAYOUT_BILL_STATE_COUNT; from++) {
				enum ld_status st = payout_bill_step(
				    from, ex, c, 1, NULL, &s, &err);
				int refused =
				    strcmp(c->code, WX_CODE_OK) == 0 ||
				    (ex == PAYOUT_EX_CALLBACK && !has_state &&
					c->kind != WX_KIND_V3_BATCH_STATUS);

				if (refused) {
					if (st != LD_EINVAL)
						bad++;
					continue;
				}
				if (st != LD_OK) {
					fprintf(stderr,
					    "\n%s %s unmapped from "
					    "%s on %s: %s\n",
					    wx_code_kind_name(c->kind), c->code,
					    payout_bill_state_sql(from),
					    payout_exchange_sql(ex), err.msg);
					bad++;
					continue;
				}
				if (!s.applies && (int)s.to != from)
					bad++;
				if (s.applies && (int)s.to != from &&
				    !payout_bill_transition_ok(from, s.to)) {
					fprintf(stderr,
					    "\n%s %s: %s -> %s on "
					    "%s is not a transition\n",
					    wx_code_kind_name(c->kind), c->code,
					    payout_bill_state_sql(from),
					    payout_bill_state_sql(s.to),
					    payout_exchange_sql(ex));
					bad++;
				}
				if (payout_bill_state_terminal(from) &&
				    s.applies)
					bad++;
				/* No answer: query the same number. */
				if (is_no_answer(c) && ex == PAYOUT_EX_CREATE &&
				    from == PAYOUT_BILL_SENDING &&
				    !(s.to == PAYOUT_BILL_UNKNOWN &&
					s.action == PAYOUT_ACTION_QUERY))
					bad++;
				/* Held only from a bill WeChat does not
				 * have, always naming why. */
				if (s.applies && s.to == PAYOUT_BILL_HELD &&
				    (s.hold == PAYOUT_HOLD_NONE ||
					(from != PAYOUT_BILL_SENDING &&
					    from != PAYOUT_BILL_HELD)))
					bad++;
				/* Sending the create again only for a bill
				 * that is not at WeChat, or that a query did
				 * not find. */
				if (s.applies &&
				    s.action == PAYOUT_ACTION_CREATE &&
				    !(s.to == PAYOUT_BILL_PENDING ||
					(s.to == PAYOUT_BILL_UNKNOWN &&
					    ex == PAYOUT_EX_QUERY)))
					bad++;
				/* A final failure or a refusal reaches a
				 * person. */
				if (s.applies && (int)s.to != from &&
				    (s.to == PAYOUT_BILL_FAIL ||
					s.to == PAYOUT_BILL_CANCELLED ||
					s.hold == PAYOUT_HOLD_REFUSED) &&
				    !s.review)
					bad++;
				/* A final bill has nothing left to do. */
				if (s.applies &&
				    payout_bill_state_terminal(s.to) &&
				    s.action != PAYOUT_ACTION_NONE)
					bad++;
				if (s.applies &&
				    s.action != PAYOUT_ACTION_NONE &&
				    (s.delay_ms < 0 ||
					s.delay_ms > PAYOUT_BACKOFF_MAX_MS))
					bad++;
			}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* The rows people ask about, one by one. */
static void
test_answers_by_hand(void)
{
	struct payout_step s;

	/* Timeouts and 5xx: unknown, query. */
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_TRANSPORT, WX_CODE_TIMEOUT));
	CU_ASSERT(s.to == PAYOUT_BILL_UNKNOWN &&
	    s.action == PAYOUT_ACTION_QUERY && s.delay_ms == 1000);
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_TRANSPORT, WX_CODE_HTTP_5XX));
	CU_ASSERT(
	    s.to == PAYOUT_BILL_UNKNOWN && s.action == PAYOUT_ACTION_QUERY);
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_TRANSPORT, WX_CODE_UNVERIFIED));
	CU_ASSERT(s.to == PAYOUT_BILL_UNKNOWN);
	/* The query then finds nothing: the identical create again. */
	s = step(PAYOUT_BILL_UNKNOWN, PAYOUT_EX_QUERY,
	    row(WX_KIND_V3_ERROR, "NOT_FOUND"));
	CU_ASSERT(s.applies && s.to == PAYOUT_BILL_UNKNOWN &&
	    s.action == PAYOUT_ACTION_CREATE && s.delay_ms == 5000);
	/* That resend answered SYSTEM_ERROR: still unknown, query. */
	s = step(PAYOUT_BILL_UNKNOWN, PAYOUT_EX_CREATE,
	    row(WX_KIND_V3_ERROR, "SYSTEM_ERROR"));
	CU_ASSERT(
	    s.to == PAYOUT_BILL_UNKNOWN && s.action == PAYOUT_ACTION_QUERY);
	/* From a first send: same bill, same body, after backoff. */
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_V3_ERROR, "SYSTEM_ERROR"));
	CU_ASSERT(s.to == PAYOUT_BILL_PENDING &&
	    s.action == PAYOUT_ACTION_CREATE && s.delay_ms == 1000);
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_V3_ERROR, "FREQUENCY_LIMITED"));
	CU_ASSERT(s.to == PAYOUT_BILL_PENDING && s.delay_ms == 2000);
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_V2_ERR_CODE, "SYSTEMERROR"));
	CU_ASSERT(s.to == PAYOUT_BILL_PENDING);
	/* NOT_ENOUGH: held, and the whole channel waits. */
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_V3_ERROR, "NOT_ENOUGH"));
	CU_ASSERT(s.to == PAYOUT_BILL_HELD && s.hold == PAYOUT_HOLD_CHANNEL &&
	    s.pause_channel && !s.review);
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_V2_ERR_CODE, "NOTENOUGH"));
	CU_ASSERT(s.hold == PAYOUT_HOLD_CHANNEL && s.pause_channel);
	/* WeChat's daily quota: until Beijing midnight, same number. */
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    wx_code_classify_v3_error("INVALID_REQUEST",
		"\xe8\xb6\x85\xe5\x87\xba\xe5\x95\x86\xe6\x88\xb7\xe5\x8d\x95"
		"\xe6\x97\xa5\xe8\xbd\xac\xe8\xb4\xa6\xe9\xa2\x9d\xe5\xba"
		"\xa6"));
	CU_ASSERT(s.to == PAYOUT_BILL_HELD &&
	    s.hold == PAYOUT_HOLD_WECHAT_LIMIT && s.until_midnight);
	/* A refusal: held for a person. */
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_V3_ERROR, "PARAM_ERROR"));
	CU_ASSERT(s.to == PAYOUT_BILL_HELD && s.hold == PAYOUT_HOLD_REFUSED &&
	    s.review);
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_V2_ERR_CODE, "NAME_MISMATCH"));
	CU_ASSERT(s.to == PAYOUT_BILL_HELD && s.review);
	/* Same number, another body: at WeChat; query, and a person. */
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_V3_ERROR, "INVALID_REQUEST:MISMATCH"));
	CU_ASSERT(s.to == PAYOUT_BILL_UNKNOWN &&
	    s.action == PAYOUT_ACTION_QUERY && s.review);
	/* Created: wait for the borrower, poll slowly. */
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_V3_BILL_STATE, "WAIT_USER_CONFIRM"));
	CU_ASSERT(s.to == PAYOUT_BILL_WAIT_USER_CONFIRM &&
	    s.action == PAYOUT_ACTION_QUERY && s.delay_ms == 30000);
	/* Final failure: a review, nothing more to do. */
	s = step(PAYOUT_BILL_WAIT_USER_CONFIRM, PAYOUT_EX_QUERY,
	    row(WX_KIND_V3_FAIL_REASON, "NAME_NOT_CORRECT"));
	CU_ASSERT(s.to == PAYOUT_BILL_FAIL && s.review &&
	    s.action == PAYOUT_ACTION_NONE);
	s = step(PAYOUT_BILL_WAIT_USER_CONFIRM, PAYOUT_EX_CALLBACK,
	    row(WX_KIND_V3_BILL_STATE, "CANCELLED"));
	CU_ASSERT(s.to == PAYOUT_BILL_CANCELLED && s.review);
	/* Batches and APIv2. */
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_V3_BATCH_STATUS, "ACCEPTED"));
	CU_ASSERT(s.to == PAYOUT_BILL_ACCEPTED);
	s = step(PAYOUT_BILL_PROCESSING, PAYOUT_EX_QUERY,
	    row(WX_KIND_V3_BATCH_STATUS, "FINISHED"));
	CU_ASSERT(s.to == PAYOUT_BILL_PROCESSING &&
	    s.action == PAYOUT_ACTION_QUERY && s.delay_ms == 0);
	s = step(PAYOUT_BILL_PROCESSING, PAYOUT_EX_QUERY,
	    row(WX_KIND_V3_DETAIL_STATUS, "SUCCESS"));
	CU_ASSERT(s.to == PAYOUT_BILL_SUCCESS);
	s = step(PAYOUT_BILL_SENDING, PAYOUT_EX_CREATE,
	    row(WX_KIND_V2_STATUS, "SUCCESS"));
	CU_ASSERT(s.to == PAYOUT_BILL_SUCCESS);
	s = step(PAYOUT_BILL_UNKNOWN, PAYOUT_EX_QUERY,
	    row(WX_KIND_V2_ERR_CODE, "NOT_FOUND"));
	CU_ASSERT(s.action == PAYOUT_ACTION_CREATE);
	/* Cancel: accepted, then confirmed by a query. */
	s = step(PAYOUT_BILL_WAIT_USER_CONFIRM, PAYOUT_EX_CANCEL,
	    row(WX_KIND_V3_BILL_STATE, "CANCELING"));
	CU_ASSERT(
	    s.to == PAYOUT_BILL_CANCELLING && s.action == PAYOUT_ACTION_QUERY);
	s = step(PAYOUT_BILL_WAIT_USER_CONFIRM, PAYOUT_EX_CANCEL,
	    row(WX_KIND_V3_ERROR, "INVALID_REQUEST"));
	CU_ASSERT(s.to == PAYOUT_BILL_WAIT_USER_CONFIRM &&
	    s.action == PAYOUT_ACTION_QUERY && s.delay_ms == 0);
}

/* SUCCESS then a late PROCESSING stays SUCCESS; a repeat changes nothing. */
static void
test_never_backwards(void)
{
	struct payout_step s;
	struct ld_err err;

	s = step(PAYOUT_BILL_SUCCESS, PAYOUT_EX_CALLBACK,
	    row(WX_KIND_V3_BILL_STATE, "PROCESSING"));
	CU_ASSERT(!s.applies && s.to == PAYOUT_BILL_SUCCESS);
	s = step(PAYOUT_BILL_SUCCESS, PAYOUT_EX_QUERY,
	    row(WX_KIND_V3_BILL_STATE, "FAIL"));
	CU_ASSERT(!s.applies && s.to == PAYOUT_BILL_SUCCESS);
	s = step(PAYOUT_BILL_SUCCESS, PAYOUT_EX_CALLBACK,
	    row(WX_KIND_V3_BILL_STATE, "SUCCESS"));
	CU_ASSERT(!s.applies);
	s = step(PAYOUT_BILL_TRANSFERRING, PAYOUT_EX_CALLBACK,
	    row(WX_KIND_V3_BILL_STATE, "WAIT_USER_CONFIRM"));
	CU_ASSERT(!s.applies && s.to == PAYOUT_BILL_TRANSFERRING);
	/* A query behind what we know only schedules the next query. */
	s = step(PAYOUT_BILL_TRANSFERRING, PAYOUT_EX_QUERY,
	    row(WX_KIND_V3_BILL_STATE, "PROCESSING"));
	CU_ASSERT(s.applies && s.to == PAYOUT_BILL_TRANSFERRING &&
	    s.action == PAYOUT_ACTION_QUERY);
	/* A late error answer to a create of a bill that moved on. */
	s = step(PAYOUT_BILL_WAIT_USER_CONFIRM, PAYOUT_EX_CREATE,
	    row(WX_KIND_V3_ERROR, "SYSTEM_ERROR"));
	CU_ASSERT(!s.applies);
	/* Unknown never goes back to "not at WeChat". */
	s = step(PAYOUT_BILL_UNKNOWN, PAYOUT_EX_CREATE,
	    row(WX_KIND_V3_ERROR, "NOT_ENOUGH"));
	CU_ASSERT(s.to == PAYOUT_BILL_UNKNOWN && s.pause_channel);
	/* A callback is a state, never an error or a transport outcome. */
	CU_ASSERT_EQUAL(
	    payout_bill_step(PAYOUT_BILL_PROCESSING, PAYOUT_EX_CALLBACK,
		row(WX_KIND_TRANSPORT, WX_CODE_TIMEOUT), 1, NULL, &s, &err),
	    LD_EINVAL);
	CU_ASSERT_EQUAL(
	    payout_bill_step(PAYOUT_BILL_PROCESSING, PAYOUT_EX_QUERY,
		row(WX_KIND_TRANSPORT, WX_CODE_OK), 1, NULL, &s, &err),
	    LD_EINVAL);
	/* Backoff grows with the streak while the state stays. */
	CU_ASSERT_EQUAL(
	    payout_bill_step(PAYOUT_BILL_UNKNOWN, PAYOUT_EX_QUERY,
		row(WX_KIND_TRANSPORT, WX_CODE_TIMEOUT), 4, NULL, &s, &err),
	    LD_OK);
	CU_ASSERT_EQUAL(s.delay_ms, 8000);
}

static void
test_rollup(void)
{
	enum payout_bill_state b[3];

	b[0] = b[1] = PAYOUT_BILL_PENDING;
	CU_ASSERT_EQUAL(payout_rollup(b, 2, 0, 0, 0), PAYOUT_APPROVED);
	CU_ASSERT_EQUAL(payout_rollup(b, 2, 1, 0, 0), PAYOUT_SENDING);
	CU_ASSERT_EQUAL(payout_rollup(b, 2, 0, 1, 0), PAYOUT_HELD);
	CU_ASSERT_EQUAL(payout_rollup(b, 2, 0, 0, 1), PAYOUT_CANCELLED);
	b[0] = PAYOUT_BILL_SUCCESS;
	CU_ASSERT_EQUAL(payout_rollup(b, 2, 1, 0, 0), PAYOUT_SENDING);
	b[1] = PAYOUT_BILL_SUCCESS;
	CU_ASSERT_EQUAL(payout_rollup(b, 2, 2, 1, 0), PAYOUT_SUCCEEDED);
	b[1] = PAYOUT_BILL_FAIL;
	CU_ASSERT_EQUAL(payout_rollup(b, 2, 2, 0, 0), PAYOUT_FAILED);
	/* A cancel asked for with a bill waiting for the borrower... */
	b[0] = PAYOUT_BILL_WAIT_USER_CONFIRM;
	b[1] = PAYOUT_BILL_PENDING;
	CU_ASSERT_EQUAL(payout_rollup(b, 2, 1, 0, 1), PAYOUT_SENDING);
	/* ...ends cancelled when WeChat cancels it... */
	b[0] = PAYOUT_BILL_CANCELLED;
	CU_ASSERT_EQUAL(payout_rollup(b, 2, 1, 0, 1), PAYOUT_CANCELLED);
	/* ...and failed (a person decides) if the borrower confirmed. */
	b[0] = PAYOUT_BILL_SUCCESS;
	CU_ASSERT_EQUAL(payout_rollup(b, 2, 1, 0, 1), PAYOUT_FAILED);
	/* Cancelled by WeChat without anyone asking is a failure. */
	b[0] = PAYOUT_BILL_CANCELLED;
	b[1] = PAYOUT_BILL_ACCEPTED;
	CU_ASSERT_EQUAL(payout_rollup(b, 2, 2, 0, 0), PAYOUT_FAILED);
}

/* docs/payouts.md carries the tables exactly as the code has them. */
static void
test_docs_tables_match_code(void)
{
	struct ld_buf doc;
	struct ld_err err;
	char path[1024], *want, *start, *end;
	const char *top = getenv("top_srcdir");
	static const char open_mark[] = "<!-- payout-tables: generated, "
					"checked by tests/test_payout.c -->\n";
	static const char close_mark[] = "<!-- /payout-tables -->";

	snprintf(path, sizeof path, "%s/docs/payouts.md", top ? top : ".");
	ld_buf_init(&doc, 0);
	CU_ASSERT_EQUAL_FATAL(ld_buf_read_file(&doc, path, &err), LD_OK);
	want = payout_doc_states_md();
	start = strstr(doc.data, open_mark);
	CU_ASSERT_PTR_NOT_NULL_FATAL(start);
	start += strlen(open_mark);
	end = strstr(start, close_mark);
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	*end = '\0';
	if (strcmp(start, want) != 0)
		fprintf(stderr, "\ndocs/payouts.md should carry:\n%s\n", want);
	CU_ASSERT_STRING_EQUAL(start, want);
	free(want);
	ld_buf_free(&doc);
}

int
main(void)
{
	static const struct ld_test_case cases[] = {
	    LD_TEST(test_out_bill_no_format_and_known_values),
	    LD_TEST(test_out_bill_no_unique_across_seq_and_generation),
	    LD_TEST(test_split_sums_and_bounds),
	    LD_TEST(test_beijing_day_boundary), LD_TEST(test_limits),
	    LD_TEST(test_backoff), LD_TEST(test_transition_tables),
	    LD_TEST(test_every_answer_maps_forward),
	    LD_TEST(test_answers_by_hand), LD_TEST(test_never_backwards),
	    LD_TEST(test_rollup), LD_TEST(test_docs_tables_match_code),
	    LD_TEST_END};

	LD_TEST_INIT();
	ld_test_suite("payout rules", NULL, NULL, cases);
	return ld_test_run();
}
