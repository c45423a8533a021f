#!/usr/bin/python3
"""Reference timings from python3-xgboost for bench_risk.sh.

Usage: bench_risk_xgb.py OUTDIR
Trains a 200-tree depth-6 binary:logistic model on 10 features, writes
OUTDIR/model.json and OUTDIR/rows.f64 (float64, row-major, NaN =
missing), and prints "key value" lines with xgboost's single-thread
timings on those rows:
  xgb_contribs_rows_per_s    predict(pred_contribs=True), NCONTRIB rows
  xgb_approx_rows_per_s      predict(pred_contribs, approx_contribs)
  xgb_predict_rows_per_s     predict() on a fresh DMatrix, all rows
  xgb_inplace_rows_per_s     inplace_predict(), all rows
  xgb_single_inplace_us      one row per inplace_predict() call, median
  xgb_single_dmatrix_us      one row per DMatrix + predict() call, median
  xgb_single_contribs_us     one row per DMatrix + pred_contribs, median
Batch figures are the best of 3 runs.  Times are the thread's CPU time
(time.thread_time), as in bench_risk_model, so a busy machine does not
skew the ratio; xgboost runs with nthread=1.
"""
import os
import sys
import time

import numpy as np
import xgboost as xgb

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
    __file__)), "..", "tests", "xgb"))
import gen_models  # noqa: E402

NROWS = 100000
NCONTRIB = 2000
NSINGLE = 2000


def best(fn, n=3):
    t = []
    for _ in range(n):
        t0 = time.thread_time()
        fn()
        t.append(time.thread_time() - t0)
    return min(t)


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(11)
    X, y = gen_models.make_data(rng, 20000)
    bst = gen_models.train(X, y, gen_models.FEATURES, rounds=200,
                           max_depth=6, eta=0.05)
    bst.set_param({"nthread": 1})
    bst.save_model(os.path.join(out, "model.json"))
    R = gen_models.test_rows(rng, bst, NROWS, X.shape[1])
    R.astype(np.float64).tofile(os.path.join(out, "rows.f64"))
    names = gen_models.FEATURES

    def dm(a):
        return xgb.DMatrix(a, missing=np.nan, feature_names=names,
                           nthread=1)

    C = R[:NCONTRIB]
    r = {}
    t = best(lambda: bst.predict(dm(C), pred_contribs=True), 1)
    r["xgb_contribs_rows_per_s"] = NCONTRIB / t
    t = best(lambda: bst.predict(dm(R), pred_contribs=True,
                                 approx_contribs=True))
    r["xgb_approx_rows_per_s"] = NROWS / t
    t = best(lambda: bst.predict(dm(R)))
    r["xgb_predict_rows_per_s"] = NROWS / t
    t = best(lambda: bst.inplace_predict(R, missing=np.nan))
    r["xgb_inplace_rows_per_s"] = NROWS / t

    def single(fn):
        ts = []
        for i in range(NSINGLE):
            row = R[i:i + 1]
            t0 = time.thread_time()
            fn(row)
            ts.append(time.thread_time() - t0)
        return float(np.median(ts)) * 1e6

    r["xgb_single_inplace_us"] = single(
        lambda a: bst.inplace_predict(a, missing=np.nan))
    r["xgb_single_dmatrix_us"] = single(lambda a: bst.predict(dm(a)))
    r["xgb_single_contribs_us"] = single(
        lambda a: bst.predict(dm(a), pred_contribs=True))
    for k, v in r.items():
        print("%s %.6g" % (k, v))


if __name__ == "__main__":
    main()
