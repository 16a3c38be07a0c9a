"""The peers' boosted-tree models, shaped like Plumb's, and the batch scorers built from them.

Every function imports its library when called, so a peer that fails to import (or to compile)
fails only where it is used: compare.py turns that into the peer's own "n/a (reason)" cell.
All of them run on THREADS threads, as Plumb does.
"""
import os
import time
from dataclasses import dataclass

import numpy as np

THREADS = 2


@dataclass(frozen=True)
class GbmTask:
    """A boosted-trees workload: files, target and the shape both sides fit (trees × leaves, lr)."""
    key: str
    title: str
    train: str
    test: str
    target: str
    rounds: int
    lr: float
    leaves: int = 31

    def plumb_flags(self) -> list[str]:
        return ["--model", "gbm", "--rounds", str(self.rounds), "--learning-rate", str(self.lr),
                "--max-leaves", str(self.leaves), "--seed", "42"]


def lgbm(task: GbmTask, quantized: bool = False):
    """LightGBM regressor; `quantized` turns on quantized gradient histograms (LightGBM ≥ 4.0)."""
    import lightgbm as lgb
    extra = {"use_quantized_grad": True} if quantized else {}
    return lgb.LGBMRegressor(n_estimators=task.rounds, learning_rate=task.lr, num_leaves=task.leaves, n_jobs=THREADS,
                             random_state=42, verbose=-1, **extra)


def xgbm(task: GbmTask):
    """XGBoost grown leaf-wise like LightGBM and Plumb (lossguide, max_leaves, no depth limit)."""
    import xgboost as xgb
    return xgb.XGBRegressor(n_estimators=task.rounds, learning_rate=task.lr, max_leaves=task.leaves, max_depth=0,
                            grow_policy="lossguide", tree_method="hist", n_jobs=THREADS, random_state=42)


def ydf_model(task: GbmTask, features: list[str], x: np.ndarray, y: np.ndarray):
    """YDF gradient boosted trees of the same shape: leaf-wise (BEST_FIRST_GLOBAL), `leaves` leaves
    (YDF's max_num_nodes counts leaves: checked on a fitted tree), no depth limit, and none of its
    defaults that would change the tree count (10 % validation split, early stopping)."""
    import ydf
    if hasattr(ydf, "verbose"):
        ydf.verbose(0)
    data = {f: x[:, j] for j, f in enumerate(features)}
    data[task.target] = y
    learner = ydf.GradientBoostedTreesLearner(
        label=task.target, task=ydf.Task.REGRESSION, num_trees=task.rounds, shrinkage=task.lr,
        growing_strategy="BEST_FIRST_GLOBAL", max_num_nodes=task.leaves, max_depth=-1, validation_ratio=0.0,
        early_stopping="NONE", num_threads=THREADS)
    return learner.train(data)


# ----------------------------------------------------------------------------------------------
# scorers: prepare(...) -> callable that scores all of x once, or (callable, note)


def _agreement(got: np.ndarray, reference: np.ndarray) -> str:
    diff = float(np.max(np.abs(np.asarray(got, dtype=np.float64).reshape(-1) - reference)))
    return f"max |Δ| vs LightGBM on the first rows {diff:.2g}"


def score_lightgbm(model, x: np.ndarray):
    booster = model.booster_
    return lambda: booster.predict(x, num_threads=THREADS)


def score_xgboost(model, x: np.ndarray):
    # inplace_predict scores the numpy array as is (no DMatrix copy): XGBoost's fastest CPU path.
    booster = model.get_booster()
    booster.set_param({"nthread": THREADS})
    return lambda: booster.inplace_predict(x)


def score_lleaves(model, x: np.ndarray, folder: str):
    """lleaves compiles the LightGBM model to native code with LLVM (needs llvmlite 0.43)."""
    import lleaves
    path = os.path.join(folder, "lleaves_model.txt")
    model.booster_.save_model(path)
    compiled = lleaves.Model(model_file=path)
    t0 = time.perf_counter()
    compiled.compile()          # no cache file: every run compiles, so the note's time is real
    compile_s = time.perf_counter() - t0
    head = x[:1000]
    check = _agreement(compiled.predict(head, n_jobs=THREADS), model.booster_.predict(head))
    return (lambda: compiled.predict(x, n_jobs=THREADS)), f"compile {compile_s:.1f} s (not timed); {check}"


def score_onnxruntime(model, x: np.ndarray):
    """ONNX Runtime on the LightGBM model converted by onnxmltools (TreeEnsembleRegressor)."""
    import onnxmltools
    import onnxruntime as ort
    from onnxmltools.convert.common.data_types import DoubleTensorType
    onx = onnxmltools.convert_lightgbm(model.booster_, initial_types=[("x", DoubleTensorType([None, x.shape[1]]))],
                                       target_opset=15, zipmap=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(onx.SerializeToString(), options, providers=["CPUExecutionProvider"])
    head = x[:1000]
    check = _agreement(session.run(None, {"x": head})[0], model.booster_.predict(head))
    return (lambda: session.run(None, {"x": x})[0]), check


def score_tl2cgen(model, x: np.ndarray, folder: str):
    """TL2cgen turns the (treelite-converted) LightGBM model into C, built with gcc into a .so."""
    import tl2cgen
    import treelite
    lib = os.path.join(folder, "tl2cgen_model.so")
    t0 = time.perf_counter()
    tree_model = treelite.frontend.from_lightgbm(model.booster_)
    tl2cgen.export_lib(tree_model, toolchain="gcc", libpath=lib, params={"parallel_comp": THREADS}, nthread=THREADS)
    compile_s = time.perf_counter() - t0
    predictor = tl2cgen.Predictor(lib, nthread=THREADS)
    # The DMatrix wraps x once, outside the timing, like the other scorers' inputs.
    matrix = tl2cgen.DMatrix(x, dtype="float64")
    head = x[:1000]
    check = _agreement(predictor.predict(tl2cgen.DMatrix(head, dtype="float64")), model.booster_.predict(head))
    return (lambda: predictor.predict(matrix)), f"gcc compile {compile_s:.1f} s (not timed); {check}"


def score_ydf(task: GbmTask, features: list[str], xtr: np.ndarray, ytr: np.ndarray, x: np.ndarray):
    """YDF scores its own model (trained here on the same rows) from a dict of float32 columns,
    YDF's native numeric type, built once outside the timing."""
    t0 = time.perf_counter()
    model = ydf_model(task, features, xtr, ytr)
    train_s = time.perf_counter() - t0
    columns = {f: np.ascontiguousarray(x[:, j], dtype=np.float32) for j, f in enumerate(features)}
    note = f"trained {model.num_trees()} trees in {train_s:.1f} s (not timed)"
    return (lambda: model.predict(columns, num_threads=THREADS)), note


# ----------------------------------------------------------------------------------------------
# classification


@dataclass(frozen=True)
class ClsTask:
    """A classification workload: files, target, task and the boosted-trees shape both sides fit.

    min_leaf 20 is LightGBM's min_data_in_leaf default, given to Plumb explicitly; neither side
    bags rows or samples features."""
    key: str
    title: str
    train: str
    test: str
    target: str
    task: str            # "binary" | "multiclass"
    rounds: int
    lr: float = 0.1
    leaves: int = 31
    min_leaf: int = 20

    def plumb_flags(self) -> list[str]:
        return ["--task", self.task, "--model", "gbm", "--rounds", str(self.rounds), "--learning-rate", str(self.lr),
                "--max-leaves", str(self.leaves), "--min-leaf", str(self.min_leaf), "--seed", "42"]


def lgbm_classifier(task: ClsTask, quantized: bool = False):
    """LightGBM classifier (binary: logistic; multiclass: softmax), no bagging (subsample 1)."""
    import lightgbm as lgb
    extra = {"use_quantized_grad": True} if quantized else {}
    return lgb.LGBMClassifier(n_estimators=task.rounds, learning_rate=task.lr, num_leaves=task.leaves,
                              min_child_samples=task.min_leaf, subsample=1.0, colsample_bytree=1.0, n_jobs=THREADS,
                              random_state=42, verbose=-1, **extra)


def xgb_classifier(task: ClsTask):
    """XGBoost classifier grown leaf-wise like LightGBM and Plumb (lossguide, max_leaves, no depth limit)."""
    import xgboost as xgb
    return xgb.XGBClassifier(n_estimators=task.rounds, learning_rate=task.lr, max_leaves=task.leaves, max_depth=0,
                             grow_policy="lossguide", tree_method="hist", n_jobs=THREADS, random_state=42)


def forest_classifier(trees: int):
    """scikit-learn's random forest with its classifier defaults (Gini, max_features="sqrt", bootstrap,
    no depth limit, min_samples_leaf 1)."""
    from sklearn.ensemble import RandomForestClassifier
    return RandomForestClassifier(n_estimators=trees, n_jobs=THREADS, random_state=42)


LOGISTIC_MAX_ITER = 1_000


def logistic_classifier():
    """scikit-learn's L2 logistic regression, C = 1 (multinomial for more than two classes) on the raw
    features, as Plumb's --model logistic fits them. Solver newton-cholesky (scikit-learn's advice
    for many more rows than features): the same objective as the default lbfgs, which on these raw
    features needs ~2,000 iterations (spam 14 s, letter 90 s of CPU) and stops at its default
    max_iter 100 short of the optimum."""
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=LOGISTIC_MAX_ITER)
