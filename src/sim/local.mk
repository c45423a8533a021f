bin_PROGRAMS += wxpay-sim
wxpay_sim_SOURCES = %reldir%/main.c
wxpay_sim_CPPFLAGS = $(AM_CPPFLAGS) $(MHD_CFLAGS) $(CJSON_CFLAGS) $(EXPAT_CFLAGS) $(CRYPTO_CFLAGS)
wxpay_sim_LDADD = $(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(MHD_LIBS)
