"""Trains the small LightGBM models the import tests read, and records LightGBM's own predictions.

Run from the repository root with the peer venv (lightgbm 4.x, numpy):
    python Tests/TreeModelsTests/Fixtures/make_lightgbm_fixtures.py

Writes into Tests/TreeModelsTests/Fixtures/:
  lgb_<name>.txt          the models, as Booster.save_model writes them (regression, numeric:
                          regression without categorical splits, binary, binary_sigmoid with
                          sigmoid=0.7, multiclass with 3 classes, zero: zero_as_missing=true,
                          rf: random forest mode)
  lgb_inputs.csv          rows to score: f0..f4 (empty cell = NaN)
  lgb_predictions.csv     LightGBM's predict on those rows, raw scores and transformed outputs,
                          from a Booster loaded back from the saved file (what Plumb imports)

Features: f0 numeric with NaN in training (missing type NaN); f1 numeric without NaN in training
(missing type None: LightGBM compares NaN as 0.0); f2 integer category codes 0..7 (categorical
splits); f3 numeric on a grid of integers (many rows exactly on thresholds); f4 numeric noise.
The scored rows add, for every numeric threshold of every model (but those on f2), rows holding
exactly that threshold and the next double above, and rows with NaN, 0, ±1e-36, ±kZeroThreshold, ±inf,
negative and unseen category codes.
"""
import os

import lightgbm as lgb
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)


def make_x(n):
    x = np.empty((n, 5))
    x[:, 0] = rng.normal(size=n)
    x[rng.random(n) < 0.15, 0] = np.nan
    x[:, 1] = rng.normal(size=n)
    x[:, 2] = rng.integers(0, 8, size=n)
    x[:, 3] = rng.integers(-5, 6, size=n)
    x[:, 4] = rng.normal(size=n)
    return x


def target(x):
    f0 = np.nan_to_num(x[:, 0], nan=1.5)
    return f0 + 0.8 * x[:, 1] + np.isin(x[:, 2], [1, 4, 6]) * 1.2 + 0.3 * x[:, 3] + 0.2 * rng.normal(size=len(x))


n_train = 2000
X = make_x(n_train)
y = target(X)
common = dict(num_leaves=8, min_data_in_leaf=10, learning_rate=0.2, verbose=-1, seed=7, deterministic=True,
              num_threads=1, min_data_per_group=10, cat_smooth=1, max_cat_to_onehot=2)


def train(params, label, rounds, categorical=(2,)):
    ds = lgb.Dataset(X, label, categorical_feature=list(categorical), feature_name=["f0", "f1", "f2", "f3", "f4"], free_raw_data=False)
    return lgb.train({**common, **params}, ds, rounds)


models = {
    "regression": train({"objective": "regression"}, y, 12),
    # No categorical split: scored by the rank-mask tables and the level-by-level layout too.
    "numeric": train({"objective": "regression"}, y, 12, categorical=()),
    "binary": train({"objective": "binary"}, (y > np.median(y)).astype(float), 12),
    "binary_sigmoid": train({"objective": "binary", "sigmoid": 0.7}, (y > 0.5).astype(float), 8),
    "multiclass": train({"objective": "multiclass", "num_class": 3}, np.digitize(y, np.quantile(y, [0.33, 0.66])).astype(float), 8),
    # zero_as_missing: missing type Zero (0, |x| <= 1e-35 and NaN take the default side).
    "zero": train({"objective": "regression", "zero_as_missing": True}, y, 6, categorical=()),
    "rf": train({"boosting": "rf", "objective": "regression", "bagging_freq": 1, "bagging_fraction": 0.7, "feature_fraction": 0.8}, y, 6),
}

# Rows to score: fresh rows, plus rows sitting exactly on (and one ulp above) every distinct
# numeric threshold.
rows = [make_x(100)]
edge = []
seen = set()
for booster in models.values():
    for tree in booster.dump_model()["tree_info"]:
        stack = [tree["tree_structure"]]
        while stack:
            node = stack.pop()
            if "split_feature" not in node:
                continue
            stack += [node["left_child"], node["right_child"]]
            # f2 is categorical in most models: LightGBM truncates a non-integer code there
            # (4.5 reads as 4), Plumb sends it right; category columns hold integers.
            if node["decision_type"] != "<=" or node["split_feature"] == 2:
                continue
            t = float(node["threshold"])
            if (node["split_feature"], t) in seen:
                continue
            seen.add((node["split_feature"], t))
            for v in (t, np.nextafter(t, np.inf)):
                r = make_x(1)[0]
                r[node["split_feature"]] = v
                edge.append(r)
edge = np.array(edge)
special = make_x(60)
special[0:10, 1] = np.nan      # missing type None: compared as 0.0
special[10:20, 1] = 0.0
special[20:25, 0] = 0.0
special[25:30, 2] = np.nan     # categorical NaN: right
special[30:35, 2] = -1         # negative code: right
special[35:40, 2] = 11         # code never seen in training
special[40:45, 3] = np.nan
special[45:50, :] = np.nan
special[50:55, 4] = np.inf
special[55:60, 4] = -np.inf
special[0:5, 3] = 1e-36        # |x| <= 1e-35: LightGBM reads it as 0.0
special[5:10, 3] = -1e-36
special[10:15, 3] = np.float32(1e-35)
special[15:20, 3] = -np.float64(np.float32(1e-35))
inputs = np.vstack(rows + [edge, special])
print(f"{len(inputs)} rows ({len(edge)} on thresholds)")

columns = {}
for name, booster in models.items():
    path = os.path.join(HERE, f"lgb_{name}.txt")
    booster.save_model(path)
    loaded = lgb.Booster(model_file=path)
    raw = loaded.predict(inputs, raw_score=True)
    out = loaded.predict(inputs)
    if raw.ndim == 1:
        columns[f"{name}_raw"] = raw
        if not np.array_equal(raw, out):
            columns[f"{name}_out"] = out
    else:
        for k in range(raw.shape[1]):
            columns[f"{name}_raw{k}"] = raw[:, k]
        for k in range(out.shape[1]):
            columns[f"{name}_out{k}"] = out[:, k]


def cell(v):
    return "" if np.isnan(v) else repr(float(v))


with open(os.path.join(HERE, "lgb_inputs.csv"), "w") as f:
    f.write("f0,f1,f2,f3,f4\n")
    for r in inputs:
        f.write(",".join(cell(v) for v in r) + "\n")
with open(os.path.join(HERE, "lgb_predictions.csv"), "w") as f:
    names = list(columns)
    f.write(",".join(names) + "\n")
    for i in range(len(inputs)):
        f.write(",".join(cell(columns[c][i]) for c in names) + "\n")
