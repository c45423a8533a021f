# The console at 10,000 and 1,000,000 applications.
LD_BENCH_LIST += %reldir%/bench_console.sh
