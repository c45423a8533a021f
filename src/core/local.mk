noinst_LIBRARIES += libldcore.a
libldcore_a_CPPFLAGS = $(AM_CPPFLAGS) $(PQ_CFLAGS) $(CJSON_CFLAGS)
libldcore_a_SOURCES = %reldir%/core.h %reldir%/core_decide.c
