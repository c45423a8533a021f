# The console: CUnit for its pure parts, tmux end to end against a
# throwaway cluster.
check_PROGRAMS += tests/test_console
tests_test_console_SOURCES = tests/test_console.c tests/ld_test.h
tests_test_console_CPPFLAGS = $(AM_CPPFLAGS) $(CUNIT_CFLAGS) $(PQ_CFLAGS)
tests_test_console_LDADD = $(LDUI_LIBS) $(LDDB_LIBS) $(LDCOMMON_LIBS) \
	$(CJSON_LIBS) $(CUNIT_LIBS) -lm
TESTS += tests/test_console

dist_check_SCRIPTS += tests/test_console_tmux.sh tests/test_console_seeded.sh
TESTS += tests/test_console_tmux.sh tests/test_console_seeded.sh
EXTRA_DIST += tests/console/data.sql tests/console/lib.sh
