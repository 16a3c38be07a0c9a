"""Builds shap_fixtures.json: small tree ensembles in a neutral form, rows, and their SHAP
values computed by independent implementations, for TreeSHAPFixtureTests.

- LightGBM (regression, binary, multiclass; numeric features with NaN and one categorical
  feature): trees from `dump_model()`, covers = LightGBM's internal_count / leaf_count, SHAP values
  from `predict(pred_contrib=True)` (LightGBM's own TreeSHAP), raw scores from `raw_score=True`.
- scikit-learn RandomForestRegressor (bootstrap, no NaN): trees from `tree_`, covers =
  weighted_n_node_samples, SHAP values from shap's `TreeExplainer` (shap's own C++ TreeSHAP).

Tree form (Plumb's `Tree`): internal nodes 0..; a child >= 0 is a node, < 0 the leaf ~child;
numeric nodes go left when x <= threshold (NaN: default_left), categorical nodes when the
integer code is in left_categories (NaN: right, as LightGBM).

Run: /tmp/pv/bin/python make_shap_fixtures.py   (numpy, lightgbm, scikit-learn, shap)
"""
import json
import os

import lightgbm as lgb
import numpy as np
import shap
from sklearn.ensemble import RandomForestRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)


def make_data(n, nan_share=0.08):
    x = rng.normal(size=(n, 5))
    x[:, 4] = rng.integers(0, 6, size=n)  # categorical codes 0..5
    y = 2 * x[:, 0] - x[:, 1] ** 2 + np.sin(3 * x[:, 2]) + 0.5 * x[:, 0] * x[:, 3] + (x[:, 4] % 3) - 1
    y += 0.1 * rng.normal(size=n)
    for f in range(4):
        x[rng.random(n) < nan_share, f] = np.nan
    return x, y


def lgb_trees(booster):
    dump = booster.dump_model()
    trees = []
    for info in dump["tree_info"]:
        t = {"feature": [], "threshold": [], "default_left": [], "left_categories": [], "left": [], "right": [],
             "node_cover": [], "leaf_value": [], "leaf_cover": []}
        root = info["tree_structure"]
        if "leaf_value" in root:
            t["leaf_value"].append(root["leaf_value"])
            t["leaf_cover"].append(float(root.get("leaf_count", 1)))
            trees.append(t)
            continue
        # Breadth-first: node indices in visit order, leaves by their LightGBM leaf_index.
        leaves = {}
        queue = [root]
        nodes = []
        while queue:
            node = queue.pop(0)
            nodes.append(node)
            for side in ("left_child", "right_child"):
                child = node[side]
                if "leaf_value" in child:
                    leaves[child["leaf_index"]] = child
                else:
                    queue.append(child)
        index = {id(n): k for k, n in enumerate(nodes)}

        def ref(child):
            return index[id(child)] if "leaf_value" not in child else ~child["leaf_index"]

        for node in nodes:
            t["feature"].append(node["split_feature"])
            if node["decision_type"] == "==":
                t["threshold"].append(0.0)
                t["left_categories"].append(sorted(int(c) for c in str(node["threshold"]).split("||")))
                t["default_left"].append(False)
            else:
                assert node["decision_type"] == "<=", node["decision_type"]
                assert node["missing_type"] == "NaN", node["missing_type"]
                t["threshold"].append(float(node["threshold"]))
                t["left_categories"].append([])
                t["default_left"].append(bool(node["default_left"]))
            t["left"].append(ref(node["left_child"]))
            t["right"].append(ref(node["right_child"]))
            t["node_cover"].append(float(node["internal_count"]))
        for l in range(len(leaves)):
            t["leaf_value"].append(leaves[l]["leaf_value"])
            t["leaf_cover"].append(float(leaves[l]["leaf_count"]))
        trees.append(t)
    return trees


def lightgbm_case(name, objective, y_fn, num_class=1, rounds=12, leaves=8):
    x, y = make_data(600)
    params = {"objective": objective, "num_leaves": leaves, "learning_rate": 0.2, "min_data_in_leaf": 10,
              "verbose": -1, "seed": 1, "deterministic": True, "max_cat_to_onehot": 8, "cat_smooth": 1, "min_data_per_group": 5}
    if num_class > 1:
        params["num_class"] = num_class
    data = lgb.Dataset(x, y_fn(y), categorical_feature=[4], free_raw_data=False)
    booster = lgb.train(params, data, num_boost_round=rounds)
    rows, _ = make_data(40, nan_share=0.15)
    contrib = booster.predict(rows, pred_contrib=True)
    raw = booster.predict(rows, raw_score=True)
    nf = x.shape[1]
    trees = lgb_trees(booster)
    scores = max(1, num_class)
    # LightGBM orders multiclass trees round by round: tree t belongs to class t % K.
    per_score = [[t for i, t in enumerate(trees) if i % scores == k] for k in range(scores)]
    contrib = np.asarray(contrib).reshape(len(rows), scores, nf + 1)
    raw = np.asarray(raw).reshape(len(rows), scores)
    return {
        "name": name, "source": f"lightgbm {lgb.__version__} pred_contrib", "features": nf,
        "scale": 1.0, "base": [0.0] * scores, "trees": per_score,
        "rows": [[None if np.isnan(v) else float(v) for v in r] for r in rows],
        "contributions": contrib[:, :, :nf].tolist(), "expected_value": contrib[0, :, nf].tolist(),
        "raw_score": raw.tolist(),
    }


def forest_case():
    x, y = make_data(400, nan_share=0)
    forest = RandomForestRegressor(n_estimators=5, max_depth=5, random_state=3, bootstrap=True).fit(x, y)
    trees = []
    for est in forest.estimators_:
        tr = est.tree_
        internal = [k for k in range(tr.node_count) if tr.children_left[k] != -1]
        leaves = [k for k in range(tr.node_count) if tr.children_left[k] == -1]
        ni = {k: i for i, k in enumerate(internal)}
        li = {k: i for i, k in enumerate(leaves)}

        def ref(c):
            return ni[c] if c in ni else ~li[c]

        trees.append({
            "feature": [int(tr.feature[k]) for k in internal],
            "threshold": [float(tr.threshold[k]) for k in internal],
            "default_left": [True for _ in internal],
            "left_categories": [[] for _ in internal],
            "left": [ref(int(tr.children_left[k])) for k in internal],
            "right": [ref(int(tr.children_right[k])) for k in internal],
            "node_cover": [float(tr.weighted_n_node_samples[k]) for k in internal],
            "leaf_value": [float(tr.value[k][0][0]) for k in leaves],
            "leaf_cover": [float(tr.weighted_n_node_samples[k]) for k in leaves],
        })
    rows, _ = make_data(40, nan_share=0)
    explainer = shap.TreeExplainer(forest, feature_perturbation="tree_path_dependent")
    values = explainer.shap_values(rows, check_additivity=True)
    return {
        "name": "forest_regression", "source": f"shap {shap.__version__} TreeExplainer on scikit-learn RandomForestRegressor",
        "features": x.shape[1], "scale": 1.0 / len(trees), "base": [0.0], "trees": [trees],
        "rows": rows.tolist(), "contributions": np.asarray(values).reshape(len(rows), 1, -1).tolist(),
        "expected_value": [float(np.ravel(explainer.expected_value)[0])],
        "raw_score": forest.predict(rows).reshape(-1, 1).tolist(),
    }


cases = [
    lightgbm_case("lightgbm_regression", "regression", lambda y: y),
    lightgbm_case("lightgbm_binary", "binary", lambda y: (y > np.median(y)).astype(int)),
    lightgbm_case("lightgbm_multiclass", "multiclass", lambda y: np.digitize(y, np.quantile(y, [1 / 3, 2 / 3])), num_class=3, rounds=6),
    forest_case(),
]
with open(os.path.join(HERE, "shap_fixtures.json"), "w") as f:
    json.dump({"cases": cases}, f, separators=(",", ":"))
print({c["name"]: sum(len(t["leaf_value"]) for ts in c["trees"] for t in ts) for c in cases})
