# loandesk_SOURCES += %reldir%/cli_apps*.c
