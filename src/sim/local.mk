# wxpay-sim: the local WeChat Pay simulator (libmicrohttpd server, gnutls
# for the APIv2 client-certificate check, libcurl callbacks, crypto from
# libldwxpay).
bin_PROGRAMS += wxpay-sim
wxpay_sim_SOURCES = \
	%reldir%/main.c %reldir%/sim.h %reldir%/sim_api.h \
	%reldir%/sim_config.c \
	%reldir%/sim_util.c \
	%reldir%/sim_pki.c \
	%reldir%/sim_state.c \
	%reldir%/sim_events.c \
	%reldir%/sim_store.c \
	%reldir%/sim_notify.c \
	%reldir%/sim_answer.c \
	%reldir%/sim_auth.c \
	%reldir%/sim_fields.c \
	%reldir%/sim_bills.c \
	%reldir%/sim_batches.c \
	%reldir%/sim_fundflow.c \
	%reldir%/sim_v2.c \
	%reldir%/sim_admin.c \
	%reldir%/sim_api.c \
	%reldir%/sim_http.c
wxpay_sim_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_WXPAY) $(MHD_CFLAGS) $(GNUTLS_CFLAGS) \
	$(CJSON_CFLAGS) $(EXPAT_CFLAGS) $(CRYPTO_CFLAGS) $(CURL_CFLAGS) \
	$(INIH_CFLAGS)
wxpay_sim_LDADD = $(LDWXPAY_LIBS) $(LDCOMMON_LIBS) $(MHD_LIBS) \
	$(GNUTLS_LIBS) $(CJSON_LIBS) $(CURL_LIBS) $(INIH_LIBS) -lpthread
EXTRA_DIST += etc/wxpay-sim.conf.example
