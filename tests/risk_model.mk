# Risk models against python3-xgboost, trained at test time.
check_PROGRAMS += tests/test_risk_model
tests_test_risk_model_SOURCES = tests/test_risk_model.c tests/ld_test.h
tests_test_risk_model_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) -DLD_RISK_INTERNAL $(CUNIT_CFLAGS)
tests_test_risk_model_LDADD = $(LDRISK_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_risk_model
dist_check_SCRIPTS += tests/xgb/gen_models.py
EXTRA_DIST += etc/scorecard.example.json
# `loandesk model eval` end to end, against the same xgboost answers.
dist_check_SCRIPTS += tests/test_risk_model_eval.sh tests/xgb/compare_eval.py
TESTS += tests/test_risk_model_eval.sh
