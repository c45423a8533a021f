# loandesk_SOURCES += %reldir%/cli_risk*.c
