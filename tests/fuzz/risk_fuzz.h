/*
 * Shared by the risk engine's libFuzzer harnesses (tests/fuzz/risk_*.c,
 * built by tests/fuzz_risk.mk): feature rows drawn from the input, and a
 * check that fails loudly.  abort() is what libFuzzer records as a crash,
 * so a broken invariant leaves a reproducer like any memory error.
 */
#ifndef LD_RISK_FUZZ_H
#define LD_RISK_FUZZ_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RISK_FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,	\
		    __LINE__, #cond);					\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* Values a hostile or broken row may hold; NaN is missing. */
static const double risk_fuzz_palette[] = {
	NAN, 0.0, -0.0, 1.0, -1.0, 0.5, 18, 65, 600, 1e13, -1e13, 1e300,
	-1e300, INFINITY, -INFINITY, FLT_MAX, -FLT_MAX, (double)FLT_MAX * 2,
	FLT_MIN, DBL_MIN, 5e-324, 16777217.0, 0.1
};

#define RISK_FUZZ_PALETTE_N \
	(sizeof risk_fuzz_palette / sizeof risk_fuzz_palette[0])

/* FNV-1a of the input: a seed that follows the bytes. */
static inline uint64_t
risk_fuzz_hash(const uint8_t *data, size_t size)
{
	uint64_t	 h = 1469598103934665603ull;
	size_t		 i;

	for (i = 0; i < size; i++) {
		h ^= data[i];
		h *= 1099511628211ull;
	}
	return h;
}

static inline uint64_t
risk_fuzz_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Row kind k of n values: all missing, all zero, then rows drawn from the
 * palette by seed.
 */
static inline void
risk_fuzz_row(double *x, size_t n, int k, uint64_t *seed)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (k == 0)
			x[i] = NAN;
		else if (k == 1)
			x[i] = 0;
		else
			x[i] = risk_fuzz_palette[risk_fuzz_next(seed) %
			    RISK_FUZZ_PALETTE_N];
	}
}

#endif
