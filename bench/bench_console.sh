#!/bin/sh
# The console at two table sizes in one run: 10,000 and 1,000,000
# applications (generate_series), driven through tmux with the timing log
# the console writes when LOANDESK_TIMING_LOG is set.  Prints, per size,
# the first screen, page down and case open (p50/p95 over 100 runs each)
# and the console's peak resident memory, then the ratio between sizes.
# Targets (issue 5): first screen < 100 ms, page down < 20 ms, open case
# < 50 ms, RSS < 40 MB, and the large/small ratio within 1.5.
set -eu
. "${top_srcdir:-.}/tests/console/lib.sh"
# Measured as operators run it: no test titles (it waits on the timing
# log, not on frames).
unset LOANDESK_TEST_FRAMES

BIG=${LD_BENCH_BIG:-1000000}
SMALL=${LD_BENCH_SMALL:-10000}
RUNS=${LD_BENCH_RUNS:-100}

ld_db_setup
createdb_sql() { psql -X -qAt -d postgres -c "$1" >/dev/null; }
# The console runs as a risk officer's own login role, as in production
# (the group roles come from the first migration; roles are per cluster,
# the grants per database).
ld_sql "CREATE ROLE ld_bench_risk LOGIN IN ROLE loandesk_risk"

# fill DB N: N applications over N/10 applicants; the newest 2,000 scored.
fill() {
	db=$1 n=$2
	createdb_sql "CREATE DATABASE $db"
	PGDATABASE=$db "$LOANDESK" db migrate >/dev/null
	PGDATABASE=$db psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET synchronous_commit = off;
INSERT INTO models (name, version, kind, sha256, body, feature_names, role)
VALUES ('credit_xgb', '1.3.0', 'xgboost', repeat('cd', 32), '{}', '{}',
	'champion');
INSERT INTO applicants (name_enc, name_bidx, name_masked, id_no_enc,
	id_no_bidx, id_no_masked, phone_enc, phone_bidx, phone_masked, openid)
SELECT '\\x00', sha256(int8send(g)), (ARRAY['张*三', '欧**明', '李*',
	'J*** Smith', '王*五'])[1 + g % 5], '\\x00',
	sha256(int8send(-g)), '110***********' || lpad((g % 10000)::text, 4, '0'),
	'\\x00', sha256(int8send(g * 7)), '138****' || lpad((g % 10000)::text, 4, '0'),
	'o' || g
FROM generate_series(1, greatest($n / 10, 1)) g;
INSERT INTO applications (applicant_id, product, amount_fen, term_months,
	rate_bps, status, submitted_at, points, pd_bps, band, recommendation,
	device_hash, ip)
SELECT 1 + g % greatest($n / 10, 1), 'cash_loan', 50000 + (g::bigint * 7919) % 5000000,
	(ARRAY[3, 6, 12, 24])[1 + g % 4], 1800,
	(ARRAY['auto_approved', 'auto_rejected', 'manual_review', 'approved',
		'rejected'])[1 + g % 5],
	now() - g * interval '1 minute', 450 + g % 200, 100 + g % 3000,
	(ARRAY['A', 'B', 'C', 'D', 'E'])[1 + g % 5],
	(ARRAY['auto_approved', 'auto_rejected', 'manual_review'])[1 + g % 3],
	'dev' || (g % ($n / 3 + 1)), ('10.0.0.0'::inet + (g % 65000))
FROM generate_series(1, $n) g;
INSERT INTO scores (application_id, model_id, probability, points, band,
	decision, contributions, rules_hit, reasons)
SELECT a.id, 1, 0.1, a.points, a.band, a.recommendation,
	'[{"feature": "multi_apply_30d", "value": 1, "phi": -0.218, "points": 6.3},
	  {"feature": "prior_loans_repaid", "value": 0, "phi": 0.19, "points": -5.5},
	  {"feature": "carrier_tenure_months", "value": null, "phi": 0.05, "points": -1.4}]',
	'[{"id": "R_MULTI_APPLY", "version": 3, "action": "refer", "text": "多头申请"}]',
	'[{"code": "PRIOR_NONE", "feature": "prior_loans_repaid", "text_zh": "无历史还款记录", "text_en": "no repaid loans"}]'
FROM applications a ORDER BY a.submitted_at DESC LIMIT 2000;
UPDATE applications a SET score_id = s.id FROM scores s
WHERE s.application_id = a.id;
VACUUM ANALYZE;
SQL
}

# p50 and p95 of one event in the timing log, in ms.
pct() {
	grep "^$1 " "$2" | awk '{ print $2 }' | sort -n | awk -v p="$3" '
	    { v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
	    i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; if (i > NR) i = NR
	    printf "%.2f", v[i] }'
}

count() { grep -c "^$1 " "$2" 2>/dev/null || true; }

wait_count() {
	i=0
	while [ "$(count "$1" "$2")" -lt "$3" ]; do
		i=$((i + 1))
		[ $i -gt 1200 ] && ld_fail "timing log: only $(count "$1" "$2") of $3 $1"
		sleep 0.1
	done
}

# run NAME DB: drives the console and prints one line of figures.
run() {
	name=$1 db=$2 log="$LD_TMP/timing.$1"
	: >"$log"
	ld_start "$name" 120 40 PGUSER=ld_bench_risk PGDATABASE="$db" \
	    LOANDESK_TIMING_LOG="$log"
	wait_count apps_first "$log" 1
	first=$(pct apps_first "$log" 100)
	i=0
	while [ $i -lt "$RUNS" ]; do
		ld_keys g
		i=$((i + 1))
	done
	wait_count apps_first "$log" $((RUNS + 1))
	i=0
	while [ $i -lt "$RUNS" ]; do
		ld_keys NPage
		i=$((i + 1))
	done
	wait_count apps_pgdn "$log" "$RUNS"
	ld_keys g
	i=0
	while [ $i -lt "$RUNS" ]; do
		ld_keys Enter q j
		i=$((i + 1))
	done
	wait_count case_open "$log" "$RUNS"
	pid=$($LD_TMUX list-panes -t "$LD_PANE" -F '#{pane_pid}')
	cpid=$(ps -o pid= --ppid "$pid" | head -1 | tr -d ' ')
	rss=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$cpid/status")
	ld_quit
	# first-screen p95 counts the g presses (same query, same drawing).
	sed 1d "$log" >"$log.g"
	printf '%-8s %9s rows: first screen %7s ms (start %s)  g p50/p95 %s/%s ms  page down p50/p95 %s/%s ms  open case p50/p95 %s/%s ms  peak RSS %s MB\n' \
	    "$name" "$3" "$(pct apps_first "$log.g" 95)" "$first" \
	    "$(pct apps_first "$log.g" 50)" "$(pct apps_first "$log.g" 95)" \
	    "$(pct apps_pgdn "$log" 50)" "$(pct apps_pgdn "$log" 95)" \
	    "$(pct case_open "$log" 50)" "$(pct case_open "$log" 95)" "$rss"
	echo "$(pct apps_first "$log.g" 95) $(pct apps_pgdn "$log" 95) $(pct case_open "$log" 95) $rss" >"$LD_TMP/fig.$name"
}

t0=$(date +%s)
fill ld_small "$SMALL"
fill ld_big "$BIG"
echo "filled $SMALL and $BIG applications in $(( $(date +%s) - t0 )) s"
if nm "$LOANDESK" 2>/dev/null | grep -q __asan_init; then
	echo "note: this loandesk is built with sanitizers; times and RSS include ASan's cost"
fi
run small ld_small "$SMALL"
run big ld_big "$BIG"
read -r s1 s2 s3 s4 <"$LD_TMP/fig.small"
read -r b1 b2 b3 b4 <"$LD_TMP/fig.big"
awk -v s1="$s1" -v s2="$s2" -v s3="$s3" -v s4="$s4" -v b1="$b1" \
    -v b2="$b2" -v b3="$b3" -v b4="$b4" 'BEGIN {
	printf "ratio big/small (p95): first screen %.2f  page down %.2f  open case %.2f  RSS %.2f\n",
	    b1 / s1, b2 / s2, b3 / s3, b4 / s4
	printf "targets at %s rows: first screen %s (<100 ms)  page down %s (<20 ms)  open case %s (<50 ms)  RSS %s (<40 MB)\n",
	    "big", (b1 < 100 ? "met" : "MISSED"), (b2 < 20 ? "met" : "MISSED"),
	    (b3 < 50 ? "met" : "MISSED"), (b4 < 40 ? "met" : "MISSED")
}'
