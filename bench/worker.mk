# The scoring worker end to end against pgbench doing the same writes.
LD_BENCH_LIST += %reldir%/bench_worker.sh
EXTRA_DIST += %reldir%/worker_pgbench.sql
