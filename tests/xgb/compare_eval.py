#!/usr/bin/python3
"""Compare `loandesk model eval` output with xgboost's own answers.

Usage: compare_eval.py MODE OUT.csv DIR/NAME
MODE is plain, contribs, approx or points; DIR/NAME.*.txt are written by
gen_models.py.  Prints the largest differences; exits 1 if any exceeds
1e-6 or the columns are not the ones the command promises.
"""
import csv
import math
import sys

import numpy as np

TOL = 1e-6


def main():
    mode, out, stem = sys.argv[1:4]
    with open(out) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    margin = np.loadtxt(stem + ".margin.txt", ndmin=1)
    prob = np.loadtxt(stem + ".prob.txt", ndmin=1)
    want = {"contribs": stem + ".contribs.txt",
            "approx": stem + ".approx.txt"}.get(mode)
    with open(stem + ".csv") as f:
        in_rows = list(csv.reader(f))
    ids = [r[0] for r in in_rows[1:]]
    bad = []
    if header[:3] != ["application_id", "margin", "probability"]:
        bad.append("header starts %r" % header[:3])
    if len(body) != len(margin):
        bad.append("%d rows, want %d" % (len(body), len(margin)))
    if [r[0] for r in body] != ids:
        bad.append("ids differ")
    got = np.array([[float(v) for v in r[1:]] for r in body])
    d = {"margin": np.max(np.abs(got[:, 0] - margin)),
         "probability": np.max(np.abs(got[:, 1] - prob))}
    if want:
        phi = np.loadtxt(want, ndmin=2)
        names = [h[4:] for h in header[3:]]
        if names[-1] != "bias" or not all(h.startswith("phi_")
                                          for h in header[3:]):
            bad.append("contribution columns %r" % header[3:])
        d[mode] = np.max(np.abs(got[:, 2:] - phi))
    if mode == "points":
        phi = np.loadtxt(stem + ".contribs.txt", ndmin=2)
        factor = 20 / math.log(2)
        offset = 600 - factor * math.log(50)
        d["score"] = np.max(np.abs(got[:, 2] - (offset - factor * margin)))
        d["points"] = np.max(np.abs(got[:, 3:] + factor * phi[:, :-1]))
        # The breakdown adds up: base + sum(points) == score, up to the
        # gap xgboost itself leaves between its float32 contributions and
        # its margin (it grows with depth and feature count).  Ours must
        # leave the same gap, row by row, not merely a small one.
        base = offset - factor * phi[:, -1]
        ours = base + got[:, 3:].sum(axis=1) - got[:, 2]
        theirs = factor * (margin - phi.sum(axis=1))
        d["additive"] = np.max(np.abs(ours - theirs))
        tol = {"score": factor * TOL, "points": factor * TOL,
               "additive": factor * TOL}
    else:
        tol = {}
    for k, v in d.items():
        if v > tol.get(k, TOL):
            bad.append("%s differs by %.3g" % (k, v))
    print("%s %s: %d rows, max diff %s" % (
        stem.rsplit("/", 1)[-1], mode, len(body),
        " ".join("%s %.3g" % kv for kv in d.items())))
    for b in bad:
        print("  FAIL: " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
