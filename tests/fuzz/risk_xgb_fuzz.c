/*
 * libFuzzer: XGBoost JSON models (risk_model_load), then prediction,
 * TreeSHAP, Saabas and points on rows with missing values for every
 * model that loads.  Seeds: corpus/risk_xgb.
 */
#include "config.h"

#include "tests/fuzz/risk_fuzz_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return risk_fuzz_model_input(data, size);
}
