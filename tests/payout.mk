# The payout engine's rules, pure (src/payout): out_bill_no, splitting,
# the Beijing day, limits, backoff, the outcome of every classified answer,
# and the state tables of docs/payouts.md.
check_PROGRAMS += tests/test_payout
tests_test_payout_SOURCES = tests/test_payout.c tests/ld_test.h
tests_test_payout_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS)
tests_test_payout_LDADD = $(LDPAYOUT_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_payout
EXTRA_DIST += docs/payouts.md
