/*
 * The legal lines an annual rate (the IRR-based APR of core_schedule_apr)
 * is read against.  The Supreme People's Court's 2015 provisions on
 * private lending (法释〔2015〕18号, art. 26) drew two: interest up to 24%
 * a year is enforced, between 24% and 36% it is not enforced but what was
 * paid is not returned, over 36% it is void; the 2017 notice on cash
 * loans (整治办函〔2017〕141号) holds lenders' comprehensive cost to that
 * 36%.  The console shows which side of them a loan's APR falls
 * (docs/risk-maths.md, "Rate lines", says what replaced them since and
 * whom they bind); where the database caps rates is the migrations'
 * business.
 */
#ifndef LD_CORE_APR_H
#define LD_CORE_APR_H

enum core_apr_class {
	CORE_APR_WITHIN,   /* at or under the first line */
	CORE_APR_OVER,     /* over it: not enforced */
	CORE_APR_VOID      /* over the second: void */
};

#define CORE_APR_ENFORCED_MAX_BPS 2400
#define CORE_APR_VOID_OVER_BPS 3600

/* Where an APR in basis points (2400 is 24%) falls. */
enum core_apr_class core_apr_classify(long apr_bps);

/* The line a class is over, in basis points; 0 for CORE_APR_WITHIN. */
long core_apr_line_bps(enum core_apr_class c);

#endif
