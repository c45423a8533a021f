bin_PROGRAMS += loandesk
loandesk_SOURCES = %reldir%/main.c %reldir%/cli.h %reldir%/cli_config.c \
	%reldir%/cli_db.c %reldir%/cli_console.c %reldir%/cli_keys.c
loandesk_CPPFLAGS = $(AM_CPPFLAGS) $(LD_INC_MAIN) $(PQ_CFLAGS) $(CJSON_CFLAGS) \
	$(CRYPTO_CFLAGS) $(CURL_CFLAGS)
loandesk_LDADD = $(LDUI_LIBS) libldcore.a $(LDDB_LIBS) $(LDRISK_LIBS) \
	libldpayout.a $(LDWXPAY_LIBS) $(LDCOMMON_LIBS)
# Subcommands owned by other areas add their files here.
include %reldir%/risk.mk
include %reldir%/wxpay.mk
include %reldir%/apps.mk
include %reldir%/reconcile.mk
