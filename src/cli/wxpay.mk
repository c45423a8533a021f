# loandesk_SOURCES += %reldir%/cli_wxpay*.c
