#!/bin/sh
# make check-valgrind: every CUnit program given as an argument, then the
# programs' everyday commands on a throwaway cluster, under valgrind's
# memcheck.  A step fails on any error valgrind reports (uninitialised
# reads, invalid reads and writes, bad frees, definitely or indirectly
# lost blocks), on a non-zero exit, and, where file descriptors are
# tracked (the daemon, the simulator), on a descriptor still open at exit
# that the program opened itself.  Third-party leaks that are by design
# are in tests/valgrind.supp.  Logs: tests/valgrind/ in the build tree.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
VALGRIND=${VALGRIND:-valgrind}
PY=/usr/bin/python3
LOG=$top_builddir/tests/valgrind
LOANDESK=$top_builddir/loandesk
LOANDESKD=$top_builddir/loandeskd
SIM=$top_builddir/wxpay-sim
PGLOCAL=$top_srcdir/db/pg-local

if ! command -v "$VALGRIND" >/dev/null 2>&1; then
	echo "check-valgrind: $VALGRIND not found: apt-get install valgrind" >&2
	exit 2
fi
rm -rf "$LOG"
mkdir -p "$LOG" || exit 2
T=$(mktemp -d "${TMPDIR:-/tmp}/ld-valgrind.XXXXXX") || exit 2
# The cluster runs as an unprivileged user when we are root.
chmod 755 "$T"
BG=
cleanup() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null
	sh "$PGLOCAL" destroy "$T/pg" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

passed=0 failed=0 VG_STARTED=0

# vg NAME [VALGRIND-OPTIONS] -- COMMAND [ARGS]: COMMAND under valgrind,
# its output in $LOG/NAME.out, valgrind's in $LOG/NAME.PID.log (one per
# process, children included when traced).  In the background, as
# `VG_EXEC=exec vg ... &`, valgrind replaces the subshell, so that $! is
# the process that a signal must reach.
vg() {
	VG_STARTED=$(date +%s)
	_vg_name=$1
	shift
	_vg_opts=
	while [ "$1" != "--" ]; do
		_vg_opts="$_vg_opts $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	${VG_EXEC:-} "$VALGRIND" --leak-check=full \
	    --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	    --track-origins=yes --num-callers=30 \
	    --suppressions="$top_srcdir/tests/valgrind.supp" \
	    --log-file="$LOG/$_vg_name.%p.log" $_vg_opts "$@" \
	    >"$LOG/$_vg_name.out" 2>&1
}

# What valgrind said about NAME's processes: errors and descriptors opened
# by the program and left open.  Prints the findings; 0 when none.
findings() {
	awk '
	/ERROR SUMMARY: [1-9]/ { print FILENAME ": " $0; bad = 1 }
	/Open file descriptor/ { fd = $0; want = 1; next }
	want && NF > 1 {
		if ($0 !~ /<inherited from parent>/) {
			print FILENAME ": " fd " (opened by the program)"
			bad = 1
		}
		want = 0
	}
	END { exit bad }' "$LOG/$1".*.log 2>/dev/null
}

# step NAME RC [WANT]: the result of a step, with its valgrind findings.
step() {
	findings "$1" >"$T/findings"
	_st_clean=$?
	if [ "$2" -eq "${3:-0}" ] && [ "$_st_clean" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok - $1 ($(($(date +%s) - VG_STARTED)) s)"
	else
		failed=$((failed + 1))
		echo "FAIL - $1 (exit $2, $(($(date +%s) - VG_STARTED)) s)"
		cat "$T/findings"
		echo "--- the end of its output ($LOG/$1.out):"
		tail -20 "$LOG/$1.out"
		for _st_f in $(grep -l 'ERROR SUMMARY: [1-9]' \
		    "$LOG/$1".*.log 2>/dev/null); do
			echo "--- $_st_f:"
			sed -n '/Parent PID/,$p' "$_st_f" | head -80
		done
	fi
}

# waitfor FILE PATTERN SECONDS
waitfor() {
	_wf_n=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		_wf_n=$((_wf_n + 1))
		[ "$_wf_n" -gt "$3" ] && return 1
		sleep 1
	done
}

# --- CUnit programs ---------------------------------------------------
for prog in "$@"; do
	name=$(basename "$prog")
	case $name in
	test_sim)
		# The simulator it starts is checked too; the shells that
		# system() runs (pg-local, openssl) are not.
		vg "$name" --trace-children=yes \
		    --trace-children-skip='*/sh,*/bash,*/dash' \
		    --track-fds=yes -- "$top_builddir/$prog"
		;;
	*)
		vg "$name" -- "$top_builddir/$prog"
		;;
	esac
	step "$name" $?
done

# --- the programs on a throwaway cluster ------------------------------
if ! sh "$PGLOCAL" init "$T/pg" >"$T/init.out" 2>&1; then
	cat "$T/init.out"
	echo "FAIL - cannot start a throwaway cluster"
	echo "valgrind: $passed passed, $((failed + 1)) failed"
	exit 1
fi
eval "$(sh "$PGLOCAL" env "$T/pg")"
LOANDESK_MIGRATIONS_DIR=$top_srcdir/db/migrations
openssl rand -hex 32 >"$T/pii.key"
openssl rand -hex 32 >"$T/bidx.key"
chmod 600 "$T/pii.key" "$T/bidx.key"
cat >"$T/ld.conf" <<EOF
[risk]
rules_file = $top_srcdir/etc/rules.conf
reason_codes_file = $top_srcdir/etc/reason_codes.tsv
[security]
pii_key_file = $T/pii.key
blind_index_key_file = $T/bidx.key
[daemon]
workers = 2
batch_size = 50
EOF
LOANDESK_CONF=$T/ld.conf
export LOANDESK_MIGRATIONS_DIR LOANDESK_CONF

vg help -- "$LOANDESK" --help
step help $?
vg db_migrate -- "$LOANDESK" db migrate
step db_migrate $?
vg db_migrate_again -- "$LOANDESK" db migrate
step db_migrate_again $?
vg db_status -- "$LOANDESK" db status
step db_status $?
vg seed -- "$LOANDESK" seed --count 200 --seed 7 --training-csv "$T/rows.csv"
step seed $?
vg seed_db -- "$LOANDESK" seed --count 200 --seed 7
step seed_db $?
card=$top_srcdir/etc/scorecard.example.json
vg model_eval_points -- "$LOANDESK" model eval --model "$card" \
    --csv "$T/rows.csv" --points
step model_eval_points $?
if $PY -c 'import xgboost' 2>/dev/null &&
    $PY "$top_srcdir/tests/xgb/gen_models.py" "$T/xgb" >/dev/null 2>&1; then
	vg model_eval_contribs -- "$LOANDESK" model eval \
	    --model "$T/xgb/tiny.json" --csv "$T/xgb/tiny.csv" --contribs
	step model_eval_contribs $?
	vg model_eval_approx -- "$LOANDESK" model eval \
	    --model "$T/xgb/tiny.json" --csv "$T/xgb/tiny.csv" \
	    --approx-contribs
	step model_eval_approx $?
	vg model_eval_refused -- "$LOANDESK" model eval \
	    --model "$T/xgb/refuse_dart.json" --csv "$T/xgb/tiny.csv"
	step model_eval_refused $? 1
else
	echo "# no python3-xgboost: XGBoost model eval left out"
fi
vg model_register -- "$LOANDESK" model register --file "$card" \
    --name card --version 1
step model_register $?
vg model_activate -- "$LOANDESK" model activate card 1
step model_activate $?
vg model_list -- "$LOANDESK" model list --json
step model_list $?
vg daemon_once --track-fds=yes -- "$LOANDESKD" --once
step daemon_once $?
vg apps_list -- "$LOANDESK" apps list --json --limit 50
step apps_list $?
id=$(psql -X -qAt -c "SELECT id FROM applications
	WHERE status = 'manual_review' ORDER BY id LIMIT 1")
vg apps_show -- "$LOANDESK" apps show "${id:-1}" --json
step apps_show $?
vg apps_show_missing -- "$LOANDESK" apps show 999999 --json
step apps_show_missing $? 1
vg audit_verify -- "$LOANDESK" audit verify
step audit_verify $?
kat=$top_srcdir/tests/kat
printf '{"out_bill_no":"B1"}' >"$T/body.json"
vg wxpay_sign -- "$LOANDESK" wxpay sign \
    --key "$kat/wechatpay-java.merchant_private_key.pem" \
    --mchid 1900000001 --serial 1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C \
    --method POST --url /v3/fund-app/mch-transfer/transfer-bills \
    --timestamp 1700000000 --nonce N1 --body-file "$T/body.json"
step wxpay_sign $?

# The daemon listening: a new application arrives by NOTIFY, SIGTERM
# stops it.
VG_STARTED=$(date +%s)
VG_EXEC=exec vg daemon_listen --track-fds=yes -- "$LOANDESKD" &
BG=$!
up=1
if waitfor "$LOG/daemon_listen.out" 'scoring workers' 120; then
	"$LOANDESK" seed --count 20 --seed 8 >/dev/null 2>&1
	n=0
	while [ "$(psql -X -qAt -c "SELECT count(*) FROM applications
	    WHERE status = 'received'")" != 0 ]; do
		n=$((n + 1))
		[ $n -gt 120 ] && { echo "# nothing scored in 120 s"; up=0; break; }
		sleep 1
	done
else
	echo "# loandeskd did not start in 120 s"
	up=0
fi
kill -TERM "$BG"
wait "$BG"
rc=$?
BG=
[ $up = 1 ] || rc=1
step daemon_listen $rc

# The simulator: generates its keys, serves, stops on SIGTERM.
cat >"$T/sim.conf" <<EOF
[sim]
state_dir = $T/sim
listen = 127.0.0.1:0
mchid = 1900000001
appid = wxd930ea5d5a258f4f
generate_merchant = yes
EOF
VG_STARTED=$(date +%s)
VG_EXEC=exec vg wxpay_sim --track-fds=yes -- "$SIM" -c "$T/sim.conf" &
BG=$!
up=1
if waitfor "$LOG/wxpay_sim.out" '^listening on ' 300; then
	url=http://$(sed -n 's/^listening on //p' "$LOG/wxpay_sim.out")
	if command -v curl >/dev/null 2>&1 &&
	    ! curl -fsS -o /dev/null "$url/__sim/ledger"; then
		echo "# GET /__sim/ledger failed"
		up=0
	fi
else
	echo "# wxpay-sim did not start in 300 s"
	up=0
fi
kill -TERM "$BG"
wait "$BG"
rc=$?
BG=
[ $up = 1 ] || rc=1
step wxpay_sim $rc

echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
