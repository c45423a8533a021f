/*
 * libFuzzer: the reason-code table (risk_reason_table_parse,
 * etc/reason_codes.tsv syntax), then a lookup for every catalogue feature
 * and a pick over contributions with missing and extreme values.  Seeds:
 * corpus/risk_reasons.
 */
#include "config.h"

#include "ld_err.h"
#include "risk/risk_features.h"
#include "risk/risk_reasons.h"
#include "tests/fuzz/risk_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct risk_reason_table *t = NULL;
	struct risk_reason	 out[8], one;
	struct ld_err		 err;
	const char *const	*names = risk_feature_names();
	double			 phi[64], v[64];
	size_t			 F = risk_feature_count(), i, k, got;
	uint64_t		 seed = risk_fuzz_hash(data, size);
	int			 line, col;

	RISK_FUZZ_CHECK(F <= 64, "catalogue of %zu", F);
	ld_err_clear(&err);
	if (risk_reason_table_parse((const char *)data, size, "fuzz.tsv", &t,
	    &err) != LD_OK) {
		RISK_FUZZ_CHECK(t == NULL, "table returned with an error");
		RISK_FUZZ_CHECK(strncmp(err.msg, "fuzz.tsv:", 9) == 0,
		    "\"%s\"", err.msg);
		/* Line-level errors say line and column. */
		if (strncmp(err.msg, "fuzz.tsv: ", 10) != 0)
			RISK_FUZZ_CHECK(sscanf(err.msg, "fuzz.tsv:%d:%d:",
			    &line, &col) == 2 && line >= 1 && col >= 1,
			    "\"%s\"", err.msg);
		return 0;
	}
	for (i = 0; i < F; i++) {
		risk_reason_lookup(t, names[i], NAN, &one);
		RISK_FUZZ_CHECK(one.code != NULL && one.text_zh != NULL &&
		    one.text_en != NULL, "lookup %s", names[i]);
		risk_reason_lookup(t, names[i], 1, &one);
		RISK_FUZZ_CHECK(one.code != NULL, "lookup %s", names[i]);
	}
	risk_reason_lookup(t, "not_a_feature", 0, &one);
	RISK_FUZZ_CHECK(one.code != NULL, "fallback");
	for (k = 0; k < 4; k++) {
		risk_fuzz_row(phi, F, (int)k + 2, &seed);
		risk_fuzz_row(v, F, (int)k, &seed);
		got = risk_reasons_pick(t, names, k & 1 ? v : NULL, phi, F,
		    k == 3 ? 8 : RISK_REASONS_DEFAULT, out);
		RISK_FUZZ_CHECK(got <= (k == 3 ? 8 : RISK_REASONS_DEFAULT),
		    "%zu reasons", got);
		for (i = 0; i < got; i++)
			RISK_FUZZ_CHECK(out[i].phi > 0 && isfinite(out[i].phi),
			    "reason %zu phi %g", i, out[i].phi);
	}
	risk_reason_table_free(t);
	return 0;
}
