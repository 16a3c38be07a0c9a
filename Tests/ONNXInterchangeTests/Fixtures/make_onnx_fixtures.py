"""Converts small scikit-learn, LightGBM and XGBoost tree models to ONNX and records ONNX
Runtime's outputs, for ONNXModelReaderTests.

Run with the peer venv:  /tmp/pv/bin/python make_onnx_fixtures.py
(written with scikit-learn 1.9.1, skl2onnx 1.20.0, lightgbm 4.7.0, xgboost 3.2.0,
onnxmltools 1.16.0, onnx 1.23.2, onnxruntime 1.32.0)

Writes, next to this script:
  onnx_<name>.onnx         the converted model (skl2onnx for scikit-learn, onnxmltools for
                           LightGBM and XGBoost), plus hand-built models that use the node modes
                           the converters never write (BRANCH_LT/GTE/GT/EQ/NEQ), *_as_tensor
                           attributes, SOFTMAX_ZERO and missing values tracking the true branch
  onnx_inputs.csv          test rows f0..f3 as float32 values (shortest repr, "nan" = missing):
                           random rows, rows with missing values, and rows exactly on and one
                           float32 step either side of every model's thresholds
  onnx_<name>_expected.csv ONNX Runtime's outputs per row (not for the two models Plumb refuses): "y" for a regressor, "p0".."pK-1"
                           (the probability tensor) for a classifier, as float32 shortest reprs
"""
import os

import lightgbm as lgb
import numpy as np
import onnx
import onnxruntime as ort
import xgboost as xgb
from onnx import TensorProto, helper, numpy_helper
from onnxmltools import convert_lightgbm, convert_xgboost
from onnxmltools.convert.common.data_types import FloatTensorType as MLFloat
from skl2onnx import to_onnx
from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)
NAMES = ["f0", "f1", "f2", "f3"]


def make_x(n, missing):
    x = np.empty((n, 4), dtype=np.float32)
    x[:, 0] = rng.normal(size=n)
    x[:, 1] = rng.uniform(-2, 2, size=n)
    x[:, 2] = rng.integers(0, 21, size=n)
    x[:, 3] = rng.integers(0, 6, size=n)
    if missing:
        x[rng.uniform(size=n) < 0.15, 1] = np.nan
    return x


n = 1500
X = make_x(n, missing=False)          # scikit-learn's classic ensembles train without NaN
XM = X.copy()
XM[rng.uniform(size=n) < 0.15, 1] = np.nan   # LightGBM and XGBoost learn default directions
f1 = np.nan_to_num(X[:, 1], nan=1.5)
reg_y = 2 * X[:, 0] + np.sin(2 * f1) + 0.2 * X[:, 2] + 0.5 * X[:, 3] + rng.normal(scale=0.3, size=n)
bin_y = (reg_y + rng.normal(scale=1.0, size=n) > 2).astype(int)
mc_y = np.digitize(reg_y + rng.normal(scale=0.7, size=n), [1.0, 3.0])

models = {}
# scikit-learn through skl2onnx (zipmap off: the probabilities as one tensor)
sk = {
    "sk_gbr": GradientBoostingRegressor(n_estimators=12, max_depth=3, random_state=0).fit(X, reg_y),
    "sk_rfr": RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(X, reg_y),
    "sk_gbc_binary": GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X, bin_y),
    "sk_gbc_multi": GradientBoostingClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, mc_y),
    "sk_rfc_binary": RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0).fit(X, bin_y),
    "sk_rfc_multi": RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0).fit(X, mc_y),
}
for name, m in sk.items():
    options = {id(m): {"zipmap": False}} if hasattr(m, "classes_") else None
    models[name] = to_onnx(m, X[:1], options=options, target_opset={"": 17, "ai.onnx.ml": 3})
# the ZipMap form of one classifier (a trailing node the reader must allow)
models["sk_gbc_zipmap"] = to_onnx(sk["sk_gbc_binary"], X[:1], target_opset={"": 17, "ai.onnx.ml": 3})

# LightGBM and XGBoost through onnxmltools
itype = [("input", MLFloat([None, 4]))]
lg = {
    "lgb_regression": lgb.LGBMRegressor(n_estimators=10, num_leaves=8, verbose=-1).fit(XM, reg_y),
    "lgb_binary": lgb.LGBMClassifier(n_estimators=10, num_leaves=7, verbose=-1).fit(XM, bin_y),
    "lgb_multi": lgb.LGBMClassifier(n_estimators=5, num_leaves=7, verbose=-1).fit(XM, mc_y),
}
for name, m in lg.items():
    models[name] = convert_lightgbm(m, initial_types=itype, zipmap=False, target_opset=15)
xg = {
    "xgb_regression": xgb.XGBRegressor(n_estimators=10, max_depth=3).fit(XM, reg_y),
    "xgb_binary": xgb.XGBClassifier(n_estimators=10, max_depth=3).fit(XM, bin_y),
    "xgb_multi": xgb.XGBClassifier(n_estimators=5, max_depth=3).fit(XM, mc_y),
}
for name, m in xg.items():
    models[name] = convert_xgboost(m, initial_types=itype, target_opset=15)


# Hand-built models for what the converters never write.
def tree_model(op, attrs, outputs, name, input_type=TensorProto.FLOAT):
    x = helper.make_tensor_value_info("X", input_type, [None, 4])
    if op == "TreeEnsembleRegressor":
        outs = [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, outputs])]
        node = helper.make_node(op, ["X"], ["variable"], domain="ai.onnx.ml", **attrs)
    else:
        outs = [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
                helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, outputs])]
        node = helper.make_node(op, ["X"], ["label", "probabilities"], domain="ai.onnx.ml", **attrs)
    graph = helper.make_graph([node], name, [x], outs)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])


def modes_tree(tree_id, modes, features, thresholds):
    """A full binary tree of depth 2 (3 branch nodes, 4 leaves); node ids in breadth-first order."""
    return dict(
        nodes_treeids=[tree_id] * 7, nodes_nodeids=list(range(7)),
        nodes_featureids=features + [0] * 4, nodes_values=thresholds + [0.0] * 4,
        nodes_modes=modes + ["LEAF"] * 4,
        nodes_truenodeids=[1, 3, 5, 0, 0, 0, 0], nodes_falsenodeids=[2, 4, 6, 0, 0, 0, 0],
        nodes_missing_value_tracks_true=[1, 0, 1, 0, 0, 0, 0],
    )


def merge(trees):
    out = {}
    for t in trees:
        for k, v in t.items():
            out.setdefault(k, []).extend(v)
    return out


t0 = modes_tree(0, ["BRANCH_LT", "BRANCH_GTE", "BRANCH_GT"], [2, 0, 1], [7.0, 0.25, -0.5])
t1 = modes_tree(1, ["BRANCH_EQ", "BRANCH_NEQ", "BRANCH_LEQ"], [3, 2, 0], [2.0, 10.0, 0.1])
nodes = merge([t0, t1])
leaf_ids = [3, 4, 5, 6]
reg_attrs = dict(nodes, n_targets=1, target_treeids=[0] * 4 + [1] * 4, target_nodeids=leaf_ids * 2,
                 target_ids=[0] * 8, target_weights=[1.5, -2.25, 0.75, 3.0, 0.5, -0.125, 1.0, -1.75],
                 base_values=[0.3], post_transform="NONE", aggregate_function="SUM")
models["modes_regression"] = tree_model("TreeEnsembleRegressor", reg_attrs, 1, "modes_regression")

# The same trees with thresholds and weights as double tensors (the *_as_tensor attributes):
# ONNX Runtime then compares in double (it reads base_values_as_tensor only as float).
tensor_attrs = dict(reg_attrs)
tensor_attrs["nodes_values_as_tensor"] = numpy_helper.from_array(np.array(tensor_attrs.pop("nodes_values"), dtype=np.float64))
tensor_attrs["target_weights_as_tensor"] = numpy_helper.from_array(np.array(tensor_attrs.pop("target_weights"), dtype=np.float64) / 3)
tensor_attrs["aggregate_function"] = "AVERAGE"
# ONNX Runtime reads double thresholds only for a double input.
models["tensor_regression"] = tree_model("TreeEnsembleRegressor", tensor_attrs, 1, "tensor_regression", TensorProto.DOUBLE)

# A three-class classifier with SOFTMAX_ZERO: every leaf writes class 0 and 2, class 1 only
# in tree 1 (so its score is 0 in many rows, which SOFTMAX_ZERO leaves at 0).
cls_attrs = dict(nodes, classlabels_int64s=[0, 1, 2],
                 class_treeids=[0] * 8 + [1] * 4, class_nodeids=[i for i in leaf_ids for _ in (0, 1)] + leaf_ids,
                 class_ids=[0, 2] * 4 + [1] * 4,
                 class_weights=[0.5, -1.0, 1.25, 0.0, -0.75, 2.0, 0.25, 0.5, 1.0, -0.5, 0.0, 2.5],
                 base_values=[0.1, 0.0, -0.2], post_transform="SOFTMAX_ZERO")
models["modes_softmax_zero"] = tree_model("TreeEnsembleClassifier", cls_attrs, 3, "modes_softmax_zero")
logit_attrs = dict(cls_attrs, post_transform="LOGISTIC")
models["modes_logistic"] = tree_model("TreeEnsembleClassifier", logit_attrs, 3, "modes_logistic")

# Two classes, one score, LOGISTIC with non-negative weights (ONNX Runtime still gives
# (σ(−s), σ(s)) there).
bin_attrs = dict(nodes, classlabels_int64s=[0, 1], class_treeids=[0] * 4 + [1] * 4, class_nodeids=leaf_ids * 2,
                 class_ids=[0] * 8, class_weights=[0.5, 1.25, 0.0, 2.0, 0.25, 0.75, 1.5, 0.125],
                 base_values=[-1.0], post_transform="LOGISTIC")
models["modes_binary_logistic"] = tree_model("TreeEnsembleClassifier", bin_attrs, 2, "modes_binary_logistic")



# The same two trees as a TreeEnsemble (ai.onnx.ml opset 5): interior nodes only, branches name
# nodes or leaves; modes as a uint8 tensor (0 LEQ … 5 NEQ).
def opset5(name, modes_codes, weights, targets, n_targets, post, aggregate):
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 4])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, n_targets])
    node = helper.make_node(
        "TreeEnsemble", ["X"], ["Y"], domain="ai.onnx.ml",
        nodes_featureids=[2, 0, 1, 3, 2, 0],
        nodes_splits=numpy_helper.from_array(np.array([7.0, 0.25, -0.5, 2.0, 10.0, 0.1], dtype=np.float32)),
        nodes_modes=numpy_helper.from_array(np.array(modes_codes, dtype=np.uint8)),
        nodes_truenodeids=[1, 0, 2, 4, 4, 6], nodes_trueleafs=[0, 1, 1, 0, 1, 1],
        nodes_falsenodeids=[2, 1, 3, 5, 5, 7], nodes_falseleafs=[0, 1, 1, 0, 1, 1],
        nodes_missing_value_tracks_true=[1, 0, 1, 1, 0, 1],
        tree_roots=[0, 3], leaf_targetids=targets,
        leaf_weights=numpy_helper.from_array(np.array(weights, dtype=np.float32)),
        n_targets=n_targets, post_transform=post, aggregate_function=aggregate)
    graph = helper.make_graph([node], name, [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("ai.onnx.ml", 5)])


models["opset5_regression"] = opset5("opset5_regression", [1, 2, 3, 4, 5, 0], [1.5, -2.25, 0.75, 3.0, 0.5, -0.125, 1.0, -1.75],
                                     [0] * 8, 1, 0, 1)
# post_transform 2: ONNX Runtime 1.32 reads 1 as LOGISTIC and 2 as SOFTMAX (the opset-5 text says
# the reverse); the fixture records what ONNX Runtime does.
models["opset5_softmax"] = opset5("opset5_softmax", [0, 1, 0, 0, 3, 2], [0.5, -1.0, 1.25, 0.0, -0.75, 2.0, 0.25, 0.5],
                                  [0, 1, 2, 0, 1, 2, 0, 1], 3, 2, 0)

for name, m in models.items():
    onnx.checker.check_model(m)
    with open(os.path.join(HERE, f"onnx_{name}.onnx"), "wb") as f:
        f.write(m.SerializeToString())


# Test rows: random rows (a share with f1 missing), then rows on and beside every threshold.
def thresholds(model):
    out = []
    for node in model.graph.node:
        if node.op_type.startswith("TreeEnsemble"):
            a = {x.name: x for x in node.attribute}
            feats = list(a["nodes_featureids"].ints)
            if node.op_type == "TreeEnsemble":
                vals = list(numpy_helper.to_array(a["nodes_splits"].t))
                out += list(zip(feats, vals))
                continue
            if "nodes_values" in a:
                vals = list(a["nodes_values"].floats)
            else:
                vals = list(numpy_helper.to_array(a["nodes_values_as_tensor"].t))
            modes = [m.decode() for m in a["nodes_modes"].strings]
            out += [(f, v) for f, v, m in zip(feats, vals, modes) if m != "LEAF"]
    return out


# Per feature, every threshold value and its float32 neighbours, shuffled and packed into rows
# (one threshold-derived value per feature per row), capped at 300 rows.
per_feature = {f: set() for f in range(4)}
for m in models.values():
    for f, v in thresholds(m):
        v = np.float32(v)
        per_feature[f].update([float(v), float(np.nextafter(v, np.float32(-np.inf))), float(np.nextafter(v, np.float32(np.inf)))])
k = min(240, max(len(s) for s in per_feature.values()))
edge = make_x(k, missing=False)
for f, values in per_feature.items():
    values = rng.permutation(sorted(values))[:k]
    edge[:len(values), f] = values
inputs = np.concatenate([make_x(80, missing=True), edge]).astype(np.float32)
inputs[rng.uniform(size=len(inputs)) < 0.03, 0] = np.nan


def f32(v):
    return "nan" if np.isnan(v) else np.format_float_positional(np.float32(v), unique=True, trim="-") if abs(v) >= 1e-4 or v == 0 else np.format_float_scientific(np.float32(v), unique=True, trim="-")


with open(os.path.join(HERE, "onnx_inputs.csv"), "w") as f:
    f.write(",".join(NAMES) + "\n")
    for row in inputs:
        f.write(",".join(f32(v) for v in row) + "\n")

# Models Plumb refuses (SOFTMAX_ZERO, LOGISTIC over three classes): the tests only check the refusal.
REFUSED = {"modes_softmax_zero", "modes_logistic"}
for name, m in models.items():
    if name in REFUSED:
        continue
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    iname = sess.get_inputs()[0].name
    feed = inputs.astype(np.float64) if sess.get_inputs()[0].type == "tensor(double)" else inputs
    outs = sess.run(None, {iname: feed})
    if len(outs) == 1:
        values = np.asarray(outs[0]).reshape(len(inputs), -1)
        header = ["y"] if values.shape[1] == 1 else [f"p{k}" for k in range(values.shape[1])]
    else:
        probs = outs[1]
        if isinstance(probs, list):   # ZipMap: one dict per row
            keys = sorted(probs[0].keys())
            probs = np.array([[p[k] for k in keys] for p in probs], dtype=np.float32)
        values = np.asarray(probs).reshape(len(inputs), -1)
        header = [f"p{k}" for k in range(values.shape[1])]
    with open(os.path.join(HERE, f"onnx_{name}_expected.csv"), "w") as f:
        f.write(",".join(header) + "\n")
        for row in values:
            f.write(",".join(f32(v) for v in row) + "\n")
    print(f"{name}: {len(inputs)} rows, outputs {header}")
