"""Generates describe_input.csv and describe_expected.json for DescribeTests.

Run from this directory with numpy (no pandas needed): python3 make_describe_fixture.py
The expected values follow pandas semantics, computed with numpy:
  describe(): count of non-missing, mean, std (ddof=1), min, 25/50/75 % (linear), max;
  value_counts(): counts by level, descending;
  corr(): Pearson over pairwise complete observations.
"""
import json
import numpy as np

rng = np.random.default_rng(20240611)
n = 200
a = rng.normal(10.0, 3.0, n)
b = 0.5 * a + rng.normal(0.0, 1.0, n)
c = rng.exponential(2.0, n)
d = np.round(rng.uniform(-5, 5, n), 2)
for col, frac in ((a, 0.05), (b, 0.1), (c, 0.0), (d, 0.2)):
    col[rng.random(n) < frac] = np.nan
cat_levels = np.array(["INLAND", "NEAR BAY", "<1H OCEAN", "ISLAND"])
cat = cat_levels[rng.choice(4, n, p=[0.4, 0.3, 0.28, 0.02])].astype(object)
cat[rng.random(n) < 0.05] = None

numeric = {"a": a, "b": b, "c": c, "d": d}
with open("describe_input.csv", "w") as f:
    f.write("a,b,c,cat,d\n")
    for i in range(n):
        cells = []
        for name in ("a", "b", "c"):
            v = numeric[name][i]
            cells.append("" if np.isnan(v) else repr(float(v)))
        cells.append("" if cat[i] is None else cat[i])
        v = d[i]
        cells.append("NA" if np.isnan(v) else repr(float(v)))
        f.write(",".join(cells) + "\n")

def stats(v):
    p = v[~np.isnan(v)]
    return {
        "count": int(p.size), "missing": int(np.isnan(v).sum()), "mean": float(p.mean()),
        "std": float(p.std(ddof=1)), "min": float(p.min()),
        "q25": float(np.percentile(p, 25)), "median": float(np.percentile(p, 50)),
        "q75": float(np.percentile(p, 75)), "max": float(p.max()),
    }

names = ["a", "b", "c", "d"]
corr = []
for x in names:
    row = []
    for y in names:
        u, v = numeric[x], numeric[y]
        m = ~np.isnan(u) & ~np.isnan(v)
        row.append(float(np.corrcoef(u[m], v[m])[0, 1]))
    corr.append(row)

present = [x for x in cat if x is not None]
levels, counts = np.unique(np.array(present, dtype=str), return_counts=True)
order = sorted(zip(levels.tolist(), counts.tolist()), key=lambda t: (-t[1], t[0]))
expected = {
    "rowCount": n,
    "numeric": {name: stats(numeric[name]) for name in names},
    "categorical": {"cat": {"count": len(present), "missing": n - len(present),
                            "levels": [[l, int(k)] for l, k in order]}},
    "correlationColumns": names,
    "correlation": corr,
}
with open("describe_expected.json", "w") as f:
    json.dump(expected, f, indent=1)
