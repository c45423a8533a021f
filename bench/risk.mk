# BENCH_SCRIPTS += %reldir%/bench_risk.sh
