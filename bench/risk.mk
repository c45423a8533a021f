# Model speed against python3-xgboost 1.7 measured in the same run.
LD_BENCH_LIST += %reldir%/bench_risk.sh
check_PROGRAMS += bench/bench_risk_model
bench_bench_risk_model_SOURCES = bench/bench_risk_model.c
bench_bench_risk_model_LDADD = $(LDRISK_LIBS) $(LDCOMMON_LIBS)
EXTRA_DIST += %reldir%/bench_risk_xgb.py
