"""Reference values for VariantComparisonTests, computed with scipy.

Writes variant_comparison.json beside this script: special-function values (regularised
incomplete beta, Student's t and normal tails and critical values) and three comparisons of
generated losses (Welch's t-test, the paired t-test, the two-proportion z-test) with scipy's
statistics, p-values and 95 % intervals, and the rows per group for 80 % power.

    python Tests/DriftTests/Fixtures/make_variant_fixture.py   # numpy, scipy
"""
import json
import os

import numpy as np
from scipy import special, stats

rng = np.random.default_rng(20261206)
out = {"beta": [], "t": [], "normal": [], "critical": []}
for a, b, x in [(0.5, 0.5, 0.3), (2, 3, 0.4), (10, 0.5, 0.9), (150, 0.5, 0.99), (1.5, 40, 0.01), (7.25, 0.5, 0.5)]:
    out["beta"].append({"a": a, "b": b, "x": x, "value": float(special.betainc(a, b, x))})
for t, df in [(0.5, 3), (2.1, 10.5), (-4.0, 250), (1.96, 1e6), (12, 4)]:
    out["t"].append({"t": t, "df": df, "p": float(2 * stats.t.sf(abs(t), df))})
for z in [0.0, 0.5, 1.96, 3.3, 6.0]:
    out["normal"].append({"z": z, "p": float(2 * stats.norm.sf(abs(z)))})
for p, df in [(0.05, None), (0.4, None), (0.05, 7.0), (0.01, 30.5)]:
    q = stats.norm.isf(p / 2) if df is None else stats.t.isf(p / 2, df)
    out["critical"].append({"p": p, "df": df, "q": float(q)})


def rows_for_effect(variance, effect, alpha=0.05, power=0.8):
    z = stats.norm.isf(alpha / 2) + stats.norm.ppf(power)
    return int(np.ceil(z * z * variance / effect ** 2))


# Welch: absolute errors of two independent variants.
a = np.abs(rng.normal(0, 1.0, 400)).round(6)
b = np.abs(rng.normal(0, 0.85, 350)).round(6)
r = stats.ttest_ind(b, a, equal_var=False)
ci = r.confidence_interval(0.95)
out["welch"] = {"champion": a.tolist(), "candidate": b.tolist(), "difference": float(b.mean() - a.mean()),
                "p": float(r.pvalue), "lower": float(ci.low), "upper": float(ci.high),
                "rows_for_effect": rows_for_effect(a.var(ddof=1) + b.var(ddof=1), 0.05 * a.mean())}

# Paired: both variants scored the same 300 keys (a key's losses averaged when repeated).
keys = [f"k{i:03d}" for i in range(300)]
base = np.abs(rng.normal(0, 1.0, 300))
la = (base + np.abs(rng.normal(0, 0.2, 300))).round(6)
lb = (base + np.abs(rng.normal(0, 0.2, 300)) + 0.01).round(6)
r = stats.ttest_rel(lb, la)
ci = r.confidence_interval(0.95)
d = lb - la
out["paired"] = {"keys": keys, "champion": la.tolist(), "candidate": lb.tolist(), "difference": float(d.mean()),
                 "p": float(r.pvalue), "lower": float(ci.low), "upper": float(ci.high),
                 "rows_for_effect": rows_for_effect(d.var(ddof=1), 0.05 * la.mean())}

# Two proportions: error indicators of a classifier.
ea = (rng.random(1200) < 0.12).astype(float)
eb = (rng.random(1100) < 0.09).astype(float)
p0, p1, n0, n1 = ea.mean(), eb.mean(), len(ea), len(eb)
pooled = (ea.sum() + eb.sum()) / (n0 + n1)
z = (p1 - p0) / np.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
half = stats.norm.isf(0.025) * np.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1)
out["proportions"] = {"champion": ea.tolist(), "candidate": eb.tolist(), "difference": float(p1 - p0),
                      "p": float(2 * stats.norm.sf(abs(z))), "lower": float(p1 - p0 - half), "upper": float(p1 - p0 + half),
                      "rows_for_effect": rows_for_effect(p0 * (1 - p0) + p1 * (1 - p1), 0.05 * p0)}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "variant_comparison.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote", path)
