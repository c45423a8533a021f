/*
 * libFuzzer: alt-data payloads turned into features.  The input is split
 * at 0xff bytes (never in UTF-8 JSON) into up to seven payloads, one per
 * source in enum risk_source order, and an eighth chunk whose first byte
 * picks a value for the linked feature.  Every extracted value must be
 * missing or valid for its catalogue type and range; the features then go
 * through the inputs hash and the shipped hard rules.  Seeds:
 * corpus/risk_payload.
 */
#include "config.h"

#include "ld_err.h"
#include "risk/risk_features.h"
#include "risk/risk_rules.h"
#include "tests/fuzz/risk_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

static struct risk_rules *rules;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ld_err	 err;

	(void)argc;
	(void)argv;
	ld_err_clear(&err);
	RISK_FUZZ_CHECK(risk_rules_load(RISK_FUZZ_TOP_SRCDIR "/etc/rules.conf",
	    &rules, &err) == LD_OK, "%s", err.msg);
	return 0;
}

static void
check_value(const struct risk_feature_def *d, double v)
{
	if (isnan(v))
		return;
	RISK_FUZZ_CHECK(isfinite(v) && v >= d->min && v <= d->max,
	    "%s = %g outside [%g, %g]", d->name, v, d->min, d->max);
	if (d->type == RISK_FT_COUNT || d->type == RISK_FT_FEN ||
	    d->type == RISK_FT_BOOL)
		RISK_FUZZ_CHECK(v == floor(v), "%s = %g", d->name, v);
	if (d->type == RISK_FT_BOOL)
		RISK_FUZZ_CHECK(v == 0 || v == 1, "%s = %g", d->name, v);
	RISK_FUZZ_CHECK(!(v == 0 && signbit(v)), "%s is -0", d->name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct risk_payloads	*p = risk_payloads_new();
	struct risk_rule_hits	 hits;
	struct ld_err		 err;
	const char *const	*all = risk_feature_names();
	const char		*rev[64];
	double			 x[64], y[64];
	char			 hex[65];
	size_t			 F = risk_feature_count(), i, start = 0;
	int			 src = 0;
	static const char	 zeros[65] =
	    "0000000000000000000000000000000000000000000000000000000000000000";

	RISK_FUZZ_CHECK(F <= 64, "catalogue of %zu", F);
	for (i = 0; i <= size && src <= RISK_SOURCE_COUNT; i++) {
		if (i < size && data[i] != 0xff)
			continue;
		if (src < RISK_SOURCE_COUNT) {
			ld_err_clear(&err);
			if (risk_payloads_set_json(p, (enum risk_source)src,
			    (const char *)data + start, i - start,
			    &err) != LD_OK) {
				RISK_FUZZ_CHECK(strncmp(err.msg, "alt_data ",
				    9) == 0 && risk_payloads_get(p,
				    (enum risk_source)src) == NULL, "\"%s\"",
				    err.msg);
			}
		} else if (i > start) {
			RISK_FUZZ_CHECK(risk_payloads_set_linked(p,
			    "device_shared_applicants_24h",
			    risk_fuzz_palette[data[start] %
			    RISK_FUZZ_PALETTE_N], &err) == LD_OK, "%s",
			    err.msg);
		}
		src++;
		start = i + 1;
	}
	risk_features_extract_all(p, x);
	for (i = 0; i < F; i++) {
		check_value(risk_feature_at(i), x[i]);
		rev[F - 1 - i] = all[i];
	}
	RISK_FUZZ_CHECK(risk_features_extract(p, rev, F, y, &err) == LD_OK,
	    "%s", err.msg);
	for (i = 0; i < F; i++)
		RISK_FUZZ_CHECK(memcmp(&y[F - 1 - i], &x[i], sizeof x[i]) == 0 ||
		    (isnan(x[i]) && isnan(y[F - 1 - i])), "%s differs", all[i]);
	RISK_FUZZ_CHECK(risk_features_hash(all, x, F, hex, &err) == LD_OK,
	    "%s", err.msg);
	RISK_FUZZ_CHECK(strlen(hex) == 64, "hash %s", hex);
	RISK_FUZZ_CHECK(risk_features_hash_model(zeros, rev, y, F, hex,
	    &err) == LD_OK, "%s", err.msg);
	risk_rule_hits_init(&hits);
	RISK_FUZZ_CHECK(risk_rules_eval(rules, all, x, F, &hits, &err) ==
	    LD_OK, "%s", err.msg);
	risk_rule_hits_free(&hits);
	risk_payloads_free(p);
	return 0;
}
