/*
 * The synthetic-data generator without a database: GB 11643 check
 * characters against the standard's own examples, determinism, and the
 * shape of every field over a few thousand rows.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "core/core_seed.h"
#include "ld_test.h"
#include "risk_features.h"

/* 2026-11-25 12:00:00 UTC, so the test does not depend on the clock. */
#define T_NOW 1795608000LL
#define NROWS 5000

static void
test_check_digit_examples(void)
{
	/* The two worked examples printed in GB 11643-1999, annex A. */
	CU_ASSERT_EQUAL(core_seed_id_check("11010519491231002X"), 'X');
	CU_ASSERT_EQUAL(core_seed_id_check("440524188001010014"), '4');
	CU_ASSERT_TRUE(core_seed_id_valid("11010519491231002X"));
	CU_ASSERT_TRUE(core_seed_id_valid("440524188001010014"));
	CU_ASSERT_FALSE(core_seed_id_valid("440524188001010015"));
	CU_ASSERT_FALSE(core_seed_id_valid("44052418800101001"));
	CU_ASSERT_EQUAL(core_seed_id_check("4405241880010100"), 0);
	CU_ASSERT_EQUAL(core_seed_id_check("44052418800A010014"), 0);
}

static void
test_deterministic(void)
{
	struct core_seed_gen *a = core_seed_gen_new(42, T_NOW);
	struct core_seed_gen *b = core_seed_gen_new(42, T_NOW);
	struct core_seed_gen *c = core_seed_gen_new(43, T_NOW);
	static struct core_seed_row ra, rb, rc;
	int i, same_c = 0;
	size_t s;

	for (i = 0; i < 2000; i++) {
		core_seed_gen_next(a, &ra);
		core_seed_gen_next(b, &rb);
		core_seed_gen_next(c, &rc);
		CU_ASSERT_STRING_EQUAL(ra.name, rb.name);
		CU_ASSERT_STRING_EQUAL(ra.id_no, rb.id_no);
		CU_ASSERT_STRING_EQUAL(ra.phone, rb.phone);
		CU_ASSERT_STRING_EQUAL(ra.openid, rb.openid);
		CU_ASSERT_EQUAL(ra.amount_fen, rb.amount_fen);
		CU_ASSERT_EQUAL(ra.submitted_at, rb.submitted_at);
		for (s = 0; s < CORE_SEED_NSOURCES; s++)
			CU_ASSERT_STRING_EQUAL(ra.payload[s], rb.payload[s]);
		same_c += strcmp(ra.id_no, rc.id_no) == 0;
	}
	CU_ASSERT_EQUAL(same_c, 0);
	core_seed_gen_free(a);
	core_seed_gen_free(b);
	core_seed_gen_free(c);
}

/* Another day and hour: same people, amounts and payloads. */
static void
test_deterministic_any_day(void)
{
	struct core_seed_gen *a = core_seed_gen_new(42, T_NOW);
	struct core_seed_gen *b = core_seed_gen_new(42, T_NOW + 86400 * 40 +
	    5 * 3600 + 17);
	static struct core_seed_row ra, rb;
	int i;
	size_t s;

	for (i = 0; i < 2000; i++) {
		core_seed_gen_next(a, &ra);
		core_seed_gen_next(b, &rb);
		CU_ASSERT_STRING_EQUAL(ra.name, rb.name);
		CU_ASSERT_STRING_EQUAL(ra.phone, rb.phone);
		CU_ASSERT_EQUAL(ra.amount_fen, rb.amount_fen);
		CU_ASSERT_EQUAL(ra.age, rb.age);
		CU_ASSERT_EQUAL(ra.ring, rb.ring);
		for (s = 0; s < CORE_SEED_NSOURCES; s++)
			CU_ASSERT_STRING_EQUAL(ra.payload[s], rb.payload[s]);
	}
	core_seed_gen_free(a);
	core_seed_gen_free(b);
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Age in whole years from the ID's birth date to the submission date. */
static int
age_from_id(const char *id, long long when)
{
	time_t t = (time_t)when;
	struct tm tm;
	int y, m, d, age;

	gmtime_r(&t, &tm);
	if (sscanf(id + 6, "%4d%2d%2d", &y, &m, &d) != 3)
		return -1;
	age = tm.tm_year + 1900 - y;
	if (tm.tm_mon + 1 < m || (tm.tm_mon + 1 == m && tm.tm_mday < d))
		age--;
	return age;
}

static void
test_fields(void)
{
	struct core_seed_gen *g = core_seed_gen_new(7, T_NOW);
	static struct core_seed_row r, prev;
	static const char okchars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_-";
	int i, over24 = 0, ring = 0, compound = 0, x_check = 0;
	int missing_carrier = 0, underage = 0, bad = 0, upfront = 0, flat = 0;
	size_t s;
	int prev_ring = 0;

	for (i = 0; i < NROWS; i++) {
		core_seed_gen_next(g, &r);
		CU_ASSERT_TRUE_FATAL(core_seed_id_valid(r.id_no));
		x_check += r.id_no[17] == 'X';
		CU_ASSERT_EQUAL(age_from_id(r.id_no, r.submitted_at), r.age);
		underage += r.age < 18;
		CU_ASSERT(utf8_chars(r.name) >= 2 && utf8_chars(r.name) <= 4);
		compound += utf8_chars(r.name) == 4;
		CU_ASSERT_EQUAL(strlen(r.phone), 11);
		CU_ASSERT_EQUAL(r.phone[0], '1');
		CU_ASSERT_EQUAL(strlen(r.openid), 28);
		CU_ASSERT_EQUAL(strspn(r.openid, okchars), 28);
		/*
		 * What a lender offers: hundreds of yuan, thousands from
		 * ¥10,000, ¥500 to ¥50,000.
		 */
		CU_ASSERT(r.amount_fen >= 50000 && r.amount_fen <= 5000000);
		CU_ASSERT_EQUAL(r.amount_fen % (r.amount_fen >= 1000000 ?
		    100000 : 10000), 0);
		/* Fees as the product has them, in whole yuan upfront. */
		CU_ASSERT(r.upfront_fee_fen >= 0 &&
		    r.upfront_fee_fen < r.amount_fen / 10);
		CU_ASSERT_EQUAL(r.upfront_fee_fen % 100, 0);
		CU_ASSERT(r.monthly_fee_fen >= 0 &&
		    r.monthly_fee_fen <= r.amount_fen / 100);
		if (strcmp(r.product, "salary_advance") == 0) {
			CU_ASSERT(r.upfront_fee_fen >= 500 &&
			    r.term_months == 3);
		}
		if (strcmp(r.product, "installment") == 0) {
			CU_ASSERT_EQUAL(r.upfront_fee_fen, 0);
		} else {
			CU_ASSERT_EQUAL(r.monthly_fee_fen, 0);
		}
		if (r.monthly_fee_fen > 0) {
			/* 等本等息: no interest, a flat fee, equal principal. */
			CU_ASSERT_EQUAL(r.rate_bps, 0);
			CU_ASSERT_STRING_EQUAL(r.repayment, "equal_principal");
			flat++;
		}
		upfront += r.upfront_fee_fen > 0;
		CU_ASSERT(r.term_months == 3 || r.term_months == 6 ||
		    r.term_months == 12 || r.term_months == 24);
		CU_ASSERT(r.rate_bps >= 0 && r.rate_bps <= 3600);
		over24 += r.rate_bps > 2400;
		/* The queue of the last minute. */
		CU_ASSERT(r.submitted_at <= T_NOW &&
		    r.submitted_at > T_NOW - CORE_SEED_WINDOW_S);
		bad += r.bad;
		for (s = 0; s < CORE_SEED_NSOURCES; s++) {
			cJSON *j;

			if (r.payload[s][0] == '\0') {
				missing_carrier += s == 0;
				continue;
			}
			j = cJSON_Parse(r.payload[s]);
			CU_ASSERT_PTR_NOT_NULL(j);
			CU_ASSERT_TRUE(cJSON_IsObject(j));
			cJSON_Delete(j);
		}
		if (r.ring != 0) {
			ring++;
			if (r.ring == prev_ring) {
				const char *link = r.ring_link;

				CU_ASSERT_PTR_NOT_NULL_FATAL(link);
				if (strcmp(link, "device") == 0)
					CU_ASSERT_STRING_EQUAL(r.device_hash,
					    prev.device_hash);
				if (strcmp(link, "ip") == 0)
					CU_ASSERT_STRING_EQUAL(r.ip, prev.ip);
				if (strcmp(link, "phone") == 0)
					CU_ASSERT_STRING_EQUAL(r.phone,
					    prev.phone);
				CU_ASSERT_STRING_NOT_EQUAL(r.id_no,
				    prev.id_no);
				CU_ASSERT(r.submitted_at > prev.submitted_at);
			}
		}
		memcpy(&prev, &r, sizeof prev);
		prev_ring = r.ring;
	}
	/* Mostly within 24%, fees common, some of everything rare. */
	CU_ASSERT(over24 > 0 && over24 < NROWS * 6 / 100);
	CU_ASSERT(upfront > NROWS / 10 && flat > NROWS / 10);
	CU_ASSERT(ring > 0);
	CU_ASSERT(x_check > 0);
	CU_ASSERT(underage > 0);
	CU_ASSERT(missing_carrier > 0);
	CU_ASSERT(bad > NROWS / 50 && bad < NROWS / 3);
	(void)compound;
	core_seed_gen_free(g);
}

/*
 * The shared-device count each row carries is what the worker will count
 * in the applications table: distinct applicants (identity numbers here)
 * on the device in the 24 hours up to the row, counted afresh over all
 * rows.  No payload carries one any more.  Device rings give counts of 3
 * and more, so rule R003 has work on demo data.
 */
static void
test_shared_device(void)
{
	struct core_seed_gen *g = core_seed_gen_new(7, T_NOW);
	static struct core_seed_row rows[NROWS];
	int i, j, k, bad = 0, three = 0, in_payload = 0;

	for (i = 0; i < NROWS; i++) {
		core_seed_gen_next(g, &rows[i]);
		in_payload += strstr(rows[i].payload[RISK_SRC_DEVICE],
		    "shared_applicants") != NULL;
	}
	for (i = 0; i < NROWS; i++) {
		int n = 0;

		for (j = 0; j < NROWS; j++) {
			if (strcmp(rows[j].device_hash, rows[i].device_hash) ||
			    rows[j].submitted_at > rows[i].submitted_at ||
			    rows[j].submitted_at <= rows[i].submitted_at -
			    86400)
				continue;
			for (k = 0; k < j; k++)
				if (!strcmp(rows[k].device_hash,
				    rows[i].device_hash) &&
				    !strcmp(rows[k].id_no, rows[j].id_no) &&
				    rows[k].submitted_at <= rows[i].submitted_at &&
				    rows[k].submitted_at > rows[i].submitted_at -
				    86400)
					break;
			n += k == j;
		}
		bad += n != rows[i].device_shared_24h;
		three += rows[i].device_shared_24h >= 3;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(three > 0);
	CU_ASSERT_EQUAL(in_payload, 0);
	core_seed_gen_free(g);
}

/* The payloads feed the risk engine's extractor: features come out. */
static void
test_payloads_extract(void)
{
	struct core_seed_gen *g = core_seed_gen_new(9, T_NOW);
	static struct core_seed_row r;
	size_t nf = risk_feature_count(), s, f;
	const struct risk_feature_def *age = risk_feature_find("age");
	double x[64];
	int i, present_age = 0, missing_any = 0;
	struct ld_err err;

	CU_ASSERT_TRUE_FATAL(nf <= 64 && age != NULL);
	for (i = 0; i < 500; i++) {
		struct risk_payloads *pl = risk_payloads_new();

		core_seed_gen_next(g, &r);
		for (s = 0; s < CORE_SEED_NSOURCES; s++) {
			if (r.payload[s][0] == '\0')
				continue;
			ld_err_clear(&err);
			CU_ASSERT_EQUAL(risk_payloads_set_json(pl,
			    (enum risk_source)s, r.payload[s],
			    strlen(r.payload[s]), &err), LD_OK);
		}
		risk_features_extract_all(pl, x);
		for (f = 0; f < nf; f++) {
			if (risk_feature_at(f) == age) {
				CU_ASSERT_EQUAL(x[f], (double)r.age);
				present_age++;
			}
			missing_any += isnan(x[f]);
		}
		risk_payloads_free(pl);
	}
	CU_ASSERT_EQUAL(present_age, 500);
	CU_ASSERT(missing_any > 0);
	core_seed_gen_free(g);
}

static const struct ld_test_case seed_cases[] = {
	LD_TEST(test_check_digit_examples),
	LD_TEST(test_deterministic),
	LD_TEST(test_deterministic_any_day),
	LD_TEST(test_fields),
	LD_TEST(test_shared_device),
	LD_TEST(test_payloads_extract),
	LD_TEST_END
};

int
main(void)
{
	LD_TEST_INIT();
	ld_test_suite("seed", NULL, NULL, seed_cases);
	return ld_test_run();
}
