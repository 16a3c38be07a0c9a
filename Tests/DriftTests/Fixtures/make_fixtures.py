#!/usr/bin/env python3
"""Reference values for the Drift tests, computed with numpy / scipy.

Run from this folder:  python3 make_fixtures.py   (numpy 2.4, scipy 1.17 were used)
Writes two_sample.json (seeded samples + KS / Wasserstein / PSI / JS results) and
special.json (kstwo.sf, smirnov, chi2.sf, gammaincc, gammaln, chisquare, jensenshannon grids).
Sample values are rounded to 3 decimals, which creates ties and keeps the files small.
"""
import json
import math

import numpy as np
import scipy
import scipy.special as sp
import scipy.stats as st
from scipy.spatial import distance

EPS = 0.0001  # PSI proportion for an empty bin (Drift's PSIBins.epsilon)


def psi_bins(ref, cur, k=10):
    """Interior edges = reference quantiles at i/k (numpy linear); bin i = (e[i-1], e[i]]."""
    q = np.linspace(0, 1, k + 1)[1:-1]
    edges = np.quantile(ref, q)
    rs, cs = np.sort(ref), np.sort(cur)
    rc = np.diff(np.concatenate(([0], np.searchsorted(rs, edges, side="right"), [len(rs)])))
    cc = np.diff(np.concatenate(([0], np.searchsorted(cs, edges, side="right"), [len(cs)])))
    return edges, rc / len(rs), cc / len(cs)


def psi(rp, cp):
    r = np.where(rp == 0, EPS, rp)
    c = np.where(cp == 0, EPS, cp)
    return float(np.sum((c - r) * np.log(c / r)))


def two_sample_cases():
    rng = np.random.default_rng(20240611)
    specs = [
        # name, n_ref, n_cur, generator of (ref, cur)
        ("exact_20_30", 20, 30, lambda n, m: (rng.normal(0, 1, n), rng.normal(0.6, 1, m))),
        ("exact_30_30_ties", 30, 30, lambda n, m: (rng.integers(0, 6, n).astype(float), rng.integers(0, 7, m).astype(float))),
        ("exact_20_20", 20, 20, lambda n, m: (rng.normal(0, 1, n), rng.normal(0, 1, m))),
        ("exact_500_400", 500, 400, lambda n, m: (rng.normal(0, 1, n), rng.normal(0.1, 1.1, m))),
        ("exact_500_500_shift", 500, 500, lambda n, m: (rng.exponential(1, n), rng.exponential(1.3, m))),
        ("exact_5000_4000", 5000, 4000, lambda n, m: (rng.normal(5, 2, n), rng.normal(5, 2, m))),
        ("exact_5000_5000_shift", 5000, 5000, lambda n, m: (rng.normal(5, 2, n), rng.normal(5.1, 2, m))),
        ("asymp_20000_15000", 20000, 15000, lambda n, m: (rng.normal(0, 1, n), rng.normal(0.02, 1, m))),
        ("asymp_20000_20000_drift", 20000, 20000, lambda n, m: (rng.lognormal(0, 1, n), rng.lognormal(0.05, 1, m))),
        ("asymp_20000_100", 20000, 100, lambda n, m: (rng.normal(0, 1, n), rng.normal(0.2, 1, m))),
        ("asymp_12000_900_ties", 12000, 900, lambda n, m: (rng.integers(0, 50, n).astype(float), rng.integers(0, 50, m).astype(float))),
    ]
    cases = []
    for name, n, m, gen in specs:
        ref, cur = gen(n, m)
        ref, cur = np.round(ref, 3), np.round(cur, 3)
        ks = st.ks_2samp(ref, cur, method="auto")
        w = st.wasserstein_distance(ref, cur)
        sd = float(np.std(ref))
        edges, rp, cp = psi_bins(ref, cur)
        cases.append({
            "name": name, "reference": ref.tolist(), "current": cur.tolist(),
            "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue),
            "wasserstein": float(w), "reference_std": sd, "wasserstein_norm": float(w / max(sd, 0.001)),
            "psi_edges": edges.tolist(), "psi_reference": rp.tolist(), "psi_current": cp.tolist(),
            "psi": psi(rp, cp), "js_psi_bins": float(distance.jensenshannon(rp, cp)),
        })
    return cases


def special_grids():
    kstwo = []
    for n in [3, 10, 20, 50, 100, 140, 141, 300, 1000, 5000, 20000, 100000, 100001, 500000]:
        for z in [0.3, 0.5, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0]:
            x = z / math.sqrt(n)
            if x >= 1:
                continue
            kstwo.append({"n": n, "x": x, "sf": float(st.kstwo.sf(x, n))})
        for x in [0.6 / n, 0.9 / n, 0.55, 0.7, 0.99]:
            kstwo.append({"n": n, "x": x, "sf": float(st.kstwo.sf(x, n))})
    smirnov = []
    for n in [2, 5, 20, 100, 1000, 50000, 500000]:
        for x in [0.3 / n, 1.5 / n, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9]:
            if x < 1:
                smirnov.append({"n": n, "x": x, "sf": float(sp.smirnov(n, x))})
    chi2 = [{"x": x, "df": df, "sf": float(st.chi2.sf(x, df))}
            for df in [1, 2, 3, 7, 30, 200] for x in [0.01, 0.5, 1, 3, 10, 40, 150, 400]]
    gammaincc = [{"a": a, "x": x, "q": float(sp.gammaincc(a, x))}
                 for a in [0.5, 1, 2.5, 10, 50, 300] for x in [0.1, 1, 5, 20, 100, 400]]
    gammaln = [{"x": x, "value": float(sp.gammaln(x))}
               for x in [0.01, 0.5, 0.999, 1.5, 2.5, 3, 7.3, 14.9, 15.1, 100.5, 1e4, 1e6 + 0.5]]
    rng = np.random.default_rng(7)
    chisq = []
    for k in [2, 3, 6, 12]:
        ref = rng.integers(5, 200, k).astype(float)
        cur = rng.integers(5, 200, k).astype(float)
        f_exp = ref * cur.sum() / ref.sum()
        r = st.chisquare(cur, f_exp)
        chisq.append({"reference": ref.tolist(), "current": cur.tolist(),
                      "statistic": float(r.statistic), "pvalue": float(r.pvalue)})
    js = []
    for k in [2, 4, 9]:
        p = rng.integers(0, 50, k).astype(float)
        q = rng.integers(1, 50, k).astype(float)
        js.append({"p": p.tolist(), "q": q.tolist(), "distance": float(distance.jensenshannon(p, q))})
    return {"kstwo_sf": kstwo, "smirnov_sf": smirnov, "chi2_sf": chi2, "gammaincc": gammaincc,
            "gammaln": gammaln, "chisquare": chisq, "jensenshannon": js}


def main():
    meta = {"numpy": np.__version__, "scipy": scipy.__version__, "psi_epsilon": EPS}
    with open("two_sample.json", "w") as f:
        json.dump({"meta": meta, "cases": two_sample_cases()}, f, separators=(",", ":"))
    with open("special.json", "w") as f:
        json.dump({"meta": meta, **special_grids()}, f, separators=(",", ":"), indent=None)


if __name__ == "__main__":
    main()
