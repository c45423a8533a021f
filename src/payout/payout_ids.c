/*
 * The numbers WeChat Pay sees: out_bill_no (also the batch out_detail_no
 * and the APIv2 partner_trade_no) and out_batch_no.  The SQL functions
 * payout_out_bill_no and payout_out_batch_no (0020) build the same text;
 * the database makes the numbers when a payout is approved or retried, and
 * tests/test_db_payout.c compares both builders.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "payout.h"

enum ld_status
payout_prefix_check(const char *prefix, struct ld_err *err)
{
	size_t i, n = prefix != NULL ? strlen(prefix) : 0;

	if (n < 1 || n > PAYOUT_PREFIX_MAX)
		return ld_err_set(err, LD_EINVAL,
		    "out_bill_prefix \"%s\" must "
		    "be 1 to %d letters",
		    prefix != NULL ? prefix : "", PAYOUT_PREFIX_MAX);
	for (i = 0; i < n; i++)
		if (!((prefix[i] >= 'A' && prefix[i] <= 'Z') ||
			(prefix[i] >= 'a' && prefix[i] <= 'z')))
			return ld_err_set(err, LD_EINVAL,
			    "out_bill_prefix "
			    "\"%s\" must be letters only (A-Z, a-z)",
			    prefix);
	return LD_OK;
}

int
payout_out_no_valid(const char *s)
{
	size_t i, n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n < 5 || n > PAYOUT_OUT_NO_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

enum ld_status
payout_out_bill_no(const char *prefix, int64_t payout_id, int seq,
    int generation, char *out, struct ld_err *err)
{
	enum ld_status st;
	int n;

	out[0] = '\0';
	if ((st = payout_prefix_check(prefix, err)) != LD_OK)
		return st;
	if (payout_id < 1)
		return ld_err_set(err, LD_EINVAL,
		    "payout id %" PRId64 " is "
		    "not positive",
		    payout_id);
	if (seq < 1 || seq > PAYOUT_SEQ_MAX)
		return ld_err_set(err, LD_EINVAL,
		    "bill sequence %d is outside "
		    "1..%d",
		    seq, PAYOUT_SEQ_MAX);
	if (generation < 0 || generation > PAYOUT_GENERATION_MAX)
		return ld_err_set(err, LD_EINVAL,
		    "retry generation %d is "
		    "outside 0..%d",
		    generation, PAYOUT_GENERATION_MAX);
	n = snprintf(out, PAYOUT_OUT_NO_MAX + 1, "%s%" PRId64 "S%dG%d", prefix,
	    payout_id, seq, generation);
	/* Cannot happen with the bounds above (4 + 19 + 1 + 4 + 1 + 3). */
	if (n < 5 || n > PAYOUT_OUT_NO_MAX)
		return ld_err_set(err, LD_EINTERNAL,
		    "out_bill_no of %d "
		    "characters",
		    n);
	return LD_OK;
}

enum ld_status
payout_out_batch_no(const char *prefix, int64_t payout_id, int generation,
    char *out, struct ld_err *err)
{
	enum ld_status st;
	int n;

	out[0] = '\0';
	if ((st = payout_prefix_check(prefix, err)) != LD_OK)
		return st;
	if (payout_id < 1)
		return ld_err_set(err, LD_EINVAL,
		    "payout id %" PRId64 " is "
		    "not positive",
		    payout_id);
	if (generation < 0 || generation > PAYOUT_GENERATION_MAX)
		return ld_err_set(err, LD_EINVAL,
		    "retry generation %d is "
		    "outside 0..%d",
		    generation, PAYOUT_GENERATION_MAX);
	n = snprintf(out, PAYOUT_OUT_NO_MAX + 1, "%s%" PRId64 "B%d", prefix,
	    payout_id, generation);
	if (n < 5 || n > PAYOUT_OUT_NO_MAX)
		return ld_err_set(err, LD_EINTERNAL,
		    "out_batch_no of %d "
		    "characters",
		    n);
	return LD_OK;
}

/* Reads a decimal without sign or leading zero; s advances past it. */
static int
read_number(const char **s, int64_t max, int64_t *v)
{
	const char *p = *s;
	int64_t x = 0;

	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (max - (*p - '0')) / 10)
			return 0;
		x = x * 10 + (*p - '0');
	}
	*s = p;
	*v = x;
	return 1;
}

enum ld_status
payout_out_bill_no_parse(const char *s, char *prefix, int64_t *payout_id,
    int *seq, int *generation, struct ld_err *err)
{
	const char *p = s;
	int64_t id, sq, gen;
	size_t n = 0;

	prefix[0] = '\0';
	if (!payout_out_no_valid(s))
		return ld_err_set(err, LD_EINVAL,
		    "\"%s\" is not an out_bill_no "
		    "(5 to 32 letters and digits)",
		    s != NULL ? s : "");
	while (isalpha((unsigned char)*p) && n < PAYOUT_PREFIX_MAX)
		prefix[n++] = *p++;
	prefix[n] = '\0';
	if (n == 0 || !read_number(&p, INT64_MAX, &id) || id < 1 ||
	    *p++ != 'S' || !read_number(&p, PAYOUT_SEQ_MAX, &sq) || sq < 1 ||
	    *p++ != 'G' || !read_number(&p, PAYOUT_GENERATION_MAX, &gen) ||
	    *p != '\0') {
		prefix[0] = '\0';
		return ld_err_set(err, LD_EINVAL,
		    "\"%s\" is not one of ours "
		    "(PREFIX PAYOUT S SEQ G GENERATION)",
		    s);
	}
	*payout_id = id;
	*seq = (int)sq;
	*generation = (int)gen;
	return LD_OK;
}
