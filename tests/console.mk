# The console: CUnit for its pure parts, tmux end to end against a
# throwaway cluster.
check_PROGRAMS += tests/test_console
tests_test_console_SOURCES = tests/test_console.c tests/ld_test.h
tests_test_console_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) -DLD_UI_INTERNAL \
	$(CUNIT_CFLAGS) $(PQ_CFLAGS)
tests_test_console_LDADD = $(LDUI_LIBS) $(LDDB_LIBS) $(LDRISK_LIBS) $(LDCOMMON_LIBS) \
	$(CJSON_LIBS) $(CUNIT_LIBS) -lm
# It reads the screen table, generated from ui/local.mk.
$(tests_test_console_OBJECTS): ui/ui_screens.h
TESTS += tests/test_console

# The read models and use cases against a throwaway cluster.
check_PROGRAMS += tests/test_console_db
tests_test_console_db_SOURCES = tests/test_console_db.c tests/ld_test.h \
	tests/ld_testdb.h
tests_test_console_db_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_TEST) $(CUNIT_CFLAGS) $(PQ_CFLAGS)
tests_test_console_db_LDADD = libldcore.a $(LDDB_LIBS) $(LDRISK_LIBS) \
	$(LDCOMMON_LIBS) $(CJSON_LIBS) $(CUNIT_LIBS) -lm
TESTS += tests/test_console_db

dist_check_SCRIPTS += tests/test_console_tmux.sh tests/test_console_seeded.sh \
	tests/test_console_demo.sh
TESTS += tests/test_console_tmux.sh tests/test_console_seeded.sh \
	tests/test_console_demo.sh
EXTRA_DIST += tests/console/data.sql tests/console/lib.sh
