# LD_BENCH_LIST += %reldir%/bench_wxpay.sh
