"""XGBoost's own SHAP values (`predict(pred_contribs=True)`) of the committed xgboost_*.json models
on the first 200 rows of xgboost_inputs.csv, for the test that explains imported XGBoost models.

Run from this folder with xgboost 3.2.0: python make_xgboost_contrib_fixture.py
Writes xgboost_contributions.json: {model: {"rows": n, "columns": k, "values": [...] row-major}}
(multiclass: per row, one block of features + bias per class).
"""
import json

import numpy as np
import pandas as pd
import xgboost as xgb

# round_trip: pandas' default parser can miss the nearest double, and rows sit on thresholds.
frame = pd.read_csv("xgboost_inputs.csv", float_precision="round_trip").iloc[:200]
x = frame.to_numpy(dtype=np.float64)
out = {}
for name in ["xgboost_regression", "xgboost_binary", "xgboost_multiclass"]:
    booster = xgb.Booster(model_file=f"{name}.json")
    contrib = np.asarray(booster.predict(xgb.DMatrix(x, feature_names=list(frame.columns)), pred_contribs=True), dtype=np.float64)
    out[name] = {"rows": int(contrib.shape[0]), "columns": int(np.prod(contrib.shape[1:])),
                 "values": [float(v) for v in contrib.reshape(-1)]}
with open("xgboost_contributions.json", "w") as f:
    json.dump(out, f)
