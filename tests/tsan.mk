# `make check-tsan`: loandeskd's scoring and payout workers, its monitor
# and its HTTP listener are threads, so the daemon and its tests
# (tests/worker_test.sh, which runs two workers, two daemons at once and
# LISTEN mode; tests/test_payout_e2e and test_payout_e2e_modes, every
# payout path with two payout workers, callbacks, pause, SIGTERM and
# SIGKILL) run under ThreadSanitizer, with wxpay-sim built the same way.  The build
# is a directory of its own, tsan/, configured like this one but with
# --enable-sanitizers=thread (ThreadSanitizer and AddressSanitizer do not
# mix); a source directory configured in place is built from a copy made
# by `make distdir`, which configure needs.  Every report fails the target
# and is printed; they are kept in tsan/reports/.  Not part of `make
# check`, since it builds the programs again.
#
# A whole build can also be configured with --enable-sanitizers=thread;
# its `make check` then runs every suite under ThreadSanitizer.
check-tsan:
	@set -e; \
	$(MKDIR_P) tsan; \
	src='$(abs_top_srcdir)'; \
	if test -f "$$src/config.status"; then \
	  src='$(abs_top_builddir)/tsan/src'; \
	  if test ! -f "$$src/configure"; then \
	    $(MAKE) $(AM_MAKEFLAGS) distdir distdir="$$src" >/dev/null; \
	  fi; \
	fi; \
	cd tsan; \
	if test ! -f config.status; then \
	  w=; test '$(LD_ENABLE_WERROR)' = yes && w=--enable-werror; \
	  echo "check-tsan: configuring tsan/ with" \
	    "--enable-sanitizers=thread $$w"; \
	  "$$src/configure" -q --enable-sanitizers=thread $$w; \
	fi; \
	$(MAKE) $(AM_MAKEFLAGS) loandesk$(EXEEXT) loandeskd$(EXEEXT) \
	  wxpay-sim$(EXEEXT) tests/test_payout_e2e$(EXEEXT) \
	  tests/test_payout_e2e_modes$(EXEEXT); \
	rm -rf reports; mkdir reports; \
	st=0; \
	TSAN_OPTIONS="log_path=$$PWD/reports/tsan $${TSAN_OPTIONS-}" \
	LANG=C.UTF-8 LC_ALL=C.UTF-8 top_srcdir="$$src" top_builddir="$$PWD" \
	  $(SHELL) "$$src/tests/worker_test.sh" >reports/worker_test.log 2>&1 \
	  || st=$$?; \
	for t in test_payout_e2e test_payout_e2e_modes; do \
	  TSAN_OPTIONS="log_path=$$PWD/reports/tsan $${TSAN_OPTIONS-}" \
	  LANG=C.UTF-8 LC_ALL=C.UTF-8 top_srcdir="$$src" top_builddir="$$PWD" \
	    ./tests/$$t$(EXEEXT) >reports/$$t.log 2>&1 || st=$$?; \
	done; \
	n=`ls reports | grep -c '^tsan\.' || true`; \
	for r in reports/tsan.*; do \
	  test -f "$$r" || continue; echo "==== tsan/$$r"; cat "$$r"; \
	done; \
	if test $$st -ne 0; then \
	  for l in worker_test test_payout_e2e test_payout_e2e_modes; do \
	    echo "==== tsan/reports/$$l.log"; tail -40 reports/$$l.log; \
	  done; \
	fi; \
	echo "check-tsan: tests/worker_test.sh, test_payout_e2e and" \
	  "test_payout_e2e_modes exit status $$st," \
	  "$$n ThreadSanitizer report file(s)"; \
	test $$st -eq 0 && test $$n -eq 0
.PHONY: check-tsan
clean-local: clean-tsan
clean-tsan:
	-rm -rf tsan
.PHONY: clean-tsan
