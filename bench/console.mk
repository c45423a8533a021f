# BENCH_SCRIPTS += %reldir%/bench_console.sh
