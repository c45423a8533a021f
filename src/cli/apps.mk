# loandesk apps list|show|explain and the console command.
loandesk_SOURCES += %reldir%/cli_apps.c
loandesk_SOURCES += %reldir%/cli_explain.c
# loandesk payouts: finance's and on-call's use cases for scripts.
loandesk_SOURCES += %reldir%/cli_payouts.c
