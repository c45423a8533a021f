#!/bin/sh
# etc/loandeskd.service: systemd reads it without complaint, it carries the
# hardening the daemon is meant to run under, and systemd's own offline
# assessment rates its exposure low.  Skipped where systemd-analyze is
# missing.
set -eu
unit=${top_srcdir:-.}/etc/loandeskd.service
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze missing"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$unit" "$tmp/loandeskd.service"

# Only the absent binary may be mentioned.
systemd-analyze verify "$tmp/loandeskd.service" >"$tmp/verify" 2>&1 || true
if grep -v 'is not executable' "$tmp/verify" | grep -q .; then
	cat "$tmp/verify"
	echo "FAIL: systemd-analyze verify complains"
	exit 1
fi
for k in 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'PrivateTmp=yes' \
    'ProtectHome=yes' 'User=loandesk' 'CapabilityBoundingSet=$' \
    'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
    'ReadWritePaths=-/run/postgresql$' 'KillSignal=SIGTERM'; do
	grep -q "^$k" "$tmp/loandeskd.service" ||
		{ echo "FAIL: no $k"; exit 1; }
done
# No other path is writable.
test "$(grep -c '^ReadWritePaths=' "$tmp/loandeskd.service")" -eq 1 ||
	{ echo "FAIL: more than one ReadWritePaths"; exit 1; }
echo "ok - verify and keys"

if systemd-analyze security --offline=yes "$tmp/loandeskd.service" \
    >"$tmp/security" 2>&1; then
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	    "$tmp/security")
	echo "exposure $level"
	awk -v l="$level" 'BEGIN { exit !(l != "" && l + 0 <= 2.0) }' ||
		{ cat "$tmp/security"; echo "FAIL: exposure $level above 2.0"; exit 1; }
	echo "ok - exposure $level"
else
	echo "systemd-analyze security --offline is not supported here"
fi
