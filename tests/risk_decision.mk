# Feature catalogue, rules, policy, reason codes, explanation JSON.
check_PROGRAMS += tests/test_risk_decision
tests_test_risk_decision_SOURCES = tests/test_risk_decision.c tests/ld_test.h
tests_test_risk_decision_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) \
	$(CUNIT_CFLAGS) $(CJSON_CFLAGS) $(CRYPTO_CFLAGS)
tests_test_risk_decision_LDADD = $(LDRISK_LIBS) $(LDCOMMON_LIBS) \
	$(CJSON_LIBS) $(CRYPTO_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_risk_decision
