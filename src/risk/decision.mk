# Feature catalogue, hard rules, decision policy, reason codes and the
# explanation JSON the scoring worker stores.  The default rules and reason
# codes (etc/rules.conf, etc/reason_codes.tsv) are installed by etc/local.mk.
libldrisk_a_SOURCES += \
	%reldir%/risk_features.c %reldir%/risk_features.h \
	%reldir%/risk_rules.c %reldir%/risk_rules.h \
	%reldir%/risk_policy.c %reldir%/risk_policy.h \
	%reldir%/risk_config.c %reldir%/risk_config.h \
	%reldir%/risk_reasons.c %reldir%/risk_reasons.h \
	%reldir%/risk_explain.c %reldir%/risk_explain.h
