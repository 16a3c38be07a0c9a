"""Trains small XGBoost models and records XGBoost's own predictions, for XGBoostModelReaderTests.

Run with the peer venv:  /tmp/pv/bin/python make_xgboost_fixtures.py   (written with xgboost 3.2.0)

Writes, next to this script:
  xgboost_<name>.json / .ubj      the same model saved by Booster.save_model in both formats
  xgboost_inputs.csv              test rows f0..f3 (repr floats, "nan" = missing): random rows,
                                  rows with missing values, unseen / negative category codes, and
                                  rows exactly on, next to and at the float32 midpoints around
                                  every model's split thresholds
  xgboost_<name>_predictions.csv  XGBoost's predict(output_margin=True) ("margin<k>") and
                                  predict() ("pred<k>", left out where it equals the margin) per row, as float32 shortest reprs
Features: f0 normal, f1 uniform with 15% missing, f2 integers 0..20 (inputs land on thresholds),
f3 category codes 0..5 (categorical for the "categorical" model, a number for the others).
"""
import os

import numpy as np
import pandas as pd
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)
NAMES = ["f0", "f1", "f2", "f3"]


def make_x(n):
    x = np.empty((n, 4))
    x[:, 0] = rng.normal(size=n)
    x[:, 1] = rng.uniform(-2, 2, size=n)
    x[rng.uniform(size=n) < 0.15, 1] = np.nan
    x[:, 2] = rng.integers(0, 21, size=n)
    x[:, 3] = rng.integers(0, 6, size=n)
    return x


n = 3000
X = make_x(n)
f1 = np.nan_to_num(X[:, 1], nan=1.5)
cat_effect = np.array([0.0, 2.0, -1.0, 3.0, 0.5, -2.0])[X[:, 3].astype(int)]
reg_y = 2 * X[:, 0] + np.sin(2 * f1) + 0.2 * X[:, 2] + cat_effect + rng.normal(scale=0.3, size=n)
bin_y = (reg_y + rng.normal(scale=1.0, size=n) > 2).astype(int)
mc_y = np.digitize(reg_y + rng.normal(scale=0.7, size=n), [1.0, 3.0])

# name: (params, label, rounds, categorical)
specs = {
    "regression": ({"objective": "reg:squarederror", "max_depth": 4, "eta": 0.3}, reg_y, 30, False),
    "binary": ({"objective": "binary:logistic", "max_depth": 3, "eta": 0.3}, bin_y, 20, False),
    "logitraw": ({"objective": "binary:logitraw", "max_depth": 2, "eta": 0.5}, bin_y, 5, False),
    "multiclass": ({"objective": "multi:softprob", "num_class": 3, "max_depth": 3, "eta": 0.3}, mc_y, 8, False),
    "softmax": ({"objective": "multi:softmax", "num_class": 3, "max_depth": 2, "eta": 0.5}, mc_y, 3, False),
    "categorical": ({"objective": "reg:squarederror", "max_depth": 3, "eta": 0.3, "max_cat_to_onehot": 1}, reg_y, 15, True),
    "dart": ({"booster": "dart", "objective": "reg:squarederror", "max_depth": 3, "eta": 0.3,
              "rate_drop": 0.5, "skip_drop": 0.0, "seed": 7}, reg_y, 10, False),
    "absolute": ({"objective": "reg:absoluteerror", "max_depth": 2, "eta": 0.5}, reg_y, 4, False),
}


def dmatrix(x, categorical, label=None):
    if categorical:
        return xgb.DMatrix(x, label=label, feature_names=NAMES, feature_types=["q", "q", "q", "c"],
                           enable_categorical=True, missing=np.nan)
    return xgb.DMatrix(x, label=label, feature_names=NAMES, missing=np.nan)


boosters = {}
for name, (params, y, rounds, categorical) in specs.items():
    params = {**params, "tree_method": "hist", "nthread": 2}
    if categorical:
        # Trained from a DataFrame, so the model stores the category labels (XGBoost >= 3.1).
        df = pd.DataFrame(X, columns=NAMES)
        df["f3"] = pd.Categorical.from_codes(X[:, 3].astype(int), ["a", "b", "c", "d", "e", "f"])
        d = xgb.DMatrix(df, label=y, enable_categorical=True)
    else:
        d = dmatrix(X, False, y)
    b = xgb.train(params, d, num_boost_round=rounds)
    b.save_model(os.path.join(HERE, f"xgboost_{name}.json"))
    b.save_model(os.path.join(HERE, f"xgboost_{name}.ubj"))
    boosters[name] = b

# Test rows: random ones, then rows probing the split thresholds of every model.
rows = [make_x(500)]
rows[0][::25, 3] = 7      # unseen category code
rows[0][1::25, 3] = -1    # negative code
rows[0][2::25, 3] = np.nan
rows[0][3::25, 0] = np.nan
probe = []
for name, b in boosters.items():
    df = b.trees_to_dataframe()
    splits = df[(df.Feature != "Leaf") & df.Split.notna()]
    for feat, cond in zip(splits.Feature, splits.Split):
        j = NAMES.index(feat)
        t = np.float32(cond)
        p = np.nextafter(t, np.float32(-np.inf))
        u = np.nextafter(t, np.float32(np.inf))
        m_lo = (np.float64(p) + np.float64(t)) / 2
        m_hi = (np.float64(t) + np.float64(u)) / 2
        for v in (np.float64(t), np.float64(p), np.float64(u), m_lo, m_hi,
                  np.nextafter(m_lo, -np.inf), np.nextafter(m_lo, np.inf),
                  np.nextafter(m_hi, -np.inf), np.nextafter(m_hi, np.inf)):
            probe.append((j, v))
probe_idx = rng.choice(len(probe), size=min(len(probe), 500), replace=False)
base = make_x(len(probe_idx))
for r, k in enumerate(probe_idx):
    j, v = probe[k]
    base[r, j] = v
rows.append(base)
T = np.vstack(rows)


def fmt(v):
    return "nan" if np.isnan(v) else repr(float(v))


with open(os.path.join(HERE, "xgboost_inputs.csv"), "w") as f:
    f.write(",".join(NAMES) + "\n")
    for row in T:
        f.write(",".join(fmt(v) for v in row) + "\n")

for name, b in boosters.items():
    categorical = specs[name][3]
    d = dmatrix(T, categorical)
    margin = np.asarray(b.predict(d, output_margin=True), dtype=np.float32).reshape(len(T), -1)
    pred = np.asarray(b.predict(d), dtype=np.float32).reshape(len(T), -1)
    if np.array_equal(margin, pred):   # identity output (regression, logitraw): margins only
        pred = pred[:, :0]
    header = [f"margin{k}" for k in range(margin.shape[1])] + [f"pred{k}" for k in range(pred.shape[1])]
    with open(os.path.join(HERE, f"xgboost_{name}_predictions.csv"), "w") as f:
        f.write(",".join(header) + "\n")
        for a, p in zip(margin, pred):
            f.write(",".join(str(np.float32(v)) for v in list(a) + list(p)) + "\n")
print(f"{len(T)} rows, {len(probe)} threshold probes ({len(probe_idx)} used), models: {', '.join(boosters)}")
