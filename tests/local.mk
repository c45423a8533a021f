# CUnit suites; each program prints CUnit's summary and exits non-zero on
# any failure.  Integration suites start their own throwaway cluster.
check_PROGRAMS += tests/test_common
tests_test_common_SOURCES = tests/test_common.c tests/ld_test.h
tests_test_common_CPPFLAGS = $(AM_CPPFLAGS) $(CUNIT_CFLAGS) $(CRYPTO_CFLAGS)
tests_test_common_LDADD = $(LDCOMMON_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_common

include %reldir%/db.mk
include %reldir%/loan.mk
include %reldir%/db_integrity.mk
include %reldir%/risk_model.mk
include %reldir%/risk_decision.mk
include %reldir%/wxpay.mk
include %reldir%/payout.mk
include %reldir%/db_payout.mk
include %reldir%/sim.mk
include %reldir%/console.mk
include %reldir%/worker.mk
include %reldir%/fuzz_risk.mk
include %reldir%/fuzz.mk
include %reldir%/valgrind.mk
