# Decision integrity: override levels, dual control, second opinions, the
# APR cap, the decision preview, personal-data reveals, key rotation and
# the database holes, against a throwaway cluster with a login per role.
check_PROGRAMS += tests/test_db_integrity
tests_test_db_integrity_SOURCES = tests/test_db_integrity.c tests/ld_test.h \
	tests/ld_testdb.h
tests_test_db_integrity_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) \
	$(PQ_CFLAGS) $(CRYPTO_CFLAGS)
tests_test_db_integrity_LDADD = libldcore.a $(LDDB_LIBS) $(LDRISK_LIBS) \
	$(LDCOMMON_LIBS) $(CJSON_LIBS) $(CUNIT_LIBS) -lm
TESTS += tests/test_db_integrity
