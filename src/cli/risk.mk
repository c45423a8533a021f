# loandesk_SOURCES += %reldir%/cli_risk*.c
loandesk_SOURCES += %reldir%/cli_seed.c
loandesk_SOURCES += %reldir%/cli_model_registry.c
loandesk_SOURCES += %reldir%/cli_model_eval.c
loandesk_SOURCES += %reldir%/cli_score.c
