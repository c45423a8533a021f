noinst_LIBRARIES += libldui.a
libldui_a_CPPFLAGS = $(AM_CPPFLAGS) $(NCURSESW_CFLAGS) $(PQ_CFLAGS)
libldui_a_SOURCES = %reldir%/ui.h %reldir%/ui_console.c
LDUI_LIBS = libldui.a $(NCURSESW_LIBS)
