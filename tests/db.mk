check_PROGRAMS += tests/test_db
tests_test_db_SOURCES = tests/test_db.c tests/ld_test.h tests/ld_testdb.h
tests_test_db_CPPFLAGS = $(AM_CPPFLAGS) $(CUNIT_CFLAGS) $(PQ_CFLAGS)
tests_test_db_LDADD = libldcore.a $(LDDB_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS) \
	-lpthread
TESTS += tests/test_db

# The statement builder, without a database.
check_PROGRAMS += tests/test_sql
tests_test_sql_SOURCES = tests/test_sql.c tests/ld_test.h
tests_test_sql_CPPFLAGS = $(AM_CPPFLAGS) $(CUNIT_CFLAGS) $(PQ_CFLAGS)
tests_test_sql_LDADD = libldcore.a $(LDDB_LIBS) $(LDCOMMON_LIBS) \
	$(CUNIT_LIBS)
TESTS += tests/test_sql

dist_check_SCRIPTS += tests/test_configure.sh
TESTS += tests/test_configure.sh
