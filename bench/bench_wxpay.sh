#!/bin/sh
# Signed transfer-bill creates per second against wxpay-sim over loopback,
# sent by the product's client (wx_transfer_bill_build + _create; two
# threads, one wx_client and so one persistent keep-alive curl handle each,
# every answer verified and parsed), beside one core's RSA-2048 sign rate
# from `openssl speed` measured in the same run.  Each request costs two
# RSA-2048 signs (client and simulator) and two verifies spread over two
# cores, so one core's sign rate is the ceiling; the target (issue 4) is
# at least 50% of it.
set -eu
: "${top_builddir:=.}"
SECONDS_LOAD=${LD_BENCH_WXPAY_SECONDS:-5}
THREADS=${LD_BENCH_WXPAY_THREADS:-2}
SIM="$top_builddir/wxpay-sim"
LOAD="$top_builddir/bench/bench_wxpay_load"

tmp=$(mktemp -d /tmp/ld-bench-wxpay.XXXXXX)
sim_pid=
cleanup() {
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Bills wait for a confirmation that never comes within the run; no
# callbacks; limits and balance out of the way.
cat >"$tmp/sim.conf" <<CONF
[sim]
state_dir = $tmp/state
listen = 127.0.0.1:0
generate_merchant = yes
[account]
operation_fen = 1000000000000
[limits]
max_transfer_fen = 1000000
merchant_daily_fen = 1000000000000
per_user_daily_fen = 1000000
[confirm]
mode = manual
CONF

"$SIM" -c "$tmp/sim.conf" >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
i=0
until grep -q '^listening on ' "$tmp/sim.out" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$sim_pid" 2>/dev/null; then
		echo "bench_wxpay: wxpay-sim did not start" >&2
		cat "$tmp/sim.err" >&2
		exit 1
	fi
	sleep 0.1
done
addr=$(sed -n 's/^listening on //p' "$tmp/sim.out")

echo "openssl speed -seconds 3 -multi 1 rsa2048 ..."
speed=$(openssl speed -seconds 3 -multi 1 rsa2048 2>/dev/null |
	awk '/^rsa 2048 bits/ { s = $6 } END { print s }')

echo "wxpay-sim: $THREADS threads x ${SECONDS_LOAD}s of signed creates ..."
out=$("$LOAD" "$tmp/sim.out" "$SECONDS_LOAD" "$THREADS")
rps=$(echo "$out" | sed -n 's/.*rps=\([0-9.]*\).*/\1/p')
# The ledger must hold exactly the bills created.
bills=$(curl -s "http://$addr/__sim/ledger" | grep -o '"kind":"transfer_bill"' |
	wc -l)

echo "$out"
echo "ledger bills:                    $bills"
if nm "$SIM" 2>/dev/null | grep -q __asan_init; then
	echo "note: this build has the sanitizers; configure without" \
	    "--enable-sanitizers for release figures"
fi
awk -v rps="$rps" -v sign="$speed" 'BEGIN {
	printf "wxpay-sim signed creates/s:      %.1f\n", rps
	printf "openssl rsa2048 sign/s (1 core): %.1f\n", sign
	ratio = sign > 0 ? 100 * rps / sign : 0
	printf "ratio:                           %.1f%% (target >= 50%%): %s\n",
	    ratio, (ratio >= 50 ? "met" : "NOT met")
}'
