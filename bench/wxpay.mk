# BENCH_SCRIPTS += %reldir%/bench_wxpay.sh
