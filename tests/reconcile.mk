# Daily reconciliation and settings: the fund-flow bill's parser and SHA1
# (against Python's decimal arithmetic and the openssl command line).
check_PROGRAMS += tests/test_fundflow
tests_test_fundflow_SOURCES = tests/test_fundflow.c tests/ld_test.h
tests_test_fundflow_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) \
	$(CJSON_CFLAGS) $(CRYPTO_CFLAGS) $(CURL_CFLAGS)
tests_test_fundflow_LDADD = $(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_fundflow

