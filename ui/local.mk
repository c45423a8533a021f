noinst_LIBRARIES += libldui.a
# ui -> core -> common: core's headers name the database as struct ld_db
# without its header, so db's directory is not on ui's path at all.
libldui_a_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_UI) $(LD_INC_CORE) \
	-DLD_UI_INTERNAL $(NCURSESW_CFLAGS) $(PQ_CFLAGS)

# The screens, in the order of the number keys (1 is the first).
#
# Adding a screen is one file and one entry: write ui/ui_screen_NAME.c,
# defining `const struct ui_screen ui_screen_NAME`, and add its file to
# this list.  Nothing else names the screens: ui_screens.h, which gives
# each its id (UI_SCREEN_NAME), its extern declaration and its row in
# the console's screen table, is generated from this list below.
LDUI_SCREENS = \
	%reldir%/ui_screen_apps.c \
	%reldir%/ui_screen_case.c \
	%reldir%/ui_screen_reviews.c \
	%reldir%/ui_screen_audit.c

libldui_a_SOURCES = %reldir%/ui.h %reldir%/ui_int.h \
	%reldir%/ui_console.c %reldir%/ui_keys.c \
	%reldir%/ui_layout.c %reldir%/ui_draw.c \
	%reldir%/ui_text.c %reldir%/ui_text.h \
	$(LDUI_SCREENS)
LDUI_LIBS = libldui.a libldcore.a $(NCURSESW_LIBS)

# One X-macro row per screen: UI_SCREEN(ID, name).
%reldir%/ui_screens.h: $(top_srcdir)/%reldir%/local.mk
	$(AM_V_GEN)$(MKDIR_P) $(@D) && { \
	echo '/* Generated from LDUI_SCREENS in ui/local.mk: do not edit. */'; \
	for f in $(LDUI_SCREENS); do \
		n=$${f##*/ui_screen_}; n=$${n%.c}; \
		echo "UI_SCREEN($$(echo "$$n" | tr a-z A-Z), $$n)"; \
	done; } >$@.tmp && mv $@.tmp $@
$(libldui_a_OBJECTS): %reldir%/ui_screens.h
CLEANFILES += %reldir%/ui_screens.h
