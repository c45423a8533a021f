# Synthetic data, the model registry and the scoring worker.  test_seed is
# pure; worker_test.sh starts its own throwaway cluster.
check_PROGRAMS += tests/test_seed
tests_test_seed_SOURCES = tests/test_seed.c tests/ld_test.h
tests_test_seed_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(CJSON_CFLAGS) \
	$(PQ_CFLAGS)
tests_test_seed_LDADD = libldcore.a $(LDDB_LIBS) $(LDRISK_LIBS) \
	$(LDCOMMON_LIBS) $(CUNIT_LIBS)
TESTS += tests/test_seed
dist_check_SCRIPTS += tests/worker_test.sh tests/worker_train_model.py
TESTS += tests/worker_test.sh

# A demo champion: XGBoost trained with python3-xgboost on a seeded
# training set (no binary in git; `make demo-model.json` remakes it), to be
# registered with `loandesk model register --file demo-model.json ...`.
# etc/scorecard.example.json is a ready alternative without Python.
demo-model.json: loandesk$(EXEEXT) $(top_srcdir)/tests/worker_train_model.py
	./loandesk$(EXEEXT) seed --count 20000 --seed 2 \
	    --training-csv demo-model.csv
	/usr/bin/python3 $(top_srcdir)/tests/worker_train_model.py \
	    demo-model.csv $@ --trees 100 --depth 5
	rm -f demo-model.csv
CLEANFILES += demo-model.json demo-model.csv

# loandesk apps explain over seeded, scored applications.
dist_check_SCRIPTS += tests/explain_test.sh
TESTS += tests/explain_test.sh
