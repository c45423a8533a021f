check_PROGRAMS += tests/test_db
tests_test_db_SOURCES = tests/test_db.c tests/ld_test.h tests/ld_testdb.h
tests_test_db_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(PQ_CFLAGS)
tests_test_db_LDADD = libldcore.a $(LDDB_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS) \
	-lpthread
TESTS += tests/test_db

dist_check_SCRIPTS += tests/test_configure.sh
TESTS += tests/test_configure.sh
