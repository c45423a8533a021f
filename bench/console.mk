# LD_BENCH_LIST += %reldir%/bench_console.sh
