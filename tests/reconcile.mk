# Daily reconciliation and settings: the fund-flow bill's parser and SHA1
# (against Python's decimal arithmetic and the openssl command line).
check_PROGRAMS += tests/test_fundflow
tests_test_fundflow_SOURCES = tests/test_fundflow.c tests/ld_test.h
tests_test_fundflow_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) \
	$(CJSON_CFLAGS) $(CRYPTO_CFLAGS) $(CURL_CFLAGS)
tests_test_fundflow_LDADD = $(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_fundflow

# Reconciliation end to end: real PostgreSQL, the real wxpay-sim, payouts
# paid by a driver playing the daemon's part, core_reconcile_day and
# loandesk reconcile.
check_PROGRAMS += tests/test_reconcile
tests_test_reconcile_SOURCES = tests/test_reconcile.c tests/ld_test.h \
	tests/ld_testdb.h tests/ld_testsim.h
tests_test_reconcile_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) \
	$(PQ_CFLAGS) $(CJSON_CFLAGS) $(CRYPTO_CFLAGS) $(CURL_CFLAGS)
tests_test_reconcile_LDADD = libldcore.a $(LDDB_LIBS) $(LDPAYOUT_LIBS) \
	$(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS) -lpthread
tests_test_reconcile_DEPENDENCIES = wxpay-sim$(EXEEXT) loandesk$(EXEEXT) \
	libldcore.a $(LDPAYOUT_LIBS)
TESTS += tests/test_reconcile

# loandesk settings apply|show and api.settings_set.
check_PROGRAMS += tests/test_settings
tests_test_settings_SOURCES = tests/test_settings.c tests/ld_test.h \
	tests/ld_testdb.h
tests_test_settings_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) \
	$(PQ_CFLAGS) $(CJSON_CFLAGS)
tests_test_settings_LDADD = $(LDDB_LIBS) $(LDCOMMON_LIBS) $(CJSON_LIBS) \
	$(CUNIT_LIBS)
tests_test_settings_DEPENDENCIES = loandesk$(EXEEXT) $(LDDB_LIBS)
TESTS += tests/test_settings
