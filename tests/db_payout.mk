# The payout engine's database functions against a throwaway cluster:
# approval and four eyes, bills and splitting, limits across a Beijing
# midnight, the kill switch, claims under SKIP LOCKED, answers and
# callbacks, reviews, retry, reconciliation; and the SQL mirrors of the
# src/payout tables compared with the C ones.
check_PROGRAMS += tests/test_db_payout
tests_test_db_payout_SOURCES = tests/test_db_payout.c tests/ld_test.h tests/ld_testdb.h
tests_test_db_payout_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(PQ_CFLAGS)
tests_test_db_payout_LDADD = $(LDDB_LIBS) $(LDPAYOUT_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS) -lpthread
TESTS += tests/test_db_payout
