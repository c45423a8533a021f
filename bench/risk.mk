# LD_BENCH_LIST += %reldir%/bench_risk.sh
