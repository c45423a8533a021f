check_PROGRAMS += tests/test_db
tests_test_db_SOURCES = tests/test_db.c tests/ld_test.h tests/ld_testdb.h
tests_test_db_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(PQ_CFLAGS)
tests_test_db_LDADD = libldcore.a $(LDDB_LIBS) $(LDCOMMON_LIBS) $(CUNIT_LIBS) \
	-lpthread
TESTS += tests/test_db

# The statement builder, without a database.
check_PROGRAMS += tests/test_sql
tests_test_sql_SOURCES = tests/test_sql.c tests/ld_test.h
tests_test_sql_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(PQ_CFLAGS)
tests_test_sql_LDADD = libldcore.a $(LDDB_LIBS) $(LDCOMMON_LIBS) \
	$(CUNIT_LIBS)
TESTS += tests/test_sql

# The console's session with a real primary and a streaming replica.
check_PROGRAMS += tests/test_replica
tests_test_replica_SOURCES = tests/test_replica.c tests/ld_test.h \
	tests/ld_testdb.h
tests_test_replica_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(PQ_CFLAGS)
tests_test_replica_LDADD = libldcore.a $(LDDB_LIBS) $(LDRISK_LIBS) \
	$(LDCOMMON_LIBS) $(CJSON_LIBS) $(CUNIT_LIBS) -lm
TESTS += tests/test_replica

dist_check_SCRIPTS += tests/test_configure.sh
TESTS += tests/test_configure.sh
