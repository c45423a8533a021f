#!/usr/bin/python3
"""Seed inputs for the risk fuzzers, written into corpus/risk_*/.

Usage: risk_gen_corpus.py [CORPUSDIR]   (default: corpus/ next to this file)

XGBoost seeds are small models trained here by python3-xgboost (so the
fuzzers start from what xgboost really writes: hist and exact trees, the
exact ones with pruned, deleted nodes; named and unnamed features;
base_score in the 3.1 bracket form).  The other seeds are copies of the
shipped files and a few hand-written inputs.  Run it again after changing
what xgboost version is installed; the output is deterministic for a
version.
"""
import json
import os
import shutil
import sys

import numpy as np
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def write(d, name, text):
    os.makedirs(d, exist_ok=True)
    mode = "wb" if isinstance(text, bytes) else "w"
    with open(os.path.join(d, name), mode) as f:
        f.write(text)


def models(out):
    rng = np.random.default_rng(5)
    n = 400
    X = np.column_stack([rng.integers(18, 65, n), rng.integers(0, 120, n),
                         np.round(rng.random(n), 3),
                         rng.integers(300, 900, n)]).astype(float)
    X[rng.random(n) < 0.2, 1] = np.nan
    X[rng.random(n) < 0.2, 3] = np.nan
    y = (rng.random(n) < 1 / (1 + np.exp(-(X[:, 2] * 3 - 1.5)))).astype(int)
    names = ["age", "network_months", "night_activity_ratio",
             "external_score"]
    cases = {
        "tiny": (dict(max_depth=2), 3, names),
        "unnamed": (dict(max_depth=3, base_score=0.3), 2, None),
        "exact_pruned": (dict(max_depth=4, tree_method="exact",
                              gamma=2.0), 3, names),
    }
    for name, (p, rounds, nm) in cases.items():
        params = {"objective": "binary:logistic", "tree_method": "hist",
                  "nthread": 1, "seed": 1, "eta": 0.3}
        params.update(p)
        b = xgb.train(params, xgb.DMatrix(X, y, feature_names=nm), rounds)
        text = b.save_raw("json").decode()
        write(out, name + ".json", text)
    doc = json.loads(open(os.path.join(out, "tiny.json")).read())
    bs = doc["learner"]["learner_model_param"]["base_score"]
    doc["learner"]["learner_model_param"]["base_score"] = "[%s]" % bs
    doc["version"] = [3, 1, 0]
    write(out, "bracket.json", json.dumps(doc, separators=(",", ":")))


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE,
                                                                "corpus")
    models(os.path.join(corpus, "risk_xgb"))
    card = os.path.join(corpus, "risk_card")
    os.makedirs(card, exist_ok=True)
    shutil.copy(os.path.join(TOP, "etc", "scorecard.example.json"),
                os.path.join(card, "example.json"))
    rules = os.path.join(corpus, "risk_rules")
    os.makedirs(rules, exist_ok=True)
    shutil.copy(os.path.join(TOP, "etc", "rules.conf"),
                os.path.join(rules, "rules.conf"))
    write(rules, "ops.conf",
          'rule A1 v2 flag "x": not (age + 1 * 2 / 0 - -3 >= 4) or '
          'missing(age) and true\nrule B_2 v9 review "\\"q\\\\": '
          '(device_risk != 0.5e1) and false\n')
    reasons = os.path.join(corpus, "risk_reasons")
    os.makedirs(reasons, exist_ok=True)
    shutil.copy(os.path.join(TOP, "etc", "reason_codes.tsv"),
                os.path.join(reasons, "reason_codes.tsv"))
    pay = os.path.join(corpus, "risk_payload")
    # Chunks separated by 0xff bytes go to the sources in order.
    write(pay, "all.bin", b"\xff".join([
        b'{"network_months": 26, "realname_verified": true, '
        b'"monthly_bill_fen": 8850}',
        b'{"device_risk": 12.5, "is_emulator": false, "is_rooted": false}',
        b'{"app_sessions_30d": 41, "night_activity_ratio": 0.21, '
        b'"form_fill_seconds": 95.4}',
        b'{"external_score": 645, "blacklist_hits": 0, '
        b'"multi_apply_30d": 1, "agency": "baihang"}',
        b'{"age": 31, "requested_amount_fen": 1000000, "term_months": 12, '
        b'"declared_income_fen": 800000}',
        b'{"prior_loans_repaid": 2, "max_overdue_days_hist": 0}',
        b'{"declared": [{"relation": "parent", "overdue": false}, '
        b'{"relation": "friend", "overdue": true}]}',
        b'3',
    ]))
    write(pay, "odd.bin", b'{"network_months": -1}\xff[1]\xff{"x": \xff'
          b'{"age": 1e999, "term_months": 12.5}\xff\xff\xff'
          b'{"declared": [1, {"overdue": 1}, {"overdue": null}]}')
    csv = os.path.join(corpus, "risk_csv")
    write(csv, "card.csv",
          'id,multi_apply_30d,note,external_score,network_months,'
          'night_activity_ratio\r\n"A,1",7,"x ""y""",,6,0.35\r\n'
          'B2,0,,700,60,0.05\n')
    write(csv, "xgb.csv",
          'age,network_months,night_activity_ratio,external_score\n'
          '30,,0.5,nan\n"18","1e2",-0,1e-400\n\n')
    return 0


if __name__ == "__main__":
    sys.exit(main())
