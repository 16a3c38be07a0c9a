"""LightGBM's own SHAP values (`predict(pred_contrib=True)`) of the committed lgb_*.txt models on
lgb_inputs.csv, for the test that explains the imported models (TreeSHAPImportTests).

Run from this folder with lightgbm 4.7.0: python make_lightgbm_contrib_fixture.py
Writes lgb_contributions.json: {model: {"rows": n, "columns": k, "values": [...] row-major}}.
"""
import json

import lightgbm as lgb
import numpy as np
import pandas as pd

# round_trip: pandas' default parser can miss the nearest double, and many rows sit on thresholds.
x = pd.read_csv("lgb_inputs.csv", float_precision="round_trip").to_numpy(dtype=np.float64)[:200]
out = {}
for name in ["lgb_regression", "lgb_numeric", "lgb_binary", "lgb_multiclass"]:
    booster = lgb.Booster(model_file=f"{name}.txt")
    contrib = np.asarray(booster.predict(x, pred_contrib=True))
    out[name] = {"rows": int(contrib.shape[0]), "columns": int(contrib.shape[1]),
                 "values": [float(v) for v in contrib.reshape(-1)]}
with open("lgb_contributions.json", "w") as f:
    json.dump(out, f)
