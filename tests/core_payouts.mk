# The payout use cases of src/core/core_payouts.c against a throwaway
# cluster, as each role: list and paging, one payout, the figures, the
# previews against what the functions do, the actions; and `loandesk
# payouts` end to end, its --json checked against the database.
check_PROGRAMS += tests/test_core_payouts
tests_test_core_payouts_SOURCES = tests/test_core_payouts.c tests/ld_test.h \
	tests/ld_testdb.h
tests_test_core_payouts_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) \
	$(PQ_CFLAGS)
tests_test_core_payouts_LDADD = libldcore.a $(LDDB_LIBS) $(LDRISK_LIBS) \
	$(LDCOMMON_LIBS) $(CJSON_LIBS) $(CUNIT_LIBS) -lpthread -lm
TESTS += tests/test_core_payouts
dist_check_SCRIPTS += tests/test_payouts_cli.sh
TESTS += tests/test_payouts_cli.sh
