#!/bin/sh
# Model speed beside python3-xgboost 1.7, both single-threaded, on the same
# 200-tree depth-6 model and the same rows, measured in this run.
#	contribs	TreeSHAP per row: ours (row at a time, and batched)
#			vs predict(pred_contribs=True), nthread=1
#	approx		Saabas vs predict(pred_contribs, approx_contribs)
#	predict		batch scoring vs predict(DMatrix) and inplace_predict
#	single row	one call per row, median: ours vs one python
#			inplace_predict() / DMatrix+predict() call (the
#			reference includes python's per-call overhead)
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ld-bench-risk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if grep -q -e '-fsanitize' "$top_builddir/Makefile" 2>/dev/null; then
	echo "note: sanitizer build; our timings are not representative"
fi
/usr/bin/python3 "$top_srcdir/bench/bench_risk_xgb.py" "$tmp" >"$tmp/ref"
"$top_builddir/bench/bench_risk_model" "$tmp/model.json" "$tmp/rows.f64" \
    2000 >"$tmp/ours"
cat "$tmp/ref" "$tmp/ours" | awk '
{ v[$1] = $2 }
function row(what, ours, ref, unit) {
	printf "%-34s %12.4g %12.4g %s  %6.2fx\n", what, v[ours], v[ref], unit,
	    unit == "us" ? v[ref] / v[ours] : v[ours] / v[ref]
}
END {
	printf "%-34s %12s %12s %s  %7s\n", "200 trees depth 6, 1 thread",
	    "loandesk", "xgboost", "unit", "ratio"
	row("TreeSHAP contribs, row at a time", "c_contribs_rows_per_s",
	    "xgb_contribs_rows_per_s", "rows/s")
	row("TreeSHAP contribs, batch", "c_contribs_batch_rows_per_s",
	    "xgb_contribs_rows_per_s", "rows/s")
	row("TreeSHAP contribs, one row", "c_single_contribs_us",
	    "xgb_single_contribs_us", "us")
	row("Saabas approx contribs", "c_approx_rows_per_s",
	    "xgb_approx_rows_per_s", "rows/s")
	row("predict vs predict(DMatrix)", "c_predict_rows_per_s",
	    "xgb_predict_rows_per_s", "rows/s")
	row("predict vs inplace_predict", "c_predict_rows_per_s",
	    "xgb_inplace_rows_per_s", "rows/s")
	row("one row vs python inplace_predict", "c_single_predict_us",
	    "xgb_single_inplace_us", "us")
	row("one row vs python DMatrix+predict", "c_single_predict_us",
	    "xgb_single_dmatrix_us", "us")
	printf "model load: %.1f ms\n", v["c_load_ms"]
}'
