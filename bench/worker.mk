# The scoring worker end to end against pgbench doing the same writes, and
# the decision latency of a listening daemon with and without a reused
# pre-assessment.
LD_BENCH_LIST += %reldir%/bench_worker.sh
EXTRA_DIST += %reldir%/worker_pgbench.sql
check_PROGRAMS += bench/worker_latency
bench_worker_latency_SOURCES = bench/worker_latency.c
bench_worker_latency_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_DB) $(PQ_CFLAGS)
bench_worker_latency_LDADD = $(LDDB_LIBS) $(LDCOMMON_LIBS)
