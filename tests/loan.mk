# Loan terms (0012): the SQL schedule and APR cap against the C, on a
# throwaway cluster.
check_PROGRAMS += tests/test_db_loan
tests_test_db_loan_SOURCES = tests/test_db_loan.c tests/ld_test.h \
	tests/ld_testdb.h
tests_test_db_loan_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(PQ_CFLAGS)
tests_test_db_loan_LDADD = libldcore.a $(LDDB_LIBS) $(LDRISK_LIBS) \
	$(LDCOMMON_LIBS) $(CJSON_LIBS) $(CUNIT_LIBS) -lm
TESTS += tests/test_db_loan
