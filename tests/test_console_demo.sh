#!/bin/sh
# The README's demo end to end, as a new user runs it: .ci/demo brings up
# a cluster, operators, keys, seeded and scored applications, a champion
# model, the simulator and the daemon, and opens the console as the demo
# risk officer (here in tmux, whose first screen is checked).  Re-running
# it changes nothing; stop stops everything; reset deletes it.
#
# For speed it uses this build (DEMO_BUILD) instead of building its own,
# 3,000 applications and no package check; `bash .ci/demo` on a fresh
# machine does the same with its own build in .demo/build.
set -eu
. "${top_srcdir:-.}/tests/console/lib.sh"

for p in loandeskd wxpay-sim; do
	[ -x "$top_builddir/$p" ] || ld_skip "no $p built"
done
command -v bash >/dev/null 2>&1 || ld_skip "no bash"

D=$LD_TMP/demo
DEMO_DIR=$D DEMO_BUILD=$top_builddir DEMO_NO_DEPS=1 DEMO_COUNT=3000
export DEMO_DIR DEMO_BUILD DEMO_NO_DEPS DEMO_COUNT
demo() { bash "$top_srcdir/.ci/demo" "$@"; }
trap 'demo stop >/dev/null 2>&1 || true; ld_cleanup' EXIT INT TERM

# --- up: everything but the console.
demo up >"$LD_TMP/up1.out" 2>&1 || { cat "$LD_TMP/up1.out" >&2; ld_fail "demo up"; }
grep -q '^== seeding 3000 applications' "$LD_TMP/up1.out" ||
	ld_fail "no seeding step: $(cat "$LD_TMP/up1.out")"
grep -q 'DEMO_ROLE=wang_fang bash .ci/demo' "$LD_TMP/up1.out" ||
	ld_fail "no word on the other operators"
eval "$(sh "$LD_PG" env "$D/pg")"
[ "$(ld_sql "SELECT count(*) FROM applications")" = 3000 ] || ld_fail "not 3000 applications"
[ "$(ld_sql "SELECT count(*) FROM applications WHERE status = 'received'")" = 0 ] ||
	ld_fail "applications left unscored"
[ "$(ld_sql "SELECT count(*) FROM models WHERE role = 'champion'")" = 1 ] ||
	ld_fail "no champion model"
for r in li_na:loandesk_risk zhou_min:loandesk_risk wang_fang:loandesk_finance \
    zhao_lei:loandesk_oncall loandeskd:loandesk_daemon; do
	[ "$(ld_sql "SELECT rolcanlogin AND pg_has_role(rolname, '${r#*:}', 'MEMBER') FROM pg_roles WHERE rolname = '${r%%:*}'")" = t ] ||
		ld_fail "${r%%:*} is not a login role in ${r#*:}"
done
# The daemon scored as its own role, not as the superuser.
[ "$(ld_sql "SELECT count(*) FROM audit_log WHERE action = 'application.scored' AND actor = 'loandeskd'")" = 3000 ] ||
	ld_fail "the scores are not the daemon role's"
for f in keys/pii.key keys/blind_index.key loandesk.conf; do
	[ "$(stat -c %a "$D/$f")" = 600 ] || ld_fail "$f is mode $(stat -c %a "$D/$f")"
done
for p in wxpay-sim loandeskd; do
	kill -0 "$(cat "$D/$p.pid")" 2>/dev/null || ld_fail "$p is not running"
done
grep -q "^base_url = http://127.0.0.1:[0-9]" "$D/loandesk.conf" ||
	ld_fail "the configuration does not name the simulator"
echo "ok demo up: 3000 scored applications, operators, keys, simulator, daemon"

# --- again: nothing is redone, nothing restarted.
sim=$(cat "$D/wxpay-sim.pid") daemon=$(cat "$D/loandeskd.pid")
demo up >"$LD_TMP/up2.out" 2>&1 || { cat "$LD_TMP/up2.out" >&2; ld_fail "demo up again"; }
for want in 'already seeded: 3000 applications' 'wxpay-sim is running' \
    'loandeskd is running' 'is running$'; do
	grep -q "$want" "$LD_TMP/up2.out" || ld_fail "second run: no \"$want\": $(cat "$LD_TMP/up2.out")"
done
grep -q 'seeding\|training\|generating' "$LD_TMP/up2.out" &&
	ld_fail "second run redid work: $(cat "$LD_TMP/up2.out")"
[ "$(cat "$D/wxpay-sim.pid") $(cat "$D/loandeskd.pid")" = "$sim $daemon" ] ||
	ld_fail "the second run restarted the simulator or the daemon"
echo "ok demo up again changes nothing"

# --- the daemon in the background scores what arrives (NOTIFY).
"$top_builddir/loandesk" -c "$D/loandesk.conf" seed --count 20 --seed 3 >/dev/null 2>&1 ||
	ld_fail "seeding more"
ld_until "the running daemon to score the new applications" \
    ld_sql_is 0 "SELECT count(*) FROM applications WHERE status = 'received'"
echo "ok the daemon scores new applications"

# --- the whole command: the console opens as the risk officer.
ld_window demo 120 40 \
    "env DEMO_DIR=$D DEMO_BUILD=$top_builddir DEMO_NO_DEPS=1 bash $top_srcdir/.ci/demo 2>$LD_TMP/err.demo; echo \$? >$LD_TMP/rc.demo"
ld_wait 'li_na \(risk\)'
ld_wait '^ +ID SUBMITTED \+08 ▼ +NAME'
ld_wait 'row 1 of ~3,0[0-9]{2} '
# Rows with masked Chinese names and scores.
ld_line '^ +[0-9]+ 20[0-9-]+ [0-9:]+ [^ ]*\*[^ ]* +¥[0-9,]+\.[0-9]{2} +[0-9]+m [0-9]+ [A-H] ' >/dev/null
ld_keys Enter
ld_wait '^Case [0-9]+ '
ld_line 'Model (credit_xgb|scorecard) 1' >/dev/null
ld_keys q
ld_wait 'row 1 of'
ld_quit
echo "ok bash .ci/demo opens the console as li_na"

# --- stop, then reset.
demo stop >"$LD_TMP/stop.out" 2>&1 || ld_fail "demo stop"
stopped() { ! kill -0 "$1" 2>/dev/null; }
for p in "$sim" "$daemon"; do
	ld_until "pid $p to stop after demo stop" stopped "$p"
done
rc=0; sh "$LD_PG" status "$D/pg" >/dev/null 2>&1 || rc=$?
[ $rc = 3 ] || ld_fail "the cluster still runs after stop"
demo reset >/dev/null 2>&1 || ld_fail "demo reset"
[ ! -e "$D" ] || ld_fail "reset left $D"
echo "ok demo stop and reset"
