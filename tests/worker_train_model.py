#!/usr/bin/python3
"""Train a demo XGBoost model on a seeded training set.

Usage: worker_train_model.py CSV OUT.json [--trees N] [--depth D] [--seed S]

CSV is what `loandesk seed --training-csv` writes: k, bad, then one column
per catalogue feature (empty = missing).  The model keeps the catalogue's
feature names, so the scoring worker can feed it straight from alt_data.
Deterministic for a given CSV and arguments (exact tree method, one thread).
"""
import argparse
import csv
import math
import sys

import numpy as np
import xgboost as xgb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("out")
    ap.add_argument("--trees", type=int, default=30)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    with open(a.csv, newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        if header[:2] != ["k", "bad"]:
            sys.exit("%s: header must start with k,bad" % a.csv)
        names = header[2:]
        rows, labels = [], []
        for line, r in enumerate(rd, start=2):
            if len(r) != len(header):
                sys.exit("%s:%d: %d columns, expected %d"
                         % (a.csv, line, len(r), len(header)))
            labels.append(int(r[1]))
            rows.append([float(v) if v != "" else math.nan for v in r[2:]])
    x = np.array(rows, dtype=np.float64)
    y = np.array(labels, dtype=np.float64)
    d = xgb.DMatrix(x, label=y, missing=np.nan, feature_names=names)
    params = {
        "objective": "binary:logistic",
        "max_depth": a.depth,
        "eta": 0.2,
        "tree_method": "exact",
        "nthread": 1,
        "seed": a.seed,
        "base_score": 0.5,
    }
    bst = xgb.train(params, d, num_boost_round=a.trees)
    bst.save_model(a.out)
    p = bst.predict(d)
    print("trained %d trees of depth %d on %d rows (%.1f%% bad); "
          "mean predicted PD %.4f" % (a.trees, a.depth, len(y),
                                      100.0 * y.mean(), p.mean()))


if __name__ == "__main__":
    main()
