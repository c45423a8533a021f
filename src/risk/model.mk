libldrisk_a_SOURCES += %reldir%/risk.h %reldir%/risk_placeholder.c
