#!/bin/sh
# Model speed beside xgboost 1.7 (python3-xgboost and the libxgboost C
# API), all single-threaded, on the same 200-tree depth-6 model and the
# same rows, measured in this run with each thread's CPU clock.
#	contribs	TreeSHAP per row: ours (row at a time, and batched)
#			vs predict(pred_contribs=True), nthread=1
#	approx		Saabas vs predict(pred_contribs, approx_contribs)
#	predict		batch scoring vs the C API's PredictFromDense /
#			PredictFromDMatrix and python's predict /
#			inplace_predict on all rows
#	single row	one call per row, median: ours vs one C API
#			XGBoosterPredictFromDense call (and python's)
# Then the targets, each with its ratio and PASS or FAIL; the
# reference of a target is the fastest xgboost path of its kind.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ld-bench-risk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The Makefile's fuzz rules name -fsanitize in every build: ask the binary
# (gcc links libasan dynamically, clang statically; both call __asan_init).
if nm "$top_builddir/bench/bench_risk_model" 2>/dev/null | grep -q __asan_init; then
	echo "note: sanitizer build; our timings are not representative"
fi
/usr/bin/python3 "$top_srcdir/bench/bench_risk_xgb.py" "$tmp" >"$tmp/ref"
"$top_builddir/bench/bench_risk_model" "$tmp/model.json" "$tmp/rows.f64" \
    2000 >"$tmp/ours"
rc=0
"$top_builddir/bench/bench_risk_capi" "$tmp/model.json" "$tmp/rows.f64" \
    2000 >"$tmp/capi" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "note: the libxgboost C API could not be run (status $rc);" \
	    "python3-xgboost only"
	: >"$tmp/capi"
fi
cat "$tmp/ref" "$tmp/capi" "$tmp/ours" | awk '
{ v[$1] = $2 }
function ratio(ours, ref, unit) {
	return unit == "us" ? v[ref] / v[ours] : v[ours] / v[ref]
}
function row(what, ours, ref, unit) {
	if (!(ref in v))
		return
	printf "%-36s %12.4g %12.4g %-6s %7.2fx\n", what, v[ours], v[ref],
	    unit, ratio(ours, ref, unit)
}
function best(a, b) {
	if (!(b in v))
		return a
	return v[a] > v[b] ? a : b
}
function target(what, ours, ref, unit, want) {
	r = ratio(ours, ref, unit)
	printf "target %-46s %6.2fx (>= %gx) %s\n", what, r, want,
	    (r >= want ? "PASS" : "FAIL")
}
END {
	printf "%-36s %12s %12s %-6s %8s\n", "200 trees depth 6, 1 thread",
	    "loandesk", "xgboost", "unit", "ratio"
	row("TreeSHAP, row at a time / python", "c_contribs_rows_per_s",
	    "xgb_contribs_rows_per_s", "rows/s")
	row("TreeSHAP, row at a time / C API", "c_contribs_rows_per_s",
	    "capi_contribs_rows_per_s", "rows/s")
	row("TreeSHAP, batch / C API", "c_contribs_batch_rows_per_s",
	    "capi_contribs_rows_per_s", "rows/s")
	row("TreeSHAP, one row / python", "c_single_contribs_us",
	    "xgb_single_contribs_us", "us")
	row("Saabas approx contribs / python", "c_approx_rows_per_s",
	    "xgb_approx_rows_per_s", "rows/s")
	row("predict / C API PredictFromDense", "c_predict_rows_per_s",
	    "capi_predict_rows_per_s", "rows/s")
	row("predict / C API PredictFromDMatrix", "c_predict_rows_per_s",
	    "capi_dmatrix_rows_per_s", "rows/s")
	row("predict / python predict(DMatrix)", "c_predict_rows_per_s",
	    "xgb_predict_rows_per_s", "rows/s")
	row("predict / python inplace_predict", "c_predict_rows_per_s",
	    "xgb_inplace_rows_per_s", "rows/s")
	row("one row / C API PredictFromDense", "c_single_predict_us",
	    "capi_single_predict_us", "us")
	row("one row / python inplace_predict", "c_single_predict_us",
	    "xgb_single_inplace_us", "us")
	printf "model load: %.1f ms\n", v["c_load_ms"]
	target("TreeSHAP (row at a time) vs pred_contribs", \
	    "c_contribs_rows_per_s", best("xgb_contribs_rows_per_s",
	    "capi_contribs_rows_per_s"), "rows/s", 2)
	p = best(best("xgb_predict_rows_per_s", "xgb_inplace_rows_per_s"),
	    best("capi_predict_rows_per_s", "capi_dmatrix_rows_per_s"))
	target("batch predict vs xgboost batch predict", \
	    "c_predict_rows_per_s", p, "rows/s", 1)
	if ("capi_single_predict_us" in v)
		target("single row vs one C API call", \
		    "c_single_predict_us", "capi_single_predict_us", "us", 5)
	else
		printf "target %-46s    n/a (no C API)\n", \
		    "single row vs one C API call"
}'
