# `make bench`: each area's benchmark prints its figures beside a reference
# measured in the same run (pgbench, openssl speed, python3-xgboost).
BENCH_SCRIPTS =
include %reldir%/risk.mk
include %reldir%/wxpay.mk
include %reldir%/console.mk
EXTRA_DIST += $(BENCH_SCRIPTS)

bench: all $(check_PROGRAMS)
	@set -e; for s in $(BENCH_SCRIPTS); do \
	  echo "== $$s"; \
	  top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	    LANG=C.UTF-8 LC_ALL=C.UTF-8 $(SHELL) $(srcdir)/$$s; \
	done
.PHONY: bench
