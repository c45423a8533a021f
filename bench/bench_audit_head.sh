#!/bin/sh
# What the single audit head costs writers.  Every audited change locks the
# one audit_head row from its audit record to its commit, so two streams
# of audited writes take turns.  On one throwaway cluster:
#
#   worker   loandeskd --once over a seeded queue (the example scorecard:
#            the write, not the model, is what is measured)
#   writer   pgbench: a second stream of audited calls of the payout
#            engine's shape, each a transaction that changes one row and
#            appends its audit row through audit_record, then commits
#
# each alone, then side by side; meanwhile pg_stat_activity is sampled
# for sessions waiting on another transaction's lock (the head: the only
# row both streams share).  The verdict says whether the head is the
# bottleneck; docs/audit-head.md has the design that removes it.
#
#   BENCH_HEAD_APPS (10000), BENCH_HEAD_CLIENTS (2), BENCH_BATCH (64)
set -eu

: "${top_srcdir:?}" "${top_builddir:?}"
LOANDESK=$top_builddir/loandesk
LOANDESKD=$top_builddir/loandeskd
PGLOCAL=$top_srcdir/db/pg-local
N=${BENCH_HEAD_APPS:-10000}
CLIENTS=${BENCH_HEAD_CLIENTS:-2}
BATCH=${BENCH_BATCH:-64}

if ! command -v pgbench >/dev/null; then
	echo "bench_audit_head: SKIP (needs pgbench)"
	exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/ld-bench-head.XXXXXX")
chmod 755 "$T"
BG=
cleanup() {
	[ -n "$BG" ] && kill $BG 2>/dev/null || true
	"$PGLOCAL" destroy "$T/pg" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
q() { psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.3f", $1 - $2 }'; }

if nm "$LOANDESKD" 2>/dev/null | grep -q __asan_init; then
	echo "note: sanitizer build; the worker's timings are not representative"
fi
"$PGLOCAL" init "$T/pg" >/dev/null
eval "$("$PGLOCAL" env "$T/pg")"
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
workers = 1
batch_size = $BATCH
EOF
LOANDESK_CONF=$T/ld.conf
export LOANDESK_CONF
"$LOANDESK" db migrate >/dev/null
"$LOANDESK" seed --count "$N" --seed 1 >/dev/null 2>&1
"$LOANDESK" model register --file "$top_srcdir/etc/scorecard.example.json" \
	--name bench --version 1 >/dev/null
"$LOANDESK" model activate bench 1 >/dev/null
q >/dev/null <<'SQL'
CREATE TABLE bench_payouts (id integer PRIMARY KEY, state integer NOT NULL);
INSERT INTO bench_payouts SELECT g, 0 FROM generate_series(1, 1000) g;
VACUUM ANALYZE;
SQL
cat >"$T/writer.sql" <<'EOF'
\set id random(1, 1000)
BEGIN;
UPDATE bench_payouts SET state = state + 1 WHERE id = :id;
SELECT audit_record('payout.state', 'payout', :id::text, '{"state": "sending"}');
COMMIT;
EOF

reset_queue() {
	q -c "UPDATE applications SET status = 'received', score_id = NULL,
		points = NULL, pd_bps = NULL, band = NULL,
		recommendation = NULL" -c "DELETE FROM reviews" \
		-c "DELETE FROM scores" >/dev/null
	q -c "VACUUM FULL ANALYZE applications" -c "VACUUM FULL audit_head" \
		>/dev/null
}

# Samples, every 100 ms until $T/sampling goes, how many sessions wait on
# another transaction's lock; one line per sample.
sample_waits() {
	: >"$T/waits"
	while [ -f "$T/sampling" ]; do
		q -c "SELECT count(*) FROM pg_stat_activity WHERE
			wait_event_type = 'Lock' AND wait_event IN
			('transactionid', 'tuple')" >>"$T/waits" 2>/dev/null ||
			true
		sleep 0.1
	done
}

# 1. The worker alone.
reset_queue
t0=$(now)
"$LOANDESKD" --once 2>"$T/d.err" || { cat "$T/d.err"; exit 1; }
tw1=$(since "$t0")
nw=$(q -c "SELECT count(*) FROM scores WHERE NOT shadow")
secs=$(echo "$tw1" | awk '{ s = int($1 + 0.999); print (s < 5 ? 5 : s) }')

# 2. The writer alone, as long as the worker took.
pgbench -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$secs" \
	-f "$T/writer.sql" >"$T/pgbench1.out" 2>&1 ||
	{ cat "$T/pgbench1.out"; exit 1; }
tp1=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$T/pgbench1.out" | head -1)

# 3. Side by side: the writer runs through the worker's whole run; its
#    rate is counted from the audit rows it appended meanwhile.
reset_queue
touch "$T/sampling"
sample_waits &
BG=$!
pgbench -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T $((secs * 4 + 10)) \
	-f "$T/writer.sql" >"$T/pgbench2.out" 2>&1 &
BG="$BG $!"
# The writer is writing before the worker starts.
before=$(q -c "SELECT count(*) FROM audit_log WHERE action = 'payout.state'")
while [ "$(q -c "SELECT count(*) FROM audit_log WHERE action = 'payout.state'")" -le "$before" ]; do
	sleep 0.05
done
p0=$(q -c "SELECT count(*) FROM audit_log WHERE action = 'payout.state'")
t0=$(now)
"$LOANDESKD" --once 2>"$T/d2.err" || { cat "$T/d2.err"; exit 1; }
tw2=$(since "$t0")
p1=$(q -c "SELECT count(*) FROM audit_log WHERE action = 'payout.state'")
rm -f "$T/sampling"
kill $BG 2>/dev/null || true
wait 2>/dev/null || true
BG=
nw2=$(q -c "SELECT count(*) FROM scores WHERE NOT shadow")
samples=$(wc -l <"$T/waits")
waiting=$(awk '$1 > 0 { n++ } END { print n + 0 }' "$T/waits")

awk -v n="$nw" -v t1="$tw1" -v n2="$nw2" -v t2="$tw2" -v tp1="$tp1" \
    -v p="$((p1 - p0))" -v c="$CLIENTS" -v b="$BATCH" -v s="$samples" \
    -v w="$waiting" \
    -v load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)" 'BEGIN {
	w1 = n / t1; w2 = n2 / t2; tp2 = p / t2
	wf = s > 0 ? 100 * w / s : 0
	printf "worker alone:   %d applications in %.2f s = %.0f/s " \
	    "(batches of %d, one audit row each)\n", n, t1, w1, b
	printf "writer alone:   %d clients, one audited transaction each " \
	    "time: %.0f transactions/s\n", c, tp1
	printf "side by side:   worker %.0f/s (%.0f%% of alone), writer " \
	    "%.0f/s (%.0f%% of alone)\n", w2, 100 * w2 / w1, tp2,
	    (tp1 > 0 ? 100 * tp2 / tp1 : 0)
	printf "                a session waited on another transaction'\''s " \
	    "lock (the audit head) in %.0f%% of %d samples; load average " \
	    "%s\n", wf, s, load
	if (wf >= 20)
		printf "verdict: the single audit head IS the bottleneck for " \
		    "concurrent writers; docs/audit-head.md proposes the " \
		    "design that removes it\n"
	else
		printf "verdict: the single audit head is not the bottleneck " \
		    "at this load (writers rarely wait on it); " \
		    "docs/audit-head.md says when it becomes one\n"
}'
