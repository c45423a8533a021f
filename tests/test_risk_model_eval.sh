#!/bin/sh
# `loandesk model eval` end to end: models trained by python3-xgboost at
# test time, every output mode compared with xgboost's own answers within
# 1e-6, then the errors the command must report.  No xgboost: FAIL.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
LOANDESK="$top_builddir/loandesk"
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ld-model-eval.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }

if ! "$PY" "$top_srcdir/tests/xgb/gen_models.py" "$tmp" >/dev/null; then
	echo "FAIL - gen_models.py (is python3-xgboost installed?)"
	exit 1
fi

for name in tiny big d5 deep; do
	for mode in plain contribs approx points; do
		case $mode in
		plain) flag= ;;
		contribs) flag=--contribs ;;
		approx) flag=--approx-contribs ;;
		points) flag=--points ;;
		esac
		if "$LOANDESK" model eval --model "$tmp/$name.json" \
		    --csv "$tmp/$name.csv" $flag >"$tmp/out.csv" 2>"$tmp/err" &&
		    "$PY" "$top_srcdir/tests/xgb/compare_eval.py" $mode \
		    "$tmp/out.csv" "$tmp/$name"; then
			ok "$name $mode"
		else
			cat "$tmp/err"
			fail "$name $mode"
		fi
	done
done

# expect STATUS PATTERN ARGS...: exit status and a message on stderr.
expect() {
	want=$1 pat=$2
	shift 2
	"$LOANDESK" model eval "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ] && grep -q -- "$pat" "$tmp/err"; then
		ok "exit $want: $pat"
	else
		echo "  got exit $got: $(cat "$tmp/err")"
		fail "exit $want: $pat"
	fi
}

# A CSV without one feature column.
cut -d, -f1-3,5- "$tmp/tiny.csv" >"$tmp/nocol.csv"
missing=$(head -1 "$tmp/tiny.csv" | cut -d, -f4)
expect 1 "no column for model feature \"$missing\"" \
    --model "$tmp/tiny.json" --csv "$tmp/nocol.csv"
# A non-number on line 5, column 3.
awk -F, -v OFS=, 'NR == 5 { $3 = "12abc" } { print }' "$tmp/tiny.csv" \
    >"$tmp/nan.csv"
expect 1 "nan.csv:5: column 3 ([a-z_]*): \"12abc\" is not a number" \
    --model "$tmp/tiny.json" --csv "$tmp/nan.csv"
expect 2 "are required" --model "$tmp/tiny.json"
expect 2 "exclude each other" --model "$tmp/tiny.json" \
    --csv "$tmp/tiny.csv" --contribs --points
expect 1 "multi-class" --model "$tmp/refuse_multiclass.json" \
    --csv "$tmp/tiny.csv"
expect 1 "UBJSON" --model "$tmp/refuse_ubjson.ubj" --csv "$tmp/tiny.csv"
expect 1 "feature_names has 9 names" \
    --model "$tmp/refuse_featcount.json" --csv "$tmp/tiny.csv"

# The example scorecard: quoted ids, CRLF, empty cell = missing bin,
# a value on a cut point goes to the upper bin, extra columns ignored.
printf 'id,multi_apply_30d,note,external_score,network_months,night_activity_ratio\r\n' \
    >"$tmp/card.csv"
printf '"A,1",7,"x ""y""",,6,0.35\r\nB2,0,,700,60,0.05\n' >>"$tmp/card.csv"
cat >"$tmp/card.want" <<'WANT'
id,margin,probability,score,points_network_months,points_external_score,points_night_activity_ratio,points_multi_apply_30d
"A,1",-1.2646999999999999,0.22016587453382133,523,-3,-14,-12,-27
B2,-5.0462000000000007,0.0063926069070302481,632,14,17,9,13
WANT
if "$LOANDESK" model eval --model "$top_srcdir/etc/scorecard.example.json" \
    --csv "$tmp/card.csv" --points >"$tmp/card.out" 2>"$tmp/err" &&
    diff -u "$tmp/card.want" "$tmp/card.out"; then
	ok "scorecard points"
else
	cat "$tmp/err"
	fail "scorecard points"
fi

if [ "$fails" -ne 0 ]; then
	echo "$fails failed"
	exit 1
fi
echo "all passed"
