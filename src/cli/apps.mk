# loandesk apps list|show and the console command.
loandesk_SOURCES += %reldir%/cli_apps.c
