# loandesk reconcile and loandesk settings show|apply.
loandesk_SOURCES += %reldir%/cli_reconcile.c %reldir%/cli_settings.c
