# What the one audit head costs two streams of audited writers (the
# scoring worker and a payout-like stream), alone and side by side.
LD_BENCH_LIST += %reldir%/bench_audit_head.sh
