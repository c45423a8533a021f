/*
 * libFuzzer: WOE scorecards (risk_model_load), then margin, contributions
 * and points, which must add up exactly.  Seeds: corpus/risk_card.  The
 * same entry point as risk_xgb_fuzz; the seeds steer it to the other
 * loader.
 */
#include "config.h"

#include "tests/fuzz/risk_fuzz_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return risk_fuzz_model_input(data, size);
}
