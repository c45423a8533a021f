# Model speed against xgboost 1.7 measured in the same run: python3-xgboost
# and the libxgboost C API (opened with dlopen; Debian has no header).
LD_BENCH_LIST += %reldir%/bench_risk.sh
check_PROGRAMS += bench/bench_risk_model bench/bench_risk_capi
bench_bench_risk_model_SOURCES = bench/bench_risk_model.c
bench_bench_risk_model_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_RISK)
bench_bench_risk_model_LDADD = $(LDRISK_LIBS) $(LDCOMMON_LIBS)
bench_bench_risk_capi_SOURCES = bench/bench_risk_capi.c
bench_bench_risk_capi_LDADD = $(LDCOMMON_LIBS) -ldl
EXTRA_DIST += %reldir%/bench_risk_xgb.py
