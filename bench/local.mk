# `make bench`: each area's benchmark prints its figures beside a reference
# measured in the same run (pgbench, openssl speed, python3-xgboost).
LD_BENCH_LIST =
include %reldir%/risk.mk
include %reldir%/wxpay.mk
include %reldir%/console.mk
EXTRA_DIST += $(LD_BENCH_LIST)

bench: all $(check_PROGRAMS)
	@set -e; for s in $(LD_BENCH_LIST); do \
	  echo "== $$s"; \
	  top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	    LANG=C.UTF-8 LC_ALL=C.UTF-8 $(SHELL) $(srcdir)/$$s; \
	done
.PHONY: bench
include %reldir%/worker.mk
include %reldir%/audit_head.mk
