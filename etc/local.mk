# The sample configuration (and, from the risk engine, the rules and reason
# codes) install under $(sysconfdir)/loandesk/.
loandeskconfdir = $(sysconfdir)/loandesk
dist_loandeskconf_DATA = %reldir%/loandesk.conf.example \
	%reldir%/rules.conf %reldir%/reason_codes.tsv
