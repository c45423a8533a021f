noinst_LIBRARIES += libldrisk.a
libldrisk_a_CPPFLAGS = $(AM_CPPFLAGS) $(CJSON_CFLAGS)
libldrisk_a_SOURCES = %reldir%/risk.h %reldir%/risk_placeholder.c
LDRISK_LIBS = libldrisk.a $(CJSON_LIBS)
