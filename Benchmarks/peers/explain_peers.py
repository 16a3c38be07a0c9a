"""SHAP peers for the `plumb explain` row: exact path-dependent TreeSHAP of a LightGBM model of
the same shape as Plumb's (500 trees × 31 leaves, learning rate 0.05) on the same rows, by
shap.TreeExplainer and LightGBM's own pred_contrib, 2 threads, warm repetitions.

    python Benchmarks/peers/explain_peers.py ROWS.csv TRAIN.csv TARGET [--repeats 3]

Prints one line per peer: minimum and median seconds over the repetitions (after one untimed call).
"""
import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")

import lightgbm as lgb
import numpy as np
import pandas as pd
import shap


def timed(fn, repeats):
    fn()  # warm-up, untimed
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out), float(np.median(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows")
    ap.add_argument("train")
    ap.add_argument("target")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    train = pd.read_csv(a.train)
    y = train.pop(a.target)
    rows = pd.read_csv(a.rows).drop(columns=[a.target], errors="ignore")[train.columns]
    model = lgb.train({"objective": "regression", "num_leaves": 31, "learning_rate": 0.05, "num_threads": 2,
                       "verbose": -1}, lgb.Dataset(train, y), num_boost_round=500)
    x = rows.to_numpy(dtype=np.float64)
    explainer = shap.TreeExplainer(model)
    lo, med = timed(lambda: explainer.shap_values(x), a.repeats)
    print(f"shap.TreeExplainer {len(x)} rows: min {lo:.3f} s, median {med:.3f} s")
    lo, med = timed(lambda: model.predict(x, pred_contrib=True, num_threads=2), a.repeats)
    print(f"LightGBM pred_contrib {len(x)} rows: min {lo:.3f} s, median {med:.3f} s")


if __name__ == "__main__":
    main()
