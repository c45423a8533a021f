noinst_LIBRARIES += libldcommon.a
libldcommon_a_CPPFLAGS = $(AM_CPPFLAGS) -DLD_SYSCONFDIR='"$(sysconfdir)"' \
	-DLD_PKGDATADIR='"$(pkgdatadir)"' -DLD_SRCDIR='"$(abs_top_srcdir)"' \
	$(INIH_CFLAGS) $(CRYPTO_CFLAGS)
libldcommon_a_SOURCES = \
	%reldir%/ld_err.c %reldir%/ld_err.h \
	%reldir%/ld_alloc.c %reldir%/ld_alloc.h \
	%reldir%/ld_buf.c %reldir%/ld_buf.h \
	%reldir%/ld_money.c %reldir%/ld_money.h \
	%reldir%/ld_config.c %reldir%/ld_config.h \
	%reldir%/ld_log.c %reldir%/ld_log.h \
	%reldir%/ld_pii.c %reldir%/ld_pii.h \
	%reldir%/ld_pii_config.c %reldir%/ld_pii_config.h \
	%reldir%/ld_paths.c %reldir%/ld_paths.h \
	%reldir%/ld_utf8.c %reldir%/ld_utf8.h
LDCOMMON_LIBS = libldcommon.a $(INIH_LIBS) $(CRYPTO_LIBS) -lm
