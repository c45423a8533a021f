bin_PROGRAMS += loandeskd
loandeskd_SOURCES = %reldir%/main.c
loandeskd_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_MAIN) $(PQ_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS) $(MHD_CFLAGS) $(CRYPTO_CFLAGS)
loandeskd_LDADD = libldcore.a $(LDDB_LIBS) $(LDRISK_LIBS) libldpayout.a \
	$(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(MHD_LIBS)
loandeskd_SOURCES += %reldir%/daemon.h %reldir%/score_worker.c \
	%reldir%/daemon_config.c %reldir%/daemon_config.h
# Payouts: the workers, the balance monitor and heartbeat, the HTTP
# listener (callbacks, /healthz, /metrics) and its figures.
loandeskd_SOURCES += %reldir%/payout_worker.c %reldir%/payout_monitor.c \
	%reldir%/daemon_http.c %reldir%/daemon_metrics.c
