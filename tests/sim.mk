# wxpay-sim end to end: the real simulator on a free loopback port.
check_PROGRAMS += tests/test_sim
tests_test_sim_SOURCES = tests/test_sim.c tests/ld_test.h
tests_test_sim_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(CJSON_CFLAGS) \
	$(CURL_CFLAGS) $(MHD_CFLAGS) $(CRYPTO_CFLAGS)
tests_test_sim_LDADD = $(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(MHD_LIBS) \
	$(CJSON_LIBS) $(CURL_LIBS) $(CUNIT_LIBS) -lpthread
TESTS += tests/test_sim
