#!/usr/bin/env python3
"""Reference values for Plumb's fairness metrics (Sources/MLCore/FairnessMetrics.swift).

Writes Tests/MLCoreTests/Fixtures/fairness_metrics.json (seeded: re-running reproduces it with
the same library versions). Each case holds y_true, y_pred (0/1, after the model's threshold),
the sensitive group of each row (strings), and Fairlearn's values:
  * per group (fairlearn.metrics.MetricFrame): count, selection_rate, true_positive_rate,
    false_positive_rate;
  * demographic_parity_difference, equalized_odds_difference (method="between_groups",
    agg="worst_case"), and the TPR / FPR differences it takes the larger of.
Edge cases: a group with no positive row (Fairlearn's TPR is 0 there: scikit-learn's
confusion_matrix(normalize="true") turns the 0/0 into 0), a group with no negative row, a
single group, a group of one row.

Usage: /tmp/pv/bin/python scripts/fairness-fixtures.py   (needs numpy, fairlearn)
"""
import json
import os
import warnings

import fairlearn
import numpy as np
from fairlearn.metrics import (MetricFrame, count, demographic_parity_difference,
                               equalized_odds_difference, false_positive_rate, selection_rate,
                               true_positive_rate)

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "MLCoreTests", "Fixtures", "fairness_metrics.json")


def case(name, y, p, g):
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=int)
    g = np.asarray(g, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = MetricFrame(metrics={"count": count, "selection_rate": selection_rate,
                                  "tpr": true_positive_rate, "fpr": false_positive_rate},
                         y_true=y, y_pred=p, sensitive_features=g)
        eo = MetricFrame(metrics={"tpr": true_positive_rate, "fpr": false_positive_rate},
                         y_true=y, y_pred=p, sensitive_features=g).difference(method="between_groups")
        dpd = demographic_parity_difference(y, p, sensitive_features=g)
        eod = equalized_odds_difference(y, p, sensitive_features=g)
    groups = []
    for key, row in mf.by_group.iterrows():
        groups.append({"group": str(key), "count": int(row["count"]),
                       "selection_rate": float(row["selection_rate"]),
                       "true_positive_rate": float(row["tpr"]),
                       "false_positive_rate": float(row["fpr"])})
    return {"name": name, "y_true": y.tolist(), "y_pred": p.tolist(), "groups": [str(v) for v in g],
            "by_group": groups, "demographic_parity_difference": float(dpd),
            "equalized_odds_difference": float(eod),
            "true_positive_rate_difference": float(eo["tpr"]),
            "false_positive_rate_difference": float(eo["fpr"])}


def main():
    rng = np.random.default_rng(20261206)
    cases = []
    # Three groups of different sizes and base rates, a decision that depends on the group.
    n = 600
    g = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    base = np.where(g == "a", 0.3, np.where(g == "b", 0.5, 0.7))
    y = (rng.random(n) < base).astype(int)
    p = np.where(rng.random(n) < 0.8, y, 1 - y)
    p = np.where((g == "c") & (rng.random(n) < 0.2), 1, p)
    cases.append(case("three_groups", y, p, g))
    # Five groups, near-random decisions.
    n = 1000
    g = rng.choice(["g0", "g1", "g2", "g3", "g4"], size=n)
    y = (rng.random(n) < 0.4).astype(int)
    p = (rng.random(n) < 0.45).astype(int)
    cases.append(case("five_groups_random", y, p, g))
    # Group "none" has no positive row (TPR 0 by Fairlearn's convention), "all" no negative row.
    y = [0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1]
    p = [1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0]
    g = ["none", "none", "none", "none", "all", "all", "all", "mixed", "mixed", "mixed", "mixed", "all"]
    cases.append(case("group_without_positives_or_negatives", y, p, g))
    # One group only: every difference is 0.
    y = [0, 1, 1, 0, 1]
    p = [0, 1, 0, 0, 1]
    cases.append(case("single_group", y, p, ["x"] * 5))
    # A group of one row.
    y = [1, 0, 1, 0, 1, 0, 0]
    p = [1, 1, 0, 0, 1, 0, 1]
    g = ["F", "F", "F", "M", "M", "M", "X"]
    cases.append(case("group_of_one", y, p, g))
    with open(OUT, "w") as f:
        json.dump({"fairlearn": fairlearn.__version__, "cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
