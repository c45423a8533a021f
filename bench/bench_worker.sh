#!/bin/sh
# The scoring worker end to end (claim, alt_data, features, rules, model,
# TreeSHAP contributions, reasons, policy, score + decision + audit +
# NOTIFY in one transaction per batch) against pgbench running
# bench/worker_pgbench.sql: the same writes with the same batch size and
# the same number of connections, without the risk engine.  Both drain the
# same queue of seeded applications on the same throwaway cluster, and the
# ratio is printed (target: the worker reaches 60% or more of pgbench).
#
#   BENCH_APPS (20000), BENCH_TREES (150), BENCH_DEPTH (6),
#   BENCH_WORKERS (2), BENCH_BATCH (64), BENCH_ROUNDS (3)
#
# The two runs alternate BENCH_ROUNDS times and the best of each counts,
# so a burst of other work on the machine does not decide the ratio.
set -eu

: "${top_srcdir:?}" "${top_builddir:?}"
PY=/usr/bin/python3
LOANDESK=$top_builddir/loandesk
LOANDESKD=$top_builddir/loandeskd
PGLOCAL=$top_srcdir/db/pg-local
N=${BENCH_APPS:-20000}
TREES=${BENCH_TREES:-150}
DEPTH=${BENCH_DEPTH:-6}
WORKERS=${BENCH_WORKERS:-2}
BATCH=${BENCH_BATCH:-64}
ROUNDS=${BENCH_ROUNDS:-3}

if ! $PY -c 'import xgboost' 2>/dev/null || ! command -v pgbench >/dev/null
then
	echo "bench_worker: SKIP (needs python3-xgboost and pgbench)"
	exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/ld-bench-worker.XXXXXX")
chmod 755 "$T"
trap '"$PGLOCAL" destroy "$T/pg" >/dev/null 2>&1 || true; rm -rf "$T"' \
	EXIT INT TERM
q() { psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.3f", $1 - $2 }'; }

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
workers = $WORKERS
batch_size = $BATCH
EOF
LOANDESK_CONF=$T/ld.conf
export LOANDESK_CONF
"$LOANDESK" db migrate >/dev/null

t0=$(now)
"$LOANDESK" seed --count "$N" --seed 1 >/dev/null 2>&1
tseed=$(since "$t0")
"$LOANDESK" seed --count 20000 --seed 2 --training-csv "$T/train.csv"
$PY "$top_srcdir/tests/worker_train_model.py" "$T/train.csv" \
	"$T/model.json" --trees "$TREES" --depth "$DEPTH" >/dev/null
"$LOANDESK" model register --file "$T/model.json" --name bench \
	--version 1 >/dev/null
"$LOANDESK" model activate bench 1 >/dev/null
q -c "VACUUM ANALYZE" >/dev/null

# The reference first, on the fresh queue.  bench_doc is a real score's
# explanation, from a one-application run of the worker.
q -c "UPDATE applications SET status = 'scored' WHERE id >
	(SELECT min(id) FROM applications)" >/dev/null
"$LOANDESKD" --once 2>/dev/null
q -c "CREATE TABLE bench_doc AS SELECT model_id, probability, margin,
	points, band, decision, contributions, rules_hit, reasons,
	inputs_sha256 FROM scores LIMIT 1" >/dev/null
reset_queue() {
	q -c "UPDATE applications SET status = 'received', score_id = NULL,
		points = NULL, pd_bps = NULL, band = NULL,
		recommendation = NULL" -c "DELETE FROM scores" >/dev/null
	q -c "VACUUM FULL ANALYZE applications" \
		-c "VACUUM FULL ANALYZE scores" >/dev/null
}
per_client=$(( (N + BATCH * WORKERS - 1) / (BATCH * WORKERS) ))
tref=999999 tw=999999 nref=0 nw=0 left=0 round=0
while [ $round -lt "$ROUNDS" ]; do
	round=$((round + 1))
	reset_queue
	t0=$(now)
	pgbench -n -M extended -c "$WORKERS" -j "$WORKERS" -t "$per_client" \
		-D batch="$BATCH" -f "$top_srcdir/bench/worker_pgbench.sql" \
		>"$T/pgbench.out" 2>&1 || { cat "$T/pgbench.out"; exit 1; }
	t=$(since "$t0")
	nref=$(q -c "SELECT count(*) FROM scores")
	left=$(q -c "SELECT count(*) FROM applications
		WHERE status = 'received'")
	tref=$(echo "$t $tref" | awk '{ print ($1 < $2 ? $1 : $2) }')

	reset_queue
	t0=$(now)
	"$LOANDESKD" --once 2>"$T/d.err" || { cat "$T/d.err"; exit 1; }
	t=$(since "$t0")
	nw=$(q -c "SELECT count(*) FROM scores WHERE NOT shadow")
	tw=$(echo "$t $tw" | awk '{ print ($1 < $2 ? $1 : $2) }')
done
dist=$(q -c "SELECT string_agg(status || ' ' || n, ', ' ORDER BY status)
	FROM (SELECT status, count(*) n FROM applications GROUP BY 1) x")

awk -v n="$N" -v ts="$tseed" -v nw="$nw" -v tw="$tw" -v nr="$nref" \
    -v tr="$tref" -v left="$left" -v trees="$TREES" -v depth="$DEPTH" \
    -v w="$WORKERS" -v b="$BATCH" -v dist="$dist" -v rounds="$ROUNDS" \
    -v load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)" 'BEGIN {
	rw = nw / tw; rr = nr / tr
	printf "seed:     %d applications in %.2f s = %.0f applications/s\n",
	    n, ts, n / ts
	printf "loandeskd --once: %d applications in %.2f s = %.0f " \
	    "applications/s (%d workers, batches of %d, %d trees of depth " \
	    "%d, TreeSHAP)\n", nw, tw, rw, w, b, trees, depth
	printf "          decisions: %s\n", dist
	printf "pgbench worker_pgbench.sql: %d applications in %.2f s = " \
	    "%.0f applications/s (%d clients, batches of %d)%s\n", nr, tr, rr,
	    w, b, (left > 0 ? " [queue not drained]" : "")
	printf "ratio worker/pgbench: %.0f%% (target >= 60%%; best of %d " \
	    "rounds each, load average %s)\n", 100 * rw / rr, rounds, load
}'
