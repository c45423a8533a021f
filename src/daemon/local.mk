bin_PROGRAMS += loandeskd
loandeskd_SOURCES = %reldir%/main.c
loandeskd_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_MAIN) $(PQ_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS) $(MHD_CFLAGS)
loandeskd_LDADD = libldcore.a $(LDDB_LIBS) $(LDRISK_LIBS) libldpayout.a \
	$(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(MHD_LIBS)
loandeskd_SOURCES += %reldir%/daemon.h %reldir%/score_worker.c \
	%reldir%/daemon_config.c %reldir%/daemon_config.h
