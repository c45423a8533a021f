# loandesk reconcile.
loandesk_SOURCES += %reldir%/cli_reconcile.c
