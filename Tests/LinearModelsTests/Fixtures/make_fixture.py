#!/usr/bin/env python3
"""Reference fits for LinearModelsTests, computed with numpy (no randomness).

Writes linear_fixture.json next to this script:
  x            feature columns (list of columns), 60 rows x 4
  y            target
  ols          numpy.linalg.lstsq on [1, X]: intercept, coefficients, r2
  ridge        alpha 2.5, intercept unpenalised: solve((Xc'Xc + alpha I), Xc'yc) on centred data
  rank_deficient  X plus a copy of column 1: lstsq on centred data (minimum-norm beta),
               intercept = mean(y) - mean(x) . beta, rank
Run: python3 make_fixture.py   (numpy 2.x)
"""
import json
import os

import numpy as np

n, p = 60, 4
i = np.arange(n, dtype=np.float64)
x = np.column_stack([
    np.sin(0.37 * (i + 1)),
    np.cos(0.11 * (i + 1) ** 1.3),
    (i - 30.0) / 17.0,
    np.sin(0.05 * i * i) + 0.2 * np.cos(2.9 * i),
])
beta_true = np.array([1.75, -0.6, 2.2, 0.35])
y = 3.25 + x @ beta_true + 0.3 * np.sin(1.7 * i + 0.4)

design = np.column_stack([np.ones(n), x])
sol, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
pred = design @ sol
r2 = 1.0 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)

alpha = 2.5
xm, ym = x.mean(axis=0), y.mean()
xc, yc = x - xm, y - ym
ridge_beta = np.linalg.solve(xc.T @ xc + alpha * np.eye(p), xc.T @ yc)
ridge_intercept = ym - xm @ ridge_beta

xd = np.column_stack([x, x[:, 1]])
xdm = xd.mean(axis=0)
rd_beta, _, rd_rank, _ = np.linalg.lstsq(xd - xdm, yc, rcond=None)
rd_intercept = ym - xdm @ rd_beta

out = {
    "x": [x[:, j].tolist() for j in range(p)],
    "y": y.tolist(),
    "ols": {"intercept": float(sol[0]), "coefficients": sol[1:].tolist(), "r2": float(r2), "rank": int(rank)},
    "ridge": {"alpha": alpha, "intercept": float(ridge_intercept), "coefficients": ridge_beta.tolist()},
    "rank_deficient": {"intercept": float(rd_intercept), "coefficients": rd_beta.tolist(), "rank": int(rd_rank)},
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "linear_fixture.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", path)
