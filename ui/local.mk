noinst_LIBRARIES += libldui.a
libldui_a_CPPFLAGS = $(AM_CPPFLAGS) $(NCURSESW_CFLAGS) $(PQ_CFLAGS) \
	-I$(top_srcdir)/src/core
libldui_a_SOURCES = %reldir%/ui.h %reldir%/ui_int.h \
	%reldir%/ui_console.c \
	%reldir%/ui_text.c %reldir%/ui_text.h \
	%reldir%/ui_screen_apps.c %reldir%/ui_screen_case.c \
	%reldir%/ui_screen_reviews.c %reldir%/ui_screen_audit.c
LDUI_LIBS = libldui.a libldcore.a $(NCURSESW_LIBS)
