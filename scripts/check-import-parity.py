"""1M-row parity of `plumb models import --format lightgbm` with LightGBM's own predict.

Trains a regression, a binary and a multiclass LightGBM model (a categorical feature, NaN in
training, a feature without NaN in training so its missing type is None), scores 1M fresh rows
with LightGBM and with `plumb predict` on the imported models, and prints the largest relative
difference per model and output. The rows hold missing values, values exactly on the models'
thresholds and every categorical level plus negative and unseen codes.

    python scripts/check-import-parity.py --plumb .build/release/plumb [--rows 1000000] [--trees 200]

Needs lightgbm, numpy, pandas and pyarrow. Works in a temporary folder (its own tracking store).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import lightgbm as lgb
import numpy as np
import pandas as pd

p = argparse.ArgumentParser()
p.add_argument("--plumb", default=".build/release/plumb")
p.add_argument("--rows", type=int, default=1_000_000)
p.add_argument("--trees", type=int, default=200)
p.add_argument("--leaves", type=int, default=31)
p.add_argument("--seed", type=int, default=2026)
args = p.parse_args()
plumb = os.path.abspath(args.plumb)
rng = np.random.default_rng(args.seed)
FEATURES = ["f0", "f1", "f2", "f3", "f4", "f5"]


def make_x(n):
    x = np.empty((n, 6))
    x[:, 0] = rng.normal(size=n)
    x[rng.random(n) < 0.1, 0] = np.nan          # missing type NaN
    x[:, 1] = rng.normal(size=n)                 # no NaN in training: missing type None
    x[:, 2] = rng.integers(0, 20, size=n)        # categorical codes
    x[:, 3] = rng.integers(-10, 11, size=n)      # integer grid: rows on thresholds
    x[:, 4] = rng.exponential(size=n)
    x[:, 5] = rng.normal(size=n)
    return x


def target(x):
    f0 = np.nan_to_num(x[:, 0], nan=-1.0)
    return (np.sin(2 * f0) + 0.7 * x[:, 1] + np.isin(x[:, 2], [1, 4, 6, 9, 15]) * 1.1 + 0.1 * x[:, 3]
            + np.log1p(x[:, 4]) + 0.3 * rng.normal(size=len(x)))


X = make_x(200_000)
y = target(X)
params = dict(num_leaves=args.leaves, learning_rate=0.05, min_data_in_leaf=20, verbose=-1, seed=1, num_threads=2,
              max_cat_to_onehot=4)
labels = {
    "regression": ({"objective": "regression"}, y),
    "binary": ({"objective": "binary"}, (y > np.median(y)).astype(float)),
    "multiclass": ({"objective": "multiclass", "num_class": 4}, np.digitize(y, np.quantile(y, [0.25, 0.5, 0.75])).astype(float)),
}

work = tempfile.mkdtemp(prefix="plumb-import-parity-")
env = dict(os.environ, PLUMB_STORE=os.path.join(work, "plumb.db"))
models = {}
for name, (extra, label) in labels.items():
    ds = lgb.Dataset(X, label, feature_name=FEATURES, categorical_feature=[2])
    booster = lgb.train({**params, **extra}, ds, args.trees)
    path = os.path.join(work, f"{name}.txt")
    booster.save_model(path)
    models[name] = (lgb.Booster(model_file=path), path)
    print(f"trained {name}: {booster.num_trees()} trees", flush=True)

# Scored rows: fresh rows; 10% of every numeric column replaced by thresholds of the models; NaN
# in every column; negative and unseen category codes.
Xs = make_x(args.rows)
thresholds = {f: set() for f in range(6)}
for booster, _ in models.values():
    for tree in booster.dump_model()["tree_info"]:
        stack = [tree["tree_structure"]]
        while stack:
            node = stack.pop()
            if "split_feature" in node:
                stack += [node["left_child"], node["right_child"]]
                if node["decision_type"] == "<=":
                    thresholds[node["split_feature"]].add(float(node["threshold"]))
on_threshold = 0
for f, ts in thresholds.items():
    if ts and f != 2:
        mask = rng.random(args.rows) < 0.1
        Xs[mask, f] = rng.choice(np.array(sorted(ts)), size=mask.sum())
        on_threshold += mask.sum()
for f in range(6):
    Xs[rng.random(args.rows) < 0.02, f] = np.nan
Xs[rng.random(args.rows) < 0.01, 2] = -1
Xs[rng.random(args.rows) < 0.01, 2] = 25
print(f"{args.rows:,} rows, {on_threshold:,} values set exactly on a threshold", flush=True)
data = os.path.join(work, "rows.parquet")
pd.DataFrame(Xs, columns=FEATURES).to_parquet(data, index=False)

worst_overall = 0.0
for name, (booster, path) in models.items():
    subprocess.run([plumb, "models", "import", path, "--format", "lightgbm", "--name", name], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    out = os.path.join(work, f"{name}-pred.parquet")
    subprocess.run([plumb, "predict", "--model", f"models:/{name}/1", data, "--out", out, "--quiet"], check=True, env=env)
    got = pd.read_parquet(out)
    want = booster.predict(Xs, num_threads=2)
    if want.ndim == 1 and name == "regression":
        pairs = [("prediction", got["prediction"].to_numpy(), want)]
    elif want.ndim == 1:
        pairs = [("prob_1", got["prob_1"].to_numpy(), want)]
    else:
        pairs = [(f"prob_{k}", got[f"prob_{k}"].to_numpy(), want[:, k]) for k in range(want.shape[1])]
    for column, a, b in pairs:
        rel = np.abs(a - b) / np.maximum(np.abs(b), np.finfo(float).tiny)
        worst = float(rel.max())
        worst_overall = max(worst_overall, worst)
        print(f"{name:10s} {column:10s} max relative difference {worst:.3g}, rows identical {np.mean(a == b) * 100:.4f}%")
print(f"largest relative difference over every model and output: {worst_overall:.3g}")
print(f"(work folder {work})")
sys.exit(0 if worst_overall <= 1e-7 else 1)
