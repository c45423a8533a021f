/*
 * libFuzzer: the hard rules file (risk_rules_parse, etc/rules.conf
 * syntax), then every rule evaluated over the whole catalogue on rows
 * with missing and extreme values, and over a catalogue with features
 * left out (which must fail naming the rule).  Seeds: corpus/risk_rules.
 */
#include "config.h"

#include "ld_err.h"
#include "risk/risk_features.h"
#include "risk/risk_rules.h"
#include "tests/fuzz/risk_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* "fuzz.rules:LINE:COL: " */
static int
names_place(const char *msg)
{
	int	 line, col, n = 0;

	return sscanf(msg, "fuzz.rules:%d:%d: %n", &line, &col, &n) == 2 &&
	    n > 0 && line >= 1 && col >= 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct risk_rules	*rs = NULL;
	struct risk_rule_hits	 hits;
	struct ld_err		 err;
	const char *const	*all = risk_feature_names();
	const char		*some[64];
	double			 x[64], y[64];
	size_t			 F = risk_feature_count(), i, j, k, ns;
	uint64_t		 seed = risk_fuzz_hash(data, size);
	enum ld_status		 st;

	RISK_FUZZ_CHECK(F <= 64, "catalogue of %zu", F);
	ld_err_clear(&err);
	if (risk_rules_parse((const char *)data, size, "fuzz.rules", &rs,
	    &err) != LD_OK) {
		RISK_FUZZ_CHECK(rs == NULL, "rules returned with an error");
		RISK_FUZZ_CHECK(names_place(err.msg),
		    "error does not name file:line:col: \"%s\"", err.msg);
		return 0;
	}
	for (i = 0; i < risk_rules_count(rs); i++) {
		RISK_FUZZ_CHECK(risk_rules_id(rs, i) != NULL &&
		    risk_rules_text(rs, i) != NULL &&
		    risk_rules_version(rs, i) >= 1, "rule %zu", i);
		(void)risk_rules_action(rs, i);
	}
	risk_rule_hits_init(&hits);
	for (k = 0; k < 6; k++) {
		risk_fuzz_row(x, F, (int)k, &seed);
		st = risk_rules_eval(rs, all, x, F, &hits, &err);
		RISK_FUZZ_CHECK(st == LD_OK, "eval: %s", err.msg);
	}
	RISK_FUZZ_CHECK(hits.n <= 6 * risk_rules_count(rs), "%zu hits",
	    hits.n);
	for (i = 0; i < hits.n; i++)
		RISK_FUZZ_CHECK(hits.v[i].id != NULL && hits.v[i].text != NULL,
		    "hit %zu", i);
	(void)risk_rule_hits_count(&hits, RISK_ACTION_REJECT);
	/* A copy of the catalogue in another order, some names left out. */
	ns = 0;
	for (j = F; j-- > 0;)
		if (risk_fuzz_next(&seed) % 4 != 0) {
			some[ns] = all[j];
			y[ns++] = x[j];
		}
	k = hits.n;
	st = risk_rules_eval(rs, some, y, ns, &hits, &err);
	if (st != LD_OK) {
		RISK_FUZZ_CHECK(hits.n == k, "hits kept after a failure");
		RISK_FUZZ_CHECK(strstr(err.msg, "was not supplied") != NULL &&
		    strncmp(err.msg, "rule ", 5) == 0, "\"%s\"", err.msg);
	}
	risk_rule_hits_free(&hits);
	risk_rules_free(rs);
	return 0;
}
