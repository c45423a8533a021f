#!/usr/bin/python3
"""Train small XGBoost models and record xgboost's own answers.

Usage: gen_models.py OUTDIR

Writes, for each model NAME in MODELS:
  NAME.json            Booster.save_model() output
  NAME.data.txt        rows x features, %.17g, "nan" for missing
  NAME.csv             the same rows as a CSV: an id column first, the
                       features in shuffled order, one extra column, empty
                       cells for missing values
  NAME.margin.txt      predict(output_margin=True)
  NAME.prob.txt        predict()
  NAME.contribs.txt    predict(pred_contribs=True)
  NAME.approx.txt      predict(approx_contribs=True)
and models xgboost can write but the loader must refuse (refuse_*.json,
refuse_ubjson.ubj), plus NAME.bracket.json copies whose base_score is
written the xgboost 3.1 way ("[3E-1]").

The test data include values exactly on split thresholds (x < t goes
left, so these go right) and just below them, and missing values.
Exits non-zero if xgboost cannot be imported: the comparison must not be
skipped silently.
"""
import json
import os
import sys

import numpy as np

try:
    import xgboost as xgb
except ImportError as e:  # pragma: no cover
    sys.stderr.write("gen_models.py: cannot import xgboost: %s\n" % e)
    sys.exit(1)

FEATURES = [
    "age", "network_months", "monthly_bill_fen", "device_risk",
    "night_activity_ratio", "external_score", "multi_apply_30d",
    "prior_loans_repaid", "requested_amount_fen", "app_sessions_30d",
]


def make_data(rng, n, nfeat=len(FEATURES)):
    """Applicant-like data: integers, ratios, money; some missing."""
    X = np.empty((n, nfeat))
    cols = [
        lambda: rng.integers(18, 65, n),
        lambda: rng.integers(0, 120, n),
        lambda: rng.integers(0, 50000, n),
        lambda: rng.integers(0, 5, n),
        lambda: np.round(rng.random(n), 4),
        lambda: rng.integers(300, 900, n),
        lambda: rng.poisson(2, n),
        lambda: rng.integers(0, 8, n),
        lambda: rng.integers(100000, 30000000, n),
        lambda: rng.integers(0, 300, n),
    ]
    for j in range(nfeat):
        X[:, j] = cols[j % len(cols)]()
    # Structural missingness: no bureau hit, no carrier authorisation.
    for j, rate in ((1, 0.15), (2, 0.1), (5, 0.2), (9 % nfeat, 0.05)):
        X[rng.random(n) < rate, j] = np.nan
    z = (-2.0 + 0.03 * (35 - np.nan_to_num(X[:, 0], nan=35))
         + 0.6 * np.nan_to_num(X[:, 3]) + 0.5 * np.nan_to_num(X[:, 6])
         - 0.004 * (np.nan_to_num(X[:, 5], nan=450) - 600)
         + 1.5 * np.nan_to_num(X[:, 4]) - 0.2 * np.nan_to_num(X[:, 7])
         + np.where(np.isnan(X[:, 1]), 0.8, 0.0))
    for j in range(10, nfeat):
        z += 0.15 * (X[:, j] - np.nanmean(X[:, j])) / (np.nanstd(X[:, j]) + 1)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(float)
    return X, y


def thresholds(bst):
    """(feature, threshold) of every split in the model."""
    out = []
    for tree in json.loads(bst.save_raw("json"))["learner"][
            "gradient_booster"]["model"]["trees"]:
        for i, left in enumerate(tree["left_children"]):
            if left != -1:
                out.append((tree["split_indices"][i],
                            tree["split_conditions"][i]))
    return out


def test_rows(rng, bst, n, nfeat):
    X, _ = make_data(rng, n, nfeat)
    th = thresholds(bst)
    # Put values exactly on thresholds and one float below them.
    for r in range(n):
        for _ in range(3):
            f, t = th[rng.integers(len(th))]
            t32 = np.float32(t)
            if r % 2:
                t32 = np.nextafter(t32, np.float32(-np.inf))
            X[r, f] = float(t32)
    return X


def save_answers(out, name, bst, X, names):
    d = xgb.DMatrix(X, missing=np.nan, feature_names=names)
    np.savetxt(os.path.join(out, name + ".data.txt"), X, fmt="%.17g")
    np.savetxt(os.path.join(out, name + ".margin.txt"),
               bst.predict(d, output_margin=True), fmt="%.17g")
    np.savetxt(os.path.join(out, name + ".prob.txt"), bst.predict(d),
               fmt="%.17g")
    np.savetxt(os.path.join(out, name + ".contribs.txt"),
               bst.predict(d, pred_contribs=True), fmt="%.17g")
    np.savetxt(os.path.join(out, name + ".approx.txt"),
               bst.predict(d, pred_contribs=True, approx_contribs=True), fmt="%.17g")
    # The CSV the command line reads: id first, shuffled columns, extra.
    order = list(range(X.shape[1]))
    rng = np.random.default_rng(7)
    rng.shuffle(order)
    cnames = names if names else ["f%d" % j for j in range(X.shape[1])]
    with open(os.path.join(out, name + ".csv"), "w") as f:
        f.write("application_id," + ",".join(cnames[j] for j in order)
                + ",branch\n")
        for r in range(X.shape[0]):
            cells = ["A%06d" % r]
            for j in order:
                v = X[r, j]
                cells.append("" if np.isnan(v) else repr(float(v)))
            cells.append("SH%d" % (r % 3))
            f.write(",".join(cells) + "\n")


def train(X, y, names, **params):
    rounds = params.pop("rounds")
    p = {"objective": "binary:logistic", "tree_method": "hist",
         "nthread": 1, "seed": 1}
    p.update(params)
    return xgb.train(p, xgb.DMatrix(X, y, missing=np.nan,
                                    feature_names=names), rounds)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: gen_models.py OUTDIR\n")
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240601)
    X, y = make_data(rng, 4000)

    models = {
        # 200 trees of depth 6, base_score 0.3 so the margin offset is
        # not 0: the size the performance target names.
        "big": (train(X, y, FEATURES, rounds=200, max_depth=6, eta=0.1,
                      base_score=0.3), FEATURES, 300),
        # Depth 5, default base_score, unnamed features (f0, f1, ...).
        "d5": (train(X, y, None, rounds=100, max_depth=5, eta=0.15),
               None, 200),
        "tiny": (train(X, y, FEATURES, rounds=3, max_depth=2, eta=0.5),
                 FEATURES, 60),
    }
    # Deep trees on many features: paths with more than ten distinct
    # features exercise the per-row weight computation.
    names16 = ["x%02d" % j for j in range(16)]
    X16, y16 = make_data(rng, 3000, 16)
    models["deep"] = (train(X16, y16, names16, rounds=4, max_depth=14,
                            eta=0.3, min_child_weight=0.01,
                            reg_lambda=0.01, gamma=0), names16, 150)
    # Exact splits and pruning (gamma): pruned nodes stay in the arrays,
    # unreachable and marked deleted (num_deleted > 0).
    models["exact"] = (train(X, y, FEATURES, rounds=20, max_depth=5,
                             eta=0.3, tree_method="exact", gamma=2.0),
                       FEATURES, 100)

    for name, (bst, names, n) in models.items():
        bst.save_model(os.path.join(out, name + ".json"))
        Xt = test_rows(rng, bst, n, X16.shape[1] if name == "deep"
                       else X.shape[1])
        save_answers(out, name, bst, Xt, names)

    # base_score as xgboost 3.1 writes it; predictions must not change.
    with open(os.path.join(out, "big.json")) as f:
        text = f.read()
    doc = json.loads(text)
    bs = doc["learner"]["learner_model_param"]["base_score"]
    with open(os.path.join(out, "big.bracket.json"), "w") as f:
        f.write(text.replace('"base_score":"%s"' % bs,
                             '"base_score":"[%s]"' % bs))

    # Models to refuse.
    small = X[:500], y[:500]
    refuse = {
        "multiclass": dict(objective="multi:softprob", num_class=3),
        "dart": dict(booster="dart", rate_drop=0.1),
        "gblinear": dict(booster="gblinear", verbosity=0),
    }
    yc = np.floor(np.nan_to_num(small[0][:, 3]) % 3)
    for name, p in refuse.items():
        p = dict(p)
        target = yc if name == "multiclass" else small[1]
        bst = train(small[0], target, FEATURES, rounds=3, max_depth=3, **p)
        bst.save_model(os.path.join(out, "refuse_%s.json" % name))
    Xc = small[0].copy()
    Xc[:, 3] = np.nan_to_num(Xc[:, 3])
    dc = xgb.DMatrix(Xc, small[1], missing=np.nan, feature_names=FEATURES,
                     feature_types=["q", "q", "q", "c"] + ["q"] * 6,
                     enable_categorical=True)
    bst = xgb.train({"objective": "binary:logistic", "tree_method": "hist",
                     "max_cat_to_onehot": 1, "nthread": 1, "max_depth": 3},
                    dc, 3)
    bst.save_model(os.path.join(out, "refuse_categorical.json"))
    models["tiny"][0].save_model(os.path.join(out, "refuse_ubjson.ubj"))
    # A feature list that does not match num_feature.
    doc = json.loads(open(os.path.join(out, "tiny.json")).read())
    doc["learner"]["feature_names"] = FEATURES[:-1]
    doc["learner"]["feature_types"] = ["float"] * (len(FEATURES) - 1)
    with open(os.path.join(out, "refuse_featcount.json"), "w") as f:
        json.dump(doc, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
