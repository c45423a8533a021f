#!/usr/bin/python3
"""Train a demo XGBoost model on a seeded training set.

Usage: worker_train_model.py CSV OUT.json [--trees N] [--depth D] [--seed S]
                              [--exclude F,F,...]

CSV is what `loandesk seed --training-csv` writes: k, bad, then one column
per catalogue feature (empty = missing).  The model keeps the catalogue's
feature names, so the scoring worker can feed it straight from alt_data.
Deterministic for a given CSV and arguments (exact tree method, one thread).

By default the model leaves out what belongs to one application rather
than to the applicant: the amount and term asked for and the shared-device
count.  The policy and the hard rules read those at every decision; a
model that does not can pre-assess an applicant before they ask for money,
and that score is reused when they apply (the inputs hash is unchanged).
--exclude "" keeps every catalogue feature.
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
    ap.add_argument("--exclude", default="requested_amount_fen,term_months,"
                    "device_shared_applicants_24h")
    a = ap.parse_args()
    exclude = {f for f in a.exclude.split(",") if f}

    with open(a.csv, newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        if header[:2] != ["k", "bad"]:
            sys.exit("%s: header must start with k,bad" % a.csv)
        unknown = exclude - set(header[2:])
        if unknown:
            sys.exit("--exclude: %s not in %s" % (",".join(sorted(unknown)),
                                                  a.csv))
        keep = [i for i in range(2, len(header)) if header[i] not in exclude]
        names = [header[i] for i in keep]
        rows, labels = [], []
        for line, r in enumerate(rd, start=2):
            if len(r) != len(header):
                sys.exit("%s:%d: %d columns, expected %d"
                         % (a.csv, line, len(r), len(header)))
            labels.append(int(r[1]))
            rows.append([float(r[i]) if r[i] != "" else math.nan
                         for i in keep])
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
