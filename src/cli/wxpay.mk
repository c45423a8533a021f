# loandesk wxpay sign|verify|decrypt|v2sign
loandesk_SOURCES += %reldir%/cli_wxpay.c
loandesk_CPPFLAGS += $(EXPAT_CFLAGS) $(SSL_CFLAGS)
