# The sample configuration (and, from the risk engine, the rules and reason
# codes) install under $(sysconfdir)/loandesk/.
loandeskconfdir = $(sysconfdir)/loandesk
dist_loandeskconf_DATA = %reldir%/loandesk.conf.example \
	%reldir%/rules.conf %reldir%/reason_codes.tsv
# The systemd unit (tests/test_systemd_unit.sh checks it); shipped, and
# installed by hand where the host wants it.
EXTRA_DIST += %reldir%/loandeskd.service
